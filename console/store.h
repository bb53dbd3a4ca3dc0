/*
 * store.h - the console's durable storage: SQLite 3 in WAL mode.
 *
 * One struct store per process, used from the console's single thread; it
 * holds the database connection and its prepared statements. Everything the
 * console keeps lives here: sensors and their enrolment tokens, the events
 * sensors send, the alerts made from them, officers (users, sessions, API
 * tokens), the audit log and the commands queued for sensors.
 *
 * Durability: synchronous=FULL, so a transaction that returned is on disk
 * before the console acknowledges a batch to a sensor; store_ingest()
 * commits a whole batch or nothing (and store_group_commit() many batches
 * at once, each whole or not at all). Events are stored once per
 * (sensor, seq): a batch sent again after any crash stores nothing twice.
 *
 * Conventions:
 *  - Every function that can fail returns -1 and writes a message into
 *    err (errlen bytes; err may be NULL). Functions here never log.
 *  - Lookups of one row (…_get, …_lookup) return 0 when found,
 *    STORE_NOT_FOUND when there is no such row (err says which), -1 on
 *    error. Changing a row that does not exist is an error (-1).
 *  - Times are unix seconds (int64_t), passed in by the caller as `now`, so
 *    tests control the clock. store_ingest() alone reads the clock, for the
 *    receive time.
 *  - Strings are NUL-terminated, bounded by the STORE_*_MAX limits below and
 *    checked: a string too long or with control characters is refused, never
 *    cut. Rows handed out are copied into fixed buffers; the few long JSON
 *    texts (event body, command args and result) are pointers valid only
 *    until the callback returns.
 *  - Callbacks return 0 to go on, non-zero to stop early (not an error).
 *    They must not call store functions, except where said otherwise.
 *  - A listing's limit is 1..STORE_PAGE_MAX; anything else is an error
 *    (only the alert filter gives 0 a meaning).
 *  - Hashes (enrolment tokens, sessions, API tokens) are SHA-256 in 64
 *    lowercase hex digits; the secrets themselves are never stored.
 */
#ifndef KASTRO_STORE_H
#define KASTRO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define STORE_SCHEMA_VERSION 3
#define STORE_NOT_FOUND 1

/* Ingest bounds. */
#define STORE_BATCH_MAX      1000               /* events per batch */
#define STORE_EVENT_MAX      (64 * 1024)        /* one event, compact JSON bytes */
#define STORE_BODY_MAX       (16 * 1024 * 1024) /* a whole batch as received */
#define STORE_SEQ_MAX        (1ull << 53)       /* exact in a JSON double */
#define STORE_CLOCK_SKEW     3600               /* event time allowed ahead of ours */
#define STORE_CLOCK_PAST     86400              /* ... and before the sensor's enrolment */

/*
 * What the console did not take from a sensor (events.flags, alerts.flags);
 * the sensor's own words are kept in events.claim, a JSON object
 * {"host": ..., "timestamp": ...} with the members that were replaced.
 */
#define STORE_FLAG_HOST      0x1    /* "host" named another host: the enrolled one is used */
#define STORE_FLAG_TS_PAST   0x2    /* timestamp before enrolment: receive time used */
#define STORE_FLAG_TS_FUTURE 0x4    /* timestamp ahead of the clock: receive time used */

/* Field bounds, in bytes without the NUL. */
#define STORE_ID_MAX         64     /* sensor id: [A-Za-z0-9._-] */
#define STORE_KIND_MAX       15     /* "agent", "gateway" */
#define STORE_HOST_MAX       255
#define STORE_SERIAL_MAX     64     /* certificate serial, hex */
#define STORE_FACTS_MAX      16384  /* sensor facts, JSON object */
#define STORE_EVTYPE_MAX     32     /* event_type: [A-Za-z0-9_.-] */
#define STORE_SIG_MAX        512
#define STORE_CATEGORY_MAX   128
#define STORE_ACTION_MAX     16     /* alert.action: "allowed", "blocked" */
#define STORE_STATUS_MAX     15
#define STORE_NAME_MAX       64     /* user names: [A-Za-z0-9._@-] */
#define STORE_ROLE_MAX       15
#define STORE_PWHASH_MAX     255    /* an encoded argon2id hash */
#define STORE_TOTP_MAX       128    /* base32 TOTP secret */
#define STORE_HASH_HEX       64     /* SHA-256, lowercase hex */
#define STORE_ADDR_MAX       64     /* client address text */
#define STORE_AUDIT_ACTION_MAX 64
#define STORE_DETAIL_MAX     4096
#define STORE_NOTE_MAX       4096
#define STORE_NOTES_PER_ALERT 500
#define STORE_TEXT_MAX       256    /* alert search text */
#define STORE_CMD_TYPE_MAX   32     /* [a-z0-9_] */
#define STORE_CMD_ARGS_MAX   16384  /* JSON object */
#define STORE_CMD_RESULT_MAX 65536  /* JSON value */

