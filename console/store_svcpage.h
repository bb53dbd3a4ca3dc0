/*
 * store_svcpage.h - what a service's page reads beyond the check rows
 * (store.h's conventions: -1 with err, never logs).
 *
 * Every probe result with a response time is kept in svc_rt for
 * SVCPAGE_RT_KEEP seconds (older rows of the check go at each write), and
 * read back downsampled to at most a given number of points. The state
 * history is store_services.c's svc_history.
 */
#ifndef KASTRO_STORE_SVCPAGE_H
#define KASTRO_STORE_SVCPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SVCPAGE_RT_KEEP     (31 * 86400)        /* seconds of response times kept */
#define SVCPAGE_HISTORY_MAX 5000                /* state changes of one check per answer */

/* Make the table (CREATE TABLE IF NOT EXISTS). */
int svcpage_init(struct store *s, char *err, size_t errlen);

/* Record a response time (ms >= 0) of a check at ts, inside the caller's transaction. */
int svcpage_rt_add(struct store *s, const char *service, const char *key, int64_t ts, int ms,
		   char *err, size_t errlen);

/* A point: the bucket's first time, and the mean and max of its response times. */
struct svcpage_rt_point {
	int64_t ts;
	double avg;
	int max;
};
typedef int (*svcpage_rt_cb)(const struct svcpage_rt_point *p, void *arg);

/*
 * The check's response times in [from, to), oldest first, in at most
 * `points` buckets of equal length over the span from the first of them
 * to `to` (so a check newer than the window still gets its points).
 */
int svcpage_rt(struct store *s, const char *service, const char *key, int64_t from, int64_t to,
	       unsigned points, svcpage_rt_cb cb, void *arg, char *err, size_t errlen);

/* A hard state change of a check. */
struct svcpage_change {
	int64_t ts;
	const char *state;      /* valid during the callback */
	int maintenance;
};
typedef int (*svcpage_change_cb)(const struct svcpage_change *ch, void *arg);

/*
 * The check's state at `from` (its last change before, if any) and its
 * changes since, oldest first; at most SVCPAGE_HISTORY_MAX (the newest are
 * left out and *cut set).
 */
int svcpage_history(struct store *s, const char *service, const char *key, int64_t from,
		    svcpage_change_cb cb, void *arg, bool *cut, char *err, size_t errlen);

#endif
