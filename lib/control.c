/*
 * control.c - see control.h. Runs in a daemon's privileged process and reads bytes
 * from local clients that are root or in group kastro only; it still bounds
 * everything, so a stuck or broken client cannot hold the daemon up.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono.h"

/* Does a daemon answer at this path? Then it is not stale. */
static int someone_listens(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return r == 0;
}

/*
 * Give the socket to CONTROL_GROUP when that group exists: it may have it
 * already (a set-group-ID directory such as the packages' /run/kastro), or
 * get it by chown (root with CAP_CHOWN). Otherwise it stays root's alone.
 */
static void share_with_group(struct control *c)
{
	struct group gr, *res = NULL;
	char buf[4096];
	struct stat st;

	if (getgrnam_r(CONTROL_GROUP, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return;
	if (lstat(c->path, &st) < 0)
		return;
	if (st.st_gid != gr.gr_gid && chown(c->path, (uid_t)-1, gr.gr_gid) < 0)
		return;
	c->gid = gr.gr_gid;
	c->group_shared = 1;
}

int control_open(struct control *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd;

	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	c->cfd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: need an absolute path under %zu bytes",
			 path, sizeof(sa.sun_path));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	memcpy(c->path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "control socket %s: cannot make its directory: %s", path,
			 strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: a file that is not a socket is there",
				 path);
			return -1;
		}
		if (someone_listens(&sa)) {
			snprintf(err, errlen, "control socket %s: another daemon answers there; "
				 "stop it first, or give --control another path", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	/* Never a moment with wider permissions than 0600. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	share_with_group(c);
	if (chmod(path, c->group_shared ? 0660 : 0600) < 0 || listen(fd, 8) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	c->lfd = fd;
	return 0;
}

static void drop_client(struct control *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	c->cfd = -1;
	c->len = 0;
}

void control_close(struct control *c)
{
	drop_client(c);
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	c->lfd = -1;
}

int control_poll_fd(const struct control *c)
{
	return c->cfd >= 0 ? c->cfd : c->lfd;
}

int control_timeout_ms(const struct control *c)
{
	uint64_t now;

	if (c->cfd < 0)
		return -1;
	now = mono_ms();
	return now >= c->deadline_ms ? 0 : (int)(c->deadline_ms - now);
}

void control_set_commands(struct control *c, const struct control_cmd *t, size_t n)
{
	c->cmds = t;
	c->ncmds = n;
}

/*
 * Is the peer on fd in group want (its gid, or one of its supplementary
 * groups as they were when it connected)? A peer in more than PEER_GROUPS_MAX
 * groups is taken as not in it.
 */
#define PEER_GROUPS_MAX 256
static int peer_in_group(int fd, gid_t primary, gid_t want)
{
	gid_t g[PEER_GROUPS_MAX];
	socklen_t len = sizeof(g);
	size_t i;

	if (primary == want)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0)
		return 0;
	for (i = 0; i < len / sizeof(g[0]); i++)
		if (g[i] == want)
			return 1;
	return 0;
}

static void accept_client(struct control *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && (c->cmds == NULL || !c->group_shared ||
			       !peer_in_group(fd, cred.gid, c->gid)))) {
		static const char no[] = "error: permission denied: only root and members of "
					 "group " CONTROL_GROUP " may use this socket\n";

		(void)send(fd, no, sizeof(no) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		c->refused++;
		return;
	}
	c->peer_uid = cred.uid;
	c->cfd = fd;
	c->len = 0;
	c->deadline_ms = mono_ms() + CONTROL_TIMEOUT_MS;
}

/* Send all of buf before the deadline, waiting for the client as needed. */
static void send_answer(struct control *c, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(c->cfd, buf + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd p;
		int left;

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return;
		left = control_timeout_ms(c);
		if (left <= 0) {
			log_warn("control: a client did not take its answer within %d ms; cut after "
				 "%zu of %zu bytes", CONTROL_TIMEOUT_MS, off, n);
			return;
		}
		p.fd = c->cfd;
		p.events = POLLOUT;
		if (poll(&p, 1, left) <= 0)
			return;
	}
}

/* The first word of s and its length; *next: after it. */
static const char *word_at(const char *s, size_t *len, const char **next)
{
	while (*s == ' ' || *s == '\t')
		s++;
	*len = strcspn(s, " \t");
	*next = s + *len;
	return s;
}

static int word_is(const char *w, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(w, name, len) == 0;
}

const struct control_cmd *control_lookup(const struct control_cmd *t, size_t n,
					 const char *line)
{
	const struct control_cmd *any = NULL;
	const char *w1, *w2, *rest;
	size_t l1, l2, i;

	w1 = word_at(line, &l1, &rest);
	w2 = word_at(rest, &l2, &rest);
	if (l1 == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!word_is(w1, l1, t[i].word))
			continue;
		if (t[i].sub == NULL) {
			if (any == NULL)
				any = &t[i];
		} else if (word_is(w2, l2, t[i].sub)) {
			return &t[i];
		}
	}
	return any;
}

