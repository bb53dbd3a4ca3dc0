/*
 * send.c - hook senders (send.h): syslog over TCP, TLS (OpenSSL) and UDP
 * by hand, because no Debian library speaks RFC 6587/5425 as a client;
 * RELP by hand too: librelp's client queues messages and resends them
 * itself, but never tells its caller which one the server acknowledged,
 * and a delivery here is done only on that acknowledgement ("rsp 200");
 * email and webhooks with libcurl.
 *
 * Blocking I/O in the calling thread (a hook's delivery worker or a test),
 * with every wait bounded by the attempt's deadline: connect() is
 * non-blocking and polled, then the socket gets SO_SNDTIMEO/SO_RCVTIMEO.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "send.h"

#define SECRET_MAX 4096
#define BATCH_BYTES (FMT_OUT_MAX + 64 + 256 * 1024)  /* send_queue(): what one write takes */

struct sender {
	struct hook_def h;
	int fd;                 /* syslog: the connection, -1: none */
	SSL_CTX *ctx;           /* tls:// */
	SSL *ssl;
	char *buf;              /* FMT_OUT_MAX bytes for the message */
	char *wbuf;             /* FMT_OUT_MAX + 64: the message framed, for one write */
	CURL *curl;             /* webhook: kept, so its connection is reused */
	char *bbuf;             /* send_queue(): framed messages for one write, BATCH_BYTES */
	size_t blen;
	uint32_t txnr;          /* RELP: last transaction number; 0: session not open */
	char rbuf[4096];        /* RELP: bytes read, not yet parsed */
	size_t rlen;
};

const char *send_result_name(enum send_result r)
{
	switch (r) {
	case SEND_OK: return "accepted";
	case SEND_RETRY: return "not reached";
	case SEND_REFUSED: return "refused";
	case SEND_ERROR: return "error";
	}
	return "?";
}

int send_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct sender *send_new(const struct hook_def *h)
{
	struct sender *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->h = *h;
	s->fd = -1;
	s->buf = malloc(FMT_OUT_MAX);
	s->wbuf = malloc(FMT_OUT_MAX + 64);
	if (s->buf == NULL || s->wbuf == NULL) {
		free(s->buf);
		free(s->wbuf);
		free(s);
		return NULL;
	}
	return s;
}

static void disconnect(struct sender *s)
{
	s->txnr = 0;
	s->rlen = 0;
	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void send_free(struct sender *s)
{
	if (s == NULL)
		return;
	disconnect(s);
	if (s->ctx != NULL)
		SSL_CTX_free(s->ctx);
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->buf);
	free(s->wbuf);
	free(s->bbuf);
	free(s);
}

/* ---- secrets ----------------------------------------------------------------- */

/*
 * The file at path into buf (at most cap - 1 bytes, NUL-terminated, one
 * trailing newline dropped). Refused when group or others may read it: a
 * secret is the console user's alone.
 */
static int read_secret(const char *path, char *buf, size_t cap, size_t *len, char *why,
		       size_t whylen)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0) {
		snprintf(why, whylen, "cannot read the secret file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "the secret file %s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(why, whylen, "the secret file %s may be read by others (mode %03o), "
			 "expected mode 0600 or 0400", path, (unsigned)(sb.st_mode & 0777));
		close(fd);
		return -1;
	}
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0 || (size_t)n >= cap - 1) {
		snprintf(why, whylen, "the secret file %s is unreadable or larger than %zu bytes",
			 path, cap - 2);
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = (size_t)n;
	if (n == 0) {
		snprintf(why, whylen, "the secret file %s is empty", path);
		return -1;
	}
	return 0;
}

/* ---- syslog ------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum send_result tcp_connect(struct sender *s, int socktype, int64_t deadline,
				    char *ans, size_t anslen)
{
	struct addrinfo hints = { .ai_socktype = socktype }, *res = NULL, *ai;
	char port[8];
	int rc, fd = -1, err = 0;

	snprintf(port, sizeof(port), "%u", s->h.port);
	rc = getaddrinfo(s->h.host, port, &hints, &res);
	if (rc != 0) {
		snprintf(ans, anslen, "cannot resolve %s: %s", s->h.host, gai_strerror(rc));
		return SEND_RETRY;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(err);
		int64_t left = deadline - now_ms();

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			err = ETIMEDOUT;
			close(fd);
			fd = -1;
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err != 0) {
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(ans, anslen, "cannot connect to %s port %u: %s", s->h.host, s->h.port,
			 strerror(err));
		return SEND_RETRY;
	}
	/* blocking from here, each call bounded by the attempt's time; one
	   message per write, so no Nagle wait for the receiver's ACK */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (socktype == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	s->fd = fd;
	return SEND_OK;
}

