/*
 * jsonpath.h - a condition on one field of a JSON document, for the
 * services inventory's `check https ... json "status.database" is "up"`.
 *
 * A path is member names separated by '.', each optionally followed by
 * array indexes `[N]`, or starting with one: "status.database",
 * "checks[0].status", "[2].name". A member whose name holds '.', '[' or
 * ']' cannot be named. The field is compared as text (`is`: a string as
 * it is, a number as written in its shortest form, true, false, null) or
 * as a number (`below`, `above`). Neither function logs.
 */
#ifndef KASTRO_JSONPATH_H
#define KASTRO_JSONPATH_H

#include <stddef.h>

#define JSONPATH_MAX   256      /* bytes of a path, NUL included */
#define JSONPATH_DEPTH 32       /* names and indexes in a path */

enum jsonpath_op { JSONPATH_NONE, JSONPATH_IS, JSONPATH_BELOW, JSONPATH_ABOVE };

/* Is path well formed? 0, or -1 with why. */
int jsonpath_check(const char *path, char *why, size_t whylen);

/*
 * Test the field at path of the JSON document body[0..len) against
 * value with op. Returns 0 when the condition holds (why: the field's
 * value), 1 when it does not (why: what the field holds), -1 when the body
 * is not JSON, the field is missing or is not a value the op can compare
 * (why: which).
 */
int jsonpath_test(const char *body, size_t len, const char *path, enum jsonpath_op op,
		  const char *value, char *why, size_t whylen);

#endif
