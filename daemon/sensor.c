/*
 * sensor.c - see sensor.h. Everything in this file runs after privs_drop():
 * it reads packets and what the parent sends, and both are handled as
 * untrusted (the parent's messages are checked field by field by ipc.c).
 */
#include "sensor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dpi.h"
#include "engine.h"
#include "ipc.h"
#include "lathist.h"
#include "log.h"
#include "mono.h"
#include "pktmsg.h"
#include "privs.h"
#include "sandbox.h"
#include "sigs.h"

/* Verdicts read per turn of the loop, so packets are never starved. */
#define SENSOR_VERDICTS_PER_TURN 1024

static volatile sig_atomic_t sig_stop, sig_stats;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_stats = 1;
	else
		sig_stop = 1;
}

struct sensor {
	const struct sensor_args *a;
	struct engine eng;
	uint64_t queries_unsent;
	struct lathist block_lat;       /* query sent to block verdict back, us */
	int parent_gone;
	struct log_limit rl_unsent, rl_link;
	/* inline */
	struct pkt_verdict vout[PKT_MAX_BATCH];
	int nv;
	uint64_t verdicts_unsent;
	uint64_t ct_ends;               /* flows ended by the kernel's word */
	struct relay_stats rstats;      /* the relay's, forwarded by the parent */
	struct ipc_rule_hits hits;      /* DPI rule matches not yet sent to the parent */
	uint32_t hits_other;            /* matches that found no room in hits */
};

/* Send the DPI rule matches counted so far; kept for the next try if the
 * parent's socket is full. */
static void send_hits(struct sensor *s)
{
	if (s->hits_other > 0 && s->hits.n < IPC_RULE_HITS_MAX) {
		s->hits.v[s->hits.n].rule_id = IPC_RULE_HITS_OTHER;
		s->hits.v[s->hits.n++].count = s->hits_other;
		s->hits_other = 0;
	}
	if (s->hits.n == 0 || s->a->ipc_fd < 0)
		return;
	if (ipc_send(s->a->ipc_fd, IPC_RULE_HITS, &s->hits, sizeof(s->hits)) == 0)
		memset(&s->hits, 0, sizeof(s->hits));
}

/* Count one match of DPI rule id for the parent's per-rule figures. */
static void count_hit(struct sensor *s, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < s->hits.n; i++)
		if (s->hits.v[i].rule_id == id) {
			s->hits.v[i].count++;
			return;
		}
	if (s->hits.n == IPC_RULE_HITS_MAX)
		send_hits(s);
	if (s->hits.n == IPC_RULE_HITS_MAX) {
		s->hits_other++;
		return;
	}
	s->hits.v[s->hits.n].rule_id = id;
	s->hits.v[s->hits.n++].count = 1;
}

/* The EVE tap: one event per datagram to the link, never waiting for it. */
static int tap_link(void *ctx, const char *json, size_t len)
{
	struct sensor *s = ctx;
	ssize_t w;

	do
		w = send(s->a->link_fd, json, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	log_limited(&s->rl_link, LOG_LVL_WARN,
		    "console link is not keeping up: %llu EVE events not handed over (%s)",
		    (unsigned long long)s->a->eve->tap_dropped + 1,
		    w < 0 ? strerror(errno) : "short send");
	return -1;
}

/* Live: hand the query to the parent; never wait for it. */
static void query_ipc(void *ctx, const struct verdict_query *query)
{
	struct sensor *s = ctx;
	struct verdict_query q = *query;

	if (s->parent_gone)
		return;
	q.sent_ns = mono_ns();
	if (ipc_send(s->a->ipc_fd, IPC_QUERY, &q, sizeof(q)) == 0)
		return;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		s->queries_unsent++;
		log_limited(&s->rl_unsent, LOG_LVL_WARN,
			    "parent is not keeping up: %llu policy queries not sent (flows not judged)",
			    (unsigned long long)s->queries_unsent);
		return;
	}
	log_err("cannot send to the parent: %s; stopping", strerror(errno));
	s->parent_gone = 1;
}

