/*
 * test_lathist.c - the latency histogram: exact small values, percentiles
 * within the promised 1/16 of large ones, the top bucket, and no samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lathist.h"

static void test_empty(void **state)
{
	struct lathist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(lathist_pct(&h, 50), 0);
}

static void test_small_values_exact(void **state)
{
	struct lathist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 20; v++)
		lathist_add(&h, v);
	assert_int_equal(h.count, 20);
	assert_int_equal(lathist_pct(&h, 50), 10);
	assert_int_equal(lathist_pct(&h, 95), 19);
	assert_int_equal(lathist_pct(&h, 100), 20);
	assert_int_equal(lathist_pct(&h, 0), 1);
}

/* For values spread over six decades every percentile is within 1/16 above
 * the exact one, and never below it. */
static void test_large_values_bounded_error(void **state)
{
	static uint64_t v[10000];
	struct lathist h;
	uint64_t x = 7;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < 10000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v[i] = 32 + (x >> 33) % 5000000;
		lathist_add(&h, v[i]);
	}
	/* insertion sort would be slow; count instead */
	for (int pct = 1; pct <= 100; pct += 7) {
		uint64_t got = lathist_pct(&h, pct), below = 0, exact = 0;
		size_t want = (size_t)((10000 * pct + 99) / 100);

		for (size_t i = 0; i < 10000; i++)
			below += v[i] <= got;
		assert_true(below >= want);
		/* the exact percentile: the smallest value with >= want at or below */
		exact = got;
		for (size_t i = 0; i < 10000; i++) {
			size_t n = 0;

			if (v[i] >= exact)
				continue;
			for (size_t j = 0; j < 10000; j++)
				n += v[j] <= v[i];
			if (n >= want)
				exact = v[i];
		}
		assert_true(got >= exact);
		assert_true(got - exact <= exact / 16 + 1);
	}
	assert_true(lathist_pct(&h, 100) == h.max_us);
}

static void test_top_bucket(void **state)
{
	struct lathist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	lathist_add(&h, UINT64_MAX);
	lathist_add(&h, 1ull << 40);
	assert_int_equal(h.count, 2);
	assert_true(lathist_pct(&h, 50) == UINT64_MAX || lathist_pct(&h, 50) >= (1ull << 31));
	assert_true(lathist_pct(&h, 100) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_large_values_bounded_error),
		cmocka_unit_test(test_top_bucket),
	};

	return cmocka_run_group_tests_name("lathist", tests, NULL, NULL);
}
