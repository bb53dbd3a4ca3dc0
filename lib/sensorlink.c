/*
 * sensorlink.c - see sensorlink.h. What the console answers is parsed by
 * linkproto.c, what the sensor sends is checked there too before it is
 * stored.
 *
 * One loop: curl_multi_poll() waits on both transfers (a batch of events,
 * and the long poll or a command's result), on the events socket, the
 * caller's watched fd and the answers pipe, at most 100 ms while appends
 * wait for their fsync and at most a second otherwise.
 */
#include "sensorlink.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono.h"
#include "spool.h"
#include "version.h"

#define EVENTS_PER_TURN 1024            /* datagrams read per turn */
#define SYNC_EVERY_MS 100u              /* appends become durable within this */
#define ANSWER_MAX_DEFAULT (256u << 10) /* bytes of one answer from the console */
#define POLL_WAIT_S 30                  /* the long poll's wait */
#define CONNECT_TIMEOUT_MS 10000L
#define SEND_TIMEOUT_MS 60000L
#define RESULTS_MAX 64                  /* commands waiting for their result to go out */
#define BATCH_MIN_BYTES (16u << 10)     /* a 413 halves the batch size down to this */

/* One transfer: an easy handle and the answer it collects (bounded). */
struct xfer {
	CURL *h;
	struct curl_slist *hdrs;
	char *ans;
	size_t len, cap;
	int busy, over;
	uint64_t next_ms;               /* not before (backoff); 0: now */
	uint32_t backoff_ms;
};

/* A command's answer waiting to go out. */
struct result {
	int64_t id;
	char *body;
	struct result *next;
};

struct sensorlink {
	const struct sensorlink_args *a;
	struct spool *sp;
	CURLM *multi;
	struct xfer send, poll, res;    /* batches; the long poll; commands' results */
	struct linkp_batch batch;
	size_t batch_max;               /* bytes; lowered when the console says 413 */
	unsigned batch_events;          /* events; narrowed when the console says 400 */
	char base_url[320];
	char sensor_id[64];
	struct result *results, **results_tail;         /* to send, oldest first */
	size_t n_results, n_later;      /* queued; commands answered LATER, not yet in */
	pthread_mutex_t mu;             /* guards posted */
	pthread_mutex_t spool_mu;       /* guards sp: sensorlink_append() from other threads */
	struct result *posted;          /* sensorlink_answer() from other threads */
	int wake[2];                    /* a byte here: something was posted */
	char *evbuf;                    /* one datagram */
	char spool_path[PATH_MAX];
	uint64_t unsynced, last_sync_ms;
	uint64_t unsynced_ext;          /* sensorlink_append()s without sync (under spool_mu) */
	struct sensorlink_stats st;
	struct log_limit rl_bad, rl_spool, rl_send, rl_poll;
};

static uint32_t rnd32(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)mono_ns();
	return r;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->len + len > x->cap) {
		x->over = 1;
		return 0;       /* ends the transfer with an error */
	}
	memcpy(x->ans + x->len, p, len);
	x->len += len;
	return len;
}

static int xfer_init(struct sensorlink *l, struct xfer *x, size_t cap, char *err, size_t errlen)
{
	const char *dir = l->a->dir;
	char path[PATH_MAX + 16], ua[64];

	memset(x, 0, sizeof(*x));
	x->cap = cap;
	x->ans = malloc(x->cap + 1);
	x->h = curl_easy_init();
	x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (x->hdrs)
		x->hdrs = curl_slist_append(x->hdrs, "Expect:");   /* no 100-continue round trip */
	if (!x->ans || !x->h || !x->hdrs) {
		snprintf(err, errlen, "out of memory for a transfer");
		return -1;
	}
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(x->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	curl_easy_setopt(x->h, CURLOPT_CAINFO, path);
	/* The console's CA alone, never the system's store. */
	curl_easy_setopt(x->h, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 1L);
	/*
	 * The console's own CA issues serverAuth to the console only (sensors
	 * get clientAuth), so a chain to it names the console whatever address
	 * it is reached by (tls.h makes the same choice).
	 */
	curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	curl_easy_setopt(x->h, CURLOPT_SSLCERT, path);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	curl_easy_setopt(x->h, CURLOPT_SSLKEY, path);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	snprintf(ua, sizeof(ua), "%s/%s", l->a->program, KASTRO_VERSION);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, ua);
	if (l->a->proxy)
		curl_easy_setopt(x->h, CURLOPT_PROXY, l->a->proxy);
	else
		curl_easy_setopt(x->h, CURLOPT_PROXY, "");     /* not from the environment */
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	return 0;
}

