/*
 * conf.h - kastrod's configuration: the parsed form of kastrod.conf.
 *
 * The file is read by a bison/flex grammar (conf_parse.y, conf_lex.l) that
 * validates everything at parse time; the daemon only ever sees a complete,
 * checked struct. Paths inside the file are resolved relative to the
 * directory of the file that names them.
 *
 * The same file family holds the firewall and application policy (zones,
 * services, tables, rules): it is parsed into c->policy (policy.h), which
 * the struct owns and conf_free() frees.
 */
#ifndef KASTRO_CONF_H
#define KASTRO_CONF_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define CONF_MAX_IFACES 16
#define CONF_LINK_DIR_DEFAULT "/var/lib/kastro/link"
#define CONF_LINK_PORT_DEFAULT 7443

struct policy;

/*
 * The services inventory of a load: `service` blocks in the files
 * (source "local"), or `inventory from console "COPY"`: the last copy the
 * console pushed (source "console"), else the statement's fallback file
 * (source "fallback"), else none ("none").
 */
struct conf_inv {
	char candidate[PATH_MAX];       /* in: a pushed text to load instead of COPY; "" */
	bool from_console;              /* `inventory from console` was given */
	char copy[PATH_MAX];            /* its COPY: where the parent keeps the pushed text */
	char source[16];                /* "local", "console", "fallback", "none" */
	char path[PATH_MAX];            /* the file the services came from; "" for local */
	char sha256[65];                /* of the blocks' text (as the console hashes it) */
	int64_t mtime;                  /* of path, seconds since the epoch; 0: none */
};

/* Flow timeout classes; each has its own idle timeout. */
enum conf_timeout {
	CONF_TO_TCP_NEW,     /* TCP before the handshake completes */
	CONF_TO_TCP_EST,     /* established TCP */
	CONF_TO_TCP_CLOSED,  /* after RST or FIN in both directions */
	CONF_TO_UDP,
	CONF_TO_ICMP,
	CONF_TO_OTHER,
	CONF_TO_N
};

struct kastrod_conf {
	char user[64];                  /* unprivileged user to run as */
	char eve_path[PATH_MAX];        /* "" = none, "-" = stdout */

	/* nDPI list files, "" when not set */
	char ndpi_protocols[PATH_MAX];
	char ndpi_categories[PATH_MAX];
	char ndpi_risky_domains[PATH_MAX];
	char ndpi_ja3[PATH_MAX];
	char ndpi_sha1[PATH_MAX];

	/* flow table */
	uint32_t max_flows;             /* hard cap on live flows */
	uint64_t dpi_memcap;            /* bytes of nDPI heap; 0 = no cap */
	uint32_t timeout[CONF_TO_N];    /* idle timeouts, seconds */
	uint32_t active_timeout;        /* seconds between updates of a long flow */

	/* live capture */
	char ifaces[CONF_MAX_IFACES][IFNAMSIZ];
	int n_ifaces;
	uint32_t snaplen;               /* bytes */
	uint32_t buffer_size;           /* kernel buffer per interface, bytes */
	bool promisc;

	/* the link to kastro-console (link.h); off while link_host is "" */
	char link_host[256];            /* host name or address of the console */
	uint16_t link_port;             /* its sensor port */
	char link_dir[PATH_MAX];        /* enrolment (kastrod enroll) and spool/ */
	uint64_t link_spool_max;        /* bytes of the spool on disk */

	/* inline enforcement (inline.h; on when the policy has a DPI rule) */
	uint16_t inline_queue;          /* NFQUEUE number */
	uint32_t inline_queue_max;      /* packets the kernel holds for kastrod */
	uint32_t inline_fail_ms;        /* a packet unanswered this long takes the fail verdict */
	bool inline_fail_open;          /* packet process dead/overwhelmed: pass (else drop) */
	/* `eve max-rate`: flow, dns, tls, http events per second at most; 0 = no cap */
	uint32_t eve_max_rate;
	/* `src-nodes`: sources each per-source limit set and overload table holds, per family */
	uint32_t src_nodes;
	/* kastrod --monitor (not in the file): watch only, enforce nothing */
	bool monitor;

	/* firewall and application policy; NULL when the files hold none */
	struct policy *policy;

	/* where the services inventory came from (conf_inv.c, docs/config.md) */
	struct conf_inv inv;
};

/*
 * Fill *c with the built-in defaults (see docs/config.md): no policy. *c
 * must not hold a policy on entry (conf_free() it first), or it leaks.
 */
void conf_defaults(struct kastrod_conf *c);

/* Free what *c owns (its policy) and set c->policy to NULL. */
void conf_free(struct kastrod_conf *c);

/*
 * Parse the file at path into *c, which must hold defaults (or a previous
 * configuration) on entry. Returns 0 on success. On error returns -1, leaves
 * *c as it was and writes a message to err (at most errlen bytes) of the
 * form "file:line:col: what was wrong, what was expected", followed by the
 * offending line and a caret under the offending token.
 *
 * The policy is not merged across loads: on success c->policy is the policy
 * of the files just read (NULL when they hold no policy statement) and the
 * policy *c held before is freed. So never load into a copy of a struct
 * whose policy another copy still uses.
 */
int conf_load(const char *path, struct kastrod_conf *c, char *err, size_t errlen);

/*
 * `kastrod -n`: print "NAME: configuration OK" and the nftables ruleset
 * that c makes (as pfctl -nvf does); returns the exit status. Implemented
 * in nftgen.c (declared in nftgen.h too); here so that kastrod.c needs no
 * other header for it.
 */
int nftgen_check(const struct kastrod_conf *c, const char *name);

/* As conf_load, but from a buffer; name is used in messages. */
int conf_load_buffer(const char *name, const char *buf, size_t len,
		     struct kastrod_conf *c, char *err, size_t errlen);

#endif
