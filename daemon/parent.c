/*
 * parent.c - see parent.h.
 *
 * One loop, one context struct. Signals are blocked except while the loop
 * waits in ppoll(), so a handler (which only sets a flag) can never run in
 * the middle of a turn and no flag is missed between the check and the wait.
 *
 * DPI verdicts: with a DPI rule in the policy, enforcement is inline
 * (inline.h): the relay child holds the queue, the sensor judges each
 * queued packet with the policy in-process, and the verdict is written on
 * the connection's conntrack mark. Without one, the sensor's queries can
 * only find no rule; they are answered here all the same.
 */
#include "parent.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blocklist.h"
#include "capture.h"
#include "everotate.h"
#include "control.h"
#include "inline.h"
#include "invstore.h"
#include "polstats.h"
#include "ipc.h"
#include "link.h"
#include "log.h"
#include "mono.h"
#include "nft.h"
#include "nftgen.h"
#include "num.h"
#include "policy.h"
#include "relay.h"
#include "sdnotify.h"
#include "sensor.h"

#define LINK_EVENTS_BUFSIZE (4 << 20)   /* sensor -> link events socket */
#define PKT_BUFSIZE (16 << 20)          /* relay <-> sensor packet socket (inline) */
#define BATCH_MAX 256                   /* queries answered per turn, one nft batch */
#define IPC_BUFSIZE (1 << 20)           /* socket buffers of the socketpair */
#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define HEALTHY_MS 60000u               /* a sensor up this long resets the backoff */
#define STOP_WAIT_MS 10000u             /* for the sensor to flush and exit */
#define CONFIRM_MAX_S (24u * 3600u)
#define QUARANTINE_MAX_S (366u * 86400u)

static volatile sig_atomic_t sig_stop, sig_hup, sig_chld, sig_usr1, sig_usr2;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP: sig_hup = 1; break;
	case SIGCHLD: sig_chld = 1; break;
	case SIGUSR1: sig_usr1 = 1; break;
	case SIGUSR2: sig_usr2 = 1; break;
	default: sig_stop = 1; break;
	}
}

enum { KID_SENSOR, KID_LINK, KID_RELAY, KID_N };

/* A supervised child process: forked, watched, restarted with backoff. */
struct child {
	const char *name;               /* "sensor", "link", "relay" */
	int enabled;
	pid_t pid;                      /* 0: none */
	int ipc;                        /* our end of its socketpair; -1: none */
	int ready;
	uint64_t start_ms;
	uint64_t restart_at_ms;         /* when to start one; 0: now */
	uint32_t backoff_ms;
	uint64_t starts, deaths;
};

struct parent {
	const struct parent_args *a;
	struct kastrod_conf *conf;
	struct nft *nft;
	struct control ctl;
	uint64_t start_ms;

	/* the children: the sensor, and the console link when configured */
	struct child kid[KID_N];
	int events[2];                  /* sensor -> link events ([1] sensor's, [0] link's);
					   held here so a restart of either loses nothing queued */
	struct ipc_stats cstats;        /* the sensor's last report */
	struct sensorlink_stats lstats;   /* the link's last report */

	/* inline enforcement (inline.h): on when the policy has a DPI rule */
	int inl;
	struct inl_kernel kern;
	int pkt[2];                     /* relay <-> sensor packets ([0] relay's, [1] sensor's);
					   held here so either can restart */
	struct relay_stats rstats;      /* the relay's last report */

	/* reload awaiting `kastroctl confirm` */
	struct policy *prev_policy;     /* non-NULL: a confirmation is pending */
	uint64_t confirm_deadline_ms;

	/* counters */
	uint64_t queries, blocks, verdicts, verdicts_unsent, block_errors;
	uint64_t reloads, reload_failures, reverts;
	struct log_limit rl_nft, rl_unsent;
	struct polstats pstats;         /* DPI verdicts per rule (kastroctl policy) */
};

/*
 * Keep CAP_NET_ADMIN and CAP_NET_RAW; hold CAP_SETUID, CAP_SETGID and
 * CAP_SETPCAP permitted but not effective (only a forked sensor raises them,
 * to become its user and clear its bounding set), and CAP_KILL permitted but
 * effective only for the one kill() of a sensor (it runs as another user);
 * nothing else, and a bounding set of the first two only.
 */
static void restart_sensor(struct parent *p);

static int keep_net_caps(char *err, size_t errlen)
{
	capng_clear(CAPNG_SELECT_ALL);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN, CAP_NET_RAW, -1);
	capng_updatev(CAPNG_ADD, CAPNG_PERMITTED, CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_KILL, -1);
	capng_updatev(CAPNG_ADD, CAPNG_BOUNDING_SET, CAP_NET_ADMIN, CAP_NET_RAW, -1);
	if (capng_apply(CAPNG_SELECT_ALL) != 0) {
		snprintf(err, errlen, "cannot limit capabilities to CAP_NET_ADMIN and CAP_NET_RAW: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Signal a child: CAP_KILL is effective for this call only (children run
 * as another user). Returns kill()'s result.
 */
static int signal_child(pid_t pid, int sig)
{
	int rc, e;

	if (pid <= 0)
		return -1;
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_KILL);
	(void)capng_apply(CAPNG_SELECT_CAPS);
	rc = kill(pid, sig);
	e = errno;
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_KILL);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0)
		log_err("cannot lower CAP_KILL again: %s", strerror(errno));
	errno = e;
	return rc;
}

/* ---- policy: ruleset and tables ------------------------------------------ */

static void on_bad_line(void *ctx, const char *path, uint64_t line, const char *why)
{
	(void)ctx;
	if (line == 0)
		log_warn("%s: %s", path, why);
	else
		log_warn("%s:%llu: %s; line skipped", path, (unsigned long long)line, why);
}

static int fill_table(struct parent *p, const struct pol_table *t, int family,
		      const struct blocklist *bl, char *err, size_t errlen)
{
	char set[64];

	if (nftgen_set_name(t, family, set, sizeof(set)) < 0) {
		snprintf(err, errlen, "table <%s>: set name too long", t->name);
		return -1;
	}
	if (family == 4)
		return nft_table_replace(p->nft, set, 4, (const uint8_t (*)[16])bl->addr4, bl->plen4,
					 bl->n4, err, errlen);
	return nft_table_replace(p->nft, set, 6, (const uint8_t (*)[16])bl->addr6, bl->plen6,
				 bl->n6, err, errlen);
}

