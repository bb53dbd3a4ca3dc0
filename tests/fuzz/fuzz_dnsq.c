/*
 * fuzz_dnsq.c - libFuzzer target: arbitrary bytes as a DNS server's
 * answer to a dns check (lib/dnsq.c's dnsq_answer(): ns_initparse(), the
 * records and their data as text), and as a server written in the
 * inventory (dnsq_server()).
 *
 * The first byte picks the record type asked (A, AAAA, CNAME, MX, NS,
 * TXT) and whether the rest is an answer or a server. Checks that neither
 * crashes nor reads past the input, that the first record's text is
 * terminated and printable, and that a server read has a port.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsq.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_cname, ns_t_mx, ns_t_ns, ns_t_txt };
	struct dnsq_result r;
	unsigned char *a;
	size_t n;

	if (size < 1 || size > DNSQ_ANSWER_MAX + 1)
		return 0;
	n = size - 1;
	if (data[0] & 0x80) {
		char spec[80], why[200];
		struct sockaddr_storage ss;
		socklen_t sl;

		if (n >= sizeof(spec) || memchr(data + 1, '\0', n) != NULL)
			return 0;
		memcpy(spec, data + 1, n);
		spec[n] = '\0';
		if (dnsq_server(spec, &ss, &sl, why, sizeof(why)) == 0)
			check((ss.ss_family == AF_INET && sl == sizeof(struct sockaddr_in) &&
			       ((struct sockaddr_in *)&ss)->sin_port != 0) ||
			      (ss.ss_family == AF_INET6 && sl == sizeof(struct sockaddr_in6) &&
			       ((struct sockaddr_in6 *)&ss)->sin6_port != 0));
		else
			check(strnlen(why, sizeof(why)) < sizeof(why));
		return 0;
	}
	/* an exact-size copy, so a read past the end is caught */
	a = malloc(n > 0 ? n : 1);
	if (a == NULL)
		return 0;
	memcpy(a, data + 1, n);
	if (dnsq_answer(a, (int)n, types[data[0] % 6], "10.20.0.30", &r) == 0) {
		size_t k = strnlen(r.first, sizeof(r.first));

		check(k < sizeof(r.first));
		for (size_t i = 0; i < k; i++)
			check((unsigned char)r.first[i] >= 0x20 && (unsigned char)r.first[i] < 0x7f);
		check(r.rcode >= 0 && r.rcode <= 15);
		check(!r.found || r.n_type > 0);
	}
	free(a);
	return 0;
}
