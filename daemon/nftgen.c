/*
 * nftgen.c - see nftgen.h: the policy's static rules as nft script text.
 *
 * Each static rule becomes one or more nft rules: a brace list that mixes
 * interfaces, IPv4 and IPv6 addresses, tables and services is split into
 * the alternatives nft can express in one rule each (a device set, an
 * IPv4 set, an IPv6 set, one table's set, one service with its ports), and
 * the rule is written once per pair of source and destination alternatives
 * whose address families agree. Negated items ('!') are added to every one
 * of those rules; a rule that applies to both families but has a negated
 * address of one family is split per family, since `ip saddr != X` never
 * matches an IPv6 packet.
 *
 * The text is meant to be read (kastrod -n prints it): one comment per
 * policy rule with its number, place and normalised text.
 */
#include "nftgen.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "inline.h"

/* A growing string; after a failure (memory, NFTGEN_MAX) it stays failed. */
struct sb {
	char *p;
	size_t len, cap;
	bool bad;
};

static void __attribute__((format(printf, 2, 3)))
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->bad)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = b->p != NULL ? vsnprintf(b->p + b->len, room, fmt, ap) : -2;
		va_end(ap);
		if (n == -1) {
			b->bad = true;
			return;
		}
		if (n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (b->cap >= NFTGEN_MAX) {
			b->bad = true;
			return;
		}
		{
			size_t nc = b->cap == 0 ? 4096 : b->cap * 2;
			char *q;

			if (nc > NFTGEN_MAX)
				nc = NFTGEN_MAX;
			q = realloc(b->p, nc);
			if (q == NULL) {
				b->bad = true;
				return;
			}
			b->p = q;
			b->cap = nc;
		}
	}
}

/* Text for a comment: one line, no control bytes. */
static void sb_comment(struct sb *b, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		sb_add(b, "%c", (unsigned char)s[i] < 0x20 ? '?' : s[i]);
}

int nftgen_set_name(const struct pol_table *t, int family, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "t_%s_%d", t->name, family);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- one side of a rule --------------------------------------------------- */

/* One way a side can match, in family fam (0: either). */
struct alt {
	int fam;
	struct sb text;
};

struct side {
	struct alt *alts;               /* at most 2 per item, plus 3 */
	size_t n;
	struct sb neg[3];               /* negations: any family, IPv4, IPv6 */
};

static const char *pfx(int fam)
{
	return fam == 4 ? "ip" : "ip6";
}

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->alts[i].text.p);
	free(s->alts);
	for (i = 0; i < 3; i++)
		free(s->neg[i].p);
}

/* Nets of one family as an nft value: one address, or a set. */
static void nets_text(struct sb *b, const struct pol_net **nets, size_t n)
{
	char a[64];
	size_t i;

	sb_add(b, n > 1 ? "{ " : "");
	for (i = 0; i < n; i++) {
		policy_net_str(nets[i], a, sizeof(a));
		sb_add(b, "%s%s", i > 0 ? ", " : "", a);
	}
	sb_add(b, n > 1 ? " }" : "");
}

static void svc_ports_text(struct sb *b, const struct pol_service *sv)
{
	char p[16];
	size_t i;

	/* nft wants a set for a concatenation, even of one element */
	sb_add(b, " meta l4proto . th dport { ");
	for (i = 0; i < sv->n_ports; i++) {
		policy_proto_str(sv->ports[i].proto, p, sizeof(p));
		if (sv->ports[i].lo == sv->ports[i].hi)
			sb_add(b, "%s%s . %u", i > 0 ? ", " : "", p, sv->ports[i].lo);
		else
			sb_add(b, "%s%s . %u-%u", i > 0 ? ", " : "", p, sv->ports[i].lo,
			       sv->ports[i].hi);
	}
	sb_add(b, " }");
}

struct collect {
	const struct pol_net **v[2];    /* IPv4, IPv6 */
	size_t n[2];
	const char **dev;
	size_t n_dev;
};

static int collect_net(struct collect *c, const struct pol_net *n)
{
	int k = n->family == 4 ? 0 : 1;
	const struct pol_net **q;

	if ((c->n[k] & (c->n[k] + 1)) == 0 || c->n[k] == 0) {
		q = realloc(c->v[k], (2 * c->n[k] + 2) * sizeof(*q));
		if (q == NULL)
			return -1;
		c->v[k] = q;
	}
	c->v[k][c->n[k]++] = n;
	return 0;
}

static void collect_free(struct collect *c)
{
	free(c->v[0]);
	free(c->v[1]);
	free(c->dev);
}

static struct alt *new_alt(struct side *s, int fam)
{
	struct alt *a = &s->alts[s->n++];

	memset(a, 0, sizeof(*a));
	a->fam = fam;
	return a;
}

/*
 * The alternatives and negations of one side (dst: the destination).
 * Services as destination bring their ports unless the rule has its own.
 */
static int side_build(const struct policy *p, const struct pol_rule *r, bool dst,
		      struct side *s)
{
	const struct pol_ep *e = dst ? r->dst : r->src;
	size_t n = dst ? r->n_dst : r->n_src, i, k;
	const char *dir = dst ? "daddr" : "saddr", *ifk = dst ? "oifname" : "iifname";
	bool own = r->n_ports > 0 || r->n_protos > 0;
	struct collect pos = { 0 }, neg = { 0 };
	char set[64];
	int f, rc = -1;

