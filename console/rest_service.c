/*
 * rest_service.c - see rest_service.h.
 */
#include "rest_service.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "console.h"
#include "inventory.h"
#include "log.h"
#include "rest_services.h"
#include "server.h"
#include "store_services.h"
#include "store_svcpage.h"

static int add_change(const struct svcpage_change *ch, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:b}", "ts", (json_int_t)ch->ts, "state",
					     ch->state, "maintenance", ch->maintenance != 0));
	return 0;
}

static int add_point(const struct svcpage_rt_point *p, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:f,s:i}", "ts", (json_int_t)p->ts, "ms",
					     p->avg, "max", p->max));
	return 0;
}

/* The body as JSON text: cut at a character's start, NULL when it is not UTF-8. */
static json_t *body_text(const char *body)
{
	size_t n = strlen(body);

	if (n > REST_SERVICE_BODY_MAX) {
		n = REST_SERVICE_BODY_MAX;
		while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
			n--;
	}
	return json_stringn(body, n);
}

static int last_body(const struct svc_ping_row *r, void *arg)
{
	json_t **out = arg;

	*out = body_text(r->body);
	return 1;
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "sctp";
}

/*
 * The maintenance windows' spans that meet [from, to), each clipped to it,
 * in the console's local time as probes_in_maintenance() reckons them.
 */
static json_t *maint_spans(const struct inv_service *sv, int64_t from, int64_t to)
{
	json_t *a = json_array();
	time_t t0 = (time_t)from;
	struct tm base;

	if (localtime_r(&t0, &base) == NULL)
		return a;
	for (int i = 0; i < sv->n_maint; i++) {
		const struct inv_maint *m = &sv->maint[i];
		int back = (int)(m->length / 86400) + 8;
		int days = (int)((to - from) / 86400) + 2;

		if (m->kind == INV_MW_ONCE) {
			if (m->start < to && m->start + m->length > from)
				json_array_append_new(a, json_pack("{s:I,s:I}", "from",
						(json_int_t)(m->start > from ? m->start : from), "to",
						(json_int_t)(m->start + m->length < to ? m->start + m->length : to)));
			continue;
		}
		for (int d = -back; d <= days; d++) {
			struct tm day = base, chk;
			int64_t start;
			time_t st;

			day.tm_mday += d;
			day.tm_hour = m->minute / 60;
			day.tm_min = m->minute % 60;
			day.tm_sec = 0;
			day.tm_isdst = -1;
			start = (int64_t)mktime(&day);
			st = (time_t)start;
			if (m->kind == INV_MW_WEEKLY &&
			    (localtime_r(&st, &chk) == NULL || chk.tm_wday != m->wday))
				continue;
			if (start < to && start + m->length > from)
				json_array_append_new(a, json_pack("{s:I,s:I}", "from",
						(json_int_t)(start > from ? start : from), "to",
						(json_int_t)(start + m->length < to ? start + m->length : to)));
		}
	}
	return a;
}

/* Parse ?days=N into *days; -1 with a reply sent when it is wrong. */
static int window_days(struct evhttp_request *req, int *days)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq q = { 0 };
	const char *v;
	int n = 0;

	*days = REST_SERVICE_DAYS;
	if (qs == NULL)
		return 0;
	if (evhttp_parse_query_str(qs, &q) != 0) {
		server_reply_error(req, 400, "malformed query string");
		return -1;
	}
	v = evhttp_find_header(&q, "days");
	if (v != NULL) {
		const char *p = v;

		for (; *p >= '0' && *p <= '9' && n <= REST_SERVICE_DAYS_MAX; p++)
			n = n * 10 + (*p - '0');
		if (p == v || *p != '\0' || n < 1 || n > REST_SERVICE_DAYS_MAX) {
			evhttp_clear_headers(&q);
			server_reply_error(req, 400, "days: expected a whole number from 1 to %d",
					   REST_SERVICE_DAYS_MAX);
			return -1;
		}
		*days = n;
	}
	evhttp_clear_headers(&q);
	return 0;
}

void rest_service(struct console *c, struct evhttp_request *req, const char *name)
{
	const struct inv_service *sv = inv_find(c->conf.inv, name);
	int64_t now = (int64_t)console_now(), from;
	json_t *o, *checks, *addrs, *ports;
	char key[SVC_KEY_MAX], err[256];
	int days;

	if (sv == NULL) {
		server_reply_error(req, 404, "no service \"%s\" in the inventory", name);
		return;
	}
	if (window_days(req, &days) < 0)
		return;
	from = now - (int64_t)days * 86400;
	o = rest_service_json(c, sv, true);
	if (o == NULL) {
		server_reply_error(req, 500, "out of memory");
		return;
	}
	addrs = json_array();
	for (int i = 0; i < sv->n_addrs; i++)
		json_array_append_new(addrs, json_string(sv->addrs[i]));
	ports = json_array();
	for (int i = 0; i < sv->n_ports; i++) {
		const struct inv_port *p = &sv->ports[i];

		json_array_append_new(ports, json_pack("{s:s,s:i,s:i}", "proto", proto_name(p->proto),
						       "from", p->lo, "to", p->hi));
	}
	json_object_set_new(o, "addresses", addrs);
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "maintenance_spans", maint_spans(sv, from, now));
	json_object_set_new(o, "window", json_pack("{s:I,s:I,s:i}", "from", (json_int_t)from, "to",
						   (json_int_t)now, "days", days));
	/* rest_service_json() made one object per check, in the inventory's order */
	checks = json_object_get(o, "checks");
	for (int i = 0; i < sv->n_checks && i < (int)json_array_size(checks); i++) {
		const struct inv_check *chk = &sv->checks[i];
		json_t *co = json_array_get(checks, i), *hist = json_array(), *rt = json_array();
		json_t *body = NULL;
		bool cut = false;

		svcstore_key(chk, key);
		json_object_set_new(co, "runs_on", json_string(chk->from[0] != '\0' ? "sensor" :
								"console"));
		json_object_set_new(co, "sensor", chk->from[0] != '\0' ? json_string(chk->from) :
					json_null());
		if (chk->name[0] != '\0')
			json_object_set_new(co, "name", json_string(chk->name));
		if (svcpage_history(c->store, sv->name, key, from, add_change, hist, &cut, err,
				    sizeof(err)) < 0)
			log_err("service %s: %s", sv->name, err);
		if (svcpage_rt(c->store, sv->name, key, from, now + 1, REST_SERVICE_POINTS, add_point,
			       rt, err, sizeof(err)) < 0)
			log_err("service %s: %s", sv->name, err);
		json_object_set_new(co, "history", hist);
		json_object_set_new(co, "history_cut", json_boolean(cut));
		json_object_set_new(co, "response", rt);
		if (chk->kind == INV_CHK_PUSH) {
			if (svcstore_pings(c->store, sv->name, key, 1, last_body, &body, err,
					   sizeof(err)) < 0)
				log_err("service %s: %s", sv->name, err);
			json_object_set_new(co, "last_body", body != NULL ? body : json_null());
		}
	}
	server_reply_json(req, 200, o);
}
