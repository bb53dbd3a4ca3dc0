/*
 * send.h - one hook's sender: puts a formatted alert on the wire and says
 * whether the receiver took it (docs/hooks.md, "When a delivery is done").
 *
 *   syslog tcp://   RFC 6587 octet counting; done when written and flushed
 *                   to the kernel (TCP has no application acknowledgement)
 *   syslog tls://   RFC 5425: the same inside TLS; the server's certificate
 *                   is verified against ca (or the system's CAs) and its name
 *   syslog udp://   RFC 5426; done when sent: lossy, and says so
 *   syslog relp://  librelp; done when the server acknowledged the message
 *   email           libcurl SMTP; done on 250 after DATA
 *   webhook         libcurl HTTPS POST; done on 2xx
 *
 * A sender keeps its connection between messages (syslog) and is used by
 * one thread at a time. Secrets (SMTP password, webhook key, client key)
 * are read from their files at each use and never appear in an answer.
 */
#ifndef KASTRO_SEND_H
#define KASTRO_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "hooks.h"

enum send_result {
	SEND_OK,          /* the receiver accepted it */
	SEND_RETRY,       /* unreachable, timed out, or a temporary refusal: try again */
	SEND_REFUSED,     /* a permanent refusal (HTTP 4xx, SMTP 5xx, bad certificate) */
	SEND_ERROR,       /* ours: a secret file unreadable, out of memory */
};

struct sender;

/* A sender for h (copied). NULL when out of memory. */
struct sender *send_new(const struct hook_def *h);
void send_free(struct sender *s);

/*
 * Send alert a; timeout_s bounds the whole attempt. answer (anslen bytes)
 * gets what the receiver said, or why it could not be reached, one line.
 */
enum send_result send_alert(struct sender *s, const struct fmt_alert *a,
			    const struct fmt_ctx *ctx, int64_t now, unsigned timeout_s,
			    char *answer, size_t anslen);

/*
 * Batches, for syslog over tcp:// and tls:// (send_batches()): what is
 * done there is "written to the connection", so several messages may go in
 * one write. send_queue() formats and frames a into the sender's batch:
 * 0 queued, 1 the batch is full (flush, then queue it again), -1 it cannot
 * be formatted (answer says why). send_flush() writes the batch as
 * send_alert() would one message (SEND_OK: every queued message was
 * written); either way the batch is empty after it.
 */
bool send_batches(const struct sender *s);
int send_queue(struct sender *s, const struct fmt_alert *a, const struct fmt_ctx *ctx,
	       char *answer, size_t anslen);
enum send_result send_flush(struct sender *s, unsigned timeout_s, char *answer, size_t anslen);

/*
 * Send n alerts of an email hook as one digest mail (fmt_mail_digest);
 * as send_alert otherwise.
 */
enum send_result send_digest(struct sender *s, const struct fmt_alert *a, int n,
			     const struct fmt_ctx *ctx, int64_t now, unsigned timeout_s,
			     char *answer, size_t anslen);

/*
 * The webhook signature: "t=TS,v1=HEX" where HEX is HMAC-SHA256 with key
 * over "TS.BODY" (lower-case hex). -1 when out is too small.
 */
int send_sign(const unsigned char *key, size_t keylen, int64_t ts, const char *body,
	      size_t blen, char *out, size_t outlen);

/* Process-wide set-up of libcurl; call once before threads start. */
int send_global_init(void);

const char *send_result_name(enum send_result r);

#endif
