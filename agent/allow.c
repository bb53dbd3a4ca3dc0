/*
 * allow.c - see allow.h. Hashes are kept sorted for a binary search (a
 * list of 100,000 costs 6.5 MB and 17 comparisons a lookup); globs are
 * few and tried in turn.
 */
#include "allow.h"

#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errf.h"

struct allow {
	char (*sha)[65];
	size_t nsha;
	char **paths;
	size_t npaths;
};

static int good_sha(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

static int good_glob(const char *s)
{
	return s[0] != '\0' && strchr("/*?[", s[0]) != NULL && strlen(s) < PATH_MAX;
}

/* The arrays of the console's args; -1 with err. Either may be NULL. */
static int arrays(json_t *j, json_t **sha, json_t **paths, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(j))
		return errf(err, errlen, "allow: expected an object {\"sha256\": [...], \"paths\": "
			    "[...]}");
	json_object_foreach(j, key, v)
		if (strcmp(key, "sha256") != 0 && strcmp(key, "paths") != 0)
			return errf(err, errlen, "allow: unknown member \"%.40s\", expected sha256 "
				    "or paths", key);
	*sha = json_object_get(j, "sha256");
	*paths = json_object_get(j, "paths");
	if (*sha && (!json_is_array(*sha) || json_array_size(*sha) > ALLOW_MAX_SHA256))
		return errf(err, errlen, "allow: sha256: expected an array of at most %d hashes",
			    ALLOW_MAX_SHA256);
	if (*paths && (!json_is_array(*paths) || json_array_size(*paths) > ALLOW_MAX_PATHS))
		return errf(err, errlen, "allow: paths: expected an array of at most %d globs",
			    ALLOW_MAX_PATHS);
	json_array_foreach(*sha, i, v)
		if (!json_is_string(v) || !good_sha(json_string_value(v)))
			return errf(err, errlen, "allow: sha256[%zu]: expected 64 hex digits", i);
	json_array_foreach(*paths, i, v)
		if (!json_is_string(v) || !good_glob(json_string_value(v)))
			return errf(err, errlen, "allow: paths[%zu]: expected a glob starting with "
				    "'/', '*', '?' or '[', shorter than %d bytes", i, PATH_MAX);
	return 0;
}

static json_t *load(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len > ALLOW_MAX_TEXT) {
		errf(err, errlen, "allow: longer than %u bytes", ALLOW_MAX_TEXT);
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		errf(err, errlen, "allow: not JSON: %s", je.text);
	return j;
}

int allow_parse(const char *text, size_t len, size_t *nsha, size_t *npaths, char *err,
		size_t errlen)
{
	json_t *j = load(text, len, err, errlen), *sha, *paths;
	int rc;

	if (j == NULL)
		return -1;
	rc = arrays(j, &sha, &paths, err, errlen);
	if (rc == 0) {
		*nsha = json_array_size(sha);
		*npaths = json_array_size(paths);
	}
	json_decref(j);
	return rc;
}

static int by_hash(const void *a, const void *b)
{
	return memcmp(a, b, 65);
}

static int add_sha(struct allow *a, const char *s)
{
	for (int i = 0; i < 64; i++)
		a->sha[a->nsha][i] = (char)tolower((unsigned char)s[i]);
	a->sha[a->nsha][64] = '\0';
	a->nsha++;
	return 0;
}

static int add_path(struct allow *a, const char *s)
{
	a->paths[a->npaths] = strdup(s);
	if (a->paths[a->npaths] == NULL)
		return -1;
	a->npaths++;
	return 0;
}

struct allow *allow_new(const struct agent_conf *c, const char *pushed, size_t len, char *err,
			size_t errlen)
{
	json_t *j = NULL, *sha = NULL, *paths = NULL, *v;
	struct allow *a = calloc(1, sizeof(*a));
	size_t i, ns, np;

	if (a == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (pushed != NULL) {
		j = load(pushed, len, err, errlen);
		if (j == NULL || arrays(j, &sha, &paths, err, errlen) < 0)
			goto fail;
	}
	ns = (size_t)c->allow_sha256.n + json_array_size(sha);
	np = (size_t)c->allow_paths.n + json_array_size(paths);
	a->sha = calloc(ns ? ns : 1, sizeof(*a->sha));
	a->paths = calloc(np ? np : 1, sizeof(*a->paths));
	if (a->sha == NULL || a->paths == NULL)
		goto oom;
	for (int k = 0; k < c->allow_sha256.n; k++)
		add_sha(a, c->allow_sha256.v[k]);
	json_array_foreach(sha, i, v)
		add_sha(a, json_string_value(v));
	for (int k = 0; k < c->allow_paths.n; k++)
		if (add_path(a, c->allow_paths.v[k]) < 0)
			goto oom;
	json_array_foreach(paths, i, v)
		if (add_path(a, json_string_value(v)) < 0)
			goto oom;
	qsort(a->sha, a->nsha, sizeof(*a->sha), by_hash);
	json_decref(j);
	return a;
oom:
	errf(err, errlen, "out of memory");
fail:
	json_decref(j);
	allow_free(a);
	return NULL;
}

void allow_free(struct allow *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->npaths; i++)
		free(a->paths[i]);
	free(a->paths);
	free(a->sha);
	free(a);
}

const char *allow_match(const struct allow *a, const char *path, const char *sha256)
{
	if (a == NULL)
		return NULL;
	if (sha256 != NULL && strlen(sha256) == 64 && a->nsha > 0) {
		char key[65];

		memcpy(key, sha256, 65);
		if (bsearch(key, a->sha, a->nsha, sizeof(*a->sha), by_hash) != NULL)
			return "sha256";
	}
	for (size_t i = 0; i < a->npaths; i++)
		if (fnmatch(a->paths[i], path, 0) == 0)
			return "path";
	return NULL;
}

size_t allow_count_sha256(const struct allow *a)
{
	return a ? a->nsha : 0;
}

size_t allow_count_paths(const struct allow *a)
{
	return a ? a->npaths : 0;
}
