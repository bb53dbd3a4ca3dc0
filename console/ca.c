/*
 * ca.c - see ca.h.
 *
 * Certificates are built with OpenSSL's X509 API. The extensions given as
 * OpenSSL's config strings are fixed literals; the subjectAltName is built
 * from GENERAL_NAMEs, and subjects with X509_NAME_add_entry, so that nothing
 * a user or a sensor sends is ever parsed as config syntax. A CSR is
 * untrusted input (it arrives from the network at enrolment, before the
 * sensor has any identity): it is bounded, must be exactly one PEM block,
 * and only its public key is kept.
 */
#include "ca.h"
#include "fdio.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_MAX_FILE      65536   /* bytes in ca.crt or ca.key */
#define BACKDATE_S       3600    /* certificates start an hour ago */

struct ca {
	X509 *cert;
	EVP_PKEY *key;
	char *pem;               /* cert as PEM, NUL-terminated */
	char fp[CA_FP_LEN];
};

/* A fixed extension, in OpenSSL's config syntax. */
struct ext {
	int nid;
	const char *value;
};

static const struct ext ca_exts[] = {
	{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign" },
};

static const struct ext server_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "serverAuth" },
};

static const struct ext client_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "clientAuth" },
};


/* ---- names ---- */

static bool is_ip(const char *s, unsigned char ip[16], int *iplen)
{
	if (inet_pton(AF_INET, s, ip) == 1) {
		*iplen = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		*iplen = 16;
		return true;
	}
	return false;
}

/*
 * A host name as certificates carry it: labels of letters, digits and
 * hyphens (not first or last), 1..63 each, 253 in all, and a last label
 * that is not all digits (that would be a mistyped IPv4 address).
 */
static bool dns_name_ok(const char *s)
{
	size_t len = strlen(s), label = 0, i;
	bool digits_only = true;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			if (c == '\0')
				break;
			label = 0;
			digits_only = true;
			continue;
		}
		if (c >= '0' && c <= '9') {
			/* digits keep digits_only as it is */
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			digits_only = false;
		} else if (c == '-' && label > 0) {
			digits_only = false;
		} else {
			return false;
		}
		label++;
	}
	return !digits_only;
}

static int check_names(const char *const *names, size_t n, char *err, size_t errlen)
{
	unsigned char ip[16];
	int iplen;
	size_t i;

	if (n == 0) {
		tls_fail(err, errlen, "no name given for the console's certificate: give the "
		     "DNS names and IP addresses sensors and officers use to reach it");
		return -1;
	}
	if (n > CA_MAX_NAMES) {
		tls_fail(err, errlen, "%zu names given for the console's certificate, at most %u",
		     n, CA_MAX_NAMES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || (!is_ip(names[i], ip, &iplen) && !dns_name_ok(names[i]))) {
			tls_fail(err, errlen, "\"%.80s\" is neither an IP address nor a DNS name "
			     "(letters, digits, hyphens and dots)", names[i] ? names[i] : "");
			return -1;
		}
	}
	if (strlen(names[0]) > 64) {
		tls_fail(err, errlen, "the first name, \"%.80s\", becomes the certificate's CN "
		     "and may have at most 64 characters: put a shorter name first", names[0]);
		return -1;
	}
	return 0;
}

/* subjectAltName entries for names (checked by check_names()). */
static GENERAL_NAMES *san_of(const char *const *names, size_t n)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	size_t i;

	if (gens == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_STRING *s = NULL;
		unsigned char ip[16];
		int iplen;

		if (g == NULL)
			goto fail;
		if (is_ip(names[i], ip, &iplen)) {
			s = ASN1_OCTET_STRING_new();
			if (s == NULL || !ASN1_OCTET_STRING_set(s, ip, iplen))
				goto fail_g;
			GENERAL_NAME_set0_value(g, GEN_IPADD, s);
		} else {
			s = ASN1_IA5STRING_new();
			if (s == NULL || !ASN1_STRING_set(s, names[i], (int)strlen(names[i])))
				goto fail_g;
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
		}
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			goto fail;
		}
		continue;
