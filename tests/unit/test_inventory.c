/*
 * test_inventory.c - unit tests of the services inventory's parser
 * (lib/inventory.c): the statements of rules/kavala-services.conf, every
 * continuity statement and check kind with its defaults, the errors a
 * user meets (with their position, caret and close match), the bounds,
 * the checks across services (duplicate names and uuids, unknown and
 * circular dependencies), and a `service` block inside console.conf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "cconf.h"
#include "inventory.h"

static struct inventory *inv;
static char err[8192];

static int parse(const char *text)
{
	inv_free(inv);
	inv = inv_new();
	assert_non_null(inv);
	err[0] = '\0';
	return inv_load_buffer("s.conf", text, strlen(text), inv, err, sizeof(err));
}

static void ok(const char *text)
{
	if (parse(text) != 0)
		fail_msg("rejected: %s\n%s", text, err);
}

/* Parse must fail and the message's first line must start with want. */
static void fails(const char *text, const char *want)
{
	if (parse(text) == 0)
		fail_msg("accepted: %s", text);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got:\n%s\nwanted a first line starting:\n%s", err, want);
}

static void test_contract_block(void **state)
{
	(void)state;
	ok("service \"e-payments\" {\n"
	   "    address 10.20.0.17\n"
	   "    ports tcp 443\n"
	   "    owner \"finance\" rpo 1h rto 4h\n"
	   "    check https \"https://10.20.0.17/\" every 30s keyword \"Πληρωμές\"\n"
	   "    check push \"nightly-backup\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" "
	   "period 1d grace 1h\n"
	   "}\n");
	assert_int_equal(inv->n, 1);
	const struct inv_service *s = inv_find(inv, "e-payments");
	assert_non_null(s);
	assert_string_equal(s->addrs[0], "10.20.0.17");
	assert_int_equal(s->n_ports, 1);
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[0].lo, 443);
	assert_string_equal(s->owner, "finance");
	assert_int_equal(s->rpo, 3600);
	assert_int_equal(s->rto, 4 * 3600);
	assert_int_equal(s->crit, INV_CRIT_MEDIUM);
	assert_int_equal(s->n_checks, 2);
	assert_int_equal(s->checks[0].kind, INV_CHK_HTTPS);
	assert_string_equal(s->checks[0].target, "https://10.20.0.17/");
	assert_int_equal(s->checks[0].every, 30);
	assert_int_equal(s->checks[0].retries, 3);
	assert_int_equal(s->checks[0].retry_every, 30);
	assert_string_equal(s->checks[0].keyword, "Πληρωμές");
	assert_int_equal(s->checks[1].kind, INV_CHK_PUSH);
	assert_string_equal(s->checks[1].name, "nightly-backup");
	assert_int_equal(s->checks[1].period, 86400);
	assert_int_equal(s->checks[1].grace, 3600);
	const struct inv_service *o = NULL;
	assert_ptr_equal(inv_find_uuid(inv, "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11", &o),
			 &s->checks[1]);
	assert_ptr_equal(o, s);
	assert_null(inv_find_uuid(inv, "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e12", NULL));
	assert_string_equal(s->checks[1].at, "s.conf:6:11");
}

