/*
 * store_services.c - see store_services.h. Tables of their own, made with
 * CREATE TABLE IF NOT EXISTS beside the store's versioned schema (they
 * need no migration of the others). Statements are prepared per call:
 * checks change at most every few seconds each, pings at the rate limit.
 */
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "store_int.h"
#include "store_services.h"
#include "store_svcpage.h"

static const char svc_schema[] =
	"CREATE TABLE IF NOT EXISTS svc_checks ("
	" service TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'new',"
	" since INTEGER NOT NULL,"
	" last_ok INTEGER NOT NULL DEFAULT 0,"
	" last_ping INTEGER NOT NULL DEFAULT 0,"
	" last_start INTEGER NOT NULL DEFAULT 0,"
	" last_exit INTEGER NOT NULL DEFAULT -1,"
	" pings INTEGER NOT NULL DEFAULT 0,"
	/* probes */
	" hard INTEGER NOT NULL DEFAULT 1,"
	" attempt INTEGER NOT NULL DEFAULT 0,"
	" last_check INTEGER NOT NULL DEFAULT 0,"
	" ms INTEGER NOT NULL DEFAULT -1,"
	" output TEXT NOT NULL DEFAULT '',"
	" cert_expiry INTEGER NOT NULL DEFAULT 0,"
	" flapping INTEGER NOT NULL DEFAULT 0,"
	" maintenance INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (service, key)"
	") STRICT, WITHOUT ROWID;"
	/* hard state changes of every check, for uptime and the timeline */
	"CREATE TABLE IF NOT EXISTS svc_history ("
	" id INTEGER PRIMARY KEY,"
	" service TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" state TEXT NOT NULL,"
	" maintenance INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS svc_history_check ON svc_history (service, key, ts);"
	"CREATE TABLE IF NOT EXISTS svc_pings ("
	" id INTEGER PRIMARY KEY,"
	" service TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" what TEXT NOT NULL,"
	" exit_code INTEGER NOT NULL,"
	" addr TEXT NOT NULL,"
	" body BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS svc_pings_check ON svc_pings (service, key, id);";

void svcstore_key(const struct inv_check *c, char out[SVC_KEY_MAX])
{
	size_t n;

	if (c->kind == INV_CHK_PUSH || c->kind == INV_CHK_PLUGIN)
		snprintf(out, SVC_KEY_MAX, "%s", c->name);
	else if (c->kind == INV_CHK_DNS)
		snprintf(out, SVC_KEY_MAX, "dns %s %s", c->target, c->dns_type);
	else if (c->port != 0)
		snprintf(out, SVC_KEY_MAX, "%s %s:%u", inv_kind_name(c->kind), c->target, c->port);
	else
		snprintf(out, SVC_KEY_MAX, "%s %s", inv_kind_name(c->kind), c->target);
	/* the same check from a sensor is another check */
	n = strlen(out);
	if (c->from[0] != '\0' && n < SVC_KEY_MAX)
		snprintf(out + n, SVC_KEY_MAX - n, " from %s", c->from);
}

int svcstore_init(struct store *s, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, svc_schema, NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "services tables");
	return svcpage_init(s, err, errlen);
}

static sqlite3_stmt *prep(struct store *s, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "services statement");
		return NULL;
	}
	return st;
}

/* Step a statement that returns no rows, and finalize it. */
static int run(struct store *s, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, what);
	return 0;
}

