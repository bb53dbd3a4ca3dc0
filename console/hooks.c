/*
 * hooks.c - a hook's parsed form: names, the receiver's URL, the checks
 * over a whole hook and the alert filter (hooks.h). No I/O, no allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hooks.h"

const char *const hook_format_names[HOOK_F_COUNT] = {
	[HOOK_F_DEFAULT] = "default",
	[HOOK_F_TEXT] = "text",
	[HOOK_F_CEF] = "cef",
	[HOOK_F_LEEF] = "leef",
	[HOOK_F_ECS] = "ecs",
	[HOOK_F_EVE] = "eve",
	[HOOK_F_JSON] = "json",
	[HOOK_F_MATTERMOST] = "mattermost",
	[HOOK_F_SLACK] = "slack",
	[HOOK_F_TEAMS] = "teams",
};

const char *const hook_severity_names[4] = { "critical", "high", "medium", "low" };

const char *const hook_type_names[HOOK_N_TYPES] = {
	"network", "endpoint", "sensor-offline", "service", "backup", "audit", "other",
};

/* The kind strings of the store for each type bit but "other". */
static const char *const type_kinds[HOOK_N_TYPES - 1] = {
	"alert", "finding", "sensor_offline", "service", "backup", "audit",
};

void hook_defaults(struct hook_def *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	memcpy(h->sd_id, "kastro@32473", sizeof("kastro@32473"));
	h->timeout = 30;
	h->queue_max = HOOK_QUEUE_DEFAULT;
	h->min_severity = 4;
	/* audit entries only when asked for (type audit): they are not alerts */
	h->types = HOOK_TY_ALL & ~HOOK_TY_AUDIT;
	h->win_from = -1;
	h->win_to = -1;
	h->days = 0x7f;
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

int hook_format_lookup(const char *s, size_t n)
{
	return lookup(hook_format_names, HOOK_F_COUNT, s, n);
}

int hook_severity_lookup(const char *s, size_t n)
{
	int i = lookup(hook_severity_names, 4, s, n);

	if (i >= 0)
		return i + 1;
	if (n == 1 && s[0] >= '1' && s[0] <= '4')
		return s[0] - '0';
	return -1;
}

int hook_type_lookup(const char *s, size_t n)
{
	int i = lookup(hook_type_names, HOOK_N_TYPES, s, n);

	return i < 0 ? -1 : 1 << i;
}

unsigned hook_type_of(const char *kind)
{
	for (int i = 0; i < HOOK_N_TYPES - 1; i++)
		if (strcmp(kind, type_kinds[i]) == 0)
			return 1u << i;
	return HOOK_TY_OTHER;
}

const char *hook_kind_name(enum hook_kind k)
{
	switch (k) {
	case HOOK_SYSLOG: return "syslog";
	case HOOK_EMAIL: return "email";
	case HOOK_WEBHOOK: return "webhook";
	}
	return "?";
}

const char *hook_format_name(enum hook_format f)
{
	return (unsigned)f < HOOK_F_COUNT ? hook_format_names[f] : "?";
}

const char *hook_transport_name(enum hook_transport t)
{
	static const char *const names[] = {
		[HOOK_T_TCP] = "tcp", [HOOK_T_TLS] = "tls", [HOOK_T_UDP] = "udp",
		[HOOK_T_RELP] = "relp", [HOOK_T_SMTP] = "smtp", [HOOK_T_SMTPS] = "smtps",
		[HOOK_T_HTTPS] = "https", [HOOK_T_HTTP] = "http", [HOOK_T_RELPS] = "relps",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *hook_severity_name(int severity)
{
	if (severity < 1)
		severity = 1;
	if (severity > 4)
		severity = 4;
	return hook_severity_names[severity - 1];
}

/* ---- URLs ---------------------------------------------------------------- */

static const struct {
	const char *scheme;
	enum hook_kind kind;
	enum hook_transport t;
	uint16_t port;                  /* the default */
} schemes[] = {
	{ "tcp", HOOK_SYSLOG, HOOK_T_TCP, 514 },
	{ "tls", HOOK_SYSLOG, HOOK_T_TLS, 6514 },
	{ "udp", HOOK_SYSLOG, HOOK_T_UDP, 514 },
	{ "relp", HOOK_SYSLOG, HOOK_T_RELP, 2514 },
	{ "relps", HOOK_SYSLOG, HOOK_T_RELPS, 2514 },
	{ "smtp", HOOK_EMAIL, HOOK_T_SMTP, 587 },
	{ "smtps", HOOK_EMAIL, HOOK_T_SMTPS, 465 },
	{ "https", HOOK_WEBHOOK, HOOK_T_HTTPS, 443 },
	{ "http", HOOK_WEBHOOK, HOOK_T_HTTP, 80 },
};
#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

static bool loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

int hook_set_url(struct hook_def *h, enum hook_kind kind, const char *url, char *why,
		 size_t whylen)
{
	const char *p, *host, *hend, *rest;
	char want[64] = "";
	size_t i, n = strlen(url);
	unsigned long port;
	char *end;
	int k = -1;

	if (n == 0 || n > HOOK_URL_MAX) {
		snprintf(why, whylen, "a URL of 1 to %d bytes", HOOK_URL_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
			snprintf(why, whylen, "a URL without spaces or control characters");
			return -1;
		}
	for (i = 0; i < N_SCHEMES; i++) {
		size_t sl = strlen(schemes[i].scheme);

		if (schemes[i].kind != kind)
			continue;
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s://",
			 want[0] ? ", " : "", schemes[i].scheme);
		if (strncasecmp(url, schemes[i].scheme, sl) == 0 && strncmp(url + sl, "://", 3) == 0)
			k = (int)i;
	}
	if (k < 0) {
		snprintf(why, whylen, "a %s URL starting with %s", hook_kind_name(kind), want);
		return -1;
	}
	host = url + strlen(schemes[k].scheme) + 3;
	/* user info is not taken from the URL: secrets live in files */
	hend = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(hend - host)) != NULL) {
		snprintf(why, whylen, "a URL without a user or password (use user and "
			 "password-file)");
		return -1;
	}
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(hend - host));
		if (p == NULL) {
			snprintf(why, whylen, "a closing ']' after the IPv6 address");
			return -1;
		}
		rest = p + 1;
		host++;
	} else {
		p = memchr(host, ':', (size_t)(hend - host));
		if (p == NULL)
			p = hend;
		rest = p;
	}
	if (p == host || (size_t)(p - host) >= sizeof(h->host)) {
		snprintf(why, whylen, "a host name or address after %s://", schemes[k].scheme);
		return -1;
	}
	memcpy(h->host, host, (size_t)(p - host));
	h->host[p - host] = '\0';
	port = schemes[k].port;
	if (*rest == ':') {
		port = strtoul(rest + 1, &end, 10);
		if (end == rest + 1 || end != hend || port < 1 || port > 65535) {
			snprintf(why, whylen, "a port from 1 to 65535 after the host");
			return -1;
		}
	} else if (rest != hend) {
		snprintf(why, whylen, "':' and a port, or the end of the host");
		return -1;
	}
	if (kind == HOOK_SYSLOG && *hend != '\0') {
		snprintf(why, whylen, "a syslog URL without a path (%s://HOST:PORT)",
			 schemes[k].scheme);
		return -1;
	}
	if (schemes[k].t == HOOK_T_HTTP && !loopback(h->host)) {
		snprintf(why, whylen, "https:// (plain http:// only to 127.0.0.1, ::1 or localhost)");
		return -1;
	}
	memcpy(h->url, url, n + 1);
	h->kind = kind;
	h->transport = schemes[k].t;
	h->port = (uint16_t)port;
	return 0;
}

