/*
 * fuzz_httphead.c - libFuzzer target: the bytes a client sends first on
 * either of the console's ports, as the head gate (console/httphead.c)
 * checks them before libevent's HTTP layer sees anything.
 *
 * The first 8 bytes of the input are the body limit, the rest the stream.
 * Checks that httphead_end() never reads past the buffer and measures a
 * head that ends in an empty line, that httphead_check() either accepts
 * with a Content-Length within the limit or refuses with a 4xx/505 and a
 * reason, and that it gives the same verdict twice. Built and run by
 * tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httphead.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httphead a, b;
	uint64_t max_body = 0;
	size_t hl;
	char *buf;

	if (size < 8)
		return 0;
	memcpy(&max_body, data, 8);
	max_body %= 1u << 30;
	size -= 8;
	/* A copy of exactly the stream's size, so ASan sees any over-read. */
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 8, size);
	hl = httphead_end(buf, size);
	check(hl <= size);
	if (hl > 0) {
		check(buf[hl - 1] == '\n');
		check(httphead_end(buf, hl) == hl);
		if (httphead_check(buf, hl, max_body, &a) == 0) {
			char v[64];

			check(a.content_length <= max_body);
			/* what the officers' port reads from a head it lets in */
			if (httphead_field(buf, hl, "Cookie", v, sizeof(v)) == 0)
				check(strlen(v) < sizeof(v));
			if (httphead_field(buf, hl, "Authorization", v, sizeof(v)) == 0)
				check(strlen(v) < sizeof(v));
		} else {
			check((a.status >= 400 && a.status < 500) || a.status == 505);
			check(a.reason[0] != '\0');
		}
		check(httphead_check(buf, hl, max_body, &b) == (a.status == 0 ? 0 : -1));
		check(a.status == b.status && a.content_length == b.content_length);
	}
	free(buf);
	return 0;
}
