/*
 * invstore.h - the parent's side of an inventory push (linkinv.h): read
 * the text the link passed in a descriptor, keep it as the candidate next
 * to the last good copy, and make it the copy once the policy loaded with
 * it. Files are written whole (temporary file, fsync, rename, fsync of the
 * directory), mode 0640.
 */
#ifndef KASTRO_INVSTORE_H
#define KASTRO_INVSTORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the size bytes of text in fd (at most INV_SRC_MAX) and check they
 * hash to sha256 (hex). *out (to free) and *len; 0, or -1 with err.
 */
int invstore_read_fd(int fd, uint64_t size, const char *sha256, char **out, size_t *len,
		     char *err, size_t errlen);

/* Write len bytes to path atomically, mode 0640. 0, or -1 with err. */
int invstore_write(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* rename(from, to) and make it durable. 0, or -1 with err. */
int invstore_commit(const char *from, const char *to, char *err, size_t errlen);

#endif
