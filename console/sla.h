/*
 * sla.h - the service level of one service over a span (a month of the
 * report): availability leaving out maintenance, outages, from the
 * service's hard state changes. Pure computation, no I/O.
 */
#ifndef KASTRO_SLA_H
#define KASTRO_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

#define SLA_MAINT_MAX 128       /* maintenance spans taken per report span */

/* The service's state from ts on. */
enum sla_state { SLA_UNKNOWN, SLA_UP, SLA_DOWN };

struct sla_change {
	int64_t ts;
	enum sla_state state;
};

struct sla_span {
	int64_t from, to;       /* [from, to) */
};

struct sla_result {
	int64_t known;          /* seconds with a known state, outside maintenance */
	int64_t maint;          /* seconds of maintenance in the span */
	int64_t up, down;       /* of known */
	int outages;            /* down runs with time outside maintenance */
	int64_t longest;        /* the longest outage's time outside maintenance */
	double availability;    /* up / known; -1 when known is 0 */
};

/*
 * The level over [from, to). ch: changes in time order; those before from
 * give the state at from (before the first: unknown). maint: spans in any
 * order, may overlap. An outage crossing from or to counts with its part
 * inside the span; one wholly inside maintenance is not counted.
 */
void sla_compute(int64_t from, int64_t to, const struct sla_change *ch, size_t n,
		 const struct sla_span *maint, size_t nm, struct sla_result *out);

/*
 * The maintenance windows of sv that overlap [from, to), in local time as
 * the inventory writes them, at most max; returns how many (a window cut
 * at max is counted by *cut).
 */
size_t sla_maint_spans(const struct inv_service *sv, int64_t from, int64_t to,
		       struct sla_span *out, size_t max, unsigned *cut);

/* [from, to) of the month "YYYY-MM" in local time; -1 when malformed. */
int sla_month(const char *ym, int64_t *from, int64_t *to);

#endif
