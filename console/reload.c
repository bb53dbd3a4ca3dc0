/*
 * reload.c - see reload.h.
 */
#include "reload.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "invpush.h"
#include "log.h"
#include "probes.h"
#include "sprobes.h"
#include "store_services.h"
#include "svcalert.h"
#include "svcalert_run.h"

#define RELOAD_NOTE "left the inventory (reload)"

/* Append ", name" (or "name") to out when a setting differs. */
static void differs(char *out, size_t outlen, bool diff, const char *name)
{
	size_t k = strlen(out);

	if (!diff || k >= outlen)
		return;
	snprintf(out + k, outlen - k, "%s%s", k > 0 ? ", " : "", name);
}

static bool listens_differ(const struct cconf_listen *a, int na, const struct cconf_listen *b,
			   int nb)
{
	if (na != nb)
		return true;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i].addr, b[i].addr) != 0 || a[i].port != b[i].port)
			return true;
	return false;
}

static bool hooks_differ(const struct console_conf *a, const struct console_conf *b)
{
	if (a->n_hooks != b->n_hooks)
		return true;
	for (int i = 0; i < a->n_hooks; i++) {
		struct hook_def x = a->hooks[i], y = b->hooks[i];

		memset(x.at, 0, sizeof(x.at));
		memset(y.at, 0, sizeof(y.at));
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return true;
	}
	return false;
}

static bool plugins_differ(const struct cconf_plugins *a, const struct cconf_plugins *b)
{
	int na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;

	if (na != nb)
		return true;
	for (int i = 0; i < na; i++) {
		const struct plugin_cmd *x = &a->cmd[i], *y = &b->cmd[i];
		int k;

		if (strcmp(x->name, y->name) != 0)
			return true;
		for (k = 0; x->argv[k] != NULL && y->argv[k] != NULL; k++)
			if (strcmp(x->argv[k], y->argv[k]) != 0)
				return true;
		if (x->argv[k] != NULL || y->argv[k] != NULL)
			return true;
	}
	return false;
}

/* The settings other than the inventory that differ, by their keywords. */
static void needs_restart(const struct console_conf *a, const struct console_conf *b,
			  char *out, size_t outlen)
{
	out[0] = '\0';
	differs(out, outlen, strcmp(a->data_dir, b->data_dir) != 0, "data");
	differs(out, outlen, listens_differ(a->https, a->n_https, b->https, b->n_https) ||
		listens_differ(a->sensors, a->n_sensors, b->sensors, b->n_sensors), "listen");
	differs(out, outlen, strcmp(a->control_path, b->control_path) != 0, "control");
	differs(out, outlen, a->log_level != b->log_level, "log level");
	differs(out, outlen, a->sensor_offline_after != b->sensor_offline_after ||
		a->cert_days != b->cert_days || a->token_ttl_default != b->token_ttl_default,
		"sensor");
	differs(out, outlen, a->dedup_window != b->dedup_window, "alerts");
	differs(out, outlen, a->session_idle != b->session_idle ||
		a->session_absolute != b->session_absolute, "session");
	differs(out, outlen, a->max_body != b->max_body || a->max_headers != b->max_headers ||
		a->max_connections != b->max_connections ||
		a->request_timeout != b->request_timeout || a->long_poll_max != b->long_poll_max ||
		a->head_timeout != b->head_timeout || a->body_timeout != b->body_timeout ||
		a->per_address != b->per_address || a->reserved != b->reserved, "limits");
	differs(out, outlen, hooks_differ(a, b), "hook");
	differs(out, outlen, strcmp(a->public_url, b->public_url) != 0, "public-url");
	differs(out, outlen, listens_differ(&a->ping, 1, &b->ping, 1), "ping-listen");
	differs(out, outlen, plugins_differ(a->plugins, b->plugins), "plugin");
	differs(out, outlen, a->retain_events != b->retain_events ||
		a->retain_alerts != b->retain_alerts, "retention");
	differs(out, outlen, a->quota_events != b->quota_events ||
		a->quota_bytes != b->quota_bytes || a->quota_burst != b->quota_burst, "quota");
	differs(out, outlen, strcmp(a->user, b->user) != 0, "user");
}

