/*
 * scanproc.h - the agent's scanning child: one long-lived process that
 * compiles the rules and reads the files it scans, so that the root
 * process parses neither rule text (rules may come from the console) nor
 * a scanned file.
 *
 * scanproc_start() runs the program again (/proc/self/exe, or cfg->exe)
 * as `kastro-agent scan-child` with its end of a socketpair as fd 3: a
 * fresh process that inherits no lock, thread or memory of the parent.
 * The daemon calls it right after its configuration is loaded, before it
 * starts any thread; a restart later (after the child died or hung) is a
 * fork followed at once by execve, which is safe from a threaded process.
 * Before it reads any request but INIT, the child closes every descriptor
 * but fd 3 and stderr, becomes the scanning user (cfg->user, else
 * SCANPROC_USER when it exists, else SCANPROC_USER_FALLBACK) with
 * CAP_DAC_READ_SEARCH as its only capability (effective and permitted;
 * bounding set cleared, no_new_privs), caps its address space
 * (RLIMIT_AS, cfg->mem_max), and installs a seccomp filter (libseccomp)
 * that allows what compiling and scanning need (reading files and
 * directories, memory, threads, time, its priority) and kills the process
 * on anything else: no execve, no writing or creating a file, no network.
 * Not root (the scan command run by a user): it keeps its user and drops
 * every capability.
 *
 * Messages are a header {uint32 type, uint32 len} and len bytes (at most
 * SCANPROC_MSG_MAX), in host byte order (both ends are the same binary).
 * Parent to child, checked by scanproc_parse_req():
 *   INIT   uint32 uid, uint32 gid, uint64 mem_max, uint64 cache_entries,
 *          cache path ("" none); the first request, once
 *   LOAD   uint32 gen, path: compile the rules there as generation gen
 *          (at most SCANPROC_SETS sets are held; DROP frees one)
 *   DROP   uint32 gen
 *   SCAN   uint32 gen, struct scanproc_wopts, then exactly nroots +
 *          ninclude + nexclude strings and the host name
 * Child to parent, checked by scanproc_parse():
 *   HELLO    uint32 tasks of the parent when the child started, uint32 uid
 *            it runs as; the answer to INIT
 *   LOADED   uint32 gen, int32 rc (0, -1), uint32 rules, files, warnings,
 *            version (64 hex, "" when rc is -1), text (the error, or the
 *            kept warnings one a line)
 *   FINDING  int32 severity (1..4), then six NUL-terminated strings that
 *            fill the payload exactly: path, rule, namespace, sha256 (64
 *            lowercase hex), tags (space-separated YARA identifiers, at
 *            most FINDING_MAX_TAGS), the finding event's JSON (finding.h)
 *   SKIP     uint32 reason (< SCAN_SKIP_N), path, detail (NUL-terminated)
 *   CACHE    uint32 insert (0 or 1), struct scache_key (a clean file to
 *            remember, or a matching one to forget)
 *   PROGRESS uint64 ms the slowest file in work has taken so far; every
 *            second of a scan
 *   DONE     int32 rc (0 or -1), struct scan_summary, error text (NUL-
 *            terminated; "" when rc is 0); the last message of a scan
 * A message that fails the check ends the child (or the parent's use of
 * it: the child is killed and restarted).
 *
 * A scan (scanproc_scan) whose child dies, sends a bad message, says
 * nothing for SCANPROC_SILENCE_S seconds or holds one file longer than
 * the per-file timeout plus SCANPROC_GRACE_S is a child failure: the
 * child is killed, a new one started (its rule sets compiled again from
 * their paths) and the scan run once more; a second failure ends the
 * scan with the error. A finding (path, namespace, rule) the first
 * attempt told is not told again by the second (the first
 * SCANPROC_TOLD_MAX of them; more may be told twice).
 *
 * Thread-safety: one thread uses a struct scanproc at a time. Functions
 * that can fail return -1 with a message in err and never log.
 */
