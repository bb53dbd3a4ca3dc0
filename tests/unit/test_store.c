/*
 * test_store.c - the console's storage (console/store.c) on a real SQLite
 * file in a fresh directory under /tmp: schema and WAL, idempotent ingest,
 * refusal of malformed batches with nothing stored, alert deduplication,
 * keyset paging and its indexes (200,000 alerts), enrolment tokens,
 * sensors going silent, commands, officers, sessions and the audit log,
 * group commit, events stored as received, the upgrade from version 1.
 *
 * Where a test must look under the API (row counts, a bulk insert, the
 * audit log's triggers) it opens the same file with a second SQLite
 * connection, as another process would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "obq.h"
#include "store.h"

/* A time in the past, so event times are never "ahead of the clock". */
#define T0 1700000000

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define H4 "4444444444444444444444444444444444444444444444444444444444444444"
#define H5 "5555555555555555555555555555555555555555555555555555555555555555"
#define H6 "6666666666666666666666666666666666666666666666666666666666666666"

struct fx {
	char dir[64];
	char path[128];
	struct store *s;
};

static void fx_path(const struct fx *f, const char *suffix, char *buf, size_t len)
{
	int k = snprintf(buf, len, "%s%s", f->path, suffix);

	assert_true(k > 0 && (size_t)k < len);
}

