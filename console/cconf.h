/*
 * cconf.h - kastro-console's configuration: the parsed form of
 * console.conf (reference: docs/config.md).
 *
 * The file is read by a bison/flex grammar (cconf_parse.y, cconf_lex.l) in
 * the family of kastrod.conf: every value is checked as it is parsed, and
 * the first error is reported as "file:line:col: what, expected what",
 * then the source line and a caret under the offending token (lib/cfg.h).
 * The console only ever sees a complete, checked struct. Paths inside the
 * file are resolved relative to the directory of the file that names them.
 */
#ifndef KASTRO_CCONF_H
#define KASTRO_CCONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"
#include "log.h"
#include "plugin.h"

#define CCONF_MAX_LISTEN  4      /* addresses per kind of listener */
#define CCONF_SUN_PATH    108    /* bytes of sockaddr_un.sun_path, NUL included */
#define CCONF_MAX_HOOKS   16     /* `hook` blocks in one configuration */
#define CCONF_USER_DEFAULT "kastro-console"

struct cconf_listen {
	char addr[64];           /* IPv4 or IPv6 literal in canonical form, or "*" */
	uint16_t port;           /* "*": both 0.0.0.0 and :: */
};

struct console_conf {
	/* required: holds ca.key, ca.crt, server.key, server.crt, console.db */
	char data_dir[PATH_MAX];

	/* listeners; the first `listen` of a kind in a load replaces its list */
	struct cconf_listen https[CCONF_MAX_LISTEN];    /* officers: * port 8443 */
	int n_https;
	struct cconf_listen sensors[CCONF_MAX_LISTEN];  /* sensors: * port 7443 */
	int n_sensors;

	char control_path[CCONF_SUN_PATH];  /* kastroctl's socket, absolute */
	enum log_level log_level;           /* most verbose level logged: info */

	/* sensors; all times in seconds */
	uint32_t sensor_offline_after;  /* silent this long: offline; 5m, 30s .. 7d */
	uint32_t cert_days;             /* sensor certificate validity, days; 365, 1 .. 3650 */
	uint32_t token_ttl_default;     /* enrolment token lifetime; 1h, 1m .. 30d */

	/* alerts */
	uint32_t dedup_window;          /* same alert again within: merged; 1h, 0 (off) .. 7d */

	/* officers' sessions: session_idle <= session_absolute */
	uint32_t session_idle;          /* 30m, 1m .. 1d */
	uint32_t session_absolute;      /* 12h, 1m .. 30d */

	/* HTTP limits, for both listeners */
	uint64_t max_body;              /* bytes; 4MB, 1KB .. 64MB */
	uint32_t max_headers;           /* bytes; 16KB, 1KB .. 1MB */
	uint32_t max_connections;       /* per listener kind; 1024, 1 .. 65535 */
	uint32_t request_timeout;       /* idle or slow connection; 30s, 1s .. 10m */
	uint32_t long_poll_max;         /* longest command long poll; 60s, 1s .. 10m */
	uint32_t head_timeout;          /* a request head in all; 10s, 1s .. 10m */
	uint32_t body_timeout;          /* a request body in all; 60s, 1s .. 1h */
	/* the officers' port only */
	uint32_t per_address;           /* connections per client network; 64, 0 (no cap) .. 65535 */
	uint32_t reserved;              /* slots for signed-in officers; 64, 0 .. connections - 1 */

	/* alert hooks (hooks.h), in the order of the file; a load replaces them */
	struct hook_def hooks[CCONF_MAX_HOOKS];
	int n_hooks;
	char public_url[HOOK_URL_MAX + 1];  /* links in mails and chat; "": none */
	/* `ping-listen ADDR port N`: plain HTTP for /ping/ paths only
	   (console/pinglisten.h); port 0: none */
	struct cconf_listen ping;

	/* the services inventory: `service` blocks, usually from an included
	   services.conf (lib/inventory.h); NULL when there are none. A load
	   that succeeds replaces it (freeing the old one); cconf_free() frees it. */
	struct inventory *inv;

	/* `plugin "NAME" command "..."`: what the inventory's plugin checks run
	   (lib/plugin.h); NULL when none. Owned as inv is. */
	struct cconf_plugins *plugins;

	/* retention: older than this is pruned; 0: kept for ever */
	uint32_t retain_events;         /* by receive time; 180d, 0 or 1d .. 3650d */
	uint32_t retain_alerts;         /* resolved alerts, by last seen; 365d, 0 or 1d .. 3650d */

	/* per-sensor ingest quota (console/quota.h); a rate of 0: none */
	uint64_t quota_events;          /* events per second; 1000, 0 .. 1000000 */
	uint64_t quota_bytes;           /* bytes per second; 1MB, 0 or 1KB .. 1GB */
	uint32_t quota_burst;           /* seconds' worth a sensor may send at once; 60s, 1s .. 1h */

	/* the user the console runs as once its files and listeners are open */
	char user[33];                  /* kastro-console */
};

#define CCONF_MAX_PLUGINS 64

struct cconf_plugins {
	struct plugin_cmd *cmd;          /* n entries */
	int n;
};

/* Fill *c with the built-in defaults; data_dir is "" (the file must set it). */
void cconf_defaults(struct console_conf *c);

/* Free what a load allocated (inventory, plugins); *c keeps its other settings. */
void cconf_free(struct console_conf *c);
void cconf_plugins_free(struct cconf_plugins *pl);

/* The command configured for plugin name, or NULL. */
const struct plugin_cmd *cconf_plugin(const struct console_conf *c, const char *name);

/*
 * Parse the file at path into *c, which must hold defaults (or a previous
 * configuration) on entry; the files read must set `data`. Returns 0 on
 * success. On error returns -1, leaves *c as it was and writes a message
 * to err (at most errlen bytes) of the form "file:line:col: what was
 * wrong, what was expected", followed by the offending line and a caret
 * line under the offending token.
 */
int cconf_load(const char *path, struct console_conf *c, char *err, size_t errlen);

/*
 * As cconf_load, from len bytes at buf; name is used in messages. Relative
 * paths start at dir, or at the directory of name (from the working
 * directory) when dir is NULL.
 */
int cconf_load_buffer(const char *name, const char *buf, size_t len,
		      const char *dir, struct console_conf *c, char *err,
		      size_t errlen);

/*
 * As cconf_load_buffer, for text that is not a whole file (a hook made in
 * the console, hookdb.h): `data` need not be set; c's stays.
 */
int cconf_load_fragment(const char *name, const char *buf, size_t len, const char *dir,
			struct console_conf *c, char *err, size_t errlen);

/*
 * Create path (which must not exist; mode 0640) holding a commented
 * console.conf with the working defaults and `data` set to data_dir made
 * absolute. The file loads with cconf_load(). Returns 0, or -1 with err
 * set and no file left behind.
 */
int cconf_write_default(const char *path, const char *data_dir, char *err,
			size_t errlen);

#endif
