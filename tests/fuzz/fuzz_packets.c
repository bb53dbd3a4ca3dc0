/*
 * fuzz_packets.c - libFuzzer target: arbitrary bytes through the frame
 * decoder and the flow table (the part of kastrod that reads packets
 * before nDPI does; fuzz_engine.c adds nDPI and EVE output).
 *
 * Input: one byte choosing the link type, then frames, each a 2-byte
 * big-endian length and that many bytes (a short last frame is taken as
 * it is). Each frame is one second after the previous, so timeouts fire.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pcap/dlt.h>

#include "decode.h"
#include "flow.h"

static const int linktypes[] = {
	DLT_EN10MB, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_LINUX_SLL, DLT_LINUX_SLL2,
	DLT_PPP, DLT_C_HDLC, DLT_IPV4, DLT_IPV6, 147,
};

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	(void)ctx;
	(void)why;
	/* touch what an output would read */
	if (f->pkts[0] + f->pkts[1] == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t timeouts[CONF_TO_N] = { 2, 5, 1, 3, 2, 2 };
	struct flow_table *t;
	uint64_t now = 1000000;
	int dlt;

	if (size < 1)
		return 0;
	dlt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	data++;
	size--;
	t = flow_table_new(8, timeouts, 4, on_end, NULL, NULL);
	while (size > 0) {
		size_t n = size;
		struct dec_pkt p;
		int dir;

		if (size >= 2) {
			n = (size_t)data[0] << 8 | data[1];
			data += 2;
			size -= 2;
			if (n > size)
				n = size;
		}
		if (decode_frame(dlt, data, (uint32_t)n, &p) == DEC_OK) {
			/* the decoder's pointers must stay inside the frame */
			if (p.l3 < data || p.l3 + p.l3_len > data + n ||
			    p.payload < data || p.payload + p.payload_len > data + n)
				__builtin_trap();
			flow_packet(t, &p, (uint32_t)n, 0, now, &dir);
		}
		flow_expire(t, now);
		now += 1000000;
		data += n;
		size -= n;
	}
	flow_table_free(t);
	return 0;
}