#ifndef KASTRO_SCANPROC_H
#define KASTRO_SCANPROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "finding.h"
#include "rules.h"
#include "scache.h"
#include "scan.h"

#define SCANPROC_USER           "_kastro-scan"
#define SCANPROC_USER_FALLBACK  "nobody"
#define SCANPROC_FD             3        /* the child's end of the socketpair */
#define SCANPROC_MSG_MAX        (FINDING_JSON_MAX + 3 * PATH_MAX + 8192)
#define SCANPROC_SETS           2        /* rule sets a child holds at once */
#define SCANPROC_MAX_STRINGS    1024     /* roots + globs of one SCAN */
#define SCANPROC_SILENCE_S      15       /* a scanning child says nothing this long: hung */
#define SCANPROC_GRACE_S        10       /* beyond the per-file timeout: hung */
#define SCANPROC_LOAD_S         600      /* compiling one set */
#define SCANPROC_TOLD_MAX       65536    /* findings remembered across a retry (8 bytes each) */
/* The child's address space: this, plus per worker twice the largest file
 * read and 64 MiB (its stack, malloc arena and YARA's scratch). */
#define SCANPROC_MEM_BASE       (1ull << 30)

enum scanproc_type {
	SCANPROC_FINDING = 1, SCANPROC_SKIP, SCANPROC_CACHE, SCANPROC_DONE, SCANPROC_HELLO,
	SCANPROC_LOADED, SCANPROC_PROGRESS,
	SCANPROC_INIT = 16, SCANPROC_LOAD, SCANPROC_DROP, SCANPROC_SCAN,
};

/* The options of a SCAN as they travel. */
struct scanproc_wopts {
	uint64_t max_size;
	uint32_t threads, timeout, queue, cpu_percent, settle_ms;
	uint32_t nroots, ninclude, nexclude;
	uint8_t cross_fs, low_priority, use_cache, pad;
};

/* A child's message as scanproc_parse() returns it: pointers into the payload. */
struct scanproc_msg {
	enum scanproc_type type;
	int severity;                   /* FINDING */
	const char *path, *rule, *ns, *sha256, *json;   /* FINDING; SKIP: path */
	const char *tags[FINDING_MAX_TAGS];
	size_t ntags;
	enum scan_skip reason;          /* SKIP */
	const char *detail;             /* SKIP */
	struct scache_key key;          /* CACHE */
	int insert;                     /* CACHE */
	int rc;                         /* DONE, LOADED */
	struct scan_summary sum;        /* DONE */
	const char *err;                /* DONE; LOADED: error or warnings */
	uint32_t tasks, uid;            /* HELLO */
	uint32_t gen, rules, files, warnings;   /* LOADED */
	const char *version;            /* LOADED */
	uint64_t busy_ms;               /* PROGRESS */
};

/* A request as scanproc_parse_req() returns it. */
struct scanproc_req {
	enum scanproc_type type;
	uint32_t uid, gid;              /* INIT */
	uint64_t mem_max, cache_entries;        /* INIT */
	const char *path;               /* INIT: cache ("" none); LOAD: rules */
	uint32_t gen;                   /* LOAD, DROP, SCAN */
	struct scanproc_wopts o;        /* SCAN */
	const char *strs[SCANPROC_MAX_STRINGS];  /* SCAN: roots, include, exclude */
	const char *host;               /* SCAN */
};

/*
 * Check one message (type, len bytes at p, which parsing may change: the
 * tags are split in place). Returns 0 with *m filled, or -1 with err.
 */
int scanproc_parse(uint32_t type, char *p, size_t len, struct scanproc_msg *m, char *err,
		   size_t errlen);
/* The same for a request (the child's side). */
int scanproc_parse_req(uint32_t type, char *p, size_t len, struct scanproc_req *q, char *err,
		       size_t errlen);

