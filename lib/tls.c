/*
 * tls.c - see tls.h.
 *
 * OpenSSL's verify callback gets no argument of its own, so a server
 * context's peer check is kept in the SSL_CTX's ex_data, under one index
 * for the process that is allocated once (CRYPTO_THREAD_run_once) and whose
 * free function releases the check with the context.
 */
#include "tls.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "hex.h"

/* TLS 1.2 only: ECDHE for forward secrecy, AEAD ciphers only. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"
/* Names a server asking for client certificates gives its sessions. */
#define SESSION_ID_CTX "kastro-mtls"

/* A server context's peer check (ex_data, freed with the context). */
struct peer_check {
	tls_peer_check_fn fn;
	void *arg;
};

static CRYPTO_ONCE peer_once = CRYPTO_ONCE_STATIC_INIT;
static int peer_idx = -1;

/* err = the message; OpenSSL's queue is emptied. */
void tls_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

/* err = "<message>: <OpenSSL's reasons>"; the queue is emptied. */
void tls_fail_ossl(char *err, size_t errlen, const char *fmt, ...)
{
	char what[512], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tls_last_error(why, sizeof(why));
	snprintf(err, errlen, "%s: %s", what, why);
}

const char *tls_last_error(char *buf, size_t len)
{
	const char *data, *prev = NULL;
	bool sys_shown = false;
	size_t used = 0;
	unsigned long e;
	int flags;

	if (len == 0) {
		ERR_clear_error();
		return buf;
	}
	buf[0] = '\0';
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		const char *reason;
		bool has_data = (flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0';
		char code[32];
		int n;

		if (used + 1 >= len)
			continue;       /* full: keep emptying the queue */
		if (ERR_SYSTEM_ERROR(e)) {
			reason = strerror(ERR_GET_REASON(e));
			sys_shown = true;
		} else if (ERR_GET_REASON(e) == ERR_R_SYS_LIB && sys_shown) {
			continue;       /* "system lib" after the system error itself */
		} else if ((reason = ERR_reason_error_string(e)) == NULL) {
			snprintf(code, sizeof(code), "error %08lx", e);
			reason = code;
		}
		if (!has_data && prev != NULL && strcmp(prev, reason) == 0)
			continue;
		prev = reason;
		n = snprintf(buf + used, len - used, "%s%s%s%s%s", used > 0 ? "; " : "", reason,
			     has_data ? " (" : "", has_data ? data : "", has_data ? ")" : "");
		if (n < 0 || (size_t)n >= len - used)
			used = len - 1;
		else
			used += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "no OpenSSL error");
	return buf;
}

/* ---- names, serials, fingerprints ---- */

/* The one entry nid of name, as UTF-8 into out; -1 when there is none,
 * more than one, a NUL inside or no room. */
