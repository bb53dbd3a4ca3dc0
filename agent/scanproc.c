/*
 * scanproc.c - see scanproc.h.
 *
 * The child is forked from the agent's job thread, so it holds a copy of
 * the compiled rules and of the scan cache as they were (copy on write);
 * it only reads them. glibc makes malloc usable in the child of a threaded
 * process; the child touches nothing else of the parent's (no locks, no
 * log: it writes to stderr at most).
 */
#include "scanproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <openssl/evp.h>
#include <seccomp.h>

#include "errf.h"

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
		if (i32 < 1 || i32 > 4 || m->path[0] != '/' || !ident(m->rule) || !ident(m->ns) ||
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
		if (m->detail == NULL || q != end || u32 >= SCAN_SKIP_N || m->path[0] != '/')
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
	default:
		return errf(err, errlen, "unknown message type %u", type);
	}
	m->type = (enum scanproc_type)type;
	return 0;
}

/* ---- the child --------------------------------------------------------------- */

struct child {
	int fd;
	pthread_mutex_t lock;           /* the scan's threads write messages */
	bool broken;
};

static void send_msg(struct child *c, uint32_t type, const struct iovec *iov, int n)
{
	struct hdr h = { type, 0 };
	struct iovec v[8];
	struct msghdr mh = { 0 };

	v[0] = (struct iovec){ &h, sizeof(h) };
	for (int i = 0; i < n; i++) {
		v[i + 1] = iov[i];
		h.len += (uint32_t)iov[i].iov_len;
	}
	mh.msg_iov = v;
	mh.msg_iovlen = (size_t)n + 1;
	pthread_mutex_lock(&c->lock);
	/* a stream socket: send all of it, or give up for good */
	while (!c->broken) {
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			c->broken = true;
			break;
		}
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
		if (mh.msg_iovlen == 0)
			break;
	}
	pthread_mutex_unlock(&c->lock);
}

#define STR(s) (struct iovec){ (void *)(s), strlen(s) + 1 }

static void child_finding(void *arg, const struct finding *f)
{
	static __thread char json[FINDING_JSON_MAX];
	char tags[FINDING_MAX_TAGS * 130] = "", err[256];
	int32_t sev = f->severity ? f->severity : finding_severity(f->meta, f->nmeta);
	size_t o = 0;
	long n;

	n = finding_json(f, "-", 0, json, sizeof(json), err, sizeof(err));
	if (n < 0)
		return;         /* counted in the summary; the parent gets no event */
	for (size_t i = 0; i < f->ntags && i < FINDING_MAX_TAGS; i++) {
		int w = snprintf(tags + o, sizeof(tags) - o, "%s%s", i ? " " : "", f->tags[i]);

		if (w < 0 || (size_t)w >= sizeof(tags) - o)
			break;
		o += (size_t)w;
	}
	{
		struct iovec v[7] = { { &sev, 4 }, STR(f->path), STR(f->rule),
				      STR(f->ns ? f->ns : "default"), STR(f->sha256), STR(tags),
				      STR(json) };

		send_msg(arg, SCANPROC_FINDING, v, 7);
	}
}

static void child_skip(void *arg, const char *path, enum scan_skip why, const char *detail)
{
	uint32_t r = (uint32_t)why;
	struct iovec v[3] = { { &r, 4 }, STR(path), STR(detail ? detail : "") };

	send_msg(arg, SCANPROC_SKIP, v, 3);
}

static void child_cache(void *arg, const struct scache_key *k, bool insert)
{
	uint32_t ins = insert;
	struct iovec v[2] = { { &ins, 4 }, { (void *)k, sizeof(*k) } };

	send_msg(arg, SCANPROC_CACHE, v, 2);
}

/* Only CAP_DAC_READ_SEARCH, as uid:gid (SCANPROC_USER's); -1 with err. */
static int child_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_DAC_READ_SEARCH) < 0)
		return errf(err, errlen, "capng_update failed");
	if (getuid() == 0) {
		if (capng_change_id((int)uid, (int)gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
			return errf(err, errlen, "cannot become %s with CAP_DAC_READ_SEARCH",
				    SCANPROC_USER);
	} else if (capng_apply(CAPNG_SELECT_BOTH) < 0) {
		return errf(err, errlen, "cannot drop capabilities");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errf(err, errlen, "no_new_privs: %s", strerror(errno));
	return 0;
}

/* O_TMPFILE without the O_DIRECTORY bit glibc puts in it (so that opening a
 * directory stays allowed) */
#define TMPFILE_BIT 020000000

/* What a scan needs; anything else kills the process. */
static int child_seccomp(char *err, size_t errlen)
{
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(write),
		SCMP_SYS(writev), SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(close),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat),
		SCMP_SYS(statx), SCMP_SYS(getdents64), SCMP_SYS(lseek), SCMP_SYS(fcntl),
		SCMP_SYS(fadvise64), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(fchdir),
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
		SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(clone),
		SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
		SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid), SCMP_SYS(getpid),
		SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
		SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
		SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getpriority),
		SCMP_SYS(setpriority), SCMP_SYS(ioprio_set), SCMP_SYS(getrandom),
		SCMP_SYS(prlimit64), SCMP_SYS(uname), SCMP_SYS(poll), SCMP_SYS(ppoll),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = 0;

	if (ctx == NULL)
		return errf(err, errlen, "seccomp_init failed");
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
	/* open for reading only: no O_WRONLY, O_RDWR, O_CREAT, O_TRUNC */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ,
					      O_ACCMODE | O_CREAT | O_TRUNC | TMPFILE_BIT, O_RDONLY));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ,
					      O_ACCMODE | O_CREAT | O_TRUNC | TMPFILE_BIT, O_RDONLY));
	/* glibc falls back from clone3 to clone; name lookups from nscd to files */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		return errf(err, errlen, "seccomp: %s", strerror(-rc));
	return 0;
}

