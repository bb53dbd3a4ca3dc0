/*
 * everotate.h - the EVE file opened again after log rotation (kastroctl
 * reopen, SIGUSR2), in kastrod's privileged parent.
 *
 * The sensor writes EVE but runs without privileges and may no longer open
 * files (its user, its system call filter), so the parent opens the file
 * at the configured path again and hands the descriptor to the sensor over
 * their IPC socket (IPC_EVE_FILE, SCM_RIGHTS). The sensor flushes what it
 * buffered into the old file and then writes to the new one (eve_switch):
 * no line is lost or split between the two. The parent's own copy of the
 * stream switches too, so a sensor started later writes the new file.
 */
#ifndef KASTRO_EVEROTATE_H
#define KASTRO_EVEROTATE_H

#include <stddef.h>

#include "eve.h"

/*
 * Open path again (append, create with mode 0666 less the umask, as at
 * start), switch e (the parent's stream) to it and send it to the sensor on
 * sensor_ipc (-1: no sensor runs now). Returns 0; -1 with err set when the
 * file cannot be opened (nothing changes: the old file stays in use) or the
 * sensor could not be told (it keeps the old file until it is restarted).
 */
int everotate_hand(struct eve *e, const char *path, int sensor_ipc, char *err, size_t errlen);

#endif
