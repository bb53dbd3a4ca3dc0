/*
 * bkrun.h - run one backup tool (restic, borg) for the agent's backup
 * checks: fork and exec, no shell; a clean environment the caller gives
 * in full; stdout kept up to a cap, the tail of stderr for the message; a
 * timeout after which the tool's whole process group is killed; and what
 * the run cost (wall time, CPU, bytes read and written from
 * /proc/PID/io, read before the child is reaped).
 *
 * A descriptor may be handed to the child as fd 3 (borg's
 * BORG_PASSPHRASE_FD); everything else the agent holds is closed in it.
 */
#ifndef KASTRO_BKRUN_H
#define KASTRO_BKRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BKRUN_ERR_TAIL 512           /* bytes of stderr kept, the last ones */

struct bkrun_cost {
	uint64_t ms;                 /* wall time */
	uint64_t cpu_ms;             /* user + system of the child and its children */
	uint64_t read_chars;         /* read by system calls, page cache included (rchar) */
	uint64_t read_bytes;         /* storage read (/proc/PID/io read_bytes) */
	uint64_t write_bytes;
};

struct bkrun {
	char *out;                   /* stdout, NUL-terminated (malloc'd; free it) */
	size_t out_len;
	bool out_cut;                /* more than the cap: the rest was read and dropped */
	char err_tail[BKRUN_ERR_TAIL + 1];   /* stderr's last bytes, control bytes as ' ' */
	int status;                  /* exit status, or 128 + signal */
	bool timed_out;
	struct bkrun_cost cost;
};

/*
 * Run argv[0] (an absolute path) with argv and envp, for at most timeout_s
 * seconds, keeping at most out_cap bytes of its stdout. stdin is
 * /dev/null; cwd (NULL: the agent's) its working directory. pass_fd >= 0 becomes the child's fd 3. stop, when it becomes
 * nonzero, ends the run as a timeout does. Returns 0 when the tool ran
 * (whatever its status), -1 with err when it could not be started.
 */
int bkrun(char *const argv[], char *const envp[], const char *cwd, unsigned timeout_s,
	  size_t out_cap, int pass_fd, volatile int *stop, struct bkrun *r, char *err,
	  size_t errlen);

void bkrun_free(struct bkrun *r);

#endif
