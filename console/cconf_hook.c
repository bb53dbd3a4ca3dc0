/*
 * cconf_hook.c - console.conf's `hook NAME { ... }` blocks and `public-url`:
 * the checked setters the grammar (cconf_parse.y) calls, filling the
 * struct hook_def of hooks.h inside the console_conf being loaded.
 *
 *   hook soc { syslog "tcp://127.0.0.1:5514" format cef }
 *   hook officers { email "smtp://mail.kavala.example:587"
 *                   from "kastro@kavala.example" to "it-security@kavala.example"
 *                   user "kastro" password-file "/etc/kastro/smtp.pass"
 *                   min-severity high language el max-per-hour 20 }
 *   hook chat { webhook "https://chat.kavala.example/hooks/abc" format mattermost
 *               secret-file "/etc/kastro/chat.secret" }
 *
 * Each value is checked as it is parsed (file:line:col, close matches for
 * words); what needs the whole block (a receiver, a format that fits it)
 * is checked at its closing brace and reported at the hook's name. Files
 * named (ca, cert, key, password-file, secret-file) are resolved like every
 * path of the grammar but read only when the hook is used: a secret that
 * cannot be read is the delivery's error, shown per hook, not a reason to
 * refuse the console's start.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cconf.h"
#include "cconf_parse.h"
#include "hooks.h"

#define MINUTE 60
#define HOUR 3600
#define DAY 86400

static struct hook_def *cur(struct ccf_pctx *pc)
{
	return &pc->st->c.hooks[pc->st->c.n_hooks - 1];
}

int cconf_hook_begin(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	struct console_conf *c = &pc->st->c;
	const char *name = s != NULL ? s : pc->f.text + loc->off;
	size_t n = s != NULL ? strlen(s) : loc->len;
	char tok[64];
	int i;

	cfg_show(tok, sizeof(tok), name, n);
	if (n == 0 || n > HOOK_NAME_MAX)
		return cfg_error(&pc->f, loc, "hook name '%s' is %s, expected 1 to %d bytes",
				 tok, n == 0 ? "empty" : "too long", HOOK_NAME_MAX);
	for (size_t k = 0; k < n; k++)
		if (!isalnum((unsigned char)name[k]) && name[k] != '-' && name[k] != '_' &&
		    name[k] != '.')
			return cfg_error(&pc->f, loc, "hook name '%s' holds '%c', expected "
					 "letters, digits, '-', '_' or '.'", tok,
					 isprint((unsigned char)name[k]) ? name[k] : '?');
	for (i = 0; i < c->n_hooks; i++)
		if (strlen(c->hooks[i].name) == n && memcmp(c->hooks[i].name, name, n) == 0)
			return cfg_error(&pc->f, loc, "duplicate hook '%s', already defined at %s",
					 tok, c->hooks[i].at);
	if (c->n_hooks >= CCONF_MAX_HOOKS)
		return cfg_error(&pc->f, loc, "too many hooks, the limit is %d", CCONF_MAX_HOOKS);
	c->n_hooks++;
	hook_defaults(cur(pc), "");
	memcpy(cur(pc)->name, name, n);
	cur(pc)->name[n] = '\0';
	snprintf(cur(pc)->at, sizeof(cur(pc)->at), "%.40s:%d", pc->f.name, loc->line);
	pc->st->hook_loc = *loc;
	pc->st->hook_types_set = false;
	return 0;
}

int cconf_hook_end(struct ccf_pctx *pc)
{
	char why[256];

	if (hook_check(cur(pc), why, sizeof(why)) < 0)
		return cfg_error(&pc->f, &pc->st->hook_loc, "hook '%s': %s", cur(pc)->name, why);
	return 0;
}

int cconf_hook_url(struct ccf_pctx *pc, const struct cfg_loc *loc, int kind, const char *s)
{
	struct hook_def *h = cur(pc);
	char why[256];

	if (h->url[0] != '\0')
		return cfg_error(&pc->f, loc, "hook '%s' already has a receiver (%s \"%.60s\"), "
				 "expected one of syslog, email, webhook per hook; several hooks "
				 "may take the same alerts", h->name, hook_kind_name(h->kind), h->url);
	if (hook_set_url(h, (enum hook_kind)kind, s, why, sizeof(why)) < 0)
		return cfg_error(&pc->f, loc, "invalid URL, expected %s", why);
	return 0;
}

int cconf_set_public_url(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	size_t n = strlen(s);

	if (pc->st->public_url_set)
		return cfg_error(&pc->f, loc, "duplicate 'public-url'");
	if ((strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) || n > HOOK_URL_MAX ||
	    strpbrk(s, " \"<>") != NULL)
		return cfg_error(&pc->f, loc, "invalid public-url, expected the https:// address "
				 "officers open the console at, at most %d bytes", HOOK_URL_MAX);
	/* links are made as public_url + "/#/alerts/ID": no trailing slash */
	while (n > 0 && s[n - 1] == '/')
		n--;
	memcpy(pc->st->c.public_url, s, n);
	pc->st->c.public_url[n] = '\0';
	pc->st->public_url_set = true;
	return 0;
}