	memset(s, 0, sizeof(*s));
	s->alts = calloc(2 * n + 3, sizeof(*s->alts));
	pos.dev = calloc(n + 1, sizeof(char *));
	neg.dev = calloc(n + 1, sizeof(char *));
	if (s->alts == NULL || pos.dev == NULL || neg.dev == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct collect *c = e[i].neg ? &neg : &pos;

		switch (e[i].kind) {
		case POL_EP_ZONE: {
			const struct pol_zone *z = &p->zones[e[i].idx];

			if (z->device[0] != '\0') {
				c->dev[c->n_dev++] = z->device;
				break;
			}
			for (k = 0; k < z->n_nets; k++)
				if (collect_net(c, &z->nets[k]) < 0)
					goto out;
			break;
		}
		case POL_EP_NET:
			if (collect_net(c, &e[i].net) < 0)
				goto out;
			break;
		case POL_EP_TABLE:
			for (f = 4; f <= 6; f += 2) {
				struct sb *t;

				if (nftgen_set_name(&p->tables[e[i].idx], f, set, sizeof(set)) < 0)
					goto out;
				if (e[i].neg) {
					t = &s->neg[f == 4 ? 1 : 2];
					sb_add(t, " %s %s != @%s", pfx(f), dir, set);
				} else {
					t = &new_alt(s, f)->text;
					sb_add(t, " %s %s @%s", pfx(f), dir, set);
				}
			}
			break;
		case POL_EP_SERVICE: {
			const struct pol_service *sv = &p->services[e[i].idx];
			struct collect one = { 0 };

			if (!dst || own || sv->n_ports == 0 || e[i].neg) {
				for (k = 0; k < sv->n_addrs; k++)
					if (collect_net(c, &sv->addrs[k]) < 0)
						goto out;
				break;
			}
			for (k = 0; k < sv->n_addrs; k++)
				if (collect_net(&one, &sv->addrs[k]) < 0) {
					collect_free(&one);
					goto out;
				}
			for (f = 0; f < 2; f++) {
				struct alt *a;

				if (one.n[f] == 0)
					continue;
				a = new_alt(s, f == 0 ? 4 : 6);
				sb_add(&a->text, " %s %s ", pfx(a->fam), dir);
				nets_text(&a->text, one.v[f], one.n[f]);
				svc_ports_text(&a->text, sv);
			}
			collect_free(&one);
			break;
		}
		}
	}
	if (pos.n_dev > 0) {
		struct alt *a = new_alt(s, 0);

		sb_add(&a->text, " %s %s", ifk, pos.n_dev > 1 ? "{ " : "");
		for (i = 0; i < pos.n_dev; i++)
			sb_add(&a->text, "%s\"%s\"", i > 0 ? ", " : "", pos.dev[i]);
		sb_add(&a->text, pos.n_dev > 1 ? " }" : "");
	}
	for (f = 0; f < 2; f++) {
		if (pos.n[f] > 0) {
			struct alt *a = new_alt(s, f == 0 ? 4 : 6);

			sb_add(&a->text, " %s %s ", pfx(a->fam), dir);
			nets_text(&a->text, pos.v[f], pos.n[f]);
		}
		if (neg.n[f] > 0) {
			sb_add(&s->neg[f + 1], " %s %s != ", pfx(f == 0 ? 4 : 6), dir);
			nets_text(&s->neg[f + 1], neg.v[f], neg.n[f]);
		}
	}
	if (neg.n_dev > 0) {
		sb_add(&s->neg[0], " %s != %s", ifk, neg.n_dev > 1 ? "{ " : "");
		for (i = 0; i < neg.n_dev; i++)
			sb_add(&s->neg[0], "%s\"%s\"", i > 0 ? ", " : "", neg.dev[i]);
		sb_add(&s->neg[0], neg.n_dev > 1 ? " }" : "");
	}
	if (s->n == 0)
		sb_add(&new_alt(s, 0)->text, "%s", "");
	rc = 0;
	for (i = 0; i < s->n; i++)
		if (s->alts[i].text.bad)
			rc = -1;
	for (i = 0; i < 3; i++)
		if (s->neg[i].bad)
			rc = -1;
out:
	collect_free(&pos);
	collect_free(&neg);
	return rc;
}

/* ---- rules --------------------------------------------------------------- */

static const char *log_level(uint8_t severity)
{
	static const char *const lv[] = { "warn", "crit", "err", "warn", "notice" };

	return severity <= 4 ? lv[severity] : "warn";
}

static void proto_ports(struct sb *b, const struct pol_rule *r)
{
	static const uint8_t tcp_udp[] = { 6, 17 };
	const uint8_t *pr = r->n_protos > 0 ? r->protos : tcp_udp;
	size_t n = r->n_protos > 0 ? r->n_protos : 2, i;
	char a[16];

	if (r->n_protos == 0 && r->n_ports == 0)
		return;
	sb_add(b, " meta l4proto %s", n > 1 ? "{ " : "");
	for (i = 0; i < n; i++) {
		policy_proto_str(pr[i], a, sizeof(a));
		sb_add(b, "%s%s", i > 0 ? ", " : "", strcmp(a, "icmpv6") == 0 ? "ipv6-icmp" : a);
	}
	sb_add(b, n > 1 ? " }" : "");
	if (r->n_ports == 0)
		return;
	sb_add(b, " th dport %s", r->n_ports > 1 ? "{ " : "");
	for (i = 0; i < r->n_ports; i++) {
		if (r->ports[i].lo == r->ports[i].hi)
			sb_add(b, "%s%u", i > 0 ? ", " : "", r->ports[i].lo);
		else
			sb_add(b, "%s%u-%u", i > 0 ? ", " : "", r->ports[i].lo, r->ports[i].hi);
	}
	sb_add(b, r->n_ports > 1 ? " }" : "");
}

static void limit_guards(struct sb *b, const struct pol_rule *r, int fam, bool need_fam,
			 bool syn, const char *match);
static bool has_synproxy(const struct policy *p);

