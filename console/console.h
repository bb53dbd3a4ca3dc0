/*
 * console.h - the state of one kastro-console process, shared by its
 * modules: the configuration, the event base, the database, the CA, the two
 * HTTPS services and the sensors' live connections.
 *
 * One struct per process (STYLE: no other global mutable state); every
 * handler reaches it through its callback argument.
 */
#ifndef KASTRO_CONSOLE_H
#define KASTRO_CONSOLE_H

#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "ca.h"
#include "cconf.h"
#include "control.h"
#include "server.h"
#include "store.h"

struct sconn;                           /* sensorapi.c */
struct ingestq;                         /* sensorapi.c */
struct auth_limiter;
struct push;                            /* push.c */
struct probes;                          /* probes.c */
struct sprobes;                         /* sprobes.c */
struct pinglisten;                      /* pinglisten.c */
struct quota;                           /* quota.c */
struct auditagg;                        /* auditagg.c */
struct backups_ctx;                     /* backups.c */

struct console {
	struct console_conf conf;
	char conf_path[PATH_MAX];       /* console.conf, absolute: read again on reload */
	uint64_t reloads, reload_failures;      /* of the inventory (reload.c) */
	int64_t reload_last;            /* epoch seconds; 0: none */
	struct event_base *base;
	struct store *store;
	struct ca *ca;
	char ca_fp[CA_FP_LEN];
	SSL_CTX *sensor_ctx, *https_ctx;
	struct server sensors, https;
	struct control ctl;
	struct event *ctl_ev, *tick_ev, *sig_ev[3];
	struct sconn *conns;            /* sensors' open connections */
	uint32_t n_conns;
	struct ingestq *ingest;         /* batches waiting for their group commit */
	struct store *ingest_store;     /* the ingest writer's connection (sensorapi_open) */
	/* counters for `kastroctl console status` */
	uint64_t enrolled, enroll_refused, batches, events_in, events_dup, requests_refused;
	uint64_t commands_sent, results_in;
	/* retention and quotas (retain.c) */
	struct quota *quota;
	uint64_t quota_alerts, quota_refused_413, pruned_events, pruned_alerts;
	uint64_t prune_held_alerts;     /* the last pass: old alerts kept for their hooks */
	uint64_t prune_step_ms_max;     /* the longest retention step, ms */
	struct auditagg *refusals;      /* refused requests for the audit log (refusal.c) */
	struct log_limit rl_req;
	/* the officers' API (rest.c) */
	uint8_t csrf_key[32];
	struct auth_limiter *limiter;
	char unknown_user_hash[256];    /* a hash of a random password, verified when the
					   name is unknown so a login takes as long */
	uint64_t logins, login_failures;
	struct push *push;              /* push checks (push.c) */
	struct probes *probes;          /* probe scheduler and workers (probes.c) */
	struct sprobes *sprobes;        /* checks run from sensors (sprobes.c) */
	struct pinglisten *ping;        /* the plain HTTP ping listener (pinglisten.c) */
	struct outbox *outbox;          /* alert hooks (hookctl.c, outbox.c) */
	struct invpush *invpush;        /* the inventory pushed to gateways (invpush.c) */
	struct backups_ctx *backups;    /* the agents' backup checks (backups.c) */
};

/* Seconds since the epoch, from the wall clock (stored timestamps). */
uint64_t console_now(void);

#endif
