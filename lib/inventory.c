/*
 * inventory.c - the services inventory's parser (inventory.h; reference:
 * docs/services.md).
 *
 * Written by hand as a recursive-descent parser rather than a third
 * bison/flex grammar, for one reason: a `service` block must be readable
 * from inside other grammars (console.conf today, kastro.conf next) without
 * each of them carrying a copy of its statements. A host scanner that
 * meets `service` hands its buffer and position to inv_parse_service(),
 * which parses exactly one block and says where it ended; the host goes on
 * from there. Errors, strings, numbers with units, includes and close
 * matches all come from lib/cfg, so the messages read like the other
 * grammars': "file:line:col: what, expected what", the line and a caret.
 *
 * Tokens: '{', '}', ';', quoted strings (escapes \" and \\ only, no control
 * bytes but tab), and bare words: runs of letters, digits and "_.:/+-",
 * read by context as keywords, numbers with units, addresses, port ranges
 * or times of day. '#' starts a comment to the end of the line.
 *
 * A statement ends where the next keyword of the block starts, so one line
 * may hold several (`owner "finance" rpo 1h rto 4h`). The keywords of a
 * check's options and of the block's statements are disjoint for that.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "dnsq.h"
#include "errf.h"
#include "num.h"
#include "probe.h"

#define MINUTE 60
#define HOUR   3600
#define DAY    86400

enum tok { T_EOF, T_WORD, T_STR, T_LBRACE, T_RBRACE, T_SEMI, T_ERR };

/* The scanner and parser of one block (or one file of blocks). */
struct px {
	struct inventory *inv;
	struct cfg_src *f;
	struct cfg_scan sc;
	enum tok t;                    /* the current token */
	struct cfg_loc loc;
	char str[INV_TEXT_MAX * 2];    /* a string's text, unescaped; may be cut: checked */
	size_t slen;
	bool long_str;                 /* the string did not fit str */
	int proto;                     /* of the `ports` statement being read */
};

/* ---- scanner ------------------------------------------------------------- */

static bool bare_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' ||
	       c == '-';
}

static void step(struct px *p, struct cfg_loc *loc, size_t n)
{
	cfg_scan_step(&p->sc, loc, p->f->text + p->sc.off, n);
}

/* The next token into p->t, p->loc; T_ERR after reporting an error. */
static enum tok next(struct px *p)
{
	const char *s = p->f->text;
	size_t len = p->f->len, i;
	struct cfg_loc skip;

	for (;;) {
		if (p->sc.off >= len) {
			cfg_scan_eof(&p->sc, &p->loc);
			return p->t = T_EOF;
		}
		unsigned char c = (unsigned char)s[p->sc.off];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			step(p, &skip, 1);
		} else if (c == '#') {
			for (i = p->sc.off; i < len && s[i] != '\n' && s[i] != '\0'; i++)
				;
			step(p, &skip, i - p->sc.off);
		} else {
			break;
		}
	}
	unsigned char c = (unsigned char)s[p->sc.off];
	if (c == '{' || c == '}' || c == ';') {
		step(p, &p->loc, 1);
		p->sc.last = p->loc;
		return p->t = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_SEMI;
	}
	if (bare_char(c)) {
		for (i = p->sc.off; i < len && bare_char((unsigned char)s[i]); i++)
			;
		step(p, &p->loc, i - p->sc.off);
		p->sc.last = p->loc;
		return p->t = T_WORD;
	}
	if (c == '"') {
		struct cfg_loc q;
		size_t start = p->sc.off;

		step(p, &q, 1);
		p->slen = 0;
		p->long_str = false;
		for (;;) {
			struct cfg_loc part;
			size_t j = p->sc.off;
			char ch;

			if (j >= len) {
				p->sc.str_loc = q;
				cfg_str_unterminated(p->f, &p->sc, len, "file");
				return p->t = T_ERR;
			}
			ch = s[j];
			if (ch == '"')
				break;
			if (ch == '\n') {
				p->sc.str_loc = q;
				cfg_str_unterminated(p->f, &p->sc, j, "line");
				return p->t = T_ERR;
			}
			if (ch == '\\') {
				if (j + 1 >= len || (s[j + 1] != '"' && s[j + 1] != '\\')) {
					step(p, &part, j + 1 < len && s[j + 1] != '\n' ? 2 : 1);
					cfg_error(p->f, &part, "invalid escape in a string, "
						  "expected \\\" or \\\\");
					return p->t = T_ERR;
				}
				step(p, &part, 2);
				ch = s[j + 1];
			} else {
				if (ch == '\0' || ((unsigned char)ch < 0x20 && ch != '\t') ||
				    ch == 0x7f) {
					step(p, &part, 1);
					cfg_error(p->f, &part, "%s in a string",
						  ch == '\0' ? "NUL byte" : "control character");
					return p->t = T_ERR;
				}
				step(p, &part, 1);
			}
			if (p->slen + 1 < sizeof(p->str))
				p->str[p->slen++] = ch;
			else
				p->long_str = true;
		}
		step(p, &skip, 1);
		p->str[p->slen] = '\0';
		p->loc = q;
		p->loc.len = p->sc.off - start;
		p->sc.last = p->loc;
		return p->t = T_STR;
	}
	step(p, &p->loc, 1);
	if (c == '\0')
		cfg_error(p->f, &p->loc, "NUL byte in the file");
	else if (c >= 0x21 && c <= 0x7e)
		cfg_error(p->f, &p->loc, "unexpected character '%c'", c);
	else
		cfg_error(p->f, &p->loc, "unexpected byte 0x%02x", c);
	return p->t = T_ERR;
}

/* ---- helpers ------------------------------------------------------------- */

static bool is_word(const struct px *p, const char *w)
{
	return p->t == T_WORD && p->loc.len == strlen(w) &&
	       memcmp(p->f->text + p->loc.off, w, p->loc.len) == 0;
}

/* Index of the current word in names, or -1. */
static int word_in(const struct px *p, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (is_word(p, names[i]))
			return i;
	return -1;
}

static int syntax(struct px *p, const char *const *exp, int n)
{
	if (p->t == T_ERR)
		return -1;
	return cfg_syntax_error(p->f, &p->loc, exp, n, NULL, 0, NULL);
}

static int expect_one(struct px *p, const char *what)
{
	const char *exp[1] = { what };

	return syntax(p, exp, 1);
}