/* Query bounds. */
#define STORE_PAGE_MAX       500    /* rows per page of any listing */
#define STORE_PAGE_DEFAULT   50     /* when a filter says limit 0 */
#define STORE_SILENT_MAX     256    /* sensors per store_sensors_silent() */

#define STORE_DEDUP_DEFAULT  3600   /* seconds */
#define STORE_DEDUP_LIMIT    (7 * 86400)
/* session/API token/sensor "last seen" is written at most this often */
#define STORE_TOUCH_S        30

struct store;

/*
 * Open the database at path. create 1: create the file (mode 0600) and the
 * schema if missing; an existing Kastro database is opened as it is. create
 * 0: the file must exist and hold a Kastro schema. A schema of version 1 is
 * upgraded (in one transaction: all of it or nothing). A schema newer than
 * this program, or a file that is some other database, is an error. Sets
 * WAL mode (an error when the file system cannot do it), synchronous=FULL,
 * foreign keys, a 5 s busy timeout, a 64 MiB page cache and a checkpoint
 * every 10,000 WAL pages. Free with store_close().
 */
int store_open(const char *path, int create, struct store **out, char *err, size_t errlen);
/* Finalise statements, run PRAGMA optimize, close. NULL is allowed. */
void store_close(struct store *s);
/* Run PRAGMA optimize (refreshes planner statistics when useful). */
int store_optimize(struct store *s, char *err, size_t errlen);
/*
 * Upkeep, to be called periodically (every second is fine; now in unix
 * seconds): store_optimize() ten minutes after the first call, then once
 * a day. 0 when nothing was due.
 */
int store_maintain(struct store *s, int64_t now, char *err, size_t errlen);

/*
 * Alerts repeating the same signature for the same host (and sensor and
 * kind: alert, finding, sensor_offline) whose
 * time is within `seconds` of an open alert row's [first_seen, last_seen]
 * update that row. 0: every alert event makes a row. At most
 * STORE_DEDUP_LIMIT. Default STORE_DEDUP_DEFAULT.
 */
int store_set_dedup_window(struct store *s, int64_t seconds, char *err, size_t errlen);
/* Alerts made or counted from now on queue their hooks' deliveries in the
 * same transaction (outbox.h); creates the outbox's tables. ob may be NULL. */
struct outbox;
int store_set_outbox(struct store *s, struct outbox *ob, char *err, size_t errlen);

/* ---- ingest ---- */

struct store_ingest_result {
	unsigned inserted;       /* new events */
	unsigned duplicates;     /* (sensor, seq) already stored: ignored */
	unsigned alerts_new;     /* alert rows made; their ids in alert_ids */
	unsigned alerts_updated; /* repeats counted on an existing row */
	unsigned ts_replaced;    /* event times out of bounds: receive time used */
	unsigned claims;         /* events whose host claim was not taken */
	int64_t alert_ids[STORE_BATCH_MAX];
};

