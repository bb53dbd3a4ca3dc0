/*
 * pinglisten.h - a ping listener of its own (console.conf's `ping-listen
 * ADDR port N`; docs/services.md): plain HTTP, for jobs on servers that do
 * not trust the console's CA, on the management network. It serves the
 * push checks' /ping/ paths (push.h: the same answers, the same per-source
 * rate limit) and nothing else: any other path is a bare 404.
 *
 * Requests are bounded: 8 KB of headers, 16 KB of body (a ping's body is
 * kept up to 10 KB), 10 s to send a request. The listener is opened
 * before the console drops root, so any port may be used.
 */
#ifndef KASTRO_PINGLISTEN_H
#define KASTRO_PINGLISTEN_H

#include <stddef.h>
#include <stdint.h>

#define PINGLISTEN_HEADERS_MAX  8192
#define PINGLISTEN_BODY_MAX     16384
#define PINGLISTEN_TIMEOUT_S    10

struct console;

/* Listen when console.conf has ping-listen; 0 (nothing to do) or -1 with err. */
int pinglisten_open(struct console *c, char *err, size_t errlen);
void pinglisten_close(struct console *c);

/* Requests refused for their path (not /ping/...), for status. */
uint64_t pinglisten_refused(const struct console *c);

#endif
