/*
 * fuzz_plugin.c - libFuzzer target: arbitrary bytes as a Nagios plugin's
 * output (lib/plugin.c's plugin_parse_output()).
 *
 * Checks that the parser neither crashes nor reads past the input, that
 * the text it keeps holds no control bytes and is terminated, that at most
 * PLUGIN_PERF_MAX items are kept, each with a non-empty label, and that
 * its counts add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void clean(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	check(n < cap);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so a read past the end is caught */
	char *buf = malloc(size > 0 ? size : 1);
	struct plugin_out o;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	plugin_parse_output(buf, size, &o);
	clean(o.text, sizeof(o.text));
	check(o.n_perf >= 0 && o.n_perf <= PLUGIN_PERF_MAX && o.perf_dropped >= 0);
	for (int i = 0; i < o.n_perf; i++) {
		clean(o.perf[i].label, sizeof(o.perf[i].label));
		check(o.perf[i].label[0] != '\0');
		check(strnlen(o.perf[i].uom, sizeof(o.perf[i].uom)) < sizeof(o.perf[i].uom));
		clean(o.perf[i].warn, sizeof(o.perf[i].warn));
		clean(o.perf[i].crit, sizeof(o.perf[i].crit));
	}
	free(buf);
	return 0;
}
