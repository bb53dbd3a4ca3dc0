/*
 * capture.c - see capture.h.
 */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>

#include "decode.h"
#include "log.h"

#define FILE_BATCH 4096   /* packets per dispatch from a file */

struct cb_ctx {
	struct engine *e;
	uint8_t iface;
	int dlt;
	uint64_t n;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cb_ctx *cb = (struct cb_ctx *)user;
	uint64_t ts = 0;

	if (h->ts.tv_sec > 0)
		ts = (uint64_t)h->ts.tv_sec * 1000000u;
	if (h->ts.tv_usec > 0 && h->ts.tv_usec < 1000000)
		ts += (uint64_t)h->ts.tv_usec;
	cb->n++;
	engine_packet(cb->e, cb->iface, cb->dlt, ts, bytes, h->caplen, h->len);
}

static int check_linktype(pcap_t *h, const char *what, char *err, size_t errlen)
{
	int dlt = pcap_datalink(h);
	const char *name = pcap_datalink_val_to_name(dlt);

	if (!decode_linktype_ok(dlt)) {
		snprintf(err, errlen,
			 "%s: link type %d (%s) is not supported; kastrod reads Ethernet, "
			 "Linux cooked (SLL, SLL2), BSD loopback (NULL, LOOP), raw IP, PPP "
			 "and Cisco HDLC", what, dlt, name ? name : "unknown");
		return -1;
	}
	return dlt;
}

int capture_open_file(struct capture *c, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";

	memset(c, 0, sizeof(*c));
	c->h[0] = pcap_open_offline(path, ebuf);
	if (!c->h[0]) {
		snprintf(err, errlen, "cannot read capture file %s: %s", path, ebuf);
		return -1;
	}
	c->n = 1;
	c->fd[0] = -1;
	c->dlt[0] = check_linktype(c->h[0], path, err, errlen);
	if (c->dlt[0] < 0) {
		capture_close(c);
		return -1;
	}
	return 0;
}

static int open_iface(struct capture *c, int i, const char *ifname,
		      const struct kastrod_conf *conf, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *h;
	int rc;

	h = pcap_create(ifname, ebuf);
	if (!h) {
		snprintf(err, errlen, "interface %s: %s", ifname, ebuf);
		return -1;
	}
	c->h[i] = h;
	pcap_set_snaplen(h, (int)conf->snaplen);
	pcap_set_promisc(h, conf->promisc ? 1 : 0);
	pcap_set_immediate_mode(h, 1);
	pcap_set_buffer_size(h, (int)conf->buffer_size);
	rc = pcap_activate(h);
	if (rc < 0) {
		snprintf(err, errlen, "interface %s: %s", ifname,
			 rc == PCAP_ERROR ? pcap_geterr(h) : pcap_statustostr(rc));
		return -1;
	}
	if (rc > 0)
		log_warn("interface %s: %s", ifname, pcap_statustostr(rc));
	if (pcap_setdirection(h, PCAP_D_IN) != 0) {
		snprintf(err, errlen, "interface %s: cannot capture inbound only: %s", ifname,
			 pcap_geterr(h));
		return -1;
	}
	if (pcap_setnonblock(h, 1, ebuf) != 0) {
		snprintf(err, errlen, "interface %s: %s", ifname, ebuf);
		return -1;
	}
	c->fd[i] = pcap_get_selectable_fd(h);
	if (c->fd[i] < 0) {
		snprintf(err, errlen, "interface %s: no selectable descriptor", ifname);
		return -1;
	}
	c->dlt[i] = check_linktype(h, ifname, err, errlen);
	return c->dlt[i] < 0 ? -1 : 0;
}

int capture_open_live(struct capture *c, const struct kastrod_conf *conf, char *err, size_t errlen)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->live = 1;
	if (conf->n_ifaces < 1) {
		snprintf(err, errlen, "no interface to capture on");
		return -1;
	}
	for (i = 0; i < conf->n_ifaces; i++) {
		c->fd[i] = -1;
		c->n = i + 1;
		if (open_iface(c, i, conf->ifaces[i], conf, err, errlen) < 0) {
			capture_close(c);
			return -1;
		}
	}
	return 0;
}

int capture_dispatch(struct capture *c, struct engine *e, int timeout_ms, char *err, size_t errlen)
{
	struct pollfd pfd[CONF_MAX_IFACES + 1];
	nfds_t nfds;
	struct cb_ctx cb;
	struct timeval now;
	int i, rc;

	cb.e = e;
	if (!c->live) {
		cb.iface = 0xff;   /* no interface name for a file */
		cb.dlt = c->dlt[0];
		cb.n = 0;
		rc = pcap_dispatch(c->h[0], FILE_BATCH, on_packet, (u_char *)&cb);
		c->file_pkts += cb.n;
		if (rc < 0 && rc != PCAP_ERROR_BREAK) {
			snprintf(err, errlen, "read error after %llu packets: %s",
				 (unsigned long long)c->file_pkts, pcap_geterr(c->h[0]));
			return -1;
		}
		return rc == 0 ? 0 : 1;
	}

	for (i = 0; i < c->n; i++) {
		pfd[i].fd = c->fd[i];
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	nfds = (nfds_t)c->n;
	c->extra_revents = 0;
	if (c->have_extra) {
		pfd[nfds].fd = c->extra_fd;
		pfd[nfds].events = POLLIN;
		pfd[nfds].revents = 0;
		nfds++;
	}
	rc = poll(pfd, nfds, timeout_ms);
	if (rc > 0 && c->have_extra)
		c->extra_revents = pfd[c->n].revents;
	if (rc < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	for (i = 0; rc > 0 && i < c->n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLERR)))
			continue;
		cb.iface = (uint8_t)i;
		cb.dlt = c->dlt[i];
		if (pcap_dispatch(c->h[i], -1, on_packet, (u_char *)&cb) == PCAP_ERROR) {
			snprintf(err, errlen, "capture error: %s", pcap_geterr(c->h[i]));
			return -1;
		}
	}
	/* Idle flows must time out even when no packet arrives. */
	gettimeofday(&now, NULL);
	engine_advance(e, (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_usec);
	return 1;
}

void capture_watch_fd(struct capture *c, int fd)
{
	c->have_extra = fd >= 0;
	c->extra_fd = fd;
	c->extra_revents = 0;
}

void capture_stats(struct capture *c, struct engine_capture_stats *cs)
{
	int i;

	memset(cs, 0, sizeof(*cs));
	if (!c->live)
		return;
	for (i = 0; i < c->n; i++) {
		struct pcap_stat ps;

		if (c->h[i] && pcap_stats(c->h[i], &ps) == 0) {
			cs->valid = 1;
			cs->kernel_packets += ps.ps_recv;
			cs->kernel_drops += ps.ps_drop;
			cs->kernel_ifdrops += ps.ps_ifdrop;
		}
	}
}

void capture_close(struct capture *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->h[i])
			pcap_close(c->h[i]);
	memset(c, 0, sizeof(*c));
}
