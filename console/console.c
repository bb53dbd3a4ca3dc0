/*
 * console.c - what every module of kastro-console shares beyond its
 * state struct (console.h).
 */
#include "console.h"

#include <time.h>

uint64_t console_now(void)
{
	return (uint64_t)time(NULL);
}
