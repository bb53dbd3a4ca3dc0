/*
 * store_svcalert.c - service problems as alerts: the console's own sensor
 * row and the service alerts it is the source of (svcalert.h).
 */
#include "store_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"
#include "svcalert.h"

#define OLD_KIND_CHECK "CHECK (kind IN ('agent', 'gateway'))"
#define NEW_KIND_CHECK "CHECK (kind IN ('agent', 'gateway', 'console'))"

/* 1 when the sensors table takes kind "console", 0 when it has the old check. */
static int kind_check(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND "
				      "name = 'sensors'", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "reading the sensors table");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *sql = st_col_str(st, 0);

		if (sql != NULL && strstr(sql, NEW_KIND_CHECK) != NULL)
			r = 1;
		else if (sql != NULL && strstr(sql, OLD_KIND_CHECK) != NULL)
			r = 0;
		else
			errf(err, errlen, "sensors table: its kind check is not one this console knows");
	} else
		st_dberr(s, err, errlen, "reading the sensors table");
	sqlite3_finalize(st);
	return r;
}

/*
 * Widen the kind check in place, the way SQLite documents for loosening a
 * CHECK constraint (no row can break the wider one): edit the table's SQL
 * in sqlite_schema and bump the schema version, in one transaction.
 */
static int widen_kind_check(struct store *s, char *err, size_t errlen)
{
	static const char sql[] =
		"BEGIN IMMEDIATE;"
		"PRAGMA writable_schema = ON;"
		"UPDATE sqlite_schema SET sql = replace(sql, '" "CHECK (kind IN (''agent'', ''gateway''))"
		"', '" "CHECK (kind IN (''agent'', ''gateway'', ''console''))"
		"') WHERE type = 'table' AND name = 'sensors';";
	sqlite3_stmt *st;
	int64_t ver = 0;
	char bump[64];
	int r = -1;

	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "widening the sensors' kinds");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "PRAGMA schema_version", -1, &st, NULL) != SQLITE_OK) {
		st_dberr(s, err, errlen, "reading the schema version");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		ver = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	snprintf(bump, sizeof(bump), "PRAGMA schema_version = %lld;", (long long)ver + 1);
	if (ver <= 0 || sqlite3_exec(s->db, bump, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA writable_schema = OFF; COMMIT;", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		st_dberr(s, err, errlen, "widening the sensors' kinds");
		goto out;
	}
	r = 0;
out:
	if (r < 0) {
		sqlite3_exec(s->db, "PRAGMA writable_schema = OFF;", NULL, NULL, NULL);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return r;
}

int svcalert_init(struct store *s, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int r = kind_check(s, err, errlen);

	if (r < 0 || (r == 0 && widen_kind_check(s, err, errlen) < 0))
		return -1;
	if (kind_check(s, err, errlen) != 1)
		return errf(err, errlen, "sensors table: kind \"console\" still refused");
	if (sqlite3_prepare_v2(s->db, "INSERT INTO sensors (id, kind, hostname, enrolled_at) "
				      "VALUES (?1, 'console', 'console', ?2) "
				      "ON CONFLICT (id) DO NOTHING", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "making the console's sensor row");
	st_bind_text(st, 1, SVCALERT_SENSOR);
	sqlite3_bind_int64(st, 2, now);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return st_dberr(s, err, errlen, "making the console's sensor row");
	return 0;
}

int svcalert_severity(enum inv_crit crit, const char *state)
{
	int sev = crit == INV_CRIT_CRITICAL ? 1 : crit == INV_CRIT_HIGH ? 2 :
		  crit == INV_CRIT_MEDIUM ? 3 : 4;

	if (strcmp(state, "CRITICAL") != 0 && strcmp(state, "down") != 0)
		sev++;
	return sev > 4 ? 4 : sev;
}

/* The open alert of the check into *id (0: none); cert: or one of its
 * certificate alerts ("SIG (certificate: ...)"). */
static int find_open(struct store *s, const char *service, const char *sig, bool cert,
		     int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM alerts WHERE sensor_id = ?1 AND "
				      "kind = 'service' AND host = ?2 AND (signature = ?3 OR (?4 AND "
				      "substr(signature, 1, length(?3) + 15) = ?3 || ' (certificate: ')) "
				      "AND status <> 'resolved' ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "finding the service's alert");
	st_bind_text(st, 1, SVCALERT_SENSOR);
	st_bind_text(st, 2, service);
	st_bind_text(st, 3, sig);
	sqlite3_bind_int(st, 4, cert);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "finding the service's alert");
	return 0;
}

static int signature(const char *service, const char *key, char sig[STORE_SIG_MAX + 1],
		     char *err, size_t errlen)
{
	if (service == NULL || key == NULL || service[0] == '\0' || key[0] == '\0')
		return errf(err, errlen, "service alert: the service and check are required");
	if ((size_t)snprintf(sig, STORE_SIG_MAX + 1, "Service problem: %s: %s", service, key) >
	    STORE_SIG_MAX)
		return errf(err, errlen, "service alert: the check's name is too long");
	return 0;
}

int svcalert_raise(struct store *s, const char *service, const char *key, const char *state,
		   int severity, const char *output, int64_t now, int64_t *alert_id, char *err,
		   size_t errlen)
{
	char sig[STORE_SIG_MAX + 1], ts[32];
	char *body = NULL;
	int64_t open_id, seq = 0, aid = 0;
	bool inserted, is_new;
	struct tm tm;
	time_t t = (time_t)now;
	json_t *j;

	if (alert_id != NULL)
		*alert_id = 0;
	if (signature(service, key, sig, err, errlen) < 0)
		return -1;
	if (severity < 1 || severity > 4)
		return errf(err, errlen, "service alert: severity %d not in 1..4", severity);
	if (now <= 0 || gmtime_r(&t, &tm) == NULL)
		return errf(err, errlen, "now: expected a time after 1970");
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (find_open(s, service, sig, false, &open_id, err, errlen) < 0)
		goto fail;
	if (open_id > 0) {
		st_rollback(s);
		return 0;
	}
	if (st_console_seq(s, SVCALERT_SENSOR, &seq, err, errlen) < 0)
		goto fail;
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "timestamp", ts, "event_type", "service",
		      "service", service, "check", key, "state", state,
		      "output", output != NULL ? output : "");
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	{
		struct alert_in a = {
			.kind = "service", .sensor_id = SVCALERT_SENSOR, .host = service, .sig = sig,
			.category = "service", .action = "", .sig_id = -1, .ts = now, .seq = seq,
			.severity = severity,
		};

		if (st_event_insert(s, SVCALERT_SENSOR, seq, now, now, "service", service, body,
				    strlen(body), &inserted, err, errlen) < 0 ||
		    st_alert_make(s, &a, &aid, &is_new, err, errlen) < 0)
			goto fail;
	}
	if (st_finish(s, err, errlen) < 0)
		goto fail_done;
	free(body);
	if (alert_id != NULL)
		*alert_id = aid;
	return 0;
fail:
	st_rollback(s);
fail_done:
	free(body);
	return -1;
}

int svcalert_resolve(struct store *s, const char *service, const char *key, const char *output,
		     int64_t now, int64_t *alert_id, char *err, size_t errlen)
{
	char sig[STORE_SIG_MAX + 1], note[STORE_NOTE_MAX + 1];
	int64_t id;
	size_t i;

	if (alert_id != NULL)
		*alert_id = 0;
	if (signature(service, key, sig, err, errlen) < 0)
		return -1;
	snprintf(note, sizeof(note), "recovered: %s", output != NULL && output[0] != '\0' ?
		 output : "OK");
	for (i = 0; note[i] != '\0'; i++)        /* a check's output is one line, but be sure */
		if ((unsigned char)note[i] < 0x20)
			note[i] = ' ';
	/* the check's alert and its certificate alerts (at most one per warn figure) */
	for (int round = 0; round < 4; round++) {
		if (find_open(s, service, sig, true, &id, err, errlen) < 0)
			return -1;
		if (id == 0)
			break;
		if (store_alert_note_add(s, id, SVCALERT_USER, now, note, NULL, err, errlen) < 0 ||
		    store_alert_set_status(s, id, "resolved", SVCALERT_USER, now, err, errlen) < 0)
			return -1;
		if (alert_id != NULL && *alert_id == 0)
			*alert_id = id;
	}
	return 0;
}

int svcalert_resolve_left(struct store *s, const char *service, const char *key,
			  const char *note, int64_t now, int *n, char *err, size_t errlen)
{
	char sig[STORE_SIG_MAX + 1];
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	*n = 0;
	if (key != NULL && signature(service, key, sig, err, errlen) < 0)
		return -1;
	/* at most a check's alert and its certificate alerts; a service's: its checks' and backups' */
	for (int round = 0; round < (key != NULL ? 4 : 4 * INV_MAX_CHECKS + 64); round++) {
		if (sqlite3_prepare_v2(s->db, "SELECT id FROM alerts WHERE sensor_id = ?1 AND "
					      "kind = 'service' AND host = ?2 AND status <> 'resolved' "
					      "AND (?3 IS NULL OR signature = ?3 OR "
					      "substr(signature, 1, length(?3) + 15) = ?3 || ' (certificate: ') "
					      "ORDER BY id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
			return st_dberr(s, err, errlen, "finding the service's alerts");
		st_bind_text(st, 1, SVCALERT_SENSOR);
		st_bind_text(st, 2, service);
		if (key != NULL)
			st_bind_text(st, 3, sig);
		else
			sqlite3_bind_null(st, 3);
		rc = sqlite3_step(st);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return st_dberr(s, err, errlen, "finding the service's alerts");
		if (id == 0)
			break;
		if (store_alert_note_add(s, id, SVCALERT_USER, now, note, NULL, err, errlen) < 0 ||
		    store_alert_set_status(s, id, "resolved", SVCALERT_USER, now, err, errlen) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}
