/*
 * fmt.c - alert messages for hooks (fmt.h): RFC 5424 with structured data,
 * and bodies in text, CEF, LEEF 2.0, ECS JSON, EVE JSON, webhook JSON and
 * the chat presets; MIME mail. JSON is written with lib/jw (bounded, always
 * valid); the other formats by hand after fmt_clean(), each with its own
 * escaping, because no Debian library writes CEF, LEEF or RFC 5424.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fmt.h"
#include "jw.h"
#include "version.h"

void fmt_out_init(struct fmt_out *o, char *p, size_t cap)
{
	o->p = p;
	o->cap = cap;
	o->len = 0;
	o->cut = cap == 0;
	if (cap > 0)
		p[0] = '\0';
}

static void put(struct fmt_out *o, const char *s, size_t n)
{
	if (o->cut || n >= o->cap - o->len) {
		o->cut = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct fmt_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) add(struct fmt_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->cut = true;
		o->p[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

/* Length of the UTF-8 sequence at s (n bytes left) and its code point; 0: invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

void fmt_clean(struct fmt_out *o, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			if (out + 3 > max)
				break;
			put(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			out += 3;
			i++;
			continue;
		}
		if (out + k > max)
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0xfeff) {
			put(o, " ", 1);
			out++;
		} else {
			put(o, s + i, k);
			out += k;
		}
		i += k;
	}
}

/* A cleaned copy of s in a field buffer (FMT_FIELD_MAX bytes of text). */
struct field {
	char b[FMT_FIELD_MAX + 1];
};

static const char *clean(struct field *f, const char *s)
{
	struct fmt_out o;

	fmt_out_init(&o, f->b, sizeof(f->b));
	if (s != NULL)
		fmt_clean(&o, s, strlen(s), FMT_FIELD_MAX);
	return f->b;
}

static const char *nz(const char *s)
{
	return s != NULL ? s : "";
}

void fmt_alert_url(const struct fmt_alert *a, const struct fmt_ctx *ctx, struct fmt_out *o)
{
	if (ctx->public_url != NULL && ctx->public_url[0] != '\0')
		add(o, "%s/#/alerts/%lld", ctx->public_url, (long long)a->id);
}

static void iso_time(char *out, size_t len, int64_t t, bool ms)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (ms)
		strftime(out, len, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- fields of the stored event ------------------------------------------ */

/* Addresses and ports of the stored EVE event, when it has them. */
struct flowinfo {
	char src[64], dst[64], proto[16];
	int sport, dport;
};

static void copy_ip(char *out, size_t len, json_t *v)
{
	const char *s = json_string_value(v);

	/* only what looks like an address: digits, hex, '.', ':' */
	if (s != NULL && strlen(s) < len && strspn(s, "0123456789abcdefABCDEF.:") == strlen(s))
		memcpy(out, s, strlen(s) + 1);
}

static void flow_of(const struct fmt_alert *a, struct flowinfo *fi)
{
	json_t *root, *v;

	memset(fi, 0, sizeof(*fi));
	if (a->eve == NULL || a->eve_len == 0)
		return;
	root = json_loadb(a->eve, a->eve_len, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return;
	}
	copy_ip(fi->src, sizeof(fi->src), json_object_get(root, "src_ip"));
	copy_ip(fi->dst, sizeof(fi->dst), json_object_get(root, "dest_ip"));
	v = json_object_get(root, "src_port");
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 65536)
		fi->sport = (int)json_integer_value(v);
	v = json_object_get(root, "dest_port");
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 65536)
		fi->dport = (int)json_integer_value(v);
	v = json_object_get(root, "proto");
	if (json_is_string(v) && strlen(json_string_value(v)) < sizeof(fi->proto) &&
	    strspn(json_string_value(v), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
		    strlen(json_string_value(v)))
		memcpy(fi->proto, json_string_value(v), strlen(json_string_value(v)) + 1);
	json_decref(root);
}

/* ---- text ---------------------------------------------------------------- */

static void body_text(const struct fmt_alert *a, const struct fmt_ctx *ctx, struct fmt_out *o)
{
	struct field sig, host, sen, why;

	add(o, "Kastro alert %lld (%s): %s on %s, sensor %s, severity %s, count %lld",
	    (long long)a->id, clean(&why, a->reason), clean(&sig, a->signature), clean(&host, a->host),
	    clean(&sen, a->sensor_id), hook_severity_name(a->severity), (long long)a->count);
	if (ctx->public_url != NULL && ctx->public_url[0] != '\0') {
		puts_(o, " ");
		fmt_alert_url(a, ctx, o);
	}
}

