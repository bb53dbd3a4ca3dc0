/*
 * kastro-console.c - main() of the officers' console.
 *
 *   kastro-console init --data DIR [--name NAME]... [--admin NAME]
 *       create the console's CA, server certificate, database, first admin
 *       account (its password printed once) and DIR/console.conf; refuses
 *       a DIR that already holds a console
 *   kastro-console -n -c FILE     check the configuration
 *   kastro-console -c FILE        run
 *
 * Running, it is one process and one libevent loop: the sensor port
 * (mutual TLS), the officers' HTTPS port, the control socket for
 * kastroctl (tokens, sensors, commands) and a one-second tick that marks
 * silent sensors offline.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "apitokctl.h"
#include "auditagg.h"
#include "auditcmd.h"
#include "cmetrics.h"
#include "auth.h"
#include "backups.h"
#include "allowpush.h"
#include "bundle.h"
#include "console.h"
#include "hookctl.h"
#include "invpush.h"
#include "inventory.h"
#include "log.h"
#include "num.h"
#include "privdrop.h"
#include "reload.h"
#include "probes.h"
#include "sprobes.h"
#include "pinglisten.h"
#include "push.h"
#include "quota.h"
#include "refusal.h"
#include "rest.h"
#include "retain.h"
#include "sdnotify.h"
#include "sensorapi.h"
#include "jarena.h"
#include "tls.h"
#include "version.h"
#include "web.h"

#define DB_FILE "console.db"
#define CONF_FILE "console.conf"
#define TICK_S 1

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kastro-console init --data DIR [--name NAME]... [--admin NAME]\n"
		"       kastro-console [-n] [-v] -c FILE\n"
		"       kastro-console audit verify -c FILE\n"
		"  init            create a console in DIR (CA, certificates, database, first admin,\n"
		"                  DIR/console.conf); --name: a DNS name or address of the console for\n"
		"                  its certificate (repeatable; default: this host's name, localhost,\n"
		"                  127.0.0.1, ::1); --admin: the first account (default admin)\n"
		"  audit verify    check the audit log's hash chain (exit 1: broken)\n"
		"  -c, --config FILE  the configuration\n"
		"  -n, --check     check the configuration and exit\n"
		"  -v, --verbose   debug messages\n"
		"  -V, --version   print the version\n");
}

/* ---- init ------------------------------------------------------------------ */

static int path_in(char *out, size_t outlen, const char *dir, const char *file)
{
	return snprintf(out, outlen, "%s/%s", dir, file) < (int)outlen ? 0 : -1;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'N' },
		{ "admin", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *names[CA_MAX_NAMES], *data = NULL, *admin = "admin";
	char host[256], abs[PATH_MAX], db[PATH_MAX], conf[PATH_MAX], pw[64], hash[256];
	char fp[CA_FP_LEN], err[1024];
	struct store *st = NULL;
	struct ca *ca = NULL;
	size_t n = 0;
	int64_t uid;
	int opt, made_dir = 0;
	struct stat sb;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': data = optarg; break;
		case 'N':
			if (n == CA_MAX_NAMES) {
				fprintf(stderr, "kastro-console init: at most %u --name\n", CA_MAX_NAMES);
				return 1;
			}
			names[n++] = optarg;
			break;
		case 'a': admin = optarg; break;
		default: usage(stderr); return 1;
		}
	}
	if (data == NULL || optind < argc) {
		fprintf(stderr, "kastro-console init: --data DIR is required\n");
		return 1;
	}
	if (n == 0) {
		if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0' && strcmp(host, "localhost") != 0)
			names[n++] = host;
		names[n++] = "localhost";
		names[n++] = "127.0.0.1";
		names[n++] = "::1";
	}
	if (mkdir(data, 0700) == 0) {
		made_dir = 1;
	} else if (errno != EEXIST) {
		fprintf(stderr, "kastro-console init: cannot create %s: %s\n", data, strerror(errno));
		return 1;
	}
	if (realpath(data, abs) == NULL || stat(abs, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "kastro-console init: %s is not a directory\n", data);
		return 1;
	}
	if (path_in(db, sizeof(db), abs, DB_FILE) < 0 || path_in(conf, sizeof(conf), abs, CONF_FILE) < 0) {
		fprintf(stderr, "kastro-console init: path too long: %s\n", abs);
		return 1;
	}
	/* Nothing of a console may be there: then nothing is touched. */
	{
		static const char *const files[] = { DB_FILE, CONF_FILE, CA_KEY_FILE, CA_CERT_FILE,
						     CA_SERVER_KEY, CA_SERVER_CERT };
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char p[PATH_MAX];

			if (path_in(p, sizeof(p), abs, files[i]) == 0 && lstat(p, &sb) == 0) {
				fprintf(stderr, "kastro-console init: %s already holds a console (%s exists); "
					"nothing was changed\n", abs, files[i]);
				return 1;
			}
		}
	}
	if (ca_init_dir(abs, names, n, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastro-console init: %s\n", err);
		goto fail_dir;
	}
	if (ca_load(abs, &ca, err, sizeof(err)) < 0 || ca_fingerprint(ca, fp, sizeof(fp)) < 0)
		goto fail;
	if (store_open(db, 1, &st, err, sizeof(err)) < 0)
		goto fail;
	err[0] = '\0';
	if (auth_password_generate(pw, sizeof(pw)) < 0 ||
	    auth_password_hash(pw, hash, sizeof(hash), err, sizeof(err)) < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "cannot make the admin password");
		goto fail;
	}
	if (store_user_add(st, admin, "admin", hash, console_now(), &uid, err, sizeof(err)) < 0)
		goto fail;
	if (store_audit(st, console_now(), "", "local", "console.init", admin, err, sizeof(err)) < 0)
		goto fail;
	store_close(st);
	st = NULL;
	if (cconf_write_default(conf, abs, err, sizeof(err)) < 0)
		goto fail;
	ca_free(ca);
	printf("admin password: %s\n", pw);
	printf("admin account: %s (change the password after the first login)\n", admin);
	printf("CA fingerprint: %s\n", fp);
	printf("configuration: %s\n", conf);
	printf("run: kastro-console -c %s\n", conf);
	explicit_bzero(pw, sizeof(pw));
	return 0;
