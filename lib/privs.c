/*
 * privs.c - see privs.h. Uses libcap-ng, which changes ids and capability
 * sets in the right order (keep capabilities across setuid only as long as
 * needed, then clear them all).
 */
#include "privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int privs_drop(const char *user, const char *fallback, char *err, size_t errlen)
{
	struct passwd *pw = NULL;

	if (geteuid() == 0) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw && fallback)
			pw = getpwnam(fallback);
		if (!pw) {
			snprintf(err, errlen, "user '%s' does not exist%s%s%s", user,
				 fallback ? " (nor '" : "", fallback ? fallback : "",
				 fallback ? "')" : "");
			return -1;
		}
		if (pw->pw_uid == 0) {
			snprintf(err, errlen, "refusing to run as '%s': it is uid 0", pw->pw_name);
			return -1;
		}
	}
	capng_clear(CAPNG_SELECT_ALL);
	if (pw) {
		/* Changes gid, drops supplementary groups, changes uid, applies. */
		int rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
					 CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
		if (rc != 0) {
			snprintf(err, errlen, "cannot switch to user '%s' (libcap-ng error %d): %s",
				 pw->pw_name, rc, strerror(errno));
			return -1;
		}
	} else if (capng_apply(CAPNG_SELECT_ALL) != 0) {
		/* Not root: clearing what we may hold is all there is to do. */
		if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
			snprintf(err, errlen, "cannot clear capabilities: %s", strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		snprintf(err, errlen, "capabilities are still held after dropping them");
		return -1;
	}
	return 0;
}
