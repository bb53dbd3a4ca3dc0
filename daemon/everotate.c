/*
 * everotate.c - see everotate.h.
 */
#include "everotate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errf.h"
#include "ipc.h"

int everotate_hand(struct eve *e, const char *path, int sensor_ipc, char *err, size_t errlen)
{
	char why[256];
	int fd, mine;

	if (path[0] == '\0' || strcmp(path, "-") == 0)
		return errf(err, errlen, "EVE goes to standard output: no file to open again");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		return errf(err, errlen, "cannot open the EVE file %s: %s; the old file stays in use",
			    path, strerror(errno));
	mine = dup(fd);
	if (mine < 0) {
		close(fd);
		return errf(err, errlen, "cannot open the EVE file %s: %s", path, strerror(errno));
	}
	if (eve_switch(e, mine, why, sizeof(why)) < 0) {
		close(fd);
		return errf(err, errlen, "%s", why);
	}
	if (sensor_ipc >= 0 && ipc_send_fd(sensor_ipc, IPC_EVE_FILE, NULL, 0, fd) < 0) {
		errf(err, errlen, "cannot hand the EVE file to the sensor: %s; it writes the old "
		     "file until it is restarted", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
