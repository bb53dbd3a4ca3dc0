/*
 * scanproc.c - see scanproc.h: the messages both ways, and the parent's
 * side (starting, restarting and driving the child). The child's side is
 * scanchild.c.
 */
#include "scanproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errf.h"
#include "mono.h"

/* ---- messages ------------------------------------------------------------ */

struct hdr {
	uint32_t type, len;
};

/* The next NUL-terminated string of [*p, end); NULL when there is none. */
static const char *next_str(char **p, char *end)
{
	char *s = *p, *z;

	if (s >= end)
		return NULL;
	z = memchr(s, '\0', (size_t)(end - s));
	if (z == NULL)
		return NULL;
	*p = z + 1;
	return s;
}

static bool ident(const char *s)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

int scanproc_parse(uint32_t type, char *p, size_t len, struct scanproc_msg *m, char *err,
		   size_t errlen)
{
	char *end = p + len, *q = p, *tags;
	int32_t i32;
	uint32_t u32;

	memset(m, 0, sizeof(*m));
	if (len > SCANPROC_MSG_MAX)
		return errf(err, errlen, "message of %zu bytes, more than %d", len, SCANPROC_MSG_MAX);
	switch (type) {
	case SCANPROC_FINDING:
		if (len < 4)
			return errf(err, errlen, "finding: %zu bytes", len);
		memcpy(&i32, p, 4);
		q = p + 4;
		m->path = next_str(&q, end);
		m->rule = next_str(&q, end);
		m->ns = next_str(&q, end);
		m->sha256 = next_str(&q, end);
		tags = (char *)next_str(&q, end);
		m->json = next_str(&q, end);
		if (m->json == NULL || q != end)
			return errf(err, errlen, "finding: expected six strings filling the message");
		if (i32 < 1 || i32 > 4 || m->path[0] == '\0' || !ident(m->rule) || !ident(m->ns) ||
		    strlen(m->sha256) != 64 || strspn(m->sha256, "0123456789abcdef") != 64 ||
		    m->json[0] != '{')
			return errf(err, errlen, "finding: a field out of its range");
		m->severity = i32;
		for (char *t = tags, *sp; *t; t = sp) {
			sp = strchr(t, ' ');
			if (sp != NULL)
				*sp++ = '\0';
			else
				sp = t + strlen(t);
			if (m->ntags == FINDING_MAX_TAGS || !ident(t))
				return errf(err, errlen, "finding: tags: expected at most %d identifiers",
					    FINDING_MAX_TAGS);
			m->tags[m->ntags++] = t;
		}
		break;
	case SCANPROC_SKIP:
		if (len < 4)
			return errf(err, errlen, "skip: %zu bytes", len);
		memcpy(&u32, p, 4);
		q = p + 4;
		m->path = next_str(&q, end);
		m->detail = next_str(&q, end);
		if (m->detail == NULL || q != end || u32 >= SCAN_SKIP_N || m->path[0] == '\0')
			return errf(err, errlen, "skip: expected a reason, a path and a detail");
		m->reason = (enum scan_skip)u32;
		break;
	case SCANPROC_CACHE:
		if (len != 4 + sizeof(m->key))
			return errf(err, errlen, "cache: %zu bytes, expected %zu", len,
				    4 + sizeof(m->key));
		memcpy(&u32, p, 4);
		if (u32 > 1)
			return errf(err, errlen, "cache: insert is %u", u32);
		m->insert = (int)u32;
		memcpy(&m->key, p + 4, sizeof(m->key));
		break;
	case SCANPROC_DONE:
		if (len < 4 + sizeof(m->sum) + 1)
			return errf(err, errlen, "done: %zu bytes", len);
		memcpy(&i32, p, 4);
		memcpy(&m->sum, p + 4, sizeof(m->sum));
		q = p + 4 + sizeof(m->sum);
		m->err = next_str(&q, end);
		if (m->err == NULL || q != end || (i32 != 0 && i32 != -1) ||
		    m->sum.rules_version[sizeof(m->sum.rules_version) - 1] != '\0')
			return errf(err, errlen, "done: expected a status, a summary and a text");
		m->rc = i32;
		break;
	case SCANPROC_HELLO:
		if (len != 8)
			return errf(err, errlen, "hello: %zu bytes, expected 8", len);
		memcpy(&m->tasks, p, 4);
		memcpy(&m->uid, p + 4, 4);
		break;
	case SCANPROC_LOADED:
		if (len < 20)
			return errf(err, errlen, "loaded: %zu bytes", len);
		memcpy(&m->gen, p, 4);
		memcpy(&i32, p + 4, 4);
		memcpy(&m->rules, p + 8, 4);
		memcpy(&m->files, p + 12, 4);
		memcpy(&m->warnings, p + 16, 4);
		q = p + 20;
		m->version = next_str(&q, end);
		m->err = next_str(&q, end);
		if (m->err == NULL || q != end || (i32 != 0 && i32 != -1))
			return errf(err, errlen, "loaded: expected a status, counts and two texts");
		if (i32 == 0 && (strlen(m->version) != RULES_VERSION_LEN ||
				 strspn(m->version, "0123456789abcdef") != RULES_VERSION_LEN))
			return errf(err, errlen, "loaded: the version is not %d hex digits",
				    RULES_VERSION_LEN);
		if (i32 == -1 && m->err[0] == '\0')
			return errf(err, errlen, "loaded: a failure without its reason");
		m->rc = i32;
		break;
	case SCANPROC_PROGRESS:
		if (len != 8)
			return errf(err, errlen, "progress: %zu bytes, expected 8", len);
		memcpy(&m->busy_ms, p, 8);
		break;
	default:
		return errf(err, errlen, "unknown message type %u", type);
	}
	m->type = (enum scanproc_type)type;
	return 0;
}

