/*
 * cfg.h - what every Kastro configuration grammar shares: token locations,
 * the first error as "file:line:col: what, expected what" with the source
 * line and a caret under the token, syntax errors that list the expected
 * tokens and offer a close match, quoted strings, numbers with units
 * checked against a range, bounded file reads, includes and paths relative
 * to the including file.
 *
 * Each component keeps its own bison/flex grammar (daemon/conf_parse.y,
 * console/cconf_parse.y): the statements differ, the way files are read and
 * errors reported does not. A grammar's parse context embeds one struct
 * cfg_src per file; the files of one load share one struct cfg_load, which
 * holds the caller's message buffer.
 *
 * Nothing here logs. A function that finds an error writes the message
 * into the load's buffer, unless an earlier error is already there (the
 * first error is the one to fix), and returns -1.
 */
#ifndef KASTRO_CFG_H
#define KASTRO_CFG_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CFG_MAX_DEPTH 8                /* nested includes below the top file */
#define CFG_MAX_FILE  (1024 * 1024)    /* bytes in one configuration file */
#define CFG_STR_MAX   (PATH_MAX - 1)   /* bytes in one string, unescaped */

/* Where a token is: 1-based line and byte column, byte offset and length. */
struct cfg_loc {
	int line;
	int col;
	size_t off;
	size_t len;
};

/* One load: the top file and its includes. */
struct cfg_load {
	char *err;                     /* the caller's message buffer, errlen bytes */
	size_t errlen;                 /* 0: no message, errors still fail */
	bool failed;                   /* an error was reported: keep the first */
	int n_open;                    /* files on the include stack with an inode */
	dev_t dev[CFG_MAX_DEPTH + 1];  /* ... to find include cycles */
	ino_t ino[CFG_MAX_DEPTH + 1];
};

/* One file being parsed. */
struct cfg_src {
	struct cfg_load *ld;
	const char *name;              /* as shown in messages */
	const char *text;              /* the whole file, not NUL-terminated */
	size_t len;
	const char *dir;               /* absolute; relative paths start here */
	int depth;                     /* 0 for the top file */
};

/*
 * Start a load that reports into err (errlen bytes; err may be NULL when
 * errlen is 0). top is the top file's stat, NULL for a buffer: an include
 * of the top file is then a cycle.
 */
void cfg_load_init(struct cfg_load *ld, char *err, size_t errlen,
		   const struct stat *top);

/* ---- messages ------------------------------------------------------------ */

/*
 * Report an error: "name:line:col: " and the message, then the source line
 * and a caret line ('^' under the token's first byte, '~' under the rest).
 * Without loc, "name: " and the message alone. Returns -1. A message longer
 * than the buffer is cut: it is for a human, and its first line comes first.
 */
