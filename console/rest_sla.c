/*
 * rest_sla.c - see rest_sla.h.
 *
 * Per service and month (local time): availability leaving out its
 * maintenance windows, downtime, outages and the longest, and for each push
 * check and each backup of a service with an rpo whether its last success
 * (a backup: its newest snapshot the agents reported) at the month's end
 * (or now, for this month) was within the rpo.
 */
#include "rest_sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "backups.h"
#include "console.h"
#include "inventory.h"
#include "server.h"
#include "sla.h"
#include "store_services.h"
#include "store_sla.h"

/* One service's row of the report; NULL on error (err says). */
static json_t *service_sla(struct console *c, const struct inv_service *sv, int64_t from,
			   int64_t to, int64_t now, struct sla_change *ch, char *err, size_t errlen)
{
	struct sla_span sp[SLA_MAINT_MAX];
	struct sla_result r;
	unsigned mcut;
	size_t n, nm;
	bool cut;
	int64_t end = now < to ? now : to;
	json_t *o, *rpo = json_array();

	if (svcsla_changes(c->store, sv, from, end, ch, SLA_CHANGES_MAX, &n, &cut, err,
			   errlen) < 0) {
		json_decref(rpo);
		return NULL;
	}
	nm = sla_maint_spans(sv, from, end, sp, SLA_MAINT_MAX, &mcut);
	sla_compute(from, end > from ? end : from, ch, n, sp, nm, &r);
	for (int i = 0; sv->rpo > 0 && i < sv->n_checks; i++) {
		char key[SVC_KEY_MAX];
		int64_t last;

		if (sv->checks[i].kind != INV_CHK_PUSH)
			continue;
		svcstore_key(&sv->checks[i], key);
		if (svcsla_last_success(c->store, sv->name, key, end, &last, err, errlen) < 0) {
			json_decref(rpo);
			return NULL;
		}
		json_array_append_new(rpo, json_pack("{s:s,s:o,s:o}", "check", key, "last_success",
						     last > 0 ? json_integer(last) : json_null(),
						     "met", last > 0 ? json_boolean(end - last <=
										   (int64_t)sv->rpo)
								     : json_null()));
	}
	for (int k = 0; sv->rpo > 0 && k < sv->n_backups; k++) {
		char key[SVC_KEY_MAX];
		int64_t last;

		if (backups_last_snapshot(c, sv, k, end, key, &last, err, errlen) < 0) {
			json_decref(rpo);
			return NULL;
		}
		json_array_append_new(rpo, json_pack("{s:s,s:o,s:o}", "check", key, "last_success",
						     last > 0 ? json_integer(last) : json_null(),
						     "met", last > 0 ? json_boolean(end - last <=
										   (int64_t)sv->rpo)
								     : json_null()));
	}
	o = json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:o,s:b}", "name", sv->name,
		      "owner", sv->owner, "criticality", inv_crit_name(sv->crit), "public",
		      sv->is_public, "known_s", (json_int_t)r.known, "up_s", (json_int_t)r.up,
		      "down_s", (json_int_t)r.down, "maintenance_s", (json_int_t)r.maint, "outages",
		      r.outages, "longest_outage_s", (json_int_t)r.longest, "rpo",
		      (json_int_t)sv->rpo, "rpo_checks", rpo, "truncated", cut || mcut > 0);
	if (o != NULL)
		json_object_set_new(o, "availability", r.availability >= 0 ?
				    json_real(r.availability) : json_null());
	return o;
}

/* A CSV field: quoted when it holds a separator, quote or line break; a
 * leading = + - @ is made text so a spreadsheet does not run it. */
