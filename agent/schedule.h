/*
 * schedule.h - when kastro-agent's next scheduled scan starts (agent.conf's
 * `schedule daily HH:MM` or `schedule every DURATION`).
 *
 * Daily times are local time; on a day whose HH:MM does not exist (the
 * spring change of summer time) the scan starts at the same time as
 * mktime() normalises it to (an hour later), and on a day where it exists
 * twice, at the first. `every` counts from the agent's start, so PCs
 * switched on at different times spread their scans.
 */
#ifndef KASTRO_SCHEDULE_H
#define KASTRO_SCHEDULE_H

#include <time.h>

#include "aconf.h"

/* The first start after now; 0 when c has no scan paths (no schedule). */
time_t sched_next(const struct agent_conf *c, time_t now);

#endif
