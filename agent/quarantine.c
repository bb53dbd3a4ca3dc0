/*
 * quarantine.c - see quarantine.h.
 *
 * Records are JSON (jansson), one small file per item, rather than rows in
 * SQLite: a record must survive alone when its neighbours are damaged, an
 * officer must be able to read it with cat and restore by hand, and items
 * are few (bounded by max_items) and change one at a time.
 *
 * Every file is reached through directory descriptors: the quarantine
 * directory's (dfd) and, for the original, its parent's, opened one
 * component at a time with O_NOFOLLOW (open_dir_nofollow), so a symbolic
 * link put in place of a directory cannot redirect a move or a restore.
 *
 * Memory: one struct qitem per item (two heap strings), at most max_items.
 */
#include "quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "fdio.h"
#include "hex.h"

#define RECORD_VERSION 1
#define RECORD_MAX (64u << 10)        /* a record file larger than this is damage */
#define IOBUF (64u << 10)
#define NAME_LEN 48                   /* "q-" + 16 hex + ".data.tmp" + NUL fits */
#define MAX_ITEMS_LIMIT 1000000

struct qitem {
	char id[QUARANTINE_ID_SIZE];
	char *path;
	char *rule;
	char sha256[65];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	uint64_t size;
	struct timespec mtime;
	uint64_t nlink;
	int64_t time;
};

struct quarantine {
	char dir[QUARANTINE_PATH_MAX];
	int dfd;                      /* the directory, O_RDONLY */
	int lockfd;
	dev_t dev;                    /* the directory's */
	ino_t ino;
	struct qitem *items;          /* oldest first */
	size_t n, cap, max;
	struct quarantine_stats st;
};

/* Append to a summary in err (";"-separated), keeping what fits. */
static void adderr(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (!err || errlen == 0)
		return;
	n = strlen(err);
	if (n > 0 && n + 2 < errlen) {
		memcpy(err + n, "; ", 3);
		n += 2;
	}
	if (n < errlen)
		snprintf(err + n, errlen - n, "%s", msg);
}

/* 64 hex digits, either case, into lower case. */
static int sha_norm(const char *s, char out[65])
{
	size_t i;

	for (i = 0; i < 64; i++) {
		int v = hex_digit(s[i]);

		if (v < 0)
			return -1;
		out[i] = "0123456789abcdef"[v];
	}
	if (s[64] != '\0')
		return -1;
	out[64] = '\0';
	return 0;
}