static void xfer_free(struct sensorlink *l, struct xfer *x)
{
	if (x->h) {
		if (x->busy)
			curl_multi_remove_handle(l->multi, x->h);
		curl_easy_cleanup(x->h);
	}
	curl_slist_free_all(x->hdrs);
	free(x->ans);
	memset(x, 0, sizeof(*x));
}

static int xfer_start(struct sensorlink *l, struct xfer *x, const char *path, const char *body,
		      size_t len, long timeout_ms)
{
	char url[sizeof(l->base_url) + 64];

	snprintf(url, sizeof(url), "%s%s", l->base_url, path);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(x->h, CURLOPT_POST, 1L);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	x->len = 0;
	x->over = 0;
	if (curl_multi_add_handle(l->multi, x->h) != CURLM_OK)
		return -1;
	x->busy = 1;
	return 0;
}

/* A failed exchange: log it (rate-limited), remember why, back off. */
static void xfer_failed(struct sensorlink *l, struct xfer *x, struct log_limit *rl, const char *what,
			const char *why)
{
	uint32_t wait = linkp_backoff(&x->backoff_ms, rnd32());

	snprintf(l->st.last_error, sizeof(l->st.last_error), "%s: %s", what, why);
	l->st.connected = 0;
	x->next_ms = mono_ms() + wait;
	log_limited(rl, LOG_LVL_WARN, "console %s: %s; retrying in %u ms", what, why, wait);
}