/* The current token must be a string that fits max bytes; copy it to out. */
static int take_string(struct px *p, const char *what, char *out, size_t max)
{
	char tok[64];

	if (p->t != T_STR)
		return expect_one(p, what);
	if (p->long_str || p->slen >= max) {
		cfg_show(tok, sizeof(tok), p->str, p->slen);
		return cfg_error(p->f, &p->loc, "%s \"%s\" is too long, the limit is %zu bytes",
				 what, tok, max - 1);
	}
	if (p->slen == 0)
		return cfg_error(p->f, &p->loc, "%s is empty", what);
	memcpy(out, p->str, p->slen + 1);
	return 0;
}

static int take_number(struct px *p, const struct cfg_range *r, uint64_t *v)
{
	if (p->t != T_WORD || !isdigit((unsigned char)p->f->text[p->loc.off])) {
		const char *exp[1] = { r->unit == CFG_DURATION ? "a duration such as 30s, 5m, 1h, 1d"
							      : "a number" };
		return syntax(p, exp, 1);
	}
	return cfg_number_in(p->f, &p->loc, r, v);
}

/* "file:line:col" of loc, for messages given after the file is closed. */
static void where(struct px *p, const struct cfg_loc *loc, char *out, size_t outlen)
{
	const char *name = p->f->name;
	size_t n = strlen(name);

	/* the end of a long name tells more than its start */
	if (n > outlen - 32)
		name += n - (outlen - 32);
	snprintf(out, outlen, "%s:%d:%d", name, loc->line, loc->col);
}

/* The word at loc must be one of names: its index, else an error with a hint. */
static int choose(struct px *p, const char *what, const char *const *names, int n)
{
	char tok[64], list[512];
	const char *best;
	int i;

	if (p->t != T_WORD)
		return syntax(p, names, n);
	i = word_in(p, names, n);
	if (i >= 0)
		return i;
	cfg_show(tok, sizeof(tok), p->f->text + p->loc.off, p->loc.len);
	best = cfg_choices(list, sizeof(list), p->f->text + p->loc.off, p->loc.len, names, n);
	if (best != NULL)
		return cfg_error(p->f, &p->loc, "unknown %s '%s', expected one of: %s; did you mean '%s'?",
				 what, tok, list, best);
	return cfg_error(p->f, &p->loc, "unknown %s '%s', expected one of: %s", what, tok, list);
}

/* ---- the block's statements ---------------------------------------------- */

static const char *const stmt_names[] = {
	"address", "ports", "owner", "rpo", "rto", "criticality", "public", "check",
	"depends", "maintenance", "backup", "synproxy",
};
enum { S_ADDRESS, S_PORTS, S_OWNER, S_RPO, S_RTO, S_CRIT, S_PUBLIC, S_CHECK, S_DEPENDS,
       S_MAINT, S_BACKUP, S_SYNPROXY, S_N };
_Static_assert(S_N == sizeof(stmt_names) / sizeof(stmt_names[0]), "one name per statement");

/* A block's statement keyword, '}' or ';' ends a check's options. */
static bool at_stmt_end(const struct px *p)
{
	return p->t != T_WORD || word_in(p, stmt_names, S_N) >= 0;
}

static int parse_address1(struct px *p, struct inv_service *sv)
{
	char a[80], tok[64], *slash;
	unsigned char bin[16];
	int af;
	uint64_t plen = 0;
	bool net = false;

	if (p->t != T_WORD)
		return expect_one(p, "an address such as 10.20.0.17 or fd00:20::17");
	cfg_show(tok, sizeof(tok), p->f->text + p->loc.off, p->loc.len);
	if (p->loc.len >= sizeof(a))
		return cfg_error(p->f, &p->loc, "'%s' is not an address", tok);
	memcpy(a, p->f->text + p->loc.off, p->loc.len);
	a[p->loc.len] = '\0';
	slash = strchr(a, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		net = true;
	}
	af = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, a, bin) != 1)
		return cfg_error(p->f, &p->loc, "'%s' is not an IPv4 or IPv6 address", tok);
	if (net && num_parse_u64(slash, 0, af == AF_INET ? 32 : 128, &plen) < 0)
		return cfg_error(p->f, &p->loc, "'%s': the prefix length must be 0 .. %d", tok,
				 af == AF_INET ? 32 : 128);
	/* a network's host bits would be dropped by the gateway's rules */
	for (unsigned bit = net ? (unsigned)plen : 128; bit < (af == AF_INET ? 32u : 128u); bit++)
		if (bin[bit / 8] & (0x80u >> (bit % 8)))
			return cfg_error(p->f, &p->loc, "'%s' has host bits set, expected a network "
					 "address", tok);
	if (sv->n_addrs >= INV_MAX_ADDRS)
		return cfg_error(p->f, &p->loc, "too many addresses in service \"%s\", the limit "
				 "is %d", sv->name, INV_MAX_ADDRS);
	if (inet_ntop(af, bin, a, INET6_ADDRSTRLEN) == NULL)
		return cfg_error(p->f, &p->loc, "'%s' is not an IPv4 or IPv6 address", tok);
	a[INET6_ADDRSTRLEN - 1] = '\0';
	if (net)
		snprintf(sv->addrs[sv->n_addrs], sizeof(sv->addrs[0]), "%.46s/%u", a,
			 (unsigned)plen);
	else
		snprintf(sv->addrs[sv->n_addrs], sizeof(sv->addrs[0]), "%.46s", a);
	sv->n_addrs++;
	return next(p) == T_ERR ? -1 : 0;
}

/* A list: one item, or items in braces. */
static int list_of(struct px *p, int (*one)(struct px *, struct inv_service *),
		   struct inv_service *sv, const char *what)
{
	if (p->t != T_LBRACE)
		return one(p, sv);
	if (next(p) == T_ERR)
		return -1;
	if (p->t == T_RBRACE)
		return cfg_error(p->f, &p->loc, "empty list, expected at least one %s", what);
	while (p->t != T_RBRACE) {
		if (p->t == T_EOF)
			return expect_one(p, "'}'");
		if (one(p, sv) < 0)
			return -1;
	}
	return next(p) == T_ERR ? -1 : 0;
}

