/*
 * fuzz_agentcmd.c - libFuzzer target: what kastro-agent takes from the
 * console besides the link's own answers (agent/agentcmd.c): the args of
 * the scan, rules and quarantine commands, and a rule bundle.
 *
 * The input is tried as each: as JSON args of "scan", "rules" and
 * "quarantine", and as a bundle body for a fixed version. Checks that
 * whatever is accepted holds what the contract says (absolute paths
 * without "." or "..", a ceiling in range, a 64-digit lowercase hex
 * version, a quarantine id of q- and 16 hex digits, relative file names
 * ending in .yar/.yara with no component empty or starting with '.', in
 * strictly increasing order, decoded data of the stated length) and that
 * nothing crashes or leaks. Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentcmd.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static const char want[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agentcmd_scan sc;
	struct agentcmd_file *files = NULL;
	char v[AGENTCMD_VERSION_LEN + 1], err[256];
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	size_t n = 0;

	if (agentcmd_scan_args(j, &sc, err, sizeof(err)) == 0) {
		check(sc.n <= AGENTCMD_SCAN_PATHS);
		check(sc.cpu >= -1 && sc.cpu <= AGENTCMD_SCAN_CPU_MAX);
		for (size_t i = 0; i < sc.n; i++) {
			check(sc.paths[i][0] == '/');
			check(strstr(sc.paths[i], "/../") == NULL && strstr(sc.paths[i], "/./") == NULL);
		}
	} else {
		check(err[0] != '\0');
	}
	{
		struct agentcmd_quarantine qa;

		if (agentcmd_quarantine_args(j, &qa, err, sizeof(err)) == 0 &&
		    qa.action != AGENTCMD_Q_LIST)
			check(strlen(qa.id) == 18 && strncmp(qa.id, "q-", 2) == 0 &&
			      strspn(qa.id + 2, "0123456789abcdef") == 16);
	}
	if (agentcmd_rules_args(j, v, err, sizeof(err)) == 0)
		check(strlen(v) == AGENTCMD_VERSION_LEN && strspn(v, "0123456789abcdef") == 64);
	json_decref(j);
	if (agentcmd_bundle((const char *)data, size, want, &files, &n, err, sizeof(err)) == 0) {
		check(n >= 1 && n <= AGENTCMD_BUNDLE_FILES);
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(files[i].name);

			/* relative, no component empty or starting with '.': never leaves
			 * the rules directory the agent writes it to */
			check(l >= 5 && files[i].name[0] != '/' && files[i].name[0] != '.');
			check(strstr(files[i].name, "/.") == NULL && strstr(files[i].name, "//") == NULL);
			check(strchr(files[i].name, '\\') == NULL && files[i].name[l - 1] != '/');
			check(i == 0 || strcmp(files[i - 1].name, files[i].name) < 0);
			check(files[i].data[files[i].len] == '\0');
		}
		agentcmd_bundle_free(files, n);
	}
	return 0;
}
