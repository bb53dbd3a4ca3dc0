/*
 * test_control.c - who may ask a daemon what over its control socket: the
 * command table's lookup (a subcommand's own entry wins over the word's
 * catch-all; "" is the bare word; an unlisted word matches nothing), and a
 * real socket served by a thread of the test, asked by forked clients that
 * become an unprivileged user with and without the socket's group: a
 * member gets read-only answers and "permission denied: ... needs root"
 * for changing requests (which never reach the handler); a non-member is
 * kept out by the file's mode and, were that wider, refused by the daemon; root may do everything; an unlisted request is
 * refused for everyone. Needs root (to change users): skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "ctlclient.h"
#include "testfs.h"
#include "ctlfix.h"

#define TEST_GID 64123          /* the socket's group in this test; no real one */
#define NOBODY 65534

static const struct control_cmd cmds[] = {
	{ "status", NULL, CONTROL_READ },
	{ "quarantine", "list", CONTROL_READ },
	{ "quarantine", NULL, CONTROL_CHANGE },
	{ "hooks", "", CONTROL_READ },
	{ "hooks", "result", CONTROL_READ },
	{ "hooks", NULL, CONTROL_CHANGE },
	{ "reload", NULL, CONTROL_CHANGE },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void test_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(control_lookup(cmds, NCMDS, "status"), &cmds[0]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "  status  extra"), &cmds[0]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "quarantine list"), &cmds[1]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "quarantine 10.0.0.1 60"), &cmds[2]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "quarantine"), &cmds[2]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "hooks"), &cmds[3]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "hooks\tresult 4"), &cmds[4]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "hooks retry 4"), &cmds[5]);
	assert_ptr_equal(control_lookup(cmds, NCMDS, "hooks resultx"), &cmds[5]);
	assert_null(control_lookup(cmds, NCMDS, "statu"));
	assert_null(control_lookup(cmds, NCMDS, "statusx"));
	assert_null(control_lookup(cmds, NCMDS, ""));
	assert_null(control_lookup(cmds, NCMDS, "   "));
	assert_null(control_lookup(cmds, NCMDS, "list"));
}

static void answer(struct ctlfix *f, const char *line, char *ans, size_t anslen)
{
	(void)f;
	snprintf(ans, anslen, "ok\nasked=%s", line);
}

static int setup(void **state)
{
	struct ctlfix *f = ctlfix_open("kastro-test-control", 0755);

	control_set_commands(&f->ctl, cmds, NCMDS);
	/* as control_open does when the group exists: group and 0660 */
	assert_int_equal(chown(f->sock, (uid_t)-1, TEST_GID), 0);
	assert_int_equal(chmod(f->sock, 0660), 0);
	f->ctl.gid = TEST_GID;
	f->ctl.group_shared = 1;
	ctlfix_serve(f, answer);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	return ctlfix_close(*state);
}

/*
 * Ask req as uid (root: 0) with the supplementary group gid (0: none);
 * the answer's first line, or "FAIL: error" when the client gave up.
 */
static void ask_as(struct ctlfix *f, uid_t uid, gid_t gid, const char *req, char *out, size_t outlen)
{
	int pfd[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[200], *ans = NULL, line[256];
		size_t len;
		gid_t g = gid;

		close(pfd[0]);
		if (uid != 0 && (setgroups(gid ? 1 : 0, &g) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
				 setresuid(uid, uid, uid) < 0))
			_exit(3);
		if (ctlclient_ask(f->sock, req, 5000, &ans, &len, err, sizeof(err)) < 0)
			snprintf(line, sizeof(line), "FAIL: %s", err);
		else
			snprintf(line, sizeof(line), "%s", ans);
		line[strcspn(line, "\n")] = '\0';
		if (write(pfd[1], line, strlen(line)) < 0)
			_exit(4);
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, NULL, 0);
}

static void test_group_member_reads_only(void **state)
{
	struct ctlfix *f = *state;
	char a[256];

	ask_as(f, NOBODY, TEST_GID, "status", a, sizeof(a));
	assert_string_equal(a, "ok");
	ask_as(f, NOBODY, TEST_GID, "quarantine list", a, sizeof(a));
	assert_string_equal(a, "ok");
	ask_as(f, NOBODY, TEST_GID, "hooks", a, sizeof(a));
	assert_string_equal(a, "ok");
	assert_int_equal(f->handled, 3);

	ask_as(f, NOBODY, TEST_GID, "reload", a, sizeof(a));
	assert_non_null(strstr(a, "error: permission denied: 'reload' needs root"));
	ask_as(f, NOBODY, TEST_GID, "quarantine 10.0.0.1", a, sizeof(a));
	assert_non_null(strstr(a, "error: permission denied: 'quarantine 10.0.0.1' needs root"));
	ask_as(f, NOBODY, TEST_GID, "hooks retry 7", a, sizeof(a));
	assert_non_null(strstr(a, "error: permission denied: 'hooks retry' needs root"));
	assert_int_equal(f->handled, 3);
	assert_int_equal(f->ctl.denied, 3);
}

static void test_others_and_unlisted_refused(void **state)
{
	struct ctlfix *f = *state;
	char a[256];

	/* the file's mode keeps a non-member out; and were it wider, the daemon does */
	ask_as(f, NOBODY, 0, "status", a, sizeof(a));
	assert_non_null(strstr(a, "FAIL: "));
	assert_int_equal(chmod(f->sock, 0666), 0);
	ask_as(f, NOBODY, 0, "status", a, sizeof(a));
	assert_non_null(strstr(a, "permission denied: only root and members of group kastro"));
	ask_as(f, NOBODY, TEST_GID, "frobnicate", a, sizeof(a));
	assert_non_null(strstr(a, "error: unknown request 'frobnicate'; expected one of: "
			       "status quarantine hooks reload"));
	ask_as(f, 0, 0, "frobnicate", a, sizeof(a));
	assert_non_null(strstr(a, "error: unknown request 'frobnicate'"));
	assert_int_equal(f->handled, 0);
	ask_as(f, 0, 0, "reload", a, sizeof(a));
	assert_string_equal(a, "ok");
	ask_as(f, 0, 0, "hooks drop 3", a, sizeof(a));
	assert_string_equal(a, "ok");
	assert_int_equal(f->handled, 2);
}

static void test_no_table_root_only(void **state)
{
	struct ctlfix *f = *state;
	char a[256];

	f->stop = 1;
	pthread_join(f->th, NULL);
	control_set_commands(&f->ctl, NULL, 0);
	f->stop = 0;
	ctlfix_serve(f, answer);
	assert_int_equal(chmod(f->sock, 0666), 0);
	ask_as(f, NOBODY, TEST_GID, "status", a, sizeof(a));
	assert_non_null(strstr(a, "permission denied: only root"));
	ask_as(f, 0, 0, "anything at all", a, sizeof(a));
	assert_string_equal(a, "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test_setup_teardown(test_group_member_reads_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_others_and_unlisted_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_table_root_only, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("SKIP: changing users needs root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
