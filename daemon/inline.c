/*
 * inline.c - see inline.h.
 *
 * The queue rule and the probe go through libnftnl/libmnl batches of their
 * own. The probe sends a batch without its end message: the kernel checks
 * every message, answers each, and then aborts the whole batch (this is how
 * `nft -c` checks a ruleset), so nothing is left behind.
 */
#include "inline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <nftables/libnftables.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errf.h"
#include "nft.h"
#include "policy.h"

#define PROBE_TABLE "kastro_probe"
#define BUF_BYTES 16384

/* struct xt_NFQ_info_v3 (linux/netfilter/xt_NFQUEUE.h) */
struct inl_xt_nfq_v3 {
	uint16_t queuenum;
	uint16_t queues_total;
	uint16_t flags;
	uint16_t pad;
};
#define INL_XT_NFQ_BYPASS 0x1

int inl_wanted(const struct kastrod_conf *c)
{
	size_t i;

	if (c->monitor)
		return 0;
	for (i = 0; c->policy != NULL && i < c->policy->n_rules; i++)
		if (c->policy->rules[i].dpi)
			return 1;
	return 0;
}

static struct nftnl_expr *queue_expr(int native, uint16_t qnum, int bypass)
{
	struct nftnl_expr *e;

	if (native) {
		e = nftnl_expr_alloc("queue");
		if (!e)
			return NULL;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, qnum);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
		return e;
	}
	{
		struct inl_xt_nfq_v3 *info = calloc(1, sizeof(*info));

		e = nftnl_expr_alloc("target");
		if (!e || !info) {
			free(info);
			if (e)
				nftnl_expr_free(e);
			return NULL;
		}
		info->queuenum = qnum;
		info->queues_total = 1;
		info->flags = bypass ? INL_XT_NFQ_BYPASS : 0;
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		/* the expression owns info from here */
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
	}
	return e;
}

/* meta mark & INL_MARK_FAILOPEN == INL_MARK_FAILOPEN, into r. */
static int failopen_match(struct nftnl_rule *r)
{
	struct nftnl_expr *m = nftnl_expr_alloc("meta"), *b = nftnl_expr_alloc("bitwise");
	struct nftnl_expr *c = nftnl_expr_alloc("cmp");
	uint32_t bit = INL_MARK_FAILOPEN, zero = 0;

	if (!m || !b || !c) {
		if (m)
			nftnl_expr_free(m);
		if (b)
			nftnl_expr_free(b);
		if (c)
			nftnl_expr_free(c);
		return -1;
	}
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(m, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(b, NFTNL_EXPR_BITWISE_LEN, sizeof(bit));
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_MASK, &bit, sizeof(bit));
	nftnl_expr_set(b, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(c, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(c, NFTNL_EXPR_CMP_DATA, &bit, sizeof(bit));
	nftnl_rule_add_expr(r, m);
	nftnl_rule_add_expr(r, b);
	nftnl_rule_add_expr(r, c);
	return 0;
}

/* The queue rule; with failopen, only for packets marked failing open, with bypass. */
static int rule_into_m(char *buf, uint32_t seq, const char *table, const char *chain, int native,
		       uint16_t qnum, int bypass, int failopen, struct nlmsghdr **out)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e;
	struct nlmsghdr *nlh;

	if (!r)
		return -1;
	if (failopen && failopen_match(r) < 0) {
		nftnl_rule_free(r);
		return -1;
	}
	e = queue_expr(native, qnum, bypass);
	if (!e) {
		nftnl_rule_free(r);
		return -1;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_add_expr(r, e);
	/* no NLM_F_APPEND: the rule goes to the head of the chain */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	*out = nlh;
	return 0;
}

static int rule_into(char *buf, uint32_t seq, const char *table, const char *chain, int native,
		     uint16_t qnum, int bypass, struct nlmsghdr **out)
{
	return rule_into_m(buf, seq, table, chain, native, qnum, bypass, 0, out);
}

int inl_rule_failopen_msg(char *buf, size_t len, uint32_t seq, int native, uint16_t qnum)
{
	char tmp[1024];
	struct nlmsghdr *nlh;

	if (rule_into_m(tmp, seq, NFT_TABLE, INL_QUEUE_CHAIN, native, qnum, 1, 1, &nlh) < 0)
		return -1;
	if (nlh->nlmsg_len > len)
		return -1;
	memcpy(buf, tmp, nlh->nlmsg_len);
	return (int)nlh->nlmsg_len;
}

int inl_rule_msg(char *buf, size_t len, uint32_t seq, int native, uint16_t qnum, int bypass)
{
	char tmp[1024];
	struct nlmsghdr *nlh;

	if (rule_into(tmp, seq, NFT_TABLE, INL_QUEUE_CHAIN, native, qnum, bypass, &nlh) < 0)
		return -1;
	if (nlh->nlmsg_len > len)
		return -1;
	memcpy(buf, tmp, nlh->nlmsg_len);
	return (int)nlh->nlmsg_len;
}

/* Send a batch and read one answer per message that asked for one. */
static int talk(struct mnl_socket *nl, const void *batch, size_t len, uint32_t first_seq,
		uint32_t n_acks, int *errs, char *err, size_t errlen)
{
	char buf[BUF_BYTES];
	uint32_t got = 0;
	ssize_t r;

	if (mnl_socket_sendto(nl, batch, len) < 0)
		return errf(err, errlen, "netlink send: %s", strerror(errno));
	while (got < n_acks) {
		struct nlmsghdr *nlh;
		size_t left;

		r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (r < 0)
			return errf(err, errlen, "netlink receive: %s", strerror(errno));
		left = (size_t)r;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, (int)left);
		     nlh = mnl_nlmsg_next(nlh, (int *)&left)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				uint32_t i = nlh->nlmsg_seq - first_seq;

				if (i < n_acks)
					errs[i] = -e->error;
				got++;
			}
		}
	}
	return 0;
}

