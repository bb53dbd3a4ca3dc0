/*
 * test_inline.c - what kastrod sends for inline enforcement, checked byte
 * by byte without a kernel: the queue rule for both routes (native `queue`
 * expression, compat NFQUEUE target rev 3, with and without bypass), the
 * queue verdicts for both routes (packet mark under the mask, or the
 * conntrack mark through NFQA_CT), the relay <-> sensor messages and the
 * resets the sensor builds and the relay checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "inline.h"
#include "pktmsg.h"
#include "relay.h"

/* ---- the queue rule -------------------------------------------------------- */

struct seen {
	int n;
	char name[32];
	uint32_t meta_key, mask, cmp;   /* the fail-open match */
	uint16_t qnum, total, flags;
	uint32_t rev;
	uint8_t info[8];
	uint32_t info_len;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	const void *p;

	s->n++;
	snprintf(s->name, sizeof(s->name), "%s", nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	if (strcmp(s->name, "meta") == 0) {
		s->meta_key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	} else if (strcmp(s->name, "bitwise") == 0) {
		uint32_t l;

		p = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &l);
		if (p && l == 4)
			memcpy(&s->mask, p, 4);
	} else if (strcmp(s->name, "cmp") == 0) {
		uint32_t l;

		p = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &l);
		if (p && l == 4 && nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ)
			memcpy(&s->cmp, p, 4);
	} else if (strcmp(s->name, "queue") == 0) {
		s->qnum = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM);
		s->total = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL);
		s->flags = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS);
	} else if (strcmp(s->name, "target") == 0) {
		s->rev = nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV);
		snprintf(s->name, sizeof(s->name), "%s", nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME));
		p = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &s->info_len);
		if (p && s->info_len <= sizeof(s->info))
			memcpy(s->info, p, s->info_len);
	}
	return 0;
}

static void parse_rule(const char *buf, int len, struct seen *s, const char **chain)
{
	static char ch[64];
	struct nftnl_rule *r = nftnl_rule_alloc();
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, (uint32_t)len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE);
	/* inserted at the head: no append flag */
	assert_int_equal(nlh->nlmsg_flags & NLM_F_APPEND, 0);
	assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), "kastro");
	assert_int_equal(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), NFPROTO_INET);
	snprintf(ch, sizeof(ch), "%s", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	*chain = ch;
	memset(s, 0, sizeof(*s));
	nftnl_expr_foreach(r, expr_cb, s);
	nftnl_rule_free(r);
}

static void test_rule_compat(void **state)
{
	char buf[1024];
	struct seen s;
	const char *chain;
	uint16_t v[4];
	int len;

	(void)state;
	len = inl_rule_msg(buf, sizeof(buf), 7, 0, 7100, 0);
	parse_rule(buf, len, &s, &chain);
	assert_string_equal(chain, INL_QUEUE_CHAIN);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name, "NFQUEUE");
	assert_int_equal(s.rev, 3);
	/* struct xt_NFQ_info_v3 { queuenum, queues_total, flags } (+ padding) */
	assert_int_equal(s.info_len, 8);
	memcpy(v, s.info, 8);
	assert_int_equal(v[0], 7100);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 0);
	len = inl_rule_msg(buf, sizeof(buf), 8, 0, 42, 1);
	parse_rule(buf, len, &s, &chain);
	memcpy(v, s.info, 8);
	assert_int_equal(v[0], 42);
	assert_int_equal(v[2], 1);      /* bypass: fail open without a listener */
	/* too small a buffer is refused */
	assert_int_equal(inl_rule_msg(buf, 16, 9, 0, 1, 0), -1);
	/* the rule for connections failing open: their packet mark, bypass */
	len = inl_rule_failopen_msg(buf, sizeof(buf), 10, 0, 7100);
	parse_rule(buf, len, &s, &chain);
	assert_string_equal(chain, INL_QUEUE_CHAIN);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.meta_key, NFT_META_MARK);
	assert_int_equal(s.mask, INL_MARK_FAILOPEN);
	assert_int_equal(s.cmp, INL_MARK_FAILOPEN);
	memcpy(v, s.info, 8);
	assert_int_equal(v[0], 7100);
	assert_int_equal(v[2], 1);
}

