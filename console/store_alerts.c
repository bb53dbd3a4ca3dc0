/*
 * store_alerts.c - the console's alerts: listing with keyset paging (one
 * prepared statement per set of filters in use, s->aq[]), status,
 * assignment, notes, related events and the dashboard's counts. Alert rows
 * are made by ingest (st_alert_make() in store_ingest.c).
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"

/* ---- alerts -------------------------------------------------------------------- */

static int alert_row(sqlite3_stmt *st, struct store_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	if (st_col_copy(st, 1, a->kind, sizeof(a->kind)) < 0 ||
	    st_col_copy(st, 2, a->sensor_id, sizeof(a->sensor_id)) < 0 ||
	    st_col_copy(st, 3, a->host, sizeof(a->host)) < 0 ||
	    st_col_copy(st, 5, a->signature, sizeof(a->signature)) < 0 ||
	    st_col_copy(st, 6, a->category, sizeof(a->category)) < 0 ||
	    st_col_copy(st, 8, a->action, sizeof(a->action)) < 0 ||
	    st_col_copy(st, 12, a->status, sizeof(a->status)) < 0 ||
	    st_col_copy(st, 14, a->status_by, sizeof(a->status_by)) < 0 ||
	    st_col_copy(st, 15, a->assignee, sizeof(a->assignee)) < 0 ||
	    st_col_copy(st, 16, a->event_sensor_id, sizeof(a->event_sensor_id)) < 0 ||
	    st_col_copy(st, 18, a->app, sizeof(a->app)) < 0 ||
	    st_col_copy(st, 19, a->claimed_host, sizeof(a->claimed_host)) < 0)
		return -1;
	a->flags = (unsigned)sqlite3_column_int(st, 20);
	a->signature_id = sqlite3_column_int64(st, 4);
	a->severity = sqlite3_column_int(st, 7);
	a->first_seen = sqlite3_column_int64(st, 9);
	a->last_seen = sqlite3_column_int64(st, 10);
	a->count = sqlite3_column_int64(st, 11);
	a->status_at = sqlite3_column_int64(st, 13);
	a->event_seq = sqlite3_column_int64(st, 17);
	return 0;
}

/* A filter, checked, as the statement shape and its parameters. */
struct aq {
	unsigned shape;
	int64_t since, upto, upto_id;   /* last_seen in [since, upto]; at upto, id < upto_id */
	unsigned limit;
	char pattern[2 * STORE_TEXT_MAX + 3];   /* LIKE '%text%', escaped */
};

