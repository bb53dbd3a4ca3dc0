/*
 * testfs.h - file-system helpers shared by the unit tests (linked into
 * every test binary).
 */
#ifndef KASTRO_TESTFS_H
#define KASTRO_TESTFS_H

/* Remove dir and everything below it, never following symbolic links.
 * Returns 0, or -1 when something could not be removed. */
int testfs_rm_tree(const char *dir);

#endif
