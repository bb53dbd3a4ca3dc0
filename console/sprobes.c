/*
 * sprobes.c - see sprobes.h.
 */
#include "sprobes.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "console.h"
#include "errf.h"
#include "log.h"
#include "probes.h"
#include "sensorapi.h"
#include "sprobe.h"
#include "store_services.h"

/* One sensor that has checks assigned, and the command that carries them. */
struct sp_sensor {
	char id[STORE_ID_MAX + 1];
	int64_t cmd_id;                 /* 0: not queued yet */
	bool settled;                   /* the sensor answered it (done or failed) */
};

struct sprobes {
	struct console *c;
	struct event *timer;
	struct sp_sensor *s;
	int n, cap;
	uint64_t results, refused;
};

static bool host_has_checks(const struct inventory *inv, const char *host)
{
	for (int i = 0; i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++)
			if (strcasecmp(inv->svc[i].checks[j].from, host) == 0)
				return true;
	return false;
}

json_t *sprobes_assignment(const struct inventory *inv, const char *host)
{
	json_t *arr = json_array(), *o;
	char key[SVC_KEY_MAX];

	if (arr == NULL)
		return NULL;
	for (int i = 0; inv != NULL && i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			const struct inv_check *c = &inv->svc[i].checks[j];

			if (c->from[0] == '\0' || strcasecmp(c->from, host) != 0)
				continue;
			svcstore_key(c, key);
			o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "service", inv->svc[i].name,
				      "key", key, "kind", inv_kind_name(c->kind), "target",
				      c->target, "every", (json_int_t)c->every, "retry_every",
				      (json_int_t)c->retry_every, "timeout", (json_int_t)c->timeout);
			if (o == NULL)
				goto fail;
			if (c->port != 0)
				json_object_set_new(o, "port", json_integer(c->port));
			if (c->kind == INV_CHK_HTTP || c->kind == INV_CHK_HTTPS) {
				if (c->status != 0)
					json_object_set_new(o, "status", json_integer(c->status));
				if (c->keyword[0] != '\0')
					json_object_set_new(o, "keyword", json_string(c->keyword));
				if (c->regex[0] != '\0')
					json_object_set_new(o, "regex", json_string(c->regex));
				json_object_set_new(o, "redirects", json_string(
					c->redirects == INV_REDIR_FOLLOW ? "follow" : "no"));
			}
			if (json_array_append_new(arr, o) < 0 || sprobe_members(o, c) < 0)
				goto fail;
		}
	if (json_array_size(arr) == 0)
		goto fail;
	return json_pack("{s:o}", "checks", arr);
fail:
	json_decref(arr);
	return NULL;
}

static struct sp_sensor *sensor_slot(struct sprobes *sp, const char *id)
{
	struct sp_sensor *ns;

	for (int i = 0; i < sp->n; i++)
		if (strcmp(sp->s[i].id, id) == 0)
			return &sp->s[i];
	if (sp->n == sp->cap) {
		int cap = sp->cap ? sp->cap * 2 : 8;

		ns = realloc(sp->s, (size_t)cap * sizeof(*ns));
		if (ns == NULL)
			return NULL;
		sp->s = ns;
		sp->cap = cap;
	}
	ns = &sp->s[sp->n++];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->id, sizeof(ns->id), "%s", id);
	return ns;
}

struct cmd_find {
	int64_t id;
	char status[STORE_STATUS_MAX + 1];
	char result[200];
};

static int find_cmd(void *arg, const struct store_command *row)
{
	struct cmd_find *f = arg;

	if (row->id != f->id)
		return 0;
	snprintf(f->status, sizeof(f->status), "%s", row->status);
	snprintf(f->result, sizeof(f->result), "%s", row->result != NULL ? row->result : "");
	return 1;
}

/* Queue the assignment for sensor row (whose host has checks), unless it is on its way. */
static int queue_for(void *arg, const struct store_sensor *row)
{
	struct sprobes *sp = arg;
	struct console *c = sp->c;
	struct sp_sensor *s;
	char err[256], *text;
	json_t *args;

	if (row->revoked_at != 0 || !host_has_checks(c->conf.inv, row->hostname))
		return 0;
	s = sensor_slot(sp, row->id);
	if (s == NULL || s->settled)
		return 0;
	if (s->cmd_id != 0) {
		struct cmd_find f = { .id = s->cmd_id };

		if (store_command_list(c->store, row->id, 0, 50, find_cmd, &f, err,
				       sizeof(err)) < 0) {
			log_err("probes for sensor %s: %s", row->id, err);
			return 0;
		}
		if (strcmp(f.status, "done") == 0) {
			s->settled = true;
			log_info("probes: sensor %s (%s) took its checks: %s", row->id, row->hostname,
				 f.result);
			return 0;
		}
		if (strcmp(f.status, "failed") == 0) {
			s->settled = true;
			log_warn("probes: sensor %s (%s) refused its checks: %s", row->id,
				 row->hostname, f.result);
			return 0;
		}
		/* gone from the newest commands, or expired: queue it again */
		if (strcmp(f.status, "queued") == 0 || strcmp(f.status, "delivered") == 0)
			return 0;
	}
	args = sprobes_assignment(c->conf.inv, row->hostname);
	text = args != NULL ? json_dumps(args, JSON_COMPACT) : NULL;
	json_decref(args);
	if (text == NULL) {
		log_err("probes for sensor %s: out of memory", row->id);
		return 0;
	}
	if (store_command_add(c->store, row->id, "probes", text, NULL, (int64_t)console_now(),
			      &s->cmd_id, err, sizeof(err)) < 0) {
		/* too many checks for one command: said once, not every tick */
		s->settled = true;
		log_err("probes for sensor %s (%s): %s; it gets no checks", row->id, row->hostname,
			err);
	} else {
		log_info("probes: checks for sensor %s (%s) queued as command %" PRId64, row->id,
			 row->hostname, s->cmd_id);
		sensorapi_wake(c, row->id);
	}
	free(text);
	return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sprobes *sp = arg;
	char err[256];

	(void)fd;
	(void)what;
	if (store_sensor_list(sp->c->store, queue_for, sp, err, sizeof(err)) < 0)
		log_err("probes from sensors: %s", err);
}