/* A fresh directory and database with two sensors: gateway gw1 (host
 * gw-kavala, serial abcdef01) and agent ag1 (host pc-17, serial 1234). */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.db", f->dir);
	assert_int_equal(store_open(f->path, 1, &f->s, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_add(f->s, "gw1", "gateway", "gw-kavala", "ABCDEF01", NULL, T0,
					  err, sizeof(err)), 0);
	assert_int_equal(store_sensor_add(f->s, "ag1", "agent", "pc-17", "1234",
					  "{\"os\":\"linux\"}", T0, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	store_close(f->s);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		fx_path(f, suffixes[i], p, sizeof(p));
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- a second connection, for looking under the API ---- */

static sqlite3 *raw_open(const struct fx *f)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t sql_int(const struct fx *f, const char *sql)
{
	sqlite3 *db = raw_open(f);
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int sql_exec(const struct fx *f, const char *sql)
{
	sqlite3 *db = raw_open(f);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	sqlite3_close(db);
	return rc;
}

/* ---- batches ---- */

struct batch {
	char *p;
	size_t len, cap;
	unsigned n;
};

static void b_add(struct batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void b_add(struct batch *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < b->cap - b->len);
	b->len += (size_t)k;
}

static void b_begin(struct batch *b, uint64_t first)
{
	if (b->p == NULL) {
		b->cap = 4 * 1024 * 1024;
		b->p = malloc(b->cap);
		assert_non_null(b->p);
	}
	b->len = 0;
	b->n = 0;
	b_add(b, "{\"first_seq\":%llu,\"events\":[", (unsigned long long)first);
}

/* Start the next event: a comma unless it is the first. */
static void b_next(struct batch *b)
{
	if (b->n++ > 0)
		b_add(b, ",");
}

static void iso(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	assert_non_null(gmtime_r(&tt, &tm));
	assert_true(strftime(buf, len, "%Y-%m-%dT%H:%M:%S.123456+0000", &tm) > 0);
}

static void b_flow(struct batch *b, int64_t t)
{
	char ts[40];

	iso(t, ts, sizeof(ts));
	b_next(b);
	b_add(b, "{\"timestamp\":\"%s\",\"event_type\":\"flow\",\"src_ip\":\"10.0.0.9\","
		 "\"dest_ip\":\"10.20.0.2\",\"proto\":\"TCP\"}", ts);
}

static void b_alert(struct batch *b, int64_t t, const char *src, const char *sig, int sev,
		    const char *action)
{
	char ts[40];

	iso(t, ts, sizeof(ts));
	b_next(b);
	b_add(b, "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"src_ip\":\"%s\","
		 "\"dest_ip\":\"10.20.0.2\",\"alert\":{\"action\":\"%s\",\"signature_id\":7,"
		 "\"signature\":\"%s\",\"category\":\"Application policy\",\"severity\":%d}}",
	      ts, src, action, sig, sev);
}

/* host NULL: the event names none (the agent's hostname is used). */
static void b_finding(struct batch *b, int64_t t, const char *host, const char *rule)
{
	char ts[40];

	iso(t, ts, sizeof(ts));
	b_next(b);
	b_add(b, "{\"timestamp\":\"%s\",\"event_type\":\"finding\",%s%s%s\"finding\":{\"rule\":\"%s\","
		 "\"path\":\"/home/a/x.exe\",\"sha256\":\"%064d\"}}",
	      ts, host ? "\"host\":\"" : "", host ? host : "", host ? "\"," : "", rule, 0);
}

static const char *b_end(struct batch *b)
{
	b_add(b, "]}");
	return b->p;
}

static int ingest(struct fx *f, const char *sensor, struct batch *b, uint64_t *ack,
		  struct store_ingest_result *res, char *err, size_t errlen)
{
	b_end(b);
	return store_ingest(f->s, sensor, b->p, b->len, ack, res, err, errlen);
}

/* ---- collecting rows ---- */

#define MAXROWS 4096

struct alerts {
	unsigned n;
	int64_t id[MAXROWS], last_seen[MAXROWS];
	struct store_alert last;
	unsigned stop_after;            /* 0: never stop */
};

static int alert_collect(void *arg, const struct store_alert *a)
{
	struct alerts *c = arg;

	assert_true(c->n < MAXROWS);
	c->id[c->n] = a->id;
	c->last_seen[c->n] = a->last_seen;
	c->n++;
	c->last = *a;
	return c->stop_after != 0 && c->n >= c->stop_after;
}

/* ---- open and schema ---- */

static void test_open_creates_wal_schema_0600(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	sqlite3 *db = raw_open(f);
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
				    "name IN ('sensors', 'events', 'alerts', 'alert_notes', "
				    "'enrol_tokens', 'users', 'sessions', 'api_tokens', 'audit', "
				    "'commands')"), 10);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	struct store_sensor row;
	char err[256], *facts = NULL;

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "ag1", &row, &facts, err, sizeof(err)), 0);
	assert_string_equal(row.hostname, "pc-17");
	assert_string_equal(row.kind, "agent");
	assert_string_equal(row.cert_serial, "1234");
	assert_string_equal(facts, "{\"os\":\"linux\"}");
	free(facts);
	/* create 1 on an existing database opens it as it is */
	store_close(f->s);
	assert_int_equal(store_open(f->path, 1, &f->s, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_string_equal(row.cert_serial, "abcdef01");   /* stored lowercase */
}

static void test_open_missing_without_create_fails(void **state)
{
	struct fx *f = *state;
	struct store *s2 = (struct store *)1;
	char p[160], err[256] = "";
	struct stat sb;

	fx_path(f, ".missing", p, sizeof(p));
	assert_int_equal(store_open(p, 0, &s2, err, sizeof(err)), -1);
	assert_null(s2);
	assert_true(strlen(err) > 0);
	assert_int_equal(stat(p, &sb), -1);     /* not created either */
}

static void test_open_refuses_foreign_and_newer_databases(void **state)
{
	struct fx *f = *state;
	struct store *s2 = NULL;
	char p[160], err[256] = "";
	sqlite3 *db;
	FILE *fp;

	/* some other program's SQLite database */
	fx_path(f, ".other", p, sizeof(p));
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x (a)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(p, 1, &s2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a Kastro console database"));
	{
		sqlite3_stmt *st;

		/* and left as it was: not switched to WAL */
		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	unlink(p);

	/* ours, from a newer program */
	assert_int_equal(sql_exec(f, "PRAGMA user_version = 99"), SQLITE_OK);
	assert_int_equal(store_open(f->path, 0, &s2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newer"));
	{
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		assert_int_equal(sql_exec(f, sql), SQLITE_OK);
	}

	/* not a database at all */
	fx_path(f, ".txt", p, sizeof(p));
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("this is not a database, just some text that is long enough to be a header\n", fp);
	fclose(fp);
	assert_int_equal(store_open(p, 0, &s2, err, sizeof(err)), -1);
	assert_null(s2);
	unlink(p);
}

/* ---- ingest ---- */

static void test_ingest_stores_events_and_acks(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_sensor row;
	uint64_t ack = 0;
	char err[256];

	b_begin(&b, 1);
	b_flow(&b, T0);
	b_flow(&b, T0 + 1);
	b_alert(&b, T0 + 2, "10.0.0.5", "block tiktok", 1, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(ack, 3);
	assert_int_equal(res.inserted, 3);
	assert_int_equal(res.duplicates, 0);
	assert_int_equal(res.alerts_new, 1);
	assert_true(res.alert_ids[0] > 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
	assert_int_equal(sql_int(f, "SELECT ts FROM events WHERE seq = 2"), T0 + 1);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.acked_seq, 3);
	assert_true(row.last_seen >= T0);

	/* a "host" that is not a string, in an event that is not an alert,
	 * is not ours to judge: ignored, the gateway's enrolled name used */
	b_begin(&b, 5);
	b_next(&b);
	b_add(&b, "{\"event_type\":\"stats\",\"host\":{\"name\":\"gw\"},\"src_ip\":7}");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE seq = 5 AND host = 'gw-kavala' "
				    "AND flags = 0 AND claim = ''"), 1);

	/* the body need not be NUL-terminated: only len bytes count */
	{
		static const char body[] = "{\"first_seq\":6,\"events\":[{\"event_type\":\"dns\"}]}"
					   "trailing bytes that are not part of it";

		assert_int_equal(store_ingest(f->s, "gw1", body, strlen(body) - 38, &ack, &res, err,
					      sizeof(err)), 0);
		assert_int_equal(ack, 6);
	}
	free(b.p);
}

static void test_ingest_resent_and_overlapping_batches_store_nothing_twice(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert a;
	uint64_t ack = 0;
	char err[256];

	b_begin(&b, 1);
	for (int i = 0; i < 3; i++)
		b_alert(&b, T0 + i, "10.0.0.5", "block tiktok", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 1);
	assert_int_equal(res.alerts_updated, 2);

	/* the same batch again (the ack was lost) */
	b_begin(&b, 1);
	for (int i = 0; i < 3; i++)
		b_alert(&b, T0 + i, "10.0.0.5", "block tiktok", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(ack, 3);
	assert_int_equal(res.inserted, 0);
	assert_int_equal(res.duplicates, 3);
	assert_int_equal(res.alerts_new + res.alerts_updated, 0);

	/* 2..5: two old, two new */
	b_begin(&b, 2);
	for (int i = 1; i < 5; i++)
		b_alert(&b, T0 + i, "10.0.0.5", "block tiktok", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(ack, 5);
	assert_int_equal(res.inserted, 2);
	assert_int_equal(res.duplicates, 2);
	assert_int_equal(res.alerts_updated, 2);

	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 5);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 1);
	/* only newly stored events counted on the alert */
	assert_int_equal(store_alert_get(f->s, (int64_t)sql_int(f, "SELECT id FROM alerts"), &a, err,
					 sizeof(err)), 0);
	assert_int_equal(a.count, 5);
	free(b.p);
}

struct bad {
	const char *body;
	const char *reason;
};

static void test_ingest_malformed_batches_refused_with_reason_and_nothing_stored(void **state)
{
	struct fx *f = *state;
	static const struct bad bad[] = {
		{ "not json", "batch: not JSON" },
		{ "[1,2]", "batch: expected a JSON object" },
		{ "{\"first_seq\":1,\"first_seq\":2,\"events\":[{\"event_type\":\"flow\"}]}", "duplicate" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\",\"event_type\":\"dns\"}]}",
		  "duplicate" },
		{ "{\"events\":[{\"event_type\":\"flow\"}]}", "first_seq missing" },
		{ "{\"first_seq\":0,\"events\":[{\"event_type\":\"flow\"}]}", "first_seq: expected 1 to 2^53" },
		{ "{\"first_seq\":-4,\"events\":[{\"event_type\":\"flow\"}]}", "first_seq: expected 1 to 2^53" },
		{ "{\"first_seq\":9007199254740993,\"events\":[{\"event_type\":\"flow\"}]}",
		  "first_seq: expected 1 to 2^53" },
		{ "{\"first_seq\":9007199254740992,\"events\":[{\"event_type\":\"flow\"},"
		  "{\"event_type\":\"flow\"}]}", "beyond 2^53" },
		{ "{\"first_seq\":\"1\",\"events\":[{\"event_type\":\"flow\"}]}", "first_seq: expected an integer" },
		{ "{\"first_seq\":1.0,\"events\":[{\"event_type\":\"flow\"}]}", "first_seq: expected an integer" },
		{ "{\"first_seq\":1}", "events missing" },
		{ "{\"first_seq\":1,\"events\":{}}", "events: expected an array" },
		{ "{\"first_seq\":1,\"events\":[]}", "events: empty" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\"},7]}", "events[1]: expected a JSON object" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\"},{\"timestamp\":\"x\"}]}",
		  "events[1]: event_type missing" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":3}]}", "events[0]: event_type: expected a string" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"fl ow\"}]}", "events[0]: event_type: only" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"sensor_offline\"}]}", "console's own" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\",\"timestamp\":\"yesterday\"}]}",
		  "events[0]: timestamp: expected ISO 8601" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\",\"timestamp\":\"2026-02-30T10:00:00Z\"}]}",
		  "events[0]: timestamp" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"alert\"}]}", "events[0]: alert: expected an object" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"alert\",\"alert\":{\"severity\":1}}]}",
		  "events[0]: alert.signature" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"alert\",\"alert\":{\"signature\":\"x\","
		  "\"severity\":0}}]}", "events[0]: alert.severity" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"alert\",\"alert\":{\"signature\":\"a\\nb\","
		  "\"severity\":1}}]}", "alert.signature: control character" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"finding\",\"finding\":{\"path\":\"/x\"}}]}",
		  "events[0]: finding.rule" },
		{ "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\",\"src_ip\":\"\\u0001\"}]}",
		  "events[0]: src_ip: control character" },
	};
	struct store_ingest_result res;
	struct store_sensor row;
	struct batch b = { 0 };
	uint64_t ack = 77;
	char err[512], *big;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (store_ingest(f->s, "gw1", bad[i].body, strlen(bad[i].body), &ack, &res, err,
				 sizeof(err)) != -1 || strstr(err, bad[i].reason) == NULL)
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i, bad[i].body, err,
				 bad[i].reason);
	}
	/* too many events */
	b_begin(&b, 1);
	for (i = 0; i < STORE_BATCH_MAX + 1; i++)
		b_flow(&b, T0);
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most 1000"));

	/* one event over STORE_EVENT_MAX after a good one: neither stored */
	b_begin(&b, 1);
	b_flow(&b, T0);
	b_next(&b);
	b_add(&b, "{\"event_type\":\"http\",\"pad\":\"");
	for (i = 0; i < STORE_EVENT_MAX; i++)
		b_add(&b, "a");
	b_add(&b, "\"}");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "events[1]: longer than 65536 bytes"));

	/* a body over STORE_BODY_MAX is not even parsed */
	big = malloc(STORE_BODY_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', STORE_BODY_MAX + 1);
	assert_int_equal(store_ingest(f->s, "gw1", big, STORE_BODY_MAX + 1, &ack, &res, err,
				      sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	free(big);

	/* an unknown sensor */
	b_begin(&b, 1);
	b_flow(&b, T0);
	assert_int_equal(ingest(f, "nosuch", &b, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown sensor nosuch"));

	/* nothing at all changed */
	assert_int_equal(ack, 77);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.last_seen, 0);
	assert_int_equal(row.acked_seq, 0);
	free(b.p);
}

/* ---- alerts from events ---- */

static void test_alerts_dedup_within_window_new_row_outside(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert a;
	uint64_t ack;
	char err[256];
	int64_t row1;

	b_begin(&b, 1);
	b_alert(&b, T0, "10.0.0.5", "Sig A", 2, "blocked");
	b_alert(&b, T0 + 600, "10.0.0.5", "Sig A", 2, "blocked");
	b_alert(&b, T0 + 1200, "10.0.0.5", "Sig A", 2, "blocked");
	b_alert(&b, T0 + 1200 + 3601, "10.0.0.5", "Sig A", 2, "blocked");   /* after the window */
	b_alert(&b, T0 + 100, "10.0.0.6", "Sig A", 2, "blocked");           /* another host */
	b_alert(&b, T0 + 100, "10.0.0.5", "Sig B", 2, "blocked");           /* another signature */
	b_alert(&b, T0 - 300, "10.0.0.5", "Sig A", 2, "blocked");           /* late, inside */
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 4);
	assert_int_equal(res.alerts_updated, 3);
	row1 = res.alert_ids[0];
	assert_int_equal(store_alert_get(f->s, row1, &a, err, sizeof(err)), 0);
	assert_int_equal(a.count, 4);
	assert_int_equal(a.first_seen, T0 - 300);
	assert_int_equal(a.last_seen, T0 + 1200);
	assert_int_equal(a.event_seq, 1);
	assert_int_equal(store_alert_get(f->s, res.alert_ids[1], &a, err, sizeof(err)), 0);
	assert_int_equal(a.count, 1);
	assert_int_equal(a.first_seen, T0 + 4801);

	/* a resolved row takes no repeats: a new row */
	assert_int_equal(store_alert_set_status(f->s, row1, "resolved", "alice", T0 + 5000, err,
						sizeof(err)), 0);
	b_begin(&b, 8);
	b_alert(&b, T0 - 4000, "10.0.0.5", "Sig A", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 1);
	assert_true(res.alert_ids[0] != row1);

	/* window 0: every alert event makes a row */
	assert_int_equal(store_set_dedup_window(f->s, 0, err, sizeof(err)), 0);
	b_begin(&b, 9);
	b_alert(&b, T0 - 4000, "10.0.0.5", "Sig A", 2, "blocked");
	b_alert(&b, T0 - 4000, "10.0.0.5", "Sig A", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 2);
	assert_int_equal(res.alerts_updated, 0);
	assert_int_equal(store_set_dedup_window(f->s, -1, err, sizeof(err)), -1);
	assert_int_equal(store_set_dedup_window(f->s, STORE_DEDUP_LIMIT + 1, err, sizeof(err)), -1);
	free(b.p);
}

static void test_gateway_alert_and_agent_finding_become_alerts(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert a;
	uint64_t ack;
	char err[256], ts[40];
	int64_t now = (int64_t)time(NULL);

	b_begin(&b, 1);
	b_alert(&b, T0, "10.0.0.5", "block tiktok", 1, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(store_alert_get(f->s, res.alert_ids[0], &a, err, sizeof(err)), 0);
	assert_string_equal(a.kind, "alert");
	assert_string_equal(a.sensor_id, "gw1");
	assert_string_equal(a.host, "10.0.0.5");            /* a gateway alert's host: src_ip */
	assert_int_equal(a.signature_id, 7);
	assert_string_equal(a.signature, "block tiktok");
	assert_string_equal(a.category, "Application policy");
	assert_string_equal(a.action, "blocked");
	assert_int_equal(a.severity, 1);
	assert_string_equal(a.status, "new");
	assert_string_equal(a.event_sensor_id, "gw1");
	assert_int_equal(a.event_seq, 1);
	assert_int_equal(a.first_seen, T0);

	b_begin(&b, 1);
	b_finding(&b, T0, NULL, "EICAR_Test");
	b_finding(&b, T0, "srv-2", "EICAR_Test_2");
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 2);
	assert_int_equal(res.claims, 1);
	assert_int_equal(store_alert_get(f->s, res.alert_ids[0], &a, err, sizeof(err)), 0);
	assert_string_equal(a.kind, "finding");
	assert_string_equal(a.host, "pc-17");               /* the agent's hostname */
	assert_string_equal(a.claimed_host, "");
	assert_int_equal(a.flags, 0);
	assert_string_equal(a.signature, "EICAR_Test");
	assert_int_equal(a.signature_id, -1);
	assert_int_equal(a.severity, 2);
	assert_string_equal(a.action, "");
	/* an agent naming another host: the enrolled host, the claim beside it */
	assert_int_equal(store_alert_get(f->s, res.alert_ids[1], &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "pc-17");
	assert_string_equal(a.claimed_host, "srv-2");
	assert_int_equal(a.flags, STORE_FLAG_HOST);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE sensor_id = 'ag1' AND seq = 2 "
				    "AND host = 'pc-17' AND claim = '{\"host\":\"srv-2\"}' AND flags = 1"), 1);

	/* severity above 4 counts as 4; a time too far ahead is replaced by
	 * the receive time; a gateway event without src_ip is the gateway's */
	iso(now + 2 * STORE_CLOCK_SKEW, ts, sizeof(ts));
	b_begin(&b, 2);
	b_next(&b);
	b_add(&b, "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"host\":\"gw-kavala\","
		  "\"alert\":{\"signature\":\"odd\",\"severity\":7}}", ts);
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.ts_replaced, 1);
	assert_int_equal(store_alert_get(f->s, res.alert_ids[0], &a, err, sizeof(err)), 0);
	assert_int_equal(a.severity, 4);
	assert_string_equal(a.host, "gw-kavala");
	assert_int_equal(a.flags, STORE_FLAG_TS_FUTURE);
	assert_true(a.first_seen >= now && a.first_seen <= now + 60);
	free(b.p);
}


/* What sensors may claim: an agent's event dated 1970, next year or in year
 * 1 is stored with the receive time and flagged, its own time kept as the
 * claim; a time within bounds is taken; the host is always the enrolled
 * one, compared ignoring case. */
static void test_claims_pinned_times_bounded(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert a;
	uint64_t ack;
	char err[256], ts[40];
	int64_t now = (int64_t)time(NULL);

	iso(now + 366 * 86400, ts, sizeof(ts));
	b_begin(&b, 1);
	b_finding(&b, 0, "mayor-pc", "R1");                             /* 1970, another host */
	b_next(&b);
	b_add(&b, "{\"timestamp\":\"%s\",\"event_type\":\"finding\",\"host\":\"PC-17\","
		  "\"finding\":{\"rule\":\"R2\"}}", ts);                /* next year, our host */
	b_next(&b);
	b_add(&b, "{\"timestamp\":\"0001-01-01T00:00:00Z\",\"event_type\":\"heartbeat\"}");
	b_finding(&b, T0 - 3600, NULL, "R3");                           /* fine: after enrolment - 1d */
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.inserted, 4);
	assert_int_equal(res.ts_replaced, 3);
	assert_int_equal(res.claims, 1);
	assert_int_equal(res.alerts_new, 3);

	assert_int_equal(store_alert_get(f->s, res.alert_ids[0], &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "pc-17");
	assert_string_equal(a.claimed_host, "mayor-pc");
	assert_int_equal(a.flags, STORE_FLAG_HOST | STORE_FLAG_TS_PAST);
	assert_true(a.first_seen >= now && a.first_seen <= now + 60);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE sensor_id = 'ag1' AND seq = 1 AND "
				    "claim = '{\"host\":\"mayor-pc\",\"timestamp\":\"1970-01-01T00:00:00.123456+0000\"}'"),
			 1);

	assert_int_equal(store_alert_get(f->s, res.alert_ids[1], &a, err, sizeof(err)), 0);
	assert_string_equal(a.claimed_host, "");                        /* PC-17 is pc-17 */
	assert_int_equal(a.flags, STORE_FLAG_TS_FUTURE);
	assert_true(a.first_seen >= now && a.first_seen <= now + 60);
	assert_int_equal(sql_int(f, "SELECT flags FROM events WHERE sensor_id = 'ag1' AND seq = 3"),
			 STORE_FLAG_TS_PAST);

	assert_int_equal(store_alert_get(f->s, res.alert_ids[2], &a, err, sizeof(err)), 0);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.first_seen, T0 - 3600);

	/* a malformed time still refuses the batch */
	b_begin(&b, 10);
	b_next(&b);
	b_add(&b, "{\"timestamp\":\"1969-13-01T00:00:00Z\",\"event_type\":\"heartbeat\"}");
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "events[0]: timestamp"));
	free(b.p);

	/* the schema additions are made once: reopening changes nothing */
	store_close(f->s);
	assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_info('events') WHERE name = 'claim'"),
			 1);
}


