/*
 * conf_parse.y - the grammar of kastrod.conf (reference: docs/config.md).
 *
 * A pure bison parser fed by the reentrant flex scanner of conf_lex.l. One
 * scanner and one parser run per file; `include` parses the named file with
 * a fresh pair, recursively, sharing one struct conf_state. Actions only call
 * the checked setters of conf.c: each reports the first error as
 * "file:line:col: message", the source line and a caret line, and returns
 * -1, on which the action aborts the parse. Syntax errors come through
 * yyreport_syntax_error() below in the same format, with the expected tokens
 * in words.
 *
 * The %code requires block below is the module's internal interface between
 * conf.c, this file and conf_lex.l; bison copies it into conf_parse.h.
 */
%define api.pure full
%define api.prefix {kconf_}
%define api.token.prefix {KC_}
%define api.location.type {struct conf_loc}
%define parse.error custom
%define parse.lac full
%locations
%parse-param {struct conf_pctx *pc}
%param {void *scanner}

%code requires {
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

#define CONF_MAX_DEPTH 8               /* nested includes below the top file */
#define CONF_MAX_FILE  (1024 * 1024)   /* bytes in one configuration file */
#define CONF_STR_MAX   (PATH_MAX - 1)  /* bytes in one string, unescaped */

/* Where a token is: 1-based line and byte column, byte offset and length. */
struct conf_loc {
	int line;
	int col;
	size_t off;
	size_t len;
};

/* Shared by every file of one conf_load(). */
struct conf_state {
	struct kastrod_conf *c;        /* working copy, copied out on success */
	char *err;                     /* caller's message buffer */
	size_t errlen;
	bool failed;                   /* an error was reported: keep the first */
	bool ifaces_set;               /* first `interfaces` replaces the list */
	int n_open;                    /* files with an inode on the stack */
	dev_t dev[CONF_MAX_DEPTH + 1]; /* ... to find include cycles */
	ino_t ino[CONF_MAX_DEPTH + 1];
};

/* One per file being parsed; also the scanner's extra data. */
struct conf_pctx {
	struct conf_state *st;
	const char *name;              /* file name used in messages */
	char dir[PATH_MAX];            /* absolute; relative paths start here */
	const char *src;               /* whole file, not NUL-terminated */
	size_t len;
	int depth;                     /* 0 for the top file */
	/* scanner state */
	int line, col;                 /* position of the next byte */
	size_t off;
	struct conf_loc last;          /* last token returned */
	struct conf_loc str_loc;       /* opening quote of the current string */
	size_t slen;
	char sbuf[CONF_STR_MAX];
};

/* Settings that take a number; ranges and units are in conf.c. */
enum conf_num {
	CONF_N_MAX_FLOWS,
	CONF_N_DPI_MEMCAP,
	CONF_N_ACTIVE_TIMEOUT,
	CONF_N_SNAPLEN,
	CONF_N_BUFFER,
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
int kconf_lex(KCONF_STYPE *lval, KCONF_LTYPE *lloc, void *scanner);

/* conf_lex.l: scan and parse pc->src; -1 after reporting an error. */
int conf_scan_parse(struct conf_pctx *pc);

/* conf.c: each reports its error through conf_error() and returns -1. */
int conf_error(struct conf_pctx *pc, const struct conf_loc *loc,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int conf_syntax_error(struct conf_pctx *pc, const struct conf_loc *loc,
		      const char *const *expected, int n_expected);
int conf_include(struct conf_pctx *pc, const struct conf_loc *loc,
		 const char *s);
int conf_set_user(struct conf_pctx *pc, const struct conf_loc *loc,
		  const char *s);
int conf_set_eve(struct conf_pctx *pc, const struct conf_loc *loc,
		 const char *s);
int conf_set_path(struct conf_pctx *pc, const struct conf_loc *loc,
		  char dst[PATH_MAX], const char *s);
int conf_add_iface(struct conf_pctx *pc, const struct conf_loc *loc,
		   const char *s);
void conf_ifaces_done(struct conf_pctx *pc);
int conf_set_num(struct conf_pctx *pc, const struct conf_loc *loc,
		 enum conf_num which);
int conf_set_timeout(struct conf_pctx *pc, const struct conf_loc *cls,
		     const struct conf_loc *val);
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

#define CFG (pc->st->c)

static void kconf_error(struct conf_loc *loc, struct conf_pctx *pc,
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

%token YYEOF 0 "end of file"
%token <str> STRING "a string"
%token NUMBER "a number"
/* The only place a bare name is expected is after `timeout`. */
%token WORD "a timeout class (tcp-new, tcp, tcp-closed, udp, icmp, other)"
%token INCLUDE "include" USER "user" EVE "eve" INTERFACES "interfaces"
%token NDPI "ndpi" PROTOCOLS "protocols" CATEGORIES "categories"
%token RISKY_DOMAINS "risky-domains" JA3 "ja3-blacklist" SHA1 "sha1-blacklist"
%token FLOWS "flows" MAX "max" DPI_MEMCAP "dpi-memcap" TIMEOUT "timeout"
%token ACTIVE_TIMEOUT "active-timeout"
%token CAPTURE "capture" SNAPLEN "snaplen" BUFFER "buffer" PROMISC "promisc"
%token YES "yes" NO "no"
%token '{' '}' ';'

%%

file	: %empty
	| file stmt
	| file ';'
	;

stmt	: INCLUDE STRING	{ TAKE(conf_include(pc, &@2, $2), $2); }
	| USER STRING		{ TAKE(conf_set_user(pc, &@2, $2), $2); }
	| EVE STRING		{ TAKE(conf_set_eve(pc, &@2, $2), $2); }
	| INTERFACES STRING	{
		TAKE(conf_add_iface(pc, &@2, $2), $2);
		conf_ifaces_done(pc);
	}
	| INTERFACES '{' ifaces '}'		{ conf_ifaces_done(pc); }
	| NDPI '{' ndpi_body '}'
	| FLOWS '{' flows_body '}'
	| CAPTURE '{' capture_body '}'
	;

ifaces	: %empty
	| ifaces STRING		{ TAKE(conf_add_iface(pc, &@2, $2), $2); }
	| ifaces ';'
	;

ndpi_body : %empty
	| ndpi_body ndpi_stmt
	| ndpi_body ';'
	;

ndpi_stmt : PROTOCOLS STRING	{ TAKE(conf_set_path(pc, &@2, CFG->ndpi_protocols, $2), $2); }
	| CATEGORIES STRING	{ TAKE(conf_set_path(pc, &@2, CFG->ndpi_categories, $2), $2); }
	| RISKY_DOMAINS STRING	{ TAKE(conf_set_path(pc, &@2, CFG->ndpi_risky_domains, $2), $2); }
	| JA3 STRING		{ TAKE(conf_set_path(pc, &@2, CFG->ndpi_ja3, $2), $2); }
	| SHA1 STRING		{ TAKE(conf_set_path(pc, &@2, CFG->ndpi_sha1, $2), $2); }
	;

flows_body : %empty
	| flows_body flows_stmt
	| flows_body ';'
	;

flows_stmt : MAX NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_MAX_FLOWS) < 0)
			YYABORT;
	}
	| DPI_MEMCAP NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_DPI_MEMCAP) < 0)
			YYABORT;
	}
	| TIMEOUT WORD NUMBER {
		if (conf_set_timeout(pc, &@2, &@3) < 0)
			YYABORT;
	}
	| ACTIVE_TIMEOUT NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_ACTIVE_TIMEOUT) < 0)
			YYABORT;
	}
	;