static void emit(struct sb *b, const struct pol_rule *r, bool syn, int fam, bool need_fam,
		 const struct alt *sa, const struct side *s,
		 const struct alt *da, const struct side *d, const char *act)
{
	sb_add(b, "\t\t");
	if (need_fam)
		sb_add(b, "meta nfproto %s ", fam == 4 ? "ipv4" : "ipv6");
	/* skip the leading blank of each fragment on the first one */
	{
		struct sb line = { 0 };
		size_t pre;

		sb_add(&line, "%s%s", sa->text.p, s->neg[0].p ? s->neg[0].p : "");
		if (fam != 0 && s->neg[fam == 4 ? 1 : 2].p)
			sb_add(&line, "%s", s->neg[fam == 4 ? 1 : 2].p);
		sb_add(&line, "%s%s", da->text.p, d->neg[0].p ? d->neg[0].p : "");
		if (fam != 0 && d->neg[fam == 4 ? 1 : 2].p)
			sb_add(&line, "%s", d->neg[fam == 4 ? 1 : 2].p);
		proto_ports(&line, r);
		/* a rule from any to any with no protocol has no match at all */
		if (!line.bad)
			limit_guards(b, r, fam, need_fam, syn, line.len > 0 ? line.p + 1 : "");
		pre = line.len;
		sb_add(&line, " counter");
		if (act != NULL)
			sb_add(&line, " %s", act);
		else if (r->log)
			sb_add(&line, " log prefix \"kastro rule %u: \" level %s", r->id,
			       log_level(r->severity));
		if (act == NULL && r->ret && r->action == VERDICT_BLOCK) {
			/* block return: TCP gets a reset, the rest ICMP unreachable */
			if (!line.bad)
				sb_add(b, "%.*s meta l4proto tcp counter reject with tcp reset\n\t\t",
				       (int)(pre > 0 ? pre - 1 : 0), pre > 0 ? line.p + 1 : "");
			if (need_fam)
				sb_add(b, "meta nfproto %s ", fam == 4 ? "ipv4" : "ipv6");
			sb_add(&line, " reject with icmpx port-unreachable");
		} else if (act == NULL) {
			sb_add(&line, " %s", r->action == VERDICT_BLOCK ? "drop" : "accept");
		}
		if (line.bad)
			b->bad = true;
		else
			sb_add(b, "%s\n", line.p + 1);
		free(line.p);
	}
}

static bool has_neg(const struct side *s, int k)
{
	return s->neg[k].len > 0;
}

static int static_rule(struct sb *b, const struct policy *p, const struct pol_rule *r,
		       const char *act)
{
	struct side *s = calloc(1, sizeof(*s)), *d = calloc(1, sizeof(*d));
	bool syn = r->action == VERDICT_PASS && has_synproxy(p);
	size_t i, j, written = 0;
	int rc = -1;

	if (s == NULL || d == NULL) {
		free(s);
		free(d);
		return -1;
	}
	if (side_build(p, r, false, s) < 0 || side_build(p, r, true, d) < 0)
		goto out;
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < d->n; j++) {
			int fs = s->alts[i].fam, fd = d->alts[j].fam;
			int fam = fs != 0 ? fs : fd;
			bool split;

			if (fs != 0 && fd != 0 && fs != fd)
				continue;
			split = fam == 0 && (has_neg(s, 1) || has_neg(s, 2) ||
					     has_neg(d, 1) || has_neg(d, 2));
			if (split) {
				emit(b, r, syn, 4, true, &s->alts[i], s, &d->alts[j], d, act);
				emit(b, r, syn, 6, true, &s->alts[i], s, &d->alts[j], d, act);
			} else {
				emit(b, r, syn, fam, false, &s->alts[i], s, &d->alts[j], d, act);
			}
			written++;
		}
	}
	if (written == 0)
		sb_add(b, "\t\t# (no combination of source and destination "
			  "address families can match)\n");
	rc = 0;
out:
	side_free(s);
	side_free(d);
	free(s);
	free(d);
	return rc;
}

/* ---- the script ---------------------------------------------------------- */

static void set_decl(struct sb *b, const struct pol_table *t, int fam, uint32_t size)
{
	const struct pol_net **v = NULL;
	char name[64];
	size_t i, n = 0;

	if (nftgen_set_name(t, fam, name, sizeof(name)) < 0) {
		b->bad = true;
		return;
	}
	/* auto-merge only where nft itself adds the elements: with it, nft
	 * reads every element already in the set before each load, and the
	 * kernel's dump of a large interval set takes time quadratic in its
	 * size. kastrod merges the ranges of tables from files itself. */
	if (t->overload) {
		/* filled from the packet path by `overload`; elements carry their timeout */
		sb_add(b, "\tset %s {\n\t\ttype %s\n\t\tsize %u\n\t\tflags dynamic,timeout\n\t}\n",
		       name, fam == 4 ? "ipv4_addr" : "ipv6_addr", size);
		return;
	}
	sb_add(b, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n%s",
	       name, fam == 4 ? "ipv4_addr" : "ipv6_addr", t->path == NULL ? "\t\tauto-merge\n" : "");
	if (t->path != NULL) {
		sb_add(b, "\t\t# filled by kastrod from ");
		sb_comment(b, t->path);
		sb_add(b, "\n");
	}
	for (i = 0; i < t->n_elems; i++)
		n += t->elems[i].family == fam;
	if (n > 0) {
		v = malloc(n * sizeof(*v));
		if (v == NULL) {
			b->bad = true;
			return;
		}
		n = 0;
		for (i = 0; i < t->n_elems; i++)
			if (t->elems[i].family == fam)
				v[n++] = &t->elems[i];
		sb_add(b, "\t\telements = { ");
		for (i = 0; i < n; i++) {
			char a[64];

			policy_net_str(v[i], a, sizeof(a));
			sb_add(b, "%s%s", i == 0 ? "" : i % 8 == 0 ? ",\n\t\t\t" : ", ", a);
		}
		sb_add(b, " }\n");
		free(v);
	}
	sb_add(b, "\t}\n");
}