/* Retention: old events and old resolved alerts go in batches; open
 * alerts, the first event of a kept alert and young rows stay; an outbox
 * of hooks holds every alert back until the merge wires its check. */
static void test_prune_in_batches_keeps_open_alerts_and_their_events(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_prune_result pr;
	uint64_t ack;
	char err[256], sig[32];
	int64_t now = (int64_t)time(NULL), day = 86400, total = 0;
	int64_t open_id, resolved_id;

	assert_int_equal(store_set_dedup_window(f->s, 0, err, sizeof(err)), 0);
	b_begin(&b, 1);
	for (int i = 0; i < 250; i++)
		b_flow(&b, T0 + i);
	b_alert(&b, T0, "10.0.0.1", "kept open", 1, "blocked");
	b_alert(&b, T0, "10.0.0.2", "resolved old", 1, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	open_id = res.alert_ids[0];
	resolved_id = res.alert_ids[1];
	assert_int_equal(store_alert_set_status(f->s, resolved_id, "resolved", NULL, now, err,
						sizeof(err)), 0);
	assert_int_equal(store_alert_note_add(f->s, resolved_id, "admin", now, "done", NULL, err,
					      sizeof(err)), 0);
	/* all of these were received 40 days ago; the next batch now */
	assert_int_equal(sql_exec(f, "UPDATE events SET received = received - 40 * 86400"), SQLITE_OK);
	b_begin(&b, 300);
	for (int i = 0; i < 10; i++) {
		snprintf(sig, sizeof(sig), "young %d", i);
		b_alert(&b, now, "10.0.0.3", sig, 2, "allowed");
	}
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 262);

	/* 0 keeps: nothing happens */
	assert_int_equal(store_prune(f->s, now, 0, 0, 100, &pr, err, sizeof(err)), 0);
	assert_int_equal(pr.events + pr.alerts, 0);
	assert_int_equal(store_prune(f->s, now, 30 * day, 30 * day, 0, &pr, err, sizeof(err)), -1);

	/* a delivery of the resolved alert is still queued: it is held, events go */
	assert_int_equal(sql_exec(f, "CREATE TABLE IF NOT EXISTS hook_deliveries (id INTEGER "
				  "PRIMARY KEY, alert_id INTEGER, state TEXT, reason TEXT NOT NULL DEFAULT 'raised')"), SQLITE_OK);
	assert_int_equal(sql_exec(f, OBQ_SCHEMA_SQL), SQLITE_OK);
	{
		char q[256];

		/* not claimed by the hook's worker yet: held too */
		snprintf(q, sizeof(q), "INSERT INTO hook_outbox (alert_id, reason, severity, created, "
			 "hooks) VALUES (%lld, 'raised', 2, 0, 'soc')", (long long)resolved_id);
		assert_int_equal(sql_exec(f, q), SQLITE_OK);
		assert_int_equal(store_prune(f->s, now, 30 * day, 30 * day, 100, &pr, err,
					     sizeof(err)), 0);
		assert_int_equal(pr.alerts, 0);
		assert_int_equal(pr.alerts_held, 1);
		total += pr.events;
		/* claimed: now in hook_deliveries, queued */
		assert_int_equal(sql_exec(f, "DELETE FROM hook_outbox"), SQLITE_OK);
		snprintf(q, sizeof(q), "INSERT INTO hook_deliveries (alert_id, state) VALUES "
			 "(%lld, 'queued')", (long long)resolved_id);
		assert_int_equal(sql_exec(f, q), SQLITE_OK);
	}
	assert_int_equal(store_prune(f->s, now, 30 * day, 30 * day, 100, &pr, err, sizeof(err)), 0);
	assert_int_equal(pr.alerts, 0);
	assert_int_equal(pr.alerts_held, 1);
	assert_int_equal(pr.events, 100);
	assert_true(pr.more);
	total += pr.events;
	/* delivered: nothing holds it any more */
	assert_int_equal(sql_exec(f, "UPDATE hook_deliveries SET state = 'delivered'"), SQLITE_OK);

	do {
		assert_int_equal(store_prune(f->s, now, 30 * day, 30 * day, 100, &pr, err,
					     sizeof(err)), 0);
		total += pr.events;
	} while (pr.more);
	/* 250 flows and the resolved alert's event gone; the open alert's
	 * first event and the 10 young ones stay */
	assert_int_equal(total, 251);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 11);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 11);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert_notes"), 0);
	{
		struct store_alert a;

		assert_int_equal(store_alert_get(f->s, open_id, &a, err, sizeof(err)), 0);
		assert_int_equal(store_alert_get(f->s, resolved_id, &a, err, sizeof(err)),
				 STORE_NOT_FOUND);
	}
	/* nothing is left to do; the next pass finds nothing */
	assert_int_equal(store_prune(f->s, now, 30 * day, 30 * day, 100, &pr, err, sizeof(err)), 0);
	assert_int_equal(pr.events + pr.alerts, 0);
	assert_int_equal(pr.events_held, 1);
	assert_false(pr.more);
	free(b.p);
}

/* A sensor over its quota: counts add up, one alert counts the episodes. */
static void test_quota_refusals_counted_and_alerted(void **state)
{
	struct fx *f = *state;
	struct store_quota_row q;
	struct store_alert a;
	char err[256];
	int64_t now = (int64_t)time(NULL), id1, id2;

	assert_int_equal(store_quota_get(f->s, "ag1", &q, err, sizeof(err)), 0);
	assert_int_equal(q.refused_batches, 0);
	assert_int_equal(store_quota_refused(f->s, "ag1", 3, 3000, 900000, now, &id1, err,
					     sizeof(err)), 0);
	assert_int_equal(store_quota_refused(f->s, "ag1", 1, 1000, 300000, now + 60, &id2, err,
					     sizeof(err)), 0);
	assert_int_equal(store_quota_get(f->s, "ag1", &q, err, sizeof(err)), 0);
	assert_int_equal(q.refused_batches, 4);
	assert_int_equal(q.refused_events, 4000);
	assert_int_equal(q.refused_bytes, 1200000);
	assert_int_equal(q.last_refused, now + 60);
	assert_true(id1 > 0);
	assert_int_equal(id1, id2);
	assert_int_equal(store_alert_get(f->s, id1, &a, err, sizeof(err)), 0);
	assert_string_equal(a.kind, "quota_exceeded");
	assert_string_equal(a.host, "pc-17");
	assert_string_equal(a.signature, "Sensor over its quota: pc-17 (ag1)");
	assert_int_equal(a.count, 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE sensor_id = 'ag1' AND seq < 0 "
				    "AND event_type = 'quota_exceeded'"), 2);
	assert_int_equal(store_quota_refused(f->s, "nope", 1, 1, 1, now, NULL, err, sizeof(err)), -1);
}


/* The audit chain: verified from the first entry; entries from before the
 * chain counted apart; a changed entry, a removed one and a forged link
 * are each named by id, even with the triggers dropped around the edit. */
