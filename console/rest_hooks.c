/*
 * rest_hooks.c - the REST API's hooks endpoints (rest_hooks.h), over the
 * outbox (outbox.h) and the hooks made in the console (hookdb.h). JSON
 * with jansson as the rest of the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "console.h"
#include "hookdb.h"
#include "log.h"
#include "num.h"
#include "outbox.h"
#include "rest_hooks.h"
#include "server.h"

static json_t *status_json(const struct outbox_hook_status *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s}",
			 "name", st->name, "kind", st->kind, "url", st->url, "format", st->format,
			 "queued", (json_int_t)st->queued, "delivered", (json_int_t)st->delivered,
			 "failed", (json_int_t)st->failed, "dropped", (json_int_t)st->dropped,
			 "retries", (json_int_t)st->retries, "last_ok", (json_int_t)st->last_ok,
			 "last_error_at", (json_int_t)st->last_err_at, "last_error", st->last_err,
			 "source", st->from_db ? "console" : "file", "at", st->at);
}

/*
 * The stored hooks (hookdb.h) added to the listing a: their text, who
 * changed them and when. A webhook's text is left out: its URL is often
 * the secret itself (hook_url_public), so it is written, never read back;
 * nor is the text of a stored hook that did not load (its kind unknown),
 * which is listed with the reason to look.
 */
static int stored_add(void *arg, const struct hookdb_row *r)
{
	json_t *a = arg, *h = NULL, *x;
	const char *kind;
	size_t i;

	json_array_foreach(a, i, x)
		if (strcmp(json_string_value(json_object_get(x, "name")), r->name) == 0)
			h = x;
	if (h != NULL && strcmp(json_string_value(json_object_get(h, "source")), "console") != 0) {
		/* a hook of console.conf took its name: this one is not used */
		h = json_pack("{s:s, s:s, s:s}", "name", r->name, "source", "console",
			      "last_error", "not used: console.conf defines a hook of this name; "
			      "delete this one");
		if (h == NULL || json_array_append_new(a, h) != 0)
			return -1;
	} else if (h == NULL) {
		h = json_pack("{s:s, s:s, s:s}", "name", r->name, "source", "console",
			      "last_error", "does not load: see the console's log, then change "
			      "or delete it");
		if (h == NULL || json_array_append_new(a, h) != 0)
			return -1;
	}
	json_object_set_new(h, "updated", json_integer(r->updated));
	json_object_set_new(h, "updated_by", json_string(r->by));
	/* a hook that did not load has no kind: its text may be a webhook's */
	kind = json_string_value(json_object_get(h, "kind"));
	if (kind != NULL && strcmp(kind, "webhook") != 0)
		json_object_set_new(h, "config", json_string(r->text));
	return 0;
}

static void reply_deleted(struct console *c, struct evhttp_request *req, const char *name,
			  const char *user, const char *addr)
{
	char err[512];
	bool in_file = false;
	int r;

	for (int i = 0; i < c->conf.n_hooks; i++)
		if (strcmp(c->conf.hooks[i].name, name) == 0)
			in_file = true;
	/* a stored hook a console.conf hook displaced: its rows are that hook's now */
	r = hookdb_delete(c->store, name, !in_file, (int64_t)console_now(), user, addr, err,
			  sizeof(err));
	if (r == 0 && !in_file && outbox_remove(c->outbox, name, err, sizeof(err)) < 0)
		log_warn("hook %s: %s", name, err);
	if (r < 0) {
		log_err("hooks: %s", err);
		server_reply_error(req, 500, "the hook cannot be deleted");
	} else if (r == 1) {
		server_reply_error(req, 404, "no hook named %.40s made in the console (hooks of "
				   "console.conf are changed there)", name);
	} else {
		server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
	}
}

/*
 * POST /hooks (make one: name NULL) or /hooks/NAME (replace it): an
 * admin's change, checked by console.conf's grammar (hookdb_parse), stored
 * with its audit entry, then given to the outbox.
 */
static void hook_change(struct console *c, struct evhttp_request *req, const char *name,
			const char *user, const char *addr)
{
	json_t *j = server_json_body(req, "hook");
	const char *text;
	struct hook_def h;
	char err[2048];
	int r;

	if (j == NULL)
		return;
	text = json_string_value(json_object_get(j, "config"));
	if (text == NULL) {
		json_decref(j);
		server_reply_error(req, 400, "expected {\"config\": \"hook NAME { ... }\"}, the "
				   "hook as console.conf writes it");
		return;
	}
	if (hookdb_parse(&c->conf, text, &h, err, sizeof(err)) < 0) {
		json_decref(j);
		server_reply_error(req, 400, "%s", err);
		return;
	}
	if (name != NULL && strcmp(name, h.name) != 0) {
		json_decref(j);
		server_reply_error(req, 400, "the hook is %.40s, its text names %s: a hook's name "
				   "does not change (delete it and make another)", name, h.name);
		return;
	}
	for (int i = 0; i < c->conf.n_hooks; i++)
		if (strcmp(c->conf.hooks[i].name, h.name) == 0) {
			json_decref(j);
			server_reply_error(req, 409, "hook %s is defined in console.conf (%s) and "
					   "is changed there", h.name, c->conf.hooks[i].at);
			return;
		}
	if (name == NULL && outbox_hooks(c->outbox) >= OUTBOX_MAX_HOOKS) {
		json_decref(j);
		server_reply_error(req, 409, "too many hooks, the limit is %d", OUTBOX_MAX_HOOKS);
		return;
	}
	r = hookdb_put(c->store, &h, text, name == NULL, (int64_t)console_now(), user, addr, err,
		       sizeof(err));
	json_decref(j);
	if (r == 1 && name == NULL) {
		server_reply_error(req, 409, "a hook named %s exists already", h.name);
	} else if (r == 1) {
		server_reply_error(req, 404, "no hook named %.40s made in the console", name);
	} else if (r < 0) {
		server_reply_error(req, 409, "%s", err);
	} else {
		if (outbox_put(c->outbox, &h, err, sizeof(err)) < 0)
			log_warn("hook %s: %s", h.name, err);
		server_reply_json(req, name == NULL ? 201 : 200,
				  json_pack("{s:b, s:s}", "ok", 1, "name", h.name));
	}
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
	for (int i = 0; i < outbox_hooks(c->outbox); i++) {
		struct outbox_hook_status st;

		outbox_status(c->outbox, i, &st);
		if (strcmp(st.name, name) == 0)
			return true;
	}
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
		if (hookdb_list(c->store, stored_add, a, err, sizeof(err)) < 0)
			log_err("hooks: %s", err);
		server_reply_json(req, 200, json_pack("{s:o}", "hooks", a));
		return;
	}
	if (post && (n == 0 || (n == 1 && strcmp(seg[0], "deliveries") != 0))) {
		hook_change(c, req, n == 1 ? seg[0] : NULL, user, addr);
		return;
	}
	if (post && n == 2 && strcmp(seg[1], "delete") == 0) {
		reply_deleted(c, req, seg[0], user, addr);
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
