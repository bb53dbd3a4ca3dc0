/*
 * relay.h - the queue relay of inline mode: the small process that holds
 * CAP_NET_ADMIN (to read the queue and answer it) and CAP_NET_RAW (to send
 * a blocked connection's receiver its reset), and parses no packet.
 *
 * It reads packets from NFQUEUE (libmnl, libnetfilter_queue's message
 * helpers), hands them to the sensor in batches (pktmsg.h), and turns the
 * sensor's verdicts into queue verdicts, many per netlink send:
 *   undecided  accept, the connection stays queued
 *   pass       accept with the pass mark (packet mark, or with the
 *              conntrack glue the connection's mark itself)
 *   block      accept with the block mark: chain inline_verdict rejects
 *              the packet (TCP reset or ICMP unreachable to its sender)
 *              and every later one; a reset the sensor built for the
 *              receiver is sent after pkt_rst_check().
 * A packet the sensor has not answered within inline_fail_ms, or any packet
 * while the sensor is gone, restarting or its socket is full, takes the
 * officer's fail verdict: accept (fail open; the connection stays queued,
 * so it is judged again once the sensor is back) or drop (fail closed).
 */
#ifndef KASTRO_RELAY_H
#define KASTRO_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "inline.h"

/* Counters, sent to the parent once a second (IPC_RELAY_STATS). */
struct relay_stats {
	uint64_t queued;                /* packets read from the queue */
	uint64_t handed;                /* handed to the sensor */
	uint64_t verdicts;              /* the sensor's verdicts sent to the kernel */
	uint64_t passes, blocks;        /* connections judged */
	uint64_t resets, resets_refused;  /* resets sent to receivers; refused by the check */
	uint64_t fail_open, fail_closed;  /* packets answered by the fail setting */
	uint64_t fail_events;           /* times the sensor stopped answering */
	uint64_t sensor_up;             /* 1 while the sensor answers */
	uint64_t netlink_errors;        /* verdicts the kernel refused */
	uint64_t kernel_queue_dropped;  /* queue full (kernel) */
	uint64_t kernel_user_dropped;   /* could not reach the relay (kernel) */
	uint64_t hop_count, hop_p50_us, hop_p99_us, hop_max_us;  /* relay -> sensor -> relay */
	uint64_t ct_ends, ct_ends_lost; /* judged connections' ends handed to the sensor; lost */
	/* block latency: the deciding packet read from the queue to its verdict sent */
	uint64_t block_count, block_p50_us, block_p99_us, block_max_us;
};

struct relay_args {
	const struct kastrod_conf *conf;
	struct inl_kernel kernel;
	int sensor_fd;                  /* the packet socketpair's relay end */
	int ipc_fd;                     /* to the parent */
};

/* Run until the parent closes ipc_fd or a fatal error. Returns the exit status. */
int relay_run(const struct relay_args *a);

/*
 * Build the verdict message for packet id into buf (at least 256 bytes):
 * NF_ACCEPT or NF_DROP, and for a pass or block the mark, under
 * INL_MARK_MASK: the packet mark (mark holds the packet's own, whose other
 * bits are kept) or, with glue, the conntrack mark (NFQA_CT: CTA_MARK and
 * CTA_MARK_MASK). Returns the message length.
 */
size_t relay_verdict_msg(char *buf, uint16_t qnum, uint32_t id, int nf_verdict, int glue,
			 uint32_t mark, int action);

#endif