/* ---- values -------------------------------------------------------------- */

/* The word at loc looked up with fn; an error names the choices. */
static int word(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *what,
		int (*fn)(const char *, size_t), const char *const *names, int n, int *out)
{
	const char *w = pc->f.text + loc->off;
	char tok[64], list[256], hint[64] = "";
	const char *best;

	*out = fn(w, loc->len);
	if (*out >= 0)
		return 0;
	cfg_show(tok, sizeof(tok), w, loc->len);
	best = cfg_choices(list, sizeof(list), w, loc->len, names, n);
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	return cfg_error(&pc->f, loc, "unknown %s '%s', expected one of: %s%s", what, tok, list,
			 hint);
}

static const char *const lang_names[] = { "en", "el" };

static int lang_lookup(const char *s, size_t n)
{
	for (int i = 0; i < 2; i++)
		if (strlen(lang_names[i]) == n && memcmp(lang_names[i], s, n) == 0)
			return i;
	return -1;
}

static int fmt_lookup(const char *s, size_t n)
{
	int f = hook_format_lookup(s, n);

	return f == HOOK_F_DEFAULT ? -1 : f;
}

/* A path into out (HOOK_PATH_MAX bytes), relative to the file's directory. */
static int path(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s, char *out)
{
	char abs[PATH_MAX];

	if (s[0] == '\0')
		return cfg_error(&pc->f, loc, "empty path");
	if (cfg_resolve(&pc->f, loc, s, abs) < 0)
		return -1;
	if (strlen(abs) >= HOOK_PATH_MAX)
		return cfg_error(&pc->f, loc, "path too long, the limit is %d bytes",
				 HOOK_PATH_MAX - 1);
	memcpy(out, abs, strlen(abs) + 1);
	return 0;
}

/* A mail address: local@domain, printable, no spaces, quotes or brackets. */
static int mail_addr(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s, char *out)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > HOOK_ADDR_MAX || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return cfg_error(&pc->f, loc, "invalid mail address, expected name@domain of at "
				 "most %d bytes", HOOK_ADDR_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || strchr("<>\"(),;:\\[]", s[i]))
			return cfg_error(&pc->f, loc, "invalid mail address, expected name@domain "
					 "without spaces, quotes, brackets or control characters");
	memcpy(out, s, n + 1);
	return 0;
}

