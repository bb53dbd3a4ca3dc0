/*
 * test_log.c - unit tests of lib/log.c's journald priorities: with stderr
 * a stream named by JOURNAL_STREAM (as systemd sets it), each line starts
 * with "<N>", N the syslog priority of its level; with any other stderr,
 * or without the variable, lines are plain. stderr is pointed at a file of
 * the test's own for each case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static char path[256];
static int saved = -1;

/* Point stderr at a fresh file; returns its fd (the same as stderr's). */
static void to_file(void)
{
	int fd;

	snprintf(path, sizeof(path), "%s/kastro-log-%ld.txt",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	if (saved < 0)
		saved = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
}

/* Restore stderr and return what was written to the file. */
static const char *written(void)
{
	static char buf[1024];
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

static void set_journal_stream(void)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
}

static void journal_gets_priorities(void **state)
{
	(void)state;
	to_file();
	set_journal_stream();
	log_init("t", LOG_LVL_DEBUG, false);
	log_err("bad %d", 1);
	log_warn("careful");
	log_info("fine");
	log_debug("detail");
	assert_string_equal(written(), "<3>t: error: bad 1\n<4>t: warning: careful\n"
				       "<6>t: info: fine\n<7>t: debug: detail\n");
	unsetenv("JOURNAL_STREAM");
}

static void other_stream_plain(void **state)
{
	(void)state;
	setenv("JOURNAL_STREAM", "1:2", 1);      /* someone else's stream */
	to_file();
	log_init("t", LOG_LVL_INFO, false);
	log_err("bad");
	assert_string_equal(written(), "t: error: bad\n");
	unsetenv("JOURNAL_STREAM");
	to_file();
	log_init("t", LOG_LVL_INFO, false);
	log_warn("no variable");
	log_debug("not shown");
	assert_string_equal(written(), "t: warning: no variable\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(journal_gets_priorities),
		cmocka_unit_test(other_stream_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
