/*
 * test_aconf.c - unit tests of agent.conf parsing (agent/aconf.c and its
 * grammar): defaults, every setting in both group forms, lists, paths,
 * schedules and includes, the exact text of each kind of error, and the
 * text aconf_print() writes, which must load back to the same values.
 *
 * Files for the include and print tests go to a fresh directory under
 * $TMPDIR (or /tmp), removed at the end.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testfs.h"

#include "aconf.h"

#define ADDR "console address \"c.example\"\n"   /* what every load needs */
#define TXT(s) (s), sizeof(s) - 1  /* a literal and its length */

static char tmpdir[256];   /* short, so paths under it always fit */
static struct agent_conf c;
static char err[8192];

/* Parse text as "t.conf" over defaults; includes start at "/etc/k". */
static int parse(const char *text)
{
	aconf_free(&c);
	aconf_defaults(&c);
	return aconf_load_buffer("t.conf", text, strlen(text), "/etc/k", &c, err,
				 sizeof(err));
}

#define CFGCHECK_FILES
#include "cfgcheck.h"

static int load_file(const char *name)
{
	aconf_free(&c);
	aconf_defaults(&c);
	return aconf_load(tmp(name), &c, err, sizeof(err));
}

/* The list l must hold exactly the n strings that follow. */
static void has(const struct aconf_list *l, int n, ...)
{
	va_list ap;
	int i;

	assert_int_equal(l->n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

static void test_defaults(void **state)
{
	(void)state;
	aconf_free(&c);
	aconf_defaults(&c);
	assert_string_equal(c.console_host, "");
	assert_int_equal(c.console_port, 7443);
	assert_int_equal(c.enroll_port, 8443);
	assert_string_equal(c.proxy, "");
	assert_string_equal(c.dir, "/var/lib/kastro-agent");
	assert_int_equal(c.spool_max, UINT64_C(1) << 30);
	assert_int_equal(c.heartbeat, 60);
	assert_string_equal(c.rules, "/etc/kastro/agent-rules");
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	has(&c.scan_paths, 0);
	has(&c.scan_include, 0);
	has(&c.scan_exclude, 0);
	has(&c.watch, 0);
	assert_int_equal(c.max_size, 64u << 20);
	assert_false(c.cross_fs);
	assert_int_equal(c.file_timeout, 30);
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.cpu_percent, 25);
	assert_int_equal(c.sched, ACONF_SCHED_DAILY);
	assert_int_equal(c.sched_minute, 120);
	assert_int_equal(c.sched_every, 0);
	assert_int_equal(c.cache_entries, 1000000);
	has(&c.quarantine_tags, 0);
	assert_int_equal(c.quarantine_severity, 0);
	assert_string_equal(c.quarantine_dir, "/var/lib/kastro-agent/quarantine");
}

static void test_address_alone_keeps_defaults(void **state)
{
	struct agent_conf d;

	(void)state;
	aconf_defaults(&d);
	memcpy(d.console_host, "c.example", 10);
	ok("# only the console's address\n" ADDR ";;\n#");
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_every_setting(void **state)
{
	(void)state;
	ok("# kastro-agent on a staff PC\n"
	   "console {\n"
	   "\taddress \"console.kavala.example\"\n"
	   "\tport 7000\n"
	   "\tenroll-port 7001\n"
	   "\tproxy \"http://proxy.lan:3128\"\n"
	   "}\n"
	   "dir \"/var/lib/ka\"\n"
	   "spool-size 256MB\n"
	   "heartbeat 2m\n"
	   "rules \"/etc/kastro/rules.yar\"\n"
	   "log level debug\n"
	   "scan {\n"
	   "\tpath \"/home\"\n"
	   "\tpath \"/srv\"\n"
	   "\tinclude \"*.exe\"\n"
	   "\texclude \"/home/*/.cache/*\"\n"
	   "\twatch \"/home\"\n"
	   "\tmax-size 1GB\n"
	   "\tcross-filesystems yes\n"
	   "\tfile-timeout 1m\n"
	   "\tthreads 4\n"
	   "\tcpu 150%\n"
	   "\tschedule daily 23:59\n"
	   "}\n"
	   "cache { entries 5000 }\n"
	   "quarantine {\n"
	   "\ttags { \"malware\" \"ransomware\" }\n"
	   "\tseverity 1\n"
	   "\tdir \"/var/quarantine\"\n"
	   "}\n");
	assert_string_equal(c.console_host, "console.kavala.example");
	assert_int_equal(c.console_port, 7000);
	assert_int_equal(c.enroll_port, 7001);
	assert_string_equal(c.proxy, "http://proxy.lan:3128");
	assert_string_equal(c.dir, "/var/lib/ka");
	assert_int_equal(c.spool_max, 256u << 20);
	assert_int_equal(c.heartbeat, 120);
	assert_string_equal(c.rules, "/etc/kastro/rules.yar");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	has(&c.scan_paths, 2, "/home", "/srv");
	has(&c.scan_include, 1, "*.exe");
	has(&c.scan_exclude, 1, "/home/*/.cache/*");
	has(&c.watch, 1, "/home");
	assert_int_equal(c.max_size, 1u << 30);
	assert_true(c.cross_fs);
	assert_int_equal(c.file_timeout, 60);
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.cpu_percent, 150);
	assert_int_equal(c.sched, ACONF_SCHED_DAILY);
	assert_int_equal(c.sched_minute, 23 * 60 + 59);
	assert_int_equal(c.sched_every, 0);
	assert_int_equal(c.cache_entries, 5000);
	has(&c.quarantine_tags, 2, "malware", "ransomware");
	assert_int_equal(c.quarantine_severity, 1);
	assert_string_equal(c.quarantine_dir, "/var/quarantine");

	ok(ADDR "log level error");
	assert_int_equal(c.log_level, LOG_LVL_ERR);
	ok(ADDR "log { level warning }");
	assert_int_equal(c.log_level, LOG_LVL_WARN);
	ok(ADDR "scan cross-filesystems no");
	assert_false(c.cross_fs);
}

static void test_group_forms(void **state)
{
	(void)state;
	/* one setting after the keyword, or a block, with ';' anywhere */
	ok("console address \"10.20.0.5\"; console port 1\n"
	   "console { enroll-port 2; proxy \"http://[fd00::1]:8080/\"; }\n"
	   "scan path \"/a\" scan { threads 256; } ;\n"
	   "cache entries 2000 quarantine severity 4\n");
	assert_string_equal(c.console_host, "10.20.0.5");
	assert_int_equal(c.console_port, 1);
	assert_int_equal(c.enroll_port, 2);
	assert_string_equal(c.proxy, "http://[fd00::1]:8080/");
	has(&c.scan_paths, 1, "/a");
	assert_int_equal(c.threads, 256);
	assert_int_equal(c.cache_entries, 2000);
	assert_int_equal(c.quarantine_severity, 4);
	/* empty blocks, comments, CRLF line ends, tabs */
	ok("scan { }\r\nquarantine {\r\n\t# nothing\r\n}\r\n" ADDR "cache {}");
	/* `include` and `dir` of a group, then the statements of the same name */
	put("g.conf", "heartbeat 10s\n");
	aconf_free(&c);
	aconf_defaults(&c);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "scan include \"*.doc\"\n"
						     "include \"g.conf\"\n"
						     "quarantine dir \"/q\"\n"
						     "dir \"/s\"\n"),
					   tmpdir, &c, err, sizeof(err)), 0);
	has(&c.scan_include, 1, "*.doc");
	assert_int_equal(c.heartbeat, 10);
	assert_string_equal(c.quarantine_dir, "/q");
	assert_string_equal(c.dir, "/s");
	/* the bounds of each range are accepted */
	ok(ADDR "console port 65535\nconsole enroll-port 1\nspool-size 16MB\n"
	   "heartbeat 1h\nscan { max-size 1KB file-timeout 1h threads 0 cpu 1% }\n"
	   "cache entries 1000\n");
	assert_int_equal(c.console_port, 65535);
	assert_int_equal(c.spool_max, 16u << 20);
	assert_int_equal(c.heartbeat, 3600);
	assert_int_equal(c.max_size, 1024);
	assert_int_equal(c.file_timeout, 3600);
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.cpu_percent, 1);
	assert_int_equal(c.cache_entries, 1000);
	ok(ADDR "spool-size 32GB heartbeat 10s\n"
	   "scan { max-size 4GB file-timeout 1s cpu 6400% }\n"
	   "cache entries 100000000\n");
	assert_int_equal(c.spool_max, UINT64_C(32) << 30);
	assert_int_equal(c.max_size, UINT64_C(4) << 30);
	assert_int_equal(c.cpu_percent, 6400);
	assert_int_equal(c.cache_entries, 100000000);
}

