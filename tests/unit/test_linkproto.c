/*
 * test_linkproto.c - the pure parts of kastrod's console link: spool
 * classes of events, batches (gaps, limits), the console's ack and command
 * list, command results, and the retry backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sensorenroll.h"
#include "linkproto.h"

static void test_event_class(void **state)
{
	enum spool_class c;
	char err[128];
	const char *a = "{\"event_type\":\"alert\",\"alert\":{}}";
	const char *s = "{\"event_type\":\"stats\"}";
	const char *f = "{\"timestamp\":\"x\",\"event_type\":\"flow\"}";

	(void)state;
	assert_int_equal(linkp_event_class(a, strlen(a), &c, err, sizeof(err)), 0);
	assert_int_equal(c, SPOOL_FINDING);
	assert_int_equal(linkp_event_class(s, strlen(s), &c, err, sizeof(err)), 0);
	assert_int_equal(c, SPOOL_HEARTBEAT);
	assert_int_equal(linkp_event_class(f, strlen(f), &c, err, sizeof(err)), 0);
	assert_int_equal(c, SPOOL_EVENT);
	assert_int_equal(linkp_event_class("[1]", 3, &c, err, sizeof(err)), -1);
	assert_int_equal(linkp_event_class("{\"event_type\":1}", 16, &c, err, sizeof(err)), -1);
	assert_int_equal(linkp_event_class("{\"a\":", 5, &c, err, sizeof(err)), -1);
	assert_int_equal(linkp_event_class("", 0, &c, err, sizeof(err)), -1);
}

static void test_batch(void **state)
{
	struct linkp_batch b;
	const char *e = "{\"event_type\":\"flow\"}";
	size_t i;

	(void)state;
	assert_int_equal(linkp_batch_init(&b, 4096), 0);
	assert_int_equal(linkp_batch_add(&b, 7, e, strlen(e)), 0);
	assert_int_equal(linkp_batch_add(&b, 8, e, strlen(e)), 0);
	/* a gap starts a new batch */
	assert_int_equal(linkp_batch_add(&b, 10, e, strlen(e)), 1);
	linkp_batch_finish(&b);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.first_seq, 7);
	assert_int_equal(b.last_seq, 8);
	assert_int_equal(b.len, strlen("{\"first_seq\":7,\"events\":[" "{\"event_type\":\"flow\"},"
					"{\"event_type\":\"flow\"}]}"));
	assert_memory_equal(b.buf, "{\"first_seq\":7,\"events\":[{\"event_type\":\"flow\"},"
			    "{\"event_type\":\"flow\"}]}", b.len);
	/* full: the next one waits for the next batch */
	linkp_batch_reset(&b);
	for (i = 0; linkp_batch_add(&b, 1 + i, e, strlen(e)) == 0; i++)
		;
	assert_true(i > 100 && b.len + strlen(e) + 3 > b.cap);
	linkp_batch_free(&b);
	/* at most LINKP_BATCH_MAX_EVENTS */
	assert_int_equal(linkp_batch_init(&b, LINKP_BATCH_MAX_BYTES), 0);
	for (i = 0; linkp_batch_add(&b, 1 + i, e, strlen(e)) == 0; i++)
		;
	assert_int_equal(i, LINKP_BATCH_MAX_EVENTS);
	linkp_batch_free(&b);
	/* an event larger than any batch is an error, not a stall */
	assert_int_equal(linkp_batch_init(&b, 64), 0);
	assert_int_equal(linkp_batch_add(&b, 1, "{\"event_type\":\"flow\",\"x\":\"0123456789012345678\"}",
					 48), -1);
	linkp_batch_free(&b);
}

