/*
 * test_ca.c - the console's CA (console/ca.c) and the TLS set-up (lib/tls.c).
 *
 * CA: init creates exactly the four files once (keys 0600), never
 * overwrites, and rolls back what it created when it fails; the CA and
 * server certificates carry what sensors and browsers check; a CSR (EC and
 * RSA, made here with OpenSSL) becomes a client certificate bound to the id
 * the console chose, never to what the CSR says; weak keys, broken
 * signatures and malformed input are refused with a reason; fingerprints
 * and pins.
 *
 * TLS: real handshakes in-process over socketpairs: mutual TLS with a
 * certificate from ca_sign_csr(), without one, from another CA, revoked
 * (refused during the handshake, also for a sensor that connected before),
 * TLS 1.2 against the TLS 1.3-only port, the ciphers TLS 1.2 gets; and
 * tls_fetch_pinned_ca() against a loopback server with the right pin, wrong
 * pins and a server that shows the pinned CA next to a foreign certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "tls.h"

static const char *const names[] = { "console.kavala.example", "10.0.0.5", "::1",
				     "localhost", "127.0.0.1" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* Made once in setup: two consoles' data dirs and their loaded CAs. */
static struct {
	char root[256];
	char a[300], b[300];
	struct ca *ca_a, *ca_b;
} g;

/* ---- helpers ---- */

static void path(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

/* A whole small file, NUL-terminated (NULL when missing). */
static char *slurp(const char *file, size_t *len)
{
	char buf[65536];
	int fd = open(file, O_RDONLY);
	ssize_t n;
	char *s;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, buf, (size_t)n);
	s[n] = '\0';
	if (len)
		*len = (size_t)n;
	return s;
}

static void spit(const char *file, const char *data, mode_t mode)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static X509 *cert_of(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

static X509 *cert_file(const char *dir, const char *name)
{
	char p[400];
	char *s;
	X509 *x;

	path(p, sizeof(p), dir, name);
	s = slurp(p, NULL);
	assert_non_null(s);
	x = cert_of(s);
	free(s);
	return x;
}

/* The entries of dir, but "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Copy dir_from/from to dir_to/to, with mode. */
static void copy(const char *dir_from, const char *from, const char *dir_to, const char *to,
		 mode_t mode)
{
	char p[400];
	char *s;

	path(p, sizeof(p), dir_from, from);
	s = slurp(p, NULL);
	assert_non_null(s);
	path(p, sizeof(p), dir_to, to);
	spit(p, s, mode);
	assert_int_equal(chmod(p, mode), 0);
	free(s);
}

/* Verify x against ca alone for purpose (X509_PURPOSE_SSL_*): 1 or 0. */
static int verifies(X509 *x, X509 *ca, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	int ok;

	assert_true(X509_STORE_add_cert(st, ca));
	assert_true(X509_STORE_CTX_init(xs, st, x, NULL));
	assert_true(X509_STORE_CTX_set_purpose(xs, purpose));
	ok = X509_verify_cert(xs);
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	ERR_clear_error();
	return ok == 1;
}

static void entry(X509 *x, int nid, char *out, size_t len)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_NAME_get_index_by_NID(n, nid, i), -1);   /* only one */
	assert_true(X509_NAME_get_text_by_NID(n, nid, out, (int)len) > 0);
}

static long valid_days(X509 *x)
{
	int days, secs;

	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)));
	assert_int_equal(secs, 0);
	return days;
}

static void assert_err(int rc, const char *err, const char *what)
{
	assert_int_equal(rc, -1);
	if (strstr(err, what) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, what);
	assert_int_equal(ERR_peek_error(), 0);   /* queue left empty */
}

static EVP_PKEY *keygen(const char *type)
{
	EVP_PKEY *k;

	if (strcmp(type, "RSA-1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (strcmp(type, "RSA-2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(type, "ED25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(type, "P-256-explicit") == 0) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_true(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
							   OSSL_PKEY_EC_ENCODING_EXPLICIT));
	} else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
	assert_non_null(k);
	return k;
}

/*
 * A CSR for key, as a sensor with ideas of its own would send it: its own
 * CN, a SAN, and a request to be a CA. Returned as DER (*der, *derlen) and
 * as PEM (malloc'd).
 */
static char *make_csr(EVP_PKEY *key, unsigned char **der, int *derlen)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *e;
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					       (const unsigned char *)"evil-host", -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(r, n));
	assert_true(X509_REQ_set_pubkey(r, key));
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
	sk_X509_EXTENSION_push(exts, e);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:console.kavala.example");
	sk_X509_EXTENSION_push(exts, e);
	assert_true(X509_REQ_add_extensions(r, exts));
	assert_true(X509_REQ_sign(r, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()) > 0);
	assert_true(PEM_write_bio_X509_REQ(b, r));
	len = BIO_get_mem_data(b, &data);
	pem = malloc((size_t)len + 1);
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
	if (der != NULL) {
		*der = NULL;
		*derlen = i2d_X509_REQ(r, der);
		assert_true(*derlen > 0);
	}
	BIO_free(b);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(n);
	X509_REQ_free(r);
	return pem;
}

/* PEM of raw DER bytes under a label, malloc'd. */
static char *pem_raw(const char *label, const unsigned char *der, long len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_true(PEM_write_bio(b, label, "", der, len) > 0);
	n = BIO_get_mem_data(b, &data);
	pem = malloc((size_t)n + 1);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	BIO_free(b);
	return pem;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_true(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &data);
	pem = malloc((size_t)n + 1);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	BIO_free(b);
	return pem;
}

/*
 * A sensor: a key and a certificate from ca for id, written to
 * <root>/<file>.crt and .key; the serial into serial (CA_SERIAL_HEX).
 */
