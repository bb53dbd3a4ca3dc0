/*
 * rest_hooks.h - the officers' REST API for alert hooks (docs/rest-api.md):
 *   GET  /api/v1/hooks                                hooks and their counters (viewer+)
 *   GET  /api/v1/hooks/NAME/deliveries[?state=&before=&limit=]   newest first (viewer+)
 *   POST /api/v1/hooks/deliveries/ID/retry | /drop    an operator's action (admin, audited)
 *   POST /api/v1/hooks {"config": "hook NAME { ... }"}   a hook made (admin, audited)
 *   POST /api/v1/hooks/NAME {"config": ...} | /hooks/NAME/delete   changed, deleted
 * Hooks of console.conf are read-only here; no secret is ever shown (a
 * webhook's URL only up to its host, and its text not at all).
 */
#ifndef KASTRO_REST_HOOKS_H
#define KASTRO_REST_HOOKS_H

#include <stdbool.h>

#include <event2/http.h>

struct console;

/* seg[0..n-1]: the path after /api/v1/hooks; rest.c checked the role for
 * the method (view for GET, manage for POST). user, addr: for the audit. */
void rest_hooks(struct console *c, struct evhttp_request *req, char **seg, int n, bool post,
		const char *user, const char *addr);

#endif
