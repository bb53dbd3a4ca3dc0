/*
 * nft.c - kastrod's writes to nftables (see nft.h for the contract).
 *
 * Two paths into the kernel:
 *
 * - The static ruleset goes through libnftables (nft's own parser and
 *   evaluator), as text, in one transaction built like this:
 *
 *       add table inet kastro; flush table inet kastro;  (or: flush chain ...
 *                                  for every chain but the kept one)
 *       delete chain ... (chains the script no longer declares)
 *       delete set ...   (sets the script no longer declares)
 *       flush set ...    (sets the script declares with their elements)
 *       <the script>
 *
 *   `flush table` removes the rules of every chain but keeps set elements,
 *   so a set declared again with the same type and flags keeps what it
 *   holds, and a chain declared again is refilled in the same transaction
 *   (a base chain stays hooked: no moment without rules). The names of what
 *   exists come from the kernel (netlink dumps); the names the script
 *   declares come from a small scanner of its top level (scan_script),
 *   which also makes sure the script touches nothing but table inet kastro.
 *   When the kernel refuses that transaction because a declared set changed
 *   its type or flags, or a base chain its hook or priority (neither can be
 *   changed in place), a second transaction deletes and recreates all
 *   chains and the sets that changed; a failure there leaves the old
 *   ruleset as it was.
 *
 * - Set elements (blocked flows, quarantine, address tables) go through
 *   libmnl netlink batches: many elements per NEWSETELEM message, many
 *   messages per batch (libnftnl's nftnl_batch keeps the pages). The
 *   element attributes are written with libmnl directly rather than through
 *   one libnftnl object per element: a 1,000,000-entry table is 2,000,000
 *   elements, and knowing where each element sits in its message maps a
 *   kernel error (extended ack offset) back to the element that caused it.
 *
 * Keys follow the kernel's register layout, as nft writes them: every
 * component of a concatenation takes a multiple of 4 bytes, so inet_proto
 * (1 byte) and inet_service (2 bytes, network order) are zero-padded to 4.
 * Timeouts and expirations are milliseconds, big-endian 64 bits. An element
 * that exists already is renewed by sending NFTA_SET_ELEM_EXPIRATION along
 * with the timeout (kernels since 6.10 refresh it; older ones keep the
 * running timer and report no error).
 *
 * Single-threaded: one struct nft per thread. Nothing here logs.
 */
#include "nft.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "errf.h"

/* Batch pages: a message never crosses a page; the kernel takes at most
 * IOV_MAX (1024) pages in one sendmsg, so one transaction is at most 1 GiB. */
#define PAGE_BYTES      (1u << 20)
#define PAGE_OVERRUN    (128u << 10)
#define MAX_PAGES       1024
/* nla_len is 16 bits: the element list of one message stays below this. */
#define LIST_BYTES      60000
/* Flow batches are cut at this size (no atomicity needed between flows). */
#define FLOW_BATCH_BYTES (8u << 20)
/* Kernel buffer per expected ack (an ack skb's truesize is under 1 KiB). */
#define ACK_RCVBUF      2048
/* Bounds on the static ruleset. */
#define SCRIPT_MAX      (16u << 20)
#define MAX_DECLS       4096
#define NAME_MAX_LEN    256     /* NFT_NAME_MAXLEN */

#define FLOW4_KEY 20            /* 4 + 4 + 4 + 4 + 4 */
#define FLOW6_KEY 44            /* 16 + 4 + 4 + 16 + 4 */

struct nft {
	struct nft_ctx *ctx;
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int sndbuf, rcvbuf;             /* what was last forced, bytes */
	struct nft_stats st;
	char rbuf[32768];               /* netlink answers */
};


/* ---- opening ------------------------------------------------------------ */

struct nft *nft_open(char *err, size_t errlen)
{
	struct nft *n;
	int one = 1;

	n = calloc(1, sizeof(*n));
	if (!n) {
		errf(err, errlen, "nft: out of memory");
		return NULL;
	}
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx) {
		errf(err, errlen, "nft: cannot create a libnftables context");
		goto fail;
	}
	if (nft_ctx_buffer_output(n->ctx) != 0 || nft_ctx_buffer_error(n->ctx) != 0) {
		errf(err, errlen, "nft: cannot buffer libnftables output");
		goto fail;
	}
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl) {
		errf(err, errlen, "nft: netlink socket: %s", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		errf(err, errlen, "nft: netlink bind: %s", strerror(errno));
		goto fail;
	}
	/* Errors without a copy of our (large) message; with the offset of
	 * the attribute the kernel disliked. */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	n->portid = mnl_socket_get_portid(n->nl);
	n->seq = (uint32_t)time(NULL);
	return n;
fail:
	nft_close(n);
	return NULL;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	if (n->ctx)
		nft_ctx_free(n->ctx);
	free(n);
}

void nft_get_stats(const struct nft *n, struct nft_stats *s)
{
	*s = n->st;
}

/* ---- element batches ------------------------------------------------------ */

/* One NEWSETELEM/DELSETELEM message of a batch: which elements it holds. */
struct msgrec {
	uint32_t seq;
	const struct nlmsghdr *nlh;     /* in the batch's pages */
	size_t first, count;            /* element indexes */
};

/* Names an element for an error message (elem: index in the batch). */
typedef void (*describe_fn)(const void *arg, size_t elem, char *buf, size_t len);

struct batch {
	struct nft *n;
	struct nftnl_batch *b;
	struct msgrec *msgs;
	size_t nmsgs, maxmsgs;
	size_t bytes;
	size_t nelems;                  /* elements added so far */
	/* the open element message, if any */
	struct nlmsghdr *cur;
	struct nlattr *list;
	size_t cur_first;
	uint16_t cur_type;
	char set[NAME_MAX_LEN];
	describe_fn describe;
	const void *darg;
	/* after batch_send: the first kernel error and its message's index */
	int kerrno;
	size_t kerr_msg;
};

