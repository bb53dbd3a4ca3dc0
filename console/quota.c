/*
 * quota.c - per-sensor token buckets (see quota.h). Tokens are kept in
 * thousandths, so a rate of 1 event per second refills without rounding
 * away. The table is a flat array searched linearly: it holds the sensors
 * sending at the moment (a municipality has hundreds), and a lookup per
 * batch is cheap beside storing the batch.
 */
#include "quota.h"

#include <stdlib.h>
#include <string.h>

#define ID_MAX 64

struct bucket {
	char sensor[ID_MAX + 1];        /* "" : free */
	uint64_t at_ms;                 /* last refill */
	uint64_t ev_milli, by_milli;    /* tokens, thousandths */
	uint64_t ref_batches, ref_events, ref_bytes;    /* not yet collected */
};

struct quota {
	struct quota_limits lim;
	struct bucket *b;
	size_t cap;
	struct quota_stats st;
};

struct quota *quota_new(const struct quota_limits *lim, size_t cap)
{
	struct quota *q;

	if (cap == 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->b = calloc(cap, sizeof(*q->b));
	if (q->b == NULL) {
		free(q);
		return NULL;
	}
	q->lim = *lim;
	if (q->lim.burst_s == 0)
		q->lim.burst_s = 1;
	q->cap = cap;
	return q;
}

void quota_free(struct quota *q)
{
	if (q == NULL)
		return;
	free(q->b);
	free(q);
}

static uint64_t full_of(uint64_t rate, uint32_t burst_s)
{
	return rate * burst_s * 1000;
}

static void refill(const struct quota *q, struct bucket *b, uint64_t now_ms)
{
	uint64_t dt = now_ms > b->at_ms ? now_ms - b->at_ms : 0;
	uint64_t evf = full_of(q->lim.events_per_s, q->lim.burst_s);
	uint64_t byf = full_of(q->lim.bytes_per_s, q->lim.burst_s);

	/* a rate per second is the same number of thousandths per ms; past
	 * burst_s the bucket is full whatever it held */
	if (dt > (uint64_t)q->lim.burst_s * 1000)
		dt = (uint64_t)q->lim.burst_s * 1000;
	b->ev_milli += q->lim.events_per_s * dt;
	if (b->ev_milli > evf)
		b->ev_milli = evf;
	b->by_milli += q->lim.bytes_per_s * dt;
	if (b->by_milli > byf)
		b->by_milli = byf;
	b->at_ms = now_ms;
}

static int is_full(const struct quota *q, const struct bucket *b)
{
	return b->ev_milli >= full_of(q->lim.events_per_s, q->lim.burst_s) &&
	       b->by_milli >= full_of(q->lim.bytes_per_s, q->lim.burst_s) &&
	       b->ref_batches == 0;
}

/* The sensor's bucket, refilled to now; a new one starts full. NULL: no place. */
static struct bucket *find(struct quota *q, const char *sensor, uint64_t now_ms)
{
	struct bucket *fr = NULL;
	size_t n = strlen(sensor);

	if (n > ID_MAX)
		return NULL;
	for (size_t i = 0; i < q->cap; i++) {
		struct bucket *b = &q->b[i];

		if (b->sensor[0] == '\0') {
			if (fr == NULL)
				fr = b;
			continue;
		}
		if (strcmp(b->sensor, sensor) == 0) {
			refill(q, b, now_ms);
			return b;
		}
	}
	if (fr == NULL) {
		/* a sensor quiet long enough to be full again loses nothing */
		for (size_t i = 0; i < q->cap && fr == NULL; i++) {
			refill(q, &q->b[i], now_ms);
			if (is_full(q, &q->b[i]))
				fr = &q->b[i];
		}
		if (fr == NULL)
			return NULL;
	}
	memset(fr, 0, sizeof(*fr));
	memcpy(fr->sensor, sensor, n + 1);
	fr->at_ms = now_ms;
	fr->ev_milli = full_of(q->lim.events_per_s, q->lim.burst_s);
	fr->by_milli = full_of(q->lim.bytes_per_s, q->lim.burst_s);
	return fr;
}

/* Seconds until need (thousandths) is in a bucket holding have at rate/s. */
static uint32_t wait_s(uint64_t have, uint64_t need, uint64_t rate)
{
	uint64_t s;

	if (rate == 0 || need <= have)
		return 0;
	s = ((need - have) / 1000 + rate - 1) / rate;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

int quota_take(struct quota *q, const char *sensor, uint64_t now_ms, uint64_t events,
	       uint64_t bytes, uint32_t *retry_s)
{
	struct bucket *b;
	uint64_t ev = events * 1000, by = bytes * 1000;
	uint32_t w1, w2;

	if (q->lim.events_per_s == 0 && q->lim.bytes_per_s == 0)
		return 0;
	b = find(q, sensor, now_ms);
	if (b == NULL) {
		q->st.table_full++;
		q->st.refused_batches++;
		q->st.refused_events += events;
		q->st.refused_bytes += bytes;
		if (retry_s != NULL)
			*retry_s = q->lim.burst_s;
		return 1;
	}
	if (q->lim.events_per_s == 0)
		ev = 0;
	if (q->lim.bytes_per_s == 0)
		by = 0;
	if (ev <= b->ev_milli && by <= b->by_milli) {
		b->ev_milli -= ev;
		b->by_milli -= by;
		return 0;
	}
	b->ref_batches++;
	b->ref_events += events;
	b->ref_bytes += bytes;
	q->st.refused_batches++;
	q->st.refused_events += events;
	q->st.refused_bytes += bytes;
	if (retry_s != NULL) {
		w1 = wait_s(b->ev_milli, ev, q->lim.events_per_s);
		w2 = wait_s(b->by_milli, by, q->lim.bytes_per_s);
		*retry_s = w1 > w2 ? w1 : w2;
		if (*retry_s > q->lim.burst_s ||
		    ev > full_of(q->lim.events_per_s, q->lim.burst_s) ||
		    by > full_of(q->lim.bytes_per_s, q->lim.burst_s))
			*retry_s = q->lim.burst_s;
		if (*retry_s == 0)
			*retry_s = 1;
	}
	return 1;
}

int quota_bytes_short(struct quota *q, const char *sensor, uint64_t now_ms, uint64_t bytes)
{
	struct bucket *b;

	if (q->lim.bytes_per_s == 0)
		return 0;
	b = find(q, sensor, now_ms);
	return b != NULL && bytes * 1000 > b->by_milli;
}

void quota_collect(struct quota *q, quota_refused_cb cb, void *arg)
{
	for (size_t i = 0; i < q->cap; i++) {
		struct bucket *b = &q->b[i];

		if (b->sensor[0] == '\0' || b->ref_batches == 0)
			continue;
		cb(arg, b->sensor, b->ref_batches, b->ref_events, b->ref_bytes);
		b->ref_batches = b->ref_events = b->ref_bytes = 0;
	}
}

void quota_get_stats(const struct quota *q, struct quota_stats *out)
{
	*out = q->st;
}
