/*
 * aconf_parse.y - the grammar of kastro-agent's agent.conf (reference:
 * docs/agent-config.md; the statements are listed in aconf.c's file
 * header).
 *
 * A pure bison parser fed by the reentrant flex scanner of aconf_lex.l, in
 * the family of console.conf's cconf_parse.y: one scanner and one parser
 * run per file; `include` parses the named file with a fresh pair,
 * recursively, sharing one struct aconf_state. Actions only call the
 * checked setters of aconf.c: each reports the first error as
 * "file:line:col: message", the source line and a caret line (lib/cfg.c
 * writes it), and returns -1, on which the action aborts the parse. Syntax
 * errors come through yyreport_syntax_error() below in the same format,
 * with the expected tokens in words and a close match for a misspelt
 * keyword.
 *
 * A group keyword (console, log, scan, cache, quarantine, allow) takes a block of
 * its settings in braces, or exactly one setting on the same line:
 *   scan path "/srv"
 *   console { address "console.kavala.example" port 7443 }
 * Not several on one line as in console.conf: `scan include` and
 * `quarantine dir` share their keyword with a statement, and a line such as
 * `scan path "/srv" include "x.conf"` must not be read two ways.
 *
 * A list setting (path, include, exclude, watch, tags) takes one string or
 * several in braces: path { "/home" "/srv" }.
 *
 * The %code requires block below is the module's internal interface between
 * aconf.c, this file and aconf_lex.l; bison copies it into aconf_parse.h.
 */
%define api.pure full
%define api.prefix {acf_}
%define api.token.prefix {AC_}
%define api.location.type {struct cfg_loc}
%define parse.error custom
%define parse.lac full
%locations
%parse-param {struct acf_pctx *pc}
%param {void *scanner}

%code requires {
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "aconf.h"

/* The singular settings: each may be set once per load. */
enum aconf_key {
	ACONF_K_ADDRESS,
	ACONF_K_PORT,
	ACONF_K_ENROLL_PORT,
	ACONF_K_PROXY,
	ACONF_K_DIR,
	ACONF_K_SPOOL_SIZE,
	ACONF_K_HEARTBEAT,
	ACONF_K_RULES,
	ACONF_K_LOG_LEVEL,
	ACONF_K_MAX_SIZE,
	ACONF_K_CROSS_FS,
	ACONF_K_FILE_TIMEOUT,
	ACONF_K_THREADS,
	ACONF_K_CPU,
	ACONF_K_SCHEDULE,
	ACONF_K_CACHE_ENTRIES,
	ACONF_K_SEVERITY,
	ACONF_K_QUARANTINE_DIR,
	ACONF_KEYS
};

/* The list settings: each statement adds to its list. */
enum aconf_list_kind {
	ACONF_L_PATH,
	ACONF_L_INCLUDE,
	ACONF_L_EXCLUDE,
	ACONF_L_WATCH,
	ACONF_L_TAGS,
	ACONF_L_ALLOW_SHA256,
	ACONF_L_ALLOW_PATH,
	ACONF_L_PLUGIN_NAME,
	ACONF_L_PLUGIN_CMD,
	ACONF_LISTS
};

/* Shared by every file of one aconf_load(). */
struct aconf_state {
	struct cfg_load ld;            /* message buffer, first error, include stack */
	struct agent_conf c;           /* working copy, copied out on success */
	bool replaced[ACONF_LISTS];    /* list k in c is this load's own (malloc'd) */
	bool qdir_follows;             /* on entry, quarantine dir was DIR/quarantine */
	struct cfg_defer ports;        /* console port == console enroll-port */
	/* "file:line:col" where each singular setting was set; "" not yet */
	char set_at[ACONF_KEYS][PATH_MAX + 32];
};

/* One per file being parsed; also the scanner's extra data. */
struct acf_pctx {
	struct aconf_state *st;
	struct cfg_src f;              /* this file: name, text, dir, depth (cfg_parse_text) */
	struct cfg_scan sc;            /* scanner state */
	enum aconf_list_kind list;     /* the list the strings being read go to */
};

#define YYLLOC_DEFAULT(cur, rhs, n)					\
	do {								\
		if (n) {						\
			(cur) = YYRHSLOC(rhs, 1);			\
			(cur).len = YYRHSLOC(rhs, n).off +		\
				    YYRHSLOC(rhs, n).len - (cur).off;	\
		} else {						\
			(cur) = YYRHSLOC(rhs, 0);			\
			(cur).off += (cur).len;				\
			(cur).len = 0;					\
		}							\
	} while (0)
}

