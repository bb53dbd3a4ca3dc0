/*
 * retain.h - the console's side of retention and quotas: the per-sensor
 * quota checked on each batch before it is stored or acknowledged, and
 * the upkeep the one-second tick runs (refusals recorded and alerted,
 * old events and alerts pruned a batch at a time). The store does the
 * rows (store_retention.c); quota.c does the buckets.
 */
#ifndef KASTRO_RETAIN_H
#define KASTRO_RETAIN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

struct console;

/* Rows deleted per step at most, of events and of alerts each (one short
 * transaction); a tick takes further steps while there is more, for at
 * most RETAIN_TICK_MS of the event loop. */
#define RETAIN_BATCH 2000
#define RETAIN_TICK_MS 50

/* Make the quota table (sized by `limits connections`); -1 with err. */
int retain_init(struct console *c, char *err, size_t errlen);
void retain_free(struct console *c);

/*
 * A batch of events (0 when not yet known: only its bytes are checked)
 * and len bytes from sensor. 0: go on. 1: refused and answered (429 with
 * Retry-After, or 413 when the batch alone is more than the quota allows
 * at once); the sensor keeps it and sends it again.
 */
int retain_check_batch(struct console *c, struct evhttp_request *req, const char *sensor,
		       uint64_t events, size_t len);

/* Once a second: record and alert refusals, prune a batch. */
void retain_tick(struct console *c);

#endif
