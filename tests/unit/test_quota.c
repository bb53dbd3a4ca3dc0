/*
 * test_quota.c - per-sensor ingest quotas (console/quota.c): a burst is
 * taken, the next batch refused and counted until the bucket refills at
 * the configured rate, sensors do not share buckets, the table's bound
 * gives up only sensors whose buckets are full again, and what was refused
 * is collected once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "quota.h"

struct seen {
	char sensor[80];
	uint64_t batches, events, bytes;
	int calls;
};

static void collect(void *arg, const char *sensor, uint64_t batches, uint64_t events,
		    uint64_t bytes)
{
	struct seen *s = arg;

	snprintf(s->sensor, sizeof(s->sensor), "%s", sensor);
	s->batches = batches;
	s->events = events;
	s->bytes = bytes;
	s->calls++;
}

/* 100 events/s and 10,000 bytes/s, 2 s of burst. */
static void test_burst_then_refused_until_refilled(void **state)
{
	struct quota_limits lim = { .events_per_s = 100, .bytes_per_s = 10000, .burst_s = 2 };
	struct quota *q = quota_new(&lim, 4);
	struct quota_stats st;
	struct seen seen = { 0 };
	uint32_t retry = 0;

	(void)state;
	assert_non_null(q);
	assert_int_equal(quota_take(q, "s1", 1000, 150, 100, &retry), 0);
	assert_int_equal(quota_take(q, "s1", 1000, 50, 100, &retry), 0);
	/* the 200 events of the burst are gone: refused, 1 s until 100 fit */
	assert_int_equal(quota_take(q, "s1", 1000, 100, 100, &retry), 1);
	assert_int_equal(retry, 1);
	assert_int_equal(quota_take(q, "s1", 1500, 100, 100, &retry), 1);
	assert_int_equal(quota_take(q, "s1", 2000, 100, 100, &retry), 0);
	/* bytes count too: refilled to 20,000 at 2 s, 19,900 left */
	assert_int_equal(quota_bytes_short(q, "s1", 2000, 19901), 1);
	assert_int_equal(quota_bytes_short(q, "s1", 2000, 19900), 0);
	assert_int_equal(quota_take(q, "s1", 2000, 0, 19901, &retry), 1);
	assert_int_equal(retry, 1);
	/* another sensor has its own buckets */
	assert_int_equal(quota_take(q, "s2", 2000, 200, 20000, &retry), 0);
	/* a batch bigger than the bucket never fits: the wait says burst */
	assert_int_equal(quota_take(q, "s2", 10000, 201, 1, &retry), 1);
	assert_int_equal(retry, 2);

	quota_get_stats(q, &st);
	assert_int_equal(st.refused_batches, 4);
	assert_int_equal(st.refused_events, 100 + 100 + 0 + 201);
	quota_collect(q, collect, &seen);
	assert_int_equal(seen.calls, 2);
	seen.calls = 0;
	quota_collect(q, collect, &seen);
	assert_int_equal(seen.calls, 0);        /* collected once */
	quota_free(q);
}

static void test_table_bound_gives_up_only_full_buckets(void **state)
{
	struct quota_limits lim = { .events_per_s = 10, .bytes_per_s = 0, .burst_s = 1 };
	struct quota *q = quota_new(&lim, 2);
	struct quota_stats st;
	struct seen seen = { 0 };

	(void)state;
	assert_int_equal(quota_take(q, "a", 0, 10, 0, NULL), 0);
	assert_int_equal(quota_take(q, "b", 0, 10, 0, NULL), 0);
	/* both in debt: a third sensor finds no place and is refused */
	assert_int_equal(quota_take(q, "c", 100, 1, 0, NULL), 1);
	quota_get_stats(q, &st);
	assert_int_equal(st.table_full, 1);
	/* a second later both are full again: c takes a place */
	assert_int_equal(quota_take(q, "c", 1100, 1, 0, NULL), 0);
	/* a sensor with refusals not yet collected keeps its place */
	assert_int_equal(quota_take(q, "c", 1100, 100, 0, NULL), 1);
	assert_int_equal(quota_take(q, "d", 5000, 1, 0, NULL), 0);    /* a or b full: gives way */
	quota_collect(q, collect, &seen);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.sensor, "c");
	assert_int_equal(seen.events, 100);
	/* no quota at all: everything is taken */
	quota_free(q);
	lim.events_per_s = 0;
	q = quota_new(&lim, 1);
	assert_int_equal(quota_take(q, "a", 0, 1000000, 1000000000, NULL), 0);
	assert_int_equal(quota_take(q, "b", 0, 1000000, 1000000000, NULL), 0);
	quota_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refused_until_refilled),
		cmocka_unit_test(test_table_bound_gives_up_only_full_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
