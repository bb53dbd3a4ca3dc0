/*
 * watch.h - the endpoint agent's rescans on change: inotify watches on
 * every directory of the watched trees, and the full path of each regular
 * file that was written (closed after writing) or moved into a tree.
 *
 * Choices:
 *
 * - A tree's root is resolved once (realpath); below it symbolic links are
 *   never followed (a link to a directory is not watched, IN_DONT_FOLLOW),
 *   and directories on another file system (mount points) are skipped and
 *   counted unless the tree was added with cross_fs.
 *
 * - New directories (created, or moved in) are watched as they appear, and
 *   the regular files already in them are reported, since a file can be
 *   written there before the watch exists. A directory moved within a tree
 *   keeps its watches under its new path; one moved out of the trees, or
 *   deleted, loses them (IN_MOVE_SELF, IN_DELETE_SELF, IN_IGNORED).
 *
 * - Bounded: at most max_watches directories. A directory not watched
 *   because of that bound, or because the kernel's limit
 *   (fs.inotify.max_user_watches: ENOSPC) was reached, is counted, makes
 *   watch_add_tree() say so, and sets WATCH_UNWATCHED in watch_read(); its
 *   changes are seen only by the scheduled full scan.
 *
 * - When the kernel's queue overflowed (IN_Q_OVERFLOW, more than
 *   fs.inotify.max_queued_events pending), events were lost: watch_read()
 *   sets WATCH_LOST, counts it, and walks the trees again to watch
 *   directories whose creation was lost; the caller should scan the trees.
 *
 * - Debounced: a path is reported at most once per watch_read() call, and
 *   only if it is still a regular file when the call reports it. One call
 *   reads at most WATCH_READ_MAX_EVENTS events or WATCH_DEDUP_MAX distinct
 *   paths; the descriptor then stays readable and the next call goes on.
 *
 * One thread owns a watch. Functions that can fail return -1 with a
 * message in err (what, where, what to do) and never log.
 */
#ifndef KASTRO_WATCH_H
#define KASTRO_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WATCH_DEFAULT_MAX_WATCHES 8192
#define WATCH_MAX_WATCHES_LIMIT   (1u << 20)
#define WATCH_MAX_ROOTS           64
#define WATCH_DEDUP_MAX           4096       /* distinct paths per watch_read() */
#define WATCH_READ_MAX_EVENTS     65536      /* events per watch_read() */

/* watch_read() flags */
#define WATCH_LOST      0x1u   /* events were lost (queue overflow): rescan every tree */
#define WATCH_UNWATCHED 0x2u   /* a new directory is not watched (a bound): rely on full scans */

struct watch_stats {
	uint64_t watches;        /* directories watched now */
	uint64_t max_watches;    /* the bound in force */
	uint64_t limit_hits;     /* directories not watched: max_watches reached */
	uint64_t enospc;         /* directories not watched: the kernel's max_user_watches */
	uint64_t add_errors;     /* directories not watched: other errors (permissions) */
	uint64_t other_fs;       /* directories skipped: another file system */
	uint64_t overflows;      /* queue overflows (IN_Q_OVERFLOW): events lost */
	uint64_t events;         /* inotify events read */
	uint64_t reported;       /* paths handed to the callback */
	uint64_t dropped;        /* events whose full path would not fit PATH_MAX */
};

struct watch;

/* max_watches 0: WATCH_DEFAULT_MAX_WATCHES. Returns NULL with err set. */
struct watch *watch_open(size_t max_watches, char *err, size_t errlen);

/* Close the inotify descriptor and free w (NULL is fine). */
void watch_close(struct watch *w);

/*
 * Watch the directory root and every directory under it (see above);
 * cross_fs: also directories on other file systems. Adding a tree again
 * (or one inside another) is harmless. At most WATCH_MAX_ROOTS trees.
 *
 * Returns 0 when every directory is watched; 1 when some are not (a bound
 * or a permission: counted, and err says how many and why); -1 with err
 * when root itself cannot be watched (not a directory, a bound, too many
 * trees).
 */
int watch_add_tree(struct watch *w, const char *root, bool cross_fs, char *err, size_t errlen);

/* The inotify descriptor (non-blocking) to poll for POLLIN. */
int watch_fd(const struct watch *w);

/*
 * Called by watch_read() per path: the full path of a regular file written
 * or moved in. path is valid during the call only; the call must not use w.
 */
typedef void (*watch_fn)(void *arg, const char *path);

/*
 * Read what is pending (never blocks), keep the watches up to date, and
 * call fn once per changed regular file. *flags (unless NULL) is set to
 * WATCH_LOST and/or WATCH_UNWATCHED as described above, 0 otherwise.
 * Returns the number of paths reported, or -1 with err on a read error.
 */
long watch_read(struct watch *w, watch_fn fn, void *arg, unsigned *flags,
		char *err, size_t errlen);

void watch_stats(const struct watch *w, struct watch_stats *st);

#endif