static int parse_port1(struct px *p, struct inv_service *sv)
{
	char a[32], tok[64], *dash;
	uint64_t lo, hi;

	if (p->t != T_WORD || !isdigit((unsigned char)p->f->text[p->loc.off]))
		return expect_one(p, "a port such as 443 or a range such as 8000-8080");
	cfg_show(tok, sizeof(tok), p->f->text + p->loc.off, p->loc.len);
	if (p->loc.len >= sizeof(a))
		return cfg_error(p->f, &p->loc, "'%s' is not a port", tok);
	memcpy(a, p->f->text + p->loc.off, p->loc.len);
	a[p->loc.len] = '\0';
	dash = strchr(a, '-');
	if (dash != NULL)
		*dash++ = '\0';
	if (num_parse_u64(a, 1, 65535, &lo) < 0 ||
	    (dash != NULL && (num_parse_u64(dash, 1, 65535, &hi) < 0 || hi < lo)))
		return cfg_error(p->f, &p->loc, "'%s' is not a port (1 .. 65535) or a range "
				 "LOW-HIGH", tok);
	if (dash == NULL)
		hi = lo;
	if (sv->n_ports >= INV_MAX_PORTS)
		return cfg_error(p->f, &p->loc, "too many ports in service \"%s\", the limit is %d",
				 sv->name, INV_MAX_PORTS);
	sv->ports[sv->n_ports].proto = (uint8_t)p->proto;
	sv->ports[sv->n_ports].lo = (uint16_t)lo;
	sv->ports[sv->n_ports].hi = (uint16_t)hi;
	sv->n_ports++;
	return next(p) == T_ERR ? -1 : 0;
}

/* ---- checks -------------------------------------------------------------- */

static const char *const kind_names[INV_CHK_KINDS] = {
	[INV_CHK_HTTP] = "http", [INV_CHK_HTTPS] = "https", [INV_CHK_TCP] = "tcp",
	[INV_CHK_DNS] = "dns", [INV_CHK_TLS] = "tls", [INV_CHK_ICMP] = "icmp",
	[INV_CHK_PLUGIN] = "plugin", [INV_CHK_PUSH] = "push",
};

const char *inv_kind_name(enum inv_check_kind k)
{
	return (unsigned)k < INV_CHK_KINDS ? kind_names[k] : "?";
}

static const char *const crit_names[] = { "low", "medium", "high", "critical" };

const char *inv_crit_name(enum inv_crit c)
{
	return (unsigned)c < 4 ? crit_names[c] : "?";
}

enum opt {
	O_EVERY, O_TIMEOUT, O_RETRIES, O_RETRY_EVERY, O_STATUS, O_KEYWORD, O_REGEX,
	O_REDIRECTS, O_CA, O_PORT, O_WARN, O_TYPE, O_SERVER, O_EXPECT, O_RCODE, O_UUID,
	O_PERIOD, O_GRACE, O_FROM, O_SCHEDULE, O_TZ, O_STARTTLS, O_JSON,
	O_WARN_TIME, O_CRIT_TIME, O_N
};
static const char *const opt_names[O_N] = {
	"every", "timeout", "retries", "retry-every", "status", "keyword", "regex",
	"redirects", "ca", "port", "warn", "type", "server", "expect", "rcode", "uuid",
	"period", "grace", "from", "schedule", "tz", "starttls", "json",
	"warn-time", "critical-time",
};
#define B(o) (1u << (o))
#define PROBE (B(O_EVERY) | B(O_TIMEOUT) | B(O_RETRIES) | B(O_RETRY_EVERY))
#define HTTP (PROBE | B(O_STATUS) | B(O_KEYWORD) | B(O_REGEX) | B(O_REDIRECTS) | B(O_FROM) | \
	      B(O_JSON) | B(O_WARN_TIME) | B(O_CRIT_TIME))
/* The options each kind takes. */
static const unsigned kind_opts[INV_CHK_KINDS] = {
	[INV_CHK_HTTP] = HTTP,
	[INV_CHK_HTTPS] = HTTP | B(O_CA),
	[INV_CHK_TCP] = PROBE | B(O_PORT) | B(O_FROM),
	[INV_CHK_DNS] = PROBE | B(O_TYPE) | B(O_SERVER) | B(O_EXPECT) | B(O_RCODE) | B(O_FROM),
	[INV_CHK_TLS] = PROBE | B(O_PORT) | B(O_WARN) | B(O_CA) | B(O_STARTTLS) | B(O_FROM),
	[INV_CHK_ICMP] = PROBE,
	[INV_CHK_PLUGIN] = PROBE | B(O_FROM),
	[INV_CHK_PUSH] = B(O_UUID) | B(O_PERIOD) | B(O_GRACE) | B(O_SCHEDULE) | B(O_TZ),
};

static const struct cfg_range r_every = { "every", CFG_DURATION, 5, DAY, false };
static const struct cfg_range r_timeout = { "timeout", CFG_DURATION, 1, 5 * MINUTE, false };
static const struct cfg_range r_retries = { "retries", CFG_COUNT, 1, 10, false };
static const struct cfg_range r_retry = { "retry-every", CFG_DURATION, 5, DAY, false };
static const struct cfg_range r_status = { "status", CFG_COUNT, 100, 599, false };
static const struct cfg_range r_port = { "port", CFG_COUNT, 1, 65535, false };
static const struct cfg_range r_warn = { "warn", CFG_DURATION, DAY, 365 * DAY, false };
static const struct cfg_range r_period = { "period", CFG_DURATION, MINUTE, 365 * DAY, false };
static const struct cfg_range r_grace = { "grace", CFG_DURATION, MINUTE, 30 * DAY, false };
static const struct cfg_range r_time = { "rpo and rto", CFG_DURATION, 1, 366 * DAY, false };

static int opt_word(struct px *p, const char *const *names, int n, const char *what,
		    char *out, size_t outlen)
{
	int i = choose(p, what, names, n);

	if (i < 0)
		return -1;
	snprintf(out, outlen, "%s", names[i]);
	return next(p) == T_ERR ? -1 : 0;
}

