/*
 * store.c - the console's durable storage on SQLite 3 (see store.h for the
 * contract).
 *
 * Assumptions: one struct store per process, used from one thread; other
 * processes (kastro-console init, a backup tool) may open the file too, so
 * writes take the lock at BEGIN IMMEDIATE and wait up to the busy timeout.
 * SQLite does the storage, jansson checks and re-serialises sensors' JSON;
 * by hand here are only the bounds checks and an ISO 8601 parser (jansson
 * has none, and strptime depends on the locale and the TZ variable).
 *
 * Statements: the fixed ones are prepared once, on first use, and kept in
 * s->st[]; the alert listing is built from the set of filters in use (64
 * shapes) and kept in s->aq[]. Every statement is reset as soon as its rows
 * are read, so no read transaction stays open and blocks WAL checkpoints.
 *
 * The schema (user_version 2, application_id KASTRO_APP_ID; a version 1
 * file is upgraded when opened):
 *  sensors      id, kind, hostname, cert_serial (unique, lowercase hex),
 *               facts, enrolled_at, last_seen, revoked_at, offline_alerted,
 *               acked_seq
 *  events       (sensor_id, seq) unique, ts, received, event_type, host,
 *               body (compact JSON); console events have seq < 0
 *  alerts       one row per deduplicated alert, with its first event;
 *               indexes for every listing filter in (last_seen, id) order
 *  alert_signatures  every signature of an alert row (for the text search)
 *  alert_notes  notes on alerts, oldest first
 *  enrol_tokens hashes of one-time enrolment tokens
 *  users, sessions, api_tokens   officers; names are unique ignoring
 *               ASCII case
 *  audit        append-only: triggers refuse UPDATE and DELETE
 *  commands     queued for sensors, with their results
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "errf.h"

/* "KSTR": marks a file as a Kastro console database. */
#define KASTRO_APP_ID 0x4b535452
#define BUSY_TIMEOUT_MS 5000
/* ANALYZE, when optimize runs it, samples at most ~400 rows per index, so
 * it takes milliseconds on a table of millions, not seconds. */
#define OPTIMIZE_SQL "PRAGMA analysis_limit = 400; PRAGMA optimize"
/* store_maintain(): the first optimize this long after opening (PRAGMA
 * optimize looks only at tables this connection has used), then daily. */
#define OPTIMIZE_FIRST_S 600
#define OPTIMIZE_EVERY_S 86400
/*
 * Page cache of the connection, in KiB (SQLite's default is 2 MiB): the
 * events' indexes take inserts all over, and their pages stay cached.
 * WAL pages written before a checkpoint copies them into the database: a
 * checkpoint is a burst of random writes and an fsync, fewer of them cost
 * less per event. Both are settings of this connection alone.
 */
#define CACHE_KIB 65536
#define WAL_CHECKPOINT_PAGES 10000

/* ---- statements ---------------------------------------------------------------- */

enum st_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BATCH_BEGIN, ST_BATCH_END, ST_BATCH_UNDO,
	/* ingest and events */
	ST_EVENT_INSERT, ST_EVENT_GET, ST_EVENT_MINSEQ, ST_SENSOR_INGESTED,
	ST_ALERT_FIND, ST_ALERT_BUMP, ST_ALERT_INSERT,
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
	/* audit */
	ST_AUDIT_ADD, ST_AUDIT_LIST,
	/* alerts */
	ST_ALERT_GET, ST_ALERT_SET_STATUS, ST_ALERT_ASSIGN, ST_NOTE_COUNT, ST_NOTE_ADD, ST_NOTE_LIST,
	ST_RELATED_BEFORE, ST_RELATED_AFTER, ST_EVENT_BY_ROWID, ST_ALERT_SEV_COUNTS,
	ST_ALERT_HISTOGRAM, ST_SIGNATURE_ANY, ST_TOP_BLOCKED_SIG, ST_TOP_BLOCKED_HOST, ST_TOP_BLOCKED_APP,
	/* commands */
	ST_CMD_ADD, ST_CMD_PENDING, ST_CMD_DELIVERED, ST_CMD_GET, ST_CMD_RESULT, ST_CMD_LIST,
	ST_CMD_LIST_SENSOR, ST_CMD_EXPIRE,
	ST_COUNT
};

#define ALERT_COLS                                                                          \
	"id, kind, sensor_id, host, signature_id, signature, category, severity, action, " \
	"first_seen, last_seen, count, status, status_at, status_by, assignee, "            \
	"event_sensor_id, event_seq, app"
#define SENSOR_COLS \
	"id, kind, hostname, coalesce(cert_serial, ''), enrolled_at, last_seen, revoked_at, " \
	"offline_alerted, acked_seq"
#define USER_COLS \
	"id, name, role, pw_hash, totp_secret, totp_last_step, created_at, disabled"
#define CMD_COLS \
	"id, sensor_id, type, args, created_at, created_by, delivered_at, done_at, status, result"
#define EVENT_COLS "sensor_id, seq, ts, event_type, host, body"

