/*
 * ctl_hooks.c - `kastroctl hooks`: list the console's hooks, send a test
 * alert through one, list a hook's deliveries, retry or drop one.
 *
 *   kastroctl [-s SOCKET] hooks
 *   kastroctl [-s SOCKET] hooks test NAME [--timeout DUR]
 *   kastroctl [-s SOCKET] hooks deliveries NAME [queued|delivered|failed|dropped]
 *   kastroctl [-s SOCKET] hooks retry ID | hooks drop ID
 *
 * `hooks test` is a contract for scripts: exit 0 once the receiver accepted
 * the test alert, 1 if it refused or could not be reached, 2 on any other
 * error (usage, no console, no such hook, the console's own error), within
 * the timeout (default 30 s). The console sends in a thread of its own;
 * this side starts the test and then asks for its result every 100 ms,
 * one request per connection as the control socket wants.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ctl_hooks.h"
#include "num.h"

#define ANSWER_MAX (64 * 1024)
#define IO_MS 10000

/* One request; the answer into ans. 0, or -1 (message printed). */
static int exchange(const char *path, const char *req, char *ans, size_t cap)
{
	struct sockaddr_un sa;
	size_t len = 0, rl = strlen(req);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "kastroctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "kastroctl: cannot reach the console at %s: %s (is it running, "
			"and are you root?)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl || send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "kastroctl: %s: cannot send: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, IO_MS) <= 0) {
			fprintf(stderr, "kastroctl: no answer from the console within %d s\n",
				IO_MS / 1000);
			close(fd);
			return -1;
		}
		r = read(fd, ans + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap - 1)
			break;
	}
	close(fd);
	ans[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "kastroctl: the console closed the connection without an answer\n");
		return -1;
	}
	return 0;
}

static bool is_ok(const char *ans)
{
	return strncmp(ans, "ok", 2) == 0 && (ans[2] == '\0' || ans[2] == '\n');
}

/* The value of "key=" at the start of a line of ans, into out. */
static int field(const char *ans, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = ans;

	while (p != NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, "\n");

			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "30", "30s", "2m": seconds, 1..600. */
static int parse_timeout(const char *s, uint64_t *secs)
{
	char num[16];
	size_t n = strlen(s);
	uint64_t mult = 1;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	if (num[n - 1] == 's') {
		num[--n] = '\0';
	} else if (num[n - 1] == 'm') {
		num[--n] = '\0';
		mult = 60;
	}
	if (num_parse_u64(num, 1, 600, secs) < 0 || *secs * mult > 600)
		return -1;
	*secs *= mult;
	return 0;
}

static int hooks_test(const char *path, const char *name, uint64_t timeout)
{
	static char ans[ANSWER_MAX];
	char req[CONTROL_LINE_MAX], id[32], result[32], answer[1024];
	int64_t deadline;

	if (strlen(name) == 0 || strpbrk(name, " \t\r\n") != NULL) {
		fprintf(stderr, "kastroctl: hooks test NAME: not a hook name\n");
		return 2;
	}
	snprintf(req, sizeof(req), "hooks test %.200s %llu", name, (unsigned long long)timeout);
	if (exchange(path, req, ans, sizeof(ans)) < 0)
		return 2;
	if (!is_ok(ans) || field(ans, "test", id, sizeof(id)) < 0) {
		fputs(ans, stderr);
		fputc('\n', stderr);
		return 2;
	}
	/* the console's own attempt is bounded by the timeout; allow it a little more */
	deadline = mono_ms() + (int64_t)timeout * 1000 + 3000;
	snprintf(req, sizeof(req), "hooks result %s", id);
	for (;;) {
		struct timespec nap = { 0, 100 * 1000000L };

		if (exchange(path, req, ans, sizeof(ans)) < 0)
			return 2;
		if (!is_ok(ans)) {
			fputs(ans, stderr);
			fputc('\n', stderr);
			return 2;
		}
		if (strstr(ans, "\nstate=done") != NULL)
			break;
		if (mono_ms() > deadline) {
			fprintf(stderr, "kastroctl: hooks test %s: no result within %llu s\n", name,
				(unsigned long long)timeout);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
	if (field(ans, "result", result, sizeof(result)) < 0)
		return 2;
	if (field(ans, "answer", answer, sizeof(answer)) < 0)
		answer[0] = '\0';
	if (strcmp(result, "accepted") == 0) {
		printf("hook %s: accepted: %s\n", name, answer);
		return 0;
	}
	fprintf(stderr, "hook %s: %s: %s\n", name, result, answer);
	return strcmp(result, "refused") == 0 || strcmp(result, "not reached") == 0 ? 1 : 2;
}

int ctl_hooks(const char *path, int argc, char **argv)
{
	static char ans[ANSWER_MAX];
	char req[CONTROL_LINE_MAX];
	const char *args[4];
	uint64_t timeout = 30;
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 || strncmp(argv[i], "--timeout=", 10) == 0) {
			const char *v = argv[i][9] == '=' ? argv[i] + 10 : (i + 1 < argc ? argv[++i] : NULL);

			if (v == NULL || parse_timeout(v, &timeout) < 0) {
				fprintf(stderr, "kastroctl: --timeout: expected a duration from 1s to 10m\n");
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "kastroctl: hooks: unknown option %s\n", argv[i]);
			return 2;
		} else if (n < 4) {
			args[n++] = argv[i];
		} else {
			fprintf(stderr, "kastroctl: hooks: too many arguments\n");
			return 2;
		}
	}
	if (n == 2 && strcmp(args[0], "test") == 0)
		return hooks_test(path, args[1], timeout);
	if (n == 0)
		snprintf(req, sizeof(req), "hooks");
	else if ((n == 2 || n == 3) && strcmp(args[0], "deliveries") == 0)
		snprintf(req, sizeof(req), "hooks deliveries %.100s %.20s", args[1], n == 3 ? args[2] : "");
	else if (n == 2 && (strcmp(args[0], "retry") == 0 || strcmp(args[0], "drop") == 0))
		snprintf(req, sizeof(req), "hooks %s %.30s", args[0], args[1]);
	else {
		fprintf(stderr, "usage: kastroctl hooks [test NAME [--timeout DUR] | deliveries NAME "
			"[STATE] | retry ID | drop ID]\n");
		return 2;
	}
	if (strpbrk(req, "\r\n") != NULL)
		return 2;
	if (exchange(path, req, ans, sizeof(ans)) < 0)
		return 1;
	if (is_ok(ans)) {
		fputs(ans, stdout);
		fputc('\n', stdout);
		return 0;
	}
	fputs(ans, stderr);
	fputc('\n', stderr);
	return 1;
}
