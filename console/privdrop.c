/*
 * privdrop.c - see privdrop.h. libcap-ng changes the ids and clears the
 * capabilities in one call (capng_change_id); libseccomp builds the
 * filters. The process filter is a list of refusals (EPERM), as the
 * console's libraries (SQLite, OpenSSL, libevent) use a wide set of
 * ordinary syscalls; the parser thread's is a list of what it may do.
 */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "errf.h"
#include "sanitized.h"

/* Give fd's file to uid:gid unless it is a key. Never follows links. */
static int own_at(int dfd, const char *name, uid_t uid, gid_t gid, int depth, char *err,
		  size_t errlen)
{
	struct stat st;
	size_t n = strlen(name);

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (n > 4 && strcmp(name + n - 4, ".key") == 0)
		return 0;               /* read before the drop; stays root's */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errf(err, errlen, "%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	if ((st.st_uid != uid || st.st_gid != gid) &&
	    fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return errf(err, errlen, "%s: giving it to the console's user: %s", name,
			    strerror(errno));
	if (S_ISDIR(st.st_mode) && depth > 0) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = sub >= 0 ? fdopendir(sub) : NULL;
		struct dirent *e;
		int r = 0;

		if (d == NULL) {
			if (sub >= 0)
				close(sub);
			return errf(err, errlen, "%s: %s", name, strerror(errno));
		}
		while (r == 0 && (e = readdir(d)) != NULL)
			r = own_at(sub, e->d_name, uid, gid, depth - 1, err, errlen);
		closedir(d);
		return r;
	}
	return 0;
}

static const int denied[] = {
	SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(chroot), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
	SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(setfsuid), SCMP_SYS(setfsgid), SCMP_SYS(capset), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(keyctl),
	SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(userfaultfd), SCMP_SYS(unshare),
	SCMP_SYS(setns), SCMP_SYS(personality), SCMP_SYS(acct), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(syslog), SCMP_SYS(iopl), SCMP_SYS(ioperm),
	SCMP_SYS(quotactl), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex),
	SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
};

static int process_filter(bool allow_exec, char *err, size_t errlen)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int rc = 0;

	if (f == NULL)
		return errf(err, errlen, "seccomp: out of memory");
	for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(denied[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	/* ASan's leak check stops the world with ptrace at exit, and its
	 * reports run llvm-symbolizer: a sanitizer build keeps ptrace and exec
	 * and stays dumpable. Release builds refuse both. */
	if (rc == 0 && !SANITIZED)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0);
	if (rc == 0 && !SANITIZED && !allow_exec)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 0);
	if (rc == 0 && !SANITIZED && !allow_exec)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execveat), 0);
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc != 0)
		return errf(err, errlen, "seccomp: loading the console's filter: %s", strerror(-rc));
	return 0;
}

int privdrop_console(const char *user, const char *data_dir, bool allow_exec, char *err,
		     size_t errlen)
{
	struct passwd *pw;
	int dfd, r;
	char parent[4096];
	const char *slash;

	if (geteuid() == 0) {
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL)
			return errf(err, errlen, "user %s: %s; create it (useradd --system --no-create-home "
				    "--shell /usr/sbin/nologin %s) or name another in console.conf `user`",
				    user, errno != 0 ? strerror(errno) : "no such user", user);
		if (pw->pw_uid == 0)
			return errf(err, errlen, "user %s is root; name an unprivileged user in "
				    "console.conf `user`", user);
		/* the data directory, and one level below it (bundles/) */
		slash = strrchr(data_dir, '/');
		if (slash == NULL || slash == data_dir)
			snprintf(parent, sizeof(parent), "%s", slash == NULL ? "." : "/");
		else if ((size_t)(slash - data_dir) < sizeof(parent))
			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - data_dir), data_dir);
		else
			return errf(err, errlen, "%s: path too long", data_dir);
		dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return errf(err, errlen, "%s: %s", parent, strerror(errno));
		r = own_at(dfd, slash != NULL ? slash + 1 : data_dir, pw->pw_uid, pw->pw_gid, 2, err,
			   errlen);
		close(dfd);
		if (r < 0)
			return -1;
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
				    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0)
			return errf(err, errlen, "changing to user %s (uid %u) failed", user,
				    (unsigned)pw->pw_uid);
		if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getegid() == 0)
			return errf(err, errlen, "still root after changing to user %s", user);
	} else {
		/* Started unprivileged (the packaged unit): the bounding set is
		 * the service manager's to empty (CapabilityBoundingSet=); without
		 * CAP_SETPCAP it cannot be changed here. */
		capng_get_caps_process();
		if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
			capng_clear(CAPNG_SELECT_CAPS);
			if (capng_apply(CAPNG_SELECT_CAPS) != 0)
				return errf(err, errlen, "clearing capabilities failed");
		}
	}
	if (SANITIZED)
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errf(err, errlen, "no_new_privs: %s", strerror(errno));
	return process_filter(allow_exec, err, errlen);
}

int privdrop_parser_thread(int wake_fd, char *err, size_t errlen)
{
	static const int allowed[] = {
		SCMP_SYS(futex), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(exit),
		SCMP_SYS(exit_group), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sched_yield), SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(clock_gettime),
		SCMP_SYS(getrandom), SCMP_SYS(sigaltstack),
	};
	scmp_filter_ctx f;
	int rc = 0;

	/* refused syscalls fail (EPERM): a parse that needs one fails as out of memory */
	f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (f == NULL)
		return errf(err, errlen, "seccomp: out of memory");
	for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)wake_fd));
	if (rc == 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)STDERR_FILENO));
	/* this thread only: no SCMP_FLTATR_CTL_TSYNC */
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc != 0)
		return errf(err, errlen, "seccomp: loading the parser's filter: %s", strerror(-rc));
	return 0;
}
