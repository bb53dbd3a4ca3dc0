/*
 * obq.h - the hooks' outbox as the store writes it (table hook_outbox).
 *
 * The transaction that stores an alert writes one row for it here, naming
 * every hook whose filter it passed: one insert per alert whatever the
 * number of hooks, so that hooks cost the ingest path almost nothing. Each
 * hook's worker (outbox.c) then claims the rows that name its hook into
 * its own queue (hook_deliveries) in a transaction of its own, which also
 * moves the hook's cursor (table hook_cursor): a row is claimed once, and
 * a row written is never lost, whatever is killed when.
 *
 * Rows are appended in commit order (one writer at a time, rowids rising)
 * and taken away once every hook's cursor has passed them; the newest row
 * always stays, so a rowid is never handed out twice.
 */
#ifndef KASTRO_OBQ_H
#define KASTRO_OBQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define OBQ_SCHEMA_SQL                                                                  \
	"CREATE TABLE IF NOT EXISTS hook_outbox ("                                      \
	" id INTEGER PRIMARY KEY,"                                                      \
	" alert_id INTEGER NOT NULL,"                                                   \
	" reason TEXT NOT NULL,"                                                        \
	" severity INTEGER NOT NULL,"                                                   \
	" created INTEGER NOT NULL,"                                                    \
	" hooks TEXT NOT NULL"                                                          \
	") STRICT;"                                                                     \
	"CREATE TABLE IF NOT EXISTS hook_cursor ("                                      \
	" hook TEXT PRIMARY KEY,"                                                       \
	" upto INTEGER NOT NULL"                                                        \
	") STRICT;"

/* Bytes of a row's hook list: names joined by commas. */
#define OBQ_HOOKS_MAX 1200

/* One row as a worker reads it. */
struct obq_row {
	int64_t id, alert_id, created;
	int severity;
	bool mine;                      /* names the hook asked about */
	char reason[16];
};

/* Append name to the comma-joined list hooks (size len). -1: no room. */
int obq_add_name(char *hooks, size_t len, const char *name);

/* Whether the comma-joined list hooks names name. */
bool obq_names(const char *hooks, const char *name);

/*
 * In the caller's open transaction on db: the row for alert_id. *st is a
 * statement kept by the caller for db (prepared here when NULL; the caller
 * finalizes it), or st NULL for one prepared and finalized here. 0 or -1
 * with err.
 */
int obq_put(sqlite3 *db, sqlite3_stmt **st, int64_t alert_id, const char *reason, int severity,
	    int64_t created, const char *hooks, char *err, size_t errlen);

/*
 * Up to max rows after id after, oldest first, each with mine set when it
 * names hook. *st: the caller's statement for db, prepared when NULL.
 * Returns the number read, or -1.
 */
int obq_read(sqlite3 *db, sqlite3_stmt **st, int64_t after, const char *hook,
	     struct obq_row *rows, int max);

/* The cursor of hook: the last row it claimed (0: none). -1 on error. */
int obq_cursor(sqlite3 *db, const char *hook, int64_t *upto);

/* In the caller's transaction: hook's cursor set to upto. 0 or -1. */
int obq_cursor_set(sqlite3 *db, const char *hook, int64_t upto);

/* In the caller's transaction: the rows every hook has passed (id below
 * below) taken away. 0 or -1. */
int obq_trim(sqlite3 *db, int64_t below);

/*
 * The newest time alert_id was queued for hook, claimed or not: *last,
 * or 0 when never. 0, or -1 on error.
 */
int obq_last_queued(sqlite3 *db, int64_t alert_id, const char *hook, int64_t *last);

#endif
