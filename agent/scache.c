/*
 * scache.c - see scache.h.
 *
 * Written by hand rather than on SQLite (STYLE 13): the rescan of an
 * unchanged tree must cost little more than the walk, so a lookup is a
 * probe in an in-memory hash table, and the file is only a snapshot of
 * that table written after a scan.
 *
 * In memory: the entries in a dense array (CLOCK eviction walks it, one
 * "looked up" byte per entry), and an open-addressing index of uint32
 * positions into it (linear probing, at most half full, removal by
 * backward shift), hashed on (device, inode).
 *
 * The file (integers little-endian):
 *
 *    0  8  magic ff "KSCACHE"
 *    8  4  format version (1)          12  4  entry size (48)
 *   16  8  entry count                 24  8  max_entries when written
 *   32     entries: dev, ino, size, mtime_ns, ctime_ns, rules tag (8 each)
 *   end 32 SHA-256 of everything before it
 */
#include "scache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "errf.h"
#include "fdio.h"

#define MAGIC "\xffKSCACHE"
#define FORMAT_VERSION 1
#define ENT_BYTES 48
#define HDR_BYTES 32
#define SUM_BYTES 32
#define EMPTY UINT32_MAX
#define IO_CHUNK (1u << 20)

struct ent {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	uint64_t rules;
};

struct scache {
	pthread_mutex_t lock;
	char *path;               /* NULL: memory only */
	struct ent *ents;
	uint8_t *ref;
	uint32_t n, cap;          /* entries used, allocated */
	uint32_t max;
	uint32_t hand;            /* CLOCK position */
	uint32_t *idx;
	uint32_t mask;            /* index size - 1 */
	struct scache_stats st;
};


