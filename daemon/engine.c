/*
 * engine.c - see engine.h.
 */
#include "engine.h"

#include <pcap/dlt.h>
#include <string.h>

#define EXPIRE_EVERY_US 1000000ull

static const char *end_reason(enum flow_end why)
{
	switch (why) {
	case FLOW_END_FORCED: return "forced";
	case FLOW_END_SHUTDOWN: return "shutdown";
	case FLOW_END_REUSE: /* a closed flow whose tuple a new SYN took over */
	case FLOW_END_TIMEOUT:
	default: return "timeout";
	}
}

static const char *iface_of(const struct engine *e, const struct flow *f)
{
	return f->iface < CONF_MAX_IFACES ? e->ifname[f->iface] : NULL;
}

/* Detection of f just finished: write its dns/tls/http event. */
static void app_event(struct engine *e, struct flow *f, uint64_t ts_us)
{
	struct dpi_meta m;

	dpi_meta(e->dpi, &f->dpi, &m);
	if (m.kind != DPI_META_NONE)
		eve_app(e->eve, e->dpi, f, iface_of(e, f), &m, ts_us);
}

static void tuple_of(const struct flow *f, struct nft_flow *t)
{
	const struct flow_key *k = &f->key;

	memset(t, 0, sizeof(*t));
	t->family = k->ipver;
	t->proto = k->proto;
	memcpy(t->src, f->init_is_lo ? k->lo : k->hi, 16);
	memcpy(t->dst, f->init_is_lo ? k->hi : k->lo, 16);
	t->sport = f->init_is_lo ? k->lo_port : k->hi_port;
	t->dport = f->init_is_lo ? k->hi_port : k->lo_port;
}

/* Tell the policy side what nDPI knows now (first classification, final). */
static void query(struct engine *e, struct flow *f)
{
	struct verdict_query q;
	uint8_t want = f->dpi.done ? 2 : 1;

	if (!e->query_fn || f->blocked || f->queried >= want)
		return;
	if (!f->dpi.done && !f->dpi.app && !f->dpi.master)
		return;
	memset(&q, 0, sizeof(q));
	q.flow_id = f->id;
	tuple_of(f, &q.tuple);
	q.iface = f->iface;
	q.final = f->dpi.done;
	q.confidence = f->dpi.confidence;
	q.vlan[0] = f->key.vlan[0];
	q.vlan[1] = f->key.vlan[1];
	q.master = f->dpi.master;
	q.app = f->dpi.app;
	q.category = f->dpi.category;
	q.risk = f->dpi.risk;
	memcpy(q.hostname, f->dpi.hostname, sizeof(q.hostname));
	q.hostname[sizeof(q.hostname) - 1] = '\0';
	f->queried = want;
	e->queries++;
	e->query_fn(e->query_ctx, &q);
}

static void on_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct engine *e = ctx;

	if (!f->dpi.done && f->dpi.nf) {
		dpi_giveup(e->dpi, &f->dpi);
		app_event(e, f, f->last_us);
		query(e, f);
	}
	if (f->dpi.app || f->dpi.master)
		e->st.flows_classified++;
	else
		e->st.flows_unknown++;
	eve_flow(e->eve, e->dpi, f, iface_of(e, f), end_reason(why));
}

static void on_report(void *ctx, struct flow *f)
{
	struct engine *e = ctx;

	eve_flow(e->eve, e->dpi, f, iface_of(e, f), "active");
}

int engine_init(struct engine *e, const struct kastrod_conf *c, struct dpi *dpi,
		struct eve *eve, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->dpi = dpi;
	e->eve = eve;
	e->max_flows = c->max_flows;
	e->ft = flow_table_new(c->max_flows, c->timeout, c->active_timeout, on_end, on_report, e);
	if (!e->ft) {
		snprintf(err, errlen, "cannot allocate a flow table for %u flows", c->max_flows);
		return -1;
	}
	e->rl_decode.burst = 10;
	e->rl_decode.interval_s = 60;
	return 0;
}

void engine_flush(struct engine *e)
{
	flow_flush(e->ft);
}

void engine_fini(struct engine *e)
{
	if (!e->ft)
		return;
	flow_table_free(e->ft);
	e->ft = NULL;
}

static void set_now(struct engine *e, uint64_t ts_us)
{
	if (ts_us > e->now_us)
		e->now_us = ts_us;
	if (!e->first_us)
		e->first_us = e->now_us;
	if (e->now_us >= e->next_expire_us) {
		flow_expire(e->ft, e->now_us);
		e->next_expire_us = e->now_us + EXPIRE_EVERY_US;
	}
}