static void test_lists(void **state)
{
	(void)state;
	/* one string, or several in braces; statements add, in order */
	ok(ADDR "scan path { \"/home\" \"/srv\" }\nscan path \"/opt\"\n"
	   "scan { include { \"*.exe\" \"*.dll\" } exclude \"*/.git/*\" "
	   "exclude { \"/tmp/*\" } watch { \"/home\" \"/tmp\" } }\n"
	   "quarantine tags \"malware\" quarantine tags { \"Ransom_2\" \"_x\" }\n");
	has(&c.scan_paths, 3, "/home", "/srv", "/opt");
	has(&c.scan_include, 2, "*.exe", "*.dll");
	has(&c.scan_exclude, 2, "*/.git/*", "/tmp/*");
	has(&c.watch, 2, "/home", "/tmp");
	has(&c.quarantine_tags, 3, "malware", "Ransom_2", "_x");
}

static void test_list_bounds(void **state)
{
	char *text = malloc(256 * 16 + 64);
	size_t n;
	int i;

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, 64, ADDR "scan path {");
	for (i = 0; i < ACONF_MAX_LIST; i++)
		n += (size_t)snprintf(text + n, 16, " \"/p%d\"", i);
	memcpy(text + n, " }", 3);
	ok(text);
	assert_int_equal(c.scan_paths.n, ACONF_MAX_LIST);
	assert_string_equal(c.scan_paths.v[255], "/p255");
	memcpy(text + n, " \"/x\" }", 8);
	/* column: 11 + 10 * 6 + 90 * 7 + 156 * 8 + 2 */
	fails_first(text, "t.conf:2:1951: too many 'scan path' entries, the limit is 256");
	free(text);

	fails_with(ADDR "scan path \"/home\"\nscan path { \"/srv\" \"/home/\" }",
		   "t.conf:3:20: duplicate scan path '/home', expected each path once\n"
		   "scan path { \"/srv\" \"/home/\" }\n"
		   "                   ^~~~~~~~");
	fails_first(ADDR "quarantine tags { \"a\" \"a\" }",
		    "t.conf:2:23: duplicate quarantine tags 'a', expected each tag once");
	/* tags are case-sensitive, as YARA's */
	ok(ADDR "quarantine tags { \"a\" \"A\" }");
	has(&c.quarantine_tags, 2, "a", "A");
}

