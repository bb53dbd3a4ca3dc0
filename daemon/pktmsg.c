/*
 * pktmsg.c - see pktmsg.h.
 */
#include "pktmsg.h"

#include <string.h>

#include "errf.h"

#define PAD8(x) (((x) + 7u) & ~(size_t)7u)

int pkt_decode_batch(const uint8_t *buf, size_t n, pkt_rec_fn fn, void *ctx, char *err, size_t errlen)
{
	struct pkt_hdr h;
	struct pkt_rec r;
	size_t off, i;
	int pass;

	if (n < sizeof(h))
		return errf(err, errlen, "batch of %zu bytes: shorter than its header", n);
	memcpy(&h, buf, sizeof(h));
	if (h.type != PKT_BATCH)
		return errf(err, errlen, "batch: wrong type 0x%x", h.type);
	if (h.n > PKT_MAX_BATCH)
		return errf(err, errlen, "batch: %u records, at most %u", h.n, PKT_MAX_BATCH);
	/* the first pass checks, the second hands the records over */
	for (pass = 0; pass < 2; pass++) {
		off = sizeof(h);
		for (i = 0; i < h.n; i++) {
			if (n - off < sizeof(r))
				return errf(err, errlen, "batch: record %zu past the end", i);
			memcpy(&r, buf + off, sizeof(r));
			off += sizeof(r);
			if (r.len == 0 || r.len > PKT_MAX_LEN)
				return errf(err, errlen, "batch: record %zu: length %u", i, r.len);
			if (n - off < PAD8(r.len))
				return errf(err, errlen, "batch: record %zu: packet past the end", i);
			if (pass == 1)
				fn(ctx, &r, buf + off);
			off += PAD8(r.len);
		}
		if (off != n)
			return errf(err, errlen, "batch: %zu bytes left over", n - off);
	}
	return (int)h.n;
}

