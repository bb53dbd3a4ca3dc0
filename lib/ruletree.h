/*
 * ruletree.h - the files of a YARA rule tree, as kastro-agent compiles it
 * (agent/rules.h) and kastro-console bundles it (console/bundle.h).
 *
 * Public rule sets (Yara-Rules, YARA Forge, Elastic's, ReversingLabs') lay
 * their files out in subdirectories. A tree is every regular file named
 * *.yar or *.yara under the root, at any depth, named by its path relative
 * to the root with '/' between components ("backdoor/Win32.x.yara"), and
 * kept in byte order of those names: the same tree gives the same order and
 * the same version (rulehash.h over the relative names) on every host. For
 * a flat directory the names are the plain file names, as before.
 *
 * Names starting with '.' (files and directories) are skipped, as are
 * directory symlinks (never followed: no loops, nothing outside the root).
 * A file symlink is read when its target lies inside the root and refused
 * with an error naming it otherwise, so a tree never pulls in a file of
 * the host it does not hold.
 *
 * `include` is resolved by name, never by opening a path: the included
 * text must be a file of the tree (ruletree_include()), found lexically
 * from the including file's directory, so `..`, absolute paths and
 * symlinks cannot reach outside the root.
 *
 * Functions that can fail return -1 with a message in err and never log.
 */
#ifndef KASTRO_RULETREE_H
#define KASTRO_RULETREE_H

#include <stdbool.h>
#include <stddef.h>

#define RULETREE_MAX_DEPTH 32           /* directory levels below the root */
#define RULETREE_NAME_MAX  1024         /* bytes of a relative name, NUL included */

struct ruletree_file {
	char *name;                     /* relative to the root, '/'-separated */
	char *path;                     /* root/name, for messages */
	char *data;                     /* contents, NUL-terminated */
	size_t len;
};

struct ruletree {
	char *root;                     /* as given, without a trailing '/' */
	char *real;                     /* realpath of root */
	struct ruletree_file *f;        /* n files, sorted by name */
	size_t n;
	size_t bytes;                   /* of all files */
};

/*
 * Read the tree at dir: at most max_files files of max_bytes together.
 * An empty tree is an error. Returns 0, or -1 with err (and *t empty).
 */
int ruletree_load(const char *dir, size_t max_files, size_t max_bytes, struct ruletree *t,
		  char *err, size_t errlen);

/* Free what *t holds and leave it empty. */
void ruletree_free(struct ruletree *t);

/* The index of the file named name, or -1. */
long ruletree_find(const struct ruletree *t, const char *name);

/*
 * The file that `include "inc"` written in the file named from (a name of
 * the tree) means: inc relative to from's directory, or an absolute path
 * under the root (as given or its real path), with "." and ".." taken
 * lexically. Returns its index, or -1 with err: outside the root, or not a
 * rule file of the tree.
 */
long ruletree_include(const struct ruletree *t, const char *from, const char *inc, char *err,
		      size_t errlen);

/*
 * True when name is a good relative name for a bundle: 5..RULETREE_NAME_MAX-1
 * bytes, ending in .yar or .yara, components not empty, not starting with
 * '.', no control characters, no leading '/', no backslash.
 */
bool ruletree_name_ok(const char *name);

#endif
