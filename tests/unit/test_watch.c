/*
 * test_watch.c - rescans on change: a file written anywhere in a watched
 * tree is reported once with its full path, also in directories created or
 * moved in after the watch began; symbolic links are not followed; the
 * watch bound and lost events are counted and reported; directories
 * deleted or moved out lose their watches, ones moved within keep them.
 *
 * inotify queues events during the system call that causes them, so every
 * test reads right after acting, without sleeping. Each test works in its
 * own mkdtemp directory under /tmp: tree/ is watched, outside/ is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch.h"

#define MAXGOT 64

struct fx {
	char tmp[64];
	char tree[96];
	char out[96];
	char err[512];
	size_t n;                  /* paths reported */
	char got[MAXGOT][256];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_watch.XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->tmp);
	snprintf(f->out, sizeof(f->out), "%s/outside", f->tmp);
	assert_int_equal(mkdir(f->tree, 0755), 0);
	assert_int_equal(mkdir(f->out, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->tmp);
	free(f);
	return 0;
}

static void got(void *arg, const char *path)
{
	struct fx *f = arg;

	if (f->n < MAXGOT)
		snprintf(f->got[f->n], sizeof(f->got[0]), "%s", path);
	f->n++;
}

/* One watch_read(); returns what it reported (in f->got) and its flags. */
static size_t drain(struct fx *f, struct watch *w, unsigned *flags)
{
	unsigned fl = 0xffu;
	long n;

	f->n = 0;
	n = watch_read(w, got, f, &fl, f->err, sizeof(f->err));
	assert_true(n >= 0);
	assert_int_equal((size_t)n, f->n);
	assert_true(fl != 0xffu);
	if (flags)
		*flags = fl;
	return f->n;
}

static bool reported(const struct fx *f, const char *path)
{
	for (size_t i = 0; i < f->n && i < MAXGOT; i++)
		if (strcmp(f->got[i], path) == 0)
			return true;
	return false;
}

/* "tree/rel" or "outside/rel" as a full path, in a static buffer per slot. */
static const char *at(const char *base, const char *rel, int slot)
{
	static char buf[4][256];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", base, rel);
	return buf[slot];
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
}

static uint64_t watches(struct watch *w)
{
	struct watch_stats st;

	watch_stats(w, &st);
	return st.watches;
}

static struct watch *open_tree(struct fx *f, size_t max)
{
	struct watch *w = watch_open(max, f->err, sizeof(f->err));

	assert_non_null(w);
	assert_true(watch_fd(w) >= 0);
	assert_int_equal(watch_add_tree(w, f->tree, false, f->err, sizeof(f->err)), 0);
	return w;
}

static void test_write_in_subdir_reported_once(void **state)
{
	struct fx *f = *state;
	struct watch_stats st;
	struct watch *w;
	unsigned fl;

	assert_int_equal(mkdir(at(f->tree, "a", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "a/b", 0), 0755), 0);
	w = open_tree(f, 0);
	assert_int_equal(watches(w), 3);
	assert_int_equal(drain(f, w, &fl), 0);

	/* interleaved, so that the kernel cannot merge them: the module must */
	for (int i = 0; i < 3; i++) {
		write_file(at(f->tree, "a/b/report.doc", 0), "x");
		write_file(at(f->tree, "a/b/other.doc", 0), "y");
	}
	assert_int_equal(drain(f, w, &fl), 2);
	assert_string_equal(f->got[0], at(f->tree, "a/b/report.doc", 0));
	assert_string_equal(f->got[1], at(f->tree, "a/b/other.doc", 0));
	assert_int_equal(fl, 0);
	watch_stats(w, &st);
	assert_true(st.events >= 6);
	assert_int_equal(st.reported, 2);
	/* nothing new: nothing reported */
	assert_int_equal(drain(f, w, NULL), 0);
	/* opened for reading only: not reported */
	close(open(at(f->tree, "a/b/report.doc", 0), O_RDONLY));
	assert_int_equal(drain(f, w, NULL), 0);
	watch_close(w);
}

static void test_new_subdir_watched_and_its_files_reported(void **state)
{
	struct fx *f = *state;
	struct watch *w = open_tree(f, 0);

	/* the file is written before the agent saw the directory */
	assert_int_equal(mkdir(at(f->tree, "new", 0), 0755), 0);
	write_file(at(f->tree, "new/early.exe", 0), "x");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "new/early.exe", 0));
	assert_int_equal(watches(w), 2);
	/* the new directory is watched now */
	write_file(at(f->tree, "new/late.exe", 0), "y");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "new/late.exe", 0));

	/* nested directories made at once */
	assert_int_equal(mkdir(at(f->tree, "n1", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "n1/n2", 0), 0755), 0);
	write_file(at(f->tree, "n1/n2/deep", 0), "z");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "n1/n2/deep", 0));
	assert_int_equal(watches(w), 4);
	write_file(at(f->tree, "n1/n2/deeper", 0), "z");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "n1/n2/deeper", 0));
	watch_close(w);
}