/* What a finished transfer got: -1 with why when it is no 200 answer. */
static int xfer_outcome(struct xfer *x, CURLcode rc, char *why, size_t whylen, long *status)
{
	long code = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	if (x->over) {
		snprintf(why, whylen, "answer over %zu bytes", x->cap);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	x->ans[x->len] = '\0';
	if (code != 200) {
		snprintf(why, whylen, "HTTP %ld: %.120s", code, x->ans);
		return -1;
	}
	return 0;
}

/* ---- events in ------------------------------------------------------------ */

static void take_events(struct sensorlink *l)
{
	char *buf = l->evbuf;
	const size_t buflen = LINKP_EVENT_MAX + 1;
	char err[256];
	int i;

	for (i = 0; i < EVENTS_PER_TURN; i++) {
		enum spool_class cls;
		ssize_t r = recv(l->a->events_fd, buf, buflen, MSG_DONTWAIT | MSG_TRUNC);

		if (r < 0)
			return;         /* EAGAIN; nothing else is expected on a socketpair */
		if (r == 0)
			continue;       /* an empty datagram */
		l->st.received++;
		if ((size_t)r > buflen - 1 ||
		    linkp_event_class(buf, (size_t)r, &cls, err, sizeof(err)) < 0) {
			l->st.malformed++;
			log_limited(&l->rl_bad, LOG_LVL_WARN, "event dropped: %s",
				    (size_t)r > buflen - 1 ? "too large" : err);
			continue;
		}
		pthread_mutex_lock(&l->spool_mu);
		r = spool_append(l->sp, cls, buf, (size_t)r, SPOOL_NOSYNC, NULL, err, sizeof(err));
		pthread_mutex_unlock(&l->spool_mu);
		if (r < 0) {
			l->st.spool_errors++;
			log_limited(&l->rl_spool, LOG_LVL_ERR, "spool: %s", err);
			continue;
		}
		l->st.spooled++;
		l->unsynced++;
	}
}

static void maybe_sync(struct sensorlink *l, int force)
{
	char err[256];
	uint64_t now = mono_ms();

	pthread_mutex_lock(&l->spool_mu);
	if (l->unsynced_ext) {
		l->unsynced += l->unsynced_ext;
		l->unsynced_ext = 0;
	}
	if (!l->unsynced || (!force && now - l->last_sync_ms < SYNC_EVERY_MS)) {
		pthread_mutex_unlock(&l->spool_mu);
		return;
	}
	if (spool_sync(l->sp, err, sizeof(err)) < 0)
		log_limited(&l->rl_spool, LOG_LVL_ERR, "spool: %s", err);
	pthread_mutex_unlock(&l->spool_mu);
	l->unsynced = 0;
	l->last_sync_ms = now;
}

/* ---- batches out ---------------------------------------------------------- */

static int add_record(void *arg, uint64_t seq, enum spool_class cls, const void *data,
		      size_t len)
{
	struct sensorlink *l = arg;

	(void)cls;
	if (l->batch.len + len + 2 > l->batch_max && l->batch.n > 0)
		return 1;
	return linkp_batch_add(&l->batch, seq, data, len) == 0 ? 0 : 1;
}

static void start_send(struct sensorlink *l)
{
	struct spool_stats ss;
	char err[256];
	long n;

	pthread_mutex_lock(&l->spool_mu);
	spool_stats(l->sp, &ss);
	if (ss.next_seq <= ss.acked_seq + 1) {
		pthread_mutex_unlock(&l->spool_mu);
		return;         /* nothing unacknowledged */
	}
	linkp_batch_reset(&l->batch);
	n = spool_read(l->sp, 0, l->batch_events, l->batch_max - 64, add_record, l, err,
		       sizeof(err));
	pthread_mutex_unlock(&l->spool_mu);
	l->unsynced = 0;        /* spool_read() syncs first */
	l->last_sync_ms = mono_ms();
	if (n < 0) {
		log_limited(&l->rl_spool, LOG_LVL_ERR, "spool: %s", err);
		return;
	}
	if (l->batch.n == 0)
		return;
	linkp_batch_finish(&l->batch);
	if (xfer_start(l, &l->send, "/sensor/v1/events", l->batch.buf, l->batch.len,
		       SEND_TIMEOUT_MS) < 0) {
		xfer_failed(l, &l->send, &l->rl_send, "send", "cannot start a transfer");
		return;
	}
	l->st.batches++;
	l->st.sent += l->batch.n;
}

static void send_done(struct sensorlink *l, CURLcode rc)
{
	char why[256], err[256];
	uint64_t ack;
	long status;

	if (xfer_outcome(&l->send, rc, why, sizeof(why), &status) < 0) {
		l->st.send_failures++;
		if (status == 413 && l->batch_max / 2 >= BATCH_MIN_BYTES) {
			l->batch_max /= 2;
			log_warn("console refuses batches this large; sending at most %zu bytes",
				 l->batch_max);
		}
		if (status == 400 && linkp_refused(l->batch.n, &l->batch_events) == LINKP_SKIP) {
			/* One event the console will never take: skip it, or it
			 * would hold back every event behind it. */
			l->st.rejected++;
			log_limited(&l->rl_send, LOG_LVL_WARN,
				    "console refused event %llu (%s); skipped, %llu so far",
				    (unsigned long long)l->batch.last_seq, why,
				    (unsigned long long)l->st.rejected);
			pthread_mutex_lock(&l->spool_mu);
			if (spool_ack(l->sp, l->batch.last_seq, err, sizeof(err)) < 0)
				log_limited(&l->rl_spool, LOG_LVL_ERR, "spool: %s", err);
			pthread_mutex_unlock(&l->spool_mu);
			l->send.next_ms = 0;
			return;
		}
		if (status == 400) {
			l->send.next_ms = 0;    /* again at once, with half the events */
			return;
		}
		xfer_failed(l, &l->send, &l->rl_send, "send", why);
		return;
	}
	if (linkp_parse_ack(l->send.ans, l->send.len, l->batch.first_seq, l->batch.last_seq, &ack,
			    err, sizeof(err)) < 0) {
		l->st.send_failures++;
		xfer_failed(l, &l->send, &l->rl_send, "send", err);
		return;
	}
	pthread_mutex_lock(&l->spool_mu);
	if (spool_ack(l->sp, ack, err, sizeof(err)) < 0) {
		pthread_mutex_unlock(&l->spool_mu);
		log_limited(&l->rl_spool, LOG_LVL_ERR, "spool: %s", err);
		return;
	}
	pthread_mutex_unlock(&l->spool_mu);
	if (l->send.backoff_ms)
		log_info("console reached again: events flowing");
	l->st.acked += ack - l->batch.first_seq + 1;
	linkp_accepted(&l->batch_events);
	l->st.connected = 1;
	l->send.backoff_ms = 0;
	l->send.next_ms = 0;
}

/* ---- commands ------------------------------------------------------------- */

static void queue_result(struct sensorlink *l, struct result *r)
{
	r->next = NULL;
	*l->results_tail = r;
	l->results_tail = &r->next;
	l->n_results++;
}

/* The answers other threads posted (newest first), taken off the list. */
static struct result *take_posted_list(struct sensorlink *l)
{
	struct result *r, *old = NULL, *next;

	pthread_mutex_lock(&l->mu);
	r = l->posted;
	l->posted = NULL;
	pthread_mutex_unlock(&l->mu);
	for (; r; r = next) {           /* oldest first */
		next = r->next;
		r->next = old;
		old = r;
	}
	return old;
}

/* The answers other threads posted, into the queue. */
static void take_posted(struct sensorlink *l)
{
	struct result *r, *next;
	char b[64];

	while (read(l->wake[0], b, sizeof(b)) > 0)
		;
	for (r = take_posted_list(l); r; r = next) {
		next = r->next;
		if (l->n_later > 0)
			l->n_later--;
		queue_result(l, r);
	}
}

static void take_posted_free(struct sensorlink *l)
{
	struct result *r, *next;

	for (r = take_posted_list(l); r; r = next) {
		next = r->next;
		free(r->body);
		free(r);
	}
}

static void start_poll(struct sensorlink *l)
{
	char path[64];

	if (l->n_later >= RESULTS_MAX || l->n_results >= RESULTS_MAX)
		return;         /* answer those first */
	snprintf(path, sizeof(path), "/sensor/v1/commands?wait=%d", POLL_WAIT_S);
	if (xfer_start(l, &l->poll, path, NULL, 0, (POLL_WAIT_S + 15) * 1000L) < 0) {
		xfer_failed(l, &l->poll, &l->rl_poll, "poll", "cannot start a transfer");
		return;
	}
	l->st.polls++;
}

/* The oldest result waiting, on a connection of its own (not behind a poll). */
static void start_result(struct sensorlink *l)
{
	if (!l->results)
		return;
	if (xfer_start(l, &l->res, "/sensor/v1/results", l->results->body,
		       strlen(l->results->body), SEND_TIMEOUT_MS) < 0)
		xfer_failed(l, &l->res, &l->rl_poll, "result", "cannot start a transfer");
}

static void drop_first_result(struct sensorlink *l)
{
	struct result *r = l->results;

	l->results = r->next;
	if (!l->results)
		l->results_tail = &l->results;
	l->n_results--;
	free(r->body);
	free(r);
}

/* One command: ping here, the rest by the caller. */
static void run_command(struct sensorlink *l, const struct linkp_cmd *c)
{
	enum sensorlink_answer ans;
	json_t *res = NULL;
	struct result *r;

	if (strcmp(c->type, "ping") == 0) {
		ans = SENSORLINK_DONE;
		res = linkp_pong((int64_t)time(NULL), l->a->program);
	} else if (c->type[0] && l->a->on_command) {
		ans = l->a->on_command(l->a->arg, c, &res);
	} else {
		ans = SENSORLINK_FAILED;
		res = c->type[0] ? linkp_error("unknown command \"%s\"", c->type) :
				   linkp_error("command without a valid type");
	}
	if (ans == SENSORLINK_LATER) {
		l->n_later++;
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r)
		r->body = linkp_result(c->id, ans == SENSORLINK_DONE, res);
	else
		json_decref(res);
	if (!r || !r->body) {
		free(r);
		log_limited(&l->rl_poll, LOG_LVL_ERR, "command %lld: out of memory for its result",
			    (long long)c->id);
		return;
	}
	r->id = c->id;
	queue_result(l, r);
}

static void result_done(struct sensorlink *l, CURLcode rc)
{
	char why[256];
	long status;

	if (xfer_outcome(&l->res, rc, why, sizeof(why), &status) < 0) {
		l->st.poll_failures++;
		/* A result the console refuses (4xx: unknown id) is not sent again. */
		if (status >= 400 && status < 500) {
			log_warn("console refused the result of command %lld: %s",
				 (long long)l->results->id, why);
			drop_first_result(l);
			return;
		}
		xfer_failed(l, &l->res, &l->rl_poll, "result", why);
		return;
	}
	l->res.backoff_ms = 0;
	l->res.next_ms = 0;
	l->st.connected = 1;
	log_info("command %lld answered", (long long)l->results->id);
	drop_first_result(l);
	l->st.results++;
}

static void poll_done(struct sensorlink *l, CURLcode rc)
{
	struct linkp_cmd cmds[RESULTS_MAX];
	char why[256];
	size_t n = 0, i;
	long status;

	if (xfer_outcome(&l->poll, rc, why, sizeof(why), &status) < 0) {
		l->st.poll_failures++;
		xfer_failed(l, &l->poll, &l->rl_poll, "poll", why);
		return;
	}
	l->poll.backoff_ms = 0;
	l->poll.next_ms = 0;
	l->st.connected = 1;
	if (linkp_parse_commands(l->poll.ans, l->poll.len, cmds,
				 RESULTS_MAX > l->n_results ? RESULTS_MAX - l->n_results : 0, &n,
				 why, sizeof(why)) < 0) {
		l->st.poll_failures++;
		xfer_failed(l, &l->poll, &l->rl_poll, "poll", why);
		return;
	}
	for (i = 0; i < n; i++) {
		log_info("command %lld (%s) from the console", (long long)cmds[i].id,
			 cmds[i].type[0] ? cmds[i].type : "?");
		run_command(l, &cmds[i]);
		linkp_cmd_clear(&cmds[i]);
	}
	l->st.commands += n;
}

/* ---- the loop ------------------------------------------------------------- */

static void fill_stats(struct sensorlink *l)
{
	struct spool_stats ss;
	int c;

	pthread_mutex_lock(&l->spool_mu);
	spool_stats(l->sp, &ss);
	pthread_mutex_unlock(&l->spool_mu);
	l->st.pending = l->st.pending_bytes = l->st.spool_dropped = 0;
	for (c = 0; c < SPOOL_NCLASS; c++) {
		l->st.pending += ss.pending_records[c];
		l->st.pending_bytes += ss.pending_bytes[c];
		l->st.spool_dropped += ss.dropped_records[c];
	}
	l->st.acked_seq = ss.acked_seq;
	l->st.backoff_ms = l->send.backoff_ms;
}

static int read_sensor_id(struct sensorlink *l, char *err, size_t errlen)
{
	char path[PATH_MAX + 16];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/sensor_id", l->a->dir);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s; enrol first (%s enroll --console HOST --token TOKEN "
			 "--ca-fingerprint SHA256:...)", path, strerror(errno), l->a->program);
		return -1;
	}
	n = fread(l->sensor_id, 1, sizeof(l->sensor_id) - 1, f);
	fclose(f);
	l->sensor_id[n] = '\0';
	l->sensor_id[strcspn(l->sensor_id, "\r\n")] = '\0';
	if (l->sensor_id[0] == '\0') {
		snprintf(err, errlen, "%s is empty; enrol again with %s enroll --force", path,
			 l->a->program);
		return -1;
	}
	return 0;
}

