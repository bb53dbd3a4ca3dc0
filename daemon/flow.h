/*
 * flow.h - the bidirectional flow table.
 *
 * Flows are keyed by the normalised 5-tuple plus VLAN ids: the lower
 * (address, port) end first, so both directions find the same flow. Time is
 * the packet time (microseconds), never the wall clock, so a replay of a
 * capture gives the same flows every run.
 *
 * Bounds: at most max_flows live flows; the hash index is sized once at
 * creation. When the table is full, a flow is ended (reason FLOW_END_FORCED)
 * to make room, and counted: the least recently seen of those without a
 * handshake or a reply first, an established TCP flow last. Idle timeouts are per
 * class (TCP new / established / closed, UDP, ICMP, other); each class keeps
 * its flows in a list sorted by the time they were queued. A packet does
 * not move its flow; expiry looks at the head, ends it if it has been idle
 * long enough, and otherwise queues it again by its last packet time. So a
 * packet costs nothing here, and a flow is looked at about once per timeout. Long flows are
 * reported every active_timeout seconds.
 *
 * Flows end through the on_end callback, which must not touch the table;
 * the table frees the flow after it returns.
 */
#ifndef KASTRO_FLOW_H
#define KASTRO_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "decode.h"
#include "dpi.h"

struct flow_key {
	uint8_t lo[16], hi[16];     /* addresses, lower first */
	uint16_t lo_port, hi_port;
	uint16_t vlan[2];
	uint8_t proto;
	uint8_t ipver;
	uint8_t pad[2];
};

enum flow_end {
	FLOW_END_TIMEOUT,    /* idle (or closed TCP) timeout */
	FLOW_END_FORCED,     /* evicted: table full */
	FLOW_END_SHUTDOWN,   /* end of capture or daemon stop */
	FLOW_END_REUSE,      /* closed TCP flow, new connection on the same tuple */
};

enum flow_state { FLOW_STATE_NEW, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

struct flow {
	struct flow_key key;
	struct flow *hnext;             /* hash chain */
	struct flow *prev, *next;       /* LRU list of the timeout class */
	struct flow *aprev, *anext;     /* report order, for active updates */
	uint64_t id;                    /* EVE flow_id */
	uint64_t first_us, last_us;     /* packet times */
	uint64_t enq_us;                /* when queued in its class's list */
	uint64_t last_report_us;
	uint64_t pkts[2], bytes[2];     /* [0] toserver: from the initiator */
	uint8_t init_is_lo;             /* initiator is key.lo */
	uint8_t tclass;                 /* enum conf_timeout */
	uint8_t state;                  /* enum flow_state */
	uint8_t tcp_flags[2];           /* flags seen, per direction */
	uint8_t iface;                  /* capture interface index */
	uint8_t tunnel;                 /* enum dec_tunnel */
	uint8_t icmp_type, icmp_code;   /* of the first packet */
	uint8_t fin[2];
	uint8_t queried;                /* 1: first classification sent, 2: final sent */
	uint8_t alerted;                /* an alert was written for this flow */
	uint8_t blocked;                /* a block verdict came */
	struct dpi_flow dpi;
};

struct flow_stats {
	uint64_t created;
	uint64_t ended_timeout;
	uint64_t ended_forced;          /* evictions because the table was full */
	uint64_t evicted_established;   /* of them, established TCP flows (the last resort) */
	uint64_t ended_shutdown;
	uint64_t ended_reuse;
	uint64_t active;                /* live now */
	uint64_t active_peak;
	uint64_t alloc_failed;
};

typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end why);
typedef void (*flow_report_fn)(void *ctx, struct flow *f);

struct flow_table;

/* timeouts and active_timeout in seconds, as in struct kastrod_conf. */
struct flow_table *flow_table_new(uint32_t max_flows, const uint32_t timeouts[CONF_TO_N],
				  uint32_t active_timeout, flow_end_fn on_end,
				  flow_report_fn on_report, void *ctx);
void flow_table_free(struct flow_table *t);

/*
 * Find or create the flow of packet p at time now_us. *dir is set to 0 when
 * the packet goes from initiator to responder, 1 otherwise. Counters, TCP
 * state and timeouts are updated. Returns NULL only when no memory could be
 * had (counted).
 */
struct flow *flow_packet(struct flow_table *t, const struct dec_pkt *p, uint32_t wire_len,
			 uint8_t iface, uint64_t now_us, int *dir);

/* The live flow with key k, or NULL. */
struct flow *flow_find(struct flow_table *t, const struct flow_key *k);

/* End idle flows and report long ones, as of now_us. */
void flow_expire(struct flow_table *t, uint64_t now_us);
/* End every flow (FLOW_END_SHUTDOWN). */
void flow_flush(struct flow_table *t);
/* End one flow now (FLOW_END_TIMEOUT): the kernel said its connection ended. */
void flow_end_now(struct flow_table *t, struct flow *f);

void flow_get_stats(const struct flow_table *t, struct flow_stats *s);

/* Fill the key of packet p; returns true when the packet's source is key.lo. */
bool flow_key_of(const struct dec_pkt *p, struct flow_key *k);

#endif
