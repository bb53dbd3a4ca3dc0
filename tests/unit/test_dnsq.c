/*
 * test_dnsq.c - unit tests of DNS queries (lib/dnsq.c): servers written
 * with and without a port, IPv4 and IPv6; answers built here read for
 * their rcode, records of the type asked and an expected answer; bytes
 * that are not a DNS message; and one real exchange on loopback with a
 * UDP responder made here that answers first with the wrong ID (ignored),
 * then truncated, so that the query goes again over TCP.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dnsq.h"
#include "mono.h"

static void test_server(void **state)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[160];
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	(void)state;
	assert_int_equal(dnsq_server("10.20.0.2", &ss, &sl, why, sizeof(why)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 53);
	assert_int_equal(dnsq_server("10.20.0.2:5353", &ss, &sl, why, sizeof(why)), 0);
	assert_int_equal(ntohs(s4->sin_port), 5353);
	assert_int_equal(dnsq_server("fd00:20::2", &ss, &sl, why, sizeof(why)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 53);
	assert_int_equal(sl, sizeof(struct sockaddr_in6));
	assert_int_equal(dnsq_server("[fd00:20::2]:5353", &ss, &sl, why, sizeof(why)), 0);
	assert_int_equal(ntohs(s6->sin6_port), 5353);
	assert_int_equal(dnsq_server("[::1]", &ss, &sl, why, sizeof(why)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(dnsq_server("10.20.0.2:0", &ss, &sl, why, sizeof(why)), -1);
	assert_string_equal(why, "\"0\" is not a port from 1 to 65535");
	assert_int_equal(dnsq_server("10.20.0.2:65536", &ss, &sl, why, sizeof(why)), -1);
	assert_int_equal(dnsq_server("10.20.0.2:", &ss, &sl, why, sizeof(why)), -1);
	assert_int_equal(dnsq_server("[fd00:20::2]5353", &ss, &sl, why, sizeof(why)), -1);
	assert_int_equal(dnsq_server("[10.20.0.2]:53", &ss, &sl, why, sizeof(why)), -1);
	assert_string_equal(why, "\"10.20.0.2\" is not an IPv4 or IPv6 address (brackets are "
			    "for IPv6)");
	assert_int_equal(dnsq_server("dns.kavala.gr", &ss, &sl, why, sizeof(why)), -1);
	assert_string_equal(why, "\"dns.kavala.gr\" is not an IPv4 or IPv6 address");
	assert_int_equal(dnsq_server("[fd00:20::2", &ss, &sl, why, sizeof(why)), -1);
}

/* An answer to q (qn bytes) with rcode and the given A records. */
static int answer(const unsigned char *q, int qn, int rcode, const char *const *addrs,
		  unsigned char *out, bool tc)
{
	int n = qn, na = 0;

	memcpy(out, q, (size_t)qn);
	out[2] |= 0x80;                 /* QR */
	if (tc)
		out[2] |= 0x02;
	out[3] = (unsigned char)((out[3] & 0xf0) | rcode);
	for (; addrs != NULL && addrs[na] != NULL; na++) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };

		memcpy(out + n, rr, sizeof(rr));
		n += (int)sizeof(rr);
		inet_pton(AF_INET, addrs[na], out + n);
		n += 4;
	}
	out[6] = 0;
	out[7] = (unsigned char)na;
	return n;
}

static int query(const char *name, unsigned char *q)
{
	struct __res_state rs;
	int n;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(res_ninit(&rs), 0);
	n = res_nmkquery(&rs, ns_o_query, name, ns_c_in, ns_t_a, NULL, 0, NULL, q, 512);
	res_nclose(&rs);
	assert_true(n > 0);
	return n;
}

