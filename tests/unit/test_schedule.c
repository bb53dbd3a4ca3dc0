/*
 * test_schedule.c - when the agent's scheduled scans start (agent/schedule.c):
 * every N from now, daily at HH:MM in local time across midnight, month
 * ends and a summer-time change, none without scan paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "schedule.h"

static char *path_v[] = { "/home" };

static void conf(struct agent_conf *c, enum aconf_sched kind, uint32_t minute, uint32_t every)
{
	aconf_defaults(c);
	c->scan_paths.v = path_v;
	c->scan_paths.n = 1;
	c->sched = kind;
	c->sched_minute = minute;
	c->sched_every = every;
}

/* Local time y-m-d h:mi as time_t. */
static time_t at(int y, int m, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_isdst = -1 };

	return mktime(&tm);
}

static void local(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm);
}

static void test_every(void **state)
{
	struct agent_conf c;

	(void)state;
	conf(&c, ACONF_SCHED_EVERY, 0, 6 * 3600);
	assert_int_equal(sched_next(&c, 1000), 1000 + 6 * 3600);
	c.scan_paths.n = 0;
	c.scan_paths.v = NULL;
	assert_int_equal(sched_next(&c, 1000), 0);
}

static void test_daily_utc(void **state)
{
	struct agent_conf c;
	char b[64];

	(void)state;
	setenv("TZ", "UTC0", 1);
	tzset();
	conf(&c, ACONF_SCHED_DAILY, 2 * 60, 0);
	local(sched_next(&c, at(2026, 11, 28, 1, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-11-28 02:00 UTC");
	/* at the very minute: the next day's */
	local(sched_next(&c, at(2026, 11, 28, 2, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-11-29 02:00 UTC");
	local(sched_next(&c, at(2026, 1, 31, 23, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-02-01 02:00 UTC");
	local(sched_next(&c, at(2026, 12, 31, 14, 31)), b, sizeof(b));
	assert_string_equal(b, "2027-01-01 02:00 UTC");
}

static void test_daily_summer_time(void **state)
{
	struct agent_conf c;
	char b[64];

	(void)state;
	/* Greece: EET, summer time from the last Sunday of March 03:00 to the
	 * last Sunday of October 04:00. */
	setenv("TZ", "EET-2EEST,M3.5.0/3,M10.5.0/4", 1);
	tzset();
	conf(&c, ACONF_SCHED_DAILY, 14 * 60 + 30, 0);
	local(sched_next(&c, at(2026, 3, 28, 15, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-03-29 14:30 EEST");
	local(sched_next(&c, at(2026, 10, 24, 15, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-10-25 14:30 EET");
	/* 03:30 does not exist on the day summer time starts */
	conf(&c, ACONF_SCHED_DAILY, 3 * 60 + 30, 0);
	local(sched_next(&c, at(2026, 3, 28, 15, 0)), b, sizeof(b));
	assert_string_equal(b, "2026-03-29 04:30 EEST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every),
		cmocka_unit_test(test_daily_utc),
		cmocka_unit_test(test_daily_summer_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