int scanproc_parse_req(uint32_t type, char *p, size_t len, struct scanproc_req *r, char *err,
		       size_t errlen)
{
	char *end = p + len, *q;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (len > SCANPROC_MSG_MAX)
		return errf(err, errlen, "request of %zu bytes, more than %d", len, SCANPROC_MSG_MAX);
	switch (type) {
	case SCANPROC_INIT:
		if (len < 25)
			return errf(err, errlen, "init: %zu bytes", len);
		memcpy(&r->uid, p, 4);
		memcpy(&r->gid, p + 4, 4);
		memcpy(&r->mem_max, p + 8, 8);
		memcpy(&r->cache_entries, p + 16, 8);
		q = p + 24;
		r->path = next_str(&q, end);
		if (r->path == NULL || q != end || (r->path[0] != '\0' && r->path[0] != '/') ||
		    r->cache_entries > SCACHE_MAX_ENTRIES)
			return errf(err, errlen, "init: expected ids, limits and a cache path");
		break;
	case SCANPROC_LOAD:
		if (len < 6)
			return errf(err, errlen, "load: %zu bytes", len);
		memcpy(&r->gen, p, 4);
		q = p + 4;
		r->path = next_str(&q, end);
		if (r->path == NULL || q != end || r->path[0] != '/' || r->gen == 0)
			return errf(err, errlen, "load: expected a generation and an absolute path");
		break;
	case SCANPROC_DROP:
		if (len != 4)
			return errf(err, errlen, "drop: %zu bytes, expected 4", len);
		memcpy(&r->gen, p, 4);
		break;
	case SCANPROC_SCAN:
		if (len < 4 + sizeof(r->o) + 1)
			return errf(err, errlen, "scan: %zu bytes", len);
		memcpy(&r->gen, p, 4);
		memcpy(&r->o, p + 4, sizeof(r->o));
		n = (size_t)r->o.nroots + r->o.ninclude + r->o.nexclude;
		if (r->o.nroots == 0 || r->o.nroots > SCANPROC_MAX_STRINGS ||
		    r->o.ninclude > SCANPROC_MAX_STRINGS || r->o.nexclude > SCANPROC_MAX_STRINGS ||
		    n > SCANPROC_MAX_STRINGS)
			return errf(err, errlen, "scan: %u roots, %u include and %u exclude globs, at "
				    "most %d together, a root at least", r->o.nroots, r->o.ninclude,
				    r->o.nexclude, SCANPROC_MAX_STRINGS);
		if (r->o.threads > SCAN_MAX_THREADS || r->o.cross_fs > 1 || r->o.low_priority > 1 ||
		    r->o.use_cache > 1 || r->o.pad != 0 || r->o.cpu_percent > 100 * SCAN_MAX_THREADS)
			return errf(err, errlen, "scan: an option out of its range");
		q = p + 4 + sizeof(r->o);
		for (size_t i = 0; i < n; i++) {
			r->strs[i] = next_str(&q, end);
			if (r->strs[i] == NULL)
				return errf(err, errlen, "scan: %zu strings, expected %zu", i, n + 1);
			if (i < r->o.nroots && r->strs[i][0] == '\0')
				return errf(err, errlen, "scan: an empty root");
		}
		r->host = next_str(&q, end);
		if (r->host == NULL || q != end)
			return errf(err, errlen, "scan: expected the host name last");
		break;
	default:
		return errf(err, errlen, "unknown request type %u", type);
	}
	r->type = (enum scanproc_type)type;
	return 0;
}

