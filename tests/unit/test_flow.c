/*
 * test_flow.c - the flow table: both directions in one flow, who opened it,
 * timeouts per class, the cap and its evictions, TCP port reuse, periodic
 * reports of long flows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flow.h"

#define S 1000000ull

struct ended {
	int n;
	int why[64];
	uint64_t pkts[64];
	int reports;
};

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct ended *e = ctx;

	if (e->n < 64) {
		e->why[e->n] = why;
		e->pkts[e->n] = f->pkts[0] + f->pkts[1];
	}
	e->n++;
}

static void on_report(void *ctx, struct flow *f)
{
	struct ended *e = ctx;

	(void)f;
	e->reports++;
}

static const uint32_t timeouts[CONF_TO_N] = {
	[CONF_TO_TCP_NEW] = 30, [CONF_TO_TCP_EST] = 3600, [CONF_TO_TCP_CLOSED] = 10,
	[CONF_TO_UDP] = 120, [CONF_TO_ICMP] = 30, [CONF_TO_OTHER] = 60,
};

static struct dec_pkt pkt(uint8_t proto, uint8_t a, uint16_t sp, uint8_t b, uint16_t dp,
			  uint8_t flags)
{
	struct dec_pkt p;

	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.proto = proto;
	p.src[0] = 10; p.src[3] = a;
	p.dst[0] = 10; p.dst[3] = b;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = flags;
	return p;
}

static void test_bidirectional(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt req = pkt(17, 9, 5000, 1, 53, 0);   /* higher address opens */
	struct dec_pkt rsp = pkt(17, 1, 53, 9, 5000, 0);
	struct flow *f1, *f2;
	int dir;

	(void)state;
	f1 = flow_packet(t, &req, 80, 0, 1 * S, &dir);
	assert_non_null(f1);
	assert_int_equal(dir, 0);
	f2 = flow_packet(t, &rsp, 120, 0, 1 * S + 10, &dir);
	assert_ptr_equal(f1, f2);
	assert_int_equal(dir, 1);
	assert_int_equal(f1->pkts[0], 1);
	assert_int_equal(f1->pkts[1], 1);
	assert_int_equal(f1->bytes[0], 80);
	assert_int_equal(f1->bytes[1], 120);
	assert_int_equal(f1->state, FLOW_STATE_ESTABLISHED);
	assert_false(f1->init_is_lo);   /* the opener has the higher address */
	flow_table_free(t);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], FLOW_END_SHUTDOWN);
}

static void test_synack_first(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt synack = pkt(6, 1, 443, 2, 40000, 0x12);
	struct flow *f;
	int dir;

	(void)state;
	f = flow_packet(t, &synack, 60, 0, S, &dir);
	/* The capture started late: the SYN-ACK's receiver opened the flow. */
	assert_int_equal(dir, 1);
	assert_false(f->init_is_lo);
	flow_table_free(t);
}

static void test_vlan_separates(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt a = pkt(17, 1, 1, 2, 2, 0), b = a;
	int dir;

	(void)state;
	b.n_vlan = 1;
	b.vlan[0] = 10;
	assert_ptr_not_equal(flow_packet(t, &a, 60, 0, S, &dir), flow_packet(t, &b, 60, 0, S, &dir));
	flow_table_free(t);
	assert_int_equal(e.n, 2);
}

static void test_idle_timeouts(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt u = pkt(17, 1, 1000, 2, 53, 0);
	struct dec_pkt syn = pkt(6, 1, 1001, 2, 80, 0x02);
	int dir;

	(void)state;
	flow_packet(t, &u, 60, 0, 100 * S, &dir);
	flow_packet(t, &syn, 60, 0, 100 * S, &dir);
	flow_expire(t, 129 * S);
	assert_int_equal(e.n, 0);
	flow_expire(t, 130 * S);              /* TCP before the handshake: 30 s */
	assert_int_equal(e.n, 1);
	flow_expire(t, 219 * S);
	assert_int_equal(e.n, 1);
	flow_expire(t, 220 * S);              /* UDP: 120 s */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.why[0], FLOW_END_TIMEOUT);
	assert_int_equal(e.why[1], FLOW_END_TIMEOUT);
	flow_table_free(t);
}