/* Replay: ask the policy here and act on its answer at once. */
static void query_local(void *ctx, const struct verdict_query *q)
{
	struct sensor *s = ctx;
	struct verdict v;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = s->a->policy(s->a->policy_ctx, q, &v);
	if (v.rule_id != 0)
		count_hit(s, v.rule_id);        /* the policy matched a rule */
	if (rc == 1)
		engine_verdict(&s->eng, &v);
}

static void send_stats(struct sensor *s)
{
	const struct engine *e = &s->eng;
	struct engine_capture_stats cs;
	struct flow_stats fs;
	struct ipc_stats st;

	memset(&st, 0, sizeof(st));
	memset(&cs, 0, sizeof(cs));
	if (s->a->cap)
		capture_stats(s->a->cap, &cs);
	flow_get_stats(e->ft, &fs);
	st.pkts = e->st.pkts;
	st.bytes = e->st.bytes;
	st.flows_live = fs.active;
	st.flows_classified = e->st.flows_classified;
	st.flows_unknown = e->st.flows_unknown;
	st.flows_evicted = fs.ended_forced;
	st.queries = e->queries;
	st.queries_unsent = s->queries_unsent;
	st.verdicts = e->verdicts;
	st.verdicts_late = e->verdicts_stale;
	st.alerts = e->alerts;
	st.kernel_packets = cs.kernel_packets;
	st.kernel_drops = cs.kernel_drops + cs.kernel_ifdrops;
	st.eve_events = s->a->eve->events;
	st.eve_dropped = s->a->eve->dropped_too_big + s->a->eve->write_errors;
	st.eve_reopens = s->a->eve->reopens;
	st.link_sent = s->a->eve->tap_sent;
	st.link_dropped = s->a->eve->tap_dropped;
	st.block_lat_count = s->block_lat.count;
	st.block_lat_p50_us = lathist_pct(&s->block_lat, 50);
	st.block_lat_p99_us = lathist_pct(&s->block_lat, 99);
	st.block_lat_max_us = s->block_lat.max_us;
	/* A full buffer only delays the figures to the next second. */
	(void)ipc_send(s->a->ipc_fd, IPC_STATS, &st, sizeof(st));
	send_hits(s);
}

/* Read the verdicts waiting on the socket. -1: the parent is gone or broke the protocol. */
static int read_parent(struct sensor *s)
{
	struct ipc_msg m;
	char err[256];
	int i, r, fd;

	for (i = 0; i < SENSOR_VERDICTS_PER_TURN; i++) {
		r = ipc_recv_fd(s->a->ipc_fd, &m, &fd, err, sizeof(err));
		if (r == 0)
			return 0;
		if (r < 0) {
			if (!sig_stop)   /* the parent closes the socket when it stops us */
				log_err("parent: %s; stopping", err);
			return -1;
		}
		if (m.type == IPC_EVE_FILE) {
			/* log rotation: the parent opened the file again (everotate.h) */
			if (eve_switch(s->a->eve, fd, err, sizeof(err)) < 0)
				log_err("EVE: %s", err);
			continue;
		}
		if (m.type == IPC_RELAY_STATS) {
			s->rstats = m.u.relay;
			s->eng.inl = &s->rstats;
			continue;
		}
		if (m.type != IPC_VERDICT) {
			log_err("parent: unexpected message type %u; stopping", m.type);
			return -1;
		}
		/* The parent answers a block after the element is in the kernel:
		 * from query to answer bounds classification to enforcement. */
		if (m.u.verdict.action == VERDICT_BLOCK && m.u.verdict.query_ns != 0) {
			uint64_t now = mono_ns();

			if (now >= m.u.verdict.query_ns)
				lathist_add(&s->block_lat, (now - m.u.verdict.query_ns) / 1000u);
		}
		engine_verdict(&s->eng, &m.u.verdict);
	}
	return 0;
}

/* Inline: judge one packet the relay handed over. */
static void inline_rec(void *ctx, const struct pkt_rec *r, const uint8_t *pkt)
{
	struct sensor *s = ctx;
	struct pkt_verdict *v = &s->vout[s->nv++];

	memset(v, 0, sizeof(*v));
	v->id = r->id;
	v->action = (uint8_t)engine_packet_inline(&s->eng, r->ts_us, pkt, r->len);
	if (v->action == PKT_BLOCK)
		v->rst_len = (uint8_t)pkt_rst_build(pkt, r->len, v->rst);
}

