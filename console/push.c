/*
 * push.c - see push.h.
 */
#include "push.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "console.h"
#include "log.h"
#include "mono.h"
#include "probes.h"
#include "server.h"
#include "svcalert.h"
#include "svcalert_run.h"

struct source {
	char addr[STORE_ADDR_MAX + 1];
	double tokens;
	uint64_t at_ms;                 /* tokens counted at */
};

struct push {
	struct event *timer;
	struct source *src;             /* PUSH_SOURCES slots, addr "" free */
	struct push_stats stats;
	struct log_limit rl;            /* log lines about refused pings */
};

int push_parse_path(const char *rest, char uuid[INV_UUID_LEN + 1], enum svc_ping *what,
		    int *exit_code)
{
	static const char fmt[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	const char *p;
	size_t n;

	for (int i = 0; i < INV_UUID_LEN; i++) {
		char ch = rest[i];

		if (fmt[i] == '-' ? ch != '-' : !((ch >= '0' && ch <= '9') ||
						  (ch >= 'a' && ch <= 'f') ||
						  (ch >= 'A' && ch <= 'F')))
			return -1;
		uuid[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
	}
	uuid[INV_UUID_LEN] = '\0';
	p = rest + INV_UUID_LEN;
	*exit_code = -1;
	if (*p == '\0' || strcmp(p, "/") == 0) {
		*what = SVC_PING_SUCCESS;
		return 0;
	}
	if (*p++ != '/')
		return -1;
	n = strlen(p);
	if (n > 0 && p[n - 1] == '/')
		n--;
	if (n == 5 && memcmp(p, "start", 5) == 0) {
		*what = SVC_PING_START;
		return 0;
	}
	if (n == 4 && memcmp(p, "fail", 4) == 0) {
		*what = SVC_PING_FAIL;
		return 0;
	}
	if (n >= 1 && n <= 3 && (p[0] != '0' || n == 1)) {
		int v = 0;

		for (size_t i = 0; i < n; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			v = v * 10 + (p[i] - '0');
		}
		if (v > 255)
			return -1;
		*what = SVC_PING_EXIT;
		*exit_code = v;
		return 0;
	}
	return -1;
}

/* Take one token from addr's bucket: true when it may ping. */
static bool allow(struct push *ps, const char *addr)
{
	uint64_t now = mono_ms();
	struct source *s = NULL, *idle = NULL;
	size_t h = 5381;

	for (const char *q = addr; *q != '\0'; q++)
		h = h * 33 + (unsigned char)*q;
	/* open addressing over a short run; else the run's longest idle goes */
	for (int i = 0; i < 16; i++) {
		struct source *x = &ps->src[(h + (size_t)i) % PUSH_SOURCES];

		if (strcmp(x->addr, addr) == 0) {
			s = x;
			break;
		}
		if (x->addr[0] == '\0' && (idle == NULL || idle->addr[0] != '\0'))
			idle = x;
		else if (idle == NULL || (idle->addr[0] != '\0' && x->at_ms < idle->at_ms))
			idle = x;
	}
	if (s == NULL) {
		s = idle;
		if (s->addr[0] != '\0')
			ps->stats.sources_evicted++;
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->tokens = PUSH_BURST;
		s->at_ms = now;
	}
	s->tokens += (double)(now - s->at_ms) * PUSH_RATE / 1000.0;
	if (s->tokens > PUSH_BURST)
		s->tokens = PUSH_BURST;
	s->at_ms = now;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (out == NULL) {
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

void push_handle(struct console *c, struct evhttp_request *req, const char *path)
{
	struct push *ps = c->push;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char uuid[INV_UUID_LEN + 1], addr[STORE_ADDR_MAX + 1], key[SVC_KEY_MAX], err[256];
	const struct inv_service *sv;
	const struct inv_check *chk;
	enum svc_ping what;
	int code, changed;
	char *body = NULL;
	size_t blen = 0;

	if (ps == NULL) {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	server_peer_addr(req, addr, sizeof(addr));
	if (!allow(ps, addr)) {
		ps->stats.limited++;
		log_limited(&ps->rl, LOG_LVL_WARN, "ping: %s is over the rate limit (%d a second)",
			    addr, PUSH_RATE);
		reply_text(req, 429, "Too Many Requests", "rate limited\n");
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_POST && m != EVHTTP_REQ_HEAD) {
		reply_text(req, 405, "Method Not Allowed", "use GET, HEAD or POST\n");
		return;
	}
	if (push_parse_path(path + 6, uuid, &what, &code) < 0 ||
	    (chk = inv_find_uuid(c->conf.inv, uuid, &sv)) == NULL) {
		ps->stats.unknown++;
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	if (m == EVHTTP_REQ_POST && server_body(req, &body, &blen) < 0) {
		reply_text(req, 503, "Service Unavailable", "out of memory\n");
		return;
	}
	svcstore_key(chk, key);
	if (svcstore_ping(c->store, sv->name, key, (int64_t)console_now(), what, code, addr, body,
			  blen, &changed, err, sizeof(err)) < 0) {
		free(body);
		log_err("ping for %s/%s: %s", sv->name, key, err);
		reply_text(req, 503, "Service Unavailable", "not recorded, try again\n");
		return;
	}
	free(body);
	ps->stats.pings++;
	if (changed) {
		bool down = what == SVC_PING_FAIL || (what == SVC_PING_EXIT && code != 0);
		int64_t now = (int64_t)console_now();

		log_info("service %s: push check %s is %s (ping from %s)", sv->name, key,
			 down ? "down" : "up", addr);
		svcalert_state(c, sv, key, down ? "down" : "up",
			       down ? "the job reported a failure" : "the job reported a success",
			       probes_in_maintenance(sv, (time_t)now), now);
	}
	reply_text(req, 200, "OK", "OK\n");
}

/* The state a push check's clock says; NULL: leave it. */
static const char *due_state(const struct inv_check *chk, const struct svc_row *r, int64_t now)
{
	if (strcmp(r->state, "up") != 0 && strcmp(r->state, "late") != 0)
		return NULL;    /* new waits for its first ping; down for a success */
	if (chk->schedule[0] != '\0') {
		/* late from the first run the schedule had after the last success */
		int64_t due = cron_next(&chk->cron, r->last_ok, chk->sched_utc);

		if (due < 0)
			return NULL;
		if (now >= due + (int64_t)chk->grace)
			return "down";
		return now >= due ? "late" : NULL;
	}
	if (now >= r->last_ok + (int64_t)chk->period + (int64_t)chk->grace)
		return "down";
	if (now >= r->last_ok + (int64_t)chk->period)
		return "late";
	return NULL;
}

void push_evaluate(struct console *c, int64_t now)
{
	const struct inventory *inv = c->conf.inv;
	char key[SVC_KEY_MAX], err[256];
	struct svc_row r;
	int changed;

	for (int i = 0; inv != NULL && i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			const struct inv_check *chk = &inv->svc[i].checks[j];
			const char *st;

			if (chk->kind != INV_CHK_PUSH)
				continue;
			svcstore_key(chk, key);
			if (svcstore_get(c->store, inv->svc[i].name, key, &r, err, sizeof(err)) != 0)
				continue;
			st = due_state(chk, &r, now);
			if (st == NULL)
				continue;
			if (svcstore_set_state(c->store, inv->svc[i].name, key, st, now, &changed, err,
					       sizeof(err)) < 0)
				log_err("service %s: %s", inv->svc[i].name, err);
			else if (changed) {
				char out[96];

				log_warn("service %s: push check %s is %s: no success since %" PRId64
					 " s ago", inv->svc[i].name, key, st, now - r.last_ok);
				snprintf(out, sizeof(out), "no success for %" PRId64 " s",
					 now - r.last_ok);
				svcalert_state(c, &inv->svc[i], key, st, out,
					       probes_in_maintenance(&inv->svc[i], (time_t)now), now);
			}
		}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;

	(void)fd;
	(void)what;
	push_evaluate(c, (int64_t)console_now());
}

int push_start(struct console *c, char *err, size_t errlen)
{
	struct timeval tv = { 1, 0 };
	struct push *ps;

	if (svcstore_init(c->store, err, errlen) < 0 ||
	    svcalert_init(c->store, (int64_t)console_now(), err, errlen) < 0 ||
	    svcstore_sync(c->store, c->conf.inv, (int64_t)console_now(), err, errlen) < 0)
		return -1;
	ps = calloc(1, sizeof(*ps));
	if (ps != NULL)
		ps->src = calloc(PUSH_SOURCES, sizeof(*ps->src));
	if (ps == NULL || ps->src == NULL) {
		if (ps != NULL)
			free(ps);
		snprintf(err, errlen, "push checks: out of memory");
		return -1;
	}
	ps->rl.burst = 5;
	ps->rl.interval_s = 60;
	ps->timer = event_new(c->base, -1, EV_PERSIST, on_timer, c);
	if (ps->timer == NULL || event_add(ps->timer, &tv) < 0) {
		if (ps->timer != NULL)
			event_free(ps->timer);
		free(ps->src);
		free(ps);
		snprintf(err, errlen, "push checks: cannot start the timer");
		return -1;
	}
	c->push = ps;
	return 0;
}

void push_free(struct console *c)
{
	struct push *ps = c->push;

	if (ps == NULL)
		return;
	event_free(ps->timer);
	free(ps->src);
	free(ps);
	c->push = NULL;
}

const struct push_stats *push_stats(const struct console *c)
{
	static const struct push_stats none;

	return c->push != NULL ? &c->push->stats : &none;
}
