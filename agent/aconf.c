/*
 * aconf.c - agent.conf: built-in defaults, reading files and includes, the
 * checked setters that the grammar (aconf_parse.y) calls, the checks at the
 * end of a load, and the text of a configuration for `kastro-agent -n`.
 *
 * The statements (docs/agent-config.md has the reference):
 *   console { address "console.kavala.example"    required
 *             port 7443 enroll-port 8443 proxy "http://proxy.lan:3128" }
 *   dir "/var/lib/kastro-agent"
 *   spool-size 1GB
 *   heartbeat 60s
 *   rules "/etc/kastro/agent-rules"
 *   log level info                              error, warning, info or debug
 *   scan { path "/home"  include "*.exe"  exclude "/home/x/.cache/x"
 *          watch "/home"  max-size 64MB  cross-filesystems no
 *          file-timeout 30s  threads 0  cpu 25%
 *          schedule daily 02:00 }               or: schedule every 6h
 *   cache entries 1000000
 *   quarantine { tags { "malware" "ransomware" } severity 1
 *                dir "/var/lib/kastro-agent/quarantine" }
 *   include "other.conf"
 * A group keyword (console, log, scan, cache, quarantine) takes a block of
 * its settings, or one setting on the same line. path, include, exclude,
 * watch and tags add to their list, one string or several in braces; every
 * other setting may be given once per load.
 *
 * Paths must be absolute (only `include` is relative to the file that
 * holds it): the same file goes to many PCs. Every value is checked as it
 * is parsed. One check needs the whole load: the sensor port and the
 * enrolment port of the console must differ; it is formatted where the
 * statement is and reported at the end if still true (cfg_defer). Loading
 * works on a copy: the caller's struct changes only when everything was
 * accepted.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "aconf.h"
#include "aconf_parse.h"
#include "plugin.h"
#include "scan.h"

#define KB (UINT64_C(1) << 10)
#define MB (UINT64_C(1) << 20)
#define GB (UINT64_C(1) << 30)
#define MINUTE 60
#define HOUR   3600
#define DAY    86400

#define CPU_MAX 6400   /* percent: 64 cores; the agent clamps to its own */
#define DEFAULT_SCHED_MINUTE (2 * 60)   /* 02:00 */

/* As the user writes them, for messages. */
static const char *const key_names[ACONF_KEYS] = {
	[ACONF_K_ADDRESS] = "console address",
	[ACONF_K_PORT] = "console port",
	[ACONF_K_ENROLL_PORT] = "console enroll-port",
	[ACONF_K_PROXY] = "console proxy",
	[ACONF_K_DIR] = "dir",
	[ACONF_K_SPOOL_SIZE] = "spool-size",
	[ACONF_K_HEARTBEAT] = "heartbeat",
	[ACONF_K_RULES] = "rules",
	[ACONF_K_LOG_LEVEL] = "log level",
	[ACONF_K_MAX_SIZE] = "scan max-size",
	[ACONF_K_CROSS_FS] = "scan cross-filesystems",
	[ACONF_K_FILE_TIMEOUT] = "scan file-timeout",
	[ACONF_K_THREADS] = "scan threads",
	[ACONF_K_CPU] = "scan cpu",
	[ACONF_K_SCHEDULE] = "scan schedule",
	[ACONF_K_CACHE_ENTRIES] = "cache entries",
	[ACONF_K_SEVERITY] = "quarantine severity",
	[ACONF_K_QUARANTINE_DIR] = "quarantine dir",
};

static const struct {
	const char *name;    /* "scan path": the setting */
	const char *item;    /* "path": one entry, for "expected each X once" */
	int max;
} lists[ACONF_LISTS] = {
	[ACONF_L_PATH] = { "scan path", "path", ACONF_MAX_LIST },
	[ACONF_L_INCLUDE] = { "scan include", "glob", ACONF_MAX_LIST },
	[ACONF_L_EXCLUDE] = { "scan exclude", "glob", ACONF_MAX_LIST },
	[ACONF_L_WATCH] = { "scan watch", "directory", ACONF_MAX_LIST },
	[ACONF_L_TAGS] = { "quarantine tags", "tag", ACONF_MAX_TAGS },
	[ACONF_L_ALLOW_SHA256] = { "allow sha256", "hash", ACONF_MAX_ALLOW },
	[ACONF_L_ALLOW_PATH] = { "allow path", "glob", ACONF_MAX_LIST },
	[ACONF_L_PLUGIN_NAME] = { "plugin", "name", ACONF_MAX_PLUGINS },
	[ACONF_L_PLUGIN_CMD] = { "plugin command", "command", ACONF_MAX_PLUGINS },
};

