/*
 * storefix.h - the fixture of the unit tests of the console's store: a
 * fresh scratch directory under $TMPDIR (else /tmp) with a database,
 * console.db, opened for writing; closed and removed after the test.
 *
 * For the test files that include it, after cmocka.h, stdio.h, stdlib.h,
 * store.h and testfs.h. Their setup calls storefix_open() and adds what
 * that test needs; their teardown calls storefix_close().
 */
#ifndef KASTRO_STOREFIX_H
#define KASTRO_STOREFIX_H

#define STOREFIX_UNUSED __attribute__((unused))

struct storefix {
	char dir[64], path[128];
	struct store *s;
};

/* A store in a new directory name.XXXXXX; the test fails when it cannot be made. */
static STOREFIX_UNUSED struct storefix *storefix_open(const char *name)
{
	struct storefix *f = calloc(1, sizeof(*f));
	char err[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/%s.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.db", f->dir);
	if (store_open(f->path, 1, &f->s, err, sizeof(err)) < 0)
		fail_msg("store_open: %s", err);
	return f;
}

/* Close the store, remove its directory and free f. */
static STOREFIX_UNUSED int storefix_close(struct storefix *f)
{
	store_close(f->s);
	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

#endif
