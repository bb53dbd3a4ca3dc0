/*
 * test_everotate.c - the EVE file handed over after log rotation: the
 * parent's everotate_hand() opens the file again at its path and sends the
 * descriptor on an IPC socketpair; the sensor's side takes it with
 * ipc_recv_fd() and eve_switch()es to it; lines buffered before the switch
 * land whole in the old file, the next ones in the new; the parent's own
 * stream follows too. A descriptor on another message type, or
 * IPC_EVE_FILE without one, is malformed, and plain ipc_recv() refuses any
 * descriptor. EVE on standard output has no file to open again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eve.h"
#include "everotate.h"
#include "ipc.h"
#include "testfs.h"

struct fx {
	char dir[64], path[128], moved[128];
	int sp[2];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/kastro-test-everotate.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/eve.json", f->dir);
	snprintf(f->moved, sizeof(f->moved), "%s/eve.json.1", f->dir);
	assert_int_equal(ipc_socketpair(f->sp, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->sp[0]);
	close(f->sp[1]);
	testfs_rm_tree(f->dir);
	free(f);
	return 0;
}

static void line(struct eve *e, const char *s)
{
	fputs(s, e->fp);
	e->events++;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 4096);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, 4095, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_hand_over(void **state)
{
	struct fx *f = *state;
	struct eve parent, sensor;
	struct ipc_msg m;
	char err[256], *a, *b;
	int fd = -1;

	assert_int_equal(eve_open(&parent, f->path, err, sizeof(err)), 0);
	assert_int_equal(eve_open(&sensor, f->path, err, sizeof(err)), 0);
	line(&sensor, "{\"n\":1}\n");
	line(&sensor, "{\"n\":2}\n");           /* still in the stdio buffer */
	assert_int_equal(rename(f->path, f->moved), 0);
	assert_int_equal(everotate_hand(&parent, f->path, f->sp[0], err, sizeof(err)), 0);
	assert_int_equal(ipc_recv_fd(f->sp[1], &m, &fd, err, sizeof(err)), 1);
	assert_int_equal(m.type, IPC_EVE_FILE);
	assert_true(fd >= 0);
	assert_int_equal(eve_switch(&sensor, fd, err, sizeof(err)), 0);
	assert_int_equal(sensor.reopens, 1);
	line(&sensor, "{\"n\":3}\n");
	line(&parent, "{\"parent\":1}\n");      /* a sensor started later writes here */
	eve_flush(&sensor);
	eve_flush(&parent);
	a = slurp(f->moved);
	b = slurp(f->path);
	assert_string_equal(a, "{\"n\":1}\n{\"n\":2}\n");
	assert_string_equal(b, "{\"n\":3}\n{\"parent\":1}\n");
	free(a);
	free(b);
	eve_close(&sensor);
	eve_close(&parent);
	/* nothing more waits on the socket */
	assert_int_equal(ipc_recv_fd(f->sp[1], &m, &fd, err, sizeof(err)), 0);
}

static void test_descriptor_rules(void **state)
{
	struct fx *f = *state;
	struct ipc_msg m;
	char err[256];
	int fd;

	/* a descriptor on a message of another type */
	assert_int_equal(ipc_send_fd(f->sp[0], IPC_READY, NULL, 0, 0), 0);
	assert_int_equal(ipc_recv_fd(f->sp[1], &m, &fd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "with 1 descriptor"));
	/* IPC_EVE_FILE without one */
	assert_int_equal(ipc_send(f->sp[0], IPC_EVE_FILE, NULL, 0), 0);
	assert_int_equal(ipc_recv_fd(f->sp[1], &m, &fd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "with 0 descriptor"));
	/* the parent's side takes no descriptor at all */
	assert_int_equal(ipc_send_fd(f->sp[1], IPC_EVE_FILE, NULL, 0, 0), 0);
	assert_int_equal(ipc_recv(f->sp[0], &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "with a descriptor"));
	/* a message without descriptor still passes */
	assert_int_equal(ipc_send(f->sp[0], IPC_READY, NULL, 0), 0);
	assert_int_equal(ipc_recv_fd(f->sp[1], &m, &fd, err, sizeof(err)), 1);
	assert_int_equal(fd, -1);
}

static void test_stdout_and_bad_path(void **state)
{
	struct fx *f = *state;
	struct eve e;
	char err[256], bad[160];

	assert_int_equal(eve_open(&e, "-", err, sizeof(err)), 0);
	assert_int_equal(everotate_hand(&e, "-", f->sp[0], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "standard output"));
	eve_close(&e);
	assert_int_equal(eve_open(&e, f->path, err, sizeof(err)), 0);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/eve.json", f->dir);
	assert_int_equal(everotate_hand(&e, bad, f->sp[0], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the old file stays in use"));
	assert_int_equal(e.reopens, 0);
	eve_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hand_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_and_bad_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
