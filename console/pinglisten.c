/*
 * pinglisten.c - see pinglisten.h.
 */
#include "pinglisten.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "console.h"
#include "errf.h"
#include "log.h"
#include "push.h"

struct pinglisten {
	struct evhttp *http;
	uint64_t refused;
};

static void handle(struct evhttp_request *req, void *arg)
{
	struct console *c = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	struct evbuffer *out;

	if (path != NULL && strncmp(path, "/ping/", 6) == 0) {
		push_handle(c, req, path);
		return;
	}
	c->ping->refused++;
	out = evbuffer_new();
	if (out != NULL)
		evbuffer_add(out, "not found\n", 10);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evhttp_send_reply(req, 404, "Not Found", out);
	if (out != NULL)
		evbuffer_free(out);
}

int pinglisten_open(struct console *c, char *err, size_t errlen)
{
	const struct cconf_listen *l = &c->conf.ping;
	struct pinglisten *p;

	if (l->port == 0)
		return 0;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->http = evhttp_new(c->base)) == NULL) {
		free(p);
		return errf(err, errlen, "ping-listen: out of memory");
	}
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(p->http, PINGLISTEN_HEADERS_MAX);
	evhttp_set_max_body_size(p->http, PINGLISTEN_BODY_MAX);
	evhttp_set_timeout(p->http, PINGLISTEN_TIMEOUT_S);
	evhttp_set_gencb(p->http, handle, c);
	if (strcmp(l->addr, "*") == 0 ? evhttp_bind_socket(p->http, "::", l->port) < 0 &&
					 evhttp_bind_socket(p->http, "0.0.0.0", l->port) < 0 :
					 evhttp_bind_socket(p->http, l->addr, l->port) < 0) {
		evhttp_free(p->http);
		free(p);
		return errf(err, errlen, "ping-listen %s port %u: cannot listen there (in use, or "
			    "not an address of this host)", l->addr, l->port);
	}
	c->ping = p;
	log_warn("ping listener: plain HTTP on %s port %u, /ping/ paths only (anyone on that "
		 "network who sees a ping URL may use it)", l->addr, l->port);
	return 0;
}

void pinglisten_close(struct console *c)
{
	if (c->ping == NULL)
		return;
	evhttp_free(c->ping->http);
	free(c->ping);
	c->ping = NULL;
}

uint64_t pinglisten_refused(const struct console *c)
{
	return c->ping != NULL ? c->ping->refused : 0;
}