static void test_rule_native(void **state)
{
	char buf[1024];
	struct seen s;
	const char *chain;
	int len;

	(void)state;
	len = inl_rule_msg(buf, sizeof(buf), 7, 1, 7100, 0);
	parse_rule(buf, len, &s, &chain);
	assert_string_equal(chain, INL_QUEUE_CHAIN);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name, "queue");
	assert_int_equal(s.qnum, 7100);
	assert_int_equal(s.total, 1);
	assert_int_equal(s.flags, 0);
	len = inl_rule_msg(buf, sizeof(buf), 7, 1, 3, 1);
	parse_rule(buf, len, &s, &chain);
	assert_int_equal(s.qnum, 3);
	assert_int_equal(s.flags, NFT_QUEUE_FLAG_BYPASS);
	len = inl_rule_failopen_msg(buf, sizeof(buf), 8, 1, 7100);
	parse_rule(buf, len, &s, &chain);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.name, "queue");
	assert_int_equal(s.cmp, INL_MARK_FAILOPEN);
	assert_int_equal(s.flags, NFT_QUEUE_FLAG_BYPASS);
}

/* ---- queue verdicts --------------------------------------------------------- */

struct vseen {
	uint32_t id, verdict, mark, ct_mark, ct_mask;
	int has_mark, has_ct, other;
};

static int ct_cb(const struct nlattr *a, void *data)
{
	struct vseen *v = data;

	if (mnl_attr_get_type(a) == CTA_MARK)
		v->ct_mark = ntohl(mnl_attr_get_u32(a));
	else if (mnl_attr_get_type(a) == CTA_MARK_MASK)
		v->ct_mask = ntohl(mnl_attr_get_u32(a));
	else
		v->other++;
	return MNL_CB_OK;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct vseen *v = data;
	const struct nfqnl_msg_verdict_hdr *h;

	switch (mnl_attr_get_type(a)) {
	case NFQA_VERDICT_HDR:
		h = mnl_attr_get_payload(a);
		v->id = ntohl(h->id);
		v->verdict = ntohl(h->verdict);
		break;
	case NFQA_MARK:
		v->has_mark = 1;
		v->mark = ntohl(mnl_attr_get_u32(a));
		break;
	case NFQA_CT:
		v->has_ct = 1;
		mnl_attr_parse_nested(a, ct_cb, v);
		break;
	default:
		v->other++;
	}
	return MNL_CB_OK;
}

static void parse_verdict(const char *buf, size_t len, uint16_t qnum, struct vseen *v)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT);
	assert_int_equal(ntohs(g->res_id), qnum);
	memset(v, 0, sizeof(*v));
	assert_true(mnl_attr_parse(nlh, sizeof(*g), attr_cb, v) >= 0);
	assert_int_equal(v->other, 0);
}

static void test_verdict_mark(void **state)
{
	char buf[256];
	struct vseen v;
	size_t len;

	(void)state;
	/* undecided: accept, the packet's mark untouched */
	len = relay_verdict_msg(buf, 7100, 17, NF_ACCEPT, 0, 0x5, PKT_UNDECIDED);
	parse_verdict(buf, len, 7100, &v);
	assert_int_equal(v.id, 17);
	assert_int_equal(v.verdict, NF_ACCEPT);
	assert_false(v.has_mark);
	assert_false(v.has_ct);
	/* pass and block: our bits set, other tools' bits kept */
	len = relay_verdict_msg(buf, 7100, 18, NF_ACCEPT, 0, 0x0800000f, PKT_PASS);
	parse_verdict(buf, len, 7100, &v);
	assert_true(v.has_mark);
	assert_int_equal(v.mark, 0x0800000fu | INL_MARK_PASS);
	/* ... and the fail-open bit of chain inline_gate goes */
	len = relay_verdict_msg(buf, 7100, 19, NF_ACCEPT, 0, 0xffffffff, PKT_BLOCK);
	parse_verdict(buf, len, 7100, &v);
	assert_int_equal(v.mark, (0xffffffffu & ~(INL_MARK_MASK | INL_MARK_FAILOPEN)) | INL_MARK_BLOCK);
	/* fail closed */
	len = relay_verdict_msg(buf, 9, 20, NF_DROP, 0, 0, PKT_UNDECIDED);
	parse_verdict(buf, len, 9, &v);
	assert_int_equal(v.verdict, NF_DROP);
	assert_false(v.has_mark);
}

