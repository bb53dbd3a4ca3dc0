/*
 * relay.c - see relay.h.
 *
 * Packets waiting for the sensor sit in a ring in the order they were read
 * (the sensor answers in that order); each entry keeps the packet's id, its
 * mark, when it was read and its first bytes (for the reset check only).
 * The ring holds at most inline_queue_max + one batch: the kernel never has
 * more packets out than the queue's length.
 */
#include "relay.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ipc.h"
#include "lathist.h"
#include "log.h"
#include "mono.h"
#include "pktmsg.h"

#define HDR_KEEP 128                    /* bytes of a packet kept for the reset check */
#define NL_RCVBUF (16u << 20)
#define VBUF_BYTES (64u << 10)
#define READS_PER_TURN 256

struct ent {
	uint32_t id, mark;
	uint64_t t_ns;
	uint8_t done;
	uint16_t hlen;
	uint8_t hdr[HDR_KEEP];
};

struct relay {
	const struct relay_args *a;
	const struct kastrod_conf *c;
	struct mnl_socket *nl;
	struct mnl_socket *ct;          /* conntrack destroy events; NULL: none */
	struct nf_conntrack *ctobj;
	struct pkt_ctend cte[PKT_MAX_CTEND];
	uint32_t ncte;
	int raw4, raw6;
	struct ent *ring;
	size_t cap, head, tail, used;
	int up;
	uint64_t fail_ns;
	uint64_t probe_ns;              /* last hello sent while the sensor was down */
	/* batch to the sensor */
	uint8_t *sbuf;
	size_t slen;
	uint32_t sn;
	size_t sfirst;                  /* ring index of the batch's first entry */
	/* verdicts to the kernel */
	char *vbuf;
	size_t vlen;
	struct relay_stats st;
	struct lathist hop;
	struct lathist blk;             /* deciding packet read to its verdict in the send buffer */
	struct log_limit rl;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

size_t relay_verdict_msg(char *buf, uint16_t qnum, uint32_t id, int nf_verdict, int glue,
			 uint32_t mark, int action)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, qnum);

	nfq_nlmsg_verdict_put(nlh, (int)id, nf_verdict);
	if (action == PKT_PASS || action == PKT_BLOCK) {
		uint32_t v = action == PKT_PASS ? INL_MARK_PASS : INL_MARK_BLOCK;

		/* the packet mark loses kastrod's bits (failing open: the
		 * chain inline_gate set it) but for the verdict's */
		if (glue) {
			struct nlattr *nest = mnl_attr_nest_start(nlh, NFQA_CT);

			mnl_attr_put_u32(nlh, CTA_MARK, htonl(v));
			mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(INL_MARK_MASK));
			mnl_attr_nest_end(nlh, nest);
			if (mark & INL_MARK_FAILOPEN)
				nfq_nlmsg_verdict_put_mark(nlh, mark & ~(INL_MARK_MASK | INL_MARK_FAILOPEN));
		} else {
			nfq_nlmsg_verdict_put_mark(nlh, (mark & ~(INL_MARK_MASK | INL_MARK_FAILOPEN)) | v);
		}
	}
	return nlh->nlmsg_len;
}

static void vflush(struct relay *r)
{
	if (r->vlen == 0)
		return;
	if (mnl_socket_sendto(r->nl, r->vbuf, r->vlen) < 0) {
		r->st.netlink_errors++;
		log_limited(&r->rl, LOG_LVL_ERR, "queue verdicts not sent: %s", strerror(errno));
	}
	r->vlen = 0;
}

static void verdict(struct relay *r, uint32_t id, int nfv, uint32_t mark, int action)
{
	if (r->vlen + 256 > VBUF_BYTES)
		vflush(r);
	r->vlen += relay_verdict_msg(r->vbuf + r->vlen, r->c->inline_queue, id, nfv,
				     r->a->kernel.ct_glue, mark, action);
}

