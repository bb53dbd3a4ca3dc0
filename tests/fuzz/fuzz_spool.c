/*
 * fuzz_spool.c - libFuzzer target: a spool directory (spool.h) damaged in
 * arbitrary ways, then recovered by spool_open(), as after a crash, a bad
 * disk or someone editing the files.
 *
 * The input first drives the API to write a real spool (records of every
 * class, an acknowledgement, drops when small limits are hit), then edits
 * its files: truncating, flipping and overwriting bytes, appending garbage,
 * cloning segments under other names (valid records in the wrong place),
 * copying pieces between files, new files, a damaged or deleted meta.
 *
 * Checks that spool_open() always succeeds on such a directory and stays
 * within its bound; that records come out in strictly increasing sequence
 * order, above the acknowledged point and below next_seq, whole, the same
 * when read in small batches or at once; that a repaired spool opens clean
 * the next time with the same records; that new records get numbers above
 * every number seen; and that acknowledging everything leaves no segment.
 *
 * Built and run by tests/fuzz/run.sh, or by hand from the top of the tree:
 *   clang-14 -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Ilib -o fuzz_spool tests/fuzz/fuzz_spool.c lib/spool.c lib/fdio.c
 *   ./fuzz_spool -max_total_time=60
 * Files go to a directory under /dev/shm (or $TMPDIR, /tmp), removed after.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define MAXSEQ 65536
#define MAXFILES 64

static char base[256];     /* this process's scratch directory */
static char dir[300];      /* the spool in it */

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The input, consumed from the front; zeros once it runs out. */
struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned u16(struct in *in)
{
	unsigned lo = byte(in);

	return lo | byte(in) << 8;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

/* Names of the files in the spool (LOCK left out), sorted; returns how many. */
static int list(char names[MAXFILES][64])
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	check(d != NULL);
	while ((de = readdir(d)) && n < MAXFILES) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "LOCK") == 0 ||
		    strlen(de->d_name) >= 64)
			continue;
		snprintf(names[n++], 64, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 64, name_cmp);
	return n;
}

