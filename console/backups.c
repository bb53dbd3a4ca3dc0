/*
 * backups.c - see backups.h. The tables are this module's own (made with
 * CREATE TABLE IF NOT EXISTS); it reaches SQLite through store_int.h as
 * the other store_*.c files do.
 */
#include "backups.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "console.h"
#include "errf.h"
#include "log.h"
#include "store_int.h"
#include "store_services.h"
#include "svcalert_run.h"

#define CLOCK_AHEAD   300                       /* a newest snapshot this far ahead: refused */
#define OLDEST        946684800                 /* 2000-01-01 */
#define ERROR_MAX     1024                      /* bytes of a check's message kept */

struct backups_ctx {
	struct event *timer;
	uint64_t refused, taken;
	struct log_limit rl;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS backup_state ("
	" service TEXT NOT NULL, kind TEXT NOT NULL, repo TEXT NOT NULL,"
	" name TEXT NOT NULL DEFAULT '', sensor TEXT NOT NULL DEFAULT '',"
	" host TEXT NOT NULL DEFAULT '', last_report INTEGER NOT NULL DEFAULT 0,"
	" status_ok INTEGER NOT NULL DEFAULT 0, status_error TEXT NOT NULL DEFAULT '',"
	" newest INTEGER NOT NULL DEFAULT 0, newest_id TEXT NOT NULL DEFAULT '',"
	" snapshots INTEGER NOT NULL DEFAULT 0, size INTEGER, files INTEGER,"
	" prev_size INTEGER, prev_files INTEGER, shrunk INTEGER NOT NULL DEFAULT 0,"
	" verify_at INTEGER NOT NULL DEFAULT 0, verify_ok INTEGER NOT NULL DEFAULT 0,"
	" verify_error TEXT NOT NULL DEFAULT '', verify_subset TEXT NOT NULL DEFAULT '',"
	" restore_at INTEGER NOT NULL DEFAULT 0, restore_ok INTEGER NOT NULL DEFAULT 0,"
	" restore_error TEXT NOT NULL DEFAULT '', restore_files INTEGER NOT NULL DEFAULT 0,"
	" rpo_state TEXT NOT NULL DEFAULT 'new',"
	" PRIMARY KEY (service, kind, repo));"
	"CREATE TABLE IF NOT EXISTS backup_sizes ("
	" service TEXT NOT NULL, kind TEXT NOT NULL, repo TEXT NOT NULL,"
	" ts INTEGER NOT NULL, snapshot TEXT NOT NULL, size INTEGER NOT NULL,"
	" files INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS backup_sizes_by ON backup_sizes (service, kind, repo, ts);";

/* What an event says, checked. Strings point into the event's JSON. */
struct bev {
	const char *service, *kind, *repo, *name, *check, *error, *newest_id, *subset;
	bool ok, has_newest, has_size, has_prev, shrunk;
	int64_t newest, snapshots, size, files, prev_size, prev_files, restored;
};

/* ---- checking an event -------------------------------------------------- */

static int str_of(json_t *o, const char *key, size_t max, bool required, const char **out,
		  char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = "";
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v))
		return errf(err, errlen, "backup.%s: expected a string", key);
	if (json_string_length(v) > max)
		return errf(err, errlen, "backup.%s: longer than %zu bytes", key, max);
	*out = json_string_value(v);
	return 0;
}

static int int_of(json_t *o, const char *key, int64_t *out, bool *has, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (has != NULL)
		*has = false;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return errf(err, errlen, "backup.%s: expected an integer >= 0", key);
	*out = json_integer_value(v);
	if (has != NULL)
		*has = true;
	return 0;
}