fail_g:
		ASN1_STRING_free(s);
		GENERAL_NAME_free(g);
		goto fail;
	}
	return gens;
fail:
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* A sensor id: 1..CA_MAX_ID characters of [A-Za-z0-9._-]. */
static bool sensor_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= CA_MAX_ID)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

/* ---- certificates ---- */

static EVP_PKEY *new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* A random serial: 16 bytes, top bits 01 so it is positive and 32 hex digits. */
static int set_random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[0] = (unsigned char)((b[0] & 0x3f) | 0x40);
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/*
 * A certificate for pubkey named subject, issued by issuer (NULL:
 * self-signed, and issuer_key is pubkey's private half), signed with
 * issuer_key: valid from BACKDATE_S ago for days days, a random serial,
 * subjectKeyIdentifier, exts, the subjectAltName san (NULL: none),
 * authorityKeyIdentifier. Returns NULL with OpenSSL's queue saying why.
 */
static X509 *make_cert(EVP_PKEY *pubkey, const X509_NAME *subject, X509 *issuer,
		       EVP_PKEY *issuer_key, unsigned days,
		       const struct ext *exts, size_t n_exts, GENERAL_NAMES *san)
{
	X509 *x = X509_new();
	size_t i;

	if (x == NULL || !X509_set_version(x, X509_VERSION_3) || set_random_serial(x) < 0 ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_S) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, -BACKDATE_S, NULL) ||
	    !X509_set_pubkey(x, pubkey))
		goto fail;
	/* the key identifier first: the authority key identifier of a
	 * self-signed certificate is taken from it */
	if (add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	for (i = 0; i < n_exts; i++)
		if (add_ext(x, issuer ? issuer : x, exts[i].nid, exts[i].value) < 0)
			goto fail;
	if (san != NULL && X509_add1_ext_i2d(x, NID_subject_alt_name, san, 0, X509V3_ADD_APPEND) != 1)
		goto fail;
	if (add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always") < 0)
		goto fail;
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* A name from (field, value) pairs, values UTF-8. */
static X509_NAME *make_name(const char *f1, const char *v1, const char *f2, const char *v2)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, f1, MBSTRING_UTF8, (const unsigned char *)v1, -1, -1, 0) ||
	    (f2 != NULL &&
	     !X509_NAME_add_entry_by_txt(n, f2, MBSTRING_UTF8, (const unsigned char *)v2, -1, -1, 0))) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* The self-signed CA: key and certificate. */