static int name_entry(const X509_NAME *name, int nid, char *out, size_t outlen)
{
	unsigned char *utf8 = NULL;
	int i, n;

	i = X509_NAME_get_index_by_NID(name, nid, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return -1;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return -1;
	if ((size_t)n >= outlen || memchr(utf8, '\0', (size_t)n) != NULL) {
		OPENSSL_free(utf8);
		return -1;
	}
	memcpy(out, utf8, (size_t)n);
	out[n] = '\0';
	OPENSSL_free(utf8);
	return 0;
}

int tls_serial_hex(const X509 *x, char *out, size_t outlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex, *p;
	size_t n = 0;

	if (bn == NULL)
		return -1;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return -1;
	/* BN_bn2hex writes whole bytes: drop a leading zero digit */
	p = hex;
	if (*p == '-')
		out[n++] = *p++;
	while (p[0] == '0' && p[1] != '\0')
		p++;
	if (n + strlen(p) >= outlen) {
		OPENSSL_free(hex);
		return -1;
	}
	for (; *p != '\0'; p++)
		out[n++] = (*p >= 'A' && *p <= 'F') ? (char)(*p - 'A' + 'a') : *p;
	out[n] = '\0';
	OPENSSL_free(hex);
	return 0;
}

int tls_cert_fingerprint(const X509 *x, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	int n;

	if (outlen < TLS_FP_LEN)
		return -1;
	n = i2d_X509(x, &der);
	if (n <= 0)
		return -1;
	if (!EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	memcpy(out, "SHA256:", 7);
	hex_encode(md, mdlen, out + 7);
	return 0;
}

int tls_pin_normalize(const char *pin, char *out, size_t outlen, char *err, size_t errlen)
{
	static const char *const prefixes[] = { "SHA256 Fingerprint=", "SHA256:" };
	const char *p = pin, *end;
	size_t digits = 0, colons = 0, i;
	char hex[65];

	if (outlen < TLS_FP_LEN) {
		tls_fail(err, errlen, "no room for a fingerprint");
		return -1;
	}
	if (pin == NULL) {
		tls_fail(err, errlen, "no fingerprint given");
		return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if ((size_t)(end - p) >= n && strncasecmp(p, prefixes[i], n) == 0) {
			p += n;
			break;
		}
	}
	for (; p < end; p++) {
		int v = hex_digit(*p);

		if (v >= 0) {
			if (digits == 64) {
				tls_fail(err, errlen, "the fingerprint has more than 64 hex digits: "
				     "give the SHA-256 fingerprint, \"SHA256:\" and 64 hex digits");
				return -1;
			}
			hex[digits++] = "0123456789abcdef"[v];
		} else if (*p == ':' && digits > 0 && digits % 2 == 0 && p[-1] != ':' &&
			   p + 1 < end && hex_digit(p[1]) >= 0) {
			colons++;
		} else {
			tls_fail(err, errlen, "the fingerprint has an unexpected character at "
			     "position %zu: give \"SHA256:\" and 64 hex digits "
			     "(colons between pairs allowed)", (size_t)(p - pin) + 1);
			return -1;
		}
	}
	if (digits != 64) {
		tls_fail(err, errlen, "the fingerprint has %zu hex digits, a SHA-256 fingerprint "
		     "has 64", digits);
		return -1;
	}
	if (colons != 0 && colons != 31) {
		tls_fail(err, errlen, "the fingerprint has colons between some pairs of digits "
		     "but not all");
		return -1;
	}
	hex[64] = '\0';
	snprintf(out, outlen, "SHA256:%s", hex);
	return 0;
}

int tls_pin_matches(const char *pin, const char *fingerprint)
{
	char a[TLS_FP_LEN], b[TLS_FP_LEN], err[160];

	if (tls_pin_normalize(pin, a, sizeof(a), err, sizeof(err)) < 0 ||
	    tls_pin_normalize(fingerprint, b, sizeof(b), err, sizeof(err)) < 0)
		return 0;
	return CRYPTO_memcmp(a, b, TLS_FP_LEN - 1) == 0;
}

/* ---- contexts ---- */

static void peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		      void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void peer_idx_init(void)
{
	peer_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, peer_free);
}

static struct peer_check *peer_of(SSL_CTX *ctx)
{
	if (!CRYPTO_THREAD_run_once(&peer_once, peer_idx_init) || peer_idx < 0)
		return NULL;
	return SSL_CTX_get_ex_data(ctx, peer_idx);
}

/*
 * OpenSSL calls this for every certificate of the client's chain, with ok
 * saying whether its own checks passed. At depth 0 with ok the whole chain
 * verified (up to name constraints, which the console's CA has none of):
 * that is where a revoked sensor is turned away.
 */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	char cn[256], serial[TLS_SERIAL_HEX];
	struct peer_check *pc;
	SSL *ssl;
	X509 *x;

	if (!ok || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return ok;
	pc = peer_of(SSL_get_SSL_CTX(ssl));
	if (pc == NULL || pc->fn == NULL)
		return ok;
	x = X509_STORE_CTX_get_current_cert(xs);
	if (x == NULL || name_entry(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) < 0 ||
	    tls_serial_hex(x, serial, sizeof(serial)) < 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (pc->fn(pc->arg, cn, serial) != 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REVOKED);
		return 0;
	}
	return 1;
}

static int set_versions(SSL_CTX *ctx, bool tls13_only, char *err, size_t errlen)
{
	if (!SSL_CTX_set_min_proto_version(ctx, tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    (!tls13_only && !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS))) {
		tls_fail_ossl(err, errlen, "cannot set the TLS versions and ciphers");
		return -1;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	return 0;
}

/* Add the certificates in file to ctx's chain, unless the leaf or the
 * chain has them already. */
static int add_chain(SSL_CTX *ctx, const char *file, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(file, "r");
	X509 *x, *leaf = SSL_CTX_get0_certificate(ctx);
	int n = 0, i;

	if (b == NULL) {
		tls_fail_ossl(err, errlen, "cannot open the client CA file %s", file);
		return -1;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		STACK_OF(X509) *chain = NULL;
		bool have = leaf != NULL && X509_cmp(x, leaf) == 0;

		n++;
		SSL_CTX_get0_chain_certs(ctx, &chain);
		for (i = 0; !have && chain != NULL && i < sk_X509_num(chain); i++)
			have = X509_cmp(x, sk_X509_value(chain, i)) == 0;
		if (!have && !SSL_CTX_add1_chain_cert(ctx, x)) {
			X509_free(x);
			BIO_free(b);
			tls_fail_ossl(err, errlen, "cannot add %s to the certificate chain", file);
			return -1;
		}
		X509_free(x);
	}
	BIO_free(b);
	/* the loop ends with "no start line" at the end of the file */
	ERR_clear_error();
	if (n == 0) {
		tls_fail(err, errlen, "%s holds no PEM certificate", file);
		return -1;
	}
	return 0;
}

static int want_client_certs(SSL_CTX *ctx, const char *ca_file, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	struct peer_check *pc;

	if (!CRYPTO_THREAD_run_once(&peer_once, peer_idx_init) || peer_idx < 0) {
		tls_fail_ossl(err, errlen, "cannot set up the client certificate check");
		return -1;
	}
	/* the context's store starts empty: this file is all it trusts */
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		tls_fail_ossl(err, errlen, "cannot load the client CA file %s", ca_file);
		return -1;
	}
	names = SSL_load_client_CA_file(ca_file);
	if (names == NULL) {
		tls_fail_ossl(err, errlen, "cannot read the CA names in %s", ca_file);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (add_chain(ctx, ca_file, err, errlen) < 0)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(ctx, 1);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	/* every connection is verified in full: no resumption */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (!SSL_CTX_set_num_tickets(ctx, 0) ||
	    !SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CTX,
					    sizeof(SESSION_ID_CTX) - 1)) {
		tls_fail_ossl(err, errlen, "cannot turn session resumption off");
		return -1;
	}
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL) {
		tls_fail(err, errlen, "out of memory");
		return -1;
	}
	if (!SSL_CTX_set_ex_data(ctx, peer_idx, pc)) {
		free(pc);
		tls_fail_ossl(err, errlen, "cannot set up the client certificate check");
		return -1;
	}
	return 0;
}

