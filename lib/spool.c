/*
 * spool.c - see spool.h.
 *
 * Written by hand, not on SQLite (STYLE 13): the bound is in bytes on disk
 * with a drop order by class, and a drop must give those bytes back at once
 * (SQLite reuses freed pages but shrinks its file only by a VACUUM that
 * rewrites all of it). An append-only log with a checksum per record also
 * recovers record by record after a torn write, and its reader is small
 * enough to fuzz (tests/fuzz/fuzz_spool.c).
 *
 * On disk, in the spool directory (files 0600, the directory 0700):
 *
 *   LOCK                  empty; the owner holds flock(LOCK_EX) on it
 *   meta                  112 bytes, replaced atomically (meta.tmp, fsync,
 *                         rename, fsync of the directory)
 *   heartbeat-<seq>.seg   one chain of segment files per class; <seq> is 16
 *   event-<seq>.seg       lower-case hex digits, the sequence number of the
 *   finding-<seq>.seg     segment's first record, so names sort in chain order
 *
 * A segment is records back to back, nothing else. A record (integers
 * little-endian):
 *
 *    0  4  magic ff 4b 53 52 ("\xffKSR"; 0xff never occurs in UTF-8, so a
 *          JSON payload cannot hold something that passes for a header)
 *    4  4  payload length (<= SPOOL_RECORD_LIMIT)
 *    8  8  sequence number (>= 1)
 *   16  1  class (0 heartbeat, 1 event, 2 finding; the chain's own)
 *   17  3  zero
 *   20  4  CRC32C of bytes 0..19 and of the payload
 *   24     payload
 *
 * Within a chain sequence numbers strictly increase, across its segments
 * too; the three chains share one sequence and the reader merges them.
 * Keeping the classes apart makes the drop order cheap: the oldest segment
 * of the least valuable class is deleted whole, so one drop loses up to one
 * segment (segment_bytes) of that class.
 *
 * meta (integers little-endian):
 *
 *    0  4  magic ff 4b 53 4d ("\xffKSM")   4  4  version (1)
 *    8  8  next: every sequence number ever handed out is below it
 *   16  8  acked: every record <= it is acknowledged
 *   24 24  records dropped, per class      48 24  bytes dropped, per class
 *   72 32  damage ever: regions, region bytes, tails, tail bytes
 *  104  4  CRC32C of bytes 0..103        108  4  zero
 *
 * Sequence numbers are reserved in blocks: before a record gets number N,
 * meta says next > N (one meta write per SEQ_BLOCK appends; closing writes
 * the exact next). So after a crash, and after everything was acknowledged
 * and deleted, numbering goes on above every number used; a crash skips at
 * most SEQ_BLOCK numbers. A record numbered next or above cannot be ours and
 * counts as damage. When meta is lost or damaged while segments exist, the
 * acknowledged point is lost too (records are sent again) and numbering
 * jumps to wall-clock seconds * 2^20, above anything a spool reaches at less
 * than a million records a second. Deleting meta by hand from an empty spool
 * restarts numbering at 1: don't.
 *
 * Damage is repaired on open: a tail after the last valid record is cut
 * (ftruncate), a segment with damaged stretches inside is rewritten without
 * them (copy, fdatasync, rename), counts go to meta before the repair. So
 * while a spool is open its segments hold valid records only; damage that
 * appears later (the disk changing under us) is skipped by the reader and
 * counted once, by position.
 *
 * Memory: an index entry per segment file (first and last sequence, size,
 * records, the acknowledged part), at most MAX_SEGMENTS of them. A chain
 * does not grow beyond about 2 * max_bytes / segment_bytes segments (two
 * neighbours hold more than segment_bytes together) and the configuration
 * allows at most MAX_CONFIG_SEGMENTS segments of max_bytes. Files are read
 * through one 64 KiB window per class; a record handed out is copied whole
 * into a buffer that grows to the largest record read.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"

#define HDR_LEN SPOOL_RECORD_OVERHEAD
#define META_LEN 112
#define META_VERSION 1
#define WIN (64u << 10)               /* read window per class */
#define SEQ_BLOCK 4096                /* sequence numbers reserved per meta write */
#define MAX_SEGMENTS 65536            /* segment files an open accepts */
#define MAX_CONFIG_SEGMENTS 8192      /* max_bytes / segment_bytes */
#define NAME_LEN 48                   /* "heartbeat-" + 16 hex + ".seg.tmp" + NUL fits */
#define SEQ_MAX (1ull << 62)          /* numbers stay below: no overflow anywhere */

static const uint8_t rec_magic[4] = { 0xff, 'K', 'S', 'R' };
static const uint8_t meta_magic[4] = { 0xff, 'K', 'S', 'M' };
static const char *const class_names[SPOOL_NCLASS] = { "heartbeat", "event", "finding" };

/* CRC32C (Castagnoli, reflected polynomial 0x82f63b78), one table. */
static const uint32_t crc_tab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_tab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A read window over one segment file of a class. */
struct rd {
	int fd;              /* -1: none open */
	uint64_t seg;        /* first sequence (the name) of the segment open */
	uint64_t wpos;       /* file offset of w[0] */
	size_t wlen;         /* bytes valid in w */
	int err;             /* errno of the last failed read; -1: file too short */
	uint8_t *w;          /* WIN bytes */
};

/* A record header that passed every check. */
struct rh {
	uint64_t seq;
	uint32_t len;
};

struct seg {
	uint64_t first;      /* from the file name */
	uint64_t last;       /* sequence of its last record; 0: none */
	uint64_t size;       /* bytes in the file: valid records only */
	uint64_t nrec;       /* records in it */
	uint64_t nacked;     /* of which acknowledged (only a chain's head has any) */
	uint64_t ack_off;    /* where its records not yet acknowledged start */
	bool damaged;        /* damage met while running: repaired by spool_close() */
};

struct chain {
	struct seg *s;       /* oldest first */
	size_t n, cap;
	int wfd;             /* the last segment, open for appending; -1 */
	bool dirty;          /* wfd has writes not yet synced */
	bool fresh;          /* start a new segment first: a failed write left the last one unsure */
};

/* Where the reader is in one chain. */
struct cursor {
	size_t si;           /* segment index in the chain */
	uint64_t off;        /* where to look next */
	uint64_t min;        /* sequence of the last record passed */
	bool have;           /* a record was found at `at`, header h */
	uint64_t at;
	struct rh h;
};

/* How far (segment, offset) damage found while running has been counted. */
struct mark {
	uint64_t seg, off;
};

