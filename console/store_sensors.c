/*
 * store_sensors.c - enrolled sensors (gateways and agents): enrolment,
 * revocation, the certificate check, last seen and the offline alert; and
 * the one-time enrolment tokens, stored as hashes.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"

/* ---- sensors ------------------------------------------------------------------- */

/* Read a sensor row (SENSOR_COLS first) into out; -1 when a value does not fit. */
static int sensor_row(sqlite3_stmt *st, struct store_sensor *out)
{
	memset(out, 0, sizeof(*out));
	if (st_col_copy(st, 0, out->id, sizeof(out->id)) < 0 ||
	    st_col_copy(st, 1, out->kind, sizeof(out->kind)) < 0 ||
	    st_col_copy(st, 2, out->hostname, sizeof(out->hostname)) < 0 ||
	    st_col_copy(st, 3, out->cert_serial, sizeof(out->cert_serial)) < 0)
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
int st_sensor_get(struct store *s, const char *id, struct store_sensor *out, char **facts,
		  char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if (facts != NULL)
		*facts = NULL;
	if (st_check_word("sensor id", id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SENSOR_GET, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "unknown sensor %s", id);
	} else if (rc != SQLITE_ROW) {
		r = st_dberr(s, err, errlen, "reading a sensor");
	} else if (sensor_row(st, out) < 0) {
		r = errf(err, errlen, "sensor %s: a stored value is too long", id);
	} else if (facts != NULL && st_col_str(st, 9) != NULL) {
		*facts = strdup(st_col_str(st, 9));
		if (*facts == NULL)
			r = errf(err, errlen, "out of memory");
	}
	sqlite3_reset(st);
	return r;
}
int store_sensor_add(struct store *s, const char *id, const char *kind, const char *hostname,
		     const char *cert_serial, const char *facts_json, int64_t now,
		     char *err, size_t errlen)
{
	char serial[STORE_SERIAL_MAX + 1], *facts = NULL;
	sqlite3_stmt *st;
	int r;

	if (st_check_word("sensor id", id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    st_check_kind(kind, err, errlen) < 0 ||
	    st_check_text("hostname", hostname, STORE_HOST_MAX, 0, err, errlen) < 0)
		return -1;
	if (cert_serial != NULL && st_serial_norm(cert_serial, serial) < 0)
		return errf(err, errlen, "certificate serial: expected 1 to %d hex digits",
			    STORE_SERIAL_MAX);
	if (facts_json != NULL &&
	    st_json_norm("facts", facts_json, STORE_FACTS_MAX, true, &facts, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SENSOR_ADD, err, errlen);
	if (st == NULL) {
		free(facts);
		return -1;
	}
	st_bind_text(st, 1, id);
	st_bind_text(st, 2, kind);
	st_bind_text(st, 3, hostname);
	st_bind_text(st, 4, cert_serial != NULL ? serial : NULL);
	st_bind_text(st, 5, facts);
	sqlite3_bind_int64(st, 6, now);
	r = st_run(s, st, "adding a sensor", NULL, err, errlen);
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
	return st_sensor_get(s, id, out, facts_out, err, errlen);
}

int store_sensor_list(struct store *s, store_sensor_cb cb, void *arg, char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st = st_stmt(s, ST_SENSOR_LIST, err, errlen);
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
		r = st_dberr(s, err, errlen, "listing sensors");
	sqlite3_reset(st);
	return r;
}

int store_sensor_revoke(struct store *s, const char *id, int64_t now, char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st;

	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (st_sensor_get(s, id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (strcmp(row.kind, "console") == 0) {
		errf(err, errlen, "sensor %s is the console itself and cannot be revoked", id);
		goto fail;
	}
	if (row.revoked_at != 0) {
		st_rollback(s);
		return 0;
	}
	st = st_stmt(s, ST_SENSOR_REVOKE, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
	if (st_run(s, st, "revoking a sensor", NULL, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_SENSOR_CMDS_EXPIRE, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (st_run(s, st, "expiring the sensor's commands", NULL, err, errlen) < 0)
		goto fail;
	return st_finish(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}

int store_sensor_allowed(struct store *s, const char *id, const char *cert_serial,
			 char *err, size_t errlen)
{
	struct store_sensor row;
	char serial[STORE_SERIAL_MAX + 1], why[128];
	int r;

	/* A name or serial that cannot be stored cannot match: 0, not an error. */
	if (cert_serial == NULL || st_serial_norm(cert_serial, serial) < 0 ||
	    st_check_word("sensor id", id, STORE_ID_MAX, W_ID, why, sizeof(why)) < 0)
		return 0;
	r = st_sensor_get(s, id, &row, NULL, err, errlen);
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
	int r = st_sensor_get(s, id, &row, NULL, err, errlen);

	if (r != 0)
		return -1;
	/* A write per request would cost an fsync each; an offline mark is
	 * cleared at once all the same. */
	if (row.offline_alerted == 0 && now - row.last_seen < STORE_TOUCH_S)
		return 0;
	st = st_stmt(s, ST_SENSOR_SEEN, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return st_run(s, st, "updating the sensor", NULL, err, errlen);
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
	st = st_stmt(s, ST_SENSOR_SILENT, err, errlen);
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
		r = st_dberr(s, err, errlen, "finding silent sensors");
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

	if (alert_id != NULL)
		*alert_id = 0;
	if (now <= 0)
		return errf(err, errlen, "now: expected a time after 1970");
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (st_sensor_get(s, id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (row.revoked_at != 0 || row.offline_alerted != 0 || strcmp(row.kind, "console") == 0) {
		st_rollback(s);
		return 0;
	}
	if (st_console_seq(s, id, &seq, err, errlen) < 0)
		goto fail;
	iso_format(now, ts, sizeof(ts));
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "timestamp", ts, "event_type", "sensor_offline",
		      "sensor_id", id, "kind", row.kind, "hostname", row.hostname, "last_seen",
		      (json_int_t)row.last_seen);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	snprintf(sig, sizeof(sig), "Sensor offline: %s (%s)", row.hostname, id);
	if (st_sensor_alert(s, &row, seq, now, "sensor_offline", "", sig, body, &aid, err,
			    errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_SENSOR_MARK, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (st_run(s, st, "marking the sensor offline", NULL, err, errlen) < 0 ||
	    st_finish(s, err, errlen) < 0)
		goto fail;
	free(body);
	if (alert_id != NULL)
		*alert_id = aid;
	return 0;
fail:
	free(body);
	st_rollback(s);
	return -1;
}

int st_sensor_alert(struct store *s, const struct store_sensor *row, int64_t seq, int64_t now,
		    const char *type, const char *action, const char *sig, const char *body,
		    int64_t *aid, char *err, size_t errlen)
{
	struct alert_in a = {
		.kind = type, .sensor_id = row->id, .host = row->hostname, .sig = sig,
		.category = "sensor", .action = action, .sig_id = -1, .ts = now, .seq = seq,
		.severity = 2,
	};
	bool inserted, is_new;

	if (body == NULL)
		return errf(err, errlen, "out of memory");
	if (st_event_insert(s, row->id, seq, now, now, type, row->hostname, body, strlen(body),
			    &inserted, err, errlen) < 0 ||
	    st_alert_make(s, &a, aid, &is_new, err, errlen) < 0)
		return -1;
	return 0;
}

int store_sensor_counts(struct store *s, int64_t now, int64_t silence_s,
			int64_t *online, int64_t *offline, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_SENSOR_COUNTS, err, errlen);
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
	return rc == SQLITE_ROW ? 0 : st_dberr(s, err, errlen, "counting sensors");
}
/* ---- enrolment tokens ---------------------------------------------------------- */

int store_token_add(struct store *s, const char *hash_hex, const char *kind, int64_t created,
		    int64_t expires, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int r;

	if (st_check_hash("token hash", hash_hex, err, errlen) < 0 || st_check_kind(kind, err, errlen) < 0)
		return -1;
	if (expires <= created)
		return errf(err, errlen, "token: expires before it is made");
	st = st_stmt(s, ST_TOKEN_ADD, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	st_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, expires);
	r = st_run(s, st, "adding a token", NULL, err, errlen);
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

	if (st_check_hash("token hash", hash_hex, err, errlen) < 0 ||
	    st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (kind_out == NULL || kind_len < STORE_KIND_MAX + 1)
		return errf(err, errlen, "token kind: buffer too small");
	st = st_stmt(s, ST_TOKEN_USE, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	st_bind_text(st, 3, sensor_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = st_col_copy(st, 0, kind_out, kind_len);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return st_dberr(s, err, errlen, "using a token");
		return r < 0 ? errf(err, errlen, "token: stored kind too long") : 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "using a token");
	/* Not used up: say why. */
	st = st_stmt(s, ST_TOKEN_GET, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = errf(err, errlen, "unknown token");
	else if (rc != SQLITE_ROW)
		r = st_dberr(s, err, errlen, "reading a token");
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

	if (st_check_limit(limit, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_TOKEN_LIST, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (st_col_copy(st, 0, row.hash, sizeof(row.hash)) < 0 ||
		    st_col_copy(st, 1, row.kind, sizeof(row.kind)) < 0 ||
		    st_col_copy(st, 5, row.used_by_sensor, sizeof(row.used_by_sensor)) < 0) {
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
		r = st_dberr(s, err, errlen, "listing tokens");
	sqlite3_reset(st);
	return r;
}

int store_token_delete(struct store *s, const char *hash_hex, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (st_check_hash("token hash", hash_hex, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_TOKEN_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	if (st_run(s, st, "deleting a token", &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "unknown token");
}