/* Everything of a check but where it was written: at, its last member
   (the parser zeroes a check before it fills it, padding included). */
_Static_assert(sizeof(struct inv_check) - offsetof(struct inv_check, at) -
		       sizeof(((struct inv_check *)0)->at) < 8,
	       "at is inv_check's last member");
static bool checks_same(const struct inv_check *a, const struct inv_check *b)
{
	return memcmp(a, b, offsetof(struct inv_check, at)) == 0;
}

/* The service's own settings (not its checks, not where it was written). */
static bool services_same(const struct inv_service *a, const struct inv_service *b)
{
	if (a->n_addrs != b->n_addrs || a->n_ports != b->n_ports || a->n_deps != b->n_deps ||
	    a->n_maint != b->n_maint || a->n_backups != b->n_backups ||
	    strcmp(a->owner, b->owner) != 0 || a->rpo != b->rpo || a->rto != b->rto ||
	    a->crit != b->crit || a->is_public != b->is_public || a->synproxy != b->synproxy)
		return false;
	for (int i = 0; i < a->n_addrs; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			return false;
	for (int i = 0; i < a->n_deps; i++)
		if (strcmp(a->deps[i], b->deps[i]) != 0)
			return false;
	return memcmp(a->ports, b->ports, (size_t)a->n_ports * sizeof(a->ports[0])) == 0 &&
	       memcmp(a->maint, b->maint, (size_t)a->n_maint * sizeof(a->maint[0])) == 0 &&
	       memcmp(a->backups, b->backups, (size_t)a->n_backups * sizeof(a->backups[0])) == 0;
}

/* The check of sv with key, or NULL. */
static const struct inv_check *check_by_key(const struct inv_service *sv, const char *key)
{
	char k[SVC_KEY_MAX];

	for (int j = 0; sv != NULL && j < sv->n_checks; j++) {
		svcstore_key(&sv->checks[j], k);
		if (strcmp(k, key) == 0)
			return &sv->checks[j];
	}
	return NULL;
}

/*
 * A push check of nw that is not in old under its service and key, but
 * whose uuid was, under a service and key that are gone from nw: the same
 * check renamed (or moved). Its old service and check into *osv, *ochk.
 */
static bool push_renamed(const struct inventory *old, const struct inventory *nw,
			 const struct inv_service *sv, const struct inv_check *chk,
			 const struct inv_service **osv, const struct inv_check **ochk)
{
	const struct inv_service *o;
	char key[SVC_KEY_MAX];

	if (old == NULL || chk->kind != INV_CHK_PUSH)
		return false;
	svcstore_key(chk, key);
	if (check_by_key(inv_find(old, sv->name), key) != NULL)
		return false;
	*ochk = inv_find_uuid(old, chk->uuid, osv);
	if (*ochk == NULL)
		return false;
	svcstore_key(*ochk, key);
	o = inv_find(nw, (*osv)->name);
	return check_by_key(o, key) == NULL;
}

/* Is check oc of old service o a push check that nw has renamed? */
static bool push_renamed_away(const struct inventory *old, const struct inventory *nw,
			      const struct inv_service *o, const struct inv_check *oc)
{
	const struct inv_service *nsv, *osv;
	const struct inv_check *nchk, *ochk;

	if (oc->kind != INV_CHK_PUSH || (nchk = inv_find_uuid(nw, oc->uuid, &nsv)) == NULL)
		return false;
	return push_renamed(old, nw, nsv, nchk, &osv, &ochk) && osv == o && ochk == oc;
}

/*
 * Before the new checks get rows: a renamed push check takes its rows
 * along, and its open alert, resolved under the old name, is raised again
 * under the new one when the check is late or down.
 */
static void carry_renamed(struct console *c, const struct inventory *old,
			  const struct inventory *nw, int64_t now)
{
	char k0[SVC_KEY_MAX], k1[SVC_KEY_MAX], note[INV_NAME_MAX * 2 + SVC_KEY_MAX + 48],
		err[256];
	const struct inv_service *osv;
	const struct inv_check *ochk;
	struct svc_row r;
	int n;

	for (int i = 0; nw != NULL && i < nw->n; i++)
		for (int j = 0; j < nw->svc[i].n_checks; j++) {
			const struct inv_service *sv = &nw->svc[i];

			if (!push_renamed(old, nw, sv, &sv->checks[j], &osv, &ochk))
				continue;
			svcstore_key(ochk, k0);
			svcstore_key(&sv->checks[j], k1);
			if (svcstore_rename(c->store, osv->name, k0, sv->name, k1, err,
					    sizeof(err)) < 0) {
				log_err("reload: push check %s of %s renamed: %s", k0, osv->name, err);
				continue;
			}
			log_info("reload: push check %s of service %s is now %s of %s (uuid %s)", k0,
				 osv->name, k1, sv->name, sv->checks[j].uuid);
			snprintf(note, sizeof(note), "check renamed to %s: %s (reload)", sv->name, k1);
			if (svcalert_resolve_left(c->store, osv->name, k0, note, now, &n, err,
						  sizeof(err)) < 0)
				log_err("service %s: %s: resolving its alert: %s", osv->name, k0, err);
			if (n > 0 && svcstore_get(c->store, sv->name, k1, &r, err, sizeof(err)) == 0 &&
			    (strcmp(r.state, "down") == 0 || strcmp(r.state, "late") == 0))
				svcalert_state(c, sv, k1, r.state, "the check was renamed",
					       probes_in_maintenance(sv, (time_t)now), now);
		}
}

/*
 * The backups of old service o that kept service sv no longer has: their
 * open alerts (backups.c's keys: "backup KIND WHERE: rpo|size|integrity|
 * restore") resolved with a note.
 */
static void backups_left(struct console *c, const struct inv_service *o,
			 const struct inv_service *sv, int64_t now)
{
	static const char *const kinds[] = { "restic", "borg", "dir" };
	static const char *const what[] = { "rpo", "size", "integrity", "restore" };
	char key[SVC_KEY_MAX], err[256];
	int n;

	for (int b = 0; b < o->n_backups; b++) {
		const struct inv_backup *ob = &o->backups[b];
		bool kept = false;

		for (int k = 0; k < sv->n_backups && !kept; k++)
			kept = sv->backups[k].kind == ob->kind &&
			       strcmp(sv->backups[k].where, ob->where) == 0 &&
			       strcmp(sv->backups[k].host, ob->host) == 0;
		if (kept || (unsigned)ob->kind >= sizeof(kinds) / sizeof(kinds[0]))
			continue;
		for (size_t w = 0; w < sizeof(what) / sizeof(what[0]); w++) {
			snprintf(key, sizeof(key), "backup %s %.*s: %s", kinds[ob->kind],
				 INV_TEXT_MAX - 64, ob->where, what[w]);
			if (svcalert_resolve_left(c->store, o->name, key, "backup " RELOAD_NOTE, now,
						  &n, err, sizeof(err)) < 0)
				log_err("service %s: %s: resolving its alert: %s", o->name, key, err);
			else if (n > 0)
				log_info("service %s: %s left the inventory: its alert resolved",
					 o->name, key);
		}
	}
}

/*
 * Count what changed from old to nw; with c (after the swap; NULL: count
 * only), resolve the open alerts of what left. old may be NULL.
 */
static void diff(struct console *c, const struct inventory *old, const struct inventory *nw,
		 struct reload_diff *d, int64_t now)
{
	char key[SVC_KEY_MAX], err[256];
	int n;

	memset(d, 0, sizeof(*d));
	for (int i = 0; nw != NULL && i < nw->n; i++) {
		const struct inv_service *sv = &nw->svc[i];
		const struct inv_service *o = old != NULL ? inv_find(old, sv->name) : NULL;
		bool changed = o != NULL && !services_same(o, sv);

		for (int j = 0; j < sv->n_checks; j++) {
			const struct inv_check *oc;
			const struct inv_service *rs;

			svcstore_key(&sv->checks[j], key);
			oc = check_by_key(o, key);
			if (oc == NULL && push_renamed(old, nw, sv, &sv->checks[j], &rs, &oc))
				d->chk_changed++;       /* the same push check: its uuid */
			else if (oc == NULL)
				d->chk_added++;
			else if (!checks_same(oc, &sv->checks[j]))
				d->chk_changed++;
			else
				continue;
			changed = true;
		}
		/* a check it lost (removed, or renamed away) changes it too */
		for (int j = 0; o != NULL && !changed && j < o->n_checks; j++) {
			svcstore_key(&o->checks[j], key);
			changed = check_by_key(sv, key) == NULL;
		}
		if (o == NULL)
			d->svc_added++;
		else
			d->svc_changed += changed;
	}
	for (int i = 0; old != NULL && i < old->n; i++) {
		const struct inv_service *o = &old->svc[i];
		const struct inv_service *sv = nw != NULL ? inv_find(nw, o->name) : NULL;

		if (sv == NULL) {
			d->svc_removed++;
			for (int j = 0; j < o->n_checks; j++)
				d->chk_removed += !push_renamed_away(old, nw, o, &o->checks[j]);
			if (c == NULL)
				continue;
			if (svcalert_resolve_left(c->store, o->name, NULL, "service " RELOAD_NOTE,
						  now, &n, err, sizeof(err)) < 0)
				log_err("service %s: resolving its alerts: %s", o->name, err);
			else if (n > 0)
				log_info("service %s left the inventory: %d alerts resolved", o->name,
					 n);
			continue;
		}
		if (c != NULL)
			backups_left(c, o, sv, now);
		for (int j = 0; j < o->n_checks; j++) {
			bool left;

			svcstore_key(&o->checks[j], key);
			left = check_by_key(sv, key) == NULL;
			if (!left || push_renamed_away(old, nw, o, &o->checks[j]))
				continue;       /* stays, or renamed (carry_renamed) */
			d->chk_removed++;
			if (c == NULL)
				continue;
			if (svcalert_resolve_left(c->store, o->name, key, "check " RELOAD_NOTE, now,
						  &n, err, sizeof(err)) < 0)
				log_err("service %s: %s: resolving its alert: %s", o->name, key, err);
			else if (n > 0)
				log_info("service %s: %s left the inventory: its alert resolved",
					 o->name, key);
		}
	}
}

void reload_diff(const struct inventory *old, const struct inventory *nw,
		 struct reload_diff *d)
{
	diff(NULL, old, nw, d, 0);
}

static int count_checks(const struct inventory *inv)
{
	int n = 0;

	for (int i = 0; inv != NULL && i < inv->n; i++)
		n += inv->svc[i].n_checks;
	return n;
}

int reload_inventory(struct console *c, const char *who, const char *addr, char *ans,
		     size_t anslen)
{
	struct console_conf *nc = calloc(1, sizeof(*nc));
	struct inventory *old;
	struct probes_reload pr;
	struct reload_diff d;
	char err[4096], restart[512], detail[768];
	int64_t now = (int64_t)console_now();
	int queued = 0;
	bool started = c->probes != NULL;

	if (nc == NULL) {
		snprintf(ans, anslen, "error: out of memory; the inventory in force stays");
		c->reload_failures++;
		return -1;
	}
	cconf_defaults(nc);
	if (cconf_load(c->conf_path, nc, err, sizeof(err)) < 0) {
		c->reload_failures++;
		log_err("reload: %s", err);
		log_err("reload: the inventory in force stays");
		snprintf(ans, anslen, "error: %s\nthe inventory in force stays", err);
		/* the audit entry: the error's first line */
		snprintf(detail, sizeof(detail), "%.*s", (int)strcspn(err, "\n"), err);
		if (store_audit(c->store, now, who, addr, "inventory.reload_failed", detail, err,
				sizeof(err)) < 0)
			log_err("audit: %s", err);
		free(nc);
		return -1;
	}
	/* no service left: an empty inventory in force, not none */
	if (nc->inv == NULL && (nc->inv = inv_new()) == NULL) {
		c->reload_failures++;
		snprintf(ans, anslen, "error: out of memory; the inventory in force stays");
		cconf_free(nc);
		free(nc);
		return -1;
	}
	needs_restart(&c->conf, nc, restart, sizeof(restart));
	/* the probes first: the one step that can fail leaves all as it was */
	if (probes_reload(c, nc->inv, &pr, err, sizeof(err)) < 0) {
		c->reload_failures++;
		log_err("reload: %s; the inventory in force stays", err);
		snprintf(ans, anslen, "error: %s\nthe inventory in force stays", err);
		cconf_free(nc);
		free(nc);
		return -1;
	}
	old = c->conf.inv;
	c->conf.inv = nc->inv;
	nc->inv = NULL;
	probes_reloaded(c);
	if (!started && probes_start(c, err, sizeof(err)) < 0)
		log_err("reload: %s", err);
	carry_renamed(c, old, c->conf.inv, now);
	if (svcstore_sync(c->store, c->conf.inv, now, err, sizeof(err)) < 0)
		log_err("reload: %s", err);
	diff(c, old, c->conf.inv, &d, now);
	if (invpush_reload(c, err, sizeof(err)) < 0)
		log_err("reload: pushing the inventory: %s", err);
	if (sprobes_reload(c, old, &queued, err, sizeof(err)) < 0)
		log_err("reload: checks from sensors: %s", err);
	inv_free(old);
	cconf_free(nc);
	free(nc);
	c->reloads++;
	c->reload_last = now;

	snprintf(detail, sizeof(detail), "services +%d -%d ~%d, checks +%d -%d ~%d%s%s",
		 d.svc_added, d.svc_removed, d.svc_changed, d.chk_added, d.chk_removed,
		 d.chk_changed, restart[0] != '\0' ? "; needs a restart: " : "", restart);
	if (store_audit(c->store, now, who, addr, "inventory.reload", detail, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
	log_info("reload by %s: %d services, %d checks in force (%s; probes: %d kept, %d new, "
		 "%d stopped)", who, c->conf.inv->n, count_checks(c->conf.inv), detail, pr.kept,
		 pr.added, pr.removed);
	if (restart[0] != '\0')
		log_warn("reload: console.conf changed in settings that take effect only after a "
			 "restart: %s", restart);
	snprintf(ans, anslen, "ok\nservices=%d\nchecks=%d\nservices_added=%d\nservices_removed=%d\n"
		 "services_changed=%d\nchecks_added=%d\nchecks_removed=%d\nchecks_changed=%d\n"
		 "sensor_probe_commands=%d%s%s", c->conf.inv != NULL ? c->conf.inv->n : 0,
		 count_checks(c->conf.inv), d.svc_added, d.svc_removed, d.svc_changed, d.chk_added,
		 d.chk_removed, d.chk_changed, queued,
		 restart[0] != '\0' ? "\nneeds_restart=" : "", restart);
	return 0;
}

void reload_status(const struct console *c, char *out, size_t outlen)
{
	if (outlen > 0)
		snprintf(out, outlen, "\ninventory_reloads=%llu\ninventory_reload_failures=%llu\n"
			 "inventory_reload_last=%lld", (unsigned long long)c->reloads,
			 (unsigned long long)c->reload_failures, (long long)c->reload_last);
}
