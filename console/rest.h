/*
 * rest.h - the officers' REST API of kastro-console (docs/rest-api.md):
 * login and sessions (cookie + CSRF header, or API tokens), roles, alerts,
 * dashboard figures, sensors, enrolment tokens, users and the audit log.
 */
#ifndef KASTRO_REST_H
#define KASTRO_REST_H

#include <event2/http.h>

struct console;

/* Set up what the API needs (the CSRF key from DATA/csrf.key, made on the
 * first run; the login limiter; the hash verified for unknown names). 0 or -1 + err. */
int rest_init(struct console *c, char *err, size_t errlen);
void rest_free(struct console *c);

/* Answer a request whose path starts with /api/v1/. */
void rest_handle(struct console *c, struct evhttp_request *req, const char *path);

#endif
