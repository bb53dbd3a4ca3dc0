/*
 * test_ingestw.c - the console's ingest writer (console/ingestw.c): a
 * group committed by the writer thread through its own connection to a
 * real SQLite file, with nothing visible (and nothing collectable) before
 * the commit; a refused batch in a group leaves the others stored; one
 * group at a time; the loop's connection writes beside it.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "ingestw.h"
#include "store.h"

#define T0 1700000000

struct fx {
	char dir[64];
	char path[128];
	struct store *s;                /* the loop's connection */
	struct ingestw *w;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store *ws = NULL;
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ingestw.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.db", f->dir);
	assert_int_equal(store_open(f->path, 1, &f->s, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_add(f->s, "gw1", "gateway", "gw-kavala", "ABCDEF01", NULL, T0,
					  err, sizeof(err)), 0);
	assert_int_equal(store_sensor_add(f->s, "ag1", "agent", "pc-17", "1234", NULL, T0, err,
					  sizeof(err)), 0);
	assert_int_equal(store_open(f->path, 0, &ws, err, sizeof(err)), 0);
	assert_int_equal(store_set_dedup_window(ws, 3600, err, sizeof(err)), 0);
	assert_int_equal(ingestw_start(&f->w, ws, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	ingestw_free(f->w);
	store_close(f->s);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t sql_int(const struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static struct store_batch *batch(const char *text)
{
	struct store_batch *b = NULL;
	char err[256];

	assert_int_equal(store_batch_parse(text, strlen(text), &b, err, sizeof(err)), 0);
	return b;
}

/* Wait (up to 10 s) for the writer's descriptor to say the group is done. */
static void wait_fd(struct ingestw *w)
{
	struct pollfd pfd = { .fd = ingestw_fd(w), .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 10000), 1);
}

static void test_group_committed_by_the_writer(void **state)
{
	struct fx *f = *state;
	static const char gw[] = "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\"},"
				 "{\"event_type\":\"dns\"}]}";
	static const char ag[] = "{\"first_seq\":4,\"events\":[{\"event_type\":\"alert\","
				 "\"alert\":{\"signature\":\"s1\",\"severity\":2}}]}";
	struct ingestw_item it[3] = {
		{ .sensor = "gw1" }, { .sensor = "nosuch" }, { .sensor = "ag1" },
	};
	struct ingestw_item *items[3] = { &it[0], &it[1], &it[2] };
	int committed = -2, r;
	char err[256];

	it[0].b = batch(gw);
	it[1].b = batch(gw);
	it[2].b = batch(ag);
	/* nothing handed: nothing to collect */
	assert_false(ingestw_busy(f->w));
	assert_int_equal(ingestw_collect(f->w, true, &committed, err, sizeof(err)), 0);
	assert_int_equal(ingestw_submit(f->w, items, 0), -1);

	assert_int_equal(ingestw_submit(f->w, items, 3), 0);
	assert_true(ingestw_busy(f->w));
	/* one group at a time */
	assert_int_equal(ingestw_submit(f->w, items, 3), -1);
	/* not collected yet: not acknowledged, whether or not it is committed */
	wait_fd(f->w);
	r = ingestw_collect(f->w, true, &committed, err, sizeof(err));
	assert_int_equal(r, 1);
	assert_int_equal(committed, 0);
	assert_false(ingestw_busy(f->w));
	assert_true(it[0].ok);
	assert_int_equal(it[0].ack, 2);
	assert_int_equal(it[0].res.inserted, 2);
	assert_false(it[1].ok);
	assert_non_null(strstr(it[1].err, "unknown sensor"));
	assert_true(it[2].ok);
	assert_int_equal(it[2].ack, 4);
	assert_int_equal(it[2].res.alerts_new, 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 1);
	assert_int_equal(sql_int(f, "SELECT acked_seq FROM sensors WHERE id = 'ag1'"), 4);

	/* the same again: duplicates, and the alert counted (dedup window) */
	assert_int_equal(ingestw_submit(f->w, items, 3), 0);
	assert_int_equal(ingestw_collect(f->w, true, &committed, err, sizeof(err)), 1);
	assert_int_equal(committed, 0);
	assert_int_equal(it[0].res.duplicates, 2);
	assert_int_equal(it[0].res.inserted, 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 1);
	for (int i = 0; i < 3; i++)
		store_batch_free((struct store_batch *)it[i].b);
}

/* The loop's connection writes while the writer holds the write lock:
 * it waits for the commit (busy timeout), and both are stored. */
static void test_loop_writes_beside_the_writer(void **state)
{
	struct fx *f = *state;
	char text[64 * 1024];
	struct ingestw_item it[8];
	struct ingestw_item *items[8];
	int committed = -2;
	char err[256];
	size_t len = 0;

	len += (size_t)snprintf(text + len, sizeof(text) - len, "{\"first_seq\":1,\"events\":[");
	for (int i = 0; i < 900; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s{\"event_type\":\"flow\"}",
					i ? "," : "");
	snprintf(text + len, sizeof(text) - len, "]}");
	/* eight batches of 900 events each, one per sensor in turn */
	for (int i = 0; i < 8; i++) {
		char t[sizeof(text) + 16];

		snprintf(t, sizeof(t), "{\"first_seq\":%d%s", 1 + i * 900,
			 text + strlen("{\"first_seq\":1"));
		it[i].sensor = i % 2 ? "ag1" : "gw1";
		it[i].b = batch(t);
		items[i] = &it[i];
	}
	assert_int_equal(ingestw_submit(f->w, items, 8), 0);
	/* a write of the loop's while the writer stores */
	assert_int_equal(store_audit(f->s, T0, "", "127.0.0.1", "sensor.enroll", "gw9", err,
				     sizeof(err)), 0);
	assert_int_equal(ingestw_collect(f->w, true, &committed, err, sizeof(err)), 1);
	assert_int_equal(committed, 0);
	for (int i = 0; i < 8; i++) {
		assert_true(it[i].ok);
		assert_int_equal(it[i].res.inserted, 900);
		store_batch_free((struct store_batch *)it[i].b);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 8 * 900);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE detail = 'gw9'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_group_committed_by_the_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_writes_beside_the_writer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