static struct aconf_list *list_of(struct agent_conf *c, enum aconf_list_kind k)
{
	switch (k) {
	case ACONF_L_PATH:
		return &c->scan_paths;
	case ACONF_L_INCLUDE:
		return &c->scan_include;
	case ACONF_L_EXCLUDE:
		return &c->scan_exclude;
	case ACONF_L_WATCH:
		return &c->watch;
	case ACONF_L_ALLOW_SHA256:
		return &c->allow_sha256;
	case ACONF_L_ALLOW_PATH:
		return &c->allow_paths;
	case ACONF_L_PLUGIN_NAME:
		return &c->plugin_names;
	case ACONF_L_PLUGIN_CMD:
		return &c->plugin_cmds;
	case ACONF_L_TAGS:
	case ACONF_LISTS:
		break;
	}
	return &c->quarantine_tags;
}

static void list_free(struct aconf_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* out = dir/quarantine; -1 if it does not fit. */
static int quarantine_of(const char *dir, char out[ACONF_QDIR_MAX])
{
	int n = snprintf(out, ACONF_QDIR_MAX, "%s%s" ACONF_QUARANTINE_SUB, dir,
			 strcmp(dir, "/") == 0 ? "" : "/");

	return n < 0 || n >= ACONF_QDIR_MAX ? -1 : 0;
}

void aconf_defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->console_port = ACONF_PORT_DEFAULT;
	c->enroll_port = ACONF_ENROLL_PORT_DEFAULT;
	memcpy(c->dir, ACONF_DIR_DEFAULT, sizeof(ACONF_DIR_DEFAULT));
	c->spool_max = GB;
	c->heartbeat = 60;
	memcpy(c->rules, ACONF_RULES_DEFAULT, sizeof(ACONF_RULES_DEFAULT));
	c->log_level = LOG_LVL_INFO;
	c->max_size = SCAN_DEFAULT_MAX_SIZE;   /* the scan command's defaults too */
	c->cross_fs = false;
	c->file_timeout = SCAN_DEFAULT_TIMEOUT;
	c->threads = 0;
	c->cpu_percent = 25;
	c->sched = ACONF_SCHED_DAILY;
	c->sched_minute = DEFAULT_SCHED_MINUTE;
	c->sched_every = 0;
	c->cache_entries = 1000000;
	c->quarantine_severity = 0;
	quarantine_of(c->dir, c->quarantine_dir);
}

void aconf_free(struct agent_conf *c)
{
	int k;

	for (k = 0; k < ACONF_LISTS; k++)
		list_free(list_of(c, (enum aconf_list_kind)k));
}

/*
 * A singular setting is set once per load: remember where, or report the
 * second one with the place of the first.
 */
static int once(struct acf_pctx *pc, const struct cfg_loc *loc,
		enum aconf_key key)
{
	char *at = pc->st->set_at[key];

	if (at[0] != '\0')
		return cfg_error(&pc->f, loc, "duplicate '%s' setting, already set "
				 "at %s", key_names[key], at);
	snprintf(at, sizeof(pc->st->set_at[key]), "%s:%d:%d", pc->f.name,
		 loc->line, loc->col);
	return 0;
}

/* ---- numbers ------------------------------------------------------------- */

static const struct cfg_range num_settings[ACONF_KEYS] = {
	[ACONF_K_PORT] = { "console port", CFG_COUNT, 1, 65535, false },
	[ACONF_K_ENROLL_PORT] = { "console enroll-port", CFG_COUNT, 1, 65535, false },
	/* the spool's own bounds, as kastrod's: 4 MiB segments, at most 8192 */
	[ACONF_K_SPOOL_SIZE] = { "spool-size", CFG_SIZE, 16 * MB, 32 * GB, false },
	[ACONF_K_HEARTBEAT] = { "heartbeat", CFG_DURATION, 10, HOUR, false },
	[ACONF_K_MAX_SIZE] = { "scan max-size", CFG_SIZE, KB, 4 * GB, false },
	[ACONF_K_FILE_TIMEOUT] = { "scan file-timeout", CFG_DURATION, 1, HOUR, false },
	[ACONF_K_THREADS] = { "scan threads", CFG_COUNT, 1, 256, true },
	[ACONF_K_CACHE_ENTRIES] = { "cache entries", CFG_COUNT, 1000, 100000000, false },
	[ACONF_K_SEVERITY] = { "quarantine severity", CFG_COUNT, 1, 4, true },
};

