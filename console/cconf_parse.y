/*
 * cconf_parse.y - the grammar of kastro-console's console.conf (reference:
 * docs/config.md; the statements are listed in cconf.c's file header).
 *
 * A pure bison parser fed by the reentrant flex scanner of cconf_lex.l, in
 * the family of kastrod's conf_parse.y: one scanner and one parser run per
 * file; `include` parses the named file with a fresh pair, recursively,
 * sharing one struct cconf_state. Actions only call the checked setters of
 * cconf.c: each reports the first error as "file:line:col: message", the
 * source line and a caret line (lib/cfg.c writes it), and returns -1, on
 * which the action aborts the parse. Syntax errors come through
 * yyreport_syntax_error() below in the same format, with the expected
 * tokens in words and a close match for a misspelt keyword.
 *
 * A group keyword (log, sensor, alerts, session, limits) takes one or more
 * of its settings on the same statement, or a block of them in braces:
 *   session idle 30m absolute 12h
 *   limits { body 4MB headers 16KB }
 *
 * The %code requires block below is the module's internal interface between
 * cconf.c, this file and cconf_lex.l; bison copies it into cconf_parse.h.
 */
%define api.pure full
%define api.prefix {ccf_}
%define api.token.prefix {CC_}
%define api.location.type {struct cfg_loc}
%define parse.error custom
%define parse.lac full
%locations
%parse-param {struct ccf_pctx *pc}
%param {void *scanner}

