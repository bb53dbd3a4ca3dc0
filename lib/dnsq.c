/*
 * dnsq.c - see dnsq.h.
 */
#include "dnsq.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errf.h"
#include "mono.h"

int dnsq_server(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *why,
		size_t whylen)
{
	char host[64];
	const char *port = NULL, *colon = strrchr(spec, ':'), *h = spec;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	bool bracketed = spec[0] == '[';
	unsigned long p = 53;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (bracketed) {
		const char *end = strchr(spec, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return errf(why, whylen, "\"%s\" is not an address, expected such as "
				    "\"[fd00:20::2]:5353\"", spec);
		h = spec + 1;
		n = (size_t)(end - h);
		if (end[1] == ':')
			port = end + 2;
	} else if (colon != NULL && strchr(spec, ':') == colon) {
		n = (size_t)(colon - spec);     /* one colon: IPv4 and a port */
		port = colon + 1;
	} else {
		n = strlen(spec);
	}
	if (n >= sizeof(host))
		return errf(why, whylen, "\"%.64s\" is not an IPv4 or IPv6 address", spec);
	memcpy(host, h, n);
	host[n] = '\0';
	if (port != NULL) {
		char *end;

		errno = 0;
		p = strtoul(port, &end, 10);
		if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
			return errf(why, whylen, "\"%s\" is not a port from 1 to 65535", port);
	}
	if (!bracketed && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 && (bracketed || port == NULL)) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return 0;
	}
	return errf(why, whylen, "\"%s\" is not an IPv4 or IPv6 address%s", host,
		    bracketed ? " (brackets are for IPv6)" : "");
}

/* Wait for events on fd until deadline: 1, or 0 when it passed. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = events };
		uint64_t now = mono_ms();
		int r;

		if (now >= deadline)
			return 0;
		r = poll(&pf, 1, (int)(deadline - now));
		if (r > 0)
			return 1;
		if (r == 0 || errno != EINTR)
			return 0;
	}
}

static int over_tcp(const struct sockaddr *sa, socklen_t salen, const unsigned char *q, int qn,
		    unsigned char *ans, uint64_t deadline, char *why, size_t whylen)
{
	unsigned char out[2 + 512], hd[2];
	size_t need = 2, got = 0, sent = 0, len = 0;
	int fd, e = 0;
	socklen_t sl = sizeof(e);

	if (qn > 512)
		return errf(why, whylen, "the query is too long");
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errf(why, whylen, "socket: %s", strerror(errno));
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
		errf(why, whylen, "truncated over UDP, and over TCP: %s", strerror(errno));
		goto fail;
	}
	if (!wait_fd(fd, POLLOUT, deadline) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 ||
	    e != 0) {
		errf(why, whylen, "truncated over UDP, and over TCP: %s",
		     e != 0 ? strerror(e) : "no connection within the timeout");
		goto fail;
	}
	out[0] = (unsigned char)(qn >> 8);
	out[1] = (unsigned char)qn;
	memcpy(out + 2, q, (size_t)qn);
	while (sent < (size_t)qn + 2) {
		ssize_t w;

		if (!wait_fd(fd, POLLOUT, deadline)) {
			errf(why, whylen, "truncated over UDP, and TCP timed out");
			goto fail;
		}
		w = send(fd, out + sent, (size_t)qn + 2 - sent, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			errf(why, whylen, "over TCP: %s", strerror(errno));
			goto fail;
		}
		if (w > 0)
			sent += (size_t)w;
	}
	/* the length, then the answer */
	for (int part = 0; part < 2; part++) {
		unsigned char *to = part == 0 ? hd : ans;

		got = 0;
		while (got < need) {
			ssize_t r;

			if (!wait_fd(fd, POLLIN, deadline)) {
				errf(why, whylen, "truncated over UDP, and no answer over TCP "
				     "within the timeout");
				goto fail;
			}
			r = recv(fd, to + got, need - got, 0);
			if (r == 0) {
				errf(why, whylen, "over TCP: the server closed the connection");
				goto fail;
			}
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				errf(why, whylen, "over TCP: %s", strerror(errno));
				goto fail;
			}
			if (r > 0)
				got += (size_t)r;
		}
		if (part == 0) {
			len = (size_t)hd[0] << 8 | hd[1];
			if (len < HFIXEDSZ) {
				errf(why, whylen, "over TCP: an answer of %zu bytes", len);
				goto fail;
			}
			need = len;
		}
	}
	close(fd);
	if (memcmp(ans, q, 2) != 0)
		return errf(why, whylen, "over TCP: an answer to another query");
	return (int)len;
