/*
 * fuzz_ping.c - libFuzzer target: arbitrary bytes as the path of a push
 * check's ping after "/ping/" (console/push.c's push_parse_path()).
 *
 * Checks that the parser neither crashes nor reads past the string, that
 * what it accepts is exactly the documented forms (a UUID, then nothing,
 * "/", "/start", "/fail" or "/0".."/255", each with an optional trailing
 * '/'), and that the UUID handed back is the input's in lower case.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), uuid[INV_UUID_LEN + 1], want[16];
	enum svc_ping what;
	int code;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (push_parse_path(s, uuid, &what, &code) == 0) {
		const char *rest = s + INV_UUID_LEN;

		check(strlen(s) >= INV_UUID_LEN && strlen(uuid) == INV_UUID_LEN);
		for (int i = 0; i < INV_UUID_LEN; i++)
			check(uuid[i] == tolower((unsigned char)s[i]) &&
			      (uuid[i] == '-' || isxdigit((unsigned char)uuid[i])));
		switch (what) {
		case SVC_PING_SUCCESS:
			check(strcmp(rest, "") == 0 || strcmp(rest, "/") == 0);
			break;
		case SVC_PING_START:
			check(strcmp(rest, "/start") == 0 || strcmp(rest, "/start/") == 0);
			break;
		case SVC_PING_FAIL:
			check(strcmp(rest, "/fail") == 0 || strcmp(rest, "/fail/") == 0);
			break;
		case SVC_PING_EXIT:
			check(code >= 0 && code <= 255);
			snprintf(want, sizeof(want), "/%d", code);
			check(strncmp(rest, want, strlen(want)) == 0 &&
			      (rest[strlen(want)] == '\0' || strcmp(rest + strlen(want), "/") == 0));
			break;
		}
	}
	free(s);
	return 0;
}
