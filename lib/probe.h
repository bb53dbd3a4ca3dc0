/*
 * probe.h - one run of one probe of the services inventory (HTTP(S), TCP,
 * TLS certificate, ICMP echo), with Nagios/Icinga result semantics.
 *
 * probe_run() blocks for at most the check's timeout (plus name
 * resolution) and touches no shared state: the console's probe workers
 * (console/probes.c) call it beside the event loop, an agent's probe
 * thread (agent/sprobe.c) for the checks assigned to it. It never logs; what happened
 * is in the result's output line.
 */
#ifndef KASTRO_PROBE_H
#define KASTRO_PROBE_H

#include <stdint.h>

#include "inventory.h"

enum probe_state { PROBE_OK, PROBE_WARNING, PROBE_CRITICAL, PROBE_UNKNOWN };

#define PROBE_BODY_MAX (1024 * 1024)   /* bytes of an HTTP body searched */

struct probe_result {
	enum probe_state state;
	uint32_t ms;                    /* response time */
	int64_t cert_expiry;            /* tls: notAfter, epoch seconds; 0: none */
	char output[512];               /* one line for the officer */
};

const char *probe_state_name(enum probe_state s);

/* Run c once, now. Kinds without a runner here give UNKNOWN. */
void probe_run(const struct inv_check *c, struct probe_result *r);

/*
 * Is the body regex re cheap to compile? glibc's regcomp() copies a
 * subexpression for each '+' and for each count of a {N,M} bound, so
 * "a+++++..." or nested bounds take memory exponential in their number. At
 * most PROBE_REGEX_REPEATS of '+' and '{' (outside brackets, unescaped) and
 * bounds up to PROBE_REGEX_BOUND. Returns 0, or -1 with why.
 */
#define PROBE_REGEX_REPEATS 8
#define PROBE_REGEX_BOUND   100
int probe_regex_bounded(const char *re, char *why, size_t whylen);

/* Once, before any thread runs a probe (libcurl's global set-up). */
int probe_global_init(void);

#endif
