/*
 * verdict.h - what the packet side tells the policy side about a flow, and
 * the answer. The packet process (capture, nDPI) knows no policy; the
 * privileged parent holds the policy and the nftables sets. When nDPI's
 * view of a flow changes, the engine reports a verdict_query; the policy
 * side answers with a verdict when a rule with application, category, host
 * name or risk criteria matches. In live capture both cross a socketpair
 * (ipc.h); replaying a file, the engine asks the policy in-process.
 *
 * Plain fixed-size structs: they cross the process boundary as they are and
 * every field is checked on arrival.
 */
#ifndef KASTRO_VERDICT_H
#define KASTRO_VERDICT_H

#include <stdint.h>

#include "nft.h"

#define VERDICT_HOSTNAME_LEN 80
#define VERDICT_SIGNATURE_LEN 160
#define VERDICT_CATEGORY_LEN 48

struct verdict_query {
	uint64_t flow_id;
	struct nft_flow tuple;          /* initiator to responder */
	uint8_t iface;                  /* capture interface of the first packet; 0xff: none */
	uint8_t final;                  /* detection finished: risks are complete */
	uint8_t confidence;             /* ndpi_confidence_t */
	uint8_t pad;
	uint16_t vlan[2];               /* VLAN ids of the flow, 0: none */
	uint16_t master, app;           /* nDPI protocol ids */
	uint16_t category;              /* nDPI category id */
	uint64_t risk;                  /* nDPI risk bits */
	uint64_t sent_ns;               /* CLOCK_MONOTONIC when the sensor sent it; 0 in replay */
	char hostname[VERDICT_HOSTNAME_LEN];  /* NUL-terminated */
};

enum verdict_action { VERDICT_PASS = 0, VERDICT_BLOCK = 1 };

struct verdict {
	uint64_t flow_id;
	struct nft_flow tuple;          /* as in the query */
	uint16_t vlan[2];               /* as in the query */
	uint64_t query_ns;              /* the query's sent_ns, echoed for the latency figure */
	uint32_t rule_id;               /* the rule's number; EVE alert.signature_id */
	uint8_t action;                 /* enum verdict_action */
	uint8_t severity;               /* 1 (highest) .. 4 */
	uint8_t log;                    /* the rule says log */
	uint8_t pad;
	char signature[VERDICT_SIGNATURE_LEN];  /* the rule as written, NUL-terminated */
	char category[VERDICT_CATEGORY_LEN];    /* alert category, NUL-terminated */
};

#endif
