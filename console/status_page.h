/*
 * status_page.h - the public status page (GET /status): no session, only
 * the services marked `public`, each with its name, a state in words and
 * its uptime over 30 days; in Greek (default) or English (?lang=en). No
 * addresses, check names, outputs, owners or dependencies.
 */
#ifndef KASTRO_STATUS_PAGE_H
#define KASTRO_STATUS_PAGE_H

#include <event2/http.h>

struct console;

void status_page(struct console *c, struct evhttp_request *req);

#endif
