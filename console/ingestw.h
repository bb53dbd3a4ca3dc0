/*
 * ingestw.h - the console's ingest writer: a thread of its own that
 * commits groups of checked event batches through its own connection to
 * the database, so that the event loop goes on reading TLS and handing
 * batches to the parse thread while SQLite inserts and fsyncs.
 *
 * One group at a time is with the writer. The loop hands it a group
 * (ingestw_submit), learns through a readable descriptor (ingestw_fd) that
 * the group is done, collects the outcome (ingestw_collect) and only then
 * acknowledges the batches: no sensor hears "stored" before it is. The
 * writer touches only the items it was handed (sensor, batch in; ok, ack,
 * res, err out) and its own store; everything after the commit (answers,
 * counters, backups, probes) stays on the loop.
 */
#ifndef KASTRO_INGESTW_H
#define KASTRO_INGESTW_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "store.h"

/* A batch of a group: in, what the writer reads; out, what it says. */
struct ingestw_item {
	const char *sensor;                     /* in */
	const struct store_batch *b;            /* in */
	bool ok;                                /* out: stored (once the group committed) */
	uint64_t ack;                           /* out */
	struct store_ingest_result res;         /* out */
	char err[256];                          /* out, when !ok */
};

/*
 * Store the n items in one transaction on s, each under a savepoint of its
 * own, and commit once: 0 when committed (each item's ok says whether it
 * is in), -1 and err when nothing is stored. The writer thread runs this;
 * so does the loop when there is no thread.
 */
int ingestw_commit(struct store *s, struct ingestw_item *const *items, unsigned n, char *err,
		   size_t errlen);

struct ingestw;

/* A writer thread committing through s (its own connection; the writer
 * owns it from here and closes it in ingestw_free). */
int ingestw_start(struct ingestw **out, struct store *s, char *err, size_t errlen);
/* Readable when the group handed over is done (read it empty). */
int ingestw_fd(const struct ingestw *w);
/* Whether a group is with the writer (handed and not collected). */
bool ingestw_busy(const struct ingestw *w);
/* Hand a group (the items stay the caller's and must live until
 * collected); -1 when one is with the writer already. */
int ingestw_submit(struct ingestw *w, struct ingestw_item **items, unsigned n);
/*
 * The outcome of the group handed: 1 when it is done (committed 0, or -1
 * and err as ingestw_commit()), after which the writer is free again; 0
 * when it is not done yet (wait: block until it is) or none was handed.
 */
int ingestw_collect(struct ingestw *w, bool wait, int *committed, char *err, size_t errlen);
/* Stop the thread (after the group in flight, left uncollected) and close its store. */
void ingestw_free(struct ingestw *w);

#endif