struct spool {
	char *dir;                      /* for messages */
	int dirfd, lockfd;
	uint64_t max_bytes, seg_bytes;
	uint32_t max_record;
	struct chain ch[SPOOL_NCLASS];
	struct rd rd[SPOOL_NCLASS];
	struct mark dmark[SPOOL_NCLASS];
	uint64_t next_seq;              /* the next append gets this */
	uint64_t reserved;              /* meta's next: numbers below it may be in use */
	uint64_t acked;
	uint64_t dropped[SPOOL_NCLASS], dropped_bytes[SPOOL_NCLASS];
	struct spool_damage dmg_total, dmg_open;
	uint64_t disk_bytes;            /* all segment files */
	uint64_t nsegs;
	bool dir_dirty;                 /* a segment was created since the directory's fsync */
	bool meta_dirty;                /* counters changed since meta was written */
	uint64_t gen;                   /* bumped when segments go away: cursors are stale */
	bool cont_ok;                   /* cont[] continues a read that ended at cont_last */
	uint64_t cont_gen, cont_last;
	struct cursor cont[SPOOL_NCLASS];
	uint8_t *buf;                   /* the record handed to a reader */
	size_t bufcap;
};

/* What recovery found in one segment file. */
struct segscan {
	uint64_t size;          /* of the file */
	uint64_t valid_end;     /* end of its last valid record */
	uint64_t nrec, nacked, ack_off, last;
	uint64_t min;           /* the chain's last sequence before it */
	uint64_t regions, region_bytes, tail_bytes;
};

