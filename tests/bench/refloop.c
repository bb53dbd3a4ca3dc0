/*
 * refloop.c - the floor: what classifying a capture with nDPI costs when
 * nothing else is done.
 *
 *   refloop [-f MAX_FLOWS] FILE.pcap
 *
 * Reads an Ethernet capture with libpcap (802.1Q / 802.1ad tags allowed, as
 * mkbig writes them), finds the flow of every IPv4 and IPv6 packet in a hash
 * table keyed on the outermost and innermost VLAN ids + 5-tuple (both
 * directions map to one flow), and
 * hands the packet to ndpi_detection_process_packet() with the stopping
 * rule of ndpiReader 4.2: feed a flow until nDPI knows its application
 * protocol and ndpi_extra_dissection_possible() says no more metadata can
 * come, or until more than 80 (TCP) / 24 (UDP) packets were seen; a flow
 * that stops unclassified, or is still unclassified at the end of the file,
 * goes through ndpi_detection_giveup() with guessing on. Other frames
 * (ARP, ...), non-first IPv4 fragments and truncated headers are counted
 * and skipped. No flow expiry, no output per flow, no metadata reads: the
 * program prints one line of counts and the time the loop took, and exists
 * so that the gateway's throughput can be given as a fraction of it.
 *
 * The nDPI flow state of a finished flow is freed at once; the flow record
 * (key, counters) stays until the end. The table grows by doubling and
 * holds at most MAX_FLOWS flows (default 4,000,000); packets of flows
 * beyond that are counted as dropped.
 *
 * Output, one line on stdout:
 *   refloop: packets N ip N skipped N dropped N flows N classified N
 *            guessed N dpi_packets N seconds S pps P
 * (classified: flows that ended with a protocol, guesses included; guessed:
 * those decided by port or address guess; seconds: from start-up to the
 * end of the capture, nDPI initialisation included). Exit status 0; 1 on an
 * error; 2 on a usage error; 3 when packets were dropped because the flow
 * table was full, since the time then does not measure the whole capture.
 */
#include <errno.h>
#include <inttypes.h>
#include <ndpi_api.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "num.h"

#define REF_DEFAULT_MAX_FLOWS 4000000ULL
#define REF_MAX_MAX_FLOWS (1ULL << 25)
#define REF_TABLE_MIN 4096              /* slots; a power of two */
#define REF_MAX_TAGS 4                  /* VLAN tags walked per frame */
#define REF_MAX_V6_EXT 8                /* IPv6 extension headers walked */
#define REF_TCP_MAX_PKTS 80             /* ndpiReader's -T default */
#define REF_UDP_MAX_PKTS 24             /* ndpiReader's -U default */

#define PROTO_TCP 6
#define PROTO_UDP 17

/* Flow key, normalised so that both directions give the same bytes. */
struct flow_key {
	uint8_t addr_lo[16];            /* IPv4 in the first 4 bytes */
	uint8_t addr_hi[16];
	uint16_t port_lo;               /* host order; 0 without ports */
	uint16_t port_hi;
	uint32_t vlan;                  /* outermost id << 12 | innermost */
	uint8_t ipver;
	uint8_t l4;
	uint8_t pad[6];                 /* zero: the key is hashed as bytes */
};

struct flow {
	struct flow_key key;
	uint64_t hash;                  /* 0 = empty slot */
	struct ndpi_flow_struct *nf;    /* NULL once detection is over */
	uint32_t packets;
	uint16_t app;                   /* upper protocol when finished */
	bool done;
};

struct ref {
	struct ndpi_detection_module_struct *mod;
	struct flow *slot;
	uint64_t cap;                   /* slots, a power of two */
	uint64_t n_flows;
	uint64_t max_flows;
	/* counters */
	uint64_t packets, ip_packets, skipped, dropped, dpi_packets;
	uint64_t classified;             /* flows with a protocol at the end */
	uint64_t guessed;                /* ... of those, by port or IP guess */
};