static void make_sensor(struct ca *ca, const char *id, const char *file, char *serial)
{
	char err[256], p[400];
	EVP_PKEY *k = keygen("P-256");
	char *csr = make_csr(k, NULL, NULL), *cert = NULL, *kp = key_pem(k);
	char name[64];

	assert_int_equal(ca_sign_csr(ca, csr, strlen(csr), id, "agent", 30, &cert, serial,
				     CA_SERIAL_HEX, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "%s.crt", file);
	path(p, sizeof(p), g.root, name);
	spit(p, cert, 0644);
	snprintf(name, sizeof(name), "%s.key", file);
	path(p, sizeof(p), g.root, name);
	spit(p, kp, 0600);
	free(csr);
	free(cert);
	free(kp);
	EVP_PKEY_free(k);
}

/* A server context from a console's data dir; with_clients: the sensor port. */
static SSL_CTX *server_ctx(const char *dir, int with_clients, int tls13_only)
{
	char crt[400], key[400], ca[400], err[512];
	SSL_CTX *ctx;

	path(crt, sizeof(crt), dir, CA_SERVER_CERT);
	path(key, sizeof(key), dir, CA_SERVER_KEY);
	path(ca, sizeof(ca), dir, CA_CERT_FILE);
	ctx = tls_server_ctx(crt, key, with_clients ? ca : NULL, tls13_only, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("tls_server_ctx: %s", err);
	return ctx;
}

/* A sensor's client context trusting dir's CA, presenting <root>/<file>.* */
static SSL_CTX *client_ctx(const char *dir, const char *file)
{
	char ca[400], crt[400], key[400], name[64], err[512];
	SSL_CTX *ctx;

	path(ca, sizeof(ca), dir, CA_CERT_FILE);
	if (file != NULL) {
		snprintf(name, sizeof(name), "%s.crt", file);
		path(crt, sizeof(crt), g.root, name);
		snprintf(name, sizeof(name), "%s.key", file);
		path(key, sizeof(key), g.root, name);
	}
	ctx = tls_client_ctx(ca, file ? crt : NULL, file ? key : NULL, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("tls_client_ctx: %s", err);
	return ctx;
}

struct pair {
	int fd[2];
	SSL *s, *c;
};

/*
 * Handshake between a server and a client over a non-blocking socketpair,
 * driving both sides in turn. Returns 0 when both completed, -1 when either
 * failed. The pair stays open for the caller to look at; pair_close() it.
 */
static int handshake(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *resume, struct pair *p)
{
	int sdone = 0, cdone = 0, i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd), 0);
	p->s = SSL_new(sctx);
	p->c = SSL_new(cctx);
	assert_true(p->s && p->c);
	SSL_set_fd(p->s, p->fd[0]);
	SSL_set_fd(p->c, p->fd[1]);
	if (resume != NULL)
		assert_true(SSL_set_session(p->c, resume));
	for (i = 0; i < 200 && !(sdone && cdone); i++) {
		int r;

		if (!cdone) {
			r = SSL_connect(p->c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(p->c, r) != SSL_ERROR_WANT_READ &&
				 SSL_get_error(p->c, r) != SSL_ERROR_WANT_WRITE)
				break;
		}
		if (!sdone) {
			r = SSL_accept(p->s);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(p->s, r) != SSL_ERROR_WANT_READ &&
				 SSL_get_error(p->s, r) != SSL_ERROR_WANT_WRITE)
				break;
		}
	}
	ERR_clear_error();
	return sdone && cdone ? 0 : -1;
}

/* Close cleanly (a session is only resumable after a clean close). */
static void pair_close(struct pair *p)
{
	SSL_shutdown(p->c);
	SSL_shutdown(p->s);
	SSL_free(p->s);
	SSL_free(p->c);
	close(p->fd[0]);
	close(p->fd[1]);
	ERR_clear_error();
}

/* The peer check: records calls, refuses one serial. */
struct revoked {
	int calls;
	char cn[128], serial[CA_SERIAL_HEX];
	char refuse[CA_SERIAL_HEX];
};

static int check_revoked(void *arg, const char *cn, const char *serial_hex)
{
	struct revoked *r = arg;

	r->calls++;
	snprintf(r->cn, sizeof(r->cn), "%s", cn);
	snprintf(r->serial, sizeof(r->serial), "%s", serial_hex);
	return strcmp(serial_hex, r->refuse) == 0 ? -1 : 0;
}

/* ---- ca_init_dir ---- */

static void test_init_creates_four_files_with_private_keys_0600(void **state)
{
	static const char *const files[] = { CA_KEY_FILE, CA_CERT_FILE, CA_SERVER_KEY, CA_SERVER_CERT };
	static const mode_t modes[] = { 0600, 0644, 0600, 0644 };
	char dir[300], p[400], err[512];
	struct stat st;
	mode_t old = umask(0);   /* init sets the modes whatever the umask */
	size_t i;

	(void)state;
	path(dir, sizeof(dir), g.root, "new-console");
	assert_int_equal(ca_init_dir(dir, names, N_NAMES, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);   /* created private */
	assert_int_equal(count_entries(dir), 4);
	for (i = 0; i < 4; i++) {
		path(p, sizeof(p), dir, files[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 0777, modes[i]);
	}
}

static void test_init_again_refuses_and_changes_nothing(void **state)
{
	static const char *const files[] = { CA_KEY_FILE, CA_CERT_FILE, CA_SERVER_KEY, CA_SERVER_CERT };
	char p[400], err[512];
	char *before[4];
	struct stat st_before[4], st;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		path(p, sizeof(p), g.a, files[i]);
		before[i] = slurp(p, NULL);
		assert_non_null(before[i]);
		assert_int_equal(stat(p, &st_before[i]), 0);
	}
	assert_err(ca_init_dir(g.a, names, N_NAMES, err, sizeof(err)), err, "already exists");
	assert_non_null(strstr(err, g.a));
	assert_int_equal(count_entries(g.a), 4);
	for (i = 0; i < 4; i++) {
		char *after;

		path(p, sizeof(p), g.a, files[i]);
		after = slurp(p, NULL);
		assert_string_equal(after, before[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_ino, st_before[i].st_ino);
		assert_int_equal(st.st_mtim.tv_sec, st_before[i].st_mtim.tv_sec);
		assert_int_equal(st.st_mtim.tv_nsec, st_before[i].st_mtim.tv_nsec);
		free(after);
		free(before[i]);
	}
}

static void test_init_with_one_file_present_fails_and_leaves_no_new_files(void **state)
{
	/* ca.crt comes second (ca.key is created, then removed), server.crt
	 * last (three files are created, then removed) */
	static const char *const present[] = { CA_CERT_FILE, CA_SERVER_CERT, CA_KEY_FILE };
	char dir[300], p[400], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char sub[32], *s;

		snprintf(sub, sizeof(sub), "partial-%zu", i);
		path(dir, sizeof(dir), g.root, sub);
		assert_int_equal(mkdir(dir, 0755), 0);
		path(p, sizeof(p), dir, present[i]);
		spit(p, "left by an operator\n", 0644);
		assert_err(ca_init_dir(dir, names, N_NAMES, err, sizeof(err)), err, present[i]);
		assert_int_equal(count_entries(dir), 1);
		s = slurp(p, NULL);
		assert_string_equal(s, "left by an operator\n");
		free(s);
	}
}

static void test_init_refuses_bad_names_and_creates_nothing(void **state)
{
	const char *bad_dns[] = { "bad name" };
	const char *leading_hyphen[] = { "-x.example" };
	const char *short_ip[] = { "10.0.3" };
	const char *empty_label[] = { "a..example" };
	const char *null_name[] = { NULL };
	const char *long_first[] = { "a123456789a123456789a123456789a123456789a123456789a123456789.example" };
	const char *many[CA_MAX_NAMES + 1];
	char dir[300], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < CA_MAX_NAMES + 1; i++)
		many[i] = "localhost";
	path(dir, sizeof(dir), g.root, "never-made");
	assert_err(ca_init_dir(dir, names, 0, err, sizeof(err)), err, "no name");
	assert_err(ca_init_dir(dir, bad_dns, 1, err, sizeof(err)), err, "bad name");
	assert_err(ca_init_dir(dir, leading_hyphen, 1, err, sizeof(err)), err, "-x.example");
	assert_err(ca_init_dir(dir, short_ip, 1, err, sizeof(err)), err, "neither an IP");
	assert_err(ca_init_dir(dir, empty_label, 1, err, sizeof(err)), err, "neither an IP");
	assert_err(ca_init_dir(dir, null_name, 1, err, sizeof(err)), err, "neither an IP");
	assert_err(ca_init_dir(dir, long_first, 1, err, sizeof(err)), err, "64 characters");
	assert_err(ca_init_dir(dir, many, CA_MAX_NAMES + 1, err, sizeof(err)), err, "at most");
	assert_int_equal(access(dir, F_OK), -1);

	/* a parent that does not exist: said, nothing made */
	path(dir, sizeof(dir), g.root, "no/such/parent");
	assert_err(ca_init_dir(dir, names, N_NAMES, err, sizeof(err)), err, "cannot create");
}

