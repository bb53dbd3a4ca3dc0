/*
 * probes.c - see probes.h.
 *
 * Threads: a scheduler thread queues each check when it is due (waking at
 * the earliest due time, or when a result came back); PROBES_WORKERS
 * threads take them one at a time, run probe_run() and queue the result;
 * a pipe wakes the loop, which applies the results to the states and
 * writes them to the store. The scheduler does not wait for the loop, so
 * a loop busy writing results does not make checks start late. Each check is queued again only
 * after its result came back, so the queues never hold a check twice and
 * are bounded by the number of checks: the queue of due checks is a ring
 * of n slots.
 *
 * A check with `from "HOST"` is not run here: the sensor enrolled as HOST
 * runs it (sprobes.c sends the assignment) and its results come in as
 * events, applied by probes_sensor_result() to the same states.
 */
#include "probes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "console.h"
#include "errf.h"
#include "lathist.h"
#include "log.h"
#include "mono.h"
#include "plugin.h"
#include "store_services.h"
#include "svcalert_run.h"

struct pcheck {
	int svc, chk;                   /* indexes into the inventory in force */
	char name[INV_NAME_MAX];        /* the service's */
	char key[SVC_KEY_MAX];
	struct inv_check chk_copy;      /* what a worker runs (copied under mu) */
	bool gone;                      /* left the inventory while running: freed when drained */
	uint64_t due_ms;                /* monotonic */
	bool busy;                      /* queued or running */
	bool known;                     /* a hard state is stored (from a run or the store) */
	bool remote;                    /* run by the sensor named in `from` */
	int64_t last_seq;               /* remote: the sensor's event sequence last applied */
	int64_t last_at;                /* remote: the time of the result last applied */
	struct probes_state st;
	struct probe_result res;        /* written by a worker while busy */
	int64_t since;                  /* of the current state */
	uint32_t cert_band;             /* tls: the warn figure last alerted under; 0 */
};

struct probes {
	struct console *c;
	struct pcheck **pc;             /* n, each its own allocation (a reload keeps them) */
	int n;
	int qcap;                       /* slots of due and done: n + PROBES_WORKERS */
	pthread_t th[PROBES_WORKERS];
	int n_th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t sched_cv;        /* a result back, or stop (CLOCK_MONOTONIC) */
	pthread_t sched;
	bool sched_up;
	struct pcheck **due;            /* a ring of qcap slots */
	int due_head, n_due;
	struct pcheck **done;           /* results back, for the loop */
	int n_done;
	bool stop;
	int wake[2];
	struct event *wake_ev, *timer;
	bool *svc_down;                 /* per service: a probe check in a hard CRITICAL */
	uint64_t runs;                  /* results applied */
	struct lathist late;            /* from due to taken by a worker (under mu) */
};

static const char *const flap_state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

bool probes_apply(struct probes_state *st, enum probe_state result, uint32_t retries,
		  bool unreachable)
{
	enum probe_state before = st->state;
	bool was_hard = st->hard, was_unreach = st->unreachable, changed;
	int changes = 0;

	/* flapping: state changes among the last results */
	if (st->n_ring == PROBES_FLAP_WINDOW)
		memmove(st->ring, st->ring + 1, PROBES_FLAP_WINDOW - 1);
	else
		st->n_ring++;
	st->ring[st->n_ring - 1] = (uint8_t)result;
	for (int i = 1; i < st->n_ring; i++)
		changes += st->ring[i] != st->ring[i - 1];
	if (st->n_ring == PROBES_FLAP_WINDOW) {
		int pct = changes * 100 / (PROBES_FLAP_WINDOW - 1);

		if (!st->flapping && pct > PROBES_FLAP_HIGH)
			st->flapping = true;
		else if (st->flapping && pct < PROBES_FLAP_LOW)
			st->flapping = false;
	}

	if (result == PROBE_OK) {
		st->state = PROBE_OK;
		st->hard = true;
		st->attempt = 0;
		st->unreachable = false;
	} else if (before == PROBE_OK || !st->hard) {
		st->attempt = before == PROBE_OK ? 1 : st->attempt + 1;
		st->state = result;
		st->hard = st->attempt >= retries;
		st->unreachable = unreachable;
	} else {
		st->state = result;     /* hard already: stays hard */
		st->unreachable = unreachable;
	}
	/* a soft problem only ever starts from a hard OK: its recovery is no news */
	if (!was_hard)
		changed = st->hard && st->state != PROBE_OK;
	else
		changed = st->hard && (before != st->state || was_unreach != st->unreachable);
	return changed;
}