static int batch_open(struct batch *bt, struct nft *n, describe_fn describe, const void *darg,
		      char *err, size_t errlen)
{
	memset(bt, 0, sizeof(*bt));
	bt->n = n;
	bt->describe = describe;
	bt->darg = darg;
	bt->b = nftnl_batch_alloc(PAGE_BYTES, PAGE_OVERRUN);
	bt->maxmsgs = 1024;
	bt->msgs = calloc(bt->maxmsgs, sizeof(*bt->msgs));
	if (!bt->b || !bt->msgs) {
		nftnl_batch_free(bt->b);
		free(bt->msgs);
		return errf(err, errlen, "nft: out of memory for a batch");
	}
	nftnl_batch_begin(nftnl_batch_buffer(bt->b), n->seq++);
	nftnl_batch_update(bt->b);
	bt->bytes = NLMSG_ALIGN(sizeof(struct nlmsghdr) + sizeof(struct nfgenmsg));
	return 0;
}

static void batch_free(struct batch *bt)
{
	nftnl_batch_free(bt->b);
	free(bt->msgs);
	bt->b = NULL;
	bt->msgs = NULL;
}

/* Record a finished message and move the batch past it. */
static int batch_commit_msg(struct batch *bt, struct nlmsghdr *nlh, size_t first, size_t count,
			    char *err, size_t errlen)
{
	if (bt->nmsgs == bt->maxmsgs) {
		size_t nm = bt->maxmsgs * 2;
		struct msgrec *m = reallocarray(bt->msgs, nm, sizeof(*m));

		if (!m)
			return errf(err, errlen, "nft: out of memory for a batch");
		bt->msgs = m;
		bt->maxmsgs = nm;
	}
	bt->msgs[bt->nmsgs++] = (struct msgrec){ nlh->nlmsg_seq, nlh, first, count };
	bt->bytes += nlh->nlmsg_len;
	nftnl_batch_update(bt->b);
	if (nftnl_batch_iovec_len(bt->b) > MAX_PAGES)
		return errf(err, errlen, "nft: batch larger than %u MiB", MAX_PAGES * (PAGE_BYTES >> 20));
	return 0;
}

static struct nlmsghdr *msg_start(struct batch *bt, uint16_t type, uint16_t flags, const char *set)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(bt->b), type, NFPROTO_INET,
				    flags | NLM_F_ACK, bt->n->seq++);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nlh;
}

static int elems_close(struct batch *bt, char *err, size_t errlen)
{
	struct nlmsghdr *nlh = bt->cur;

	if (!nlh)
		return 0;
	bt->cur = NULL;
	mnl_attr_nest_end(nlh, bt->list);
	return batch_commit_msg(bt, nlh, bt->cur_first, bt->nelems - bt->cur_first, err, errlen);
}

/* Flush set (DELSETELEM without elements), as its own message. */
static int batch_flush_set(struct batch *bt, const char *set, char *err, size_t errlen)
{
	struct nlmsghdr *nlh;

	if (elems_close(bt, err, errlen) < 0)
		return -1;
	nlh = msg_start(bt, NFT_MSG_DELSETELEM, 0, set);
	return batch_commit_msg(bt, nlh, bt->nelems, 0, err, errlen);
}

/*
 * Add one element to set (type NFT_MSG_NEWSETELEM or DELSETELEM) with the
 * key of keylen bytes; timeout_ms 0 = none; flags NFT_SET_ELEM_*.
 */
static int batch_elem(struct batch *bt, uint16_t type, const char *set, const void *key,
		      size_t keylen, uint64_t timeout_ms, uint32_t flags, char *err, size_t errlen)
{
	struct nlattr *e, *k;
	size_t room = 64 + keylen;

	if (bt->cur && (bt->cur_type != type || strcmp(bt->set, set) != 0 ||
			(size_t)((char *)mnl_nlmsg_get_payload_tail(bt->cur) - (char *)bt->list) + room > LIST_BYTES))
		if (elems_close(bt, err, errlen) < 0)
			return -1;
	if (!bt->cur) {
		size_t sl = strlen(set);

		if (sl >= sizeof(bt->set))
			return errf(err, errlen, "nft: set name too long");
		memcpy(bt->set, set, sl + 1);
		bt->cur_type = type;
		bt->cur_first = bt->nelems;
		bt->cur = msg_start(bt, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, set);
		bt->list = mnl_attr_nest_start(bt->cur, NFTA_SET_ELEM_LIST_ELEMENTS);
	}
	e = mnl_attr_nest_start(bt->cur, NFTA_LIST_ELEM);
	k = mnl_attr_nest_start(bt->cur, NFTA_SET_ELEM_KEY);
	mnl_attr_put(bt->cur, NFTA_DATA_VALUE, keylen, key);
	mnl_attr_nest_end(bt->cur, k);
	if (timeout_ms) {
		mnl_attr_put_u64(bt->cur, NFTA_SET_ELEM_TIMEOUT, htobe64(timeout_ms));
		/* renews an element that exists already */
		mnl_attr_put_u64(bt->cur, NFTA_SET_ELEM_EXPIRATION, htobe64(timeout_ms));
	}
	if (flags)
		mnl_attr_put_u32(bt->cur, NFTA_SET_ELEM_FLAGS, htonl(flags));
	mnl_attr_nest_end(bt->cur, e);
	bt->nelems++;
	return 0;
}

static int force_buf(struct nft *n, int opt, int *have, size_t want, char *err, size_t errlen)
{
	int v;

	if (want > (size_t)1 << 30)
		want = (size_t)1 << 30;
	if ((int)want <= *have)
		return 0;
	v = (int)want;
	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, opt, &v, sizeof(v)) < 0)
		return errf(err, errlen, "nft: netlink socket buffer of %d bytes: %s", v, strerror(errno));
	*have = v;
	return 0;
}

