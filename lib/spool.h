/*
 * spool.h - the durable on-disk spool of a sensor (kastrod, the endpoint
 * agent): every event is appended here first and sent to the console later,
 * so nothing is lost while the link or the console is down.
 *
 * Records are opaque bytes with a class and a sequence number that is per
 * spool, strictly increasing and never handed out twice, also not after a
 * restart or after everything was acknowledged and deleted (the console
 * deduplicates on (sensor, seq)). Numbers can be skipped: records dropped to
 * the bound, and up to a few thousand after a crash.
 *
 * The spool is bounded in bytes. When it is full, room is made by dropping
 * the oldest heartbeats first, then the oldest events, and findings last,
 * a whole segment file (up to segment_bytes) at a time; every lost record
 * is counted per class, and the counts are kept on disk so the loss can
 * still be reported after a restart. A record is never made room for by
 * dropping records of a more valuable class: such an append fails (and is
 * counted as dropped).
 *
 * Delivery is at least once: spool_read() hands out records without removing
 * them, spool_ack() removes everything up to a sequence number, durably. A
 * crash between the two delivers the same records again.
 *
 * One thread of one process owns an open spool (a lock on the directory
 * refuses a second opener). Functions that can fail return -1 with a message
 * in err (what, where, what to do) and never log.
 */
#ifndef KASTRO_SPOOL_H
#define KASTRO_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* In order of value: when full, the lowest class is dropped first. */
enum spool_class {
	SPOOL_HEARTBEAT,   /* liveness: least valuable */
	SPOOL_EVENT,       /* flows, statistics */
	SPOOL_FINDING,     /* alerts, YARA findings: most valuable */
	SPOOL_NCLASS
};

#define SPOOL_DEFAULT_MAX_BYTES     (1ull << 30)   /* 1 GiB */
#define SPOOL_DEFAULT_SEGMENT_BYTES (4ull << 20)   /* 4 MiB */
#define SPOOL_DEFAULT_MAX_RECORD    (256u << 10)   /* 256 KiB of payload */
#define SPOOL_RECORD_LIMIT          (16u << 20)    /* the largest max_record */
#define SPOOL_RECORD_OVERHEAD       24             /* header bytes per record */

/*
 * Limits; a zero field takes the default. Checked by spool_open():
 * max_record <= SPOOL_RECORD_LIMIT, segment_bytes >= max_record +
 * SPOOL_RECORD_OVERHEAD, segment_bytes <= max_bytes <= 8192 segments. The
 * bound max_bytes counts every byte of the segment files (headers included,
 * and the acknowledged records of a segment not yet deleted).
 */
struct spool_config {
	uint64_t max_bytes;       /* all segment files together */
	uint64_t segment_bytes;   /* a segment file is closed near this size */
	uint32_t max_record;      /* payload bytes of one record */
};

/*
 * Damage found on disk. A damaged stretch inside a segment (a bad checksum,
 * overwritten bytes) is skipped up to the next valid record; it held at least
 * one record, which is lost. A tail (a write torn by a crash, garbage after
 * the last valid record, a segment with no valid record at all) is cut off.
 */
struct spool_damage {
	uint64_t regions;        /* damaged stretches skipped */
	uint64_t region_bytes;
	uint64_t tails;          /* tails cut */
	uint64_t tail_bytes;
};

struct spool_stats {
	uint64_t pending_records[SPOOL_NCLASS];  /* on disk, not acknowledged */
	uint64_t pending_bytes[SPOOL_NCLASS];    /* their bytes, headers included */
	uint64_t dropped_records[SPOOL_NCLASS];  /* lost to the bound, ever (kept on disk) */
	uint64_t dropped_bytes[SPOOL_NCLASS];
	uint64_t next_seq;        /* what the next append gets */
	uint64_t acked_seq;       /* everything <= this is acknowledged; 0: nothing */
	uint64_t disk_bytes;      /* bytes of all segment files (counted against max_bytes) */
	uint64_t segments;        /* segment files */
	uint64_t max_bytes;       /* the limits in force */
	uint64_t segment_bytes;
	uint32_t max_record;
	struct spool_damage damage_total;    /* ever (kept on disk) */
	struct spool_damage damage_at_open;  /* found and repaired by this spool_open() */
};

