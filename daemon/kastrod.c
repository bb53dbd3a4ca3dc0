/*
 * kastrod.c - the gateway daemon: start-up, privilege drop, the capture
 * loop and signals. The packet path itself is in engine.c.
 *
 * Order at start-up: parse and check the configuration; open what needs
 * privilege (EVE output, nDPI list files, capture handles); drop to an
 * unprivileged user with no capabilities; only then read packets.
 *
 * Exit status: 0 done; 1 configuration or start-up error; 2 the capture
 * file is damaged (everything readable before the damage was processed).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "conf.h"
#include "dpi.h"
#include "engine.h"
#include "eve.h"
#include "log.h"
#include "privs.h"

#define KASTRO_VERSION "0.1.0"

static volatile sig_atomic_t sig_stop, sig_stats;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_stats = 1;
	else
		sig_stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastrod [-c FILE] -r CAPTURE [--eve PATH]\n"
		"       kastrod [-c FILE] -i IFACE[,IFACE...] [--eve PATH]\n"
		"       kastrod -n [-c FILE]\n"
		"\n"
		"  -c, --config FILE   configuration (default: built-in defaults)\n"
		"  -r, --read FILE     classify a capture file (pcap or pcapng), then exit\n"
		"  -i, --interface L   capture live on these interfaces until SIGTERM\n"
		"  -e, --eve PATH      EVE JSON output ('-' for stdout); overrides 'eve'\n"
		"  -u, --user NAME     unprivileged user to run as; overrides 'user'\n"
		"  -n, --check         check the configuration and exit\n"
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
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct kastrod_conf conf;
	static struct eve eve;
	static struct engine eng;
	static struct capture cap;
	const char *conf_path = NULL, *read_path = NULL, *iface_arg = NULL;
	const char *eve_arg = NULL, *user_arg = NULL;
	int check = 0, verbose = 0, opt, rc = 0;
	char err[4096];
	struct dpi *dpi = NULL;
	struct sigaction sa;
	time_t last_flush = 0;

	while ((opt = getopt_long(argc, argv, "c:r:i:e:u:nvVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'r': read_path = optarg; break;
		case 'i': iface_arg = optarg; break;
		case 'e': eve_arg = optarg; break;
		case 'u': user_arg = optarg; break;
		case 'n': check = 1; break;
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

	conf_defaults(&conf);
	if (conf_path && conf_load(conf_path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", conf_path ? conf_path : "(defaults)");
		return 0;
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

	/* Signals first: one that arrives during start-up is acted on after it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Everything that needs privilege, before dropping it. */
	if (eve_open(&eve, conf.eve_path, err, sizeof(err)) < 0)
		goto fail;
	dpi = dpi_new(&conf, err, sizeof(err));
	if (!dpi)
		goto fail;
	if (read_path) {
		if (capture_open_file(&cap, read_path, err, sizeof(err)) < 0)
			goto fail;
	} else if (capture_open_live(&cap, &conf, err, sizeof(err)) < 0) {
		goto fail;
	}
	/* The default user may not exist on a machine without the package. */
	if (privs_drop(conf.user, strcmp(conf.user, "kastro") == 0 ? "nobody" : NULL,
		       err, sizeof(err)) < 0) {
		log_err("cannot drop privileges: %s", err);
		rc = 1;
		goto out;
	}
	if (engine_init(&eng, &conf, dpi, &eve, err, sizeof(err)) < 0)
		goto fail;
	if (!read_path) {
		int i;

		for (i = 0; i < conf.n_ifaces; i++)
			eng.ifname[i] = conf.ifaces[i];
		log_info("capturing on %d interface(s), EVE to %s", conf.n_ifaces, conf.eve_path);
	}

	while (!sig_stop) {
		int r = capture_dispatch(&cap, &eng, 200, err, sizeof(err));
		time_t now;

		if (r < 0) {
			log_err("%s: %s", read_path ? read_path : "capture", err);
			rc = 2;
			break;
		}
		if (r == 0)
			break;
		if (sig_stats) {
			struct engine_capture_stats cs;

			sig_stats = 0;
			capture_stats(&cap, &cs);
			engine_report_stats(&eng, &cs);
			eve_flush(&eve);
		}
		now = time(NULL);
		if (cap.live && now != last_flush) {
			eve_flush(&eve);
			last_flush = now;
		}
	}

	{
		struct engine_capture_stats cs;

		capture_stats(&cap, &cs);
		engine_flush(&eng);
		engine_report_stats(&eng, &cs);
	}
	if (eve.write_errors)
		log_err("EVE output: %llu write errors", (unsigned long long)eve.write_errors);
	goto out;
fail:
	log_err("%s", err);
	rc = 1;
out:
	engine_fini(&eng);
	capture_close(&cap);
	dpi_free(dpi);
	eve_close(&eve);
	return rc;
}