/*
 * Store one batch `{"first_seq": N, "events": [ {...}, ... ]}` (len bytes,
 * not NUL-terminated) from sensor_id; event i has sequence N + i. The whole
 * batch is checked first: JSON without duplicate keys; first_seq an integer
 * in [1, STORE_SEQ_MAX] with the last sequence within it too; events a
 * non-empty array of at most STORE_BATCH_MAX objects, each at most
 * STORE_EVENT_MAX bytes as compact JSON, with an event_type string
 * ([A-Za-z0-9_.-], at most STORE_EVTYPE_MAX); a timestamp, when present, an
 * ISO 8601 string; "alert" events an alert object with a signature string
 * and severity 1..4 (higher numbers are counted as 4); "finding" events a
 * finding object with a rule string. "sensor_offline" is the console's own
 * and refused. Other top-level members are ignored. Anything wrong: -1 with
 * the reason ("events[3]: event_type missing") and nothing stored.
 *
 * Then in one transaction: each event is inserted unless its (sensor, seq)
 * is stored; each newly inserted alert/finding makes or updates an alert;
 * the sensor's last_seen becomes now, its offline mark is cleared and its
 * acked_seq becomes max(acked_seq, last seq). An unknown or revoked sensor
 * is an error. On success *ack_out = N + n - 1 and *res (may be NULL) says
 * what happened.
 *
 * An event is stored as it was received, without the white space outside
 * strings (the same JSON value as jansson would write, maybe spelled
 * differently: escapes and numbers are kept as the sensor wrote them).
 *
 * Event times: "timestamp" parsed, or the receive time when absent, more
 * than STORE_CLOCK_SKEW ahead of the receive time, or more than
 * STORE_CLOCK_PAST before the sensor's enrolment (counted in ts_replaced,
 * flagged STORE_FLAG_TS_FUTURE or _PAST, the sensor's text kept in the
 * claim). The event's host is what the console knows, never what the
 * sensor says of itself: for agents the enrolled hostname; for gateways
 * "src_ip" (the client the gateway saw), else the enrolled hostname. A
 * "host" naming another host is kept as the claim (STORE_FLAG_HOST,
 * counted in claims; compared ignoring ASCII case). Members that are not
 * strings are ignored there; strings too long or with control characters
 * are refused.
 *
 * An alert row takes from its first event: for "alert", alert.signature,
 * .signature_id (else -1), .category, .action (else ""); for "finding",
 * finding.rule as the signature, signature_id -1, finding.severity when
 * given (else 2), finding.category and .action when given (else "").
 */
int store_ingest(struct store *s, const char *sensor_id, const char *body, size_t len,
		 uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen);

/*
 * The same in steps, for storing the batches that arrive close together in
 * one transaction (one fsync for all, "group commit"):
 *   store_batch_parse()   checks a batch as store_ingest() does, touching
 *                         no database (so its error can be answered at once);
 *   store_group_begin()   opens the transaction;
 *   store_batch_store()   stores a checked batch inside it, under a
 *                         savepoint of its own: on -1 that batch left
 *                         nothing, the others stay;
 *   store_group_commit()  commits them all. Only after it returned 0 are the
 *                         batches durable and may be acknowledged; on -1
 *                         none of them is stored.
 * Between begin and commit (or store_group_rollback()) no other store
 * function may be called. A parsed batch holds about ten times its
 * text in memory; free it with store_batch_free() (NULL is allowed).
 */
struct store_batch;
int store_batch_parse(const char *body, size_t len, struct store_batch **out, char *err,
		      size_t errlen);
unsigned store_batch_events(const struct store_batch *b);
/* Event i of a checked batch (NULL past the end), its event_type and sequence. */
json_t *store_batch_event(const struct store_batch *b, unsigned i, const char **type,
			  int64_t *seq);
void store_batch_free(struct store_batch *b);
int store_group_begin(struct store *s, char *err, size_t errlen);
int store_batch_store(struct store *s, const char *sensor_id, const struct store_batch *b,
		      uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen);
int store_group_commit(struct store *s, char *err, size_t errlen);
void store_group_rollback(struct store *s);

struct store_event {
	char sensor_id[STORE_ID_MAX + 1];
	int64_t seq;             /* < 0: written by the console about the sensor */
	int64_t ts;
	char event_type[STORE_EVTYPE_MAX + 1];
	char host[STORE_HOST_MAX + 1];   /* "" when none */
	const char *body;        /* compact JSON; valid during the callback */
};
typedef int (*store_event_cb)(void *arg, const struct store_event *ev);

/* The event (sensor_id, seq), given to cb. */
int store_event_get(struct store *s, const char *sensor_id, int64_t seq,
		    store_event_cb cb, void *arg, char *err, size_t errlen);

/* ---- sensors ---- */

struct store_sensor {
	char id[STORE_ID_MAX + 1];
	char kind[STORE_KIND_MAX + 1];
	char hostname[STORE_HOST_MAX + 1];
	char cert_serial[STORE_SERIAL_MAX + 1];  /* "" when none */
	int64_t enrolled_at;
	int64_t last_seen;          /* 0: never */
	int64_t revoked_at;         /* 0: not revoked */
	int64_t offline_alerted;    /* 0: not marked offline */
	uint64_t acked_seq;
};
typedef int (*store_sensor_cb)(void *arg, const struct store_sensor *row);

