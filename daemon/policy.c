/*
 * policy.c - builds the policy of kastrod.conf from the grammar's actions
 * (the pol_* functions declared in conf_parse.y), checking each item as it
 * is read, and frees it.
 *
 * Names are defined before they are used, as in pf: a rule may name only
 * zones, tables and services written above it (in this file or one included
 * earlier). Application, category and risk names are nDPI's own
 * (policy_names.c), checked against the custom protocols file named so far.
 * Errors go through conf_error(): "file:line:col: what, what was expected",
 * the line, a caret under the token.
 *
 * Each rule keeps its text, normalised (keywords in one order, lists in
 * braces, nDPI's spelling of names): it is the EVE alert's signature and
 * the comment of `kastrod -n`.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_parse.h"
#include "inventory.h"
#include "policy_names.h"

#define HOST_MAX         253

enum ctx { CTX_NONE, CTX_ZONE, CTX_TABLE, CTX_RULE };

struct pol_build {
	struct policy *p;
	enum ctx ctx;
	struct pol_rule r;              /* the rule being read */
	unsigned seen;                  /* its options so far, bit per pol_opt */
	enum pol_opt opt;               /* the option whose items come now */
	size_t items;                   /* items read for it */
	bool any[2];                    /* `any` in from / to */
	bool sev_given;
	struct conf_loc to_loc;         /* where `to` was written */
	struct pol_names *names;        /* built at the first name used */
	char names_path[PATH_MAX];      /* the protocols file it was built with */
};

static const char *const opt_names[POL_O_N] = {
	[POL_O_LOG] = "log", [POL_O_SEVERITY] = "severity",
	[POL_O_PROTO] = "proto", [POL_O_FROM] = "from", [POL_O_TO] = "to",
	[POL_O_PORT] = "port", [POL_O_APP] = "app",
	[POL_O_CATEGORY] = "category", [POL_O_HOST] = "host",
	[POL_O_RISK] = "risk", [POL_O_RETURN] = "return",
};

/* ---- memory ------------------------------------------------------------- */

/* Make room for element n of *arr (elements of size sz): doubles at powers of 2. */
static int grow(void *arr, size_t n, size_t sz)
{
	void **p = arr, *q;
	size_t cap;

	if (n != 0 && (n & (n - 1)) != 0)
		return 0;
	cap = n == 0 ? 1 : 2 * n;
	q = realloc(*p, cap * sz);
	if (q == NULL)
		return -1;
	*p = q;
	return 0;
}

static void rule_free(struct pol_rule *r)
{
	size_t i;

	free(r->protos);
	free(r->src);
	free(r->dst);
	free(r->ports);
	free(r->apps);
	free(r->cats);
	for (i = 0; i < r->n_hosts; i++)
		free(r->hosts[i]);
	free(r->hosts);
	free(r->text);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

void policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_zones; i++)
		free(p->zones[i].nets);
	free(p->zones);
	for (i = 0; i < p->n_services; i++) {
		free(p->services[i].name);
		free(p->services[i].owner);
		free(p->services[i].addrs);
		free(p->services[i].ports);
	}
	free(p->services);
	for (i = 0; i < p->n_tables; i++) {
		free(p->tables[i].path);
		free(p->tables[i].elems);
	}
	free(p->tables);
	for (i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p->console);
	policy_gw_free(p);
	free(p);
}

static int oom(struct conf_pctx *pc, const struct conf_loc *loc)
{
	return conf_error(pc, loc, "out of memory");
}

static struct pol_build *pb_get(struct conf_pctx *pc)
{
	struct conf_state *st = pc->st;

	if (st->pb == NULL) {
		st->pb = calloc(1, sizeof(*st->pb));
		if (st->pb == NULL)
			return NULL;
		st->pb->p = calloc(1, sizeof(*st->pb->p));
		if (st->pb->p == NULL) {
			free(st->pb);
			st->pb = NULL;
			return NULL;
		}
		st->pb->p->default_action = VERDICT_PASS;
	}
	return st->pb;
}

#define PB(pc, loc)							\
	struct pol_build *pb = pb_get(pc);				\
	if (pb == NULL)							\
		return oom(pc, loc)

struct policy *pol_build_policy(struct conf_pctx *pc)
{
	struct pol_build *pb = pb_get(pc);

	return pb != NULL ? pb->p : NULL;
}

struct pol_rule *pol_build_rule(struct conf_pctx *pc)
{
	struct pol_build *pb = pb_get(pc);

	return pb != NULL ? &pb->r : NULL;
}

struct policy *pol_build_take(struct conf_state *st)
{
	struct policy *p = NULL;

	if (st->pb != NULL) {
		p = st->pb->p;
		st->pb->p = NULL;
	}
	pol_build_discard(st);
	return p;
}

void pol_build_discard(struct conf_state *st)
{
	if (st->pb == NULL)
		return;
	rule_free(&st->pb->r);
	policy_free(st->pb->p);
	pol_names_free(st->pb->names);
	free(st->pb);
	st->pb = NULL;
}

/* ---- addresses and small helpers ---------------------------------------- */