static int aq_check(const struct store_alert_filter *f, struct aq *q, char *err, size_t errlen)
{
	char *p;

	memset(q, 0, sizeof(*q));
	if (f->severity_max < 0 || f->severity_max > 4)
		return errf(err, errlen, "severity_max: expected 1 to 4, or 0 for any");
	if (f->severity_max > 0)
		q->shape |= AQ_SEV;
	if (f->status != NULL) {
		if (strcmp(f->status, "open") == 0)
			q->shape |= AQ_OPEN;
		else if (strcmp(f->status, "new") == 0 || strcmp(f->status, "acknowledged") == 0 ||
			 strcmp(f->status, "resolved") == 0)
			q->shape |= AQ_STATUS;
		else
			return errf(err, errlen, "status: expected new, acknowledged, resolved or open");
	}
	if (f->sensor_id != NULL) {
		if (st_check_word("sensor", f->sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
			return -1;
		q->shape |= AQ_SENSOR;
	}
	if (f->host != NULL) {
		if (st_check_text("host", f->host, STORE_HOST_MAX, TX_EMPTY, err, errlen) < 0)
			return -1;
		q->shape |= AQ_HOST;
	}
	if (f->text != NULL && f->text[0] != '\0') {
		if (st_check_text("search text", f->text, STORE_TEXT_MAX, 0, err, errlen) < 0)
			return -1;
		p = q->pattern;
		*p++ = '%';
		for (const char *t = f->text; *t; t++) {
			if (*t == '%' || *t == '_' || *t == '\\')
				*p++ = '\\';
			*p++ = *t;
		}
		*p++ = '%';
		*p = '\0';
		q->shape |= AQ_TEXT;
	}
	if (f->since < 0 || f->until < 0 || f->after_id < 0)
		return errf(err, errlen, "since, until, after_id: expected numbers >= 0");
	if (f->limit > STORE_PAGE_MAX)
		return errf(err, errlen, "limit: expected 1 to %d", STORE_PAGE_MAX);
	q->since = f->since;
	/* One upper bound on last_seen, the lower of the cursor's and
	 * until's: SQLite starts the index walk at only one of two. */
	q->upto = f->until > 0 ? f->until - 1 : INT64_MAX;
	q->upto_id = INT64_MAX;
	if (f->after_id > 0 && f->after_last_seen <= q->upto) {
		q->upto = f->after_last_seen;
		q->upto_id = f->after_id;
	}
	q->limit = f->limit > 0 ? f->limit : STORE_PAGE_DEFAULT;
	return 0;
}

/*
 * The listing's SQL for a shape. The cursor is written as a range on
 * last_seen plus a tie-break on id so the index walk starts at the cursor
 * (a plain (a, b) < (x, y) is not turned into a range by SQLite).
 * Parameter 2 is not used.
 */
static void aq_sql(unsigned shape, const char *prefix, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%sSELECT " ALERT_COLS " FROM alerts WHERE last_seen >= ?1 "
		 "AND last_seen <= ?3 AND (last_seen < ?3 OR id < ?4)%s%s%s%s%s%s "
		 "ORDER BY last_seen DESC, id DESC LIMIT ?10",
		 prefix, shape & AQ_SEV ? " AND severity <= ?5" : "",
		 shape & AQ_STATUS ? " AND status = ?6" : "",
		 shape & AQ_OPEN ? " AND status <> 'resolved'" : "",
		 shape & AQ_SENSOR ? " AND sensor_id = ?7" : "",
		 shape & AQ_HOST ? " AND host = ?8" : "",
		 shape & AQ_TEXT ? " AND signature LIKE ?9 ESCAPE '\\'" : "");
}

static void aq_bind(sqlite3_stmt *st, const struct store_alert_filter *f, const struct aq *q)
{
	sqlite3_bind_int64(st, 1, q->since);
	sqlite3_bind_int64(st, 3, q->upto);
	sqlite3_bind_int64(st, 4, q->upto_id);
	sqlite3_bind_int(st, 5, f->severity_max);
	st_bind_text(st, 6, q->shape & AQ_STATUS ? f->status : NULL);
	st_bind_text(st, 7, f->sensor_id);
	st_bind_text(st, 8, f->host);
	st_bind_text(st, 9, q->shape & AQ_TEXT ? q->pattern : NULL);
	sqlite3_bind_int64(st, 10, (int64_t)q->limit + 1);
}

int store_alert_query(struct store *s, const struct store_alert_filter *f, store_alert_cb cb,
		      void *arg, struct store_alert_page *page, char *err, size_t errlen)
{
	struct store_alert a;
	struct store_alert_page pg;
	struct aq q;
	sqlite3_stmt *st;
	char sql[1024];
	int rc, r = 0;

	memset(&pg, 0, sizeof(pg));
	if (page != NULL)
		*page = pg;
	if (f == NULL)
		return errf(err, errlen, "alert filter: missing");
	if (aq_check(f, &q, err, errlen) < 0)
		return -1;
	if (q.shape & AQ_TEXT) {
		/* A text in no signature at all: no need to walk the alerts. */
		st = st_stmt(s, ST_SIGNATURE_ANY, err, errlen);
		if (st == NULL)
			return -1;
		st_bind_text(st, 1, q.pattern);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return st_dberr(s, err, errlen, "searching the signatures");
	}
	st = s->aq[q.shape];
	if (st == NULL) {
		aq_sql(q.shape, "", sql, sizeof(sql));
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->aq[q.shape],
				       NULL) != SQLITE_OK)
			return st_dberr(s, err, errlen, "preparing the alert listing");
		st = s->aq[q.shape];
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	aq_bind(st, f, &q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (pg.rows == q.limit) {
			pg.more = 1;
			break;
		}
		if (alert_row(st, &a) < 0) {
			r = errf(err, errlen, "alert %" PRId64 ": a stored value is too long",
				 (int64_t)sqlite3_column_int64(st, 0));
			break;
		}
		pg.rows++;
		pg.next_last_seen = a.last_seen;
		pg.next_id = a.id;
		if (cb(arg, &a) != 0) {
			/* Stopped early: is there a next row? */
			rc = sqlite3_step(st);
			pg.more = rc == SQLITE_ROW;
			if (rc == SQLITE_DONE)
				rc = SQLITE_ROW;
			break;
		}
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = st_dberr(s, err, errlen, "listing alerts");
	sqlite3_reset(st);
	if (r == 0 && page != NULL)
		*page = pg;
	return r;
}

int store_alert_query_plan(struct store *s, const struct store_alert_filter *f, char *buf,
			   size_t len, char *err, size_t errlen)
{
	struct aq q;
	sqlite3_stmt *st;
	char sql[1100];
	size_t used = 0;
	int rc, r = 0;

	if (buf == NULL || len == 0)
		return errf(err, errlen, "query plan: no room");
	buf[0] = '\0';
	if (f == NULL)
		return errf(err, errlen, "alert filter: missing");
	if (aq_check(f, &q, err, errlen) < 0)
		return -1;
	aq_sql(q.shape, "EXPLAIN QUERY PLAN ", sql, sizeof(sql));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "preparing the query plan");
	aq_bind(st, f, &q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = st_col_str(st, 3);
		int k = snprintf(buf + used, len - used, "%s%s", used > 0 ? "; " : "",
				 d != NULL ? d : "");

		if (k < 0 || (size_t)k >= len - used) {
			r = errf(err, errlen, "query plan: longer than %zu bytes", len);
			break;
		}
		used += (size_t)k;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = st_dberr(s, err, errlen, "query plan");
	sqlite3_finalize(st);
	return r;
}

int store_alert_get(struct store *s, int64_t id, struct store_alert *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_ALERT_GET, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "no alert %" PRId64, id);
	} else if (rc != SQLITE_ROW) {
		r = st_dberr(s, err, errlen, "reading an alert");
	} else if (alert_row(st, out) < 0) {
		r = errf(err, errlen, "alert %" PRId64 ": a stored value is too long", id);
	}
	sqlite3_reset(st);
	return r;
}

