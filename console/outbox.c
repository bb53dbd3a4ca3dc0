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
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "mono.h"
#include "obq.h"
#include "outbox.h"
#include "outbox_int.h"
#include "send.h"
#include "store.h"
#include "store_int.h"

#define BUSY_MS 10000
#define BATCH 256               /* rows read per round */
#define MARK_EVERY BATCH        /* deliveries marked done per transaction */
#define IDLE_MS 20              /* an empty queue is looked at again after (an indexed read) */
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60
/* While ingest is saturated (sensors' batches had to wait for the ingest
   writer within the last INGEST_BUSY_MS: outbox_ingest_backlog), a worker
   holds its rounds back, and with them its database writes, for up to
   YIELD_MAX_MS at a time: the ingest writer does not wait for the write
   lock behind the workers, and a burst of events is not slowed by its own
   alerts going out. Deliveries catch up once it eases; under ingest that
   stays saturated, each hook still gets a round a second. Ingest that
   keeps up holds nothing back. */
#define INGEST_BUSY_MS 100
#define YIELD_MAX_MS 1000
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
	"CREATE INDEX IF NOT EXISTS hook_deliveries_alert ON hook_deliveries (alert_id, hook);"
	OBQ_SCHEMA_SQL;

int ob_dberr(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

int ob_find(const struct outbox *ob, const char *name)
{
	for (int i = 0; i < ob->n; i++)
		if (strcmp(ob->w[i]->h.name, name) == 0)
			return i;
	return -1;
}

int outbox_schema(sqlite3 *db, char *err, size_t errlen)
{
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return ob_dberr(db, err, errlen, "creating the outbox tables");
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
	atomic_init(&w->prev, NULL);
	pthread_mutex_init(&w->mu, NULL);
	count_states(ob->db, w);
	{
		int64_t c = 0;

		/* below what the worker will read at its start: safe for trimming */
		obq_cursor(ob->db, h->name, &c);
		atomic_init(&w->cursor, c);
	}
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

/*
 * A hook's queue: a row of hook_deliveries, made when the hook's worker
 * claims an outbox row that names it (claim() below).
 */
static int insert(sqlite3 *db, sqlite3_stmt **keep, const struct hook_def *h,
		  const struct obq_row *o)
{
	sqlite3_stmt *st = *keep;
	int rc;

	if (st == NULL &&
	    sqlite3_prepare_v3(db, "INSERT INTO hook_deliveries (hook, alert_id, reason, severity, "
			       "created) VALUES (?1, ?2, ?3, ?4, ?5)", -1,
			       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return -1;
	*keep = st;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->alert_id);
	sqlite3_bind_text(st, 3, o->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, o->severity);
	sqlite3_bind_int64(st, 5, o->created);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* At the cap: drop the oldest queued row of the lowest severity. */
static int shed(sqlite3 *db, const struct hook_def *h)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "UPDATE hook_deliveries SET state = 'dropped', answer = "
			       "'dropped: the hook''s queue was full' WHERE id = (SELECT id FROM "
			       "hook_deliveries WHERE hook = ?1 AND state = 'queued' "
			       "ORDER BY severity DESC, id LIMIT 1)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(db);
}

/* Whether h last queued alert id longer than its resend-after ago. */
static int resend_due(sqlite3 *db, const struct hook_def *h, int64_t id, int64_t now)
{
	int64_t last;

	if (obq_last_queued(db, id, h->name, &last) < 0)
		return -1;
	return last > 0 && last + h->resend_after <= now;
}

/*
 * outbox_enqueue() with the reason of a new row: raised, escalated, audit.
 * One hook_outbox row names every hook whose filter v passes (for a repeat:
 * those whose resend-after is due); the workers claim it. keep: a
 * statement kept for db, or NULL.
 */
static int enqueue(struct outbox *ob, sqlite3 *db, sqlite3_stmt **keep, int64_t id,
		   const struct hook_alert_view *v, bool is_new, const char *why, int64_t now,
		   int *queued, char *err, size_t errlen)
{
	char hooks[OBQ_HOOKS_MAX] = "";
	int rc = 0;

	*queued = 0;
	if (ob == NULL)
		return 0;
	pthread_mutex_lock(&ob->hmu);
	for (int i = 0; i < ob->n && rc == 0; i++) {
		const struct hook_def *h = &ob->w[i]->h;
		int r;

		if (!hook_match(h, v))
			continue;
		if (!is_new) {
			if (h->resend_after == 0)
				continue;
			r = resend_due(db, h, id, now);
			if (r < 0) {
				rc = ob_dberr(db, err, errlen, "checking resend-after");
				break;
			}
			if (r == 0)
				continue;
		}
		if (obq_add_name(hooks, sizeof(hooks), h->name) < 0) {
			snprintf(err, errlen, "queueing deliveries: too many hooks");
			rc = -1;
			break;
		}
		(*queued)++;
	}
	pthread_mutex_unlock(&ob->hmu);
	if (rc < 0 || *queued == 0)
		return rc;
	return obq_put(db, keep, id, is_new ? why : "resend", v->severity, now, hooks, err, errlen);
}

int outbox_enqueue(struct outbox *ob, sqlite3 *db, int64_t id, const struct hook_alert_view *v,
		   bool is_new, int64_t now, int *queued, char *err, size_t errlen)
{
	return enqueue(ob, db, NULL, id, v, is_new, "raised", now, queued, err, errlen);
}

static int enqueue_audit(struct outbox *ob, sqlite3 *db, sqlite3_stmt **keep, int64_t id,
			 int64_t ts, const char *user, const char *addr, const char *action,
			 int *queued, char *err, size_t errlen)
{
	struct hook_alert_view v = { "audit", user, addr, action, 4, ts };

	return enqueue(ob, db, keep, id, &v, true, "audit", ts, queued, err, errlen);
}

int outbox_enqueue_audit(struct outbox *ob, sqlite3 *db, int64_t id, int64_t ts,
			 const char *user, const char *addr, const char *action, int *queued, char *err,
			 size_t errlen)
{
	return enqueue_audit(ob, db, NULL, id, ts, user, addr, action, queued, err, errlen);
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
	w->last_err_at = ob_wall();
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
	int rc = 0, changed = 0;

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
		else
			changed += sqlite3_changes(db);
	}
	sqlite3_finalize(st);
	if (rc < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	/* a row an operator dropped while it was being sent stays dropped, and
	   was taken from the queue's count then */
	pthread_mutex_lock(&w->mu);
	w->delivered += (uint64_t)changed;
	w->queued -= changed;
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
	int64_t now = ob_wall();
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

/* ---- claiming: the outbox rows that name this hook into its queue ------------------- */

/* outbox rows looked at at once: at most one claiming transaction of this
   many a round, so that the writes that hold the ingest writer stay short */
#define CLAIM_MAX BATCH

struct claimer {
	sqlite3_stmt *rd, *ins;
	struct obq_row rows[CLAIM_MAX];
	int64_t trimmed;                /* rows below this were taken away */
	bool wrote;                     /* the last claim() wrote (a transaction) */
};

/* The lowest cursor of the hooks: every row below it has been claimed by
   all that it names. */
static int64_t min_cursor(struct outbox *ob)
{
	int64_t m = INT64_MAX;

	pthread_mutex_lock(&ob->hmu);
	for (int i = 0; i < ob->n; i++) {
		int64_t c = atomic_load(&ob->w[i]->cursor);

		if (c < m)
			m = c;
	}
	pthread_mutex_unlock(&ob->hmu);
	return m == INT64_MAX ? 0 : m;
}

/*
 * Claim what the store queued for w's hook since its cursor: the rows that
 * name it become queued deliveries (at the cap the oldest of the lowest
 * severity is dropped), and the cursor moves, in one transaction; rows that
 * do not name it only move the cursor in memory (read again after a
 * restart, and passed again). Rows every hook has passed are taken away in
 * the same transaction. Returns the rows looked at, or -1 (nothing changed).
 */
static int claim(struct worker *w, sqlite3 *db, struct claimer *cl)
{
	int64_t from = atomic_load(&w->cursor), below;
	int n = obq_read(db, &cl->rd, from, w->h.name, cl->rows, CLAIM_MAX);
	int mine = 0, dropped = 0, rc = 0;

	cl->wrote = false;
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++)
		mine += cl->rows[i].mine;
	if (mine == 0) {
		atomic_store(&w->cursor, cl->rows[n - 1].id);
		/* rows naming only other hooks (or hooks gone) go once all passed */
		below = min_cursor(w->ob);
		if (below > cl->trimmed + CLAIM_MAX) {
			if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
				return n;
			if (obq_trim(db, below) == 0 &&
			    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
				cl->trimmed = below;
			else
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
		return n;
	}
	below = min_cursor(w->ob);
	if (below > cl->rows[n - 1].id)
		below = cl->rows[n - 1].id;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	cl->wrote = true;
	for (int i = 0; i < n && rc == 0; i++) {
		int64_t depth;

		if (!cl->rows[i].mine)
			continue;
		pthread_mutex_lock(&w->mu);
		depth = w->queued;
		pthread_mutex_unlock(&w->mu);
		if (depth >= (int64_t)w->h.queue_max) {
			int r = shed(db, &w->h);

			if (r < 0) {
				rc = -1;
				break;
			}
			dropped += r;
			pthread_mutex_lock(&w->mu);
			w->queued -= r;
			pthread_mutex_unlock(&w->mu);
		}
		if (insert(db, &cl->ins, &w->h, &cl->rows[i]) < 0) {
			rc = -1;
			break;
		}
		pthread_mutex_lock(&w->mu);
		w->queued++;
		pthread_mutex_unlock(&w->mu);
	}
	if (rc == 0)
		rc = obq_cursor_set(db, w->h.name, cl->rows[n - 1].id);
	if (rc == 0 && below > cl->trimmed + CLAIM_MAX) {
		rc = obq_trim(db, below);
		if (rc == 0)
			cl->trimmed = below;
	}
	if (rc < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_lock(&w->mu);
		w->queued = count_queued(db, w->h.name);
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	atomic_store(&w->cursor, cl->rows[n - 1].id);
	if (dropped > 0) {
		uint64_t total;

		pthread_mutex_lock(&w->mu);
		w->dropped += (uint64_t)dropped;
		w->shed += (uint64_t)dropped;
		total = w->dropped;
		pthread_mutex_unlock(&w->mu);
		/* said once, then every 10,000: the receiver is away for long */
		if (total == (uint64_t)dropped || total / 10000 != (total - (uint64_t)dropped) / 10000)
			log_warn("hook %s: queue full (%u deliveries): the oldest of the lowest "
				 "severity is dropped; %llu dropped so far", w->h.name,
				 w->h.queue_max, (unsigned long long)total);
	}
	return n;
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
	int64_t done[BATCH], resync = ob_wall() + RESYNC_S;
	char err[256], answer[512];
	struct ratecap rc = { NULL, 0, 0 };
	struct claimer *cl = NULL;
	uint64_t last_round = 0;
	bool batch = snd != NULL && send_batches(snd);

	/* the worker this one replaces sends until it sees quit: one sender per
	   hook. Waited for even when this one is told to quit meanwhile (a
	   worker that replaces this one waits for it in turn), without nap():
	   that returns at once then. */
	for (struct worker *p; (p = atomic_load(&w->prev)) != NULL && !atomic_load(&ob->stop);) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (atomic_load(&p->exited)) {
			atomic_store(&w->prev, NULL);   /* reap() may free it now */
			break;
		}
		nanosleep(&ts, NULL);
	}
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

	cl = calloc(1, sizeof(*cl));
	if (cl == NULL || snd == NULL || open_db(ob->db_path, &db, err, sizeof(err)) < 0 ||
	    sqlite3_prepare_v3(db, "SELECT id, alert_id, next_at, attempts, reason FROM "
			       "hook_deliveries WHERE hook = ?1 AND state = 'queued' ORDER BY id "
			       "LIMIT ?2", -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		note_err(w, "cannot start: the database cannot be opened");
		send_free(snd);
		sqlite3_close(db);
		free(rc.t);
		free(cl);
		atomic_store(&w->exited, true);
		return NULL;
	}
	/* where the worker before it (if any) left the hook's cursor, and its
	   queue's depth: what it delivered or claimed after this one was made
	   is not in the count of worker_new() (queue-max would drop too many) */
	{
		int64_t c = 0, depth = count_queued(db, w->h.name);

		if (obq_cursor(db, w->h.name, &c) == 0)
			atomic_store(&w->cursor, c);
		pthread_mutex_lock(&w->mu);
		w->queued = depth;
		pthread_mutex_unlock(&w->mu);
	}
	{
		char name[16];

		snprintf(name, sizeof(name), "hook %s", w->h.name);
		pthread_setname_np(pthread_self(), name);
	}
	while (!stopping(w)) {
		int n = 0, nd = 0, bfirst = 0, bn = 0;  /* rows bfirst.. in snd's batch: bn */
		bool hold = false;
		int64_t now = ob_wall();
		uint64_t mnow = mono_ms();

		if (mnow < atomic_load(&ob->ingest_until) && mnow - last_round < YIELD_MAX_MS) {
			nap(w, 10);
			continue;
		}
		last_round = mnow;

		/* rows of other hooks are passed over without a transaction;
		   one claiming transaction a round */
		while (!stopping(w) && claim(w, db, cl) == CLAIM_MAX && !cl->wrote)
			;

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

			now = ob_wall();
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
					if (mark_done(w, db, done, nd, ob_wall()) < 0)
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
		if (mark_done(w, db, done, nd, ob_wall()) < 0)
			note_err(w, "cannot mark deliveries done in the database");
		if (hold)
			nap(w, 250);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(cl->rd);
	sqlite3_finalize(cl->ins);
	free(cl);
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

/*
 * At start, once every hook is known (console.conf's and the database's):
 * deliveries queued for a hook no longer configured are dropped, said in
 * the log, and outbox rows that name no hook left are deleted. Nothing
 * would send them, and they would keep their alerts from retention.
 */
static void sweep_gone(struct outbox *ob)
{
	char gone[OUTBOX_MAX_HOOKS][HOOK_NAME_MAX + 1];
	sqlite3_stmt *st = NULL, *del = NULL;
	int ng = 0;

	if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return;
	/* the hooks that have deliveries, one index seek each (not a walk of
	   every delivery ever made): "the next name after this one" */
	if (sqlite3_prepare_v2(ob->db, "SELECT min(hook) FROM hook_deliveries WHERE hook > ?1", -1,
			       &st, NULL) == SQLITE_OK) {
		char last[HOOK_NAME_MAX + 1] = "";

		while (ng < OUTBOX_MAX_HOOKS) {
			const char *h;

			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, last, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_ROW ||
			    (h = (const char *)sqlite3_column_text(st, 0)) == NULL ||
			    strlen(h) > HOOK_NAME_MAX)
				break;
			snprintf(last, sizeof(last), "%s", h);
			if (ob_find(ob, last) < 0)
				snprintf(gone[ng++], sizeof(gone[0]), "%s", last);
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	for (int i = 0; i < ng; i++) {
		if (sqlite3_prepare_v2(ob->db, "UPDATE hook_deliveries SET state = 'dropped', "
				       "last_at = ?2, answer = 'dropped: the hook is no longer "
				       "configured' WHERE hook = ?1 AND state = 'queued'", -1, &st,
				       NULL) != SQLITE_OK)
			break;
		sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ob_wall());
		if (sqlite3_step(st) == SQLITE_DONE)
			log_warn("hook %s: %d queued deliveries dropped: the hook is no longer "
				 "configured", gone[i], sqlite3_changes(ob->db));
		sqlite3_finalize(st);
		st = NULL;
	}
	/* the newest row stays whatever it names: a rowid is never reused (obq.h) */
	if (sqlite3_prepare_v2(ob->db, "SELECT id, hooks FROM hook_outbox WHERE id < (SELECT "
			       "max(id) FROM hook_outbox)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(ob->db, "DELETE FROM hook_outbox WHERE id = ?1", -1, &del, NULL) ==
		    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *hooks = (const char *)sqlite3_column_text(st, 1);
			bool named = false;

			for (int i = 0; i < ob->n && !named && hooks != NULL; i++)
				named = obq_names(hooks, ob->w[i]->h.name);
			if (named)
				continue;
			sqlite3_reset(del);
			sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 0));
			sqlite3_step(del);
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	if (sqlite3_exec(ob->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
}

void outbox_ingest_backlog(struct outbox *ob)
{
	if (ob != NULL)
		atomic_store(&ob->ingest_until, mono_ms() + INGEST_BUSY_MS);
}

int outbox_run(struct outbox *ob, char *err, size_t errlen)
{
	sweep_gone(ob);
	ob->running = true;
	for (int i = 0; i < ob->n; i++)
		if (worker_start(ob->w[i], err, errlen) < 0)
			return -1;
	return 0;
}

/* Whether a worker still waits for w to exit (its prev). */
static bool awaited(const struct outbox *ob, const struct worker *w)
{
	for (int i = 0; i < ob->n; i++)
		if (atomic_load(&ob->w[i]->prev) == w)
			return true;
	for (const struct worker *r = ob->retired; r != NULL; r = r->next_retired)
		if (atomic_load(&r->prev) == w)
			return true;
	return false;
}

/* Join and free the retired workers that have finished and that no worker
   waits for (all: wait for them). */
static void reap(struct outbox *ob, bool all)
{
	struct worker **pp = &ob->retired;

	while (*pp != NULL) {
		struct worker *w = *pp;

		if (all || ((!w->started || atomic_load(&w->exited)) && !awaited(ob, w))) {
			*pp = w->next_retired;
			worker_free(w);
		} else {
			pp = &w->next_retired;
		}
	}
}

/* The newest retired worker of hook name still running, or NULL. */
static struct worker *running_retired(struct outbox *ob, const char *name)
{
	for (struct worker *r = ob->retired; r != NULL; r = r->next_retired)
		if (strcmp(r->h.name, name) == 0)
			return r->started && !atomic_load(&r->exited) ? r : NULL;
	return NULL;
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


int outbox_put(struct outbox *ob, const struct hook_def *h, char *err, size_t errlen)
{
	int i = ob_find(ob, h->name);
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
		struct worker *old = retire(ob, i);

		atomic_store(&w->prev, old->started ? old : NULL);
		ob->w[i] = w;
	} else {
		/* a hook deleted and made again: its old worker may still send */
		atomic_store(&w->prev, running_retired(ob, h->name));
		ob->w[ob->n++] = w;
	}
	pthread_mutex_unlock(&ob->hmu);
	if (ob->running && worker_start(w, err, errlen) < 0) {
		/* no worker: the hook is listed with the reason, its rows wait */
		snprintf(w->last_err, sizeof(w->last_err), "%.255s", err);
		w->last_err_at = ob_wall();
		return -1;
	}
	return 0;
}

int outbox_remove(struct outbox *ob, const char *name, char *err, size_t errlen)
{
	int i = ob_find(ob, name);

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

/* ---- the store's side ------------------------------------------------------------------------ */

int store_set_outbox(struct store *s, struct outbox *ob, char *err, size_t errlen)
{
	if (outbox_schema(s->db, err, errlen) < 0)
		return -1;
	sqlite3_finalize(s->outbox_put);
	s->outbox_put = NULL;
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
	return enqueue(s->outbox, s->db, &s->outbox_put, id, &v, is_new, "raised", ob_wall(), &n, err,
		       errlen);
}

int st_outbox_escalated(struct store *s, int64_t id, const struct alert_in *a, char *err,
			size_t errlen)
{
	struct hook_alert_view v = { a->kind, a->sensor_id, a->host, a->sig, a->severity, a->ts };
	int n = 0;

	if (s->outbox == NULL)
		return 0;
	return enqueue(s->outbox, s->db, &s->outbox_put, id, &v, true, "escalated", ob_wall(), &n, err,
		       errlen);
}

int st_outbox_audit(struct store *s, int64_t id, int64_t ts, const char *user,
		    const char *addr, const char *action, char *err, size_t errlen)
{
	int n = 0;

	if (s->outbox == NULL)
		return 0;
	return enqueue_audit(s->outbox, s->db, &s->outbox_put, id, ts, user, addr, action, &n, err,
			     errlen);
}
