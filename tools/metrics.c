/*
 * metrics.c - see metrics.h. The client side of the control socket is
 * repeated here (connect, one line out, read to EOF) rather than shared
 * with kastroctl.c's request(), which prints as it goes; the protocol is
 * lib/control.c's: one line in, one answer, then the daemon closes.
 */
#include "metrics.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#define ANS_MAX (64 * 1024)
#define ASK_TIMEOUT_MS 5000

enum mtype { GAUGE, COUNTER };

struct metric {
	const char *key;        /* in the status answer */
	const char *name;       /* after kastro_DAEMON_ */
	enum mtype type;
	double scale;           /* value * scale: to base units */
	const char *help;
};

static const struct metric gateway[] = {
	{ "uptime_s", "uptime_seconds", GAUGE, 1, "Seconds since kastrod started." },
	{ "sensor_capturing", "sensor_capturing", GAUGE, 1, "1 when the sensor process captures." },
	{ "sensor_starts", "sensor_starts_total", COUNTER, 1, "Sensor processes started." },
	{ "sensor_deaths", "sensor_deaths_total", COUNTER, 1, "Sensor processes that died." },
	{ "policy_rules", "policy_rules", GAUGE, 1, "Rules in the policy in force." },
	{ "reloads", "reloads_total", COUNTER, 1, "Policy reloads." },
	{ "reload_failures", "reload_failures_total", COUNTER, 1, "Policy reloads refused." },
	{ "reverts", "reverts_total", COUNTER, 1, "Unconfirmed reloads reverted." },
	{ "queries", "verdict_queries_total", COUNTER, 1, "DPI verdict queries the parent answered." },
	{ "blocks", "dpi_blocks_total", COUNTER, 1, "Flows blocked by DPI rules." },
	{ "block_errors", "dpi_block_errors_total", COUNTER, 1, "DPI blocks nftables refused." },
	{ "verdicts_unsent", "verdicts_unsent_total", COUNTER, 1, "Verdicts that did not fit the sensor's socket." },
	{ "nft_batches", "nft_batches_total", COUNTER, 1, "nftables batches sent." },
	{ "nft_errors", "nft_errors_total", COUNTER, 1, "nftables batches that failed." },
	{ "pkts", "packets_total", COUNTER, 1, "Packets the sensor read." },
	{ "bytes", "bytes_total", COUNTER, 1, "Bytes the sensor read." },
	{ "flows_live", "flows", GAUGE, 1, "Flows in the flow table." },
	{ "flows_classified", "flows_classified_total", COUNTER, 1, "Flows nDPI classified." },
	{ "flows_unknown", "flows_unknown_total", COUNTER, 1, "Flows that ended unclassified." },
	{ "flows_evicted", "flows_evicted_total", COUNTER, 1, "Flows ended early because the table was full." },
	{ "alerts", "alerts_total", COUNTER, 1, "EVE alerts written." },
	{ "kernel_drops", "kernel_drops_total", COUNTER, 1, "Packets the kernel dropped before capture." },
	{ "eve_events", "eve_events_total", COUNTER, 1, "EVE events written." },
	{ "eve_dropped", "eve_dropped_total", COUNTER, 1, "EVE events dropped (too big or unwritable)." },
	{ "eve_reopens", "eve_reopens_total", COUNTER, 1, "EVE files the sensor took after log rotation." },
	{ "block_latency_p99_us", "block_latency_p99_seconds", GAUGE, 1e-6, "99th percentile from classification to the kernel block." },
	{ "link_handover_dropped", "link_handover_dropped_total", COUNTER, 1, "Events the sensor could not hand to the link." },
	{ "link_connected", "link_connected", GAUGE, 1, "1 when the link reaches the console." },
	{ "link_spool_dropped", "link_spool_dropped_total", COUNTER, 1, "Events dropped because the spool was full." },
	{ "link_spool_errors", "link_spool_errors_total", COUNTER, 1, "Spool write errors." },
	{ "link_pending", "link_spool_pending", GAUGE, 1, "Events in the spool not yet acknowledged." },
	{ "link_pending_bytes", "link_spool_pending_bytes", GAUGE, 1, "Bytes in the spool not yet acknowledged." },
	{ "link_acked", "link_acked_total", COUNTER, 1, "Events the console acknowledged." },
	{ "link_send_failures", "link_send_failures_total", COUNTER, 1, "Batches that failed to reach the console." },
	{ "link_rejected", "link_rejected_total", COUNTER, 1, "Events the console refused as malformed." },
	{ NULL, NULL, GAUGE, 0, NULL },
};

