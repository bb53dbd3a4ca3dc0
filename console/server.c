/*
 * server.c - see server.h.
 *
 * Connection accounting: every connection gets its SSL object from the
 * bufferevent callback below; the SSL carries a pointer to its server in
 * ex_data, and OpenSSL's ex_data free hook (run when libevent frees the
 * connection) gives the slot back. A connection accepted over the cap is
 * marked, and the client-hello callback fails its handshake: libevent 2.1
 * offers no hook between accept() and the HTTP layer.
 *
 * The head gate: libevent 2.1 would answer a request over the header or
 * body bound, or one it cannot parse, itself (400 or 413 with its own HTML
 * page) and the console would never know. So every connection's input
 * buffer has a callback that takes each newly decrypted byte back before
 * evhttp sees it, holds a request head until it is complete, and checks it
 * (httphead.h). A good head and its body (Content-Length bytes) are handed
 * on; a bad one is dropped with everything after it, and in its place
 * evhttp gets a bodiless request that on_request answers with the refusal
 * as JSON, logged with the peer. Once that answer has left, the console
 * shuts down its side of the TCP connection and reads and discards what
 * the client still sends until it closes (or the idle timeout): closing
 * at once, with the rest of a refused body unread, would reset the
 * connection and lose the answer on the way. Requests are
 * counted on both sides so a refusal answers its own request and not an
 * earlier one of the same connection. libevent's own bounds stay set, a
 * little wider, as a backstop.
 *
 * Deadlines: each connection has one timer (struct gate). It runs from the
 * accept to the end of the first head, from the first byte of each later
 * head to its end, from a head's end to its body's end, and from a refusal
 * to the close. When it fires the socket is shut down both ways: libevent
 * then reads the end of the stream, fails the connection and frees it,
 * which gives the slot back (closing the socket under libevent instead
 * would leave it a stale descriptor). Between requests of a kept-alive
 * connection no timer runs; libevent's idle timeout does.
 *
 * The per-address count is taken at the client hello, the first moment
 * the socket is known here (libevent makes the connection's bufferevent
 * before it sets the socket), and given back when the connection is freed.
 */
#include "server.h"

#include "httphead.h"
#include "peercap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/x509.h>

/* OpenSSL ex_data slots, the same for every server of the process. */
static int ex_server = -1, ex_over = -1, ex_peer = -1, ex_gate = -1;

/* What evhttp gets in place of a refused request. */
static const char refused_head[] = "GET / HTTP/1.1\r\n\r\n";

enum gate_state { GATE_HEAD, GATE_BODY, GATE_REFUSED };

/* What the connection's timer is running for. */
enum gate_clock { CLK_NONE, CLK_HEAD, CLK_BODY, CLK_PROBATION, CLK_CLOSE };

/* The head gate of one connection (see the top of this file). */
struct gate {
	struct server *s;
	SSL *ssl;
	struct evbuffer *held;          /* bytes not handed to evhttp yet */
	enum gate_state state;
	uint64_t body_left;             /* GATE_BODY: bytes of the body still to hand on */
	uint64_t released;              /* requests handed to evhttp, the refusal's included */
	uint64_t dispatched;            /* requests evhttp handed to on_request */
	uint64_t refused_at;            /* which of them is the refusal; 0: none */
	int busy;                       /* the callback is moving bytes itself */
	int answered;                   /* the refusal is in the output buffer */
	struct httphead verdict;        /* the refusal */
	struct event *timer;            /* the deadline of clock */
	enum gate_clock clock;
	int probation;                  /* on a reserved slot, not vouched for yet */
	int counted;                    /* key is counted in s->peers */
	char key[PEERCAP_KEY_SIZE];
};

static void gate_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct gate *g = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (g == NULL)
		return;
	if (g->counted && g->s->peers != NULL)
		peercap_del(g->s->peers, g->key);
	if (g->timer != NULL)
		event_free(g->timer);
	evbuffer_free(g->held);
	free(g);
}

static void peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void slot_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct server *s = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (s != NULL && s->live > 0)
		s->live--;
}

static int ex_init(void)
{
	if (ex_server >= 0)
		return 0;
	ex_server = SSL_get_ex_new_index(0, NULL, NULL, NULL, slot_free);
	ex_over = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ex_peer = SSL_get_ex_new_index(0, NULL, NULL, NULL, peer_free);
	ex_gate = SSL_get_ex_new_index(0, NULL, NULL, NULL, gate_free);
	return ex_server >= 0 && ex_over >= 0 && ex_peer >= 0 && ex_gate >= 0 ? 0 : -1;
}

