/*
 * web.h - the officers' HTTPS port of kastro-console: the enrolment of new
 * sensors (which needs no client certificate), and the officers' web UI
 * and REST API.
 */
#ifndef KASTRO_WEB_H
#define KASTRO_WEB_H

#include <event2/http.h>

/* The HTTPS port's request handler (arg: struct console *). */
void web_handle(struct evhttp_request *req, void *arg);

#endif
