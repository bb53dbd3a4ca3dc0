/*
 * backup.h - the agent's backup checks (reference: docs/agent-config.md,
 * "Backup checks"): for each backup of backups.conf (bkconf.h), on its own
 * schedule, in a thread of their own so a long integrity check holds up
 * no scan:
 *
 *   status   restic snapshots / borg list: the newest snapshot's time, and
 *            restic stats / borg info: its size and file count against the
 *            one before (a shrink beyond `shrink` is flagged); dir: the
 *            newest file's time and size against the one before it.
 *   verify   restic check --read-data-subset=k/n, k turning with the clock
 *            so n runs (n = verify-over / verify-every) read every pack;
 *            borg check --verify-data (all of it: borg cannot read a part);
 *            dir: every file a SHA256SUMS manifest in it names, hashed.
 *   restore  a sample of files of the newest snapshot restored into a
 *            scratch directory (DIR/backup-scratch) and compared with the
 *            repository's record of them: restic restore --verify checks
 *            every restored byte against the SHA-256 ids of its chunks in
 *            the snapshot's tree, and the agent checks each file's size
 *            against `restic ls`; for borg the agent hashes each extracted
 *            file and compares it with the SHA-256 `borg list --format
 *            {sha256}` gives for it, and its size. The sample turns with
 *            each run.
 *
 * Tools run as bkrun.h says: no shell, a clean environment, the password
 * as RESTIC_PASSWORD_FILE or on fd 3 for borg (BORG_PASSPHRASE_FD), never
 * on a command line, in the environment or in a log. A password file
 * others may read is refused.
 *
 * Each run is one event (event_type "backup") through the durable spool:
 *   {"timestamp":..,"event_type":"backup","host":..,"backup":{"name":..,
 *    "service":..,"kind":"restic","repository":..,"check":"status",
 *    "ok":true,"error":"", "snapshots":3,"newest":"2026-..Z","newest_id":..,
 *    "size":N,"files":N,"prev_size":N,"prev_files":N,"shrunk":false,
 *    "duration_ms":N,"cpu_ms":N,"read_bytes":N,"write_bytes":N}}
 * verify adds "subset":"k/n"; restore "files":[{"path","size","sha256"}].
 */
#ifndef KASTRO_BACKUP_H
#define KASTRO_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bkconf.h"

#define BACKUP_OUT_MAX   (16u << 20)   /* bytes of a tool's stdout read */
#define BACKUP_LS_MAX    100000        /* files of a listing kept to sample from */

struct backups;

/* An event to store; the callee owns ev. */
typedef void (*backup_emit_fn)(void *arg, json_t *ev);

/*
 * Start the thread for the backups of conf (copied). state_dir: the
 * agent's dir (scratch, tools' caches). host: the event's host. NULL with
 * err when it cannot start; a conf without backups starts nothing and
 * returns NULL with err "" .
 */
struct backups *backup_checks_start(const struct bkc *conf, const char *state_dir, const char *host,
			      backup_emit_fn emit, void *arg, char *err, size_t errlen);

/* Backups checked, checks run and checks that failed since start, for
 * `kastroctl agent status`; b may be NULL (all 0). */
void backup_checks_counts(struct backups *b, int *backups, uint64_t *run, uint64_t *failed);

/* Stop the thread (a tool running is killed) and free; NULL is allowed. */
void backup_checks_stop(struct backups *b);

/* What the checks cost, for `make bench` and tests: run one check of the
 * backup named name now ("status", "verify", "restore") and return its
 * event (the caller owns it), without a thread. NULL with err. */
json_t *backup_run_once(const struct bkc_backup *b, const char *check, const char *state_dir,
			const char *host, char *err, size_t errlen);

#endif
