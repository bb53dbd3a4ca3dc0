/*
 * duty.h - a CPU ceiling for scans by duty cycle, and low scheduling
 * priority for the threads that scan.
 *
 * The ceiling is a share of one core for all threads of one scan together
 * (25 means a quarter of one core, 150 one and a half cores). Each thread
 * charges the CPU time it used (CLOCK_THREAD_CPUTIME_ID) to the shared
 * account at points of its choosing (after each file, every few hundred
 * directory entries) and, when the scan's CPU time so far exceeds ceiling x
 * wall time since the start, sleeps until it no longer does. The ceiling is
 * kept on average over the scan; a single file can overshoot it for as
 * long as it takes to scan, after which its threads sleep the debt off.
 *
 * Thread-safety: one struct duty is shared by the scan's threads (atomic
 * counters); each thread has its own struct duty_thread.
 */
#ifndef KASTRO_DUTY_H
#define KASTRO_DUTY_H

#include <stddef.h>
#include <stdint.h>

#define DUTY_DEFAULT_SCHEDULED 25    /* % of one core for scheduled scans */
#define DUTY_MAX_NAP_MS        200   /* longest single sleep (stop is checked between) */

struct duty {
	unsigned percent;          /* 0: no ceiling (only counting) */
	uint64_t start_ns;         /* monotonic */
	uint64_t cpu_ns;           /* charged by all threads; atomic */
	uint64_t slept_ns;         /* total sleep of all threads; atomic */
};

struct duty_thread {
	uint64_t last_cpu_ns;      /* this thread's CPU time at its last charge */
};

/* Start the account now with a ceiling of percent (0: none). */
void duty_init(struct duty *d, unsigned percent);

/* Called by a thread before its first charge. */
void duty_thread_start(struct duty_thread *t);

/*
 * Charge the CPU time this thread used since its last charge, then sleep
 * while the scan is above its ceiling (in naps of at most DUTY_MAX_NAP_MS,
 * returning early once *stop is non-zero; stop may be NULL).
 */
void duty_pace(struct duty *d, struct duty_thread *t, const volatile int *stop);

/* CPU time charged so far by all threads, nanoseconds. */
uint64_t duty_cpu_ns(const struct duty *d);

/* This thread's CPU time, nanoseconds. */
uint64_t duty_thread_cpu_ns(void);

/*
 * Lower the calling thread's priority: nice 10 higher than now (at most
 * 19) and the idle I/O class (ioprio_set, IOPRIO_CLASS_IDLE: disk time only
 * when nobody else wants it). Linux applies both per thread, so the rest
 * of the process keeps its priority. Returns -1 with a message in err when
 * either failed (the other may still have been applied).
 */
int duty_lower_priority(char *err, size_t errlen);

#endif