/* The gateway's file as it is today loads unchanged. */
static void test_kavala_file(void **state)
{
	(void)state;
	if (inv_load_file("rules/kavala-services.conf", inv, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(inv->n, 16);    /* 13 municipal services, console, gateway, backup host */
	const struct inv_service *s = inv_find(inv, "smart-parking");
	assert_non_null(s);
	assert_int_equal(s->n_addrs, 2);
	assert_string_equal(s->addrs[1], "fd00:20::11");
	assert_int_equal(s->n_ports, 2);
	assert_int_equal(s->ports[1].lo, 8883);
}

static void test_every_statement(void **state)
{
	(void)state;
	ok("service \"db\" { address 10.20.0.40 ports tcp 5432 criticality high }\n"
	   "service \"erp\" {\n"
	   "  address { 10.20.0.30 fd00:20::30 10.20.1.0/24 }\n"
	   "  ports tcp { 443 8000-8010 } ports udp 53 ports sctp 2905\n"
	   "  owner \"it-department\"; rpo 15m; rto 2h\n"
	   "  criticality critical public\n"
	   "  check http \"http://10.20.0.30/health\" status 204 regex \"^ok\" redirects no "
	   "timeout 5s retries 2 retry-every 10s\n"
	   "  check https \"https://erp.kavala.gr/\" ca \"ca.pem\"\n"
	   "  check tcp \"10.20.0.30\" port 5432 every 15s\n"
	   "  check tls \"erp.kavala.gr\" warn 30d 10d 3d\n"
	   "  check dns \"erp.kavala.gr\" type AAAA server \"10.20.0.2\" expect \"fd00:20::30\" "
	   "rcode NOERROR\n"
	   "  check icmp \"10.20.0.30\"\n"
	   "  check plugin \"erp_queue\"\n"
	   "  depends { \"db\" }\n"
	   "  maintenance weekly sun 02:00 for 2h\n"
	   "  maintenance daily 23:30 for 30m\n"
	   "  maintenance once \"2026-12-24 22:00\" for 1d\n"
	   "  backup restic \"/srv/restic/erp\" host \"backup-host\"\n"
	   "  backup dir \"/srv/dumps/erp\"\n"
	   "}\n");
	const struct inv_service *s = inv_find(inv, "erp");
	assert_non_null(s);
	assert_int_equal(s->n_addrs, 3);
	assert_string_equal(s->addrs[2], "10.20.1.0/24");
	assert_int_equal(s->n_ports, 4);
	assert_int_equal(s->ports[3].proto, IPPROTO_SCTP);
	assert_int_equal(s->ports[1].lo, 8000);
	assert_int_equal(s->ports[1].hi, 8010);
	assert_int_equal(s->ports[2].proto, IPPROTO_UDP);
	assert_int_equal(s->rpo, 900);
	assert_int_equal(s->crit, INV_CRIT_CRITICAL);
	assert_true(s->is_public);
	assert_int_equal(s->n_checks, 7);
	assert_int_equal(s->checks[0].status, 204);
	assert_string_equal(s->checks[0].regex, "^ok");
	assert_int_equal(s->checks[0].redirects, INV_REDIR_NO);
	assert_int_equal(s->checks[0].timeout, 5);
	assert_int_equal(s->checks[0].retries, 2);
	assert_int_equal(s->checks[0].retry_every, 10);
	/* relative to the file's directory: the working directory for a buffer */
	assert_true(s->checks[1].ca[0] == '/');
	assert_non_null(strstr(s->checks[1].ca, "/ca.pem"));
	assert_int_equal(s->checks[1].every, 60);
	assert_int_equal(s->checks[2].port, 5432);
	assert_int_equal(s->checks[3].port, 443);
	assert_int_equal(s->checks[3].warn_days[0], 30);
	assert_int_equal(s->checks[3].warn_days[2], 3);
	assert_string_equal(s->checks[4].dns_type, "AAAA");
	assert_string_equal(s->checks[4].dns_server, "10.20.0.2");
	assert_string_equal(s->checks[4].dns_expect, "fd00:20::30");
	assert_int_equal(s->checks[5].kind, INV_CHK_ICMP);
	assert_string_equal(s->checks[6].name, "erp_queue");
	assert_int_equal(s->n_deps, 1);
	assert_int_equal(s->n_maint, 3);
	assert_int_equal(s->maint[0].kind, INV_MW_WEEKLY);
	assert_int_equal(s->maint[0].wday, 0);
	assert_int_equal(s->maint[0].minute, 120);
	assert_int_equal(s->maint[0].length, 7200);
	assert_int_equal(s->maint[1].minute, 23 * 60 + 30);
	assert_int_equal(s->maint[2].length, 86400);
	assert_int_equal(s->n_backups, 2);
	assert_int_equal(s->backups[0].kind, INV_BK_RESTIC);
	assert_string_equal(s->backups[0].host, "backup-host");
	assert_int_equal(s->checks[3].kind, INV_CHK_TLS);
}

static void test_errors(void **state)
{
	(void)state;
	fails("service \"a\" {\n  chek https \"https://x/\"\n}\n",
	      "s.conf:2:3: unexpected 'chek', expected one of: check, ");
	assert_non_null(strstr(err, "did you mean 'check'?\n  chek https"));
	assert_non_null(strstr(err, "\n  ^~~~"));
	fails("service \"a\" { check https \"https://x/\" keywrd \"a\" }",
	      "s.conf:1:40: unexpected 'keywrd', expected one of: keyword, ");
	fails("service \"a\" { check tcp \"db\" }", "s.conf:1:21: a tcp check needs a port");
	fails("service \"a\" { check push \"j\" }", "s.conf:1:21: a push check needs its uuid");
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e1\" }",
	      "s.conf:1:35: \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e1\" is not a UUID");
	/* one and many characters too long (found by fuzz_inventory) */
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11a\" }",
	      "s.conf:1:35: \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11a\" is not a UUID");
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11abcdefghij\" }",
	      "s.conf:1:35: \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11abcd");
	fails("service \"a\" { check https \"https://x/\" every 2s }",
	      "s.conf:1:46: every 2s is out of range, expected 5s .. 1d");
	fails("service \"a\" { check https \"https://x/\" every 5min }", "s.conf:1:46: unknown unit 'min' in '5min'");
	fails("service \"a\" { check http \"https://x/\" }",
	      "s.conf:1:26: a http check takes a URL that starts with http://");
	fails("service \"a\" { check tcp \"x\" port 1 keyword \"k\" }",
	      "s.conf:1:36: a tcp check has no option 'keyword'");
	fails("service \"a\" { check https \"https://x/\" regex \"(\" }",
	      "s.conf:1:46: not a POSIX extended regular expression");
	fails("service \"a\" { check tls \"x\" warn 7d 14d 21d }",
	      "s.conf:1:37: warn takes three whole days, longest first");
	fails("service \"a\" { criticality hihg }", "s.conf:1:27: unknown criticality 'hihg'");
	fails("service \"a\" { maintenance weekly sux 02:00 for 1h }",
	      "s.conf:1:34: unknown day of the week 'sux', expected one of: sun, mon, tue, wed, "
	      "thu, fri, sat; did you mean 'sun'?");
	fails("service \"a\" { maintenance daily 25:00 for 1h }",
	      "s.conf:1:33: '25:00' is not a time of day");
	fails("service \"a\" { maintenance once \"tomorrow\" for 1h }",
	      "s.conf:1:32: \"tomorrow\" is not a start time");
	fails("service \"a\" { address 10.20.0.300 }", "s.conf:1:23: '10.20.0.300' is not an IPv4");
	fails("service \"a\" { ports tcp 0 }", "s.conf:1:25: '0' is not a port");
	fails("service \"a\" { ports tcp 90-80 }", "s.conf:1:25: '90-80' is not a port");
	fails("service \"a\" { ports icmp 80 }", "s.conf:1:21: unknown protocol 'icmp'");
	fails("service \"a\" { owner \"x\" owner \"y\" }", "s.conf:1:25: 'owner' is given twice");
	fails("service \"a\" { rpo 0 }", "s.conf:1:19: rpo and rto 0 is out of range");
	fails("service \"a b\" { }", "s.conf:1:9: service name \"a b\": use letters");
	fails("service \"a\" { }\nservice \"a\" { }", "s.conf:2:9: service \"a\" is already "
	      "defined at s.conf:1:9");
	fails("service \"a\" { owner \"x }", "s.conf:1:21: ");
	fails("service \"a\" { owner \"x\\q\" }", "s.conf:1:23: invalid escape");
	fails("service \"a\" {", "s.conf:1:14: unexpected end of file");
	fails("srvice \"a\" { }", "s.conf:1:1: unexpected 'srvice', expected one of: service, "
	      "include; did you mean 'service'?");
	fails("service \"a\" { depends \"b\" }", "s.conf:1:23: service \"a\" depends on \"b\", "
	      "which is not in the inventory");
	fails("service \"a\" { depends \"a\" }", "s.conf:1:23: service \"a\" cannot depend on itself");
	fails("service \"a\" { depends \"b\" }\nservice \"b\" { depends \"c\" }\n"
	      "service \"c\" { depends \"a\" }", "s.conf:");
	assert_non_null(strstr(err, "must not form a cycle"));
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" }\n"
	      "service \"b\" { check push \"k\" uuid \"0B0A1D1E-5c4f-4f59-9a44-3c2c8a7f0e11\" }",
	      "s.conf:2:21: uuid 0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11 is already service \"a\"'s");
	fails("service \"a\" { check https \"https://x/\" check https \"https://x/\" }",
	      "s.conf:1:46: this check is already in service \"a\" at s.conf:1:21");
	fails("service \"a\" { address 1.2.3.4\x01 }", "s.conf:1:30: unexpected byte 0x01");
}

