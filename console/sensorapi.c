/*
 * sensorapi.c - see sensorapi.h.
 *
 * Every request on the sensor port is tied to the sensor named by the
 * client certificate of its connection; the handshake already refused
 * unknown and revoked sensors (sensorapi_peer_allowed), and each request
 * checks again, so a revocation takes effect at once even on a connection
 * kept alive. Open connections are tracked (one record each, at most the
 * connection limit) for two reasons: a long poll waiting on one must be
 * answered when a command is queued, and a revoked sensor's connections
 * must be closed.
 *
 * Event batches are committed in groups: a batch is checked when it
 * arrives (a malformed one is answered 400 at once) and queued; a timer
 * that fires as soon as the event loop has read what was ready then hands
 * every queued batch to the ingest writer (ingestw.h), a thread with its
 * own connection, which stores them in one transaction, each under a
 * savepoint of its own, and commits once; when it is done the loop
 * acknowledges them all. One fsync serves many sensors, and no sensor
 * hears "stored" before it is. While the writer commits, the loop goes on
 * reading and parsing and queues the next group: at most one group with
 * the writer and one queued (the caps below; at a cap the loop waits for
 * the writer).
 */
#include "outbox.h"
#include "sensorapi.h"
#include "sprobes.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "auth.h"
#include "bundle.h"
#include "backups.h"
#include "console.h"
#include "ingestw.h"
#include "invpush.h"
#include "num.h"
#include "privdrop.h"
#include "refusal.h"
#include "retain.h"
#include "tls.h"

#define COMMANDS_PER_POLL 32
/* A group is committed at once when it gets this big, without waiting for
 * the loop (the memory of parsed batches stays bounded). */
#define GROUP_BATCHES_MAX 64
#define GROUP_BYTES_MAX (16u * 1024 * 1024)     /* of request bodies (~10x parsed) */
#define HOSTNAME_MAX 253
#define FACTS_MAX 8192

struct sconn {
	struct sconn *next;
	struct console *c;
	struct evhttp_connection *conn;
	char sensor[CA_MAX_ID + 1];
	struct evhttp_request *poll;    /* a long poll waiting for commands */
	struct event *timer;            /* its end */
	struct pending *batch;          /* its batch waiting for the group commit */
	struct parsing *parsing;        /* its batch in the parse thread */
};

/*
 * A batch being checked in the parse thread: JSON parsing is most of the
 * CPU an event costs, so it runs beside the event loop (TLS, SQLite)
 * on another core. The thread touches only body, len, b and err; the loop
 * owns the rest.
 */
struct parsing {
	struct parsing *next;
	struct evhttp_request *req;     /* NULL: the connection closed meanwhile */
	struct sconn *sc;               /* likewise */
	char sensor[CA_MAX_ID + 1];
	char *body;
	size_t len;
	struct store_batch *b;          /* the checked batch, or NULL and err */
	char err[512];
};

/* A checked batch waiting for the group commit. */
struct pending {
	struct pending *next;
	struct evhttp_request *req;     /* NULL: the connection closed (stored, not answered) */
	struct sconn *sc;               /* NULL: likewise */
	struct store_batch *b;
	char sensor[CA_MAX_ID + 1];
	struct ingestw_item it;         /* what the writer reads and says */
};

struct ingestq {
	struct event *commit;           /* zero-delay timer: ingest_commit() */
	struct pending *head, **tail;
	unsigned n;
	size_t bytes;
	/* the parse thread */
	pthread_t thread;
	bool thread_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct parsing *todo, **todo_tail;      /* to the thread */
	struct parsing *done, **done_tail;      /* back to the loop */
	struct pending *trash;          /* answered batches, for the thread to free */
	bool stop;
	int wake[2];                    /* a byte: something is done */
	struct event *wake_ev;
	/* the writer thread; NULL: the loop commits */
	struct ingestw *w;
	struct event *w_ev;             /* its group is done */
	struct pending *wgroup;         /* the group with it */
	struct ingestw_item **witems;
};

/* ---- connections ---------------------------------------------------------- */

static void poll_end(struct sconn *sc)
{
	if (sc->timer != NULL)
		event_free(sc->timer);
	sc->timer = NULL;
	sc->poll = NULL;
}

