/*
 * quota.h - per-sensor ingest quotas: a token bucket of events and one of
 * bytes for each sensor, refilled at the configured rate up to `burst`
 * seconds' worth. A batch that does not fit is refused whole, before it is
 * stored or acknowledged (the sensor's spool keeps it and sends it again
 * later); what was refused is counted per sensor until the caller collects
 * it (quota_collect) to record and alert.
 *
 * Memory: at most `cap` sensors are tracked (set at creation). When the
 * table is full, a sensor whose buckets are full again (it has been quiet
 * long enough) gives up its place; when none has, the new sensor is
 * refused (counted in quota_stats.table_full) rather than an old one's
 * debt forgotten.
 */
#ifndef KASTRO_QUOTA_H
#define KASTRO_QUOTA_H

#include <stddef.h>
#include <stdint.h>

struct quota;

struct quota_limits {
	uint64_t events_per_s;          /* 0: no event quota */
	uint64_t bytes_per_s;           /* 0: no byte quota */
	uint32_t burst_s;               /* buckets hold this many seconds' worth, >= 1 */
};

struct quota_stats {
	uint64_t refused_batches, refused_events, refused_bytes;
	uint64_t table_full;            /* batches refused: no place for their sensor */
};

/* A table for at most cap sensors (>= 1); NULL when out of memory. */
struct quota *quota_new(const struct quota_limits *lim, size_t cap);
void quota_free(struct quota *q);

/*
 * Take events and bytes for sensor at now_ms (a monotonic clock). 0: taken.
 * 1: refused, nothing taken, the refusal counted; *retry_s (may be NULL)
 * gets the seconds after which the batch would fit (at least 1). A batch
 * larger than the whole bucket is refused too (*retry_s then says burst_s):
 * the sensor's link halves its batches on 413, so the caller may answer
 * that instead.
 */
int quota_take(struct quota *q, const char *sensor, uint64_t now_ms, uint64_t events,
	       uint64_t bytes, uint32_t *retry_s);

/* 1 when the bytes alone would be refused now (a cheap check before parsing). */
int quota_bytes_short(struct quota *q, const char *sensor, uint64_t now_ms, uint64_t bytes);

/*
 * Refusals not yet collected: cb(arg, sensor, batches, events, bytes) for
 * each sensor with some, then they are cleared.
 */
typedef void (*quota_refused_cb)(void *arg, const char *sensor, uint64_t batches,
				 uint64_t events, uint64_t bytes);
void quota_collect(struct quota *q, quota_refused_cb cb, void *arg);

void quota_get_stats(const struct quota *q, struct quota_stats *out);

#endif
