/*
 * test_svcpage.c - what a service's page reads from the console's store:
 * response times kept with each probe result, pruned past their age and
 * downsampled to at most the points asked for; the state history from the
 * state at the window's start, bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_services.h"
#include "store_svcpage.h"
#include "testfs.h"
#include "storefix.h"

#define T0 1780000000

static int setup(void **state)
{
	struct storefix *f = storefix_open("svcpage");
	char err[512];

	if (svcstore_init(f->s, err, sizeof(err)) < 0)
		fail_msg("svcstore_init: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return storefix_close(*state);
}

/* Rows for web's checks: tcp 127.0.0.1:80 and the push check "k". */
static void sync(struct store *s)
{
	static const char text[] = "service \"web\" { check tcp \"127.0.0.1\" port 80\n"
		"check push \"k\" uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" period 1d grace 1h }\n";
	struct inventory *inv = inv_new();
	char err[256];

	assert_non_null(inv);
	if (inv_load_buffer("t", text, strlen(text), inv, err, sizeof(err)) != 0)
		fail_msg("inventory: %s", err);
	if (svcstore_sync(s, inv, T0, err, sizeof(err)) != 0)
		fail_msg("svcstore_sync: %s", err);
	inv_free(inv);
}

struct pts {
	int n;
	struct svcpage_rt_point p[400];
};

static int collect_pt(const struct svcpage_rt_point *p, void *arg)
{
	struct pts *g = arg;

	if (g->n < 400)
		g->p[g->n] = *p;
	g->n++;
	return 0;
}

/* A probe result through svcstore_result(), as probes.c writes it. */
static void result(struct store *s, const char *key, int64_t ts, int ms, const char *state,
		   int changed)
{
	struct svc_row r;
	char err[256];

	memset(&r, 0, sizeof(r));
	snprintf(r.service, sizeof(r.service), "web");
	snprintf(r.key, sizeof(r.key), "%s", key);
	snprintf(r.state, sizeof(r.state), "%s", state);
	r.since = ts;
	r.hard = 1;
	r.last_check = ts;
	r.ms = ms;
	if (svcstore_result(s, &r, changed, err, sizeof(err)) < 0)
		fail_msg("svcstore_result: %s", err);
}

static void test_response_times(void **state)
{
	struct storefix *f = *state;
	struct pts g;
	char err[256];
	int64_t now = T0 + 40 * 86400;

	sync(f->s);
	/* one result 40 days ago: pruned by the next write, 31 days on */
	result(f->s, "tcp 127.0.0.1:80", T0, 5, "OK", 1);
	/* 3000 results over the last 3000 minutes, 10 to 39 ms, and one without a time */
	for (int i = 0; i < 3000; i++)
		result(f->s, "tcp 127.0.0.1:80", now - 3000 * 60 + i * 60, 10 + i % 30, "OK", 0);
	result(f->s, "tcp 127.0.0.1:80", now, -1, "CRITICAL", 1);

	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_rt(f->s, "web", "tcp 127.0.0.1:80", T0 - 1, now + 1, 300, collect_pt,
				    &g, err, sizeof(err)), 0);
	assert_true(g.n <= 300 && g.n >= 290);
	assert_true(g.p[0].ts >= now - 3000 * 60);     /* the old one is gone */
	for (int i = 0; i < g.n && i < 400; i++) {
		assert_true(g.p[i].avg >= 10 && g.p[i].avg <= 39);
		assert_true(g.p[i].max >= g.p[i].avg && g.p[i].max <= 39);
		if (i > 0)
			assert_true(g.p[i].ts > g.p[i - 1].ts);
	}
	/* fewer results than points: one each */
	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_rt(f->s, "web", "tcp 127.0.0.1:80", now - 10 * 60, now + 1, 300,
				    collect_pt, &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 10);
	assert_int_equal(g.p[9].ts, now - 60);
	/* another check, or nothing in the window: no points */
	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_rt(f->s, "web", "tcp 127.0.0.1:81", T0, now + 1, 300, collect_pt, &g,
				    err, sizeof(err)), 0);
	assert_int_equal(g.n, 0);
}

struct chg {
	int n;
	int64_t ts[8];
	char state[8][16];
};

static int collect_chg(const struct svcpage_change *c, void *arg)
{
	struct chg *g = arg;

	if (g->n < 8) {
		g->ts[g->n] = c->ts;
		snprintf(g->state[g->n], sizeof(g->state[0]), "%s", c->state);
	}
	g->n++;
	return 0;
}

static void test_history(void **state)
{
	struct storefix *f = *state;
	struct chg g;
	bool cut;
	char err[256];
	int changed;

	sync(f->s);
	assert_int_equal(svcstore_set_state(f->s, "web", "k", "OK", T0, &changed, err, sizeof(err)),
			 0);
	assert_int_equal(svcstore_set_state(f->s, "web", "k", "CRITICAL", T0 + 100, &changed, err,
					    sizeof(err)), 0);
	assert_int_equal(svcstore_set_state(f->s, "web", "k", "OK", T0 + 200, &changed, err,
					    sizeof(err)), 0);
	/* the state at the window's start, then the changes in it */
	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_history(f->s, "web", "k", T0 + 150, collect_chg, &g, &cut, err,
					 sizeof(err)), 0);
	assert_int_equal(g.n, 2);
	assert_false(cut);
	assert_int_equal(g.ts[0], T0 + 100);
	assert_string_equal(g.state[0], "CRITICAL");
	assert_int_equal(g.ts[1], T0 + 200);
	assert_string_equal(g.state[1], "OK");
	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_history(f->s, "web", "k", T0 - 10, collect_chg, &g, &cut, err,
					 sizeof(err)), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.state[0], "OK");
}

static void test_history_bound(void **state)
{
	struct storefix *f = *state;
	struct chg g;
	bool cut;
	char err[256];
	int changed;

	sync(f->s);
	for (int i = 0; i < SVCPAGE_HISTORY_MAX + 10; i++)
		assert_int_equal(svcstore_set_state(f->s, "web", "k", i % 2 ? "OK" : "CRITICAL",
						    T0 + i, &changed, err, sizeof(err)), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(svcpage_history(f->s, "web", "k", T0 + 5, collect_chg, &g, &cut, err,
					 sizeof(err)), 0);
	assert_true(cut);
	assert_int_equal(g.n, SVCPAGE_HISTORY_MAX + 1);        /* the state at T0 + 5, then MAX */
	assert_int_equal(g.ts[0], T0 + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_response_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
