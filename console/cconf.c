/*
 * cconf.c - console.conf: built-in defaults, reading files and includes,
 * the checked setters that the grammar (cconf_parse.y) calls, the checks
 * between settings at the end of a load, and the commented default file
 * that `kastro-console init` writes.
 *
 * The statements (docs/config.md has the reference):
 *   data "/var/lib/kastro-console"        required, once
 *   listen https on * port 8443           per kind (https, sensors), up to 4
 *   listen sensors on ::1                 port: 8443 for https, 7443 for sensors
 *   control "/run/kastro/console.sock"
 *   log level info                        error, warning, info or debug
 *   sensor offline-after 5m certificate-days 365 enrolment-token-ttl 1h
 *   alerts dedup-window 1h
 *   session idle 30m absolute 12h
 *   limits { body 4MB headers 16KB connections 1024 request-timeout 30s
 *            long-poll 60s }
 *   include "other.conf"
 * A group keyword (log, sensor, alerts, session, limits) takes one or more
 * of its settings, or a block of them in braces. Relative paths are
 * relative to the directory of the file that holds them.
 *
 * Every value is checked as it is parsed. Two checks need the whole load:
 * a listener must not take the address of the other kind's default when
 * that default stays, and session idle must not exceed session absolute;
 * both are formatted where the statement is (so the message shows the
 * line) and reported at the end if still true (cfg_defer). Loading works on
 * a copy: the caller's struct changes only when everything was accepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"
#include "cconf.h"
#include "cconf_parse.h"
#include "control.h"
#include "fdio.h"
#include "inventory.h"

_Static_assert(CCONF_SUN_PATH == sizeof(((struct sockaddr_un *)0)->sun_path),
	       "control_path holds exactly a sun_path");

#define KB (UINT64_C(1) << 10)
#define MB (UINT64_C(1) << 20)
#define MINUTE 60
#define HOUR   3600
#define DAY    86400

static const char *const kind_names[CCONF_KINDS] = {
	[CCONF_HTTPS] = "https",
	[CCONF_SENSORS] = "sensors",
};
static const uint16_t default_port[CCONF_KINDS] = {
	[CCONF_HTTPS] = 8443,
	[CCONF_SENSORS] = 7443,
};

void cconf_defaults(struct console_conf *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->https[0].addr, "*", 2);
	c->https[0].port = default_port[CCONF_HTTPS];
	c->n_https = 1;
	memcpy(c->sensors[0].addr, "*", 2);
	c->sensors[0].port = default_port[CCONF_SENSORS];
	c->n_sensors = 1;
	memcpy(c->control_path, CONTROL_CONSOLE_PATH, sizeof(CONTROL_CONSOLE_PATH));
	c->log_level = LOG_LVL_INFO;
	c->sensor_offline_after = 5 * MINUTE;
	c->cert_days = 365;
	c->token_ttl_default = HOUR;
	c->dedup_window = HOUR;
	c->session_idle = 30 * MINUTE;
	c->session_absolute = 12 * HOUR;
	c->max_body = 4 * MB;
	c->max_headers = 16 * KB;
	c->max_connections = 1024;
	c->request_timeout = 30;
	c->long_poll_max = 60;
	c->head_timeout = 10;
	c->body_timeout = MINUTE;
	c->per_address = 64;
	c->reserved = 64;
	c->retain_events = 180 * DAY;
	c->retain_alerts = 365 * DAY;
	c->quota_events = 1000;
	c->quota_bytes = MB;
	c->quota_burst = MINUTE;
	memcpy(c->user, CCONF_USER_DEFAULT, sizeof(CCONF_USER_DEFAULT));
}

/* ---- numbers ------------------------------------------------------------- */