static const struct msgrec *find_msg(const struct batch *bt, uint32_t seq)
{
	size_t lo = 0, hi = bt->nmsgs;

	/* sequence numbers grow along the batch (wrapping aside) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t d = bt->msgs[mid].seq - bt->msgs[0].seq, want = seq - bt->msgs[0].seq;

		if (d == want)
			return &bt->msgs[mid];
		if (d < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Which element of message m holds byte offset off (from the nlmsghdr)? */
static ssize_t elem_at(const struct msgrec *m, uint32_t off)
{
	const struct nlattr *a, *list = NULL;
	size_t k = 0;

	mnl_attr_for_each(a, m->nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
	}
	if (!list)
		return -1;
	mnl_attr_for_each_nested(a, list) {
		uint32_t s = (uint32_t)((const char *)a - (const char *)m->nlh);

		if (off >= s && off < s + a->nla_len)
			return (ssize_t)k;
		k++;
	}
	return -1;
}

/*
 * Send the batch as one transaction and read every ack. The kernel
 * processes the batch inside sendmsg, so when it returns all acks and
 * errors are queued on the socket.
 */
static int batch_send(struct batch *bt, char *err, size_t errlen)
{
	struct nft *n = bt->n;
	char *buf = n->rbuf;
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	struct iovec *iov;
	size_t acked = 0, errors = 0;
	int niov, rc = 0;
	ssize_t r;
	char first_err[512] = "";

	if (elems_close(bt, err, errlen) < 0)
		return -1;
	nftnl_batch_end(nftnl_batch_buffer(bt->b), n->seq++);
	nftnl_batch_update(bt->b);
	bt->bytes += NLMSG_ALIGN(sizeof(struct nlmsghdr) + sizeof(struct nfgenmsg));

	if (force_buf(n, SO_SNDBUFFORCE, &n->sndbuf, bt->bytes + 65536, err, errlen) < 0 ||
	    force_buf(n, SO_RCVBUFFORCE, &n->rcvbuf, (bt->nmsgs + 16) * ACK_RCVBUF, err, errlen) < 0)
		return -1;
	niov = nftnl_batch_iovec_len(bt->b);
	iov = calloc((size_t)niov, sizeof(*iov));
	if (!iov)
		return errf(err, errlen, "nft: out of memory");
	nftnl_batch_iovec(bt->b, iov, (uint32_t)niov);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)niov;
	r = sendmsg(mnl_socket_get_fd(n->nl), &msg, 0);
	free(iov);
	n->st.batches++;
	if (r < 0) {
		n->st.errors++;
		return errf(err, errlen, "nft: sending a batch of %zu bytes: %s", bt->bytes, strerror(errno));
	}

	while (acked + errors < bt->nmsgs) {
		struct nlmsghdr *h;
		int len;

		r = recv(mnl_socket_get_fd(n->nl), buf, sizeof(n->rbuf), MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errf(err, errlen, "nft: kernel answered %zu of %zu messages", acked + errors, bt->nmsgs);
			else
				errf(err, errlen, "nft: reading acks: %s", strerror(errno));
			break;
		}
		len = (int)r;
		for (h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e;
			const struct msgrec *m;
			const struct nlattr *a;
			const char *kmsg = NULL;
			uint32_t off = 0;
			bool have_off = false;
			char what[200] = "";

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(h);
			if (e->error == 0) {
				acked++;
				continue;
			}
			errors++;
			if (errors > 1)
				continue;
			if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
				size_t hl = sizeof(*e);

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					hl += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
				mnl_attr_for_each(a, h, hl) {
					if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
						kmsg = mnl_attr_get_str(a);
					else if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS) {
						off = mnl_attr_get_u32(a);
						have_off = true;
					}
				}
			}
			m = find_msg(bt, e->msg.nlmsg_seq);
			bt->kerrno = -e->error;
			bt->kerr_msg = m ? (size_t)(m - bt->msgs) : SIZE_MAX;
			if (m && m->count && bt->describe) {
				ssize_t k = have_off ? elem_at(m, off) : -1;

				if (k >= 0 || m->count == 1)
					bt->describe(bt->darg, m->first + (size_t)(k > 0 ? k : 0), what, sizeof(what));
				else {
					char a1[80], a2[80];

					bt->describe(bt->darg, m->first, a1, sizeof(a1));
					bt->describe(bt->darg, m->first + m->count - 1, a2, sizeof(a2));
					snprintf(what, sizeof(what), "one of %s .. %s", a1, a2);
				}
			} else if (m && m->nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM)) {
				snprintf(what, sizeof(what), "flushing the set");
			}
			snprintf(first_err, sizeof(first_err), "%s%s%s%s%s%s", strerror(-e->error),
				 what[0] ? " (" : "", what, what[0] ? ")" : "",
				 kmsg ? ": " : "", kmsg ? kmsg : "");
		}
	}
	if (errors) {
		n->st.errors++;
		return errf(err, errlen, "nft: kernel refused the batch: %s", first_err);
	}
	if (rc < 0)
		n->st.errors++;
	return rc;
}

/* ---- flows ---------------------------------------------------------------- */

static size_t flow_key(const struct nft_flow *f, bool reverse, uint8_t *key)
{
	size_t a = f->family == 4 ? 4 : 16;
	const uint8_t *s = reverse ? f->dst : f->src, *d = reverse ? f->src : f->dst;
	uint16_t sp = htons(reverse ? f->dport : f->sport), dp = htons(reverse ? f->sport : f->dport);

	memset(key, 0, FLOW6_KEY);
	memcpy(key, s, a);
	key[a] = f->proto;
	memcpy(key + a + 4, &sp, 2);
	memcpy(key + a + 8, d, a);
	memcpy(key + 2 * a + 8, &dp, 2);
	return 2 * a + 12;
}

struct flows_arg {
	const struct nft_flow *flows;
	const size_t *index;            /* element -> flow index */
};

static void describe_addr(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	snprintf(buf, len, "%s", s);
}