%code requires {
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "cconf.h"

/* The two kinds of listener. */
enum cconf_kind { CCONF_HTTPS, CCONF_SENSORS, CCONF_KINDS };

/* Shared by every file of one cconf_load(). */
struct cconf_state {
	struct cfg_load ld;            /* message buffer, first error, include stack */
	struct console_conf c;         /* working copy, copied out on success */
	bool data_set;                 /* `data` seen: a second one is an error */
	char data_at[PATH_MAX + 32];   /* ... "file:line:col" of the first */
	bool listen_set[CCONF_KINDS];  /* first `listen KIND` replaces the list */
	/* an explicit listener that takes the address of kind k's default */
	struct cfg_defer clash[CCONF_KINDS];
	struct cfg_defer session;      /* session idle > session absolute */
	struct cfg_defer reserved;     /* limits reserved >= limits connections */
	bool reserved_set;             /* limits reserved given (else connections / 16) */
	/* the hook being parsed (cconf_hook.c) */
	struct cfg_loc hook_loc;       /* its name */
	bool hook_types_set;           /* a `type` seen: the first replaces "all" */
	bool public_url_set;
	bool ping_set;                 /* `ping-listen` seen */
	struct inventory *inv;         /* `service` blocks read so far, or NULL */
	struct cconf_plugins *plugins; /* `plugin` statements read so far, or NULL */
};

/* One per file being parsed; also the scanner's extra data. */
struct ccf_pctx {
	struct cconf_state *st;
	struct cfg_src f;              /* this file: name, text, dir, depth (cfg_parse_text) */
	struct cfg_scan sc;            /* scanner state */
	int last_tok;                  /* the token returned last (cconf_lex.l) */
};

/* Settings that take a number; names, units and ranges are in cconf.c. */
enum cconf_num {
	CCONF_N_OFFLINE_AFTER,
	CCONF_N_CERT_DAYS,
	CCONF_N_TOKEN_TTL,
	CCONF_N_DEDUP_WINDOW,
	CCONF_N_SESSION_IDLE,
	CCONF_N_SESSION_ABSOLUTE,
	CCONF_N_BODY,
	CCONF_N_HEADERS,
	CCONF_N_CONNECTIONS,
	CCONF_N_REQUEST_TIMEOUT,
	CCONF_N_LONG_POLL,
	CCONF_N_HEAD_TIMEOUT,
	CCONF_N_BODY_TIMEOUT,
	CCONF_N_PER_ADDRESS,
	CCONF_N_RESERVED,
	CCONF_N_RETAIN_EVENTS,
	CCONF_N_RETAIN_ALERTS,
	CCONF_N_QUOTA_EVENTS,
	CCONF_N_QUOTA_BYTES,
	CCONF_N_QUOTA_BURST,
};

/* A hook's settings (cconf_hook.c). */
enum cconf_hook_set {
	/* strings */
	CCONF_H_CA, CCONF_H_CERT, CCONF_H_KEY, CCONF_H_FROM, CCONF_H_TO, CCONF_H_USER,
	CCONF_H_PASSWORD_FILE, CCONF_H_SECRET_FILE, CCONF_H_PROXY, CCONF_H_SD_ID,
	CCONF_H_SENSOR, CCONF_H_RULE, CCONF_H_WINDOW, CCONF_H_DAYS,
	/* words */
	CCONF_H_FORMAT, CCONF_H_MIN_SEVERITY, CCONF_H_TYPE, CCONF_H_LANGUAGE,
	/* numbers */
	CCONF_H_RESEND_AFTER, CCONF_H_MAX_PER_HOUR, CCONF_H_TIMEOUT, CCONF_H_QUEUE_MAX,
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
int ccf_lex(CCF_STYPE *lval, CCF_LTYPE *lloc, void *scanner);

/* cconf_lex.l: scan and parse pc->f.text; -1 after reporting an error. */
int cconf_scan_parse(struct ccf_pctx *pc);

/* cconf.c: the checked setters. Each returns 0, or -1 after an error. */
int cconf_include(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s);
int cconf_set_data(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s);
int cconf_set_control(struct ccf_pctx *pc, const struct cfg_loc *loc,
		      const char *s);
int cconf_add_listen(struct ccf_pctx *pc, enum cconf_kind kind,
		     const struct cfg_loc *addr, const struct cfg_loc *port);
int cconf_set_num(struct ccf_pctx *pc, const struct cfg_loc *loc,
		  enum cconf_num which);
int cconf_set_log_level(struct ccf_pctx *pc, const struct cfg_loc *loc);

/* cconf_hook.c: `hook NAME { ... }` and `public-url`; s may be NULL for a
 * name given as a bare word (its text is at loc). */
int cconf_hook_begin(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s);
int cconf_hook_end(struct ccf_pctx *pc);
int cconf_hook_url(struct ccf_pctx *pc, const struct cfg_loc *loc, int kind,
		   const char *s);
int cconf_hook_set(struct ccf_pctx *pc, const struct cfg_loc *loc,
		   enum cconf_hook_set which, const char *s);
/* `ping-listen ADDR port N` (cconf.c) */
int cconf_set_ping_listen(struct ccf_pctx *pc, const struct cfg_loc *addr,
			  const struct cfg_loc *port);
int cconf_set_public_url(struct ccf_pctx *pc, const struct cfg_loc *loc,
			 const char *s);
/* cconf_services.c: the `service` block at kw (lib/inventory); *end: after it. */
int cconf_service(struct ccf_pctx *pc, const struct cfg_loc *kw, size_t *end);
/* cconf_services.c: `plugin "NAME" command "CMD"`. */
int cconf_add_plugin(struct ccf_pctx *pc, const struct cfg_loc *name_loc, const char *name,
		     const struct cfg_loc *cmd_loc, const char *cmd);
int cconf_set_user(struct ccf_pctx *pc, const struct cfg_loc *loc, const char *s);
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

static void ccf_error(struct cfg_loc *loc, struct ccf_pctx *pc,
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
	int num;
}
%destructor { free($$); } <str>

/* Declared in the order the messages list them. */
%token YYEOF 0 "end of file"
%token <str> STRING "a string"
%token NUMBER "a number"
%token ADDR "an address such as 127.0.0.1 or ::1"
/* The only place a bare name is expected is after `level`. */
%token WORD "a log level (error, warning, info, debug)"
/* Any other bare word: a hook's name, format, severity, type, language. */
%token NAME "a name"
/* A group's settings before the statements: after one, it reads better. */
%token HTTPS "https" SENSORS "sensors" ON "on" PORT "port"
%token LEVEL "level"
%token OFFLINE_AFTER "offline-after" CERTIFICATE_DAYS "certificate-days"
%token ENROLMENT_TOKEN_TTL "enrolment-token-ttl"
%token DEDUP_WINDOW "dedup-window"
%token IDLE "idle" ABSOLUTE "absolute"
%token BODY "body" HEADERS "headers" CONNECTIONS "connections"
%token REQUEST_TIMEOUT "request-timeout" LONG_POLL "long-poll"
%token HEAD_TIMEOUT "head-timeout" BODY_TIMEOUT "body-timeout"
%token PER_ADDRESS "per-address" RESERVED "reserved"
%token DATA "data" LISTEN "listen" CONTROL "control" LOG "log"
%token SENSOR "sensor" ALERTS "alerts" SESSION "session" LIMITS "limits"
%token INCLUDE "include"
%token HOOK "hook" PUBLIC_URL "public-url"
%token PING_LISTEN "ping-listen"
%token SYSLOG "syslog" EMAIL "email" WEBHOOK "webhook" FORMAT "format"
%token CA "ca" CERT "cert" KEY "key" FROM "from" TO "to" USER "user"
%token PASSWORD_FILE "password-file" SECRET_FILE "secret-file" PROXY "proxy"
%token SD_ID "sd-id" LANGUAGE "language" MIN_SEVERITY "min-severity" TYPE "type"
%token RULE "rule" WINDOW "window" DAYS "days" RESEND_AFTER "resend-after"
%token MAX_PER_HOUR "max-per-hour" TIMEOUT "timeout" QUEUE_MAX "queue-max"
/* a whole `service` block, read by lib/inventory.c for the scanner */
%token SERVICE "service"
%token PLUGIN "plugin" COMMAND "command"
%token EVENTS "events" RESOLVED_ALERTS "resolved-alerts" EVENTS_PER_SECOND "events-per-second"
%token BYTES_PER_SECOND "bytes-per-second" BURST "burst"
%token RETENTION "retention" QUOTA "quota"
%token '*' '{' '}' ';'
%type <num> kind

%%

file	: %empty
	| file stmt
	| file ';'
	;

stmt	: INCLUDE STRING	{ TAKE(cconf_include(pc, &@2, $2), $2); }
	| SERVICE
	| PLUGIN STRING COMMAND STRING {
		int r_ = cconf_add_plugin(pc, &@2, $2, &@4, $4);
		free($2);
		free($4);
		$2 = $4 = NULL;
		if (r_ < 0)
			YYABORT;
	}
	| DATA STRING		{ TAKE(cconf_set_data(pc, &@2, $2), $2); }
	| CONTROL STRING	{ TAKE(cconf_set_control(pc, &@2, $2), $2); }
	| LISTEN kind ON addr	{
		CHK(cconf_add_listen(pc, (enum cconf_kind)$2, &@4, NULL));
	}
	| LISTEN kind ON addr PORT NUMBER {
		CHK(cconf_add_listen(pc, (enum cconf_kind)$2, &@4, &@6));
	}
	| LOG log_opts
	| LOG '{' log_block '}'
	| SENSOR sensor_opts
	| SENSOR '{' sensor_block '}'
	| ALERTS alerts_opts
	| ALERTS '{' alerts_block '}'
	| SESSION session_opts
	| SESSION '{' session_block '}'
	| LIMITS limits_opts
	| LIMITS '{' limits_block '}'
	| PUBLIC_URL STRING	{ TAKE(cconf_set_public_url(pc, &@2, $2), $2); }
	| PING_LISTEN addr PORT NUMBER { CHK(cconf_set_ping_listen(pc, &@2, &@4)); }
	| HOOK hook_name '{' hook_block '}' { CHK(cconf_hook_end(pc)); }
	| RETENTION retention_opts
	| RETENTION '{' retention_block '}'
	| QUOTA quota_opts
	| QUOTA '{' quota_block '}'
	| USER STRING		{ TAKE(cconf_set_user(pc, &@2, $2), $2); }
	;

/* ---- hook NAME { receiver, format, TLS, filter ... } ---- */

hook_name : NAME		{ CHK(cconf_hook_begin(pc, &@1, NULL)); }
	| STRING		{ TAKE(cconf_hook_begin(pc, &@1, $1), $1); }
	;
hook_block : %empty
	| hook_block hook_opt
	| hook_block ';'
	;
hook_word : NAME | NUMBER ;
types	: hook_word		{ CHK(cconf_hook_set(pc, &@1, CCONF_H_TYPE, NULL)); }
	| types hook_word	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_TYPE, NULL)); }
	;
