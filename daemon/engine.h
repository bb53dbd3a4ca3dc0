/*
 * engine.h - the packet path of kastrod: decode, flow table, nDPI, EVE.
 *
 * The same engine serves capture files and live interfaces; it only sees
 * packets with their timestamps, so a replay gives the same output every
 * run. Time only moves forward: a packet stamped earlier than one already
 * seen is taken to be at the latest time seen (as nDPI's reader does).
 */
#ifndef KASTRO_ENGINE_H
#define KASTRO_ENGINE_H

#include <stdint.h>

#include "conf.h"
#include "decode.h"
#include "dpi.h"
#include "eve.h"
#include "flow.h"
#include "log.h"
#include "relay.h"
#include "verdict.h"

struct engine_stats {
	uint64_t pkts, bytes;
	uint64_t dec[DEC_N];           /* decode outcome per status */
	uint64_t ipv4, ipv6, tcp, udp, icmp, other_l4;
	uint64_t truncated;            /* IP packets longer than captured */
	uint64_t first_frags;          /* first fragments (classified as far as they go) */
	uint64_t tunnel[DEC_TUN_N];
	uint64_t flows_classified, flows_unknown;
	uint64_t no_flow;              /* packets dropped: no memory for a flow */
};

/* Counters of the capture source, as pcap_stats() gives them. */
struct engine_capture_stats {
	int valid;
	uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
};

/*
 * Called when nDPI first classifies a flow and again when its detection
 * ends (q->final), so the policy side can judge it; at most twice a flow,
 * never after a block verdict.
 */
typedef void (*engine_query_fn)(void *ctx, const struct verdict_query *q);

struct engine {
	struct flow_table *ft;
	engine_query_fn query_fn;
	void *query_ctx;
	uint64_t queries, verdicts, verdicts_stale, alerts;
	uint64_t ct_only;               /* flow records of connections never queued */
	struct dpi *dpi;
	struct eve *eve;
	const char *ifname[CONF_MAX_IFACES];   /* NULL: no interface (file) */
	uint32_t max_flows;
	uint64_t now_us;
	uint64_t first_us;
	uint64_t next_expire_us;
	struct engine_stats st;
	struct log_limit rl_decode;
	const struct relay_stats *inl;  /* inline: the relay's last counters; NULL: none */
};

int engine_init(struct engine *e, const struct kastrod_conf *c, struct dpi *dpi,
		struct eve *eve, char *err, size_t errlen);
/* Ends every flow (as engine_flush) and frees the table. */
void engine_fini(struct engine *e);

void engine_packet(struct engine *e, uint8_t iface, int dlt, uint64_t ts_us,
		   const uint8_t *data, uint32_t caplen, uint32_t wire_len);
/*
 * Inline mode: one packet from the queue (IP header on, whole), through the
 * same path; returns what may happen to its connection now: ENGINE_BLOCK
 * once a verdict blocked the flow, ENGINE_PASS once detection has ended
 * without one (risks were judged on the final query), else ENGINE_UNDECIDED.
 */
enum { ENGINE_UNDECIDED = 0, ENGINE_PASS = 1, ENGINE_BLOCK = 2 };
#define ENGINE_IFACE_NONE 0xff
int engine_packet_inline(struct engine *e, uint64_t ts_us, const uint8_t *ip, uint32_t len);
/*
 * Inline: the kernel ended a judged connection (conntrack destroy event)
 * with these counts: the flow takes them (the kernel saw every packet, the
 * sensor only those before the verdict) and ends now, its EVE flow record
 * closing at end_us. 1 when a flow was found.
 *
 * A connection passed without entering the queue (unqueued: no DPI rule
 * could match it) was never seen by the sensor: its record is made from
 * the kernel's word alone (addresses, ports, counts, start_us when
 * conntrack stamps it, else end_us), with no application; the EVE cap
 * (`eve max-rate`) holds for it as for every flow record.
 */
int engine_ct_end(struct engine *e, const struct nft_flow *t, const uint64_t pkts[2],
		  const uint64_t bytes[2], uint64_t end_us, int unqueued, uint64_t start_us);
/* Move the clock to now_us without a packet (live capture, idle). */
void engine_advance(struct engine *e, uint64_t now_us);
/* End every open flow with reason "shutdown". */
void engine_flush(struct engine *e);
void engine_set_query_hook(struct engine *e, engine_query_fn fn, void *ctx);
/*
 * The policy side's answer about a flow: write an EVE alert (every block,
 * and a pass from a rule that says log) and remember it on the flow. A
 * verdict for a flow that has ended since is counted and dropped.
 */
void engine_verdict(struct engine *e, const struct verdict *v);

/* Write a stats event and a summary to the log. */
void engine_report_stats(struct engine *e, const struct engine_capture_stats *cs);

#endif