%code provides {
int acf_lex(ACF_STYPE *lval, ACF_LTYPE *lloc, void *scanner);

/* aconf_lex.l: scan and parse pc->f.text; -1 after reporting an error. */
int aconf_scan_parse(struct acf_pctx *pc);

/*
 * aconf.c: the checked setters. Each returns 0, or -1 after an error. loc
 * is the value's token; key names the setting for its range and for the
 * duplicate check.
 */
int aconf_include(struct acf_pctx *pc, const struct cfg_loc *loc, const char *s);
int aconf_set_str(struct acf_pctx *pc, const struct cfg_loc *loc,
		  enum aconf_key key, const char *s);
int aconf_set_num(struct acf_pctx *pc, const struct cfg_loc *loc,
		  enum aconf_key key);
int aconf_set_bool(struct acf_pctx *pc, const struct cfg_loc *loc,
		   enum aconf_key key, bool v);
int aconf_set_log_level(struct acf_pctx *pc, const struct cfg_loc *loc);
int aconf_set_cpu(struct acf_pctx *pc, const struct cfg_loc *loc);
int aconf_set_daily(struct acf_pctx *pc, const struct cfg_loc *loc);
int aconf_set_every(struct acf_pctx *pc, const struct cfg_loc *loc);
/* `plugin "NAME" command "CMD"` */
int aconf_add_plugin(struct acf_pctx *pc, const struct cfg_loc *name_loc, const char *name,
		     const struct cfg_loc *cmd_loc, const char *cmd);
/* s to the list pc->list */
int aconf_add(struct acf_pctx *pc, const struct cfg_loc *loc, const char *s);
}

%code {
#include <stdlib.h>
#include <string.h>

/* Run a setter that borrows string s, free s, abort on error. */
#define TAKE(call, s)					\
	do {						\
		int r_ = (call);			\
		free(s);				\
		(s) = NULL;	/* no second free */	\
		if (r_ < 0)				\
			YYABORT;			\
	} while (0)

/* Run a check that returns -1 after reporting an error. */
#define CHK(call)					\
	do {						\
		if ((call) < 0)				\
			YYABORT;			\
	} while (0)

static void acf_error(struct cfg_loc *loc, struct acf_pctx *pc,
		      void *scanner, const char *msg);
}

%initial-action {
	@$.line = 1;
	@$.col = 1;
	@$.off = 0;
	@$.len = 0;
}

%union {
	char *str;   /* unescaped, malloc'd; the parser owns it */
}
%destructor { free($$); } <str>

/* Declared in the order the messages list them. */
%token YYEOF 0 "end of file"
%token <str> STRING "a string"
%token NUMBER "a number"
%token CLOCK "a time of day such as 02:30"
%token PERCENT "a percentage such as 25%"
/* The only place a bare name is expected is after `level`. */
%token WORD "a log level (error, warning, info, debug)"
/* A group's settings before the statements: after one, it reads better. */
%token ADDRESS "address" PORT "port" ENROLL_PORT "enroll-port" PROXY "proxy"
%token LEVEL "level"
%token PATH "path" EXCLUDE "exclude" WATCH "watch" MAX_SIZE "max-size"
%token CROSS_FILESYSTEMS "cross-filesystems" FILE_TIMEOUT "file-timeout"
%token THREADS "threads" CPU "cpu" SCHEDULE "schedule"
%token DAILY "daily" EVERY "every" YES "yes" NO "no"
%token ENTRIES "entries"
%token TAGS "tags" SEVERITY "severity" SHA256 "sha256"
%token CONSOLE "console" DIR "dir" SPOOL_SIZE "spool-size"
%token HEARTBEAT "heartbeat" RULES "rules" LOG "log" SCAN "scan"
%token CACHE "cache" QUARANTINE "quarantine" ALLOW "allow" INCLUDE "include"
%token PLUGIN "plugin" COMMAND "command"
%token '{' '}' ';'

%%

file	: %empty
	| file stmt
	| file ';'
	;

stmt	: INCLUDE STRING	{ TAKE(aconf_include(pc, &@2, $2), $2); }
	| DIR STRING		{ TAKE(aconf_set_str(pc, &@2, ACONF_K_DIR, $2), $2); }
	| SPOOL_SIZE NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_SPOOL_SIZE)); }
	| HEARTBEAT NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_HEARTBEAT)); }
	| RULES STRING		{ TAKE(aconf_set_str(pc, &@2, ACONF_K_RULES, $2), $2); }
	| CONSOLE console_opt
	| CONSOLE '{' console_block '}'
	| LOG log_opt
	| LOG '{' log_block '}'
	| SCAN scan_opt
	| SCAN '{' scan_block '}'
	| CACHE cache_opt
	| CACHE '{' cache_block '}'
	| QUARANTINE quarantine_opt
	| QUARANTINE '{' quarantine_block '}'
	| ALLOW allow_opt
	| ALLOW '{' allow_block '}'
	| PLUGIN STRING COMMAND STRING {
		int r_ = aconf_add_plugin(pc, &@2, $2, &@4, $4);
		free($2);
		free($4);
		$2 = $4 = NULL;
		if (r_ < 0)
			YYABORT;
	}
	;

