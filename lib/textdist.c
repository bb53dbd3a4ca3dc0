/*
 * textdist.c - see textdist.h. One row of the classic dynamic programme.
 */
#include "textdist.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

size_t textdist(const char *a, size_t an, const char *b, bool fold_case)
{
	size_t bn = strlen(b), row[64], i, j;

	if (an >= 64 || bn >= 64)
		return SIZE_MAX;
	for (j = 0; j <= bn; j++)
		row[j] = j;
	for (i = 1; i <= an; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= bn; j++) {
			unsigned char x = (unsigned char)a[i - 1], y = (unsigned char)b[j - 1];
			size_t best;

			if (fold_case) {
				x = (unsigned char)tolower(x);
				y = (unsigned char)tolower(y);
			}
			best = diag + (x != y);
			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[bn];
}
