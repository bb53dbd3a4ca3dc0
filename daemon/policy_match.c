/*
 * policy_match.c - the policy's answer about a classified flow: the first
 * DPI rule (application, category, host name or risk criteria) that
 * matches, and the verdict it gives. See policy.h and docs/config.md.
 *
 * Runs once or twice per flow (at classification and when detection ends),
 * so it scans the rules in order; nothing here allocates.
 */
#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool net_has(const struct pol_net *n, uint8_t family, const uint8_t *a)
{
	unsigned full = n->plen / 8, rest = n->plen % 8;

	if (n->family != family || memcmp(n->addr, a, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ n->addr[full]) & (0xff << (8 - rest))) == 0;
}

static bool nets_have(const struct pol_net *n, size_t count, uint8_t family,
		      const uint8_t *a)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (net_has(&n[i], family, a))
			return true;
	return false;
}

/*
 * Is address a in zone z? Its networks; a zone without networks stands for
 * every address in no other zone's networks (the default route's side).
 */
static bool zone_has(const struct policy *p, const struct pol_zone *z,
		     uint8_t family, const uint8_t *a)
{
	size_t i;

	if (z->n_nets > 0)
		return nets_have(z->nets, z->n_nets, family, a);
	for (i = 0; i < p->n_zones; i++)
		if (nets_have(p->zones[i].nets, p->zones[i].n_nets, family, a))
			return false;
	return true;
}

/*
 * One element against one end of the flow. src: the initiator, which also
 * matches a zone by the device the flow arrived on (dev, may be NULL).
 * A service as destination also needs the flow's protocol and port to be
 * one of the service's, unless the rule gives its own (own_ports).
 */
static bool ep_has(const struct policy *p, const struct pol_ep *e, bool src,
		   const struct nft_flow *t, const char *dev, bool own_ports)
{
	const uint8_t *a = src ? t->src : t->dst;
	const struct pol_service *sv;
	size_t i;

	switch (e->kind) {
	case POL_EP_ZONE:
		if (src && dev != NULL && p->zones[e->idx].device[0] != '\0' &&
		    strcmp(p->zones[e->idx].device, dev) == 0)
			return true;
		return zone_has(p, &p->zones[e->idx], t->family, a);
	case POL_EP_NET:
		return net_has(&e->net, t->family, a);
	case POL_EP_TABLE:
		/* only inline tables get here (the parser refuses file tables) */
		return nets_have(p->tables[e->idx].elems, p->tables[e->idx].n_elems,
				 t->family, a);
	case POL_EP_SERVICE:
		sv = &p->services[e->idx];
		if (!nets_have(sv->addrs, sv->n_addrs, t->family, a))
			return false;
		if (src || own_ports || sv->n_ports == 0)
			return true;
		for (i = 0; i < sv->n_ports; i++)
			if (sv->ports[i].proto == t->proto && t->dport >= sv->ports[i].lo &&
			    t->dport <= sv->ports[i].hi)
				return true;
		return false;
	}
	return false;
}

/* A list matches: some positive element (or none is given), no negative. */
static bool eps_match(const struct policy *p, const struct pol_ep *e, size_t n,
		      bool src, const struct nft_flow *t, const char *dev,
		      bool own_ports)
{
	bool pos = false, any_pos = false;
	size_t i;

	for (i = 0; i < n; i++) {
		bool has = ep_has(p, &e[i], src, t, dev, own_ports);

		if (e[i].neg && has)
			return false;
		if (!e[i].neg) {
			any_pos = true;
			pos = pos || has;
		}
	}
	return !any_pos || pos;
}

/* "*.example.org" matches a.example.org and a.b.example.org, not example.org. */
static bool host_match(const char *pat, const char *name)
{
	size_t pn = strlen(pat), nn = strlen(name);

	if (pat[0] == '*' && pat[1] == '.')
		return nn > pn - 1 && strcasecmp(name + nn - (pn - 1), pat + 1) == 0;
	return strcasecmp(pat, name) == 0;
}

static bool rule_match(const struct kastrod_conf *c, const struct pol_rule *r,
		       const struct verdict_query *q, const char *dev)
{
	const struct policy *p = c->policy;
	const struct nft_flow *t = &q->tuple;
	bool hit;
	size_t i;

	if (r->n_apps > 0) {
		for (hit = false, i = 0; i < r->n_apps && !hit; i++)
			hit = r->apps[i] == 0 ? q->app == 0 && q->master == 0 :
			      q->app == r->apps[i] || q->master == r->apps[i];
		if (!hit)
			return false;
	}
	if (r->n_cats > 0) {
		for (hit = false, i = 0; i < r->n_cats && !hit; i++)
			hit = q->category == r->cats[i];
		if (!hit)
			return false;
	}
	if (r->n_hosts > 0) {
		if (q->hostname[0] == '\0')
			return false;
		for (hit = false, i = 0; i < r->n_hosts && !hit; i++)
			hit = host_match(r->hosts[i], q->hostname);
		if (!hit)
			return false;
	}
	if (r->risk_any && q->risk == 0)
		return false;
	if (r->risks != 0 && (q->risk & r->risks) == 0)
		return false;
	if (r->n_protos > 0 && memchr(r->protos, t->proto, r->n_protos) == NULL)
		return false;
	if (r->n_ports > 0) {
		if (t->proto != 6 && t->proto != 17 && t->proto != 132)
			return false;
		for (hit = false, i = 0; i < r->n_ports && !hit; i++)
			hit = t->dport >= r->ports[i].lo && t->dport <= r->ports[i].hi;
		if (!hit)
			return false;
	}
	return eps_match(p, r->src, r->n_src, true, t, dev, false) &&
	       eps_match(p, r->dst, r->n_dst, false, t, dev,
			 r->n_ports > 0 || r->n_protos > 0);
}

const struct pol_rule *policy_match_dpi(const struct kastrod_conf *c,
					const struct verdict_query *q)
{
	const struct policy *p = c->policy;
	const char *dev = NULL;
	size_t i;

	if (p == NULL || (q->tuple.family != 4 && q->tuple.family != 6))
		return NULL;
	if (q->iface < c->n_ifaces && q->iface < CONF_MAX_IFACES)
		dev = c->ifaces[q->iface];
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].dpi && rule_match(c, &p->rules[i], q, dev))
			return &p->rules[i];
	return NULL;
}

void policy_verdict(const struct pol_rule *r, const struct verdict_query *q,
		    struct verdict *v)
{
	size_t n = strlen(r->text);

	memset(v, 0, sizeof(*v));
	v->flow_id = q->flow_id;
	v->query_ns = q->sent_ns;
	v->tuple = q->tuple;
	v->vlan[0] = q->vlan[0];
	v->vlan[1] = q->vlan[1];
	v->rule_id = r->id;
	v->action = r->action;
	v->severity = r->severity;
	v->log = r->log;
	/* a text that does not fit ends in "..." */
	if (n < sizeof(v->signature)) {
		memcpy(v->signature, r->text, n + 1);
	} else {
		memcpy(v->signature, r->text, sizeof(v->signature) - 4);
		memcpy(v->signature + sizeof(v->signature) - 4, "...", 4);
	}
	snprintf(v->category, sizeof(v->category), "Application policy");
}
