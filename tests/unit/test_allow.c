/*
 * test_allow.c - the agent's allowlist (agent/allow.c) and the file the
 * console pushes it from (console/allowpush.c): a hash allows that content
 * anywhere, a glob a place; configured and pushed entries add up; the
 * console's args are checked whole (bad hash, bad glob, unknown member,
 * too many), and the file's errors name file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aconf.h"
#include "allow.h"
#include "allowpush.h"

#define H1 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H2 "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
#define H3 "0000000000000000000000000000000000000000000000000000000000000000"

static void test_match(void **state)
{
	struct agent_conf c;
	char *sha[] = { (char *)H1 }, *globs[] = { (char *)"/opt/tools/*" }, err[256];
	const char *pushed = "{\"sha256\":[\"" "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F"
			     "\"],\"paths\":[\"*.fp\"]}";
	struct allow *a;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.allow_sha256 = (struct aconf_list){ sha, 1 };
	c.allow_paths = (struct aconf_list){ globs, 1 };
	a = allow_new(&c, pushed, strlen(pushed), err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(allow_count_sha256(a), 2);
	assert_int_equal(allow_count_paths(a), 2);
	assert_string_equal(allow_match(a, "/home/x/a.exe", H1), "sha256");
	assert_string_equal(allow_match(a, "/home/x/a.exe", H2), "sha256");   /* pushed, any case */
	assert_null(allow_match(a, "/home/x/a.exe", H3));
	assert_null(allow_match(a, "/home/x/a.exe", NULL));
	assert_string_equal(allow_match(a, "/opt/tools/x/y.bin", H3), "path");  /* '*' takes '/' */
	assert_string_equal(allow_match(a, "/srv/report.fp", NULL), "path");
	assert_null(allow_match(a, "/opt/toolsx", H3));
	allow_free(a);
	assert_null(allow_match(NULL, "/x", H1));
}

static void refused(const char *args, const char *want)
{
	char err[256];
	size_t ns, np;

	assert_int_equal(allow_parse(args, strlen(args), &ns, &np, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' gave '%s', not '%s'", args, err, want);
}

static void test_parse(void **state)
{
	char err[256];
	size_t ns, np;

	(void)state;
	assert_int_equal(allow_parse("{}", 2, &ns, &np, err, sizeof(err)), 0);
	assert_int_equal(ns + np, 0);
	refused("[]", "expected an object");
	refused("{\"sha256\":[\"abc\"]}", "sha256[0]: expected 64 hex digits");
	refused("{\"paths\":[\"relative/*\"]}", "paths[0]: expected a glob");
	refused("{\"paths\":[\"/a\",7]}", "paths[1]");
	refused("{\"hosts\":[]}", "unknown member \"hosts\"");
	refused("{\"sha256\":\"" H1 "\"}", "sha256: expected an array");
	refused("{\"sha256\":[], \"sha256\":[]}", "not JSON");
	{
		/* ALLOW_MAX_PATHS + 1 globs */
		size_t cap = 16 * (ALLOW_MAX_PATHS + 2), o;
		char *big = malloc(cap);

		assert_non_null(big);
		o = (size_t)snprintf(big, cap, "{\"paths\":[");
		for (int i = 0; i <= ALLOW_MAX_PATHS; i++)
			o += (size_t)snprintf(big + o, cap - o, "%s\"/p%d\"", i ? "," : "", i);
		snprintf(big + o, cap - o, "]}");
		refused(big, "at most 1024 globs");
		free(big);
	}
}

static void test_push_file(void **state)
{
	const char *good = "# false positives of 2026-12\n\nsha256 " H1 "\n  sha256\t" H2 "\r\n"
			   "path /opt/vendor tools/*\n";
	char err[256], *args;
	size_t ns, np, ns2, np2;

	(void)state;
	assert_int_equal(allowpush_text("allow.txt", good, strlen(good), &args, &ns, &np, err,
					sizeof(err)), 0);
	assert_int_equal(ns, 2);
	assert_int_equal(np, 1);
	assert_string_equal(args, "{\"sha256\":[\"" H1 "\",\"" H2 "\"],\"paths\":[\"/opt/vendor tools/*\"]}");
	assert_int_equal(allow_parse(args, strlen(args), &ns2, &np2, err, sizeof(err)), 0);
	free(args);
	assert_int_equal(allowpush_text("a", "", 0, &args, &ns, &np, err, sizeof(err)), 0);
	assert_string_equal(args, "{\"sha256\":[],\"paths\":[]}");
	free(args);
#define BAD(text, msg) do { \
	assert_int_equal(allowpush_text("a.txt", text, strlen(text), &args, &ns, &np, err, \
					sizeof(err)), -1); \
	if (strstr(err, msg) == NULL) \
		fail_msg("'%s' gave '%s'", text, err); \
	assert_null(args); \
} while (0)
	BAD("sha256 " H1 "\nsha256 xyz\n", "a.txt:2: sha256 'xyz': expected 64 hex digits");
	BAD("sha256 " H1 "\nsha256 " H1 "\n", "a.txt:2: sha256 " H1 " given twice");
	BAD("path tools/*\n", "a.txt:1: path 'tools/*': expected a glob on full paths");
	BAD("hash " H1 "\n", "a.txt:1: unknown entry 'hash'");
	BAD("path /\xff\n", "a.txt:1: path is not UTF-8");
	{
		/* more than a command carries */
		size_t cap = 70 * 1200, o = 0;
		char *big = malloc(cap);

		assert_non_null(big);
		for (int i = 0; i < 1100; i++)
			o += (size_t)snprintf(big + o, cap - o, "sha256 %064x\n", i);
		BAD(big, "more than the 65536 a command carries");
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_push_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
