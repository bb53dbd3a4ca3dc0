/*
 * policy_names.c - see policy_names.h.
 *
 * The list comes from nDPI itself, not from a copy: a detection module is
 * built, asked for every protocol and category name, and torn down before
 * returning (so nDPI's process-wide allocator hooks, which dpi.c may set,
 * see balanced allocations). Building one takes about 20 ms; the list for
 * nDPI without a custom protocols file never changes in a process, so it is
 * built once and kept (that one pointer is the file's only global state,
 * written once, by the thread that loads configurations).
 */
#include "textdist.h"
#include "policy_names.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi_api.h>

#define SUGGEST_MAX 8

struct pol_names {
	char **names[3];        /* per kind, indexed by id; NULL or "" = none */
	size_t count[3];
};

static struct pol_names *builtin;   /* nDPI without custom protocols */

void pol_names_free(struct pol_names *n)
{
	size_t k, i;

	if (n == NULL || n == builtin)
		return;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < n->count[k]; i++)
			free(n->names[k][i]);
		free(n->names[k]);
	}
	free(n);
}

static int fill(struct pol_names *n, int kind, size_t count,
		const char *(*get)(struct ndpi_detection_module_struct *, size_t),
		struct ndpi_detection_module_struct *mod)
{
	size_t i;

	n->names[kind] = calloc(count, sizeof(char *));
	if (n->names[kind] == NULL)
		return -1;
	n->count[kind] = count;
	for (i = 0; i < count; i++) {
		const char *s = get(mod, i);

		n->names[kind][i] = strdup(s != NULL ? s : "");
		if (n->names[kind][i] == NULL)
			return -1;
	}
	return 0;
}

static const char *get_proto(struct ndpi_detection_module_struct *m, size_t i)
{
	return ndpi_get_proto_name(m, (u_int16_t)i);
}

static const char *get_cat(struct ndpi_detection_module_struct *m, size_t i)
{
	const char *s = ndpi_category_get_name(m, (ndpi_protocol_category_t)i);

	/* nDPI answers an empty or placeholder name for unused ids */
	return s != NULL && isalpha((unsigned char)s[0]) ? s : "";
}

static const char *get_risk(struct ndpi_detection_module_struct *m, size_t i)
{
	(void)m;
	return i == 0 ? "" : ndpi_risk2str((ndpi_risk_enum)i);
}

struct pol_names *pol_names_new(const char *protocols_path, char *err, size_t errlen)
{
	struct ndpi_detection_module_struct *mod;
	NDPI_PROTOCOL_BITMASK all;
	struct pol_names *n;
	bool custom = protocols_path != NULL && protocols_path[0] != '\0';
	FILE *f;

	if (!custom && builtin != NULL)
		return builtin;
	if (custom) {
		/* nDPI says only -1 when it cannot open the file; say why */
		f = fopen(protocols_path, "r");
		if (f == NULL) {
			snprintf(err, errlen, "cannot read the nDPI protocols file %s to "
				 "check application names: %s", protocols_path, strerror(errno));
			return NULL;
		}
		fclose(f);
	}
	n = calloc(1, sizeof(*n));
	mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (n == NULL || mod == NULL) {
		snprintf(err, errlen, "cannot build an nDPI module to check application names");
		free(n);
		if (mod != NULL)
			ndpi_exit_detection_module(mod);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(mod, &all);
	if (custom && ndpi_load_protocols_file(mod, (char *)protocols_path) < 0) {
		snprintf(err, errlen, "nDPI could not load the protocols file %s", protocols_path);
		goto fail;
	}
	if (fill(n, POL_NAMES_APP, ndpi_get_num_supported_protocols(mod), get_proto, mod) < 0 ||
	    fill(n, POL_NAMES_CATEGORY, NDPI_PROTOCOL_NUM_CATEGORIES, get_cat, mod) < 0 ||
	    fill(n, POL_NAMES_RISK, NDPI_MAX_RISK, get_risk, mod) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ndpi_exit_detection_module(mod);
	if (!custom)
		builtin = n;
	return n;
fail:
	ndpi_exit_detection_module(mod);
	pol_names_free(n);
	return NULL;
}

int pol_names_find(const struct pol_names *n, enum pol_names_kind kind,
		   const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n->count[kind]; i++) {
		const char *s = n->names[kind][i];

		if (s[0] != '\0' && strlen(s) == len && strncasecmp(s, name, len) == 0)
			return (int)i;
	}
	return -1;
}

const char *pol_names_name(const struct pol_names *n, enum pol_names_kind kind, int id)
{
	if (id < 0 || (size_t)id >= n->count[kind])
		return "";
	return n->names[kind][id];
}

/* Does name contain w, both lower-cased with only letters and digits kept? */
static bool loose_contains(const char *name, const char *w, size_t wn)
{
	char a[128], b[128];
	size_t i, na = 0, nb = 0;

	for (i = 0; name[i] != '\0' && na + 1 < sizeof(a); i++)
		if (isalnum((unsigned char)name[i]))
			a[na++] = (char)tolower((unsigned char)name[i]);
	a[na] = '\0';
	for (i = 0; i < wn && nb + 1 < sizeof(b); i++)
		if (isalnum((unsigned char)w[i]))
			b[nb++] = (char)tolower((unsigned char)w[i]);
	b[nb] = '\0';
	return nb >= 4 && strstr(a, b) != NULL;
}

void pol_names_suggest(const struct pol_names *n, enum pol_names_kind kind,
		       const char *name, size_t len, char *out, size_t outlen)
{
	size_t i, k = 0, used = 0, limit = len / 3 > 0 ? len / 3 : 1;
	size_t d;

	if (outlen == 0)
		return;
	out[0] = '\0';
	/* two passes: by distance 0..limit, then prefixes */
	for (d = 0; d <= limit + 1 && k < SUGGEST_MAX; d++) {
		for (i = 0; i < n->count[kind] && k < SUGGEST_MAX; i++) {
			const char *s = n->names[kind][i];
			bool hit;
			int w;

			if (s[0] == '\0')
				continue;
			if (d <= limit)
				hit = textdist(name, len, s, true) == d;
			else
				hit = textdist(name, len, s, true) > limit &&
				      ((len >= 3 && strlen(s) > len &&
					strncasecmp(s, name, len) == 0) ||
				       loose_contains(s, name, len));
			if (!hit)
				continue;
			w = snprintf(out + used, outlen - used, "%s%s", k > 0 ? ", " : "", s);
			if (w < 0 || (size_t)w >= outlen - used)
				return;
			used += (size_t)w;
			k++;
		}
	}
}
