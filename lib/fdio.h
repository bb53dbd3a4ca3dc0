/*
 * fdio.h - whole reads and writes on a file descriptor: read(2) and
 * write(2) may move less than they are asked to (a signal, a pipe); these
 * go on until all is moved (or a read meets the end of the file).
 */
#ifndef KASTRO_FDIO_H
#define KASTRO_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write n bytes at p to fd, again after EINTR and short writes; 0, or -1
 * with errno (EIO when write(2) wrote nothing). */
int fdio_write_all(int fd, const void *p, size_t n);

/* Read from fd into buf until end of file or cap bytes, again after EINTR
 * and short reads; the bytes read (cap: maybe more are left), or -1 with
 * errno. */
ssize_t fdio_read_upto(int fd, void *buf, size_t cap);

#endif