static const struct metric console[] = {
	{ "sensor_connections", "sensor_connections", GAUGE, 1, "Open connections on the sensor port." },
	{ "sensor_connections_refused_limit", "sensor_connections_refused_total", COUNTER, 1, "Sensor connections refused at the connection cap." },
	{ "sensor_handshakes_refused", "sensor_handshakes_refused_total", COUNTER, 1, "Sensor TLS handshakes refused." },
	{ "https_connections", "https_connections", GAUGE, 1, "Open connections on the officers' port." },
	{ "https_handshakes_refused", "https_handshakes_refused_total", COUNTER, 1, "Officers' port TLS handshakes refused." },
	{ "enrolled", "enrolments_total", COUNTER, 1, "Sensors enrolled." },
	{ "enroll_refused", "enrolments_refused_total", COUNTER, 1, "Enrolments refused." },
	{ "batches", "event_batches_total", COUNTER, 1, "Event batches stored." },
	{ "events_stored", "events_stored_total", COUNTER, 1, "Events stored." },
	{ "events_duplicate", "events_duplicate_total", COUNTER, 1, "Events received again and not stored twice." },
	{ "requests_refused", "requests_refused_total", COUNTER, 1, "Requests refused." },
	{ "commands_sent", "commands_sent_total", COUNTER, 1, "Commands sent to sensors." },
	{ "results", "command_results_total", COUNTER, 1, "Command results received." },
	{ "inventory_reloads", "inventory_reloads_total", COUNTER, 1, "Services inventory reloads." },
	{ "inventory_reload_failures", "inventory_reload_failures_total", COUNTER, 1, "Services inventory reloads refused (the old one kept)." },
	{ NULL, NULL, GAUGE, 0, NULL },
};

static const struct metric agent[] = {
	{ "rules", "rules", GAUGE, 1, "YARA rules in use." },
	{ "busy", "scanning", GAUGE, 1, "1 while a scan runs." },
	{ "findings", "findings_total", COUNTER, 1, "Findings reported." },
	{ "quarantined", "quarantined_total", COUNTER, 1, "Files moved into the quarantine." },
	{ "quarantine_failed", "quarantine_failures_total", COUNTER, 1, "Files that could not be quarantined." },
	{ "last_scan_end", "last_scan_end_timestamp_seconds", GAUGE, 1, "When the last scan ended (Unix time)." },
	{ "last_scan_files", "last_scan_files", GAUGE, 1, "Files the last scan saw." },
	{ "last_scan_scanned", "last_scan_scanned_files", GAUGE, 1, "Files the last scan read." },
	{ "last_scan_cache_hits", "last_scan_cache_hits", GAUGE, 1, "Files the last scan skipped as unchanged." },
	{ "last_scan_cpu_percent", "last_scan_cpu_ratio", GAUGE, 0.01, "CPU the last scan used, in cores." },
	{ "console_connected", "console_connected", GAUGE, 1, "1 when the link reaches the console." },
	{ "spool_pending", "spool_pending", GAUGE, 1, "Findings and events in the spool not yet acknowledged." },
	{ "spool_dropped", "spool_dropped_total", COUNTER, 1, "Events dropped because the spool was full." },
	{ "events_unstored", "events_unstored_total", COUNTER, 1, "Events that could not be written to the spool." },
	{ "rules_updates", "rules_updates_total", COUNTER, 1, "Rule bundles applied." },
	{ NULL, NULL, GAUGE, 0, NULL },
};

static const struct metric *table_of(const char *daemon)
{
	if (strcmp(daemon, "gateway") == 0)
		return gateway;
	if (strcmp(daemon, "console") == 0)
		return console;
	if (strcmp(daemon, "agent") == 0)
		return agent;
	return NULL;
}

