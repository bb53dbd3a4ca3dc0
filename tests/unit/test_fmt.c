/*
 * test_fmt.c - unit tests of the hook formatters (console/fmt.c): the exact
 * RFC 5424 header and structured data, CEF and LEEF escaping, the ECS
 * field names, the chat presets, the MIME mail (Greek subject in RFC 2047,
 * both parts), and hostile fields (control characters, invalid UTF-8,
 * 64 KiB strings) through every format, checked by tests/fuzz/fmt_check.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"
#include "version.h"
#define KASTRO_VERSION_FOR_TEST KASTRO_VERSION
#include "../fuzz/fmt_check.h"

static char out[FMT_OUT_MAX];
static const struct fmt_ctx ctx = { "console.kavala.example", "https://kastro.example:8443" };

static struct fmt_alert sample(void)
{
	struct fmt_alert a = {
		.id = 42, .delivery_id = 7, .reason = "raised", .kind = "alert",
		.sensor_id = "gw-1", .host = "pc-12", .signature = "ET SCAN a=b|c\\d\nnext",
		.category = "Attempted Information Leak", .action = "blocked", .app = "TLS",
		.status = "new", .signature_id = 2100498, .severity = 2,
		.first_seen = 1780000000, .last_seen = 1780000100, .count = 3,
		.eve = "{\"event_type\":\"alert\",\"src_ip\":\"10.10.0.2\",\"dest_ip\":\"10.20.0.15\","
		       "\"src_port\":51000,\"dest_port\":443,\"proto\":\"TCP\"}",
	};

	a.eve_len = strlen(a.eve);
	return a;
}

static const char *syslog_of(enum hook_format f, const struct fmt_alert *a)
{
	struct hook_def h;
	struct fmt_out o;

	hook_defaults(&h, "t");
	h.kind = HOOK_SYSLOG;
	h.format = f;
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_syslog(&h, a, &ctx, &o), 0);
	return out;
}

static void test_5424_cef(void **state)
{
	struct fmt_alert a = sample();
	const char *msg;

	(void)state;
	syslog_of(HOOK_F_CEF, &a);
	assert_null(fc_5424(out, "kastro@32473", &msg));
	assert_string_equal(out,
		"<131>1 2026-05-28T20:28:20.000Z console.kavala.example kastro - alert "
		"[kastro@32473 id=\"42\" sensor=\"gw-1\" host=\"pc-12\" severity=\"high\" "
		"delivery=\"7\" reason=\"raised\"] "
		"CEF:0|Kastro|Kastro|" KASTRO_VERSION_FOR_TEST "|2100498|ET SCAN a=b\\|c\\\\d next|8|"
		"rt=1780000100000 externalId=42 cat=Attempted Information Leak act=blocked "
		"dhost=pc-12 src=10.10.0.2 dst=10.20.0.15 spt=51000 dpt=443 proto=TCP cnt=3 "
		"deviceExternalId=gw-1 app=TLS cs1Label=kind cs1=alert cs2Label=reason cs2=raised "
		"cs3Label=url cs3=https://kastro.example:8443/#/alerts/42 cn1Label=delivery cn1=7");
	assert_null(fc_cef(msg));
	/* '=' and '\' in an extension value are escaped */
	a.category = "x=y\\z";
	syslog_of(HOOK_F_CEF, &a);
	assert_non_null(strstr(out, " cat=x\\=y\\\\z "));
	/* SD-PARAM escapes '"', '\' and ']' */
	a.host = "a\"b]c\\";
	syslog_of(HOOK_F_TEXT, &a);
	assert_non_null(strstr(out, " host=\"a\\\"b\\]c\\\\\" "));
	assert_null(fc_5424(out, "kastro@32473", &msg));
}

static void test_leef(void **state)
{
	struct fmt_alert a = sample();
	const char *msg;

	(void)state;
	a.host = "pc\t12";
	syslog_of(HOOK_F_LEEF, &a);
	assert_null(fc_5424(out, "kastro@32473", &msg));
	assert_null(fc_leef(msg));
	assert_non_null(strstr(msg, "LEEF:2.0|Kastro|Kastro|"));
	assert_non_null(strstr(msg, "|alert|x09|devTime=1780000100000\tdevTimeFormat=epoch\tsev=8\t"));
	assert_non_null(strstr(msg, "\tsrc=10.10.0.2\tdst=10.20.0.15\tsrcPort=51000\tdstPort=443\t"));
	assert_non_null(strstr(msg, "\tidentHostName=pc 12\t"));
}

static void test_ecs(void **state)
{
	struct fmt_alert a = sample();
	const char *msg;
	json_t *j;

	(void)state;
	a.signature = "Κακόβουλο λογισμικό";
	syslog_of(HOOK_F_ECS, &a);
	assert_null(fc_5424(out, "kastro@32473", &msg));
	j = json_loads(msg, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "event"), "kind")), "alert");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "event"), "severity")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "rule"), "name")),
			    "Κακόβουλο λογισμικό");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "source"), "ip")), "10.10.0.2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "destination"), "ip")), "10.20.0.15");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "host"), "name")), "pc-12");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "observer"), "name")), "gw-1");
	assert_string_equal(json_string_value(json_object_get(j, "@timestamp")), "2026-05-28T20:28:20.000Z");
	json_decref(j);
	/* EVE: the stored event, compact */
	syslog_of(HOOK_F_EVE, &a);
	assert_null(fc_5424(out, "kastro@32473", &msg));
	assert_string_equal(msg, a.eve);
}

