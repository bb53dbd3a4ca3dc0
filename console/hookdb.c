/*
 * hookdb.c - hooks made in the console (hookdb.h): their table in the
 * console's database, the check of their text by console.conf's grammar,
 * and their changes written together with the audit entry. A store module
 * (store_int.h): it writes through the store's connection so that the
 * change and its audit entry share a transaction.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"
#include "hookdb.h"
#include "svcalert.h"

static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS hook_defs ("
	" name TEXT PRIMARY KEY,"
	" text TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" updated_by TEXT NOT NULL DEFAULT ''"
	") STRICT;";

int hookdb_schema(struct store *s, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "creating the table of hooks");
	return 0;
}

int hookdb_list(struct store *s, hookdb_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT name, text, created, updated, updated_by FROM "
			       "hook_defs ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "listing the hooks");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hookdb_row r;

		memset(&r, 0, sizeof(r));
		if (st_col_copy(st, 0, r.name, sizeof(r.name)) < 0)
			continue;
		r.text = (const char *)sqlite3_column_text(st, 1);
		r.created = sqlite3_column_int64(st, 2);
		r.updated = sqlite3_column_int64(st, 3);
		if (st_col_copy(st, 4, r.by, sizeof(r.by)) < 0)
			r.by[0] = '\0';
		if (r.text == NULL || cb(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "listing the hooks");
	return 0;
}

/* One statement with up to four bound values (text, text, int, int); changes into *ch. */
static int run(struct store *s, const char *sql, const char *t1, const char *t2, int64_t i3,
	       const char *t4, int64_t *ch, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "writing the hooks");
	if (t1 != NULL)
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
	if (t2 != NULL)
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, i3);
	if (t4 != NULL)
		sqlite3_bind_text(st, 4, t4, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "writing the hooks");
	if (ch != NULL)
		*ch = sqlite3_changes(s->db);
	return 0;
}

static int64_t count_rows(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM hook_defs", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int hookdb_put(struct store *s, const struct hook_def *h, const char *text, bool create,
	       int64_t now, const char *user, const char *addr, char *err, size_t errlen)
{
	char url[HOOK_URL_MAX + 8], detail[HOOK_URL_MAX + 128];
	int64_t ch = 0;

	hook_url_public(h, url, sizeof(url));
	snprintf(detail, sizeof(detail), "%s: %s %s", h->name, hook_kind_name(h->kind), url);
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (create) {
		int64_t n = count_rows(s);

		if (n < 0 || n >= HOOKDB_MAX) {
			st_rollback(s);
			if (n < 0)
				return st_dberr(s, err, errlen, "counting the hooks");
			errf(err, errlen, "too many hooks made in the console, the limit is %d",
			     HOOKDB_MAX);
			return -1;
		}
		if (run(s, "INSERT INTO hook_defs (name, text, created, updated, updated_by) "
			"VALUES (?1, ?2, ?3, ?3, ?4) ON CONFLICT (name) DO NOTHING", h->name, text,
			now, user != NULL ? user : "", &ch, err, errlen) < 0)
			goto fail;
	} else if (run(s, "UPDATE hook_defs SET text = ?2, updated = ?3, updated_by = ?4 "
		       "WHERE name = ?1", h->name, text, now, user != NULL ? user : "", &ch, err,
		       errlen) < 0) {
		goto fail;
	}
	if (ch == 0) {
		st_rollback(s);
		return 1;
	}
	if (store_audit(s, now, user, addr, create ? "hook.create" : "hook.update", detail, err,
			errlen) < 0 ||
	    st_commit(s, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	st_rollback(s);
	return -1;
}

int hookdb_delete(struct store *s, const char *name, bool drop_queued, int64_t now,
		  const char *user, const char *addr, char *err, size_t errlen)
{
	int64_t ch = 0;

	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (run(s, "DELETE FROM hook_defs WHERE name = ?1", name, NULL, 0, NULL, &ch, err,
		errlen) < 0)
		goto fail;
	if (ch == 0) {
		st_rollback(s);
		return 1;
	}
	if ((drop_queued &&
	     run(s, "UPDATE hook_deliveries SET state = 'dropped', answer = 'the hook was deleted' "
		 "WHERE hook = ?1 AND state = 'queued'", name, NULL, 0, NULL, NULL, err, errlen) < 0) ||
	    store_audit(s, now, user, addr, "hook.delete", name, err, errlen) < 0 ||
	    st_commit(s, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	st_rollback(s);
	return -1;
}

int hookdb_full_alert(struct store *s, const char *hook, uint64_t shed, uint32_t queue_max,
		      int64_t now, int64_t *alert_id, char *err, size_t errlen)
{
	char sig[128], ts[32];
	char *body = NULL;
	sqlite3_stmt *st = NULL;
	int64_t open_id = 0, seq = 0;
	bool inserted, is_new;
	struct tm tm;
	time_t t = (time_t)now;
	json_t *j;
	int rc;

	*alert_id = 0;
	if (gmtime_r(&t, &tm) == NULL)
		return errf(err, errlen, "now: expected a time after 1970");
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(sig, sizeof(sig), "Hook queue full: %s dropped deliveries", hook);
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM alerts WHERE sensor_id = ?1 AND kind = "
			       "'hook_queue_full' AND host = ?2 AND status <> 'resolved' "
			       "ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "finding the hook's alert");
		goto fail;
	}
	st_bind_text(st, 1, SVCALERT_SENSOR);
	st_bind_text(st, 2, hook);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		open_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st_dberr(s, err, errlen, "finding the hook's alert");
		goto fail;
	}
	if (open_id > 0) {
		/* one open alert per hook: it counts what happened since */
		if (sqlite3_prepare_v2(s->db, "UPDATE alerts SET count = count + 1, last_seen = "
				       "max(last_seen, ?2) WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
			st_dberr(s, err, errlen, "counting on the hook's alert");
			goto fail;
		}
		sqlite3_bind_int64(st, 1, open_id);
		sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			st_dberr(s, err, errlen, "counting on the hook's alert");
			goto fail;
		}
		*alert_id = open_id;
		return st_finish(s, err, errlen);
	}
	if (st_console_seq(s, SVCALERT_SENSOR, &seq, err, errlen) < 0)
		goto fail;
	j = json_pack("{s:s,s:s,s:s,s:I,s:I}", "timestamp", ts, "event_type", "hook_queue_full",
		      "hook", hook, "queue_max", (json_int_t)queue_max, "dropped", (json_int_t)shed);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	{
		struct alert_in a = {
			.kind = "hook_queue_full", .sensor_id = SVCALERT_SENSOR, .host = hook,
			.sig = sig, .category = "hook", .action = "dropped", .sig_id = -1,
			.ts = now, .seq = seq, .severity = 2,
		};

		if (st_event_insert(s, SVCALERT_SENSOR, seq, now, now, "hook_queue_full", hook,
				    body, strlen(body), &inserted, err, errlen) < 0 ||
		    st_alert_make(s, &a, alert_id, &is_new, err, errlen) < 0)
			goto fail;
	}
	free(body);
	if (st_finish(s, err, errlen) < 0) {
		st_rollback(s);
		return -1;
	}
	return 0;
fail:
	free(body);
	st_rollback(s);
	return -1;
}
