/*
 * errf.h - the error convention of Kastro's modules: a function that fails
 * writes what went wrong to the caller's buffer (err, errlen bytes) and
 * returns -1. errf() does both in one statement: `return errf(err,
 * errlen, "%s: %s", path, strerror(errno));`.
 */
#ifndef KASTRO_ERRF_H
#define KASTRO_ERRF_H

#include <stddef.h>

/* The message into err (when err is not NULL and errlen > 0); returns -1. */
int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