static struct mnl_socket *open_nl(int bus, char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(bus);

	if (!nl) {
		errf(err, errlen, "netlink socket: %s", strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		errf(err, errlen, "netlink bind: %s", strerror(errno));
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Can a native queue rule be added? Checked in a batch the kernel aborts. */
static int probe_native(uint16_t qnum, int *yes, char *err, size_t errlen)
{
	char *buf = calloc(1, BUF_BYTES);
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	struct nftnl_table *t;
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), s0;
	int errs[3] = { -1, -1, -1 }, rc = -1;

	if (!buf)
		return errf(err, errlen, "out of memory");
	nl = open_nl(NETLINK_NETFILTER, err, errlen);
	if (!nl) {
		free(buf);
		return -1;
	}
	b = mnl_nlmsg_batch_start(buf, BUF_BYTES);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	s0 = seq;
	t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, PROBE_TABLE);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);
	c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PROBE_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "probe");
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);
	if (rule_into(mnl_nlmsg_batch_current(b), seq++, PROBE_TABLE, "probe", 1, qnum, 1, &nlh) < 0) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	mnl_nlmsg_batch_next(b);
	/* no batch end: the kernel answers each message, then aborts */
	if (talk(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), s0, 3, errs, err, errlen) < 0)
		goto out;
	if (errs[0] != 0 || errs[1] != 0) {
		errf(err, errlen, "nftables probe refused: %s", strerror(errs[0] ? errs[0] : errs[1]));
		goto out;
	}
	*yes = errs[2] == 0;
	rc = 0;
out:
	mnl_nlmsg_batch_stop(b);
	mnl_socket_close(nl);
	free(buf);
	return rc;
}

/* Does the queue take NFQA_CFG_F_CONNTRACK? Asked on an unbound queue number. */
static int probe_glue(uint16_t qnum, int *yes, char *err, size_t errlen)
{
	char buf[BUF_BYTES];
	struct mnl_socket *nl = open_nl(NETLINK_NETFILTER, err, errlen);
	struct nlmsghdr *nlh;
	int e[1] = { -1 };
	uint32_t seq = (uint32_t)time(NULL);

	if (!nl)
		return -1;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (talk(nl, nlh, nlh->nlmsg_len, seq, 1, e, err, errlen) < 0 || e[0] != 0) {
		if (e[0] > 0)
			errf(err, errlen, "cannot bind queue %u: %s", qnum, strerror(e[0]));
		mnl_socket_close(nl);
		return -1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qnum);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_CONNTRACK));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_CONNTRACK));
	e[0] = -1;
	if (talk(nl, nlh, nlh->nlmsg_len, seq, 1, e, err, errlen) < 0) {
		mnl_socket_close(nl);
		return -1;
	}
	*yes = e[0] == 0;
	/* closing the socket unbinds the queue */
	mnl_socket_close(nl);
	return 0;
}

int inl_detect(struct inl_kernel *k, uint16_t qnum, char *err, size_t errlen)
{
	/* the glue is asked on a queue number nobody holds: ours may still be
	 * held for a moment by the relay of an earlier run */
	static const uint16_t spare[] = { 65535, 65534, 65533, 65532 };
	size_t i;

	memset(k, 0, sizeof(*k));
	if (probe_native(qnum, &k->native_queue, err, errlen) < 0)
		return -1;
	if (probe_glue(qnum, &k->ct_glue, err, errlen) == 0)
		return 0;
	for (i = 0; i < sizeof(spare) / sizeof(spare[0]); i++)
		if (spare[i] != qnum && probe_glue(spare[i], &k->ct_glue, err, errlen) == 0)
			return 0;
	return -1;
}

#define OLD_RULES_MAX 64

