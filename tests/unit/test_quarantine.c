/*
 * test_quarantine.c - the agent's quarantine: a file goes in and comes back
 * with the same content, owner, mode and mtime (on one file system and
 * across two), is gone from its path meanwhile and stored root-only;
 * symbolic links, FIFOs and directories are refused; a restore never
 * overwrites what is at the path now and never restores a changed copy;
 * items survive close and open; a damaged record costs only that record.
 *
 * Runs as root (the module chowns files). Every test works in its own
 * mkdtemp directory under /tmp (and /dev/shm for the cross-file-system
 * test), removed after.
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

#include "quarantine.h"

/* sha256("hello, quarantine\n") */
#define HELLO "hello, quarantine\n"
#define HELLO_SHA "015f2abc71eca5ac53457ffc8eea2108c5b14d4c8b32ca97db0be459fbf3fd6e"

struct fx {
	char tmp[64];       /* mkdtemp under /tmp: the files */
	char shm[64];       /* mkdtemp under /dev/shm, or "" */
	char qdir[128];     /* the quarantine, under tmp */
	char files[128];
	char err[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_quarantine.XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->qdir, sizeof(f->qdir), "%s/q", f->tmp);
	snprintf(f->files, sizeof(f->files), "%s/files", f->tmp);
	assert_int_equal(mkdir(f->files, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->tmp);
	if (f->shm[0])
		testfs_rm_tree(f->shm);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* The whole file into buf (cap bytes); returns its length. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

/* A file with an owner, mode and mtime of its own. */
static void make_sample(const char *path, const char *data, size_t len, mode_t mode)
{
	struct timespec ts[2] = { { 1600000000, 0 }, { 1600000123, 456789012 } };

	write_file(path, data, len);
	assert_int_equal(chown(path, 1234, 5678), 0);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

struct listed {
	size_t n;
	struct quarantine_item items[8];
};

static int collect(void *arg, const struct quarantine_item *it)
{
	struct listed *l = arg;

	if (l->n < 8)
		l->items[l->n] = *it;
	l->n++;
	return 0;
}

/* put, check quarantined state, restore, check everything came back */
static void round_trip(struct fx *f, const char *qdir)
{
	char path[256], stored[256], record[256], buf[4096];
	struct quarantine_item it;
	struct quarantine_stats st;
	struct listed l = { 0 };
	struct stat sb;
	struct quarantine *q = quarantine_open(qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	assert_string_equal(f->err, "");
	assert_int_equal(stat(qdir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(sb.st_uid, 0);

	snprintf(path, sizeof(path), "%s/sample.exe", f->files);
	make_sample(path, HELLO, strlen(HELLO), 02750);
	assert_int_equal(quarantine_put(q, path, "test:Evil", NULL, &it, f->err, sizeof(f->err)), 0);

	/* the item as recorded */
	assert_string_equal(it.path, path);
	assert_string_equal(it.rule, "test:Evil");
	assert_string_equal(it.sha256, HELLO_SHA);
	assert_int_equal(strlen(it.id), 18);
	assert_memory_equal(it.id, "q-", 2);
	assert_int_equal(it.uid, 1234);
	assert_int_equal(it.gid, 5678);
	assert_int_equal(it.mode, 02750);
	assert_int_equal(it.size, strlen(HELLO));
	assert_int_equal(it.mtime.tv_sec, 1600000123);
	assert_int_equal(it.mtime.tv_nsec, 456789012);
	assert_int_equal(it.nlink, 1);

	/* gone from its path, stored root-only with the same bytes */
	assert_false(exists(path));
	snprintf(stored, sizeof(stored), "%s/%s.data", qdir, it.id);
	snprintf(record, sizeof(record), "%s/%s.json", qdir, it.id);
	assert_int_equal(lstat(stored, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0400);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_gid, 0);
	assert_int_equal(read_file(stored, buf, sizeof(buf)), strlen(HELLO));
	assert_memory_equal(buf, HELLO, strlen(HELLO));
	assert_int_equal(lstat(record, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	assert_int_equal(quarantine_list(q, collect, &l), 1);
	assert_int_equal(l.n, 1);
	assert_memory_equal(&l.items[0], &it, sizeof(it));
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 1);
	assert_int_equal(st.bytes, strlen(HELLO));
	assert_int_equal(st.put, 1);

	/* back, as it was */
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), 0);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_uid, 1234);
	assert_int_equal(sb.st_gid, 5678);
	assert_int_equal(sb.st_mode & 07777, 02750);
	assert_int_equal(sb.st_mtim.tv_sec, 1600000123);
	assert_int_equal(sb.st_mtim.tv_nsec, 456789012);
	assert_int_equal(read_file(path, buf, sizeof(buf)), strlen(HELLO));
	assert_memory_equal(buf, HELLO, strlen(HELLO));
	assert_false(exists(stored));
	assert_false(exists(record));
	l.n = 0;
	assert_int_equal(quarantine_list(q, collect, &l), 0);
	assert_int_equal(quarantine_get(q, it.id, &it), -1);
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.restored, 1);
	/* a second restore of the same id is refused */
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), -1);
	quarantine_close(q);
}

static void test_round_trip_same_fs(void **state)
{
	struct fx *f = *state;

	round_trip(f, f->qdir);
}

static void test_round_trip_across_file_systems(void **state)
{
	struct fx *f = *state;
	char qdir[128];
	struct stat a, b;

	snprintf(f->shm, sizeof(f->shm), "/dev/shm/test_quarantine.XXXXXX");
	if (!mkdtemp(f->shm)) {
		f->shm[0] = '\0';
		print_message("skipped: no /dev/shm (%s)\n", strerror(errno));
		skip();
	}
	assert_int_equal(stat(f->shm, &a), 0);
	assert_int_equal(stat(f->files, &b), 0);
	if (a.st_dev == b.st_dev) {
		print_message("skipped: /dev/shm and /tmp are one file system here\n");
		skip();
	}
	snprintf(qdir, sizeof(qdir), "%s/q", f->shm);
	round_trip(f, qdir);
}

/* The path is recorded with its directory resolved; the restore goes there. */
static void test_path_through_symlinked_directory(void **state)
{
	struct fx *f = *state;
	char link[200], via[256], real[256];
	struct quarantine_item it;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(link, sizeof(link), "%s/link", f->tmp);
	assert_int_equal(symlink(f->files, link), 0);
	snprintf(via, sizeof(via), "%s/a.bin", link);
	snprintf(real, sizeof(real), "%s/a.bin", f->files);
	write_file(real, "x", 1);
	assert_int_equal(quarantine_put(q, via, "r", NULL, &it, f->err, sizeof(f->err)), 0);
	assert_string_equal(it.path, real);
	assert_false(exists(real));

	/* the directory swapped for a link elsewhere: the restore refuses */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(rename(f->files, link), 0);     /* link now a real dir ... */
	assert_int_equal(symlink(link, f->files), 0);    /* ... and files a link to it */
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "symbolic link"));
	snprintf(via, sizeof(via), "%s/a.bin", link);
	assert_false(exists(via));
	assert_int_equal(unlink(f->files), 0);
	assert_int_equal(rename(link, f->files), 0);
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), 0);
	assert_true(exists(real));
	quarantine_close(q);
}

