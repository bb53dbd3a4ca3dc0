/*
 * eve.c - see eve.h.
 */
#include "eve.h"

#include <stdbool.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"

/* standard output's buffer when EVE goes there: it must outlive the stream */
static char stdout_buf[EVE_STDIO_BUF];

int eve_open(struct eve *e, const char *path, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (strcmp(path, "-") == 0) {
		e->fp = stdout;
		e->own_fp = 0;
	} else {
		e->fp = fopen(path, "ae");
		if (!e->fp) {
			snprintf(err, errlen, "cannot open EVE output %s: %s", path, strerror(errno));
			return -1;
		}
		e->own_fp = 1;
	}
	/* Full buffering; the loop flushes when idle and once a second, and
	   eve_commit() before a line that would not fit: a reader of the file
	   (a SIEM's shipper, tail -f) never sees half a line. The buffer is
	   ours: given none, stdio takes the file's block size (4 KiB) whatever
	   size is asked. Standard output's lives as long as the process. */
	if (e->own_fp) {
		e->iobuf = malloc(EVE_STDIO_BUF);
		if (e->iobuf == NULL) {
			snprintf(err, errlen, "EVE output %s: no memory for its buffer", path);
			fclose(e->fp);
			e->fp = NULL;
			return -1;
		}
	}
	setvbuf(e->fp, e->own_fp ? e->iobuf : stdout_buf, _IOFBF, EVE_STDIO_BUF);
	return 0;
}

int eve_flush(struct eve *e)
{
	if (!e->fp)
		return 0;
	e->pending = 0;
	if (fflush(e->fp) != 0) {
		e->write_errors++;
		clearerr(e->fp);
		return -1;
	}
	return 0;
}