struct handles {
	uint64_t h[OLD_RULES_MAX];
	size_t n;
	int over;
};

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct handles *hs = data;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), NFT_TABLE) == 0 &&
	    strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), INL_QUEUE_CHAIN) == 0) {
		if (hs->n < OLD_RULES_MAX)
			hs->h[hs->n++] = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
		else
			hs->over = 1;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* The handles of the rules now in chain inline_queue (none without the table). */
static int old_rules(struct mnl_socket *nl, struct handles *hs, char *err, size_t errlen)
{
	char buf[BUF_BYTES];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), port = mnl_socket_get_portid(nl);
	ssize_t got;
	int rc;

	if (!r)
		return errf(err, errlen, "out of memory");
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, INL_QUEUE_CHAIN);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return errf(err, errlen, "netlink send: %s", strerror(errno));
	do {
		got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (got < 0)
			return errf(err, errlen, "netlink receive: %s", strerror(errno));
		rc = mnl_cb_run(buf, (size_t)got, seq, port, rule_cb, hs);
	} while (rc > 0);
	if (rc < 0 && errno != ENOENT)
		return errf(err, errlen, "listing chain %s: %s", INL_QUEUE_CHAIN, strerror(errno));
	if (hs->over)
		return errf(err, errlen, "chain %s holds more than %d rules: not kastrod's",
			    INL_QUEUE_CHAIN, OLD_RULES_MAX);
	return 0;
}

int inl_install(const struct inl_kernel *k, uint16_t qnum, char *err, size_t errlen)
{
	char *buf = calloc(1, BUF_BYTES);
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	struct nlmsghdr *nlh;
	struct nftnl_table *t;
	struct nftnl_chain *c;
	struct handles hs = { .n = 0 };
	uint32_t seq = (uint32_t)time(NULL), s0, nmsg;
	int e[4 + OLD_RULES_MAX], rc = -1;
	size_t i;

	if (!buf)
		return errf(err, errlen, "out of memory");
	nl = open_nl(NETLINK_NETFILTER, err, errlen);
	if (!nl) {
		free(buf);
		return -1;
	}
	b = mnl_nlmsg_batch_start(buf, BUF_BYTES);
	if (old_rules(nl, &hs, err, errlen) < 0)
		goto out;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	s0 = seq;
	/* the table and the chain, unless they exist */
	t = nftnl_table_alloc();
	c = nftnl_chain_alloc();
	if (!t || !c) {
		if (t)
			nftnl_table_free(t);
		if (c)
			nftnl_chain_free(c);
		errf(err, errlen, "out of memory");
		goto out;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, INL_QUEUE_CHAIN);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWCHAIN, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);
	/* the new queue rules at the head (each goes before the one before
	 * it: the plain rule, then the one failing open), then the old go */
	if (rule_into(mnl_nlmsg_batch_current(b), seq++, NFT_TABLE, INL_QUEUE_CHAIN, k->native_queue,
		      qnum, 0, &nlh) < 0) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	mnl_nlmsg_batch_next(b);
	if (rule_into_m(mnl_nlmsg_batch_current(b), seq++, NFT_TABLE, INL_QUEUE_CHAIN,
			k->native_queue, qnum, 1, 1, &nlh) < 0) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	mnl_nlmsg_batch_next(b);
	for (i = 0; i < hs.n; i++) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r) {
			errf(err, errlen, "out of memory");
			goto out;
		}
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, INL_QUEUE_CHAIN);
		nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, hs.h[i]);
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_DELRULE, NFPROTO_INET,
					    NLM_F_ACK, seq++);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		mnl_nlmsg_batch_next(b);
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nmsg = 4 + (uint32_t)hs.n;
	for (i = 0; i < nmsg; i++)
		e[i] = -1;
	if (talk(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), s0, nmsg, e, err, errlen) < 0)
		goto out;
	for (i = 0; i < nmsg; i++)
		if (e[i] != 0)
			break;
	if (i < nmsg) {
		errf(err, errlen, "the kernel refused %s in chain %s: %s",
		     i < 2 ? "table inet " NFT_TABLE " or the chain" :
		     i < 4 ? (k->native_queue ? "the native queue rule" : "the NFQUEUE (compat) queue rule") :
		     "to delete an old rule", INL_QUEUE_CHAIN, strerror(e[i] > 0 ? e[i] : EPROTO));
		goto out;
	}
	rc = 0;
out:
	mnl_nlmsg_batch_stop(b);
	mnl_socket_close(nl);
	free(buf);
	return rc;
}

int inl_flush(char *err, size_t errlen)
{
	struct nft *n = nft_open(err, errlen);
	struct nft_ctx *ctx;
	int rc;

	if (!n)
		return -1;
	rc = nft_table_exists(n, err, errlen);
	nft_close(n);
	if (rc <= 0)
		return rc;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return errf(err, errlen, "cannot create a libnftables context");
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "delete table inet " NFT_TABLE "\n") != 0) {
		const char *m = nft_ctx_get_error_buffer(ctx);

		errf(err, errlen, "cannot delete table inet %s: %s", NFT_TABLE, m ? m : "?");
		nft_ctx_free(ctx);
		return -1;
	}
	nft_ctx_free(ctx);
	return 1;
}
