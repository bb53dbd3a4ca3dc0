/*
 * conf_parse.y - the grammar of kastrod.conf (reference: docs/config.md).
 *
 * A pure bison parser fed by the reentrant flex scanner of conf_lex.l. One
 * scanner and one parser run per file; `include` parses the named file with
 * a fresh pair, recursively, sharing one struct conf_state. Actions only call
 * the checked setters of conf.c: each reports the first error as
 * "file:line:col: message", the source line and a caret line (lib/cfg.c
 * writes it), and returns -1, on which the action aborts the parse. Syntax
 * errors come through yyreport_syntax_error() below in the same format,
 * with the expected tokens in words.
 *
 * The %code requires block below is the module's internal interface between
 * conf.c, policy.c, this file and conf_lex.l; bison copies it into
 * conf_parse.h. Policy statements (interface, service, table, console,
 * default, pass, block) call the builders of policy.c (pol_*), which check
 * each item as it is read; names must be defined before they are used.
 */
%define api.pure full
%define api.prefix {kconf_}
%define api.token.prefix {KC_}
%define api.location.type {struct cfg_loc}
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

#include "cfg.h"
#include "conf.h"

/*
 * policy.c's name for struct cfg_loc (lib/cfg.h), from before the shared
 * code moved to lib/: the same type, not a copy.
 */
#define conf_loc cfg_loc

/* Shared by every file of one conf_load(). */
struct pol_build;

struct conf_state {
	struct cfg_load ld;            /* message buffer, first error, include stack */
	struct kastrod_conf *c;        /* working copy, copied out on success */
	struct pol_build *pb;          /* policy being built (policy.c), or NULL */
	struct inventory *inv;         /* `service` blocks read so far, or NULL */
	bool ifaces_set;               /* first `interfaces` replaces the list */
};

/* One per file being parsed; also the scanner's extra data. */
struct conf_pctx {
	struct conf_state *st;
	struct cfg_src f;              /* this file: name, text, dir, depth (cfg_parse_text) */
	struct cfg_scan sc;            /* scanner state */
	int kw_cur;                    /* last keyword token returned */
	int kw_before;                 /* last keyword before the last token */
};