static void describe_flow(const void *arg, size_t elem, char *buf, size_t len)
{
	const struct flows_arg *fa = arg;
	size_t i = fa->index[elem / 2];
	const struct nft_flow *f = &fa->flows[i];
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool rev = elem & 1;

	describe_addr(f->family, rev ? f->dst : f->src, s, sizeof(s));
	describe_addr(f->family, rev ? f->src : f->dst, d, sizeof(d));
	snprintf(buf, len, "flow %zu%s: proto %u %s%s%s:%u -> %s%s%s:%u", i, rev ? " reverse" : "",
		 f->proto, f->family == 6 ? "[" : "", s, f->family == 6 ? "]" : "",
		 rev ? f->dport : f->sport, f->family == 6 ? "[" : "", d,
		 f->family == 6 ? "]" : "", rev ? f->sport : f->dport);
}

int nft_block_flows(struct nft *n, const struct nft_flow *flows, size_t count,
		    uint32_t timeout_s, char *err, size_t errlen)
{
	/* flows per batch: two elements of at most 64 + 44 bytes each */
	const size_t chunk = FLOW_BATCH_BYTES / (2 * (64 + FLOW6_KEY));
	struct flows_arg fa = { flows, NULL };
	size_t *index;
	int rc = 0;

	for (size_t j = 0; j < count; j++)
		if (flows[j].family != 4 && flows[j].family != 6)
			return errf(err, errlen, "nft: flow %zu: family %u is not 4 or 6", j, flows[j].family);
	index = calloc(count < chunk ? count + 1 : chunk, sizeof(*index));
	if (!index)
		return errf(err, errlen, "nft: out of memory");
	fa.index = index;
	for (size_t start = 0; start < count && rc == 0; start += chunk) {
		size_t end = count - start < chunk ? count : start + chunk, nidx = 0;
		struct batch bt;

		if (batch_open(&bt, n, describe_flow, &fa, err, errlen) < 0) {
			rc = -1;
			break;
		}
		/* IPv4 flows first, then IPv6: fewer messages; index[] maps an
		 * element back to its flow for error messages. */
		for (int fam = 4; fam <= 6 && rc == 0; fam += 2) {
			for (size_t j = start; j < end && rc == 0; j++) {
				uint8_t key[FLOW6_KEY];

				if (flows[j].family != fam)
					continue;
				index[nidx++] = j;
				for (int dir = 0; dir < 2 && rc == 0; dir++) {
					size_t kl = flow_key(&flows[j], dir, key);

					rc = batch_elem(&bt, NFT_MSG_NEWSETELEM, fam == 4 ? "flows4" : "flows6",
							key, kl, (uint64_t)timeout_s * 1000, 0, err, errlen);
				}
			}
		}
		if (rc == 0)
			rc = batch_send(&bt, err, errlen);
		if (rc == 0)
			n->st.elements += bt.nelems;
		batch_free(&bt);
	}
	free(index);
	return rc;
}

/* ---- quarantine ----------------------------------------------------------- */

static int check_family(uint8_t family, char *err, size_t errlen)
{
	if (family != 4 && family != 6)
		return errf(err, errlen, "nft: family %u is not 4 or 6", family);
	return 0;
}

struct addr_arg {
	uint8_t family;
	const uint8_t *addr;
};

static void describe_one(const void *arg, size_t elem, char *buf, size_t len)
{
	const struct addr_arg *a = arg;

	(void)elem;
	describe_addr(a->family, a->addr, buf, len);
}

/* One transaction of quarantine changes: delete (if del) then add (if add). */
static int quarantine_batch(struct nft *n, uint8_t family, const uint8_t *addr, bool del, bool add,
			    uint32_t timeout_s, int *kerrno, char *err, size_t errlen)
{
	const char *set = family == 4 ? "quarantine4" : "quarantine6";
	size_t kl = family == 4 ? 4 : 16;
	struct addr_arg aa = { family, addr };
	struct batch bt;
	int rc = 0;

	if (batch_open(&bt, n, describe_one, &aa, err, errlen) < 0)
		return -1;
	if (del)
		rc = batch_elem(&bt, NFT_MSG_DELSETELEM, set, addr, kl, 0, 0, err, errlen);
	if (rc == 0 && add)
		rc = batch_elem(&bt, NFT_MSG_NEWSETELEM, set, addr, kl, (uint64_t)timeout_s * 1000, 0,
				err, errlen);
	if (rc == 0)
		rc = batch_send(&bt, err, errlen);
	/* the first message is the delete when there is one */
	*kerrno = bt.kerr_msg == 0 ? bt.kerrno : 0;
	if (rc == 0)
		n->st.elements += bt.nelems;
	batch_free(&bt);
	return rc;
}

int nft_quarantine_add(struct nft *n, uint8_t family, const uint8_t *addr, uint32_t timeout_s,
		       char *err, size_t errlen)
{
	int kerr = 0;

	if (check_family(family, err, errlen) < 0)
		return -1;
	/* Delete and add in one transaction, so that a host already in
	 * quarantine gets exactly the new timeout (or none); when it is not
	 * there the delete fails with ENOENT and the add goes alone. */
	if (quarantine_batch(n, family, addr, true, true, timeout_s, &kerr, err, errlen) == 0)
		return 0;
	if (kerr != ENOENT)
		return -1;
	n->st.errors--;         /* the expected miss is no error */
	return quarantine_batch(n, family, addr, false, true, timeout_s, &kerr, err, errlen);
}

int nft_quarantine_del(struct nft *n, uint8_t family, const uint8_t *addr, char *err, size_t errlen)
{
	int kerr = 0;
	char a[INET6_ADDRSTRLEN];

	if (check_family(family, err, errlen) < 0)
		return -1;
	if (quarantine_batch(n, family, addr, true, false, 0, &kerr, err, errlen) == 0)
		return 0;
	if (kerr == ENOENT) {
		describe_addr(family, addr, a, sizeof(a));
		return errf(err, errlen, "%s is not in quarantine", a);
	}
	return -1;
}

/* ---- address tables ------------------------------------------------------- */

typedef unsigned __int128 u128;

struct range {
	u128 first, last;               /* inclusive */
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return 0;
}

static u128 addr_val(const uint8_t *a, size_t len)
{
	u128 v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | a[i];
	return v;
}

