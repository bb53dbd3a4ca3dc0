/*
 * bkrun.c - see bkrun.h.
 */
#include "bkrun.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errf.h"
#include "mono.h"

/* In the child: fds 0..3 set, everything above closed. */
static void child(char *const argv[], char *const envp[], const char *cwd, int out, int errw,
		  int pass_fd)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (cwd != NULL && chdir(cwd) < 0)
		_exit(126);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errw, 2) < 0)
		_exit(127);
	if (pass_fd >= 0) {
		if (pass_fd != 3 && dup2(pass_fd, 3) < 0)
			_exit(127);
		if (pass_fd == 3)
			fcntl(3, F_SETFD, 0);
	}
	closefrom(pass_fd >= 0 ? 4 : 3);
	signal(SIGPIPE, SIG_DFL);
	execve(argv[0], argv, envp);
	_exit(127);
}

static void read_io(pid_t pid, struct bkrun_cost *c)
{
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (sscanf(line, "rchar: %llu", &v) == 1)
			c->read_chars = v;
		else if (sscanf(line, "read_bytes: %llu", &v) == 1)
			c->read_bytes = v;
		else if (sscanf(line, "write_bytes: %llu", &v) == 1)
			c->write_bytes = v;
	}
	fclose(f);
}

static void keep_tail(struct bkrun *r, size_t *tl, const char *b, size_t n)
{
	if (n >= BKRUN_ERR_TAIL) {
		memcpy(r->err_tail, b + n - BKRUN_ERR_TAIL, BKRUN_ERR_TAIL);
		*tl = BKRUN_ERR_TAIL;
		return;
	}
	if (*tl + n > BKRUN_ERR_TAIL) {
		size_t drop = *tl + n - BKRUN_ERR_TAIL;

		memmove(r->err_tail, r->err_tail + drop, *tl - drop);
		*tl -= drop;
	}
	memcpy(r->err_tail + *tl, b, n);
	*tl += n;
}

int bkrun(char *const argv[], char *const envp[], const char *cwd, unsigned timeout_s,
	  size_t out_cap, int pass_fd, volatile int *stop, struct bkrun *r, char *err,
	  size_t errlen)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, open_n = 2, st = 0;
	uint64_t t0 = mono_ms(), deadline = t0 + (uint64_t)timeout_s * 1000;
	size_t tl = 0;
	struct rusage ru;
	siginfo_t si;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = malloc(out_cap + 1);
	if (r->out == NULL)
		return errf(err, errlen, "out of memory");
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		errf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		errf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(argv, envp, cwd, op[1], ep[1], pass_fd);
	setpgid(pid, pid);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	while (open_n > 0) {
		struct pollfd p[2] = { { op[0], POLLIN, 0 }, { ep[0], POLLIN, 0 } };
		uint64_t now = mono_ms();
		char b[8192];
		ssize_t n;

		if (now >= deadline || (stop != NULL && *stop)) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)(deadline - now > 1000 ? 1000 : deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			kill(-pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, b, sizeof(b));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(p[i].fd);
				if (i == 0)
					op[0] = -1;
				else
					ep[0] = -1;
				open_n--;
				continue;
			}
			if (i == 1) {
				keep_tail(r, &tl, b, (size_t)n);
			} else if (r->out_len + (size_t)n > out_cap) {
				size_t room = out_cap - r->out_len;

				memcpy(r->out + r->out_len, b, room);
				r->out_len += room;
				r->out_cut = true;
			} else {
				memcpy(r->out + r->out_len, b, (size_t)n);
				r->out_len += (size_t)n;
			}
		}
	}
	/* the child stays a zombie until reaped: its counters are still there */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	read_io(pid, &r->cost);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			memset(&ru, 0, sizeof(ru));
			break;
		}
	}
	/* what the tool left behind in its group (a stuck helper) goes too */
	kill(-pid, SIGKILL);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->cost.ms = mono_ms() - t0;
	r->cost.cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	r->out[r->out_len] = '\0';
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)r->err_tail[i] < 0x20 || r->err_tail[i] == 0x7f)
			r->err_tail[i] = ' ';
		else if ((unsigned char)r->err_tail[i] >= 0x80)
			r->err_tail[i] = '?';    /* the event's JSON takes UTF-8 only */
	r->err_tail[tl] = '\0';
	if (op[0] >= 0)
		close(op[0]);
	if (ep[0] >= 0)
		close(ep[0]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(r->out);
	r->out = NULL;
	return -1;
}

void bkrun_free(struct bkrun *r)
{
	free(r->out);
	r->out = NULL;
}
