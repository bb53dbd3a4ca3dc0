/*
 * test_cron.c - unit tests of cron schedules (lib/cron.c): the forms
 * crontab(5) writes (ranges, steps, lists, names, @macros, day 7), errors
 * that say which field, the next run in UTC (day-of-month OR day-of-week
 * when both are restricted, month ends, leap years, a date that never
 * comes) and in a local time zone across its DST changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cron.h"

/* epoch seconds of a UTC date */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };

	return (int64_t)timegm(&tm);
}

static int64_t next(const char *expr, int64_t after, bool in_utc)
{
	struct cron c;
	char err[200];

	assert_int_equal(cron_parse(expr, &c, err, sizeof(err)), 0);
	return cron_next(&c, after, in_utc);
}

static void test_parse_errors(void **state)
{
	static const struct { const char *expr, *want; } bad[] = {
		{ "0 2 * *", "five fields" },
		{ "0 2 * * * *", "not more" },
		{ "60 2 * * *", "minute field '60' is out of range" },
		{ "0 24 * * *", "hour field" },
		{ "0 2 0 * *", "day of month field '0'" },
		{ "0 2 * 13 *", "month field" },
		{ "0 2 * * 8", "day of week field" },
		{ "0 2 * * mon-sunday", "day of week field 'mon-sunday' is not understood" },
		{ "*/0 * * * *", "minute field" },
		{ "5-1 * * * *", "out of range" },
		{ "1,,2 * * * *", "not understood" },
		{ "@sometimes", "not a schedule" },
		{ "", "five fields" },
	};
	struct cron c;
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cron_parse(bad[i].expr, &c, err, sizeof(err)), -1);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("'%s': got '%s', wanted '%s'", bad[i].expr, err, bad[i].want);
	}
}

static void test_next_utc(void **state)
{
	int64_t t0 = utc(2026, 12, 6, 23, 30);  /* a Sunday */

	(void)state;
	assert_int_equal(next("0 2 * * *", t0, true), utc(2026, 12, 7, 2, 0));
	assert_int_equal(next("@daily", t0, true), utc(2026, 12, 7, 0, 0));
	assert_int_equal(next("@hourly", t0, true), utc(2026, 12, 7, 0, 0));
	assert_int_equal(next("*/15 * * * *", t0, true), utc(2026, 12, 6, 23, 45));
	assert_int_equal(next("30 23 * * *", t0, true), utc(2026, 12, 7, 23, 30)); /* after, not at */
	assert_int_equal(next("0 9 * * mon-fri", t0, true), utc(2026, 12, 7, 9, 0));
	assert_int_equal(next("0 9 * * 7", t0, true), utc(2026, 12, 13, 9, 0));
	assert_int_equal(next("0 9 * * SAT,sun", t0, true), utc(2026, 12, 12, 9, 0));
	assert_int_equal(next("@weekly", t0, true), utc(2026, 12, 13, 0, 0));
	assert_int_equal(next("@monthly", t0, true), utc(2027, 1, 1, 0, 0));
	assert_int_equal(next("0 0 1 jan *", t0, true), utc(2027, 1, 1, 0, 0));
	/* both day fields restricted: either matches (the 15th, or a Friday) */
	assert_int_equal(next("0 3 15 * fri", t0, true), utc(2026, 12, 11, 3, 0));
	/* one of them starts with '*': both must match (a Friday on the 1st, 8th, 15th...) */
	assert_int_equal(next("0 3 */7 * 5", t0, true), utc(2027, 1, 1, 3, 0));
	assert_int_equal(next("0 0 31 * *", t0, true), utc(2026, 12, 31, 0, 0));
	assert_int_equal(next("0 0 31 * *", utc(2027, 1, 31, 1, 0), true), utc(2027, 3, 31, 0, 0));
	assert_int_equal(next("0 0 29 2 *", t0, true), utc(2028, 2, 29, 0, 0));
	assert_int_equal(next("10-20/5 4 * * *", t0, true), utc(2026, 12, 7, 4, 10));
	assert_int_equal(next("50/5 4 * * *", utc(2026, 12, 7, 4, 51), true), utc(2026, 12, 7, 4, 55));
	assert_int_equal(next("0 0 31 2 *", t0, true), -1);
}

static void test_next_local(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Athens", 1);
	tzset();
	/* EET is UTC+2, EEST (from the last Sunday of March) UTC+3 */
	assert_int_equal(next("0 2 * * *", utc(2026, 12, 6, 21, 30), false), utc(2026, 12, 7, 0, 0));
	assert_int_equal(next("0 2 * * *", utc(2026, 7, 1, 12, 0), false), utc(2026, 7, 1, 23, 0));
	/* 2027-03-28 03:00 local jumps to 04:00: 03:30 does not exist that day */
	int64_t v = next("30 3 * * *", utc(2027, 3, 27, 12, 0), false);

	assert_true(v > utc(2027, 3, 27, 12, 0) && v <= utc(2027, 3, 29, 0, 30));
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_next_utc),
		cmocka_unit_test(test_next_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
