/*
 * rest_services.c - see rest_services.h.
 *
 * A service's state is the worst of its checks': CRITICAL (a push check
 * down counts so) > UNREACHABLE > WARNING (late) > UNKNOWN > OK (up) >
 * PENDING (no result yet). Its uptime over a span is its worst check's;
 * its certificate expiry the soonest of its tls and https checks.
 */
#include "rest_services.h"

#include <string.h>

#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "backups.h"
#include "console.h"
#include "inventory.h"
#include "probes.h"
#include "server.h"
#include "store_services.h"

/* Severity for the worst-of order, and the name a service shows. */
static int rank(const char *state, const char **shown)
{
	static const struct { const char *st, *shown; int rank; } t[] = {
		{ "CRITICAL", "CRITICAL", 5 }, { "down", "CRITICAL", 5 },
		{ "UNREACHABLE", "UNREACHABLE", 4 }, { "WARNING", "WARNING", 3 },
		{ "late", "WARNING", 3 }, { "UNKNOWN", "UNKNOWN", 2 }, { "OK", "OK", 1 },
		{ "up", "OK", 1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(state, t[i].st) == 0) {
			*shown = t[i].shown;
			return t[i].rank;
		}
	*shown = "PENDING";
	return 0;
}

static json_t *num_or_null(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *rest_service_json(struct console *c, const struct inv_service *sv, bool detail)
{
	static const int64_t spans[3] = { 86400, 30 * 86400, 365 * 86400 };
	static const char *const span_names[3] = { "uptime_24h", "uptime_30d", "uptime_365d" };
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int64_t now = (int64_t)console_now(), since = 0, expiry = 0;
	double up[3] = { -1, -1, -1 };
	const char *worst_shown = "PENDING";
	int worst = -1, ms = -1;
	json_t *checks = json_array(), *o, *deps = json_array(), *maint = json_array();
	char key[SVC_KEY_MAX], err[256];

	for (int i = 0; i < sv->n_checks; i++) {
		const struct inv_check *chk = &sv->checks[i];
		struct svc_row r;
		const char *shown;
		int k;

		svcstore_key(chk, key);
		if (svcstore_get(c->store, sv->name, key, &r, err, sizeof(err)) != 0) {
			memset(&r, 0, sizeof(r));
			snprintf(r.state, sizeof(r.state), "new");
			r.ms = -1;
		}
		k = rank(r.state, &shown);
		if (k > worst) {
			worst = k;
			worst_shown = shown;
			since = r.since;
		}
		if (ms < 0 && r.ms >= 0 && (chk->kind == INV_CHK_HTTP || chk->kind == INV_CHK_HTTPS))
			ms = r.ms;
		if (r.cert_expiry > 0 && (expiry == 0 || r.cert_expiry < expiry))
			expiry = r.cert_expiry;
		for (int s = 0; s < 3; s++) {
			double f;

			if (svcstore_uptime(c->store, sv->name, key, now - spans[s], now, &f, err,
					    sizeof(err)) == 0 && f >= 0 && (up[s] < 0 || f < up[s]))
				up[s] = f;
		}
		o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:b,s:b}", "key", key, "kind",
			      inv_kind_name(chk->kind), "target", chk->target, "state", r.state,
			      "hard", r.hard != 0, "since", (json_int_t)r.since, "last_check",
			      (json_int_t)(chk->kind == INV_CHK_PUSH ? r.last_ping : r.last_check),
			      "flapping", r.flapping != 0, "maintenance", r.maintenance != 0);
		if (o == NULL)
			continue;
		json_object_set_new(o, "response_ms", r.ms >= 0 ? json_integer(r.ms) : json_null());
		json_object_set_new(o, "cert_expiry", r.cert_expiry > 0 ? json_integer(r.cert_expiry)
								       : json_null());
		if (detail) {
			json_object_set_new(o, "output", json_string(r.output));
			json_object_set_new(o, "every", json_integer(chk->every));
			json_object_set_new(o, "retries", json_integer(chk->retries));
			if (chk->kind == INV_CHK_PUSH) {
				json_object_set_new(o, "period", json_integer(chk->period));
				json_object_set_new(o, "grace", json_integer(chk->grace));
				json_object_set_new(o, "last_ok", json_integer(r.last_ok));
				json_object_set_new(o, "last_start", json_integer(r.last_start));
				json_object_set_new(o, "last_exit", r.last_exit >= 0 ?
						    json_integer(r.last_exit) : json_null());
			}
		}
		json_array_append_new(checks, o);
	}
	for (int d = 0; d < sv->n_deps; d++)
		json_array_append_new(deps, json_string(sv->deps[d]));
	for (int m = 0; m < sv->n_maint; m++) {
		const struct inv_maint *w = &sv->maint[m];
		char when[32];

		if (w->kind == INV_MW_ONCE)
			json_array_append_new(maint, json_pack("{s:s,s:I,s:I}", "kind", "once", "start",
							       (json_int_t)w->start, "length",
							       (json_int_t)w->length));
		else {
			snprintf(when, sizeof(when), "%s%s%02d:%02d",
				 w->kind == INV_MW_WEEKLY ? days[w->wday] : "",
				 w->kind == INV_MW_WEEKLY ? " " : "", w->minute / 60, w->minute % 60);
			json_array_append_new(maint, json_pack("{s:s,s:s,s:I}", "kind",
							       w->kind == INV_MW_DAILY ? "daily" : "weekly",
							       "at", when, "length", (json_int_t)w->length));
		}
	}
	o = json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:s,s:I,s:o,s:o,s:o,s:b}", "name", sv->name,
		      "owner", sv->owner, "criticality", inv_crit_name(sv->crit), "public",
		      sv->is_public, "rpo", (json_int_t)sv->rpo, "rto", (json_int_t)sv->rto, "state",
		      worst_shown, "since", (json_int_t)since, "checks", checks, "depends", deps,
		      "maintenance", maint, "in_maintenance",
		      probes_in_maintenance(sv, (time_t)now));
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "response_ms", ms >= 0 ? json_integer(ms) : json_null());
	json_object_set_new(o, "cert_expiry", expiry > 0 ? json_integer(expiry) : json_null());
	for (int s = 0; s < 3; s++)
		json_object_set_new(o, span_names[s], num_or_null(up[s]));
	json_object_set_new(o, "backups", backups_json(c, sv, detail));
	return o;
}

