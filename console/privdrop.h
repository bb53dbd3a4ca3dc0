/*
 * privdrop.h - the console gives up root once its listeners, keys and
 * database are open: it runs as its own user (console.conf `user`), with
 * no capabilities (bounding set cleared too), no new privileges, and a
 * seccomp filter refusing what a console never does (exec, ptrace,
 * mounts, module and key syscalls, changing its ids again). The thread
 * that parses sensors' JSON batches gets a stricter filter of its own:
 * memory, its futexes and a write to its wake-up pipe, nothing else.
 */
#ifndef KASTRO_PRIVDROP_H
#define KASTRO_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * As root: look user up, give it the data directory and what the console
 * writes there (the database and its -wal/-shm, the bundles; the *.key
 * files stay root's: they are read before the drop), then change to the
 * user (and its group, no others) and clear every capability, set
 * no-new-privileges and load the process filter. Not root: the ids stay,
 * the capabilities are cleared and the filter loaded all the same.
 * 0, or -1 with err (an unknown user says how to create it).
 */
int privdrop_console(const char *user, const char *data_dir, bool allow_exec, char *err,
		     size_t errlen);

/* In the calling thread only: the parser's filter; wake_fd is the only fd
 * it may write to (and stderr, for sanitizer reports). 0, or -1 with err. */
int privdrop_parser_thread(int wake_fd, char *err, size_t errlen);

#endif