static const struct cfg_range num_settings[] = {
	[CCONF_N_OFFLINE_AFTER] = { "sensor offline-after", CFG_DURATION, 30, 7 * DAY, false },
	[CCONF_N_CERT_DAYS] = { "sensor certificate-days", CFG_COUNT, 1, 3650, false },
	[CCONF_N_TOKEN_TTL] = { "sensor enrolment-token-ttl", CFG_DURATION, MINUTE, 30 * DAY, false },
	[CCONF_N_DEDUP_WINDOW] = { "alerts dedup-window", CFG_DURATION, 0, 7 * DAY, false },
	[CCONF_N_SESSION_IDLE] = { "session idle", CFG_DURATION, MINUTE, DAY, false },
	[CCONF_N_SESSION_ABSOLUTE] = { "session absolute", CFG_DURATION, MINUTE, 30 * DAY, false },
	[CCONF_N_BODY] = { "limits body", CFG_SIZE, KB, 64 * MB, false },
	[CCONF_N_HEADERS] = { "limits headers", CFG_SIZE, KB, MB, false },
	[CCONF_N_CONNECTIONS] = { "limits connections", CFG_COUNT, 1, 65535, false },
	[CCONF_N_REQUEST_TIMEOUT] = { "limits request-timeout", CFG_DURATION, 1, 10 * MINUTE, false },
	[CCONF_N_LONG_POLL] = { "limits long-poll", CFG_DURATION, 1, 10 * MINUTE, false },
	[CCONF_N_HEAD_TIMEOUT] = { "limits head-timeout", CFG_DURATION, 1, 10 * MINUTE, false },
	[CCONF_N_BODY_TIMEOUT] = { "limits body-timeout", CFG_DURATION, 1, HOUR, false },
	[CCONF_N_PER_ADDRESS] = { "limits per-address", CFG_COUNT, 0, 65535, false },
	[CCONF_N_RESERVED] = { "limits reserved", CFG_COUNT, 0, 65535, false },
	[CCONF_N_RETAIN_EVENTS] = { "retention events", CFG_DURATION, DAY, 3650 * DAY, true },
	[CCONF_N_RETAIN_ALERTS] = { "retention resolved-alerts", CFG_DURATION, DAY, 3650 * DAY, true },
	[CCONF_N_QUOTA_EVENTS] = { "quota events-per-second", CFG_COUNT, 1, 1000000, true },
	[CCONF_N_QUOTA_BYTES] = { "quota bytes-per-second", CFG_SIZE, KB, 1024 * MB, true },
	[CCONF_N_QUOTA_BURST] = { "quota burst", CFG_DURATION, 1, HOUR, false },
};

/*
 * The reserved slots must leave some for everyone else. Checked after
 * connections or reserved is set, like check_session().
 */
static int check_reserved(struct ccf_pctx *pc, const struct cfg_loc *loc)
{
	struct cconf_state *st = pc->st;

	/* not set: a sixteenth of the connections (64 of 1024) */
	if (!st->reserved_set)
		st->c.reserved = st->c.max_connections / 16;
	if (st->c.reserved < st->c.max_connections) {
		cfg_defer_clear(&st->reserved);
		return 0;
	}
	return cfg_defer(&pc->f, &st->reserved, loc, "limits reserved %u is not below limits "
			 "connections %u, expected at most %u", st->c.reserved,
			 st->c.max_connections, st->c.max_connections - 1);
}

/*
 * Session idle must not exceed session absolute. Checked after each of
 * them is set; the message points at the statement that broke it, and is
 * dropped when a later one mends it.
 */
static int check_session(struct ccf_pctx *pc, const struct cfg_loc *loc,
			 enum cconf_num which)
{
	struct cconf_state *st = pc->st;
	char idle[32], abs[32];

	if (st->c.session_idle <= st->c.session_absolute) {
		cfg_defer_clear(&st->session);
		return 0;
	}
	cfg_format(idle, sizeof(idle), CFG_DURATION, st->c.session_idle);
	cfg_format(abs, sizeof(abs), CFG_DURATION, st->c.session_absolute);
	if (which == CCONF_N_SESSION_IDLE)
		return cfg_defer(&pc->f, &st->session, loc, "session idle %s is longer "
				 "than session absolute %s, expected at most %s",
				 idle, abs, abs);
	return cfg_defer(&pc->f, &st->session, loc, "session absolute %s is "
			 "shorter than session idle %s, expected at least %s",
			 abs, idle, idle);
}

