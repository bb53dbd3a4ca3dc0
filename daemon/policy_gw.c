/*
 * policy_gw.c - the parts of the policy that concern the gateway itself:
 * zones whose address comes by DHCP, NAT statements (`nat`, `rdr`), and
 * the checks kastrod -n and the rule builder ask about the gateway (can it
 * still be managed, which address families a rule side can match).
 *
 * A NAT statement is read by the grammar as a rule (the same options, the
 * same item checks in policy.c); pol_nat_end() then takes what it needs
 * from the rule being built, refuses what NAT cannot use, and keeps it in
 * policy->nats. NAT is IPv4 only: IPv6 is routed, never translated.
 * Semantics and examples: docs/config.md ("nat and rdr", "The gateway
 * itself").
 */
#include "policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_parse.h"

#define NAT_TEXT_MAX 512

void policy_gw_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n_nats; i++) {
		free(p->nats[i].src);
		free(p->nats[i].text);
		free(p->nats[i].file);
	}
	free(p->nats);
	p->nats = NULL;
	p->n_nats = 0;
}

static unsigned net_fams(const struct pol_net *n, size_t count)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; i < count; i++)
		m |= n[i].family == 4 ? 1u : 2u;
	return m;
}

unsigned policy_gw_families(const struct policy *p, const struct pol_ep *e, size_t n)
{
	unsigned m = 0, one;
	size_t i;
	bool pos = false;

	for (i = 0; i < n; i++) {
		if (e[i].neg)
			continue;
		pos = true;
		switch (e[i].kind) {
		case POL_EP_ZONE: {
			const struct pol_zone *z = &p->zones[e[i].idx];

			one = z->device[0] != '\0' ? 3u : net_fams(z->nets, z->n_nets);
			break;
		}
		case POL_EP_NET:
			one = e[i].net.family == 4 ? 1u : 2u;
			break;
		case POL_EP_TABLE: {
			const struct pol_table *t = &p->tables[e[i].idx];

			/* a file table may hold either family */
			one = t->path != NULL || t->n_elems == 0 ? 3u :
			      net_fams(t->elems, t->n_elems);
			break;
		}
		default:
			one = net_fams(p->services[e[i].idx].addrs,
				       p->services[e[i].idx].n_addrs);
			break;
		}
		m |= one;
	}
	return pos ? m : 3u;
}

static bool covers(const struct pol_rule *r, uint8_t proto, uint16_t port)
{
	size_t i;
	bool ok = r->n_protos == 0;

	for (i = 0; i < r->n_protos; i++)
		ok = ok || r->protos[i] == proto;
	if (!ok)
		return false;
	if (r->n_ports == 0)
		return true;
	for (i = 0; i < r->n_ports; i++)
		if (r->ports[i].lo <= port && port <= r->ports[i].hi)
			return true;
	return false;
}

bool policy_gw_manageable(const struct policy *p)
{
	size_t i;

	if (p == NULL || p->default_action == VERDICT_PASS)
		return true;
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].self && p->rules[i].action == VERDICT_PASS &&
		    covers(&p->rules[i], IPPROTO_TCP, 22))
			return true;
	return false;
}

/* ---- grammar actions ----------------------------------------------------- */

int pol_zone_dhcp(struct conf_pctx *pc, const struct cfg_loc *loc)
{
	struct policy *p = pol_build_policy(pc);

	if (p == NULL || p->n_zones == 0)
		return conf_error(pc, loc, "out of memory");
	p->zones[p->n_zones - 1].dhcp = true;
	return 0;
}

