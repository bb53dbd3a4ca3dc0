/*
 * scan.c - see scan.h.
 *
 * A tree scan is one walker thread (fts(3), physical, lstat of every entry)
 * feeding a bounded queue of (path, lstat) jobs to worker threads, each
 * with its own YR_SCANNER over the shared YR_RULES (externals are per
 * scanner, so per file per thread) and its own read buffer. The walker
 * also answers cache hits itself, so the rescan of an unchanged tree is a
 * walk, an lstat and a hash lookup per file, with no hand-over.
 *
 * Counts are kept per thread and added up when the threads are joined.
 */
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <fts.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yara.h>

#include "duty.h"
#include "errf.h"
#include "hex.h"
#include "scache.h"

#define BUF_KEEP (64u << 20)     /* a read buffer above this is released after use */
#define OWNER_SLOTS 16
#define WALK_PACE_EVERY 256      /* walker entries between duty charges */

static const char *const skip_names[SCAN_SKIP_N] = {
	"too-large", "excluded", "special", "symlink", "other-fs",
	"unreadable", "vanished", "timeout", "error",
};

const char *scan_skip_name(enum scan_skip why)
{
	return (unsigned)why < SCAN_SKIP_N ? skip_names[why] : "?";
}


/* ---- externals ------------------------------------------------------------ */

struct magic {
	const char *bytes;
	size_t len;
	const char *type;
};

static const struct magic magics[] = {
	{ "MZ", 2, "EXE" },
	{ "\x7f" "ELF", 4, "ELF" },
	{ "\xfe\xed\xfa\xce", 4, "MACH-O" },
	{ "\xfe\xed\xfa\xcf", 4, "MACH-O" },
	{ "\xce\xfa\xed\xfe", 4, "MACH-O" },
	{ "\xcf\xfa\xed\xfe", 4, "MACH-O" },
	{ "%PDF", 4, "PDF" },
	{ "PK\x03\x04", 4, "ZIP" },
	{ "PK\x05\x06", 4, "ZIP" },
	{ "Rar!\x1a\x07", 6, "RAR" },
	{ "7z\xbc\xaf\x27\x1c", 6, "7Z" },
	{ "\x1f\x8b", 2, "GZIP" },
	{ "GIF87a", 6, "GIF" },
	{ "GIF89a", 6, "GIF" },
	{ "\xff\xd8\xff", 3, "JPEG" },
	{ "\x89PNG\r\n\x1a\n", 8, "PNG" },
	{ "{\\rtf", 5, "RTF" },
	{ "MDMP", 4, "MDMP" },
	{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "OLE" },
	{ "<?php", 5, "PHP" },
	{ "#!", 2, "SCRIPT" },
};

const char *scan_filetype(const void *head, size_t n)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len && memcmp(head, magics[i].bytes, magics[i].len) == 0)
			return magics[i].type;
	return "";
}

void scan_extension(const char *base, char *out, size_t outlen)
{
	const char *dot = strrchr(base, '.');
	size_t n;

	out[0] = '\0';
	if (dot == NULL || dot == base)
		return;
	/* ".bashrc", "..x": dots leading the name do not start an extension */
	for (const char *p = base; p < dot; p++)
		if (*p != '.')
			goto found;
	return;
found:
	n = strlen(dot);
	if (n >= outlen)
		return;
	for (size_t i = 0; i <= n; i++)
		out[i] = (dot[i] >= 'A' && dot[i] <= 'Z') ? (char)(dot[i] + 32) : dot[i];
}

/* ---- one thread's scanner ---------------------------------------------------- */

struct hit {
	const YR_RULE *rule;
	size_t first, n;          /* its matches in t->m */
	uint64_t dropped;         /* matches over the bounds */
};

struct owner_slot {
	uid_t uid;
	bool used;
	char name[64];
};

