/*
 * fmt.h - what a hook sends, as bytes: an alert as an RFC 5424 syslog
 * message whose body is text, CEF, LEEF 2.0, ECS JSON or the stored EVE
 * JSON; as webhook JSON (Kastro's own, Mattermost, Slack, Teams); as a MIME
 * mail (docs/hooks.md has every field).
 *
 * Alert fields come from sensors and are hostile: any byte, any length.
 * Every formatter first makes each field valid UTF-8 without control
 * characters (invalid bytes become U+FFFD, controls a space) and cuts it at
 * FMT_FIELD_MAX bytes on a character boundary, then applies its own
 * escaping, so that the output always parses as what it claims to be.
 * Output goes to a caller's buffer with a bound; running out is an error
 * (-1), never a cut message.
 */
#ifndef KASTRO_FMT_H
#define KASTRO_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"

#define FMT_FIELD_MAX 2048      /* bytes of one field after cleaning */
#define FMT_OUT_MAX   (256 * 1024)  /* bytes a caller should allow for any message */

/* An alert as hooks see it. Strings may hold any bytes; NULL is "". */
struct fmt_alert {
	int64_t id;                 /* the alert's row */
	int64_t delivery_id;        /* the outbox row; 0 for a test */
	const char *reason;         /* raised, reopened, resend, test */
	const char *kind;           /* alert, finding, sensor_offline, ... */
	const char *sensor_id, *host, *signature, *category, *action, *app, *status;
	int64_t signature_id;       /* -1: none */
	int severity;               /* 1 critical .. 4 low */
	int64_t first_seen, last_seen, count;   /* Unix seconds */
	const char *eve;            /* the stored event (JSON), or NULL */
	size_t eve_len;
};

/* Where the console is, for messages. */
struct fmt_ctx {
	const char *hostname;       /* the console's host name */
	const char *public_url;     /* "" or NULL: no links */
};

/* A bounded output buffer: p holds cap bytes; len < cap, NUL-terminated. */
struct fmt_out {
	char *p;
	size_t len, cap;
	bool cut;                   /* ran out: the content is useless */
};

void fmt_out_init(struct fmt_out *o, char *p, size_t cap);

/*
 * s (n bytes) as valid UTF-8 without control characters, at most max bytes
 * (cut on a character boundary), appended to o.
 */
void fmt_clean(struct fmt_out *o, const char *s, size_t n, size_t max);

/*
 * The message body for h->format (syslog and webhook formats); for syslog
 * it is one line. Returns 0, or -1 when o was too small.
 */
int fmt_body(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	     struct fmt_out *o);

/*
 * The whole RFC 5424 message: header, structured data under h->sd_id
 * (id, sensor, host, severity, delivery) and fmt_body() as MSG; no framing.
 */
int fmt_syslog(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	       struct fmt_out *o);

/*
 * A MIME mail for an email hook (RFC 5322 headers, multipart/alternative
 * of text/plain and text/html, both UTF-8 in base64; the Subject in RFC
 * 2047 when not ASCII), in h->lang. now: the Date header. Returns 0 or -1.
 */
int fmt_mail(const struct hook_def *h, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	     int64_t now, struct fmt_out *o);

/*
 * One mail for n alerts (a digest, when a hook's max-per-hour is reached):
 * Subject "[Kastro] N alerts, highest SEVERITY", a line per alert in the
 * text part and a row per alert in the HTML part. Returns 0 or -1.
 */
int fmt_mail_digest(const struct hook_def *h, const struct fmt_alert *a, int n,
		    const struct fmt_ctx *ctx, int64_t now, struct fmt_out *o);

/* The alert's page, "PUBLIC_URL/#/alerts/ID", into o; "" without a public URL. */
void fmt_alert_url(const struct fmt_alert *a, const struct fmt_ctx *ctx, struct fmt_out *o);

#endif
