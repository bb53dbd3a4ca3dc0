/*
 * fdio.h - whole writes to a file descriptor: write(2) may write less than
 * it is asked to (a signal, a full pipe); this writes it all.
 */
#ifndef KASTRO_FDIO_H
#define KASTRO_FDIO_H

#include <stddef.h>

/* Write n bytes at p to fd, again after EINTR and short writes; 0, or -1
 * with errno (EIO when write(2) wrote nothing). */
int fdio_write_all(int fd, const void *p, size_t n);

#endif
