/*
 * svcalert.h - service problems as alerts (store.h's conventions: -1 with
 * err, never logs, times passed in as `now`).
 *
 * The console is the source of these alerts: a built-in sensor row, id
 * SVCALERT_SENSOR and kind "console", made on start when missing. It is
 * never marked online or offline and cannot be revoked.
 *
 * A hard problem of a check raises an alert of kind "service" (host: the
 * service's name, signature "Service problem: SERVICE: CHECK", category
 * "service") through the same path the sensors' alerts take; while that
 * alert is open a further problem of the same check makes no new one. A
 * recovery resolves the open alert and adds a note saying so.
 */
#ifndef KASTRO_SVCALERT_H
#define KASTRO_SVCALERT_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "store.h"

#define SVCALERT_SENSOR "console"
#define SVCALERT_USER   "console"       /* who resolves them and writes the note */

/*
 * Let the sensors table hold kind "console" (files made before it could)
 * and make the console's own sensor row when it is missing.
 */
int svcalert_init(struct store *s, int64_t now, char *err, size_t errlen);

/*
 * Severity (1 highest .. 4) of a problem: the service's criticality gives
 * 1 (critical), 2 (high), 3 (medium) or 4 (low) for CRITICAL and down;
 * WARNING, UNKNOWN and late are one lower (at most 4).
 */
int svcalert_severity(enum inv_crit crit, const char *state);

/*
 * Raise the check's alert unless one is open. state: the check's hard
 * state; output: what it said (may be ""). *alert_id (may be NULL): the
 * alert made, or 0 when one was open already.
 */
int svcalert_raise(struct store *s, const char *service, const char *key, const char *state,
		   int severity, const char *output, int64_t now, int64_t *alert_id, char *err,
		   size_t errlen);

/*
 * Resolve the check's open alerts, if any, with a note ("recovered: " and
 * output): its own and its certificate alerts ("SIGNATURE (certificate:
 * ...)"). *alert_id (may be NULL): the first resolved, or 0.
 */
int svcalert_resolve(struct store *s, const char *service, const char *key, const char *output,
		     int64_t now, int64_t *alert_id, char *err, size_t errlen);

/*
 * A check (key) or a whole service (key NULL: every open alert of its,
 * backups' too) left the inventory: resolve its open alerts with note.
 * *n: how many were resolved.
 */
int svcalert_resolve_left(struct store *s, const char *service, const char *key,
			  const char *note, int64_t now, int *n, char *err, size_t errlen);

#endif
