/*
 * capture.h - packet sources: a capture file (pcap or pcapng, whatever its
 * name says) or one or more live interfaces, behind one dispatch call so
 * the rest of kastrod cannot tell them apart.
 *
 * Live capture takes only packets entering each interface: on a gateway
 * that routes between its interfaces, a forwarded packet is then seen once,
 * at its ingress, not twice.
 */
#ifndef KASTRO_CAPTURE_H
#define KASTRO_CAPTURE_H

#include <pcap/pcap.h>

#include "conf.h"
#include "engine.h"

struct capture {
	pcap_t *h[CONF_MAX_IFACES];
	int dlt[CONF_MAX_IFACES];
	int fd[CONF_MAX_IFACES];
	int n;
	int live;
	uint64_t file_pkts;           /* packets read from a file */
	/* One more descriptor for live dispatch to wait on (capture_watch_fd). */
	int extra_fd;                 /* valid only when have_extra */
	int have_extra;
	short extra_revents;          /* poll() revents of extra_fd, last dispatch */
};

/* Open a capture file. Returns 0, or -1 with a message in err. */
int capture_open_file(struct capture *c, const char *path, char *err, size_t errlen);
/* Open conf->ifaces for live capture. Returns 0, or -1 with err. */
int capture_open_live(struct capture *c, const struct kastrod_conf *conf, char *err, size_t errlen);

/*
 * Hand waiting packets to the engine, waiting up to timeout_ms for some
 * (live). Returns 1 to go on, 0 at the end of a file, -1 on a read error
 * (err set; a damaged file ends here, after its readable packets).
 */
int capture_dispatch(struct capture *c, struct engine *e, int timeout_ms, char *err, size_t errlen);

/*
 * Live capture: have capture_dispatch also wait for fd (fd < 0: stop) and
 * leave what poll() said about it in c->extra_revents, so one loop can read
 * packets and a control socket. The caller reads fd; dispatch never does.
 */
void capture_watch_fd(struct capture *c, int fd);

void capture_stats(struct capture *c, struct engine_capture_stats *cs);
void capture_close(struct capture *c);

#endif