static void conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct sconn *sc = arg, **pp;
	struct console *c = sc->c;

	(void)conn;
	for (pp = &c->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sc) {
			*pp = sc->next;
			c->n_conns--;
			break;
		}
	}
	poll_end(sc);                   /* evhttp frees the request itself */
	if (sc->batch != NULL) {
		sc->batch->req = NULL;
		sc->batch->sc = NULL;
	}
	if (sc->parsing != NULL) {
		sc->parsing->req = NULL;
		sc->parsing->sc = NULL;
	}
	free(sc);
}

static struct sconn *conn_of(struct console *c, struct evhttp_request *req, const char *sensor)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct sconn *sc;

	for (sc = c->conns; sc != NULL; sc = sc->next)
		if (sc->conn == conn)
			return sc;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->c = c;
	sc->conn = conn;
	snprintf(sc->sensor, sizeof(sc->sensor), "%s", sensor);
	sc->next = c->conns;
	c->conns = sc;
	c->n_conns++;
	evhttp_connection_set_closecb(conn, conn_closed, sc);
	return sc;
}

int sensorapi_drop(struct console *c, const char *sensor_id)
{
	int n = 0;

	for (struct sconn *sc = c->conns; sc != NULL; sc = sc->next) {
		struct bufferevent *bev;

		if (strcmp(sc->sensor, sensor_id) != 0)
			continue;
		/* Shut the socket down and let evhttp clean up as for any
		 * peer that went away; freeing here could pull a request out
		 * from under evhttp. */
		bev = evhttp_connection_get_bufferevent(sc->conn);
		if (bev != NULL && bufferevent_getfd(bev) >= 0)
			shutdown(bufferevent_getfd(bev), SHUT_RDWR);
		n++;
	}
	return n;
}

void sensorapi_free(struct console *c)
{
	struct ingestq *q = c->ingest;

	/* Batches never committed were never acknowledged: their sensors
	 * send them again. */
	if (q != NULL && q->thread_up) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->thread, NULL);
		while (q->trash != NULL) {
			struct pending *p = q->trash;

			q->trash = p->next;
			store_batch_free(p->b);
			free(p);
		}
		for (int k = 0; k < 2; k++) {
			struct parsing *j = k ? q->done : q->todo;

			while (j != NULL) {
				struct parsing *next = j->next;

				store_batch_free(j->b);
				free(j->body);
				free(j);
				j = next;
			}
		}
		if (q->wake_ev != NULL)
			event_free(q->wake_ev);
		close(q->wake[0]);
		close(q->wake[1]);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
	}
	if (q != NULL && q->w != NULL) {
		/* a group committed meanwhile was not acknowledged either: the
		 * sensors send it again and hear "duplicates" */
		ingestw_free(q->w);
		q->w = NULL;
		event_free(q->w_ev);
		while (q->wgroup != NULL) {
			struct pending *p = q->wgroup;

			q->wgroup = p->next;
			store_batch_free(p->b);
			free(p);
		}
		free(q->witems);
	}
	if (c->ingest_store != NULL) {
		store_close(c->ingest_store);
		c->ingest_store = NULL;
	}
	if (q != NULL) {
		while (q->head != NULL) {
			struct pending *p = q->head;

			q->head = p->next;
			store_batch_free(p->b);
			free(p);
		}
		if (q->commit != NULL)
			event_free(q->commit);
		free(q);
		c->ingest = NULL;
	}
	while (c->conns != NULL) {
		struct sconn *sc = c->conns;

		c->conns = sc->next;
		poll_end(sc);
		free(sc);
	}
	c->n_conns = 0;
}

int sensorapi_open(struct console *c, const char *db_path, char *err, size_t errlen)
{
	struct store *s = NULL;

	if (store_open(db_path, 0, &s, err, errlen) < 0)
		return -1;
	if (store_set_dedup_window(s, c->conf.dedup_window, err, errlen) < 0 ||
	    (c->outbox != NULL && store_set_outbox(s, c->outbox, err, errlen) < 0)) {
		store_close(s);
		return -1;
	}
	c->ingest_store = s;
	return 0;
}