static void test_lists_replace(void **state)
{
	struct agent_conf d;

	(void)state;
	/* over a previous configuration, a list named is replaced, others stay */
	aconf_defaults(&d);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "scan path { \"/a\" \"/b\" }\n"
						     "scan watch \"/w\"\n"),
					   NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(aconf_load_buffer("u.conf", TXT("scan path \"/c\""), NULL, &d,
					   err, sizeof(err)), 0);
	has(&d.scan_paths, 1, "/c");
	has(&d.watch, 1, "/w");
	assert_string_equal(d.console_host, "c.example");
	/* a failed load leaves lists as they were */
	assert_int_equal(aconf_load_buffer("u.conf", TXT("scan path \"/d\" scan watch \"x\""),
					   NULL, &d, err, sizeof(err)), -1);
	has(&d.scan_paths, 1, "/c");
	has(&d.watch, 1, "/w");
	aconf_free(&d);
	has(&d.scan_paths, 0);
	aconf_free(&d);
}

static void test_schedule(void **state)
{
	(void)state;
	ok(ADDR "scan schedule daily 0:00");
	assert_int_equal(c.sched, ACONF_SCHED_DAILY);
	assert_int_equal(c.sched_minute, 0);
	ok(ADDR "scan schedule daily 02:30");
	assert_int_equal(c.sched_minute, 150);
	ok(ADDR "scan schedule every 6h");
	assert_int_equal(c.sched, ACONF_SCHED_EVERY);
	assert_int_equal(c.sched_every, 6 * 3600);
	assert_int_equal(c.sched_minute, 0);
	ok(ADDR "scan schedule every 10m");
	assert_int_equal(c.sched_every, 600);
	ok(ADDR "scan schedule every 30d");
	assert_int_equal(c.sched_every, 30 * 86400);

	fails_with(ADDR "scan schedule daily 25:00",
		   "t.conf:2:21: scan schedule daily 25:00 is out of range, expected "
		   "00:00 .. 23:59\n"
		   "scan schedule daily 25:00\n"
		   "                    ^~~~~");
	fails_first(ADDR "scan schedule daily 12:60",
		    "t.conf:2:21: scan schedule daily 12:60 is out of range, expected "
		    "00:00 .. 23:59");
	fails_first(ADDR "scan schedule daily 2:3",
		    "t.conf:2:21: '2:3' is not a time of day, expected HH:MM such as 02:30");
	fails_first(ADDR "scan schedule daily 002:30",
		    "t.conf:2:21: '002:30' is not a time of day, expected HH:MM such as 02:30");
	fails_first(ADDR "scan schedule daily 02:30:00",
		    "t.conf:2:21: '02:30:00' is not a time of day, expected HH:MM such as 02:30");
	fails_first(ADDR "scan schedule daily 2h",
		    "t.conf:2:21: unexpected number '2h', expected a time of day such as 02:30");
	fails_first(ADDR "scan schedule every 9m",
		    "t.conf:2:21: scan schedule every 9m is out of range, expected 10m .. 30d");
	fails_first(ADDR "scan schedule every 02:00",
		    "t.conf:2:21: unexpected number '02:00', expected a number");
	fails_first(ADDR "scan schedule weekly",
		    "t.conf:2:15: unexpected 'weekly', expected one of: daily, every");
	fails_first(ADDR "scan { schedule daily 01:00 schedule every 1h }",
		    "t.conf:2:44: duplicate 'scan schedule' setting, already set at t.conf:2:23");
}

