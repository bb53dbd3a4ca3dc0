/*
 * fuzz_engine.c - libFuzzer target: arbitrary frames through kastrod's
 * whole packet path (decoder, flow table, nDPI, EVE output to /dev/null).
 * Same input format as fuzz_packets.c. A crash here inside nDPI is a crash
 * of kastrod's unprivileged packet process, so it is worth finding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pcap/dlt.h>

#include "conf.h"
#include "dpi.h"
#include "engine.h"
#include "eve.h"

static const int linktypes[] = { DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kastrod_conf conf;
	static struct dpi *dpi;
	static struct eve eve;
	static struct engine eng;
	uint64_t now = 1600000000000000ull;
	char err[512];
	int dlt;

	if (!dpi) {
		conf_defaults(&conf);
		conf.max_flows = 64;
		if (eve_open(&eve, "/dev/null", err, sizeof(err)) < 0)
			__builtin_trap();
		dpi = dpi_new(&conf, err, sizeof(err));
		if (!dpi)
			__builtin_trap();
	}
	if (size < 1)
		return 0;
	if (engine_init(&eng, &conf, dpi, &eve, err, sizeof(err)) < 0)
		__builtin_trap();
	dlt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	data++;
	size--;
	while (size > 0) {
		size_t n = size;

		if (size >= 2) {
			n = (size_t)data[0] << 8 | data[1];
			data += 2;
			size -= 2;
			if (n > size)
				n = size;
		}
		engine_packet(&eng, 0, dlt, now, data, (uint32_t)n, (uint32_t)n);
		now += 100000;
		data += n;
		size -= n;
	}
	engine_fini(&eng);
	return 0;
}