/* ---- CEF ------------------------------------------------------------------ */

/* CEF header field: '\' and '|' escaped; no newlines (cleaned already). */
static void cef_hdr(struct fmt_out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '|')
			put(o, "\\", 1);
		put(o, s, 1);
	}
}

/* CEF extension value: '\' and '=' escaped, newlines as \n and \r. */
static void cef_val(struct fmt_out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '=')
			put(o, "\\", 1);
		if (*s == '\n')
			puts_(o, "\\n");
		else if (*s == '\r')
			puts_(o, "\\r");
		else
			put(o, s, 1);
	}
}

static int cef_severity(int s)
{
	static const int map[5] = { 10, 10, 8, 5, 3 };

	return s >= 1 && s <= 4 ? map[s] : 3;
}

/* LEEF value: no tab (the delimiter). */
static void leef_val(struct fmt_out *o, const char *s)
{
	for (; *s; s++)
		put(o, *s == '\t' ? " " : s, 1);
}

/*
 * The attributes CEF's extension and LEEF's attribute list share: one
 * table of what an alert says, with each format's key ("": not in that
 * format), so that both bodies are written by the same loop (kv_body). A
 * NULL or empty value is left out.
 */
struct attr {
	const char *cef, *leef;
	const char *v;
};

#define N_ATTRS 26

/* a's attributes into at (N_ATTRS), numbers written into num (N_ATTRS x 24 bytes). */
static int alert_attrs(const struct fmt_alert *a, const struct flowinfo *fi, const char *url,
		       char num[][24], struct attr *at)
{
	int n = 0;

#define NUM(c, l, fmt, x)                                               \
	do {                                                            \
		snprintf(num[n], sizeof(num[n]), fmt, x);               \
		at[n] = (struct attr){ c, l, num[n] };                  \
		n++;                                                    \
	} while (0)
#define STR(c, l, x) (at[n++] = (struct attr){ c, l, x })
	NUM("rt", "devTime", "%lld000", (long long)a->last_seen);
	STR("", "devTimeFormat", "epoch");
	NUM("", "sev", "%d", cef_severity(a->severity));
	NUM("externalId", "alertId", "%lld", (long long)a->id);
	STR("cat", "cat", a->category);
	STR("act", "action", a->action);
	STR("dhost", "identHostName", a->host);
	STR("src", "src", fi->src);
	STR("dst", "dst", fi->dst);
	if (fi->sport > 0)
		NUM("spt", "srcPort", "%d", fi->sport);
	if (fi->dport > 0)
		NUM("dpt", "dstPort", "%d", fi->dport);
	STR("proto", "proto", fi->proto);
	NUM("cnt", "count", "%lld", (long long)a->count);
	STR("deviceExternalId", "sensor", a->sensor_id);
	STR("app", "application", a->app);
	STR("", "signature", a->signature);
	if (a->signature_id >= 0)
		NUM("", "signatureId", "%lld", (long long)a->signature_id);
	STR("cs1Label", "", "kind");
	STR("cs1", "", a->kind);
	STR("cs2Label", "", "reason");
	STR("cs2", "reason", a->reason);
	STR("cs3Label", "", url[0] ? "url" : "");
	STR("cs3", "url", url);
	STR("cn1Label", "", "delivery");
	NUM("cn1", "deliveryId", "%lld", (long long)a->delivery_id);
#undef NUM
#undef STR
	return n;
}

/*
 * The key=value list of the CEF extension (leef false: separated by
 * spaces, values escaped by cef_val) or of LEEF's attributes (by tabs,
 * leef_val), each value cleaned first.
 */
static void kv_body(struct fmt_out *o, const struct fmt_alert *a, const struct fmt_ctx *ctx,
		    bool leef)
{
	char num[N_ATTRS][24], url[HOOK_URL_MAX + 64];
	struct attr at[N_ATTRS];
	struct flowinfo fi;
	struct fmt_out uo;
	bool first = true;
	int n;

	flow_of(a, &fi);
	fmt_out_init(&uo, url, sizeof(url));
	fmt_alert_url(a, ctx, &uo);
	if (uo.cut)
		url[0] = '\0';
	n = alert_attrs(a, &fi, url, num, at);
	for (int i = 0; i < n; i++) {
		const char *k = leef ? at[i].leef : at[i].cef;
		struct field f;

		if (k[0] == '\0' || at[i].v == NULL || at[i].v[0] == '\0')
			continue;
		if (!first)
			put(o, leef ? "\t" : " ", 1);
		first = false;
		add(o, "%s=", k);
		if (leef)
			leef_val(o, clean(&f, at[i].v));
		else
			cef_val(o, clean(&f, at[i].v));
	}
}

