/*
 * retain.c - see retain.h. Refusals are counted in memory as they happen
 * and written to the database (with the alert) once per tick, so a
 * sensor flooding the port costs one write a second, not one per request.
 */
#include "retain.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "console.h"
#include "log.h"
#include "quota.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int retain_init(struct console *c, char *err, size_t errlen)
{
	struct quota_limits lim = {
		.events_per_s = c->conf.quota_events,
		.bytes_per_s = c->conf.quota_bytes,
		.burst_s = c->conf.quota_burst,
	};
	size_t cap = c->conf.max_connections > 1024 ? c->conf.max_connections : 1024;

	c->quota = quota_new(&lim, cap);
	if (c->quota == NULL) {
		snprintf(err, errlen, "quota table: out of memory");
		return -1;
	}
	return 0;
}

void retain_free(struct console *c)
{
	quota_free(c->quota);
	c->quota = NULL;
}

int retain_check_batch(struct console *c, struct evhttp_request *req, const char *sensor,
		       uint64_t events, size_t len)
{
	uint64_t now = mono_ms();
	uint32_t retry = 0;
	char v[16];

	if (c->quota == NULL)
		return 0;
	if (c->conf.quota_bytes > 0 && len > c->conf.quota_bytes * c->conf.quota_burst) {
		c->quota_refused_413++;
		log_limited(&c->rl_req, LOG_LVL_WARN, "sensor %s: batch of %zu bytes is more than "
			    "its quota allows at once; refused (413)", sensor, len);
		server_reply_error(req, 413, "batch of %zu bytes is more than the sensor's quota "
				   "allows at once (%" PRIu64 " bytes); send smaller batches", len,
				   c->conf.quota_bytes * c->conf.quota_burst);
		return 1;
	}
	/* before parsing: only the bytes, refused when they alone do not fit */
	if (events == 0) {
		if (!quota_bytes_short(c->quota, sensor, now, len))
			return 0;
	}
	if (quota_take(c->quota, sensor, now, events, len, &retry) == 0)
		return 0;
	log_limited(&c->rl_req, LOG_LVL_WARN, "sensor %s: over its quota; batch of %" PRIu64
		    " events, %zu bytes refused (429), retry after %" PRIu32 " s", sensor, events,
		    len, retry);
	snprintf(v, sizeof(v), "%" PRIu32, retry);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", v);
	server_reply_error(req, 429, "over the sensor's quota; nothing stored, send it again in "
			   "%" PRIu32 " s", retry);
	return 1;
}

static void record(void *arg, const char *sensor, uint64_t batches, uint64_t events,
		   uint64_t bytes)
{
	struct console *c = arg;
	char err[256];
	int64_t alert = 0;

	if (store_quota_refused(c->store, sensor, batches, events, bytes, (int64_t)console_now(),
				&alert, err, sizeof(err)) < 0) {
		log_err("sensor %s: recording %" PRIu64 " refused batch(es): %s", sensor, batches, err);
		return;
	}
	c->quota_alerts++;
	log_warn("sensor %s over its quota: %" PRIu64 " batch(es), %" PRIu64 " events, %" PRIu64
		 " bytes refused (alert %" PRId64 ")", sensor, batches, events, bytes, alert);
}

void retain_tick(struct console *c)
{
	struct store_prune_result r;
	uint64_t t0 = mono_ms(), t, step = t0;
	char err[256];

	if (c->quota != NULL)
		quota_collect(c->quota, record, c);
	/* batches while there is more, for at most RETAIN_TICK_MS of the loop */
	do {
		if (store_prune(c->store, (int64_t)console_now(), c->conf.retain_events,
				c->conf.retain_alerts, RETAIN_BATCH, &r, err, sizeof(err)) < 0) {
			log_limited(&c->rl_req, LOG_LVL_ERR, "retention: %s", err);
			return;
		}
		t = mono_ms();
		if (t - step > c->prune_step_ms_max)
			c->prune_step_ms_max = t - step;
		step = t;
		c->pruned_events += (uint64_t)r.events;
		c->pruned_alerts += (uint64_t)r.alerts;
		c->prune_held_alerts = (uint64_t)r.alerts_held;
	} while (r.more && t - t0 < RETAIN_TICK_MS);
}
