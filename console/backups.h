/*
 * backups.h - the console's view of the services' backups: what the agents'
 * backup checks report (event_type "backup", agent/backup.h), judged
 * against the inventory and the service's RPO.
 *
 * An event is taken only from an agent the inventory gives the backup to:
 * the service names `backup KIND "REPOSITORY" host "NAME"` with NAME the
 * agent's host name (no host: an agent named as the service), and the
 * event's kind and repository are the same. Anything else is counted and
 * logged (rate-limited), never stored as the backup's state. A newest
 * snapshot in the future (beyond 5 minutes) or before 2000 is refused.
 *
 * Per backup the store keeps (table backup_state): the last report, the
 * newest snapshot's time, id, size and file count and the one before's,
 * the last integrity check and restore test with their results, and the
 * RPO state; table backup_sizes keeps the size of each new snapshot (the
 * last BACKUPS_SIZES_KEPT) for the trend.
 *
 * Alerts, through the service alerts' path (svcalert_run.h), each with its
 * own check key "backup KIND REPOSITORY: WHAT", raised once and resolved
 * on recovery:
 *   rpo        CRITICAL: the newest snapshot is older than the service's
 *              RPO (checked every 30 s on the console's clock too, so an
 *              agent that falls silent still makes the backup go stale);
 *              UNKNOWN: the agent could not list the repository
 *   integrity  CRITICAL: the integrity check failed
 *   restore    CRITICAL: the restore test failed
 *   size       WARNING: the newest snapshot shrank beyond the agent's
 *              `shrink` setting against the one before
 */
#ifndef KASTRO_BACKUPS_H
#define KASTRO_BACKUPS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "inventory.h"
#include "store.h"
#include "store_services.h"

#define BACKUPS_SIZES_KEPT 100
#define BACKUPS_TICK_S     30

struct console;

/* Tables, and the timer that ages the RPO states. -1 with err. */
int backups_start(struct console *c, char *err, size_t errlen);
void backups_free(struct console *c);

/* The backup events of a batch the sensor sensor_id sent, stored. */
void backups_ingest(struct console *c, const char *sensor_id, const struct store_batch *b);

/* The backups of sv as the REST API shows them: an array (the caller owns
 * it); detail adds the size trend and the checks' messages. */
json_t *backups_json(struct console *c, const struct inv_service *sv, int detail);

/*
 * For the SLA report: the time of the newest snapshot of backup k of sv
 * made at or before `at` that the agents reported (the size trend's rows,
 * so within the last BACKUPS_SIZES_KEPT snapshots) into *last, 0 when
 * none is known; its check key ("backup KIND REPOSITORY") into key.
 */
int backups_last_snapshot(struct console *c, const struct inv_service *sv, int k, int64_t at,
			  char key[SVC_KEY_MAX], int64_t *last, char *err, size_t errlen);

/* Events taken and refused since start, for `kastroctl console status`. */
void backups_counts(const struct console *c, uint64_t *taken, uint64_t *refused);

/*
 * Check one backup event's JSON (text, len) as ingest does, at time now,
 * without the inventory: 0, or -1 with the reason in err; -2 when what it
 * took breaks its own bounds (a bug: fuzz_backup looks for it).
 */
int backups_check_event(const char *text, size_t len, int64_t now, char *err, size_t errlen);

#endif