/* Settings that take a number; ranges and units are in conf.c. */
enum conf_num {
	CONF_N_MAX_FLOWS,
	CONF_N_DPI_MEMCAP,
	CONF_N_ACTIVE_TIMEOUT,
	CONF_N_SNAPLEN,
	CONF_N_BUFFER,
	CONF_N_LINK_PORT,
	CONF_N_SPOOL_SIZE,
	CONF_N_INLINE_QUEUE,
	CONF_N_INLINE_QUEUE_LENGTH,
	CONF_N_INLINE_FAIL_AFTER,
	CONF_N_EVE_MAX_RATE,
	CONF_N_SRC_NODES,
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

/* conf_lex.l: scan and parse pc->f.text; -1 after reporting an error. */
int conf_scan_parse(struct conf_pctx *pc);

/*
 * conf.c, for policy.c: lib/cfg.h's functions on pc->f. Each reports its
 * error (the first of the load) and returns -1.
 */
int conf_error(struct conf_pctx *pc, const struct cfg_loc *loc,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int conf_num_count(struct conf_pctx *pc, const struct cfg_loc *loc,
		   uint64_t *v);
int conf_num_duration(struct conf_pctx *pc, const struct cfg_loc *loc,
		      uint64_t *v);
void conf_show(char *out, size_t outlen, const char *s, size_t n);
int conf_resolve(struct conf_pctx *pc, const struct cfg_loc *loc,
		 const char *s, char out[PATH_MAX]);

/* policy.c: the policy statements. Each returns 0, or -1 after an error. */
enum pol_opt { POL_O_LOG, POL_O_SEVERITY, POL_O_PROTO, POL_O_FROM, POL_O_TO,
	       POL_O_PORT, POL_O_APP, POL_O_CATEGORY, POL_O_HOST, POL_O_RISK,
	       POL_O_RETURN, POL_O_N };
enum pol_item { POL_I_ANY, POL_I_WORD, POL_I_ADDR, POL_I_TABLE, POL_I_SERVICE,
		POL_I_STRING, POL_I_NUMBER, POL_I_SELF };
int pol_zone_begin(struct conf_pctx *pc, const struct cfg_loc *name);
int pol_zone_device(struct conf_pctx *pc, const struct cfg_loc *loc, const char *s);
int pol_zone_net(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_zone_end(struct conf_pctx *pc, const struct cfg_loc *head);
struct inv_service;
int pol_service_inv(struct conf_pctx *pc, const struct cfg_loc *kw,
		    const struct inv_service *is);
int pol_table_begin(struct conf_pctx *pc, const struct cfg_loc *ref);
int pol_table_elem(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_table_file(struct conf_pctx *pc, const struct cfg_loc *loc, const char *s);
int pol_console(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_default(struct conf_pctx *pc, const struct cfg_loc *loc, int block, int log);
int pol_port(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_rule_begin(struct conf_pctx *pc, const struct cfg_loc *loc, int block);
int pol_rule_opt(struct conf_pctx *pc, const struct cfg_loc *loc, enum pol_opt o);
int pol_rule_item(struct conf_pctx *pc, const struct cfg_loc *loc,
		  enum pol_item kind, int neg, const char *s);
int pol_list_end(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_rule_end(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_protocols_set(struct conf_pctx *pc, const struct cfg_loc *loc);
/* policy.c: at the end of a load: the policy built (NULL if none), or discard. */
struct policy *pol_build_take(struct conf_state *st);
void pol_build_discard(struct conf_state *st);
/* policy_gw.c: the gateway's own traffic and NAT (docs/config.md). */
int pol_zone_dhcp(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_nat_begin(struct conf_pctx *pc, const struct cfg_loc *loc, int rdr);
int pol_nat_addr(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_nat_end(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_limit(struct conf_pctx *pc, const struct cfg_loc *kw, const struct cfg_loc *val, int rate);
int pol_overload(struct conf_pctx *pc, const struct cfg_loc *tbl, const struct cfg_loc *dur);
int pol_limits_check(struct conf_pctx *pc, const struct cfg_loc *loc);
int pol_rule_fail(struct conf_pctx *pc, const struct cfg_loc *kw, int open);
/* policy.c, for policy_gw.c: the policy and the rule being built. */
struct policy *pol_build_policy(struct conf_pctx *pc);
struct pol_rule *pol_build_rule(struct conf_pctx *pc);
int conf_include(struct conf_pctx *pc, const struct cfg_loc *loc,
		 const char *s);
/*
 * conf_inv.c: the `service` block at kw, read by lib/inventory.c into the
 * load's inventory and added to the policy; conf_scan_skip() (conf_lex.l)
 * then moves the scanner past its closing brace.
 */
int conf_service(struct conf_pctx *pc, const struct cfg_loc *kw, void *scanner);
void conf_scan_skip(struct conf_pctx *pc, void *scanner, size_t end);
/* conf_inv.c: `inventory from console "COPY" [fallback "FILE"]` */
int conf_inventory(struct conf_pctx *pc, const struct cfg_loc *loc, const char *copy,
		   const struct cfg_loc *fb_loc, const char *fallback);
/* conf_inv.c: at the start of a load: what the last one found is forgotten */
void conf_inv_begin(struct conf_state *st);
/* conf_inv.c: at the end of a load: the inventory's own checks when check
 * (the load succeeded so far); frees it. */
int conf_inv_end(struct conf_state *st, bool check);
int conf_set_user(struct conf_pctx *pc, const struct cfg_loc *loc,
		  const char *s);
int conf_set_eve(struct conf_pctx *pc, const struct cfg_loc *loc,
		 const char *s);
int conf_set_link_host(struct conf_pctx *pc, const struct cfg_loc *loc,
		       const char *s);
int conf_set_path(struct conf_pctx *pc, const struct cfg_loc *loc,
		  char dst[PATH_MAX], const char *s);
int conf_add_iface(struct conf_pctx *pc, const struct cfg_loc *loc,
		   const char *s);
void conf_ifaces_done(struct conf_pctx *pc);
int conf_set_num(struct conf_pctx *pc, const struct cfg_loc *loc,
		 enum conf_num which);
int conf_set_timeout(struct conf_pctx *pc, const struct cfg_loc *cls,
		     const struct cfg_loc *val);
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

/* Run a check that returns -1 after reporting an error. */
#define CHK(call)					\
	do {						\
		if ((call) < 0)				\
			YYABORT;			\
	} while (0)

static void kconf_error(struct cfg_loc *loc, struct conf_pctx *pc,
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
%token INLINE "inline" FAIL "fail" OPEN "open" CLOSED "closed" QUEUE "queue"
%token QUEUE_LENGTH "queue-length" FAIL_AFTER "fail-after" RETURN "return"
%token ADDR "an address" RANGE "a port range" TABLEREF "a table name such as <feeds>"
%token INTERFACE "interface" DEVICE "device" NETWORKS "networks"
%token SERVICE "service" ADDRESS "address"
%token TABLE "table" TFILE "file" CONSOLE "console"
%token DIR "dir" SPOOL_SIZE "spool-size"
%token DEFAULT "default" PASS "pass" BLOCK "block" LOG "log"
%token SEVERITY "severity" PROTO "proto" FROM "from" TO "to" PORT "port"
%token APP "app" CATEGORY "category" HOST "host" RISK "risk" ANY "any"
%token SELF "self" DHCP "dhcp" NAT "nat" RDR "rdr"
%token MAX_RATE "max-rate"
%token MAX_SRC_CONN "max-src-conn" MAX_SRC_CONN_RATE "max-src-conn-rate"
%token INVENTORY "inventory" FALLBACK "fallback"
%token OVERLOAD "overload" RATE "a rate such as 20/5 (connections/seconds)"
%token SRC_NODES "src-nodes"
%token '{' '}' ';' '!'
%type <num> opt_log opt_not

%%

file	: %empty
	| file stmt
	| file ';'
	;

stmt	: INCLUDE STRING	{ TAKE(conf_include(pc, &@2, $2), $2); }
	| USER STRING		{ TAKE(conf_set_user(pc, &@2, $2), $2); }
	| EVE STRING		{ TAKE(conf_set_eve(pc, &@2, $2), $2); }
	| EVE MAX_RATE NUMBER	{ CHK(conf_set_num(pc, &@3, CONF_N_EVE_MAX_RATE)); }
	| SRC_NODES NUMBER	{ CHK(conf_set_num(pc, &@2, CONF_N_SRC_NODES)); }
	| INTERFACES STRING	{
		TAKE(conf_add_iface(pc, &@2, $2), $2);
		conf_ifaces_done(pc);
	}
	| INTERFACES '{' ifaces '}'		{ conf_ifaces_done(pc); }
	| NDPI '{' ndpi_body '}'
	| FLOWS '{' flows_body '}'
	| CAPTURE '{' capture_body '}'
	| INLINE '{' inline_body '}'
	| zone_head '{' zone_body '}'		{ CHK(pol_zone_end(pc, &@1)); }
	| SERVICE				{ CHK(conf_service(pc, &@1, scanner)); }
	| INVENTORY FROM CONSOLE STRING	{ TAKE(conf_inventory(pc, &@4, $4, NULL, NULL), $4); }
	| INVENTORY FROM CONSOLE STRING FALLBACK STRING {
		int r_ = conf_inventory(pc, &@4, $4, &@6, $6);

		free($4);
		$4 = NULL;
		free($6);
		$6 = NULL;
		if (r_ < 0)
			YYABORT;
	}
	| table_head '{' table_elems '}'
	| table_head TFILE STRING	{ TAKE(pol_table_file(pc, &@3, $3), $3); }
	| CONSOLE ADDR			{ CHK(pol_console(pc, &@2)); }
	| CONSOLE '{' console_addrs '}'
	| DEFAULT PASS opt_log		{ CHK(pol_default(pc, &@2, 0, $3)); }
	| DEFAULT BLOCK opt_log		{ CHK(pol_default(pc, &@2, 1, $3)); }
	| rule_head rule_opts		{ CHK(pol_rule_end(pc, &@$)); }
	| nat_head rule_opts nat_addr	{ CHK(pol_nat_end(pc, &@$)); }
	;

/* ---- NAT (policy_gw.c): read as a rule, then checked and kept apart ---- */

nat_head : NAT				{ CHK(pol_nat_begin(pc, &@1, 0)); }
	| RDR				{ CHK(pol_nat_begin(pc, &@1, 1)); }
	;

nat_addr : %empty
	| ADDRESS ADDR			{ CHK(pol_nat_addr(pc, &@2)); }
	;

/* ---- policy ---- */

zone_head : INTERFACE WORD		{ CHK(pol_zone_begin(pc, &@2)); }
	;

zone_body : %empty
	| zone_body zone_stmt
	| zone_body ';'
	;

zone_stmt : DEVICE STRING		{ TAKE(pol_zone_device(pc, &@2, $2), $2); }
	| NETWORKS ADDR			{ CHK(pol_zone_net(pc, &@2)); }
	| NETWORKS '{' zone_nets '}'
	| DHCP				{ CHK(pol_zone_dhcp(pc, &@1)); }
	;

zone_nets : %empty
	| zone_nets ADDR		{ CHK(pol_zone_net(pc, &@2)); }
	| zone_nets ';'
	;

/*
 * `service "NAME" { ... }` is the inventory's (lib/inventory.c): the action
 * above hands the keyword's position to it and moves the scanner past the
 * block. The state after SERVICE here reduces without a look-ahead token,
 * so the scanner has not read into the block when the action runs.
 */

table_head : TABLE TABLEREF		{ CHK(pol_table_begin(pc, &@2)); }
	;

table_elems : %empty
	| table_elems ADDR		{ CHK(pol_table_elem(pc, &@2)); }
	| table_elems ';'
	;

/* Bare addresses: the policy's console (quarantine exception); the
 * settings: kastrod's link to kastro-console (conf.c). */
console_addrs : %empty
	| console_addrs ADDR		{ CHK(pol_console(pc, &@2)); }
	| console_addrs ADDRESS STRING	{ TAKE(conf_set_link_host(pc, &@3, $3), $3); }
	| console_addrs PORT NUMBER	{ CHK(conf_set_num(pc, &@3, CONF_N_LINK_PORT)); }
	| console_addrs DIR STRING	{ TAKE(conf_set_path(pc, &@3, CFG->link_dir, $3), $3); }
	| console_addrs SPOOL_SIZE NUMBER { CHK(conf_set_num(pc, &@3, CONF_N_SPOOL_SIZE)); }
	| console_addrs ';'
	;

opt_log : %empty			{ $$ = 0; }
	| LOG				{ $$ = 1; }
	;

/* Ports of a rule. */
port_spec : port_item
	| '{' port_items '}'		{ CHK(pol_list_end(pc, &@$)); }
	;

port_items : %empty
	| port_items port_item
	| port_items ';'
	;

port_item : NUMBER			{ CHK(pol_port(pc, &@1)); }
	| RANGE				{ CHK(pol_port(pc, &@1)); }
	;

rule_head : PASS			{ CHK(pol_rule_begin(pc, &@1, 0)); }
	| BLOCK				{ CHK(pol_rule_begin(pc, &@1, 1)); }
	;

rule_opts : %empty
	| rule_opts rule_opt
	;

rule_opt : LOG				{ CHK(pol_rule_opt(pc, &@1, POL_O_LOG)); }
	| RETURN			{ CHK(pol_rule_opt(pc, &@1, POL_O_RETURN)); }
	| SEVERITY NUMBER {
		CHK(pol_rule_opt(pc, &@1, POL_O_SEVERITY));
		CHK(pol_rule_item(pc, &@2, POL_I_NUMBER, 0, NULL));
	}
	| proto_kw proto_spec
	| from_kw ep_spec
	| to_kw ep_spec
	| port_kw port_spec
	| app_kw name_spec
	| cat_kw name_spec
	| host_kw host_spec
	| risk_kw risk_spec
	| MAX_SRC_CONN NUMBER		{ CHK(pol_limit(pc, &@1, &@2, 0)); }
	| MAX_SRC_CONN_RATE RATE	{ CHK(pol_limit(pc, &@1, &@2, 1)); }
	| OVERLOAD TABLEREF		{ CHK(pol_overload(pc, &@2, NULL)); }
	| OVERLOAD TABLEREF NUMBER	{ CHK(pol_overload(pc, &@2, &@3)); }
	| FAIL OPEN			{ CHK(pol_rule_fail(pc, &@1, 1)); }
	| FAIL CLOSED			{ CHK(pol_rule_fail(pc, &@1, 0)); }
	;

proto_kw : PROTO			{ CHK(pol_rule_opt(pc, &@1, POL_O_PROTO)); } ;
from_kw : FROM				{ CHK(pol_rule_opt(pc, &@1, POL_O_FROM)); } ;
to_kw : TO				{ CHK(pol_rule_opt(pc, &@1, POL_O_TO)); } ;
port_kw : PORT				{ CHK(pol_rule_opt(pc, &@1, POL_O_PORT)); } ;
app_kw : APP				{ CHK(pol_rule_opt(pc, &@1, POL_O_APP)); } ;
cat_kw : CATEGORY			{ CHK(pol_rule_opt(pc, &@1, POL_O_CATEGORY)); } ;
host_kw : HOST				{ CHK(pol_rule_opt(pc, &@1, POL_O_HOST)); } ;
risk_kw : RISK				{ CHK(pol_rule_opt(pc, &@1, POL_O_RISK)); } ;

proto_spec : proto_item
	| '{' proto_items '}'		{ CHK(pol_list_end(pc, &@$)); }
	;

proto_items : %empty
	| proto_items proto_item
	| proto_items ';'
	;

proto_item : WORD		{ CHK(pol_rule_item(pc, &@1, POL_I_WORD, 0, NULL)); }
	| NUMBER		{ CHK(pol_rule_item(pc, &@1, POL_I_NUMBER, 0, NULL)); }
	;

ep_spec : ep
	| '{' eps '}'			{ CHK(pol_list_end(pc, &@$)); }
	;

eps	: %empty
	| eps ep
	| eps ';'
	;

opt_not : %empty			{ $$ = 0; }
	| '!'				{ $$ = 1; }
	;

ep	: opt_not ANY		{ CHK(pol_rule_item(pc, &@2, POL_I_ANY, $1, NULL)); }
	| opt_not WORD		{ CHK(pol_rule_item(pc, &@2, POL_I_WORD, $1, NULL)); }
	| opt_not ADDR		{ CHK(pol_rule_item(pc, &@2, POL_I_ADDR, $1, NULL)); }
	| opt_not TABLEREF	{ CHK(pol_rule_item(pc, &@2, POL_I_TABLE, $1, NULL)); }
	| opt_not SELF		{ CHK(pol_rule_item(pc, &@2, POL_I_SELF, $1, NULL)); }
	| opt_not SERVICE STRING {
		TAKE(pol_rule_item(pc, &@3, POL_I_SERVICE, $1, $3), $3);
	}
	;

name_spec : name_item
	| '{' name_items '}'		{ CHK(pol_list_end(pc, &@$)); }
	;

name_items : %empty
	| name_items name_item
	| name_items ';'
	;

name_item : WORD		{ CHK(pol_rule_item(pc, &@1, POL_I_WORD, 0, NULL)); }
	| STRING		{ TAKE(pol_rule_item(pc, &@1, POL_I_STRING, 0, $1), $1); }
	;

host_spec : host_item
	| '{' host_items '}'		{ CHK(pol_list_end(pc, &@$)); }
	;

host_items : %empty
	| host_items host_item
	| host_items ';'
	;

host_item : STRING		{ TAKE(pol_rule_item(pc, &@1, POL_I_STRING, 0, $1), $1); }
	;

risk_spec : ANY			{ CHK(pol_rule_item(pc, &@1, POL_I_ANY, 0, NULL)); }
	| name_spec
	;

ifaces	: %empty
	| ifaces STRING		{ TAKE(conf_add_iface(pc, &@2, $2), $2); }
	| ifaces ';'
	;

ndpi_body : %empty
	| ndpi_body ndpi_stmt
	| ndpi_body ';'
	;

ndpi_stmt : PROTOCOLS STRING	{
		TAKE(conf_set_path(pc, &@2, CFG->ndpi_protocols, $2), $2);
		CHK(pol_protocols_set(pc, &@2));
	}
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

inline_body : %empty
	| inline_body inline_stmt
	| inline_body ';'
	;

inline_stmt : FAIL OPEN		{ CFG->inline_fail_open = true; }
	| FAIL CLOSED		{ CFG->inline_fail_open = false; }
	| QUEUE NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_INLINE_QUEUE) < 0)
			YYABORT;
	}
	| QUEUE_LENGTH NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_INLINE_QUEUE_LENGTH) < 0)
			YYABORT;
	}
	| FAIL_AFTER NUMBER {
		if (conf_set_num(pc, &@2, CONF_N_INLINE_FAIL_AFTER) < 0)
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
static void kconf_error(struct cfg_loc *loc, struct conf_pctx *pc,
			void *scanner, const char *msg)
{
	(void)scanner;
	cfg_error(&pc->f, loc, "%s", msg);
}

/* What a bare name is expected to be, from the keyword before it. */
static const char *word_meaning(int kw)
{
	switch (kw) {
	case KC_TIMEOUT:
		return NULL;    /* the token's own alias */
	case KC_INTERFACE:
	case KC_FROM:
	case KC_TO:
		return "a zone name";
	case KC_PROTO:
		return "a protocol name (tcp, udp, icmp, ...)";
	case KC_APP:
		return "an application name";
	case KC_CATEGORY:
		return "a category name";
	case KC_RISK:
		return "a risk name";
	default:
		return "a name";
	}
}

/* Statements of the policy: offered as close matches and in a note only. */
static bool policy_stmt(yysymbol_kind_t k)
{
	return k == YYSYMBOL_INTERFACE || k == YYSYMBOL_SERVICE ||
	       k == YYSYMBOL_TABLE || k == YYSYMBOL_CONSOLE ||
	       k == YYSYMBOL_DEFAULT || k == YYSYMBOL_PASS ||
	       k == YYSYMBOL_BLOCK || k == YYSYMBOL_NAT || k == YYSYMBOL_RDR;
}

/*
 * Syntax error: hand the expected tokens, in words, to lib/cfg. Names come
 * from the aliases above with their double quotes taken off; ';' and end of
 * file are left out when something else is expected, as neither is ever
 * what the user forgot. Where a statement may start, the policy statements
 * are handed over apart: the list names the settings, a note the policy.
 */
static int yyreport_syntax_error(const yypcontext_t *yctx,
				 struct conf_pctx *pc, void *scanner)
{
	yysymbol_kind_t exp[YYNTOKENS];
	char names[YYNTOKENS][80];
	const char *list[YYNTOKENS], *hidden[YYNTOKENS];
	int n, i, k = 0, h = 0;
	bool stmt = false;

	(void)scanner;

	n = yypcontext_expected_tokens(yctx, exp, YYNTOKENS);
	if (n < 0)
		n = 0;
	for (i = 0; i < n; i++)
		stmt = stmt || exp[i] == YYSYMBOL_PASS;
	for (i = 0; i < n; i++) {
		const char *s = yysymbol_name(exp[i]);
		size_t len;

		if (n > 1 && (exp[i] == YYSYMBOL_YYEOF ||
			      strcmp(s, "';'") == 0))
			continue;
		if (exp[i] == YYSYMBOL_WORD && word_meaning(pc->kw_before) != NULL)
			s = word_meaning(pc->kw_before);
		len = strlen(s);
		if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
			s++;
			len -= 2;
		}
		if (len >= sizeof(names[k + h]))
			len = sizeof(names[k + h]) - 1;
		memcpy(names[k + h], s, len);
		names[k + h][len] = '\0';
		if (stmt && policy_stmt(exp[i]))
			hidden[h] = names[k + h], h++;
		else
			list[k] = names[k + h], k++;
	}
	cfg_syntax_error(&pc->f, yypcontext_location(yctx), list, k, hidden, h,
			 "a policy statement");
	return 0;
}
