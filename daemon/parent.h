/*
 * parent.h - kastrod's privileged parent in live capture.
 *
 * The parent holds the policy and is the only process that writes
 * nftables. It stays root with CAP_NET_ADMIN (nftables) and CAP_NET_RAW
 * (capture handles for a new sensor) effective, and nothing else: the
 * bounding set holds only those two, and the permitted set adds only
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP, never effective in the parent,
 * which a forked sensor needs to switch to its user and clear its bounding
 * set, and CAP_KILL, effective only around the kill() of the sensor (it
 * runs as another user). It never parses packets: the sensor (sensor.h) does, and sends it
 * fixed-size, checked queries (ipc.h).
 *
 * It loads the policy's ruleset into table inet kastro (taking over a table
 * left by an earlier run without a gap), fills the file tables, serves the
 * control socket (control.h), forks the sensor and restarts it with backoff
 * when it dies, answers the sensor's queries (blocked flows go into the
 * kernel's flow sets in one batch per turn), and reloads the policy on
 * SIGHUP or `kastroctl reload`, keeping the running one when the new one
 * fails. It leaves the table in place when it exits: the kernel goes on
 * enforcing the last good policy.
 */
#ifndef KASTRO_PARENT_H
#define KASTRO_PARENT_H

#include "conf.h"
#include "eve.h"

struct parent_args {
	struct kastrod_conf *conf;      /* checked, with command-line overrides; the parent
					   swaps conf->policy on reload */
	const char *conf_path;          /* read again on reload; NULL: built-in defaults */
	struct eve *eve;                /* open; each sensor writes it, the parent never */
	const char *control_path;       /* control socket */
};

/*
 * Run until SIGTERM or SIGINT. Returns the exit status: 0 after a clean
 * stop, 1 when start-up failed (nothing loaded, or nothing changed in the
 * kernel when the first ruleset could not be loaded).
 */
int parent_run(const struct parent_args *a);

#endif
