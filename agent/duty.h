/*
 * duty.h - a CPU ceiling for scans by duty cycle, and low scheduling
 * priority for the threads that scan.
 *
 * The ceiling is a share of one core for all threads of one scan together
 * (25 means a quarter of one core, 150 one and a half cores). Each thread
 * charges the CPU time it used (CLOCK_THREAD_CPUTIME_ID) to the shared
 * account at points of its choosing (after each file, every few hundred
 * directory entries) and then sleeps off what it used: the account is a
 * clock that each charge of C moves C x 100 / ceiling ahead, and a thread
 * waits until the wall clock has caught up. Time the scan spent below the
 * ceiling (waiting for the disk, between charges) is credit for at most
 * DUTY_PERIOD_MS: the scan never saves up idle time to spend in a burst
 * at full speed, so over any DUTY_PERIOD_MS window it stays near the
 * ceiling. What cannot be split is one file's scan by YARA: that runs at
 * full speed, and is slept off right after. So that two files are not
 * scanned at once on two cores under a ceiling of one core or less, the
 * scanner runs at most ceil(ceiling / 100) workers (scan.h).
 *
 * Thread-safety: one struct duty is shared by the scan's threads (atomic
 * counters); each thread has its own struct duty_thread.
 */
#ifndef KASTRO_DUTY_H
#define KASTRO_DUTY_H

#include <stddef.h>
#include <stdint.h>

#define DUTY_DEFAULT_SCHEDULED 25    /* % of one core for scheduled scans */
#define DUTY_MAX_NAP_MS        50    /* longest single sleep (stop is checked between) */
#define DUTY_PERIOD_MS         50    /* credit for time below the ceiling, at most */

struct duty {
	unsigned percent;          /* 0: no ceiling (only counting) */
	uint64_t start_ns;         /* monotonic */
	uint64_t cpu_ns;           /* charged by all threads; atomic */
	uint64_t slept_ns;         /* total sleep of all threads; atomic */
	uint64_t due_ns;           /* monotonic time the charges so far are paid at; atomic */
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
