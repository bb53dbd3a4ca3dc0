/*
 * test_outbox_handover.c - a hook's worker handed over to another at
 * runtime (console/outbox.c, outbox_put and outbox_remove) against a real
 * webhook receiver on loopback that takes its time to answer: one sender
 * per hook, also when the hook is deleted and made again under its name;
 * the worker it replaces is not freed while the new one still waits for
 * it; and the queue's depth the new worker starts from is the one the old
 * worker left, so that queue-max drops nothing that fits.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "cconf.h"
#include "fmt.h"
#include "hooks.h"
#include "outbox.h"
#include "testfs.h"

#define ANSWER_MS 1500          /* the receiver's delay before its 200 */

static struct {
	int fd, port;
	pthread_t th;
	atomic_bool stop;
	atomic_int received, answered;
} rcv;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One request at a time: read it, wait ANSWER_MS, answer 200. */
static void *receiver(void *arg)
{
	(void)arg;
	while (!atomic_load(&rcv.stop)) {
		char buf[8192];
		int c = accept(rcv.fd, NULL, NULL);

		if (c < 0)
			continue;
		if (recv(c, buf, sizeof(buf), 0) > 0) {
			static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
						 "Connection: close\r\n\r\n";

			atomic_fetch_add(&rcv.received, 1);
			sleep_ms(ANSWER_MS);
			if (send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL) > 0)
				atomic_fetch_add(&rcv.answered, 1);
		}
		close(c);
	}
	return NULL;
}