static void body_cef(const struct fmt_alert *a, const struct fmt_ctx *ctx, struct fmt_out *o)
{
	struct field sig;

	puts_(o, "CEF:0|Kastro|Kastro|");
	cef_hdr(o, KASTRO_VERSION);
	put(o, "|", 1);
	if (a->signature_id >= 0)
		add(o, "%lld", (long long)a->signature_id);
	else
		cef_hdr(o, clean(&sig, a->kind));
	put(o, "|", 1);
	cef_hdr(o, clean(&sig, a->signature));
	add(o, "|%d|", cef_severity(a->severity));
	kv_body(o, a, ctx, false);
}

/* ---- LEEF 2.0 ------------------------------------------------------------- */

/* The header escapes '|' and '\' as CEF's does; the attributes are kv_body's. */
static void body_leef(const struct fmt_alert *a, const struct fmt_ctx *ctx, struct fmt_out *o)
{
	struct field kind;

	puts_(o, "LEEF:2.0|Kastro|Kastro|");
	cef_hdr(o, KASTRO_VERSION);
	put(o, "|", 1);
	cef_hdr(o, clean(&kind, a->kind));
	/* the delimiter field: tab, written as x09 */
	puts_(o, "|x09|");
	kv_body(o, a, ctx, true);
}

/* ---- JSON ---------------------------------------------------------------- */

static void jstr(struct jw *w, const char *k, const char *v)
{
	struct field f;

	jw_str(w, k, clean(&f, v));
}

static const char *ecs_category(const char *kind)
{
	if (strcmp(nz(kind), "alert") == 0)
		return "network";
	if (strcmp(nz(kind), "finding") == 0)
		return "malware";
	return "host";
}

static void url_of(const struct fmt_alert *a, const struct fmt_ctx *ctx, char *url, size_t len)
{
	struct fmt_out uo;

	fmt_out_init(&uo, url, len);
	fmt_alert_url(a, ctx, &uo);
	if (uo.cut)
		url[0] = '\0';
}

static void body_ecs(struct jw *w, const struct fmt_alert *a, const struct fmt_ctx *ctx)
{
	struct flowinfo fi;
	char t[40], url[HOOK_URL_MAX + 64];

	flow_of(a, &fi);
	iso_time(t, sizeof(t), a->last_seen, true);
	jw_str(w, "@timestamp", t);
	jw_str(w, "message", "");
	jw_obj(w, "ecs");
	jw_str(w, "version", "8.11.0");
	jw_obj_end(w);
	jw_obj(w, "event");
	jw_str(w, "kind", "alert");
	jw_arr(w, "category");
	jw_str(w, NULL, ecs_category(a->kind));
	jw_arr_end(w);
	jw_arr(w, "type");
	jw_str(w, NULL, "indicator");
	jw_arr_end(w);
	jw_i64(w, "severity", a->severity);
	jw_i64(w, "id", a->id);
	jstr(w, "action", a->action);
	jstr(w, "dataset", a->kind);
	iso_time(t, sizeof(t), a->first_seen, true);
	jw_str(w, "start", t);
	iso_time(t, sizeof(t), a->last_seen, true);
	jw_str(w, "end", t);
	url_of(a, ctx, url, sizeof(url));
	if (url[0] != '\0')
		jw_str(w, "url", url);
	jw_obj_end(w);
	jw_obj(w, "rule");
	jstr(w, "name", a->signature);
	if (a->signature_id >= 0)
		jw_i64(w, "id", a->signature_id);
	jstr(w, "category", a->category);
	jw_obj_end(w);
	if (fi.src[0] != '\0') {
		jw_obj(w, "source");
		jw_str(w, "ip", fi.src);
		if (fi.sport > 0)
			jw_i64(w, "port", fi.sport);
		jw_obj_end(w);
	}
	if (fi.dst[0] != '\0') {
		jw_obj(w, "destination");
		jw_str(w, "ip", fi.dst);
		if (fi.dport > 0)
			jw_i64(w, "port", fi.dport);
		jw_obj_end(w);
	}
	if (fi.proto[0] != '\0' || (a->app != NULL && a->app[0] != '\0')) {
		jw_obj(w, "network");
		if (fi.proto[0] != '\0')
			jw_str(w, "transport", fi.proto);
		if (a->app != NULL && a->app[0] != '\0')
			jstr(w, "protocol", a->app);
		jw_obj_end(w);
	}
	jw_obj(w, "host");
	jstr(w, "name", a->host);
	jw_obj_end(w);
	jw_obj(w, "observer");
	jw_str(w, "vendor", "Kastro");
	jw_str(w, "product", "Kastro");
	jw_str(w, "version", KASTRO_VERSION);
	jw_str(w, "type", strcmp(nz(a->kind), "finding") == 0 ? "edr" : "ids");
	jstr(w, "name", a->sensor_id);
	jw_str(w, "hostname", ctx->hostname != NULL ? ctx->hostname : "");
	jw_obj_end(w);
	jw_obj(w, "kastro");
	jw_i64(w, "alert_id", a->id);
	jw_i64(w, "delivery_id", a->delivery_id);
	jstr(w, "reason", a->reason);
	jstr(w, "kind", a->kind);
	jstr(w, "sensor_id", a->sensor_id);
	jstr(w, "status", a->status);
	jw_str(w, "severity", hook_severity_name(a->severity));
	jw_i64(w, "count", a->count);
	jw_obj_end(w);
}

