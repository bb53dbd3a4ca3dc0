/*
 * starttls.c - see starttls.h.
 *
 * A reply is a run of lines ending in LF (CR LF or LF alone). SMTP: each
 * line "NNN-text" goes on, "NNN text" (or "NNN") ends it, one code
 * throughout. IMAP: untagged "* ..." lines, ended by the command's tagged
 * line ("K1 OK ..."); the greeting is one untagged line. POP3: one status
 * line ("+OK" or "-ERR"), and for CAPA after +OK the capability lines up
 * to a line holding only ".".
 *
 * Nothing may follow the answer to STARTTLS before the handshake: bytes
 * that came with it were sent before the server switched to TLS and would
 * be taken as the TLS stream's start (the STARTTLS injection attacks), so
 * they are an error.
 */
#include "starttls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "errf.h"
#include "mono.h"

static const char *const proto_names[] = { [STARTTLS_SMTP] = "smtp", [STARTTLS_IMAP] = "imap",
					   [STARTTLS_POP3] = "pop3" };

enum starttls_proto starttls_proto_of(const char *name)
{
	for (int i = STARTTLS_SMTP; i <= STARTTLS_POP3; i++)
		if (strcmp(name, proto_names[i]) == 0)
			return (enum starttls_proto)i;
	return STARTTLS_NONE;
}

const char *starttls_proto_name(enum starttls_proto p)
{
	return p >= STARTTLS_SMTP && p <= STARTTLS_POP3 ? proto_names[p] : NULL;
}

/* The line at s (n bytes, without its end) as printable text into r->text. */
static void keep_text(struct starttls_reply *r, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < sizeof(r->text); i++)
		r->text[o++] = (char)((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
				      s[i] : '?');
	r->text[o] = '\0';
}

static int bad(struct starttls_reply *r, const char *why, const char *s, size_t n)
{
	char line[120];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < sizeof(line); i++)
		line[o++] = (char)((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
				   s[i] : '?');
	line[o] = '\0';
	snprintf(r->text, sizeof(r->text), "%s: \"%s\"", why, line);
	return -1;
}

/* Does the line (n bytes) start with the word w, followed by a blank or its end? */
static bool starts_word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(s, w, k) == 0 && (n == k || s[k] == ' ' || s[k] == '\t');
}

/* Is the word w among the blank-separated words of s[0..n)? */
static bool has_word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w), i = 0;

	while (i < n) {
		size_t j;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		for (j = i; j < n && s[j] != ' ' && s[j] != '\t'; j++)
			;
		if (j - i == k && strncasecmp(s + i, w, k) == 0)
			return true;
		i = j;
	}
	return false;
}

/* The line at *off of buf, without its CR LF, into s and n, and *off past
   it; false when buf holds no whole line there. */
static bool take_line(const char *buf, size_t len, size_t *off, const char **s, size_t *n)
{
	const char *p = buf + *off, *nl = *off < len ? memchr(p, '\n', len - *off) : NULL;

	if (nl == NULL)
		return false;
	*s = p;
	*n = (size_t)(nl - p);
	*off += *n + 1;
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
	return true;
}

static int parse_smtp(enum starttls_step step, const char *buf, size_t len,
		      struct starttls_reply *r)
{
	const char *s;
	size_t off = 0, n;
	char code[4] = "";

	while (take_line(buf, len, &off, &s, &n)) {
		if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
		    s[2] < '0' || s[2] > '9' || (n > 3 && s[3] != ' ' && s[3] != '-'))
			return bad(r, "not an SMTP reply line", s, n);
		if (code[0] == '\0')
			memcpy(code, s, 3);
		else if (memcmp(code, s, 3) != 0)
			return bad(r, "the reply's code changes within it", s, n);
		if (step == STARTTLS_CAPS && n > 4 &&
		    starts_word(s + 4, n - 4, "STARTTLS"))
			r->offers_tls = true;
		if (n == 3 || s[3] == ' ') {
			keep_text(r, s, n);
			r->used = off;
			r->ok = strcmp(code, step == STARTTLS_CAPS ? "250" : "220") == 0;
			return 1;
		}
	}
	return 0;
}

static int parse_imap(enum starttls_step step, const char *buf, size_t len,
		      struct starttls_reply *r)
{
	const char *tag = step == STARTTLS_CAPS ? "K1" : "K2";
	const char *s;
	size_t off = 0, n;

	while (take_line(buf, len, &off, &s, &n)) {
		if (step == STARTTLS_GREETING) {
			if (n < 2 || s[0] != '*' || s[1] != ' ')
				return bad(r, "not an IMAP greeting", s, n);
			keep_text(r, s, n);
			r->used = off;
			/* PREAUTH: already logged in, STARTTLS is not allowed (RFC 3501 6.2.1) */
			r->ok = starts_word(s + 2, n - 2, "OK");
			return 1;
		}
		if (n >= 2 && s[0] == '*' && s[1] == ' ') {
			if (step == STARTTLS_CAPS && starts_word(s + 2, n - 2, "CAPABILITY") &&
			    has_word(s + 2, n - 2, "STARTTLS"))
				r->offers_tls = true;
			continue;
		}
		if (starts_word(s, n, tag)) {
			keep_text(r, s, n);
			r->used = off;
			r->ok = n > 3 && starts_word(s + 3, n - 3, "OK");
			return 1;
		}
		return bad(r, "not an IMAP response line", s, n);
	}
	return 0;
}