/* ISO 8601 with a zone as the agents write it ("2026-12-06T23:06:35.000000+0000"). */
static int iso_utc(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se, n = 0;
	struct tm tm;
	const char *z;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
		return -1;
	z = s + 19;
	if (*z == '.')
		for (z++; *z >= '0' && *z <= '9'; z++)
			;
	if (strcmp(z, "+0000") != 0 && strcmp(z, "Z") != 0 && strcmp(z, "+00:00") != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int bev_parse(json_t *e, int64_t now, struct bev *b, char *err, size_t errlen)
{
	json_t *o = json_object_get(e, "backup"), *v;
	const char *newest;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(o))
		return errf(err, errlen, "backup: expected an object");
	if (str_of(o, "service", INV_NAME_MAX - 1, true, &b->service, err, errlen) < 0 ||
	    str_of(o, "kind", 8, true, &b->kind, err, errlen) < 0 ||
	    str_of(o, "repository", INV_TEXT_MAX - 1, true, &b->repo, err, errlen) < 0 ||
	    str_of(o, "name", INV_NAME_MAX - 1, false, &b->name, err, errlen) < 0 ||
	    str_of(o, "check", 8, true, &b->check, err, errlen) < 0 ||
	    str_of(o, "error", 4096, false, &b->error, err, errlen) < 0 ||
	    str_of(o, "newest_id", 255, false, &b->newest_id, err, errlen) < 0 ||
	    str_of(o, "subset", 32, false, &b->subset, err, errlen) < 0 ||
	    str_of(o, "newest", 64, false, &newest, err, errlen) < 0)
		return -1;
	if (strcmp(b->check, "status") != 0 && strcmp(b->check, "verify") != 0 &&
	    strcmp(b->check, "restore") != 0)
		return errf(err, errlen, "backup.check: expected status, verify or restore");
	v = json_object_get(o, "ok");
	if (!json_is_boolean(v))
		return errf(err, errlen, "backup.ok: expected true or false");
	b->ok = json_is_true(v);
	b->shrunk = json_is_true(json_object_get(o, "shrunk"));
	if (int_of(o, "snapshots", &b->snapshots, NULL, err, errlen) < 0 ||
	    int_of(o, "size", &b->size, &b->has_size, err, errlen) < 0 ||
	    (strcmp(b->check, "status") == 0 &&
	     int_of(o, "files", &b->files, NULL, err, errlen) < 0) ||
	    int_of(o, "prev_size", &b->prev_size, &b->has_prev, err, errlen) < 0 ||
	    int_of(o, "prev_files", &b->prev_files, NULL, err, errlen) < 0 ||
	    int_of(o, "sample", &b->restored, NULL, err, errlen) < 0)
		return -1;
	if (newest[0] != '\0') {
		if (iso_utc(newest, &b->newest) < 0)
			return errf(err, errlen, "backup.newest: expected ISO 8601 UTC, like "
				    "2026-12-06T23:06:35.000000+0000");
		if (b->newest > now + CLOCK_AHEAD)
			return errf(err, errlen, "backup.newest: %s is in the future", newest);
		if (b->newest < OLDEST)
			return errf(err, errlen, "backup.newest: %s is before 2000", newest);
		b->has_newest = true;
	}
	return 0;
}

/* The inventory's backup the event is about, given to this host. */
static const struct inv_backup *assigned(const struct inv_service *sv, const struct bev *b,
					 const char *host)
{
	for (int i = 0; sv != NULL && i < sv->n_backups; i++) {
		const struct inv_backup *ib = &sv->backups[i];
		static const char *const kinds[] = { "restic", "borg", "dir" };

		if (strcmp(kinds[ib->kind], b->kind) != 0 || strcmp(ib->where, b->repo) != 0)
			continue;
		if (ib->host[0] != '\0' ? strcasecmp(ib->host, host) == 0 :
					  strcasecmp(sv->name, host) == 0)
			return ib;
	}
	return NULL;
}

/* ---- states and alerts --------------------------------------------------- */

static void key_of(const char *kind, const char *repo, const char *what, char out[SVC_KEY_MAX])
{
	snprintf(out, SVC_KEY_MAX, "backup %s %.*s: %s", kind, INV_TEXT_MAX - 64, repo, what);
}

static void alert(struct console *c, const struct inv_service *sv, const char *kind,
		  const char *repo, const char *what, const char *state, const char *output)
{
	char key[SVC_KEY_MAX];

	key_of(kind, repo, what, key);
	svcalert_state(c, sv, key, state, output, false, (int64_t)console_now());
}

/*
 * The RPO's state: CRITICAL when the newest snapshot is older than the RPO
 * (or the repository holds none), else UNKNOWN while the agent's last
 * listing failed (status_error says why), else OK.
 */
static const char *rpo_state(const struct inv_service *sv, int status_ok, const char *status_error,
			     int64_t newest, int64_t now, char *out, size_t outlen)
{
	if (newest == 0 && status_ok) {
		snprintf(out, outlen, "the repository holds no snapshot");
		return "CRITICAL";
	}
	if (newest != 0 && sv->rpo != 0 && now - newest > (int64_t)sv->rpo) {
		snprintf(out, outlen, "newest snapshot %" PRId64 " s old, RPO %u s", now - newest,
			 sv->rpo);
		return "CRITICAL";
	}
	if (!status_ok) {
		snprintf(out, outlen, "cannot list the repository: %.200s", status_error);
		return "UNKNOWN";
	}
	if (sv->rpo == 0)
		snprintf(out, outlen, "newest snapshot %" PRId64 " s old; the service has no RPO",
			 now - newest);
	else
		snprintf(out, outlen, "newest snapshot %" PRId64 " s old, RPO %u s", now - newest,
			 sv->rpo);
	return "OK";
}

/* Set rpo_state of one backup and alert when it changed. */
static void rpo_update(struct console *c, const struct inv_service *sv, const char *kind,
		       const char *repo, const char *old, const char *st, const char *msg)
{
	sqlite3_stmt *q;

	if (strcmp(old, st) == 0)
		return;
	if (sqlite3_prepare_v2(c->store->db, "UPDATE backup_state SET rpo_state = ?4 WHERE "
				"service = ?1 AND kind = ?2 AND repo = ?3", -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, sv->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, st, -1, SQLITE_TRANSIENT);
	sqlite3_step(q);
	sqlite3_finalize(q);
	alert(c, sv, kind, repo, "rpo", st, msg);
}

static void bind_cut(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, (int)strnlen(s, ERROR_MAX), SQLITE_TRANSIENT);
}

static int store_event(struct console *c, const struct bev *b,
		       const char *sensor, const char *host, int64_t now, char *err, size_t errlen)
{
	sqlite3 *db = c->store->db;
	sqlite3_stmt *q = NULL;
	const char *sql;
	char old_id[256] = "";
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO backup_state (service, kind, repo) VALUES "
				"(?1, ?2, ?3) ON CONFLICT DO NOTHING", -1, &q, NULL) != SQLITE_OK)
		return st_dberr(c->store, err, errlen, "backup state");
	sqlite3_bind_text(q, 1, b->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, b->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, b->repo, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return st_dberr(c->store, err, errlen, "backup state");
	if (sqlite3_prepare_v2(db, "SELECT newest_id FROM backup_state WHERE service = ?1 AND "
				"kind = ?2 AND repo = ?3", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, b->service, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, b->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, b->repo, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			st_col_copy(q, 0, old_id, sizeof(old_id));
		sqlite3_finalize(q);
	}
	if (strcmp(b->check, "status") == 0)
		sql = b->has_newest ?
		      "UPDATE backup_state SET name = ?4, sensor = ?5, host = ?6, last_report = ?7,"
		      " status_ok = ?8, status_error = ?9, newest = ?10, newest_id = ?11,"
		      " snapshots = ?12, size = CASE WHEN ?17 THEN ?13 ELSE size END,"
		      " files = CASE WHEN ?17 THEN ?14 ELSE files END,"
		      " prev_size = CASE WHEN ?17 THEN ?15 ELSE prev_size END,"
		      " prev_files = CASE WHEN ?17 THEN ?16 ELSE prev_files END,"
		      " shrunk = CASE WHEN ?17 THEN ?18 ELSE shrunk END"
		      " WHERE service = ?1 AND kind = ?2 AND repo = ?3" :
		      "UPDATE backup_state SET name = ?4, sensor = ?5, host = ?6, last_report = ?7,"
		      " status_ok = ?8, status_error = ?9 WHERE service = ?1 AND kind = ?2 AND"
		      " repo = ?3";
	else if (strcmp(b->check, "verify") == 0)
		sql = "UPDATE backup_state SET name = ?4, sensor = ?5, host = ?6, last_report = ?7,"
		      " verify_at = ?7, verify_ok = ?8, verify_error = ?9, verify_subset = ?10"
		      " WHERE service = ?1 AND kind = ?2 AND repo = ?3";
	else
		/* a restore test lists the snapshots first: the newest is news too */
		sql = "UPDATE backup_state SET name = ?4, sensor = ?5, host = ?6, last_report = ?7,"
		      " restore_at = ?7, restore_ok = ?8, restore_error = ?9, restore_files = ?10,"
		      " newest = CASE WHEN ?11 > newest THEN ?11 ELSE newest END,"
		      " newest_id = CASE WHEN ?11 > newest THEN ?12 ELSE newest_id END"
		      " WHERE service = ?1 AND kind = ?2 AND repo = ?3";
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return st_dberr(c->store, err, errlen, "backup state");
	sqlite3_bind_text(q, 1, b->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, b->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, b->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, b->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int(q, 8, b->ok);
	bind_cut(q, 9, b->error);
	if (strcmp(b->check, "verify") == 0) {
		sqlite3_bind_text(q, 10, b->subset, -1, SQLITE_STATIC);
	} else if (strcmp(b->check, "restore") == 0) {
		sqlite3_bind_int64(q, 10, b->restored);
		sqlite3_bind_int64(q, 11, b->has_newest ? b->newest : 0);
		sqlite3_bind_text(q, 12, b->newest_id, -1, SQLITE_STATIC);
	} else if (b->has_newest) {
		sqlite3_bind_int64(q, 10, b->newest);
		sqlite3_bind_text(q, 11, b->newest_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 12, b->snapshots);
		sqlite3_bind_int64(q, 13, b->size);
		sqlite3_bind_int64(q, 14, b->files);
		if (b->has_prev) {
			sqlite3_bind_int64(q, 15, b->prev_size);
			sqlite3_bind_int64(q, 16, b->prev_files);
		}
		sqlite3_bind_int(q, 17, b->ok && b->has_size);
		sqlite3_bind_int(q, 18, b->shrunk);
	}
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return st_dberr(c->store, err, errlen, "backup state");
	/* the size trend: one row per new snapshot */
	if (strcmp(b->check, "status") == 0 && b->ok && b->has_size && b->newest_id[0] != '\0' &&
	    strcmp(old_id, b->newest_id) != 0 &&
	    sqlite3_prepare_v2(db, "INSERT INTO backup_sizes (service, kind, repo, ts, snapshot, "
			       "size, files) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &q,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, b->service, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, b->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, b->repo, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, b->newest);
		sqlite3_bind_text(q, 5, b->newest_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, b->size);
		sqlite3_bind_int64(q, 7, b->files);
		sqlite3_step(q);
		sqlite3_finalize(q);
		if (sqlite3_prepare_v2(db, "DELETE FROM backup_sizes WHERE service = ?1 AND kind = ?2"
				       " AND repo = ?3 AND rowid NOT IN (SELECT rowid FROM "
				       "backup_sizes WHERE service = ?1 AND kind = ?2 AND repo = ?3 "
				       "ORDER BY ts DESC LIMIT ?4)", -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, b->service, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, b->kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, b->repo, -1, SQLITE_STATIC);
			sqlite3_bind_int(q, 4, BACKUPS_SIZES_KEPT);
			sqlite3_step(q);
			sqlite3_finalize(q);
		}
	}
	return 0;
}

/* The stored newest time, status, its message and rpo state of one backup;
 * -1 when there is no row yet. */
static int row_state(struct console *c, const char *service, const char *kind, const char *repo,
		     int64_t *newest, int *status_ok, char serr[256], char *rpo, size_t rpolen)
{
	sqlite3_stmt *q;
	int rc = -1;

	if (sqlite3_prepare_v2(c->store->db, "SELECT newest, status_ok, rpo_state, status_error FROM "
				"backup_state WHERE service = ?1 AND kind = ?2 AND repo = ?3", -1,
				&q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, repo, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*newest = sqlite3_column_int64(q, 0);
		*status_ok = sqlite3_column_int(q, 1);
		st_col_copy(q, 2, rpo, rpolen);
		if (st_col_copy(q, 3, serr, 256) < 0)
			serr[255] = '\0';
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

static void take(struct console *c, const char *sensor_id, const struct store_sensor *sen,
		 json_t *ev)
{
	struct backups_ctx *bx = c->backups;
	int64_t now = (int64_t)console_now(), newest = 0;
	const struct inv_service *sv;
	struct bev b;
	char err[512], rpo[16] = "new", msg[256];
	int status_ok = 0;
	json_t *e = json_incref(ev);    /* the batch's; released below as before */

	if (e == NULL || bev_parse(e, now, &b, err, sizeof(err)) < 0) {
		bx->refused++;
		log_limited(&bx->rl, LOG_LVL_WARN, "sensor %s: backup event refused: %s", sensor_id,
			    e == NULL ? "not JSON" : err);
		json_decref(e);
		return;
	}
	sv = c->conf.inv != NULL ? inv_find(c->conf.inv, b.service) : NULL;
	if (strcmp(sen->kind, "agent") != 0 || assigned(sv, &b, sen->hostname) == NULL) {
		bx->refused++;
		log_limited(&bx->rl, LOG_LVL_WARN, "sensor %s (%s): backup %s \"%s\" of service %s "
			    "refused: the inventory gives it no such backup", sensor_id,
			    sen->hostname, b.kind, b.repo, b.service);
		json_decref(e);
		return;
	}
	if (store_event(c, &b, sensor_id, sen->hostname, now, err, sizeof(err)) < 0) {
		log_err("service %s: backup %s: %s", sv->name, b.repo, err);
		json_decref(e);
		return;
	}
	bx->taken++;
	if (strcmp(b.check, "status") == 0 || strcmp(b.check, "restore") == 0) {
		char serr[256] = "";

		if (row_state(c, b.service, b.kind, b.repo, &newest, &status_ok, serr, rpo,
			      sizeof(rpo)) == 0)
			rpo_update(c, sv, b.kind, b.repo, rpo,
				   rpo_state(sv, status_ok, serr, newest, now, msg, sizeof(msg)), msg);
	}
	if (strcmp(b.check, "status") == 0 && b.ok && b.has_size)
		alert(c, sv, b.kind, b.repo, "size", b.shrunk ? "WARNING" : "OK",
		      b.shrunk ? "the newest snapshot is much smaller than the one before" :
				 "size as before");
	else if (strcmp(b.check, "verify") == 0)
		alert(c, sv, b.kind, b.repo, "integrity", b.ok ? "OK" : "CRITICAL",
		      b.ok ? "integrity check passed" : b.error);
	else if (strcmp(b.check, "restore") == 0)
		alert(c, sv, b.kind, b.repo, "restore", b.ok ? "OK" : "CRITICAL",
		      b.ok ? "restore test passed" : b.error);
	json_decref(e);
}

void backups_ingest(struct console *c, const char *sensor_id, const struct store_batch *b)
{
	struct store_sensor sen;
	bool have = false;
	char err[256];

	if (c->backups == NULL)
		return;
	for (unsigned i = 0; i < store_batch_events(b); i++) {
		const char *type;
		int64_t seq;
		json_t *e = store_batch_event(b, i, &type, &seq);

		if (e == NULL || strcmp(type, "backup") != 0)
			continue;
		if (!have) {
			if (store_sensor_get(c->store, sensor_id, &sen, NULL, err, sizeof(err)) != 0) {
				log_err("sensor %s: backup events: %s", sensor_id, err);
				return;
			}
			have = true;
		}
		take(c, sensor_id, &sen, e);
	}
}

/* ---- the RPO on the console's clock ---------------------------------------- */

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	int64_t now = (int64_t)console_now();
	const struct inventory *inv = c->conf.inv;

	(void)fd;
	(void)what;
	for (int i = 0; inv != NULL && i < inv->n; i++) {
		const struct inv_service *sv = &inv->svc[i];

		for (int k = 0; k < sv->n_backups; k++) {
			static const char *const kinds[] = { "restic", "borg", "dir" };
			const struct inv_backup *ib = &sv->backups[k];
			int64_t newest;
			int status_ok;
			char rpo[16], msg[256 + 64], serr[256] = "";

			/* nothing reported yet: nothing to age */
			if (row_state(c, sv->name, kinds[ib->kind], ib->where, &newest, &status_ok, serr,
				      rpo, sizeof(rpo)) < 0 || strcmp(rpo, "new") == 0)
				continue;
			rpo_update(c, sv, kinds[ib->kind], ib->where, rpo,
				   rpo_state(sv, status_ok, serr, newest, now, msg, sizeof(msg)), msg);
		}
	}
}

int backups_start(struct console *c, char *err, size_t errlen)
{
	struct timeval tv = { BACKUPS_TICK_S, 0 };
	struct backups_ctx *bx;
	char *msg = NULL;

	if (sqlite3_exec(c->store->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "backup tables: %s", msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	bx = calloc(1, sizeof(*bx));
	if (bx == NULL)
		return errf(err, errlen, "backups: out of memory");
	bx->rl.burst = 5;
	bx->rl.interval_s = 60;
	bx->timer = event_new(c->base, -1, EV_PERSIST, tick, c);
	if (bx->timer == NULL || event_add(bx->timer, &tv) < 0) {
		if (bx->timer != NULL)
			event_free(bx->timer);
		free(bx);
		return errf(err, errlen, "backups: cannot start the timer");
	}
	c->backups = bx;
	return 0;
}

void backups_free(struct console *c)
{
	if (c->backups == NULL)
		return;
	event_free(c->backups->timer);
	free(c->backups);
	c->backups = NULL;
}

int backups_last_snapshot(struct console *c, const struct inv_service *sv, int k, int64_t at,
			  char key[SVC_KEY_MAX], int64_t *last, char *err, size_t errlen)
{
	static const char *const kinds[] = { "restic", "borg", "dir" };
	const struct inv_backup *ib = &sv->backups[k];
	sqlite3_stmt *q;
	int rc;

	*last = 0;
	snprintf(key, SVC_KEY_MAX, "backup %s %.*s", kinds[ib->kind], INV_TEXT_MAX - 64, ib->where);
	if (sqlite3_prepare_v2(c->store->db, "SELECT max(ts) FROM backup_sizes WHERE service = ?1 "
				"AND kind = ?2 AND repo = ?3 AND ts <= ?4", -1, &q, NULL) != SQLITE_OK)
		return st_dberr(c->store, err, errlen, "backup snapshots");
	sqlite3_bind_text(q, 1, sv->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, kinds[ib->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, ib->where, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, at);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : st_dberr(c->store, err, errlen, "backup snapshots");
}

void backups_counts(const struct console *c, uint64_t *taken, uint64_t *refused)
{
	*taken = c->backups != NULL ? c->backups->taken : 0;
	*refused = c->backups != NULL ? c->backups->refused : 0;
}

int backups_check_event(const char *text, size_t len, int64_t now, char *err, size_t errlen)
{
	json_t *e = json_loadb(text, len, 0, NULL);
	struct bev b;
	int rc;

	if (e == NULL)
		return errf(err, errlen, "not JSON");
	rc = bev_parse(e, now, &b, err, errlen);
	if (rc == 0 && (b.service == NULL || b.kind == NULL || b.repo == NULL || b.check == NULL ||
			(b.has_newest && (b.newest < OLDEST || b.newest > now + CLOCK_AHEAD))))
		rc = -2;        /* a broken invariant: the fuzzer reports it */
	json_decref(e);
	return rc;
}

/* ---- the REST view --------------------------------------------------------------- */

static json_t *int_or_null(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? json_null() :
	       json_integer(sqlite3_column_int64(q, i));
}

static json_t *when(sqlite3_stmt *q, int i)
{
	int64_t v = sqlite3_column_int64(q, i);

	return v > 0 ? json_integer(v) : json_null();
}

json_t *backups_json(struct console *c, const struct inv_service *sv, int detail)
{
	static const char *const kinds[] = { "restic", "borg", "dir" };
	json_t *arr = json_array();
	int64_t now = (int64_t)console_now();

	for (int k = 0; arr != NULL && k < sv->n_backups; k++) {
		const struct inv_backup *ib = &sv->backups[k];
		json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "kind", kinds[ib->kind], "repository",
				      ib->where, "host", ib->host, "rpo", (json_int_t)sv->rpo);
		sqlite3_stmt *q;

		if (o == NULL)
			continue;
		if (sqlite3_prepare_v2(c->store->db,
				       "SELECT last_report, status_ok, status_error, newest, newest_id,"
				       " snapshots, size, files, prev_size, prev_files, shrunk,"
				       " verify_at, verify_ok, verify_error, verify_subset, restore_at,"
				       " restore_ok, restore_error, restore_files, rpo_state, sensor"
				       " FROM backup_state WHERE service = ?1 AND kind = ?2 AND"
				       " repo = ?3", -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, sv->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, kinds[ib->kind], -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, ib->where, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW) {
				int64_t newest = sqlite3_column_int64(q, 3);

				json_object_set_new(o, "last_report", when(q, 0));
				json_object_set_new(o, "status_ok", json_boolean(sqlite3_column_int(q, 1)));
				json_object_set_new(o, "newest", when(q, 3));
				json_object_set_new(o, "age", newest > 0 ? json_integer(now - newest) :
								json_null());
				json_object_set_new(o, "rpo_state", json_string(st_col_str(q, 19)));
				json_object_set_new(o, "snapshots", json_integer(sqlite3_column_int64(q, 5)));
				json_object_set_new(o, "size", int_or_null(q, 6));
				json_object_set_new(o, "files", int_or_null(q, 7));
				json_object_set_new(o, "prev_size", int_or_null(q, 8));
				json_object_set_new(o, "prev_files", int_or_null(q, 9));
				json_object_set_new(o, "shrunk", json_boolean(sqlite3_column_int(q, 10)));
				json_object_set_new(o, "verified_at", when(q, 11));
				json_object_set_new(o, "verify_ok", sqlite3_column_int64(q, 11) > 0 ?
						    json_boolean(sqlite3_column_int(q, 12)) : json_null());
				json_object_set_new(o, "restore_at", when(q, 15));
				json_object_set_new(o, "restore_ok", sqlite3_column_int64(q, 15) > 0 ?
						    json_boolean(sqlite3_column_int(q, 16)) : json_null());
				if (detail) {
					json_object_set_new(o, "status_error", json_string(st_col_str(q, 2)));
					json_object_set_new(o, "newest_id", json_string(st_col_str(q, 4)));
					json_object_set_new(o, "verify_error", json_string(st_col_str(q, 13)));
					json_object_set_new(o, "verify_subset", json_string(st_col_str(q, 14)));
					json_object_set_new(o, "restore_error", json_string(st_col_str(q, 17)));
					json_object_set_new(o, "restore_files", json_integer(sqlite3_column_int64(q, 18)));
					json_object_set_new(o, "sensor", json_string(st_col_str(q, 20)));
				}
			} else {
				json_object_set_new(o, "rpo_state", json_string("new"));
			}
			sqlite3_finalize(q);
		}
		if (detail && sqlite3_prepare_v2(c->store->db, "SELECT ts, size, files FROM "
						 "backup_sizes WHERE service = ?1 AND kind = ?2 AND "
						 "repo = ?3 ORDER BY ts", -1, &q, NULL) == SQLITE_OK) {
			json_t *tr = json_array();

			sqlite3_bind_text(q, 1, sv->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, kinds[ib->kind], -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 3, ib->where, -1, SQLITE_STATIC);
			while (sqlite3_step(q) == SQLITE_ROW)
				json_array_append_new(tr, json_pack("{s:I,s:I,s:I}", "ts",
					(json_int_t)sqlite3_column_int64(q, 0), "size",
					(json_int_t)sqlite3_column_int64(q, 1), "files",
					(json_int_t)sqlite3_column_int64(q, 2)));
			sqlite3_finalize(q);
			json_object_set_new(o, "sizes", tr);
		}
		json_array_append_new(arr, o);
	}
	return arr;
}