/* The officer's answer when the sensor cannot give one: the connection's
 * own (its packet mark, inline.h), which nftgen wrote from its rule or
 * from `inline { fail }`. */
static void fail(struct relay *r, uint32_t id, uint32_t mark)
{
	if (mark & INL_MARK_FAILOPEN) {
		r->st.fail_open++;
		verdict(r, id, NF_ACCEPT, 0, PKT_UNDECIDED);
	} else {
		r->st.fail_closed++;
		verdict(r, id, NF_DROP, 0, PKT_UNDECIDED);
	}
}

static void sensor_down(struct relay *r, const char *why)
{
	if (!r->up)
		return;
	r->up = 0;
	r->st.fail_events++;
	log_warn("packet process %s: flows awaiting a verdict fail as their rule says "
		 "(default %s)", why, r->c->inline_fail_open ? "open: pass, counted" :
		 "closed: dropped");
}

static void pop(struct relay *r)
{
	r->head = (r->head + 1) % r->cap;
	r->used--;
}

/* The batch could not be handed over: its packets take the fail verdict. */
static void sflush(struct relay *r)
{
	struct pkt_hdr h = { PKT_BATCH, r->sn };
	ssize_t w;
	size_t i, k;

	if (r->sn == 0)
		return;
	memcpy(r->sbuf, &h, sizeof(h));
	do
		w = send(r->a->sensor_fd, r->sbuf, r->slen, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)r->slen) {
		r->st.handed += r->sn;
	} else {
		sensor_down(r, w < 0 && (errno == EAGAIN || errno == ENOBUFS) ?
			    "is not keeping up" : "cannot be reached");
		for (i = 0, k = r->sfirst; i < r->sn; i++, k = (k + 1) % r->cap) {
			fail(r, r->ring[k].id, r->ring[k].mark);
			r->ring[k].done = 1;
		}
	}
	r->slen = sizeof(h);
	r->sn = 0;
}

static void on_packet(struct relay *r, uint32_t id, uint32_t mark, const uint8_t *pkt, size_t len)
{
	struct pkt_rec rec;
	struct ent *e;
	size_t need = sizeof(rec) + ((len + 7u) & ~(size_t)7u);

	r->st.queued++;
	if (!r->up || r->used == r->cap || len == 0 || len > PKT_MAX_LEN) {
		fail(r, id, mark);
		return;
	}
	if (r->sn == PKT_MAX_BATCH || r->slen + need > PKT_MSG_MAX)
		sflush(r);
	if (!r->up) {
		fail(r, id, mark);
		return;
	}
	if (r->sn == 0)
		r->sfirst = r->tail;
	e = &r->ring[r->tail];
	e->id = id;
	e->mark = mark;
	e->t_ns = mono_ns();
	e->done = 0;
	e->hlen = (uint16_t)(len < HDR_KEEP ? len : HDR_KEEP);
	memcpy(e->hdr, pkt, e->hlen);
	r->tail = (r->tail + 1) % r->cap;
	r->used++;
	{
		struct timeval tv;

		gettimeofday(&tv, NULL);
		rec.ts_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	}
	rec.id = id;
	rec.len = (uint32_t)len;
	memcpy(r->sbuf + r->slen, &rec, sizeof(rec));
	memcpy(r->sbuf + r->slen + sizeof(rec), pkt, len);
	memset(r->sbuf + r->slen + sizeof(rec) + len, 0, need - sizeof(rec) - len);
	r->slen += need;
	r->sn++;
}

static int nl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct relay *r = data;
	struct nlattr *attr[NFQA_MAX + 1];
	const struct nfqnl_msg_packet_hdr *ph;
	uint32_t mark = 0;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (e->error != 0) {
			r->st.netlink_errors++;
			log_limited(&r->rl, LOG_LVL_ERR, "the kernel refused a queue verdict: %s",
				    strerror(-e->error));
		}
		return MNL_CB_OK;
	}
	if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
		return MNL_CB_OK;
	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	if (attr[NFQA_MARK])
		mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	if (!attr[NFQA_PAYLOAD]) {
		fail(r, ntohl(ph->packet_id), mark);
		return MNL_CB_OK;
	}
	on_packet(r, ntohl(ph->packet_id), mark, mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
		  mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
	return MNL_CB_OK;
}

