/*
 * test_cconf.c - unit tests of console.conf parsing (console/cconf.c and
 * its grammar): defaults, every statement in both group forms, listeners,
 * paths and includes, the exact text of each kind of error, and the
 * default file that `kastro-console init` writes.
 *
 * Files for the path, include and write tests go to a fresh directory
 * under $TMPDIR (or /tmp), removed at the end.
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

#include "cconf.h"

#define DATA "data \"/d\"\n"   /* the statement every load needs */
#define TXT(s) (s), sizeof(s) - 1  /* a literal and its length */

static char tmpdir[256];   /* short, so paths under it always fit */
static struct console_conf c;
static char err[8192];

/* Parse text as "t.conf" over defaults; relative paths start at "/etc/k". */
static int parse(const char *text)
{
	cconf_defaults(&c);
	return cconf_load_buffer("t.conf", text, strlen(text), "/etc/k", &c, err,
				 sizeof(err));
}

#define CFGCHECK_FILES
#include "cfgcheck.h"

static int load_file(const char *name)
{
	cconf_defaults(&c);
	return cconf_load(tmp(name), &c, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	cconf_defaults(&c);
	assert_string_equal(c.data_dir, "");
	assert_int_equal(c.n_https, 1);
	assert_string_equal(c.https[0].addr, "*");
	assert_int_equal(c.https[0].port, 8443);
	assert_int_equal(c.n_sensors, 1);
	assert_string_equal(c.sensors[0].addr, "*");
	assert_int_equal(c.sensors[0].port, 7443);
	assert_string_equal(c.control_path, "/run/kastro/console.sock");
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	assert_int_equal(c.sensor_offline_after, 300);
	assert_int_equal(c.cert_days, 365);
	assert_int_equal(c.token_ttl_default, 3600);
	assert_int_equal(c.dedup_window, 3600);
	assert_int_equal(c.session_idle, 1800);
	assert_int_equal(c.session_absolute, 12 * 3600);
	assert_int_equal(c.max_body, 4u << 20);
	assert_int_equal(c.max_headers, 16u << 10);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.request_timeout, 30);
	assert_int_equal(c.long_poll_max, 60);
}

static void test_data_alone_keeps_defaults(void **state)
{
	struct console_conf d;

	(void)state;
	cconf_defaults(&d);
	memcpy(d.data_dir, "/d", 3);
	ok("# only the data directory\n" DATA ";;\n#");
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_every_statement(void **state)
{
	(void)state;
	ok("# kastro-console configuration\n"
	   "data \"/var/lib/kastro-console\"\n"
	   "listen https on * port 443\n"
	   "listen sensors on 127.0.0.1 port 7443\n"
	   "listen sensors on ::1 port 7443\n"
	   "control \"/run/k/c.sock\"\n"
	   "log level debug\n"
	   "sensor offline-after 10m\n"
	   "sensor certificate-days 730\n"
	   "sensor enrolment-token-ttl 2h\n"
	   "alerts dedup-window 0\n"
	   "session idle 15m absolute 8h\n"
	   "limits { body 8MB headers 32KB connections 100 request-timeout 1m long-poll 2m }\n");
	assert_string_equal(c.data_dir, "/var/lib/kastro-console");
	assert_int_equal(c.n_https, 1);
	assert_string_equal(c.https[0].addr, "*");
	assert_int_equal(c.https[0].port, 443);
	assert_int_equal(c.n_sensors, 2);
	assert_string_equal(c.sensors[0].addr, "127.0.0.1");
	assert_int_equal(c.sensors[0].port, 7443);
	assert_string_equal(c.sensors[1].addr, "::1");
	assert_int_equal(c.sensors[1].port, 7443);
	assert_string_equal(c.control_path, "/run/k/c.sock");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.sensor_offline_after, 600);
	assert_int_equal(c.cert_days, 730);
	assert_int_equal(c.token_ttl_default, 7200);
	assert_int_equal(c.dedup_window, 0);
	assert_int_equal(c.session_idle, 900);
	assert_int_equal(c.session_absolute, 8 * 3600);
	assert_int_equal(c.max_body, 8u << 20);
	assert_int_equal(c.max_headers, 32u << 10);
	assert_int_equal(c.max_connections, 100);
	assert_int_equal(c.reserved, 100 / 16);         /* not set: a sixteenth */
	assert_int_equal(c.request_timeout, 60);
	assert_int_equal(c.long_poll_max, 120);

	ok(DATA "log level error");
	assert_int_equal(c.log_level, LOG_LVL_ERR);
	ok(DATA "log { level warning }");
	assert_int_equal(c.log_level, LOG_LVL_WARN);
	ok(DATA "log level info");
	assert_int_equal(c.log_level, LOG_LVL_INFO);
}

