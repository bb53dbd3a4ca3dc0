/*
 * cron.c - see cron.h.
 */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errf.h"

static const char *const field_names[5] = { "minute", "hour", "day of month", "month",
					    "day of week" };
static const int lo_of[5] = { 0, 0, 1, 1, 0 };
static const int hi_of[5] = { 59, 23, 31, 12, 7 };
static const char *const months[12] = { "jan", "feb", "mar", "apr", "may", "jun",
					"jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const days[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

/* A number or (months, days) a name at *p; advances *p. -1 when neither. */
static int value(const char **p, int f)
{
	const char *s = *p;
	int v = 0, n = 0;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s) && n < 3) {
			v = v * 10 + (*s++ - '0');
			n++;
		}
		if (isdigit((unsigned char)*s))
			return -1;
		*p = s;
		return v;
	}
	if (f == 3 || f == 4) {
		const char *const *names = f == 3 ? months : days;
		int cnt = f == 3 ? 12 : 7;

		for (int i = 0; i < cnt; i++)
			if (strncasecmp(s, names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
				*p = s + 3;
				return f == 3 ? i + 1 : i;
			}
	}
	return -1;
}

/* One field (len bytes at s) into bits; -1 with err. */
static int field(const char *s, size_t len, int f, uint64_t *bits, bool *star, char *err,
		 size_t errlen)
{
	char buf[64];
	const char *p;

	if (len >= sizeof(buf))
		return errf(err, errlen, "the %s field is too long", field_names[f]);
	memcpy(buf, s, len);
	buf[len] = '\0';
	*bits = 0;
	*star = buf[0] == '*';
	p = buf;
	for (;;) {
		int a, b, step = 1;

		if (*p == '*') {
			a = lo_of[f];
			b = hi_of[f];
			p++;
		} else {
			a = value(&p, f);
			if (a < 0)
				goto bad;
			b = a;
			if (*p == '-') {
				p++;
				b = value(&p, f);
				if (b < 0)
					goto bad;
			} else if (*p == '/') {
				b = hi_of[f];   /* N/S: from N to the end */
			}
		}
		if (*p == '/') {
			p++;
			step = value(&p, -1);
			if (step < 1 || step > hi_of[f])
				goto bad;
		}
		if (a < lo_of[f] || b > hi_of[f] || a > b)
			return errf(err, errlen, "the %s field '%s' is out of range, expected %d to %d",
				    field_names[f], buf, lo_of[f], hi_of[f]);
		for (int v = a; v <= b; v += step)
			*bits |= 1ull << (f == 4 && v == 7 ? 0 : v);
		if (*p == '\0')
			return 0;
		if (*p != ',')
			goto bad;
		p++;
	}
bad:
	return errf(err, errlen, "the %s field '%s' is not understood, expected such as *, 5, "
		    "1-5, */15, 1,15%s", field_names[f], buf,
		    f == 3 ? " or jan-mar" : f == 4 ? " or mon-fri" : "");
}

int cron_parse(const char *s, struct cron *c, char *err, size_t errlen)
{
	static const struct { const char *name, *expr; } macros[] = {
		{ "@hourly", "0 * * * *" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
		{ "@weekly", "0 0 * * 0" }, { "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
	};
	const char *p, *start[5];
	size_t len[5];
	uint64_t bits = 0;
	bool star = false;
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(s) >= CRON_TEXT_MAX)
		return errf(err, errlen, "a schedule is at most %d bytes", CRON_TEXT_MAX - 1);
	if (s[0] == '@') {
		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
			if (strcasecmp(s, macros[i].name) == 0)
				return cron_parse(macros[i].expr, c, err, errlen);
		return errf(err, errlen, "'%s' is not a schedule, expected @hourly, @daily, @weekly, "
			    "@monthly, @yearly or five fields", s);
	}
	for (p = s;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == 5)
			return errf(err, errlen, "a schedule has five fields (minute hour day-of-month "
				    "month day-of-week), not more");
		start[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len[n] = (size_t)(p - start[n]);
		n++;
	}
	if (n != 5)
		return errf(err, errlen, "a schedule has five fields (minute hour day-of-month month "
			    "day-of-week), such as \"0 2 * * *\"; this one has %d", n);
	for (int f = 0; f < 5; f++) {
		if (field(start[f], len[f], f, &bits, &star, err, errlen) < 0)
			return -1;
		switch (f) {
		case 0:
			c->minute = bits;
			break;
		case 1:
			c->hour = (uint32_t)bits;
			break;
		case 2:
			c->mday = (uint32_t)bits;
			c->mday_star = star;
			break;
		case 3:
			c->month = (uint16_t)bits;
			break;
		default:
			c->wday = (uint8_t)bits;
			c->wday_star = star;
			break;
		}
	}
	return 0;
}

static int mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

static bool day_matches(const struct cron *c, int mon, int mday, int wday)
{
	bool dm = c->mday & (1u << mday), dw = c->wday & (1u << wday);

	if (!(c->month & (1u << mon)))
		return false;
	if (!c->mday_star && !c->wday_star)
		return dm || dw;
	return dm && dw;
}

int64_t cron_next(const struct cron *c, int64_t after, bool utc)
{
	time_t t = (time_t)after;
	struct tm tm;
	int y, m, d, wd;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
		return -1;
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	d = tm.tm_mday;
	wd = tm.tm_wday;
	for (int n = 0; n < 5 * 366 + 2; n++) {
		if (day_matches(c, m, d, wd))
			for (int h = 0; h < 24; h++) {
				if (!(c->hour & (1u << h)))
					continue;
				for (int mi = 0; mi < 60; mi++) {
					struct tm x;
					time_t v;

					if (!(c->minute & (1ull << mi)))
						continue;
					memset(&x, 0, sizeof(x));
					x.tm_year = y - 1900;
					x.tm_mon = m - 1;
					x.tm_mday = d;
					x.tm_hour = h;
					x.tm_min = mi;
					x.tm_isdst = -1;
					v = utc ? timegm(&x) : mktime(&x);
					if (v != (time_t)-1 && (int64_t)v > after)
						return (int64_t)v;
				}
			}
		wd = (wd + 1) % 7;
		if (++d > mdays(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	return -1;
}