static void test_verdict_glue(void **state)
{
	char buf[256];
	struct vseen v;
	size_t len;

	(void)state;
	len = relay_verdict_msg(buf, 7100, 21, NF_ACCEPT, 1, 0x1, PKT_BLOCK);
	parse_verdict(buf, len, 7100, &v);
	assert_int_equal(v.id, 21);
	assert_int_equal(v.verdict, NF_ACCEPT);
	assert_false(v.has_mark);       /* the packet mark is not ours to write */
	assert_true(v.has_ct);
	assert_int_equal(v.ct_mark, INL_MARK_BLOCK);
	assert_int_equal(v.ct_mask, INL_MARK_MASK);
	len = relay_verdict_msg(buf, 7100, 22, NF_ACCEPT, 1, 0, PKT_PASS);
	parse_verdict(buf, len, 7100, &v);
	assert_int_equal(v.ct_mark, INL_MARK_PASS);
	len = relay_verdict_msg(buf, 7100, 23, NF_ACCEPT, 1, 0, PKT_UNDECIDED);
	parse_verdict(buf, len, 7100, &v);
	assert_false(v.has_ct);
}

/* ---- relay <-> sensor messages --------------------------------------------- */

struct recs {
	int n;
	uint32_t id[4], len[4];
	uint8_t first[4];
};

static void on_rec(void *ctx, const struct pkt_rec *r, const uint8_t *pkt)
{
	struct recs *x = ctx;

	x->id[x->n] = r->id;
	x->len[x->n] = r->len;
	x->first[x->n] = pkt[0];
	x->n++;
}

static size_t add_rec(uint8_t *buf, size_t off, uint32_t id, uint32_t len, uint8_t fill)
{
	struct pkt_rec r = { id, len, 1 };

	memcpy(buf + off, &r, sizeof(r));
	memset(buf + off + sizeof(r), fill, len);
	return off + sizeof(r) + ((len + 7u) & ~7u);
}

static void test_batch(void **state)
{
	static uint8_t buf[4096];
	struct pkt_hdr h = { PKT_BATCH, 2 };
	struct recs x = { 0 };
	char err[256];
	size_t n;

	(void)state;
	memcpy(buf, &h, sizeof(h));
	n = add_rec(buf, sizeof(h), 5, 13, 0x45);
	n = add_rec(buf, n, 6, 40, 0x60);
	assert_int_equal(pkt_decode_batch(buf, n, on_rec, &x, err, sizeof(err)), 2);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.id[0], 5);
	assert_int_equal(x.len[0], 13);
	assert_int_equal(x.first[0], 0x45);
	assert_int_equal(x.id[1], 6);
	assert_int_equal(x.first[1], 0x60);
	/* malformed: nothing is handed over, the reason is given */
	x.n = 0;
	assert_int_equal(pkt_decode_batch(buf, n - 8, on_rec, &x, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "past the end"));
	assert_int_equal(pkt_decode_batch(buf, n + 8, on_rec, &x, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "left over"));
	assert_int_equal(x.n, 0);
	h.n = PKT_MAX_BATCH + 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(pkt_decode_batch(buf, n, on_rec, &x, err, sizeof(err)), -1);
	h.n = 1;
	memcpy(buf, &h, sizeof(h));
	n = add_rec(buf, sizeof(h), 7, 0, 0);
	assert_int_equal(pkt_decode_batch(buf, n, on_rec, &x, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "length 0"));
	h.type = PKT_VERDICTS;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(pkt_decode_batch(buf, n, on_rec, &x, err, sizeof(err)), -1);
	assert_int_equal(pkt_decode_batch(buf, 3, on_rec, &x, err, sizeof(err)), -1);
}