int svcstore_sync(struct store *s, const struct inventory *inv, int64_t now, char *err,
		  size_t errlen)
{
	char key[SVC_KEY_MAX];

	if (inv == NULL)
		return 0;
	if (st_begin(s, err, errlen) < 0)
		return -1;
	for (int i = 0; i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			const struct inv_check *c = &inv->svc[i].checks[j];
			sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO svc_checks (service, key, "
						"kind, since) VALUES (?, ?, ?, ?)", err, errlen);

			if (st == NULL)
				goto fail;
			svcstore_key(c, key);
			sqlite3_bind_text(st, 1, inv->svc[i].name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, inv_kind_name(c->kind), -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, now);
			if (run(s, st, "services: add a check", err, errlen) < 0)
				goto fail;
		}
	return st_commit(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}

/*
 * A hard state change of a check. Changes older than SVC_HISTORY_KEEP go
 * at each write, but the newest of them: it is the check's state when the
 * kept time begins (uptime over 365 days, the SLA reports of past months).
 */
static int history_add(struct store *s, const char *service, const char *key, const char *state,
		       int64_t ts, int maintenance, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO svc_history (service, key, ts, state, maintenance) "
				"VALUES (?, ?, ?, ?, ?)", err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_text(st, 4, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, maintenance);
	if (run(s, st, "services: record a state change", err, errlen) < 0)
		return -1;
	st = prep(s, "DELETE FROM svc_history WHERE service = ?1 AND key = ?2 AND ts < ?3 AND "
		  "id < (SELECT max(id) FROM svc_history WHERE service = ?1 AND key = ?2 AND "
		  "ts < ?3)", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, ts - SVC_HISTORY_KEEP);
	return run(s, st, "services: forget old state changes", err, errlen);
}

static int read_row(sqlite3_stmt *st, struct svc_row *r)
{
	if (st_col_copy(st, 0, r->service, sizeof(r->service)) < 0 ||
	    st_col_copy(st, 1, r->key, sizeof(r->key)) < 0 ||
	    st_col_copy(st, 2, r->kind, sizeof(r->kind)) < 0 ||
	    st_col_copy(st, 3, r->state, sizeof(r->state)) < 0)
		return -1;
	r->since = sqlite3_column_int64(st, 4);
	r->last_ok = sqlite3_column_int64(st, 5);
	r->last_ping = sqlite3_column_int64(st, 6);
	r->last_start = sqlite3_column_int64(st, 7);
	r->last_exit = sqlite3_column_int(st, 8);
	r->pings = sqlite3_column_int64(st, 9);
	r->hard = sqlite3_column_int(st, 10);
	r->attempt = sqlite3_column_int(st, 11);
	r->last_check = sqlite3_column_int64(st, 12);
	r->ms = sqlite3_column_int(st, 13);
	if (st_col_copy(st, 14, r->output, sizeof(r->output)) < 0)
		r->output[0] = '\0';
	r->cert_expiry = sqlite3_column_int64(st, 15);
	r->flapping = sqlite3_column_int(st, 16);
	r->maintenance = sqlite3_column_int(st, 17);
	return 0;
}

#define ROW_COLS "service, key, kind, state, since, last_ok, last_ping, last_start, last_exit, " \
	"pings, hard, attempt, last_check, ms, output, cert_expiry, flapping, maintenance"

int svcstore_get(struct store *s, const char *service, const char *key, struct svc_row *out,
		 char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT " ROW_COLS " FROM svc_checks WHERE service = ? AND "
				"key = ?", err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		errf(err, errlen, "no check \"%s\" in service \"%s\"", key, service);
		return STORE_NOT_FOUND;
	}
	if (rc != SQLITE_ROW || read_row(st, out) < 0) {
		st_dberr(s, err, errlen, "services: read a check");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int svcstore_list(struct store *s, svcstore_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT " ROW_COLS " FROM svc_checks ORDER BY service, key",
				err, errlen);
	struct svc_row r;
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_row(st, &r) < 0)
			continue;
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "services: list the checks");
	return 0;
}

int svcstore_set_state(struct store *s, const char *service, const char *key,
		       const char *state, int64_t now, int *changed, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "UPDATE svc_checks SET state = ?, since = ? WHERE service = ? "
				"AND key = ? AND state <> ?", err, errlen);

	*changed = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, state, -1, SQLITE_TRANSIENT);
	if (run(s, st, "services: set a state", err, errlen) < 0)
		return -1;
	*changed = sqlite3_changes(s->db) > 0;
	if (*changed)
		return history_add(s, service, key, state, now, 0, err, errlen);
	return 0;
}

int svcstore_result(struct store *s, const struct svc_row *r, int hard_changed, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st;

	if (st_begin(s, err, errlen) < 0)
		return -1;
	st = prep(s, "UPDATE svc_checks SET state = ?, since = ?, hard = ?, attempt = ?, "
		  "last_check = ?, ms = ?, output = ?, cert_expiry = ?, flapping = ?, "
		  "maintenance = ?, last_ok = ? WHERE service = ? AND key = ?", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, r->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->since);
	sqlite3_bind_int(st, 3, r->hard);
	sqlite3_bind_int(st, 4, r->attempt);
	sqlite3_bind_int64(st, 5, r->last_check);
	sqlite3_bind_int(st, 6, r->ms);
	sqlite3_bind_text(st, 7, r->output, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, r->cert_expiry);
	sqlite3_bind_int(st, 9, r->flapping);
	sqlite3_bind_int(st, 10, r->maintenance);
	sqlite3_bind_int64(st, 11, r->last_ok);
	sqlite3_bind_text(st, 12, r->service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 13, r->key, -1, SQLITE_TRANSIENT);
	if (run(s, st, "services: record a result", err, errlen) < 0)
		goto fail;
	if (svcpage_rt_add(s, r->service, r->key, r->last_check, r->ms, err, errlen) < 0)
		goto fail;
	if (hard_changed && history_add(s, r->service, r->key, r->state, r->last_check,
					r->maintenance, err, errlen) < 0)
		goto fail;
	return st_commit(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}

int svcstore_uptime(struct store *s, const char *service, const char *key, int64_t from,
		    int64_t now, double *fraction, char *err, size_t errlen)
{
	/* the state at `from` is the last change before it; then each change */
	sqlite3_stmt *st = prep(s, "SELECT ts, state, maintenance FROM ("
				" SELECT ts, state, maintenance FROM svc_history WHERE service = ?1"
				" AND key = ?2 AND ts < ?3 ORDER BY ts DESC, id DESC LIMIT 1)"
				" UNION ALL SELECT ts, state, maintenance FROM svc_history"
				" WHERE service = ?1 AND key = ?2 AND ts >= ?3 ORDER BY 1", err, errlen);
	int64_t at = from, up = 0, counted = 0;
	char state[SVC_STATE_MAX + 1] = "";
	int maint = 0, rc;

	*fraction = -1;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);

		if (ts > at && state[0] != '\0' && !maint) {
			counted += ts - at;
			if (strcmp(state, "OK") == 0 || strcmp(state, "up") == 0)
				up += ts - at;
		}
		if (ts > at)
			at = ts;
		st_col_copy(st, 1, state, sizeof(state));
		maint = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "services: uptime");
	if (now > at && state[0] != '\0' && !maint) {
		counted += now - at;
		if (strcmp(state, "OK") == 0 || strcmp(state, "up") == 0)
			up += now - at;
	}
	if (counted > 0)
		*fraction = (double)up / (double)counted;
	return 0;
}

