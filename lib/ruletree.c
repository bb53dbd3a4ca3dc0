/*
 * ruletree.c - see ruletree.h.
 *
 * The walk is path-based with lstat (a tree is a few thousand files at
 * most); each file is read once with cfg_read_file, so the bytes hashed
 * and the bytes compiled are the same even while someone edits the tree.
 */
#include "ruletree.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "errf.h"

struct walk {
	struct ruletree *t;
	size_t cap, max_files, max_bytes;
	char *err;
	size_t errlen;
};

static bool yara_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 4 && strcmp(n + l - 4, ".yar") == 0) || (l > 5 && strcmp(n + l - 5, ".yara") == 0);
}

bool ruletree_name_ok(const char *name)
{
	size_t len = strlen(name);
	const char *c = name;

	if (len < 5 || len >= RULETREE_NAME_MAX || !yara_name(name))
		return false;
	for (;;) {
		/* c is at the start of a component */
		if (*c == '.' || *c == '/' || *c == '\0')
			return false;
		for (; *c && *c != '/'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
				return false;
		if (*c == '\0')
			return true;
		c++;
	}
}

static int add(struct walk *w, const char *name, const char *path)
{
	struct ruletree *t = w->t;
	struct ruletree_file *f;
	struct stat st;
	char why[160];

	if (t->n == w->max_files)
		return errf(w->err, w->errlen, "rules %s: more than %zu rule files", t->root,
			    w->max_files);
	if (t->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct ruletree_file *nf = realloc(t->f, ncap * sizeof(*nf));

		if (nf == NULL)
			return errf(w->err, w->errlen, "out of memory");
		t->f = nf;
		w->cap = ncap;
	}
	f = &t->f[t->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->path = strdup(path);
	if (f->name == NULL || f->path == NULL) {
		free(f->name);
		free(f->path);
		return errf(w->err, w->errlen, "out of memory");
	}
	if (cfg_read_file(path, w->max_bytes - t->bytes, &f->data, &f->len, &st, why,
			  sizeof(why)) < 0) {
		free(f->name);
		free(f->path);
		if (strstr(why, "larger than") != NULL)
			return errf(w->err, w->errlen, "rules %s: more than %zu bytes of rule files",
				    t->root, w->max_bytes);
		return errf(w->err, w->errlen, "%s: %s", path, why);
	}
	{
		/* NUL-terminated: YARA takes an included file as a C string */
		char *z = realloc(f->data, f->len + 1);

		if (z == NULL) {
			free(f->name);
			free(f->path);
			free(f->data);
			return errf(w->err, w->errlen, "out of memory");
		}
		z[f->len] = '\0';
		f->data = z;
	}
	t->bytes += f->len;
	t->n++;
	return 0;
}

/* Is real (a realpath) the root or below it? */
static bool under(const char *root, const char *real)
{
	size_t l = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(real, root, l) == 0 && (real[l] == '/' || real[l] == '\0');
}

static int walk_dir(struct walk *w, const char *rel, int depth)
{
	struct ruletree *t = w->t;
	char dpath[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int m, rc = 0;

	m = snprintf(dpath, sizeof(dpath), "%s%s%s", t->root, rel[0] ? "/" : "", rel);
	if (m < 0 || (size_t)m >= sizeof(dpath))
		return errf(w->err, w->errlen, "%s/%s: path too long", t->root, rel);
	d = opendir(dpath);
	if (d == NULL)
		return errf(w->err, w->errlen, "rules %s: %s", dpath, strerror(errno));
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		char name[RULETREE_NAME_MAX], path[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		m = snprintf(name, sizeof(name), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (m < 0 || (size_t)m >= sizeof(name)) {
			rc = errf(w->err, w->errlen, "%s/%s: name longer than %d bytes", dpath,
				  de->d_name, RULETREE_NAME_MAX - 1);
			break;
		}
		m = snprintf(path, sizeof(path), "%s/%s", t->root, name);
		if (m < 0 || (size_t)m >= sizeof(path)) {
			rc = errf(w->err, w->errlen, "%s/%s: path too long", dpath, de->d_name);
			break;
		}
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)    /* removed since readdir */
				continue;
			rc = errf(w->err, w->errlen, "%s: %s", path, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= RULETREE_MAX_DEPTH) {
				rc = errf(w->err, w->errlen, "%s: deeper than %d levels", path,
					  RULETREE_MAX_DEPTH);
				break;
			}
			rc = walk_dir(w, name, depth + 1);
			continue;
		}
		if (!yara_name(de->d_name))
			continue;
		if (S_ISLNK(st.st_mode)) {
			char real[PATH_MAX];

			if (realpath(path, real) == NULL) {
				rc = errf(w->err, w->errlen, "%s: symbolic link: %s", path,
					  strerror(errno));
				break;
			}
			if (!under(t->real, real)) {
				rc = errf(w->err, w->errlen,
					  "%s: symbolic link to %s, outside the rules root %s: "
					  "refused (copy the file into the tree)", path, real, t->root);
				break;
			}
			if (stat(real, &st) < 0 || S_ISDIR(st.st_mode))
				continue;       /* a link to a directory is not followed */
		}
		if (!S_ISREG(st.st_mode))
			continue;               /* a fifo or a device named x.yar */
		rc = add(w, name, path);
	}
	if (rc == 0 && errno != 0)
		rc = errf(w->err, w->errlen, "rules %s: %s", dpath, strerror(errno));
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ruletree_file *)a)->name,
		      ((const struct ruletree_file *)b)->name);
}

