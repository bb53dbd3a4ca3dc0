/*
 * hooks.h - alert hooks: a named receiver (syslog, email or webhook) and a
 * filter, as console.conf's `hook NAME { ... }` defines them (reference:
 * docs/console-config.md, docs/hooks.md).
 *
 * This module holds the checked, parsed form of one hook and what needs no
 * I/O: the names of formats, transports, severities and alert types, the
 * parse of a receiver's URL, and the filter that decides whether an alert
 * goes to a hook. The grammar's setters (cconf_hook.c) fill a struct
 * hook_def; nothing here allocates.
 */
#ifndef KASTRO_HOOKS_H
#define KASTRO_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOOK_NAME_MAX   32       /* bytes of a hook's name: [A-Za-z0-9_.-] */
#define HOOK_URL_MAX    512      /* bytes of a receiver's URL */
#define HOOK_PATH_MAX   256      /* bytes of a file's path (CA, key, secrets) */
#define HOOK_ADDR_MAX   254      /* bytes of a mail address (RFC 5321 path) */
#define HOOK_MAX_TO     8        /* recipients of one email hook */
#define HOOK_TEXT_MAX   128      /* bytes of a filter's sensor or rule text */
#define HOOK_SDID_MAX   32       /* bytes of an RFC 5424 SD-ID */
#define HOOK_QUEUE_DEFAULT 1000000u

/* Where a hook sends. */
enum hook_kind { HOOK_SYSLOG, HOOK_EMAIL, HOOK_WEBHOOK };

/* How: from the URL's scheme. */
enum hook_transport {
	HOOK_T_TCP,     /* syslog tcp://   RFC 6587 octet counting */
	HOOK_T_TLS,     /* syslog tls://   RFC 5425 */
	HOOK_T_UDP,     /* syslog udp://   RFC 5426, lossy */
	HOOK_T_RELP,    /* syslog relp://  acknowledged */
	HOOK_T_SMTP,    /* email smtp://   STARTTLS required */
	HOOK_T_SMTPS,   /* email smtps://  implicit TLS */
	HOOK_T_HTTPS,   /* webhook https:// */
	HOOK_T_HTTP,    /* webhook http://, loopback only */
	HOOK_T_RELPS,   /* syslog relps:// RELP inside TLS (rsyslog imrelp tls="on") */
};

/* What the message body is. */
enum hook_format {
	HOOK_F_DEFAULT,     /* the kind's own: text for syslog, mail, json */
	HOOK_F_TEXT,        /* syslog: a line of text */
	HOOK_F_CEF,
	HOOK_F_LEEF,
	HOOK_F_ECS,
	HOOK_F_EVE,
	HOOK_F_JSON,        /* webhook: Kastro's own JSON */
	HOOK_F_MATTERMOST,
	HOOK_F_SLACK,
	HOOK_F_TEAMS,
	HOOK_F_COUNT
};

/* Alert types, as filter bits. */
enum hook_type {
	HOOK_TY_NETWORK = 1 << 0,         /* kind "alert": the gateway */
	HOOK_TY_ENDPOINT = 1 << 1,        /* kind "finding": an agent */
	HOOK_TY_SENSOR_OFFLINE = 1 << 2,  /* kind "sensor_offline" */
	HOOK_TY_SERVICE = 1 << 3,         /* kind "service" */
	HOOK_TY_BACKUP = 1 << 4,          /* kind "backup" */
	HOOK_TY_AUDIT = 1 << 5,           /* kind "audit" */
	HOOK_TY_OTHER = 1 << 6,           /* any kind not named above */
	HOOK_TY_ALL = (1 << 7) - 1,
};

enum hook_lang { HOOK_LANG_EN, HOOK_LANG_EL };

struct hook_def {
	char name[HOOK_NAME_MAX + 1];
	char at[64];                     /* "file:line" where it is defined */
	enum hook_kind kind;
	enum hook_transport transport;
	char url[HOOK_URL_MAX + 1];
	char host[256];                  /* from the URL (syslog) */
	uint16_t port;                   /* from the URL (syslog); 0 for others */
	enum hook_format format;

