/*
 * test_conf.c - unit tests of kastrod.conf parsing (daemon/conf.c and its
 * grammar): defaults, every statement, units, paths, includes, and the exact
 * text of each kind of error.
 *
 * Files for the path and include tests go to a fresh directory under
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

#include "conf.h"

static char tmpdir[256];   /* short, so paths under it always fit */
static struct kastrod_conf c;
static char err[8192];

/* Parse text as "t.conf" (relative paths start at the cwd) over defaults. */
static int parse(const char *text)
{
	conf_defaults(&c);
	return conf_load_buffer("t.conf", text, strlen(text), &c, err,
				sizeof(err));
}

#define CFGCHECK_FILES
#include "cfgcheck.h"

static int load_file(const char *name)
{
	conf_defaults(&c);
	return conf_load(tmp(name), &c, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.user, "kastro");
	assert_string_equal(c.eve_path, "");
	assert_string_equal(c.ndpi_protocols, "");
	assert_string_equal(c.ndpi_categories, "");
	assert_string_equal(c.ndpi_risky_domains, "");
	assert_string_equal(c.ndpi_ja3, "");
	assert_string_equal(c.ndpi_sha1, "");
	assert_int_equal(c.max_flows, 262144);
	assert_int_equal(c.dpi_memcap, 256u << 20);
	assert_int_equal(c.timeout[CONF_TO_TCP_NEW], 30);
	assert_int_equal(c.timeout[CONF_TO_TCP_EST], 3600);
	assert_int_equal(c.timeout[CONF_TO_TCP_CLOSED], 10);
	assert_int_equal(c.timeout[CONF_TO_UDP], 120);
	assert_int_equal(c.timeout[CONF_TO_ICMP], 30);
	assert_int_equal(c.timeout[CONF_TO_OTHER], 60);
	assert_int_equal(c.active_timeout, 300);
	assert_int_equal(c.n_ifaces, 0);
	assert_int_equal(c.snaplen, 65535);
	assert_int_equal(c.buffer_size, 32u << 20);
	assert_true(c.promisc);
}

static void test_empty_and_comments_keep_defaults(void **state)
{
	struct kastrod_conf d;

	(void)state;
	conf_defaults(&d);
	ok("");
	assert_memory_equal(&c, &d, sizeof(c));
	ok("# nothing here\n\n   ;;  # still nothing\n#");
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_every_statement(void **state)
{
	(void)state;
	ok("user \"nobody\"\n"
	   "eve \"/var/log/kastro/eve.json\"\n"
	   "interfaces { \"eth1\" \"eth2\" }\n"
	   "ndpi {\n"
	   "\tprotocols \"/usr/share/p.txt\"\n"
	   "\tcategories \"/c.txt\"\n"
	   "\trisky-domains \"/r.txt\"\n"
	   "\tja3-blacklist \"/ja3.csv\"\n"
	   "\tsha1-blacklist \"/sha1.csv\"\n"
	   "}\n"
	   "flows {\n"
	   "\tmax 1000\n"
	   "\tdpi-memcap 64MB\n"
	   "\ttimeout tcp-new 20s\n"
	   "\ttimeout tcp 2h\n"
	   "\ttimeout tcp-closed 5s\n"
	   "\ttimeout udp 2m\n"
	   "\ttimeout icmp 15\n"
	   "\ttimeout other 1m\n"
	   "\tactive-timeout 10m\n"
	   "}\n"
	   "capture {\n"
	   "\tsnaplen 1514\n"
	   "\tbuffer 64MB\n"
	   "\tpromisc no\n"
	   "}\n");
	assert_string_equal(c.user, "nobody");
	assert_string_equal(c.eve_path, "/var/log/kastro/eve.json");
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[0], "eth1");
	assert_string_equal(c.ifaces[1], "eth2");
	assert_string_equal(c.ndpi_protocols, "/usr/share/p.txt");
	assert_string_equal(c.ndpi_categories, "/c.txt");
	assert_string_equal(c.ndpi_risky_domains, "/r.txt");
	assert_string_equal(c.ndpi_ja3, "/ja3.csv");
	assert_string_equal(c.ndpi_sha1, "/sha1.csv");
	assert_int_equal(c.max_flows, 1000);
	assert_int_equal(c.dpi_memcap, 64u << 20);
	assert_int_equal(c.timeout[CONF_TO_TCP_NEW], 20);
	assert_int_equal(c.timeout[CONF_TO_TCP_EST], 7200);
	assert_int_equal(c.timeout[CONF_TO_TCP_CLOSED], 5);
	assert_int_equal(c.timeout[CONF_TO_UDP], 120);
	assert_int_equal(c.timeout[CONF_TO_ICMP], 15);
	assert_int_equal(c.timeout[CONF_TO_OTHER], 60);
	assert_int_equal(c.active_timeout, 600);
	assert_int_equal(c.snaplen, 1514);
	assert_int_equal(c.buffer_size, 64u << 20);
	assert_false(c.promisc);

	ok("capture { promisc no } capture { promisc yes }");
	assert_true(c.promisc);
	ok("interfaces \"wlan0\"");
	assert_int_equal(c.n_ifaces, 1);
	assert_string_equal(c.ifaces[0], "wlan0");
	ok("eve \"-\"");
	assert_string_equal(c.eve_path, "-");
	ok("eve \"/x\" eve \"\"");
	assert_string_equal(c.eve_path, "");
	ok("user \"_kastro-2.x\"");
	assert_string_equal(c.user, "_kastro-2.x");
}

