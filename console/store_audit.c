/*
 * store_audit.c - the console's audit log: append-only (the schema's
 * triggers refuse UPDATE and DELETE), read newest first, and
 * tamper-evident: each entry carries the SHA-256 of its own contents and
 * of the entry before it (prev_hash, hash), so changing, inserting or
 * removing an entry anywhere but at the end breaks the chain from there
 * on, and store_audit_verify() names the first entry that does not fit.
 * The chain does not stop an attacker who can write the file from
 * rewriting it whole from some entry on: the head's hash, kept off the
 * box (the audit forwarded through the hooks, a printed `audit verify`),
 * shows that too.
 *
 * The hash of entry n: SHA-256 over "kastro-audit-1\n", then prev_hash,
 * id, ts, user, addr, action and detail, each as its decimal length, ':'
 * and its bytes, then '\n'. prev_hash is the hash of entry n-1, or "" for
 * the first entry (or the first after entries written before the chain
 * existed, which have hash "").
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "errf.h"
#include "hex.h"

#define AUDIT_WALK_PAGE 500

/* ---- the chain ----------------------------------------------------------------- */

static int hash_field(EVP_MD_CTX *md, const char *v)
{
	char len[24];
	int n = snprintf(len, sizeof(len), "%zu:", strlen(v));

	return EVP_DigestUpdate(md, len, (size_t)n) == 1 && EVP_DigestUpdate(md, v, strlen(v)) == 1 &&
	       EVP_DigestUpdate(md, "\n", 1) == 1 ? 0 : -1;
}

/* The hash of an entry into out (STORE_HASH_HEX + 1 bytes); -1 on failure. */
static int entry_hash(const char *prev, int64_t id, int64_t ts, const char *user, const char *addr,
		      const char *action, const char *detail, char out[STORE_HASH_HEX + 1])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int dl = 0;
	char sid[24], sts[24];
	int r = -1;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sts, sizeof(sts), "%" PRId64, ts);
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, "kastro-audit-1\n", 15) == 1 && hash_field(md, prev) == 0 &&
	    hash_field(md, sid) == 0 && hash_field(md, sts) == 0 && hash_field(md, user) == 0 &&
	    hash_field(md, addr) == 0 && hash_field(md, action) == 0 &&
	    hash_field(md, detail) == 0 && EVP_DigestFinal_ex(md, d, &dl) == 1 && dl == 32) {
		hex_encode(d, 32, out);
		r = 0;
	}
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- audit --------------------------------------------------------------------- */

