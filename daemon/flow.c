/*
 * flow.c - see flow.h.
 *
 * Index: chained hash with a power-of-two bucket array, at least as many
 * buckets as max_flows. Records are malloc'd one by one and never more than
 * max_flows at a time, so memory is bounded by the configuration.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "dpi.h"

#define US 1000000ull

struct lru {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow **buckets;
	uint64_t mask;
	uint32_t max_flows;
	uint64_t timeout_us[CONF_TO_N];
	uint64_t active_us;              /* 0: no active reports */
	struct lru lru[CONF_TO_N];
	struct flow *ahead, *atail;      /* report order */
	flow_end_fn on_end;
	flow_report_fn on_report;
	void *ctx;
	struct flow_stats st;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t key_hash(const struct flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	uint32_t w32;
	size_t i;

	_Static_assert(sizeof(struct flow_key) == 44, "flow_key has no padding holes");
	for (i = 0; i + 8 <= sizeof(*k); i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	memcpy(&w32, b + i, 4);
	h = (h ^ w32) * 0x100000001b3ull;
	return mix64(h);
}

bool flow_key_of(const struct dec_pkt *p, struct flow_key *k)
{
	int c = memcmp(p->src, p->dst, 16);
	bool src_lo = c < 0 || (c == 0 && p->sport <= p->dport);

	if (src_lo) {
		memcpy(k->lo, p->src, 16);
		memcpy(k->hi, p->dst, 16);
		k->lo_port = p->sport;
		k->hi_port = p->dport;
	} else {
		memcpy(k->lo, p->dst, 16);
		memcpy(k->hi, p->src, 16);
		k->lo_port = p->dport;
		k->hi_port = p->sport;
	}
	k->vlan[0] = p->n_vlan > 0 ? p->vlan[0] : 0;
	k->vlan[1] = p->n_vlan > 1 ? p->vlan[1] : 0;
	k->proto = p->proto;
	k->ipver = p->ipver;
	k->pad[0] = k->pad[1] = 0;
	return src_lo;
}

static void lru_unlink(struct lru *l, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct lru *l, struct flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/*
 * Queue f by its enq_us, walking back from the tail: f was seen recently,
 * so it belongs near the tail and the walk is short. Keeps the list sorted,
 * so expiry stops at the first flow that is not due.
 */
static void lru_insert_sorted(struct lru *l, struct flow *f)
{
	struct flow *after = l->tail;

	while (after && after->enq_us > f->enq_us)
		after = after->prev;
	f->prev = after;
	f->next = after ? after->next : l->head;
	if (f->next)
		f->next->prev = f;
	else
		l->tail = f;
	if (after)
		after->next = f;
	else
		l->head = f;
}

static void act_unlink(struct flow_table *t, struct flow *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else
		t->ahead = f->anext;
	if (f->anext)
		f->anext->aprev = f->aprev;
	else
		t->atail = f->aprev;
	f->aprev = f->anext = NULL;
}

static void act_append(struct flow_table *t, struct flow *f)
{
	f->anext = NULL;
	f->aprev = t->atail;
	if (t->atail)
		t->atail->anext = f;
	else
		t->ahead = f;
	t->atail = f;
}

struct flow_table *flow_table_new(uint32_t max_flows, const uint32_t timeouts[CONF_TO_N],
				  uint32_t active_timeout, flow_end_fn on_end,
				  flow_report_fn on_report, void *ctx)
{
	struct flow_table *t;
	uint64_t nb = 1024;
	int i;

	if (max_flows == 0)
		return NULL;
	while (nb < max_flows)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->mask = nb - 1;
	t->max_flows = max_flows;
	for (i = 0; i < CONF_TO_N; i++)
		t->timeout_us[i] = (uint64_t)timeouts[i] * US;
	t->active_us = (uint64_t)active_timeout * US;
	t->on_end = on_end;
	t->on_report = on_report;
	t->ctx = ctx;
	return t;
}

/* Unlink f from every list, hand it to on_end, free it. */
static void end_flow(struct flow_table *t, struct flow *f, enum flow_end why)
{
	struct flow **pp = &t->buckets[key_hash(&f->key) & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(&t->lru[f->tclass], f);
	act_unlink(t, f);
	switch (why) {
	case FLOW_END_TIMEOUT: t->st.ended_timeout++; break;
	case FLOW_END_FORCED: t->st.ended_forced++; break;
	case FLOW_END_SHUTDOWN: t->st.ended_shutdown++; break;
	case FLOW_END_REUSE: t->st.ended_reuse++; break;
	}
	t->st.active--;
	t->on_end(t->ctx, f, why);
	dpi_release(&f->dpi);
	free(f);
}

/*
 * The flow to evict when the table is full. Under a flood the table fills
 * with flows that never completed a handshake or carried a reply, so those
 * go first: the longest-queued of TCP flows without a handshake (or already
 * closed); then of other flows that saw one direction only; then of any
 * flow but established TCP; an established TCP flow only when nothing else
 * is left. Only the heads of the class lists are looked at (each list is in
 * about last-seen order), so this costs a few comparisons.
 */
static struct flow *oldest(struct flow_table *t)
{
	static const uint8_t order[] = { CONF_TO_TCP_NEW, CONF_TO_TCP_CLOSED, CONF_TO_UDP,
					 CONF_TO_ICMP, CONF_TO_OTHER, CONF_TO_TCP_EST };
	struct flow *best = NULL;
	int tier, i;

	for (tier = 0; tier < 4 && !best; tier++) {
		for (i = 0; i < (int)sizeof(order); i++) {
			struct flow *h = t->lru[order[i]].head;
			int ht;

			if (!h)
				continue;
			if (order[i] == CONF_TO_TCP_NEW || order[i] == CONF_TO_TCP_CLOSED)
				ht = 0;
			else if (order[i] == CONF_TO_TCP_EST)
				ht = 3;
			else
				ht = h->state == FLOW_STATE_NEW ? 1 : 2;
			if (ht == tier && (!best || h->enq_us < best->enq_us))
				best = h;
		}
	}
	return best;
}

static uint8_t class_of(const struct flow *f)
{
	switch (f->key.proto) {
	case 6:
		if (f->state == FLOW_STATE_CLOSED)
			return CONF_TO_TCP_CLOSED;
		return f->state == FLOW_STATE_ESTABLISHED ? CONF_TO_TCP_EST : CONF_TO_TCP_NEW;
	case 17:
		return CONF_TO_UDP;
	case 1:
	case 58:
		return CONF_TO_ICMP;
	default:
		return CONF_TO_OTHER;
	}
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static void update_state(struct flow *f, const struct dec_pkt *p, int dir)
{
	if (f->key.proto != 6) {
		if (f->pkts[0] && f->pkts[1])
			f->state = FLOW_STATE_ESTABLISHED;
		return;
	}
	f->tcp_flags[dir] |= p->tcp_flags;
	if (p->tcp_flags & TH_RST) {
		f->state = FLOW_STATE_CLOSED;
		return;
	}
	if (p->tcp_flags & TH_FIN)
		f->fin[dir] = 1;
	if (f->fin[0] && f->fin[1]) {
		f->state = FLOW_STATE_CLOSED;
		return;
	}
	if (f->state == FLOW_STATE_NEW && f->pkts[0] && f->pkts[1] &&
	    (f->tcp_flags[0] & TH_ACK) && (f->tcp_flags[1] & TH_ACK))
		f->state = FLOW_STATE_ESTABLISHED;
}

struct flow *flow_packet(struct flow_table *t, const struct dec_pkt *p, uint32_t wire_len,
			 uint8_t iface, uint64_t now_us, int *dir)
{
	struct flow_key k;
	bool src_lo = flow_key_of(p, &k);
	uint64_t h = key_hash(&k);
	struct flow **bucket = &t->buckets[h & t->mask];
	struct flow *f;
	uint8_t cls;

	for (f = *bucket; f; f = f->hnext)
		if (memcmp(&f->key, &k, sizeof(k)) == 0)
			break;

	/* A new SYN on a closed TCP flow is a new connection (port reuse). */
	if (f && f->state == FLOW_STATE_CLOSED && k.proto == 6 &&
	    (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		end_flow(t, f, FLOW_END_REUSE);
		f = NULL;
		bucket = &t->buckets[h & t->mask];
	}

	if (!f) {
		if (t->st.active >= t->max_flows) {
			struct flow *victim = oldest(t);

			if (victim && victim->tclass == CONF_TO_TCP_EST)
				t->st.evicted_established++;
			if (victim)
				end_flow(t, victim, FLOW_END_FORCED);
			bucket = &t->buckets[h & t->mask];
		}
		f = calloc(1, sizeof(*f));
		if (!f) {
			t->st.alloc_failed++;
			return NULL;
		}
		f->key = k;
		/* The first packet's sender opened the flow, unless it is a SYN-ACK. */
		f->init_is_lo = src_lo;
		if (k.proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
			f->init_is_lo = !src_lo;
		f->first_us = now_us;
		f->last_report_us = now_us;
		f->id = mix64(h ^ now_us) & ((1ull << 51) - 1);
		f->iface = iface;
		f->tunnel = p->tunnel;
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
		f->tclass = class_of(f);
		f->enq_us = now_us;
		f->hnext = *bucket;
		*bucket = f;
		lru_append(&t->lru[f->tclass], f);
		act_append(t, f);
		t->st.created++;
		if (++t->st.active > t->st.active_peak)
			t->st.active_peak = t->st.active;
	}

	*dir = (src_lo == (bool)f->init_is_lo) ? 0 : 1;
	f->pkts[*dir]++;
	f->bytes[*dir] += wire_len;
	f->last_us = now_us;
	update_state(f, p, *dir);

	cls = class_of(f);
	if (cls != f->tclass) {
		lru_unlink(&t->lru[f->tclass], f);
		f->tclass = cls;
		f->enq_us = now_us;
		lru_append(&t->lru[cls], f);
	}
	return f;
}

struct flow *flow_find(struct flow_table *t, const struct flow_key *k)
{
	struct flow *f;

	for (f = t->buckets[key_hash(k) & t->mask]; f; f = f->hnext)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

void flow_expire(struct flow_table *t, uint64_t now_us)
{
	int i;

	for (i = 0; i < CONF_TO_N; i++) {
		struct flow *f;

		/* Queued in order of enq_us; a flow seen since is queued again. */
		while ((f = t->lru[i].head) && f->enq_us + t->timeout_us[i] <= now_us) {
			if (f->last_us + t->timeout_us[i] <= now_us) {
				end_flow(t, f, FLOW_END_TIMEOUT);
			} else {
				lru_unlink(&t->lru[i], f);
				f->enq_us = f->last_us;
				lru_insert_sorted(&t->lru[i], f);
			}
		}
	}
	if (t->active_us == 0 || !t->on_report)
		return;
	while (t->ahead && t->ahead->last_report_us + t->active_us <= now_us) {
		struct flow *f = t->ahead;

		f->last_report_us = now_us;
		act_unlink(t, f);
		act_append(t, f);
		t->on_report(t->ctx, f);
	}
}

void flow_end_now(struct flow_table *t, struct flow *f)
{
	end_flow(t, f, FLOW_END_TIMEOUT);
}

void flow_flush(struct flow_table *t)
{
	struct flow *f;

	/* In order of first packet, so output follows the capture. */
	while ((f = t->ahead))
		end_flow(t, f, FLOW_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	flow_flush(t);
	free(t->buckets);
	free(t);
}

void flow_get_stats(const struct flow_table *t, struct flow_stats *s)
{
	*s = t->st;
}