static void handle_done(struct sensorlink *l)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(l->multi, &left))) {
		struct xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(l->multi, m->easy_handle);
		x->busy = 0;
		if (x == &l->send)
			send_done(l, m->data.result);
		else if (x == &l->res)
			result_done(l, m->data.result);
		else
			poll_done(l, m->data.result);
	}
}

struct sensorlink *sensorlink_new(const struct sensorlink_args *a, char *warn, size_t warnlen,
				  char *err, size_t errlen)
{
	struct sensorlink *l = calloc(1, sizeof(*l));
	struct spool_config sc;

	warn[0] = '\0';
	if (!l || !(l->evbuf = malloc(LINKP_EVENT_MAX + 1))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->a = a;
	l->wake[0] = l->wake[1] = -1;
	l->results_tail = &l->results;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->spool_mu, NULL);
	l->rl_bad.burst = l->rl_spool.burst = l->rl_send.burst = l->rl_poll.burst = 3;
	l->rl_bad.interval_s = l->rl_spool.interval_s = l->rl_send.interval_s =
		l->rl_poll.interval_s = 60;
	if (read_sensor_id(l, err, errlen) < 0)
		goto fail;
	memset(&sc, 0, sizeof(sc));
	sc.max_bytes = a->spool_max;
	sc.max_record = LINKP_EVENT_MAX;
	snprintf(l->spool_path, sizeof(l->spool_path), "%s/spool", a->dir);
	l->sp = spool_open(l->spool_path, &sc, warn, warnlen);
	if (!l->sp) {
		snprintf(err, errlen, "%s", warn);
		warn[0] = '\0';
		goto fail;
	}
	snprintf(l->base_url, sizeof(l->base_url), strchr(a->host, ':') ?
		 "https://[%s]:%u" : "https://%s:%u", a->host, a->port);
	l->batch_max = LINKP_BATCH_MAX_BYTES;
	l->batch_events = LINKP_BATCH_MAX_EVENTS;
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(l->multi = curl_multi_init()) ||
	    linkp_batch_init(&l->batch, LINKP_BATCH_MAX_BYTES) < 0 ||
	    xfer_init(l, &l->send, ANSWER_MAX_DEFAULT, err, errlen) < 0 ||
	    xfer_init(l, &l->poll, a->answer_max ? a->answer_max : ANSWER_MAX_DEFAULT, err,
		      errlen) < 0 ||
	    xfer_init(l, &l->res, ANSWER_MAX_DEFAULT, err, errlen) < 0) {
		snprintf(err, errlen, "cannot set up libcurl: out of memory");
		goto fail;
	}
	return l;
