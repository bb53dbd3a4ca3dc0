/*
 * rest_service.h - GET /api/v1/services/NAME, what a service's page shows
 * (docs/rest-api.md): the service as the list shows it with its checks'
 * outputs, where each check runs, its addresses and ports, each check's
 * hard state changes and response times over a window (?days=N, 1..365,
 * default 7; at most REST_SERVICE_POINTS points per check), and the last
 * ping body of a push check. Viewer and up; read-only.
 */
#ifndef KASTRO_REST_SERVICE_H
#define KASTRO_REST_SERVICE_H

#include <event2/http.h>

#define REST_SERVICE_POINTS     300     /* response-time points per check */
#define REST_SERVICE_DAYS       7       /* the window when ?days is not given */
#define REST_SERVICE_DAYS_MAX   365
#define REST_SERVICE_BODY_MAX   2048    /* bytes of a push check's last body shown */

struct console;

/* The caller checked the session and the role. */
void rest_service(struct console *c, struct evhttp_request *req, const char *name);

#endif
