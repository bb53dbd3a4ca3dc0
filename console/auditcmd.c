/*
 * auditcmd.c - see auditcmd.h. Reads the configuration for the data
 * directory, opens the database as any other reader would (WAL lets the
 * running console go on writing) and walks the chain.
 */
#include "auditcmd.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cconf.h"
#include "store.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kastro-console audit verify -c FILE\n"
		   "  check the audit log's hash chain; name the first entry that does not fit\n");
}

int auditcmd_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct console_conf conf;
	struct store_audit_check ck;
	struct store *s = NULL;
	const char *conf_path = NULL;
	char err[4096], db[PATH_MAX + 16];
	int opt;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || conf_path == NULL) {
		usage(stderr);
		return 2;
	}
	cconf_defaults(&conf);
	if (cconf_load(conf_path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (snprintf(db, sizeof(db), "%s/console.db", conf.data_dir) >= (int)sizeof(db)) {
		fprintf(stderr, "%s: data directory path too long\n", conf_path);
		return 2;
	}
	if (store_open(db, 0, &s, err, sizeof(err)) < 0 ||
	    store_audit_verify(s, &ck, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit verify: %s\n", err);
		store_close(s);
		return 2;
	}
	store_close(s);
	if (ck.before_chain > 0)
		printf("%" PRId64 " entries from before the chain (not verifiable)\n", ck.before_chain);
	if (ck.first_bad != 0) {
		printf("audit chain BROKEN at entry %" PRId64 ": %s (%" PRId64 " entries before it "
		       "verified)\n", ck.first_bad, ck.why, ck.verified);
		return 1;
	}
	printf("audit chain OK: %" PRId64 " entries verified; head entry %" PRId64 " hash %s\n",
	       ck.verified, ck.head_id, ck.verified > 0 ? ck.head_hash : "-");
	return 0;
}
