/*
 * sprobes.h - probe checks run from sensors (`check ... from "HOST"` in
 * the services inventory; docs/services.md).
 *
 * Assignments travel as sensor commands: for each enrolled, unrevoked
 * sensor whose host name (as enrolled) is named by `from`, the console
 * queues one "probes" command holding every check assigned to that host
 * (sprobes_assignment()); it queues it again when the command expired
 * undelivered. The sensor keeps the list and runs the checks on their own
 * intervals; a plugin check names a plugin that the sensor's own
 * configuration maps to a command line.
 *
 * Results come back as "probe_result" events through the sensor's durable
 * spool:
 *   {"event_type": "probe_result", "timestamp": ISO 8601,
 *    "probe": {"service": S, "check": KEY, "state": "OK"|"WARNING"|
 *              "CRITICAL"|"UNKNOWN", "ms": N, "output": TEXT, "time": EPOCH}}
 * A batch holding a malformed result, or a result for a check not
 * assigned to the sending sensor, is refused (400, naming the event), so
 * the sensor narrows it down to that one event and skips it. Results of a
 * stored batch go into the same state machine as the console's own
 * (probes.h).
 */
#ifndef KASTRO_SPROBES_H
#define KASTRO_SPROBES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "probe.h"
#include "store.h"

#define SPROBES_TICK_S    5     /* how often assignments are looked at */

struct console;

/* Start the timer that queues assignments; nothing when no check has `from`. */
int sprobes_start(struct console *c, char *err, size_t errlen);
void sprobes_stop(struct console *c);

/*
 * The inventory in force replaced old (a reload): each enrolled sensor
 * whose assignment changed gets a new "probes" command at once, and one
 * that lost all its checks an empty one so that it stops them. *queued:
 * commands queued. -1 with err when the sensors cannot be listed.
 */
int sprobes_reload(struct console *c, const struct inventory *old, int *queued, char *err,
		   size_t errlen);

/* The "probes" command's args for host: {"checks": [...]}; NULL when none or out of memory. */
json_t *sprobes_assignment(const struct inventory *inv, const char *host);

/*
 * A probe_result event's "probe" object into its parts (pointing into e).
 * Returns 0, or -1 with what is wrong in err.
 */
int sprobes_parse_event(json_t *e, const char **service, const char **key,
			struct probe_result *r, int64_t *at, char *err, size_t errlen);

/*
 * Before a batch from sensor is stored: every probe_result event in it
 * well formed and for a check assigned to this sensor. 0, or -1 with
 * "events[I]: ..." in err.
 */
int sprobes_check_batch(struct console *c, const char *sensor, const struct store_batch *b,
			char *err, size_t errlen);
/* "\nsensor_probe_results=N\nsensor_probe_refused=N" for status (nothing when off). */
void sprobes_status(const struct console *c, char *out, size_t outlen);

/* After it is stored: its results into the check states. */
void sprobes_apply_batch(struct console *c, const char *sensor, const struct store_batch *b);

#endif
