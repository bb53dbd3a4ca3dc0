/*
 * store_ext.c - the schema's additions for what sensors may claim,
 * retention and quotas, the audit chain and the dashboard's daily roll-up.
 *
 * They are made on open, each only when it is missing (a column looked up
 * in PRAGMA table_info, tables and indexes IF NOT EXISTS), all in one
 * transaction: a file of schema version 2 made before them, or made by a
 * console that has them, opens the same way and the additions never
 * depend on the order in which other schema changes were made.
 *
 *  events.claim, events.flags   what the sensor said that the console did
 *                               not take (a JSON object), and STORE_FLAG_*
 *  alerts.claimed_host, alerts.flags   the same for the alert's first event
 *  audit.prev_hash, audit.hash  the chain (store_audit.c); entries written
 *                               before the chain existed have ''
 *  sensor_quota                 refused batches and events per sensor
 *  alert_day, blocked_day       the dashboard's daily roll-up, kept by
 *                               triggers (store_rollup.c)
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#include "errf.h"

/* 1 when table has column, 0 when not, -1 on error. */
static int has_column(struct store *s, const char *table, const char *col, char *err,
		      size_t errlen)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc, found = 0;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = st_col_str(st, 1);

		if (name != NULL && strcmp(name, col) == 0)
			found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, sql);
	return found;
}

static const struct {
	const char *table, *col, *sql;
} columns[] = {
	{ "events", "claim", "ALTER TABLE events ADD COLUMN claim TEXT NOT NULL DEFAULT ''" },
	{ "events", "flags", "ALTER TABLE events ADD COLUMN flags INTEGER NOT NULL DEFAULT 0" },
	{ "alerts", "claimed_host",
	  "ALTER TABLE alerts ADD COLUMN claimed_host TEXT NOT NULL DEFAULT ''" },
	{ "alerts", "flags", "ALTER TABLE alerts ADD COLUMN flags INTEGER NOT NULL DEFAULT 0" },
	{ "audit", "prev_hash", "ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''" },
	{ "audit", "hash", "ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT ''" },
};

/* Objects made when missing; the roll-up is filled once when it is made. */
static const char tables_sql[] =
	"CREATE TABLE IF NOT EXISTS sensor_quota ("
	" sensor_id TEXT PRIMARY KEY NOT NULL,"
	" refused_batches INTEGER NOT NULL DEFAULT 0,"
	" refused_events INTEGER NOT NULL DEFAULT 0,"
	" refused_bytes INTEGER NOT NULL DEFAULT 0,"
	" last_refused INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	/* retention keeps the first event of every alert it keeps */
	"CREATE INDEX IF NOT EXISTS alerts_event ON alerts (event_sensor_id, event_seq);";

int st_schema_ext(struct store *s, char *err, size_t errlen)
{
	int r;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "extending the schema");
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		r = has_column(s, columns[i].table, columns[i].col, err, errlen);
		if (r < 0)
			goto fail;
		if (r == 0 && sqlite3_exec(s->db, columns[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
			st_dberr(s, err, errlen, columns[i].sql);
			goto fail;
		}
	}
	if (sqlite3_exec(s->db, tables_sql, NULL, NULL, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "extending the schema");
		goto fail;
	}
	if (st_rollup_schema(s, err, errlen) < 0)
		goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "extending the schema");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