/* Run st (bound) that changes alert id: -1 "no alert" when nothing changed. */
static int alert_change(struct store *s, sqlite3_stmt *st, int64_t id, const char *what,
			char *err, size_t errlen)
{
	int64_t n;

	if (st_run(s, st, what, &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "no alert %" PRId64, id);
}

int store_alert_set_status(struct store *s, int64_t id, const char *status, const char *user,
			   int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (status == NULL || (strcmp(status, "new") != 0 && strcmp(status, "acknowledged") != 0 &&
			       strcmp(status, "resolved") != 0))
		return errf(err, errlen, "status: expected new, acknowledged or resolved");
	if (user != NULL && user[0] != '\0' &&
	    st_check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_ALERT_SET_STATUS, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	st_bind_text(st, 2, status);
	sqlite3_bind_int64(st, 3, now);
	st_bind_text(st, 4, user != NULL ? user : "");
	return alert_change(s, st, id, "setting an alert's status", err, errlen);
}

int store_alert_assign(struct store *s, int64_t id, const char *assignee, char *err, size_t errlen)
{
	struct store_user u;
	sqlite3_stmt *st;
	int r;

	memset(&u, 0, sizeof(u));
	if (assignee != NULL && assignee[0] != '\0') {
		r = store_user_get_by_name(s, assignee, &u, err, errlen);
		if (r < 0)
			return -1;
		if (r == STORE_NOT_FOUND || u.disabled) {
			explicit_bzero(&u, sizeof(u));
			return errf(err, errlen, "assignee: no enabled user %s", assignee);
		}
	}
	st = st_stmt(s, ST_ALERT_ASSIGN, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	/* The stored spelling of the name, whatever case was asked for. */
	st_bind_text(st, 2, u.name);
	r = alert_change(s, st, id, "assigning an alert", err, errlen);
	explicit_bzero(&u, sizeof(u));
	return r;
}

int store_alert_note_add(struct store *s, int64_t alert_id, const char *user, int64_t now,
			 const char *text, int64_t *id_out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t exists = 0, notes = 0;
	int rc;

	if (st_check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0 ||
	    st_check_text("note", text, STORE_NOTE_MAX, TX_LINES, err, errlen) < 0)
		return -1;
	if (st_begin(s, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_NOTE_COUNT, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, alert_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		exists = sqlite3_column_int64(st, 0);
		notes = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		st_dberr(s, err, errlen, "counting notes");
		goto fail;
	}
	if (exists == 0) {
		errf(err, errlen, "no alert %" PRId64, alert_id);
		goto fail;
	}
	if (notes >= STORE_NOTES_PER_ALERT) {
		errf(err, errlen, "alert %" PRId64 ": at most %d notes", alert_id,
		     STORE_NOTES_PER_ALERT);
		goto fail;
	}
	st = st_stmt(s, ST_NOTE_ADD, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, now);
	st_bind_text(st, 3, user);
	st_bind_text(st, 4, text);
	if (st_run(s, st, "adding a note", NULL, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return st_finish(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}

int store_alert_notes(struct store *s, int64_t alert_id, store_note_cb cb, void *arg,
		      char *err, size_t errlen)
{
	struct store_note *row;
	sqlite3_stmt *st = st_stmt(s, ST_NOTE_LIST, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	row = malloc(sizeof(*row));
	if (row == NULL)
		return errf(err, errlen, "notes: out of memory");
	sqlite3_bind_int64(st, 1, alert_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(row, 0, sizeof(*row));
		row->id = sqlite3_column_int64(st, 0);
		row->alert_id = sqlite3_column_int64(st, 1);
		row->ts = sqlite3_column_int64(st, 2);
		if (st_col_copy(st, 3, row->user, sizeof(row->user)) < 0 ||
		    st_col_copy(st, 4, row->text, sizeof(row->text)) < 0) {
			r = errf(err, errlen, "notes: a stored value is too long");
			break;
		}
		if (cb(arg, row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = st_dberr(s, err, errlen, "reading notes");
	sqlite3_reset(st);
	free(row);
	return r;
}

/* Up to max event row ids from st (bound) into ids; *n gets how many. */
static int collect_ids(struct store *s, sqlite3_stmt *st, int64_t *ids, unsigned max, unsigned *n,
		       char *err, size_t errlen)
{
	int rc;

	*n = 0;
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	if (*n < max && rc != SQLITE_DONE) {
		st_dberr(s, err, errlen, "finding related events");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int store_alert_related_events(struct store *s, const char *host, int64_t around_ts,
			       unsigned limit, store_event_cb cb, void *arg,
			       char *err, size_t errlen)
{
	struct store_event ev;
	sqlite3_stmt *st;
	int64_t *ids;
	unsigned nb = 0, na = 0, tb, ta;
	int rc, r = 0;

	if (st_check_text("host", host, STORE_HOST_MAX, 0, err, errlen) < 0 ||
	    st_check_limit(limit, err, errlen) < 0)
		return -1;
	ids = calloc(2 * (size_t)limit, sizeof(*ids));
	if (ids == NULL)
		return errf(err, errlen, "related events: out of memory");
	/* Row ids first (nearest first on each side), so no event body is
	 * read that is not given out. */
	st = st_stmt(s, ST_RELATED_BEFORE, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, host);
	sqlite3_bind_int64(st, 2, around_ts);
	sqlite3_bind_int(st, 3, (int)limit);
	if (collect_ids(s, st, ids, limit, &nb, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_RELATED_AFTER, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, host);
	sqlite3_bind_int64(st, 2, around_ts);
	sqlite3_bind_int(st, 3, (int)limit);
	if (collect_ids(s, st, ids + limit, limit, &na, err, errlen) < 0)
		goto fail;
	/* Half and half; a side with too few leaves its room to the other. */
	tb = (limit + 1) / 2;
	ta = limit / 2;
	if (nb < tb) {
		ta = limit - nb < na ? limit - nb : na;
		tb = nb;
	} else if (na < ta) {
		tb = limit - na < nb ? limit - na : nb;
		ta = na;
	}
	st = st_stmt(s, ST_EVENT_BY_ROWID, err, errlen);
	if (st == NULL)
		goto fail;
	for (unsigned k = 0; k < tb + ta; k++) {
		/* before: nearest first, so given out in reverse; then after */
		int64_t id = k < tb ? ids[tb - 1 - k] : ids[limit + (k - tb)];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW) {
			st_dberr(s, err, errlen, "reading a related event");
			goto fail;
		}
		if (st_event_row(st, &ev) < 0) {
			errf(err, errlen, "event: a stored value is too long");
			goto fail;
		}
		if (cb(arg, &ev) != 0)
			break;
	}
	sqlite3_reset(st);
	free(ids);
	return r;
fail:
	if (st != NULL)
		sqlite3_reset(st);
	free(ids);
	return -1;
}

int store_alert_counts_by_severity(struct store *s, int64_t counts[5], char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_ALERT_SEV_COUNTS, err, errlen);
	int rc;

	for (int i = 0; i < 5; i++)
		counts[i] = 0;
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int sev = sqlite3_column_int(st, 0);

		if (sev >= 1 && sev <= 4)
			counts[sev] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : st_dberr(s, err, errlen, "counting alerts");
}

int store_alert_histogram(struct store *s, int64_t since, int64_t bucket_s, store_bucket_cb cb,
			  void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (since < 0 || bucket_s < 1)
		return errf(err, errlen, "histogram: expected since >= 0 and buckets of 1 s or more");
	if (st_rollup_covers(since, bucket_s))
		return st_rollup_histogram(s, since, cb, arg, err, errlen);
	st = st_stmt(s, ST_ALERT_HISTOGRAM, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, bucket_s);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		       sqlite3_column_int64(st, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : st_dberr(s, err, errlen, "alert histogram");
}

int store_top_blocked(struct store *s, int64_t since, unsigned limit, const char *by,
		      store_count_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	enum st_id id;

	if (by != NULL && strcmp(by, "signature") == 0)
		id = ST_TOP_BLOCKED_SIG;
	else if (by != NULL && strcmp(by, "host") == 0)
		id = ST_TOP_BLOCKED_HOST;
	else if (by != NULL && strcmp(by, "app") == 0)
		id = ST_TOP_BLOCKED_APP;
	else
		return errf(err, errlen, "top blocked: group by \"signature\", \"host\" or \"app\"");
	if (st_check_limit(limit, err, errlen) < 0)
		return -1;
	if (st_rollup_covers(since, 0))
		return st_rollup_top_blocked(s, since, limit, by, cb, arg, err, errlen);
	st = st_stmt(s, id, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, (int)limit);
	return st_name_counts(s, st, cb, arg, "top blocked", err, errlen);
}
