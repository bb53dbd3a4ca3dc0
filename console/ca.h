/*
 * ca.h - the console's own certificate authority.
 *
 * `kastro-console init` calls ca_init_dir() once to create, in the data
 * directory, a CA and the console's server certificate; from then on the
 * console loads the CA with ca_load() and, at enrolment, turns a sensor's CSR
 * into a client certificate with ca_sign_csr(). Sensors pin the CA by its
 * fingerprint (ca_fingerprint(), the same string tls_cert_fingerprint()
 * gives on the sensor's side).
 *
 * Files in the data directory, all PEM:
 *   ca.key      the CA's private key (EC P-256, PKCS#8, unencrypted), 0600
 *   ca.crt      the CA certificate: self-signed, CA:TRUE pathlen:0,
 *               keyCertSign+cRLSign, "CN=Kastro console CA <8 hex>" (random,
 *               so two consoles' CAs differ), 10 years
 *   server.key  the server's private key (EC P-256), 0600
 *   server.crt  the server certificate (serverAuth, the names given as
 *               subjectAltName, CN = the first name, 825 days), FOLLOWED BY
 *               the CA certificate, so that every port using it sends the CA
 *               in its chain and an enrolling sensor can pin it
 * The keys are unencrypted because the console starts unattended; the 0600
 * mode is their protection. The caller chowns them to the console's user
 * when init runs as root.
 *
 * Sensor certificates: subject "OU=<kind>, CN=<sensor id>", clientAuth only,
 * the key taken from the CSR (EC P-256/P-384 or RSA 2048..8192 bits); the
 * CSR's subject and extensions are ignored, so a sensor cannot choose its
 * identity. Serials are 128-bit, random (126 random bits, the top bits fixed
 * so every serial is positive and has 32 hex digits).
 *
 * Functions that can fail return 0, or -1 with a message for a user in err
 * (errlen bytes); they never log.
 */
#ifndef KASTRO_CA_H
#define KASTRO_CA_H

#include <stddef.h>

#define CA_KEY_FILE     "ca.key"
#define CA_CERT_FILE    "ca.crt"
#define CA_SERVER_KEY   "server.key"
#define CA_SERVER_CERT  "server.crt"

#define CA_DAYS         3650u   /* the CA certificate */
#define CA_SERVER_DAYS  825u    /* the server certificate */
#define CA_MAX_DAYS     3650u   /* the longest sensor certificate */
#define CA_MAX_NAMES    32u     /* names and addresses in the server certificate */
#define CA_MAX_CSR      16384u  /* bytes of PEM accepted by ca_sign_csr() */
#define CA_MAX_ID       64u     /* characters in a sensor id */
#define CA_SERIAL_HEX   33u     /* a serial as hex: 32 digits and the NUL */
#define CA_FP_LEN       72u     /* "SHA256:", 64 hex digits and the NUL */

struct ca;

/*
 * Create the four files above in dir (created 0700 when missing; its parent
 * must exist). names: the DNS names and IP addresses (IPv4 or IPv6, told
 * apart with inet_pton) officers and sensors use to reach the console, at
 * least one and at most CA_MAX_NAMES; the first is also the CN (at most 64
 * characters). Files are created with O_EXCL: when any of them exists,
 * nothing is overwritten. On any failure every file (and the directory) this
 * call created is removed again, so a failed init leaves dir as it found it.
 */
int ca_init_dir(const char *dir, const char *const *names, size_t n_names,
		char *err, size_t errlen);

/*
 * Load the CA (ca.crt and ca.key) from dir. Refuses a key file that group or
 * others may read or write, a key that does not belong to the certificate,
 * and a certificate that is not a CA. On success *out is the CA; free it
 * with ca_free().
 */
int ca_load(const char *dir, struct ca **out, char *err, size_t errlen);

/* Free a CA from ca_load() (the key is wiped). NULL is fine. */
void ca_free(struct ca *ca);

/*
 * The CA's fingerprint, "SHA256:" and 64 lowercase hex digits of SHA-256
 * over the certificate's DER, into out (outlen >= CA_FP_LEN). Returns 0, or
 * -1 when out is too small.
 */
int ca_fingerprint(const struct ca *ca, char *out, size_t outlen);

/* The CA certificate as PEM (NUL-terminated, owned by ca), for the enrolment
 * answer. */
const char *ca_cert_pem(const struct ca *ca);

/*
 * Issue a client certificate for the CSR in csr_pem (len bytes, need not be
 * NUL-terminated, at most CA_MAX_CSR): exactly one PEM "CERTIFICATE REQUEST"
 * block, with nothing but white space around it and no PEM headers. The
 * CSR's self-signature must verify; only its public key is used. The
 * certificate says "OU=<kind>, CN=<sensor_id>".
 *   sensor_id  1..CA_MAX_ID characters of [A-Za-z0-9._-], chosen by the
 *              console (never the name in the CSR)
 *   kind       "agent" or "gateway"
 *   days       how long the certificate is valid, 1..CA_MAX_DAYS,
 *              counted from one hour ago (for sensors whose clocks lag)
 * On success *cert_pem_out is the certificate as a NUL-terminated PEM string
 * the caller frees with free(), and serial_hex (serial_len >=
 * CA_SERIAL_HEX) holds its serial in lowercase hex, as tls_serial_hex() and
 * tls_peer_identity() write it. On failure *cert_pem_out is NULL.
 */
int ca_sign_csr(struct ca *ca, const char *csr_pem, size_t len,
		const char *sensor_id, const char *kind, unsigned days,
		char **cert_pem_out, char *serial_hex, size_t serial_len,
		char *err, size_t errlen);

#endif
