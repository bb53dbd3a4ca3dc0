/*
 * rest_services.h - the services endpoints of the officers' API
 * (docs/rest-api.md): the inventory with each service's and check's state,
 * uptime and certificate expiry. Viewer and up; read-only.
 */
#ifndef KASTRO_REST_SERVICES_H
#define KASTRO_REST_SERVICES_H

#include <stdbool.h>

#include <event2/http.h>
#include <jansson.h>

struct console;
struct inv_service;

/*
 * GET /api/v1/services[?owner=O&criticality=C] (a service's own page is
 * rest_service.h). The caller checked the session and the role.
 */
void rest_services(struct console *c, struct evhttp_request *req);

/*
 * A service as GET /api/v1/services shows it (detail: with the checks'
 * outputs and figures, as /api/v1/services/NAME); NULL when out of memory.
 */
json_t *rest_service_json(struct console *c, const struct inv_service *sv, bool detail);

#endif
