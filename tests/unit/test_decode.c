/*
 * test_decode.c - the frame decoder: every link layer, tags, labels,
 * tunnels, IPv6 extension headers, fragments, and frames that lie about
 * their lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pcap/dlt.h>

#include "decode.h"

/* A frame under construction. */
struct fb {
	uint8_t b[2048];
	uint32_t n;
};

static void put(struct fb *f, const void *p, uint32_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct fb *f, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(f, x, 2);
}

static void eth(struct fb *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(f, macs, 12);
	put16(f, type);
}

/* IPv4 header + UDP or TCP header + payload of plen bytes. */
static void ip4(struct fb *f, uint8_t proto, uint16_t sport, uint16_t dport, uint32_t plen,
		uint16_t frag)
{
	uint32_t l4 = proto == 6 ? 20 : proto == 17 ? 8 : 0;
	uint16_t tot = (uint16_t)(20 + l4 + plen);
	uint8_t h[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 1,
			  (uint8_t)(frag >> 8), (uint8_t)frag, 64, proto, 0, 0,
			  10, 10, 0, 2, 10, 20, 0, 3 };
	uint8_t zero[1500] = { 0 };

	put(f, h, 20);
	if (proto == 6) {
		uint8_t t[20] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
				  (uint8_t)dport, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02 };
		put(f, t, 20);
	} else if (proto == 17) {
		uint16_t ul = (uint16_t)(8 + plen);
		uint8_t u[8] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
				 (uint8_t)dport, (uint8_t)(ul >> 8), (uint8_t)ul, 0, 0 };
		put(f, u, 8);
	}
	put(f, zero, plen);
}

static void ip6_udp(struct fb *f, const uint8_t *ext, uint32_t extlen, uint8_t first_nh,
		    uint16_t sport, uint16_t dport, uint32_t plen)
{
	uint16_t pl = (uint16_t)(extlen + 8 + plen);
	uint8_t h[40] = { 0x60, 0, 0, 0, (uint8_t)(pl >> 8), (uint8_t)pl, first_nh, 64 };
	uint8_t u[8] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
			 (uint8_t)dport, 0, (uint8_t)(8 + plen), 0, 0 };
	uint8_t zero[512] = { 0 };

	h[8] = 0xfd; h[23] = 1;    /* fd00::1 */
	h[24] = 0xfd; h[39] = 2;   /* fd00::2 */
	put(f, h, 40);
	put(f, ext, extlen);
	put(f, u, 8);
	put(f, zero, plen);
}

static void check_udp4(const struct dec_pkt *p, uint16_t sport, uint16_t dport)
{
	static const uint8_t src[16] = { 10, 10, 0, 2 }, dst[16] = { 10, 20, 0, 3 };

	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->proto, 17);
	assert_int_equal(p->sport, sport);
	assert_int_equal(p->dport, dport);
	assert_memory_equal(p->src, src, 16);
	assert_memory_equal(p->dst, dst, 16);
}

static void test_ethernet_tcp(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;

	(void)state;
	eth(&f, 0x0800);
	ip4(&f, 6, 40000, 443, 10, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_int_equal(p.payload_len, 10);
	assert_int_equal(p.l3_len, 50);
	assert_ptr_equal(p.l3, f.b + 14);
	assert_int_equal(p.n_vlan, 0);
}

static void test_stacked_vlans(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;

	(void)state;
	eth(&f, 0x88a8);        /* 802.1ad outer tag */
	put16(&f, 100);
	put16(&f, 0x8100);      /* 802.1Q inner tag */
	put16(&f, 0x2000 | 7);  /* priority bits must not leak into the id */
	put16(&f, 0x0800);
	ip4(&f, 17, 5353, 53, 4, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.n_vlan, 2);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.vlan[1], 7);
	check_udp4(&p, 5353, 53);
}

static void test_mpls_pppoe_llc(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	static const uint8_t mpls[8] = { 0, 1, 0, 0xff, 0, 2, 1, 0xff };  /* 2 labels */
	static const uint8_t pppoe[6] = { 0x11, 0, 0, 1, 0, 40 };
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };

	(void)state;
	eth(&f, 0x8847);
	put(&f, mpls, 8);
	ip4(&f, 17, 1, 2, 0, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 1, 2);

	f.n = 0;
	eth(&f, 0x8864);
	put(&f, pppoe, 6);
	put16(&f, 0x0021);
	ip4(&f, 17, 3, 4, 0, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 3, 4);

	f.n = 0;
	eth(&f, 36);            /* 802.3 length, LLC/SNAP carrying IPv4 */
	put(&f, snap, 8);
	ip4(&f, 17, 5, 6, 0, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 5, 6);
}

