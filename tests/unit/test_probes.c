/*
 * test_probes.c - unit tests of the probe states (console/probes.c): soft
 * and hard states with retries, recovery, a problem changing kind, the
 * UNREACHABLE flag, flap detection starting and ending at its thresholds,
 * maintenance windows (once, daily across midnight, weekly), and uptime
 * from the state history with maintenance left out (store_services.c).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testfs.h"

#include "inventory.h"
#include "probes.h"
#include "store_services.h"

static struct probes_state fresh(void)
{
	struct probes_state st;

	memset(&st, 0, sizeof(st));
	st.state = PROBE_OK;
	st.hard = true;
	return st;
}

static void test_soft_hard(void **state)
{
	struct probes_state st = fresh();

	(void)state;
	assert_false(probes_apply(&st, PROBE_OK, 3, false));
	assert_false(probes_apply(&st, PROBE_CRITICAL, 3, false));
	assert_false(st.hard);
	assert_int_equal(st.attempt, 1);
	assert_false(probes_apply(&st, PROBE_CRITICAL, 3, false));
	assert_int_equal(st.attempt, 2);
	assert_true(probes_apply(&st, PROBE_CRITICAL, 3, false));
	assert_true(st.hard);
	assert_int_equal(st.state, PROBE_CRITICAL);
	/* the same hard problem again is no news; another kind is */
	assert_false(probes_apply(&st, PROBE_CRITICAL, 3, false));
	assert_true(probes_apply(&st, PROBE_WARNING, 3, false));
	assert_true(probes_apply(&st, PROBE_OK, 3, false));
	assert_true(st.hard);
	assert_int_equal(st.attempt, 0);
	/* a soft problem that recovers is no hard change */
	assert_false(probes_apply(&st, PROBE_CRITICAL, 3, false));
	assert_false(probes_apply(&st, PROBE_OK, 3, false));
	/* retries 1: hard at once */
	assert_true(probes_apply(&st, PROBE_UNKNOWN, 1, false));
	assert_true(st.hard);
	/* unreachable is its own hard state */
	assert_true(probes_apply(&st, PROBE_CRITICAL, 1, true));
	assert_true(st.unreachable);
	assert_true(probes_apply(&st, PROBE_CRITICAL, 1, false));
	assert_false(st.unreachable);
}

static void test_flapping(void **state)
{
	struct probes_state st = fresh();
	int i;

	(void)state;
	/* alternating: every result a change, flapping once the window is full */
	for (i = 0; i < PROBES_FLAP_WINDOW - 1; i++) {
		probes_apply(&st, i % 2 ? PROBE_OK : PROBE_CRITICAL, 1, false);
		assert_false(st.flapping);
	}
	probes_apply(&st, PROBE_CRITICAL, 1, false);
	assert_true(st.flapping);
	/* steady OK: the share of changes falls; flapping ends below 25% */
	for (i = 0; i < PROBES_FLAP_WINDOW && st.flapping; i++)
		probes_apply(&st, PROBE_OK, 1, false);
	assert_false(st.flapping);
	/* 5 changes in 20 = 25%: not above 50, so steady stays steady */
	st = fresh();
	for (i = 0; i < PROBES_FLAP_WINDOW; i++)
		probes_apply(&st, (i % 8) < 4 ? PROBE_OK : PROBE_CRITICAL, 1, false);
	assert_false(st.flapping);
}

static time_t local(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_isdst = -1 };

	return mktime(&tm);
}

static void test_maintenance(void **state)
{
	struct inventory *inv = inv_new();
	char err[1024];
	static const char text[] =
		"service \"a\" { maintenance once \"2026-12-24 22:00\" for 2h }\n"
		"service \"b\" { maintenance daily 23:30 for 1h }\n"
		"service \"c\" { maintenance weekly sun 02:00 for 2h }\n"
		"service \"d\" { }\n";

	(void)state;
	setenv("TZ", "Europe/Athens", 1);
	tzset();
	assert_int_equal(inv_load_buffer("s.conf", text, strlen(text), inv, err, sizeof(err)), 0);
	const struct inv_service *a = inv_find(inv, "a"), *b = inv_find(inv, "b"),
				 *c = inv_find(inv, "c"), *d = inv_find(inv, "d");
	assert_false(probes_in_maintenance(a, local(2026, 12, 24, 21, 59)));
	assert_true(probes_in_maintenance(a, local(2026, 12, 24, 22, 0)));
	assert_true(probes_in_maintenance(a, local(2026, 12, 24, 23, 59)));
	assert_false(probes_in_maintenance(a, local(2026, 12, 25, 0, 0)));
	/* daily across midnight */
	assert_true(probes_in_maintenance(b, local(2026, 3, 1, 23, 45)));
	assert_true(probes_in_maintenance(b, local(2026, 3, 2, 0, 15)));
	assert_false(probes_in_maintenance(b, local(2026, 3, 2, 0, 30)));
	assert_false(probes_in_maintenance(b, local(2026, 3, 2, 12, 0)));
	/* 2026-12-06 is a Sunday */
	assert_true(probes_in_maintenance(c, local(2026, 12, 6, 3, 0)));
	assert_false(probes_in_maintenance(c, local(2026, 12, 7, 3, 0)));
	assert_false(probes_in_maintenance(c, local(2026, 12, 6, 4, 0)));
	assert_false(probes_in_maintenance(d, local(2026, 12, 6, 3, 0)));
	inv_free(inv);
}

