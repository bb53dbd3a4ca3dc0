/*
 * decode.c - see decode.h.
 *
 * Shape: a cursor (base pointer, length, offset) walks the frame; each layer
 * checks that its header fits before it reads it. Tunnels re-enter the IP or
 * link decoder with a depth counter, so a crafted frame cannot recurse
 * without bound.
 */
#include "decode.h"

#include <pcap/dlt.h>
#include <string.h>

#define MAX_DEPTH     4    /* nested tunnels */
#define MAX_L2_LAYERS 8    /* VLAN tags + MPLS labels + PPPoE */
#define MAX_EXT_HDRS  16   /* IPv6 extension headers */

#define ETH_IP4    0x0800
#define ETH_IP6    0x86dd
#define ETH_VLAN   0x8100
#define ETH_QINQ   0x88a8
#define ETH_QINQ2  0x9100
#define ETH_MPLS   0x8847
#define ETH_MPLSM  0x8848
#define ETH_PPPOE  0x8864

#define PORT_GTP_U  2152
#define PORT_TZSP   37008
#define PORT_CAPWAP 5247

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum dec_status dec_ip(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth);
static enum dec_status dec_ether(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth);

/* Record a VLAN id; with more than two tags, keep the outermost and innermost. */
static void add_vlan(struct dec_pkt *o, uint16_t tci)
{
	uint16_t id = tci & 0x0fff;

	if (o->n_vlan < 2)
		o->vlan[o->n_vlan++] = id;
	else
		o->vlan[1] = id;
}

/* IP by its version nibble (raw IP, MPLS payload, PPP). */
static enum dec_status dec_ip_guess(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	if (len < 1)
		return DEC_SHORT;
	if ((p[0] >> 4) == 4 || (p[0] >> 4) == 6)
		return dec_ip(p, len, o, depth);
	return DEC_NOT_IP;
}

static enum dec_status dec_ppp_proto(uint16_t proto, const uint8_t *p, uint32_t len,
				     struct dec_pkt *o, int depth)
{
	switch (proto) {
	case 0x0021: return dec_ip(p, len, o, depth);
	case 0x0057: return dec_ip(p, len, o, depth);
	default: return DEC_NOT_IP;
	}
}

/* From an EtherType on: tags, labels and PPPoE, then IP. */
static enum dec_status dec_ethertype(uint16_t type, const uint8_t *p, uint32_t len,
				     struct dec_pkt *o, int depth)
{
	uint32_t off = 0;
	int layers;

	for (layers = 0; layers < MAX_L2_LAYERS; layers++) {
		switch (type) {
		case ETH_IP4:
		case ETH_IP6:
			return dec_ip(p + off, len - off, o, depth);
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ2:
			if (len - off < 4)
				return DEC_SHORT;
			add_vlan(o, rd16(p + off));
			type = rd16(p + off + 2);
			off += 4;
			break;
		case ETH_MPLS:
		case ETH_MPLSM:
			/* pop labels until bottom of stack, then guess IP */
			for (;;) {
				uint32_t label;

				if (len - off < 4)
					return DEC_SHORT;
				label = rd32(p + off);
				off += 4;
				if (label & 0x100)
					return dec_ip_guess(p + off, len - off, o, depth);
				if (++layers >= MAX_L2_LAYERS)
					return DEC_TOO_DEEP;
			}
		case ETH_PPPOE:
			/* ver/type, code, session, length, then the PPP protocol */
			if (len - off < 8)
				return DEC_SHORT;
			if (p[off] != 0x11 || p[off + 1] != 0x00)
				return DEC_BAD_L2;
			off += 6;
			return dec_ppp_proto(rd16(p + off), p + off + 2, len - off - 2, o, depth);
		default:
			return DEC_NOT_IP;
		}
	}
	return DEC_TOO_DEEP;
}

static enum dec_status dec_ether(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint16_t type;

	if (len < 14)
		return DEC_SHORT;
	type = rd16(p + 12);
	if (type >= 0x0600)
		return dec_ethertype(type, p + 14, len - 14, o, depth);
	/* 802.3 length field: only LLC/SNAP can carry IP */
	if (len < 22)
		return DEC_SHORT;
	if (p[14] == 0xaa && p[15] == 0xaa && p[16] == 0x03)
		return dec_ethertype(rd16(p + 20), p + 22, len - 22, o, depth);
	return DEC_NOT_IP;
}

