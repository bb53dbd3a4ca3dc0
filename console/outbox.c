/*
 * outbox.c - the hooks' outbox (outbox.h): its tables, the enqueue inside
 * the store's transaction, one delivery worker thread per hook, test
 * deliveries, and the operator's retry and drop.
 *
 * Threads: the console's loop calls outbox_enqueue() (through the store),
 * outbox_status(), outbox_test_*(), outbox_retry/drop/list(); each worker
 * touches only its own struct worker and its own database connection. The
 * counters they share are guarded by each worker's mutex. SQLite in WAL
 * mode lets the workers read while ingest writes; their writes wait on the
 * busy timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "outbox.h"
#include "send.h"
#include "store.h"
#include "store_int.h"

#define BUSY_MS 10000
#define BATCH 256               /* rows read per round */
#define MARK_EVERY 128          /* deliveries marked done per transaction */
#define IDLE_MS 20              /* an empty queue is looked at again after (an indexed read) */
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60
#define MAX_TESTS 8
#define RESYNC_S 60             /* queue depth recounted from the table */

static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS hook_deliveries ("
	" id INTEGER PRIMARY KEY,"
	" hook TEXT NOT NULL,"
	" alert_id INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" severity INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (state IN ('queued', 'delivered', 'failed', 'dropped')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL DEFAULT 0,"
	" last_at INTEGER NOT NULL DEFAULT 0,"
	" answer TEXT NOT NULL DEFAULT ''"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS hook_deliveries_queue ON hook_deliveries (hook, state, id);"
	"CREATE INDEX IF NOT EXISTS hook_deliveries_shed ON hook_deliveries (hook, state, severity, id);"
	"CREATE INDEX IF NOT EXISTS hook_deliveries_alert ON hook_deliveries (alert_id, hook);";

struct worker {
	struct outbox *ob;
	struct hook_def h;
	pthread_t thread;
	bool started;
	bool from_db;                   /* made in the console (hookdb.h), not console.conf */
	atomic_bool quit;               /* this worker alone stops (its hook changed or went) */
	atomic_bool exited;             /* worker_main returned: join it */
	struct worker *prev;            /* the worker it replaces: runs until that one exited */
	struct worker *next_retired;
	pthread_mutex_t mu;
	/* under mu */
	int64_t queued;
	uint64_t delivered, failed, dropped, retries;
	uint64_t shed, shed_told;       /* dropped at the cap; of those, told (outbox_shed_news) */
	int64_t last_ok, last_err_at;
	char last_err[256];
};

struct test {
	bool used, done;
	int id, result;
	char answer[512];
	struct outbox *ob;
	struct hook_def h;
	unsigned timeout;
	pthread_t thread;
};

struct outbox {
	char db_path[4096];
	char hostname[256];
	char public_url[HOOK_URL_MAX + 1];
	sqlite3 *db;                    /* the loop's connection: listings, retry, drop */
	/* the hooks: changed by the loop (outbox_put, outbox_remove) under hmu,
	 * which enqueue() holds too (the ingest writer's thread calls it) */
	pthread_mutex_t hmu;
	int n;
	struct worker *w[OUTBOX_MAX_HOOKS];
	struct worker *retired;         /* told to quit, not joined yet */
	bool running;                   /* outbox_run() started the workers */
	atomic_bool stop;
	pthread_mutex_t tmu;            /* tests */
	struct test tests[MAX_TESTS];
	int next_test;
};

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

static int dberr(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

int outbox_schema(sqlite3 *db, char *err, size_t errlen)
{
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(db, err, errlen, "creating the outbox tables");
	return 0;
}

static int open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, BUSY_MS);
	/* The outbox's own writes are marks of what was delivered: one lost
	   to a power cut means a delivery sent again (same id), never one
	   lost, so they need not wait for the disk (WAL: NORMAL still survives
	   a crash of the process). The rows themselves are written by the
	   store's connection, synchronous=FULL, with the alert. */
	sqlite3_exec(*db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	return 0;
}

/* The counters of w from the table: they survive a restart. */
static void count_states(sqlite3 *db, struct worker *w)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT state, count(*) FROM hook_deliveries WHERE hook = ?1 "
			       "GROUP BY state", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, w->h.name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);

		if (strcmp(s, "queued") == 0)
			w->queued = n;
		else if (strcmp(s, "delivered") == 0)
			w->delivered = (uint64_t)n;
		else if (strcmp(s, "failed") == 0)
			w->failed = (uint64_t)n;
		else if (strcmp(s, "dropped") == 0)
			w->dropped = (uint64_t)n;
	}
	sqlite3_finalize(st);
}

static int64_t count_queued(sqlite3 *db, const char *hook)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM hook_deliveries WHERE hook = ?1 AND "
			       "state = 'queued'", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, hook, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

static struct worker *worker_new(struct outbox *ob, const struct hook_def *h, bool from_db)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->ob = ob;
	w->h = *h;
	w->from_db = from_db;
	atomic_init(&w->quit, false);
	atomic_init(&w->exited, false);
	pthread_mutex_init(&w->mu, NULL);
	count_states(ob->db, w);
	return w;
}