int policy_parse_net(const char *s, size_t len, struct pol_net *n)
{
	char buf[64];
	const char *slash;
	size_t alen, i;
	unsigned long plen;
	int max, r = 0;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(n, 0, sizeof(*n));
	slash = memchr(buf, '/', len);
	alen = slash != NULL ? (size_t)(slash - buf) : len;
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = 6;
		max = 128;
	} else {
		return -1;
	}
	plen = (unsigned long)max;
	if (slash != NULL) {
		const char *d = buf + alen + 1;

		if (d[0] == '\0' || strlen(d) > 3)
			return -1;
		plen = 0;
		for (i = 0; d[i] != '\0'; i++) {
			if (!isdigit((unsigned char)d[i]))
				return -1;
			plen = plen * 10 + (unsigned long)(d[i] - '0');
		}
		if (plen > (unsigned long)max)
			return -1;
	}
	n->plen = (uint8_t)plen;
	for (i = 0; i < 16; i++) {
		unsigned bit = (unsigned)i * 8;
		uint8_t mask = bit >= plen ? 0 : bit + 8 <= plen ? 0xff :
			       (uint8_t)(0xff << (8 - (plen - bit)));

		if ((n->addr[i] & ~mask) != 0)
			r = -2;
		n->addr[i] &= mask;
	}
	return r;
}

void policy_net_str(const struct pol_net *n, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	if (n->plen == (n->family == 4 ? 32 : 128))
		snprintf(out, outlen, "%s", a);
	else
		snprintf(out, outlen, "%s/%u", a, n->plen);
}

