/*
 * rules.h - a compiled set of YARA rules for the endpoint agent's scans.
 *
 * A set is compiled once from a rule tree (ruletree.h: every regular file
 * named *.yar or *.yara under a directory, at any depth, compiled in byte
 * order of their names relative to it) or from one file, and is then
 * shared by every scanning thread. All files go into YARA's "default"
 * namespace, as the yara command line puts every RULES_FILE not written
 * NAMESPACE:FILE; so a rule name defined twice in a set is a compile
 * error, and a rule of one file can use a rule of an earlier one.
 *
 * Five external string variables are declared, empty by default, and set
 * per file by the scanner (scan.h): filename, filepath, extension,
 * filetype, owner (the ones rule sets written for LOKI and THOR, like
 * signature-base, use). `include` takes a file of the tree, relative to
 * the including file (index files of public sets); anything outside the
 * root, through "..", an absolute path or a symlink, or a file that is not
 * a rule file of the tree, is refused with an error that names it. Each
 * file is compiled once: a file an index includes is not compiled again
 * at the top level, and a second include of it gives nothing. A set given
 * as one file is a tree of that file alone: its includes are refused
 * (give its directory instead).
 *
 * The version of a set is the lowercase hex SHA-256 over, for each file in
 * name order, its name (relative to the directory), a NUL byte, its length
 * as 8 bytes little-endian and its contents; the same files give the same
 * version on every host. It keys the scan cache (scache.h).
 *
 * A set is reference counted: the loader holds one reference, every scan
 * in progress another, so a new set can replace the one in use while scans
 * finish with theirs (rules_ref() / rules_unref(); the last unref frees).
 * A set that fails to compile is never returned, so the caller keeps
 * using its current one. rules_ref/rules_unref are thread-safe; loading
 * may run in any thread, also while other sets are in use.
 *
 * Functions that can fail return NULL or -1 with a message in err and never
 * log.
 */
#ifndef KASTRO_RULES_H
#define KASTRO_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "rulehash.h"

#define RULES_VERSION_LEN RULEHASH_LEN  /* hex digits of the version, without NUL */
#define RULES_MAX_FILES   100000  /* rule files in one tree */
#define RULES_MAX_BYTES   (256u << 20)  /* bytes of a tree's rule files together */
#define RULES_MAX_WARNINGS 64     /* warning texts kept (all are counted) */

/* The external variables every set declares, in this order. */
extern const char *const rules_externals[5];

struct rules;
/* YR_RULES, without making every user of this header include yara.h. */
struct YR_RULES;

/*
 * Compile the rules at path: a directory (its tree of *.yar and *.yara
 * files) or a single file of any name. A tree without rule files is an error. Compile errors
 * name file:line, the rule when YARA knows it, and YARA's message, e.g.
 * "rules/a.yar:12: rule x: undefined identifier \"foo\"" (the first error;
 * the count of more follows). Warnings are not errors: they are counted and
 * the first RULES_MAX_WARNINGS kept (rules_warning()).
 * Returns a set holding one reference, or NULL with a message in err.
 */
struct rules *rules_load(const char *path, char *err, size_t errlen);

/* Another reference to r (returns r). */
struct rules *rules_ref(struct rules *r);
/* Drop a reference; the last one frees the set. NULL is fine. */
void rules_unref(struct rules *r);

/* 64 lowercase hex digits; valid while the reference is held. */
const char *rules_version(const struct rules *r);
/* The compiled rules for yr_scanner_create() and friends. */
struct YR_RULES *rules_yara(const struct rules *r);
/* Number of rules (private and global ones included), and of files. */
unsigned rules_count(const struct rules *r);
unsigned rules_files(const struct rules *r);
/* Warnings seen while compiling, and the text of warning i (NULL past the
 * kept ones): "file:line: rule x: message". */
unsigned rules_warnings(const struct rules *r);
const char *rules_warning(const struct rules *r, unsigned i);

#endif