int pol_nat_begin(struct conf_pctx *pc, const struct cfg_loc *loc, int rdr)
{
	struct policy *p;
	struct pol_nat *n, *q;

	if (pol_rule_begin(pc, loc, 0) < 0)
		return -1;
	p = pol_build_policy(pc);
	if (p->n_nats >= POL_MAX_RULES)
		return conf_error(pc, loc, "too many nat and rdr statements, the "
				  "limit is %d", POL_MAX_RULES);
	q = realloc(p->nats, (p->n_nats + 1) * sizeof(*q));
	if (q == NULL)
		return conf_error(pc, loc, "out of memory");
	p->nats = q;
	n = &p->nats[p->n_nats++];
	memset(n, 0, sizeof(*n));
	n->id = (uint32_t)p->n_nats;
	n->rdr = rdr != 0;
	n->line = loc->line;
	n->file = strdup(pc->f.name);
	if (n->file == NULL)
		return conf_error(pc, loc, "out of memory");
	return 0;
}

int pol_nat_addr(struct conf_pctx *pc, const struct cfg_loc *loc)
{
	struct policy *p = pol_build_policy(pc);
	struct pol_nat *n = &p->nats[p->n_nats - 1];
	struct pol_net a;
	char tok[64];
	int r = policy_parse_net(pc->f.text + loc->off, loc->len, &a);

	conf_show(tok, sizeof(tok), pc->f.text + loc->off, loc->len);
	if (n->rdr)
		return conf_error(pc, loc, "'address' in an rdr statement, expected "
				  "it only after 'nat ... to ZONE'");
	if (r < 0 || a.family != 4 || a.plen != 32)
		return conf_error(pc, loc, "invalid NAT address '%s', expected one "
				  "IPv4 address such as 192.0.2.10 (IPv6 is routed, "
				  "not translated)", tok);
	n->has_addr = true;
	memcpy(n->addr, a.addr, 4);
	return 0;
}

/* Sources of a NAT statement: zones, IPv4 addresses, tables; rdr: zones with a device. */
static int nat_sources(struct conf_pctx *pc, const struct cfg_loc *loc,
		       const struct policy *p, struct pol_nat *n, struct pol_rule *r)
{
	size_t i;

	for (i = 0; i < r->n_src; i++) {
		const struct pol_ep *e = &r->src[i];

		if (e->kind == POL_EP_NET && e->net.family != 4)
			return conf_error(pc, loc, "IPv6 source in a %s statement: "
					  "NAT is IPv4 only, IPv6 is routed", n->rdr ?
					  "rdr" : "nat");
		if (e->kind == POL_EP_SERVICE)
			return conf_error(pc, loc, "a service as the source of a %s "
					  "statement, expected zones, addresses or "
					  "tables", n->rdr ? "rdr" : "nat");
		if (n->rdr && (e->kind != POL_EP_ZONE || e->neg ||
			       p->zones[e->idx].device[0] == '\0'))
			return conf_error(pc, loc, "rdr takes zones with a device after "
					  "'from' (where the traffic arrives), such as "
					  "'from wan'");
		/* after routing the kernel no longer knows where a packet
		 * came in: source NAT matches a zone by its networks */
		if (!n->rdr && e->kind == POL_EP_ZONE &&
		    !(net_fams(p->zones[e->idx].nets, p->zones[e->idx].n_nets) & 1))
			return conf_error(pc, loc, "zone '%s' has no IPv4 networks: nat "
					  "matches a zone by its networks, expected "
					  "`networks` in its interface block",
					  p->zones[e->idx].name);
	}
	if (n->rdr && r->n_src == 0)
		return conf_error(pc, loc, "rdr without 'from', expected the zone the "
				  "traffic arrives on, such as 'from wan'");
	n->src = r->src;
	n->n_src = r->n_src;
	r->src = NULL;
	r->n_src = 0;
	return 0;
}

