/*
 * test_jw.c - the JSON writer: nesting, escaping, bytes that are not UTF-8,
 * and running out of room (an error, never a cut document).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jw.h"

static void test_nesting(void **state)
{
	char buf[256];
	struct jw w;

	(void)state;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "a", "x");
	jw_obj(&w, "o");
	jw_u64(&w, "n", 18446744073709551615ull);
	jw_i64(&w, "m", -5);
	jw_arr(&w, "l");
	jw_bool(&w, NULL, true);
	jw_str(&w, NULL, "y");
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr(&w, "e");
	jw_arr_end(&w);
	assert_true(jw_end(&w) > 0);
	assert_string_equal(buf, "{\"a\":\"x\",\"o\":{\"n\":18446744073709551615,\"m\":-5,"
				 "\"l\":[true,\"y\"]},\"e\":[]}");
}

static void test_escaping(void **state)
{
	char buf[256];
	struct jw w;
	/* quote, backslash, control bytes, valid UTF-8 (Greek), stray bytes */
	const char in[] = "a\"b\\c\n\x01\xce\x9a\xce\xb1\xff\xc3";

	(void)state;
	jw_begin(&w, buf, sizeof(buf));
	jw_strn(&w, "s", in, sizeof(in) - 1);
	assert_true(jw_end(&w) > 0);
	assert_string_equal(buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\xce\x9a\xce\xb1\\u00ff\\u00c3\"}");
}

static void test_overlong_utf8_rejected(void **state)
{
	char buf[64];
	struct jw w;

	(void)state;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "s", "\xc0\xaf\xed\xa0\x80");   /* overlong '/', a surrogate */
	assert_true(jw_end(&w) > 0);
	assert_string_equal(buf, "{\"s\":\"\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"}");
}

static void test_overflow_is_error(void **state)
{
	char buf[16];
	struct jw w;
	size_t cap;

	(void)state;
	jw_begin(&w, buf, sizeof(buf));
	jw_str(&w, "key", "a value too long for sixteen bytes");
	assert_int_equal(jw_end(&w), -1);

	/* exactly fitting: {"k":"v"} is 9 bytes plus NUL */
	for (cap = 1; cap <= 10; cap++) {
		jw_begin(&w, buf, cap);
		jw_str(&w, "k", "v");
		if (cap < 10)
			assert_int_equal(jw_end(&w), -1);
		else
			assert_int_equal(jw_end(&w), 9);
	}
	assert_string_equal(buf, "{\"k\":\"v\"}");
}

static void test_unbalanced_is_error(void **state)
{
	char buf[64];
	struct jw w;

	(void)state;
	jw_begin(&w, buf, sizeof(buf));
	jw_obj(&w, "o");
	assert_int_equal(jw_end(&w), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_overlong_utf8_rejected),
		cmocka_unit_test(test_overflow_is_error),
		cmocka_unit_test(test_unbalanced_is_error),
	};
	return cmocka_run_group_tests_name("jw", tests, NULL, NULL);
}
