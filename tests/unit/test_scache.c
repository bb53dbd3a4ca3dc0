/*
 * test_scache.c - the scan cache: a hit only when device, inode, size,
 * mtime, ctime and rules are all unchanged; one entry per file; the bound
 * evicts (counted) what was not looked up recently; the file survives
 * close and open, and a damaged, truncated or foreign file is discarded
 * with a reason, never fatal; concurrent lookups and inserts are safe.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scache.h"

struct fx {
	char dir[64];
	char path[128];
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kastro-test-scache.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/scan.cache", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

static struct scache_key key(uint64_t i)
{
	struct scache_key k = { .dev = 2049, .ino = 1000 + i, .size = 100 * i,
				.mtime_ns = 1700000000000000000ll + (int64_t)i,
				.ctime_ns = 1700000000000000000ll + 2 * (int64_t)i, .rules = 0xabcdef };

	return k;
}

static void test_hit_only_when_all_fields_equal(void **state)
{
	struct fx *f = *state;
	struct scache *c = scache_open(NULL, 0, f->err, sizeof(f->err));
	struct scache_key k = key(1), m;
	struct scache_stats st;

	assert_non_null(c);
	assert_false(scache_lookup(c, &k));
	scache_insert(c, &k);
	assert_true(scache_lookup(c, &k));
	m = k; m.size++;
	assert_false(scache_lookup(c, &m));
	m = k; m.mtime_ns++;
	assert_false(scache_lookup(c, &m));
	m = k; m.ctime_ns++;
	assert_false(scache_lookup(c, &m));
	m = k; m.rules++;
	assert_false(scache_lookup(c, &m));
	m = k; m.ino++;
	assert_false(scache_lookup(c, &m));
	m = k; m.dev++;
	assert_false(scache_lookup(c, &m));
	/* one entry per file: the new state replaces the old */
	m = k; m.size = 5;
	scache_insert(c, &m);
	assert_true(scache_lookup(c, &m));
	assert_false(scache_lookup(c, &k));
	scache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 8);
	scache_forget(c, m.dev, m.ino);
	assert_false(scache_lookup(c, &m));
	scache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	scache_close(c);
}

static void test_key_from_stat_and_rules_tag(void **state)
{
	struct stat s;
	struct scache_key k;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.st_dev = 7;
	s.st_ino = 8;
	s.st_size = 9;
	s.st_mtim.tv_sec = 10;
	s.st_mtim.tv_nsec = 11;
	s.st_ctim.tv_sec = 12;
	s.st_ctim.tv_nsec = 13;
	scache_key(&k, &s, scache_rules_tag("0123456789abcdef0123"));
	assert_int_equal(k.dev, 7);
	assert_int_equal(k.ino, 8);
	assert_int_equal(k.size, 9);
	assert_int_equal(k.mtime_ns, 10000000011ll);
	assert_int_equal(k.ctime_ns, 12000000013ll);
	assert_true(k.rules == 0x0123456789abcdefull);
	assert_true(scache_rules_tag("0123456789abcdee") != k.rules);
}

static void test_survives_close_and_open(void **state)
{
	struct fx *f = *state;
	struct scache *c = scache_open(f->path, 0, f->err, sizeof(f->err));
	struct scache_stats st;
	struct stat fs;

	assert_non_null(c);
	assert_string_equal(f->err, "");
	for (uint64_t i = 0; i < 5000; i++) {
		struct scache_key k = key(i);

		scache_insert(c, &k);
	}
	assert_int_equal(scache_save(c, f->err, sizeof(f->err)), 0);
	scache_close(c);
	assert_int_equal(stat(f->path, &fs), 0);
	assert_int_equal(fs.st_mode & 0777, 0600);
	assert_int_equal(fs.st_size, 32 + 5000 * 48 + 32);

	c = scache_open(f->path, 0, f->err, sizeof(f->err));
	assert_non_null(c);
	assert_string_equal(f->err, "");
	for (uint64_t i = 0; i < 5000; i++) {
		struct scache_key k = key(i);

		assert_true(scache_lookup(c, &k));
	}
	scache_stats(c, &st);
	assert_int_equal(st.loaded, 5000);
	assert_int_equal(st.entries, 5000);
	scache_close(c);
}

/* Damage the saved file with fn, open again: discarded, empty, said why. */
static void reopen_damaged(struct fx *f, void (*fn)(const char *path), const char *why)
{
	struct scache *c = scache_open(f->path, 0, f->err, sizeof(f->err));
	struct scache_key k = key(3);
	struct scache_stats st;

	assert_non_null(c);
	for (uint64_t i = 0; i < 100; i++) {
		struct scache_key x = key(i);

		scache_insert(c, &x);
	}
	assert_int_equal(scache_save(c, f->err, sizeof(f->err)), 0);
	scache_close(c);
	fn(f->path);
	c = scache_open(f->path, 0, f->err, sizeof(f->err));
	assert_non_null(c);
	assert_non_null(strstr(f->err, "discarded"));
	assert_non_null(strstr(f->err, why));
	assert_false(scache_lookup(c, &k));
	scache_stats(c, &st);
	assert_int_equal(st.entries, 0);
	/* and it works normally afterwards */
	scache_insert(c, &k);
	assert_true(scache_lookup(c, &k));
	assert_int_equal(scache_save(c, f->err, sizeof(f->err)), 0);
	scache_close(c);
	c = scache_open(f->path, 0, f->err, sizeof(f->err));
	assert_string_equal(f->err, "");
	assert_true(scache_lookup(c, &k));
	scache_close(c);
}

