/*
 * log.c - see log.h. Process-wide settings are written once by log_init()
 * before any thread starts, and only read afterwards.
 */
#include "log.h"
#include "mono.h"
#include "pathesc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct {
	char prog[32];
	enum log_level max;
	bool syslog;
	bool escape;
	bool journal;           /* stderr is journald's stream: prefix <N> */
} log_cfg = { "kastro", LOG_LVL_INFO, false, false, false };

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/*
 * Under systemd, stderr is a stream to journald named by JOURNAL_STREAM
 * ("DEV:INODE"). journald reads a "<N>" at the start of a line as the
 * line's syslog priority, so errors and warnings keep theirs in the journal
 * (without it every line would be "info"). Only when stderr really is that
 * stream: a redirected stderr gets plain lines.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *prog, enum log_level max_level, bool use_syslog)
{
	snprintf(log_cfg.prog, sizeof(log_cfg.prog), "%s", prog);
	log_cfg.max = max_level;
	log_cfg.syslog = use_syslog;
	log_cfg.journal = stderr_is_journal();
	if (use_syslog)
		openlog(log_cfg.prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_escape_controls(bool on)
{
	log_cfg.escape = on;
}

static void log_v(enum log_level lvl, const char *fmt, va_list ap)
{
	char raw[2048], shown[PATHESC_RATIO * sizeof(raw)];
	const char *line = raw;

	if (lvl > log_cfg.max)
		return;
	/* A message longer than the buffer is cut; it is still better than none. */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (log_cfg.escape && !pathesc_plain(raw) && pathesc_display(raw, shown, sizeof(shown)) >= 0)
		line = shown;
	if (log_cfg.journal)
		fprintf(stderr, "<%d>%s: %s: %s\n", level_syslog[lvl], log_cfg.prog, level_names[lvl], line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_cfg.prog, level_names[lvl], line);
	if (log_cfg.syslog)
		syslog(level_syslog[lvl], "%s", line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *rl, enum log_level lvl, const char *fmt, ...)
{
	uint64_t now = mono_ms() / 1000u;
	va_list ap;

	if (rl->window_start == 0 || now >= rl->window_start + rl->interval_s) {
		if (rl->suppressed > 0)
			log_msg(lvl, "(%llu similar messages suppressed)",
				(unsigned long long)rl->suppressed);
		rl->window_start = now;
		rl->in_window = 0;
		rl->suppressed = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->in_window++;
	va_start(ap, fmt);
	log_v(lvl, fmt, ap);
	va_end(ap);
}
