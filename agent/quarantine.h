/*
 * quarantine.h - the endpoint agent's optional quarantine: a file a YARA
 * rule matched is moved out of its users' reach into a root-only directory,
 * with a record of where it came from, so that an officer can put it back
 * exactly as it was.
 *
 * Choices:
 *
 * - The stored copy is the file's content byte for byte, not encoded or
 *   XOR-ed: it gets mode 0400, owner root:root, in a directory of mode 0700
 *   that only root may enter. Encoding would keep other scanners (an
 *   antivirus, our own full scan when pointed at the wrong place) quiet,
 *   but it would also keep an officer from examining the sample with the
 *   ordinary tools; the agent's scans never enter the quarantine directory.
 *
 * - Layout of the directory (everything owned by root):
 *
 *     LOCK          empty; the owner holds flock(LOCK_EX) on it
 *     <id>.json     the record of one item (mode 0600), replaced atomically
 *                   (temp file, fsync, rename, fsync of the directory)
 *     <id>.data     the stored copy (mode 0400), mtime kept from the original
 *     *.tmp         a write interrupted by a crash; removed by quarantine_open
 *
 *   <id> is "q-" and 16 lower-case hex digits from random bytes. A record:
 *
 *     {"v":1,"id":"q-…","path":"/home/anna/invoice.doc","rule":"ns:Emotet",
 *      "sha256":"…","uid":1000,"gid":1000,"mode":"0644","size":41231,
 *      "mtime":1700000000,"mtime_nsec":0,"nlink":1,"time":1700000100,
 *      "quarantined":"2023-11-14T22:15:00Z"}
 *
 *   A path that is not valid UTF-8 is stored as "path_hex" (its bytes in
 *   hex) instead of "path". "quarantined" is "time" for people to read.
 *
 * - Restoring by hand (when the agent is gone): read <id>.json, then
 *     cp --preserve=timestamps <id>.data PATH   (or mv on the same file system)
 *     chown UID:GID PATH && chmod MODE PATH
 *   and delete <id>.json and <id>.data. kastroctl does the same through
 *   quarantine_restore().
 *
 * - The original path is recorded with its directory resolved (realpath);
 *   the file is then reached, and later restored, one directory at a time
 *   without following symbolic links, so a directory swapped for a link to
 *   /etc between quarantine and restore makes the restore fail instead of
 *   writing there. A file that is itself a symbolic link, a FIFO, a device
 *   or a socket is refused: only regular files are quarantined.
 *
 * - On the same file system the file is moved with rename(2): its inode
 *   becomes the stored copy (mode 0400 root:root), so a hard link elsewhere
 *   loses its users' access too but keeps the content; nlink records how
 *   many links there were. Across file systems the content is copied to a
 *   temporary file in the quarantine directory, synced, renamed, and the
 *   original is unlinked only if it is still the file that was read (same
 *   device, inode, size and mtime); otherwise it is left and the put fails.
 *   Extended attributes and ACLs are not kept.
 *
 * - The sha256 is always computed from the content. When the caller passes
 *   the one it scanned and the content differs, the put is refused (the
 *   file changed since the scan: scan it again). A restore is refused when
 *   the stored copy no longer has the recorded sha256, and when anything
 *   exists at the original path (never overwritten).
 *
 * - Crash safety: the record is written (durably) before the file is moved,
 *   and deleted after the file is back. A record whose stored copy is
 *   missing (a crash mid-put leaves the original in place; mid-restore, the
 *   file already back) is skipped and reported by quarantine_open, as is a
 *   stored copy without a record and a record that does not parse. Damage
 *   is counted and reported, never fatal, and never loses other items; the
 *   damaged files are left for an officer to look at.
 *
 * - Bounded: at most max_items items; a put beyond it fails (counted).
 *
 * One thread of one process owns an open quarantine (a lock on the directory
 * refuses a second opener). It needs root: the directory is root-only and a
 * restore gives the file back its owner. Functions that can fail return -1
 * with a message in err (what, where, what to do) and never log.
 */
#ifndef KASTRO_QUARANTINE_H
#define KASTRO_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define QUARANTINE_ID_SIZE 19              /* "q-" + 16 hex + NUL */
#define QUARANTINE_PATH_MAX 4096           /* bytes of a path, NUL included */
#define QUARANTINE_RULE_MAX 256            /* bytes of a rule name, NUL included */
#define QUARANTINE_DEFAULT_MAX_ITEMS 10000

