/*
 * test_spool.c - the sensor's on-disk spool: records come back in order
 * across segments and restarts, numbers are never reused, the bound drops
 * heartbeats, then events, then findings (counted, also across restarts),
 * damage on disk (a torn tail, garbage, a flipped byte) costs only the
 * damaged record and is reported, one owner at a time.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed after,
 * with small limits so that it runs in well under a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define REC(len) ((len) + SPOOL_RECORD_OVERHEAD)
#define MAXGOT 256

struct fx {
	char tmp[64];     /* the mkdtemp directory */
	char dir[96];     /* the spool inside it, created by spool_open */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_spool.XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->dir, sizeof(f->dir), "%s/spool", f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testfs_rm_tree(f->tmp);
	free(f);
	return 0;
}

/* What a read handed out. */
struct got {
	size_t n;
	size_t refuse_at;            /* refuse the record with this index */
	uint64_t seq[MAXGOT];
	enum spool_class cls[MAXGOT];
	size_t len[MAXGOT];
	char data[MAXGOT][128];
};

static int collect(void *arg, uint64_t seq, enum spool_class cls, const void *data, size_t len)
{
	struct got *g = arg;

	if (g->n == g->refuse_at)
		return 1;
	assert_true(g->n < MAXGOT);
	assert_true(len <= sizeof(g->data[0]));
	g->seq[g->n] = seq;
	g->cls[g->n] = cls;
	g->len[g->n] = len;
	memcpy(g->data[g->n], data, len);
	g->n++;
	return 0;
}

static void got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->refuse_at = SIZE_MAX;
}

/* Read everything after `after` into g (appending to what it holds). */
static long read_all(struct spool *sp, uint64_t after, struct got *g)
{
	char err[256];
	long n = spool_read(sp, after, MAXGOT, SIZE_MAX, collect, g, err, sizeof(err));

	if (n < 0)
		fail_msg("spool_read: %s", err);
	return n;
}

/* Payload i: recognisable text padded to len bytes. */
static void payload(char *buf, size_t len, unsigned i)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "record %u:", i);

	for (size_t k = 0; k < len; k++)
		buf[k] = k < (size_t)n ? head[k] : (char)('a' + (i + k) % 26);
}

static uint64_t append(struct spool *sp, enum spool_class cls, unsigned i, size_t len, unsigned flags)
{
	char buf[256], err[256];
	uint64_t seq = 0;

	assert_true(len <= sizeof(buf));
	payload(buf, len, i);
	if (spool_append(sp, cls, buf, len, flags, &seq, err, sizeof(err)) < 0)
		fail_msg("spool_append: %s", err);
	return seq;
}

static void check_payload(const struct got *g, size_t k, unsigned i, size_t len)
{
	char buf[256];

	payload(buf, len, i);
	assert_int_equal(g->len[k], len);
	assert_memory_equal(g->data[k], buf, len);
}

static struct spool *open_ok(const struct fx *f, const struct spool_config *cfg, char *err, size_t errlen)
{
	struct spool *sp = spool_open(f->dir, cfg, err, errlen);

	if (!sp)
		fail_msg("spool_open: %s", err);
	return sp;
}

static void close_ok(struct spool *sp)
{
	char err[256];

	if (spool_close(sp, err, sizeof(err)) < 0)
		fail_msg("spool_close: %s", err);
}

/* Number of segment files in the spool (of one class, or all for NULL). */
static int count_segments(const struct fx *f, const char *cls)
{
	char pat[160];
	int n = 0;

	for (int c = 0; c < SPOOL_NCLASS; c++) {
		struct stat st;
		const char *name = spool_class_name((enum spool_class)c);

		if (cls && strcmp(cls, name) != 0)
			continue;
		/* names are <class>-<first seq in hex>.seg; the tests stay below 0x400 */
		for (unsigned s = 1; s < 0x400; s++) {
			snprintf(pat, sizeof(pat), "%s/%s-%016x.seg", f->dir, name, s);
			if (stat(pat, &st) == 0)
				n++;
		}
	}
	return n;
}

static void seg_path(const struct fx *f, char *out, size_t outlen, const char *cls, uint64_t first)
{
	snprintf(out, outlen, "%s/%s-%016" PRIx64 ".seg", f->dir, cls, first);
}

