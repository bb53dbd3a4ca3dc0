/*
 * sensorenroll.c - see sensorenroll.h.
 */
#include "sensorenroll.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

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

int sensorenroll_split_hostport(const char *s, const char *default_port, char *host, size_t hostlen,
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
static int post_enroll(const struct sensorenroll *r, const char *host, const char *port,
		       const char *ca_file, const char *body, json_t **answer, char *err,
		       size_t errlen)
{
	struct buf b = { NULL, 0, 0 };
	struct curl_slist *h = NULL;
	char url[512], ua[64];
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
	/* The pinned CA issues serverAuth to the console only (see sensorlink.c). */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ENROLL_TIMEOUT_MS);
	snprintf(ua, sizeof(ua), "%s/%s", r->program, KASTRO_VERSION);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_PROXY, r->proxy ? r->proxy : "");
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

/*
 * Through an HTTP proxy (CONNECT) the raw handshake of tls_fetch_pinned_ca()
 * cannot be made, so libcurl fetches the chain the console sends, trusting
 * nothing yet, and the CA is the self-signed CA certificate in it whose
 * fingerprint matches pin. The enrolment request that follows verifies the
 * console against that CA.
 */
static int fetch_ca_proxy(const char *host, const char *port, const char *proxy, const char *pin,
			  char **ca_pem, char *err, size_t errlen)
{
	struct curl_certinfo *ci = NULL;
	char url[512], offered[TLS_FP_LEN] = "";
	CURLcode rc;
	CURL *c = curl_easy_init();

	*ca_pem = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s/" : "https://%s:%s/",
		 host, port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_PROXY, proxy);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);  /* the pin decides, below */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TLS_FETCH_TIMEOUT_MS);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s:%s via %s: %s", host, port, proxy, curl_easy_strerror(rc));
		curl_easy_cleanup(c);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci);
	for (int i = 0; ci && i < ci->num_of_certs && !*ca_pem; i++) {
		for (struct curl_slist *sl = ci->certinfo[i]; sl && !*ca_pem; sl = sl->next) {
			char fp[TLS_FP_LEN];
			BIO *b;
			X509 *x;

			if (strncmp(sl->data, "Cert:", 5) != 0)
				continue;
			b = BIO_new_mem_buf(sl->data + 5, -1);
			x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
			BIO_free(b);
			if (x && X509_check_ca(x) > 0 &&
			    (X509_get_extension_flags(x) & EXFLAG_SS) &&
			    tls_cert_fingerprint(x, fp, sizeof(fp)) == 0) {
				if (tls_pin_matches(pin, fp))
					*ca_pem = strdup(sl->data + 5);
				else
					snprintf(offered, sizeof(offered), "%s", fp);
			}
			X509_free(x);
		}
	}
	curl_easy_cleanup(c);
	if (!*ca_pem) {
		snprintf(err, errlen, "%s:%s via %s: the console's CA does not match the "
			 "fingerprint given (it offered %s)", host, port, proxy,
			 offered[0] ? offered : "no CA certificate");
		return -1;
	}
	return 0;
}

static const char *const files[] = { "ca.pem", "key.pem", "cert.pem", "sensor_id" };
#define NFILES (sizeof(files) / sizeof(files[0]))

int sensorenroll_run(const struct sensorenroll *r, char *sid_out, size_t sidlen, char *err,
		     size_t errlen)
{
	const char *dir = r->dir;
	char host[256], port[8], pin[TLS_FP_LEN], path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	char hostname[256], facts_ver[96], *ca_pem = NULL, *key_pem = NULL, *csr_pem = NULL;
	char *body = NULL;
	const char *sid, *cert;
	json_t *ans = NULL, *req = NULL;
	struct utsname un;
	struct stat st;
	int rc = -1;
	size_t i;

	if (sensorenroll_split_hostport(r->console, "8443", host, sizeof(host), port,
					sizeof(port)) < 0) {
		snprintf(err, errlen, "--console %s: expected HOST or HOST:PORT", r->console);
		return -1;
	}
	if (tls_pin_normalize(r->fingerprint, pin, sizeof(pin), err, errlen) < 0)
		return -1;
	if (strlen(dir) >= PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/sensor_id", dir);
	if (!r->force && stat(path, &st) == 0) {
		snprintf(err, errlen, "%s already holds an enrolment; give --force to replace it "
			 "(the console keeps the old sensor until it is revoked)", dir);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chmod(dir, 0700) < 0 || (r->owner_set && chown(dir, r->uid, r->gid) < 0)) {
		snprintf(err, errlen, "cannot make %s private to its owner: %s", dir, strerror(errno));
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (r->proxy) {
		if (fetch_ca_proxy(host, port, r->proxy, pin, &ca_pem, err, errlen) < 0)
			goto out;
	} else if (tls_fetch_pinned_ca(host, port, pin, &ca_pem, err, errlen) < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s:%s: %s", host, port, why);
		goto out;
	}
	if (gethostname(hostname, sizeof(hostname)) < 0 || hostname[0] == '\0')
		snprintf(hostname, sizeof(hostname), "%s", r->program);
	hostname[sizeof(hostname) - 1] = '\0';
	if (make_key_csr(hostname, &key_pem, &csr_pem, err, errlen) < 0)
		goto out;
	/* Every file goes in as NAME.new first; renamed only once all are written. */
	snprintf(tmp, sizeof(tmp), "%s/ca.pem.new", dir);
	if (write_file(tmp, ca_pem, strlen(ca_pem), err, errlen) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/key.pem.new", dir);
	if (write_file(tmp, key_pem, strlen(key_pem), err, errlen) < 0)
		goto out;
	if (uname(&un) < 0)
		memset(&un, 0, sizeof(un));
	snprintf(facts_ver, sizeof(facts_ver), "%s %s", r->program, KASTRO_VERSION);
	req = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "token", r->token, "csr", csr_pem,
			"hostname", hostname, "facts", "os", un.sysname, "os_release", un.release,
			"arch", un.machine, "agent_version", facts_ver);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (!body) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/ca.pem.new", dir);
	if (post_enroll(r, host, port, tmp, body, &ans, err, errlen) < 0)
		goto out;
	sid = json_string_value(json_object_get(ans, "sensor_id"));
	cert = json_string_value(json_object_get(ans, "certificate"));
	if (!sid || !cert || strlen(sid) > 60 || strspn(sid, "s-0123456789abcdef") != strlen(sid) ||
	    strstr(cert, "-----BEGIN CERTIFICATE-----") == NULL) {
		snprintf(err, errlen, "the console's answer has no valid sensor_id and certificate");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/cert.pem.new", dir);
	if (write_file(tmp, cert, strlen(cert), err, errlen) < 0)
		goto out;
	{
		char line[80];

		snprintf(line, sizeof(line), "%s\n", sid);
		snprintf(tmp, sizeof(tmp), "%s/sensor_id.new", dir);
		if (write_file(tmp, line, strlen(line), err, errlen) < 0)
			goto out;
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, files[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((r->owner_set && chown(tmp, r->uid, r->gid) < 0) || rename(tmp, path) < 0) {
			snprintf(err, errlen, "cannot put %s in place: %s", path, strerror(errno));
			goto out;
		}
	}
	snprintf(sid_out, sidlen, "%s", sid);
	rc = 0;
out:
	if (rc != 0) {
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
