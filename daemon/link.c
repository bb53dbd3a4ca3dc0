/*
 * link.c - see link.h. The link itself is lib/sensorlink.c; here it runs
 * after privs_drop(), watches the parent's socket and reports its counters
 * to the parent once a second.
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
#include "log.h"
#include "privs.h"
#include "sigs.h"
#include "sensorlink.h"

static volatile sig_atomic_t sig_stop;

static void on_signal(int sig)
{
	(void)sig;
	sig_stop = 1;
}

static void send_stats(void *arg, const struct sensorlink_stats *st)
{
	const struct link_args *a = arg;

	(void)ipc_send(a->ipc_fd, IPC_LINK_STATS, st, sizeof(*st));
}

/* The parent sends nothing: anything readable is its end closing, or a breach. */
static int parent_gone(void *arg)
{
	const struct link_args *a = arg;
	char b[IPC_MAX_MSG + 1];
	ssize_t r = recv(a->ipc_fd, b, sizeof(b), MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (!sig_stop)
		log_err("parent: %s; stopping", r == 0 ? "connection closed" :
			r > 0 ? "unexpected message" : strerror(errno));
	return 1;
}

int link_run(const struct link_args *a)
{
	const struct kastrod_conf *conf = a->conf;
	struct sensorlink_args la;
	struct sensorlink *l;
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
	la.arg = (void *)a;
	la.stop = &sig_stop;
	l = sensorlink_new(&la, warn, sizeof(warn), err, sizeof(err));
	if (!l) {
		log_err("link: %s", err);
		return 1;
	}
	if (warn[0])
		log_warn("link: spool: %s", warn);
	rc = sensorlink_run(l);
	if (rc == 0 && !sig_stop)
		rc = 1;         /* the parent went away */
	sensorlink_free(l);
	return rc;
}