static void test_other_link_types(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	static const uint8_t null_le[4] = { 2, 0, 0, 0 }, null_be[4] = { 0, 0, 0, 2 };
	uint8_t sll[16] = { 0, 0, 0, 1, 0, 6 };
	uint8_t sll2[20] = { 0x08, 0x00 };

	(void)state;
	put(&f, null_le, 4);
	ip4(&f, 17, 7, 8, 0, 0);
	assert_int_equal(decode_frame(DLT_NULL, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 7, 8);

	f.n = 0;
	put(&f, null_be, 4);
	ip4(&f, 17, 7, 8, 0, 0);
	assert_int_equal(decode_frame(DLT_LOOP, f.b, f.n, &p), DEC_OK);
	assert_int_equal(decode_frame(DLT_NULL, f.b, f.n, &p), DEC_OK);

	f.n = 0;
	sll[14] = 0x08;
	sll[15] = 0x00;
	put(&f, sll, 16);
	ip4(&f, 17, 9, 10, 0, 0);
	assert_int_equal(decode_frame(DLT_LINUX_SLL, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 9, 10);

	f.n = 0;
	put(&f, sll2, 20);
	ip4(&f, 17, 11, 12, 0, 0);
	assert_int_equal(decode_frame(DLT_LINUX_SLL2, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 11, 12);

	f.n = 0;
	ip4(&f, 17, 13, 14, 0, 0);
	assert_int_equal(decode_frame(DLT_RAW, f.b, f.n, &p), DEC_OK);
	check_udp4(&p, 13, 14);

	assert_int_equal(decode_frame(147 /* USER0 */, f.b, f.n, &p), DEC_BAD_LINKTYPE);
	assert_false(decode_linktype_ok(147));
	assert_true(decode_linktype_ok(DLT_LINUX_SLL2));
}

static void test_ipv6_extension_headers(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	/* hop-by-hop (8 bytes) then destination options (16 bytes) then UDP */
	uint8_t ext[24] = { 60, 0, 0, 0, 0, 0, 0, 0, 17, 1 };
	/* fragment header, offset 0, more fragments */
	uint8_t frag0[8] = { 17, 0, 0, 1, 0, 0, 0, 9 };
	uint8_t frag1[8] = { 17, 0, 0, 0x10, 0, 0, 0, 9 };

	(void)state;
	eth(&f, 0x86dd);
	ip6_udp(&f, ext, 24, 0, 546, 547, 5);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 546);
	assert_int_equal(p.dport, 547);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.src[0], 0xfd);
	assert_int_equal(p.dst[15], 2);

	f.n = 0;
	eth(&f, 0x86dd);
	ip6_udp(&f, frag0, 8, 44, 1000, 53, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_true(p.flags & DEC_F_FIRST_FRAG);

	f.n = 0;
	eth(&f, 0x86dd);
	ip6_udp(&f, frag1, 8, 44, 1000, 53, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_FRAGMENT);
}

static void test_ipv4_fragments(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;

	(void)state;
	eth(&f, 0x0800);
	ip4(&f, 17, 53, 1000, 100, 0x2000);   /* MF, offset 0 */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_true(p.flags & DEC_F_FIRST_FRAG);

	f.n = 0;
	eth(&f, 0x0800);
	ip4(&f, 17, 53, 1000, 100, 0x0010);   /* offset 128 bytes, last */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_FRAGMENT);
}

static void test_gtp_u(void **state)
{
	struct fb inner = { .n = 0 }, f = { .n = 0 };
	struct dec_pkt p;
	uint8_t gtp[12] = { 0x32, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };  /* with seq */

	(void)state;
	ip4(&inner, 17, 4000, 5000, 3, 0);
	gtp[2] = (uint8_t)((inner.n + 4) >> 8);
	gtp[3] = (uint8_t)(inner.n + 4);
	eth(&f, 0x0800);
	/* outer IPv4/UDP to port 2152 carrying gtp + inner */
	{
		struct fb pl = { .n = 0 };

		put(&pl, gtp, 12);
		put(&pl, inner.b, inner.n);
		ip4(&f, 17, 2152, 2152, 0, 0);
		/* rewrite outer lengths to include the payload */
		f.b[14 + 2] = (uint8_t)((28 + pl.n) >> 8);
		f.b[14 + 3] = (uint8_t)(28 + pl.n);
		f.b[14 + 24] = (uint8_t)((8 + pl.n) >> 8);
		f.b[14 + 25] = (uint8_t)(8 + pl.n);
		put(&f, pl.b, pl.n);
	}
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.tunnel, DEC_TUN_GTP);
	check_udp4(&p, 4000, 5000);
	assert_int_equal(p.payload_len, 3);

	/* Not a G-PDU: stays a plain UDP flow on port 2152. */
	f.b[14 + 28 + 1] = 0x01;
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.tunnel, DEC_TUN_NONE);
	assert_int_equal(p.dport, 2152);
}

static void test_ip_in_ip(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	uint8_t outer[20] = { 0x45, 0, 0, 48, 0, 1, 0, 0, 64, 4, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 };

	(void)state;
	eth(&f, 0x0800);
	put(&f, outer, 20);
	ip4(&f, 17, 20, 21, 0, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.tunnel, DEC_TUN_IPIP);
	check_udp4(&p, 20, 21);
}