static const char *const st_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BATCH_BEGIN] = "SAVEPOINT batch",
	[ST_BATCH_END] = "RELEASE batch",
	[ST_BATCH_UNDO] = "ROLLBACK TO batch",

	[ST_EVENT_INSERT] =
		"INSERT INTO events (sensor_id, seq, ts, received, event_type, host, body) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sensor_id, seq) DO NOTHING",
	[ST_EVENT_GET] = "SELECT " EVENT_COLS " FROM events WHERE sensor_id = ?1 AND seq = ?2",
	[ST_EVENT_MINSEQ] = "SELECT min(0, coalesce(min(seq), 0)) FROM events "
			    "WHERE sensor_id = ?1 AND seq < 0",
	[ST_SENSOR_INGESTED] = "UPDATE sensors SET last_seen = ?2, offline_alerted = 0, "
			       "acked_seq = max(acked_seq, ?3) WHERE id = ?1",
	/* The newest open row of this signature for this host whose span,
	 * widened by the window (?6), holds the event's time (?5). */
	[ST_ALERT_FIND] = "SELECT id FROM alerts WHERE sensor_id = ?1 AND host = ?2 AND "
			  "signature = ?3 AND kind = ?4 AND status <> 'resolved' AND "
			  "last_seen >= ?5 - ?6 AND first_seen <= ?5 + ?6 "
			  "ORDER BY last_seen DESC, id DESC LIMIT 1",
	[ST_ALERT_BUMP] = "UPDATE alerts SET count = count + 1, last_seen = max(last_seen, ?2), "
			  "first_seen = min(first_seen, ?2) WHERE id = ?1",
	[ST_ALERT_INSERT] =
		"INSERT INTO alerts (kind, sensor_id, host, signature_id, signature, category, "
		"severity, action, first_seen, last_seen, count, event_sensor_id, event_seq, app) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1, ?2, ?10, ?11)",

	[ST_SENSOR_ADD] = "INSERT INTO sensors (id, kind, hostname, cert_serial, facts, enrolled_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SENSOR_GET] = "SELECT " SENSOR_COLS ", facts FROM sensors WHERE id = ?1",
	[ST_SENSOR_LIST] = "SELECT " SENSOR_COLS " FROM sensors ORDER BY hostname, id",
	[ST_SENSOR_REVOKE] = "UPDATE sensors SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
	[ST_SENSOR_CMDS_EXPIRE] = "UPDATE commands SET status = 'expired', done_at = ?2 "
				  "WHERE sensor_id = ?1 AND status IN ('queued', 'delivered')",
	[ST_SENSOR_SEEN] = "UPDATE sensors SET last_seen = ?2, offline_alerted = 0 WHERE id = ?1",
	[ST_SENSOR_SILENT] =
		"SELECT " SENSOR_COLS " FROM sensors WHERE revoked_at = 0 AND offline_alerted = 0 "
		"AND (CASE WHEN last_seen > 0 THEN last_seen ELSE enrolled_at END) < ?1 "
		"ORDER BY (CASE WHEN last_seen > 0 THEN last_seen ELSE enrolled_at END), id LIMIT ?2",
	[ST_SENSOR_MARK] = "UPDATE sensors SET offline_alerted = ?2 WHERE id = ?1",
	[ST_SENSOR_COUNTS] = "SELECT coalesce(sum(last_seen >= ?1), 0), coalesce(sum(last_seen < ?1), 0) "
			     "FROM sensors WHERE revoked_at = 0",

	[ST_TOKEN_ADD] = "INSERT INTO enrol_tokens (hash, kind, created_at, expires_at) "
			 "VALUES (?1, ?2, ?3, ?4)",
	/* One statement, so two consoles on one file cannot both use it. */
	[ST_TOKEN_USE] = "UPDATE enrol_tokens SET used_at = ?2, used_by = ?3 "
			 "WHERE hash = ?1 AND used_at = 0 AND expires_at > ?2 RETURNING kind",
	[ST_TOKEN_GET] = "SELECT used_at, expires_at FROM enrol_tokens WHERE hash = ?1",
	[ST_TOKEN_LIST] = "SELECT hash, kind, created_at, expires_at, used_at, used_by "
			  "FROM enrol_tokens ORDER BY created_at DESC, hash LIMIT ?1",
	[ST_TOKEN_DELETE] = "DELETE FROM enrol_tokens WHERE hash = ?1",

	[ST_USER_ADD] = "INSERT INTO users (name, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",
	[ST_USER_SET_PW] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
	[ST_USER_SET_TOTP] = "UPDATE users SET totp_secret = ?2, totp_last_step = 0 WHERE id = ?1",
	[ST_USER_SET_STEP] = "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
	[ST_USER_SET_ROLE] = "UPDATE users SET role = ?2 WHERE id = ?1",
	[ST_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
	[ST_USER_ADMINS] = "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0",

	[ST_SESSION_ADD] = "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, addr) "
			   "VALUES (?1, ?2, ?3, ?3, ?4)",
	[ST_SESSION_GET] = "SELECT s.user_id, s.created_at, s.last_seen, s.addr FROM sessions s "
			   "JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?1 AND u.disabled = 0",
	[ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE id_hash = ?1",
	[ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[ST_SESSION_EXPIRE] = "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
	[ST_APITOK_ADD] = "INSERT INTO api_tokens (hash, user_id, name, created_at) "
			  "VALUES (?1, ?2, ?3, ?4)",
	[ST_APITOK_LOOKUP] = "SELECT t.user_id, t.last_used FROM api_tokens t "
			     "JOIN users u ON u.id = t.user_id WHERE t.hash = ?1 AND u.disabled = 0",
	[ST_APITOK_TOUCH] = "UPDATE api_tokens SET last_used = ?2 WHERE hash = ?1",
	[ST_APITOK_DELETE] = "DELETE FROM api_tokens WHERE user_id = ?1 AND name = ?2",
	[ST_APITOK_LIST] = "SELECT hash, user_id, name, created_at, last_used FROM api_tokens "
			   "WHERE user_id = ?1 ORDER BY name",

	[ST_AUDIT_ADD] = "INSERT INTO audit (ts, user, addr, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AUDIT_LIST] = "SELECT id, ts, user, addr, action, detail FROM audit WHERE id < ?1 "
			  "ORDER BY id DESC LIMIT ?2",

	[ST_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE id = ?1",
	[ST_ALERT_SET_STATUS] = "UPDATE alerts SET status = ?2, status_at = ?3, status_by = ?4 "
				"WHERE id = ?1",
	[ST_ALERT_ASSIGN] = "UPDATE alerts SET assignee = ?2 WHERE id = ?1",
	[ST_NOTE_COUNT] = "SELECT (SELECT count(*) FROM alerts WHERE id = ?1), "
			  "(SELECT count(*) FROM alert_notes WHERE alert_id = ?1)",
	[ST_NOTE_ADD] = "INSERT INTO alert_notes (alert_id, ts, user, text) VALUES (?1, ?2, ?3, ?4)",
	[ST_NOTE_LIST] = "SELECT id, alert_id, ts, user, text FROM alert_notes WHERE alert_id = ?1 "
			 "ORDER BY id",
	[ST_RELATED_BEFORE] = "SELECT id FROM events WHERE host = ?1 AND ts <= ?2 "
			      "ORDER BY ts DESC, id DESC LIMIT ?3",
	[ST_RELATED_AFTER] = "SELECT id FROM events WHERE host = ?1 AND ts > ?2 "
			     "ORDER BY ts, id LIMIT ?3",
	[ST_EVENT_BY_ROWID] = "SELECT " EVENT_COLS " FROM events WHERE id = ?1",
	[ST_ALERT_SEV_COUNTS] = "SELECT severity, count(*) FROM alerts WHERE status <> 'resolved' "
				"GROUP BY severity",
	[ST_ALERT_HISTOGRAM] = "SELECT ?1 + ((first_seen - ?1) / ?2) * ?2 AS b, count(*), sum(count) "
			       "FROM alerts INDEXED BY alerts_first_seen WHERE first_seen >= ?1 "
			       "GROUP BY b ORDER BY b",
	[ST_SIGNATURE_ANY] = "SELECT 1 FROM alert_signatures WHERE signature LIKE ?1 ESCAPE '\\' "
			     "LIMIT 1",
	/* Named, not left to the planner: with statistics from when the table
	 * was small it picks an index that makes every row a table lookup. */
	[ST_TOP_BLOCKED_SIG] = "SELECT signature, sum(count) AS n FROM alerts INDEXED BY alerts_blocked "
			       "WHERE action = 'blocked' AND last_seen >= ?1 "
			       "GROUP BY signature ORDER BY n DESC, signature LIMIT ?2",
	[ST_TOP_BLOCKED_HOST] = "SELECT host, sum(count) AS n FROM alerts INDEXED BY alerts_blocked "
				"WHERE action = 'blocked' AND last_seen >= ?1 "
				"GROUP BY host ORDER BY n DESC, host LIMIT ?2",
	[ST_TOP_BLOCKED_APP] = "SELECT app, sum(count) AS n FROM alerts INDEXED BY alerts_blocked "
			       "WHERE action = 'blocked' AND last_seen >= ?1 AND app <> '' "
			       "GROUP BY app ORDER BY n DESC, app LIMIT ?2",

	[ST_CMD_ADD] = "INSERT INTO commands (sensor_id, type, args, created_at, created_by) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CMD_PENDING] = "SELECT " CMD_COLS " FROM commands WHERE sensor_id = ?1 AND "
			   "status = 'queued' ORDER BY id LIMIT ?2",
	[ST_CMD_DELIVERED] = "UPDATE commands SET status = 'delivered', delivered_at = ?3 "
			     "WHERE id = ?2 AND sensor_id = ?1 AND status = 'queued'",
	[ST_CMD_GET] = "SELECT sensor_id, status FROM commands WHERE id = ?1",
	[ST_CMD_RESULT] = "UPDATE commands SET status = ?3, result = ?4, done_at = ?5 "
			  "WHERE id = ?2 AND sensor_id = ?1 AND status IN ('queued', 'delivered')",
	[ST_CMD_LIST] = "SELECT " CMD_COLS " FROM commands WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_CMD_LIST_SENSOR] = "SELECT " CMD_COLS " FROM commands WHERE sensor_id = ?3 AND id < ?1 "
			       "ORDER BY id DESC LIMIT ?2",
	[ST_CMD_EXPIRE] = "UPDATE commands SET status = 'expired', done_at = ?1 "
			  "WHERE status IN ('queued', 'delivered') AND created_at < ?2",
};

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
	int rc;                         /* extended result code of the last failed run() */
	bool ready;                     /* opened: ours, current, WAL */
	bool group;                     /* store_group_begin() opened a transaction */
};

/* ---- errors and checks (helpers: they never log) ------------------------------- */

/* -1 with "what: SQLite's message". */
static int dberr(struct store *s, char *err, size_t errlen, const char *what)
{
	return errf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* Text flags for check_text(). */
#define TX_EMPTY 0x1    /* "" allowed */
#define TX_LINES 0x2    /* newline, carriage return and tab allowed */

/*
 * v: at most max bytes of UTF-8 without control characters (TX_LINES: but
 * for newlines and tabs). what names the field in the error.
 */
static int check_text(const char *what, const char *v, size_t max, unsigned flags, char *err,
		      size_t errlen)
{
	size_t n;

	if (v == NULL)
		return errf(err, errlen, "%s: missing", what);
	n = strnlen(v, max + 1);
	if (n > max)
		return errf(err, errlen, "%s: longer than %zu bytes", what, max);
	if (n == 0 && !(flags & TX_EMPTY))
		return errf(err, errlen, "%s: empty", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 || c == 0x7f) &&
		    !((flags & TX_LINES) && (c == '\n' || c == '\r' || c == '\t')))
			return errf(err, errlen, "%s: control character at byte %zu", what, i);
	}
	if (!utf8_ok((const unsigned char *)v, n))
		return errf(err, errlen, "%s: not UTF-8", what);
	return 0;
}

/* Character classes for check_word(). */
enum word_class {
	W_ID,           /* [A-Za-z0-9._-]: sensor ids, event types, audit actions */
	W_NAME,         /* [A-Za-z0-9._@-]: user and API token names */
	W_CMD,          /* [a-z0-9_]: command types */
	W_B32,          /* [A-Za-z2-7=]: base32 */
};

static bool word_char(enum word_class cl, char c)
{
	bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

	switch (cl) {
	case W_ID:
		return alnum || c == '.' || c == '_' || c == '-';
	case W_NAME:
		return alnum || c == '.' || c == '_' || c == '-' || c == '@';
	case W_CMD:
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
	case W_B32:
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7') ||
		       c == '=';
	}
	return false;
}

static const char *const word_desc[] = {
	[W_ID] = "letters, digits, '.', '_' and '-'",
	[W_NAME] = "letters, digits, '.', '_', '@' and '-'",
	[W_CMD] = "lowercase letters, digits and '_'",
	[W_B32] = "base32 (A-Z, 2-7)",
};

/* v: 1..max characters of class cl. */
static int check_word(const char *what, const char *v, size_t max, enum word_class cl, char *err,
		      size_t errlen)
{
	size_t n;

	if (v == NULL || v[0] == '\0')
		return errf(err, errlen, "%s: missing", what);
	n = strnlen(v, max + 1);
	if (n > max)
		return errf(err, errlen, "%s: longer than %zu characters", what, max);
	for (size_t i = 0; i < n; i++)
		if (!word_char(cl, v[i]))
			return errf(err, errlen, "%s: only %s", what, word_desc[cl]);
	return 0;
}

/* Exactly STORE_HASH_HEX lowercase hex digits. */
static int check_hash(const char *what, const char *v, char *err, size_t errlen)
{
	if (v == NULL)
		return errf(err, errlen, "%s: missing", what);
	for (size_t i = 0; i < STORE_HASH_HEX; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return errf(err, errlen, "%s: expected %d lowercase hex digits", what,
				    STORE_HASH_HEX);
	if (v[STORE_HASH_HEX] != '\0')
		return errf(err, errlen, "%s: expected %d lowercase hex digits", what, STORE_HASH_HEX);
	return 0;
}

/* A certificate serial (hex, any case, 1..STORE_SERIAL_MAX) into out, lowercase. */
static int serial_norm(const char *v, char out[STORE_SERIAL_MAX + 1])
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		char c = v[i];

		if (i >= STORE_SERIAL_MAX)
			return -1;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[i] = '\0';
	return i > 0 ? 0 : -1;
}

static int check_kind(const char *kind, char *err, size_t errlen)
{
	if (kind == NULL || (strcmp(kind, "agent") != 0 && strcmp(kind, "gateway") != 0))
		return errf(err, errlen, "kind: expected \"agent\" or \"gateway\"");
	return 0;
}

static int check_role(const char *role, char *err, size_t errlen)
{
	if (role == NULL || (strcmp(role, "admin") != 0 && strcmp(role, "analyst") != 0 &&
			     strcmp(role, "viewer") != 0))
		return errf(err, errlen, "role: expected \"admin\", \"analyst\" or \"viewer\"");
	return 0;
}

/* A page size: 1..STORE_PAGE_MAX. */
static int check_limit(unsigned limit, char *err, size_t errlen)
{
	if (limit < 1 || limit > STORE_PAGE_MAX)
		return errf(err, errlen, "limit: expected 1 to %d", STORE_PAGE_MAX);
	return 0;
}

/*
 * text (NULL: "{}" when obj_only) as compact JSON without duplicate keys, at
 * most max bytes, into *out (malloc'd, free()). obj_only: it must be an
 * object; else any JSON value.
 */
static int json_norm(const char *what, const char *text, size_t max, bool obj_only, char **out,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	char *d;

	*out = NULL;
	if (text == NULL)
		text = "{}";
	if (strnlen(text, max + 1) > max)
		return errf(err, errlen, "%s: longer than %zu bytes", what, max);
	j = json_loads(text, JSON_REJECT_DUPLICATES | (obj_only ? 0 : JSON_DECODE_ANY), &je);
	if (j == NULL)
		return errf(err, errlen, "%s: not JSON: %s (at byte %d)", what, je.text, je.position);
	if (obj_only && !json_is_object(j)) {
		json_decref(j);
		return errf(err, errlen, "%s: expected a JSON object", what);
	}
	d = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (d == NULL)
		return errf(err, errlen, "%s: out of memory", what);
	if (strlen(d) > max) {
		free(d);
		return errf(err, errlen, "%s: longer than %zu bytes", what, max);
	}
	*out = d;
	return 0;
}

/* Copy column i (text, NULL as "") into buf; a value too long is an error. */
static int col_copy(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	size_t n = v != NULL ? (size_t)sqlite3_column_bytes(st, i) : 0;

	if (n >= size)
		return -1;
	if (n > 0)
		memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/* Text column i, or NULL when it is NULL. */
static const char *col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* ---- statements and transactions ------------------------------------------- */

/* The cached statement id, reset and unbound; NULL with err on failure. */
static sqlite3_stmt *stmt(struct store *s, enum st_id id, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
				       NULL) != SQLITE_OK) {
			dberr(s, err, errlen, "preparing a statement");
			return NULL;
		}
		return s->st[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Bind text; NULL binds SQL NULL. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/*
 * Run a statement that returns no rows (or whose rows are not wanted) and
 * reset it. 0, or -1 with err. *changes (may be NULL) gets the rows changed.
 */
static int run(struct store *s, sqlite3_stmt *st, const char *what, int64_t *changes, char *err,
	       size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		s->rc = sqlite3_extended_errcode(s->db);
		dberr(s, err, errlen, what);
		sqlite3_reset(st);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes64(s->db);
	sqlite3_reset(st);
	return 0;
}

static int begin(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN, err, errlen);

	return st == NULL ? -1 : run(s, st, "starting a transaction", NULL, err, errlen);
}

static int commit(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_COMMIT, err, errlen);

	return st == NULL ? -1 : run(s, st, "committing", NULL, err, errlen);
}

/* Roll back if a transaction is open; keeps err as it is. */
static void rollback(struct store *s)
{
	sqlite3_stmt *st;

	if (sqlite3_get_autocommit(s->db))
		return;
	st = stmt(s, ST_ROLLBACK, NULL, 0);
	if (st != NULL)
		run(s, st, "rolling back", NULL, NULL, 0);
}

/* Commit, or roll back and -1 when the commit failed. */
static int finish(struct store *s, char *err, size_t errlen)
{
	if (commit(s, err, errlen) < 0) {
		rollback(s);
		return -1;
	}
	return 0;
}

/* ---- schema ------------------------------------------------------------------- */

/* The alert objects of schema version 2 (see migrate_v2_sql). */
#define SCHEMA_V2_ALERTS                                                                  \
	"CREATE INDEX alerts_first_seen ON alerts (first_seen, count);"                   \
	"CREATE INDEX alerts_blocked ON alerts (last_seen, action, signature, host, app, count)" \
	" WHERE action = 'blocked';"                                                      \
	"CREATE TABLE alert_signatures (signature TEXT PRIMARY KEY NOT NULL) STRICT, WITHOUT ROWID;" \
	"CREATE TRIGGER alerts_signature AFTER INSERT ON alerts BEGIN"                    \
	" INSERT INTO alert_signatures (signature) VALUES (new.signature)"                 \
	" ON CONFLICT (signature) DO NOTHING; END;"

