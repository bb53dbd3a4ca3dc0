/*
 * inline.h - inline enforcement: the kernel side of "hold until the
 * verdict" (names, marks, the queue rule, what the kernel offers).
 *
 * In live mode with at least one DPI rule in the policy, new connections
 * that a DPI rule could match are held in NFQUEUE until kastrod has judged
 * them. The verdict is written on the connection (its conntrack mark, under
 * INL_MARK_MASK, so other tools' bits survive):
 *
 *   ct mark & MASK   meaning
 *   0                not seen yet (or older than kastrod)
 *   INL_MARK_PASS    judged: pass; the kernel forwards it
 *   INL_MARK_BLOCK   judged: block; every packet is rejected
 *   INL_MARK_INSPECT under inspection: every packet goes to the queue
 *
 * and INL_MARK_UNQUEUED (outside the mask) beside INL_MARK_PASS on a
 * connection passed without entering the queue (no DPI rule can match it,
 * or older than kastrod's table): its end, from conntrack, is its only
 * flow record.
 *
 * Two routes, chosen at start from what the kernel has (inl_detect):
 *   native: nftables' `queue` expression, and a verdict that writes the
 *           conntrack mark itself (NFQA_CT, the conntrack glue);
 *   compat: the xt NFQUEUE target (revision 3) through nft_compat, and a
 *           verdict that writes the packet mark, which chain inline_verdict
 *           copies into the conntrack mark.
 * How a connection fails (inline { fail }, or its DPI rule's own `fail`) is
 * written on it when it is first queued: INL_MARK_FAILOPEN in its ct mark,
 * copied to the packet mark of each of its queued packets; the queue rule
 * for those has the bypass flag, and the relay answers them open.
 *
 * Neither queue rule can be written in nft's text (the compat target not at
 * all), so the text ruleset declares chain inline_queue without rules and
 * kastrod writes the queue rules there through libnftnl before each load
 * (inl_install); the load (nft_apply_ruleset_keep) leaves that chain's
 * rules alone, so no generation of the ruleset runs without its queue rules.
 *
 * Functions return 0 or -1 with a message in err; none of them logs.
 */
#ifndef KASTRO_INLINE_H
#define KASTRO_INLINE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define INL_MARK_MASK    0x30000000u
#define INL_MARK_PASS    0x10000000u
#define INL_MARK_BLOCK   0x20000000u
#define INL_MARK_INSPECT 0x30000000u
#define INL_MARK_UNQUEUED 0x40000000u
/* ct and packet mark of a connection under inspection that fails open */
#define INL_MARK_FAILOPEN 0x80000000u

#define INL_QUEUE_CHAIN "inline_queue"

/* What the running kernel offers. */
struct inl_kernel {
	int native_queue;               /* nft `queue` expression (nft_queue) */
	int ct_glue;                    /* NFQA_CT in verdicts (NFQA_CFG_F_CONNTRACK) */
};

/* Is inline enforcement on for c (live, a policy with a DPI rule, not --monitor)? */
int inl_wanted(const struct kastrod_conf *c);

/* Probe the kernel: nothing is changed (the probe transaction is aborted). */
int inl_detect(struct inl_kernel *k, uint16_t qnum, char *err, size_t errlen);

/*
 * Build the NEWRULE message that inserts the queue rule at the head of
 * chain inline_queue of table inet kastro: native `queue num Q [bypass]`
 * or the compat target NFQUEUE rev 3 {queuenum Q, queues_total 1, flags
 * bypass?}. Returns the message length, or -1 when buf is too small.
 */
int inl_rule_msg(char *buf, size_t len, uint32_t seq, int native, uint16_t qnum, int bypass);

/*
 * The same for the rule that queues packets marked INL_MARK_FAILOPEN with
 * the bypass flag: `meta mark & 0x80000000 == 0x80000000` then the queue.
 */
int inl_rule_failopen_msg(char *buf, size_t len, uint32_t seq, int native, uint16_t qnum);

/*
 * Make chain inline_queue of table inet kastro hold exactly the queue
 * rules, in one transaction: the table and chain are made if missing (a
 * chain no rule jumps to yet does nothing), the rules go to the head (first
 * the one for packets of connections failing open, with the bypass flag,
 * then the plain one) and the rules there before are deleted. Call it
 * before each ruleset load.
 */
int inl_install(const struct inl_kernel *k, uint16_t qnum, char *err, size_t errlen);

/*
 * `kastrod --flush`: delete table inet kastro (every rule, set, queue rule
 * of kastrod). 1 deleted, 0 there was none, -1 error.
 */
int inl_flush(char *err, size_t errlen);

#endif