static void test_paths(void **state)
{
	char *text, want[PATH_MAX + 64];
	size_t n;

	(void)state;
	/* kept in one form: no "//", no trailing '/' */
	ok(ADDR "dir \"//var//lib/ka/\" rules \"/etc/r/\" scan path \"/\"\n"
	   "scan watch \"/home//x/\" quarantine dir \"/q/\"");
	assert_string_equal(c.dir, "/var/lib/ka");
	assert_string_equal(c.rules, "/etc/r");
	has(&c.scan_paths, 1, "/");
	has(&c.watch, 1, "/home/x");
	assert_string_equal(c.quarantine_dir, "/q");
	/* a dot inside a name is fine */
	ok(ADDR "scan path \"/home/.config/..x/a.\"");
	has(&c.scan_paths, 1, "/home/.config/..x/a.");

	/* relative paths are refused, whatever the file's directory */
	fails_with(ADDR "dir \"var/lib/ka\"",
		   "t.conf:2:5: relative path 'var/lib/ka', expected an absolute path "
		   "such as \"/var/lib/kastro-agent\"\n"
		   "dir \"var/lib/ka\"\n"
		   "    ^~~~~~~~~~~~");
	fails_first(ADDR "rules \"./rules\"",
		    "t.conf:2:7: relative path './rules', expected an absolute path "
		    "such as \"/etc/kastro/agent-rules\"");
	fails_first(ADDR "scan path \"home\"",
		    "t.conf:2:11: relative path 'home', expected an absolute path such "
		    "as \"/home\"");
	fails_first(ADDR "scan watch \"~/Downloads\"",
		    "t.conf:2:12: relative path '~/Downloads', expected an absolute path "
		    "such as \"/home\"");
	fails_first(ADDR "quarantine dir \"q\"",
		    "t.conf:2:16: relative path 'q', expected an absolute path such as "
		    "\"/var/lib/kastro-agent/quarantine\"");
	fails_first(ADDR "scan path \"/home/../etc\"",
		    "t.conf:2:11: path '/home/../etc' has a '..' component, expected a "
		    "path without '.' or '..'");
	fails_first(ADDR "dir \"/var/./lib\"",
		    "t.conf:2:5: path '/var/./lib' has a '.' component, expected a path "
		    "without '.' or '..'");
	fails_first(ADDR "dir \"\"", "t.conf:2:5: empty path, expected the state directory");
	fails_first(ADDR "rules \"\"",
		    "t.conf:2:7: empty path, expected the rules directory or file");
	fails_first(ADDR "scan path \"\"", "t.conf:2:11: empty path, expected a directory to scan");
	fails_first(ADDR "quarantine dir \"\"",
		    "t.conf:2:16: empty path, expected the quarantine directory");

	/* dir leaves room for the files inside; a scan path may take PATH_MAX - 1 */
	text = malloc(2 * PATH_MAX);
	assert_non_null(text);
	n = (size_t)snprintf(text, 64, ADDR "dir \"/");
	memset(text + n, 'a', ACONF_DIR_MAX - 2);
	memcpy(text + n + ACONF_DIR_MAX - 2, "\"", 2);
	ok(text);
	assert_int_equal(strlen(c.dir), ACONF_DIR_MAX - 1);
	snprintf(want, sizeof(want), "%s/quarantine", c.dir);
	assert_string_equal(c.quarantine_dir, want);
	memcpy(text + n + ACONF_DIR_MAX - 2, "a\"", 3);
	snprintf(want, sizeof(want), "t.conf:2:5: path '/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
		 "is too long, the limit is %d bytes", ACONF_DIR_MAX - 1);
	fails_first(text, want);
	n = (size_t)snprintf(text, 64, ADDR "scan path \"/");
	memset(text + n, 'a', PATH_MAX - 2);
	memcpy(text + n + PATH_MAX - 2, "\"", 2);
	ok(text);
	assert_int_equal(strlen(c.scan_paths.v[0]), PATH_MAX - 1);
	/* a string longer than PATH_MAX - 1, glob or path, is cut by the scanner */
	n = (size_t)snprintf(text, 64, ADDR "scan exclude \"/");
	memset(text + n, '*', PATH_MAX - 1);
	memcpy(text + n + PATH_MAX - 1, "\"", 2);
	fails_first(text, "t.conf:2:14: string too long, the limit is 4095 bytes");
	free(text);
}

static void test_quarantine_dir_follows(void **state)
{
	struct agent_conf d;

	(void)state;
	ok(ADDR "dir \"/srv/ka\"");
	assert_string_equal(c.quarantine_dir, "/srv/ka/quarantine");
	ok(ADDR "dir \"/\"");
	assert_string_equal(c.quarantine_dir, "/quarantine");
	ok(ADDR "quarantine dir \"/q\" dir \"/srv/ka\"");
	assert_string_equal(c.quarantine_dir, "/q");
	/* over a previous configuration: follows dir unless it was set */
	aconf_defaults(&d);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "dir \"/a\""), NULL, &d,
					   err, sizeof(err)), 0);
	assert_int_equal(aconf_load_buffer("t.conf", TXT("dir \"/b\""), NULL, &d, err,
					   sizeof(err)), 0);
	assert_string_equal(d.quarantine_dir, "/b/quarantine");
	assert_int_equal(aconf_load_buffer("t.conf", TXT("quarantine dir \"/q\""), NULL,
					   &d, err, sizeof(err)), 0);
	assert_int_equal(aconf_load_buffer("t.conf", TXT("dir \"/c\""), NULL, &d, err,
					   sizeof(err)), 0);
	assert_string_equal(d.quarantine_dir, "/q");
	aconf_free(&d);
}

static void test_include(void **state)
{
	char want[2 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(tmp("inc"), 0700), 0);
	put("inc/scan.conf", "scan path \"/home\"\n" ADDR "include \"more.conf\"\n");
	put("inc/more.conf", "scan path \"/srv\"\nheartbeat 5m");
	put("top.conf", "include \"inc/scan.conf\"\nscan threads 2\n");
	assert_int_equal(load_file("top.conf"), 0);
	has(&c.scan_paths, 2, "/home", "/srv");
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.heartbeat, 300);
	assert_string_equal(c.console_host, "c.example");

	/* an error inside an include names the included file */
	put("inc/bad.conf", "\n  scan { threads 257 }\n");
	put("inc_bad.conf", ADDR "include \"inc/bad.conf\"\n");
	assert_int_equal(load_file("inc_bad.conf"), -1);
	snprintf(want, sizeof(want), "%s/inc/bad.conf:2:18: scan threads 257 is out of "
		 "range, expected 0 or 1 .. 256\n  scan { threads 257 }\n"
		 "                 ^~~", tmpdir);
	assert_string_equal(err, want);

	/* a setting twice across files */
	put("twice.conf", "heartbeat 1m\ninclude \"inc/more.conf\"\n");
	assert_int_equal(load_file("twice.conf"), -1);
	snprintf(want, sizeof(want), "%s/inc/more.conf:2:11: duplicate 'heartbeat' "
		 "setting, already set at %s:1:11", tmpdir, tmp("twice.conf"));
	assert_memory_equal(err, want, strlen(want));

	put("self.conf", ADDR "include \"self.conf\"");
	assert_int_equal(load_file("self.conf"), -1);
	snprintf(want, sizeof(want), "%s:2:9: include cycle: '", tmp("self.conf"));
	assert_memory_equal(err, want, strlen(want));
	put("missing.conf", ADDR "include \"nowhere.conf\"");
	assert_int_equal(load_file("missing.conf"), -1);
	assert_non_null(strstr(err, "nowhere.conf': No such file or directory\n"));
	fails_first(ADDR "include \"\"", "t.conf:2:9: empty file name in include");
	/* only top-level: inside a group `include` is a glob */
	fails_first(ADDR "scan { include \"x.conf\" }",
		    "t.conf:2:16: glob 'x.conf' never matches, as it is matched against "
		    "full paths: expected a pattern that starts with '/' or '*', such as "
		    "\"*/x.conf\"");
}