/* A flow seen again is not ended at its first deadline but at its last. */
static void test_idle_timeout_after_touch(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt a = pkt(17, 1, 1000, 2, 53, 0);
	struct dec_pkt b = pkt(17, 1, 1001, 2, 53, 0);
	struct dec_pkt c = pkt(17, 1, 1002, 2, 53, 0);
	int dir;

	(void)state;
	flow_packet(t, &a, 60, 0, 0 * S + 1, &dir);
	flow_packet(t, &b, 60, 0, 10 * S, &dir);
	flow_packet(t, &c, 60, 0, 25 * S, &dir);
	flow_packet(t, &a, 60, 0, 20 * S, &dir);     /* a seen again */
	flow_expire(t, 121 * S);                     /* a's first deadline passed */
	assert_int_equal(e.n, 0);
	flow_expire(t, 130 * S);                     /* b due */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.pkts[0], 1);
	flow_expire(t, 139 * S);
	assert_int_equal(e.n, 1);
	flow_expire(t, 140 * S);                     /* a due: 20 + 120 */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.pkts[1], 2);
	flow_expire(t, 145 * S);                     /* c due: 25 + 120 */
	assert_int_equal(e.n, 3);
	flow_table_free(t);
}

static void test_tcp_close_and_reuse(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(100, timeouts, 0, on_end, NULL, &e);
	struct dec_pkt syn = pkt(6, 1, 40000, 2, 80, 0x02);
	struct dec_pkt synack = pkt(6, 2, 80, 1, 40000, 0x12);
	struct dec_pkt ack = pkt(6, 1, 40000, 2, 80, 0x10);
	struct dec_pkt rst = pkt(6, 2, 80, 1, 40000, 0x14);
	struct flow *f, *g;
	int dir;

	(void)state;
	f = flow_packet(t, &syn, 60, 0, S, &dir);
	flow_packet(t, &synack, 60, 0, S, &dir);
	flow_packet(t, &ack, 60, 0, S, &dir);
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
	flow_packet(t, &rst, 60, 0, 2 * S, &dir);
	assert_int_equal(f->state, FLOW_STATE_CLOSED);
	/* a late ACK still belongs to the closed flow */
	g = flow_packet(t, &ack, 60, 0, 3 * S, &dir);
	assert_ptr_equal(f, g);
	/* a new SYN on the same tuple is a new connection */
	g = flow_packet(t, &syn, 60, 0, 4 * S, &dir);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.why[0], FLOW_END_REUSE);
	assert_int_equal(e.pkts[0], 5);
	assert_int_equal(g->pkts[0], 1);
	/* closed flows time out after tcp-closed (10 s) */
	flow_packet(t, &rst, 60, 0, 5 * S, &dir);
	flow_expire(t, 15 * S);
	assert_int_equal(e.n, 2);
	flow_table_free(t);
}

static void test_cap_evicts_oldest(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(10, timeouts, 0, on_end, NULL, &e);
	struct flow_stats st;
	int i, dir;

	(void)state;
	for (i = 0; i < 25; i++) {
		struct dec_pkt p = pkt(17, 1, (uint16_t)(1000 + i), 2, 53, 0);

		assert_non_null(flow_packet(t, &p, 60, 0, (uint64_t)(i + 1) * S, &dir));
	}
	flow_get_stats(t, &st);
	assert_int_equal(st.created, 25);
	assert_int_equal(st.active, 10);
	assert_int_equal(st.active_peak, 10);
	assert_int_equal(st.ended_forced, 15);
	assert_int_equal(e.n, 15);
	assert_int_equal(e.why[0], FLOW_END_FORCED);
	flow_table_free(t);
}

static void test_active_reports(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(10, timeouts, 60, on_end, on_report, &e);
	struct dec_pkt p = pkt(17, 1, 1, 2, 2, 0);
	uint64_t s;
	int dir;

	(void)state;
	for (s = 0; s <= 200; s += 10) {
		flow_packet(t, &p, 60, 0, (1000 + s) * S, &dir);
		flow_expire(t, (1000 + s) * S);
	}
	assert_int_equal(e.reports, 3);      /* at 60, 120 and 180 s */
	assert_int_equal(e.n, 0);
	flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidirectional),
		cmocka_unit_test(test_synack_first),
		cmocka_unit_test(test_vlan_separates),
		cmocka_unit_test(test_idle_timeouts),
		cmocka_unit_test(test_idle_timeout_after_touch),
		cmocka_unit_test(test_tcp_close_and_reuse),
		cmocka_unit_test(test_cap_evicts_oldest),
		cmocka_unit_test(test_active_reports),
	};
	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
