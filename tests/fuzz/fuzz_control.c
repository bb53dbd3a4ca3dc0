/*
 * fuzz_control.c - libFuzzer target: arbitrary bytes as one control request
 * line, as a member of group kastro (not root) may send one (control.h).
 *
 * Checks that control_lookup() neither crashes nor reads past the line,
 * and that an entry it returns has the request's first word as its word
 * and, when the entry names a subcommand, the second word as that (so a
 * changing request is never taken for a read-only one); and that
 * control_split() finds the same first word.
 *
 * Built and run by tests/fuzz/run.sh, or by hand from the top of the tree:
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Ilib -o fuzz_control tests/fuzz/fuzz_control.c lib/control.c lib/log.c lib/mono.c lib/pathesc.c -lcrypto
 *   ./fuzz_control -max_total_time=60 -max_len=1100
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static const struct control_cmd cmds[] = {
	{ "status", NULL, CONTROL_READ },
	{ "quarantine", "list", CONTROL_READ },
	{ "quarantine", NULL, CONTROL_CHANGE },
	{ "hooks", "", CONTROL_READ },
	{ "hooks", "result", CONTROL_READ },
	{ "hooks", NULL, CONTROL_CHANGE },
	{ "reload", NULL, CONTROL_CHANGE },
};

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CONTROL_LINE_MAX + 1], copy[CONTROL_LINE_MAX + 1], *w[4];
	const struct control_cmd *e;
	int n;

	if (size > CONTROL_LINE_MAX)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';          /* the server cuts at the first NUL too */
	memcpy(copy, line, size + 1);
	e = control_lookup(cmds, sizeof(cmds) / sizeof(cmds[0]), line);
	n = control_split(copy, w, 4);
	if (e == NULL)
		return 0;
	check(n != 0);
	if (n > 0) {
		check(strcmp(w[0], e->word) == 0);
		if (e->sub != NULL && e->sub[0] != '\0')
			check(n >= 2 && strcmp(w[1], e->sub) == 0);
		if (e->sub != NULL && e->sub[0] == '\0')
			check(n == 1);
	}
	return 0;
}