int cconf_set_num(struct ccf_pctx *pc, const struct cfg_loc *loc,
		  enum cconf_num which)
{
	struct console_conf *c = &pc->st->c;
	uint64_t v;

	if (cfg_number_in(&pc->f, loc, &num_settings[which], &v) < 0)
		return -1;
	/* every range above fits its field */
	switch (which) {
	case CCONF_N_OFFLINE_AFTER:
		c->sensor_offline_after = (uint32_t)v;
		break;
	case CCONF_N_CERT_DAYS:
		c->cert_days = (uint32_t)v;
		break;
	case CCONF_N_TOKEN_TTL:
		c->token_ttl_default = (uint32_t)v;
		break;
	case CCONF_N_DEDUP_WINDOW:
		c->dedup_window = (uint32_t)v;
		break;
	case CCONF_N_SESSION_IDLE:
		c->session_idle = (uint32_t)v;
		return check_session(pc, loc, which);
	case CCONF_N_SESSION_ABSOLUTE:
		c->session_absolute = (uint32_t)v;
		return check_session(pc, loc, which);
	case CCONF_N_BODY:
		c->max_body = v;
		break;
	case CCONF_N_HEADERS:
		c->max_headers = (uint32_t)v;
		break;
	case CCONF_N_CONNECTIONS:
		c->max_connections = (uint32_t)v;
		return check_reserved(pc, loc);
	case CCONF_N_REQUEST_TIMEOUT:
		c->request_timeout = (uint32_t)v;
		break;
	case CCONF_N_LONG_POLL:
		c->long_poll_max = (uint32_t)v;
		break;
	case CCONF_N_HEAD_TIMEOUT:
		c->head_timeout = (uint32_t)v;
		break;
	case CCONF_N_BODY_TIMEOUT:
		c->body_timeout = (uint32_t)v;
		break;
	case CCONF_N_PER_ADDRESS:
		c->per_address = (uint32_t)v;
		break;
	case CCONF_N_RESERVED:
		c->reserved = (uint32_t)v;
		pc->st->reserved_set = true;
		return check_reserved(pc, loc);
	case CCONF_N_RETAIN_EVENTS:
		c->retain_events = (uint32_t)v;
		break;
	case CCONF_N_RETAIN_ALERTS:
		c->retain_alerts = (uint32_t)v;
		break;
	case CCONF_N_QUOTA_EVENTS:
		c->quota_events = v;
		break;
	case CCONF_N_QUOTA_BYTES:
		c->quota_bytes = v;
		break;
	case CCONF_N_QUOTA_BURST:
		c->quota_burst = (uint32_t)v;
		break;
	}
	return 0;
}

static const struct {
	const char *name;
	enum log_level level;
} log_levels[] = {
	{ "error", LOG_LVL_ERR },
	{ "warning", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
};
#define N_LOG_LEVELS ((int)(sizeof(log_levels) / sizeof(log_levels[0])))

/* A user name as useradd takes it: [a-z_][a-z0-9_-]*, at most 32. */
int cconf_set_user(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(pc->st->c.user))
		return cfg_error(&pc->f, loc, "user: expected a name of 1 to %zu characters",
				 sizeof(pc->st->c.user) - 1);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || ch == '_' ||
		      (i > 0 && ((ch >= '0' && ch <= '9') || ch == '-'))))
			return cfg_error(&pc->f, loc, "user: expected lowercase letters, digits, "
					 "'_' and '-', not starting with a digit or '-'");
	}
	memcpy(pc->st->c.user, s, n + 1);
	return 0;
}