fail:
	sensorlink_free(l);
	return NULL;
}

const char *sensorlink_sensor_id(const struct sensorlink *l)
{
	return l->sensor_id;
}

int sensorlink_answer(struct sensorlink *l, int64_t id, bool done, json_t *result)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r)
		r->body = linkp_result(id, done, result);
	else
		json_decref(result);
	if (!r || !r->body) {
		free(r);
		return -1;
	}
	r->id = id;
	pthread_mutex_lock(&l->mu);
	r->next = l->posted;
	l->posted = r;
	pthread_mutex_unlock(&l->mu);
	(void)!write(l->wake[1], "", 1);
	return 0;
}

int sensorlink_append(struct sensorlink *l, const char *json, size_t len, bool durable,
		      char *err, size_t errlen)
{
	enum spool_class cls;
	int rc;

	if (linkp_event_class(json, len, &cls, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&l->spool_mu);
	rc = spool_append(l->sp, cls, json, len, durable ? 0 : SPOOL_NOSYNC, NULL, err, errlen);
	if (rc == 0 && !durable)
		l->unsynced_ext++;
	pthread_mutex_unlock(&l->spool_mu);
	if (rc == 0)
		(void)!write(l->wake[1], "", 1);        /* send soon */
	return rc;
}

int sensorlink_fetch(struct sensorlink *l, const char *path, size_t max, char **body,
		     size_t *len, char *err, size_t errlen)
{
	struct xfer x;
	char why[256], url[sizeof(l->base_url) + PATH_MAX];
	CURLcode rc;
	long status;

	*body = NULL;
	*len = 0;
	if (xfer_init(l, &x, max, err, errlen) < 0) {
		xfer_free(l, &x);
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", l->base_url, path);
	curl_easy_setopt(x.h, CURLOPT_URL, url);
	curl_easy_setopt(x.h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, SEND_TIMEOUT_MS * 5);
	rc = curl_easy_perform(x.h);
	if (xfer_outcome(&x, rc, why, sizeof(why), &status) < 0) {
		snprintf(err, errlen, "GET %s: %s", path, why);
		xfer_free(l, &x);
		return -1;
	}
	*body = x.ans;
	*len = x.len;
	x.ans = NULL;
	xfer_free(l, &x);
	return 0;
}

int sensorlink_run(struct sensorlink *l)
{
	const struct sensorlink_args *a = l->a;
	time_t last_sec = 0;
	struct spool_stats ss;

	uint64_t waiting = 0;

	spool_stats(l->sp, &ss);
	for (int c = 0; c < SPOOL_NCLASS; c++)
		waiting += ss.pending_records[c];
	log_info("link: sensor %s to %s%s%s, spool %s (%llu records waiting)", l->sensor_id,
		 l->base_url, a->proxy ? " via " : "", a->proxy ? a->proxy : "", l->spool_path,
		 (unsigned long long)waiting);
	while (!*a->stop) {
		struct curl_waitfd wfd[3];
		uint64_t now = mono_ms();
		int running, numfds = 0, nw = 2;
		int t = 1000;
		time_t sec;

		if (!l->send.busy && now >= l->send.next_ms)
			start_send(l);
		if (!l->poll.busy && now >= l->poll.next_ms)
			start_poll(l);
		if (!l->res.busy && now >= l->res.next_ms)
			start_result(l);
		if (l->unsynced)
			t = SYNC_EVERY_MS;
		if (!l->send.busy && l->send.next_ms > now && l->send.next_ms - now < (uint64_t)t)
			t = (int)(l->send.next_ms - now);
		if (!l->poll.busy && l->poll.next_ms > now && l->poll.next_ms - now < (uint64_t)t)
			t = (int)(l->poll.next_ms - now);
		if (l->results && !l->res.busy && l->res.next_ms > now &&
		    l->res.next_ms - now < (uint64_t)t)
			t = (int)(l->res.next_ms - now);
		memset(wfd, 0, sizeof(wfd));
		wfd[0].fd = l->wake[0];
		wfd[0].events = CURL_WAIT_POLLIN;
		wfd[1].fd = a->events_fd;
		wfd[1].events = CURL_WAIT_POLLIN;
		if (a->watch_fd >= 0) {
			wfd[2].fd = a->watch_fd;
			wfd[2].events = CURL_WAIT_POLLIN;
		}
		nw = a->watch_fd >= 0 ? 3 : a->events_fd >= 0 ? 2 : 1;
		if (a->events_fd < 0 && a->watch_fd >= 0) {
			wfd[1] = wfd[2];
			nw = 2;
		}
		if (curl_multi_poll(l->multi, wfd, (unsigned)nw, t, &numfds) != CURLM_OK) {
			log_err("link: curl_multi_poll failed; stopping");
			return 1;
		}
		for (int i = 1; i < nw; i++) {
			if (!wfd[i].revents)
				continue;
			if (wfd[i].fd == a->watch_fd && a->on_watch && a->on_watch(a->arg))
				return 0;
			if (wfd[i].fd == a->events_fd)
				take_events(l);
		}
		if (wfd[0].revents)
			take_posted(l);
		maybe_sync(l, 0);
		curl_multi_perform(l->multi, &running);
		handle_done(l);
		sec = time(NULL);
		if (sec != last_sec) {
			fill_stats(l);
			if (a->on_tick)
				a->on_tick(a->arg, &l->st);
			last_sec = sec;
		}
	}
	return 0;
}

void sensorlink_free(struct sensorlink *l)
{
	char err[PATH_MAX + 256];

	if (!l)
		return;
	if (l->sp && l->a->events_fd >= 0) {
		/*
		 * Store what was queued last (the sensor stops before its link;
		 * when the link alone restarts, what is queued waits on the
		 * socket).
		 */
		for (int i = 0; i < 64; i++) {
			uint64_t before = l->st.received;

			take_events(l);
			if (l->st.received == before)
				break;
		}
	}
	if (l->sp)
		maybe_sync(l, 1);
	xfer_free(l, &l->send);
	xfer_free(l, &l->poll);
	xfer_free(l, &l->res);
	if (l->multi) {
		curl_multi_cleanup(l->multi);
		curl_global_cleanup();
	}
	linkp_batch_free(&l->batch);
	if (l->sp && spool_close(l->sp, err, sizeof(err)) < 0)
		log_err("link: spool: %s", err);
	while (l->results)
		drop_first_result(l);
	take_posted_free(l);
	if (l->wake[0] >= 0)
		close(l->wake[0]);
	if (l->wake[1] >= 0)
		close(l->wake[1]);
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->spool_mu);
	free(l->evbuf);
	free(l);
}