static void val_key(u128 v, uint8_t *key, size_t len)
{
	for (size_t i = len; i-- > 0; v >>= 8)
		key[i] = (uint8_t)v;
}

struct table_arg {
	const struct range *r;
	size_t nr;
	size_t alen;
	bool zero_end;                  /* element 0 is the end marker at 0 */
};

static void describe_range(const void *arg, size_t elem, char *buf, size_t len)
{
	const struct table_arg *ta = arg;
	uint8_t a[16], b[16];
	char s1[INET6_ADDRSTRLEN], s2[INET6_ADDRSTRLEN];
	size_t i;

	if (ta->zero_end && elem == 0) {
		snprintf(buf, len, "the interval end at address 0");
		return;
	}
	i = (elem - ta->zero_end) / 2;
	if (i >= ta->nr) {
		snprintf(buf, len, "element %zu", elem);
		return;
	}
	val_key(ta->r[i].first, a, ta->alen);
	val_key(ta->r[i].last, b, ta->alen);
	describe_addr(ta->alen == 4 ? 4 : 6, a, s1, sizeof(s1));
	describe_addr(ta->alen == 4 ? 4 : 6, b, s2, sizeof(s2));
	snprintf(buf, len, "range %s-%s", s1, s2);
}

static bool valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return i > 0 && i < NAME_MAX_LEN;
}

int nft_table_replace(struct nft *n, const char *set, uint8_t family, const uint8_t (*addr)[16],
		      const uint8_t *plen, size_t count, char *err, size_t errlen)
{
	size_t alen = family == 4 ? 4 : 16, nr = 0;
	unsigned bits = family == 4 ? 32 : 128;
	u128 max = family == 4 ? (u128)0xffffffffu : ~(u128)0;
	struct table_arg ta;
	struct range *r;
	struct batch bt;
	uint8_t key[16];
	int rc = 0;

	if (check_family(family, err, errlen) < 0)
		return -1;
	if (!valid_name(set))
		return errf(err, errlen, "nft: '%s' is not a valid set name", set);
	if (count > NFT_TABLE_MAX)
		return errf(err, errlen, "nft: %zu entries, at most %d", count, NFT_TABLE_MAX);
	r = calloc(count ? count : 1, sizeof(*r));
	if (!r)
		return errf(err, errlen, "nft: out of memory for %zu entries", count);
	for (size_t i = 0; i < count; i++) {
		u128 host;

		if (plen[i] > bits) {
			free(r);
			return errf(err, errlen, "nft: entry %zu: prefix length %u > %u", i,
				      plen[i], bits);
		}
		host = plen[i] == 0 ? max : plen[i] == bits ? 0 : (max >> plen[i]);
		r[i].first = addr_val(addr[i], alen) & ~host & max;
		r[i].last = r[i].first | host;
	}
	/* Sort, then merge overlapping and adjacent ranges: the kernel refuses
	 * overlaps, and an end element equal to the next start would be one. */
	qsort(r, count, sizeof(*r), range_cmp);
	for (size_t i = 0; i < count; i++) {
		if (nr > 0 && (r[nr - 1].last == max || r[i].first <= r[nr - 1].last + 1)) {
			if (r[i].last > r[nr - 1].last)
				r[nr - 1].last = r[i].last;
			continue;
		}
		r[nr++] = r[i];
	}
	ta = (struct table_arg){ r, nr, alen, nr > 0 && r[0].first != 0 };
	if (batch_open(&bt, n, describe_range, &ta, err, errlen) < 0) {
		free(r);
		return -1;
	}
	/* One transaction: flush, then the new contents. Packets see the old
	 * contents until the commit and the new ones after it. Elements are
	 * written as nft writes them: a start element per range, an end
	 * element (flag INTERVAL_END) at the address after it unless the
	 * range reaches the top, and an end element at 0 when no range starts
	 * there. */
	rc = batch_flush_set(&bt, set, err, errlen);
	if (rc == 0 && ta.zero_end) {
		val_key(0, key, alen);
		rc = batch_elem(&bt, NFT_MSG_NEWSETELEM, set, key, alen, 0, NFT_SET_ELEM_INTERVAL_END,
				err, errlen);
	}
	for (size_t i = 0; i < nr && rc == 0; i++) {
		val_key(r[i].first, key, alen);
		rc = batch_elem(&bt, NFT_MSG_NEWSETELEM, set, key, alen, 0, 0, err, errlen);
		if (rc == 0 && r[i].last != max) {
			val_key(r[i].last + 1, key, alen);
			rc = batch_elem(&bt, NFT_MSG_NEWSETELEM, set, key, alen, 0,
					NFT_SET_ELEM_INTERVAL_END, err, errlen);
		}
	}
	if (rc == 0)
		rc = batch_send(&bt, err, errlen);
	if (rc == 0)
		n->st.elements += bt.nelems;
	else if (bt.kerrno == ENOENT && bt.kerr_msg == 0)
		errf(err, errlen, "nft: set %s does not exist in table inet %s", set, NFT_TABLE);
	batch_free(&bt);
	free(r);
	return rc;
}

/* ---- the static ruleset --------------------------------------------------- */

/* What the script declares inside table inet kastro. */
struct decl {
	char kind;                      /* 'c' chain, 's' set, 'm' map, 'o' anything else */
	bool has_elements;              /* a set or map that lists its elements */
	char name[NAME_MAX_LEN];
	size_t start, end;              /* the block's text in the script */
};

/* What exists in the kernel's table inet kastro. */
struct obj {
	char name[NAME_MAX_LEN];
	uint64_t handle;
	bool map;
};

struct objs {
	struct obj *v;
	size_t n, max;
};

enum tok { T_EOF, T_WORD, T_LBRACE, T_RBRACE, T_END };

struct lex {
	const char *s;
	size_t len, pos;
	unsigned line;
	size_t ts, tl;                  /* the token's text */
};

/* Next token of nft syntax, as far as the structure needs: words (quoted
 * strings included), braces, and statement ends (';' or a newline). */
