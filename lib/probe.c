/*
 * probe.c - see probe.h. HTTP(S) through libcurl (redirect policy, CA,
 * status, keyword, regex, a JSON field (jsonpath.h), response time and its
 * thresholds); TCP by a non-blocking connect;
 * TLS by a handshake with OpenSSL that checks the chain and the name and
 * reads the certificate's expiry, after a STARTTLS dialogue (starttls.h)
 * when the check asks for one; DNS: a query made by libresolv, sent to
 * the check's server (IPv4 or IPv6, any port) on our own socket (dnsq.h)
 * or through the system's resolver, record type, expected answer, rcode;
 * ICMP echo through an unprivileged ping socket (net.ipv4.ping_group_range
 * must hold the console's group).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dnsq.h"
#include "jsonpath.h"
#include "mono.h"
#include "starttls.h"

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *probe_state_name(enum probe_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "UNKNOWN";
}

int probe_regex_bounded(const char *re, char *why, size_t whylen)
{
	int repeats = 0;
	bool bracket = false;

	for (const char *p = re; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (bracket) {
			if (*p == ']')
				bracket = false;
			continue;
		}
		if (*p == '[') {
			bracket = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;    /* a ']' first is a member */
			continue;
		}
		if (*p != '+' && *p != '{')
			continue;
		if (++repeats > PROBE_REGEX_REPEATS) {
			snprintf(why, whylen, "more than %d repetitions with + or {} (the "
				 "regular expression library needs memory exponential in them)",
				 PROBE_REGEX_REPEATS);
			return -1;
		}
		if (*p == '{') {
			for (const char *q = p + 1; *q != '\0' && *q != '}'; q++) {
				char *end;
				long v;

				if (*q < '0' || *q > '9')
					continue;
				v = strtol(q, &end, 10);
				if (v > PROBE_REGEX_BOUND) {
					snprintf(why, whylen, "a bound above %d in {}", PROBE_REGEX_BOUND);
					return -1;
				}
				q = end - 1;
			}
		}
	}
	return 0;
}

int probe_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static void __attribute__((format(printf, 3, 4)))
set(struct probe_result *r, enum probe_state s, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->state = s;
	n = snprintf(r->output, sizeof(r->output), "%s - ", probe_state_name(s));
	if (n < 0 || (size_t)n >= sizeof(r->output))
		return;
	va_start(ap, fmt);
	vsnprintf(r->output + n, sizeof(r->output) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- HTTP(S) ------------------------------------------------------------- */

struct body {
	char *p;
	size_t len;
	bool cut;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n, take = len;

	if (b->len + take > PROBE_BODY_MAX) {
		take = PROBE_BODY_MAX - b->len;
		b->cut = true;
	}
	if (take > 0) {
		char *q = realloc(b->p, b->len + take + 1);

		if (q == NULL)
			return 0;
		b->p = q;
		memcpy(b->p + b->len, data, take);
		b->len += take;
		b->p[b->len] = '\0';
	}
	return len;
}

/* Does the body match the check's regex? When not, r says why. */
static bool regex_matches(const struct inv_check *c, long code, const struct body *b,
			  struct probe_result *r)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, c->regex, REG_EXTENDED | REG_NOSUB) != 0) {
		set(r, PROBE_UNKNOWN, "bad regex");
		return false;
	}
	ok = regexec(&re, b->p != NULL ? b->p : "", 0, NULL, 0) == 0;
	if (!ok)
		set(r, PROBE_CRITICAL, "HTTP %ld, regex \"%s\" does not match", code, c->regex);
	regfree(&re);
	return ok;
}

/* Does the body's JSON field meet the check's condition? When not, r says why. */
static bool json_holds(const struct inv_check *c, long code, const struct body *b,
		       struct probe_result *r)
{
	char why[300];
	int rc;

	if (b->cut) {
		set(r, PROBE_CRITICAL, "HTTP %ld, the body is longer than 1 MB: not read as JSON",
		    code);
		return false;
	}
	rc = jsonpath_test(b->p != NULL ? b->p : "", b->len, c->json_path, c->json_op,
			   c->json_value, why, sizeof(why));
	if (rc == 0)
		return true;
	if (rc < 0) {
		set(r, PROBE_CRITICAL, "HTTP %ld, json %s", code, why);
		return false;
	}
	set(r, PROBE_CRITICAL, "HTTP %ld, json %s, expected %s%s%s%s", code, why,
	    c->json_op == JSONPATH_BELOW ? "below " : c->json_op == JSONPATH_ABOVE ? "above " : "",
	    c->json_op == JSONPATH_IS ? "\"" : "", c->json_value,
	    c->json_op == JSONPATH_IS ? "\"" : "");
	return false;
}

