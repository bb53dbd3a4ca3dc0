/*
 * refusal.h - refused requests into the audit log, aggregated
 * (auditagg.h): login lockouts, CSRF failures, 403 by role, refused
 * enrolments and refused sensor handshakes. The tick writes the counts of
 * windows that ended; stopping writes the rest.
 */
#ifndef KASTRO_REFUSAL_H
#define KASTRO_REFUSAL_H

#include <stddef.h>

struct console;

#define REFUSAL_WINDOW_S 10
#define REFUSAL_KEYS     1024

int refusal_init(struct console *c, char *err, size_t errlen);
/* Writes what is still counted, then frees. */
void refusal_free(struct console *c);

/*
 * A refused request. peer: the client as "ADDR", "ADDR:PORT" or
 * "[ADDR]:PORT" (the port is dropped: repeats from one address are one
 * key); user: the account it was for, or NULL. Control characters in the
 * detail are written as '?'.
 */
void refusal_note(struct console *c, const char *action, const char *user, const char *peer,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void refusal_tick(struct console *c);

#endif
