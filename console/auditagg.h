/*
 * auditagg.h - refused requests in the audit log without letting a flood
 * of them flood the log. Each refusal is keyed by (action, user, address):
 * the first of a key in a window is written at once; repeats within the
 * window are counted and written as one entry when the window ends
 * ("... and 57 more like it in 10 s"). Nothing is dropped: when the table
 * of keys is full, or more than AUDITAGG_IMMEDIATE first entries came in
 * one window, refusals are counted per action from "many addresses" and
 * written the same way.
 *
 * Memory: cap keys (set at creation) plus one row per action.
 */
#ifndef KASTRO_AUDITAGG_H
#define KASTRO_AUDITAGG_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct auditagg;

#define AUDITAGG_IMMEDIATE 100          /* first entries written at once per window */
#define AUDITAGG_ACTIONS   16           /* distinct actions summed when keys run out */

struct auditagg_stats {
	uint64_t noted;                 /* refusals seen */
	uint64_t written;               /* audit entries written for them */
	uint64_t aggregated;            /* refusals counted into a later entry */
	uint64_t errors;                /* entries the store refused (logged by the caller) */
};

/* At most cap keys, windows of window_s seconds (>= 1); NULL: out of memory. */
struct auditagg *auditagg_new(size_t cap, unsigned window_s);
void auditagg_free(struct auditagg *a);

/*
 * A refused request: action ([A-Za-z0-9._-]), user ("" or a user name),
 * addr (the client), detail (the first of a window's entries carries it).
 * 0, or -1 when the store failed (err says why).
 */
int auditagg_note(struct auditagg *a, struct store *s, int64_t now, const char *action,
		  const char *user, const char *addr, const char *detail, char *err, size_t errlen);

/*
 * Write the counts of windows that ended by now (all: every window, at
 * shutdown). 0, or -1 after the first store failure (the rest stays for
 * the next call).
 */
int auditagg_flush(struct auditagg *a, struct store *s, int64_t now, int all, char *err,
		   size_t errlen);

void auditagg_get_stats(const struct auditagg *a, struct auditagg_stats *out);

#endif
