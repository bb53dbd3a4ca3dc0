/*
 * test_bkjson.c - what restic and borg print, read for the agent's backup
 * checks (agent/bkjson.c), and backups.conf (agent/bkconf.c): the newest
 * two snapshots found in any order, sizes and counts, listing lines, time
 * stamps with and without a zone; malformed output refused with a message;
 * backups.conf's defaults and its errors at file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bkconf.h"
#include "bkjson.h"

#define S(x) x, strlen(x)

static void test_time(void **state)
{
	int64_t t;

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(bkj_time("2026-12-06T23:03:09.954998315Z", &t), 0);
	assert_int_equal(t, 1796598189);
	assert_int_equal(bkj_time("2026-12-07T01:03:09+02:00", &t), 0);
	assert_int_equal(t, 1796598189);
	assert_int_equal(bkj_time("2026-12-06T23:03:09.000000", &t), 0);   /* borg: local */
	assert_int_equal(t, 1796598189);
	assert_int_equal(bkj_time("2026-12-06T23:03:09.Z", &t), -1);
	assert_int_equal(bkj_time("2026-13-06T23:03:09Z", &t), -1);
	assert_int_equal(bkj_time("1969-12-31T23:59:59Z", &t), -1);
	assert_int_equal(bkj_time("2026-12-06T23:03:09+2", &t), -1);
	assert_int_equal(bkj_time("2026-12-06", &t), -1);
}

