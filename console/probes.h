/*
 * probes.h - the console's probe scheduler: runs every probe check of the
 * services inventory (probe.h) on its own interval, on PROBES_WORKERS
 * threads beside the event loop, and turns results into states with
 * Nagios/Icinga semantics:
 *
 *  - soft and hard states: a problem is soft (retried every retry-every)
 *    until `retries` results in a row say so, then hard; a recovery is
 *    hard at once;
 *  - flapping: over the last PROBES_FLAP_WINDOW results, more than
 *    PROBES_FLAP_HIGH percent state changes start it, less than
 *    PROBES_FLAP_LOW end it;
 *  - dependencies: while a service named in `depends` has a probe check
 *    in a hard CRITICAL or a push check down, this service's failing
 *    checks are UNREACHABLE, not CRITICAL;
 *  - maintenance windows: results inside one are marked so and left out
 *    of uptime.
 *
 * Results and hard state changes are written to the store
 * (store_services.h) by the event loop's thread alone.
 */
#ifndef KASTRO_PROBES_H
#define KASTRO_PROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "inventory.h"
#include "probe.h"

#define PROBES_WORKERS      4
#define PROBES_FLAP_WINDOW  21
#define PROBES_FLAP_HIGH    50
#define PROBES_FLAP_LOW     25

struct console;

/* Start the workers and the scheduler for c->conf.inv's probe checks. */
int probes_start(struct console *c, char *err, size_t errlen);
void probes_stop(struct console *c);

/* What a reload did to the probe checks. */
struct probes_reload {
	int added, removed, kept;
};

/*
 * Before the inventory nw replaces c->conf.inv (the caller swaps them at
 * once, on the loop's thread): results back are applied to the old one,
 * then the checks are matched by identity (service name and check key,
 * store_services.h). A check that stays keeps its state (soft/hard,
 * attempts, flapping, last result) and takes nw's settings from its next
 * run; a run in progress finishes on the old settings and its result is
 * kept. A check that left stops (a run in progress is let finish and its
 * result dropped); a new one starts within its first `every`, spread as
 * at start. nw must not be NULL (an empty inventory has no checks).
 * Nothing changes when it fails (-1, out of memory). With no
 * probes running (c->probes NULL) it does nothing: start them after the
 * swap with probes_start().
 */
int probes_reload(struct console *c, const struct inventory *nw, struct probes_reload *out,
		  char *err, size_t errlen);
/* After the swap: recompute which services are down. */
void probes_reloaded(struct console *c);

/*
 * Checks run from a sensor (`from "HOST"`, sprobes.h): is the check of
 * service with key (store_services.h's svcstore_key()) assigned to the
 * sensor enrolled as host (compared ignoring ASCII case)?
 */
bool probes_assigned(const struct console *c, const char *host, const char *service,
		     const char *key);
/*
 * Apply a result the sensor enrolled as host sent as its event seq, run at
 * at (epoch seconds; clamped to now and to the last result's time), to the
 * check's state, as a result of the console's own would be. Returns 0; 1
 * when seq was applied already (a batch sent again); -1 with err when the
 * check is not assigned to host.
 */
int probes_sensor_result(struct console *c, const char *host, const char *service,
			 const char *key, int64_t seq, int64_t at, const struct probe_result *r,
			 char *err, size_t errlen);

/*
 * How late the console's own probes started: from the time a check was due
 * to a worker taking it (the scheduler's tick of 250 ms included), since
 * start; for status and the bench.
 */
void probes_lateness(const struct console *c, uint64_t *p50_ms, uint64_t *p99_ms,
		     uint64_t *max_ms);

/* Probe runs finished since start, for status. */
uint64_t probes_runs(const struct console *c);

/* Is the service inside one of its maintenance windows at now (local time)? */
bool probes_in_maintenance(const struct inv_service *sv, time_t now);

/* One check's state as the scheduler keeps it (exposed for unit tests). */
struct probes_state {
	enum probe_state state;         /* last hard or soft state */
	bool hard;
	bool unreachable;
	uint32_t attempt;
	uint8_t ring[PROBES_FLAP_WINDOW];  /* last states, for flapping */
	int n_ring;
	bool flapping;
};

/*
 * Apply one result to st for a check with `retries`. Returns true when the
 * hard state changed (a new hard problem, a recovery, another problem).
 */
bool probes_apply(struct probes_state *st, enum probe_state result, uint32_t retries,
		  bool unreachable);

#endif