hook_opt : SYSLOG STRING	{ TAKE(cconf_hook_url(pc, &@2, 0, $2), $2); }
	| EMAIL STRING		{ TAKE(cconf_hook_url(pc, &@2, 1, $2), $2); }
	| WEBHOOK STRING	{ TAKE(cconf_hook_url(pc, &@2, 2, $2), $2); }
	| FORMAT hook_word	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_FORMAT, NULL)); }
	| MIN_SEVERITY hook_word { CHK(cconf_hook_set(pc, &@2, CCONF_H_MIN_SEVERITY, NULL)); }
	| LANGUAGE hook_word	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_LANGUAGE, NULL)); }
	| TYPE types
	| CA STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_CA, $2), $2); }
	| CERT STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_CERT, $2), $2); }
	| KEY STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_KEY, $2), $2); }
	| FROM STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_FROM, $2), $2); }
	| TO STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_TO, $2), $2); }
	| USER STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_USER, $2), $2); }
	| PASSWORD_FILE STRING	{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_PASSWORD_FILE, $2), $2); }
	| SECRET_FILE STRING	{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_SECRET_FILE, $2), $2); }
	| PROXY STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_PROXY, $2), $2); }
	| SD_ID STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_SD_ID, $2), $2); }
	| SENSOR STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_SENSOR, $2), $2); }
	| RULE STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_RULE, $2), $2); }
	| WINDOW STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_WINDOW, $2), $2); }
	| DAYS STRING		{ TAKE(cconf_hook_set(pc, &@2, CCONF_H_DAYS, $2), $2); }
	| RESEND_AFTER NUMBER	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_RESEND_AFTER, NULL)); }
	| MAX_PER_HOUR NUMBER	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_MAX_PER_HOUR, NULL)); }
	| TIMEOUT NUMBER	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_TIMEOUT, NULL)); }
	| QUEUE_MAX NUMBER	{ CHK(cconf_hook_set(pc, &@2, CCONF_H_QUEUE_MAX, NULL)); }
	;

