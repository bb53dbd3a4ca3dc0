/*
 * agent.h - kastro-agent's daemon: scheduled, on-demand and on-change YARA
 * scans of this host, reported to kastro-console.
 *
 * A root process (it moves files into the quarantine and back, keeps the
 * enrolment, the spool and the cache) with three kinds of threads:
 *   - the main thread: the control socket (kastroctl agent ...), the
 *     inotify watches of the `watch` directories, the schedule and the
 *     heartbeats;
 *   - the link thread (sensorlink.h): the spool, sends to the console,
 *     the command long poll;
 *   - the job thread: runs one scan or rules update at a time, in order.
 * It never reads a file it scans nor parses rule text: one long-lived
 * scanning child (scanproc.h), started before any of these threads, as
 * _kastro-scan (or nobody) with only CAP_DAC_READ_SEARCH and under
 * seccomp, compiles the rules and runs the scans, whose workers (scan.h)
 * pace themselves to the CPU ceiling; the job thread checks what the child
 * reports and acts on it (events, quarantine, cache). A child that dies or
 * hangs is logged and counted, a new one started and the scan run again
 * once; a second failure reports the scan failed.
 * Every finding is appended to the spool and on disk (fsync) before the
 * scan goes on; summaries and heartbeats within 100 ms. The spool is cut
 * only after the console's ack (sensorlink.h), so a console that is away,
 * a kill -9 or a power cut lose no finding.
 *
 * State lives in the configured dir (aconf.h): the enrolment (key 0600),
 * spool/, scan.cache, and rules/ when the console pushed a bundle (it
 * then takes the place of the configured rules, also after a restart).
 */
#ifndef KASTRO_AGENT_H
#define KASTRO_AGENT_H

#include "aconf.h"
#include "bkconf.h"
#include "control.h"

#define AGENT_CONTROL_PATH CONTROL_AGENT_PATH

/* Run until SIGTERM or SIGINT, with the backup checks of bk (backup.h).
 * Returns the exit status (0, or 1 with a message logged when it cannot
 * start). */
int agent_run(const struct agent_conf *c, const struct bkc *bk, const char *control_path);

#endif