struct scan_thread {
	struct rules *r;
	struct scan_options o;
	uint64_t rtag;
	uint64_t max_size;
	uint64_t settle_ns;
	YR_SCANNER *sc;
	unsigned char *buf;
	size_t bufcap;
	struct hit *hits;
	size_t nhits, hitcap;
	struct finding_match *m;
	size_t nm, mcap;
	struct finding_meta *meta;
	size_t metacap;
	bool oom;                 /* the YARA callback ran out of memory */
	struct owner_slot owners[OWNER_SLOTS];
	unsigned owner_next;
};

static void report_skip(struct scan_thread *t, struct scan_summary *sum, const char *path,
			enum scan_skip why, const char *detail)
{
	sum->skipped++;
	sum->skipped_by[why]++;
	if (why == SCAN_SKIP_UNREADABLE || why == SCAN_SKIP_TIMEOUT || why == SCAN_SKIP_ERROR)
		sum->errors++;
	if (t->o.on_skip != NULL)
		t->o.on_skip(t->o.arg, path, why, detail ? detail : "");
}

static bool globbed(const char *const *g, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(g[i], path, 0) == 0)
			return true;
	return false;
}

static bool excluded_dir(const struct scan_options *o, const char *path)
{
	return globbed(o->exclude, o->nexclude, path);
}

static bool excluded_file(const struct scan_options *o, const char *path)
{
	if (globbed(o->exclude, o->nexclude, path))
		return true;
	return o->ninclude > 0 && !globbed(o->include, o->ninclude, path);
}

/*
 * The checks made on an lstat before any read: -1 when the file is to be
 * read (or looked up), else the reason to skip it.
 */
static int precheck(const struct scan_thread *t, const char *path, const struct stat *st)
{
	if (excluded_file(&t->o, path))
		return SCAN_SKIP_EXCLUDED;
	if (S_ISLNK(st->st_mode))
		return SCAN_SKIP_SYMLINK;
	if (!S_ISREG(st->st_mode))
		return SCAN_SKIP_SPECIAL;
	if ((uint64_t)st->st_size > t->max_size)
		return SCAN_SKIP_TOO_LARGE;
	return -1;
}

static const char *owner_name(struct scan_thread *t, uid_t uid)
{
	struct owner_slot *s;
	struct passwd pw, *res = NULL;
	char pbuf[4096];

	for (unsigned i = 0; i < OWNER_SLOTS; i++)
		if (t->owners[i].used && t->owners[i].uid == uid)
			return t->owners[i].name;
	s = &t->owners[t->owner_next++ % OWNER_SLOTS];
	s->used = true;
	s->uid = uid;
	if (getpwuid_r(uid, &pw, pbuf, sizeof(pbuf), &res) == 0 && res != NULL &&
	    strlen(res->pw_name) < sizeof(s->name))
		snprintf(s->name, sizeof(s->name), "%s", res->pw_name);
	else
		snprintf(s->name, sizeof(s->name), "%lu", (unsigned long)uid);
	return s->name;
}

