/*
 * store_svcrename.c - a check's rows carried to its new name (store_services.h,
 * svcstore_rename): a push check keeps its identity, its uuid, when a
 * reload renames it or moves it to another service.
 */
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "store_int.h"
#include "store_services.h"

int svcstore_rename(struct store *s, const char *svc0, const char *key0, const char *svc1,
		    const char *key1, char *err, size_t errlen)
{
	static const char *const sql[] = {
		"UPDATE svc_checks SET service = ?3, key = ?4 WHERE service = ?1 AND key = ?2",
		"UPDATE svc_history SET service = ?3, key = ?4 WHERE service = ?1 AND key = ?2",
		"UPDATE svc_pings SET service = ?3, key = ?4 WHERE service = ?1 AND key = ?2",
		"UPDATE svc_rt SET service = ?3, key = ?4 WHERE service = ?1 AND key = ?2",
	};
	struct svc_row r;
	int rc;

	rc = svcstore_get(s, svc1, key1, &r, err, errlen);
	if (rc == 0)
		return 0;       /* the new name has rows of its own: kept */
	if (rc != STORE_NOT_FOUND)
		return -1;
	if (st_begin(s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			st_dberr(s, err, errlen, "services: renaming a check");
			st_rollback(s);
			return -1;
		}
		st_bind_text(st, 1, svc0);
		st_bind_text(st, 2, key0);
		st_bind_text(st, 3, svc1);
		st_bind_text(st, 4, key1);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			st_dberr(s, err, errlen, "services: renaming a check");
			st_rollback(s);
			return -1;
		}
	}
	return st_commit(s, err, errlen);
}
