/*
 * fuzz_pktmsg.c - libFuzzer target: arbitrary bytes as one message between
 * the relay and the sensor of inline mode (pktmsg.h), both ways: the
 * relay's view of a compromised sensor (verdicts, hello, resets to check)
 * and the sensor's view of a batch of packets.
 *
 * Checks that no decoder crashes or reads past the input, that a failure
 * says why, that accepted verdicts hold only valid actions and a reset
 * only on a block, that every record of an accepted batch lies inside the
 * input, and that a reset the sensor builds for any packet passes the
 * relay's check against that packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pktmsg.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

struct span {
	const uint8_t *lo, *hi;
	size_t n;
};

static void on_rec(void *ctx, const struct pkt_rec *r, const uint8_t *pkt)
{
	struct span *s = ctx;
	uint8_t rst[PKT_RST_MAX];
	size_t n;

	check(pkt >= s->lo && pkt + r->len <= s->hi);
	check(r->len > 0 && r->len <= PKT_MAX_LEN);
	s->n++;
	n = pkt_rst_build(pkt, r->len, rst);
	check(n == 0 || n == 40 || n == 60);
	if (n > 0)
		check(pkt_rst_check(rst, n, pkt, r->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pkt_verdict v[PKT_MAX_BATCH];
	struct span s = { data, data + size, 0 };
	char err[256];
	int n, i, hello;

	err[0] = '\0';
	n = pkt_decode_verdicts(data, size, v, &hello, err, sizeof(err));
	if (n < 0) {
		check(err[0] != '\0');
	} else {
		check(n <= (int)PKT_MAX_BATCH);
		for (i = 0; i < n; i++) {
			check(v[i].action <= PKT_BLOCK && v[i].pad == 0);
			check(v[i].rst_len <= PKT_RST_MAX);
			check(v[i].rst_len == 0 || v[i].action == PKT_BLOCK);
			/* the relay checks a reset against its packet: any bytes */
			(void)pkt_rst_check(v[i].rst, v[i].rst_len, data, size);
		}
	}
	{
		static struct pkt_ctend ce[PKT_MAX_CTEND];

		err[0] = '\0';
		n = pkt_decode_ctend(data, size, ce, err, sizeof(err));
		if (n < 0)
			check(err[0] != '\0');
		for (i = 0; i < n; i++)
			check(ce[i].family == 4 || ce[i].family == 6);
	}
	err[0] = '\0';
	n = pkt_decode_batch(data, size, on_rec, &s, err, sizeof(err));
	if (n < 0)
		check(err[0] != '\0');
	else
		check((size_t)n == s.n);
	/* the input as one packet */
	if (size > 0 && size <= PKT_MAX_LEN) {
		uint8_t rst[PKT_RST_MAX];
		size_t k = pkt_rst_build(data, size, rst);

		if (k > 0)
			check(pkt_rst_check(rst, k, data, size) == 0);
	}
	return 0;
}