static const char schema_sql[] =
	"CREATE TABLE sensors ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('agent', 'gateway')),"
	" hostname TEXT NOT NULL,"
	" cert_serial TEXT UNIQUE,"
	" facts TEXT,"
	" enrolled_at INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL DEFAULT 0,"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" offline_alerted INTEGER NOT NULL DEFAULT 0,"
	" acked_seq INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX sensors_hostname ON sensors (hostname, id);"

	/* body last: reading the other columns does not touch overflow pages */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" sensor_id TEXT NOT NULL REFERENCES sensors (id),"
	" seq INTEGER NOT NULL,"
	" ts INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" event_type TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" UNIQUE (sensor_id, seq)"
	") STRICT;"
	"CREATE INDEX events_host_ts ON events (host, ts);"

	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" sensor_id TEXT NOT NULL REFERENCES sensors (id),"
	" host TEXT NOT NULL,"
	" signature_id INTEGER NOT NULL,"
	" signature TEXT NOT NULL,"
	" category TEXT NOT NULL,"
	" severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),"
	" action TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'resolved')),"
	" status_at INTEGER NOT NULL DEFAULT 0,"
	" status_by TEXT NOT NULL DEFAULT '',"
	" assignee TEXT NOT NULL DEFAULT '',"
	" event_sensor_id TEXT NOT NULL,"
	" event_seq INTEGER NOT NULL,"
	" app TEXT NOT NULL DEFAULT ''"
	") STRICT;"
	/* Listings walk one of these in (last_seen, id) order (the rowid ends
	 * every index): all rows, open rows, or one status, sensor or host. */
	"CREATE INDEX alerts_last_seen ON alerts (last_seen);"
	"CREATE INDEX alerts_open ON alerts (last_seen) WHERE status <> 'resolved';"
	"CREATE INDEX alerts_status ON alerts (status, last_seen);"
	"CREATE INDEX alerts_sensor ON alerts (sensor_id, last_seen);"
	"CREATE INDEX alerts_host ON alerts (host, last_seen);"
	"CREATE INDEX alerts_dedup ON alerts (sensor_id, host, signature, last_seen)"
	" WHERE status <> 'resolved';"
	"CREATE INDEX alerts_open_severity ON alerts (severity) WHERE status <> 'resolved';"
	SCHEMA_V2_ALERTS

	"CREATE TABLE alert_notes ("
	" id INTEGER PRIMARY KEY,"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),"
	" ts INTEGER NOT NULL,"
	" user TEXT NOT NULL,"
	" text TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX alert_notes_alert ON alert_notes (alert_id, id);"

	"CREATE TABLE enrol_tokens ("
	" hash TEXT PRIMARY KEY NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('agent', 'gateway')),"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER NOT NULL DEFAULT 0,"
	" used_by TEXT NOT NULL DEFAULT ''"
	") STRICT;"

	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),"
	" pw_hash TEXT NOT NULL,"
	" totp_secret TEXT NOT NULL DEFAULT '',"
	" totp_last_step INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0"
	") STRICT;"

	"CREATE TABLE sessions ("
	" id_hash TEXT PRIMARY KEY NOT NULL,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" addr TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX sessions_user ON sessions (user_id);"

	"CREATE TABLE api_tokens ("
	" hash TEXT PRIMARY KEY NOT NULL,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" last_used INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (user_id, name)"
	") STRICT;"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" user TEXT NOT NULL,"
	" addr TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" detail TEXT NOT NULL"
	") STRICT;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"

	"CREATE TABLE commands ("
	" id INTEGER PRIMARY KEY,"
	" sensor_id TEXT NOT NULL REFERENCES sensors (id),"
	" type TEXT NOT NULL,"
	" args TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" created_by TEXT NOT NULL,"
	" delivered_at INTEGER NOT NULL DEFAULT 0,"
	" done_at INTEGER NOT NULL DEFAULT 0,"
	" status TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (status IN ('queued', 'delivered', 'done', 'failed', 'expired')),"
	" result TEXT"
	") STRICT;"
	"CREATE INDEX commands_sensor ON commands (sensor_id, status, id);"
	"CREATE INDEX commands_open ON commands (created_at)"
	" WHERE status IN ('queued', 'delivered');";

/*
 * What version 2 added, made in one go by schema_check() for a version 1
 * file and by the schema above for a new one:
 *  - the dashboard's indexes cover what its statements read, so counting a
 *    month of alerts reads no table rows;
 *  - alert_signatures holds every signature an alert row ever had (a
 *    trigger adds it), so a search text found in none of them answers
 *    without walking the alerts. Rows are never removed: a signature no
 *    longer in use only makes that search walk the alerts as before.
 */
static const char migrate_v2_sql[] =
	"DROP INDEX alerts_first_seen;"
	"DROP INDEX alerts_blocked;"
	SCHEMA_V2_ALERTS
	"INSERT INTO alert_signatures (signature) SELECT DISTINCT signature FROM alerts;";

/* One integer from a PRAGMA or query; -1 with err. */
static int query_int(struct store *s, const char *sql, int64_t *v, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(s, err, errlen, sql);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		dberr(s, err, errlen, sql);
		sqlite3_finalize(st);
		return -1;
	}
	*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int exec(struct store *s, const char *sql, const char *what, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(s, err, errlen, what);
	return 0;
}

/*
 * Check the file is ours and current; with create, make the schema in an
 * empty file. Runs inside BEGIN IMMEDIATE so that two processes creating
 * the same file do not both make the schema.
 */
static int schema_check(struct store *s, const char *path, int create, char *err, size_t errlen)
{
	int64_t ver, app, objects;
	char pragma[64];

	if (exec(s, "BEGIN IMMEDIATE", path, err, errlen) < 0)
		return -1;
	if (query_int(s, "PRAGMA user_version", &ver, err, errlen) < 0 ||
	    query_int(s, "PRAGMA application_id", &app, err, errlen) < 0 ||
	    query_int(s, "SELECT count(*) FROM sqlite_schema", &objects, err, errlen) < 0)
		goto fail;
	if (app == KASTRO_APP_ID && ver == STORE_SCHEMA_VERSION)
		return exec(s, "COMMIT", path, err, errlen);
	if (app == KASTRO_APP_ID && ver == 1) {
		/* All of it or nothing: a failure leaves version 1 as it was. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		if (exec(s, migrate_v2_sql, "upgrading the schema to version 2", err, errlen) < 0 ||
		    exec(s, pragma, "upgrading the schema to version 2", err, errlen) < 0)
			goto fail;
		return exec(s, "COMMIT", path, err, errlen);
	}
	if (app == KASTRO_APP_ID && ver > STORE_SCHEMA_VERSION) {
		errf(err, errlen, "%s: database schema version %" PRId64 " is newer than this "
		     "program's (%d); run the newer kastro-console", path, ver, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (app != 0 || ver != 0 || objects != 0) {
		/* Another program's database, or ours at a version that never
		 * existed. */
		errf(err, errlen, "%s: not a Kastro console database (application id %" PRId64
		     ", schema version %" PRId64 ")", path, app, ver);
		goto fail;
	}
	if (!create) {
		errf(err, errlen, "%s: empty database; run kastro-console init first", path);
		goto fail;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 KASTRO_APP_ID, STORE_SCHEMA_VERSION);
	if (exec(s, schema_sql, "creating the schema", err, errlen) < 0 ||
	    exec(s, pragma, "creating the schema", err, errlen) < 0)
		goto fail;
	return exec(s, "COMMIT", path, err, errlen);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Journal mode WAL, or -1 when the file system cannot do it. */
static int wal_on(struct store *s, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *mode;
	int r = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return errf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = errf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
	} else {
		mode = col_str(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0)
			r = errf(err, errlen, "%s: cannot use WAL mode here (journal mode stays %s); "
				 "put the database on a local file system", path,
				 mode != NULL ? mode : "unknown");
	}
	sqlite3_finalize(st);
	return r;
}

int store_open(const char *path, int create, struct store **out, char *err, size_t errlen)
{
	struct store *s;
	int64_t one = 0;
	char pragma[160];
	int fd;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return errf(err, errlen, "database path: missing");
	/* STRICT tables, RETURNING, sqlite3_changes64() */
	if (sqlite3_libversion_number() < 3037000)
		return errf(err, errlen, "SQLite %s is too old: 3.37 or later is needed",
			    sqlite3_libversion());
	if (create) {
		/* Made here so it is 0600 from its first byte; SQLite gives the
		 * -wal and -shm files the database's mode. */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return errf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return errf(err, errlen, "%s: out of memory", path);
	s->dedup_s = STORE_DEDUP_DEFAULT;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		if (s->db == NULL)
			errf(err, errlen, "%s: out of memory", path);
		else
			errf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* The schema is ours alone: no writable_schema tricks, no functions
	 * with side effects called from it. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	snprintf(pragma, sizeof(pragma), "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
		 "PRAGMA cache_size = -%d; PRAGMA wal_autocheckpoint = %d", CACHE_KIB,
		 WAL_CHECKPOINT_PAGES);
	if (exec(s, pragma, path, err, errlen) < 0)
		goto fail;
	/* Ours before anything is changed: another program's database is
	 * left as it was, journal mode included. */
	if (schema_check(s, path, create, err, errlen) < 0)
		goto fail;
	if (wal_on(s, path, err, errlen) < 0)
		goto fail;
	if (query_int(s, "PRAGMA foreign_keys", &one, err, errlen) < 0)
		goto fail;
	if (one != 1) {
		errf(err, errlen, "%s: this SQLite cannot enforce foreign keys", path);
		goto fail;
	}
	s->ready = true;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (size_t i = 0; i < AQ_SHAPES; i++)
		sqlite3_finalize(s->aq[i]);
	if (s->db != NULL) {
		if (s->ready)
			sqlite3_exec(s->db, OPTIMIZE_SQL, NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	free(s);
}

int store_optimize(struct store *s, char *err, size_t errlen)
{
	return exec(s, OPTIMIZE_SQL, "optimize", err, errlen);
}

int store_maintain(struct store *s, int64_t now, char *err, size_t errlen)
{
	if (s->optimize_at == 0)
		s->optimize_at = now + OPTIMIZE_FIRST_S;
	if (now < s->optimize_at)
		return 0;
	s->optimize_at = now + OPTIMIZE_EVERY_S;
	return store_optimize(s, err, errlen);
}

int store_set_dedup_window(struct store *s, int64_t seconds, char *err, size_t errlen)
{
	if (seconds < 0 || seconds > STORE_DEDUP_LIMIT)
		return errf(err, errlen, "dedup window: expected 0 to %d seconds", STORE_DEDUP_LIMIT);
	s->dedup_s = seconds;
	return 0;
}

/* ---- ingest -------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe, mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at p into *v; -1 if any is not a digit. */
static int digits(const char *p, int n, unsigned *v)
{
	unsigned x = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return 0;
}

/*
 * ISO 8601 as sensors write it: YYYY-MM-DDTHH:MM:SS, then optionally a
 * fraction (dropped), then Z, +HHMM, +HH:MM (or -), or nothing (UTC).
 * Unix seconds into *out; -1 when malformed or before 1970.
 */
static int iso_parse(const char *v, int64_t *out)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t t;
	int sign = 0;
	const char *p = v;

	if (digits(p, 4, &y) < 0 || p[4] != '-' || digits(p + 5, 2, &mo) < 0 || p[7] != '-' ||
	    digits(p + 8, 2, &d) < 0 || p[10] != 'T' || digits(p + 11, 2, &h) < 0 || p[13] != ':' ||
	    digits(p + 14, 2, &mi) < 0 || p[16] != ':' || digits(p + 17, 2, &sec) < 0)
		return -1;
	p += 19;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) < 0)
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (digits(p, 2, &om) < 0)
			return -1;
		p += 2;
	}
	if (*p != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}

/* One event of a batch, checked. Strings point into the batch's JSON. */
struct pev {
	char *text;                     /* compact JSON, NUL-terminated (batch_texts()) */
	size_t text_len;
	bool text_owned;                /* malloc'd on its own, else in the batch's buffer */
	const char *type;
	int64_t ts;                     /* 0: none given */
	const char *host, *src_ip;      /* top-level strings, or NULL */
	/* kind != NULL: the event makes an alert */
	const char *kind, *sig, *category, *action;
	const char *app;                /* ndpi.app_protocol, else app_proto; NULL: none */
	int64_t sig_id;
	int severity;
};

/*
 * An optional string member: NULL when absent (or, with any_type, not a
 * string); -1 when not a string, too long or with control characters.
 */