int eve_switch(struct eve *e, int fd, char *err, size_t errlen)
{
	int old;

	if (!e->fp || !e->own_fp) {
		close(fd);
		snprintf(err, errlen, "EVE goes to standard output: no file to open again");
		return -1;
	}
	eve_flush(e);
	old = fileno(e->fp);
	if (dup3(fd, old, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot switch to the new EVE file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	e->reopens++;
	return 0;
}

void eve_close(struct eve *e)
{
	if (!e->fp)
		return;
	eve_flush(e);
	if (e->own_fp)
		fclose(e->fp);
	e->fp = NULL;
	free(e->iobuf);
	e->iobuf = NULL;
}

/* "YYYY-MM-DDTHH:MM:SS" of a second since the epoch, UTC. */
static void fmt_second(uint64_t sec, char *buf, size_t len)
{
	time_t s = (time_t)sec;
	struct tm tm;

	if (!gmtime_r(&s, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Events come in time order, many per second: the date part is formatted
 * once per second, the microseconds by hand.
 */
void eve_time(struct eve *e, uint64_t us, char *buf)
{
	uint64_t sec = us / 1000000;
	uint32_t frac = (uint32_t)(us % 1000000);
	unsigned slot = (unsigned)(sec % 4);
	size_t n;
	int i;

	if (sec != e->ts_sec[slot] || e->ts_text[slot][0] == '\0') {
		fmt_second(sec, e->ts_text[slot], sizeof(e->ts_text[slot]));
		e->ts_sec[slot] = sec;
	}
	n = strlen(e->ts_text[slot]);
	if (n > EVE_TIME_LEN - 13)
		n = EVE_TIME_LEN - 13;   /* only for years past 9999 */
	memcpy(buf, e->ts_text[slot], n);
	buf[n] = '.';
	for (i = 6; i >= 1; i--) {
		buf[n + (size_t)i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	memcpy(buf + n + 7, "+0000", 6);
}

void eve_begin(struct eve *e, struct jw *w, uint64_t ts_us, const char *event_type)
{
	char ts[EVE_TIME_LEN];

	jw_begin(w, e->buf, sizeof(e->buf));
	eve_time(e, ts_us, ts);
	jw_str(w, "timestamp", ts);
	if (event_type)
		jw_str(w, "event_type", event_type);
}

void eve_commit(struct eve *e, struct jw *w)
{
	long n = jw_end(w);

	if (n < 0) {
		e->dropped_too_big++;
		return;
	}
	if (e->tap) {
		if (e->tap(e->tap_ctx, e->buf, (size_t)n) == 0)
			e->tap_sent++;
		else
			e->tap_dropped++;
	}
	e->buf[n] = '\n';
	/* stdio writes a full buffer as it is, ending wherever the line in
	   hand was cut: flush the whole lines before this one first */
	if (e->pending + (size_t)n + 1 > EVE_STDIO_BUF)
		eve_flush(e);
	e->pending += (size_t)n + 1;
	if (fwrite(e->buf, 1, (size_t)n + 1, e->fp) != (size_t)n + 1) {
		e->write_errors++;
		clearerr(e->fp);
		return;
	}
	e->events++;
}

/* IPv4 by hand (inet_ntop goes through printf); IPv6 by inet_ntop. */
static void addr_str(const uint8_t *a, int ipver, char *buf, size_t len)
{
	char *p = buf;
	int i;

	if (ipver == 6) {
		if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len))
			snprintf(buf, len, "?");
		return;
	}
	for (i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

static void hex2(uint8_t v, char out[3])
{
	static const char hex[] = "0123456789abcdef";

	out[0] = hex[v >> 4];
	out[1] = hex[v & 15];
	out[2] = '\0';
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

/* Common header: flow id, interface, type, addresses, ports, proto. */
static void flow_header(struct eve *e, struct jw *w, struct dpi *d, const struct flow *f,
			const char *iface, uint64_t ts_us, const char *event_type)
{
	const struct flow_key *k = &f->key;
	const uint8_t *sa = f->init_is_lo ? k->lo : k->hi;
	const uint8_t *da = f->init_is_lo ? k->hi : k->lo;
	uint16_t sp = f->init_is_lo ? k->lo_port : k->hi_port;
	uint16_t dp = f->init_is_lo ? k->hi_port : k->lo_port;
	char ts[EVE_TIME_LEN], a[INET6_ADDRSTRLEN], pbuf[8], app[64];
	const char *ap;

	jw_begin(w, e->buf, sizeof(e->buf));
	eve_time(e, ts_us, ts);
	jw_str(w, "timestamp", ts);
	jw_u64(w, "flow_id", f->id);
	if (iface)
		jw_str(w, "in_iface", iface);
	jw_str(w, "event_type", event_type);
	if (k->vlan[0] || k->vlan[1]) {
		jw_arr(w, "vlan");
		jw_u64(w, NULL, k->vlan[0]);
		if (k->vlan[1])
			jw_u64(w, NULL, k->vlan[1]);
		jw_arr_end(w);
	}
	addr_str(sa, k->ipver, a, sizeof(a));
	jw_str(w, "src_ip", a);
	if (k->proto == 6 || k->proto == 17 || k->proto == 132)
		jw_u64(w, "src_port", sp);
	addr_str(da, k->ipver, a, sizeof(a));
	jw_str(w, "dest_ip", a);
	if (k->proto == 6 || k->proto == 17 || k->proto == 132)
		jw_u64(w, "dest_port", dp);
	jw_str(w, "proto", proto_name(k->proto, pbuf, sizeof(pbuf)));
	if (k->proto == 1 || k->proto == 58) {
		jw_u64(w, "icmp_type", f->icmp_type);
		jw_u64(w, "icmp_code", f->icmp_code);
	}
	ap = dpi_app_proto(d, &f->dpi, app, sizeof(app));
	if (ap)
		jw_str(w, "app_proto", ap);
}

static void ndpi_object(struct jw *w, struct dpi *d, const struct flow *f)
{
	char name[128], id[32];
	unsigned r;

	jw_obj(w, "ndpi");
	jw_str(w, "protocol", dpi_proto_name(d, &f->dpi, name, sizeof(name)));
	jw_str(w, "protocol_id", dpi_proto_id(d, &f->dpi, id, sizeof(id)));
	jw_str(w, "master_protocol", dpi_id_name(d, f->dpi.master));
	jw_str(w, "app_protocol", dpi_id_name(d, f->dpi.app));
	jw_str(w, "category", dpi_category_name(d, &f->dpi));
	jw_arr(w, "risks");
	for (r = 1; r < 64; r++) {
		const char *rn;

		if (!(f->dpi.risk & (1ull << r)))
			continue;
		rn = dpi_risk_name(r);
		if (rn)
			jw_str(w, NULL, rn);
	}
	jw_arr_end(w);
	jw_str(w, "confidence", dpi_confidence_name(&f->dpi));
	if (f->dpi.hostname[0])
		jw_str(w, "hostname", f->dpi.hostname);
	if (f->tunnel != DEC_TUN_NONE)
		jw_str(w, "tunnel", decode_tunnel_name(f->tunnel));
	if (f->dpi.skipped)
		jw_bool(w, "dpi_skipped", true);
	jw_obj_end(w);
}

static const char *state_name(uint8_t s)
{
	switch (s) {
	case FLOW_STATE_ESTABLISHED: return "established";
	case FLOW_STATE_CLOSED: return "closed";
	default: return "new";
	}
}

/* May one more capped event of time ts_us be written? Counts it either way. */
static bool rate_ok(struct eve *e, uint64_t ts_us)
{
	uint64_t sec = ts_us / 1000000u;

	if (e->max_rate == 0)
		return true;
	/* events come nearly in time order; an older one counts in the current second */
	if (sec > e->rate_sec) {
		e->rate_sec = sec;
		e->rate_n = 0;
	}
	if (e->rate_n >= e->max_rate) {
		e->dropped_rate++;
		return false;
	}
	e->rate_n++;
	return true;
}

void eve_flow(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	      const char *reason)
{
	struct jw w;
	char ts[EVE_TIME_LEN];

	if (!rate_ok(e, f->last_us))
		return;

	/* Suricata stamps flow events with the flow's start. */
	flow_header(e, &w, d, f, iface, f->first_us, "flow");
	jw_obj(&w, "flow");
	jw_u64(&w, "pkts_toserver", f->pkts[0]);
	jw_u64(&w, "pkts_toclient", f->pkts[1]);
	jw_u64(&w, "bytes_toserver", f->bytes[0]);
	jw_u64(&w, "bytes_toclient", f->bytes[1]);
	eve_time(e, f->first_us, ts);
	jw_str(&w, "start", ts);
	eve_time(e, f->last_us, ts);
	jw_str(&w, "end", ts);
	jw_u64(&w, "age", (f->last_us - f->first_us) / 1000000);
	jw_str(&w, "state", state_name(f->state));
	jw_str(&w, "reason", reason);
	jw_bool(&w, "alerted", f->alerted);
	jw_obj_end(&w);
	if (f->key.proto == 6) {
		char hex[3];

		jw_obj(&w, "tcp");
		hex2(f->tcp_flags[0] | f->tcp_flags[1], hex);
		jw_str(&w, "tcp_flags", hex);
		hex2(f->tcp_flags[0], hex);
		jw_str(&w, "tcp_flags_ts", hex);
		hex2(f->tcp_flags[1], hex);
		jw_str(&w, "tcp_flags_tc", hex);
		jw_obj_end(&w);
	}
	ndpi_object(&w, d, f);
	eve_commit(e, &w);
}

static const char *rrtype_name(uint16_t t, char *buf, size_t len)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 65: return "HTTPS";
	case 255: return "ANY";
	default:
		snprintf(buf, len, "TYPE%u", t);
		return buf;
	}
}

static const char *rcode_name(uint8_t rc, char *buf, size_t len)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					 "NOTIMP", "REFUSED" };

	if (rc < sizeof(n) / sizeof(n[0]))
		return n[rc];
	snprintf(buf, len, "RCODE%u", rc);
	return buf;
}

static const char *tls_version_name(uint16_t v, char *buf, size_t len)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	case 0xfeff: return "DTLS 1.0";
	case 0xfefd: return "DTLS 1.2";
	default:
		if ((v & 0xff00) == 0x7f00) {
			snprintf(buf, len, "TLS 1.3 draft %u", v & 0xff);
			return buf;
		}
		snprintf(buf, len, "0x%04x", v);
		return buf;
	}
}

static void dns_object(struct jw *w, const struct flow *f, const struct dpi_meta *m)
{
	char b1[16], b2[16];
	const char *rr = rrtype_name(m->u.dns.qtype, b1, sizeof(b1));

	jw_obj(w, "dns");
	jw_str(w, "type", m->u.dns.is_query ? "query" : "answer");
	jw_str(w, "rrname", f->dpi.hostname);
	jw_str(w, "rrtype", rr);
	if (!m->u.dns.is_query) {
		jw_str(w, "rcode", rcode_name(m->u.dns.rcode, b2, sizeof(b2)));
		if (m->u.dns.answer[0]) {
			/* nDPI keeps the first address answered, nothing else. */
			jw_arr(w, "answers");
			jw_obj(w, NULL);
			jw_str(w, "rrname", f->dpi.hostname);
			jw_str(w, "rrtype", strchr(m->u.dns.answer, ':') ? "AAAA" : "A");
			jw_str(w, "rdata", m->u.dns.answer);
			jw_obj_end(w);
			jw_arr_end(w);
		}
	}
	jw_obj_end(w);
}

static void tls_object(struct jw *w, const char *name, const struct flow *f,
		       const struct dpi_meta *m)
{
	char vb[32], ts[64];

	jw_obj(w, name);
	if (f->dpi.hostname[0])
		jw_str(w, "sni", f->dpi.hostname);
	if (m->u.tls.version)
		jw_str(w, "version", tls_version_name(m->u.tls.version, vb, sizeof(vb)));
	if (m->u.tls.subject[0])
		jw_str(w, "subject", m->u.tls.subject);
	if (m->u.tls.issuer[0])
		jw_str(w, "issuerdn", m->u.tls.issuer);
	if (m->u.tls.sha1[0])
		jw_str(w, "fingerprint", m->u.tls.sha1);
	if (m->u.tls.not_before) {
		fmt_second(m->u.tls.not_before, ts, sizeof(ts));
		jw_str(w, "notbefore", ts);
	}
	if (m->u.tls.not_after) {
		fmt_second(m->u.tls.not_after, ts, sizeof(ts));
		jw_str(w, "notafter", ts);
	}
	if (m->u.tls.ja3c[0]) {
		jw_obj(w, "ja3");
		jw_str(w, "hash", m->u.tls.ja3c);
		jw_obj_end(w);
	}
	if (m->u.tls.ja3s[0]) {
		jw_obj(w, "ja3s");
		jw_str(w, "hash", m->u.tls.ja3s);
		jw_obj_end(w);
	}
	if (m->u.tls.alpn[0])
		jw_str(w, "alpn", m->u.tls.alpn);
	jw_obj_end(w);
}

static void http_object(struct jw *w, const struct flow *f, const struct dpi_meta *m)
{
	jw_obj(w, "http");
	if (f->dpi.hostname[0])
		jw_str(w, "hostname", f->dpi.hostname);
	if (m->u.http.url[0])
		jw_str(w, "url", m->u.http.url);
	if (m->u.http.method[0])
		jw_str(w, "http_method", m->u.http.method);
	if (m->u.http.user_agent[0])
		jw_str(w, "http_user_agent", m->u.http.user_agent);
	if (m->u.http.content_type[0])
		jw_str(w, "http_content_type", m->u.http.content_type);
	if (m->u.http.status)
		jw_u64(w, "status", m->u.http.status);
	jw_obj_end(w);
}

/* Would the event's dns/tls/http object hold nothing (a guess by port)? */
static bool meta_empty(const struct flow *f, const struct dpi_meta *m)
{
	if (f->dpi.hostname[0])
		return false;
	switch (m->kind) {
	case DPI_META_DNS:
		return m->u.dns.qtype == 0 && m->u.dns.answer[0] == '\0';
	case DPI_META_TLS:
		return !m->u.tls.version && !m->u.tls.subject[0] && !m->u.tls.issuer[0] &&
		       !m->u.tls.sha1[0] && !m->u.tls.not_before && !m->u.tls.not_after &&
		       !m->u.tls.ja3c[0] && !m->u.tls.ja3s[0] && !m->u.tls.alpn[0];
	case DPI_META_HTTP:
		return !m->u.http.url[0] && !m->u.http.method[0] && !m->u.http.user_agent[0] &&
		       !m->u.http.content_type[0] && !m->u.http.status;
	default:
		return true;
	}
}

void eve_app(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	     const struct dpi_meta *m, uint64_t ts_us)
{
	struct jw w;

	if (meta_empty(f, m)) {
		e->skipped_empty++;
		return;
	}
	if (!rate_ok(e, ts_us))
		return;

	switch (m->kind) {
	case DPI_META_DNS:
		flow_header(e, &w, d, f, iface, ts_us, "dns");
		dns_object(&w, f, m);
		break;
	case DPI_META_TLS: {
		/* QUIC carries a TLS handshake; Suricata names its event "quic". */
		char app[64];
		const char *ap = dpi_app_proto(d, &f->dpi, app, sizeof(app));
		const char *ev = ap && strcmp(ap, "quic") == 0 ? "quic" : "tls";

		flow_header(e, &w, d, f, iface, ts_us, ev);
		tls_object(&w, ev, f, m);
		break;
	}
	case DPI_META_HTTP:
		flow_header(e, &w, d, f, iface, ts_us, "http");
		http_object(&w, f, m);
		break;
	default:
		return;
	}
	ndpi_object(&w, d, f);
	eve_commit(e, &w);
}

void eve_alert(struct eve *e, struct dpi *d, const struct flow *f, const char *iface,
	       const struct verdict *v, uint64_t ts_us)
{
	struct jw w;

	flow_header(e, &w, d, f, iface, ts_us, "alert");
	jw_obj(&w, "alert");
	jw_str(&w, "action", v->action == VERDICT_BLOCK ? "blocked" : "allowed");
	jw_u64(&w, "gid", 1);
	jw_u64(&w, "signature_id", v->rule_id);
	jw_u64(&w, "rev", 1);
	jw_strn(&w, "signature", v->signature, strnlen(v->signature, sizeof(v->signature)));
	jw_strn(&w, "category", v->category, strnlen(v->category, sizeof(v->category)));
	jw_u64(&w, "severity", v->severity);
	jw_obj_end(&w);
	ndpi_object(&w, d, f);
	eve_commit(e, &w);
}
