/*
 * aconf.h - kastro-agent's configuration: the parsed form of agent.conf
 * (reference: docs/agent-config.md).
 *
 * The file is read by a bison/flex grammar (aconf_parse.y, aconf_lex.l) in
 * the family of kastrod.conf and console.conf: every value is checked as it
 * is parsed, and the first error is reported as "file:line:col: what,
 * expected what", then the source line and a caret under the offending
 * token (lib/cfg.h). The agent only ever sees a complete, checked struct.
 *
 * Unlike console.conf, every path in agent.conf must be absolute (an
 * agent's file is copied from PC to PC, so a path must not depend on where
 * the file lies); only `include` is relative to the including file. A
 * singular setting may be given once per load: a second one is an error
 * that names the first.
 *
 * The lists (scan paths, globs, watched directories, quarantine tags) are
 * owned by the struct: aconf_free() frees them.
 */
#ifndef KASTRO_ACONF_H
#define KASTRO_ACONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define ACONF_DIR_DEFAULT    "/var/lib/kastro-agent"
#define ACONF_RULES_DEFAULT  "/etc/kastro/agent-rules"
#define ACONF_QUARANTINE_SUB "quarantine"   /* quarantine dir: DIR/quarantine */
#define ACONF_PORT_DEFAULT   7443
#define ACONF_ENROLL_PORT_DEFAULT 8443

#define ACONF_HOST_MAX  256      /* bytes of console_host and proxy, NUL included */
/*
 * Bytes of `dir` and of a `quarantine dir` the file sets, NUL included:
 * shorter than PATH_MAX, so that the files the agent keeps inside fit.
 * The quarantine directory derived from dir (DIR/quarantine) is longer.
 */
#define ACONF_DIR_MAX   (PATH_MAX - 128)
#define ACONF_QDIR_MAX  (ACONF_DIR_MAX + 16)
#define ACONF_MAX_LIST  256      /* entries of each list of paths or globs */
#define ACONF_MAX_TAGS  64       /* quarantine tags */
#define ACONF_TAG_MAX   128      /* bytes of a tag (a YARA identifier) */
#define ACONF_MAX_ALLOW 4096     /* allow sha256 entries */
#define ACONF_MAX_PLUGINS 64     /* plugin statements */

/* A list the struct owns: n malloc'd, NUL-terminated strings (v NULL if 0). */
struct aconf_list {
	char **v;
	int n;
};

/* When scheduled scans start. */
enum aconf_sched {
	ACONF_SCHED_DAILY,       /* every day at sched_minute, local time */
	ACONF_SCHED_EVERY,       /* every sched_every seconds from start-up */
};

struct agent_conf {
	/* the console link; all ports 1 .. 65535 */
	char console_host[ACONF_HOST_MAX];  /* host name or IP address; required */
	uint16_t console_port;         /* sensor port (mutual TLS): 7443 */
	uint16_t enroll_port;          /* officers' HTTPS port, for enrolment: 8443 */
	char proxy[ACONF_HOST_MAX];    /* "http://HOST[:PORT]" (CONNECT); "": none */

	/* state: key, certificate, spool, scan cache, quarantine index */
	char dir[ACONF_DIR_MAX];       /* absolute; /var/lib/kastro-agent */
	uint64_t spool_max;            /* bytes of the spool on disk; 1GB, 16MB .. 32GB */
	uint32_t heartbeat;            /* seconds between status reports; 60, 10s .. 1h */
	char rules[PATH_MAX];          /* a directory of .yar/.yara files, or one file */
	enum log_level log_level;      /* most verbose level logged: info */