static void child_main(int fd, uid_t uid, gid_t gid, struct rules *r, const char *const *roots,
		       size_t nroots, const struct scan_options *o)
{
	struct child c = { .fd = fd, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct scan_options co = *o;
	struct scan_summary sum;
	char err[512] = "";
	int32_t rc;

	/* only the socket and stderr stay open */
	for (int i = 3; i < 1024; i++)
		if (i != fd)
			(void)close(i);
	(void)close(0);
	(void)close(1);
	signal(SIGPIPE, SIG_IGN);
	memset(&sum, 0, sizeof(sum));
	co.on_finding = child_finding;
	co.on_skip = child_skip;
	co.on_cache = co.cache != NULL ? child_cache : NULL;
	co.arg = &c;
	co.stop = NULL;
	if (child_drop(uid, gid, err, sizeof(err)) < 0 || child_seccomp(err, sizeof(err)) < 0)
		rc = -1;
	else
		rc = scan_tree(r, roots, nroots, &co, &sum, err, sizeof(err));
	{
		struct iovec v[3] = { { &rc, 4 }, { &sum, sizeof(sum) }, STR(err) };

		send_msg(&c, SCANPROC_DONE, v, 3);
	}
	_exit(c.broken ? 1 : 0);
}

/* ---- the parent ------------------------------------------------------------- */

/* Read exactly n bytes; 0, or -1 at EOF/error, or 1 when *stop was set. */
static int read_full(int fd, void *buf, size_t n, const volatile int *stop)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (stop != NULL && *stop)
			return 1;
		if (poll(&p, 1, 200) == 0)
			continue;
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* How the child ended, into err. */
static void reap(pid_t pid, bool kill_it, char *err, size_t errlen, bool quiet)
{
	int st;

	if (kill_it)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (quiet)
		return;
	if (WIFSIGNALED(st))
		errf(err, errlen, "the scanning child (pid %d) was killed by signal %d%s", (int)pid,
		     WTERMSIG(st), WTERMSIG(st) == SIGSYS ? " (a system call its seccomp filter "
		     "forbids)" : "");
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		errf(err, errlen, "the scanning child (pid %d) exited with status %d", (int)pid,
		     WEXITSTATUS(st));
}

int scanproc_run(struct rules *r, const char *const *roots, size_t nroots,
		 const struct scan_options *o, struct scanproc_cb *cb, struct scan_summary *sum,
		 char *err, size_t errlen)
{
	char *buf = malloc(SCANPROC_MSG_MAX + 1), why[256];
	struct scanproc_msg m;
	int sv[2], rc = -1;
	bool done = false;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	EVP_MD *sha256;

	memset(sum, 0, sizeof(*sum));
	if (buf == NULL)
		return errf(err, errlen, "out of memory");
	/* looked up here: name services take locks a forked child cannot */
	{
		char pwbuf[4096];
		struct passwd pwd, *pw = NULL;

		if (getpwnam_r(SCANPROC_USER, &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || pw == NULL) {
			free(buf);
			return errf(err, errlen, "no user %s to scan as", SCANPROC_USER);
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	/* fetched here: the child must not fetch (see scan.h) */
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (sha256 == NULL) {
		free(buf);
		return errf(err, errlen, "SHA-256 is not available from OpenSSL");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		EVP_MD_free(sha256);
		free(buf);
		return errf(err, errlen, "socketpair: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		EVP_MD_free(sha256);
		free(buf);
		return errf(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		struct scan_options co = *o;

		co.sha256 = sha256;
		child_main(sv[1], uid, gid, r, roots, nroots, &co);
	}
	close(sv[1]);
	cb->child = pid;
	while (!done) {
		struct hdr h;
		int k = read_full(sv[0], &h, sizeof(h), cb->stop);

		if (k == 1) {
			errf(err, errlen, "stopped");
			break;
		}
		if (k < 0 || h.len > SCANPROC_MSG_MAX ||
		    read_full(sv[0], buf, h.len, NULL) != 0) {
			errf(err, errlen, "the scanning child (pid %d) ended before its summary",
			     (int)pid);
			reap(pid, true, err, errlen, false);
			pid = -1;
			break;
		}
		if (scanproc_parse(h.type, buf, h.len, &m, why, sizeof(why)) < 0) {
			errf(err, errlen, "the scanning child (pid %d) sent a bad message: %s",
			     (int)pid, why);
			break;
		}
		switch (m.type) {
		case SCANPROC_FINDING: {
			struct finding f = { .rule = m.rule, .ns = m.ns, .tags = m.tags,
					     .ntags = m.ntags, .path = m.path, .sha256 = m.sha256,
					     .severity = m.severity };

			if (cb->finding)
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
		case SCANPROC_DONE:
			*sum = m.sum;
			rc = m.rc;
			if (rc < 0)
				errf(err, errlen, "%s", m.err);
			done = true;
			break;
		}
	}
	close(sv[0]);
	if (pid > 0)
		reap(pid, !done, err, errlen, done);
	cb->child = 0;
	EVP_MD_free(sha256);
	free(buf);
	return done ? rc : -1;
}