int sprobes_start(struct console *c, char *err, size_t errlen)
{
	const struct inventory *inv = c->conf.inv;
	struct timeval tv = { SPROBES_TICK_S, 0 };
	struct sprobes *sp;
	bool any = false;

	for (int i = 0; inv != NULL && i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++)
			any |= inv->svc[i].checks[j].from[0] != '\0';
	if (!any)
		return 0;
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return errf(err, errlen, "probes from sensors: out of memory");
	sp->c = c;
	sp->timer = event_new(c->base, -1, EV_PERSIST, on_tick, sp);
	if (sp->timer == NULL || event_add(sp->timer, &tv) < 0) {
		if (sp->timer != NULL)
			event_free(sp->timer);
		free(sp);
		return errf(err, errlen, "probes from sensors: cannot start the timer");
	}
	/* the first look at once */
	event_active(sp->timer, EV_TIMEOUT, 0);
	c->sprobes = sp;
	return 0;
}

void sprobes_stop(struct console *c)
{
	struct sprobes *sp = c->sprobes;

	if (sp == NULL)
		return;
	event_free(sp->timer);
	free(sp->s);
	free(sp);
	c->sprobes = NULL;
}

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

int sprobes_parse_event(json_t *e, const char **service, const char **key,
			struct probe_result *r, int64_t *at, char *err, size_t errlen)
{
	json_t *p = json_object_get(e, "probe"), *v;
	const char *s, *out;
	int st = -1;

	if (!json_is_object(p))
		return errf(err, errlen, "probe: expected an object");
	*service = json_string_value(json_object_get(p, "service"));
	*key = json_string_value(json_object_get(p, "check"));
	if (*service == NULL || (*service)[0] == '\0' || strlen(*service) >= INV_NAME_MAX)
		return errf(err, errlen, "probe.service: expected a service's name");
	if (*key == NULL || (*key)[0] == '\0' || strlen(*key) >= SVC_KEY_MAX)
		return errf(err, errlen, "probe.check: expected a check's key");
	s = json_string_value(json_object_get(p, "state"));
	for (int i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, state_names[i]) == 0)
			st = i;
	if (st < 0)
		return errf(err, errlen, "probe.state: expected OK, WARNING, CRITICAL or UNKNOWN");
	v = json_object_get(p, "ms");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 24 * 3600 * 1000)
		return errf(err, errlen, "probe.ms: expected milliseconds");
	memset(r, 0, sizeof(*r));
	r->state = (enum probe_state)st;
	r->ms = (uint32_t)json_integer_value(v);
	v = json_object_get(p, "time");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return errf(err, errlen, "probe.time: expected seconds since the epoch");
	*at = (int64_t)json_integer_value(v);
	/* a tls check's notAfter: optional, a time before the year 10000 */
	v = json_object_get(p, "cert_expiry");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    json_integer_value(v) > 253402300799LL)
			return errf(err, errlen, "probe.cert_expiry: expected seconds since the epoch");
		r->cert_expiry = (int64_t)json_integer_value(v);
	}
	out = json_string_value(json_object_get(p, "output"));
	if (out == NULL)
		return errf(err, errlen, "probe.output: expected a string");
	/* as a plugin's output: one line, no control characters */
	size_t o = 0;

	for (const char *q = out; *q != '\0' && o + 1 < sizeof(r->output); q++)
		r->output[o++] = (unsigned char)*q < ' ' || *q == 0x7f ? ' ' : *q;
	r->output[o] = '\0';
	return 0;
}

/* The host name sensor enrolled with into host; -1 with err. */
static int sensor_host(struct console *c, const char *sensor, char *host, size_t hostlen,
		       char *err, size_t errlen)
{
	struct store_sensor row;

	if (store_sensor_get(c->store, sensor, &row, NULL, err, errlen) != 0)
		return -1;
	snprintf(host, hostlen, "%s", row.hostname);
	return 0;
}

