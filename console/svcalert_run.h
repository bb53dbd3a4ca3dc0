/*
 * svcalert_run.h - what the checks' code calls when a check's hard state
 * changes: raise or resolve its alert (svcalert.h), or nothing when the
 * service is in maintenance or the problem is a dependency's.
 */
#ifndef KASTRO_SVCALERT_RUN_H
#define KASTRO_SVCALERT_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "inventory.h"

struct console;

/*
 * The check key of service sv moved to the hard state `state` (OK, up:
 * recovered; WARNING, CRITICAL, UNKNOWN, late, down: a problem). quiet: no
 * alert for a problem (UNREACHABLE, in maintenance, flapping). Errors are
 * logged.
 */
void svcalert_state(struct console *c, const struct inv_service *sv, const char *key,
		    const char *state, const char *output, bool quiet, int64_t now);

/*
 * A tls check's certificate has fewer than `days` days left (one of its
 * warn figures): its own alert, "CHECK (certificate: under N days)", so
 * each figure crossed raises one. A recovery of the check resolves these
 * too.
 */
void svcalert_cert(struct console *c, const struct inv_service *sv, const char *key,
		   uint32_t days, const char *state, const char *output, int64_t now);

#endif