void engine_advance(struct engine *e, uint64_t now_us)
{
	if (e->now_us)
		set_now(e, now_us);
}

/* The packet path; returns the packet's flow, or NULL when it has none. */
static struct flow *packet(struct engine *e, uint8_t iface, int dlt, uint64_t ts_us,
			   const uint8_t *data, uint32_t caplen, uint32_t wire_len)
{
	struct dec_pkt p;
	enum dec_status st;
	struct flow *f;
	int dir;

	e->st.pkts++;
	e->st.bytes += wire_len;
	st = decode_frame(dlt, data, caplen, &p);
	e->st.dec[st]++;
	if (st != DEC_OK) {
		if (st != DEC_NOT_IP && st != DEC_FRAGMENT)
			log_limited(&e->rl_decode, LOG_LVL_WARN,
				    "packet %llu: %s (%u bytes captured), skipped",
				    (unsigned long long)e->st.pkts, decode_status_name(st), caplen);
		return NULL;
	}
	if (p.ipver == 4)
		e->st.ipv4++;
	else
		e->st.ipv6++;
	switch (p.proto) {
	case 6: e->st.tcp++; break;
	case 17: e->st.udp++; break;
	case 1: case 58: e->st.icmp++; break;
	default: e->st.other_l4++; break;
	}
	if (p.flags & DEC_F_TRUNCATED)
		e->st.truncated++;
	if (p.flags & DEC_F_FIRST_FRAG)
		e->st.first_frags++;
	e->st.tunnel[p.tunnel]++;

	set_now(e, ts_us);
	f = flow_packet(e->ft, &p, wire_len, iface, e->now_us, &dir);
	if (!f) {
		e->st.no_flow++;
		return NULL;
	}
	if (f->dpi.done)
		return f;
	if (dpi_packet(e->dpi, &f->dpi, p.proto, f->pkts[0] + f->pkts[1], p.l3, p.l3_len,
		       e->now_us / 1000)) {
		app_event(e, f, e->now_us);
		dpi_release(&f->dpi);
	}
	query(e, f);
	return f;
}

void engine_packet(struct engine *e, uint8_t iface, int dlt, uint64_t ts_us,
		   const uint8_t *data, uint32_t caplen, uint32_t wire_len)
{
	(void)packet(e, iface, dlt, ts_us, data, caplen, wire_len);
}

int engine_packet_inline(struct engine *e, uint64_t ts_us, const uint8_t *ip, uint32_t len)
{
	struct flow *f = packet(e, ENGINE_IFACE_NONE, DLT_RAW, ts_us, ip, len, len);

	if (!f)
		return ENGINE_UNDECIDED;
	if (f->blocked) {
		/* the gateway resets both ends: a new SYN on this tuple is a
		 * new connection (flow.c ends this one then) */
		if (f->key.proto == 6)
			f->state = FLOW_STATE_CLOSED;
		return ENGINE_BLOCK;
	}
	/* detection is over and the final query found no block: no DPI rule
	 * can match any more (or the stopping rule gave up on the flow) */
	if (f->dpi.done || f->dpi.skipped)
		return ENGINE_PASS;
	return ENGINE_UNDECIDED;
}

/* A flow record for a connection the sensor never saw (engine.h). */
static void ct_only_record(struct engine *e, const struct dec_pkt *p, const struct flow_key *k,
			   bool src_lo, const uint64_t pkts[2], const uint64_t bytes[2],
			   uint64_t start_us, uint64_t end_us)
{
	static struct flow f;   /* large (the DPI state); zero but for what is set below */

	memset(&f, 0, sizeof(f));
	f.key = *k;
	f.init_is_lo = src_lo;
	f.first_us = start_us && start_us <= end_us ? start_us : end_us;
	f.last_us = end_us;
	f.pkts[0] = pkts[0];
	f.pkts[1] = pkts[1];
	f.bytes[0] = bytes[0];
	f.bytes[1] = bytes[1];
	f.state = p->proto == 6 ? FLOW_STATE_CLOSED :
		  pkts[1] > 0 ? FLOW_STATE_ESTABLISHED : FLOW_STATE_NEW;
	f.iface = ENGINE_IFACE_NONE;
	f.id = (k->lo_port ^ ((uint64_t)k->hi_port << 16) ^ end_us * 0x9e3779b97f4a7c15ull) &
	       ((1ull << 51) - 1);
	set_now(e, end_us);
	e->ct_only++;
	eve_flow(e->eve, e->dpi, &f, NULL, "timeout");
}

