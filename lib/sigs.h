/*
 * sigs.h - the signal set-up of a forked worker process (kastrod's sensor
 * and link): the handler (which only sets flags) for SIGTERM and SIGINT,
 * and SIGUSR1 when the worker uses it; SIGHUP and SIGPIPE ignored (and
 * SIGUSR1 when not used); SIGCHLD default; and an empty signal mask, since
 * a forked child inherits its parent's, which blocks these.
 */
#ifndef KASTRO_SIGS_H
#define KASTRO_SIGS_H

#include <stdbool.h>

void sigs_worker(void (*handler)(int), bool usr1);

#endif
