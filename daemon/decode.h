/*
 * decode.h - from a captured frame to the IP packet and flow key inside it.
 *
 * Link layers: Ethernet (with 802.1Q/802.1ad tags, LLC/SNAP, MPLS, PPPoE),
 * Linux cooked (SLL, SLL2), BSD loopback (NULL, LOOP), raw IP, PPP and Cisco
 * HDLC. Tunnels stripped, as nDPI's reader does with -t: GTP-U, TZSP, CAPWAP
 * data, and IP-in-IP / IPv6-in-IPv4. The decoder only reads the bytes it was
 * given: every header read is preceded by a length check, and a frame that
 * does not make sense gets a status, never a crash. It allocates nothing and
 * keeps no state.
 */
#ifndef KASTRO_DECODE_H
#define KASTRO_DECODE_H

#include <stdint.h>

enum dec_status {
	DEC_OK = 0,
	DEC_NOT_IP,        /* ARP, STP, LLDP...: fine, not ours */
	DEC_FRAGMENT,      /* a non-first IP fragment: no transport header */
	DEC_SHORT,         /* frame ends inside a header */
	DEC_BAD_L2,        /* link header makes no sense */
	DEC_BAD_IP,        /* IP header makes no sense */
	DEC_BAD_L4,        /* TCP/UDP header makes no sense */
	DEC_TOO_DEEP,      /* too many nested tags, labels or tunnels */
	DEC_BAD_LINKTYPE,  /* a link type we do not decode */
	DEC_N
};

enum dec_tunnel {
	DEC_TUN_NONE,
	DEC_TUN_GTP,
	DEC_TUN_TZSP,
	DEC_TUN_CAPWAP,
	DEC_TUN_IPIP,
	DEC_TUN_N
};

#define DEC_F_TRUNCATED  0x01  /* IP packet longer than what was captured */
#define DEC_F_FIRST_FRAG 0x02  /* first fragment of a fragmented packet */

struct dec_pkt {
	const uint8_t *l3;     /* innermost IP header */
	uint32_t l3_len;       /* IP packet length, clamped to what was captured */
	const uint8_t *payload;/* transport payload (TCP/UDP), else after the L4 header */
	uint32_t payload_len;
	uint8_t src[16];       /* IPv4 uses the first 4 bytes, the rest zero */
	uint8_t dst[16];
	uint16_t sport, dport; /* TCP, UDP, SCTP; 0 otherwise */
	uint16_t vlan[2];      /* outer first */
	uint8_t n_vlan;
	uint8_t ipver;         /* 4 or 6 */
	uint8_t proto;         /* IP protocol number of the transport */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint8_t tunnel;        /* enum dec_tunnel (outermost stripped) */
	uint8_t flags;         /* DEC_F_* */
};

/* True when decode_frame() knows the pcap link type. */
int decode_linktype_ok(int dlt);

/*
 * Decode one captured frame of link type dlt. Fills *out and returns DEC_OK,
 * or returns another status (and *out is unspecified).
 */
enum dec_status decode_frame(int dlt, const uint8_t *frame, uint32_t caplen,
			     struct dec_pkt *out);

const char *decode_status_name(enum dec_status st);
const char *decode_tunnel_name(enum dec_tunnel t);

#endif
