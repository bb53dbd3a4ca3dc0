/*
 * cmetrics.h - the console's metrics that its `status` counters do not
 * carry, in Prometheus' text exposition format, for `kastroctl metrics`
 * (control request "metrics", read-only): open alerts by severity, each
 * alert hook's queue and deliveries, and each service check's state.
 * Names follow tools/metrics.h: prefix kastro_console_, counters end in
 * _total; label values are escaped as the format requires.
 */
#ifndef KASTRO_CMETRICS_H
#define KASTRO_CMETRICS_H

#include <stddef.h>

struct console;

/*
 * Write the metrics into out (len bytes, NUL-terminated), after an "ok"
 * line. Returns 0; -1 with err set when the store fails or the text does
 * not fit (never cut: the caller answers with the error).
 */
int cmetrics_answer(struct console *c, char *out, size_t len, char *err, size_t errlen);

struct evhttp_request;

/*
 * GET /api/v1/metrics (rest.c, for a caller already allowed to view): the
 * same metrics plus ingest and connection counters and the sensors online
 * and offline, as text/plain version 0.0.4, for Prometheus to scrape with
 * an officer's API token. At most CMETRICS_HTTP_MAX bytes: more is a 500
 * with the reason, never a cut answer.
 */
#define CMETRICS_HTTP_MAX (512 * 1024)
void cmetrics_http(struct console *c, struct evhttp_request *req);

#endif
