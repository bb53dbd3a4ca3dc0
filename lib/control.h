/*
 * control.h - a daemon's control socket, for kastroctl: a unix stream
 * socket, mode 0600 and owned by root, served by the daemon's privileged
 * process (kastrod's parent, kastro-console).
 *
 * Protocol: one request per connection. The client sends one line of text
 * (at most CONTROL_LINE_MAX bytes with its newline); the parent answers
 * with text that starts with "ok" or "error: reason" (more lines may
 * follow, e.g. the offending line of a bad configuration), then closes the
 * connection. The commands themselves are the daemon's; this module only
 * moves bytes, with bounds on everything: one client at a time,
 * CONTROL_LINE_MAX bytes in, CONTROL_ANSWER_MAX bytes out, and a deadline
 * of CONTROL_TIMEOUT_MS for the client to send its line and take the answer.
 * Only clients with uid 0 (SO_PEERCRED) are served.
 */
#ifndef KASTRO_CONTROL_H
#define KASTRO_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTROL_KASTROD_PATH "/run/kastro/kastrod.sock"
#define CONTROL_CONSOLE_PATH "/run/kastro/console.sock"
#define CONTROL_AGENT_PATH "/run/kastro/agent.sock"
#define CONTROL_LINE_MAX 1024
#define CONTROL_ANSWER_MAX 65536      /* kastroctl policy: a line per rule */
#define CONTROL_TIMEOUT_MS 5000

/*
 * Answer one request. line is NUL-terminated without its newline; write the
 * answer (NUL-terminated, "ok..." or "error: ...") into ans.
 */
typedef void (*control_fn)(void *ctx, const char *line, char *ans, size_t anslen);

struct control {
	int lfd;                        /* listening socket; -1: closed */
	int cfd;                        /* the client being served; -1: none */
	uint64_t deadline_ms;           /* for the client (monotonic) */
	char line[CONTROL_LINE_MAX + 1];
	size_t len;
	char path[108];                 /* sun_path */
	uint64_t requests, refused;     /* refused: not root, too long, too slow */
};

/*
 * Create the socket at path: its directory is made (0755) when missing, a
 * stale socket file is replaced, the socket gets mode 0600. A path where a
 * running daemon answers is an error (two daemons would fight over the
 * kernel's table or the console's database). Returns 0, or -1 with err set.
 */
int control_open(struct control *c, const char *path, char *err, size_t errlen);

/* Close the socket and remove its file. */
void control_close(struct control *c);

/* The descriptor to poll for POLLIN now (the listener or the client), -1: none. */
int control_poll_fd(const struct control *c);

/* Milliseconds until the client's deadline, -1: no client. */
int control_timeout_ms(const struct control *c);

/*
 * After poll(): accept a client or read from it; once its line is complete,
 * call fn and send the answer. Also ends a client past its deadline. A
 * misbehaving client is counted and dropped, never an error for the caller.
 */
void control_handle(struct control *c, short revents, control_fn fn, void *ctx);

/*
 * Split line in place into at most max words at spaces and tabs. Returns
 * the number of words, or -1 when there are more than max.
 */
int control_split(char *line, char **w, int max);

#endif