/* Kastro's own webhook document. */
static void body_json(struct jw *w, const struct fmt_alert *a, const struct fmt_ctx *ctx)
{
	char url[HOOK_URL_MAX + 64];

	jw_i64(w, "delivery_id", a->delivery_id);
	jstr(w, "reason", a->reason);
	jw_obj(w, "alert");
	jw_i64(w, "id", a->id);
	jstr(w, "kind", a->kind);
	jw_i64(w, "severity", a->severity);
	jw_str(w, "severity_name", hook_severity_name(a->severity));
	jstr(w, "signature", a->signature);
	jw_i64(w, "signature_id", a->signature_id);
	jstr(w, "category", a->category);
	jstr(w, "action", a->action);
	jstr(w, "app", a->app);
	jstr(w, "host", a->host);
	jstr(w, "sensor_id", a->sensor_id);
	jstr(w, "status", a->status);
	jw_i64(w, "first_seen", a->first_seen);
	jw_i64(w, "last_seen", a->last_seen);
	jw_i64(w, "count", a->count);
	url_of(a, ctx, url, sizeof(url));
	jw_str(w, "url", url);
	jw_obj_end(w);
}

/* One line for chat: severity, rule, host, sensor, and a link in markup. */
static void chat_text(const struct hook_def *h, const struct fmt_alert *a,
		      const struct fmt_ctx *ctx, struct fmt_out *o)
{
	struct field sig, host, sen;
	char url[HOOK_URL_MAX + 64];
	const char *s = clean(&sig, a->signature);

	url_of(a, ctx, url, sizeof(url));
	add(o, "Kastro: [%s] ", hook_severity_name(a->severity));
	/* Slack reads <, > and & as markup; the others take them as text */
	for (; *s; s++) {
		if (h->format == HOOK_F_SLACK && *s == '<')
			puts_(o, "&lt;");
		else if (h->format == HOOK_F_SLACK && *s == '>')
			puts_(o, "&gt;");
		else if (h->format == HOOK_F_SLACK && *s == '&')
			puts_(o, "&amp;");
		else
			put(o, s, 1);
	}
	add(o, " on %s (sensor %s), %lld time(s)", clean(&host, a->host), clean(&sen, a->sensor_id),
	    (long long)a->count);
	if (url[0] == '\0')
		add(o, ", alert %lld", (long long)a->id);
	else if (h->format == HOOK_F_SLACK)
		add(o, ", <%s|alert %lld>", url, (long long)a->id);
	else
		add(o, ", [alert %lld](%s)", (long long)a->id, url);
}

#define CHAT_TEXT_MAX (7 * FMT_FIELD_MAX + 2 * HOOK_URL_MAX + 256)