static int make_ca(EVP_PKEY **key, X509 **cert)
{
	unsigned char r[4];
	char cn[64];
	X509_NAME *name;

	*key = NULL;
	*cert = NULL;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	snprintf(cn, sizeof(cn), "Kastro console CA %02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	if ((*key = new_key()) == NULL || (name = make_name("CN", cn, NULL, NULL)) == NULL)
		return -1;
	*cert = make_cert(*key, name, NULL, *key, CA_DAYS, ca_exts,
			  sizeof(ca_exts) / sizeof(ca_exts[0]), NULL);
	X509_NAME_free(name);
	return *cert ? 0 : -1;
}

static int make_server(EVP_PKEY *ca_key, X509 *ca_cert, const char *const *names, size_t n,
		       EVP_PKEY **key, X509 **cert)
{
	X509_NAME *name = NULL;
	GENERAL_NAMES *san = NULL;

	*cert = NULL;
	if ((*key = new_key()) == NULL || (name = make_name("CN", names[0], NULL, NULL)) == NULL ||
	    (san = san_of(names, n)) == NULL)
		goto out;
	*cert = make_cert(*key, name, ca_cert, ca_key, CA_SERVER_DAYS, server_exts,
			  sizeof(server_exts) / sizeof(server_exts[0]), san);
out:
	X509_NAME_free(name);
	GENERAL_NAMES_free(san);
	return *cert ? 0 : -1;
}

/* ---- files ---- */

/*
 * Create dir/name (never an existing file: O_EXCL) with mode and contents
 * data, synced. *created is set as soon as the file exists, so the caller
 * removes it again when anything later fails.
 */
static int write_new(int dfd, const char *dir, const char *name, mode_t mode,
		     const char *data, size_t len, bool *created, char *err, size_t errlen)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			tls_fail(err, errlen, "%s/%s already exists: this console was initialised "
			     "already, and init never overwrites (move the directory away "
			     "to start over; every sensor then enrols again)", dir, name);
		else
			tls_fail(err, errlen, "cannot create %s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	*created = true;
	/* exactly mode, whatever the umask */
	if (fchmod(fd, mode) < 0 || fdio_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		tls_fail(err, errlen, "cannot write %s/%s: %s", dir, name, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		tls_fail(err, errlen, "cannot write %s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	return 0;
}

int ca_init_dir(const char *dir, const char *const *names, size_t n_names,
		char *err, size_t errlen)
{
	static const char *const file[4] = { CA_KEY_FILE, CA_CERT_FILE, CA_SERVER_KEY, CA_SERVER_CERT };
	static const mode_t file_mode[4] = { 0600, 0644, 0600, 0644 };
	EVP_PKEY *ca_key = NULL, *srv_key = NULL;
	X509 *ca_cert = NULL, *srv_cert = NULL;
	BIO *pem[4] = { NULL, NULL, NULL, NULL };
	bool created[4] = { false, false, false, false };
	bool made_dir = false;
	int dfd = -1, rc = -1, i;

	if (check_names(names, n_names, err, errlen) < 0)
		return -1;
	if (mkdir(dir, 0700) == 0) {
		made_dir = true;
	} else if (errno != EEXIST) {
		tls_fail(err, errlen, "cannot create the data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		tls_fail(err, errlen, "cannot open the data directory %s: %s", dir, strerror(errno));
		goto out;
	}
	if (make_ca(&ca_key, &ca_cert) < 0) {
		tls_fail_ossl(err, errlen, "cannot create the console's CA");
		goto out;
	}
	if (make_server(ca_key, ca_cert, names, n_names, &srv_key, &srv_cert) < 0) {
		tls_fail_ossl(err, errlen, "cannot create the console's server certificate");
		goto out;
	}
	/* keys in secure memory, wiped when freed */
	pem[0] = BIO_new(BIO_s_secmem());
	pem[1] = BIO_new(BIO_s_mem());
	pem[2] = BIO_new(BIO_s_secmem());
	pem[3] = BIO_new(BIO_s_mem());
	if (pem[0] == NULL || pem[1] == NULL || pem[2] == NULL || pem[3] == NULL ||
	    !PEM_write_bio_PrivateKey(pem[0], ca_key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(pem[1], ca_cert) ||
	    !PEM_write_bio_PrivateKey(pem[2], srv_key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(pem[3], srv_cert) ||
	    !PEM_write_bio_X509(pem[3], ca_cert)) {
		tls_fail_ossl(err, errlen, "cannot encode the console's keys and certificates");
		goto out;
	}
	for (i = 0; i < 4; i++) {
		char *data;
		long n = BIO_get_mem_data(pem[i], &data);

		if (write_new(dfd, dir, file[i], file_mode[i], data, (size_t)n, &created[i],
			      err, errlen) < 0)
			goto out;
	}
	if (fsync(dfd) < 0) {
		tls_fail(err, errlen, "cannot sync the data directory %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		for (i = 0; i < 4; i++)
			if (created[i])
				unlinkat(dfd, file[i], 0);
		if (made_dir)
			rmdir(dir);
	}
	if (dfd >= 0)
		close(dfd);
	for (i = 0; i < 4; i++)
		BIO_free(pem[i]);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	X509_free(ca_cert);
	X509_free(srv_cert);
	return rc;
}

/*
 * dir/name into *buf (malloc'd, NUL-terminated, *len bytes before the NUL;
 * at most CA_MAX_FILE), its mode into *mode.
 */
static int read_small(int dfd, const char *dir, const char *name, char **buf, size_t *len,
		      mode_t *mode, char *err, size_t errlen)
{
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	ssize_t got;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

	*buf = NULL;
	if (fd < 0) {
		tls_fail(err, errlen, "cannot open %s/%s: %s%s", dir, name, strerror(errno),
		     errno == ENOENT ? " (run kastro-console init first)" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tls_fail(err, errlen, "%s/%s is not a regular file", dir, name);
		goto fail;
	}
	if (st.st_size > CA_MAX_FILE) {
		tls_fail(err, errlen, "%s/%s is too large (%lld bytes, at most %d)", dir, name,
		     (long long)st.st_size, CA_MAX_FILE);
		goto fail;
	}
	b = malloc(CA_MAX_FILE + 1);
	if (b == NULL) {
		tls_fail(err, errlen, "out of memory reading %s/%s", dir, name);
		goto fail;
	}
	got = fdio_read_upto(fd, b, CA_MAX_FILE + 1);
	if (got < 0) {
		tls_fail(err, errlen, "cannot read %s/%s: %s", dir, name, strerror(errno));
		goto fail;
	}
	n = (size_t)got;
	if (n > CA_MAX_FILE) {
		tls_fail(err, errlen, "%s/%s is too large (more than %d bytes)", dir, name,
		     CA_MAX_FILE);
		goto fail;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	*mode = st.st_mode;
	return 0;
fail:
	if (b != NULL) {
		OPENSSL_cleanse(b, CA_MAX_FILE + 1);
		free(b);
	}
	close(fd);
	return -1;
}

/* PEM keys with a passphrase are refused, never prompted for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int ca_load(const char *dir, struct ca **out, char *err, size_t errlen)
{
	struct ca *ca = NULL;
	char *buf = NULL;
	size_t len = 0;
	mode_t mode;
	BIO *b = NULL;
	int dfd, rc = -1;

	*out = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		tls_fail(err, errlen, "cannot open the data directory %s: %s%s", dir, strerror(errno),
		     errno == ENOENT ? " (run kastro-console init first)" : "");
		return -1;
	}
	ca = calloc(1, sizeof(*ca));
	if (ca == NULL) {
		tls_fail(err, errlen, "out of memory");
		goto out;
	}

	if (read_small(dfd, dir, CA_CERT_FILE, &buf, &len, &mode, err, errlen) < 0)
		goto out;
	b = BIO_new_mem_buf(buf, (int)len);
	if (b == NULL || (ca->cert = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) == NULL) {
		tls_fail_ossl(err, errlen, "%s/%s holds no PEM certificate", dir, CA_CERT_FILE);
		goto out;
	}
	BIO_free(b);
	b = NULL;
	free(buf);
	buf = NULL;

	if (read_small(dfd, dir, CA_KEY_FILE, &buf, &len, &mode, err, errlen) < 0)
		goto out;
	if ((mode & 077) != 0) {
		tls_fail(err, errlen, "%s/%s may be read or written by others (mode %04o): "
		     "make it readable by the console's user only (chmod 600)",
		     dir, CA_KEY_FILE, (unsigned)(mode & 07777));
		goto out;
	}
	b = BIO_new_mem_buf(buf, (int)len);
	if (b == NULL || (ca->key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL)) == NULL) {
		tls_fail_ossl(err, errlen, "%s/%s holds no unencrypted PEM private key", dir, CA_KEY_FILE);
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		tls_fail_ossl(err, errlen, "%s/%s is not the key of %s/%s", dir, CA_KEY_FILE,
			  dir, CA_CERT_FILE);
		goto out;
	}
	if (X509_check_ca(ca->cert) != 1) {
		tls_fail(err, errlen, "%s/%s is not a CA certificate", dir, CA_CERT_FILE);
		goto out;
	}
	if ((ca->pem = tls_cert_pem(ca->cert)) == NULL ||
	    tls_cert_fingerprint(ca->cert, ca->fp, sizeof(ca->fp)) < 0) {
		tls_fail_ossl(err, errlen, "cannot encode %s/%s", dir, CA_CERT_FILE);
		goto out;
	}
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	BIO_free(b);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	ca_free(ca);
	close(dfd);
	return rc;
}

void ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca->pem);
	free(ca);
}

int ca_fingerprint(const struct ca *ca, char *out, size_t outlen)
{
	size_t n = strlen(ca->fp);

	if (n >= outlen)
		return -1;
	memcpy(out, ca->fp, n + 1);
	return 0;
}

const char *ca_cert_pem(const struct ca *ca)
{
	return ca->pem;
}

/* ---- enrolment ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The one CSR in pem (len bytes): nothing but white space around exactly one
 * PEM "CERTIFICATE REQUEST" block without headers, whose DER is exactly one
 * request.
 */
static X509_REQ *parse_csr(const char *pem, size_t len, char *err, size_t errlen)
{
	char *name = NULL, *header = NULL, *rest;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0, restlen;
	X509_REQ *req = NULL;
	BIO *b = NULL;
	size_t skip = 0;

	if (len == 0) {
		tls_fail(err, errlen, "the CSR is empty");
		return NULL;
	}
	if (len > CA_MAX_CSR) {
		tls_fail(err, errlen, "the CSR is too large (%zu bytes, at most %u)", len, CA_MAX_CSR);
		return NULL;
	}
	if (memchr(pem, '\0', len) != NULL) {
		tls_fail(err, errlen, "the CSR is not PEM text (it holds a NUL byte)");
		return NULL;
	}
	while (skip < len && is_space(pem[skip]))
		skip++;
	if (len - skip < 11 || memcmp(pem + skip, "-----BEGIN ", 11) != 0) {
		tls_fail(err, errlen, "the CSR is not PEM: it must start with "
		     "\"-----BEGIN CERTIFICATE REQUEST-----\"");
		return NULL;
	}
	b = BIO_new_mem_buf(pem + skip, (int)(len - skip));
	if (b == NULL) {
		tls_fail_ossl(err, errlen, "cannot read the CSR");
		return NULL;
	}
	if (!PEM_read_bio(b, &name, &header, &der, &derlen)) {
		tls_fail_ossl(err, errlen, "the CSR is not a valid PEM block");
		goto out;
	}
	if (strcmp(name, PEM_STRING_X509_REQ) != 0 && strcmp(name, PEM_STRING_X509_REQ_OLD) != 0) {
		tls_fail(err, errlen, "the PEM block is not a CERTIFICATE REQUEST");
		goto out;
	}
	if (header[0] != '\0') {
		tls_fail(err, errlen, "the CSR has PEM headers (is it encrypted?): send a plain CSR");
		goto out;
	}
	restlen = BIO_get_mem_data(b, &rest);
	while (restlen > 0 && is_space(*rest)) {
		rest++;
		restlen--;
	}
	if (restlen != 0) {
		tls_fail(err, errlen, "text follows the CSR (two CSRs?): send exactly one");
		goto out;
	}
	p = der;
	req = d2i_X509_REQ(NULL, &p, derlen);
	if (req == NULL) {
		tls_fail_ossl(err, errlen, "the CSR is not a certificate request");
		goto out;
	}
	if (p != der + derlen) {
		tls_fail(err, errlen, "the CSR has bytes after the request");
		X509_REQ_free(req);
		req = NULL;
		goto out;
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(b);
	return req;
}

/* EC on P-256 or P-384, or RSA of 2048..8192 bits. */
static int check_key(EVP_PKEY *k, char *err, size_t errlen)
{
	if (EVP_PKEY_is_a(k, "EC")) {
		char group[80];
		size_t glen = 0;
		int nid, explicit = 0;

		/* explicit parameters are where curve tricks hide, even when they
		 * match a named curve */
		if (EVP_PKEY_get_int_param(k, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
					   &explicit) && explicit) {
			tls_fail(err, errlen, "the CSR's EC key spells out its curve's parameters: "
			     "use a named curve, P-256 or P-384");
			return -1;
		}
		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), &glen)) {
			tls_fail(err, errlen, "the CSR's EC key is not on a named curve: "
			     "use P-256 or P-384");
			return -1;
		}
		nid = OBJ_txt2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1) {
			tls_fail(err, errlen, "the CSR's EC key is on curve %s: only P-256 and "
			     "P-384 are accepted", group);
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_is_a(k, "RSA")) {
		int bits = EVP_PKEY_get_bits(k);

		if (bits < 2048) {
			tls_fail(err, errlen, "the CSR's RSA key has %d bits: at least 2048 are "
			     "needed (or use EC P-256)", bits);
			return -1;
		}
		if (bits > 8192) {
			tls_fail(err, errlen, "the CSR's RSA key has %d bits: at most 8192 are "
			     "accepted", bits);
			return -1;
		}
		return 0;
	}
	tls_fail(err, errlen, "the CSR's key is of type %s: only EC (P-256, P-384) and RSA "
	     "(2048 bits or more) keys are accepted", EVP_PKEY_get0_type_name(k) ?
	     EVP_PKEY_get0_type_name(k) : "unknown");
	return -1;
}

int ca_sign_csr(struct ca *ca, const char *csr_pem, size_t len,
		const char *sensor_id, const char *kind, unsigned days,
		char **cert_pem_out, char *serial_hex, size_t serial_len,
		char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	X509_NAME *subject = NULL;
	X509 *x = NULL;
	EVP_PKEY *k;
	int rc = -1, v;

	*cert_pem_out = NULL;
	if (sensor_id == NULL || !sensor_id_ok(sensor_id)) {
		tls_fail(err, errlen, "bad sensor id: 1 to %u characters of letters, digits, "
		     "'.', '_' and '-'", CA_MAX_ID);
		return -1;
	}
	if (kind == NULL || (strcmp(kind, "agent") != 0 && strcmp(kind, "gateway") != 0)) {
		tls_fail(err, errlen, "bad sensor kind: \"agent\" or \"gateway\"");
		return -1;
	}
	if (days < 1 || days > CA_MAX_DAYS) {
		tls_fail(err, errlen, "bad validity: %u days, 1 to %u", days, CA_MAX_DAYS);
		return -1;
	}
	if (serial_len < CA_SERIAL_HEX) {
		tls_fail(err, errlen, "serial buffer too small (%zu bytes, %u needed)",
		     serial_len, CA_SERIAL_HEX);
		return -1;
	}
	if (csr_pem == NULL && len > 0) {
		tls_fail(err, errlen, "no CSR");
		return -1;
	}
	if ((req = parse_csr(csr_pem, len, err, errlen)) == NULL)
		return -1;
	if ((k = X509_REQ_get0_pubkey(req)) == NULL) {
		tls_fail_ossl(err, errlen, "the CSR's public key cannot be read");
		goto out;
	}
	if (check_key(k, err, errlen) < 0)
		goto out;
	v = X509_REQ_verify(req, k);
	if (v != 1) {
		tls_fail_ossl(err, errlen, "the CSR's signature does not verify (it was changed, "
			  "or not signed with its own key)");
		goto out;
	}
	if ((subject = make_name("OU", kind, "CN", sensor_id)) == NULL ||
	    (x = make_cert(k, subject, ca->cert, ca->key, days, client_exts,
			   sizeof(client_exts) / sizeof(client_exts[0]), NULL)) == NULL) {
		tls_fail_ossl(err, errlen, "cannot issue the sensor's certificate");
		goto out;
	}
	if (tls_serial_hex(x, serial_hex, serial_len) < 0 ||
	    (*cert_pem_out = tls_cert_pem(x)) == NULL) {
		tls_fail_ossl(err, errlen, "cannot encode the sensor's certificate");
		goto out;
	}
	rc = 0;
out:
	X509_REQ_free(req);
	X509_NAME_free(subject);
	X509_free(x);
	return rc;
}
