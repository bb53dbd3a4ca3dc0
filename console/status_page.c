/*
 * status_page.c - see status_page.h.
 *
 * A service is *down* while a check is CRITICAL, UNREACHABLE or down
 * (push); *degraded* while one is WARNING, UNKNOWN or late; *maintenance*
 * inside a maintenance window; *operational* when all are OK or up;
 * *unknown* before any result. The page is made on the server (no script)
 * and sent with a policy that allows nothing but its own inline style.
 */
#include "status_page.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "console.h"
#include "inventory.h"
#include "probes.h"
#include "server.h"
#include "store_services.h"

enum pub_state { PUB_UNKNOWN, PUB_OK, PUB_MAINT, PUB_DEGRADED, PUB_DOWN };

static const char *const words[2][5] = {
	{ "Άγνωστη", "Σε λειτουργία", "Σε συντήρηση", "Με προβλήματα", "Εκτός λειτουργίας" },
	{ "Unknown", "Operational", "Maintenance", "Degraded", "Down" },
};
static const char *const classes[5] = { "unknown", "ok", "maint", "degraded", "down" };

static const char *const text[2][6] = {
	{ "Κατάσταση υπηρεσιών", "Υπηρεσία", "Κατάσταση", "Διαθεσιμότητα 30 ημερών",
	  "Καμία υπηρεσία δεν δημοσιεύεται.", "Ενημέρωση" },
	{ "Service status", "Service", "Status", "Uptime, 30 days",
	  "No services are published.", "Updated" },
};

static enum pub_state state_of(struct console *c, const struct inv_service *sv, int64_t now,
			       double *up30)
{
	enum pub_state worst = PUB_UNKNOWN;
	bool all_ok = sv->n_checks > 0;
	char key[SVC_KEY_MAX], err[256];

	*up30 = -1;
	for (int i = 0; i < sv->n_checks; i++) {
		struct svc_row r;
		enum pub_state s = PUB_UNKNOWN;
		double f;

		svcstore_key(&sv->checks[i], key);
		if (svcstore_get(c->store, sv->name, key, &r, err, sizeof(err)) == 0) {
			if (strcmp(r.state, "CRITICAL") == 0 || strcmp(r.state, "UNREACHABLE") == 0 ||
			    strcmp(r.state, "down") == 0)
				s = r.hard || strcmp(r.state, "down") == 0 ? PUB_DOWN : PUB_DEGRADED;
			else if (strcmp(r.state, "WARNING") == 0 || strcmp(r.state, "UNKNOWN") == 0 ||
				 strcmp(r.state, "late") == 0)
				s = PUB_DEGRADED;
			else if (strcmp(r.state, "OK") == 0 || strcmp(r.state, "up") == 0)
				s = PUB_OK;
		}
		if (s != PUB_OK)
			all_ok = false;
		if (s > worst)
			worst = s;
		if (svcstore_uptime(c->store, sv->name, key, now - 30 * 86400, now, &f, err,
				    sizeof(err)) == 0 && f >= 0 && (*up30 < 0 || f < *up30))
			*up30 = f;
	}
	if (probes_in_maintenance(sv, (time_t)now))
		return PUB_MAINT;
	if (all_ok)
		return PUB_OK;
	return worst == PUB_OK ? PUB_UNKNOWN : worst;
}

/* Text into HTML (names are [A-Za-z0-9._-] already; be sure anyway). */
static void html(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		case '\'': evbuffer_add(b, "&#39;", 5); break;
		default: evbuffer_add(b, s, 1);
		}
	}
}

static const char style[] =
	"body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}"
	"table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.5rem;"
	"border-bottom:1px solid #d0d7de}td.num{text-align:right}"
	".ok{color:#1a7f37}.degraded{color:#9a6700}.down{color:#cf222e}.maint{color:#0969da}"
	".unknown{color:#57606a}nav{float:right}small{color:#57606a}";

void status_page(struct console *c, struct evhttp_request *req)
{
	const struct inventory *inv = c->conf.inv;
	struct evkeyvalq q = { 0 };
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *lv = NULL;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	int64_t now = (int64_t)console_now();
	struct evbuffer *b;
	char when[64];
	int lang = 0, shown = 0;
	struct tm tm;
	time_t t = (time_t)now;

	if (qs != NULL && evhttp_parse_query_str(qs, &q) == 0)
		lv = evhttp_find_header(&q, "lang");
	if (lv != NULL && strcmp(lv, "en") == 0)
		lang = 1;
	evhttp_clear_headers(&q);
	b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, 503, server_reason(503));
		return;
	}
	evbuffer_add_printf(b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
			       "<meta http-equiv=\"refresh\" content=\"60\">"
			       "<title>%s</title><style>%s</style></head><body>\n"
			       "<nav><a href=\"/status?lang=el\" lang=\"el\">Ελληνικά</a> · "
			       "<a href=\"/status?lang=en\" lang=\"en\">English</a></nav>\n"
			       "<h1>%s</h1>\n", lang ? "en" : "el", text[lang][0], style,
			    text[lang][0]);
	evbuffer_add_printf(b, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead>"
			       "<tbody>\n", text[lang][1], text[lang][2], text[lang][3]);
	for (int i = 0; inv != NULL && i < inv->n; i++) {
		const struct inv_service *sv = &inv->svc[i];
		enum pub_state st;
		double up;

		if (!sv->is_public)
			continue;
		st = state_of(c, sv, now, &up);
		evbuffer_add(b, "<tr><td>", 8);
		html(b, sv->name);
		evbuffer_add_printf(b, "</td><td class=\"%s\" data-state=\"%s\">%s</td>", classes[st],
				    classes[st], words[lang][st]);
		if (up >= 0)
			evbuffer_add_printf(b, "<td class=\"num\">%.2f %%</td></tr>\n",
					    (double)(int64_t)(up * 10000) / 100);
		else
			evbuffer_add(b, "<td class=\"num\">–</td></tr>\n",
				     strlen("<td class=\"num\">–</td></tr>\n"));
		shown++;
	}
	if (shown == 0)
		evbuffer_add_printf(b, "<tr><td colspan=\"3\">%s</td></tr>\n", text[lang][4]);
	if (localtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
		when[0] = '\0';
	evbuffer_add_printf(b, "</tbody></table>\n<p><small>%s: %s</small></p>\n</body></html>\n",
			    text[lang][5], when);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
			  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	server_send(req, 200, b);
	evbuffer_free(b);
}
