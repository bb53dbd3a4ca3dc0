/*
 * test_eve_lines.c - what a reader of the EVE file sees while kastrod
 * writes: lines of many sizes, 3 MiB of them through the 1 MiB buffer, and
 * after every event the file holds whole lines only (it is empty or ends in
 * a newline), so a shipper tailing it never reads half an event; after the
 * last flush every event is there, once, in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eve.h"
#include "jw.h"
#include "testfs.h"

static void test_whole_lines(void **state)
{
	char dir[64], path[128], err[256], *pad, *text;
	struct eve *e = calloc(1, sizeof(*e));
	struct jw w;
	size_t total = 0, lines = 0, want;
	unsigned seed = 7;
	int fd, n = 0;
	struct stat st;

	(void)state;
	assert_non_null(e);
	snprintf(dir, sizeof(dir), "/tmp/kastro-test-eve.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	assert_int_equal(eve_open(e, path, err, sizeof(err)), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	pad = malloc(EVE_MAX_EVENT);
	assert_non_null(pad);
	memset(pad, 'x', EVE_MAX_EVENT);
	while (total < 3u * EVE_STDIO_BUF) {
		size_t len = 50 + (size_t)(rand_r(&seed) % (EVE_MAX_EVENT - 200));
		char last;

		pad[len] = '\0';
		eve_begin(e, &w, 1700000000000000ull + (uint64_t)n, "flow");
		jw_u64(&w, "n", (uint64_t)n);
		jw_str(&w, "pad", pad);
		eve_commit(e, &w);
		pad[len] = 'x';
		n++;
		assert_int_equal(e->events, (uint64_t)n);
		assert_int_equal(fstat(fd, &st), 0);
		if (st.st_size > 0) {
			assert_int_equal(pread(fd, &last, 1, st.st_size - 1), 1);
			assert_int_equal(last, '\n');
		}
		total = (size_t)st.st_size + e->pending;
	}
	/* the buffer was written out more than once on its own */
	assert_true(st.st_size > (off_t)EVE_STDIO_BUF);
	assert_int_equal(eve_flush(e), 0);
	assert_int_equal(fstat(fd, &st), 0);
	want = (size_t)st.st_size;
	text = malloc(want + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, want, 0), (ssize_t)want);
	text[want] = '\0';
	for (char *p = text, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		char key[32];

		snprintf(key, sizeof(key), "\"n\":%zu,", lines);
		assert_non_null(strstr(p, key));
		assert_true(strstr(p, key) < nl);
		lines++;
	}
	assert_int_equal(lines, (size_t)n);
	close(fd);
	eve_close(e);
	free(e);
	free(pad);
	free(text);
	testfs_rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