int cfg_error(struct cfg_src *f, const struct cfg_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cfg_verror(struct cfg_src *f, const struct cfg_loc *loc, const char *fmt,
	       va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * A syntax error at loc: "unexpected WHAT, expected one of: LIST", where
 * LIST is the n_expected names of what the grammar would take there (close
 * matches of a misspelt word first, then "; did you mean 'x'?"). hidden
 * are names left out of the list but still offered as a close match, and
 * named in a last line "(or HIDDEN_WHAT: ...)" when nothing was close.
 * Returns -1.
 */
int cfg_syntax_error(struct cfg_src *f, const struct cfg_loc *loc,
		     const char *const *expected, int n_expected,
		     const char *const *hidden, int n_hidden,
		     const char *hidden_what);

/*
 * The n names as "a, b, c" into out, those close to the word w (wn bytes)
 * first. Returns the closest name, or NULL when none is close (or w is
 * NULL). For "unknown X 'w', expected one of: ...; did you mean ...?".
 */
const char *cfg_choices(char *out, size_t outlen, const char *w, size_t wn,
			const char *const *names, int n);

/* Token text fit for a message: control bytes as '?', cut after 40 bytes. */
void cfg_show(char *out, size_t outlen, const char *s, size_t n);

/*
 * An error that is known for sure only at the end of the load (a check
 * between settings that a later statement may still change), formatted
 * now, while the file it points into is open. Zero-initialise. cfg_defer()
 * keeps a message, replacing the one kept before, and returns 0;
 * cfg_defer_clear() drops it (the check passes again) and frees, so call
 * it at the end of every load; cfg_defer_report() makes the kept message
 * the load's error and returns -1, or returns 0 when none is kept.
 */
struct cfg_defer {
	char *msg;                     /* malloc'd, errlen bytes, or NULL */
	bool set;
};
int cfg_defer(struct cfg_src *f, struct cfg_defer *d, const struct cfg_loc *loc,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int cfg_defer_report(struct cfg_load *ld, struct cfg_defer *d);
void cfg_defer_clear(struct cfg_defer *d);

/* ---- the scanner's share ------------------------------------------------- */

/* Position and string state of one file's scanner. */
struct cfg_scan {
	int line, col;                 /* of the next byte */
	size_t off;
	struct cfg_loc last;           /* last token returned; len 0: none yet */
	struct cfg_loc str_loc;        /* opening quote of the current string */
	size_t slen;
	char sbuf[CFG_STR_MAX];
};

/* Before the first byte. */
void cfg_scan_init(struct cfg_scan *sc);

/* Before every action: loc = the len bytes at text; move past them. */
void cfg_scan_step(struct cfg_scan *sc, struct cfg_loc *loc, const char *text,
		   size_t len);

/* The opening quote at loc. */
void cfg_str_begin(struct cfg_scan *sc, const struct cfg_loc *loc);

/* Bytes of the string (escapes already undone); no control bytes but tab. */
int cfg_str_append(struct cfg_src *f, struct cfg_scan *sc,
		   const struct cfg_loc *loc, const char *text, size_t len);

/*
 * The closing quote at loc: widen loc to the whole string and set *out to
 * its text (malloc'd, NUL-terminated; the caller frees it).
 */
int cfg_str_end(struct cfg_src *f, struct cfg_scan *sc, struct cfg_loc *loc,
		char **out);

/* A string cut by the end of a line or the file at byte end; -1. */
int cfg_str_unterminated(struct cfg_src *f, const struct cfg_scan *sc,
			 size_t end, const char *what);

/* End of file: reported just after the last token. */
void cfg_scan_eof(const struct cfg_scan *sc, struct cfg_loc *loc);

/* ---- numbers ------------------------------------------------------------- */

enum cfg_unit {
	CFG_COUNT,                     /* a plain number: 1024 */
	CFG_SIZE,                      /* bytes: 1024, 64KB (K), 256MB (M), 1GB (G) */
	CFG_DURATION,                  /* seconds: 30, 30s, 5m, 1h, 1d */
};

/* A setting that takes a number, for its messages and its range check. */
struct cfg_range {
	const char *name;              /* "flows max": as the user writes it */
	enum cfg_unit unit;
	uint64_t min, max;
	bool zero_ok;                  /* 0 is allowed too ("0 = off") */
};

/*
 * The number token at loc with its unit applied (1024 for 1KB, 300 for
 * 5m). It must be of the unit want: "5m" where a size is expected, "1.5h",
 * "5min" and overflows are errors that say what was expected.
 */
int cfg_number(struct cfg_src *f, const struct cfg_loc *loc, enum cfg_unit want,
	       uint64_t *v);

/*
 * v, read from the token at loc, must be inside r; else "NAME TOKEN is out
 * of range, expected MIN .. MAX".
 */
int cfg_check_range(struct cfg_src *f, const struct cfg_loc *loc,
		    const struct cfg_range *r, uint64_t v);

/* cfg_number() with r's unit, then cfg_check_range(). */
int cfg_number_in(struct cfg_src *f, const struct cfg_loc *loc,
		  const struct cfg_range *r, uint64_t *v);

/* v in the largest unit that divides it: "256MB", "5m", "1024". */
void cfg_format(char *out, size_t outlen, enum cfg_unit unit, uint64_t v);

/* ---- files and paths ----------------------------------------------------- */

/*
 * Read the regular file at path, at most max bytes, into a new buffer
 * (*buf, the caller frees it; not NUL-terminated) and fstat it into *sb.
 * Never blocks on a FIFO. On error returns -1 and writes the reason
 * ("No such file or directory", "not a regular file", "larger than N
 * bytes") to why.
 */
int cfg_read_file(const char *path, size_t max, char **buf, size_t *len,
		  struct stat *sb, char *why, size_t whylen);

/*
 * path made absolute: as is when it starts with '/', else dir/path with any
 * leading "./" dropped. -1 when the result does not fit PATH_MAX.
 */
int cfg_join(const char *dir, const char *path, char out[PATH_MAX]);

/* The directory part of absolute path p ("/" for "/x"). */
void cfg_dir_of(const char *p, char out[PATH_MAX]);

/*
 * name made absolute from the working directory (name need not exist).
 * On error writes "NAME: why" to err and returns -1.
 */
int cfg_abs_path(const char *name, char out[PATH_MAX], char *err, size_t errlen);

/* The string s of the token at loc as an absolute path, relative to f->dir. */
int cfg_resolve(struct cfg_src *f, const struct cfg_loc *loc, const char *s,
		char out[PATH_MAX]);

/*
 * `include "s"` at loc in f: check the depth, resolve s, read the file (at
 * most CFG_MAX_FILE bytes), refuse a cycle, and put the file on the include
 * stack. Then the caller parses *buf (*len bytes) as a file named path, at
 * depth f->depth + 1, and calls cfg_include_end(). Returns 0 or -1.
 */
int cfg_include_begin(struct cfg_src *f, const struct cfg_loc *loc, const char *s,
		      char path[PATH_MAX], char **buf, size_t *len);

/* Take the file off the include stack and free its buffer. */
void cfg_include_end(struct cfg_load *ld, char *buf);

/*
 * A grammar's parse of one file: make its parser context around f (copy
 * it: f and the strings it points to live as long as the call) and run
 * its parser; st is the grammar's state for the whole load.
 */
typedef int (*cfg_parse_fn)(void *st, const struct cfg_src *f);

/*
 * Parse src (len bytes) as a file named name whose relative paths start at
 * dir, at include depth depth, with fn.
 */
int cfg_parse_text(struct cfg_load *ld, const char *name, const char *dir, const char *src,
		   size_t len, int depth, cfg_parse_fn fn, void *st);

/* `include "s"` at loc in f: the file read (cfg_include_begin), parsed with
 * fn one level deeper, and taken off the include stack. */
int cfg_include(struct cfg_src *f, const struct cfg_loc *loc, const char *s, cfg_parse_fn fn,
		void *st);

/*
 * A grammar's load: parse src (len bytes) as the top file named name, whose
 * relative paths start at dir (absolute); sb is the file's stat, NULL for a
 * buffer; out the grammar's struct. Returns 0, or -1 with err set.
 */
typedef int (*cfg_loader)(const char *name, const char *dir, const char *src, size_t len,
			  const struct stat *sb, void *out, char *err, size_t errlen);

/*
 * Read the file at path (at most CFG_MAX_FILE bytes; "PATH: cannot read:
 * why" otherwise) and hand it to fn with its directory.
 */
int cfg_load_file(const char *path, cfg_loader fn, void *out, char *err, size_t errlen);

/*
 * Hand len bytes at buf to fn as a file named name ("(buffer)" when NULL)
 * whose relative paths start at dir, or at the directory of name (from the
 * working directory) when dir is NULL.
 */
int cfg_load_buffer(const char *name, const char *buf, size_t len, const char *dir,
		    cfg_loader fn, void *out, char *err, size_t errlen);

/*
 * s as a quoted string of the grammars into out (outlen bytes); -1 when it
 * holds a control character other than tab, or does not fit.
 */
int cfg_quote(const char *s, char *out, size_t outlen);

#endif
