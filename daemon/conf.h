/*
 * conf.h - kastrod's configuration: the parsed form of kastrod.conf.
 *
 * The file is read by a bison/flex grammar (conf_parse.y, conf_lex.l) that
 * validates everything at parse time; the daemon only ever sees a complete,
 * checked struct. Paths inside the file are resolved relative to the
 * directory of the file that names them.
 */
#ifndef KASTRO_CONF_H
#define KASTRO_CONF_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define CONF_MAX_IFACES 16

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
};

/* Fill *c with the built-in defaults (see docs/config.md). */
void conf_defaults(struct kastrod_conf *c);

/*
 * Parse the file at path into *c, which must hold defaults (or a previous
 * configuration) on entry. Returns 0 on success. On error returns -1, leaves
 * *c as it was and writes a message to err (at most errlen bytes) of the
 * form "file:line:col: what was wrong, what was expected", followed by the
 * offending line and a caret under the offending token.
 */
int conf_load(const char *path, struct kastrod_conf *c, char *err, size_t errlen);

/* As conf_load, but from a buffer; name is used in messages. */
int conf_load_buffer(const char *name, const char *buf, size_t len,
		     struct kastrod_conf *c, char *err, size_t errlen);

#endif
