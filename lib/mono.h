/*
 * mono.h - the monotonic clock, for timeouts and latencies (never for
 * timestamps a person reads: those come from the wall clock).
 */
#ifndef KASTRO_MONO_H
#define KASTRO_MONO_H

#include <stdint.h>

uint64_t mono_ns(void);
uint64_t mono_ms(void);

#endif