static void test_answer(void **state)
{
	static const char *const two[] = { "10.20.0.30", "10.20.0.31", NULL };
	unsigned char q[512], a[1024];
	struct dnsq_result r;
	int qn = query("erp.kavala.gr", q), an;

	(void)state;
	an = answer(q, qn, 0, two, a, false);
	assert_int_equal(dnsq_answer(a, an, ns_t_a, "10.20.0.31", &r), 0);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.n_type, 2);
	assert_true(r.found);
	assert_string_equal(r.first, "10.20.0.30");
	assert_int_equal(dnsq_answer(a, an, ns_t_a, "10.20.0.77", &r), 0);
	assert_false(r.found);
	assert_int_equal(dnsq_answer(a, an, ns_t_aaaa, "", &r), 0);
	assert_int_equal(r.n_type, 0);
	an = answer(q, qn, 3, NULL, a, false);
	assert_int_equal(dnsq_answer(a, an, ns_t_a, "", &r), 0);
	assert_int_equal(r.rcode, 3);
	/* not a DNS message: too short, or counts past its end */
	assert_int_equal(dnsq_answer(a, 5, ns_t_a, "", &r), -1);
	assert_int_equal(r.rcode, -1);
	an = answer(q, qn, 0, two, a, false);
	a[7] = 9;
	assert_int_equal(dnsq_answer(a, an, ns_t_a, "", &r), -1);
}

/* A responder on loopback: over UDP a wrong ID, then a truncated answer; over TCP the whole. */
struct responder {
	int udp, tcp;
};

static void *respond(void *arg)
{
	static const char *const one[] = { "10.20.0.30", NULL };
	struct responder *rp = arg;
	unsigned char q[512], a[1024], len[2];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t qn = recvfrom(rp->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	int an, c;

	if (qn <= 0)
		return NULL;
	an = answer(q, (int)qn, 0, one, a, false);
	a[0] ^= 0xff;                   /* another query's ID: to be ignored */
	sendto(rp->udp, a, (size_t)an, 0, (struct sockaddr *)&from, fl);
	an = answer(q, (int)qn, 0, NULL, a, true);
	sendto(rp->udp, a, (size_t)an, 0, (struct sockaddr *)&from, fl);
	c = accept(rp->tcp, NULL, NULL);
	if (c < 0)
		return NULL;
	if (read(c, len, 2) == 2 && read(c, q, (size_t)(len[0] << 8 | len[1])) == (ssize_t)qn) {
		an = answer(q, (int)qn, 0, one, a + 2, false);
		a[0] = (unsigned char)(an >> 8);
		a[1] = (unsigned char)an;
		/* in two writes, as a stream may come; a short write fails the test */
		if (write(c, a, 5) == 5)
			an = (int)write(c, a + 5, (size_t)an - 3);
	}
	close(c);
	return NULL;
}

static void test_exchange(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t sl = sizeof(sin);
	struct responder rp;
	pthread_t th;
	unsigned char q[512], *a = malloc(DNSQ_ANSWER_MAX);
	struct dnsq_result r;
	char why[200];
	int qn = query("erp.kavala.gr", q), an, one = 1;

	(void)state;
	assert_non_null(a);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	rp.udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(rp.udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(rp.udp, (struct sockaddr *)&sin, &sl), 0);
	rp.tcp = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(rp.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(rp.tcp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(rp.tcp, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, respond, &rp), 0);
	an = dnsq_exchange((struct sockaddr *)&sin, sizeof(sin), q, qn, a, mono_ms() + 3000, why,
			   sizeof(why));
	pthread_join(th, NULL);
	assert_true(an > 0);
	assert_int_equal(dnsq_answer(a, an, ns_t_a, "10.20.0.30", &r), 0);
	assert_true(r.found);
	/* nobody there: the port unreachable comes back at once */
	close(rp.udp);
	close(rp.tcp);
	an = dnsq_exchange((struct sockaddr *)&sin, sizeof(sin), q, qn, a, mono_ms() + 1000, why,
			   sizeof(why));
	assert_int_equal(an, -1);
	assert_true(strcmp(why, "Connection refused") == 0 ||
		    strcmp(why, "no answer within the timeout") == 0);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