/* ---- the certificates init makes ---- */

static void test_ca_cert_is_a_pathlen0_ca_unique_per_console(void **state)
{
	X509 *a = cert_file(g.a, CA_CERT_FILE), *b = cert_file(g.b, CA_CERT_FILE);
	char cn_a[128], cn_b[128], serial[TLS_SERIAL_HEX];
	X509_EXTENSION *bc;
	EVP_PKEY *k;
	char group[32];
	size_t i;

	(void)state;
	assert_int_equal(X509_check_ca(a), 1);
	assert_int_equal(X509_get_pathlen(a), 0);
	bc = X509_get_ext(a, X509_get_ext_by_NID(a, NID_basic_constraints, -1));
	assert_non_null(bc);
	assert_int_equal(X509_EXTENSION_get_critical(bc), 1);
	assert_int_equal(X509_get_key_usage(a), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(X509_get_extension_flags(a) & EXFLAG_SS);
	assert_int_equal(X509_verify(a, X509_get0_pubkey(a)), 1);
	assert_non_null(X509_get0_subject_key_id(a));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(a),
					       X509_get0_authority_key_id(a)), 0);
	assert_int_equal(valid_days(a), CA_DAYS);

	entry(a, NID_commonName, cn_a, sizeof(cn_a));
	entry(b, NID_commonName, cn_b, sizeof(cn_b));
	assert_int_equal(strlen(cn_a), strlen("Kastro console CA ") + 8);
	assert_memory_equal(cn_a, "Kastro console CA ", 18);
	for (i = 18; i < 26; i++)
		assert_non_null(strchr("0123456789abcdef", cn_a[i]));
	assert_string_not_equal(cn_a, cn_b);   /* two consoles' CAs differ */

	k = X509_get0_pubkey(a);
	assert_true(EVP_PKEY_is_a(k, "EC"));
	assert_true(EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL));
	assert_string_equal(group, "prime256v1");

	assert_int_equal(tls_serial_hex(a, serial, sizeof(serial)), 0);
	assert_int_equal(strlen(serial), 32);
	X509_free(a);
	X509_free(b);
}

static void test_server_cert_verifies_and_carries_the_names_given(void **state)
{
	char p[400], cn[128];
	char *all;
	X509 *ca = cert_file(g.a, CA_CERT_FILE), *leaf, *second;
	GENERAL_NAMES *san;
	int i, dns = 0, ip = 0;
	BIO *b;
	EVP_PKEY *key;

	(void)state;
	/* server.crt: the leaf, then the CA (the chain every port sends) */
	path(p, sizeof(p), g.a, CA_SERVER_CERT);
	all = slurp(p, NULL);
	b = BIO_new_mem_buf(all, -1);
	leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
	second = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_true(leaf && second);
	assert_null(PEM_read_bio_X509(b, NULL, NULL, NULL));
	ERR_clear_error();
	BIO_free(b);
	free(all);
	assert_int_equal(X509_cmp(second, ca), 0);

	assert_true(verifies(leaf, ca, X509_PURPOSE_SSL_SERVER));
	assert_false(verifies(leaf, ca, X509_PURPOSE_SSL_CLIENT));   /* serverAuth only */
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(valid_days(leaf), CA_SERVER_DAYS);
	entry(leaf, NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "console.kavala.example");
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
					       X509_get0_subject_key_id(ca)), 0);

	san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), (int)N_NAMES);
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, i);

		dns += gn->type == GEN_DNS;
		ip += gn->type == GEN_IPADD;
	}
	assert_int_equal(dns, 2);
	assert_int_equal(ip, 3);
	GENERAL_NAMES_free(san);
	assert_int_equal(X509_check_host(leaf, "console.kavala.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(leaf, "10.0.0.5", 0), 1);
	assert_int_equal(X509_check_ip_asc(leaf, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(leaf, "10.0.0.5", 0, 0, NULL), 0);   /* not as DNS */
	assert_int_equal(X509_check_host(leaf, "other.example", 0, 0, NULL), 0);

	/* server.key is the leaf's key, 0600 */
	path(p, sizeof(p), g.a, CA_SERVER_KEY);
	all = slurp(p, NULL);
	b = BIO_new_mem_buf(all, -1);
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(key);
	assert_int_equal(X509_check_private_key(leaf, key), 1);
	EVP_PKEY_free(key);
	BIO_free(b);
	free(all);

	X509_free(leaf);
	X509_free(second);
	X509_free(ca);
}

/* ---- ca_load ---- */

static void test_load_refuses_missing_readable_mismatched(void **state)
{
	char dir[300], p[400], err[512];
	struct ca *ca = (struct ca *)1;

	(void)state;
	path(dir, sizeof(dir), g.root, "absent");
	assert_err(ca_load(dir, &ca, err, sizeof(err)), err, "init first");
	assert_null(ca);

	/* a copy of console A to spoil */
	path(dir, sizeof(dir), g.root, "spoilt");
	assert_int_equal(mkdir(dir, 0700), 0);
	copy(g.a, CA_CERT_FILE, dir, CA_CERT_FILE, 0644);
	copy(g.a, CA_KEY_FILE, dir, CA_KEY_FILE, 0600);
	assert_int_equal(ca_load(dir, &ca, err, sizeof(err)), 0);
	ca_free(ca);

	path(p, sizeof(p), dir, CA_KEY_FILE);
	assert_int_equal(chmod(p, 0640), 0);
	assert_err(ca_load(dir, &ca, err, sizeof(err)), err, "chmod 600");
	assert_int_equal(chmod(p, 0600), 0);

	/* console B's key with console A's certificate */
	copy(g.b, CA_KEY_FILE, dir, CA_KEY_FILE, 0600);
	assert_err(ca_load(dir, &ca, err, sizeof(err)), err, "is not the key of");

	/* the server's certificate and key in the CA's place: not a CA */
	copy(g.a, CA_SERVER_CERT, dir, CA_CERT_FILE, 0644);
	copy(g.a, CA_SERVER_KEY, dir, CA_KEY_FILE, 0600);
	assert_err(ca_load(dir, &ca, err, sizeof(err)), err, "not a CA");

	path(p, sizeof(p), dir, CA_CERT_FILE);
	spit(p, "not a certificate\n", 0644);
	assert_err(ca_load(dir, &ca, err, sizeof(err)), err, "no PEM certificate");
	assert_null(ca);
	ca_free(NULL);
}

/* ---- ca_sign_csr ---- */

/* Sign a fresh CSR of key type type; check what a sensor certificate must say. */
static void sign_and_check(const char *type)
{
	char err[512], serial[CA_SERIAL_HEX], cn[128], ou[64], s2[TLS_SERIAL_HEX];
	EVP_PKEY *k = keygen(type);
	char *csr = make_csr(k, NULL, NULL), *pem = NULL;
	X509 *ca = cert_of(ca_cert_pem(g.ca_a)), *x;
	size_t i;

	if (ca_sign_csr(g.ca_a, csr, strlen(csr), "s-4f2a9c", "gateway", 90, &pem, serial,
			sizeof(serial), err, sizeof(err)) != 0)
		fail_msg("%s: %s", type, err);
	x = cert_of(pem);
	assert_true(verifies(x, ca, X509_PURPOSE_SSL_CLIENT));
	assert_false(verifies(x, ca, X509_PURPOSE_SSL_SERVER));   /* clientAuth only */
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	entry(x, NID_commonName, cn, sizeof(cn));
	entry(x, NID_organizationalUnitName, ou, sizeof(ou));
	assert_string_equal(cn, "s-4f2a9c");   /* not the CSR's "evil-host" */
	assert_string_equal(ou, "gateway");
	assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 2);
	/* the CSR's extensions are not copied: no SAN, not a CA */
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), k), 1);
	assert_int_equal(valid_days(x), 90);
	assert_int_equal(X509_cmp_time(X509_get0_notBefore(x), NULL), -1);   /* valid now */
	/* the serial returned is the certificate's: 32 lowercase hex digits */
	assert_int_equal(strlen(serial), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", serial[i]));
	assert_int_equal(tls_serial_hex(x, s2, sizeof(s2)), 0);
	assert_string_equal(serial, s2);
	X509_free(x);
	X509_free(ca);
	free(pem);
	free(csr);
	EVP_PKEY_free(k);
}

