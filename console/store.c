/*
 * store.c - the console's durable storage on SQLite 3 (see store.h for the
 * contract): opening and closing, the schema, the prepared statements, the
 * transactions and the checks every value passes. What each table holds is
 * read and written in its own file: store_ingest.c (events, batches),
 * store_sensors.c (sensors, enrolment tokens), store_users.c (users,
 * sessions, API tokens), store_audit.c, store_alerts.c, store_commands.c;
 * what they share is store_int.h.
 *
 * Assumptions: one struct store per process, used from one thread; other
 * processes (kastro-console init, a backup tool) may open the file too, so
 * writes take the lock at BEGIN IMMEDIATE and wait up to the busy timeout.
 * SQLite does the storage, jansson checks and re-serialises sensors' JSON;
 * by hand are only the bounds checks and, in store_ingest.c, an ISO 8601
 * parser.
 *
 * Statements: the fixed ones are prepared once, on first use, and kept in
 * s->st[]; the alert listing is built from the set of filters in use (64
 * shapes) and kept in s->aq[]. Every statement is reset as soon as its rows
 * are read, so no read transaction stays open and blocks WAL checkpoints.
 *
 * The schema (user_version 3, application_id KASTRO_APP_ID; a version 1
 * or 2 file is upgraded when opened):
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
#include "store_int.h"

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

static const char *const st_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BATCH_BEGIN] = "SAVEPOINT batch",
	[ST_BATCH_END] = "RELEASE batch",
	[ST_BATCH_UNDO] = "ROLLBACK TO batch",

	[ST_EVENT_INSERT] =
		"INSERT INTO events (sensor_id, seq, ts, received, event_type, host, body, claim, flags) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (sensor_id, seq) DO NOTHING",
	[ST_EVENT_GET] = "SELECT " EVENT_COLS " FROM events WHERE sensor_id = ?1 AND seq = ?2",
	[ST_EVENT_MINSEQ] = "SELECT min(0, coalesce(min(seq), 0)) FROM events "
			    "WHERE sensor_id = ?1 AND seq < 0",
	[ST_SENSOR_INGESTED] = "UPDATE sensors SET last_seen = ?2, offline_alerted = 0, "
			       "acked_seq = max(acked_seq, ?3) WHERE id = ?1",
	/* The newest open row of this signature for this host whose span,
	 * widened by the window (?6), holds the event's time (?5). */
	[ST_ALERT_FIND] = "SELECT id, severity FROM alerts WHERE sensor_id = ?1 AND host = ?2 AND "
			  "signature = ?3 AND kind = ?4 AND status <> 'resolved' AND "
			  "last_seen >= ?5 - ?6 AND first_seen <= ?5 + ?6 "
			  "ORDER BY last_seen DESC, id DESC LIMIT 1",
	[ST_ALERT_BUMP] = "UPDATE alerts SET count = count + 1, last_seen = max(last_seen, ?2), "
			  "first_seen = min(first_seen, ?2) WHERE id = ?1",
	[ST_ALERT_ESCALATE] = "UPDATE alerts SET severity = ?2 WHERE id = ?1 AND severity > ?2",
	[ST_ALERT_INSERT] =
		"INSERT INTO alerts (kind, sensor_id, host, signature_id, signature, category, "
		"severity, action, first_seen, last_seen, count, event_sensor_id, event_seq, app, "
		"claimed_host, flags) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1, ?2, ?10, ?11, ?12, ?13)",

	[ST_SENSOR_ADD] = "INSERT INTO sensors (id, kind, hostname, cert_serial, facts, enrolled_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SENSOR_GET] = "SELECT " SENSOR_COLS ", facts FROM sensors WHERE id = ?1",
	[ST_SENSOR_LIST] = "SELECT " SENSOR_COLS " FROM sensors ORDER BY hostname, id",
	[ST_SENSOR_REVOKE] = "UPDATE sensors SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
	[ST_SENSOR_CMDS_EXPIRE] = "UPDATE commands SET status = 'expired', done_at = ?2 "
				  "WHERE sensor_id = ?1 AND status IN ('queued', 'delivered')",
	[ST_SENSOR_SEEN] = "UPDATE sensors SET last_seen = ?2, offline_alerted = 0 WHERE id = ?1",
	[ST_SENSOR_SILENT] =
		/* a sensor that never connected is pending, not silent */
		"SELECT " SENSOR_COLS " FROM sensors WHERE revoked_at = 0 AND offline_alerted = 0 "
		"AND kind <> 'console' "
		"AND last_seen > 0 AND last_seen < ?1 ORDER BY last_seen, id LIMIT ?2",
	[ST_SENSOR_MARK] = "UPDATE sensors SET offline_alerted = ?2 WHERE id = ?1",
	[ST_SENSOR_COUNTS] = "SELECT coalesce(sum(last_seen >= ?1), 0), coalesce(sum(last_seen < ?1), 0) "
			     "FROM sensors WHERE revoked_at = 0 AND kind <> 'console'",

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
	[ST_APITOK_ADD] = "INSERT INTO api_tokens (hash, user_id, name, created_at, expires_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_APITOK_LOOKUP] = "SELECT t.user_id, t.last_used, t.expires_at FROM api_tokens t "
			     "JOIN users u ON u.id = t.user_id WHERE t.hash = ?1 AND u.disabled = 0",
	[ST_APITOK_TOUCH] = "UPDATE api_tokens SET last_used = ?2 WHERE hash = ?1",
	[ST_APITOK_DELETE] = "DELETE FROM api_tokens WHERE user_id = ?1 AND name = ?2",
	[ST_APITOK_LIST] = "SELECT t.hash, t.user_id, t.name, t.created_at, t.last_used, "
			   "t.expires_at, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id "
			   "WHERE t.user_id = ?1 ORDER BY t.name",
	[ST_APITOK_LIST_ALL] = "SELECT t.hash, t.user_id, t.name, t.created_at, t.last_used, "
			       "t.expires_at, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id "
			       "ORDER BY u.name, t.name",
	[ST_SESSION_END_OTHERS] = "DELETE FROM sessions WHERE user_id = ?1 AND id_hash IS NOT ?2",
	[ST_APITOK_END_OTHERS] = "DELETE FROM api_tokens WHERE user_id = ?1 AND hash IS NOT ?2",

	[ST_AUDIT_ADD] = "INSERT INTO audit (id, ts, user, addr, action, detail, prev_hash, hash) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_ROLLUP_HISTOGRAM] = "SELECT day, rows, events FROM alert_day WHERE day >= ?1 AND rows > 0 "
				"ORDER BY day",
	[ST_ROLLUP_TOP] = "SELECT name, sum(events) AS n FROM blocked_day WHERE day >= ?2 AND kind = ?1 "
			  "AND (kind <> 2 OR name <> '') GROUP BY name HAVING n > 0 "
			  "ORDER BY n DESC, name LIMIT ?3",
	[ST_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
	[ST_AUDIT_WALK] = "SELECT id, ts, user, addr, action, detail, prev_hash, hash FROM audit "
			  "WHERE id > ?1 ORDER BY id LIMIT ?2",
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

/* ---- errors and checks (helpers: they never log) ------------------------------- */

/* -1 with "what: SQLite's message". */
int st_dberr(struct store *s, char *err, size_t errlen, const char *what)
{
	return errf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool st_utf8_ok(const unsigned char *p, size_t n)
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

/*
 * v: at most max bytes of UTF-8 without control characters (TX_LINES: but
 * for newlines and tabs). what names the field in the error.
 */
int st_check_text(const char *what, const char *v, size_t max, unsigned flags, char *err,
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
	if (!st_utf8_ok((const unsigned char *)v, n))
		return errf(err, errlen, "%s: not UTF-8", what);
	return 0;
}

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
int st_check_word(const char *what, const char *v, size_t max, enum word_class cl, char *err,
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
int st_check_hash(const char *what, const char *v, char *err, size_t errlen)
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
int st_serial_norm(const char *v, char out[STORE_SERIAL_MAX + 1])
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

int st_check_kind(const char *kind, char *err, size_t errlen)
{
	if (kind == NULL || (strcmp(kind, "agent") != 0 && strcmp(kind, "gateway") != 0))
		return errf(err, errlen, "kind: expected \"agent\" or \"gateway\"");
	return 0;
}

int st_check_role(const char *role, char *err, size_t errlen)
{
	if (role == NULL || (strcmp(role, "admin") != 0 && strcmp(role, "analyst") != 0 &&
			     strcmp(role, "viewer") != 0))
		return errf(err, errlen, "role: expected \"admin\", \"analyst\" or \"viewer\"");
	return 0;
}

/* A page size: 1..STORE_PAGE_MAX. */
int st_check_limit(unsigned limit, char *err, size_t errlen)
{
	if (limit < 1 || limit > STORE_PAGE_MAX)
		return errf(err, errlen, "limit: expected 1 to %d", STORE_PAGE_MAX);
	return 0;
}

/* addr: NULL or printable text of at most STORE_ADDR_MAX. */
int st_check_addr(const char *addr, char *err, size_t errlen)
{
	return addr == NULL ? 0 : st_check_text("address", addr, STORE_ADDR_MAX, TX_EMPTY, err, errlen);
}

/*
 * text (NULL: "{}" when obj_only) as compact JSON without duplicate keys, at
 * most max bytes, into *out (malloc'd, free()). obj_only: it must be an
 * object; else any JSON value.
 */
int st_json_norm(const char *what, const char *text, size_t max, bool obj_only, char **out,
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
int st_col_copy(sqlite3_stmt *st, int i, char *buf, size_t size)
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
const char *st_col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* ---- statements and transactions ------------------------------------------- */

/* The cached statement id, reset and unbound; NULL with err on failure. */
sqlite3_stmt *st_stmt(struct store *s, enum st_id id, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
				       NULL) != SQLITE_OK) {
			st_dberr(s, err, errlen, "preparing a statement");
			return NULL;
		}
		return s->st[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Bind text; NULL binds SQL NULL. */
int st_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/*
 * Run a statement that returns no rows (or whose rows are not wanted) and
 * reset it. 0, or -1 with err. *changes (may be NULL) gets the rows changed.
 */
int st_run(struct store *s, sqlite3_stmt *st, const char *what, int64_t *changes, char *err,
	   size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		s->rc = sqlite3_extended_errcode(s->db);
		st_dberr(s, err, errlen, what);
		sqlite3_reset(st);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes64(s->db);
	sqlite3_reset(st);
	return 0;
}

int st_name_counts(struct store *s, sqlite3_stmt *st, store_count_cb cb, void *arg,
		   const char *what, char *err, size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = st_col_str(st, 0);

		if (cb(arg, name != NULL ? name : "", sqlite3_column_int64(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : st_dberr(s, err, errlen, what);
}

/*
 * The sequence number of an event the console writes itself for
 * sensor_id (an offline notice, a quota refusal, a service check): one
 * below the lowest such number so far, so it never meets the sensor's own
 * (positive) numbers. 0 with *seq, or -1 with err.
 */
int st_console_seq(struct store *s, const char *sensor_id, int64_t *seq, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_EVENT_MINSEQ, err, errlen);
	int rc;

	if (st == NULL)
		return -1;
	st_bind_text(st, 1, sensor_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0) - 1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "numbering the console's event");
	return 0;
}

int st_begin(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_BEGIN, err, errlen);

	return st == NULL ? -1 : st_run(s, st, "starting a transaction", NULL, err, errlen);
}

int st_commit(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_COMMIT, err, errlen);

	return st == NULL ? -1 : st_run(s, st, "committing", NULL, err, errlen);
}

/* Roll back if a transaction is open; keeps err as it is. */
void st_rollback(struct store *s)
{
	sqlite3_stmt *st;

	if (sqlite3_get_autocommit(s->db))
		return;
	st = st_stmt(s, ST_ROLLBACK, NULL, 0);
	if (st != NULL)
		st_run(s, st, "rolling back", NULL, NULL, 0);
}

/* Commit, or roll back and -1 when the commit failed. */
int st_finish(struct store *s, char *err, size_t errlen)
{
	if (st_commit(s, err, errlen) < 0) {
		st_rollback(s);
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
	" expires_at INTEGER NOT NULL DEFAULT 0,"
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

/* Version 3: API tokens expire (0: a token made before, which never does). */
static const char migrate_v3_sql[] =
	"ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;";

/* One integer from a PRAGMA or query; -1 with err. */
static int query_int(struct store *s, const char *sql, int64_t *v, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, sql);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		st_dberr(s, err, errlen, sql);
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
		return st_dberr(s, err, errlen, what);
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
	if (app == KASTRO_APP_ID && ver >= 1 && ver < STORE_SCHEMA_VERSION) {
		/* Step by step, all of it or nothing: a failure leaves the file
		 * at the version it had. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		if ((ver < 2 && exec(s, migrate_v2_sql, "upgrading the schema to version 2", err,
				     errlen) < 0) ||
		    (ver < 3 && exec(s, migrate_v3_sql, "upgrading the schema to version 3", err,
				     errlen) < 0) ||
		    exec(s, pragma, "upgrading the schema", err, errlen) < 0)
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
		mode = st_col_str(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0)
			r = errf(err, errlen, "%s: cannot use WAL mode here (journal mode stays %s); "
				 "put the database on a local file system", path,
				 mode != NULL ? mode : "unknown");
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * Waiting for the write lock another connection holds (the hooks' workers
 * claim and mark deliveries in short transactions of their own; the loop
 * and the ingest writer take turns): 0.1 ms at a time for the first 5 ms,
 * then 1 ms, then 10 ms, BUSY_TIMEOUT_MS in all. SQLite's own handler
 * sleeps 1, 2, 5, 10 ms ...: a wait for a transaction of a millisecond
 * cost the ingest writer several.
 */
static int st_busy(void *arg, int n)
{
	long us = n < 50 ? 100 : n < 145 ? 1000 : 10000;
	struct timespec ts = { 0, us * 1000 };

	(void)arg;
	/* 50 x 0.1 ms + 95 x 1 ms = 100 ms, then 10 ms at a time */
	if (n >= 145 + (BUSY_TIMEOUT_MS - 100) / 10)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
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
	sqlite3_busy_handler(s->db, st_busy, NULL);
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
	if (schema_check(s, path, create, err, errlen) < 0 ||
	    st_schema_ext(s, err, errlen) < 0)
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
	sqlite3_finalize(s->outbox_put);
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