static void test_error_format(void **state)
{
	(void)state;
	/* an unknown keyword: where, the choices, the close match, the line */
	fails_with(ADDR "\n"
		   "scan {\n"
		   "\tpath \"/home\"\n"
		   "\tmax-sise 64MB\n"
		   "}\n",
		   "t.conf:5:2: unexpected 'max-sise', expected one of: max-size, path, "
		   "exclude, watch, cross-filesystems, file-timeout, threads, cpu, "
		   "schedule, include, '}'; did you mean 'max-size'?\n"
		   "\tmax-sise 64MB\n"
		   "\t^~~~~~~~");
	fails_with("consol { address \"x\" }",
		   "t.conf:1:1: unexpected 'consol', expected one of: console, dir, "
		   "spool-size, heartbeat, rules, log, scan, cache, quarantine, allow, include, plugin; "
		   "did you mean 'console'?\n"
		   "consol { address \"x\" }\n"
		   "^~~~~~");
	fails_with(ADDR "quarantine { severity 1",
		   "t.conf:2:24: unexpected end of file, expected one of: tags, "
		   "severity, dir, '}'\n"
		   "quarantine { severity 1\n"
		   "                       ^");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	fails_first(ADDR "dir /var", "t.conf:2:5: unexpected character '/'");
	fails_first(ADDR "dir var", "t.conf:2:5: unexpected 'var', expected a string");
	fails_first(ADDR "console adress \"x\"",
		    "t.conf:2:9: unexpected 'adress', expected one of: address, port, "
		    "enroll-port, proxy, '{'; did you mean 'address'?");
	/* a group takes one setting on its line, or a block */
	fails_first("console address \"x\" port 7443",
		    "t.conf:1:21: unexpected 'port', expected one of: console, dir, "
		    "spool-size, heartbeat, rules, log, scan, cache, quarantine, allow, include, plugin");
	fails_first(ADDR "scan",
		    "t.conf:2:5: unexpected end of file, expected one of: path, exclude, "
		    "watch, max-size, cross-filesystems, file-timeout, threads, cpu, "
		    "schedule, include, '{'");
	fails_first(ADDR "scan cross-filesystems off",
		    "t.conf:2:24: unexpected 'off', expected one of: yes, no");
	fails_first(ADDR "scan cpu 25",
		    "t.conf:2:10: unexpected number '25', expected a percentage such as 25%");
	fails_first(ADDR "spool-size 25%",
		    "t.conf:2:12: unexpected number '25%', expected a number");
	fails_first(ADDR "scan path { }",
		    "t.conf:2:13: unexpected '}', expected a string");
	fails_first(ADDR "quarantine tags { malware }",
		    "t.conf:2:19: unexpected 'malware', expected a string");
	fails_first(ADDR "log level 5",
		    "t.conf:2:11: unexpected number '5', expected a log level "
		    "(error, warning, info, debug)");
	fails_first(ADDR "caches entries 5",
		    "t.conf:2:1: unexpected 'caches', expected one of: cache, console, "
		    "dir, spool-size, heartbeat, rules, log, scan, quarantine, allow, include, plugin; "
		    "did you mean 'cache'?");
	fails_first(ADDR "}", "t.conf:2:1: unexpected '}', expected one of: console, "
		    "dir, spool-size, heartbeat, rules, log, scan, cache, quarantine, "
		    "allow, include, plugin");
	fails_first(ADDR "\"x\"", "t.conf:2:1: unexpected string \"x\", expected one "
		    "of: console, dir, spool-size, heartbeat, rules, log, scan, cache, "
		    "quarantine, allow, include, plugin");
}

