/*
 * rest_hooks.c - the REST API's hooks endpoints (rest_hooks.h), over the
 * outbox (outbox.h). JSON with jansson as the rest of the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "console.h"
#include "log.h"
#include "num.h"
#include "outbox.h"
#include "rest_hooks.h"
#include "server.h"

static json_t *status_json(const struct outbox_hook_status *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
			 "name", st->name, "kind", st->kind, "url", st->url, "format", st->format,
			 "queued", (json_int_t)st->queued, "delivered", (json_int_t)st->delivered,
			 "failed", (json_int_t)st->failed, "dropped", (json_int_t)st->dropped,
			 "retries", (json_int_t)st->retries, "last_ok", (json_int_t)st->last_ok,
			 "last_error_at", (json_int_t)st->last_err_at, "last_error", st->last_err,
			 "source", "file");
}

static int delivery_add(void *arg, const struct outbox_delivery *d)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:s}",
			      "id", (json_int_t)d->id, "alert_id", (json_int_t)d->alert_id,
			      "hook", d->hook, "state", d->state, "reason", d->reason,
			      "attempts", d->attempts, "severity", d->severity,
			      "created", (json_int_t)d->created, "last_at", (json_int_t)d->last_at,
			      "answer", d->answer);

	/* an answer that is not UTF-8 makes json_pack fail: show it without */
	if (o == NULL)
		o = json_pack("{s:I, s:s}", "id", (json_int_t)d->id, "state", d->state);
	return json_array_append_new(arg, o) == 0 ? 0 : -1;
}

static bool hook_known(struct console *c, const char *name)
{
	for (int i = 0; i < c->conf.n_hooks; i++)
		if (strcmp(c->conf.hooks[i].name, name) == 0)
			return true;
	return false;
}

void rest_hooks(struct console *c, struct evhttp_request *req, char **seg, int n, bool post,
		const char *user, const char *addr)
{
	char err[512], detail[64];
	uint64_t id;

	if (n == 0 && !post) {
		json_t *a = json_array();

		for (int i = 0; i < outbox_hooks(c->outbox); i++) {
			struct outbox_hook_status st;

			outbox_status(c->outbox, i, &st);
			json_array_append_new(a, status_json(&st));
		}
		server_reply_json(req, 200, json_pack("{s:o}", "hooks", a));
		return;
	}
	if (n == 2 && !post && strcmp(seg[1], "deliveries") == 0) {
		const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
		const char *state = NULL, *v;
		struct evkeyvalq kv;
		uint64_t before = 0, limit = 50;
		json_t *a;

		if (!hook_known(c, seg[0])) {
			server_reply_error(req, 404, "no hook named %.40s", seg[0]);
			return;
		}
		TAILQ_INIT(&kv);
		if (q != NULL && evhttp_parse_query_str(q, &kv) != 0) {
			server_reply_error(req, 400, "malformed query string");
			return;
		}
		v = evhttp_find_header(&kv, "state");
		if (v != NULL && strcmp(v, "queued") && strcmp(v, "delivered") && strcmp(v, "failed") &&
		    strcmp(v, "dropped")) {
			evhttp_clear_headers(&kv);
			server_reply_error(req, 400, "state: expected queued, delivered, failed or dropped");
			return;
		}
		state = v;
		if (((v = evhttp_find_header(&kv, "before")) != NULL &&
		     num_parse_u64(v, 1, INT64_MAX, &before) < 0) ||
		    ((v = evhttp_find_header(&kv, "limit")) != NULL &&
		     num_parse_u64(v, 1, 500, &limit) < 0)) {
			evhttp_clear_headers(&kv);
			server_reply_error(req, 400, "before: a delivery id; limit: 1 to 500");
			return;
		}
		a = json_array();
		if (outbox_list(c->outbox, seg[0], state, (int64_t)before, (unsigned)limit,
				delivery_add, a, err, sizeof(err)) < 0) {
			evhttp_clear_headers(&kv);
			json_decref(a);
			log_err("hooks: %s", err);
			server_reply_error(req, 500, "the deliveries cannot be read");
			return;
		}
		evhttp_clear_headers(&kv);
		server_reply_json(req, 200, json_pack("{s:o}", "deliveries", a));
		return;
	}
	if (n == 3 && post && strcmp(seg[0], "deliveries") == 0 &&
	    (strcmp(seg[2], "retry") == 0 || strcmp(seg[2], "drop") == 0)) {
		bool retry = strcmp(seg[2], "retry") == 0;

		if (num_parse_u64(seg[1], 1, INT64_MAX - 1, &id) < 0) {
			server_reply_error(req, 404, "no such delivery");
			return;
		}
		if ((retry ? outbox_retry(c->outbox, (int64_t)id, err, sizeof(err))
			   : outbox_drop(c->outbox, (int64_t)id, err, sizeof(err))) < 0) {
			server_reply_error(req, 409, "%s", err);
			return;
		}
		snprintf(detail, sizeof(detail), "delivery %llu", (unsigned long long)id);
		if (store_audit(c->store, (int64_t)console_now(), user, addr,
				retry ? "hook.retry" : "hook.drop", detail, err, sizeof(err)) < 0)
			log_err("audit: %s", err);
		server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
		return;
	}
	server_reply_error(req, 404, "no such endpoint");
}
