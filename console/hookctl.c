/*
 * hookctl.c - the control socket's `hooks` requests (kastroctl hooks ...)
 * and the outbox's start and stop in the console process.
 *
 *   hooks                         one line per hook: name, kind, queue depth,
 *                                 counters, last success, last error
 *   hooks test NAME SECONDS       start a test delivery; answers "ok\ntest=ID"
 *   hooks result ID               "ok\nstate=running" or "ok\nstate=done\n
 *                                 result=accepted|not reached|refused|error\n
 *                                 answer=..."
 *   hooks deliveries NAME [STATE] the newest 50 deliveries of a hook
 *   hooks retry ID | hooks drop ID   an operator's action (audited)
 *
 * A test runs in a thread of its own, so that the console's loop (and
 * ingest) never waits for a receiver; kastroctl asks for the result.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "hookctl.h"
#include "hookdb.h"
#include "svcalert.h"
#include "log.h"
#include "num.h"
#include "outbox.h"
#include "send.h"

/* A hook stored in the console's database (hookdb.h) into the outbox. */
static int load_stored(void *arg, const struct hookdb_row *r)
{
	struct console *c = arg;
	struct hook_def h;
	char err[1024];

	if (hookdb_parse(&c->conf, r->text, &h, err, sizeof(err)) < 0 ||
	    outbox_put(c->outbox, &h, err, sizeof(err)) < 0) {
		/* the grammar's message is three lines: the first says it */
		err[strcspn(err, "\n")] = '\0';
		log_warn("hook %s (made in the console) is not used: %s; an admin can change "
			 "or delete it", r->name, err);
	}
	return 0;
}

int hookctl_start(struct console *c, const char *db_path, char *err, size_t errlen)
{
	char host[256] = "kastro-console";
	struct fmt_ctx ctx;

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "kastro-console");
	host[sizeof(host) - 1] = '\0';
	ctx.hostname = host;
	ctx.public_url = c->conf.public_url;
	if (send_global_init() < 0) {
		snprintf(err, errlen, "hooks: libcurl cannot start");
		return -1;
	}
	if (outbox_new(&c->outbox, db_path, c->conf.hooks, c->conf.n_hooks, &ctx, err, errlen) < 0 ||
	    store_set_outbox(c->store, c->outbox, err, errlen) < 0 ||
	    hookdb_schema(c->store, err, errlen) < 0 ||
	    svcalert_init(c->store, (int64_t)console_now(), err, errlen) < 0 ||
	    hookdb_list(c->store, load_stored, c, err, errlen) < 0 ||
	    outbox_run(c->outbox, err, errlen) < 0)
		return -1;
	for (int i = 0; i < outbox_hooks(c->outbox); i++) {
		struct outbox_hook_status st;

		outbox_status(c->outbox, i, &st);
		log_info("hook %s: %s %s%s%s", st.name, st.kind, st.url,
			 st.from_db ? " (made in the console)" : "",
			 strncmp(st.url, "udp://", 6) == 0 ? " (UDP: alerts may be lost on the way)" : "");
	}
	return 0;
}

void hookctl_tick(struct console *c)
{
	char err[256];

	for (int i = 0; i < outbox_hooks(c->outbox); i++) {
		struct outbox_hook_status st;
		uint64_t shed;
		int64_t id;

		if (!outbox_shed_news(c->outbox, i, &shed))
			continue;
		outbox_status(c->outbox, i, &st);
		if (hookdb_full_alert(c->store, st.name, shed, st.queue_max, (int64_t)console_now(),
				      &id, err, sizeof(err)) < 0)
			log_err("hook %s: the queue-full alert: %s", st.name, err);
	}
}

void hookctl_stop(struct console *c)
{
	if (c->store != NULL)
		store_set_outbox(c->store, NULL, (char[64]){ 0 }, 64);
	outbox_free(c->outbox);
	c->outbox = NULL;
}

struct out {
	char *p;
	size_t len, cap;
	unsigned cut;
};

static void __attribute__((format(printf, 2, 3))) line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut) {
		o->cut++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len - 32) {
		o->p[o->len] = '\0';
		o->cut = 1;
		return;
	}
	o->len += (size_t)n;
}