static void flip_entry_byte(const char *path)
{
	int fd = open(path, O_RDWR);
	unsigned char b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 32 + 48 * 50 + 3), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, 32 + 48 * 50 + 3), 1);
	close(fd);
}

static void cut_tail(const char *path)
{
	assert_int_equal(truncate(path, 32 + 48 * 60), 0);
}

static void overwrite_garbage(const char *path)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (int i = 0; i < 1000; i++)
		fputc(i * 7, fp);
	fclose(fp);
}

static void bump_version(const char *path)
{
	int fd = open(path, O_RDWR);
	unsigned char v = 9;

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, 1, 8), 1);
	close(fd);
}

static void test_flipped_byte_is_discarded(void **state)
{
	reopen_damaged(*state, flip_entry_byte, "checksum");
}

static void test_truncated_file_is_discarded(void **state)
{
	reopen_damaged(*state, cut_tail, "truncated");
}

static void test_foreign_file_is_discarded(void **state)
{
	reopen_damaged(*state, overwrite_garbage, "magic");
}

static void test_other_version_is_discarded(void **state)
{
	reopen_damaged(*state, bump_version, "version");
}

static void test_bound_evicts_and_counts(void **state)
{
	struct fx *f = *state;
	struct scache *c = scache_open(f->path, 100, f->err, sizeof(f->err));
	struct scache_stats st;
	unsigned kept_hot = 0, kept_cold = 0;

	assert_non_null(c);
	for (uint64_t i = 0; i < 100; i++) {
		struct scache_key k = key(i);

		scache_insert(c, &k);
	}
	/* the first 20 are used again: second chance */
	for (uint64_t i = 0; i < 20; i++) {
		struct scache_key k = key(i);

		assert_true(scache_lookup(c, &k));
	}
	for (uint64_t i = 100; i < 150; i++) {
		struct scache_key k = key(i);

		scache_insert(c, &k);
	}
	scache_stats(c, &st);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.max_entries, 100);
	assert_int_equal(st.evictions, 50);
	for (uint64_t i = 100; i < 150; i++) {
		struct scache_key k = key(i);

		assert_true(scache_lookup(c, &k));
	}
	for (uint64_t i = 0; i < 20; i++) {
		struct scache_key k = key(i);

		kept_hot += scache_lookup(c, &k);
	}
	for (uint64_t i = 20; i < 100; i++) {
		struct scache_key k = key(i);

		kept_cold += scache_lookup(c, &k);
	}
	assert_int_equal(kept_hot, 20);
	assert_int_equal(kept_cold, 30);

	/* a file with more entries than the bound of the opener */
	assert_int_equal(scache_save(c, f->err, sizeof(f->err)), 0);
	scache_close(c);
	c = scache_open(f->path, 10, f->err, sizeof(f->err));
	assert_non_null(c);
	assert_string_equal(f->err, "");
	scache_stats(c, &st);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.evictions, 90);
	scache_close(c);
}

static void test_forget_keeps_the_rest(void **state)
{
	struct fx *f = *state;
	struct scache *c = scache_open(NULL, 0, f->err, sizeof(f->err));

	assert_non_null(c);
	for (uint64_t i = 0; i < 3000; i++) {
		struct scache_key k = key(i);

		scache_insert(c, &k);
	}
	for (uint64_t i = 0; i < 3000; i += 3) {
		struct scache_key k = key(i);

		scache_forget(c, k.dev, k.ino);
	}
	for (uint64_t i = 0; i < 3000; i++) {
		struct scache_key k = key(i);

		assert_int_equal(scache_lookup(c, &k), i % 3 != 0);
	}
	scache_close(c);
}

struct thr {
	struct scache *c;
	uint64_t base;
	unsigned bad;
};

static void *hammer(void *arg)
{
	struct thr *t = arg;

	for (uint64_t i = 0; i < 20000; i++) {
		struct scache_key k = key(t->base + i);

		scache_insert(t->c, &k);
		if (!scache_lookup(t->c, &k))
			t->bad++;
	}
	return NULL;
}

static void test_concurrent_inserts_and_lookups(void **state)
{
	struct fx *f = *state;
	struct scache *c = scache_open(NULL, 100000, f->err, sizeof(f->err));
	struct thr t[4];
	pthread_t id[4];
	struct scache_stats st;

	assert_non_null(c);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ c, (uint64_t)i * 1000000, 0 };
		assert_int_equal(pthread_create(&id[i], NULL, hammer, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(id[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	scache_stats(c, &st);
	assert_int_equal(st.entries, 80000);
	assert_int_equal(st.hits, 80000);
	scache_close(c);
}

static void test_bad_bound_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(scache_open(NULL, (uint64_t)SCACHE_MAX_ENTRIES + 1, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_only_when_all_fields_equal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_from_stat_and_rules_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_close_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte_is_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_file_is_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_is_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_version_is_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_evicts_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget_keeps_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_inserts_and_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bound_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