kind	: HTTPS			{ $$ = CCONF_HTTPS; }
	| SENSORS		{ $$ = CCONF_SENSORS; }
	;

addr	: ADDR
	| '*'
	;

/* ---- groups: one or more settings, or a block of them ---- */

log_opts : log_opt
	| log_opts log_opt
	;
log_block : %empty
	| log_block log_opt
	| log_block ';'
	;
log_opt	: LEVEL WORD		{ CHK(cconf_set_log_level(pc, &@2)); }
	;

sensor_opts : sensor_opt
	| sensor_opts sensor_opt
	;
sensor_block : %empty
	| sensor_block sensor_opt
	| sensor_block ';'
	;
sensor_opt : OFFLINE_AFTER NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_OFFLINE_AFTER)); }
	| CERTIFICATE_DAYS NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_CERT_DAYS)); }
	| ENROLMENT_TOKEN_TTL NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_TOKEN_TTL)); }
	;

alerts_opts : alerts_opt
	| alerts_opts alerts_opt
	;
alerts_block : %empty
	| alerts_block alerts_opt
	| alerts_block ';'
	;
alerts_opt : DEDUP_WINDOW NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_DEDUP_WINDOW)); }
	;

session_opts : session_opt
	| session_opts session_opt
	;
session_block : %empty
	| session_block session_opt
	| session_block ';'
	;
session_opt : IDLE NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_SESSION_IDLE)); }
	| ABSOLUTE NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_SESSION_ABSOLUTE)); }
	;

limits_opts : limits_opt
	| limits_opts limits_opt
	;
limits_block : %empty
	| limits_block limits_opt
	| limits_block ';'
	;
limits_opt : BODY NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_BODY)); }
	| HEADERS NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_HEADERS)); }
	| CONNECTIONS NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_CONNECTIONS)); }
	| REQUEST_TIMEOUT NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_REQUEST_TIMEOUT)); }
	| LONG_POLL NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_LONG_POLL)); }
	| HEAD_TIMEOUT NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_HEAD_TIMEOUT)); }
	| BODY_TIMEOUT NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_BODY_TIMEOUT)); }
	| PER_ADDRESS NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_PER_ADDRESS)); }
	| RESERVED NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_RESERVED)); }
	;

retention_opts : retention_opt
	| retention_opts retention_opt
	;
retention_block : %empty
	| retention_block retention_opt
	| retention_block ';'
	;
retention_opt : EVENTS NUMBER		{ CHK(cconf_set_num(pc, &@2, CCONF_N_RETAIN_EVENTS)); }
	| RESOLVED_ALERTS NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_RETAIN_ALERTS)); }
	;

quota_opts : quota_opt
	| quota_opts quota_opt
	;
quota_block : %empty
	| quota_block quota_opt
	| quota_block ';'
	;
quota_opt : EVENTS_PER_SECOND NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_QUOTA_EVENTS)); }
	| BYTES_PER_SECOND NUMBER	{ CHK(cconf_set_num(pc, &@2, CCONF_N_QUOTA_BYTES)); }
	| BURST NUMBER			{ CHK(cconf_set_num(pc, &@2, CCONF_N_QUOTA_BURST)); }
	;

%%

/* Only bison's own "memory exhausted" comes here. */
static void ccf_error(struct cfg_loc *loc, struct ccf_pctx *pc,
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
				 struct ccf_pctx *pc, void *scanner)
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
