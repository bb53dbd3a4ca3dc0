/*
 * linkproto.h - the pure parts of a sensor's link to kastro-console
 * (sensorlink.h; kastrod and kastro-agent): which spool class an EVE event goes to, batches of events in
 * the sensor API's shape, the console's answers (the ack of a batch, the
 * command list of a long poll), the answer to a command, and the retry
 * backoff. No I/O here, so all of it is unit-tested and fuzzed
 * (tests/unit/test_linkproto.c, tests/fuzz/fuzz_link.c).
 *
 * The console's answers are untrusted input to the link: each is parsed
 * with jansson, checked field by field, and refused whole when malformed.
 * Functions that can fail return -1 with a message in err and never log.
 */
#ifndef KASTRO_LINKPROTO_H
#define KASTRO_LINKPROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define LINKP_BATCH_MAX_EVENTS 1000        /* the sensor API's limit */
#define LINKP_BATCH_MAX_BYTES (1u << 20)   /* a batch body, JSON and all */
#define LINKP_EVENT_MAX (64u << 10)        /* one event, the sensor API's limit */
#define LINKP_CMD_TYPE_MAX 32
#define LINKP_BACKOFF_MIN_MS 1000u
#define LINKP_BACKOFF_MAX_MS 60000u

/*
 * Check one EVE event as the console will (a JSON object, at most
 * LINKP_EVENT_MAX bytes, with a string event_type) and choose its spool
 * class: alerts are findings (kept longest), stats and heartbeats are
 * heartbeats (dropped first), the rest events. Returns 0 or -1.
 */
int linkp_event_class(const char *json, size_t len, enum spool_class *cls,
		      char *err, size_t errlen);

/*
 * One batch for POST /sensor/v1/events, built in a buffer of cap bytes
 * (made by linkp_batch_init, at most LINKP_BATCH_MAX_BYTES of body): the
 * events are copied in as they are (each was checked by
 * linkp_event_class() before it was spooled).
 */
struct linkp_batch {
	char *buf;
	size_t len, cap;
	size_t n;                       /* events */
	uint64_t first_seq, last_seq;
};

int linkp_batch_init(struct linkp_batch *b, size_t cap);
void linkp_batch_free(struct linkp_batch *b);
/* Empty it for the next batch. */
void linkp_batch_reset(struct linkp_batch *b);
/*
 * Add event seq. Returns 0 when added, 1 when it does not belong in this
 * batch (a gap after the last sequence, LINKP_BATCH_MAX_EVENTS reached, or
 * no room left): send this one and start the next with it. An event that
 * fits no batch even alone returns -1.
 */
int linkp_batch_add(struct linkp_batch *b, uint64_t seq, const void *json, size_t len);
/* Close the JSON; b->buf then holds b->len bytes of body. n must be > 0. */
void linkp_batch_finish(struct linkp_batch *b);

/*
 * The console's answer to a batch of first..last: {"ack": M, ...} with
 * first <= M <= last. Returns 0 with *ack = M, or -1.
 */
int linkp_parse_ack(const char *body, size_t len, uint64_t first, uint64_t last,
		    uint64_t *ack, char *err, size_t errlen);

struct linkp_cmd {
	int64_t id;                     /* > 0 */
	char type[LINKP_CMD_TYPE_MAX];  /* "" when it was not a short string */
	json_t *args;                   /* a reference to the args object, or NULL */
};

/*
 * The answer to a long poll: {"commands": [{"id", "type", "args"}...]}.
 * At most max commands are taken into out (*n of them); more, or a command
 * without a positive integer id, makes the whole answer malformed (-1): the
 * link could not answer it. A type that is not a string of less than
 * LINKP_CMD_TYPE_MAX bytes leaves type "" (answered as failed); args that
 * are not an object are NULL. Each command taken holds a reference to its
 * args: linkp_cmd_clear() drops it.
 */
int linkp_parse_commands(const char *body, size_t len, struct linkp_cmd *out, size_t max,
			 size_t *n, char *err, size_t errlen);
void linkp_cmd_clear(struct linkp_cmd *c);

/*
 * The body for POST /sensor/v1/results: {"id", "status": "done" or
 * "failed", "result": result} (result taken over; NULL makes {}). Returns
 * a string to free(), or NULL when out of memory.
 */
char *linkp_result(int64_t id, bool done, json_t *result);

/* The answer to "ping" at time now (seconds since the epoch) from program. */
json_t *linkp_pong(int64_t now, const char *program);

/* {"error": why} for a failed command; NULL when out of memory. */
json_t *linkp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * After a failure: the next wait in ms. *cur_ms is the backoff so far (0
 * at first); it doubles from LINKP_BACKOFF_MIN_MS up to
 * LINKP_BACKOFF_MAX_MS, and the wait returned is between half of it and
 * all of it, chosen by rnd (jitter, so many gateways do not come back in
 * step). A success resets *cur_ms to 0.
 */
uint32_t linkp_backoff(uint32_t *cur_ms, uint32_t rnd);

/*
 * The console refused a batch of n events as malformed (HTTP 400): one of
 * them fails its checks. Narrow it down: while n > 1, send at most half as
 * many next time (*max_events, at least 1) and return LINKP_RETRY; a
 * single refused event is skipped (LINKP_SKIP: acknowledge it locally,
 * count it, go on), so one bad event never holds back those behind it.
 * After a batch is accepted, linkp_accepted() lets *max_events grow back
 * (doubling, up to LINKP_BATCH_MAX_EVENTS).
 */
enum linkp_refusal { LINKP_RETRY, LINKP_SKIP };
enum linkp_refusal linkp_refused(size_t n, unsigned *max_events);
void linkp_accepted(unsigned *max_events);

#endif