static int body_jsondoc(const struct hook_def *h, const struct fmt_alert *a,
			const struct fmt_ctx *ctx, struct fmt_out *o)
{
	struct jw w;
	long n;
	char *text = NULL;
	struct fmt_out t;

	jw_begin(&w, o->p + o->len, o->cap - o->len);
	switch (h->format) {
	case HOOK_F_ECS:
		body_ecs(&w, a, ctx);
		break;
	case HOOK_F_MATTERMOST:
	case HOOK_F_SLACK:
	case HOOK_F_TEAMS:
		/* the worst case: Slack writes each '&' of the signature as
		 * "&amp;" (5 bytes), then host and sensor, the link twice */
		text = malloc(CHAT_TEXT_MAX);
		if (text == NULL) {
			o->cut = true;
			return -1;
		}
		fmt_out_init(&t, text, CHAT_TEXT_MAX);
		chat_text(h, a, ctx, &t);
		if (h->format == HOOK_F_TEAMS) {
			jw_str(&w, "@type", "MessageCard");
			jw_str(&w, "@context", "https://schema.org/extensions");
			jw_str(&w, "summary", "Kastro alert");
			jw_str(&w, "themeColor", a->severity <= 1 ? "B00020" :
				   a->severity == 2 ? "E65100" : a->severity == 3 ? "F9A825" : "607D8B");
			jw_str(&w, "title", "Kastro alert");
		} else {
			jw_str(&w, "username", "Kastro");
		}
		jw_str(&w, "text", text);
		free(text);
		if (t.cut) {
			o->cut = true;
			return -1;
		}
		break;
	default:
		body_json(&w, a, ctx);
		break;
	}
	n = jw_end(&w);
	if (n < 0) {
		o->cut = true;
		return -1;
	}
	o->len += (size_t)n;
	return 0;
}

/* The stored EVE event as is, when it parses as an object; else ECS. */
static int body_eve(const struct hook_def *h, const struct fmt_alert *a,
		    const struct fmt_ctx *ctx, struct fmt_out *o)
{
	json_t *root;
	char *s;
	struct hook_def e;

	root = a->eve != NULL ? json_loadb(a->eve, a->eve_len, 0, NULL) : NULL;
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		e = *h;
		e.format = HOOK_F_ECS;
		return body_jsondoc(&e, a, ctx, o);
	}
	/* re-serialised compact: one line, ASCII-safe, whatever was stored */
	s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(root);
	if (s == NULL) {
		o->cut = true;
		return -1;
	}
	puts_(o, s);
	free(s);
	return o->cut ? -1 : 0;
}

int fmt_body(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	     struct fmt_out *o)
{
	switch (h->format) {
	case HOOK_F_CEF:
		body_cef(a, ctx, o);
		break;
	case HOOK_F_LEEF:
		body_leef(a, ctx, o);
		break;
	case HOOK_F_EVE:
		return body_eve(h, a, ctx, o);
	case HOOK_F_ECS:
	case HOOK_F_JSON:
	case HOOK_F_MATTERMOST:
	case HOOK_F_SLACK:
	case HOOK_F_TEAMS:
		return body_jsondoc(h, a, ctx, o);
	case HOOK_F_DEFAULT:
		if (h->kind == HOOK_WEBHOOK)
			return body_jsondoc(h, a, ctx, o);
		body_text(a, ctx, o);
		break;
	case HOOK_F_TEXT:
	case HOOK_F_COUNT:
		body_text(a, ctx, o);
		break;
	}
	return o->cut ? -1 : 0;
}

/* ---- RFC 5424 ------------------------------------------------------------- */

/* PRINTUSASCII without spaces, 1..max bytes, '-' when empty. */
static void hdr_token(struct fmt_out *o, const char *s, size_t max)
{
	size_t n = 0;

	for (; s != NULL && *s && n < max; s++)
		if (*s > 0x20 && *s < 0x7f) {
			put(o, s, 1);
			n++;
		}
	if (n == 0)
		put(o, "-", 1);
}

/* SD-PARAM value: '"', '\' and ']' escaped with '\'. */
static void sd_param(struct fmt_out *o, const char *name, const char *v)
{
	struct field f;
	const char *s = clean(&f, v);

	add(o, " %s=\"", name);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			put(o, "\\", 1);
		put(o, s, 1);
	}
	put(o, "\"", 1);
}