static void path_of(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

static void clear_dir(void)
{
	char names[MAXFILES][64], p[400];
	int n;

	if (access(dir, F_OK) < 0)
		return;
	while ((n = list(names)) > 0)
		for (int i = 0; i < n; i++) {
			path_of(p, sizeof(p), names[i]);
			unlink(p);
		}
	path_of(p, sizeof(p), "LOCK");
	unlink(p);
	rmdir(dir);
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : 0;
}

static void write_at(const char *p, long off, const uint8_t *b, size_t n, int flags)
{
	int fd = open(p, O_WRONLY | O_CREAT | flags, 0600);

	if (fd < 0)
		return;
	if (flags & O_APPEND)
		check(write(fd, b, n) == (ssize_t)n);
	else
		check(pwrite(fd, b, n, off) == (ssize_t)n);
	close(fd);
}

static void read_file(const char *p, uint8_t *b, size_t *n, size_t cap)
{
	int fd = open(p, O_RDONLY);
	ssize_t k;

	*n = 0;
	if (fd < 0)
		return;
	k = read(fd, b, cap);
	*n = k > 0 ? (size_t)k : 0;
	close(fd);
}

/* Edit the spool's files as the rest of the input says. */
static void mangle(struct in *in)
{
	static uint8_t buf[1 << 16];
	char names[MAXFILES][64], p[400], q[400], name[64];
	const char *cls[3] = { "heartbeat", "event", "finding" };

	for (int ops = 0; in->n > 0 && ops < 32; ops++) {
		unsigned op = byte(in);
		int n = list(names);
		const char *f = n ? names[(op >> 3) % (unsigned)n] : "meta";
		long size;
		size_t len;

		path_of(p, sizeof(p), f);
		size = file_size(p);
		switch (op & 7) {
		case 0:   /* cut */
			if (truncate(p, size * (long)byte(in) / 256) < 0)
				return;
			break;
		case 1:   /* flip bits */
			if (size > 0) {
				uint8_t x = (uint8_t)(byte(in) | 1);
				long off = (long)u16(in) % size;
				int fd = open(p, O_RDWR);
				uint8_t b;

				if (fd < 0)
					return;
				if (pread(fd, &b, 1, off) == 1) {
					b ^= x;
					check(pwrite(fd, &b, 1, off) == 1);
				}
				close(fd);
			}
			break;
		case 2:   /* append raw bytes */
		case 3:   /* overwrite raw bytes */
		{
			long off = (op & 7) == 3 ? (long)u16(in) % (size + 1) : 0;

			len = byte(in);
			len = len < in->n ? len : in->n;
			write_at(p, off, in->p, len, (op & 7) == 2 ? O_APPEND : 0);
			in->p += len;
			in->n -= len;
			break;
		}
		case 4:   /* a new segment file of raw bytes */
		case 5:   /* a copy of a file under another segment name */
			snprintf(name, sizeof(name), "%s-%016x.seg", cls[byte(in) % 3], u16(in));
			path_of(q, sizeof(q), name);
			if ((op & 7) == 4) {
				len = byte(in);
				len = len < in->n ? len : in->n;
				memcpy(buf, in->p, len);
				in->p += len;
				in->n -= len;
			} else {
				read_file(p, buf, &len, sizeof(buf));
			}
			unlink(q);
			write_at(q, 0, buf, len, O_TRUNC);
			break;
		case 6:   /* a piece of this file appended to another */
		{
			const char *t = n ? names[byte(in) % (unsigned)n] : "meta";
			unsigned off = u16(in);

			read_file(p, buf, &len, sizeof(buf));
			if (off < len) {
				size_t k = byte(in) * 2u;

				k = k < len - off ? k : len - off;
				path_of(q, sizeof(q), t);
				write_at(q, 0, buf + off, k, O_APPEND);
			}
			break;
		}
		case 7:   /* delete the file, or write meta as raw bytes */
			if (byte(in) & 1) {
				unlink(p);
			} else {
				path_of(q, sizeof(q), "meta");
				len = byte(in);
				len = len < in->n ? len : in->n;
				unlink(q);
				write_at(q, 0, in->p, len, O_TRUNC);
				in->p += len;
				in->n -= len;
			}
			break;
		}
	}
}

/* What a read collects, and the checks on every record. */
struct got {
	size_t n;
	uint64_t floor;        /* every record must be above it */
	uint64_t next;         /* and below it */
	uint64_t seq[MAXSEQ];
};

static int take(void *arg, uint64_t seq, enum spool_class cls, const void *data, size_t len)
{
	struct got *g = arg;

	check(cls < SPOOL_NCLASS);
	check(data != NULL && len <= SPOOL_RECORD_LIMIT);
	check(seq > g->floor && seq < g->next);
	check(g->n == 0 || seq > g->seq[g->n - 1]);
	check(g->n < MAXSEQ);
	g->seq[g->n++] = seq;
	if (len > 0)   /* touch every byte: ASan checks the buffer */
		check(((const volatile uint8_t *)data)[len - 1] == ((const uint8_t *)data)[len - 1]);
	return 0;
}

/* Open; clean: there must be nothing to report (err ""). */
static struct spool *open_spool(const struct spool_config *cfg, struct spool_stats *st, int clean)
{
	char err[512];
	struct spool *sp;

	err[0] = 'x';
	sp = spool_open(dir, cfg, err, sizeof(err));
	if (!sp) {
		fprintf(stderr, "spool_open failed: %s\n", err);
		abort();
	}
	check(!clean || err[0] == '\0');
	spool_stats(sp, st);
	check(st->disk_bytes <= cfg->max_bytes);
	check(st->acked_seq < st->next_seq);
	return sp;
}

static void read_all(struct spool *sp, const struct spool_stats *st, struct got *g, unsigned batch)
{
	char err[512];
	uint64_t after = 0;

	g->n = 0;
	g->floor = st->acked_seq;
	g->next = st->next_seq;
	for (;;) {
		long k = spool_read(sp, after, batch, (size_t)batch * 32, take, g, err, sizeof(err));

		check(k >= 0);
		if (k == 0)
			break;
		after = g->seq[g->n - 1];
	}
}

static void close_spool(struct spool *sp)
{
	char err[512];

	check(spool_close(sp, err, sizeof(err)) == 0);
}

static uint64_t pending(const struct spool_stats *st)
{
	return st->pending_records[0] + st->pending_records[1] + st->pending_records[2];
}

static void remove_base(void)
{
	clear_dir();
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (access("/dev/shm", W_OK) == 0)
		t = "/dev/shm";
	else if (!t)
		t = "/tmp";
	snprintf(base, sizeof(base), "%s/fuzz_spool.XXXXXX", t);
	check(mkdtemp(base) != NULL);
	snprintf(dir, sizeof(dir), "%s/s", base);
	atexit(remove_base);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct got a, b;
	struct in in = { data, size };
	struct spool_config cfg;
	struct spool_stats st, st2;
	struct spool *sp;
	char err[512];
	unsigned c0 = byte(&in), c1 = byte(&in), nrec, batch;
	uint64_t seq, top;

	/* 64-byte records at most; segments of 128..1024 bytes; 2..9 segments */
	cfg.segment_bytes = 128u << (c0 & 3);
	cfg.max_bytes = cfg.segment_bytes * (2 + ((c0 >> 2) & 7));
	cfg.max_record = 64;
	nrec = c1 & 31;
	batch = 1 + (c1 >> 5);

	/* A real spool first. */
	clear_dir();
	sp = open_spool(&cfg, &st, 1);
	for (unsigned i = 0; i < nrec; i++) {
		unsigned r = byte(&in);
		uint8_t payload[64];
		size_t len = (r >> 2) & 63;

		memset(payload, (int)r, sizeof(payload));
		/* refused when full of more valuable records: fine here */
		spool_append(sp, (enum spool_class)(r % 3), payload, len, SPOOL_NOSYNC, &seq, err,
			     sizeof(err));
	}
	spool_stats(sp, &st);
	if (st.next_seq > 1)
		check(spool_ack(sp, (st.next_seq - 1) * byte(&in) / 256, err, sizeof(err)) == 0);
	close_spool(sp);

	/* Damage it, recover it, read it in batches. */
	mangle(&in);
	if (c0 & 0x80)
		cfg.max_bytes = cfg.segment_bytes * (1 + ((c0 >> 4) & 3));
	sp = open_spool(&cfg, &st, 0);
	read_all(sp, &st, &a, batch);
	check(a.n <= pending(&st));
	close_spool(sp);

	/* Repaired once: the next open finds nothing to repair, and the same records. */
	sp = open_spool(&cfg, &st2, 1);
	check(st2.damage_at_open.regions == 0 && st2.damage_at_open.tails == 0);
	check(st2.next_seq == st.next_seq && st2.acked_seq == st.acked_seq);
	read_all(sp, &st2, &b, 1000);
	check(a.n == b.n && memcmp(a.seq, b.seq, a.n * sizeof(a.seq[0])) == 0);

	/* New records are numbered above everything seen, and read back after it. */
	top = st2.next_seq;
	for (int c = SPOOL_NCLASS - 1; c >= 0; c--) {
		uint8_t one = (uint8_t)c;

		if (spool_append(sp, (enum spool_class)c, &one, 1, 0, &seq, err, sizeof(err)) == 0) {
			check(seq >= top && (a.n == 0 || seq > a.seq[a.n - 1]));
			top = seq + 1;
		}
	}
	spool_stats(sp, &st);
	check(st.disk_bytes <= cfg.max_bytes);

	/* Acknowledging everything leaves nothing. */
	check(spool_ack(sp, st.next_seq - 1, err, sizeof(err)) == 0);
	spool_stats(sp, &st);
	check(pending(&st) == 0 && st.disk_bytes == 0 && st.segments == 0);
	b.n = 0;
	b.floor = st.acked_seq;
	b.next = st.next_seq;
	check(spool_read(sp, 0, 10, 1000, take, &b, err, sizeof(err)) == 0);
	close_spool(sp);

	sp = open_spool(&cfg, &st2, 1);
	check(st2.damage_at_open.regions == 0 && st2.damage_at_open.tails == 0);
	check(st2.next_seq == st.next_seq && pending(&st2) == 0);
	close_spool(sp);
	clear_dir();
	return 0;
}