struct scanproc_config {
	const char *user;               /* NULL: SCANPROC_USER, else SCANPROC_USER_FALLBACK */
	uint64_t mem_max;               /* RLIMIT_AS of the child, bytes; 0: none */
	const char *cache_path;         /* the scan cache the child reads; NULL: none */
	uint64_t cache_entries;
	const char *exe;                /* NULL: /proc/self/exe */
};

/* The address space a child needs for these scan options (see above). */
uint64_t scanproc_mem_for(unsigned threads, uint64_t max_size);

struct scanproc;

/* Start a child. NULL with err when it cannot run (no user to scan as,
 * no program, its set-up failed: err then says why). */
struct scanproc *scanproc_start(const struct scanproc_config *cfg, char *err, size_t errlen);
/* Kill the child and free sp (NULL is fine). */
void scanproc_stop(struct scanproc *sp);

/* A compiled set, as the child describes it. */
struct scanproc_rules {
	uint32_t gen;
	char version[RULES_VERSION_LEN + 1];
	unsigned rules, files, warnings;
	char text[4096];                /* the kept warnings, one a line (cut to fit) */
};

/*
 * Have the child compile the rules at path (rules.h) as a new generation;
 * *out describes it. -1 with err (the compile error, file:line) leaves
 * the sets in use as they were. A child that died on the way is
 * restarted and the error says so.
 */
int scanproc_load(struct scanproc *sp, const char *path, struct scanproc_rules *out, char *err,
		  size_t errlen);
/* The set gen now lives at path (moved there): a restarted child compiles
 * it from there. */
int scanproc_move(struct scanproc *sp, uint32_t gen, const char *path, char *err, size_t errlen);
/* Free set gen in the child. */
void scanproc_drop(struct scanproc *sp, uint32_t gen);

/* What the parent is told while the child scans (in the calling thread). */
struct scanproc_cb {
	/* f holds rule, ns, tags, path, sha256, severity (not meta, strings) */
	void (*finding)(void *arg, const struct finding *f, const char *json);
	scan_skip_fn skip;
	void *arg;
	struct scache *cache;           /* applies the child's CACHE messages; NULL: none */
	const volatile int *stop;       /* non-zero: kill the child, end the scan */
	const char *host;               /* put into finding events; NULL: "-" */
	/* out: */
	unsigned failures;              /* child failures during this scan (0..2) */
	char failure[512];              /* the first one's cause, "" if none */
};

/*
 * Scan with set gen: the tree under roots, or files (both as scan_tree()
 * takes them), with o (its callbacks, stop and sha256 are not used; its
 * cache only says whether to use one: the child's copy). Fills *sum.
 * Returns 0, or -1 with err (the scan failed, or the child failed twice).
 */
int scanproc_scan(struct scanproc *sp, uint32_t gen, const char *const *roots, size_t nroots,
		  const struct scan_options *o, struct scanproc_cb *cb, struct scan_summary *sum,
		  char *err, size_t errlen);

/* The child's pid (0: none running), the threads its parent had when it
 * started (from /proc), the user it runs as, and its restarts so far. */
pid_t scanproc_pid(const struct scanproc *sp);
unsigned scanproc_parent_tasks(const struct scanproc *sp);
const char *scanproc_user(const struct scanproc *sp);
uint64_t scanproc_restarts(const struct scanproc *sp);

/* Between scanproc.c and scanchild.c: send one message whole (a stream
 * socket; lock NULL or held around it), 0 or -1 with errno; read exactly
 * n bytes waiting at most ms (-1: for ever), 0, or -1 at EOF or error, or
 * 1 when the time ran out before a first byte. */
struct iovec;
int scanproc_send(int fd, uint32_t type, const struct iovec *iov, int n);
int scanproc_read(int fd, void *buf, size_t n, int ms);

/* The child's side: `kastro-agent scan-child`, serving fd SCANPROC_FD.
 * Returns the exit status. */
int scanproc_child_main(void);

#endif
