/*
 * outbox_int.h - what the outbox's files share (outbox.c: tables, enqueue,
 * workers; outbox_ops.c: status, test deliveries, operators' actions and
 * listings). Not for other modules: they use outbox.h.
 */
#ifndef KASTRO_OUTBOX_INT_H
#define KASTRO_OUTBOX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "outbox.h"

#define MAX_TESTS 8

struct worker {
	struct outbox *ob;
	struct hook_def h;
	pthread_t thread;
	bool started;
	bool from_db;                   /* made in the console (hookdb.h), not console.conf */
	atomic_bool quit;               /* this worker alone stops (its hook changed or went) */
	atomic_bool exited;             /* worker_main returned: join it */
	/* the worker it replaces (of the same name): this one sends once that
	   one exited, and clears it then; not freed while named here */
	_Atomic(struct worker *) prev;
	struct worker *next_retired;
	/* the last hook_outbox row looked at (obq.h); rows below every
	   worker's are taken away */
	_Atomic int64_t cursor;
	pthread_mutex_t mu;
	/* under mu */
	int64_t queued;
	uint64_t delivered, failed, dropped, retries;
	uint64_t shed, shed_told;       /* dropped at the cap; of those, told (outbox_shed_news) */
	int64_t last_ok, last_err_at;
	char last_err[256];
};

struct test {
	bool used, done;
	int id, result;
	char answer[512];
	struct outbox *ob;
	struct hook_def h;
	unsigned timeout;
	pthread_t thread;
};

struct outbox {
	char db_path[4096];
	char hostname[256];
	char public_url[HOOK_URL_MAX + 1];
	sqlite3 *db;                    /* the loop's connection: listings, retry, drop */
	/* the hooks: changed by the loop (outbox_put, outbox_remove) under hmu,
	 * which enqueue() holds too (the ingest writer's thread calls it) */
	pthread_mutex_t hmu;
	int n;
	struct worker *w[OUTBOX_MAX_HOOKS];
	struct worker *retired;         /* told to quit, not joined yet */
	bool running;                   /* outbox_run() started the workers */
	atomic_bool stop;
	/* mono ms until which ingest counts as busy: set by the ingest writer
	   at each group (st_outbox_ingesting), read by the workers */
	_Atomic uint64_t ingest_until;
	pthread_mutex_t tmu;            /* tests */
	struct test tests[MAX_TESTS];
	int next_test;
};

static inline int64_t ob_wall(void)
{
	return (int64_t)time(NULL);
}

/* err gets what failed and SQLite's message; returns -1. */
int ob_dberr(sqlite3 *db, char *err, size_t errlen, const char *what);

/* The index of hook name in ob->w, or -1. */
int ob_find(const struct outbox *ob, const char *name);

#endif
