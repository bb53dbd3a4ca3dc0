/*
 * test_isotime.c - unit tests of lib/isotime.c: the forms sensors and
 * backup tools write, zones, fractions, impossible dates and leftovers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "isotime.h"

/* s must parse to unix seconds want (its fields read as UTC when unzoned). */
static void is(const char *s, int64_t want, int zoned)
{
	struct isotime t;

	if (isotime_split(s, &t) != 0)
		fail_msg("refused: %s", s);
	if (isotime_utc(&t) != want)
		fail_msg("%s: got %lld, wanted %lld", s, (long long)isotime_utc(&t), (long long)want);
	if ((int)t.zoned != zoned)
		fail_msg("%s: zoned %d, wanted %d", s, (int)t.zoned, zoned);
}

static void bad(const char *s)
{
	struct isotime t;

	if (isotime_split(s, &t) == 0)
		fail_msg("accepted: %s", s);
}

static void test_forms(void **state)
{
	(void)state;
	is("2026-12-06T23:01:01Z", 1796598061, 1);
	is("2026-12-06 23:01:01Z", 1796598061, 1);
	is("2026-12-06T23:01:01.123456789Z", 1796598061, 1);
	is("2026-12-06T23:01:01,5Z", 1796598061, 1);
	is("2026-12-07T01:01:01+02:00", 1796598061, 1);
	is("2026-12-07T01:01:01+0200", 1796598061, 1);
	is("2026-12-06T20:01:01-03:00", 1796598061, 1);
	is("2026-12-06T23:01:01", 1796598061, 0);
	is("1970-01-01T00:00:00Z", 0, 1);
	is("1969-12-31T23:59:59Z", -1, 1);
	is("2024-02-29T00:00:00Z", 1709164800, 1);
	is("2016-12-31T23:59:60Z", 1483228800, 1);
}

static void test_refused(void **state)
{
	(void)state;
	bad("");
	bad("2026-12-06");
	bad("2026-12-06T23:01");
	bad("2026-12-06X23:01:01Z");
	bad("2026-13-06T23:01:01Z");
	bad("2026-00-06T23:01:01Z");
	bad("2026-04-31T23:01:01Z");
	bad("2025-02-29T00:00:00Z");
	bad("1900-02-29T00:00:00Z");
	bad("2026-12-06T24:00:00Z");
	bad("2026-12-06T23:60:00Z");
	bad("2026-12-06T23:01:61Z");
	bad("2026-12-06T23:01:01.Z");
	bad("2026-12-06T23:01:01+2");
	bad("2026-12-06T23:01:01+24:00");
	bad("2026-12-06T23:01:01+02:60");
	bad("2026-12-06T23:01:01Zjunk");
	bad("2026-12-06T23:01:01 ");
	bad("+026-12-06T23:01:01Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