static const char *const ping_names[] = {
	[SVC_PING_SUCCESS] = "success", [SVC_PING_FAIL] = "fail", [SVC_PING_START] = "start",
	[SVC_PING_EXIT] = "exit",
};

int svcstore_ping(struct store *s, const char *service, const char *key, int64_t now,
		  enum svc_ping what, int exit_code, const char *addr, const char *body,
		  size_t body_len, int *changed, char *err, size_t errlen)
{
	const char *state = NULL;
	sqlite3_stmt *st;

	*changed = 0;
	if (what == SVC_PING_SUCCESS || (what == SVC_PING_EXIT && exit_code == 0))
		state = "up";
	else if (what == SVC_PING_FAIL || what == SVC_PING_EXIT)
		state = "down";
	if (body == NULL)
		body_len = 0;
	if (body_len > SVC_BODY_MAX)
		body_len = SVC_BODY_MAX;
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (state != NULL && svcstore_set_state(s, service, key, state, now, changed, err,
						errlen) < 0)
		goto fail;
	st = prep(s, "UPDATE svc_checks SET last_ping = ?1, pings = pings + 1,"
		  " last_ok = CASE WHEN ?2 = 'up' THEN ?1 ELSE last_ok END,"
		  " last_start = CASE WHEN ?3 THEN ?1 ELSE last_start END,"
		  " last_exit = CASE WHEN ?4 >= 0 THEN ?4 ELSE last_exit END"
		  " WHERE service = ?5 AND key = ?6", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, state != NULL ? state : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, what == SVC_PING_START);
	sqlite3_bind_int(st, 4, what == SVC_PING_EXIT ? exit_code : -1);
	sqlite3_bind_text(st, 5, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, key, -1, SQLITE_TRANSIENT);
	if (run(s, st, "services: record a ping", err, errlen) < 0)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		errf(err, errlen, "no check \"%s\" in service \"%s\"", key, service);
		goto fail;
	}
	st = prep(s, "INSERT INTO svc_pings (service, key, ts, what, exit_code, addr, body) "
		  "VALUES (?, ?, ?, ?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, ping_names[what], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, what == SVC_PING_EXIT ? exit_code : -1);
	sqlite3_bind_text(st, 6, addr != NULL ? addr : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 7, body_len > 0 ? body : "", (int)body_len, SQLITE_TRANSIENT);
	if (run(s, st, "services: log a ping", err, errlen) < 0)
		goto fail;
	/* keep the newest SVC_PINGS_KEPT of this check */
	st = prep(s, "DELETE FROM svc_pings WHERE service = ?1 AND key = ?2 AND id <= "
		  "(SELECT id FROM svc_pings WHERE service = ?1 AND key = ?2 ORDER BY id DESC "
		  "LIMIT 1 OFFSET ?3)", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, SVC_PINGS_KEPT);
	if (run(s, st, "services: prune the pings", err, errlen) < 0)
		goto fail;
	return st_commit(s, err, errlen);
fail:
	st_rollback(s);
	*changed = 0;
	return -1;
}

int svcstore_pings(struct store *s, const char *service, const char *key, unsigned limit,
		   svcstore_ping_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct svc_ping_row r;
	int rc;

	if (st_check_limit(limit, err, errlen) < 0)
		return -1;
	st = prep(s, "SELECT ts, what, exit_code, addr, body FROM svc_pings WHERE service = ? "
		  "AND key = ? ORDER BY id DESC LIMIT ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.ts = sqlite3_column_int64(st, 0);
		st_col_copy(st, 1, r.what, sizeof(r.what));
		r.exit_code = sqlite3_column_int(st, 2);
		if (st_col_copy(st, 3, r.addr, sizeof(r.addr)) < 0)
			r.addr[0] = '\0';
		r.body = (const char *)sqlite3_column_text(st, 4);
		if (r.body == NULL)
			r.body = "";
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "services: list the pings");
	return 0;
}