static void test_group_forms(void **state)
{
	(void)state;
	/* several settings after the keyword, or a block, with ';' anywhere */
	ok(DATA "sensor offline-after 1m certificate-days 1 enrolment-token-ttl 1m\n"
	   "session { idle 1h; absolute 1d; }\n"
	   "limits body 1KB headers 1KB; limits { connections 1 } ;\n"
	   "alerts { dedup-window 7d }\n");
	assert_int_equal(c.sensor_offline_after, 60);
	assert_int_equal(c.cert_days, 1);
	assert_int_equal(c.token_ttl_default, 60);
	assert_int_equal(c.session_idle, 3600);
	assert_int_equal(c.session_absolute, 86400);
	assert_int_equal(c.max_body, 1024);
	assert_int_equal(c.max_headers, 1024);
	assert_int_equal(c.max_connections, 1);
	assert_int_equal(c.dedup_window, 7 * 86400);
	/* empty blocks, comments, CRLF line ends, tabs */
	ok("sensor { }\r\nlimits {\r\n\t# nothing\r\n}\r\n" DATA);
	ok(DATA "limits { head-timeout 5s body-timeout 2m per-address 0 reserved 3 }");
	assert_int_equal(c.head_timeout, 5);
	assert_int_equal(c.body_timeout, 120);
	assert_int_equal(c.per_address, 0);
	assert_int_equal(c.reserved, 3);
	/* a later setting wins */
	ok(DATA "limits body 1MB\nlimits body 2MB");
	assert_int_equal(c.max_body, 2u << 20);
	/* the bounds of each range are accepted */
	ok(DATA "sensor offline-after 30s sensor offline-after 7d\n"
	   "sensor certificate-days 3650 enrolment-token-ttl 30d\n"
	   "session idle 1d absolute 30d\n"
	   "limits body 64MB headers 1MB connections 65535 "
	   "request-timeout 10m long-poll 10m\n");
	assert_int_equal(c.sensor_offline_after, 7 * 86400);
	assert_int_equal(c.cert_days, 3650);
	assert_int_equal(c.max_body, 64u << 20);
	assert_int_equal(c.max_headers, 1u << 20);
	assert_int_equal(c.max_connections, 65535);
	assert_int_equal(c.request_timeout, 600);
	assert_int_equal(c.long_poll_max, 600);
}

