/*
 * kastro-agent - Kastro's endpoint agent.
 *
 *   kastro-agent -c FILE [-n] [-v] [-s SOCKET]   run (or, with -n, check the
 *                                                configuration and the rules)
 *   kastro-agent enroll --console HOST[:PORT] --token TOKEN --ca-fingerprint FP
 *                       [-c FILE] [--dir DIR] [--proxy URL] [--force]
 *   kastro-agent scan [--rules DIR|FILE] [--json] ... PATH...   (scancmd.h)
 *   kastro-agent backup -c FILE NAME [status|verify|restore]        (bkcmd.h)
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aconf.h"
#include "agent.h"
#include "bkcmd.h"
#include "bkconf.h"
#include "log.h"
#include "scan.h"
#include "scancmd.h"
#include "scanproc.h"
#include "sensorenroll.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastro-agent -c FILE [-n] [-v] [-s SOCKET]\n"
		"       kastro-agent enroll --console HOST[:PORT] --token TOKEN --ca-fingerprint FP\n"
		"                           [-c FILE] [--dir DIR] [--proxy URL] [--force]\n"
		"       kastro-agent scan [--rules DIR|FILE] [--json] PATH...  (scan --help)\n"
		"       kastro-agent backup -c FILE NAME [status|verify|restore]\n"
		"\n"
		"  -c, --config FILE   the agent's configuration (docs/agent-config.md)\n"
		"  -n, --check         check the configuration and compile the rules, print the\n"
		"                      configuration with every default, and exit\n"
		"  -v, --verbose       log debug messages too\n"
		"  -s, --socket PATH   the control socket for kastroctl (default "
		AGENT_CONTROL_PATH ")\n"
		"  -V, --version       print the version\n"
		"\n"
		"enroll: make this host a sensor of kastro-console with a one-time token from\n"
		"`kastroctl token create --kind agent`. The console's HTTPS port is the\n"
		"configuration's enroll-port (default 8443) unless HOST:PORT says otherwise;\n"
		"--dir and --proxy default to the configuration's dir and proxy.\n");
}

/* backups.conf beside file, when there is one (bkconf.h); 0 or -1. */
static int load_backups(const char *file, struct bkc *bk)
{
	char path[PATH_MAX], err[4096];
	struct stat st;

	memset(bk, 0, sizeof(*bk));
	if (bkc_path_for(file, path, sizeof(path)) < 0 || stat(path, &st) < 0)
		return 0;
	if (bkc_load(path, bk, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent: %s\n", err);
		return -1;
	}
	return 0;
}

static int load(const char *file, struct agent_conf *c)
{
	char err[4096];

	aconf_defaults(c);
	if (aconf_load(file, c, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent: %s\n", err);
		return -1;
	}
	return 0;
}

static int enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "console", required_argument, NULL, 'C' },
		{ "token", required_argument, NULL, 't' },
		{ "ca-fingerprint", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "proxy", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent_conf c;
	struct sensorenroll r = { .program = "kastro-agent" };
	const char *file = NULL, *console = NULL, *dir = NULL, *proxy = NULL;
	char target[ACONF_HOST_MAX + 16], sid[64], err[PATH_MAX + 2048];
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'C': console = optarg; break;
		case 't': r.token = optarg; break;
		case 'f': r.fingerprint = optarg; break;
		case 'c': file = optarg; break;
		case 'd': dir = optarg; break;
		case 'p': proxy = optarg; break;
		case 'F': r.force = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc || !r.token || !r.fingerprint || (!console && !file)) {
		usage(stderr);
		return 1;
	}
	aconf_defaults(&c);
	if (file && load(file, &c) < 0)
		return 1;
	if (!console) {
		snprintf(target, sizeof(target), strchr(c.console_host, ':') ? "[%s]:%u" : "%s:%u",
			 c.console_host, c.enroll_port);
		console = target;
	} else if (!strchr(console, ':') || (console[0] != '[' && strchr(console, ':') !=
					       strrchr(console, ':'))) {
		/* no port given: the configured (or default) enrolment port */
		snprintf(target, sizeof(target), strchr(console, ':') ? "[%s]:%u" : "%s:%u",
			 console, c.enroll_port);
		console = target;
	}
	r.console = console;
	r.dir = dir ? dir : c.dir;
	r.proxy = proxy ? proxy : c.proxy[0] ? c.proxy : NULL;
	signal(SIGPIPE, SIG_IGN);
	if (sensorenroll_run(&r, sid, sizeof(sid), err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-agent enroll: %s\n", err);
		aconf_free(&c);
		return 1;
	}
	printf("%s\n", sid);
	fprintf(stderr, "kastro-agent enroll: enrolled as sensor %s with %s; enrolment in %s\n",
		sid, r.console, r.dir);
	aconf_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent_conf c;
	static struct bkc bk;
	const char *file = NULL, *sock = AGENT_CONTROL_PATH;
	int opt, check = 0, verbose = 0, rc;

	/* the scanning child (scanproc.h), started by the daemon and by scan */
	if (argc == 2 && strcmp(argv[1], "scan-child") == 0)
		return scanproc_child_main();
	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scancmd_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "enroll") == 0)
		return enroll(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return bkcmd_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "c:nvs:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 's': sock = optarg; break;
		case 'V': printf("kastro-agent %s\n", KASTRO_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file || optind < argc) {
		usage(stderr);
		return 2;
	}
	if (load(file, &c) < 0 || load_backups(file, &bk) < 0)
		return 1;
	if (check) {
		/* compiled by a scanning child: rule text is not parsed as root */
		static struct scanproc_rules info;
		char err[4096];
		struct scanproc_config pc = { .mem_max = scanproc_mem_for(c.threads, c.max_size) };
		struct scanproc *sp = scanproc_start(&pc, err, sizeof(err));
		int ok = sp != NULL && scanproc_load(sp, c.rules, &info, err, sizeof(err)) == 0;

		scanproc_stop(sp);
		if (aconf_print(stdout, &c) < 0 ||
		    printf("# kastro-agent scan on the command line has the same defaults: "
			   "max-size %lluMB, file-timeout %us\n",
			   (unsigned long long)(SCAN_DEFAULT_MAX_SIZE >> 20),
			   (unsigned)SCAN_DEFAULT_TIMEOUT) < 0) {
			fprintf(stderr, "kastro-agent: cannot print the configuration\n");
			aconf_free(&c);
			return 1;
		}
		if (!ok) {
			fprintf(stderr, "kastro-agent: rules: %s\n", err);
			aconf_free(&c);
			return 1;
		}
		fprintf(stderr, "kastro-agent: %s: configuration OK; rules %s: %u rules from %u "
			"files\n", file, info.version, info.rules, info.files);
		for (int i = 0; i < bk.n; i++)
			fprintf(stderr, "kastro-agent: backup \"%s\": %s %s of service %s\n",
				bk.b[i].name, bkc_kind_name(bk.b[i].kind), bk.b[i].repo,
				bk.b[i].service);
		aconf_free(&c);
		return 0;
	}
	log_init("kastro-agent", verbose ? LOG_LVL_DEBUG : c.log_level, false);
	/* messages name files of others: never a raw control character */
	log_escape_controls(true);
	rc = agent_run(&c, &bk, sock);
	aconf_free(&c);
	return rc;
}
