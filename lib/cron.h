/*
 * cron.h - cron expressions for push checks' schedules (docs/services.md):
 * five fields, minute hour day-of-month month day-of-week, as crontab(5)
 * writes them:
 *
 *   "*", N, N-M, each with an optional step "/S" (N/S: from N on), and
 *   lists of those joined by commas;
 *   months jan..dec and days sun..sat by name (either case), day 7 is Sunday
 *   @hourly @daily (@midnight) @weekly @monthly @yearly (@annually)
 *
 * When both day fields are restricted (neither starts with '*'), a day
 * matches either, as cron does. Times are in the console's local time
 * zone, or in UTC.
 *
 * No I/O, no allocation; the parser takes untrusted text (fuzzed:
 * tests/fuzz/fuzz_cron.c).
 */
#ifndef KASTRO_CRON_H
#define KASTRO_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRON_TEXT_MAX 128       /* bytes of an expression, NUL included */

struct cron {
	uint64_t minute;        /* bit m: minute m matches, 0..59 */
	uint32_t hour;          /* 0..23 */
	uint32_t mday;          /* 1..31 */
	uint16_t month;         /* 1..12 */
	uint8_t wday;           /* 0..6, Sunday 0 */
	bool mday_star, wday_star;
};

/* Parse s. Returns 0, or -1 with what is wrong and where in err. */
int cron_parse(const char *s, struct cron *c, char *err, size_t errlen);

/*
 * The first time after `after` (epoch seconds) that c matches, at second
 * 0 of its minute, in local time or UTC; -1 when none within 5 years
 * (such as "0 0 31 2 *").
 */
int64_t cron_next(const struct cron *c, int64_t after, bool utc);

#endif
