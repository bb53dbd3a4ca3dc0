/*
 * control.h - a daemon's control socket, for kastroctl: a unix stream
 * socket served by the daemon's privileged process (kastrod's parent,
 * kastro-console, kastro-agent). Mode 0660 with group CONTROL_GROUP when
 * that group exists (the packages create it), otherwise 0600.
 *
 * Protocol: one request per connection. The client sends one line of text
 * (at most CONTROL_LINE_MAX bytes with its newline); the parent answers
 * with text that starts with "ok" or "error: reason" (more lines may
 * follow, e.g. the offending line of a bad configuration), then closes the
 * connection. The commands themselves are the daemon's; this module only
 * moves bytes, with bounds on everything: one client at a time,
 * CONTROL_LINE_MAX bytes in, CONTROL_ANSWER_MAX bytes out, and a deadline
 * of CONTROL_TIMEOUT_MS for the client to send its line and take the answer.
 *
 * Who may do what: root (uid 0 by SO_PEERCRED) may send any request. A
 * daemon that gives its command table (control_set_commands) also serves
 * members of CONTROL_GROUP (the peer's gid or supplementary groups, by
 * SO_PEERCRED and SO_PEERGROUPS), but only the requests its table
 * classifies CONTROL_READ; a CONTROL_CHANGE request from them is refused
 * with "error: permission denied: 'WORD' needs root". The table is the one
 * place a daemon's commands are classified: a request whose first word is
 * not in it is refused for everyone, so a new command cannot be reached
 * until it is classified. Without a table only root is served.
 *
 * An answer that fills the buffer is never sent cut: the client gets an
 * error instead (counted in cut, logged). A command whose answer can be
 * longer answers in pages: an "ok" page whose last line is "more:
 * REQUEST" asks the client to send REQUEST for the rest (ctlclient.h
 * follows them), so an answer of any length arrives whole.
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
#define CONTROL_ANSWER_MAX (256 * 1024)
#define CONTROL_TIMEOUT_MS 5000
#define CONTROL_GROUP "kastro"   /* may use the read-only commands */

enum control_access {
	CONTROL_READ,           /* shows state; root and CONTROL_GROUP */
	CONTROL_CHANGE,         /* changes state or acts; root only */
};

/*
 * One entry of a daemon's command table. A request matches the entry whose
 * word is its first word and whose sub is its second word ("" : the
 * request has one word only); failing that, the entry of the same word
 * with sub NULL (any other second word). So a word whose subcommands
 * differ lists the read-only ones and ends with {word, NULL, CONTROL_CHANGE}:
 * a subcommand added later is root's until classified otherwise. Keep
 * the entries of one word together (the refusal of an unknown request
 * lists each word once).
 */
struct control_cmd {
	const char *word;
	const char *sub;
	enum control_access access;
};

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
	uint64_t cut;                   /* answers longer than CONTROL_ANSWER_MAX, refused */
	uint64_t denied;                /* changing requests of a non-root peer, refused */
	const struct control_cmd *cmds; /* the command table; NULL: root only */
	size_t ncmds;
	gid_t gid;                      /* CONTROL_GROUP's, when group_shared */
	int group_shared;               /* the socket is 0660 with group CONTROL_GROUP */
	uid_t peer_uid;                 /* the client being served */
};

/*
 * Create the socket at path: its directory is made (0755) when missing, a
 * stale socket file is replaced. The socket gets mode 0660 and group
 * CONTROL_GROUP when that group exists and the socket has it (inherited
 * from a set-group-ID directory, or given by chown when the process may),
 * else mode 0600; group_shared says which. A path where a
 * running daemon answers is an error (two daemons would fight over the
 * kernel's table or the console's database). Returns 0, or -1 with err set.
 */
int control_open(struct control *c, const char *path, char *err, size_t errlen);

/*
 * Serve members of CONTROL_GROUP too, with the daemon's command table (n
 * entries, static storage) deciding what each may ask; see above. Call
 * after control_open.
 */
void control_set_commands(struct control *c, const struct control_cmd *t, size_t n);

/*
 * The entry of table t (n entries) that request line matches, or NULL when
 * its first word is in no entry (or the line is empty).
 */
const struct control_cmd *control_lookup(const struct control_cmd *t, size_t n,
					 const char *line);

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
