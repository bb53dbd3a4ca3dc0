/*
 * nftgen.h - the static part of the policy as an nftables script: one
 * `table inet kastro { ... }` block that declares every set of nft.h and
 * the chains, and nothing else (no flush, no other table). Loading it where
 * the table already exists adds to it: the nft.c side decides how chains are
 * replaced in the same transaction. Sets:
 *
 *   flows4, flows6            flows blocked by DPI verdicts   (daemon-owned)
 *   quarantine4, quarantine6  quarantined hosts               (daemon-owned)
 *   t_<table>_4, t_<table>_6  each address table, interval sets; a file
 *                             table is declared empty (the daemon fills it
 *                             with nft_table_replace()); an inline table's
 *                             elements are written in the script, so a
 *                             reload that drops one of them must flush the
 *                             set first to really remove it.
 *
 * Chains: input (policy accept; only quarantine applies) and forward
 * (quarantine, blocked flows, established/related, invalid, the static
 * rules in file order, the default). Semantics: docs/config.md, "Policy".
 */
#ifndef KASTRO_NFTGEN_H
#define KASTRO_NFTGEN_H

#include <stddef.h>

#include "conf.h"
#include "policy.h"

#define NFTGEN_MAX (64u << 20)     /* bytes of script */

/*
 * The script for c's policy (built-in: no rules, default pass, when c holds
 * none) into *out, malloc'd and NUL-terminated; the caller frees it. 0, or
 * -1 with a message in err.
 */
int nftgen_script(const struct kastrod_conf *c, char **out, char *err, size_t errlen);

/* The set name of table t for family 4 or 6 ("t_feeds_4"). 0, or -1 if it does not fit. */
int nftgen_set_name(const struct pol_table *t, int family, char *out, size_t outlen);

/*
 * `kastrod -n`: after a successful conf_load(), print "NAME: configuration
 * OK" and the ruleset kastrod would load to standard output, and what the
 * file tables hold (or why they cannot be read) to standard error, as
 * comments. Returns the exit status: 0, or 1 when no script can be made.
 */
int nftgen_check(const struct kastrod_conf *c, const char *name);

#endif