static bool valid_id(const char *s)
{
	if (strncmp(s, "q-", 2) != 0 || strlen(s) != QUARANTINE_ID_SIZE - 1)
		return false;
	for (size_t i = 2; i < QUARANTINE_ID_SIZE - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void fname(char out[NAME_LEN], const char *id, const char *suffix)
{
	snprintf(out, NAME_LEN, "%s%s", id, suffix);
}

static int fsync_fd(int fd)
{
	return fsync(fd) == 0 || errno == EINVAL || errno == EROFS ? 0 : -1;
}

/*
 * sha256 of the open file fd, from offset 0 to its end; when cfd >= 0 the
 * bytes are also written there. Returns 0, -1 with errno set.
 */
static int hash_fd(int fd, int cfd, char out[65], uint64_t *bytes)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(IOBUF);
	off_t off = 0;
	int rc = -1, e = EIO;

	if (!ctx || !buf) {
		e = ENOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		ssize_t r = pread(fd, buf, IOBUF, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			goto out;
		for (ssize_t w = 0; cfd >= 0 && w < r;) {
			ssize_t k = write(cfd, buf + w, (size_t)(r - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				e = errno;
				goto out;
			}
			w += k;
		}
		off += r;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	hex_encode(md, 32, out);
	if (bytes)
		*bytes = (uint64_t)off;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (rc != 0)
		errno = e;
	return rc;
}

/*
 * Open the absolute directory path one component at a time, never
 * following a symbolic link. Returns an O_RDONLY descriptor, or -1 with err.
 */
static int open_dir_nofollow(const char *path, char *err, size_t errlen)
{
	char comp[NAME_MAX + 1];
	const char *p = path;
	int fd;

	if (path[0] != '/') {
		errf(err, errlen, "%s is not an absolute path", path);
		return -1;
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, errlen, "cannot open /: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		const char *e;
		size_t len;
		struct stat st;
		int nfd;

		while (*p == '/')
			p++;
		if (*p == '\0')
			return fd;
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len > NAME_MAX) {
			errf(err, errlen, "%s: a component is longer than %d bytes", path, NAME_MAX);
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			errf(err, errlen, "%s: \".\" and \"..\" are not accepted in the path", path);
			break;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				errf(err, errlen, "%.*s in %s is a symbolic link or not a directory now",
				       (int)(p - path), path, path);
			else
				errf(err, errlen, "cannot open directory %.*s: %s",
				       (int)(p - path), path, strerror(errno));
			break;
		}
		if (fstat(nfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errf(err, errlen, "%.*s is not a directory", (int)(p - path), path);
			close(nfd);
			break;
		}
		close(fd);
		fd = nfd;
	}
	close(fd);
	return -1;
}

/*
 * Split an absolute path into its directory (into dir) and last name. The
 * name must be a real name (not empty, ".", ".."). Returns 0 or -1 with err.
 */
static int split_path(const char *path, char *dir, size_t dirlen, const char **name,
		      char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	size_t dl;

	if (!slash || slash[1] == '\0' || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0 || strlen(slash + 1) > NAME_MAX) {
		errf(err, errlen, "%s does not name a file", path);
		return -1;
	}
	dl = slash == path ? 1 : (size_t)(slash - path);
	if (dl >= dirlen) {
		errf(err, errlen, "%s: path too long", path);
		return -1;
	}
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	*name = slash + 1;
	return 0;
}

static const char *kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static bool same_content_stat(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* ---- records ------------------------------------------------------------ */

static void item_free(struct qitem *it)
{
	free(it->path);
	free(it->rule);
	it->path = it->rule = NULL;
}

static void item_export(const struct qitem *it, struct quarantine_item *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, it->id, sizeof(out->id));
	snprintf(out->path, sizeof(out->path), "%s", it->path);
	snprintf(out->rule, sizeof(out->rule), "%s", it->rule);
	memcpy(out->sha256, it->sha256, sizeof(out->sha256));
	out->uid = it->uid;
	out->gid = it->gid;
	out->mode = it->mode;
	out->size = it->size;
	out->mtime = it->mtime;
	out->nlink = it->nlink;
	out->time = it->time;
}

/* The record as JSON text (malloc'ed), or NULL when a string is not UTF-8. */
static char *record_dump(const struct qitem *it)
{
	json_t *o = json_object();
	json_t *p = json_string(it->path);
	char mode[16], when[32];
	struct tm tm;
	time_t t = (time_t)it->time;
	char *s = NULL;

	snprintf(mode, sizeof(mode), "%04o", (unsigned)it->mode);
	if (!gmtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	if (!o)
		goto out;
	if (!p) {
		/* not UTF-8: its bytes in hex */
		size_t n = strlen(it->path);
		char *hx = malloc(2 * n + 1);

		if (!hx)
			goto out;
		hex_encode(it->path, n, hx);
		json_object_set_new(o, "path_hex", json_string(hx));
		free(hx);
	}
	json_object_set_new(o, "v", json_integer(RECORD_VERSION));
	json_object_set_new(o, "id", json_string(it->id));
	if (p)
		json_object_set_new(o, "path", p);
	p = NULL;
	json_object_set_new(o, "rule", json_string(it->rule));
	json_object_set_new(o, "sha256", json_string(it->sha256));
	json_object_set_new(o, "uid", json_integer((json_int_t)it->uid));
	json_object_set_new(o, "gid", json_integer((json_int_t)it->gid));
	json_object_set_new(o, "mode", json_string(mode));
	json_object_set_new(o, "size", json_integer((json_int_t)it->size));
	json_object_set_new(o, "mtime", json_integer((json_int_t)it->mtime.tv_sec));
	json_object_set_new(o, "mtime_nsec", json_integer((json_int_t)it->mtime.tv_nsec));
	json_object_set_new(o, "nlink", json_integer((json_int_t)it->nlink));
	json_object_set_new(o, "time", json_integer((json_int_t)it->time));
	json_object_set_new(o, "quarantined", json_string(when));
	/* every member present: a failed set (no memory, bad UTF-8) shows here */
	if (json_object_size(o) != 14 || !json_is_string(json_object_get(o, "rule")))
		goto out;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(p);
	json_decref(o);
	return s;
}

static int get_int(json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j))
		return -1;
	*v = json_integer_value(j);
	return *v >= lo && *v <= hi ? 0 : -1;
}

/*
 * Parse the record text of the file named id.json into it. Returns 0, or -1
 * with what is wrong in why.
 */
static int record_parse(const char *text, size_t len, const char *id, struct qitem *it,
			char *why, size_t whylen)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	json_t *j;
	json_int_t v;
	const char *s;
	char *endp;
	unsigned long m;
	int rc = -1;

	memset(it, 0, sizeof(*it));
	if (!o) {
		errf(why, whylen, "not JSON (line %d: %s)", je.line, je.text);
		return -1;
	}
	if (!json_is_object(o)) {
		errf(why, whylen, "not a JSON object");
		goto out;
	}
	if (get_int(o, "v", RECORD_VERSION, RECORD_VERSION, &v) != 0) {
		errf(why, whylen, "no \"v\": %d", RECORD_VERSION);
		goto out;
	}
	s = json_string_value(json_object_get(o, "id"));
	if (!s || strcmp(s, id) != 0) {
		errf(why, whylen, "\"id\" is not %s", id);
		goto out;
	}
	memcpy(it->id, id, QUARANTINE_ID_SIZE);
	if ((j = json_object_get(o, "path")) && json_is_string(j)) {
		if (json_string_length(j) >= QUARANTINE_PATH_MAX ||
		    strlen(json_string_value(j)) != json_string_length(j)) {
			errf(why, whylen, "bad \"path\"");
			goto out;
		}
		it->path = strdup(json_string_value(j));
	} else if ((j = json_object_get(o, "path_hex")) && json_is_string(j)) {
		size_t n = json_string_length(j);

		s = json_string_value(j);
		if (n % 2 != 0 || n / 2 >= QUARANTINE_PATH_MAX) {
			errf(why, whylen, "bad \"path_hex\"");
			goto out;
		}
		it->path = malloc(n / 2 + 1);
		if (!it->path)
			goto nomem;
		for (size_t i = 0; i < n / 2; i++) {
			int a = hex_digit(s[2 * i]), b = hex_digit(s[2 * i + 1]);

			if (a < 0 || b < 0 || (a | b) == 0) {
				errf(why, whylen, "bad \"path_hex\"");
				goto out;
			}
			it->path[i] = (char)(a << 4 | b);
		}
		it->path[n / 2] = '\0';
	} else {
		errf(why, whylen, "no \"path\"");
		goto out;
	}
	if (!it->path)
		goto nomem;
	if (it->path[0] != '/') {
		errf(why, whylen, "\"path\" is not absolute");
		goto out;
	}
	j = json_object_get(o, "rule");
	if (!json_is_string(j) || json_string_length(j) >= QUARANTINE_RULE_MAX ||
	    strlen(json_string_value(j)) != json_string_length(j)) {
		errf(why, whylen, "bad \"rule\"");
		goto out;
	}
	if (!(it->rule = strdup(json_string_value(j))))
		goto nomem;
	s = json_string_value(json_object_get(o, "sha256"));
	if (!s || strlen(s) != 64 || sha_norm(s, it->sha256) != 0) {
		errf(why, whylen, "bad \"sha256\"");
		goto out;
	}
	if (get_int(o, "uid", 0, UINT32_MAX - 1, &v) != 0) {
		errf(why, whylen, "bad \"uid\"");
		goto out;
	}
	it->uid = (uid_t)v;
	if (get_int(o, "gid", 0, UINT32_MAX - 1, &v) != 0) {
		errf(why, whylen, "bad \"gid\"");
		goto out;
	}
	it->gid = (gid_t)v;
	s = json_string_value(json_object_get(o, "mode"));
	errno = 0;
	m = s ? strtoul(s, &endp, 8) : 0;
	if (!s || s[0] < '0' || s[0] > '7' || *endp || errno || m > 07777) {
		errf(why, whylen, "bad \"mode\"");
		goto out;
	}
	it->mode = (mode_t)m;
	if (get_int(o, "size", 0, INT64_MAX, &v) != 0) {
		errf(why, whylen, "bad \"size\"");
		goto out;
	}
	it->size = (uint64_t)v;
	if (get_int(o, "mtime", INT64_MIN, INT64_MAX, &v) != 0) {
		errf(why, whylen, "bad \"mtime\"");
		goto out;
	}
	it->mtime.tv_sec = (time_t)v;
	if (get_int(o, "mtime_nsec", 0, 999999999, &v) != 0) {
		errf(why, whylen, "bad \"mtime_nsec\"");
		goto out;
	}
	it->mtime.tv_nsec = (long)v;
	if (get_int(o, "nlink", 1, INT64_MAX, &v) != 0) {
		errf(why, whylen, "bad \"nlink\"");
		goto out;
	}
	it->nlink = (uint64_t)v;
	if (get_int(o, "time", INT64_MIN, INT64_MAX, &v) != 0) {
		errf(why, whylen, "bad \"time\"");
		goto out;
	}
	it->time = v;
	rc = 0;
	goto out;
nomem:
	errf(why, whylen, "out of memory");
out:
	if (rc != 0)
		item_free(it);
	json_decref(o);
	return rc;
}

/* Write id.json atomically and durably. */
static int record_write(struct quarantine *q, const struct qitem *it, char *err, size_t errlen)
{
	char tmp[NAME_LEN], name[NAME_LEN];
	char *s = record_dump(it);
	size_t len, off = 0;
	int fd = -1;

	if (!s) {
		errf(err, errlen, "quarantine %s: cannot encode the record of %s "
		       "(out of memory, or a rule name that is not UTF-8)", q->dir, it->path);
		return -1;
	}
	len = strlen(s);
	fname(tmp, it->id, ".json.tmp");
	fname(name, it->id, ".json");
	fd = openat(q->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, s + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(q->dfd, tmp, q->dfd, name) != 0 || fsync_fd(q->dfd) != 0)
		goto fail;
	free(s);
	return 0;
fail:
	errf(err, errlen, "quarantine %s: cannot write %s: %s", q->dir, name, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(q->dfd, tmp, 0);
	free(s);
	return -1;
}

static void record_remove(struct quarantine *q, const char *id)
{
	char name[NAME_LEN];

	fname(name, id, ".json");
	unlinkat(q->dfd, name, 0);
	fsync_fd(q->dfd);
}

/* ---- open --------------------------------------------------------------- */

static int cmp_item(const void *a, const void *b)
{
	const struct qitem *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int add_item(struct quarantine *q, struct qitem *it)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 16;
		struct qitem *ni = realloc(q->items, nc * sizeof(*ni));

		if (!ni)
			return -1;
		q->items = ni;
		q->cap = nc;
	}
	q->items[q->n++] = *it;
	q->st.items = q->n;
	q->st.bytes += it->size;
	return 0;
}

static void damage(struct quarantine *q, const struct quarantine_config *cfg,
		   char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void damage(struct quarantine *q, const struct quarantine_config *cfg,
		   char *err, size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "quarantine %s: ", q->dir);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (cfg && cfg->report)
		cfg->report(cfg->report_arg, msg);
	adderr(err, errlen, msg);
}

/* Read the whole small file name in dfd into buf (size RECORD_MAX). */
static ssize_t read_small(int dfd, const char *name, char *buf, size_t cap)
{
	struct stat st;
	ssize_t got;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > cap) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	got = fdio_read_upto(fd, buf, cap);
	if (got < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	if ((size_t)got == cap) {
		errno = EFBIG;
		return -1;
	}
	return got;
}

/* The id of "q-<16 hex><suffix>", or false. */
static bool name_id(const char *name, const char *suffix, char id[QUARANTINE_ID_SIZE])
{
	size_t n = strlen(name), sl = strlen(suffix);

	if (n != QUARANTINE_ID_SIZE - 1 + sl || strcmp(name + n - sl, suffix) != 0)
		return false;
	memcpy(id, name, QUARANTINE_ID_SIZE - 1);
	id[QUARANTINE_ID_SIZE - 1] = '\0';
	return valid_id(id);
}

static int load(struct quarantine *q, const struct quarantine_config *cfg, char *err, size_t errlen)
{
	char *buf = malloc(RECORD_MAX);
	int dfd2 = -1;
	DIR *d = NULL;
	struct dirent *de;
	int rc = -1;

	if (!buf) {
		errf(err, errlen, "quarantine %s: out of memory", q->dir);
		return -1;
	}
	/* a second descriptor: readdir moves its offset */
	dfd2 = openat(q->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd2 < 0 || !(d = fdopendir(dfd2))) {
		errf(err, errlen, "quarantine %s: cannot list: %s", q->dir, strerror(errno));
		if (dfd2 >= 0)
			close(dfd2);
		free(buf);
		return -1;
	}
	if (err && errlen)
		err[0] = '\0';
	while ((errno = 0, de = readdir(d))) {
		char id[QUARANTINE_ID_SIZE], why[256], other[NAME_LEN];
		size_t n = strlen(de->d_name);
		struct qitem it;
		struct stat st;
		ssize_t len;

		if (n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0 &&
		    strncmp(de->d_name, "q-", 2) == 0) {
			if (unlinkat(q->dfd, de->d_name, 0) == 0)
				q->st.tmp_removed++;
			continue;
		}
		if (name_id(de->d_name, ".data", id)) {
			fname(other, id, ".json");
			if (fstatat(q->dfd, other, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
				q->st.orphans++;
				damage(q, cfg, err, errlen, "%s has no record %s: a put interrupted "
				       "before its record was written? Look at it and delete it", de->d_name,
				       other);
			}
			continue;
		}
		if (!name_id(de->d_name, ".json", id))
			continue;
		len = read_small(q->dfd, de->d_name, buf, RECORD_MAX);
		if (len < 0) {
			q->st.corrupt++;
			damage(q, cfg, err, errlen, "cannot read %s (%s): skipped", de->d_name,
			       errno == EFBIG ? "not a regular file of at most 64 KiB" : strerror(errno));
			continue;
		}
		if (record_parse(buf, (size_t)len, id, &it, why, sizeof(why)) != 0) {
			q->st.corrupt++;
			damage(q, cfg, err, errlen, "%s is damaged (%s): skipped, fix or delete it",
			       de->d_name, why);
			continue;
		}
		fname(other, id, ".data");
		if (fstatat(q->dfd, other, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
			q->st.missing++;
			damage(q, cfg, err, errlen, "%s has no stored copy %s: skipped (a put or a "
			       "restore was interrupted; is %s in place?), delete it", de->d_name, other,
			       it.path);
			item_free(&it);
			continue;
		}
		if (q->n >= q->max) {
			errf(err, errlen, "quarantine %s holds more than %zu items: raise the bound",
			       q->dir, q->max);
			item_free(&it);
			goto out;
		}
		if (add_item(q, &it) != 0) {
			errf(err, errlen, "quarantine %s: out of memory", q->dir);
			item_free(&it);
			goto out;
		}
	}
	if (errno != 0) {
		errf(err, errlen, "quarantine %s: cannot list: %s", q->dir, strerror(errno));
		goto out;
	}
	if (q->st.tmp_removed)
		fsync_fd(q->dfd);
	if (q->n > 1)
		qsort(q->items, q->n, sizeof(*q->items), cmp_item);
	rc = 0;
out:
	closedir(d);
	free(buf);
	return rc;
}

static int open_dir(struct quarantine *q, const char *dir, char *err, size_t errlen)
{
	struct stat st, st2;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		errf(err, errlen, "cannot create quarantine directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0) {
		errf(err, errlen, "quarantine directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errf(err, errlen, "quarantine directory %s is %s: remove it or choose another path",
		       dir, kind_of(st.st_mode));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		errf(err, errlen, "quarantine directory %s is owned by uid %u, not %u: "
		       "chown it or choose another path", dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 077) {
		errf(err, errlen, "quarantine directory %s has mode %04o, open to group or others: "
		       "chmod 700 %s", dir, (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	q->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (q->dfd < 0 || fstat(q->dfd, &st2) != 0 || !same_file(&st, &st2)) {
		errf(err, errlen, "cannot open quarantine directory %s: %s", dir,
		       q->dfd < 0 ? strerror(errno) : "it was replaced while being opened");
		return -1;
	}
	q->dev = st2.st_dev;
	q->ino = st2.st_ino;
	q->lockfd = openat(q->dfd, "LOCK", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (q->lockfd < 0) {
		errf(err, errlen, "cannot open %s/LOCK: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(q->lockfd, LOCK_EX | LOCK_NB) != 0) {
		errf(err, errlen, "quarantine %s is in use by another process%s", dir,
		       errno == EWOULDBLOCK ? " (is another agent running?)" : "");
		return -1;
	}
	return 0;
}

struct quarantine *quarantine_open(const char *dir, const struct quarantine_config *cfg,
				   char *err, size_t errlen)
{
	struct quarantine *q;

	if (err && errlen)
		err[0] = '\0';
	if (!dir || !*dir || strlen(dir) >= sizeof(q->dir)) {
		errf(err, errlen, "quarantine: no directory, or its path is too long");
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		errf(err, errlen, "quarantine %s: out of memory", dir);
		return NULL;
	}
	snprintf(q->dir, sizeof(q->dir), "%s", dir);
	q->dfd = q->lockfd = -1;
	q->max = cfg && cfg->max_items ? cfg->max_items : QUARANTINE_DEFAULT_MAX_ITEMS;
	if (q->max > MAX_ITEMS_LIMIT) {
		errf(err, errlen, "quarantine %s: max_items %zu is above %d", dir, q->max,
		       MAX_ITEMS_LIMIT);
		quarantine_close(q);
		return NULL;
	}
	q->st.max_items = q->max;
	if (open_dir(q, dir, err, errlen) != 0 || load(q, cfg, err, errlen) != 0) {
		quarantine_close(q);
		return NULL;
	}
	return q;
}

void quarantine_close(struct quarantine *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		item_free(&q->items[i]);
	free(q->items);
	if (q->lockfd >= 0)
		close(q->lockfd);
	if (q->dfd >= 0)
		close(q->dfd);
	free(q);
}

/* ---- put ---------------------------------------------------------------- */

static struct qitem *find(struct quarantine *q, const char *id)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->items[i].id, id) == 0)
			return &q->items[i];
	return NULL;
}

static bool name_taken(struct quarantine *q, const char *id)
{
	static const char *const suffixes[] = { ".json", ".data", ".json.tmp", ".data.tmp" };
	char name[NAME_LEN];
	struct stat st;

	if (find(q, id))
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		fname(name, id, suffixes[i]);
		if (fstatat(q->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return true;
	}
	return false;
}

static int new_id(struct quarantine *q, char id[QUARANTINE_ID_SIZE], char *err, size_t errlen)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned char b[8];
		ssize_t r = getrandom(b, sizeof(b), 0);

		if (r != (ssize_t)sizeof(b)) {
			errf(err, errlen, "quarantine %s: no random bytes for an id: %s", q->dir,
			       r < 0 ? strerror(errno) : "short read");
			return -1;
		}
		id[0] = 'q';
		id[1] = '-';
		hex_encode(b, sizeof(b), id + 2);
		if (!name_taken(q, id))
			return 0;
	}
	errf(err, errlen, "quarantine %s: cannot find a free id", q->dir);
	return -1;
}

/*
 * Copy the open original fd (content hashed as sha) into id.data through
 * id.data.tmp, durably, with the original's mtime. Returns 0, or -1 with
 * err (nothing left behind).
 */
static int copy_in(struct quarantine *q, int fd, const struct qitem *it, char *err, size_t errlen)
{
	char tmp[NAME_LEN], name[NAME_LEN], sha[65];
	struct timespec ts[2] = { { 0, UTIME_OMIT }, it->mtime };
	uint64_t bytes = 0;
	int tfd;

	fname(tmp, it->id, ".data.tmp");
	fname(name, it->id, ".data");
	tfd = openat(q->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (tfd < 0) {
		errf(err, errlen, "quarantine %s: cannot create %s: %s", q->dir, tmp, strerror(errno));
		return -1;
	}
	if (hash_fd(fd, tfd, sha, &bytes) != 0 || fchown(tfd, geteuid(), getegid()) != 0 ||
	    fchmod(tfd, 0400) != 0 || futimens(tfd, ts) != 0 || fsync(tfd) != 0) {
		errf(err, errlen, "quarantine %s: cannot copy %s to %s: %s", q->dir, it->path, tmp,
		       strerror(errno));
		goto fail;
	}
	if (strcmp(sha, it->sha256) != 0 || bytes != it->size) {
		errf(err, errlen, "%s changed while being quarantined: left in place", it->path);
		goto fail;
	}
	if (close(tfd) != 0) {
		tfd = -1;
		errf(err, errlen, "quarantine %s: cannot write %s: %s", q->dir, tmp, strerror(errno));
		goto fail;
	}
	tfd = -1;
	if (renameat(q->dfd, tmp, q->dfd, name) != 0 || fsync_fd(q->dfd) != 0) {
		errf(err, errlen, "quarantine %s: cannot rename %s: %s", q->dir, tmp, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (tfd >= 0)
		close(tfd);
	unlinkat(q->dfd, tmp, 0);
	return -1;
}

/* Move id.data back to pfd/name after a failed put; report where it is. */
static void move_back(struct quarantine *q, int pfd, const char *name, const struct qitem *it,
		      char *err, size_t errlen)
{
	char dname[NAME_LEN], msg[160];
	struct stat st;
	int r;

	fname(dname, it->id, ".data");
	r = renameat2(q->dfd, dname, pfd, name, RENAME_NOREPLACE);
	if (r != 0 && errno == EINVAL && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT)
		r = renameat(q->dfd, dname, pfd, name);   /* no RENAME_NOREPLACE here */
	if (r == 0) {
		fsync_fd(pfd);
		record_remove(q, it->id);
		return;
	}
	/* keep the record: the item stays restorable after a restart */
	snprintf(msg, sizeof(msg), "it could not be moved back (%s) and stays in the quarantine "
		 "as %s", strerror(errno), it->id);
	adderr(err, errlen, msg);
}

int quarantine_put(struct quarantine *q, const char *path, const char *rule,
		   const char *sha256_hex, struct quarantine_item *out,
		   char *err, size_t errlen)
{
	char canon_dir[PATH_MAX], full[QUARANTINE_PATH_MAX], dirpart[QUARANTINE_PATH_MAX];
	char given[65], dname[NAME_LEN];
	const char *name;
	struct qitem it;
	struct stat st, st2, pst;
	struct timespec now;
	int pfd = -1, fd = -1;
	int n;

	memset(&it, 0, sizeof(it));
	if (!path || !rule || !*rule || strlen(rule) >= QUARANTINE_RULE_MAX) {
		errf(err, errlen, "quarantine: a path and a rule name (at most %d bytes) are needed",
		       QUARANTINE_RULE_MAX - 1);
		goto refused;
	}
	if (sha256_hex && sha_norm(sha256_hex, given) != 0) {
		errf(err, errlen, "quarantine: \"%s\" is not a sha256 in hex", sha256_hex);
		goto refused;
	}
	if (q->n >= q->max) {
		q->st.full++;
		errf(err, errlen, "quarantine %s is full (%zu items): %s not quarantined; restore "
		       "or delete items, or raise the bound", q->dir, q->n, path);
		goto refused;
	}
	if (strlen(path) >= sizeof(dirpart) ||
	    split_path(path, dirpart, sizeof(dirpart), &name, err, errlen) != 0)
		goto refused;
	if (!realpath(dirpart, canon_dir)) {
		errf(err, errlen, "cannot resolve the directory of %s: %s", path, strerror(errno));
		goto refused;
	}
	n = snprintf(full, sizeof(full), "%s/%s", strcmp(canon_dir, "/") == 0 ? "" : canon_dir, name);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		errf(err, errlen, "%s: path too long", path);
		goto refused;
	}
	if ((pfd = open_dir_nofollow(canon_dir, err, errlen)) < 0)
		goto refused;
	if (fstat(pfd, &pst) != 0 || (pst.st_dev == q->dev && pst.st_ino == q->ino)) {
		errf(err, errlen, "%s is in the quarantine directory already", full);
		goto refused;
	}
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		errf(err, errlen, "cannot quarantine %s: %s", full, strerror(errno));
		goto refused;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s is %s: only regular files are quarantined", full,
		       kind_of(st.st_mode));
		goto refused;
	}
	/* O_NONBLOCK: should it have become a FIFO, the open does not wait */
	fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s", full, strerror(errno));
		goto refused;
	}
	if (fstat(fd, &st2) != 0 || !S_ISREG(st2.st_mode) || !same_file(&st, &st2)) {
		errf(err, errlen, "%s was replaced while being quarantined: left in place", full);
		goto refused;
	}
	st = st2;

	if (!(it.path = strdup(full)) || !(it.rule = strdup(rule))) {
		errf(err, errlen, "quarantine: out of memory");
		goto refused;
	}
	if (hash_fd(fd, -1, it.sha256, &it.size) != 0) {
		errf(err, errlen, "cannot read %s: %s", full, strerror(errno));
		goto refused;
	}
	if (fstat(fd, &st2) != 0 || !same_content_stat(&st, &st2) ||
	    it.size != (uint64_t)st.st_size) {
		errf(err, errlen, "%s changed while being quarantined: left in place", full);
		goto refused;
	}
	if (sha256_hex && strcmp(given, it.sha256) != 0) {
		errf(err, errlen, "%s changed since it was scanned (sha256 %s now, %s scanned): "
		       "not quarantined, scan it again", full, it.sha256, given);
		goto refused;
	}
	if (new_id(q, it.id, err, errlen) != 0)
		goto refused;
	clock_gettime(CLOCK_REALTIME, &now);
	it.time = (int64_t)now.tv_sec;
	it.uid = st.st_uid;
	it.gid = st.st_gid;
	it.mode = st.st_mode & 07777;
	it.mtime = st.st_mtim;
	it.nlink = (uint64_t)st.st_nlink;

	/* the record first: a crash from here on leaves a record to report */
	if (record_write(q, &it, err, errlen) != 0)
		goto refused;
	fname(dname, it.id, ".data");
	if (renameat(pfd, name, q->dfd, dname) == 0) {
		if (fstatat(q->dfd, dname, &st2, AT_SYMLINK_NOFOLLOW) != 0 || !same_file(&st, &st2) ||
		    fstat(fd, &st2) != 0 || !same_content_stat(&st, &st2)) {
			errf(err, errlen, "%s changed while being quarantined: not quarantined", full);
			move_back(q, pfd, name, &it, err, errlen);
			goto refused;
		}
		if (fchown(fd, geteuid(), getegid()) != 0 || fchmod(fd, 0400) != 0) {
			errf(err, errlen, "cannot make the stored copy of %s root-only: %s", full,
			       strerror(errno));
			move_back(q, pfd, name, &it, err, errlen);
			goto refused;
		}
		if (fsync(fd) != 0 || fsync_fd(q->dfd) != 0 || fsync_fd(pfd) != 0) {
			/* moved, but maybe not durably: keep the item, say so */
			errf(err, errlen, "quarantine %s: cannot sync the move of %s: %s", q->dir, full,
			       strerror(errno));
			goto keep_failed;
		}
	} else if (errno == EXDEV) {
		if (copy_in(q, fd, &it, err, errlen) != 0) {
			record_remove(q, it.id);
			goto refused;
		}
		/* unlink only the file that was read, unchanged */
		if (fstatat(pfd, name, &st2, AT_SYMLINK_NOFOLLOW) != 0 || !same_content_stat(&st, &st2) ||
		    fstat(fd, &st2) != 0 || !same_content_stat(&st, &st2)) {
			errf(err, errlen, "%s changed while being quarantined: left in place", full);
			unlinkat(q->dfd, dname, 0);
			record_remove(q, it.id);
			goto refused;
		}
		if (unlinkat(pfd, name, 0) != 0) {
			errf(err, errlen, "cannot remove %s after copying it into the quarantine: %s",
			       full, strerror(errno));
			unlinkat(q->dfd, dname, 0);
			record_remove(q, it.id);
			goto refused;
		}
		fsync_fd(pfd);
	} else {
		errf(err, errlen, "cannot move %s into the quarantine %s: %s", full, q->dir,
		       strerror(errno));
		record_remove(q, it.id);
		goto refused;
	}
	if (add_item(q, &it) != 0) {
		errf(err, errlen, "quarantine: out of memory (%s is quarantined as %s)", full, it.id);
		goto keep_failed;
	}
	q->st.put++;
	if (out)
		item_export(&q->items[q->n - 1], out);
	close(fd);
	close(pfd);
	return 0;

keep_failed:
	/* the file is in the quarantine and its record on disk: keep the item */
	if (add_item(q, &it) == 0)
		it.path = it.rule = NULL;
refused:
	q->st.refused++;
	item_free(&it);
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	return -1;
}

/* ---- list, restore ------------------------------------------------------ */

size_t quarantine_list(struct quarantine *q, quarantine_list_fn fn, void *arg)
{
	struct quarantine_item *out = malloc(sizeof(*out));
	size_t i;

	if (!out)
		return 0;
	for (i = 0; i < q->n; i++) {
		item_export(&q->items[i], out);
		if (fn(arg, out) != 0) {
			i++;
			break;
		}
	}
	free(out);
	return i;
}

int quarantine_get(struct quarantine *q, const char *id, struct quarantine_item *out)
{
	struct qitem *it = id ? find(q, id) : NULL;

	if (!it)
		return -1;
	item_export(it, out);
	return 0;
}

/* Give fd the item's owner, mode and mtime (owner first: chown clears set-id bits). */
static int set_attrs(int fd, const struct qitem *it)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, it->mtime };

	if (fchown(fd, it->uid, it->gid) != 0 || fchmod(fd, it->mode) != 0 ||
	    futimens(fd, ts) != 0)
		return -1;
	return 0;
}

/* Copy the stored copy sfd to pfd/name, created new. Returns 0, or -1 with err. */
static int copy_out(int sfd, int pfd, const char *name, const struct qitem *it,
		    char *err, size_t errlen)
{
	char sha[65];
	struct stat a, b;
	uint64_t bytes;
	int ofd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (ofd < 0) {
		if (errno == EEXIST)
			errf(err, errlen, "%s exists now: not restored; move it away and restore %s "
			       "again", it->path, it->id);
		else
			errf(err, errlen, "cannot create %s: %s", it->path, strerror(errno));
		return -1;
	}
	if (hash_fd(sfd, ofd, sha, &bytes) != 0 || fsync(ofd) != 0 || set_attrs(ofd, it) != 0 ||
	    fsync(ofd) != 0) {
		errf(err, errlen, "cannot restore %s: %s", it->path, strerror(errno));
		goto fail;
	}
	if (strcmp(sha, it->sha256) != 0) {
		errf(err, errlen, "the stored copy of %s changed while being restored: not restored",
		       it->id);
		goto fail;
	}
	if (close(ofd) != 0) {
		ofd = -1;
		errf(err, errlen, "cannot restore %s: %s", it->path, strerror(errno));
		goto fail;
	}
	fsync_fd(pfd);
	return 0;
fail:
	/* remove what we created, and only that */
	if (ofd >= 0 && fstat(ofd, &a) == 0 && fstatat(pfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    same_file(&a, &b))
		unlinkat(pfd, name, 0);
	if (ofd >= 0)
		close(ofd);
	return -1;
}

int quarantine_restore(struct quarantine *q, const char *id, char *err, size_t errlen)
{
	char dir[QUARANTINE_PATH_MAX], dname[NAME_LEN], jname[NAME_LEN], sha[65];
	const char *name;
	struct qitem *it;
	struct stat st;
	int sfd = -1, pfd = -1;
	bool moved = false, sync_failed = false;
	size_t idx;

	if (!id || !(it = find(q, id))) {
		errf(err, errlen, "quarantine %s: no item %s", q->dir, id ? id : "(null)");
		goto refused;
	}
	fname(dname, it->id, ".data");
	fname(jname, it->id, ".json");
	sfd = openat(q->dfd, dname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "quarantine %s: cannot open the stored copy %s: %s", q->dir, dname,
		       sfd < 0 ? strerror(errno) : "not a regular file");
		goto refused;
	}
	if (hash_fd(sfd, -1, sha, NULL) != 0) {
		errf(err, errlen, "quarantine %s: cannot read %s: %s", q->dir, dname, strerror(errno));
		goto refused;
	}
	if (strcmp(sha, it->sha256) != 0) {
		errf(err, errlen, "the stored copy %s/%s no longer matches its sha256 (recorded %s, "
		       "now %s): it was changed in the quarantine; %s not restored", q->dir, dname,
		       it->sha256, sha, it->path);
		goto refused;
	}
	if (split_path(it->path, dir, sizeof(dir), &name, err, errlen) != 0)
		goto refused;
	if ((pfd = open_dir_nofollow(dir, err, errlen)) < 0) {
		adderr(err, errlen, "not restored: recreate the directory, or restore by hand");
		goto refused;
	}
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errf(err, errlen, "%s exists now (%s): not restored; move it away and restore %s "
		       "again", it->path, S_ISREG(st.st_mode) ? "a file" : kind_of(st.st_mode), it->id);
		goto refused;
	}

	/* same file system: the stored copy takes its attributes, then moves */
	if (set_attrs(sfd, it) != 0) {
		errf(err, errlen, "cannot set the owner, mode and mtime of %s: %s", dname,
		       strerror(errno));
		goto revert;
	}
	if (renameat2(q->dfd, dname, pfd, name, RENAME_NOREPLACE) == 0) {
		moved = true;
		if (fsync(sfd) != 0 || fsync_fd(pfd) != 0 || fsync_fd(q->dfd) != 0) {
			/* the file is back: finish, but say the move may not be durable */
			errf(err, errlen, "%s restored, but not synced to disk: %s", it->path,
			       strerror(errno));
			sync_failed = true;
		}
	} else if (errno == EEXIST) {
		errf(err, errlen, "%s exists now: not restored; move it away and restore %s again",
		       it->path, it->id);
		goto revert;
	} else if (errno == EXDEV || errno == EINVAL) {
		/* another file system, or one without RENAME_NOREPLACE: copy */
		if (fchown(sfd, geteuid(), getegid()) != 0 || fchmod(sfd, 0400) != 0) {
			errf(err, errlen, "cannot make %s root-only again: %s", dname, strerror(errno));
			goto refused;
		}
		if (copy_out(sfd, pfd, name, it, err, errlen) != 0)
			goto refused;
		if (unlinkat(q->dfd, dname, 0) != 0) {
			errf(err, errlen, "%s restored, but its stored copy %s/%s could not be "
			       "removed: %s", it->path, q->dir, dname, strerror(errno));
			goto refused;
		}
		moved = true;
	} else {
		errf(err, errlen, "cannot move %s back to %s: %s", dname, it->path, strerror(errno));
		goto revert;
	}
	if (unlinkat(q->dfd, jname, 0) != 0 || fsync_fd(q->dfd) != 0) {
		errf(err, errlen, "%s restored, but its record %s/%s could not be removed: %s",
		       it->path, q->dir, jname, strerror(errno));
		goto refused;
	}
	idx = (size_t)(it - q->items);
	q->st.bytes -= it->size;
	item_free(it);
	memmove(&q->items[idx], &q->items[idx + 1], (q->n - idx - 1) * sizeof(*q->items));
	q->n--;
	q->st.items = q->n;
	q->st.restored++;
	close(sfd);
	close(pfd);
	return sync_failed ? -1 : 0;

revert:
	if (!moved && sfd >= 0 && (fchown(sfd, geteuid(), getegid()) != 0 || fchmod(sfd, 0400) != 0))
		adderr(err, errlen, "and the stored copy could not be made root-only again");
refused:
	q->st.refused++;
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	return -1;
}

int quarantine_delete(struct quarantine *q, const char *id, char *err, size_t errlen)
{
	char dname[NAME_LEN], jname[NAME_LEN];
	struct qitem *it;
	size_t idx;

	if (!id || !(it = find(q, id)))
		return errf(err, errlen, "quarantine %s: no item %s", q->dir, id ? id : "(null)");
	fname(dname, it->id, ".data");
	fname(jname, it->id, ".json");
	/* the content first: a record left without it is reported as damage */
	if (unlinkat(q->dfd, dname, 0) != 0 && errno != ENOENT)
		return errf(err, errlen, "quarantine %s: cannot delete %s: %s", q->dir, dname,
			    strerror(errno));
	if (unlinkat(q->dfd, jname, 0) != 0 || fsync_fd(q->dfd) != 0)
		return errf(err, errlen, "quarantine %s: %s deleted, but its record %s could not "
			    "be: %s", q->dir, dname, jname, strerror(errno));
	idx = (size_t)(it - q->items);
	q->st.bytes -= it->size;
	item_free(it);
	memmove(&q->items[idx], &q->items[idx + 1], (q->n - idx - 1) * sizeof(*q->items));
	q->n--;
	q->st.items = q->n;
	return 0;
}

void quarantine_stats(const struct quarantine *q, struct quarantine_stats *st)
{
	*st = q->st;
}
