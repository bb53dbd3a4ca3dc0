/*
 * fuzz_csr.c - libFuzzer target: arbitrary bytes as the CSR an enrolling
 * sensor sends to the console (console/ca.c, ca_sign_csr()), the first
 * thing the console parses from a host that has no identity yet.
 *
 * Checks that ca_sign_csr() neither crashes nor leaks, that a refusal always
 * says why and returns no certificate, and that whatever it accepts became a
 * certificate that verifies against the CA as a TLS client only, says
 * exactly the id and kind the console chose (nothing from the CSR), is no
 * CA, has the serial it returned, and came from input within the size
 * bound without NUL bytes. The OpenSSL error queue is empty after every
 * call.
 *
 * Mutated base64 seldom decodes to anything, so an input that starts like
 * DER (0x30, a SEQUENCE) is wrapped in a PEM block first: those inputs reach
 * the ASN.1 parser, the key checks and the signature check; the others test
 * the PEM framing. The CA is made once in LLVMFuzzerInitialize, in a
 * directory under /tmp removed at exit. Random bytes seldom become a CSR
 * whose signature holds, so the first directory on the command line (the
 * corpus) is seeded with good EC and RSA CSRs, PEM and DER, when it does
 * not have them yet.
 *
 * Built and run by tests/fuzz/run.sh, or by hand from the top of the tree:
 *   clang-14 -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *       -Ilib -Iconsole -o fuzz_csr tests/fuzz/fuzz_csr.c console/ca.c lib/tls.c lib/fdio.c lib/hex.c \
 *       $(pkg-config --cflags --libs openssl)
 *   mkdir -p corpus && ./fuzz_csr -max_total_time=120 -max_len=20000 corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "tls.h"

static struct {
	char dir[64];
	struct ca *ca;
	X509_STORE *store;
} fz;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void cleanup(void)
{
	static const char *const files[] = { CA_KEY_FILE, CA_CERT_FILE, CA_SERVER_KEY, CA_SERVER_CERT };
	char p[128];
	size_t i;

	ca_free(fz.ca);
	X509_STORE_free(fz.store);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fz.dir, files[i]);
		unlink(p);
	}
	rmdir(fz.dir);
}

/* Write n bytes as dir/name, unless it exists. */
static void write_file(const char *dir, const char *name, const void *data, size_t n)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (access(p, F_OK) == 0)
		return;
	f = fopen(p, "wb");
	if (f != NULL) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
}

/* Good CSRs with a key of type ("EC" or "RSA"), PEM and DER, in dir. */
static void write_seeds(const char *dir, const char *type)
{
	EVP_PKEY *k = strcmp(type, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
					      : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char name[32], *pem;
	long len;
	int derlen;

	check(k && r && n && b);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"pc-12", -1, -1, 0);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, k);
	check(X509_REQ_sign(r, k, EVP_sha256()) > 0);
	check(PEM_write_bio_X509_REQ(b, r));
	len = BIO_get_mem_data(b, &pem);
	snprintf(name, sizeof(name), "seed-%s.pem", type);
	write_file(dir, name, pem, (size_t)len);
	derlen = i2d_X509_REQ(r, &der);
	check(derlen > 0);
	snprintf(name, sizeof(name), "seed-%s.der", type);
	write_file(dir, name, der, (size_t)derlen);
	OPENSSL_free(der);
	BIO_free(b);
	X509_NAME_free(n);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
}

/* The corpus directory: the first argument that is not a flag, if a directory. */
static const char *corpus_dir(int argc, char **argv)
{
	struct stat st;
	int i;

	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? argv[i] : NULL;
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *const names[] = { "console.kavala.example" };
	const char *seeds = corpus_dir(*argc, *argv);
	char err[512];
	X509 *ca_cert;
	BIO *b;

	snprintf(fz.dir, sizeof(fz.dir), "/tmp/fuzz_csr.XXXXXX");
	check(mkdtemp(fz.dir) != NULL);
	rmdir(fz.dir);   /* ca_init_dir() makes it, 0700 */
	if (ca_init_dir(fz.dir, names, 1, err, sizeof(err)) < 0 ||
	    ca_load(fz.dir, &fz.ca, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_csr: %s\n", err);
		abort();
	}
	atexit(cleanup);
	b = BIO_new_mem_buf(ca_cert_pem(fz.ca), -1);
	ca_cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	fz.store = X509_STORE_new();
	check(ca_cert && fz.store && X509_STORE_add_cert(fz.store, ca_cert));
	X509_free(ca_cert);
	if (seeds != NULL) {
		write_seeds(seeds, "EC");
		write_seeds(seeds, "RSA");
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], serial[CA_SERIAL_HEX], s2[TLS_SERIAL_HEX], cn[80], ou[16];
	char *pem = (char *)1, *in = (char *)data, *wrapped = NULL;
	size_t inlen = size;
	X509_STORE_CTX *xs;
	X509 *x;
	BIO *b;
	int rc;

	if (size > 0 && data[0] == 0x30 && size <= CA_MAX_CSR) {
		long n;

		b = BIO_new(BIO_s_mem());
		check(b && PEM_write_bio(b, PEM_STRING_X509_REQ, "", data, (long)size) > 0);
		n = BIO_get_mem_data(b, &in);
		wrapped = malloc((size_t)n);
		check(wrapped != NULL);
		memcpy(wrapped, in, (size_t)n);
		BIO_free(b);
		in = wrapped;
		inlen = (size_t)n;
	}
	err[0] = '\0';
	rc = ca_sign_csr(fz.ca, in, inlen, "s-fuzz", "agent", 7, &pem, serial,
			 sizeof(serial), err, sizeof(err));
	check(ERR_peek_error() == 0);   /* the queue is left empty either way */
	if (rc < 0) {
		check(err[0] != '\0' && pem == NULL);
		free(wrapped);
		return 0;
	}
	check(rc == 0 && pem != NULL);
	check(inlen > 0 && inlen <= CA_MAX_CSR && memchr(in, '\0', inlen) == NULL);
	free(wrapped);

	b = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	check(x != NULL);
	xs = X509_STORE_CTX_new();
	check(xs && X509_STORE_CTX_init(xs, fz.store, x, NULL) &&
	      X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT));
	check(X509_verify_cert(xs) == 1);
	X509_STORE_CTX_free(xs);
	check(X509_NAME_entry_count(X509_get_subject_name(x)) == 2);
	check(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
	check(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationalUnitName,
					ou, sizeof(ou)) > 0);
	check(strcmp(cn, "s-fuzz") == 0 && strcmp(ou, "agent") == 0);
	check(X509_check_ca(x) == 0 && X509_get_extended_key_usage(x) == XKU_SSL_CLIENT);
	check(tls_serial_hex(x, s2, sizeof(s2)) == 0 && strcmp(serial, s2) == 0);
	X509_free(x);
	free(pem);
	ERR_clear_error();
	return 0;
}