/* from "HOST" (checks run by a sensor) and cron schedules of push checks */
static void test_from_and_schedule(void **state)
{
	(void)state;
	ok("service \"a\" { check tcp \"db\" port 5432 from \"erp-app\"\n"
	   "  check tcp \"db\" port 5432\n  check plugin \"q\" from \"erp-app\" }");
	assert_string_equal(inv->svc[0].checks[0].from, "erp-app");
	assert_string_equal(inv->svc[0].checks[1].from, "");
	fails("service \"a\" { check icmp \"x\" from \"gw\" }",
	      "s.conf:1:30: a icmp check runs from the console only");
	fails("service \"a\" { check tcp \"x\" port 1 from \"a b\" }",
	      "s.conf:1:41: a sensor's host name holds no blanks");
	fails("service \"a\" { check tcp \"x\" port 1 from \"g\" check tcp \"x\" port 1 from \"g\" }",
	      "s.conf:1:51: this check is already in service \"a\"");
	ok("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" "
	   "schedule \"30 2 * * mon-fri\" tz \"UTC\" grace 1h }");
	assert_string_equal(inv->svc[0].checks[0].schedule, "30 2 * * mon-fri");
	assert_true(inv->svc[0].checks[0].sched_utc);
	assert_true(inv->svc[0].checks[0].cron.minute == 1ull << 30);
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" "
	      "schedule \"30 2 * *\" }", "s.conf:1:83: a schedule has five fields");
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" "
	      "tz \"UTC\" }", "s.conf:1:21: tz is for a schedule");
	fails("service \"a\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" "
	      "schedule \"@daily\" tz \"Europe/Athens\" }", "s.conf:1:95: tz takes \"UTC\" or \"local\"");
	/* regcomp() needs memory exponential in stacked repetitions: refused */
	fails("service \"a\" { check https \"https://x/\" regex \"fro+++++++++\" }",
	      "s.conf:1:46: more than 8 repetitions with + or {}");
	fails("service \"a\" { check https \"https://x/\" regex \"(a{1,1000})\" }",
	      "s.conf:1:46: a bound above 100 in {}");
	ok("service \"a\" { check https \"https://x/\" regex \"^<h1>[+{]+.{2,80}\\\\+$\" }");
	fails("service \"a\" { check https \"https://x/\" schedule \"@daily\" }",
	      "s.conf:1:40: a https check has no option 'schedule'");
}