/* rdr: the service, its IPv4 address, protocol and ports. */
static int rdr_target(struct conf_pctx *pc, const struct cfg_loc *loc,
		      const struct policy *p, struct pol_nat *n, const struct pol_rule *r)
{
	const struct pol_service *sv;
	size_t i, v4 = 0, same = 0, k = 0;

	if (r->n_dst != 1 || r->dst[0].kind != POL_EP_SERVICE || r->dst[0].neg)
		return conf_error(pc, loc, "rdr needs one service after 'to', such as "
				  "'to service \"e-payments\"'");
	sv = &p->services[r->dst[0].idx];
	for (i = 0; i < sv->n_addrs; i++)
		if (sv->addrs[i].family == 4) {
			if (v4++ == 0)
				memcpy(n->svc_addr, sv->addrs[i].addr, 4);
			if (sv->addrs[i].plen != 32)
				v4 = 2;
		}
	if (v4 != 1)
		return conf_error(pc, loc, "service \"%s\" has %s, expected exactly one "
				  "IPv4 host address to forward to", sv->name,
				  v4 == 0 ? "no IPv4 address" : "several IPv4 addresses or a prefix");
	n->svc = r->dst[0].idx;
	if (r->n_protos > 1 || (r->n_protos == 1 && r->protos[0] != IPPROTO_TCP &&
				r->protos[0] != IPPROTO_UDP))
		return conf_error(pc, loc, "rdr takes one protocol, tcp or udp");
	n->proto = r->n_protos == 1 ? r->protos[0] : IPPROTO_TCP;
	if (r->n_ports != 1 || r->ports[0].lo != r->ports[0].hi)
		return conf_error(pc, loc, "rdr needs one port (not a range or list), "
				  "the gateway's port to forward, such as 'port 8443'");
	n->port = r->ports[0].lo;
	/* the same port when the service listens on it, else its only port */
	for (i = 0; i < sv->n_ports; i++) {
		if (sv->ports[i].proto != n->proto)
			continue;
		k = i;
		same++;
		if (sv->ports[i].lo <= n->port && n->port <= sv->ports[i].hi) {
			n->to_port = n->port;
			return 0;
		}
	}
	if (same == 1 && sv->ports[k].lo == sv->ports[k].hi) {
		n->to_port = sv->ports[k].lo;
		return 0;
	}
	if (sv->n_ports == 0) {
		n->to_port = n->port;
		return 0;
	}
	return conf_error(pc, loc, "service \"%s\" does not listen on %s port %u and "
			  "has no single %s port to forward it to: list the port in "
			  "the service", sv->name, n->proto == IPPROTO_TCP ? "tcp" : "udp",
			  n->port, n->proto == IPPROTO_TCP ? "tcp" : "udp");
}

static void src_text(char *b, size_t len, const struct policy *p, const struct pol_nat *n)
{
	char a[64];
	size_t i, used;

	if (n->n_src == 0)
		return;
	used = strlen(b);
	snprintf(b + used, len - used, " from%s", n->n_src > 1 ? " {" : "");
	for (i = 0; i < n->n_src; i++) {
		const struct pol_ep *e = &n->src[i];

		used = strlen(b);
		if (e->kind == POL_EP_ZONE)
			snprintf(a, sizeof(a), "%s", p->zones[e->idx].name);
		else if (e->kind == POL_EP_TABLE)
			snprintf(a, sizeof(a), "<%s>", p->tables[e->idx].name);
		else
			policy_net_str(&e->net, a, sizeof(a));
		snprintf(b + used, len - used, " %s%s", e->neg ? "!" : "", a);
	}
	used = strlen(b);
	if (n->n_src > 1)
		snprintf(b + used, len - used, " }");
}

