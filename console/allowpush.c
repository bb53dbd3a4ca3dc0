/*
 * allowpush.c - see allowpush.h.
 */
#include "allowpush.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cfg.h"
#include "errf.h"

static int has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

int allowpush_text(const char *name, const char *text, size_t len, char **args, size_t *nsha,
		   size_t *npaths, char *err, size_t errlen)
{
	json_t *sha = json_array(), *paths = json_array(), *o = NULL;
	const char *p = text, *end = text + len;
	unsigned line = 0;
	int rc = -1;

	*args = NULL;
	if (sha == NULL || paths == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char buf[PATH_MAX + 16], *s, *v;

		line++;
		if (n >= sizeof(buf)) {
			errf(err, errlen, "%s:%u: line longer than %zu bytes", name, line,
			     sizeof(buf) - 1);
			goto out;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p += n + (nl != NULL);
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		if (memchr(buf, '\0', n) != NULL) {
			errf(err, errlen, "%s:%u: NUL byte", name, line);
			goto out;
		}
		for (s = buf; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		v = s + strcspn(s, " \t");
		if (*v != '\0')
			*v++ = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(s, "sha256") == 0) {
			size_t vl = strcspn(v, " \t");

			if (vl != 64 || strspn(v, "0123456789abcdefABCDEF") != 64 || v[64] != '\0') {
				errf(err, errlen, "%s:%u: sha256 '%.70s': expected 64 hex digits as "
				     "sha256sum prints them", name, line, v);
				goto out;
			}
			for (int i = 0; i < 64; i++)
				v[i] = (char)tolower((unsigned char)v[i]);
			if (has(sha, v)) {
				errf(err, errlen, "%s:%u: sha256 %s given twice", name, line, v);
				goto out;
			}
			json_array_append_new(sha, json_string(v));
		} else if (strcmp(s, "path") == 0) {
			if (*v == '\0' || strchr("/*?[", *v) == NULL) {
				errf(err, errlen, "%s:%u: path '%.200s': expected a glob on full paths, "
				     "starting with '/' or '*'", name, line, v);
				goto out;
			}
			json_t *js = json_string(v);

			if (js == NULL) {
				errf(err, errlen, "%s:%u: path is not UTF-8", name, line);
				goto out;
			}
			if (has(paths, v)) {
				json_decref(js);
				errf(err, errlen, "%s:%u: path %.200s given twice", name, line, v);
				goto out;
			}
			json_array_append_new(paths, js);
		} else {
			errf(err, errlen, "%s:%u: unknown entry '%.40s', expected sha256 HEX or "
			     "path GLOB", name, line, s);
			goto out;
		}
	}
	o = json_pack("{s:O,s:O}", "sha256", sha, "paths", paths);
	*args = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (*args == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	if (strlen(*args) > ALLOWPUSH_MAX_BYTES) {
		errf(err, errlen, "%s: %zu entries make %zu bytes, more than the %u a command "
		     "carries: allow by fewer hashes, or by path", name,
		     json_array_size(sha) + json_array_size(paths), strlen(*args),
		     ALLOWPUSH_MAX_BYTES);
		free(*args);
		*args = NULL;
		goto out;
	}
	*nsha = json_array_size(sha);
	*npaths = json_array_size(paths);
	rc = 0;
out:
	json_decref(o);
	json_decref(sha);
	json_decref(paths);
	return rc;
}

int allowpush_file(const char *path, char **args, size_t *nsha, size_t *npaths, char *err,
		   size_t errlen)
{
	struct stat st;
	char why[128], *text;
	size_t len;
	int rc;

	*args = NULL;
	if (cfg_read_file(path, ALLOWPUSH_MAX_FILE, &text, &len, &st, why, sizeof(why)) < 0)
		return errf(err, errlen, "%s: %s", path, why);
	rc = allowpush_text(path, text, len, args, nsha, npaths, err, errlen);
	free(text);
	return rc;
}
