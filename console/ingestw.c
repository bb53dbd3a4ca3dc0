/*
 * ingestw.c - see ingestw.h.
 *
 * The loop and the writer meet under one mutex: the loop puts a group in
 * (items, n) and signals; the writer commits it without the lock, then
 * sets done, signals (for a loop that waits) and writes a byte to the
 * pipe (for a loop that does not). WAL lets the loop's connection read
 * beside the writer; a write of the loop's waits for the writer's commit
 * (the store's busy timeout), as the writer waits for the loop's.
 */
#include "ingestw.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ingestw {
	struct store *s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* to the writer: a group, or stop */
	pthread_cond_t done_cv;         /* to the loop: the group is done */
	struct ingestw_item **items;    /* the group handed; NULL: none */
	unsigned n;
	bool busy;                      /* handed and not collected (the loop's) */
	bool done;                      /* committed or failed (under mu) */
	bool stop;
	int committed;
	char err[512];
	int pipe[2];
};

int ingestw_commit(struct store *s, struct ingestw_item *const *items, unsigned n, char *err,
		   size_t errlen)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		items[i]->ok = false;
		items[i]->ack = 0;
		items[i]->err[0] = '\0';
	}
	if (store_group_begin(s, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct ingestw_item *it = items[i];

		it->ok = store_batch_store(s, it->sensor, it->b, &it->ack, &it->res, it->err,
					   sizeof(it->err)) == 0;
	}
	if (store_group_commit(s, err, errlen) < 0) {
		for (i = 0; i < n; i++)
			items[i]->ok = false;
		return -1;
	}
	return 0;
}

static void *writer(void *arg)
{
	struct ingestw *w = arg;

	/* its name in top -H and /proc: where the console's time goes */
	pthread_setname_np(pthread_self(), "ingest-write");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct ingestw_item **items;
		unsigned n;
		char err[512];
		int r;

		while (!w->stop && (w->items == NULL || w->done))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		items = w->items;
		n = w->n;
		pthread_mutex_unlock(&w->mu);
		err[0] = '\0';
		r = ingestw_commit(w->s, items, n, err, sizeof(err));
		pthread_mutex_lock(&w->mu);
		w->committed = r;
		snprintf(w->err, sizeof(w->err), "%s", err);
		w->done = true;
		pthread_cond_signal(&w->done_cv);
		(void)!write(w->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int ingestw_start(struct ingestw **out, struct store *s, char *err, size_t errlen)
{
	struct ingestw *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL) {
		snprintf(err, errlen, "ingest writer: out of memory");
		return -1;
	}
	w->s = s;
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "ingest writer: no pipe: %s", strerror(errno));
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	if (pthread_create(&w->thread, NULL, writer, w) != 0) {
		snprintf(err, errlen, "ingest writer: no thread");
		pthread_cond_destroy(&w->done_cv);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		close(w->pipe[0]);
		close(w->pipe[1]);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int ingestw_fd(const struct ingestw *w)
{
	return w->pipe[0];
}

bool ingestw_busy(const struct ingestw *w)
{
	return w->busy;
}

int ingestw_submit(struct ingestw *w, struct ingestw_item **items, unsigned n)
{
	if (w->busy || n == 0)
		return -1;
	pthread_mutex_lock(&w->mu);
	w->items = items;
	w->n = n;
	w->done = false;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->busy = true;
	return 0;
}

int ingestw_collect(struct ingestw *w, bool wait, int *committed, char *err, size_t errlen)
{
	char b[64];

	while (read(w->pipe[0], b, sizeof(b)) > 0)
		;
	if (!w->busy)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (wait && !w->done)
		pthread_cond_wait(&w->done_cv, &w->mu);
	if (!w->done) {
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	*committed = w->committed;
	snprintf(err, errlen, "%s", w->err);
	w->items = NULL;
	w->n = 0;
	w->done = false;
	pthread_mutex_unlock(&w->mu);
	w->busy = false;
	return 1;
}

void ingestw_free(struct ingestw *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->done_cv);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	close(w->pipe[0]);
	close(w->pipe[1]);
	store_close(w->s);
	free(w);
}
