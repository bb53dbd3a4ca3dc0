/*
 * svcalert_run.c - a check's hard state change into its alert.
 */
#include "svcalert_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "log.h"
#include "store_services.h"
#include "svcalert.h"

void svcalert_state(struct console *c, const struct inv_service *sv, const char *key,
		    const char *state, const char *output, bool quiet, int64_t now)
{
	char err[256];
	int64_t id;

	if (strcmp(state, "OK") == 0 || strcmp(state, "up") == 0) {
		if (svcalert_resolve(c->store, sv->name, key, output, now, &id, err, sizeof(err)) < 0)
			log_err("service %s: %s: resolving its alert: %s", sv->name, key, err);
		else if (id > 0)
			log_info("service %s: %s recovered: alert %" PRId64 " resolved", sv->name, key,
				 id);
		return;
	}
	if (quiet || strcmp(state, "new") == 0 || strcmp(state, "UNREACHABLE") == 0)
		return;
	if (svcalert_raise(c->store, sv->name, key, state, svcalert_severity(sv->crit, state),
			   output, now, &id, err, sizeof(err)) < 0)
		log_err("service %s: %s: raising its alert: %s", sv->name, key, err);
	else if (id > 0)
		log_info("service %s: %s is %s: alert %" PRId64, sv->name, key, state, id);
}

void svcalert_cert(struct console *c, const struct inv_service *sv, const char *key,
		   uint32_t days, const char *state, const char *output, int64_t now)
{
	char k2[SVC_KEY_MAX + 48], err[256];
	int64_t id;

	snprintf(k2, sizeof(k2), "%s (certificate: under %u days)", key, days);
	if (svcalert_raise(c->store, sv->name, k2, state, svcalert_severity(sv->crit, state),
			   output, now, &id, err, sizeof(err)) < 0)
		log_err("service %s: %s: raising its alert: %s", sv->name, k2, err);
	else if (id > 0)
		log_info("service %s: %s: alert %" PRId64, sv->name, k2, id);
}
