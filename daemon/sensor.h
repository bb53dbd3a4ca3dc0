/*
 * sensor.h - kastrod's packet process: the capture loop, the engine
 * (decode, flows, nDPI) and EVE output, without privileges.
 *
 * In live capture the privileged parent (parent.h) opens the capture
 * handles and the EVE output, forks, and the child calls sensor_run(): it
 * loads nDPI's list files, drops to the unprivileged user with no
 * capabilities (privs.h), then reads packets. Each verdict_query the engine
 * makes goes to the parent over the socketpair (ipc.h); each verdict that
 * comes back goes to engine_verdict(), which writes the EVE alert. The
 * sensor knows no policy. With a console link, every EVE event it writes
 * is also sent, one datagram each and without waiting, to the link process
 * (link.h); an event the link is too slow to take is counted as dropped
 * (`link_dropped`), never waited for.
 *
 * Replaying a capture file there is no parent: kastrod runs the sensor in
 * its only process and answers queries in-process through `policy`.
 */
#ifndef KASTRO_SENSOR_H
#define KASTRO_SENSOR_H

#include "capture.h"
#include "conf.h"
#include "eve.h"
#include "verdict.h"

/*
 * In-process policy (replay): fill *v and return 1 when the flow of q gets
 * a verdict (a block, or a pass from a rule that says log), else 0.
 */
typedef int (*sensor_policy_fn)(void *ctx, const struct verdict_query *q, struct verdict *v);

struct sensor_args {
	const struct kastrod_conf *conf;
	struct capture *cap;            /* open; the sensor closes it */
	struct eve *eve;                /* open; the caller closes it */
	int ipc_fd;                     /* the parent's socketpair end; -1: none */
	int link_fd;                    /* every EVE event goes here too (link.h); -1: none */
	int pkt_fd;                     /* inline: packets from the relay (pktmsg.h), no
					   capture (cap NULL), policy in-process; -1: none */
	sensor_policy_fn policy;        /* used when ipc_fd < 0 or pkt_fd >= 0; NULL: no policy */
	void *policy_ctx;
	const char *source;             /* capture file name for messages; NULL live */
};

/*
 * Run until the capture file ends, SIGTERM or SIGINT, or the parent goes
 * away (its socket closes or sends a malformed message). Installs its own
 * handlers for SIGTERM, SIGINT, SIGUSR1 (write a stats event) and ignores
 * SIGHUP. Ends every flow and writes a stats event before it returns.
 * Returns the exit status: 0 done, 1 start-up error or the parent's socket
 * failed, 2 the capture file is damaged.
 */
int sensor_run(const struct sensor_args *a);

#endif