/* tls over STARTTLS */
static void test_starttls(void **state)
{
	(void)state;
	ok("service \"mail\" { check tls \"mail.kavala.gr\" port 587 starttls smtp\n"
	   "  check tls \"mail.kavala.gr\" port 143 starttls imap warn 30d 10d 3d\n"
	   "  check tls \"mail.kavala.gr\" port 110 starttls pop3 }");
	assert_string_equal(inv->svc[0].checks[0].starttls, "smtp");
	assert_int_equal(inv->svc[0].checks[0].port, 587);
	assert_string_equal(inv->svc[0].checks[1].starttls, "imap");
	assert_string_equal(inv->svc[0].checks[2].starttls, "pop3");
	fails("service \"a\" { check tls \"x\" starttls ftp }",
	      "s.conf:1:38: unknown STARTTLS protocol 'ftp', expected one of: smtp, imap, pop3");
	fails("service \"a\" { check tcp \"x\" port 25 starttls smtp }",
	      "s.conf:1:37: a tcp check has no option 'starttls'");
	fails("service \"a\" { check tls \"x\" starttls smtp starttls imap }",
	      "s.conf:1:43: 'starttls' is given twice in this check");
}

/* http(s): a JSON field condition and response time thresholds */
static void test_json_and_times(void **state)
{
	const struct inv_check *c;

	(void)state;
	ok("service \"a\" { check https \"https://x/health\" json \"status.database\" is \"up\" "
	   "warn-time 500ms critical-time 2s\n"
	   "  check http \"http://x/q\" json \"queue[0].depth\" below 100 critical-time 1m\n"
	   "  check http \"http://x/r\" json \"load\" above -0.5 }");
	c = &inv->svc[0].checks[0];
	assert_int_equal(c->json_op, JSONPATH_IS);
	assert_string_equal(c->json_path, "status.database");
	assert_string_equal(c->json_value, "up");
	assert_int_equal(c->warn_ms, 500);
	assert_int_equal(c->crit_ms, 2000);
	c = &inv->svc[0].checks[1];
	assert_int_equal(c->json_op, JSONPATH_BELOW);
	assert_string_equal(c->json_value, "100");
	assert_int_equal(c->warn_ms, 0);
	assert_int_equal(c->crit_ms, 60000);
	assert_int_equal(inv->svc[0].checks[2].json_op, JSONPATH_ABOVE);
	assert_string_equal(inv->svc[0].checks[2].json_value, "-0.5");
	fails("service \"a\" { check https \"https://x/\" json \"a..b\" is \"up\" }",
	      "s.conf:1:45: a member name is missing at byte 3 of the JSON path \"a..b\"");
	fails("service \"a\" { check https \"https://x/\" json \"a\" equals \"up\" }",
	      "s.conf:1:49: unknown JSON condition 'equals', expected one of: is, below, above");
	fails("service \"a\" { check https \"https://x/\" json \"a\" below lots }",
	      "s.conf:1:55: expected a number such as 100 or 0.5");
	fails("service \"a\" { check https \"https://x/\" json \"a\" is up }",
	      "s.conf:1:52: unexpected 'up', expected a value in quotes");
	fails("service \"a\" { check https \"https://x/\" warn-time 500 }",
	      "s.conf:1:50: expected a time such as 500ms, 2s or 1m");
	fails("service \"a\" { check https \"https://x/\" warn-time 10m }",
	      "s.conf:1:50: a response time from 1ms to 5m");
	fails("service \"a\" { check https \"https://x/\" warn-time 2s critical-time 2000ms }",
	      "s.conf:1:21: warn-time must be shorter than critical-time");
	ok("service \"a\" { check https \"https://x/\" json \"a\" is \"b\" warn-time 1s from \"gw\"\n"
	   "  check tls \"x\" starttls imap from \"gw\" check dns \"x\" server \"::1\" from \"gw\" }");
	assert_string_equal(inv->svc[0].checks[2].from, "gw");
	fails("service \"a\" { check tcp \"x\" port 1 warn-time 1s }",
	      "s.conf:1:36: a tcp check has no option 'warn-time'");
}