static void test_refuses_symlink_fifo_directory(void **state)
{
	struct fx *f = *state;
	char target[256], link[256], fifo[256], dir[256], buf[64];
	struct quarantine_stats st;
	struct stat sb;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(target, sizeof(target), "%s/target", f->files);
	snprintf(link, sizeof(link), "%s/link", f->files);
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->files);
	snprintf(dir, sizeof(dir), "%s/dir", f->files);
	write_file(target, HELLO, strlen(HELLO));
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(mkdir(dir, 0755), 0);

	assert_int_equal(quarantine_put(q, link, "r", NULL, NULL, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "symbolic link"));
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(read_file(target, buf, sizeof(buf)), strlen(HELLO));

	/* must not block on the FIFO */
	assert_int_equal(quarantine_put(q, fifo, "r", NULL, NULL, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "FIFO"));
	assert_int_equal(lstat(fifo, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));

	assert_int_equal(quarantine_put(q, dir, "r", NULL, NULL, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "directory"));
	assert_true(exists(dir));

	/* nothing in the quarantine, nothing left behind in its directory */
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 0);
	assert_int_equal(st.refused, 3);
	quarantine_close(q);
	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	quarantine_stats(q, &st);
	assert_int_equal(st.items + st.corrupt + st.missing + st.orphans + st.tmp_removed, 0);
	quarantine_close(q);
}

