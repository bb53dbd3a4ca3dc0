/*
 * outbox.h - the hooks' transactional outbox and its delivery workers.
 *
 * Deliveries are rows of the console's database (table hook_deliveries),
 * written by outbox_enqueue() inside the transaction that stores the alert:
 * an alert acknowledged to a sensor always has its deliveries queued, and
 * a delivery never exists without its alert. One worker thread per hook,
 * with its own database connection, sends the hook's queued rows in the
 * order they were made, and marks a row delivered only after the receiver
 * accepted it (send.h): after kill -9 a row is sent again, never lost.
 * A temporary failure holds the queue (order is kept) and is retried with
 * exponential backoff and jitter; a permanent refusal marks the row failed
 * with the receiver's answer and the queue moves on.
 *
 * Bounded: a hook holds at most queue_max queued rows; at the cap the
 * oldest of the lowest severity is dropped first, and counted.
 */
#ifndef KASTRO_OUTBOX_H
#define KASTRO_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "fmt.h"
#include "hooks.h"

struct outbox;

/* Hooks at once: those of console.conf and those made in the console (hookdb.h). */
#define OUTBOX_MAX_HOOKS 32

/* What `kastroctl hooks` shows of one hook. */
struct outbox_hook_status {
	char name[HOOK_NAME_MAX + 1];
	char kind[16], url[HOOK_URL_MAX + 1], format[16];
	bool from_db;                   /* made in the console, not console.conf */
	uint32_t queue_max;
	char at[64];                    /* console.conf's "file:line", or "" */
	int64_t queued;                 /* rows waiting */
	uint64_t delivered, failed, dropped, retries;
	int64_t last_ok;                /* Unix seconds; 0: never */
	int64_t last_err_at;
	char last_err[256];
};

/*
 * Create the outbox's tables in db when missing (CREATE TABLE IF NOT
 * EXISTS; nothing else of the schema changes). Returns 0 or -1 with err.
 */
int outbox_schema(sqlite3 *db, char *err, size_t errlen);

/*
 * The outbox for the n hooks at hooks (copied), on the database at
 * db_path: tables made, queue depths counted. Workers start with
 * outbox_run(). ctx: host name and public URL (copied).
 */
int outbox_new(struct outbox **out, const char *db_path, const struct hook_def *hooks, int n,
	       const struct fmt_ctx *ctx, char *err, size_t errlen);

/*
 * Sensors' batches waited for the ingest writer (the loop, when a group is
 * done and more are queued): for a short while the workers hold their
 * rounds back, at most a second at a time, so that deliveries do not slow
 * a saturated ingest (docs/hooks.md). ob may be NULL.
 */
void outbox_ingest_backlog(struct outbox *ob);

/* Start one worker thread per hook. */
int outbox_run(struct outbox *ob, char *err, size_t errlen);

/* Stop the workers (a send in progress finishes or times out) and free. */
void outbox_free(struct outbox *ob);

/*
 * In the caller's open transaction on db: queue a delivery of alert id to
 * every hook whose filter v passes. is_new: the alert row was just made
 * (raised); otherwise it was counted again, and only hooks with
 * resend-after whose last delivery of it is older than that get one
 * ("resend"). *queued gets the number of rows written. ob may be NULL (no
 * hooks). Returns 0, or -1 with err (the caller rolls back).
 */
int outbox_enqueue(struct outbox *ob, sqlite3 *db, int64_t id, const struct hook_alert_view *v,
		   bool is_new, int64_t now, int *queued, char *err, size_t errlen);

/*
 * A hook made or changed in the console (hookdb.h), from the console's
 * loop: a new worker starts; one that replaces a hook of the same name
 * starts sending once the old one has finished its current send (one
 * sender per hook, order kept). A hook of console.conf cannot be replaced.
 * The queued deliveries are the hook's by name and stay queued.
 */
int outbox_put(struct outbox *ob, const struct hook_def *h, char *err, size_t errlen);

/* A hook made in the console taken away; its worker stops after its current send. */
int outbox_remove(struct outbox *ob, const char *name, char *err, size_t errlen);

/*
 * In the caller's open transaction on db: queue audit entry id (time ts,
 * by user from addr, action) to every hook that takes type audit (reason "audit";
 * the filter sees sensor = user, host = addr, rule = action, severity low). As
 * outbox_enqueue otherwise.
 */
int outbox_enqueue_audit(struct outbox *ob, sqlite3 *db, int64_t id, int64_t ts,
			 const char *user, const char *addr, const char *action, int *queued, char *err,
			 size_t errlen);

/* Hooks known: n, and status of hook i into *st. */
int outbox_hooks(const struct outbox *ob);
void outbox_status(struct outbox *ob, int i, struct outbox_hook_status *st);

/*
 * Whether hook i dropped deliveries at its cap since the last call (1) or
 * not (0); *shed: how many since the console started.
 */
int outbox_shed_news(struct outbox *ob, int i, uint64_t *shed);

/* Counters over every hook, for `kastroctl console status`. */
void outbox_totals(struct outbox *ob, uint64_t *queued, uint64_t *delivered, uint64_t *failed,
		   uint64_t *dropped);

/*
 * A test delivery through hook name, bypassing its queue: a new sender,
 * a sample alert, in a thread of its own. *id gets a handle for
 * outbox_test_result(). Returns 0, -1 with err (unknown hook, too many
 * tests at once).
 */
int outbox_test_start(struct outbox *ob, const char *name, unsigned timeout_s, int *id,
		      char *err, size_t errlen);

/*
 * The test's state: 1 still running, 0 done (*result the send_result,
 * answer the receiver's words), -1 no such test. A finished test is
 * forgotten once read.
 */
int outbox_test_result(struct outbox *ob, int id, int *result, char *answer, size_t anslen);

/* Operator's actions on one delivery: retry a failed one, drop a queued or failed one. */
int outbox_retry(struct outbox *ob, int64_t delivery_id, char *err, size_t errlen);
int outbox_drop(struct outbox *ob, int64_t delivery_id, char *err, size_t errlen);

/* One delivery row, for listings (newest first). */
struct outbox_delivery {
	int64_t id, alert_id, created, last_at;
	char hook[HOOK_NAME_MAX + 1], state[16], reason[16], answer[256];
	int attempts, severity;
};
typedef int (*outbox_delivery_cb)(void *arg, const struct outbox_delivery *d);

/* Deliveries of hook (NULL: all), state (NULL: any), ids below before (0: newest), at most limit. */
int outbox_list(struct outbox *ob, const char *hook, const char *state, int64_t before,
		unsigned limit, outbox_delivery_cb cb, void *arg, char *err, size_t errlen);

#endif