int fmt_syslog(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	       struct fmt_out *o)
{
	/* facility local0 (16); Kastro 1..4 as crit, err, warning, notice */
	static const int sev[5] = { 2, 2, 3, 4, 5 };
	char t[40], n[32];
	int s = a->severity >= 1 && a->severity <= 4 ? a->severity : 4;

	iso_time(t, sizeof(t), a->last_seen, true);
	add(o, "<%d>1 %s ", 16 * 8 + sev[s], t);
	hdr_token(o, ctx->hostname, 255);
	puts_(o, " kastro - ");
	hdr_token(o, a->kind, 32);
	add(o, " [%s", h->sd_id);
	snprintf(n, sizeof(n), "%lld", (long long)a->id);
	sd_param(o, "id", n);
	sd_param(o, "sensor", a->sensor_id);
	sd_param(o, "host", a->host);
	sd_param(o, "severity", hook_severity_name(a->severity));
	snprintf(n, sizeof(n), "%lld", (long long)a->delivery_id);
	sd_param(o, "delivery", n);
	sd_param(o, "reason", a->reason);
	puts_(o, "] ");
	return fmt_body(h, a, ctx, o);
}

/* ---- mail ------------------------------------------------------------------ */

static void b64_lines(struct fmt_out *o, const char *s, size_t n)
{
	/* 57 bytes in, 76 characters out per line */
	unsigned char line[80];

	for (size_t i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;
		int m = EVP_EncodeBlock(line, (const unsigned char *)s + i, (int)k);

		put(o, (const char *)line, (size_t)m);
		puts_(o, "\r\n");
	}
}

/* An unstructured header value: ASCII as is, else RFC 2047 B words of <= 75 chars. */
static void hdr_2047(struct fmt_out *o, const char *s)
{
	size_t n = strlen(s), i = 0;
	bool ascii = true;

	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] >= 0x80)
			ascii = false;
	if (ascii && n < 900) {
		puts_(o, s);
		return;
	}
	while (i < n) {
		/* at most 45 bytes per word (60 base64 chars + 12 of =?UTF-8?B??=),
		   cut on a UTF-8 character boundary */
		size_t k = n - i < 45 ? n - i : 45;
		unsigned char enc[64];
		int m;

		while (k > 0 && i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		m = EVP_EncodeBlock(enc, (const unsigned char *)s + i, (int)k);
		if (i > 0)
			puts_(o, "\r\n ");
		add(o, "=?UTF-8?B?%.*s?=", m, enc);
		i += k;
	}
}

static void html_esc(struct fmt_out *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': puts_(o, "&lt;"); break;
		case '>': puts_(o, "&gt;"); break;
		case '&': puts_(o, "&amp;"); break;
		case '"': puts_(o, "&quot;"); break;
		case '\'': puts_(o, "&#39;"); break;
		default: put(o, s, 1);
		}
	}
}

struct words {
	const char *sev[4], *subject_on, *alert, *rule, *host, *sensor, *severity, *count,
		*first, *last, *kind, *action, *open, *reason;
};

static const struct words en = {
	{ "CRITICAL", "HIGH", "MEDIUM", "LOW" }, "on", "Kastro alert", "Rule", "Host", "Sensor",
	"Severity", "Times seen", "First seen", "Last seen", "Type", "Action", "Open the alert",
	"Why sent",
};
static const struct words el = {
	{ "ΚΡΙΣΙΜΗ", "ΥΨΗΛΗ", "ΜΕΣΑΙΑ", "ΧΑΜΗΛΗ" }, "στο", "Ειδοποίηση Kastro", "Κανόνας",
	"Υπολογιστής", "Αισθητήρας", "Σοβαρότητα", "Φορές", "Πρώτη φορά", "Τελευταία φορά",
	"Τύπος", "Ενέργεια", "Άνοιγμα της ειδοποίησης", "Αιτία αποστολής",
};

