/*
 * store_int.h - what the console's store modules (store.c, store_*.c) share
 * and nothing else includes: the connection and its prepared statements,
 * the checks every value passes before it is bound, and the few row
 * helpers one table's file lends another. The contract for callers is
 * store.h.
 *
 * Every helper here returns -1 (or NULL) with err and never logs; err may
 * be NULL. Statements are reset before they are returned by st_stmt() and
 * again as soon as their rows are read.
 */
#ifndef KASTRO_STORE_INT_H
#define KASTRO_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* ---- statements ---------------------------------------------------------------- */

/* The fixed statements; their SQL is st_sql[] in store.c. */
enum st_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BATCH_BEGIN, ST_BATCH_END, ST_BATCH_UNDO,
	/* ingest and events */
	ST_EVENT_INSERT, ST_EVENT_GET, ST_EVENT_MINSEQ, ST_SENSOR_INGESTED,
	ST_ALERT_FIND, ST_ALERT_BUMP, ST_ALERT_INSERT, ST_ALERT_ESCALATE,
	/* sensors */
	ST_SENSOR_ADD, ST_SENSOR_GET, ST_SENSOR_LIST, ST_SENSOR_REVOKE, ST_SENSOR_CMDS_EXPIRE,
	ST_SENSOR_SEEN, ST_SENSOR_SILENT, ST_SENSOR_MARK, ST_SENSOR_COUNTS,
	/* enrolment tokens */
	ST_TOKEN_ADD, ST_TOKEN_USE, ST_TOKEN_GET, ST_TOKEN_LIST, ST_TOKEN_DELETE,
	/* users */
	ST_USER_ADD, ST_USER_BY_NAME, ST_USER_BY_ID, ST_USER_LIST, ST_USER_SET_PW, ST_USER_SET_TOTP,
	ST_USER_SET_STEP, ST_USER_SET_ROLE, ST_USER_SET_DISABLED, ST_USER_ADMINS,
	/* sessions and API tokens */
	ST_SESSION_ADD, ST_SESSION_GET, ST_SESSION_TOUCH, ST_SESSION_DELETE, ST_SESSION_DELETE_USER,
	ST_SESSION_EXPIRE,
	ST_APITOK_ADD, ST_APITOK_LOOKUP, ST_APITOK_TOUCH, ST_APITOK_DELETE, ST_APITOK_LIST,
	ST_APITOK_LIST_ALL, ST_SESSION_END_OTHERS, ST_APITOK_END_OTHERS,
	/* audit */
	ST_AUDIT_ADD, ST_AUDIT_LIST, ST_AUDIT_LAST, ST_AUDIT_WALK,
	ST_ROLLUP_HISTOGRAM, ST_ROLLUP_TOP,
	/* alerts */
	ST_ALERT_GET, ST_ALERT_SET_STATUS, ST_ALERT_ASSIGN, ST_NOTE_COUNT, ST_NOTE_ADD, ST_NOTE_LIST,
	ST_RELATED_BEFORE, ST_RELATED_AFTER, ST_EVENT_BY_ROWID, ST_ALERT_SEV_COUNTS,
	ST_ALERT_HISTOGRAM, ST_SIGNATURE_ANY, ST_TOP_BLOCKED_SIG, ST_TOP_BLOCKED_HOST, ST_TOP_BLOCKED_APP,
	/* commands */
	ST_CMD_ADD, ST_CMD_PENDING, ST_CMD_DELIVERED, ST_CMD_GET, ST_CMD_RESULT, ST_CMD_LIST,
	ST_CMD_LIST_SENSOR, ST_CMD_EXPIRE,
	ST_COUNT
};

/* Columns in the order the row readers expect them. */
#define ALERT_COLS                                                                          \
	"id, kind, sensor_id, host, signature_id, signature, category, severity, action, " \
	"first_seen, last_seen, count, status, status_at, status_by, assignee, "            \
	"event_sensor_id, event_seq, app, claimed_host, flags"
