/*
 * sanitized.h - SANITIZED is 1 in a build under AddressSanitizer (the test
 * builds, `make SAN=1`), else 0: what such a build must be allowed that a
 * release build is not (ASan's shadow memory, its leak check's ptrace, its
 * symbolizer's exec) is decided on it, in one place.
 */
#ifndef KASTRO_SANITIZED_H
#define KASTRO_SANITIZED_H

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#endif
