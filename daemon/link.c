/*
 * link.c - see link.h. The link itself is lib/sensorlink.c; here it runs
 * after privs_drop(), watches the parent's socket and reports its counters
 * to the parent once a second. It also runs the probe checks the console
 * assigns to this gateway (the "probes" command, lib/sprobe.h; http, https
 * and tcp: a gateway has no plugins), from inside the networks it joins.
 */
#include "link.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "linkinv.h"
#include "log.h"
#include "privs.h"
#include "sigs.h"
#include "sensorlink.h"
#include "sprobe.h"

static volatile sig_atomic_t sig_stop;
static struct sprobe *probes;           /* set before the link runs */

static void on_signal(int sig)
{
	(void)sig;
	sig_stop = 1;
}

struct link_ctx {
	const struct link_args *a;
	struct linkinv inv;             /* the console's inventory pushes (linkinv.h) */
};

static void send_stats(void *arg, const struct sensorlink_stats *st)
{
	const struct link_ctx *x = arg;

	(void)ipc_send(x->a->ipc_fd, IPC_LINK_STATS, st, sizeof(*st));
}

/*
 * The parent sends only the results of inventory pushes: anything else
 * readable is its end closing, or a breach.
 */
static int parent_gone(void *arg)
{
	struct link_ctx *x = arg;
	struct ipc_msg m;
	char err[256];
	int r;

	while ((r = ipc_recv(x->a->ipc_fd, &m, err, sizeof(err))) > 0) {
		if (m.type != IPC_INV_RESULT) {
			snprintf(err, sizeof(err), "unexpected message");
			r = -1;
			break;
		}
		linkinv_result(&x->inv, &m.u.inv_result);
	}
	if (r == 0)
		return 0;
	if (!sig_stop)
		log_err("parent: %s; stopping", err);
	return 1;
}

/* "probes": the checks assigned to this gateway replace those before. */
static enum sensorlink_answer probes_command(const struct linkp_cmd *c, json_t **result)
{
	struct sprobe_check *cs;
	json_t *unknown;
	char err[512];
	size_t n;

	if (probes == NULL) {
		*result = linkp_error("probe checks are not running");
		return SENSORLINK_FAILED;
	}
	if (sprobe_args(c->args, &cs, &n, err, sizeof(err)) < 0) {
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	unknown = json_array();
	for (size_t i = 0; i < n; i++)
		if (cs[i].chk.kind == INV_CHK_PLUGIN)
			json_array_append_new(unknown, json_string(cs[i].chk.name));
	if (sprobe_set(probes, cs, n, c->args, err, sizeof(err)) < 0) {
		json_decref(unknown);
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	log_info("link: %zu probe checks from the console", n);
	if (json_array_size(unknown) > 0)
		log_warn("link: %zu plugin checks assigned to this gateway give UNKNOWN: plugins "
			 "run on agents only", json_array_size(unknown));
	*result = json_pack("{s:I,s:o}", "checks", (json_int_t)n, "plugins_unknown", unknown);
	return SENSORLINK_DONE;
}

/* The console's commands: probe assignments, inventory pushes. */
static enum sensorlink_answer on_command(void *arg, const struct linkp_cmd *c, json_t **result)
{
	struct link_ctx *x = arg;

	if (strcmp(c->type, "probes") == 0)
		return probes_command(c, result);
	return linkinv_command(&x->inv, c, result);
}

int link_run(const struct link_args *a)
{
	const struct kastrod_conf *conf = a->conf;
	struct sensorlink_args la;
	struct sensorlink *l;
	static struct link_ctx x;
	char err[PATH_MAX + 1024], warn[PATH_MAX + 1024];
	pid_t parent = getppid();
	int rc;

	sigs_worker(on_signal, false);
	if (privs_drop(conf->user, strcmp(conf->user, "kastro") == 0 ? "nobody" : NULL,
		       err, sizeof(err)) < 0) {
		log_err("link: cannot drop privileges: %s", err);
		return 1;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);     /* the key stays out of core files */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != parent) {
		log_err("link: parent exited during start-up; stopping");
		return 1;
	}
	memset(&la, 0, sizeof(la));
	la.program = "kastrod";
	la.host = conf->link_host;
	la.port = conf->link_port;
	la.dir = conf->link_dir;
	la.spool_max = conf->link_spool_max;
	la.events_fd = a->events_fd;
	la.watch_fd = a->ipc_fd;
	la.on_watch = parent_gone;
	la.on_tick = send_stats;
	la.on_command = on_command;
	/* an inventory push's command (its args) is small; its text is fetched */
	x.a = a;
	linkinv_init(&x.inv, a->ipc_fd);
	la.arg = &x;
	la.stop = &sig_stop;
	l = sensorlink_new(&la, warn, sizeof(warn), err, sizeof(err));
	if (!l) {
		log_err("link: %s", err);
		return 1;
	}
	x.inv.l = l;
	if (warn[0])
		log_warn("link: spool: %s", warn);
	probes = sprobe_new(conf->link_dir, NULL, NULL, 0, l, warn, sizeof(warn));
	if (probes == NULL || sprobe_start(probes) < 0) {
		log_err("link: probe checks: cannot start");
		sprobe_free(probes);
		sensorlink_free(l);
		return 1;
	}
	if (warn[0])
		log_warn("link: probe checks: %s", warn);
	rc = sensorlink_run(l);
	sprobe_free(probes);
	probes = NULL;
	if (rc == 0 && !sig_stop)
		rc = 1;         /* the parent went away */
	sensorlink_free(l);
	return rc;
}