static void test_ack(void **state)
{
	char err[128];
	uint64_t ack;

	(void)state;
	assert_int_equal(linkp_parse_ack("{\"ack\":12,\"stored\":2}", 21, 10, 12, &ack, err,
					 sizeof(err)), 0);
	assert_int_equal(ack, 12);
	assert_int_equal(linkp_parse_ack("{\"ack\":13}", 10, 10, 12, &ack, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_ack("{\"ack\":9}", 9, 10, 12, &ack, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_ack("{\"ack\":\"12\"}", 12, 10, 12, &ack, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_ack("{\"ack\":-1}", 10, 0, 12, &ack, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_ack("<html>", 6, 10, 12, &ack, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
}

static void test_commands(void **state)
{
	struct linkp_cmd c[4];
	char err[128];
	size_t n;
	const char *ok = "{\"commands\":[{\"id\":3,\"type\":\"ping\",\"args\":{}},"
			 "{\"id\":4,\"type\":\"scan\"},{\"id\":5,\"type\":7}]}";
	const char *badid = "{\"commands\":[{\"id\":0,\"type\":\"ping\"}]}";
	char *r;

	(void)state;
	assert_int_equal(linkp_parse_commands(ok, strlen(ok), c, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(c[0].id, 3);
	assert_string_equal(c[0].type, "ping");
	assert_string_equal(c[1].type, "scan");
	assert_string_equal(c[2].type, "");
	assert_non_null(c[0].args);
	assert_null(c[1].args);
	r = linkp_result(c[0].id, true, linkp_pong(1700000000, "kastrod"));
	assert_string_equal(r, "{\"id\":3,\"status\":\"done\",\"result\":{\"pong\":1700000000,"
			    "\"sensor\":\"kastrod\"}}");
	free(r);
	r = linkp_result(c[1].id, false, linkp_error("unknown command \"%s\"", c[1].type));
	assert_string_equal(r, "{\"id\":4,\"status\":\"failed\",\"result\":{\"error\":"
			    "\"unknown command \\\"scan\\\"\"}}");
	free(r);
	for (size_t i = 0; i < n; i++)
		linkp_cmd_clear(&c[i]);
	assert_int_equal(linkp_parse_commands(ok, strlen(ok), c, 2, &n, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_commands(badid, strlen(badid), c, 4, &n, err, sizeof(err)), -1);
	assert_int_equal(linkp_parse_commands("{\"commands\":[]}", 15, c, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(linkp_parse_commands("{}", 2, c, 4, &n, err, sizeof(err)), -1);


}

static void test_backoff(void **state)
{
	uint32_t cur = 0, w, i;

	(void)state;
	w = linkp_backoff(&cur, 0);
	assert_int_equal(cur, 1000);
	assert_int_equal(w, 500);
	w = linkp_backoff(&cur, 0xffffffffu);
	assert_int_equal(cur, 2000);
	assert_true(w >= 1000 && w <= 2000);
	for (i = 0; i < 20; i++)
		w = linkp_backoff(&cur, i * 7919u);
	assert_int_equal(cur, 60000);
	assert_true(w >= 30000 && w <= 60000);
}

static void test_hostport(void **state)
{
	char h[64], p[8];

	(void)state;
	assert_int_equal(sensorenroll_split_hostport("10.20.0.5", "8443", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "10.20.0.5");
	assert_string_equal(p, "8443");
	assert_int_equal(sensorenroll_split_hostport("console:9443", "8443", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "console");
	assert_string_equal(p, "9443");
	assert_int_equal(sensorenroll_split_hostport("[fd00::5]:443", "8443", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "fd00::5");
	assert_string_equal(p, "443");
	assert_int_equal(sensorenroll_split_hostport("fd00::5", "8443", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "fd00::5");
	assert_int_equal(sensorenroll_split_hostport("host:0", "8443", h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(sensorenroll_split_hostport("host:x", "8443", h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(sensorenroll_split_hostport(":80", "8443", h, sizeof(h), p, sizeof(p)), -1);
	assert_int_equal(sensorenroll_split_hostport("[::1", "8443", h, sizeof(h), p, sizeof(p)), -1);
}

/* A refused batch of 1000 narrows by halves to the one bad event, which is
 * skipped; accepted batches grow back to the limit. */
static void test_refused_batch_narrows_then_skips(void **state)
{
	unsigned max = LINKP_BATCH_MAX_EVENTS, tries = 0;
	size_t n = LINKP_BATCH_MAX_EVENTS;

	(void)state;
	while (linkp_refused(n, &max) == LINKP_RETRY) {
		assert_true(max >= 1 && max < n);
		n = max;
		tries++;
	}
	assert_int_equal(n, 1);
	assert_true(tries <= 10);
	assert_int_equal(linkp_refused(0, &max), LINKP_SKIP);
	for (int i = 0; i < 20; i++)
		linkp_accepted(&max);
	assert_int_equal(max, LINKP_BATCH_MAX_EVENTS);
	max = 0;
	linkp_accepted(&max);
	assert_true(max >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_class),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_refused_batch_narrows_then_skips),
		cmocka_unit_test(test_hostport),
	};
	return cmocka_run_group_tests_name("linkproto", tests, NULL, NULL);
}
