/*
 * test_sla.c - the SLA computation (console/sla.c) on constructed
 * histories: the state carried into the month, outages crossing the month's
 * edges, maintenance overlapping outages and each other, unknown time, the
 * month's bounds in local time and the maintenance windows a month holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "sla.h"

#define H 3600
#define D 86400

static void test_plain(void **state)
{
	/* a 10-day span; up from before it, down 2h on day 3, down 30m on day 5 */
	struct sla_change ch[] = {
		{ -5 * D, SLA_UP }, { 3 * D, SLA_DOWN }, { 3 * D + 2 * H, SLA_UP },
		{ 5 * D, SLA_DOWN }, { 5 * D + 1800, SLA_UP },
	};
	struct sla_result r;

	(void)state;
	sla_compute(0, 10 * D, ch, 5, NULL, 0, &r);
	assert_int_equal(r.known, 10 * D);
	assert_int_equal(r.down, 2 * H + 1800);
	assert_int_equal(r.up, 10 * D - 2 * H - 1800);
	assert_int_equal(r.outages, 2);
	assert_int_equal(r.longest, 2 * H);
	assert_int_equal(r.maint, 0);
	assert_true(r.availability > 0.98958 && r.availability < 0.98959);
}

static void test_month_edges(void **state)
{
	/* down from 1h before the span to 1h into it, and from 1h before its end on */
	struct sla_change ch[] = {
		{ -H, SLA_DOWN }, { H, SLA_UP }, { 10 * D - H, SLA_DOWN }, { 10 * D + 5 * H, SLA_UP },
	};
	struct sla_result r;

	(void)state;
	sla_compute(0, 10 * D, ch, 4, NULL, 0, &r);
	assert_int_equal(r.down, 2 * H);
	assert_int_equal(r.outages, 2);
	assert_int_equal(r.longest, H);
	/* nothing known before the first change: unknown time is left out */
	struct sla_change late[] = { { 5 * D, SLA_UP } };

	sla_compute(0, 10 * D, late, 1, NULL, 0, &r);
	assert_int_equal(r.known, 5 * D);
	assert_true(r.availability == 1.0);
	sla_compute(0, 10 * D, NULL, 0, NULL, 0, &r);
	assert_int_equal(r.known, 0);
	assert_true(r.availability < 0);
	/* a change exactly at the start counts from the start */
	struct sla_change at0[] = { { 0, SLA_DOWN }, { H, SLA_UP } };

	sla_compute(0, D, at0, 2, NULL, 0, &r);
	assert_int_equal(r.down, H);
	assert_int_equal(r.outages, 1);
}

static void test_maintenance(void **state)
{
	/* down 2h..6h; maintenance 1h..3h and 2h..4h (overlapping), and 8h..9h
	   where it is up; a second outage 12h..13h wholly inside maintenance */
	struct sla_change ch[] = {
		{ 0, SLA_UP }, { 2 * H, SLA_DOWN }, { 6 * H, SLA_UP }, { 12 * H, SLA_DOWN },
		{ 13 * H, SLA_UP },
	};
	struct sla_span m[] = {
		{ 2 * H, 4 * H }, { 1 * H, 3 * H }, { 8 * H, 9 * H }, { 11 * H, 14 * H },
	};
	struct sla_result r;

	(void)state;
	sla_compute(0, D, ch, 5, m, 4, &r);
	assert_int_equal(r.maint, 3 * H + H + 3 * H);
	assert_int_equal(r.known, D - 7 * H);
	assert_int_equal(r.down, 2 * H);                /* 4h..6h */
	assert_int_equal(r.outages, 1);
	assert_int_equal(r.longest, 2 * H);
	assert_int_equal(r.up, D - 7 * H - 2 * H);
	/* maintenance reaching past the span counts only inside it */
	struct sla_span edge[] = { { -H, H }, { D - H, D + H } };

	sla_compute(0, D, ch, 1, edge, 2, &r);
	assert_int_equal(r.maint, 2 * H);
	assert_true(r.availability == 1.0);
}

static void test_month(void **state)
{
	int64_t from, to;
	struct tm tm;
	time_t t;

	(void)state;
	setenv("TZ", "Europe/Athens", 1);
	tzset();
	assert_int_equal(sla_month("2026-03", &from, &to), 0);
	/* March has the change to summer time: 31 days less one hour */
	assert_int_equal(to - from, 31 * D - H);
	t = (time_t)from;
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_mday, 1);
	assert_int_equal(tm.tm_hour, 0);
	assert_int_equal(sla_month("2026-12", &from, &to), 0);
	assert_int_equal(to - from, 31 * D);
	t = (time_t)to;
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_year, 2027 - 1900);
	assert_int_equal(tm.tm_mon, 0);
	static const char *const bad[] = { "", "2026-13", "2026-00", "2026-1", "2026/01",
					   "2026-01x", "20x6-01", "1969-12", "2026-+1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sla_month(bad[i], &from, &to) == 0)
			fail_msg("accepted: %s", bad[i]);
}

static void test_maint_spans(void **state)
{
	struct inv_service sv;
	struct sla_span sp[64];
	int64_t from, to;
	unsigned cut;
	size_t n;

	(void)state;
	setenv("TZ", "Europe/Athens", 1);
	tzset();
	memset(&sv, 0, sizeof(sv));
	/* weekly Sunday 02:00 for 2h: December 2026 has 4 Sundays (6, 13, 20, 27) */
	sv.maint[0] = (struct inv_maint){ .kind = INV_MW_WEEKLY, .wday = 0, .minute = 120,
					  .length = 2 * H };
	/* daily 23:30 for 1h: 31 starts in the month, and the one of 30 November
	   reaching past midnight into 1 December */
	sv.maint[1] = (struct inv_maint){ .kind = INV_MW_DAILY, .minute = 23 * 60 + 30,
					  .length = H };
	sv.n_maint = 2;
	assert_int_equal(sla_month("2026-12", &from, &to), 0);
	n = sla_maint_spans(&sv, from, to, sp, 64, &cut);
	assert_int_equal(cut, 0);
	assert_int_equal(n, 4 + 32);
	struct sla_result r;

	sla_compute(from, to, NULL, 0, sp, n, &r);
	/* 4 x 2h + 31 x 1h, with the first 30 min of December and the last
	   30 min of the night into January cut off by the month: 30 + 0.5 h */
	assert_int_equal(r.maint, 8 * H + 30 * H + H / 2 + H / 2);
	/* a bound: windows beyond max are counted */
	n = sla_maint_spans(&sv, from, to, sp, 10, &cut);
	assert_int_equal(n, 10);
	assert_int_equal(cut, 26);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_month_edges),
		cmocka_unit_test(test_maintenance),
		cmocka_unit_test(test_month),
		cmocka_unit_test(test_maint_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
