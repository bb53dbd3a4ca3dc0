/*
 * ctlfix.h - the fixture of the unit tests of control sockets
 * (lib/control.c): a real socket, c.sock in a new directory under /tmp,
 * served by a thread of the test that answers with the test's own answer
 * function and counts the requests that reached it.
 *
 * For the test files that include it, after cmocka.h, poll.h, pthread.h,
 * stdio.h, stdlib.h, sys/stat.h, control.h and testfs.h. Their setup calls
 * ctlfix_open(), may set the socket up further, then ctlfix_serve(); their
 * teardown calls ctlfix_close().
 */
#ifndef KASTRO_CTLFIX_H
#define KASTRO_CTLFIX_H

#define CTLFIX_UNUSED __attribute__((unused))

struct ctlfix;
typedef void ctlfix_answer_fn(struct ctlfix *f, const char *line, char *ans, size_t anslen);

struct ctlfix {
	char dir[64], sock[128];
	struct control ctl;
	pthread_t th;
	volatile int stop;
	int handled;            /* requests that reached the answer function */
	ctlfix_answer_fn *answer;
};

static void ctlfix_handler(void *ctx, const char *line, char *ans, size_t anslen)
{
	struct ctlfix *f = ctx;

	f->handled++;
	f->answer(f, line, ans, anslen);
}

static void *ctlfix_loop(void *arg)
{
	struct ctlfix *f = arg;

	while (!f->stop) {
		struct pollfd p = { .fd = control_poll_fd(&f->ctl), .events = POLLIN };
		int r = poll(&p, 1, 50);

		control_handle(&f->ctl, r > 0 ? p.revents : 0, ctlfix_handler, f);
	}
	return NULL;
}

/* The socket opened in a new directory /tmp/name.XXXXXX of mode dir_mode,
 * not served yet; the test fails when it cannot be made. */
static CTLFIX_UNUSED struct ctlfix *ctlfix_open(const char *name, mode_t dir_mode)
{
	struct ctlfix *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(chmod(f->dir, dir_mode), 0);
	snprintf(f->sock, sizeof(f->sock), "%s/c.sock", f->dir);
	if (control_open(&f->ctl, f->sock, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return f;
}

/* Serve the socket from a thread, each request answered by answer. */
static CTLFIX_UNUSED void ctlfix_serve(struct ctlfix *f, ctlfix_answer_fn *answer)
{
	f->answer = answer;
	assert_int_equal(pthread_create(&f->th, NULL, ctlfix_loop, f), 0);
}

/* Stop the thread, close the socket, remove its directory and free f. */
static CTLFIX_UNUSED int ctlfix_close(struct ctlfix *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
	control_close(&f->ctl);
	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

#endif