int sensorapi_peer_allowed(void *arg, const char *cn, const char *serial_hex)
{
	struct console *c = arg;
	char err[256];
	int r = store_sensor_allowed(c->store, cn, serial_hex, err, sizeof(err));

	if (r < 0)
		log_err("sensor %s: %s", cn, err);
	if (r == 0)
		log_limited(&c->rl_req, LOG_LVL_WARN, "sensor %s (certificate %s): unknown, revoked "
			    "or not its certificate", cn, serial_hex);
	return r == 1 ? 0 : -1;
}

/* ---- requests ------------------------------------------------------------- */

static void refused(struct console *c, struct evhttp_request *req, const char *sensor, int code,
		    const char *msg)
{
	char peer[80];

	server_peer(req, peer, sizeof(peer));
	c->requests_refused++;
	log_limited(&c->rl_req, LOG_LVL_WARN, "sensor %s (%s): %s %s refused: %s",
		    sensor != NULL ? sensor : "-", peer,
		    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "GET",
		    evhttp_request_get_uri(req), msg);
	server_reply_error(req, code, "%s", msg);
}

/*
 * A batch answered: freed by the parse thread, which made it. Its
 * thousands of small blocks come from the thread's malloc arena; freed here
 * they took that arena's lock against the thread's next parse (measured:
 * a fifth of the thread's time went to waking each other on it).
 */
static void pending_free(struct ingestq *q, struct pending *p)
{
	if (!q->thread_up) {
		store_batch_free(p->b);
		free(p);
		return;
	}
	pthread_mutex_lock(&q->mu);
	p->next = q->trash;
	q->trash = p;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Answer the batches of a group done (committed: 0, or -1 and err). */
static void group_answer(struct console *c, struct pending *list, int committed, const char *err)
{
	struct pending *p, *next;
	unsigned n = 0;

	for (p = list; p != NULL; p = p->next)
		n++;
	if (committed < 0)
		log_err("storing %u batch(es): %s", n, err);
	for (p = list; p != NULL; p = next) {
		bool ok = committed == 0 && p->it.ok;

		next = p->next;
		if (p->sc != NULL)
			p->sc->batch = NULL;
		if (committed == 0 && !p->it.ok)
			log_limited(&c->rl_req, LOG_LVL_ERR, "sensor %s: batch not stored: %s",
				    p->sensor, p->it.err);
		if (ok) {
			backups_ingest(c, p->sensor, p->b);
			sprobes_apply_batch(c, p->sensor, p->b);
			c->batches++;
			c->events_in += p->it.res.inserted;
			c->events_dup += p->it.res.duplicates;
		}
		if (p->req == NULL) {
			/* the sensor went away: it sends the batch again */
		} else if (ok) {
			server_reply_json(p->req, 200, json_pack("{s:I,s:I,s:I}", "ack", (json_int_t)p->it.ack,
								 "stored", (json_int_t)p->it.res.inserted,
								 "duplicates", (json_int_t)p->it.res.duplicates));
		} else {
			/* not the batch's fault: 503, and the sensor tries again */
			server_reply_error(p->req, 503, "the batch could not be stored; try again");
		}
		pending_free(c->ingest, p);
	}
}

/* Hand the queued batches to the writer (when it is free; else they follow
 * when it is done), or without a writer store and answer them here. */
static void ingest_commit(struct console *c)
{
	struct ingestq *q = c->ingest;
	struct ingestw_item **items;
	struct pending *list = q->head, *p;
	unsigned n = q->n, i;
	char err[512];
	int committed;

	evtimer_del(q->commit);
	if (n == 0 || (q->w != NULL && ingestw_busy(q->w)))
		return;
	q->head = NULL;
	q->tail = &q->head;
	q->n = 0;
	q->bytes = 0;
	items = malloc(n * sizeof(*items));
	if (items == NULL) {
		group_answer(c, list, -1, "out of memory");
		return;
	}
	for (p = list, i = 0; p != NULL; p = p->next, i++) {
		p->it.sensor = p->sensor;
		p->it.b = p->b;
		items[i] = &p->it;
	}
	if (q->w != NULL && ingestw_submit(q->w, items, n) == 0) {
		q->wgroup = list;
		q->witems = items;
		return;
	}
	committed = ingestw_commit(c->store, items, n, err, sizeof(err));
	free(items);
	group_answer(c, list, committed, err);
}

/* The writer's group, when done (wait: block until it is): answered, and
 * the queued batches go to the writer next. */
static void group_collect(struct console *c, bool wait)
{
	struct ingestq *q = c->ingest;
	struct pending *list;
	char err[512];
	int committed;

	if (q->w == NULL || ingestw_collect(q->w, wait, &committed, err, sizeof(err)) != 1)
		return;
	list = q->wgroup;
	q->wgroup = NULL;
	free(q->witems);
	q->witems = NULL;
	/* batches waited for the writer: ingest is saturated, deliveries wait */
	if (q->n > 0)
		outbox_ingest_backlog(c->outbox);
	group_answer(c, list, committed, err);
	ingest_commit(c);
}

static void writer_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	group_collect(arg, false);
}