static void test_number_errors(void **state)
{
	(void)state;
	/* each setting's range, in its unit */
	fails_first(ADDR "console port 0",
		    "t.conf:2:14: console port 0 is out of range, expected 1 .. 65535");
	fails_first(ADDR "console port 65536",
		    "t.conf:2:14: console port 65536 is out of range, expected 1 .. 65535");
	fails_first(ADDR "console enroll-port 65536",
		    "t.conf:2:21: console enroll-port 65536 is out of range, "
		    "expected 1 .. 65535");
	fails_first(ADDR "spool-size 15MB",
		    "t.conf:2:12: spool-size 15MB is out of range, expected 16MB .. 32GB");
	fails_first(ADDR "spool-size 33GB",
		    "t.conf:2:12: spool-size 33GB is out of range, expected 16MB .. 32GB");
	fails_first(ADDR "heartbeat 9s",
		    "t.conf:2:11: heartbeat 9s is out of range, expected 10s .. 1h");
	fails_first(ADDR "heartbeat 61m",
		    "t.conf:2:11: heartbeat 61m is out of range, expected 10s .. 1h");
	fails_first(ADDR "scan max-size 1023",
		    "t.conf:2:15: scan max-size 1023 is out of range, expected 1KB .. 4GB");
	fails_first(ADDR "scan max-size 5GB",
		    "t.conf:2:15: scan max-size 5GB is out of range, expected 1KB .. 4GB");
	fails_first(ADDR "scan file-timeout 0",
		    "t.conf:2:19: scan file-timeout 0 is out of range, expected 1s .. 1h");
	fails_first(ADDR "scan threads 257",
		    "t.conf:2:14: scan threads 257 is out of range, expected 0 or 1 .. 256");
	fails_first(ADDR "cache entries 999",
		    "t.conf:2:15: cache entries 999 is out of range, expected "
		    "1000 .. 100000000");
	fails_first(ADDR "cache entries 0",
		    "t.conf:2:15: cache entries 0 is out of range, expected "
		    "1000 .. 100000000");
	fails_first(ADDR "cache entries 100000001",
		    "t.conf:2:15: cache entries 100000001 is out of range, expected "
		    "1000 .. 100000000");
	fails_first(ADDR "quarantine severity 5",
		    "t.conf:2:21: quarantine severity 5 is out of range, expected 0 or "
		    "1 .. 4");
	/* percentages */
	fails_with(ADDR "scan cpu 0%",
		   "t.conf:2:10: scan cpu 0% is out of range, expected 1% .. 6400% "
		   "(percent of one core)\n"
		   "scan cpu 0%\n"
		   "         ^~");
	fails_first(ADDR "scan cpu 6401%",
		    "t.conf:2:10: scan cpu 6401% is out of range, expected 1% .. 6400% "
		    "(percent of one core)");
	fails_first(ADDR "scan cpu 99999999999999%",
		    "t.conf:2:10: scan cpu 99999999999999% is out of range, expected "
		    "1% .. 6400% (percent of one core)");
	fails_first(ADDR "scan cpu 2.5%",
		    "t.conf:2:10: '2.5%' is not a percentage, expected a whole number of "
		    "percent such as 25%");
	/* units */
	fails_first(ADDR "spool-size 5m",
		    "t.conf:2:12: '5m' is a duration, expected a size such as 1024, "
		    "64KB, 256MB or 1GB");
	fails_first(ADDR "heartbeat 1MB",
		    "t.conf:2:11: '1MB' is a size, expected a duration such as 30s, "
		    "5m, 1h or 1d");
	fails_first(ADDR "scan threads 2s",
		    "t.conf:2:14: '2s' has a unit, expected a plain number");
	fails_first(ADDR "scan max-size 64mb",
		    "t.conf:2:15: unknown unit 'mb' in '64mb', expected K, KB, M, MB, "
		    "G or GB; did you mean 'MB'?");
	fails_first(ADDR "scan file-timeout 1.5s",
		    "t.conf:2:19: '1.5s' is not a number, expected a duration such as "
		    "30s, 5m, 1h or 1d");
	fails_first(ADDR "cache entries 99999999999999999999",
		    "t.conf:2:15: '99999999999999999999' is too large");
}

static void test_value_errors(void **state)
{
	(void)state;
	fails_with(ADDR "console address \"d.example\"",
		   "t.conf:2:17: duplicate 'console address' setting, already set at "
		   "t.conf:1:17\n"
		   "console address \"d.example\"\n"
		   "                ^~~~~~~~~~~");
	fails_first(ADDR "dir \"/a\"\ndir \"/a\"",
		    "t.conf:3:5: duplicate 'dir' setting, already set at t.conf:2:5");
	fails_first(ADDR "scan { threads 1 }\nscan threads 1",
		    "t.conf:3:14: duplicate 'scan threads' setting, already set at "
		    "t.conf:2:16");
	fails_first(ADDR "log level info log { level info }",
		    "t.conf:2:28: duplicate 'log level' setting, already set at t.conf:2:11");
	fails_first(ADDR "scan cross-filesystems no scan cross-filesystems no",
		    "t.conf:2:50: duplicate 'scan cross-filesystems' setting, already "
		    "set at t.conf:2:24");
	fails_with("# no console here\nscan path \"/home\"\n",
		   "t.conf: no 'console address' setting: the console's address is "
		   "required, e.g. console address \"console.kavala.example\"");
	fails_first("console address \"\"",
		    "t.conf:1:17: empty console address, expected a host name or an IP "
		    "address");
	fails_first("console address \"https://c.example\"",
		    "t.conf:1:17: invalid console address 'https://c.example', expected "
		    "a host name or an IP address");
	fails_first("console address \"-c\"",
		    "t.conf:1:17: invalid console address '-c', expected a host name or "
		    "an IP address");
	ok("console address \"fd00:20::5\"");
	assert_string_equal(c.console_host, "fd00:20::5");
	/* proxies */
	ok(ADDR "console proxy \"http://10.0.0.1\"");
	ok(ADDR "console proxy \"http://proxy-1.lan:1/\"");
	fails_first(ADDR "console proxy \"http://p:99999999999\"",
		    "t.conf:2:15: invalid proxy 'http://p:99999999999', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	fails_first(ADDR "console proxy \"\"",
		    "t.conf:2:15: empty proxy, expected http://HOST:PORT such as "
		    "\"http://proxy.lan:3128\" (without `proxy`: no proxy)");
	fails_first(ADDR "console proxy \"proxy.lan:3128\"",
		    "t.conf:2:15: invalid proxy 'proxy.lan:3128', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	fails_first(ADDR "console proxy \"http://proxy.lan:0\"",
		    "t.conf:2:15: invalid proxy 'http://proxy.lan:0', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	fails_first(ADDR "console proxy \"http://u:p@proxy.lan:3128\"",
		    "t.conf:2:15: invalid proxy 'http://u:p@proxy.lan:3128', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	fails_first(ADDR "console proxy \"http://proxy.lan:3128/x\"",
		    "t.conf:2:15: invalid proxy 'http://proxy.lan:3128/x', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	fails_first(ADDR "console proxy \"http://[]:1\"",
		    "t.conf:2:15: invalid proxy 'http://[]:1', expected "
		    "http://HOST:PORT such as \"http://proxy.lan:3128\"");
	/* log levels */
	fails_first(ADDR "log level verbose",
		    "t.conf:2:11: unknown log level 'verbose', expected one of: "
		    "error, warning, info, debug");
	fails_first(ADDR "log level warnig",
		    "t.conf:2:11: unknown log level 'warnig', expected one of: warning, "
		    "error, info, debug; did you mean 'warning'?");
	/* globs and tags */
	fails_first(ADDR "scan include \"\"",
		    "t.conf:2:14: empty glob, expected a pattern such as \"*.exe\" or "
		    "\"/home/*/.cache/*\"");
	fails_first(ADDR "scan exclude \".cache\"",
		    "t.conf:2:14: glob '.cache' never matches, as it is matched against "
		    "full paths: expected a pattern that starts with '/' or '*', such as "
		    "\"*/.cache\"");
	ok(ADDR "scan exclude { \"?x\" \"[/]tmp/*\" }");
	fails_first(ADDR "quarantine tags \"\"",
		    "t.conf:2:17: invalid tag '', expected a YARA tag: 1 to 128 letters, "
		    "digits or '_', not starting with a digit");
	fails_first(ADDR "quarantine tags \"2bad\"",
		    "t.conf:2:17: invalid tag '2bad', expected a YARA tag: 1 to 128 "
		    "letters, digits or '_', not starting with a digit");
	fails_first(ADDR "quarantine tags \"mal-ware\"",
		    "t.conf:2:17: invalid tag 'mal-ware', expected a YARA tag: 1 to 128 "
		    "letters, digits or '_', not starting with a digit");
}

