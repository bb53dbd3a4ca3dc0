/*
 * sprobe.h - the probe checks the console assigns to a sensor (`check
 * ... from "HOST"` in the services inventory; docs/services.md): http,
 * https, tcp, tls, dns and plugin checks, run on their own intervals by one thread,
 * each result an event ("probe_result", console/sprobes.h) appended to the
 * durable spool, so a link outage loses none. kastro-agent runs them, and
 * kastrod's link process (plugins only on agents).
 *
 * The assignment comes as the "probes" command, {"checks": [{"service": S,
 * "key": K, "kind": "http"|"https"|"tcp"|"plugin"|"tls"|"dns", "target": T,
 * "every": N, "retry_every": N, "timeout": N, "port": P, "status": N,
 * "keyword": W, "regex": R, "redirects": "follow"|"no", and by kind the
 * members of sprobe_members()}, ...]}: untrusted input, checked
 * by sprobe_args() (fuzzed: tests/fuzz/fuzz_sprobe.c). It replaces the
 * previous one and is kept in DIR/probes.json for the next start. A
 * plugin check names a plugin of agent.conf (`plugin "NAME" command
 * "..."`); the command line is never the console's: a name the sensor's
 * own configuration does not map gives UNKNOWN results.
 */
#ifndef KASTRO_SPROBE_H
#define KASTRO_SPROBE_H

#include <jansson.h>
#include <stddef.h>

#include "inventory.h"

#define SPROBE_MAX      256     /* checks per assignment */
#define SPROBE_KEY_MAX  640     /* bytes of a check's key, NUL included */

struct sprobe_check {
	char service[INV_NAME_MAX];
	char key[SPROBE_KEY_MAX];
	struct inv_check chk;
};

/*
 * Check args of "probes" into *out (malloc'd, free()) and *n. Returns 0,
 * or -1 with "probes: checks[I].FIELD: ..." in err.
 */
int sprobe_args(json_t *args, struct sprobe_check **out, size_t *n, char *err, size_t errlen);

/*
 * The console's side: add to o, a check of the command that has the
 * common members (service, key, kind, target, every, retry_every,
 * timeout, port, status, keyword, regex, redirects), those of c's kind
 * that sprobe_args() reads besides: tls "warn" [D, D, D] and "starttls";
 * dns "dns_type", "rcode", "server", "expect"; http(s) "json" {"path",
 * "op", "value"}, "warn_ms", "crit_ms". Returns 0, or -1 when out of memory.
 */
int sprobe_members(json_t *o, const struct inv_check *c);

struct sensorlink;
struct sprobe;

/*
 * The runner (no thread yet) for a sensor whose state is in dir, with n
 * plugins (names[i] runs the command line cmds[i]; checked already); the
 * checks from DIR/probes.json if there. NULL: out of memory.
 */
struct sprobe *sprobe_new(const char *dir, char *const *names, char *const *cmds, int n,
			  struct sensorlink *link, char *warn, size_t warnlen);
int sprobe_start(struct sprobe *sp);
/* Replace the checks (takes checks over) and keep them in DIR/probes.json. */
int sprobe_set(struct sprobe *sp, struct sprobe_check *checks, size_t n, json_t *args,
	       char *err, size_t errlen);
/* Checks assigned, runs done, results not stored (spool). */
void sprobe_counts(struct sprobe *sp, size_t *checks, unsigned long long *runs,
		   unsigned long long *lost);
void sprobe_free(struct sprobe *sp);

#endif