/* "ip daddr != { console }" for family fam, or "" when none is set. */
static void console_not(struct sb *b, const struct policy *p, int fam, const char *dir)
{
	const struct pol_net **v;
	size_t i, n = 0;

	if (p == NULL)
		return;
	v = malloc((p->n_console + 1) * sizeof(*v));
	if (v == NULL) {
		b->bad = true;
		return;
	}
	for (i = 0; i < p->n_console; i++)
		if (p->console[i].family == fam)
			v[n++] = &p->console[i];
	if (n > 0) {
		sb_add(b, " %s %s != ", pfx(fam), dir);
		nets_text(b, v, n);
	}
	free(v);
}

static void quarantine(struct sb *b, const struct policy *p, bool fwd)
{
	int f;

	for (f = 4; f <= 6; f += 2) {
		sb_add(b, "\t\t%s saddr @quarantine%d", pfx(f), f);
		console_not(b, p, f, "daddr");
		sb_add(b, " counter drop\n");
		if (!fwd)
			continue;
		sb_add(b, "\t\t%s daddr @quarantine%d", pfx(f), f);
		console_not(b, p, f, "saddr");
		sb_add(b, " counter drop\n");
	}
}

/*
 * Inline enforcement (inline.h): after the static rules (priority filter)
 * have dropped what they drop, new connections a DPI rule could match are
 * marked "under inspection" and queued with every later packet until the
 * verdict; the verdict chain writes it on the connection and rejects
 * blocked ones (TCP reset, ICMP unreachable otherwise).
 */
static void inline_chains(struct sb *b, const struct kastrod_conf *c)
{
	const struct policy *p = c->policy;
	const unsigned m = INL_MARK_MASK, keep = ~INL_MARK_MASK;
	const unsigned clr = ~(INL_MARK_MASK | INL_MARK_UNQUEUED | INL_MARK_FAILOPEN);
	const unsigned unq = INL_MARK_PASS | INL_MARK_UNQUEUED, fo = INL_MARK_FAILOPEN;
	size_t i;

	sb_add(b, "\n\tchain inline_gate {\n"
		  "\t\ttype filter hook forward priority filter + 10; policy accept;\n"
		  "\t\t# the queue rules and the relay read how it fails from the packet mark\n"
		  "\t\tct mark & 0x%08x == 0x%08x meta mark set meta mark | 0x%08x goto %s\n"
		  "\t\tct mark & 0x%08x == 0x%08x goto %s\n"
		  "\t\t# a SYN that reopens a closed connection is judged afresh\n"
		  "\t\ttcp flags & (syn | ack) == syn goto inline_sel\n"
		  "\t\tct mark & 0x%08x != 0 accept\n"
		  "\t\t# older than kastrod's table: too late to inspect\n"
		  "\t\tct state != new ct mark set ct mark & 0x%08x | 0x%08x accept\n"
		  "\t\tgoto inline_sel\n\t}\n"
		  "\n\tchain inline_sel {\n",
	       m | fo, INL_MARK_INSPECT | fo, fo, INL_QUEUE_CHAIN,
	       m, INL_MARK_INSPECT, INL_QUEUE_CHAIN, m, clr, unq);
	for (i = 0; i < p->n_rules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (!r->dpi)
			continue;
		sb_add(b, "\t\t# rule %u: the connections it could match\n", r->id);
		if (static_rule(b, p, r, (r->fail ? r->fail == POL_FAIL_OPEN : c->inline_fail_open) ?
				"goto inline_new_open" : "goto inline_new") < 0)
			b->bad = true;
	}
	sb_add(b, "\t\t# no DPI rule can match: passed, never queued\n"
		  "\t\tct mark set ct mark & 0x%08x | 0x%08x\n\t}\n"
		  "\n\tchain inline_new {\n"
		  "\t\tct mark set ct mark & 0x%08x | 0x%08x\n"
		  "\t\tgoto %s\n\t}\n"
		  "\n\tchain inline_new_open {\n"
		  "\t\tct mark set ct mark & 0x%08x | 0x%08x\n"
		  "\t\tmeta mark set meta mark | 0x%08x\n"
		  "\t\tgoto %s\n\t}\n"
		  "\n\tchain %s {\n"
		  "\t\t# the queue rules (NFQUEUE %u; with bypass for packets marked\n"
		  "\t\t# 0x%08x, failing open): kastrod writes them through\n"
		  "\t\t# libnftnl before this ruleset, which leaves them in place\n"
		  "\t}\n",
	       clr, unq, clr, INL_MARK_INSPECT, INL_QUEUE_CHAIN,
	       clr, INL_MARK_INSPECT | fo, fo, INL_QUEUE_CHAIN, INL_QUEUE_CHAIN,
	       c->inline_queue, fo);
	sb_add(b, "\n\tchain inline_verdict {\n"
		  "\t\ttype filter hook forward priority filter + 20; policy accept;\n"
		  "\t\t# most packets: connections judged pass, nothing to do\n"
		  "\t\tct mark & 0x%08x == 0x%08x accept\n"
		  "\t\tct mark & 0x%08x == 0x%08x meta mark & 0x%08x == 0x%08x "
		  "ct mark set ct mark & 0x%08x | 0x%08x\n"
		  "\t\tct mark & 0x%08x == 0x%08x meta mark & 0x%08x == 0x%08x "
		  "ct mark set ct mark & 0x%08x | 0x%08x\n"
		  "\t\tmeta mark & 0x%08x != 0 meta mark set meta mark & 0x%08x\n"
		  "\t\tct mark & 0x%08x == 0x%08x meta l4proto tcp counter reject with tcp reset\n"
		  "\t\tct mark & 0x%08x == 0x%08x counter reject with icmpx port-unreachable\n"
		  "\t}\n",
	       m, INL_MARK_PASS,
	       m, INL_MARK_INSPECT, m, INL_MARK_BLOCK, keep, INL_MARK_BLOCK,
	       m, INL_MARK_INSPECT, m, INL_MARK_PASS, keep, INL_MARK_PASS,
	       m | fo, ~(m | fo), m, INL_MARK_BLOCK, m, INL_MARK_BLOCK);
}