int cconf_set_log_level(struct ccf_pctx *pc, const struct cfg_loc *loc)
{
	const char *w = pc->f.text + loc->off;
	const char *names[N_LOG_LEVELS], *best;
	char tok[64], list[128], hint[64] = "";
	int i;

	for (i = 0; i < N_LOG_LEVELS; i++) {
		names[i] = log_levels[i].name;
		if (strlen(names[i]) == loc->len && memcmp(names[i], w, loc->len) == 0) {
			pc->st->c.log_level = log_levels[i].level;
			return 0;
		}
	}
	cfg_show(tok, sizeof(tok), w, loc->len);
	best = cfg_choices(list, sizeof(list), w, loc->len, names, N_LOG_LEVELS);
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	return cfg_error(&pc->f, loc, "unknown log level '%s', expected one of: %s%s",
			 tok, list, hint);
}

/* ---- listeners ----------------------------------------------------------- */

static bool is_v4(const char *a)
{
	return strchr(a, ':') == NULL && strcmp(a, "*") != 0;
}

/*
 * Whether listeners on a and b (canonical forms, or "*") cannot both bind
 * the same port: the same address, or a wildcard that covers the other.
 * IPv6 sockets are IPV6_V6ONLY (server.c), so "::" covers IPv6 only.
 */
static bool overlaps(const char *a, const char *b)
{
	if (strcmp(a, b) == 0 || strcmp(a, "*") == 0 || strcmp(b, "*") == 0)
		return true;
	if (strcmp(a, "0.0.0.0") == 0 || strcmp(b, "0.0.0.0") == 0)
		return is_v4(a) && is_v4(b);
	if (strcmp(a, "::") == 0 || strcmp(b, "::") == 0)
		return !is_v4(a) && !is_v4(b);
	return false;
}

/* The listener that l would clash with in list (n of them), or NULL. */
static const struct cconf_listen *clash(const struct cconf_listen *l,
					const struct cconf_listen *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i].port == l->port && overlaps(list[i].addr, l->addr))
			return &list[i];
	return NULL;
}

/* The address token at loc into l->addr, canonical ("*" stays "*"). */
static int parse_addr(struct ccf_pctx *pc, const struct cfg_loc *loc,
		      struct cconf_listen *l)
{
	const char *s = pc->f.text + loc->off;
	char tok[64], text[64];
	unsigned char bin[16];

	if (loc->len == 1 && s[0] == '*') {
		memcpy(l->addr, "*", 2);
		return 0;
	}
	cfg_show(tok, sizeof(tok), s, loc->len);
	if (memchr(s, '/', loc->len) != NULL)
		return cfg_error(&pc->f, loc, "'%s' is a network, expected one address "
				 "such as 127.0.0.1 or ::1, or * for all", tok);
	if (loc->len < sizeof(text)) {
		memcpy(text, s, loc->len);
		text[loc->len] = '\0';
		if ((inet_pton(AF_INET, text, bin) == 1 &&
		     inet_ntop(AF_INET, bin, l->addr, sizeof(l->addr)) != NULL) ||
		    (inet_pton(AF_INET6, text, bin) == 1 &&
		     inet_ntop(AF_INET6, bin, l->addr, sizeof(l->addr)) != NULL))
			return 0;
	}
	return cfg_error(&pc->f, loc, "invalid address '%s', expected an IPv4 or "
			 "IPv6 address such as 127.0.0.1 or ::1, or * for all", tok);
}

