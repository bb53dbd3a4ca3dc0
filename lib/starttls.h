/*
 * starttls.h - the plain-text dialogue before a TLS handshake on a mail
 * port: SMTP (RFC 3207: greeting, EHLO, STARTTLS), IMAP (RFC 3501:
 * greeting, CAPABILITY, STARTTLS) and POP3 (RFC 2595: greeting, CAPA,
 * STLS), for the services inventory's `check tls ... starttls PROTO`.
 *
 * The server's replies are untrusted: starttls_parse() reads one reply
 * from a buffer of at most STARTTLS_REPLY_MAX bytes and never reads past
 * len; starttls_begin() drives the dialogue on a connected socket with
 * bounded reads and a deadline. Neither logs.
 */
#ifndef KASTRO_STARTTLS_H
#define KASTRO_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum starttls_proto { STARTTLS_NONE, STARTTLS_SMTP, STARTTLS_IMAP, STARTTLS_POP3 };

/* The replies of the dialogue, in order. */
enum starttls_step {
	STARTTLS_GREETING,      /* the server's first words */
	STARTTLS_CAPS,          /* to EHLO, CAPABILITY or CAPA */
	STARTTLS_GO,            /* to STARTTLS or STLS */
};

#define STARTTLS_REPLY_MAX 8192 /* bytes of one reply, all its lines */

struct starttls_reply {
	bool ok;                /* a positive answer (220, 250, OK, +OK) */
	bool offers_tls;        /* STARTTLS_CAPS: STARTTLS (STLS) is among them */
	size_t used;            /* bytes of the buffer the reply took */
	char text[200];         /* its last line, printable ASCII, for the output */
};

/* "smtp", "imap", "pop3" and back; STARTTLS_NONE / NULL when unknown. */
enum starttls_proto starttls_proto_of(const char *name);
const char *starttls_proto_name(enum starttls_proto p);

/*
 * One reply of step in buf[0..len). Returns 1 when it is complete (r
 * filled), 0 when more bytes are needed, -1 when it is malformed (r->text
 * says how).
 */
int starttls_parse(enum starttls_proto p, enum starttls_step step, const char *buf, size_t len,
		   struct starttls_reply *r);

/*
 * On the connected socket fd, speak p's dialogue up to the point where
 * the server waits for the TLS handshake, by deadline (mono_ms()).
 * Returns 0, or -1 with why (the server's answer when it refused, did not
 * offer TLS, or sent more than it should).
 */
int starttls_begin(int fd, enum starttls_proto p, uint64_t deadline, char *why, size_t whylen);

#endif
