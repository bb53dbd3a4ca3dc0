/*
 * test_sdnotify.c - unit tests of lib/sdnotify.c against a real notify
 * socket: a unix datagram socket of the test's own, named in NOTIFY_SOCKET
 * the way systemd does. Checks that nothing is sent without NOTIFY_SOCKET,
 * that READY carries the status, and that the watchdog pings at most once
 * per half interval and only when WATCHDOG_USEC names this process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "sdnotify.h"

static char path[108];
static int fd = -1;

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)state;
	snprintf(path, sizeof(path), "%s/kastro-sdn-%ld.sock",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static int teardown(void **state)
{
	(void)state;
	close(fd);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* The next message, or "" when none waits. */
static const char *next_msg(void)
{
	static char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void no_socket_no_message(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "2000000", 1);
	assert_int_equal(sdn_init(), 0);   /* no socket: no watchdog either */
	sdn_ready("x");
	sdn_watchdog();
	assert_string_equal(next_msg(), "");
}

static void ready_and_status(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(sdn_init(), 0);
	sdn_ready("capturing");
	assert_string_equal(next_msg(), "READY=1\nSTATUS=capturing");
	sdn_watchdog();                      /* no watchdog asked for */
	assert_string_equal(next_msg(), "");
	sdn_stopping();
	assert_string_equal(next_msg(), "STOPPING=1\nSTATUS=stopping");
}

static void watchdog_half_interval(void **state)
{
	char pid[32];

	(void)state;
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "200000", 1);    /* 200 ms */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdn_init(), 200);
	sdn_watchdog();
	assert_string_equal(next_msg(), "WATCHDOG=1");
	sdn_watchdog();                          /* too soon: nothing */
	assert_string_equal(next_msg(), "");
	usleep(120 * 1000);
	sdn_watchdog();
	assert_string_equal(next_msg(), "WATCHDOG=1");
}

static void watchdog_of_another_process(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", "1", 1);          /* meant for someone else */
	assert_int_equal(sdn_init(), 0);
	sdn_watchdog();
	assert_string_equal(next_msg(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_socket_no_message, setup, teardown),
		cmocka_unit_test_setup_teardown(ready_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(watchdog_half_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(watchdog_of_another_process, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