/* Load key_file for the certificate already in ctx (from cert_file). */
static int use_key(SSL_CTX *ctx, const char *key_file, const char *cert_file,
		   const char *whose, char *err, size_t errlen)
{
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			tls_fail(err, errlen, "%s is not the key of %s", key_file, cert_file);
		else
			tls_fail_ossl(err, errlen, "cannot load the %s key %s", whose, key_file);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail_ossl(err, errlen, "%s is not the key of %s", key_file, cert_file);
		return -1;
	}
	return 0;
}

SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file,
			const char *client_ca_file, int tls13_only,
			char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		tls_fail_ossl(err, errlen, "cannot create a TLS server context");
		return NULL;
	}
	if (set_versions(ctx, tls13_only != 0, err, errlen) < 0)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_fail_ossl(err, errlen, "cannot load the server certificate %s", cert_file);
		goto fail;
	}
	if (use_key(ctx, key_file, cert_file, "server", err, errlen) < 0)
		goto fail;
	if (client_ca_file != NULL && want_client_certs(ctx, client_ca_file, err, errlen) < 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_server_set_peer_check(SSL_CTX *ctx, tls_peer_check_fn fn, void *arg)
{
	struct peer_check *pc = peer_of(ctx);

	if (pc == NULL)
		return -1;
	pc->fn = fn;
	pc->arg = arg;
	return 0;
}

int tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen,
		      char *serial_hex, size_t slen)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	const X509_NAME *name;

	if (x == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	name = X509_get_subject_name(x);
	if (name_entry(name, NID_commonName, cn, cnlen) < 0 ||
	    (ou != NULL && name_entry(name, NID_organizationalUnitName, ou, oulen) < 0) ||
	    tls_serial_hex(x, serial_hex, slen) < 0) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

SSL_CTX *tls_client_ctx(const char *ca_file, const char *cert_file,
			const char *key_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((cert_file == NULL) != (key_file == NULL)) {
		tls_fail(err, errlen, "a client certificate needs its key, and a key its certificate");
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		tls_fail_ossl(err, errlen, "cannot create a TLS client context");
		return NULL;
	}
	if (set_versions(ctx, true, err, errlen) < 0)
		goto fail;
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		tls_fail_ossl(err, errlen, "cannot load the console's CA %s", ca_file);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 1);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	if (cert_file != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
			tls_fail_ossl(err, errlen, "cannot load the sensor certificate %s", cert_file);
			goto fail;
		}
		if (use_key(ctx, key_file, cert_file, "sensor", err, errlen) < 0)
			goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* ---- fetching the CA by its pin ---- */

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long ms = ms_left(deadline);
		int r;

		if (ms <= 0)
			return 0;
		r = poll(&pfd, 1, (int)ms);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : (r > 0 ? 1 : 0);
	}
}

