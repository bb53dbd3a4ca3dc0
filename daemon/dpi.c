/*
 * dpi.c - see dpi.h.
 *
 * nDPI's allocator hooks are process-wide, so the heap accounting below is
 * the one piece of global state in this file: set once before the module is
 * built, updated only from the thread that runs the module.
 */
#include "dpi.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#define MAX_PKTS_TCP   80
#define MAX_PKTS_UDP   24
#define MAX_PKTS_OTHER 24

/* Names of (master, app) pairs seen lately: nDPI formats them with printf. */
#define NAME_CACHE 256
struct name_entry {
	uint32_t key;               /* master << 16 | app, plus 1; 0 = empty */
	char name[80];
	char id[16];
};

struct dpi {
	struct ndpi_detection_module_struct *mod;
	struct name_entry names[NAME_CACHE];
	uint64_t memcap;            /* bytes beyond the module; 0: none */
	uint64_t base_mem;          /* heap held by the module after set-up */
	struct dpi_stats st;
};

/* Live bytes allocated through nDPI's hooks (usable size, so frees match). */
static uint64_t dpi_heap_now;

static void *dpi_malloc(size_t n)
{
	void *p = malloc(n);

	if (p)
		dpi_heap_now += malloc_usable_size(p);
	return p;
}

static void dpi_free_hook(void *p)
{
	if (p)
		dpi_heap_now -= malloc_usable_size(p);
	free(p);
}

static int load_list(struct dpi *d, const char *what, const char *path,
		     int (*load)(struct ndpi_detection_module_struct *, const char *),
		     char *err, size_t errlen)
{
	FILE *f;

	if (path[0] == '\0')
		return 0;
	/* nDPI only says -1 for "cannot open"; check first to say why. */
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "ndpi %s file %s: %s", what, path, strerror(errno));
		return -1;
	}
	fclose(f);
	if (load(d->mod, path) < 0) {
		snprintf(err, errlen, "ndpi %s file %s: nDPI could not load it", what, path);
		return -1;
	}
	return 0;
}

/* nDPI's loaders take a non-const path. */
static int load_protocols(struct ndpi_detection_module_struct *m, const char *p)
{
	return ndpi_load_protocols_file(m, (char *)p);
}

