/*
 * test_obq.c - the hooks' outbox rows (console/obq.c): hook lists name a
 * hook only whole (soc is not soc-tls), a list that would overflow is
 * refused, rows read back in order after a cursor with "mine" set for the
 * hook asked about, a kept statement serves many puts, trimming keeps the
 * rows at and above its bound (so the newest rowid is never handed out
 * again), cursors persist, and the last time an alert was queued for a
 * hook is found claimed or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "obq.h"

static sqlite3 *open_mem(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, OBQ_SCHEMA_SQL
				      "CREATE TABLE hook_deliveries (id INTEGER PRIMARY KEY, hook "
				      "TEXT, alert_id INTEGER, created INTEGER);",
				      NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_names(void **state)
{
	char l[OBQ_HOOKS_MAX] = "", small[11] = "";

	(void)state;
	assert_int_equal(obq_add_name(l, sizeof(l), "soc-tls"), 0);
	assert_int_equal(obq_add_name(l, sizeof(l), "chat"), 0);
	assert_int_equal(obq_add_name(l, sizeof(l), "soc.x"), 0);
	assert_string_equal(l, "soc-tls,chat,soc.x");
	assert_true(obq_names(l, "soc-tls"));
	assert_true(obq_names(l, "chat"));
	assert_true(obq_names(l, "soc.x"));
	assert_false(obq_names(l, "soc"));
	assert_false(obq_names(l, "cha"));
	assert_false(obq_names(l, "chat,soc.x"));
	assert_false(obq_names("", "soc"));
	/* "abcde,fghij" needs 12 bytes with its NUL: not in 11; "abcde,fghi" fits */
	assert_int_equal(obq_add_name(small, sizeof(small), "abcde"), 0);
	assert_int_equal(obq_add_name(small, sizeof(small), "fghij"), -1);
	assert_string_equal(small, "abcde");
	assert_int_equal(obq_add_name(small, sizeof(small), "fghi"), 0);
	assert_string_equal(small, "abcde,fghi");
}

static void test_put_read_trim(void **state)
{
	sqlite3 *db = open_mem();
	sqlite3_stmt *put = NULL, *rd = NULL;
	struct obq_row rows[8];
	char err[256];
	int64_t c;
	int n;

	(void)state;
	for (int i = 1; i <= 5; i++)
		assert_int_equal(obq_put(db, &put, 100 + i, i == 3 ? "escalated" : "raised", i,
					 1000 + i, i % 2 ? "soc,chat" : "chat", err, sizeof(err)), 0);
	sqlite3_finalize(put);
	n = obq_read(db, &rd, 0, "soc", rows, 8);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(rows[i].id, i + 1);
		assert_int_equal(rows[i].alert_id, 101 + i);
		assert_int_equal(rows[i].severity, i + 1);
		assert_int_equal(rows[i].created, 1001 + i);
		assert_int_equal(rows[i].mine, i % 2 == 0);
	}
	assert_string_equal(rows[2].reason, "escalated");
	/* after a cursor, at most max */
	n = obq_read(db, &rd, 2, "chat", rows, 2);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, 3);
	assert_int_equal(rows[1].id, 4);
	assert_true(rows[0].mine && rows[1].mine);
	assert_int_equal(obq_read(db, &rd, 5, "chat", rows, 8), 0);

	/* cursors: none is 0, set persists, set again replaces */
	assert_int_equal(obq_cursor(db, "soc", &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(obq_cursor_set(db, "soc", 3), 0);
	assert_int_equal(obq_cursor_set(db, "soc", 5), 0);
	assert_int_equal(obq_cursor(db, "soc", &c), 0);
	assert_int_equal(c, 5);

	/* trimming below 5 keeps row 5: the next row is 6, never a rowid again */
	assert_int_equal(obq_trim(db, 5), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM hook_outbox"), 1);
	assert_int_equal(obq_put(db, NULL, 200, "raised", 1, 2000, "soc", err, sizeof(err)), 0);
	n = obq_read(db, &rd, 5, "soc", rows, 8);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, 6);
	sqlite3_finalize(rd);
	sqlite3_close(db);
}

static void test_last_queued(void **state)
{
	sqlite3 *db = open_mem();
	char err[256];
	int64_t last;

	(void)state;
	assert_int_equal(obq_last_queued(db, 7, "soc", &last), 0);
	assert_int_equal(last, 0);
	/* claimed into the hook's queue */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO hook_deliveries (hook, alert_id, created) "
				      "VALUES ('soc', 7, 100), ('soc-tls', 7, 900)", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_int_equal(obq_last_queued(db, 7, "soc", &last), 0);
	assert_int_equal(last, 100);
	/* not claimed yet, naming the hook: newer wins; naming soc-tls only: not soc's */
	assert_int_equal(obq_put(db, NULL, 7, "resend", 1, 500, "chat,soc", err, sizeof(err)), 0);
	assert_int_equal(obq_put(db, NULL, 7, "resend", 1, 800, "soc-tls", err, sizeof(err)), 0);
	assert_int_equal(obq_last_queued(db, 7, "soc", &last), 0);
	assert_int_equal(last, 500);
	assert_int_equal(obq_last_queued(db, 8, "soc", &last), 0);
	assert_int_equal(last, 0);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_put_read_trim),
		cmocka_unit_test(test_last_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