/*
 * Add a sensor. id: [A-Za-z0-9._-]; kind "agent" or "gateway"; hostname
 * non-empty; cert_serial hex digits (any case, stored lowercase; NULL:
 * none yet), unique among sensors; facts_json a JSON object or NULL.
 */
int store_sensor_add(struct store *s, const char *id, const char *kind, const char *hostname,
		     const char *cert_serial, const char *facts_json, int64_t now,
		     char *err, size_t errlen);
/* *facts_out (may be NULL) gets the facts JSON, malloc'd (free()), or NULL. */
int store_sensor_get(struct store *s, const char *id, struct store_sensor *out,
		     char **facts_out, char *err, size_t errlen);
/* Every sensor, by hostname then id. */
int store_sensor_list(struct store *s, store_sensor_cb cb, void *arg, char *err, size_t errlen);
/* Revoke (idempotent); its queued and delivered commands expire. Unknown id: -1. */
int store_sensor_revoke(struct store *s, const char *id, int64_t now, char *err, size_t errlen);
/*
 * 1 when the sensor exists, is not revoked and has this certificate serial
 * (hex, any case), else 0; -1 on error. One primary-key lookup: meant for
 * every TLS handshake.
 */
int store_sensor_allowed(struct store *s, const char *id, const char *cert_serial,
			 char *err, size_t errlen);
/* The sensor talked to us: last_seen = now, offline mark cleared. */
int store_sensor_seen(struct store *s, const char *id, int64_t now, char *err, size_t errlen);
/*
 * Sensors not revoked, not marked offline, and silent for more than
 * silence_s (last_seen, or enrolled_at if never seen, before now -
 * silence_s): at most STORE_SILENT_MAX, longest silent first. Rows are read
 * before the first call, so cb may call the store (store_sensor_mark_offline).
 */
int store_sensors_silent(struct store *s, int64_t now, int64_t silence_s,
			 store_sensor_cb cb, void *arg, char *err, size_t errlen);
/*
 * Mark the sensor offline and, in the same transaction, store a console
 * event {"event_type":"sensor_offline",...} for it (seq < 0) that becomes
 * an alert: severity 2, signature "Sensor offline: <hostname> (<id>)",
 * host the sensor's hostname, deduplicated like any alert. *alert_id (may
 * be NULL) gets the alert's id, or 0 when the sensor was already marked,
 * is revoked or is the console itself (then nothing is written). The mark
 * is cleared when the sensor is seen again (store_sensor_seen, store_ingest).
 */
int store_sensor_mark_offline(struct store *s, const char *id, int64_t now, int64_t *alert_id,
			      char *err, size_t errlen);
/* Sensors not revoked: online when last_seen >= now - silence_s. */
int store_sensor_counts(struct store *s, int64_t now, int64_t silence_s,
			int64_t *online, int64_t *offline, char *err, size_t errlen);

/* ---- enrolment tokens ---- */

struct store_token {
	char hash[STORE_HASH_HEX + 1];
	char kind[STORE_KIND_MAX + 1];
	int64_t created_at, expires_at;
	int64_t used_at;            /* 0: unused */
	char used_by_sensor[STORE_ID_MAX + 1];
};
typedef int (*store_token_cb)(void *arg, const struct store_token *row);

/* kind "agent" or "gateway"; expires > created. */
int store_token_add(struct store *s, const char *hash_hex, const char *kind, int64_t created,
		    int64_t expires, char *err, size_t errlen);
/*
 * Use the token once, atomically: 0 and the token's kind in kind_out
 * (kind_len bytes, at least STORE_KIND_MAX + 1). Otherwise -1 with "unknown
 * token", "token already used" or "token expired" (expires_at <= now).
 */
int store_token_consume(struct store *s, const char *hash_hex, int64_t now,
			const char *sensor_id, char *kind_out, size_t kind_len,
			char *err, size_t errlen);
/* Newest first, at most limit (1..STORE_PAGE_MAX). */
int store_token_list(struct store *s, unsigned limit, store_token_cb cb, void *arg,
		     char *err, size_t errlen);