/* The peer of an SSL's socket as "ADDR:PORT", "?" when unknown. */
static void ssl_peer(SSL *ssl, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	int fd = SSL_get_fd(ssl);

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(out, outlen, "?");
	}
}

/* The peer as recorded at the client hello (the socket may be gone when
 * a later alert is logged), else as the socket says now. */
static void known_peer(SSL *ssl, char *out, size_t outlen)
{
	const char *p = SSL_get_ex_data(ssl, ex_peer);

	if (p != NULL)
		snprintf(out, outlen, "%s", p);
	else
		ssl_peer(ssl, out, outlen);
}

/* Count the connection for its network; false when that is one too many. */
static bool peer_ok(struct server *s, SSL *ssl)
{
	struct gate *g = SSL_get_ex_data(ssl, ex_gate);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char peer[80];
	uint32_t n;
	int fd = SSL_get_fd(ssl);

	if (s->peers == NULL || g == NULL || g->counted)
		return true;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return true;
	peercap_key_sa((struct sockaddr *)&ss, g->key, sizeof(g->key));
	n = peercap_add(s->peers, g->key);
	if (n > 0)
		g->counted = 1;
	if (n > 0 && n <= s->lim.per_address)
		return true;
	s->refused_addr++;
	known_peer(ssl, peer, sizeof(peer));
	log_limited(&s->rl, LOG_LVL_WARN, "%s: connection from %s refused: %u connections from "
		    "its network open (per-address limit)", s->name, peer, s->lim.per_address);
	return false;
}