static void test_moved_in_reported(void **state)
{
	struct fx *f = *state;
	struct watch *w;

	assert_int_equal(mkdir(at(f->tree, "a", 0), 0755), 0);
	w = open_tree(f, 0);
	write_file(at(f->out, "dropped.js", 0), "x");
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(rename(at(f->out, "dropped.js", 0), at(f->tree, "a/dropped.js", 1)), 0);
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "a/dropped.js", 0));

	/* a directory moved in: its files reported, itself watched */
	assert_int_equal(mkdir(at(f->out, "d", 0), 0755), 0);
	write_file(at(f->out, "d/one", 0), "1");
	write_file(at(f->out, "d/two", 0), "2");
	assert_int_equal(rename(at(f->out, "d", 0), at(f->tree, "d", 1)), 0);
	assert_int_equal(drain(f, w, NULL), 2);
	assert_true(reported(f, at(f->tree, "d/one", 0)));
	assert_true(reported(f, at(f->tree, "d/two", 0)));
	write_file(at(f->tree, "d/three", 0), "3");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->tree, "d/three", 0));
	watch_close(w);
}

static void test_symlinks_not_followed(void **state)
{
	struct fx *f = *state;
	struct watch *w;

	assert_int_equal(mkdir(at(f->out, "sub", 0), 0755), 0);
	assert_int_equal(symlink(f->out, at(f->tree, "link", 0)), 0);
	write_file(at(f->out, "target", 0), "t");
	assert_int_equal(symlink(at(f->out, "target", 0), at(f->tree, "flink", 1)), 0);
	w = open_tree(f, 0);
	assert_int_equal(watches(w), 1);       /* tree only: not outside/, not outside/sub */

	write_file(at(f->out, "y", 0), "y");
	write_file(at(f->tree, "link/z", 0), "z");       /* lands in outside/ */
	write_file(at(f->out, "sub/w", 0), "w");
	write_file(at(f->out, "target", 0), "changed");  /* through no link of ours */
	assert_int_equal(drain(f, w, NULL), 0);

	/* a link to a directory made later is not followed either */
	assert_int_equal(symlink(at(f->out, "sub", 0), at(f->tree, "link2", 1)), 0);
	write_file(at(f->out, "sub/v", 0), "v");
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(watches(w), 1);

	/* a root given through a link is resolved once */
	watch_close(w);
	w = watch_open(0, f->err, sizeof(f->err));
	assert_non_null(w);
	assert_int_equal(watch_add_tree(w, at(f->tree, "link", 0), false, f->err, sizeof(f->err)), 0);
	write_file(at(f->out, "sub/u", 0), "u");
	assert_int_equal(drain(f, w, NULL), 1);
	assert_string_equal(f->got[0], at(f->out, "sub/u", 0));
	watch_close(w);
}

static void test_bound_counted(void **state)
{
	struct fx *f = *state;
	struct watch_stats st;
	struct watch *w = watch_open(3, f->err, sizeof(f->err));
	unsigned fl;

	assert_non_null(w);
	for (int i = 0; i < 4; i++) {
		char rel[8];

		snprintf(rel, sizeof(rel), "d%d", i);
		assert_int_equal(mkdir(at(f->tree, rel, 0), 0755), 0);
	}
	assert_int_equal(watch_add_tree(w, f->tree, false, f->err, sizeof(f->err)), 1);
	assert_non_null(strstr(f->err, "2 directories"));
	assert_non_null(strstr(f->err, "not watched"));
	watch_stats(w, &st);
	assert_int_equal(st.watches, 3);
	assert_int_equal(st.max_watches, 3);
	assert_int_equal(st.limit_hits, 2);

	/* a directory made later: counted, flagged, its file still reported */
	assert_int_equal(mkdir(at(f->tree, "late", 0), 0755), 0);
	write_file(at(f->tree, "late/f", 0), "f");
	assert_int_equal(drain(f, w, &fl), 1);
	assert_true(fl & WATCH_UNWATCHED);
	assert_false(fl & WATCH_LOST);
	watch_stats(w, &st);
	assert_int_equal(st.limit_hits, 3);
	assert_int_equal(st.watches, 3);

	/* another tree whose root cannot be watched: an error */
	assert_int_equal(watch_add_tree(w, f->out, false, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "max_watches"));
	watch_close(w);
}

static void test_removed_or_moved_out_dir_drops_watch(void **state)
{
	struct fx *f = *state;
	struct watch *w;

	assert_int_equal(mkdir(at(f->tree, "gone", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "away", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "away/inner", 0), 0755), 0);
	w = open_tree(f, 0);
	assert_int_equal(watches(w), 4);

	assert_int_equal(rmdir(at(f->tree, "gone", 0)), 0);
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(watches(w), 3);

	assert_int_equal(rename(at(f->tree, "away", 0), at(f->out, "away", 1)), 0);
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(watches(w), 1);
	write_file(at(f->out, "away/f", 0), "f");
	write_file(at(f->out, "away/inner/g", 0), "g");
	assert_int_equal(drain(f, w, NULL), 0);

	/* the freed watches are reused by a new directory */
	assert_int_equal(mkdir(at(f->tree, "again", 0), 0755), 0);
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(watches(w), 2);
	watch_close(w);
}