int store_audit(struct store *s, int64_t now, const char *user, const char *addr,
		const char *action, const char *detail, char *err, size_t errlen)
{
	char prev[STORE_HASH_HEX + 1] = "", hash[STORE_HASH_HEX + 1];
	sqlite3_stmt *st;
	int64_t id = 1;
	bool own = sqlite3_get_autocommit(s->db) != 0;
	int rc;

	if ((user != NULL && user[0] != '\0' &&
	     st_check_word("audit user", user, STORE_NAME_MAX, W_NAME, err, errlen) < 0) ||
	    st_check_addr(addr, err, errlen) < 0 ||
	    st_check_word("audit action", action, STORE_AUDIT_ACTION_MAX, W_ID, err, errlen) < 0 ||
	    (detail != NULL &&
	     st_check_text("audit detail", detail, STORE_DETAIL_MAX, TX_EMPTY, err, errlen) < 0))
		return -1;
	user = user != NULL ? user : "";
	addr = addr != NULL ? addr : "";
	detail = detail != NULL ? detail : "";
	/* the last entry is read and the next written under one write lock */
	if (own && st_begin(s, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_AUDIT_LAST, err, errlen);
	if (st == NULL)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		if (st_col_copy(st, 1, prev, sizeof(prev)) < 0)
			prev[0] = '\0';         /* not a hash: verify names it */
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st_dberr(s, err, errlen, "reading the audit log's last entry");
		goto fail;
	}
	if (entry_hash(prev, id, now, user, addr, action, detail, hash) < 0) {
		errf(err, errlen, "audit: SHA-256 failed");
		goto fail;
	}
	st = st_stmt(s, ST_AUDIT_ADD, err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	st_bind_text(st, 3, user);
	st_bind_text(st, 4, addr);
	st_bind_text(st, 5, action);
	st_bind_text(st, 6, detail);
	st_bind_text(st, 7, prev);
	st_bind_text(st, 8, hash);
	if (st_run(s, st, "writing the audit log", NULL, err, errlen) < 0)
		goto fail;
	/* hooks of type audit: the entry leaves the box with the same commit */
	if (st_outbox_audit(s, id, now, user, addr, action, err, errlen) < 0)
		goto fail;
	if (own && st_finish(s, err, errlen) < 0)
		return -1;
	return 0;
fail:
	if (own)
		st_rollback(s);
	return -1;
}

int store_audit_verify(struct store *s, struct store_audit_check *out, char *err, size_t errlen)
{
	struct store_audit_entry *row;
	char prev_hash[STORE_HASH_HEX + 1], hash[STORE_HASH_HEX + 1], want[STORE_HASH_HEX + 1];
	char prev[STORE_HASH_HEX + 1] = "";
	int64_t after = 0, prev_id = 0;
	bool chained = false;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, r = 0;
	unsigned n;

	memset(out, 0, sizeof(*out));
	row = malloc(sizeof(*row));
	if (row == NULL)
		return errf(err, errlen, "audit: out of memory");
	/* pages of rows, each statement reset before the next page */
	do {
		st = st_stmt(s, ST_AUDIT_WALK, err, errlen);
		if (st == NULL) {
			r = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int(st, 2, AUDIT_WALK_PAGE);
		n = 0;
		while (out->first_bad == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *why = NULL;

			n++;
			memset(row, 0, sizeof(*row));
			row->id = sqlite3_column_int64(st, 0);
			row->ts = sqlite3_column_int64(st, 1);
			after = row->id;
			if (st_col_copy(st, 2, row->user, sizeof(row->user)) < 0 ||
			    st_col_copy(st, 3, row->addr, sizeof(row->addr)) < 0 ||
			    st_col_copy(st, 4, row->action, sizeof(row->action)) < 0 ||
			    st_col_copy(st, 5, row->detail, sizeof(row->detail)) < 0 ||
			    st_col_copy(st, 6, prev_hash, sizeof(prev_hash)) < 0 ||
			    st_col_copy(st, 7, hash, sizeof(hash)) < 0) {
				why = "a stored value is too long";
			} else if (!chained && hash[0] == '\0' && prev_hash[0] == '\0') {
				out->before_chain++;    /* written before the chain existed */
				prev_id = row->id;
				continue;
			} else if (chained && row->id != prev_id + 1) {
				why = "entries are missing before it";
			} else if (strcmp(prev_hash, prev) != 0) {
				why = "its link to the entry before it does not match";
			} else if (entry_hash(prev_hash, row->id, row->ts, row->user, row->addr,
					      row->action, row->detail, want) < 0) {
				r = errf(err, errlen, "audit: SHA-256 failed");
				break;
			} else if (strcmp(want, hash) != 0) {
				why = "its hash does not match its contents";
			}
			if (why != NULL) {
				out->first_bad = row->id;
				snprintf(out->why, sizeof(out->why), "%s", why);
				break;
			}
			chained = true;
			prev_id = row->id;
			memcpy(prev, hash, sizeof(prev));
			out->verified++;
			out->head_id = row->id;
			memcpy(out->head_hash, hash, sizeof(out->head_hash));
		}
		if (r == 0 && out->first_bad == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = st_dberr(s, err, errlen, "reading the audit log");
		sqlite3_reset(st);
	} while (r == 0 && out->first_bad == 0 && n == AUDIT_WALK_PAGE);
	free(row);
	return r;
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
