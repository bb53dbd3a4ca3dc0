/*
 * bundle.h - rule bundles the console pushes to its agents.
 *
 * `kastroctl rules push DIR [SENSOR]` makes one from DIR's rule tree
 * (ruletree.h: every regular file named *.yar or *.yara under DIR, at any
 * depth, named relative to DIR, in byte order of those names: the set
 * kastro-agent would compile from DIR), names it
 * by its version (rulehash.h, the version the agent will report), and
 * keeps it as DATA/bundles/VERSION.json, written atomically:
 * {"version": V, "files": [{"name": N, "data_b64": BASE64}...]} (base64,
 * so files in any encoding travel unchanged). The console then queues a
 * "rules" command {"version": V} for the agents; each fetches the bundle
 * with GET /sensor/v1/rules/V on the sensor port.
 */
#ifndef KASTRO_BUNDLE_H
#define KASTRO_BUNDLE_H

#include <stddef.h>

#include "rulehash.h"

#define BUNDLE_MAX_FILES 10000
#define BUNDLE_MAX_BYTES (48u << 20)    /* of rule files together */

/*
 * Make the bundle of dir in data_dir/bundles; its version into version
 * (RULEHASH_LEN + 1 bytes), the number of files into *nfiles. Returns 0,
 * or -1 with err (no rule files, too many or too large, I/O).
 */
int bundle_make(const char *dir, const char *data_dir, char *version, size_t *nfiles,
		char *err, size_t errlen);

/* The file of bundle version (64 lowercase hex digits) into out; -1 when
 * version is not one. */
int bundle_path(const char *data_dir, const char *version, char *out, size_t outlen);

#endif
