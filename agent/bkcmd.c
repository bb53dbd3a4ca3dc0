/*
 * bkcmd.c - see bkcmd.h.
 */
#include "bkcmd.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aconf.h"
#include "backup.h"
#include "bkconf.h"

int bkcmd_main(int argc, char **argv)
{
	static struct agent_conf c;
	static struct bkc bk;
	const char *file = NULL, *check = "status";
	char path[PATH_MAX], err[4096], host[256];
	json_t *ev;
	int opt, i, ok;

	optind = 1;
	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt == 'c') {
			file = optarg;
		} else {
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: kastro-agent backup -c FILE NAME [status|verify|restore]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (file == NULL || optind >= argc || argc - optind > 2) {
		fprintf(stderr, "usage: kastro-agent backup -c FILE NAME [status|verify|restore]\n");
		return 2;
	}
	if (argc - optind == 2)
		check = argv[optind + 1];
	aconf_defaults(&c);
	if (aconf_load(file, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent: %s\n", err);
		return 2;
	}
	if (bkc_path_for(file, path, sizeof(path)) < 0 || bkc_load(path, &bk, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent: %s\n", err);
		aconf_free(&c);
		return 2;
	}
	for (i = 0; i < bk.n; i++)
		if (strcmp(bk.b[i].name, argv[optind]) == 0)
			break;
	if (i == bk.n) {
		fprintf(stderr, "kastro-agent: %s names no backup \"%s\"\n", path, argv[optind]);
		aconf_free(&c);
		return 2;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	ev = backup_run_once(&bk.b[i], check, c.dir, host, err, sizeof(err));
	aconf_free(&c);
	if (ev == NULL) {
		fprintf(stderr, "kastro-agent: backup %s: %s\n", argv[optind], err);
		return 2;
	}
	ok = json_is_true(json_object_get(json_object_get(ev, "backup"), "ok"));
	json_dumpf(ev, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(ev);
	return ok ? 0 : 1;
}