static void test_verdicts(void **state)
{
	static uint8_t buf[sizeof(struct pkt_hdr) + 3 * sizeof(struct pkt_verdict)];
	static struct pkt_verdict out[PKT_MAX_BATCH];
	struct pkt_hdr h = { PKT_VERDICTS, 2 };
	struct pkt_verdict v[2];
	char err[256];
	size_t n = sizeof(h) + 2 * sizeof(v[0]);
	int hello;

	(void)state;
	memset(v, 0, sizeof(v));
	v[0].id = 1;
	v[0].action = PKT_PASS;
	v[1].id = 2;
	v[1].action = PKT_BLOCK;
	v[1].rst_len = 40;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(pkt_decode_verdicts(buf, n, out, &hello, err, sizeof(err)), 2);
	assert_int_equal(hello, 0);
	assert_int_equal(out[1].action, PKT_BLOCK);
	/* wrong size, bad action, a reset on a pass, padding */
	assert_int_equal(pkt_decode_verdicts(buf, n - 1, out, &hello, err, sizeof(err)), -1);
	v[0].action = 3;
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(pkt_decode_verdicts(buf, n, out, &hello, err, sizeof(err)), -1);
	v[0].action = PKT_PASS;
	v[0].rst_len = 40;
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(pkt_decode_verdicts(buf, n, out, &hello, err, sizeof(err)), -1);
	v[0].rst_len = 0;
	v[0].pad = 1;
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(pkt_decode_verdicts(buf, n, out, &hello, err, sizeof(err)), -1);
	v[0].pad = 0;
	v[1].rst_len = PKT_RST_MAX + 1;
	memcpy(buf + sizeof(h), v, sizeof(v));
	assert_int_equal(pkt_decode_verdicts(buf, n, out, &hello, err, sizeof(err)), -1);
	/* hello */
	h.type = PKT_HELLO;
	h.n = 0;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(pkt_decode_verdicts(buf, sizeof(h), out, &hello, err, sizeof(err)), 0);
	assert_int_equal(hello, 1);
	assert_int_equal(pkt_decode_verdicts(buf, sizeof(h) + 1, out, &hello, err, sizeof(err)), -1);
}

static void test_ctend(void **state)
{
	static uint8_t buf[sizeof(struct pkt_hdr) + 2 * sizeof(struct pkt_ctend)];
	static struct pkt_ctend out[PKT_MAX_CTEND];
	struct pkt_hdr h = { PKT_CTEND, 2 };
	struct pkt_ctend e[2];
	char err[256];
	size_t n = sizeof(buf);

	(void)state;
	memset(e, 0, sizeof(e));
	e[0].family = 4;
	e[0].bytes[1] = 20000000;
	e[1].family = 6;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), e, sizeof(e));
	assert_int_equal(pkt_decode_ctend(buf, n, out, err, sizeof(err)), 2);
	assert_int_equal(out[0].bytes[1], 20000000);
	assert_int_equal(pkt_decode_ctend(buf, n - 1, out, err, sizeof(err)), -1);
	e[1].family = 5;
	memcpy(buf + sizeof(h), e, sizeof(e));
	assert_int_equal(pkt_decode_ctend(buf, n, out, err, sizeof(err)), -1);
	e[1].family = 6;
	e[1].pad[1] = 1;
	memcpy(buf + sizeof(h), e, sizeof(e));
	assert_int_equal(pkt_decode_ctend(buf, n, out, err, sizeof(err)), -1);
	/* unqueued is a flag: 0 or 1 */
	e[1].pad[1] = 0;
	e[1].unqueued = 1;
	memcpy(buf + sizeof(h), e, sizeof(e));
	assert_int_equal(pkt_decode_ctend(buf, n, out, err, sizeof(err)), 2);
	e[1].unqueued = 2;
	memcpy(buf + sizeof(h), e, sizeof(e));
	assert_int_equal(pkt_decode_ctend(buf, n, out, err, sizeof(err)), -1);
	h.n = 0;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(pkt_decode_ctend(buf, sizeof(h), out, err, sizeof(err)), -1);
}

