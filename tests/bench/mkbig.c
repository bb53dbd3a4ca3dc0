/*
 * mkbig.c - build one large benchmark capture out of many small ones.
 *
 *   mkbig [-v] -o OUT.pcap [-n MIN_PACKETS] [-g MAX_GAP_SECONDS] FILE...
 *
 * Reads every FILE (classic pcap or pcapng; link types Ethernet, BSD
 * loopback DLT_NULL/DLT_LOOP, Linux cooked SLL/SLL2 and raw IP) and writes
 * the whole set again and again to OUT, a classic microsecond pcap with
 * Ethernet link type, until at least MIN_PACKETS packets (default 1,000,000)
 * have been written. Every input is converted to an Ethernet frame with an
 * 802.1Q tag whose VLAN id is the repetition number (1, 2, ... 4094), so the
 * flows of one repetition never meet those of another in a flow table keyed
 * on VLAN + 5-tuple:
 *   - untagged Ethernet frames get a tag inserted after the MAC addresses;
 *   - frames that already carry a tag (TPID 0x8100, 0x88a8 or 0x9100) keep
 *     their tags, and only the VLAN id of the outermost one is replaced
 *     (priority and DEI bits are kept); for a single-tagged frame the only -
 *     hence innermost - id therefore still differs per repetition, for a
 *     double-tagged frame only the outer one does;
 *   - DLT_NULL, SLL and raw-IP packets get synthesised, locally administered
 *     MAC addresses and the EtherType given by the address family or
 *     protocol field (or the IP version); packets whose family or protocol
 *     is not an EtherType we know are skipped and counted (Ethernet frames,
 *     802.3 ones included, are never skipped unless shorter than 14 bytes).
 *
 * Time stamps: each file keeps its own relative timing, shifted so that it
 * starts just after (1 ms) the latest time stamp written for the previous
 * file, so time only moves forward across files and repetitions. Some test
 * captures jump by years inside the file; a classic pcap holds seconds in a
 * signed 32-bit field (readers give up after January 2038), so a forward
 * jump larger than MAX_GAP_SECONDS (default 7200: longer than usual flow
 * idle timeouts, so flows still expire across such a jump) is shortened to
 * MAX_GAP_SECONDS. -g 0 keeps every gap; mkbig then fails if the time line
 * does not fit.
 *
 * A first pass reads every input once, checking it and measuring it (packet
 * count, time line) before anything is written; each repetition then reads
 * the inputs again and copies them. Errors name the file and say what to
 * do; on any error the partial output is removed and the exit status is 1
 * (2 for a usage error). On success one line on stdout says
 * "mkbig: wrote N packets to OUT (R repetitions of F files, ...)".
 *
 * Written by hand, on libpcap: Debian's tools could do it only in pieces -
 * tcprewrite (tcpreplay) to convert link types and tag, editcap to move
 * time, mergecap to concatenate, capinfos to find where each file ends -
 * with several runs per file and repetition (over 1,300 files for the
 * default size). This does the same in two reads of each input.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "num.h"

#define MKBIG_MAX_FILES 4096
#define MKBIG_MAX_VLAN 4094            /* 0 and 4095 are reserved */
#define MKBIG_DEFAULT_MIN 1000000ULL
#define MKBIG_MAX_MIN 2000000000ULL    /* bound on -n */
#define MKBIG_DEFAULT_GAP_S 7200
#define MKBIG_FILE_GAP_US 1000         /* between one file and the next */
#define MKBIG_SNAPLEN 262144           /* libpcap's largest snapshot length */
#define MKBIG_L2_MAX 22                /* MACs + tag + EtherType + 4 spare */
#define MKBIG_TS_MAX_S INT32_MAX       /* classic pcap seconds, as read */
#define MKBIG_TS_IN_MAX_S 100000000000LL /* inputs: keeps us math in int64 */

