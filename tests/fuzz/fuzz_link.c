/*
 * fuzz_link.c - libFuzzer target: arbitrary bytes as the console's answer
 * to kastrod's link (linkproto.h): the answer to a batch ({"ack": M}), the
 * answer to a long poll ({"commands": [...]}), and as an event from the
 * sensor to be spooled.
 *
 * Checks that nothing crashes or reads past the input, that a failure
 * always says why, that an accepted ack lies inside the batch, that every
 * accepted command has a positive id and a NUL-terminated type, that the
 * result written for it is JSON, and that an inventory push's args
 * (linkinv_args) are taken only as a 64-digit hash and a bounded size.
 *
 * Built and run by tests/fuzz/run.sh.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "linkinv.h"
#include "linkproto.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linkp_cmd cmds[8];
	enum spool_class cls;
	char err[256];
	uint64_t ack = 0;
	size_t n = 99, i;

	err[0] = '\0';
	if (linkp_parse_ack((const char *)data, size, 5, 900, &ack, err, sizeof(err)) < 0)
		check(err[0] != '\0');
	else
		check(ack >= 5 && ack <= 900);
	err[0] = '\0';
	if (linkp_parse_commands((const char *)data, size, cmds, 8, &n, err, sizeof(err)) < 0) {
		check(err[0] != '\0' && n == 0);
	} else {
		check(n <= 8);
		for (i = 0; i < n; i++) {
			char *r = linkp_result(cmds[i].id, cmds[i].args != NULL,
					       linkp_pong(1700000000, cmds[i].type));
			json_t *j;

			check(cmds[i].id > 0);
			check(memchr(cmds[i].type, '\0', sizeof(cmds[i].type)) != NULL);
			{
				char sha[65];
				uint64_t sz = 0;

				if (linkinv_args(cmds[i].args, sha, &sz, err, sizeof(err)) == 0)
					check(strlen(sha) == 64 && sz <= INV_SRC_MAX);
				else
					check(err[0] != '\0');
			}
			check(r != NULL);
			j = json_loads(r, 0, NULL);
			check(j != NULL);
			json_decref(j);
			free(r);
			linkp_cmd_clear(&cmds[i]);
		}
	}
	err[0] = '\0';
	if (linkp_event_class((const char *)data, size, &cls, err, sizeof(err)) < 0)
		check(err[0] != '\0');
	else
		check(cls < SPOOL_NCLASS);
	return 0;
}