	/* TLS (tls://, relp://, smtp(s)://, https://) */
	char ca[HOOK_PATH_MAX];          /* "" : the system's CAs */
	char cert[HOOK_PATH_MAX];        /* client certificate, with key */
	char key[HOOK_PATH_MAX];

	/* email */
	char from[HOOK_ADDR_MAX + 1];
	char to[HOOK_MAX_TO][HOOK_ADDR_MAX + 1];
	int n_to;
	char user[HOOK_ADDR_MAX + 1];
	char password_file[HOOK_PATH_MAX];
	enum hook_lang lang;
	uint32_t max_per_hour;           /* 0: no cap; above: one digest per hour */

	/* webhook */
	char secret_file[HOOK_PATH_MAX]; /* HMAC-SHA256 key; "": unsigned */
	char proxy[HOOK_URL_MAX + 1];    /* "": none (the environment is ignored) */

	/* syslog */
	char sd_id[HOOK_SDID_MAX + 1];   /* "kastro@32473" */

	uint32_t timeout;                /* seconds for one attempt; 30 */
	uint32_t resend_after;           /* seconds; 0: a still-open alert is not sent again */
	uint32_t queue_max;              /* deliveries waiting; HOOK_QUEUE_DEFAULT */

	/* the filter; an alert passes when every part set passes */
	int min_severity;                /* 1 critical .. 4 low: severity <= this */
	unsigned types;                  /* enum hook_type bits; HOOK_TY_ALL */
	char sensor[HOOK_TEXT_MAX + 1];  /* sensor id or host, exact; "": any */
	char rule[HOOK_TEXT_MAX + 1];    /* in the signature, ASCII case-insensitive; "": any */
	int16_t win_from, win_to;        /* minutes of the local day; -1: any time.
					    win_from > win_to wraps midnight */
	uint8_t days;                    /* bit 0 Sunday .. bit 6 Saturday; 0x7f all */
};

/* What the filter looks at. */
struct hook_alert_view {
	const char *kind;                /* alert, finding, sensor_offline, ... */
	const char *sensor_id, *host, *signature;
	int severity;                    /* 1 highest .. 4 */
	int64_t ts;                      /* the alert's time, Unix seconds */
};

/* The built-in defaults of a hook named name (at most HOOK_NAME_MAX bytes). */
void hook_defaults(struct hook_def *h, const char *name);

/* Whether a passes h's filter; local time from the process's time zone. */
bool hook_match(const struct hook_def *h, const struct hook_alert_view *a);

/* The bit of a kind string. */
unsigned hook_type_of(const char *kind);

/* Names, for messages, listings and the grammar. */
const char *hook_kind_name(enum hook_kind k);
const char *hook_format_name(enum hook_format f);
const char *hook_transport_name(enum hook_transport t);
const char *hook_severity_name(int severity);   /* 1 critical .. 4 low */

/*
 * Lookups of the n bytes at s; -1 when unknown. The name tables are for
 * close matches in messages: HOOK_F_COUNT formats (index: enum
 * hook_format), 4 severities (index: severity - 1), HOOK_N_TYPES types
 * (index: bit number of enum hook_type).
 */
#define HOOK_N_TYPES 7
int hook_format_lookup(const char *s, size_t n);
int hook_severity_lookup(const char *s, size_t n);   /* names or 1..4 */
int hook_type_lookup(const char *s, size_t n);       /* one enum hook_type bit */
extern const char *const hook_format_names[HOOK_F_COUNT];
extern const char *const hook_severity_names[4];
extern const char *const hook_type_names[HOOK_N_TYPES];

/*
 * h's URL as it may be shown (log, API, kastroctl): a webhook's path and
 * query are often the secret itself (Mattermost, Slack, Teams), so only
 * scheme, host and port are kept, with "/..." after them.
 */
void hook_url_public(const struct hook_def *h, char *out, size_t outlen);

/*
 * Check url for kind and fill h->url, transport, host and port. On error
 * returns -1 with the reason (what, and what was expected) in why.
 */
int hook_set_url(struct hook_def *h, enum hook_kind kind, const char *url, char *why,
		 size_t whylen);

/*
 * What only the whole hook can tell (a receiver, a format fit for it, the
 * mail's from and to). Returns 0, or -1 with the reason in why.
 */
int hook_check(const struct hook_def *h, char *why, size_t whylen);

#endif