int ruletree_load(const char *dir, size_t max_files, size_t max_bytes, struct ruletree *t,
		  char *err, size_t errlen)
{
	struct walk w = { .t = t, .max_files = max_files, .max_bytes = max_bytes, .err = err,
			  .errlen = errlen };
	char real[PATH_MAX];
	size_t l;

	memset(t, 0, sizeof(*t));
	if (realpath(dir, real) == NULL)
		return errf(err, errlen, "rules %s: %s", dir, strerror(errno));
	t->root = strdup(dir);
	t->real = strdup(real);
	if (t->root == NULL || t->real == NULL) {
		ruletree_free(t);
		return errf(err, errlen, "out of memory");
	}
	l = strlen(t->root);
	while (l > 1 && t->root[l - 1] == '/')
		t->root[--l] = '\0';
	if (walk_dir(&w, "", 0) < 0) {
		ruletree_free(t);
		return -1;
	}
	if (t->n == 0) {
		ruletree_free(t);
		return errf(err, errlen,
			    "rules %s: no *.yar or *.yara files in this directory or below", dir);
	}
	qsort(t->f, t->n, sizeof(*t->f), by_name);
	return 0;
}

void ruletree_free(struct ruletree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->f[i].name);
		free(t->f[i].path);
		free(t->f[i].data);
	}
	free(t->f);
	free(t->root);
	free(t->real);
	memset(t, 0, sizeof(*t));
}

long ruletree_find(const struct ruletree *t, const char *name)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->f[mid].name);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Strip prefix p (a directory) from s: the rest after "p/", or NULL. */
static const char *below(const char *s, const char *p)
{
	size_t l = strlen(p);

	if (strcmp(p, "/") == 0)
		return s + 1;
	if (strncmp(s, p, l) == 0 && s[l] == '/')
		return s + l + 1;
	return NULL;
}

long ruletree_include(const struct ruletree *t, const char *from, const char *inc, char *err,
		      size_t errlen)
{
	char buf[RULETREE_NAME_MAX * 2 + 2], out[RULETREE_NAME_MAX * 2 + 2];
	const char *rest, *c;
	size_t o = 0;
	long i;
	int m;

	if (inc[0] == '/') {
		rest = below(inc, t->root);
		if (rest == NULL)
			rest = below(inc, t->real);
		if (rest == NULL)
			return errf(err, errlen, "%s: include \"%s\": outside the rules root %s: "
				    "refused", from, inc, t->root);
		m = snprintf(buf, sizeof(buf), "%s", rest);
	} else {
		const char *slash = strrchr(from, '/');

		m = snprintf(buf, sizeof(buf), "%.*s%s%s", slash ? (int)(slash - from) : 0, from,
			     slash ? "/" : "", inc);
	}
	if (m < 0 || (size_t)m >= sizeof(buf))
		return errf(err, errlen, "%s: include \"%.200s...\": name too long", from, inc);
	/* "." and ".." lexically; ".." above the root is outside it */
	for (c = buf; *c;) {
		const char *e = strchrnul(c, '/');
		size_t l = (size_t)(e - c);

		if (l == 0 || (l == 1 && c[0] == '.')) {
			/* "//" or "." */
		} else if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (o == 0)
				return errf(err, errlen, "%s: include \"%s\": outside the rules root "
					    "%s: refused", from, inc, t->root);
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, c, l);
			o += l;
		}
		c = *e ? e + 1 : e;
	}
	out[o] = '\0';
	i = ruletree_find(t, out);
	if (i < 0)
		return errf(err, errlen, "%s: include \"%s\": %s is not a rule file of the tree "
			    "(*.yar, *.yara under %s): refused", from, inc, out[0] ? out : ".",
			    t->root);
	return i;
}