/* A non-blocking TCP connection to host:port before the deadline, or -1. */
static int connect_to(const char *host, const char *port, const struct timespec *deadline,
		      char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char why[160] = "no address";
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		tls_fail(err, errlen, "cannot resolve %s port %s: %s", host, port, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
			    soerr == 0)
				break;
			if (r == 0)
				snprintf(why, sizeof(why), "timed out after %d s",
					 TLS_FETCH_TIMEOUT_MS / 1000);
			else
				snprintf(why, sizeof(why), "%s", strerror(soerr ? soerr : errno));
		} else {
			snprintf(why, sizeof(why), "%s", strerror(errno));
		}
		close(fd);
		fd = -1;
		if (ms_left(deadline) <= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		tls_fail(err, errlen, "cannot connect to %s port %s: %s", host, port, why);
	return fd;
}

/* TLS handshake on a non-blocking fd before the deadline, no certificate
 * checked. */
static int handshake(SSL *ssl, int fd, const char *host, const char *port,
		     const struct timespec *deadline, char *err, size_t errlen)
{
	int r;

	while ((r = SSL_connect(ssl)) != 1) {
		int e = SSL_get_error(ssl, r), w;

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (w == 1)
				continue;
			if (w == 0)
				tls_fail(err, errlen, "TLS handshake with %s port %s: timed out after "
				     "%d s", host, port, TLS_FETCH_TIMEOUT_MS / 1000);
			else
				tls_fail(err, errlen, "TLS handshake with %s port %s: %s", host, port,
				     strerror(errno));
			return -1;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			tls_fail(err, errlen, "TLS handshake with %s port %s: %s", host, port,
			     errno ? strerror(errno) : "the server closed the connection");
		else
			tls_fail_ossl(err, errlen, "TLS handshake with %s port %s failed (is it "
				  "the console's HTTPS port?)", host, port);
		return -1;
	}
	return 0;
}

/*
 * The certificate in chain whose fingerprint is want, checked as a
 * self-signed CA; or NULL with err saying what the server offered.
 */
