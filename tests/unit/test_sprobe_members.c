/*
 * test_sprobe_members.c - unit tests of how tls, dns and http(s) checks
 * with their newer options travel to a sensor (lib/sprobe.c): the
 * members sprobe_members() adds for the console read back by the
 * sensor's sprobe_args() into the same check, and members a sensor
 * refuses (of another kind, malformed, out of range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sprobe.h"

static const char inv_text[] =
	"service \"mail\" {\n"
	"  check tls \"mail.kavala.gr\" port 587 starttls smtp warn 30d 10d 3d from \"gw\"\n"
	"  check dns \"erp.kavala.gr\" type AAAA server \"[fd00:20::2]:5353\" expect \"fd00:20::30\" "
	"rcode NXDOMAIN from \"gw\"\n"
	"  check https \"https://erp/health\" json \"status.db\" is \"up\" warn-time 300ms "
	"critical-time 2s from \"gw\"\n"
	"  check http \"http://erp/q\" json \"queue[0].depth\" below 100 from \"gw\"\n"
	"}\n";

/* The command's check for c, as console/sprobes.c makes it. */
static json_t *command_check(const struct inv_check *c)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "service", "mail", "key", c->at,
			      "kind", inv_kind_name(c->kind), "target", c->target, "every",
			      (json_int_t)c->every, "retry_every", (json_int_t)c->retry_every,
			      "timeout", (json_int_t)c->timeout);

	assert_non_null(o);
	if (c->port != 0)
		json_object_set_new(o, "port", json_integer(c->port));
	assert_int_equal(sprobe_members(o, c), 0);
	return o;
}

static void test_round_trip(void **state)
{
	struct inventory *inv = inv_new();
	struct sprobe_check *cs;
	json_t *arr = json_array(), *args;
	char err[512];
	size_t n;

	(void)state;
	assert_int_equal(inv_load_buffer("s.conf", inv_text, strlen(inv_text), inv, err,
					 sizeof(err)), 0);
	for (int i = 0; i < inv->svc[0].n_checks; i++)
		json_array_append_new(arr, command_check(&inv->svc[0].checks[i]));
	args = json_pack("{s:o}", "checks", arr);
	assert_int_equal(sprobe_args(args, &cs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cs[0].chk.kind, INV_CHK_TLS);
	assert_int_equal(cs[0].chk.port, 587);
	assert_string_equal(cs[0].chk.starttls, "smtp");
	assert_int_equal(cs[0].chk.warn_days[0], 30);
	assert_int_equal(cs[0].chk.warn_days[2], 3);
	assert_int_equal(cs[1].chk.kind, INV_CHK_DNS);
	assert_string_equal(cs[1].chk.dns_type, "AAAA");
	assert_string_equal(cs[1].chk.dns_server, "[fd00:20::2]:5353");
	assert_string_equal(cs[1].chk.dns_expect, "fd00:20::30");
	assert_string_equal(cs[1].chk.dns_rcode, "NXDOMAIN");
	assert_int_equal(cs[2].chk.json_op, JSONPATH_IS);
	assert_string_equal(cs[2].chk.json_path, "status.db");
	assert_string_equal(cs[2].chk.json_value, "up");
	assert_int_equal(cs[2].chk.warn_ms, 300);
	assert_int_equal(cs[2].chk.crit_ms, 2000);
	assert_int_equal(cs[3].chk.json_op, JSONPATH_BELOW);
	assert_string_equal(cs[3].chk.json_value, "100");
	free(cs);
	json_decref(args);
	inv_free(inv);
}

/* One check's JSON, refused with err containing want. */
static void refused(const char *check, const char *want)
{
	char text[1024], err[512] = "";
	json_error_t je;
	json_t *args;
	struct sprobe_check *cs;
	size_t n;

	snprintf(text, sizeof(text), "{\"checks\": [%s]}", check);
	args = json_loads(text, 0, &je);
	assert_non_null(args);
	assert_int_equal(sprobe_args(args, &cs, &n, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("got \"%s\", wanted \"%s\"", err, want);
	json_decref(args);
}

#define COMMON "\"service\": \"s\", \"key\": \"k\", \"every\": 30, \"retry_every\": 30, " \
	"\"timeout\": 5, "

static void test_refused(void **state)
{
	(void)state;
	refused("{" COMMON "\"kind\": \"tls\", \"target\": \"x\", \"warn\": [7, 14, 21]}",
		"checks[0].warn: expected 3 days from 365 to 1, longest first");
	refused("{" COMMON "\"kind\": \"tls\", \"target\": \"x\", \"starttls\": \"ftp\"}",
		"checks[0].starttls: not one of the words expected");
	refused("{" COMMON "\"kind\": \"tcp\", \"target\": \"x\", \"port\": 1, \"starttls\": \"smtp\"}",
		"checks[0]: a member not of a tcp check");
	refused("{" COMMON "\"kind\": \"dns\", \"target\": \"x\", \"server\": \"dns.kavala.gr\"}",
		"checks[0].server: \"dns.kavala.gr\" is not an IPv4 or IPv6 address");
	refused("{" COMMON "\"kind\": \"dns\", \"target\": \"x\", \"port\": 53}",
		"checks[0].port: only for tcp and tls checks");
	refused("{" COMMON "\"kind\": \"http\", \"target\": \"http://x/\", \"json\": {\"path\": "
		"\"a..b\", \"op\": \"is\", \"value\": \"up\"}}", "checks[0].json.path: a member name");
	refused("{" COMMON "\"kind\": \"http\", \"target\": \"http://x/\", \"json\": {\"path\": "
		"\"a\", \"op\": \"below\", \"value\": \"lots\"}}", "checks[0].json.value: expected a number");
	refused("{" COMMON "\"kind\": \"http\", \"target\": \"http://x/\", \"warn_ms\": 900, "
		"\"crit_ms\": 500}", "checks[0].warn_ms: not below crit_ms");
	refused("{" COMMON "\"kind\": \"icmp\", \"target\": \"x\"}",
		"checks[0].kind: expected http, https, tcp, plugin, tls or dns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