/* "HH:MM" at s (5 bytes) into minutes, -1 when not a time. */
static int hhmm(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';

	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int day(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon-fri", "sat,sun", "mon,wed-fri": bits, or -1. */
static int days(const char *s)
{
	int bits = 0;

	for (;;) {
		size_t n = strcspn(s, ",-");
		int a = day(s, n), b;

		if (a < 0)
			return -1;
		s += n;
		b = a;
		if (*s == '-') {
			s++;
			n = strcspn(s, ",-");
			b = day(s, n);
			if (b < 0)
				return -1;
			s += n;
		}
		for (int d = a;; d = (d + 1) % 7) {
			bits |= 1 << d;
			if (d == b)
				break;
		}
		if (*s == '\0')
			return bits;
		if (*s != ',')
			return -1;
		s++;
	}
}

static const struct cfg_range num_range[] = {
	[CCONF_H_RESEND_AFTER - CCONF_H_RESEND_AFTER] = { "resend-after", CFG_DURATION, MINUTE, 7 * DAY, true },
	[CCONF_H_MAX_PER_HOUR - CCONF_H_RESEND_AFTER] = { "max-per-hour", CFG_COUNT, 1, 3600, true },
	[CCONF_H_TIMEOUT - CCONF_H_RESEND_AFTER] = { "timeout", CFG_DURATION, 1, 10 * MINUTE, false },
	[CCONF_H_QUEUE_MAX - CCONF_H_RESEND_AFTER] = { "queue-max", CFG_COUNT, 100, 100000000, false },
};

int cconf_hook_set(struct ccf_pctx *pc, const struct cfg_loc *loc, enum cconf_hook_set which,
		   const char *s)
{
	struct hook_def *h = cur(pc);
	uint64_t v;
	int i;

	switch (which) {
	case CCONF_H_CA:
		return path(pc, loc, s, h->ca);
	case CCONF_H_CERT:
		return path(pc, loc, s, h->cert);
	case CCONF_H_KEY:
		return path(pc, loc, s, h->key);
	case CCONF_H_PASSWORD_FILE:
		return path(pc, loc, s, h->password_file);
	case CCONF_H_SECRET_FILE:
		return path(pc, loc, s, h->secret_file);
	case CCONF_H_FROM:
		return mail_addr(pc, loc, s, h->from);
	case CCONF_H_TO:
		if (h->n_to >= HOOK_MAX_TO)
			return cfg_error(&pc->f, loc, "too many 'to' addresses, the limit is %d "
					 "per hook (a mailing list takes more)", HOOK_MAX_TO);
		if (mail_addr(pc, loc, s, h->to[h->n_to]) < 0)
			return -1;
		h->n_to++;
		return 0;
	case CCONF_H_USER:
		if (s[0] == '\0' || strlen(s) > HOOK_ADDR_MAX || strpbrk(s, "\t") != NULL)
			return cfg_error(&pc->f, loc, "invalid user, expected 1 to %d bytes "
					 "without tabs", HOOK_ADDR_MAX);
		memcpy(h->user, s, strlen(s) + 1);
		return 0;
	case CCONF_H_PROXY:
		if (strlen(s) > HOOK_URL_MAX || strpbrk(s, " \t") != NULL ||
		    (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
		     strncmp(s, "socks5://", 9) != 0 && strncmp(s, "socks5h://", 10) != 0))
			return cfg_error(&pc->f, loc, "invalid proxy, expected a URL starting with "
					 "http://, https://, socks5:// or socks5h://");
		memcpy(h->proxy, s, strlen(s) + 1);
		return 0;
	case CCONF_H_SD_ID: {
		/* RFC 5424 SD-NAME: printable US-ASCII but '=', ' ', ']', '"', at most 32 */
		size_t n = strlen(s);
		const char *at = strchr(s, '@');

		for (i = 0; i < (int)n; i++)
			if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("= ]\"", s[i]))
				break;
		if (n == 0 || n > HOOK_SDID_MAX || i < (int)n || at == NULL || at == s ||
		    at[1] == '\0' || strspn(at + 1, "0123456789.") != strlen(at + 1))
			return cfg_error(&pc->f, loc, "invalid sd-id, expected name@enterprise-number "
					 "such as \"kastro@32473\" (RFC 5424, at most %d bytes)",
					 HOOK_SDID_MAX);
		memcpy(h->sd_id, s, n + 1);
		return 0;
	}
	case CCONF_H_SENSOR:
	case CCONF_H_RULE: {
		char *out = which == CCONF_H_SENSOR ? h->sensor : h->rule;

		if (s[0] == '\0' || strlen(s) > HOOK_TEXT_MAX)
			return cfg_error(&pc->f, loc, "expected 1 to %d bytes", HOOK_TEXT_MAX);
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	case CCONF_H_WINDOW: {
		int a = -1, b = -1;

		if (strlen(s) == 11 && s[5] == '-') {
			a = hhmm(s);
			b = hhmm(s + 6);
		}
		if (a < 0 || b < 0 || a == b)
			return cfg_error(&pc->f, loc, "invalid window, expected \"HH:MM-HH:MM\" in "
					 "local time, two different times (\"18:00-08:00\" "
					 "spans midnight)");
		h->win_from = (int16_t)a;
		h->win_to = (int16_t)(b == 24 * 60 ? 0 : b);
		if (h->win_from == h->win_to)
			return cfg_error(&pc->f, loc, "invalid window, 00:00 and 24:00 are the same time");
		return 0;
	}
	case CCONF_H_DAYS:
		i = days(s);
		if (i <= 0)
			return cfg_error(&pc->f, loc, "invalid days, expected day names (sun, mon, "
					 "tue, wed, thu, fri, sat), ranges and commas: \"mon-fri\", "
					 "\"sat,sun\"");
		h->days = (uint8_t)i;
		return 0;
	case CCONF_H_FORMAT:
		if (word(pc, loc, "format", fmt_lookup, hook_format_names + 1, HOOK_F_COUNT - 1,
			 &i) < 0)
			return -1;
		h->format = (enum hook_format)i;
		return 0;
	case CCONF_H_MIN_SEVERITY:
		if (word(pc, loc, "severity", hook_severity_lookup, hook_severity_names, 4, &i) < 0)
			return -1;
		h->min_severity = i;
		return 0;
	case CCONF_H_LANGUAGE:
		if (word(pc, loc, "language", lang_lookup, lang_names, 2, &i) < 0)
			return -1;
		h->lang = i == 1 ? HOOK_LANG_EL : HOOK_LANG_EN;
		return 0;
	case CCONF_H_TYPE:
		if (word(pc, loc, "alert type", hook_type_lookup, hook_type_names, HOOK_N_TYPES,
			 &i) < 0)
			return -1;
		if (!pc->st->hook_types_set)
			h->types = 0;
		pc->st->hook_types_set = true;
		h->types |= (unsigned)i;
		return 0;
	case CCONF_H_RESEND_AFTER:
	case CCONF_H_MAX_PER_HOUR:
	case CCONF_H_TIMEOUT:
	case CCONF_H_QUEUE_MAX:
		if (cfg_number_in(&pc->f, loc, &num_range[which - CCONF_H_RESEND_AFTER], &v) < 0)
			return -1;
		if (which == CCONF_H_RESEND_AFTER)
			h->resend_after = (uint32_t)v;
		else if (which == CCONF_H_MAX_PER_HOUR)
			h->max_per_hour = (uint32_t)v;
		else if (which == CCONF_H_TIMEOUT)
			h->timeout = (uint32_t)v;
		else
			h->queue_max = (uint32_t)v;
		return 0;
	}
	return cfg_error(&pc->f, loc, "internal error: unknown hook setting");
}