static void test_restic(void **state)
{
	const char *snaps = "[{\"time\":\"2026-12-06T10:00:00Z\",\"id\":\"aa\"},"
			    "{\"time\":\"2026-12-06T12:00:00Z\",\"id\":\"cc\"},"
			    "{\"time\":\"2026-12-06T11:00:00Z\",\"id\":\"bb\"}]";
	struct bkj_list l;
	struct bkj_stats st;
	struct bkj_item it;
	char err[256];

	(void)state;
	assert_int_equal(bkj_restic_snapshots(S(snaps), &l, err, sizeof(err)), 0);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.newest_id, "cc");
	assert_string_equal(l.prev_id, "bb");
	assert_int_equal(l.newest - l.prev, 3600);
	/* the same second: the later in the list is the newer */
	assert_int_equal(bkj_restic_snapshots(S("[{\"time\":\"2026-12-06T10:00:00.1Z\",\"id\":\"aa\"},"
						"{\"time\":\"2026-12-06T10:00:00.9Z\",\"id\":\"bb\"}]"),
					      &l, err, sizeof(err)), 0);
	assert_string_equal(l.newest_id, "bb");
	assert_string_equal(l.prev_id, "aa");
	assert_int_equal(bkj_restic_snapshots(S("[]"), &l, err, sizeof(err)), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(bkj_restic_snapshots(S("{}"), &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected an array"));
	assert_int_equal(bkj_restic_snapshots(S("[{\"time\":\"x\",\"id\":\"a\"}]"), &l, err,
					      sizeof(err)), -1);
	assert_int_equal(bkj_restic_snapshots(S("[{\"time\":\"2026-12-06T10:00:00Z\"}]"), &l, err,
					      sizeof(err)), -1);
	assert_non_null(strstr(err, "no id"));
	assert_int_equal(bkj_restic_snapshots(S("[{\"time\":"), &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not JSON"));

	assert_int_equal(bkj_restic_stats(S("{\"total_size\":300006,\"total_file_count\":3}"), &st,
					  err, sizeof(err)), 0);
	assert_int_equal(st.size, 300006);
	assert_int_equal(st.files, 3);
	assert_int_equal(bkj_restic_stats(S("{\"total_size\":-1,\"total_file_count\":3}"), &st,
					  err, sizeof(err)), -1);

	assert_int_equal(bkj_restic_ls_line(S("{\"time\":\"2026-12-06T12:00:00Z\","
					      "\"struct_type\":\"snapshot\"}"), &it, err,
					    sizeof(err)), 0);
	assert_int_equal(bkj_restic_ls_line(S("{\"name\":\"a\",\"type\":\"file\",\"path\":"
					      "\"/src/a\",\"size\":6,\"struct_type\":\"node\"}"),
					    &it, err, sizeof(err)), 1);
	assert_true(it.is_file);
	assert_string_equal(it.path, "/src/a");
	assert_int_equal(it.size, 6);
	assert_int_equal(bkj_restic_ls_line(S("{\"type\":\"dir\",\"path\":\"/src\"}"), &it, err,
					    sizeof(err)), 1);
	assert_false(it.is_file);
	/* a file without a size, a relative path */
	assert_int_equal(bkj_restic_ls_line(S("{\"type\":\"file\",\"path\":\"/a\"}"), &it, err,
					    sizeof(err)), -1);
	assert_int_equal(bkj_restic_ls_line(S("{\"type\":\"file\",\"path\":\"a\",\"size\":1}"),
					    &it, err, sizeof(err)), -1);
}

static void test_borg(void **state)
{
	const char *list = "{\"archives\":[{\"name\":\"one\",\"start\":\"2026-12-06T10:00:00.000000\"},"
			   "{\"name\":\"two\",\"start\":\"2026-12-06T11:00:00.000000\"}],"
			   "\"repository\":{}}";
	const char *info = "{\"archives\":[{\"stats\":{\"original_size\":300006,\"nfiles\":2}}]}";
	struct bkj_list l;
	struct bkj_stats st;
	struct bkj_item it;
	char err[256];

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_int_equal(bkj_borg_list(S(list), &l, err, sizeof(err)), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.newest_id, "two");
	assert_string_equal(l.prev_id, "one");
	assert_int_equal(bkj_borg_list(S("{\"archives\":{}}"), &l, err, sizeof(err)), -1);
	assert_int_equal(bkj_borg_info(S(info), &st, err, sizeof(err)), 0);
	assert_int_equal(st.size, 300006);
	assert_int_equal(st.files, 2);
	assert_int_equal(bkj_borg_info(S("{\"archives\":[]}"), &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "original_size"));
	assert_int_equal(bkj_borg_item_line(S("{\"type\":\"-\",\"path\":\"src/a\",\"size\":6,"
					      "\"sha256\":\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\"}"),
					    &it, err, sizeof(err)), 1);
	assert_true(it.is_file);
	assert_string_equal(it.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	assert_int_equal(bkj_borg_item_line(S("{\"type\":\"-\",\"path\":\"src/a\",\"sha256\":\"xyz\"}"),
					    &it, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64 hex"));
}

static void test_conf(void **state)
{
	const char *ok = "# two backups\n"
			 "backup \"erp-restic\" {\n"
			 "    service \"erp\"\n"
			 "    restic \"/srv/restic/erp\"\n"
			 "    password-file \"/etc/kastro/erp.pass\"\n"
			 "    every 5m verify-every 1d verify-over 7d shrink 30%\n"
			 "}\n"
			 "backup \"dumps\" { service \"erp\" dir \"/srv/dumps\" restore-every 0 }\n";
	struct bkc c;
	char err[1024];

	(void)state;
	assert_int_equal(bkc_load_buffer("b.conf", S(ok), &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.b[0].repo, "/srv/restic/erp");
	assert_int_equal(c.b[0].kind, BKC_RESTIC);
	assert_int_equal(c.b[0].every, 300);
	assert_int_equal(c.b[0].shrink, 30);
	assert_int_equal(c.b[0].restore_sample, 3);
	assert_int_equal(c.b[1].kind, BKC_DIR);
	assert_int_equal(c.b[1].restore_every, 0);
	assert_int_equal(c.b[1].timeout, 3600);

	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" {\n  service \"s\"\n  restic "
						     "\"/r\"\n  evry 5m\n}\n"), &c, err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "b.conf:4:3: unexpected 'evry', expected service"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s\" restic \"/r\" }"),
					 &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no password-file"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s\" dir \"rel\" }"),
					 &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "b.conf:1:30: relative path"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s\" dir \"/d\" "
						     "every 10s }"), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s\" dir \"/d\" "
						     "shrink 50 }"), &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "percentage"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { dir \"/d\" }\n"), &c, err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "names no service"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s\" dir \"/d\" }\n"
						     "backup \"x\" { service \"s\" dir \"/e\" }\n"),
					 &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already defined at b.conf:1"));
	assert_int_equal(bkc_load_buffer("b.conf", S("backup \"x\" { service \"s"), &c, err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "unterminated string"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_restic),
		cmocka_unit_test(test_borg),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
