/*
 * agent.c - see agent.h.
 */
#include "agent.h"
#include "ctlclient.h"
#include "errf.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agentcmd.h"
#include "sprobe.h"
#include "allow.h"
#include "backup.h"
#include "cfg.h"
#include "control.h"
#include "finding.h"
#include "log.h"
#include "mono.h"
#include "quarantine.h"
#include "num.h"
#include "pathesc.h"
#include "rules.h"
#include "scache.h"
#include "scanproc.h"
#include "scan.h"
#include "schedule.h"
#include "sdnotify.h"
#include "sensorlink.h"
#include "version.h"
#include "watch.h"

#define BUNDLE_MAX (64u << 20)          /* bytes of a rule bundle from the console */
#define CHANGED_MAX 10000               /* changed files waiting for their scan */
#define CHANGE_SETTLE_MS 500            /* a burst of writes becomes one scan */
#define SKIP_EVENTS_MAX 200             /* skipped files reported one by one, per scan */
#define RECENT_Q 64                     /* files quarantined lately, for their next findings */

enum job_kind { JOB_TREE, JOB_FILES, JOB_RULES };

struct job {
	enum job_kind kind;
	const char *why;                /* "scheduled", "on-demand", "on-change" */
	int64_t cmd_id;                 /* the console's command, 0: none */
	char **paths;                   /* tree roots or changed files */
	size_t n;
	char version[AGENTCMD_VERSION_LEN + 1];    /* JOB_RULES */
	unsigned cpu;                   /* JOB_TREE not scheduled: its ceiling, 0: none */
	struct job *next;
};

struct recent {
	char path[PATH_MAX];
	char id[QUARANTINE_ID_SIZE];
};

struct agent {
	const struct agent_conf *c;
	char host[256];
	struct sensorlink *link;
	struct sprobe *probes;             /* probe checks the console assigned (sprobe.h) */
	struct scache *cache;
	struct quarantine *q;
	struct watch *w;
	struct control ctl;

	pthread_mutex_t mu;             /* everything below */
	pthread_cond_t cv;
	pthread_mutex_t qmu;            /* the quarantine and recent[] */
	struct scanproc *sp;            /* the scanning child; the job thread's (and start's) */
	struct scanproc_rules rules;    /* the set in use (its gen in sp) */
	struct job *jobs, **jobs_tail;
	int busy;                       /* the job thread runs a job */
	int tree_queued;                /* a scheduled or on-change tree scan is queued */
	char **changed;                 /* files changed, not yet queued */
	size_t n_changed;
	uint64_t changed_since_ms;
	uint64_t changed_dropped;       /* over CHANGED_MAX: a tree scan instead */
	struct sensorlink_stats lst;
	struct scan_summary last;       /* the last tree scan */
	char last_kind[16];
	int64_t last_end;               /* its end, seconds since the epoch; 0: none yet */
	struct recent recent[RECENT_Q];
	unsigned recent_next;
	uint64_t findings, quarantined, quarantine_failed, emit_failed, rules_updates;
	uint64_t allowed;               /* matches on allowlisted files: no finding */
	uint64_t child_failures;        /* scanning children that died or misbehaved */
	uint64_t child_restarts;        /* scanning children started after a failure */
	char child_user[64];            /* the user it scans as */
	unsigned child_first_tasks;     /* threads of this process when the first started */
	struct allow *allow;            /* under qmu; swapped whole on a push */
	char spool_damage[512];
	char rules_error[512];

	struct backups *backups;        /* the backup checks' thread (backup.h); NULL: none */
	volatile int stop_jobs;         /* the job thread and scans end */
	int64_t started;
};

static volatile sig_atomic_t sig_stop;

