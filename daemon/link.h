/*
 * link.h - kastrod's link to kastro-console: the third process of live
 * capture when the configuration has `console { address ... }`.
 *
 * Forked by the parent like the sensor and restarted with the same backoff,
 * it drops to the unprivileged user (no capabilities, no_new_privs) before
 * it opens anything: the enrolment directory (`kastrod enroll` made it,
 * owned by that user) holds the console's CA, the certificate and the only
 * copy of the client key, which no other kastrod process reads.
 *
 * The sensor hands it every EVE event it writes (one JSON object per
 * datagram on a socketpair the parent keeps open across restarts of
 * either, so events queued there survive a restart of the link). The link
 * checks each (linkproto.h) and appends it to the durable spool in
 * DIR/spool (lib/spool.h; alerts as findings, stats as heartbeats, the
 * rest as events; fsync at most every 100 ms), then sends what the console
 * has not acknowledged in batches over HTTPS with the client certificate
 * (libcurl, TLS 1.3, the console's CA only, keep-alive), cutting the spool
 * only after the console's ack. Failures are retried with a jittered
 * exponential backoff (1 s to 60 s). Beside the sends it long-polls for
 * commands and answers them (ping), on a second connection in the same
 * curl multi loop. Once a second it sends its counters to the parent
 * (IPC_LINK_STATS) for `kastroctl status`.
 */
#ifndef KASTRO_LINK_H
#define KASTRO_LINK_H

#include "conf.h"

struct link_args {
	const struct kastrod_conf *conf;   /* link_host, link_port, link_dir, user */
	int ipc_fd;                     /* the parent's socketpair end */
	int events_fd;                  /* events from the sensor arrive here */
};

/*
 * Run until SIGTERM or SIGINT or the parent goes away. Returns the exit
 * status: 0 stopped, 1 start-up failed (not enrolled, spool unusable) or
 * the parent's socket failed.
 */
int link_run(const struct link_args *a);

#endif