int pol_nat_end(struct conf_pctx *pc, const struct cfg_loc *loc)
{
	struct policy *p = pol_build_policy(pc);
	struct pol_rule *r = pol_build_rule(pc);
	struct pol_nat *n = &p->nats[p->n_nats - 1];
	const char *what = n->rdr ? "rdr" : "nat";
	char b[NAT_TEXT_MAX] = "";
	size_t used;

	if (r->n_apps > 0 || r->n_cats > 0 || r->n_hosts > 0 || r->risks != 0 ||
	    r->risk_any)
		return conf_error(pc, loc, "%s with app, category, host or risk: "
				  "addresses are translated in the kernel, on the "
				  "first packet", what);
	if (r->log || r->severity != POL_SEVERITY_DEFAULT)
		return conf_error(pc, loc, "%s takes no log or severity; the rule that "
				  "passes the traffic logs it", what);
	if (r->self)
		return conf_error(pc, loc, "%s to self, expected %s", what, n->rdr ?
				  "a service" : "the zone the traffic leaves by");
	if (nat_sources(pc, loc, p, n, r) < 0)
		return -1;
	if (n->rdr) {
		if (rdr_target(pc, loc, p, n, r) < 0)
			return -1;
	} else {
		if (r->n_protos > 0 || r->n_ports > 0)
			return conf_error(pc, loc, "nat takes no proto or port: it "
					  "translates every connection from the "
					  "sources leaving by the zone");
		if (r->n_dst != 1 || r->dst[0].kind != POL_EP_ZONE || r->dst[0].neg ||
		    p->zones[r->dst[0].idx].device[0] == '\0')
			return conf_error(pc, loc, "nat needs one zone with a device "
					  "after 'to' (the way out), such as 'to wan'");
		n->out = r->dst[0].idx;
	}
	snprintf(b, sizeof(b), "%s", what);
	if (n->rdr) {
		used = strlen(b);
		snprintf(b + used, sizeof(b) - used, " proto %s",
			 n->proto == IPPROTO_TCP ? "tcp" : "udp");
	}
	src_text(b, sizeof(b), p, n);
	used = strlen(b);
	if (n->rdr) {
		snprintf(b + used, sizeof(b) - used, " port %u to service \"%s\" (port %u)",
			 n->port, p->services[n->svc].name, n->to_port);
	} else {
		snprintf(b + used, sizeof(b) - used, " to %s", p->zones[n->out].name);
		if (n->has_addr) {
			struct pol_net a = { .family = 4, .plen = 32 };
			char s[64];

			memcpy(a.addr, n->addr, 4);
			policy_net_str(&a, s, sizeof(s));
			used = strlen(b);
			snprintf(b + used, sizeof(b) - used, " address %s", s);
		}
	}
	n->text = strdup(b);
	if (n->text == NULL)
		return conf_error(pc, loc, "out of memory");
	return 0;
}

/* ---- per-source limits (max-src-conn, max-src-conn-rate, overload) -------- */

#define LIMIT_MAX     1000000u          /* connections */
#define RATE_S_MAX    86400u            /* seconds in a max-src-conn-rate */
#define OVERLOAD_MAX  (366u * 86400u)
#define OVERLOAD_DEFAULT 3600u

/* A decimal number of at most 9 digits in s[0..n), into *v; -1 if it is not one. */
static int digits(const char *s, size_t n, uint32_t *v)
{
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (uint32_t)(s[i] - '0');
	}
	return 0;
}

int pol_limit(struct conf_pctx *pc, const struct cfg_loc *kw, const struct cfg_loc *val, int rate)
{
	struct pol_rule *r = pol_build_rule(pc);
	const char *s = pc->f.text + val->off, *slash;
	char tok[64];
	uint32_t n, secs, mult = 1;
	size_t dn;

	conf_show(tok, sizeof(tok), s, val->len);
	if (!rate) {
		if (r->max_src_conn != 0)
			return conf_error(pc, kw, "'max-src-conn' given twice in one rule");
		if (digits(s, val->len, &n) < 0 || n < 1 || n > LIMIT_MAX)
			return conf_error(pc, val, "invalid max-src-conn '%s', expected a "
					  "number of connections 1 .. %u", tok, LIMIT_MAX);
		r->max_src_conn = n;
		return 0;
	}
	if (r->rate_n != 0)
		return conf_error(pc, kw, "'max-src-conn-rate' given twice in one rule");
	slash = memchr(s, '/', val->len);
	dn = val->len - (size_t)(slash - s) - 1;
	switch (slash[dn]) {
	case 's': dn--; break;
	case 'm': mult = 60; dn--; break;
	case 'h': mult = 3600; dn--; break;
	case 'd': mult = 86400; dn--; break;
	default: break;
	}
	if (digits(s, (size_t)(slash - s), &n) < 0 || digits(slash + 1, dn, &secs) < 0 ||
	    n < 1 || n > LIMIT_MAX || secs < 1 || (uint64_t)secs * mult > RATE_S_MAX)
		return conf_error(pc, val, "invalid max-src-conn-rate '%s', expected "
				  "CONNECTIONS/SECONDS such as 20/5 (1 .. %u connections in "
				  "1s .. 1d)", tok, LIMIT_MAX);
	r->rate_n = n;
	r->rate_s = secs * mult;
	return 0;
}

