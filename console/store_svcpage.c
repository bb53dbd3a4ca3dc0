/*
 * store_svcpage.c - see store_svcpage.h.
 */
#include <stdio.h>

#include "store_int.h"
#include "store_svcpage.h"

static const char rt_schema[] =
	"CREATE TABLE IF NOT EXISTS svc_rt ("
	" service TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS svc_rt_check ON svc_rt (service, key, ts);";

int svcpage_init(struct store *s, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, rt_schema, NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "response times table");
	return 0;
}

static sqlite3_stmt *prep(struct store *s, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "service page statement");
		return NULL;
	}
	return st;
}

int svcpage_rt_add(struct store *s, const char *service, const char *key, int64_t ts, int ms,
		   char *err, size_t errlen)
{
	static const char *const sql[2] = {
		"INSERT INTO svc_rt (service, key, ts, ms) VALUES (?1, ?2, ?3, ?4)",
		"DELETE FROM svc_rt WHERE service = ?1 AND key = ?2 AND ts < ?3 - ?4",
	};

	if (ms < 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = prep(s, sql[i], err, errlen);
		int rc;

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, ts);
		sqlite3_bind_int64(st, 4, i == 0 ? ms : SVCPAGE_RT_KEEP);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return st_dberr(s, err, errlen, "record a response time");
	}
	return 0;
}

int svcpage_rt(struct store *s, const char *service, const char *key, int64_t from, int64_t to,
	       unsigned points, svcpage_rt_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (points == 0)
		points = 1;
	/* the buckets divide the span from the first point in the window on */
	st = prep(s, "WITH f AS (SELECT coalesce(min(ts), ?3) AS f0 FROM svc_rt WHERE service = ?1"
		  " AND key = ?2 AND ts >= ?3 AND ts < ?4)"
		  " SELECT min(ts), avg(ms), max(ms) FROM svc_rt, f WHERE service = ?1 AND key = ?2"
		  " AND ts >= ?3 AND ts < ?4 GROUP BY (ts - f0) * ?5 / max(?4 - f0, 1) ORDER BY 1",
		  err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int64(st, 5, points);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct svcpage_rt_point p = {
			.ts = sqlite3_column_int64(st, 0),
			.avg = sqlite3_column_double(st, 1),
			.max = sqlite3_column_int(st, 2),
		};

		if (cb(&p, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "read response times");
	return 0;
}

int svcpage_history(struct store *s, const char *service, const char *key, int64_t from,
		    svcpage_change_cb cb, void *arg, bool *cut, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(s, "SELECT ts, state, maintenance FROM ("
				" SELECT ts, state, maintenance, id FROM svc_history WHERE service = ?1"
				" AND key = ?2 AND ts < ?3 ORDER BY ts DESC, id DESC LIMIT 1)"
				" UNION ALL SELECT ts, state, maintenance FROM ("
				" SELECT ts, state, maintenance, id FROM svc_history"
				" WHERE service = ?1 AND key = ?2 AND ts >= ?3 ORDER BY ts, id LIMIT ?4)",
				err, errlen);
	unsigned n = 0;
	int rc;

	*cut = false;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, SVCPAGE_HISTORY_MAX + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct svcpage_change ch = {
			.ts = sqlite3_column_int64(st, 0),
			.state = (const char *)sqlite3_column_text(st, 1),
			.maintenance = sqlite3_column_int(st, 2),
		};

		if (ch.state == NULL)
			ch.state = "";
		if (ch.ts >= from && ++n > SVCPAGE_HISTORY_MAX) {
			*cut = true;
			break;
		}
		if (cb(&ch, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "read the state history");
	return 0;
}