#define ETH_ALEN_ 6
#define ETHERTYPE_IPV4_ 0x0800
#define ETHERTYPE_IPV6_ 0x86dd
#define ETHERTYPE_VLAN_ 0x8100
#define ETHERTYPE_QINQ_ 0x88a8
#define ETHERTYPE_QINQ_OLD_ 0x9100
#define ETHERTYPE_MIN_ 0x0600          /* smaller values are 802.3 lengths */

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Synthesised addresses for frames that had none (locally administered). */
static const uint8_t mac_src[ETH_ALEN_] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_dst[ETH_ALEN_] = { 0x02, 0, 0, 0, 0, 0x02 };

/* What the first pass learnt about one input file. */
struct input {
	const char *path;
	int linktype;
	uint64_t packets;      /* packets written per repetition */
	uint64_t skipped;      /* packets not convertible, per repetition */
	uint64_t gaps_cut;     /* jumps shortened to max_gap, per repetition */
	int64_t rel_min_us;    /* min and max of the gap-cut time line, us */
	int64_t rel_max_us;
};

/* Everything the program holds; one instance, in main(). */
struct mkbig {
	const char *out_path;
	uint64_t min_packets;
	int64_t max_gap_us;            /* 0 = keep every gap */
	struct input *in;
	int n_in;
	uint64_t per_set;              /* packets written per repetition */
	unsigned reps;
	pcap_dumper_t *dumper;
	pcap_t *dead;
	uint64_t written;
	uint64_t truncated;            /* frames cut to MKBIG_SNAPLEN */
	u_char frame[MKBIG_SNAPLEN + MKBIG_L2_MAX];
	char err[PCAP_ERRBUF_SIZE + 512];
};

/* Result of converting one packet. */
enum conv { CONV_OK, CONV_SKIP };

