/*
 * inventory.h - the services inventory (reference: docs/services.md): the
 * municipal services the appliance fronts, with what the gateway needs to
 * enforce policy (addresses, ports) and what the console needs for
 * business continuity (owner, RPO/RTO, criticality, checks, backups,
 * dependencies, maintenance windows, public).
 *
 * One parser for every program that reads the inventory. A `service` block
 * is parsed by inv_parse_service(), which a host grammar calls when its
 * scanner meets the word `service` (console.conf's scanner does), or
 * inv_load_file() reads a file of service blocks and includes on its own.
 * Errors go through lib/cfg: "file:line:col: what, expected what", the
 * source line and a caret, and a close match for a misspelt keyword.
 *
 * Memory is bounded: INV_MAX_SERVICES services, each with fixed-size
 * tables below; a table that would overflow is a configuration error that
 * names the bound.
 */
#ifndef KASTRO_INVENTORY_H
#define KASTRO_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "cron.h"
#include "jsonpath.h"

#define INV_MAX_SERVICES 512
#define INV_MAX_ADDRS    16       /* addresses per service */
#define INV_MAX_PORTS    32       /* port ranges per service */
#define INV_MAX_CHECKS   16       /* checks per service */
#define INV_MAX_DEPS     8        /* dependencies per service */
#define INV_MAX_MAINT    8        /* maintenance windows per service */
#define INV_MAX_BACKUPS  4        /* backups per service */
#define INV_NAME_MAX     64       /* service, owner and check names */
#define INV_TEXT_MAX     512      /* URLs, keywords, regexes, paths */
#define INV_UUID_LEN     36       /* 8-4-4-4-12 hex digits, lower case */
#define INV_AT_MAX       320      /* "file:line:col", a long file name cut */

enum inv_crit { INV_CRIT_LOW, INV_CRIT_MEDIUM, INV_CRIT_HIGH, INV_CRIT_CRITICAL };

enum inv_check_kind {
	INV_CHK_HTTP,
	INV_CHK_HTTPS,
	INV_CHK_TCP,
	INV_CHK_DNS,
	INV_CHK_TLS,
	INV_CHK_ICMP,
	INV_CHK_PLUGIN,
	INV_CHK_PUSH,
	INV_CHK_KINDS
};

enum inv_redirects { INV_REDIR_FOLLOW, INV_REDIR_NO };

struct inv_check {
	enum inv_check_kind kind;
	char name[INV_NAME_MAX];        /* push and plugin: as written; others: "" */
	char target[INV_TEXT_MAX];      /* URL, host, DNS name or plugin name */
	uint32_t every;                 /* seconds between checks; 60 */
	uint32_t timeout;               /* seconds; 10 */
	uint32_t retries;               /* failures before a hard state; 3 */
	uint32_t retry_every;           /* seconds between retries; every / 2, >= 5 */
	/* http, https */
	uint16_t status;                /* expected status; 0: any 2xx or 3xx */
	char keyword[INV_TEXT_MAX];     /* must be in the body; "" */
	char regex[INV_TEXT_MAX];       /* POSIX extended; must match the body; "" */
	enum inv_redirects redirects;   /* follow (up to 5) */
	/* a condition on a field of a JSON body (jsonpath.h); JSONPATH_NONE: none */
	enum jsonpath_op json_op;
	char json_path[JSONPATH_MAX];
	char json_value[256];           /* is: the text; below, above: a number */
	uint32_t warn_ms, crit_ms;      /* response time thresholds; 0: none */
	char ca[INV_TEXT_MAX];          /* https, tls: CA file; "": the system's */
	/* tcp, tls */
	uint16_t port;
	/* tls: days before expiry for a warning, then critical at the last */
	uint32_t warn_days[3];          /* 21 14 7 */
	/* tls: "smtp", "imap" or "pop3": STARTTLS after that dialogue; "": none */
	char starttls[8];
	/* dns */
	char dns_type[8];               /* "A", "AAAA", "CNAME", "MX", "NS", "TXT"; A */
	char dns_server[64];            /* address; "": the system's resolver */
	char dns_expect[INV_TEXT_MAX];  /* an answer that must be present; "" */
	char dns_rcode[16];             /* "NOERROR" */
	/* push */
	char uuid[INV_UUID_LEN + 1];
	uint32_t period, grace;         /* seconds: late after period, down after grace more */
	/* push: a cron schedule instead of period (cron.h); "": none */
	char schedule[CRON_TEXT_MAX];
	struct cron cron;               /* schedule, parsed */
	bool sched_utc;                 /* tz "UTC"; else the console's local time */
	/* http, https, tcp, plugin: run by the sensor enrolled with this host
	   name instead of the console; "": the console */
	char from[INV_NAME_MAX];
	char at[INV_AT_MAX];            /* where it was written */
};

