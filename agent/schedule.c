/*
 * schedule.c - see schedule.h.
 */
#include "schedule.h"

time_t sched_next(const struct agent_conf *c, time_t now)
{
	struct tm tm;
	time_t t;

	if (c->scan_paths.n == 0)
		return 0;
	if (c->sched == ACONF_SCHED_EVERY)
		return now + (time_t)c->sched_every;
	localtime_r(&now, &tm);
	tm.tm_hour = (int)(c->sched_minute / 60);
	tm.tm_min = (int)(c->sched_minute % 60);
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t <= now) {
		localtime_r(&now, &tm);
		tm.tm_mday++;
		tm.tm_hour = (int)(c->sched_minute / 60);
		tm.tm_min = (int)(c->sched_minute % 60);
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return t;
}
