/*
 * fuzz_aconf.c - libFuzzer target: arbitrary bytes as kastro-agent's
 * agent.conf.
 *
 * Checks that aconf_load_buffer() neither crashes, leaks nor hangs, that a
 * failure always comes with a "name:..." message and leaves the struct as
 * it was, that an accepted configuration holds only what the agent can use
 * (a console address, absolute paths in one form, globs that can match,
 * YARA tags, values inside the documented ranges), and that the text
 * aconf_print() writes for it loads back into the same values.
 *
 * Build by hand from the top of the tree (G is any scratch directory):
 *   bison -Wall --defines=$G/aconf_parse.h -o $G/aconf_parse.c agent/aconf_parse.y
 *   flex -o $G/aconf_lex.c agent/aconf_lex.l
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       -D_GNU_SOURCE -Iagent -Ilib -I$G -o $G/fuzz_aconf \
 *       tests/fuzz/fuzz_aconf.c agent/aconf.c lib/cfg.c lib/textdist.c \
 *       $G/aconf_parse.c $G/aconf_lex.c
 *   $G/fuzz_aconf -max_total_time=120 -max_len=4096
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aconf.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* Absolute, no "//", no trailing '/' but "/", no "." or ".." component. */
static void check_path(const char *p, size_t max)
{
	const char *s;

	check(terminated(p, max) && p[0] == '/');
	check(strstr(p, "//") == NULL);
	check(strcmp(p, "/") == 0 || p[strlen(p) - 1] != '/');
	for (s = p; s != NULL; s = strchr(s + 1, '/')) {
		size_t n = strcspn(s + 1, "/");

		check(!(n == 1 && s[1] == '.'));
		check(!(n == 2 && s[1] == '.' && s[2] == '.'));
	}
}

static void check_list(const struct aconf_list *l, int max, int kind)
{
	int i, j;

	check(l->n >= 0 && l->n <= max);
	check(l->n == 0 || l->v != NULL);
	for (i = 0; i < l->n; i++) {
		const char *s = l->v[i];

		check(s != NULL && strlen(s) < PATH_MAX);
		if (kind == 'p') {
			check_path(s, PATH_MAX);
		} else if (kind == 'g') {
			check(s[0] != '\0' && strchr("/*?[", s[0]) != NULL);
		} else {
			size_t k;

			check(s[0] != '\0' && strlen(s) <= ACONF_TAG_MAX &&
			      !isdigit((unsigned char)s[0]));
			for (k = 0; s[k] != '\0'; k++)
				check(isalnum((unsigned char)s[k]) || s[k] == '_');
		}
		for (j = 0; j < i; j++)
			check(strcmp(l->v[j], s) != 0);
	}
}

/* The lists of c, in a fixed order. */
static void lists_of(struct agent_conf *c, struct aconf_list *l[5])
{
	l[0] = &c->scan_paths;
	l[1] = &c->scan_include;
	l[2] = &c->scan_exclude;
	l[3] = &c->watch;
	l[4] = &c->quarantine_tags;
}

/* What aconf_print() writes for c loads back into c's values. */
static void check_print(struct agent_conf *c)
{
	struct aconf_list *la[5], *lb[5], own[5];
	struct agent_conf b;
	char *text = NULL, err[1024];
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	int k, i;

	check(f != NULL);
	check(aconf_print(f, c) == 0);
	check(fclose(f) == 0);
	aconf_defaults(&b);
	check(aconf_load_buffer("print.conf", text, n, "/nonexistent", &b, err,
				sizeof(err)) == 0);
	free(text);
	lists_of(c, la);
	lists_of(&b, lb);
	for (k = 0; k < 5; k++) {
		check(la[k]->n == lb[k]->n);
		for (i = 0; i < la[k]->n; i++)
			check(strcmp(la[k]->v[i], lb[k]->v[i]) == 0);
		/* the rest compared with the list pointers made equal */
		own[k] = *lb[k];
		*lb[k] = *la[k];
	}
	check(memcmp(&b, c, sizeof(b)) == 0);
	for (k = 0; k < 5; k++)
		*lb[k] = own[k];
	aconf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_conf c, before;
	char err[1024];

	aconf_defaults(&c);
	before = c;
	if (aconf_load_buffer("fuzz.conf", (const char *)data, size,
			      "/nonexistent/fuzz", &c, err, sizeof(err)) < 0) {
		check(strncmp(err, "fuzz.conf", 9) == 0 || err[0] == '/');
		check(memcmp(&c, &before, sizeof(c)) == 0);
		return 0;
	}
	check(terminated(c.console_host, sizeof(c.console_host)) &&
	      c.console_host[0] != '\0' && c.console_host[0] != '-');
	check(c.console_port >= 1 && c.enroll_port >= 1 &&
	      c.console_port != c.enroll_port);
	check(terminated(c.proxy, sizeof(c.proxy)) &&
	      (c.proxy[0] == '\0' || strncmp(c.proxy, "http://", 7) == 0));
	check_path(c.dir, ACONF_DIR_MAX);
	check_path(c.rules, PATH_MAX);
	check_path(c.quarantine_dir, ACONF_QDIR_MAX);
	check(c.spool_max >= 16 << 20 && c.spool_max <= UINT64_C(32) << 30);
	check(c.heartbeat >= 10 && c.heartbeat <= 3600);
	check(c.log_level >= LOG_LVL_ERR && c.log_level <= LOG_LVL_DEBUG);
	check_list(&c.scan_paths, ACONF_MAX_LIST, 'p');
	check_list(&c.scan_include, ACONF_MAX_LIST, 'g');
	check_list(&c.scan_exclude, ACONF_MAX_LIST, 'g');
	check_list(&c.watch, ACONF_MAX_LIST, 'p');
	check_list(&c.quarantine_tags, ACONF_MAX_TAGS, 't');
	check(c.max_size >= 1024 && c.max_size <= UINT64_C(4) << 30);
	check(c.file_timeout >= 1 && c.file_timeout <= 3600);
	check(c.threads <= 256);
	check(c.cpu_percent >= 1 && c.cpu_percent <= 6400);
	if (c.sched == ACONF_SCHED_DAILY)
		check(c.sched_minute < 1440 && c.sched_every == 0);
	else
		check(c.sched == ACONF_SCHED_EVERY && c.sched_minute == 0 &&
		      c.sched_every >= 600 && c.sched_every <= 30 * 86400);
	check(c.cache_entries >= 1000 && c.cache_entries <= 100000000);
	check(c.quarantine_severity <= 4);
	check_print(&c);
	aconf_free(&c);
	return 0;
}
