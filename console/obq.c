/*
 * obq.c - the hooks' outbox rows as the store writes them and the workers
 * claim them (obq.h).
 */
#include <stdio.h>
#include <string.h>

#include "obq.h"

int obq_add_name(char *hooks, size_t len, const char *name)
{
	size_t have = strlen(hooks), n = strlen(name);

	if (have + (have > 0) + n + 1 > len)
		return -1;
	if (have > 0)
		hooks[have++] = ',';
	memcpy(hooks + have, name, n + 1);
	return 0;
}

bool obq_names(const char *hooks, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = hooks; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t k = e != NULL ? (size_t)(e - p) : strlen(p);

		if (k == n && memcmp(p, name, n) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static int prepared(sqlite3 *db, sqlite3_stmt **keep, sqlite3_stmt **st, const char *sql)
{
	if (keep != NULL && *keep != NULL) {
		sqlite3_reset(*keep);
		*st = *keep;
		return 0;
	}
	if (sqlite3_prepare_v3(db, sql, -1, keep != NULL ? SQLITE_PREPARE_PERSISTENT : 0, st,
			       NULL) != SQLITE_OK)
		return -1;
	if (keep != NULL)
		*keep = *st;
	return 0;
}

static void done_with(sqlite3_stmt **keep, sqlite3_stmt *st)
{
	if (keep == NULL)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
}

int obq_put(sqlite3 *db, sqlite3_stmt **keep, int64_t alert_id, const char *reason, int severity,
	    int64_t created, const char *hooks, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prepared(db, keep, &st, "INSERT INTO hook_outbox (alert_id, reason, severity, created, "
		     "hooks) VALUES (?1, ?2, ?3, ?4, ?5)") < 0) {
		snprintf(err, errlen, "queueing deliveries: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, severity);
	sqlite3_bind_int64(st, 4, created);
	sqlite3_bind_text(st, 5, hooks, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "queueing deliveries: %s", sqlite3_errmsg(db));
	sqlite3_clear_bindings(st);
	done_with(keep, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int obq_read(sqlite3 *db, sqlite3_stmt **keep, int64_t after, const char *hook,
	     struct obq_row *rows, int max)
{
	sqlite3_stmt *st;
	int n = 0, rc = SQLITE_DONE;

	if (prepared(db, keep, &st, "SELECT id, alert_id, reason, severity, created, hooks FROM "
		     "hook_outbox WHERE id > ?1 ORDER BY id LIMIT ?2") < 0)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct obq_row *r = &rows[n++];
		const char *reason = (const char *)sqlite3_column_text(st, 2);
		const char *hooks = (const char *)sqlite3_column_text(st, 5);

		r->id = sqlite3_column_int64(st, 0);
		r->alert_id = sqlite3_column_int64(st, 1);
		snprintf(r->reason, sizeof(r->reason), "%s", reason != NULL ? reason : "");
		r->severity = sqlite3_column_int(st, 3);
		r->created = sqlite3_column_int64(st, 4);
		r->mine = hooks != NULL && obq_names(hooks, hook);
	}
	if (n < max && rc != SQLITE_DONE)
		n = -1;
	done_with(keep, st);
	return n;
}

int obq_cursor(sqlite3 *db, const char *hook, int64_t *upto)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*upto = 0;
	if (sqlite3_prepare_v2(db, "SELECT upto FROM hook_cursor WHERE hook = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, hook, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*upto = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int exec2(sqlite3 *db, const char *sql, const char *text, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int obq_cursor_set(sqlite3 *db, const char *hook, int64_t upto)
{
	return exec2(db, "INSERT INTO hook_cursor (hook, upto) VALUES (?1, ?2) "
		     "ON CONFLICT (hook) DO UPDATE SET upto = excluded.upto", hook, upto);
}

int obq_trim(sqlite3 *db, int64_t below)
{
	return exec2(db, "DELETE FROM hook_outbox WHERE id < ?2", NULL, below);
}

int obq_last_queued(sqlite3 *db, int64_t alert_id, const char *hook, int64_t *last)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*last = 0;
	/* claimed: hook_deliveries' index on (alert_id, hook); not yet: the
	   few rows of hook_outbox, read through */
	if (sqlite3_prepare_v2(db, "SELECT max(c) FROM (SELECT max(created) AS c FROM "
			       "hook_deliveries WHERE alert_id = ?1 AND hook = ?2 UNION ALL "
			       "SELECT max(created) FROM hook_outbox WHERE alert_id = ?1 AND "
			       "instr(',' || hooks || ',', ',' || ?2 || ',') > 0)", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_text(st, 2, hook, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*last = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