static void run_http(const struct inv_check *c, struct probe_result *r)
{
	CURL *h = curl_easy_init();
	struct body b = { NULL, 0, false };
	char cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	double secs = 0;
	CURLcode rc;

	if (h == NULL) {
		set(r, PROBE_UNKNOWN, "out of memory");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, c->target);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, c->redirects == INV_REDIR_FOLLOW ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kastro-console (service check)");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (c->ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &secs);
	r->ms = (uint32_t)(secs * 1000.0);
	if (rc != CURLE_OK) {
		set(r, PROBE_CRITICAL, "%s", cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
	} else if (c->status != 0 ? code != c->status : (code < 200 || code >= 400)) {
		if (c->status != 0)
			set(r, PROBE_CRITICAL, "HTTP %ld, expected %u", code, c->status);
		else
			set(r, PROBE_CRITICAL, "HTTP %ld", code);
	} else if (c->keyword[0] != '\0' &&
		   (b.p == NULL || memmem(b.p, b.len, c->keyword, strlen(c->keyword)) == NULL)) {
		set(r, PROBE_CRITICAL, "HTTP %ld, keyword \"%s\" not found%s", code, c->keyword,
		    b.cut ? " in the first 1 MB" : "");
	} else if (c->regex[0] != '\0' && !regex_matches(c, code, &b, r)) {
		;
	} else if (c->json_op != JSONPATH_NONE && !json_holds(c, code, &b, r)) {
		;
	} else if (c->crit_ms != 0 && r->ms > c->crit_ms) {
		set(r, PROBE_CRITICAL, "HTTP %ld, %zu bytes in %u ms, over the critical-time %u ms",
		    code, b.len, r->ms, c->crit_ms);
	} else if (c->warn_ms != 0 && r->ms > c->warn_ms) {
		set(r, PROBE_WARNING, "HTTP %ld, %zu bytes in %u ms, over the warn-time %u ms",
		    code, b.len, r->ms, c->warn_ms);
	} else {
		set(r, PROBE_OK, "HTTP %ld, %zu bytes in %u ms", code, b.len, r->ms);
	}
	free(b.p);
	curl_easy_cleanup(h);
}

/* ---- TCP and TLS --------------------------------------------------------- */

/* A connected socket to host:port within timeout_ms, or -1 with why. */
static int connect_to(const char *host, uint16_t port, int timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char ps[8];
	int fd = -1, e;

	snprintf(ps, sizeof(ps), "%u", port);
	e = getaddrinfo(host, ps, &hints, &res);
	if (e != 0) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	snprintf(why, whylen, "%s port %u: no address", host, port);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t sl = sizeof(e);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, timeout_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				break;
			if (e == EINPROGRESS)
				e = ETIMEDOUT;
		}
		snprintf(why, whylen, "%s port %u: %s", host, port, strerror(e));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	return fd;
}

static void run_tcp(const struct inv_check *c, struct probe_result *r)
{
	uint64_t t0 = mono_ms();
	char why[256];
	int fd = connect_to(c->target, c->port, (int)c->timeout * 1000, why, sizeof(why));

	r->ms = (uint32_t)(mono_ms() - t0);
	if (fd < 0) {
		set(r, PROBE_CRITICAL, "%s", why);
		return;
	}
	close(fd);
	set(r, PROBE_OK, "%s port %u accepts connections (%u ms)", c->target, c->port, r->ms);
}

/*
 * The TLS handshake on the non-blocking fd by deadline (mono_ms()): a
 * server that sends its part a byte at a time does not hold the check past
 * its timeout. 1 done, 0 timed out, -1 failed (the error queue says why).
 */
