/*
 * log.h - Kastro's logging: one line per message to stderr (and syslog when
 * asked), with a level and the program name.
 *
 * Helpers below the level that knows the context return errors and never
 * log; this module is for that level. Messages about untrusted input that can
 * repeat (bad packets, bad clients) go through a log_limit so a flood cannot
 * fill the disk.
 */
#ifndef KASTRO_LOG_H
#define KASTRO_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set once at start-up: program name, most verbose level shown, syslog too. */
void log_init(const char *prog, enum log_level max_level, bool use_syslog);

/*
 * From now on write a message that holds a control character, a byte that
 * is not UTF-8 or a backslash in its display form (pathesc.h: those bytes
 * as \xHH, a backslash as \\), so a message is one line of UTF-8 whatever
 * text it carries (a file name with a newline cannot forge a line). For
 * programs whose messages name files of others (kastro-agent); set once at
 * start-up.
 */
void log_escape_controls(bool on);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * Rate limit for one kind of repeating message: at most `burst` messages per
 * `interval_s` seconds; the next message after a quiet spell says how many
 * were suppressed. Zero-initialise, then set burst and interval_s.
 */
struct log_limit {
	uint32_t burst;
	uint32_t interval_s;
	uint64_t window_start;   /* monotonic seconds */
	uint32_t in_window;
	uint64_t suppressed;
};

void log_limited(struct log_limit *rl, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