static int opt_str(json_t *o, const char *key, size_t max, bool any_type, const char **out,
		   const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	char what[64];

	*out = NULL;
	if (v == NULL || json_is_null(v) || (any_type && !json_is_string(v)))
		return 0;
	if (json_is_string(v) && check_text("", json_string_value(v), max, TX_EMPTY, NULL, 0) == 0) {
		*out = json_string_value(v);
		return 0;
	}
	/* the message, with the member's name, only when it is needed */
	snprintf(what, sizeof(what), "%s%s", where, key);
	if (!json_is_string(v))
		return errf(err, errlen, "%s: expected a string", what);
	return check_text(what, json_string_value(v), max, TX_EMPTY, err, errlen);
}

/* A severity: an integer >= 1; above 4 counts as 4. */
static int severity_of(json_t *v, int *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	if (x < 1)
		return -1;
	*out = x > 4 ? 4 : (int)x;
	return 0;
}

/* Check one event e (index i) into p; -1 with a message without the index. */
static int pev_check(json_t *e, struct pev *p, char *err, size_t errlen)
{
	json_t *v, *a;
	const char *ts;

	if (!json_is_object(e))
		return errf(err, errlen, "expected a JSON object");
	v = json_object_get(e, "event_type");
	if (v == NULL)
		return errf(err, errlen, "event_type missing");
	if (!json_is_string(v))
		return errf(err, errlen, "event_type: expected a string");
	p->type = json_string_value(v);
	if (check_word("event_type", p->type, STORE_EVTYPE_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (strcmp(p->type, "sensor_offline") == 0)
		return errf(err, errlen, "event_type: \"sensor_offline\" is the console's own");
	v = json_object_get(e, "timestamp");
	if (v != NULL) {
		ts = json_string_value(v);
		if (ts == NULL || iso_parse(ts, &p->ts) < 0)
			return errf(err, errlen, "timestamp: expected ISO 8601 from 1970 on, like "
				    "2026-11-27T21:00:00.123456+0000");
	}
	/* Not ours to judge in events that are not alerts: other types
	 * there are ignored. */
	if (opt_str(e, "host", STORE_HOST_MAX, true, &p->host, "", err, errlen) < 0 ||
	    opt_str(e, "src_ip", STORE_HOST_MAX, true, &p->src_ip, "", err, errlen) < 0)
		return -1;
	p->sig_id = -1;
	if (strcmp(p->type, "alert") == 0) {
		a = json_object_get(e, "alert");
		if (!json_is_object(a))
			return errf(err, errlen, "alert: expected an object");
		v = json_object_get(a, "signature");
		if (!json_is_string(v))
			return errf(err, errlen, "alert.signature: expected a string");
		p->sig = json_string_value(v);
		if (check_text("alert.signature", p->sig, STORE_SIG_MAX, 0, err, errlen) < 0)
			return -1;
		if (severity_of(json_object_get(a, "severity"), &p->severity) < 0)
			return errf(err, errlen, "alert.severity: expected an integer from 1 (highest)");
		v = json_object_get(a, "signature_id");
		if (v != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return errf(err, errlen, "alert.signature_id: expected an integer >= 0");
			p->sig_id = json_integer_value(v);
		}
		if (opt_str(a, "category", STORE_CATEGORY_MAX, false, &p->category, "alert.", err,
			    errlen) < 0 ||
		    opt_str(a, "action", STORE_ACTION_MAX, false, &p->action, "alert.", err, errlen) < 0)
			return -1;
		/* The application, for "top blocked applications": a bad or
		 * missing one is not a reason to refuse the alert. */
		v = json_object_get(json_object_get(e, "ndpi"), "app_protocol");
		if (!json_is_string(v) || check_text("ndpi.app_protocol", json_string_value(v),
						     STORE_CATEGORY_MAX, 0, NULL, 0) < 0 ||
		    strcmp(json_string_value(v), "Unknown") == 0)
			v = json_object_get(e, "app_proto");
		if (json_is_string(v) && check_text("app_proto", json_string_value(v), STORE_CATEGORY_MAX,
						    0, NULL, 0) == 0)
			p->app = json_string_value(v);
		p->kind = "alert";
	} else if (strcmp(p->type, "finding") == 0) {
		a = json_object_get(e, "finding");
		if (!json_is_object(a))
			return errf(err, errlen, "finding: expected an object");
		v = json_object_get(a, "rule");
		if (!json_is_string(v))
			return errf(err, errlen, "finding.rule: expected a string");
		p->sig = json_string_value(v);
		if (check_text("finding.rule", p->sig, STORE_SIG_MAX, 0, err, errlen) < 0)
			return -1;
		/* A YARA hit on an endpoint is serious unless the rule says
		 * otherwise. */
		p->severity = 2;
		v = json_object_get(a, "severity");
		if (v != NULL && severity_of(v, &p->severity) < 0)
			return errf(err, errlen, "finding.severity: expected an integer from 1 (highest)");
		if (opt_str(a, "category", STORE_CATEGORY_MAX, false, &p->category, "finding.", err,
			    errlen) < 0 ||
		    opt_str(a, "action", STORE_ACTION_MAX, false, &p->action, "finding.", err,
			    errlen) < 0)
			return -1;
		p->kind = "finding";
	}
	return 0;
}

/*
 * The byte spans of a batch's events in its text, for storing each as it
 * was received instead of serialising it again (which took more time than
 * anything else but parsing).
 *
 * Only ever run on text jansson has parsed without error, so it is valid
 * JSON and the scanner need not judge it; still every step is bounded by
 * end and anything unexpected gives up (-1), and the caller then falls
 * back to json_dumps(). The "events" member is found by its key as
 * written: a key spelled with escapes is not recognised (-1 again), and
 * there is no other member of that name (jansson refused duplicates).
 */
struct span {
	const char *p;
	size_t len;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at a '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* p at a value: just past it, or NULL. Nesting needs no stack: strings
 * are skipped whole and the text is known to be balanced. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			if (depth == 0)
				return p;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;       /* a scalar ended by its container */
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

/*
 * Copy the value at p (before end) into out without the white space
 * outside strings: just past the value, or NULL. *olen gets the bytes
 * written, at most the value's own length.
 */
static const char *copy_value(const char *p, const char *end, char *out, size_t *olen)
{
	size_t depth = 0, o = 0;

	while (p < end) {
		char ch = *p;

		switch (ch) {
		case '"':
			/* a string whole: up to the quote no backslash escapes */
			out[o++] = *p++;
			while (p < end && *p != '"') {
				if (*p == '\\') {
					if (end - p < 2)
						return NULL;
					out[o++] = *p++;
				}
				out[o++] = *p++;
			}
			if (p == end)
				return NULL;
			out[o++] = *p++;
			if (depth == 0)
				goto done;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				goto done;      /* a scalar ended by its container */
			out[o++] = ch;
			p++;
			if (--depth == 0)
				goto done;
			continue;
		case ',':
			if (depth == 0)
				goto done;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (depth == 0)
				goto done;
			p++;
			continue;
		default:
			break;
		}
		out[o++] = ch;
		p++;
	}
	if (depth != 0)
		return NULL;
done:
	*olen = o;
	return p;
}

/*
 * The n elements of the top-level "events" array, compacted, into out (at
 * least len bytes): each one's start and length in sp. 0, or -1.
 */
static int event_spans(const char *body, size_t len, struct span *sp, size_t n, char *out)
{
	const char *p = body, *end = body + len, *key, *v;
	bool events;
	size_t k = 0;

	p = skip_ws(p, end);
	if (p == end || *p != '{')
		return -1;
	p = skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		key = p;
		p = skip_string(p, end);
		if (p == NULL)
			return -1;
		events = p - key == 8 && memcmp(key, "\"events\"", 8) == 0;
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return -1;
		p = skip_ws(p + 1, end);
		if (events) {
			if (p == end || *p != '[')
				return -1;
			p = skip_ws(p + 1, end);
			while (p < end && *p != ']') {
				if (k == n)
					return -1;
				v = copy_value(p, end, out, &sp[k].len);
				if (v == NULL || v == p || sp[k].len == 0)
					return -1;
				sp[k++].p = out;
				/* room for a NUL: the value was followed by ',' or ']' */
				out += sp[k - 1].len + 1;
				p = skip_ws(v, end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
			}
			return k == n ? 0 : -1;
		}
		p = skip_value(p, end);
		if (p == NULL)
			return -1;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	return -1;
}

struct alert_in {
	const char *kind, *sensor_id, *host, *sig, *category, *action, *app;
	int64_t sig_id, ts, seq;
	int severity;
};

/*
 * Count the alert on the open row it repeats, or make a row; in the
 * caller's transaction. *id gets the row, *is_new whether it was made.
 */
static int alert_make(struct store *s, const struct alert_in *a, int64_t *id, bool *is_new,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (s->dedup_s > 0) {
		st = stmt(s, ST_ALERT_FIND, err, errlen);
		if (st == NULL)
			return -1;
		bind_text(st, 1, a->sensor_id);
		bind_text(st, 2, a->host);
		bind_text(st, 3, a->sig);
		bind_text(st, 4, a->kind);
		sqlite3_bind_int64(st, 5, a->ts);
		sqlite3_bind_int64(st, 6, s->dedup_s);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return dberr(s, err, errlen, "finding the alert to count on");
	}
	if (*id > 0) {
		st = stmt(s, ST_ALERT_BUMP, err, errlen);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, a->ts);
		*is_new = false;
		return run(s, st, "counting an alert", NULL, err, errlen);
	}
	st = stmt(s, ST_ALERT_INSERT, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, a->kind);
	bind_text(st, 2, a->sensor_id);
	bind_text(st, 3, a->host);
	sqlite3_bind_int64(st, 4, a->sig_id);
	bind_text(st, 5, a->sig);
	bind_text(st, 6, a->category != NULL ? a->category : "");
	sqlite3_bind_int(st, 7, a->severity);
	bind_text(st, 8, a->action != NULL ? a->action : "");
	sqlite3_bind_int64(st, 9, a->ts);
	sqlite3_bind_int64(st, 10, a->seq);
	bind_text(st, 11, a->app != NULL ? a->app : "");
	if (run(s, st, "storing an alert", NULL, err, errlen) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	*is_new = true;
	return 0;
}

/* Insert one event (body: blen bytes); *inserted 0 when (sensor, seq) was stored already. */
static int event_insert(struct store *s, const char *sensor_id, int64_t seq, int64_t ts,
			int64_t received, const char *type, const char *host, const char *body,
			size_t blen, bool *inserted, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_EVENT_INSERT, err, errlen);
	int64_t n;

	if (st == NULL)
		return -1;
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_int64(st, 4, received);
	bind_text(st, 5, type);
	bind_text(st, 6, host);
	sqlite3_bind_text(st, 7, body, (int)blen, SQLITE_STATIC);
	if (run(s, st, "storing an event", &n, err, errlen) < 0)
		return -1;
	*inserted = n > 0;
	return 0;
}

/* Read a sensor row (SENSOR_COLS first) into out; -1 when a value does not fit. */
static int sensor_row(sqlite3_stmt *st, struct store_sensor *out)
{
	memset(out, 0, sizeof(*out));
	if (col_copy(st, 0, out->id, sizeof(out->id)) < 0 ||
	    col_copy(st, 1, out->kind, sizeof(out->kind)) < 0 ||
	    col_copy(st, 2, out->hostname, sizeof(out->hostname)) < 0 ||
	    col_copy(st, 3, out->cert_serial, sizeof(out->cert_serial)) < 0)
		return -1;
	out->enrolled_at = sqlite3_column_int64(st, 4);
	out->last_seen = sqlite3_column_int64(st, 5);
	out->revoked_at = sqlite3_column_int64(st, 6);
	out->offline_alerted = sqlite3_column_int64(st, 7);
	out->acked_seq = (uint64_t)sqlite3_column_int64(st, 8);
	return 0;
}

/*
 * The sensor id into out (and its facts, malloc'd, into *facts when not
 * NULL): 0, STORE_NOT_FOUND, or -1.
 */
static int sensor_get(struct store *s, const char *id, struct store_sensor *out, char **facts,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if (facts != NULL)
		*facts = NULL;
	if (check_word("sensor id", id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_SENSOR_GET, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "unknown sensor %s", id);
	} else if (rc != SQLITE_ROW) {
		r = dberr(s, err, errlen, "reading a sensor");
	} else if (sensor_row(st, out) < 0) {
		r = errf(err, errlen, "sensor %s: a stored value is too long", id);
	} else if (facts != NULL && col_str(st, 9) != NULL) {
		*facts = strdup(col_str(st, 9));
		if (*facts == NULL)
			r = errf(err, errlen, "out of memory");
	}
	sqlite3_reset(st);
	return r;
}

struct store_batch {
	json_t *root;
	struct pev *ev;                 /* n */
	size_t n;
	uint64_t first;
	char *texts;                    /* the events' texts, NUL after each; or NULL */
};

void store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (b->ev[i].text_owned)
			free(b->ev[i].text);
	free(b->ev);
	free(b->texts);
	json_decref(b->root);
	free(b);
}

/* Check a whole batch into b->ev (b->n events, first sequence b->first). */
static int batch_check(struct store_batch *b, char *err, size_t errlen)
{
	json_t *fs = json_object_get(b->root, "first_seq"), *arr = json_object_get(b->root, "events");
	char why[400];
	size_t i, n;
	json_int_t x;

	if (fs == NULL)
		return errf(err, errlen, "first_seq missing");
	if (!json_is_integer(fs))
		return errf(err, errlen, "first_seq: expected an integer");
	x = json_integer_value(fs);
	if (x < 1 || (uint64_t)x > STORE_SEQ_MAX)
		return errf(err, errlen, "first_seq: expected 1 to 2^53");
	if (arr == NULL)
		return errf(err, errlen, "events missing");
	if (!json_is_array(arr))
		return errf(err, errlen, "events: expected an array");
	n = json_array_size(arr);
	if (n == 0)
		return errf(err, errlen, "events: empty");
	if (n > STORE_BATCH_MAX)
		return errf(err, errlen, "events: %zu events, at most %d in a batch", n,
			    STORE_BATCH_MAX);
	b->first = (uint64_t)x;
	if (b->first + n - 1 > STORE_SEQ_MAX)
		return errf(err, errlen, "first_seq: the last event's sequence is beyond 2^53");
	b->ev = calloc(n, sizeof(*b->ev));
	if (b->ev == NULL)
		return errf(err, errlen, "batch: out of memory");
	b->n = n;
	for (i = 0; i < n; i++)
		if (pev_check(json_array_get(arr, i), &b->ev[i], why, sizeof(why)) < 0)
			return errf(err, errlen, "events[%zu]: %s", i, why);
	return 0;
}

/*
 * Every event's text as compact JSON: its bytes as received, white space
 * outside strings dropped (one buffer for all), or where they cannot be
 * found, jansson's serialisation. The same value either way.
 */
static int batch_texts(struct store_batch *b, const char *body, size_t len, char *err,
		       size_t errlen)
{
	json_t *arr = json_object_get(b->root, "events");
	struct span *sp = malloc(b->n * sizeof(*sp));
	size_t i;

	/* the texts and a NUL after each fit: they were apart by a ',' at least */
	b->texts = malloc(len + 1);
	if (sp == NULL || b->texts == NULL) {
		free(sp);
		return errf(err, errlen, "batch: out of memory");
	}
	if (event_spans(body, len, sp, b->n, b->texts) == 0) {
		for (i = 0; i < b->n; i++) {
			b->ev[i].text = (char *)sp[i].p;
			b->ev[i].text_len = sp[i].len;
			b->ev[i].text[sp[i].len] = '\0';
		}
	} else {
		free(b->texts);
		b->texts = NULL;
		for (i = 0; i < b->n; i++) {
			b->ev[i].text = json_dumps(json_array_get(arr, i), JSON_COMPACT);
			if (b->ev[i].text == NULL) {
				free(sp);
				return errf(err, errlen, "batch: out of memory");
			}
			b->ev[i].text_owned = true;
			b->ev[i].text_len = strlen(b->ev[i].text);
		}
	}
	free(sp);
	for (i = 0; i < b->n; i++)
		if (b->ev[i].text_len > STORE_EVENT_MAX)
			return errf(err, errlen, "events[%zu]: longer than %d bytes as compact JSON",
				    i, STORE_EVENT_MAX);
	return 0;
}

int store_batch_parse(const char *body, size_t len, struct store_batch **out, char *err,
		      size_t errlen)
{
	struct store_batch *b;
	json_error_t je;

	*out = NULL;
	if (body == NULL || len > STORE_BODY_MAX)
		return errf(err, errlen, "batch: larger than %d bytes", STORE_BODY_MAX);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return errf(err, errlen, "batch: out of memory");
	b->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (b->root == NULL) {
		errf(err, errlen, "batch: not JSON: %s (at byte %d)", je.text, je.position);
		goto fail;
	}
	if (!json_is_object(b->root)) {
		errf(err, errlen, "batch: expected a JSON object");
		goto fail;
	}
	if (batch_check(b, err, errlen) < 0 || batch_texts(b, body, len, err, errlen) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	store_batch_free(b);
	return -1;
}

unsigned store_batch_events(const struct store_batch *b)
{
	return (unsigned)b->n;
}

int store_group_begin(struct store *s, char *err, size_t errlen)
{
	if (s->group)
		return errf(err, errlen, "a group of batches is open already");
	if (begin(s, err, errlen) < 0)
		return -1;
	s->group = true;
	return 0;
}

int store_group_commit(struct store *s, char *err, size_t errlen)
{
	if (!s->group)
		return errf(err, errlen, "no group of batches is open");
	s->group = false;
	return finish(s, err, errlen);
}

void store_group_rollback(struct store *s)
{
	s->group = false;
	rollback(s);
}

/* Undo a batch's savepoint, keeping the group's transaction. */
static void batch_undo(struct store *s)
{
	sqlite3_stmt *st = stmt(s, ST_BATCH_UNDO, NULL, 0);

	if (st != NULL)
		run(s, st, "rolling back a batch", NULL, NULL, 0);
	st = stmt(s, ST_BATCH_END, NULL, 0);
	if (st != NULL)
		run(s, st, "ending a batch", NULL, NULL, 0);
}

int store_batch_store(struct store *s, const char *sensor_id, const struct store_batch *b,
		      uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen)
{
	struct store_ingest_result local;
	struct store_sensor sen;
	sqlite3_stmt *st;
	size_t i;
	int64_t now = (int64_t)time(NULL);
	bool agent;
	int rc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!s->group)
		return errf(err, errlen, "storing a batch: no group of batches is open");
	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_BATCH_BEGIN, err, errlen);
	if (st == NULL || run(s, st, "starting a batch", NULL, err, errlen) < 0)
		return -1;
	rc = sensor_get(s, sensor_id, &sen, NULL, err, errlen);
	if (rc != 0)
		goto fail;
	if (sen.revoked_at != 0) {
		errf(err, errlen, "sensor %s is revoked", sensor_id);
		goto fail;
	}
	agent = strcmp(sen.kind, "agent") == 0;
	for (i = 0; i < b->n; i++) {
		const struct pev *p = &b->ev[i];
		int64_t seq = (int64_t)(b->first + i), ts = p->ts;
		const char *host;
		bool inserted, is_new = false;

		if (agent)
			host = p->host != NULL && p->host[0] != '\0' ? p->host : sen.hostname;
		else
			host = p->src_ip != NULL && p->src_ip[0] != '\0' ? p->src_ip
			       : p->host != NULL ? p->host : "";
		if (ts == 0 || ts > now + STORE_CLOCK_SKEW)
			ts = now;
		if (event_insert(s, sensor_id, seq, ts, now, p->type, host, p->text, p->text_len,
				 &inserted, err, errlen) < 0)
			goto fail;
		if (!inserted) {
			res->duplicates++;
			continue;
		}
		res->inserted++;
		if (ts != p->ts && p->ts != 0)
			res->ts_replaced++;
		if (p->kind != NULL) {
			struct alert_in a = {
				.kind = p->kind, .sensor_id = sensor_id, .host = host, .sig = p->sig,
				.category = p->category, .action = p->action, .app = p->app,
				.sig_id = p->sig_id,
				.ts = ts, .seq = seq, .severity = p->severity,
			};
			int64_t id;

			if (alert_make(s, &a, &id, &is_new, err, errlen) < 0)
				goto fail;
			if (is_new)
				res->alert_ids[res->alerts_new++] = id;
			else
				res->alerts_updated++;
		}
	}
	st = stmt(s, ST_SENSOR_INGESTED, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (int64_t)(b->first + b->n - 1));
	if (run(s, st, "updating the sensor", NULL, err, errlen) < 0)
		goto fail;
	st = stmt(s, ST_BATCH_END, err, errlen);
	if (st == NULL || run(s, st, "ending a batch", NULL, err, errlen) < 0)
		goto fail;
	if (ack_out != NULL)
		*ack_out = b->first + b->n - 1;
	return 0;
fail:
	batch_undo(s);
	memset(res, 0, sizeof(*res));
	return -1;
}

int store_ingest(struct store *s, const char *sensor_id, const char *body, size_t len,
		 uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen)
{
	struct store_batch *b = NULL;
	int r = -1;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    store_batch_parse(body, len, &b, err, errlen) < 0)
		return -1;
	if (store_group_begin(s, err, errlen) < 0)
		goto out;
	if (store_batch_store(s, sensor_id, b, ack_out, res, err, errlen) < 0) {
		store_group_rollback(s);
		goto out;
	}
	if (store_group_commit(s, err, errlen) < 0) {
		if (res != NULL)
			memset(res, 0, sizeof(*res));
		goto out;
	}
	r = 0;
out:
	store_batch_free(b);
	return r;
}

