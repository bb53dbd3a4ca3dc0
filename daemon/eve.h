/*
 * eve.h - EVE JSON output: one event per line, with Suricata's field names
 * so existing EVE consumers read it (schema: docs/eve.md).
 *
 * Events are written into a fixed buffer per event; an event that does not
 * fit is dropped and counted, never cut. The file is written through stdio
 * with a large buffer; eve_flush() is called by the capture loop when idle
 * and at least once a second.
 */
#ifndef KASTRO_EVE_H
#define KASTRO_EVE_H

#include <stdint.h>
#include <stdio.h>

#include "dpi.h"
#include "flow.h"
#include "jw.h"
#include "verdict.h"

#define EVE_MAX_EVENT 8192
/* bytes of EVE lines buffered before they are written, always whole lines */
#define EVE_STDIO_BUF (1 << 20)

struct eve {
	FILE *fp;
	int own_fp;
	char buf[EVE_MAX_EVENT];
	/* recently formatted seconds, "YYYY-MM-DDTHH:MM:SS", by second % 4 */
	uint64_t ts_sec[4];
	char ts_text[4][64];
	uint64_t events;
	uint64_t dropped_too_big;
	uint64_t write_errors;
	uint64_t reopens;               /* eve_switch()es done */
	size_t pending;                 /* bytes in the stream's buffer since the last flush */
	char *iobuf;                    /* the stream's buffer, EVE_STDIO_BUF bytes (a file's) */
	/*
	 * Live with a console link: every event is also handed to tap (the
	 * JSON object without its newline), which must not block; it returns
	 * 0 when the event was passed on, -1 when it was not (counted).
	 */
	int (*tap)(void *ctx, const char *json, size_t len);
	void *tap_ctx;
	uint64_t tap_sent, tap_dropped;
	/*
	 * Flood hygiene: flow, dns, tls and http events beyond max_rate in one
	 * second (of event time) are not written, and counted; 0 = no cap.
	 * Alerts and stats are never capped. App events with nothing in them
	 * (a port guess on a flow without payload) are not written either.
	 */
	uint32_t max_rate;
	uint64_t rate_sec;              /* the second being counted */
	uint32_t rate_n;                /* events in it so far */
	uint64_t dropped_rate;
	uint64_t skipped_empty;
};

/* Open path for appending ("-": stdout). Returns 0 or -1 with err set. */
int eve_open(struct eve *e, const char *path, char *err, size_t errlen);
void eve_close(struct eve *e);
int eve_flush(struct eve *e);

/*
 * Write to fd from now on (a file opened again for appending, after the old
 * one was moved away by log rotation): what is buffered goes to the old file
 * first, so every line lands whole in one file or the other. fd becomes the
 * stream's descriptor in place of the old one (dup3: no new stream, no
 * allocation, no fcntl, which the sensor's system call filter allows) and
 * is closed here either way. Returns 0, or -1 with err set (EVE goes to
 * standard output, or dup3 failed: the old file stays).
 */
int eve_switch(struct eve *e, int fd, char *err, size_t errlen);

/* Start an event: timestamp and event_type, into e->buf through w. */
void eve_begin(struct eve *e, struct jw *w, uint64_t ts_us, const char *event_type);
/* Finish the event started with eve_begin and write it as one line. */
void eve_commit(struct eve *e, struct jw *w);

/* Format a time (microseconds since the epoch) as ISO 8601 UTC, e.g.
 * 2022-02-01T10:00:00.123456+0000. buf must hold EVE_TIME_LEN bytes. */
#define EVE_TIME_LEN 64
void eve_time(struct eve *e, uint64_t us, char *buf);

/*
 * Flow end (or periodic update) event. reason: "timeout", "forced",
 * "shutdown" or "active" (an update of a flow still running).
 */
void eve_flow(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	      const char *reason);
/* dns, tls or http event from the metadata of a flow whose detection ended. */
void eve_app(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	     const struct dpi_meta *m, uint64_t ts_us);

/* alert event for a policy verdict on flow f (Suricata's alert object). */
void eve_alert(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	       const struct verdict *v, uint64_t ts_us);

#endif