/* delete: gone from the list, from the directory, and after a reopen */
static void test_delete(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct quarantine_item it, it2;
	struct quarantine_stats st;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/del.exe", f->files);
	write_file(path, HELLO, strlen(HELLO));
	assert_int_equal(quarantine_put(q, path, "r", NULL, &it, f->err, sizeof(f->err)), 0);
	snprintf(path, sizeof(path), "%s/keep.exe", f->files);
	write_file(path, HELLO, strlen(HELLO));
	assert_int_equal(quarantine_put(q, path, "r", NULL, &it2, f->err, sizeof(f->err)), 0);
	assert_int_equal(quarantine_delete(q, it.id, f->err, sizeof(f->err)), 0);
	assert_int_equal(quarantine_get(q, it.id, &it), -1);
	assert_int_equal(quarantine_delete(q, it.id, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "no item"));
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 1);
	assert_false(exists(path) );
	quarantine_close(q);
	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 1);
	assert_int_equal(st.corrupt + st.missing + st.orphans, 0);
	assert_int_equal(quarantine_get(q, it2.id, &it2), 0);
	quarantine_close(q);
}

static void test_restore_refused_when_path_occupied(void **state)
{
	struct fx *f = *state;
	char path[256], buf[64];
	struct quarantine_item it;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/doc.pdf", f->files);
	write_file(path, HELLO, strlen(HELLO));
	assert_int_equal(quarantine_put(q, path, "r", NULL, &it, f->err, sizeof(f->err)), 0);
	write_file(path, "new", 3);
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "exists now"));
	assert_non_null(strstr(f->err, path));
	assert_int_equal(read_file(path, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	assert_int_equal(quarantine_get(q, it.id, &it), 0);

	/* a symbolic link at the path counts as occupied too, and is not followed */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/nonexistent-target", path), 0);
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "exists now"));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), 0);
	assert_int_equal(read_file(path, buf, sizeof(buf)), strlen(HELLO));
	assert_memory_equal(buf, HELLO, strlen(HELLO));
	quarantine_close(q);
}

static void test_tampered_copy_not_restored(void **state)
{
	struct fx *f = *state;
	char path[256], stored[256];
	struct quarantine_item it;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	int fd;

	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/t.exe", f->files);
	write_file(path, HELLO, strlen(HELLO));
	assert_int_equal(quarantine_put(q, path, "r", NULL, &it, f->err, sizeof(f->err)), 0);
	snprintf(stored, sizeof(stored), "%s/%s.data", f->qdir, it.id);
	fd = open(stored, O_WRONLY);   /* root: 0400 does not stop us */
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "H", 1, 0), 1);
	close(fd);
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "sha256"));
	assert_non_null(strstr(f->err, HELLO_SHA));
	assert_false(exists(path));
	assert_true(exists(stored));
	assert_int_equal(quarantine_get(q, it.id, &it), 0);
	quarantine_close(q);
}

