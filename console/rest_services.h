/*
 * rest_services.h - the services endpoints of the officers' API
 * (docs/rest-api.md): the inventory with each service's and check's state,
 * uptime and certificate expiry. Viewer and up; read-only.
 */
#ifndef KASTRO_REST_SERVICES_H
#define KASTRO_REST_SERVICES_H

#include <event2/http.h>

struct console;

/*
 * GET /api/v1/services[?owner=O&criticality=C] and /api/v1/services/NAME;
 * name is NULL for the list. The caller checked the session and the role.
 */
void rest_services(struct console *c, struct evhttp_request *req, const char *name);

#endif