bool probes_in_maintenance(const struct inv_service *sv, time_t now)
{
	struct tm tm;

	if (sv->n_maint == 0 || localtime_r(&now, &tm) == NULL)
		return false;
	for (int i = 0; i < sv->n_maint; i++) {
		const struct inv_maint *m = &sv->maint[i];
		int64_t start;

		if (m->kind == INV_MW_ONCE) {
			if ((int64_t)now >= m->start && (int64_t)now < m->start + m->length)
				return true;
			continue;
		}
		/* the window's start today, yesterday, ... back over its length */
		for (int back = 0; back <= (int)(m->length / 86400) + 7; back++) {
			struct tm d = tm;

			d.tm_mday -= back;
			d.tm_hour = m->minute / 60;
			d.tm_min = m->minute % 60;
			d.tm_sec = 0;
			d.tm_isdst = -1;
			start = (int64_t)mktime(&d);
			if (m->kind == INV_MW_WEEKLY) {
				struct tm chk;
				time_t t = (time_t)start;

				if (localtime_r(&t, &chk) == NULL || chk.tm_wday != m->wday)
					continue;
			}
			if ((int64_t)now >= start && (int64_t)now < start + m->length)
				return true;
		}
	}
	return false;
}

static bool is_probe(const struct inv_check *c)
{
	return c->kind != INV_CHK_PUSH;
}

static void *worker(void *arg)
{
	struct probes *p = arg;
	struct inv_check *chk = malloc(sizeof(*chk));
	struct probe_result res;

	if (chk == NULL)
		return NULL;
	for (;;) {
		struct pcheck *pc;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->n_due == 0)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			free(chk);
			return NULL;
		}
		pc = p->due[p->due_head];
		p->due_head = (p->due_head + 1) % p->qcap;
		p->n_due--;
		{
			uint64_t now = mono_ms(), due = pc->due_ms;

			lathist_add(&p->late, now > due ? (now - due) * 1000 : 0);
		}
		/* a reload may change the check meanwhile: this run is of this copy */
		*chk = pc->chk_copy;
		pthread_mutex_unlock(&p->mu);

		memset(&res, 0, sizeof(res));
		if (chk->kind == INV_CHK_PLUGIN)
			plugin_run(cconf_plugin(&p->c->conf, chk->name), chk->name, chk->timeout,
				   &res);
		else
			probe_run(chk, &res);

		pthread_mutex_lock(&p->mu);
		pc->res = res;
		p->done[p->n_done++] = pc;
		pthread_mutex_unlock(&p->mu);
		if (write(p->wake[1], "", 1) < 0 && errno != EAGAIN)
			continue;       /* the loop also drains on its timer */
	}
}

/* Is a push check of service o down (as the store says)? */
static bool push_down(struct probes *p, const struct inv_service *o)
{
	char key[SVC_KEY_MAX], err[128];
	struct svc_row r;

	for (int j = 0; j < o->n_checks; j++) {
		if (o->checks[j].kind != INV_CHK_PUSH)
			continue;
		svcstore_key(&o->checks[j], key);
		if (svcstore_get(p->c->store, o->name, key, &r, err, sizeof(err)) == 0 &&
		    strcmp(r.state, "down") == 0)
			return true;
	}
	return false;
}

/* Is any service sv depends on down (a probe in a hard CRITICAL, or a push check down)? */
static bool parent_down(struct probes *p, const struct inv_service *sv)
{
	const struct inventory *inv = p->c->conf.inv;

	for (int d = 0; d < sv->n_deps; d++) {
		const struct inv_service *o = inv_find(inv, sv->deps[d]);

		if (o != NULL && (p->svc_down[o - inv->svc] || push_down(p, o)))
			return true;
	}
	return false;
}

