/*
 * cmetrics.c - see cmetrics.h. Reads the store (alerts, service checks)
 * and the outbox's counters in the console's event loop; the answer is
 * bounded by the control socket's buffer.
 */
#include "cmetrics.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "console.h"
#include "errf.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "store_services.h"

struct out {
	char *p;
	size_t len, cap;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = 1;
		o->p[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(struct out *o, const char *s)
{
	char buf[1024];
	size_t k = 0;

	for (; *s && k + 3 < sizeof(buf); s++) {
		if (*s == '\\' || *s == '"') {
			buf[k++] = '\\';
			buf[k++] = *s;
		} else if (*s == '\n') {
			buf[k++] = '\\';
			buf[k++] = 'n';
		} else {
			buf[k++] = *s;
		}
	}
	buf[k] = '\0';
	put(o, "%s", buf);
}

static int svc_row(const struct svc_row *r, void *arg)
{
	struct out *o = arg;

	put(o, "kastro_console_service_state{service=\"");
	put_label(o, r->service);
	put(o, "\",check=\"");
	put_label(o, r->key);
	put(o, "\",kind=\"");
	put_label(o, r->kind);
	put(o, "\",state=\"");
	put_label(o, r->state);
	put(o, "\"} 1\n");
	return o->full;
}

int cmetrics_answer(struct console *c, char *ans, size_t len, char *err, size_t errlen)
{
	struct out o = { ans, 0, len, 0 };
	int64_t sev[5];
	int i, n;

	if (store_alert_counts_by_severity(c->store, sev, err, errlen) < 0)
		return -1;
	put(&o, "ok\n# HELP kastro_console_alerts_open Alerts not resolved, by severity "
	    "(1 is the highest).\n# TYPE kastro_console_alerts_open gauge\n");
	for (i = 1; i <= 4; i++)
		put(&o, "kastro_console_alerts_open{severity=\"%d\"} %lld\n", i, (long long)sev[i]);

	n = c->outbox ? outbox_hooks(c->outbox) : 0;
	if (n > 0) {
		static const char *const fam[][3] = {
			{ "hook_queue", "gauge", "Alerts waiting in a hook's queue." },
			{ "hook_delivered_total", "counter", "Alerts a hook delivered." },
			{ "hook_failed_total", "counter", "Delivery attempts of a hook that failed." },
			{ "hook_dropped_total", "counter", "Alerts a hook gave up on or dropped." },
		};

		for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
			put(&o, "# HELP kastro_console_%s %s\n# TYPE kastro_console_%s %s\n", fam[f][0],
			    fam[f][2], fam[f][0], fam[f][1]);
			for (i = 0; i < n; i++) {
				struct outbox_hook_status st;
				long long v;

				outbox_status(c->outbox, i, &st);
				v = f == 0 ? (long long)st.queued : f == 1 ? (long long)st.delivered :
				    f == 2 ? (long long)st.failed : (long long)st.dropped;
				put(&o, "kastro_console_%s{hook=\"", fam[f][0]);
				put_label(&o, st.name);
				put(&o, "\"} %lld\n", v);
			}
		}
	}

	put(&o, "# HELP kastro_console_service_state The state of each service check "
	    "(1 for the state it is in).\n# TYPE kastro_console_service_state gauge\n");
	if (svcstore_list(c->store, svc_row, &o, err, errlen) < 0)
		return -1;
	if (o.full)
		return errf(err, errlen, "the metrics are longer than %zu bytes", len);
	return 0;
}

void cmetrics_http(struct console *c, struct evhttp_request *req)
{
	static const struct { const char *name, *type, *help; int which; } ctr[] = {
		{ "event_batches_total", "counter", "Event batches stored.", 0 },
		{ "events_stored_total", "counter", "Events stored.", 1 },
		{ "events_duplicate_total", "counter", "Events received again and not stored twice.", 2 },
		{ "requests_refused_total", "counter", "Requests refused.", 3 },
		{ "enrolments_total", "counter", "Sensors enrolled.", 4 },
		{ "sensor_connections", "gauge", "Open connections on the sensor port.", 5 },
		{ "https_connections", "gauge", "Open connections on the officers' port.", 6 },
	};
	char *buf = malloc(CMETRICS_HTTP_MAX), err[512];
	struct evbuffer *body;
	struct out o;
	int64_t on = 0, off = 0;
	size_t head;

	if (buf == NULL) {
		server_reply_error(req, 500, "out of memory");
		return;
	}
	o = (struct out){ buf, 0, CMETRICS_HTTP_MAX, 0 };
	for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++) {
		uint64_t v = ctr[i].which == 0 ? c->batches : ctr[i].which == 1 ? c->events_in :
			     ctr[i].which == 2 ? c->events_dup : ctr[i].which == 3 ? c->requests_refused :
			     ctr[i].which == 4 ? c->enrolled : ctr[i].which == 5 ? c->sensors.live :
			     c->https.live;

		put(&o, "# HELP kastro_console_%s %s\n# TYPE kastro_console_%s %s\n"
		    "kastro_console_%s %llu\n", ctr[i].name, ctr[i].help, ctr[i].name, ctr[i].type,
		    ctr[i].name, (unsigned long long)v);
	}
	if (store_sensor_counts(c->store, (int64_t)console_now(), c->conf.sensor_offline_after, &on,
				&off, err, sizeof(err)) < 0) {
		free(buf);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	put(&o, "# HELP kastro_console_sensors_online Sensors not revoked and heard from within "
	    "sensor offline-after.\n# TYPE kastro_console_sensors_online gauge\n"
	    "kastro_console_sensors_online %lld\n"
	    "# HELP kastro_console_sensors_offline Sensors not revoked and silent longer than "
	    "sensor offline-after.\n# TYPE kastro_console_sensors_offline gauge\n"
	    "kastro_console_sensors_offline %lld\n", (long long)on, (long long)off);
	head = o.len;
	if (o.full || cmetrics_answer(c, buf + head, CMETRICS_HTTP_MAX - head, err, sizeof(err)) < 0) {
		if (o.full)
			snprintf(err, sizeof(err), "the metrics are longer than %d bytes",
				 CMETRICS_HTTP_MAX);
		free(buf);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	/* cmetrics_answer's "ok" line is for the control socket */
	memmove(buf + head, buf + head + 3, strlen(buf + head + 3) + 1);
	body = evbuffer_new();
	if (body == NULL || evbuffer_add(body, buf, strlen(buf)) < 0) {
		if (body != NULL)
			evbuffer_free(body);
		free(buf);
		server_reply_error(req, 500, "out of memory");
		return;
	}
	free(buf);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	server_send(req, 200, body);
	evbuffer_free(body);
}