int cconf_add_listen(struct ccf_pctx *pc, enum cconf_kind kind,
		     const struct cfg_loc *addr, const struct cfg_loc *port)
{
	struct cconf_state *st = pc->st;
	struct console_conf *c = &st->c;
	struct cconf_listen l = { .port = 0 }, *list[CCONF_KINDS] = { c->https, c->sensors };
	int *n[CCONF_KINDS] = { &c->n_https, &c->n_sensors };
	struct cfg_range r = { NULL, CFG_COUNT, 1, 65535, false };
	char name[32];
	const struct cconf_listen *o;
	struct cfg_loc whole = *addr;
	int k;
	uint64_t v = default_port[kind];

	snprintf(name, sizeof(name), "listen %s port", kind_names[kind]);
	r.name = name;
	if (parse_addr(pc, addr, &l) < 0 ||
	    (port != NULL && cfg_number_in(&pc->f, port, &r, &v) < 0))
		return -1;
	l.port = (uint16_t)v;
	if (port != NULL)
		whole.len = port->off + port->len - addr->off;

	/* the first of a kind in a load replaces the list it had on entry */
	if (!st->listen_set[kind]) {
		st->listen_set[kind] = true;
		*n[kind] = 0;
		cfg_defer_clear(&st->clash[kind]);
	}
	for (k = 0; k < CCONF_KINDS; k++) {
		o = clash(&l, list[k], *n[k]);
		if (o == NULL)
			continue;
		if (st->listen_set[k])
			return cfg_error(&pc->f, &whole, "%s port %u is already taken "
					 "by listen %s on %s port %u, expected another "
					 "address or port", l.addr, l.port,
					 kind_names[k], o->addr, o->port);
		/* a list no statement replaced yet: an error only if none does */
		if (!st->clash[k].set &&
		    cfg_defer(&pc->f, &st->clash[k], &whole, "%s port %u is already "
			      "taken by the default listen %s on %s port %u, expected "
			      "another address or port, or a 'listen %s' statement",
			      l.addr, l.port, kind_names[k], o->addr, o->port,
			      kind_names[k]) < 0)
			return -1;
	}
	if (*n[kind] >= CCONF_MAX_LISTEN)
		return cfg_error(&pc->f, &whole, "too many 'listen %s' addresses, "
				 "the limit is %d", kind_names[kind], CCONF_MAX_LISTEN);
	list[kind][(*n[kind])++] = l;
	return 0;
}

int cconf_set_ping_listen(struct ccf_pctx *pc, const struct cfg_loc *addr,
			  const struct cfg_loc *port)
{
	struct console_conf *c = &pc->st->c;
	struct cfg_range r = { "ping-listen port", CFG_COUNT, 1, 65535, false };
	struct cconf_listen l = { .port = 0 };
	struct cfg_loc whole = *addr;
	uint64_t v;

	whole.len = port->off + port->len - addr->off;
	if (parse_addr(pc, addr, &l) < 0 || cfg_number_in(&pc->f, port, &r, &v) < 0)
		return -1;
	l.port = (uint16_t)v;
	if (pc->st->ping_set)
		return cfg_error(&pc->f, &whole, "ping-listen is given twice, expected one "
				 "address and port");
	for (int i = 0; i < c->n_https; i++)
		if (c->https[i].port == l.port)
			return cfg_error(&pc->f, &whole, "port %u is the officers' port, expected "
					 "a port of its own for plain HTTP pings", l.port);
	for (int i = 0; i < c->n_sensors; i++)
		if (c->sensors[i].port == l.port)
			return cfg_error(&pc->f, &whole, "port %u is the sensors' port, expected "
					 "a port of its own for plain HTTP pings", l.port);
	pc->st->ping_set = true;
	c->ping = l;
	return 0;
}

/* ---- strings and paths --------------------------------------------------- */

int cconf_set_data(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	struct cconf_state *st = pc->st;

	if (st->data_set)
		return cfg_error(&pc->f, loc, "duplicate 'data' statement, the data "
				 "directory is already set at %s", st->data_at);
	if (s[0] == '\0')
		return cfg_error(&pc->f, loc, "empty path, expected the data directory");
	if (cfg_resolve(&pc->f, loc, s, st->c.data_dir) < 0)
		return -1;
	st->data_set = true;
	snprintf(st->data_at, sizeof(st->data_at), "%s:%d:%d", pc->f.name,
		 loc->line, loc->col);
	return 0;
}