/* ---- synproxy ------------------------------------------------------------- */

#define SYNPROXY_OPTS "synproxy mss 1460 wscale 7 timestamp sack-perm"

static bool has_synproxy(const struct policy *p)
{
	size_t i;

	for (i = 0; p != NULL && i < p->n_services; i++)
		if (p->services[i].synproxy)
			return true;
	return false;
}

/* "ip daddr { A, B } tcp dport { P, Q-R }" of service sv's family fam; false if none. */
static bool synproxy_match(struct sb *b, const struct pol_service *sv, int fam)
{
	const struct pol_net **v = calloc(sv->n_addrs + 1, sizeof(*v));
	size_t i, n = 0, k = 0;

	if (v == NULL) {
		b->bad = true;
		return false;
	}
	for (i = 0; i < sv->n_addrs; i++)
		if (sv->addrs[i].family == fam)
			v[n++] = &sv->addrs[i];
	for (i = 0; i < sv->n_ports; i++)
		k += sv->ports[i].proto == 6;
	if (n > 0 && k > 0) {
		sb_add(b, "%s daddr ", pfx(fam));
		nets_text(b, v, n);
		sb_add(b, " tcp dport { ");
		for (i = 0, k = 0; i < sv->n_ports; i++) {
			if (sv->ports[i].proto != 6)
				continue;
			if (sv->ports[i].lo == sv->ports[i].hi)
				sb_add(b, "%s%u", k++ ? ", " : "", sv->ports[i].lo);
			else
				sb_add(b, "%s%u-%u", k++ ? ", " : "", sv->ports[i].lo, sv->ports[i].hi);
		}
		sb_add(b, " }");
	}
	free(v);
	return n > 0 && k > 0;
}

/*
 * Services with `synproxy`: their SYNs are not tracked (raw prerouting),
 * so that the pass rule that lets one through answers it with a SYN cookie
 * instead (the `ct state untracked` line emit() writes before each pass);
 * the client's ACK that returns the cookie is checked here, before the
 * forward chain, and only then does the gateway open the connection to the
 * server. With `default pass` every source may connect, so SYNs are
 * answered here too.
 */
static void synproxy_chains(struct sb *b, const struct policy *p)
{
	size_t i;
	int f, h;

	if (!has_synproxy(p))
		return;
	for (h = 0; h < 2; h++) {
		if (h == 0)
			sb_add(b, "\n\tchain synproxy_raw {\n\t\ttype filter hook prerouting priority raw; "
				  "policy accept;\n");
		else
			sb_add(b, "\n\tchain synproxy_fwd {\n\t\ttype filter hook forward priority "
				  "filter - 5; policy accept;\n");
		for (i = 0; i < p->n_services; i++) {
			const struct pol_service *sv = &p->services[i];

			if (!sv->synproxy)
				continue;
			for (f = 4; f <= 6; f += 2) {
				struct sb m = { 0 };

				if (!synproxy_match(&m, sv, f) || m.bad) {
					b->bad = b->bad || m.bad;
					free(m.p);
					continue;
				}
				if (h == 0) {
					sb_add(b, "\t\t%s tcp flags & (syn | ack) == syn notrack\n", m.p);
				} else {
					sb_add(b, "\t\t%s ct state invalid,new tcp flags & (syn | ack | fin | rst) "
						  "== ack " SYNPROXY_OPTS "\n", m.p);
					if (p->default_action == VERDICT_PASS)
						sb_add(b, "\t\t%s ct state untracked " SYNPROXY_OPTS "\n", m.p);
				}
				free(m.p);
			}
		}
		sb_add(b, "\t}\n");
	}
}

/* ---- per-source limits ---------------------------------------------------- */

/*
 * A pass rule with max-src-conn or max-src-conn-rate: before each of its
 * accept lines, with the same match, a line per limit that drops a new
 * connection over it (and puts its source into the overload table, with
 * the overload time). The sources are tracked in sets of their own per rule
 * and family, l<id>c4 (connection counts) and l<id>r4 (rates), at most
 * `src-nodes` each: beyond that new sources are not limited, and a line
 * after each limit counts them in named counter src_full (a source that
 * the full set could not take is not in it). An overload table that is
 * full cannot take the source either: the connection is dropped all the
 * same (chain l<id>o<f>) and counted in overload_full.
 */
static void limit_sets(struct sb *b, const struct policy *p, uint32_t size)
{
	size_t i;
	int f;
	bool lim = false, ovl = false;

	for (i = 0; i < p->n_rules; i++) {
		lim = lim || p->rules[i].max_src_conn || p->rules[i].rate_n;
		ovl = ovl || ((p->rules[i].max_src_conn || p->rules[i].rate_n) && p->rules[i].overload);
	}
	if (lim)
		sb_add(b, "\tcounter src_full {\n\t}\n");
	if (ovl)
		sb_add(b, "\tcounter overload_full {\n\t}\n");

	for (i = 0; i < p->n_rules; i++) {
		const struct pol_rule *r = &p->rules[i];

		for (f = 4; f <= 6; f += 2) {
			const char *ty = f == 4 ? "ipv4_addr" : "ipv6_addr";

			if (r->max_src_conn)
				sb_add(b, "\tset l%uc%d {\n\t\ttype %s\n\t\tsize %u\n"
					  "\t\tflags dynamic\n\t}\n", r->id, f, ty, size);
			if (r->rate_n)
				sb_add(b, "\tset l%ur%d {\n\t\ttype %s\n\t\tsize %u\n"
					  "\t\tflags dynamic,timeout\n\t\ttimeout %us\n\t}\n",
				       r->id, f, ty, size, r->rate_s < 60 ? 60 : r->rate_s);
		}
	}
}

