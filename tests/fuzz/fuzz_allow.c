/*
 * fuzz_allow.c - libFuzzer target: the allowlist an agent takes from the
 * console (agent/allow.c, the "allow" command's args) and the file the
 * console reads it from (console/allowpush.c).
 *
 * The input is tried as the command's args: whatever allow_parse()
 * accepts must build a list with those counts, and a hash of the list
 * must then be allowed. It is also tried as an allowlist file: what
 * allowpush_text() makes of it must be args the agent accepts with the
 * same counts (the console never sends what the agent would refuse).
 * Nothing may crash or leak. Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aconf.h"
#include "allow.h"
#include "allowpush.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct agent_conf c;
	struct allow *a;
	char err[512], *args;
	size_t ns, np, ns2, np2;

	memset(&c, 0, sizeof(c));
	if (allow_parse(text, size, &ns, &np, err, sizeof(err)) == 0) {
		a = allow_new(&c, text, size, err, sizeof(err));
		check(a != NULL);
		check(allow_count_sha256(a) == ns && allow_count_paths(a) == np);
		if (ns > 0) {
			json_t *j = json_loadb(text, size, 0, NULL);
			char h[65];

			memcpy(h, json_string_value(json_array_get(json_object_get(j, "sha256"), 0)), 65);
			for (int i = 0; i < 64; i++)
				if (h[i] >= 'A' && h[i] <= 'F')
					h[i] = (char)(h[i] - 'A' + 'a');
			check(allow_match(a, "/x", h) != NULL);
			json_decref(j);
		}
		allow_free(a);
	}
	if (allowpush_text("f", text, size, &args, &ns, &np, err, sizeof(err)) == 0) {
		check(strlen(args) <= ALLOWPUSH_MAX_BYTES);
		check(allow_parse(args, strlen(args), &ns2, &np2, err, sizeof(err)) == 0);
		check(ns == ns2 && np == np2);
		free(args);
	}
	return 0;
}