static void set_timeouts(int fd, int64_t deadline)
{
	int64_t left = deadline - now_ms();
	struct timeval tv;

	if (left < 1)
		left = 1;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void ssl_why(char *ans, size_t anslen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(ans, anslen, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static enum send_result tls_start(struct sender *s, char *ans, size_t anslen)
{
	unsigned char ip[16];
	long vr;

	if (s->ctx == NULL) {
		s->ctx = SSL_CTX_new(TLS_client_method());
		if (s->ctx == NULL)
			return SEND_ERROR;
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
		if ((s->h.ca[0] ? SSL_CTX_load_verify_locations(s->ctx, s->h.ca, NULL)
				: SSL_CTX_set_default_verify_paths(s->ctx)) != 1) {
			ssl_why(ans, anslen, "cannot load the CA file");
			SSL_CTX_free(s->ctx);
			s->ctx = NULL;
			return SEND_ERROR;
		}
		if (s->h.cert[0] &&
		    (SSL_CTX_use_certificate_chain_file(s->ctx, s->h.cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(s->ctx, s->h.key, SSL_FILETYPE_PEM) != 1)) {
			ssl_why(ans, anslen, "cannot load the client certificate or key");
			SSL_CTX_free(s->ctx);
			s->ctx = NULL;
			return SEND_ERROR;
		}
	}
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
		return SEND_ERROR;
	/* an address is checked against the certificate's IP names, a name
	   against its DNS names (and sent as SNI) */
	if (inet_pton(AF_INET, s->h.host, ip) == 1 || inet_pton(AF_INET6, s->h.host, ip) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->h.host) != 1)
			return SEND_ERROR;
	} else if (SSL_set_tlsext_host_name(s->ssl, s->h.host) != 1 ||
		   SSL_set1_host(s->ssl, s->h.host) != 1) {
		return SEND_ERROR;
	}
	if (SSL_connect(s->ssl) != 1) {
		vr = SSL_get_verify_result(s->ssl);
		if (vr != X509_V_OK) {
			snprintf(ans, anslen, "the server's certificate was refused: %s",
				 X509_verify_cert_error_string(vr));
			ERR_clear_error();
			return SEND_REFUSED;
		}
		ssl_why(ans, anslen, "TLS handshake failed");
		return SEND_RETRY;
	}
	return SEND_OK;
}

/* A syslog stream (tcp://, tls://) connected, and its timeouts set for deadline. */
static enum send_result stream_ready(struct sender *s, int64_t deadline, char *ans, size_t anslen)
{
	enum send_result r;

	/* a connection the peer closed shows as readable: start again */
	if (s->fd >= 0) {
		struct pollfd pfd = { s->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 0) > 0)
			disconnect(s);
	}
	if (s->fd < 0) {
		r = tcp_connect(s, SOCK_STREAM, deadline, ans, anslen);
		if (r != SEND_OK)
			return r;
		set_timeouts(s->fd, deadline);
		if ((s->h.transport == HOOK_T_TLS || s->h.transport == HOOK_T_RELPS) &&
		    (r = tls_start(s, ans, anslen)) != SEND_OK) {
			disconnect(s);
			return r;
		}
	}
	set_timeouts(s->fd, deadline);
	return SEND_OK;
}

static enum send_result syslog_send(struct sender *s, const char *msg, size_t len,
				    int64_t deadline, char *ans, size_t anslen)
{
	enum send_result r;
	char head[24];
	int hl;

	if (s->h.transport == HOOK_T_UDP) {
		if (s->fd < 0 && (r = tcp_connect(s, SOCK_DGRAM, deadline, ans, anslen)) != SEND_OK)
			return r;
		if (send(s->fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
			snprintf(ans, anslen, "UDP send failed: %s", strerror(errno));
			disconnect(s);
			return SEND_RETRY;
		}
		snprintf(ans, anslen, "sent over UDP (no acknowledgement: it may be lost)");
		return SEND_OK;
	}
	if ((r = stream_ready(s, deadline, ans, anslen)) != SEND_OK)
		return r;
	/* RFC 6587 octet counting: "LEN SP MSG", in one write */
	hl = snprintf(head, sizeof(head), "%zu ", len);
	memcpy(s->wbuf, head, (size_t)hl);
	memcpy(s->wbuf + hl, msg, len);
	{
		const char *p = s->wbuf;
		size_t n = (size_t)hl + len;

		while (n > 0) {
			ssize_t w;

			if (s->ssl != NULL) {
				int k = SSL_write(s->ssl, p, (int)n);

				w = k > 0 ? k : -1;
			} else {
				w = send(s->fd, p, n, MSG_NOSIGNAL);
			}
			if (w <= 0) {
				if (s->ssl != NULL)
					ssl_why(ans, anslen, "TLS write failed");
				else
					snprintf(ans, anslen, "write failed: %s", strerror(errno));
				disconnect(s);
				return SEND_RETRY;
			}
			p += w;
			n -= (size_t)w;
		}
	}
	snprintf(ans, anslen, "written to %s port %u (%s)", s->h.host, s->h.port,
		 s->ssl != NULL ? "TLS" : "TCP");
	return SEND_OK;
}

/* ---- RELP ------------------------------------------------------------------------------ */

/* n bytes at p to s's connection, inside its TLS when it has one. */
static int write_all(struct sender *s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;

		if (s->ssl != NULL) {
			int k = SSL_write(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);

			w = k > 0 ? k : -1;
		} else {
			w = send(s->fd, p, n, MSG_NOSIGNAL);
		}

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read one frame "TXNR SP COMMAND SP DATALEN [SP DATA] LF"; the start of
 * DATA (a response: "200 OK") into data. 0, or -1 with the reason in ans.
 */
static int relp_frame(struct sender *s, uint32_t *txnr, char *cmd, size_t cmdlen, char *data,
		      size_t datalen, char *ans, size_t anslen)
{
	for (;;) {
		char *lf, *sp1, *sp2, *end;
		unsigned long tx, dl;
		size_t hdr, need;

		/* the header ends at the third space, or at LF when DATALEN is 0 */
		sp1 = memchr(s->rbuf, ' ', s->rlen);
		sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', s->rlen - (size_t)(sp1 + 1 - s->rbuf)) : NULL;
		if (sp2 != NULL) {
			tx = strtoul(s->rbuf, &end, 10);
			if (end != sp1 || (size_t)(sp2 - sp1 - 1) >= cmdlen) {
				snprintf(ans, anslen, "RELP: malformed frame from the server");
				return -1;
			}
			dl = strtoul(sp2 + 1, &end, 10);
			if (end == sp2 + 1 || dl > sizeof(s->rbuf) - 64) {
				if (end == s->rbuf + s->rlen)
					goto more;
				snprintf(ans, anslen, "RELP: malformed or too long frame from the server");
				return -1;
			}
			if (end < s->rbuf + s->rlen) {
				hdr = (size_t)(end - s->rbuf) + (dl > 0 ? 1 : 0);
				need = hdr + dl + 1;
				if (s->rlen >= need) {
					lf = s->rbuf + need - 1;
					if (*lf != '\n') {
						snprintf(ans, anslen, "RELP: frame without its LF");
						return -1;
					}
					*txnr = (uint32_t)tx;
					memcpy(cmd, sp1 + 1, (size_t)(sp2 - sp1 - 1));
					cmd[sp2 - sp1 - 1] = '\0';
					snprintf(data, datalen, "%.*s", (int)dl, s->rbuf + hdr);
					memmove(s->rbuf, s->rbuf + need, s->rlen - need);
					s->rlen -= need;
					return 0;
				}
			}
		}
more:
		if (s->rlen == sizeof(s->rbuf)) {
			snprintf(ans, anslen, "RELP: frame too long");
			return -1;
		}
		ssize_t r;

		if (s->ssl != NULL)
			r = SSL_read(s->ssl, s->rbuf + s->rlen, (int)(sizeof(s->rbuf) - s->rlen));
		else
			r = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);
		if (r <= 0) {
			if (s->ssl != NULL && r < 0) {
				ssl_why(ans, anslen, "RELP: TLS read failed");
				return -1;
			}
			snprintf(ans, anslen, "RELP: %s", r == 0 ? "the server closed the session" :
				 strerror(errno));
			return -1;
		}
		s->rlen += (size_t)r;
	}
}

/* Send command cmd with data and wait for its "rsp"; 1: 200, 0: refused (ans), -1: broken. */
static int relp_call(struct sender *s, const char *cmd, const char *data, size_t dlen,
		     char *ans, size_t anslen)
{
	char head[64], rcmd[32], rdata[256];
	uint32_t tx, want;
	int hl;

	want = s->txnr >= 999999999u ? 1 : s->txnr + 1;
	s->txnr = want;
	hl = snprintf(head, sizeof(head), "%u %s %zu%s", want, cmd, dlen, dlen > 0 ? " " : "");
	/* the frame in one write (no Nagle wait) */
	memcpy(s->wbuf, head, (size_t)hl);
	memcpy(s->wbuf + hl, data, dlen);
	s->wbuf[(size_t)hl + dlen] = '\n';
	if (write_all(s, s->wbuf, (size_t)hl + dlen + 1) < 0) {
		if (s->ssl != NULL)
			ssl_why(ans, anslen, "RELP: TLS write failed");
		else
			snprintf(ans, anslen, "RELP: write failed: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (relp_frame(s, &tx, rcmd, sizeof(rcmd), rdata, sizeof(rdata), ans, anslen) < 0)
			return -1;
		if (strcmp(rcmd, "serverclose") == 0) {
			snprintf(ans, anslen, "RELP: the server closed the session");
			return -1;
		}
		if (strcmp(rcmd, "rsp") != 0 || tx != want)
			continue;
		for (char *p = rdata; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		snprintf(ans, anslen, "RELP rsp %.200s", rdata);
		return strncmp(rdata, "200", 3) == 0 ? 1 : 0;
	}
}

static enum send_result relp_send(struct sender *s, const char *msg, size_t len,
				  int64_t deadline, char *ans, size_t anslen)
{
	static const char offers[] = "relp_version=0\nrelp_software=kastro-console\ncommands=syslog";
	enum send_result r;
	int k;

	if (s->fd < 0) {
		r = tcp_connect(s, SOCK_STREAM, deadline, ans, anslen);
		if (r != SEND_OK)
			return r;
		set_timeouts(s->fd, deadline);
		/* relps://: the RELP session inside TLS from the first byte, as
		   rsyslog's imrelp with tls="on" expects */
		if (s->h.transport == HOOK_T_RELPS && (r = tls_start(s, ans, anslen)) != SEND_OK) {
			disconnect(s);
			return r;
		}
		s->txnr = 0;
		s->rlen = 0;
		k = relp_call(s, "open", offers, sizeof(offers) - 1, ans, anslen);
		if (k <= 0) {
			disconnect(s);
			return k == 0 ? SEND_REFUSED : SEND_RETRY;
		}
	}
	set_timeouts(s->fd, deadline);
	k = relp_call(s, "syslog", msg, len, ans, anslen);
	if (k < 0) {
		disconnect(s);
		return SEND_RETRY;
	}
	return k == 1 ? SEND_OK : SEND_REFUSED;
}

/* ---- libcurl: email and webhooks ------------------------------------------------- */

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

struct answer_buf {
	char b[512];
	size_t len;
};

/* Keep the start of the receiver's answer (the body of an HTTP response). */
static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct answer_buf *a = arg;
	size_t k = size * n;

	if (a->len + 1 < sizeof(a->b)) {
		size_t c = k < sizeof(a->b) - 1 - a->len ? k : sizeof(a->b) - 1 - a->len;

		memcpy(a->b + a->len, p, c);
		a->len += c;
		a->b[a->len] = '\0';
	}
	return k;
}

/* One line of printable text from the receiver's answer. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void curl_common(CURL *c, const struct hook_def *h, unsigned timeout_s, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps,http,https");
	if (h->ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
	if (h->cert[0]) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
	}
	/* the environment's proxy settings are not the hook's */
	curl_easy_setopt(c, CURLOPT_PROXY, h->proxy);
}

/* What a libcurl failure means for a delivery. */
static enum send_result curl_class(CURLcode rc, long code, bool smtp)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_REMOTE_ACCESS_DENIED:
		return SEND_REFUSED;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_SSL_CERTPROBLEM:
		return SEND_ERROR;
	default:
		break;
	}
	if (smtp && code >= 500 && code < 600)
		return SEND_REFUSED;
	return SEND_RETRY;
}

