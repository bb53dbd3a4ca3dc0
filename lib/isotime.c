/*
 * isotime.c - see isotime.h.
 */
#include "isotime.h"

#include <stddef.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe, mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at p into *v; -1 if any is not a digit (nor past a NUL:
 * the first non-digit stops it). */
static int digits(const char *p, int n, unsigned *v)
{
	unsigned x = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return 0;
}

int isotime_split(const char *s, struct isotime *t)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned oh = 0, om = 0;
	const char *p = s;
	int sign = 0;

	if (digits(p, 4, &t->year) < 0 || p[4] != '-' || digits(p + 5, 2, &t->month) < 0 ||
	    p[7] != '-' || digits(p + 8, 2, &t->day) < 0 || (p[10] != 'T' && p[10] != ' ') ||
	    digits(p + 11, 2, &t->hour) < 0 || p[13] != ':' || digits(p + 14, 2, &t->min) < 0 ||
	    p[16] != ':' || digits(p + 17, 2, &t->sec) < 0)
		return -1;
	p += 19;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	t->zoned = *p != '\0';
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) < 0)
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (digits(p, 2, &om) < 0)
			return -1;
		p += 2;
	}
	if (*p != '\0')
		return -1;
	if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > mdays[t->month - 1] ||
	    (t->month == 2 && t->day == 29 &&
	     !((t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0)) ||
	    t->hour > 23 || t->min > 59 || t->sec > 60 || oh > 23 || om > 59)
		return -1;
	t->offset_s = sign * (int)(oh * 3600 + om * 60);
	return 0;
}

int64_t isotime_utc(const struct isotime *t)
{
	return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
	       t->sec - (t->zoned ? t->offset_s : 0);
}