/* Recompute which services are down (probe checks and push checks). */
static void refresh_down(struct probes *p)
{
	const struct inventory *inv = p->c->conf.inv;

	memset(p->svc_down, 0, (size_t)inv->n * sizeof(bool));
	for (int i = 0; i < p->n; i++) {
		const struct pcheck *pc = p->pc[i];

		if (pc->st.hard && pc->st.state == PROBE_CRITICAL && !pc->st.unreachable)
			p->svc_down[pc->svc] = true;
	}
}

/* The smallest warn figure (days) the certificate is under; 0: none or no expiry known. */
static uint32_t cert_band(const struct inv_check *chk, const struct svc_row *r, int64_t now)
{
	uint32_t band = 0;

	if (r->cert_expiry <= 0)
		return 0;
	for (int i = 0; i < 3; i++)
		if (chk->warn_days[i] > 0 && r->cert_expiry - now < (int64_t)chk->warn_days[i] * 86400 &&
		    (band == 0 || chk->warn_days[i] < band))
			band = chk->warn_days[i];
	return band;
}

static void apply_result(struct probes *p, struct pcheck *pc, int64_t now)
{
	struct console *c = p->c;
	const struct inv_service *sv = &c->conf.inv->svc[pc->svc];
	const struct inv_check *chk = &sv->checks[pc->chk];
	bool unreach = pc->res.state != PROBE_OK && parent_down(p, sv);
	bool maint = probes_in_maintenance(sv, (time_t)now);
	bool changed = probes_apply(&pc->st, pc->res.state, chk->retries, unreach);
	bool first = !pc->known && pc->st.hard;
	struct svc_row r;
	char err[256];

	memset(&r, 0, sizeof(r));
	snprintf(r.service, sizeof(r.service), "%s", sv->name);
	memcpy(r.key, pc->key, sizeof(r.key));
	snprintf(r.state, sizeof(r.state), "%s", pc->st.unreachable ? "UNREACHABLE" :
		 flap_state_names[pc->st.state]);
	/* the first hard state goes into the history too; it is news only
	   when it is a problem */
	bool record = changed || first;

	if (first) {
		pc->known = true;
		changed = pc->st.state != PROBE_OK;
	}
	if (record)
		pc->since = now;
	r.since = pc->since;
	r.hard = pc->st.hard;
	r.attempt = (int)pc->st.attempt;
	r.last_check = now;
	r.ms = (int)pc->res.ms;
	snprintf(r.output, sizeof(r.output), "%s", pc->res.output);
	r.cert_expiry = pc->res.cert_expiry;
	r.flapping = pc->st.flapping;
	r.maintenance = maint;
	if (pc->res.state == PROBE_OK)
		r.last_ok = now;
	else {
		struct svc_row old;

		if (svcstore_get(c->store, sv->name, pc->key, &old, err, sizeof(err)) == 0)
			r.last_ok = old.last_ok;
	}
	if (svcstore_result(c->store, &r, record, err, sizeof(err)) < 0)
		log_err("service %s: %s", sv->name, err);
	if (changed) {
		refresh_down(p);
		if (pc->st.state == PROBE_OK)
			log_info("service %s: %s recovered: %s", sv->name, pc->key, r.output);
		else if (pc->st.unreachable || maint || pc->st.flapping)
			log_info("service %s: %s is %s%s%s (no alert): %s", sv->name, pc->key, r.state,
				 maint ? ", in maintenance" : "", pc->st.flapping ? ", flapping" : "",
				 r.output);
		else
			log_warn("service %s: %s is %s (hard): %s", sv->name, pc->key, r.state,
				 r.output);
		/* a tls check's certificate alerts come from its warn figures */
		if (chk->kind != INV_CHK_TLS || pc->st.state == PROBE_OK ||
		    cert_band(chk, &r, now) == 0)
			svcalert_state(c, sv, pc->key, r.state, r.output,
				       pc->st.unreachable || maint || pc->st.flapping, now);
	}
	if (chk->kind == INV_CHK_TLS && pc->st.hard && pc->st.state != PROBE_OK &&
	    !pc->st.unreachable && !maint && !pc->st.flapping) {
		uint32_t band = cert_band(chk, &r, now);

		if (band != 0 && band != pc->cert_band)
			svcalert_cert(c, sv, pc->key, band, r.state, r.output, now);
		pc->cert_band = band;
	} else if (pc->st.state == PROBE_OK)
		pc->cert_band = 0;
	/* a soft problem is retried sooner */
	pthread_mutex_lock(&p->mu);
	pc->due_ms = mono_ms() + 1000ull * (pc->st.hard ? chk->every : chk->retry_every);
	pc->busy = false;
	pthread_cond_signal(&p->sched_cv);
	pthread_mutex_unlock(&p->mu);
	p->runs++;
}

