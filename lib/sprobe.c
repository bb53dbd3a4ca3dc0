/*
 * sprobe.c - see sprobe.h.
 *
 * One thread runs the checks one at a time, the one due first next; a
 * check is due again `every` seconds after its result, or `retry_every`
 * after a problem (the console decides soft and hard states). A new
 * assignment wakes the thread; a result of a check that was replaced
 * meanwhile is still sent (the console refuses it if it is no longer
 * assigned).
 */
#include "sprobe.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnsq.h"
#include "errf.h"
#include "jsonpath.h"
#include "log.h"
#include "mono.h"
#include "plugin.h"
#include "probe.h"
#include "sensorlink.h"

/* ---- the command's args ------------------------------------------------------ */

/* A string member into out (outlen bytes, NUL included); optional when !need. */
static int get_str(json_t *o, const char *key, bool need, char *out, size_t outlen, size_t i,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);
	size_t n;

	if (v == NULL && !need)
		return 0;
	if (s == NULL)
		return errf(err, errlen, "probes: checks[%zu].%s: expected a string", i, key);
	n = strlen(s);
	if (n >= outlen || (need && n == 0) || n != json_string_length(v))
		return errf(err, errlen, "probes: checks[%zu].%s: expected 1 to %zu bytes", i, key,
			    outlen - 1);
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return errf(err, errlen, "probes: checks[%zu].%s: a control character", i,
				    key);
	memcpy(out, s, n + 1);
	return 0;
}

static int get_num(json_t *o, const char *key, bool need, long lo, long hi, uint32_t *out,
		   size_t i, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL && !need)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return errf(err, errlen, "probes: checks[%zu].%s: expected an integer from %ld to %ld",
			    i, key, lo, hi);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* One of names (n) as the member key into out; optional. */
static int get_word(json_t *o, const char *key, const char *const *names, int n, char *out,
		    size_t outlen, size_t i, char *err, size_t errlen)
{
	char w[16];

	if (json_object_get(o, key) == NULL)
		return 0;
	if (get_str(o, key, true, w, sizeof(w), i, err, errlen) == 0)
		for (int j = 0; j < n; j++)
			if (strcmp(w, names[j]) == 0) {
				snprintf(out, outlen, "%s", names[j]);
				return 0;
			}
	return errf(err, errlen, "probes: checks[%zu].%s: not one of the words expected", i, key);
}

