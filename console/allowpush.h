/*
 * allowpush.h - `kastroctl allow push FILE [SENSOR]`: the allowlist the
 * console sends its agents (agent/allow.h), read from a file of the
 * console's host.
 *
 * One entry a line: "sha256 HEX" (64 hex digits, as sha256sum prints
 * them) or "path GLOB" (a glob on the agent's full paths, starting with
 * '/', '*', '?' or '['; the rest of the line, spaces included). Blank
 * lines and lines starting with '#' are skipped. The same entry twice is
 * an error; so is a file of more than ALLOWPUSH_MAX_BYTES of entries
 * once written as the command's args (a command travels in a long poll
 * answer, which is bounded). An empty file is fine: it clears the list
 * the console pushed before.
 */
#ifndef KASTRO_ALLOWPUSH_H
#define KASTRO_ALLOWPUSH_H

#include <stddef.h>

#define ALLOWPUSH_MAX_FILE  (1u << 20)
#define ALLOWPUSH_MAX_BYTES (64u << 10)

/*
 * The args of the "allow" command for the file at path: a JSON object
 * {"sha256": [...], "paths": [...]} (malloc'd, the caller frees) and the
 * counts. Returns 0, or -1 with err as "FILE:LINE: what, expected what".
 */
int allowpush_file(const char *path, char **args, size_t *nsha, size_t *npaths, char *err,
		   size_t errlen);

/* As allowpush_file, from len bytes at text; name is used in messages. */
int allowpush_text(const char *name, const char *text, size_t len, char **args, size_t *nsha,
		   size_t *npaths, char *err, size_t errlen);

#endif