static uint64_t pending(const struct spool *sp)
{
	struct spool_stats st;

	spool_stats(sp, &st);
	return st.pending_records[0] + st.pending_records[1] + st.pending_records[2];
}

static void test_round_trip_across_rotation(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 256, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256];
	uint64_t last;
	int before;

	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_string_equal(err, "");
	for (unsigned i = 1; i <= 40; i++) {
		/* 40 + 24 bytes: four records to a 256-byte segment */
		uint64_t seq = append(sp, (enum spool_class)(i % 3), i, 40, i % 5 ? SPOOL_NOSYNC : 0);

		assert_int_equal(seq, i);
	}
	/* 13 or 14 records of each class: four segments each */
	assert_int_equal(count_segments(f, NULL), 12);

	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 40);
	for (unsigned i = 1; i <= 40; i++) {
		assert_int_equal(g.seq[i - 1], i);
		assert_int_equal(g.cls[i - 1], i % 3);
		check_payload(&g, i - 1, i, 40);
	}

	/* Reading on in small batches gives the same, in the same order. */
	got_init(&g);
	last = 0;
	for (;;) {
		long n = spool_read(sp, last, 7, SIZE_MAX, collect, &g, err, sizeof(err));

		assert_true(n >= 0);
		if (n == 0)
			break;
		last = g.seq[g.n - 1];
	}
	assert_int_equal(g.n, 40);
	for (unsigned i = 1; i <= 40; i++)
		assert_int_equal(g.seq[i - 1], i);

	/* Acknowledging half removes it from reading and deletes its segments. */
	before = count_segments(f, NULL);
	assert_int_equal(spool_ack(sp, 20, err, sizeof(err)), 0);
	assert_true(count_segments(f, NULL) < before);
	assert_int_equal(pending(sp), 20);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 20);
	assert_int_equal(g.seq[0], 21);
	check_payload(&g, 0, 21, 40);
	/* an older acknowledgement changes nothing */
	assert_int_equal(spool_ack(sp, 5, err, sizeof(err)), 0);
	assert_int_equal(pending(sp), 20);

	assert_int_equal(spool_ack(sp, 40, err, sizeof(err)), 0);
	assert_int_equal(count_segments(f, NULL), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.disk_bytes, 0);
	assert_int_equal(st.segments, 0);
	assert_int_equal(pending(sp), 0);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 0);
	close_ok(sp);
}

static void test_seq_never_reused_after_reopen(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 1024, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256];

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (unsigned i = 1; i <= 5; i++)
		assert_int_equal(append(sp, SPOOL_EVENT, i, 30, SPOOL_NOSYNC), i);
	close_ok(sp);

	/* Not acknowledged: all there after a restart, numbering goes on. */
	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_string_equal(err, "");
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 6);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 5);
	check_payload(&g, 4, 5, 30);
	assert_int_equal(append(sp, SPOOL_FINDING, 6, 30, 0), 6);

	/* Everything acknowledged and deleted: the number still is not reused. */
	assert_int_equal(spool_ack(sp, 6, err, sizeof(err)), 0);
	assert_int_equal(count_segments(f, NULL), 0);
	close_ok(sp);

	sp = open_ok(f, &cfg, err, sizeof(err));
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 7);
	assert_int_equal(st.acked_seq, 6);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 0);
	assert_int_equal(append(sp, SPOOL_HEARTBEAT, 7, 10, 0), 7);
	close_ok(sp);
}

