/*
 * privs.h - give up privileges once the privileged resources are open.
 *
 * Open capture handles, sockets, keys and output files first, then call
 * privs_drop(): it switches to an unprivileged user (when running as root),
 * clears every capability from the effective, permitted, inheritable,
 * ambient and bounding sets, and sets no_new_privs, so nothing run later in
 * the process can gain them back.
 */
#ifndef KASTRO_PRIVS_H
#define KASTRO_PRIVS_H

#include <stddef.h>

/*
 * user: the account to run as when started as root. fallback: used instead
 * when user does not exist (NULL: a missing user is an error). Returns 0, or
 * -1 with a message in err.
 */
int privs_drop(const char *user, const char *fallback, char *err, size_t errlen);

#endif
