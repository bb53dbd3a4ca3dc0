/*
 * store_sla.c - see store_sla.h.
 */
#include "store_int.h"

#include <string.h>

#include "errf.h"
#include "store_services.h"
#include "store_sla.h"

/* A check's hard state: 2 down, 1 up, 0 unknown. */
static int check_state(const char *st)
{
	if (strcmp(st, "CRITICAL") == 0 || strcmp(st, "UNREACHABLE") == 0 ||
	    strcmp(st, "down") == 0)
		return 2;
	if (strcmp(st, "OK") == 0 || strcmp(st, "WARNING") == 0 || strcmp(st, "up") == 0 ||
	    strcmp(st, "late") == 0)
		return 1;
	return 0;
}

static enum sla_state merged(const int *cs, int n)
{
	int worst = 0;

	for (int i = 0; i < n; i++)
		if (cs[i] > worst)
			worst = cs[i];
	return worst == 2 ? SLA_DOWN : worst == 1 ? SLA_UP : SLA_UNKNOWN;
}

static int key_index(const char keys[][SVC_KEY_MAX], int n, const char *k)
{
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i], k) == 0)
			return i;
	return -1;
}

int svcsla_changes(struct store *s, const struct inv_service *sv, int64_t from, int64_t to,
		   struct sla_change *out, size_t max, size_t *n, bool *cut, char *err,
		   size_t errlen)
{
	char keys[INV_MAX_CHECKS][SVC_KEY_MAX];
	int cs[INV_MAX_CHECKS] = { 0 };
	enum sla_state cur;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	*cut = false;
	for (int i = 0; i < sv->n_checks; i++)
		svcstore_key(&sv->checks[i], keys[i]);
	/* each check's state at from: its last change before */
	if (sqlite3_prepare_v2(s->db, "SELECT h.key, h.state FROM svc_history h WHERE h.id IN ("
				      " SELECT max(id) FROM svc_history WHERE service = ?1 AND ts <= ?2"
				      " GROUP BY key)", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "SLA: the states at the start");
	st_bind_text(st, 1, sv->name);
	sqlite3_bind_int64(st, 2, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = st_col_str(st, 0), *v = st_col_str(st, 1);
		int i = k != NULL ? key_index((const char (*)[SVC_KEY_MAX])keys, sv->n_checks, k) : -1;

		if (i >= 0 && v != NULL)
			cs[i] = check_state(v);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_dberr(s, err, errlen, "SLA: the states at the start");
	cur = merged(cs, sv->n_checks);
	if (cur != SLA_UNKNOWN && max > 0)
		out[(*n)++] = (struct sla_change){ from, cur };
	if (sqlite3_prepare_v2(s->db, "SELECT key, ts, state FROM svc_history WHERE service = ?1"
				      " AND ts > ?2 AND ts < ?3 ORDER BY ts, id", -1, &st, NULL) !=
	    SQLITE_OK)
		return st_dberr(s, err, errlen, "SLA: the history");
	st_bind_text(st, 1, sv->name);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = st_col_str(st, 0), *v = st_col_str(st, 2);
		int i = k != NULL ? key_index((const char (*)[SVC_KEY_MAX])keys, sv->n_checks, k) : -1;
		enum sla_state m;

		if (i < 0 || v == NULL)
			continue;
		cs[i] = check_state(v);
		m = merged(cs, sv->n_checks);
		if (m == cur)
			continue;
		cur = m;
		if (*n >= max) {
			*cut = true;
			break;
		}
		out[(*n)++] = (struct sla_change){ sqlite3_column_int64(st, 1), m };
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "SLA: the history");
	return 0;
}

int svcsla_last_success(struct store *s, const char *service, const char *key, int64_t at,
			int64_t *ts, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*ts = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT max(t) FROM ("
				      " SELECT max(ts) AS t FROM svc_pings WHERE service = ?1 AND key = ?2"
				      " AND ts <= ?3 AND (what = 'success' OR (what = 'exit' AND"
				      " exit_code = 0))"
				      " UNION ALL SELECT last_ok FROM svc_checks WHERE service = ?1"
				      " AND key = ?2 AND last_ok <= ?3)", -1, &st, NULL) != SQLITE_OK)
		return st_dberr(s, err, errlen, "SLA: the last success");
	st_bind_text(st, 1, service);
	st_bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, at);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ts = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return st_dberr(s, err, errlen, "SLA: the last success");
	return 0;
}