static void test_moved_within_tree_keeps_watch(void **state)
{
	struct fx *f = *state;
	struct watch *w;

	assert_int_equal(mkdir(at(f->tree, "a", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "b", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "a/sub", 0), 0755), 0);
	assert_int_equal(mkdir(at(f->tree, "a/sub/deep", 0), 0755), 0);
	w = open_tree(f, 0);
	assert_int_equal(watches(w), 5);

	assert_int_equal(rename(at(f->tree, "a/sub", 0), at(f->tree, "b/sub", 1)), 0);
	assert_int_equal(drain(f, w, NULL), 0);
	assert_int_equal(watches(w), 5);
	write_file(at(f->tree, "b/sub/f", 0), "f");
	write_file(at(f->tree, "b/sub/deep/g", 0), "g");
	assert_int_equal(drain(f, w, NULL), 2);
	assert_true(reported(f, at(f->tree, "b/sub/f", 0)));
	assert_true(reported(f, at(f->tree, "b/sub/deep/g", 0)));
	watch_close(w);
}

static void test_gone_or_not_regular_not_reported(void **state)
{
	struct fx *f = *state;
	struct watch *w = open_tree(f, 0);

	write_file(at(f->tree, "tmpfile", 0), "x");
	assert_int_equal(unlink(at(f->tree, "tmpfile", 0)), 0);
	write_file(at(f->tree, "swapped", 0), "x");
	assert_int_equal(unlink(at(f->tree, "swapped", 0)), 0);
	assert_int_equal(symlink("/etc/passwd", at(f->tree, "swapped", 0)), 0);
	assert_int_equal(drain(f, w, NULL), 0);
	watch_close(w);
}

static void test_overflow_reported(void **state)
{
	struct fx *f = *state;
	struct watch_stats st;
	struct watch *w;
	unsigned fl;
	long max = 16384;
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	char line[32];

	if (fp) {
		if (fgets(line, sizeof(line), fp))
			max = strtol(line, NULL, 10);
		fclose(fp);
	}
	if (max <= 0 || max > 1000000) {
		print_message("skipped: max_queued_events is %ld\n", max);
		skip();
	}
	w = open_tree(f, 0);
	write_file(at(f->tree, "A", 0), "a");
	write_file(at(f->tree, "B", 0), "b");
	/* alternate, so that the kernel cannot merge consecutive events */
	for (long i = 0; i < max + 100; i++) {
		int fd = open(at(f->tree, i % 2 ? "A" : "B", 0), O_WRONLY);

		assert_true(fd >= 0);
		close(fd);
	}
	/* a directory made while events are lost is watched by the re-walk */
	assert_int_equal(mkdir(at(f->tree, "lost", 0), 0755), 0);
	assert_int_equal(drain(f, w, &fl), 2);
	assert_true(fl & WATCH_LOST);
	assert_true(reported(f, at(f->tree, "A", 0)));
	assert_true(reported(f, at(f->tree, "B", 0)));
	watch_stats(w, &st);
	assert_int_equal(st.overflows, 1);
	assert_int_equal(st.watches, 2);
	write_file(at(f->tree, "lost/x", 0), "x");
	assert_int_equal(drain(f, w, &fl), 1);
	assert_int_equal(fl, 0);
	assert_string_equal(f->got[0], at(f->tree, "lost/x", 0));
	watch_close(w);
}

static void test_add_tree_errors(void **state)
{
	struct fx *f = *state;
	struct watch *w = watch_open(0, f->err, sizeof(f->err));

	assert_non_null(w);
	write_file(at(f->tree, "file", 0), "x");
	assert_int_equal(watch_add_tree(w, at(f->tree, "file", 0), false, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "not a directory"));
	assert_int_equal(watch_add_tree(w, at(f->tree, "missing", 0), false, f->err, sizeof(f->err)),
			 -1);
	assert_non_null(strstr(f->err, "missing"));
	/* the same tree twice: one set of watches */
	assert_int_equal(watch_add_tree(w, f->tree, false, f->err, sizeof(f->err)), 0);
	assert_int_equal(watch_add_tree(w, f->tree, false, f->err, sizeof(f->err)), 0);
	assert_int_equal(watches(w), 1);
	watch_close(w);
	assert_null(watch_open(WATCH_MAX_WATCHES_LIMIT + 1, f->err, sizeof(f->err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_in_subdir_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_subdir_watched_and_its_files_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_moved_in_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_or_moved_out_dir_drops_watch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_moved_within_tree_keeps_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_or_not_regular_not_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_tree_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