int engine_ct_end(struct engine *e, const struct nft_flow *t, const uint64_t pkts[2],
		  const uint64_t bytes[2], uint64_t end_us, int unqueued, uint64_t start_us)
{
	struct dec_pkt p;
	struct flow_key k;
	struct flow *f;
	bool src_lo;
	int d, o;

	memset(&p, 0, sizeof(p));
	p.ipver = t->family;
	p.proto = t->proto;
	memcpy(p.src, t->src, 16);
	memcpy(p.dst, t->dst, 16);
	p.sport = t->sport;
	p.dport = t->dport;
	src_lo = flow_key_of(&p, &k);
	f = flow_find(e->ft, &k);
	if (!f && unqueued)
		ct_only_record(e, &p, &k, src_lo, pkts, bytes, start_us, end_us);
	if (!f)
		return 0;
	/* conntrack's original direction is the initiator's, as pkts[0] is,
	 * unless the flow saw the reply first */
	for (d = 0; d < 2; d++) {
		o = d;
		if (memcmp(f->init_is_lo ? f->key.lo : f->key.hi, t->src, 16) != 0)
			o = !d;
		if (pkts[d] > f->pkts[o])
			f->pkts[o] = pkts[d];
		if (bytes[d] > f->bytes[o])
			f->bytes[o] = bytes[d];
	}
	if (end_us > f->last_us)
		f->last_us = end_us;
	if (f->key.proto == 6)
		f->state = FLOW_STATE_CLOSED;
	set_now(e, end_us);
	flow_end_now(e->ft, f);
	return 1;
}

void engine_set_query_hook(struct engine *e, engine_query_fn fn, void *ctx)
{
	e->query_fn = fn;
	e->query_ctx = ctx;
}

void engine_verdict(struct engine *e, const struct verdict *v)
{
	struct dec_pkt p;
	struct flow_key k;
	struct flow *f;

	/* Find the flow again by its tuple: the key the table uses. */
	memset(&p, 0, sizeof(p));
	p.ipver = v->tuple.family;
	p.proto = v->tuple.proto;
	memcpy(p.src, v->tuple.src, 16);
	memcpy(p.dst, v->tuple.dst, 16);
	p.sport = v->tuple.sport;
	p.dport = v->tuple.dport;
	p.n_vlan = v->vlan[1] ? 2 : v->vlan[0] ? 1 : 0;
	p.vlan[0] = v->vlan[0];
	p.vlan[1] = v->vlan[1];
	flow_key_of(&p, &k);
	f = flow_find(e->ft, &k);
	if (!f || f->id != v->flow_id) {
		e->verdicts_stale++;
		return;
	}
	e->verdicts++;
	if (v->action == VERDICT_BLOCK)
		f->blocked = 1;
	if (v->action == VERDICT_BLOCK || v->log) {
		f->alerted = 1;
		e->alerts++;
		eve_alert(e->eve, e->dpi, f, iface_of(e, f), v, e->now_us);
	}
}

