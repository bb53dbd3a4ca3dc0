/*
 * test_probe_tls_deadline.c - a tls check (lib/probe.c) against a hostile
 * server on loopback that answers the handshake one byte at a time, each
 * well within the timeout: the check ends at its timeout, not when the
 * server stops, both for TLS from the start and after STARTTLS.
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
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mono.h"
#include "probe.h"

#define DRIP_MS 200             /* a byte of the handshake every DRIP_MS */
#define DRIP_FOR_MS 8000        /* for as long as this, then the server closes */

struct drip {
	int fd;
	bool smtp;              /* speak SMTP up to STARTTLS first */
	atomic_bool stop;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read what the client sent up to a line's end (SMTP) or one read (TLS). */
static void take(int c, bool line)
{
	char b[4096];
	size_t n = 0;

	while (n < sizeof(b)) {
		ssize_t r = recv(c, b + n, line ? 1 : sizeof(b) - n, 0);

		if (r <= 0)
			return;
		n += (size_t)r;
		if (!line || b[n - 1] == '\n')
			return;
	}
}

static void *server(void *arg)
{
	struct drip *d = arg;
	int c = accept(d->fd, NULL, NULL);
	/* a handshake record of 16 KiB, its bytes to come */
	static const unsigned char head[] = { 0x16, 0x03, 0x03, 0x40, 0x00 };
	uint64_t until;

	if (c < 0)
		return NULL;
	if (d->smtp) {
		static const char *const say[] = { "220 mail ESMTP\r\n",
						    "250-mail\r\n250 STARTTLS\r\n",
						    "220 go ahead\r\n" };

		if (send(c, say[0], strlen(say[0]), MSG_NOSIGNAL) < 0)
			goto out;
		for (int i = 1; i < 3; i++) {
			take(c, true);
			if (send(c, say[i], strlen(say[i]), MSG_NOSIGNAL) < 0)
				goto out;
		}
	}
	take(c, false);         /* the ClientHello */
	if (send(c, head, sizeof(head), MSG_NOSIGNAL) < 0)
		goto out;
	until = mono_ms() + DRIP_FOR_MS;
	while (!atomic_load(&d->stop) && mono_ms() < until) {
		sleep_ms(DRIP_MS);
		if (send(c, "", 1, MSG_NOSIGNAL) < 0)
			break;
	}
out:
	close(c);
	return NULL;
}

/* Run a tls check of timeout_s against the dripping server; its time in ms. */
static uint64_t run(bool smtp, unsigned timeout_s, struct probe_result *r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct drip d = { .smtp = smtp };
	struct inv_check c;
	pthread_t th;
	uint64_t t0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(d.fd >= 0);
	assert_int_equal(bind(d.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(d.fd, 4), 0);
	assert_int_equal(getsockname(d.fd, (struct sockaddr *)&sin, &sl), 0);
	atomic_init(&d.stop, false);
	assert_int_equal(pthread_create(&th, NULL, server, &d), 0);

	memset(&c, 0, sizeof(c));
	c.kind = INV_CHK_TLS;
	snprintf(c.target, sizeof(c.target), "127.0.0.1");
	c.port = ntohs(sin.sin_port);
	c.timeout = timeout_s;
	c.every = 60;
	c.retry_every = 60;
	c.retries = 1;
	c.warn_days[0] = 21;
	c.warn_days[1] = 14;
	c.warn_days[2] = 7;
	if (smtp)
		snprintf(c.starttls, sizeof(c.starttls), "smtp");
	t0 = mono_ms();
	probe_run(&c, r);
	t0 = mono_ms() - t0;
	atomic_store(&d.stop, true);
	pthread_join(th, NULL);
	close(d.fd);
	return t0;
}

static void test_tls_drip(void **state)
{
	struct probe_result r;
	uint64_t ms;

	(void)state;
	ms = run(false, 1, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	if (ms > 2000)
		fail_msg("the check of timeout 1s took %llu ms: %s", (unsigned long long)ms,
			 r.output);
	assert_non_null(strstr(r.output, "timed out"));
}

static void test_starttls_drip(void **state)
{
	struct probe_result r;
	uint64_t ms;

	(void)state;
	ms = run(true, 2, &r);
	assert_int_equal(r.state, PROBE_CRITICAL);
	if (ms > 3000)
		fail_msg("the check of timeout 2s took %llu ms: %s", (unsigned long long)ms,
			 r.output);
	assert_non_null(strstr(r.output, "timed out"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_drip),
		cmocka_unit_test(test_starttls_drip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