static void ingest_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ingest_commit(arg);
}

/* A checked batch into the group of the next commit. */
static void queue_checked(struct console *c, struct evhttp_request *req, struct sconn *sc,
			  const char *sensor, struct store_batch *b, size_t len)
{
	struct ingestq *q = c->ingest;
	struct timeval now = { 0, 0 };
	struct pending *p = calloc(1, sizeof(*p));
	char err[512];

	if (p == NULL) {
		store_batch_free(b);
		server_reply_error(req, 503, "out of memory");
		return;
	}
	/* over its quota: refused before it is stored or acknowledged */
	if (retain_check_batch(c, req, sensor, store_batch_events(b), len) != 0) {
		store_batch_free(b);
		free(p);
		return;
	}
	/* probe results only for the checks assigned to this sensor */
	if (sprobes_check_batch(c, sensor, b, err, sizeof(err)) < 0) {
		store_batch_free(b);
		free(p);
		refused(c, req, sensor, 400, err);
		return;
	}
	/* evhttp reads a connection's next request only after this one is
	 * answered; should one come all the same, the earlier is stored (and
	 * answered) first */
	while (sc->batch != NULL) {
		if (q->w != NULL && ingestw_busy(q->w))
			group_collect(c, true);
		else
			ingest_commit(c);
	}
	p->req = req;
	p->sc = sc;
	p->b = b;
	snprintf(p->sensor, sizeof(p->sensor), "%s", sensor);
	sc->batch = p;
	*q->tail = p;
	q->tail = &p->next;
	q->n++;
	q->bytes += len;
	if (q->n >= GROUP_BATCHES_MAX || q->bytes >= GROUP_BYTES_MAX) {
		/* a full group: to the writer, after the one it has */
		if (q->w != NULL && ingestw_busy(q->w))
			group_collect(c, true);
		else
			ingest_commit(c);
	} else if (!evtimer_pending(q->commit, NULL))
		evtimer_add(q->commit, &now);
}