static const struct {
	const char *name;
	uint8_t num;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	{ "gre", IPPROTO_GRE }, { "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
};

#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

void policy_proto_str(uint8_t p, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++) {
		if (protos[i].num == p) {
			snprintf(out, outlen, "%s", protos[i].name);
			return;
		}
	}
	snprintf(out, outlen, "%u", p);
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

static const char *src_of(struct conf_pctx *pc, const struct conf_loc *loc)
{
	return pc->f.text + loc->off;
}

/* The net at loc, or an error naming it. */
static int get_net(struct conf_pctx *pc, const struct conf_loc *loc,
		   struct pol_net *n)
{
	char tok[64], fixed[64];
	int r = policy_parse_net(src_of(pc, loc), loc->len, n);

	conf_show(tok, sizeof(tok), src_of(pc, loc), loc->len);
	if (r == -2) {
		policy_net_str(n, fixed, sizeof(fixed));
		return conf_error(pc, loc, "'%s' has host bits set, expected a "
				  "network address such as %s", tok, fixed);
	}
	if (r < 0)
		return conf_error(pc, loc, "invalid address '%s', expected an IPv4 "
				  "or IPv6 address or prefix such as 10.0.0.0/8 or "
				  "fd00::/64", tok);
	return 0;
}

static int add_net(struct conf_pctx *pc, const struct conf_loc *loc,
		   struct pol_net **arr, size_t *n, size_t max, const char *what)
{
	struct pol_net net;

	if (get_net(pc, loc, &net) < 0)
		return -1;
	if (*n >= max)
		return conf_error(pc, loc, "too many addresses in %s, the limit is %zu",
				  what, max);
	if (grow(arr, *n, sizeof(**arr)) < 0)
		return oom(pc, loc);
	(*arr)[(*n)++] = net;
	return 0;
}

/* A number of at most 5 digits in s[0..n), into *v; -1 if it is not one. */
static int port_num(const char *s, size_t n, unsigned long *v)
{
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return 0;
}

/* The closest of names (case ignored), for "did you mean"; NULL if none. */
static const char *closest(const char *w, size_t wn, const char *const *names,
			   size_t n)
{
	const char *best = NULL;
	size_t i, bd = 3;

	for (i = 0; i < n; i++) {
		size_t ln = strlen(names[i]), d = 0, j;

		/* cheap distance: substitutions on equal length, or prefix */
		if (ln == wn) {
			for (j = 0; j < wn; j++)
				d += tolower((unsigned char)w[j]) !=
				     tolower((unsigned char)names[i][j]);
		} else if (ln + 1 == wn || wn + 1 == ln) {
			size_t m = ln < wn ? ln : wn;

			d = strncasecmp(w, names[i], m) == 0 ? 1 : 3;
		} else {
			d = 3;
		}
		if (d < bd && d <= (wn > 3 ? 2 : 1)) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

/* Report an unknown name of a defined kind with the defined ones. */
static int unknown_name(struct conf_pctx *pc, const struct conf_loc *loc,
			const char *what, const char *w, size_t wn,
			const char *const *names, size_t n)
{
	char tok[64], list[512], hint[80] = "";
	size_t i, used = 0;
	const char *best = closest(w, wn, names, n);

	conf_show(tok, sizeof(tok), w, wn);
	list[0] = '\0';
	for (i = 0; i < n && used + 4 < sizeof(list); i++) {
		int k = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i > 0 ? ", " : "", names[i]);

		if (k < 0 || (size_t)k >= sizeof(list) - used)
			break;
		used += (size_t)k;
	}
	if (best != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	if (n == 0)
		return conf_error(pc, loc, "unknown %s '%s': none is defined above "
				  "this line", what, tok);
	return conf_error(pc, loc, "unknown %s '%s', expected one defined above: %s%s",
			  what, tok, list, hint);
}

/* ---- zones -------------------------------------------------------------- */

int pol_zone_begin(struct conf_pctx *pc, const struct conf_loc *name)
{
	const char *w = src_of(pc, name);
	char tok[64];
	struct pol_zone *z;
	size_t i;
	PB(pc, name);

	conf_show(tok, sizeof(tok), w, name->len);
	if (name->len > POL_NAME_MAX)
		return conf_error(pc, name, "zone name '%s' is too long, the limit is "
				  "%d bytes", tok, POL_NAME_MAX);
	for (i = 0; i < pb->p->n_zones; i++)
		if (strlen(pb->p->zones[i].name) == name->len &&
		    memcmp(pb->p->zones[i].name, w, name->len) == 0)
			return conf_error(pc, name, "interface '%s' is defined twice", tok);
	if (pb->p->n_zones >= POL_MAX_ZONES)
		return conf_error(pc, name, "too many interfaces, the limit is %d",
				  POL_MAX_ZONES);
	if (grow(&pb->p->zones, pb->p->n_zones, sizeof(*z)) < 0)
		return oom(pc, name);
	z = &pb->p->zones[pb->p->n_zones++];
	memset(z, 0, sizeof(*z));
	memcpy(z->name, w, name->len);
	pb->ctx = CTX_ZONE;
	return 0;
}

int pol_zone_device(struct conf_pctx *pc, const struct conf_loc *loc, const char *s)
{
	struct pol_zone *z;
	size_t i, n = strlen(s);
	char tok[64];
	PB(pc, loc);

	z = &pb->p->zones[pb->p->n_zones - 1];
	conf_show(tok, sizeof(tok), s, n);
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == '"' || s[i] == '\\' ||
		    isspace((unsigned char)s[i]))
			break;
	if (n == 0 || n >= IFNAMSIZ || i < n || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return conf_error(pc, loc, "invalid device name \"%s\", expected 1 to "
				  "%d bytes without '/', ':', '\"', '\\' or spaces",
				  tok, IFNAMSIZ - 1);
	for (i = 0; i + 1 < pb->p->n_zones; i++)
		if (strcmp(pb->p->zones[i].device, s) == 0)
			return conf_error(pc, loc, "device \"%s\" is already interface "
					  "'%s'", tok, pb->p->zones[i].name);
	memcpy(z->device, s, n + 1);
	return 0;
}

int pol_zone_net(struct conf_pctx *pc, const struct conf_loc *loc)
{
	struct pol_zone *z;
	PB(pc, loc);

	z = &pb->p->zones[pb->p->n_zones - 1];
	return add_net(pc, loc, &z->nets, &z->n_nets, POL_MAX_LIST, "one interface");
}

int pol_zone_end(struct conf_pctx *pc, const struct conf_loc *head)
{
	struct pol_zone *z;
	PB(pc, head);

	z = &pb->p->zones[pb->p->n_zones - 1];
	pb->ctx = CTX_NONE;
	if (z->device[0] == '\0' && z->n_nets == 0)
		return conf_error(pc, head, "interface '%s' has neither a device nor "
				  "networks, expected at least one of them", z->name);
	if (z->dhcp && z->device[0] == '\0')
		return conf_error(pc, head, "interface '%s' uses dhcp but names no "
				  "device, expected a `device` statement", z->name);
	return 0;
}

/* ---- services ----------------------------------------------------------- */

/*
 * A `service` block, read by the shared inventory parser (lib/inventory.c,
 * called from the grammar at the keyword kw), becomes one of the policy's
 * services: what the gateway enforces (addresses, ports, synproxy) and what
 * it reports (owner, RPO, RTO). The inventory has checked names, addresses,
 * ports, durations and duplicates; what only the gateway needs is checked
 * here. A service without an address is kept (the console may probe or
 * watch it) but no rule may name it (pol_rule_item).
 */
int pol_service_inv(struct conf_pctx *pc, const struct conf_loc *kw,
		    const struct inv_service *is)
{
	struct pol_service *sv;
	int i, k;
	PB(pc, kw);

	if (pb->p->n_services >= POL_MAX_SERVICES)
		return conf_error(pc, kw, "too many services, the limit is %d",
				  POL_MAX_SERVICES);
	if (grow(&pb->p->services, pb->p->n_services, sizeof(*sv)) < 0)
		return oom(pc, kw);
	sv = &pb->p->services[pb->p->n_services];
	memset(sv, 0, sizeof(*sv));
	sv->name = strdup(is->name);
	sv->owner = strdup(is->owner);
	sv->addrs = calloc((size_t)is->n_addrs + 1, sizeof(*sv->addrs));
	sv->ports = calloc((size_t)is->n_ports + 1, sizeof(*sv->ports));
	pb->p->n_services++;
	if (sv->name == NULL || sv->owner == NULL || sv->addrs == NULL || sv->ports == NULL)
		return oom(pc, kw);
	for (i = 0; i < is->n_addrs; i++) {
		k = policy_parse_net(is->addrs[i], strlen(is->addrs[i]), &sv->addrs[i]);
		if (k < 0)      /* the inventory checked it: a broken invariant */
			return conf_error(pc, kw, "service \"%s\": address %s is not "
					  "usable by the gateway", is->name, is->addrs[i]);
	}
	sv->n_addrs = (size_t)is->n_addrs;
	for (i = 0, k = 0; i < is->n_ports; i++) {
		sv->ports[i].proto = is->ports[i].proto;
		sv->ports[i].lo = is->ports[i].lo;
		sv->ports[i].hi = is->ports[i].hi;
		k += is->ports[i].proto == IPPROTO_TCP;
	}
	sv->n_ports = (size_t)is->n_ports;
	sv->rpo = is->rpo;
	sv->rto = is->rto;
	sv->synproxy = is->synproxy;
	if (sv->synproxy && (k == 0 || sv->n_addrs == 0))
		return conf_error(pc, kw, "service \"%s\" uses synproxy but has no %s, "
				  "expected %s", sv->name, k == 0 ? "TCP port" : "address",
				  k == 0 ? "`ports tcp ...`" : "an `address` statement");
	return 0;
}

/* ---- tables and console ------------------------------------------------- */

/* The name inside "<name>" at loc, checked; its length, or -1. */
static int table_name(struct conf_pctx *pc, const struct conf_loc *loc,
		      const char **name)
{
	const char *w = src_of(pc, loc) + 1;
	size_t n = loc->len - 2, i;
	char tok[64];

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_')
			break;
	if (n == 0 || n > POL_NAME_MAX || i < n || !isalpha((unsigned char)w[0])) {
		conf_show(tok, sizeof(tok), src_of(pc, loc), loc->len);
		return conf_error(pc, loc, "invalid table name %s, expected 1 to %d "
				  "letters, digits or '_' in angle brackets, starting "
				  "with a letter", tok, POL_NAME_MAX);
	}
	*name = w;
	return (int)n;
}

static int find_table(const struct policy *p, const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < p->n_tables; i++)
		if (strlen(p->tables[i].name) == n && memcmp(p->tables[i].name, w, n) == 0)
			return (int)i;
	return -1;
}

int pol_table_begin(struct conf_pctx *pc, const struct conf_loc *ref)
{
	struct pol_table *t;
	const char *w;
	int n;
	PB(pc, ref);

	n = table_name(pc, ref, &w);
	if (n < 0)
		return -1;
	if (find_table(pb->p, w, (size_t)n) >= 0)
		return conf_error(pc, ref, "table <%.*s> is defined twice", n, w);
	if (pb->p->n_tables >= POL_MAX_TABLES)
		return conf_error(pc, ref, "too many tables, the limit is %d",
				  POL_MAX_TABLES);
	if (grow(&pb->p->tables, pb->p->n_tables, sizeof(*t)) < 0)
		return oom(pc, ref);
	t = &pb->p->tables[pb->p->n_tables++];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, w, (size_t)n);
	pb->ctx = CTX_TABLE;
	return 0;
}

int pol_table_elem(struct conf_pctx *pc, const struct conf_loc *loc)
{
	struct pol_table *t;
	PB(pc, loc);

	t = &pb->p->tables[pb->p->n_tables - 1];
	return add_net(pc, loc, &t->elems, &t->n_elems, POL_MAX_INLINE, "one table");
}

int pol_table_file(struct conf_pctx *pc, const struct conf_loc *loc, const char *s)
{
	char path[PATH_MAX];
	struct pol_table *t;
	PB(pc, loc);

	t = &pb->p->tables[pb->p->n_tables - 1];
	if (s[0] == '\0')
		return conf_error(pc, loc, "empty file name, expected the path of a "
				  "list of addresses");
	if (conf_resolve(pc, loc, s, path) < 0)
		return -1;
	t->path = strdup(path);
	if (t->path == NULL)
		return oom(pc, loc);
	pb->ctx = CTX_NONE;
	return 0;
}

int pol_console(struct conf_pctx *pc, const struct conf_loc *loc)
{
	PB(pc, loc);

	return add_net(pc, loc, &pb->p->console, &pb->p->n_console, POL_MAX_LIST,
		       "console");
}

int pol_default(struct conf_pctx *pc, const struct conf_loc *loc, int block, int log)
{
	PB(pc, loc);

	pb->p->default_action = block ? VERDICT_BLOCK : VERDICT_PASS;
	pb->p->default_log = log != 0;
	return 0;
}

/* ---- rules -------------------------------------------------------------- */

int pol_rule_begin(struct conf_pctx *pc, const struct conf_loc *loc, int block)
{
	PB(pc, loc);

	if (pb->p->n_rules >= POL_MAX_RULES)
		return conf_error(pc, loc, "too many rules, the limit is %d",
				  POL_MAX_RULES);
	rule_free(&pb->r);
	pb->r.action = block ? VERDICT_BLOCK : VERDICT_PASS;
	pb->r.severity = POL_SEVERITY_DEFAULT;
	pb->r.line = loc->line;
	pb->r.file = strdup(pc->f.name);
	if (pb->r.file == NULL)
		return oom(pc, loc);
	pb->seen = 0;
	pb->any[0] = pb->any[1] = false;
	pb->sev_given = false;
	pb->ctx = CTX_RULE;
	return 0;
}

int pol_rule_opt(struct conf_pctx *pc, const struct conf_loc *loc, enum pol_opt o)
{
	PB(pc, loc);

	if (pb->seen & (1u << o))
		return conf_error(pc, loc, "'%s' given twice in one rule", opt_names[o]);
	pb->seen |= 1u << o;
	pb->opt = o;
	pb->items = 0;
	if (o == POL_O_LOG)
		pb->r.log = true;
	if (o == POL_O_TO)
		pb->to_loc = *loc;
	if (o == POL_O_RETURN) {
		if (pb->r.action != VERDICT_BLOCK)
			return conf_error(pc, loc, "'return' goes with block only: it answers "
					  "the blocked packet (TCP reset, ICMP unreachable)");
		pb->r.ret = true;
	}
	return 0;
}

int pol_list_end(struct conf_pctx *pc, const struct conf_loc *loc)
{
	PB(pc, loc);

	if (pb->items == 0)
		return conf_error(pc, loc, "empty list, expected at least one item "
				  "between the braces");
	return 0;
}

int pol_port(struct conf_pctx *pc, const struct conf_loc *loc)
{
	const char *w = src_of(pc, loc), *dash = memchr(w, '-', loc->len);
	unsigned long lo, hi;
	char tok[64];
	PB(pc, loc);

	conf_show(tok, sizeof(tok), w, loc->len);
	if (dash != NULL) {
		if (port_num(w, (size_t)(dash - w), &lo) < 0 ||
		    port_num(dash + 1, loc->len - (size_t)(dash - w) - 1, &hi) < 0 ||
		    lo < 1 || hi > 65535 || lo > hi)
			return conf_error(pc, loc, "invalid port range '%s', expected "
					  "LOW-HIGH with 1 <= LOW <= HIGH <= 65535", tok);
	} else if (port_num(w, loc->len, &lo) < 0 || lo < 1 || lo > 65535) {
		return conf_error(pc, loc, "invalid port '%s', expected a number "
				  "1 .. 65535 or a range such as 8000-8100", tok);
	} else {
		hi = lo;
	}
	pb->items++;
	if (pb->r.n_ports >= POL_MAX_LIST)
		return conf_error(pc, loc, "too many ports, the limit is %d", POL_MAX_LIST);
	if (grow(&pb->r.ports, pb->r.n_ports, sizeof(*pb->r.ports)) < 0)
		return oom(pc, loc);
	pb->r.ports[pb->r.n_ports].lo = (uint16_t)lo;
	pb->r.ports[pb->r.n_ports++].hi = (uint16_t)hi;
	return 0;
}

static struct pol_names *names(struct conf_pctx *pc, const struct conf_loc *loc,
			       struct pol_build *pb)
{
	char err[PATH_MAX + 128];

	if (pb->names != NULL)
		return pb->names;
	pb->names = pol_names_new(pc->st->c->ndpi_protocols, err, sizeof(err));
	if (pb->names == NULL) {
		conf_error(pc, loc, "%s", err);
		return NULL;
	}
	memcpy(pb->names_path, pc->st->c->ndpi_protocols, sizeof(pb->names_path));
	return pb->names;
}

int pol_protocols_set(struct conf_pctx *pc, const struct conf_loc *loc)
{
	struct pol_build *pb = pc->st->pb;

	if (pb == NULL || pb->names == NULL ||
	    strcmp(pb->names_path, pc->st->c->ndpi_protocols) == 0)
		return 0;
	return conf_error(pc, loc, "the nDPI protocols file must be named before "
			  "the first rule that names an application, category or "
			  "risk: move this `ndpi` block above the rules");
}

static const char *const kind_what[] = {
	[POL_NAMES_APP] = "application",
	[POL_NAMES_CATEGORY] = "category",
	[POL_NAMES_RISK] = "risk",
};

/* An nDPI name (word at loc, or string s) for the current option. */
static int ndpi_name(struct conf_pctx *pc, const struct conf_loc *loc,
		     struct pol_build *pb, const char *s)
{
	enum pol_names_kind kind = pb->opt == POL_O_APP ? POL_NAMES_APP :
				   pb->opt == POL_O_CATEGORY ? POL_NAMES_CATEGORY :
				   POL_NAMES_RISK;
	const char *w = s != NULL ? s : src_of(pc, loc);
	size_t wn = s != NULL ? strlen(s) : loc->len, i;
	struct pol_names *nm = names(pc, loc, pb);
	char tok[64], close[512];
	uint16_t **arr;
	size_t *n;
	int id;

	if (nm == NULL)
		return -1;
	id = pol_names_find(nm, kind, w, wn);
	if (id < 0) {
		conf_show(tok, sizeof(tok), w, wn);
		pol_names_suggest(nm, kind, w, wn, close, sizeof(close));
		if (close[0] != '\0')
			return conf_error(pc, loc, "unknown %s '%s', expected an nDPI "
					  "%s name; close matches: %s", kind_what[kind],
					  tok, kind_what[kind], close);
		return conf_error(pc, loc, "unknown %s '%s', expected an nDPI %s "
				  "name (none is close; see docs/config.md)",
				  kind_what[kind], tok, kind_what[kind]);
	}
	if (kind == POL_NAMES_RISK) {
		pb->r.risks |= UINT64_C(1) << id;
		return 0;
	}
	arr = kind == POL_NAMES_APP ? &pb->r.apps : &pb->r.cats;
	n = kind == POL_NAMES_APP ? &pb->r.n_apps : &pb->r.n_cats;
	for (i = 0; i < *n; i++)
		if ((*arr)[i] == id)
			return 0;
	if (grow(arr, *n, sizeof(**arr)) < 0)
		return oom(pc, loc);
	(*arr)[(*n)++] = (uint16_t)id;
	return 0;
}

/* "*.example.org" or "www.example.org": letters, digits, '-', '_', '.'. */
static int host_pattern(struct conf_pctx *pc, const struct conf_loc *loc,
			struct pol_build *pb, const char *s)
{
	size_t n = strlen(s), i, start = 0;
	char tok[64], *h;

	if (n >= 2 && s[0] == '*' && s[1] == '.')
		start = 2;
	for (i = start; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			break;
	if (n == start || n > HOST_MAX || i < n || s[start] == '.' || s[n - 1] == '.' ||
	    strstr(s + start, "..") != NULL) {
		conf_show(tok, sizeof(tok), s, n);
		return conf_error(pc, loc, "invalid host name \"%s\", expected a name "
				  "such as \"www.example.org\" or \"*.example.org\"", tok);
	}
	if (pb->r.n_hosts >= POL_MAX_LIST)
		return conf_error(pc, loc, "too many host names, the limit is %d",
				  POL_MAX_LIST);
	h = strdup(s);
	if (h == NULL || grow(&pb->r.hosts, pb->r.n_hosts, sizeof(char *)) < 0) {
		free(h);
		return oom(pc, loc);
	}
	for (i = 0; i < n; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	pb->r.hosts[pb->r.n_hosts++] = h;
	return 0;
}

static int proto_item(struct conf_pctx *pc, const struct conf_loc *loc,
		      struct pol_build *pb, enum pol_item kind)
{
	const char *w = src_of(pc, loc);
	char tok[64];
	uint64_t v = 0;
	size_t i;

	if (kind == POL_I_NUMBER) {
		if (conf_num_count(pc, loc, &v) < 0)
			return -1;
		if (v > 255) {
			conf_show(tok, sizeof(tok), w, loc->len);
			return conf_error(pc, loc, "protocol %s is out of range, "
					  "expected 0 .. 255", tok);
		}
	} else {
		for (i = 0; i < NPROTOS; i++)
			if (strlen(protos[i].name) == loc->len &&
			    memcmp(protos[i].name, w, loc->len) == 0)
				break;
		if (i == NPROTOS) {
			conf_show(tok, sizeof(tok), w, loc->len);
			return conf_error(pc, loc, "unknown protocol '%s', expected one "
					  "of: tcp, udp, icmp, icmpv6, sctp, gre, esp, ah "
					  "or a number 0 .. 255", tok);
		}
		v = protos[i].num;
	}
	for (i = 0; i < pb->r.n_protos; i++)
		if (pb->r.protos[i] == v)
			return 0;
	if (grow(&pb->r.protos, pb->r.n_protos, 1) < 0)
		return oom(pc, loc);
	pb->r.protos[pb->r.n_protos++] = (uint8_t)v;
	return 0;
}

static int endpoint(struct conf_pctx *pc, const struct conf_loc *loc,
		    struct pol_build *pb, enum pol_item kind, int neg, const char *s)
{
	int side = pb->opt == POL_O_TO;
	struct pol_ep **arr = side ? &pb->r.dst : &pb->r.src;
	size_t *n = side ? &pb->r.n_dst : &pb->r.n_src, i;
	const struct policy *p = pb->p;
	const char *list[POL_MAX_ZONES > POL_MAX_TABLES ? POL_MAX_ZONES : POL_MAX_TABLES];
	struct pol_ep ep = { .neg = neg != 0 };
	const char *w = src_of(pc, loc), *tn;
	int k;

	switch (kind) {
	case POL_I_ANY:
		if (neg)
			return conf_error(pc, loc, "'!any' never matches, expected an "
					  "address, zone, table or service after '!'");
		pb->any[side] = true;
		return 0;
	case POL_I_SELF:
		if (!side)
			return conf_error(pc, loc, "'self' as a source: what the gateway "
					  "itself sends is not filtered, expected "
					  "'self' after 'to'");
		if (neg)
			return conf_error(pc, loc, "'!self' is not supported, expected "
					  "'to self' or a zone, address, table or service");
		pb->r.self = true;
		return 0;
	case POL_I_WORD:
		ep.kind = POL_EP_ZONE;
		for (i = 0; i < p->n_zones; i++)
			if (strlen(p->zones[i].name) == loc->len &&
			    memcmp(p->zones[i].name, w, loc->len) == 0)
				break;
		if (i == p->n_zones) {
			for (i = 0; i < p->n_zones; i++)
				list[i] = p->zones[i].name;
			return unknown_name(pc, loc, "interface", w, loc->len, list,
					    p->n_zones);
		}
		ep.idx = (uint32_t)i;
		break;
	case POL_I_ADDR:
		ep.kind = POL_EP_NET;
		if (get_net(pc, loc, &ep.net) < 0)
			return -1;
		break;
	case POL_I_TABLE:
		ep.kind = POL_EP_TABLE;
		k = table_name(pc, loc, &tn);
		if (k < 0)
			return -1;
		ep.idx = (uint32_t)find_table(p, tn, (size_t)k);
		if (find_table(p, tn, (size_t)k) < 0) {
			for (i = 0; i < p->n_tables; i++)
				list[i] = p->tables[i].name;
			return unknown_name(pc, loc, "table", tn, (size_t)k, list,
					    p->n_tables);
		}
		break;
	case POL_I_SERVICE:
		ep.kind = POL_EP_SERVICE;
		for (i = 0; i < p->n_services; i++)
			if (strcmp(p->services[i].name, s) == 0)
				break;
		if (i == p->n_services) {
			char tok[64];

			conf_show(tok, sizeof(tok), s, strlen(s));
			return conf_error(pc, loc, "unknown service \"%s\", expected "
					  "one defined above this line", tok);
		}
		if (p->services[i].n_addrs == 0)
			return conf_error(pc, loc, "service \"%s\" has no address, so no "
					  "rule can match its traffic: give it an `address` "
					  "in the inventory", p->services[i].name);
		ep.idx = (uint32_t)i;
		break;
	default:
		return conf_error(pc, loc, "unexpected item");
	}
	if (*n >= POL_MAX_LIST)
		return conf_error(pc, loc, "too many items in the list, the limit is %d",
				  POL_MAX_LIST);
	if (grow(arr, *n, sizeof(**arr)) < 0)
		return oom(pc, loc);
	(*arr)[(*n)++] = ep;
	return 0;
}

int pol_rule_item(struct conf_pctx *pc, const struct conf_loc *loc,
		  enum pol_item kind, int neg, const char *s)
{
	uint64_t v;
	char tok[64];
	PB(pc, loc);

	pb->items++;
	switch (pb->opt) {
	case POL_O_SEVERITY:
		if (conf_num_count(pc, loc, &v) < 0)
			return -1;
		if (v < 1 || v > 4) {
			conf_show(tok, sizeof(tok), src_of(pc, loc), loc->len);
			return conf_error(pc, loc, "severity %s is out of range, expected "
					  "1 (highest) .. 4", tok);
		}
		pb->r.severity = (uint8_t)v;
		pb->sev_given = true;
		return 0;
	case POL_O_PROTO:
		return proto_item(pc, loc, pb, kind);
	case POL_O_FROM:
	case POL_O_TO:
		return endpoint(pc, loc, pb, kind, neg, s);
	case POL_O_RISK:
		if (kind == POL_I_ANY) {
			pb->r.risk_any = true;
			return 0;
		}
		return ndpi_name(pc, loc, pb, s);
	case POL_O_APP:
	case POL_O_CATEGORY:
		return ndpi_name(pc, loc, pb, s);
	case POL_O_HOST:
		return host_pattern(pc, loc, pb, s);
	default:
		return conf_error(pc, loc, "unexpected item");
	}
}

/* ---- the rule's text ---------------------------------------------------- */

struct tbuf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
tb_add(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		b->len = b->cap - 1;
		memcpy(b->p + b->cap - 4, "...", 4);
	} else {
		b->len += (size_t)n;
	}
}

/* A name as a word when the grammar reads it as one, else quoted. */
static void tb_name(struct tbuf *b, const char *s)
{
	size_t i, n = strlen(s);
	bool word = n > 0 && (isalpha((unsigned char)s[0]) || s[0] == '_');

	for (i = 0; i < n && word; i++)
		word = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-';
	tb_add(b, word ? "%s" : "\"%s\"", s);
}

static void tb_open(struct tbuf *b, const char *kw, size_t n)
{
	tb_add(b, " %s%s", kw, n > 1 ? " {" : "");
}

static void tb_close(struct tbuf *b, size_t n)
{
	if (n > 1)
		tb_add(b, " }");
}

static void tb_eps(struct tbuf *b, const struct policy *p, const char *kw,
		   const struct pol_ep *e, size_t n)
{
	char a[64];
	size_t i;

	if (n == 0)
		return;         /* "from any", "to any" go without saying */
	tb_open(b, kw, n);
	for (i = 0; i < n; i++) {
		tb_add(b, " %s", e[i].neg ? "!" : "");
		switch (e[i].kind) {
		case POL_EP_ZONE:
			tb_add(b, "%s", p->zones[e[i].idx].name);
			break;
		case POL_EP_NET:
			policy_net_str(&e[i].net, a, sizeof(a));
			tb_add(b, "%s", a);
			break;
		case POL_EP_TABLE:
			tb_add(b, "<%s>", p->tables[e[i].idx].name);
			break;
		default:
			tb_add(b, "service \"%s\"", p->services[e[i].idx].name);
			break;
		}
	}
	tb_close(b, n);
}

static char *rule_text(const struct pol_build *pb)
{
	const struct pol_rule *r = &pb->r;
	struct tbuf b = { malloc(POL_TEXT_MAX), 0, POL_TEXT_MAX };
	char a[16];
	size_t i;
	int k;

	if (b.p == NULL)
		return NULL;
	b.p[0] = '\0';
	tb_add(&b, "%s", r->action == VERDICT_BLOCK ? "block" : "pass");
	if (r->ret)
		tb_add(&b, " return");
	if (r->log)
		tb_add(&b, " log");
	if (pb->sev_given)
		tb_add(&b, " severity %u", r->severity);
	if (r->n_protos > 0) {
		tb_open(&b, "proto", r->n_protos);
		for (i = 0; i < r->n_protos; i++) {
			policy_proto_str(r->protos[i], a, sizeof(a));
			tb_add(&b, " %s", a);
		}
		tb_close(&b, r->n_protos);
	}
	tb_eps(&b, pb->p, "from", r->src, r->n_src);
	tb_eps(&b, pb->p, "to", r->dst, r->n_dst);
	if (r->self)
		tb_add(&b, " to self");
	if (r->n_ports > 0) {
		tb_open(&b, "port", r->n_ports);
		for (i = 0; i < r->n_ports; i++) {
			if (r->ports[i].lo == r->ports[i].hi)
				tb_add(&b, " %u", r->ports[i].lo);
			else
				tb_add(&b, " %u-%u", r->ports[i].lo, r->ports[i].hi);
		}
		tb_close(&b, r->n_ports);
	}
	if (r->n_apps > 0) {
		tb_open(&b, "app", r->n_apps);
		for (i = 0; i < r->n_apps; i++) {
			tb_add(&b, " ");
			tb_name(&b, pol_names_name(pb->names, POL_NAMES_APP, r->apps[i]));
		}
		tb_close(&b, r->n_apps);
	}
	if (r->n_cats > 0) {
		tb_open(&b, "category", r->n_cats);
		for (i = 0; i < r->n_cats; i++) {
			tb_add(&b, " ");
			tb_name(&b, pol_names_name(pb->names, POL_NAMES_CATEGORY, r->cats[i]));
		}
		tb_close(&b, r->n_cats);
	}
	if (r->n_hosts > 0) {
		tb_open(&b, "host", r->n_hosts);
		for (i = 0; i < r->n_hosts; i++)
			tb_add(&b, " \"%s\"", r->hosts[i]);
		tb_close(&b, r->n_hosts);
	}
	if (r->risk_any) {
		tb_add(&b, " risk any");
	} else if (r->risks != 0) {
		size_t nr = (size_t)__builtin_popcountll(r->risks);

		tb_open(&b, "risk", nr);
		for (k = 0; k < 64; k++) {
			if (r->risks & (UINT64_C(1) << k)) {
				tb_add(&b, " ");
				tb_name(&b, pol_names_name(pb->names, POL_NAMES_RISK, k));
			}
		}
		tb_close(&b, nr);
	}
	if (r->max_src_conn)
		tb_add(&b, " max-src-conn %u", r->max_src_conn);
	if (r->rate_n)
		tb_add(&b, " max-src-conn-rate %u/%u", r->rate_n, r->rate_s);
	if (r->overload)
		tb_add(&b, " overload <%s> %us", pb->p->tables[r->overload - 1].name, r->overload_s);
	if (r->fail)
		tb_add(&b, " fail %s", r->fail == POL_FAIL_OPEN ? "open" : "closed");
	return b.p;
}

int pol_rule_end(struct conf_pctx *pc, const struct conf_loc *loc)
{
	struct pol_rule *r;
	size_t i, side;
	PB(pc, loc);

	r = &pb->r;
	pb->ctx = CTX_NONE;
	for (side = 0; side < 2; side++)
		if (pb->any[side] && (side ? r->n_dst : r->n_src) > 0)
			return conf_error(pc, loc, "'any' in a list with other items, "
					  "expected either 'any' or the items");
	if (r->self && (r->n_dst > 0 || pb->any[1]))
		return conf_error(pc, &pb->to_loc, "'self' in a list with other "
				  "items, expected 'to self' alone");
	if (r->n_src > 0 && r->n_dst > 0 &&
	    (policy_gw_families(pb->p, r->src, r->n_src) &
	     policy_gw_families(pb->p, r->dst, r->n_dst)) == 0)
		return conf_error(pc, &pb->to_loc, "source and destination are of "
				  "different address families (IPv4 and IPv6), so "
				  "this rule can never match");
	if (r->n_ports > 0)
		for (i = 0; i < r->n_protos; i++)
			if (!has_ports(r->protos[i]))
				return conf_error(pc, loc, "'port' with a protocol that "
						  "has no ports, expected proto tcp, "
						  "udp or sctp");
	r->dpi = r->n_apps > 0 || r->n_cats > 0 || r->n_hosts > 0 || r->risks != 0 ||
		 r->risk_any;
	if (pol_limits_check(pc, loc) < 0)
		return -1;
	if (r->fail && !r->dpi)
		return conf_error(pc, loc, "'fail' on a rule without app, category, host or "
				  "risk: only connections awaiting kastrod's verdict can fail");
	if (r->dpi && r->self)
		return conf_error(pc, &pb->to_loc, "traffic to the gateway itself is "
				  "matched in the kernel only, expected 'to self' in "
				  "a rule without app, category, host or risk");
	if (r->dpi) {
		for (side = 0; side < 2; side++) {
			const struct pol_ep *e = side ? r->dst : r->src;
			size_t n = side ? r->n_dst : r->n_src;

			for (i = 0; i < n; i++)
				if (e[i].kind == POL_EP_TABLE &&
				    pb->p->tables[e[i].idx].path != NULL)
					return conf_error(pc, loc, "table <%s> is loaded "
							  "from a file and is matched in the "
							  "kernel only, expected it in a rule "
							  "without app, category, host or risk",
							  pb->p->tables[e[i].idx].name);
		}
	}
	r->text = rule_text(pb);
	if (r->text == NULL || grow(&pb->p->rules, pb->p->n_rules, sizeof(*r)) < 0)
		return oom(pc, loc);
	r->id = (uint32_t)pb->p->n_rules + 1;
	pb->p->rules[pb->p->n_rules++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

const struct pol_table *policy_table(const struct kastrod_conf *c, size_t i)
{
	if (c->policy == NULL || i >= c->policy->n_tables)
		return NULL;
	return &c->policy->tables[i];
}