/* Read an event row (EVENT_COLS) into ev; body points into the statement. */
static int event_row(sqlite3_stmt *st, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (col_copy(st, 0, ev->sensor_id, sizeof(ev->sensor_id)) < 0 ||
	    col_copy(st, 3, ev->event_type, sizeof(ev->event_type)) < 0 ||
	    col_copy(st, 4, ev->host, sizeof(ev->host)) < 0)
		return -1;
	ev->seq = sqlite3_column_int64(st, 1);
	ev->ts = sqlite3_column_int64(st, 2);
	ev->body = col_str(st, 5);
	if (ev->body == NULL)
		ev->body = "{}";
	return 0;
}

int store_event_get(struct store *s, const char *sensor_id, int64_t seq, store_event_cb cb,
		    void *arg, char *err, size_t errlen)
{
	struct store_event ev;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_EVENT_GET, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "no event %" PRId64 " of sensor %s", seq, sensor_id);
	} else if (rc != SQLITE_ROW) {
		r = dberr(s, err, errlen, "reading an event");
	} else if (event_row(st, &ev) < 0) {
		r = errf(err, errlen, "event %" PRId64 " of sensor %s: a stored value is too long",
			 seq, sensor_id);
	} else {
		cb(arg, &ev);
	}
	sqlite3_reset(st);
	return r;
}

/* ---- sensors ------------------------------------------------------------------- */

