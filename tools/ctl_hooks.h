/*
 * ctl_hooks.h - `kastroctl hooks ...`, the console's alert hooks
 * (ctl_hooks.c).
 */
#ifndef KASTRO_CTL_HOOKS_H
#define KASTRO_CTL_HOOKS_H

/*
 * Run `hooks` with its argc arguments (after the word "hooks") against the
 * console's control socket at path. Returns the exit status: for `hooks
 * test`, 0 the receiver accepted the test alert, 1 it refused or could not
 * be reached, 2 any other error; for the others 0 or 1 as every command,
 * 2 on a usage error.
 */
int ctl_hooks(const char *path, int argc, char **argv);

#endif