/* ---- lists: one string, or several in braces ---- */

strlist	: str
	| '{' strs '}'
	;
strs	: str
	| strs str
	;
str	: STRING		{ TAKE(aconf_add(pc, &@1, $1), $1); }
	;

/* ---- groups: one setting, or a block of them ---- */

console_block : %empty
	| console_block console_opt
	| console_block ';'
	;
console_opt : ADDRESS STRING	{ TAKE(aconf_set_str(pc, &@2, ACONF_K_ADDRESS, $2), $2); }
	| PORT NUMBER		{ CHK(aconf_set_num(pc, &@2, ACONF_K_PORT)); }
	| ENROLL_PORT NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_ENROLL_PORT)); }
	| PROXY STRING		{ TAKE(aconf_set_str(pc, &@2, ACONF_K_PROXY, $2), $2); }
	;

log_block : %empty
	| log_block log_opt
	| log_block ';'
	;
log_opt	: LEVEL WORD		{ CHK(aconf_set_log_level(pc, &@2)); }
	;

scan_block : %empty
	| scan_block scan_opt
	| scan_block ';'
	;
scan_opt : PATH { pc->list = ACONF_L_PATH; } strlist
	| INCLUDE { pc->list = ACONF_L_INCLUDE; } strlist
	| EXCLUDE { pc->list = ACONF_L_EXCLUDE; } strlist
	| WATCH { pc->list = ACONF_L_WATCH; } strlist
	| MAX_SIZE NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_MAX_SIZE)); }
	| CROSS_FILESYSTEMS YES	{ CHK(aconf_set_bool(pc, &@2, ACONF_K_CROSS_FS, true)); }
	| CROSS_FILESYSTEMS NO	{ CHK(aconf_set_bool(pc, &@2, ACONF_K_CROSS_FS, false)); }
	| FILE_TIMEOUT NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_FILE_TIMEOUT)); }
	| THREADS NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_THREADS)); }
	| CPU PERCENT		{ CHK(aconf_set_cpu(pc, &@2)); }
	| SCHEDULE DAILY CLOCK	{ CHK(aconf_set_daily(pc, &@3)); }
	| SCHEDULE EVERY NUMBER	{ CHK(aconf_set_every(pc, &@3)); }
	;

cache_block : %empty
	| cache_block cache_opt
	| cache_block ';'
	;
cache_opt : ENTRIES NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_CACHE_ENTRIES)); }
	;

quarantine_block : %empty
	| quarantine_block quarantine_opt
	| quarantine_block ';'
	;
quarantine_opt : TAGS { pc->list = ACONF_L_TAGS; } strlist
	| SEVERITY NUMBER	{ CHK(aconf_set_num(pc, &@2, ACONF_K_SEVERITY)); }
	| DIR STRING		{ TAKE(aconf_set_str(pc, &@2, ACONF_K_QUARANTINE_DIR, $2), $2); }
	;

allow_block : %empty
	| allow_block allow_opt
	| allow_block ';'
	;
allow_opt : SHA256 { pc->list = ACONF_L_ALLOW_SHA256; } strlist
	| PATH { pc->list = ACONF_L_ALLOW_PATH; } strlist
	;

%%

/* Only bison's own "memory exhausted" comes here. */
static void acf_error(struct cfg_loc *loc, struct acf_pctx *pc,
		      void *scanner, const char *msg)
{
	(void)scanner;
	cfg_error(&pc->f, loc, "%s", msg);
}

/*
 * Syntax error: hand the expected tokens, in words, to lib/cfg. Names come
 * from the aliases above with their double quotes taken off; ';' and end of
 * file are left out when something else is expected, as neither is ever
 * what the user forgot.
 */
static int yyreport_syntax_error(const yypcontext_t *yctx,
				 struct acf_pctx *pc, void *scanner)
{
	yysymbol_kind_t exp[YYNTOKENS];
	char names[YYNTOKENS][80];
	const char *list[YYNTOKENS];
	int n, i, k = 0;

	(void)scanner;

	n = yypcontext_expected_tokens(yctx, exp, YYNTOKENS);
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		const char *s = yysymbol_name(exp[i]);
		size_t len;

		if (n > 1 && (exp[i] == YYSYMBOL_YYEOF ||
			      strcmp(s, "';'") == 0))
			continue;
		len = strlen(s);
		if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
			s++;
			len -= 2;
		}
		if (len >= sizeof(names[k]))
			len = sizeof(names[k]) - 1;
		memcpy(names[k], s, len);
		names[k][len] = '\0';
		list[k] = names[k];
		k++;
	}
	cfg_syntax_error(&pc->f, yypcontext_location(yctx), list, k, NULL, 0, NULL);
	return 0;
}
