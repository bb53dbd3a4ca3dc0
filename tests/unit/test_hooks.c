/*
 * test_hooks.c - unit tests of console.conf's `hook` blocks (console/
 * cconf_hook.c, hooks.c): the four lines of the scripting contract, every
 * setting, the exact text of errors with their position and close match,
 * and the alert filter (severity, type, sensor, rule text, time window).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cconf.h"
#include "hooks.h"

#define DATA "data \"/d\"\n"

static struct console_conf c;
static char err[8192];

static int parse(const char *text)
{
	cconf_defaults(&c);
	return cconf_load_buffer("t.conf", text, strlen(text), "/etc/k", &c, err, sizeof(err));
}

#include "cfgcheck.h"

static void test_contract_lines(void **state)
{
	(void)state;
	ok(DATA
	   "hook soc { syslog \"tcp://127.0.0.1:5514\" format cef }\n"
	   "hook soc-tls { syslog \"tls://siem.kavala.example:6514\" format ecs ca \"/etc/kastro/siem-ca.pem\" }\n"
	   "hook officers { email \"smtp://mail.kavala.example:587\" from \"kastro@kavala.example\" to \"it-security@kavala.example\" user \"kastro\" password-file \"/etc/kastro/smtp.pass\" min-severity high }\n"
	   "hook chat { webhook \"https://chat.kavala.example/hooks/abc\" format mattermost secret-file \"/etc/kastro/chat.secret\" }\n");
	assert_int_equal(c.n_hooks, 4);
	assert_string_equal(c.hooks[0].name, "soc");
	assert_int_equal(c.hooks[0].kind, HOOK_SYSLOG);
	assert_int_equal(c.hooks[0].transport, HOOK_T_TCP);
	assert_string_equal(c.hooks[0].host, "127.0.0.1");
	assert_int_equal(c.hooks[0].port, 5514);
	assert_int_equal(c.hooks[0].format, HOOK_F_CEF);
	assert_string_equal(c.hooks[0].at, "t.conf:2");
	assert_string_equal(c.hooks[0].sd_id, "kastro@32473");
	assert_int_equal(c.hooks[0].queue_max, 1000000);
	assert_int_equal(c.hooks[0].min_severity, 4);
	/* every type but audit entries, which are asked for by name */
	assert_int_equal(c.hooks[0].types, HOOK_TY_ALL & ~HOOK_TY_AUDIT);

	assert_int_equal(c.hooks[1].transport, HOOK_T_TLS);
	assert_int_equal(c.hooks[1].format, HOOK_F_ECS);
	assert_string_equal(c.hooks[1].ca, "/etc/kastro/siem-ca.pem");
	assert_string_equal(c.hooks[1].host, "siem.kavala.example");

	assert_int_equal(c.hooks[2].kind, HOOK_EMAIL);
	assert_int_equal(c.hooks[2].transport, HOOK_T_SMTP);
	assert_string_equal(c.hooks[2].from, "kastro@kavala.example");
	assert_int_equal(c.hooks[2].n_to, 1);
	assert_string_equal(c.hooks[2].to[0], "it-security@kavala.example");
	assert_string_equal(c.hooks[2].user, "kastro");
	assert_string_equal(c.hooks[2].password_file, "/etc/kastro/smtp.pass");
	assert_int_equal(c.hooks[2].min_severity, 2);

	assert_int_equal(c.hooks[3].kind, HOOK_WEBHOOK);
	assert_int_equal(c.hooks[3].transport, HOOK_T_HTTPS);
	assert_int_equal(c.hooks[3].format, HOOK_F_MATTERMOST);
	assert_string_equal(c.hooks[3].secret_file, "/etc/kastro/chat.secret");
}

