/*
 * plugin.h - Nagios-compatible plugin checks, run by the console and by
 * agents: the command for each plugin name comes from the local
 * configuration (console.conf's or agent.conf's `plugin "NAME" command
 * "..."`), never from the inventory, which only names it, nor from a
 * command the console sends.
 *
 * A plugin's exit status is its state (0 OK, 1 WARNING, 2 CRITICAL, 3
 * UNKNOWN; anything else, a signal or a timeout: UNKNOWN). Its output is
 * "TEXT|PERFDATA" on the first line, more text (and perfdata after a '|')
 * on later lines, as the Monitoring Plugins guidelines describe; at most
 * PLUGIN_OUT_MAX bytes are read.
 */
#ifndef KASTRO_PLUGIN_H
#define KASTRO_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

#define PLUGIN_OUT_MAX   8192  /* bytes of output read */
#define PLUGIN_PERF_MAX  16    /* performance data items kept */
#define PLUGIN_ARGS_MAX  32    /* words of a command */

struct plugin_perf {
	char label[64];
	double value;
	char uom[8];                    /* "", "s", "ms", "%", "B", "KB", "MB", "TB", "c" */
	char warn[32], crit[32];        /* ranges as written; "" when absent */
	double min, max;
	int has_min, has_max;
};

struct plugin_out {
	char text[512];                 /* the first line's text, trimmed */
	struct plugin_perf perf[PLUGIN_PERF_MAX];
	int n_perf;
	int perf_dropped;               /* items over the bound or malformed */
};

/*
 * Parse len bytes of plugin output (any bytes; NULs and control
 * characters are not copied). Never fails: what cannot be read is
 * counted in perf_dropped.
 */
void plugin_parse_output(const char *buf, size_t len, struct plugin_out *out);

/* One command: argv[0] an absolute path, at most PLUGIN_ARGS_MAX words. */
struct plugin_cmd {
	char name[64];
	char *argv[PLUGIN_ARGS_MAX + 1];   /* NULL-terminated, malloc'd words */
	char *buf;                         /* the words' storage */
};

/*
 * Split s on blanks into c's argv (no shell, no quoting). -1 with a reason
 * in why when s is empty, the first word is not an absolute path, or there
 * are too many words.
 */
int plugin_cmd_split(struct plugin_cmd *c, const char *s, char *why, size_t whylen);
void plugin_cmd_free(struct plugin_cmd *c);

/* Run c (NULL: not configured) with timeout_s; fill r. Blocks; no logging. */
void plugin_run(const struct plugin_cmd *c, const char *name, unsigned timeout_s,
		struct probe_result *r);

#endif