static void test_one_line_blocks_and_separators(void **state)
{
	(void)state;
	ok("flows { max 1000; timeout udp 60s }");
	assert_int_equal(c.max_flows, 1000);
	assert_int_equal(c.timeout[CONF_TO_UDP], 60);
	ok("flows{max 7;;}capture{snaplen 100;promisc no;};user \"u\";");
	assert_int_equal(c.max_flows, 7);
	assert_int_equal(c.snaplen, 100);
	assert_false(c.promisc);
	assert_string_equal(c.user, "u");
	ok("flows {\n}\nndpi {}\ncapture { }\ninterfaces { }");
	ok("interfaces { \"a\"; \"b\"; }");
	assert_int_equal(c.n_ifaces, 2);
	/* comments anywhere, CRLF line ends, tabs */
	ok("flows { # the table\r\n\tmax 5 # five\r\n} # end\r\n");
	assert_int_equal(c.max_flows, 5);
}

static void test_units(void **state)
{
	static const struct { const char *text; uint64_t v; } sizes[] = {
		{ "1048576", 1048576 }, { "1024KB", 1 << 20 }, { "2048K", 2 << 20 },
		{ "256MB", 256u << 20 }, { "3M", 3u << 20 },
		{ "1GB", UINT64_C(1) << 30 }, { "2G", UINT64_C(2) << 30 },
		{ "0", 0 },
	};
	static const struct { const char *text; uint32_t v; } durations[] = {
		{ "45", 45 }, { "30s", 30 }, { "5m", 300 }, { "1h", 3600 },
		{ "1d", 86400 }, { "7d", 604800 },
	};
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(text, sizeof(text), "flows { dpi-memcap %s }", sizes[i].text);
		ok(text);
		assert_int_equal(c.dpi_memcap, sizes[i].v);
	}
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		snprintf(text, sizeof(text), "flows { timeout other %s }",
			 durations[i].text);
		ok(text);
		assert_int_equal(c.timeout[CONF_TO_OTHER], durations[i].v);
	}
	ok("capture { buffer 64KB snaplen 256KB }");
	assert_int_equal(c.buffer_size, 64 << 10);
	assert_int_equal(c.snaplen, 262144);
	ok("flows { active-timeout 0 }");
	assert_int_equal(c.active_timeout, 0);
	ok("flows { max 16777216 }");
	assert_int_equal(c.max_flows, 16777216);
}