int pol_overload(struct conf_pctx *pc, const struct cfg_loc *tbl, const struct cfg_loc *dur)
{
	struct policy *p = pol_build_policy(pc);
	struct pol_rule *r = pol_build_rule(pc);
	const char *w = pc->f.text + tbl->off + 1;
	size_t n = tbl->len - 2, i;
	uint64_t secs = OVERLOAD_DEFAULT;
	struct pol_table *t = NULL;

	if (r->overload != 0)
		return conf_error(pc, tbl, "'overload' given twice in one rule");
	for (i = 0; i < p->n_tables; i++)
		if (strlen(p->tables[i].name) == n && memcmp(p->tables[i].name, w, n) == 0)
			t = &p->tables[i];
	if (t == NULL)
		return conf_error(pc, tbl, "unknown table <%.*s>, expected one defined above "
				  "this line (`table <%.*s> { }`)", (int)n, w, (int)n, w);
	if (t->path != NULL || t->n_elems > 0)
		return conf_error(pc, tbl, "table <%s> is filled by overload, so it must be "
				  "declared empty: `table <%s> { }`", t->name, t->name);
	if (dur != NULL) {
		if (conf_num_duration(pc, dur, &secs) < 0)
			return -1;
		if (secs < 1 || secs > OVERLOAD_MAX) {
			char tok[64];

			conf_show(tok, sizeof(tok), pc->f.text + dur->off, dur->len);
			return conf_error(pc, dur, "overload time %s is out of range, expected "
					  "1s .. 366d", tok);
		}
	}
	t->overload = true;
	r->overload = (uint32_t)(t - p->tables) + 1;
	memcpy(r->overload_name, t->name, sizeof(r->overload_name));
	r->overload_s = (uint32_t)secs;
	return 0;
}

int pol_rule_fail(struct conf_pctx *pc, const struct cfg_loc *kw, int open)
{
	struct pol_rule *r = pol_build_rule(pc);

	if (r->fail)
		return conf_error(pc, kw, "'fail' given twice in one rule");
	r->fail = open ? POL_FAIL_OPEN : POL_FAIL_CLOSED;
	return 0;
}

int pol_limits_check(struct conf_pctx *pc, const struct cfg_loc *loc)
{
	const struct pol_rule *r = pol_build_rule(pc);
	bool lim = r->max_src_conn != 0 || r->rate_n != 0;

	if (!lim && r->overload == 0)
		return 0;
	if (r->overload != 0 && !lim)
		return conf_error(pc, loc, "'overload' without a limit, expected "
				  "max-src-conn or max-src-conn-rate in the same rule");
	if (r->action != VERDICT_PASS)
		return conf_error(pc, loc, "per-source limits on a block rule, expected them "
				  "on the pass rule whose connections they limit");
	if (r->dpi)
		return conf_error(pc, loc, "per-source limits are enforced in the kernel on "
				  "the first packet, expected them in a rule without app, "
				  "category, host or risk");
	return 0;
}
