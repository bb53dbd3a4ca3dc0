/*
 * rest.h - the officers' REST API of kastro-console (docs/rest-api.md):
 * login and sessions (cookie + CSRF header, or API tokens), roles, alerts,
 * dashboard figures, sensors, enrolment tokens, users and the audit log.
 */
#ifndef KASTRO_REST_H
#define KASTRO_REST_H

#include <stddef.h>

#include <event2/http.h>

struct console;

/* Set up what the API needs (the CSRF key from DATA/csrf.key, made on the
 * first run; the login limiter; the hash verified for unknown names). 0 or -1 + err. */
int rest_init(struct console *c, char *err, size_t errlen);
void rest_free(struct console *c);

/*
 * The officers' port's vetter for its reserved slots (server.h): 1 when the
 * request head carries a live session cookie or a valid API token of an
 * enabled account, else 0. arg: struct console *.
 */
int rest_vouch(const char *head, size_t len, void *arg);

/* Answer a request whose path starts with /api/v1/. */
void rest_handle(struct console *c, struct evhttp_request *req, const char *path);

#endif