static void worker_free(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

int outbox_new(struct outbox **out, const char *db_path, const struct hook_def *hooks, int n,
	       const struct fmt_ctx *ctx, char *err, size_t errlen)
{
	struct outbox *ob = calloc(1, sizeof(*ob));

	*out = NULL;
	if (ob == NULL || n > OUTBOX_MAX_HOOKS) {
		free(ob);
		snprintf(err, errlen, ob == NULL ? "out of memory" : "too many hooks");
		return -1;
	}
	snprintf(ob->db_path, sizeof(ob->db_path), "%s", db_path);
	snprintf(ob->hostname, sizeof(ob->hostname), "%s", ctx->hostname ? ctx->hostname : "");
	snprintf(ob->public_url, sizeof(ob->public_url), "%s", ctx->public_url ? ctx->public_url : "");
	pthread_mutex_init(&ob->tmu, NULL);
	pthread_mutex_init(&ob->hmu, NULL);
	if (open_db(db_path, &ob->db, err, errlen) < 0 || outbox_schema(ob->db, err, errlen) < 0) {
		outbox_free(ob);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		ob->w[i] = worker_new(ob, &hooks[i], false);
		if (ob->w[i] == NULL) {
			outbox_free(ob);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ob->n++;
	}
	*out = ob;
	return 0;
}

/* ---- enqueue (the store's transaction) -------------------------------------------- */

static int insert(sqlite3 *db, const struct hook_def *h, int64_t id, const char *reason,
		  int severity, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO hook_deliveries (hook, alert_id, reason, severity, "
			       "created) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		return dberr(db, err, errlen, "queueing a delivery");
	sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, severity);
	sqlite3_bind_int64(st, 5, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(db, err, errlen, "queueing a delivery");
	return 0;
}

/* At the cap: drop the oldest queued row of the lowest severity. */
static int shed(sqlite3 *db, const struct hook_def *h, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "UPDATE hook_deliveries SET state = 'dropped', answer = "
			       "'dropped: the hook''s queue was full' WHERE id = (SELECT id FROM "
			       "hook_deliveries WHERE hook = ?1 AND state = 'queued' "
			       "ORDER BY severity DESC, id LIMIT 1)", -1, &st, NULL) != SQLITE_OK)
		return dberr(db, err, errlen, "shedding a delivery");
	sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(db, err, errlen, "shedding a delivery");
	return sqlite3_changes(db);
}

/* Whether h last queued alert id longer than its resend-after ago. */
static int resend_due(sqlite3 *db, const struct hook_def *h, int64_t id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int due = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(created) FROM hook_deliveries WHERE alert_id = ?1 "
			       "AND hook = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, h->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		due = sqlite3_column_int64(st, 0) + h->resend_after <= now;
	sqlite3_finalize(st);
	return due;
}

/* enqueue() for one hook, under hmu. */
static int enqueue_one(struct worker *w, sqlite3 *db, int64_t id, const struct hook_alert_view *v,
		       bool is_new, const char *why, int64_t now, int *queued, char *err,
		       size_t errlen)
{
	const char *reason = why;
	uint64_t dropped;
	int64_t depth;
	int r;

	if (!hook_match(&w->h, v))
		return 0;
	if (!is_new) {
		if (w->h.resend_after == 0)
			return 0;
		r = resend_due(db, &w->h, id, now);
		if (r < 0)
			return dberr(db, err, errlen, "checking resend-after");
		if (r == 0)
			return 0;
		reason = "resend";
	}
	pthread_mutex_lock(&w->mu);
	depth = w->queued;
	pthread_mutex_unlock(&w->mu);
	if (depth >= (int64_t)w->h.queue_max) {
		r = shed(db, &w->h, err, errlen);
		if (r < 0)
			return -1;
		pthread_mutex_lock(&w->mu);
		w->dropped += (uint64_t)r;
		w->shed += (uint64_t)r;
		w->queued -= r;
		dropped = w->dropped;
		pthread_mutex_unlock(&w->mu);
		/* said once, then every 10,000: the receiver is away for long */
		if (r > 0 && (dropped == 1 || dropped % 10000 == 0))
			log_warn("hook %s: queue full (%u deliveries): the oldest of the lowest "
				 "severity is dropped; %llu dropped so far", w->h.name,
				 w->h.queue_max, (unsigned long long)dropped);
	}
	if (insert(db, &w->h, id, reason, v->severity, now, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	w->queued++;
	pthread_mutex_unlock(&w->mu);
	(*queued)++;
	return 0;
}

/* outbox_enqueue() with the reason of a new row: raised, escalated, audit. */
static int enqueue(struct outbox *ob, sqlite3 *db, int64_t id, const struct hook_alert_view *v,
		   bool is_new, const char *why, int64_t now, int *queued, char *err, size_t errlen)
{
	int rc = 0;

	*queued = 0;
	if (ob == NULL)
		return 0;
	pthread_mutex_lock(&ob->hmu);
	for (int i = 0; i < ob->n && rc == 0; i++)
		rc = enqueue_one(ob->w[i], db, id, v, is_new, why, now, queued, err, errlen);
	pthread_mutex_unlock(&ob->hmu);
	return rc;
}

int outbox_enqueue(struct outbox *ob, sqlite3 *db, int64_t id, const struct hook_alert_view *v,
		   bool is_new, int64_t now, int *queued, char *err, size_t errlen)
{
	return enqueue(ob, db, id, v, is_new, "raised", now, queued, err, errlen);
}

int outbox_enqueue_audit(struct outbox *ob, sqlite3 *db, int64_t id, int64_t ts,
			 const char *user, const char *addr, const char *action, int *queued, char *err,
			 size_t errlen)
{
	struct hook_alert_view v = { "audit", user, addr, action, 4, ts };

	return enqueue(ob, db, id, &v, true, "audit", ts, queued, err, errlen);
}

/* ---- the worker --------------------------------------------------------------------- */

struct row {
	int64_t id, alert_id, next_at;
	int attempts;
	char reason[16];
};

/* The alert row and its first event, as the formatters take them. */
struct loaded {
	sqlite3_stmt *st;
	struct fmt_alert a;
};

/*
 * An audit entry (a delivery of reason "audit", alert_id the entry's id) as
 * the formatters take an alert: kind "audit", the signature "ACTION by
 * USER: DETAIL", the host the address it came from, severity low.
 */
static int load_audit(sqlite3 *db, sqlite3_stmt **stp, int64_t id, struct fmt_alert *a)
{
	int rc;

	if (*stp == NULL &&
	    sqlite3_prepare_v3(db, "SELECT ts, addr, action, printf('%s by %s%s%s', action, "
			       "CASE user WHEN '' THEN 'the console' ELSE user END, "
			       "CASE detail WHEN '' THEN '' ELSE ': ' END, detail) FROM audit "
			       "WHERE id = ?1", -1, SQLITE_PREPARE_PERSISTENT, stp, NULL) != SQLITE_OK)
		return -1;
	sqlite3_reset(*stp);
	sqlite3_bind_int64(*stp, 1, id);
	rc = sqlite3_step(*stp);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	a->id = id;
	a->kind = "audit";
	a->sensor_id = "kastro-console";
	a->first_seen = a->last_seen = sqlite3_column_int64(*stp, 0);
	a->host = (const char *)sqlite3_column_text(*stp, 1);
	a->action = (const char *)sqlite3_column_text(*stp, 2);
	a->signature = (const char *)sqlite3_column_text(*stp, 3);
	a->category = "audit";
	a->app = "";
	a->status = "";
	a->signature_id = -1;
	a->severity = 4;
	a->count = 1;
	return 1;
}

static int load_alert(sqlite3 *db, sqlite3_stmt **stp, int64_t id, struct fmt_alert *a)
{
	sqlite3_stmt *st = *stp;
	int rc;

	if (st == NULL &&
	    sqlite3_prepare_v3(db, "SELECT a.kind, a.sensor_id, a.host, a.signature_id, a.signature, "
			       "a.category, a.severity, a.action, a.app, a.first_seen, a.last_seen, "
			       "a.count, a.status, e.body FROM alerts a LEFT JOIN events e ON "
			       "e.sensor_id = a.event_sensor_id AND e.seq = a.event_seq "
			       "WHERE a.id = ?1", -1, SQLITE_PREPARE_PERSISTENT, stp, NULL) != SQLITE_OK)
		return -1;
	st = *stp;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -1;
	a->id = id;
	a->kind = (const char *)sqlite3_column_text(st, 0);
	a->sensor_id = (const char *)sqlite3_column_text(st, 1);
	a->host = (const char *)sqlite3_column_text(st, 2);
	a->signature_id = sqlite3_column_int64(st, 3);
	a->signature = (const char *)sqlite3_column_text(st, 4);
	a->category = (const char *)sqlite3_column_text(st, 5);
	a->severity = sqlite3_column_int(st, 6);
	a->action = (const char *)sqlite3_column_text(st, 7);
	a->app = (const char *)sqlite3_column_text(st, 8);
	a->first_seen = sqlite3_column_int64(st, 9);
	a->last_seen = sqlite3_column_int64(st, 10);
	a->count = sqlite3_column_int64(st, 11);
	a->status = (const char *)sqlite3_column_text(st, 12);
	a->eve = (const char *)sqlite3_column_text(st, 13);
	a->eve_len = a->eve != NULL ? (size_t)sqlite3_column_bytes(st, 13) : 0;
	return 1;
}

static unsigned backoff(int attempts)
{
	unsigned d = BACKOFF_MIN_S, j = 0;

	for (int i = 1; i < attempts && d < BACKOFF_MAX_S; i++)
		d *= 2;
	if (d > BACKOFF_MAX_S)
		d = BACKOFF_MAX_S;
	/* jitter: between half and the whole of it, so that hooks do not beat together */
	if (RAND_bytes((unsigned char *)&j, sizeof(j)) != 1)
		j = (unsigned)rand();
	return d / 2 + j % (d - d / 2 + 1);
}

static void note_err(struct worker *w, const char *answer)
{
	pthread_mutex_lock(&w->mu);
	w->last_err_at = wall();
	snprintf(w->last_err, sizeof(w->last_err), "%.255s", answer);
	pthread_mutex_unlock(&w->mu);
}

static int exec_row(sqlite3 *db, const char *sql, int64_t id, int64_t a1, int64_t a2,
		    const char *text)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, a1);
	sqlite3_bind_int64(st, 3, a2);
	sqlite3_bind_text(st, 4, text != NULL ? text : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Mark n rows delivered in one transaction. */
static int mark_done(struct worker *w, sqlite3 *db, const int64_t *ids, int n, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (n == 0)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "UPDATE hook_deliveries SET state = 'delivered', last_at = ?2, "
			       "attempts = attempts + 1 WHERE id = ?1 AND state = 'queued'", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
	}
	sqlite3_finalize(st);
	if (rc < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	pthread_mutex_lock(&w->mu);
	w->delivered += (uint64_t)n;
	w->queued -= n;
	if (w->queued < 0)
		w->queued = 0;
	w->last_ok = now;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* ---- email rate cap: a digest ------------------------------------------------------------ */

/* Sends of the last hour, for a hook with max-per-hour (a ring of that many times). */
struct ratecap {
	int64_t *t;
	uint32_t n, pos;
};

/* 0: a mail may go now; else the time the next may. */
static int64_t cap_next(const struct ratecap *rc, int64_t now)
{
	int64_t oldest = rc->t[rc->pos];

	return oldest + 3600 > now ? oldest + 3600 : 0;
}

static void cap_note(struct ratecap *rc, int64_t now)
{
	rc->t[rc->pos] = now;
	rc->pos = (rc->pos + 1) % rc->n;
}

static char *dup0(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static void free_alerts(struct fmt_alert *a, int n)
{
	for (int i = 0; i < n; i++) {
		free((char *)a[i].kind);
		free((char *)a[i].sensor_id);
		free((char *)a[i].host);
		free((char *)a[i].signature);
		free((char *)a[i].category);
		free((char *)a[i].action);
		free((char *)a[i].app);
		free((char *)a[i].status);
	}
	free(a);
}

/*
 * The due rows among rows[0..n-1] as one digest mail. Returns how many rows
 * it settled (delivered, or dropped as gone), 0 when the send must be
 * retried (row 0 got its backoff), -1 on a refusal (rows marked failed).
 */
/* Row r's alert or audit entry into a (ld[0] alerts, ld[1] audit): 1, 0 gone, -1 error. */
static int load_row(sqlite3 *db, sqlite3_stmt **ld, const struct row *r, struct fmt_alert *a)
{
	if (strcmp(r->reason, "audit") == 0)
		return load_audit(db, &ld[1], r->alert_id, a);
	return load_alert(db, &ld[0], r->alert_id, a);
}

/* Done with what load_row() gave: its strings are gone. */
static void unload(sqlite3_stmt **ld)
{
	sqlite3_reset(ld[0]);
	sqlite3_reset(ld[1]);
}

static int send_folded(struct worker *w, sqlite3 *db, sqlite3_stmt **ld, struct sender *snd,
		       const struct row *rows, int n, const struct fmt_ctx *ctx, int64_t now)
{
	struct fmt_alert *a = calloc((size_t)n, sizeof(*a));
	int64_t ids[BATCH];
	char answer[512];
	enum send_result r;
	int k = 0, m = 0;

	if (a == NULL)
		return 0;
	for (k = 0; k < n && rows[k].next_at <= now; k++) {
		struct fmt_alert x = { 0 };

		if (load_row(db, ld, &rows[k], &x) <= 0) {
			unload(ld);
			exec_row(db, "UPDATE hook_deliveries SET state = 'dropped', last_at = ?2, "
				 "answer = 'the alert is no longer stored' WHERE id = ?1", rows[k].id,
				 now, 0, NULL);
			pthread_mutex_lock(&w->mu);
			w->dropped++;
			w->queued--;
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		a[m].id = x.id;
		a[m].delivery_id = rows[k].id;
		a[m].reason = "digest";
		a[m].kind = dup0(x.kind);
		a[m].sensor_id = dup0(x.sensor_id);
		a[m].host = dup0(x.host);
		a[m].signature = dup0(x.signature);
		a[m].category = dup0(x.category);
		a[m].action = dup0(x.action);
		a[m].app = dup0(x.app);
		a[m].status = dup0(x.status);
		a[m].signature_id = x.signature_id;
		a[m].severity = x.severity;
		a[m].first_seen = x.first_seen;
		a[m].last_seen = x.last_seen;
		a[m].count = x.count;
		ids[m++] = rows[k].id;
		unload(ld);
	}
	if (m == 0) {
		free_alerts(a, n);
		return k;
	}
	r = send_digest(snd, a, m, ctx, now, w->h.timeout, answer, sizeof(answer));
	free_alerts(a, n);
	if (r == SEND_OK) {
		if (mark_done(w, db, ids, m, now) < 0)
			note_err(w, "cannot mark deliveries done in the database");
		return k;
	}
	note_err(w, answer);
	if (r == SEND_REFUSED) {
		for (int i = 0; i < m; i++)
			exec_row(db, "UPDATE hook_deliveries SET state = 'failed', last_at = ?2, "
				 "attempts = attempts + 1, answer = ?4 WHERE id = ?1", ids[i], now, 0,
				 answer);
		pthread_mutex_lock(&w->mu);
		w->failed += (uint64_t)m;
		w->queued -= m;
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	exec_row(db, "UPDATE hook_deliveries SET attempts = attempts + 1, last_at = ?2, "
		 "next_at = ?3, answer = ?4 WHERE id = ?1", rows[0].id, now,
		 now + backoff(rows[0].attempts + 1), answer);
	pthread_mutex_lock(&w->mu);
	w->retries++;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static bool stopping(const struct worker *w)
{
	return atomic_load(&w->ob->stop) || atomic_load(&w->quit);
}

static void nap(const struct worker *w, int ms)
{
	while (ms > 0 && !stopping(w)) {
		int k = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)k * 1000000L };

		nanosleep(&ts, NULL);
		ms -= k;
	}
}

/*
 * Write the batch of syslog messages queued for rows[first..first+np-1]
 * (send_queue). Written: their ids join done[] (*nd) to be marked; not:
 * the first of them waits for its retry and the queue holds. Returns 0 or
 * -1 (not written).
 */
static int flush_batch(struct worker *w, sqlite3 *db, struct sender *snd, const struct row *rows,
		       int first, int np, int64_t *done, int *nd)
{
	char answer[512];
	int64_t now = wall();
	enum send_result r;

	if (np == 0)
		return 0;
	r = send_flush(snd, w->h.timeout, answer, sizeof(answer));
	if (r == SEND_OK) {
		for (int k = 0; k < np; k++)
			done[(*nd)++] = rows[first + k].id;
		return 0;
	}
	note_err(w, answer);
	exec_row(db, "UPDATE hook_deliveries SET attempts = attempts + 1, last_at = ?2, "
		 "next_at = ?3, answer = ?4 WHERE id = ?1", rows[first].id, now,
		 now + backoff(rows[first].attempts + 1), answer);
	pthread_mutex_lock(&w->mu);
	w->retries++;
	pthread_mutex_unlock(&w->mu);
	return -1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct outbox *ob = w->ob;
	struct fmt_ctx ctx = { ob->hostname, ob->public_url };
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL, *ld[2] = { NULL, NULL };
	struct sender *snd = send_new(&w->h);
	struct row rows[BATCH];
	int64_t done[BATCH], resync = wall() + RESYNC_S;
	char err[256], answer[512];
	struct ratecap rc = { NULL, 0, 0 };
	bool batch = snd != NULL && send_batches(snd);

	/* the worker this one replaces sends until it sees quit: one sender per hook */
	while (w->prev != NULL && !atomic_load(&w->prev->exited) && !atomic_load(&ob->stop))
		nap(w, 20);
	if (w->h.kind == HOOK_EMAIL && w->h.max_per_hour > 0) {
		rc.n = w->h.max_per_hour;
		rc.t = calloc(rc.n, sizeof(*rc.t));
		if (rc.t == NULL) {
			note_err(w, "cannot start: out of memory");
			send_free(snd);
			atomic_store(&w->exited, true);
			return NULL;
		}
	}

	if (snd == NULL || open_db(ob->db_path, &db, err, sizeof(err)) < 0 ||
	    sqlite3_prepare_v3(db, "SELECT id, alert_id, next_at, attempts, reason FROM "
			       "hook_deliveries WHERE hook = ?1 AND state = 'queued' ORDER BY id "
			       "LIMIT ?2", -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		note_err(w, "cannot start: the database cannot be opened");
		send_free(snd);
		sqlite3_close(db);
		free(rc.t);
		atomic_store(&w->exited, true);
		return NULL;
	}
	while (!stopping(w)) {
		int n = 0, nd = 0, bfirst = 0, bn = 0;  /* rows bfirst.. in snd's batch: bn */
		bool hold = false;
		int64_t now = wall();

		if (now >= resync) {
			int64_t c = count_queued(db, w->h.name);

			pthread_mutex_lock(&w->mu);
			w->queued = c;
			pthread_mutex_unlock(&w->mu);
			resync = now + RESYNC_S;
		}
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, w->h.name, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, BATCH);
		while (n < BATCH && sqlite3_step(q) == SQLITE_ROW) {
			rows[n].id = sqlite3_column_int64(q, 0);
			rows[n].alert_id = sqlite3_column_int64(q, 1);
			rows[n].next_at = sqlite3_column_int64(q, 2);
			rows[n].attempts = sqlite3_column_int(q, 3);
			snprintf(rows[n].reason, sizeof(rows[n].reason), "%s",
				 (const char *)sqlite3_column_text(q, 4));
			n++;
		}
		sqlite3_reset(q);
		if (n == 0) {
			nap(w, IDLE_MS);
			continue;
		}
		for (int i = 0; i < n && !stopping(w); i++) {
			struct fmt_alert a = { 0 };
			enum send_result r;
			int got;

			now = wall();
			if (rows[i].next_at > now) {
				/* the head waits for its retry: order is kept */
				hold = true;
				break;
			}
			if (rc.n > 0 && cap_next(&rc, now) > 0) {
				/* max-per-hour reached: what waits goes in one digest when
				   the hour allows the next mail */
				if (mark_done(w, db, done, nd, now) < 0)
					note_err(w, "cannot mark deliveries done in the database");
				nd = 0;
				hold = true;
				break;
			}
			if (rc.n > 0 && cap_next(&rc, now) == 0 && i + 1 < n && rc.t[rc.pos] > 0) {
				/* the hour had its mails and more wait: fold them */
				int k = send_folded(w, db, ld, snd, rows + i, n - i, &ctx, now);

				if (k > 0)
					cap_note(&rc, now);
				if (k <= 0) {
					hold = k == 0;
					break;
				}
				i += k - 1;
				continue;
			}
			if (bn > 0 && rows[i].next_at > now) {
				/* cannot happen after the head, but keep the order if it does */
				hold = true;
				break;
			}
			got = load_row(db, ld, &rows[i], &a);
			if (got <= 0) {
				/* what is batched before it goes first: the order holds */
				if (flush_batch(w, db, snd, rows, bfirst, bn, done, &nd) < 0) {
					unload(ld);
					bn = 0;
					hold = true;
					break;
				}
				bn = 0;
				/* the alert is gone (retention) or unreadable: nothing to send */
				exec_row(db, "UPDATE hook_deliveries SET state = 'dropped', last_at = ?2, "
					 "answer = ?4 WHERE id = ?1", rows[i].id, now, 0,
					 got == 0 ? "the alert is no longer stored" :
						    "the alert cannot be read");
				pthread_mutex_lock(&w->mu);
				w->dropped++;
				w->queued--;
				pthread_mutex_unlock(&w->mu);
				continue;
			}
			a.delivery_id = rows[i].id;
			a.reason = rows[i].reason;
			if (batch) {
				/* syslog tcp:// and tls://: many messages in one write */
				int k = send_queue(snd, &a, &ctx, answer, sizeof(answer));

				if (k == 1) {
					if (flush_batch(w, db, snd, rows, bfirst, bn, done, &nd) < 0) {
						unload(ld);
						bn = 0;
						hold = true;
						break;
					}
					bn = 0;
					k = send_queue(snd, &a, &ctx, answer, sizeof(answer));
				}
				if (k == 0) {
					unload(ld);
					if (bn++ == 0)
						bfirst = i;
					continue;
				}
				/* not formatted: the batch goes first, then this row takes
				   the one-message path below, which records why */
				if (flush_batch(w, db, snd, rows, bfirst, bn, done, &nd) < 0) {
					unload(ld);
					bn = 0;
					hold = true;
					break;
				}
				bn = 0;
			}
			r = send_alert(snd, &a, &ctx, now, w->h.timeout, answer, sizeof(answer));
			unload(ld);
			if (r == SEND_OK) {
				if (rc.n > 0)
					cap_note(&rc, now);
				done[nd++] = rows[i].id;
				/* marked in small groups: fewer sent again after a crash */
				if (nd == MARK_EVERY) {
					if (mark_done(w, db, done, nd, wall()) < 0)
						note_err(w, "cannot mark deliveries done in the database");
					nd = 0;
				}
				continue;
			}
			/* what went before is done: mark it before the row that failed */
			if (mark_done(w, db, done, nd, now) < 0)
				note_err(w, "cannot mark deliveries done in the database");
			nd = 0;
			note_err(w, answer);
			if (r == SEND_REFUSED) {
				exec_row(db, "UPDATE hook_deliveries SET state = 'failed', last_at = ?2, "
					 "attempts = attempts + 1, answer = ?4 WHERE id = ?1",
					 rows[i].id, now, 0, answer);
				pthread_mutex_lock(&w->mu);
				w->failed++;
				w->queued--;
				pthread_mutex_unlock(&w->mu);
				continue;
			}
			exec_row(db, "UPDATE hook_deliveries SET attempts = attempts + 1, last_at = ?2, "
				 "next_at = ?3, answer = ?4 WHERE id = ?1", rows[i].id, now,
				 now + backoff(rows[i].attempts + 1), answer);
			pthread_mutex_lock(&w->mu);
			w->retries++;
			pthread_mutex_unlock(&w->mu);
			hold = true;
			break;
		}
		if (bn > 0 && flush_batch(w, db, snd, rows, bfirst, bn, done, &nd) < 0)
			hold = true;
		if (mark_done(w, db, done, nd, wall()) < 0)
			note_err(w, "cannot mark deliveries done in the database");
		if (hold)
			nap(w, 250);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ld[0]);
	sqlite3_finalize(ld[1]);
	sqlite3_close(db);
	send_free(snd);
	free(rc.t);
	atomic_store(&w->exited, true);
	return NULL;
}

static int worker_start(struct worker *w, char *err, size_t errlen)
{
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		snprintf(err, errlen, "cannot start the worker of hook %s", w->h.name);
		return -1;
	}
	w->started = true;
	return 0;
}

int outbox_run(struct outbox *ob, char *err, size_t errlen)
{
	ob->running = true;
	for (int i = 0; i < ob->n; i++)
		if (worker_start(ob->w[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* Join and free the retired workers that have finished (all: wait for them). */
static void reap(struct outbox *ob, bool all)
{
	struct worker **pp = &ob->retired;

	while (*pp != NULL) {
		struct worker *w = *pp;

		if (all || !w->started || atomic_load(&w->exited)) {
			*pp = w->next_retired;
			worker_free(w);
		} else {
			pp = &w->next_retired;
		}
	}
}

/* Tell worker i to stop and keep it on the retired list until it has. */
static struct worker *retire(struct outbox *ob, int i)
{
	struct worker *w = ob->w[i];

	atomic_store(&w->quit, true);
	w->next_retired = ob->retired;
	ob->retired = w;
	return w;
}

static int find(const struct outbox *ob, const char *name)
{
	for (int i = 0; i < ob->n; i++)
		if (strcmp(ob->w[i]->h.name, name) == 0)
			return i;
	return -1;
}

int outbox_put(struct outbox *ob, const struct hook_def *h, char *err, size_t errlen)
{
	int i = find(ob, h->name);
	struct worker *w;

	reap(ob, false);
	if (i >= 0 && !ob->w[i]->from_db) {
		snprintf(err, errlen, "hook %s is defined in console.conf (%s)", h->name,
			 ob->w[i]->h.at);
		return -1;
	}
	if (i < 0 && ob->n >= OUTBOX_MAX_HOOKS) {
		snprintf(err, errlen, "too many hooks, the limit is %d", OUTBOX_MAX_HOOKS);
		return -1;
	}
	w = worker_new(ob, h, true);
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&ob->hmu);
	if (i >= 0) {
		w->prev = retire(ob, i);
		ob->w[i] = w;
	} else {
		ob->w[ob->n++] = w;
	}
	pthread_mutex_unlock(&ob->hmu);
	if (ob->running && worker_start(w, err, errlen) < 0) {
		/* no worker: the hook is listed with the reason, its rows wait */
		snprintf(w->last_err, sizeof(w->last_err), "%.255s", err);
		w->last_err_at = wall();
		return -1;
	}
	return 0;
}

int outbox_remove(struct outbox *ob, const char *name, char *err, size_t errlen)
{
	int i = find(ob, name);

	reap(ob, false);
	if (i < 0 || !ob->w[i]->from_db) {
		snprintf(err, errlen, i < 0 ? "no hook named %.40s" :
			 "hook %.40s is defined in console.conf", name);
		return -1;
	}
	pthread_mutex_lock(&ob->hmu);
	retire(ob, i);
	memmove(&ob->w[i], &ob->w[i + 1], (size_t)(ob->n - i - 1) * sizeof(ob->w[0]));
	ob->n--;
	pthread_mutex_unlock(&ob->hmu);
	return 0;
}

void outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	atomic_store(&ob->stop, true);
	for (int i = 0; i < ob->n; i++)
		worker_free(ob->w[i]);
	reap(ob, true);
	/* tests still running: wait for them (each is bounded by its timeout) */
	for (int i = 0; i < MAX_TESTS; i++)
		if (ob->tests[i].used)
			pthread_join(ob->tests[i].thread, NULL);
	pthread_mutex_destroy(&ob->tmu);
	pthread_mutex_destroy(&ob->hmu);
	sqlite3_close(ob->db);
	free(ob);
}

/* ---- status --------------------------------------------------------------------------- */

int outbox_hooks(const struct outbox *ob)
{
	return ob != NULL ? ob->n : 0;
}

void outbox_status(struct outbox *ob, int i, struct outbox_hook_status *st)
{
	struct worker *w = ob->w[i];

	memset(st, 0, sizeof(*st));
	st->from_db = w->from_db;
	st->queue_max = w->h.queue_max;
	snprintf(st->at, sizeof(st->at), "%s", w->h.at);
	snprintf(st->name, sizeof(st->name), "%s", w->h.name);
	snprintf(st->kind, sizeof(st->kind), "%s", hook_kind_name(w->h.kind));
	hook_url_public(&w->h, st->url, sizeof(st->url));
	snprintf(st->format, sizeof(st->format), "%s", hook_format_name(w->h.format));
	pthread_mutex_lock(&w->mu);
	st->queued = w->queued;
	st->delivered = w->delivered;
	st->failed = w->failed;
	st->dropped = w->dropped;
	st->retries = w->retries;
	st->last_ok = w->last_ok;
	st->last_err_at = w->last_err_at;
	snprintf(st->last_err, sizeof(st->last_err), "%s", w->last_err);
	pthread_mutex_unlock(&w->mu);
}

int outbox_shed_news(struct outbox *ob, int i, uint64_t *shed)
{
	struct worker *w = ob->w[i];
	int r;

	pthread_mutex_lock(&w->mu);
	r = w->shed > w->shed_told;
	w->shed_told = w->shed;
	*shed = w->shed;
	pthread_mutex_unlock(&w->mu);
	return r;
}

void outbox_totals(struct outbox *ob, uint64_t *queued, uint64_t *delivered, uint64_t *failed,
		   uint64_t *dropped)
{
	*queued = *delivered = *failed = *dropped = 0;
	for (int i = 0; i < outbox_hooks(ob); i++) {
		struct outbox_hook_status st;

		outbox_status(ob, i, &st);
		*queued += (uint64_t)st.queued;
		*delivered += st.delivered;
		*failed += st.failed;
		*dropped += st.dropped;
	}
}

/* ---- tests ------------------------------------------------------------------------------- */

static void *test_main(void *arg)
{
	struct test *t = arg;
	struct outbox *ob = t->ob;
	struct fmt_ctx ctx = { ob->hostname, ob->public_url };
	struct sender *s = send_new(&t->h);
	int64_t now = wall();
	char answer[512] = "out of memory";
	int r = SEND_ERROR;
	struct fmt_alert a = {
		.id = 0, .delivery_id = 0, .reason = "test", .kind = "alert",
		.sensor_id = "kastro-console", .host = ob->hostname,
		.signature = "Kastro test alert (hooks test)", .category = "Test",
		.action = "", .app = "", .status = "new", .signature_id = -1,
		.severity = 4, .first_seen = now, .last_seen = now, .count = 1,
	};

	if (s != NULL)
		r = (int)send_alert(s, &a, &ctx, now, t->timeout, answer, sizeof(answer));
	send_free(s);
	pthread_mutex_lock(&ob->tmu);
	t->result = r;
	snprintf(t->answer, sizeof(t->answer), "%s", answer);
	t->done = true;
	pthread_mutex_unlock(&ob->tmu);
	return NULL;
}

int outbox_test_start(struct outbox *ob, const char *name, unsigned timeout_s, int *id,
		      char *err, size_t errlen)
{
	struct test *t = NULL;
	int i, k = ob != NULL ? find(ob, name) : -1;
	if (k < 0) {
		snprintf(err, errlen, "no hook named '%.40s'", name);
		return -1;
	}
	pthread_mutex_lock(&ob->tmu);
	for (i = 0; i < MAX_TESTS; i++)
		if (!ob->tests[i].used) {
			t = &ob->tests[i];
			break;
		}
	if (t == NULL) {
		pthread_mutex_unlock(&ob->tmu);
		snprintf(err, errlen, "%d tests are running already, try again later", MAX_TESTS);
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->id = ++ob->next_test;
	t->ob = ob;
	t->h = ob->w[k]->h;
	t->timeout = timeout_s;
	if (pthread_create(&t->thread, NULL, test_main, t) != 0) {
		t->used = false;
		pthread_mutex_unlock(&ob->tmu);
		snprintf(err, errlen, "cannot start a thread");
		return -1;
	}
	*id = t->id;
	pthread_mutex_unlock(&ob->tmu);
	return 0;
}

int outbox_test_result(struct outbox *ob, int id, int *result, char *answer, size_t anslen)
{
	int r = -1;

	if (ob == NULL)
		return -1;
	pthread_mutex_lock(&ob->tmu);
	for (int i = 0; i < MAX_TESTS; i++) {
		struct test *t = &ob->tests[i];

		if (!t->used || t->id != id)
			continue;
		if (!t->done) {
			r = 1;
			break;
		}
		*result = t->result;
		snprintf(answer, anslen, "%s", t->answer);
		pthread_join(t->thread, NULL);
		t->used = false;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&ob->tmu);
	return r;
}

/* ---- operators' actions and listings --------------------------------------------------------- */

static struct worker *worker_of(struct outbox *ob, const char *hook)
{
	int i = find(ob, hook);

	return i >= 0 ? ob->w[i] : NULL;
}

/* Move one row from state from1 or from2 to `to`; the hook's counters follow. */
static int move(struct outbox *ob, int64_t id, const char *from1, const char *from2,
		const char *to, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char hook[HOOK_NAME_MAX + 1] = "", was[16] = "";
	struct worker *w;
	int rc;

	if (sqlite3_prepare_v2(ob->db, "SELECT hook, state FROM hook_deliveries WHERE id = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return dberr(ob->db, err, errlen, "reading a delivery");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(hook, sizeof(hook), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(was, sizeof(was), "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW || (strcmp(was, from1) != 0 && strcmp(was, from2) != 0)) {
		snprintf(err, errlen, "no delivery %lld that is %s or %s", (long long)id, from1, from2);
		return -1;
	}
	if (sqlite3_prepare_v2(ob->db, "UPDATE hook_deliveries SET state = ?2, next_at = 0, "
			       "answer = CASE WHEN ?2 = 'dropped' THEN 'dropped by an operator' "
			       "ELSE answer END WHERE id = ?1 AND state = ?3", -1, &st,
			       NULL) != SQLITE_OK)
		return dberr(ob->db, err, errlen, "changing a delivery");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, was, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(ob->db, err, errlen, "changing a delivery");
	if (sqlite3_changes(ob->db) == 0) {
		snprintf(err, errlen, "delivery %lld changed meanwhile, try again", (long long)id);
		return -1;
	}
	w = worker_of(ob, hook);
	if (w != NULL) {
		pthread_mutex_lock(&w->mu);
		if (strcmp(to, "queued") == 0) {
			w->queued++;
		} else if (strcmp(was, "queued") == 0) {
			w->queued--;
			w->dropped++;
		}
		pthread_mutex_unlock(&w->mu);
	}
	return 0;
}

int outbox_retry(struct outbox *ob, int64_t delivery_id, char *err, size_t errlen)
{
	return move(ob, delivery_id, "failed", "dropped", "queued", err, errlen);
}

int outbox_drop(struct outbox *ob, int64_t delivery_id, char *err, size_t errlen)
{
	return move(ob, delivery_id, "queued", "failed", "dropped", err, errlen);
}

int outbox_list(struct outbox *ob, const char *hook, const char *state, int64_t before,
		unsigned limit, outbox_delivery_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(ob->db, "SELECT id, alert_id, created, last_at, hook, state, reason, "
			       "answer, attempts, severity FROM hook_deliveries WHERE (?1 IS NULL OR "
			       "hook = ?1) AND (?2 IS NULL OR state = ?2) AND (?3 = 0 OR id < ?3) "
			       "ORDER BY id DESC LIMIT ?4", -1, &st, NULL) != SQLITE_OK)
		return dberr(ob->db, err, errlen, "listing deliveries");
	if (hook != NULL)
		sqlite3_bind_text(st, 1, hook, -1, SQLITE_STATIC);
	if (state != NULL)
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, before);
	sqlite3_bind_int(st, 4, (int)(limit > 0 && limit <= 1000 ? limit : 50));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_delivery d;

		memset(&d, 0, sizeof(d));
		d.id = sqlite3_column_int64(st, 0);
		d.alert_id = sqlite3_column_int64(st, 1);
		d.created = sqlite3_column_int64(st, 2);
		d.last_at = sqlite3_column_int64(st, 3);
		snprintf(d.hook, sizeof(d.hook), "%s", (const char *)sqlite3_column_text(st, 4));
		snprintf(d.state, sizeof(d.state), "%s", (const char *)sqlite3_column_text(st, 5));
		snprintf(d.reason, sizeof(d.reason), "%s", (const char *)sqlite3_column_text(st, 6));
		snprintf(d.answer, sizeof(d.answer), "%s", (const char *)sqlite3_column_text(st, 7));
		d.attempts = sqlite3_column_int(st, 8);
		d.severity = sqlite3_column_int(st, 9);
		if (cb(arg, &d) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(ob->db, err, errlen, "listing deliveries");
	return 0;
}

/* ---- the store's side ------------------------------------------------------------------------ */

int store_set_outbox(struct store *s, struct outbox *ob, char *err, size_t errlen)
{
	if (outbox_schema(s->db, err, errlen) < 0)
		return -1;
	s->outbox = ob;
	return 0;
}

int st_outbox_enqueue(struct store *s, int64_t id, const struct alert_in *a, bool is_new,
		      char *err, size_t errlen)
{
	struct hook_alert_view v = { a->kind, a->sensor_id, a->host, a->sig, a->severity, a->ts };
	int n = 0;

	if (s->outbox == NULL)
		return 0;
	return outbox_enqueue(s->outbox, s->db, id, &v, is_new, wall(), &n, err, errlen);
}

int st_outbox_escalated(struct store *s, int64_t id, const struct alert_in *a, char *err,
			size_t errlen)
{
	struct hook_alert_view v = { a->kind, a->sensor_id, a->host, a->sig, a->severity, a->ts };
	int n = 0;

	if (s->outbox == NULL)
		return 0;
	return enqueue(s->outbox, s->db, id, &v, true, "escalated", wall(), &n, err, errlen);
}

int st_outbox_audit(struct store *s, int64_t id, int64_t ts, const char *user,
		    const char *addr, const char *action, char *err, size_t errlen)
{
	int n = 0;

	if (s->outbox == NULL)
		return 0;
	return outbox_enqueue_audit(s->outbox, s->db, id, ts, user, addr, action, &n, err, errlen);
}