static enum send_result email_send(struct sender *s, const char *mail, size_t len,
				   unsigned timeout_s, char *ans, size_t anslen)
{
	char errbuf[CURL_ERROR_SIZE] = "", pw[SECRET_MAX];
	struct curl_slist *rcpt = NULL;
	struct upload up = { mail, len };
	enum send_result r;
	size_t pwlen = 0;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if (s->h.password_file[0] &&
	    read_secret(s->h.password_file, pw, sizeof(pw), &pwlen, ans, anslen) < 0)
		return SEND_ERROR;
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(ans, anslen, "out of memory");
		return SEND_ERROR;
	}
	for (int i = 0; i < s->h.n_to; i++)
		rcpt = curl_slist_append(rcpt, s->h.to[i]);
	curl_common(c, &s->h, timeout_s, errbuf);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	/* smtp://: STARTTLS or nothing; smtps://: TLS from the start */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->h.from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	if (s->h.user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->h.user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	explicit_bzero(pw, sizeof(pw));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK) {
		snprintf(ans, anslen, "SMTP %ld: accepted after DATA", code);
		return SEND_OK;
	}
	r = curl_class(rc, code, true);
	printable(errbuf);
	if (code > 0)
		snprintf(ans, anslen, "SMTP %ld: %s", code, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		snprintf(ans, anslen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return r;
}

int send_sign(const unsigned char *key, size_t keylen, int64_t ts, const char *body, size_t blen,
	      char *out, size_t outlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	char pre[32];
	int n = snprintf(pre, sizeof(pre), "%lld.", (long long)ts), k;

	/* HMAC over "TS." then the body, without copying the body */
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[2] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
				 OSSL_PARAM_construct_end() };
	size_t ml = 0;

	if (mc == NULL || EVP_MAC_init(mc, key, keylen, params) != 1 ||
	    EVP_MAC_update(mc, (const unsigned char *)pre, (size_t)n) != 1 ||
	    EVP_MAC_update(mc, (const unsigned char *)body, blen) != 1 ||
	    EVP_MAC_final(mc, mac, &ml, sizeof(mac)) != 1) {
		EVP_MAC_CTX_free(mc);
		EVP_MAC_free(m);
		return -1;
	}
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(m);
	mlen = (unsigned)ml;
	k = snprintf(out, outlen, "t=%lld,v1=", (long long)ts);
	if (k < 0 || (size_t)k + 2 * mlen + 1 > outlen)
		return -1;
	for (unsigned i = 0; i < mlen; i++)
		snprintf(out + k + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

static enum send_result webhook_send(struct sender *s, const struct fmt_alert *a,
				     const char *body, size_t len, int64_t now,
				     unsigned timeout_s, char *ans, size_t anslen)
{
	char errbuf[CURL_ERROR_SIZE] = "", key[SECRET_MAX], hdr[256], sig[160];
	struct curl_slist *hs = NULL;
	struct answer_buf resp = { "", 0 };
	size_t klen = 0;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if (s->h.secret_file[0] &&
	    read_secret(s->h.secret_file, key, sizeof(key), &klen, ans, anslen) < 0)
		return SEND_ERROR;
	hs = curl_slist_append(hs, "Content-Type: application/json");
	hs = curl_slist_append(hs, "Expect:");
	snprintf(hdr, sizeof(hdr), "User-Agent: kastro-console/hooks");
	hs = curl_slist_append(hs, hdr);
	if (a->delivery_id > 0)
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: kastro-%lld", (long long)a->delivery_id);
	else
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: kastro-test-%lld-%lld",
			 (long long)now, (long long)getpid());
	hs = curl_slist_append(hs, hdr);
	snprintf(hdr, sizeof(hdr), "X-Kastro-Timestamp: %lld", (long long)now);
	hs = curl_slist_append(hs, hdr);
	if (klen > 0) {
		if (send_sign((unsigned char *)key, klen, now, body, len, sig, sizeof(sig)) < 0) {
			explicit_bzero(key, sizeof(key));
			curl_slist_free_all(hs);
			snprintf(ans, anslen, "cannot sign the body");
			return SEND_ERROR;
		}
		snprintf(hdr, sizeof(hdr), "X-Kastro-Signature: %s", sig);
		hs = curl_slist_append(hs, hdr);
	}
	explicit_bzero(key, sizeof(key));
	if (s->curl == NULL)
		s->curl = curl_easy_init();
	else
		curl_easy_reset(s->curl);	/* options go, the connection stays */
	c = s->curl;
	if (c == NULL || hs == NULL) {
		curl_slist_free_all(hs);
		snprintf(ans, anslen, "out of memory");
		return SEND_ERROR;
	}
	curl_common(c, &s->h, timeout_s, errbuf);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hs);
	printable(resp.b);
	printable(errbuf);
	if (rc != CURLE_OK) {
		snprintf(ans, anslen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return curl_class(rc, code, false);
	}
	snprintf(ans, anslen, "HTTP %ld%s%.200s", code, resp.b[0] ? ": " : "", resp.b);
	if (code >= 200 && code < 300)
		return SEND_OK;
	if (code == 408 || code == 429 || code >= 500)
		return SEND_RETRY;
	return SEND_REFUSED;
}

/* ---- one alert --------------------------------------------------------------------- */

enum send_result send_alert(struct sender *s, const struct fmt_alert *a,
			    const struct fmt_ctx *ctx, int64_t now, unsigned timeout_s,
			    char *answer, size_t anslen)
{
	struct fmt_out o;
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;

	answer[0] = '\0';
	fmt_out_init(&o, s->buf, FMT_OUT_MAX);
	switch (s->h.kind) {
	case HOOK_SYSLOG:
		if (fmt_syslog(&s->h, a, ctx, &o) < 0)
			break;
		if (s->h.transport == HOOK_T_RELP || s->h.transport == HOOK_T_RELPS)
			return relp_send(s, o.p, o.len, deadline, answer, anslen);
		return syslog_send(s, o.p, o.len, deadline, answer, anslen);
	case HOOK_EMAIL:
		if (fmt_mail(&s->h, a, ctx, now, &o) < 0)
			break;
		return email_send(s, o.p, o.len, timeout_s, answer, anslen);
	case HOOK_WEBHOOK:
		if (fmt_body(&s->h, a, ctx, &o) < 0)
			break;
		return webhook_send(s, a, o.p, o.len, now, timeout_s, answer, anslen);
	}
	snprintf(answer, anslen, "the message does not fit %d bytes", FMT_OUT_MAX);
	return SEND_ERROR;
}

bool send_batches(const struct sender *s)
{
	return s->h.kind == HOOK_SYSLOG &&
	       (s->h.transport == HOOK_T_TCP || s->h.transport == HOOK_T_TLS);
}

int send_queue(struct sender *s, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	       char *answer, size_t anslen)
{
	struct fmt_out o;
	char head[24];
	int hl;

	if (s->bbuf == NULL && (s->bbuf = malloc(BATCH_BYTES)) == NULL) {
		snprintf(answer, anslen, "out of memory");
		return -1;
	}
	fmt_out_init(&o, s->buf, FMT_OUT_MAX);
	if (fmt_syslog(&s->h, a, ctx, &o) < 0) {
		snprintf(answer, anslen, "the message does not fit %d bytes", FMT_OUT_MAX);
		return -1;
	}
	hl = snprintf(head, sizeof(head), "%zu ", o.len);
	if (s->blen + (size_t)hl + o.len > BATCH_BYTES)
		return 1;
	/* RFC 6587 octet counting, the frames one after another */
	memcpy(s->bbuf + s->blen, head, (size_t)hl);
	memcpy(s->bbuf + s->blen + hl, o.p, o.len);
	s->blen += (size_t)hl + o.len;
	return 0;
}

enum send_result send_flush(struct sender *s, unsigned timeout_s, char *answer, size_t anslen)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	enum send_result r;

	answer[0] = '\0';
	if (s->blen == 0)
		return SEND_OK;
	r = stream_ready(s, deadline, answer, anslen);
	if (r == SEND_OK && write_all(s, s->bbuf, s->blen) < 0) {
		if (s->ssl != NULL)
			ssl_why(answer, anslen, "TLS write failed");
		else
			snprintf(answer, anslen, "write failed: %s", strerror(errno));
		disconnect(s);
		r = SEND_RETRY;
	}
	if (r == SEND_OK)
		snprintf(answer, anslen, "written to the %s connection",
			 s->ssl != NULL ? "TLS" : "TCP");
	/* sent or not, the batch is settled: what was not sent stays queued */
	s->blen = 0;
	return r;
}

enum send_result send_digest(struct sender *s, const struct fmt_alert *a, int n,
			     const struct fmt_ctx *ctx, int64_t now, unsigned timeout_s,
			     char *answer, size_t anslen)
{
	struct fmt_out o;

	answer[0] = '\0';
	fmt_out_init(&o, s->buf, FMT_OUT_MAX);
	if (s->h.kind != HOOK_EMAIL || fmt_mail_digest(&s->h, a, n, ctx, now, &o) < 0) {
		snprintf(answer, anslen, "the digest does not fit %d bytes", FMT_OUT_MAX);
		return SEND_ERROR;
	}
	return email_send(s, o.p, o.len, timeout_s, answer, anslen);
}