/* The value of KEY in ans (KEY=VALUE lines), or NULL. */
static const char *value_of(const char *ans, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	const char *p = ans;

	while (p && *p) {
		const char *eol = strchr(p, '\n');

		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			*len = (eol ? (size_t)(eol - p) : strlen(p)) - kl - 1;
			return p + kl + 1;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

int metrics_format(FILE *out, const char *daemon, const char *ans)
{
	const struct metric *t = table_of(daemon);

	if (!t)
		return -1;
	fprintf(out, "# HELP kastro_%s_up 1 when the daemon answered on its control socket.\n"
		"# TYPE kastro_%s_up gauge\nkastro_%s_up %d\n", daemon, daemon, daemon, ans != NULL);
	for (; ans && t->key; t++) {
		char num[64], *end;
		size_t len;
		const char *v = value_of(ans, t->key, &len);
		double d;

		if (!v || len == 0 || len >= sizeof(num))
			continue;
		memcpy(num, v, len);
		num[len] = '\0';
		errno = 0;
		d = strtod(num, &end);
		if (errno || *end != '\0')
			continue;       /* not a number: left out, never malformed */
		fprintf(out, "# HELP kastro_%s_%s %s\n# TYPE kastro_%s_%s %s\nkastro_%s_%s %.17g\n",
			daemon, t->name, t->help, daemon, t->name,
			t->type == COUNTER ? "counter" : "gauge", daemon, t->name, d * t->scale);
	}
	return ferror(out) ? -1 : 0;
}

int metrics_sensors(FILE *out, const char *list)
{
	static const char *const kinds[] = { "gateway", "agent" };
	static const char *const states[] = { "online", "offline", "revoked" };
	unsigned long n[2][3] = { { 0 } };
	const char *p = list;

	/* one line per sensor: ID KIND STATE HOST last_seen=N */
	while (p && *p) {
		char kind[16], state[16];

		if (sscanf(p, "%*s %15s %15s", kind, state) == 2)
			for (int k = 0; k < 2; k++)
				for (int s = 0; s < 3; s++)
					if (strcmp(kind, kinds[k]) == 0 && strcmp(state, states[s]) == 0)
						n[k][s]++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fprintf(out, "# HELP kastro_console_sensors Enrolled sensors by kind and state.\n"
		"# TYPE kastro_console_sensors gauge\n");
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 3; s++)
			fprintf(out, "kastro_console_sensors{kind=\"%s\",state=\"%s\"} %lu\n", kinds[k],
				states[s], n[k][s]);
	return ferror(out) ? -1 : 0;
}

/* Ask the daemon at path one request; the answer without "ok\n" in ans. */
static int ask(const char *path, const char *req, char *ans, size_t anslen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, ASK_TIMEOUT_MS) <= 0)
			break;
		r = read(fd, ans + len, anslen - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == anslen - 1) {
			/* more than fits: refused, never printed cut */
			close(fd);
			return -1;
		}
	}
	close(fd);
	ans[len] = '\0';
	if (strncmp(ans, "ok\n", 3) != 0)
		return -1;
	memmove(ans, ans + 3, len - 2);
	return 0;
}

static int write_all(FILE *out, int n, const char *const *names, const char *sock)
{
	static char ans[ANS_MAX];

	for (int i = 0; i < n; i++) {
		const char *path = sock;

		if (!path)
			path = strcmp(names[i], "gateway") == 0 ? CONTROL_KASTROD_PATH :
			       strcmp(names[i], "console") == 0 ? CONTROL_CONSOLE_PATH : CONTROL_AGENT_PATH;
		if (metrics_format(out, names[i], ask(path, "status\n", ans, sizeof(ans)) == 0 ? ans : NULL) < 0)
			return -1;
		if (strcmp(names[i], "console") == 0 && ask(path, "sensor list\n", ans, sizeof(ans)) == 0 &&
		    metrics_sensors(out, ans) < 0)
			return -1;
		/* the console's own: open alerts by severity, hook queues, service states */
		if (strcmp(names[i], "console") == 0 && ask(path, "metrics\n", ans, sizeof(ans)) == 0 &&
		    fputs(ans, out) < 0)
			return -1;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int metrics_main(int argc, char **argv, const char *sock)
{
	static const char *const all[] = { "gateway", "console", "agent" };
	static const char *const paths[] = { CONTROL_KASTROD_PATH, CONTROL_CONSOLE_PATH, CONTROL_AGENT_PATH };
	const char *names[3], *textfile = NULL;
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--textfile") == 0 && i + 1 < argc) {
			textfile = argv[++i];
		} else if (table_of(argv[i]) && n < 3) {
			names[n++] = argv[i];
		} else {
			fprintf(stderr, "kastroctl metrics: expected gateway, console, agent or "
				"--textfile FILE, not '%s'\n", argv[i]);
			return 2;
		}
	}
	if (sock && n != 1) {
		fprintf(stderr, "kastroctl metrics: -s needs exactly one of gateway, console, agent\n");
		return 2;
	}
	if (n == 0) {
		struct stat st;

		for (int i = 0; i < 3; i++)
			if (stat(paths[i], &st) == 0)
				names[n++] = all[i];
	}
	if (!textfile)
		return write_all(stdout, n, names, sock) == 0 ? 0 : 1;

	char tmp[4096];
	FILE *f;
	int k = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", textfile, (long)getpid());

	if (k < 0 || (size_t)k >= sizeof(tmp)) {
		fprintf(stderr, "kastroctl metrics: path too long: %s\n", textfile);
		return 2;
	}
	f = fopen(tmp, "we");
	if (!f || write_all(f, n, names, sock) < 0 || fsync(fileno(f)) < 0) {
		fprintf(stderr, "kastroctl metrics: cannot write %s: %s\n", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		return 1;
	}
	if (fclose(f) != 0 || rename(tmp, textfile) < 0) {
		fprintf(stderr, "kastroctl metrics: cannot write %s: %s\n", textfile, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}
