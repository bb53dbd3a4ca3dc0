/*
 * rest_quarantine.h - an agent's quarantine through the officers' REST API
 * (docs/rest-api.md). The files are on the agent: each call queues a
 * command for it (the sensor API's "quarantine" command, as `kastroctl
 * sensor quarantine|restore|purge` does) and answers 202 with the
 * command's id; the agent's answer is read with the command endpoint.
 *   POST /api/v1/sensors/ID/quarantine {"from"?: N}     list 100 items from N (viewer+)
 *   POST /api/v1/sensors/ID/quarantine/QID/restore       put a file back (admin, audited)
 *   POST /api/v1/sensors/ID/quarantine/QID/purge         delete it for good (admin, audited)
 *   GET  /api/v1/sensors/ID/commands/N                   a command and the agent's answer (viewer+)
 */
#ifndef KASTRO_REST_QUARANTINE_H
#define KASTRO_REST_QUARANTINE_H

#include <stdbool.h>

#include <event2/http.h>

struct console;

/* seg[0..n-1]: the path after /api/v1/sensors (seg[0] the sensor id,
 * seg[1] "quarantine" or "commands"); rest.c checked the caller's role
 * (view, or manage sensors for restore and purge). user, addr: for the
 * audit. */
void rest_quarantine(struct console *c, struct evhttp_request *req, char **seg, int n, bool post,
		     const char *user, const char *addr);

/* Is this path (after /api/v1/sensors) a restore or purge (admin only)? */
bool rest_quarantine_changes(char **seg, int n);

#endif
