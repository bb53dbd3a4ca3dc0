/*
 * duty.c - see duty.h.
 */
#include "duty.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From linux/ioprio.h, which glibc does not wrap. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_IDLE  3
#define IOPRIO_WHO_PROCESS 1

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t duty_thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

void duty_init(struct duty *d, unsigned percent)
{
	d->percent = percent;
	d->start_ns = clock_ns(CLOCK_MONOTONIC);
	d->cpu_ns = 0;
	d->slept_ns = 0;
	d->due_ns = d->start_ns;
}

void duty_thread_start(struct duty_thread *t)
{
	t->last_cpu_ns = duty_thread_cpu_ns();
}

void duty_pace(struct duty *d, struct duty_thread *t, const volatile int *stop)
{
	uint64_t now = duty_thread_cpu_ns(), used, total;

	uint64_t due, old, period = (uint64_t)DUTY_PERIOD_MS * 1000000u;

	used = now > t->last_cpu_ns ? now - t->last_cpu_ns : 0;
	t->last_cpu_ns = now;
	total = __atomic_add_fetch(&d->cpu_ns, used, __ATOMIC_RELAXED);
	(void)total;
	if (d->percent == 0)
		return;
	/* move the account's clock: no credit older than one period */
	old = __atomic_load_n(&d->due_ns, __ATOMIC_RELAXED);
	do {
		uint64_t wall = clock_ns(CLOCK_MONOTONIC), base = old;

		if (wall > period && base < wall - period)
			base = wall - period;
		due = base + used / d->percent * 100;
	} while (!__atomic_compare_exchange_n(&d->due_ns, &old, due, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	for (;;) {
		uint64_t wall, nap;
		struct timespec ts;

		if (stop != NULL && *stop)
			return;
		wall = clock_ns(CLOCK_MONOTONIC);
		due = __atomic_load_n(&d->due_ns, __ATOMIC_RELAXED);
		if (wall >= due)
			return;
		nap = due - wall;
		if (nap > (uint64_t)DUTY_MAX_NAP_MS * 1000000u)
			nap = (uint64_t)DUTY_MAX_NAP_MS * 1000000u;
		ts.tv_sec = (time_t)(nap / 1000000000u);
		ts.tv_nsec = (long)(nap % 1000000000u);
		nanosleep(&ts, NULL);
		__atomic_add_fetch(&d->slept_ns, nap, __ATOMIC_RELAXED);
	}
}

uint64_t duty_cpu_ns(const struct duty *d)
{
	return __atomic_load_n(&d->cpu_ns, __ATOMIC_RELAXED);
}

int duty_lower_priority(char *err, size_t errlen)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int rc = 0, prio;

	errno = 0;
	prio = getpriority(PRIO_PROCESS, (id_t)tid);
	if (prio == -1 && errno != 0) {
		snprintf(err, errlen, "getpriority: %s", strerror(errno));
		rc = -1;
	} else {
		prio = prio + 10 > 19 ? 19 : prio + 10;
		if (setpriority(PRIO_PROCESS, (id_t)tid, prio) < 0) {
			snprintf(err, errlen, "setpriority %d: %s", prio, strerror(errno));
			rc = -1;
		}
	}
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid,
		    IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) < 0) {
		snprintf(err, errlen, "ioprio_set idle: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}
