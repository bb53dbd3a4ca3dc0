/*
 * dnsq.h - one DNS query to one server, for the services inventory's dns
 * checks: the server written as an IPv4 or IPv6 address with an optional
 * port ("10.20.0.2", "fd00:20::2", "10.20.0.2:5353", "[fd00:20::2]:5353"),
 * the query sent on the probe's own UDP socket (glibc's res_state holds
 * no IPv6 server portably) and asked again over TCP when the answer is
 * truncated, and the answer read with ns_initparse().
 *
 * The answer is untrusted: dnsq_answer() reads at most the bytes it got.
 * None of these functions logs.
 */
#ifndef KASTRO_DNSQ_H
#define KASTRO_DNSQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSQ_ANSWER_MAX 65535   /* bytes of an answer (TCP's length field) */

/* spec as an address and port (53 unless given); 0, or -1 with why. */
int dnsq_server(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *why,
		size_t whylen);

/*
 * Send the query q (qn bytes, as res_mkquery() makes it) to sa and read
 * the answer with the same ID into ans (room for DNSQ_ANSWER_MAX bytes)
 * by deadline (mono_ms()); over TCP again when it came truncated. Returns
 * the answer's length, or -1 with why.
 */
int dnsq_exchange(const struct sockaddr *sa, socklen_t salen, const unsigned char *q, int qn,
		  unsigned char *ans, uint64_t deadline, char *why, size_t whylen);

struct dnsq_result {
	int rcode;              /* 0 NOERROR, 3 NXDOMAIN...; -1: not a DNS answer */
	int n_type;             /* answers of the type asked */
	bool found;             /* expect was among them (compared ignoring case) */
	char first[256];        /* the first of them as text, printable ASCII */
};

/*
 * Read the answer a[0..n) for records of type (ns_t_a...): its rcode, the
 * first record's data as text (an address, a name, TXT strings) and
 * whether expect ("" for none) is among them. Returns 0, or -1 when it is
 * not a DNS message.
 */
int dnsq_answer(const unsigned char *a, int n, int type, const char *expect,
		struct dnsq_result *r);

#endif
