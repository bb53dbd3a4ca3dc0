/*
 * agentcmd.h - what kastro-agent takes from the console besides the link's
 * own answers: the args of its commands and the rule bundles it fetches.
 * Untrusted input, so all of it is checked here, without I/O, and fuzzed
 * (tests/fuzz/fuzz_agentcmd.c).
 *
 * Commands (docs/sensor-api.md):
 *   scan   {"paths": ["/abs/path", ...],   on-demand scan; no paths: the
 *           "cpu": PERCENT}                configured ones; cpu: its ceiling
 *                                          (0: none; not given: agent.conf's)
 *   rules  {"version": "<64 hex>"}         fetch bundle VERSION from the
 *                                          console, check, compile, swap
 * A bundle (GET /sensor/v1/rules/VERSION) is {"version": V, "files":
 * [{"name": "dir/x.yar", "data_b64": BASE64}...]}: names are relative to
 * the rules root (ruletree_name_ok(): '/' between directories, no
 * component empty or starting with '.', ending in .yar or .yara), unique, in
 * strictly increasing byte order, at most AGENTCMD_BUNDLE_FILES of them.
 * The version is checked by compiling the files (rules.h computes the
 * same hash over them).
 */
#ifndef KASTRO_AGENTCMD_H
#define KASTRO_AGENTCMD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ruletree.h"

#define AGENTCMD_SCAN_PATHS 64
#define AGENTCMD_BUNDLE_FILES 10000
#define AGENTCMD_VERSION_LEN 64

struct agentcmd_scan {
	const char *paths[AGENTCMD_SCAN_PATHS];      /* point into the args object */
	size_t n;
	int cpu;                        /* "cpu": 0 (none) .. AGENTCMD_SCAN_CPU_MAX; -1: not given */
};

#define AGENTCMD_SCAN_CPU_MAX 6400      /* % of one core, as agent.conf's scan cpu */

/* The args of "scan" (NULL: none). Returns 0, or -1 with err. */
int agentcmd_scan_args(json_t *args, struct agentcmd_scan *out, char *err, size_t errlen);

/* The args of "rules": the version into out (AGENTCMD_VERSION_LEN + 1 bytes). */
int agentcmd_rules_args(json_t *args, char *out, char *err, size_t errlen);

/* The args of "quarantine": {"action": "list", "from": N} or {"action":
 * "restore"|"delete", "id": "q-" and 16 lowercase hex digits}. */
enum agentcmd_qaction { AGENTCMD_Q_LIST, AGENTCMD_Q_RESTORE, AGENTCMD_Q_DELETE };
struct agentcmd_quarantine {
	enum agentcmd_qaction action;
	uint64_t from;                  /* LIST: items to skip */
	char id[19];                    /* RESTORE, DELETE */
};
int agentcmd_quarantine_args(json_t *args, struct agentcmd_quarantine *out, char *err,
			     size_t errlen);

struct agentcmd_file {
	char name[RULETREE_NAME_MAX];  /* relative, '/'-separated (ruletree.h) */
	char *data;                     /* decoded, NUL-terminated */
	size_t len;
};

/*
 * Parse a bundle body (len bytes) that should be version want. On success
 * *files (agentcmd_bundle_free()) holds *n decoded files. -1 with err
 * otherwise.
 */
int agentcmd_bundle(const char *body, size_t len, const char *want,
		    struct agentcmd_file **files, size_t *n, char *err, size_t errlen);
void agentcmd_bundle_free(struct agentcmd_file *files, size_t n);

#endif
