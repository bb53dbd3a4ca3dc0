/*
 * rest_sla.h - GET /api/v1/sla: the monthly SLA report of every service
 * (docs/rest-api.md), as JSON or, with ?format=csv, as CSV.
 */
#ifndef KASTRO_REST_SLA_H
#define KASTRO_REST_SLA_H

#include <event2/http.h>

struct console;

void rest_sla(struct console *c, struct evhttp_request *req);

#endif
