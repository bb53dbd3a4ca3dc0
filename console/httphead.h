/*
 * httphead.h - the console's own check of an HTTP/1.x request head, made
 * before libevent's HTTP layer sees it (server.c holds every head back
 * until it is complete, checks it here, and either lets it through or
 * answers the refusal itself as JSON and logs it). libevent 2.1 would
 * otherwise answer an oversized or malformed request with its own HTML
 * page and no hook for the console to see it.
 *
 * A head is the request line and header lines up to the first empty line;
 * lines end in CRLF or LF. Checked: the request line is METHOD SP TARGET
 * SP HTTP/1.0 or HTTP/1.1, with a method the APIs use (GET, POST, PUT,
 * PATCH, DELETE; else 405); an Expect other than 100-continue is refused
 * (417); header names are tokens followed by ':'; no
 * folded lines; Content-Length is decimal, and equal when repeated; a
 * declared body over the limit is refused before any of it is read; a
 * Transfer-Encoding (chunked bodies) is refused: the sensor API and the
 * REST API take bodies with a Content-Length only. No I/O, no state:
 * fuzzed by tests/fuzz/fuzz_httphead.c.
 */
#ifndef KASTRO_HTTPHEAD_H
#define KASTRO_HTTPHEAD_H

#include <stddef.h>
#include <stdint.h>

struct httphead {
	uint64_t content_length;        /* 0 when none */
	int status;                     /* when refused: 400, 405, 411, 413, 417 or 505 */
	char reason[200];               /* when refused: what was wrong */
};

/*
 * The length of the head at the start of buf (through its empty line), or
 * 0 when buf holds no complete head yet.
 */
size_t httphead_end(const char *buf, size_t len);

/*
 * Check a complete head (len bytes as httphead_end measured). Returns 0 and
 * fills content_length, or -1 with status and reason set.
 */
int httphead_check(const char *head, size_t len, uint64_t max_body, struct httphead *out);

/*
 * The value of the first header field called name (any case) in a head
 * that passed httphead_check(), without the white space around it, into
 * out. 0, or -1 when there is none or it does not fit in outlen bytes.
 */
int httphead_field(const char *head, size_t len, const char *name, char *out, size_t outlen);

#endif
