/*
 * ipc.h - the messages between kastrod's privileged parent and its packet
 * process (the sensor), over an AF_UNIX SOCK_SEQPACKET socketpair.
 *
 * Each datagram is one message: a fixed 8-byte header {type u16, pad u16,
 * len u32} (host byte order: both ends are the same binary on the same
 * machine) and a payload of exactly the size its type has. The sensor parses
 * untrusted packets and may be compromised, so the parent decodes every
 * message with ipc_decode(), which checks the header, the exact size and
 * every field; a message that fails ends the connection (the parent kills
 * the sensor and starts a new one; the sensor exits).
 *
 *   type          direction         payload
 *   IPC_READY     sensor -> parent  none: capturing, privileges dropped
 *   IPC_QUERY     sensor -> parent  struct verdict_query
 *   IPC_VERDICT   parent -> sensor  struct verdict
 *   IPC_STATS     sensor -> parent  struct ipc_stats (about once a second)
 *   IPC_LINK_STATS link -> parent   struct sensorlink_stats (sensorlink.h) (about once a second)
 *   IPC_RELAY_STATS relay -> parent struct relay_stats (relay.h) (about once a second;
 *                 inline, the parent passes each on to the sensor for its EVE stats)
 *   IPC_EVE_FILE  parent -> sensor  none; carries one descriptor (SCM_RIGHTS): the
 *                 EVE file the parent opened again (kastroctl reopen, SIGUSR2),
 *                 to write from now on. Any other message with a descriptor, or
 *                 this one without exactly one, is malformed.
 *
 * The link process (link.h) speaks this protocol with the parent too; its
 * events from the sensor travel on another socketpair, as raw EVE lines
 * (one JSON object per datagram, at most EVE_MAX_EVENT bytes), which the
 * link checks with a JSON parser before it stores them.
 *
 * Sends never block: a message that does not fit in the socket buffer is
 * not sent (-1, errno EAGAIN) and the caller counts it.
 */
#ifndef KASTRO_IPC_H
#define KASTRO_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "relay.h"
#include "sensorlink.h"
#include "verdict.h"

enum ipc_type {
	IPC_READY = 1,
	IPC_QUERY = 2,
	IPC_VERDICT = 3,
	IPC_STATS = 4,
	IPC_LINK_STATS = 5,
	IPC_RELAY_STATS = 6,
	IPC_RULE_HITS = 7,
	IPC_INV_PUSHED = 8,
	IPC_INV_RESULT = 9,
	IPC_EVE_FILE = 10,
	IPC_TYPE_MAX = IPC_EVE_FILE
};

struct ipc_hdr {
	uint16_t type;                  /* enum ipc_type */
	uint16_t pad;                   /* 0 */
	uint32_t len;                   /* payload bytes, header not counted */
};

#define IPC_HDR_LEN ((size_t)sizeof(struct ipc_hdr))
/* The largest payload of any type; a longer message is malformed. */
#define IPC_MAX_PAYLOAD 512u
#define IPC_MAX_MSG (IPC_HDR_LEN + IPC_MAX_PAYLOAD)

/* The sensor's counters, sent to the parent for `kastroctl status`. */
struct ipc_stats {
	uint64_t pkts, bytes;
	uint64_t flows_live, flows_classified, flows_unknown, flows_evicted;
	uint64_t queries, queries_unsent;   /* queries unsent: socket buffer full */
	uint64_t verdicts, verdicts_late, alerts;
	uint64_t kernel_packets, kernel_drops;
	uint64_t eve_events, eve_dropped;
	uint64_t link_sent, link_dropped;   /* EVE events handed to the link; not: it lagged */
	/* from a block query sent to its verdict back (the element is in the
	 * kernel by then), in microseconds */
	uint64_t block_lat_count, block_lat_p50_us, block_lat_p99_us, block_lat_max_us;
	uint64_t eve_reopens;               /* EVE files taken from the parent */
};

/*
 * Matches of DPI rules the sensor judged itself (inline), for the per-rule
 * verdict counts of `kastroctl policy`: n pairs of (rule id, matches).
 * IPC_RULE_HITS_OTHER stands for matches the sensor could not keep apart
 * (its table was full and the parent's socket too).
 */