static int read_queue(struct relay *r, char *buf, size_t buflen)
{
	int i;

	for (i = 0; i < READS_PER_TURN; i++) {
		ssize_t n = recv(mnl_socket_get_fd(r->nl), buf, buflen, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				r->st.netlink_errors++;
				continue;
			}
			log_err("queue: %s", strerror(errno));
			return -1;
		}
		(void)mnl_cb_run(buf, (size_t)n, 0, 0, nl_cb, r);
	}
	return 0;
}

static void send_rst(struct relay *r, const struct pkt_verdict *v, const struct ent *e)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (pkt_rst_check(v->rst, v->rst_len, e->hdr, e->hlen) < 0) {
		r->st.resets_refused++;
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (v->rst[0] >> 4 == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, v->rst + 16, 4);
		sl = sizeof(*s4);
		fd = r->raw4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, v->rst + 24, 16);
		sl = sizeof(*s6);
		fd = r->raw6;
	}
	if (fd >= 0 && sendto(fd, v->rst, v->rst_len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) ==
	    (ssize_t)v->rst_len)
		r->st.resets++;
	else
		log_limited(&r->rl, LOG_LVL_WARN, "cannot send a reset: %s", strerror(errno));
}

static void apply(struct relay *r, const struct pkt_verdict *v, uint64_t now)
{
	while (r->used > 0) {
		struct ent *e = &r->ring[r->head];

		if (e->done) {
			pop(r);
			continue;
		}
		if (e->id == v->id) {
			r->st.verdicts++;
			if (v->action == PKT_PASS)
				r->st.passes++;
			if (v->action == PKT_BLOCK) {
				r->st.blocks++;
				if (v->rst_len > 0)
					send_rst(r, v, e);
			}
			verdict(r, e->id, NF_ACCEPT, e->mark, v->action);
			if (v->action == PKT_BLOCK && v->rst_len > 0)
				lathist_add(&r->blk, (mono_ns() - e->t_ns) / 1000u);
			lathist_add(&r->hop, (now - e->t_ns) / 1000u);
			pop(r);
			return;
		}
		if ((int32_t)(e->id - v->id) > 0)
			return;   /* v is for a packet failed already */
		fail(r, e->id, e->mark);   /* skipped by the sensor */
		pop(r);
	}
}