/* One quarantined file, as recorded. */
struct quarantine_item {
	char id[QUARANTINE_ID_SIZE];
	char path[QUARANTINE_PATH_MAX];    /* original absolute path, directory resolved */
	char rule[QUARANTINE_RULE_MAX];    /* the rule that matched ("namespace:rule") */
	char sha256[65];                   /* of the content, lower-case hex */
	uid_t uid;                         /* original owner */
	gid_t gid;
	mode_t mode;                       /* original permission bits (07777) */
	uint64_t size;                     /* bytes */
	struct timespec mtime;             /* original modification time */
	uint64_t nlink;                    /* links at quarantine time; > 1: see above */
	int64_t time;                      /* when quarantined, seconds since the epoch */
};

struct quarantine_stats {
	uint64_t items;          /* in the quarantine now */
	uint64_t bytes;          /* their sizes together */
	uint64_t max_items;      /* the bound in force */
	uint64_t put;            /* quarantined by this process */
	uint64_t restored;       /* restored by this process */
	uint64_t refused;        /* puts and restores refused or failed */
	uint64_t full;           /* puts refused at the bound (also in refused) */
	uint64_t corrupt;        /* at open: records that do not parse, skipped */
	uint64_t missing;        /* at open: records without a stored copy, skipped */
	uint64_t orphans;        /* at open: stored copies without a record */
	uint64_t tmp_removed;    /* at open: temporary files of interrupted writes */
};

/*
 * Called by quarantine_open() once per damaged file found (a record that
 * does not parse, a record without a stored copy, a stored copy without a
 * record), with a message saying what and where; msg is valid during the
 * call only.
 */
typedef void (*quarantine_report_fn)(void *arg, const char *msg);

struct quarantine_config {
	size_t max_items;                  /* 0: QUARANTINE_DEFAULT_MAX_ITEMS */
	quarantine_report_fn report;       /* NULL: damage only counted and summed up in err */
	void *report_arg;
};

struct quarantine;

/*
 * Open the quarantine in dir, creating it (mode 0700, owned by the calling
 * user, which is root in production; its parent must exist) when it does
 * not exist, and load every record. An existing dir that is a symbolic
 * link, not a directory, owned by another user or open to group or others
 * is refused. Damage on disk is not fatal: it is counted in the stats,
 * passed to cfg->report, and summed up in err, which is "" otherwise.
 * cfg NULL: defaults.
 *
 * Returns NULL with a message in err when the quarantine cannot be used:
 * the directory refused or not creatable, another process holding the
 * lock, an I/O error, more records than max_items.
 */
struct quarantine *quarantine_open(const char *dir, const struct quarantine_config *cfg,
				   char *err, size_t errlen);

/* Release the lock and free q (NULL is fine). */
void quarantine_close(struct quarantine *q);

/*
 * Move the regular file at path into the quarantine (see above) and record
 * it with rule (the rule that matched, UTF-8, shorter than
 * QUARANTINE_RULE_MAX). sha256_hex is the content's sha256 as scanned (64
 * hex digits), or NULL. On success the file is gone from path, the record
 * is on disk, and *out (unless NULL) is the new item.
 *
 * Returns -1 with a message in err, the file left where it was, when the
 * path is not a regular file (symbolic links, FIFOs, devices, sockets are
 * refused), cannot be reached without following a symbolic link, changed
 * while being quarantined or since the scan, lies in the quarantine
 * directory itself, or the quarantine is full; or on an I/O error.
 */
int quarantine_put(struct quarantine *q, const char *path, const char *rule,
		   const char *sha256_hex, struct quarantine_item *out,
		   char *err, size_t errlen);

/*
 * Called by quarantine_list() per item, oldest first; it is valid during
 * the call only and the call must not use q. Return 0 to go on, non-zero
 * to stop.
 */
typedef int (*quarantine_list_fn)(void *arg, const struct quarantine_item *it);

/* Hand out every item. Returns the number handed out. */
size_t quarantine_list(struct quarantine *q, quarantine_list_fn fn, void *arg);

/* Copy the item with this id into *out. Returns 0, or -1 when there is none. */
int quarantine_get(struct quarantine *q, const char *id, struct quarantine_item *out);

/*
 * Put the item back at its original path with its owner, mode and mtime,
 * then delete its record. Refused (-1, the item kept) when something
 * exists at that path now, when a directory of the path is missing or has
 * become a symbolic link, or when the stored copy's sha256 differs from the
 * record (it was changed in the quarantine). When the file is back but the
 * record could not be deleted, or the move not synced to disk, -1 is
 * returned too and err says so (the item is gone from the list only in the
 * second case).
 */
int quarantine_restore(struct quarantine *q, const char *id, char *err, size_t errlen);

/*
 * Delete the item for good: its stored copy, then its record (a record
 * left without its copy, when the second step fails, is reported as
 * damage at the next open). Returns 0, or -1 with err.
 */
int quarantine_delete(struct quarantine *q, const char *id, char *err, size_t errlen);

void quarantine_stats(const struct quarantine *q, struct quarantine_stats *st);

#endif