int pkt_decode_verdicts(const uint8_t *buf, size_t n, struct pkt_verdict *out, int *hello,
			char *err, size_t errlen)
{
	struct pkt_hdr h;
	size_t i;

	*hello = 0;
	if (n < sizeof(h))
		return errf(err, errlen, "message of %zu bytes: shorter than its header", n);
	memcpy(&h, buf, sizeof(h));
	if (h.type == PKT_HELLO) {
		if (h.n != 0 || n != sizeof(h))
			return errf(err, errlen, "hello: %zu bytes, count %u", n, h.n);
		*hello = 1;
		return 0;
	}
	if (h.type != PKT_VERDICTS)
		return errf(err, errlen, "wrong message type 0x%x", h.type);
	if (h.n == 0 || h.n > PKT_MAX_BATCH)
		return errf(err, errlen, "verdicts: count %u (1..%u)", h.n, PKT_MAX_BATCH);
	if (n != sizeof(h) + (size_t)h.n * sizeof(*out))
		return errf(err, errlen, "verdicts: %zu bytes for %u verdicts", n, h.n);
	memcpy(out, buf + sizeof(h), (size_t)h.n * sizeof(*out));
	for (i = 0; i < h.n; i++) {
		if (out[i].action > PKT_BLOCK)
			return errf(err, errlen, "verdict %zu: action %u", i, out[i].action);
		if (out[i].pad != 0)
			return errf(err, errlen, "verdict %zu: nonzero padding", i);
		if (out[i].rst_len > PKT_RST_MAX ||
		    (out[i].rst_len > 0 && out[i].action != PKT_BLOCK))
			return errf(err, errlen, "verdict %zu: reset of %u bytes with action %u", i,
				    out[i].rst_len, out[i].action);
	}
	return (int)h.n;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#define IP6_EXT_MAX 8   /* extension headers walked before giving up */

/*
 * IPv6: where the TCP header starts after the extension headers (hop-by-
 * hop, destination options, routing with no segment left, the first
 * fragment, AH), at most IP6_EXT_MAX of them; 0 for anything else (ESP, a
 * later fragment, a routing header still on its way: its receiver is not
 * the header's destination), or when a header runs past len.
 */
static size_t ip6_tcp_off(const uint8_t *pkt, size_t len)
{
	size_t off = 40, hl;
	uint8_t nh = pkt[6];
	int i;

	for (i = 0; i <= IP6_EXT_MAX; i++) {
		if (nh == 6)
			return len >= off + 20 ? off : 0;
		if (i == IP6_EXT_MAX || len < off + 8)
			return 0;
		switch (nh) {
		case 0:                 /* hop-by-hop options */
		case 60:                /* destination options */
			hl = ((size_t)pkt[off + 1] + 1) * 8;
			break;
		case 43:                /* routing */
			if (pkt[off + 3] != 0)
				return 0;
			hl = ((size_t)pkt[off + 1] + 1) * 8;
			break;
		case 44:                /* fragment: the first only */
			if ((((unsigned)pkt[off + 2] << 8 | pkt[off + 3]) & 0xfff8) != 0)
				return 0;
			hl = 8;
			break;
		case 51:                /* authentication header */
			hl = ((size_t)pkt[off + 1] + 2) * 4;
			break;
		default:
			return 0;
		}
		nh = pkt[off];
		off += hl;
	}
	return 0;
}

/* Where pkt's TCP header starts, or 0 when pkt is not TCP with a header. */
static size_t tcp_off(const uint8_t *pkt, size_t len)
{
	size_t ihl;

	if (len < 20)
		return 0;
	if (pkt[0] >> 4 == 4) {
		ihl = (size_t)(pkt[0] & 0xf) * 4;
		/* a later fragment has no TCP header */
		if (ihl < 20 || pkt[9] != 6 || ((pkt[6] & 0x1f) | pkt[7]) != 0)
			return 0;
		return len >= ihl + 20 ? ihl : 0;
	}
	if (pkt[0] >> 4 == 6)
		return len >= 40 ? ip6_tcp_off(pkt, len) : 0;
	return 0;
}

size_t pkt_rst_build(const uint8_t *pkt, size_t len, uint8_t out[PKT_RST_MAX])
{
	size_t t = tcp_off(pkt, len), ipl;
	uint8_t *tcp;
	uint32_t s;

	if (t == 0)
		return 0;
	/* flags: must carry ACK, must not be a reset or a SYN */
	if (!(pkt[t + 13] & 0x10) || (pkt[t + 13] & 0x06))
		return 0;
	memset(out, 0, PKT_RST_MAX);
	if (pkt[0] >> 4 == 4) {
		ipl = 20;
		out[0] = 0x45;
		out[3] = 40;
		out[6] = 0x40;                  /* DF */
		out[8] = 64;
		out[9] = 6;
		memcpy(out + 12, pkt + 12, 8);
		s = fold(sum16(out, 20, 0));
		out[10] = (uint8_t)(s >> 8);
		out[11] = (uint8_t)s;
	} else {
		ipl = 40;
		out[0] = 0x60;
		out[5] = 20;
		out[6] = 6;
		out[7] = 64;
		memcpy(out + 8, pkt + 8, 32);
	}
	tcp = out + ipl;
	memcpy(tcp, pkt + t, 4);                /* ports */
	memcpy(tcp + 4, pkt + t + 4, 4);        /* seq: where pkt starts */
	memcpy(tcp + 8, pkt + t + 8, 4);        /* ack as in pkt */
	tcp[12] = 5 << 4;
	tcp[13] = 0x14;                         /* RST|ACK */
	/* pseudo-header: addresses, protocol, TCP length */
	if (ipl == 20)
		s = sum16(out + 12, 8, 0);
	else
		s = sum16(out + 8, 32, 0);
	s += 6 + 20;
	s = fold(sum16(tcp, 20, s));
	tcp[16] = (uint8_t)(s >> 8);
	tcp[17] = (uint8_t)s;
	return ipl + 20;
}

int pkt_rst_check(const uint8_t *rst, size_t rlen, const uint8_t *pkt, size_t plen)
{
	size_t t = tcp_off(pkt, plen), rt;

	if (t == 0 || rlen < 40 || rst[0] >> 4 != pkt[0] >> 4)
		return -1;
	if (rst[0] >> 4 == 4) {
		if (rlen != 40 || rst[0] != 0x45 || rst[9] != 6 || rst[2] != 0 || rst[3] != 40 ||
		    memcmp(rst + 12, pkt + 12, 8) != 0)
			return -1;
		rt = 20;
	} else {
		if (rlen != 60 || rst[6] != 6 || rst[4] != 0 || rst[5] != 20 ||
		    memcmp(rst + 8, pkt + 8, 32) != 0)
			return -1;
		rt = 40;
	}
	if (memcmp(rst + rt, pkt + t, 4) != 0 || rst[rt + 12] != 5 << 4 ||
	    (rst[rt + 13] != 0x04 && rst[rt + 13] != 0x14))
		return -1;
	return 0;
}

int pkt_decode_ctend(const uint8_t *buf, size_t n, struct pkt_ctend *out, char *err, size_t errlen)
{
	struct pkt_hdr h;
	size_t i;

	if (n < sizeof(h))
		return errf(err, errlen, "message of %zu bytes: shorter than its header", n);
	memcpy(&h, buf, sizeof(h));
	if (h.type != PKT_CTEND)
		return errf(err, errlen, "wrong message type 0x%x", h.type);
	if (h.n == 0 || h.n > PKT_MAX_CTEND)
		return errf(err, errlen, "connection ends: count %u (1..%u)", h.n, PKT_MAX_CTEND);
	if (n != sizeof(h) + (size_t)h.n * sizeof(*out))
		return errf(err, errlen, "connection ends: %zu bytes for %u", n, h.n);
	memcpy(out, buf + sizeof(h), (size_t)h.n * sizeof(*out));
	for (i = 0; i < h.n; i++)
		if ((out[i].family != 4 && out[i].family != 6) || out[i].unqueued > 1 ||
		    (out[i].pad[0] | out[i].pad[1]) != 0)
			return errf(err, errlen, "connection end %zu: family %u", i, out[i].family);
	return (int)h.n;
}