struct dpi *dpi_new(const struct kastrod_conf *conf, char *err, size_t errlen)
{
	static int hooks_set;
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	if (ndpi_get_api_version() != NDPI_API_VERSION ||
	    ndpi_detection_get_sizeof_ndpi_flow_struct() != sizeof(struct ndpi_flow_struct)) {
		snprintf(err, errlen, "libndpi %s does not match the headers kastrod was built with",
			 ndpi_revision());
		return NULL;
	}
	if (!hooks_set) {
		set_ndpi_malloc(dpi_malloc);
		set_ndpi_free(dpi_free_hook);
		hooks_set = 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		snprintf(err, errlen, "nDPI could not initialise a detection module");
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	if (load_list(d, "protocols", conf->ndpi_protocols, load_protocols, err, errlen) < 0 ||
	    load_list(d, "categories", conf->ndpi_categories, ndpi_load_categories_file, err, errlen) < 0 ||
	    load_list(d, "risky-domains", conf->ndpi_risky_domains, ndpi_load_risk_domain_file, err, errlen) < 0 ||
	    load_list(d, "ja3-blacklist", conf->ndpi_ja3, ndpi_load_malicious_ja3_file, err, errlen) < 0 ||
	    load_list(d, "sha1-blacklist", conf->ndpi_sha1, ndpi_load_malicious_sha1_file, err, errlen) < 0) {
		ndpi_exit_detection_module(d->mod);
		free(d);
		return NULL;
	}
	ndpi_finalize_initialization(d->mod);
	d->memcap = conf->dpi_memcap;
	d->base_mem = dpi_heap_now;
	return d;
}

void dpi_free(struct dpi *d)
{
	if (!d)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

static uint64_t mem_in_use(const struct dpi *d)
{
	return dpi_heap_now > d->base_mem ? dpi_heap_now - d->base_mem : 0;
}

/* final: detection is over, so the costlier checks run (once). */
static void take_result(struct dpi *d, struct dpi_flow *f, ndpi_protocol p, bool final)
{
	struct ndpi_flow_struct *nf = f->nf;

	f->master = p.master_protocol;
	f->app = p.app_protocol;
	f->category = (uint16_t)ndpi_get_proto_category(d->mod, p);
	f->risk = nf->risk;
	/* nDPI 4.2 checks URLs for injection patterns only when asked. */
	if (final && (p.master_protocol == NDPI_PROTOCOL_HTTP || p.app_protocol == NDPI_PROTOCOL_HTTP) &&
	    nf->http.url) {
		char url[1024];
		ndpi_risk_enum r;

		snprintf(url, sizeof(url), "%s", nf->http.url);
		r = ndpi_validate_url(url);
		if (r != NDPI_NO_RISK)
			f->risk |= 1ull << r;
	}
	f->confidence = (uint8_t)nf->confidence;
	snprintf(f->hostname, sizeof(f->hostname), "%s", nf->host_server_name);
}

bool dpi_packet(struct dpi *d, struct dpi_flow *f, uint8_t l4proto, uint64_t npkts,
		const uint8_t *l3, uint32_t len, uint64_t time_ms)
{
	ndpi_protocol p;
	uint64_t limit;
	bool enough;

	if (f->done)
		return false;
	if (!f->nf) {
		if (d->memcap && mem_in_use(d) >= d->memcap) {
			f->done = 1;
			f->skipped = 1;
			d->st.flows_memcap++;
			return false;
		}
		f->nf = dpi_malloc(SIZEOF_FLOW_STRUCT);
		if (!f->nf) {
			f->done = 1;
			f->skipped = 1;
			d->st.flows_memcap++;
			return false;
		}
		memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
		d->st.flows_dissected++;
	}
	if (len > 65535)
		len = 65535;    /* nDPI takes an unsigned short length */
	p = ndpi_detection_process_packet(d->mod, f->nf, l3, (unsigned short)len, time_ms);
	f->pkts++;
	d->st.pkts++;
	if (mem_in_use(d) > d->st.mem_peak)
		d->st.mem_peak = mem_in_use(d);

	limit = l4proto == 6 ? MAX_PKTS_TCP : l4proto == 17 ? MAX_PKTS_UDP : MAX_PKTS_OTHER;
	enough = npkts > limit;
	f->master = p.master_protocol;
	f->app = p.app_protocol;
	if (!enough && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	if (!enough && ndpi_extra_dissection_possible(d->mod, f->nf)) {
		/* Classified, more to come: keep what is known for policy. */
		take_result(d, f, p, false);
		return false;
	}
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		uint8_t guessed = 0;

		p = ndpi_detection_giveup(d->mod, f->nf, 1, &guessed);
		f->guessed = guessed;
	}
	take_result(d, f, p, true);
	f->done = 1;
	return true;
}

void dpi_giveup(struct dpi *d, struct dpi_flow *f)
{
	ndpi_protocol p;
	uint8_t guessed = 0;

	if (f->done || !f->nf)
		return;
	p = ndpi_detection_giveup(d->mod, f->nf, 1, &guessed);
	f->guessed = guessed;
	take_result(d, f, p, true);
	f->done = 1;
}

void dpi_release(struct dpi_flow *f)
{
	if (!f->nf)
		return;
	ndpi_free_flow_data(f->nf);
	dpi_free_hook(f->nf);
	f->nf = NULL;
}

static int is_proto(const struct dpi_flow *f, uint16_t id)
{
	return f->master == id || f->app == id;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void dpi_meta(struct dpi *d, const struct dpi_flow *f, struct dpi_meta *m)
{
	const struct ndpi_flow_struct *nf = f->nf;

	memset(m, 0, sizeof(*m));
	m->kind = DPI_META_NONE;
	if (!nf)
		return;
	if (is_proto(f, NDPI_PROTOCOL_DNS)) {
		m->kind = DPI_META_DNS;
		m->u.dns.qtype = nf->protos.dns.query_type;
		m->u.dns.rcode = nf->protos.dns.reply_code;
		m->u.dns.num_answers = nf->protos.dns.num_answers;
		m->u.dns.is_query = nf->protos.dns.num_answers == 0 && nf->protos.dns.is_query;
		if (nf->protos.dns.num_answers > 0) {
			if (nf->protos.dns.rsp_type == 1)
				inet_ntop(AF_INET, &nf->protos.dns.rsp_addr.ipv4,
					  m->u.dns.answer, sizeof(m->u.dns.answer));
			else if (nf->protos.dns.rsp_type == 28)
				inet_ntop(AF_INET6, &nf->protos.dns.rsp_addr.ipv6,
					  m->u.dns.answer, sizeof(m->u.dns.answer));
		}
	} else if (is_proto(f, NDPI_PROTOCOL_TLS) || is_proto(f, NDPI_PROTOCOL_QUIC) ||
		   is_proto(f, NDPI_PROTOCOL_DTLS)) {
		const uint8_t *fp = nf->protos.tls_quic.sha1_certificate_fingerprint;
		int i, any = 0;

		m->kind = DPI_META_TLS;
		m->u.tls.version = nf->protos.tls_quic.ssl_version;
		copy_str(m->u.tls.ja3c, sizeof(m->u.tls.ja3c), nf->protos.tls_quic.ja3_client);
		copy_str(m->u.tls.ja3s, sizeof(m->u.tls.ja3s), nf->protos.tls_quic.ja3_server);
		copy_str(m->u.tls.alpn, sizeof(m->u.tls.alpn), nf->protos.tls_quic.alpn);
		copy_str(m->u.tls.issuer, sizeof(m->u.tls.issuer), nf->protos.tls_quic.issuerDN);
		copy_str(m->u.tls.subject, sizeof(m->u.tls.subject), nf->protos.tls_quic.subjectDN);
		m->u.tls.not_before = nf->protos.tls_quic.notBefore;
		m->u.tls.not_after = nf->protos.tls_quic.notAfter;
		for (i = 0; i < 20; i++)
			any |= fp[i];
		if (any)
			for (i = 0; i < 20; i++)
				snprintf(m->u.tls.sha1 + 2 * i, 3, "%02x", fp[i]);
	} else if (is_proto(f, NDPI_PROTOCOL_HTTP)) {
		const char *url = nf->http.url ? nf->http.url : "";
		const char *slash;

		m->kind = DPI_META_HTTP;
		copy_str(m->u.http.method, sizeof(m->u.http.method),
			 nf->http.method ? ndpi_http_method2str(nf->http.method) : "");
		/* nDPI keeps host and path together; EVE's url is the path. */
		slash = strchr(url, '/');
		copy_str(m->u.http.url, sizeof(m->u.http.url), slash ? slash : url);
		copy_str(m->u.http.user_agent, sizeof(m->u.http.user_agent), nf->http.user_agent);
		copy_str(m->u.http.content_type, sizeof(m->u.http.content_type), nf->http.content_type);
		m->u.http.status = nf->http.response_status_code;
	}
	(void)d;
}

static ndpi_protocol as_proto(const struct dpi_flow *f)
{
	ndpi_protocol p;

	memset(&p, 0, sizeof(p));
	p.master_protocol = f->master;
	p.app_protocol = f->app;
	p.category = (ndpi_protocol_category_t)f->category;
	return p;
}

static const struct name_entry *names_of(struct dpi *d, const struct dpi_flow *f)
{
	uint32_t key = ((uint32_t)f->master << 16 | f->app) + 1;
	struct name_entry *n = &d->names[(key * 2654435761u) >> 24];

	if (n->key != key) {
		ndpi_protocol2name(d->mod, as_proto(f), n->name, sizeof(n->name));
		ndpi_protocol2id(d->mod, as_proto(f), n->id, sizeof(n->id));
		n->key = key;
	}
	return n;
}

static const char *copy_name(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return "";
	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
	return buf;
}

const char *dpi_proto_name(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len)
{
	return copy_name(buf, len, names_of(d, f)->name);
}

const char *dpi_proto_id(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len)
{
	return copy_name(buf, len, names_of(d, f)->id);
}

const char *dpi_id_name(struct dpi *d, uint16_t id)
{
	return ndpi_get_proto_name(d->mod, id);
}

const char *dpi_category_name(struct dpi *d, const struct dpi_flow *f)
{
	return ndpi_category_get_name(d->mod, (ndpi_protocol_category_t)f->category);
}

const char *dpi_confidence_name(const struct dpi_flow *f)
{
	return ndpi_confidence_get_name((ndpi_confidence_t)f->confidence);
}

const char *dpi_risk_name(unsigned n)
{
	if (n == 0 || n >= NDPI_MAX_RISK)
		return NULL;
	return ndpi_risk2str((ndpi_risk_enum)n);
}

const char *dpi_app_proto(struct dpi *d, const struct dpi_flow *f, char *buf, size_t len)
{
	static const struct { uint16_t id; const char *name; } map[] = {
		{ NDPI_PROTOCOL_HTTP, "http" }, { NDPI_PROTOCOL_TLS, "tls" },
		{ NDPI_PROTOCOL_DNS, "dns" }, { NDPI_PROTOCOL_SSH, "ssh" },
		{ NDPI_PROTOCOL_MAIL_SMTP, "smtp" }, { NDPI_PROTOCOL_FTP_CONTROL, "ftp" },
		{ NDPI_PROTOCOL_FTP_DATA, "ftp-data" }, { NDPI_PROTOCOL_SMBV1, "smb" },
		{ NDPI_PROTOCOL_SMBV23, "smb" }, { NDPI_PROTOCOL_DHCP, "dhcp" },
		{ NDPI_PROTOCOL_NTP, "ntp" }, { NDPI_PROTOCOL_SNMP, "snmp" },
		{ NDPI_PROTOCOL_SIP, "sip" }, { NDPI_PROTOCOL_RDP, "rdp" },
		{ NDPI_PROTOCOL_MQTT, "mqtt" }, { NDPI_PROTOCOL_MODBUS, "modbus" },
		{ NDPI_PROTOCOL_DNP3, "dnp3" }, { NDPI_PROTOCOL_KERBEROS, "krb5" },
		{ NDPI_PROTOCOL_TFTP, "tftp" }, { NDPI_PROTOCOL_MAIL_IMAP, "imap" },
		{ NDPI_PROTOCOL_MAIL_POP, "pop3" }, { NDPI_PROTOCOL_QUIC, "quic" },
		{ NDPI_PROTOCOL_DTLS, "dtls" },
	};
	uint16_t id = f->master ? f->master : f->app;
	const char *name;
	size_t i;

	if (id == NDPI_PROTOCOL_UNKNOWN)
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].id == id)
			return map[i].name;
	name = ndpi_get_proto_name(d->mod, id);
	if (!name || len == 0)
		return NULL;
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

void dpi_get_stats(const struct dpi *d, struct dpi_stats *s)
{
	*s = d->st;
	s->mem_bytes = mem_in_use(d);
}