void rest_services(struct console *c, struct evhttp_request *req)
{
	const struct inventory *inv = c->conf.inv;
	struct evkeyvalq q = { 0 };
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *owner = NULL, *crit = NULL;
	json_t *arr;

	if (qs != NULL && evhttp_parse_query_str(qs, &q) != 0) {
		server_reply_error(req, 400, "malformed query string");
		return;
	}
	owner = evhttp_find_header(&q, "owner");
	crit = evhttp_find_header(&q, "criticality");
	if (crit != NULL && strcmp(crit, "low") != 0 && strcmp(crit, "medium") != 0 &&
	    strcmp(crit, "high") != 0 && strcmp(crit, "critical") != 0) {
		evhttp_clear_headers(&q);
		server_reply_error(req, 400, "criticality: expected low, medium, high or critical");
		return;
	}
	arr = json_array();
	for (int i = 0; inv != NULL && i < inv->n; i++) {
		const struct inv_service *sv = &inv->svc[i];

		if (owner != NULL && strcmp(owner, sv->owner) != 0)
			continue;
		if (crit != NULL && strcmp(crit, inv_crit_name(sv->crit)) != 0)
			continue;
		json_t *o = rest_service_json(c, sv, false);
		if (o != NULL)
			json_array_append_new(arr, o);
	}
	evhttp_clear_headers(&q);
	server_reply_json(req, 200, json_pack("{s:o}", "services", arr));
}