static int parse_pop3(enum starttls_step step, const char *buf, size_t len,
		      struct starttls_reply *r)
{
	const char *s = buf, *nl = memchr(buf, '\n', len);
	size_t n, off;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - s);
	off = n + 1;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (!starts_word(s, n, "+OK") && !starts_word(s, n, "-ERR"))
		return bad(r, "not a POP3 status line", s, n);
	keep_text(r, s, n);
	r->ok = s[0] == '+';
	if (step != STARTTLS_CAPS || !r->ok) {
		r->used = off;
		return 1;
	}
	while (off < len) {
		const char *t = buf + off, *e = memchr(t, '\n', len - off);
		size_t m;

		if (e == NULL)
			return 0;
		m = (size_t)(e - t);
		off += m + 1;
		if (m > 0 && t[m - 1] == '\r')
			m--;
		if (m == 1 && t[0] == '.') {
			r->used = off;
			return 1;
		}
		if (starts_word(t, m, "STLS"))
			r->offers_tls = true;
	}
	return 0;
}

int starttls_parse(enum starttls_proto p, enum starttls_step step, const char *buf, size_t len,
		   struct starttls_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (len > STARTTLS_REPLY_MAX)
		len = STARTTLS_REPLY_MAX;
	switch (p) {
	case STARTTLS_SMTP:
		return parse_smtp(step, buf, len, r);
	case STARTTLS_IMAP:
		return parse_imap(step, buf, len, r);
	case STARTTLS_POP3:
		return parse_pop3(step, buf, len, r);
	default:
		snprintf(r->text, sizeof(r->text), "no such protocol");
		return -1;
	}
}

/* ---- the dialogue ---------------------------------------------------------- */

static int send_all(int fd, const char *s, uint64_t deadline, char *why, size_t whylen)
{
	size_t n = strlen(s), off = 0;

	while (off < n) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		uint64_t now = mono_ms();
		ssize_t w;

		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) != 1)
			return errf(why, whylen, "timed out sending %.*s", (int)strcspn(s, "\r"), s);
		w = send(fd, s + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return errf(why, whylen, "sending %.*s: %s", (int)strcspn(s, "\r"), s,
				    strerror(errno));
		if (w > 0)
			off += (size_t)w;
	}
	return 0;
}

/* Read one reply of step into r; the bytes past it stay counted in *extra. */
static int read_reply(int fd, enum starttls_proto p, enum starttls_step step, uint64_t deadline,
		      struct starttls_reply *r, size_t *extra, char *why, size_t whylen)
{
	static const char *const what[] = { "greeting", "capabilities", "answer to STARTTLS" };
	char buf[STARTTLS_REPLY_MAX];
	size_t len = 0;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;
		int rc;

		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) != 1)
			return errf(why, whylen, "no %s within the timeout (%zu bytes of it)",
				    what[step], len);
		n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return errf(why, whylen, "reading the %s: %s", what[step], strerror(errno));
		if (n == 0)
			return errf(why, whylen, "the server closed the connection before its %s",
				    what[step]);
		len += (size_t)n;
		rc = starttls_parse(p, step, buf, len, r);
		if (rc < 0)
			return errf(why, whylen, "%s", r->text);
		if (rc == 1) {
			*extra = len - r->used;
			return 0;
		}
		if (len == sizeof(buf))
			return errf(why, whylen, "the server's %s is longer than %d bytes",
				    what[step], STARTTLS_REPLY_MAX);
	}
}

int starttls_begin(int fd, enum starttls_proto p, uint64_t deadline, char *why, size_t whylen)
{
	static const char *const caps[] = { [STARTTLS_SMTP] = "EHLO kastro-probe\r\n",
					    [STARTTLS_IMAP] = "K1 CAPABILITY\r\n",
					    [STARTTLS_POP3] = "CAPA\r\n" };
	static const char *const go[] = { [STARTTLS_SMTP] = "STARTTLS\r\n",
					  [STARTTLS_IMAP] = "K2 STARTTLS\r\n",
					  [STARTTLS_POP3] = "STLS\r\n" };
	struct starttls_reply r;
	size_t extra;

	if (starttls_proto_name(p) == NULL)
		return errf(why, whylen, "no such STARTTLS protocol");
	/* a server that speaks before the greeting is done is not waited for */
	if (read_reply(fd, p, STARTTLS_GREETING, deadline, &r, &extra, why, whylen) < 0)
		return -1;
	if (!r.ok)
		return errf(why, whylen, "the server's greeting: %s", r.text);
	if (extra > 0)
		return errf(why, whylen, "the server spoke out of turn after its greeting");
	if (send_all(fd, caps[p], deadline, why, whylen) < 0 ||
	    read_reply(fd, p, STARTTLS_CAPS, deadline, &r, &extra, why, whylen) < 0)
		return -1;
	if (!r.ok)
		return errf(why, whylen, "the server refused %.*s: %s",
			    (int)strcspn(caps[p], "\r"), caps[p], r.text);
	if (!r.offers_tls)
		return errf(why, whylen, "the server does not offer %s: %s",
			    p == STARTTLS_POP3 ? "STLS" : "STARTTLS", r.text);
	if (extra > 0)
		return errf(why, whylen, "the server spoke out of turn after its capabilities");
	if (send_all(fd, go[p], deadline, why, whylen) < 0 ||
	    read_reply(fd, p, STARTTLS_GO, deadline, &r, &extra, why, whylen) < 0)
		return -1;
	if (!r.ok)
		return errf(why, whylen, "the server refused %s: %s",
			    p == STARTTLS_POP3 ? "STLS" : "STARTTLS", r.text);
	if (extra > 0)
		return errf(why, whylen, "the server sent %zu bytes after its answer to STARTTLS, "
			    "before the TLS handshake (refused: they could be injected)", extra);
	return 0;
}
