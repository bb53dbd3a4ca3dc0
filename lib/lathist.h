/*
 * lathist.h - a fixed-size histogram of latencies in microseconds, for
 * percentiles of figures that are measured often (no allocation, bounded
 * memory, constant time per sample).
 *
 * Values below 32 us have a bucket each; above, each power of two is split
 * into 16 buckets, so a percentile is off by at most 1/16 (6.25 %) of its
 * value. Values of 2^31 us (about 36 minutes) or more fall into the top bucket.
 */
#ifndef KASTRO_LATHIST_H
#define KASTRO_LATHIST_H

#include <stdint.h>

#define LATHIST_SUB 16
#define LATHIST_BUCKETS (32 + (31 - 5) * LATHIST_SUB)

struct lathist {
	uint64_t count;
	uint64_t max_us;
	uint32_t bucket[LATHIST_BUCKETS];   /* saturate at UINT32_MAX */
};

/* Count one value. */
void lathist_add(struct lathist *h, uint64_t us);

/*
 * The value at or below which a share pct (0..100) of the samples lies: the
 * upper end of the bucket that holds that sample, never above max_us.
 * 0 when nothing was counted.
 */
uint64_t lathist_pct(const struct lathist *h, double pct);

#endif
