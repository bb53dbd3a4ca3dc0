/*
 * test_ipc.c - the messages between kastrod's parent and its sensor:
 * encode/decode round trips, every kind of malformed message (short header,
 * unknown type, header padding, length field against the datagram, oversize,
 * wrong size for the type, bad fields, strings without their NUL), and the
 * socketpair: datagram boundaries, nothing waiting, a closed peer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "ipc.h"

static void good_query(struct verdict_query *q)
{
	memset(q, 0, sizeof(*q));
	q->flow_id = 42;
	q->tuple.family = 4;
	q->tuple.proto = 6;
	q->tuple.src[0] = 10;
	q->tuple.dst[0] = 10;
	q->tuple.sport = 40000;
	q->tuple.dport = 443;
	q->iface = 1;
	q->final = 1;
	q->confidence = 4;
	q->app = 91;
	snprintf(q->hostname, sizeof(q->hostname), "e-payments.kavala.example");
}

static void good_verdict(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->flow_id = 42;
	v->tuple.family = 6;
	v->tuple.proto = 17;
	v->rule_id = 7;
	v->action = VERDICT_BLOCK;
	v->severity = 2;
	v->log = 1;
	snprintf(v->signature, sizeof(v->signature), "block app Tor");
	snprintf(v->category, sizeof(v->category), "Application policy");
}

/* Decode n bytes; expect failure with a message that contains what. */
static void bad(const uint8_t *buf, size_t n, const char *what)
{
	struct ipc_msg m;
	char err[256] = "";

	assert_int_equal(ipc_decode(buf, n, &m, err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
}

static size_t enc_query(const struct verdict_query *q, uint8_t *buf, size_t len)
{
	int n = ipc_encode(IPC_QUERY, q, sizeof(*q), buf, len);

	assert_true(n > 0);
	return (size_t)n;
}

static void test_round_trip(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct verdict_query q;
	struct verdict v;
	struct ipc_stats st;
	struct ipc_msg m;
	char err[256];
	int n;

	(void)state;
	good_query(&q);
	n = ipc_encode(IPC_QUERY, &q, sizeof(q), buf, sizeof(buf));
	assert_int_equal(n, (int)(IPC_HDR_LEN + sizeof(q)));
	assert_int_equal(ipc_decode(buf, (size_t)n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, IPC_QUERY);
	assert_memory_equal(&m.u.query, &q, sizeof(q));

	good_verdict(&v);
	n = ipc_encode(IPC_VERDICT, &v, sizeof(v), buf, sizeof(buf));
	assert_int_equal(ipc_decode(buf, (size_t)n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, IPC_VERDICT);
	assert_memory_equal(&m.u.verdict, &v, sizeof(v));

	memset(&st, 0, sizeof(st));
	st.pkts = 123;
	n = ipc_encode(IPC_STATS, &st, sizeof(st), buf, sizeof(buf));
	assert_int_equal(ipc_decode(buf, (size_t)n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.u.stats.pkts, 123);

	n = ipc_encode(IPC_READY, NULL, 0, buf, sizeof(buf));
	assert_int_equal(n, (int)IPC_HDR_LEN);
	assert_int_equal(ipc_decode(buf, (size_t)n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, IPC_READY);
}

static void test_encode_refuses(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct verdict_query q;

	(void)state;
	good_query(&q);
	assert_int_equal(ipc_encode(IPC_QUERY, &q, sizeof(q) - 1, buf, sizeof(buf)), -1);
	assert_int_equal(ipc_encode(IPC_VERDICT, &q, sizeof(q), buf, sizeof(buf)), -1);
	assert_int_equal(ipc_encode(99, &q, sizeof(q), buf, sizeof(buf)), -1);
	assert_int_equal(ipc_encode(IPC_QUERY, &q, sizeof(q), buf, 20), -1);
	assert_int_equal(ipc_encode(IPC_QUERY, NULL, sizeof(q), buf, sizeof(buf)), -1);
}

static void test_header(void **state)
{
	uint8_t buf[IPC_MAX_MSG + 64];
	struct verdict_query q;
	struct ipc_hdr h;
	size_t n;

	(void)state;
	good_query(&q);
	n = enc_query(&q, buf, sizeof(buf));
	bad(buf, 0, "short message");
	bad(buf, IPC_HDR_LEN - 1, "short message");

	/* unknown types, 0 included */
	memcpy(&h, buf, sizeof(h));
	h.type = 0;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "unknown message type 0");
	h.type = IPC_TYPE_MAX + 1;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "unknown message type");
	h.type = 0xffff;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "unknown message type");

	/* header padding must be zero */
	h.type = IPC_QUERY;
	h.pad = 1;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "padding");
	h.pad = 0;

	/* length field against the datagram */
	h.len = (uint32_t)sizeof(q) + 1;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "length field");
	h.len = (uint32_t)sizeof(q);
	memcpy(buf, &h, sizeof(h));
	bad(buf, n - 1, "length field");
	bad(buf, n + 1, "length field");

	/* oversize, whatever the datagram holds */
	h.len = IPC_MAX_PAYLOAD + 1;
	memcpy(buf, &h, sizeof(h));
	bad(buf, IPC_HDR_LEN + IPC_MAX_PAYLOAD + 1, "over the maximum");
	h.len = 0xffffffffu;
	memcpy(buf, &h, sizeof(h));
	bad(buf, n, "over the maximum");
}

static void test_wrong_size_for_type(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct ipc_hdr h;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&h, 0, sizeof(h));
	/* a verdict-sized payload labelled as a query */
	h.type = IPC_QUERY;
	h.len = (uint32_t)sizeof(struct verdict);
	memcpy(buf, &h, sizeof(h));
	bad(buf, IPC_HDR_LEN + h.len, "expected");
	/* READY carries nothing */
	h.type = IPC_READY;
	h.len = 4;
	memcpy(buf, &h, sizeof(h));
	bad(buf, IPC_HDR_LEN + 4, "expected 0");
	/* an empty query */
	h.type = IPC_QUERY;
	h.len = 0;
	memcpy(buf, &h, sizeof(h));
	bad(buf, IPC_HDR_LEN, "expected");
	/* stats one byte short */
	h.type = IPC_STATS;
	h.len = (uint32_t)sizeof(struct ipc_stats) - 1;
	memcpy(buf, &h, sizeof(h));
	bad(buf, IPC_HDR_LEN + h.len, "expected");
}