static void test_relative_paths(void **state)
{
	char want[2 * PATH_MAX], cwd[PATH_MAX];

	(void)state;
	put("k.conf", "eve \"eve.json\"\n"
		      "ndpi { protocols \"./lists/protos.txt\"\n"
		      "       categories \"/abs/cat.txt\" }\n");
	assert_int_equal(load_file("k.conf"), 0);
	snprintf(want, sizeof(want), "%s/eve.json", tmpdir);
	assert_string_equal(c.eve_path, want);
	snprintf(want, sizeof(want), "%s/lists/protos.txt", tmpdir);
	assert_string_equal(c.ndpi_protocols, want);
	assert_string_equal(c.ndpi_categories, "/abs/cat.txt");

	/* a buffer's directory is that of its name, from the cwd */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	ok("ndpi { ja3-blacklist \"ja3.csv\" }");
	snprintf(want, sizeof(want), "%s/ja3.csv", cwd);
	assert_string_equal(c.ndpi_ja3, want);
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("/etc/kastro/kastrod.conf",
					  "eve \"e.json\"", 12, &c, err,
					  sizeof(err)), 0);
	assert_string_equal(c.eve_path, "/etc/kastro/e.json");
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("/k.conf", "eve \"e.json\"", 12, &c,
					  err, sizeof(err)), 0);
	assert_string_equal(c.eve_path, "/e.json");
}

static void test_path_too_long(void **state)
{
	static char text[PATH_MAX + 64];
	size_t n;

	(void)state;
	/* 4094 bytes: fits as a string and as "/" + it, not under a dir */
	n = (size_t)snprintf(text, sizeof(text), "eve \"");
	memset(text + n, 'a', PATH_MAX - 2);
	memcpy(text + n + PATH_MAX - 2, "\"", 2);
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("/k.conf", text, strlen(text), &c,
					  err, sizeof(err)), 0);
	assert_int_equal(strlen(c.eve_path), PATH_MAX - 1);
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("/etc/k.conf", text, strlen(text), &c,
					  err, sizeof(err)), -1);
	assert_memory_equal(err, "/etc/k.conf:1:5: path 'aaaa", 26);
	assert_non_null(strstr(err, "' is too long once made absolute, the limit is 4095 bytes\n"));

	/* one more byte and the string itself is too long */
	memset(text + n, 'a', PATH_MAX);
	memcpy(text + n + PATH_MAX, "\"", 2);
	fails_first(text, "t.conf:1:5: string too long, the limit is 4095 bytes");
}

static void test_include(void **state)
{
	char want[2 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(tmp("sub"), 0700), 0);
	put("sub/flows.conf", "flows { max 42 }\neve \"here.json\"\n"
			      "include \"more.conf\"\n");
	put("sub/more.conf", "user \"inc\"");
	put("top.conf", "include \"sub/flows.conf\"\ncapture { snaplen 128 }\n");
	assert_int_equal(load_file("top.conf"), 0);
	assert_int_equal(c.max_flows, 42);
	assert_int_equal(c.snaplen, 128);
	assert_string_equal(c.user, "inc");
	snprintf(want, sizeof(want), "%s/sub/here.json", tmpdir);
	assert_string_equal(c.eve_path, want);

	/* the same file twice, not nested, is no cycle */
	put("twice.conf", "include \"sub/more.conf\" include \"sub/more.conf\"");
	assert_int_equal(load_file("twice.conf"), 0);
}