static enum tok lex_next(struct lex *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];

		if (c == '\\' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\n') {
			lx->pos += 2;
			lx->line++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		lx->ts = lx->pos;
		lx->tl = 1;
		if (c == '\n' || c == ';') {
			if (c == '\n')
				lx->line++;
			lx->pos++;
			return T_END;
		}
		if (c == '{' || c == '}') {
			lx->pos++;
			return c == '{' ? T_LBRACE : T_RBRACE;
		}
		if (c == '"') {
			size_t e = lx->pos + 1;

			while (e < lx->len && lx->s[e] != '"' && lx->s[e] != '\n')
				e++;
			lx->tl = (e < lx->len ? e + 1 : e) - lx->ts;
			lx->pos = lx->ts + lx->tl;
			return T_WORD;
		}
		while (lx->pos < lx->len && !strchr(" \t\r\n;{}#\"", lx->s[lx->pos]))
			lx->pos++;
		lx->tl = lx->pos - lx->ts;
		return T_WORD;
	}
	return T_EOF;
}

static bool tok_is(const struct lex *lx, const char *w)
{
	return lx->tl == strlen(w) && memcmp(lx->s + lx->ts, w, lx->tl) == 0;
}

/*
 * Find what the script declares, and check that it declares nothing but
 * `table inet kastro { ... }` blocks: the privileged process writes its own
 * table and nothing else (no other table, no flush ruleset, no include).
 */
static int scan_script(const char *script, size_t len, struct decl *d, size_t maxd, size_t *nd,
		       char *err, size_t errlen)
{
	struct lex lx = { script, len, 0, 1, 0, 0 };
	unsigned depth = 0, want = 0, words = 0, tables = 0;
	static const char *const head[] = { "table", "inet", NFT_TABLE };
	size_t w0s = 0, w0l = 0, w1s = 0, w1l = 0, wls = 0, wll = 0, stmt = 0;
	struct decl *cur = NULL;
	enum tok t;

	*nd = 0;
	while ((t = lex_next(&lx)) != T_EOF) {
		if (depth == 0) {
			if (t == T_END && want == 0)
				continue;
			if (want < 3 && t == T_WORD && tok_is(&lx, head[want])) {
				want++;
				continue;
			}
			if (want == 3 && t == T_LBRACE) {
				depth = 1;
				want = 0;
				words = 0;
				tables++;
				continue;
			}
			return errf(err, errlen,
				      "nft: script line %u: '%.*s': a ruleset may only declare "
				      "'table inet %s { ... }'", lx.line, t == T_END ? 0 : (int)lx.tl,
				      script + lx.ts, NFT_TABLE);
		}
		if (depth == 1) {
			if (t == T_END) {
				words = 0;
			} else if (t == T_WORD) {
				if (words == 0) {
					stmt = lx.ts;
					w0s = lx.ts;
					w0l = lx.tl;
				} else if (words == 1) {
					w1s = lx.ts;
					w1l = lx.tl;
				}
				wls = lx.ts;
				wll = lx.tl;
				words++;
			} else if (t == T_RBRACE) {
				depth = 0;
			} else if (t == T_LBRACE) {
				if (words < 2)
					return errf(err, errlen, "nft: script line %u: a block without a name",
						      lx.line);
				if (*nd == maxd)
					return errf(err, errlen, "nft: script declares more than %zu objects", maxd);
				cur = &d[(*nd)++];
				memset(cur, 0, sizeof(*cur));
				cur->kind = 'o';
				if (w0l == 5 && memcmp(script + w0s, "chain", 5) == 0)
					cur->kind = 'c';
				else if (w0l == 3 && memcmp(script + w0s, "set", 3) == 0)
					cur->kind = 's';
				else if (w0l == 3 && memcmp(script + w0s, "map", 3) == 0)
					cur->kind = 'm';
				/* the name: the second word of set, map and chain, the
				 * last before '{' of other objects (ct helper NAME) */
				if (cur->kind == 'o') {
					w1s = wls;
					w1l = wll;
				}
				if (w1l > 1 && script[w1s] == '"') {
					w1s++;
					w1l -= script[w1s + w1l - 2] == '"' ? 2 : 1;
				}
				if (w1l == 0 || w1l >= NAME_MAX_LEN)
					return errf(err, errlen, "nft: script line %u: bad name", lx.line);
				memcpy(cur->name, script + w1s, w1l);
				cur->name[w1l] = '\0';
				cur->start = stmt;
				depth = 2;
				words = 0;
			}
			continue;
		}
		/* inside a declaration */
		if (t == T_LBRACE) {
			depth++;
		} else if (t == T_RBRACE) {
			if (--depth == 1) {
				cur->end = lx.pos;
				cur = NULL;
			}
		} else if (t == T_WORD && depth == 2 && (cur->kind == 's' || cur->kind == 'm') &&
			   tok_is(&lx, "elements")) {
			cur->has_elements = true;
		}
	}
	if (depth != 0 || want != 0)
		return errf(err, errlen, "nft: script ends inside a block (missing '}')");
	if (tables == 0)
		return errf(err, errlen, "nft: script declares no 'table inet %s'", NFT_TABLE);
	return 0;
}

static const struct decl *find_decl(const struct decl *d, size_t nd, bool chain, const char *name)
{
	for (size_t i = 0; i < nd; i++)
		if ((chain ? d[i].kind == 'c' : (d[i].kind == 's' || d[i].kind == 'm')) &&
		    strcmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

static int objs_add(struct objs *o, const char *name, uint64_t handle, bool map)
{
	if (o->n == o->max) {
		size_t nm = o->max ? o->max * 2 : 32;
		struct obj *v;

		if (nm > MAX_DECLS * 4)
			return -1;
		v = reallocarray(o->v, nm, sizeof(*v));
		if (!v)
			return -1;
		o->v = v;
		o->max = nm;
	}
	snprintf(o->v[o->n].name, sizeof(o->v[o->n].name), "%s", name);
	o->v[o->n].handle = handle;
	o->v[o->n].map = map;
	o->n++;
	return 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int rc = MNL_CB_OK;

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_TABLE) == 0 &&
	    objs_add(data, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
		     nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE), false) < 0)
		rc = MNL_CB_ERROR;
	nftnl_chain_free(c);
	return rc;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int rc = MNL_CB_OK;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), NFT_TABLE) == 0 &&
	    !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) &&
	    objs_add(data, nftnl_set_get_str(s, NFTNL_SET_NAME), nftnl_set_get_u64(s, NFTNL_SET_HANDLE),
		     nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_MAP) < 0)
		rc = MNL_CB_ERROR;
	nftnl_set_free(s);
	return rc;
}