enum inv_backup_kind { INV_BK_RESTIC, INV_BK_BORG, INV_BK_DIR };

struct inv_backup {
	enum inv_backup_kind kind;
	char where[INV_TEXT_MAX];       /* repository or directory */
	char host[INV_NAME_MAX];        /* the agent that checks it; "": the service's */
};

enum inv_maint_kind { INV_MW_ONCE, INV_MW_DAILY, INV_MW_WEEKLY };

struct inv_maint {
	enum inv_maint_kind kind;
	int64_t start;                  /* once: epoch seconds (local time as written) */
	int wday;                       /* weekly: 0 Sunday .. 6 */
	int minute;                     /* daily, weekly: minutes after local midnight */
	uint32_t length;                /* seconds */
};

struct inv_port {
	uint8_t proto;                  /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t lo, hi;
};

struct inv_service {
	char name[INV_NAME_MAX];
	char at[INV_AT_MAX];            /* where it was written */
	char addrs[INV_MAX_ADDRS][64];  /* canonical literals, with "/len" for a network */
	int n_addrs;
	struct inv_port ports[INV_MAX_PORTS];
	int n_ports;
	char owner[INV_NAME_MAX];
	uint32_t rpo, rto;              /* seconds; 0: not set */
	enum inv_crit crit;             /* medium */
	bool is_public;
	bool synproxy;                  /* gateway: answer its TCP SYNs with cookies */
	struct inv_check checks[INV_MAX_CHECKS];
	int n_checks;
	char deps[INV_MAX_DEPS][INV_NAME_MAX];
	char dep_at[INV_MAX_DEPS][INV_AT_MAX];
	int n_deps;
	struct inv_maint maint[INV_MAX_MAINT];
	int n_maint;
	struct inv_backup backups[INV_MAX_BACKUPS];
	int n_backups;
};

/* The largest inventory text pushed to the gateways (inv_src). */
#define INV_SRC_MAX (1u << 20)

struct inventory {
	struct inv_service *svc;        /* n entries, grown by doubling */
	int n, cap;
	/*
	 * The blocks as written, one after another with a newline: the text
	 * the console pushes to the gateways (a file of service blocks that
	 * inv_load_buffer() reads back). Kept up to INV_SRC_MAX bytes; past
	 * that src_over is set and the text is incomplete (not pushed).
	 */
	char *src;
	size_t src_len;
	bool src_over;
	bool no_include;                /* set before a load: `include` is an error */
};

/* A new, empty inventory; NULL when out of memory. */
struct inventory *inv_new(void);
void inv_free(struct inventory *inv);

/*
 * Parse the `service` block whose keyword is the token at kw in f and add
 * it to inv. *end is set to the offset just after its closing brace, where
 * the host grammar goes on. Returns 0, or -1 with the load's error set.
 */
int inv_parse_service(struct inventory *inv, struct cfg_src *f, const struct cfg_loc *kw,
		      size_t *end);

/*
 * What only the whole inventory can tell: every dependency names a
 * service, no service depends on itself through others. Returns 0, or -1
 * with "file:line:col: ..." in err.
 */
int inv_finish(const struct inventory *inv, char *err, size_t errlen);

/*
 * Read the file at path, which holds service blocks and `include "file"`
 * statements only, into inv (which should be empty), and inv_finish() it.
 */
int inv_load_file(const char *path, struct inventory *inv, char *err, size_t errlen);
int inv_load_buffer(const char *name, const char *buf, size_t len, struct inventory *inv,
		    char *err, size_t errlen);

/* Look-ups; NULL when absent. */
const struct inv_service *inv_find(const struct inventory *inv, const char *name);
const struct inv_check *inv_find_uuid(const struct inventory *inv, const char *uuid,
				      const struct inv_service **svc);

const char *inv_kind_name(enum inv_check_kind k);
const char *inv_crit_name(enum inv_crit c);

/*
 * One line per service and one per check, for `kastro-console -n`:
 *   service "e-payments" owner "finance" criticality medium rpo 1h rto 4h ...
 *     check https "https://10.20.0.17/" every 30s keyword "..."
 */
void inv_print(const struct inventory *inv, FILE *out);

#endif