capture_body : %empty
	| capture_body capture_stmt
	| capture_body ';'
	;

capture_stmt : SNAPLEN NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_SNAPLEN) < 0)
			YYABORT;
	}
	| BUFFER NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_BUFFER) < 0)
			YYABORT;
	}
	| PROMISC YES		{ CFG->promisc = true; }
	| PROMISC NO		{ CFG->promisc = false; }
	;

%%

/* Only bison's own "memory exhausted" comes here. */
static void kconf_error(struct conf_loc *loc, struct conf_pctx *pc,
			void *scanner, const char *msg)
{
	(void)scanner;
	conf_error(pc, loc, "%s", msg);
}

/*
 * Syntax error: hand the expected tokens, in words, to conf.c. Names come
 * from the aliases above with their double quotes taken off; ';' and end of
 * file are left out when something else is expected, as neither is ever
 * what the user forgot.
 */
static int yyreport_syntax_error(const yypcontext_t *yctx,
				 struct conf_pctx *pc, void *scanner)
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
		size_t len = strlen(s);

		if (n > 1 && (exp[i] == YYSYMBOL_YYEOF ||
			      strcmp(s, "';'") == 0))
			continue;
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
	conf_syntax_error(pc, yypcontext_location(yctx), list, k);
	return 0;
}