int sprobes_check_batch(struct console *c, const char *sensor, const struct store_batch *b,
			char *err, size_t errlen)
{
	char host[STORE_HOST_MAX + 1] = "", why[300];
	unsigned n = store_batch_events(b);

	for (unsigned i = 0; i < n; i++) {
		struct probe_result r;
		const char *type, *svc, *key;
		int64_t seq, at;
		json_t *e = store_batch_event(b, i, &type, &seq);

		if (e == NULL || strcmp(type, "probe_result") != 0)
			continue;
		if (sprobes_parse_event(e, &svc, &key, &r, &at, why, sizeof(why)) < 0) {
			if (c->sprobes != NULL)
				c->sprobes->refused++;
			return errf(err, errlen, "events[%u]: %s", i, why);
		}
		if (host[0] == '\0' && sensor_host(c, sensor, host, sizeof(host), why,
						   sizeof(why)) < 0)
			return errf(err, errlen, "events[%u]: %s", i, why);
		if (!probes_assigned(c, host, svc, key)) {
			if (c->sprobes != NULL)
				c->sprobes->refused++;
			return errf(err, errlen, "events[%u]: check \"%s\" of service \"%s\" is not "
				    "assigned to this sensor (%s)", i, key, svc, host);
		}
	}
	return 0;
}

void sprobes_apply_batch(struct console *c, const char *sensor, const struct store_batch *b)
{
	char host[STORE_HOST_MAX + 1] = "", err[300];
	unsigned n = store_batch_events(b);

	for (unsigned i = 0; i < n; i++) {
		struct probe_result r;
		const char *type, *svc, *key;
		int64_t seq, at;
		json_t *e = store_batch_event(b, i, &type, &seq);

		if (e == NULL || strcmp(type, "probe_result") != 0 ||
		    sprobes_parse_event(e, &svc, &key, &r, &at, err, sizeof(err)) < 0)
			continue;
		if (host[0] == '\0' && sensor_host(c, sensor, host, sizeof(host), err,
						   sizeof(err)) < 0) {
			log_err("sensor %s: probe results: %s", sensor, err);
			return;
		}
		if (probes_sensor_result(c, host, svc, key, seq, at, &r, err, sizeof(err)) < 0)
			log_warn("sensor %s (%s): probe result not applied: %s", sensor, host, err);
		else if (c->sprobes != NULL)
			c->sprobes->results++;
	}
}

void sprobes_status(const struct console *c, char *out, size_t outlen)
{
	const struct sprobes *sp = c->sprobes;

	if (sp != NULL && outlen > 0)
		snprintf(out, outlen, "\nsensor_probe_results=%llu\nsensor_probe_refused=%llu",
			 (unsigned long long)sp->results, (unsigned long long)sp->refused);
}

struct reload_walk {
	struct sprobes *sp;
	const struct inventory *old;
	int queued;
};

/* Is host's assignment in old other than in the inventory in force? */
static bool assignment_changed(const struct inventory *old, const struct inventory *nw,
			       const char *host)
{
	json_t *a = sprobes_assignment(old, host), *b = sprobes_assignment(nw, host);
	bool changed = !(a == NULL && b == NULL) && (a == NULL || b == NULL || !json_equal(a, b));

	json_decref(a);
	json_decref(b);
	return changed;
}

static int reload_one(void *arg, const struct store_sensor *row)
{
	struct reload_walk *w = arg;
	struct sprobes *sp = w->sp;
	struct console *c = sp->c;
	struct sp_sensor *s;
	char err[256];

	if (row->revoked_at != 0 || strcmp(row->kind, "console") == 0 ||
	    !assignment_changed(w->old, c->conf.inv, row->hostname))
		return 0;
	s = sensor_slot(sp, row->id);
	if (s == NULL) {
		log_err("probes for sensor %s: out of memory", row->id);
		return 0;
	}
	s->cmd_id = 0;
	s->settled = false;
	if (host_has_checks(c->conf.inv, row->hostname)) {
		queue_for(sp, row);
		w->queued++;
		return 0;
	}
	/* it lost all its checks: an empty list stops them */
	if (store_command_add(c->store, row->id, "probes", "{\"checks\":[]}", NULL,
			      (int64_t)console_now(), &s->cmd_id, err, sizeof(err)) < 0) {
		log_err("probes for sensor %s (%s): %s", row->id, row->hostname, err);
		return 0;
	}
	log_info("probes: sensor %s (%s) has no checks any more: queued as command %" PRId64,
		 row->id, row->hostname, s->cmd_id);
	s->settled = true;
	w->queued++;
	sensorapi_wake(c, row->id);
	return 0;
}

int sprobes_reload(struct console *c, const struct inventory *old, int *queued, char *err,
		   size_t errlen)
{
	struct reload_walk w = { .old = old };

	*queued = 0;
	/* no check ran from a sensor before: none lost any; the new ones (if
	   any) are queued by the first tick, at once */
	if (c->sprobes == NULL)
		return sprobes_start(c, err, errlen);
	w.sp = c->sprobes;
	if (store_sensor_list(c->store, reload_one, &w, err, errlen) < 0)
		return -1;
	*queued = w.queued;
	return 0;
}
