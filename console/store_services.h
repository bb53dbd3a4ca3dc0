/*
 * store_services.h - the state of the services inventory's checks in the
 * console's store (store.h's conventions: -1 with err, never logs, times
 * passed in as `now`).
 *
 * One row per check, keyed by service name and check key (a push or
 * plugin check's name, else "KIND TARGET"), made by svcstore_sync() for
 * every check of the inventory and kept when a check leaves it (its
 * history stays readable). Push pings are logged with their body (at most
 * SVC_BODY_MAX bytes, cut beyond) and at most SVC_PINGS_KEPT per check.
 */
#ifndef KASTRO_STORE_SERVICES_H
#define KASTRO_STORE_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "store.h"

#define SVC_BODY_MAX    10240   /* bytes of a ping's body kept */
#define SVC_PINGS_KEPT  100     /* pings logged per check */
#define SVC_KEY_MAX     (INV_TEXT_MAX + 16 + 6 + INV_NAME_MAX)
#define SVC_STATE_MAX   15
/* seconds of hard state changes kept per check (and the newest before):
   uptime over 365 days and a year of monthly SLA reports */
#define SVC_HISTORY_KEEP (400 * 86400)

/* A ping, as the job reports it. */
enum svc_ping { SVC_PING_SUCCESS, SVC_PING_FAIL, SVC_PING_START, SVC_PING_EXIT };

struct svc_row {
	char service[INV_NAME_MAX];
	char key[SVC_KEY_MAX];
	char kind[16];
	char state[SVC_STATE_MAX + 1];  /* push: new, up, late, down */
	int64_t since;                  /* state since */
	int64_t last_ok;                /* last success; 0: never */
	int64_t last_ping;              /* last ping of any kind; 0: never */
	int64_t last_start;             /* last /start; 0: never */
	int last_exit;                  /* exit code of the last ping that had one; -1 */
	int64_t pings;                  /* pings received */
	/* probes: state is OK, WARNING, CRITICAL, UNKNOWN or UNREACHABLE */
	int hard;                       /* 1: a hard state; 0: soft, retrying */
	int attempt;                    /* failures in a row, up to the check's retries */
	int64_t last_check;             /* 0: never run */
	int ms;                         /* response time of the last run; -1: none */
	char output[512];               /* the last run's output line */
	int64_t cert_expiry;            /* tls: notAfter; 0: none */
	int flapping;
	int maintenance;                /* the last result came inside a maintenance window */
};

/* The check's key: its name (push, plugin), "dns NAME TYPE" or "KIND TARGET[:PORT]". */
void svcstore_key(const struct inv_check *c, char out[SVC_KEY_MAX]);

/* Make the tables if they are not there (CREATE TABLE IF NOT EXISTS). */
int svcstore_init(struct store *s, char *err, size_t errlen);

/* A row in state "new" for every check of inv that has none. */
int svcstore_sync(struct store *s, const struct inventory *inv, int64_t now, char *err,
		  size_t errlen);

/*
 * Record a ping of a push check and move its state: success (or exit 0)
 * -> up, fail (or exit 1..255) -> down, start leaves the state. body may
 * be NULL; beyond SVC_BODY_MAX bytes it is cut. *changed tells whether the
 * state changed. Keeps the last SVC_PINGS_KEPT pings.
 */
int svcstore_ping(struct store *s, const char *service, const char *key, int64_t now,
		  enum svc_ping what, int exit_code, const char *addr, const char *body,
		  size_t body_len, int *changed, char *err, size_t errlen);

/* Set the state (when it differs; since = now). *changed as above. */
int svcstore_set_state(struct store *s, const char *service, const char *key,
		       const char *state, int64_t now, int *changed, char *err, size_t errlen);

/*
 * Write a probe's result: every field of r (service and key name the row).
 * hard_changed: the hard state changed, so it goes into the history too.
 */
int svcstore_result(struct store *s, const struct svc_row *r, int hard_changed, char *err,
		    size_t errlen);

/*
 * The share of time in [from, now) the check's hard state was OK (or up),
 * leaving out time inside maintenance windows and before the first state;
 * -1 when nothing is known.
 */
int svcstore_uptime(struct store *s, const char *service, const char *key, int64_t from,
		    int64_t now, double *fraction, char *err, size_t errlen);

/*
 * Carry the rows of check (svc0, key0) (state, history, pings, response
 * times) to (svc1, key1), unless that has rows of its own. 0 or -1.
 */
int svcstore_rename(struct store *s, const char *svc0, const char *key0, const char *svc1,
		    const char *key1, char *err, size_t errlen);

/* One row: 0, STORE_NOT_FOUND or -1. */
int svcstore_get(struct store *s, const char *service, const char *key, struct svc_row *out,
		 char *err, size_t errlen);

typedef int (*svcstore_cb)(const struct svc_row *row, void *arg);
/* Every row, by service and key. */
int svcstore_list(struct store *s, svcstore_cb cb, void *arg, char *err, size_t errlen);

/* The last pings of one check, newest first (at most limit). */
struct svc_ping_row {
	int64_t ts;
	char what[16];                  /* success, fail, start, exit */
	int exit_code;                  /* -1: none */
	char addr[STORE_ADDR_MAX + 1];
	const char *body;               /* valid during the callback */
};
typedef int (*svcstore_ping_cb)(const struct svc_ping_row *row, void *arg);
int svcstore_pings(struct store *s, const char *service, const char *key, unsigned limit,
		   svcstore_ping_cb cb, void *arg, char *err, size_t errlen);

#endif