static void *parse_thread(void *arg)
{
	struct ingestq *q = arg;
	char err[256];

	pthread_setname_np(pthread_self(), "ingest-parse");
	/* jansson seeds its hash function from /dev/urandom once: before the filter */
	json_object_seed(0);
	if (privdrop_parser_thread(q->wake[1], err, sizeof(err)) < 0)
		log_err("parse thread: %s; it parses without its own filter", err);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct parsing *j;

		while (q->todo == NULL && q->trash == NULL && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop)
			break;
		if (q->trash != NULL) {
			struct pending *p = q->trash, *next;

			q->trash = NULL;
			pthread_mutex_unlock(&q->mu);
			for (; p != NULL; p = next) {
				next = p->next;
				store_batch_free(p->b);
				free(p);
			}
			pthread_mutex_lock(&q->mu);
			continue;
		}
		j = q->todo;
		q->todo = j->next;
		if (q->todo == NULL)
			q->todo_tail = &q->todo;
		pthread_mutex_unlock(&q->mu);
		if (store_batch_parse(j->body, j->len, &j->b, j->err, sizeof(j->err)) < 0)
			j->b = NULL;
		free(j->body);
		j->body = NULL;
		j->next = NULL;
		pthread_mutex_lock(&q->mu);
		*q->done_tail = j;
		q->done_tail = &j->next;
		(void)!write(q->wake[1], "", 1);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Batches the parse thread checked: refused, or into the group. */
static void parsed(evutil_socket_t fd, short what, void *arg)
{
	struct console *c = arg;
	struct ingestq *q = c->ingest;
	struct parsing *j, *next;
	char b[256];

	(void)what;
	while (read(fd, b, sizeof(b)) > 0)
		;
	pthread_mutex_lock(&q->mu);
	j = q->done;
	q->done = NULL;
	q->done_tail = &q->done;
	pthread_mutex_unlock(&q->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		if (j->sc != NULL)
			j->sc->parsing = NULL;
		if (j->req == NULL)
			store_batch_free(j->b);         /* the sensor went away */
		else if (j->b == NULL)
			refused(c, j->req, j->sensor, 400, j->err);
		else
			queue_checked(c, j->req, j->sc, j->sensor, j->b, j->len);
		free(j);
	}
}

static struct ingestq *ingestq_new(struct console *c)
{
	struct ingestq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->tail = &q->head;
	q->todo_tail = &q->todo;
	q->done_tail = &q->done;
	q->wake[0] = q->wake[1] = -1;
	if ((q->commit = evtimer_new(c->base, ingest_timer, c)) == NULL ||
	    pipe2(q->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    (q->wake_ev = event_new(c->base, q->wake[0], EV_READ | EV_PERSIST, parsed, c)) == NULL ||
	    event_add(q->wake_ev, NULL) < 0) {
		if (q->commit != NULL)
			event_free(q->commit);
		if (q->wake_ev != NULL)
			event_free(q->wake_ev);
		if (q->wake[0] >= 0) {
			close(q->wake[0]);
			close(q->wake[1]);
		}
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, parse_thread, q) != 0) {
		log_err("no parse thread: batches are checked in the event loop");
	} else {
		q->thread_up = true;
	}
	if (c->ingest_store != NULL) {
		char err[256];

		if (ingestw_start(&q->w, c->ingest_store, err, sizeof(err)) < 0) {
			log_err("%s: batches are committed in the event loop", err);
		} else if ((q->w_ev = event_new(c->base, ingestw_fd(q->w), EV_READ | EV_PERSIST,
						writer_done, c)) == NULL || event_add(q->w_ev, NULL) < 0) {
			log_err("ingest writer: cannot watch it: batches are committed in the event loop");
			if (q->w_ev != NULL)
				event_free(q->w_ev);
			q->w_ev = NULL;
			ingestw_free(q->w);     /* closes the store */
			q->w = NULL;
			c->ingest_store = NULL;
		} else {
			c->ingest_store = NULL; /* the writer's now */
		}
	}
	return q;
}

static void post_events(struct console *c, struct evhttp_request *req, const char *sensor)
{
	struct ingestq *q = c->ingest;
	struct store_batch *b = NULL;
	struct parsing *j;
	struct sconn *sc;
	char *body, err[512];
	size_t len;

	if (q == NULL) {
		q = ingestq_new(c);
		if (q == NULL) {
			server_reply_error(req, 503, "out of memory");
			return;
		}
		c->ingest = q;
	}
	sc = conn_of(c, req, sensor);
	if (sc == NULL || server_body(req, &body, &len) < 0) {
		server_reply_error(req, 503, "out of memory");
		return;
	}
	if (retain_check_batch(c, req, sensor, 0, len) != 0) {
		free(body);
		return;
	}
	if (q->thread_up && sc->parsing == NULL && (j = calloc(1, sizeof(*j))) != NULL) {
		j->req = req;
		j->sc = sc;
		snprintf(j->sensor, sizeof(j->sensor), "%s", sensor);
		j->body = body;
		j->len = len;
		sc->parsing = j;
		pthread_mutex_lock(&q->mu);
		*q->todo_tail = j;
		q->todo_tail = &j->next;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		return;
	}
	if (store_batch_parse(body, len, &b, err, sizeof(err)) < 0) {
		free(body);
		refused(c, req, sensor, 400, err);
		return;
	}
	free(body);
	queue_checked(c, req, sc, sensor, b, len);
}

struct cmd_list {
	json_t *arr;
	int64_t ids[COMMANDS_PER_POLL];
	int n;
};

static int add_command(void *arg, const struct store_command *cmd)
{
	struct cmd_list *l = arg;
	json_error_t je;
	json_t *args = json_loads(cmd->args != NULL ? cmd->args : "{}", 0, &je);

	if (l->n >= COMMANDS_PER_POLL)
		return 1;
	if (args == NULL)
		args = json_object();
	json_array_append_new(l->arr, json_pack("{s:I,s:s,s:o}", "id", (json_int_t)cmd->id, "type",
						cmd->type, "args", args));
	l->ids[l->n++] = cmd->id;
	return 0;
}

static int count_command(void *arg, const struct store_command *cmd)
{
	(void)cmd;
	(*(int64_t *)arg)++;
	return 0;
}

/* Answer req with the sensor's queued commands (maybe none), marking them
 * delivered. */
static void send_commands(struct console *c, struct evhttp_request *req, const char *sensor)
{
	struct cmd_list l = { .arr = json_array() };
	char err[256];

	if (store_commands_pending(c->store, sensor, COMMANDS_PER_POLL, add_command, &l, err,
				   sizeof(err)) < 0) {
		json_decref(l.arr);
		log_err("commands for sensor %s: %s", sensor, err);
		server_reply_error(req, 500, "cannot read the command queue");
		return;
	}
	for (int i = 0; i < l.n; i++)
		if (store_command_mark_delivered(c->store, sensor, l.ids[i], console_now(), err,
						 sizeof(err)) < 0)
			log_err("command %lld: %s", (long long)l.ids[i], err);
	c->commands_sent += (uint64_t)l.n;
	server_reply_json(req, 200, json_pack("{s:o}", "commands", l.arr));
}

static void poll_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *sc = arg;
	struct evhttp_request *req = sc->poll;

	(void)fd;
	(void)what;
	poll_end(sc);
	if (req != NULL)
		send_commands(sc->c, req, sc->sensor);
}