static void test_ports_differ(void **state)
{
	(void)state;
	/* the sensor port and the enrolment port, over the whole load */
	fails_with(ADDR "console port 8443\n",
		   "t.conf:2:14: console port 8443 is also the console's enroll-port, "
		   "expected another port\n"
		   "console port 8443\n"
		   "             ^~~~");
	fails_first(ADDR "console enroll-port 7443",
		    "t.conf:2:21: console enroll-port 7443 is also the console's port "
		    "(for sensors), expected another port");
	/* a later statement mends it */
	ok(ADDR "console { port 8443 enroll-port 443 }");
	assert_int_equal(c.console_port, 8443);
	assert_int_equal(c.enroll_port, 443);
}

static void test_string_errors(void **state)
{
	static const char nul_str[] = "console address \"a\0b\"";

	(void)state;
	ok(ADDR "scan path \"/a \\\"quoted\\\" \\\\ dir\"");
	has(&c.scan_paths, 1, "/a \"quoted\" \\ dir");
	fails_with(ADDR "dir \"/var\nscan { }",
		   "t.conf:2:5: unterminated string: end of line before the closing '\"'\n"
		   "dir \"/var\n"
		   "    ^~~~~");
	fails_first(ADDR "dir \"/a\\nb\"",
		    "t.conf:2:8: invalid escape '\\n' in a string, expected \\\" or \\\\");
	fails_first(ADDR "dir \"/a\x01\"", "t.conf:2:8: control character 0x01 in a string");
	aconf_free(&c);
	aconf_defaults(&c);
	assert_int_equal(aconf_load_buffer("t.conf", nul_str, sizeof(nul_str) - 1,
					   "/", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1:19: NUL byte in a string\n"
				 "console address \"a?b\"\n"
				 "                  ^");
	fails_first(ADDR "@", "t.conf:2:1: unexpected character '@'");
	fails_first("\xc3\xa9", "t.conf:1:1: unexpected byte 0xc3");
}

static void test_error_leaves_config_unchanged(void **state)
{
	struct agent_conf before;

	(void)state;
	aconf_free(&c);
	aconf_defaults(&c);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "scan path \"/a\""), NULL,
					   &c, err, sizeof(err)), 0);
	before = c;
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "scan path \"/b\" "
						     "scan threads 999"),
					   NULL, &c, err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
	has(&c.scan_paths, 1, "/a");
	/* an error found only at the end of the load, too */
	assert_int_equal(aconf_load_buffer("t.conf", TXT("scan path \"/b\" "
						     "console port 8443"),
					   NULL, &c, err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_small_error_buffer(void **state)
{
	char small[16];

	(void)state;
	aconf_free(&c);
	aconf_defaults(&c);
	assert_int_equal(aconf_load_buffer("t.conf", "x", 1, NULL, &c, small,
					   sizeof(small)), -1);
	assert_string_equal(small, "t.conf:1:1: une");
	assert_int_equal(aconf_load_buffer("t.conf", "x", 1, NULL, &c, NULL, 0), -1);
	/* deferred errors and the missing address, without a buffer */
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "console port 8443"),
					   NULL, &c, NULL, 0), -1);
	assert_int_equal(aconf_load_buffer("t.conf", "", 0, NULL, &c, NULL, 0), -1);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(ADDR "console port 8443"),
					   NULL, &c, small, sizeof(small)), -1);
	assert_string_equal(small, "t.conf:2:14: co");
}

