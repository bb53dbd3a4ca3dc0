/*
 * metrics.h - `kastroctl metrics`: the daemons' counters in Prometheus'
 * text exposition format, for node_exporter's textfile collector (or any
 * scraper that reads a file or a command's output).
 *
 * Each daemon's `status` answer (KEY=VALUE lines) is read over its control
 * socket and each known key becomes a metric with the naming rules of
 * Prometheus: a prefix per daemon (kastro_gateway_, kastro_console_,
 * kastro_agent_), base units (seconds, bytes), counters ending in _total.
 * kastro_DAEMON_up says whether the daemon answered. Keys this table does
 * not know are left out, so a new counter in a daemon never produces a
 * malformed metric.
 */
#ifndef KASTRO_METRICS_H
#define KASTRO_METRICS_H

#include <stdio.h>

/*
 * Convert one `status` answer of DAEMON ("gateway", "console" or "agent";
 * ans without its leading "ok" line, or NULL when the daemon did not
 * answer) to metrics on out. Returns 0, or -1 on a write error.
 */
int metrics_format(FILE *out, const char *daemon, const char *ans);

/*
 * The console's `sensor list` answer (one line per sensor: ID KIND STATE
 * HOST last_seen=N) as kastro_console_sensors{kind,state}. Returns 0, or -1
 * on a write error.
 */
int metrics_sensors(FILE *out, const char *list);

/*
 * The command: kastroctl metrics [gateway|console|agent]... [--textfile FILE].
 * Without names, every daemon whose socket exists on this host. sock
 * overrides the socket when exactly one daemon is named. With --textfile
 * the output replaces FILE atomically (written beside it, then renamed).
 * Returns the exit status.
 */
int metrics_main(int argc, char **argv, const char *sock);

#endif
