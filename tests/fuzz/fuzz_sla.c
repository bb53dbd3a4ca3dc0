/*
 * fuzz_sla.c - libFuzzer target: the SLA report's month parameter and
 * computation (console/sla.c).
 *
 * The first bytes up to a NUL are the `month` query value: sla_month()
 * accepts exactly YYYY-MM (1970..9999, 01..12) and gives from < to. The
 * rest is a history and maintenance spans: sla_compute() must keep
 * up + down <= known, known + maintenance <= the span, the longest
 * outage within the downtime, and availability in [0, 1] or -1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sla.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t mlen = nul != NULL ? (size_t)(nul - data) : size;
	char *m = malloc(mlen + 1);
	struct sla_change ch[64];
	struct sla_span sp[16];
	struct sla_result r;
	int64_t from, to;
	size_t n = 0, nm = 0, at;

	if (m == NULL)
		return 0;
	memcpy(m, data, mlen);
	m[mlen] = '\0';
	if (sla_month(m, &from, &to) == 0) {
		int y = atoi(m), mo = atoi(m + 5);

		check(mlen == 7 && m[4] == '-' && digit(m[0]) && digit(m[1]) && digit(m[2]) &&
		      digit(m[3]) && digit(m[5]) && digit(m[6]));
		check(y >= 1970 && mo >= 1 && mo <= 12 && from < to && to - from <= 32 * 86400);
	}
	free(m);
	/* the rest: (ts, state) pairs of 3 bytes, then spans of 4 bytes, in a 64 K span */
	at = nul != NULL ? mlen + 1 : size;
	int64_t ts = -512;
	while (at + 3 <= size && n < 64 && data[at] != 0xff) {
		ts += (int64_t)(data[at] | (data[at + 1] << 8)) % 4096;
		ch[n++] = (struct sla_change){ ts, (enum sla_state)(data[at + 2] % 3) };
		at += 3;
	}
	at++;
	while (at + 4 <= size && nm < 16) {
		int64_t a = (int64_t)(data[at] | (data[at + 1] << 8)) - 512;
		int64_t l = (int64_t)(data[at + 2] | (data[at + 3] << 8)) % 8192;

		sp[nm++] = (struct sla_span){ a, a + l };
		at += 4;
	}
	sla_compute(0, 65536, ch, n, sp, nm, &r);
	check(r.up >= 0 && r.down >= 0 && r.up + r.down <= r.known);
	check(r.maint >= 0 && r.known + r.maint <= 65536);
	check(r.longest <= r.down && r.outages >= 0 && (r.outages > 0) == (r.down > 0));
	check(r.availability == -1 || (r.availability >= 0 && r.availability <= 1));
	return 0;
}
