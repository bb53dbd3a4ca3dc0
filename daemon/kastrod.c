/*
 * kastrod.c - the gateway daemon's entry point: options, the configuration,
 * and the choice of process model.
 *
 * Live capture (-i or `interfaces`) runs two processes: a privileged parent
 * (parent.c) that holds the policy and alone writes nftables, and an
 * unprivileged sensor (sensor.c) that reads packets, runs nDPI and writes
 * EVE, forked by the parent and restarted when it dies. Replaying a file
 * (-r) runs the sensor in this one process, with no nftables writes: the
 * policy is asked in-process, so the EVE output shows which flows the
 * policy would block. `-n` checks the configuration and touches nothing.
 *
 * Order at start-up: parse and check the configuration; open what needs
 * privilege (EVE output, capture handles; live: nftables and the control
 * socket); drop privileges; only then read packets.
 *
 * Exit status: 0 done; 1 configuration or start-up error; 2 the capture
 * file is damaged (everything readable before the damage was processed).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "conf.h"
#include "control.h"
#include "version.h"
#include "enroll.h"
#include "eve.h"
#include "log.h"
#include "ndpi_list.h"
#include "nftgen.h"
#include "parent.h"
#include "inline.h"
#include "nft.h"
#include "policy.h"
#include "sensor.h"


#define OPT_CONTROL 1000
#define OPT_LIST 1001
#define OPT_FLUSH 1002
#define OPT_MONITOR 1003

/* Replay: the policy's answer, in-process (the parent does this when live). */
static int replay_policy(void *ctx, const struct verdict_query *q, struct verdict *v)
{
	const struct kastrod_conf *c = ctx;
	const struct pol_rule *r = policy_match_dpi(c, q);

	if (!r)
		return 0;
	policy_verdict(r, q, v);
	return v->action == VERDICT_BLOCK || v->log;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastrod [-c FILE] -r CAPTURE [--eve PATH]\n"
		"       kastrod [-c FILE] -i IFACE[,IFACE...] [--eve PATH] [--control PATH] [--monitor]\n"
		"       kastrod -n [-c FILE]\n"
		"       kastrod --flush\n"
		"       kastrod enroll --console HOST[:PORT] --token TOKEN --ca-fingerprint SHA256:...\n"
		"                      [--dir DIR] [--user USER] [--force]\n"
		"\n"
		"  -c, --config FILE   configuration (default: built-in defaults)\n"
		"  -r, --read FILE     classify a capture file (pcap or pcapng), then exit\n"
		"  -i, --interface L   capture live on these interfaces until SIGTERM\n"
		"  -e, --eve PATH      EVE JSON output ('-' for stdout); overrides 'eve'\n"
		"  -u, --user NAME     unprivileged user to run as; overrides 'user'\n"
		"      --control PATH  control socket for kastroctl (default " CONTROL_KASTROD_PATH ")\n"
		"      --monitor       watch only: DPI rules alert, nothing is enforced, no\n"
		"                      nftables table (an earlier run's is removed)\n"
		"  -n, --check         check the configuration and exit\n"
		"      --list WHAT     print nDPI's names for rules: apps, categories or risks\n"
		"      --flush         remove kastrod's nftables table (all enforcement) and exit\n"
		"  -v, --verbose       log debug messages\n"
		"  -V, --version       print the version and exit\n");
}

