/*
 * sensorlink.h - a sensor's link to kastro-console, shared by kastrod (its
 * link process, daemon/link.h) and kastro-agent.
 *
 * Events arrive on a datagram socket (one JSON object per datagram, at
 * most LINKP_EVENT_MAX bytes): each is checked (linkproto.h) and appended
 * to the durable spool in DIR/spool (spool.h; alerts and findings kept
 * longest, stats and heartbeats dropped first; fsync at most every 100 ms).
 * What the console has not acknowledged is sent in batches over HTTPS with
 * the client certificate (libcurl, TLS 1.3, the console's CA only,
 * keep-alive, an HTTP proxy if configured); the spool is cut only after
 * the console's ack. Failures are retried with a jittered exponential
 * backoff (1 s to 60 s); a batch the console refuses as too large is
 * halved, one it refuses as malformed is narrowed down to the one bad
 * event, which is skipped and counted. Beside the sends the link
 * long-polls for commands on a second connection in the same curl multi
 * loop: "ping" is answered here, every other command goes to the caller,
 * which answers at once or later from any thread (sensorlink_answer).
 *
 * DIR holds what the sensor's enrolment wrote (sensorenroll.h): ca.pem,
 * cert.pem, key.pem, sensor_id.
 */
#ifndef KASTRO_SENSORLINK_H
#define KASTRO_SENSORLINK_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkproto.h"

#define SENSORLINK_ERR_MAX 200

/* The link's counters, for `kastroctl status` and heartbeats. */
struct sensorlink_stats {
	uint64_t received;              /* events from the sensor */
	uint64_t malformed;             /* of them, not a JSON object with an event_type */
	uint64_t spooled;               /* appended to the spool */
	uint64_t spool_dropped;         /* the spool's bound: lost (all classes, ever) */
	uint64_t spool_errors;          /* appends that failed otherwise */
	uint64_t pending;               /* records in the spool, not acknowledged */
	uint64_t pending_bytes;
	uint64_t acked_seq;             /* the console acknowledged every seq <= this */
	uint64_t batches, sent, acked;  /* batches sent, events in them, events acknowledged */
	uint64_t send_failures, polls, poll_failures, commands, results;
	uint64_t rejected;              /* events the console refused one by one (400): skipped */
	uint32_t connected;             /* 1: the last exchange with the console succeeded */
	uint32_t backoff_ms;            /* current wait before the next try; 0: none */
	char last_error[SENSORLINK_ERR_MAX];    /* NUL-terminated; "" when none yet */
};

enum sensorlink_answer { SENSORLINK_DONE, SENSORLINK_FAILED, SENSORLINK_LATER };

/*
 * A command other than ping, called in the link's thread. Answer at once
 * (DONE or FAILED with *result, taken over; NULL is {}) or LATER, and call
 * sensorlink_answer() with the same id when done. It must not block long:
 * the link sends nothing while it runs.
 */
typedef enum sensorlink_answer (*sensorlink_cmd_fn)(void *arg, const struct linkp_cmd *c,
						   json_t **result);

struct sensorlink_args {
	const char *program;            /* "kastrod", "kastro-agent": user agent, ping */
	const char *host;               /* the console */
	unsigned port;                  /* its sensor port */
	const char *dir;                /* the enrolment; the spool goes in DIR/spool */
	const char *proxy;              /* "http://HOST:PORT" or NULL */
	uint64_t spool_max;             /* bytes */
	size_t answer_max;              /* largest answer to a poll; 0: 256 KiB */
	int events_fd;                  /* the events come in here; -1: sensorlink_append() only */
	int watch_fd;                   /* -1, or readable means: call on_watch */
	int (*on_watch)(void *arg);     /* nonzero: stop */
	void (*on_tick)(void *arg, const struct sensorlink_stats *st);  /* about once a second */
	sensorlink_cmd_fn on_command;   /* NULL: every command but ping fails */
	void *arg;
	volatile sig_atomic_t *stop;    /* set (by a signal handler): stop */
};

struct sensorlink;

/*
 * Read the sensor id, open the spool and set up libcurl. args (and what it
 * points to) must outlive the link. NULL with err set when not enrolled or
 * the spool cannot be used; a spool that had damage opens with a warning
 * in warn (else "").
 */
struct sensorlink *sensorlink_new(const struct sensorlink_args *args, char *warn, size_t warnlen,
				  char *err, size_t errlen);
/* This sensor's id, as enrolled. */
const char *sensorlink_sensor_id(const struct sensorlink *l);
/* The loop, until *stop, on_watch says stop, or a fatal error (1). */
int sensorlink_run(struct sensorlink *l);
/*
 * The result of a command answered LATER; from any thread, while the link
 * exists. Takes result over. -1 when out of memory.
 */
int sensorlink_answer(struct sensorlink *l, int64_t id, bool done, json_t *result);
/*
 * Append one event (a JSON object, checked as events from events_fd are)
 * to the spool from any thread; durable: on disk before this returns, else
 * within 100 ms. Returns 0, or -1 with err (malformed, the spool full of
 * what cannot be dropped, an I/O error).
 */
int sensorlink_append(struct sensorlink *l, const char *json, size_t len, bool durable,
		      char *err, size_t errlen);
/*
 * GET path on the sensor port with the sensor's identity, blocking, from
 * any thread (its own connection); the answer (at most max bytes) into
 * *body (NUL-terminated, to free()). Returns 0 on a 200, or -1 with err.
 */
int sensorlink_fetch(struct sensorlink *l, const char *path, size_t max, char **body,
		     size_t *len, char *err, size_t errlen);
/* Store what is still queued on events_fd, sync, and free. */
void sensorlink_free(struct sensorlink *l);

#endif