/* Outer IPv4/UDP between ports sp and dp around payload pl. */
static void udp_around(struct fb *f, uint16_t sp, uint16_t dp, const struct fb *pl)
{
	eth(f, 0x0800);
	ip4(f, 17, sp, dp, 0, 0);
	f->b[14 + 2] = (uint8_t)((28 + pl->n) >> 8);
	f->b[14 + 3] = (uint8_t)(28 + pl->n);
	f->b[14 + 24] = (uint8_t)((8 + pl->n) >> 8);
	f->b[14 + 25] = (uint8_t)(8 + pl->n);
	put(f, pl->b, pl->n);
}

static void test_tzsp(void **state)
{
	struct fb pl = { .n = 0 }, f = { .n = 0 };
	struct dec_pkt p;
	/* version 1, received, Ethernet; a padding tag, a 2-byte tag, END */
	static const uint8_t hdr[9] = { 1, 0, 0, 1, 0, 10, 2, 0xab, 0xcd };
	static const uint8_t end = 1;

	(void)state;
	put(&pl, hdr, 9);
	put(&pl, &end, 1);
	eth(&pl, 0x0800);
	ip4(&pl, 17, 6000, 7000, 2, 0);
	udp_around(&f, 40000, 37008, &pl);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.tunnel, DEC_TUN_TZSP);
	check_udp4(&p, 6000, 7000);
}

static void test_capwap(void **state)
{
	struct fb pl = { .n = 0 }, f = { .n = 0 };
	struct dec_pkt p;
	uint8_t capwap[8] = { 0, 2 << 3 };          /* HLEN 2 words */
	uint8_t wifi[24] = { 0x08, 0x01 };          /* 802.11 data frame */
	static const uint8_t snap[8] = { 0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00 };

	(void)state;
	put(&pl, capwap, 8);
	put(&pl, wifi, 24);
	put(&pl, snap, 8);
	ip4(&pl, 17, 8000, 9000, 1, 0);
	udp_around(&f, 12345, 5247, &pl);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_OK);
	assert_int_equal(p.tunnel, DEC_TUN_CAPWAP);
	check_udp4(&p, 8000, 9000);
}

/* Every prefix of a valid frame decodes to a status, never past the end. */
static void test_truncation_everywhere(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	uint32_t n;

	(void)state;
	eth(&f, 0x8100);
	put16(&f, 5);
	put16(&f, 0x86dd);
	{
		uint8_t ext[8] = { 17, 0 };
		ip6_udp(&f, ext, 8, 0, 1, 2, 20);
	}
	for (n = 0; n < f.n; n++) {
		/* decode a heap copy of exactly n bytes so ASan sees any over-read */
		uint8_t *c = test_malloc(n ? n : 1);
		enum dec_status st;

		memcpy(c, f.b, n);
		st = decode_frame(DLT_EN10MB, c, n, &p);
		if (n < 14 + 4 + 40 + 8 + 8)
			assert_int_not_equal(st, DEC_OK);
		else if (st == DEC_OK)
			assert_true(p.flags & DEC_F_TRUNCATED || n == f.n);
		test_free(c);
	}
}

static void test_bogus_headers(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;

	(void)state;
	eth(&f, 0x0800);
	ip4(&f, 6, 1, 2, 0, 0);
	f.b[14] = 0x43;                       /* IHL 3: shorter than a header */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_BAD_IP);
	f.b[14] = 0x45;
	f.b[14 + 2] = 0; f.b[14 + 3] = 10;   /* total length < header */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_BAD_IP);
	f.b[14 + 3] = 40;
	f.b[14 + 20 + 12] = 0x30;            /* TCP data offset 12 bytes */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_BAD_L4);
	f.b[14 + 20 + 12] = 0xf0;            /* data offset past the packet */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_BAD_L4);
	f.b[14] = 0x75;                      /* IP version 7 */
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_BAD_IP);

	/* ARP is not IP, and that is not an error */
	f.n = 0;
	eth(&f, 0x0806);
	put16(&f, 1);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_NOT_IP);
}

/* A frame of nothing but VLAN tags ends with a status, not a loop. */
static void test_too_many_tags(void **state)
{
	struct fb f = { .n = 0 };
	struct dec_pkt p;
	int i;

	(void)state;
	eth(&f, 0x8100);
	for (i = 0; i < 20; i++) {
		put16(&f, 1);
		put16(&f, 0x8100);
	}
	put16(&f, 1);
	put16(&f, 0x0800);
	ip4(&f, 17, 1, 2, 0, 0);
	assert_int_equal(decode_frame(DLT_EN10MB, f.b, f.n, &p), DEC_TOO_DEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_tcp),
		cmocka_unit_test(test_stacked_vlans),
		cmocka_unit_test(test_mpls_pppoe_llc),
		cmocka_unit_test(test_other_link_types),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_gtp_u),
		cmocka_unit_test(test_ip_in_ip),
		cmocka_unit_test(test_tzsp),
		cmocka_unit_test(test_capwap),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_bogus_headers),
		cmocka_unit_test(test_too_many_tags),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
