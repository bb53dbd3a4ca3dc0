/*
 * test_auditagg.c - refused requests into the audit log (console/
 * auditagg.c) on a real database: a flood of one kind from one address is
 * one entry at once and one summary when its window ends; distinct keys
 * beyond the budget or the table are summed per action from "many
 * addresses"; no refusal is left uncounted, and the chain holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auditagg.h"
#include "store.h"
#include "testfs.h"

struct tally {
	int entries;
	uint64_t counted;       /* refusals the entries stand for */
	char last_detail[4200], last_addr[80];
};

/* Each entry stands for 1, or for N when it says "and N more". */
static int count_row(void *arg, const struct store_audit_entry *e)
{
	struct tally *t = arg;
	unsigned long long n;

	t->entries++;
	if (sscanf(e->detail, "and %llu more", &n) == 1)
		t->counted += n;
	else if (sscanf(e->detail, "%llu refused requests of other kinds", &n) == 1)
		t->counted += n;
	else
		t->counted += 1;
	if (t->entries == 1) {
		snprintf(t->last_detail, sizeof(t->last_detail), "%s", e->detail);
		snprintf(t->last_addr, sizeof(t->last_addr), "%s", e->addr);
	}
	return 0;
}

static void tally(struct store *s, struct tally *t)
{
	char err[256];

	memset(t, 0, sizeof(*t));
	assert_int_equal(store_audit_list(s, 0, 500, count_row, t, err, sizeof(err)), 0);
}

static void test_flood_aggregated_nothing_dropped(void **state)
{
	char dir[64] = "/tmp/test_auditagg.XXXXXX", path[128], err[256], addr[32];
	struct store *s;
	struct auditagg *a;
	struct auditagg_stats st;
	struct store_audit_check ck;
	struct tally t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/console.db", dir);
	assert_int_equal(store_open(path, 1, &s, err, sizeof(err)), 0);
	a = auditagg_new(8, 10);
	assert_non_null(a);

	/* 1000 CSRF failures from one address within the window */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(auditagg_note(a, s, 1000 + i / 200, "csrf.refused", "alice",
					       "10.0.0.7", "POST /api/v1/users", err, sizeof(err)), 0);
	tally(s, &t);
	assert_int_equal(t.entries, 1);
	assert_int_equal(auditagg_flush(a, s, 1009, 0, err, sizeof(err)), 0);     /* not yet */
	tally(s, &t);
	assert_int_equal(t.entries, 1);
	assert_int_equal(auditagg_flush(a, s, 1010, 0, err, sizeof(err)), 0);
	tally(s, &t);
	assert_int_equal(t.entries, 2);
	assert_string_equal(t.last_detail, "and 999 more like it in 10 s");
	assert_int_equal(t.counted, 1000);

	/* 300 addresses, 3 tries each: 8 keys fit, the rest summed per action */
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 300; i++) {
			snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250);
			assert_int_equal(auditagg_note(a, s, 2000, "login.locked", NULL, addr, "wait",
						       err, sizeof(err)), 0);
		}
	assert_int_equal(auditagg_flush(a, s, 2100, 1, err, sizeof(err)), 0);
	tally(s, &t);
	assert_int_equal(t.counted, 1000 + 900);
	assert_int_equal(t.entries, 2 + 8 + 8 + 1);     /* 8 first, 8 summaries, 1 "many" */
	auditagg_get_stats(a, &st);
	assert_int_equal(st.noted, 1900);
	assert_int_equal(st.written, (uint64_t)t.entries);
	assert_int_equal(store_audit_verify(s, &ck, err, sizeof(err)), 0);
	assert_int_equal(ck.first_bad, 0);
	assert_int_equal(ck.verified, t.entries);

	auditagg_free(a);
	store_close(s);
	testfs_rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_aggregated_nothing_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
