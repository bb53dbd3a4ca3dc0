/*
 * hookctl.h - the hooks in the console process: the outbox started and
 * stopped with the console, and the control socket's `hooks` requests
 * (hookctl.c has the list).
 */
#ifndef KASTRO_HOOKCTL_H
#define KASTRO_HOOKCTL_H

#include <stddef.h>

struct console;

/* After the store is open: start the outbox and its workers for c->conf's hooks. */
int hookctl_start(struct console *c, const char *db_path, char *err, size_t errlen);
/* Stop the workers; before the store closes. */
void hookctl_stop(struct console *c);

/* A control request whose first word is "hooks" (w[0..n-1]). */
void hookctl_request(struct console *c, char **w, int n, char *ans, size_t anslen);

/* Each second: a hook that dropped deliveries at its cap raises (or counts on) its alert. */
void hookctl_tick(struct console *c);

/* Lines for `kastroctl console status`, each starting with a newline. */
void hookctl_status(struct console *c, char *out, size_t len);

#endif