void engine_report_stats(struct engine *e, const struct engine_capture_stats *cs)
{
	struct flow_stats fs;
	struct dpi_stats ds;
	struct jw w;
	int i;

	flow_get_stats(e->ft, &fs);
	dpi_get_stats(e->dpi, &ds);

	eve_begin(e->eve, &w, e->now_us, "stats");
	jw_obj(&w, "stats");
	jw_u64(&w, "uptime", e->first_us ? (e->now_us - e->first_us) / 1000000 : 0);
	if (cs && cs->valid) {
		jw_obj(&w, "capture");
		jw_u64(&w, "kernel_packets", cs->kernel_packets);
		jw_u64(&w, "kernel_drops", cs->kernel_drops);
		jw_u64(&w, "kernel_ifdrops", cs->kernel_ifdrops);
		jw_obj_end(&w);
	}
	jw_obj(&w, "decoder");
	jw_u64(&w, "pkts", e->st.pkts);
	jw_u64(&w, "bytes", e->st.bytes);
	jw_u64(&w, "ipv4", e->st.ipv4);
	jw_u64(&w, "ipv6", e->st.ipv6);
	jw_u64(&w, "tcp", e->st.tcp);
	jw_u64(&w, "udp", e->st.udp);
	jw_u64(&w, "icmp", e->st.icmp);
	jw_u64(&w, "other", e->st.other_l4);
	jw_u64(&w, "ip_truncated", e->st.truncated);
	jw_u64(&w, "first_fragments", e->st.first_frags);
	for (i = 1; i < DEC_N; i++)
		jw_u64(&w, decode_status_name((enum dec_status)i), e->st.dec[i]);
	jw_obj(&w, "tunnels");
	for (i = 1; i < DEC_TUN_N; i++)
		jw_u64(&w, decode_tunnel_name((enum dec_tunnel)i), e->st.tunnel[i]);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_obj(&w, "flow");
	jw_u64(&w, "created", fs.created);
	jw_u64(&w, "active", fs.active);
	jw_u64(&w, "active_peak", fs.active_peak);
	jw_u64(&w, "max", e->max_flows);
	jw_u64(&w, "ended_timeout", fs.ended_timeout + fs.ended_reuse);
	jw_u64(&w, "ended_shutdown", fs.ended_shutdown);
	jw_u64(&w, "evicted", fs.ended_forced);
	jw_u64(&w, "evicted_established", fs.evicted_established);
	jw_u64(&w, "alloc_failed", fs.alloc_failed);
	jw_u64(&w, "pkts_without_flow", e->st.no_flow);
	jw_u64(&w, "classified", e->st.flows_classified);
	jw_u64(&w, "unknown", e->st.flows_unknown);
	jw_obj_end(&w);
	jw_obj(&w, "dpi");
	jw_u64(&w, "flows", ds.flows_dissected);
	jw_u64(&w, "pkts", ds.pkts);
	jw_u64(&w, "memcap_skipped", ds.flows_memcap);
	jw_u64(&w, "memory", ds.mem_bytes);
	jw_u64(&w, "memory_peak", ds.mem_peak);
	jw_obj_end(&w);
	jw_obj(&w, "policy");
	jw_u64(&w, "queries", e->queries);
	jw_u64(&w, "verdicts", e->verdicts);
	jw_u64(&w, "verdicts_late", e->verdicts_stale);
	jw_u64(&w, "alerts", e->alerts);
	jw_obj_end(&w);
	if (e->inl) {
		/* inline enforcement, as the relay counted it (up to a second old) */
		jw_obj(&w, "inline");
		jw_u64(&w, "queued", e->inl->queued);
		jw_u64(&w, "verdicts", e->inl->verdicts);
		jw_u64(&w, "passes", e->inl->passes);
		jw_u64(&w, "blocks", e->inl->blocks);
		jw_u64(&w, "resets", e->inl->resets);
		jw_u64(&w, "fail_open", e->inl->fail_open);
		jw_u64(&w, "fail_closed", e->inl->fail_closed);
		jw_u64(&w, "fail_events", e->inl->fail_events);
		jw_u64(&w, "queue_dropped", e->inl->kernel_queue_dropped);
		jw_u64(&w, "user_dropped", e->inl->kernel_user_dropped);
		jw_u64(&w, "hop_p50_us", e->inl->hop_p50_us);
		jw_u64(&w, "hop_p99_us", e->inl->hop_p99_us);
		jw_u64(&w, "flows_unqueued", e->ct_only);
		jw_obj_end(&w);
	}
	jw_obj(&w, "eve");
	jw_u64(&w, "events", e->eve->events);
	jw_u64(&w, "dropped_too_big", e->eve->dropped_too_big);
	jw_u64(&w, "write_errors", e->eve->write_errors);
	jw_u64(&w, "dropped_rate", e->eve->dropped_rate);
	jw_u64(&w, "skipped_empty", e->eve->skipped_empty);
	if (e->eve->tap) {
		/* counted before this event itself is handed over */
		jw_u64(&w, "link_sent", e->eve->tap_sent);
		jw_u64(&w, "link_dropped", e->eve->tap_dropped);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	eve_commit(e->eve, &w);

	log_info("stats: %llu packets (%llu bytes), kernel drops %llu; flows %llu created, "
		 "%llu active, %llu evicted (cap %u); classified %llu, unknown %llu; "
		 "skipped packets: %llu not IP, %llu fragments, %llu malformed",
		 (unsigned long long)e->st.pkts, (unsigned long long)e->st.bytes,
		 (unsigned long long)(cs && cs->valid ? cs->kernel_drops : 0),
		 (unsigned long long)fs.created, (unsigned long long)fs.active,
		 (unsigned long long)fs.ended_forced, e->max_flows,
		 (unsigned long long)e->st.flows_classified,
		 (unsigned long long)e->st.flows_unknown,
		 (unsigned long long)e->st.dec[DEC_NOT_IP],
		 (unsigned long long)e->st.dec[DEC_FRAGMENT],
		 (unsigned long long)(e->st.dec[DEC_SHORT] + e->st.dec[DEC_BAD_L2] +
				      e->st.dec[DEC_BAD_IP] + e->st.dec[DEC_BAD_L4] +
				      e->st.dec[DEC_TOO_DEEP] + e->st.dec[DEC_BAD_LINKTYPE]));
}
