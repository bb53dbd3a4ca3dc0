/*
 * num.h - checked number parsing (instead of atoi and friends).
 */
#ifndef KASTRO_NUM_H
#define KASTRO_NUM_H

#include <stdint.h>

/*
 * Parse s, all of it, as a decimal number in [lo, hi]. No sign, no spaces,
 * no trailing text. Returns 0 and sets *v, or -1 and leaves *v alone.
 */
int num_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

#endif