fail:
	fprintf(stderr, "kastro-console init: %s\n", err);
	store_close(st);
	ca_free(ca);
	{
		static const char *const files[] = { DB_FILE, DB_FILE "-wal", DB_FILE "-shm", CONF_FILE,
						     CA_KEY_FILE, CA_CERT_FILE, CA_SERVER_KEY,
						     CA_SERVER_CERT };
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char p[PATH_MAX];

			if (path_in(p, sizeof(p), abs, files[i]) == 0)
				unlink(p);
		}
	}
fail_dir:
	if (made_dir)
		rmdir(abs);
	return 1;
}

/* ---- control socket ---------------------------------------------------------- */

static void ctl_rearm(struct console *c);

/* An answer being written, line by line. */
struct answer {
	char *p;
	size_t len, cap;
	unsigned cut;                   /* lines that did not fit */
};

static int ctl_sensor_row(void *arg, const struct store_sensor *s)
{
	struct answer *a = arg;
	int k = snprintf(a->p + a->len, a->cap - a->len, "\n%s %s %s %s last_seen=%lld", s->id,
			 s->kind, s->revoked_at ? "revoked" : s->last_seen == 0 ? "pending" :
			 s->offline_alerted ? "offline" : "online",
			 s->hostname, (long long)s->last_seen);

	if (k < 0 || (size_t)k >= a->cap - a->len - 64) {
		a->p[a->len] = '\0';
		a->cut++;
		return 0;
	}
	a->len += (size_t)k;
	return 0;
}

struct command_answer {
	int64_t want;
	char *ans;
	size_t anslen;
	int found;
};

static int ctl_command_row(void *arg, const struct store_command *cmd)
{
	struct command_answer *ca = arg;

	if (cmd->id != ca->want)
		return 1;
	ca->found = 1;
	snprintf(ca->ans, ca->anslen, "ok\nid=%lld\nsensor=%s\ntype=%s\nstatus=%s\nresult=%s",
		 (long long)cmd->id, cmd->sensor_id, cmd->type, cmd->status,
		 cmd->result != NULL ? cmd->result : "");
	return 1;
}

/* Agents to push a command to (a bundle, an allowlist): one (want set) or
 * every enrolled one. */
struct push {
	struct console *c;
	const char *want, *type, *args;
	unsigned queued, failed;
	char err[256];
};

static int push_row(void *arg, const struct store_sensor *row)
{
	struct push *p = arg;
	char err[256];
	int64_t id;

	if (row->revoked_at || strcmp(row->kind, "agent") != 0 ||
	    (p->want && strcmp(p->want, row->id) != 0))
		return 0;
	if (store_command_add(p->c->store, row->id, p->type, p->args, "root", console_now(), &id,
			      err, sizeof(err)) < 0) {
		p->failed++;
		snprintf(p->err, sizeof(p->err), "%s", err);
		return 0;
	}
	p->queued++;
	return 0;
}

