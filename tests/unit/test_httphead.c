/*
 * test_httphead.c - the head gate's checks that the officers' port relies
 * on for its reserved slots and HEAD: HEAD is a served method, other
 * unserved ones are 405; httphead_field() finds a header field by name in
 * any case, trims it, takes the first of two, and refuses one that does
 * not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "httphead.h"

#define HEAD(s) s, sizeof(s) - 1

static void test_head_is_served(void **state)
{
	struct httphead h;

	(void)state;
	assert_int_equal(httphead_check(HEAD("HEAD /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n"), 1024, &h), 0);
	assert_int_equal(httphead_check(HEAD("OPTIONS / HTTP/1.1\r\n\r\n"), 1024, &h), -1);
	assert_int_equal(h.status, 405);
	assert_non_null(strstr(h.reason, "GET, HEAD, POST"));
}

static void test_field_found_in_any_case_and_trimmed(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\ncookie: \t__Host-kastro=abc \t\r\n"
				   "Authorization: Bearer T\r\n\r\n";
	char v[64];

	(void)state;
	assert_int_equal(httphead_field(HEAD(head), "Cookie", v, sizeof(v)), 0);
	assert_string_equal(v, "__Host-kastro=abc");
	assert_int_equal(httphead_field(HEAD(head), "AUTHORIZATION", v, sizeof(v)), 0);
	assert_string_equal(v, "Bearer T");
	assert_int_equal(httphead_field(HEAD(head), "Authorizatio", v, sizeof(v)), -1);
	assert_string_equal(v, "");
	/* the request line is not a field */
	assert_int_equal(httphead_field(HEAD(head), "GET / HTTP/1.1", v, sizeof(v)), -1);
}

static void test_field_first_of_two_and_bounds(void **state)
{
	static const char head[] = "GET / HTTP/1.1\nX-A: one\nX-A: two\nX-Long: 0123456789\n\n";
	char v[8];

	(void)state;
	assert_int_equal(httphead_field(HEAD(head), "X-A", v, sizeof(v)), 0);
	assert_string_equal(v, "one");
	assert_int_equal(httphead_field(HEAD(head), "X-Long", v, sizeof(v)), -1);
	assert_int_equal(httphead_field(HEAD(head), "X-A", v, 0), -1);
	/* nothing past the head's empty line */
	assert_int_equal(httphead_field(HEAD("GET / HTTP/1.1\r\n\r\nX-A: body\r\n"), "X-A", v, sizeof(v)),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_is_served),
		cmocka_unit_test(test_field_found_in_any_case_and_trimmed),
		cmocka_unit_test(test_field_first_of_two_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