static void test_settings(void **state)
{
	(void)state;
	ok(DATA "public-url \"https://kastro.kavala.example:8443/\"\n"
	   "hook \"email\" {\n"
	   "  email \"smtps://[::1]:2465\" from \"k@x.gr\" to \"a@x.gr\" to \"b@x.gr\"\n"
	   "  language el max-per-hour 20 min-severity 3 type network endpoint\n"
	   "  type audit sensor \"gw-1\" rule \"ET SCAN\" window \"18:00-08:00\" days \"mon-fri\"\n"
	   "  resend-after 1h timeout 10s queue-max 5000 ca \"ca.pem\"\n"
	   "}\n"
	   "log level debug\n"
	   "hook relp { syslog \"relps://10.0.0.1\" sd-id \"muni@99999\" cert \"c.pem\" key \"k.pem\" }\n"
	   "hook w { webhook \"http://127.0.0.1:9000/x\" proxy \"http://proxy:3128\" format teams }\n");
	assert_string_equal(c.public_url, "https://kastro.kavala.example:8443");
	assert_int_equal(c.n_hooks, 3);
	assert_string_equal(c.hooks[0].name, "email");
	assert_int_equal(c.hooks[0].transport, HOOK_T_SMTPS);
	assert_string_equal(c.hooks[0].host, "::1");
	assert_int_equal(c.hooks[0].port, 2465);
	assert_int_equal(c.hooks[0].n_to, 2);
	assert_int_equal(c.hooks[0].lang, HOOK_LANG_EL);
	assert_int_equal(c.hooks[0].max_per_hour, 20);
	assert_int_equal(c.hooks[0].min_severity, 3);
	assert_int_equal(c.hooks[0].types, HOOK_TY_NETWORK | HOOK_TY_ENDPOINT | HOOK_TY_AUDIT);
	assert_string_equal(c.hooks[0].sensor, "gw-1");
	assert_string_equal(c.hooks[0].rule, "ET SCAN");
	assert_int_equal(c.hooks[0].win_from, 18 * 60);
	assert_int_equal(c.hooks[0].win_to, 8 * 60);
	assert_int_equal(c.hooks[0].days, 0x3e);
	assert_int_equal(c.hooks[0].resend_after, 3600);
	assert_int_equal(c.hooks[0].timeout, 10);
	assert_int_equal(c.hooks[0].queue_max, 5000);
	assert_string_equal(c.hooks[0].ca, "/etc/k/ca.pem");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.hooks[1].port, 2514);
	assert_string_equal(c.hooks[1].sd_id, "muni@99999");
	assert_int_equal(c.hooks[2].transport, HOOK_T_HTTP);

	/* a second load replaces the hooks of the first */
	ok(DATA);
	assert_int_equal(c.n_hooks, 0);
}

static void test_errors(void **state)
{
	(void)state;
	fails_first(DATA "hook x { syslog \"tcp://1.2.3.4:5\" format cfe }",
		    "t.conf:2:42: unknown format 'cfe', expected one of: text, cef, leef, ecs, "
		    "eve, json, mattermost, slack, teams");
	fails_first(DATA "hook x { sylog \"tcp://a\" }",
		    "t.conf:2:10: unexpected 'sylog', expected one of: syslog, sensor, email, "
		    "webhook, format, ca, cert, key, from, to, user, password-file, secret-file, "
		    "proxy, sd-id, language, min-severity, type, rule, window, days, resend-after, "
		    "max-per-hour, timeout, queue-max, '}'; did you mean 'syslog'?");
	fails_first(DATA "hook x { }",
		    "t.conf:2:6: hook 'x': no receiver, expected one of: syslog, email, webhook");
	fails_first(DATA "hook x { email \"smtp://m\" from \"a@b\" }",
		    "t.conf:2:6: hook 'x': an email hook needs from and at least one to");
	fails_first(DATA "hook x { syslog \"ftp://a\" }",
		    "t.conf:2:17: invalid URL, expected a syslog URL starting with tcp://, "
		    "tls://, udp://, relp://, relps://");
	fails_first(DATA "hook x { syslog \"relp://a\" cert \"c\" key \"k\" }",
		    "t.conf:2:6: hook 'x': a client certificate needs tls:// or relps://");
	fails_first(DATA "hook x { syslog \"tcp://a:70000\" }",
		    "t.conf:2:17: invalid URL, expected a port from 1 to 65535 after the host");
	fails_first(DATA "hook x { webhook \"http://chat.example/x\" }",
		    "t.conf:2:18: invalid URL, expected https:// (plain http:// only to "
		    "127.0.0.1, ::1 or localhost)");
	fails_first(DATA "hook x { email \"smtp://u:pw@m\" from \"a@b\" to \"c@d\" }",
		    "t.conf:2:16: invalid URL, expected a URL without a user or password (use "
		    "user and password-file)");
	fails_first(DATA "hook x { syslog \"tcp://a\" min-severity hihg }",
		    "t.conf:2:40: unknown severity 'hihg', expected one of: critical, high, "
		    "medium, low");
	fails_first(DATA "hook x { syslog \"tcp://a\" window \"25:00-01:00\" }",
		    "t.conf:2:34: invalid window, expected \"HH:MM-HH:MM\" in local time, two "
		    "different times (\"18:00-08:00\" spans midnight)");
	fails_first(DATA "hook x { syslog \"tcp://a\" } hook x { syslog \"tcp://b\" }",
		    "t.conf:2:34: duplicate hook 'x', already defined at t.conf:2");
	fails_first(DATA "hook x { syslog \"tcp://a\" syslog \"tcp://b\" }",
		    "t.conf:2:34: hook 'x' already has a receiver (syslog \"tcp://a\"), expected "
		    "one of syslog, email, webhook per hook; several hooks may take the same "
		    "alerts");
	fails_first(DATA "hook x { syslog \"tcp://a\" format mattermost }",
		    "t.conf:2:6: hook 'x': format mattermost is not for syslog, expected one "
		    "of: text, cef, leef, ecs, eve");
	fails_first(DATA "hook x { webhook \"https://a/\" from \"a@b\" }",
		    "t.conf:2:6: hook 'x': from, to, user, password-file and max-per-hour are "
		    "for email hooks");
	fails_first(DATA "hook x { syslog \"tcp://a\" type netwrk }",
		    "t.conf:2:32: unknown alert type 'netwrk', expected one of: network, "
		    "endpoint, sensor-offline, service, backup, audit, other; did you mean "
		    "'network'?");
	fails_first(DATA "hook x { syslog \"tcp://a\" days \"mon-fry\" }",
		    "t.conf:2:32: invalid days, expected day names (sun, mon, tue, wed, thu, "
		    "fri, sat), ranges and commas: \"mon-fri\", \"sat,sun\"");
	fails_first(DATA "hook x { syslog \"tcp://a\" sd-id \"kastro\" }",
		    "t.conf:2:33: invalid sd-id, expected name@enterprise-number such as "
		    "\"kastro@32473\" (RFC 5424, at most 32 bytes)");
	fails_first(DATA "hook x { email \"smtp://m\" from \"a@b\" to \"c d@e\" }",
		    "t.conf:2:41: invalid mail address, expected name@domain without spaces, "
		    "quotes, brackets or control characters");
	fails_first(DATA "hook \"a b\" { syslog \"tcp://a\" }",
		    "t.conf:2:6: hook name 'a b' holds ' ', expected letters, digits, '-', '_' "
		    "or '.'");
	fails_first(DATA "hook x { syslog \"tcp://a\" queue-max 10 }",
		    "t.conf:2:37: queue-max 10 is out of range, expected 100 .. 100000000");
	/* the log level keeps its own message */
	fails_first(DATA "log level 5",
		    "t.conf:2:11: unexpected number '5', expected a log level (error, warning, "
		    "info, debug)");
}

