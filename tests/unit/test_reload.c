/*
 * test_reload.c - unit tests of what a reload of the services inventory
 * counts as changed (console/reload.c, reload_diff): services by name,
 * checks by service and key, a push check by its uuid, options of a kept
 * check, a service's own settings, and inventories that are empty or
 * missing; and the alerts of what left the inventory resolved with a note
 * (console/store_svcalert.c, svcalert_resolve_left).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "inventory.h"
#include "reload.h"
#include "store.h"
#include "svcalert.h"
#include "testfs.h"

#define U1 "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11"
#define U2 "1b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e12"

static struct inventory *load(const char *text)
{
	struct inventory *inv = inv_new();
	char err[1024];

	assert_non_null(inv);
	if (inv_load_buffer("s.conf", text, strlen(text), inv, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return inv;
}

static const char base[] =
	"service \"web\" {\n"
	"  owner \"it\"\n"
	"  check http \"http://10.0.0.1/\" every 30s keyword \"ok\"\n"
	"  check tcp \"10.0.0.1\" port 22\n"
	"  check push \"backup\" uuid \"" U1 "\" period 1d grace 1h\n"
	"}\n"
	"service \"db\" { check tcp \"10.0.0.2\" port 5432 }\n";

static void expect(const struct reload_diff *d, int sa, int sr, int sc, int ca, int cr, int cc)
{
	assert_int_equal(d->svc_added, sa);
	assert_int_equal(d->svc_removed, sr);
	assert_int_equal(d->svc_changed, sc);
	assert_int_equal(d->chk_added, ca);
	assert_int_equal(d->chk_removed, cr);
	assert_int_equal(d->chk_changed, cc);
}

static void test_same(void **state)
{
	struct inventory *a = load(base), *b = load(base);
	struct reload_diff d;

	(void)state;
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 0, 0, 0, 0);
	inv_free(a);
	inv_free(b);
}

static void test_added_removed(void **state)
{
	struct inventory *a = load(base);
	struct inventory *b = load(
		"service \"web\" {\n"
		"  owner \"it\"\n"
		"  check http \"http://10.0.0.1/\" every 30s keyword \"ok\"\n"
		"  check push \"backup\" uuid \"" U1 "\" period 1d grace 1h\n"
		"  check tcp \"10.0.0.1\" port 443\n"
		"}\n"
		"service \"mail\" { check tcp \"10.0.0.3\" port 25 }\n");
	struct reload_diff d;

	(void)state;
	reload_diff(a, b, &d);
	/* mail new, db gone; web: tcp 22 gone, tcp 443 new; mail's check new, db's gone */
	expect(&d, 1, 1, 1, 2, 2, 0);
	inv_free(a);
	inv_free(b);
}

static void test_option_changed(void **state)
{
	struct inventory *a = load(base), *b;
	struct reload_diff d;
	char *text = strdup(base), *p;

	(void)state;
	assert_non_null(text);
	p = strstr(text, "keyword \"ok\"");
	assert_non_null(p);
	memcpy(p, "keyword \"no\"", 12);
	b = load(text);
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 1, 0, 0, 1);
	inv_free(b);
	/* another interval: the same check, changed */
	p = strstr(text, "every 30s");
	memcpy(p, "every 10s", 9);
	b = load(text);
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 1, 0, 0, 1);
	inv_free(b);
	free(text);
	inv_free(a);
}

static void test_service_setting(void **state)
{
	struct inventory *a = load(base), *b;
	struct reload_diff d;
	char *text = strdup(base), *p;

	(void)state;
	assert_non_null(text);
	p = strstr(text, "owner \"it\"");
	memcpy(p, "owner \"fi\"", 10);
	b = load(text);
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 1, 0, 0, 0);
	inv_free(b);
	free(text);
	inv_free(a);
}

