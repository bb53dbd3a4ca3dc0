/*
 * test_privdrop.c - the parser thread's seccomp filter (console/
 * privdrop.c), in a child process so the test runner keeps its freedom:
 * under the filter JSON still parses and the wake-up pipe takes a byte,
 * while opening a file, making a socket, writing to another descriptor
 * and exec all fail with EPERM. And the whole console's drop: its user,
 * no capabilities, the data directory given to it but not the keys, exec
 * refused (in a build without sanitizers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "privdrop.h"
#include "sanitized.h"

/* Child: exit 0 when every check held, else the number of the failed one. */
static int child(int wake, int other)
{
	char err[256], *text;
	json_t *j;
	int fd;

	json_object_seed(0);
	if (privdrop_parser_thread(wake, err, sizeof(err)) < 0)
		return 1;
	j = json_loads("{\"first_seq\": 1, \"events\": [{\"event_type\": \"flow\", \"x\": [1, 2, 3]}]}",
		       0, NULL);
	if (j == NULL)
		return 2;
	text = malloc(1 << 20);                 /* a large block: mmap */
	if (text == NULL)
		return 3;
	memset(text, 'x', 1 << 20);
	free(text);
	json_decref(j);
	if (write(wake, "", 1) != 1)
		return 4;
	errno = 0;
	fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0 || errno != EPERM)
		return 5;
	errno = 0;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		return 6;
	errno = 0;
	if (write(other, "x", 1) >= 0 || errno != EPERM)
		return 7;
	errno = 0;
	execl("/bin/true", "true", (char *)NULL);
	if (errno != EPERM)
		return 8;
	return 0;
}

static void test_parser_filter_allows_parsing_refuses_the_rest(void **state)
{
	int wake[2], other[2], st = -1;
	pid_t pid;
	char b;

	(void)state;
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(pipe(other), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(wake[1], other[1]));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(read(wake[0], &b, 1), 1);
	close(wake[0]);
	close(wake[1]);
	close(other[0]);
	close(other[1]);
}

static int drop_child(const char *dir, uid_t uid)
{
	char err[512], path[256];
	struct stat st;

	if (privdrop_console("kastro-console", dir, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() == 0)
		return 2;
	if (prctl(PR_CAPBSET_READ, 0 /* CAP_CHOWN */, 0, 0, 0) != 0)
		return 3;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 4;
	snprintf(path, sizeof(path), "%s/console.db", dir);
	if (stat(path, &st) < 0 || st.st_uid != uid)
		return 5;
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if (stat(path, &st) < 0 || st.st_uid != 0 || open(path, O_RDONLY) >= 0)
		return 6;
	errno = 0;
	if (setuid(0) == 0)
		return 7;
	if (!SANITIZED) {
		errno = 0;
		execl("/bin/true", "true", (char *)NULL);
		if (errno != EPERM)
			return 8;
	}
	return 0;
}

static void test_console_drop_user_caps_files(void **state)
{
	char dir[64] = "/tmp/test_privdrop.XXXXXX", path[128];
	struct passwd *pw = getpwnam("kastro-console");
	int st = -1, fd;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip();         /* needs root and the user (the console tests make it) */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/console.db", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(drop_child(dir, pw->pw_uid));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/console.db", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_filter_allows_parsing_refuses_the_rest),
		cmocka_unit_test(test_console_drop_user_caps_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
