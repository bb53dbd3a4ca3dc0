/*
 * test_svcalert.c - service problems as alerts in the console's store:
 * the console's own sensor row (made on an old file too), one alert per
 * check while open, resolution with a note, severities.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "svcalert.h"
#include "testfs.h"
#include "storefix.h"

#define T0 1780000000
#define D1 86400

static int setup(void **state)
{
	*state = storefix_open("svcalert");
	return 0;
}

static int teardown(void **state)
{
	return storefix_close(*state);
}

struct got {
	int n;
	struct store_alert a[8];
};

static int collect(void *arg, const struct store_alert *row)
{
	struct got *g = arg;

	if (g->n < 8)
		g->a[g->n] = *row;
	g->n++;
	return 0;
}

static void alerts(struct store *s, const char *status, struct got *g)
{
	struct store_alert_filter flt = { .status = status, .sensor_id = SVCALERT_SENSOR };
	char err[256];

	memset(g, 0, sizeof(*g));
	if (store_alert_query(s, &flt, collect, g, NULL, err, sizeof(err)) < 0)
		fail_msg("store_alert_query: %s", err);
}

struct notes {
	int n;
	char text[STORE_NOTE_MAX + 1], user[STORE_NAME_MAX + 1];
};

static int note_cb(void *arg, const struct store_note *n)
{
	struct notes *nn = arg;

	nn->n++;
	snprintf(nn->text, sizeof(nn->text), "%s", n->text);
	snprintf(nn->user, sizeof(nn->user), "%s", n->user);
	return 0;
}

static int silent_cb(void *arg, const struct store_sensor *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

static void test_console_sensor(void **state)
{
	struct storefix *f = *state;
	struct store_sensor row;
	char err[256];
	int64_t online = -1, offline = -1;
	int64_t aid = -1;
	int n = 0;

	/* the file store_open made has the two kinds of before; init widens it, twice is harmless */
	assert_int_equal(svcalert_init(f->s, T0, err, sizeof(err)), 0);
	assert_int_equal(svcalert_init(f->s, T0 + 5, err, sizeof(err)), 0);
	assert_int_equal(store_sensor_get(f->s, SVCALERT_SENSOR, &row, NULL, err, sizeof(err)), 0);
	assert_string_equal(row.kind, "console");
	assert_int_equal(row.enrolled_at, T0);
	/* still no other kind gets in through the sensors' own path */
	assert_int_not_equal(store_sensor_add(f->s, "x1", "console", "h", NULL, NULL, T0, err,
					      sizeof(err)), 0);
	/* never revocable, never silent, not counted */
	assert_int_not_equal(store_sensor_revoke(f->s, SVCALERT_SENSOR, T0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "cannot be revoked"));
	assert_int_equal(store_sensor_get(f->s, SVCALERT_SENSOR, &row, NULL, err, sizeof(err)), 0);
	assert_int_equal(row.revoked_at, 0);
	assert_int_equal(store_sensor_counts(f->s, T0 + 86400, 60, &online, &offline, err,
					     sizeof(err)), 0);
	assert_int_equal(online + offline, 0);
	assert_int_equal(store_sensors_silent(f->s, T0 + 86400, 60, silent_cb, &n, err,
					      sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_sensor_mark_offline(f->s, SVCALERT_SENSOR, T0 + 86400, &aid, err,
						   sizeof(err)), 0);
	assert_int_equal(aid, 0);
	/* the file stays sound after the schema edit */
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static void test_raise_resolve(void **state)
{
	struct storefix *f = *state;
	struct got g;
	struct notes nn = { 0 };
	char err[256];
	int64_t id = -1, id2 = -1, rid = -1;

	assert_int_equal(svcalert_init(f->s, T0, err, sizeof(err)), 0);
	/* nothing open: resolving is a no-op */
	assert_int_equal(svcalert_resolve(f->s, "erp", "tcp 10.0.0.1:5432", "", T0, &rid, err,
					  sizeof(err)), 0);
	assert_int_equal(rid, 0);
	assert_int_equal(svcalert_raise(f->s, "erp", "tcp 10.0.0.1:5432", "CRITICAL", 2,
					"connection refused", T0, &id, err, sizeof(err)), 0);
	assert_true(id > 0);
	/* the same check again while open: no new alert */
	assert_int_equal(svcalert_raise(f->s, "erp", "tcp 10.0.0.1:5432", "WARNING", 3, "slow",
					T0 + 60, &id2, err, sizeof(err)), 0);
	assert_int_equal(id2, 0);
	/* another check of the same service: its own alert */
	assert_int_equal(svcalert_raise(f->s, "erp", "https https://erp/", "CRITICAL", 2, "503",
					T0 + 61, &id2, err, sizeof(err)), 0);
	assert_true(id2 > id);
	alerts(f->s, "open", &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.a[1].kind, "service");
	assert_string_equal(g.a[1].host, "erp");
	assert_string_equal(g.a[1].signature, "Service problem: erp: tcp 10.0.0.1:5432");
	assert_string_equal(g.a[1].category, "service");
	assert_int_equal(g.a[1].severity, 2);
	assert_int_equal(g.a[1].count, 1);

	assert_int_equal(svcalert_resolve(f->s, "erp", "tcp 10.0.0.1:5432", "connected in 2 ms",
					  T0 + 120, &rid, err, sizeof(err)), 0);
	assert_int_equal(rid, id);
	alerts(f->s, "resolved", &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].id, id);
	assert_string_equal(g.a[0].status_by, SVCALERT_USER);
	assert_int_equal(g.a[0].status_at, T0 + 120);
	assert_int_equal(store_alert_notes(f->s, id, note_cb, &nn, err, sizeof(err)), 0);
	assert_int_equal(nn.n, 1);
	assert_string_equal(nn.text, "recovered: connected in 2 ms");
	assert_string_equal(nn.user, SVCALERT_USER);
	/* a new problem after the recovery is a new alert */
	assert_int_equal(svcalert_raise(f->s, "erp", "tcp 10.0.0.1:5432", "CRITICAL", 2,
					"connection refused", T0 + 200, &id2, err, sizeof(err)), 0);
	assert_true(id2 > id);
	/* a certificate's alerts: one per warn figure, resolved with the check */
	assert_int_equal(svcalert_raise(f->s, "www", "tls www:443 (certificate: under 21 days)",
					"WARNING", 4, "20 days", T0, &id, err, sizeof(err)), 0);
	assert_int_equal(svcalert_raise(f->s, "www", "tls www:443 (certificate: under 14 days)",
					"WARNING", 4, "13 days", T0 + D1, &id2, err, sizeof(err)), 0);
	assert_true(id > 0 && id2 > id);
	/* another check whose key only starts the same stays open */
	assert_int_equal(svcalert_raise(f->s, "www", "tls www:4430", "CRITICAL", 3, "refused",
					T0, &rid, err, sizeof(err)), 0);
	assert_int_equal(svcalert_resolve(f->s, "www", "tls www:443", "valid for 300 days",
					  T0 + 2 * D1, &rid, err, sizeof(err)), 0);
	assert_int_equal(rid, id2);
	{
		struct store_alert a;

		assert_int_equal(store_alert_get(f->s, id, &a, err, sizeof(err)), 0);
		assert_string_equal(a.status, "resolved");
		assert_int_equal(store_alert_get(f->s, id2, &a, err, sizeof(err)), 0);
		assert_string_equal(a.status, "resolved");
	}
	struct store_alert_filter fw = { .status = "open", .host = "www" };

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_alert_query(f->s, &fw, collect, &g, NULL, err, sizeof(err)), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.a[0].signature, "Service problem: www: tls www:4430");
	/* bad input */
	assert_int_equal(svcalert_raise(f->s, "", "k", "CRITICAL", 2, "", T0, &id2, err,
					sizeof(err)), -1);
	assert_int_equal(svcalert_raise(f->s, "erp", "k", "CRITICAL", 5, "", T0, &id2, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, "severity"));
}

static void test_severity(void **state)
{
	(void)state;
	assert_int_equal(svcalert_severity(INV_CRIT_CRITICAL, "CRITICAL"), 1);
	assert_int_equal(svcalert_severity(INV_CRIT_CRITICAL, "down"), 1);
	assert_int_equal(svcalert_severity(INV_CRIT_CRITICAL, "WARNING"), 2);
	assert_int_equal(svcalert_severity(INV_CRIT_HIGH, "CRITICAL"), 2);
	assert_int_equal(svcalert_severity(INV_CRIT_HIGH, "late"), 3);
	assert_int_equal(svcalert_severity(INV_CRIT_MEDIUM, "CRITICAL"), 3);
	assert_int_equal(svcalert_severity(INV_CRIT_MEDIUM, "UNKNOWN"), 4);
	assert_int_equal(svcalert_severity(INV_CRIT_LOW, "CRITICAL"), 4);
	assert_int_equal(svcalert_severity(INV_CRIT_LOW, "WARNING"), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_console_sensor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise_resolve, setup, teardown),
		cmocka_unit_test(test_severity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