static int delivery_row(void *arg, const struct outbox_delivery *d)
{
	struct out *o = arg;

	line(o, "\n%lld alert=%lld %s reason=%s attempts=%d created=%lld last=%lld answer=%s",
	     (long long)d->id, (long long)d->alert_id, d->state, d->reason, d->attempts,
	     (long long)d->created, (long long)d->last_at, d->answer[0] ? d->answer : "-");
	return 0;
}

static void audit(struct console *c, const char *action, const char *detail)
{
	char err[256];

	if (store_audit(c->store, (int64_t)console_now(), "root", "local", action, detail, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
}

void hookctl_request(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	struct out o = { ans, 0, anslen, 0 };
	char err[512], answer[512];
	uint64_t v;

	if (n == 1) {
		line(&o, "ok");
		for (int i = 0; i < outbox_hooks(c->outbox); i++) {
			struct outbox_hook_status st;

			outbox_status(c->outbox, i, &st);
			line(&o, "\n%s kind=%s format=%s queued=%lld delivered=%llu failed=%llu "
			     "dropped=%llu retries=%llu last_ok=%lld last_error_at=%lld last_error=%s",
			     st.name, st.kind, st.format, (long long)st.queued,
			     (unsigned long long)st.delivered, (unsigned long long)st.failed,
			     (unsigned long long)st.dropped, (unsigned long long)st.retries,
			     (long long)st.last_ok, (long long)st.last_err_at,
			     st.last_err[0] ? st.last_err : "-");
		}
		return;
	}
	if (n == 4 && strcmp(w[1], "test") == 0) {
		int id;

		if (num_parse_u64(w[3], 1, 600, &v) < 0) {
			snprintf(ans, anslen, "error: hooks test NAME SECONDS (1..600)");
			return;
		}
		if (outbox_test_start(c->outbox, w[2], (unsigned)v, &id, err, sizeof(err)) < 0) {
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		audit(c, "hook.test", w[2]);
		snprintf(ans, anslen, "ok\ntest=%d", id);
		return;
	}
	if (n == 3 && strcmp(w[1], "result") == 0) {
		int result = 0, r;

		if (num_parse_u64(w[2], 1, INT32_MAX, &v) < 0) {
			snprintf(ans, anslen, "error: hooks result ID");
			return;
		}
		r = outbox_test_result(c->outbox, (int)v, &result, answer, sizeof(answer));
		if (r < 0)
			snprintf(ans, anslen, "error: no test %llu", (unsigned long long)v);
		else if (r == 1)
			snprintf(ans, anslen, "ok\nstate=running");
		else
			snprintf(ans, anslen, "ok\nstate=done\nresult=%s\nanswer=%s",
				 send_result_name((enum send_result)result), answer);
		return;
	}
	if ((n == 3 || n == 4) && strcmp(w[1], "deliveries") == 0) {
		line(&o, "ok");
		if (outbox_list(c->outbox, w[2], n == 4 ? w[3] : NULL, 0, 50, delivery_row, &o, err,
				sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
		return;
	}
	if (n == 3 && (strcmp(w[1], "retry") == 0 || strcmp(w[1], "drop") == 0)) {
		bool retry = strcmp(w[1], "retry") == 0;
		int r;

		if (num_parse_u64(w[2], 1, INT64_MAX - 1, &v) < 0) {
			snprintf(ans, anslen, "error: hooks %s ID: expected a delivery id", w[1]);
			return;
		}
		r = retry ? outbox_retry(c->outbox, (int64_t)v, err, sizeof(err))
			  : outbox_drop(c->outbox, (int64_t)v, err, sizeof(err));
		if (r < 0) {
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		snprintf(answer, sizeof(answer), "delivery %llu", (unsigned long long)v);
		audit(c, retry ? "hook.retry" : "hook.drop", answer);
		snprintf(ans, anslen, "ok");
		return;
	}
	snprintf(ans, anslen, "error: unknown request; expected hooks, hooks test NAME SECONDS, "
		 "hooks result ID, hooks deliveries NAME [STATE], hooks retry ID or hooks drop ID");
}

void hookctl_status(struct console *c, char *out, size_t len)
{
	uint64_t q, d, f, x;

	outbox_totals(c->outbox, &q, &d, &f, &x);
	snprintf(out, len, "\nhooks=%d\nhook_queued=%llu\nhook_delivered=%llu\nhook_failed=%llu\n"
		 "hook_dropped=%llu", outbox_hooks(c->outbox), (unsigned long long)q,
		 (unsigned long long)d, (unsigned long long)f, (unsigned long long)x);
}
