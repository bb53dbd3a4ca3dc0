/*
 * tls.h - OpenSSL set-up shared by the console's servers and by sensors:
 * server and client contexts with Kastro's protocol and cipher choices,
 * client certificates checked against the console's own CA (and against the
 * console's list of revoked sensors during the handshake), certificate
 * fingerprints and pins, and fetching the console's CA by its pin at
 * enrolment.
 *
 * Choices:
 *   - tls13_only contexts (the sensor port): TLS 1.3 and nothing else.
 *   - otherwise (the officers' HTTPS port): TLS 1.2 or 1.3; for 1.2 only
 *     ECDHE with AES-GCM or ChaCha20-Poly1305 (forward secrecy, AEAD).
 *   - client certificates are verified against one CA file only (never the
 *     system store), chain depth 1, and must carry clientAuth; servers'
 *     certificates must carry serverAuth.
 *   - a context that asks for client certificates does no session
 *     resumption (no tickets, no cache), so every connection is checked
 *     against the peer check again: a sensor revoked a second ago cannot
 *     come back with an old session.
 *
 * Functions that can fail return 0 (or a pointer), or -1 (NULL) with a
 * message for a user in err (errlen bytes), OpenSSL's reasons included; they
 * never log. The OpenSSL error queue is left empty after a failure.
 */
#ifndef KASTRO_TLS_H
#define KASTRO_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define TLS_FP_LEN          72u     /* "SHA256:", 64 hex digits and the NUL */
#define TLS_SERIAL_HEX      66u     /* a serial of up to 256 bits as hex, a sign, NUL */
#define TLS_FETCH_TIMEOUT_MS 10000  /* tls_fetch_pinned_ca(): connect and handshake */

/*
 * A server context. cert_file: the server certificate, PEM, optionally
 * followed by its chain (ca_init_dir() writes server.crt that way, leaf then
 * CA), all of which is sent to clients. key_file: its private key.
 * client_ca_file: NULL, or a PEM file with the CA that issues client
 * certificates: clients must then present a certificate from it
 * (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT), verified against that
 * file only; its certificates are added to the chain sent when cert_file
 * did not hold them already. tls13_only: see the file comment.
 * Returns a context the caller frees with SSL_CTX_free(), or NULL.
 */
SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file,
			const char *client_ca_file, int tls13_only,
			char *err, size_t errlen);

/*
 * A check of the client's certificate during the handshake, run after
 * OpenSSL verified the chain: cn and serial_hex (as tls_serial_hex() writes
 * it) of the client's certificate. Returns 0 to accept, -1 to refuse; the
 * handshake then fails with a "certificate revoked" alert. It runs in the
 * thread doing the handshake and must not block for long.
 */
typedef int (*tls_peer_check_fn)(void *arg, const char *cn, const char *serial_hex);

/*
 * Install fn (with arg, owned by the caller and alive as long as ctx) as
 * ctx's peer check; ctx must come from tls_server_ctx() with a
 * client_ca_file. fn NULL removes it. Returns 0, or -1 when out of memory
 * or ctx asks for no client certificates.
 */
int tls_server_set_peer_check(SSL_CTX *ctx, tls_peer_check_fn fn, void *arg);

/*
 * After a completed handshake on a server that asked for client
 * certificates: the verified client certificate's CN, OU and serial (as
 * tls_serial_hex() writes it). ou may be NULL (then oulen is ignored).
 * Fails when there is no verified certificate, when the subject does not
 * have exactly one CN (and one OU when asked), or when a value does not fit.
 */
int tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *ou, size_t oulen,
		      char *serial_hex, size_t slen);

/*
 * A client context for a sensor that speaks OpenSSL directly: TLS 1.3 only,
 * the server verified against ca_file only (the console's CA) and required
 * to hold serverAuth. The server's name is not checked: the console's CA
 * issues serverAuth only to the console (sensors get clientAuth only), so
 * the chain names it; a caller may add SSL_set1_host(). cert_file and
 * key_file: the sensor's certificate and key, or both NULL to present none.
 * Returns a context the caller frees with SSL_CTX_free(), or NULL.
 */
SSL_CTX *tls_client_ctx(const char *ca_file, const char *cert_file,
			const char *key_file, char *err, size_t errlen);

/*
 * x's fingerprint: "SHA256:" and 64 lowercase hex digits of SHA-256 over its
 * DER, into out (outlen >= TLS_FP_LEN). Returns 0 or -1.
 */
int tls_cert_fingerprint(const X509 *x, char *out, size_t outlen);

/* x in PEM, a NUL-terminated string from malloc(); NULL when out of memory. */
char *tls_cert_pem(X509 *x);

/*
 * x's serial number in lowercase hex without leading zeros ("-" first when
 * negative, "0" for zero), into out (outlen >= TLS_SERIAL_HEX fits any
 * serial of up to 32 bytes; RFC 5280 allows 20). Returns 0, or -1 when it
 * does not fit.
 */
int tls_serial_hex(const X509 *x, char *out, size_t outlen);

/*
 * Check a pin a user typed (--ca-fingerprint) and write it in the canonical
 * form, "SHA256:" and 64 lowercase hex digits, into out (outlen >=
 * TLS_FP_LEN). Accepted: white space around it; a "SHA256:" or "SHA256
 * Fingerprint=" prefix (as `openssl x509 -fingerprint -sha256` prints it)
 * in any case, or none; hex digits in any case; colons between pairs of
 * digits, either between all of them or none. Returns 0, or -1 with the
 * reason in err.
 */
int tls_pin_normalize(const char *pin, char *out, size_t outlen,
		      char *err, size_t errlen);

/*
 * 1 when pin (in any form tls_pin_normalize() accepts) names fingerprint (as
 * tls_cert_fingerprint() writes it), 0 when it does not or either is
 * malformed.
 */
int tls_pin_matches(const char *pin, const char *fingerprint);

/*
 * OpenSSL's error queue as one line ("no OpenSSL error" when empty) into buf
 * (len bytes, cut when longer), and empty the queue. Returns buf.
 */
const char *tls_last_error(char *buf, size_t len);

/*
 * Error helpers for code on OpenSSL (tls.c, the console's ca.c): write the
 * message to err and empty OpenSSL's queue; tls_fail_ossl() appends the
 * queue's reasons ("what: reasons").
 */
void tls_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tls_fail_ossl(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Enrolment's first step: fetch the console's CA and check it against the
 * pin the officer gave. Connects to host:port (TCP; connect and handshake
 * together within TLS_FETCH_TIMEOUT_MS), does a TLS handshake without
 * trusting any store, finds in the server's chain a self-signed CA
 * certificate whose fingerprint matches pin, and checks that the server's
 * own certificate is issued by it (signature, plus a full X509 verification
 * against that CA alone, serverAuth). No certificate matching pin is an
 * error that shows the fingerprint the server offered. On success
 * *ca_pem_out is the CA as a NUL-terminated PEM string, freed with free();
 * the caller writes it out and uses it as ca_file from then on. The name
 * lookup (getaddrinfo) is not bounded by the timeout. The process must
 * ignore SIGPIPE (every Kastro daemon does): a server that goes away while
 * the handshake writes is then an error, not a signal.
 */
int tls_fetch_pinned_ca(const char *host, const char *port, const char *pin,
			char **ca_pem_out, char *err, size_t errlen);

#endif
