/*
 * pktmsg.h - the messages between the relay (relay.h, holds the queue) and
 * the sensor (sensor.h, parses packets) in inline mode, over an AF_UNIX
 * SOCK_SEQPACKET socketpair: one datagram, one batch.
 *
 *   relay -> sensor  PKT_BATCH     header, then n records: struct pkt_rec and
 *                                  its packet (from the IP header on), padded
 *                                  to 8 bytes
 *   sensor -> relay  PKT_VERDICTS  header, then n struct pkt_verdict
 *   sensor -> relay  PKT_HELLO     header only (n = 0): ready for packets
 *   relay -> sensor  PKT_HELLO     header only: are you there? (sent once a
 *                                  second while the sensor gives no answer;
 *                                  a sensor answers with its own PKT_HELLO)
 *   relay -> sensor  PKT_CTEND     header, then n struct pkt_ctend: forwarded
 *                                  connections the kernel has ended (judged,
 *                                  or passed unqueued), with its counts
 *                                  (conntrack accounting)
 *
 * Host byte order (both ends are one binary). Each side checks what it
 * receives: the sensor may be compromised, so the relay takes nothing from
 * it but verdicts for packets it handed over, and a reset only when its
 * addresses and ports are those of the packet it answers (pkt_rst_check).
 */
#ifndef KASTRO_PKTMSG_H
#define KASTRO_PKTMSG_H

#include <stddef.h>
#include <stdint.h>

enum pkt_type { PKT_BATCH = 0x6b701, PKT_VERDICTS = 0x6b702, PKT_HELLO = 0x6b703,
		PKT_CTEND = 0x6b704 };

enum pkt_action {
	PKT_UNDECIDED = 0,      /* forward, keep the connection queued */
	PKT_PASS = 1,           /* forward, the connection passes from now on */
	PKT_BLOCK = 2           /* the connection is blocked from this packet on */
};

#define PKT_MAX_BATCH 128               /* records or verdicts per datagram */
#define PKT_MAX_LEN 65535u              /* bytes of one packet */
#define PKT_MSG_MAX (512u * 1024u)      /* bytes of one datagram */
#define PKT_RST_MAX 64u                 /* bytes of a reset (IPv6 + TCP: 60) */

struct pkt_hdr {
	uint32_t type;                  /* enum pkt_type */
	uint32_t n;                     /* records or verdicts that follow */
};

struct pkt_rec {
	uint32_t id;                    /* the queue's packet id */
	uint32_t len;                   /* bytes of packet that follow, 1..PKT_MAX_LEN */
	uint64_t ts_us;                 /* when the relay read it, wall clock */
};

struct pkt_verdict {
	uint32_t id;
	uint8_t action;                 /* enum pkt_action */
	uint8_t rst_len;                /* 0, or bytes of rst: a TCP reset for the
					   packet's receiver (only with PKT_BLOCK) */
	uint16_t pad;                   /* 0 */
	uint8_t rst[PKT_RST_MAX];
};

/* The end of a judged connection, from a conntrack destroy event. */
struct pkt_ctend {
	uint8_t family;                 /* 4 or 6 */
	uint8_t proto;
	uint16_t sport, dport;          /* original direction, host order */
	uint8_t unqueued;               /* 1: passed without entering the queue */
	uint8_t pad[2];
	uint8_t src[16], dst[16];       /* original direction; IPv4 in the first 4 */
	uint32_t mark;                  /* the conntrack mark */
	uint64_t pkts[2], bytes[2];     /* [0] original (initiator), [1] reply */
	uint64_t end_us;                /* wall clock of the event */
	uint64_t start_us;              /* conntrack's start stamp; 0 unknown */
};

#define PKT_MAX_CTEND 256

/*
 * Check a PKT_CTEND datagram: count 1..PKT_MAX_CTEND, exact size, family 4
 * or 6, zero padding. Returns the count with the records in out, or -1.
 */
int pkt_decode_ctend(const uint8_t *buf, size_t n, struct pkt_ctend *out, char *err, size_t errlen);

/* Called for each record of a batch; pkt points into the datagram. */
typedef void (*pkt_rec_fn)(void *ctx, const struct pkt_rec *r, const uint8_t *pkt);

/*
 * Check a PKT_BATCH datagram of n bytes whole, then call fn per record.
 * Returns the number of records, or -1 with the reason in err (wrong type,
 * count over PKT_MAX_BATCH, a record or its packet past the end, length 0
 * or over PKT_MAX_LEN, bytes left over).
 */
int pkt_decode_batch(const uint8_t *buf, size_t n, pkt_rec_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Check a sensor datagram: PKT_HELLO (returns 0, *hello = 1) or PKT_VERDICTS
 * (returns the count, verdicts copied to out, at most PKT_MAX_BATCH). -1 with
 * err: wrong type or size, action over PKT_BLOCK, nonzero pad, a reset on a
 * verdict that is not a block or longer than PKT_RST_MAX.
 */
int pkt_decode_verdicts(const uint8_t *buf, size_t n, struct pkt_verdict *out, int *hello,
			char *err, size_t errlen);

/*
 * Build the reset that tells pkt's receiver the connection is gone: from
 * pkt's sender to its receiver, same ports, sequence number of pkt, RST|ACK
 * acknowledging what pkt acknowledges. Returns its length (40 or 60), or 0
 * when pkt is not a TCP segment that warrants one (no ACK flag, a reset
 * itself, truncated). IPv6 extension headers before TCP are walked (at most
 * 8; hop-by-hop, destination options, routing with no segment left, first
 * fragment, AH); the reset itself carries none.
 */
size_t pkt_rst_build(const uint8_t *pkt, size_t len, uint8_t out[PKT_RST_MAX]);

/*
 * The relay's check before it sends rst: an IPv4 or IPv6 TCP reset (no
 * payload, no options, no IPv6 extension headers, flags RST or RST|ACK)
 * with the source, destination and ports of pkt. 0 good, -1 not.
 */
int pkt_rst_check(const uint8_t *rst, size_t rlen, const uint8_t *pkt, size_t plen);

#endif