struct spool;

/*
 * Open the spool in dir, creating the directory (mode 0700, its parent must
 * exist) when it does not exist, and recover what is on disk: torn or
 * garbage tails are cut at the last valid record, damaged stretches skipped
 * (the segment is rewritten without them), fully acknowledged segments
 * deleted, and the spool brought within max_bytes. Damage is never fatal:
 * it is counted in the stats and summed up in err, which is otherwise set to
 * "" on success. cfg NULL: defaults.
 *
 * Returns NULL with a message in err when the spool cannot be used: a bad
 * limit, another owner holding the lock, an I/O or permission error.
 * Reads every segment once (CRC of all records); memory is a small index
 * entry per segment file (at most 65536 files) plus a few 64 KiB buffers,
 * plus the largest record read.
 */
struct spool *spool_open(const char *dir, const struct spool_config *cfg,
			 char *err, size_t errlen);

/*
 * Flush what is not durable yet, repair segments where damage was met while
 * open (already counted), release the lock, free sp (NULL is fine). Returns
 * -1 when the final flush failed (sp is freed all the same).
 */
int spool_close(struct spool *sp, char *err, size_t errlen);

/* spool_append() flags */
#define SPOOL_NOSYNC 0x1u   /* do not wait for the disk; spool_sync() later */

/*
 * Append len bytes (copied; len <= max_record) of class cls and set *seq
 * (unless NULL) to the record's sequence number. Without SPOOL_NOSYNC the
 * record is on disk (write, fdatasync, and the directory when a segment was
 * started) when this returns 0; with it, only after the next spool_sync()
 * (spool_read() also syncs first, so nothing is sent before it is durable).
 *
 * Returns -1 with a message in err when the record is not stored: too
 * large, the spool full of more valuable records (counted as dropped), a
 * write error. When the write succeeded but the sync failed, -1 is returned
 * too and the record may still be delivered later.
 */
int spool_append(struct spool *sp, enum spool_class cls, const void *data, size_t len,
		 unsigned flags, uint64_t *seq, char *err, size_t errlen);

/* Make every append so far durable. */
int spool_sync(struct spool *sp, char *err, size_t errlen);

/*
 * Called per record by spool_read(). data is valid only during the call, and
 * the call must not use the spool. Return 0 to take the record, non-zero to
 * refuse it and end the read (the record is not counted and comes first
 * next time).
 */
typedef int (*spool_read_fn)(void *arg, uint64_t seq, enum spool_class cls,
			     const void *data, size_t len);

/*
 * Hand out records in sequence order, starting after max(after, acked_seq),
 * at most max_records of them and at most max_bytes of payload together,
 * except that a first record larger than max_bytes is handed out alone (so
 * a reader cannot stall; size buffers by max_record). Nothing is removed.
 * Reading on with after = the last sequence handed out is cheap: the
 * position is kept.
 *
 * Returns the number of records taken, or -1 with a message in err.
 */
long spool_read(struct spool *sp, uint64_t after, size_t max_records, size_t max_bytes,
		spool_read_fn fn, void *arg, char *err, size_t errlen);

/*
 * Acknowledge every record with a sequence number <= seq: written to disk
 * (the meta file, atomically) before this returns, then segments holding
 * only acknowledged records are deleted. Acknowledging less than before does
 * nothing; more than was ever handed out (seq >= next_seq) is an error.
 */
int spool_ack(struct spool *sp, uint64_t seq, char *err, size_t errlen);

void spool_stats(const struct spool *sp, struct spool_stats *st);

/* "heartbeat", "event", "finding"; "?" for anything else. */
const char *spool_class_name(enum spool_class cls);

#endif