/* GTP-U (3GPP TS 29.281): only G-PDU (0xff) messages carry user packets. */
static enum dec_status dec_gtp(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint32_t off = 8;

	if (len < 8 || (p[0] >> 5) != 1 || p[1] != 0xff)
		return DEC_NOT_IP;
	if (p[0] & 0x07) {
		off += 4;   /* sequence number, N-PDU number, next extension type */
		if (len < off)
			return DEC_SHORT;
		if (p[0] & 0x04) {
			uint8_t next = p[off - 1];
			int n = 0;

			while (next != 0) {
				uint32_t elen;

				if (len - off < 1)
					return DEC_SHORT;
				elen = (uint32_t)p[off] * 4;
				if (elen == 0 || ++n > MAX_EXT_HDRS)
					return DEC_BAD_L4;
				if (len - off < elen)
					return DEC_SHORT;
				next = p[off + elen - 1];
				off += elen;
			}
		}
	}
	if (len <= off)
		return DEC_NOT_IP;
	return dec_ip_guess(p + off, len - off, o, depth);
}

/* TZSP: version 1, type "received", encapsulating Ethernet; then tags. */
static enum dec_status dec_tzsp(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint32_t off = 4;

	if (len < 4 || p[0] != 1 || p[1] != 0 || rd16(p + 2) != 1)
		return DEC_NOT_IP;
	for (;;) {
		if (off >= len)
			return DEC_SHORT;
		if (p[off] == 1) {          /* END */
			off++;
			break;
		}
		if (p[off] == 0) {          /* PADDING */
			off++;
			continue;
		}
		if (len - off < 2)
			return DEC_SHORT;
		off += 2u + p[off + 1];
	}
	if (off >= len)
		return DEC_SHORT;
	return dec_ether(p + off, len - off, o, depth);
}

/* CAPWAP data (RFC 5415) carrying an 802.11 data frame with LLC/SNAP. */
static enum dec_status dec_capwap(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint32_t hlen;

	if (len < 2 || (p[0] & 0x0f) != 0)
		return DEC_NOT_IP;
	hlen = (uint32_t)(p[1] >> 3) * 4;
	if (hlen < 8 || len < hlen + 24 + 8)
		return DEC_NOT_IP;
	p += hlen + 24;             /* CAPWAP header, 802.11 data header */
	len -= hlen + 24;
	if (p[0] != 0xaa || p[1] != 0xaa)
		return DEC_NOT_IP;
	return dec_ethertype(rd16(p + 6), p + 8, len - 8, o, depth);
}

/*
 * A tunnel found inside the packet just decoded: decode the inner packet into
 * a scratch copy and keep it only if it decodes, so that a UDP packet that
 * merely uses a tunnel port stays a plain UDP flow.
 */
static void try_tunnel(struct dec_pkt *o, int depth)
{
	struct dec_pkt in;
	enum dec_status st;
	enum dec_tunnel t;

	if (o->proto != 17 || depth + 1 >= MAX_DEPTH)
		return;
	memset(&in, 0, sizeof(in));
	in.n_vlan = o->n_vlan;
	memcpy(in.vlan, o->vlan, sizeof(in.vlan));
	if (o->sport == PORT_GTP_U || o->dport == PORT_GTP_U) {
		t = DEC_TUN_GTP;
		st = dec_gtp(o->payload, o->payload_len, &in, depth + 1);
	} else if (o->sport == PORT_TZSP || o->dport == PORT_TZSP) {
		t = DEC_TUN_TZSP;
		st = dec_tzsp(o->payload, o->payload_len, &in, depth + 1);
	} else if (o->sport == PORT_CAPWAP || o->dport == PORT_CAPWAP) {
		t = DEC_TUN_CAPWAP;
		st = dec_capwap(o->payload, o->payload_len, &in, depth + 1);
	} else {
		return;
	}
	if (st != DEC_OK)
		return;
	if (in.tunnel == DEC_TUN_NONE)
		in.tunnel = t;
	*o = in;
}

/* Transport header at p (len bytes up to the end of the IP packet). */
static enum dec_status dec_l4(const uint8_t *p, uint32_t len, struct dec_pkt *o)
{
	uint32_t hl;

