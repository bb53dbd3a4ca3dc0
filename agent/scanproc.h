/*
 * scanproc.h - scans in a child process that holds no privilege but
 * reading: the agent's root process never parses a file it scans.
 *
 * For each scan the agent (root) forks a child. Before it touches a file
 * the child closes every descriptor but its end of a socketpair and
 * stderr, becomes SCANPROC_USER (nobody) with CAP_DAC_READ_SEARCH as its
 * only capability (effective and permitted; bounding set cleared,
 * no_new_privs), and installs a seccomp filter (libseccomp) that allows
 * what a scan needs (reading files and directories, memory, threads,
 * time, its priority) and kills the process on anything else: no
 * execve, no writing or creating a file, no network (socket() fails
 * with EACCES so name lookups fall back to files). It then runs the scan
 * (scan.h) with the rules it inherited, and reports on the socketpair.
 *
 * Messages, child to parent, each a header {uint32 type, uint32 len} and
 * len bytes (at most SCANPROC_MSG_MAX), checked by scanproc_parse():
 *   FINDING  int32 severity (1..4), then six NUL-terminated strings that
 *            fill the payload exactly: path, rule, namespace, sha256 (64
 *            lowercase hex), tags (space-separated YARA identifiers, at
 *            most FINDING_MAX_TAGS), the finding event's JSON (finding.h)
 *   SKIP     uint32 reason (< SCAN_SKIP_N), path, detail (NUL-terminated)
 *   CACHE    uint32 insert (0 or 1), struct scache_key (a clean file to
 *            remember, or a matching one to forget)
 *   DONE     int32 rc (0 or -1), struct scan_summary, error text (NUL-
 *            terminated; "" when rc is 0); the last message
 * A message that fails the check, or a child that ends before DONE, ends
 * the scan: the child is killed, the cause logged by the caller, and the
 * next scan forks a new child.
 */
#ifndef KASTRO_SCANPROC_H
#define KASTRO_SCANPROC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "finding.h"
#include "scache.h"
#include "scan.h"

#define SCANPROC_USER    "nobody"
#define SCANPROC_MSG_MAX (FINDING_JSON_MAX + 3 * PATH_MAX + 8192)

enum scanproc_type { SCANPROC_FINDING = 1, SCANPROC_SKIP, SCANPROC_CACHE, SCANPROC_DONE };

/* A message as scanproc_parse() returns it: pointers into the payload. */
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
	int rc;                         /* DONE */
	struct scan_summary sum;        /* DONE */
	const char *err;                /* DONE */
};

/*
 * Check one message (type, len bytes at p, which parsing may change: the
 * tags are split in place). Returns 0 with *m filled, or -1 with err.
 */
int scanproc_parse(uint32_t type, char *p, size_t len, struct scanproc_msg *m, char *err,
		   size_t errlen);

/* What the parent is told while the child scans (in the calling thread). */
struct scanproc_cb {
	/* f holds rule, ns, tags, path, sha256, severity (not meta, strings) */
	void (*finding)(void *arg, const struct finding *f, const char *json);
	scan_skip_fn skip;
	void *arg;
	struct scache *cache;           /* applies the child's CACHE messages; NULL: none */
	const volatile int *stop;       /* non-zero: kill the child, end the scan */
	pid_t child;                    /* set while a child runs (for tests and logs) */
};

/*
 * Scan in a child: the tree under roots (files NULL), or the n files
 * (roots NULL), with o (its callbacks and cache are replaced). Fills
 * *sum. Returns 0, or -1 with err (the scan failed, or the child died:
 * err says how, e.g. "killed by signal 9"); a child that died is never
 * waited for twice, and a new one serves the next scan.
 */
int scanproc_run(struct rules *r, const char *const *roots, size_t nroots,
		 const struct scan_options *o, struct scanproc_cb *cb, struct scan_summary *sum,
		 char *err, size_t errlen);

#endif
