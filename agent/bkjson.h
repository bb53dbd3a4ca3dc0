/*
 * bkjson.h - what restic and borg print as JSON, read for the agent's
 * backup checks (backup.h). Untrusted input: a repository can be written
 * by whoever writes the backups, and the tools' output follows it. Every
 * parser takes a bounded buffer (the runner caps what it reads), refuses
 * what is not the expected shape with a message, and keeps only bounded
 * copies. Nothing here allocates beyond jansson's own parse, or logs.
 *
 * Times: restic writes RFC 3339 with a zone ("2026-12-06T23:03:09.66Z",
 * "+02:00"); borg 1.2 writes local time without a zone
 * ("2026-12-06T23:03:22.000000"), read with the agent's time zone, as
 * borg wrote it.
 */
#ifndef KASTRO_BKJSON_H
#define KASTRO_BKJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BKJ_ID_MAX    65         /* a snapshot's or archive's id or name, NUL included */
#define BKJ_PATH_MAX  4096       /* a path inside a snapshot, NUL included */

/* The newest two snapshots or archives of a repository. */
struct bkj_list {
	uint64_t count;              /* snapshots or archives */
	int64_t newest;              /* unix seconds; 0: none */
	char newest_id[BKJ_ID_MAX];  /* restic: id; borg: archive name */
	int64_t prev;                /* the one before; 0: none */
	char prev_id[BKJ_ID_MAX];
};

/* Size and file count of one snapshot or archive. */
struct bkj_stats {
	uint64_t size;               /* bytes of the files as backed up */
	uint64_t files;
};

/* One entry of a listing (restic ls --json, borg list --json-lines). */
struct bkj_item {
	bool is_file;                /* a regular file */
	char path[BKJ_PATH_MAX];
	uint64_t size;
	char sha256[65];             /* borg with --format {sha256}; "" otherwise */
};

/*
 * "2026-12-06T23:03:09.660117511Z", with a fraction or not, with Z,
 * +HH:MM, -HH:MM or (local) nothing: unix seconds into *out. -1 when
 * malformed or before 1970.
 */
int bkj_time(const char *s, int64_t *out);

/* `restic snapshots --json`: an array of snapshots. */
int bkj_restic_snapshots(const char *buf, size_t len, struct bkj_list *out, char *err,
			 size_t errlen);

/* `restic stats --json ID`: {"total_size":N,"total_file_count":N,...}. */
int bkj_restic_stats(const char *buf, size_t len, struct bkj_stats *out, char *err,
		     size_t errlen);

/*
 * One line of `restic ls --json ID` or of `borg list --json-lines`: 1 with
 * *out set for a node or item, 0 for a line that is none (restic's first
 * line, the snapshot), -1 when malformed.
 */
int bkj_restic_ls_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen);
int bkj_borg_item_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen);

/* `borg list --json REPO`: {"archives":[{"name":..,"time":..},..],..}. */
int bkj_borg_list(const char *buf, size_t len, struct bkj_list *out, char *err, size_t errlen);

/* `borg info --json REPO::ARCHIVE`: archives[0].stats original_size, nfiles. */
int bkj_borg_info(const char *buf, size_t len, struct bkj_stats *out, char *err,
		  size_t errlen);

#endif
