/*
 * lathist.c - latency histogram (see lathist.h for the bucket layout).
 */
#include "lathist.h"

static unsigned bucket_of(uint64_t us)
{
	unsigned msb, b;

	if (us < 32)
		return (unsigned)us;
	if (us >= (1ull << 31))
		return LATHIST_BUCKETS - 1;
	msb = 63u - (unsigned)__builtin_clzll(us);          /* 5..30 */
	b = 32 + (msb - 5) * LATHIST_SUB + (unsigned)((us >> (msb - 4)) & (LATHIST_SUB - 1));
	return b < LATHIST_BUCKETS ? b : LATHIST_BUCKETS - 1;
}

/* The largest value that falls into bucket b. */
static uint64_t bucket_top(unsigned b)
{
	unsigned msb, sub;

	if (b < 32)
		return b;
	msb = 5 + (b - 32) / LATHIST_SUB;
	sub = (b - 32) % LATHIST_SUB;
	return (1ull << msb) + ((uint64_t)(sub + 1) << (msb - 4)) - 1;
}

void lathist_add(struct lathist *h, uint64_t us)
{
	unsigned b = bucket_of(us);

	h->count++;
	if (us > h->max_us)
		h->max_us = us;
	if (h->bucket[b] != UINT32_MAX)
		h->bucket[b]++;
}

uint64_t lathist_pct(const struct lathist *h, double pct)
{
	uint64_t want, seen = 0, top;

	if (h->count == 0)
		return 0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	want = (uint64_t)((double)h->count * pct / 100.0 + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < LATHIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			top = b == LATHIST_BUCKETS - 1 ? h->max_us : bucket_top(b);
			return top < h->max_us ? top : h->max_us;
		}
	}
	return h->max_us;
}