	/*
	 * scans. Paths are absolute, without "." or ".." components, "//" or a
	 * trailing '/'. A glob is matched as fnmatch(glob, full_path, 0): '*'
	 * matches '/' too, so "*.exe" is any .exe file anywhere.
	 */
	struct aconf_list scan_paths;  /* scheduled scans walk these; none: no scheduled scans */
	struct aconf_list scan_include;  /* only files matching one; none: every file */
	struct aconf_list scan_exclude;  /* never files matching one (wins over include) */
	struct aconf_list watch;       /* directories rescanned on change (inotify) */
	uint64_t max_size;             /* bytes; larger files are skipped; 64MB, 1KB .. 4GB */
	bool cross_fs;                 /* walk into other filesystems: false */
	uint32_t file_timeout;         /* seconds of YARA per file; 30, 1s .. 1h */
	uint32_t threads;              /* scan threads; 0 (one per core), 0 .. 256 */
	uint32_t cpu_percent;          /* ceiling of scheduled scans, % of one core; 25, 1 .. 6400 */
	enum aconf_sched sched;        /* ACONF_SCHED_DAILY */
	uint32_t sched_minute;         /* DAILY: minute of the day, 0 .. 1439; 120 (02:00); else 0 */
	uint32_t sched_every;          /* EVERY: seconds between starts, 10m .. 30d; else 0 */

	/* the persistent scan cache */
	uint32_t cache_entries;        /* files remembered; 1000000, 1000 .. 100000000 */

	/* quarantine: a file is moved away if a rule with one of the tags, or a
	 * finding of quarantine_severity or higher, matches it */
	struct aconf_list quarantine_tags;   /* YARA identifiers, case-sensitive */
	uint32_t quarantine_severity;  /* 1 (highest) .. 4; 0: off */
	char quarantine_dir[ACONF_QDIR_MAX];  /* absolute; DIR/quarantine unless set */

	/* allowlist: a match on such a file is no finding and never quarantined
	 * (allow.h; the console may push more) */
	struct aconf_list allow_sha256;  /* 64 lowercase hex digits each */
	struct aconf_list allow_paths;   /* globs, matched as scan include/exclude */

	/* plugin checks the console may assign (agent/sprobe.h): `plugin "NAME"
	 * command "/abs/path ARGS"`; the two lists go in step, names unique */
	struct aconf_list plugin_names;
	struct aconf_list plugin_cmds;
};

/*
 * Fill *c with the built-in defaults: no console address (the file must set
 * it), empty lists. Overwrites *c without freeing: aconf_free() a loaded
 * struct first.
 */
void aconf_defaults(struct agent_conf *c);

/* Free the lists *c owns and leave them empty; *c stays usable. */
void aconf_free(struct agent_conf *c);

/*
 * Parse the file at path into *c, which must hold defaults (or a previous
 * configuration) on entry; the files read, or *c, must set the console
 * address. Returns 0 on success. On error returns -1, leaves *c as it was
 * and writes a message to err (at most errlen bytes) of the form
 * "file:line:col: what was wrong, what was expected", followed by the
 * offending line and a caret line under the offending token.
 *
 * Settings the files do not name keep the value *c had. A list named in
 * the files is replaced by theirs (the list *c had is freed), so never load
 * into a copy of a struct whose lists another copy still uses. The
 * quarantine directory follows `dir` unless a file sets it, or *c held one
 * that was not DIR/quarantine.
 */
int aconf_load(const char *path, struct agent_conf *c, char *err, size_t errlen);

/*
 * As aconf_load, from len bytes at buf; name is used in messages and
 * includes start at dir, or at the directory of name (from the working
 * directory) when dir is NULL.
 */
int aconf_load_buffer(const char *name, const char *buf, size_t len,
		      const char *dir, struct agent_conf *c, char *err,
		      size_t errlen);

/*
 * Write *c to f as agent.conf text, every setting explicit, for
 * `kastro-agent -n`; what it writes loads back into the same values (a
 * struct without a console address is written with that line commented
 * out, and then does not load). Returns 0, or -1 when f fails or a string
 * cannot be written in the grammar.
 */
int aconf_print(FILE *f, const struct agent_conf *c);

#endif
