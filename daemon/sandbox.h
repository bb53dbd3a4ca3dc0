/*
 * sandbox.h - the seccomp filter of the packet process in inline mode.
 *
 * Applied after the sensor has dropped its privileges and set itself up
 * (nDPI's lists loaded, the flow table allocated), just before the first
 * packet: from then on it may only read and write the descriptors it holds
 * (the relay's packets, the parent's socket, the EVE output and the
 * console link's socket), poll, read the clock, manage its memory, take
 * signals and exit; a socket may be made only for syslog (AF_UNIX).
 * Opening a file fails (EACCES); any other system call kills the process
 * (the parent starts a new one).
 */
#ifndef KASTRO_SANDBOX_H
#define KASTRO_SANDBOX_H

#include <stddef.h>

/* 0, or -1 with err (libseccomp missing a call, or the kernel refusing). */
int sandbox_sensor(char *err, size_t errlen);

#endif