static time_t local(int wday_from_sun, int h, int m)
{
	/* 2026-12-06 is a Sunday */
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 6 + wday_from_sun,
			 .tm_hour = h, .tm_min = m, .tm_isdst = -1 };

	return mktime(&tm);
}

static void test_filter(void **state)
{
	struct hook_def h;
	struct hook_alert_view a = { "alert", "gw-1", "10.0.0.5", "ET SCAN Nmap", 2, 0 };

	(void)state;
	hook_defaults(&h, "x");
	a.ts = local(1, 12, 0);
	assert_true(hook_match(&h, &a));
	h.min_severity = 1;
	assert_false(hook_match(&h, &a));
	h.min_severity = 2;
	assert_true(hook_match(&h, &a));
	h.types = HOOK_TY_ENDPOINT;
	assert_false(hook_match(&h, &a));
	h.types = HOOK_TY_NETWORK;
	assert_true(hook_match(&h, &a));
	a.kind = "backup";
	assert_false(hook_match(&h, &a));
	h.types |= HOOK_TY_BACKUP;
	assert_true(hook_match(&h, &a));
	a.kind = "something-new";
	assert_false(hook_match(&h, &a));
	h.types = HOOK_TY_ALL;
	assert_true(hook_match(&h, &a));
	a.kind = "audit";
	assert_true(hook_match(&h, &a));
	hook_defaults(&h, "d");
	h.min_severity = 2;
	assert_false(hook_match(&h, &a));
	h.types = HOOK_TY_AUDIT;
	assert_true(hook_match(&h, &a));
	h.types = HOOK_TY_ALL;
	a.kind = "something-new";

	memcpy(h.sensor, "10.0.0.5", 9);
	assert_true(hook_match(&h, &a));
	memcpy(h.sensor, "gw-1", 5);
	assert_true(hook_match(&h, &a));
	memcpy(h.sensor, "gw-2", 5);
	assert_false(hook_match(&h, &a));
	memcpy(h.sensor, "gw-*", 5);                    /* a group by pattern */
	assert_true(hook_match(&h, &a));
	memcpy(h.sensor, "pc-*", 5);
	assert_false(hook_match(&h, &a));
	memcpy(h.sensor, "10.0.0.*", 9);
	assert_true(hook_match(&h, &a));
	h.sensor[0] = '\0';

	memcpy(h.rule, "scan nmap", 10);
	assert_true(hook_match(&h, &a));
	memcpy(h.rule, "trojan", 7);
	assert_false(hook_match(&h, &a));
	h.rule[0] = '\0';

	/* outside working hours on weekdays: 16:00-08:00, mon-fri */
	h.win_from = 16 * 60;
	h.win_to = 8 * 60;
	h.days = 0x3e;
	a.ts = local(1, 12, 0);
	assert_false(hook_match(&h, &a));
	a.ts = local(1, 16, 0);
	assert_true(hook_match(&h, &a));
	a.ts = local(1, 7, 59);
	assert_true(hook_match(&h, &a));
	a.ts = local(1, 8, 0);
	assert_false(hook_match(&h, &a));
	a.ts = local(0, 23, 0);    /* Sunday */
	assert_false(hook_match(&h, &a));
	/* a window within the day */
	h.win_from = 9 * 60;
	h.win_to = 17 * 60;
	h.days = 0x7f;
	a.ts = local(0, 9, 0);
	assert_true(hook_match(&h, &a));
	a.ts = local(0, 17, 0);
	assert_false(hook_match(&h, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contract_lines),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_filter),
	};

	setenv("TZ", "Europe/Athens", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
