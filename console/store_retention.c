/*
 * store_retention.c - what the console keeps and for how long: events and
 * resolved alerts older than the configured ages are deleted in small
 * steps (store_prune(): one short transaction, at most `batch` rows of
 * each, so ingest never waits long behind it); and the record of batches
 * refused because a sensor went over its quota (store_quota_refused()),
 * which also raises an alert.
 *
 * What is never deleted: an alert that is not resolved; an alert with a
 * hook delivery still pending (st_alert_hooks_pending()); the first event
 * of an alert that is kept (the alert page shows it); the audit log; the
 * sensors, officers and roll-ups, which are not events.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"

/* One statement, prepared per call (pruning runs at most once a second). */
static int prep(struct store *s, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "preparing the retention statements");
	return 0;
}

/*
 * Whether an outbox of alert hooks exists in this database: the hooks'
 * deliveries are in table hook_deliveries (outbox.c).
 * 1 yes, 0 no, -1 error.
 */
static int hook_outbox_exists(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(s, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'hook_deliveries'",
		 &st, err, errlen) < 0)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "looking for the hooks' outbox");
	return rc == SQLITE_ROW;
}

/*
 * Whether alert_id has hook deliveries still pending (outbox.c's
 * hook_deliveries: one queued, or failed and waiting for an operator's
 * retry or drop; or obq.h's hook_outbox: not claimed yet): 1 yes (keep the alert), 0 no, -1 error. With no outbox
 * nothing is pending.
 */
