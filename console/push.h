/*
 * push.h - push checks: heartbeats from jobs (backups, cron jobs), on the
 * console's HTTPS listener, compatible with the Healthchecks.io ping API so
 * that borgmatic's healthchecks hook, restic wrappers, runitor and
 * `curl -fsS` work unchanged:
 *
 *   /ping/UUID            success           /ping/UUID/start   a run began
 *   /ping/UUID/fail       failure           /ping/UUID/N       exit status N
 *
 * HEAD, GET or POST; a POST body (the job's output) is kept up to
 * SVC_BODY_MAX bytes. The UUID is the capability: no session, no CSRF
 * header. An unknown or malformed UUID gets the same 404 and nothing
 * else. Each source address has a token bucket (PUSH_BURST pings, then
 * PUSH_RATE a second); pings over it get 429 and are counted.
 *
 * A check is up after a success, down after a failure; when no success
 * came for `period` it is late, and down after `grace` more.
 */
#ifndef KASTRO_PUSH_H
#define KASTRO_PUSH_H

#include <stdint.h>

#include <event2/http.h>

#include "inventory.h"
#include "store_services.h"

#define PUSH_BURST    120       /* pings a source may send at once */
#define PUSH_RATE     20        /* ... and then per second */
#define PUSH_SOURCES  4096      /* sources tracked; the longest idle is forgotten first */

struct console;

/* Counters for status. */
struct push_stats {
	uint64_t pings, unknown, limited, sources_evicted;
};

/*
 * The path after "/ping/": "UUID", "UUID/start", "UUID/fail" or
 * "UUID/N" (N 0..255, no sign or leading zeros but "0"), optionally with
 * one trailing '/'. On success the UUID in lower case into uuid. Returns 0,
 * or -1 for anything else.
 */
int push_parse_path(const char *rest, char uuid[INV_UUID_LEN + 1], enum svc_ping *what,
		    int *exit_code);

/* Make the tables, add rows for new checks, start the 1 s timer. */
int push_start(struct console *c, char *err, size_t errlen);
void push_free(struct console *c);

/* Answer a request whose path starts with "/ping/". */
void push_handle(struct console *c, struct evhttp_request *req, const char *path);

/* Move push checks to late or down as the clock says (the timer calls it). */
void push_evaluate(struct console *c, int64_t now);

const struct push_stats *push_stats(const struct console *c);

#endif
