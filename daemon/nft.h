/*
 * nft.h - kastrod's writes to nftables: the only module that changes the
 * kernel's ruleset, used only by the privileged parent process.
 *
 * Everything lives in kastrod's own table, `table inet kastro`; no other
 * table on the host is touched. The static ruleset (compiled from the
 * policy) is loaded through libnftables in one transaction. The dynamic
 * sets are written through libnftnl/libmnl batches, many elements per
 * netlink message:
 *
 *   set flows4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service; flags timeout; }
 *   set flows6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service; flags timeout; }
 *   set quarantine4 { type ipv4_addr; flags timeout; }
 *   set quarantine6 { type ipv6_addr; flags timeout; }
 *
 * and the address tables of the policy as interval sets (one IPv4 and one
 * IPv6 set per table). The static ruleset declares these sets; loading a
 * new ruleset keeps the elements of sets that still exist, so blocked flows
 * and quarantined hosts survive a reload and a restart of kastrod.
 *
 * Functions return 0 or -1 with a message in err; none of them logs.
 */
#ifndef KASTRO_NFT_H
#define KASTRO_NFT_H

#include <stddef.h>
#include <stdint.h>

#define NFT_TABLE "kastro"          /* family inet */
#define NFT_TABLE_MAX 2000000       /* prefixes per nft_table_replace call */

struct nft;

/* One flow to drop: addresses and ports as seen in the flow's first packet. */
struct nft_flow {
	uint8_t family;                 /* 4 or 6 */
	uint8_t proto;                  /* IP protocol */
	uint8_t src[16], dst[16];       /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;          /* host byte order; 0 when the protocol has none */
};

struct nft_stats {
	uint64_t batches;               /* netlink batches sent */
	uint64_t elements;              /* set elements written */
	uint64_t errors;
};

struct nft *nft_open(char *err, size_t errlen);
void nft_close(struct nft *n);

/*
 * Replace the static ruleset with script (nft syntax, declaring table inet
 * kastro and its sets and chains) in one transaction. The script may hold
 * nothing but `table inet kastro { ... }` blocks and comments (no other
 * table, no flush/delete/include/define); anything else is refused before
 * the kernel is asked. In the new ruleset:
 *   - chains and sets the script no longer declares are gone;
 *   - a set declared again with the same type and flags keeps its elements,
 *     unless its declaration lists elements: then it holds exactly those;
 *   - a set whose type or flags changed is recreated (empty or with the
 *     elements it lists); a base chain whose hook or priority changed is
 *     recreated too (then, for the moment of the transaction, the new chain
 *     is hooked with its policy before its rules commit).
 * The kernel keeps the old ruleset when anything fails; err then holds
 * nft's message, with places given as "line L:C" of script. At most 16 MiB.
 * Named stateful objects (counters, quotas) and flowtables that the script
 * no longer declares are left in the table, unused.
 */
int nft_apply_ruleset(struct nft *n, const char *script, char *err, size_t errlen);

/*
 * The same, but the rules of chain keep (when the script declares it, with
 * no rules of its own) are left as they are, even when the chains are
 * recreated: rules written through libnftnl that nft's text cannot express
 * (inline.h's queue rules) stay in force through the transaction.
 */
int nft_apply_ruleset_keep(struct nft *n, const char *script, const char *keep, char *err,
			   size_t errlen);

/* Does table inet kastro exist (left by an earlier run)? 1 yes, 0 no, -1 error. */
int nft_table_exists(struct nft *n, char *err, size_t errlen);

/*
 * Add flows to flows4/flows6 (both directions of each), with a timeout in
 * seconds (0: none), in as few netlink batches as possible (one per about
 * 38,000 flows). A flow already in the set gets its timeout renewed
 * (kernels before 6.10 keep the running timer). When the kernel refuses an
 * element, err names the flow; the elements of that batch are not added.
 */
int nft_block_flows(struct nft *n, const struct nft_flow *flows, size_t count,
		    uint32_t timeout_s, char *err, size_t errlen);

/*
 * Quarantine: add (timeout 0 = until released) or remove one host address
 * (4 or 16 bytes by family). Adding a host already there sets its timeout
 * anew. Removing a host not in quarantine fails with "not in quarantine".
 */
int nft_quarantine_add(struct nft *n, uint8_t family, const uint8_t *addr, uint32_t timeout_s,
		       char *err, size_t errlen);
int nft_quarantine_del(struct nft *n, uint8_t family, const uint8_t *addr, char *err, size_t errlen);

/*
 * Replace the contents of interval set `set` (family 4 or 6) with the given
 * prefixes (addr[i] with prefix length plen[i], host bits ignored; at most
 * NFT_TABLE_MAX) in one transaction: there is no moment when the set is
 * empty. Overlapping, adjacent and duplicate prefixes are merged first (the
 * kernel refuses overlaps in interval sets). A 1,000,000-entry table takes
 * a few seconds and about 100 MB of memory while it is built.
 */
int nft_table_replace(struct nft *n, const char *set, uint8_t family, const uint8_t (*addr)[16],
		      const uint8_t *plen, size_t count, char *err, size_t errlen);

/* The packets named counter `name` of table inet kastro counted (0 when there is none). */
int nft_counter_get(struct nft *n, const char *name, uint64_t *packets, char *err, size_t errlen);

void nft_get_stats(const struct nft *n, struct nft_stats *s);

#endif
