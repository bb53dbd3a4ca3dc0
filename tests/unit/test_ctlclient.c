/*
 * test_ctlclient.c - control socket answers of any length arrive whole or
 * not at all: a handler that fills the daemon's buffer gets an error sent
 * instead of a cut answer; an answer in pages ("more: REQUEST") is put
 * together by the client, every page's "ok" line dropped but the first;
 * a page that is not "ok" ends the answer with an error.
 *
 * A real control socket (control.h) in a mkdtemp directory, served by a
 * thread of the test; the client is ctlclient_ask(). Needs root (the
 * socket serves uid 0 only): skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "ctlclient.h"
#include "testfs.h"
#include "ctlfix.h"

static void answer(struct ctlfix *f, const char *line, char *ans, size_t anslen)
{
	unsigned page;

	(void)f;
	if (strcmp(line, "fill") == 0) {
		memset(ans, 'x', anslen - 1);
		ans[anslen - 1] = '\0';
	} else if (sscanf(line, "page %u", &page) == 1) {
		/* 5 pages of 1000 lines each */
		size_t o = (size_t)snprintf(ans, anslen, "ok");

		for (unsigned i = 0; i < 1000; i++)
			o += (size_t)snprintf(ans + o, anslen - o, "\nline %u", page * 1000 + i);
		if (page < 4)
			snprintf(ans + o, anslen - o, "\n" CTLCLIENT_MORE "page %u", page + 1);
	} else if (strcmp(line, "badpage") == 0) {
		snprintf(ans, anslen, "ok\nfirst\n" CTLCLIENT_MORE "nope");
	} else {
		snprintf(ans, anslen, "error: unknown");
	}
}

static int setup(void **state)
{
	struct ctlfix *f = ctlfix_open("kastro-test-ctl", 0700);

	ctlfix_serve(f, answer);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return ctlfix_close(*state);
}

static void test_full_answer_is_an_error_not_a_cut(void **state)
{
	struct ctlfix *f = *state;
	char err[256], *ans;
	size_t len;

	assert_int_equal(ctlclient_ask(f->sock, "fill", 5000, &ans, &len, err, sizeof(err)), 0);
	assert_non_null(strstr(ans, "error: the answer is longer than"));
	assert_true(len < 200);
	free(ans);
	assert_int_equal(f->ctl.cut, 1);
}

static void test_pages_make_one_answer(void **state)
{
	struct ctlfix *f = *state;
	char err[256], *ans, *p;
	size_t len;
	unsigned n = 0;

	assert_int_equal(ctlclient_ask(f->sock, "page 0", 5000, &ans, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(ans), len);
	assert_memory_equal(ans, "ok\nline 0\n", 10);
	for (p = strchr(ans, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
		unsigned v;

		assert_int_equal(sscanf(p, "line %u", &v), 1);
		assert_int_equal(v, n);
		n++;
	}
	assert_int_equal(n, 5000);
	assert_null(strstr(ans, "more:"));
	assert_null(strstr(ans + 2, "ok"));
	free(ans);
}

static void test_a_bad_page_is_an_error(void **state)
{
	struct ctlfix *f = *state;
	char err[256], *ans;
	size_t len;

	assert_int_equal(ctlclient_ask(f->sock, "badpage", 5000, &ans, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "page 2 of the answer: error: unknown"));
	assert_int_equal(ctlclient_ask(f->sock + 1, "x", 5000, &ans, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot reach the daemon"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_answer_is_an_error_not_a_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_make_one_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_bad_page_is_an_error, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("SKIP: the control socket serves root only\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
