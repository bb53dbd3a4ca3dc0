/*
 * bkconf.h - backups.conf: the backups this agent checks (reference:
 * docs/agent-config.md, "Backup checks").
 *
 * The file lies beside agent.conf and is read when present. It is the
 * agent's own: the repository, where its password is, and how often each
 * check runs are named here and nowhere else, so the console cannot make
 * the agent open another repository or run any other command; the
 * console only learns the results. Each backup names the service of the
 * inventory it belongs to and is written as the inventory writes it
 * (`backup restic "/srv/restic/erp" host "THIS-HOST"`), which is how the
 * console knows the result is one this agent was given.
 *
 *   backup "erp-restic" {
 *       service "erp"
 *       restic "/srv/restic/erp"            # or borg "...", or dir "..."
 *       password-file "/etc/kastro/erp.pass"  # restic, borg: required
 *       every 15m            # snapshot list, age, size; 1m .. 1d
 *       verify-every 1d      # integrity check, one part of the data each time
 *       verify-over 7d       # ... so that all of it is read over this period
 *       restore-every 1d     # restore test; 0: none
 *       restore-sample 3     # files restored each time, 1 .. 100
 *       shrink 50%           # smaller than the one before by more: a warning
 *       timeout 1h           # any one tool run
 *   }
 *
 * Errors are "file:line:col: what, expected what" with the line and a
 * caret (lib/cfg.h).
 */
#ifndef KASTRO_BKCONF_H
#define KASTRO_BKCONF_H

#include <stddef.h>
#include <stdint.h>

#define BKC_MAX       32         /* backups in one file */
#define BKC_NAME_MAX  64
#define BKC_PATH_MAX  512        /* the inventory's limit on a repository's text */

enum bkc_kind { BKC_RESTIC, BKC_BORG, BKC_DIR };

struct bkc_backup {
	char name[BKC_NAME_MAX];
	char service[BKC_NAME_MAX];
	enum bkc_kind kind;
	char repo[BKC_PATH_MAX];         /* repository or directory, absolute */
	char password_file[BKC_PATH_MAX];
	uint32_t every;                  /* seconds; 900 */
	uint32_t verify_every;           /* seconds; 86400; 0: never */
	uint32_t verify_over;            /* seconds; 7 days; >= verify_every */
	uint32_t restore_every;          /* seconds; 86400; 0: never */
	uint32_t restore_sample;         /* files; 3 */
	uint32_t shrink;                 /* percent; 50 */
	uint32_t timeout;                /* seconds; 3600 */
	char at[320];                    /* "file:line" where it was written */
};

struct bkc {
	struct bkc_backup b[BKC_MAX];
	int n;
};

const char *bkc_kind_name(enum bkc_kind k);

/* Read path into *out (emptied first). 0, or -1 with the message in err. */
int bkc_load(const char *path, struct bkc *out, char *err, size_t errlen);
int bkc_load_buffer(const char *name, const char *buf, size_t len, struct bkc *out, char *err,
		    size_t errlen);

/* "DIR/backups.conf" for the agent.conf at conf_path. */
int bkc_path_for(const char *conf_path, char *out, size_t outlen);

#endif