static const struct cfg_range every_range = {
	"scan schedule every", CFG_DURATION, 10 * MINUTE, 30 * DAY, false
};

/*
 * The console's sensor port and its enrolment port must differ: the
 * console serves them on separate listeners. Checked after each is set;
 * the message points at the statement that broke it, and is dropped when a
 * later one mends it.
 */
static int check_ports(struct acf_pctx *pc, const struct cfg_loc *loc,
		       enum aconf_key key)
{
	struct aconf_state *st = pc->st;

	if (st->c.console_port != st->c.enroll_port) {
		cfg_defer_clear(&st->ports);
		return 0;
	}
	if (key == ACONF_K_PORT)
		return cfg_defer(&pc->f, &st->ports, loc, "console port %u is also "
				 "the console's enroll-port, expected another port",
				 st->c.console_port);
	return cfg_defer(&pc->f, &st->ports, loc, "console enroll-port %u is also "
			 "the console's port (for sensors), expected another port",
			 st->c.enroll_port);
}

int aconf_set_num(struct acf_pctx *pc, const struct cfg_loc *loc,
		  enum aconf_key key)
{
	struct agent_conf *c = &pc->st->c;
	uint64_t v;

	if (once(pc, loc, key) < 0 ||
	    cfg_number_in(&pc->f, loc, &num_settings[key], &v) < 0)
		return -1;
	/* every range above fits its field */
	switch (key) {
	case ACONF_K_PORT:
		c->console_port = (uint16_t)v;
		return check_ports(pc, loc, key);
	case ACONF_K_ENROLL_PORT:
		c->enroll_port = (uint16_t)v;
		return check_ports(pc, loc, key);
	case ACONF_K_SPOOL_SIZE:
		c->spool_max = v;
		break;
	case ACONF_K_HEARTBEAT:
		c->heartbeat = (uint32_t)v;
		break;
	case ACONF_K_MAX_SIZE:
		c->max_size = v;
		break;
	case ACONF_K_FILE_TIMEOUT:
		c->file_timeout = (uint32_t)v;
		break;
	case ACONF_K_THREADS:
		c->threads = (uint32_t)v;
		break;
	case ACONF_K_CACHE_ENTRIES:
		c->cache_entries = (uint32_t)v;
		break;
	case ACONF_K_SEVERITY:
		c->quarantine_severity = (uint32_t)v;
		break;
	default:
		return cfg_error(&pc->f, loc, "'%s' takes no number", key_names[key]);
	}
	return 0;
}

int aconf_set_bool(struct acf_pctx *pc, const struct cfg_loc *loc,
		   enum aconf_key key, bool v)
{
	if (once(pc, loc, key) < 0)
		return -1;
	if (key != ACONF_K_CROSS_FS)
		return cfg_error(&pc->f, loc, "'%s' takes no yes or no", key_names[key]);
	pc->st->c.cross_fs = v;
	return 0;
}

/*
 * The n digits at s as a number, UINT32_MAX if larger; -1 if n is 0 or a
 * byte is not a digit.
 */
static int digits(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			v = UINT32_MAX;
	}
	*out = (uint32_t)v;
	return 0;
}

int aconf_set_cpu(struct acf_pctx *pc, const struct cfg_loc *loc)
{
	const char *s = pc->f.text + loc->off;
	char tok[64];
	uint32_t v;

	if (once(pc, loc, ACONF_K_CPU) < 0)
		return -1;
	cfg_show(tok, sizeof(tok), s, loc->len);
	/* the scanner ends the token with '%' */
	if (digits(s, loc->len - 1, &v) < 0)
		return cfg_error(&pc->f, loc, "'%s' is not a percentage, expected a "
				 "whole number of percent such as 25%%", tok);
	if (v < 1 || v > CPU_MAX)
		return cfg_error(&pc->f, loc, "scan cpu %s is out of range, expected "
				 "1%% .. %u%% (percent of one core)", tok, CPU_MAX);
	pc->st->c.cpu_percent = v;
	return 0;
}

