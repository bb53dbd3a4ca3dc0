/*
 * hex.h - bytes as lowercase hex digits, the form Kastro writes digests,
 * fingerprints and ids in, and a hex digit's value for reading them back.
 */
#ifndef KASTRO_HEX_H
#define KASTRO_HEX_H

#include <stddef.h>

/* The n bytes at b as 2n lowercase hex digits and a NUL into out, which
 * holds 2n + 1 bytes. */
void hex_encode(const void *b, size_t n, char *out);

/* c's value as a hex digit, either case; -1 when it is none. */
int hex_digit(char c);

#endif
