/*
 * test_jsonpath.c - unit tests of JSON field conditions (lib/jsonpath.c):
 * paths with members and indexes, malformed paths, fields compared as
 * text (strings, integers, reals in their shortest form, true, false,
 * null) and as numbers, a missing field, an object where a value was
 * wanted, and bodies that are not JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jsonpath.h"

static const char doc[] =
	"{\"status\": {\"database\": \"up\", \"disk\": \"Δ\"}, \"queue\": {\"depth\": 42, "
	"\"load\": 0.1, \"big\": 1e300}, \"checks\": [{\"name\": \"db\", \"ok\": true}, "
	"{\"name\": \"smtp\", \"ok\": false, \"note\": null}], \"matrix\": [[1, 2], [3, 4]]}";

static int test(const char *path, enum jsonpath_op op, const char *value, char *why)
{
	return jsonpath_test(doc, strlen(doc), path, op, value, why, 200);
}

static void test_paths(void **state)
{
	char why[200];

	(void)state;
	assert_int_equal(jsonpath_check("status.database", why, sizeof(why)), 0);
	assert_int_equal(jsonpath_check("checks[1].name", why, sizeof(why)), 0);
	assert_int_equal(jsonpath_check("[0][1]", why, sizeof(why)), 0);
	assert_int_equal(jsonpath_check("", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a..b", why, sizeof(why)), -1);
	assert_string_equal(why, "a member name is missing at byte 3 of the JSON path \"a..b\"");
	assert_int_equal(jsonpath_check("a.", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check(".a", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a[x]", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a[1", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a]", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a[1]b", why, sizeof(why)), -1);
	assert_string_equal(why, "unexpected 'b' at byte 5 of the JSON path \"a[1]b\"");
	assert_int_equal(jsonpath_check("a[99999999999999999999]", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_check("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.0.1.2.3"
					 ".4.5.6", why, sizeof(why)), -1);
	assert_string_equal(why, "a JSON path has at most 32 steps");
}

static void test_values(void **state)
{
	char why[200];

	(void)state;
	assert_int_equal(test("status.database", JSONPATH_IS, "up", why), 0);
	assert_string_equal(why, "\"status.database\" is \"up\"");
	assert_int_equal(test("status.database", JSONPATH_IS, "down", why), 1);
	assert_int_equal(test("status.disk", JSONPATH_IS, "Δ", why), 0);
	assert_int_equal(test("queue.depth", JSONPATH_IS, "42", why), 0);
	assert_int_equal(test("queue.load", JSONPATH_IS, "0.1", why), 0);
	assert_int_equal(test("queue.big", JSONPATH_IS, "1e+300", why), 0);
	assert_int_equal(test("checks[0].ok", JSONPATH_IS, "true", why), 0);
	assert_int_equal(test("checks[1].ok", JSONPATH_IS, "false", why), 0);
	assert_int_equal(test("checks[1].note", JSONPATH_IS, "null", why), 0);
	assert_int_equal(test("checks[1].name", JSONPATH_IS, "smtp", why), 0);
	assert_int_equal(test("matrix[1][0]", JSONPATH_IS, "3", why), 0);
	/* numbers */
	assert_int_equal(test("queue.depth", JSONPATH_BELOW, "100", why), 0);
	assert_int_equal(test("queue.depth", JSONPATH_BELOW, "42", why), 1);
	assert_string_equal(why, "\"queue.depth\" is 42");
	assert_int_equal(test("queue.depth", JSONPATH_ABOVE, "41.5", why), 0);
	assert_int_equal(test("queue.load", JSONPATH_ABOVE, "-1", why), 0);
	assert_int_equal(test("status.database", JSONPATH_BELOW, "1", why), -1);
	assert_string_equal(why, "\"status.database\" is \"up\", not a number");
}

static void test_missing(void **state)
{
	char why[200];

	(void)state;
	assert_int_equal(test("status.web", JSONPATH_IS, "up", why), -1);
	assert_string_equal(why, "\"status.web\": no member \"web\"");
	assert_int_equal(test("checks[2].name", JSONPATH_IS, "x", why), -1);
	assert_string_equal(why, "\"checks[2].name\": no element [2]");
	assert_int_equal(test("status[0]", JSONPATH_IS, "x", why), -1);
	assert_string_equal(why, "\"status[0]\": no element [0] (not an array)");
	assert_int_equal(test("status.database.x", JSONPATH_IS, "x", why), -1);
	assert_int_equal(test("status", JSONPATH_IS, "x", why), -1);
	assert_string_equal(why, "\"status\" is an object, not a value");
	assert_int_equal(test("checks", JSONPATH_IS, "x", why), -1);
	assert_string_equal(why, "\"checks\" is an array, not a value");
	assert_int_equal(jsonpath_test("<html>", 6, "a", JSONPATH_IS, "x", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the body is not JSON: "));
	assert_int_equal(jsonpath_test("{\"a\": 1", 7, "a", JSONPATH_IS, "1", why, sizeof(why)), -1);
	assert_int_equal(jsonpath_test("", 0, "a", JSONPATH_IS, "1", why, sizeof(why)), -1);
	/* a scalar document and its path */
	assert_int_equal(jsonpath_test("[\"up\"]", 6, "[0]", JSONPATH_IS, "up", why, sizeof(why)), 0);
	/* control bytes of the field are not shown as they are */
	assert_int_equal(jsonpath_test("{\"a\": \"x\\u001by\"}", 17, "a", JSONPATH_IS, "up", why,
				       sizeof(why)), 1);
	assert_string_equal(why, "\"a\" is \"x?y\"");
	/* a string is compared whole: a NUL within it does not end it */
	assert_int_equal(jsonpath_test("{\"a\": \"up\\u0000down\"}", 21, "a", JSONPATH_IS, "up",
				       why, sizeof(why)), 1);
	assert_string_equal(why, "\"a\" is \"up?down\"");
	assert_int_equal(jsonpath_test("{\"a\": \"up\\u0000\"}", 17, "a", JSONPATH_IS, "up", why,
				       sizeof(why)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