static void test_query_fields(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct verdict_query q;

	(void)state;
	good_query(&q);
	q.tuple.family = 5;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "family");
	good_query(&q);
	q.tuple.family = 0;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "family");
	good_query(&q);
	q.iface = CONF_MAX_IFACES;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "interface");
	good_query(&q);
	q.iface = 0xff;                 /* a capture file: valid */
	{
		struct ipc_msg m;
		char err[128];
		size_t n = enc_query(&q, buf, sizeof(buf));

		assert_int_equal(ipc_decode(buf, n, &m, err, sizeof(err)), 0);
	}
	good_query(&q);
	q.final = 2;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "final");
	good_query(&q);
	q.confidence = 200;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "confidence");
	good_query(&q);
	q.vlan[1] = 4096;
	bad(buf, enc_query(&q, buf, sizeof(buf)), "VLAN");
	good_query(&q);
	memset(q.hostname, 'a', sizeof(q.hostname));   /* no NUL anywhere */
	bad(buf, enc_query(&q, buf, sizeof(buf)), "NUL");
}

static void test_verdict_fields(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct verdict v;
	int n;

	(void)state;
#define BADV(field_change, what)                                                   \
	do {                                                                       \
		good_verdict(&v);                                                  \
		field_change;                                                      \
		n = ipc_encode(IPC_VERDICT, &v, sizeof(v), buf, sizeof(buf));      \
		assert_true(n > 0);                                                \
		bad(buf, (size_t)n, what);                                         \
	} while (0)
	BADV(v.tuple.family = 46, "family");
	BADV(v.action = 2, "action");
	BADV(v.severity = 0, "severity");
	BADV(v.severity = 5, "severity");
	BADV(v.log = 7, "log");
	BADV(v.vlan[0] = 0xffff, "VLAN");
	BADV(memset(v.signature, 'x', sizeof(v.signature)), "NUL");
	BADV(memset(v.category, 'x', sizeof(v.category)), "NUL");
#undef BADV
}