static void test_include_errors(void **state)
{
	char want[2 * PATH_MAX];
	int i;

	(void)state;
	/* an error inside an include names the included file */
	put("bad.conf", "\n  flows { max 0 }\n");
	put("inc_bad.conf", "include \"bad.conf\"\n");
	assert_int_equal(load_file("inc_bad.conf"), -1);
	snprintf(want, sizeof(want), "%s/bad.conf:2:15: flows max 0 is out of range, "
		 "expected 1 .. 16777216\n  flows { max 0 }\n              ^", tmpdir);
	assert_string_equal(err, want);

	put("missing.conf", "include \"nowhere.conf\"");
	assert_int_equal(load_file("missing.conf"), -1);
	snprintf(want, sizeof(want), "%s/missing.conf:1:9: cannot include '",
		 tmpdir);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "': No such file or directory\n"));

	put("dir.conf", "include \".\"");
	assert_int_equal(load_file("dir.conf"), -1);
	assert_non_null(strstr(err, ": not a regular file\n"));

	fails_first("include \"\"", "t.conf:1:9: empty file name in include");

	/* cycles: a file including itself, and a -> b -> a */
	put("self.conf", "include \"self.conf\"");
	assert_int_equal(load_file("self.conf"), -1);
	snprintf(want, sizeof(want), "%s/self.conf:1:9: include cycle: '", tmpdir);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "' is already being read\n"));
	put("a.conf", "user \"a\"\ninclude \"b.conf\"");
	put("b.conf", "include \"a.conf\"");
	assert_int_equal(load_file("a.conf"), -1);
	snprintf(want, sizeof(want), "%s/b.conf:1:9: include cycle: '", tmpdir);
	assert_memory_equal(err, want, strlen(want));

	/* depth: d0 includes d1 ... includes d8 is fine, d9 is one too many */
	for (i = 0; i <= 9; i++) {
		char name[32], text[64];

		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(text, sizeof(text), "include \"d%d.conf\"", i + 1);
		put(name, i == 8 || i == 9 ? "flows { max 8 }" : text);
	}
	assert_int_equal(load_file("d0.conf"), 0);
	assert_int_equal(c.max_flows, 8);
	put("d8.conf", "include \"d9.conf\"");
	assert_int_equal(load_file("d0.conf"), -1);
	snprintf(want, sizeof(want), "%s/d8.conf:1:9: includes nested too deeply, "
		 "the limit is 8", tmpdir);
	assert_memory_equal(err, want, strlen(want));
}

