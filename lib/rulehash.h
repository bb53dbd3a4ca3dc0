/*
 * rulehash.h - the version of a set of YARA rule files, as kastro-agent
 * (agent/rules.h) and kastro-console (its rule bundles) both compute it:
 * lowercase hex SHA-256 over, for each file in byte order of the names,
 * its name (relative to the rules root, '/' between directories), a NUL byte, its length as 8 bytes
 * little-endian and its contents. The same files give the same version on
 * every host.
 */
#ifndef KASTRO_RULEHASH_H
#define KASTRO_RULEHASH_H

#include <stddef.h>

#define RULEHASH_LEN 64                 /* hex digits, without the NUL */

struct rulehash_file {
	const char *name;
	const void *data;
	size_t len;
};

/* The version of the n files (already in name order) into out
 * (RULEHASH_LEN + 1 bytes). Returns 0, or -1 when SHA-256 fails. */
int rulehash(const struct rulehash_file *f, size_t n, char *out);

#endif