int cconf_set_control(struct ccf_pctx *pc, const struct cfg_loc *loc,
		      const char *s)
{
	char path[PATH_MAX], tok[64];

	if (s[0] == '\0')
		return cfg_error(&pc->f, loc, "empty path, expected the control socket");
	if (cfg_resolve(&pc->f, loc, s, path) < 0)
		return -1;
	if (strlen(path) >= sizeof(pc->st->c.control_path)) {
		cfg_show(tok, sizeof(tok), path, strlen(path));
		return cfg_error(&pc->f, loc, "control socket path '%s' is too long, "
				 "the limit is %zu bytes", tok,
				 sizeof(pc->st->c.control_path) - 1);
	}
	memcpy(pc->st->c.control_path, path, strlen(path) + 1);
	return 0;
}

/* ---- files --------------------------------------------------------------- */

/* One file: a parser context around f, and the parser. */
static int parse_one(void *arg, const struct cfg_src *f)
{
	struct ccf_pctx *pc = calloc(1, sizeof(*pc));
	int r;

	if (pc == NULL) {
		struct cfg_src top = *f;

		return cfg_error(&top, NULL, "out of memory");
	}
	pc->st = arg;
	pc->f = *f;
	r = cconf_scan_parse(pc);
	free(pc);
	return r;
}

int cconf_include(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	return cfg_include(&pc->f, loc, s, parse_one, pc->st);
}

/* What only the whole load can tell: checks between statements and files. */
static int finish(struct cconf_state *st, const char *name)
{
	struct cfg_src top = { .ld = &st->ld, .name = name };
	int k;

	for (k = 0; k < CCONF_KINDS; k++)
		if (cfg_defer_report(&st->ld, &st->clash[k]) < 0)
			return -1;
	if (cfg_defer_report(&st->ld, &st->session) < 0 ||
	    cfg_defer_report(&st->ld, &st->reserved) < 0)
		return -1;
	if (st->inv != NULL && inv_finish(st->inv, st->ld.err, st->ld.errlen) < 0) {
		st->ld.failed = true;
		return -1;
	}
	if (!st->data_set)
		return cfg_error(&top, NULL, "no 'data' statement: the data directory "
				 "is required, e.g. data \"/var/lib/kastro-console\"");
	return 0;
}

/*
 * Everything a load does but reading the top file: work on a copy of *c,
 * copy it back only on success. sb is the top file's, NULL for a buffer.
 */
/* What load() fills; fragment: a hook made in the console (no `data` needed). */
struct load_to {
	struct console_conf *c;
	bool fragment;
};

static int load(const char *name, const char *dir, const char *src, size_t len,
		const struct stat *sb, void *out, char *err, size_t errlen)
{
	struct load_to *to = out;
	struct console_conf *c = to->c;
	struct cconf_state *st = calloc(1, sizeof(*st));
	int r, k;

	if (st == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	cfg_load_init(&st->ld, err, errlen, sb);
	st->c = *c;
	st->c.n_hooks = 0;	/* the hooks are the files' own, never kept from before */
	st->data_set = to->fragment;
	r = cfg_parse_text(&st->ld, name, dir, src, len, 0, parse_one, st);
	if (r == 0)
		r = finish(st, name);
	if (r == 0) {
		/* the new inventory replaces the old one */
		inv_free(c->inv);
		cconf_plugins_free(c->plugins);
		*c = st->c;
		c->inv = st->inv;
		c->plugins = st->plugins;
		st->inv = NULL;
		st->plugins = NULL;
	}
	inv_free(st->inv);
	cconf_plugins_free(st->plugins);
	for (k = 0; k < CCONF_KINDS; k++)
		cfg_defer_clear(&st->clash[k]);
	cfg_defer_clear(&st->session);
	cfg_defer_clear(&st->reserved);
	free(st);
	return r;
}

int cconf_load(const char *path, struct console_conf *c, char *err, size_t errlen)
{
	struct load_to to = { c, false };

	return cfg_load_file(path, load, &to, err, errlen);
}

int cconf_load_buffer(const char *name, const char *buf, size_t len,
		      const char *dir, struct console_conf *c, char *err,
		      size_t errlen)
{
	struct load_to to = { c, false };

	return cfg_load_buffer(name, buf, len, dir, load, &to, err, errlen);
}

int cconf_load_fragment(const char *name, const char *buf, size_t len, const char *dir,
			struct console_conf *c, char *err, size_t errlen)
{
	struct load_to to = { c, true };

	return cfg_load_buffer(name, buf, len, dir, load, &to, err, errlen);
}

/* ---- the default file ---------------------------------------------------- */


/* Text appended to a fixed buffer; a cut makes the whole text fail. */
struct text {
	char *p;
	size_t cap, len;
	bool cut;
};

static void __attribute__((format(printf, 2, 3)))
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->cut = true;
	else
		t->len += (size_t)n;
}