/* N per S seconds as an nft rate: the smallest unit that keeps it whole. */
static void rate_text(struct sb *b, uint32_t n, uint32_t s)
{
	static const struct { uint32_t secs; const char *unit; } u[] = {
		{ 1, "second" }, { 60, "minute" }, { 3600, "hour" }, { 86400, "day" },
	};
	size_t i;

	for (i = 0; i < 4; i++)
		if (((uint64_t)n * u[i].secs) % s == 0 || i == 3) {
			uint64_t v = ((uint64_t)n * u[i].secs + s - 1) / s;

			sb_add(b, "%llu/%s", (unsigned long long)v, u[i].unit);
			return;
		}
}

/*
 * Called by emit() with the line it has begun (indentation, family) and the
 * match of the accept line: writes each guard as a line of its own and
 * begins the accept line again.
 */
static void limit_guards(struct sb *b, const struct pol_rule *r, int fam, bool need_fam,
			 bool syn, const char *match)
{
	int f, k;

	if (!r->max_src_conn && !r->rate_n && !syn)
		return;
	for (f = 4; f <= 6; f += 2) {
		const char *pf = f == 4 ? "ip" : "ip6";

		if (fam != 0 && fam != f)
			continue;
		for (k = 0; k < 2; k++) {
			if ((k == 0 && !r->max_src_conn) || (k == 1 && !r->rate_n))
				continue;
			/* emit() has begun the line: "\t\t" and, with need_fam, the family */
			if (fam == 0 && !need_fam)
				sb_add(b, "meta nfproto %s ", f == 4 ? "ipv4" : "ipv6");
			/* a SYN to a synproxy service is untracked: rates apply to it too */
			sb_add(b, "%s ct state %s add @l%u%c%d { %s saddr ", match,
			       k == 1 && syn ? "new,untracked" : "new", r->id, k == 0 ? 'c' : 'r', f, pf);
			if (k == 0) {
				sb_add(b, "ct count over %u }", r->max_src_conn);
			} else {
				sb_add(b, "limit rate over ");
				rate_text(b, r->rate_n, r->rate_s);
				sb_add(b, " burst %u packets }", r->rate_n);
			}
			if (r->overload)
				sb_add(b, " counter jump l%uo%d\n\t\t", r->id, f);
			else
				sb_add(b, " counter drop\n\t\t");
			/* the set was full: the source is not in it */
			if (fam == 0 && !need_fam)
				sb_add(b, "meta nfproto %s ", f == 4 ? "ipv4" : "ipv6");
			sb_add(b, "%s ct state %s %s saddr != @l%u%c%d counter name src_full\n\t\t",
			       match, k == 1 && syn ? "new,untracked" : "new", pf, r->id,
			       k == 0 ? 'c' : 'r', f);
			if (need_fam)
				sb_add(b, "meta nfproto %s ", fam == 4 ? "ipv4" : "ipv6");
		}
	}
	if (syn)
		sb_add(b, "%s ct state untracked counter " SYNPROXY_OPTS "\n\t\t%s", match,
		       need_fam ? (fam == 4 ? "meta nfproto ipv4 " : "meta nfproto ipv6 ") : "");
}

/* Sources in an overload table lose all traffic through and to the gateway. */
static void overload_chains(struct sb *b, const struct policy *p)
{
	const char *hooks[2] = { "forward", "input" };
	size_t i;
	int h, f;
	bool any = false;

	/* a limit's overload: the source goes into the table (when it has
	 * room) and the connection is dropped either way */
	for (i = 0; i < p->n_rules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (!r->overload || (!r->max_src_conn && !r->rate_n))
			continue;
		for (f = 4; f <= 6; f += 2)
			sb_add(b, "\n\tchain l%uo%d {\n"
				  "\t\t# implicit: rule %u puts the source into <%s> for %u s\n"
				  "\t\tadd @t_%s_%d { %s saddr timeout %us } drop\n"
				  "\t\t# <%s> is full\n"
				  "\t\tcounter name overload_full drop\n\t}\n",
			       r->id, f, r->id, r->overload_name, r->overload_s, r->overload_name, f,
			       f == 4 ? "ip" : "ip6", r->overload_s, r->overload_name);
	}

	for (i = 0; i < p->n_tables; i++)
		any = any || p->tables[i].overload;
	if (!any)
		return;
	for (h = 0; h < 2; h++) {
		sb_add(b, "\n\tchain overload_%s {\n\t\ttype filter hook %s priority filter - 5; "
			  "policy accept;\n", h == 0 ? "fwd" : "in", hooks[h]);
		for (i = 0; i < p->n_tables; i++) {
			if (!p->tables[i].overload)
				continue;
			for (f = 4; f <= 6; f += 2)
				sb_add(b, "\t\t%s saddr @t_%s_%d counter drop comment \"kastro overload "
					  "<%s>\"\n", f == 4 ? "ip" : "ip6", p->tables[i].name, f,
				       p->tables[i].name);
		}
		sb_add(b, "\t}\n");
	}
}

/* ---- the gateway itself and NAT ------------------------------------------ */