static int send_pkt_msg(struct sensor *s, uint32_t type, const void *body, uint32_t n, size_t len)
{
	static uint8_t buf[sizeof(struct pkt_hdr) + sizeof(s->vout)];
	struct pkt_hdr h = { type, n };
	ssize_t w;

	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), body, len);
	do
		w = send(s->a->pkt_fd, buf, sizeof(h) + len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

/* Inline: read batches from the relay, answer each packet. 0, or -1 to stop. */
static int read_relay(struct sensor *s)
{
	static uint8_t buf[PKT_MSG_MAX];
	char err[256];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(s->a->pkt_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0)
			return -1;
		if ((size_t)n == sizeof(struct pkt_hdr) && memcmp(buf, &(const uint32_t){ PKT_HELLO },
								    sizeof(uint32_t)) == 0) {
			/* the relay asks whether we are there */
			(void)send_pkt_msg(s, PKT_HELLO, NULL, 0, 0);
			continue;
		}
		if ((size_t)n >= sizeof(struct pkt_hdr) && memcmp(buf, &(const uint32_t){ PKT_CTEND },
								     sizeof(uint32_t)) == 0) {
			static struct pkt_ctend ce[PKT_MAX_CTEND];
			int k, m = pkt_decode_ctend(buf, (size_t)n, ce, err, sizeof(err));

			if (m < 0) {
				log_err("relay: %s; stopping", err);
				return -1;
			}
			for (k = 0; k < m; k++) {
				struct nft_flow t;

				memset(&t, 0, sizeof(t));
				t.family = ce[k].family;
				t.proto = ce[k].proto;
				memcpy(t.src, ce[k].src, 16);
				memcpy(t.dst, ce[k].dst, 16);
				t.sport = ce[k].sport;
				t.dport = ce[k].dport;
				s->ct_ends += (uint64_t)engine_ct_end(&s->eng, &t, ce[k].pkts, ce[k].bytes,
								      ce[k].end_us, ce[k].unqueued,
								      ce[k].start_us);
			}
			continue;
		}
		s->nv = 0;
		if (pkt_decode_batch(buf, (size_t)n, inline_rec, s, err, sizeof(err)) < 0) {
			log_err("relay: %s; stopping", err);
			return -1;
		}
		if (s->nv > 0 && send_pkt_msg(s, PKT_VERDICTS, s->vout, (uint32_t)s->nv,
					      (size_t)s->nv * sizeof(s->vout[0])) < 0)
			s->verdicts_unsent += (uint64_t)s->nv;
	}
	return 0;
}