static int client_hello(SSL *ssl, int *alert, void *arg)
{
	struct server *s = SSL_get_ex_data(ssl, ex_server);
	char peer[80];

	(void)arg;
	if (SSL_get_ex_data(ssl, ex_peer) == NULL) {
		ssl_peer(ssl, peer, sizeof(peer));
		SSL_set_ex_data(ssl, ex_peer, strdup(peer));
	}
	if (s != NULL && SSL_get_ex_data(ssl, ex_over) == NULL && !peer_ok(s, ssl)) {
		*alert = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (s == NULL || SSL_get_ex_data(ssl, ex_over) == NULL)
		return SSL_CLIENT_HELLO_SUCCESS;
	s->refused_cap++;
	ssl_peer(ssl, peer, sizeof(peer));
	log_limited(&s->rl, LOG_LVL_WARN, "%s: connection from %s refused: %u connections open (limit)",
		    s->name, peer, s->lim.max_connections);
	*alert = SSL_AD_INTERNAL_ERROR;
	return SSL_CLIENT_HELLO_ERROR;
}

/* A fatal alert in the handshake: say who and why. */
static void info_cb(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *)cssl;
	struct server *s;
	char peer[80];
	long vr;

	if (!(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
		return;
	s = SSL_get_ex_data(ssl, ex_server);
	if (s == NULL || SSL_get_ex_data(ssl, ex_over) != NULL)
		return;
	if (SSL_is_init_finished(ssl))
		return;
	s->refused_tls++;
	known_peer(ssl, peer, sizeof(peer));
	vr = SSL_get_verify_result(ssl);
	if (where & SSL_CB_WRITE) {
		log_limited(&s->rl, LOG_LVL_WARN, "%s: TLS handshake from %s refused: %s%s%s", s->name,
			    peer, SSL_alert_desc_string_long(ret), vr != X509_V_OK ? "; certificate: " : "",
			    vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
		if (s->on_refused != NULL)
			s->on_refused(s->handler_arg, peer, vr != X509_V_OK ?
				      X509_verify_cert_error_string(vr) : SSL_alert_desc_string_long(ret));
	} else
		log_limited(&s->rl, LOG_LVL_WARN, "%s: TLS handshake with %s failed: the client sent %s",
			    s->name, peer, SSL_alert_desc_string_long(ret));
}

/* Run the connection's timer for clk (CLK_NONE: stop it). */
static void gate_clock(struct gate *g, enum gate_clock clk)
{
	const struct server_limits *lim = &g->s->lim;
	struct timeval tv = { 0, 0 };

	g->clock = clk;
	switch (clk) {
	case CLK_HEAD:
	case CLK_CLOSE:
		tv.tv_sec = lim->head_timeout;
		break;
	case CLK_BODY:
		tv.tv_sec = lim->body_timeout;
		break;
	case CLK_PROBATION:
		tv.tv_sec = lim->head_timeout > 0 && lim->head_timeout < SERVER_PROBATION_S
			    ? lim->head_timeout : SERVER_PROBATION_S;
		break;
	case CLK_NONE:
		break;
	}
	if (g->timer == NULL)
		return;
	if (clk == CLK_NONE || tv.tv_sec == 0)
		evtimer_del(g->timer);
	else
		evtimer_add(g->timer, &tv);
}

/* The deadline passed: shut the socket down both ways (see the top). */
static void gate_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct gate *g = arg;
	struct server *s = g->s;
	char peer[80];
	int sfd;

	(void)fd;
	(void)what;
	if (g->clock != CLK_CLOSE) {
		s->closed_slow++;
		known_peer(g->ssl, peer, sizeof(peer));
		if (g->clock == CLK_BODY)
			log_limited(&s->rl_slow, LOG_LVL_WARN, "%s: connection from %s closed: request body "
				    "not complete within %u s", s->name, peer, s->lim.body_timeout);
		else if (g->clock == CLK_PROBATION)
			log_limited(&s->rl_slow, LOG_LVL_WARN, "%s: connection from %s closed: no request "
				    "within %d s on a reserved slot", s->name, peer, SERVER_PROBATION_S);
		else
			log_limited(&s->rl_slow, LOG_LVL_WARN, "%s: connection from %s closed: request head "
				    "not complete within %u s", s->name, peer, s->lim.head_timeout);
	}
	g->clock = CLK_NONE;
	sfd = SSL_get_fd(g->ssl);
	if (sfd >= 0)
		shutdown(sfd, SHUT_RDWR);
}

/* Drop everything from the bad head on; evhttp gets refused_head. */
static void gate_refuse(struct gate *g, struct evbuffer *in)
{
	evbuffer_drain(g->held, evbuffer_get_length(g->held));
	g->state = GATE_REFUSED;
	g->refused_at = ++g->released;
	evbuffer_add(in, refused_head, sizeof(refused_head) - 1);
	/* the client should close once it has the answer; if not, we do */
	gate_clock(g, CLK_CLOSE);
}

/* Hand on what held has of complete, checked requests. */
static void gate_run(struct gate *g, struct evbuffer *in)
{
	const struct server_limits *lim = &g->s->lim;

	for (;;) {
		size_t n = evbuffer_get_length(g->held), look, hl;
		const char *p;

		if (n == 0)
			return;
		if (g->state == GATE_REFUSED) {
			evbuffer_drain(g->held, n);
			return;
		}
		if (g->state == GATE_BODY) {
			size_t k = n < g->body_left ? n : (size_t)g->body_left;

			evbuffer_remove_buffer(g->held, in, k);
			g->body_left -= k;
			if (g->body_left == 0) {
				g->state = GATE_HEAD;
				gate_clock(g, CLK_NONE);
			}
			continue;
		}
		/* the first byte of a head starts its clock */
		if (g->clock == CLK_NONE)
			gate_clock(g, CLK_HEAD);
		look = n < lim->max_headers ? n : lim->max_headers;
		p = (const char *)evbuffer_pullup(g->held, (ev_ssize_t)look);
		hl = p != NULL ? httphead_end(p, look) : 0;
		if (hl == 0) {
			if (n >= lim->max_headers) {
				g->verdict.status = 431;
				snprintf(g->verdict.reason, sizeof(g->verdict.reason),
					 "request head over the limit of %u bytes", lim->max_headers);
				gate_refuse(g, in);
			}
			return;
		}
		if (httphead_check(p, hl, lim->max_body, &g->verdict) < 0) {
			gate_refuse(g, in);
			return;
		}
		if (g->probation) {
			if (g->s->vet == NULL || g->s->vet(p, hl, g->s->vet_arg) != 1) {
				g->s->refused_busy++;
				g->verdict.status = 503;
				snprintf(g->verdict.reason, sizeof(g->verdict.reason),
					 "the console is busy: only signed-in officers are served now; "
					 "try again later");
				gate_refuse(g, in);
				return;
			}
			g->probation = 0;
		}
		g->released++;
		evbuffer_remove_buffer(g->held, in, hl);
		g->body_left = g->verdict.content_length;
		if (g->body_left > 0) {
			g->state = GATE_BODY;
			gate_clock(g, CLK_BODY);
		} else {
			gate_clock(g, CLK_NONE);
		}
	}
}

/* evhttp's input buffer grew: take the new bytes back and run the gate. */
static void gate_cb(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct gate *g = arg;
	size_t keep;

	if (g->busy || info->n_added == 0)
		return;
	g->busy = 1;
	keep = evbuffer_get_length(in) - info->n_added;
	if (keep == 0) {
		evbuffer_add_buffer(g->held, in);
	} else {
		/* Bytes handed on before stay in front, for evhttp. */
		struct evbuffer *front = evbuffer_new();

		if (front == NULL) {
			g->busy = 0;
			return;
		}
		evbuffer_remove_buffer(in, front, keep);
		evbuffer_add_buffer(g->held, in);
		evbuffer_add_buffer(in, front);
		evbuffer_free(front);
	}
	gate_run(g, in);
	g->busy = 0;
}

/* The refusal's answer has gone to the kernel: send FIN after it. */
static void gate_out_cb(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
	struct gate *g = arg;
	int fd;

	if (!g->answered || info->n_deleted == 0 || evbuffer_get_length(out) > 0)
		return;
	g->answered = 0;
	fd = SSL_get_fd(g->ssl);
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
}

static struct bufferevent *new_conn(struct event_base *base, void *arg)
{
	struct server *s = arg;
	struct bufferevent *bev;
	struct gate *g;
	SSL *ssl = SSL_new(s->ctx);

	g = calloc(1, sizeof(*g));
	if (ssl == NULL || g == NULL || (g->held = evbuffer_new()) == NULL) {
		log_limited(&s->rl, LOG_LVL_ERR, "%s: cannot make a TLS session: out of memory", s->name);
		free(g);
		SSL_free(ssl);
		return NULL;
	}
	g->s = s;
	g->ssl = ssl;
	g->timer = evtimer_new(base, gate_timeout, g);
	SSL_set_ex_data(ssl, ex_gate, g);
	s->accepted++;
	s->live++;
	SSL_set_ex_data(ssl, ex_server, s);
	if (s->live > s->lim.max_connections)
		SSL_set_ex_data(ssl, ex_over, s);
	else if (s->vet != NULL && s->lim.reserved > 0 &&
		 s->live > s->lim.max_connections - s->lim.reserved)
		g->probation = 1;
	if (g->timer == NULL) {
		log_limited(&s->rl, LOG_LVL_ERR, "%s: cannot time a connection: out of memory", s->name);
		SSL_free(ssl);
		return NULL;
	}
	/* from the accept: the handshake and the first head */
	gate_clock(g, g->probation ? CLK_PROBATION : CLK_HEAD);
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	if (evbuffer_add_cb(bufferevent_get_input(bev), gate_cb, g) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(bev), gate_out_cb, g) == NULL) {
		log_limited(&s->rl, LOG_LVL_ERR, "%s: cannot watch a connection: out of memory", s->name);
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}

/* Every request: the gate's refusal, or the service's handler. */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	SSL *ssl = server_ssl(req);
	struct gate *g = ssl != NULL ? SSL_get_ex_data(ssl, ex_gate) : NULL;
	char peer[80];

	if (g != NULL && ++g->dispatched == g->refused_at) {
		s->refused_http++;
		server_peer(req, peer, sizeof(peer));
		log_limited(&s->rl, LOG_LVL_WARN, "%s: request from %s refused (%d): %s", s->name, peer,
			    g->verdict.status, g->verdict.reason);
		g->answered = 1;
		server_reply_error(req, g->verdict.status, "%s", g->verdict.reason);
		return;
	}
	s->handler(req, s->handler_arg);
}

/* A listening socket on addr:port; IPv6 sockets are IPv6 only, so "*"
 * can bind both wildcards. */
static int listen_on(const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket for %s port %u: %s", addr, port, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit it (Linux): an answer's body is not held
	 * back behind its head until the peer's delayed ACK (~40 ms). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Room for n more descriptors: raise the soft limit (often 1,024) towards
 * the hard one, so the connection cap is what refuses, never accept(). */
static void fd_room(uint32_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	rl.rlim_cur += (rlim_t)n + 16;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int server_open(struct server *s, struct event_base *base, const char *name, SSL_CTX *ctx,
		const struct server_listen *ls, int n, const struct server_limits *lim,
		server_handler handler, void *arg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->base = base;
	s->ctx = ctx;
	s->lim = *lim;
	s->rl.burst = 20;
	s->rl.interval_s = 60;
	s->rl_slow = s->rl;
	if (lim->reserved >= lim->max_connections && lim->reserved > 0) {
		snprintf(err, errlen, "%s: %u reserved connections of %u leave none for others", name,
			 lim->reserved, lim->max_connections);
		return -1;
	}
	if (lim->per_address > 0 && (s->peers = peercap_new(lim->max_connections + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	fd_room(lim->max_connections);
	if (ex_init() < 0) {
		snprintf(err, errlen, "%s: OpenSSL ex_data: out of memory", name);
		return -1;
	}
	SSL_CTX_set_client_hello_cb(ctx, client_hello, NULL);
	SSL_CTX_set_info_callback(ctx, info_cb);
	s->http = evhttp_new(base);
	if (s->http == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	evhttp_set_bevcb(s->http, new_conn, s);
	s->handler = handler;
	s->handler_arg = arg;
	evhttp_set_gencb(s->http, on_request, s);
	/* Backstops: the gate refuses first, as JSON. */
	evhttp_set_max_body_size(s->http, (ev_ssize_t)lim->max_body);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)lim->max_headers + 1024);
	evhttp_set_timeout(s->http, (int)lim->request_timeout);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
					       EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	for (int i = 0; i < n; i++) {
		const char *const wild[2] = { "0.0.0.0", "::" };
		const char *const *addrs = strcmp(ls[i].addr, "*") == 0 ? wild : &ls[i].addr;
		int na = strcmp(ls[i].addr, "*") == 0 ? 2 : 1;

		for (int k = 0; k < na; k++) {
			char e2[256];
			int fd = listen_on(addrs[k], ls[i].port, e2, sizeof(e2));

			if (fd < 0) {
				snprintf(err, errlen, "%s: %s", name, e2);
				server_close(s);
				return -1;
			}
			if (evhttp_accept_socket_with_handle(s->http, fd) == NULL) {
				close(fd);
				snprintf(err, errlen, "%s: cannot serve %s port %u", name, addrs[k], ls[i].port);
				server_close(s);
				return -1;
			}
		}
	}
	return 0;
}

void server_set_vetter(struct server *s, server_vetter vet, void *arg)
{
	s->vet = vet;
	s->vet_arg = arg;
}

void server_close(struct server *s)
{
	if (s->http != NULL)
		evhttp_free(s->http);
	s->http = NULL;
	/* after the connections, which give their counts back into it */
	peercap_free(s->peers);
	s->peers = NULL;
}

void server_peer(struct evhttp_request *req, char *out, size_t outlen)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	if (addr == NULL)
		snprintf(out, outlen, "?");
	else if (strchr(addr, ':') != NULL)
		snprintf(out, outlen, "[%s]:%u", addr, port);
	else
		snprintf(out, outlen, "%s:%u", addr, port);
}

void server_peer_addr(struct evhttp_request *req, char *out, size_t outlen)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	snprintf(out, outlen, "%s", addr != NULL ? addr : "?");
}

SSL *server_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;

	return bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
}

int server_body(struct evhttp_request *req, char **buf, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *p = malloc(n + 1);

	if (p == NULL)
		return -1;
	if (n > 0 && evbuffer_copyout(in, p, n) != (ev_ssize_t)n) {
		free(p);
		return -1;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

static void security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
}

void server_reply_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *out = evbuffer_new();
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (out == NULL || text == NULL) {
		free(text);
		if (out != NULL)
			evbuffer_free(out);
		evhttp_send_error(req, 500, server_reason(500));
		return;
	}
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	free(text);
	security_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json; charset=utf-8");
	server_send(req, code, out);
	evbuffer_free(out);
}

void server_send(struct evhttp_request *req, int code, struct evbuffer *body)
{
	char len[24];

	/* libevent 2.1 would send a HEAD answer's body too: the head alone
	 * goes, with the length the GET answer has (RFC 9110 9.3.2). */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", body != NULL ? evbuffer_get_length(body) : (size_t)0);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", len);
		if (body != NULL)
			evbuffer_drain(body, evbuffer_get_length(body));
	}
	evhttp_send_reply(req, code, server_reason(code), body);
}

const char *server_reason(int code)
{
	static const struct { int code; const char *text; } t[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 409, "Conflict" }, { 411, "Length Required" }, { 413, "Content Too Large" },
		{ 415, "Unsupported Media Type" }, { 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" }, { 507, "Insufficient Storage" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return t[i].text;
	return code < 300 ? "OK" : code < 500 ? "Client Error" : "Server Error";
}

void server_reply_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	server_reply_error(req, 405, "method not allowed here: use %s", allow);
}

void server_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	server_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

/* The body as JSON; on failure answers 400 and returns NULL. */
json_t *server_json_body(struct evhttp_request *req, const char *what)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	const char *p = n > 0 ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";
	json_error_t je;
	json_t *j;

	j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		server_reply_error(req, 400, "%s: not JSON: %s (at byte %d)", what, je.text, je.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		server_reply_error(req, 400, "%s: expected a JSON object", what);
		return NULL;
	}
	return j;
}