static void test_full_drops_heartbeats_then_events_then_findings(void **state)
{
	const struct fx *f = *state;
	/* 40 + 24 = 64-byte records, two to a segment, sixteen in the spool */
	struct spool_config cfg = { .max_bytes = 1024, .segment_bytes = 128, .max_record = 64 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], buf[40];
	uint64_t seq, first_finding;
	unsigned i = 0;

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (int k = 0; k < 4; k++)
		append(sp, SPOOL_HEARTBEAT, ++i, 40, SPOOL_NOSYNC);
	for (int k = 0; k < 6; k++)
		append(sp, SPOOL_EVENT, ++i, 40, SPOOL_NOSYNC);
	first_finding = append(sp, SPOOL_FINDING, ++i, 40, SPOOL_NOSYNC);
	for (int k = 0; k < 5; k++)
		append(sp, SPOOL_FINDING, ++i, 40, SPOOL_NOSYNC);
	spool_stats(sp, &st);
	assert_int_equal(st.disk_bytes, 1024);
	assert_int_equal(st.dropped_records[0] + st.dropped_records[1] + st.dropped_records[2], 0);

	/* More findings: heartbeats go first, events only when none is left. */
	while (1) {
		append(sp, SPOOL_FINDING, ++i, 40, SPOOL_NOSYNC);
		spool_stats(sp, &st);
		assert_true(st.disk_bytes <= cfg.max_bytes);
		if (st.dropped_records[SPOOL_HEARTBEAT] < 4) {
			assert_int_equal(st.dropped_records[SPOOL_EVENT], 0);
			assert_int_equal(st.dropped_records[SPOOL_FINDING], 0);
		} else if (st.dropped_records[SPOOL_EVENT] < 6) {
			assert_int_equal(st.pending_records[SPOOL_HEARTBEAT], 0);
			assert_int_equal(st.dropped_records[SPOOL_FINDING], 0);
		} else if (st.dropped_records[SPOOL_FINDING] > 0) {
			break;
		}
	}
	assert_int_equal(st.dropped_records[SPOOL_HEARTBEAT], 4);
	assert_int_equal(st.dropped_bytes[SPOOL_HEARTBEAT], 4 * REC(40));
	assert_int_equal(st.dropped_records[SPOOL_EVENT], 6);
	assert_int_equal(st.dropped_records[SPOOL_FINDING], 2);   /* one segment */
	assert_int_equal(st.pending_records[SPOOL_FINDING], 15);

	/* What is left: the newest findings, in order, the two oldest gone. */
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 15);
	assert_int_equal(g.seq[0], first_finding + 2);
	for (size_t k = 0; k < g.n; k++)
		assert_int_equal(g.cls[k], SPOOL_FINDING);
	assert_int_equal(g.seq[14], i);

	/* Full of findings: a heartbeat never pushes one out, it is refused, and counted. */
	append(sp, SPOOL_FINDING, ++i, 40, 0);
	spool_stats(sp, &st);
	assert_int_equal(st.disk_bytes, cfg.max_bytes);
	payload(buf, sizeof(buf), 999);
	assert_int_equal(spool_append(sp, SPOOL_HEARTBEAT, buf, sizeof(buf), 0, &seq, err,
				      sizeof(err)), -1);
	assert_non_null(strstr(err, "dropped"));
	assert_non_null(strstr(err, "heartbeat"));
	spool_stats(sp, &st);
	assert_int_equal(st.dropped_records[SPOOL_HEARTBEAT], 5);
	assert_int_equal(st.dropped_records[SPOOL_FINDING], 2);
	assert_int_equal(st.pending_records[SPOOL_FINDING], 16);
	close_ok(sp);

	/* The losses are still known after a restart. */
	sp = open_ok(f, &cfg, err, sizeof(err));
	spool_stats(sp, &st);
	assert_int_equal(st.dropped_records[SPOOL_HEARTBEAT], 5);
	assert_int_equal(st.dropped_bytes[SPOOL_HEARTBEAT], 5 * REC(40));
	assert_int_equal(st.dropped_records[SPOOL_EVENT], 6);
	assert_int_equal(st.dropped_bytes[SPOOL_EVENT], 6 * REC(40));
	assert_int_equal(st.dropped_records[SPOOL_FINDING], 2);
	assert_int_equal(st.pending_records[SPOOL_FINDING], 16);
	close_ok(sp);

	/* A smaller bound on the next open is applied by the same order. */
	cfg.max_bytes = 512;
	sp = open_ok(f, &cfg, err, sizeof(err));
	spool_stats(sp, &st);
	assert_true(st.disk_bytes <= 512);
	assert_int_equal(st.pending_records[SPOOL_FINDING], 8);
	assert_int_equal(st.dropped_records[SPOOL_FINDING], 10);
	close_ok(sp);
}