static void drain(struct probes *p)
{
	struct pcheck *got[64];
	int n;

	do {
		pthread_mutex_lock(&p->mu);
		n = p->n_done < 64 ? p->n_done : 64;
		memcpy(got, p->done, (size_t)n * sizeof(*got));
		memmove(p->done, p->done + n, (size_t)(p->n_done - n) * sizeof(*got));
		p->n_done -= n;
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < n; i++) {
			if (got[i]->gone) {     /* its check left the inventory while it ran */
				log_info("probes: %s of service %s finished after it left the "
					 "inventory: result dropped", got[i]->key, got[i]->name);
				free(got[i]);
			} else
				apply_result(p, got[i], (int64_t)console_now());
		}
	} while (n == 64);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	drain(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);     /* should a wake-up have been lost */
}

/* Queue the checks that are due; sleep until the next is, or a result came back. */
static void *scheduler(void *arg)
{
	struct probes *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		uint64_t now = mono_ms(), next = now + 1000;
		bool any = false;
		struct timespec until;

		for (int i = 0; i < p->n; i++) {
			struct pcheck *pc = p->pc[i];

			if (pc->remote || pc->busy)
				continue;
			if (pc->due_ms > now) {
				if (pc->due_ms < next)
					next = pc->due_ms;
				continue;
			}
			pc->busy = true;
			p->due[(p->due_head + p->n_due++) % p->qcap] = pc;
			any = true;
		}
		if (any)
			pthread_cond_broadcast(&p->cv);
		until.tv_sec = (time_t)(next / 1000);
		until.tv_nsec = (long)(next % 1000) * 1000000L;
		pthread_cond_timedwait(&p->sched_cv, &p->mu, &until);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The number of probe checks of inv. */
static int count_probes(const struct inventory *inv)
{
	int n = 0;

	for (int i = 0; inv != NULL && i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++)
			n += is_probe(&inv->svc[i].checks[j]);
	return n;
}

/* Over how long the first runs of n new checks are spread: a second, and a
 * second for each 100 checks, at most the shortest of their intervals. */
static uint64_t spread_of(const struct inventory *inv, int n, const bool *isnew)
{
	uint64_t spread_ms = n <= 100 ? 1000 : (uint64_t)n * 10;
	int k = 0;

	for (int i = 0; i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			const struct inv_check *chk = &inv->svc[i].checks[j];

			if (!is_probe(chk))
				continue;
			if ((isnew == NULL || isnew[k]) && spread_ms > 1000ull * chk->every)
				spread_ms = 1000ull * chk->every;
			k++;
		}
	return spread_ms;
}

/* A new check's state: the stored hard state when there is one (a restart,
 * or a check back in the inventory); first run at due_ms. NULL: out of memory. */
static struct pcheck *pcheck_new(struct console *c, const struct inventory *inv, int i, int j,
				 uint64_t due_ms)
{
	const struct inv_check *chk = &inv->svc[i].checks[j];
	struct pcheck *pc = calloc(1, sizeof(*pc));
	struct svc_row r;
	char e2[256];

	if (pc == NULL)
		return NULL;
	pc->svc = i;
	pc->chk = j;
	snprintf(pc->name, sizeof(pc->name), "%s", inv->svc[i].name);
	svcstore_key(chk, pc->key);
	pc->chk_copy = *chk;
	pc->remote = chk->from[0] != '\0';
	pc->st.state = PROBE_OK;
	pc->st.hard = true;
	pc->since = (int64_t)console_now();
	if (svcstore_get(c->store, inv->svc[i].name, pc->key, &r, e2, sizeof(e2)) == 0) {
		pc->since = r.since;
		for (int s = 0; s < 4; s++)
			if (strcmp(r.state, flap_state_names[s]) == 0 && r.hard) {
				pc->st.state = (enum probe_state)s;
				pc->known = true;
			}
	}
	pc->due_ms = due_ms;
	return pc;
}

static void free_parts(struct probes *p)
{
	for (int i = 0; p->pc != NULL && i < p->n; i++)
		free(p->pc[i]);
	free(p->pc);
	free(p->due);
	free(p->done);
	free(p->svc_down);
}

int probes_start(struct console *c, char *err, size_t errlen)
{
	const struct inventory *inv = c->conf.inv;
	struct timeval tv = { 0, 250000 };
	struct probes *p;
	int n = count_probes(inv), k = 0;
	uint64_t now = mono_ms(), spread_ms;

	if (n == 0)
		return 0;
	spread_ms = spread_of(inv, n, NULL);
	if (probe_global_init() < 0) {
		snprintf(err, errlen, "probes: libcurl does not start");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "probes: out of memory");
		return -1;
	}
	p->qcap = n + PROBES_WORKERS;
	if ((p->pc = calloc((size_t)n, sizeof(*p->pc))) == NULL ||
	    (p->due = calloc((size_t)p->qcap, sizeof(*p->due))) == NULL ||
	    (p->done = calloc((size_t)p->qcap, sizeof(*p->done))) == NULL ||
	    (p->svc_down = calloc((size_t)inv->n, sizeof(bool))) == NULL) {
		free_parts(p);
		free(p);
		snprintf(err, errlen, "probes: out of memory");
		return -1;
	}
	p->c = c;
	p->wake[0] = p->wake[1] = -1;
	for (int i = 0; i < inv->n; i++)
		for (int j = 0; j < inv->svc[i].n_checks; j++) {
			if (!is_probe(&inv->svc[i].checks[j]))
				continue;
			/* spread the first runs */
			p->pc[k] = pcheck_new(c, inv, i, j, now + (uint64_t)(k + 1) * spread_ms /
					      (uint64_t)n);
			if (p->pc[k] == NULL) {
				p->n = k;
				free_parts(p);
				free(p);
				snprintf(err, errlen, "probes: out of memory");
				return -1;
			}
			k++;
		}
	p->n = n;
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&p->sched_cv, &ca) != 0) {
		snprintf(err, errlen, "probes: cannot set up the scheduler");
		free_parts(p);
		free(p);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->cv, NULL) != 0 ||
	    pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "probes: cannot set up the workers");
		goto fail;
	}
	p->wake_ev = event_new(c->base, p->wake[0], EV_READ | EV_PERSIST, on_wake, p);
	p->timer = event_new(c->base, -1, EV_PERSIST, on_timer, p);
	if (p->wake_ev == NULL || p->timer == NULL || event_add(p->wake_ev, NULL) < 0 ||
	    event_add(p->timer, &tv) < 0) {
		snprintf(err, errlen, "probes: cannot start the timer");
		goto fail;
	}
	for (; p->n_th < PROBES_WORKERS; p->n_th++)
		if (pthread_create(&p->th[p->n_th], NULL, worker, p) != 0) {
			snprintf(err, errlen, "probes: cannot start a worker");
			goto fail;
		}
	if (pthread_create(&p->sched, NULL, scheduler, p) != 0) {
		snprintf(err, errlen, "probes: cannot start the scheduler");
		goto fail;
	}
	p->sched_up = true;
	c->probes = p;
	log_info("probes: %d checks on %d workers", n, PROBES_WORKERS);
	for (int i = 0; i < n; i++)
		if (p->pc[i]->remote) {
			log_info("probes: of them, some run from sensors (from \"HOST\")");
			break;
		}
	return 0;