static void test_audit_chain_verify_names_first_broken_entry(void **state)
{
	struct fx *f = *state;
	struct store_audit_check ck;
	char err[256], detail[32];

	/* two entries as an older console wrote them, without hashes */
	assert_int_equal(sql_exec(f, "INSERT INTO audit (ts, user, addr, action, detail) VALUES "
				     "(1, 'admin', 'local', 'old.one', ''), (2, 'admin', 'local', 'old.two', '')"),
			 SQLITE_OK);
	for (int i = 0; i < 600; i++) {         /* more than a page of the walk */
		snprintf(detail, sizeof(detail), "entry %d", i);
		assert_int_equal(store_audit(f->s, T0 + i, i % 2 ? "admin" : NULL, "10.0.0.9",
					     "user.create", detail, err, sizeof(err)), 0);
	}
	assert_int_equal(store_audit_verify(f->s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.before_chain, 2);
	assert_int_equal(ck.verified, 600);
	assert_int_equal(ck.first_bad, 0);
	assert_int_equal(ck.head_id, 602);
	assert_int_equal(strlen(ck.head_hash), 64);

#define UNLOCKED(sql) "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " sql \
	"; CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;" \
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END"
	/* a detail changed */
	assert_int_equal(sql_exec(f, UNLOCKED("UPDATE audit SET detail = 'entry x' WHERE id = 300")),
			 SQLITE_OK);
	assert_int_equal(store_audit_verify(f->s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.first_bad, 300);
	assert_string_equal(ck.why, "its hash does not match its contents");
	assert_int_equal(ck.verified, 297);
	/* ... and its hash made to fit: the next entry's link breaks */
	assert_int_equal(sql_exec(f, UNLOCKED("UPDATE audit SET hash = 'ab' WHERE id = 300")), SQLITE_OK);
	assert_int_equal(store_audit_verify(f->s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.first_bad, 300);
	/* an entry removed */
	assert_int_equal(sql_exec(f, UNLOCKED("DELETE FROM audit WHERE id BETWEEN 299 AND 300")),
			 SQLITE_OK);
	assert_int_equal(store_audit_verify(f->s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.first_bad, 301);
	assert_string_equal(ck.why, "entries are missing before it");
	/* the user of an early entry changed */
	assert_int_equal(sql_exec(f, UNLOCKED("UPDATE audit SET user = 'mallory' WHERE id = 5")),
			 SQLITE_OK);
	assert_int_equal(store_audit_verify(f->s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.first_bad, 5);
#undef UNLOCKED
}

/* ---- listing ---- */

/* 200 gateway alerts and 100 findings, every one its own row, with many
 * equal last_seen values (so the id tie-break matters); a seventh resolved
 * and another seventh acknowledged. */
static void load_mixed_alerts(struct fx *f)
{
	struct batch b = { 0 };
	struct store_ingest_result res;
	uint64_t ack;
	char err[256], sig[64], src[32], host[32], rule[32];

	assert_int_equal(store_set_dedup_window(f->s, 0, err, sizeof(err)), 0);
	b_begin(&b, 1);
	for (int i = 0; i < 200; i++) {
		if (i % 5 == 0)
			snprintf(sig, sizeof(sig), "Weird 100%%_Match");
		else if (i % 5 == 1)
			snprintf(sig, sizeof(sig), "Policy 100Xxm");
		else
			snprintf(sig, sizeof(sig), "Policy block %d", i % 5);
		snprintf(src, sizeof(src), "10.0.0.%d", i % 7);
		b_alert(&b, T0 + (i % 50) * 10, src, sig, 1 + i % 4, i % 2 ? "blocked" : "allowed");
	}
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 200);
	b_begin(&b, 1);
	for (int i = 0; i < 100; i++) {
		snprintf(host, sizeof(host), "pc-%d", i % 3);
		snprintf(rule, sizeof(rule), "Rule%d", i % 4);
		b_finding(&b, T0 + (i % 40) * 10, host, rule);
	}
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.alerts_new, 100);
	assert_int_equal(sql_exec(f, "UPDATE alerts SET status = 'resolved' WHERE id % 7 = 0;"
				     "UPDATE alerts SET status = 'acknowledged' WHERE id % 7 = 3"),
			 SQLITE_OK);
	free(b.p);
}

/* The ids SQL itself gives for where, in listing order. */
static void ref_ids(const struct fx *f, const char *where, struct alerts *out)
{
	sqlite3 *db = raw_open(f);
	sqlite3_stmt *st;
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT id, last_seen FROM alerts WHERE %s "
		 "ORDER BY last_seen DESC, id DESC", where);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	out->n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(out->n < MAXROWS);
		out->id[out->n] = sqlite3_column_int64(st, 0);
		out->last_seen[out->n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Every page of filter f with page size limit, into out. */
static void page_all(struct fx *fx, struct store_alert_filter f, unsigned limit, struct alerts *out)
{
	struct store_alert_page pg;
	char err[256];
	unsigned pages = 0;

	memset(out, 0, sizeof(*out));
	f.limit = limit;
	f.after_last_seen = 0;
	f.after_id = 0;
	do {
		unsigned before = out->n;

		assert_int_equal(store_alert_query(fx->s, &f, alert_collect, out, &pg, err,
						   sizeof(err)), 0);
		assert_int_equal(pg.rows, out->n - before);
		assert_true(pg.rows <= limit);
		if (pg.more) {
			assert_int_equal(pg.rows, limit);
			assert_int_equal(pg.next_id, out->id[out->n - 1]);
			assert_int_equal(pg.next_last_seen, out->last_seen[out->n - 1]);
		}
		f.after_last_seen = pg.next_last_seen;
		f.after_id = pg.next_id;
		assert_true(++pages < 1000);
	} while (pg.more);
}

static void test_keyset_paging_returns_each_alert_once_in_order_for_every_filter(void **state)
{
	struct fx *fx = *state;
	struct {
		struct store_alert_filter f;
		const char *where;
	} cases[] = {
		{ { 0 }, "1" },
		{ { .severity_max = 2 }, "severity <= 2" },
		{ { .status = "open" }, "status <> 'resolved'" },
		{ { .status = "acknowledged" }, "status = 'acknowledged'" },
		{ { .sensor_id = "ag1" }, "sensor_id = 'ag1'" },
		{ { .host = "10.0.0.3" }, "host = '10.0.0.3'" },
		{ { .since = T0 + 100, .until = T0 + 300 }, "last_seen >= 1700000100 AND last_seen < 1700000300" },
		/* case-insensitive, and % and _ are literal */
		{ { .text = "100%_m" }, "signature = 'Weird 100%_Match'" },
		{ { .text = "POLICY" }, "signature LIKE '%policy%'" },
		{ { .severity_max = 3, .status = "open", .sensor_id = "gw1", .host = "10.0.0.1",
		    .text = "block" },
		  "severity <= 3 AND status <> 'resolved' AND sensor_id = 'gw1' AND host = '10.0.0.1' "
		  "AND signature LIKE '%block%'" },
		{ { .sensor_id = "nosuch" }, "0" },
		/* in no signature at all (answered without walking the alerts) */
		{ { .text = "found nowhere" }, "0" },
		{ { .text = "found nowhere", .status = "open" }, "0" },
	};
	static struct alerts got, want;
	struct store_alert_filter f;
	struct store_alert_page pg;
	char err[256];

	load_mixed_alerts(fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ref_ids(fx, cases[i].where, &want);
		page_all(fx, cases[i].f, 7, &got);
		if (got.n != want.n)
			fail_msg("case %zu (%s): %u rows, want %u", i, cases[i].where, got.n, want.n);
		for (unsigned k = 0; k < got.n; k++)
			if (got.id[k] != want.id[k])
				fail_msg("case %zu (%s): row %u is alert %lld, want %lld", i,
					 cases[i].where, k, (long long)got.id[k], (long long)want.id[k]);
	}
	ref_ids(fx, "1", &want);
	assert_int_equal(want.n, 300);

	/* limit 0: STORE_PAGE_DEFAULT rows */
	memset(&f, 0, sizeof(f));
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), 0);
	assert_int_equal(pg.rows, STORE_PAGE_DEFAULT);
	assert_true(pg.more);

	/* a callback that stops early: the cursor is its last row */
	memset(&got, 0, sizeof(got));
	got.stop_after = 3;
	f.limit = 10;
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), 0);
	assert_int_equal(pg.rows, 3);
	assert_true(pg.more);
	assert_int_equal(pg.next_id, want.id[2]);
	f.after_last_seen = pg.next_last_seen;
	f.after_id = pg.next_id;
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), 0);
	assert_int_equal(got.id[0], want.id[3]);

	/* a cursor later than until: until bounds the page (all of its rows) */
	memset(&f, 0, sizeof(f));
	f.until = T0 + 200;
	f.after_last_seen = T0 + 250;
	f.after_id = 1;
	f.limit = STORE_PAGE_MAX;
	ref_ids(fx, "last_seen < 1700000200", &want);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), 0);
	assert_int_equal(got.n, want.n);
	assert_true(want.n > 0);
	for (unsigned k = 0; k < got.n; k++)
		assert_int_equal(got.id[k], want.id[k]);

	/* bad filters */
	memset(&f, 0, sizeof(f));
	f.severity_max = 5;
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), -1);
	f.severity_max = 0;
	f.status = "closed";
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), -1);
	f.status = NULL;
	f.limit = STORE_PAGE_MAX + 1;
	assert_int_equal(store_alert_query(fx->s, &f, alert_collect, &got, &pg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
}

/* "SCAN alerts" not followed by " USING": a walk of the whole table. */
static int full_scan(const char *plan)
{
	for (const char *p = plan; (p = strstr(p, "SCAN alerts")) != NULL; p++)
		if (strncmp(p + 11, " USING", 6) != 0)
			return 1;
	return 0;
}

static double since_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Test-only path: n alerts in one transaction of a second connection, its
 * indexes dropped first and made again after (a sort each, much faster than
 * n inserts into each index), without fsync. The indexes are the same.
 * n: a multiple of 1000 (rows are made as 1000 x n/1000).
 */
static void bulk_alerts(const struct fx *f, int n)
{
	sqlite3 *db = raw_open(f);
	sqlite3_stmt *st;
	char *idx[32], *name[32], sql[2048];
	size_t ni = 0;

	assert_int_equal(sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; "
					  "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema WHERE "
					    "type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL",
					    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(ni < 32);
		name[ni] = strdup((const char *)sqlite3_column_text(st, 0));
		idx[ni++] = strdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	assert_true(ni >= 5);
	assert_int_equal(n % 1000, 0);
	for (size_t i = 0; i < ni; i++) {
		snprintf(sql, sizeof(sql), "DROP INDEX %s", name[i]);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		free(name[i]);
	}
	snprintf(sql, sizeof(sql),
		"WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 999), "
		"c(i) AS (SELECT a.j * 1000 + b.j + 1 FROM k a, k b WHERE a.j < %d) "
		"INSERT INTO alerts (kind, sensor_id, host, signature_id, signature, category, "
		"severity, action, first_seen, last_seen, count, status, event_sensor_id, event_seq) "
		"SELECT 'alert', CASE WHEN i %% 2 THEN 'gw1' ELSE 'ag1' END, "
		"'10.0.' || (i %% 250) || '.' || (i %% 200), i %% 1000, 'Signature ' || (i %% 1000), "
		"'cat', 1 + i %% 4, CASE WHEN i %% 3 = 0 THEN 'blocked' ELSE 'allowed' END, "
		"%d + i, %d + i, 1, "
		"CASE i %% 10 WHEN 0 THEN 'resolved' WHEN 1 THEN 'acknowledged' ELSE 'new' END, "
		"'gw1', i FROM c", n / 1000, T0, T0);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < ni; i++) {
		assert_int_equal(sqlite3_exec(db, idx[i], NULL, NULL, NULL), SQLITE_OK);
		free(idx[i]);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_200k_alerts_first_page_walks_an_index(void **state)
{
	struct fx *fx = *state;
	struct store_alert_filter cases[] = {
		{ 0 },
		{ .status = "open", .severity_max = 2 },
		{ .status = "new" },
		{ .host = "10.0.7.7" },
		{ .sensor_id = "ag1", .severity_max = 1 },
		{ .text = "signature 42" },
		{ .since = T0 + 1000, .until = T0 + 150000 },
		{ .status = "open", .after_last_seen = T0 + 100000, .after_id = 100000 },
	};
	static struct alerts got;
	struct store_alert_page pg;
	struct timespec t0;
	char plan[1024], err[256];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	bulk_alerts(fx, 200000);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM alerts"), 200000);
	print_message("      200000 alerts inserted in %.2f s\n", since_s(&t0));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_alert_query_plan(fx->s, &cases[i], plan, sizeof(plan), err,
							sizeof(err)), 0);
		if (full_scan(plan) || strstr(plan, "TEMP B-TREE") != NULL ||
		    strstr(plan, "USING") == NULL)
			fail_msg("case %zu: plan without an ordered index walk: %s", i, plan);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		memset(&got, 0, sizeof(got));
		assert_int_equal(store_alert_query(fx->s, &cases[i], alert_collect, &got, &pg, err,
						   sizeof(err)), 0);
		assert_int_equal(got.n, STORE_PAGE_DEFAULT);
		/* ~1 ms in practice; generous for slow, instrumented builds */
		if (since_s(&t0) > 0.25)
			fail_msg("case %zu: first page took %.3f s (plan: %s)", i, since_s(&t0), plan);
	}

	/* every combination of filters: an ordered index walk, no sort;
	 * without planner statistics (m < 128), and with them */
	for (unsigned m = 0; m < 256; m++) {
		struct store_alert_filter f = {
			.severity_max = m & 1 ? 2 : 0,
			.status = m & 2 ? "new" : m & 4 ? "open" : NULL,
			.sensor_id = m & 8 ? "gw1" : NULL,
			.host = m & 16 ? "10.0.7.7" : NULL,
			.text = m & 32 ? "nature 4" : NULL,
			.since = m & 64 ? T0 + 5000 : 0,
			.until = m & 64 ? T0 + 150000 : 0,
		};

		if (m == 128)
			assert_int_equal(sql_exec(fx, "ANALYZE"), SQLITE_OK);
		if ((m & 6) == 6)
			continue;
		assert_int_equal(store_alert_query_plan(fx->s, &f, plan, sizeof(plan), err,
							sizeof(err)), 0);
		if (full_scan(plan) || strstr(plan, "TEMP B-TREE") != NULL ||
		    strstr(plan, "USING") == NULL)
			fail_msg("filters %#x: plan without an ordered index walk: %s", m, plan);
		if (getenv("TEST_STORE_PLANS") != NULL)
			print_message("      %#05x %s\n", m, plan);
	}
}

/* ---- enrolment tokens ---- */

struct tokens {
	unsigned n;
	struct store_token row[8];
};

static int token_collect(void *arg, const struct store_token *t)
{
	struct tokens *c = arg;

	assert_true(c->n < 8);
	c->row[c->n++] = *t;
	return 0;
}

static void test_token_used_once_reuse_expired_unknown_refused(void **state)
{
	struct fx *f = *state;
	struct tokens l = { 0 };
	char err[256], kind[STORE_KIND_MAX + 1];

	assert_int_equal(store_token_add(f->s, H1, "gateway", T0, T0 + 3600, err, sizeof(err)), 0);
	assert_int_equal(store_token_add(f->s, H1, "gateway", T0, T0 + 3600, err, sizeof(err)), -1);
	assert_int_equal(store_token_add(f->s, H2, "agent", T0 + 1, T0 + 60, err, sizeof(err)), 0);
	assert_int_equal(store_token_add(f->s, H3, "agent", T0, T0, err, sizeof(err)), -1);
	assert_int_equal(store_token_add(f->s, H3, "router", T0, T0 + 1, err, sizeof(err)), -1);
	assert_int_equal(store_token_add(f->s, "ABC", "agent", T0, T0 + 1, err, sizeof(err)), -1);

	assert_int_equal(store_token_consume(f->s, H1, T0 + 10, "gw9", kind, sizeof(kind), err,
					     sizeof(err)), 0);
	assert_string_equal(kind, "gateway");
	assert_int_equal(store_token_consume(f->s, H1, T0 + 11, "gw10", kind, sizeof(kind), err,
					     sizeof(err)), -1);
	assert_string_equal(err, "token already used");
	assert_int_equal(store_token_consume(f->s, H2, T0 + 60, "ag9", kind, sizeof(kind), err,
					     sizeof(err)), -1);
	assert_string_equal(err, "token expired");
	assert_int_equal(store_token_consume(f->s, H3, T0, "ag9", kind, sizeof(kind), err,
					     sizeof(err)), -1);
	assert_string_equal(err, "unknown token");

	assert_int_equal(store_token_list(f->s, 10, token_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.row[0].hash, H2);             /* newest first */
	assert_string_equal(l.row[1].hash, H1);
	assert_int_equal(l.row[1].used_at, T0 + 10);
	assert_string_equal(l.row[1].used_by_sensor, "gw9");
	assert_int_equal(l.row[0].used_at, 0);
	assert_int_equal(store_token_list(f->s, 0, token_collect, &l, err, sizeof(err)), -1);

	assert_int_equal(store_token_delete(f->s, H2, err, sizeof(err)), 0);
	assert_int_equal(store_token_delete(f->s, H2, err, sizeof(err)), -1);
}

/* ---- sensors ---- */

struct sensors {
	unsigned n;
	struct store_sensor row[8];
	struct store *s;                /* set: mark each offline from the callback */
	int64_t now, alert[8];
};

static int sensor_collect(void *arg, const struct store_sensor *r)
{
	struct sensors *c = arg;
	char err[256];

	assert_true(c->n < 8);
	if (c->s != NULL)
		assert_int_equal(store_sensor_mark_offline(c->s, r->id, c->now, &c->alert[c->n], err,
							   sizeof(err)), 0);
	c->row[c->n++] = *r;
	return 0;
}

static int command_count(void *arg, const struct store_command *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void test_sensor_revoke_and_serial_mismatch_deny(void **state)
{
	struct fx *f = *state;
	struct sensors l = { 0 };
	struct store_sensor row;
	struct batch b = { 0 };
	struct store_ingest_result res;
	uint64_t ack;
	int64_t cmd, revoked_at;
	int n = 0;
	char err[256];

	assert_int_equal(store_sensor_allowed(f->s, "gw1", "abcdef01", err, sizeof(err)), 1);
	assert_int_equal(store_sensor_allowed(f->s, "gw1", "ABCDEF01", err, sizeof(err)), 1);
	assert_int_equal(store_sensor_allowed(f->s, "gw1", "abcdef02", err, sizeof(err)), 0);
	assert_int_equal(store_sensor_allowed(f->s, "gw1", "-1", err, sizeof(err)), 0);
	assert_int_equal(store_sensor_allowed(f->s, "gw1", NULL, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_allowed(f->s, "ag1", "abcdef01", err, sizeof(err)), 0);
	assert_int_equal(store_sensor_allowed(f->s, "nosuch", "abcdef01", err, sizeof(err)), 0);

	assert_int_equal(store_sensor_add(f->s, "gw1", "gateway", "x", "99", NULL, T0, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "exists already"));
	assert_int_equal(store_sensor_add(f->s, "gw2", "gateway", "x", "abcdef01", NULL, T0, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "belongs to another sensor"));
	assert_int_equal(store_sensor_add(f->s, "g w", "gateway", "x", NULL, NULL, T0, err,
					  sizeof(err)), -1);
	assert_int_equal(store_sensor_add(f->s, "gw3", "router", "x", NULL, NULL, T0, err,
					  sizeof(err)), -1);
	assert_int_equal(store_sensor_add(f->s, "gw3", "gateway", "x", "xyz", NULL, T0, err,
					  sizeof(err)), -1);
	assert_int_equal(store_sensor_add(f->s, "gw3", "gateway", "x", NULL, "[1]", T0, err,
					  sizeof(err)), -1);
	assert_int_equal(store_sensor_add(f->s, "gw3", "gateway", "", NULL, NULL, T0, err,
					  sizeof(err)), -1);

	assert_int_equal(store_sensor_list(f->s, sensor_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.row[0].id, "gw1");            /* gw-kavala before pc-17 */
	assert_string_equal(l.row[1].id, "ag1");

	assert_int_equal(store_command_add(f->s, "gw1", "ping", NULL, "root", T0, &cmd, err,
					   sizeof(err)), 0);
	assert_int_equal(store_sensor_revoke(f->s, "gw1", T0 + 5, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_revoke(f->s, "gw1", T0 + 9, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_revoke(f->s, "nosuch", T0 + 9, err, sizeof(err)), -1);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	revoked_at = row.revoked_at;
	assert_int_equal(revoked_at, T0 + 5);
	assert_int_equal(store_sensor_allowed(f->s, "gw1", "abcdef01", err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM commands WHERE status = 'expired'"), 1);
	assert_int_equal(store_commands_pending(f->s, "gw1", 10, command_count, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_command_add(f->s, "gw1", "ping", NULL, "root", T0, &cmd, err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "revoked"));
	b_begin(&b, 1);
	b_flow(&b, T0);
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "revoked"));
	free(b.p);
}

static void test_silent_sensors_get_an_offline_alert_cleared_when_seen(void **state)
{
	struct fx *f = *state;
	struct sensors l = { 0 };
	struct store_sensor row;
	struct store_alert a;
	struct batch b = { 0 };
	struct store_ingest_result res;
	uint64_t ack;
	int64_t aid, on, off;
	char err[256];

	assert_int_equal(store_sensor_seen(f->s, "gw1", T0 + 100, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_seen(f->s, "ag1", T0 + 500, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_seen(f->s, "nosuch", T0 + 500, err, sizeof(err)), -1);

	/* gw1 silent since T0+100, ag1 not: the callback marks it */
	l.s = f->s;
	l.now = T0 + 450;
	assert_int_equal(store_sensors_silent(f->s, T0 + 450, 300, sensor_collect, &l, err,
					      sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.row[0].id, "gw1");
	assert_true(l.alert[0] > 0);
	assert_int_equal(store_alert_get(f->s, l.alert[0], &a, err, sizeof(err)), 0);
	assert_string_equal(a.kind, "sensor_offline");
	assert_int_equal(a.severity, 2);
	assert_string_equal(a.signature, "Sensor offline: gw-kavala (gw1)");
	assert_string_equal(a.host, "gw-kavala");
	assert_int_equal(a.event_seq, -1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events WHERE sensor_id = 'gw1' AND seq = -1 "
				    "AND event_type = 'sensor_offline' AND host = 'gw-kavala'"), 1);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.offline_alerted, T0 + 450);
	assert_int_equal(store_sensor_counts(f->s, T0 + 450, 300, &on, &off, err, sizeof(err)), 0);
	assert_int_equal(on, 1);
	assert_int_equal(off, 1);

	/* marked: not listed again, not marked twice */
	l.n = 0;
	l.s = NULL;
	assert_int_equal(store_sensors_silent(f->s, T0 + 460, 300, sensor_collect, &l, err,
					      sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_sensor_mark_offline(f->s, "gw1", T0 + 460, &aid, err, sizeof(err)), 0);
	assert_int_equal(aid, 0);

	/* seen again: cleared at once, although last_seen is throttled */
	assert_int_equal(store_sensor_seen(f->s, "gw1", T0 + 461, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.offline_alerted, 0);
	assert_int_equal(row.last_seen, T0 + 461);
	assert_int_equal(store_sensor_mark_offline(f->s, "gw1", T0 + 462, &aid, err, sizeof(err)), 0);
	assert_int_equal(aid, l.alert[0]);                  /* the same alert, counted again */
	assert_int_equal(store_sensor_seen(f->s, "gw1", T0 + 463, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.offline_alerted, 0);
	assert_int_equal(store_alert_get(f->s, aid, &a, err, sizeof(err)), 0);
	assert_int_equal(a.count, 2);
	assert_int_equal(sql_int(f, "SELECT min(seq) FROM events WHERE sensor_id = 'gw1'"), -2);

	/* last_seen is written at most every STORE_TOUCH_S */
	assert_int_equal(store_sensor_seen(f->s, "gw1", T0 + 463 + STORE_TOUCH_S - 1, err,
					   sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.last_seen, T0 + 463);
	assert_int_equal(store_sensor_seen(f->s, "gw1", T0 + 463 + STORE_TOUCH_S, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.last_seen, T0 + 463 + STORE_TOUCH_S);

	/* ingest clears the mark too */
	assert_int_equal(store_sensor_mark_offline(f->s, "gw1", T0 + 600, &aid, err, sizeof(err)), 0);
	assert_true(aid > 0);
	b_begin(&b, 1);
	b_flow(&b, T0);
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, "gw1", &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.offline_alerted, 0);

	/* revoked sensors are never silent */
	assert_int_equal(store_sensor_revoke(f->s, "ag1", T0 + 700, err, sizeof(err)), 0);
	l.n = 0;
	assert_int_equal(store_sensors_silent(f->s, (int64_t)time(NULL) + 100000, 300, sensor_collect,
					      &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.row[0].id, "gw1");
	assert_int_equal(store_sensor_mark_offline(f->s, "ag1", T0 + 800, &aid, err, sizeof(err)), 0);
	assert_int_equal(aid, 0);
	free(b.p);
}

/* ---- commands ---- */

struct commands {
	unsigned n;
	int64_t id[8];
	char args[8][64], status[8][16], result[8][64];
};

static int command_collect(void *arg, const struct store_command *c)
{
	struct commands *l = arg;

	assert_true(l->n < 8);
	l->id[l->n] = c->id;
	snprintf(l->args[l->n], sizeof(l->args[0]), "%s", c->args);
	snprintf(l->status[l->n], sizeof(l->status[0]), "%s", c->status);
	snprintf(l->result[l->n], sizeof(l->result[0]), "%s", c->result ? c->result : "(null)");
	l->n++;
	return 0;
}

static void test_commands_queue_deliver_result_wrong_sensor_refused(void **state)
{
	struct fx *f = *state;
	struct commands l = { 0 };
	int64_t c1, c2, c3, n;
	char err[256];

	assert_int_equal(store_command_add(f->s, "gw1", "ping", NULL, "root", T0, &c1, err, sizeof(err)), 0);
	assert_int_equal(store_command_add(f->s, "gw1", "block_ip", "{ \"ip\" : \"10.0.0.5\" }", "alice",
					   T0 + 1, &c2, err, sizeof(err)), 0);
	assert_int_equal(store_command_add(f->s, "gw1", "ping", "{}", NULL, T0 + 2, &c3, err, sizeof(err)), 0);
	assert_true(c1 < c2 && c2 < c3);
	assert_int_equal(store_command_add(f->s, "gw1", "Ping!", NULL, NULL, T0, &n, err, sizeof(err)), -1);
	assert_int_equal(store_command_add(f->s, "gw1", "ping", "[1]", NULL, T0, &n, err, sizeof(err)), -1);
	assert_int_equal(store_command_add(f->s, "nosuch", "ping", NULL, NULL, T0, &n, err, sizeof(err)), -1);

	assert_int_equal(store_commands_pending(f->s, "gw1", 2, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.id[0], c1);
	assert_string_equal(l.args[0], "{}");
	assert_string_equal(l.args[1], "{\"ip\":\"10.0.0.5\"}");   /* stored compact */
	assert_int_equal(store_command_mark_delivered(f->s, "gw1", c1, T0 + 3, err, sizeof(err)), 0);
	assert_int_equal(store_command_mark_delivered(f->s, "gw1", c1, T0 + 3, err, sizeof(err)), -1);
	assert_int_equal(store_command_mark_delivered(f->s, "ag1", c2, T0 + 3, err, sizeof(err)), -1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_commands_pending(f->s, "gw1", 10, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.id[0], c2);
	assert_int_equal(l.id[1], c3);

	assert_int_equal(store_command_result(f->s, "ag1", c1, "done", "{}", T0 + 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not for sensor ag1"));
	assert_int_equal(store_command_result(f->s, "gw1", c1, "ok", "{}", T0 + 4, err, sizeof(err)), -1);
	assert_int_equal(store_command_result(f->s, "gw1", c1, "done", "{bad", T0 + 4, err, sizeof(err)), -1);
	assert_int_equal(store_command_result(f->s, "gw1", c1, "done", "{\"rtt_ms\": 3}", T0 + 4, err,
					      sizeof(err)), 0);
	assert_int_equal(store_command_result(f->s, "gw1", c1, "failed", NULL, T0 + 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already ended"));
	assert_int_equal(store_command_result(f->s, "gw1", 999, "done", NULL, T0 + 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown command"));

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_command_list(f->s, NULL, 0, 10, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.id[0], c3);                      /* newest first */
	assert_int_equal(l.id[2], c1);
	assert_string_equal(l.status[2], "done");
	assert_string_equal(l.result[2], "{\"rtt_ms\":3}");
	assert_string_equal(l.result[1], "(null)");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_command_list(f->s, NULL, c3, 1, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.id[0], c2);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_command_list(f->s, "ag1", 0, 10, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 0);

	assert_int_equal(store_commands_expire(f->s, T0 + 1000, 500, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_commands_pending(f->s, "gw1", 10, command_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 0);
}

/* ---- officers ---- */

struct users {
	unsigned n;
	struct store_user row[4];
};

static int user_collect(void *arg, const struct store_user *u)
{
	struct users *l = arg;

	assert_true(l->n < 4);
	l->row[l->n++] = *u;
	return 0;
}

struct apitoks {
	unsigned n;
	struct store_api_token row[4];
};

static int apitok_collect(void *arg, const struct store_api_token *t)
{
	struct apitoks *l = arg;

	assert_true(l->n < 4);
	l->row[l->n++] = *t;
	return 0;
}

static void test_users_sessions_api_tokens(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	struct store_session ss;
	struct users ul = { 0 };
	struct apitoks tl = { 0 };
	int64_t alice, bob, uid, n;
	char err[256];

	assert_int_equal(store_user_add(f->s, "alice", "admin", "$argon2id$v=19$x", T0, &alice, err,
					sizeof(err)), 0);
	assert_int_equal(store_user_add(f->s, "ALICE", "viewer", "h", T0, &uid, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists already"));
	assert_int_equal(store_user_add(f->s, "a b", "viewer", "h", T0, &uid, err, sizeof(err)), -1);
	assert_int_equal(store_user_add(f->s, "carol", "root", "h", T0, &uid, err, sizeof(err)), -1);
	assert_int_equal(store_user_add(f->s, "carol", "viewer", "h\n", T0, &uid, err, sizeof(err)), -1);
	assert_int_equal(store_user_get_by_name(f->s, "Alice", &u, err, sizeof(err)), 0);
	assert_int_equal(u.id, alice);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.pw_hash, "$argon2id$v=19$x");
	assert_int_equal(store_user_get_by_name(f->s, "nobody", &u, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_user_get_by_name(f->s, "no body", &u, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_user_get_by_id(f->s, 999, &u, err, sizeof(err)), STORE_NOT_FOUND);

	/* second factor; a replayed step is refused */
	assert_int_equal(store_user_set_totp(f->s, alice, "JBSWY3DPEHPK3PXP", err, sizeof(err)), 0);
	assert_int_equal(store_user_set_totp(f->s, alice, "not base32!", err, sizeof(err)), -1);
	assert_int_equal(store_user_set_totp_step(f->s, alice, 100, err, sizeof(err)), 0);
	assert_int_equal(store_user_set_totp_step(f->s, alice, 100, err, sizeof(err)), -1);
	assert_string_equal(err, "code already used");
	assert_int_equal(store_user_set_totp_step(f->s, alice, 99, err, sizeof(err)), -1);
	assert_int_equal(store_user_set_totp_step(f->s, 999, 101, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown user"));
	assert_int_equal(store_user_get_by_id(f->s, alice, &u, err, sizeof(err)), 0);
	assert_string_equal(u.totp_secret, "JBSWY3DPEHPK3PXP");
	assert_int_equal(u.totp, 1);
	assert_int_equal(u.totp_last_step, 100);
	assert_int_equal(store_user_list(f->s, user_collect, &ul, err, sizeof(err)), 0);
	assert_int_equal(ul.n, 1);
	assert_string_equal(ul.row[0].pw_hash, "");         /* secrets blanked */
	assert_string_equal(ul.row[0].totp_secret, "");
	assert_int_equal(ul.row[0].totp, 1);
	assert_int_equal(store_user_set_password(f->s, alice, "$argon2id$v=19$y", err, sizeof(err)), 0);
	assert_int_equal(store_user_set_password(f->s, 999, "$argon2id$v=19$y", err, sizeof(err)), -1);

	/* the last enabled admin stays */
	assert_int_equal(store_user_set_role(f->s, alice, "viewer", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no enabled admin"));
	assert_int_equal(store_user_disable(f->s, alice, 1, err, sizeof(err)), -1);
	assert_int_equal(store_user_get_by_id(f->s, alice, &u, err, sizeof(err)), 0);
	assert_string_equal(u.role, "admin");
	assert_int_equal(u.disabled, 0);

	/* sessions end when their user is disabled */
	assert_int_equal(store_user_add(f->s, "bob", "analyst", "h", T0, &bob, err, sizeof(err)), 0);
	assert_int_equal(store_user_set_role(f->s, bob, "admin", err, sizeof(err)), 0);
	assert_int_equal(store_session_add(f->s, H1, alice, T0, "192.0.2.1", err, sizeof(err)), 0);
	assert_int_equal(store_session_add(f->s, H2, bob, T0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_session_add(f->s, H3, 999, T0, NULL, err, sizeof(err)), -1);
	assert_int_equal(store_session_get(f->s, H1, &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.user_id, alice);
	assert_string_equal(ss.addr, "192.0.2.1");
	assert_int_equal(store_user_disable(f->s, alice, 1, err, sizeof(err)), 0);
	assert_int_equal(store_session_get(f->s, H1, &ss, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sessions"), 1);

	/* touch: at most every STORE_TOUCH_S */
	assert_int_equal(store_session_touch(f->s, H2, T0 + 10, err, sizeof(err)), 0);
	assert_int_equal(store_session_get(f->s, H2, &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.last_seen, T0);
	assert_int_equal(store_session_touch(f->s, H2, T0 + 40, err, sizeof(err)), 0);
	assert_int_equal(store_session_get(f->s, H2, &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.last_seen, T0 + 40);
	assert_int_equal(store_session_touch(f->s, H1, T0 + 40, err, sizeof(err)), -1);

	/* expiry: idle, then absolute */
	assert_int_equal(store_session_add(f->s, H3, bob, T0 + 100, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_sessions_expire(f->s, T0 + 1000, 900, 43200, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);                             /* H2: idle since T0+40 */
	assert_int_equal(store_session_get(f->s, H3, &ss, err, sizeof(err)), 0);
	assert_int_equal(store_sessions_expire(f->s, T0 + 100 + 43201, 1000000, 43200, &n, err,
					       sizeof(err)), 0);
	assert_int_equal(n, 1);                             /* H3: too old */
	assert_int_equal(store_session_delete(f->s, H3, err, sizeof(err)), 0);   /* gone: fine */

	/* API tokens */
	assert_int_equal(store_user_disable(f->s, alice, 0, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_add(f->s, H4, bob, "ci", T0, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_add(f->s, H3, bob, "ci", T0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists already"));
	assert_int_equal(store_api_token_add(f->s, H3, 999, "x", T0, err, sizeof(err)), -1);
	assert_int_equal(store_api_token_lookup(f->s, H4, T0 + 5, &uid, err, sizeof(err)), 0);
	assert_int_equal(uid, bob);
	assert_int_equal(store_api_token_lookup(f->s, H4, T0 + 10, &uid, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_list(f->s, bob, apitok_collect, &tl, err, sizeof(err)), 0);
	assert_int_equal(tl.n, 1);
	assert_string_equal(tl.row[0].name, "ci");
	assert_int_equal(tl.row[0].last_used, T0 + 5);      /* T0+10 was too soon to write */
	assert_int_equal(store_api_token_lookup(f->s, H3, T0, &uid, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_user_disable(f->s, bob, 1, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_lookup(f->s, H4, T0 + 100, &uid, err, sizeof(err)),
			 STORE_NOT_FOUND);
	assert_int_equal(store_api_token_delete(f->s, bob, "ci", err, sizeof(err)), 0);
	assert_int_equal(store_api_token_delete(f->s, bob, "ci", err, sizeof(err)), -1);
}

/* API tokens expire; a change of credentials ends every session and token
 * of the user but the ones kept, and nobody else's. */
static void test_api_token_expiry_and_ending_credentials(void **state)
{
	struct fx *f = *state;
	struct store_session ss;
	struct apitoks tl = { 0 };
	int64_t alice, bob, uid, n;
	char err[256];

	assert_int_equal(store_user_add(f->s, "alice", "admin", "h", T0, &alice, err, sizeof(err)), 0);
	assert_int_equal(store_user_add(f->s, "bob", "analyst", "h", T0, &bob, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_add_until(f->s, H1, alice, "ci", T0, T0 + 100, err,
						   sizeof(err)), 0);
	assert_int_equal(store_api_token_add_until(f->s, H2, alice, "old", T0, T0, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "expires before"));
	assert_int_equal(store_api_token_lookup(f->s, H1, T0 + 99, &uid, err, sizeof(err)), 0);
	assert_int_equal(uid, alice);
	uid = 0;
	assert_int_equal(store_api_token_lookup(f->s, H1, T0 + 100, &uid, err, sizeof(err)),
			 STORE_NOT_FOUND);
	assert_string_equal(err, "API token expired");
	assert_int_equal(uid, 0);
	assert_int_equal(store_api_token_add(f->s, H2, alice, "forever", T0, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_add_until(f->s, H3, bob, "b1", T0, T0 + 50, err,
						   sizeof(err)), 0);
	/* every user's, by user and name, with the owner's name */
	assert_int_equal(store_api_token_list(f->s, 0, apitok_collect, &tl, err, sizeof(err)), 0);
	assert_int_equal(tl.n, 3);
	assert_string_equal(tl.row[0].user, "alice");
	assert_string_equal(tl.row[0].name, "ci");
	assert_int_equal(tl.row[0].expires_at, T0 + 100);
	assert_string_equal(tl.row[1].name, "forever");
	assert_int_equal(tl.row[1].expires_at, 0);
	assert_string_equal(tl.row[2].user, "bob");

	/* alice changes her password from session H4: her other session and
	 * both tokens go; bob keeps his */
	assert_int_equal(store_session_add(f->s, H4, alice, T0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_session_add(f->s, H5, alice, T0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_session_add(f->s, H6, bob, T0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_user_end_credentials(f->s, alice, H4, NULL, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_session_get(f->s, H4, &ss, err, sizeof(err)), 0);
	assert_int_equal(store_session_get(f->s, H5, &ss, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_api_token_lookup(f->s, H2, T0, &uid, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_session_get(f->s, H6, &ss, err, sizeof(err)), 0);
	assert_int_equal(store_api_token_lookup(f->s, H3, T0, &uid, err, sizeof(err)), 0);
	/* an admin's reset of bob: everything of bob's */
	assert_int_equal(store_user_end_credentials(f->s, bob, NULL, NULL, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_session_get(f->s, H6, &ss, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_session_get(f->s, H4, &ss, err, sizeof(err)), 0);
	assert_int_equal(store_user_end_credentials(f->s, bob, "nothex", NULL, &n, err, sizeof(err)),
			 -1);
}

/* ---- audit ---- */

struct audits {
	unsigned n;
	int64_t id[8];
	char detail[8][STORE_DETAIL_MAX + 1];
};

static int audit_collect(void *arg, const struct store_audit_entry *e)
{
	struct audits *l = arg;

	assert_true(l->n < 8);
	l->id[l->n] = e->id;
	snprintf(l->detail[l->n], sizeof(l->detail[0]), "%s", e->detail);
	l->n++;
	return 0;
}

static void test_audit_append_only_newest_first(void **state)
{
	struct fx *f = *state;
	struct audits l = { 0 };
	char err[256], d[32];

	for (int i = 0; i < 5; i++) {
		snprintf(d, sizeof(d), "entry %d", i);
		assert_int_equal(store_audit(f->s, T0 + i, "alice", "192.0.2.1", "alert.status", d, err,
					     sizeof(err)), 0);
	}
	assert_int_equal(store_audit(f->s, T0, NULL, NULL, "console.init", NULL, err, sizeof(err)), 0);
	assert_int_equal(store_audit(f->s, T0, "", "local", "sensor.enroll", "s-1", err, sizeof(err)), 0);
	assert_int_equal(store_audit(f->s, T0, "alice", NULL, "bad action", NULL, err, sizeof(err)), -1);
	assert_int_equal(store_audit(f->s, T0, "alice", NULL, "x", "two\nlines", err, sizeof(err)), -1);

	assert_int_equal(store_audit_list(f->s, 0, 2, audit_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.detail[0], "s-1");
	assert_string_equal(l.detail[1], "");
	l.n = 0;
	assert_int_equal(store_audit_list(f->s, 6, 2, audit_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.id[0], 5);
	assert_string_equal(l.detail[0], "entry 4");
	assert_string_equal(l.detail[1], "entry 3");
	assert_int_equal(store_audit_list(f->s, 0, STORE_PAGE_MAX + 1, audit_collect, &l, err,
					  sizeof(err)), -1);

	/* the schema itself refuses changes */
	assert_int_not_equal(sql_exec(f, "UPDATE audit SET detail = 'x'"), SQLITE_OK);
	assert_int_not_equal(sql_exec(f, "DELETE FROM audit"), SQLITE_OK);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit"), 7);
}

/* ---- working an alert ---- */

struct notes {
	unsigned n;
	char text[4][STORE_NOTE_MAX + 1];
};

static int note_collect(void *arg, const struct store_note *nt)
{
	struct notes *l = arg;

	assert_true(l->n < 4);
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", nt->text);
	return 0;
}

struct events {
	unsigned n;
	int64_t ts[16], seq[16];
	char type[16][STORE_EVTYPE_MAX + 1];
};

static int event_collect(void *arg, const struct store_event *ev)
{
	struct events *l = arg;

	assert_true(l->n < 16);
	l->ts[l->n] = ev->ts;
	l->seq[l->n] = ev->seq;
	snprintf(l->type[l->n], sizeof(l->type[0]), "%s", ev->event_type);
	l->n++;
	return 0;
}

static void test_alert_status_assign_notes_related_events(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert a;
	struct notes nl = { 0 };
	struct events el = { 0 };
	uint64_t ack;
	int64_t id, uid, nid;
	char err[256];

	b_begin(&b, 1);
	for (int i = 0; i < 10; i++)
		b_flow(&b, T0 + i);
	b_finding(&b, T0 + 5, NULL, "EICAR_Test");
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), 0);
	id = res.alert_ids[0];

	assert_int_equal(store_alert_set_status(f->s, id, "acknowledged", "alice", T0 + 50, err,
						sizeof(err)), 0);
	assert_int_equal(store_alert_set_status(f->s, id, "closed", "alice", T0, err, sizeof(err)), -1);
	assert_int_equal(store_alert_set_status(f->s, 999, "new", "alice", T0, err, sizeof(err)), -1);
	assert_int_equal(store_alert_get(f->s, id, &a, err, sizeof(err)), 0);
	assert_string_equal(a.status, "acknowledged");
	assert_int_equal(a.status_at, T0 + 50);
	assert_string_equal(a.status_by, "alice");
	assert_int_equal(store_alert_get(f->s, 999, &a, err, sizeof(err)), STORE_NOT_FOUND);

	assert_int_equal(store_user_add(f->s, "alice", "analyst", "h", T0, &uid, err, sizeof(err)), 0);
	assert_int_equal(store_alert_assign(f->s, id, "ALICE", err, sizeof(err)), 0);
	assert_int_equal(store_alert_get(f->s, id, &a, err, sizeof(err)), 0);
	assert_string_equal(a.assignee, "alice");
	assert_int_equal(store_alert_assign(f->s, id, "bob", err, sizeof(err)), -1);
	assert_int_equal(store_alert_assign(f->s, 999, "alice", err, sizeof(err)), -1);
	assert_int_equal(store_alert_assign(f->s, id, "", err, sizeof(err)), 0);
	assert_int_equal(store_alert_get(f->s, id, &a, err, sizeof(err)), 0);
	assert_string_equal(a.assignee, "");

	assert_int_equal(store_alert_note_add(f->s, id, "alice", T0 + 60, "seen it\n\tchecking", &nid,
					      err, sizeof(err)), 0);
	assert_int_equal(store_alert_note_add(f->s, id, "alice", T0 + 61, "second", &nid, err,
					      sizeof(err)), 0);
	assert_int_equal(store_alert_note_add(f->s, id, "alice", T0, "", &nid, err, sizeof(err)), -1);
	assert_int_equal(store_alert_note_add(f->s, 999, "alice", T0, "x", &nid, err, sizeof(err)), -1);
	assert_int_equal(store_alert_notes(f->s, id, note_collect, &nl, err, sizeof(err)), 0);
	assert_int_equal(nl.n, 2);
	assert_string_equal(nl.text[0], "seen it\n\tchecking");
	assert_string_equal(nl.text[1], "second");

	/* around T0+5: the finding's own event and 3 more, half each side */
	assert_int_equal(store_alert_related_events(f->s, "pc-17", T0 + 5, 4, event_collect, &el, err,
						    sizeof(err)), 0);
	assert_int_equal(el.n, 4);
	assert_int_equal(el.ts[0], T0 + 5);
	assert_int_equal(el.ts[1], T0 + 5);
	assert_int_equal(el.ts[2], T0 + 6);
	assert_int_equal(el.ts[3], T0 + 7);
	/* near the end: the room after goes to before */
	el.n = 0;
	assert_int_equal(store_alert_related_events(f->s, "pc-17", T0 + 9, 4, event_collect, &el, err,
						    sizeof(err)), 0);
	assert_int_equal(el.n, 4);
	assert_int_equal(el.ts[0], T0 + 6);
	assert_int_equal(el.ts[3], T0 + 9);
	/* at the start: the room before goes to after */
	el.n = 0;
	assert_int_equal(store_alert_related_events(f->s, "pc-17", T0, 5, event_collect, &el, err,
						    sizeof(err)), 0);
	assert_int_equal(el.n, 5);
	assert_int_equal(el.ts[0], T0);
	assert_int_equal(el.ts[4], T0 + 4);
	assert_int_equal(store_alert_related_events(f->s, "pc-17", T0, 0, event_collect, &el, err,
						    sizeof(err)), -1);

	el.n = 0;
	assert_int_equal(store_event_get(f->s, "ag1", 11, event_collect, &el, err, sizeof(err)), 0);
	assert_string_equal(el.type[0], "finding");
	assert_int_equal(store_event_get(f->s, "ag1", 12, event_collect, &el, err, sizeof(err)),
			 STORE_NOT_FOUND);
	free(b.p);
}

/* ---- dashboard figures ---- */

struct buckets {
	unsigned n;
	int64_t t[8], rows[8], events[8];
};

static int bucket_collect(void *arg, int64_t t, int64_t rows, int64_t events)
{
	struct buckets *l = arg;

	assert_true(l->n < 8);
	l->t[l->n] = t;
	l->rows[l->n] = rows;
	l->events[l->n++] = events;
	return 0;
}

struct counts {
	unsigned n;
	char name[4][32];
	int64_t count[4];
};

static int count_collect(void *arg, const char *name, int64_t count)
{
	struct counts *l = arg;

	assert_true(l->n < 4);
	snprintf(l->name[l->n], sizeof(l->name[0]), "%s", name);
	l->count[l->n++] = count;
	return 0;
}

static void test_dashboard_counts_histogram_top_blocked(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct buckets bl = { 0 };
	struct counts cl = { 0 };
	uint64_t ack;
	int64_t sev[5];
	char err[256];

	b_begin(&b, 1);
	b_alert(&b, T0, "10.0.0.5", "Sig A", 1, "blocked");
	b_alert(&b, T0 + 10, "10.0.0.5", "Sig A", 1, "blocked");
	b_alert(&b, T0 + 3700, "10.0.0.6", "Sig B", 2, "blocked");
	b_alert(&b, T0 + 3800, "10.0.0.7", "Sig C", 3, "allowed");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	b_begin(&b, 1);
	b_finding(&b, T0 + 7300, NULL, "EICAR_Test");
	assert_int_equal(ingest(f, "ag1", &b, &ack, &res, err, sizeof(err)), 0);

	assert_int_equal(store_alert_counts_by_severity(f->s, sev, err, sizeof(err)), 0);
	assert_int_equal(sev[0], 0);
	assert_int_equal(sev[1], 1);
	assert_int_equal(sev[2], 2);
	assert_int_equal(sev[3], 1);
	assert_int_equal(sev[4], 0);
	assert_int_equal(sql_exec(f, "UPDATE alerts SET status = 'resolved' WHERE signature = 'Sig C'"),
			 SQLITE_OK);
	assert_int_equal(store_alert_counts_by_severity(f->s, sev, err, sizeof(err)), 0);
	assert_int_equal(sev[3], 0);

	assert_int_equal(store_alert_histogram(f->s, T0, 3600, bucket_collect, &bl, err, sizeof(err)), 0);
	assert_int_equal(bl.n, 3);
	assert_int_equal(bl.t[0], T0);
	assert_int_equal(bl.rows[0], 1);
	assert_int_equal(bl.events[0], 2);
	assert_int_equal(bl.t[1], T0 + 3600);
	assert_int_equal(bl.rows[1], 2);
	assert_int_equal(bl.t[2], T0 + 7200);
	assert_int_equal(store_alert_histogram(f->s, T0, 0, bucket_collect, &bl, err, sizeof(err)), -1);

	assert_int_equal(store_top_blocked(f->s, T0, 10, "signature", count_collect, &cl, err,
					   sizeof(err)), 0);
	assert_int_equal(cl.n, 2);
	assert_string_equal(cl.name[0], "Sig A");
	assert_int_equal(cl.count[0], 2);
	assert_string_equal(cl.name[1], "Sig B");
	cl.n = 0;
	assert_int_equal(store_top_blocked(f->s, T0, 1, "host", count_collect, &cl, err, sizeof(err)), 0);
	assert_int_equal(cl.n, 1);
	assert_string_equal(cl.name[0], "10.0.0.5");
	cl.n = 0;
	assert_int_equal(store_top_blocked(f->s, T0 + 3000, 10, "host", count_collect, &cl, err,
					   sizeof(err)), 0);
	assert_int_equal(cl.n, 1);
	assert_string_equal(cl.name[0], "10.0.0.6");
	assert_int_equal(store_top_blocked(f->s, T0, 10, "sensor", count_collect, &cl, err,
					   sizeof(err)), -1);
	free(b.p);
}

/* ---- group commit, stored text, schema upgrade ---- */

struct body {
	unsigned n;
	char text[4][256];
};

static int body_collect(void *arg, const struct store_event *ev)
{
	struct body *l = arg;

	assert_true(l->n < 4);
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", ev->body);
	return 0;
}

static void test_group_commit_stores_batches_under_savepoints(void **state)
{
	struct fx *f = *state;
	static const char gw[] = "{\"first_seq\":1,\"events\":[{\"event_type\":\"flow\"},"
				 "{\"event_type\":\"dns\"}]}";
	static const char ag[] = "{\"first_seq\":4,\"events\":[{\"event_type\":\"alert\","
				 "\"alert\":{\"signature\":\"s1\",\"severity\":2}}]}";
	struct store_batch *b1 = NULL, *b2 = NULL, *b3 = NULL;
	struct store_ingest_result res;
	uint64_t ack = 0;
	char err[256];

	/* a malformed batch is refused before the database is touched */
	assert_int_equal(store_batch_parse("{\"first_seq\":1}", 15, &b1, err, sizeof(err)), -1);
	assert_null(b1);
	assert_non_null(strstr(err, "events missing"));
	/* storing needs an open group */
	assert_int_equal(store_batch_parse(gw, strlen(gw), &b1, err, sizeof(err)), 0);
	assert_int_equal(store_batch_events(b1), 2);
	assert_int_equal(store_batch_store(f->s, "gw1", b1, &ack, &res, err, sizeof(err)), -1);
	assert_int_equal(store_batch_parse(gw, strlen(gw), &b2, err, sizeof(err)), 0);
	assert_int_equal(store_batch_parse(ag, strlen(ag), &b3, err, sizeof(err)), 0);

	/* three batches, the middle one refused: it leaves nothing, the
	 * others are committed together */
	assert_int_equal(store_group_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_group_begin(f->s, err, sizeof(err)), -1);
	assert_int_equal(store_batch_store(f->s, "gw1", b1, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(ack, 2);
	assert_int_equal(res.inserted, 2);
	assert_int_equal(store_batch_store(f->s, "nosuch", b2, &ack, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown sensor"));
	assert_int_equal(res.inserted, 0);
	assert_int_equal(store_batch_store(f->s, "ag1", b3, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(ack, 4);
	assert_int_equal(res.alerts_new, 1);
	/* nothing visible to another connection before the commit */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 0);
	assert_int_equal(store_group_commit(f->s, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
	assert_int_equal(sql_int(f, "SELECT acked_seq FROM sensors WHERE id = 'gw1'"), 2);
	assert_int_equal(sql_int(f, "SELECT acked_seq FROM sensors WHERE id = 'ag1'"), 4);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 1);

	/* the same batch twice in one group: stored once */
	assert_int_equal(store_group_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_batch_store(f->s, "gw1", b1, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.duplicates, 2);
	assert_int_equal(store_group_commit(f->s, err, sizeof(err)), 0);

	/* a group rolled back stores nothing */
	assert_int_equal(store_group_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_batch_store(f->s, "gw1", b1, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(store_batch_store(f->s, "ag1", b1, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(res.inserted, 2);
	store_group_rollback(f->s);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 3);
	assert_int_equal(store_group_commit(f->s, err, sizeof(err)), -1);
	/* and the store works as before */
	assert_int_equal(store_ingest(f->s, "ag1", gw, strlen(gw), &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 5);
	store_batch_free(b1);
	store_batch_free(b2);
	store_batch_free(b3);
	store_batch_free(NULL);
}

static void test_ingest_stores_events_as_received_without_white_space(void **state)
{
	struct fx *f = *state;
	/* white space everywhere, escapes and numbers spelled the sensor's way */
	static const char spaced[] =
		" {\n \"first_seq\" : 1 ,\r\n\t\"other\" : { \"events\" : [ 1 , 2 ] , \"s\" : \"]\\\"\" } ,"
		" \"events\" : [ { \"event_type\" : \"dns\" , \"q\" : \"a b\\\" c\\\\\" , \"n\" : 1.50 ,"
		" \"l\" : [ 1 , { } , [ ] ] } ,\n"
		"{\"event_type\":\"flow\",\"x\":\"\\u00e9\\/\",\"e\":1E2} ] } ";
	/* the events member spelled with an escape: jansson writes the texts */
	static const char escaped[] =
		"{\"first_seq\":3,\"ev\\u0065nts\":[ {\"event_type\" : \"dns\", \"n\": 1.50} ]}";
	struct store_ingest_result res;
	struct body l = { 0 };
	uint64_t ack = 0;
	char err[256];

	assert_int_equal(store_ingest(f->s, "gw1", spaced, strlen(spaced), &ack, &res, err,
				      sizeof(err)), 0);
	assert_int_equal(ack, 2);
	assert_int_equal(store_event_get(f->s, "gw1", 1, body_collect, &l, err, sizeof(err)), 0);
	assert_int_equal(store_event_get(f->s, "gw1", 2, body_collect, &l, err, sizeof(err)), 0);
	assert_string_equal(l.text[0],
			    "{\"event_type\":\"dns\",\"q\":\"a b\\\" c\\\\\",\"n\":1.50,\"l\":[1,{},[]]}");
	assert_string_equal(l.text[1], "{\"event_type\":\"flow\",\"x\":\"\\u00e9\\/\",\"e\":1E2}");

	assert_int_equal(store_ingest(f->s, "gw1", escaped, strlen(escaped), &ack, &res, err,
				      sizeof(err)), 0);
	assert_int_equal(ack, 3);
	assert_int_equal(store_event_get(f->s, "gw1", 3, body_collect, &l, err, sizeof(err)), 0);
	assert_string_equal(l.text[2], "{\"event_type\":\"dns\",\"n\":1.5}");
}

static void test_open_upgrades_version_1_keeping_data(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_alert_filter af;
	struct store_alert_page pg;
	static struct alerts got;
	uint64_t ack;
	char err[256];

	b_begin(&b, 1);
	b_alert(&b, T0, "10.0.0.5", "block tiktok", 1, "blocked");
	b_alert(&b, T0 + 1, "10.0.0.6", "allow zoom", 3, "allowed");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	store_close(f->s);
	f->s = NULL;
	/* back to the shape version 1 had */
	assert_int_equal(sql_exec(f, "DROP TRIGGER alerts_signature; DROP TABLE alert_signatures;"
				  "DROP INDEX alerts_first_seen; DROP INDEX alerts_blocked;"
				  "CREATE INDEX alerts_first_seen ON alerts (first_seen);"
				  "CREATE INDEX alerts_blocked ON alerts (last_seen) WHERE action = 'blocked';"
				  "ALTER TABLE api_tokens DROP COLUMN expires_at;"
				  "PRAGMA user_version = 1"), SQLITE_OK);

	assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_index_info('alerts_blocked')"), 6);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_index_info('alerts_first_seen')"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert_signatures"), 2);
	/* and version 3's: API tokens expire */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_info('api_tokens') "
				    "WHERE name = 'expires_at'"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM events"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alerts"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM users"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sensors"), 2);

	/* new rows' signatures are added; the text search finds old and new */
	b_begin(&b, 3);
	b_alert(&b, T0 + 2, "10.0.0.7", "block tor", 2, "blocked");
	assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert_signatures"), 3);
	memset(&af, 0, sizeof(af));
	af.text = "BLOCK";
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_alert_query(f->s, &af, alert_collect, &got, &pg, err, sizeof(err)), 0);
	assert_int_equal(got.n, 2);

	/* opened again: nothing more to do */
	store_close(f->s);
	assert_int_equal(store_open(f->path, 0, &f->s, err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert_signatures"), 3);
	free(b.p);
}

static void test_dashboard_statements_read_only_covering_indexes(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	static const char *const sql[] = {
		"EXPLAIN QUERY PLAN SELECT signature, sum(count) AS n FROM alerts INDEXED BY "
		"alerts_blocked WHERE action = 'blocked' AND last_seen >= 1 GROUP BY signature",
		"EXPLAIN QUERY PLAN SELECT 1 + ((first_seen - 1) / 3600) * 3600 AS b, count(*), "
		"sum(count) FROM alerts INDEXED BY alerts_first_seen WHERE first_seen >= 1 GROUP BY b",
	};

	db = raw_open(f);
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		assert_int_equal(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (strstr((const char *)sqlite3_column_text(st, 3), "COVERING INDEX") == NULL)
			fail_msg("%s: %s", sql[i], sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* ---- the dashboard's roll-up ---- */

struct text {
	char buf[16384];
	size_t len;
};

static int text_bucket(void *arg, int64_t t, int64_t rows, int64_t events)
{
	struct text *x = arg;

	x->len += (size_t)snprintf(x->buf + x->len, sizeof(x->buf) - x->len, "%lld:%lld:%lld;",
				   (long long)t, (long long)rows, (long long)events);
	assert_true(x->len < sizeof(x->buf));
	return 0;
}

static int text_count(void *arg, const char *name, int64_t n)
{
	struct text *x = arg;

	x->len += (size_t)snprintf(x->buf + x->len, sizeof(x->buf) - x->len, "%s:%lld;", name,
				   (long long)n);
	assert_true(x->len < sizeof(x->buf));
	return 0;
}

/* One text value of a query on a second connection ("" for NULL). */
static void sql_text(const struct fx *f, const char *sql, char *out, size_t len)
{
	sqlite3 *db = raw_open(f);
	sqlite3_stmt *st;
	const unsigned char *v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_text(st, 0);
	snprintf(out, len, "%s", v != NULL ? (const char *)v : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The roll-up answers exactly what the alerts table does, through rows
 * made, counted again (moving to later days), resolved and deleted. */
static void test_rollup_matches_alerts_through_changes(void **state)
{
	struct fx *f = *state;
	struct batch b = { 0 };
	struct store_ingest_result res;
	struct store_prune_result pr;
	struct text got;
	uint64_t ack;
	char err[256], want[16384], sql[1024], sig[32], src[32];
	int64_t now = (int64_t)time(NULL), day0 = (now / 86400 - 20) * 86400;
	uint64_t seq = 1;
	static const char *const by[] = { "signature", "host", "app" };
	static const char *const col[] = { "signature", "host", "app" };

	for (int round = 0; round < 4; round++) {
		b_begin(&b, seq);
		for (int i = 0; i < 400; i++) {
			char ts[40];

			snprintf(sig, sizeof(sig), "Rule %d", (i * 7 + round) % 13);
			snprintf(src, sizeof(src), "10.0.%d.%d", i % 3, i % 17);
			iso(day0 + (int64_t)((i * 3613 + round * 86400 * 3) % (20 * 86400)), ts, sizeof(ts));
			b_next(&b);
			b_add(&b, "{\"timestamp\":\"%s\",\"event_type\":\"alert\",\"src_ip\":\"%s\","
				  "\"app_proto\":\"%s\",\"alert\":{\"action\":\"%s\",\"signature\":\"%s\","
				  "\"severity\":%d}}", ts, src, i % 5 ? "tls" : "", i % 3 ? "blocked" : "allowed",
			      sig, 1 + i % 4);
		}
		seq += 400;
		assert_int_equal(ingest(f, "gw1", &b, &ack, &res, err, sizeof(err)), 0);
		if (round == 1)
			assert_int_equal(sql_exec(f, "UPDATE alerts SET status = 'resolved' WHERE id % 3 = 0"),
					 SQLITE_OK);
	}
	/* some old resolved ones deleted */
	assert_int_equal(store_prune(f->s, now, 0, 10 * 86400, 50, &pr, err, sizeof(err)), 0);
	assert_true(pr.alerts > 0);

	for (int64_t since = day0 - 86400; since <= day0 + 21 * 86400; since += 5 * 86400) {
		memset(&got, 0, sizeof(got));
		assert_int_equal(store_alert_histogram(f->s, since, 86400, text_bucket, &got, err,
						       sizeof(err)), 0);
		snprintf(sql, sizeof(sql), "SELECT coalesce(group_concat(b || ':' || r || ':' || e || ';', ''), '') "
			 "FROM (SELECT %lld + ((first_seen - %lld) / 86400) * 86400 AS b, count(*) AS r, "
			 "sum(count) AS e FROM alerts WHERE first_seen >= %lld GROUP BY b ORDER BY b)",
			 (long long)since, (long long)since, (long long)since);
		sql_text(f, sql, want, sizeof(want));
		assert_string_equal(got.buf, want);
		for (int k = 0; k < 3; k++) {
			memset(&got, 0, sizeof(got));
			assert_int_equal(store_top_blocked(f->s, since, 10, by[k], text_count, &got, err,
							   sizeof(err)), 0);
			snprintf(sql, sizeof(sql), "SELECT coalesce(group_concat(v || ':' || n || ';', ''), '') "
				 "FROM (SELECT %s AS v, sum(count) AS n FROM alerts WHERE action = 'blocked' "
				 "AND last_seen >= %lld %s GROUP BY v ORDER BY n DESC, v LIMIT 10)", col[k],
				 (long long)since, k == 2 ? "AND app <> ''" : "");
			sql_text(f, sql, want, sizeof(want));
			assert_string_equal(got.buf, want);
		}
	}
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_creates_wal_schema_0600),
		T(test_reopen_keeps_data),
		T(test_open_missing_without_create_fails),
		T(test_open_refuses_foreign_and_newer_databases),
		T(test_ingest_stores_events_and_acks),
		T(test_ingest_resent_and_overlapping_batches_store_nothing_twice),
		T(test_ingest_malformed_batches_refused_with_reason_and_nothing_stored),
		T(test_alerts_dedup_within_window_new_row_outside),
		T(test_gateway_alert_and_agent_finding_become_alerts),
	T(test_claims_pinned_times_bounded),
	T(test_prune_in_batches_keeps_open_alerts_and_their_events),
	T(test_quota_refusals_counted_and_alerted),
	T(test_audit_chain_verify_names_first_broken_entry),
	T(test_rollup_matches_alerts_through_changes),
		T(test_keyset_paging_returns_each_alert_once_in_order_for_every_filter),
		T(test_200k_alerts_first_page_walks_an_index),
		T(test_token_used_once_reuse_expired_unknown_refused),
		T(test_sensor_revoke_and_serial_mismatch_deny),
		T(test_silent_sensors_get_an_offline_alert_cleared_when_seen),
		T(test_commands_queue_deliver_result_wrong_sensor_refused),
		T(test_users_sessions_api_tokens),
		T(test_api_token_expiry_and_ending_credentials),
		T(test_audit_append_only_newest_first),
		T(test_alert_status_assign_notes_related_events),
		T(test_dashboard_counts_histogram_top_blocked),
		T(test_group_commit_stores_batches_under_savepoints),
		T(test_ingest_stores_events_as_received_without_white_space),
		T(test_open_upgrades_version_1_keeping_data),
		T(test_dashboard_statements_read_only_covering_indexes),
#undef T
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