void hook_url_public(const struct hook_def *h, char *out, size_t outlen)
{
	const char *p = strstr(h->url, "://");
	size_t n;

	if (h->kind != HOOK_WEBHOOK || p == NULL) {
		snprintf(out, outlen, "%s", h->url);
		return;
	}
	n = (size_t)(p + 3 - h->url) + strcspn(p + 3, "/?#");
	snprintf(out, outlen, "%.*s%s", (int)n, h->url, h->url[n] ? "/..." : "");
}

/* ---- the whole hook ------------------------------------------------------ */

int hook_check(const struct hook_def *h, char *why, size_t whylen)
{
	if (h->url[0] == '\0') {
		snprintf(why, whylen, "no receiver, expected one of: syslog, email, webhook");
		return -1;
	}
	switch (h->kind) {
	case HOOK_SYSLOG:
		if (h->format != HOOK_F_DEFAULT && h->format != HOOK_F_TEXT &&
		    h->format != HOOK_F_CEF && h->format != HOOK_F_LEEF &&
		    h->format != HOOK_F_ECS && h->format != HOOK_F_EVE) {
			snprintf(why, whylen, "format %s is not for syslog, expected one of: "
				 "text, cef, leef, ecs, eve", hook_format_name(h->format));
			return -1;
		}
		if ((h->cert[0] || h->key[0]) && h->transport != HOOK_T_TLS &&
		    h->transport != HOOK_T_RELPS) {
			snprintf(why, whylen, "a client certificate needs tls:// or relps://");
			return -1;
		}
		break;
	case HOOK_EMAIL:
		if (h->format != HOOK_F_DEFAULT) {
			snprintf(why, whylen, "format %s is not for email (a mail has its "
				 "own text and HTML parts)", hook_format_name(h->format));
			return -1;
		}
		if (h->from[0] == '\0' || h->n_to == 0) {
			snprintf(why, whylen, "an email hook needs from and at least one to");
			return -1;
		}
		if ((h->user[0] != '\0') != (h->password_file[0] != '\0')) {
			snprintf(why, whylen, "user and password-file go together");
			return -1;
		}
		break;
	case HOOK_WEBHOOK:
		if (h->format != HOOK_F_DEFAULT && h->format != HOOK_F_JSON &&
		    h->format != HOOK_F_ECS && h->format != HOOK_F_EVE &&
		    h->format != HOOK_F_MATTERMOST && h->format != HOOK_F_SLACK &&
		    h->format != HOOK_F_TEAMS) {
			snprintf(why, whylen, "format %s is not for a webhook, expected one of: "
				 "json, ecs, eve, mattermost, slack, teams",
				 hook_format_name(h->format));
			return -1;
		}
		break;
	}
	if (h->kind != HOOK_EMAIL && (h->from[0] || h->n_to || h->user[0] ||
				      h->password_file[0] || h->max_per_hour)) {
		snprintf(why, whylen, "from, to, user, password-file and max-per-hour are "
			 "for email hooks");
		return -1;
	}
	if (h->kind != HOOK_WEBHOOK && (h->secret_file[0] || h->proxy[0])) {
		snprintf(why, whylen, "secret-file and proxy are for webhook hooks");
		return -1;
	}
	if ((h->cert[0] != '\0') != (h->key[0] != '\0')) {
		snprintf(why, whylen, "cert and key go together");
		return -1;
	}
	return 0;
}

/* ---- the filter ---------------------------------------------------------- */

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

bool hook_match(const struct hook_def *h, const struct hook_alert_view *a)
{
	if (a->severity > h->min_severity)
		return false;
	if (!(h->types & hook_type_of(a->kind)))
		return false;
	/* one sensor, or a group of them by a shell pattern ("gw-*") */
	if (h->sensor[0] && fnmatch(h->sensor, a->sensor_id, 0) != 0 &&
	    fnmatch(h->sensor, a->host, 0) != 0)
		return false;
	if (h->rule[0] && !contains_ci(a->signature, h->rule))
		return false;
	if (h->win_from >= 0 || h->days != 0x7f) {
		time_t t = (time_t)a->ts;
		struct tm tm;
		int m;

		if (localtime_r(&t, &tm) == NULL)
			return false;
		m = tm.tm_hour * 60 + tm.tm_min;
		if (!(h->days & (1u << tm.tm_wday)))
			return false;
		if (h->win_from >= 0) {
			if (h->win_from <= h->win_to) {
				if (m < h->win_from || m >= h->win_to)
					return false;
			} else if (m < h->win_from && m >= h->win_to) {
				return false;
			}
		}
	}
	return true;
}
