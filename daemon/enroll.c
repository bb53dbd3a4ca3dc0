/*
 * enroll.c - see enroll.h. Runs once, by hand, as root; it talks to the
 * console before the gateway trusts it, so the console's CA is pinned by
 * fingerprint before anything is sent, and every later request verifies
 * the console against that CA only.
 */
#include "enroll.h"

#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "sensorenroll.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastrod enroll --console HOST[:PORT] --token TOKEN --ca-fingerprint SHA256:...\n"
		"                      [--dir DIR] [--user USER] [--force]\n"
		"\n"
		"  --console HOST[:PORT]  the console's HTTPS port (default port 8443)\n"
		"  --token TOKEN          one-time token (kastroctl token create --kind gateway)\n"
		"  --ca-fingerprint FP    the console CA's fingerprint, as the token shows it\n"
		"  --dir DIR              where the enrolment is kept (default " CONF_LINK_DIR_DEFAULT ")\n"
		"  --user USER            the user kastrod's link runs as (default kastro, or nobody)\n"
		"  --force                replace an existing enrolment\n");
}

int enroll_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "console", required_argument, NULL, 'c' },
		{ "token", required_argument, NULL, 't' },
		{ "ca-fingerprint", required_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sensorenroll r = { .program = "kastrod", .dir = CONF_LINK_DIR_DEFAULT };
	const char *user = "kastro";
	char sid[64], err[PATH_MAX + 2048];
	struct passwd *pw = NULL;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': r.console = optarg; break;
		case 't': r.token = optarg; break;
		case 'f': r.fingerprint = optarg; break;
		case 'd': r.dir = optarg; break;
		case 'u': user = optarg; break;
		case 'F': r.force = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc || !r.console || !r.token || !r.fingerprint) {
		usage(stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() == 0) {
		pw = getpwnam(user);
		if (!pw && strcmp(user, "kastro") == 0)
			pw = getpwnam("nobody");
		if (!pw) {
			fprintf(stderr, "kastrod enroll: user '%s' does not exist\n", user);
			return 1;
		}
		r.owner_set = true;
		r.uid = pw->pw_uid;
		r.gid = pw->pw_gid;
	}
	if (sensorenroll_run(&r, sid, sizeof(sid), err, sizeof(err)) < 0) {
		fprintf(stderr, "kastrod enroll: %s\n", err);
		return 1;
	}
	printf("%s\n", sid);
	fprintf(stderr, "kastrod enroll: enrolled as sensor %s with %s; enrolment in %s\n", sid,
		r.console, r.dir);
	return 0;
}