int fmt_mail(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	     int64_t now, struct fmt_out *o)
{
	const struct words *w = h->lang == HOOK_LANG_EL ? &el : &en;
	struct field sig, host, sen, cat, act, kind, why;
	char date[64], first[40], last[40], url[HOOK_URL_MAX + 64], bound[64], subj[3 * FMT_FIELD_MAX];
	char *part;
	struct fmt_out p, so;
	time_t t = (time_t)now;
	struct tm tm;
	int s = a->severity >= 1 && a->severity <= 4 ? a->severity : 4;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	iso_time(first, sizeof(first), a->first_seen, false);
	iso_time(last, sizeof(last), a->last_seen, false);
	url_of(a, ctx, url, sizeof(url));
	clean(&sig, a->signature);
	clean(&host, a->host);
	clean(&sen, a->sensor_id);
	clean(&cat, a->category);
	clean(&act, a->action);
	clean(&kind, a->kind);
	clean(&why, a->reason);
	/* a boundary that cannot occur in base64 parts: it holds '=' and '_' */
	snprintf(bound, sizeof(bound), "=_kastro_%lld_%lld", (long long)a->id,
		 (long long)a->delivery_id);

	add(o, "Date: %s\r\n", date);
	add(o, "From: <%s>\r\n", h->from);
	puts_(o, "To: ");
	for (int i = 0; i < h->n_to; i++)
		add(o, "%s<%s>", i ? ",\r\n " : "", h->to[i]);
	puts_(o, "\r\n");
	add(o, "Message-ID: <kastro.%lld.%lld.%lld@", (long long)a->id, (long long)a->delivery_id,
	    (long long)now);
	hdr_token(o, ctx->hostname, 200);
	puts_(o, ">\r\n");
	/* Subject: [Kastro] HIGH: rule on host */
	fmt_out_init(&so, subj, sizeof(subj));
	add(&so, "[Kastro] %s: ", w->sev[s - 1]);
	fmt_clean(&so, sig.b, strlen(sig.b), 200);
	add(&so, " %s ", w->subject_on);
	fmt_clean(&so, host.b, strlen(host.b), 100);
	puts_(o, "Subject: ");
	hdr_2047(o, subj);
	puts_(o, "\r\n");
	add(o, "MIME-Version: 1.0\r\n"
	       "Auto-Submitted: auto-generated\r\n"
	       "X-Kastro-Alert: %lld\r\n"
	       "X-Kastro-Delivery: %lld\r\n"
	       "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
	       "\r\n"
	       "This is a MIME message.\r\n",
	    (long long)a->id, (long long)a->delivery_id, bound);

	part = malloc(FMT_OUT_MAX / 2);
	if (part == NULL)
		return -1;
	/* text/plain */
	fmt_out_init(&p, part, FMT_OUT_MAX / 2);
	add(&p, "%s %lld\n\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %lld\n%s: %s\n%s: %s\n",
	    w->alert, (long long)a->id, w->rule, sig.b, w->severity, w->sev[s - 1], w->host,
	    host.b, w->sensor, sen.b, w->kind, kind.b, w->count, (long long)a->count, w->first,
	    first, w->last, last);
	if (act.b[0] != '\0')
		add(&p, "%s: %s\n", w->action, act.b);
	add(&p, "%s: %s\n", w->reason, why.b);
	if (url[0] != '\0')
		add(&p, "\n%s: %s\n", w->open, url);
	add(o, "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n", bound);
	b64_lines(o, part, p.len);
	if (p.cut) {
		free(part);
		return -1;
	}
	/* text/html */
	fmt_out_init(&p, part, FMT_OUT_MAX / 2);
	add(&p, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>",
	    h->lang == HOOK_LANG_EL ? "el" : "en");
	html_esc(&p, w->alert);
	add(&p, " %lld</title></head><body><h2>", (long long)a->id);
	html_esc(&p, w->sev[s - 1]);
	puts_(&p, ": ");
	html_esc(&p, sig.b);
	puts_(&p, "</h2><table>");
	const char *rows[][2] = {
		{ w->rule, sig.b }, { w->host, host.b }, { w->sensor, sen.b }, { w->kind, kind.b },
		{ w->first, first }, { w->last, last }, { w->action, act.b },
		{ w->reason, why.b },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i][1][0] == '\0')
			continue;
		puts_(&p, "<tr><th align=\"left\">");
		html_esc(&p, rows[i][0]);
		puts_(&p, "</th><td>");
		html_esc(&p, rows[i][1]);
		puts_(&p, "</td></tr>");
	}
	puts_(&p, "<tr><th align=\"left\">");
	html_esc(&p, w->count);
	add(&p, "</th><td>%lld</td></tr></table>", (long long)a->count);
	if (url[0] != '\0') {
		puts_(&p, "<p><a href=\"");
		html_esc(&p, url);
		puts_(&p, "\">");
		html_esc(&p, w->open);
		puts_(&p, "</a></p>");
	}
	puts_(&p, "</body></html>\n");
	add(o, "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n", bound);
	b64_lines(o, part, p.len);
	free(part);
	if (p.cut)
		return -1;
	add(o, "\r\n--%s--\r\n", bound);
	return o->cut ? -1 : 0;
}