static int read_sensor(struct relay *r)
{
	static uint8_t buf[sizeof(struct pkt_hdr) + PKT_MAX_BATCH * sizeof(struct pkt_verdict) + 8];
	static struct pkt_verdict v[PKT_MAX_BATCH];
	char err[256];
	int i, n, k, hello;

	for (i = 0; i < READS_PER_TURN; i++) {
		ssize_t got = recv(r->a->sensor_fd, buf, sizeof(buf), MSG_DONTWAIT);
		uint64_t now = mono_ns();

		if (got < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (got == 0)
			return -1;
		n = pkt_decode_verdicts(buf, (size_t)got, v, &hello, err, sizeof(err));
		if (n < 0) {
			log_limited(&r->rl, LOG_LVL_ERR, "packet process sent a malformed message: %s",
				    err);
			sensor_down(r, "sent a malformed message");
			continue;
		}
		if (!r->up)
			log_info("packet process answers: inline verdicts resume");
		r->up = 1;
		for (k = 0; k < n; k++)
			apply(r, &v[k], now);
	}
	return 0;
}

static void expire(struct relay *r, uint64_t now)
{
	while (r->used > 0) {
		struct ent *e = &r->ring[r->head];

		if (!e->done) {
			if (now - e->t_ns < r->fail_ns)
				return;
			sensor_down(r, "gives no verdict in time");
			fail(r, e->id, e->mark);
		}
		pop(r);
	}
}

/* ---- the end of judged connections (conntrack destroy events) ---------- */

static void cte_flush(struct relay *r)
{
	static uint8_t buf[sizeof(struct pkt_hdr) + sizeof(r->cte)];
	struct pkt_hdr h = { PKT_CTEND, r->ncte };
	size_t len = sizeof(h) + (size_t)r->ncte * sizeof(r->cte[0]);

	if (r->ncte == 0)
		return;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), r->cte, len - sizeof(h));
	if (send(r->a->sensor_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		r->st.ct_ends += r->ncte;
	else
		r->st.ct_ends_lost += r->ncte;
	r->ncte = 0;
}

static int ct_cb(const struct nlmsghdr *nlh, void *data)
{
	struct relay *r = data;
	struct nf_conntrack *ct = r->ctobj;
	struct pkt_ctend *e;
	struct timeval tv;
	uint32_t mark, m;
	uint8_t l3;

	nfct_set_attr_u32(ct, ATTR_MARK, 0);
	if (nfct_nlmsg_parse(nlh, ct) < 0)
		return MNL_CB_OK;
	mark = nfct_get_attr_u32(ct, ATTR_MARK);
	m = mark & INL_MARK_MASK;
	if (m != INL_MARK_PASS && m != INL_MARK_BLOCK)
		return MNL_CB_OK;   /* not judged by kastrod */
	if (r->ncte == PKT_MAX_CTEND)
		cte_flush(r);
	e = &r->cte[r->ncte];
	memset(e, 0, sizeof(*e));
	l3 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	if (l3 == AF_INET) {
		uint32_t a;

		e->family = 4;
		a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
		memcpy(e->src, &a, 4);
		a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);
		memcpy(e->dst, &a, 4);
	} else if (l3 == AF_INET6) {
		e->family = 6;
		memcpy(e->src, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
		memcpy(e->dst, nfct_get_attr(ct, ATTR_ORIG_IPV6_DST), 16);
	} else {
		return MNL_CB_OK;
	}
	e->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	if (e->proto == 6 || e->proto == 17 || e->proto == 132 || e->proto == 136) {
		e->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		e->dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	}
	e->mark = mark;
	e->unqueued = m == INL_MARK_PASS && (mark & INL_MARK_UNQUEUED) != 0;
	if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0)
		e->start_us = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START) / 1000u;
	if (nfct_attr_is_set(ct, ATTR_ORIG_COUNTER_PACKETS) > 0) {
		e->pkts[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
		e->bytes[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES);
		e->pkts[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
		e->bytes[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
	}
	gettimeofday(&tv, NULL);
	e->end_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	r->ncte++;
	return MNL_CB_OK;
}

static void read_ct(struct relay *r, char *buf, size_t buflen)
{
	int i;

	for (i = 0; i < READS_PER_TURN; i++) {
		ssize_t n = recv(mnl_socket_get_fd(r->ct), buf, buflen, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS)
				r->st.ct_ends_lost++;   /* the kernel dropped events */
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			return;
		}
		nfct_set_attr_u32(r->ctobj, ATTR_MARK, 0);
		(void)mnl_cb_run(buf, (size_t)n, 0, 0, ct_cb, r);
	}
}

/*
 * Listen for the end of connections, with their counts: the kernel counts
 * only when nf_conntrack_acct is on (for connections made after), so it is
 * turned on here. Without it the records keep what the sensor saw.
 */
/* Write "1" to a sysctl file. 0, or -1. */
static int sysctl_on(const char *path)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -1;
	ok = fputs("1\n", f) >= 0;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static void open_ct(struct relay *r)
{
	int rcv = (int)NL_RCVBUF;

	if (sysctl_on("/proc/sys/net/netfilter/nf_conntrack_acct") < 0)
		log_warn("relay: cannot turn on conntrack accounting: flow records of judged "
			 "connections keep the sensor's counts only");
	/* start stamps, for the records of connections never queued */
	if (sysctl_on("/proc/sys/net/netfilter/nf_conntrack_timestamp") < 0)
		log_warn("relay: cannot turn on conntrack time stamps: flow records of "
			 "connections never queued start at their end");
	r->ctobj = nfct_new();
	r->ct = mnl_socket_open(NETLINK_NETFILTER);
	if (!r->ctobj || !r->ct ||
	    mnl_socket_bind(r->ct, NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("relay: no conntrack events (%s): flow records of judged connections "
			 "end at their idle timeout", strerror(errno));
		if (r->ct)
			mnl_socket_close(r->ct);
		r->ct = NULL;
		return;
	}
	(void)setsockopt(mnl_socket_get_fd(r->ct), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
}

/* The kernel's own counters for the queue (/proc/net/netfilter/nfnetlink_queue). */
static void kernel_counters(struct relay *r)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	unsigned q, portid, total, mode, range, qd, ud;
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %u %u %u %u %u", &q, &portid, &total, &mode, &range, &qd,
			   &ud) == 7 && q == r->c->inline_queue) {
			r->st.kernel_queue_dropped = qd;
			r->st.kernel_user_dropped = ud;
		}
	fclose(f);
}