static void test_uptime(void **state)
{
	char dir[64], path[128], err[512];
	struct store *s;
	struct svc_row r;
	double f;
	int ch;
	static const char text[] = "service \"a\" { check tcp \"h\" port 1 }\n";
	struct inventory *inv = inv_new();

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/probes.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.db", dir);
	assert_int_equal(store_open(path, 1, &s, err, sizeof(err)), 0);
	assert_int_equal(svcstore_init(s, err, sizeof(err)), 0);
	assert_int_equal(inv_load_buffer("s.conf", text, strlen(text), inv, err, sizeof(err)), 0);
	assert_int_equal(svcstore_sync(s, inv, 0, err, sizeof(err)), 0);
	assert_int_equal(svcstore_uptime(s, "a", "tcp h:1", 0, 1000, &f, err, sizeof(err)), 0);
	assert_true(f < 0);     /* nothing known */
	memset(&r, 0, sizeof(r));
	strcpy(r.service, "a");
	strcpy(r.key, "tcp h:1");
	r.hard = 1;
	/* OK at 100, CRITICAL at 400, CRITICAL in maintenance at 500, OK at 700 */
	strcpy(r.state, "OK");
	r.last_check = 100;
	assert_int_equal(svcstore_result(s, &r, 1, err, sizeof(err)), 0);
	strcpy(r.state, "CRITICAL");
	r.last_check = 400;
	assert_int_equal(svcstore_result(s, &r, 1, err, sizeof(err)), 0);
	r.maintenance = 1;
	r.last_check = 500;
	assert_int_equal(svcstore_result(s, &r, 1, err, sizeof(err)), 0);
	strcpy(r.state, "OK");
	r.maintenance = 0;
	r.last_check = 700;
	assert_int_equal(svcstore_result(s, &r, 1, err, sizeof(err)), 0);
	/* [100,1000): OK 300 + 300, CRITICAL 100 counted, 200 in maintenance left out */
	assert_int_equal(svcstore_uptime(s, "a", "tcp h:1", 0, 1000, &f, err, sizeof(err)), 0);
	assert_true(f > 0.857 && f < 0.858);
	/* from 450: CRITICAL 50, OK 300 */
	assert_int_equal(svcstore_uptime(s, "a", "tcp h:1", 450, 1000, &f, err, sizeof(err)), 0);
	assert_true(f > 0.857 && f < 0.858);
	assert_int_equal(svcstore_get(s, "a", "tcp h:1", &r, err, sizeof(err)), 0);
	assert_string_equal(r.state, "OK");
	/* CRITICAL once SVC_HISTORY_KEEP has passed since 700: the changes before
	   701 go but the newest of them (OK at 700), so from 450 the time
	   before 700 is no longer known: OK KEEP + 1 s, CRITICAL 100 s (with the
	   CRITICAL at 400 still kept it would be 150 s) */
	strcpy(r.state, "CRITICAL");
	r.last_check = 701 + SVC_HISTORY_KEEP;
	assert_int_equal(svcstore_result(s, &r, 1, err, sizeof(err)), 0);
	assert_int_equal(svcstore_uptime(s, "a", "tcp h:1", 450, 801 + SVC_HISTORY_KEEP, &f, err,
					 sizeof(err)), 0);
	assert_true(fabs(f - (double)(SVC_HISTORY_KEEP + 1) / (SVC_HISTORY_KEEP + 101)) < 1e-9);
	(void)ch;
	store_close(s);
	inv_free(inv);
	testfs_rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_hard),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_maintenance),
		cmocka_unit_test(test_uptime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
