/*
 * allow.h - the agent's allowlist: files a match never makes a finding of,
 * nor moves into the quarantine (a false positive an officer restored).
 *
 * Two kinds of entry: a sha256 (the content is trusted wherever it lies)
 * and a path glob (a place is trusted, whatever lands there: weaker, as
 * anyone who can write there is trusted too; prefer sha256). Globs match
 * as fnmatch(glob, full_path, 0), as scan include/exclude do.
 *
 * A list comes from agent.conf (`allow`) and from the console (the
 * "allow" command, kept in DIR/allow.json so that it outlives a restart);
 * the two add up, and a new push replaces the previous push, never the
 * configured entries. A list is built once and then only read: the agent
 * swaps a new one in under its lock.
 *
 * The console's args (untrusted bytes from the network) are checked
 * completely by allow_parse(): {"sha256": ["64 hex", ...], "paths":
 * ["glob", ...]}, both optional, at most ALLOW_MAX_SHA256 and
 * ALLOW_MAX_PATHS entries, hashes of 64 hex digits, globs starting with
 * '/', '*', '?' or '[' and shorter than PATH_MAX; nothing else.
 *
 * Functions that can fail return NULL or -1 with a message in err.
 */
#ifndef KASTRO_ALLOW_H
#define KASTRO_ALLOW_H

#include <stddef.h>

#include "aconf.h"

#define ALLOW_MAX_SHA256 100000
#define ALLOW_MAX_PATHS  1024
#define ALLOW_MAX_TEXT   (8u << 20)     /* bytes of the console's args */

struct allow;

/*
 * The list of the configured entries (c's allow_sha256, allow_paths) and
 * of the pushed text (len bytes of JSON as allow_parse() takes; NULL:
 * none). Returns the list, or NULL with err.
 */
struct allow *allow_new(const struct agent_conf *c, const char *pushed, size_t len, char *err,
			size_t errlen);
void allow_free(struct allow *a);

/*
 * Check the console's args (text, len bytes): 0 with the counts, or -1
 * with err naming the bad entry.
 */
int allow_parse(const char *text, size_t len, size_t *nsha, size_t *npaths, char *err,
		size_t errlen);

/*
 * Is this file allowed? sha256 is 64 lowercase hex digits, or NULL when
 * unknown. Returns "sha256" or "path" (which kind of entry matched), or
 * NULL.
 */
const char *allow_match(const struct allow *a, const char *path, const char *sha256);

/* Entries of each kind. */
size_t allow_count_sha256(const struct allow *a);
size_t allow_count_paths(const struct allow *a);

#endif
