/*
 * hookdb.h - alert hooks made by admins in the console (web UI, REST API)
 * rather than in console.conf: stored in the console's database (table
 * hook_defs) as the text of one console.conf `hook NAME { ... }` block, and
 * checked by console.conf's own grammar (cconf_load_fragment), so that a hook
 * made in the console and one written in the file pass the same checks and
 * get the same `line:col` errors. Secrets are never in the text: the
 * grammar names files on the console's host (password-file, secret-file,
 * key), read when the hook sends.
 *
 * Every change is written with its audit entry in one transaction; the
 * audit names the hook, its kind and its URL as hook_url_public() shows it.
 */
#ifndef KASTRO_HOOKDB_H
#define KASTRO_HOOKDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"

struct store;
struct console_conf;

#define HOOKDB_TEXT_MAX 4096     /* bytes of one hook's text */
#define HOOKDB_MAX      16       /* hooks made in the console (CCONF_MAX_HOOKS) */

/* One stored hook. text is NUL-terminated, owned by the row (valid in the callback only). */
struct hookdb_row {
	char name[HOOK_NAME_MAX + 1];
	const char *text;
	int64_t created, updated;
	char by[64];                     /* who changed it last */
};
typedef int (*hookdb_cb)(void *arg, const struct hookdb_row *r);

/* Create the table when missing. Returns 0 or -1 with err. */
int hookdb_schema(struct store *s, char *err, size_t errlen);

/*
 * text as one `hook NAME { ... }` block into *out, checked by the grammar
 * on a copy of base (the running configuration; its other settings are
 * untouched). Only a single hook block is taken: nothing before `hook`,
 * nothing but comments after its `}`. Relative paths start at "/". On
 * error returns -1 with the grammar's message ("hook:LINE:COL: what,
 * expected what", the line and a caret) in err.
 */
int hookdb_parse(const struct console_conf *base, const char *text, struct hook_def *out,
		 char *err, size_t errlen);

/* Every stored hook, by name. Returns 0, or -1 with err. */
int hookdb_list(struct store *s, hookdb_cb cb, void *arg, char *err, size_t errlen);

/*
 * Store h (parsed from text by hookdb_parse) with an audit entry by user
 * from addr: create (no hook of that name may be stored, at most
 * HOOKDB_MAX) or replace (one must be). Returns 0, 1 when the name is
 * taken (create) or unknown (replace), -1 with err.
 */
int hookdb_put(struct store *s, const struct hook_def *h, const char *text, bool create,
	       int64_t now, const char *user, const char *addr, char *err, size_t errlen);

/*
 * Delete hook name with an audit entry; with drop_queued, its queued
 * deliveries are dropped ("the hook was deleted") in the same transaction
 * (not when a hook of console.conf has the name now: they are that one's).
 * Returns 0, 1 when no such hook is stored, -1 with err.
 */
int hookdb_delete(struct store *s, const char *name, bool drop_queued, int64_t now,
		  const char *user, const char *addr, char *err, size_t errlen);

/*
 * Hook hook's queue was full and dropped deliveries (shed since start, at
 * cap queue_max): an alert of kind hook_queue_full from the console's own
 * sensor (host: the hook's name, severity high), at most one open per hook;
 * while one is open, its count grows instead. *alert_id: the alert.
 */
int hookdb_full_alert(struct store *s, const char *hook, uint64_t shed, uint32_t queue_max,
		      int64_t now, int64_t *alert_id, char *err, size_t errlen);

#endif
