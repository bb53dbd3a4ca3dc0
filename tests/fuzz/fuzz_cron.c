/*
 * fuzz_cron.c - libFuzzer target: arbitrary text as a push check's cron
 * schedule (lib/cron.c). Whatever is accepted must give, from a few
 * starting times, either no run (-1) or a later one whose minute, hour and
 * month the expression allows, in UTC. Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t starts[] = { 0, 1796684400, 1835000000, 4102444799 };
	char s[CRON_TEXT_MAX + 8], err[256];
	struct cron c;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cron_parse(s, &c, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		return 0;
	}
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		int64_t v = cron_next(&c, starts[i], true);
		time_t t = (time_t)v;
		struct tm tm;

		if (v < 0)
			continue;
		check(v > starts[i] && v % 60 == 0 && gmtime_r(&t, &tm) != NULL);
		check((c.minute >> tm.tm_min) & 1);
		check((c.hour >> tm.tm_hour) & 1);
		check((c.month >> (tm.tm_mon + 1)) & 1);
	}
	return 0;
}
