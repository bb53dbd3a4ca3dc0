/*
 * web.c - see web.h. Routes the officers' port: the UI's files (compiled
 * in, see www.h), the REST API (rest.c) and the enrolment of sensors
 * (sensorapi.c).
 *
 * The UI is served with a strict Content-Security-Policy (no inline
 * script or style, nothing from elsewhere) and may not be framed.
 */
#include "web.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "console.h"
#include "push.h"
#include "rest.h"
#include "sensorapi.h"
#include "status_page.h"
#include "www.h"

#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " \
	    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

static const char *content_type(const char *name)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(dot, t[i].ext) == 0)
			return t[i].type;
	return "application/octet-stream";
}

static void serve_file(struct evhttp_request *req, const char *name)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out;

	for (size_t i = 0; i < www_n_files; i++) {
		if (strcmp(www_files[i].name, name) != 0)
			continue;
		out = evbuffer_new();
		if (out == NULL) {
			evhttp_send_error(req, 503, server_reason(503));
			return;
		}
		evbuffer_add_reference(out, www_files[i].data, www_files[i].len, NULL, NULL);
		evhttp_add_header(h, "Content-Type", content_type(name));
		evhttp_add_header(h, "Content-Security-Policy", CSP);
		evhttp_add_header(h, "X-Frame-Options", "DENY");
		evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
		evhttp_add_header(h, "Referrer-Policy", "no-referrer");
		evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
		evhttp_add_header(h, "Cache-Control", "no-cache");
		server_send(req, 200, out);
		evbuffer_free(out);
		return;
	}
	server_reply_error(req, 404, "no such file");
}

void web_handle(struct evhttp_request *req, void *arg)
{
	struct console *c = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (path == NULL)
		path = "/";
	if (strcmp(path, "/sensor/v1/enroll") == 0) {
		if (m != EVHTTP_REQ_POST) {
			server_reply_not_allowed(req, "POST");
			return;
		}
		sensorapi_enroll(c, req);
		return;
	}
	if (strncmp(path, "/ping/", 6) == 0) {
		push_handle(c, req, path);
		return;
	}
	if (strncmp(path, "/api/v1/", 8) == 0) {
		rest_handle(c, req, path);
		return;
	}
	/* HEAD as GET: libevent sends the head alone (RFC 9110). */
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		server_reply_not_allowed(req, "GET, HEAD");
		return;
	}
	if (strcmp(path, "/status") == 0) {
		status_page(c, req);
		return;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		serve_file(req, "index.html");
		return;
	}
	/* /ui/NAME: a plain file name, never a path. */
	if (strncmp(path, "/ui/", 4) == 0 && path[4] != '\0' && strchr(path + 4, '/') == NULL &&
	    path[4] != '.') {
		serve_file(req, path + 4);
		return;
	}
	server_reply_error(req, 404, "no such page");
}
