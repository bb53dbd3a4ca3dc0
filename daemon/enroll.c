/*
 * enroll.c - see enroll.h. Runs once, by hand, as root; it talks to the
 * console before the gateway trusts it, so the console's CA is pinned by
 * fingerprint before anything is sent, and every later request verifies
 * the console against that CA only.
 */
#include "enroll.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "conf.h"
#include "num.h"
#include "tls.h"
#include "version.h"

#define ENROLL_TIMEOUT_MS 30000L
#define ENROLL_ANSWER_MAX (256u << 10)

struct buf {
	char *p;
	size_t len;
	int over;
};

int enroll_split_hostport(const char *s, const char *default_port, char *host, size_t hostlen,
			  char *port, size_t portlen)
{
	const char *h = s, *colon, *p = default_port;
	size_t hl;
	uint64_t v;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || (e[1] != '\0' && e[1] != ':'))
			return -1;
		h = s + 1;
		hl = (size_t)(e - h);
		if (e[1] == ':')
			p = e + 2;
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		hl = (size_t)(colon - s);
		p = colon + 1;
	} else {
		hl = strlen(s);         /* a name, or a bare IPv6 address */
	}
	if (hl == 0 || hl >= hostlen || num_parse_u64(p, 1, 65535, &v) < 0 ||
	    strlen(p) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, strlen(p) + 1);
	return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;

	if (b->len + len > ENROLL_ANSWER_MAX) {
		b->over = 1;
		return 0;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return len;
}

/* Write len bytes of data to path, mode 0600, created new. */
static int write_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	int fd;
	ssize_t w;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, data, len);
	if (w != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, w < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A P-256 key and a CSR for it (CN = hostname), both as PEM strings to free(). */
static int make_key_csr(const char *hostname, char **key_pem, char **csr_pem, char *err,
			size_t errlen)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -1;

	*key_pem = *csr_pem = NULL;
	if (!k || !req || !nm || !kb || !cb ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)hostname,
					-1, -1, 0) ||
	    !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, nm) ||
	    !X509_REQ_set_pubkey(req, k) || X509_REQ_sign(req, k, EVP_sha256()) <= 0 ||
	    !PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509_REQ(cb, req)) {
		tls_fail_ossl(err, errlen, "cannot make the key and the certificate request");
		goto out;
	}
	n = BIO_get_mem_data(kb, &p);
	*key_pem = strndup(p, (size_t)n);
	n = BIO_get_mem_data(cb, &p);
	*csr_pem = strndup(p, (size_t)n);
	if (!*key_pem || !*csr_pem) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*key_pem);
		free(*csr_pem);
		*key_pem = *csr_pem = NULL;
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return rc;
}

/* POST the enrolment; *answer (to json_decref) on a 200. */
static int post_enroll(const char *host, const char *port, const char *ca_file, const char *body,
		       json_t **answer, char *err, size_t errlen)
{
	struct buf b = { NULL, 0, 0 };
	struct curl_slist *h = NULL;
	char url[512];
	long code = 0;
	CURLcode rc;
	CURL *c;
	json_error_t je;

	*answer = NULL;
	snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s/sensor/v1/enroll" :
		 "https://%s:%s/sensor/v1/enroll", host, port);
	b.p = malloc(ENROLL_ANSWER_MAX + 1);
	c = curl_easy_init();
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (!b.p || !c || !h) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	/* The pinned CA issues serverAuth to the console only (see link.c). */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ENROLL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kastrod/" KASTRO_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "enrolment request to %s failed: %s", url,
			 b.over ? "answer too large" : curl_easy_strerror(rc));
		goto fail;
	}
	b.p[b.len] = '\0';
	if (code != 200) {
		snprintf(err, errlen, "the console refused the enrolment (HTTP %ld): %.300s", code, b.p);
		goto fail;
	}
	*answer = json_loadb(b.p, b.len, 0, &je);
	if (!*answer) {
		snprintf(err, errlen, "the console's answer is not JSON: %s", je.text);
		goto fail;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(b.p);
	return 0;
fail:
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	free(b.p);
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kastrod enroll --console HOST[:PORT] --token TOKEN --ca-fingerprint SHA256:...\n"
		"                      [--dir DIR] [--user USER] [--force]\n"
		"\n"
		"  --console HOST[:PORT]  the console's HTTPS port (default port 8443)\n"
		"  --token TOKEN          one-time token (kastroctl token create --kind gateway)\n"
		"  --ca-fingerprint FP    the console CA's fingerprint, as the token shows it\n"
		"  --dir DIR              where the enrolment is kept (default " CONF_LINK_DIR_DEFAULT ")\n"
		"  --user USER            the user kastrod's link runs as (default kastro, or nobody)\n"
		"  --force                replace an existing enrolment\n");
}

static const char *const files[] = { "ca.pem", "key.pem", "cert.pem", "sensor_id" };
#define NFILES (sizeof(files) / sizeof(files[0]))

