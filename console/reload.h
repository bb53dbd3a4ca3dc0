/*
 * reload.h - the services inventory read again without a restart
 * (`kastroctl console reload`, SIGHUP; docs/services.md, "Changing the
 * inventory").
 *
 * The whole console.conf is parsed again, with its includes, into a
 * configuration of its own. When that fails (a syntax error, an unknown
 * keyword, a duplicate uuid...) nothing changes and the error, as
 * "file:line:col: ..." with the line and a caret, is the answer. Else only
 * the inventory (the `service` blocks) is taken; every other setting that
 * differs from the one in force is named as needing a restart (hooks and
 * plugin commands among them: hooks change at runtime through the
 * console's own hook editor, and plugin commands decide at start whether
 * the console may run programs at all).
 *
 * The new inventory is swapped in on the event loop's thread, so that no
 * handler sees half of it; the probe workers never read the inventory
 * (probes.h: a run works on its own copy of its check). Checks are matched
 * by identity (service name and check key): a check that stays keeps its
 * state; one that left stops and its open alerts are resolved with a note
 * saying so (a service's, every open alert of it); a new one starts within
 * its first interval. Gateways get the new text at once (invpush.h), and
 * sensors whose assignment changed their new checks (sprobes.h). The
 * reload is audited (who, and services and checks added, removed, changed).
 */
#ifndef KASTRO_RELOAD_H
#define KASTRO_RELOAD_H

#include <stddef.h>
#include <stdint.h>

struct console;
struct inventory;

/* What changed between two inventories. */
struct reload_diff {
	int svc_added, svc_removed, svc_changed;
	int chk_added, chk_removed, chk_changed;
};

/*
 * What changed from old to nw (either may be NULL: no services): services
 * by name; checks by service and key (store_services.h), a push check by
 * its uuid (renamed or moved: changed). A service whose own settings or
 * checks differ is changed; a check whose options differ is changed.
 */
void reload_diff(const struct inventory *old, const struct inventory *nw,
		 struct reload_diff *d);

/*
 * Read console.conf (c->conf_path) again and put its inventory in force.
 * who and addr go into the audit entry (e.g. "root", "local"). The answer
 * ("ok" and key=value lines, or "error: ...") goes into ans. Returns 0, or
 * -1 when nothing changed because of an error (logged too).
 */
int reload_inventory(struct console *c, const char *who, const char *addr, char *ans,
		     size_t anslen);

/* "\ninventory_reloads=N\ninventory_reload_failures=N..." for status. */
void reload_status(const struct console *c, char *out, size_t outlen);

#endif
