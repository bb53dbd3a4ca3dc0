/*
 * httphead.c - see httphead.h.
 */
#include "httphead.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t httphead_end(const char *buf, size_t len)
{
	size_t line = 0;                /* start of the current line */

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* An empty line (LF or CRLF) after the request line ends it. */
		if (line > 0 && (i == line || (i == line + 1 && buf[line] == '\r')))
			return i + 1;
		line = i + 1;
	}
	return 0;
}

static int refuse(struct httphead *h, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct httphead *h, int status, const char *fmt, ...)
{
	va_list ap;

	h->status = status;
	va_start(ap, fmt);
	vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The methods the console's APIs use. */
static bool method_served(const char *p, size_t m)
{
	/* HEAD: push checks' pings (push.c) */
	static const char *const ok[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == m && memcmp(ok[i], p, m) == 0)
			return true;
	return false;
}

/* The request line: METHOD SP TARGET SP HTTP/1.x */
static int check_request_line(const char *p, size_t n, struct httphead *h)
{
	size_t i = 0, m, t;

	while (i < n && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	m = i;
	if (m == 0 || m > 16 || i >= n || p[i] != ' ')
		return refuse(h, 400, "malformed request line: expected METHOD TARGET HTTP/1.1");
	if (!method_served(p, m))
		return refuse(h, 405, "method %.*s is not served: GET, HEAD, POST, PUT, PATCH or DELETE",
			      (int)m, p);
	t = ++i;
	while (i < n && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ')
		return refuse(h, 400, "malformed request line: expected METHOD TARGET HTTP/1.1");
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0)
		return refuse(h, 400, "malformed request line: expected METHOD TARGET HTTP/1.1");
	if (p[i + 7] != '0' && p[i + 7] != '1')
		return refuse(h, 505, "HTTP version %.8s is not served: use HTTP/1.1", p + i);
	return 0;
}

/* Does the header name p[0..n) equal want, ignoring case? */
static bool name_is(const char *p, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(p, want, n) == 0;
}

static int check_length(const char *v, size_t n, uint64_t max_body, bool *seen,
			struct httphead *h)
{
	uint64_t x = 0;

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 19)
		return refuse(h, 400, "Content-Length: expected a decimal number of bytes");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return refuse(h, 400, "Content-Length: expected a decimal number of bytes");
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (*seen && x != h->content_length)
		return refuse(h, 400, "Content-Length given twice with different values");
	*seen = true;
	h->content_length = x;
	if (x > max_body)
		return refuse(h, 413, "request body of %llu bytes is over the limit of %llu bytes",
			      (unsigned long long)x, (unsigned long long)max_body);
	return 0;
}

int httphead_check(const char *head, size_t len, uint64_t max_body, struct httphead *h)
{
	const char *p = head, *end = head + len;
	bool first = true, seen_length = false;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL)
			return refuse(h, 400, "request head does not end in an empty line");
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\0', n) != NULL || memchr(p, '\r', n) != NULL)
			return refuse(h, 400, "request head holds a NUL or a bare CR");
		if (first) {
			if (check_request_line(p, n, h) < 0)
				return -1;
			first = false;
		} else if (n == 0) {
			return 0;               /* the empty line: the end */
		} else {
			size_t k = 0;
			const char *v;
			size_t vn;

			if (p[0] == ' ' || p[0] == '\t')
				return refuse(h, 400, "folded header lines are not accepted");
			while (k < n && is_tchar((unsigned char)p[k]))
				k++;
			if (k == 0 || k >= n || p[k] != ':')
				return refuse(h, 400, "malformed header line: expected NAME: VALUE");
			v = p + k + 1;
			vn = n - k - 1;
			while (vn > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			if (name_is(p, k, "Content-Length")) {
				if (check_length(v, vn, max_body, &seen_length, h) < 0)
					return -1;
			} else if (name_is(p, k, "Expect") &&
				   !(vn >= 12 && strncasecmp(v, "100-continue", 12) == 0 &&
				     strspn(v + 12, " \t") == vn - 12)) {
				return refuse(h, 417, "Expect: only 100-continue is understood");
			} else if (name_is(p, k, "Transfer-Encoding")) {
				return refuse(h, 411,
					      "Transfer-Encoding is not accepted: send the body with a "
					      "Content-Length");
			}
		}
		p = nl + 1;
	}
	return refuse(h, 400, "request head does not end in an empty line");
}