/* The members of tls, dns and http(s) checks beyond the common ones (sprobe_members()). */
static int more_members(json_t *o, size_t i, struct inv_check *c, char *err, size_t errlen)
{
	static const char *const proto[] = { "smtp", "imap", "pop3" };
	static const char *const types[] = { "A", "AAAA", "CNAME", "MX", "NS", "TXT" };
	static const char *const rcodes[] = { "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED" };
	static const char *const ops[] = { "is", "below", "above" };
	bool tls = c->kind == INV_CHK_TLS, dns = c->kind == INV_CHK_DNS,
	     http = c->kind == INV_CHK_HTTP || c->kind == INV_CHK_HTTPS;
	json_t *w = json_object_get(o, "warn"), *js = json_object_get(o, "json");
	char why[200];

	if ((!tls && (w != NULL || json_object_get(o, "starttls") != NULL)) ||
	    (!dns && (json_object_get(o, "dns_type") != NULL || json_object_get(o, "server") ||
		      json_object_get(o, "expect") != NULL || json_object_get(o, "rcode"))) ||
	    (!http && (js != NULL || json_object_get(o, "warn_ms") != NULL ||
		       json_object_get(o, "crit_ms") != NULL)))
		return errf(err, errlen, "probes: checks[%zu]: a member not of a %s check", i,
			    inv_kind_name(c->kind));
	if (w != NULL) {
		if (!json_is_array(w) || json_array_size(w) != 3)
			return errf(err, errlen, "probes: checks[%zu].warn: expected 3 days", i);
		for (size_t d = 0; d < 3; d++) {
			json_t *v = json_array_get(w, d);

			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 365 ||
			    (d > 0 && json_integer_value(v) >= (json_int_t)c->warn_days[d - 1]))
				return errf(err, errlen, "probes: checks[%zu].warn: expected 3 days "
					    "from 365 to 1, longest first", i);
			c->warn_days[d] = (uint32_t)json_integer_value(v);
		}
	}
	if (get_word(o, "starttls", proto, 3, c->starttls, sizeof(c->starttls), i, err,
		     errlen) < 0 ||
	    get_word(o, "dns_type", types, 6, c->dns_type, sizeof(c->dns_type), i, err,
		     errlen) < 0 ||
	    get_word(o, "rcode", rcodes, 4, c->dns_rcode, sizeof(c->dns_rcode), i, err,
		     errlen) < 0 ||
	    get_str(o, "server", false, c->dns_server, sizeof(c->dns_server), i, err,
		    errlen) < 0 ||
	    get_str(o, "expect", false, c->dns_expect, sizeof(c->dns_expect), i, err,
		    errlen) < 0 ||
	    get_num(o, "warn_ms", false, 1, 300000, &c->warn_ms, i, err, errlen) < 0 ||
	    get_num(o, "crit_ms", false, 1, 300000, &c->crit_ms, i, err, errlen) < 0)
		return -1;
	if (c->dns_server[0] != '\0') {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (dnsq_server(c->dns_server, &ss, &sl, why, sizeof(why)) < 0)
			return errf(err, errlen, "probes: checks[%zu].server: %s", i, why);
	}
	if (c->warn_ms != 0 && c->crit_ms != 0 && c->warn_ms >= c->crit_ms)
		return errf(err, errlen, "probes: checks[%zu].warn_ms: not below crit_ms", i);
	if (js != NULL) {
		char op[16] = "";

		if (!json_is_object(js) ||
		    get_str(js, "path", true, c->json_path, sizeof(c->json_path), i, err,
			    errlen) < 0 ||
		    get_str(js, "op", true, op, sizeof(op), i, err, errlen) < 0 ||
		    get_str(js, "value", true, c->json_value, sizeof(c->json_value), i, err,
			    errlen) < 0)
			return errf(err, errlen, "probes: checks[%zu].json: expected {\"path\": P, "
				    "\"op\": \"is\"|\"below\"|\"above\", \"value\": V}", i);
		if (jsonpath_check(c->json_path, why, sizeof(why)) < 0)
			return errf(err, errlen, "probes: checks[%zu].json.path: %s", i, why);
		for (int j = 0; j < 3; j++)
			if (strcmp(op, ops[j]) == 0)
				c->json_op = (enum jsonpath_op)(JSONPATH_IS + j);
		if (c->json_op == JSONPATH_NONE)
			return errf(err, errlen, "probes: checks[%zu].json.op: expected is, below "
				    "or above", i);
		if (c->json_op != JSONPATH_IS) {
			char *end;
			double d = strtod(c->json_value, &end);

			if (*end != '\0' || end == c->json_value || !isfinite(d))
				return errf(err, errlen, "probes: checks[%zu].json.value: expected "
					    "a number", i);
		}
	}
	return 0;
}

int sprobe_members(json_t *o, const struct inv_check *c)
{
	static const char *const ops[] = { "", "is", "below", "above" };
	int r = 0;

	if (c->kind == INV_CHK_TLS) {
		r |= json_object_set_new(o, "warn", json_pack("[I,I,I]", (json_int_t)c->warn_days[0],
							      (json_int_t)c->warn_days[1],
							      (json_int_t)c->warn_days[2]));
		if (c->starttls[0] != '\0')
			r |= json_object_set_new(o, "starttls", json_string(c->starttls));
	}
	if (c->kind == INV_CHK_DNS) {
		r |= json_object_set_new(o, "dns_type", json_string(c->dns_type));
		r |= json_object_set_new(o, "rcode", json_string(c->dns_rcode));
		if (c->dns_server[0] != '\0')
			r |= json_object_set_new(o, "server", json_string(c->dns_server));
		if (c->dns_expect[0] != '\0')
			r |= json_object_set_new(o, "expect", json_string(c->dns_expect));
	}
	if (c->json_op != JSONPATH_NONE)
		r |= json_object_set_new(o, "json", json_pack("{s:s,s:s,s:s}", "path", c->json_path,
							      "op", ops[c->json_op], "value",
							      c->json_value));
	if (c->warn_ms != 0)
		r |= json_object_set_new(o, "warn_ms", json_integer(c->warn_ms));
	if (c->crit_ms != 0)
		r |= json_object_set_new(o, "crit_ms", json_integer(c->crit_ms));
	return r != 0 ? -1 : 0;
}

