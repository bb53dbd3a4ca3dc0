/*
 * scache.h - the scan cache: files found clean, so an unchanged file is not
 * read again by the next scan with the same rules.
 *
 * An entry is the key (device, inode, size, mtime ns, ctime ns, rules
 * version) of a file that was read and matched no rule. A lookup hits only
 * when all six are equal; a file changed in any way (written, truncated,
 * chmod or chown, renamed over: ctime), or scanned with other rules, is
 * read again. Files that matched are never inserted (scan.h). One entry
 * per (device, inode): inserting replaces what that file had.
 *
 * The cache holds at most max_entries; inserting into a full cache evicts
 * an entry not looked up recently (the CLOCK algorithm, second chance),
 * counted in evictions. Memory: about 60 bytes per entry.
 *
 * Persistence: scache_save() writes the whole cache to its file atomically
 * (a temporary file in the same directory, fsync, rename, fsync of the
 * directory): a header with a magic, a format version and the entry count,
 * the entries, and a SHA-256 over all of it. scache_open() reads it back;
 * a file that is corrupt, truncated, of another version, or not ours is
 * discarded (the cache starts empty, and scache_open() says why in err):
 * never fatal, it only costs a full scan.
 *
 * Thread-safety: lookups and inserts may come from many threads at once
 * (one lock). open, save and close from one thread, not during a scan.
 * Functions that can fail return -1 or NULL with a message in err and
 * never log.
 */
#ifndef KASTRO_SCACHE_H
#define KASTRO_SCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define SCACHE_DEFAULT_ENTRIES 1000000
#define SCACHE_MAX_ENTRIES     (1u << 30)

struct scache;

struct scache_key {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint64_t rules;       /* scache_rules_tag() of the rules version */
};

struct scache_stats {
	uint64_t entries, max_entries;
	uint64_t hits, misses, inserts, evictions;
	uint64_t loaded;      /* entries read by scache_open() */
};

/*
 * Open the cache stored at path (NULL: a cache in memory only), reading it
 * if it exists. max_entries 0 takes SCACHE_DEFAULT_ENTRIES; a file with
 * more entries keeps the first max_entries (the rest counted as evicted).
 * err is set to "" when the file was read or did not exist, and to the
 * reason it was discarded otherwise. Returns NULL with a message in err
 * only for a bad argument or no memory.
 */
struct scache *scache_open(const char *path, uint64_t max_entries, char *err, size_t errlen);

/* Write the cache to its file (see above); nothing to do in memory only. */
int scache_save(struct scache *c, char *err, size_t errlen);

/* Free c (NULL is fine) without saving. */
void scache_close(struct scache *c);

/* The 64-bit tag of a rules version (its first 16 hex digits). */
uint64_t scache_rules_tag(const char *rules_version);

/* The key of a file from its stat and the rules tag. */
void scache_key(struct scache_key *k, const struct stat *st, uint64_t rules_tag);

/* True when k is in the cache (all fields equal). Counts a hit or a miss. */
bool scache_lookup(struct scache *c, const struct scache_key *k);

/* Record k as clean (replacing the entry of the same device and inode). */
void scache_insert(struct scache *c, const struct scache_key *k);

/* Forget the file (device, inode), e.g. after it matched. */
void scache_forget(struct scache *c, uint64_t dev, uint64_t ino);

void scache_stats(struct scache *c, struct scache_stats *st);

#endif
