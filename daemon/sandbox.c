/*
 * sandbox.c - see sandbox.h.
 */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "errf.h"

int sandbox_sensor(char *err, size_t errlen)
{
	/* what the loop uses, as strace shows it, and what glibc's stdio,
	 * malloc, syslog and exit may need */
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(lseek),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(close),
		SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
		SCMP_SYS(poll), SCMP_SYS(ppoll),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(futex),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
		SCMP_SYS(getrandom), SCMP_SYS(connect),
		/* the EVE file the parent opens again after log rotation (eve_switch) */
		SCMP_SYS(dup2), SCMP_SYS(dup3),
		SCMP_SYS(exit), SCMP_SYS(exit_group),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int rc = 0;

	/* the time zone is read now, not on the first EVE timestamp */
	tzset();
	if (!ctx)
		return errf(err, errlen, "seccomp: cannot make a filter");
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
		if (rc < 0) {
			seccomp_release(ctx);
			return errf(err, errlen, "seccomp: rule for call %d: %s", allow[i], strerror(-rc));
		}
	}
	/* opening a file fails instead of killing: glibc and nDPI's crypto
	 * may look for optional files on first use, and do without them */
	for (i = 0; i < 2 && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				      i == 0 ? SCMP_SYS(openat) : SCMP_SYS(open), 0);
	if (rc < 0) {
		seccomp_release(ctx);
		return errf(err, errlen, "seccomp: rule for open: %s", strerror(-rc));
	}
	/* syslog's socket only */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
			      SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return errf(err, errlen, "seccomp: cannot load the filter: %s", strerror(-rc));
	return 0;
}
