/*
 * policy_names.h - the names a policy may use for nDPI's applications,
 * categories and risks, with close matches for the ones it does not know.
 * Internal to the policy parser (policy.c).
 */
#ifndef KASTRO_POLICY_NAMES_H
#define KASTRO_POLICY_NAMES_H

#include <stddef.h>
#include <stdint.h>

enum pol_names_kind { POL_NAMES_APP, POL_NAMES_CATEGORY, POL_NAMES_RISK };

struct pol_names;

/*
 * The names of nDPI 4.2 as a detection module knows them after loading the
 * custom protocols file at protocols_path ("" for none), so that custom
 * protocol names are valid and get the ids the daemon's module gives them.
 * NULL on error, with a message in err. Free with pol_names_free().
 */
struct pol_names *pol_names_new(const char *protocols_path, char *err, size_t errlen);
void pol_names_free(struct pol_names *n);

/* The id of name (len bytes; case does not matter), or -1. */
int pol_names_find(const struct pol_names *n, enum pol_names_kind kind,
		   const char *name, size_t len);
/* nDPI's spelling of id, "" when unknown. */
const char *pol_names_name(const struct pol_names *n, enum pol_names_kind kind, int id);
/*
 * Close matches of an unknown name, "A, B, C" (at most 8): names within a
 * small edit distance (case ignored), that start with it, or that hold it
 * when case, spaces and punctuation are ignored. "" if none.
 */
void pol_names_suggest(const struct pol_names *n, enum pol_names_kind kind,
		       const char *name, size_t len, char *out, size_t outlen);

#endif
