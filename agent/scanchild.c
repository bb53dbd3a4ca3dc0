/*
 * scanchild.c - the scanning child's side of scanproc.h: `kastro-agent
 * scan-child`, started by scanproc_start() with its socket as fd
 * SCANPROC_FD. It drops to the scanning user with CAP_DAC_READ_SEARCH
 * only, caps its address space, enters its seccomp filter, and then
 * compiles rule sets and scans as the parent asks, one request at a time.
 *
 * It writes nothing but its socket (and stderr, when it cannot start): a
 * request that fails the check ends it (status 3), as does the end of
 * its socket (status 0).
 */
#include "scanproc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>
#include <openssl/evp.h>
#include <seccomp.h>

#include "errf.h"
#include "sanitized.h"


struct set {
	uint32_t gen;
	struct rules *r;
};

struct child {
	int fd;
	pthread_mutex_t lock;           /* the scan's threads send messages */
	bool broken;                    /* the socket failed: the parent is gone */
	struct scache *cache;
	const EVP_MD *sha256;
	struct set sets[SCANPROC_SETS];
	char host[256];
	/* the start (CLOCK_MONOTONIC, ms) of the file each worker reads; 0: none */
	_Atomic uint64_t busy[SCAN_MAX_THREADS + 2];
	_Atomic unsigned nslots;
	_Atomic int scanning;
};

static struct child C = { .fd = SCANPROC_FD, .lock = PTHREAD_MUTEX_INITIALIZER };

static void send_msg(uint32_t type, const struct iovec *iov, int n)
{
	pthread_mutex_lock(&C.lock);
	if (!C.broken && scanproc_send(C.fd, type, iov, n) < 0)
		C.broken = true;
	pthread_mutex_unlock(&C.lock);
}

#define STR(s) (struct iovec){ (void *)(s), strlen(s) + 1 }

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the scan's callbacks ------------------------------------------------------- */

static void on_finding(void *arg, const struct finding *f)
{
	static __thread char json[FINDING_JSON_MAX];
	char tags[FINDING_MAX_TAGS * 130] = "", err[256];
	int32_t sev = f->severity ? f->severity : finding_severity(f->meta, f->nmeta);
	size_t o = 0;

	(void)arg;
	if (finding_json(f, C.host, wall_ns(), json, sizeof(json), err, sizeof(err)) < 0)
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

		send_msg(SCANPROC_FINDING, v, 7);
	}
}

static void on_skip(void *arg, const char *path, enum scan_skip why, const char *detail)
{
	uint32_t r = (uint32_t)why;
	struct iovec v[3] = { { &r, 4 }, STR(path), STR(detail ? detail : "") };

	(void)arg;
	send_msg(SCANPROC_SKIP, v, 3);
}

/* The child's copy of the cache follows what it tells the parent. */
static void on_cache(void *arg, const struct scache_key *k, bool insert)
{
	uint32_t ins = insert;
	struct iovec v[2] = { { &ins, 4 }, { (void *)k, sizeof(*k) } };

	(void)arg;
	if (insert)
		scache_insert(C.cache, k);
	else
		scache_forget(C.cache, k->dev, k->ino);
	send_msg(SCANPROC_CACHE, v, 2);
}

/* A worker starts (or ends) a file: its slot says since when. */
static void on_file(void *arg, bool start)
{
	static __thread unsigned slot = UINT32_MAX;

	(void)arg;
	if (slot == UINT32_MAX) {
		slot = atomic_fetch_add(&C.nslots, 1);
		if (slot >= sizeof(C.busy) / sizeof(C.busy[0]))
			slot = UINT32_MAX - 1;
	}
	if (slot < sizeof(C.busy) / sizeof(C.busy[0]))
		atomic_store(&C.busy[slot], start ? now_ms() : 0);
}

/* Every second of a scan: how long the slowest file in work has taken. */
static void *ticker(void *arg)
{
	(void)arg;
	while (atomic_load(&C.scanning)) {
		struct timespec ts = { 0, 100 * 1000000 };
		uint64_t now, busy = 0;

		for (int i = 0; i < 10 && atomic_load(&C.scanning); i++)
			nanosleep(&ts, NULL);
		if (!atomic_load(&C.scanning))
			break;
		now = now_ms();
		for (unsigned i = 0; i < sizeof(C.busy) / sizeof(C.busy[0]); i++) {
			uint64_t b = atomic_load(&C.busy[i]);

			if (b != 0 && now - b > busy)
				busy = now - b;
		}
		{
			struct iovec v = { &busy, 8 };

			send_msg(SCANPROC_PROGRESS, &v, 1);
		}
	}
	return NULL;
}

/* ---- requests ------------------------------------------------------------------- */

static struct set *set_of(uint32_t gen)
{
	for (int i = 0; i < SCANPROC_SETS; i++)
		if (C.sets[i].r != NULL && C.sets[i].gen == gen)
			return &C.sets[i];
	return NULL;
}