static void test_push_by_uuid(void **state)
{
	struct inventory *a = load(base), *b;
	struct reload_diff d;

	(void)state;
	/* renamed and moved to db: the same check (its uuid) */
	b = load("service \"web\" {\n"
		 "  owner \"it\"\n"
		 "  check http \"http://10.0.0.1/\" every 30s keyword \"ok\"\n"
		 "  check tcp \"10.0.0.1\" port 22\n"
		 "}\n"
		 "service \"db\" {\n"
		 "  check tcp \"10.0.0.2\" port 5432\n"
		 "  check push \"db-dump\" uuid \"" U1 "\" period 1d grace 1h\n"
		 "}\n");
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 2, 0, 0, 1);
	inv_free(b);
	/* the same name with another uuid: the same check, changed */
	b = load("service \"web\" {\n"
		 "  owner \"it\"\n"
		 "  check http \"http://10.0.0.1/\" every 30s keyword \"ok\"\n"
		 "  check tcp \"10.0.0.1\" port 22\n"
		 "  check push \"backup\" uuid \"" U2 "\" period 1d grace 1h\n"
		 "}\n"
		 "service \"db\" { check tcp \"10.0.0.2\" port 5432 }\n");
	reload_diff(a, b, &d);
	expect(&d, 0, 0, 1, 0, 0, 1);
	inv_free(b);
	/* a service gone whose push check lives on in another */
	b = load("service \"db\" {\n"
		 "  check tcp \"10.0.0.2\" port 5432\n"
		 "  check push \"backup\" uuid \"" U1 "\" period 1d grace 1h\n"
		 "}\n");
	reload_diff(a, b, &d);
	/* web gone with its http and tcp checks; the push check moved */
	expect(&d, 0, 1, 1, 0, 2, 1);
	inv_free(b);
	inv_free(a);
}

static void test_empty(void **state)
{
	struct inventory *a = load(base), *e = inv_new();
	struct reload_diff d;

	(void)state;
	assert_non_null(e);
	reload_diff(a, e, &d);
	expect(&d, 0, 2, 0, 0, 4, 0);
	reload_diff(NULL, a, &d);
	expect(&d, 2, 0, 0, 4, 0, 0);
	reload_diff(e, NULL, &d);
	expect(&d, 0, 0, 0, 0, 0, 0);
	inv_free(e);
	inv_free(a);
}

/* One number from the database at path. */
static long long num(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_resolve_left(void **state)
{
	char dir[64], path[128], err[512];
	struct store *s;
	int64_t id;
	int n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/reload.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/console.db", dir);
	if (store_open(path, 1, &s, err, sizeof(err)) < 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(svcalert_init(s, 1780000000, err, sizeof(err)), 0);
	/* erp: a check, its certificate alert, a backup's; web: a check */
	assert_int_equal(svcalert_raise(s, "erp", "tls erp:443", "CRITICAL", 3, "x", 1780000001,
					&id, err, sizeof(err)), 0);
	assert_int_equal(svcalert_raise(s, "erp", "tls erp:443 (certificate: under 7 days)",
					"CRITICAL", 3, "x", 1780000001, &id, err, sizeof(err)), 0);
	assert_int_equal(svcalert_raise(s, "erp", "backup restic /srv/r: rpo", "CRITICAL", 3, "x",
					1780000001, &id, err, sizeof(err)), 0);
	assert_int_equal(svcalert_raise(s, "web", "tcp web:80", "CRITICAL", 3, "x", 1780000001,
					&id, err, sizeof(err)), 0);
	/* a check: its own alert and its certificate alert */
	assert_int_equal(svcalert_resolve_left(s, "erp", "tls erp:443", "check left", 1780000002,
					       &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(num(path, "SELECT count(*) FROM alerts WHERE status <> 'resolved'"), 2);
	assert_int_equal(num(path, "SELECT count(*) FROM alert_notes WHERE text = 'check left'"), 2);
	/* nothing open for it any more */
	assert_int_equal(svcalert_resolve_left(s, "erp", "tls erp:443", "check left", 1780000003,
					       &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	/* a whole service: the rest of its alerts, not another service's */
	assert_int_equal(svcalert_resolve_left(s, "erp", NULL, "service left", 1780000004, &n, err,
					       sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(num(path, "SELECT count(*) FROM alerts WHERE status <> 'resolved' AND "
			      "host = 'web'"), 1);
	assert_int_equal(num(path, "SELECT count(*) FROM alerts WHERE status <> 'resolved'"), 1);
	store_close(s);
	testfs_rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_added_removed),
		cmocka_unit_test(test_option_changed),
		cmocka_unit_test(test_service_setting),
		cmocka_unit_test(test_push_by_uuid),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_resolve_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