#define SENSOR_COLS \
	"id, kind, hostname, coalesce(cert_serial, ''), enrolled_at, last_seen, revoked_at, " \
	"offline_alerted, acked_seq"
#define USER_COLS \
	"id, name, role, pw_hash, totp_secret, totp_last_step, created_at, disabled"
#define CMD_COLS \
	"id, sensor_id, type, args, created_at, created_by, delivered_at, done_at, status, result"
#define EVENT_COLS "sensor_id, seq, ts, event_type, host, body"

/* Alert listing shapes: which optional filters the WHERE clause has. */
#define AQ_SEV     0x01
#define AQ_STATUS  0x02
#define AQ_OPEN    0x04
#define AQ_SENSOR  0x08
#define AQ_HOST    0x10
#define AQ_TEXT    0x20
#define AQ_SHAPES  0x40

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *aq[AQ_SHAPES];
	int64_t dedup_s;
	int64_t optimize_at;            /* store_maintain(): next optimize; 0: not set */
	int64_t prune_event_id;         /* store_prune(): events up to here walked this pass */
	int rc;                         /* extended result code of the last failed st_run() */
	bool ready;                     /* opened: ours, current, WAL */
	bool group;                     /* store_group_begin() opened a transaction */
	struct outbox *outbox;          /* hooks' deliveries (outbox.c); NULL: none */
	sqlite3_stmt *outbox_put;       /* obq_put()'s statement on db, made at first use */
};
/* ---- schema additions (store_ext.c) ------------------------------------------- */

/* Add what is missing of the additions, in one transaction. */
int st_schema_ext(struct store *s, char *err, size_t errlen);

/* store_rollup.c: the dashboard's daily roll-up (made in st_schema_ext's
 * transaction); whether it answers a histogram or top list from since
 * (bucket_s 0: a top list); and those answers. */
int st_rollup_schema(struct store *s, char *err, size_t errlen);
bool st_rollup_covers(int64_t since, int64_t bucket_s);
int st_rollup_histogram(struct store *s, int64_t since, store_bucket_cb cb, void *arg,
			char *err, size_t errlen);
int st_rollup_top_blocked(struct store *s, int64_t since, unsigned limit, const char *by,
			  store_count_cb cb, void *arg, char *err, size_t errlen);

/* store_retention.c: 1 when the alert's hook deliveries are pending (keep
 * it), 0 when not, -1 on error; outbox: table hook_deliveries exists. */
int st_alert_hooks_pending(struct store *s, int64_t alert_id, bool outbox, char *err,
			   size_t errlen);

/* ---- errors and checks (store.c) --------------------------------------------- */

/* Text flags for st_check_text(). */
#define TX_EMPTY 0x1    /* "" allowed */
#define TX_LINES 0x2    /* newline, carriage return and tab allowed */

/* Character classes for st_check_word(). */
enum word_class {
	W_ID,           /* [A-Za-z0-9._-]: sensor ids, event types, audit actions */
	W_NAME,         /* [A-Za-z0-9._@-]: user and API token names */
	W_CMD,          /* [a-z0-9_]: command types */
	W_B32,          /* [A-Za-z2-7=]: base32 */
};

int st_dberr(struct store *s, char *err, size_t errlen, const char *what);
int st_check_text(const char *what, const char *v, size_t max, unsigned flags, char *err,
		  size_t errlen);
int st_check_word(const char *what, const char *v, size_t max, enum word_class cl, char *err,
		  size_t errlen);
int st_check_hash(const char *what, const char *v, char *err, size_t errlen);
int st_serial_norm(const char *v, char out[STORE_SERIAL_MAX + 1]);
int st_check_kind(const char *kind, char *err, size_t errlen);
int st_check_role(const char *role, char *err, size_t errlen);
int st_check_limit(unsigned limit, char *err, size_t errlen);
int st_check_addr(const char *addr, char *err, size_t errlen);
int st_json_norm(const char *what, const char *text, size_t max, bool obj_only, char **out,
		 char *err, size_t errlen);