int aconf_set_daily(struct acf_pctx *pc, const struct cfg_loc *loc)
{
	const char *s = pc->f.text + loc->off;
	const char *colon = memchr(s, ':', loc->len);
	struct agent_conf *c = &pc->st->c;
	uint32_t h, m;
	char tok[64];

	if (once(pc, loc, ACONF_K_SCHEDULE) < 0)
		return -1;
	cfg_show(tok, sizeof(tok), s, loc->len);
	/* the scanner put a ':' in the token */
	if (colon == NULL || colon - s > 2 || loc->len - (size_t)(colon - s) != 3 ||
	    digits(s, (size_t)(colon - s), &h) < 0 || digits(colon + 1, 2, &m) < 0)
		return cfg_error(&pc->f, loc, "'%s' is not a time of day, expected "
				 "HH:MM such as 02:30", tok);
	if (h > 23 || m > 59)
		return cfg_error(&pc->f, loc, "scan schedule daily %s is out of range, "
				 "expected 00:00 .. 23:59", tok);
	c->sched = ACONF_SCHED_DAILY;
	c->sched_minute = h * 60 + m;
	c->sched_every = 0;
	return 0;
}

int aconf_set_every(struct acf_pctx *pc, const struct cfg_loc *loc)
{
	struct agent_conf *c = &pc->st->c;
	uint64_t v;

	if (once(pc, loc, ACONF_K_SCHEDULE) < 0 ||
	    cfg_number_in(&pc->f, loc, &every_range, &v) < 0)
		return -1;
	c->sched = ACONF_SCHED_EVERY;
	c->sched_minute = 0;
	c->sched_every = (uint32_t)v;
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

int aconf_set_log_level(struct acf_pctx *pc, const struct cfg_loc *loc)
{
	const char *w = pc->f.text + loc->off;
	const char *names[N_LOG_LEVELS], *best;
	char tok[64], list[128], hint[64] = "";
	int i;

	if (once(pc, loc, ACONF_K_LOG_LEVEL) < 0)
		return -1;
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

/* ---- strings and paths --------------------------------------------------- */

/* What a path setting holds, for its messages. */
struct path_kind {
	const char *what;        /* "the state directory" */
	const char *example;     /* an absolute path */
	size_t max;              /* bytes, NUL included */
};

static const struct path_kind pk_dir = {
	"the state directory", ACONF_DIR_DEFAULT, ACONF_DIR_MAX
};
static const struct path_kind pk_rules = {
	"the rules directory or file", ACONF_RULES_DEFAULT, PATH_MAX
};
static const struct path_kind pk_qdir = {
	"the quarantine directory", ACONF_DIR_DEFAULT "/" ACONF_QUARANTINE_SUB,
	ACONF_DIR_MAX
};
static const struct path_kind pk_scan = { "a directory to scan", "/home", PATH_MAX };
static const struct path_kind pk_watch = { "a directory to watch", "/home", PATH_MAX };

/*
 * s, an absolute path, into out (k->max bytes) in the form the agent
 * compares: no "//", no trailing '/'. Relative paths and "." or ".."
 * components are refused: what a path names must not depend on where the
 * file lies, nor need a look at the filesystem.
 */
static int set_path(struct acf_pctx *pc, const struct cfg_loc *loc,
		    const char *s, const struct path_kind *k, char *out)
{
	size_t i = 0, o = 0, n;
	char tok[64];

	if (s[0] == '\0')
		return cfg_error(&pc->f, loc, "empty path, expected %s", k->what);
	cfg_show(tok, sizeof(tok), s, strlen(s));
	if (s[0] != '/')
		return cfg_error(&pc->f, loc, "relative path '%s', expected an absolute "
				 "path such as \"%s\"", tok, k->example);
	for (;;) {
		while (s[i] == '/')
			i++;
		if (s[i] == '\0')
			break;
		n = strcspn(s + i, "/");
		if ((n == 1 && s[i] == '.') || (n == 2 && s[i] == '.' && s[i + 1] == '.'))
			return cfg_error(&pc->f, loc, "path '%s' has a '%.*s' component, "
					 "expected a path without '.' or '..'", tok,
					 (int)n, s + i);
		if (o + 1 + n >= k->max)
			return cfg_error(&pc->f, loc, "path '%s' is too long, the limit "
					 "is %zu bytes", tok, k->max - 1);
		out[o++] = '/';
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* A host name (letters, digits, '-', '.') or an IPv4 or IPv6 address. */
static bool host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' &&
		    s[i] != ':')
			return false;
	return true;
}

/*
 * "http://HOST[:PORT][/]": HOST a host name, an IPv4 address or an IPv6
 * address in brackets, PORT 1 .. 65535. Credentials are refused: they
 * would sit in a file many people read.
 */
static bool proxy_ok(const char *s)
{
	static const char scheme[] = "http://";
	const char *h, *e;
	uint32_t port;
	size_t hn;

	if (strncmp(s, scheme, sizeof(scheme) - 1) != 0)
		return false;
	h = s + sizeof(scheme) - 1;
	if (h[0] == '[') {
		e = strchr(h, ']');
		if (e == NULL || e == h + 1)
			return false;
		for (hn = 1; h + hn < e; hn++)
			if (!isxdigit((unsigned char)h[hn]) && h[hn] != ':' && h[hn] != '.')
				return false;
		e++;
	} else {
		hn = strcspn(h, ":/");
		if (!host_ok(h, hn) || memchr(h, ':', hn) != NULL)
			return false;
		e = h + hn;
	}
	if (e[0] == ':') {
		hn = strcspn(e + 1, "/");
		if (digits(e + 1, hn, &port) < 0 || port < 1 || port > 65535)
			return false;
		e += 1 + hn;
	}
	return e[0] == '\0' || (e[0] == '/' && e[1] == '\0');
}

int aconf_set_str(struct acf_pctx *pc, const struct cfg_loc *loc,
		  enum aconf_key key, const char *s)
{
	struct agent_conf *c = &pc->st->c;
	size_t n = strlen(s);
	char tok[64];

	if (once(pc, loc, key) < 0)
		return -1;
	cfg_show(tok, sizeof(tok), s, n);
	switch (key) {
	case ACONF_K_ADDRESS:
		if (n == 0)
			return cfg_error(&pc->f, loc, "empty console address, expected a "
					 "host name or an IP address");
		if (n >= sizeof(c->console_host) || !host_ok(s, n))
			return cfg_error(&pc->f, loc, "invalid console address '%s', "
					 "expected a host name or an IP address", tok);
		memcpy(c->console_host, s, n + 1);
		return 0;
	case ACONF_K_PROXY:
		if (n == 0)
			return cfg_error(&pc->f, loc, "empty proxy, expected http://HOST:PORT "
					 "such as \"http://proxy.lan:3128\" (without `proxy`: "
					 "no proxy)");
		if (n >= sizeof(c->proxy) || !proxy_ok(s))
			return cfg_error(&pc->f, loc, "invalid proxy '%s', expected "
					 "http://HOST:PORT such as \"http://proxy.lan:3128\"",
					 tok);
		memcpy(c->proxy, s, n + 1);
		return 0;
	case ACONF_K_DIR:
		return set_path(pc, loc, s, &pk_dir, c->dir);
	case ACONF_K_RULES:
		return set_path(pc, loc, s, &pk_rules, c->rules);
	case ACONF_K_QUARANTINE_DIR:
		return set_path(pc, loc, s, &pk_qdir, c->quarantine_dir);
	default:
		return cfg_error(&pc->f, loc, "'%s' takes no string", key_names[key]);
	}
}

/*
 * A glob is matched against full paths, which start with '/': one that
 * cannot match any is a mistake ("*.exe" and "/home/x" are fine, "x/y" is not).
 */
static int check_glob(struct acf_pctx *pc, const struct cfg_loc *loc,
		      const char *s)
{
	char tok[64];

	if (s[0] == '\0')
		return cfg_error(&pc->f, loc, "empty glob, expected a pattern such as "
				 "\"*.exe\" or \"/home/*/.cache/*\"");
	if (strchr("/*?[", s[0]) == NULL) {
		cfg_show(tok, sizeof(tok), s, strlen(s));
		return cfg_error(&pc->f, loc, "glob '%s' never matches, as it is "
				 "matched against full paths: expected a pattern that "
				 "starts with '/' or '*', such as \"*/%s\"", tok, tok);
	}
	return 0;
}

/* A YARA identifier: letters, digits, '_', not a digit first, <= 128 bytes. */
static int check_tag(struct acf_pctx *pc, const struct cfg_loc *loc,
		     const char *s)
{
	size_t i, n = strlen(s);
	char tok[64];

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			break;
	if (n == 0 || n > ACONF_TAG_MAX || i < n || isdigit((unsigned char)s[0])) {
		cfg_show(tok, sizeof(tok), s, n);
		return cfg_error(&pc->f, loc, "invalid tag '%s', expected a YARA tag: "
				 "1 to %d letters, digits or '_', not starting with "
				 "a digit", tok, ACONF_TAG_MAX);
	}
	return 0;
}

/* 64 hex digits (either case; kept lowercase). */
static int check_sha256(struct acf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	char tok[64];

	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64) {
		cfg_show(tok, sizeof(tok), s, strlen(s));
		return cfg_error(&pc->f, loc, "invalid sha256 '%s', expected 64 hex digits "
				 "as sha256sum prints them", tok);
	}
	return 0;
}

/* List k of the load: the first use in a load replaces what it had on entry. */
static struct aconf_list *list_in_load(struct aconf_state *st, enum aconf_list_kind k)
{
	struct aconf_list *l = list_of(&st->c, k);

	if (!st->replaced[k]) {
		st->replaced[k] = true;
		l->v = NULL;
		l->n = 0;
	}
	return l;
}

/* Append a copy of s to list k of the load. */
static int list_push(struct acf_pctx *pc, const struct cfg_loc *loc, enum aconf_list_kind k,
		     const char *s)
{
	struct aconf_list *l = list_in_load(pc->st, k);
	char **nv;

	if (l->n >= lists[k].max)
		return cfg_error(&pc->f, loc, "too many '%s' entries, the limit is %d",
				 lists[k].name, lists[k].max);
	nv = realloc(l->v, (size_t)(l->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return cfg_error(&pc->f, loc, "out of memory");
	l->v = nv;
	l->v[l->n] = strdup(s);
	if (l->v[l->n] == NULL)
		return cfg_error(&pc->f, loc, "out of memory");
	l->n++;
	return 0;
}

int aconf_add(struct acf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	struct aconf_state *st = pc->st;
	enum aconf_list_kind k = pc->list;
	struct aconf_list *l;
	char v[PATH_MAX], tok[64];
	int i, r = 0;

	switch (k) {
	case ACONF_L_PATH:
		r = set_path(pc, loc, s, &pk_scan, v);
		break;
	case ACONF_L_WATCH:
		r = set_path(pc, loc, s, &pk_watch, v);
		break;
	case ACONF_L_INCLUDE:
	case ACONF_L_EXCLUDE:
	case ACONF_L_ALLOW_PATH:
		r = check_glob(pc, loc, s);
		break;
	case ACONF_L_ALLOW_SHA256:
		r = check_sha256(pc, loc, s);
		break;
	case ACONF_L_TAGS:
	case ACONF_L_PLUGIN_NAME:       /* aconf_add_plugin()'s */
	case ACONF_L_PLUGIN_CMD:
	case ACONF_LISTS:
		r = check_tag(pc, loc, s);
		break;
	}
	if (r < 0)
		return -1;
	if (k == ACONF_L_INCLUDE || k == ACONF_L_EXCLUDE || k == ACONF_L_TAGS ||
	    k == ACONF_L_ALLOW_PATH || k == ACONF_L_ALLOW_SHA256)
		memcpy(v, s, strlen(s) + 1);   /* the scanner bounds strings below PATH_MAX */
	if (k == ACONF_L_ALLOW_SHA256)
		for (char *h = v; *h; h++)
			*h = (char)tolower((unsigned char)*h);

	l = list_in_load(st, k);
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], v) == 0) {
			cfg_show(tok, sizeof(tok), v, strlen(v));
			return cfg_error(&pc->f, loc, "duplicate %s '%s', expected each "
					 "%s once", lists[k].name, tok, lists[k].item);
		}
	}
	return list_push(pc, loc, k, v);
}

