/*
 * store_sla.h - what the SLA report reads from the store (store.h's
 * conventions: -1 with err, never logs).
 */
#ifndef KASTRO_STORE_SLA_H
#define KASTRO_STORE_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "sla.h"
#include "store.h"

#define SLA_CHANGES_MAX 20000   /* state changes of one service read per report */

/*
 * The service's state changes over [from, to) from its checks' hard state
 * history (the checks sv has now): down while any check is CRITICAL,
 * UNREACHABLE or down; else up while any is OK, WARNING, up or late; else
 * unknown. The first change (ts <= from) is the state at from. At most max
 * into out; *cut set when more were left out.
 */
int svcsla_changes(struct store *s, const struct inv_service *sv, int64_t from, int64_t to,
		   struct sla_change *out, size_t max, size_t *n, bool *cut, char *err,
		   size_t errlen);

/*
 * The last success of a push check at or before `at` (its kept pings and
 * its last success); 0 when none is known.
 */
int svcsla_last_success(struct store *s, const char *service, const char *key, int64_t at,
			int64_t *ts, char *err, size_t errlen);

#endif