static int on_yara(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
	struct scan_thread *t = arg;
	const YR_RULE *rule = data;
	const YR_STRING *s;
	struct hit *h;
	unsigned nstr = 0;

	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;   /* too many matches of a string: go on, as yara does */
	if (t->nhits == t->hitcap) {
		size_t nc = t->hitcap ? t->hitcap * 2 : 16;
		struct hit *nh = realloc(t->hits, nc * sizeof(*nh));

		if (nh == NULL) {
			t->oom = true;
			return CALLBACK_ERROR;
		}
		t->hits = nh;
		t->hitcap = nc;
	}
	h = &t->hits[t->nhits++];
	h->rule = rule;
	h->first = t->nm;
	h->n = 0;
	h->dropped = 0;
	yr_rule_strings_foreach(rule, s) {
		const YR_MATCH *p = ctx->matches[s->idx].head;
		unsigned taken = 0;

		/*
		 * yr_string_matches_foreach() without its member accesses:
		 * libyara 4.2 hands out YR_MATCHes at addresses not aligned for
		 * the struct (its notebook allocator), so each is copied first.
		 */
		while (p != NULL) {
			YR_MATCH mt;

			memcpy(&mt, p, sizeof(mt));
			p = mt.next;
			if (mt.is_private)
				continue;
			if (nstr >= FINDING_MAX_STRINGS || taken >= FINDING_MAX_MATCHES) {
				h->dropped++;
				continue;
			}
			if (t->nm == t->mcap) {
				size_t nc = t->mcap ? t->mcap * 2 : 64;
				struct finding_match *nmv = realloc(t->m, nc * sizeof(*nmv));

				if (nmv == NULL) {
					t->oom = true;
					return CALLBACK_ERROR;
				}
				t->m = nmv;
				t->mcap = nc;
			}
			t->m[t->nm].id = s->identifier;
			t->m[t->nm].offset = (uint64_t)(mt.base + mt.offset);
			t->m[t->nm].length = (uint32_t)mt.match_length;
			t->nm++;
			h->n++;
			taken++;
		}
		if (taken > 0)
			nstr++;
	}
	return CALLBACK_CONTINUE;
}

struct scan_thread *scan_thread_new(struct rules *r, const struct scan_options *o, char *err,
				    size_t errlen)
{
	struct scan_thread *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	t->o = *o;
	t->r = rules_ref(r);
	t->rtag = scache_rules_tag(rules_version(r));
	t->max_size = o->max_size ? o->max_size : SCAN_DEFAULT_MAX_SIZE;
	t->settle_ns = (uint64_t)(o->cache_settle_ms ? o->cache_settle_ms : SCAN_DEFAULT_SETTLE_MS) *
		       1000000u;
	if (yr_scanner_create((YR_RULES *)rules_yara(r), &t->sc) != ERROR_SUCCESS) {
		t->sc = NULL;
		scan_thread_free(t);
		errf(err, errlen, "cannot create a YARA scanner: out of memory");
		return NULL;
	}
	yr_scanner_set_callback(t->sc, on_yara, t);
	yr_scanner_set_flags(t->sc, SCAN_FLAGS_REPORT_RULES_MATCHING);
	yr_scanner_set_timeout(t->sc, (int)(o->timeout ? o->timeout : SCAN_DEFAULT_TIMEOUT));
	return t;
}

