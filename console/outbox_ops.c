/*
 * outbox_ops.c - the outbox as the console's loop sees it (outbox.h): each
 * hook's status and counters, test deliveries through a hook bypassing its
 * queue, and the operator's retry, drop and listing of deliveries.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "outbox_int.h"
#include "send.h"

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
	int64_t now = ob_wall();
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
	int i, k = ob != NULL ? ob_find(ob, name) : -1;
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
	int i = ob_find(ob, hook);

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
		return ob_dberr(ob->db, err, errlen, "reading a delivery");
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
		return ob_dberr(ob->db, err, errlen, "changing a delivery");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, was, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ob_dberr(ob->db, err, errlen, "changing a delivery");
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
		return ob_dberr(ob->db, err, errlen, "listing deliveries");
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
		return ob_dberr(ob->db, err, errlen, "listing deliveries");
	return 0;
}