static void test_given_sha256_checked(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct quarantine_item it;
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	char upper[65];

	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/s.exe", f->files);
	write_file(path, HELLO, strlen(HELLO));
	/* a different sha256: the file changed since the scan */
	assert_int_equal(quarantine_put(q, path, "r",
					"0000000000000000000000000000000000000000000000000000000000000000",
					NULL, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "changed since it was scanned"));
	assert_true(exists(path));
	assert_int_equal(quarantine_put(q, path, "r", "not hex", NULL, f->err, sizeof(f->err)), -1);
	assert_true(exists(path));
	/* the right one, in upper case */
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(HELLO_SHA[i] >= 'a' ? HELLO_SHA[i] - 32 : HELLO_SHA[i]);
	assert_int_equal(quarantine_put(q, path, "r", upper, &it, f->err, sizeof(f->err)), 0);
	assert_string_equal(it.sha256, HELLO_SHA);
	assert_false(exists(path));
	quarantine_close(q);
}

static void test_persists_across_close_and_open(void **state)
{
	struct fx *f = *state;
	char p1[256], p2[256];
	struct quarantine_item a, b;
	struct listed l = { 0 };
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(p1, sizeof(p1), "%s/one", f->files);
	snprintf(p2, sizeof(p2), "%s/two", f->files);
	make_sample(p1, "1", 1, 0600);
	make_sample(p2, "22", 2, 0755);
	assert_int_equal(quarantine_put(q, p1, "ns:One", NULL, &a, f->err, sizeof(f->err)), 0);
	assert_int_equal(quarantine_put(q, p2, "ns:Two", NULL, &b, f->err, sizeof(f->err)), 0);
	assert_string_not_equal(a.id, b.id);
	quarantine_close(q);

	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	assert_string_equal(f->err, "");
	assert_int_equal(quarantine_list(q, collect, &l), 2);
	/* oldest first; same second: by id */
	for (size_t i = 0; i < 2; i++) {
		const struct quarantine_item *x = strcmp(l.items[i].id, a.id) == 0 ? &a : &b;

		assert_memory_equal(&l.items[i], x, sizeof(*x));
	}
	assert_int_equal(quarantine_restore(q, a.id, f->err, sizeof(f->err)), 0);
	assert_true(exists(p1));
	quarantine_close(q);

	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	l.n = 0;
	assert_int_equal(quarantine_list(q, collect, &l), 1);
	assert_string_equal(l.items[0].id, b.id);
	assert_int_equal(quarantine_restore(q, b.id, f->err, sizeof(f->err)), 0);
	assert_true(exists(p2));
	quarantine_close(q);
}

struct reports {
	int n;
	char last[512];
};

static void on_report(void *arg, const char *msg)
{
	struct reports *r = arg;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%s", msg);
}

static void test_damaged_records_skipped(void **state)
{
	struct fx *f = *state;
	char path[256], name[256];
	struct quarantine_item it[4];
	struct quarantine_stats st;
	struct listed l = { 0 };
	struct reports r = { 0 };
	struct quarantine_config cfg = { .report = on_report, .report_arg = &r };
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/f%d", f->files, i);
		write_file(path, HELLO, strlen(HELLO));
		assert_int_equal(quarantine_put(q, path, "r", NULL, &it[i], f->err, sizeof(f->err)), 0);
	}
	quarantine_close(q);

	/* 0: not JSON; 1: a bad field; 2: its stored copy gone; 3 intact */
	snprintf(name, sizeof(name), "%s/%s.json", f->qdir, it[0].id);
	write_file(name, "{\"v\":1,\"id\":", 12);
	snprintf(name, sizeof(name), "%s/%s.json", f->qdir, it[1].id);
	write_file(name, "{\"v\":1}", 7);
	snprintf(name, sizeof(name), "%s/%s.data", f->qdir, it[2].id);
	assert_int_equal(unlink(name), 0);
	/* and a stored copy without a record, and a leftover temporary file */
	snprintf(name, sizeof(name), "%s/q-00000000000000aa.data", f->qdir);
	write_file(name, "x", 1);
	snprintf(name, sizeof(name), "%s/q-00000000000000bb.json.tmp", f->qdir);
	write_file(name, "{", 1);

	q = quarantine_open(f->qdir, &cfg, f->err, sizeof(f->err));
	assert_non_null(q);
	quarantine_stats(q, &st);
	assert_int_equal(st.items, 1);
	assert_int_equal(st.corrupt, 2);
	assert_int_equal(st.missing, 1);
	assert_int_equal(st.orphans, 1);
	assert_int_equal(st.tmp_removed, 1);
	assert_int_equal(r.n, 4);
	assert_non_null(strstr(f->err, it[0].id));
	assert_false(exists(name));
	assert_int_equal(quarantine_list(q, collect, &l), 1);
	assert_string_equal(l.items[0].id, it[3].id);
	/* the damaged records are left for an officer */
	snprintf(name, sizeof(name), "%s/%s.json", f->qdir, it[0].id);
	assert_true(exists(name));
	snprintf(name, sizeof(name), "%s/%s.data", f->qdir, it[0].id);
	assert_true(exists(name));
	assert_int_equal(quarantine_restore(q, it[3].id, f->err, sizeof(f->err)), 0);
	assert_true(exists(it[3].path));
	quarantine_close(q);
}