/* ---- sending and reading ------------------------------------------------------ */

int scanproc_send(int fd, uint32_t type, const struct iovec *iov, int n)
{
	struct hdr h = { type, 0 };
	struct iovec v[8];
	struct msghdr mh = { 0 };

	if (n > 7) {
		errno = EINVAL;
		return -1;
	}
	v[0] = (struct iovec){ &h, sizeof(h) };
	for (int i = 0; i < n; i++) {
		v[i + 1] = iov[i];
		h.len += (uint32_t)iov[i].iov_len;
	}
	mh.msg_iov = v;
	mh.msg_iovlen = (size_t)n + 1;
	while (mh.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (w > 0 && mh.msg_iovlen > 0) {
			if ((size_t)w >= mh.msg_iov[0].iov_len) {
				w -= (ssize_t)mh.msg_iov[0].iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			} else {
				mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + w;
				mh.msg_iov[0].iov_len -= (size_t)w;
				w = 0;
			}
		}
		while (mh.msg_iovlen > 0 && mh.msg_iov[0].iov_len == 0) {
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
	}
	return 0;
}

int scanproc_read(int fd, void *buf, size_t n, int ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k = poll(&p, 1, got == 0 ? ms : -1);
		ssize_t r;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return 1;
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* ---- the parent ------------------------------------------------------------- */

struct set {
	uint32_t gen;                   /* 0: free */
	char path[PATH_MAX];
	char version[RULES_VERSION_LEN + 1];
};

struct scanproc {
	char exe[PATH_MAX];
	char user[64];
	uid_t uid;
	gid_t gid;
	uint64_t mem_max, cache_entries;
	char cache_path[PATH_MAX];
	pid_t pid;                      /* 0: none running */
	int fd;
	unsigned tasks;                 /* the parent's, when the child started */
	uint64_t restarts;
	uint32_t next_gen;
	struct set sets[SCANPROC_SETS];
	char *buf;                      /* SCANPROC_MSG_MAX + 1 */
};

#define STR(s) (struct iovec){ (void *)(s), strlen(s) + 1 }

uint64_t scanproc_mem_for(unsigned threads, uint64_t max_size)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t n = threads ? threads : (cpus > 0 ? (uint64_t)cpus : 1);

	if (max_size == 0)
		max_size = SCAN_DEFAULT_MAX_SIZE;
	/* the walker thread and the caller's count as workers too */
	return SCANPROC_MEM_BASE + (n + 2) * (2 * max_size + (64ull << 20));
}

/* Kill the child and wait for it (scanproc_stop). */
static void reap(struct scanproc *sp)
{
	if (sp->pid <= 0)
		return;
	(void)kill(sp->pid, SIGKILL);
	while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(sp->fd);
	sp->fd = -1;
	sp->pid = 0;
}

/*
 * Read the child's next message into sp->buf and check it, waiting at
 * most ms for it (-1: for ever). 0, or -1 with err (EOF, bad message,
 * silence: the child is to be killed).
 */
static int next_msg(struct scanproc *sp, struct scanproc_msg *m, int ms, char *err,
		    size_t errlen)
{
	struct hdr h;
	char why[256];
	int k = scanproc_read(sp->fd, &h, sizeof(h), ms);

	if (k == 1)
		return errf(err, errlen, "the scanning child (pid %d) said nothing for %d s",
			    (int)sp->pid, ms / 1000);
	if (k < 0 || h.len > SCANPROC_MSG_MAX || scanproc_read(sp->fd, sp->buf, h.len, -1) != 0)
		return errf(err, errlen, "the scanning child (pid %d) ended before its answer",
			    (int)sp->pid);
	if (scanproc_parse(h.type, sp->buf, h.len, m, why, sizeof(why)) < 0)
		return errf(err, errlen, "the scanning child (pid %d) sent a bad message: %s",
			    (int)sp->pid, why);
	return 0;
}

/* Kill the child and learn how it ended: a death of its own (a signal, an
 * exit) replaces err; a child we killed keeps err. */
static void end_child(struct scanproc *sp, char *err, size_t errlen)
{
	int st = 0;
	pid_t pid = sp->pid;
	bool own;

	if (pid <= 0)
		return;
	/* did it end by itself? give it a moment to be reaped */
	own = waitpid(pid, &st, WNOHANG) == pid;
	for (int i = 0; !own && i < 20; i++) {
		struct timespec ts = { 0, 10 * 1000000 };

		nanosleep(&ts, NULL);
		own = waitpid(pid, &st, WNOHANG) == pid;
	}
	if (!own) {
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	} else if (WIFSIGNALED(st)) {
		errf(err, errlen, "the scanning child (pid %d) was killed by signal %d%s", (int)pid,
		     WTERMSIG(st), WTERMSIG(st) == SIGSYS ? " (a system call its seccomp filter "
		     "forbids)" : "");
	} else if (WIFEXITED(st)) {
		errf(err, errlen, "the scanning child (pid %d) exited with status %d", (int)pid,
		     WEXITSTATUS(st));
	}
	close(sp->fd);
	sp->fd = -1;
	sp->pid = 0;
}

/* Compile set s in the child; 0, -1 with err and *failed set when the
 * child failed (rather than the rules). */
static int load_set(struct scanproc *sp, const struct set *s, struct scanproc_rules *out,
		    bool *failed, char *err, size_t errlen)
{
	struct iovec v[2] = { { (void *)&s->gen, 4 }, STR(s->path) };
	struct scanproc_msg m;

	*failed = true;
	if (scanproc_send(sp->fd, SCANPROC_LOAD, v, 2) < 0)
		return errf(err, errlen, "the scanning child (pid %d) ended before its answer",
			    (int)sp->pid);
	for (;;) {
		if (next_msg(sp, &m, SCANPROC_LOAD_S * 1000, err, errlen) < 0)
			return -1;
		if (m.type == SCANPROC_LOADED && m.gen == s->gen)
			break;
		return errf(err, errlen, "the scanning child (pid %d) sent message %d while "
			    "compiling", (int)sp->pid, (int)m.type);
	}
	*failed = false;
	if (m.rc < 0)
		return errf(err, errlen, "%s", m.err);
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->gen = s->gen;
		snprintf(out->version, sizeof(out->version), "%s", m.version);
		out->rules = m.rules;
		out->files = m.files;
		out->warnings = m.warnings;
		snprintf(out->text, sizeof(out->text), "%s", m.err);
	}
	return 0;
}