static void test_webhook(void **state)
{
	struct fmt_alert a = sample();
	struct hook_def h;
	struct fmt_out o;
	json_t *j;

	(void)state;
	hook_defaults(&h, "w");
	h.kind = HOOK_WEBHOOK;
	a.signature = "<script>&";
	for (int f = HOOK_F_JSON; f <= HOOK_F_TEAMS; f++) {
		h.format = (enum hook_format)f;
		fmt_out_init(&o, out, sizeof(out));
		assert_int_equal(fmt_body(&h, &a, &ctx, &o), 0);
		assert_null(fc_json(out));
	}
	h.format = HOOK_F_SLACK;
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_body(&h, &a, &ctx, &o), 0);
	j = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "text")),
			    "Kastro: [high] &lt;script&gt;&amp; on pc-12 (sensor gw-1), 3 time(s), "
			    "<https://kastro.example:8443/#/alerts/42|alert 42>");
	json_decref(j);
	h.format = HOOK_F_MATTERMOST;
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_body(&h, &a, &ctx, &o), 0);
	assert_non_null(strstr(out, "[alert 42](https://kastro.example:8443/#/alerts/42)"));
}

static void test_mail(void **state)
{
	struct fmt_alert a = sample();
	struct hook_def h;
	struct fmt_out o;
	char subject[4096];

	(void)state;
	hook_defaults(&h, "m");
	h.kind = HOOK_EMAIL;
	memcpy(h.from, "kastro@kavala.example", 22);
	memcpy(h.to[0], "soc@kavala.example", 19);
	memcpy(h.to[1], "it@kavala.example", 18);
	h.n_to = 2;
	a.signature = "ET SCAN";
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_mail(&h, &a, &ctx, 1780000200, &o), 0);
	assert_null(fc_mail(out, subject, sizeof(subject)));
	assert_string_equal(subject, "[Kastro] HIGH: ET SCAN on pc-12");
	assert_non_null(strstr(out, "Date: Thu, 28 May 2026 20:30:00 +0000\r\n"));
	assert_non_null(strstr(out, "To: <soc@kavala.example>,\r\n <it@kavala.example>\r\n"));
	h.lang = HOOK_LANG_EL;
	a.signature = "Κακόβουλο λογισμικό στο αρχείο";
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_mail(&h, &a, &ctx, 1780000200, &o), 0);
	assert_null(fc_mail(out, subject, sizeof(subject)));
	assert_string_equal(subject, "[Kastro] ΥΨΗΛΗ: Κακόβουλο λογισμικό στο αρχείο στο pc-12");
	assert_non_null(strstr(out, "Subject: =?UTF-8?B?"));
}

static void test_digest(void **state)
{
	struct fmt_alert a[3] = { sample(), sample(), sample() };
	struct hook_def h;
	struct fmt_out o;
	char subject[4096];

	(void)state;
	hook_defaults(&h, "m");
	h.kind = HOOK_EMAIL;
	memcpy(h.from, "kastro@kavala.example", 22);
	memcpy(h.to[0], "soc@kavala.example", 19);
	h.n_to = 1;
	a[1].severity = 1;
	a[2].signature = "Κακόβουλο";
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_mail_digest(&h, a, 3, &ctx, 1780000200, &o), 0);
	assert_null(fc_mail(out, subject, sizeof(subject)));
	assert_string_equal(subject, "[Kastro] 3 alerts (digest), highest CRITICAL");
	h.lang = HOOK_LANG_EL;
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_mail_digest(&h, a, 3, &ctx, 1780000200, &o), 0);
	assert_null(fc_mail(out, subject, sizeof(subject)));
	assert_string_equal(subject, "[Kastro] 3 ειδοποιήσεις (σύνοψη), ανώτερη ΚΡΙΣΙΜΗ");
}

/* Control characters, invalid UTF-8 and 64 KiB strings in every field. */
static void test_hostile(void **state)
{
	static const enum hook_format sys[] = { HOOK_F_TEXT, HOOK_F_CEF, HOOK_F_LEEF, HOOK_F_ECS, HOOK_F_EVE };
	struct fmt_alert a = sample();
	char *big = malloc(65537), subject[4096];
	struct hook_def h;
	struct fmt_out o;
	const char *msg;

	(void)state;
	assert_non_null(big);
	for (int i = 0; i < 65536; i++)
		big[i] = "\x01\xff\xce=|\\\n]\"\xe2\x80\xa8<\t"[i % 15];
	big[65536] = '\0';
	a.signature = a.host = a.sensor_id = a.category = a.action = a.app = a.kind = a.reason = big;
	a.eve = "{\"src_ip\":\"1.2.3.4\n\"";     /* does not parse */
	a.eve_len = strlen(a.eve);
	hook_defaults(&h, "x");
	h.kind = HOOK_SYSLOG;
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		h.format = sys[i];
		fmt_out_init(&o, out, sizeof(out));
		assert_int_equal(fmt_syslog(&h, &a, &ctx, &o), 0);
		assert_null(fc_5424(out, "kastro@32473", &msg));
		if (sys[i] == HOOK_F_CEF)
			assert_null(fc_cef(msg));
		if (sys[i] == HOOK_F_LEEF)
			assert_null(fc_leef(msg));
		if (sys[i] == HOOK_F_ECS || sys[i] == HOOK_F_EVE)
			assert_null(fc_json(msg));
	}
	h.kind = HOOK_EMAIL;
	memcpy(h.from, "k@x.gr", 7);
	memcpy(h.to[0], "a@x.gr", 7);
	h.n_to = 1;
	fmt_out_init(&o, out, sizeof(out));
	assert_int_equal(fmt_mail(&h, &a, &ctx, 1780000200, &o), 0);
	assert_null(fc_mail(out, subject, sizeof(subject)));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_5424_cef),
		cmocka_unit_test(test_leef),
		cmocka_unit_test(test_ecs),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
