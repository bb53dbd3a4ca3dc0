/*
 * rules.c - see rules.h.
 *
 * Each file is read into memory once: the bytes hashed into the version are
 * the bytes compiled (through fmemopen, so YARA still knows the file name
 * for its messages), even when someone rewrites a file during the load.
 *
 * libyara keeps global state set up by yr_initialize() and torn down by
 * yr_finalize(); both count calls but not under a lock, so this file calls
 * them under one, once per set alive (the only global of the module).
 */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yara.h>

#include "errf.h"
#include "cfg.h"
#include "rulehash.h"
#include "ruletree.h"

const char *const rules_externals[5] = { "filename", "filepath", "extension", "filetype",
					 "owner" };

struct rules {
	int refs;                       /* atomic */
	YR_RULES *yr;
	char version[RULES_VERSION_LEN + 1];
	unsigned nrules, nfiles, nwarn;
	char *warn[RULES_MAX_WARNINGS];
};

static pthread_mutex_t yr_lock = PTHREAD_MUTEX_INITIALIZER;

static int yr_up(char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&yr_lock);
	rc = yr_initialize();
	pthread_mutex_unlock(&yr_lock);
	if (rc != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot initialise libyara (error %d)", rc);
		return -1;
	}
	return 0;
}

static void yr_down(void)
{
	pthread_mutex_lock(&yr_lock);
	yr_finalize();
	pthread_mutex_unlock(&yr_lock);
}


struct compile_ctx {
	struct rules *r;
	const struct ruletree *t;
	const char *cur;        /* path of the top-level file being compiled */
	long cur_i;             /* its index */
	bool *done;             /* per file: compiled already (top level or included) */
	char **raw;             /* per file: the include text that brought it in */
	long last;              /* the file included last, -1: none */
	unsigned nerr;
	char first[1024];       /* the first error */
	char inc[1024];         /* why an include was refused */
};

static void on_compile(int level, const char *file, int line, const YR_RULE *rule,
		       const char *msg, void *arg)
{
	struct compile_ctx *c = arg;
	char text[1024];

	if (file == NULL)
		file = c->cur;
	if (rule != NULL)
		snprintf(text, sizeof(text), "%s:%d: rule %s: %s", file, line, rule->identifier, msg);
	else
		snprintf(text, sizeof(text), "%s:%d: %s", file, line, msg);
	if (level == YARA_ERROR_LEVEL_ERROR) {
		if (c->nerr++ == 0)
			snprintf(c->first, sizeof(c->first), "%s", text);
		return;
	}
	if (c->r->nwarn < RULES_MAX_WARNINGS)
		c->r->warn[c->r->nwarn] = strdup(text);   /* NULL when out of memory: skipped */
	c->r->nwarn++;
}

/*
 * The name of the file YARA is compiling when it meets an include: it
 * tells us the top-level file by the path we gave, an included one by the
 * include text it was brought in with (YARA keeps no other name). Includes
 * are served depth first, so the most recent file brought in with that
 * text is the one being read.
 */
static const char *include_from(const struct compile_ctx *c, const char *calling)
{
	if (calling == NULL || strcmp(calling, c->cur) == 0)
		return c->t->f[c->cur_i].name;
	if (c->last >= 0 && c->raw[c->last] != NULL && strcmp(c->raw[c->last], calling) == 0)
		return c->t->f[c->last].name;
	for (size_t i = 0; i < c->t->n; i++)
		if (c->raw[i] != NULL && strcmp(c->raw[i], calling) == 0)
			return c->t->f[i].name;
	return c->t->f[c->cur_i].name;
}

/*
 * YARA's include callback: the text of a file of the tree, or NULL (YARA
 * then reports the include as an error; c->inc says why). A file is
 * compiled once: an include of one already compiled, by an index or at
 * the top level, gives an empty text, so a tree whose index files include
 * its other files (Yara-Rules' *_index.yar) compiles each rule once.
 */