/* ---- resets --------------------------------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A client's request: 10.10.0.2:40000 -> 10.20.0.2:80, seq 1000, ack 2000, PSH|ACK. */
static size_t pkt4(uint8_t *p)
{
	memset(p, 0, 60);
	p[0] = 0x45;
	p[3] = 60;
	p[8] = 64;
	p[9] = 6;
	p[12] = 10; p[13] = 10; p[15] = 2;
	p[16] = 10; p[17] = 20; p[19] = 2;
	p[20] = 40000 >> 8; p[21] = 40000 & 0xff;
	p[23] = 80;
	p[26] = 1000 >> 8; p[27] = 1000 & 0xff;
	p[30] = 2000 >> 8; p[31] = 2000 & 0xff;
	p[32] = 5 << 4;
	p[33] = 0x18;
	memcpy(p + 40, "GET / HTTP/1.1\r\nHost", 20);
	return 60;
}

static size_t pkt6(uint8_t *p)
{
	memset(p, 0, 80);
	p[0] = 0x60;
	p[5] = 40;
	p[6] = 6;
	p[7] = 64;
	p[8] = 0xfd; p[23] = 2;         /* fd00:10::2 */
	p[9] = 0; p[10] = 0; p[11] = 0x10;
	p[24] = 0xfd; p[27] = 0x20; p[39] = 2;
	p[40] = 40000 >> 8; p[41] = 40000 & 0xff;
	p[42] = 443 >> 8; p[43] = 443 & 0xff;
	p[46] = 7;
	p[50] = 9;
	p[52] = 5 << 4;
	p[53] = 0x18;
	return 80;
}

static void test_rst4(void **state)
{
	uint8_t p[60], r[PKT_RST_MAX];
	size_t n;
	uint32_t s;

	(void)state;
	pkt4(p);
	n = pkt_rst_build(p, sizeof(p), r);
	assert_int_equal(n, 40);
	assert_int_equal(fold(sum16(r, 20, 0)), 0xffff);      /* IP checksum */
	s = sum16(r + 12, 8, 0) + 6 + 20;                       /* pseudo-header */
	assert_int_equal(fold(sum16(r + 20, 20, s)), 0xffff);  /* TCP checksum */
	assert_memory_equal(r + 12, p + 12, 8);                 /* to the receiver */
	assert_memory_equal(r + 20, p + 20, 12);                /* ports, seq, ack */
	assert_int_equal(r[33], 0x14);                          /* RST|ACK */
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), 0);
	/* the relay refuses a reset for another connection */
	r[19] = 3;
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), -1);
	r[19] = 2;
	r[21] ^= 1;
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), -1);
	r[21] ^= 1;
	r[33] = 0x02;   /* a SYN is not a reset */
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), -1);
	r[33] = 0x14;
	assert_int_equal(pkt_rst_check(r, n - 1, p, sizeof(p)), -1);
	/* no reset for a SYN, a reset, a segment without ACK, a short packet */
	p[33] = 0x02;
	assert_int_equal(pkt_rst_build(p, sizeof(p), r), 0);
	p[33] = 0x14;
	assert_int_equal(pkt_rst_build(p, sizeof(p), r), 0);
	p[33] = 0x08;
	assert_int_equal(pkt_rst_build(p, sizeof(p), r), 0);
	p[33] = 0x18;
	assert_int_equal(pkt_rst_build(p, 39, r), 0);
	p[9] = 17;
	assert_int_equal(pkt_rst_build(p, sizeof(p), r), 0);
}

static void test_rst6(void **state)
{
	uint8_t p[80], r[PKT_RST_MAX];
	size_t n;
	uint32_t s;

	(void)state;
	pkt6(p);
	n = pkt_rst_build(p, sizeof(p), r);
	assert_int_equal(n, 60);
	s = sum16(r + 8, 32, 0) + 6 + 20;
	assert_int_equal(fold(sum16(r + 40, 20, s)), 0xffff);
	assert_memory_equal(r + 8, p + 8, 32);
	assert_memory_equal(r + 40, p + 40, 12);
	assert_int_equal(r[53], 0x14);
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), 0);
	r[39] = 9;
	assert_int_equal(pkt_rst_check(r, n, p, sizeof(p)), -1);
	/* an unknown next header: no reset rather than a wrong one */
	p[6] = 59;
	assert_int_equal(pkt_rst_build(p, sizeof(p), r), 0);
}

