/*
 * kastroctl.c - the officers' command-line tool for kastrod (status,
 * policy reload with an automatic revert unless confirmed, quarantine and
 * release of a host) and kastro-console (enrolment tokens, sensors,
 * commands, officers' API tokens).
 *
 * It talks to the daemon's control socket (a unix socket for root, and for
 * group kastro's read-only commands, see lib/control.h): one request line per connection, and prints the answer.
 * The answer starts with "ok" (printed to standard output, exit 0) or
 * "error: ..." (printed to standard error, exit 1). Durations on the
 * command line ("90", "60s", "30m", "1h", "7d") become seconds here, so the
 * daemon only ever parses plain numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctl_hooks.h"
#include "ctlclient.h"
#include "metrics.h"
#include "num.h"

#define DEFAULT_SOCKET CONTROL_KASTROD_PATH
#define CONSOLE_SOCKET CONTROL_CONSOLE_PATH
#define AGENT_SOCKET CONTROL_AGENT_PATH
#define LINE_MAX_BYTES 1024
#define TIMEOUT_MS 60000        /* a reload of a large policy takes a while */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastroctl [-s SOCKET] COMMAND\n"
		"\n"
		"commands:\n"
		"  status                          the daemon's processes and counters\n"
		"  reload [--confirm-within DUR]   load the policy again; with --confirm-within\n"
		"                                  it reverts by itself unless confirmed in time\n"
		"  confirm                         keep the policy of the last reload\n"
		"  quarantine ADDRESS [--ttl DUR]  drop a host's traffic (except to the console)\n"
		"  quarantine list                 the hosts in quarantine and the time they have left\n"
		"  release ADDRESS                 end a host's quarantine\n"
		"  policy                          per rule: packets and bytes it matched, DPI verdicts\n"
		"  reopen                          open the EVE file again (after log rotation)\n"
		"\n"
		"console commands (kastro-console):\n"
		"  token create [--ttl DUR] [--kind agent|gateway]\n"
		"                                  a one-time enrolment token and the CA fingerprint\n"
		"  sensor list                     enrolled sensors: id, kind, state, host, last seen\n"
		"  sensor revoke ID                refuse the sensor from now on, close its connections\n"
		"  sensor ping ID                  queue a ping command; prints its command id\n"
		"  sensor scan ID [cpu=N] [PATH...] queue an on-demand scan on an agent (its\n"
		"                                  configured paths when none are given), under a\n"
		"                                  CPU ceiling of N%% of one core (0: none; default:\n"
		"                                  the agent's `scan cpu`)\n"
		"  sensor quarantine ID [FROM]     queue a listing of an agent's quarantine (100\n"
		"                                  items from FROM; kastroctl command N shows it)\n"
		"  sensor restore ID QID           queue putting quarantined item QID back (audited)\n"
		"  sensor purge ID QID             queue deleting quarantined item QID (audited)\n"
		"  rules push DIR [SENSOR]         send DIR's YARA rules to every agent (or one)\n"
		"  allow push FILE [SENSOR]        send FILE's allowlist (lines \"sha256 HEX\", \"path\n"
		"                                  GLOB\") to every agent (or one); replaces the last\n"
		"  command ID                      a command's state and result\n"
		"  api-token list [USER]           officers' API tokens: user, name, created,\n"
		"                                  expires, last used (Unix seconds)\n"
		"  api-token create USER NAME [--ttl DUR]\n"
		"                                  an API token for USER (shown once; 90d\n"
		"                                  unless --ttl, 1h to 365d)\n"
		"  api-token revoke USER NAME      revoke USER's token NAME\n"
		"  console status                  the console's counters\n"
		"  console reload                  read the services inventory again (as SIGHUP);\n"
		"                                  a bad file changes nothing and is the error\n"
		"  hooks                           alert hooks: queue depth, last success, last error\n"
		"  hooks test NAME [--timeout DUR] send a test alert through a hook; exit 0 accepted,\n"
		"                                  1 refused or not reached, 2 other error (30s)\n"
		"  hooks deliveries NAME [STATE]   a hook's newest deliveries\n"
		"  hooks retry ID | hooks drop ID  send a failed delivery again, or give one up\n"
		"\n"
		"metrics (every daemon on this host, or those named):\n"
		"  metrics [gateway|console|agent]... [--textfile FILE]\n"
		"                                  their counters in Prometheus' text format;\n"
		"                                  --textfile replaces FILE atomically\n"
		"\n"
		"agent commands (kastro-agent, on the host it runs on):\n"
		"  agent status                    the agent's rules, last scan, link and counters\n"
		"  agent scan                      scan the configured paths now\n"
		"  agent quarantined               files in the quarantine: ID TIME SHA256 RULE PATH\n"
		"  agent restore ID                put a quarantined file back where it was\n"
		"\n"
		"  -s, --socket PATH   the daemon's control socket (default " DEFAULT_SOCKET ",\n"
		"                      for console commands " CONSOLE_SOCKET ",\n"
		"                      for agent commands " AGENT_SOCKET ")\n"
		"  DUR: seconds, or a number with s, m, h or d (\"60s\", \"1h\")\n");
}