static uint16_t rd16be(const u_char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32le(const u_char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void wr16be(u_char *p, uint16_t v)
{
	p[0] = (u_char)(v >> 8);
	p[1] = (u_char)v;
}

static bool is_tpid(uint16_t t)
{
	return t == ETHERTYPE_VLAN_ || t == ETHERTYPE_QINQ_ ||
	    t == ETHERTYPE_QINQ_OLD_;
}

/*
 * EtherType for a BSD loopback address family. The 4-byte family is in the
 * byte order of the machine that captured (DLT_NULL) or in network order
 * (DLT_LOOP); families are small numbers, so whichever order gives a value
 * below 65536 is the right one. Returns 0 for an unknown family.
 */
static uint16_t af_to_ethertype(const u_char *p)
{
	uint32_t af = rd32le(p);

	if (af > 0xffff)
		af = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	switch (af) {
	case 2:                         /* AF_INET everywhere */
		return ETHERTYPE_IPV4_;
	case 10:                        /* AF_INET6: Linux */
	case 24:                        /* NetBSD, OpenBSD, BSD/OS */
	case 28:                        /* FreeBSD, DragonFly */
	case 30:                        /* macOS */
		return ETHERTYPE_IPV6_;
	default:
		return 0;
	}
}

static uint16_t ipver_to_ethertype(const u_char *p, uint32_t caplen)
{
	if (caplen < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		return ETHERTYPE_IPV4_;
	case 6:
		return ETHERTYPE_IPV6_;
	default:
		return 0;
	}
}

/*
 * Convert one captured packet of link type lt into a tagged Ethernet frame
 * with VLAN id vid in out (room for MKBIG_SNAPLEN + MKBIG_L2_MAX bytes).
 * Sets *ocap and *olen to the captured and original lengths of the frame;
 * a frame longer than MKBIG_SNAPLEN is cut to it and *cut is set. Returns
 * CONV_SKIP (and writes nothing) for a packet that cannot be converted: too
 * short for its link header, or no known EtherType.
 */
static enum conv convert(int lt, const struct pcap_pkthdr *h, const u_char *p,
			 uint16_t vid, u_char *out, uint32_t *ocap,
			 uint32_t *olen, bool *cut)
{
	const uint8_t *dst = mac_dst, *src = mac_src;
	uint32_t hl;                    /* link header bytes consumed */
	uint16_t etype;
	uint32_t caplen = h->caplen, len = h->len;

	if (len < caplen)
		len = caplen;
	switch (lt) {
	case DLT_EN10MB:
		hl = 14;
		if (caplen < hl)
			return CONV_SKIP;
		dst = p;
		src = p + ETH_ALEN_;
		etype = rd16be(p + 12);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		hl = 4;
		if (caplen < hl)
			return CONV_SKIP;
		etype = af_to_ethertype(p);
		break;
	case DLT_LINUX_SLL:
		hl = 16;
		if (caplen < hl)
			return CONV_SKIP;
		etype = rd16be(p + 14);
		break;
	case DLT_LINUX_SLL2:
		hl = 20;
		if (caplen < hl)
			return CONV_SKIP;
		etype = rd16be(p);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		hl = 0;
		etype = ipver_to_ethertype(p, caplen);
		break;
	default:
		return CONV_SKIP;
	}
	/* An Ethernet frame may carry an 802.3 length here; the others must
	 * give an EtherType, or there is nothing to put in the frame. */
	if (lt != DLT_EN10MB && etype < ETHERTYPE_MIN_)
		return CONV_SKIP;

	const u_char *rest = p + hl;    /* what follows the EtherType */
	uint32_t rest_cap = caplen - hl, rest_len = len - hl;
	uint32_t o = 0;

	memcpy(out, dst, ETH_ALEN_);
	memcpy(out + ETH_ALEN_, src, ETH_ALEN_);
	o = 2 * ETH_ALEN_;
	if (is_tpid(etype) && rest_cap >= 2) {
		/* Already tagged: rewrite the outermost VLAN id in place. */
		wr16be(out + o, etype);
		wr16be(out + o + 2, (uint16_t)((rd16be(rest) & 0xf000) | vid));
		o += 4;
		rest += 2;
		rest_cap -= 2;
		rest_len -= 2;
	} else {
		wr16be(out + o, ETHERTYPE_VLAN_);
		wr16be(out + o + 2, vid);
		wr16be(out + o + 4, etype);
		o += 6;
	}

	if (rest_len > UINT32_MAX - o)
		rest_len = UINT32_MAX - o;      /* absurd length field */
	*cut = false;
	if (rest_cap > MKBIG_SNAPLEN - o) {
		rest_cap = MKBIG_SNAPLEN - o;
		*cut = true;
	}
	memcpy(out + o, rest, rest_cap);
	*ocap = o + rest_cap;
	*olen = o + rest_len;
	return CONV_OK;
}

static bool linktype_supported(int lt)
{
	switch (lt) {
	case DLT_EN10MB:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

static int64_t ts_us(const struct pcap_pkthdr *h)
{
	return (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
}

/*
 * Gap cutting, shared by both passes so that they compute the same time
 * line: *shift (us, <= 0) accumulates the time removed so far; *max_seen is
 * the latest shifted time stamp so far (INT64_MIN before the first packet).
 * Returns the packet's time on the gap-cut line and counts cuts in *cuts.
 */
static int64_t cut_gap(int64_t t, int64_t max_gap, int64_t *shift,
		       int64_t *max_seen, uint64_t *cuts)
{
	int64_t s = t + *shift;

	if (max_gap > 0 && *max_seen != INT64_MIN && s - *max_seen > max_gap) {
		*shift -= s - *max_seen - max_gap;
		s = *max_seen + max_gap;
		(*cuts)++;
	}
	if (s > *max_seen)
		*max_seen = s;
	return s;
}

static pcap_t *open_input(struct mkbig *m, const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc;

	eb[0] = '\0';
	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, eb);
	if (pc == NULL)
		snprintf(m->err, sizeof(m->err), "%s: cannot read: %s", path,
		    eb);
	return pc;
}

/*
 * First pass over one file: check that it can be read to the end and that
 * its link type is supported, count what will be written, and measure its
 * gap-cut time line. Returns 0, or -1 with m->err set.
 */
static int measure(struct mkbig *m, struct input *in)
{
	struct pcap_pkthdr *h;
	const u_char *p;
	int64_t shift = 0, max_seen = INT64_MIN, min_seen = INT64_MAX;
	uint32_t ocap, olen;
	bool cut;
	int r;
	pcap_t *pc = open_input(m, in->path);

	if (pc == NULL)
		return -1;
	in->linktype = pcap_datalink(pc);
	if (!linktype_supported(in->linktype)) {
		const char *n = pcap_datalink_val_to_name(in->linktype);

		snprintf(m->err, sizeof(m->err),
		    "%s: link type %d (%s) is not supported; mkbig reads "
		    "Ethernet, DLT_NULL/LOOP, Linux SLL/SLL2 and raw IP",
		    in->path, in->linktype, n ? n : "unknown");
		pcap_close(pc);
		return -1;
	}
	while ((r = pcap_next_ex(pc, &h, &p)) == 1) {
		int64_t s;

		if (h->ts.tv_sec < 0 || h->ts.tv_sec > MKBIG_TS_IN_MAX_S) {
			snprintf(m->err, sizeof(m->err),
			    "%s: packet %" PRIu64 ": time stamp %lld is out of "
			    "range", in->path, in->packets + in->skipped + 1,
			    (long long)h->ts.tv_sec);
			pcap_close(pc);
			return -1;
		}
		s = cut_gap(ts_us(h), m->max_gap_us, &shift, &max_seen,
		    &in->gaps_cut);

		if (s < min_seen)
			min_seen = s;
		if (convert(in->linktype, h, p, 1, m->frame, &ocap, &olen,
		    &cut) == CONV_OK)
			in->packets++;
		else
			in->skipped++;
	}
	if (r != PCAP_ERROR_BREAK) {
		snprintf(m->err, sizeof(m->err),
		    "%s: read error after %" PRIu64 " packets: %s", in->path,
		    in->packets + in->skipped, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	in->rel_min_us = min_seen;
	in->rel_max_us = max_seen;
	return 0;
}

/*
 * Second pass over one file for repetition vid: write every convertible
 * packet, its time moved so that the file's earliest packet is at start_us.
 * Returns 0 and sets *end_us to the latest time written, or -1 with m->err.
 */
static int copy_file(struct mkbig *m, const struct input *in, uint16_t vid,
		     int64_t start_us, int64_t *end_us)
{
	struct pcap_pkthdr *h, oh;
	const u_char *p;
	int64_t shift = 0, max_seen = INT64_MIN;
	int64_t move = start_us - in->rel_min_us;
	uint64_t cuts = 0, n = 0;
	bool cut;
	int r;
	pcap_t *pc = open_input(m, in->path);

	if (pc == NULL)
		return -1;
	if (pcap_datalink(pc) != in->linktype) {
		snprintf(m->err, sizeof(m->err),
		    "%s: file changed while mkbig was running", in->path);
		pcap_close(pc);
		return -1;
	}
	while ((r = pcap_next_ex(pc, &h, &p)) == 1) {
		int64_t t = cut_gap(ts_us(h), m->max_gap_us, &shift, &max_seen,
		    &cuts) + move;

		if (convert(in->linktype, h, p, vid, m->frame, &oh.caplen,
		    &oh.len, &cut) != CONV_OK)
			continue;
		oh.ts.tv_sec = (time_t)(t / 1000000);
		oh.ts.tv_usec = (suseconds_t)(t % 1000000);
		pcap_dump((u_char *)m->dumper, &oh, m->frame);
		m->truncated += cut;
		m->written++;
		n++;
	}
	if (r != PCAP_ERROR_BREAK || n != in->packets) {
		snprintf(m->err, sizeof(m->err),
		    "%s: read error or file changed while mkbig was running: %s",
		    in->path, r == PCAP_ERROR_BREAK ? "packet count differs" :
		    pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	*end_us = in->rel_max_us + move;
	return 0;
}

/*
 * Plan the run after the first pass: repetitions needed, and a check that
 * the whole time line fits a classic pcap. Returns 0 or -1 with m->err.
 */
static int plan(struct mkbig *m, int64_t start_us)
{
	int64_t t = start_us;
	uint64_t reps;

	m->per_set = 0;
	for (int i = 0; i < m->n_in; i++)
		m->per_set += m->in[i].packets;
	if (m->per_set == 0) {
		snprintf(m->err, sizeof(m->err),
		    "no input file holds a packet that can be converted");
		return -1;
	}
	reps = (m->min_packets + m->per_set - 1) / m->per_set;
	if (reps == 0)
		reps = 1;
	if (reps > MKBIG_MAX_VLAN) {
		snprintf(m->err, sizeof(m->err),
		    "%" PRIu64 " packets need %" PRIu64 " repetitions of the "
		    "%" PRIu64 "-packet input set, but VLAN ids end at %d; "
		    "ask for fewer packets or give more input files",
		    m->min_packets, reps, m->per_set, MKBIG_MAX_VLAN);
		return -1;
	}
	m->reps = (unsigned)reps;
	/* Walk the time line as copy_file() will, without the packets. */
	for (unsigned r = 0; r < m->reps; r++)
		for (int i = 0; i < m->n_in; i++) {
			if (m->in[i].packets == 0)
				continue;
			t += m->in[i].rel_max_us - m->in[i].rel_min_us +
			    MKBIG_FILE_GAP_US;
		}
	if (t / 1000000 > MKBIG_TS_MAX_S) {
		snprintf(m->err, sizeof(m->err),
		    "the output time line would end %" PRId64 " s after "
		    "1970, past what a classic pcap holds (%d); use a smaller "
		    "-g (now %" PRId64 " s) or fewer packets", t / 1000000,
		    MKBIG_TS_MAX_S, m->max_gap_us / 1000000);
		return -1;
	}
	return 0;
}

static int write_all(struct mkbig *m)
{
	int64_t cursor = INT64_MIN, end;
	FILE *f;

	m->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB,
	    MKBIG_SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
	if (m->dead == NULL) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -1;
	}
	m->dumper = pcap_dump_open(m->dead, m->out_path);
	if (m->dumper == NULL) {
		snprintf(m->err, sizeof(m->err), "%s: cannot create: %s",
		    m->out_path, pcap_geterr(m->dead));
		return -1;
	}
	f = pcap_dump_file(m->dumper);
	for (unsigned r = 0; r < m->reps; r++) {
		for (int i = 0; i < m->n_in; i++) {
			const struct input *in = &m->in[i];
			int64_t start;

			if (in->packets == 0)
				continue;
			if (cursor == INT64_MIN) {
				/* The first file keeps its own start time. */
				start = in->rel_min_us < 0 ? 0 : in->rel_min_us;
			} else {
				start = cursor + MKBIG_FILE_GAP_US;
			}
			if (copy_file(m, in, (uint16_t)(r + 1), start,
			    &end) == -1)
				return -1;
			cursor = end;
			if (ferror(f)) {
				snprintf(m->err, sizeof(m->err),
				    "%s: write error: %s", m->out_path,
				    strerror(errno));
				return -1;
			}
		}
	}
	if (pcap_dump_flush(m->dumper) == -1 || ferror(f) || fsync(fileno(f))) {
		snprintf(m->err, sizeof(m->err), "%s: write error: %s",
		    m->out_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One line about an input file, for -v. */
static void print_input(const struct input *in)
{
	const char *n = pcap_datalink_val_to_name(in->linktype);

	fprintf(stderr, "mkbig: %s: %s, %" PRIu64 " packets, %" PRIu64
	    " skipped, %.3f s after %" PRIu64 " gaps shortened\n", in->path,
	    n ? n : "?", in->packets, in->skipped,
	    (double)(in->rel_max_us - in->rel_min_us) / 1e6, in->gaps_cut);
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: mkbig [-v] -o OUT.pcap [-n MIN_PACKETS] [-g MAX_GAP_SECONDS] "
	    "FILE...\n"
	    "  repeats the input captures, each repetition on its own VLAN id,\n"
	    "  until at least MIN_PACKETS (default %llu) packets are written;\n"
	    "  time jumps longer than MAX_GAP_SECONDS (default %d, 0 = keep\n"
	    "  all) are shortened to it; -v describes each input file\n",
	    (unsigned long long)MKBIG_DEFAULT_MIN, MKBIG_DEFAULT_GAP_S);
}

/* Close the output (removing it after an error) and free the inputs. */
static void cleanup(struct mkbig *m, bool remove_output)
{
	bool created = m->dumper != NULL;

	if (created)
		pcap_dump_close(m->dumper);
	if (m->dead != NULL)
		pcap_close(m->dead);
	if (remove_output && created)
		unlink(m->out_path);
	free(m->in);
}

int main(int argc, char **argv)
{
	static struct mkbig m;          /* large frame buffer: not on stack */
	uint64_t v, skipped = 0, cuts = 0;
	bool verbose = false;
	int c;

	m.min_packets = MKBIG_DEFAULT_MIN;
	m.max_gap_us = (int64_t)MKBIG_DEFAULT_GAP_S * 1000000;
	while ((c = getopt(argc, argv, "o:n:g:vh")) != -1) {
		switch (c) {
		case 'o':
			m.out_path = optarg;
			break;
		case 'n':
			if (num_parse_u64(optarg, 1, MKBIG_MAX_MIN, &v) == -1) {
				fprintf(stderr, "mkbig: -n '%s': expected a "
				    "packet count from 1 to %llu\n", optarg,
				    (unsigned long long)MKBIG_MAX_MIN);
				return 2;
			}
			m.min_packets = v;
			break;
		case 'g':
			if (num_parse_u64(optarg, 0, 86400 * 365, &v) == -1) {
				fprintf(stderr, "mkbig: -g '%s': expected "
				    "seconds from 0 to 31536000\n", optarg);
				return 2;
			}
			m.max_gap_us = (int64_t)v * 1000000;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (m.out_path == NULL || optind >= argc) {
		usage();
		return 2;
	}
	if (argc - optind > MKBIG_MAX_FILES) {
		fprintf(stderr, "mkbig: %d input files, at most %d\n",
		    argc - optind, MKBIG_MAX_FILES);
		return 2;
	}
	m.n_in = argc - optind;
	m.in = calloc((size_t)m.n_in, sizeof(*m.in));
	if (m.in == NULL) {
		fprintf(stderr, "mkbig: out of memory\n");
		return 1;
	}
	for (int i = 0; i < m.n_in; i++) {
		m.in[i].path = argv[optind + i];
		if (measure(&m, &m.in[i]) == -1)
			goto fail;
		skipped += m.in[i].skipped;
		cuts += m.in[i].gaps_cut;
		if (verbose)
			print_input(&m.in[i]);
	}
	{
		int64_t first = INT64_MIN;

		for (int i = 0; i < m.n_in && first == INT64_MIN; i++)
			if (m.in[i].packets > 0)
				first = m.in[i].rel_min_us < 0 ? 0 :
				    m.in[i].rel_min_us;
		if (plan(&m, first == INT64_MIN ? 0 : first) == -1)
			goto fail;
	}
	if (write_all(&m) == -1)
		goto fail;
	printf("mkbig: wrote %" PRIu64 " packets to %s (%u repetitions of "
	    "%d files, %" PRIu64 " packets each; per repetition %" PRIu64
	    " packets skipped, %" PRIu64 " time gaps shortened; %" PRIu64
	    " frames cut to %d bytes)\n", m.written, m.out_path, m.reps,
	    m.n_in, m.per_set, skipped, cuts, m.truncated, MKBIG_SNAPLEN);
	cleanup(&m, false);
	return 0;
fail:
	fprintf(stderr, "mkbig: %s\n", m.err);
	cleanup(&m, true);
	return 1;
}