/* Start a child and have it compile the sets held; -1 with err. */
static int spawn(struct scanproc *sp, char *err, size_t errlen)
{
	char *argv[] = { (char *)"kastro-agent", (char *)"scan-child", NULL };
	extern char **environ;
	struct scanproc_msg m;
	uint32_t ids[2] = { (uint32_t)sp->uid, (uint32_t)sp->gid };
	struct iovec v[4] = { { ids, 8 }, { &sp->mem_max, 8 }, { &sp->cache_entries, 8 },
			      STR(sp->cache_path) };
	int sv[2];
	pid_t pid;

	memset(&m, 0, sizeof(m));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return errf(err, errlen, "socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return errf(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* only async-signal-safe calls until execve: the parent may have threads */
		if (sv[1] == SCANPROC_FD) {
			if (fcntl(sv[1], F_SETFD, 0) < 0)
				_exit(127);
		} else if (dup2(sv[1], SCANPROC_FD) < 0) {
			_exit(127);
		}
		execve(sp->exe, argv, environ);
		_exit(127);
	}
	close(sv[1]);
	sp->pid = pid;
	sp->fd = sv[0];
	if (scanproc_send(sp->fd, SCANPROC_INIT, v, 4) < 0) {
		errf(err, errlen, "the scanning child (pid %d) did not start", (int)pid);
		end_child(sp, err, errlen);
		return -1;
	}
	if (next_msg(sp, &m, 30 * 1000, err, errlen) < 0 || m.type != SCANPROC_HELLO) {
		if (m.type != SCANPROC_HELLO)
			errf(err, errlen, "the scanning child (pid %d) did not start", (int)pid);
		end_child(sp, err, errlen);
		return -1;
	}
	sp->tasks = m.tasks;
	for (int i = 0; i < SCANPROC_SETS; i++) {
		bool failed;
		char why[2048];

		if (sp->sets[i].gen == 0)
			continue;
		if (load_set(sp, &sp->sets[i], NULL, &failed, why, sizeof(why)) < 0) {
			errf(err, errlen, "compiling %s again in a new scanning child: %s",
			     sp->sets[i].path, why);
			if (failed)
				end_child(sp, err, errlen);
			return -1;
		}
	}
	return 0;
}