static int parse_ifaces(struct kastrod_conf *c, const char *list)
{
	const char *p = list;

	c->n_ifaces = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= IFNAMSIZ) {
			log_err("-i %s: bad interface name (1 to %d characters, comma-separated)",
				list, IFNAMSIZ - 1);
			return -1;
		}
		if (c->n_ifaces >= CONF_MAX_IFACES) {
			log_err("-i %s: at most %d interfaces", list, CONF_MAX_IFACES);
			return -1;
		}
		memcpy(c->ifaces[c->n_ifaces], p, n);
		c->ifaces[c->n_ifaces][n] = '\0';
		c->n_ifaces++;
		p += n;
		if (*p == ',')
			p++;
	}
	return c->n_ifaces > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "eve", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "check", no_argument, NULL, 'n' },
		{ "list", required_argument, NULL, OPT_LIST },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "monitor", no_argument, NULL, OPT_MONITOR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct kastrod_conf conf;
	static struct eve eve;
	static struct capture cap;
	const char *conf_path = NULL, *read_path = NULL, *iface_arg = NULL;
	const char *eve_arg = NULL, *user_arg = NULL, *control_path = CONTROL_KASTROD_PATH;
	const char *list_arg = NULL;
	int check = 0, flush = 0, monitor = 0, verbose = 0, opt, rc = 0;
	char err[4096];

	if (argc > 1 && strcmp(argv[1], "enroll") == 0)
		return enroll_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "c:r:i:e:u:nvVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'r': read_path = optarg; break;
		case 'i': iface_arg = optarg; break;
		case 'e': eve_arg = optarg; break;
		case 'u': user_arg = optarg; break;
		case OPT_CONTROL: control_path = optarg; break;
		case OPT_LIST: list_arg = optarg; break;
		case 'n': check = 1; break;
		case OPT_FLUSH: flush = 1; break;
		case OPT_MONITOR: monitor = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("kastrod %s\n", KASTRO_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kastrod: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init("kastrod", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, false);
	if (flush) {
		rc = inl_flush(err, sizeof(err));
		if (rc < 0) {
			log_err("--flush: %s", err);
			return 1;
		}
		log_info(rc == 1 ? "table inet %s removed: kastrod enforces nothing now" :
			 "no table inet %s: nothing to remove", NFT_TABLE);
		return 0;
	}

	conf_defaults(&conf);
	if (conf_path && conf_load(conf_path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (list_arg) {
		rc = ndpi_list_print(list_arg, conf.ndpi_protocols, stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "kastrod: %s\n", err);
		conf_free(&conf);
		return rc < 0 ? 1 : 0;
	}
	if (check) {
		/* where the services came from (docs/config.md, "inventory from console") */
		fprintf(stderr, "inventory: %zu services, source %s%s%s, sha256 %s\n",
			conf.policy != NULL ? conf.policy->n_services : (size_t)0, conf.inv.source,
			conf.inv.path[0] ? " " : "", conf.inv.path,
			conf.inv.sha256[0] ? conf.inv.sha256 : "-");
		rc = nftgen_check(&conf, conf_path ? conf_path : "(defaults)");
		conf_free(&conf);
		return rc;
	}
	if (eve_arg && snprintf(conf.eve_path, sizeof(conf.eve_path), "%s", eve_arg) >=
			       (int)sizeof(conf.eve_path)) {
		log_err("--eve: path too long");
		return 1;
	}
	if (user_arg && snprintf(conf.user, sizeof(conf.user), "%s", user_arg) >=
				(int)sizeof(conf.user)) {
		log_err("--user: name too long");
		return 1;
	}
	if (iface_arg && parse_ifaces(&conf, iface_arg) < 0)
		return 1;
	conf.monitor = monitor;
	if (read_path && iface_arg) {
		log_err("-r and -i exclude each other: read a file or capture live");
		return 1;
	}
	if (!read_path && conf.n_ifaces == 0) {
		log_err("nothing to read: give -r FILE, or -i IFACE, or 'interfaces' in the configuration");
		usage(stderr);
		return 1;
	}
	if (conf.eve_path[0] == '\0') {
		log_err("no EVE output: give --eve PATH ('-' for stdout) or set 'eve' in the configuration");
		return 1;
	}

	/* Opened here, as root, so its directory may stay root-owned. */
	if (eve_open(&eve, conf.eve_path, err, sizeof(err)) < 0) {
		log_err("%s", err);
		conf_free(&conf);
		return 1;
	}
	eve.max_rate = conf.eve_max_rate;
	if (read_path) {
		struct sensor_args sa;

		signal(SIGPIPE, SIG_IGN);
		if (capture_open_file(&cap, read_path, err, sizeof(err)) < 0) {
			log_err("%s", err);
			rc = 1;
		} else {
			memset(&sa, 0, sizeof(sa));
			sa.conf = &conf;
			sa.cap = &cap;
			sa.eve = &eve;
			sa.ipc_fd = -1;
			sa.link_fd = -1;
			sa.pkt_fd = -1;
			sa.policy = conf.policy ? replay_policy : NULL;
			sa.policy_ctx = &conf;
			sa.source = read_path;
			rc = sensor_run(&sa);
		}
	} else {
		struct parent_args pa;

		memset(&pa, 0, sizeof(pa));
		pa.conf = &conf;
		pa.conf_path = conf_path;
		pa.eve = &eve;
		pa.control_path = control_path;
		rc = parent_run(&pa);
	}
	eve_close(&eve);
	conf_free(&conf);
	return rc;
}