static void test_load_errors(void **state)
{
	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_load(tmp("no-such.conf"), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such.conf: cannot read: No such file or directory"));
	assert_int_equal(conf_load(tmpdir, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": cannot read: not a regular file"));
}

static void test_error_format(void **state)
{
	(void)state;
	/* the example from the design: line, column, source line, carets */
	fails_with("# flows\n"
		   "flows {\n"
		   "\tmax 1000\n"
		   "\ttimeout tcpp 30s\n"
		   "}\n",
		   "t.conf:4:10: unknown timeout class 'tcpp', expected one of: "
		   "tcp, tcp-new, tcp-closed, udp, icmp, other; did you mean 'tcp'?\n"
		   "\ttimeout tcpp 30s\n"
		   "\t        ^~~~");
	fails_with("usr \"kastro\"",
		   "t.conf:1:1: unexpected 'usr', expected one of: user, include, "
		   "eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes; did you mean 'user'?\n"
		   "usr \"kastro\"\n"
		   "^~~");
	fails_with("flows { max 10",
		   "t.conf:1:15: unexpected end of file, expected one of: max, "
		   "dpi-memcap, timeout, active-timeout, '}'\n"
		   "flows { max 10\n"
		   "              ^");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	fails_first("user kastro",
		    "t.conf:1:6: unexpected 'kastro', expected a string");
	fails_first("user \"a\" }",
		    "t.conf:1:10: unexpected '}', expected one of: include, user, "
		    "eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes");
	fails_first("interfaces eth1",
		    "t.conf:1:12: unexpected 'eth1', expected one of: a string, '{'");
	fails_first("flows { snaplen 100 }",
		    "t.conf:1:9: unexpected 'snaplen', expected one of: max, "
		    "dpi-memcap, timeout, active-timeout, '}'");
	fails_first("capture { promisc true }",
		    "t.conf:1:19: unexpected 'true', expected one of: yes, no");
	fails_first("flows { max }",
		    "t.conf:1:13: unexpected '}', expected a number");
	fails_first("flows { timeout 30s }",
		    "t.conf:1:17: unexpected number '30s', expected a timeout class "
		    "(tcp-new, tcp, tcp-closed, udp, icmp, other)");
	fails_first("\"eth0\"",
		    "t.conf:1:1: unexpected string \"eth0\", expected one of: include, "
		    "user, eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes");
	fails_first("capture {\n\tbufer 1MB\n}",
		    "t.conf:2:2: unexpected 'bufer', expected one of: buffer, "
		    "snaplen, promisc, '}'; did you mean 'buffer'?");
}

static void test_number_errors(void **state)
{
	(void)state;
	fails_first("capture { buffer 5m }",
		    "t.conf:1:18: '5m' is a duration, expected a size such as "
		    "1024, 64KB, 256MB or 1GB");
	fails_first("flows { timeout udp 1MB }",
		    "t.conf:1:21: '1MB' is a size, expected a duration such as "
		    "30s, 5m, 1h or 1d");
	fails_first("flows { max 10K }",
		    "t.conf:1:13: '10K' has a unit, expected a plain number");
	fails_first("capture { buffer 5mb }",
		    "t.conf:1:18: unknown unit 'mb' in '5mb', expected K, KB, M, MB, "
		    "G or GB; did you mean 'MB'?");
	fails_first("flows { timeout udp 5min }",
		    "t.conf:1:21: unknown unit 'min' in '5min', expected s, m, h or d");
	fails_first("flows { timeout udp 1.5h }",
		    "t.conf:1:21: '1.5h' is not a number, expected a duration such "
		    "as 30s, 5m, 1h or 1d");
	fails_first("flows { max 0x10 }",
		    "t.conf:1:13: '0x10' is not a number, expected a plain number");
	fails_first("flows { max 0 }",
		    "t.conf:1:13: flows max 0 is out of range, expected 1 .. 16777216");
	fails_first("flows { max 16777217 }",
		    "t.conf:1:13: flows max 16777217 is out of range, expected 1 .. 16777216");
	fails_first("flows { max 18446744073709551616 }",
		    "t.conf:1:13: '18446744073709551616' is too large");
	fails_first("flows { dpi-memcap 17179869184GB }",
		    "t.conf:1:20: '17179869184GB' is too large");
	fails_first("flows { dpi-memcap 100 }",
		    "t.conf:1:20: flows dpi-memcap 100 is out of range, expected 0 "
		    "or 1MB .. 1024GB");
	fails_first("flows { timeout udp 0 }",
		    "t.conf:1:21: flows timeout udp 0 is out of range, expected 1s .. 7d");
	fails_first("flows { active-timeout 2d }",
		    "t.conf:1:24: flows active-timeout 2d is out of range, expected 0s .. 1d");
	fails_first("capture { snaplen 63 }",
		    "t.conf:1:19: capture snaplen 63 is out of range, expected 64 .. 256KB");
	fails_first("capture { buffer 2GB }",
		    "t.conf:1:18: capture buffer 2GB is out of range, expected 64KB .. 1GB");
	fails_first("flows { max -1 }",
		    "t.conf:1:13: unexpected character '-'");
}

static void test_value_errors(void **state)
{
	char text[512];
	int i, n;

	(void)state;
	fails_first("interfaces { \"eth1\" \"eth2\" \"eth1\" }",
		    "t.conf:1:28: duplicate interface \"eth1\"");
	fails_first("interfaces \"eth1\" interfaces { \"eth1\" }",
		    "t.conf:1:32: duplicate interface \"eth1\"");
	fails_first("interfaces \"eth1:0\"",
		    "t.conf:1:12: invalid interface name \"eth1:0\", expected 1 to 15 "
		    "bytes without '/', ':' or spaces");
	fails_first("interfaces { \"a/b\" }",
		    "t.conf:1:14: invalid interface name \"a/b\", expected 1 to 15 "
		    "bytes without '/', ':' or spaces");
	fails_first("interfaces { \"a b\" }",
		    "t.conf:1:14: invalid interface name \"a b\", expected 1 to 15 "
		    "bytes without '/', ':' or spaces");
	fails_first("interfaces \"\"",
		    "t.conf:1:12: invalid interface name \"\", expected 1 to 15 "
		    "bytes without '/', ':' or spaces");
	fails_first("interfaces \"0123456789abcdef\"",
		    "t.conf:1:12: invalid interface name \"0123456789abcdef\", "
		    "expected 1 to 15 bytes without '/', ':' or spaces");
	ok("interfaces \"0123456789abcde\"");
	assert_string_equal(c.ifaces[0], "0123456789abcde");

	n = snprintf(text, sizeof(text), "interfaces {");
	for (i = 0; i < CONF_MAX_IFACES; i++)
		n += snprintf(text + n, sizeof(text) - n, " \"e%d\"", i);
	snprintf(text + n, sizeof(text) - n, " }");
	ok(text);
	assert_int_equal(c.n_ifaces, CONF_MAX_IFACES);
	snprintf(text + n, sizeof(text) - n, " \"x\" }");
	fails_first(text, "t.conf:1:100: too many interfaces, the limit is 16");

	fails_first("user \"\"",
		    "t.conf:1:6: invalid user name \"\", expected 1 to 32 letters, "
		    "digits, '_', '-' or '.', not starting with '-'");
	fails_first("user \"-x\"",
		    "t.conf:1:6: invalid user name \"-x\", expected 1 to 32 letters, "
		    "digits, '_', '-' or '.', not starting with '-'");
	fails_first("user \"root;rm\"",
		    "t.conf:1:6: invalid user name \"root;rm\", expected 1 to 32 "
		    "letters, digits, '_', '-' or '.', not starting with '-'");
}

static void test_string_errors(void **state)
{
	static const char nul_str[] = "user \"ka\0stro\"";
	static const char nul_top[] = "user \"kastro\"\n\0";
	static const char nul_comment[] = "# a \0 in a comment\n";

	(void)state;
	ok("eve \"/a \\\"quoted\\\" \\\\ name\"");
	assert_string_equal(c.eve_path, "/a \"quoted\" \\ name");
	fails_with("user \"kastro\nflows { }",
		   "t.conf:1:6: unterminated string: end of line before the closing '\"'\n"
		   "user \"kastro\n"
		   "     ^~~~~~~");
	fails_first("user \"kastro",
		    "t.conf:1:6: unterminated string: end of file before the closing '\"'");
	fails_first("user \"a\\nb\"",
		    "t.conf:1:8: invalid escape '\\n' in a string, expected \\\" or \\\\");
	fails_first("user \"a\\",
		    "t.conf:1:8: invalid escape in a string, expected \\\" or \\\\");
	fails_first("user \"a\tb\x01\"",
		    "t.conf:1:10: control character 0x01 in a string");

	/* NUL bytes: in a string, between statements, in a comment */
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("t.conf", nul_str, sizeof(nul_str) - 1,
					  &c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1:9: NUL byte in a string\n"
				 "user \"ka?stro\"\n"
				 "        ^");
	assert_int_equal(conf_load_buffer("t.conf", nul_top, sizeof(nul_top) - 1,
					  &c, err, sizeof(err)), -1);
	assert_memory_equal(err, "t.conf:2:1: NUL byte in the file\n", 32);
	assert_int_equal(conf_load_buffer("t.conf", nul_comment,
					  sizeof(nul_comment) - 1, &c, err,
					  sizeof(err)), -1);
	assert_memory_equal(err, "t.conf:1:5: NUL byte in the file\n", 32);

	fails_first("user \"x\" @", "t.conf:1:10: unexpected character '@'");
	fails_first("\xc3\xa9", "t.conf:1:1: unexpected byte 0xc3");
}

static void test_long_tokens(void **state)
{
	size_t big = 200000, n;
	char *text = malloc(big + 64);

	(void)state;
	assert_non_null(text);
	/* a huge word: the message quotes 40 bytes, shows a window of the line */
	memset(text, 'x', big);
	text[big] = '\0';
	fails_first(text, "t.conf:1:1: unexpected 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...', "
			  "expected one of: include, user, eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes");
	assert_true(strlen(err) < 600);

	/* a huge number */
	n = (size_t)snprintf(text, 64, "flows { max ");
	memset(text + n, '9', big);
	snprintf(text + n + big, 64, " }");
	fails_first(text, "t.conf:1:13: '9999999999999999999999999999999999999999...' is too large");

	/* a huge comment is fine; a token after a long line is located */
	text[0] = '#';
	memset(text + 1, 'c', big);
	snprintf(text + 1 + big, 64, "\n   flows { max 0 }");
	fails_with(text, "t.conf:2:16: flows max 0 is out of range, expected 1 .. 16777216\n"
			 "   flows { max 0 }\n"
			 "               ^");

	/* a token far into a long line: shown in a window with "..." */
	memset(text, ' ', big);
	snprintf(text + big, 64, "bogus");
	fails_first(text, "t.conf:1:200001: unexpected 'bogus', expected one of: "
			  "include, user, eve, interfaces, ndpi, flows, capture, inline, inventory, src-nodes");
	assert_non_null(strstr(err, "\n...                                        "));
	assert_non_null(strstr(err, "bogus\n   "));
	assert_true(strlen(err) < 600);
	free(text);
}

static void test_small_error_buffer(void **state)
{
	char small[16];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(conf_load_buffer("t.conf", "x", 1, &c, small,
					  sizeof(small)), -1);
	assert_string_equal(small, "t.conf:1:1: une");
	assert_int_equal(conf_load_buffer("t.conf", "x", 1, &c, NULL, 0), -1);
}

static void test_error_leaves_config_unchanged(void **state)
{
	struct kastrod_conf before;

	(void)state;
	conf_defaults(&c);
	before = c;
	assert_int_equal(conf_load_buffer("t.conf", "flows { max 5 } user 7", 22,
					  &c, err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_reload_replaces_interfaces(void **state)
{
	(void)state;
	ok("interfaces { \"eth1\" \"eth2\" }");
	/* over a previous configuration: its list is replaced, not extended */
	assert_int_equal(conf_load_buffer("t.conf", "interfaces \"eth2\"", 17, &c,
					  err, sizeof(err)), 0);
	assert_int_equal(c.n_ifaces, 1);
	assert_string_equal(c.ifaces[0], "eth2");
	assert_int_equal(conf_load_buffer("t.conf", "interfaces { }", 14, &c,
					  err, sizeof(err)), 0);
	assert_int_equal(c.n_ifaces, 0);
	/* and kept when the file does not name any */
	ok("interfaces \"eth1\"");
	assert_int_equal(conf_load_buffer("t.conf", "user \"u\"", 8, &c, err,
					  sizeof(err)), 0);
	assert_int_equal(c.n_ifaces, 1);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_conf.XXXXXX",
		 t != NULL && t[0] != '\0' ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return testfs_rm_tree(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_and_comments_keep_defaults),
		cmocka_unit_test(test_every_statement),
		cmocka_unit_test(test_one_line_blocks_and_separators),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_long_tokens),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_error_leaves_config_unchanged),
		cmocka_unit_test(test_reload_replaces_interfaces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