/* Unknown hash: -1. */
int store_token_delete(struct store *s, const char *hash_hex, char *err, size_t errlen);

/* ---- users, sessions, API tokens ---- */

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	char role[STORE_ROLE_MAX + 1];          /* admin, analyst, viewer */
	char pw_hash[STORE_PWHASH_MAX + 1];     /* "" in store_user_list */
	char totp_secret[STORE_TOTP_MAX + 1];   /* "": no second factor; "" in lists */
	int64_t totp_last_step;                 /* 0: none used yet */
	int64_t created_at;
	int disabled;
	int totp;                               /* 1: a second factor is set (lists too) */
};
/* Names are unique ignoring ASCII case, and looked up ignoring it; rows
 * give the name as it was added. */
typedef int (*store_user_cb)(void *arg, const struct store_user *row);

/* name: [A-Za-z0-9._@-], unique; role admin/analyst/viewer; pw_hash printable. */
int store_user_add(struct store *s, const char *name, const char *role, const char *pw_hash,
		   int64_t now, int64_t *id_out, char *err, size_t errlen);
int store_user_get_by_name(struct store *s, const char *name, struct store_user *out,
			   char *err, size_t errlen);
int store_user_get_by_id(struct store *s, int64_t id, struct store_user *out,
			 char *err, size_t errlen);
/* Every user by name; secrets blanked. */
int store_user_list(struct store *s, store_user_cb cb, void *arg, char *err, size_t errlen);
int store_user_set_password(struct store *s, int64_t id, const char *pw_hash,
			    char *err, size_t errlen);
/* secret NULL removes the second factor; either way totp_last_step resets. */
int store_user_set_totp(struct store *s, int64_t id, const char *secret, char *err, size_t errlen);
/*
 * Record the TOTP time step just accepted, only if it is later than the
 * last one: -1 "code already used" otherwise (a replayed code).
 */
int store_user_set_totp_step(struct store *s, int64_t id, int64_t step, char *err, size_t errlen);
/* Refused (-1) when it would leave no enabled admin. */
int store_user_set_role(struct store *s, int64_t id, const char *role, char *err, size_t errlen);
/*
 * disabled 1: disable and end the user's sessions (API tokens stop working
 * too); 0: enable again. Disabling the last enabled admin is refused.
 */
int store_user_disable(struct store *s, int64_t id, int disabled, char *err, size_t errlen);

struct store_session {
	int64_t user_id;
	int64_t created_at, last_seen;
	char addr[STORE_ADDR_MAX + 1];
};

int store_session_add(struct store *s, const char *id_hash, int64_t user_id, int64_t now,
		      const char *addr, char *err, size_t errlen);
/* A session of a disabled user is not found. */
int store_session_get(struct store *s, const char *id_hash, struct store_session *out,
		      char *err, size_t errlen);
/* last_seen = now, written only when STORE_TOUCH_S or more old. */
int store_session_touch(struct store *s, const char *id_hash, int64_t now, char *err, size_t errlen);
/* Deleting a session that is gone is not an error. */
int store_session_delete(struct store *s, const char *id_hash, char *err, size_t errlen);
/* Every session of the user (a password change, "log out everywhere"). */
int store_session_delete_user(struct store *s, int64_t user_id, char *err, size_t errlen);
/*
 * Delete sessions idle more than idle_s or older than absolute_s;
 * *deleted (may be NULL) gets how many.
 */
int store_sessions_expire(struct store *s, int64_t now, int64_t idle_s, int64_t absolute_s,
			  int64_t *deleted, char *err, size_t errlen);

struct store_api_token {
	char hash[STORE_HASH_HEX + 1];
	int64_t user_id;
	char name[STORE_NAME_MAX + 1];
	int64_t created_at;
	int64_t last_used;          /* 0: never */
	int64_t expires_at;         /* 0: never (tokens made before expiry existed) */
	char user[STORE_NAME_MAX + 1];  /* the owner's name */
};
typedef int (*store_api_token_cb)(void *arg, const struct store_api_token *row);

/* name: [A-Za-z0-9._@-], unique per user. */
int store_api_token_add(struct store *s, const char *hash_hex, int64_t user_id, const char *name,
			int64_t now, char *err, size_t errlen);