static int handshake(SSL *ssl, int fd, uint64_t deadline)
{
	for (;;) {
		int rc = SSL_connect(ssl), e = SSL_get_error(ssl, rc), n;
		struct pollfd p = { .fd = fd };
		uint64_t now;

		if (rc == 1)
			return 1;
		if (e == SSL_ERROR_WANT_READ)
			p.events = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			p.events = POLLOUT;
		else
			return -1;
		now = mono_ms();
		if (now >= deadline)
			return 0;
		n = poll(&p, 1, (int)(deadline - now));
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static void run_tls(const struct inv_check *c, struct probe_result *r)
{
	uint64_t t0 = mono_ms(), deadline = t0 + (uint64_t)c->timeout * 1000;
	char why[256];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *cert = NULL;
	int fd = connect_to(c->target, c->port, (int)c->timeout * 1000, why, sizeof(why)), fl, hs;
	long vr;

	if (fd < 0) {
		set(r, PROBE_CRITICAL, "%s", why);
		return;
	}
	if (c->starttls[0] != '\0' &&
	    starttls_begin(fd, starttls_proto_of(c->starttls), deadline, why, sizeof(why)) < 0) {
		set(r, PROBE_CRITICAL, "%s port %u, %s: %s", c->target, c->port, c->starttls, why);
		close(fd);
		return;
	}
	/* the handshake within what is left of the timeout */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		set(r, PROBE_UNKNOWN, "fcntl: %s", strerror(errno));
		close(fd);
		return;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || (c->ca[0] != '\0' ? SSL_CTX_load_verify_locations(ctx, c->ca, NULL)
					    : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		set(r, PROBE_UNKNOWN, "cannot load the CA %s", c->ca[0] != '\0' ? c->ca : "paths");
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);  /* verified below, to report why */
	ssl = SSL_new(ctx);
	if (ssl == NULL) {
		set(r, PROBE_UNKNOWN, "out of memory");
		goto out;
	}
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, c->target);
	SSL_set1_host(ssl, c->target);
	hs = handshake(ssl, fd, deadline);
	if (hs == 0) {
		set(r, PROBE_CRITICAL, "TLS handshake with %s port %u timed out after %us", c->target,
		    c->port, c->timeout);
		goto out;
	}
	if (hs < 0) {
		unsigned long e = ERR_get_error();

		set(r, PROBE_CRITICAL, "TLS handshake with %s port %u failed: %s", c->target, c->port,
		    e != 0 ? ERR_reason_error_string(e) : "connection closed");
		goto out;
	}
	r->ms = (uint32_t)(mono_ms() - t0);
	cert = SSL_get1_peer_certificate(ssl);
	if (cert == NULL) {
		set(r, PROBE_CRITICAL, "%s sent no certificate", c->target);
		goto out;
	}
	{
		const ASN1_TIME *na = X509_get0_notAfter(cert);
		struct tm tm;
		int64_t now = (int64_t)time(NULL), days;

		if (ASN1_TIME_to_tm(na, &tm) != 1) {
			set(r, PROBE_UNKNOWN, "unreadable expiry date");
			goto out;
		}
		r->cert_expiry = (int64_t)timegm(&tm);
		days = (r->cert_expiry - now) / 86400;
		vr = SSL_get_verify_result(ssl);
		if (r->cert_expiry <= now)
			set(r, PROBE_CRITICAL, "certificate of %s expired %" PRId64 " days ago",
			    c->target, (now - r->cert_expiry) / 86400);
		else if (vr != X509_V_OK)
			set(r, PROBE_CRITICAL, "certificate of %s does not verify: %s", c->target,
			    X509_verify_cert_error_string(vr));
		else if (days < (int64_t)c->warn_days[2])
			set(r, PROBE_CRITICAL, "certificate of %s expires in %" PRId64 " days",
			    c->target, days);
		else if (days < (int64_t)c->warn_days[0])
			set(r, PROBE_WARNING, "certificate of %s expires in %" PRId64 " days",
			    c->target, days);
		else
			set(r, PROBE_OK, "certificate of %s valid for %" PRId64 " days", c->target,
			    days);
	}
out:
	X509_free(cert);
	if (ssl != NULL)
		SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

/* ---- DNS ----------------------------------------------------------------- */

static const struct { const char *name; int type; } dns_types[] = {
	{ "A", ns_t_a }, { "AAAA", ns_t_aaaa }, { "CNAME", ns_t_cname }, { "MX", ns_t_mx },
	{ "NS", ns_t_ns }, { "TXT", ns_t_txt },
};
static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
				      "REFUSED" };

static void run_dns(const struct inv_check *c, struct probe_result *r)
{
	struct __res_state rs;
	unsigned char q[512], *a;
	int type = ns_t_a, qn, an = -1;
	uint64_t t0 = mono_ms();
	struct dnsq_result d;
	char why[200] = "no answer";

	for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (strcmp(c->dns_type, dns_types[i].name) == 0)
			type = dns_types[i].type;
	a = malloc(DNSQ_ANSWER_MAX);
	memset(&rs, 0, sizeof(rs));
	if (a == NULL || res_ninit(&rs) != 0) {
		set(r, PROBE_UNKNOWN, a == NULL ? "out of memory" : "resolver set-up failed");
		free(a);
		return;
	}
	rs.retrans = (int)c->timeout;
	rs.retry = 1;
	qn = res_nmkquery(&rs, ns_o_query, c->target, ns_c_in, type, NULL, 0, NULL, q, sizeof(q));
	if (qn < 0) {
		set(r, PROBE_UNKNOWN, "cannot ask for %s", c->target);
	} else if (c->dns_server[0] != '\0') {
		/* our own socket: IPv6 servers and ports too */
		struct sockaddr_storage ss;
		socklen_t sl;

		if (dnsq_server(c->dns_server, &ss, &sl, why, sizeof(why)) == 0)
			an = dnsq_exchange((struct sockaddr *)&ss, sl, q, qn, a,
					   t0 + (uint64_t)c->timeout * 1000, why, sizeof(why));
	} else {
		an = res_nsend(&rs, q, qn, a, DNSQ_ANSWER_MAX);
	}
	res_nclose(&rs);
	r->ms = (uint32_t)(mono_ms() - t0);
	if (qn < 0)
		goto out;
	if (an < 0 || dnsq_answer(a, an, type, c->dns_expect, &d) < 0) {
		if (an < 0 && c->dns_server[0] != '\0')
			set(r, PROBE_CRITICAL, "%s %s from %s: %s", c->target, c->dns_type,
			    c->dns_server, why);
		else if (an < 0)
			set(r, PROBE_CRITICAL, "no answer for %s %s within %us", c->target,
			    c->dns_type, c->timeout);
		else
			set(r, PROBE_CRITICAL, "%s %s: the answer is not a DNS message", c->target,
			    c->dns_type);
		goto out;
	}
	if (strcmp(c->dns_rcode, d.rcode >= 0 && d.rcode < 6 ? rcodes[d.rcode] : "?") != 0)
		set(r, PROBE_CRITICAL, "%s %s: %s, expected %s", c->target, c->dns_type,
		    d.rcode >= 0 && d.rcode < 6 ? rcodes[d.rcode] : "other rcode", c->dns_rcode);
	else if (c->dns_expect[0] != '\0' && !d.found)
		set(r, PROBE_CRITICAL, "%s %s: \"%s\" not in the answer (%s)", c->target,
		    c->dns_type, c->dns_expect, d.first[0] != '\0' ? d.first : "no records");
	else
		set(r, PROBE_OK, "%s %s: %s%s%s in %u ms", c->target, c->dns_type, c->dns_rcode,
		    d.first[0] != '\0' ? ", " : "", d.first, r->ms);
out:
	free(a);
}

/* ---- ICMP ---------------------------------------------------------------- */

static void run_icmp(const struct inv_check *c, struct probe_result *r)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res;
	struct icmphdr req = { .type = ICMP_ECHO }, rep;
	uint64_t t0 = mono_ms(), deadline = t0 + (uint64_t)c->timeout * 1000;
	int fd, e;

	e = getaddrinfo(c->target, NULL, &hints, &res);
	if (e != 0) {
		set(r, PROBE_CRITICAL, "%s: %s", c->target, gai_strerror(e));
		return;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		set(r, PROBE_UNKNOWN, "no ping socket (%s): net.ipv4.ping_group_range must include "
		    "the console's group", strerror(errno));
		freeaddrinfo(res);
		return;
	}
	req.un.echo.sequence = htons(1);
	if (sendto(fd, &req, sizeof(req), 0, res->ai_addr, res->ai_addrlen) < 0) {
		set(r, PROBE_CRITICAL, "%s: %s", c->target, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;

		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) != 1) {
			set(r, PROBE_CRITICAL, "%s: no echo reply within %us", c->target, c->timeout);
			break;
		}
		n = recv(fd, &rep, sizeof(rep), 0);
		if (n >= (ssize_t)sizeof(rep) && rep.type == ICMP_ECHOREPLY) {
			r->ms = (uint32_t)(mono_ms() - t0);
			set(r, PROBE_OK, "%s answers echo in %u ms", c->target, r->ms);
			break;
		}
	}
out:
	close(fd);
	freeaddrinfo(res);
}

void probe_run(const struct inv_check *c, struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
	switch (c->kind) {
	case INV_CHK_HTTP:
	case INV_CHK_HTTPS:
		run_http(c, r);
		break;
	case INV_CHK_TCP:
		run_tcp(c, r);
		break;
	case INV_CHK_TLS:
		run_tls(c, r);
		break;
	case INV_CHK_ICMP:
		run_icmp(c, r);
		break;
	case INV_CHK_DNS:
		run_dns(c, r);
		break;
	default:
		set(r, PROBE_UNKNOWN, "%s checks are not run by the console yet", inv_kind_name(c->kind));
		break;
	}
}