	switch (o->proto) {
	case 6:
		if (len < 20)
			return DEC_BAD_L4;
		hl = (uint32_t)(p[12] >> 4) * 4;
		if (hl < 20 || hl > len)
			return DEC_BAD_L4;
		o->sport = rd16(p);
		o->dport = rd16(p + 2);
		o->tcp_flags = p[13];
		o->payload = p + hl;
		o->payload_len = len - hl;
		return DEC_OK;
	case 17:
		if (len < 8)
			return DEC_BAD_L4;
		o->sport = rd16(p);
		o->dport = rd16(p + 2);
		o->payload = p + 8;
		o->payload_len = len - 8;
		return DEC_OK;
	case 132:   /* SCTP: ports first, like TCP and UDP */
		if (len < 12)
			return DEC_BAD_L4;
		o->sport = rd16(p);
		o->dport = rd16(p + 2);
		o->payload = p + 12;
		o->payload_len = len - 12;
		return DEC_OK;
	case 1:
	case 58:
		if (len >= 2) {
			o->icmp_type = p[0];
			o->icmp_code = p[1];
		}
		hl = len < 8 ? len : 8;
		o->payload = p + hl;
		o->payload_len = len - hl;
		return DEC_OK;
	default:
		o->payload = p;
		o->payload_len = len;
		return DEC_OK;
	}
}

/* What follows an IP header (o->proto set): an inner IP packet or transport. */
static enum dec_status dec_ip_payload(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	enum dec_status st;

	if (o->proto == 4 || o->proto == 41) {   /* IP-in-IP, IPv6-in-IPv4/IPv6 */
		if (depth + 1 >= MAX_DEPTH)
			return DEC_TOO_DEEP;
		st = dec_ip(p, len, o, depth + 1);
		if (st == DEC_OK && o->tunnel == DEC_TUN_NONE)
			o->tunnel = DEC_TUN_IPIP;
		return st;
	}
	st = dec_l4(p, len, o);
	if (st == DEC_OK)
		try_tunnel(o, depth);
	return st;
}

static enum dec_status dec_ip4(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint32_t hl, tot, frag;

	if (len < 20)
		return DEC_SHORT;
	hl = (uint32_t)(p[0] & 0x0f) * 4;
	if (hl < 20)
		return DEC_BAD_IP;
	if (hl > len)
		return DEC_SHORT;
	tot = rd16(p + 2);
	if (tot == 0)
		tot = len;      /* segmentation offload: length not filled in */
	if (tot < hl)
		return DEC_BAD_IP;
	o->flags &= (uint8_t)~(DEC_F_TRUNCATED | DEC_F_FIRST_FRAG);
	if (tot > len) {
		o->flags |= DEC_F_TRUNCATED;
		tot = len;
	}
	frag = rd16(p + 6);
	if (frag & 0x1fff)
		return DEC_FRAGMENT;
	if (frag & 0x2000)
		o->flags |= DEC_F_FIRST_FRAG;

	o->ipver = 4;
	o->proto = p[9];
	memset(o->src, 0, sizeof(o->src));
	memset(o->dst, 0, sizeof(o->dst));
	memcpy(o->src, p + 12, 4);
	memcpy(o->dst, p + 16, 4);
	o->l3 = p;
	o->l3_len = tot;

	return dec_ip_payload(p + hl, tot - hl, o, depth);
}

static enum dec_status dec_ip6(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	uint32_t tot, off = 40;
	uint8_t nh;
	int n;

	if (len < 40)
		return DEC_SHORT;
	tot = 40u + rd16(p + 4);
	if (tot == 40 && p[6] == 0)
		tot = len;      /* jumbogram or offload: length not filled in */
	o->flags &= (uint8_t)~(DEC_F_TRUNCATED | DEC_F_FIRST_FRAG);
	if (tot > len) {
		o->flags |= DEC_F_TRUNCATED;
		tot = len;
	}
	nh = p[6];
	for (n = 0; n < MAX_EXT_HDRS; n++) {
		uint32_t elen;

		switch (nh) {
		case 0:     /* hop-by-hop */
		case 43:    /* routing */
		case 60:    /* destination options */
		case 135:   /* mobility */
		case 139:   /* HIP */
		case 140:   /* shim6 */
			if (tot - off < 8)
				return DEC_SHORT;
			elen = ((uint32_t)p[off + 1] + 1) * 8;
			break;
		case 51:    /* AH */
			if (tot - off < 8)
				return DEC_SHORT;
			elen = ((uint32_t)p[off + 1] + 2) * 4;
			break;
		case 44:    /* fragment */
			if (tot - off < 8)
				return DEC_SHORT;
			if (rd16(p + off + 2) & 0xfff8)
				return DEC_FRAGMENT;
			if (p[off + 3] & 1)
				o->flags |= DEC_F_FIRST_FRAG;
			elen = 8;
			break;
		default:
			goto done;
		}
		if (elen > tot - off)
			return DEC_SHORT;
		nh = p[off];
		off += elen;
	}
	return DEC_TOO_DEEP;
done:
	o->ipver = 6;
	o->proto = nh;
	memcpy(o->src, p + 8, 16);
	memcpy(o->dst, p + 24, 16);
	o->l3 = p;
	o->l3_len = tot;

	return dec_ip_payload(p + off, tot - off, o, depth);
}

