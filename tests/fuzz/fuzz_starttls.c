/*
 * fuzz_starttls.c - libFuzzer target: arbitrary bytes as a mail server's
 * reply in the STARTTLS dialogue (lib/starttls.c's starttls_parse()).
 *
 * The first byte picks the protocol (SMTP, IMAP, POP3) and the step
 * (greeting, capabilities, answer to STARTTLS); the rest is the reply.
 * Checks that the parser neither crashes nor reads past the input, that a
 * complete reply takes at least one byte and no more than were given,
 * and that the text it keeps is terminated and printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct starttls_reply r;
	enum starttls_proto p;
	enum starttls_step step;
	char *buf;
	size_t n, len;
	int rc;

	if (size < 1)
		return 0;
	p = (enum starttls_proto)(STARTTLS_SMTP + data[0] % 3);
	step = (enum starttls_step)(data[0] / 3 % 3);
	len = size - 1;
	/* an exact-size copy, so a read past the end is caught */
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	rc = starttls_parse(p, step, buf, len, &r);
	check(rc >= -1 && rc <= 1);
	if (rc == 1)
		check(r.used > 0 && r.used <= len && r.used <= STARTTLS_REPLY_MAX);
	if (rc == 1 || rc == -1) {
		n = strnlen(r.text, sizeof(r.text));
		check(n < sizeof(r.text));
		for (size_t i = 0; i < n; i++)
			check((unsigned char)r.text[i] >= 0x20 && (unsigned char)r.text[i] < 0x7f);
	}
	if (step != STARTTLS_CAPS)
		check(!r.offers_tls);
	free(buf);
	return 0;
}