int st_alert_hooks_pending(struct store *s, int64_t alert_id, bool outbox, char *err,
			   size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (!outbox)
		return 0;
	/* claimed by a hook's worker, or not yet (the few rows of hook_outbox) */
	if (prep(s, "SELECT 1 FROM hook_deliveries WHERE alert_id = ?1 "
		    "AND state IN ('queued', 'failed') AND reason <> 'audit' UNION ALL "
		    "SELECT 1 FROM hook_outbox WHERE alert_id = ?1 AND reason <> 'audit' LIMIT 1", &st, err,
		    errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, alert_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "looking for an alert's pending deliveries");
	return rc == SQLITE_ROW;
}

static int prune_alerts(struct store *s, int64_t cutoff, unsigned batch,
			struct store_prune_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *pick = NULL, *notes = NULL, *del = NULL;
	int outbox, rc, r = -1;
	unsigned seen = 0;

	outbox = hook_outbox_exists(s, err, errlen);
	if (outbox < 0)
		return -1;
	/* alerts_status (status, last_seen): only resolved rows are walked */
	if (prep(s, "SELECT id FROM alerts WHERE status = 'resolved' AND last_seen < ?1 "
		 "ORDER BY last_seen LIMIT ?2", &pick, err, errlen) < 0 ||
	    prep(s, "DELETE FROM alert_notes WHERE alert_id = ?1", &notes, err, errlen) < 0 ||
	    prep(s, "DELETE FROM alerts WHERE id = ?1", &del, err, errlen) < 0)
		goto out;
	sqlite3_bind_int64(pick, 1, cutoff);
	sqlite3_bind_int(pick, 2, (int)batch);
	while ((rc = sqlite3_step(pick)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(pick, 0);
		int pending = st_alert_hooks_pending(s, id, outbox == 1, err, errlen);

		seen++;
		if (pending < 0)
			goto out;
		if (pending) {
			res->alerts_held++;
			continue;
		}
		sqlite3_bind_int64(notes, 1, id);
		sqlite3_bind_int64(del, 1, id);
		if (st_run(s, notes, "deleting an alert's notes", NULL, err, errlen) < 0 ||
		    st_run(s, del, "deleting an alert", NULL, err, errlen) < 0)
			goto out;
		res->alerts++;
	}
	if (rc != SQLITE_DONE) {
		st_dberr(s, err, errlen, "choosing alerts to delete");
		goto out;
	}
	if (seen == batch && res->alerts > 0)
		res->more = true;
	r = 0;
out:
	sqlite3_finalize(pick);
	sqlite3_finalize(notes);
	sqlite3_finalize(del);
	return r;
}

static int prune_events(struct store *s, int64_t cutoff, unsigned batch,
			struct store_prune_result *res, char *err, size_t errlen)
{
	sqlite3_stmt *pick = NULL, *used = NULL, *del = NULL;
	int rc, r = -1;
	unsigned seen = 0;
	bool young = false;

	/* In id order, which is arrival order: the oldest first, and the
	 * walk ends at the first event young enough to keep. */
	if (prep(s, "SELECT id, sensor_id, seq, received FROM events WHERE id > ?1 "
		 "ORDER BY id LIMIT ?2", &pick, err, errlen) < 0 ||
	    prep(s, "SELECT 1 FROM alerts WHERE event_sensor_id = ?1 AND event_seq = ?2",
		 &used, err, errlen) < 0 ||
	    prep(s, "DELETE FROM events WHERE id = ?1", &del, err, errlen) < 0)
		goto out;
	sqlite3_bind_int64(pick, 1, s->prune_event_id);
	sqlite3_bind_int(pick, 2, (int)batch);
	while ((rc = sqlite3_step(pick)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(pick, 0);
		int urc;

		seen++;
		if (sqlite3_column_int64(pick, 3) >= cutoff) {
			young = true;
			break;
		}
		s->prune_event_id = id;
		sqlite3_reset(used);
		sqlite3_bind_value(used, 1, sqlite3_column_value(pick, 1));
		sqlite3_bind_int64(used, 2, sqlite3_column_int64(pick, 2));
		urc = sqlite3_step(used);
		sqlite3_reset(used);
		if (urc == SQLITE_ROW) {
			res->events_held++;     /* the first event of a kept alert */
			continue;
		}
		if (urc != SQLITE_DONE) {
			st_dberr(s, err, errlen, "looking for an event's alert");
			goto out;
		}
		sqlite3_bind_int64(del, 1, id);
		if (st_run(s, del, "deleting an event", NULL, err, errlen) < 0)
			goto out;
		res->events++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st_dberr(s, err, errlen, "choosing events to delete");
		goto out;
	}
	if (young || seen < batch)
		s->prune_event_id = 0;  /* this pass is done; the next starts over */
	else
		res->more = true;
	r = 0;
out:
	sqlite3_finalize(pick);
	sqlite3_finalize(used);
	sqlite3_finalize(del);
	return r;
}

int store_prune(struct store *s, int64_t now, int64_t events_age, int64_t alerts_age,
		unsigned batch, struct store_prune_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (batch < 1 || batch > STORE_PRUNE_BATCH_MAX)
		return errf(err, errlen, "batch: expected 1 to %d", STORE_PRUNE_BATCH_MAX);
	if (events_age < 0 || alerts_age < 0)
		return errf(err, errlen, "ages: expected 0 (keep) or more seconds");
	if (events_age == 0 && alerts_age == 0)
		return 0;
	if (st_begin(s, err, errlen) < 0)
		return -1;
	/* alerts first: the events they held go in the same or the next pass */
	if ((alerts_age > 0 && prune_alerts(s, now - alerts_age, batch, res, err, errlen) < 0) ||
	    (events_age > 0 && prune_events(s, now - events_age, batch, res, err, errlen) < 0)) {
		st_rollback(s);
		s->prune_event_id = 0;
		memset(res, 0, sizeof(*res));
		return -1;
	}
	if (st_finish(s, err, errlen) < 0) {
		s->prune_event_id = 0;
		memset(res, 0, sizeof(*res));
		return -1;
	}
	return 0;
}

/* ---- quotas ---------------------------------------------------------------------- */

static const char quota_sql[] =
	"INSERT INTO sensor_quota (sensor_id, refused_batches, refused_events, refused_bytes, "
	"last_refused) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sensor_id) DO UPDATE SET "
	"refused_batches = refused_batches + ?2, refused_events = refused_events + ?3, "
	"refused_bytes = refused_bytes + ?4, last_refused = ?5";

int store_quota_refused(struct store *s, const char *sensor_id, uint64_t batches,
			uint64_t events, uint64_t bytes, int64_t now, int64_t *alert_id,
			char *err, size_t errlen)
{
	struct store_sensor row;
	sqlite3_stmt *st = NULL;
	char ts[40], sig[STORE_SIG_MAX + 1], *body = NULL;
	int64_t seq = 0, aid = 0;
	struct tm tm;
	time_t tt = (time_t)now;
	json_t *j;
	int rc;

	if (alert_id != NULL)
		*alert_id = 0;
	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000+0000", &tm) == 0)
		return errf(err, errlen, "now: not a time");
	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (st_sensor_get(s, sensor_id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (prep(s, quota_sql, &st, err, errlen) < 0)
		goto fail;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, (int64_t)batches);
	sqlite3_bind_int64(st, 3, (int64_t)events);
	sqlite3_bind_int64(st, 4, (int64_t)bytes);
	sqlite3_bind_int64(st, 5, now);
	rc = st_run(s, st, "counting refused batches", NULL, err, errlen);
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	if (st_console_seq(s, sensor_id, &seq, err, errlen) < 0)
		goto fail;
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "timestamp", ts, "event_type",
		      "quota_exceeded", "sensor_id", sensor_id, "kind", row.kind, "hostname",
		      row.hostname, "refused_batches", (json_int_t)batches, "refused_events",
		      (json_int_t)events, "refused_bytes", (json_int_t)bytes);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	snprintf(sig, sizeof(sig), "Sensor over its quota: %s (%s)", row.hostname, sensor_id);
	if (st_sensor_alert(s, &row, seq, now, "quota_exceeded", "refused", sig, body, &aid, err,
			    errlen) < 0)
		goto fail;
	if (st_finish(s, err, errlen) < 0)
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

int store_quota_get(struct store *s, const char *sensor_id, struct store_quota_row *out,
		    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	if (prep(s, "SELECT refused_batches, refused_events, refused_bytes, last_refused "
		 "FROM sensor_quota WHERE sensor_id = ?1", &st, err, errlen) < 0)
		return -1;
	st_bind_text(st, 1, sensor_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->refused_batches = sqlite3_column_int64(st, 0);
		out->refused_events = sqlite3_column_int64(st, 1);
		out->refused_bytes = sqlite3_column_int64(st, 2);
		out->last_refused = sqlite3_column_int64(st, 3);
	} else if (rc != SQLITE_DONE) {
		r = st_dberr(s, err, errlen, "reading a sensor's quota");
	}
	sqlite3_finalize(st);
	return r;
}
