/*
 * store_users.c - officers: users (names unique ignoring ASCII case, at
 * least one enabled admin always left), their sessions and API tokens,
 * stored as hashes.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"

/* ---- users --------------------------------------------------------------------- */

/* USER_COLS into out; secrets blanked when !secrets. */
static int user_row(sqlite3_stmt *st, struct store_user *out, bool secrets)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	if (st_col_copy(st, 1, out->name, sizeof(out->name)) < 0 ||
	    st_col_copy(st, 2, out->role, sizeof(out->role)) < 0 ||
	    st_col_copy(st, 3, out->pw_hash, sizeof(out->pw_hash)) < 0 ||
	    st_col_copy(st, 4, out->totp_secret, sizeof(out->totp_secret)) < 0)
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
		r = st_dberr(s, err, errlen, "reading a user");
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

	if (st_check_word("user name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0 ||
	    st_check_role(role, err, errlen) < 0 ||
	    st_check_text("password hash", pw_hash, STORE_PWHASH_MAX, 0, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_USER_ADD, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, name);
	st_bind_text(st, 2, role);
	st_bind_text(st, 3, pw_hash);
	sqlite3_bind_int64(st, 4, now);
	if (st_run(s, st, "adding a user", NULL, err, errlen) < 0) {
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
	if (st_check_word("user name", name, STORE_NAME_MAX, W_NAME, why, sizeof(why)) < 0) {
		errf(err, errlen, "unknown user (%s)", why);
		return STORE_NOT_FOUND;
	}
	st = st_stmt(s, ST_USER_BY_NAME, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, name);
	return user_one(s, st, out, name, err, errlen);
}

int store_user_get_by_id(struct store *s, int64_t id, struct store_user *out,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_USER_BY_ID, err, errlen);
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
	sqlite3_stmt *st = st_stmt(s, ST_USER_LIST, err, errlen);
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
		r = st_dberr(s, err, errlen, "listing users");
	sqlite3_reset(st);
	return r;
}

/* Run st (bound) that changes user id: -1 "unknown user" when no row changed. */
static int user_change(struct store *s, sqlite3_stmt *st, int64_t id, const char *what,
		       char *err, size_t errlen)
{
	int64_t n;

	if (st_run(s, st, what, &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "unknown user %" PRId64, id);
}

int store_user_set_password(struct store *s, int64_t id, const char *pw_hash,
			    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (st_check_text("password hash", pw_hash, STORE_PWHASH_MAX, 0, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_USER_SET_PW, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	st_bind_text(st, 2, pw_hash);
	return user_change(s, st, id, "setting a password", err, errlen);
}

int store_user_set_totp(struct store *s, int64_t id, const char *secret, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (secret != NULL &&
	    st_check_word("TOTP secret", secret, STORE_TOTP_MAX, W_B32, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_USER_SET_TOTP, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	st_bind_text(st, 2, secret != NULL ? secret : "");
	return user_change(s, st, id, "setting the second factor", err, errlen);
}

int store_user_set_totp_step(struct store *s, int64_t id, int64_t step, char *err, size_t errlen)
{
	struct store_user u;
	sqlite3_stmt *st = st_stmt(s, ST_USER_SET_STEP, err, errlen);
	int64_t n;
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, step);
	if (st_run(s, st, "recording a TOTP step", &n, err, errlen) < 0)
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
	sqlite3_stmt *st = st_stmt(s, ST_USER_ADMINS, err, errlen);
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "counting admins");
	return n > 0 ? 0 : errf(err, errlen, "refused: no enabled admin would be left");
}

int store_user_set_role(struct store *s, int64_t id, const char *role, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	bool was;

	if (st_check_role(role, err, errlen) < 0 || st_begin(s, err, errlen) < 0)
		return -1;
	if (was_admin(s, id, &was, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_USER_SET_ROLE, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	st_bind_text(st, 2, role);
	if (user_change(s, st, id, "setting a role", err, errlen) < 0 ||
	    (was && admin_remains(s, err, errlen) < 0))
		goto fail;
	return st_finish(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}

int store_user_disable(struct store *s, int64_t id, int disabled, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	bool was;

	if (st_begin(s, err, errlen) < 0)
		return -1;
	if (was_admin(s, id, &was, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_USER_SET_DISABLED, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, disabled != 0);
	if (user_change(s, st, id, "disabling a user", err, errlen) < 0)
		goto fail;
	if (disabled) {
		if (was && admin_remains(s, err, errlen) < 0)
			goto fail;
		st = st_stmt(s, ST_SESSION_DELETE_USER, err, errlen);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		if (st_run(s, st, "ending the user's sessions", NULL, err, errlen) < 0)
			goto fail;
	}
	return st_finish(s, err, errlen);
fail:
	st_rollback(s);
	return -1;
}
/* ---- sessions ------------------------------------------------------------------ */

int store_session_add(struct store *s, const char *id_hash, int64_t user_id, int64_t now,
		      const char *addr, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (st_check_hash("session", id_hash, err, errlen) < 0 || st_check_addr(addr, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SESSION_ADD, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id_hash);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, now);
	st_bind_text(st, 4, addr != NULL ? addr : "");
	if (st_run(s, st, "adding a session", NULL, err, errlen) < 0) {
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

	if (st_check_hash("session", id_hash, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SESSION_GET, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id_hash);
	rc = sqlite3_step(st);
	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "unknown session");
	} else if (rc != SQLITE_ROW) {
		r = st_dberr(s, err, errlen, "reading a session");
	} else {
		out->user_id = sqlite3_column_int64(st, 0);
		out->created_at = sqlite3_column_int64(st, 1);
		out->last_seen = sqlite3_column_int64(st, 2);
		if (st_col_copy(st, 3, out->addr, sizeof(out->addr)) < 0)
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
	st = st_stmt(s, ST_SESSION_TOUCH, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id_hash);
	sqlite3_bind_int64(st, 2, now);
	return st_run(s, st, "updating a session", NULL, err, errlen);
}

int store_session_delete(struct store *s, const char *id_hash, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if (st_check_hash("session", id_hash, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SESSION_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, id_hash);
	return st_run(s, st, "deleting a session", NULL, err, errlen);
}

int store_session_delete_user(struct store *s, int64_t user_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_SESSION_DELETE_USER, err, errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	return st_run(s, st, "deleting sessions", NULL, err, errlen);
}

int store_sessions_expire(struct store *s, int64_t now, int64_t idle_s, int64_t absolute_s,
			  int64_t *deleted, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n = 0;

	if (idle_s < 0 || absolute_s < 0)
		return errf(err, errlen, "session limits: expected seconds >= 0");
	st = st_stmt(s, ST_SESSION_EXPIRE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now - idle_s);
	sqlite3_bind_int64(st, 2, now - absolute_s);
	if (st_run(s, st, "expiring sessions", &n, err, errlen) < 0)
		return -1;
	if (deleted != NULL)
		*deleted = n;
	return 0;
}
/* ---- API tokens ---------------------------------------------------------------- */

int store_api_token_add(struct store *s, const char *hash_hex, int64_t user_id, const char *name,
			int64_t now, char *err, size_t errlen)
{
	return store_api_token_add_until(s, hash_hex, user_id, name, now, 0, err, errlen);
}

int store_api_token_add_until(struct store *s, const char *hash_hex, int64_t user_id,
			      const char *name, int64_t now, int64_t expires_at, char *err,
			      size_t errlen)
{
	sqlite3_stmt *st;

	if (st_check_hash("API token hash", hash_hex, err, errlen) < 0 ||
	    st_check_word("API token name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	if (expires_at < 0 || (expires_at > 0 && expires_at <= now))
		return errf(err, errlen, "API token: expires before it is made");
	st = st_stmt(s, ST_APITOK_ADD, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, user_id);
	st_bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires_at);
	if (st_run(s, st, "adding an API token", NULL, err, errlen) < 0) {
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
	int64_t last = 0, expires = 0, uid = 0;
	int rc;

	if (st_check_hash("API token hash", hash_hex, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_APITOK_LOOKUP, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		uid = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
		expires = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		errf(err, errlen, "unknown API token");
		return STORE_NOT_FOUND;
	}
	if (rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "reading an API token");
	if (expires != 0 && expires <= now) {
		errf(err, errlen, "API token expired");
		return STORE_NOT_FOUND;
	}
	*user_id = uid;
	if (now - last < STORE_TOUCH_S)
		return 0;
	st = st_stmt(s, ST_APITOK_TOUCH, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, hash_hex);
	sqlite3_bind_int64(st, 2, now);
	return st_run(s, st, "updating an API token", NULL, err, errlen);
}

int store_api_token_delete(struct store *s, int64_t user_id, const char *name,
			   char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n;

	if (st_check_word("API token name", name, STORE_NAME_MAX, W_NAME, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_APITOK_DELETE, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, user_id);
	st_bind_text(st, 2, name);
	if (st_run(s, st, "deleting an API token", &n, err, errlen) < 0)
		return -1;
	return n > 0 ? 0 : errf(err, errlen, "no API token %s of user %" PRId64, name, user_id);
}

int store_api_token_list(struct store *s, int64_t user_id, store_api_token_cb cb, void *arg,
			 char *err, size_t errlen)
{
	struct store_api_token row;
	sqlite3_stmt *st = st_stmt(s, user_id != 0 ? ST_APITOK_LIST : ST_APITOK_LIST_ALL, err, errlen);
	int rc, r = 0;

	if (st == NULL)
		return -1;
	if (user_id != 0)
		sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		if (st_col_copy(st, 0, row.hash, sizeof(row.hash)) < 0 ||
		    st_col_copy(st, 2, row.name, sizeof(row.name)) < 0 ||
		    st_col_copy(st, 6, row.user, sizeof(row.user)) < 0) {
			r = errf(err, errlen, "API tokens: a stored value is too long");
			break;
		}
		row.user_id = sqlite3_column_int64(st, 1);
		row.created_at = sqlite3_column_int64(st, 3);
		row.last_used = sqlite3_column_int64(st, 4);
		row.expires_at = sqlite3_column_int64(st, 5);
		if (cb(arg, &row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = st_dberr(s, err, errlen, "listing API tokens");
	sqlite3_reset(st);
	return r;
}

int store_user_end_credentials(struct store *s, int64_t user_id, const char *keep_session,
			       const char *keep_token, int64_t *ended, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t n1 = 0, n2 = 0;

	if (ended != NULL)
		*ended = 0;
	if ((keep_session != NULL && st_check_hash("session", keep_session, err, errlen) < 0) ||
	    (keep_token != NULL && st_check_hash("API token hash", keep_token, err, errlen) < 0) ||
	    st_begin(s, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_SESSION_END_OTHERS, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, user_id);
	st_bind_text(st, 2, keep_session);
	if (st_run(s, st, "ending the user's sessions", &n1, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_APITOK_END_OTHERS, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, user_id);
	st_bind_text(st, 2, keep_token);
	if (st_run(s, st, "ending the user's API tokens", &n2, err, errlen) < 0 ||
	    st_finish(s, err, errlen) < 0)
		goto fail;
	if (ended != NULL)
		*ended = n1 + n2;
	return 0;
fail:
	st_rollback(s);
	return -1;
}