static int parse_uuid(struct px *p, struct inv_check *c)
{
	static const char fmt[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	char u[INV_UUID_LEN + 2], tok[64];   /* one more, to tell a longer string */

	if (p->t == T_STR && p->slen >= sizeof(u))
		goto bad;
	if (take_string(p, "a UUID in quotes", u, sizeof(u)) < 0)
		return -1;
	cfg_show(tok, sizeof(tok), p->str, p->slen);
	if (strlen(u) != INV_UUID_LEN)
		goto bad;
	for (int i = 0; i < INV_UUID_LEN; i++) {
		if (fmt[i] == '-' ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			goto bad;
		u[i] = (char)tolower((unsigned char)u[i]);
	}
	memcpy(c->uuid, u, sizeof(c->uuid));
	return next(p) == T_ERR ? -1 : 0;
bad:
	cfg_show(tok, sizeof(tok), p->str, p->slen);
	return cfg_error(p->f, &p->loc, "\"%s\" is not a UUID, expected 36 characters "
			 "such as \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" (uuidgen makes one)", tok);
}

/* `500ms`, `2s`, `1m`: milliseconds, 1ms to 5m. */
static int take_ms(struct px *p, uint32_t *ms)
{
	const char *s = p->f->text + p->loc.off;
	unsigned long v = 0, unit;
	size_t i = 0, n = p->loc.len;

	if (p->t != T_WORD)
		return expect_one(p, "a time such as 500ms or 2s");
	while (i < n && isdigit((unsigned char)s[i]) && v < 1000000)
		v = v * 10 + (unsigned long)(s[i++] - '0');
	if (i == 0 || i == n || v >= 1000000)
		goto bad;
	if (n - i == 2 && s[i] == 'm' && s[i + 1] == 's')
		unit = 1;
	else if (n - i == 1 && (s[i] == 's' || s[i] == 'm'))
		unit = s[i] == 's' ? 1000 : 60000;
	else
		goto bad;
	if (v * unit < 1 || v * unit > 5 * 60000)
		return cfg_error(p->f, &p->loc, "a response time from 1ms to 5m");
	*ms = (uint32_t)(v * unit);
	return 0;
bad:
	return cfg_error(p->f, &p->loc, "expected a time such as 500ms, 2s or 1m");
}

/* `json "PATH" is "TEXT"`, `json "PATH" below N`, `json "PATH" above N`, after `json`. */
static int parse_json(struct px *p, struct inv_check *c)
{
	static const char *const ops[] = { "is", "below", "above" };
	char why[200], *end;
	double d;
	int i;

	if (take_string(p, "a JSON path in quotes, such as \"status.database\"", c->json_path,
			sizeof(c->json_path)) < 0)
		return -1;
	if (jsonpath_check(c->json_path, why, sizeof(why)) < 0)
		return cfg_error(p->f, &p->loc, "%s", why);
	if (next(p) == T_ERR || (i = choose(p, "JSON condition", ops, 3)) < 0 ||
	    next(p) == T_ERR)
		return -1;
	c->json_op = i == 0 ? JSONPATH_IS : i == 1 ? JSONPATH_BELOW : JSONPATH_ABOVE;
	if (i == 0)
		return take_string(p, "a value in quotes, such as \"up\"", c->json_value,
				   sizeof(c->json_value));
	if (p->t != T_WORD || p->loc.len >= 32)
		return expect_one(p, "a number such as 100 or 0.5");
	memcpy(c->json_value, p->f->text + p->loc.off, p->loc.len);
	c->json_value[p->loc.len] = '\0';
	d = strtod(c->json_value, &end);
	if (*end != '\0' || !isfinite(d) || !(isdigit((unsigned char)c->json_value[0]) ||
					     c->json_value[0] == '-'))
		return cfg_error(p->f, &p->loc, "expected a number such as 100 or 0.5");
	return 0;
}

static int parse_option(struct px *p, struct inv_check *c, int o, unsigned *seen)
{
	struct cfg_loc at = p->loc;
	uint64_t v;
	char tok[64];

	cfg_show(tok, sizeof(tok), p->f->text + at.off, at.len);
	if (*seen & B(o))
		return cfg_error(p->f, &at, "'%s' is given twice in this check", tok);
	*seen |= B(o);
	if (next(p) == T_ERR)
		return -1;
	switch ((enum opt)o) {
	case O_EVERY:
		if (take_number(p, &r_every, &v) < 0)
			return -1;
		c->every = (uint32_t)v;
		break;
	case O_TIMEOUT:
		if (take_number(p, &r_timeout, &v) < 0)
			return -1;
		c->timeout = (uint32_t)v;
		break;
	case O_RETRIES:
		if (take_number(p, &r_retries, &v) < 0)
			return -1;
		c->retries = (uint32_t)v;
		break;
	case O_RETRY_EVERY:
		if (take_number(p, &r_retry, &v) < 0)
			return -1;
		c->retry_every = (uint32_t)v;
		break;
	case O_STATUS:
		if (take_number(p, &r_status, &v) < 0)
			return -1;
		c->status = (uint16_t)v;
		break;
	case O_KEYWORD:
		return take_string(p, "a keyword in quotes", c->keyword, sizeof(c->keyword)) < 0 ||
		       next(p) == T_ERR ? -1 : 0;
	case O_REGEX: {
		regex_t re;
		int r;

		if (take_string(p, "a regular expression in quotes", c->regex,
				sizeof(c->regex)) < 0)
			return -1;
		{
			char why[160];

			if (probe_regex_bounded(c->regex, why, sizeof(why)) < 0)
				return cfg_error(p->f, &p->loc, "%s", why);
		}
		r = regcomp(&re, c->regex, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char why[128];

			regerror(r, &re, why, sizeof(why));
			regfree(&re);
			return cfg_error(p->f, &p->loc, "not a POSIX extended regular expression: %s",
					 why);
		}
		regfree(&re);
		break;
	}
	case O_REDIRECTS: {
		static const char *const r[] = { "follow", "no" };
		int i = choose(p, "redirect policy", r, 2);

		if (i < 0)
			return -1;
		c->redirects = i == 0 ? INV_REDIR_FOLLOW : INV_REDIR_NO;
		break;
	}
	case O_CA: {
		char path[PATH_MAX];

		if (take_string(p, "a CA file in quotes", c->ca, sizeof(c->ca)) < 0 ||
		    cfg_resolve(p->f, &p->loc, p->str, path) < 0)
			return -1;
		if (strlen(path) >= sizeof(c->ca))
			return cfg_error(p->f, &p->loc, "the CA file's path is too long, the "
					 "limit is %zu bytes", sizeof(c->ca) - 1);
		memcpy(c->ca, path, strlen(path) + 1);
		break;
	}
	case O_PORT:
		if (take_number(p, &r_port, &v) < 0)
			return -1;
		c->port = (uint16_t)v;
		break;
	case O_WARN:
		for (int i = 0; i < 3; i++) {
			if (i > 0 && next(p) == T_ERR)
				return -1;
			if (take_number(p, &r_warn, &v) < 0)
				return -1;
			c->warn_days[i] = (uint32_t)(v / DAY);
			if (v % DAY != 0 || (i > 0 && c->warn_days[i] >= c->warn_days[i - 1]))
				return cfg_error(p->f, &p->loc, "warn takes three whole days, "
						 "longest first, such as warn 21d 14d 7d");
		}
		break;
	case O_TYPE: {
		static const char *const t[] = { "A", "AAAA", "CNAME", "MX", "NS", "TXT" };

		return opt_word(p, t, 6, "DNS type", c->dns_type, sizeof(c->dns_type));
	}
	case O_SERVER: {
		struct sockaddr_storage ss;
		socklen_t sl;
		char why[160];

		if (take_string(p, "a DNS server's address in quotes", c->dns_server,
				sizeof(c->dns_server)) < 0)
			return -1;
		if (dnsq_server(c->dns_server, &ss, &sl, why, sizeof(why)) < 0)
			return cfg_error(p->f, &p->loc, "%s", why);
		break;
	}
	case O_EXPECT:
		if (take_string(p, "an expected answer in quotes", c->dns_expect,
				sizeof(c->dns_expect)) < 0)
			return -1;
		break;
	case O_RCODE: {
		static const char *const r[] = { "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED" };

		return opt_word(p, r, 4, "DNS rcode", c->dns_rcode, sizeof(c->dns_rcode));
	}
	case O_STARTTLS: {
		static const char *const r[] = { "smtp", "imap", "pop3" };

		return opt_word(p, r, 3, "STARTTLS protocol", c->starttls, sizeof(c->starttls));
	}
	case O_JSON:
		if (parse_json(p, c) < 0)
			return -1;
		break;
	case O_WARN_TIME:
		if (take_ms(p, &c->warn_ms) < 0)
			return -1;
		break;
	case O_CRIT_TIME:
		if (take_ms(p, &c->crit_ms) < 0)
			return -1;
		break;
	case O_UUID:
		return parse_uuid(p, c);
	case O_PERIOD:
		if (take_number(p, &r_period, &v) < 0)
			return -1;
		c->period = (uint32_t)v;
		break;
	case O_GRACE:
		if (take_number(p, &r_grace, &v) < 0)
			return -1;
		c->grace = (uint32_t)v;
		break;
	case O_FROM:
		if (take_string(p, "a sensor's host name in quotes", c->from, sizeof(c->from)) < 0)
			return -1;
		if (c->from[0] == '\0')
			return cfg_error(p->f, &p->loc, "from takes the host name a sensor enrolled "
					 "with, such as from \"web-01\"");
		for (const char *q = c->from; *q != '\0'; q++)
			if ((unsigned char)*q <= ' ' || *q == '"' || *q == '\\' || *q == 0x7f)
				return cfg_error(p->f, &p->loc, "a sensor's host name holds no "
						 "blanks, quotes or control characters");
		break;
	case O_SCHEDULE: {
		char why[200];

		if (take_string(p, "a cron schedule in quotes, such as \"0 2 * * *\"", c->schedule,
				sizeof(c->schedule)) < 0)
			return -1;
		if (cron_parse(c->schedule, &c->cron, why, sizeof(why)) < 0)
			return cfg_error(p->f, &p->loc, "%s", why);
		break;
	}
	case O_TZ: {
		char tz[16];

		if (take_string(p, "\"UTC\" or \"local\"", tz, sizeof(tz)) < 0)
			return -1;
		if (strcmp(tz, "UTC") != 0 && strcmp(tz, "local") != 0)
			return cfg_error(p->f, &p->loc, "tz takes \"UTC\" or \"local\" (the "
					 "console's time zone); other zones are not supported");
		c->sched_utc = tz[0] == 'U';
		break;
	}
	case O_N:
		break;
	}
	return next(p) == T_ERR ? -1 : 0;
}

static bool same_check(const struct inv_check *a, const struct inv_check *b)
{
	if (a->kind != b->kind || strcmp(a->from, b->from) != 0)
		return false;
	if (a->kind == INV_CHK_PUSH || a->kind == INV_CHK_PLUGIN)
		return strcmp(a->name, b->name) == 0;
	return strcmp(a->target, b->target) == 0 && a->port == b->port &&
	       strcmp(a->dns_type, b->dns_type) == 0;
}

/* `check KIND "TARGET" OPTION...`, the current token after `check`. */
static int parse_check(struct px *p, struct inv_service *sv)
{
	struct cfg_loc at = p->loc;
	struct inv_check *c;
	const char *exp[O_N + S_N + 1];
	unsigned seen = 0;
	int k, n;

	if (sv->n_checks >= INV_MAX_CHECKS)
		return cfg_error(p->f, &at, "too many checks in service \"%s\", the limit is %d",
				 sv->name, INV_MAX_CHECKS);
	k = choose(p, "check kind", kind_names, INV_CHK_KINDS);
	if (k < 0)
		return -1;
	c = &sv->checks[sv->n_checks];
	memset(c, 0, sizeof(*c));
	c->kind = (enum inv_check_kind)k;
	where(p, &at, c->at, sizeof(c->at));
	c->every = 60;
	c->timeout = 10;
	c->retries = 3;
	c->redirects = INV_REDIR_FOLLOW;
	c->warn_days[0] = 21;
	c->warn_days[1] = 14;
	c->warn_days[2] = 7;
	snprintf(c->dns_type, sizeof(c->dns_type), "A");
	snprintf(c->dns_rcode, sizeof(c->dns_rcode), "NOERROR");
	c->period = DAY;
	c->grace = HOUR;
	if (next(p) == T_ERR)
		return -1;
	switch (c->kind) {
	case INV_CHK_PUSH:
	case INV_CHK_PLUGIN:
		if (take_string(p, "a name in quotes", c->name, sizeof(c->name)) < 0)
			return -1;
		memcpy(c->target, c->name, sizeof(c->name));
		break;
	case INV_CHK_HTTP:
	case INV_CHK_HTTPS: {
		const char *scheme = c->kind == INV_CHK_HTTP ? "http://" : "https://";

		if (take_string(p, "a URL in quotes", c->target, sizeof(c->target)) < 0)
			return -1;
		if (strncmp(c->target, scheme, strlen(scheme)) != 0 ||
		    c->target[strlen(scheme)] == '\0')
			return cfg_error(p->f, &p->loc, "a %s check takes a URL that starts "
					 "with %s", kind_names[k], scheme);
		for (const char *q = c->target; *q != '\0'; q++)
			if (*q == ' ' || *q == '\t')
				return cfg_error(p->f, &p->loc, "a URL holds no spaces "
						 "(write them as %%20)");
		break;
	}
	default:
		if (take_string(p, c->kind == INV_CHK_DNS ? "a DNS name in quotes" :
				"a host name or address in quotes", c->target,
				sizeof(c->target)) < 0)
			return -1;
		break;
	}
	if (next(p) == T_ERR)
		return -1;
	if (c->kind == INV_CHK_TLS)
		c->port = 443;
	for (;;) {
		int o;

		if (p->t == T_ERR)
			return -1;
		o = p->t == T_WORD ? word_in(p, opt_names, O_N) : -1;
		if (o >= 0 && (kind_opts[k] & B(o))) {
			if (parse_option(p, c, o, &seen) < 0)
				return -1;
			continue;
		}
		if (o == O_FROM)
			return cfg_error(p->f, &p->loc, "a %s check runs from the console only "
					 "(sensors run http, https, tcp, tls, dns and plugin "
					 "checks)", kind_names[k]);
		if (o >= 0)
			return cfg_error(p->f, &p->loc, "a %s check has no option '%s'",
					 kind_names[k], opt_names[o]);
		if (at_stmt_end(p))
			break;
		n = 0;
		for (o = 0; o < O_N; o++)
			if (kind_opts[k] & B(o))
				exp[n++] = opt_names[o];
		for (int s = 0; s < S_N; s++)
			exp[n++] = stmt_names[s];
		exp[n++] = "'}'";
		return syntax(p, exp, n);
	}
	if (c->kind == INV_CHK_TCP && !(seen & B(O_PORT)))
		return cfg_error(p->f, &at, "a tcp check needs a port, such as "
				 "check tcp \"%s\" port 5432", c->target);
	if ((seen & B(O_SCHEDULE)) && (seen & B(O_PERIOD)))
		return cfg_error(p->f, &at, "a push check takes a period or a schedule, not both");
	if ((seen & B(O_TZ)) && !(seen & B(O_SCHEDULE)))
		return cfg_error(p->f, &at, "tz is for a schedule, such as "
				 "schedule \"0 2 * * *\" tz \"UTC\"");
	if (c->kind == INV_CHK_PUSH && !(seen & B(O_UUID)))
		return cfg_error(p->f, &at, "a push check needs its uuid, such as "
				 "uuid \"0b0a1d1e-5c4f-4f59-9a44-3c2c8a7f0e11\" (uuidgen makes one)");
	if (c->warn_ms != 0 && c->crit_ms != 0 && c->warn_ms >= c->crit_ms)
		return cfg_error(p->f, &at, "warn-time must be shorter than critical-time");
	if (c->retry_every == 0)
		c->retry_every = c->every;
	for (int i = 0; i < sv->n_checks; i++)
		if (same_check(&sv->checks[i], c))
			return cfg_error(p->f, &at, "this check is already in service \"%s\" at %s",
					 sv->name, sv->checks[i].at);
	if (c->kind == INV_CHK_PUSH) {
		const struct inv_service *o;

		for (int i = 0; i < sv->n_checks; i++)
			if (sv->checks[i].kind == INV_CHK_PUSH &&
			    strcmp(sv->checks[i].uuid, c->uuid) == 0)
				return cfg_error(p->f, &at, "uuid %s is already the push check's "
						 "at %s", c->uuid, sv->checks[i].at);
		const struct inv_check *d = inv_find_uuid(p->inv, c->uuid, &o);
		if (d != NULL)
			return cfg_error(p->f, &at, "uuid %s is already service \"%s\"'s push "
					 "check at %s: each job needs its own", c->uuid, o->name,
					 d->at);
	}
	sv->n_checks++;
	return 0;
}

static int parse_dep1(struct px *p, struct inv_service *sv)
{
	char name[INV_NAME_MAX];

	if (take_string(p, "a service name in quotes", name, sizeof(name)) < 0)
		return -1;
	if (sv->n_deps >= INV_MAX_DEPS)
		return cfg_error(p->f, &p->loc, "too many dependencies in service \"%s\", the "
				 "limit is %d", sv->name, INV_MAX_DEPS);
	if (strcmp(name, sv->name) == 0)
		return cfg_error(p->f, &p->loc, "service \"%s\" cannot depend on itself", name);
	for (int i = 0; i < sv->n_deps; i++)
		if (strcmp(sv->deps[i], name) == 0)
			return cfg_error(p->f, &p->loc, "\"%s\" is named twice", name);
	memcpy(sv->deps[sv->n_deps], name, sizeof(name));
	where(p, &p->loc, sv->dep_at[sv->n_deps], sizeof(sv->dep_at[0]));
	sv->n_deps++;
	return next(p) == T_ERR ? -1 : 0;
}

/* "HH:MM" at the current word into minutes after midnight. */
static int time_of_day(struct px *p, int *minute)
{
	char a[8], tok[64];
	uint64_t h, m;

	if (p->t != T_WORD)
		return expect_one(p, "a time of day such as 02:30");
	cfg_show(tok, sizeof(tok), p->f->text + p->loc.off, p->loc.len);
	if (p->loc.len != 5 || p->f->text[p->loc.off + 2] != ':')
		goto bad;
	memcpy(a, p->f->text + p->loc.off, 5);
	a[2] = a[5] = '\0';
	if (num_parse_u64(a, 0, 23, &h) < 0 || num_parse_u64(a + 3, 0, 59, &m) < 0)
		goto bad;
	*minute = (int)(h * 60 + m);
	return next(p) == T_ERR ? -1 : 0;
bad:
	return cfg_error(p->f, &p->loc, "'%s' is not a time of day, expected HH:MM "
			 "such as 02:30", tok);
}

static const struct cfg_range r_mlen = { "maintenance length", CFG_DURATION, MINUTE, 30 * DAY,
					 false };

/*
 * maintenance once "2026-12-24 22:00" for 2h
 * maintenance daily 03:00 for 30m
 * maintenance weekly sun 02:00 for 2h
 * Times are local (the console's time zone).
 */
static int parse_maint(struct px *p, struct inv_service *sv)
{
	static const char *const kinds[] = { "once", "daily", "weekly" };
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	struct inv_maint m = { 0 };
	uint64_t v;
	int k;

	if (sv->n_maint >= INV_MAX_MAINT)
		return cfg_error(p->f, &p->loc, "too many maintenance windows in service \"%s\", "
				 "the limit is %d", sv->name, INV_MAX_MAINT);
	k = choose(p, "maintenance kind", kinds, 3);
	if (k < 0 || next(p) == T_ERR)
		return -1;
	m.kind = (enum inv_maint_kind)k;
	if (m.kind == INV_MW_ONCE) {
		char when[32];
		struct tm tm = { 0 };
		const char *end;

		if (take_string(p, "a start such as \"2026-12-24 22:00\"", when, sizeof(when)) < 0)
			return -1;
		end = strptime(when, "%Y-%m-%d %H:%M", &tm);
		if (end == NULL || *end != '\0')
			return cfg_error(p->f, &p->loc, "\"%s\" is not a start time, expected "
					 "\"YYYY-MM-DD HH:MM\" (local time)", when);
		tm.tm_isdst = -1;
		m.start = (int64_t)mktime(&tm);
		if (next(p) == T_ERR)
			return -1;
	} else {
		if (m.kind == INV_MW_WEEKLY) {
			m.wday = choose(p, "day of the week", days, 7);
			if (m.wday < 0 || next(p) == T_ERR)
				return -1;
		}
		if (time_of_day(p, &m.minute) < 0)
			return -1;
	}
	if (!is_word(p, "for"))
		return expect_one(p, "for");
	if (next(p) == T_ERR || take_number(p, &r_mlen, &v) < 0)
		return -1;
	m.length = (uint32_t)v;
	sv->maint[sv->n_maint++] = m;
	return next(p) == T_ERR ? -1 : 0;
}

/* backup restic|borg|dir "WHERE" [host "NAME"] */
static int parse_backup(struct px *p, struct inv_service *sv)
{
	static const char *const kinds[] = { "restic", "borg", "dir" };
	struct inv_backup *b;
	int k;

	if (sv->n_backups >= INV_MAX_BACKUPS)
		return cfg_error(p->f, &p->loc, "too many backups in service \"%s\", the limit "
				 "is %d", sv->name, INV_MAX_BACKUPS);
	k = choose(p, "backup kind", kinds, 3);
	if (k < 0 || next(p) == T_ERR)
		return -1;
	b = &sv->backups[sv->n_backups];
	memset(b, 0, sizeof(*b));
	b->kind = (enum inv_backup_kind)k;
	if (take_string(p, k == 2 ? "a directory in quotes" : "a repository in quotes",
			b->where, sizeof(b->where)) < 0 || next(p) == T_ERR)
		return -1;
	if (is_word(p, "host")) {
		if (next(p) == T_ERR ||
		    take_string(p, "a host name in quotes", b->host, sizeof(b->host)) < 0 ||
		    next(p) == T_ERR)
			return -1;
	}
	sv->n_backups++;
	return 0;
}

static bool good_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static int parse_stmt(struct px *p, struct inv_service *sv, unsigned *seen)
{
	struct cfg_loc at = p->loc;
	uint64_t v;
	int s = p->t == T_WORD ? word_in(p, stmt_names, S_N) : -1;

	if (s < 0) {
		const char *exp[S_N + 1];

		for (int i = 0; i < S_N; i++)
			exp[i] = stmt_names[i];
		exp[S_N] = "'}'";
		return syntax(p, exp, S_N + 1);
	}
	if (next(p) == T_ERR)
		return -1;
	if ((s == S_OWNER || s == S_RPO || s == S_RTO || s == S_CRIT || s == S_PUBLIC ||
	     s == S_SYNPROXY) &&
	    (*seen & B(s))) {
		char tok[64];

		cfg_show(tok, sizeof(tok), p->f->text + at.off, at.len);
		return cfg_error(p->f, &at, "'%s' is given twice in service \"%s\"", tok, sv->name);
	}
	*seen |= B(s);
	switch (s) {
	case S_ADDRESS:
		return list_of(p, parse_address1, sv, "address");
	case S_PORTS: {
		static const char *const protos[] = { "tcp", "udp", "sctp" };
		static const int numbers[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
		int i = choose(p, "protocol", protos, 3);

		if (i < 0 || next(p) == T_ERR)
			return -1;
		p->proto = numbers[i];
		return list_of(p, parse_port1, sv, "port");
	}
	case S_OWNER:
		return take_string(p, "an owner in quotes", sv->owner, sizeof(sv->owner)) < 0 ||
		       next(p) == T_ERR ? -1 : 0;
	case S_RPO:
	case S_RTO:
		if (take_number(p, &r_time, &v) < 0)
			return -1;
		*(s == S_RPO ? &sv->rpo : &sv->rto) = (uint32_t)v;
		return next(p) == T_ERR ? -1 : 0;
	case S_CRIT: {
		int i = choose(p, "criticality", crit_names, 4);

		if (i < 0)
			return -1;
		sv->crit = (enum inv_crit)i;
		return next(p) == T_ERR ? -1 : 0;
	}
	case S_PUBLIC:
		sv->is_public = true;
		return 0;
	case S_SYNPROXY:
		/* the gateway's (daemon/nftgen.c); needs a TCP port there */
		sv->synproxy = true;
		return 0;
	case S_CHECK:
		return parse_check(p, sv);
	case S_DEPENDS:
		return list_of(p, parse_dep1, sv, "service name");
	case S_MAINT:
		return parse_maint(p, sv);
	case S_BACKUP:
		return parse_backup(p, sv);
	}
	return -1;
}

/* Append a block's text to inv->src, up to INV_SRC_MAX bytes in all. */
static void keep_src(struct inventory *inv, const char *text, size_t n)
{
	char *m;

	if (inv->src_over)
		return;
	if (inv->src_len + n + 1 > INV_SRC_MAX ||
	    (m = realloc(inv->src, inv->src_len + n + 2)) == NULL) {
		inv->src_over = true;
		return;
	}
	inv->src = m;
	memcpy(inv->src + inv->src_len, text, n);
	inv->src_len += n;
	inv->src[inv->src_len++] = '\n';
	inv->src[inv->src_len] = '\0';
}

/* `service "NAME" { ... }`, the current token being `service`. */
static int parse_block(struct px *p)
{
	struct inventory *inv = p->inv;
	struct inv_service *sv;
	struct cfg_loc at = p->loc, name_at;
	unsigned seen = 0;
	char name[INV_NAME_MAX];

	if (next(p) == T_ERR ||
	    take_string(p, "a service name in quotes", name, sizeof(name)) < 0)
		return -1;
	name_at = p->loc;
	if (!good_name(name))
		return cfg_error(p->f, &name_at, "service name \"%s\": use letters, digits, "
				 "'-', '_' and '.' only", name);
	const struct inv_service *dup = inv_find(inv, name);
	if (dup != NULL)
		return cfg_error(p->f, &name_at, "service \"%s\" is already defined at %s", name,
				 dup->at);
	if (inv->n >= INV_MAX_SERVICES)
		return cfg_error(p->f, &at, "too many services, the limit is %d", INV_MAX_SERVICES);
	if (inv->n == inv->cap) {
		int cap = inv->cap == 0 ? 16 : inv->cap * 2;
		struct inv_service *n = realloc(inv->svc, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return cfg_error(p->f, &at, "out of memory");
		inv->svc = n;
		inv->cap = cap;
	}
	sv = &inv->svc[inv->n];
	memset(sv, 0, sizeof(*sv));
	memcpy(sv->name, name, sizeof(name));
	where(p, &name_at, sv->at, sizeof(sv->at));
	sv->crit = INV_CRIT_MEDIUM;
	if (next(p) == T_ERR)
		return -1;
	if (p->t != T_LBRACE)
		return expect_one(p, "'{'");
	if (next(p) == T_ERR)
		return -1;
	while (p->t != T_RBRACE) {
		if (p->t == T_SEMI) {
			if (next(p) == T_ERR)
				return -1;
			continue;
		}
		if (parse_stmt(p, sv, &seen) < 0)
			return -1;
	}
	inv->n++;
	keep_src(inv, p->f->text + at.off, p->loc.off + p->loc.len - at.off);
	return 0;
}

int inv_parse_service(struct inventory *inv, struct cfg_src *f, const struct cfg_loc *kw,
		      size_t *end)
{
	struct px *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return cfg_error(f, kw, "out of memory");
	p->inv = inv;
	p->f = f;
	cfg_scan_init(&p->sc);
	p->sc.line = kw->line;
	p->sc.col = kw->col;
	p->sc.off = kw->off;
	if (next(p) != T_WORD || !is_word(p, "service"))
		r = expect_one(p, "service");
	else
		r = parse_block(p);
	/* the closing brace is the current token */
	*end = p->loc.off + p->loc.len;
	free(p);
	return r;
}

/* ---- files of their own -------------------------------------------------- */

/* One file of `service` blocks and `include "file"` statements. */
static int parse_file(void *st, const struct cfg_src *src)
{
	static const char *const top[] = { "service", "include" };
	struct cfg_src f = *src;
	struct px *p = calloc(1, sizeof(*p));
	int r = 0;

	if (p == NULL)
		return cfg_error(&f, NULL, "out of memory");
	p->inv = st;
	p->f = &f;
	cfg_scan_init(&p->sc);
	next(p);
	while (r == 0 && p->t != T_EOF) {
		if (p->t == T_ERR) {
			r = -1;
		} else if (p->t == T_SEMI) {
			next(p);
		} else if (is_word(p, "service")) {
			r = parse_block(p);
			if (r == 0)
				next(p);
		} else if (is_word(p, "include") && ((struct inventory *)st)->no_include) {
			r = cfg_error(&f, &p->loc, "include is not allowed here: this inventory "
				      "was pushed by the console and holds service blocks only");
		} else if (is_word(p, "include")) {
			char path[INV_TEXT_MAX];

			if (next(p) == T_ERR ||
			    take_string(p, "a file name in quotes", path, sizeof(path)) < 0)
				r = -1;
			else
				r = cfg_include(&f, &p->loc, path, parse_file, st);
			if (r == 0)
				next(p);
		} else {
			r = syntax(p, top, 2);
		}
	}
	free(p);
	return r;
}

static int loader(const char *name, const char *dir, const char *src, size_t len,
		  const struct stat *sb, void *out, char *err, size_t errlen)
{
	struct cfg_load ld;

	cfg_load_init(&ld, err, errlen, sb);
	if (cfg_parse_text(&ld, name, dir, src, len, 0, parse_file, out) < 0)
		return -1;
	return inv_finish(out, err, errlen);
}

int inv_load_file(const char *path, struct inventory *inv, char *err, size_t errlen)
{
	return cfg_load_file(path, loader, inv, err, errlen);
}

int inv_load_buffer(const char *name, const char *buf, size_t len, struct inventory *inv,
		    char *err, size_t errlen)
{
	return cfg_load_buffer(name, buf, len, NULL, loader, inv, err, errlen);
}

/* ---- the whole inventory ------------------------------------------------- */

struct inventory *inv_new(void)
{
	return calloc(1, sizeof(struct inventory));
}

void inv_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	free(inv->svc);
	free(inv->src);
	free(inv);
}

const struct inv_service *inv_find(const struct inventory *inv, const char *name)
{
	for (int i = 0; inv != NULL && i < inv->n; i++)
		if (strcmp(inv->svc[i].name, name) == 0)
			return &inv->svc[i];
	return NULL;
}

const struct inv_check *inv_find_uuid(const struct inventory *inv, const char *uuid,
				      const struct inv_service **svc)
{
	for (int i = 0; inv != NULL && i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			const struct inv_check *c = &inv->svc[i].checks[j];

			if (c->kind == INV_CHK_PUSH && strcmp(c->uuid, uuid) == 0) {
				if (svc != NULL)
					*svc = &inv->svc[i];
				return c;
			}
		}
	return NULL;
}

/* Depth-first walk for a cycle through dependencies; state: 0 new, 1 on path, 2 done. */
static int cycle_from(const struct inventory *inv, int i, unsigned char *state, char *err,
		      size_t errlen)
{
	const struct inv_service *sv = &inv->svc[i];

	state[i] = 1;
	for (int d = 0; d < sv->n_deps; d++) {
		int j = (int)(inv_find(inv, sv->deps[d]) - inv->svc);

		if (state[j] == 1)
			return errf(err, errlen, "%s: service \"%s\" depends on \"%s\", which "
				    "depends on it again: dependencies must not form a cycle",
				    sv->dep_at[d], sv->name, sv->deps[d]);
		if (state[j] == 0 && cycle_from(inv, j, state, err, errlen) < 0)
			return -1;
	}
	state[i] = 2;
	return 0;
}

int inv_finish(const struct inventory *inv, char *err, size_t errlen)
{
	unsigned char *state;
	int r = 0;

	for (int i = 0; i < inv->n; i++)
		for (int d = 0; d < inv->svc[i].n_deps; d++)
			if (inv_find(inv, inv->svc[i].deps[d]) == NULL)
				return errf(err, errlen, "%s: service \"%s\" depends on \"%s\", "
					    "which is not in the inventory", inv->svc[i].dep_at[d],
					    inv->svc[i].name, inv->svc[i].deps[d]);
	if (inv->n == 0)
		return 0;
	state = calloc((size_t)inv->n, 1);
	if (state == NULL)
		return errf(err, errlen, "out of memory");
	for (int i = 0; r == 0 && i < inv->n; i++)
		if (state[i] == 0)
			r = cycle_from(inv, i, state, err, errlen);
	free(state);
	return r;
}
