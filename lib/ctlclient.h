/*
 * ctlclient.h - the client side of a daemon's control socket (control.h),
 * for kastroctl: one request, the whole answer, however long.
 *
 * An answer is read to the end of the connection, in a buffer that grows
 * up to CTLCLIENT_MAX bytes; an answer that does not end with a newline
 * was cut (the daemon gave up sending, or died) and is an error, never
 * printed as if whole. A daemon that answers in pages ends an "ok" page
 * with a line "more: REQUEST"; the client then sends REQUEST on a new
 * connection, drops that page's first line ("ok") and appends the rest,
 * until a page without such a line, at most CTLCLIENT_PAGES pages.
 *
 * Functions return -1 with a message in err and never print.
 */
#ifndef KASTRO_CTLCLIENT_H
#define KASTRO_CTLCLIENT_H

#include <stddef.h>

#define CTLCLIENT_MAX   (256u << 20)    /* bytes of an answer, pages together */
#define CTLCLIENT_PAGES 100000
#define CTLCLIENT_MORE  "more: "        /* the continuation line's prefix */

/*
 * Send req (one line, without its newline) to the socket at path and read
 * the answer, waiting at most timeout_ms for each read. Returns 0 with
 * *ans (malloc'd, NUL-terminated, the caller frees) and *len; whether it
 * says "ok" or "error: ..." is the caller's to look at. -1 with err when
 * the daemon cannot be reached, does not answer in time, cuts its answer
 * short or answers more than CTLCLIENT_MAX bytes.
 */
int ctlclient_ask(const char *path, const char *req, int timeout_ms, char **ans, size_t *len,
		  char *err, size_t errlen);

#endif