/* dns servers: IPv4 or IPv6, with a port */
static void test_dns_servers(void **state)
{
	(void)state;
	ok("service \"a\" { check dns \"erp.kavala.gr\" server \"fd00:20::2\"\n"
	   "  check dns \"erp.kavala.gr\" type AAAA server \"[fd00:20::2]:5353\"\n"
	   "  check dns \"erp.kavala.gr\" type MX server \"10.20.0.2:5353\" }");
	assert_string_equal(inv->svc[0].checks[1].dns_server, "[fd00:20::2]:5353");
	fails("service \"a\" { check dns \"x\" server \"10.20.0.2:99999\" }",
	      "s.conf:1:36: \"99999\" is not a port from 1 to 65535");
	fails("service \"a\" { check dns \"x\" server \"dns.kavala.gr\" }",
	      "s.conf:1:36: \"dns.kavala.gr\" is not an IPv4 or IPv6 address");
}

static void test_bounds(void **state)
{
	char text[8192];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "service \"a\" {\n");
	for (int i = 0; i <= INV_MAX_CHECKS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "check tcp \"h\" port %d\n", i + 1);
	snprintf(text + n, sizeof(text) - n, "}\n");
	fails(text, "s.conf:18:7: too many checks in service \"a\", the limit is 16");

	/* a string longer than any field */
	char big[2000];
	memset(big, 'k', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "service \"a\" { check https \"https://x/\" keyword \"%s\" }",
		 big);
	fails(text, "s.conf:1:48: a keyword in quotes \"kkkk");
	assert_non_null(strstr(err, "is too long, the limit is 511 bytes"));
}

