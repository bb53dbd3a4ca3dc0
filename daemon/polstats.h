/*
 * polstats.h - what the policy does, for kastroctl: per rule, the packets
 * and bytes its nftables rules counted in the kernel and the DPI verdicts
 * it gave (`kastroctl policy`); the hosts in quarantine with the time they
 * have left (`kastroctl quarantine list`). Used by kastrod's parent, which
 * holds CAP_NET_ADMIN to read the kernel's counters.
 *
 * The kernel's rules are matched to the policy's through the script
 * nftgen_script() makes for the running policy: each of its chains lists
 * its rules in the kernel's order, under comments "# rule N", "# nat N",
 * "# rdr N", "# default", ... So the answer is right as long as the table
 * holds the ruleset of the running policy, which only kastrod loads.
 * Functions return 0 or -1 with a message in err; none of them logs.
 */
#ifndef KASTRO_POLSTATS_H
#define KASTRO_POLSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* DPI verdicts per rule id (index = id) since the policy was loaded. */
struct polstats {
	uint64_t *dpi;
	size_t n;                       /* ids 0 .. n-1 */
	uint64_t dpi_other;             /* ids past n: none unless a bug */
};

/* A new policy of n_rules rules: counts start again at 0. -1 out of memory. */
int polstats_reset(struct polstats *s, size_t n_rules);
void polstats_free(struct polstats *s);

/* Count one DPI verdict of rule id. */
void polstats_dpi(struct polstats *s, uint32_t rule_id);
/* The same, n matches at once (the sensor counts them when it judges inline). */
void polstats_dpi_n(struct polstats *s, uint32_t rule_id, uint64_t n);

/*
 * The answer of `kastroctl policy` into ans (NUL-terminated): "ok", then
 * one line per rule and NAT statement and one per implicit part
 * (docs/operators-guide.md, "Seeing what the policy does"). An answer that
 * does not fit ends with a line saying how many were left out.
 */
int polstats_answer(const struct polstats *s, const struct kastrod_conf *c, char *ans,
		    size_t anslen, char *err, size_t errlen);

/*
 * The answer of `kastroctl quarantine list`: "ok", then one line per host,
 * "ADDRESS until released" or "ADDRESS expires in Ns", IPv4 first.
 */
int polstats_quarantine(char *ans, size_t anslen, char *err, size_t errlen);

/*
 * For tests: which rule each kernel rule of script belongs to, per chain,
 * in order: calls fn(ctx, chain, tag) for every rule line, tag being
 * "rule 3", "nat 1", "rdr 2", "default", "self default", "implicit" (rules
 * kastrod adds itself) or "fixed" (the head of a chain).
 */
void polstats_walk(const char *script, void (*fn)(void *ctx, const char *chain, const char *tag),
		   void *ctx);

#endif