/* The same, valid until expires_at (> now; 0: never). */
int store_api_token_add_until(struct store *s, const char *hash_hex, int64_t user_id,
			      const char *name, int64_t now, int64_t expires_at, char *err,
			      size_t errlen);
/*
 * The token's user (not disabled) in *user_id; last_used updated (at most
 * every STORE_TOUCH_S). STORE_NOT_FOUND for unknown and expired tokens and
 * disabled users.
 */
int store_api_token_lookup(struct store *s, const char *hash_hex, int64_t now, int64_t *user_id,
			   char *err, size_t errlen);
/* Unknown (user_id, name): -1. */
int store_api_token_delete(struct store *s, int64_t user_id, const char *name,
			   char *err, size_t errlen);
/* The user's tokens by name; user_id 0: every user's, by user and name. */
int store_api_token_list(struct store *s, int64_t user_id, store_api_token_cb cb, void *arg,
			 char *err, size_t errlen);
/*
 * End every session and API token of user_id but the session keep_session
 * and the token keep_token (hashes; NULL: none kept): what a change of the
 * user's password, role or second factor does. *ended (may be NULL) gets
 * how many went. One transaction.
 */
int store_user_end_credentials(struct store *s, int64_t user_id, const char *keep_session,
			       const char *keep_token, int64_t *ended, char *err, size_t errlen);

/* ---- audit (append-only: the schema refuses UPDATE and DELETE; each entry
 * chained to the one before by a SHA-256, see store_audit.c) ---- */

struct store_audit_entry {
	int64_t id, ts;
	char user[STORE_NAME_MAX + 1];      /* "" for the console itself */
	char addr[STORE_ADDR_MAX + 1];
	char action[STORE_AUDIT_ACTION_MAX + 1];
	char detail[STORE_DETAIL_MAX + 1];
};
typedef int (*store_audit_cb)(void *arg, const struct store_audit_entry *row);

/* user, addr, detail may be NULL; action: [A-Za-z0-9_.-], non-empty. */
int store_audit(struct store *s, int64_t now, const char *user, const char *addr,
		const char *action, const char *detail, char *err, size_t errlen);
/*
 * The audit chain checked from the oldest entry: how many fit, and the
 * first that does not (first_bad, 0: none) with the reason. Entries
 * written before the chain existed (no hash; only before the first
 * hashed one) are counted in before_chain. The head (the newest entry
 * verified) is what to compare with a copy kept elsewhere.
 */
struct store_audit_check {
	int64_t verified, before_chain;
	int64_t first_bad;
	char why[96];
	int64_t head_id;
	char head_hash[STORE_HASH_HEX + 1];
};
int store_audit_verify(struct store *s, struct store_audit_check *out, char *err, size_t errlen);
/* Newest first, ids below before_id (0: from the newest), at most limit. */
int store_audit_list(struct store *s, int64_t before_id, unsigned limit, store_audit_cb cb,
		     void *arg, char *err, size_t errlen);

/* ---- retention and quotas (store_retention.c) ---- */

#define STORE_PRUNE_BATCH_MAX 10000

struct store_prune_result {
	int64_t events, alerts;         /* deleted */
	int64_t events_held;            /* old, but the first event of a kept alert */
	int64_t alerts_held;            /* old and resolved, but hook deliveries pending */
	bool more;                      /* a batch was full: call again soon */
};

/*
 * One step of retention, in one transaction: at most batch (1..
 * STORE_PRUNE_BATCH_MAX) resolved alerts last seen before now - alerts_age
 * (with their notes), unless hook deliveries of theirs are pending; and at
 * most batch events received before now - events_age, oldest first, except
 * the first event of an alert that is kept. An age of 0 keeps that kind.
 * Events are walked with a cursor kept in the store, so held events are
 * stepped over until the pass reaches young events; the next pass starts
 * again from the oldest.
 */
int store_prune(struct store *s, int64_t now, int64_t events_age, int64_t alerts_age,
		unsigned batch, struct store_prune_result *res, char *err, size_t errlen);

struct store_quota_row {
	int64_t refused_batches, refused_events, refused_bytes, last_refused;
};

/*
 * Record batches refused because the sensor went over its quota (counts
 * added to the sensor's row) and, in the same transaction, store a console
 * event "quota_exceeded" (seq < 0) that makes an alert (severity 2,
 * signature "Sensor over its quota: <hostname> (<id>)", deduplicated like
 * any alert, so its count grows while the sensor keeps at it). *alert_id
 * (may be NULL) gets the alert's id.
 */