/* Rule hits: the pairs come back as sent; a count over the table or
 * nonzero padding is refused. */
static void test_rule_hits(void **state)
{
	uint8_t buf[IPC_MAX_MSG];
	struct ipc_rule_hits h;
	struct ipc_msg m;
	char err[256];
	int n;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.n = 2;
	h.v[0].rule_id = 7;
	h.v[0].count = 3;
	h.v[1].rule_id = IPC_RULE_HITS_OTHER;
	h.v[1].count = 1;
	n = ipc_encode(IPC_RULE_HITS, &h, sizeof(h), buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ipc_decode(buf, (size_t)n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, IPC_RULE_HITS);
	assert_int_equal(m.u.hits.n, 2);
	assert_int_equal(m.u.hits.v[0].rule_id, 7);
	assert_int_equal(m.u.hits.v[0].count, 3);
	assert_int_equal(m.u.hits.v[1].rule_id, IPC_RULE_HITS_OTHER);

	h.n = IPC_RULE_HITS_MAX + 1;
	n = ipc_encode(IPC_RULE_HITS, &h, sizeof(h), buf, sizeof(buf));
	bad(buf, (size_t)n, "rule hits");
	h.n = 1;
	h.pad = 1;
	n = ipc_encode(IPC_RULE_HITS, &h, sizeof(h), buf, sizeof(buf));
	bad(buf, (size_t)n, "padding");
}

static void test_socketpair(void **state)
{
	struct verdict_query q;
	struct ipc_msg m;
	uint8_t junk[IPC_MAX_MSG + 100];
	char err[256];
	int fds[2];

	(void)state;
	assert_int_equal(ipc_socketpair(fds, 1 << 16), 0);
	/* nothing waiting */
	assert_int_equal(ipc_recv(fds[0], &m, err, sizeof(err)), 0);
	/* two messages stay two messages */
	good_query(&q);
	assert_int_equal(ipc_send(fds[1], IPC_QUERY, &q, sizeof(q)), 0);
	assert_int_equal(ipc_send(fds[1], IPC_READY, NULL, 0), 0);
	assert_int_equal(ipc_recv(fds[0], &m, err, sizeof(err)), 1);
	assert_int_equal(m.type, IPC_QUERY);
	assert_string_equal(m.u.query.hostname, q.hostname);
	assert_int_equal(ipc_recv(fds[0], &m, err, sizeof(err)), 1);
	assert_int_equal(m.type, IPC_READY);
	/* a datagram longer than any message is refused, not cut */
	memset(junk, 0, sizeof(junk));
	assert_int_equal(send(fds[1], junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_int_equal(ipc_recv(fds[0], &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over the maximum"));
	/* a wrong send is refused before it leaves */
	assert_int_equal(ipc_send(fds[1], IPC_QUERY, &q, 3), -1);
	/* a closed peer */
	close(fds[1]);
	assert_int_equal(ipc_recv(fds[0], &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "closed"));
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_wrong_size_for_type),
		cmocka_unit_test(test_query_fields),
		cmocka_unit_test(test_verdict_fields),
		cmocka_unit_test(test_rule_hits),
		cmocka_unit_test(test_socketpair),
	};
	return cmocka_run_group_tests_name("ipc", tests, NULL, NULL);
}