static void test_sign_ec_csr_binds_the_id_the_console_chose(void **state)
{
	(void)state;
	sign_and_check("P-256");
	sign_and_check("P-384");
}

static void test_sign_rsa2048_csr(void **state)
{
	(void)state;
	sign_and_check("RSA-2048");
}

static void test_sign_serials_are_random(void **state)
{
	char err[512], s1[CA_SERIAL_HEX], s2[CA_SERIAL_HEX];
	EVP_PKEY *k = keygen("P-256");
	char *csr = make_csr(k, NULL, NULL), *p1 = NULL, *p2 = NULL;

	(void)state;
	assert_int_equal(ca_sign_csr(g.ca_a, csr, strlen(csr), "s1", "agent", 1, &p1, s1,
				     sizeof(s1), err, sizeof(err)), 0);
	assert_int_equal(ca_sign_csr(g.ca_a, csr, strlen(csr), "s1", "agent", 1, &p2, s2,
				     sizeof(s2), err, sizeof(err)), 0);
	assert_string_not_equal(s1, s2);
	assert_string_not_equal(p1, p2);
	free(p1);
	free(p2);
	free(csr);
	EVP_PKEY_free(k);
}

static void test_sign_refuses_weak_and_other_keys(void **state)
{
	static const struct {
		const char *type, *what;
	} cases[] = {
		{ "RSA-1024", "1024 bits: at least 2048" },
		{ "P-521", "only P-256 and P-384" },
		{ "ED25519", "ED25519" },
		{ "P-256-explicit", "spells out its curve" },
	};
	char err[512], serial[CA_SERIAL_HEX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *k = keygen(cases[i].type);
		char *csr = make_csr(k, NULL, NULL), *pem = (char *)1;

		assert_err(ca_sign_csr(g.ca_a, csr, strlen(csr), "s1", "agent", 30, &pem, serial,
				       sizeof(serial), err, sizeof(err)), err, cases[i].what);
		assert_null(pem);
		free(csr);
		EVP_PKEY_free(k);
	}
}

static void test_sign_refuses_a_broken_signature(void **state)
{
	char err[512], serial[CA_SERIAL_HEX];
	unsigned char *der, *pos;
	int derlen;
	EVP_PKEY *k = keygen("P-256");
	char *csr = make_csr(k, &der, &derlen), *bad, *pem = NULL;

	(void)state;
	free(csr);
	/* the subject's "evil-host" becomes "evil-hosT": still a CSR, signed
	 * over other bytes */
	pos = memmem(der, (size_t)derlen, "evil-host", 9);
	assert_non_null(pos);
	pos[8] ^= 0x20;
	bad = pem_raw("CERTIFICATE REQUEST", der, derlen);
	assert_err(ca_sign_csr(g.ca_a, bad, strlen(bad), "s1", "agent", 30, &pem, serial,
			       sizeof(serial), err, sizeof(err)), err, "signature does not verify");
	assert_null(pem);
	free(bad);
	pos[8] ^= 0x20;

	/* the last byte (inside the signature) flipped */
	der[derlen - 1] ^= 0x01;
	bad = pem_raw("CERTIFICATE REQUEST", der, derlen);
	assert_err(ca_sign_csr(g.ca_a, bad, strlen(bad), "s1", "agent", 30, &pem, serial,
			       sizeof(serial), err, sizeof(err)), err, "signature does not verify");
	free(bad);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void test_sign_refuses_anything_but_exactly_one_pem_csr(void **state)
{
	char err[512], serial[CA_SERIAL_HEX];
	EVP_PKEY *k = keygen("P-256");
	char *csr = make_csr(k, NULL, NULL), *pem = NULL, *buf;
	size_t n = strlen(csr);
	const char *ca_pem = ca_cert_pem(g.ca_a);
	unsigned char *der;
	int derlen;

#define SIGN(s, len) ca_sign_csr(g.ca_a, (s), (len), "s1", "agent", 30, &pem, serial, \
				 sizeof(serial), err, sizeof(err))
	(void)state;
	buf = malloc(2 * CA_MAX_CSR);
	assert_non_null(buf);

	assert_err(SIGN("", 0), err, "empty");
	assert_err(SIGN(NULL, 0), err, "empty");
	assert_err(SIGN("hello, console", 14), err, "not PEM");
	assert_err(SIGN(ca_pem, strlen(ca_pem)), err, "not a CERTIFICATE REQUEST");

	/* two CSRs, one after the other */
	snprintf(buf, 2 * CA_MAX_CSR, "%s%s", csr, csr);
	assert_err(SIGN(buf, strlen(buf)), err, "text follows the CSR");
	/* text before, text after */
	snprintf(buf, 2 * CA_MAX_CSR, "hostname: pc-12\n%s", csr);
	assert_err(SIGN(buf, strlen(buf)), err, "not PEM");
	snprintf(buf, 2 * CA_MAX_CSR, "%sgarbage\n", csr);
	assert_err(SIGN(buf, strlen(buf)), err, "text follows the CSR");
	/* a NUL byte inside */
	memcpy(buf, csr, n);
	buf[n / 2] = '\0';
	assert_err(SIGN(buf, n), err, "NUL");
	/* cut short */
	assert_err(SIGN(csr, n / 2), err, "not a valid PEM block");
	/* PEM headers (an encrypted block) */
	snprintf(buf, 2 * CA_MAX_CSR, "-----BEGIN CERTIFICATE REQUEST-----\n"
		 "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n%s",
		 strchr(csr, '\n') + 1);
	assert_err(SIGN(buf, strlen(buf)), err, "PEM headers");
	/* bytes after the request inside the base64 */
	{
		X509_REQ *r;
		BIO *b = BIO_new_mem_buf(csr, -1);
		unsigned char *d2;
		char *p;

		r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		BIO_free(b);
		der = NULL;
		derlen = i2d_X509_REQ(r, &der);
		X509_REQ_free(r);
		d2 = malloc((size_t)derlen + 2);
		memcpy(d2, der, (size_t)derlen);
		d2[derlen] = 0x05;
		d2[derlen + 1] = 0x00;
		p = pem_raw("CERTIFICATE REQUEST", d2, derlen + 2);
		assert_err(SIGN(p, strlen(p)), err, "bytes after the request");
		/* and garbage in a CSR's clothes */
		free(p);
		p = pem_raw("CERTIFICATE REQUEST", (const unsigned char *)"\x30\x03\x02\x01\x00", 5);
		assert_err(SIGN(p, strlen(p)), err, "not a certificate request");
		free(p);
		free(d2);
		OPENSSL_free(der);
	}
	/* too large, even when the CSR inside is fine */
	memset(buf, ' ', CA_MAX_CSR + 1);
	memcpy(buf, csr, n);
	assert_err(SIGN(buf, CA_MAX_CSR + 1), err, "too large");
	assert_null(pem);

	/* white space around it is fine, and len is honoured: the bytes after
	 * it are not read */
	snprintf(buf, 2 * CA_MAX_CSR, "\r\n  %s\n\n", csr);
	n = strlen(buf);
	memcpy(buf + n, "XXXX", 5);
	assert_int_equal(SIGN(buf, n), 0);
	free(pem);
#undef SIGN
	free(buf);
	free(csr);
	EVP_PKEY_free(k);
}