#define IPC_RULE_HITS_MAX 60
#define IPC_RULE_HITS_OTHER UINT32_MAX
struct ipc_rule_hits {
	uint32_t n;                     /* 0 .. IPC_RULE_HITS_MAX */
	uint32_t pad;                   /* 0 */
	struct {
		uint32_t rule_id;
		uint32_t count;
	} v[IPC_RULE_HITS_MAX];
};

/*
 * The console pushed an inventory (docs/config.md, "inventory from
 * console"): the link fetched and parsed it and sends IPC_INV_PUSHED with
 * the text in a file descriptor passed along (ipc_send_fd); the parent
 * answers IPC_INV_RESULT once its policy was reloaded with it, or not.
 */
struct ipc_inv {
	char sha256[65];                /* hex, NUL-terminated */
	char pad[7];                    /* 0 */
	uint64_t size;                  /* bytes of text in the descriptor */
};
struct ipc_inv_result {
	uint32_t ok;                    /* 1: in force and kept; 0: refused */
	char sha256[65];
	char msg[400];                  /* why not, or a note ("unchanged: ..."); "" */
};

/* One decoded message. */
struct ipc_msg {
	uint16_t type;
	union {
		struct verdict_query query;
		struct verdict verdict;
		struct ipc_stats stats;
		struct sensorlink_stats link;
		struct relay_stats relay;
		struct ipc_rule_hits hits;
		struct ipc_inv inv;
		struct ipc_inv_result inv_result;
	} u;
};

/*
 * Encode a message into out (outlen bytes): header plus payload, which must
 * have the exact size of the type (NULL and 0 for IPC_READY). Returns the
 * number of bytes written, or -1 when type or len is wrong or out is short.
 */
int ipc_encode(uint16_t type, const void *payload, size_t len, uint8_t *out, size_t outlen);

/*
 * Decode and check one whole message of n bytes (one datagram). Returns 0
 * with *m filled, or -1 with the reason in err: short header, unknown type,
 * nonzero header padding, length field not matching the datagram, payload
 * over IPC_MAX_PAYLOAD or not the type's exact size, and for queries and
 * verdicts a bad field (family not 4 or 6, flag not 0 or 1, severity not
 * 1..4, interface out of range, a string without its NUL).
 */
int ipc_decode(const uint8_t *buf, size_t n, struct ipc_msg *m, char *err, size_t errlen);

/* The field checks of ipc_decode, for a struct already in memory. */
int ipc_check_query(const struct verdict_query *q, char *err, size_t errlen);
int ipc_check_verdict(const struct verdict *v, char *err, size_t errlen);

/*
 * A socketpair for one sensor: fds[0] for the parent, fds[1] for the sensor,
 * both non-blocking and close-on-exec, with socket buffers of bufsize bytes.
 * Returns 0 or -1 with errno set.
 */
int ipc_socketpair(int fds[2], int bufsize);

/* Encode and send one message without blocking. 0, or -1 with errno set. */
int ipc_send(int fd, uint16_t type, const void *payload, size_t len);

/*
 * As ipc_send, with descriptor pass attached (SCM_RIGHTS); pass stays open
 * here. 0, or -1 with errno set.
 */
int ipc_send_fd(int fd, uint16_t type, const void *payload, size_t len, int pass);

/*
 * Receive one message without blocking. Returns 1 with *m filled, 0 when
 * nothing is waiting, -1 when the peer closed the connection (err says so)
 * or sent a malformed message (err says why: also one with a descriptor),
 * or on a socket error.
 */
int ipc_recv(int fd, struct ipc_msg *m, char *err, size_t errlen);

/*
 * ipc_recv for the side that takes descriptors: *passfd is the descriptor
 * the message carried (close-on-exec; the caller owns it), -1 for types
 * that carry none. IPC_EVE_FILE and IPC_INV_PUSHED carry exactly one; a
 * descriptor on another type, or one of those without exactly one, is
 * malformed (-1; any descriptor received is closed).
 */
int ipc_recv_fd(int fd, struct ipc_msg *m, int *passfd, char *err, size_t errlen);

#endif