static int one_check(json_t *o, size_t i, struct sprobe_check *sc, char *err, size_t errlen)
{
	static const char *const kinds[] = { "http", "https", "tcp", "plugin", "tls", "dns" };
	static const enum inv_check_kind kv[] = { INV_CHK_HTTP, INV_CHK_HTTPS, INV_CHK_TCP,
						  INV_CHK_PLUGIN, INV_CHK_TLS, INV_CHK_DNS };
	struct inv_check *c = &sc->chk;
	char kind[16], redir[16] = "follow";
	uint32_t port = 0, status = 0;
	int k = -1;

	memset(sc, 0, sizeof(*sc));
	if (!json_is_object(o))
		return errf(err, errlen, "probes: checks[%zu]: expected an object", i);
	if (get_str(o, "service", true, sc->service, sizeof(sc->service), i, err, errlen) < 0 ||
	    get_str(o, "key", true, sc->key, sizeof(sc->key), i, err, errlen) < 0 ||
	    get_str(o, "kind", true, kind, sizeof(kind), i, err, errlen) < 0 ||
	    get_str(o, "target", true, c->target, sizeof(c->target), i, err, errlen) < 0)
		return -1;
	for (int j = 0; j < 6; j++)
		if (strcmp(kind, kinds[j]) == 0)
			k = j;
	if (k < 0)
		return errf(err, errlen, "probes: checks[%zu].kind: expected http, https, tcp, "
			    "plugin, tls or dns", i);
	c->kind = kv[k];
	c->retries = 1;
	c->warn_days[0] = 21;
	c->warn_days[1] = 14;
	c->warn_days[2] = 7;
	snprintf(c->dns_type, sizeof(c->dns_type), "A");
	snprintf(c->dns_rcode, sizeof(c->dns_rcode), "NOERROR");
	if (get_num(o, "every", true, 5, 86400, &c->every, i, err, errlen) < 0 ||
	    get_num(o, "retry_every", true, 5, 86400, &c->retry_every, i, err, errlen) < 0 ||
	    get_num(o, "timeout", true, 1, 300, &c->timeout, i, err, errlen) < 0 ||
	    get_num(o, "port", c->kind == INV_CHK_TCP, 1, 65535, &port, i, err, errlen) < 0 ||
	    get_num(o, "status", false, 100, 599, &status, i, err, errlen) < 0 ||
	    get_str(o, "keyword", false, c->keyword, sizeof(c->keyword), i, err, errlen) < 0 ||
	    get_str(o, "regex", false, c->regex, sizeof(c->regex), i, err, errlen) < 0 ||
	    get_str(o, "redirects", false, redir, sizeof(redir), i, err, errlen) < 0)
		return -1;
	c->port = (uint16_t)port;
	c->status = (uint16_t)status;
	if (strcmp(redir, "follow") != 0 && strcmp(redir, "no") != 0)
		return errf(err, errlen, "probes: checks[%zu].redirects: expected follow or no", i);
	c->redirects = redir[0] == 'f' ? INV_REDIR_FOLLOW : INV_REDIR_NO;
	if (c->kind == INV_CHK_HTTP || c->kind == INV_CHK_HTTPS) {
		const char *scheme = c->kind == INV_CHK_HTTP ? "http://" : "https://";

		if (strncmp(c->target, scheme, strlen(scheme)) != 0 ||
		    c->target[strlen(scheme)] == '\0' || strpbrk(c->target, " \t") != NULL)
			return errf(err, errlen, "probes: checks[%zu].target: expected a URL that "
				    "starts with %s", i, scheme);
		if (c->regex[0] != '\0') {
			char why[160];
			regex_t re;

			if (probe_regex_bounded(c->regex, why, sizeof(why)) < 0)
				return errf(err, errlen, "probes: checks[%zu].regex: %s", i, why);
			if (regcomp(&re, c->regex, REG_EXTENDED | REG_NOSUB) != 0)
				return errf(err, errlen, "probes: checks[%zu].regex: not a POSIX "
					    "extended regular expression", i);
			regfree(&re);
		}
	} else if (c->port != 0 && c->kind != INV_CHK_TCP && c->kind != INV_CHK_TLS) {
		return errf(err, errlen, "probes: checks[%zu].port: only for tcp and tls checks", i);
	}
	if (c->kind == INV_CHK_TLS && c->port == 0)
		c->port = 443;
	if (more_members(o, i, c, err, errlen) < 0)
		return -1;
	if (c->kind == INV_CHK_PLUGIN) {
		size_t n = strlen(c->target);

		if (n >= sizeof(c->name) ||
		    strspn(c->target, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789._-") != n)
			return errf(err, errlen, "probes: checks[%zu].target: expected a plugin's "
				    "name", i);
		memcpy(c->name, c->target, n + 1);
	}
	return 0;
}

int sprobe_args(json_t *args, struct sprobe_check **out, size_t *n, char *err, size_t errlen)
{
	json_t *arr = json_object_get(args, "checks"), *v;
	struct sprobe_check *cs;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_object(args) || !json_is_array(arr) || json_array_size(arr) > SPROBE_MAX)
		return errf(err, errlen, "probes: expected {\"checks\": [...]} with at most %d checks",
			    SPROBE_MAX);
	cs = calloc(json_array_size(arr) + 1, sizeof(*cs));
	if (cs == NULL)
		return errf(err, errlen, "probes: out of memory");
	json_array_foreach(arr, i, v) {
		if (one_check(v, i, &cs[i], err, errlen) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cs[j].service, cs[i].service) == 0 &&
			    strcmp(cs[j].key, cs[i].key) == 0) {
				errf(err, errlen, "probes: checks[%zu]: the same check as checks[%zu]",
				     i, j);
				goto fail;
			}
	}
	*out = cs;
	*n = json_array_size(arr);
	return 0;
fail:
	free(cs);
	return -1;
}