static X509 *find_pinned(STACK_OF(X509) *chain, const char *want, const char *host,
			 const char *port, char *err, size_t errlen)
{
	/* what to show when nothing matches: the last self-signed certificate,
	 * else the last one */
	char fp[TLS_FP_LEN], shown[TLS_FP_LEN] = "";
	bool shown_self = false;
	int i;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		bool self = (X509_get_extension_flags(x) & EXFLAG_SS) != 0;

		if (tls_cert_fingerprint(x, fp, sizeof(fp)) < 0)
			continue;
		if (strcmp(fp, want) == 0) {
			if (!self || X509_check_ca(x) != 1 ||
			    X509_verify(x, X509_get0_pubkey(x)) != 1) {
				tls_fail(err, errlen, "the certificate of %s port %s that matches the "
				     "fingerprint is not a self-signed CA certificate: give "
				     "the fingerprint of the console's CA", host, port);
				return NULL;
			}
			return x;
		}
		if (self || !shown_self) {
			memcpy(shown, fp, sizeof(shown));
			shown_self = self;
		}
	}
	if (shown_self)
		tls_fail(err, errlen, "the console's CA does not match the fingerprint: got %s, "
		     "expected %s (check the fingerprint, and that nothing between this "
		     "host and %s intercepts TLS)", shown, want, host);
	else
		tls_fail(err, errlen, "the console's CA does not match the fingerprint: %s port "
		     "%s sent no CA certificate (its certificate is %s, expected %s); is it "
		     "a Kastro console?", host, port, shown[0] ? shown : "missing", want);
	return NULL;
}

/* The server's certificate must be issued by ca, for TLS servers. */
static int check_leaf(X509 *leaf, X509 *ca, char *err, size_t errlen)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *xs = NULL;
	int rc = -1;

	if (leaf == NULL) {
		tls_fail(err, errlen, "the console sent no certificate");
		return -1;
	}
	if (X509_verify(leaf, X509_get0_pubkey(ca)) != 1) {
		tls_fail(err, errlen, "the console's certificate is not signed by its pinned CA");
		return -1;
	}
	store = X509_STORE_new();
	xs = X509_STORE_CTX_new();
	if (store == NULL || xs == NULL || !X509_STORE_add_cert(store, ca) ||
	    !X509_STORE_CTX_init(xs, store, leaf, NULL) ||
	    !X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_SERVER)) {
		tls_fail_ossl(err, errlen, "cannot verify the console's certificate");
		goto out;
	}
	if (X509_verify_cert(xs) != 1) {
		tls_fail(err, errlen, "the console's certificate does not verify against its "
		     "pinned CA: %s",
		     X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(xs);
	X509_STORE_free(store);
	return rc;
}

char *tls_cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, x) && (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

int tls_fetch_pinned_ca(const char *host, const char *port, const char *pin,
			char **ca_pem_out, char *err, size_t errlen)
{
	char want[TLS_FP_LEN];
	unsigned char ip[16];
	struct timespec deadline;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *ca;
	int fd = -1, rc = -1;

	*ca_pem_out = NULL;
	if (tls_pin_normalize(pin, want, sizeof(want), err, errlen) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += TLS_FETCH_TIMEOUT_MS / 1000;
	fd = connect_to(host, port, &deadline, err, errlen);
	if (fd < 0)
		return -1;
	/* no store, no verification here: the pin is what is trusted */
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || set_versions(ctx, false, err, errlen) < 0) {
		if (ctx == NULL)
			tls_fail_ossl(err, errlen, "cannot create a TLS client context");
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	if (ssl == NULL || !SSL_set_fd(ssl, fd) ||
	    (inet_pton(AF_INET, host, ip) != 1 && inet_pton(AF_INET6, host, ip) != 1 &&
	     !SSL_set_tlsext_host_name(ssl, host))) {
		tls_fail_ossl(err, errlen, "cannot set up TLS to %s port %s", host, port);
		goto out;
	}
	if (handshake(ssl, fd, host, port, &deadline, err, errlen) < 0)
		goto out;
	ca = find_pinned(SSL_get_peer_cert_chain(ssl), want, host, port, err, errlen);
	if (ca == NULL || check_leaf(SSL_get0_peer_certificate(ssl), ca, err, errlen) < 0)
		goto out;
	*ca_pem_out = tls_cert_pem(ca);
	if (*ca_pem_out == NULL) {
		tls_fail_ossl(err, errlen, "cannot encode the console's CA");
		goto out;
	}
	SSL_shutdown(ssl);
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return rc;
}