static void test_truncated_last_record_is_cut(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 4096, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], path[256];
	struct stat sb;

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (unsigned i = 1; i <= 10; i++)
		append(sp, SPOOL_EVENT, i, 50, SPOOL_NOSYNC);
	close_ok(sp);

	/* the process killed in the middle of writing record 10 */
	seg_path(f, path, sizeof(path), "event", 1);
	assert_int_equal(truncate(path, 10 * REC(50) - 5), 0);

	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_non_null(strstr(err, "cut 1 torn or garbage tail"));
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.tails, 1);
	assert_int_equal(st.damage_at_open.tail_bytes, REC(50) - 5);
	assert_int_equal(st.damage_at_open.regions, 0);
	assert_int_equal(st.pending_records[SPOOL_EVENT], 9);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 9 * REC(50));
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 9);
	for (unsigned i = 1; i <= 9; i++) {
		assert_int_equal(g.seq[i - 1], i);
		check_payload(&g, i - 1, i, 50);
	}
	/* 10 may have been sent before the damage: it is not given out again */
	assert_int_equal(append(sp, SPOOL_EVENT, 11, 50, 0), 11);
	close_ok(sp);

	/* repaired once, counted once */
	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_string_equal(err, "");
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.tails, 0);
	assert_int_equal(st.damage_total.tails, 1);
	assert_int_equal(st.pending_records[SPOOL_EVENT], 10);
	close_ok(sp);
}

static void test_garbage_after_last_record_is_cut(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 4096, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], path[256], junk[100];
	struct stat sb;
	int fd;

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (unsigned i = 1; i <= 5; i++)
		append(sp, SPOOL_FINDING, i, 60, SPOOL_NOSYNC);
	close_ok(sp);

	/* garbage, with something that looks like the start of a header in it */
	for (size_t k = 0; k < sizeof(junk); k++)
		junk[k] = (char)(k * 37 + 11);
	memcpy(junk + 30, "\xffKSR", 4);
	seg_path(f, path, sizeof(path), "finding", 1);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);

	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_non_null(strstr(err, "tail"));
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.tails, 1);
	assert_int_equal(st.damage_at_open.tail_bytes, sizeof(junk));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 5 * REC(60));
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 5);
	check_payload(&g, 4, 5, 60);
	/* appending goes on right after the last good record */
	assert_int_equal(append(sp, SPOOL_FINDING, 6, 60, 0), 6);
	got_init(&g);
	assert_int_equal(read_all(sp, 5, &g), 1);
	check_payload(&g, 0, 6, 60);
	close_ok(sp);
}

static void flip(const char *path, off_t off)
{
	unsigned char b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x20;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void test_flipped_byte_skips_only_that_record(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 4096, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], path[256];

	sp = open_ok(f, &cfg, err, sizeof(err));
	/* events 1..10, then findings 11..20 */
	for (unsigned i = 1; i <= 20; i++)
		append(sp, i <= 10 ? SPOOL_EVENT : SPOOL_FINDING, i, 40, SPOOL_NOSYNC);
	close_ok(sp);

	/* a byte of event 5's payload, and the length field of finding 15 */
	seg_path(f, path, sizeof(path), "event", 1);
	flip(path, 4 * REC(40) + SPOOL_RECORD_OVERHEAD + 3);
	seg_path(f, path, sizeof(path), "finding", 11);
	flip(path, 4 * REC(40) + 5);

	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_non_null(strstr(err, "skipped 2 damaged"));
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.regions, 2);
	assert_int_equal(st.damage_at_open.region_bytes, 2 * REC(40));
	assert_int_equal(st.damage_at_open.tails, 0);
	assert_int_equal(st.pending_records[SPOOL_EVENT], 9);
	assert_int_equal(st.pending_records[SPOOL_FINDING], 9);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 18);
	for (size_t k = 0, i = 1; i <= 20; i++) {
		if (i == 5 || i == 15)
			continue;
		assert_int_equal(g.seq[k], i);
		check_payload(&g, k, (unsigned)i, 40);
		k++;
	}
	close_ok(sp);

	/* the segments were rewritten without the damage: nothing new next time */
	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_string_equal(err, "");
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.regions, 0);
	assert_int_equal(st.damage_total.regions, 2);
	assert_int_equal(st.damage_total.region_bytes, 2 * REC(40));
	assert_int_equal(pending(sp), 18);
	close_ok(sp);
}