int st_col_copy(sqlite3_stmt *st, int i, char *buf, size_t size);
const char *st_col_str(sqlite3_stmt *st, int i);

/* ---- statements and transactions (store.c) ---------------------------------- */

sqlite3_stmt *st_stmt(struct store *s, enum st_id id, char *err, size_t errlen);
int st_bind_text(sqlite3_stmt *st, int i, const char *v);
/* An event of the console's own for sensor_id: its (negative) sequence number. */
int st_console_seq(struct store *s, const char *sensor_id, int64_t *seq, char *err,
		   size_t errlen);
int st_run(struct store *s, sqlite3_stmt *st, const char *what, int64_t *changes, char *err,
	   size_t errlen);
/* Step st (bound), whose rows are (name, count), handing each to cb until it
 * asks to stop; 0, or -1 with err naming what. */
int st_name_counts(struct store *s, sqlite3_stmt *st, store_count_cb cb, void *arg,
		   const char *what, char *err, size_t errlen);
int st_begin(struct store *s, char *err, size_t errlen);
int st_commit(struct store *s, char *err, size_t errlen);
void st_rollback(struct store *s);
int st_finish(struct store *s, char *err, size_t errlen);

/* ---- rows one table's file lends another ------------------------------------ */

/* store_sensors.c: the sensor id into out (and its facts, malloc'd, into
 * *facts when not NULL): 0, STORE_NOT_FOUND, or -1. */
int st_sensor_get(struct store *s, const char *id, struct store_sensor *out, char **facts,
		  char *err, size_t errlen);
/* store_sensors.c: in the open transaction, the console's own event of type
 * about the sensor of row (body: its JSON, NULL when making it ran out of
 * memory) and the sensor alert of that kind it raises (sig, action,
 * severity 2); 0 with *aid, or -1. */
int st_sensor_alert(struct store *s, const struct store_sensor *row, int64_t seq, int64_t now,
		    const char *type, const char *action, const char *sig, const char *body,
		    int64_t *aid, char *err, size_t errlen);

/* store_ingest.c: an alert to count or make (st_alert_make()). */
struct alert_in {
	const char *kind, *sensor_id, *host, *sig, *category, *action, *app;
	const char *claimed_host;       /* NULL or "": the sensor claimed nothing else */
	int64_t sig_id, ts, seq;
	int severity;
	unsigned flags;                 /* STORE_FLAG_* */
};

int st_alert_make(struct store *s, const struct alert_in *a, int64_t *id, bool *is_new,
		  char *err, size_t errlen);
/* Queue the hooks' deliveries of alert id in the open transaction (outbox.c). */
/* Queue the hooks' deliveries of audit entry id in the open transaction (outbox.c). */
int st_outbox_audit(struct store *s, int64_t id, int64_t ts, const char *user,
		    const char *addr, const char *action, char *err, size_t errlen);
/* Alert id's severity rose to a's: queued again (reason "escalated") to every hook it passes now. */
int st_outbox_escalated(struct store *s, int64_t id, const struct alert_in *a, char *err,
			size_t errlen);
int st_outbox_enqueue(struct store *s, int64_t id, const struct alert_in *a, bool is_new,
		      char *err, size_t errlen);
int st_event_insert(struct store *s, const char *sensor_id, int64_t seq, int64_t ts,
		    int64_t received, const char *type, const char *host, const char *body,
		    size_t blen, bool *inserted, char *err, size_t errlen);
/* The same with what the sensor claimed and was not taken (claim: a JSON
 * object, or NULL) and STORE_FLAG_* flags. */
int st_event_insert_claim(struct store *s, const char *sensor_id, int64_t seq, int64_t ts,
			  int64_t received, const char *type, const char *host, const char *body,
			  size_t blen, const char *claim, unsigned flags, bool *inserted,
			  char *err, size_t errlen);
/* An event row (EVENT_COLS) into ev; body points into the statement. */
int st_event_row(sqlite3_stmt *st, struct store_event *ev);

#endif