static void csv_field(struct evbuffer *b, const char *v, bool last)
{
	bool formula = v[0] != '\0' && strchr("=+-@", v[0]) != NULL;

	if (formula || strpbrk(v, ",\"\r\n") != NULL) {
		evbuffer_add(b, formula ? "\"'" : "\"", formula ? 2 : 1);
		for (const char *p = v; *p != '\0'; p++) {
			if (*p == '"')
				evbuffer_add(b, "\"\"", 2);
			else
				evbuffer_add(b, p, 1);
		}
		evbuffer_add(b, "\"", 1);
	} else
		evbuffer_add(b, v, strlen(v));
	evbuffer_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static void reply_csv(struct evhttp_request *req, const char *month, json_t *services)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char disp[80], num[64];
	size_t i;
	json_t *o;

	if (b == NULL) {
		server_reply_error(req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "month,service,owner,criticality,availability_percent,downtime_s,"
			       "outages,longest_outage_s,maintenance_s,rpo_s,rpo_met\r\n");
	json_array_foreach(services, i, o) {
		json_t *av = json_object_get(o, "availability"), *rc, *r;
		const char *met = "";
		size_t k;

		csv_field(b, month, false);
		csv_field(b, json_string_value(json_object_get(o, "name")), false);
		csv_field(b, json_string_value(json_object_get(o, "owner")), false);
		csv_field(b, json_string_value(json_object_get(o, "criticality")), false);
		if (json_is_real(av))
			snprintf(num, sizeof(num), "%.3f", 100.0 * json_real_value(av));
		else
			num[0] = '\0';
		csv_field(b, num, false);
		static const char *const ints[] = { "down_s", "outages", "longest_outage_s",
						    "maintenance_s", "rpo" };
		for (size_t f = 0; f < sizeof(ints) / sizeof(ints[0]); f++) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(json_object_get(o, ints[f])));
			csv_field(b, num, false);
		}
		/* met when every push check's is; no when any is not; empty when unknown */
		rc = json_object_get(o, "rpo_checks");
		json_array_foreach(rc, k, r) {
			json_t *m = json_object_get(r, "met");

			if (json_is_false(m)) {
				met = "no";
				break;
			}
			if (json_is_true(m))
				met = "yes";
		}
		csv_field(b, met, true);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"sla-%s.csv\"", month);
	evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	server_send(req, 200, b);
	evbuffer_free(b);
}

void rest_sla(struct console *c, struct evhttp_request *req)
{
	const struct inventory *inv = c->conf.inv;
	struct evkeyvalq q = { 0 };
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *mv, *fmt;
	char month[16], err[256];
	int64_t from, to, now = (int64_t)console_now();
	struct sla_change *ch;
	json_t *arr;

	if (qs != NULL && evhttp_parse_query_str(qs, &q) != 0) {
		server_reply_error(req, 400, "malformed query string");
		return;
	}
	mv = evhttp_find_header(&q, "month");
	fmt = evhttp_find_header(&q, "format");
	if (fmt != NULL && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
		evhttp_clear_headers(&q);
		server_reply_error(req, 400, "format: expected json or csv");
		return;
	}
	if (mv == NULL) {
		time_t t = (time_t)now;
		struct tm tm;

		localtime_r(&t, &tm);
		snprintf(month, sizeof(month), "%04d-%02d", (tm.tm_year + 1900) % 10000,
			 (tm.tm_mon + 1) % 100);
	} else
		snprintf(month, sizeof(month), "%s", strlen(mv) == 7 ? mv : "x");
	if (sla_month(month, &from, &to) < 0) {
		evhttp_clear_headers(&q);
		server_reply_error(req, 400, "month: expected YYYY-MM");
		return;
	}
	bool csv = fmt != NULL && strcmp(fmt, "csv") == 0;

	evhttp_clear_headers(&q);
	ch = malloc(SLA_CHANGES_MAX * sizeof(*ch));
	arr = json_array();
	if (ch == NULL || arr == NULL) {
		free(ch);
		json_decref(arr);
		server_reply_error(req, 500, "out of memory");
		return;
	}
	for (int i = 0; inv != NULL && i < inv->n; i++) {
		json_t *o = from < now ? service_sla(c, &inv->svc[i], from, to, now, ch, err,
						     sizeof(err)) : NULL;

		if (from < now && o == NULL) {
			free(ch);
			json_decref(arr);
			server_reply_error(req, 500, "%s", err);
			return;
		}
		if (o != NULL)
			json_array_append_new(arr, o);
	}
	free(ch);
	if (csv) {
		reply_csv(req, month, arr);
		json_decref(arr);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:s,s:I,s:I,s:o}", "month", month, "from",
					      (json_int_t)from, "to", (json_int_t)to,
					      "services", arr));
}