/* A `service` block inside console.conf (and its includes) is read by the
 * same parser; the console keeps the inventory. */
static void test_in_console_conf(void **state)
{
	static const char conf[] =
		"data \"/d\"\n"
		"service \"x\" { check push \"j\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" }\n"
		"log level debug\n"
		"service \"y\" { depends \"x\" }\n";
	struct console_conf c;

	(void)state;
	cconf_defaults(&c);
	if (cconf_load_buffer("c.conf", conf, strlen(conf), "/", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(c.inv);
	assert_int_equal(c.inv->n, 2);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	cconf_free(&c);
	assert_null(c.inv);

	static const char bad[] = "data \"/d\"\nservice \"x\" {\n  owner 5\n}\nlog level debug\n";
	cconf_defaults(&c);
	assert_int_equal(cconf_load_buffer("c.conf", bad, strlen(bad), "/", &c, err,
					   sizeof(err)), -1);
	assert_null(c.inv);
	assert_int_equal(strncmp(err, "c.conf:3:9: unexpected number '5', expected an owner in quotes",
				 62), 0);

	static const char dep[] = "data \"/d\"\nservice \"y\" { depends \"x\" }\n";
	assert_int_equal(cconf_load_buffer("c.conf", dep, strlen(dep), "/", &c, err,
					   sizeof(err)), -1);
	assert_string_equal(err, "c.conf:2:23: service \"y\" depends on \"x\", which is not in "
			    "the inventory");
}

static int teardown(void **state)
{
	(void)state;
	inv_free(inv);
	inv = inv_new();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_contract_block, teardown),
		cmocka_unit_test_teardown(test_kavala_file, teardown),
		cmocka_unit_test_teardown(test_every_statement, teardown),
		cmocka_unit_test_teardown(test_errors, teardown),
		cmocka_unit_test_teardown(test_from_and_schedule, teardown),
		cmocka_unit_test_teardown(test_starttls, teardown),
		cmocka_unit_test_teardown(test_json_and_times, teardown),
		cmocka_unit_test_teardown(test_dns_servers, teardown),
		cmocka_unit_test_teardown(test_bounds, teardown),
		cmocka_unit_test_teardown(test_in_console_conf, teardown),
	};
	int r;

	inv = inv_new();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	inv_free(inv);
	return r;
}