int store_quota_refused(struct store *s, const char *sensor_id, uint64_t batches,
			uint64_t events, uint64_t bytes, int64_t now, int64_t *alert_id,
			char *err, size_t errlen);
/* The sensor's refusals so far (all 0 when none). */
int store_quota_get(struct store *s, const char *sensor_id, struct store_quota_row *out,
		    char *err, size_t errlen);

/* ---- alerts ---- */

struct store_alert {
	int64_t id;
	char kind[STORE_EVTYPE_MAX + 1];    /* alert, finding, sensor_offline */
	char sensor_id[STORE_ID_MAX + 1];
	char host[STORE_HOST_MAX + 1];
	int64_t signature_id;               /* -1: none (findings, console) */
	char signature[STORE_SIG_MAX + 1];
	char category[STORE_CATEGORY_MAX + 1];
	int severity;                       /* 1 highest .. 4 */
	char action[STORE_ACTION_MAX + 1];  /* "" when the event had none */
	char app[STORE_CATEGORY_MAX + 1];   /* the application nDPI named (gateway alerts), or "" */
	int64_t first_seen, last_seen, count;
	char status[STORE_STATUS_MAX + 1];  /* new, acknowledged, resolved */
	int64_t status_at;                  /* 0: never changed */
	char status_by[STORE_NAME_MAX + 1];
	char assignee[STORE_NAME_MAX + 1];  /* "": nobody */
	char event_sensor_id[STORE_ID_MAX + 1];   /* the first event */
	int64_t event_seq;
	char claimed_host[STORE_HOST_MAX + 1];    /* the first event's own "host"
						     when it was not the sensor's; "" */
	unsigned flags;                           /* STORE_FLAG_* of the first event */
};
typedef int (*store_alert_cb)(void *arg, const struct store_alert *row);

/*
 * Zero-initialise, then set what filters. Rows come newest first by
 * (last_seen, id); to get the next page pass back the cursor of the page
 * before (after_last_seen, after_id; after_id 0: first page).
 */
struct store_alert_filter {
	int severity_max;         /* severity <= this; 0: any */
	const char *status;       /* new, acknowledged, resolved, or "open"
				     (not resolved); NULL: any */
	const char *sensor_id;    /* NULL: any */
	const char *host;         /* NULL: any */
	int64_t since, until;     /* last_seen in [since, until); 0: open end */
	const char *text;         /* substring of the signature, ASCII case
				     insensitive; NULL or "": any */
	int64_t after_last_seen, after_id;
	unsigned limit;           /* 1..STORE_PAGE_MAX; 0: STORE_PAGE_DEFAULT */
};

struct store_alert_page {
	unsigned rows;            /* given to the callback */
	int more;                 /* 1: a next page exists */
	int64_t next_last_seen, next_id;   /* cursor for the next page */
};

/*
 * One page of alerts matching f, in order, to cb; *page (may be NULL) gets
 * the count and the cursor. Every filter combination is served by an index
 * walk in (last_seen, id) order, without sorting and without OFFSET. A row
 * counted again while someone pages moves to the front (its last_seen
 * grows), so the later pages do not show it.
 */
int store_alert_query(struct store *s, const struct store_alert_filter *f, store_alert_cb cb,
		      void *arg, struct store_alert_page *page, char *err, size_t errlen);
/* EXPLAIN QUERY PLAN of that query, details joined by "; ", into buf. */
int store_alert_query_plan(struct store *s, const struct store_alert_filter *f, char *buf,
			   size_t len, char *err, size_t errlen);
int store_alert_get(struct store *s, int64_t id, struct store_alert *out, char *err, size_t errlen);
/* status new/acknowledged/resolved; user (may be NULL) recorded as status_by. */
int store_alert_set_status(struct store *s, int64_t id, const char *status, const char *user,
			   int64_t now, char *err, size_t errlen);
/* assignee: an enabled user's name (any case; the stored spelling is
 * kept), or NULL or "" to unassign. */
int store_alert_assign(struct store *s, int64_t id, const char *assignee, char *err, size_t errlen);

struct store_note {
	int64_t id, alert_id, ts;
	char user[STORE_NAME_MAX + 1];
	char text[STORE_NOTE_MAX + 1];
};
typedef int (*store_note_cb)(void *arg, const struct store_note *row);