static const char *on_include(const char *inc, const char *calling, const char *ns, void *arg)
{
	struct compile_ctx *c = arg;
	const char *from = include_from(c, calling);
	char why[768];
	long i;

	(void)ns;
	i = ruletree_include(c->t, from, inc, why, sizeof(why));
	if (i < 0) {
		if (c->inc[0] == '\0')
			snprintf(c->inc, sizeof(c->inc), "%.200s/%s", c->t->root, why);
		return NULL;
	}
	if (c->done[i])
		return "";
	c->done[i] = true;
	free(c->raw[i]);
	c->raw[i] = strdup(inc);        /* NULL when out of memory: then from the top file */
	c->last = i;
	return c->t->f[i].data;
}

static void on_include_free(const char *text, void *arg)
{
	(void)text;
	(void)arg;              /* the tree owns every text */
}

/* A tree of the one file at path (rules given as a file, not a directory). */
static int one_file(const char *path, struct ruletree *t, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char why[160];

	memset(t, 0, sizeof(*t));
	t->f = calloc(1, sizeof(*t->f));
	t->root = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	t->real = t->root ? strdup(t->root) : NULL;
	if (t->f == NULL || t->real == NULL ||
	    (t->f[0].name = strdup(slash ? slash + 1 : path)) == NULL ||
	    (t->f[0].path = strdup(path)) == NULL) {
		if (t->f != NULL)
			free(t->f[0].name);
		t->n = 0;
		ruletree_free(t);
		return errf(err, errlen, "out of memory");
	}
	t->n = 1;
	if (cfg_read_file(path, RULES_MAX_BYTES, &t->f[0].data, &t->f[0].len, &st, why,
			  sizeof(why)) < 0) {
		errf(err, errlen, "rules %s: %s", path, why);
		ruletree_free(t);
		return -1;
	}
	{
		char *z = realloc(t->f[0].data, t->f[0].len + 1);

		if (z == NULL) {
			ruletree_free(t);
			return errf(err, errlen, "out of memory");
		}
		z[t->f[0].len] = '\0';
		t->f[0].data = z;
	}
	return 0;
}

static void rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	if (r->yr != NULL) {
		yr_rules_destroy(r->yr);
		yr_down();
	}
	for (unsigned i = 0; i < r->nwarn && i < RULES_MAX_WARNINGS; i++)
		free(r->warn[i]);
	free(r);
}