static void on_signal(int sig)
{
	(void)sig;
	sig_stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- events out ----------------------------------------------------------- */

/* Into the spool; findings are on disk when this returns. */
static void emit(struct agent *a, const char *json, size_t len, bool durable)
{
	char err[512];

	if (sensorlink_append(a->link, json, len, durable, err, sizeof(err)) < 0) {
		pthread_mutex_lock(&a->mu);
		a->emit_failed++;
		pthread_mutex_unlock(&a->mu);
		log_err("event not stored: %s", err);
	}
}

static void emit_json(struct agent *a, json_t *ev, bool durable)
{
	char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

	if (s)
		emit(a, s, strlen(s), durable);
	else
		log_err("event not stored: out of memory");
	free(s);
	json_decref(ev);
}

/*
 * Text that may hold file names (error messages) as a JSON string: as it
 * is when it is UTF-8, else its display form (pathesc.h); jansson refuses
 * strings that are not UTF-8, and the event would be lost.
 */
static json_t *jtext(const char *s)
{
	char shown[4096];

	if (pathesc_utf8(s))
		return json_string(s);
	if (pathesc_display(s, shown, sizeof(shown)) < 0)
		snprintf(shown, sizeof(shown), "(text of %zu bytes, not UTF-8)", strlen(s));
	return json_string(shown);
}

/* The display form of text (pathesc.h) into out, cut to fit: for kastroctl. */
static void shown_text(const char *text, char *out, size_t outlen)
{
	char cut[512];
	size_t n = outlen / PATHESC_RATIO < sizeof(cut) ? outlen / PATHESC_RATIO : sizeof(cut);

	if (pathesc_display(text, out, outlen) >= 0)
		return;
	n = n > 0 ? strnlen(text, n - 1) : 0;
	memcpy(cut, text, n);
	cut[n] = '\0';
	if (pathesc_display(cut, out, outlen) < 0)
		out[0] = '\0';
}

/* "path" into o, losslessly: with "path_b64" when it is not UTF-8. */
static void set_path(json_t *o, const char *path)
{
	char shown[PATHESC_RATIO * PATH_MAX + 1], b64[4 * (PATH_MAX / 3 + 1) + 1];

	if (pathesc_utf8(path)) {
		json_object_set_new(o, "path", json_string(path));
		return;
	}
	if (pathesc_display(path, shown, sizeof(shown)) < 0 ||
	    pathesc_b64(path, b64, sizeof(b64)) < 0) {
		json_object_set_new(o, "path", json_string("(longer than PATH_MAX)"));
		return;
	}
	json_object_set_new(o, "path", json_string(shown));
	json_object_set_new(o, "path_b64", json_string(b64));
}

/* {"timestamp", "event_type": type, "host"} to add to. */
static json_t *event_new(struct agent *a, const char *type)
{
	char ts[FINDING_TIME_LEN];

	finding_time(now_ns(), ts);
	return json_pack("{s:s,s:s,s:s}", "timestamp", ts, "event_type", type, "host", a->host);
}

/* A backup check's event (backup.h): durable, as findings are. */
static void backup_event(void *arg, json_t *ev)
{
	emit_json(arg, ev, true);
}

/* An agent_notice: something an officer should know (damage, errors). */
static void notice(struct agent *a, const char *what, const char *text)
{
	json_t *ev = event_new(a, "agent_notice");

	if (ev)
		json_object_set_new(ev, "notice", json_pack("{s:s,s:o}", "what", what, "text",
							    jtext(text)));
	emit_json(a, ev, true);
}

/* ---- scanning ------------------------------------------------------------- */

struct scanctx {
	struct agent *a;
	unsigned skips_sent;            /* under a->mu */
};

static bool wants_quarantine(const struct agent *a, const struct finding *f)
{
	const struct agent_conf *c = a->c;
	int sev = f->severity ? f->severity : finding_severity(f->meta, f->nmeta);

	if (!a->q)
		return false;
	if (c->quarantine_severity && sev >= 1 && (uint32_t)sev <= c->quarantine_severity)
		return true;
	for (int i = 0; i < c->quarantine_tags.n; i++)
		for (size_t k = 0; k < f->ntags; k++)
			if (strcmp(c->quarantine_tags.v[i], f->tags[k]) == 0)
				return true;
	return false;
}

/* Quarantine the file of f when the configuration says so; its id into qid. */
static const char *maybe_quarantine(struct agent *a, const struct finding *f, char *qid,
				    char *why, size_t whylen)
{
	struct quarantine_item it;
	char rule[QUARANTINE_RULE_MAX], err[512];
	const char *action = "detected";

	qid[0] = why[0] = '\0';
	if (!wants_quarantine(a, f))
		return action;
	snprintf(rule, sizeof(rule), "%s:%s", f->ns ? f->ns : "default", f->rule);
	/* qmu, not mu: moving a large file must not hold up status and heartbeats */
	pthread_mutex_lock(&a->qmu);
	/* Another rule matched the same file a moment ago: it is in already. */
	for (unsigned i = 0; i < RECENT_Q; i++) {
		if (a->recent[i].id[0] && strcmp(a->recent[i].path, f->path) == 0) {
			snprintf(qid, QUARANTINE_ID_SIZE, "%s", a->recent[i].id);
			pthread_mutex_unlock(&a->qmu);
			return "quarantined";
		}
	}
	if (quarantine_put(a->q, f->path, rule, f->sha256, &it, err, sizeof(err)) == 0) {
		struct recent *r = &a->recent[a->recent_next++ % RECENT_Q];

		snprintf(r->path, sizeof(r->path), "%s", f->path);
		snprintf(r->id, sizeof(r->id), "%s", it.id);
		snprintf(qid, QUARANTINE_ID_SIZE, "%s", it.id);
		action = "quarantined";
		log_warn("quarantined %s (rule %s) as %s", f->path, f->rule, it.id);
	} else {
		snprintf(why, whylen, "%s", err);
		action = "quarantine-failed";
		log_err("cannot quarantine %s (rule %s): %s", f->path, f->rule, err);
	}
	pthread_mutex_unlock(&a->qmu);
	pthread_mutex_lock(&a->mu);
	if (qid[0])
		a->quarantined++;
	else
		a->quarantine_failed++;
	pthread_mutex_unlock(&a->mu);
	return action;
}

/*
 * A finding from the scanning child (scanproc.h): f holds what the child
 * sent (rule, namespace, tags, path, sha256, severity); json is its
 * finding event, which gets this host's name and the time of now.
 */
static void on_finding(void *arg, const struct finding *f, const char *json)
{
	struct scanctx *sc = arg;
	struct agent *a = sc->a;
	char qid[QUARANTINE_ID_SIZE], why[512], ts[FINDING_TIME_LEN];
	const char *action, *kind;
	json_t *ev, *fo;

	pthread_mutex_lock(&a->qmu);
	kind = allow_match(a->allow, f->path, f->sha256);
	pthread_mutex_unlock(&a->qmu);
	if (kind != NULL) {
		pthread_mutex_lock(&a->mu);
		a->allowed++;
		pthread_mutex_unlock(&a->mu);
		log_info("allowed by %s: rule %s matches %s; no finding, not quarantined", kind,
			 f->rule, f->path);
		return;
	}
	ev = json_loads(json, 0, NULL);
	fo = json_object_get(ev, "finding");
	if (!ev || !json_is_object(fo)) {
		log_err("finding %s in %s: the scanning child's event is not JSON", f->rule, f->path);
		json_decref(ev);
		return;
	}
	action = maybe_quarantine(a, f, qid, why, sizeof(why));
	finding_time(now_ns(), ts);
	json_object_set_new(ev, "timestamp", json_string(ts));
	json_object_set_new(ev, "host", json_string(a->host));
	json_object_set_new(fo, "action", json_string(action));
	if (qid[0])
		json_object_set_new(fo, "quarantine_id", json_string(qid));
	if (why[0])
		json_object_set_new(fo, "quarantine_error", jtext(why));
	pthread_mutex_lock(&a->mu);
	a->findings++;
	pthread_mutex_unlock(&a->mu);
	log_warn("finding: rule %s matches %s (%s)", f->rule, f->path, action);
	emit_json(a, ev, true);
}

/* Skips an officer should see (not the ones by design: excluded, symlinks,
 * special files, other file systems), one by one up to a bound per scan. */
static void on_skip(void *arg, const char *path, enum scan_skip why, const char *detail)
{
	struct scanctx *sc = arg;
	struct agent *a = sc->a;
	json_t *ev;
	bool send;

	if (why == SCAN_SKIP_EXCLUDED || why == SCAN_SKIP_SYMLINK || why == SCAN_SKIP_SPECIAL ||
	    why == SCAN_SKIP_OTHER_FS)
		return;
	pthread_mutex_lock(&a->mu);
	send = sc->skips_sent < SKIP_EVENTS_MAX;
	if (send)
		sc->skips_sent++;
	pthread_mutex_unlock(&a->mu);
	if (!send)
		return;
	ev = event_new(a, "scan_skip");
	if (ev) {
		json_t *sk = json_pack("{s:s,s:o}", "reason", scan_skip_name(why), "detail",
				       jtext(detail ? detail : ""));

		if (sk)
			set_path(sk, path);
		json_object_set_new(ev, "skip", sk);
	}
	emit_json(a, ev, false);
}

/* cpu: the ceiling in % of one core, 0: none (then no low priority either) */
static void scan_opts(struct agent *a, struct scan_options *o, struct scanctx *sc, unsigned cpu)
{
	const struct agent_conf *c = a->c;

	memset(o, 0, sizeof(*o));
	o->threads = c->threads;
	o->max_size = c->max_size;
	o->timeout = c->file_timeout;
	o->include = (const char *const *)c->scan_include.v;
	o->ninclude = (size_t)c->scan_include.n;
	o->exclude = (const char *const *)c->scan_exclude.v;
	o->nexclude = (size_t)c->scan_exclude.n;
	o->cross_fs = c->cross_fs;
	o->cpu_percent = cpu;
	o->low_priority = cpu > 0;
	o->cache = a->cache;
	o->stop = &a->stop_jobs;
	o->on_finding = NULL;           /* the scanning child's (scanproc.h) */
	o->on_skip = NULL;
	o->arg = sc;
}

/* The generation of the rules in use (only the job thread changes it). */
static uint32_t rules_now(struct agent *a)
{
	uint32_t gen;

	pthread_mutex_lock(&a->mu);
	gen = a->rules.gen;
	pthread_mutex_unlock(&a->mu);
	return gen;
}

/*
 * Run the scan in the scanning child (scanproc.h); the findings, skips and
 * cache entries it reports are handled here, in the job thread. A child
 * that dies or hangs is logged and counted; scanproc restarts it and runs
 * the scan once more.
 */
static int scan_in_child(struct agent *a, struct scanctx *sc, uint32_t gen,
			 const char *const *roots, size_t nroots, const struct scan_options *o,
			 struct scan_summary *sum, char *err, size_t errlen)
{
	struct scanproc_cb cb = { .finding = on_finding, .skip = on_skip, .arg = sc,
				  .cache = a->cache, .stop = &a->stop_jobs, .host = a->host };
	int rc;

	rc = scanproc_scan(a->sp, gen, roots, nroots, o, &cb, sum, err, errlen);
	if (cb.failures > 0) {
		log_err("%s; %s", cb.failure, rc == 0 ? "a new scanning child ran the scan again" :
			cb.failures > 1 ? "it failed again in a new child" :
			"no new scanning child");
		pthread_mutex_lock(&a->mu);
		a->child_failures += cb.failures;
		a->child_restarts = scanproc_restarts(a->sp);
		pthread_mutex_unlock(&a->mu);
	}
	return rc;
}

/* The summary as the result of a command: the event's "scan" object. */
static json_t *summary_result(const char *json, long n)
{
	json_t *ev = n > 0 ? json_loadb(json, (size_t)n, 0, NULL) : NULL;
	json_t *s = json_incref(json_object_get(ev, "scan"));

	json_decref(ev);
	return s;
}

static void run_tree(struct agent *a, struct job *j)
{
	const struct agent_conf *c = a->c;
	struct scanctx sc = { .a = a };
	struct scan_options o;
	struct scan_summary sum;
	uint32_t gen = rules_now(a);
	const char *const *roots = (const char *const *)j->paths;
	size_t nroots = j->n;
	char err[512], *buf = malloc(FINDING_JSON_MAX);
	long n = -1;
	int rc;

	if (nroots == 0) {
		roots = (const char *const *)c->scan_paths.v;
		nroots = (size_t)c->scan_paths.n;
	}
	scan_opts(a, &o, &sc, strcmp(j->why, "scheduled") == 0 ? a->c->cpu_percent : j->cpu);
	log_info("%s scan of %zu path(s) starts (rules %.12s)", j->why, nroots, a->rules.version);
	rc = scan_in_child(a, &sc, gen, roots, nroots, &o, &sum, err, sizeof(err));
	if (rc < 0)
		log_err("%s scan: %s", j->why, err);
	if (a->cache && scache_save(a->cache, err, sizeof(err)) < 0)
		log_warn("scan cache: %s", err);
	if (buf)
		n = finding_summary_json(&sum, j->why, a->host, now_ns(), buf, FINDING_JSON_MAX, err,
					 sizeof(err));
	if (n > 0)
		emit(a, buf, (size_t)n, false);
	log_info("%s scan done: %llu files, %llu scanned, %llu from the cache, %llu skipped, "
		 "%llu findings, %.1f%% CPU in %.1f s", j->why,
		 (unsigned long long)sum.files_seen, (unsigned long long)sum.scanned,
		 (unsigned long long)sum.cache_hits, (unsigned long long)sum.skipped,
		 (unsigned long long)sum.findings, sum.cpu_percent, (double)sum.wall_ns / 1e9);
	pthread_mutex_lock(&a->mu);
	a->last = sum;
	snprintf(a->last_kind, sizeof(a->last_kind), "%s", j->why);
	a->last_end = now_ns() / 1000000000;
	pthread_mutex_unlock(&a->mu);
	if (j->cmd_id) {
		if (rc < 0)
			sensorlink_answer(a->link, j->cmd_id, false, linkp_error("%s", err));
		else
			sensorlink_answer(a->link, j->cmd_id, true, n > 0 ? summary_result(buf, n) : NULL);
	}
	free(buf);
}

static void run_files(struct agent *a, struct job *j)
{
	struct scanctx sc = { .a = a };
	struct scan_options o;
	struct scan_summary sum;
	uint32_t gen = rules_now(a);
	char err[512];

	scan_opts(a, &o, &sc, 0);
	if (scan_in_child(a, &sc, gen, (const char *const *)j->paths, j->n, &o, &sum, err,
			  sizeof(err)) < 0)
		log_err("on-change scan: %s", err);
	if (a->cache && scache_save(a->cache, err, sizeof(err)) < 0)
		log_warn("scan cache: %s", err);
	log_info("on-change scan: %zu file(s), %llu scanned, %llu findings", j->n,
		 (unsigned long long)sum.scanned, (unsigned long long)sum.findings);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(p);
	else
		(void)unlink(p);
	return 0;
}

/* rm -r of a rules tree we wrote (symlinks are removed, never followed). */
static void remove_tree(const char *dir)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the directories of name (relative, checked) below root. */
static int make_parents(const char *root, const char *name, char *err, size_t errlen)
{
	char p[PATH_MAX + RULETREE_NAME_MAX + 8];
	size_t rl = strlen(root);
	int m = snprintf(p, sizeof(p), "%s/%s", root, name);

	if (m < 0 || (size_t)m >= sizeof(p)) {
		errf(err, errlen, "%s/%s: path too long", root, name);
		return -1;
	}
	for (char *c = p + rl + 1; (c = strchr(c, '/')) != NULL; c++) {
		*c = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			errf(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
		*c = '/';
	}
	return 0;
}

static int write_all(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t off = 0;

	if (fd < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w <= 0) {
			errf(err, errlen, "%s: %s", path, w < 0 ? strerror(errno) : "short write");
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Fetch bundle j->version, compile it, and put it in place of the rules in use. */
static int update_rules(struct agent *a, struct job *j, struct scanproc_rules *out, char *err,
			size_t errlen)
{
	char path[64 + AGENTCMD_VERSION_LEN], dnew[PATH_MAX], dcur[PATH_MAX], dold[PATH_MAX];
	char fp[PATH_MAX + RULETREE_NAME_MAX + 8], *body = NULL;
	struct agentcmd_file *files = NULL;
	uint32_t gen = 0;
	size_t len, n = 0;
	int rc = -1;

	snprintf(path, sizeof(path), "/sensor/v1/rules/%s", j->version);
	if (sensorlink_fetch(a->link, path, BUNDLE_MAX, &body, &len, err, errlen) < 0)
		return -1;
	if (agentcmd_bundle(body, len, j->version, &files, &n, err, errlen) < 0)
		goto out;
	snprintf(dnew, sizeof(dnew), "%s/rules.new", a->c->dir);
	snprintf(dcur, sizeof(dcur), "%s/rules", a->c->dir);
	snprintf(dold, sizeof(dold), "%s/rules.old", a->c->dir);
	remove_tree(dnew);
	if (mkdir(dnew, 0700) < 0) {
		snprintf(err, errlen, "%s: %s", dnew, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(fp, sizeof(fp), "%s/%s", dnew, files[i].name);
		if (make_parents(dnew, files[i].name, err, errlen) < 0 ||
		    write_all(fp, files[i].data, files[i].len, err, errlen) < 0)
			goto out;
	}
	/* compiled by the scanning child: the root process parses no rule text */
	if (scanproc_load(a->sp, dnew, out, err, errlen) < 0)
		goto out;
	gen = out->gen;
	if (strcmp(out->version, j->version) != 0) {
		snprintf(err, errlen, "bundle's files hash to %s, not %s", out->version,
			 j->version);
		goto out;
	}
	remove_tree(dold);
	if ((rename(dcur, dold) < 0 && errno != ENOENT) || rename(dnew, dcur) < 0) {
		snprintf(err, errlen, "cannot put %s in place: %s", dcur, strerror(errno));
		goto out;
	}
	remove_tree(dold);
	if (scanproc_move(a->sp, gen, dcur, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		remove_tree(dnew);
		scanproc_drop(a->sp, gen);
	}
	agentcmd_bundle_free(files, n);
	free(body);
	return rc;
}

static void run_rules(struct agent *a, struct job *j)
{
	static struct scanproc_rules r;
	uint32_t old;
	char err[PATH_MAX + 1024];

	if (update_rules(a, j, &r, err, sizeof(err)) < 0) {
		log_err("rules %.12s from the console refused: %s", j->version, err);
		pthread_mutex_lock(&a->mu);
		shown_text(err, a->rules_error, sizeof(a->rules_error));
		pthread_mutex_unlock(&a->mu);
		sensorlink_answer(a->link, j->cmd_id, false,
				  json_pack("{s:o,s:s}", "error", jtext(err), "rules_version",
					    a->rules.version));
		return;
	}
	pthread_mutex_lock(&a->mu);
	old = a->rules.gen;
	a->rules = r;
	a->rules_updates++;
	a->rules_error[0] = '\0';
	pthread_mutex_unlock(&a->mu);
	scanproc_drop(a->sp, old);
	log_info("rules %s in use: %u rules from %u files", r.version, r.rules, r.files);
	sensorlink_answer(a->link, j->cmd_id, true,
			  json_pack("{s:s,s:i,s:i}", "rules_version", r.version, "rules",
				    (int)r.rules, "files", (int)r.files));
}

static void job_free(struct job *j)
{
	for (size_t i = 0; j && i < j->n; i++)
		free(j->paths[i]);
	if (j)
		free(j->paths);
	free(j);
}

static void *job_thread(void *arg)
{
	struct agent *a = arg;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&a->mu);
		while (!a->jobs && !a->stop_jobs)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop_jobs) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		j = a->jobs;
		a->jobs = j->next;
		if (!a->jobs)
			a->jobs_tail = &a->jobs;
		if (j->kind == JOB_TREE && !j->cmd_id)
			a->tree_queued = 0;
		a->busy = 1;
		pthread_mutex_unlock(&a->mu);
		if (j->kind == JOB_TREE)
			run_tree(a, j);
		else if (j->kind == JOB_FILES)
			run_files(a, j);
		else
			run_rules(a, j);
		job_free(j);
		pthread_mutex_lock(&a->mu);
		a->busy = 0;
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

/* Queue a job (taking it over); under a->mu. */
static void queue_locked(struct agent *a, struct job *j)
{
	j->next = NULL;
	*a->jobs_tail = j;
	a->jobs_tail = &j->next;
	pthread_cond_signal(&a->cv);
}

static struct job *job_new(enum job_kind kind, const char *why, int64_t cmd_id,
			   const char *const *paths, size_t n)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->why = why;
	j->cmd_id = cmd_id;
	if (n) {
		j->paths = calloc(n, sizeof(*j->paths));
		if (!j->paths) {
			free(j);
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			j->paths[i] = strdup(paths[i]);
			if (!j->paths[i]) {
				j->n = i;
				job_free(j);
				return NULL;
			}
		}
		j->n = n;
	}
	return j;
}

/* A tree scan of the configured paths (or roots), unless one is queued. */
static void queue_tree(struct agent *a, const char *why, const char *const *roots, size_t n)
{
	struct job *j;

	pthread_mutex_lock(&a->mu);
	if (a->tree_queued) {
		pthread_mutex_unlock(&a->mu);
		return;
	}
	j = job_new(JOB_TREE, why, 0, roots, n);
	if (j) {
		a->tree_queued = 1;
		queue_locked(a, j);
	}
	pthread_mutex_unlock(&a->mu);
}

/* ---- commands from the console (in the link's thread) ------------------------ */

/* items of the quarantine per answer, to kastroctl or the console */
#define QLIST_PAGE 100

/* "quarantine": the console's view of this agent's quarantine. */
struct qjson {
	json_t *arr;
	uint64_t skip, given, total;
};

static int qjson_item(void *arg, const struct quarantine_item *it)
{
	struct qjson *l = arg;
	json_t *o;

	l->total++;
	if (l->skip > 0) {
		l->skip--;
		return 0;
	}
	if (l->given == QLIST_PAGE)
		return 0;       /* counted, not listed */
	o = json_pack("{s:s,s:I,s:s,s:s,s:I}", "id", it->id, "time", (json_int_t)it->time,
		      "sha256", it->sha256, "rule", it->rule, "size", (json_int_t)it->size);
	if (o == NULL)
		return 1;
	set_path(o, it->path);
	json_array_append_new(l->arr, o);
	l->given++;
	return 0;
}

/*
 * args {"action": "list", "from": N}: at most QLIST_PAGE items from the
 * N-th (oldest first), the total and the next "from" (null at the end);
 * {"action": "restore", "id": ID}: put it back, as kastroctl agent restore;
 * {"action": "delete", "id": ID}: delete it for good.
 */
static enum sensorlink_answer quarantine_command(struct agent *a, const struct linkp_cmd *c,
						 json_t **result)
{
	struct agentcmd_quarantine qa;
	char err[512];
	int rc;

	if (agentcmd_quarantine_args(c->args, &qa, err, sizeof(err)) < 0) {
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	if (!a->q) {
		*result = linkp_error("no quarantine configured");
		return SENSORLINK_FAILED;
	}
	if (qa.action == AGENTCMD_Q_LIST) {
		struct qjson l = { .arr = json_array(), .skip = qa.from };
		uint64_t next;

		pthread_mutex_lock(&a->qmu);
		quarantine_list(a->q, qjson_item, &l);
		pthread_mutex_unlock(&a->qmu);
		next = qa.from + l.given;
		*result = json_pack("{s:o,s:I,s:o}", "items", l.arr, "total", (json_int_t)l.total,
				    "next", next < l.total ? json_integer((json_int_t)next) :
				    json_null());
		return SENSORLINK_DONE;
	}
	pthread_mutex_lock(&a->qmu);
	rc = qa.action == AGENTCMD_Q_DELETE ? quarantine_delete(a->q, qa.id, err, sizeof(err)) :
					      quarantine_restore(a->q, qa.id, err, sizeof(err));
	for (unsigned i = 0; rc == 0 && i < RECENT_Q; i++)
		if (strcmp(a->recent[i].id, qa.id) == 0)
			a->recent[i].id[0] = '\0';
	pthread_mutex_unlock(&a->qmu);
	if (rc < 0) {
		*result = json_pack("{s:o}", "error", jtext(err));
		return SENSORLINK_FAILED;
	}
	log_warn("quarantined file %s %s on the console's request", qa.id,
		 qa.action == AGENTCMD_Q_DELETE ? "deleted" : "restored");
	*result = json_pack("{s:s}", qa.action == AGENTCMD_Q_DELETE ? "deleted" : "restored", qa.id);
	return SENSORLINK_DONE;
}

/*
 * "allow": the console's allowlist replaces the one it pushed before (the
 * configured entries stay), kept in DIR/allow.json for the next start.
 */
static enum sensorlink_answer allow_command(struct agent *a, const struct linkp_cmd *c,
					    json_t **result)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 48], err[512];
	char *text = c->args ? json_dumps(c->args, JSON_COMPACT) : strdup("{}");
	struct allow *nw, *old;
	size_t ns, np;

	if (text == NULL) {
		*result = linkp_error("out of memory");
		return SENSORLINK_FAILED;
	}
	if (allow_parse(text, strlen(text), &ns, &np, err, sizeof(err)) < 0 ||
	    (nw = allow_new(a->c, text, strlen(text), err, sizeof(err))) == NULL) {
		free(text);
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	snprintf(path, sizeof(path), "%s/allow.json", a->c->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (write_all(tmp, text, strlen(text), err, sizeof(err)) < 0 ||
	    (rename(tmp, path) < 0 && errf(err, sizeof(err), "%s: %s", path, strerror(errno)))) {
		(void)unlink(tmp);
		free(text);
		allow_free(nw);
		*result = linkp_error("allowlist not kept: %s", err);
		return SENSORLINK_FAILED;
	}
	free(text);
	pthread_mutex_lock(&a->qmu);
	old = a->allow;
	a->allow = nw;
	pthread_mutex_unlock(&a->qmu);
	allow_free(old);
	log_info("allowlist from the console: %zu sha256, %zu path globs (with agent.conf's: "
		 "%zu, %zu)", ns, np, allow_count_sha256(nw), allow_count_paths(nw));
	*result = json_pack("{s:I,s:I,s:I,s:I}", "sha256", (json_int_t)ns, "paths", (json_int_t)np,
			    "sha256_total", (json_int_t)allow_count_sha256(nw), "paths_total",
			    (json_int_t)allow_count_paths(nw));
	return SENSORLINK_DONE;
}

/*
 * "probes": the checks the console assigns to this host replace those it
 * assigned before; plugin checks name agent.conf's plugins, and the answer
 * lists the names agent.conf does not map.
 */
static enum sensorlink_answer probes_command(struct agent *a, const struct linkp_cmd *c,
					     json_t **result)
{
	struct sprobe_check *cs;
	json_t *unknown;
	char err[512];
	size_t n;

	if (sprobe_args(c->args, &cs, &n, err, sizeof(err)) < 0) {
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	unknown = json_array();
	for (size_t i = 0; i < n; i++) {
		bool known = cs[i].chk.kind != INV_CHK_PLUGIN;

		for (int k = 0; !known && k < a->c->plugin_names.n; k++)
			known = strcmp(a->c->plugin_names.v[k], cs[i].chk.name) == 0;
		if (!known)
			json_array_append_new(unknown, json_string(cs[i].chk.name));
	}
	if (sprobe_set(a->probes, cs, n, c->args, err, sizeof(err)) < 0) {
		json_decref(unknown);
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	log_info("probes: %zu checks from the console", n);
	if (json_array_size(unknown) > 0)
		log_warn("probes: %zu plugin checks name a plugin agent.conf does not map: they "
			 "give UNKNOWN", json_array_size(unknown));
	*result = json_pack("{s:I,s:o}", "checks", (json_int_t)n, "plugins_unknown", unknown);
	return SENSORLINK_DONE;
}

static enum sensorlink_answer on_command(void *arg, const struct linkp_cmd *c, json_t **result)
{
	struct agent *a = arg;
	struct job *j = NULL;
	char err[256];

	if (strcmp(c->type, "scan") == 0) {
		struct agentcmd_scan s;

		if (agentcmd_scan_args(c->args, &s, err, sizeof(err)) < 0) {
			*result = linkp_error("%s", err);
			return SENSORLINK_FAILED;
		}
		if (s.n == 0 && a->c->scan_paths.n == 0) {
			*result = linkp_error("scan: no paths given and none configured");
			return SENSORLINK_FAILED;
		}
		j = job_new(JOB_TREE, "on-demand", c->id, s.paths, s.n);
		/* the console's scans keep the configured ceiling unless they carry one */
		if (j)
			j->cpu = s.cpu < 0 ? a->c->cpu_percent : (unsigned)s.cpu;
	} else if (strcmp(c->type, "quarantine") == 0) {
		return quarantine_command(a, c, result);
	} else if (strcmp(c->type, "probes") == 0) {
		return probes_command(a, c, result);
	} else if (strcmp(c->type, "allow") == 0) {
		return allow_command(a, c, result);
	} else if (strcmp(c->type, "rules") == 0) {
		char v[AGENTCMD_VERSION_LEN + 1];

		if (agentcmd_rules_args(c->args, v, err, sizeof(err)) < 0) {
			*result = linkp_error("%s", err);
			return SENSORLINK_FAILED;
		}
		j = job_new(JOB_RULES, "rules", c->id, NULL, 0);
		if (j)
			memcpy(j->version, v, sizeof(v));
	} else {
		*result = linkp_error("unknown command \"%s\"", c->type);
		return SENSORLINK_FAILED;
	}
	if (!j) {
		*result = linkp_error("out of memory");
		return SENSORLINK_FAILED;
	}
	pthread_mutex_lock(&a->mu);
	queue_locked(a, j);
	pthread_mutex_unlock(&a->mu);
	return SENSORLINK_LATER;
}

static void on_tick(void *arg, const struct sensorlink_stats *st)
{
	struct agent *a = arg;

	pthread_mutex_lock(&a->mu);
	a->lst = *st;
	pthread_mutex_unlock(&a->mu);
}

static void *link_thread(void *arg)
{
	struct agent *a = arg;

	if (sensorlink_run(a->link) != 0)
		sig_stop = 1;
	return NULL;
}

/* ---- heartbeat ----------------------------------------------------------------- */

static json_t *addresses(void)
{
	struct ifaddrs *ifa, *i;
	json_t *arr = json_array();
	char buf[INET6_ADDRSTRLEN];

	if (!arr || getifaddrs(&ifa) < 0)
		return arr;
	for (i = ifa; i; i = i->ifa_next) {
		const void *p;

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			p = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			p = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, p, buf, sizeof(buf)))
			json_array_append_new(arr, json_string(buf));
	}
	freeifaddrs(ifa);
	return arr;
}

static void heartbeat(struct agent *a)
{
	struct scache_stats cs;
	struct quarantine_stats qs;
	struct watch_stats ws;
	struct utsname un;
	json_t *ev = event_new(a, "heartbeat"), *ag, *last = json_null();

	if (!ev)
		return;
	if (uname(&un) < 0)
		memset(&un, 0, sizeof(un));
	memset(&cs, 0, sizeof(cs));
	memset(&qs, 0, sizeof(qs));
	memset(&ws, 0, sizeof(ws));
	if (a->cache)
		scache_stats(a->cache, &cs);
	if (a->w)
		watch_stats(a->w, &ws);
	if (a->q) {
		pthread_mutex_lock(&a->qmu);
		quarantine_stats(a->q, &qs);
		pthread_mutex_unlock(&a->qmu);
	}
	pthread_mutex_lock(&a->mu);
	if (a->last_end)
		last = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "kind", a->last_kind, "end",
				 (json_int_t)a->last_end, "files_seen", (json_int_t)a->last.files_seen,
				 "scanned", (json_int_t)a->last.scanned, "cache_hits",
				 (json_int_t)a->last.cache_hits, "skipped", (json_int_t)a->last.skipped,
				 "findings", (json_int_t)a->last.findings, "errors",
				 (json_int_t)a->last.errors, "cpu_percent", a->last.cpu_percent);
	ag = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:i,s:s,s:I,s:o,s:I,s:I,s:I}",
		       "agent_version", KASTRO_VERSION, "os", un.sysname, "os_release", un.release,
		       "arch", un.machine, "addresses", addresses(), "rules_version",
		       a->rules.version, "rules", (int)a->rules.rules, "rules_error",
		       a->rules_error, "uptime_s", (json_int_t)(now_ns() / 1000000000 - a->started),
		       "last_scan", last, "findings", (json_int_t)a->findings, "quarantined",
		       (json_int_t)a->quarantined, "busy", (json_int_t)a->busy);
	if (ag) {
		json_object_set_new(ag, "spool", json_pack("{s:I,s:I,s:I,s:s}", "pending",
			(json_int_t)a->lst.pending, "dropped", (json_int_t)a->lst.spool_dropped,
			"unstored", (json_int_t)a->emit_failed, "damage", a->spool_damage));
		json_object_set_new(ag, "cache", json_pack("{s:I,s:I,s:I,s:I}", "entries",
			(json_int_t)cs.entries, "hits", (json_int_t)cs.hits, "misses",
			(json_int_t)cs.misses, "evictions", (json_int_t)cs.evictions));
		json_object_set_new(ag, "quarantine", json_pack("{s:I,s:I}", "items",
			(json_int_t)qs.items, "failed", (json_int_t)a->quarantine_failed));
		json_object_set_new(ag, "watch", json_pack("{s:I,s:I,s:I,s:I}", "watches",
			(json_int_t)ws.watches, "not_watched", (json_int_t)(ws.limit_hits + ws.enospc +
			ws.add_errors), "overflows", (json_int_t)ws.overflows, "changed_dropped",
			(json_int_t)a->changed_dropped));
	}
	pthread_mutex_unlock(&a->mu);
	json_object_set_new(ev, "agent", ag ? ag : json_object());
	emit_json(a, ev, false);
}

/* ---- changed files (main thread) ----------------------------------------------- */

static void on_changed(void *arg, const char *path)
{
	struct agent *a = arg;
	char **grown, *p;

	if (a->n_changed >= CHANGED_MAX) {
		a->changed_dropped++;
		return;
	}
	for (size_t i = 0; i < a->n_changed; i++)
		if (strcmp(a->changed[i], path) == 0)
			return;
	p = strdup(path);
	grown = p ? realloc(a->changed, (a->n_changed + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(p);
		a->changed_dropped++;
		return;
	}
	a->changed = grown;
	a->changed[a->n_changed++] = p;
	if (a->n_changed == 1)
		a->changed_since_ms = mono_ms();
}

static void flush_changed(struct agent *a)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	j->kind = JOB_FILES;
	j->why = "on-change";
	j->paths = a->changed;
	j->n = a->n_changed;
	a->changed = NULL;
	a->n_changed = 0;
	pthread_mutex_lock(&a->mu);
	queue_locked(a, j);
	pthread_mutex_unlock(&a->mu);
}

static void read_watch(struct agent *a)
{
	unsigned flags = 0;
	char err[256];
	uint64_t dropped = a->changed_dropped;

	if (watch_read(a->w, on_changed, a, &flags, err, sizeof(err)) < 0)
		log_warn("watch: %s", err);
	if ((flags & WATCH_LOST) || a->changed_dropped != dropped) {
		log_warn("watch: changes were lost; rescanning the watched trees");
		queue_tree(a, "on-change", (const char *const *)a->c->watch.v,
			   (size_t)a->c->watch.n);
	}
}

/* ---- control socket ----------------------------------------------------------- */

/*
 * `quarantined [FROM]`: items FROM.. (oldest first), at most QLIST_PAGE per
 * answer; a page that stops before the end says "more: quarantined N"
 * (control.h), so kastroctl prints every item however many there are.
 * Paths are shown in their display form (pathesc.h): a name with a newline
 * cannot forge a line.
 */
struct qlist {
	char *p;
	size_t left;
	uint64_t skip, n, given;
	bool more;
};

static int list_item(void *arg, const struct quarantine_item *it)
{
	struct qlist *l = arg;
	char shown[PATHESC_RATIO * PATH_MAX + 1];
	int w;

	if (l->skip > 0) {
		l->skip--;
		return 0;
	}
	/* room for this item and for the "more" line after it */
	if (l->given == QLIST_PAGE || pathesc_display(it->path, shown, sizeof(shown)) < 0) {
		l->more = true;
		return 1;
	}
	w = snprintf(l->p, l->left, "\n%s %lld %s %s %s", it->id, (long long)it->time,
		     it->sha256, it->rule, shown);
	if (w < 0 || (size_t)w + 64 >= l->left) {
		*l->p = '\0';
		l->more = true;
		return 1;
	}
	l->p += w;
	l->left -= (size_t)w;
	l->given++;
	return 0;
}

/*
 * Every request the agent answers, classified: the read-only ones are open
 * to group kastro too, the rest are root's (lib/control.h). A request not
 * listed here never reaches on_control.
 */
static const struct control_cmd agent_cmds[] = {
	{ "status", NULL, CONTROL_READ },
	{ "quarantined", NULL, CONTROL_READ },
	{ "scan", NULL, CONTROL_CHANGE },
	{ "restore", NULL, CONTROL_CHANGE },
};

static void on_control(void *ctx, const char *line, char *ans, size_t anslen)
{
	struct agent *a = ctx;
	char buf[CONTROL_LINE_MAX + 1], *w[4], err[512];
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = control_split(buf, w, 4);
	if (n == 1 && strcmp(w[0], "status") == 0) {
		size_t as, ap, o;
		uint64_t bruns, bfailed;
		int bn;

		pthread_mutex_lock(&a->qmu);
		as = allow_count_sha256(a->allow);
		ap = allow_count_paths(a->allow);
		pthread_mutex_unlock(&a->qmu);
		backup_checks_counts(a->backups, &bn, &bruns, &bfailed);
		pthread_mutex_lock(&a->mu);
		o = (size_t)snprintf(ans, anslen, "ok\nallowed=%llu\nallow_sha256=%zu\nallow_paths=%zu"
				     "\nscan_child_failures=%llu\nscan_child_restarts=%llu"
				     "\nscan_child_user=%s\nscan_child_first_parent_threads=%u"
				     "\nbackups=%d\nbackup_checks=%llu\nbackup_checks_failed=%llu",
				     (unsigned long long)a->allowed, as, ap,
				     (unsigned long long)a->child_failures,
				     (unsigned long long)a->child_restarts, a->child_user,
				     a->child_first_tasks, bn, (unsigned long long)bruns,
				     (unsigned long long)bfailed);
		ans += o;
		anslen -= o;
		snprintf(ans, anslen,
			 "\npid=%d\nsensor_id=%s\nrules_version=%s\nrules=%u\nbusy=%d\nfindings=%llu\n"
			 "quarantined=%llu\nquarantine_failed=%llu\nlast_scan=%s\nlast_scan_end=%lld\n"
			 "last_scan_files=%llu\nlast_scan_scanned=%llu\nlast_scan_cache_hits=%llu\n"
			 "last_scan_cpu_percent=%.1f\nconsole_connected=%u\nspool_pending=%llu\n"
			 "spool_dropped=%llu\nevents_unstored=%llu\nrules_updates=%llu\nrules_error=%s",
			 (int)getpid(), sensorlink_sensor_id(a->link), a->rules.version,
			 a->rules.rules, a->busy, (unsigned long long)a->findings,
			 (unsigned long long)a->quarantined, (unsigned long long)a->quarantine_failed,
			 a->last_end ? a->last_kind : "none", (long long)a->last_end,
			 (unsigned long long)a->last.files_seen, (unsigned long long)a->last.scanned,
			 (unsigned long long)a->last.cache_hits, a->last.cpu_percent,
			 a->lst.connected, (unsigned long long)a->lst.pending,
			 (unsigned long long)a->lst.spool_dropped, (unsigned long long)a->emit_failed,
			 (unsigned long long)a->rules_updates, a->rules_error);
		pthread_mutex_unlock(&a->mu);
		if (a->probes != NULL) {
			size_t pc, k = strlen(ans);
			unsigned long long pr, pl;

			sprobe_counts(a->probes, &pc, &pr, &pl);
			if (k < anslen)
				snprintf(ans + k, anslen - k, "\nprobe_checks=%zu\nprobe_runs=%llu\n"
					 "probe_results_unstored=%llu", pc, pr, pl);
		}
		return;
	}
	if (n == 1 && strcmp(w[0], "scan") == 0) {
		if (a->c->scan_paths.n == 0) {
			snprintf(ans, anslen, "error: no scan paths configured");
			return;
		}
		queue_tree(a, "on-demand", NULL, 0);
		snprintf(ans, anslen, "ok\nqueued a scan of the configured paths");
		return;
	}
	if ((n == 1 || n == 2) && strcmp(w[0], "quarantined") == 0) {
		struct qlist l = { .p = ans + 2, .left = anslen - 2 };

		if (!a->q) {
			snprintf(ans, anslen, "error: no quarantine configured");
			return;
		}
		if (n == 2 && num_parse_u64(w[1], 0, UINT64_MAX, &l.skip) < 0) {
			snprintf(ans, anslen, "error: quarantined FROM: expected a number of items");
			return;
		}
		l.n = l.skip;
		snprintf(ans, anslen, "ok");
		pthread_mutex_lock(&a->qmu);
		quarantine_list(a->q, list_item, &l);
		pthread_mutex_unlock(&a->qmu);
		if (l.more)
			snprintf(l.p, l.left, "\n" CTLCLIENT_MORE "quarantined %llu",
				 (unsigned long long)(l.n + l.given));
		return;
	}
	if (n == 2 && strcmp(w[0], "restore") == 0) {
		int rc;

		if (!a->q) {
			snprintf(ans, anslen, "error: no quarantine configured");
			return;
		}
		pthread_mutex_lock(&a->qmu);
		rc = quarantine_restore(a->q, w[1], err, sizeof(err));
		/* the file is back: its next match is a new finding, not "in already" */
		for (unsigned i = 0; rc == 0 && i < RECENT_Q; i++)
			if (strcmp(a->recent[i].id, w[1]) == 0)
				a->recent[i].id[0] = '\0';
		pthread_mutex_unlock(&a->qmu);
		if (rc < 0) {
			char shown[sizeof(err) * PATHESC_RATIO];

			shown_text(err, shown, sizeof(shown));
			snprintf(ans, anslen, "error: %s", shown);
			return;
		}
		log_warn("quarantined file %s restored on an officer's request", w[1]);
		snprintf(ans, anslen, "ok\nrestored %s", w[1]);
		return;
	}
	snprintf(ans, anslen, "error: unknown request; expected status, scan, quarantined "
		 "[FROM] or restore ID");
}

/* ---- start and stop --------------------------------------------------------------- */

static void quarantine_damage(void *arg, const char *msg)
{
	(void)arg;
	log_warn("quarantine: %s", msg);
}

static int start(struct agent *a, const char *control_path, char *err, size_t errlen)
{
	const struct agent_conf *c = a->c;
	char path[PATH_MAX + 32], warn[1024];
	struct stat st;

	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", c->dir, strerror(errno));
		return -1;
	}
	/* The scanning child first, while this process has no thread yet;
	 * it compiles the rules (scanproc.h). A bundle the console pushed
	 * takes the place of the configured rules. */
	snprintf(path, sizeof(path), "%s/scan.cache", c->dir);
	{
		struct scanproc_config pc = { .mem_max = scanproc_mem_for(c->threads, c->max_size),
					      .cache_path = path, .cache_entries = c->cache_entries };

		a->sp = scanproc_start(&pc, err, errlen);
		if (!a->sp)
			return -1;
		snprintf(a->child_user, sizeof(a->child_user), "%s", scanproc_user(a->sp));
		a->child_first_tasks = scanproc_parent_tasks(a->sp);
		log_info("scanning child (pid %d) runs as %s; this process had %u thread(s) when "
			 "it started", (int)scanproc_pid(a->sp), a->child_user, a->child_first_tasks);
	}
	snprintf(path, sizeof(path), "%s/rules", c->dir);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (scanproc_load(a->sp, path, &a->rules, err, errlen) < 0)
			log_err("rules pushed by the console (%s): %s; using %s", path, err, c->rules);
	}
	if (!a->rules.gen && scanproc_load(a->sp, c->rules, &a->rules, err, errlen) < 0)
		return -1;
	log_info("rules %s: %u rules from %u files", a->rules.version, a->rules.rules,
		 a->rules.files);
	snprintf(path, sizeof(path), "%s/scan.cache", c->dir);
	a->cache = scache_open(path, c->cache_entries, warn, sizeof(warn));
	if (!a->cache)
		return snprintf(err, errlen, "scan cache %s: %s", path, warn), -1;
	if (warn[0])
		log_warn("scan cache %s: %s", path, warn);
	if (c->quarantine_tags.n || c->quarantine_severity || stat(c->quarantine_dir, &st) == 0) {
		struct quarantine_config qc = { .report = quarantine_damage };

		a->q = quarantine_open(c->quarantine_dir, &qc, warn, sizeof(warn));
		if (!a->q)
			return snprintf(err, errlen, "quarantine: %s", warn), -1;
	}
	/* the allowlist: agent.conf's and what the console pushed last */
	{
		char *text = NULL, why[256];
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/allow.json", c->dir);
		if (cfg_read_file(path, ALLOW_MAX_TEXT, &text, &len, &st, why, sizeof(why)) < 0) {
			if (errno != ENOENT && strcmp(why, strerror(ENOENT)) != 0)
				log_err("allowlist from the console (%s): %s; using agent.conf's only",
					path, why);
			text = NULL;
		}
		a->allow = allow_new(c, text, len, warn, sizeof(warn));
		if (!a->allow && text != NULL) {
			log_err("allowlist from the console (%s): %s; using agent.conf's only", path,
				warn);
			a->allow = allow_new(c, NULL, 0, warn, sizeof(warn));
		}
		free(text);
		if (!a->allow)
			return snprintf(err, errlen, "allowlist: %s", warn), -1;
	}
	if (control_open(&a->ctl, control_path, err, errlen) < 0)
		return -1;
	control_set_commands(&a->ctl, agent_cmds, sizeof(agent_cmds) / sizeof(agent_cmds[0]));
	if (c->watch.n) {
		a->w = watch_open(0, err, errlen);
		if (!a->w)
			return -1;
		for (int i = 0; i < c->watch.n; i++) {
			int rc = watch_add_tree(a->w, c->watch.v[i], c->cross_fs, warn, sizeof(warn));

			if (rc != 0)
				log_warn("watch %s: %s", c->watch.v[i], warn);
		}
	}
	return 0;
}