/* One netlink request (a dump when cb lists), answers through cb. A
 * missing table reads as an empty list. */
static int nl_request(struct nft *n, uint16_t type, uint16_t flags, uint16_t name_attr,
		      mnl_cb_t cb, void *data, char *err, size_t errlen)
{
	char *buf = n->rbuf;
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t r;
	int rc;

	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, seq);
	mnl_attr_put_strz(nlh, name_attr, NFT_TABLE);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return errf(err, errlen, "nft: netlink request: %s", strerror(errno));
	for (;;) {
		r = mnl_socket_recvfrom(n->nl, buf, sizeof(n->rbuf));
		if (r < 0)
			return errf(err, errlen, "nft: netlink answer: %s", strerror(errno));
		rc = mnl_cb_run(buf, (size_t)r, seq, n->portid, cb, data);
		if (rc < 0) {
			if (errno == ENOENT)
				return 0;
			return errf(err, errlen, "nft: netlink answer: %s", strerror(errno));
		}
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

int nft_table_exists(struct nft *n, char *err, size_t errlen)
{
	int found = 0;

	if (nl_request(n, NFT_MSG_GETTABLE, NLM_F_ACK, NFTA_TABLE_NAME, count_cb, &found, err, errlen) < 0)
		return -1;
	return found > 0;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 && nftnl_obj_is_set(o, NFTNL_OBJ_CTR_PKTS))
		*(uint64_t *)data = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

int nft_counter_get(struct nft *n, const char *name, uint64_t *packets, char *err, size_t errlen)
{
	char *buf = n->rbuf;
	struct nftnl_obj *o;
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t r;
	int rc;

	*packets = 0;
	if (!valid_name(name))
		return errf(err, errlen, "nft: bad counter name");
	o = nftnl_obj_alloc();
	if (!o)
		return errf(err, errlen, "nft: out of memory");
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return errf(err, errlen, "nft: netlink request: %s", strerror(errno));
	for (;;) {
		r = mnl_socket_recvfrom(n->nl, buf, sizeof(n->rbuf));
		if (r < 0)
			return errf(err, errlen, "nft: netlink answer: %s", strerror(errno));
		rc = mnl_cb_run(buf, (size_t)r, seq, n->portid, obj_cb, packets);
		if (rc < 0)
			return errno == ENOENT ? 0 : errf(err, errlen, "nft: counter %s: %s", name,
							  strerror(errno));
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* A text buffer that refuses to grow past max. */
struct sbuf {
	char *p;
	size_t len, cap, max;
	bool over;
};

static void sb_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->over)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		char *p;

		while (nc < b->len + len + 1)
			nc *= 2;
		if (nc > b->max || !(p = realloc(b->p, nc))) {
			b->over = true;
			return;
		}
		b->p = p;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[NAME_MAX_LEN + 128];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(tmp)) {
		b->over = true;
		return;
	}
	sb_add(b, tmp, (size_t)k);
}

/*
 * Copy nft's error text to err, naming places "line L:C" of the script:
 * nft reads the transaction from a file named path whose first line is
 * our prologue, so its line L is the script's line L - 1.
 */
static void copy_error(const char *m, const char *path, char *err, size_t errlen)
{
	size_t pl = strlen(path), o = 0, ml = strlen(m);

	while (ml > 0 && m[ml - 1] == '\n')
		ml--;
	if (!errlen)
		return;
	for (size_t i = 0; i < ml && o + 1 < errlen; ) {
		char *end;
		unsigned long line;

		if (strncmp(m + i, path, pl) == 0 && m[i + pl] == ':') {
			line = strtoul(m + i + pl + 1, &end, 10);
			if (end != m + i + pl + 1 && *end == ':') {
				int k = line > 1 ? snprintf(err + o, errlen - o, "line %lu:", line - 1)
						 : snprintf(err + o, errlen - o, "prologue:");

				o += k > 0 ? (size_t)k : 0;
				if (o >= errlen)
					o = errlen - 1;
				i = (size_t)(end + 1 - m);
				continue;
			}
		}
		err[o++] = m[i++];
	}
	err[o] = '\0';
}

/*
 * Run text through libnftables (dry: checked by the kernel, not committed);
 * on failure copy nft's message to err. The text goes through a memfd read
 * as a file: nft 1.0.6 shows the right line of a file in its errors (of a
 * buffer, always the first).
 */