fail:
	c->probes = p;
	probes_stop(c);
	return -1;
}

void probes_stop(struct console *c)
{
	struct probes *p = c->probes;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_cond_broadcast(&p->sched_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n_th; i++)
		pthread_join(p->th[i], NULL);
	if (p->sched_up)
		pthread_join(p->sched, NULL);
	if (p->wake_ev != NULL)
		event_free(p->wake_ev);
	if (p->timer != NULL)
		event_free(p->timer);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->sched_cv);
	/* results not applied: of checks that left the inventory, theirs alone */
	for (int i = 0; p->done != NULL && i < p->n_done; i++)
		if (p->done[i]->gone)
			free(p->done[i]);
	free_parts(p);
	free(p);
	c->probes = NULL;
}

/*
 * The new inventory's probe checks, matched to the running ones by
 * identity (service and key). Everything that can fail is done first; the
 * swap itself is under mu, so that the scheduler and the workers see the
 * old set or the new, never half of each.
 */
int probes_reload(struct console *c, const struct inventory *nw, struct probes_reload *out,
		  char *err, size_t errlen)
{
	struct probes *p = c->probes;
	int n = count_probes(nw), k = 0, n_new = 0, qcap;
	struct pcheck **pcs = NULL, **due = NULL, **done = NULL;
	bool *isnew = NULL, *kept = NULL, *down = NULL;
	uint64_t now = mono_ms(), spread_ms;

	memset(out, 0, sizeof(*out));
	if (p == NULL)
		return 0;       /* none ran: the caller starts them with the new inventory */
	if (nw == NULL)
		return errf(err, errlen, "probes: no inventory");
	/* results that came back apply to the inventory they ran for */
	drain(p);
	qcap = n + PROBES_WORKERS;
	if (qcap < p->qcap)
		qcap = p->qcap;
	if ((pcs = calloc((size_t)n + 1, sizeof(*pcs))) == NULL ||
	    (isnew = calloc((size_t)n + 1, sizeof(bool))) == NULL ||
	    (kept = calloc((size_t)p->n + 1, sizeof(bool))) == NULL ||
	    (down = calloc((size_t)nw->n + 1, sizeof(bool))) == NULL ||
	    (due = calloc((size_t)qcap, sizeof(*due))) == NULL ||
	    (done = calloc((size_t)qcap, sizeof(*done))) == NULL)
		goto oom;
	/* match by identity; what is not matched is new */
	for (int i = 0; i < nw->n; i++)
		for (int j = 0; j < nw->svc[i].n_checks; j++) {
			const struct inv_check *chk = &nw->svc[i].checks[j];
			char key[SVC_KEY_MAX];

			if (!is_probe(chk))
				continue;
			svcstore_key(chk, key);
			for (int o = 0; o < p->n; o++)
				if (!kept[o] && strcmp(p->pc[o]->key, key) == 0 &&
				    strcmp(p->pc[o]->name, nw->svc[i].name) == 0) {
					kept[o] = true;
					pcs[k] = p->pc[o];
					break;
				}
			if (pcs[k] == NULL) {
				isnew[k] = true;
				n_new++;
			}
			k++;
		}
	spread_ms = spread_of(nw, n_new > 0 ? n_new : 1, isnew);
	k = 0;
	for (int i = 0, m = 0; i < nw->n; i++)
		for (int j = 0; j < nw->svc[i].n_checks; j++) {
			if (!is_probe(&nw->svc[i].checks[j]))
				continue;
			if (isnew[k]) {
				/* its first run within its first `every`, spread as at start */
				m++;
				pcs[k] = pcheck_new(c, nw, i, j, now + (uint64_t)m * spread_ms /
						    (uint64_t)n_new);
				if (pcs[k] == NULL)
					goto oom;
			}
			k++;
		}

	pthread_mutex_lock(&p->mu);
	/* the queue of due checks without those that left (they are not running) */
	int nt = 0;

	for (int t = 0; t < p->n_due; t++) {
		struct pcheck *pc = p->due[(p->due_head + t) % p->qcap];
		bool stays = false;

		for (int o = 0; o < p->n; o++)
			if (p->pc[o] == pc) {
				stays = kept[o];
				break;
			}
		if (stays)
			due[nt++] = pc;
		else
			pc->busy = false;       /* freed below */
	}
	memcpy(done, p->done, (size_t)p->n_done * sizeof(*done));
	for (int o = 0; o < p->n; o++) {
		struct pcheck *pc = p->pc[o];

		if (kept[o])
			continue;
		out->removed++;
		if (pc->busy)
			pc->gone = true;        /* running or back: drain() frees it */
		else
			free(pc);
	}
	k = 0;
	for (int i = 0; i < nw->n; i++)
		for (int j = 0; j < nw->svc[i].n_checks; j++) {
			const struct inv_check *chk = &nw->svc[i].checks[j];
			struct pcheck *pc;

			if (!is_probe(chk))
				continue;
			pc = pcs[k];
			if (isnew[k++]) {
				out->added++;
				continue;
			}
			pc->svc = i;
			pc->chk = j;
			pc->chk_copy = *chk;
			out->kept++;
			/* a shorter interval takes hold now, not after the old one */
			if (!pc->busy && pc->due_ms > now + 1000ull * chk->every)
				pc->due_ms = now + 1000ull * chk->every;
		}
	free(p->pc);
	free(p->due);
	free(p->done);
	free(p->svc_down);
	p->pc = pcs;
	p->n = n;
	p->qcap = qcap;
	p->due = due;
	p->due_head = 0;
	p->n_due = nt;
	p->done = done;
	p->svc_down = down;
	pthread_cond_signal(&p->sched_cv);
	pthread_mutex_unlock(&p->mu);
	free(isnew);
	free(kept);
	return 0;
oom:
	for (int i = 0; pcs != NULL && isnew != NULL && i < n; i++)
		if (isnew[i])
			free(pcs[i]);
	free(pcs);
	free(isnew);
	free(kept);
	free(down);
	free(due);
	free(done);
	snprintf(err, errlen, "probes: out of memory");
	return -1;
}