int agent_run(const struct agent_conf *c, const struct bkc *bk, const char *control_path)
{
	static struct agent a;
	struct sensorlink_args la;
	struct sigaction sa;
	pthread_t link_tid, job_tid;
	char err[PATH_MAX + 2048], warn[1024];
	time_t next_sched, next_hb = 0;
	int rc = 0, have_link = 0, have_job = 0;

	memset(&a, 0, sizeof(a));
	a.c = c;
	a.ctl.lfd = a.ctl.cfd = -1;
	a.jobs_tail = &a.jobs;
	a.started = now_ns() / 1000000000;
	pthread_mutex_init(&a.mu, NULL);
	pthread_mutex_init(&a.qmu, NULL);
	pthread_cond_init(&a.cv, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (gethostname(a.host, sizeof(a.host)) < 0 || !a.host[0])
		snprintf(a.host, sizeof(a.host), "unknown");
	a.host[sizeof(a.host) - 1] = '\0';

	if (start(&a, control_path, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rc = 1;
		goto out;
	}
	memset(&la, 0, sizeof(la));
	la.program = "kastro-agent";
	la.host = c->console_host;
	la.port = c->console_port;
	la.dir = c->dir;
	la.proxy = c->proxy[0] ? c->proxy : NULL;
	la.spool_max = c->spool_max;
	la.events_fd = -1;
	la.watch_fd = -1;
	la.on_tick = on_tick;
	la.on_command = on_command;
	la.arg = &a;
	la.stop = &sig_stop;
	a.link = sensorlink_new(&la, warn, sizeof(warn), err, sizeof(err));
	if (!a.link) {
		log_err("%s", err);
		rc = 1;
		goto out;
	}
	if (warn[0]) {
		snprintf(a.spool_damage, sizeof(a.spool_damage), "%.500s", warn);
		log_warn("spool: %s", warn);
		notice(&a, "spool-damage", warn);
	}
	a.probes = sprobe_new(c->dir, c->plugin_names.v, c->plugin_cmds.v,
			  c->plugin_names.n < c->plugin_cmds.n ? c->plugin_names.n : c->plugin_cmds.n,
			  a.link, warn, sizeof(warn));
	if (a.probes == NULL || sprobe_start(a.probes) < 0) {
		log_err("probe checks: cannot start");
		rc = 1;
		goto out;
	}
	if (warn[0])
		log_warn("probe checks: %s", warn);
	sdn_init();     /* before the threads: it reads the environment */
	if (pthread_create(&job_tid, NULL, job_thread, &a) != 0 ||
	    !(have_job = 1) || pthread_create(&link_tid, NULL, link_thread, &a) != 0) {
		log_err("cannot start threads");
		rc = 1;
		goto out;
	}
	have_link = 1;
	a.backups = backup_checks_start(bk, c->dir, a.host, backup_event, &a, err, sizeof(err));
	if (a.backups == NULL && err[0] != '\0')
		log_err("backup checks: %s", err);
	else if (a.backups != NULL)
		log_info("backup checks: %d backup(s)", bk->n);
	log_info("kastro-agent %s running as sensor %s on %s", KASTRO_VERSION,
		 sensorlink_sensor_id(a.link), a.host);
	sdn_ready("enrolled; scans and watches running");
	next_sched = sched_next(c, time(NULL));

	while (!sig_stop) {
		struct pollfd pfd[2];
		time_t now = time(NULL);
		int t = 1000, np = 0, ct;

		if (now >= next_hb) {
			heartbeat(&a);
			next_hb = now + (time_t)c->heartbeat;
		}
		if (next_sched && now >= next_sched) {
			queue_tree(&a, "scheduled", NULL, 0);
			next_sched = sched_next(c, now);
		}
		if (a.n_changed && mono_ms() - a.changed_since_ms >= CHANGE_SETTLE_MS)
			flush_changed(&a);
		if (a.n_changed)
			t = CHANGE_SETTLE_MS;
		pfd[np].fd = control_poll_fd(&a.ctl);
		pfd[np++].events = POLLIN;
		if (a.w) {
			pfd[np].fd = watch_fd(a.w);
			pfd[np++].events = POLLIN;
		}
		ct = control_timeout_ms(&a.ctl);
		if (ct >= 0 && ct < t)
			t = ct;
		if (poll(pfd, (nfds_t)np, t) < 0 && errno != EINTR)
			break;
		sdn_watchdog();
		control_handle(&a.ctl, pfd[0].revents, on_control, &a);
		if (a.w && pfd[1].revents)
			read_watch(&a);
	}
	log_info("stopping");
	sdn_stopping();
out:
	backup_checks_stop(a.backups);
	pthread_mutex_lock(&a.mu);
	a.stop_jobs = 1;
	pthread_cond_broadcast(&a.cv);
	pthread_mutex_unlock(&a.mu);
	sig_stop = 1;
	if (have_job)
		pthread_join(job_tid, NULL);
	if (have_link)
		pthread_join(link_tid, NULL);
	while (a.jobs) {
		struct job *j = a.jobs;

		a.jobs = j->next;
		job_free(j);
	}
	for (size_t i = 0; i < a.n_changed; i++)
		free(a.changed[i]);
	free(a.changed);
	sprobe_free(a.probes);
	sensorlink_free(a.link);
	if (a.cache) {
		if (scache_save(a.cache, err, sizeof(err)) < 0)
			log_warn("scan cache: %s", err);
		scache_close(a.cache);
	}
	quarantine_close(a.q);
	allow_free(a.allow);
	watch_close(a.w);
	control_close(&a.ctl);
	scanproc_stop(a.sp);
	pthread_cond_destroy(&a.cv);
	pthread_mutex_destroy(&a.qmu);
	pthread_mutex_destroy(&a.mu);
	return rc;
}