/*
 * Traffic to the gateway (pf's `self`): a base chain of its own at the input
 * hook, after `input` (quarantine). What keeps the host alive passes
 * first; then the rules written `to self`; the rest follows `default`
 * (with `default block`: dropped and counted). Built only from a policy.
 */
static void self_chain(struct sb *b, const struct policy *p)
{
	bool block = p->default_action == VERDICT_BLOCK;
	size_t i;

	sb_add(b, "\n\tchain self_in {\n"
		  "\t\ttype filter hook input priority filter + 10; policy %s;\n"
		  "\t\t# implicit: loopback, replies, IPv6 neighbour discovery, ICMP errors\n"
		  "\t\tiif \"lo\" accept\n"
		  "\t\tct state established,related accept\n"
		  "\t\tct state invalid counter drop\n"
		  "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, "
		  "nd-router-solicit, nd-router-advert, nd-redirect } ip6 hoplimit 255 accept\n"
		  "\t\ticmpv6 type { destination-unreachable, packet-too-big, "
		  "time-exceeded, parameter-problem } accept\n"
		  "\t\ticmp type { destination-unreachable, time-exceeded, "
		  "parameter-problem } accept\n", block ? "drop" : "accept");
	for (i = 0; i < p->n_zones; i++) {
		const struct pol_zone *z = &p->zones[i];

		if (!z->dhcp)
			continue;
		sb_add(b, "\t\t# zone %s: the gateway's address comes by DHCP\n", z->name);
		sb_add(b, "\t\tiifname \"%s\" udp sport 67 udp dport 68 accept\n", z->device);
		sb_add(b, "\t\tiifname \"%s\" ip6 saddr fe80::/10 udp sport 547 "
			  "udp dport 546 accept\n", z->device);
	}
	for (i = 0; i < p->n_rules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (!r->self)
			continue;
		sb_add(b, "\t\t# rule %u (", r->id);
		sb_comment(b, r->file);
		sb_add(b, ":%d): ", r->line);
		sb_comment(b, r->text);
		sb_add(b, "\n");
		if (static_rule(b, p, r, NULL) < 0)
			b->bad = true;
	}
	sb_add(b, "\t\t# everything else to the gateway: the default\n"
		  "\t\tcounter%s %s comment \"kastro self default\"\n\t}\n",
	       p->default_log ? (block ? " log prefix \"kastro self: \" level warn" :
				 " log prefix \"kastro self: \" level info") : "",
	       block ? "drop" : "accept");
}

/*
 * One NAT statement's sources as matches. rdr: the devices of its zones
 * (prerouting knows the input device). nat: IPv4 networks and tables; a
 * zone stands for its networks, as postrouting has no input device.
 */
static void nat_src(struct sb *b, const struct policy *p, const struct pol_nat *n)
{
	struct sb dev = { 0 }, nets = { 0 };
	size_t i, k, nd = 0, nn = 0;
	char a[64], set[64];

	for (i = 0; i < n->n_src; i++) {
		const struct pol_ep *e = &n->src[i];

		if (e->neg)
			continue;
		if (e->kind == POL_EP_ZONE && n->rdr) {
			sb_add(&dev, "%s\"%s\"", nd++ > 0 ? ", " : "", p->zones[e->idx].device);
		} else if (e->kind == POL_EP_ZONE) {
			const struct pol_zone *z = &p->zones[e->idx];

			for (k = 0; k < z->n_nets; k++) {
				if (z->nets[k].family != 4)
					continue;
				policy_net_str(&z->nets[k], a, sizeof(a));
				sb_add(&nets, "%s%s", nn++ > 0 ? ", " : "", a);
			}
		} else if (e->kind == POL_EP_NET) {
			policy_net_str(&e->net, a, sizeof(a));
			sb_add(&nets, "%s%s", nn++ > 0 ? ", " : "", a);
		}
	}
	if (nd > 0)
		sb_add(b, " iifname { %s }", dev.p);
	if (nn > 0)
		sb_add(b, " ip saddr { %s }", nets.p);
	for (i = 0; i < n->n_src; i++) {
		const struct pol_ep *e = &n->src[i];

		if (e->kind == POL_EP_TABLE) {
			if (nftgen_set_name(&p->tables[e->idx], 4, set, sizeof(set)) < 0)
				b->bad = true;
			else
				sb_add(b, " ip saddr %s@%s", e->neg ? "!= " : "", set);
		} else if (e->neg && e->kind == POL_EP_NET) {
			policy_net_str(&e->net, a, sizeof(a));
			sb_add(b, " ip saddr != %s", a);
		} else if (e->neg && e->kind == POL_EP_ZONE) {
			const struct pol_zone *z = &p->zones[e->idx];

			for (k = 0; k < z->n_nets; k++)
				if (z->nets[k].family == 4) {
					policy_net_str(&z->nets[k], a, sizeof(a));
					sb_add(b, " ip saddr != %s", a);
				}
		}
	}
	if (dev.bad || nets.bad)
		b->bad = true;
	free(dev.p);
	free(nets.p);
}

static void nat_comment(struct sb *b, const struct pol_nat *n)
{
	sb_add(b, "\t\t# %s %u (", n->rdr ? "rdr" : "nat", n->id);
	sb_comment(b, n->file);
	sb_add(b, ":%d): ", n->line);
	sb_comment(b, n->text);
	sb_add(b, "\n");
}