static enum dec_status dec_ip(const uint8_t *p, uint32_t len, struct dec_pkt *o, int depth)
{
	if (len < 1)
		return DEC_SHORT;
	switch (p[0] >> 4) {
	case 4: return dec_ip4(p, len, o, depth);
	case 6: return dec_ip6(p, len, o, depth);
	default: return DEC_BAD_IP;
	}
}

/* BSD loopback: a 4-byte address family, host order of the capturing machine. */
static enum dec_status dec_null(const uint8_t *p, uint32_t len, struct dec_pkt *o, int swapped_ok)
{
	uint32_t af_be, af_le;

	if (len < 4)
		return DEC_SHORT;
	af_be = rd32(p);
	af_le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	if (!swapped_ok)
		af_le = af_be;
#define AF_IS(v) ((v) == 2 || (v) == 10 || (v) == 24 || (v) == 28 || (v) == 30)
	if (!AF_IS(af_be) && !AF_IS(af_le))
		return DEC_NOT_IP;
#undef AF_IS
	return dec_ip(p + 4, len - 4, o, 0);
}

int decode_linktype_ok(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_NULL: case DLT_LOOP: case DLT_RAW:
	case DLT_IPV4: case DLT_IPV6: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_PPP: case DLT_PPP_SERIAL: case DLT_C_HDLC:
#if DLT_RAW != 14
	case 14:
#endif
		return 1;
	default:
		return 0;
	}
}

enum dec_status decode_frame(int dlt, const uint8_t *f, uint32_t len, struct dec_pkt *o)
{
	memset(o, 0, sizeof(*o));

	switch (dlt) {
	case DLT_EN10MB:
		return dec_ether(f, len, o, 0);
	case DLT_NULL:
		return dec_null(f, len, o, 1);
	case DLT_LOOP:
		return dec_null(f, len, o, 0);
	case DLT_RAW:
#if DLT_RAW != 14
	case 14:
#endif
	case DLT_IPV4:
	case DLT_IPV6:
		return dec_ip_guess(f, len, o, 0);
	case DLT_LINUX_SLL:
		if (len < 16)
			return DEC_SHORT;
		return dec_ethertype(rd16(f + 14), f + 16, len - 16, o, 0);
	case DLT_LINUX_SLL2:
		if (len < 20)
			return DEC_SHORT;
		return dec_ethertype(rd16(f), f + 20, len - 20, o, 0);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
		if (len < 4)
			return DEC_SHORT;
		if (f[0] == 0x0f || f[0] == 0x8f)       /* Cisco HDLC: EtherType */
			return dec_ethertype(rd16(f + 2), f + 4, len - 4, o, 0);
		if (f[0] == 0xff && f[1] == 0x03)        /* PPP in HDLC framing */
			return dec_ppp_proto(rd16(f + 2), f + 4, len - 4, o, 0);
		return dec_ppp_proto(rd16(f), f + 2, len - 2, o, 0);
	default:
		return DEC_BAD_LINKTYPE;
	}
}

const char *decode_status_name(enum dec_status st)
{
	static const char *const names[DEC_N] = {
		[DEC_OK] = "ok", [DEC_NOT_IP] = "not_ip", [DEC_FRAGMENT] = "fragment",
		[DEC_SHORT] = "truncated", [DEC_BAD_L2] = "bad_l2", [DEC_BAD_IP] = "bad_ip",
		[DEC_BAD_L4] = "bad_l4", [DEC_TOO_DEEP] = "too_deep",
		[DEC_BAD_LINKTYPE] = "bad_linktype",
	};
	return (unsigned)st < DEC_N ? names[st] : "?";
}

const char *decode_tunnel_name(enum dec_tunnel t)
{
	static const char *const names[DEC_TUN_N] = {
		[DEC_TUN_NONE] = "", [DEC_TUN_GTP] = "GTP", [DEC_TUN_TZSP] = "TZSP",
		[DEC_TUN_CAPWAP] = "CAPWAP", [DEC_TUN_IPIP] = "IP-in-IP",
	};
	return (unsigned)t < DEC_TUN_N ? names[t] : "?";
}