int enroll_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "console", required_argument, NULL, 'c' },
		{ "token", required_argument, NULL, 't' },
		{ "ca-fingerprint", required_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *console = NULL, *token = NULL, *fp = NULL, *dir = CONF_LINK_DIR_DEFAULT;
	const char *user = "kastro";
	char host[256], port[8], pin[TLS_FP_LEN], err[PATH_MAX + 2048], path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	char hostname[256], *ca_pem = NULL, *key_pem = NULL, *csr_pem = NULL, *body = NULL;
	const char *sid, *cert;
	json_t *ans = NULL, *req = NULL;
	struct passwd *pw = NULL;
	struct utsname un;
	struct stat st;
	int force = 0, opt, rc = 1;
	size_t i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': console = optarg; break;
		case 't': token = optarg; break;
		case 'f': fp = optarg; break;
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		case 'F': force = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc || !console || !token || !fp) {
		usage(stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (enroll_split_hostport(console, "8443", host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, "kastrod enroll: --console %s: expected HOST or HOST:PORT\n", console);
		return 1;
	}
	if (tls_pin_normalize(fp, pin, sizeof(pin), err, sizeof(err)) < 0) {
		fprintf(stderr, "kastrod enroll: --ca-fingerprint: %s\n", err);
		return 1;
	}
	if (strlen(dir) >= PATH_MAX) {
		fprintf(stderr, "kastrod enroll: --dir: path too long\n");
		return 1;
	}
	if (geteuid() == 0) {
		pw = getpwnam(user);
		if (!pw && strcmp(user, "kastro") == 0)
			pw = getpwnam("nobody");
		if (!pw) {
			fprintf(stderr, "kastrod enroll: user '%s' does not exist\n", user);
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/sensor_id", dir);
	if (!force && stat(path, &st) == 0) {
		fprintf(stderr, "kastrod enroll: %s already holds an enrolment; give --force to "
			"replace it (the console keeps the old sensor until it is revoked)\n", dir);
		return 1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "kastrod enroll: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (chmod(dir, 0700) < 0 || (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0)) {
		fprintf(stderr, "kastrod enroll: cannot give %s to %s: %s\n", dir, user, strerror(errno));
		return 1;
	}

	if (tls_fetch_pinned_ca(host, port, pin, &ca_pem, err, sizeof(err)) < 0) {
		fprintf(stderr, "kastrod enroll: %s:%s: %s\n", host, port, err);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (gethostname(hostname, sizeof(hostname)) < 0 || hostname[0] == '\0')
		snprintf(hostname, sizeof(hostname), "kastrod");
	hostname[sizeof(hostname) - 1] = '\0';
	if (make_key_csr(hostname, &key_pem, &csr_pem, err, sizeof(err)) < 0)
		goto out;
	/* Every file goes in as NAME.new first; renamed only once all are written. */
	snprintf(tmp, sizeof(tmp), "%s/ca.pem.new", dir);
	if (write_file(tmp, ca_pem, strlen(ca_pem), err, sizeof(err)) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/key.pem.new", dir);
	if (write_file(tmp, key_pem, strlen(key_pem), err, sizeof(err)) < 0)
		goto out;
	if (uname(&un) < 0)
		memset(&un, 0, sizeof(un));
	req = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "token", token, "csr", csr_pem,
			"hostname", hostname, "facts", "os", un.sysname, "os_release", un.release,
			"arch", un.machine, "agent_version", "kastrod " KASTRO_VERSION);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (!body) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/ca.pem.new", dir);
	if (post_enroll(host, port, tmp, body, &ans, err, sizeof(err)) < 0)
		goto out;
	sid = json_string_value(json_object_get(ans, "sensor_id"));
	cert = json_string_value(json_object_get(ans, "certificate"));
	if (!sid || !cert || strlen(sid) > 60 || strspn(sid, "s-0123456789abcdef") != strlen(sid) ||
	    strstr(cert, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, sizeof(err), "the console's answer has no valid sensor_id and certificate");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/cert.pem.new", dir);
	if (write_file(tmp, cert, strlen(cert), err, sizeof(err)) < 0)
		goto out;
	{
		char line[80];

		snprintf(line, sizeof(line), "%s\n", sid);
		snprintf(tmp, sizeof(tmp), "%s/sensor_id.new", dir);
		if (write_file(tmp, line, strlen(line), err, sizeof(err)) < 0)
			goto out;
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, files[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((pw && chown(tmp, pw->pw_uid, pw->pw_gid) < 0) || rename(tmp, path) < 0) {
			snprintf(err, sizeof(err), "cannot put %s in place: %s", path, strerror(errno));
			goto out;
		}
	}
	printf("%s\n", sid);
	fprintf(stderr, "kastrod enroll: enrolled as sensor %s with %s:%s; enrolment in %s\n", sid,
		host, port, dir);
	rc = 0;
out:
	if (rc != 0) {
		fprintf(stderr, "kastrod enroll: %s\n", err);
		for (i = 0; i < NFILES; i++) {
			snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, files[i]);
			(void)unlink(tmp);
		}
	}
	json_decref(ans);
	json_decref(req);
	free(body);
	free(ca_pem);
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(csr_pem);
	curl_global_cleanup();
	return rc;
}