static void test_damage_while_open_is_skipped_and_counted_once(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 4096, .max_record = 200 };
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], path[256];

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (unsigned i = 1; i <= 5; i++)
		append(sp, SPOOL_EVENT, i, 40, SPOOL_NOSYNC);
	/* the disk changes under the open spool: record 3 goes bad */
	seg_path(f, path, sizeof(path), "event", 1);
	flip(path, 2 * REC(40) + SPOOL_RECORD_OVERHEAD + 1);

	for (int round = 0; round < 2; round++) {
		got_init(&g);
		assert_int_equal(read_all(sp, 0, &g), 4);
		assert_int_equal(g.seq[1], 2);
		assert_int_equal(g.seq[2], 4);
		check_payload(&g, 2, 4, 40);
		spool_stats(sp, &st);
		assert_int_equal(st.damage_total.regions, 1);
		assert_int_equal(st.damage_total.region_bytes, REC(40));
	}
	/* acknowledging past it does not count it again */
	assert_int_equal(spool_ack(sp, 2, err, sizeof(err)), 0);
	assert_int_equal(spool_ack(sp, 4, err, sizeof(err)), 0);
	spool_stats(sp, &st);
	assert_int_equal(st.damage_total.regions, 1);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 1);
	assert_int_equal(g.seq[0], 5);
	close_ok(sp);

	/* the count was kept; closing repaired the segment, so no second count */
	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_string_equal(err, "");
	spool_stats(sp, &st);
	assert_int_equal(st.damage_at_open.regions, 0);
	assert_int_equal(st.damage_total.regions, 1);
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 1);
	assert_int_equal(g.seq[0], 5);
	close_ok(sp);
}

static void test_second_open_is_refused(void **state)
{
	const struct fx *f = *state;
	struct spool *a, *b;
	char err[256];

	a = open_ok(f, NULL, err, sizeof(err));
	b = spool_open(f->dir, NULL, err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "in use"));
	close_ok(a);
	b = open_ok(f, NULL, err, sizeof(err));
	close_ok(b);
}

static void test_record_over_max_is_refused(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 1024, .max_record = 100 };
	struct spool_stats st;
	struct spool *sp;
	char err[256], buf[101];
	uint64_t seq;

	memset(buf, 'x', sizeof(buf));
	sp = open_ok(f, &cfg, err, sizeof(err));
	assert_int_equal(spool_append(sp, SPOOL_EVENT, buf, 101, 0, &seq, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "101 bytes is over the limit of 100"));
	spool_stats(sp, &st);
	assert_int_equal(st.next_seq, 1);            /* no number used up */
	assert_int_equal(st.dropped_records[SPOOL_EVENT], 0);
	assert_int_equal(spool_append(sp, SPOOL_EVENT, buf, 100, 0, &seq, err, sizeof(err)), 0);
	assert_int_equal(seq, 1);
	/* an empty record is a record too */
	assert_int_equal(spool_append(sp, SPOOL_HEARTBEAT, NULL, 0, 0, &seq, err, sizeof(err)), 0);
	assert_int_equal(seq, 2);
	close_ok(sp);
}

static void test_bad_limits_are_refused(void **state)
{
	const struct fx *f = *state;
	struct spool_config small_seg = { .max_bytes = 1 << 20, .segment_bytes = 100, .max_record = 100 };
	struct spool_config small_max = { .max_bytes = 1000, .segment_bytes = 2000, .max_record = 100 };
	struct spool_config huge_rec = { .max_record = SPOOL_RECORD_LIMIT + 1 };
	char err[256];

	assert_null(spool_open(f->dir, &small_seg, err, sizeof(err)));
	assert_non_null(strstr(err, "segment_bytes (100) must hold the largest record"));
	assert_null(spool_open(f->dir, &small_max, err, sizeof(err)));
	assert_non_null(strstr(err, "max_bytes (1000) must be at least segment_bytes"));
	assert_null(spool_open(f->dir, &huge_rec, err, sizeof(err)));
	assert_non_null(strstr(err, "max_record"));
}

