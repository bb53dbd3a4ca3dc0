/*
 * test_rules.c - compiling the agent's YARA rule sets: a directory's
 * .yar and .yara files, in subdirectories too, in name order into one
 * namespace, compile errors that name file:line, warnings that are not
 * errors, include inside the rules root and refused outside it, the
 * version as a hash of names and contents, and reference counting: a set
 * that fails to compile never takes the place of one in use, and a set
 * stays usable while a scan holds it.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yara.h>

#include "rules.h"

struct fx {
	char dir[64];
	char err[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kastro-test-rules.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

static void put(const struct fx *f, const char *name, const char *text)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int count_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
	(void)ctx;
	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		char *names = arg;
		const YR_RULE *r = data;

		strcat(names, r->identifier);
		strcat(names, " ");
	}
	return CALLBACK_CONTINUE;
}

/* The names of the rules of r matching data, space-separated. */
static void matches(struct rules *r, const char *data, char *names)
{
	names[0] = '\0';
	assert_int_equal(yr_rules_scan_mem((YR_RULES *)rules_yara(r), (const uint8_t *)data,
					   strlen(data), 0, count_cb, names, 0), ERROR_SUCCESS);
}

static void test_directory_compiles_in_name_order(void **state)
{
	struct fx *f = *state;
	struct rules *r;
	char names[256];

	/* b uses a rule of a: only works when a comes first, in one namespace */
	put(f, "b.yara", "rule uses_a { condition: has_a }\n");
	put(f, "a.yar", "rule has_a { strings: $a = \"alpha\" condition: $a }\n");
	put(f, "notes.txt", "this is not a rule file {");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_int_equal(rules_count(r), 2);
	assert_int_equal(rules_files(r), 2);
	assert_int_equal(strlen(rules_version(r)), RULES_VERSION_LEN);
	assert_int_equal(strspn(rules_version(r), "0123456789abcdef"), RULES_VERSION_LEN);
	matches(r, "xx alpha xx", names);
	assert_string_equal(names, "has_a uses_a ");
	matches(r, "beta", names);
	assert_string_equal(names, "");
	rules_unref(r);
}

