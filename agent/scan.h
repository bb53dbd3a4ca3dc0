/*
 * scan.h - scanning files and trees with a rule set (rules.h): the core of
 * the agent's scheduled, on-demand and on-change scans.
 *
 * Per file, the externals of the set are set as scanners made for
 * signature-base (LOKI, THOR) set them:
 *   filename   base name                      "setup.EXE"
 *   filepath   the path as walked             "/home/x/setup.EXE"
 *   extension  lowercase, with the dot, from the last dot of the base name
 *              that is not its first character ("" without one; ".bashrc"
 *              has none)                      ".exe"
 *   filetype   from the first bytes, upper case, "" when unknown (see
 *              scan_filetype())                "EXE"
 *   owner      the owner's user name, the uid in digits when it has none
 *
 * A file is read whole into a buffer of its thread (reused, grown to the
 * largest file read, released when above 64 MiB) and scanned from memory:
 * libyara's own file scanning maps the file, and a file truncated while
 * mapped kills the process with SIGBUS; read() just returns less. The
 * bytes read are the bytes scanned and hashed (finding.sha256).
 *
 * Never followed: symlinks met in a walk (lstat, O_NOFOLLOW; the file
 * opened must be the one walked, same device and inode, or it counts as
 * vanished). The roots themselves are followed when they are symlinks (as
 * find -H does): an administrator named them. Only regular files are read;
 * a walk stays on each root's file system unless cross_fs.
 *
 * include and exclude are fnmatch(3) globs without flags on the full path
 * as walked (the root, then "/" and the names below it), so a `*` also
 * matches '/': "*.iso" is any ISO image at any depth. `**` is nothing
 * special. Exclude wins; an empty include list takes everything. A
 * directory matching exclude is not entered (one skip for the directory):
 * exclude "/proc" rather than everything below it one by one. include
 * applies to files only. scan_thread_file() tests the file's own path.
 *
 * When a scan is stopped (options.stop), the files already queued are
 * dropped without being counted, so the counts then need not add up.
 *
 * Every entry a walk meets, except directories it enters, counts once in
 * files_seen and ends in exactly one of: scanned, cache_hits, or skipped
 * with one reason. Files that vanish or cannot be read are reported and
 * counted, never fatal. Files that matched are never put in the cache: they
 * are read and reported again by every scan until someone deals with them.
 *
 * Thread-safety: scan_tree() runs a walker thread and worker threads; the
 * callbacks are called from those threads, concurrently, so the caller
 * synchronises what they touch. All findings of one file come from one
 * thread in a row. A struct scan_thread belongs to one thread at a time.
 * Nothing here logs; errors come back as -1 with a message in err.
 */
#ifndef KASTRO_SCAN_H
#define KASTRO_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "finding.h"
#include "rules.h"

struct scache;
struct scache_key;

/* Why a file was not scanned. */
enum scan_skip {
	SCAN_SKIP_TOO_LARGE,    /* larger than max_size */
	SCAN_SKIP_EXCLUDED,     /* an exclude glob, or no include glob, matched */
	SCAN_SKIP_SPECIAL,      /* not a regular file: fifo, socket, device */
	SCAN_SKIP_SYMLINK,      /* a symlink (never followed) */
	SCAN_SKIP_OTHER_FS,     /* a directory on another file system (not entered) */
	SCAN_SKIP_UNREADABLE,   /* permission denied, I/O error, directory not readable */
	SCAN_SKIP_VANISHED,     /* gone, or replaced by another file, before it was read */
	SCAN_SKIP_TIMEOUT,      /* the per-file timeout hit */
	SCAN_SKIP_ERROR,        /* anything else (a YARA error, out of memory) */
	SCAN_SKIP_N
};

/* "too-large", "excluded", "special", "symlink", "other-fs", "unreadable",
 * "vanished", "timeout", "error". */
const char *scan_skip_name(enum scan_skip why);

/* The defaults of `kastro-agent scan` and of agent.conf (aconf.h) alike. */
#define SCAN_DEFAULT_MAX_SIZE   (64ull << 20)    /* 64 MiB */
#define SCAN_DEFAULT_TIMEOUT    30               /* seconds per file */
#define SCAN_DEFAULT_QUEUE      1024             /* files between walker and workers */
#define SCAN_MAX_THREADS        256
/*
 * A clean file whose mtime or ctime is less than this before the moment it
 * was opened is not cached: a write in the same clock tick as the read
 * would leave both times unchanged (file systems keep times to a tick, FAT
 * to 2 s), so it is read again next time ("racy clean", as git does).
 */
#define SCAN_DEFAULT_SETTLE_MS  2000

/* One finding: f and what it points to are valid during the call only. */
typedef void (*scan_finding_fn)(void *arg, const struct finding *f);
/* One skip: detail is the errno text or YARA's error, or "". */
typedef void (*scan_skip_fn)(void *arg, const char *path, enum scan_skip why,
			     const char *detail);