/* rules push DIR [SENSOR] */
static void ctl_rules_push(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	char version[RULEHASH_LEN + 1], err[PATH_MAX + 512], args[128];
	struct push p = { .c = c, .want = n == 4 ? w[3] : NULL, .type = "rules", .args = args };
	size_t nfiles;

	if (bundle_make(w[2], c->conf.data_dir, version, &nfiles, err, sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: %.1000s", err);
		return;
	}
	snprintf(args, sizeof(args), "{\"version\":\"%s\"}", version);
	if (store_sensor_list(c->store, push_row, &p, err, sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: %.1000s", err);
		return;
	}
	if (p.want && p.queued == 0) {
		snprintf(ans, anslen, "error: %s is no enrolled agent%s%s", p.want,
			 p.failed ? ": " : "", p.failed ? p.err : "");
		return;
	}
	if (store_audit(c->store, console_now(), "root", "local", "rules.push", version, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
	sensorapi_wake(c, NULL);
	log_info("rules %s (%zu files from %s) pushed to %u agent(s)", version, nfiles, w[2],
		 p.queued);
	snprintf(ans, anslen, "ok\nversion=%s\nfiles=%zu\ncommands=%u\nfailed=%u", version,
		 nfiles, p.queued, p.failed);
}

/* allow push FILE [SENSOR]: the allowlist in FILE (allowpush.h) replaces
 * the one pushed before, on every agent or one */
static void ctl_allow_push(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	struct push p = { .c = c, .want = n == 4 ? w[3] : NULL, .type = "allow" };
	char err[PATH_MAX + 512], detail[128], *args;
	size_t nsha, npaths;

	if (allowpush_file(w[2], &args, &nsha, &npaths, err, sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: %.1000s", err);
		return;
	}
	p.args = args;
	if (store_sensor_list(c->store, push_row, &p, err, sizeof(err)) < 0) {
		free(args);
		snprintf(ans, anslen, "error: %.1000s", err);
		return;
	}
	free(args);
	if (p.want && p.queued == 0) {
		snprintf(ans, anslen, "error: %s is no enrolled agent%s%s", p.want,
			 p.failed ? ": " : "", p.failed ? p.err : "");
		return;
	}
	snprintf(detail, sizeof(detail), "%zu sha256, %zu paths, to %.40s", nsha, npaths,
		 p.want ? p.want : "every agent");
	if (store_audit(c->store, console_now(), "root", "local", "allow.push", detail, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
	sensorapi_wake(c, NULL);
	log_info("allowlist (%zu sha256, %zu paths from %s) pushed to %u agent(s)", nsha, npaths,
		 w[2], p.queued);
	snprintf(ans, anslen, "ok\nsha256=%zu\npaths=%zu\ncommands=%u\nfailed=%u", nsha, npaths,
		 p.queued, p.failed);
}

/*
 * sensor quarantine ID [FROM] | sensor restore ID QID | sensor purge ID QID:
 * an agent's quarantine, listed (100 items from FROM), or one item put back
 * or deleted for good (audited);
 * `kastroctl command N` shows the answer.
 */
static void ctl_sensor_quarantine(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	bool restore = strcmp(w[1], "restore") == 0, purge = strcmp(w[1], "purge") == 0;
	char args[128], err[512], detail[128];
	uint64_t from = 0;
	int64_t id;

	if (restore || purge) {
		if (strlen(w[3]) != 18 || strncmp(w[3], "q-", 2) != 0 ||
		    strspn(w[3] + 2, "0123456789abcdef") != 16) {
			snprintf(ans, anslen, "error: %.40s: expected a quarantine id (q- and 16 hex "
				 "digits)", w[3]);
			return;
		}
		snprintf(args, sizeof(args), "{\"action\":\"%s\",\"id\":\"%s\"}",
			 restore ? "restore" : "delete", w[3]);
	} else {
		if (n == 4 && num_parse_u64(w[3], 0, INT64_MAX, &from) < 0) {
			snprintf(ans, anslen, "error: FROM: expected a number of items");
			return;
		}
		snprintf(args, sizeof(args), "{\"action\":\"list\",\"from\":%llu}",
			 (unsigned long long)from);
	}
	if (store_command_add(c->store, w[2], "quarantine", args, "root", console_now(), &id, err,
			      sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: %s", err);
		return;
	}
	if (restore || purge) {
		snprintf(detail, sizeof(detail), "%s on %.40s", w[3], w[2]);
		if (store_audit(c->store, console_now(), "root", "local",
				restore ? "quarantine.restore" : "quarantine.delete", detail,
				err, sizeof(err)) < 0)
			log_err("audit: %s", err);
	}
	sensorapi_wake(c, w[2]);
	snprintf(ans, anslen, "ok\ncommand=%lld", (long long)id);
}

/* sensor scan ID [cpu=PERCENT] [PATH...] */
static void ctl_sensor_scan(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	json_t *paths = json_array(), *args;
	char *text, err[512];
	uint64_t cpu = 0;
	bool has_cpu = false;
	int64_t id;

	for (int i = 3; i < n; i++) {
		if (strncmp(w[i], "cpu=", 4) == 0) {
			if (has_cpu || num_parse_u64(w[i] + 4, 0, 6400, &cpu) < 0) {
				json_decref(paths);
				snprintf(ans, anslen, "error: %s: expected cpu=PERCENT once, 0 (no "
					 "ceiling) to 6400", w[i]);
				return;
			}
			has_cpu = true;
			continue;
		}
		json_array_append_new(paths, json_string(w[i]));
	}
	args = json_pack("{s:o}", "paths", paths);
	if (args && has_cpu)
		json_object_set_new(args, "cpu", json_integer((json_int_t)cpu));
	text = args ? json_dumps(args, JSON_COMPACT) : NULL;
	json_decref(args);
	if (!text) {
		snprintf(ans, anslen, "error: a path is not UTF-8, or out of memory");
		return;
	}
	if (store_command_add(c->store, w[2], "scan", text, "root", console_now(), &id, err,
			      sizeof(err)) < 0) {
		free(text);
		snprintf(ans, anslen, "error: %s", err);
		return;
	}
	free(text);
	sensorapi_wake(c, w[2]);
	snprintf(ans, anslen, "ok\ncommand=%lld", (long long)id);
}

/*
 * Every request the console answers, classified: the read-only ones are
 * open to group kastro too, the rest are root's (lib/control.h). Queuing a
 * command for a sensor (even a listing) writes the database and reaches the
 * sensor, so it is a change. A request not listed here never reaches
 * on_request.
 */
static const struct control_cmd console_cmds[] = {
	{ "status", NULL, CONTROL_READ },
	{ "metrics", NULL, CONTROL_READ },
	{ "command", NULL, CONTROL_READ },
	{ "sensor", "list", CONTROL_READ },
	{ "sensor", NULL, CONTROL_CHANGE },
	{ "hooks", "", CONTROL_READ },
	{ "hooks", "result", CONTROL_READ },
	{ "hooks", "deliveries", CONTROL_READ },
	{ "hooks", NULL, CONTROL_CHANGE },
	{ "api-token", "list", CONTROL_READ },
	{ "api-token", NULL, CONTROL_CHANGE },
	{ "token", NULL, CONTROL_CHANGE },
	{ "rules", NULL, CONTROL_CHANGE },
	{ "allow", NULL, CONTROL_CHANGE },
	{ "reload", NULL, CONTROL_CHANGE },
};

static void on_request(void *ctx, const char *line, char *ans, size_t anslen)
{
	struct console *c = ctx;
	char buf[CONTROL_LINE_MAX + 1], err[512];
	char *w[8];
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = control_split(buf, w, 8);
	if (n <= 0) {
		snprintf(ans, anslen, "error: empty or overlong request");
		return;
	}
	if (apitokctl(c, w, n, ans, anslen))
		return;
	if (n >= 2 && strcmp(w[0], "token") == 0 && strcmp(w[1], "create") == 0) {
		uint64_t ttl = c->conf.token_ttl_default;
		const char *kind = "agent";
		char tok[64], hash[65];

		for (int i = 2; i < n; i++) {
			if (strcmp(w[i], "ttl") == 0 && i + 1 < n &&
			    num_parse_u64(w[i + 1], 60, 30u * 86400u, &ttl) == 0) {
				i++;
			} else if (strcmp(w[i], "kind") == 0 && i + 1 < n &&
				   (strcmp(w[i + 1], "agent") == 0 || strcmp(w[i + 1], "gateway") == 0)) {
				kind = w[++i];
			} else {
				snprintf(ans, anslen, "error: token create [ttl SECONDS (60..2592000)] "
					 "[kind agent|gateway]");
				return;
			}
		}
		if (auth_token_new(tok, sizeof(tok)) < 0 || auth_token_hash(tok, hash, sizeof(hash)) < 0 ||
		    store_token_add(c->store, hash, kind, console_now(), console_now() + ttl, err,
				    sizeof(err)) < 0) {
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		if (store_audit(c->store, console_now(), "root", "local", "token.create", kind, err,
				sizeof(err)) < 0)
			log_err("audit: %s", err);
		snprintf(ans, anslen, "ok\ntoken=%s\nkind=%s\nexpires_in_s=%llu\nca_fingerprint=%s", tok,
			 kind, (unsigned long long)ttl, c->ca_fp);
		return;
	}
	if (n == 2 && strcmp(w[0], "sensor") == 0 && strcmp(w[1], "list") == 0) {
		struct answer a = { ans, 0, anslen, 0 };

		a.len = (size_t)snprintf(ans, anslen, "ok");
		if (store_sensor_list(c->store, ctl_sensor_row, &a, err, sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
		else if (a.cut > 0)
			snprintf(ans + a.len, anslen - a.len, "\n(%u more not shown)", a.cut);
		return;
	}
	if (n == 3 && strcmp(w[0], "sensor") == 0 && strcmp(w[1], "revoke") == 0) {
		int closed;

		if (store_sensor_revoke(c->store, w[2], console_now(), err, sizeof(err)) < 0) {
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		closed = sensorapi_drop(c, w[2]);
		if (store_audit(c->store, console_now(), "root", "local", "sensor.revoke", w[2], err,
				sizeof(err)) < 0)
			log_err("audit: %s", err);
		log_info("sensor %s revoked; %d open connection(s) closed", w[2], closed);
		snprintf(ans, anslen, "ok\nrevoked=%s\nconnections_closed=%d", w[2], closed);
		return;
	}
	if (n == 3 && strcmp(w[0], "sensor") == 0 && strcmp(w[1], "ping") == 0) {
		int64_t id;

		if (store_command_add(c->store, w[2], "ping", "{}", "root", console_now(), &id, err,
				      sizeof(err)) < 0) {
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		sensorapi_wake(c, w[2]);
		snprintf(ans, anslen, "ok\ncommand=%lld", (long long)id);
		return;
	}
	if (((n == 3 || n == 4) && strcmp(w[0], "sensor") == 0 && strcmp(w[1], "quarantine") == 0) ||
	    (n == 4 && strcmp(w[0], "sensor") == 0 &&
	     (strcmp(w[1], "restore") == 0 || strcmp(w[1], "purge") == 0))) {
		ctl_sensor_quarantine(c, w, n, ans, anslen);
		return;
	}
	if (n >= 3 && strcmp(w[0], "sensor") == 0 && strcmp(w[1], "scan") == 0) {
		ctl_sensor_scan(c, w, n, ans, anslen);
		return;
	}
	if ((n == 3 || n == 4) && strcmp(w[0], "allow") == 0 && strcmp(w[1], "push") == 0) {
		ctl_allow_push(c, w, n, ans, anslen);
		return;
	}
	if ((n == 3 || n == 4) && strcmp(w[0], "rules") == 0 && strcmp(w[1], "push") == 0) {
		ctl_rules_push(c, w, n, ans, anslen);
		return;
	}
	if (n == 2 && strcmp(w[0], "command") == 0) {
		struct command_answer ca = { 0, ans, anslen, 0 };
		uint64_t id;

		if (num_parse_u64(w[1], 1, INT64_MAX - 1, &id) < 0) {
			snprintf(ans, anslen, "error: command ID: expected a number");
			return;
		}
		ca.want = (int64_t)id;
		if (store_command_list(c->store, NULL, ca.want + 1, 1, ctl_command_row, &ca, err,
				       sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
		else if (!ca.found)
			snprintf(ans, anslen, "error: no command %lld", (long long)ca.want);
		return;
	}
	if (strcmp(w[0], "hooks") == 0) {
		hookctl_request(c, w, n, ans, anslen);
		return;
	}
	if (n == 1 && strcmp(w[0], "reload") == 0) {
		char who[32];

		/* changing requests are root's (lib/control.h) */
		if (c->ctl.peer_uid == 0)
			snprintf(who, sizeof(who), "root");
		else
			snprintf(who, sizeof(who), "uid %u", (unsigned)c->ctl.peer_uid);
		reload_inventory(c, who, "local", ans, anslen);
		return;
	}
	if (n == 1 && strcmp(w[0], "metrics") == 0) {
		if (cmetrics_answer(c, ans, anslen, err, sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
		return;
	}
	if (n == 1 && strcmp(w[0], "status") == 0) {
		struct quota_stats qs = { 0 };
		struct auditagg_stats as = { 0 };

		if (c->quota != NULL)
			quota_get_stats(c->quota, &qs);
		if (c->refusals != NULL)
			auditagg_get_stats(c->refusals, &as);
		size_t used;

		snprintf(ans, anslen,
			 "ok\npid=%d\nsensor_connections=%u\nsensor_connections_refused_limit=%llu\n"
			 "sensor_handshakes_refused=%llu\nhttps_connections=%u\nhttps_handshakes_refused=%llu\n"
			 "enrolled=%llu\nenroll_refused=%llu\nbatches=%llu\nevents_stored=%llu\n"
			 "events_duplicate=%llu\nrequests_refused=%llu\nsensor_heads_refused=%llu\n"
			 "https_heads_refused=%llu\ncommands_sent=%llu\nresults=%llu\n"
			 "sensor_connections_closed_slow=%llu\nhttps_connections_closed_slow=%llu\n"
			 "https_connections_refused_per_address=%llu\nhttps_reserved_refused=%llu\n"
			 "quota_refused_batches=%llu\nquota_refused_events=%llu\nquota_refused_bytes=%llu\n"
			 "quota_refused_table_full=%llu\nquota_refused_too_large=%llu\n"
			 "events_pruned=%llu\nalerts_pruned=%llu\nalerts_held_for_hooks=%llu\n"
			 "prune_step_ms_max=%llu\naudit_refusals=%llu\naudit_refusals_aggregated=%llu\n"
			 "audit_refusal_errors=%llu",
			 (int)getpid(), c->sensors.live, (unsigned long long)c->sensors.refused_cap,
			 (unsigned long long)c->sensors.refused_tls, c->https.live,
			 (unsigned long long)c->https.refused_tls, (unsigned long long)c->enrolled,
			 (unsigned long long)c->enroll_refused, (unsigned long long)c->batches,
			 (unsigned long long)c->events_in, (unsigned long long)c->events_dup,
			 (unsigned long long)c->requests_refused,
			 (unsigned long long)c->sensors.refused_http,
			 (unsigned long long)c->https.refused_http, (unsigned long long)c->commands_sent,
			 (unsigned long long)c->results_in,
			 (unsigned long long)c->sensors.closed_slow,
			 (unsigned long long)c->https.closed_slow,
			 (unsigned long long)c->https.refused_addr,
			 (unsigned long long)c->https.refused_busy,
			 (unsigned long long)qs.refused_batches,
			 (unsigned long long)qs.refused_events, (unsigned long long)qs.refused_bytes,
			 (unsigned long long)qs.table_full, (unsigned long long)c->quota_refused_413,
			 (unsigned long long)c->pruned_events, (unsigned long long)c->pruned_alerts,
			 (unsigned long long)c->prune_held_alerts,
			 (unsigned long long)c->prune_step_ms_max, (unsigned long long)as.noted,
			 (unsigned long long)as.aggregated, (unsigned long long)as.errors);
		size_t k = strlen(ans);
		/* parse blocks beyond the arenas' region (jarena.h) */
		if (k < anslen)
			snprintf(ans + k, anslen - k, "\nparse_arena_fallbacks=%llu",
				 (unsigned long long)jarena_fallbacks());
		/* the services' checks (push.c, probes.c) */
		k = strlen(ans);
		const struct push_stats *ps = push_stats(c);
		if (k < anslen)
			snprintf(ans + k, anslen - k, "\npings=%llu\npings_unknown=%llu\n"
				 "pings_limited=%llu\nping_sources_evicted=%llu\nprobes_run=%llu",
				 (unsigned long long)ps->pings, (unsigned long long)ps->unknown,
				 (unsigned long long)ps->limited,
				 (unsigned long long)ps->sources_evicted,
				 (unsigned long long)probes_runs(c));
		{
			uint64_t bt, br;

			backups_counts(c, &bt, &br);
			k = strlen(ans);
			if (k < anslen)
				snprintf(ans + k, anslen - k, "\nbackup_events=%llu\n"
					 "backup_events_refused=%llu", (unsigned long long)bt,
					 (unsigned long long)br);
		}
		k = strlen(ans);
		{
			uint64_t l50, l99, lmax;

			probes_lateness(c, &l50, &l99, &lmax);
			if (k < anslen)
				snprintf(ans + k, anslen - k, "\nprobe_late_p50_ms=%llu\n"
					 "probe_late_p99_ms=%llu\nprobe_late_max_ms=%llu",
					 (unsigned long long)l50, (unsigned long long)l99,
					 (unsigned long long)lmax);
		}
		k = strlen(ans);
		if (k < anslen)
			sprobes_status(c, ans + k, anslen - k);
		k = strlen(ans);
		if (k < anslen && c->ping != NULL)
			snprintf(ans + k, anslen - k, "\nping_listener_refused=%llu",
				 (unsigned long long)pinglisten_refused(c));
		k = strlen(ans);
		if (k < anslen)
			reload_status(c, ans + k, anslen - k);
		used = strlen(ans);
		hookctl_status(c, ans + used, anslen - used);
		return;
	}
	snprintf(ans, anslen, "error: unknown request; expected token create, sensor list, "
		 "sensor revoke ID, sensor ping ID, sensor scan ID [cpu=PERCENT] [PATH...], "
		 "rules push DIR [SENSOR], "
		 "allow push FILE [SENSOR], sensor quarantine ID [FROM], sensor restore ID QID, "
		 "sensor purge ID QID, "
		 "command ID, api-token ..., hooks, metrics, reload or status");
}

static void ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;

	(void)fd;
	control_handle(&c->ctl, (what & EV_READ) ? POLLIN : 0, on_request, c);
	ctl_rearm(c);
}

/* Watch whichever descriptor the control socket waits on now. */
static void ctl_rearm(struct console *c)
{
	int fd = control_poll_fd(&c->ctl), ms = control_timeout_ms(&c->ctl);
	struct timeval tv;

	if (c->ctl_ev != NULL)
		event_free(c->ctl_ev);
	c->ctl_ev = NULL;
	if (fd < 0)
		return;
	c->ctl_ev = event_new(c->base, fd, EV_READ, ctl_cb, c);
	if (c->ctl_ev == NULL) {
		log_err("control socket: out of memory");
		return;
	}
	tv.tv_sec = ms >= 0 ? ms / 1000 : 0;
	tv.tv_usec = ms >= 0 ? (ms % 1000) * 1000 : 0;
	event_add(c->ctl_ev, ms >= 0 ? &tv : NULL);
}

/* ---- run ------------------------------------------------------------------------ */

static int offline_one(void *arg, const struct store_sensor *s)
{
	struct console *c = arg;
	char err[256];
	int64_t alert;

	/* enrolled but never connected: pending, not offline (no alert) */
	if (s->last_seen == 0)
		return 0;
	if (store_sensor_mark_offline(c->store, s->id, console_now(), &alert, err, sizeof(err)) < 0)
		log_err("sensor %s: %s", s->id, err);
	else
		log_warn("sensor %s (%s '%s') offline: silent for more than %u s", s->id, s->kind,
			 s->hostname, c->conf.sensor_offline_after);
	return 0;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	char err[256];

	(void)fd;
	(void)what;
	if (store_sensors_silent(c->store, console_now(), c->conf.sensor_offline_after, offline_one, c,
				 err, sizeof(err)) < 0)
		log_err("offline check: %s", err);
	if (store_maintain(c->store, (int64_t)console_now(), err, sizeof(err)) < 0)
		log_err("database upkeep: %s", err);
	retain_tick(c);
	refusal_tick(c);
	hookctl_tick(c);
	sdn_watchdog();
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct console *c = arg;

	(void)what;
	if (sig == SIGHUP) {
		char ans[4096];

		/* as `kastroctl console reload`; its outcome is logged */
		log_info("SIGHUP: reading the services inventory again");
		reload_inventory(c, "SIGHUP", "local", ans, sizeof(ans));
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(c->base, NULL);
}

static int open_tls(struct console *c, char *err, size_t errlen)
{
	char crt[PATH_MAX], key[PATH_MAX], cacrt[PATH_MAX];
	const char *d = c->conf.data_dir;

	if (path_in(crt, sizeof(crt), d, CA_SERVER_CERT) < 0 || path_in(key, sizeof(key), d, CA_SERVER_KEY) < 0 ||
	    path_in(cacrt, sizeof(cacrt), d, CA_CERT_FILE) < 0) {
		snprintf(err, errlen, "data directory path too long");
		return -1;
	}
	if (ca_load(d, &c->ca, err, errlen) < 0 || ca_fingerprint(c->ca, c->ca_fp, sizeof(c->ca_fp)) < 0)
		return -1;
	c->sensor_ctx = tls_server_ctx(crt, key, cacrt, 1, err, errlen);
	if (c->sensor_ctx == NULL)
		return -1;
	if (tls_server_set_peer_check(c->sensor_ctx, sensorapi_peer_allowed, c) < 0) {
		snprintf(err, errlen, "sensor port: cannot install the revocation check");
		return -1;
	}
	c->https_ctx = tls_server_ctx(crt, key, NULL, 0, err, errlen);
	return c->https_ctx != NULL ? 0 : -1;
}

/* A sensor's TLS handshake refused (no or another certificate, revoked). */
static void handshake_refused(void *arg, const char *peer, const char *why)
{
	refusal_note(arg, "sensor.handshake_refused", NULL, peer, "%s", why);
}

static int listens(const struct cconf_listen *l, int n, struct server_listen *out)
{
	for (int i = 0; i < n; i++) {
		out[i].addr = l[i].addr;
		out[i].port = l[i].port;
	}
	return n;
}

static int run(struct console *c)
{
	struct server_limits lim = {
		.max_connections = c->conf.max_connections,
		.max_body = c->conf.max_body,
		.max_headers = c->conf.max_headers,
		.request_timeout = c->conf.request_timeout,
		.head_timeout = c->conf.head_timeout,
		.body_timeout = c->conf.body_timeout,
	};
	struct server_listen ls[8];
	struct timeval tv = { TICK_S, 0 };
	char db[PATH_MAX], err[1024];
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	int rc = 1, n;

	signal(SIGPIPE, SIG_IGN);
	sdn_init();
	c->rl_req.burst = 20;
	c->rl_req.interval_s = 60;
	c->base = event_base_new();
	if (c->base == NULL) {
		log_err("cannot make an event loop");
		return 1;
	}
	if (path_in(db, sizeof(db), c->conf.data_dir, DB_FILE) < 0 ||
	    store_open(db, 0, &c->store, err, sizeof(err)) < 0) {
		log_err("database: %s", err);
		goto out;
	}
	if (store_set_dedup_window(c->store, c->conf.dedup_window, err, sizeof(err)) < 0) {
		log_err("database: %s", err);
		goto out;
	}
	if (hookctl_start(c, db, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (sensorapi_open(c, db, err, sizeof(err)) < 0) {
		log_err("database (ingest writer): %s", err);
		goto out;
	}
	if (open_tls(c, err, sizeof(err)) < 0) {
		log_err("TLS: %s", err);
		goto out;
	}
	if (retain_init(c, err, sizeof(err)) < 0 || refusal_init(c, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (rest_init(c, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (push_start(c, err, sizeof(err)) < 0 || probes_start(c, err, sizeof(err)) < 0 ||
	    backups_start(c, err, sizeof(err)) < 0 || sprobes_start(c, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	n = listens(c->conf.sensors, c->conf.n_sensors, ls);
	if (server_open(&c->sensors, c->base, "sensors", c->sensor_ctx, ls, n, &lim, sensorapi_handle, c,
			err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	c->sensors.on_refused = handshake_refused;
	n = listens(c->conf.https, c->conf.n_https, ls);
	/* Sensors behind one NAT share an address: the network cap and the
	 * reserved slots are the officers' port's. */
	lim.per_address = c->conf.per_address;
	lim.reserved = c->conf.reserved;
	if (server_open(&c->https, c->base, "https", c->https_ctx, ls, n, &lim, web_handle, c, err,
			sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	server_set_vetter(&c->https, rest_vouch, c);
	if (pinglisten_open(c, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (control_open(&c->ctl, c->conf.control_path, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	control_set_commands(&c->ctl, console_cmds, sizeof(console_cmds) / sizeof(console_cmds[0]));
	ctl_rearm(c);
	/* everything privileged is open: from here on the console's own user */
	if (privdrop_console(c->conf.user, c->conf.data_dir,
			     c->conf.plugins != NULL && c->conf.plugins->n > 0, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	log_info("running as uid %u gid %u without capabilities, under seccomp", (unsigned)getuid(),
		 (unsigned)getgid());
	c->tick_ev = event_new(c->base, -1, EV_PERSIST, tick, c);
	if (c->tick_ev == NULL || event_add(c->tick_ev, &tv) < 0) {
		log_err("cannot start the timer");
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		c->sig_ev[i] = evsignal_new(c->base, sigs[i], on_signal, c);
		if (c->sig_ev[i] == NULL || event_add(c->sig_ev[i], NULL) < 0) {
			log_err("cannot watch signals");
			goto out;
		}
	}
	for (int i = 0; i < c->conf.n_sensors; i++)
		log_info("sensor port: %s port %u (TLS 1.3, client certificates of the console CA)",
			 c->conf.sensors[i].addr, c->conf.sensors[i].port);
	for (int i = 0; i < c->conf.n_https; i++)
		log_info("officers' port: https on %s port %u", c->conf.https[i].addr, c->conf.https[i].port);
	log_info("CA fingerprint %s; ready", c->ca_fp);
	sdn_ready("serving the sensor and officers' ports");
	event_base_dispatch(c->base);
	sdn_stopping();
	rc = 0;
out:
	server_close(&c->sensors);
	server_close(&c->https);
	pinglisten_close(c);
	sensorapi_free(c);
	retain_free(c);
	refusal_free(c);
	control_close(&c->ctl);
	if (c->ctl_ev != NULL)
		event_free(c->ctl_ev);
	if (c->tick_ev != NULL)
		event_free(c->tick_ev);
	for (int i = 0; i < 3; i++)
		if (c->sig_ev[i] != NULL)
			event_free(c->sig_ev[i]);
	if (c->sensor_ctx != NULL)
		SSL_CTX_free(c->sensor_ctx);
	if (c->https_ctx != NULL)
		SSL_CTX_free(c->https_ctx);
	ca_free(c->ca);
	rest_free(c);
	hookctl_stop(c);
	sprobes_stop(c);
	probes_stop(c);
	push_free(c);
	invpush_free(c);
	backups_free(c);
	store_close(c->store);
	event_base_free(c->base);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct console c;
	const char *conf_path = NULL;
	int check = 0, verbose = 0, opt;
	char err[4096];

	/* parsed event batches in arenas (jarena.h); without, malloc as always */
	if (jarena_install(err, sizeof(err)) < 0)
		log_warn("%s", err);
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "audit") == 0)
		return auditcmd_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "c:nvVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("kastro-console %s\n", KASTRO_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc || conf_path == NULL) {
		usage(stderr);
		return 1;
	}
	log_init("kastro-console", verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, false);
	cconf_defaults(&c.conf);
	if (cconf_load(conf_path, &c.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* read again on reload: absolute, should the working directory change */
	if (realpath(conf_path, c.conf_path) == NULL)
		snprintf(c.conf_path, sizeof(c.conf_path), "%s", conf_path);
	if (check) {
		printf("%s: configuration OK\n", conf_path);
		inv_print(c.conf.inv, stdout);
		if (c.conf.ping.port != 0)
			printf("ping-listen %s port %u\n", c.conf.ping.addr, c.conf.ping.port);
		for (int i = 0; c.conf.plugins != NULL && i < c.conf.plugins->n; i++) {
			const struct plugin_cmd *pc = &c.conf.plugins->cmd[i];

			printf("plugin \"%s\" command", pc->name);
			for (int k = 0; pc->argv[k] != NULL; k++)
				printf(" %s", pc->argv[k]);
			putchar('\n');
		}
		cconf_free(&c.conf);
		return 0;
	}
	log_init("kastro-console", verbose ? LOG_LVL_DEBUG : c.conf.log_level, false);
	return run(&c);
}