void sensorapi_wake(struct console *c, const char *sensor_id)
{
	for (struct sconn *sc = c->conns; sc != NULL; sc = sc->next) {
		struct evhttp_request *req = sc->poll;

		if (req == NULL || (sensor_id != NULL && strcmp(sc->sensor, sensor_id) != 0))
			continue;
		poll_end(sc);
		send_commands(c, req, sc->sensor);
	}
}

static void get_commands(struct console *c, struct evhttp_request *req, const char *sensor)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = evhttp_uri_get_query(u);
	struct evkeyvalq args;
	const char *w;
	uint64_t wait = 0;
	int64_t n = 0;
	struct sconn *sc;
	struct timeval tv;
	char err[256];

	TAILQ_INIT(&args);
	if (q != NULL && evhttp_parse_query_str(q, &args) < 0) {
		refused(c, req, sensor, 400, "malformed query string");
		return;
	}
	w = evhttp_find_header(&args, "wait");
	if (w != NULL && num_parse_u64(w, 0, c->conf.long_poll_max, &wait) < 0) {
		evhttp_clear_headers(&args);
		refused(c, req, sensor, 400, "wait: expected seconds, at most the long-poll limit");
		return;
	}
	evhttp_clear_headers(&args);
	invpush_poll(c, sensor);        /* a gateway's first poll: its inventory */
	if (store_commands_pending(c->store, sensor, 1, count_command, &n, err, sizeof(err)) < 0) {
		log_err("commands for sensor %s: %s", sensor, err);
		server_reply_error(req, 500, "cannot read the command queue");
		return;
	}
	if (n > 0 || wait == 0) {
		send_commands(c, req, sensor);
		return;
	}
	sc = conn_of(c, req, sensor);
	if (sc == NULL || sc->poll != NULL) {
		server_reply_error(req, sc == NULL ? 503 : 409,
				   sc == NULL ? "out of memory" : "a long poll is already waiting on this connection");
		return;
	}
	sc->timer = evtimer_new(c->base, poll_timeout, sc);
	if (sc->timer == NULL) {
		server_reply_error(req, 503, "out of memory");
		return;
	}
	sc->poll = req;
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = 0;
	evtimer_add(sc->timer, &tv);
}

