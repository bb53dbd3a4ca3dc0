/*
 * test_gwflood.c - unit tests of kastrod's behaviour under a flood: the flow
 * table evicts flows without a handshake before established ones
 * (daemon/flow.c), the EVE cap on events per second holds and counts the
 * excess, alerts and stats are never capped, and app events with nothing
 * in them are not written (daemon/eve.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "dpi.h"
#include "eve.h"
#include "flow.h"

static struct dpi *dpi;

#define S 1000000ull
#define SYN 0x02
#define ACK 0x10

static int ended;

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	(void)ctx;
	(void)f;
	(void)why;
	ended++;
}

static const uint32_t timeouts[CONF_TO_N] = {
	[CONF_TO_TCP_NEW] = 30, [CONF_TO_TCP_EST] = 3600, [CONF_TO_TCP_CLOSED] = 10,
	[CONF_TO_UDP] = 120, [CONF_TO_ICMP] = 30, [CONF_TO_OTHER] = 60,
};

static struct dec_pkt pkt(uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t flags)
{
	struct dec_pkt p;

	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.proto = 6;
	p.src[0] = 10; p.src[3] = a;
	p.dst[0] = 10; p.dst[3] = b;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = flags;
	return p;
}

/* A completed handshake from 10.0.0.a:sp to 10.0.0.2:80 at time t. */
static void handshake(struct flow_table *t, uint8_t a, uint16_t sp, uint64_t at)
{
	struct dec_pkt s = pkt(a, sp, 2, 80, SYN), sa = pkt(2, 80, a, sp, SYN | ACK),
		       ac = pkt(a, sp, 2, 80, ACK);
	struct flow *f;
	int dir;

	assert_non_null(flow_packet(t, &s, 60, 0, at, &dir));
	assert_non_null(flow_packet(t, &sa, 60, 0, at + 1, &dir));
	f = flow_packet(t, &ac, 60, 0, at + 2, &dir);
	assert_non_null(f);
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
}

static bool alive(struct flow_table *t, uint8_t a, uint16_t sp)
{
	struct dec_pkt p = pkt(a, sp, 2, 80, ACK);
	struct flow_key k;

	flow_key_of(&p, &k);
	return flow_find(t, &k) != NULL;
}

static void test_flood_evicts_syn_only_first(void **state)
{
	struct flow_table *t = flow_table_new(4, timeouts, 0, on_end, NULL, NULL);
	struct flow_stats st;
	int i, dir;

	(void)state;
	ended = 0;
	/* two established connections, older than anything of the flood */
	handshake(t, 1, 1000, 1 * S);
	handshake(t, 1, 1001, 2 * S);
	/* 1,000 SYNs from spoofed ports, newer than both */
	for (i = 0; i < 1000; i++) {
		struct dec_pkt p = pkt(66, (uint16_t)(2000 + i), 2, 80, SYN);

		assert_non_null(flow_packet(t, &p, 60, 0, 10 * S + (uint64_t)i, &dir));
	}
	assert_true(alive(t, 1, 1000));
	assert_true(alive(t, 1, 1001));
	flow_get_stats(t, &st);
	assert_int_equal(st.active, 4);
	assert_int_equal(st.ended_forced, 998);
	assert_int_equal(st.evicted_established, 0);
	assert_int_equal(ended, 998);

	/* with nothing else left, the oldest established one goes (and is counted) */
	handshake(t, 1, 1002, 20 * S);
	handshake(t, 1, 1003, 21 * S);
	handshake(t, 1, 1004, 22 * S);
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted_established, 1);
	assert_false(alive(t, 1, 1000));
	assert_true(alive(t, 1, 1001));
	assert_true(alive(t, 1, 1004));
	flow_table_free(t);
}

/* An EVE writer to a temporary file; returns the file's path. */
static void eve_tmp(struct eve *e, char *path, size_t len)
{
	char err[256];
	int fd;

	snprintf(path, len, "/tmp/test_gwflood.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eve_open(e, path, err, sizeof(err)), 0);
}

static int lines(const char *path, const char *needle)
{
	char buf[16384];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f))
		n += strstr(buf, needle) != NULL;
	fclose(f);
	return n;
}

static void test_eve_rate_cap(void **state)
{
	struct eve e;
	struct flow f;
	struct verdict v;
	char path[64];
	int i;

	(void)state;
	eve_tmp(&e, path, sizeof(path));
	e.max_rate = 5;
	memset(&f, 0, sizeof(f));
	f.key.ipver = 4;
	f.key.proto = 6;
	f.init_is_lo = 1;
	for (i = 0; i < 20; i++) {
		f.first_us = f.last_us = 100 * S + (uint64_t)i * 1000;
		eve_flow(&e, dpi, &f, NULL, "forced");
	}
	/* an older event counts in the current second */
	f.first_us = f.last_us = 99 * S;
	eve_flow(&e, dpi, &f, NULL, "forced");
	/* alerts are not capped */
	memset(&v, 0, sizeof(v));
	v.action = VERDICT_BLOCK;
	for (i = 0; i < 3; i++)
		eve_alert(&e, dpi, &f, NULL, &v, 100 * S + 500000);
	/* the next second has room again */
	f.first_us = f.last_us = 101 * S;
	eve_flow(&e, dpi, &f, NULL, "forced");
	eve_flush(&e);
	assert_int_equal(lines(path, "\"event_type\":\"flow\""), 6);
	assert_int_equal(lines(path, "\"event_type\":\"alert\""), 3);
	assert_int_equal(e.dropped_rate, 16);
	assert_int_equal(e.events, 9);

	/* 0: no cap */
	e.max_rate = 0;
	for (i = 0; i < 50; i++)
		eve_flow(&e, dpi, &f, NULL, "forced");
	assert_int_equal(e.dropped_rate, 16);
	eve_close(&e);
	unlink(path);
}

static void test_eve_no_empty_app_event(void **state)
{
	struct eve e;
	struct flow f;
	struct dpi_meta m;
	char path[64];

	(void)state;
	eve_tmp(&e, path, sizeof(path));
	memset(&f, 0, sizeof(f));
	f.key.ipver = 4;
	f.key.proto = 6;
	memset(&m, 0, sizeof(m));
	/* a SYN-only flow to port 80, guessed HTTP: nothing to say */
	m.kind = DPI_META_HTTP;
	eve_app(&e, dpi, &f, NULL, &m, 1 * S);
	m.kind = DPI_META_TLS;
	eve_app(&e, dpi, &f, NULL, &m, 1 * S);
	assert_int_equal(e.skipped_empty, 2);
	assert_int_equal(e.events, 0);
	/* one with a method is written */
	m.kind = DPI_META_HTTP;
	snprintf(m.u.http.method, sizeof(m.u.http.method), "GET");
	eve_app(&e, dpi, &f, NULL, &m, 1 * S);
	assert_int_equal(e.events, 1);
	eve_flush(&e);
	assert_int_equal(lines(path, "\"http_method\":\"GET\""), 1);
	eve_close(&e);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_evicts_syn_only_first),
		cmocka_unit_test(test_eve_rate_cap),
		cmocka_unit_test(test_eve_no_empty_app_event),
	};

	static struct kastrod_conf c;
	char err[512];
	int rc;

	conf_defaults(&c);
	dpi = dpi_new(&c, err, sizeof(err));
	if (dpi == NULL) {
		fprintf(stderr, "dpi_new: %s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dpi_free(dpi);
	return rc;
}
