/*
 * dpi.h - flow classification with nDPI 4.2 (Debian's libndpi).
 *
 * One detection module per process (nDPI modules are not thread-safe).
 * A flow is fed packets until nDPI has classified it and has no more
 * metadata to collect, or until 80 TCP / 24 UDP / 24 other packets were
 * seen (the stopping rule of nDPI's own reader, so results agree with its
 * test suite); then detection is finished, nDPI's per-flow state is
 * freed, and only the small result below stays with the flow.
 *
 * All nDPI field access lives in dpi.c: the structs are tied to the 4.2
 * headers, and this is the one file to revisit for another nDPI release.
 */
#ifndef KASTRO_DPI_H
#define KASTRO_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct ndpi_flow_struct;
struct dpi;

#define DPI_HOSTNAME_LEN 80

/* What a flow keeps after detection; lives inside struct flow. */
struct dpi_flow {
	struct ndpi_flow_struct *nf;   /* nDPI state while detection runs */
	uint16_t master, app;          /* nDPI protocol ids */
	uint16_t category;             /* nDPI category id */
	uint8_t confidence;            /* ndpi_confidence_t */
	uint8_t done;                  /* detection finished */
	uint8_t guessed;               /* result came from giveup's guess */
	uint8_t skipped;               /* never dissected (DPI memcap hit) */
	uint16_t pkts;                 /* packets handed to nDPI */
	uint64_t risk;                 /* ndpi_risk bit set */
	char hostname[DPI_HOSTNAME_LEN];
};

/* Metadata read from nDPI's flow state at the end of detection. */
struct dpi_meta {
	enum { DPI_META_NONE, DPI_META_DNS, DPI_META_TLS, DPI_META_HTTP } kind;
	union {
		struct {
			uint16_t qtype;
			uint8_t rcode;
			uint8_t is_query;        /* no answer seen */
			uint16_t num_answers;
			char answer[48];         /* first answer address, or "" */
		} dns;
		struct {
			uint16_t version;        /* TLS version of the server, or 0 */
			char ja3c[33], ja3s[33];
			char alpn[64];
			char issuer[128], subject[128];
			char sha1[41];           /* certificate fingerprint, hex, or "" */
			uint32_t not_before, not_after;  /* unix seconds, 0 if unknown */
		} tls;
		struct {
			char method[12];
			char url[256];           /* path and query */
			char user_agent[160];
			char content_type[64];
			uint16_t status;
		} http;
	} u;
};

struct dpi_stats {
	uint64_t flows_dissected;      /* flows that got nDPI state */
	uint64_t flows_memcap;         /* flows not dissected: memcap reached */
	uint64_t pkts;                 /* packets handed to nDPI */
	uint64_t mem_bytes;            /* nDPI heap now, beyond the module */
	uint64_t mem_peak;
};

/* Build the detection module, loading the list files named in conf. */
struct dpi *dpi_new(const struct kastrod_conf *conf, char *err, size_t errlen);
void dpi_free(struct dpi *d);

/*
 * Feed one packet (l3: IP header, len bytes) of flow f, packet number
 * npkts of the flow (both directions, counting this one). Returns true
 * when this packet finished detection: the caller reads the metadata with
 * dpi_meta() and then calls dpi_release().
 */
bool dpi_packet(struct dpi *d, struct dpi_flow *f, uint8_t l4proto, uint64_t npkts,
		const uint8_t *l3, uint32_t len, uint64_t time_ms);
/* End detection of a flow that ended first (nDPI's giveup with guessing). */
void dpi_giveup(struct dpi *d, struct dpi_flow *f);
void dpi_meta(struct dpi *d, const struct dpi_flow *f, struct dpi_meta *m);
/* Free nDPI's per-flow state; the result in *f stays. */
void dpi_release(struct dpi_flow *f);

/* Names, for output. buf receives "Master.App" as nDPI's reader prints it. */
const char *dpi_proto_name(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len);
const char *dpi_proto_id(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len);
const char *dpi_id_name(struct dpi *d, uint16_t id);
const char *dpi_category_name(struct dpi *d, const struct dpi_flow *f);
const char *dpi_confidence_name(const struct dpi_flow *f);
/* Name of risk bit n (1..63), or NULL when the bit has no name. */
const char *dpi_risk_name(unsigned n);
/*
 * Suricata-style application protocol ("http", "tls", "dns"...; otherwise
 * nDPI's name in lower case), or NULL while the flow is unclassified.
 */
const char *dpi_app_proto(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len);

void dpi_get_stats(const struct dpi *d, struct dpi_stats *s);

#endif