/* pkt6's segment behind extension headers: hop-by-hop, then each of hdrs */
static size_t pkt6_ext(uint8_t *p, const uint8_t (*hdrs)[8], size_t n)
{
	uint8_t t[80];
	size_t i, off = 40;

	pkt6(t);
	memset(p, 0, 200);
	memcpy(p, t, 40);
	p[6] = 0;                       /* hop-by-hop first */
	memset(p + off, 0, 8);
	p[off] = n ? hdrs[0][0] : 6;
	off += 8;
	for (i = 0; i < n; i++) {
		memcpy(p + off, hdrs[i], 8);
		/* the next header of this one: that of the next, or TCP */
		p[off] = i + 1 < n ? hdrs[i + 1][0] : 6;
		off += 8;
	}
	memcpy(p + off, t + 40, 40);
	p[4] = (uint8_t)((off + 40 - 40) >> 8);
	p[5] = (uint8_t)(off + 40 - 40);
	return off + 40;
}

static void test_rst6_ext(void **state)
{
	/* each: byte 0 is this header's own type (moved to the previous one) */
	static const uint8_t dst[1][8] = { { 60 } };
	static const uint8_t routed[1][8] = { { 43, 0, 0, 0 } };
	static const uint8_t routing[1][8] = { { 43, 0, 0, 1 } };
	static const uint8_t frag0[1][8] = { { 44, 0, 0, 1 } };
	static const uint8_t frag1[1][8] = { { 44, 0, 0, 8 } };
	static const uint8_t esp[1][8] = { { 50 } };
	static const uint8_t many[8][8] = { { 60 }, { 60 }, { 60 }, { 60 }, { 60 }, { 60 }, { 60 }, { 60 } };
	uint8_t p[200], r[PKT_RST_MAX];
	size_t n, len;
	uint32_t s;

	(void)state;
	/* hop-by-hop alone, then with destination options */
	len = pkt6_ext(p, NULL, 0);
	n = pkt_rst_build(p, len, r);
	assert_int_equal(n, 60);
	assert_int_equal(r[6], 6);                      /* the reset has none */
	assert_memory_equal(r + 8, p + 8, 32);
	assert_memory_equal(r + 40, p + 48, 12);        /* ports, seq, ack */
	s = sum16(r + 8, 32, 0) + 6 + 20;
	assert_int_equal(fold(sum16(r + 40, 20, s)), 0xffff);
	assert_int_equal(pkt_rst_check(r, n, p, len), 0);
	len = pkt6_ext(p, dst, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 60);
	assert_memory_equal(r + 40, p + 56, 12);
	assert_int_equal(pkt_rst_check(r, 60, p, len), 0);
	/* routing with no segment left, first fragment: yes */
	len = pkt6_ext(p, routed, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 60);
	len = pkt6_ext(p, frag0, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 60);
	/* a routing header on its way, a later fragment, ESP: no */
	len = pkt6_ext(p, routing, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 0);
	len = pkt6_ext(p, frag1, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 0);
	len = pkt6_ext(p, esp, 1);
	assert_int_equal(pkt_rst_build(p, len, r), 0);
	/* bounded: hop-by-hop and 7 more is the most walked */
	len = pkt6_ext(p, many, 7);
	assert_int_equal(pkt_rst_build(p, len, r), 60);
	len = pkt6_ext(p, many, 8);
	assert_int_equal(pkt_rst_build(p, len, r), 0);
	/* a header past the end, TCP cut short */
	len = pkt6_ext(p, dst, 1);
	assert_int_equal(pkt_rst_build(p, 50, r), 0);
	assert_int_equal(pkt_rst_build(p, len - 20, r), 60);   /* the TCP header whole */
	assert_int_equal(pkt_rst_build(p, len - 21, r), 0);
	/* a header length that runs past the packet */
	len = pkt6_ext(p, dst, 1);
	p[49] = 200;
	assert_int_equal(pkt_rst_build(p, len, r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_compat),
		cmocka_unit_test(test_rule_native),
		cmocka_unit_test(test_verdict_mark),
		cmocka_unit_test(test_verdict_glue),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_ctend),
		cmocka_unit_test(test_rst4),
		cmocka_unit_test(test_rst6),
		cmocka_unit_test(test_rst6_ext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