/* The child after a failure: a new one (counted). */
static int restart(struct scanproc *sp, char *err, size_t errlen)
{
	if (sp->pid > 0)
		end_child(sp, NULL, 0);
	sp->restarts++;
	return spawn(sp, err, errlen);
}

struct scanproc *scanproc_start(const struct scanproc_config *cfg, char *err, size_t errlen)
{
	struct scanproc *sp = calloc(1, sizeof(*sp));
	char pwbuf[4096];
	struct passwd pwd, *pw = NULL;
	const char *user = cfg->user;

	if (sp == NULL || (sp->buf = malloc(SCANPROC_MSG_MAX + 1)) == NULL) {
		free(sp);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	sp->fd = -1;
	snprintf(sp->exe, sizeof(sp->exe), "%s", cfg->exe ? cfg->exe : "/proc/self/exe");
	if (user == NULL) {
		user = SCANPROC_USER;
		if (getpwnam_r(user, &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || pw == NULL)
			user = SCANPROC_USER_FALLBACK;
	}
	if (pw == NULL && (getpwnam_r(user, &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || pw == NULL)) {
		errf(err, errlen, "no user %s to scan as", user);
		goto fail;
	}
	snprintf(sp->user, sizeof(sp->user), "%s", user);
	sp->uid = pw->pw_uid;
	sp->gid = pw->pw_gid;
	if (sp->uid == 0) {
		errf(err, errlen, "the scanning user %s is root", user);
		goto fail;
	}
	sp->mem_max = cfg->mem_max;
	sp->cache_entries = cfg->cache_entries;
	if (cfg->cache_path != NULL && cfg->cache_path[0] != '/') {
		errf(err, errlen, "the scan cache's path %s is not absolute", cfg->cache_path);
		goto fail;
	}
	snprintf(sp->cache_path, sizeof(sp->cache_path), "%s", cfg->cache_path ? cfg->cache_path : "");
	if (spawn(sp, err, errlen) < 0)
		goto fail;
	return sp;
fail:
	free(sp->buf);
	free(sp);
	return NULL;
}

void scanproc_stop(struct scanproc *sp)
{
	if (sp == NULL)
		return;
	reap(sp);
	free(sp->buf);
	free(sp);
}

pid_t scanproc_pid(const struct scanproc *sp) { return sp->pid; }
unsigned scanproc_parent_tasks(const struct scanproc *sp) { return sp->tasks; }
const char *scanproc_user(const struct scanproc *sp) { return sp->user; }
uint64_t scanproc_restarts(const struct scanproc *sp) { return sp->restarts; }

int scanproc_load(struct scanproc *sp, const char *path, struct scanproc_rules *out, char *err,
		  size_t errlen)
{
	struct set *s = NULL;
	bool failed;
	char real[PATH_MAX];

	for (int i = 0; i < SCANPROC_SETS && s == NULL; i++)
		if (sp->sets[i].gen == 0)
			s = &sp->sets[i];
	if (s == NULL)
		return errf(err, errlen, "%d rule sets are held already", SCANPROC_SETS);
	/* the child's working directory is not ours */
	if (path[0] != '/') {
		if (realpath(path, real) == NULL)
			return errf(err, errlen, "%s: %s", path, strerror(errno));
		path = real;
	}
	if (strlen(path) >= sizeof(s->path))
		return errf(err, errlen, "%s: path too long", path);
	if (sp->pid <= 0 && restart(sp, err, errlen) < 0)
		return -1;
	s->gen = ++sp->next_gen;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (load_set(sp, s, out, &failed, err, errlen) < 0) {
		s->gen = 0;
		if (failed)
			end_child(sp, err, errlen);
		return -1;
	}
	snprintf(s->version, sizeof(s->version), "%s", out->version);
	return 0;
}

int scanproc_move(struct scanproc *sp, uint32_t gen, const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < SCANPROC_SETS; i++) {
		if (gen == 0 || sp->sets[i].gen != gen)
			continue;
		if (path[0] != '/' || strlen(path) >= sizeof(sp->sets[i].path))
			return errf(err, errlen, "%s: expected an absolute path", path);
		snprintf(sp->sets[i].path, sizeof(sp->sets[i].path), "%s", path);
		return 0;
	}
	return errf(err, errlen, "no rule set %u", gen);
}

void scanproc_drop(struct scanproc *sp, uint32_t gen)
{
	for (int i = 0; i < SCANPROC_SETS; i++) {
		if (gen == 0 || sp->sets[i].gen != gen)
			continue;
		sp->sets[i].gen = 0;
		if (sp->pid > 0) {
			struct iovec v = { &gen, 4 };

			(void)scanproc_send(sp->fd, SCANPROC_DROP, &v, 1);
		}
	}
}

/*
 * The findings a failed attempt told already, so that the attempt after
 * it does not tell them again: a hash of (path, namespace, rule) each, at
 * most SCANPROC_TOLD_MAX (beyond that a finding may be told twice).
 */
struct told {
	uint64_t *h;
	size_t n;
	bool again;                     /* the second attempt: look up, do not add */
};

static uint64_t told_hash(const struct scanproc_msg *m)
{
	const char *parts[3] = { m->path, m->ns, m->rule };
	uint64_t h = 1469598103934665603ull;            /* FNV-1a, 64 bits */

	for (int i = 0; i < 3; i++)
		for (const unsigned char *c = (const unsigned char *)parts[i]; ; c++) {
			h = (h ^ *c) * 1099511628211ull;
			if (*c == '\0')
				break;
		}
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* true when m was told by the failed attempt (then it is not told again) */
static bool told_before(struct told *t, const struct scanproc_msg *m)
{
	uint64_t h = told_hash(m);

	if (t->again)
		return t->n > 0 && bsearch(&h, t->h, t->n, sizeof(h), cmp_u64) != NULL;
	if (t->h == NULL)
		t->h = malloc(SCANPROC_TOLD_MAX * sizeof(*t->h));
	if (t->h != NULL && t->n < SCANPROC_TOLD_MAX)
		t->h[t->n++] = h;
	return false;
}

/* 0 done (*rc the scan's), -1 stopped (err), -2 the child failed (err). */
static int scan_once(struct scanproc *sp, uint32_t gen, const char *const *roots, size_t nroots,
		     const struct scan_options *o, struct scanproc_cb *cb, struct told *told,
		     struct scan_summary *sum, int *rc, char *err, size_t errlen)
{
	struct scanproc_wopts w = {
		.max_size = o->max_size, .threads = o->threads, .timeout = o->timeout,
		.queue = o->queue, .cpu_percent = o->cpu_percent, .settle_ms = o->cache_settle_ms,
		.nroots = (uint32_t)nroots, .ninclude = (uint32_t)o->ninclude,
		.nexclude = (uint32_t)o->nexclude, .cross_fs = o->cross_fs,
		.low_priority = o->low_priority, .use_cache = o->cache != NULL,
	};
	size_t n = nroots + o->ninclude + o->nexclude, k = 0, total = 4 + sizeof(w);
	uint64_t limit_ms = ((uint64_t)(o->timeout ? o->timeout : SCAN_DEFAULT_TIMEOUT) +
			     SCANPROC_GRACE_S) * 1000;
	uint64_t last = mono_ms();
	struct iovec *v;
	struct scanproc_msg m;
	int r;

	if (nroots == 0 || n > SCANPROC_MAX_STRINGS)
		return errf(err, errlen, "%zu paths and globs to scan, expected 1..%d", n,
			    SCANPROC_MAX_STRINGS), -1;
	v = calloc(n + 3, sizeof(*v));
	if (v == NULL)
		return errf(err, errlen, "out of memory"), -1;
	v[k++] = (struct iovec){ &gen, 4 };
	v[k++] = (struct iovec){ &w, sizeof(w) };
	for (size_t i = 0; i < nroots; i++)
		v[k++] = STR(roots[i]);
	for (size_t i = 0; i < o->ninclude; i++)
		v[k++] = STR(o->include[i]);
	for (size_t i = 0; i < o->nexclude; i++)
		v[k++] = STR(o->exclude[i]);
	v[k++] = STR(cb->host ? cb->host : "-");
	for (size_t i = 2; i < k; i++)
		total += v[i].iov_len;
	/* many iovecs: send them as one buffer */
	if (total > SCANPROC_MSG_MAX) {
		free(v);
		return errf(err, errlen, "the paths and globs of the scan take %zu bytes, more than "
			    "%d", total, SCANPROC_MSG_MAX), -1;
	}
	{
		char *p = sp->buf;

		for (size_t i = 0; i < k; i++) {
			memcpy(p, v[i].iov_base, v[i].iov_len);
			p += v[i].iov_len;
		}
		free(v);
		struct iovec one = { sp->buf, total };

		if (scanproc_send(sp->fd, SCANPROC_SCAN, &one, 1) < 0)
			return errf(err, errlen, "the scanning child (pid %d) ended before its "
				    "answer", (int)sp->pid), -2;
	}
	for (;;) {
		if (cb->stop != NULL && *cb->stop)
			return errf(err, errlen, "stopped"), -1;
		r = next_msg(sp, &m, 1000, err, errlen);
		if (r < 0 && strstr(err, "said nothing") != NULL) {
			if (mono_ms() - last < SCANPROC_SILENCE_S * 1000)
				continue;
			errf(err, errlen, "the scanning child (pid %d) said nothing for %d s",
			     (int)sp->pid, SCANPROC_SILENCE_S);
		}
		if (r < 0)
			return -2;
		last = mono_ms();
		switch (m.type) {
		case SCANPROC_FINDING: {
			struct finding f = { .rule = m.rule, .ns = m.ns, .tags = m.tags,
					     .ntags = m.ntags, .path = m.path, .sha256 = m.sha256,
					     .severity = m.severity };

			if (cb->finding && !told_before(told, &m))
				cb->finding(cb->arg, &f, m.json);
			break;
		}
		case SCANPROC_SKIP:
			if (cb->skip)
				cb->skip(cb->arg, m.path, m.reason, m.detail);
			break;
		case SCANPROC_CACHE:
			if (cb->cache == NULL)
				break;
			if (m.insert)
				scache_insert(cb->cache, &m.key);
			else
				scache_forget(cb->cache, m.key.dev, m.key.ino);
			break;
		case SCANPROC_PROGRESS:
			if (m.busy_ms > limit_ms)
				return errf(err, errlen, "the scanning child (pid %d) spent more than "
					    "%llu s on one file", (int)sp->pid,
					    (unsigned long long)(limit_ms / 1000)), -2;
			break;
		case SCANPROC_DONE:
			*sum = m.sum;
			*rc = m.rc;
			if (m.rc < 0)
				errf(err, errlen, "%s", m.err);
			return 0;
		default:
			return errf(err, errlen, "the scanning child (pid %d) sent message %d while "
				    "scanning", (int)sp->pid, (int)m.type), -2;
		}
	}
}

int scanproc_scan(struct scanproc *sp, uint32_t gen, const char *const *roots, size_t nroots,
		  const struct scan_options *o, struct scanproc_cb *cb, struct scan_summary *sum,
		  char *err, size_t errlen)
{
	struct told told = { 0 };
	bool held = false;
	int ret = -1;

	memset(sum, 0, sizeof(*sum));
	cb->failures = 0;
	cb->failure[0] = '\0';
	for (int i = 0; i < SCANPROC_SETS; i++)
		held |= gen != 0 && sp->sets[i].gen == gen;
	if (!held)
		return errf(err, errlen, "no rule set %u", gen);
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc = -1, k;

		if (sp->pid <= 0 && restart(sp, err, errlen) < 0) {
			if (cb->failure[0] == '\0')
				snprintf(cb->failure, sizeof(cb->failure), "%s", err);
			cb->failures++;
			break;
		}
		if (attempt > 0 && told.n > 0)
			qsort(told.h, told.n, sizeof(told.h[0]), cmp_u64);
		told.again = attempt > 0;
		k = scan_once(sp, gen, roots, nroots, o, cb, &told, sum, &rc, err, errlen);
		if (k == 0) {
			ret = rc;
			break;
		}
		if (k == -1) {
			end_child(sp, NULL, 0);
			break;
		}
		end_child(sp, err, errlen);
		cb->failures++;
		if (cb->failure[0] == '\0')
			snprintf(cb->failure, sizeof(cb->failure), "%s", err);
		memset(sum, 0, sizeof(*sum));
	}
	free(told.h);
	return ret;
}
