/*
 * fuzz_hookdb.c - libFuzzer target: arbitrary bytes as the text of a hook
 * an admin makes in the console (hookdb_parse: the REST API's and the web
 * UI's input).
 *
 * Checks that hookdb_parse() neither crashes, leaks nor hangs; that a
 * refusal always says why; that the running configuration it is given is
 * left as it was; and that an accepted text is one hook that passes
 * hook_check(), whose text held no brace outside strings but its block's.
 *
 * Build by hand from the top of the tree (G is any scratch directory):
 *   bison -Wall --defines=$G/cconf_parse.h -o $G/cconf_parse.c console/cconf_parse.y
 *   flex -o $G/cconf_lex.c console/cconf_lex.l
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -D_GNU_SOURCE -Iconsole -Ilib -I$G -o $G/fuzz_hookdb tests/fuzz/fuzz_hookdb.c \
 *       console/hookdb_parse.c console/cconf.c console/cconf_hook.c console/cconf_services.c \
 *       console/hooks.c console/plugin.c console/probe.c lib/cfg.c lib/textdist.c lib/errf.c \
 *       lib/inventory.c lib/num.c lib/mono.c lib/fdio.c $G/cconf_parse.c $G/cconf_lex.c \
 *       -lssl -lcrypto -lcurl -lresolv
 *   $G/fuzz_hookdb -max_total_time=120 -max_len=4096
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cconf.h"
#include "hookdb.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct console_conf base, before;
	struct hook_def h;
	char err[2048], why[256], *text;

	if (size > HOOKDB_TEXT_MAX + 16)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cconf_defaults(&base);
	memcpy(base.data_dir, "/var/lib/kastro-console", 24);
	before = base;
	err[0] = '\0';
	if (hookdb_parse(&base, text, &h, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
	} else {
		check(h.name[0] != '\0' && memchr(h.name, '\0', sizeof(h.name)) != NULL);
		check(hook_check(&h, why, sizeof(why)) == 0);
		check(strchr(text, '{') != NULL && strchr(text, '}') != NULL);
	}
	check(memcmp(&base, &before, sizeof(base)) == 0);
	free(text);
	return 0;
}
