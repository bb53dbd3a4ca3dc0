/*
 * refusal.c - see refusal.h.
 */
#include "refusal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auditagg.h"
#include "console.h"
#include "log.h"

int refusal_init(struct console *c, char *err, size_t errlen)
{
	c->refusals = auditagg_new(REFUSAL_KEYS, REFUSAL_WINDOW_S);
	if (c->refusals == NULL) {
		snprintf(err, errlen, "audit of refusals: out of memory");
		return -1;
	}
	return 0;
}

void refusal_free(struct console *c)
{
	char err[256];

	if (c->refusals == NULL)
		return;
	if (c->store != NULL &&
	    auditagg_flush(c->refusals, c->store, (int64_t)console_now(), 1, err, sizeof(err)) < 0)
		log_err("audit: %s", err);
	auditagg_free(c->refusals);
	c->refusals = NULL;
}

/* The address of "ADDR:PORT", "[ADDR]:PORT" or "ADDR" into out. */
static void addr_of(const char *peer, char *out, size_t len)
{
	const char *colon = strrchr(peer, ':');
	size_t n;

	if (peer[0] == '[') {
		const char *end = strchr(peer, ']');

		n = end != NULL ? (size_t)(end - peer - 1) : strlen(peer + 1);
		peer++;
	} else if (colon != NULL && strchr(peer, ':') == colon) {
		n = (size_t)(colon - peer);     /* IPv4:port; a bare IPv6 has several */
	} else {
		n = strlen(peer);
	}
	if (n >= len)
		n = len - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

void refusal_note(struct console *c, const char *action, const char *user, const char *peer,
		  const char *fmt, ...)
{
	char detail[512], addr[STORE_ADDR_MAX + 1], err[256];
	va_list ap;

	if (c->refusals == NULL || c->store == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	for (char *p = detail; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	addr_of(peer != NULL ? peer : "", addr, sizeof(addr));
	for (char *p = addr; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (auditagg_note(c->refusals, c->store, (int64_t)console_now(), action, user, addr, detail,
			  err, sizeof(err)) < 0)
		log_limited(&c->rl_req, LOG_LVL_ERR, "audit: %s", err);
}

void refusal_tick(struct console *c)
{
	char err[256];

	if (c->refusals != NULL &&
	    auditagg_flush(c->refusals, c->store, (int64_t)console_now(), 0, err, sizeof(err)) < 0)
		log_limited(&c->rl_req, LOG_LVL_ERR, "audit: %s", err);
}
