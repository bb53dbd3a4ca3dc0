/*
 * store_rollup.c - the dashboard's daily roll-up: alert rows and their
 * events per day of first_seen (alert_day), and blocked events per day of
 * last_seen by signature, host and application (blocked_day), kept by
 * triggers on alerts as rows are made, counted again, and deleted. A
 * month's dashboard then reads about 30 rows for its histogram and a few
 * thousand for its top lists, not a million alert rows.
 *
 * Exact, not an estimate: a row's whole count sits in the day of its
 * first_seen (histogram) and of its last_seen (top lists), as the
 * statements over alerts count it, so for a `since` at a UTC midnight and
 * buckets of a day the answers are the same; other shapes use the alerts
 * table as before (store_alerts.c). Days are UTC (unix seconds / 86400).
 */
#include "store_int.h"

#include <string.h>

#include "errf.h"

#define DAY_S 86400

/* blocked_day.kind */
enum { BK_SIG, BK_HOST, BK_APP };

static const char rollup_tables_sql[] =
	"CREATE TABLE alert_day ("
	" day INTEGER PRIMARY KEY,"
	" rows INTEGER NOT NULL,"
	" events INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE blocked_day ("
	" day INTEGER NOT NULL,"
	" kind INTEGER NOT NULL,"         /* 0 signature, 1 host, 2 application */
	" name TEXT NOT NULL,"
	" events INTEGER NOT NULL,"
	" PRIMARY KEY (day, kind, name)"
	") STRICT, WITHOUT ROWID;"
	/* filled once from what is there */
	"INSERT INTO alert_day (day, rows, events) "
	" SELECT first_seen / 86400, count(*), sum(count) FROM alerts GROUP BY 1;"
	"INSERT INTO blocked_day (day, kind, name, events)"
	" SELECT last_seen / 86400, 0, signature, sum(count) FROM alerts WHERE action = 'blocked' GROUP BY 1, 3"
	" UNION ALL"
	" SELECT last_seen / 86400, 1, host, sum(count) FROM alerts WHERE action = 'blocked' GROUP BY 1, 3"
	" UNION ALL"
	" SELECT last_seen / 86400, 2, app, sum(count) FROM alerts WHERE action = 'blocked' GROUP BY 1, 3;";

/* The three names of a blocked alert row r (new or old). */
#define BLOCKED_ROWS(r)                                                                  \
	"SELECT " r ".last_seen / 86400 AS d, 0 AS k, " r ".signature AS v, " r ".count AS n " \
	"WHERE " r ".action = 'blocked' "                                                \
	"UNION ALL SELECT " r ".last_seen / 86400, 1, " r ".host, " r ".count "          \
	"WHERE " r ".action = 'blocked' "                                                \
	"UNION ALL SELECT " r ".last_seen / 86400, 2, " r ".app, " r ".count "           \
	"WHERE " r ".action = 'blocked'"

#define ADD_NEW                                                                          \
	" INSERT INTO alert_day (day, rows, events) VALUES (new.first_seen / 86400, 1, new.count)" \
	"  ON CONFLICT (day) DO UPDATE SET rows = rows + 1, events = events + excluded.events;" \
	" INSERT INTO blocked_day (day, kind, name, events) SELECT d, k, v, n FROM ("          \
	BLOCKED_ROWS("new") ") WHERE true"                                               \
	"  ON CONFLICT (day, kind, name) DO UPDATE SET events = events + excluded.events;"
#define SUB_OLD                                                                          \
	" UPDATE alert_day SET rows = rows - 1, events = events - old.count"             \
	"  WHERE day = old.first_seen / 86400;"                                          \
	" UPDATE blocked_day SET events = events - old.count WHERE old.action = 'blocked' AND " \
	"  day = old.last_seen / 86400 AND ((kind = 0 AND name = old.signature) OR "     \
	"  (kind = 1 AND name = old.host) OR (kind = 2 AND name = old.app));"

/*
 * An alert counted again mostly stays in its days: then one UPDATE of
 * each table adds the difference (the ingest path runs it for every
 * repeat); only a row whose first or last day moves is taken out and put
 * back. A row's signature, host, application and action never change
 * after it is made (nothing updates them), so the update triggers watch
 * only the counted columns.
 */
#define SAME_DAYS "old.first_seen / 86400 = new.first_seen / 86400 AND " \
		  "old.last_seen / 86400 = new.last_seen / 86400"

static const char rollup_triggers_sql[] =
	"CREATE TRIGGER alerts_rollup_insert AFTER INSERT ON alerts BEGIN" ADD_NEW " END;"
	"CREATE TRIGGER alerts_rollup_count AFTER UPDATE OF count, first_seen, last_seen ON alerts"
	" WHEN " SAME_DAYS " BEGIN"
	" UPDATE alert_day SET events = events + new.count - old.count"
	"  WHERE day = new.first_seen / 86400;"
	" UPDATE blocked_day SET events = events + new.count - old.count WHERE new.action = 'blocked'"
	"  AND day = new.last_seen / 86400 AND ((kind = 0 AND name = new.signature) OR "
	"  (kind = 1 AND name = new.host) OR (kind = 2 AND name = new.app));"
	" END;"
	"CREATE TRIGGER alerts_rollup_move AFTER UPDATE OF count, first_seen, last_seen ON alerts"
	" WHEN NOT (" SAME_DAYS ") BEGIN" SUB_OLD ADD_NEW " END;"
	"CREATE TRIGGER alerts_rollup_delete AFTER DELETE ON alerts BEGIN" SUB_OLD " END;";

/* In the caller's transaction (st_schema_ext): made and filled when missing. */
int st_rollup_schema(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
			       "name = 'alert_day'", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "looking for the roll-up");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "looking for the roll-up");
	if (sqlite3_exec(s->db, rollup_tables_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, rollup_triggers_sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "making the dashboard's roll-up");
	return 0;
}

bool st_rollup_covers(int64_t since, int64_t bucket_s)
{
	return since >= 0 && since % DAY_S == 0 && (bucket_s == 0 || bucket_s == DAY_S);
}

int st_rollup_histogram(struct store *s, int64_t since, store_bucket_cb cb, void *arg,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_ROLLUP_HISTOGRAM, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since / DAY_S);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, sqlite3_column_int64(st, 0) * DAY_S, sqlite3_column_int64(st, 1),
		       sqlite3_column_int64(st, 2)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : st_dberr(s, err, errlen, "alert histogram (roll-up)");
}

int st_rollup_top_blocked(struct store *s, int64_t since, unsigned limit, const char *by,
			  store_count_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_ROLLUP_TOP, err, errlen);
	int kind = strcmp(by, "signature") == 0 ? BK_SIG : strcmp(by, "host") == 0 ? BK_HOST : BK_APP;

	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_int64(st, 2, since / DAY_S);
	sqlite3_bind_int(st, 3, (int)limit);
	return st_name_counts(s, st, cb, arg, "top blocked (roll-up)", err, errlen);
}
