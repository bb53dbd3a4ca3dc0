/*
 * isotime.h - ISO 8601 date-times as sensors and backup tools write them
 * (RFC 3339 and the looser forms around it), parsed by hand: jansson has
 * no parser, and strptime depends on the locale and the TZ variable.
 */
#ifndef KASTRO_ISOTIME_H
#define KASTRO_ISOTIME_H

#include <stdbool.h>
#include <stdint.h>

/* A date-time as written: its fields, and its zone if it had one. */
struct isotime {
	unsigned year, month, day, hour, min, sec;
	bool zoned;                     /* Z or an offset was given */
	int offset_s;                   /* east of UTC, when zoned */
};

/*
 * Split s, all of it: YYYY-MM-DD, 'T' or ' ', HH:MM:SS, optionally a
 * fraction ('.' or ',' and at least one digit; dropped), then Z, +HH:MM,
 * +HHMM (or -) or nothing. The date must exist (February 29 only in leap
 * years); a second of 60 (a leap second) is taken. 0, or -1 when s is
 * anything else.
 */
int isotime_split(const char *s, struct isotime *t);

/* Unix seconds of t, its fields read as UTC, less its offset when zoned
 * (negative before 1970). */
int64_t isotime_utc(const struct isotime *t);

#endif