static int inline_loop(struct sensor *s)
{
	const struct sensor_args *a = s->a;
	time_t last_sec = 0;

	if (send_pkt_msg(s, PKT_HELLO, NULL, 0, 0) < 0)
		log_warn("cannot tell the relay that inspection runs: %s", strerror(errno));
	if (ipc_send(a->ipc_fd, IPC_READY, NULL, 0) < 0)
		log_warn("cannot tell the parent that inspection runs: %s", strerror(errno));
	log_info("inspecting queued connections inline, EVE to %s", a->conf->eve_path);
	while (!sig_stop && !s->parent_gone) {
		struct pollfd pfd[2] = { { a->pkt_fd, POLLIN, 0 }, { a->ipc_fd, POLLIN, 0 } };
		struct timespec ts;
		time_t now;
		int r = poll(pfd, 2, 200);

		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (r > 0 && pfd[0].revents && read_relay(s) < 0)
			return 1;
		if (r > 0 && pfd[1].revents && read_parent(s) < 0)
			return sig_stop ? 0 : 1;
		clock_gettime(CLOCK_REALTIME, &ts);
		engine_advance(&s->eng, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
		if (sig_stats) {
			sig_stats = 0;
			engine_report_stats(&s->eng, NULL);
			eve_flush(a->eve);
		}
		now = ts.tv_sec;
		if (now != last_sec) {
			eve_flush(a->eve);
			send_stats(s);
			last_sec = now;
		}
	}
	return 0;
}

int sensor_run(const struct sensor_args *a)
{
	static struct sensor s;
	const struct kastrod_conf *conf = a->conf;
	struct dpi *dpi = NULL;
	char err[4096];
	time_t last_sec = 0;
	pid_t parent = getppid();
	int rc = 0, i;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.rl_unsent.burst = 1;
	s.rl_unsent.interval_s = 60;
	s.rl_link.burst = 1;
	s.rl_link.interval_s = 60;
	sigs_worker(on_signal, true);

	/* nDPI's list files may be readable by root only: load them first. */
	dpi = dpi_new(conf, err, sizeof(err));
	if (!dpi) {
		log_err("%s", err);
		if (a->cap)
			capture_close(a->cap);
		return 1;
	}
	/* The default user may not exist on a machine without the package. */
	if (privs_drop(conf->user, strcmp(conf->user, "kastro") == 0 ? "nobody" : NULL,
		       err, sizeof(err)) < 0) {
		log_err("cannot drop privileges: %s", err);
		rc = 1;
		goto out_dpi;
	}
	if (a->ipc_fd >= 0) {
		/* Cleared by the change of user above, so set after it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != parent) {
			log_err("parent exited during start-up; stopping");
			rc = 1;
			goto out_dpi;
		}
	}
	if (engine_init(&s.eng, conf, dpi, a->eve, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rc = 1;
		goto out_dpi;
	}
	if (a->link_fd >= 0) {
		a->eve->tap = tap_link;
		a->eve->tap_ctx = &s;
	}
	if (a->pkt_fd >= 0) {
		if (a->policy)
			engine_set_query_hook(&s.eng, query_local, &s);
		if (sandbox_sensor(err, sizeof(err)) < 0) {
			log_err("%s", err);
			rc = 1;
			engine_fini(&s.eng);
			goto out_dpi;
		}
		rc = inline_loop(&s);
		engine_flush(&s.eng);
		engine_report_stats(&s.eng, NULL);
		eve_flush(a->eve);
		engine_fini(&s.eng);
		goto out_dpi;
	}
	if (a->ipc_fd >= 0) {
		engine_set_query_hook(&s.eng, query_ipc, &s);
		capture_watch_fd(a->cap, a->ipc_fd);
	} else if (a->policy) {
		engine_set_query_hook(&s.eng, query_local, &s);
	}
	if (a->cap->live) {
		for (i = 0; i < conf->n_ifaces; i++)
			s.eng.ifname[i] = conf->ifaces[i];
		log_info("capturing on %d interface(s), EVE to %s", conf->n_ifaces, conf->eve_path);
		if (a->ipc_fd >= 0 && ipc_send(a->ipc_fd, IPC_READY, NULL, 0) < 0)
			log_warn("cannot tell the parent that capture runs: %s", strerror(errno));
	}

	while (!sig_stop && !s.parent_gone) {
		int r = capture_dispatch(a->cap, &s.eng, 200, err, sizeof(err));
		time_t now;

		if (r < 0) {
			log_err("%s: %s", a->source ? a->source : "capture", err);
			rc = 2;
			break;
		}
		if (r == 0)
			break;
		if (a->ipc_fd >= 0 && a->cap->extra_revents && read_parent(&s) < 0) {
			rc = sig_stop ? 0 : 1;
			break;
		}
		if (sig_stats) {
			struct engine_capture_stats cs;

			sig_stats = 0;
			capture_stats(a->cap, &cs);
			engine_report_stats(&s.eng, &cs);
			eve_flush(a->eve);
		}
		now = time(NULL);
		if (a->cap->live && now != last_sec) {
			eve_flush(a->eve);
			if (a->ipc_fd >= 0)
				send_stats(&s);
			last_sec = now;
		}
	}
	if (s.parent_gone)
		rc = 1;

	{
		struct engine_capture_stats cs;

		capture_stats(a->cap, &cs);
		engine_flush(&s.eng);
		engine_report_stats(&s.eng, &cs);
	}
	if (a->eve->write_errors)
		log_err("EVE output: %llu write errors", (unsigned long long)a->eve->write_errors);
	eve_flush(a->eve);
	engine_fini(&s.eng);
out_dpi:
	if (a->cap)
		capture_close(a->cap);
	dpi_free(dpi);
	return rc;
}