__attribute__((format(printf, 4, 5)))
static void seterr(const char *dir, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return;
	n = snprintf(err, errlen, "spool %s: ", dir ? dir : "(none)");
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *spool_class_name(enum spool_class cls)
{
	if ((int)cls < 0 || cls >= SPOOL_NCLASS)
		return "?";
	return class_names[cls];
}

static void seg_name(char *out, int c, uint64_t first, const char *suffix)
{
	/* cannot be cut: the longest is 10 + 16 + 8 bytes */
	snprintf(out, NAME_LEN, "%s-%016" PRIx64 ".seg%s", class_names[c], first, suffix);
}

/* The class and first sequence of a name "<class>-<16 hex>.seg<suffix>". */
static bool parse_name(const char *name, const char *suffix, int *c, uint64_t *first)
{
	for (int k = 0; k < SPOOL_NCLASS; k++) {
		size_t l = strlen(class_names[k]);
		const char *p = name + l + 1;
		uint64_t v = 0;
		int i;

		if (strncmp(name, class_names[k], l) != 0 || name[l] != '-')
			continue;
		for (i = 0; i < 16; i++) {
			char d = p[i];

			if (d >= '0' && d <= '9')
				v = v << 4 | (uint64_t)(d - '0');
			else if (d >= 'a' && d <= 'f')
				v = v << 4 | (uint64_t)(d - 'a' + 10);
			else
				return false;
		}
		if (strncmp(p + 16, ".seg", 4) != 0 || strcmp(p + 20, suffix) != 0)
			return false;
		*c = k;
		*first = v;
		return true;
	}
	return false;
}

static int pwritev_all(int fd, struct iovec *iov, int cnt, uint64_t off)
{
	while (cnt > 0 && iov->iov_len == 0) {
		iov++;
		cnt--;
	}
	while (cnt > 0) {
		ssize_t w = pwritev(fd, iov, cnt, (off_t)off);
		size_t done;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (uint64_t)w;
		done = (size_t)w;
		while (cnt > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

/* ---- reading segment files ---------------------------------------------- */

static void rd_close(struct rd *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->wlen = 0;
	r->err = 0;
}

/* Point class c's window at segment s (a no-op when it is there already). */
static int rd_open(struct spool *sp, int c, const struct seg *s, char *err, size_t errlen)
{
	struct rd *r = &sp->rd[c];
	char name[NAME_LEN];

	r->err = 0;
	if (r->fd >= 0 && r->seg == s->first)
		return 0;
	rd_close(r);
	seg_name(name, c, s->first, "");
	r->fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (r->fd < 0) {
		seterr(sp->dir, err, errlen, "cannot open %s: %s", name, strerror(errno));
		return -1;
	}
	r->seg = s->first;
	return 0;
}

static void rd_seterr(struct spool *sp, int c, char *err, size_t errlen)
{
	char name[NAME_LEN];

	seg_name(name, c, sp->rd[c].seg, "");
	if (sp->rd[c].err == -1)
		seterr(sp->dir, err, errlen, "%s is shorter than expected: was it changed "
		       "by another program while the spool was open?", name);
	else
		seterr(sp->dir, err, errlen, "cannot read %s: %s", name, strerror(sp->rd[c].err));
}

/*
 * The n (<= WIN) bytes at off of the open segment, whose valid part ends at
 * end. NULL when they are not all below end, or the read failed (r->err).
 * The pointer is good until the next call.
 */
static const uint8_t *rd_at(struct rd *r, uint64_t off, size_t n, uint64_t end)
{
	size_t want, got = 0;

	if (off > end || n > end - off)
		return NULL;
	if (off >= r->wpos && off - r->wpos <= r->wlen && n <= r->wlen - (off - r->wpos))
		return r->w + (off - r->wpos);
	want = end - off < WIN ? (size_t)(end - off) : WIN;
	r->wlen = 0;
	while (got < want) {
		ssize_t k = pread(r->fd, r->w + got, want - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r->err = k < 0 ? errno : -1;
			return NULL;
		}
		got += (size_t)k;
	}
	r->wpos = off;
	r->wlen = got;
	return r->w;
}

/*
 * Is there a valid record of class c at off, ending at or before end,
 * numbered above min and below lim? Checks the CRC. False with r->err set on
 * a read error.
 */
static bool rec_valid(struct rd *r, int c, uint64_t off, uint64_t end, uint64_t min,
		      uint64_t lim, struct rh *h)
{
	const uint8_t *p = rd_at(r, off, HDR_LEN, end);
	uint32_t crc, want;
	uint64_t pos, left;

	if (!p || memcmp(p, rec_magic, 4) != 0 || p[16] != c || p[17] || p[18] || p[19])
		return false;
	h->len = get32(p + 4);
	h->seq = get64(p + 8);
	want = get32(p + 20);
	if (h->len > SPOOL_RECORD_LIMIT || h->len > end - off - HDR_LEN ||
	    h->seq <= min || h->seq >= lim)
		return false;
	crc = crc32c(0, p, 20);
	pos = off + HDR_LEN;
	left = h->len;
	while (left > 0) {
		size_t n = left < WIN ? (size_t)left : WIN;
		const uint8_t *q = rd_at(r, pos, n, end);

		if (!q)
			return false;
		crc = crc32c(crc, q, n);
		pos += n;
		left -= n;
	}
	return crc == want;
}

/* The next place at or after pos where the record magic starts; end if none. */
static uint64_t find_magic(struct rd *r, uint64_t pos, uint64_t end)
{
	while (pos < end && end - pos >= sizeof(rec_magic)) {
		size_t n = end - pos < WIN ? (size_t)(end - pos) : WIN;
		const uint8_t *p = rd_at(r, pos, n, end);
		const uint8_t *m;

		if (!p)
			return end;
		m = memmem(p, n, rec_magic, sizeof(rec_magic));
		if (m)
			return pos + (uint64_t)(m - p);
		pos += n - (sizeof(rec_magic) - 1);
	}
	return end;
}

/*
 * The first valid record (see rec_valid) at or after off: 1 and *at, *h;
 * 0 when there is none before end; -1 on a read error (r->err).
 */
static int scan(struct rd *r, int c, uint64_t off, uint64_t end, uint64_t min, uint64_t lim,
		uint64_t *at, struct rh *h)
{
	uint64_t pos = off;

	while (pos < end && end - pos >= HDR_LEN) {
		if (rec_valid(r, c, pos, end, min, lim, h)) {
			*at = pos;
			return 1;
		}
		if (r->err)
			return -1;
		pos = find_magic(r, pos + 1, end);
		if (r->err)
			return -1;
	}
	return 0;
}

/*
 * Count damage met while running in [from, to) of segment s, once (readers
 * and the acknowledgement pass the same place), and have it repaired on
 * close so that the next open does not count it again.
 */
static void note_damage(struct spool *sp, int c, struct seg *s, uint64_t from, uint64_t to)
{
	struct mark *m = &sp->dmark[c];

	if (s->first < m->seg || (s->first == m->seg && to <= m->off))
		return;
	if (s->first == m->seg && m->off > from)
		from = m->off;
	if (to > from) {
		sp->dmg_total.regions++;
		sp->dmg_total.region_bytes += to - from;
		sp->meta_dirty = true;
		s->damaged = true;
	}
	m->seg = s->first;
	m->off = to;
}

/* ---- meta ------------------------------------------------------------- */

struct meta {
	uint64_t next, acked;
	uint64_t dropped[SPOOL_NCLASS], dropped_bytes[SPOOL_NCLASS];
	struct spool_damage dmg;
};

/* Replace meta with the spool's state: temp file, fsync, rename, fsync dir. */
static int meta_write(struct spool *sp, char *err, size_t errlen)
{
	uint8_t m[META_LEN];
	int fd;

	memset(m, 0, sizeof(m));
	memcpy(m, meta_magic, 4);
	put32(m + 4, META_VERSION);
	put64(m + 8, sp->reserved);
	put64(m + 16, sp->acked);
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		put64(m + 24 + 8 * c, sp->dropped[c]);
		put64(m + 48 + 8 * c, sp->dropped_bytes[c]);
	}
	put64(m + 72, sp->dmg_total.regions);
	put64(m + 80, sp->dmg_total.region_bytes);
	put64(m + 88, sp->dmg_total.tails);
	put64(m + 96, sp->dmg_total.tail_bytes);
	put32(m + 104, crc32c(0, m, 104));

	fd = openat(sp->dirfd, "meta.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		seterr(sp->dir, err, errlen, "cannot create meta.tmp: %s", strerror(errno));
		return -1;
	}
	if (fdio_write_all(fd, m, sizeof(m)) < 0 || fsync(fd) < 0) {
		seterr(sp->dir, err, errlen, "cannot write meta.tmp: %s", strerror(errno));
		close(fd);
		unlinkat(sp->dirfd, "meta.tmp", 0);
		return -1;
	}
	if (close(fd) < 0) {
		seterr(sp->dir, err, errlen, "cannot write meta.tmp: %s", strerror(errno));
		unlinkat(sp->dirfd, "meta.tmp", 0);
		return -1;
	}
	if (renameat(sp->dirfd, "meta.tmp", sp->dirfd, "meta") < 0) {
		seterr(sp->dir, err, errlen, "cannot rename meta.tmp to meta: %s", strerror(errno));
		unlinkat(sp->dirfd, "meta.tmp", 0);
		return -1;
	}
	if (fsync(sp->dirfd) < 0) {
		seterr(sp->dir, err, errlen, "cannot sync the directory after writing meta: %s",
		       strerror(errno));
		return -1;
	}
	sp->meta_dirty = false;
	return 0;
}

/* 1: read into *mt; 0: there is none; -2: it is damaged; -1: cannot read it. */
static int meta_read(struct spool *sp, struct meta *mt, char *err, size_t errlen)
{
	uint8_t m[META_LEN + 1];
	ssize_t n;
	int fd;

	fd = openat(sp->dirfd, "meta", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return -2;
		seterr(sp->dir, err, errlen, "cannot open meta: %s", strerror(errno));
		return -1;
	}
	n = fdio_read_upto(fd, m, sizeof(m));
	if (n < 0) {
		seterr(sp->dir, err, errlen, "cannot read meta: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (n != META_LEN || memcmp(m, meta_magic, 4) != 0 || get32(m + 4) != META_VERSION ||
	    get32(m + 104) != crc32c(0, m, 104) || get32(m + 108) != 0)
		return -2;
	mt->next = get64(m + 8);
	mt->acked = get64(m + 16);
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		mt->dropped[c] = get64(m + 24 + 8 * c);
		mt->dropped_bytes[c] = get64(m + 48 + 8 * c);
	}
	mt->dmg.regions = get64(m + 72);
	mt->dmg.region_bytes = get64(m + 80);
	mt->dmg.tails = get64(m + 88);
	mt->dmg.tail_bytes = get64(m + 96);
	if (mt->next == 0 || mt->next > SEQ_MAX || mt->acked >= mt->next)
		return -2;
	return 1;
}

/* ---- segments ---------------------------------------------------------- */

static int chain_grow(struct chain *ch)
{
	size_t cap;
	struct seg *s;

	if (ch->n < ch->cap)
		return 0;
	cap = ch->cap ? ch->cap * 2 : 8;
	s = realloc(ch->s, cap * sizeof(*s));
	if (!s)
		return -1;
	ch->s = s;
	ch->cap = cap;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Fill the chains from the directory, oldest first; delete temp files left
 * by a crash. Files that are not regular, and names not ours, are left alone.
 */
static int list_segments(struct spool *sp, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		seterr(sp->dir, err, errlen, "cannot list the directory: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		uint64_t first;
		int c;

		if (parse_name(de->d_name, "", &c, &first)) {
			if (fstatat(sp->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (sp->nsegs >= MAX_SEGMENTS) {
				seterr(sp->dir, err, errlen, "more than %d segment files: this is not "
				       "a spool Kastro wrote; move them away", MAX_SEGMENTS);
				closedir(d);
				return -1;
			}
			if (chain_grow(&sp->ch[c]) < 0) {
				seterr(sp->dir, err, errlen, "out of memory for the segment index");
				closedir(d);
				return -1;
			}
			memset(&sp->ch[c].s[sp->ch[c].n], 0, sizeof(struct seg));
			sp->ch[c].s[sp->ch[c].n++].first = first;
			sp->nsegs++;
		} else if (strcmp(de->d_name, "meta.tmp") == 0 ||
			   parse_name(de->d_name, ".tmp", &c, &first)) {
			unlinkat(sp->dirfd, de->d_name, 0);
		}
	}
	if (errno != 0) {
		seterr(sp->dir, err, errlen, "cannot list the directory: %s", strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	for (int c = 0; c < SPOOL_NCLASS; c++)
		if (sp->ch[c].n > 1)
			qsort(sp->ch[c].s, sp->ch[c].n, sizeof(struct seg), seg_cmp);
	return 0;
}

/* Recovery's look at one segment file: its records numbered above min and below lim. */
static int seg_scan(struct spool *sp, int c, const struct seg *s, uint64_t min, uint64_t lim,
		    struct segscan *o, char *err, size_t errlen)
{
	struct rd *r = &sp->rd[c];
	struct stat st;
	uint64_t pos = 0, at;
	bool ack_set = false;
	struct rh h;

	memset(o, 0, sizeof(*o));
	/* A segment's records are numbered from its name on. */
	if (s->first > 0 && s->first - 1 > min)
		min = s->first - 1;
	o->min = min;
	rd_close(r);
	if (rd_open(sp, c, s, err, errlen) < 0)
		return -1;
	if (fstat(r->fd, &st) < 0) {
		r->err = errno;
		rd_seterr(sp, c, err, errlen);
		return -1;
	}
	o->size = (uint64_t)st.st_size;
	for (;;) {
		int k = scan(r, c, pos, o->size, min, lim, &at, &h);

		if (k < 0) {
			rd_seterr(sp, c, err, errlen);
			return -1;
		}
		if (k == 0)
			break;
		if (at > pos) {
			o->regions++;
			o->region_bytes += at - pos;
		}
		o->nrec++;
		o->last = min = h.seq;
		if (h.seq <= sp->acked) {
			o->nacked++;
		} else if (!ack_set) {
			ack_set = true;
			o->ack_off = at;
		}
		pos = at + HDR_LEN + h.len;
	}
	o->valid_end = pos;
	o->tail_bytes = o->size - pos;
	if (!ack_set)
		o->ack_off = pos;
	return 0;
}

/* Copy a segment's valid records to a new file that replaces it. */
static int seg_rewrite(struct spool *sp, int c, const struct seg *s, const struct segscan *o,
		       uint64_t lim, char *err, size_t errlen)
{
	char name[NAME_LEN], tmp[NAME_LEN];
	struct rd *r = &sp->rd[c];
	uint64_t pos = 0, at, min = o->min;
	struct rh h;
	int fd, k;

	seg_name(name, c, s->first, "");
	seg_name(tmp, c, s->first, ".tmp");
	if (rd_open(sp, c, s, err, errlen) < 0)
		return -1;
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		seterr(sp->dir, err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	while ((k = scan(r, c, pos, o->size, min, lim, &at, &h)) > 0) {
		uint64_t p = at, left = HDR_LEN + (uint64_t)h.len;

		while (left > 0) {
			size_t n = left < WIN ? (size_t)left : WIN;
			const uint8_t *q = rd_at(r, p, n, o->size);

			if (!q) {
				if (r->err == 0)
					r->err = -1;
				k = -1;
				break;
			}
			if (fdio_write_all(fd, q, n) < 0) {
				seterr(sp->dir, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
				goto fail;
			}
			p += n;
			left -= n;
		}
		if (k < 0)
			break;
		min = h.seq;
		pos = at + HDR_LEN + h.len;
	}
	if (k < 0) {
		rd_seterr(sp, c, err, errlen);
		goto fail;
	}
	if (fdatasync(fd) < 0 || close(fd) < 0) {
		seterr(sp->dir, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(sp->dirfd, tmp, sp->dirfd, name) < 0) {
		seterr(sp->dir, err, errlen, "cannot rename %s to %s: %s", tmp, name, strerror(errno));
		goto fail;
	}
	rd_close(r);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(sp->dirfd, tmp, 0);
	return -1;
}

static int seg_truncate(struct spool *sp, int c, const struct seg *s, uint64_t size,
			char *err, size_t errlen)
{
	char name[NAME_LEN];
	int fd;

	seg_name(name, c, s->first, "");
	rd_close(&sp->rd[c]);
	fd = openat(sp->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fdatasync(fd) < 0) {
		seterr(sp->dir, err, errlen, "cannot cut the damaged tail of %s: %s", name,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Remove the first k[c] segments of every chain. Their records are
 * acknowledged, or counted as dropped, and meta already says so.
 */
static int remove_prefixes(struct spool *sp, const size_t *k, char *err, size_t errlen)
{
	int rc = 0;

	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct chain *ch = &sp->ch[c];

		if (k[c] == 0)
			continue;
		for (size_t i = 0; i < k[c]; i++) {
			struct seg *s = &ch->s[i];
			char name[NAME_LEN];

			seg_name(name, c, s->first, "");
			if (sp->rd[c].fd >= 0 && sp->rd[c].seg == s->first)
				rd_close(&sp->rd[c]);
			if (i == ch->n - 1 && ch->wfd >= 0) {
				close(ch->wfd);
				ch->wfd = -1;
				ch->dirty = false;
				ch->fresh = false;
			}
			if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT && rc == 0) {
				seterr(sp->dir, err, errlen, "cannot delete %s: %s (delete it by hand)",
				       name, strerror(errno));
				rc = -1;
			}
			sp->disk_bytes -= s->size;
			sp->nsegs--;
		}
		memmove(ch->s, ch->s + k[c], (ch->n - k[c]) * sizeof(*ch->s));
		ch->n -= k[c];
	}
	sp->gen++;
	return rc;
}

/*
 * Make room for need more bytes for a record of class cls: delete the
 * oldest segments of the lowest classes up to cls. When only more valuable
 * records are left, the record is refused, and counted as dropped.
 */
static int make_room(struct spool *sp, int cls, uint64_t need, unsigned flags,
		     char *err, size_t errlen)
{
	uint64_t dropped[SPOOL_NCLASS], dropped_bytes[SPOOL_NCLASS];
	size_t k[SPOOL_NCLASS] = { 0 };
	uint64_t left = sp->disk_bytes;

	if (left + need <= sp->max_bytes)
		return 0;
	for (int c = 0; c <= cls; c++)
		while (left + need > sp->max_bytes && k[c] < sp->ch[c].n)
			left -= sp->ch[c].s[k[c]++].size;
	if (left + need > sp->max_bytes) {
		char e2[8];

		sp->dropped[cls]++;
		sp->dropped_bytes[cls] += need;
		sp->meta_dirty = true;
		if (!(flags & SPOOL_NOSYNC))
			meta_write(sp, e2, sizeof(e2));   /* else at spool_sync(); retried then too */
		seterr(sp->dir, err, errlen, "full: %" PRIu64 " of its %" PRIu64 " bytes hold "
		       "records more valuable than this %s record; it was dropped (counted)",
		       left, sp->max_bytes, class_names[cls]);
		return -1;
	}
	memcpy(dropped, sp->dropped, sizeof(dropped));
	memcpy(dropped_bytes, sp->dropped_bytes, sizeof(dropped_bytes));
	for (int c = 0; c < SPOOL_NCLASS; c++)
		for (size_t i = 0; i < k[c]; i++) {
			const struct seg *s = &sp->ch[c].s[i];

			sp->dropped[c] += s->nrec > s->nacked ? s->nrec - s->nacked : 0;
			sp->dropped_bytes[c] += s->size > s->ack_off ? s->size - s->ack_off : 0;
		}
	if (meta_write(sp, err, errlen) < 0) {
		memcpy(sp->dropped, dropped, sizeof(dropped));
		memcpy(sp->dropped_bytes, dropped_bytes, sizeof(dropped_bytes));
		return -1;
	}
	return remove_prefixes(sp, k, err, errlen);
}

/*
 * Move the head segment's acknowledged point of chain c up to sp->acked
 * (the segments entirely acknowledged are gone already).
 */
static int head_advance(struct spool *sp, int c, char *err, size_t errlen)
{
	struct chain *ch = &sp->ch[c];
	struct seg *s;
	struct rh h;
	uint64_t at;

	if (ch->n == 0 || ch->s[0].first > sp->acked)
		return 0;
	s = &ch->s[0];
	if (rd_open(sp, c, s, err, errlen) < 0)
		return -1;
	for (;;) {
		int k = scan(&sp->rd[c], c, s->ack_off, s->size, 0, sp->next_seq, &at, &h);

		if (k < 0) {
			rd_seterr(sp, c, err, errlen);
			return -1;
		}
		if (k == 0) {
			note_damage(sp, c, s, s->ack_off, s->size);
			s->ack_off = s->size;
			return 0;
		}
		if (at > s->ack_off)
			note_damage(sp, c, s, s->ack_off, at);
		if (h.seq > sp->acked) {
			s->ack_off = at;
			return 0;
		}
		s->nacked++;
		s->ack_off = at + HDR_LEN + h.len;
	}
}

/* ---- open and close ----------------------------------------------------- */

static void spool_free(struct spool *sp)
{
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		if (sp->ch[c].wfd >= 0)
			close(sp->ch[c].wfd);
		free(sp->ch[c].s);
		rd_close(&sp->rd[c]);
		free(sp->rd[c].w);
	}
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	if (sp->lockfd >= 0)
		close(sp->lockfd);   /* releases the lock */
	free(sp->buf);
	free(sp->dir);
	free(sp);
}

static int check_config(struct spool *sp, const struct spool_config *cfg, char *err, size_t errlen)
{
	sp->max_bytes = cfg && cfg->max_bytes ? cfg->max_bytes : SPOOL_DEFAULT_MAX_BYTES;
	sp->seg_bytes = cfg && cfg->segment_bytes ? cfg->segment_bytes : SPOOL_DEFAULT_SEGMENT_BYTES;
	sp->max_record = cfg && cfg->max_record ? cfg->max_record : SPOOL_DEFAULT_MAX_RECORD;
	if (sp->max_record > SPOOL_RECORD_LIMIT) {
		seterr(sp->dir, err, errlen, "max_record of %" PRIu32 " bytes is over the limit of %u",
		       sp->max_record, SPOOL_RECORD_LIMIT);
		return -1;
	}
	if (sp->seg_bytes < (uint64_t)sp->max_record + HDR_LEN) {
		seterr(sp->dir, err, errlen, "segment_bytes (%" PRIu64 ") must hold the largest "
		       "record: at least max_record + %d = %" PRIu64, sp->seg_bytes, HDR_LEN,
		       (uint64_t)sp->max_record + HDR_LEN);
		return -1;
	}
	if (sp->max_bytes < sp->seg_bytes) {
		seterr(sp->dir, err, errlen, "max_bytes (%" PRIu64 ") must be at least "
		       "segment_bytes (%" PRIu64 ")", sp->max_bytes, sp->seg_bytes);
		return -1;
	}
	if (sp->max_bytes / sp->seg_bytes > MAX_CONFIG_SEGMENTS) {
		seterr(sp->dir, err, errlen, "max_bytes (%" PRIu64 ") is more than %d segments of "
		       "segment_bytes (%" PRIu64 "): raise segment_bytes", sp->max_bytes,
		       MAX_CONFIG_SEGMENTS, sp->seg_bytes);
		return -1;
	}
	return 0;
}

/* Create the directory (0700) unless it exists, and make its name durable. */
static int make_dir(const char *dir, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	char *slash;
	size_t n;
	int fd;

	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		seterr(dir, err, errlen, "cannot create the directory: %s (its parent must exist)",
		       strerror(errno));
		return -1;
	}
	n = strlen(dir);
	memcpy(parent, dir, n + 1);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	slash = strrchr(parent, '/');
	if (!slash)
		memcpy(parent, ".", 2);
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	/* Best effort: a power cut right now could only lose the empty directory. */
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

static int take_lock(struct spool *sp, char *err, size_t errlen)
{
	sp->lockfd = openat(sp->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->lockfd < 0) {
		seterr(sp->dir, err, errlen, "cannot open LOCK: %s", strerror(errno));
		return -1;
	}
	while (flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			seterr(sp->dir, err, errlen, "in use: another process (or another open in this "
			       "one) holds its LOCK; a spool has one owner: is a second sensor "
			       "running with the same spool directory?");
		else
			seterr(sp->dir, err, errlen, "cannot lock LOCK: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Scan every segment, write meta (when it changes), then repair: delete empty and fully
 * acknowledged segments, cut tails, rewrite segments with damage inside.
 * lim: numbers at or above it are not ours (meta's next, or SEQ_MAX).
 * meta_lost: meta was missing or damaged while segments exist.
 */
static int recover(struct spool *sp, uint64_t lim, bool meta_lost, char *err, size_t errlen)
{
	struct segscan *sc[SPOOL_NCLASS] = { NULL, NULL, NULL };
	uint64_t maxseen = 0;
	int rc = -1;

	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct chain *ch = &sp->ch[c];
		uint64_t min = 0;

		if (ch->n == 0)
			continue;
		sc[c] = calloc(ch->n, sizeof(struct segscan));
		if (!sc[c]) {
			seterr(sp->dir, err, errlen, "out of memory for recovery");
			goto out;
		}
		for (size_t i = 0; i < ch->n; i++) {
			struct segscan *o = &sc[c][i];

			if (seg_scan(sp, c, &ch->s[i], min, lim, o, err, errlen) < 0)
				goto out;
			if (o->nrec > 0)
				min = o->last;
			if (o->regions) {
				sp->dmg_open.regions += o->regions;
				sp->dmg_open.region_bytes += o->region_bytes;
			}
			if (o->tail_bytes) {
				sp->dmg_open.tails++;
				sp->dmg_open.tail_bytes += o->tail_bytes;
			}
		}
		if (min > maxseen)
			maxseen = min;
	}

	if (maxseen + 1 > sp->next_seq)
		sp->next_seq = maxseen + 1;
	if (meta_lost) {
		time_t now = time(NULL);
		uint64_t jump = now > 0 ? (uint64_t)now << 20 : 0;

		if (jump > sp->next_seq && jump < SEQ_MAX / 2)
			sp->next_seq = jump;
	}
	sp->reserved = sp->next_seq;
	sp->dmg_total.regions += sp->dmg_open.regions;
	sp->dmg_total.region_bytes += sp->dmg_open.region_bytes;
	sp->dmg_total.tails += sp->dmg_open.tails;
	sp->dmg_total.tail_bytes += sp->dmg_open.tail_bytes;
	/* Counts and numbering first: a crash while repairing loses neither. */
	if ((meta_lost || sp->dmg_open.regions || sp->dmg_open.tails || sp->next_seq != lim) &&
	    meta_write(sp, err, errlen) < 0)
		goto out;

	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct chain *ch = &sp->ch[c];
		size_t j = 0;

		for (size_t i = 0; i < ch->n; i++) {
			struct segscan *o = &sc[c][i];
			struct seg s = ch->s[i];

			if (o->nrec == 0 || o->last <= sp->acked) {
				char name[NAME_LEN];

				seg_name(name, c, s.first, "");
				rd_close(&sp->rd[c]);
				if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT) {
					seterr(sp->dir, err, errlen, "cannot delete %s: %s", name,
					       strerror(errno));
					goto out;
				}
				sp->nsegs--;
				continue;
			}
			if (o->regions) {
				if (seg_rewrite(sp, c, &s, o, lim, err, errlen) < 0 ||
				    seg_scan(sp, c, &s, o->min, lim, o, err, errlen) < 0)
					goto out;
			} else if (o->tail_bytes) {
				if (seg_truncate(sp, c, &s, o->valid_end, err, errlen) < 0)
					goto out;
			}
			s.last = o->last;
			s.size = o->valid_end;
			s.nrec = o->nrec;
			s.nacked = o->nacked;
			s.ack_off = o->ack_off;
			ch->s[j++] = s;
			sp->disk_bytes += s.size;
		}
		ch->n = j;
	}
	if (fsync(sp->dirfd) < 0) {
		seterr(sp->dir, err, errlen, "cannot sync the directory: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (int c = 0; c < SPOOL_NCLASS; c++)
		free(sc[c]);
	return rc;
}

struct spool *spool_open(const char *dir, const struct spool_config *cfg, char *err, size_t errlen)
{
	struct spool *sp;
	struct meta mt;
	int ms;
	bool meta_lost = false;

	if (err && errlen)
		err[0] = '\0';
	if (!dir || !dir[0] || strlen(dir) >= PATH_MAX) {
		seterr(dir, err, errlen, "no directory, or its name is too long");
		return NULL;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp || !(sp->dir = strdup(dir))) {
		free(sp);
		seterr(dir, err, errlen, "out of memory");
		return NULL;
	}
	sp->dirfd = sp->lockfd = -1;
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		sp->ch[c].wfd = -1;
		sp->rd[c].fd = -1;
		if (!(sp->rd[c].w = malloc(WIN))) {
			seterr(dir, err, errlen, "out of memory");
			goto fail;
		}
	}
	if (check_config(sp, cfg, err, errlen) < 0 || make_dir(dir, err, errlen) < 0)
		goto fail;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		seterr(dir, err, errlen, "cannot open the directory: %s", strerror(errno));
		goto fail;
	}
	if (take_lock(sp, err, errlen) < 0)
		goto fail;
	ms = meta_read(sp, &mt, err, errlen);
	if (ms == -1 || list_segments(sp, err, errlen) < 0)
		goto fail;
	sp->next_seq = 1;
	if (ms == 1) {
		sp->next_seq = mt.next;
		sp->acked = mt.acked;
		memcpy(sp->dropped, mt.dropped, sizeof(sp->dropped));
		memcpy(sp->dropped_bytes, mt.dropped_bytes, sizeof(sp->dropped_bytes));
		sp->dmg_total = mt.dmg;
	} else if (ms == -2 || sp->nsegs > 0) {
		meta_lost = true;
	}
	if (recover(sp, ms == 1 ? mt.next : SEQ_MAX, meta_lost, err, errlen) < 0)
		goto fail;
	/* A smaller max_bytes than the last time: drop by the same order. */
	if (make_room(sp, SPOOL_FINDING, 0, 0, err, errlen) < 0)
		goto fail;

	if (sp->dmg_open.regions || sp->dmg_open.tails || meta_lost) {
		char a[160] = "", b[160] = "", m[200] = "";

		if (sp->dmg_open.regions)
			snprintf(a, sizeof(a), "; skipped %" PRIu64 " damaged stretch(es) of %" PRIu64
				 " bytes (at least as many records lost)", sp->dmg_open.regions,
				 sp->dmg_open.region_bytes);
		if (sp->dmg_open.tails)
			snprintf(b, sizeof(b), "; cut %" PRIu64 " torn or garbage tail(s) of %" PRIu64
				 " bytes", sp->dmg_open.tails, sp->dmg_open.tail_bytes);
		if (meta_lost)
			snprintf(m, sizeof(m), "; meta was %s: the acknowledged point is lost (all "
				 "records will be sent again), numbering goes on at %" PRIu64,
				 ms == -2 ? "damaged" : "missing", sp->next_seq);
		seterr(sp->dir, err, errlen, "repaired on open%s%s%s", a, b, m);
	}
	return sp;
fail:
	spool_free(sp);
	return NULL;
}

int spool_sync(struct spool *sp, char *err, size_t errlen)
{
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct chain *ch = &sp->ch[c];

		if (ch->dirty) {
			if (fdatasync(ch->wfd) < 0) {
				seterr(sp->dir, err, errlen, "cannot sync the %s segment: %s",
				       class_names[c], strerror(errno));
				return -1;
			}
			ch->dirty = false;
		}
	}
	if (sp->dir_dirty) {
		if (fsync(sp->dirfd) < 0) {
			seterr(sp->dir, err, errlen, "cannot sync the directory: %s", strerror(errno));
			return -1;
		}
		sp->dir_dirty = false;
	}
	if (sp->meta_dirty && meta_write(sp, err, errlen) < 0)
		return -1;
	return 0;
}

/* Rewrite the segments where damage was met while running (already counted). */
static int repair_marked(struct spool *sp, char *err, size_t errlen)
{
	bool any = false;

	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct chain *ch = &sp->ch[c];

		for (size_t i = 0; i < ch->n; i++) {
			struct seg *s = &ch->s[i];
			struct segscan o;

			if (!s->damaged)
				continue;
			if (i == ch->n - 1 && ch->wfd >= 0) {
				close(ch->wfd);
				ch->wfd = -1;
			}
			if (seg_scan(sp, c, s, i > 0 ? ch->s[i - 1].last : 0, sp->next_seq, &o,
				     err, errlen) < 0)
				return -1;
			if (o.regions) {
				if (seg_rewrite(sp, c, s, &o, sp->next_seq, err, errlen) < 0)
					return -1;
			} else if (o.tail_bytes) {
				if (seg_truncate(sp, c, s, o.valid_end, err, errlen) < 0)
					return -1;
			}
			s->damaged = false;
			any = true;
		}
	}
	if (any && fsync(sp->dirfd) < 0) {
		seterr(sp->dir, err, errlen, "cannot sync the directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int spool_close(struct spool *sp, char *err, size_t errlen)
{
	int rc = 0;

	if (!sp)
		return 0;
	if (spool_sync(sp, err, errlen) < 0 || repair_marked(sp, err, errlen) < 0) {
		rc = -1;
	} else if (sp->reserved != sp->next_seq) {
		/* Give back the unused reserved numbers: no gap after a clean restart. */
		sp->reserved = sp->next_seq;
		if (meta_write(sp, err, errlen) < 0)
			rc = -1;
	}
	spool_free(sp);
	return rc;
}

/* ---- append ------------------------------------------------------------- */

/* Start a new segment for class c, named after the next sequence number. */
static int seg_start(struct spool *sp, int c, char *err, size_t errlen)
{
	struct chain *ch = &sp->ch[c];
	char name[NAME_LEN];
	int fd;

	if (sp->nsegs >= MAX_SEGMENTS) {
		seterr(sp->dir, err, errlen, "too many segment files (%d)", MAX_SEGMENTS);
		return -1;
	}
	if (chain_grow(ch) < 0) {
		seterr(sp->dir, err, errlen, "out of memory for the segment index");
		return -1;
	}
	if (ch->wfd >= 0) {
		if (ch->dirty && fdatasync(ch->wfd) < 0) {
			seterr(sp->dir, err, errlen, "cannot sync the %s segment: %s",
			       class_names[c], strerror(errno));
			return -1;
		}
		close(ch->wfd);
		ch->wfd = -1;
		ch->dirty = false;
	}
	seg_name(name, c, sp->next_seq, "");
	fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		seterr(sp->dir, err, errlen, "cannot create %s: %s", name, strerror(errno));
		return -1;
	}
	memset(&ch->s[ch->n], 0, sizeof(struct seg));
	ch->s[ch->n++].first = sp->next_seq;
	ch->wfd = fd;
	ch->fresh = false;
	sp->nsegs++;
	sp->dir_dirty = true;
	return 0;
}

int spool_append(struct spool *sp, enum spool_class cls, const void *data, size_t len,
		 unsigned flags, uint64_t *seq, char *err, size_t errlen)
{
	int c = (int)cls;
	uint8_t h[HDR_LEN];
	struct iovec iov[2];
	struct chain *ch;
	struct seg *s;
	char name[NAME_LEN];
	uint64_t need, n;

	if (c < 0 || c >= SPOOL_NCLASS) {
		seterr(sp->dir, err, errlen, "unknown record class %d", c);
		return -1;
	}
	if (len > sp->max_record) {
		seterr(sp->dir, err, errlen, "a %s record of %zu bytes is over the limit of %" PRIu32
		       " bytes (max_record); it was not stored", class_names[c], len, sp->max_record);
		return -1;
	}
	if (len > 0 && !data) {
		seterr(sp->dir, err, errlen, "no data for a record of %zu bytes", len);
		return -1;
	}
	if (sp->next_seq >= SEQ_MAX) {
		seterr(sp->dir, err, errlen, "sequence numbers are used up; start a new spool");
		return -1;
	}
	need = HDR_LEN + (uint64_t)len;
	if (make_room(sp, c, need, flags, err, errlen) < 0)
		return -1;
	if (sp->next_seq >= sp->reserved) {
		uint64_t old = sp->reserved;

		sp->reserved = sp->next_seq + SEQ_BLOCK;
		if (meta_write(sp, err, errlen) < 0) {
			sp->reserved = old;
			return -1;
		}
	}
	ch = &sp->ch[c];
	s = ch->n ? &ch->s[ch->n - 1] : NULL;
	if (!s || ch->fresh || (s->size > 0 && s->size + need > sp->seg_bytes)) {
		if (seg_start(sp, c, err, errlen) < 0)
			return -1;
		s = &ch->s[ch->n - 1];
	} else if (ch->wfd < 0) {
		seg_name(name, c, s->first, "");
		ch->wfd = openat(sp->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (ch->wfd < 0) {
			seterr(sp->dir, err, errlen, "cannot open %s: %s", name, strerror(errno));
			return -1;
		}
	}

	n = sp->next_seq;
	memcpy(h, rec_magic, 4);
	put32(h + 4, (uint32_t)len);
	put64(h + 8, n);
	h[16] = (uint8_t)c;
	h[17] = h[18] = h[19] = 0;
	put32(h + 20, crc32c(crc32c(0, h, 20), data, len));
	iov[0].iov_base = h;
	iov[0].iov_len = HDR_LEN;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	if (pwritev_all(ch->wfd, iov, 2, s->size) < 0) {
		int e = errno;

		/* Take back what may have been written; if that fails, write elsewhere. */
		if (ftruncate(ch->wfd, (off_t)s->size) < 0)
			ch->fresh = true;
		if (sp->rd[c].seg == s->first)
			sp->rd[c].wlen = 0;
		sp->gen++;
		seg_name(name, c, s->first, "");
		seterr(sp->dir, err, errlen, "cannot write to %s: %s; the %s record was not stored",
		       name, strerror(e), class_names[c]);
		return -1;
	}
	sp->next_seq++;
	s->size += need;
	s->nrec++;
	s->last = n;
	sp->disk_bytes += need;
	if (seq)
		*seq = n;
	if (flags & SPOOL_NOSYNC) {
		ch->dirty = true;
		return 0;
	}
	if (fdatasync(ch->wfd) < 0 || (sp->dir_dirty && fsync(sp->dirfd) < 0)) {
		ch->dirty = true;
		seg_name(name, c, s->first, "");
		seterr(sp->dir, err, errlen, "record %" PRIu64 " was written to %s but cannot be made "
		       "durable: %s", n, name, strerror(errno));
		return -1;
	}
	ch->dirty = false;
	sp->dir_dirty = false;
	return 0;
}

/* ---- read and acknowledge ---------------------------------------------- */

static void cur_init(struct spool *sp, struct cursor *cu, int c)
{
	memset(cu, 0, sizeof(*cu));
	if (sp->ch[c].n > 0)
		cu->off = sp->ch[c].s[0].ack_off;
}

/* The next record of chain c at or after the cursor: 1 (cu->have), 0 none yet, -1 error. */
static int cur_peek(struct spool *sp, int c, struct cursor *cu, char *err, size_t errlen)
{
	struct chain *ch = &sp->ch[c];

	while (!cu->have) {
		struct seg *s;
		int k;

		if (cu->si >= ch->n)
			return 0;
		s = &ch->s[cu->si];
		if (cu->off >= s->size) {
			if (cu->si + 1 >= ch->n)
				return 0;
			cu->si++;
			cu->off = 0;
			continue;
		}
		if (rd_open(sp, c, s, err, errlen) < 0)
			return -1;
		k = scan(&sp->rd[c], c, cu->off, s->size, cu->min, sp->next_seq, &cu->at, &cu->h);
		if (k < 0) {
			rd_seterr(sp, c, err, errlen);
			return -1;
		}
		if (k == 0) {
			note_damage(sp, c, s, cu->off, s->size);
			cu->off = s->size;
			continue;
		}
		if (cu->at > cu->off)
			note_damage(sp, c, s, cu->off, cu->at);
		cu->have = true;
	}
	return 1;
}

static void cur_next(struct cursor *cu)
{
	cu->off = cu->at + HDR_LEN + cu->h.len;
	cu->min = cu->h.seq;
	cu->have = false;
}

/* Copy the payload of the record the cursor holds into sp->buf. */
static int cur_load(struct spool *sp, int c, const struct cursor *cu, char *err, size_t errlen)
{
	const struct seg *s = &sp->ch[c].s[cu->si];
	uint64_t pos = cu->at + HDR_LEN;
	size_t done = 0;

	if (cu->h.len > sp->bufcap) {
		uint8_t *b = realloc(sp->buf, cu->h.len);

		if (!b) {
			seterr(sp->dir, err, errlen, "out of memory for a record of %" PRIu32 " bytes",
			       cu->h.len);
			return -1;
		}
		sp->buf = b;
		sp->bufcap = cu->h.len;
	}
	if (rd_open(sp, c, s, err, errlen) < 0)
		return -1;
	while (done < cu->h.len) {
		size_t n = cu->h.len - done < WIN ? cu->h.len - done : WIN;
		const uint8_t *q = rd_at(&sp->rd[c], pos + done, n, s->size);

		if (!q) {
			if (sp->rd[c].err == 0)
				sp->rd[c].err = -1;
			rd_seterr(sp, c, err, errlen);
			return -1;
		}
		memcpy(sp->buf + done, q, n);
		done += n;
	}
	return 0;
}

long spool_read(struct spool *sp, uint64_t after, size_t max_records, size_t max_bytes,
		spool_read_fn fn, void *arg, char *err, size_t errlen)
{
	static const uint8_t empty[1];
	struct cursor cur[SPOOL_NCLASS];
	uint64_t lo = after > sp->acked ? after : sp->acked;
	size_t bytes = 0;
	long taken = 0;

	/* Nothing leaves before it is durable: a crash cannot reuse its number. */
	if (spool_sync(sp, err, errlen) < 0)
		return -1;
	if (sp->cont_ok && sp->cont_gen == sp->gen && sp->cont_last == lo)
		memcpy(cur, sp->cont, sizeof(cur));
	else
		for (int c = 0; c < SPOOL_NCLASS; c++)
			cur_init(sp, &cur[c], c);
	sp->cont_ok = false;

	while ((size_t)taken < max_records && taken < LONG_MAX) {
		struct cursor *cu;
		int best = -1;

		for (int c = 0; c < SPOOL_NCLASS; c++) {
			int k = cur_peek(sp, c, &cur[c], err, errlen);

			if (k < 0)
				return -1;
			if (k > 0 && (best < 0 || cur[c].h.seq < cur[best].h.seq))
				best = c;
		}
		if (best < 0)
			break;
		cu = &cur[best];
		if (cu->h.seq <= lo) {
			/* acknowledged, or a copy of a number already handed out */
			cur_next(cu);
			continue;
		}
		if (taken > 0 && (bytes > max_bytes || cu->h.len > max_bytes - bytes))
			break;
		if (cur_load(sp, best, cu, err, errlen) < 0)
			return -1;
		if (fn(arg, cu->h.seq, (enum spool_class)best, cu->h.len ? sp->buf : empty,
		       cu->h.len) != 0)
			break;
		lo = cu->h.seq;
		bytes += cu->h.len;
		taken++;
		cur_next(cu);
	}
	memcpy(sp->cont, cur, sizeof(cur));
	sp->cont_ok = true;
	sp->cont_gen = sp->gen;
	sp->cont_last = lo;
	return taken;
}

int spool_ack(struct spool *sp, uint64_t seq, char *err, size_t errlen)
{
	size_t k[SPOOL_NCLASS] = { 0 };
	uint64_t old = sp->acked;
	int rc;

	if (seq <= sp->acked)
		return 0;
	if (seq >= sp->next_seq) {
		seterr(sp->dir, err, errlen, "cannot acknowledge %" PRIu64 ": the last sequence "
		       "number handed out is %" PRIu64, seq, sp->next_seq - 1);
		return -1;
	}
	sp->acked = seq;
	if (meta_write(sp, err, errlen) < 0) {
		sp->acked = old;
		return -1;
	}
	for (int c = 0; c < SPOOL_NCLASS; c++)
		while (k[c] < sp->ch[c].n && sp->ch[c].s[k[c]].last <= seq)
			k[c]++;
	rc = remove_prefixes(sp, k, err, errlen);
	for (int c = 0; c < SPOOL_NCLASS; c++)
		if (head_advance(sp, c, err, errlen) < 0)
			rc = -1;
	return rc;
}

void spool_stats(const struct spool *sp, struct spool_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int c = 0; c < SPOOL_NCLASS; c++) {
		const struct chain *ch = &sp->ch[c];

		for (size_t i = 0; i < ch->n; i++) {
			const struct seg *s = &ch->s[i];

			st->pending_records[c] += s->nrec > s->nacked ? s->nrec - s->nacked : 0;
			st->pending_bytes[c] += s->size > s->ack_off ? s->size - s->ack_off : 0;
		}
		st->dropped_records[c] = sp->dropped[c];
		st->dropped_bytes[c] = sp->dropped_bytes[c];
	}
	st->next_seq = sp->next_seq;
	st->acked_seq = sp->acked;
	st->disk_bytes = sp->disk_bytes;
	st->segments = sp->nsegs;
	st->max_bytes = sp->max_bytes;
	st->segment_bytes = sp->seg_bytes;
	st->max_record = sp->max_record;
	st->damage_total = sp->dmg_total;
	st->damage_at_open = sp->dmg_open;
}
