/*
 * textdist.h - edit distance between words, for "did you mean ...?" hints
 * in configuration errors.
 */
#ifndef KASTRO_TEXTDIST_H
#define KASTRO_TEXTDIST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Levenshtein distance between the an bytes at a and the string b,
 * ignoring case when fold_case is set. Words of 64 bytes or more are never
 * close: SIZE_MAX.
 */
size_t textdist(const char *a, size_t an, const char *b, bool fold_case);

#endif
