/*
 * store_audit.c - the console's audit log: append-only (the schema's
 * triggers refuse UPDATE and DELETE), read newest first.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"

/* ---- audit --------------------------------------------------------------------- */

int store_audit(struct store *s, int64_t now, const char *user, const char *addr,
		const char *action, const char *detail, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	if ((user != NULL && user[0] != '\0' &&
	     st_check_word("audit user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0) ||
	    st_check_addr(addr, err, errlen) < 0 ||
	    st_check_word("audit action", action, STORE_AUDIT_ACTION_MAX, W_ID, err, errlen) < 0 ||
	    (detail != NULL &&
	     st_check_text("audit detail", detail, STORE_DETAIL_MAX, TX_EMPTY, err, errlen) < 0))
		return -1;
	st = st_stmt(s, ST_AUDIT_ADD, err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	st_bind_text(st, 2, user != NULL ? user : "");
	st_bind_text(st, 3, addr != NULL ? addr : "");
	st_bind_text(st, 4, action);
	st_bind_text(st, 5, detail != NULL ? detail : "");
	return st_run(s, st, "writing the audit log", NULL, err, errlen);
}

int store_audit_list(struct store *s, int64_t before_id, unsigned limit, store_audit_cb cb,
		     void *arg, char *err, size_t errlen)
{
	struct store_audit_entry *row;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (before_id < 0)
		return errf(err, errlen, "before_id: expected an entry id, or 0");
	if (st_check_limit(limit, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_AUDIT_LIST, err, errlen);
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
		if (st_col_copy(st, 2, row->user, sizeof(row->user)) < 0 ||
		    st_col_copy(st, 3, row->addr, sizeof(row->addr)) < 0 ||
		    st_col_copy(st, 4, row->action, sizeof(row->action)) < 0 ||
		    st_col_copy(st, 5, row->detail, sizeof(row->detail)) < 0) {
			r = errf(err, errlen, "audit: a stored value is too long");
			break;
		}
		if (cb(arg, row) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = st_dberr(s, err, errlen, "reading the audit log");
	sqlite3_reset(st);
	free(row);
	return r;
}