/* One setting of a block with its comment, the comments in one column. */
static void setting(struct text *t, const char *name, const char *value,
		    const char *comment)
{
	char s[64];

	snprintf(s, sizeof(s), "%s %s", name, value);
	add(t, "\t%-28s# %s\n", s, comment);
}

/*
 * The commented console.conf for the data directory data (already quoted)
 * into out: the defaults of cconf_defaults(), so that the two never differ.
 * Returns its length, or -1 when out is too small.
 */
static int default_text(const char *data, char *out, size_t outlen)
{
	struct text t = { out, outlen, 0, false };
	struct console_conf d;
	char v[32];

	cconf_defaults(&d);
	add(&t, "# kastro-console configuration, written by `kastro-console init`.\n"
		"# Every setting but `data` holds its built-in default; the reference\n"
		"# is docs/config.md. Relative paths are relative to this file's\n"
		"# directory. Check a change with: kastro-console -n -c FILE\n"
		"\n"
		"# The console's own files: CA, server certificate, database.\n"
		"data %s\n"
		"\n"
		"# Officers (web UI, REST API) and the enrolment of sensors, over HTTPS;\n"
		"# and the sensors' port (mutual TLS). One line per address, at most %d\n"
		"# of each kind; * is every IPv4 and IPv6 address.\n"
		"listen https on %s port %u\n"
		"listen sensors on %s port %u\n"
		"\n"
		"# kastroctl's socket.\n"
		"control \"%s\"\n"
		"\n"
		"# error, warning, info or debug.\n"
		"log level info\n"
		"\n"
		"sensor {\n",
		data, CCONF_MAX_LISTEN, d.https[0].addr, d.https[0].port,
		d.sensors[0].addr, d.sensors[0].port, d.control_path);
	cfg_format(v, sizeof(v), CFG_DURATION, d.sensor_offline_after);
	setting(&t, "offline-after", v, "silent this long: the sensor is offline");
	cfg_format(v, sizeof(v), CFG_COUNT, d.cert_days);
	setting(&t, "certificate-days", v, "validity of a sensor's certificate");
	cfg_format(v, sizeof(v), CFG_DURATION, d.token_ttl_default);
	setting(&t, "enrolment-token-ttl", v, "lifetime of an enrolment token");
	cfg_format(v, sizeof(v), CFG_DURATION, d.dedup_window);
	add(&t, "}\n"
		"\n"
		"# The same alert again within this time is merged into the first\n"
		"# (0: never).\n"
		"alerts dedup-window %s\n", v);
	add(&t, "\n"
		"# An officer's session ends after this long idle, or this long in all.\n");
	cfg_format(v, sizeof(v), CFG_DURATION, d.session_idle);
	add(&t, "session idle %s", v);
	cfg_format(v, sizeof(v), CFG_DURATION, d.session_absolute);
	add(&t, " absolute %s\n"
		"\n"
		"# Bounds on every HTTPS connection and request.\n"
		"limits {\n", v);
	cfg_format(v, sizeof(v), CFG_SIZE, d.max_body);
	setting(&t, "body", v, "largest request body");
	cfg_format(v, sizeof(v), CFG_SIZE, d.max_headers);
	setting(&t, "headers", v, "largest request head");
	cfg_format(v, sizeof(v), CFG_COUNT, d.max_connections);
	setting(&t, "connections", v, "open connections per listener kind");
	cfg_format(v, sizeof(v), CFG_DURATION, d.request_timeout);
	setting(&t, "request-timeout", v, "an idle or slow connection is closed");
	cfg_format(v, sizeof(v), CFG_DURATION, d.long_poll_max);
	setting(&t, "long-poll", v, "longest wait of a sensor's command poll");
	cfg_format(v, sizeof(v), CFG_DURATION, d.head_timeout);
	setting(&t, "head-timeout", v, "a request head in all, however it trickles");
	cfg_format(v, sizeof(v), CFG_DURATION, d.body_timeout);
	setting(&t, "body-timeout", v, "a request body in all");
	cfg_format(v, sizeof(v), CFG_COUNT, d.per_address);
	setting(&t, "per-address", v, "officers' port: connections per address or IPv6 /64");
	cfg_format(v, sizeof(v), CFG_COUNT, d.reserved);
	setting(&t, "reserved", v, "officers' port: slots kept for signed-in officers");
	add(&t, "}\n"
		"\n"
		"# Events (by receive time) and resolved alerts (by last seen) older\n"
		"# than this are deleted, a little at a time (0: kept for ever).\n"
		"retention {\n");
	cfg_format(v, sizeof(v), CFG_DURATION, d.retain_events);
	setting(&t, "events", v, "every event a sensor sent");
	cfg_format(v, sizeof(v), CFG_DURATION, d.retain_alerts);
	setting(&t, "resolved-alerts", v, "open alerts are kept");
	add(&t, "}\n"
		"\n"
		"# What one sensor may send: batches beyond it are refused before they\n"
		"# are acknowledged (the sensor keeps and resends them), counted and\n"
		"# alerted. A rate of 0: no limit.\n"
		"quota {\n");
	cfg_format(v, sizeof(v), CFG_COUNT, d.quota_events);
	setting(&t, "events-per-second", v, "sustained events per sensor");
	cfg_format(v, sizeof(v), CFG_SIZE, d.quota_bytes);
	setting(&t, "bytes-per-second", v, "sustained bytes per sensor");
	cfg_format(v, sizeof(v), CFG_DURATION, d.quota_burst);
	setting(&t, "burst", v, "this many seconds' worth may come at once");
	add(&t, "}\n"
		"\n"
		"# The console drops root for this user once its files are open.\n"
		"user \"%s\"\n", d.user);
	return t.cut ? -1 : (int)t.len;
}

