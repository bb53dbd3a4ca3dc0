/*
 * ctlclient.c - see ctlclient.h.
 */
#include "ctlclient.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "errf.h"

struct buf {
	char *p;
	size_t len, cap;
};

static int grow(struct buf *b, size_t want, char *err, size_t errlen)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *p;

	if (want > CTLCLIENT_MAX)
		return errf(err, errlen, "the answer is longer than %u bytes", CTLCLIENT_MAX);
	while (cap < want + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->p, cap);
	if (p == NULL)
		return errf(err, errlen, "out of memory");
	b->p = p;
	b->cap = cap;
	return 0;
}

/* One request on one connection; its answer appended to b. */
static int ask_once(const char *path, const char *req, int timeout_ms, struct buf *b,
		    char *err, size_t errlen)
{
	struct sockaddr_un sa;
	size_t rl = strlen(req), start = b->len;
	int fd, send_errno = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return errf(err, errlen, "socket path too long: %s", path);
	if (rl + 1 > CONTROL_LINE_MAX || memchr(req, '\n', rl) != NULL)
		return errf(err, errlen, "request longer than %d bytes or of several lines",
			    CONTROL_LINE_MAX - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		errf(err, errlen, "cannot reach the daemon at %s: %s (is it running, and are you "
		     "root or in group " CONTROL_GROUP "?)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* a daemon that refuses us answers and closes before it reads: read that answer */
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		send_errno = errno ? errno : EIO;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0) {
			close(fd);
			return errf(err, errlen, "no answer from the daemon within %d s",
				    timeout_ms / 1000);
		}
		if (grow(b, b->len + 65536, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		r = read(fd, b->p + b->len, b->cap - 1 - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		/* it closed without reading our request: the reset comes after its answer */
		if (r < 0 && b->len > start && (send_errno != 0 || errno == ECONNRESET))
			break;
		if (r < 0) {
			close(fd);
			if (send_errno != 0)
				return errf(err, errlen, "%s: cannot send: %s", path,
					    strerror(send_errno));
			return errf(err, errlen, "%s: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
	close(fd);
	b->p[b->len] = '\0';
	if (b->len == start && send_errno != 0)
		return errf(err, errlen, "%s: cannot send: %s", path, strerror(send_errno));
	if (b->len == start)
		return errf(err, errlen, "the daemon closed the connection without an answer");
	if (b->p[b->len - 1] != '\n')
		return errf(err, errlen, "the daemon's answer was cut short after %zu bytes; "
			    "nothing printed", b->len - start);
	return 0;
}

int ctlclient_ask(const char *path, const char *req, int timeout_ms, char **ans, size_t *len,
		  char *err, size_t errlen)
{
	struct buf b = { 0 };
	char next[CONTROL_LINE_MAX + 1];
	unsigned pages = 0;

	*ans = NULL;
	*len = 0;
	snprintf(next, sizeof(next), "%s", req);
	for (;;) {
		size_t page = b.len;
		char *last;

		if (ask_once(path, next, timeout_ms, &b, err, errlen) < 0)
			goto fail;
		if (pages > 0) {
			/* a later page: its "ok" line goes */
			char *nl = strchr(b.p + page, '\n');

			if (strncmp(b.p + page, "ok", 2) != 0 || nl == NULL) {
				errf(err, errlen, "page %u of the answer: %.200s", pages + 1,
				     b.p + page);
				goto fail;
			}
			memmove(b.p + page, nl + 1, b.len - (size_t)(nl + 1 - b.p) + 1);
			b.len -= (size_t)(nl + 1 - (b.p + page));
		}
		if (strncmp(b.p, "ok", 2) != 0)
			break;
		/* the last line: "more: REQUEST"? */
		b.p[b.len - 1] = '\0';
		last = strrchr(b.p, '\n');
		last = last ? last + 1 : b.p;
		b.p[b.len - 1] = '\n';
		if (strncmp(last, CTLCLIENT_MORE, strlen(CTLCLIENT_MORE)) != 0)
			break;
		if (++pages >= CTLCLIENT_PAGES) {
			errf(err, errlen, "more than %d pages in the answer", CTLCLIENT_PAGES);
			goto fail;
		}
		{
			size_t l = (size_t)(b.p + b.len - 1 - last) - strlen(CTLCLIENT_MORE);

			if (l >= sizeof(next)) {
				errf(err, errlen, "the daemon asked to continue with a request too long");
				goto fail;
			}
			memcpy(next, last + strlen(CTLCLIENT_MORE), l);
			next[l] = '\0';
		}
		b.len = (size_t)(last - b.p);
		b.p[b.len] = '\0';
	}
	*ans = b.p;
	*len = b.len;
	return 0;
fail:
	free(b.p);
	return -1;
}