static int run_nft(struct nft *n, const char *text, size_t len, bool dry, char *err, size_t errlen)
{
	char path[64];
	const char *m;
	size_t off = 0;
	int fd, rc;

	fd = memfd_create("kastro-ruleset", MFD_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, "nft: memfd_create: %s", strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return errf(err, errlen, "nft: writing the ruleset to a memfd: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nft_ctx_set_dry_run(n->ctx, dry);
	rc = nft_run_cmd_from_filename(n->ctx, path);
	nft_ctx_set_dry_run(n->ctx, false);
	close(fd);
	(void)nft_ctx_get_output_buffer(n->ctx);
	m = nft_ctx_get_error_buffer(n->ctx);
	if (rc == 0)
		return 0;
	if (!m || !*m)
		return errf(err, errlen, "nft: libnftables failed without a message");
	copy_error(m, path, err, errlen);
	return -1;
}

/* A chain name nft's text takes as it is (kastrod's own always are). */
static bool chain_word(const char *s)
{
	return valid_name(s) && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
}

/*
 * Build the transaction: prologue on the script's first line (so nft's
 * line numbers in errors are the script's own), then the script.
 * recreate: delete every chain (they come back from the script) and the
 * sets marked in conflict[]. keep: a chain whose rules stay (neither
 * flushed nor deleted) when the script declares it.
 */
static int build_apply(struct sbuf *b, const char *script, size_t len, const struct decl *d, size_t nd,
		       const struct objs *chains, const struct objs *sets, const bool *conflict,
		       bool recreate, const char *keep)
{
	bool kept = keep && find_decl(d, nd, true, keep);

	b->len = 0;
	b->over = false;
	sb_printf(b, "add table inet %s; ", NFT_TABLE);
	if (!kept) {
		sb_printf(b, "flush table inet %s; ", NFT_TABLE);
	} else {
		/* every chain's rules but the kept chain's */
		for (size_t i = 0; i < chains->n; i++) {
			const char *c = chains->v[i].name;

			if (strcmp(c, keep) == 0)
				continue;
			if (chain_word(c))
				sb_printf(b, "flush chain inet %s %s; ", NFT_TABLE, c);
			else if (!find_decl(d, nd, true, c))
				sb_printf(b, "delete chain inet %s handle %" PRIu64 "; ", NFT_TABLE,
					  chains->v[i].handle);
		}
	}
	for (size_t i = 0; i < sets->n; i++) {
		const struct decl *x = find_decl(d, nd, false, sets->v[i].name);

		if (x && x->has_elements && !conflict[i])
			sb_printf(b, "flush %s inet %s %s; ", sets->v[i].map ? "map" : "set", NFT_TABLE,
				  sets->v[i].name);
	}
	for (size_t i = 0; i < chains->n; i++) {
		const char *c = chains->v[i].name;
		bool declared = find_decl(d, nd, true, c) != NULL;

		if (kept && strcmp(c, keep) == 0 && declared)
			continue;
		if (kept && !chain_word(c) && !declared)
			continue;       /* deleted above */
		if (recreate || !declared)
			sb_printf(b, "delete chain inet %s handle %" PRIu64 "; ", NFT_TABLE,
				  chains->v[i].handle);
	}
	for (size_t i = 0; i < sets->n; i++)
		if (conflict[i] || !find_decl(d, nd, false, sets->v[i].name))
			sb_printf(b, "delete %s inet %s handle %" PRIu64 "; ", sets->v[i].map ? "map" : "set",
				  NFT_TABLE, sets->v[i].handle);
	sb_add(b, "\n", 1);
	sb_add(b, script, len);
	return b->over ? -1 : 0;
}

int nft_apply_ruleset(struct nft *n, const char *script, char *err, size_t errlen)
{
	return nft_apply_ruleset_keep(n, script, NULL, err, errlen);
}

int nft_apply_ruleset_keep(struct nft *n, const char *script, const char *keep, char *err,
			   size_t errlen)
{
	size_t len = strlen(script), nd = 0;
	struct objs chains = { 0 }, sets = { 0 };
	struct sbuf b = { .max = SCRIPT_MAX + (1u << 20) };
	struct decl *d = NULL;
	bool *conflict = NULL, retry = false;
	int rc = -1;

	if (len > SCRIPT_MAX)
		return errf(err, errlen, "nft: ruleset of %zu bytes, at most %u", len, SCRIPT_MAX);
	d = calloc(MAX_DECLS, sizeof(*d));
	if (!d)
		return errf(err, errlen, "nft: out of memory");
	if (scan_script(script, len, d, MAX_DECLS, &nd, err, errlen) < 0)
		goto out;
	if (nl_request(n, NFT_MSG_GETCHAIN, NLM_F_DUMP, NFTA_CHAIN_TABLE, chain_cb, &chains, err, errlen) < 0 ||
	    nl_request(n, NFT_MSG_GETSET, NLM_F_DUMP, NFTA_SET_TABLE, set_cb, &sets, err, errlen) < 0)
		goto out;
	conflict = calloc(sets.n + 1, sizeof(*conflict));
	if (!conflict) {
		errf(err, errlen, "nft: out of memory");
		goto out;
	}
	if (build_apply(&b, script, len, d, nd, &chains, &sets, conflict, false, keep) < 0) {
		errf(err, errlen, "nft: transaction larger than %zu bytes", b.max);
		goto out;
	}
	rc = run_nft(n, b.p, b.len, false, err, errlen);
	n->st.batches++;
	if (rc == 0)
		goto out;

	/* The kernel may have refused a set whose type or flags changed, or a
	 * base chain whose hook or priority changed: neither changes in place.
	 * Find the sets (each declaration checked alone, without committing)
	 * and try once more with those sets and all chains recreated. */
	for (size_t i = 0; i < sets.n; i++) {
		const struct decl *x = find_decl(d, nd, false, sets.v[i].name);
		struct sbuf c = { .max = SCRIPT_MAX + 4096 };
		char e2[8];

		if (!x || !x->end)
			continue;
		sb_printf(&c, "add table inet %s\ntable inet %s {\n", NFT_TABLE, NFT_TABLE);
		sb_add(&c, script + x->start, x->end - x->start);
		sb_add(&c, "\n}\n", 3);
		if (!c.over && run_nft(n, c.p, c.len, true, e2, sizeof(e2)) < 0)
			conflict[i] = retry = true;
		free(c.p);
	}
	for (size_t i = 0; i < chains.n && !retry; i++)
		if (find_decl(d, nd, true, chains.v[i].name))
			retry = true;
	if (!retry)
		goto fail;
	if (build_apply(&b, script, len, d, nd, &chains, &sets, conflict, true, keep) < 0) {
		errf(err, errlen, "nft: transaction larger than %zu bytes", b.max);
		goto fail;
	}
	rc = run_nft(n, b.p, b.len, false, err, errlen);
	n->st.batches++;
	if (rc == 0)
		goto out;
fail:
	rc = -1;
	n->st.errors++;
out:
	free(b.p);
	free(conflict);
	free(chains.v);
	free(sets.v);
	free(d);
	return rc;
}