static void test_read_limits(void **state)
{
	const struct fx *f = *state;
	struct spool_config cfg = { .max_bytes = 64 << 10, .segment_bytes = 1024, .max_record = 200 };
	struct spool *sp;
	struct got g;
	char err[256];

	sp = open_ok(f, &cfg, err, sizeof(err));
	for (unsigned i = 1; i <= 10; i++)
		append(sp, SPOOL_EVENT, i, 100, SPOOL_NOSYNC);

	/* 250 payload bytes: two records of 100 */
	got_init(&g);
	assert_int_equal(spool_read(sp, 0, 100, 250, collect, &g, err, sizeof(err)), 2);
	assert_int_equal(g.seq[1], 2);
	/* three records at most */
	got_init(&g);
	assert_int_equal(spool_read(sp, 2, 3, SIZE_MAX, collect, &g, err, sizeof(err)), 3);
	assert_int_equal(g.seq[0], 3);
	assert_int_equal(g.seq[2], 5);
	/* a limit below one record still hands out one, so a reader cannot stall */
	got_init(&g);
	assert_int_equal(spool_read(sp, 5, 100, 50, collect, &g, err, sizeof(err)), 1);
	assert_int_equal(g.seq[0], 6);
	/* a reader refusing a record gets it first next time */
	got_init(&g);
	g.refuse_at = 1;
	assert_int_equal(spool_read(sp, 6, 100, SIZE_MAX, collect, &g, err, sizeof(err)), 1);
	assert_int_equal(g.seq[0], 7);
	got_init(&g);
	assert_int_equal(spool_read(sp, 7, 100, SIZE_MAX, collect, &g, err, sizeof(err)), 3);
	assert_int_equal(g.seq[0], 8);
	check_payload(&g, 2, 10, 100);
	/* nothing was removed by reading */
	assert_int_equal(pending(sp), 10);
	assert_int_equal(spool_read(sp, 0, 0, SIZE_MAX, collect, &g, err, sizeof(err)), 0);
	close_ok(sp);
}

static void test_ack_beyond_last_is_refused(void **state)
{
	const struct fx *f = *state;
	struct spool *sp;
	char err[256];

	sp = open_ok(f, NULL, err, sizeof(err));
	append(sp, SPOOL_EVENT, 1, 10, 0);
	assert_int_equal(spool_ack(sp, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot acknowledge 2"));
	assert_int_equal(pending(sp), 1);
	close_ok(sp);
}

static void test_files_are_private(void **state)
{
	const struct fx *f = *state;
	const char *names[] = { "", "/LOCK", "/meta", "/event-0000000000000001.seg" };
	struct spool *sp;
	char err[256], path[256];
	mode_t old = umask(0);

	sp = open_ok(f, NULL, err, sizeof(err));
	append(sp, SPOOL_EVENT, 1, 10, 0);
	umask(old);
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s%s", f->dir, names[k]);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, k == 0 ? 0700 : 0600);
	}
	close_ok(sp);
}

static void test_lost_meta_resends_and_skips_numbers(void **state)
{
	const struct fx *f = *state;
	struct spool_stats st;
	struct spool *sp;
	struct got g;
	char err[256], path[256];

	sp = open_ok(f, NULL, err, sizeof(err));
	for (unsigned i = 1; i <= 4; i++)
		append(sp, SPOOL_EVENT, i, 10, SPOOL_NOSYNC);
	assert_int_equal(spool_ack(sp, 2, err, sizeof(err)), 0);
	close_ok(sp);
	snprintf(path, sizeof(path), "%s/meta", f->dir);
	assert_int_equal(unlink(path), 0);

	/* At least once: every record left is sent again; no number comes twice. */
	sp = open_ok(f, NULL, err, sizeof(err));
	assert_non_null(strstr(err, "meta was missing"));
	got_init(&g);
	assert_int_equal(read_all(sp, 0, &g), 4);
	spool_stats(sp, &st);
	assert_true(st.next_seq > 1000000);
	assert_true(append(sp, SPOOL_EVENT, 5, 10, 0) > 1000000);
	close_ok(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_across_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused_after_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_drops_heartbeats_then_events_then_findings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_last_record_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_after_last_record_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte_skips_only_that_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_while_open_is_skipped_and_counted_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_over_max_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_limits_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_beyond_last_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_are_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_meta_resends_and_skips_numbers, setup, teardown),
	};
	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