int aconf_add_plugin(struct acf_pctx *pc, const struct cfg_loc *name_loc, const char *name,
		     const struct cfg_loc *cmd_loc, const char *cmd)
{
	struct agent_conf *c = &pc->st->c;
	struct plugin_cmd pcmd;
	char why[200], tok[64];
	size_t n = strlen(name);

	cfg_show(tok, sizeof(tok), name, n);
	if (n == 0 || n >= sizeof(pcmd.name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return cfg_error(&pc->f, name_loc, "invalid plugin name '%s', expected 1 to %zu "
				 "letters, digits, '.', '_' or '-' (the name the services inventory's "
				 "plugin check gives)", tok, sizeof(pcmd.name) - 1);
	/* plugins named in an earlier load stay only if this one names none */
	for (int i = 0; pc->st->replaced[ACONF_L_PLUGIN_NAME] && i < c->plugin_names.n; i++)
		if (strcmp(c->plugin_names.v[i], name) == 0)
			return cfg_error(&pc->f, name_loc, "duplicate plugin '%s', expected each "
					 "name once", tok);
	memset(&pcmd, 0, sizeof(pcmd));
	if (plugin_cmd_split(&pcmd, cmd, why, sizeof(why)) < 0)
		return cfg_error(&pc->f, cmd_loc, "plugin '%s': %s", tok, why);
	plugin_cmd_free(&pcmd);
	if (list_push(pc, name_loc, ACONF_L_PLUGIN_NAME, name) < 0 ||
	    list_push(pc, cmd_loc, ACONF_L_PLUGIN_CMD, cmd) < 0)
		return -1;
	return 0;
}

/* ---- files --------------------------------------------------------------- */

/* One file: a parser context around f, and the parser. */
static int parse_one(void *arg, const struct cfg_src *f)
{
	struct acf_pctx *pc = calloc(1, sizeof(*pc));
	int r;

	if (pc == NULL) {
		struct cfg_src top = *f;

		return cfg_error(&top, NULL, "out of memory");
	}
	pc->st = arg;
	pc->f = *f;
	r = aconf_scan_parse(pc);
	free(pc);
	return r;
}

int aconf_include(struct acf_pctx *pc, const struct cfg_loc *loc, const char *s)
{
	return cfg_include(&pc->f, loc, s, parse_one, pc->st);
}

/* What only the whole load can tell: checks between statements and files. */
static int finish(struct aconf_state *st, const char *name)
{
	struct cfg_src top = { .ld = &st->ld, .name = name };
	struct agent_conf *c = &st->c;

	if (cfg_defer_report(&st->ld, &st->ports) < 0)
		return -1;
	if (c->console_host[0] == '\0')
		return cfg_error(&top, NULL, "no 'console address' setting: the "
				 "console's address is required, e.g. console address "
				 "\"console.kavala.example\"");
	/* dir is shorter than ACONF_DIR_MAX: DIR/quarantine fits */
	if (st->set_at[ACONF_K_QUARANTINE_DIR][0] == '\0' && st->qdir_follows)
		quarantine_of(c->dir, c->quarantine_dir);
	return 0;
}

/*
 * Everything a load does but reading the top file: work on a copy of *c,
 * copy it back only on success. sb is the top file's, NULL for a buffer.
 * The copy shares *c's lists until a statement replaces one; on success
 * the replaced lists of *c are freed, on failure the new ones.
 */
static int load(const char *name, const char *dir, const char *src, size_t len,
		const struct stat *sb, void *out, char *err, size_t errlen)
{
	struct agent_conf *c = out;
	struct aconf_state *st = calloc(1, sizeof(*st));
	char derived[ACONF_QDIR_MAX];
	int r, k;

	if (st == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	cfg_load_init(&st->ld, err, errlen, sb);
	st->c = *c;
	st->qdir_follows = quarantine_of(c->dir, derived) == 0 &&
			   strcmp(derived, c->quarantine_dir) == 0;
	r = cfg_parse_text(&st->ld, name, dir, src, len, 0, parse_one, st);
	if (r == 0)
		r = finish(st, name);
	for (k = 0; k < ACONF_LISTS; k++) {
		if (!st->replaced[k])
			continue;
		if (r == 0)
			list_free(list_of(c, (enum aconf_list_kind)k));
		else
			list_free(list_of(&st->c, (enum aconf_list_kind)k));
	}
	if (r == 0)
		*c = st->c;
	cfg_defer_clear(&st->ports);
	free(st);
	return r;
}

int aconf_load(const char *path, struct agent_conf *c, char *err, size_t errlen)
{
	return cfg_load_file(path, load, c, err, errlen);
}

int aconf_load_buffer(const char *name, const char *buf, size_t len,
		      const char *dir, struct agent_conf *c, char *err,
		      size_t errlen)
{
	return cfg_load_buffer(name, buf, len, dir, load, c, err, errlen);
}

/* ---- the text of a configuration ----------------------------------------- */


/* "PREFIXNAME "s"\n"; -1 if s cannot be written. */
static int put_str(FILE *f, const char *prefix, const char *name, const char *s)
{
	char q[2 * PATH_MAX + 3];

	if (cfg_quote(s, q, sizeof(q)) < 0)
		return -1;
	fprintf(f, "%s%s %s\n", prefix, name, q);
	return 0;
}

static int put_list(FILE *f, const char *name, const struct aconf_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (put_str(f, "\t", name, l->v[i]) < 0)
			return -1;
	return 0;
}

static const char *level_name(enum log_level lvl)
{
	int i;

	for (i = 0; i < N_LOG_LEVELS; i++)
		if (log_levels[i].level == lvl)
			return log_levels[i].name;
	return "info";
}

int aconf_print(FILE *f, const struct agent_conf *c)
{
	char v[32], derived[ACONF_QDIR_MAX];

	fprintf(f, "console {\n");
	if (c->console_host[0] == '\0')
		fprintf(f, "\t# address: not set, and required\n");
	else if (put_str(f, "\t", "address", c->console_host) < 0)
		return -1;
	fprintf(f, "\tport %u\n\tenroll-port %u\n", c->console_port, c->enroll_port);
	if (c->proxy[0] != '\0' && put_str(f, "\t", "proxy", c->proxy) < 0)
		return -1;
	fprintf(f, "}\n");
	if (put_str(f, "", "dir", c->dir) < 0)
		return -1;
	cfg_format(v, sizeof(v), CFG_SIZE, c->spool_max);
	fprintf(f, "spool-size %s\n", v);
	cfg_format(v, sizeof(v), CFG_DURATION, c->heartbeat);
	fprintf(f, "heartbeat %s\n", v);
	if (put_str(f, "", "rules", c->rules) < 0)
		return -1;
	fprintf(f, "log level %s\n", level_name(c->log_level));

	fprintf(f, "scan {\n");
	if (put_list(f, "path", &c->scan_paths) < 0 ||
	    put_list(f, "include", &c->scan_include) < 0 ||
	    put_list(f, "exclude", &c->scan_exclude) < 0 ||
	    put_list(f, "watch", &c->watch) < 0)
		return -1;
	cfg_format(v, sizeof(v), CFG_SIZE, c->max_size);
	fprintf(f, "\tmax-size %s\n", v);
	fprintf(f, "\tcross-filesystems %s\n", c->cross_fs ? "yes" : "no");
	cfg_format(v, sizeof(v), CFG_DURATION, c->file_timeout);
	fprintf(f, "\tfile-timeout %s\n", v);
	fprintf(f, "\tthreads %u\n\tcpu %u%%\n", c->threads, c->cpu_percent);
	if (c->sched == ACONF_SCHED_EVERY) {
		cfg_format(v, sizeof(v), CFG_DURATION, c->sched_every);
		fprintf(f, "\tschedule every %s\n", v);
	} else {
		fprintf(f, "\tschedule daily %02u:%02u\n", c->sched_minute / 60,
			c->sched_minute % 60);
	}
	fprintf(f, "}\n");
	fprintf(f, "cache entries %u\n", c->cache_entries);

	fprintf(f, "quarantine {\n");
	if (put_list(f, "tags", &c->quarantine_tags) < 0)
		return -1;
	fprintf(f, "\tseverity %u\n", c->quarantine_severity);
	/* left to follow dir, so that it loads back even when dir is long */
	if (quarantine_of(c->dir, derived) == 0 &&
	    strcmp(derived, c->quarantine_dir) == 0)
		fprintf(f, "\t# dir: DIR/%s, as it follows dir\n", ACONF_QUARANTINE_SUB);
	else if (put_str(f, "\t", "dir", c->quarantine_dir) < 0)
		return -1;
	fprintf(f, "}\n");
	fprintf(f, "allow {\n");
	if (put_list(f, "sha256", &c->allow_sha256) < 0 || put_list(f, "path", &c->allow_paths) < 0)
		return -1;
	fprintf(f, "}\n");
	for (int i = 0; i < c->plugin_names.n && i < c->plugin_cmds.n; i++) {
		char qn[2 * PATH_MAX + 3], qc[2 * PATH_MAX + 3];

		if (cfg_quote(c->plugin_names.v[i], qn, sizeof(qn)) < 0 ||
		    cfg_quote(c->plugin_cmds.v[i], qc, sizeof(qc)) < 0)
			return -1;
		fprintf(f, "plugin %s command %s\n", qn, qc);
	}
	return ferror(f) ? -1 : 0;
}