static void test_load_errors(void **state)
{
	(void)state;
	aconf_free(&c);
	aconf_defaults(&c);
	assert_int_equal(aconf_load(tmp("no-such.conf"), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such.conf: cannot read: No such file or directory"));
	assert_int_equal(aconf_load(tmpdir, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": cannot read: not a regular file"));
}

static void test_allow(void **state)
{
	(void)state;
	ok("console address \"c\"\n"
	   "allow { sha256 \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\" "
	   "path \"/opt/tools/*\" }\nallow path \"*.fp\"\n");
	assert_int_equal(c.allow_sha256.n, 1);
	assert_string_equal(c.allow_sha256.v[0],
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(c.allow_paths.n, 2);
	assert_string_equal(c.allow_paths.v[1], "*.fp");
	fails_first("console address \"c\"\nallow sha256 \"e3b0c442\"\n",
		    "t.conf:2:14: invalid sha256 'e3b0c442', expected 64 hex digits as sha256sum "
		    "prints them");
	fails_first("console address \"c\"\nallow path \"tools/*\"\n",
		    "t.conf:2:12: glob 'tools/*' never matches, as it is matched against full "
		    "paths: expected a pattern that starts with '/' or '*', such as \"*/tools/*\"");
}

/* aconf_print(a) loaded into a fresh struct must give a's values. */
static void round_trip(const struct agent_conf *a)
{
	const struct aconf_list *la[7] = { &a->scan_paths, &a->scan_include,
					   &a->scan_exclude, &a->watch,
					   &a->quarantine_tags, &a->allow_sha256,
					   &a->allow_paths };
	struct agent_conf b;
	struct aconf_list *lb[7] = { &b.scan_paths, &b.scan_include,
				     &b.scan_exclude, &b.watch,
				     &b.quarantine_tags, &b.allow_sha256, &b.allow_paths };
	struct aconf_list own[7];
	FILE *f = fopen(tmp("print.conf"), "w");
	int k, i;

	assert_non_null(f);
	assert_int_equal(aconf_print(f, a), 0);
	assert_int_equal(fclose(f), 0);
	aconf_defaults(&b);
	if (aconf_load(tmp("print.conf"), &b, err, sizeof(err)) != 0)
		fail_msg("printed text does not load: %s", err);
	for (k = 0; k < 7; k++) {
		assert_int_equal(la[k]->n, lb[k]->n);
		for (i = 0; i < la[k]->n; i++)
			assert_string_equal(la[k]->v[i], lb[k]->v[i]);
		/* the rest of the struct compared with the list pointers made equal */
		own[k] = *lb[k];
		*lb[k] = *la[k];
	}
	assert_memory_equal(&b, a, sizeof(b));
	for (k = 0; k < 7; k++)
		*lb[k] = own[k];
	aconf_free(&b);
}

static void test_print_round_trip(void **state)
{
	struct agent_conf a;
	char *text;
	size_t n;
	FILE *f;

	(void)state;
	/* every setting away from its default */
	aconf_defaults(&a);
	assert_int_equal(aconf_load_buffer("t.conf", TXT(
		"console { address \"c.example\" port 1 enroll-port 2 "
		"proxy \"http://p:3\" }\n"
		"dir \"/d\" spool-size 17MB heartbeat 61s rules \"/r \\\"x\\\"\"\n"
		"log level debug\n"
		"scan { path { \"/a\" \"/b\" } include \"*.exe\" exclude \"/a/*\" "
		"watch \"/a\" max-size 1025 cross-filesystems yes file-timeout 90s "
		"threads 3 cpu 7% schedule every 25h }\n"
		"cache entries 1001\n"
		"quarantine { tags { \"t1\" \"t2\" } severity 2 dir \"/q\" }\n"
		"allow { sha256 \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\" path { \"/opt/tools/*\" \"*.fp\" } }\n"),
		NULL, &a, err, sizeof(err)), 0);
	round_trip(&a);
	/* the defaults, and a daily schedule, and a quarantine dir left to dir */
	aconf_free(&a);
	aconf_defaults(&a);
	memcpy(a.console_host, "c", 2);
	a.sched_minute = 9 * 60 + 5;
	round_trip(&a);
	f = open_memstream(&text, &n);
	assert_non_null(f);
	assert_int_equal(aconf_print(f, &a), 0);
	fclose(f);
	assert_non_null(strstr(text, "\tschedule daily 09:05\n"));
	assert_non_null(strstr(text, "\t# dir: DIR/quarantine, as it follows dir\n"));
	free(text);
	/* without an address the text says so, and does not load */
	a.console_host[0] = '\0';
	f = open_memstream(&text, &n);
	assert_non_null(f);
	assert_int_equal(aconf_print(f, &a), 0);
	fclose(f);
	assert_non_null(strstr(text, "\t# address: not set, and required\n"));
	assert_int_equal(aconf_load_buffer("p.conf", text, n, NULL, &a, err,
					   sizeof(err)), -1);
	free(text);
	/* a string the grammar cannot hold */
	memcpy(a.console_host, "a\nb", 4);
	f = open_memstream(&text, &n);
	assert_non_null(f);
	assert_int_equal(aconf_print(f, &a), -1);
	fclose(f);
	free(text);
	aconf_free(&a);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	aconf_defaults(&c);
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_aconf.XXXXXX",
		 t != NULL && t[0] != '\0' ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	aconf_free(&c);
	return testfs_rm_tree(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_address_alone_keeps_defaults),
		cmocka_unit_test(test_every_setting),
		cmocka_unit_test(test_group_forms),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_list_bounds),
		cmocka_unit_test(test_lists_replace),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_quarantine_dir_follows),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_ports_differ),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_error_leaves_config_unchanged),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_print_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