static uint64_t mix(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ (dev + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

/* Index slot holding entry pos, or of (dev, ino) when pos is EMPTY. */
static uint32_t find_slot(const struct scache *c, uint64_t dev, uint64_t ino, uint32_t *out)
{
	uint32_t i = (uint32_t)mix(dev, ino) & c->mask;

	for (;;) {
		uint32_t p = c->idx[i];

		if (p == EMPTY) {
			*out = i;
			return EMPTY;
		}
		if (c->ents[p].dev == dev && c->ents[p].ino == ino) {
			*out = i;
			return p;
		}
		i = (i + 1) & c->mask;
	}
}

static void index_remove(struct scache *c, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t k;

		j = (j + 1) & c->mask;
		if (c->idx[j] == EMPTY)
			break;
		k = (uint32_t)mix(c->ents[c->idx[j]].dev, c->ents[c->idx[j]].ino) & c->mask;
		/* leave it when its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->idx[i] = c->idx[j];
		i = j;
	}
	c->idx[i] = EMPTY;
}

static int index_build(struct scache *c, uint32_t size)
{
	uint32_t *idx = malloc((size_t)size * sizeof(*idx));

	if (idx == NULL)
		return -1;
	memset(idx, 0xff, (size_t)size * sizeof(*idx));
	free(c->idx);
	c->idx = idx;
	c->mask = size - 1;
	for (uint32_t p = 0; p < c->n; p++) {
		uint32_t s;

		find_slot(c, c->ents[p].dev, c->ents[p].ino, &s);
		c->idx[s] = p;
	}
	return 0;
}

/* Room for one more entry in the arrays and the index (cap <= max). */
static int grow(struct scache *c)
{
	uint32_t ncap;
	struct ent *e;
	uint8_t *r;

	if (c->n < c->cap)
		return 0;
	ncap = c->cap ? c->cap * 2 : 1024;
	if (ncap > c->max)
		ncap = c->max;
	e = realloc(c->ents, (size_t)ncap * sizeof(*e));
	if (e == NULL)
		return -1;
	c->ents = e;
	r = realloc(c->ref, ncap);
	if (r == NULL)
		return -1;
	c->ref = r;
	/* the index first: cap only grows once the index can hold it half full */
	if ((uint64_t)ncap * 2 > (uint64_t)c->mask + 1) {
		uint64_t size = 1;

		while (size < (uint64_t)ncap * 2)
			size *= 2;
		if (size > (1ull << 31) || index_build(c, (uint32_t)size) < 0)
			return -1;
	}
	c->cap = ncap;
	return 0;
}

static void put_locked(struct scache *c, const struct scache_key *k)
{
	struct ent e = { k->dev, k->ino, k->size, k->mtime_ns, k->ctime_ns, k->rules };
	uint32_t slot, p;

	p = find_slot(c, k->dev, k->ino, &slot);
	if (p != EMPTY) {
		c->ents[p] = e;
		c->ref[p] = 1;
		c->st.inserts++;
		return;
	}
	if (c->n < c->max && grow(c) == 0) {
		p = c->n++;
		c->ents[p] = e;
		c->ref[p] = 0;
		find_slot(c, k->dev, k->ino, &slot);   /* the index may have been rebuilt */
		c->idx[slot] = p;
		c->st.inserts++;
		return;
	}
	if (c->n == 0)
		return;   /* no memory for even one entry: not cached */
	/* full: second chance for what was looked up since the hand passed */
	while (c->ref[c->hand]) {
		c->ref[c->hand] = 0;
		c->hand = (c->hand + 1) % c->n;
	}
	p = c->hand;
	c->hand = (c->hand + 1) % c->n;
	find_slot(c, c->ents[p].dev, c->ents[p].ino, &slot);
	index_remove(c, slot);
	c->ents[p] = e;
	c->ref[p] = 0;
	find_slot(c, k->dev, k->ino, &slot);
	c->idx[slot] = p;
	c->st.evictions++;
	c->st.inserts++;
}

uint64_t scache_rules_tag(const char *v)
{
	uint64_t t = 0;

	for (int i = 0; i < 16 && v[i] != '\0'; i++) {
		char ch = v[i];
		unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') :
			     ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10) :
			     ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 0;
		t = t << 4 | d;
	}
	return t;
}

void scache_key(struct scache_key *k, const struct stat *st, uint64_t rules_tag)
{
	k->dev = (uint64_t)st->st_dev;
	k->ino = (uint64_t)st->st_ino;
	k->size = (uint64_t)st->st_size;
	k->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	k->rules = rules_tag;
}

bool scache_lookup(struct scache *c, const struct scache_key *k)
{
	uint32_t slot, p;
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	p = find_slot(c, k->dev, k->ino, &slot);
	if (p != EMPTY) {
		const struct ent *e = &c->ents[p];

		hit = e->size == k->size && e->mtime == k->mtime_ns && e->ctime == k->ctime_ns &&
		      e->rules == k->rules;
		if (hit)
			c->ref[p] = 1;
	}
	if (hit)
		c->st.hits++;
	else
		c->st.misses++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void scache_insert(struct scache *c, const struct scache_key *k)
{
	pthread_mutex_lock(&c->lock);
	put_locked(c, k);
	pthread_mutex_unlock(&c->lock);
}

void scache_forget(struct scache *c, uint64_t dev, uint64_t ino)
{
	uint32_t slot, p, last, lslot;

	pthread_mutex_lock(&c->lock);
	p = find_slot(c, dev, ino, &slot);
	if (p != EMPTY) {
		index_remove(c, slot);
		last = c->n - 1;
		if (p != last) {
			/* move the last entry into the hole */
			find_slot(c, c->ents[last].dev, c->ents[last].ino, &lslot);
			c->ents[p] = c->ents[last];
			c->ref[p] = c->ref[last];
			c->idx[lslot] = p;
		}
		c->n--;
		if (c->hand >= c->n)
			c->hand = 0;
	}
	pthread_mutex_unlock(&c->lock);
}

void scache_stats(struct scache *c, struct scache_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	st->entries = c->n;
	st->max_entries = c->max;
	pthread_mutex_unlock(&c->lock);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Exactly n bytes from fd; -1 at an error or an early end of the file. */
static int read_full(int fd, unsigned char *buf, size_t n)
{
	return fdio_read_upto(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

static void clear(struct scache *c)
{
	c->n = 0;
	c->hand = 0;
	if (c->idx != NULL)
		memset(c->idx, 0xff, ((size_t)c->mask + 1) * sizeof(*c->idx));
}

/* Read the file into the (empty) cache; -1 with why in err: discarded. */
static int load(struct scache *c, int fd, char *err, size_t errlen)
{
	unsigned char hdr[HDR_BYTES], sum[SUM_BYTES], md[EVP_MAX_MD_SIZE];
	unsigned char *buf = NULL;
	unsigned mdlen = 0;
	uint64_t count, left, dropped = 0;
	struct stat st;
	EVP_MD_CTX *h;
	int rc = -1;

	if (fstat(fd, &st) < 0)
		return errf(err, errlen, "%s", strerror(errno));
	if (st.st_size < HDR_BYTES + SUM_BYTES)
		return errf(err, errlen, "truncated (%lld bytes)", (long long)st.st_size);
	if (read_full(fd, hdr, sizeof(hdr)) < 0)
		return errf(err, errlen, "cannot read the header");
	if (memcmp(hdr, MAGIC, 8) != 0)
		return errf(err, errlen, "not a scan cache (bad magic)");
	if (get32(hdr + 8) != FORMAT_VERSION || get32(hdr + 12) != ENT_BYTES)
		return errf(err, errlen, "format version %u, entry size %u (want %d, %d)",
			    get32(hdr + 8), get32(hdr + 12), FORMAT_VERSION, ENT_BYTES);
	count = get64(hdr + 16);
	if (count > SCACHE_MAX_ENTRIES ||
	    (uint64_t)st.st_size != HDR_BYTES + count * ENT_BYTES + SUM_BYTES)
		return errf(err, errlen, "truncated or damaged: %lld bytes for %llu entries",
			    (long long)st.st_size, (unsigned long long)count);
	h = EVP_MD_CTX_new();
	buf = malloc(IO_CHUNK / ENT_BYTES * ENT_BYTES);
	if (h == NULL || buf == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(h, hdr, sizeof(hdr)) != 1) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	left = count;
	while (left > 0) {
		size_t k = left > IO_CHUNK / ENT_BYTES ? IO_CHUNK / ENT_BYTES : (size_t)left;

		if (read_full(fd, buf, k * ENT_BYTES) < 0) {
			errf(err, errlen, "cannot read the entries (truncated?)");
			goto out;
		}
		if (EVP_DigestUpdate(h, buf, k * ENT_BYTES) != 1) {
			errf(err, errlen, "SHA-256 failed");
			goto out;
		}
		for (size_t i = 0; i < k; i++) {
			const unsigned char *p = buf + i * ENT_BYTES;
			struct scache_key key = { get64(p), get64(p + 8), get64(p + 16),
						  (int64_t)get64(p + 24), (int64_t)get64(p + 32),
						  get64(p + 40) };

			if (c->n >= c->max) {
				dropped++;
				continue;
			}
			put_locked(c, &key);
		}
		left -= k;
	}
	if (read_full(fd, sum, sizeof(sum)) < 0 || EVP_DigestFinal_ex(h, md, &mdlen) != 1 ||
	    mdlen != SUM_BYTES || memcmp(md, sum, SUM_BYTES) != 0) {
		errf(err, errlen, "checksum mismatch (damaged)");
		goto out;
	}
	c->st.loaded = c->n;
	c->st.evictions += dropped;
	rc = 0;
out:
	EVP_MD_CTX_free(h);
	free(buf);
	if (rc < 0)
		clear(c);
	c->st.inserts = 0;
	return rc;
}

struct scache *scache_open(const char *path, uint64_t max_entries, char *err, size_t errlen)
{
	struct scache *c;
	char why[256];
	int fd;

	if (max_entries == 0)
		max_entries = SCACHE_DEFAULT_ENTRIES;
	if (max_entries > SCACHE_MAX_ENTRIES) {
		errf(err, errlen, "scan cache: at most %u entries", SCACHE_MAX_ENTRIES);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->max = (uint32_t)max_entries;
	if (path != NULL && (c->path = strdup(path)) == NULL) {
		scache_close(c);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (index_build(c, 2048) < 0) {
		scache_close(c);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL)
		return c;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			errf(err, errlen, "scan cache %s discarded: %s", path, strerror(errno));
		return c;
	}
	if (load(c, fd, why, sizeof(why)) < 0)
		errf(err, errlen, "scan cache %s discarded: %s", path, why);
	close(fd);
	return c;
}

int scache_save(struct scache *c, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	char tmp[PATH_MAX], dir[PATH_MAX];
	unsigned mdlen = 0;
	size_t used = 0;
	EVP_MD_CTX *h;
	char *slash;
	int fd, dfd, m;
	bool ok = true;

	if (c->path == NULL)
		return 0;
	m = snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
	if (m < 0 || (size_t)m >= sizeof(tmp))
		return errf(err, errlen, "scan cache %s: path too long", c->path);
	buf = malloc(IO_CHUNK + ENT_BYTES);
	h = EVP_MD_CTX_new();
	if (buf == NULL || h == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1) {
		free(buf);
		EVP_MD_CTX_free(h);
		return errf(err, errlen, "out of memory");
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		errf(err, errlen, "scan cache %s: %s", tmp, strerror(errno));
		free(buf);
		EVP_MD_CTX_free(h);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	memcpy(buf, MAGIC, 8);
	put32(buf + 8, FORMAT_VERSION);
	put32(buf + 12, ENT_BYTES);
	put64(buf + 16, c->n);
	put64(buf + 24, c->max);
	used = HDR_BYTES;
	for (uint32_t i = 0; ok && i <= c->n; i++) {
		if (used + ENT_BYTES > IO_CHUNK || i == c->n) {
			ok = EVP_DigestUpdate(h, buf, used) == 1 && fdio_write_all(fd, buf, used) == 0;
			used = 0;
		}
		if (i == c->n)
			break;
		put64(buf + used, c->ents[i].dev);
		put64(buf + used + 8, c->ents[i].ino);
		put64(buf + used + 16, c->ents[i].size);
		put64(buf + used + 24, (uint64_t)c->ents[i].mtime);
		put64(buf + used + 32, (uint64_t)c->ents[i].ctime);
		put64(buf + used + 40, c->ents[i].rules);
		used += ENT_BYTES;
	}
	pthread_mutex_unlock(&c->lock);
	ok = ok && EVP_DigestFinal_ex(h, md, &mdlen) == 1 && mdlen == SUM_BYTES &&
	     fdio_write_all(fd, md, SUM_BYTES) == 0;
	if (!ok)
		errf(err, errlen, "scan cache %s: write: %s", tmp, strerror(errno));
	free(buf);
	EVP_MD_CTX_free(h);
	if (ok && fsync(fd) < 0) {
		errf(err, errlen, "scan cache %s: fsync: %s", tmp, strerror(errno));
		ok = false;
	}
	if (close(fd) < 0 && ok) {
		errf(err, errlen, "scan cache %s: close: %s", tmp, strerror(errno));
		ok = false;
	}
	if (ok && rename(tmp, c->path) < 0) {
		errf(err, errlen, "scan cache %s: rename: %s", c->path, strerror(errno));
		ok = false;
	}
	if (!ok) {
		unlink(tmp);
		return -1;
	}
	/* the rename is durable once the directory is */
	snprintf(dir, sizeof(dir), "%s", c->path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		errf(err, errlen, "scan cache %s: fsync of %s: %s", c->path, dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

void scache_close(struct scache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c->ents);
	free(c->ref);
	free(c->idx);
	free(c);
}
