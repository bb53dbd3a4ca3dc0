/*
 * fuzz_cconf.c - libFuzzer target: arbitrary bytes as kastro-console's
 * console.conf.
 *
 * Checks that cconf_load_buffer() neither crashes, leaks nor hangs, that a
 * failure always comes with a "name:..." message and leaves the struct as
 * it was, and that an accepted configuration holds only what the console
 * can use: a data directory, one to four listeners of each kind that can
 * all bind together, values inside the documented ranges, hooks with
 * unique names that each pass hook_check().
 *
 * Build by hand from the top of the tree (G is any scratch directory):
 *   bison -Wall --defines=$G/cconf_parse.h -o $G/cconf_parse.c console/cconf_parse.y
 *   flex -o $G/cconf_lex.c console/cconf_lex.l
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -D_GNU_SOURCE -Iconsole -Ilib -I$G -o $G/fuzz_cconf \
 *       tests/fuzz/fuzz_cconf.c console/cconf.c console/cconf_hook.c console/hooks.c lib/cfg.c lib/textdist.c \
 *       lib/fdio.c $G/cconf_parse.c $G/cconf_lex.c
 *   $G/fuzz_cconf -max_total_time=120 -max_len=4096
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cconf.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int is_v4(const char *a)
{
	return strchr(a, ':') == NULL && strcmp(a, "*") != 0;
}

static void check_listen(const struct cconf_listen *l)
{
	unsigned char bin[16];

	check(terminated(l->addr, sizeof(l->addr)));
	check(strcmp(l->addr, "*") == 0 || inet_pton(AF_INET, l->addr, bin) == 1 ||
	      inet_pton(AF_INET6, l->addr, bin) == 1);
	check(l->port >= 1);
}

/* Both could not bind: same port, and one address covers the other. */
static int clash(const struct cconf_listen *a, const struct cconf_listen *b)
{
	if (a->port != b->port)
		return 0;
	if (strcmp(a->addr, b->addr) == 0 || strcmp(a->addr, "*") == 0 ||
	    strcmp(b->addr, "*") == 0)
		return 1;
	if (strcmp(a->addr, "0.0.0.0") == 0 || strcmp(b->addr, "0.0.0.0") == 0)
		return is_v4(a->addr) && is_v4(b->addr);
	if (strcmp(a->addr, "::") == 0 || strcmp(b->addr, "::") == 0)
		return !is_v4(a->addr) && !is_v4(b->addr);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct console_conf c, before;
	struct cconf_listen all[2 * CCONF_MAX_LISTEN];
	char err[1024];
	int i, j, n = 0;

	cconf_defaults(&c);
	before = c;
	if (cconf_load_buffer("fuzz.conf", (const char *)data, size,
			      "/nonexistent/fuzz", &c, err, sizeof(err)) < 0) {
		check(strncmp(err, "fuzz.conf", 9) == 0 || err[0] == '/');
		check(memcmp(&c, &before, sizeof(c)) == 0);
		return 0;
	}
	check(terminated(c.data_dir, sizeof(c.data_dir)) && c.data_dir[0] == '/');
	check(terminated(c.control_path, sizeof(c.control_path)) &&
	      c.control_path[0] == '/');
	check(c.n_https >= 1 && c.n_https <= CCONF_MAX_LISTEN);
	check(c.n_sensors >= 1 && c.n_sensors <= CCONF_MAX_LISTEN);
	for (i = 0; i < c.n_https; i++)
		all[n++] = c.https[i];
	for (i = 0; i < c.n_sensors; i++)
		all[n++] = c.sensors[i];
	for (i = 0; i < n; i++) {
		check_listen(&all[i]);
		for (j = i + 1; j < n; j++)
			check(!clash(&all[i], &all[j]));
	}
	check(c.log_level >= LOG_LVL_ERR && c.log_level <= LOG_LVL_DEBUG);
	check(c.sensor_offline_after >= 30 && c.sensor_offline_after <= 7 * 86400);
	check(c.cert_days >= 1 && c.cert_days <= 3650);
	check(c.token_ttl_default >= 60 && c.token_ttl_default <= 30 * 86400);
	check(c.dedup_window <= 7 * 86400);
	check(c.session_idle >= 60 && c.session_idle <= 86400);
	check(c.session_absolute >= 60 && c.session_absolute <= 30 * 86400);
	check(c.session_idle <= c.session_absolute);
	check(c.max_body >= 1024 && c.max_body <= 64 << 20);
	check(c.max_headers >= 1024 && c.max_headers <= 1 << 20);
	check(c.max_connections >= 1 && c.max_connections <= 65535);
	check(c.request_timeout >= 1 && c.request_timeout <= 600);
	check(c.long_poll_max >= 1 && c.long_poll_max <= 600);
	/* hooks: names unique, each a complete receiver that passes its checks */
	check(c.n_hooks >= 0 && c.n_hooks <= CCONF_MAX_HOOKS);
	check(terminated(c.public_url, sizeof(c.public_url)));
	for (i = 0; i < c.n_hooks; i++) {
		const struct hook_def *h = &c.hooks[i];
		char why[256];

		check(terminated(h->name, sizeof(h->name)) && h->name[0] != '\0');
		check(terminated(h->url, sizeof(h->url)) && h->url[0] != '\0');
		check(terminated(h->host, sizeof(h->host)) && h->host[0] != '\0');
		check(hook_check(h, why, sizeof(why)) == 0);
		check(h->min_severity >= 1 && h->min_severity <= 4);
		check(h->n_to >= 0 && h->n_to <= HOOK_MAX_TO);
		check(h->win_from < 24 * 60 && h->win_to < 24 * 60);
		check((h->win_from < 0) == (h->win_to < 0));
		check(h->days != 0 && h->days <= 0x7f && h->types != 0);
		for (j = i + 1; j < c.n_hooks; j++)
			check(strcmp(h->name, c.hooks[j].name) != 0);
	}
	cconf_free(&c);
	return 0;
}
