/*
 * test_backups.c - the console's check of a backup event an agent sends
 * (console/backups.c, backups_check_event()): a good status, verify and
 * restore event pass; a newest snapshot in the future or before 2000, a
 * time without a zone, a missing field, an unknown check, a non-boolean
 * ok and negative sizes are refused with a message naming the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backups.h"

#define NOW 1796598189          /* 2026-12-06T23:03:09Z */

static int check(const char *backup, char *err, size_t errlen)
{
	char ev[2048];

	snprintf(ev, sizeof(ev), "{\"event_type\":\"backup\",\"host\":\"b1\",\"backup\":%s}", backup);
	return backups_check_event(ev, strlen(ev), NOW, err, errlen);
}

#define BASE "\"service\":\"erp\",\"kind\":\"restic\",\"repository\":\"/srv/r\""

static void test_good(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,\"snapshots\":2,"
			       "\"newest\":\"2026-12-06T22:00:00.000000+0000\",\"newest_id\":\"ab\","
			       "\"size\":10,\"files\":2,\"prev_size\":30,\"prev_files\":3,\"shrunk\":true}",
			       err, sizeof(err)), 0);
	assert_int_equal(check("{" BASE ",\"check\":\"verify\",\"ok\":false,\"error\":\"bad pack\","
			       "\"subset\":\"3/7\"}", err, sizeof(err)), 0);
	assert_int_equal(check("{" BASE ",\"check\":\"restore\",\"ok\":true,\"sample\":3,"
			       "\"files\":[{\"path\":\"/a\",\"size\":1,\"sha256\":\"\",\"ok\":true}]}",
			       err, sizeof(err)), 0);
	/* a clock a little ahead is tolerated */
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,"
			       "\"newest\":\"2026-12-06T23:05:00Z\"}", err, sizeof(err)), 0);
}

static void test_refused(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,"
			       "\"newest\":\"2026-12-07T23:00:00.000000+0000\"}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in the future"));
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,"
			       "\"newest\":\"1999-12-31T23:00:00Z\"}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "before 2000"));
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,"
			       "\"newest\":\"2026-12-06T22:00:00\"}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "backup.newest"));
	assert_int_equal(check("{\"service\":\"erp\",\"kind\":\"restic\",\"check\":\"status\","
			       "\"ok\":true}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "backup.repository"));
	assert_int_equal(check("{" BASE ",\"check\":\"delete\",\"ok\":true}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "backup.check"));
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":1}", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "backup.ok"));
	assert_int_equal(check("{" BASE ",\"check\":\"status\",\"ok\":true,\"size\":-5}", err,
			       sizeof(err)), -1);
	assert_non_null(strstr(err, "backup.size"));
	assert_int_equal(check("\"x\"", err, sizeof(err)), -1);
	assert_int_equal(backups_check_event("{", 1, NOW, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