/* "90", "60s", "30m", "1h", "7d" into seconds (at most a year). */
static int parse_duration(const char *s, uint64_t *secs)
{
	char num[24];
	size_t n = strlen(s);
	uint64_t mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; num[--n] = '\0'; break;
	case 'm': mult = 60; num[--n] = '\0'; break;
	case 'h': mult = 3600; num[--n] = '\0'; break;
	case 'd': mult = 86400; num[--n] = '\0'; break;
	default: break;
	}
	if (num_parse_u64(num, 0, 366u * 86400u, &v) < 0 || v * mult > 366u * 86400u)
		return -1;
	*secs = v * mult;
	return 0;
}

/* Send req (one line) to the socket and print the whole answer (every
 * page of it, ctlclient.h). Exit status. */
static int request(const char *path, const char *req)
{
	char err[512], *ans;
	size_t len;
	int ok;

	if (ctlclient_ask(path, req, TIMEOUT_MS, &ans, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastroctl: %s\n", err);
		return 1;
	}
	ok = len >= 2 && strncmp(ans, "ok", 2) == 0 &&
	     (ans[2] == '\0' || ans[2] == ' ' || ans[2] == '\n');
	if (fwrite(ans, 1, len, ok ? stdout : stderr) != len || fflush(stdout) != 0) {
		fprintf(stderr, "kastroctl: writing the answer: %s\n", strerror(errno));
		ok = 0;
	}
	free(ans);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *confirm = NULL, *ttl = NULL, *kind = NULL, *cmd, *arg = NULL;
	const char *arg2 = NULL;
	char req[LINE_MAX_BYTES];
	uint64_t secs = 0;
	int opt, nargs, n, i;

	while ((opt = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "metrics") == 0)    /* its own arguments (tools/metrics.c) */
		return metrics_main(argc - optind, argv + optind, path);
	if (strcmp(cmd, "hooks") == 0)
		return ctl_hooks(path ? path : CONSOLE_SOCKET, argc - optind, argv + optind);
	/* The command's own options and arguments, in any order. */
	nargs = 0;
	for (i = optind; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--confirm-within") == 0)
			dst = &confirm;
		else if (strcmp(argv[i], "--ttl") == 0)
			dst = &ttl;
		else if (strcmp(argv[i], "--kind") == 0)
			dst = &kind;
		else if (strncmp(argv[i], "--confirm-within=", 17) == 0)
			confirm = argv[i] + 17;
		else if (strncmp(argv[i], "--ttl=", 6) == 0)
			ttl = argv[i] + 6;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "kastroctl: unknown option %s\n", argv[i]);
			return 2;
		} else if (nargs < 1) {
			arg = argv[i];
			nargs++;
		} else if (nargs < 2) {
			arg2 = argv[i];
			nargs++;
		} else {
			nargs++;
		}
		if (dst) {
			if (i + 1 >= argc) {
				fprintf(stderr, "kastroctl: %s needs a value\n", argv[i]);
				return 2;
			}
			*dst = argv[++i];
		}
	}

	if (kind && strcmp(cmd, "token") != 0) {
		fprintf(stderr, "kastroctl: --kind belongs to token create\n");
		return 2;
	}
	if (strcmp(cmd, "agent") == 0) {
		if (!path)
			path = AGENT_SOCKET;
		if (confirm || ttl)
			n = -1;
		else if (nargs == 1 && (strcmp(arg, "status") == 0 || strcmp(arg, "scan") == 0 ||
					strcmp(arg, "quarantined") == 0))
			n = snprintf(req, sizeof(req), "%s", arg);
		else if (nargs == 2 && strcmp(arg, "restore") == 0)
			n = snprintf(req, sizeof(req), "restore %s", arg2);
		else
			n = -1;
		if (n < 0) {
			usage(stderr);
			return 2;
		}
		if ((size_t)n >= sizeof(req) || strpbrk(req, "\n\r")) {
			fprintf(stderr, "kastroctl: request too long or not one line\n");
			return 2;
		}
		return request(path, req);
	}
	if (strcmp(cmd, "api-token") == 0) {
		/* The officers' API tokens; `token` stays the enrolment tokens. */
		const char *a[3] = { NULL, NULL, NULL };
		int na = 0;

		if (!path)
			path = CONSOLE_SOCKET;
		for (i = optind; i < argc; i++) {
			if (strcmp(argv[i], "--ttl") == 0) {
				i++;
				continue;
			}
			if (strncmp(argv[i], "--ttl=", 6) == 0)
				continue;
			if (na < 3)
				a[na] = argv[i];
			na++;
		}
		if (confirm || na < 1 || na > 3) {
			usage(stderr);
			return 2;
		}
		if (strcmp(a[0], "list") == 0 && na <= 2 && !ttl) {
			n = snprintf(req, sizeof(req), "api-token list%s%s", na == 2 ? " " : "",
				     na == 2 ? a[1] : "");
		} else if (strcmp(a[0], "revoke") == 0 && na == 3 && !ttl) {
			n = snprintf(req, sizeof(req), "api-token revoke %s %s", a[1], a[2]);
		} else if (strcmp(a[0], "create") == 0 && na == 3) {
			if (ttl && (parse_duration(ttl, &secs) < 0 || secs < 3600 ||
				    secs > 365u * 86400u)) {
				fprintf(stderr, "kastroctl: --ttl %s: expected a duration from 1h to 365d\n",
					ttl);
				return 2;
			}
			n = ttl ? snprintf(req, sizeof(req), "api-token create %s %s ttl %llu", a[1], a[2],
					   (unsigned long long)secs)
				: snprintf(req, sizeof(req), "api-token create %s %s", a[1], a[2]);
		} else {
			usage(stderr);
			return 2;
		}
		for (i = 1; i < na; i++) {
			if (a[i][0] == '\0' || strpbrk(a[i], " \t\r\n") != NULL) {
				fprintf(stderr, "kastroctl: '%s': a user or token name is one word\n",
					a[i]);
				return 2;
			}
		}
		if (n < 0 || (size_t)n >= sizeof(req)) {
			fprintf(stderr, "kastroctl: request too long\n");
			return 2;
		}
		return request(path, req);
	}
	if ((strcmp(cmd, "sensor") == 0 && nargs >= 2 && strcmp(arg, "scan") == 0) ||
	    strcmp(cmd, "rules") == 0 || strcmp(cmd, "allow") == 0) {
		/* Commands with paths: taken word by word from argv. */
		size_t len;
		int first = optind;

		if (!path)
			path = CONSOLE_SOCKET;
		if (confirm || ttl) {
			usage(stderr);
			return 2;
		}
		if (strcmp(cmd, "rules") == 0 || strcmp(cmd, "allow") == 0) {
			char dir[PATH_MAX];

			if (nargs < 2 || nargs > 3 || strcmp(arg, "push") != 0) {
				usage(stderr);
				return 2;
			}
			/* The console resolves nothing: it gets an absolute path. */
			if (!realpath(arg2, dir)) {
				fprintf(stderr, "kastroctl: %s: %s\n", arg2, strerror(errno));
				return 1;
			}
			n = snprintf(req, sizeof(req), "%s push %s%s%s", cmd, dir, nargs == 3 ? " " : "",
				     nargs == 3 ? argv[argc - 1] : "");
		} else {
			n = snprintf(req, sizeof(req), "sensor scan");
			for (i = first + 1; i < argc && n >= 0 && (size_t)n < sizeof(req); i++) {
				if (argv[i][0] != '/' && i > first + 1 && strncmp(argv[i], "cpu=", 4) != 0) {
					fprintf(stderr, "kastroctl: %s: paths on the agent are absolute\n",
						argv[i]);
					return 2;
				}
				n += snprintf(req + n, sizeof(req) - (size_t)n, " %s", argv[i]);
			}
		}
		len = n < 0 ? sizeof(req) : (size_t)n;
		if (len >= sizeof(req) || strpbrk(req, "\n\r")) {
			fprintf(stderr, "kastroctl: request too long or not one line\n");
			return 2;
		}
		for (const char *p = req; *p; p++) {
			if (*p == '\t') {
				fprintf(stderr, "kastroctl: paths with tabs cannot be sent\n");
				return 2;
			}
		}
		return request(path, req);
	}
	if (strcmp(cmd, "token") == 0 || strcmp(cmd, "sensor") == 0 || strcmp(cmd, "command") == 0 ||
	    strcmp(cmd, "console") == 0) {
		if (!path)
			path = CONSOLE_SOCKET;
		if (strcmp(cmd, "token") == 0 && nargs == 1 && strcmp(arg, "create") == 0 && !confirm) {
			if (ttl && (parse_duration(ttl, &secs) < 0 || secs < 60 || secs > 30u * 86400u)) {
				fprintf(stderr, "kastroctl: --ttl %s: expected a duration from 1m to 30d\n", ttl);
				return 2;
			}
			if (kind && strcmp(kind, "agent") != 0 && strcmp(kind, "gateway") != 0) {
				fprintf(stderr, "kastroctl: --kind %s: expected agent or gateway\n", kind);
				return 2;
			}
			if (ttl)
				n = snprintf(req, sizeof(req), "token create ttl %llu kind %s",
					     (unsigned long long)secs, kind ? kind : "agent");
			else
				n = snprintf(req, sizeof(req), "token create kind %s", kind ? kind : "agent");
		} else if (strcmp(cmd, "sensor") == 0 && nargs == 1 && strcmp(arg, "list") == 0 &&
			   !confirm && !ttl) {
			n = snprintf(req, sizeof(req), "sensor list");
		} else if (strcmp(cmd, "sensor") == 0 && nargs == 2 && !confirm && !ttl &&
			   (strcmp(arg, "revoke") == 0 || strcmp(arg, "ping") == 0 ||
			    strcmp(arg, "quarantine") == 0)) {
			n = snprintf(req, sizeof(req), "sensor %s %s", arg, arg2);
		} else if (strcmp(cmd, "sensor") == 0 && nargs == 3 && !confirm && !ttl &&
			   (strcmp(arg, "restore") == 0 || strcmp(arg, "purge") == 0 ||
			    strcmp(arg, "quarantine") == 0)) {
			n = snprintf(req, sizeof(req), "sensor %s %s %s", arg, arg2, argv[argc - 1]);
		} else if (strcmp(cmd, "command") == 0 && nargs == 1 && !confirm && !ttl) {
			n = snprintf(req, sizeof(req), "command %s", arg);
		} else if (strcmp(cmd, "console") == 0 && nargs == 1 && strcmp(arg, "status") == 0 &&
			   !confirm && !ttl) {
			n = snprintf(req, sizeof(req), "status");
		} else if (strcmp(cmd, "console") == 0 && nargs == 1 && strcmp(arg, "reload") == 0 &&
			   !confirm && !ttl) {
			n = snprintf(req, sizeof(req), "reload");
		} else {
			usage(stderr);
			return 2;
		}
		if (n < 0 || (size_t)n >= sizeof(req) || strpbrk(req, "\n\r")) {
			fprintf(stderr, "kastroctl: request too long or not one line\n");
			return 2;
		}
		return request(path, req);
	}
	if (!path)
		path = DEFAULT_SOCKET;
	if (nargs > 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "status") == 0 && nargs == 0 && !confirm && !ttl) {
		n = snprintf(req, sizeof(req), "status");
	} else if (strcmp(cmd, "confirm") == 0 && nargs == 0 && !confirm && !ttl) {
		n = snprintf(req, sizeof(req), "confirm");
	} else if (strcmp(cmd, "reload") == 0 && nargs == 0 && !ttl) {
		if (confirm && (parse_duration(confirm, &secs) < 0 || secs == 0)) {
			fprintf(stderr, "kastroctl: --confirm-within %s: not a duration of 1 s or more\n",
				confirm);
			return 2;
		}
		n = confirm ? snprintf(req, sizeof(req), "reload confirm-within %llu",
				       (unsigned long long)secs)
			    : snprintf(req, sizeof(req), "reload");
	} else if (strcmp(cmd, "policy") == 0 && nargs == 0 && !confirm && !ttl) {
		n = snprintf(req, sizeof(req), "policy");
	} else if (strcmp(cmd, "reopen") == 0 && nargs == 0 && !confirm && !ttl) {
		n = snprintf(req, sizeof(req), "reopen");
	} else if (strcmp(cmd, "quarantine") == 0 && nargs == 1 && !confirm && !ttl &&
		   strcmp(arg, "list") == 0) {
		n = snprintf(req, sizeof(req), "quarantine list");
	} else if (strcmp(cmd, "quarantine") == 0 && nargs == 1 && !confirm) {
		if (ttl && parse_duration(ttl, &secs) < 0) {
			fprintf(stderr, "kastroctl: --ttl %s: not a duration\n", ttl);
			return 2;
		}
		n = snprintf(req, sizeof(req), "quarantine %s %llu", arg,
			     (unsigned long long)secs);
	} else if (strcmp(cmd, "release") == 0 && nargs == 1 && !confirm && !ttl) {
		n = snprintf(req, sizeof(req), "release %s", arg);
	} else {
		usage(stderr);
		return 2;
	}
	if (n < 0 || (size_t)n >= sizeof(req) || strpbrk(req, "\n\r")) {
		fprintf(stderr, "kastroctl: request too long or not one line\n");
		return 2;
	}
	return request(path, req);
}