/*
 * Check the request against the command table: 0, go on; -1, refused with
 * the reason in ans.
 */
static int admit(struct control *c, char *ans, size_t anslen)
{
	const struct control_cmd *e = control_lookup(c->cmds, c->ncmds, c->line);
	const char *w1, *w2, *rest;
	size_t l1, l2, i, o;
	int named = 0;

	w1 = word_at(c->line, &l1, &rest);
	w2 = word_at(rest, &l2, &rest);
	if (e == NULL) {
		o = (size_t)snprintf(ans, anslen, "error: unknown request '%.*s'; expected one of:",
				     (int)(l1 > 64 ? 64 : l1), w1);
		for (i = 0; i < c->ncmds && o < anslen; i++) {
			if (i > 0 && strcmp(c->cmds[i - 1].word, c->cmds[i].word) == 0)
				continue;
			o += (size_t)snprintf(ans + o, anslen - o, " %s", c->cmds[i].word);
		}
		return -1;
	}
	if (e->access == CONTROL_READ || c->peer_uid == 0)
		return 0;
	c->denied++;
	/* name the subcommand when the word has read-only ones too */
	for (i = 0; i < c->ncmds; i++)
		if (c->cmds[i].access == CONTROL_READ && strcmp(c->cmds[i].word, e->word) == 0)
			named = 1;
	if (named && l2 > 0)
		snprintf(ans, anslen, "error: permission denied: '%s %.*s' needs root", e->word,
			 (int)(l2 > 32 ? 32 : l2), w2);
	else
		snprintf(ans, anslen, "error: permission denied: '%s' needs root", e->word);
	return -1;
}

static void serve(struct control *c, control_fn fn, void *ctx)
{
	static char ans[CONTROL_ANSWER_MAX];
	size_t n;

	ans[0] = '\0';
	c->requests++;
	if (c->cmds == NULL || admit(c, ans, sizeof(ans) - 1) == 0)
		fn(ctx, c->line, ans, sizeof(ans) - 1);
	n = strnlen(ans, sizeof(ans) - 2);
	if (n == sizeof(ans) - 2) {
		/* it filled the buffer: cut, so not sent as if whole */
		c->cut++;
		log_warn("control: the answer to \"%.60s\" is longer than %d bytes; refused",
			 c->line, CONTROL_ANSWER_MAX - 2);
		n = (size_t)snprintf(ans, sizeof(ans), "error: the answer is longer than %d bytes "
				     "and was not sent; ask for less\n", CONTROL_ANSWER_MAX - 2);
	}
	if (n == 0 || ans[n - 1] != '\n')
		ans[n++] = '\n';
	send_answer(c, ans, n);
	drop_client(c);
}

void control_handle(struct control *c, short revents, control_fn fn, void *ctx)
{
	char *nl;
	ssize_t r;

	if (c->cfd < 0) {
		if (revents & POLLIN)
			accept_client(c);
		return;
	}
	if (control_timeout_ms(c) == 0) {
		c->refused++;
		log_warn("control: a client sent no complete request within %d ms; dropped",
			 CONTROL_TIMEOUT_MS);
		drop_client(c);
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	r = recv(c->cfd, c->line + c->len, sizeof(c->line) - 1 - c->len, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		drop_client(c);
		return;
	}
	c->len += (size_t)r;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (!nl) {
		if (c->len < sizeof(c->line) - 1)
			return;
		c->refused++;
		send_answer(c, "error: request too long\n", 24);
		drop_client(c);
		return;
	}
	if (memchr(c->line, '\0', (size_t)(nl - c->line))) {
		c->refused++;
		send_answer(c, "error: request is not text\n", 27);
		drop_client(c);
		return;
	}
	*nl = '\0';
	if (nl > c->line && nl[-1] == '\r')
		nl[-1] = '\0';
	serve(c, fn, ctx);
}

int control_split(char *line, char **w, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}