/* NAT: destination NAT before routing (rdr), source NAT after it (nat). */
static void nat_chains(struct sb *b, const struct policy *p)
{
	char a[64];
	size_t i;

	if (p->n_nats == 0)
		return;
	sb_add(b, "\n\tchain nat_pre {\n"
		  "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	for (i = 0; i < p->n_nats; i++) {
		const struct pol_nat *n = &p->nats[i];
		struct pol_net t = { .family = 4, .plen = 32 };

		if (!n->rdr)
			continue;
		memcpy(t.addr, n->svc_addr, 4);
		policy_net_str(&t, a, sizeof(a));
		nat_comment(b, n);
		sb_add(b, "\t\tmeta nfproto ipv4");
		nat_src(b, p, n);
		sb_add(b, " fib daddr type local %s dport %u counter dnat ip to %s:%u"
			  " comment \"kastro rdr %u\"\n",
		       n->proto == 6 ? "tcp" : "udp", n->port, a, n->to_port, n->id);
	}
	sb_add(b, "\t}\n\n\tchain nat_post {\n"
		  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (i = 0; i < p->n_nats; i++) {
		const struct pol_nat *n = &p->nats[i];

		if (n->rdr)
			continue;
		nat_comment(b, n);
		sb_add(b, "\t\tmeta nfproto ipv4 oifname \"%s\"", p->zones[n->out].device);
		nat_src(b, p, n);
		if (n->has_addr) {
			struct pol_net t = { .family = 4, .plen = 32 };

			memcpy(t.addr, n->addr, 4);
			policy_net_str(&t, a, sizeof(a));
			sb_add(b, " counter snat ip to %s", a);
		} else {
			sb_add(b, " counter masquerade");
		}
		sb_add(b, " comment \"kastro nat %u\"\n", n->id);
	}
	sb_add(b, "\t}\n");
}

int nftgen_script(const struct kastrod_conf *c, char **out, char *err, size_t errlen)
{
	const struct policy *p = c->policy;
	bool block = p != NULL && p->default_action == VERDICT_BLOCK;
	struct sb b = { 0 };
	size_t i;

	*out = NULL;
	sb_add(&b, "# kastro ruleset, generated by kastrod from its policy\n"
		   "table inet kastro {\n"
		   "\tset quarantine4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
		   "\tset quarantine6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n\t}\n");
	for (i = 0; p != NULL && i < p->n_tables; i++) {
		set_decl(&b, &p->tables[i], 4, c->src_nodes);
		set_decl(&b, &p->tables[i], 6, c->src_nodes);
	}
	if (p != NULL)
		limit_sets(&b, p, c->src_nodes);
	sb_add(&b, "\n\tchain input {\n"
		   "\t\ttype filter hook input priority filter; policy accept;\n");
	quarantine(&b, p, false);
	sb_add(&b, "\t}\n\n\tchain forward {\n"
		   "\t\ttype filter hook forward priority filter; policy %s;\n",
	       block ? "drop" : "accept");
	quarantine(&b, p, true);
	sb_add(&b, "\t\tct state established,related accept\n"
		   "\t\tct state invalid drop\n");
	for (i = 0; p != NULL && i < p->n_rules; i++) {
		const struct pol_rule *r = &p->rules[i];

		if (r->self)
			continue;       /* in chain self_in */
		sb_add(&b, "\t\t# rule %u (", r->id);
		sb_comment(&b, r->file);
		sb_add(&b, ":%d)%s: ", r->line, r->dpi ? ", decided by kastrod on classified flows" : "");
		sb_comment(&b, r->text);
		sb_add(&b, "\n");
		if (!r->dpi && static_rule(&b, p, r, NULL) < 0)
			b.bad = true;
	}
	sb_add(&b, "\t\t# default\n\t\tcounter%s %s\n\t}\n",
	       p != NULL && p->default_log ?
	       (block ? " log prefix \"kastro default: \" level warn" :
			" log prefix \"kastro default: \" level info") : "",
	       block ? "drop" : "accept");
	if (inl_wanted(c))
		inline_chains(&b, c);
	if (p != NULL) {
		self_chain(&b, p);
		nat_chains(&b, p);
		overload_chains(&b, p);
		synproxy_chains(&b, p);
	}
	sb_add(&b, "}\n");
	if (b.bad) {
		free(b.p);
		snprintf(err, errlen, "cannot build the nftables script: out of memory "
			 "or larger than %u bytes", NFTGEN_MAX);
		return -1;
	}
	*out = b.p;
	return 0;
}

static void check_warn(void *ctx, const char *path, uint64_t line, const char *why)
{
	(void)ctx;
	if (line == 0)
		fprintf(stderr, "%s: %s\n", path, why);
	else
		fprintf(stderr, "%s:%llu: %s, line skipped\n", path,
			(unsigned long long)line, why);
}

int nftgen_check(const struct kastrod_conf *c, const char *name)
{
	char err[1024], *script;
	size_t i;

	if (nftgen_script(c, &script, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return 1;
	}
	for (i = 0; c->policy != NULL && i < c->policy->n_tables; i++) {
		const struct pol_table *t = &c->policy->tables[i];
		struct blocklist bl;

		if (t->path == NULL)
			continue;
		if (blocklist_load(t->path, &bl, check_warn, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "warning: table <%s>: %s\n", t->name, err);
			continue;
		}
		fprintf(stderr, "table <%s>: %zu IPv4 and %zu IPv6 prefixes from %s, "
			"%llu malformed lines skipped\n", t->name, bl.n4, bl.n6, t->path,
			(unsigned long long)bl.skipped);
		blocklist_free(&bl);
	}
	if (!policy_gw_manageable(c->policy))
		fprintf(stderr, "warning: no rule passes SSH (tcp port 22) to the gateway "
			"itself: with this policy it can be managed only from its own "
			"console; add e.g. `pass proto tcp from <admins> to self port 22` "
			"(ignore this if sshd listens on another port that a rule passes)\n");
	printf("%s: configuration OK\n%s", name, script);
	free(script);
	return fflush(stdout) == 0 ? 0 : 1;
}