int cconf_write_default(const char *path, const char *data_dir, char *err,
			size_t errlen)
{
	char abs[PATH_MAX], file[PATH_MAX], dir[PATH_MAX];
	char quoted[2 * PATH_MAX + 3], text[sizeof(quoted) + 4096], why[512];
	struct console_conf check;
	int fd, n;

	if (errlen > 0)
		err[0] = '\0';
	if (data_dir[0] == '\0') {
		snprintf(err, errlen, "%s: empty data directory", path);
		return -1;
	}
	if (cfg_abs_path(data_dir, abs, err, errlen) < 0)
		return -1;
	if (cfg_quote(abs, quoted, sizeof(quoted)) < 0) {
		snprintf(err, errlen, "%s: the data directory %s cannot be written "
			 "in a configuration string (control characters, or too long)",
			 path, abs);
		return -1;
	}
	n = default_text(quoted, text, sizeof(text));
	if (n < 0) {
		snprintf(err, errlen, "%s: the configuration text is too long", path);
		return -1;
	}
	/* What is written must load: check it before the file exists. */
	if (cfg_abs_path(path, file, err, errlen) < 0)
		return -1;
	cfg_dir_of(file, dir);
	cconf_defaults(&check);
	if (cconf_load_buffer(path, text, (size_t)n, dir, &check, why,
			      sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: the default configuration does not load: %s",
			 path, why);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	/* the mode whatever the umask: root writes it, the console's group reads */
	if (fchmod(fd, 0640) < 0 || fdio_write_all(fd, text, (size_t)n) < 0 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}
