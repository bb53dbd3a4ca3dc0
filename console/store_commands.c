/*
 * store_commands.c - commands queued for sensors and their results:
 * queued, delivered, then done, failed or expired.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"

/* ---- commands ------------------------------------------------------------------ */

/* CMD_COLS into c; args and result point into the statement. */
static int cmd_row(sqlite3_stmt *st, struct store_command *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	if (st_col_copy(st, 1, c->sensor_id, sizeof(c->sensor_id)) < 0 ||
	    st_col_copy(st, 2, c->type, sizeof(c->type)) < 0 ||
	    st_col_copy(st, 5, c->created_by, sizeof(c->created_by)) < 0 ||
	    st_col_copy(st, 8, c->status, sizeof(c->status)) < 0)
		return -1;
	c->args = st_col_str(st, 3);
	if (c->args == NULL)
		c->args = "{}";
	c->created_at = sqlite3_column_int64(st, 4);
	c->delivered_at = sqlite3_column_int64(st, 6);
	c->done_at = sqlite3_column_int64(st, 7);
	c->result = st_col_str(st, 9);
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
		r = st_dberr(s, err, errlen, "listing commands");
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

	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    st_check_word("command type", type, STORE_CMD_TYPE_MAX, W_CMD, err, errlen) < 0 ||
	    (user != NULL && user[0] != '\0' &&
	     st_check_word("user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0) ||
	    st_json_norm("command args", args_json, STORE_CMD_ARGS_MAX, true, &args, err, errlen) < 0)
		return -1;
	if (st_begin(s, err, errlen) < 0)
		goto fail;
	if (st_sensor_get(s, sensor_id, &row, NULL, err, errlen) != 0)
		goto fail;
	if (row.revoked_at != 0) {
		errf(err, errlen, "sensor %s is revoked", sensor_id);
		goto fail;
	}
	st = st_stmt(s, ST_CMD_ADD, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, sensor_id);
	st_bind_text(st, 2, type);
	st_bind_text(st, 3, args);
	sqlite3_bind_int64(st, 4, now);
	st_bind_text(st, 5, user != NULL ? user : "");
	if (st_run(s, st, "queueing a command", NULL, err, errlen) < 0)
		goto fail;
	if (id_out != NULL)
		*id_out = sqlite3_last_insert_rowid(s->db);
	free(args);
	return st_finish(s, err, errlen);
fail:
	st_rollback(s);
	free(args);
	return -1;
}

int store_commands_pending(struct store *s, const char *sensor_id, unsigned limit,
			   store_command_cb cb, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    st_check_limit(limit, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_CMD_PENDING, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int(st, 2, (int)limit);
	return cmd_rows(s, st, cb, arg, err, errlen);
}

int store_command_mark_delivered(struct store *s, const char *sensor_id, int64_t id, int64_t now,
				 char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_CMD_DELIVERED, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, now);
	if (st_run(s, st, "marking a command delivered", &n, err, errlen) < 0)
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

	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (status == NULL || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0))
		return errf(err, errlen, "command status: expected done or failed");
	if (result_json != NULL &&
	    st_json_norm("command result", result_json, STORE_CMD_RESULT_MAX, false, &result, err,
			 errlen) < 0)
		return -1;
	st = st_stmt(s, ST_CMD_RESULT, err, errlen);
	if (st == NULL) {
		free(result);
		return -1;
	}
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, id);
	st_bind_text(st, 3, status);
	st_bind_text(st, 4, result);
	sqlite3_bind_int64(st, 5, now);
	r = st_run(s, st, "storing a command's result", &n, err, errlen);
	free(result);
	if (r < 0)
		return -1;
	if (n > 0)
		return 0;
	/* Nothing changed: say why. */
	st = st_stmt(s, ST_CMD_GET, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = errf(err, errlen, "unknown command %" PRId64, id);
	else if (rc != SQLITE_ROW)
		r = st_dberr(s, err, errlen, "reading a command");
	else if (st_col_copy(st, 0, owner, sizeof(owner)) < 0 ||
		 st_col_copy(st, 1, state, sizeof(state)) < 0)
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
	     st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0) ||
	    st_check_limit(limit, err, errlen) < 0)
		return -1;
	st = st_stmt(s, sensor_id != NULL ? ST_CMD_LIST_SENSOR : ST_CMD_LIST, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int(st, 2, (int)limit);
	if (sensor_id != NULL)
		st_bind_text(st, 3, sensor_id);
	return cmd_rows(s, st, cb, arg, err, errlen);
}

int store_commands_expire(struct store *s, int64_t now, int64_t max_age_s, int64_t *expired,
			  char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	if (max_age_s < 0)
		return errf(err, errlen, "command age: expected seconds >= 0");
	st = st_stmt(s, ST_CMD_EXPIRE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now - max_age_s);
	if (st_run(s, st, "expiring commands", &n, err, errlen) < 0)
		return -1;
	if (expired != NULL)
		*expired = n;
	return 0;
}