static void post_result(struct console *c, struct evhttp_request *req, const char *sensor)
{
	json_t *j = server_json_body(req, "result"), *id, *st, *res;
	char err[256], *text;
	const char *status;

	if (j == NULL)
		return;
	id = json_object_get(j, "id");
	st = json_object_get(j, "status");
	res = json_object_get(j, "result");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		json_decref(j);
		refused(c, req, sensor, 400, "id: expected a positive integer");
		return;
	}
	status = json_string_value(st);
	if (status == NULL || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0)) {
		json_decref(j);
		refused(c, req, sensor, 400, "status: expected \"done\" or \"failed\"");
		return;
	}
	if (res != NULL && !json_is_object(res)) {
		json_decref(j);
		refused(c, req, sensor, 400, "result: expected an object");
		return;
	}
	text = res != NULL ? json_dumps(res, JSON_COMPACT) : strdup("{}");
	if (text == NULL ||
	    store_command_result(c->store, sensor, json_integer_value(id), status, text, console_now(),
				 err, sizeof(err)) < 0) {
		free(text);
		json_decref(j);
		refused(c, req, sensor, 404, text == NULL ? "out of memory" : err);
		return;
	}
	free(text);
	json_decref(j);
	c->results_in++;
	server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

/* GET /sensor/v1/rules/VERSION: a rule bundle (bundle.h), as it is on disk. */
static void get_rules(struct console *c, struct evhttp_request *req, const char *sensor,
		      const char *version)
{
	char path[PATH_MAX + 128];
	struct evbuffer *out;
	struct stat st;
	int fd;

	if (bundle_path(c->conf.data_dir, version, path, sizeof(path)) < 0) {
		refused(c, req, sensor, 404, "no such rule bundle");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		refused(c, req, sensor, 404, "no such rule bundle");
		return;
	}
	out = evbuffer_new();
	if (out == NULL || evbuffer_add_file(out, fd, 0, st.st_size) < 0) {
		if (out)
			evbuffer_free(out);
		else
			close(fd);
		server_reply_error(req, 503, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json; charset=utf-8");
	server_send(req, 200, out);
	evbuffer_free(out);
	log_info("sensor %s fetched rule bundle %.12s", sensor, version);
}

void sensorapi_handle(struct evhttp_request *req, void *arg)
{
	struct console *c = arg;
	SSL *ssl = server_ssl(req);
	char cn[CA_MAX_ID + 1], ou[16], serial[TLS_SERIAL_HEX], err[256];
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (ssl == NULL || tls_peer_identity(ssl, cn, sizeof(cn), ou, sizeof(ou), serial,
					     sizeof(serial)) < 0) {
		refused(c, req, NULL, 401, "no client certificate");
		return;
	}
	if (store_sensor_allowed(c->store, cn, serial, err, sizeof(err)) != 1) {
		refused(c, req, cn, 403, "this sensor is revoked or unknown");
		sensorapi_drop(c, cn);
		return;
	}
	if (conn_of(c, req, cn) == NULL) {
		server_reply_error(req, 503, "out of memory");
		return;
	}
	if (store_sensor_seen(c->store, cn, console_now(), err, sizeof(err)) < 0)
		log_err("sensor %s: %s", cn, err);
	if (path == NULL)
		path = "";
	if (strcmp(path, "/sensor/v1/events") == 0 && m == EVHTTP_REQ_POST)
		post_events(c, req, cn);
	else if (strcmp(path, "/sensor/v1/commands") == 0 && m == EVHTTP_REQ_GET)
		get_commands(c, req, cn);
	else if (strcmp(path, "/sensor/v1/results") == 0 && m == EVHTTP_REQ_POST)
		post_result(c, req, cn);
	else if (strncmp(path, "/sensor/v1/rules/", 17) == 0 &&
		 (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD))
		get_rules(c, req, cn, path + 17);
	else if (strcmp(path, "/sensor/v1/inventory") == 0 && m == EVHTTP_REQ_GET)
		invpush_serve(c, req, cn);
	/* Not HEAD on commands: its GET hands the commands out. */
	else if (strcmp(path, "/sensor/v1/events") == 0 || strcmp(path, "/sensor/v1/results") == 0)
		server_reply_not_allowed(req, "POST");
	else if (strcmp(path, "/sensor/v1/commands") == 0)
		server_reply_not_allowed(req, "GET");
	else if (strncmp(path, "/sensor/v1/rules/", 17) == 0)
		server_reply_not_allowed(req, "GET, HEAD");
	else if (strcmp(path, "/sensor/v1/inventory") == 0)
		server_reply_not_allowed(req, "GET");
	else
		refused(c, req, cn, 404, "no such endpoint");
}

/* ---- enrolment -------------------------------------------------------------- */

static bool printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return n > 0;
}

void sensorapi_enroll(struct console *c, struct evhttp_request *req)
{
	json_t *j = server_json_body(req, "enroll"), *facts;
	const char *token, *csr, *host;
	char hash[65], id[CA_MAX_ID + 1], kind[16], serial[CA_SERIAL_HEX], err[512], peer[80];
	char *cert = NULL, *facts_text = NULL;
	uint8_t rnd[12];

	server_peer(req, peer, sizeof(peer));
	if (j == NULL) {
		c->enroll_refused++;
		return;
	}
	token = json_string_value(json_object_get(j, "token"));
	csr = json_string_value(json_object_get(j, "csr"));
	host = json_string_value(json_object_get(j, "hostname"));
	facts = json_object_get(j, "facts");
	if (token == NULL || !auth_token_wellformed(token) || csr == NULL || host == NULL ||
	    !printable(host, HOSTNAME_MAX) || (facts != NULL && !json_is_object(facts))) {
		json_decref(j);
		c->enroll_refused++;
		log_limited(&c->rl_req, LOG_LVL_WARN, "enrolment from %s refused: malformed request", peer);
		refusal_note(c, "sensor.enroll_refused", NULL, peer, "malformed request");
		server_reply_error(req, 400, "expected {\"token\": TOKEN, \"csr\": PEM, \"hostname\": NAME, "
				   "\"facts\": {...}} with a well-formed token and a printable hostname");
		return;
	}
	facts_text = facts != NULL ? json_dumps(facts, JSON_COMPACT) : strdup("{}");
	if (facts_text == NULL || strlen(facts_text) > FACTS_MAX) {
		free(facts_text);
		json_decref(j);
		c->enroll_refused++;
		server_reply_error(req, 400, "facts: at most %d bytes", FACTS_MAX);
		return;
	}
	/* A new identity, whatever the host is called. */
	if (auth_random(rnd, sizeof(rnd)) < 0) {
		free(facts_text);
		json_decref(j);
		server_reply_error(req, 503, "no randomness");
		return;
	}
	snprintf(id, sizeof(id), "s-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 + 2 * i, sizeof(id) - 2 - 2 * i, "%02x", rnd[i]);
	auth_token_hash(token, hash, sizeof(hash));
	/* The CSR is checked (by signing it) before the token is used up, so
	 * a bad CSR does not burn a token; the token, taken atomically, says
	 * the kind, and a gateway's certificate is made again with it. */
	snprintf(kind, sizeof(kind), "agent");
	if (ca_sign_csr(c->ca, csr, strlen(csr), id, kind, c->conf.cert_days, &cert, serial,
			sizeof(serial), err, sizeof(err)) < 0 ||
	    store_token_consume(c->store, hash, console_now(), id, kind, sizeof(kind), err,
				sizeof(err)) != 0 ||
	    (strcmp(kind, "agent") != 0 &&
	     (free(cert), cert = NULL,
	      ca_sign_csr(c->ca, csr, strlen(csr), id, kind, c->conf.cert_days, &cert, serial,
			  sizeof(serial), err, sizeof(err)) < 0)) ||
	    store_sensor_add(c->store, id, kind, host, serial, facts_text, console_now(), err,
			     sizeof(err)) < 0) {
		c->enroll_refused++;
		log_warn("enrolment of '%s' from %s refused: %s", host, peer, err);
		refusal_note(c, "sensor.enroll_refused", NULL, peer, "host %s: %s", host, err);
		server_reply_error(req, 403, "enrolment refused: %s", err);
		free(cert);
		free(facts_text);
		json_decref(j);
		return;
	}
	c->enrolled++;
	log_info("sensor %s enrolled: %s '%s' from %s", id, kind, host, peer);
	if (store_audit(c->store, console_now(), "", peer, "sensor.enroll", id, err, sizeof(err)) < 0)
		log_err("audit: %s", err);
	server_reply_json(req, 200, json_pack("{s:s,s:s,s:s,s:s}", "sensor_id", id, "kind", kind,
					      "certificate", cert, "ca", ca_cert_pem(c->ca)));
	free(cert);
	free(facts_text);
	json_decref(j);
}
