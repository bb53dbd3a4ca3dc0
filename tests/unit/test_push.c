/*
 * test_push.c - unit tests of push checks (console/push.c and
 * console/store_services.c): the ping path parser, the states a ping moves
 * a check to, the clock moving an up check to late and down (period,
 * grace) on a real SQLite store, the body cut at SVC_BODY_MAX, the ping
 * log kept to SVC_PINGS_KEPT, and the rows svcstore_sync() makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testfs.h"

#include "console.h"
#include "inventory.h"
#include "push.h"
#include "store_services.h"

#define U "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11"

static void test_parse_path(void **state)
{
	char uuid[INV_UUID_LEN + 1];
	enum svc_ping w;
	int code;

	(void)state;
	assert_int_equal(push_parse_path(U, uuid, &w, &code), 0);
	assert_string_equal(uuid, U);
	assert_int_equal(w, SVC_PING_SUCCESS);
	assert_int_equal(code, -1);
	assert_int_equal(push_parse_path(U "/", uuid, &w, &code), 0);
	assert_int_equal(w, SVC_PING_SUCCESS);
	assert_int_equal(push_parse_path("0B0A1D1E-5C4F-4F59-9A44-3C2C8A7F0E11/start", uuid, &w,
					 &code), 0);
	assert_string_equal(uuid, U);
	assert_int_equal(w, SVC_PING_START);
	assert_int_equal(push_parse_path(U "/fail", uuid, &w, &code), 0);
	assert_int_equal(w, SVC_PING_FAIL);
	assert_int_equal(push_parse_path(U "/fail/", uuid, &w, &code), 0);
	assert_int_equal(push_parse_path(U "/0", uuid, &w, &code), 0);
	assert_int_equal(w, SVC_PING_EXIT);
	assert_int_equal(code, 0);
	assert_int_equal(push_parse_path(U "/255", uuid, &w, &code), 0);
	assert_int_equal(code, 255);
	static const char *const bad[] = {
		"", U "x", U "/256", U "/01", U "/-1", U "/+1", U "/fails", U "/start/x",
		U "//", U "/log", "0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e1", "0b0a1d1e_5c4f-4f59-9a44-3c2c8a7f0e11",
		"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e1g", U "/1000", U "/ 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (push_parse_path(bad[i], uuid, &w, &code) == 0)
			fail_msg("accepted: %s", bad[i]);
}

struct fix {
	char dir[64], path[128];
	struct console c;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[1024];
	static const char inv[] =
		"service \"e-payments\" {\n"
		"  check https \"https://10.20.0.17/\" every 30s keyword \"Πληρωμές\"\n"
		"  check push \"nightly-backup\" uuid \"" U "\" period 1d grace 1h\n"
		"}\n";

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/push.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.db", f->dir);
	assert_int_equal(store_open(f->path, 1, &f->c.store, err, sizeof(err)), 0);
	f->c.conf.inv = inv_new();
	assert_int_equal(inv_load_buffer("s.conf", inv, strlen(inv), f->c.conf.inv, err,
					 sizeof(err)), 0);
	assert_int_equal(svcstore_init(f->c.store, err, sizeof(err)), 0);
	/* twice: the second adds nothing */
	assert_int_equal(svcstore_init(f->c.store, err, sizeof(err)), 0);
	assert_int_equal(svcstore_sync(f->c.store, f->c.conf.inv, 1000, err, sizeof(err)), 0);
	assert_int_equal(svcstore_sync(f->c.store, f->c.conf.inv, 2000, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	store_close(f->c.store);
	inv_free(f->c.conf.inv);
	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

static int count_rows(const struct svc_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void state_is(struct fix *f, const char *want, int64_t since)
{
	struct svc_row r;
	char err[256];

	assert_int_equal(svcstore_get(f->c.store, "e-payments", "nightly-backup", &r, err,
				      sizeof(err)), 0);
	assert_string_equal(r.state, want);
	assert_int_equal(r.since, since);
}

static void test_states(void **state)
{
	struct fix *f = *state;
	struct svc_row r;
	char err[256];
	int changed, n = 0;
	const int64_t t0 = 100000, day = 86400, hour = 3600;

	assert_int_equal(svcstore_list(f->c.store, count_rows, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	state_is(f, "new", 1000);
	/* a new check never pinged stays new, however long */
	push_evaluate(&f->c, t0 + 10 * day);
	state_is(f, "new", 1000);

	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", t0,
				       SVC_PING_START, -1, "10.0.0.1", NULL, 0, &changed, err,
				       sizeof(err)), 0);
	assert_int_equal(changed, 0);
	state_is(f, "new", 1000);
	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", t0 + 5,
				       SVC_PING_SUCCESS, -1, "10.0.0.1", "ok", 2, &changed, err,
				       sizeof(err)), 0);
	assert_int_equal(changed, 1);
	state_is(f, "up", t0 + 5);
	push_evaluate(&f->c, t0 + 5 + day - 1);
	state_is(f, "up", t0 + 5);
	push_evaluate(&f->c, t0 + 5 + day);
	state_is(f, "late", t0 + 5 + day);
	push_evaluate(&f->c, t0 + 5 + day + hour - 1);
	state_is(f, "late", t0 + 5 + day);
	push_evaluate(&f->c, t0 + 5 + day + hour);
	state_is(f, "down", t0 + 5 + day + hour);
	/* down stays down until a success */
	push_evaluate(&f->c, t0 + 50 * day);
	state_is(f, "down", t0 + 5 + day + hour);
	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", t0 + 2 * day,
				       SVC_PING_EXIT, 0, "10.0.0.1", NULL, 0, &changed, err,
				       sizeof(err)), 0);
	state_is(f, "up", t0 + 2 * day);
	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", t0 + 3 * day,
				       SVC_PING_EXIT, 3, "10.0.0.1", NULL, 0, &changed, err,
				       sizeof(err)), 0);
	state_is(f, "down", t0 + 3 * day);
	assert_int_equal(svcstore_get(f->c.store, "e-payments", "nightly-backup", &r, err,
				      sizeof(err)), 0);
	assert_int_equal(r.last_exit, 3);
	assert_int_equal(r.last_ok, t0 + 2 * day);
	assert_int_equal(r.last_start, t0);
	assert_int_equal(r.pings, 4);
	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", t0 + 4 * day,
				       SVC_PING_FAIL, -1, "10.0.0.1", NULL, 0, &changed, err,
				       sizeof(err)), 0);
	assert_int_equal(changed, 0);
	/* no such check: an error, nothing stored */
	assert_int_equal(svcstore_ping(f->c.store, "e-payments", "other", t0, SVC_PING_SUCCESS,
				       -1, "10.0.0.1", NULL, 0, &changed, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no check \"other\""));
}

struct bodies {
	int n;
	size_t first_len;
};

static int on_ping(const struct svc_ping_row *r, void *arg)
{
	struct bodies *b = arg;

	if (b->n++ == 0)
		b->first_len = strlen(r->body);
	return 0;
}

static void test_body_and_log_bounds(void **state)
{
	struct fix *f = *state;
	char err[256], *big = malloc(SVC_BODY_MAX + 500);
	struct bodies b = { 0, 0 };
	int changed;

	assert_non_null(big);
	memset(big, 'x', SVC_BODY_MAX + 500);
	for (int i = 0; i < SVC_PINGS_KEPT + 20; i++)
		assert_int_equal(svcstore_ping(f->c.store, "e-payments", "nightly-backup", 5000 + i,
					       SVC_PING_SUCCESS, -1, "10.0.0.1", big,
					       SVC_BODY_MAX + 500, &changed, err, sizeof(err)), 0);
	assert_int_equal(svcstore_pings(f->c.store, "e-payments", "nightly-backup", 500, on_ping,
					&b, err, sizeof(err)), 0);
	assert_int_equal(b.n, SVC_PINGS_KEPT);
	assert_int_equal(b.first_len, SVC_BODY_MAX);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_and_log_bounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