fail:
	close(fd);
	return -1;
}

int dnsq_exchange(const struct sockaddr *sa, socklen_t salen, const unsigned char *q, int qn,
		  unsigned char *ans, uint64_t deadline, char *why, size_t whylen)
{
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return errf(why, whylen, "socket: %s", strerror(errno));
	/* connected: the kernel drops datagrams from other addresses */
	if (connect(fd, sa, salen) < 0 || send(fd, q, (size_t)qn, 0) != qn) {
		errf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		if (!wait_fd(fd, POLLIN, deadline)) {
			close(fd);
			return errf(why, whylen, "no answer within the timeout");
		}
		n = recv(fd, ans, DNSQ_ANSWER_MAX, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			/* ECONNREFUSED: an ICMP port unreachable came back */
			errf(why, whylen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		/* an answer (QR set) to this query's ID; anything else is not waited for */
		if (n >= HFIXEDSZ && memcmp(ans, q, 2) == 0 && (ans[2] & 0x80) != 0)
			break;
	}
	close(fd);
	if ((ans[2] & 0x02) != 0)       /* TC: truncated */
		return over_tcp(sa, salen, q, qn, ans, deadline, why, whylen);
	return (int)n;
}

/* The record's data as text: an address, a name, or the TXT strings. */
static void rdata_text(ns_msg *m, ns_rr *rr, char *out, size_t outlen)
{
	const unsigned char *d = ns_rr_rdata(*rr);
	size_t n = ns_rr_rdlen(*rr);

	out[0] = '\0';
	switch (ns_rr_type(*rr)) {
	case ns_t_a:
		if (n == 4)
			inet_ntop(AF_INET, d, out, (socklen_t)outlen);
		break;
	case ns_t_aaaa:
		if (n == 16)
			inet_ntop(AF_INET6, d, out, (socklen_t)outlen);
		break;
	case ns_t_mx:
		if (n > 2 && ns_name_uncompress(ns_msg_base(*m), ns_msg_end(*m), d + 2, out,
						outlen) < 0)
			out[0] = '\0';
		break;
	case ns_t_cname:
	case ns_t_ns:
		if (ns_name_uncompress(ns_msg_base(*m), ns_msg_end(*m), d, out, outlen) < 0)
			out[0] = '\0';
		break;
	case ns_t_txt: {
		size_t o = 0, i = 0;

		while (i < n && o + 1 < outlen) {
			size_t l = d[i++];

			for (; l > 0 && i < n && o + 1 < outlen; l--, i++)
				out[o++] = (char)(d[i] >= 0x20 && d[i] < 0x7f ? d[i] : '?');
		}
		out[o] = '\0';
		break;
	}
	default:
		break;
	}
	/* names may hold any byte (escaped by ns_name_uncompress, but be sure) */
	for (char *c = out; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

int dnsq_answer(const unsigned char *a, int n, int type, const char *expect,
		struct dnsq_result *r)
{
	ns_msg m;

	memset(r, 0, sizeof(*r));
	r->rcode = -1;
	if (n < 0 || ns_initparse(a, n, &m) < 0)
		return -1;
	r->rcode = ns_msg_getflag(m, ns_f_rcode);
	for (int i = 0; i < ns_msg_count(m, ns_s_an); i++) {
		ns_rr rr;
		char txt[256];

		if (ns_parserr(&m, ns_s_an, i, &rr) < 0)
			break;
		if ((int)ns_rr_type(rr) != type)
			continue;
		rdata_text(&m, &rr, txt, sizeof(txt));
		if (r->n_type++ == 0)
			snprintf(r->first, sizeof(r->first), "%s", txt);
		if (expect[0] != '\0' && strcasecmp(txt, expect) == 0)
			r->found = true;
	}
	return 0;
}