struct scan_options {
	unsigned threads;            /* workers; 0: the number of online CPUs */
	uint64_t max_size;           /* bytes; 0: SCAN_DEFAULT_MAX_SIZE */
	unsigned timeout;            /* seconds per file; 0: SCAN_DEFAULT_TIMEOUT */
	unsigned queue;              /* 0: SCAN_DEFAULT_QUEUE */
	const char *const *include;  /* globs; NULL or empty: all */
	size_t ninclude;
	const char *const *exclude;
	size_t nexclude;
	bool cross_fs;               /* enter other file systems below a root */
	unsigned cpu_percent;        /* ceiling, % of one core for the whole scan; 0: none;
				      * also caps the workers at ceil(cpu_percent / 100) */
	bool low_priority;           /* nice +10 and idle I/O class for the scan's threads */
	struct scache *cache;        /* NULL: none */
	unsigned cache_settle_ms;    /* 0: SCAN_DEFAULT_SETTLE_MS (see below) */
	const volatile int *stop;    /* NULL, or set non-zero to end the scan early */
	scan_finding_fn on_finding;  /* NULL: not told (still counted) */
	/* NULL: the scan inserts clean files into cache and forgets matching
	 * ones itself; else it only looks the cache up and tells this (insert:
	 * k whole; forget: k's dev and ino), for a process that owns the cache
	 * elsewhere (scanproc.h) */
	void (*on_cache)(void *arg, const struct scache_key *k, bool insert);
	scan_skip_fn on_skip;
	/* NULL, or told by a worker as it starts (start) and ends a file of a
	 * tree scan: a watchdog's hook (scanproc.h) */
	void (*on_file)(void *arg, bool start);
	void *arg;
	/* NULL: EVP_sha256(). A digest fetched before a fork (scanproc.c): the
	 * child then fetches nothing, so it takes no lock of OpenSSL's that
	 * another thread of the parent may have held at the fork. */
	const struct evp_md_st *sha256;
};

struct scan_summary {
	char rules_version[RULES_VERSION_LEN + 1];
	unsigned rules;              /* rules in the set */
	unsigned threads;            /* workers used */
	uint64_t files_seen;
	uint64_t scanned;            /* read and scanned */
	uint64_t cache_hits;         /* unchanged since a clean scan: not read */
	uint64_t cache_misses;       /* looked up, not found (then scanned or skipped) */
	uint64_t skipped;            /* the sum of skipped_by */
	uint64_t skipped_by[SCAN_SKIP_N];
	uint64_t matched_files;
	uint64_t findings;           /* (rule, file) pairs */
	uint64_t bytes_read;
	uint64_t errors;             /* skipped as unreadable, timeout or error */
	uint64_t wall_ns;
	uint64_t cpu_ns;             /* CPU time of the scan's threads */
	double cpu_percent;          /* cpu_ns / wall_ns, in % of one core */
	unsigned cpu_ceiling;        /* the ceiling in force, % (0: none) */
	bool stopped;                /* ended early through stop */
};

/*
 * Scan the roots (directories walked recursively, or files) with r, calling
 * back per finding and per skip, and fill *sum. A root that does not exist
 * is a skip (vanished), not an error. Returns 0, or -1 with a message in
 * err when the scan could not run at all (bad options, no threads, YARA
 * scanner creation failed); *sum is filled either way.
 */
int scan_tree(struct rules *r, const char *const *roots, size_t nroots,
	      const struct scan_options *o, struct scan_summary *sum, char *err, size_t errlen);

/*
 * Scanning single files in the caller's thread (on-change scans): one
 * YR_SCANNER and read buffer, made once, used for many files. o is copied
 * (the globs, cache and callbacks must outlive t; threads, queue, cpu and
 * priority options are ignored). scan_thread_file() handles one path like
 * a walk would (lstat, never following it), adding to *sum (which the
 * caller zeroes once). Returns 0 (the file was scanned, hit the cache or
 * was skipped and reported), -1 only on a broken argument.
 */
struct scan_thread;
struct scan_thread *scan_thread_new(struct rules *r, const struct scan_options *o, char *err,
				    size_t errlen);
int scan_thread_file(struct scan_thread *t, const char *path, struct scan_summary *sum);
void scan_thread_free(struct scan_thread *t);

/*
 * The filetype external for a file starting with head (n bytes, at least
 * 16 when the file has them):
 *   "MZ"                 EXE       7f "ELF"             ELF
 *   fe ed fa ce/cf, ce/cf fa ed fe          MACH-O
 *   "%PDF"               PDF       "PK" 03 04, "PK" 05 06  ZIP
 *   "Rar!" 1a 07         RAR       "7z" bc af 27 1c     7Z
 *   1f 8b                GZIP      "GIF87a", "GIF89a"   GIF
 *   ff d8 ff             JPEG      89 "PNG" 0d 0a 1a 0a PNG
 *   "{\rtf"              RTF       "MDMP"               MDMP
 *   d0 cf 11 e0 a1 b1 1a e1         OLE (Office 97-2003, MSI)
 *   "<?php"              PHP       "#!"                 SCRIPT
 * anything else: "".
 */
const char *scan_filetype(const void *head, size_t n);

/* The extension external of a base name into out (lowercase, with the
 * dot; "" without one). out has outlen bytes; a longer one is "". */
void scan_extension(const char *base, char *out, size_t outlen);

#endif