static void test_single_file_and_externals_declared(void **state)
{
	struct fx *f = *state;
	struct rules *r;
	char p[256];

	put(f, "one.rules", "rule ext { condition: filename == \"\" and filepath == \"\" and "
	    "extension == \"\" and filetype == \"\" and owner == \"\" }\n");
	snprintf(p, sizeof(p), "%s/one.rules", f->dir);
	r = rules_load(p, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_int_equal(rules_files(r), 1);
	rules_unref(r);
}

static void test_compile_error_names_file_and_line(void **state)
{
	struct fx *f = *state;
	char want[256];

	put(f, "a.yar", "rule good { condition: true }\n");
	put(f, "b.yar", "rule fine { condition: true }\n\nrule broken {\n"
	    "  condition: no_such_thing\n}\n");
	assert_null(rules_load(f->dir, f->err, sizeof(f->err)));
	snprintf(want, sizeof(want), "%s/b.yar:4:", f->dir);
	assert_non_null(strstr(f->err, want));
	assert_non_null(strstr(f->err, "no_such_thing"));

	/* a syntax error */
	put(f, "b.yar", "rule x {\n condition: (\n}\n");
	assert_null(rules_load(f->dir, f->err, sizeof(f->err)));
	snprintf(want, sizeof(want), "%s/b.yar:3:", f->dir);
	assert_non_null(strstr(f->err, want));

	/* a rule name defined twice across files: one namespace */
	put(f, "b.yar", "rule good { condition: false }\n");
	assert_null(rules_load(f->dir, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "b.yar:1:"));
	assert_non_null(strstr(f->err, "good"));
}

static void test_warnings_are_not_errors(void **state)
{
	struct fx *f = *state;
	struct rules *r;

	put(f, "w.yar", "rule slow { strings: $a = { 01 ?? } condition: $a }\n");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_true(rules_warnings(r) >= 1);
	assert_non_null(rules_warning(r, 0));
	assert_non_null(strstr(rules_warning(r, 0), "w.yar:1:"));
	assert_null(rules_warning(r, rules_warnings(r)));
	rules_unref(r);
}

static void mkd(const struct fx *f, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void test_tree_compiles_recursively_in_name_order(void **state)
{
	struct fx *f = *state;
	struct rules *r, *again;
	char names[256], v[RULES_VERSION_LEN + 1];

	/* "a/x.yar" < "b.yar" < "c/d/y.yara": y uses b's rule, b uses x's */
	mkd(f, "a");
	mkd(f, "c");
	mkd(f, "c/d");
	mkd(f, ".git");
	put(f, "a/x.yar", "rule in_a { strings: $a = \"alpha\" condition: $a }\n");
	put(f, "b.yar", "rule in_b { condition: in_a }\n");
	put(f, "c/d/y.yara", "rule in_cd { condition: in_b }\n");
	put(f, ".git/z.yar", "rule hidden { condition: true }\n");
	put(f, "c/readme.txt", "not a rule {");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_int_equal(rules_files(r), 3);
	assert_int_equal(rules_count(r), 3);
	matches(r, "alpha", names);
	assert_string_equal(names, "in_a in_b in_cd ");
	snprintf(v, sizeof(v), "%s", rules_version(r));
	/* the same tree elsewhere (trailing '/' given) has the same version */
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/", f->dir);
		again = rules_load(p, f->err, sizeof(f->err));
		assert_non_null(again);
		assert_string_equal(rules_version(again), v);
		rules_unref(again);
	}
	/* a file moved to another directory is another set */
	{
		char a[300], b[300];

		snprintf(a, sizeof(a), "%s/c/d/y.yara", f->dir);
		snprintf(b, sizeof(b), "%s/c/y.yara", f->dir);
		assert_int_equal(rename(a, b), 0);
		again = rules_load(f->dir, f->err, sizeof(f->err));
		assert_non_null(again);
		assert_string_not_equal(rules_version(again), v);
		rules_unref(again);
	}
	rules_unref(r);
}

static void test_index_include_inside_the_root_compiles_each_file_once(void **state)
{
	struct fx *f = *state;
	struct rules *r;
	char names[256];

	/* Yara-Rules' shape: an index at the root includes the files below it;
	 * the index named before and after the files, a nested relative include */
	mkd(f, "malware");
	mkd(f, "malware/sub");
	put(f, "malware/one.yar", "include \"sub/two.yar\"\n"
	    "rule one { strings: $a = \"needle\" condition: $a and two }\n");
	put(f, "malware/sub/two.yar", "rule two { strings: $a = \"need\" condition: $a }\n");
	put(f, "index.yar", "include \"./malware/one.yar\"\ninclude \"malware/sub/two.yar\"\n");
	put(f, "zz_index.yar", "include \"malware/one.yar\"\ninclude \"./malware/../malware/sub/two.yar\"\n"
	    "rule after { condition: one }\n");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	if (r == NULL)
		fail_msg("%s", f->err);
	assert_int_equal(rules_files(r), 4);
	assert_int_equal(rules_count(r), 3);
	matches(r, "a needle", names);
	assert_string_equal(names, "two one after ");
	rules_unref(r);
}

/* rules_load of f->dir fails and the message holds every one of want. */
static void refused(struct fx *f, const char *want1, const char *want2)
{
	assert_null(rules_load(f->dir, f->err, sizeof(f->err)));
	if (strstr(f->err, want1) == NULL || strstr(f->err, want2) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", f->err, want1, want2);
}

static void test_include_outside_the_root_is_refused(void **state)
{
	struct fx *f = *state;
	char p[600], t[128];

	mkd(f, "rules");
	mkd(f, "rules/sub");
	put(f, "outside.yar", "rule outside { condition: true }\n");
	put(f, "rules/sub/a.yar", "include \"../../outside.yar\"\nrule a { condition: outside }\n");
	snprintf(t, sizeof(t), "%s", f->dir);
	snprintf(f->dir, sizeof(f->dir), "%.40s/rules", t);
	refused(f, "sub/a.yar: include \"../../outside.yar\": outside the rules root", "refused");

	/* an absolute path outside */
	put(f, "sub/a.yar", "include \"/etc/passwd\"\nrule a { condition: true }\n");
	refused(f, "include \"/etc/passwd\": outside the rules root", "refused");

	/* an absolute path inside is fine */
	snprintf(p, sizeof(p), "include \"%s/sub/b.yar\"\nrule a { condition: b }\n", f->dir);
	put(f, "sub/a.yar", p);
	put(f, "sub/b.yar", "rule b { condition: true }\n");
	{
		struct rules *r = rules_load(f->dir, f->err, sizeof(f->err));

		if (r == NULL)
			fail_msg("%s", f->err);
		assert_int_equal(rules_count(r), 2);
		rules_unref(r);
	}

	/* a file of the tree that is not a rule file */
	put(f, "sub/inc.txt", "rule inc { condition: true }\n");
	put(f, "sub/a.yar", "include \"inc.txt\"\nrule a { condition: inc }\n");
	refused(f, "sub/inc.txt is not a rule file of the tree", "refused");

	/* through a directory symlink inside the tree, pointing out */
	snprintf(p, sizeof(p), "%s/sub/out", f->dir);
	assert_int_equal(symlink(t, p), 0);
	put(f, "sub/a.yar", "include \"out/outside.yar\"\nrule a { condition: outside }\n");
	refused(f, "sub/out/outside.yar is not a rule file of the tree", "refused");
	assert_int_equal(unlink(p), 0);

	/* a file symlink in the tree to a file outside the root */
	put(f, "sub/a.yar", "rule a { condition: true }\n");
	snprintf(p, sizeof(p), "%s/sub/link.yar", f->dir);
	snprintf(t + strlen(t), sizeof(t) - strlen(t), "/outside.yar");
	assert_int_equal(symlink(t, p), 0);
	refused(f, "sub/link.yar: symbolic link to", "outside the rules root");
	assert_int_equal(unlink(p), 0);

	/* and a file symlink that stays inside is read */
	assert_int_equal(symlink("b.yar", p), 0);
	put(f, "sub/a.yar", "rule a { condition: true }\n");
	put(f, "sub/b.yar", "rule b { condition: true }\n");
	refused(f, "duplicated identifier", "b");
	/* teardown removes the whole temporary directory */
	*strrchr(t, '/') = '\0';
	snprintf(f->dir, sizeof(f->dir), "%.60s", t);
}

/* ReversingLabs' public set, laid out in folders, compiles as a tree. */
static void test_reversinglabs_tree(void **state)
{
	struct fx *f = *state;
	const char *td = getenv("KASTRO_TESTDATA");
	char p[512];
	struct rules *r;
	struct stat st;

	snprintf(p, sizeof(p), "%s/yara/reversinglabs/yara", td ? td : "../shared/testdata");
	if (stat(p, &st) < 0) {
		print_message("SKIP: %s absent (set KASTRO_TESTDATA)\n", p);
		skip();
	}
	r = rules_load(p, f->err, sizeof(f->err));
	if (r == NULL)
		fail_msg("%s", f->err);
	assert_true(rules_files(r) > 100);
	assert_true(rules_count(r) >= rules_files(r));
	rules_unref(r);
}

static void test_empty_or_missing_is_an_error(void **state)
{
	struct fx *f = *state;
	char p[256];

	assert_null(rules_load(f->dir, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "no *.yar"));
	snprintf(p, sizeof(p), "%s/absent", f->dir);
	assert_null(rules_load(p, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "absent"));
}

static void test_version_is_names_and_contents(void **state)
{
	struct fx *f = *state;
	char v1[RULES_VERSION_LEN + 1], p[256], q[256];
	struct rules *r;

	put(f, "a.yar", "rule a { condition: true }\n");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	snprintf(v1, sizeof(v1), "%s", rules_version(r));
	rules_unref(r);

	/* the same again: the same version */
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_string_equal(rules_version(r), v1);
	rules_unref(r);

	/* a byte of content changed */
	put(f, "a.yar", "rule a { condition: true }\n\n");
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_string_not_equal(rules_version(r), v1);
	rules_unref(r);

	/* the same content under another name */
	put(f, "a.yar", "rule a { condition: true }\n");
	snprintf(p, sizeof(p), "%s/a.yar", f->dir);
	snprintf(q, sizeof(q), "%s/z.yar", f->dir);
	assert_int_equal(rename(p, q), 0);
	r = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(r);
	assert_string_not_equal(rules_version(r), v1);
	rules_unref(r);
}

/*
 * What the daemon does on a rules update: load the new set, and only when
 * that worked swap it in. A set that fails leaves the old one in use, and
 * a scan holding the old set keeps it after the swap.
 */
static void test_bad_set_never_replaces_and_refs_keep_a_set(void **state)
{
	struct fx *f = *state;
	struct rules *cur, *held, *next;
	char names[256];

	put(f, "a.yar", "rule old_rule { strings: $a = \"needle\" condition: $a }\n");
	cur = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(cur);
	held = rules_ref(cur);   /* a scan in progress */

	put(f, "a.yar", "rule new_rule { condition: nonsense }\n");
	next = rules_load(f->dir, f->err, sizeof(f->err));
	assert_null(next);
	assert_non_null(strstr(f->err, "a.yar:1:"));
	/* cur unchanged and usable */
	matches(cur, "a needle", names);
	assert_string_equal(names, "old_rule ");

	put(f, "a.yar", "rule new_rule { strings: $a = \"needle\" condition: $a }\n");
	next = rules_load(f->dir, f->err, sizeof(f->err));
	assert_non_null(next);
	rules_unref(cur);        /* the swap */
	cur = next;
	/* the scan still has the old set, the loader the new one */
	matches(held, "a needle", names);
	assert_string_equal(names, "old_rule ");
	matches(cur, "a needle", names);
	assert_string_equal(names, "new_rule ");
	rules_unref(held);       /* frees the old set (ASan checks) */
	rules_unref(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory_compiles_in_name_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_file_and_externals_declared, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compile_error_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warnings_are_not_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_compiles_recursively_in_name_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_include_inside_the_root_compiles_each_file_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_outside_the_root_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reversinglabs_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_or_missing_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_is_names_and_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_set_never_replaces_and_refs_keep_a_set, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
