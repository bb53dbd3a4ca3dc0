/*
 * agentcmd.c - see agentcmd.h.
 */
#include "agentcmd.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static bool is_hex64(const char *s)
{
	if (strlen(s) != AGENTCMD_VERSION_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* An absolute path of printable bytes, no "." or ".." component. */
static bool good_path(const char *p)
{
	size_t n = strlen(p);

	if (n < 1 || n >= PATH_MAX || p[0] != '/')
		return false;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	for (const char *c = p; c; c = strchr(c + 1, '/')) {
		if (strncmp(c, "/./", 3) == 0 || strncmp(c, "/../", 4) == 0 ||
		    strcmp(c, "/.") == 0 || strcmp(c, "/..") == 0)
			return false;
	}
	return true;
}

int agentcmd_scan_args(json_t *args, struct agentcmd_scan *out, char *err, size_t errlen)
{
	json_t *paths, *v;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->cpu = -1;
	if (!args)
		return 0;
	if (!json_is_object(args)) {
		snprintf(err, errlen, "scan: args: expected an object");
		return -1;
	}
	v = json_object_get(args, "cpu");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > AGENTCMD_SCAN_CPU_MAX) {
			snprintf(err, errlen, "scan: cpu: expected a ceiling in %% of one core, "
				 "0 (none) to %d", AGENTCMD_SCAN_CPU_MAX);
			return -1;
		}
		out->cpu = (int)json_integer_value(v);
	}
	paths = json_object_get(args, "paths");
	if (!paths)
		return 0;
	if (!json_is_array(paths) || json_array_size(paths) > AGENTCMD_SCAN_PATHS) {
		snprintf(err, errlen, "scan: paths: expected an array of at most %d absolute paths",
			 AGENTCMD_SCAN_PATHS);
		return -1;
	}
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);

		if (!p || !good_path(p)) {
			snprintf(err, errlen, "scan: paths[%zu]: expected an absolute path without "
				 "\".\" or \"..\"", i);
			return -1;
		}
		out->paths[out->n++] = p;
	}
	return 0;
}

int agentcmd_rules_args(json_t *args, char *out, char *err, size_t errlen)
{
	const char *v = json_string_value(json_object_get(args, "version"));

	if (!v || !is_hex64(v)) {
		snprintf(err, errlen, "rules: version: expected 64 lowercase hex digits");
		return -1;
	}
	memcpy(out, v, AGENTCMD_VERSION_LEN + 1);
	return 0;
}

/* Base64 (no white space) into a malloc'd buffer; -1 when malformed. */
static int unbase64(const char *in, size_t n, char **out, size_t *len)
{
	unsigned char *b;
	int r;
	size_t pad = 0;

	if (n % 4 != 0 || strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789+/=") != n)
		return -1;
	if (n > 0 && in[n - 1] == '=')
		pad++;
	if (n > 1 && in[n - 2] == '=')
		pad++;
	if (memchr(in, '=', n - pad) != NULL)
		return -1;
	b = malloc(n / 4 * 3 + 1);
	if (!b)
		return -1;
	r = n ? EVP_DecodeBlock(b, (const unsigned char *)in, (int)n) : 0;
	if (r < 0 || (size_t)r < pad) {
		free(b);
		return -1;
	}
	*len = (size_t)r - pad;
	b[*len] = '\0';
	*out = (char *)b;
	return 0;
}

int agentcmd_quarantine_args(json_t *args, struct agentcmd_quarantine *out, char *err,
			     size_t errlen)
{
	const char *action = json_string_value(json_object_get(args, "action"));
	const char *id = json_string_value(json_object_get(args, "id"));
	json_t *from = json_object_get(args, "from");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(args) || action == NULL) {
		snprintf(err, errlen, "quarantine: args: expected {\"action\": list, restore or "
			 "delete}");
		return -1;
	}
	if (strcmp(action, "list") == 0) {
		if (from != NULL && (!json_is_integer(from) || json_integer_value(from) < 0)) {
			snprintf(err, errlen, "quarantine list: from: expected a number of items");
			return -1;
		}
		out->action = AGENTCMD_Q_LIST;
		out->from = from ? (uint64_t)json_integer_value(from) : 0;
		return 0;
	}
	if (strcmp(action, "restore") != 0 && strcmp(action, "delete") != 0) {
		snprintf(err, errlen, "quarantine: action: expected list, restore or delete");
		return -1;
	}
	if (id == NULL || strlen(id) != 18 || strncmp(id, "q-", 2) != 0 ||
	    strspn(id + 2, "0123456789abcdef") != 16) {
		snprintf(err, errlen, "quarantine %s: id: expected q- and 16 hex digits", action);
		return -1;
	}
	out->action = strcmp(action, "restore") == 0 ? AGENTCMD_Q_RESTORE : AGENTCMD_Q_DELETE;
	memcpy(out->id, id, 19);
	return 0;
}

void agentcmd_bundle_free(struct agentcmd_file *files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		free(files[i].data);
	free(files);
}

int agentcmd_bundle(const char *body, size_t len, const char *want,
		    struct agentcmd_file **files, size_t *n, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *arr, *f;
	struct agentcmd_file *out = NULL;
	const char *v;
	size_t i;

	*files = NULL;
	*n = 0;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "bundle: not JSON: %s", je.text);
		return -1;
	}
	v = json_string_value(json_object_get(j, "version"));
	arr = json_object_get(j, "files");
	if (!json_is_object(j) || !v || strcmp(v, want) != 0) {
		snprintf(err, errlen, "bundle: not version %s", want);
		goto fail;
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > AGENTCMD_BUNDLE_FILES) {
		snprintf(err, errlen, "bundle: files: expected 1 to %d files", AGENTCMD_BUNDLE_FILES);
		goto fail;
	}
	out = calloc(json_array_size(arr), sizeof(*out));
	if (!out) {
		snprintf(err, errlen, "bundle: out of memory");
		goto fail;
	}
	json_array_foreach(arr, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *data = json_string_value(json_object_get(f, "data_b64"));

		if (!name || !ruletree_name_ok(name)) {
			snprintf(err, errlen, "bundle: files[%zu]: name: expected a relative name "
				 "ending in .yar or .yara, without '.' components", i);
			goto fail;
		}
		if (i > 0 && strcmp(out[i - 1].name, name) >= 0) {
			snprintf(err, errlen, "bundle: files[%zu]: \"%s\" out of order or repeated", i,
				 name);
			goto fail;
		}
		memcpy(out[i].name, name, strlen(name) + 1);
		if (!data || unbase64(data, strlen(data), &out[i].data, &out[i].len) < 0) {
			snprintf(err, errlen, "bundle: files[%zu] (%s): data_b64: expected base64", i,
				 name);
			goto fail;
		}
	}
	*files = out;
	*n = json_array_size(arr);
	json_decref(j);
	return 0;
fail:
	agentcmd_bundle_free(out, out ? json_array_size(arr) : 0);
	json_decref(j);
	return -1;
}