/* ---- the runner ------------------------------------------------------------ */

struct sprobe {
	char dir[PATH_MAX - 32];         /* room for "/probes.json" */
	struct sensorlink *link;
	struct plugin_cmd *plugins;     /* agent.conf's, n_plugins */
	int n_plugins;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool started, stop;
	struct sprobe_check *checks;
	uint64_t *due;                  /* monotonic ms, per check */
	size_t n;
	unsigned gen;                   /* bumped by each assignment */
	unsigned long long runs, lost;
};

static const struct plugin_cmd *plugin_of(const struct sprobe *sp, const char *name)
{
	for (int i = 0; i < sp->n_plugins; i++)
		if (strcmp(sp->plugins[i].name, name) == 0)
			return &sp->plugins[i];
	return NULL;
}

/* Replace the checks under the lock; first runs spread over a second. */
static int set_locked(struct sprobe *sp, struct sprobe_check *checks, size_t n)
{
	uint64_t *due = calloc(n + 1, sizeof(*due)), now = mono_ms();

	if (due == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		due[i] = now + (uint64_t)(i * 1000 / (n ? n : 1));
	free(sp->checks);
	free(sp->due);
	sp->checks = checks;
	sp->due = due;
	sp->n = n;
	sp->gen++;
	return 0;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL)
		return errf(err, errlen, "%s: %s", tmp, strerror(errno));
	if (fputs(text, f) == EOF || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct sprobe *sprobe_new(const char *dir, char *const *names, char *const *cmds, int n,
			  struct sensorlink *link, char *warn, size_t warnlen)
{
	struct sprobe *sp = calloc(1, sizeof(*sp));
	char path[PATH_MAX], why[256];
	json_error_t je;
	json_t *saved;

	warn[0] = '\0';
	if (sp == NULL)
		return NULL;
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->link = link;
	pthread_mutex_init(&sp->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&sp->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	sp->plugins = calloc((size_t)n + 1, sizeof(*sp->plugins));
	if (sp->plugins == NULL) {
		sprobe_free(sp);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		/* checked when the configuration was read */
		if (plugin_cmd_split(&sp->plugins[sp->n_plugins], cmds[i], why, sizeof(why)) < 0)
			continue;
		snprintf(sp->plugins[sp->n_plugins].name, sizeof(sp->plugins[0].name), "%s",
			 names[i]);
		sp->n_plugins++;
	}
	/* the last assignment, so that checks run while the console is away */
	snprintf(path, sizeof(path), "%s/probes.json", sp->dir);
	saved = json_load_file(path, 0, &je);
	if (saved != NULL) {
		struct sprobe_check *cs;
		size_t nc;

		if (sprobe_args(saved, &cs, &nc, why, sizeof(why)) < 0)
			snprintf(warn, warnlen, "%s: %s; no checks until the console sends them",
				 path, why);
		else if (set_locked(sp, cs, nc) < 0)
			free(cs);
		json_decref(saved);
	} else if (access(path, F_OK) == 0) {
		snprintf(warn, warnlen, "%s: %s; no checks until the console sends them", path,
			 je.text);
	}
	return sp;
}

/* One result into the spool, as a probe_result event. */
static void emit(struct sprobe *sp, const struct sprobe_check *sc, const struct probe_result *r)
{
	struct timespec ts;
	struct tm tm;
	char when[48], err[256], *text;
	json_t *ev;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "1970-01-01T00:00:00");
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06ld+0000",
		 ts.tv_nsec / 1000);
	ev = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:I,s:s,s:I}}", "event_type", "probe_result",
		       "timestamp", when, "probe", "service", sc->service, "check", sc->key,
		       "state", probe_state_name(r->state), "ms", (json_int_t)r->ms,
		       "output", r->output, "time", (json_int_t)ts.tv_sec);
	if (ev != NULL && r->cert_expiry != 0)
		json_object_set_new(json_object_get(ev, "probe"), "cert_expiry",
				    json_integer(r->cert_expiry));
	text = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	if (text == NULL || sensorlink_append(sp->link, text, strlen(text), true, err,
					      sizeof(err)) < 0) {
		pthread_mutex_lock(&sp->mu);
		sp->lost++;
		pthread_mutex_unlock(&sp->mu);
		log_err("probe result of %s / %s not stored: %s", sc->service, sc->key,
			text == NULL ? "out of memory" : err);
	}
	free(text);
}

