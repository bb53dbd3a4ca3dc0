/*
 * fuzz_conf.c - libFuzzer target: arbitrary bytes as kastrod.conf.
 *
 * Checks that conf_load_buffer() neither crashes, leaks nor hangs, that a
 * failure always comes with a "name:..." message, and that an accepted
 * configuration holds only values inside the documented ranges.
 *
 * Build by hand from the top of the tree (G is any scratch directory):
 *   bison -Wall --defines=$G/conf_parse.h -o $G/conf_parse.c daemon/conf_parse.y
 *   flex -o $G/conf_lex.c daemon/conf_lex.l
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -D_GNU_SOURCE \
 *       -Idaemon -Ilib -I$G $(pkg-config --cflags libndpi) -o $G/fuzz_conf \
 *       tests/fuzz/fuzz_conf.c daemon/conf.c daemon/policy*.c \
 *       $G/conf_parse.c $G/conf_lex.c $(pkg-config --libs libndpi)
 *   $G/fuzz_conf -max_total_time=60 -max_len=4096
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kastrod_conf c;
	char err[1024];
	int i;

	conf_defaults(&c);
	if (conf_load_buffer("fuzz.conf", (const char *)data, size, &c, err,
			     sizeof(err)) < 0) {
		check(strncmp(err, "fuzz.conf:", 10) == 0);
		return 0;
	}
	check(c.max_flows >= 1 && c.max_flows <= 16777216);
	check(c.snaplen >= 64 && c.snaplen <= 262144);
	check(c.n_ifaces >= 0 && c.n_ifaces <= CONF_MAX_IFACES);
	for (i = 0; i < CONF_TO_N; i++)
		check(c.timeout[i] >= 1);
	for (i = 0; i < c.n_ifaces; i++)
		check(strlen(c.ifaces[i]) >= 1 && strlen(c.ifaces[i]) < IFNAMSIZ);
	check(memchr(c.user, '\0', sizeof(c.user)) != NULL && c.user[0] != '\0');
	check(c.eve_path[0] == '\0' || c.eve_path[0] == '/' ||
	      strcmp(c.eve_path, "-") == 0);
	conf_free(&c);      /* the policy, when the input holds one */
	return 0;
}