static void test_directory_checks(void **state)
{
	struct fx *f = *state;
	char link[256];
	struct quarantine *q, *q2;

	assert_int_equal(mkdir(f->qdir, 0755), 0);
	assert_null(quarantine_open(f->qdir, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "0755"));
	assert_non_null(strstr(f->err, f->qdir));
	assert_int_equal(chmod(f->qdir, 0700), 0);
	assert_int_equal(chown(f->qdir, 1234, 0), 0);
	assert_null(quarantine_open(f->qdir, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "uid 1234"));
	assert_int_equal(chown(f->qdir, 0, 0), 0);

	snprintf(link, sizeof(link), "%s/qlink", f->tmp);
	assert_int_equal(symlink(f->qdir, link), 0);
	assert_null(quarantine_open(link, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "symbolic link"));

	/* one owner at a time */
	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	q2 = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_null(q2);
	assert_non_null(strstr(f->err, "in use"));
	quarantine_close(q);
}

static void test_bound_refuses_put(void **state)
{
	struct fx *f = *state;
	char p1[256], p2[256];
	struct quarantine_stats st;
	struct quarantine_config cfg = { .max_items = 1 };
	struct quarantine *q = quarantine_open(f->qdir, &cfg, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(p1, sizeof(p1), "%s/one", f->files);
	snprintf(p2, sizeof(p2), "%s/two", f->files);
	write_file(p1, "1", 1);
	write_file(p2, "2", 1);
	assert_int_equal(quarantine_put(q, p1, "r", NULL, NULL, f->err, sizeof(f->err)), 0);
	assert_int_equal(quarantine_put(q, p2, "r", NULL, NULL, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "full"));
	assert_true(exists(p2));
	quarantine_stats(q, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.items, 1);
	quarantine_close(q);
}

/* A path that is not UTF-8 goes through the record and comes back. */
static void test_non_utf8_path(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct quarantine_item it;
	struct listed l = { 0 };
	struct quarantine *q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));

	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/caf\xe9.txt", f->files);
	write_file(path, "x", 1);
	assert_int_equal(quarantine_put(q, path, "r", NULL, &it, f->err, sizeof(f->err)), 0);
	quarantine_close(q);
	q = quarantine_open(f->qdir, NULL, f->err, sizeof(f->err));
	assert_non_null(q);
	assert_int_equal(quarantine_list(q, collect, &l), 1);
	assert_string_equal(l.items[0].path, path);
	assert_int_equal(quarantine_restore(q, it.id, f->err, sizeof(f->err)), 0);
	assert_true(exists(path));
	quarantine_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_same_fs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_across_file_systems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_through_symlinked_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_symlink_fifo_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_refused_when_path_occupied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_copy_not_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_sha256_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persists_across_close_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_records_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_refuses_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_path, setup, teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_quarantine needs root (it chowns files)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