static void *run(void *arg)
{
	struct sprobe *sp = arg;
	struct sprobe_check *sc = malloc(sizeof(*sc));
	struct probe_result r;

	if (sc == NULL)
		return NULL;
	pthread_mutex_lock(&sp->mu);
	while (!sp->stop) {
		uint64_t now = mono_ms(), first = UINT64_MAX;
		size_t i = 0;
		unsigned gen;

		for (size_t k = 0; k < sp->n; k++)
			if (sp->due[k] < first) {
				first = sp->due[k];
				i = k;
			}
		if (sp->n == 0) {
			pthread_cond_wait(&sp->cv, &sp->mu);
			continue;
		}
		if (first > now) {
			struct timespec until;

			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += (time_t)((first - now) / 1000);
			until.tv_nsec += (long)((first - now) % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&sp->cv, &sp->mu, &until);
			continue;
		}
		*sc = sp->checks[i];
		gen = sp->gen;
		sp->due[i] = UINT64_MAX;        /* running */
		pthread_mutex_unlock(&sp->mu);

		memset(&r, 0, sizeof(r));
		if (sc->chk.kind == INV_CHK_PLUGIN)
			plugin_run(plugin_of(sp, sc->chk.name), sc->chk.name, sc->chk.timeout, &r);
		else
			probe_run(&sc->chk, &r);
		emit(sp, sc, &r);

		pthread_mutex_lock(&sp->mu);
		sp->runs++;
		if (gen == sp->gen && i < sp->n)
			sp->due[i] = mono_ms() + 1000ull * (r.state == PROBE_OK ? sc->chk.every :
							    sc->chk.retry_every);
	}
	pthread_mutex_unlock(&sp->mu);
	free(sc);
	return NULL;
}

int sprobe_start(struct sprobe *sp)
{
	if (probe_global_init() < 0 || pthread_create(&sp->th, NULL, run, sp) != 0)
		return -1;
	sp->started = true;
	return 0;
}

int sprobe_set(struct sprobe *sp, struct sprobe_check *checks, size_t n, json_t *args,
	       char *err, size_t errlen)
{
	char path[PATH_MAX], *text = json_dumps(args, JSON_COMPACT);
	int r;

	snprintf(path, sizeof(path), "%s/probes.json", sp->dir);
	if (text == NULL) {
		free(checks);
		return errf(err, errlen, "out of memory");
	}
	r = write_file(path, text, err, errlen);
	free(text);
	if (r < 0) {
		free(checks);
		return -1;
	}
	pthread_mutex_lock(&sp->mu);
	r = set_locked(sp, checks, n);
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	if (r < 0) {
		free(checks);
		return errf(err, errlen, "out of memory");
	}
	return 0;
}

void sprobe_counts(struct sprobe *sp, size_t *checks, unsigned long long *runs,
		   unsigned long long *lost)
{
	pthread_mutex_lock(&sp->mu);
	*checks = sp->n;
	*runs = sp->runs;
	*lost = sp->lost;
	pthread_mutex_unlock(&sp->mu);
}

void sprobe_free(struct sprobe *sp)
{
	if (sp == NULL)
		return;
	if (sp->started) {
		pthread_mutex_lock(&sp->mu);
		sp->stop = true;
		pthread_cond_broadcast(&sp->cv);
		pthread_mutex_unlock(&sp->mu);
		pthread_join(sp->th, NULL);
	}
	for (int i = 0; sp->plugins != NULL && i < sp->n_plugins; i++)
		plugin_cmd_free(&sp->plugins[i]);
	free(sp->plugins);
	free(sp->checks);
	free(sp->due);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->cv);
	free(sp);
}