/* ---- digest ---------------------------------------------------------------- */

int fmt_mail_digest(const struct hook_def *h, const struct fmt_alert *a, int n,
		    const struct fmt_ctx *ctx, int64_t now, struct fmt_out *o)
{
	const struct words *w = h->lang == HOOK_LANG_EL ? &el : &en;
	char date[64], last[40], url[HOOK_URL_MAX + 64], bound[64], subj[256];
	struct field sig, host;
	struct fmt_out p;
	char *part;
	time_t t = (time_t)now;
	struct tm tm;
	int top = 4;

	if (n < 1 || gmtime_r(&t, &tm) == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (a[i].severity >= 1 && a[i].severity < top)
			top = a[i].severity;
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(bound, sizeof(bound), "=_kastro_digest_%lld_%lld", (long long)a[0].delivery_id,
		 (long long)n);
	if (h->lang == HOOK_LANG_EL)
		snprintf(subj, sizeof(subj), "[Kastro] %d ειδοποιήσεις (σύνοψη), ανώτερη %s", n,
			 w->sev[top - 1]);
	else
		snprintf(subj, sizeof(subj), "[Kastro] %d alerts (digest), highest %s", n,
			 w->sev[top - 1]);
	add(o, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, h->from);
	for (int i = 0; i < h->n_to; i++)
		add(o, "%s<%s>", i ? ",\r\n " : "", h->to[i]);
	add(o, "\r\nMessage-ID: <kastro.digest.%lld.%d.%lld@", (long long)a[0].delivery_id, n,
	    (long long)now);
	hdr_token(o, ctx->hostname, 200);
	puts_(o, ">\r\nSubject: ");
	hdr_2047(o, subj);
	add(o, "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
	       "X-Kastro-Delivery: %lld\r\n"
	       "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
	       "This is a MIME message.\r\n", (long long)a[0].delivery_id, bound);
	part = malloc(FMT_OUT_MAX / 2);
	if (part == NULL)
		return -1;
	fmt_out_init(&p, part, FMT_OUT_MAX / 2);
	add(&p, "%s\n\n", subj);
	for (int i = 0; i < n; i++) {
		int s = a[i].severity >= 1 && a[i].severity <= 4 ? a[i].severity : 4;

		iso_time(last, sizeof(last), a[i].last_seen, false);
		url_of(&a[i], ctx, url, sizeof(url));
		add(&p, "%s  %s  %s  %s  %s\n", last, w->sev[s - 1], clean(&sig, a[i].signature),
		    clean(&host, a[i].host), url[0] ? url : "");
	}
	add(o, "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n", bound);
	b64_lines(o, part, p.len);
	if (p.cut) {
		free(part);
		return -1;
	}
	fmt_out_init(&p, part, FMT_OUT_MAX / 2);
	add(&p, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>",
	    h->lang == HOOK_LANG_EL ? "el" : "en");
	html_esc(&p, subj);
	puts_(&p, "</title></head><body><h2>");
	html_esc(&p, subj);
	puts_(&p, "</h2><table>");
	for (int i = 0; i < n; i++) {
		int s = a[i].severity >= 1 && a[i].severity <= 4 ? a[i].severity : 4;

		iso_time(last, sizeof(last), a[i].last_seen, false);
		url_of(&a[i], ctx, url, sizeof(url));
		puts_(&p, "<tr><td>");
		html_esc(&p, last);
		puts_(&p, "</td><td>");
		html_esc(&p, w->sev[s - 1]);
		puts_(&p, "</td><td>");
		if (url[0]) {
			puts_(&p, "<a href=\"");
			html_esc(&p, url);
			puts_(&p, "\">");
		}
		html_esc(&p, clean(&sig, a[i].signature));
		if (url[0])
			puts_(&p, "</a>");
		puts_(&p, "</td><td>");
		html_esc(&p, clean(&host, a[i].host));
		puts_(&p, "</td></tr>");
	}
	puts_(&p, "</table></body></html>\n");
	add(o, "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n", bound);
	b64_lines(o, part, p.len);
	free(part);
	if (p.cut)
		return -1;
	add(o, "\r\n--%s--\r\n", bound);
	return o->cut ? -1 : 0;
}
