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
#include "rulehash.h"

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


/* One rule file read into memory. */
struct rfile {
	char *path;     /* as opened */
	const char *name;   /* base name, inside path */
	char *data;
	size_t len;
};

struct compile_ctx {
	struct rules *r;
	const char *cur;        /* path of the file being compiled */
	unsigned nerr;
	char first[1024];       /* the first error */
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

static int by_name(const void *a, const void *b)
{
	const struct rfile *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static bool rule_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 4 && strcmp(n + l - 4, ".yar") == 0) || (l > 5 && strcmp(n + l - 5, ".yara") == 0);
}

/* Read all of path (a regular file, at most RULES_MAX_FILE bytes). */
static int read_all(struct rfile *f, char *err, size_t errlen)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf;
	int fd;

	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errf(err, errlen, "%s: %s", f->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "%s: not a regular file", f->path);
	}
	if ((uint64_t)st.st_size > RULES_MAX_FILE) {
		close(fd);
		return errf(err, errlen, "%s: larger than %u bytes", f->path, RULES_MAX_FILE);
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (buf == NULL) {
		close(fd);
		return errf(err, errlen, "%s: out of memory", f->path);
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "%s: %s", f->path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			/* grown since fstat */
			free(buf);
			close(fd);
			return errf(err, errlen, "%s: changed while being read; load again", f->path);
		}
	}
	close(fd);
	buf[len] = '\0';
	f->data = buf;
	f->len = len;
	return 0;
}

static void files_free(struct rfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].data);
	}
	free(f);
}

/* The rule files at path, sorted by name, names only (not read yet). */
static int list_files(const char *path, struct rfile **out, size_t *nout, char *err,
		      size_t errlen)
{
	struct rfile *f = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(path, &st) < 0)
		return errf(err, errlen, "rules %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		f = calloc(1, sizeof(*f));
		if (f == NULL || (f[0].path = strdup(path)) == NULL) {
			free(f);
			return errf(err, errlen, "out of memory");
		}
		f[0].name = strrchr(f[0].path, '/') ? strrchr(f[0].path, '/') + 1 : f[0].path;
		*out = f;
		*nout = 1;
		return 0;
	}
	d = opendir(path);
	if (d == NULL)
		return errf(err, errlen, "rules %s: %s", path, strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		char p[PATH_MAX];
		struct stat fst;
		int m;

		if (de->d_name[0] == '.' || !rule_name(de->d_name))
			continue;
		m = snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (m < 0 || (size_t)m >= sizeof(p)) {
			closedir(d);
			files_free(f, n);
			return errf(err, errlen, "rules %s/%s: path too long", path, de->d_name);
		}
		/* a directory or a fifo named x.yar is not a rule file */
		if (stat(p, &fst) < 0 || !S_ISREG(fst.st_mode))
			continue;
		if (n == cap) {
			struct rfile *nf;

			if (cap >= RULES_MAX_FILES) {
				closedir(d);
				files_free(f, n);
				return errf(err, errlen, "rules %s: more than %d rule files", path,
					    RULES_MAX_FILES);
			}
			cap = cap ? cap * 2 : 64;
			nf = realloc(f, cap * sizeof(*f));
			if (nf == NULL) {
				closedir(d);
				files_free(f, n);
				return errf(err, errlen, "out of memory");
			}
			f = nf;
		}
		memset(&f[n], 0, sizeof(f[n]));
		f[n].path = strdup(p);
		if (f[n].path == NULL) {
			closedir(d);
			files_free(f, n);
			return errf(err, errlen, "out of memory");
		}
		f[n].name = f[n].path + strlen(path) + 1;
		n++;
	}
	if (errno != 0) {
		errf(err, errlen, "rules %s: %s", path, strerror(errno));
		closedir(d);
		files_free(f, n);
		return -1;
	}
	closedir(d);
	if (n == 0) {
		free(f);
		return errf(err, errlen, "rules %s: no *.yar or *.yara files in this directory", path);
	}
	qsort(f, n, sizeof(*f), by_name);
	*out = f;
	*nout = n;
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
static int hash_files(struct rules *r, const struct rfile *f, size_t n, char *err,
		      size_t errlen)
{
	struct rulehash_file *h = calloc(n ? n : 1, sizeof(*h));
	int rc;

	if (h == NULL)
		return errf(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		h[i] = (struct rulehash_file){ f[i].name, f[i].data, f[i].len };
	rc = rulehash(h, n, r->version);
	free(h);
	if (rc < 0)
		return errf(err, errlen, "SHA-256 failed");
	return 0;
}

struct rules *rules_load(const char *path, char *err, size_t errlen)
{
	struct compile_ctx cc;
	YR_COMPILER *comp = NULL;
	struct rfile *f = NULL;
	struct rules *r;
	size_t n = 0;
	YR_RULE *rule;
	int rc;

	if (list_files(path, &f, &n, err, errlen) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (read_all(&f[i], err, errlen) < 0) {
			files_free(f, n);
			return NULL;
		}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		files_free(f, n);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	r->refs = 1;
	r->nfiles = (unsigned)n;
	if (hash_files(r, f, n, err, errlen) < 0)
		goto bad;
	if (yr_up(err, errlen) < 0)
		goto bad;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		yr_down();
		errf(err, errlen, "cannot create a YARA compiler: out of memory");
		goto bad;
	}
	memset(&cc, 0, sizeof(cc));
	cc.r = r;
	yr_compiler_set_callback(comp, on_compile, &cc);
	/* no include callback: YARA refuses `include` ("includes are disabled") */
	yr_compiler_set_include_callback(comp, NULL, NULL, NULL);
	for (size_t i = 0; i < 5; i++)
		if (yr_compiler_define_string_variable(comp, rules_externals[i], "") !=
		    ERROR_SUCCESS) {
			errf(err, errlen, "cannot declare external variable %s", rules_externals[i]);
			goto bad_comp;
		}
	for (size_t i = 0; i < n; i++) {
		FILE *fp;

		/* fmemopen of an empty buffer fails: nothing to compile then */
		if (f[i].len == 0)
			continue;
		fp = fmemopen(f[i].data, f[i].len, "r");
		if (fp == NULL) {
			errf(err, errlen, "%s: %s", f[i].path, strerror(errno));
			goto bad_comp;
		}
		cc.cur = f[i].path;
		rc = yr_compiler_add_file(comp, fp, NULL, f[i].path);
		fclose(fp);
		if (rc > 0 || cc.nerr > 0) {
			/* YARA stops at the first file with errors */
			if (cc.nerr > 1)
				errf(err, errlen, "%s (and %u more errors in this file)", cc.first,
				     cc.nerr - 1);
			else
				errf(err, errlen, "%s", cc.nerr ? cc.first : "compile error");
			goto bad_comp;
		}
	}
	rc = yr_compiler_get_rules(comp, &r->yr);
	if (rc != ERROR_SUCCESS) {
		r->yr = NULL;
		errf(err, errlen, "rules %s: cannot build the compiled set (YARA error %d)", path, rc);
		goto bad_comp;
	}
	yr_compiler_destroy(comp);
	yr_rules_foreach(r->yr, rule)
		r->nrules++;
	files_free(f, n);
	return r;

bad_comp:
	yr_compiler_destroy(comp);
	if (r->yr == NULL)
		yr_down();
bad:
	files_free(f, n);
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