static void receiver_start(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct timeval tv = { 0, 200000 };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rcv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(rcv.fd >= 0);
	assert_int_equal(bind(rcv.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(rcv.fd, 16), 0);
	assert_int_equal(getsockname(rcv.fd, (struct sockaddr *)&sin, &sl), 0);
	/* accept() wakes now and then to see stop */
	setsockopt(rcv.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rcv.port = ntohs(sin.sin_port);
	atomic_store(&rcv.stop, false);
	atomic_store(&rcv.received, 0);
	atomic_store(&rcv.answered, 0);
	assert_int_equal(pthread_create(&rcv.th, NULL, receiver, NULL), 0);
}

static void receiver_stop(void)
{
	atomic_store(&rcv.stop, true);
	pthread_join(rcv.th, NULL);
	close(rcv.fd);
}

struct fixture {
	char dir[64], path[128];
	sqlite3 *db;
	struct outbox *ob;
	struct hook_def h;
	int next_audit;
};

static struct fixture fx;

static int64_t count(const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(fx.db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* An audit entry written and queued for the hooks, as the store does. */
static int audit(void)
{
	char sql[200], err[256];
	int id = ++fx.next_audit, queued = 0;
	int64_t now = (int64_t)time(NULL);

	snprintf(sql, sizeof(sql), "INSERT INTO audit (id, ts, user, addr, action, detail) VALUES "
		 "(%d, %lld, 'admin', '127.0.0.1', 'user.login', '')", id, (long long)now);
	assert_int_equal(sqlite3_exec(fx.db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(outbox_enqueue_audit(fx.ob, fx.db, id, now, "admin", "127.0.0.1",
					      "user.login", &queued, err, sizeof(err)), 0);
	assert_int_equal(queued, 1);
	return id;
}

/* n audit entries in one transaction: the worker claims them together. */
static void audit_many(int n)
{
	assert_int_equal(sqlite3_exec(fx.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	while (n-- > 0)
		audit();
	assert_int_equal(sqlite3_exec(fx.db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

/* Wait up to 5 s for the receiver to have had n requests: a send is in progress. */
static void wait_received(int n)
{
	for (int ms = 5000; atomic_load(&rcv.received) < n && ms > 0; ms -= 10)
		sleep_ms(10);
	assert_int_equal(atomic_load(&rcv.received), n);
}

/* Wait up to ms for the query's count to reach want. */
static int64_t wait_count(const char *sql, int64_t want, int ms)
{
	int64_t n = count(sql);

	for (; n < want && ms > 0; ms -= 20) {
		sleep_ms(20);
		n = count(sql);
	}
	return n;
}

static int setup(void **state)
{
	struct console_conf c;
	struct fmt_ctx ctx = { "kastro-test", "" };
	char text[256], err[2048];

	(void)state;
	memset(&fx, 0, sizeof(fx));
	receiver_start();
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/kastro-obh-XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	snprintf(fx.path, sizeof(fx.path), "%s/console.db", fx.dir);
	assert_int_equal(sqlite3_open(fx.path, &fx.db), SQLITE_OK);
	sqlite3_busy_timeout(fx.db, 10000);
	assert_int_equal(sqlite3_exec(fx.db, "PRAGMA journal_mode = WAL; CREATE TABLE audit (id "
				      "INTEGER PRIMARY KEY, ts INTEGER, user TEXT, addr TEXT, action "
				      "TEXT, detail TEXT)", NULL, NULL, NULL), SQLITE_OK);
	snprintf(text, sizeof(text), "data \"/d\"\nhook \"web\" { webhook "
		 "\"http://127.0.0.1:%d/in\" type audit timeout 10s }\n", rcv.port);
	cconf_defaults(&c);
	if (cconf_load_buffer("t.conf", text, strlen(text), "/etc/k", &c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(c.n_hooks, 1);
	fx.h = c.hooks[0];
	cconf_free(&c);
	assert_int_equal(outbox_new(&fx.ob, fx.path, NULL, 0, &ctx, err, sizeof(err)), 0);
	assert_int_equal(outbox_run(fx.ob, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	outbox_free(fx.ob);
	sqlite3_close(fx.db);
	receiver_stop();
	testfs_rm_tree(fx.dir);
	return 0;
}

#define CLAIMED(id) "SELECT count(*) FROM hook_deliveries WHERE hook = 'web' AND alert_id = " #id

/*
 * A hook deleted and made again while its worker is in a send: the new
 * worker waits for the old one to finish it (one sender per hook), so the
 * delivery in that send is not sent a second time, and it claims the new
 * entry once.
 */
static void test_remade(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(outbox_put(fx.ob, &fx.h, err, sizeof(err)), 0);
	audit();
	assert_int_equal(wait_count(CLAIMED(1), 1, 5000), 1);
	wait_received(1);       /* the worker is in its send now: the receiver waits */
	assert_int_equal(atomic_load(&rcv.answered), 0);
	assert_int_equal(outbox_remove(fx.ob, "web", err, sizeof(err)), 0);
	assert_int_equal(outbox_put(fx.ob, &fx.h, err, sizeof(err)), 0);
	audit();
	sleep_ms(300);
	/* the old worker has not finished its send: the new one has not begun */
	assert_int_equal(atomic_load(&rcv.answered), 0);
	assert_int_equal(count(CLAIMED(2)), 0);
	assert_int_equal(wait_count(CLAIMED(2), 1, 5000), 1);
	assert_int_equal(wait_count("SELECT count(*) FROM hook_deliveries WHERE state = "
				    "'delivered'", 2, 3 * ANSWER_MS + 2000), 2);
	assert_int_equal(count(CLAIMED(2)), 1);
	/* each sent once: the new worker did not send the first again while
	   the old one was sending it */
	sleep_ms(ANSWER_MS + 500);
	assert_int_equal(atomic_load(&rcv.received), 2);
}

/*
 * A hook replaced twice while its worker is in a send: the second
 * replacement waits for the first, which waits for the old one; the
 * workers retired meanwhile are freed only once nothing waits for them
 * (ASan: no use after free), and reaping them is what the loop does on
 * every change (a remove of a name that is not there reaps too).
 */
static void test_replaced_twice(void **state)
{
	char err[256];
	time_t until;

	(void)state;
	assert_int_equal(outbox_put(fx.ob, &fx.h, err, sizeof(err)), 0);
	audit();
	assert_int_equal(wait_count(CLAIMED(1), 1, 5000), 1);
	wait_received(1);
	assert_int_equal(outbox_put(fx.ob, &fx.h, err, sizeof(err)), 0);
	assert_int_equal(outbox_put(fx.ob, &fx.h, err, sizeof(err)), 0);
	audit();
	until = time(NULL) + 3 * ANSWER_MS / 1000 + 3;
	while (count("SELECT count(*) FROM hook_deliveries WHERE state = 'delivered'") < 2 &&
	       time(NULL) < until)
		assert_int_equal(outbox_remove(fx.ob, "nosuch", err, sizeof(err)), -1);
	assert_int_equal(count("SELECT count(*) FROM hook_deliveries WHERE state = 'delivered'"),
			 2);
	assert_int_equal(count(CLAIMED(2)), 1);
}

/*
 * queue-max with the queue full when the hook is replaced: the deliveries
 * the old worker finished after the replacement was made are not counted
 * by the new one, which drops nothing while the queue has room.
 */
static void test_depth_handed_over(void **state)
{
	struct hook_def h = fx.h;
	char err[256];

	(void)state;
	h.queue_max = 3;
	assert_int_equal(outbox_put(fx.ob, &h, err, sizeof(err)), 0);
	audit_many(3);
	assert_int_equal(wait_count("SELECT count(*) FROM hook_deliveries", 3, 5000), 3);
	wait_received(1);       /* the first is being sent; the queue holds 3 */
	assert_int_equal(outbox_put(fx.ob, &h, err, sizeof(err)), 0);
	audit();
	/* the old worker finishes its send (the first is delivered: 2 queued),
	   then the new one claims the fourth */
	assert_int_equal(wait_count(CLAIMED(4), 1, 2 * ANSWER_MS + 2000), 1);
	assert_int_equal(count("SELECT count(*) FROM hook_deliveries WHERE state = 'dropped'"), 0);
}

/*
 * A console started again without a hook it had: that hook's queued
 * deliveries are dropped with the reason (a failed one stays for the
 * operator), and outbox rows naming no hook left are deleted, but the
 * newest, so that no rowid is handed out again.
 */
static void test_sweep_at_start(void **state)
{
	struct fmt_ctx ctx = { "kastro-test", "" };
	char err[256];

	(void)state;
	outbox_free(fx.ob);
	fx.ob = NULL;
	assert_int_equal(sqlite3_exec(fx.db,
		"INSERT INTO hook_deliveries (hook, alert_id, reason, severity, created, state) "
		"VALUES ('gone', 1, 'raised', 2, 0, 'queued'), ('gone', 2, 'raised', 2, 0, 'queued'), "
		"('gone', 3, 'raised', 2, 0, 'failed');"
		"INSERT INTO hook_outbox (id, alert_id, reason, severity, created, hooks) VALUES "
		"(1, 11, 'raised', 2, 0, 'gone'), (2, 12, 'raised', 2, 0, 'gone,web'), "
		"(3, 13, 'raised', 2, 0, 'gone'), (4, 14, 'raised', 2, 0, 'gone')",
		NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(outbox_new(&fx.ob, fx.path, &fx.h, 1, &ctx, err, sizeof(err)), 0);
	assert_int_equal(outbox_run(fx.ob, err, sizeof(err)), 0);
	assert_int_equal(count("SELECT count(*) FROM hook_deliveries WHERE hook = 'gone' AND "
			       "state = 'dropped' AND answer LIKE '%no longer configured'"), 2);
	assert_int_equal(count("SELECT count(*) FROM hook_deliveries WHERE hook = 'gone' AND "
			       "state = 'failed'"), 1);
	assert_int_equal(count("SELECT count(*) FROM hook_outbox WHERE id IN (1, 3)"), 0);
	assert_int_equal(count("SELECT count(*) FROM hook_outbox WHERE id = 4"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_remade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_handed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_at_start, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