static uint16_t rd16be(const u_char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t key_hash(const struct flow_key *k)
{
	uint64_t w[sizeof(*k) / 8], h = 0x9e3779b97f4a7c15ULL;

	_Static_assert(sizeof(struct flow_key) % 8 == 0, "key padding");
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = mix64(h ^ w[i]);
	return h == 0 ? 1 : h;          /* 0 marks an empty slot */
}

/* Double the table. Returns 0, or -1 when memory runs out. */
static int grow(struct ref *r)
{
	uint64_t ncap = r->cap * 2;
	struct flow *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (uint64_t i = 0; i < r->cap; i++) {
		uint64_t j;

		if (r->slot[i].hash == 0)
			continue;
		for (j = r->slot[i].hash & (ncap - 1); ns[j].hash != 0;
		    j = (j + 1) & (ncap - 1))
			;
		ns[j] = r->slot[i];
	}
	free(r->slot);
	r->slot = ns;
	r->cap = ncap;
	return 0;
}

/*
 * Find or create the flow for k. Returns NULL when the flow is new and the
 * table is full (MAX_FLOWS reached or out of memory).
 */
static struct flow *flow_get(struct ref *r, const struct flow_key *k)
{
	uint64_t h = key_hash(k), i;
	struct flow *f;

	for (i = h & (r->cap - 1); r->slot[i].hash != 0;
	    i = (i + 1) & (r->cap - 1)) {
		f = &r->slot[i];
		if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	}
	if (r->n_flows >= r->max_flows)
		return NULL;
	if ((r->n_flows + 1) * 2 > r->cap) {
		if (grow(r) == -1)
			return NULL;
		for (i = h & (r->cap - 1); r->slot[i].hash != 0;
		    i = (i + 1) & (r->cap - 1))
			;
	}
	f = &r->slot[i];
	f->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
	if (f->nf == NULL)
		return NULL;
	memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
	f->key = *k;
	f->hash = h;
	f->packets = 0;
	f->done = false;
	f->app = NDPI_PROTOCOL_UNKNOWN;
	r->n_flows++;
	return f;
}

/*
 * Stop dissecting f: give up (with guessing) if nDPI has no application
 * protocol yet, count the outcome and free the nDPI state.
 */
static void flow_finish(struct ref *r, struct flow *f, ndpi_protocol p)
{
	uint8_t guessed = 0;

	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		p = ndpi_detection_giveup(r->mod, f->nf, 1, &guessed);
	f->app = ndpi_get_upper_proto(p);
	if (f->app != NDPI_PROTOCOL_UNKNOWN)
		r->classified++;
	r->guessed += guessed != 0;
	ndpi_flow_free(f->nf);
	f->nf = NULL;
	f->done = true;
}

/* Fill the address and port part of k, lower (address, port) first. */
static void key_set(struct flow_key *k, const uint8_t *src, const uint8_t *dst,
		    size_t alen, uint16_t sport, uint16_t dport)
{
	int c = memcmp(src, dst, alen);

	if (c < 0 || (c == 0 && sport <= dport)) {
		memcpy(k->addr_lo, src, alen);
		memcpy(k->addr_hi, dst, alen);
		k->port_lo = sport;
		k->port_hi = dport;
	} else {
		memcpy(k->addr_lo, dst, alen);
		memcpy(k->addr_hi, src, alen);
		k->port_lo = dport;
		k->port_hi = sport;
	}
}

/*
 * Parse the L3/L4 headers at ip (cap bytes captured). On success fills k
 * (addresses, ports, protocol, version) and *iplen (bytes of the IP packet
 * present in the capture) and returns 0; returns -1 for anything nDPI
 * should not see (truncated, not IP, non-first fragment).
 */
static int parse_ip(const u_char *ip, uint32_t cap, struct flow_key *k,
		    uint32_t *iplen)
{
	const u_char *src, *dst;
	uint32_t off, n;
	size_t alen;
	uint16_t sp = 0, dp = 0;
	uint8_t proto;

	if (cap < 1)
		return -1;
	if (ip[0] >> 4 == 4) {
		uint32_t tot;

		off = (uint32_t)(ip[0] & 0x0f) * 4;
		if (cap < 20 || off < 20 || off > cap)
			return -1;
		tot = rd16be(ip + 2);
		if (tot < off)
			return -1;
		n = tot < cap ? tot : cap;      /* drop Ethernet padding */
		if ((rd16be(ip + 6) & 0x1fff) != 0)
			return -1;              /* not the first fragment */
		proto = ip[9];
		k->ipver = 4;
		src = ip + 12;
		dst = ip + 16;
		alen = 4;
	} else if (ip[0] >> 4 == 6) {
		uint32_t plen;

		if (cap < 40)
			return -1;
		off = 40;
		plen = rd16be(ip + 4);
		n = plen != 0 && 40 + plen < cap ? 40 + plen : cap;
		proto = ip[6];
		for (int i = 0; i < REF_MAX_V6_EXT; i++) {
			uint32_t el;

			if (proto != 0 && proto != 43 && proto != 44 &&
			    proto != 51 && proto != 60)
				break;
			if (n < off + 8)
				return -1;
			if (proto == 44) {
				if ((rd16be(ip + off + 2) & 0xfff8) != 0)
					return -1;      /* not the first */
				el = 8;
			} else if (proto == 51) {
				el = ((uint32_t)ip[off + 1] + 2) * 4;
			} else {
				el = ((uint32_t)ip[off + 1] + 1) * 8;
			}
			if (n < off + el)
				return -1;
			proto = ip[off];
			off += el;
		}
		k->ipver = 6;
		src = ip + 8;
		dst = ip + 24;
		alen = 16;
	} else {
		return -1;
	}
	k->l4 = proto;
	if ((proto == PROTO_TCP || proto == PROTO_UDP) && n >= off + 4) {
		sp = rd16be(ip + off);
		dp = rd16be(ip + off + 2);
	}
	key_set(k, src, dst, alen, sp, dp);
	*iplen = n;
	return 0;
}

static void packet(struct ref *r, const struct pcap_pkthdr *h, const u_char *p)
{
	struct flow_key k;
	uint32_t off = 14, iplen, ntags = 0;
	uint16_t type;
	struct flow *f;
	ndpi_protocol res;
	uint64_t ms;

	r->packets++;
	if (h->caplen < 14)
		goto skip;
	memset(&k, 0, sizeof(k));
	type = rd16be(p + 12);
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		uint32_t id;

		if (ntags == REF_MAX_TAGS || h->caplen < off + 4)
			goto skip;
		id = rd16be(p + off) & 0x0fffu;
		if (ntags == 0)
			k.vlan = id << 12;      /* outermost */
		else
			k.vlan = (k.vlan & 0xfff000u) | id;     /* innermost */
		type = rd16be(p + off + 2);
		off += 4;
		ntags++;
	}
	if ((type != 0x0800 && type != 0x86dd) ||
	    parse_ip(p + off, h->caplen - off, &k, &iplen) == -1)
		goto skip;
	r->ip_packets++;
	f = flow_get(r, &k);
	if (f == NULL) {
		r->dropped++;
		return;
	}
	f->packets++;
	if (f->done)
		return;
	if (iplen > 65535)
		iplen = 65535;          /* process_packet takes a short */
	ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
	r->dpi_packets++;
	res = ndpi_detection_process_packet(r->mod, f->nf, p + off,
	    (unsigned short)iplen, ms);
	{
		bool enough = (k.l4 == PROTO_TCP &&
		    f->packets > REF_TCP_MAX_PKTS) ||
		    (k.l4 == PROTO_UDP && f->packets > REF_UDP_MAX_PKTS);

		if (enough || (res.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
		    !ndpi_extra_dissection_possible(r->mod, f->nf)))
			flow_finish(r, f, res);
	}
	return;
skip:
	r->skipped++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct ref r;
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	pcap_t *pc;
	double t0, t1;
	int c, rc;

	memset(&r, 0, sizeof(r));
	r.max_flows = REF_DEFAULT_MAX_FLOWS;
	while ((c = getopt(argc, argv, "f:h")) != -1) {
		switch (c) {
		case 'f':
			if (num_parse_u64(optarg, 1, REF_MAX_MAX_FLOWS,
			    &r.max_flows) == -1) {
				fprintf(stderr, "refloop: -f '%s': expected a "
				    "flow count from 1 to %llu\n", optarg,
				    (unsigned long long)REF_MAX_MAX_FLOWS);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: refloop [-f MAX_FLOWS] "
			    "FILE.pcap\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: refloop [-f MAX_FLOWS] FILE.pcap\n");
		return 2;
	}

	t0 = now_s();
	if (ndpi_get_api_version() != NDPI_API_VERSION ||
	    ndpi_detection_get_sizeof_ndpi_flow_struct() !=
	    sizeof(struct ndpi_flow_struct)) {
		fprintf(stderr, "refloop: libndpi at run time (%s) does not "
		    "match the headers it was built with; rebuild\n",
		    ndpi_revision());
		return 1;
	}
	eb[0] = '\0';
	pc = pcap_open_offline(argv[optind], eb);
	if (pc == NULL) {
		fprintf(stderr, "refloop: %s: cannot read: %s\n", argv[optind],
		    eb);
		return 1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "refloop: %s: link type %d, but refloop reads "
		    "Ethernet captures only (make one with mkbig)\n",
		    argv[optind], pcap_datalink(pc));
		pcap_close(pc);
		return 1;
	}
	r.mod = ndpi_init_detection_module(ndpi_no_prefs);
	r.cap = REF_TABLE_MIN;
	r.slot = calloc(r.cap, sizeof(*r.slot));
	if (r.mod == NULL || r.slot == NULL) {
		fprintf(stderr, "refloop: out of memory at start-up\n");
		return 1;
	}
	{
		NDPI_PROTOCOL_BITMASK all;

		NDPI_BITMASK_SET_ALL(all);
		ndpi_set_protocol_detection_bitmask2(r.mod, &all);
	}
	ndpi_finalize_initialization(r.mod);

	while ((rc = pcap_next_ex(pc, &h, &p)) == 1)
		packet(&r, h, p);
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "refloop: %s: read error after %" PRIu64
		    " packets: %s\n", argv[optind], r.packets, pcap_geterr(pc));
		pcap_close(pc);
		return 1;
	}
	/* End of capture: what is still open is given up on. */
	for (uint64_t i = 0; i < r.cap; i++) {
		struct flow *f = &r.slot[i];

		if (f->hash != 0 && !f->done) {
			ndpi_protocol none;

			memset(&none, 0, sizeof(none));
			flow_finish(&r, f, none);
		}
	}
	t1 = now_s();

	if (r.dropped != 0)
		fprintf(stderr, "refloop: flow table full (%" PRIu64 " flows) or out "
		    "of memory: %" PRIu64 " packets dropped, the timing is not "
		    "valid; raise -f\n", r.max_flows, r.dropped);
	printf("refloop: packets %" PRIu64 " ip %" PRIu64 " skipped %" PRIu64
	    " dropped %" PRIu64 " flows %" PRIu64 " classified %" PRIu64
	    " guessed %" PRIu64 " dpi_packets %" PRIu64 " seconds %.3f"
	    " pps %.0f\n", r.packets, r.ip_packets, r.skipped, r.dropped,
	    r.n_flows, r.classified, r.guessed, r.dpi_packets, t1 - t0,
	    (double)r.packets / (t1 - t0));
	pcap_close(pc);
	free(r.slot);
	ndpi_exit_detection_module(r.mod);
	return r.dropped != 0 ? 3 : 0;
}
