/*
 * apitokctl.h - `kastroctl api-token ...` on the console's control socket:
 * list the officers' API tokens (every user's, or one user's), make one for
 * a user (shown once; valid 90 days unless a ttl is given) and revoke one.
 * `kastroctl token` stays the sensors' enrolment tokens.
 *
 *   api-token list [USER]
 *   api-token create USER NAME [ttl SECONDS]
 *   api-token revoke USER NAME
 */
#ifndef KASTRO_APITOKCTL_H
#define KASTRO_APITOKCTL_H

#include <stddef.h>

struct console;

/* A control request split into n words w[]: 0 when it is not an
 * api-token request; else 1 with the answer ("ok..." or "error: ...") in
 * ans. */
int apitokctl(struct console *c, char **w, int n, char *ans, size_t anslen);

#endif
