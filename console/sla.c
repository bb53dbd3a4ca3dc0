/*
 * sla.c - see sla.h.
 */
#include "sla.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds of [a, b) outside every maintenance span. */
static int64_t outside(int64_t a, int64_t b, const struct sla_span *m, size_t nm)
{
	int64_t left = b - a;

	if (left <= 0)
		return 0;
	/* walk [a, b) cutting at span edges: spans may overlap, so take
	   the covered part as a union by sweeping */
	int64_t at = a;

	while (at < b) {
		int64_t cover_to = at, next = b;
		bool covered = false;

		for (size_t i = 0; i < nm; i++) {
			if (m[i].from <= at && m[i].to > at) {
				covered = true;
				if (m[i].to > cover_to)
					cover_to = m[i].to;
			} else if (m[i].from > at && m[i].from < next)
				next = m[i].from;
		}
		if (covered) {
			if (cover_to > b)
				cover_to = b;
			left -= cover_to - at;
			at = cover_to;
		} else
			at = next;
	}
	return left;
}

void sla_compute(int64_t from, int64_t to, const struct sla_change *ch, size_t n,
		 const struct sla_span *maint, size_t nm, struct sla_result *out)
{
	enum sla_state st = SLA_UNKNOWN;
	int64_t at = from, run = 0;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->availability = -1;
	if (to <= from)
		return;
	out->maint = (to - from) - outside(from, to, maint, nm);
	for (; i < n && ch[i].ts <= from; i++)
		st = ch[i].state;
	for (;;) {
		int64_t end = i < n && ch[i].ts < to ? ch[i].ts : to;
		int64_t t = outside(at, end, maint, nm);

		if (st == SLA_UP)
			out->up += t;
		else if (st == SLA_DOWN) {
			out->down += t;
			run += t;
		}
		if (st != SLA_UNKNOWN)
			out->known += t;
		if (end >= to)
			break;
		enum sla_state next = ch[i].state;

		if (st == SLA_DOWN && next != SLA_DOWN) {
			if (run > 0)
				out->outages++;
			if (run > out->longest)
				out->longest = run;
			run = 0;
		}
		st = next;
		at = end;
		i++;
	}
	if (run > 0) {
		out->outages++;
		if (run > out->longest)
			out->longest = run;
	}
	if (out->known > 0)
		out->availability = (double)out->up / (double)out->known;
}

static int64_t local_at(int y, int mon, int mday, int minute)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_min = minute;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

size_t sla_maint_spans(const struct inv_service *sv, int64_t from, int64_t to,
		       struct sla_span *out, size_t max, unsigned *cut)
{
	size_t n = 0;

	*cut = 0;
	for (int k = 0; k < sv->n_maint; k++) {
		const struct inv_maint *w = &sv->maint[k];

		if (w->kind == INV_MW_ONCE) {
			if (w->start < to && w->start + (int64_t)w->length > from) {
				if (n < max)
					out[n++] = (struct sla_span){ w->start,
								      w->start + (int64_t)w->length };
				else
					(*cut)++;
			}
			continue;
		}
		/* each local day from the one before `from` (a window may reach
		   past midnight) to the one of `to` */
		time_t t = (time_t)(from - 86400 - (int64_t)w->length);
		struct tm day;

		if (localtime_r(&t, &day) == NULL)
			continue;
		for (int d = 0;; d++) {
			struct tm tm;
			int64_t start = local_at(day.tm_year + 1900, day.tm_mon, day.tm_mday + d,
						 w->minute);
			time_t st = (time_t)start;

			if (start >= to || localtime_r(&st, &tm) == NULL)
				break;
			if (w->kind == INV_MW_WEEKLY && tm.tm_wday != w->wday)
				continue;
			if (start + (int64_t)w->length <= from)
				continue;
			if (n < max)
				out[n++] = (struct sla_span){ start, start + (int64_t)w->length };
			else
				(*cut)++;
		}
	}
	return n;
}

int sla_month(const char *ym, int64_t *from, int64_t *to)
{
	int y, m;
	char tail;

	if (ym == NULL || strlen(ym) != 7 || ym[4] != '-' ||
	    sscanf(ym, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 1970 || y > 9999 || m < 1 || m > 12)
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (ym[i] < '0' || ym[i] > '9'))
			return -1;
	*from = local_at(y, m - 1, 1, 0);
	*to = local_at(y, m, 1, 0);
	return 0;
}
