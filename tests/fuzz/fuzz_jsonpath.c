/*
 * fuzz_jsonpath.c - libFuzzer target: a JSON field condition
 * (lib/jsonpath.c's jsonpath_test()) on arbitrary paths and bodies.
 *
 * Input: one byte for the condition (is, below, above), the path up to a
 * newline, the value up to a newline, then the body. Checks that neither
 * the path nor the body crashes it or makes it read past the input, that
 * it answers -1, 0 or 1, that a path jsonpath_check() refuses is refused
 * here too, and that the reason is terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[JSONPATH_MAX + 8], value[300], why[300], cwhy[300];
	const uint8_t *p, *e;
	enum jsonpath_op op;
	size_t n;
	char *body;
	int rc;

	if (size < 1)
		return 0;
	op = (enum jsonpath_op)(JSONPATH_IS + data[0] % 3);
	p = data + 1;
	e = memchr(p, '\n', size - 1);
	if (e == NULL)
		return 0;
	n = (size_t)(e - p);
	if (n >= sizeof(path))
		return 0;
	memcpy(path, p, n);
	path[n] = '\0';
	p = e + 1;
	e = memchr(p, '\n', size - (size_t)(p - data));
	if (e == NULL)
		return 0;
	n = (size_t)(e - p);
	if (n >= sizeof(value))
		return 0;
	memcpy(value, p, n);
	value[n] = '\0';
	p = e + 1;
	n = size - (size_t)(p - data);
	/* an exact-size copy, so a read past the end is caught */
	body = malloc(n > 0 ? n : 1);
	if (body == NULL)
		return 0;
	memcpy(body, p, n);
	rc = jsonpath_test(body, n, path, op, value, why, sizeof(why));
	check(rc >= -1 && rc <= 1);
	check(strnlen(why, sizeof(why)) < sizeof(why));
	if (jsonpath_check(path, cwhy, sizeof(cwhy)) < 0)
		check(rc == -1 && strcmp(why, cwhy) == 0);
	free(body);
	return 0;
}