void scan_thread_free(struct scan_thread *t)
{
	if (t == NULL)
		return;
	if (t->sc != NULL)
		yr_scanner_destroy(t->sc);
	rules_unref(t->r);
	free(t->buf);
	free(t->hits);
	free(t->m);
	free(t->meta);
	free(t);
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Report the findings of the file just scanned (t->hits). */
static void report_hits(struct scan_thread *t, struct scan_summary *sum, const char *path,
			const struct stat *st, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char sha[65];
	const char *owner = owner_name(t, st->st_uid);

	if (EVP_Digest(t->buf, len, md, &mdlen, t->o.sha256 ? t->o.sha256 : EVP_sha256(),
		       NULL) != 1 || mdlen != 32) {
		report_skip(t, sum, path, SCAN_SKIP_ERROR, "SHA-256 failed");
		return;
	}
	hex_encode(md, 32, sha);
	sum->matched_files++;
	for (size_t i = 0; i < t->nhits; i++) {
		const YR_RULE *rule = t->hits[i].rule;
		const char *tags[FINDING_MAX_TAGS];
		const YR_META *mt;
		const char *tag;
		struct finding f;
		size_t ntags = 0, nmeta = 0;

		sum->findings++;
		if (t->o.on_finding == NULL)
			continue;
		yr_rule_tags_foreach(rule, tag) {
			if (ntags < FINDING_MAX_TAGS)
				tags[ntags++] = tag;
		}
		yr_rule_metas_foreach(rule, mt) {
			if (nmeta == t->metacap) {
				size_t nc = t->metacap ? t->metacap * 2 : 32;
				struct finding_meta *nmv = realloc(t->meta, nc * sizeof(*nmv));

				if (nmv == NULL)
					break;   /* the meta given so far */
				t->meta = nmv;
				t->metacap = nc;
			}
			t->meta[nmeta].key = mt->identifier;
			t->meta[nmeta].s = NULL;
			t->meta[nmeta].i = mt->integer;
			if (mt->type == META_TYPE_STRING) {
				t->meta[nmeta].type = FINDING_META_STR;
				t->meta[nmeta].s = mt->string;
			} else if (mt->type == META_TYPE_BOOLEAN) {
				t->meta[nmeta].type = FINDING_META_BOOL;
			} else {
				t->meta[nmeta].type = FINDING_META_INT;
			}
			nmeta++;
		}
		memset(&f, 0, sizeof(f));
		f.rule = rule->identifier;
		f.ns = rule->ns->name;
		f.tags = tags;
		f.ntags = ntags;
		f.meta = t->meta;
		f.nmeta = nmeta;
		f.matches = t->m + t->hits[i].first;
		f.nmatches = t->hits[i].n;
		f.matches_dropped = t->hits[i].dropped;
		f.path = path;
		f.size = len;
		f.sha256 = sha;
		f.mtime_ns = ns_of(&st->st_mtim);
		f.owner = owner;
		f.severity = finding_severity(t->meta, nmeta);
		t->o.on_finding(t->o.arg, &f);
	}
}

static int grow_buf(struct scan_thread *t, size_t need)
{
	unsigned char *nb;

	if (need <= t->bufcap && t->buf != NULL)
		return 0;
	if (need == 0)
		need = 1;
	free(t->buf);
	t->bufcap = 0;
	/* round up so files growing a little do not reallocate each time */
	if (need < (1u << 20))
		need = 1u << 20;
	else
		need = (need + (1u << 20) - 1) & ~(size_t)((1u << 20) - 1);
	nb = malloc(need);
	t->buf = nb;
	if (nb == NULL)
		return -1;
	t->bufcap = need;
	return 0;
}

/*
 * Read and scan the file at path whose lstat is *lst (already through
 * precheck and the cache lookup). follow: path is a root named by the
 * caller and may be a symlink (*lst is then its target's stat).
 */
static void scan_one(struct scan_thread *t, struct scan_summary *sum, const char *path,
		     const struct stat *lst, bool follow)
{
	int nofollow = follow ? 0 : O_NOFOLLOW;
	struct timespec now;
	struct stat st;
	size_t len = 0, want;
	const char *base;
	char ext[64];
	int fd, rc;

	clock_gettime(CLOCK_REALTIME, &now);
	fd = open(path, O_RDONLY | nofollow | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)   /* O_NOATIME needs to own the file */
		fd = open(path, O_RDONLY | nofollow | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENOTDIR)
			report_skip(t, sum, path, SCAN_SKIP_VANISHED, strerror(e));
		else if (e == ELOOP)
			report_skip(t, sum, path, SCAN_SKIP_SYMLINK, "replaced by a symlink");
		else if (e == EACCES || e == EPERM || e == EIO)
			report_skip(t, sum, path, SCAN_SKIP_UNREADABLE, strerror(e));
		else
			report_skip(t, sum, path, SCAN_SKIP_ERROR, strerror(e));
		return;
	}
	if (fstat(fd, &st) < 0) {
		report_skip(t, sum, path, SCAN_SKIP_ERROR, strerror(errno));
		close(fd);
		return;
	}
	if (st.st_dev != lst->st_dev || st.st_ino != lst->st_ino) {
		report_skip(t, sum, path, SCAN_SKIP_VANISHED, "replaced by another file");
		close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		report_skip(t, sum, path, SCAN_SKIP_SPECIAL, "");
		close(fd);
		return;
	}
	if ((uint64_t)st.st_size > t->max_size) {
		report_skip(t, sum, path, SCAN_SKIP_TOO_LARGE, "grew past the limit");
		close(fd);
		return;
	}
	want = (size_t)st.st_size;
	if (grow_buf(t, want) < 0) {
		report_skip(t, sum, path, SCAN_SKIP_ERROR, "out of memory for the read buffer");
		close(fd);
		return;
	}
	/* the size at open is what is scanned: less if it shrinks meanwhile */
	while (len < want) {
		ssize_t n = read(fd, t->buf + len, want - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			report_skip(t, sum, path, e == EIO ? SCAN_SKIP_UNREADABLE : SCAN_SKIP_ERROR,
				    strerror(e));
			close(fd);
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	sum->bytes_read += len;

	base = strrchr(path, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : path;
	scan_extension(base, ext, sizeof(ext));
	t->nhits = 0;
	t->nm = 0;
	t->oom = false;
	if (yr_scanner_define_string_variable(t->sc, "filename", base) != ERROR_SUCCESS ||
	    yr_scanner_define_string_variable(t->sc, "filepath", path) != ERROR_SUCCESS ||
	    yr_scanner_define_string_variable(t->sc, "extension", ext) != ERROR_SUCCESS ||
	    yr_scanner_define_string_variable(t->sc, "filetype", scan_filetype(t->buf, len)) !=
		    ERROR_SUCCESS ||
	    yr_scanner_define_string_variable(t->sc, "owner", owner_name(t, st.st_uid)) !=
		    ERROR_SUCCESS) {
		report_skip(t, sum, path, SCAN_SKIP_ERROR, "cannot set the external variables");
		goto out;
	}
	rc = yr_scanner_scan_mem(t->sc, t->buf, len);
	if (rc == ERROR_SCAN_TIMEOUT) {
		report_skip(t, sum, path, SCAN_SKIP_TIMEOUT, "");
		goto out;
	}
	if (rc != ERROR_SUCCESS || t->oom) {
		char d[64];

		snprintf(d, sizeof(d), t->oom ? "out of memory" : "YARA error %d", rc);
		report_skip(t, sum, path, SCAN_SKIP_ERROR, d);
		goto out;
	}
	sum->scanned++;
	if (t->nhits > 0) {
		report_hits(t, sum, path, &st, len);
		if (t->o.on_cache != NULL) {
			struct scache_key k = { .dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino };

			t->o.on_cache(t->o.arg, &k, false);
		} else if (t->o.cache != NULL) {
			scache_forget(t->o.cache, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
		}
	} else if (t->o.cache != NULL && len == want) {
		int64_t n = ns_of(&now), settle = (int64_t)t->settle_ns;

		if (ns_of(&st.st_mtim) + settle <= n && ns_of(&st.st_ctim) + settle <= n) {
			struct scache_key k;

			scache_key(&k, &st, t->rtag);
			if (t->o.on_cache != NULL)
				t->o.on_cache(t->o.arg, &k, true);
			else
				scache_insert(t->o.cache, &k);
		}
	}
out:
	if (t->bufcap > BUF_KEEP) {
		free(t->buf);
		t->buf = NULL;
		t->bufcap = 0;
	}
}

/* Cache lookup; true when the file need not be read. */
static bool cached(struct scan_thread *t, struct scan_summary *sum, const struct stat *st)
{
	struct scache_key k;

	if (t->o.cache == NULL)
		return false;
	scache_key(&k, st, t->rtag);
	if (scache_lookup(t->o.cache, &k)) {
		sum->cache_hits++;
		return true;
	}
	sum->cache_misses++;
	return false;
}

int scan_thread_file(struct scan_thread *t, const char *path, struct scan_summary *sum)
{
	struct stat st;
	int why;

	if (t == NULL || path == NULL || sum == NULL)
		return -1;
	sum->files_seen++;
	if (lstat(path, &st) < 0) {
		int e = errno;

		report_skip(t, sum, path,
			    e == ENOENT || e == ENOTDIR ? SCAN_SKIP_VANISHED :
			    e == EACCES ? SCAN_SKIP_UNREADABLE : SCAN_SKIP_ERROR, strerror(e));
		return 0;
	}
	why = precheck(t, path, &st);
	if (why >= 0) {
		report_skip(t, sum, path, (enum scan_skip)why, "");
		return 0;
	}
	if (cached(t, sum, &st))
		return 0;
	scan_one(t, sum, path, &st, false);
	return 0;
}

/* ---- tree scan ------------------------------------------------------------ */

struct job {
	char *path;
	struct stat st;
	bool follow;      /* a root: may be a symlink to the file */
};

struct tree {
	struct rules *r;
	const struct scan_options *o;
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	struct job *q;
	unsigned qcap, qhead, qlen;
	bool done;
	struct duty duty;
	char *const *roots;
};

struct worker {
	struct tree *tr;
	struct scan_thread *t;
	struct scan_summary sum;
	pthread_t tid;
	bool started;
};

static bool stopped(const struct scan_options *o)
{
	return o->stop != NULL && *o->stop;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct tree *tr = w->tr;
	struct duty_thread dt;
	char perr[128];

	if (tr->o->low_priority)
		(void)duty_lower_priority(perr, sizeof(perr));   /* best effort */
	duty_thread_start(&dt);
	for (;;) {
		struct job j;

		pthread_mutex_lock(&tr->lock);
		while (tr->qlen == 0 && !tr->done)
			pthread_cond_wait(&tr->nonempty, &tr->lock);
		if (tr->qlen == 0) {
			pthread_mutex_unlock(&tr->lock);
			break;
		}
		j = tr->q[tr->qhead];
		tr->qhead = (tr->qhead + 1) % tr->qcap;
		tr->qlen--;
		pthread_cond_signal(&tr->nonfull);
		pthread_mutex_unlock(&tr->lock);
		if (!stopped(tr->o)) {
			if (tr->o->on_file)
				tr->o->on_file(tr->o->arg, true);
			scan_one(w->t, &w->sum, j.path, &j.st, j.follow);
			if (tr->o->on_file)
				tr->o->on_file(tr->o->arg, false);
		}
		free(j.path);
		duty_pace(&tr->duty, &dt, tr->o->stop);
	}
	duty_pace(&tr->duty, &dt, NULL);
	return NULL;
}

static int enqueue(struct tree *tr, const char *path, const struct stat *st, bool follow)
{
	char *p = strdup(path);

	if (p == NULL)
		return -1;
	pthread_mutex_lock(&tr->lock);
	while (tr->qlen == tr->qcap)
		pthread_cond_wait(&tr->nonfull, &tr->lock);
	tr->q[(tr->qhead + tr->qlen) % tr->qcap] = (struct job){ p, *st, follow };
	tr->qlen++;
	pthread_cond_signal(&tr->nonempty);
	pthread_mutex_unlock(&tr->lock);
	return 0;
}

static enum scan_skip errno_skip(int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return SCAN_SKIP_VANISHED;
	if (e == EACCES || e == EPERM || e == EIO)
		return SCAN_SKIP_UNREADABLE;
	return SCAN_SKIP_ERROR;
}

/* The walker: fts over the roots, feeding the queue. */
static void *walk(void *arg)
{
	struct worker *w = arg;
	struct tree *tr = w->tr;
	struct scan_thread *t = w->t;
	struct scan_summary *sum = &w->sum;
	struct duty_thread dt;
	unsigned since = 0;
	dev_t root_dev = 0;
	char perr[128];
	FTSENT *e;
	FTS *fts;

	if (tr->o->low_priority)
		(void)duty_lower_priority(perr, sizeof(perr));
	duty_thread_start(&dt);
	fts = fts_open(tr->roots, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, NULL);
	if (fts == NULL) {
		report_skip(t, sum, tr->roots[0], SCAN_SKIP_ERROR, strerror(errno));
		goto out;
	}
	while ((e = fts_read(fts)) != NULL) {
		int why;

		if (stopped(tr->o)) {
			sum->stopped = true;
			break;
		}
		if (++since >= WALK_PACE_EVERY) {
			since = 0;
			duty_pace(&tr->duty, &dt, tr->o->stop);
		}
		if (e->fts_level == FTS_ROOTLEVEL && e->fts_info != FTS_NS && e->fts_info != FTS_ERR)
			root_dev = e->fts_statp->st_dev;
		switch (e->fts_info) {
		case FTS_D:
			if (e->fts_level == FTS_ROOTLEVEL)
				break;
			if (excluded_dir(tr->o, e->fts_path)) {
				sum->files_seen++;
				report_skip(t, sum, e->fts_path, SCAN_SKIP_EXCLUDED, "");
				fts_set(fts, e, FTS_SKIP);
			} else if (!tr->o->cross_fs && e->fts_statp->st_dev != root_dev) {
				sum->files_seen++;
				report_skip(t, sum, e->fts_path, SCAN_SKIP_OTHER_FS, "");
				fts_set(fts, e, FTS_SKIP);
			}
			break;
		case FTS_DP:
			break;
		case FTS_DC:
			sum->files_seen++;
			report_skip(t, sum, e->fts_path, SCAN_SKIP_ERROR, "directory cycle");
			break;
		case FTS_DNR:
			sum->files_seen++;
			report_skip(t, sum, e->fts_path, errno_skip(e->fts_errno),
				    strerror(e->fts_errno));
			break;
		case FTS_NS:
		case FTS_ERR:
			sum->files_seen++;
			report_skip(t, sum, e->fts_path, errno_skip(e->fts_errno),
				    strerror(e->fts_errno));
			break;
		default:   /* FTS_F, FTS_SL, FTS_SLNONE, FTS_DEFAULT, FTS_NSOK */
			sum->files_seen++;
			why = precheck(t, e->fts_path, e->fts_statp);
			if (why < 0 && !tr->o->cross_fs && e->fts_statp->st_dev != root_dev)
				why = SCAN_SKIP_OTHER_FS;   /* a file bind-mounted in */
			if (why >= 0) {
				report_skip(t, sum, e->fts_path, (enum scan_skip)why, "");
				break;
			}
			if (cached(t, sum, e->fts_statp))
				break;
			if (enqueue(tr, e->fts_path, e->fts_statp, e->fts_level == FTS_ROOTLEVEL) < 0)
				report_skip(t, sum, e->fts_path, SCAN_SKIP_ERROR, "out of memory");
			break;
		}
	}
	if (e == NULL && errno != 0 && !sum->stopped)
		report_skip(t, sum, tr->roots[0], SCAN_SKIP_ERROR, strerror(errno));
	fts_close(fts);
out:
	pthread_mutex_lock(&tr->lock);
	tr->done = true;
	pthread_cond_broadcast(&tr->nonempty);
	pthread_mutex_unlock(&tr->lock);
	duty_pace(&tr->duty, &dt, NULL);
	return NULL;
}

static void add_sum(struct scan_summary *to, const struct scan_summary *s)
{
	to->files_seen += s->files_seen;
	to->scanned += s->scanned;
	to->cache_hits += s->cache_hits;
	to->cache_misses += s->cache_misses;
	to->skipped += s->skipped;
	for (int i = 0; i < SCAN_SKIP_N; i++)
		to->skipped_by[i] += s->skipped_by[i];
	to->matched_files += s->matched_files;
	to->findings += s->findings;
	to->bytes_read += s->bytes_read;
	to->errors += s->errors;
	to->stopped = to->stopped || s->stopped;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int scan_tree(struct rules *r, const char *const *roots, size_t nroots,
	      const struct scan_options *o, struct scan_summary *sum, char *err, size_t errlen)
{
	struct worker *ws = NULL;
	struct tree tr;
	unsigned nw;
	long ncpu;
	int rc = -1;
	uint64_t t0 = mono_now();
	char **rootv = NULL;

	memset(sum, 0, sizeof(*sum));
	snprintf(sum->rules_version, sizeof(sum->rules_version), "%s", rules_version(r));
	sum->rules = rules_count(r);
	sum->cpu_ceiling = o->cpu_percent;
	if (nroots == 0)
		return errf(err, errlen, "nothing to scan: no paths");
	nw = o->threads;
	if (nw == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nw = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (nw > SCAN_MAX_THREADS)
		return errf(err, errlen, "threads: at most %d", SCAN_MAX_THREADS);
	/* under a ceiling of N cores, no more than N files at once (duty.h) */
	if (o->cpu_percent > 0 && nw > (o->cpu_percent + 99) / 100)
		nw = (o->cpu_percent + 99) / 100;
	sum->threads = nw;

	memset(&tr, 0, sizeof(tr));
	tr.r = r;
	tr.o = o;
	tr.qcap = o->queue ? o->queue : SCAN_DEFAULT_QUEUE;
	tr.q = calloc(tr.qcap, sizeof(*tr.q));
	rootv = calloc(nroots + 1, sizeof(*rootv));
	ws = calloc(nw + 1, sizeof(*ws));   /* ws[nw] is the walker */
	if (tr.q == NULL || rootv == NULL || ws == NULL) {
		errf(err, errlen, "out of memory");
		goto out_free;
	}
	for (size_t i = 0; i < nroots; i++)
		rootv[i] = (char *)roots[i];
	tr.roots = rootv;
	pthread_mutex_init(&tr.lock, NULL);
	pthread_cond_init(&tr.nonempty, NULL);
	pthread_cond_init(&tr.nonfull, NULL);
	duty_init(&tr.duty, o->cpu_percent);

	for (unsigned i = 0; i <= nw; i++) {
		ws[i].tr = &tr;
		ws[i].t = scan_thread_new(r, o, err, errlen);
		if (ws[i].t == NULL)
			goto out_threads;
	}
	for (unsigned i = 0; i <= nw; i++) {
		int e = pthread_create(&ws[i].tid, NULL, i < nw ? work : walk, &ws[i]);

		if (e != 0) {
			errf(err, errlen, "cannot start a scan thread: %s", strerror(e));
			/* let the started workers end */
			pthread_mutex_lock(&tr.lock);
			tr.done = true;
			pthread_cond_broadcast(&tr.nonempty);
			pthread_mutex_unlock(&tr.lock);
			goto out_join;
		}
		ws[i].started = true;
	}
	rc = 0;
out_join:
	/* the walker first: it may wait for room in the queue */
	if (ws[nw].started)
		pthread_join(ws[nw].tid, NULL);
	for (unsigned i = 0; i < nw; i++)
		if (ws[i].started)
			pthread_join(ws[i].tid, NULL);
	for (unsigned i = 0; i <= nw; i++)
		add_sum(sum, &ws[i].sum);
	sum->cpu_ns = duty_cpu_ns(&tr.duty);
out_threads:
	for (unsigned i = 0; i <= nw; i++)
		scan_thread_free(ws[i].t);
	pthread_mutex_destroy(&tr.lock);
	pthread_cond_destroy(&tr.nonempty);
	pthread_cond_destroy(&tr.nonfull);
out_free:
	free(tr.q);
	free(rootv);
	free(ws);
	if (stopped(o))
		sum->stopped = true;
	sum->wall_ns = mono_now() - t0;
	if (sum->wall_ns > 0)
		sum->cpu_percent = 100.0 * (double)sum->cpu_ns / (double)sum->wall_ns;
	return rc;
}