int store_sensor_add(struct store *s, const char *id, const char *kind, const char *hostname,
		     const char *cert_serial, const char *facts_json, int64_t now,
		     char *err, size_t errlen)
{
	char serial[STORE_SERIAL_MAX + 1], *facts = NULL;
	sqlite3_stmt *st;
	int r;

	if (check_word("sensor id", id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    check_kind(kind, err, errlen) < 0 ||
	    check_text("hostname", hostname, STORE_HOST_MAX, 0, err, errlen) < 0)
		return -1;
	if (cert_serial != NULL && serial_norm(cert_serial, serial) < 0)
		return errf(err, errlen, "certificate serial: expected 1 to %d hex digits",
			    STORE_SERIAL_MAX);
	if (facts_json != NULL &&
	    json_norm("facts", facts_json, STORE_FACTS_MAX, true, &facts, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_SENSOR_ADD, err, errlen);
	if (st == NULL) {
		free(facts);
		return -1;
	}
	bind_text(st, 1, id);
	bind_text(st, 2, kind);
	bind_text(st, 3, hostname);
	bind_text(st, 4, cert_serial != NULL ? serial : NULL);
	bind_text(st, 5, facts);
	sqlite3_bind_int64(st, 6, now);
	r = run(s, st, "adding a sensor", NULL, err, errlen);
	free(facts);
	if (r < 0 && s->rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return errf(err, errlen, "sensor %s exists already", id);
	if (r < 0 && s->rc == SQLITE_CONSTRAINT_UNIQUE)
		return errf(err, errlen, "certificate serial %s belongs to another sensor", serial);
	return r;
}

int store_sensor_get(struct store *s, const char *id, struct store_sensor *out,
		     char **facts_out, char *err, size_t errlen)
{
	return sensor_get(s, id, out, facts_out, err, errlen);
}

int store_sensor_list(struct store *s, store_sensor_cb cb, void *arg, char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st = stmt(s, ST_SENSOR_LIST, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sensor_row(st, &row) < 0) {
			r = errf(err, errlen, "sensors: a stored value is too long");
			break;
		}
		if (cb(arg, &row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "listing sensors");
	sqlite3_reset(st);
	return r;
}

int store_sensor_revoke(struct store *s, const char *id, int64_t now, char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st;

	if (begin(s, err, errlen) < 0)
		return -1;
	if (sensor_get(s, id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (row.revoked_at != 0) {
		rollback(s);
		return 0;
	}
	st = stmt(s, ST_SENSOR_REVOKE, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
	if (run(s, st, "revoking a sensor", NULL, err, errlen) < 0)
		goto fail;
	st = stmt(s, ST_SENSOR_CMDS_EXPIRE, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (run(s, st, "expiring the sensor's commands", NULL, err, errlen) < 0)
		goto fail;
	return finish(s, err, errlen);
fail:
	rollback(s);
	return -1;
}

int store_sensor_allowed(struct store *s, const char *id, const char *cert_serial,
			 char *err, size_t errlen)
{
	struct store_sensor row;
	char serial[STORE_SERIAL_MAX + 1], why[128];
	int r;

	/* A name or serial that cannot be stored cannot match: 0, not an error. */
	if (cert_serial == NULL || serial_norm(cert_serial, serial) < 0 ||
	    check_word("sensor id", id, STORE_ID_MAX, W_ID, why, sizeof(why)) < 0)
		return 0;
	r = sensor_get(s, id, &row, NULL, err, errlen);
	if (r == STORE_NOT_FOUND)
		return 0;
	if (r < 0)
		return -1;
	return row.revoked_at == 0 && row.cert_serial[0] != '\0' &&
	       strcmp(row.cert_serial, serial) == 0;
}

int store_sensor_seen(struct store *s, const char *id, int64_t now, char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st;
	int r = sensor_get(s, id, &row, NULL, err, errlen);

	if (r != 0)
		return -1;
	/* A write per request would cost an fsync each; an offline mark is
	 * cleared at once all the same. */
	if (row.offline_alerted == 0 && now - row.last_seen < STORE_TOUCH_S)
		return 0;
	st = stmt(s, ST_SENSOR_SEEN, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return run(s, st, "updating the sensor", NULL, err, errlen);
}

int store_sensors_silent(struct store *s, int64_t now, int64_t silence_s,
			 store_sensor_cb cb, void *arg, char *err, size_t errlen)
{
	struct store_sensor *rows;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc = SQLITE_DONE, r = 0;

	if (silence_s < 0)
		return errf(err, errlen, "silence: expected seconds >= 0");
	st = stmt(s, ST_SENSOR_SILENT, err, errlen);
	if (st == NULL)
		return -1;
	rows = calloc(STORE_SILENT_MAX, sizeof(*rows));
	if (rows == NULL)
		return errf(err, errlen, "silent sensors: out of memory");
	sqlite3_bind_int64(st, 1, now - silence_s);
	sqlite3_bind_int(st, 2, STORE_SILENT_MAX);
	while (n < STORE_SILENT_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sensor_row(st, &rows[n]) < 0) {
			r = errf(err, errlen, "sensors: a stored value is too long");
			break;
		}
		n++;
	}
	if (r == 0 && n < STORE_SILENT_MAX && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "finding silent sensors");
	sqlite3_reset(st);
	/* The statement is done with: cb may use the store. */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (cb(arg, &rows[i]) != 0)
			break;
	free(rows);
	return r;
}

/* "2026-11-27T21:00:00.000000+0000" for t into buf (at least 32 bytes). */
static void iso_format(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000000+0000", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00.000000+0000");
}

int store_sensor_mark_offline(struct store *s, const char *id, int64_t now, int64_t *alert_id,
			      char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st;
	char ts[40], sig[STORE_SIG_MAX + 1];
	char *body = NULL;
	json_t *j;
	int64_t seq = 0, aid = 0;
	bool inserted, is_new;
	int rc;

	if (alert_id != NULL)
		*alert_id = 0;
	if (now <= 0)
		return errf(err, errlen, "now: expected a time after 1970");
	if (begin(s, err, errlen) < 0)
		return -1;
	if (sensor_get(s, id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (row.revoked_at != 0 || row.offline_alerted != 0) {
		rollback(s);
		return 0;
	}
	st = stmt(s, ST_EVENT_MINSEQ, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0) - 1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		dberr(s, err, errlen, "numbering the console's event");
		goto fail;
	}
	iso_format(now, ts, sizeof(ts));
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "timestamp", ts, "event_type", "sensor_offline",
		      "sensor_id", id, "kind", row.kind, "hostname", row.hostname, "last_seen",
		      (json_int_t)row.last_seen);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(sig, sizeof(sig), "Sensor offline: %s (%s)", row.hostname, id);
	{
		struct alert_in a = {
			.kind = "sensor_offline", .sensor_id = id, .host = row.hostname, .sig = sig,
			.category = "sensor", .action = "", .sig_id = -1, .ts = now, .seq = seq,
			.severity = 2,
		};

		if (event_insert(s, id, seq, now, now, "sensor_offline", row.hostname, body,
				 strlen(body), &inserted, err, errlen) < 0 ||
		    alert_make(s, &a, &aid, &is_new, err, errlen) < 0)
			goto fail;
	}
	st = stmt(s, ST_SENSOR_MARK, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (run(s, st, "marking the sensor offline", NULL, err, errlen) < 0 ||
	    finish(s, err, errlen) < 0)
		goto fail;
	free(body);
	if (alert_id != NULL)
		*alert_id = aid;
	return 0;
fail:
	free(body);
	rollback(s);
	return -1;
}

int store_sensor_counts(struct store *s, int64_t now, int64_t silence_s,
			int64_t *online, int64_t *offline, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_SENSOR_COUNTS, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now - silence_s);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*online = sqlite3_column_int64(st, 0);
		*offline = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : dberr(s, err, errlen, "counting sensors");
}

/* ---- enrolment tokens ---------------------------------------------------------- */

int store_token_add(struct store *s, const char *hash_hex, const char *kind, int64_t created,
		    int64_t expires, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int r;

	if (check_hash("token hash", hash_hex, err, errlen) < 0 || check_kind(kind, err, errlen) < 0)
		return -1;
	if (expires <= created)
		return errf(err, errlen, "token: expires before it is made");
	st = stmt(s, ST_TOKEN_ADD, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, expires);
	r = run(s, st, "adding a token", NULL, err, errlen);
	if (r < 0 && s->rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return errf(err, errlen, "token exists already");
	return r;
}

int store_token_consume(struct store *s, const char *hash_hex, int64_t now,
			const char *sensor_id, char *kind_out, size_t kind_len,
			char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r;

	if (check_hash("token hash", hash_hex, err, errlen) < 0 ||
	    check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (kind_out == NULL || kind_len < STORE_KIND_MAX + 1)
		return errf(err, errlen, "token kind: buffer too small");
	st = stmt(s, ST_TOKEN_USE, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, sensor_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = col_copy(st, 0, kind_out, kind_len);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return dberr(s, err, errlen, "using a token");
		return r < 0 ? errf(err, errlen, "token: stored kind too long") : 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dberr(s, err, errlen, "using a token");
	/* Not used up: say why. */
	st = stmt(s, ST_TOKEN_GET, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = errf(err, errlen, "unknown token");
	else if (rc != SQLITE_ROW)
		r = dberr(s, err, errlen, "reading a token");
	else if (sqlite3_column_int64(st, 0) != 0)
		r = errf(err, errlen, "token already used");
	else
		r = errf(err, errlen, "token expired");
	sqlite3_reset(st);
	return r;
}

int store_token_list(struct store *s, unsigned limit, store_token_cb cb, void *arg,
		     char *err, size_t errlen)
{
	struct store_token row;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (check_limit(limit, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_TOKEN_LIST, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (col_copy(st, 0, row.hash, sizeof(row.hash)) < 0 ||
		    col_copy(st, 1, row.kind, sizeof(row.kind)) < 0 ||
		    col_copy(st, 5, row.used_by_sensor, sizeof(row.used_by_sensor)) < 0) {
			r = errf(err, errlen, "tokens: a stored value is too long");
			break;
		}
		row.created_at = sqlite3_column_int64(st, 2);
		row.expires_at = sqlite3_column_int64(st, 3);
		row.used_at = sqlite3_column_int64(st, 4);
		if (cb(arg, &row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "listing tokens");
	sqlite3_reset(st);
	return r;
}

int store_token_delete(struct store *s, const char *hash_hex, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (check_hash("token hash", hash_hex, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_TOKEN_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	if (run(s, st, "deleting a token", &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "unknown token");
}

/* ---- users --------------------------------------------------------------------- */

/* USER_COLS into out; secrets blanked when !secrets. */
static int user_row(sqlite3_stmt *st, struct store_user *out, bool secrets)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	if (col_copy(st, 1, out->name, sizeof(out->name)) < 0 ||
	    col_copy(st, 2, out->role, sizeof(out->role)) < 0 ||
	    col_copy(st, 3, out->pw_hash, sizeof(out->pw_hash)) < 0 ||
	    col_copy(st, 4, out->totp_secret, sizeof(out->totp_secret)) < 0)
		return -1;
	out->totp = out->totp_secret[0] != '\0';
	out->totp_last_step = sqlite3_column_int64(st, 5);
	out->created_at = sqlite3_column_int64(st, 6);
	out->disabled = sqlite3_column_int(st, 7) != 0;
	if (!secrets) {
		explicit_bzero(out->pw_hash, sizeof(out->pw_hash));
		explicit_bzero(out->totp_secret, sizeof(out->totp_secret));
	}
	return 0;
}

/* One user row from st (bound): 0, STORE_NOT_FOUND or -1. */
static int user_one(struct store *s, sqlite3_stmt *st, struct store_user *out, const char *which,
		    char *err, size_t errlen)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "unknown user %s", which);
	} else if (rc != SQLITE_ROW) {
		r = dberr(s, err, errlen, "reading a user");
	} else if (user_row(st, out, true) < 0) {
		r = errf(err, errlen, "user %s: a stored value is too long", which);
	}
	sqlite3_reset(st);
	return r;
}

int store_user_add(struct store *s, const char *name, const char *role, const char *pw_hash,
		   int64_t now, int64_t *id_out, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_word("user name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0 ||
	    check_role(role, err, errlen) < 0 ||
	    check_text("password hash", pw_hash, STORE_PWHASH_MAX, 0, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_USER_ADD, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	bind_text(st, 2, role);
	bind_text(st, 3, pw_hash);
	sqlite3_bind_int64(st, 4, now);
	if (run(s, st, "adding a user", NULL, err, errlen) < 0) {
		if (s->rc == SQLITE_CONSTRAINT_UNIQUE)
			return errf(err, errlen, "user %s exists already (names ignore case)", name);
		return -1;
	}
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_user_get_by_name(struct store *s, const char *name, struct store_user *out,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char why[128];

	if (name == NULL)
		return errf(err, errlen, "user name: missing");
	/* A name that could not have been stored is simply not there. */
	if (check_word("user name", name, STORE_NAME_MAX, W_NAME, why, sizeof(why)) < 0) {
		errf(err, errlen, "unknown user (%s)", why);
		return STORE_NOT_FOUND;
	}
	st = stmt(s, ST_USER_BY_NAME, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, name);
	return user_one(s, st, out, name, err, errlen);
}

int store_user_get_by_id(struct store *s, int64_t id, struct store_user *out,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_USER_BY_ID, err, errlen);
	char which[32];

	if (st == NULL)
		return -1;
	snprintf(which, sizeof(which), "%" PRId64, id);
	sqlite3_bind_int64(st, 1, id);
	return user_one(s, st, out, which, err, errlen);
}

int store_user_list(struct store *s, store_user_cb cb, void *arg, char *err, size_t errlen)
{
	struct store_user row;
	sqlite3_stmt *st = stmt(s, ST_USER_LIST, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (user_row(st, &row, false) < 0) {
			r = errf(err, errlen, "users: a stored value is too long");
			break;
		}
		if (cb(arg, &row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "listing users");
	sqlite3_reset(st);
	return r;
}

/* Run st (bound) that changes user id: -1 "unknown user" when no row changed. */
static int user_change(struct store *s, sqlite3_stmt *st, int64_t id, const char *what,
		       char *err, size_t errlen)
{
	int64_t n;

	if (run(s, st, what, &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "unknown user %" PRId64, id);
}

int store_user_set_password(struct store *s, int64_t id, const char *pw_hash,
			    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_text("password hash", pw_hash, STORE_PWHASH_MAX, 0, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_USER_SET_PW, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, pw_hash);
	return user_change(s, st, id, "setting a password", err, errlen);
}

int store_user_set_totp(struct store *s, int64_t id, const char *secret, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (secret != NULL &&
	    check_word("TOTP secret", secret, STORE_TOTP_MAX, W_B32, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_USER_SET_TOTP, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, secret != NULL ? secret : "");
	return user_change(s, st, id, "setting the second factor", err, errlen);
}

int store_user_set_totp_step(struct store *s, int64_t id, int64_t step, char *err, size_t errlen)
{
	struct store_user u;
	sqlite3_stmt *st = stmt(s, ST_USER_SET_STEP, err, errlen);
	int64_t n;
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, step);
	if (run(s, st, "recording a TOTP step", &n, err, errlen) < 0)
		return -1;
	if (n > 0)
		return 0;
	r = store_user_get_by_id(s, id, &u, err, errlen);
	explicit_bzero(&u, sizeof(u));
	if (r != 0)
		return -1;
	return errf(err, errlen, "code already used");
}

/*
 * In the caller's transaction, before changing user id: *was gets whether
 * it is an enabled admin (only then can the change leave no admin).
 */
static int was_admin(struct store *s, int64_t id, bool *was, char *err, size_t errlen)
{
	struct store_user u;
	int r = store_user_get_by_id(s, id, &u, err, errlen);

	*was = r == 0 && strcmp(u.role, "admin") == 0 && !u.disabled;
	explicit_bzero(&u, sizeof(u));
	return r == 0 ? 0 : -1;
}

/* In the caller's transaction: -1 unless an enabled admin remains. */
static int admin_remains(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_USER_ADMINS, err, errlen);
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return dberr(s, err, errlen, "counting admins");
	return n > 0 ? 0 : errf(err, errlen, "refused: no enabled admin would be left");
}

int store_user_set_role(struct store *s, int64_t id, const char *role, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	bool was;

	if (check_role(role, err, errlen) < 0 || begin(s, err, errlen) < 0)
		return -1;
	if (was_admin(s, id, &was, err, errlen) < 0)
		goto fail;
	st = stmt(s, ST_USER_SET_ROLE, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, role);
	if (user_change(s, st, id, "setting a role", err, errlen) < 0 ||
	    (was && admin_remains(s, err, errlen) < 0))
		goto fail;
	return finish(s, err, errlen);
fail:
	rollback(s);
	return -1;
}

int store_user_disable(struct store *s, int64_t id, int disabled, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	bool was;

	if (begin(s, err, errlen) < 0)
		return -1;
	if (was_admin(s, id, &was, err, errlen) < 0)
		goto fail;
	st = stmt(s, ST_USER_SET_DISABLED, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, disabled != 0);
	if (user_change(s, st, id, "disabling a user", err, errlen) < 0)
		goto fail;
	if (disabled) {
		if (was && admin_remains(s, err, errlen) < 0)
			goto fail;
		st = stmt(s, ST_SESSION_DELETE_USER, err, errlen);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		if (run(s, st, "ending the user's sessions", NULL, err, errlen) < 0)
			goto fail;
	}
	return finish(s, err, errlen);
fail:
	rollback(s);
	return -1;
}

/* ---- sessions ------------------------------------------------------------------ */

/* addr: NULL or printable text of at most STORE_ADDR_MAX. */
static int check_addr(const char *addr, char *err, size_t errlen)
{
	return addr == NULL ? 0 : check_text("address", addr, STORE_ADDR_MAX, TX_EMPTY, err, errlen);
}

int store_session_add(struct store *s, const char *id_hash, int64_t user_id, int64_t now,
		      const char *addr, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_hash("session", id_hash, err, errlen) < 0 || check_addr(addr, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_SESSION_ADD, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id_hash);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	bind_text(st, 4, addr != NULL ? addr : "");
	if (run(s, st, "adding a session", NULL, err, errlen) < 0) {
		if (s->rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return errf(err, errlen, "unknown user %" PRId64, user_id);
		if (s->rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return errf(err, errlen, "session exists already");
		return -1;
	}
	return 0;
}

int store_session_get(struct store *s, const char *id_hash, struct store_session *out,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if (check_hash("session", id_hash, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_SESSION_GET, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id_hash);
	rc = sqlite3_step(st);
	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "unknown session");
	} else if (rc != SQLITE_ROW) {
		r = dberr(s, err, errlen, "reading a session");
	} else {
		out->user_id = sqlite3_column_int64(st, 0);
		out->created_at = sqlite3_column_int64(st, 1);
		out->last_seen = sqlite3_column_int64(st, 2);
		if (col_copy(st, 3, out->addr, sizeof(out->addr)) < 0)
			r = errf(err, errlen, "session: stored address too long");
	}
	sqlite3_reset(st);
	return r;
}

int store_session_touch(struct store *s, const char *id_hash, int64_t now, char *err, size_t errlen)
{
	struct store_session ss;
	sqlite3_stmt *st;
	int r = store_session_get(s, id_hash, &ss, err, errlen);

	if (r != 0)
		return -1;
	if (now - ss.last_seen < STORE_TOUCH_S)
		return 0;
	st = stmt(s, ST_SESSION_TOUCH, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id_hash);
	sqlite3_bind_int64(st, 2, now);
	return run(s, st, "updating a session", NULL, err, errlen);
}

int store_session_delete(struct store *s, const char *id_hash, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_hash("session", id_hash, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_SESSION_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, id_hash);
	return run(s, st, "deleting a session", NULL, err, errlen);
}

int store_session_delete_user(struct store *s, int64_t user_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_SESSION_DELETE_USER, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return run(s, st, "deleting sessions", NULL, err, errlen);
}

int store_sessions_expire(struct store *s, int64_t now, int64_t idle_s, int64_t absolute_s,
			  int64_t *deleted, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	if (idle_s < 0 || absolute_s < 0)
		return errf(err, errlen, "session limits: expected seconds >= 0");
	st = stmt(s, ST_SESSION_EXPIRE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now - idle_s);
	sqlite3_bind_int64(st, 2, now - absolute_s);
	if (run(s, st, "expiring sessions", &n, err, errlen) < 0)
		return -1;
	if (deleted != NULL)
		*deleted = n;
	return 0;
}

/* ---- API tokens ---------------------------------------------------------------- */

int store_api_token_add(struct store *s, const char *hash_hex, int64_t user_id, const char *name,
			int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_hash("API token hash", hash_hex, err, errlen) < 0 ||
	    check_word("API token name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_APITOK_ADD, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, user_id);
	bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, now);
	if (run(s, st, "adding an API token", NULL, err, errlen) < 0) {
		if (s->rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return errf(err, errlen, "unknown user %" PRId64, user_id);
		if (s->rc == SQLITE_CONSTRAINT_UNIQUE)
			return errf(err, errlen, "an API token named %s exists already", name);
		if (s->rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return errf(err, errlen, "API token exists already");
		return -1;
	}
	return 0;
}

int store_api_token_lookup(struct store *s, const char *hash_hex, int64_t now, int64_t *user_id,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t last = 0;
	int rc;

	if (check_hash("API token hash", hash_hex, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_APITOK_LOOKUP, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*user_id = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		errf(err, errlen, "unknown API token");
		return STORE_NOT_FOUND;
	}
	if (rc != SQLITE_ROW)
		return dberr(s, err, errlen, "reading an API token");
	if (now - last < STORE_TOUCH_S)
		return 0;
	st = stmt(s, ST_APITOK_TOUCH, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	return run(s, st, "updating an API token", NULL, err, errlen);
}

int store_api_token_delete(struct store *s, int64_t user_id, const char *name,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (check_word("API token name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_APITOK_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	bind_text(st, 2, name);
	if (run(s, st, "deleting an API token", &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "no API token %s of user %" PRId64, name, user_id);
}

int store_api_token_list(struct store *s, int64_t user_id, store_api_token_cb cb, void *arg,
			 char *err, size_t errlen)
{
	struct store_api_token row;
	sqlite3_stmt *st = stmt(s, ST_APITOK_LIST, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (col_copy(st, 0, row.hash, sizeof(row.hash)) < 0 ||
		    col_copy(st, 2, row.name, sizeof(row.name)) < 0) {
			r = errf(err, errlen, "API tokens: a stored value is too long");
			break;
		}
		row.user_id = sqlite3_column_int64(st, 1);
		row.created_at = sqlite3_column_int64(st, 3);
		row.last_used = sqlite3_column_int64(st, 4);
		if (cb(arg, &row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "listing API tokens");
	sqlite3_reset(st);
	return r;
}

/* ---- audit --------------------------------------------------------------------- */

int store_audit(struct store *s, int64_t now, const char *user, const char *addr,
		const char *action, const char *detail, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if ((user != NULL && user[0] != '\0' &&
	     check_word("audit user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0) ||
	    check_addr(addr, err, errlen) < 0 ||
	    check_word("audit action", action, STORE_AUDIT_ACTION_MAX, W_ID, err, errlen) < 0 ||
	    (detail != NULL &&
	     check_text("audit detail", detail, STORE_DETAIL_MAX, TX_EMPTY, err, errlen) < 0))
		return -1;
	st = stmt(s, ST_AUDIT_ADD, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, user != NULL ? user : "");
	bind_text(st, 3, addr != NULL ? addr : "");
	bind_text(st, 4, action);
	bind_text(st, 5, detail != NULL ? detail : "");
	return run(s, st, "writing the audit log", NULL, err, errlen);
}

int store_audit_list(struct store *s, int64_t before_id, unsigned limit, store_audit_cb cb,
		     void *arg, char *err, size_t errlen)
{
	struct store_audit_entry *row;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (before_id < 0)
		return errf(err, errlen, "before_id: expected an entry id, or 0");
	if (check_limit(limit, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_AUDIT_LIST, err, errlen);
	if (st == NULL)
		return -1;
	row = malloc(sizeof(*row));
	if (row == NULL)
		return errf(err, errlen, "audit: out of memory");
	sqlite3_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int(st, 2, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(row, 0, sizeof(*row));
		row->id = sqlite3_column_int64(st, 0);
		row->ts = sqlite3_column_int64(st, 1);
		if (col_copy(st, 2, row->user, sizeof(row->user)) < 0 ||
		    col_copy(st, 3, row->addr, sizeof(row->addr)) < 0 ||
		    col_copy(st, 4, row->action, sizeof(row->action)) < 0 ||
		    col_copy(st, 5, row->detail, sizeof(row->detail)) < 0) {
			r = errf(err, errlen, "audit: a stored value is too long");
			break;
		}
		if (cb(arg, row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "reading the audit log");
	sqlite3_reset(st);
	free(row);
	return r;
}

/* ---- alerts -------------------------------------------------------------------- */

static int alert_row(sqlite3_stmt *st, struct store_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	if (col_copy(st, 1, a->kind, sizeof(a->kind)) < 0 ||
	    col_copy(st, 2, a->sensor_id, sizeof(a->sensor_id)) < 0 ||
	    col_copy(st, 3, a->host, sizeof(a->host)) < 0 ||
	    col_copy(st, 5, a->signature, sizeof(a->signature)) < 0 ||
	    col_copy(st, 6, a->category, sizeof(a->category)) < 0 ||
	    col_copy(st, 8, a->action, sizeof(a->action)) < 0 ||
	    col_copy(st, 12, a->status, sizeof(a->status)) < 0 ||
	    col_copy(st, 14, a->status_by, sizeof(a->status_by)) < 0 ||
	    col_copy(st, 15, a->assignee, sizeof(a->assignee)) < 0 ||
	    col_copy(st, 16, a->event_sensor_id, sizeof(a->event_sensor_id)) < 0 ||
	    col_copy(st, 18, a->app, sizeof(a->app)) < 0)
		return -1;
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
		if (check_word("sensor", f->sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
			return -1;
		q->shape |= AQ_SENSOR;
	}
	if (f->host != NULL) {
		if (check_text("host", f->host, STORE_HOST_MAX, TX_EMPTY, err, errlen) < 0)
			return -1;
		q->shape |= AQ_HOST;
	}
	if (f->text != NULL && f->text[0] != '\0') {
		if (check_text("search text", f->text, STORE_TEXT_MAX, 0, err, errlen) < 0)
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
	bind_text(st, 6, q->shape & AQ_STATUS ? f->status : NULL);
	bind_text(st, 7, f->sensor_id);
	bind_text(st, 8, f->host);
	bind_text(st, 9, q->shape & AQ_TEXT ? q->pattern : NULL);
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
		st = stmt(s, ST_SIGNATURE_ANY, err, errlen);
		if (st == NULL)
			return -1;
		bind_text(st, 1, q.pattern);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return dberr(s, err, errlen, "searching the signatures");
	}
	st = s->aq[q.shape];
	if (st == NULL) {
		aq_sql(q.shape, "", sql, sizeof(sql));
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->aq[q.shape],
				       NULL) != SQLITE_OK)
			return dberr(s, err, errlen, "preparing the alert listing");
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
		r = dberr(s, err, errlen, "listing alerts");
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
		return dberr(s, err, errlen, "preparing the query plan");
	aq_bind(st, f, &q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = col_str(st, 3);
		int k = snprintf(buf + used, len - used, "%s%s", used > 0 ? "; " : "",
				 d != NULL ? d : "");

		if (k < 0 || (size_t)k >= len - used) {
			r = errf(err, errlen, "query plan: longer than %zu bytes", len);
			break;
		}
		used += (size_t)k;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "query plan");
	sqlite3_finalize(st);
	return r;
}

int store_alert_get(struct store *s, int64_t id, struct store_alert *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(s, ST_ALERT_GET, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "no alert %" PRId64, id);
	} else if (rc != SQLITE_ROW) {
		r = dberr(s, err, errlen, "reading an alert");
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

	if (run(s, st, what, &n, err, errlen) < 0)
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
	    check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_ALERT_SET_STATUS, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	sqlite3_bind_int64(st, 3, now);
	bind_text(st, 4, user != NULL ? user : "");
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
	st = stmt(s, ST_ALERT_ASSIGN, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	/* The stored spelling of the name, whatever case was asked for. */
	bind_text(st, 2, u.name);
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

	if (check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0 ||
	    check_text("note", text, STORE_NOTE_MAX, TX_LINES, err, errlen) < 0)
		return -1;
	if (begin(s, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_NOTE_COUNT, err, errlen);
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
		dberr(s, err, errlen, "counting notes");
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
	st = stmt(s, ST_NOTE_ADD, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, alert_id);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, user);
	bind_text(st, 4, text);
	if (run(s, st, "adding a note", NULL, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return finish(s, err, errlen);
fail:
	rollback(s);
	return -1;
}

int store_alert_notes(struct store *s, int64_t alert_id, store_note_cb cb, void *arg,
		      char *err, size_t errlen)
{
	struct store_note *row;
	sqlite3_stmt *st = stmt(s, ST_NOTE_LIST, err, errlen);
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
		if (col_copy(st, 3, row->user, sizeof(row->user)) < 0 ||
		    col_copy(st, 4, row->text, sizeof(row->text)) < 0) {
			r = errf(err, errlen, "notes: a stored value is too long");
			break;
		}
		if (cb(arg, row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "reading notes");
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
		dberr(s, err, errlen, "finding related events");
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

	if (check_text("host", host, STORE_HOST_MAX, 0, err, errlen) < 0 ||
	    check_limit(limit, err, errlen) < 0)
		return -1;
	ids = calloc(2 * (size_t)limit, sizeof(*ids));
	if (ids == NULL)
		return errf(err, errlen, "related events: out of memory");
	/* Row ids first (nearest first on each side), so no event body is
	 * read that is not given out. */
	st = stmt(s, ST_RELATED_BEFORE, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, host);
	sqlite3_bind_int64(st, 2, around_ts);
	sqlite3_bind_int(st, 3, (int)limit);
	if (collect_ids(s, st, ids, limit, &nb, err, errlen) < 0)
		goto fail;
	st = stmt(s, ST_RELATED_AFTER, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, host);
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
	st = stmt(s, ST_EVENT_BY_ROWID, err, errlen);
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
			dberr(s, err, errlen, "reading a related event");
			goto fail;
		}
		if (event_row(st, &ev) < 0) {
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
	sqlite3_stmt *st = stmt(s, ST_ALERT_SEV_COUNTS, err, errlen);
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
	return rc == SQLITE_DONE ? 0 : dberr(s, err, errlen, "counting alerts");
}

int store_alert_histogram(struct store *s, int64_t since, int64_t bucket_s, store_bucket_cb cb,
			  void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (since < 0 || bucket_s < 1)
		return errf(err, errlen, "histogram: expected since >= 0 and buckets of 1 s or more");
	st = stmt(s, ST_ALERT_HISTOGRAM, err, errlen);
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
	return rc == SQLITE_DONE ? 0 : dberr(s, err, errlen, "alert histogram");
}

int store_top_blocked(struct store *s, int64_t since, unsigned limit, const char *by,
		      store_count_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	enum st_id id;
	int rc;

	if (by != NULL && strcmp(by, "signature") == 0)
		id = ST_TOP_BLOCKED_SIG;
	else if (by != NULL && strcmp(by, "host") == 0)
		id = ST_TOP_BLOCKED_HOST;
	else if (by != NULL && strcmp(by, "app") == 0)
		id = ST_TOP_BLOCKED_APP;
	else
		return errf(err, errlen, "top blocked: group by \"signature\", \"host\" or \"app\"");
	if (check_limit(limit, err, errlen) < 0)
		return -1;
	st = stmt(s, id, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = col_str(st, 0);

		if (cb(arg, name != NULL ? name : "", sqlite3_column_int64(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(s, err, errlen, "top blocked");
}

/* ---- commands ------------------------------------------------------------------ */

/* CMD_COLS into c; args and result point into the statement. */
static int cmd_row(sqlite3_stmt *st, struct store_command *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	if (col_copy(st, 1, c->sensor_id, sizeof(c->sensor_id)) < 0 ||
	    col_copy(st, 2, c->type, sizeof(c->type)) < 0 ||
	    col_copy(st, 5, c->created_by, sizeof(c->created_by)) < 0 ||
	    col_copy(st, 8, c->status, sizeof(c->status)) < 0)
		return -1;
	c->args = col_str(st, 3);
	if (c->args == NULL)
		c->args = "{}";
	c->created_at = sqlite3_column_int64(st, 4);
	c->delivered_at = sqlite3_column_int64(st, 6);
	c->done_at = sqlite3_column_int64(st, 7);
	c->result = col_str(st, 9);
	return 0;
}

/* Give every row of st (bound) to cb. */
static int cmd_rows(struct store *s, sqlite3_stmt *st, store_command_cb cb, void *arg,
		    char *err, size_t errlen)
{
	struct store_command c;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cmd_row(st, &c) < 0) {
			r = errf(err, errlen, "command %" PRId64 ": a stored value is too long",
				 (int64_t)sqlite3_column_int64(st, 0));
			break;
		}
		if (cb(arg, &c) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = dberr(s, err, errlen, "listing commands");
	sqlite3_reset(st);
	return r;
}

int store_command_add(struct store *s, const char *sensor_id, const char *type,
		      const char *args_json, const char *user, int64_t now, int64_t *id_out,
		      char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st;
	char *args = NULL;

	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    check_word("command type", type, STORE_CMD_TYPE_MAX, W_CMD, err, errlen) < 0 ||
	    (user != NULL && user[0] != '\0' &&
	     check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0) ||
	    json_norm("command args", args_json, STORE_CMD_ARGS_MAX, true, &args, err, errlen) < 0)
		return -1;
	if (begin(s, err, errlen) < 0)
		goto fail;
	if (sensor_get(s, sensor_id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (row.revoked_at != 0) {
		errf(err, errlen, "sensor %s is revoked", sensor_id);
		goto fail;
	}
	st = stmt(s, ST_CMD_ADD, err, errlen);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, sensor_id);
	bind_text(st, 2, type);
	bind_text(st, 3, args);
	sqlite3_bind_int64(st, 4, now);
	bind_text(st, 5, user != NULL ? user : "");
	if (run(s, st, "queueing a command", NULL, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(s->db);
	free(args);
	return finish(s, err, errlen);
fail:
	rollback(s);
	free(args);
	return -1;
}

int store_commands_pending(struct store *s, const char *sensor_id, unsigned limit,
			   store_command_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    check_limit(limit, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_CMD_PENDING, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int(st, 2, (int)limit);
	return cmd_rows(s, st, cb, arg, err, errlen);
}

int store_command_mark_delivered(struct store *s, const char *sensor_id, int64_t id, int64_t now,
				 char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = stmt(s, ST_CMD_DELIVERED, err, errlen);
	if (st == NULL)
		return -1;
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, now);
	if (run(s, st, "marking a command delivered", &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "command %" PRId64 ": not a queued command of sensor %s",
				id, sensor_id);
}

int store_command_result(struct store *s, const char *sensor_id, int64_t id, const char *status,
			 const char *result_json, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *result = NULL, owner[STORE_ID_MAX + 1], state[STORE_STATUS_MAX + 1];
	int64_t n;
	int rc, r;

	if (check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (status == NULL || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0))
		return errf(err, errlen, "command status: expected done or failed");
	if (result_json != NULL &&
	    json_norm("command result", result_json, STORE_CMD_RESULT_MAX, false, &result, err,
		      errlen) < 0)
		return -1;
	st = stmt(s, ST_CMD_RESULT, err, errlen);
	if (st == NULL) {
		free(result);
		return -1;
	}
	bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, id);
	bind_text(st, 3, status);
	bind_text(st, 4, result);
	sqlite3_bind_int64(st, 5, now);
	r = run(s, st, "storing a command's result", &n, err, errlen);
	free(result);
	if (r < 0)
		return -1;
	if (n > 0)
		return 0;
	/* Nothing changed: say why. */
	st = stmt(s, ST_CMD_GET, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = errf(err, errlen, "unknown command %" PRId64, id);
	else if (rc != SQLITE_ROW)
		r = dberr(s, err, errlen, "reading a command");
	else if (col_copy(st, 0, owner, sizeof(owner)) < 0 ||
		 col_copy(st, 1, state, sizeof(state)) < 0)
		r = errf(err, errlen, "command %" PRId64 ": a stored value is too long", id);
	else if (strcmp(owner, sensor_id) != 0)
		r = errf(err, errlen, "command %" PRId64 " is not for sensor %s", id, sensor_id);
	else
		r = errf(err, errlen, "command %" PRId64 " already ended (%s)", id, state);
	sqlite3_reset(st);
	return r;
}

int store_command_list(struct store *s, const char *sensor_id, int64_t before_id,
		       unsigned limit, store_command_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (before_id < 0)
		return errf(err, errlen, "before_id: expected a command id, or 0");
	if ((sensor_id != NULL &&
	     check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0) ||
	    check_limit(limit, err, errlen) < 0)
		return -1;
	st = stmt(s, sensor_id != NULL ? ST_CMD_LIST_SENSOR : ST_CMD_LIST, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int(st, 2, (int)limit);
	if (sensor_id != NULL)
		bind_text(st, 3, sensor_id);
	return cmd_rows(s, st, cb, arg, err, errlen);
}

int store_commands_expire(struct store *s, int64_t now, int64_t max_age_s, int64_t *expired,
			  char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	if (max_age_s < 0)
		return errf(err, errlen, "command age: expected seconds >= 0");
	st = stmt(s, ST_CMD_EXPIRE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now - max_age_s);
	if (run(s, st, "expiring commands", &n, err, errlen) < 0)
		return -1;
	if (expired != NULL)
		*expired = n;
	return 0;
}