static void test_sign_refuses_bad_id_kind_days(void **state)
{
	char err[512], serial[CA_SERIAL_HEX], small[8];
	char long_id[CA_MAX_ID + 2];
	EVP_PKEY *k = keygen("P-256");
	char *csr = make_csr(k, NULL, NULL), *pem = NULL;
	size_t n = strlen(csr);

	(void)state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_err(ca_sign_csr(g.ca_a, csr, n, "", "agent", 30, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "sensor id");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "a b", "agent", 30, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "sensor id");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s,OU=gateway", "agent", 30, &pem, serial,
			       sizeof(serial), err, sizeof(err)), err, "sensor id");
	assert_err(ca_sign_csr(g.ca_a, csr, n, long_id, "agent", 30, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "sensor id");
	long_id[CA_MAX_ID] = '\0';   /* exactly CA_MAX_ID: fine */
	assert_int_equal(ca_sign_csr(g.ca_a, csr, n, long_id, "agent", 30, &pem, serial,
				     sizeof(serial), err, sizeof(err)), 0);
	free(pem);
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s1", "server", 30, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "kind");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s1", NULL, 30, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "kind");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s1", "agent", 0, &pem, serial, sizeof(serial),
			       err, sizeof(err)), err, "days");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s1", "agent", CA_MAX_DAYS + 1, &pem, serial,
			       sizeof(serial), err, sizeof(err)), err, "days");
	assert_err(ca_sign_csr(g.ca_a, csr, n, "s1", "agent", 30, &pem, small, sizeof(small),
			       err, sizeof(err)), err, "serial buffer");
	assert_null(pem);
	free(csr);
	EVP_PKEY_free(k);
}

/* ---- fingerprints and pins ---- */

static void test_fingerprint_format_and_pin_forms(void **state)
{
	char fp[CA_FP_LEN], fp_b[CA_FP_LEN], fp2[TLS_FP_LEN], canon[TLS_FP_LEN], err[256];
	char pin[256], small[CA_FP_LEN - 1];
	unsigned char md[32], *der = NULL;
	unsigned int mdlen;
	X509 *x = cert_file(g.a, CA_CERT_FILE);
	int derlen, i;
	size_t j;

	(void)state;
	assert_int_equal(ca_fingerprint(g.ca_a, fp, sizeof(fp)), 0);
	assert_int_equal(strlen(fp), 71);
	assert_memory_equal(fp, "SHA256:", 7);
	for (j = 7; j < 71; j++)
		assert_non_null(strchr("0123456789abcdef", fp[j]));
	assert_int_equal(ca_fingerprint(g.ca_a, small, sizeof(small)), -1);
	/* the same from the certificate, and it is SHA-256 over the DER */
	assert_int_equal(tls_cert_fingerprint(x, fp2, sizeof(fp2)), 0);
	assert_string_equal(fp, fp2);
	derlen = i2d_X509(x, &der);
	assert_true(EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL));
	for (i = 0; i < 32; i++) {
		char two[3];

		snprintf(two, sizeof(two), "%02x", md[i]);
		assert_memory_equal(fp + 7 + 2 * i, two, 2);
	}
	OPENSSL_free(der);
	assert_int_equal(tls_cert_fingerprint(x, fp2, TLS_FP_LEN - 1), -1);
	assert_int_equal(ca_fingerprint(g.ca_b, fp_b, sizeof(fp_b)), 0);
	assert_string_not_equal(fp, fp_b);

	/* the forms a user may paste */
	assert_int_equal(tls_pin_matches(fp, fp), 1);
	snprintf(pin, sizeof(pin), "sha256:%s", fp + 7);
	assert_int_equal(tls_pin_matches(pin, fp), 1);
	snprintf(pin, sizeof(pin), "%s", fp + 7);                 /* no prefix */
	assert_int_equal(tls_pin_matches(pin, fp), 1);
	for (j = 0; pin[j]; j++)                                    /* upper case */
		pin[j] = (char)(pin[j] >= 'a' && pin[j] <= 'f' ? pin[j] - 32 : pin[j]);
	assert_int_equal(tls_pin_matches(pin, fp), 1);
	/* openssl x509 -fingerprint -sha256: "sha256 Fingerprint=AB:CD:..." */
	{
		char *p = pin + snprintf(pin, sizeof(pin), "sha256 Fingerprint=");

		for (i = 0; i < 32; i++)
			p += snprintf(p, 4, "%s%02X", i ? ":" : "", md[i]);
		snprintf(p, 2, "\n");
	}
	assert_int_equal(tls_pin_matches(pin, fp), 1);
	assert_int_equal(tls_pin_normalize(pin, canon, sizeof(canon), err, sizeof(err)), 0);
	assert_string_equal(canon, fp);

	/* wrong */
	assert_int_equal(tls_pin_matches(fp_b, fp), 0);
	snprintf(pin, sizeof(pin), "%.70s", fp);                   /* 63 digits */
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	assert_int_equal(tls_pin_normalize(pin, canon, sizeof(canon), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "63 hex digits"));
	snprintf(pin, sizeof(pin), "%s0", fp);                      /* 65 */
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	snprintf(pin, sizeof(pin), "%s", fp);
	pin[20] = pin[20] == '0' ? '1' : '0';                       /* one digit */
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	snprintf(pin, sizeof(pin), "SHA256:%.2s:%s", fp + 7, fp + 9);   /* one colon */
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	assert_int_equal(tls_pin_normalize(pin, canon, sizeof(canon), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "some pairs"));
	snprintf(pin, sizeof(pin), "SHA256:%.3s:%s", fp + 7, fp + 10);  /* inside a pair */
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	snprintf(pin, sizeof(pin), "SHA256::%s", fp + 7);
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	snprintf(pin, sizeof(pin), "SHA1:%s", fp + 7);
	assert_int_equal(tls_pin_matches(pin, fp), 0);
	snprintf(pin, sizeof(pin), "%s", fp);
	pin[30] = 'g';
	assert_int_equal(tls_pin_normalize(pin, canon, sizeof(canon), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "position 31"));
	assert_int_equal(tls_pin_matches("", fp), 0);
	assert_int_equal(tls_pin_matches(NULL, fp), 0);
	assert_int_equal(tls_pin_matches(fp, "SHA256:"), 0);
	X509_free(x);
}