static void test_listen(void **state)
{
	(void)state;
	/* the port defaults to the kind's; addresses are kept canonical */
	ok(DATA "listen https on 10.0.0.1\nlisten sensors on 0:0:0:0:0:0:0:1\n"
	   "listen sensors on FE80::1 port 9000\n");
	assert_int_equal(c.n_https, 1);
	assert_string_equal(c.https[0].addr, "10.0.0.1");
	assert_int_equal(c.https[0].port, 8443);
	assert_int_equal(c.n_sensors, 2);
	assert_string_equal(c.sensors[0].addr, "::1");
	assert_int_equal(c.sensors[0].port, 7443);
	assert_string_equal(c.sensors[1].addr, "fe80::1");
	assert_int_equal(c.sensors[1].port, 9000);

	/* four of a kind; one address on several ports; v4 and v6 wildcards apart */
	ok(DATA "listen https on 0.0.0.0 port 1 listen https on :: port 1\n"
	   "listen https on 127.0.0.1 port 2 listen https on 127.0.0.1 port 3\n");
	assert_int_equal(c.n_https, 4);
	assert_string_equal(c.https[1].addr, "::");

	/* the other kind's default may be moved by a later statement */
	ok(DATA "listen sensors on * port 8443\nlisten https on * port 443\n");
	assert_int_equal(c.sensors[0].port, 8443);
	assert_int_equal(c.https[0].port, 443);

	/* over a previous configuration the first listen replaces, not extends */
	assert_int_equal(cconf_load_buffer("t.conf", TXT(DATA "listen https on ::1 port 444"),
					   NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_https, 1);
	assert_string_equal(c.https[0].addr, "::1");
	assert_int_equal(c.https[0].port, 444);
	assert_int_equal(c.n_sensors, 1);
	assert_int_equal(c.sensors[0].port, 8443);
}

static void test_relative_paths(void **state)
{
	char want[2 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(tmp("etc"), 0700), 0);
	put("etc/console.conf", "data \"lib/console\"\ncontrol \"./run/c.sock\"\n");
	assert_int_equal(load_file("etc/console.conf"), 0);
	snprintf(want, sizeof(want), "%s/etc/lib/console", tmpdir);
	assert_string_equal(c.data_dir, want);
	snprintf(want, sizeof(want), "%s/etc/run/c.sock", tmpdir);
	assert_string_equal(c.control_path, want);

	/* a buffer's paths start at dir, or at the directory of its name */
	ok("data \"var\"");
	assert_string_equal(c.data_dir, "/etc/k/var");
	cconf_defaults(&c);
	assert_int_equal(cconf_load_buffer("/srv/console.conf", TXT("data \"d\""),
					   NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "/srv/d");
	ok("data \"/abs/d\"");
	assert_string_equal(c.data_dir, "/abs/d");
}

static void test_include(void **state)
{
	char want[2 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(tmp("inc"), 0700), 0);
	put("inc/limits.conf", "limits body 2MB\ndata \"here\"\ninclude \"more.conf\"\n");
	put("inc/more.conf", "session idle 1h");
	put("top.conf", "include \"inc/limits.conf\"\nsensor certificate-days 10\n");
	assert_int_equal(load_file("top.conf"), 0);
	assert_int_equal(c.max_body, 2u << 20);
	assert_int_equal(c.cert_days, 10);
	assert_int_equal(c.session_idle, 3600);
	/* relative to the file that holds the statement */
	snprintf(want, sizeof(want), "%s/inc/here", tmpdir);
	assert_string_equal(c.data_dir, want);

	/* an error inside an include names the included file */
	put("inc/bad.conf", "\n  limits { body 0 }\n");
	put("inc_bad.conf", DATA "include \"inc/bad.conf\"\n");
	assert_int_equal(load_file("inc_bad.conf"), -1);
	snprintf(want, sizeof(want), "%s/inc/bad.conf:2:17: limits body 0 is out of "
		 "range, expected 1KB .. 64MB\n  limits { body 0 }\n                ^",
		 tmpdir);
	assert_string_equal(err, want);

	/* `data` twice across files */
	put("twice.conf", "data \"/a\"\ninclude \"inc/limits.conf\"\n");
	assert_int_equal(load_file("twice.conf"), -1);
	snprintf(want, sizeof(want), "%s/inc/limits.conf:2:6: duplicate 'data' "
		 "statement, the data directory is already set at %s:1:6", tmpdir,
		 tmp("twice.conf"));
	assert_memory_equal(err, want, strlen(want));

	put("self.conf", DATA "include \"self.conf\"");
	assert_int_equal(load_file("self.conf"), -1);
	snprintf(want, sizeof(want), "%s:2:9: include cycle: '", tmp("self.conf"));
	assert_memory_equal(err, want, strlen(want));
	put("missing.conf", DATA "include \"nowhere.conf\"");
	assert_int_equal(load_file("missing.conf"), -1);
	assert_non_null(strstr(err, "nowhere.conf': No such file or directory\n"));
	fails_first(DATA "include \"\"", "t.conf:2:9: empty file name in include");
}

static void test_error_format(void **state)
{
	(void)state;
	/* an unknown keyword: where, the choices, the close match, the line */
	fails_with(DATA "\n"
		   "sensor {\n"
		   "\toffline-after 5m\n"
		   "\tcertificate-dayz 365\n"
		   "}\n",
		   "t.conf:5:2: unexpected 'certificate-dayz', expected one of: "
		   "certificate-days, offline-after, enrolment-token-ttl, '}'; "
		   "did you mean 'certificate-days'?\n"
		   "\tcertificate-dayz 365\n"
		   "\t^~~~~~~~~~~~~~~~");
	fails_with("dta \"/var/lib/kastro-console\"",
		   "t.conf:1:1: unexpected 'dta', expected one of: data, listen, "
		   "control, log, sensor, alerts, session, limits, include, hook, public-url, ping-listen, user, service, plugin, retention, quota; did you "
		   "mean 'data'?\n"
		   "dta \"/var/lib/kastro-console\"\n"
		   "^~~");
	fails_with(DATA "limits { body 4MB",
		   "t.conf:2:18: unexpected end of file, expected one of: body, "
		   "headers, connections, request-timeout, long-poll, head-timeout, "
		   "body-timeout, per-address, reserved, '}'\n"
		   "limits { body 4MB\n"
		   "                 ^");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	fails_first("data /var", "t.conf:1:6: unexpected character '/'");
	fails_first("data var", "t.conf:1:6: unexpected 'var', expected a string");
	fails_first(DATA "listen http on *",
		    "t.conf:2:8: unexpected 'http', expected one of: https, sensors; "
		    "did you mean 'https'?");
	fails_first(DATA "listen https * port 1",
		    "t.conf:2:14: unexpected '*', expected on");
	fails_first(DATA "listen https on localhost",
		    "t.conf:2:17: unexpected 'localhost', expected one of: an address "
		    "such as 127.0.0.1 or ::1, '*'");
	fails_first(DATA "listen sensors on * port",
		    "t.conf:2:25: unexpected end of file, expected a number");
	fails_first(DATA "session idle 1h absolut 2h",
		    "t.conf:2:17: unexpected 'absolut', expected one of: absolute, "
		    "idle, data, listen, control, log, sensor, alerts, session, limits, "
		    "include, hook, public-url, ping-listen, user, service, plugin, retention, quota; did you mean 'absolute'?");
	fails_first(DATA "sensor",
		    "t.conf:2:7: unexpected end of file, expected one of: "
		    "offline-after, certificate-days, enrolment-token-ttl, '{'");
	fails_first(DATA "log level 5",
		    "t.conf:2:11: unexpected number '5', expected a log level "
		    "(error, warning, info, debug)");
	fails_first(DATA "sensors offline-after 5m",
		    "t.conf:2:1: unexpected 'sensors', expected one of: sensor, data, "
		    "listen, control, log, alerts, session, limits, include, hook, public-url, ping-listen, user, service, plugin, retention, quota; did you "
		    "mean 'sensor'?");
	fails_first(DATA "}", "t.conf:2:1: unexpected '}', expected one of: data, "
		    "listen, control, log, sensor, alerts, session, limits, include, "
		    "hook, public-url, ping-listen, user, service, plugin, retention, quota");
	fails_first(DATA "\"x\"", "t.conf:2:1: unexpected string \"x\", expected one "
		    "of: data, listen, control, log, sensor, alerts, session, limits, "
		    "include, hook, public-url, ping-listen, user, service, plugin, retention, quota");
}

static void test_number_errors(void **state)
{
	(void)state;
	/* each setting's range, in its unit */
	fails_first(DATA "sensor offline-after 29s",
		    "t.conf:2:22: sensor offline-after 29s is out of range, "
		    "expected 30s .. 7d");
	fails_first(DATA "sensor certificate-days 3651",
		    "t.conf:2:25: sensor certificate-days 3651 is out of range, "
		    "expected 1 .. 3650");
	fails_first(DATA "sensor certificate-days 0",
		    "t.conf:2:25: sensor certificate-days 0 is out of range, "
		    "expected 1 .. 3650");
	fails_first(DATA "sensor enrolment-token-ttl 31d",
		    "t.conf:2:28: sensor enrolment-token-ttl 31d is out of range, "
		    "expected 1m .. 30d");
	fails_first(DATA "alerts dedup-window 8d",
		    "t.conf:2:21: alerts dedup-window 8d is out of range, "
		    "expected 0s .. 7d");
	fails_first(DATA "session idle 2d",
		    "t.conf:2:14: session idle 2d is out of range, expected 1m .. 1d");
	fails_first(DATA "session absolute 59s",
		    "t.conf:2:18: session absolute 59s is out of range, expected 1m .. 30d");
	fails_first(DATA "limits body 65MB",
		    "t.conf:2:13: limits body 65MB is out of range, expected 1KB .. 64MB");
	fails_first(DATA "limits headers 1023",
		    "t.conf:2:16: limits headers 1023 is out of range, expected 1KB .. 1MB");
	fails_first(DATA "limits connections 65536",
		    "t.conf:2:20: limits connections 65536 is out of range, "
		    "expected 1 .. 65535");
	fails_first(DATA "limits request-timeout 0",
		    "t.conf:2:24: limits request-timeout 0 is out of range, "
		    "expected 1s .. 10m");
	fails_first(DATA "limits long-poll 11m",
		    "t.conf:2:18: limits long-poll 11m is out of range, expected 1s .. 10m");
	fails_first(DATA "limits head-timeout 0",
		    "t.conf:2:21: limits head-timeout 0 is out of range, expected 1s .. 10m");
	fails_first(DATA "limits body-timeout 2h",
		    "t.conf:2:21: limits body-timeout 2h is out of range, expected 1s .. 1h");
	fails_first(DATA "limits connections 100 reserved 100",
		    "t.conf:2:33: limits reserved 100 is not below limits connections 100, "
		    "expected at most 99");
	fails_first(DATA "limits reserved 10\nlimits connections 10",
		    "t.conf:3:20: limits reserved 10 is not below limits connections 10, "
		    "expected at most 9");
	fails_first(DATA "listen https on * port 65536",
		    "t.conf:2:24: listen https port 65536 is out of range, "
		    "expected 1 .. 65535");
	fails_first(DATA "listen sensors on * port 0",
		    "t.conf:2:26: listen sensors port 0 is out of range, "
		    "expected 1 .. 65535");
	/* units */
	fails_first(DATA "limits body 5m",
		    "t.conf:2:13: '5m' is a duration, expected a size such as 1024, "
		    "64KB, 256MB or 1GB");
	fails_first(DATA "session idle 1MB",
		    "t.conf:2:14: '1MB' is a size, expected a duration such as 30s, "
		    "5m, 1h or 1d");
	fails_first(DATA "sensor certificate-days 365d",
		    "t.conf:2:25: '365d' has a unit, expected a plain number");
	fails_first(DATA "limits body 4mb",
		    "t.conf:2:13: unknown unit 'mb' in '4mb', expected K, KB, M, MB, "
		    "G or GB; did you mean 'MB'?");
	fails_first(DATA "session idle 1.5h",
		    "t.conf:2:14: '1.5h' is not a number, expected a duration such as "
		    "30s, 5m, 1h or 1d");
	fails_first(DATA "limits connections 99999999999999999999",
		    "t.conf:2:20: '99999999999999999999' is too large");
}

static void test_value_errors(void **state)
{
	(void)state;
	fails_with("data \"/a\"\ndata \"/b\"",
		   "t.conf:2:6: duplicate 'data' statement, the data directory is "
		   "already set at t.conf:1:6\n"
		   "data \"/b\"\n"
		   "     ^~~~");
	fails_with("# no data here\nlimits body 1MB\n",
		   "t.conf: no 'data' statement: the data directory is required, "
		   "e.g. data \"/var/lib/kastro-console\"");
	fails_first("data \"\"", "t.conf:1:6: empty path, expected the data directory");
	fails_first(DATA "control \"\"",
		    "t.conf:2:9: empty path, expected the control socket");
	fails_first(DATA "control \"/run/kastro/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		    "t.conf:2:9: control socket path '/run/kastro/aaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
		    "is too long, the limit is 107 bytes");
	fails_first(DATA "log level verbose",
		    "t.conf:2:11: unknown log level 'verbose', expected one of: "
		    "error, warning, info, debug");
	fails_first(DATA "log level warnig",
		    "t.conf:2:11: unknown log level 'warnig', expected one of: warning, "
		    "error, info, debug; did you mean 'warning'?");
}

static void test_listen_errors(void **state)
{
	(void)state;
	fails_first(DATA "listen https on 10.0.0.0/8",
		    "t.conf:2:17: '10.0.0.0/8' is a network, expected one address such "
		    "as 127.0.0.1 or ::1, or * for all");
	fails_first(DATA "listen https on 300.1.1.1",
		    "t.conf:2:17: invalid address '300.1.1.1', expected an IPv4 or IPv6 "
		    "address such as 127.0.0.1 or ::1, or * for all");
	fails_first(DATA "listen https on 1:2:3",
		    "t.conf:2:17: invalid address '1:2:3', expected an IPv4 or IPv6 "
		    "address such as 127.0.0.1 or ::1, or * for all");
	fails_first(DATA "listen https on * port 1 listen https on * port 2\n"
		    "listen https on * port 3 listen https on * port 4\n"
		    "listen https on * port 5",
		    "t.conf:4:17: too many 'listen https' addresses, the limit is 4");
	/* the same address and port twice, or under a wildcard */
	fails_with(DATA "listen https on * port 443\nlisten https on 10.0.0.1 port 443\n",
		   "t.conf:3:17: 10.0.0.1 port 443 is already taken by listen https "
		   "on * port 443, expected another address or port\n"
		   "listen https on 10.0.0.1 port 443\n"
		   "                ^~~~~~~~~~~~~~~~~");
	fails_first(DATA "listen https on ::1\nlisten sensors on :: port 8443",
		    "t.conf:3:19: :: port 8443 is already taken by listen https on "
		    "::1 port 8443, expected another address or port");
	fails_first(DATA "listen https on 0.0.0.0 port 1\nlisten https on 127.0.0.1 port 1",
		    "t.conf:3:17: 127.0.0.1 port 1 is already taken by listen https on "
		    "0.0.0.0 port 1, expected another address or port");
	/* the other kind's default, when no statement moves it: found at the end */
	fails_with(DATA "listen sensors on 127.0.0.1 port 8443\nlimits body 1MB\n",
		   "t.conf:2:19: 127.0.0.1 port 8443 is already taken by the default "
		   "listen https on * port 8443, expected another address or port, or "
		   "a 'listen https' statement\n"
		   "listen sensors on 127.0.0.1 port 8443\n"
		   "                  ^~~~~~~~~~~~~~~~~~~");
}

static void test_session_order(void **state)
{
	(void)state;
	/* idle <= absolute over the whole load, blamed where it broke */
	fails_with(DATA "session idle 13h\n",
		   "t.conf:2:14: session idle 13h is longer than session absolute "
		   "12h, expected at most 12h\n"
		   "session idle 13h\n"
		   "             ^~~");
	fails_first(DATA "session absolute 10m",
		    "t.conf:2:18: session absolute 10m is shorter than session idle "
		    "30m, expected at least 30m");
	/* a later statement mends it */
	ok(DATA "session idle 13h\nsession absolute 1d\n");
	assert_int_equal(c.session_idle, 13 * 3600);
	ok(DATA "session absolute 10m idle 5m");
	ok(DATA "session idle 1h absolute 1h");
}

static void test_string_errors(void **state)
{
	static const char nul_str[] = "data \"/a\0b\"";

	(void)state;
	ok("data \"/a \\\"quoted\\\" \\\\ dir\"");
	assert_string_equal(c.data_dir, "/a \"quoted\" \\ dir");
	fails_with("data \"/var\nlimits { }",
		   "t.conf:1:6: unterminated string: end of line before the closing '\"'\n"
		   "data \"/var\n"
		   "     ^~~~~");
	fails_first("data \"/a\\nb\"",
		    "t.conf:1:9: invalid escape '\\n' in a string, expected \\\" or \\\\");
	fails_first("data \"/a\x01\"", "t.conf:1:9: control character 0x01 in a string");
	cconf_defaults(&c);
	assert_int_equal(cconf_load_buffer("t.conf", nul_str, sizeof(nul_str) - 1,
					   "/", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "t.conf:1:9: NUL byte in a string\n"
				 "data \"/a?b\"\n"
				 "        ^");
	fails_first(DATA "@", "t.conf:2:1: unexpected character '@'");
	fails_first("\xc3\xa9", "t.conf:1:1: unexpected byte 0xc3");
}

static void test_error_leaves_config_unchanged(void **state)
{
	struct console_conf before;

	(void)state;
	cconf_defaults(&c);
	before = c;
	assert_int_equal(cconf_load_buffer("t.conf", TXT(DATA "limits body 1MB headers 0"),
					   NULL, &c, err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
	/* an error found only at the end of the load, too */
	assert_int_equal(cconf_load_buffer("t.conf", TXT("limits body 1MB"), NULL, &c,
					   err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_small_error_buffer(void **state)
{
	char small[16];

	(void)state;
	cconf_defaults(&c);
	assert_int_equal(cconf_load_buffer("t.conf", "x", 1, NULL, &c, small,
					   sizeof(small)), -1);
	assert_string_equal(small, "t.conf:1:1: une");
	assert_int_equal(cconf_load_buffer("t.conf", "x", 1, NULL, &c, NULL, 0), -1);
	/* deferred errors and the missing data, without a buffer */
	assert_int_equal(cconf_load_buffer("t.conf", TXT(DATA "session idle 13h"),
					   NULL, &c, NULL, 0), -1);
	assert_int_equal(cconf_load_buffer("t.conf", "", 0, NULL, &c, NULL, 0), -1);
	assert_int_equal(cconf_load_buffer("t.conf", TXT(DATA "session idle 13h"),
					   NULL, &c, small, sizeof(small)), -1);
	assert_string_equal(small, "t.conf:2:14: se");
}

static void test_load_errors(void **state)
{
	(void)state;
	cconf_defaults(&c);
	assert_int_equal(cconf_load(tmp("no-such.conf"), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such.conf: cannot read: No such file or directory"));
	assert_int_equal(cconf_load(tmpdir, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": cannot read: not a regular file"));
}

static void test_write_default_round_trip(void **state)
{
	struct console_conf want;
	struct stat sb;
	char data[PATH_MAX], cwd[PATH_MAX];

	(void)state;
	snprintf(data, sizeof(data), "%s/console-data", tmpdir);
	assert_int_equal(cconf_write_default(tmp("w.conf"), data, err, sizeof(err)), 0);
	assert_int_equal(stat(tmp("w.conf"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(load_file("w.conf"), 0);
	cconf_defaults(&want);
	memcpy(want.data_dir, data, strlen(data) + 1);
	assert_memory_equal(&c, &want, sizeof(c));

	/* a relative directory is written absolute, from the working directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(cconf_write_default("w2.conf", "rel/data", err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(load_file("w2.conf"), 0);
	snprintf(data, sizeof(data), "%s/rel/data", tmpdir);
	assert_string_equal(c.data_dir, data);

	/* quotes and backslashes in the directory survive */
	assert_int_equal(cconf_write_default(tmp("w3.conf"), "/srv/a \"b\" \\c", err,
					     sizeof(err)), 0);
	assert_int_equal(load_file("w3.conf"), 0);
	assert_string_equal(c.data_dir, "/srv/a \"b\" \\c");
	/* a newline cannot be written: no file */
	assert_int_equal(cconf_write_default(tmp("w4.conf"), "/srv/a\nb", err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot be written in a configuration string"));
	assert_int_equal(stat(tmp("w4.conf"), &sb), -1);
}

static void test_write_default_refuses_existing(void **state)
{
	char buf[64] = "", target[PATH_MAX];
	FILE *f;

	(void)state;
	put("exists.conf", "keep me\n");
	assert_int_equal(cconf_write_default(tmp("exists.conf"), "/d", err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "exists.conf: cannot create: File exists"));
	f = fopen(tmp("exists.conf"), "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep me\n");
	/* nor through a symbolic link */
	snprintf(target, sizeof(target), "%s", tmp("nowhere"));
	assert_int_equal(symlink(target, tmp("link.conf")), 0);
	assert_int_equal(cconf_write_default(tmp("link.conf"), "/d", err,
					     sizeof(err)), -1);
	assert_int_equal(access(tmp("nowhere"), F_OK), -1);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_cconf.XXXXXX",
		 t != NULL && t[0] != '\0' ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return testfs_rm_tree(tmpdir);
}

/* Retention, quota and user: defaults, settings, 0 for "never", ranges. */
static void test_retention_quota_user(void **state)
{
	(void)state;
	ok(DATA);
	assert_int_equal(c.retain_events, 180 * 86400);
	assert_int_equal(c.retain_alerts, 365 * 86400);
	assert_int_equal(c.quota_events, 1000);
	assert_int_equal(c.quota_bytes, 1 << 20);
	assert_int_equal(c.quota_burst, 60);
	assert_string_equal(c.user, "kastro-console");
	ok(DATA "retention { events 0 resolved-alerts 30d }\nquota events-per-second 5 "
	   "bytes-per-second 0 burst 2s\nuser \"kc_1-x\"\n");
	assert_int_equal(c.retain_events, 0);
	assert_int_equal(c.retain_alerts, 30 * 86400);
	assert_int_equal(c.quota_events, 5);
	assert_int_equal(c.quota_bytes, 0);
	assert_int_equal(c.quota_burst, 2);
	assert_string_equal(c.user, "kc_1-x");
	fails_first(DATA "retention events 1h",
		    "t.conf:2:18: retention events 1h is out of range, expected 0 or 1d .. 3650d");
	fails_first(DATA "user \"Root\"",
		    "t.conf:2:6: user: expected lowercase letters, digits, '_' and '-', not "
		    "starting with a digit or '-'");
	fails_first(DATA "quota burst 0", "t.conf:2:13: quota burst 0 is out of range, expected 1s .. 1h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_data_alone_keeps_defaults),
		cmocka_unit_test(test_every_statement),
		cmocka_unit_test(test_group_forms),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_session_order),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_error_leaves_config_unchanged),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_write_default_round_trip),
		cmocka_unit_test(test_write_default_refuses_existing),
		cmocka_unit_test(test_retention_quota_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