static int cfg(struct relay *r, int cmd_or_flags, int is_cmd)
{
	char buf[512];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, r->c->inline_queue);
	uint32_t flags = NFQA_CFG_F_GSO;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (is_cmd) {
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, (uint8_t)cmd_or_flags);
	} else {
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, r->c->inline_queue_max);
		if (r->c->inline_fail_open)
			flags |= NFQA_CFG_F_FAIL_OPEN;
		if (r->a->kernel.ct_glue)
			flags |= NFQA_CFG_F_CONNTRACK;
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	}
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	{
		ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));

		if (n < 0)
			return -1;
		if (mnl_cb_run(buf, (size_t)n, 0, 0, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

static int open_queue(struct relay *r)
{
	int one = 1, rcv = (int)NL_RCVBUF;

	r->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("queue: netlink socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(mnl_socket_get_fd(r->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	(void)mnl_socket_setsockopt(r->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (cfg(r, NFQNL_CFG_CMD_BIND, 1) < 0) {
		log_err("cannot bind queue %u (another program holds it?): %s", r->c->inline_queue,
			strerror(errno));
		return -1;
	}
	if (cfg(r, 0, 0) < 0) {
		log_err("cannot configure queue %u: %s", r->c->inline_queue, strerror(errno));
		return -1;
	}
	(void)fcntl(mnl_socket_get_fd(r->nl), F_SETFL, O_NONBLOCK);
	return 0;
}

static int keep_caps(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		      CAP_NET_ADMIN, CAP_NET_RAW, -1);
	if (capng_apply(CAPNG_SELECT_ALL) != 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int relay_run(const struct relay_args *a)
{
	static struct relay r;
	static char nlbuf[0x40000];
	struct sigaction sa;
	uint64_t last_stats = 0;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.c = a->conf;
	r.raw4 = r.raw6 = -1;
	r.rl.burst = 5;
	r.rl.interval_s = 60;
	r.fail_ns = (uint64_t)a->conf->inline_fail_ms * 1000000u;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (keep_caps() < 0) {
		log_err("relay: cannot limit capabilities to CAP_NET_ADMIN and CAP_NET_RAW");
		return 1;
	}
	r.cap = (size_t)a->conf->inline_queue_max + PKT_MAX_BATCH;
	r.ring = calloc(r.cap, sizeof(*r.ring));
	r.sbuf = malloc(PKT_MSG_MAX);
	r.vbuf = malloc(VBUF_BYTES);
	if (!r.ring || !r.sbuf || !r.vbuf) {
		log_err("relay: out of memory for a queue of %u packets", a->conf->inline_queue_max);
		goto out;
	}
	r.slen = sizeof(struct pkt_hdr);
	r.raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	r.raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (r.raw4 < 0 || r.raw6 < 0)
		log_warn("relay: no raw socket (%s): blocked connections' servers get no reset",
			 strerror(errno));
	if (open_queue(&r) < 0)
		goto out;
	open_ct(&r);
	log_info("relay: queue %u open (%s route, up to %u packets, fail %s after %u ms)",
		 a->conf->inline_queue, a->kernel.ct_glue ? "conntrack glue" : "packet mark",
		 a->conf->inline_queue_max, a->conf->inline_fail_open ? "open" : "closed",
		 a->conf->inline_fail_ms);
	while (!stop) {
		struct pollfd pfd[4];
		uint64_t now;
		int t = 1000, n;

		pfd[0].fd = mnl_socket_get_fd(r.nl);
		pfd[1].fd = a->sensor_fd;
		pfd[2].fd = a->ipc_fd;
		pfd[3].fd = r.ct ? mnl_socket_get_fd(r.ct) : -1;
		pfd[0].events = pfd[1].events = pfd[2].events = pfd[3].events = POLLIN;
		if (r.used > 0) {
			uint64_t due = r.ring[r.head].t_ns + r.fail_ns;

			now = mono_ns();
			t = due <= now ? 0 : (int)((due - now) / 1000000u) + 1;
			if (t > 1000)
				t = 1000;
		}
		n = poll(pfd, 4, t);
		if (n < 0 && errno != EINTR) {
			log_err("relay: poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			char b[IPC_MAX_MSG];

			if (recv(a->ipc_fd, b, sizeof(b), MSG_DONTWAIT) == 0 ||
			    (pfd[2].revents & (POLLHUP | POLLERR))) {
				rc = 0;
				break;
			}
		}
		if (n > 0 && pfd[1].revents && read_sensor(&r) < 0)
			sensor_down(&r, "is gone");
		if (n > 0 && pfd[0].revents && read_queue(&r, nlbuf, sizeof(nlbuf)) < 0)
			break;
		sflush(&r);
		if (!r.up && mono_ns() - r.probe_ns >= 1000000000u) {
			/* a new relay, or a sensor that went quiet: ask */
			struct pkt_hdr h = { PKT_HELLO, 0 };

			r.probe_ns = mono_ns();
			(void)send(a->sensor_fd, &h, sizeof(h), MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (n > 0 && r.ct && pfd[3].revents) {
			read_ct(&r, nlbuf, sizeof(nlbuf));
			cte_flush(&r);
		}
		now = mono_ns();
		expire(&r, now);
		vflush(&r);
		if (now - last_stats >= 1000000000u) {
			last_stats = now;
			kernel_counters(&r);
			r.st.sensor_up = (uint64_t)r.up;
			r.st.hop_count = r.hop.count;
			r.st.hop_p50_us = lathist_pct(&r.hop, 50);
			r.st.hop_p99_us = lathist_pct(&r.hop, 99);
			r.st.hop_max_us = r.hop.max_us;
			r.st.block_count = r.blk.count;
			r.st.block_p50_us = lathist_pct(&r.blk, 50);
			r.st.block_p99_us = lathist_pct(&r.blk, 99);
			r.st.block_max_us = r.blk.max_us;
			(void)ipc_send(a->ipc_fd, IPC_RELAY_STATS, &r.st, sizeof(r.st));
		}
	}
	if (stop)
		rc = 0;
out:
	if (r.nl)
		mnl_socket_close(r.nl);
	if (r.ct)
		mnl_socket_close(r.ct);
	if (r.ctobj)
		nfct_destroy(r.ctobj);
	if (r.raw4 >= 0)
		close(r.raw4);
	if (r.raw6 >= 0)
		close(r.raw6);
	free(r.ring);
	free(r.sbuf);
	free(r.vbuf);
	return rc;
}
