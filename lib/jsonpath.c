/*
 * jsonpath.c - see jsonpath.h. The body is parsed with jansson (its
 * nesting is bounded by jansson's own depth limit); the path is walked
 * one step at a time.
 */
#include "jsonpath.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errf.h"

struct step {
	const char *name;       /* a member's name, not terminated; NULL: an index */
	size_t len;
	size_t index;
};

/* Split path into steps; -1 with why when it is malformed. */
static int split(const char *path, struct step *st, int *n, char *why, size_t whylen)
{
	const char *p = path;

	*n = 0;
	if (strlen(path) >= JSONPATH_MAX)
		return errf(why, whylen, "a JSON path is at most %d bytes", JSONPATH_MAX - 1);
	if (*p == '\0')
		return errf(why, whylen, "an empty JSON path");
	for (;;) {
		if (*p != '[') {
			size_t k = strcspn(p, ".[]");

			if (k == 0)
				return errf(why, whylen, "a member name is missing at byte %zu of the "
					    "JSON path \"%s\"", (size_t)(p - path) + 1, path);
			if (*n >= JSONPATH_DEPTH)
				return errf(why, whylen, "a JSON path has at most %d steps",
					    JSONPATH_DEPTH);
			st[*n].name = p;
			st[*n].len = k;
			(*n)++;
			p += k;
		}
		while (*p == '[') {
			char *end;
			unsigned long v;

			if (p[1] < '0' || p[1] > '9')
				return errf(why, whylen, "expected an index such as [0] at byte %zu of "
					    "the JSON path \"%s\"", (size_t)(p - path) + 1, path);
			errno = 0;
			v = strtoul(p + 1, &end, 10);
			if (*end != ']' || errno != 0 || v > 1000000)
				return errf(why, whylen, "expected an index from 0 to 1000000 and ']' "
					    "at byte %zu of the JSON path \"%s\"",
					    (size_t)(p - path) + 1, path);
			if (*n >= JSONPATH_DEPTH)
				return errf(why, whylen, "a JSON path has at most %d steps",
					    JSONPATH_DEPTH);
			st[*n].name = NULL;
			st[*n].len = 0;
			st[*n].index = (size_t)v;
			(*n)++;
			p = end + 1;
		}
		if (*p == '\0')
			return 0;
		if (*p != '.' || p[1] == '\0')
			return errf(why, whylen, "unexpected '%c' at byte %zu of the JSON path \"%s\"",
				    *p, (size_t)(p - path) + 1, path);
		p++;
	}
}

int jsonpath_check(const char *path, char *why, size_t whylen)
{
	struct step st[JSONPATH_DEPTH];
	int n;

	return split(path, st, &n, why, whylen);
}

/* A number as text, in its shortest form that reads back the same. */
static void number_text(double d, char *out, size_t outlen)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, outlen, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* A scalar as text into out; -1 for an object or an array. */
static int scalar_text(const json_t *v, char *out, size_t outlen)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		/* whole: a NUL within it (\u0000) shown as any control byte is */
		size_t n = json_string_length(v), k = n < outlen - 1 ? n : outlen - 1;

		memcpy(out, json_string_value(v), k);
		for (size_t i = 0; i < k; i++)
			if (out[i] == '\0')
				out[i] = '?';
		out[k] = '\0';
		return 0;
	}
	case JSON_INTEGER:
		snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		number_text(json_real_value(v), out, outlen);
		return 0;
	case JSON_TRUE:
		snprintf(out, outlen, "true");
		return 0;
	case JSON_FALSE:
		snprintf(out, outlen, "false");
		return 0;
	case JSON_NULL:
		snprintf(out, outlen, "null");
		return 0;
	default:
		return -1;
	}
}

/* Text for the output: printable ASCII (other bytes as '?'), cut at 60 bytes. */
static void shown(const char *s, char *out, size_t outlen)
{
	size_t o = 0, n = strlen(s);

	for (size_t i = 0; i < n && o + 1 < outlen && o < 60; i++)
		out[o++] = (char)((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
	out[o] = '\0';
	if (n > 60 && outlen > 64)
		snprintf(out + o, outlen - o, "...");
}

int jsonpath_test(const char *body, size_t len, const char *path, enum jsonpath_op op,
		  const char *value, char *why, size_t whylen)
{
	struct step st[JSONPATH_DEPTH];
	json_error_t je;
	json_t *root, *v;
	char text[512], show[80];
	int n, rc;

	if (split(path, st, &n, why, whylen) < 0)
		return -1;
	root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (root == NULL)
		return errf(why, whylen, "the body is not JSON: %s (line %d, column %d)", je.text,
			    je.line, je.column);
	v = root;
	for (int i = 0; i < n; i++) {
		if (st[i].name != NULL) {
			char name[JSONPATH_MAX];

			memcpy(name, st[i].name, st[i].len);
			name[st[i].len] = '\0';
			v = json_is_object(v) ? json_object_get(v, name) : NULL;
			if (v == NULL) {
				rc = errf(why, whylen, "\"%s\": no member \"%s\"", path, name);
				goto out;
			}
		} else {
			if (!json_is_array(v) || st[i].index >= json_array_size(v)) {
				rc = errf(why, whylen, "\"%s\": no element [%zu]%s", path, st[i].index,
					  json_is_array(v) ? "" : " (not an array)");
				goto out;
			}
			v = json_array_get(v, st[i].index);
		}
	}
	if (scalar_text(v, text, sizeof(text)) < 0) {
		rc = errf(why, whylen, "\"%s\" is an %s, not a value", path,
			  json_is_object(v) ? "object" : "array");
		goto out;
	}
	shown(text, show, sizeof(show));
	if (op == JSONPATH_IS) {
		size_t vn = strlen(value);

		/* a string compared whole, not as far as a NUL or the text's size */
		if (json_is_string(v))
			rc = json_string_length(v) == vn &&
			     memcmp(json_string_value(v), value, vn) == 0 ? 0 : 1;
		else
			rc = strcmp(text, value) == 0 ? 0 : 1;
		errf(why, whylen, "\"%s\" is \"%s\"", path, show);
	} else if (op == JSONPATH_BELOW || op == JSONPATH_ABOVE) {
		double d = json_number_value(v), lim = strtod(value, NULL);

		if (!json_is_number(v)) {
			rc = errf(why, whylen, "\"%s\" is \"%s\", not a number", path, show);
			goto out;
		}
		rc = (op == JSONPATH_BELOW ? d < lim : d > lim) ? 0 : 1;
		errf(why, whylen, "\"%s\" is %s", path, show);
	} else {
		rc = errf(why, whylen, "no condition");
	}
out:
	json_decref(root);
	return rc;
}