/* text: non-empty, newlines and tabs allowed; at most STORE_NOTES_PER_ALERT. */
int store_alert_note_add(struct store *s, int64_t alert_id, const char *user, int64_t now,
			 const char *text, int64_t *id_out, char *err, size_t errlen);
/* Oldest first. */
int store_alert_notes(struct store *s, int64_t alert_id, store_note_cb cb, void *arg,
		      char *err, size_t errlen);
/*
 * Events of host nearest in time to around_ts: up to limit (1..
 * STORE_PAGE_MAX), half before (or at) and half after when there are
 * enough, given to cb oldest first.
 */
int store_alert_related_events(struct store *s, const char *host, int64_t around_ts,
			       unsigned limit, store_event_cb cb, void *arg,
			       char *err, size_t errlen);

/* Open (not resolved) alerts by severity: counts[1..4]; counts[0] is 0. */
int store_alert_counts_by_severity(struct store *s, int64_t counts[5], char *err, size_t errlen);

/*
 * Alert rows first seen at or after since, in buckets of bucket_s (>= 1)
 * seconds starting at since + k * bucket_s: cb(bucket_start, rows, events)
 * for each non-empty bucket, oldest first; events sums the rows' counts.
 * Empty buckets are not reported.
 */
typedef int (*store_bucket_cb)(void *arg, int64_t bucket_start, int64_t rows, int64_t events);
int store_alert_histogram(struct store *s, int64_t since, int64_t bucket_s, store_bucket_cb cb,
			  void *arg, char *err, size_t errlen);

/*
 * Alerts whose event said action "blocked", last seen at or after since,
 * grouped by "signature", "host" or "app" (the application nDPI named; alerts
 * without one left out): cb(name, events) largest first, at most
 * limit (1..STORE_PAGE_MAX) groups.
 */
typedef int (*store_count_cb)(void *arg, const char *name, int64_t count);
int store_top_blocked(struct store *s, int64_t since, unsigned limit, const char *by,
		      store_count_cb cb, void *arg, char *err, size_t errlen);

/* ---- commands to sensors ---- */

struct store_command {
	int64_t id;
	char sensor_id[STORE_ID_MAX + 1];
	char type[STORE_CMD_TYPE_MAX + 1];
	const char *args;           /* JSON object; valid during the callback */
	int64_t created_at;
	char created_by[STORE_NAME_MAX + 1];
	int64_t delivered_at, done_at;      /* 0: not yet */
	char status[STORE_STATUS_MAX + 1];  /* queued delivered done failed expired */
	const char *result;         /* JSON or NULL; valid during the callback */
};
typedef int (*store_command_cb)(void *arg, const struct store_command *row);

/*
 * Queue a command for a sensor that exists and is not revoked. type:
 * [a-z0-9_]; args_json: a JSON object (NULL: {}); user: who (may be NULL).
 */
int store_command_add(struct store *s, const char *sensor_id, const char *type,
		      const char *args_json, const char *user, int64_t now, int64_t *id_out,
		      char *err, size_t errlen);
/* Queued commands for the sensor, oldest first, at most limit. */
int store_commands_pending(struct store *s, const char *sensor_id, unsigned limit,
			   store_command_cb cb, void *arg, char *err, size_t errlen);
/* queued -> delivered; -1 if not a queued command of this sensor. */
int store_command_mark_delivered(struct store *s, const char *sensor_id, int64_t id, int64_t now,
				 char *err, size_t errlen);
/*
 * The sensor reports a command's end: status "done" or "failed",
 * result_json any JSON value or NULL. -1 when the command is unknown,
 * belongs to another sensor, or already ended.
 */
int store_command_result(struct store *s, const char *sensor_id, int64_t id, const char *status,
			 const char *result_json, int64_t now, char *err, size_t errlen);
/* Newest first, ids below before_id (0: newest); sensor_id NULL: all. */
int store_command_list(struct store *s, const char *sensor_id, int64_t before_id,
		       unsigned limit, store_command_cb cb, void *arg, char *err, size_t errlen);
/* Queued or delivered commands created before now - max_age_s -> expired. */
int store_commands_expire(struct store *s, int64_t now, int64_t max_age_s, int64_t *expired,
			  char *err, size_t errlen);

#endif