static void do_load(const struct scanproc_req *q)
{
	static char err[4096], text[4096];
	struct set *s = NULL;
	struct rules *r = NULL;
	uint32_t counts[3] = { 0, 0, 0 };
	int32_t rc = -1;
	const char *version = "";

	text[0] = '\0';
	if (set_of(q->gen) != NULL) {
		snprintf(text, sizeof(text), "rule set %u is loaded already", q->gen);
		goto out;
	}
	for (int i = 0; i < SCANPROC_SETS && s == NULL; i++)
		if (C.sets[i].r == NULL)
			s = &C.sets[i];
	if (s == NULL) {
		snprintf(text, sizeof(text), "%d rule sets are held already", SCANPROC_SETS);
		goto out;
	}
	r = rules_load(q->path, err, sizeof(err));
	if (r == NULL) {
		snprintf(text, sizeof(text), "%s", err);
		goto out;
	}
	s->gen = q->gen;
	s->r = r;
	rc = 0;
	version = rules_version(r);
	counts[0] = rules_count(r);
	counts[1] = rules_files(r);
	counts[2] = rules_warnings(r);
	for (unsigned i = 0, o = 0; i < rules_warnings(r) && rules_warning(r, i) != NULL; i++) {
		int w = snprintf(text + o, sizeof(text) - o, "%s%s", o ? "\n" : "",
				 rules_warning(r, i));

		if (w < 0 || (size_t)w >= sizeof(text) - o) {
			text[o] = '\0';
			break;
		}
		o += (unsigned)w;
	}
out:
	{
		uint32_t gen = q->gen;
		struct iovec v[6] = { { &gen, 4 }, { &rc, 4 }, { counts, 12 }, STR(version),
				      STR(text) };

		send_msg(SCANPROC_LOADED, v, 5);
	}
}

static void do_scan(const struct scanproc_req *q)
{
	static char err[512];
	struct scan_summary sum;
	struct scan_options o;
	struct set *s = set_of(q->gen);
	pthread_t tid;
	bool ticking = false;
	int32_t rc = -1;

	memset(&sum, 0, sizeof(sum));
	memset(&o, 0, sizeof(o));
	err[0] = '\0';
	snprintf(C.host, sizeof(C.host), "%s", q->host);
	o.threads = q->o.threads;
	o.max_size = q->o.max_size;
	o.timeout = q->o.timeout;
	o.queue = q->o.queue;
	o.cpu_percent = q->o.cpu_percent;
	o.cache_settle_ms = q->o.settle_ms;
	o.cross_fs = q->o.cross_fs;
	o.low_priority = q->o.low_priority;
	o.include = q->strs + q->o.nroots;
	o.ninclude = q->o.ninclude;
	o.exclude = q->strs + q->o.nroots + q->o.ninclude;
	o.nexclude = q->o.nexclude;
	o.cache = q->o.use_cache ? C.cache : NULL;
	o.on_cache = o.cache != NULL ? on_cache : NULL;
	o.on_finding = on_finding;
	o.on_skip = on_skip;
	o.on_file = on_file;
	o.sha256 = C.sha256;
	if (s == NULL) {
		snprintf(err, sizeof(err), "the scanning child holds no rule set %u", q->gen);
	} else {
		atomic_store(&C.scanning, 1);
		ticking = pthread_create(&tid, NULL, ticker, NULL) == 0;
		rc = scan_tree(s->r, q->strs, q->o.nroots, &o, &sum, err, sizeof(err));
		atomic_store(&C.scanning, 0);
		if (ticking)
			pthread_join(tid, NULL);
	}
	{
		struct iovec v[3] = { { &rc, 4 }, { &sum, sizeof(sum) }, STR(err) };

		send_msg(SCANPROC_DONE, v, 3);
	}
}

/* ---- setting up ------------------------------------------------------------------- */

/* The threads of our parent now (its /proc status), 0 when unknown. */
static unsigned parent_tasks(void)
{
	char path[64], line[256];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)getppid());
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Only CAP_DAC_READ_SEARCH, as uid:gid; not root: no capability at all. */
static int drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (getuid() == 0) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
				 CAP_DAC_READ_SEARCH) < 0)
			return errf(err, errlen, "capng_update failed");
		if (capng_change_id((int)uid, (int)gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
			return errf(err, errlen, "cannot become uid %u with CAP_DAC_READ_SEARCH",
				    (unsigned)uid);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errf(err, errlen, "no_new_privs: %s", strerror(errno));
	return 0;
}

/* O_TMPFILE without the O_DIRECTORY bit glibc puts in it (so that opening a
 * directory stays allowed) */
#define TMPFILE_BIT 020000000

/* What compiling and scanning need; anything else kills the process. */
static int enter_seccomp(char *err, size_t errlen)
{
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(write),
		SCMP_SYS(writev), SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(close),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat),
		SCMP_SYS(statx), SCMP_SYS(getdents64), SCMP_SYS(lseek), SCMP_SYS(fcntl),
		SCMP_SYS(fadvise64), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(fchdir),
		SCMP_SYS(getcwd), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex),
		SCMP_SYS(clone), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sigaltstack), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(gettid),
		SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
		SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(clock_gettime),
		SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(sched_yield),
		SCMP_SYS(sched_getaffinity), SCMP_SYS(getpriority), SCMP_SYS(setpriority),
		SCMP_SYS(ioprio_set), SCMP_SYS(getrandom), SCMP_SYS(prlimit64), SCMP_SYS(uname),
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
		SCMP_SYS(getrusage), SCMP_SYS(access), SCMP_SYS(faccessat),
		SCMP_SYS(faccessat2), SCMP_SYS(sysinfo), SCMP_SYS(getrlimit),
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