/* After the inventory in force changed (the loop's thread): which services are down. */
void probes_reloaded(struct console *c)
{
	if (c->probes != NULL)
		refresh_down(c->probes);
}

void probes_lateness(const struct console *c, uint64_t *p50_ms, uint64_t *p99_ms,
		     uint64_t *max_ms)
{
	struct probes *p = c->probes;

	*p50_ms = *p99_ms = *max_ms = 0;
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	*p50_ms = lathist_pct(&p->late, 50) / 1000;
	*p99_ms = lathist_pct(&p->late, 99) / 1000;
	*max_ms = p->late.max_us / 1000;
	pthread_mutex_unlock(&p->mu);
}

uint64_t probes_runs(const struct console *c)
{
	return c->probes != NULL ? c->probes->runs : 0;
}

/* The check of service `service` with key `key` that the sensor enrolled as host runs. */
static struct pcheck *find_remote(struct probes *p, const char *host, const char *service,
				  const char *key)
{
	for (int i = 0; i < p->n; i++) {
		struct pcheck *pc = p->pc[i];

		if (pc->remote && strcmp(pc->key, key) == 0 && strcmp(pc->name, service) == 0 &&
		    strcasecmp(pc->chk_copy.from, host) == 0)
			return pc;
	}
	return NULL;
}

bool probes_assigned(const struct console *c, const char *host, const char *service,
		     const char *key)
{
	return c->probes != NULL && find_remote(c->probes, host, service, key) != NULL;
}

int probes_sensor_result(struct console *c, const char *host, const char *service,
			 const char *key, int64_t seq, int64_t at, const struct probe_result *r,
			 char *err, size_t errlen)
{
	struct probes *p = c->probes;
	struct pcheck *pc = p != NULL ? find_remote(p, host, service, key) : NULL;
	int64_t now = (int64_t)console_now();

	if (pc == NULL) {
		snprintf(err, errlen, "check \"%s\" of service \"%s\" is not assigned to %s", key,
			 service, host);
		return -1;
	}
	/* a batch sent again after its ack was lost, or an older result */
	if (seq <= pc->last_seq) {
		snprintf(err, errlen, "already applied");
		return 1;
	}
	pc->last_seq = seq;
	/* the sensor's clock within reason: never ahead of ours, never behind the last */
	if (at > now)
		at = now;
	if (at < pc->last_at)
		at = pc->last_at;
	pc->last_at = at;
	pc->res = *r;
	apply_result(p, pc, at);
	return 0;
}