static void test_last_error_is_one_line_and_empties_the_queue(void **state)
{
	char buf[512], small[8];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	(void)state;
	assert_string_equal(tls_last_error(buf, sizeof(buf)), "no OpenSSL error");
	assert_int_equal(SSL_CTX_use_certificate_file(ctx, "/nonexistent/x.crt", SSL_FILETYPE_PEM), 0);
	assert_int_not_equal(ERR_peek_error(), 0);
	tls_last_error(buf, sizeof(buf));
	assert_null(strchr(buf, '\n'));
	assert_non_null(strstr(buf, "/nonexistent/x.crt"));
	assert_int_equal(ERR_peek_error(), 0);

	assert_int_equal(SSL_CTX_use_certificate_file(ctx, "/nonexistent/x.crt", SSL_FILETYPE_PEM), 0);
	tls_last_error(small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);   /* cut, terminated */
	assert_int_equal(ERR_peek_error(), 0);
	SSL_CTX_free(ctx);
}

/* ---- TLS ---- */

static void test_tls_ctx_errors_name_the_file(void **state)
{
	char crt[400], key[400], err[512];

	(void)state;
	path(crt, sizeof(crt), g.a, CA_SERVER_CERT);
	path(key, sizeof(key), g.b, CA_SERVER_KEY);
	assert_null(tls_server_ctx(crt, key, NULL, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "is not the key of"));
	assert_null(tls_server_ctx("/nonexistent/server.crt", key, NULL, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/server.crt"));
	path(key, sizeof(key), g.a, CA_SERVER_KEY);
	assert_null(tls_server_ctx(crt, key, "/nonexistent/ca.crt", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.crt"));
	assert_null(tls_client_ctx("/nonexistent/ca.crt", NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.crt"));
	assert_null(tls_client_ctx(crt, crt, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "needs its key"));
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_tls_mtls_handshake_gives_the_sensor_identity(void **state)
{
	char serial[CA_SERIAL_HEX], cn[128], ou[32], s2[TLS_SERIAL_HEX], fp[TLS_FP_LEN];
	char ca_fp[CA_FP_LEN];
	struct revoked rv = { 0 };
	SSL_CTX *s = server_ctx(g.a, 1, 1);
	SSL_CTX *c;
	struct pair p;
	STACK_OF(X509) *chain;
	char buf[8];

	(void)state;
	make_sensor(g.ca_a, "s-0001", "good", serial);
	c = client_ctx(g.a, "good");
	assert_int_equal(tls_server_set_peer_check(s, check_revoked, &rv), 0);
	assert_int_equal(handshake(s, c, NULL, &p), 0);
	assert_int_equal(SSL_version(p.s), TLS1_3_VERSION);
	assert_int_equal(tls_peer_identity(p.s, cn, sizeof(cn), ou, sizeof(ou), s2, sizeof(s2)), 0);
	assert_string_equal(cn, "s-0001");
	assert_string_equal(ou, "agent");
	assert_string_equal(s2, serial);
	/* the peer check saw the same, once */
	assert_int_equal(rv.calls, 1);
	assert_string_equal(rv.cn, "s-0001");
	assert_string_equal(rv.serial, serial);
	/* no room is an error, not a cut value */
	assert_int_equal(tls_peer_identity(p.s, cn, 6, NULL, 0, s2, sizeof(s2)), -1);
	/* the server's chain: its certificate, then the CA (once) */
	chain = SSL_get_peer_cert_chain(p.c);
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(tls_cert_fingerprint(sk_X509_value(chain, 1), fp, sizeof(fp)), 0);
	assert_int_equal(ca_fingerprint(g.ca_a, ca_fp, sizeof(ca_fp)), 0);
	assert_string_equal(fp, ca_fp);
	/* and data flows */
	assert_int_equal(SSL_write(p.c, "ping", 4), 4);
	assert_int_equal(SSL_read(p.s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	/* the client has no peer identity to give: it asked no certificate */
	pair_close(&p);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}

static void test_tls_no_client_cert_is_refused(void **state)
{
	struct revoked rv = { 0 };
	SSL_CTX *s = server_ctx(g.a, 1, 1), *c = client_ctx(g.a, NULL);
	struct pair p;
	char buf[8];

	(void)state;
	assert_int_equal(tls_server_set_peer_check(s, check_revoked, &rv), 0);
	assert_int_equal(handshake(s, c, NULL, &p), -1);
	assert_int_equal(rv.calls, 0);
	/* the client learns it too */
	assert_true(SSL_read(p.c, buf, sizeof(buf)) <= 0);
	pair_close(&p);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}

static void test_tls_cert_from_another_ca_is_refused(void **state)
{
	char serial[CA_SERIAL_HEX];
	struct revoked rv = { 0 };
	SSL_CTX *s = server_ctx(g.a, 1, 1), *c;
	struct pair p;

	(void)state;
	make_sensor(g.ca_b, "s-0001", "foreign", serial);   /* same CN, other console */
	c = client_ctx(g.a, "foreign");
	assert_int_equal(tls_server_set_peer_check(s, check_revoked, &rv), 0);
	assert_int_equal(handshake(s, c, NULL, &p), -1);
	assert_int_equal(rv.calls, 0);
	assert_int_not_equal(SSL_get_verify_result(p.s), X509_V_OK);
	pair_close(&p);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}

static void test_tls_revoked_sensor_is_refused_at_the_handshake(void **state)
{
	char serial[CA_SERIAL_HEX];
	struct revoked rv = { 0 };
	SSL_CTX *s = server_ctx(g.a, 1, 1), *c;
	SSL_SESSION *sess;
	struct pair p;
	char buf[8];

	(void)state;
	make_sensor(g.ca_a, "s-0002", "revoked", serial);
	c = client_ctx(g.a, "revoked");
	assert_int_equal(tls_server_set_peer_check(s, check_revoked, &rv), 0);

	/* accepted while in good standing; keep whatever session it got */
	assert_int_equal(handshake(s, c, NULL, &p), 0);
	assert_int_equal(SSL_write(p.c, "x", 1), 1);
	assert_int_equal(SSL_read(p.s, buf, 1), 1);
	SSL_read(p.c, buf, 1);   /* takes in tickets, if any were sent */
	sess = SSL_get1_session(p.c);
	pair_close(&p);
	/* none were: a session could skip the check below */
	assert_int_equal(SSL_SESSION_is_resumable(sess), 0);

	/* revoked: refused in the handshake, also when offering the old session */
	snprintf(rv.refuse, sizeof(rv.refuse), "%s", serial);
	rv.calls = 0;
	assert_int_equal(handshake(s, c, sess, &p), -1);
	assert_int_equal(rv.calls, 1);
	assert_int_equal(SSL_session_reused(p.s), 0);
	assert_int_equal(SSL_get_verify_result(p.s), X509_V_ERR_CERT_REVOKED);
	assert_true(SSL_read(p.c, buf, sizeof(buf)) <= 0);
	pair_close(&p);

	/* the check removed: accepted again */
	assert_int_equal(tls_server_set_peer_check(s, NULL, NULL), 0);
	assert_int_equal(handshake(s, c, NULL, &p), 0);
	pair_close(&p);
	SSL_SESSION_free(sess);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}

static void test_tls_peer_check_needs_a_client_ca(void **state)
{
	struct revoked rv = { 0 };
	SSL_CTX *s = server_ctx(g.a, 0, 0);

	(void)state;
	assert_int_equal(tls_server_set_peer_check(s, check_revoked, &rv), -1);
	SSL_CTX_free(s);
}

static void test_tls12_client_is_refused_by_the_tls13_only_port(void **state)
{
	char serial[CA_SERIAL_HEX];
	SSL_CTX *s = server_ctx(g.a, 1, 1), *c;
	struct pair p;

	(void)state;
	make_sensor(g.ca_a, "s-0003", "old", serial);
	c = client_ctx(g.a, "old");
	/* the same client, as one that cannot do 1.3 */
	assert_true(SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION));
	assert_true(SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION));
	assert_int_equal(handshake(s, c, NULL, &p), -1);
	pair_close(&p);
	SSL_CTX_free(s);

	/* the officers' port lets it in, with an AEAD cipher */
	s = server_ctx(g.a, 0, 0);
	assert_int_equal(handshake(s, c, NULL, &p), 0);
	assert_int_equal(SSL_version(p.s), TLS1_2_VERSION);
	assert_true(SSL_CIPHER_is_aead(SSL_get_current_cipher(p.s)));
	assert_int_equal(SSL_CIPHER_get_kx_nid(SSL_get_current_cipher(p.s)), NID_kx_ecdhe);
	pair_close(&p);
	/* but not with CBC */
	assert_true(SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA"));
	assert_int_equal(handshake(s, c, NULL, &p), -1);
	pair_close(&p);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
}

/* The officers' port (no client certificates) sends the CA in its chain too. */
static void test_tls_https_port_sends_the_ca(void **state)
{
	SSL_CTX *s = server_ctx(g.a, 0, 0), *c = client_ctx(g.a, NULL);
	struct pair p;
	char fp[TLS_FP_LEN], ca_fp[CA_FP_LEN];
	STACK_OF(X509) *chain;
	char cn[64], serial[TLS_SERIAL_HEX];

	(void)state;
	assert_int_equal(handshake(s, c, NULL, &p), 0);
	chain = SSL_get_peer_cert_chain(p.c);
	assert_int_equal(sk_X509_num(chain), 2);
	assert_int_equal(tls_cert_fingerprint(sk_X509_value(chain, 1), fp, sizeof(fp)), 0);
	assert_int_equal(ca_fingerprint(g.ca_a, ca_fp, sizeof(ca_fp)), 0);
	assert_string_equal(fp, ca_fp);
	/* no client certificate here: no identity */
	assert_int_equal(tls_peer_identity(p.s, cn, sizeof(cn), NULL, 0, serial, sizeof(serial)), -1);
	pair_close(&p);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
}

/* ---- tls_fetch_pinned_ca ---- */

struct server {
	SSL_CTX *ctx;
	int lfd;
	char port[8];
	pthread_t th;
};

static void *serve_one(void *arg)
{
	struct server *sv = arg;
	struct timeval tv = { .tv_sec = 5 };
	int fd = accept(sv->lfd, NULL, NULL);
	SSL *ssl;
	char b;

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ssl = SSL_new(sv->ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1)
		SSL_read(ssl, &b, 1);   /* until the client goes */
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
	return NULL;
}

/* A loopback server answering one connection with ctx (which it frees). */
static void serve(struct server *sv, SSL_CTX *ctx)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->ctx = ctx;
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->lfd >= 0);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->lfd, 1), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&a, &al), 0);
	snprintf(sv->port, sizeof(sv->port), "%u", ntohs(a.sin_port));
	assert_int_equal(pthread_create(&sv->th, NULL, serve_one, sv), 0);
}

static void serve_end(struct server *sv)
{
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	SSL_CTX_free(sv->ctx);
}

/* Fetch from a server with ctx; returns tls_fetch_pinned_ca()'s result. */
static int fetch(SSL_CTX *ctx, const char *pin, char **pem, char *err, size_t errlen)
{
	struct server sv;
	int rc;

	serve(&sv, ctx);
	rc = tls_fetch_pinned_ca("127.0.0.1", sv.port, pin, pem, err, errlen);
	serve_end(&sv);
	return rc;
}

static void test_fetch_pinned_ca_right_pin(void **state)
{
	char fp[CA_FP_LEN], pin[128], err[512];
	char *pem = NULL;
	int i;

	(void)state;
	/* the pin as an officer may copy it: upper case with colons */
	assert_int_equal(ca_fingerprint(g.ca_a, fp, sizeof(fp)), 0);
	{
		char *p = pin + snprintf(pin, sizeof(pin), "SHA256:");

		for (i = 0; i < 32; i++)
			p += snprintf(p, 4, "%s%c%c", i ? ":" : "", toupper(fp[7 + 2 * i]),
				      toupper(fp[8 + 2 * i]));
	}
	if (fetch(server_ctx(g.a, 0, 0), pin, &pem, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(pem, ca_cert_pem(g.ca_a));
	free(pem);
	/* the sensor port serves it as well */
	if (fetch(server_ctx(g.a, 1, 1), fp, &pem, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(pem, ca_cert_pem(g.ca_a));
	free(pem);
}

static void test_fetch_pinned_ca_wrong_pins_are_refused(void **state)
{
	char fp_a[CA_FP_LEN], fp_b[CA_FP_LEN], fp_leaf[TLS_FP_LEN], want[200], err[512];
	char crt[400], key[400], p[400];
	char *pem = (char *)1, *leaf_pem, *ca_pem, *both;
	X509 *leaf;
	SSL_CTX *ctx;
	struct server sv;

	(void)state;
	assert_int_equal(ca_fingerprint(g.ca_a, fp_a, sizeof(fp_a)), 0);
	assert_int_equal(ca_fingerprint(g.ca_b, fp_b, sizeof(fp_b)), 0);

	/* console A, the pin of console B: says what it got */
	assert_int_equal(fetch(server_ctx(g.a, 0, 0), fp_b, &pem, err, sizeof(err)), -1);
	assert_null(pem);
	snprintf(want, sizeof(want), "the console's CA does not match the fingerprint: got %s", fp_a);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' does not say '%s'", err, want);

	/* the pin of the server's own certificate: not a CA */
	leaf = cert_file(g.a, CA_SERVER_CERT);
	assert_int_equal(tls_cert_fingerprint(leaf, fp_leaf, sizeof(fp_leaf)), 0);
	X509_free(leaf);
	assert_int_equal(fetch(server_ctx(g.a, 0, 0), fp_leaf, &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a self-signed CA"));

	/* an impostor: console B's certificate and key, with console A's CA
	 * appended to its chain; A's pin must not let it pass */
	path(p, sizeof(p), g.b, CA_SERVER_CERT);
	leaf_pem = slurp(p, NULL);
	*strstr(leaf_pem, "-----END CERTIFICATE-----\n") = '\0';
	ca_pem = (char *)ca_cert_pem(g.ca_a);
	both = malloc(strlen(leaf_pem) + strlen(ca_pem) + 32);
	snprintf(both, strlen(leaf_pem) + strlen(ca_pem) + 32, "%s-----END CERTIFICATE-----\n%s",
		 leaf_pem, ca_pem);
	path(crt, sizeof(crt), g.root, "impostor.crt");
	spit(crt, both, 0644);
	path(key, sizeof(key), g.b, CA_SERVER_KEY);
	ctx = tls_server_ctx(crt, key, NULL, 0, err, sizeof(err));
	assert_non_null(ctx);
	assert_int_equal(fetch(ctx, fp_a, &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not signed by its pinned CA"));
	free(both);
	free(leaf_pem);

	/* a server that sends no CA at all */
	path(p, sizeof(p), g.a, CA_SERVER_CERT);
	leaf_pem = slurp(p, NULL);
	strstr(leaf_pem, "-----END CERTIFICATE-----\n")[26] = '\0';
	path(crt, sizeof(crt), g.root, "leaf-only.crt");
	spit(crt, leaf_pem, 0644);
	free(leaf_pem);
	path(key, sizeof(key), g.a, CA_SERVER_KEY);
	ctx = tls_server_ctx(crt, key, NULL, 0, err, sizeof(err));
	assert_non_null(ctx);
	assert_int_equal(fetch(ctx, fp_a, &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sent no CA certificate"));

	/* a malformed pin: refused before connecting */
	assert_int_equal(tls_fetch_pinned_ca("127.0.0.1", "1", "SHA256:abc", &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hex digits"));

	/* nobody listening: a port bound, never listened on */
	{
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
		snprintf(sv.port, sizeof(sv.port), "%u", ntohs(a.sin_port));
		assert_int_equal(tls_fetch_pinned_ca("127.0.0.1", sv.port, fp_a, &pem, err,
						     sizeof(err)), -1);
		assert_non_null(strstr(err, "cannot connect to 127.0.0.1 port"));
		close(fd);
	}
	assert_null(pem);
	assert_int_equal(ERR_peek_error(), 0);
}

/* ---- set-up ---- */

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char err[512];

	(void)state;
	signal(SIGPIPE, SIG_IGN);   /* as the daemons do: a peer gone is an error, not a signal */
	snprintf(g.root, sizeof(g.root), "%s/test_ca.XXXXXX", t != NULL && t[0] ? t : "/tmp");
	if (mkdtemp(g.root) == NULL)
		return -1;
	snprintf(g.a, sizeof(g.a), "%s/console-a", g.root);
	snprintf(g.b, sizeof(g.b), "%s/console-b", g.root);
	if (ca_init_dir(g.a, names, N_NAMES, err, sizeof(err)) < 0 ||
	    ca_init_dir(g.b, names, 1, err, sizeof(err)) < 0 ||
	    ca_load(g.a, &g.ca_a, err, sizeof(err)) < 0 ||
	    ca_load(g.b, &g.ca_b, err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ca_free(g.ca_a);
	ca_free(g.ca_b);
	return testfs_rm_tree(g.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_creates_four_files_with_private_keys_0600),
		cmocka_unit_test(test_init_again_refuses_and_changes_nothing),
		cmocka_unit_test(test_init_with_one_file_present_fails_and_leaves_no_new_files),
		cmocka_unit_test(test_init_refuses_bad_names_and_creates_nothing),
		cmocka_unit_test(test_ca_cert_is_a_pathlen0_ca_unique_per_console),
		cmocka_unit_test(test_server_cert_verifies_and_carries_the_names_given),
		cmocka_unit_test(test_load_refuses_missing_readable_mismatched),
		cmocka_unit_test(test_sign_ec_csr_binds_the_id_the_console_chose),
		cmocka_unit_test(test_sign_rsa2048_csr),
		cmocka_unit_test(test_sign_serials_are_random),
		cmocka_unit_test(test_sign_refuses_weak_and_other_keys),
		cmocka_unit_test(test_sign_refuses_a_broken_signature),
		cmocka_unit_test(test_sign_refuses_anything_but_exactly_one_pem_csr),
		cmocka_unit_test(test_sign_refuses_bad_id_kind_days),
		cmocka_unit_test(test_fingerprint_format_and_pin_forms),
		cmocka_unit_test(test_last_error_is_one_line_and_empties_the_queue),
		cmocka_unit_test(test_tls_ctx_errors_name_the_file),
		cmocka_unit_test(test_tls_mtls_handshake_gives_the_sensor_identity),
		cmocka_unit_test(test_tls_no_client_cert_is_refused),
		cmocka_unit_test(test_tls_cert_from_another_ca_is_refused),
		cmocka_unit_test(test_tls_revoked_sensor_is_refused_at_the_handshake),
		cmocka_unit_test(test_tls_peer_check_needs_a_client_ca),
		cmocka_unit_test(test_tls12_client_is_refused_by_the_tls13_only_port),
		cmocka_unit_test(test_tls_https_port_sends_the_ca),
		cmocka_unit_test(test_fetch_pinned_ca_right_pin),
		cmocka_unit_test(test_fetch_pinned_ca_wrong_pins_are_refused),
	};

	return cmocka_run_group_tests_name("ca", tests, setup, teardown);
}