/*
 * Make pol the kernel's policy: read every file table first (a missing file
 * fails here, before anything changed), load the ruleset in one transaction
 * (the kernel keeps the old one when it fails), then fill the file tables.
 * Returns 0, or -1 with err set and the running ruleset untouched.
 */
static int apply_policy(struct parent *p, struct policy *pol, char *err, size_t errlen)
{
	static struct kastrod_conf tmp;
	struct blocklist *bls = NULL;
	const struct pol_table *t;
	char *script = NULL;
	size_t i, n = 0;
	int rc = -1;

	if (p->conf->monitor) {
		/* --monitor: the policy only judges, nothing goes into nftables */
		(void)polstats_reset(&p->pstats, pol ? pol->n_rules : 0);
		return 0;
	}
	tmp = *p->conf;
	tmp.policy = pol;
	while (policy_table(&tmp, n))
		n++;
	if (n > 0 && !(bls = calloc(n, sizeof(*bls)))) {
		snprintf(err, errlen, "out of memory for %zu tables", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		t = policy_table(&tmp, i);
		if (t->path && blocklist_load(t->path, &bls[i], on_bad_line, NULL, err, errlen) < 0)
			goto out;
		if (t->path && bls[i].skipped)
			log_warn("table <%s>: %llu malformed lines of %s skipped", t->name,
				 (unsigned long long)bls[i].skipped, t->path);
	}
	if (nftgen_script(&tmp, &script, err, errlen) < 0)
		goto out;
	if (inl_wanted(&tmp) != p->inl) {
		snprintf(err, errlen, "this policy %s DPI rules and the running one %s: switching "
			 "between inline enforcement and capture needs a restart of kastrod",
			 p->inl ? "has no" : "has", p->inl ? "has" : "has none");
		goto out;
	}
	/* The queue rule first (nft's text cannot write it), in a chain the
	 * ruleset's transaction leaves alone: no ruleset runs without it. */
	if (p->inl && inl_install(&p->kern, p->conf->inline_queue, err, errlen) < 0)
		goto out;
	if (nft_apply_ruleset_keep(p->nft, script, p->inl ? INL_QUEUE_CHAIN : NULL, err, errlen) < 0)
		goto out;
	rc = 0;
	(void)polstats_reset(&p->pstats, pol ? pol->n_rules : 0);
	for (i = 0; i < n; i++) {
		char e2[1024];

		t = policy_table(&tmp, i);
		if (!t->path)
			continue;
		if (fill_table(p, t, 4, &bls[i], e2, sizeof(e2)) < 0 ||
		    fill_table(p, t, 6, &bls[i], e2, sizeof(e2)) < 0) {
			/* The ruleset is in; an empty or stale table is the lesser harm. */
			log_err("table <%s> from %s not loaded: %s", t->name, t->path, e2);
			continue;
		}
		log_info("table <%s>: %zu IPv4 and %zu IPv6 prefixes from %s", t->name,
			 bls[i].n4, bls[i].n6, t->path);
	}
out:
	for (i = 0; i < n; i++)
		blocklist_free(&bls[i]);
	free(bls);
	free(script);
	return rc;
}

static uint32_t confirm_left_s(const struct parent *p)
{
	uint64_t now = mono_ms();

	if (!p->prev_policy || now >= p->confirm_deadline_ms)
		return 0;
	return (uint32_t)((p->confirm_deadline_ms - now + 999) / 1000);
}

/*
 * Read the configuration again and load its policy. On any error the
 * running policy stays and err says why. With confirm_s > 0 the previous
 * policy is kept and comes back by itself unless confirmed in time.
 */
static int reload(struct parent *p, uint32_t confirm_s, const char *candidate, char *err,
		  size_t errlen)
{
	static struct kastrod_conf n;
	struct policy *pol, *old;

	if (p->prev_policy) {
		snprintf(err, errlen, "a reload awaits confirmation (%u s left): confirm it, "
			 "or wait for the previous policy to come back", confirm_left_s(p));
		return -1;
	}
	conf_defaults(&n);
	if (candidate != NULL)
		snprintf(n.inv.candidate, sizeof(n.inv.candidate), "%s", candidate);
	if (p->a->conf_path && conf_load(p->a->conf_path, &n, err, errlen) < 0)
		return -1;
	if (candidate != NULL && !n.inv.from_console) {
		snprintf(err, errlen, "%s has no `inventory from console`: this gateway "
			 "enforces its own inventory, not the console's",
			 p->a->conf_path ? p->a->conf_path : "the configuration");
		conf_free(&n);
		return -1;
	}
	n.inv.candidate[0] = '\0';
	pol = n.policy;
	n.policy = NULL;
	if (apply_policy(p, pol, err, errlen) < 0) {
		policy_free(pol);
		return -1;
	}
	old = p->conf->policy;
	p->conf->policy = pol;
	p->conf->inv = n.inv;
	restart_sensor(p);   /* inline: the sensor judges with the policy it was forked with */
	if (confirm_s > 0) {
		p->prev_policy = old;
		p->confirm_deadline_ms = mono_ms() + (uint64_t)confirm_s * 1000u;
	} else {
		policy_free(old);
	}
	p->reloads++;
	return 0;
}

static void do_reload(struct parent *p, uint32_t confirm_s, const char *why, char *ans,
		      size_t anslen)
{
	static char err[CONTROL_ANSWER_MAX - 64];
	const char *path = p->a->conf_path ? p->a->conf_path : "(built-in defaults)";

	if (reload(p, confirm_s, NULL, err, sizeof(err)) < 0) {
		p->reload_failures++;
		log_err("reload (%s) of %s failed; the running policy stays: %s", why, path, err);
		if (ans)
			snprintf(ans, anslen, "error: %s", err);
		return;
	}
	if (confirm_s > 0) {
		log_warn("reload (%s): policy of %s loaded; it reverts in %u s unless confirmed",
			 why, path, confirm_s);
		if (ans)
			snprintf(ans, anslen, "ok reloaded; reverts in %u s unless confirmed", confirm_s);
	} else {
		log_info("reload (%s): policy of %s loaded", why, path);
		if (ans)
			snprintf(ans, anslen, "ok reloaded");
	}
}

/* The confirmation did not come: load the previous policy again. */
static void revert(struct parent *p)
{
	char err[4096];
	struct policy *cur = p->conf->policy;

	if (apply_policy(p, p->prev_policy, err, sizeof(err)) < 0) {
		/* Keep trying: the officer may be locked out by the new one. */
		log_err("reload not confirmed, but the previous policy cannot be loaded again "
			"(retrying in 10 s): %s", err);
		p->confirm_deadline_ms = mono_ms() + 10000u;
		return;
	}
	p->conf->policy = p->prev_policy;
	p->prev_policy = NULL;
	restart_sensor(p);
	policy_free(cur);
	p->reverts++;
	log_warn("reload not confirmed in time: the previous policy is back in force");
}

/* ---- the children -------------------------------------------------------- */

static void schedule_restart(struct parent *p, struct child *c)
{
	uint64_t now = mono_ms();

	if (c->start_ms && now - c->start_ms >= HEALTHY_MS)
		c->backoff_ms = BACKOFF_MIN_MS;
	c->restart_at_ms = now + c->backoff_ms;
	log_info("starting a new %s in %u s", c->name, c->backoff_ms / 1000u);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
	(void)p;
}

static void close_ipc(struct child *c)
{
	if (c->ipc >= 0)
		close(c->ipc);
	c->ipc = -1;
}

/*
 * In a new child: close what belongs to the parent and to the other child
 * (the control socket, nftables, the other's socketpair end, the other's
 * side of the events socketpair).
 */
static void child_close_parent_fds(struct parent *p, int which)
{
	int i;

	if (p->ctl.lfd >= 0)
		close(p->ctl.lfd);
	if (p->ctl.cfd >= 0)
		close(p->ctl.cfd);
	nft_close(p->nft);
	for (i = 0; i < KID_N; i++)
		if (i != which && p->kid[i].ipc >= 0)
			close(p->kid[i].ipc);
	if (p->events[0] >= 0 && which != KID_LINK)
		close(p->events[0]);
	if (p->events[1] >= 0 && which != KID_SENSOR)
		close(p->events[1]);
	if (p->pkt[0] >= 0 && which != KID_RELAY)
		close(p->pkt[0]);
	if (p->pkt[1] >= 0 && which != KID_SENSOR)
		close(p->pkt[1]);
}

/* Inline: the sensor asks the policy itself, before it answers for a packet. */
static int inline_policy(void *ctx, const struct verdict_query *q, struct verdict *v)
{
	const struct kastrod_conf *c = ctx;
	const struct pol_rule *r = policy_match_dpi(c, q);

	if (!r)
		return 0;
	policy_verdict(r, q, v);
	return v->action == VERDICT_BLOCK || v->log;
}

static void spawn(struct parent *p, int which)
{
	static struct capture cap;
	struct child *c = &p->kid[which];
	char err[1024];
	int fds[2];
	pid_t pid;

	c->restart_at_ms = 0;
	memset(&cap, 0, sizeof(cap));
	if (which == KID_SENSOR && !p->inl && capture_open_live(&cap, p->conf, err, sizeof(err)) < 0) {
		log_err("cannot start a sensor: %s", err);
		schedule_restart(p, c);
		return;
	}
	if (ipc_socketpair(fds, IPC_BUFSIZE) < 0) {
		log_err("cannot start a %s: socketpair: %s", c->name, strerror(errno));
		if (which == KID_SENSOR && !p->inl)
			capture_close(&cap);
		schedule_restart(p, c);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("cannot start a %s: fork: %s", c->name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		if (which == KID_SENSOR && !p->inl)
			capture_close(&cap);
		schedule_restart(p, c);
		return;
	}
	if (pid == 0) {
		/* Each child gets its own socket and what its job needs; nothing else. */
		close(fds[0]);
		child_close_parent_fds(p, which);
		if (which == KID_SENSOR) {
			struct sensor_args sa;

			memset(&sa, 0, sizeof(sa));
			sa.conf = p->conf;
			sa.cap = p->inl ? NULL : &cap;
			sa.eve = p->a->eve;
			sa.ipc_fd = fds[1];
			sa.link_fd = p->events[1];
			sa.pkt_fd = p->inl ? p->pkt[1] : -1;
			if (p->inl) {
				sa.policy = inline_policy;
				sa.policy_ctx = p->conf;
			}
			_exit(sensor_run(&sa));
		} else if (which == KID_RELAY) {
			struct relay_args ra;

			eve_close(p->a->eve);
			memset(&ra, 0, sizeof(ra));
			ra.conf = p->conf;
			ra.kernel = p->kern;
			ra.sensor_fd = p->pkt[0];
			ra.ipc_fd = fds[1];
			_exit(relay_run(&ra));
		} else {
			struct link_args la;

			eve_close(p->a->eve);   /* the link writes no EVE file */
			memset(&la, 0, sizeof(la));
			la.conf = p->conf;
			la.ipc_fd = fds[1];
			la.events_fd = p->events[0];
			_exit(link_run(&la));
		}
	}
	/* The child holds the handles now; ours would only keep sockets alive. */
	close(fds[1]);
	if (which == KID_SENSOR) {
		if (!p->inl)
			capture_close(&cap);
		memset(&p->cstats, 0, sizeof(p->cstats));
	} else if (which == KID_RELAY) {
		memset(&p->rstats, 0, sizeof(p->rstats));
	} else {
		memset(&p->lstats, 0, sizeof(p->lstats));
	}
	c->pid = pid;
	c->ipc = fds[0];
	c->ready = which != KID_SENSOR;   /* only the sensor has a capture to wait for */
	c->start_ms = mono_ms();
	c->starts++;
	log_info("%s started (pid %d)", c->name, (int)pid);
}

/* A child broke the protocol: it may be compromised. */
static void child_broke(struct parent *p, struct child *c, const char *why)
{
	(void)p;
	log_err("%s (pid %d): %s; ending it", c->name, (int)c->pid, why);
	close_ipc(c);
	if (c->pid > 0 && signal_child(c->pid, SIGKILL) < 0)
		log_err("cannot kill %s (pid %d): %s", c->name, (int)c->pid, strerror(errno));
}

static void reap(struct parent *p)
{
	struct child *c;
	int st, i;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (c = NULL, i = 0; i < KID_N; i++)
			if (p->kid[i].pid == pid)
				c = &p->kid[i];
		if (!c)
			continue;
		if (WIFSIGNALED(st))
			log_err("%s (pid %d) killed by signal %d (%s)", c->name, (int)pid,
				WTERMSIG(st), strsignal(WTERMSIG(st)));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			log_err("%s (pid %d) exited with status %d", c->name, (int)pid,
				WEXITSTATUS(st));
		else
			log_warn("%s (pid %d) exited", c->name, (int)pid);
		c->pid = 0;
		c->deaths++;
		close_ipc(c);
		if (!sig_stop)
			schedule_restart(p, c);
	}
}

/* Receive one message from child c: 1 with *m, 0 none, -1 it is gone or broke. */
static int child_recv(struct parent *p, struct child *c, struct ipc_msg *m)
{
	char err[1024];
	int rc = ipc_recv(c->ipc, m, err, sizeof(err));

	if (rc >= 0)
		return rc;
	if (strcmp(err, "connection closed") == 0)
		close_ipc(c);   /* it is exiting; SIGCHLD says how */
	else
		child_broke(p, c, err);
	return -1;
}

/*
 * The console pushed an inventory (linkinv.h): the text the link checked
 * is in fd. Keep it as COPY.new, reload the policy with it (the statement
 * `inventory from console "COPY"` reads it), and only when that worked
 * make it COPY, the copy the gateway starts with; else the running policy
 * and COPY stay. The answer goes back to the link for the console.
 */
static void inv_pushed(struct parent *p, const struct ipc_inv *m, int fd)
{
	static char err[sizeof(((struct ipc_inv_result *)0)->msg)];
	static struct ipc_inv_result res;
	char cand[PATH_MAX + 8], *text = NULL;
	size_t len = 0;
	int ok = 0;

	memset(&res, 0, sizeof(res));
	memcpy(res.sha256, m->sha256, sizeof(res.sha256));
	if (!p->conf->inv.from_console) {
		snprintf(err, sizeof(err), "%s has no `inventory from console`: this gateway "
			 "enforces its own inventory, not the console's",
			 p->a->conf_path ? p->a->conf_path : "the configuration");
		goto out;
	}
	if (strcmp(p->conf->inv.source, "console") == 0 &&
	    strcmp(p->conf->inv.sha256, m->sha256) == 0) {
		/* a console that restarted sends what is in force: no reload */
		snprintf(res.msg, sizeof(res.msg), "unchanged: this inventory is in force already");
		ok = 1;
		goto out;
	}
	snprintf(cand, sizeof(cand), "%s.new", p->conf->inv.copy);
	if (invstore_read_fd(fd, m->size, m->sha256, &text, &len, err, sizeof(err)) < 0 ||
	    invstore_write(cand, text, len, err, sizeof(err)) < 0)
		goto out;
	if (reload(p, 0, cand, err, sizeof(err)) < 0) {
		p->reload_failures++;
		unlink(cand);
		goto out;
	}
	if (invstore_commit(cand, p->conf->inv.copy, err, sizeof(err)) < 0)
		goto out;
	ok = 1;
out:
	free(text);
	close(fd);
	res.ok = (uint32_t)ok;
	if (ok && res.msg[0] != '\0') {
		log_info("inventory pushed by the console (sha256 %s): %s", m->sha256, res.msg);
	} else if (ok) {
		log_info("inventory pushed by the console (sha256 %s, %zu bytes): policy "
			 "reloaded, kept in %s", m->sha256, len, p->conf->inv.copy);
	} else {
		log_err("inventory pushed by the console (sha256 %s) refused; the running "
			"policy stays: %s", m->sha256, err);
		snprintf(res.msg, sizeof(res.msg), "%s", err);
	}
	if (ipc_send(p->kid[KID_LINK].ipc, IPC_INV_RESULT, &res, sizeof(res)) < 0)
		log_err("cannot tell the link how the inventory push ended: %s", strerror(errno));
}

/* The link reports its counters, and hands over inventory pushes. */
static void serve_link(struct parent *p)
{
	struct child *c = &p->kid[KID_LINK];
	struct ipc_msg m;
	char err[1024];
	int i, fd, rc;

	for (i = 0; i < BATCH_MAX && c->ipc >= 0; i++) {
		rc = ipc_recv_fd(c->ipc, &m, &fd, err, sizeof(err));
		if (rc < 0) {
			if (strcmp(err, "connection closed") == 0)
				close_ipc(c);
			else
				child_broke(p, c, err);
			return;
		}
		if (rc == 0)
			return;
		if (m.type == IPC_INV_PUSHED && fd >= 0) {
			inv_pushed(p, &m.u.inv, fd);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (m.type != IPC_LINK_STATS) {
			child_broke(p, c, "sent a message the link does not send");
			return;
		}
		p->lstats = m.u.link;
	}
}

/* The relay only reports its counters. */
static void serve_relay(struct parent *p)
{
	struct child *c = &p->kid[KID_RELAY];
	struct ipc_msg m;
	int i;

	for (i = 0; i < BATCH_MAX && c->ipc >= 0; i++) {
		if (child_recv(p, c, &m) <= 0)
			return;
		if (m.type != IPC_RELAY_STATS) {
			child_broke(p, c, "sent a message the relay does not send");
			return;
		}
		p->rstats = m.u.relay;
		/* for the sensor's EVE stats; a full socket only delays them */
		if (p->kid[KID_SENSOR].ipc >= 0)
			(void)ipc_send(p->kid[KID_SENSOR].ipc, IPC_RELAY_STATS, &p->rstats,
				       sizeof(p->rstats));
	}
}

/*
 * Answer what the sensor sent: at most BATCH_MAX messages, then the
 * verdicts back.
 */
static void serve_sensor(struct parent *p)
{
	static struct verdict out[BATCH_MAX];
	struct child *c = &p->kid[KID_SENSOR];
	struct ipc_msg m;
	size_t nv = 0, i;

	for (i = 0; i < BATCH_MAX; i++) {
		const struct pol_rule *r;
		int rc = child_recv(p, c, &m);

		if (rc == 0)
			break;
		if (rc < 0) {
			if (c->ipc >= 0)
				return;
			break;
		}
		switch (m.type) {
		case IPC_READY:
			c->ready = 1;
			sdn_ready("capturing; policy in table inet " NFT_TABLE);
			break;
		case IPC_STATS:
			p->cstats = m.u.stats;
			break;
		case IPC_RULE_HITS:
			for (size_t k = 0; k < m.u.hits.n; k++)
				polstats_dpi_n(&p->pstats, m.u.hits.v[k].rule_id, m.u.hits.v[k].count);
			break;
		case IPC_QUERY:
			p->queries++;
			r = policy_match_dpi(p->conf, &m.u.query);
			if (!r)
				break;
			policy_verdict(r, &m.u.query, &out[nv]);
			polstats_dpi(&p->pstats, r->id);
			if (p->conf->monitor && out[nv].action == VERDICT_BLOCK) {
				/* watched, not enforced: the alert says allowed */
				out[nv].action = VERDICT_PASS;
				out[nv].log = 1;
			}
			if (out[nv].action == VERDICT_BLOCK)
				p->blocks++;
			if (out[nv].action == VERDICT_BLOCK || out[nv].log)
				nv++;
			break;
		default:
			child_broke(p, c, "sent a message only the parent sends");
			return;
		}
	}
	for (i = 0; i < nv && c->ipc >= 0; i++) {
		if (ipc_send(c->ipc, IPC_VERDICT, &out[i], sizeof(out[i])) == 0) {
			p->verdicts++;
			continue;
		}
		p->verdicts_unsent++;
		log_limited(&p->rl_unsent, LOG_LVL_WARN,
			    "sensor is not keeping up: %llu verdicts not sent (no EVE alert for them)",
			    (unsigned long long)p->verdicts_unsent);
	}
}

static void stop_child(struct parent *p, struct child *c)
{
	uint64_t until = mono_ms() + STOP_WAIT_MS;
	int st;

	(void)p;
	if (c->pid <= 0)
		return;
	if (signal_child(c->pid, SIGTERM) < 0)
		log_err("cannot stop %s (pid %d): %s", c->name, (int)c->pid, strerror(errno));
	/* Its socket closing stops it too, should the signal not arrive. */
	close_ipc(c);
	while (mono_ms() < until) {
		pid_t r = waitpid(c->pid, &st, WNOHANG);

		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			c->pid = 0;
			return;
		}
		usleep(20000);
	}
	log_warn("%s (pid %d) did not stop within %u s; killing it", c->name, (int)c->pid,
		 STOP_WAIT_MS / 1000u);
	signal_child(c->pid, SIGKILL);
	until = mono_ms() + 2000u;
	while (waitpid(c->pid, &st, WNOHANG) == 0 && mono_ms() < until)
		usleep(20000);
	c->pid = 0;
}

/*
 * Inline: a new policy reaches the sensor by a new sensor. Packets that
 * arrive meanwhile take the fail verdict; connections already judged are
 * not affected.
 */
static void restart_sensor(struct parent *p)
{
	struct child *c = &p->kid[KID_SENSOR];

	if (!p->inl || c->pid <= 0)
		return;
	stop_child(p, c);
	c->restart_at_ms = 0;
}

/* ---- control requests ---------------------------------------------------- */

/* Split line into at most max words; returns the count, or -1 if too many. */
static int parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

static void answer_status(struct parent *p, char *ans, size_t anslen)
{
	const struct ipc_stats *c = &p->cstats;
	const struct sensorlink_stats *l = &p->lstats;
	const struct child *sk = &p->kid[KID_SENSOR], *lk = &p->kid[KID_LINK];
	struct nft_stats ns;
	uint64_t now = mono_ms();
	size_t len;

	nft_get_stats(p->nft, &ns);
	snprintf(ans, anslen,
		 "ok\n"
		 "pid=%d\nuptime_s=%llu\n"
		 "sensor_pid=%d\nsensor_capturing=%d\nsensor_uptime_s=%llu\n"
		 "sensor_starts=%llu\nsensor_deaths=%llu\n"
		 "policy_rules=%zu\nreloads=%llu\nreload_failures=%llu\nreverts=%llu\n"
		 "confirm_pending_s=%u\n"
		 "queries=%llu\nblocks=%llu\nblock_errors=%llu\nverdicts=%llu\nverdicts_unsent=%llu\n"
		 "nft_batches=%llu\nnft_elements=%llu\nnft_errors=%llu\n"
		 "pkts=%llu\nbytes=%llu\nflows_live=%llu\nflows_classified=%llu\n"
		 "flows_unknown=%llu\nflows_evicted=%llu\nsensor_queries=%llu\n"
		 "sensor_queries_unsent=%llu\nsensor_verdicts=%llu\nsensor_verdicts_late=%llu\n"
		 "alerts=%llu\nkernel_packets=%llu\nkernel_drops=%llu\n"
		 "eve_events=%llu\neve_dropped=%llu\neve_reopens=%llu\n"
		 "block_latency_count=%llu\nblock_latency_p50_us=%llu\nblock_latency_p99_us=%llu\n"
		 "block_latency_max_us=%llu",
		 (int)getpid(), (unsigned long long)((now - p->start_ms) / 1000u),
		 (int)sk->pid, sk->pid > 0 && sk->ready,
		 (unsigned long long)(sk->pid > 0 ? (now - sk->start_ms) / 1000u : 0),
		 (unsigned long long)sk->starts, (unsigned long long)sk->deaths,
		 p->conf->policy ? p->conf->policy->n_rules : (size_t)0,
		 (unsigned long long)p->reloads, (unsigned long long)p->reload_failures,
		 (unsigned long long)p->reverts, confirm_left_s(p),
		 (unsigned long long)p->queries, (unsigned long long)p->blocks,
		 (unsigned long long)p->block_errors, (unsigned long long)p->verdicts,
		 (unsigned long long)p->verdicts_unsent,
		 (unsigned long long)ns.batches, (unsigned long long)ns.elements,
		 (unsigned long long)ns.errors,
		 (unsigned long long)c->pkts, (unsigned long long)c->bytes,
		 (unsigned long long)c->flows_live, (unsigned long long)c->flows_classified,
		 (unsigned long long)c->flows_unknown, (unsigned long long)c->flows_evicted,
		 (unsigned long long)c->queries, (unsigned long long)c->queries_unsent,
		 (unsigned long long)c->verdicts, (unsigned long long)c->verdicts_late,
		 (unsigned long long)c->alerts, (unsigned long long)c->kernel_packets,
		 (unsigned long long)c->kernel_drops, (unsigned long long)c->eve_events,
		 (unsigned long long)c->eve_dropped, (unsigned long long)c->eve_reopens,
		 (unsigned long long)c->block_lat_count,
		 (unsigned long long)c->block_lat_p50_us, (unsigned long long)c->block_lat_p99_us,
		 (unsigned long long)c->block_lat_max_us);
	len = strlen(ans);
	if (len < anslen)
		snprintf(ans + len, anslen - len, "\nlink_handed=%llu\nlink_handover_dropped=%llu",
			 (unsigned long long)c->link_sent, (unsigned long long)c->link_dropped);
	len = strlen(ans);
	if (len < anslen) {
		const struct conf_inv *ci = &p->conf->inv;
		time_t t = time(NULL);

		snprintf(ans + len, anslen - len, "\ninventory_source=%s\ninventory_sha256=%s\n"
			 "inventory_path=%s\ninventory_age_s=%lld",
			 ci->source[0] ? ci->source : "none", ci->sha256[0] ? ci->sha256 : "-",
			 ci->path[0] ? ci->path : "-",
			 ci->mtime > 0 && (int64_t)t >= ci->mtime ? (long long)((int64_t)t - ci->mtime)
								 : -1LL);
	}
	len = strlen(ans);
	if (len < anslen) {
		/* per-source limits and overload tables that were full (nftgen.c) */
		uint64_t sf = 0, of = 0;
		char e[128];

		(void)nft_counter_get(p->nft, "src_full", &sf, e, sizeof(e));
		(void)nft_counter_get(p->nft, "overload_full", &of, e, sizeof(e));
		snprintf(ans + len, anslen - len, "\nsrc_nodes=%u\nsrc_nodes_full=%llu\noverload_full=%llu",
			 p->conf->src_nodes, (unsigned long long)sf, (unsigned long long)of);
		len = strlen(ans);
	}
	if (p->inl && len < anslen) {
		const struct relay_stats *r = &p->rstats;

		snprintf(ans + len, anslen - len,
			 "\ninline=1\ninline_route=%s\ninline_fail=%s\nrelay_pid=%d\n"
			 "relay_deaths=%llu\ninline_queued=%llu\ninline_handed=%llu\n"
			 "inline_verdicts=%llu\ninline_passes=%llu\ninline_blocks=%llu\n"
			 "inline_resets=%llu\ninline_resets_refused=%llu\n"
			 "inline_fail_open=%llu\ninline_fail_closed=%llu\ninline_fail_events=%llu\n"
			 "inline_sensor_up=%llu\ninline_netlink_errors=%llu\n"
			 "inline_queue_dropped=%llu\ninline_user_dropped=%llu\n"
			 "inline_hop_count=%llu\ninline_hop_p50_us=%llu\ninline_hop_p99_us=%llu\n"
			 "inline_hop_max_us=%llu\ninline_ct_ends=%llu\ninline_ct_ends_lost=%llu\n"
			 "inline_block_count=%llu\ninline_block_p50_us=%llu\ninline_block_p99_us=%llu\n"
			 "inline_block_max_us=%llu",
			 p->kern.native_queue ? (p->kern.ct_glue ? "native+glue" : "native+mark") :
			 (p->kern.ct_glue ? "compat+glue" : "compat+mark"),
			 p->conf->inline_fail_open ? "open" : "closed",
			 (int)p->kid[KID_RELAY].pid, (unsigned long long)p->kid[KID_RELAY].deaths,
			 (unsigned long long)r->queued, (unsigned long long)r->handed,
			 (unsigned long long)r->verdicts, (unsigned long long)r->passes,
			 (unsigned long long)r->blocks, (unsigned long long)r->resets,
			 (unsigned long long)r->resets_refused, (unsigned long long)r->fail_open,
			 (unsigned long long)r->fail_closed, (unsigned long long)r->fail_events,
			 (unsigned long long)r->sensor_up, (unsigned long long)r->netlink_errors,
			 (unsigned long long)r->kernel_queue_dropped,
			 (unsigned long long)r->kernel_user_dropped,
			 (unsigned long long)r->hop_count, (unsigned long long)r->hop_p50_us,
			 (unsigned long long)r->hop_p99_us, (unsigned long long)r->hop_max_us,
			 (unsigned long long)r->ct_ends, (unsigned long long)r->ct_ends_lost,
			 (unsigned long long)r->block_count, (unsigned long long)r->block_p50_us,
			 (unsigned long long)r->block_p99_us, (unsigned long long)r->block_max_us);
		len = strlen(ans);
	}
	if (!lk->enabled || len >= anslen)
		return;
	snprintf(ans + len, anslen - len,
		 "\nlink_pid=%d\nlink_uptime_s=%llu\nlink_starts=%llu\nlink_deaths=%llu\n"
		 "link_connected=%u\nlink_received=%llu\nlink_malformed=%llu\nlink_spooled=%llu\n"
		 "link_spool_dropped=%llu\nlink_spool_errors=%llu\nlink_pending=%llu\n"
		 "link_pending_bytes=%llu\nlink_acked_seq=%llu\nlink_batches=%llu\nlink_sent=%llu\n"
		 "link_acked=%llu\nlink_send_failures=%llu\nlink_rejected=%llu\nlink_backoff_ms=%u\nlink_polls=%llu\n"
		 "link_poll_failures=%llu\nlink_commands=%llu\nlink_results=%llu\n"
		 "link_last_error=%s",
		 (int)lk->pid, (unsigned long long)(lk->pid > 0 ? (now - lk->start_ms) / 1000u : 0),
		 (unsigned long long)lk->starts, (unsigned long long)lk->deaths, l->connected,
		 (unsigned long long)l->received, (unsigned long long)l->malformed,
		 (unsigned long long)l->spooled, (unsigned long long)l->spool_dropped,
		 (unsigned long long)l->spool_errors, (unsigned long long)l->pending,
		 (unsigned long long)l->pending_bytes, (unsigned long long)l->acked_seq,
		 (unsigned long long)l->batches, (unsigned long long)l->sent,
		 (unsigned long long)l->acked, (unsigned long long)l->send_failures,
		 (unsigned long long)l->rejected, l->backoff_ms,
		 (unsigned long long)l->polls, (unsigned long long)l->poll_failures,
		 (unsigned long long)l->commands, (unsigned long long)l->results,
		 l->last_error[0] ? l->last_error : "-");
}

/*
 * Every request kastrod answers, classified: the read-only ones are open to
 * group kastro too, the rest are root's (lib/control.h). A request not
 * listed here never reaches on_request.
 */
static const struct control_cmd parent_cmds[] = {
	{ "status", NULL, CONTROL_READ },
	{ "policy", NULL, CONTROL_READ },
	{ "quarantine", "list", CONTROL_READ },
	{ "quarantine", NULL, CONTROL_CHANGE },
	{ "reload", NULL, CONTROL_CHANGE },
	{ "confirm", NULL, CONTROL_CHANGE },
	{ "release", NULL, CONTROL_CHANGE },
	{ "reopen", NULL, CONTROL_CHANGE },
};

/* kastroctl reopen, SIGUSR2: the EVE file again, for log rotation (everotate.h). */
static void reopen_eve(struct parent *p, const char *why, char *ans, size_t anslen)
{
	const struct child *sk = &p->kid[KID_SENSOR];
	char err[512];

	if (everotate_hand(p->a->eve, p->conf->eve_path, sk->pid > 0 ? sk->ipc : -1, err,
			   sizeof(err)) < 0) {
		log_err("reopen (%s): %s", why, err);
		if (ans)
			snprintf(ans, anslen, "error: %s", err);
		return;
	}
	log_info("EVE file %s opened again (%s)", p->conf->eve_path, why);
	if (ans)
		snprintf(ans, anslen, "ok\nreopened=%s", p->conf->eve_path);
}

static void on_request(void *ctx, const char *line, char *ans, size_t anslen)
{
	struct parent *p = ctx;
	char buf[CONTROL_LINE_MAX + 1], err[1024];
	char *w[4];
	uint8_t family, addr[16];
	uint64_t v = 0;
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = control_split(buf, w, 4);
	if (n <= 0) {
		snprintf(ans, anslen, "error: empty or overlong request");
		return;
	}
	if (strcmp(w[0], "status") == 0 && n == 1) {
		answer_status(p, ans, anslen);
	} else if (strcmp(w[0], "reload") == 0 && (n == 1 || n == 3)) {
		if (n == 3 && (strcmp(w[1], "confirm-within") != 0 ||
			       num_parse_u64(w[2], 1, CONFIRM_MAX_S, &v) < 0)) {
			snprintf(ans, anslen, "error: usage: reload [confirm-within SECONDS (1..%u)]",
				 CONFIRM_MAX_S);
			return;
		}
		do_reload(p, (uint32_t)v, "control socket", ans, anslen);
	} else if (strcmp(w[0], "confirm") == 0 && n == 1) {
		if (!p->prev_policy) {
			snprintf(ans, anslen, "error: no reload awaits confirmation");
			return;
		}
		policy_free(p->prev_policy);
		p->prev_policy = NULL;
		log_info("reload confirmed: the new policy stays");
		snprintf(ans, anslen, "ok confirmed");
	} else if (strcmp(w[0], "policy") == 0 && n == 1) {
		if (polstats_answer(&p->pstats, p->conf, ans, anslen, err, sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
	} else if (strcmp(w[0], "quarantine") == 0 && n == 2 && strcmp(w[1], "list") == 0) {
		if (polstats_quarantine(ans, anslen, err, sizeof(err)) < 0)
			snprintf(ans, anslen, "error: %s", err);
	} else if (strcmp(w[0], "quarantine") == 0 && (n == 2 || n == 3)) {
		if (parse_addr(w[1], &family, addr) < 0) {
			snprintf(ans, anslen, "error: '%.64s' is not an IPv4 or IPv6 address "
				 "(quarantine ADDRESS [SECONDS])", w[1]);
			return;
		}
		if (n == 3 && num_parse_u64(w[2], 0, QUARANTINE_MAX_S, &v) < 0) {
			snprintf(ans, anslen, "error: usage: quarantine ADDRESS [SECONDS (0: until "
				 "released, at most %u)]", QUARANTINE_MAX_S);
			return;
		}
		if (nft_quarantine_add(p->nft, family, addr, (uint32_t)v, err, sizeof(err)) < 0) {
			log_err("quarantine %s failed: %s", w[1], err);
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		log_warn("host %s quarantined (%s)", w[1], v ? "with a timeout" : "until released");
		snprintf(ans, anslen, "ok quarantined %s", w[1]);
	} else if (strcmp(w[0], "reopen") == 0 && n == 1) {
		reopen_eve(p, "control socket", ans, anslen);
	} else if (strcmp(w[0], "release") == 0 && n == 2) {
		if (parse_addr(w[1], &family, addr) < 0) {
			snprintf(ans, anslen, "error: '%.64s' is not an IPv4 or IPv6 address "
				 "(release ADDRESS)", w[1]);
			return;
		}
		if (nft_quarantine_del(p->nft, family, addr, err, sizeof(err)) < 0) {
			log_err("release %s failed: %s", w[1], err);
			snprintf(ans, anslen, "error: %s", err);
			return;
		}
		log_warn("host %s released from quarantine", w[1]);
		snprintf(ans, anslen, "ok released %s", w[1]);
	} else {
		snprintf(ans, anslen, "error: unknown request '%.64s' (status, reload [confirm-within "
			 "SECONDS], confirm, quarantine ADDRESS [SECONDS], quarantine list, release ADDRESS, "
			 "policy, reopen)", w[0]);
	}
}

/* ---- the loop ------------------------------------------------------------ */

static void install_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(waitmask, sigs[i]);
}

/* How long the loop may wait: up to a second, less when something is due. */
static int wait_ms(const struct parent *p)
{
	uint64_t now = mono_ms(), t = 1000;
	int c = control_timeout_ms(&p->ctl), i;

	if (c >= 0 && (uint64_t)c < t)
		t = (uint64_t)c;
	for (i = 0; i < KID_N; i++) {
		const struct child *k = &p->kid[i];

		if (k->enabled && k->pid <= 0 && k->restart_at_ms)
			t = k->restart_at_ms <= now ? 0 :
			    k->restart_at_ms - now < t ? k->restart_at_ms - now : t;
	}
	if (p->prev_policy)
		t = p->confirm_deadline_ms <= now ? 0 :
		    p->confirm_deadline_ms - now < t ? p->confirm_deadline_ms - now : t;
	return (int)t;
}

int parent_run(const struct parent_args *a)
{
	static struct parent p;
	char err[4096];
	sigset_t waitmask;
	int rc, i;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.conf = a->conf;
	p.ctl.lfd = p.ctl.cfd = -1;
	p.events[0] = p.events[1] = -1;
	p.pkt[0] = p.pkt[1] = -1;
	for (i = 0; i < KID_N; i++) {
		p.kid[i].ipc = -1;
		p.kid[i].backoff_ms = BACKOFF_MIN_MS;
	}
	p.kid[KID_SENSOR].name = "sensor";
	p.kid[KID_SENSOR].enabled = 1;
	p.kid[KID_LINK].name = "link";
	p.kid[KID_LINK].enabled = p.conf->link_host[0] != '\0';
	p.kid[KID_RELAY].name = "relay";
	p.inl = inl_wanted(p.conf);
	p.kid[KID_RELAY].enabled = p.inl;
	p.start_ms = mono_ms();
	p.rl_nft.burst = 5;
	p.rl_nft.interval_s = 60;
	p.rl_unsent.burst = 1;
	p.rl_unsent.interval_s = 60;
	/* Signals first: one that arrives during start-up is acted on after it. */
	install_signals(&waitmask);
	sdn_init();

	p.nft = nft_open(err, sizeof(err));
	if (!p.nft) {
		log_err("nftables: %s", err);
		return 1;
	}
	rc = nft_table_exists(p.nft, err, sizeof(err));
	if (rc < 0) {
		log_err("nftables: %s", err);
		goto fail;
	}
	if (rc == 1 && p.conf->monitor) {
		/* an earlier run's table would go on enforcing (and fail closed
		 * with no one to judge): a monitor enforces nothing */
		if (inl_flush(err, sizeof(err)) < 0) {
			log_err("--monitor: cannot remove table inet %s of an earlier run: %s",
				NFT_TABLE, err);
			goto fail;
		}
		log_info("--monitor: table inet %s of an earlier run removed", NFT_TABLE);
		rc = 0;
	} else if (rc == 1) {
		log_info("taking over table inet %s left by an earlier run", NFT_TABLE);
	}
	if (p.inl) {
		if (inl_detect(&p.kern, p.conf->inline_queue, err, sizeof(err)) < 0) {
			log_err("inline enforcement: %s", err);
			goto fail;
		}
		log_info("inline enforcement: %s queue rule, verdicts written %s",
			 p.kern.native_queue ? "native" : "NFQUEUE (compat) ",
			 p.kern.ct_glue ? "on the connection (conntrack glue)" :
			 "as packet marks copied to the connection");
		if (ipc_socketpair(p.pkt, PKT_BUFSIZE) < 0) {
			log_err("cannot make the relay's packet socket: %s", strerror(errno));
			goto fail;
		}
	}
	if (apply_policy(&p, p.conf->policy, err, sizeof(err)) < 0) {
		log_err("cannot load the policy into nftables; %s: %s",
			rc == 1 ? "the table of the earlier run stays in force" : "nothing loaded", err);
		goto fail;
	}
	if (p.conf->monitor)
		log_info("--monitor: watching only; %zu rules judge and alert, nothing is enforced",
			 p.conf->policy ? p.conf->policy->n_rules : (size_t)0);
	else
		log_info("policy loaded into table inet %s (%zu rules)", NFT_TABLE,
			 p.conf->policy ? p.conf->policy->n_rules : (size_t)0);
	if (control_open(&p.ctl, a->control_path, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto fail;
	}
	control_set_commands(&p.ctl, parent_cmds, sizeof(parent_cmds) / sizeof(parent_cmds[0]));
	if (keep_net_caps(err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto fail;
	}
	if (p.kid[KID_LINK].enabled && ipc_socketpair(p.events, LINK_EVENTS_BUFSIZE) < 0) {
		log_err("cannot make the sensor's socket to the console link: %s", strerror(errno));
		goto fail;
	}

	while (!sig_stop) {
		struct pollfd pfd[1 + KID_N];
		int kid_i[KID_N];
		nfds_t n = 0;
		int ctl_i = -1, r;

		for (i = 0; i < KID_N; i++) {
			struct child *k = &p.kid[i];

			if (k->enabled && k->pid <= 0 &&
			    (k->restart_at_ms == 0 || mono_ms() >= k->restart_at_ms))
				spawn(&p, i);
		}
		if (p.prev_policy && mono_ms() >= p.confirm_deadline_ms)
			revert(&p);
		for (i = 0; i < KID_N; i++) {
			kid_i[i] = -1;
			if (p.kid[i].ipc < 0)
				continue;
			pfd[n].fd = p.kid[i].ipc;
			pfd[n].events = POLLIN;
			kid_i[i] = (int)n++;
		}
		if (control_poll_fd(&p.ctl) >= 0) {
			pfd[n].fd = control_poll_fd(&p.ctl);
			pfd[n].events = POLLIN;
			ctl_i = (int)n++;
		}
		{
			int t = wait_ms(&p);
			struct timespec ts = { t / 1000, (long)(t % 1000) * 1000000L };

			r = ppoll(pfd, n, &ts, &waitmask);
		}
		sdn_watchdog();
		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (sig_chld) {
			sig_chld = 0;
			reap(&p);
		}
		if (sig_stop)
			break;
		if (r > 0 && kid_i[KID_SENSOR] >= 0 && p.kid[KID_SENSOR].ipc >= 0 &&
		    pfd[kid_i[KID_SENSOR]].revents)
			serve_sensor(&p);
		if (r > 0 && kid_i[KID_LINK] >= 0 && p.kid[KID_LINK].ipc >= 0 &&
		    pfd[kid_i[KID_LINK]].revents)
			serve_link(&p);
		if (r > 0 && kid_i[KID_RELAY] >= 0 && p.kid[KID_RELAY].ipc >= 0 &&
		    pfd[kid_i[KID_RELAY]].revents)
			serve_relay(&p);
		if (ctl_i >= 0)
			control_handle(&p.ctl, r > 0 ? pfd[ctl_i].revents : 0, on_request, &p);
		if (sig_hup) {
			sig_hup = 0;
			do_reload(&p, 0, "SIGHUP", NULL, 0);
		}
		if (sig_usr2) {
			sig_usr2 = 0;
			reopen_eve(&p, "SIGUSR2", NULL, 0);
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			if (p.kid[KID_SENSOR].pid > 0 &&
			    signal_child(p.kid[KID_SENSOR].pid, SIGUSR1) < 0)
				log_warn("cannot signal sensor (pid %d): %s",
					 (int)p.kid[KID_SENSOR].pid, strerror(errno));
		}
	}

	log_info("stopping; table inet %s stays in force", NFT_TABLE);
	sdn_stopping();
	/* The sensor first: the link then stores the last events it wrote. */
	for (i = 0; i < KID_N; i++) {
		stop_child(&p, &p.kid[i]);
		close_ipc(&p.kid[i]);
	}
	for (i = 0; i < 2; i++) {
		if (p.events[i] >= 0)
			close(p.events[i]);
		if (p.pkt[i] >= 0)
			close(p.pkt[i]);
	}
	control_close(&p.ctl);
	policy_free(p.prev_policy);
	polstats_free(&p.pstats);
	nft_close(p.nft);
	return 0;
fail:
	for (i = 0; i < 2; i++)
		if (p.pkt[i] >= 0)
			close(p.pkt[i]);
	control_close(&p.ctl);
	polstats_free(&p.pstats);
	nft_close(p.nft);
	return 1;
}