/* Read one request into buf (SCANPROC_MSG_MAX + 1 bytes) and check it:
 * 0, 1 at the end of the socket, -1 with err. */
static int next_req(char *buf, struct scanproc_req *q, char *err, size_t errlen)
{
	struct { uint32_t type, len; } h;
	int k = scanproc_read(C.fd, &h, sizeof(h), -1);

	if (k != 0)
		return 1;
	if (h.len > SCANPROC_MSG_MAX)
		return errf(err, errlen, "a request of %u bytes", h.len);
	if (scanproc_read(C.fd, buf, h.len, -1) != 0)
		return 1;
	return scanproc_parse_req(h.type, buf, h.len, q, err, errlen);
}

int scanproc_child_main(void)
{
	static struct scanproc_req q;
	char *buf = malloc(SCANPROC_MSG_MAX + 1), err[512];
	int fd, k;

	/* named for ps and logs (it was run as /proc/self/exe) */
	(void)prctl(PR_SET_NAME, "kastro-scan", 0, 0, 0);
	/* stdin and stdout on /dev/null; only the socket and stderr besides */
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
		fprintf(stderr, "kastro-agent scan-child: /dev/null: %s\n", strerror(errno));
		return 3;
	}
	if (fd > 2 && fd != C.fd)
		close(fd);
	/* whatever the parent held without close-on-exec */
	for (int i = 3; i < C.fd; i++)
		(void)close(i);
	if (close_range((unsigned)C.fd + 1, ~0u, 0) < 0)
		for (int i = C.fd + 1; i < 1024; i++)
			(void)close(i);
	(void)fcntl(C.fd, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	if (buf == NULL) {
		fprintf(stderr, "kastro-agent scan-child: out of memory\n");
		return 3;
	}
	k = next_req(buf, &q, err, sizeof(err));
	if (k != 0 || q.type != SCANPROC_INIT) {
		fprintf(stderr, "kastro-agent scan-child: expected INIT first%s%s\n",
			k < 0 ? ": " : "", k < 0 ? err : "");
		return 3;
	}
	{
		uint32_t hello[2] = { parent_tasks(), 0 };
		struct rlimit rl = { q.mem_max, q.mem_max };
		struct iovec v = { hello, 8 };

		if (drop((uid_t)q.uid, (gid_t)q.gid, err, sizeof(err)) < 0) {
			fprintf(stderr, "kastro-agent scan-child: %s\n", err);
			return 3;
		}
		/* ASan reserves terabytes of shadow memory at start: not capped there */
		if (q.mem_max != 0 && !SANITIZED && setrlimit(RLIMIT_AS, &rl) < 0) {
			fprintf(stderr, "kastro-agent scan-child: address space of %llu bytes: %s\n",
				(unsigned long long)q.mem_max, strerror(errno));
			return 3;
		}
		/* fetched before the filter: OpenSSL may read its configuration */
		C.sha256 = EVP_sha256();
		if (EVP_MD_get_size(C.sha256) != 32) {
			fprintf(stderr, "kastro-agent scan-child: no SHA-256 from OpenSSL\n");
			return 3;
		}
		C.cache = scache_open(q.path[0] ? q.path : NULL, q.cache_entries, err, sizeof(err));
		if (C.cache == NULL) {
			fprintf(stderr, "kastro-agent scan-child: scan cache: %s\n", err);
			return 3;
		}
		if (enter_seccomp(err, sizeof(err)) < 0) {
			fprintf(stderr, "kastro-agent scan-child: %s\n", err);
			return 3;
		}
		hello[1] = (uint32_t)getuid();
		send_msg(SCANPROC_HELLO, &v, 1);
	}
	while (!C.broken) {
		k = next_req(buf, &q, err, sizeof(err));
		if (k == 1)
			break;
		if (k < 0) {
			fprintf(stderr, "kastro-agent scan-child: a bad request: %s\n", err);
			return 3;
		}
		switch (q.type) {
		case SCANPROC_LOAD:
			do_load(&q);
			break;
		case SCANPROC_DROP: {
			struct set *s = set_of(q.gen);

			if (s != NULL) {
				rules_unref(s->r);
				s->r = NULL;
				s->gen = 0;
			}
			break;
		}
		case SCANPROC_SCAN:
			do_scan(&q);
			break;
		default:
			fprintf(stderr, "kastro-agent scan-child: request %d out of place\n",
				(int)q.type);
			return 3;
		}
	}
	return 0;
}
