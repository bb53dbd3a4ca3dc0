/*
 * server.h - one HTTPS service of kastro-console on libevent: listening
 * sockets, TLS on every connection, bounds on connections, headers, bodies
 * and time, and the small helpers every request handler needs (peer
 * address, the TLS session, the body, JSON answers).
 *
 * The console runs two: the sensor port (TLS 1.3, client certificates of
 * the console's CA only) and the officers' port (browsers, REST, and the
 * enrolment of new sensors). Both are single-threaded, non-blocking
 * evhttp servers on the console's one event base.
 *
 * Connections over the cap are refused in the TLS handshake (a client-hello
 * callback), counted and logged rate-limited; a refused handshake (no
 * certificate, another CA, expired, revoked) is logged with the peer's
 * address and the reason.
 *
 * So that one host cannot hold every slot: a request head must be complete
 * within head_timeout of the connection's accept (the handshake included)
 * or of the head's first byte, and its body within body_timeout of the
 * head's end, or the connection is closed (an absolute deadline: a client
 * sending a byte now and then does not extend it). With per_address, one
 * client network (peercap.h) holds at most that many connections; more are
 * refused in the handshake. With reserved and a vetter, the last reserved
 * of the max_connections slots serve only requests the vetter vouches for
 * (a signed-in officer's): a connection that takes one of them must send a
 * head the vetter accepts within SERVER_PROBATION_S, or it is answered 503
 * and closed.
 */
#ifndef KASTRO_SERVER_H
#define KASTRO_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "log.h"

struct peercap;

struct server_limits {
	uint32_t max_connections;
	uint64_t max_body;              /* bytes */
	uint32_t max_headers;           /* bytes */
	uint32_t request_timeout;       /* seconds a connection may stay idle or slow */
	uint32_t head_timeout;          /* seconds to a complete request head; 0: none */
	uint32_t body_timeout;          /* seconds from a head to the end of its body; 0: none */
	uint32_t per_address;           /* connections per client network; 0: no cap */
	uint32_t reserved;              /* slots kept for vouched requests; 0: none */
};

/* A connection on a reserved slot has this long to send a head the vetter
 * accepts (a browser sends its request at once). */
#define SERVER_PROBATION_S 2

/* 1 when the request head (len bytes, checked by httphead_check()) carries
 * credentials the service accepts, else 0. */
typedef int (*server_vetter)(const char *head, size_t len, void *arg);

struct server_listen {
	const char *addr;               /* IPv4 or IPv6 literal, or "*" for both wildcards */
	uint16_t port;
};

typedef void (*server_handler)(struct evhttp_request *req, void *arg);

struct server {
	const char *name;               /* "sensors", "https": for messages */
	struct event_base *base;
	SSL_CTX *ctx;                   /* owned by the caller */
	struct evhttp *http;
	struct server_limits lim;
	uint32_t live;                  /* connections open now */
	server_handler handler;
	void *handler_arg;
	uint64_t accepted, refused_cap, refused_tls;
	uint64_t refused_http;          /* requests the head gate refused (server.c) */
	uint64_t refused_addr;          /* handshakes over the per-address cap */
	uint64_t refused_busy;          /* reserved slots taken without credentials (503) */
	uint64_t closed_slow;           /* closed at the head or body deadline */
	struct peercap *peers;          /* live connections per network, with per_address */
	server_vetter vet;
	void *vet_arg;
	struct log_limit rl;
	struct log_limit rl_slow;       /* deadline closes: not drowned by refusals */
	/* a handshake this side refused (NULL: none wanted); arg is handler_arg */
	void (*on_refused)(void *arg, const char *peer, const char *why);
};

/*
 * Listen on every address of ls (n of them) and serve each request through
 * handler. ctx must outlive the server. Returns 0, or -1 with err set (an
 * address in use, a bad address) and nothing left open.
 */
int server_open(struct server *s, struct event_base *base, const char *name, SSL_CTX *ctx,
		const struct server_listen *ls, int n, const struct server_limits *lim,
		server_handler handler, void *arg, char *err, size_t errlen);

/* The reserved slots' vetter (see above); without one, reserved is not used. */
void server_set_vetter(struct server *s, server_vetter vet, void *arg);

/* Stop listening and drop every connection. */
void server_close(struct server *s);

/* "ADDR:PORT" of the peer ("[ADDR]:PORT" for IPv6) into out. */
void server_peer(struct evhttp_request *req, char *out, size_t outlen);

/* The peer's address alone, for rate limits and the audit log. */
void server_peer_addr(struct evhttp_request *req, char *out, size_t outlen);

/* The request's TLS session, or NULL. */
SSL *server_ssl(struct evhttp_request *req);

/*
 * The request body as one NUL-terminated buffer (malloc'd; the caller frees
 * it). Bodies over the limit were refused before they were read. -1 when memory
 * runs out.
 */
int server_body(struct evhttp_request *req, char **buf, size_t *len);

/*
 * The request body parsed as a JSON object (duplicate keys refused). On
 * failure answers 400 with the reason (what: the request's name) and
 * returns NULL. The caller json_decref()s the result.
 */
json_t *server_json_body(struct evhttp_request *req, const char *what);

/* Answer with code and the JSON body (which this takes over). */
void server_reply_json(struct evhttp_request *req, int code, json_t *body);

/*
 * Send the answer: code with its reason phrase and body (not freed; may be
 * NULL). For HEAD only the head goes, with the body's Content-Length.
 */
void server_send(struct evhttp_request *req, int code, struct evbuffer *body);

/* The reason phrase of an HTTP status (RFC 9110), for the status line. */
const char *server_reason(int code);

/* Answer 405 with an Allow header (allow: "GET, HEAD", ...) and a JSON
 * reason. */
void server_reply_not_allowed(struct evhttp_request *req, const char *allow);

/* Answer {"error": message} with code. */
void server_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