/* The version (rulehash.h, shared with the console's bundles). */
static int hash_files(struct rules *r, const struct ruletree *t, char *err, size_t errlen)
{
	struct rulehash_file *h = calloc(t->n ? t->n : 1, sizeof(*h));
	int rc;

	if (h == NULL)
		return errf(err, errlen, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		h[i] = (struct rulehash_file){ t->f[i].name, t->f[i].data, t->f[i].len };
	rc = rulehash(h, t->n, r->version);
	free(h);
	if (rc < 0)
		return errf(err, errlen, "SHA-256 failed");
	return 0;
}

/* Compile file i of the tree at the top level; -1 with err. */
static int compile_one(YR_COMPILER *comp, struct compile_ctx *cc, size_t i, char *err,
		       size_t errlen)
{
	const struct ruletree_file *f = &cc->t->f[i];
	FILE *fp;
	int rc;

	cc->done[i] = true;
	/* fmemopen of an empty buffer fails: nothing to compile then */
	if (f->len == 0)
		return 0;
	fp = fmemopen(f->data, f->len, "r");
	if (fp == NULL)
		return errf(err, errlen, "%s: %s", f->path, strerror(errno));
	cc->cur = f->path;
	cc->cur_i = (long)i;
	cc->last = -1;
	rc = yr_compiler_add_file(comp, fp, NULL, f->path);
	fclose(fp);
	if (rc > 0 || cc->nerr > 0) {
		/* YARA stops at the first file with errors */
		if (cc->inc[0] != '\0')
			return errf(err, errlen, "%s", cc->inc);
		if (cc->nerr > 1)
			return errf(err, errlen, "%s (and %u more errors in this file)", cc->first,
				    cc->nerr - 1);
		return errf(err, errlen, "%s", cc->nerr ? cc->first : "compile error");
	}
	return 0;
}

struct rules *rules_load(const char *path, char *err, size_t errlen)
{
	struct compile_ctx cc;
	YR_COMPILER *comp = NULL;
	struct ruletree t;
	struct rules *r;
	struct stat st;
	YR_RULE *rule;
	int rc;

	if (stat(path, &st) < 0) {
		errf(err, errlen, "rules %s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode) ? ruletree_load(path, RULES_MAX_FILES, RULES_MAX_BYTES, &t, err,
						errlen) < 0
				: one_file(path, &t, err, errlen) < 0)
		return NULL;
	memset(&cc, 0, sizeof(cc));
	r = calloc(1, sizeof(*r));
	cc.done = calloc(t.n, sizeof(*cc.done));
	cc.raw = calloc(t.n, sizeof(*cc.raw));
	if (r == NULL || cc.done == NULL || cc.raw == NULL) {
		errf(err, errlen, "out of memory");
		free(r);
		r = NULL;
		goto bad;
	}
	r->refs = 1;
	r->nfiles = (unsigned)t.n;
	if (hash_files(r, &t, err, errlen) < 0)
		goto bad;
	if (yr_up(err, errlen) < 0)
		goto bad;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		yr_down();
		errf(err, errlen, "cannot create a YARA compiler: out of memory");
		goto bad;
	}
	cc.r = r;
	cc.t = &t;
	yr_compiler_set_callback(comp, on_compile, &cc);
	yr_compiler_set_include_callback(comp, on_include, on_include_free, &cc);
	for (size_t i = 0; i < 5; i++)
		if (yr_compiler_define_string_variable(comp, rules_externals[i], "") !=
		    ERROR_SUCCESS) {
			errf(err, errlen, "cannot declare external variable %s", rules_externals[i]);
			goto bad_comp;
		}
	for (size_t i = 0; i < t.n; i++)
		if (!cc.done[i] && compile_one(comp, &cc, i, err, errlen) < 0)
			goto bad_comp;
	rc = yr_compiler_get_rules(comp, &r->yr);
	if (rc != ERROR_SUCCESS) {
		r->yr = NULL;
		errf(err, errlen, "rules %s: cannot build the compiled set (YARA error %d)", path, rc);
		goto bad_comp;
	}
	yr_compiler_destroy(comp);
	yr_rules_foreach(r->yr, rule)
		r->nrules++;
	free(cc.done);
	for (size_t i = 0; cc.raw != NULL && i < t.n; i++)
		free(cc.raw[i]);
	free(cc.raw);
	ruletree_free(&t);
	return r;

bad_comp:
	yr_compiler_destroy(comp);
	if (r->yr == NULL)
		yr_down();
bad:
	free(cc.done);
	for (size_t i = 0; cc.raw != NULL && i < t.n; i++)
		free(cc.raw[i]);
	free(cc.raw);
	ruletree_free(&t);
	rules_free(r);
	return NULL;
}

struct rules *rules_ref(struct rules *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void rules_unref(struct rules *r)
{
	if (r == NULL)
		return;
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		rules_free(r);
}

const char *rules_version(const struct rules *r)
{
	return r->version;
}

struct YR_RULES *rules_yara(const struct rules *r)
{
	return r->yr;
}

unsigned rules_count(const struct rules *r)
{
	return r->nrules;
}

unsigned rules_files(const struct rules *r)
{
	return r->nfiles;
}

unsigned rules_warnings(const struct rules *r)
{
	return r->nwarn;
}

const char *rules_warning(const struct rules *r, unsigned i)
{
	if (i >= r->nwarn || i >= RULES_MAX_WARNINGS)
		return NULL;
	return r->warn[i];
}
