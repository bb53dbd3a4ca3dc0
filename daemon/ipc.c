/*
 * ipc.c - see ipc.h. Nothing here logs: callers know which side of the
 * connection they are on and what to do about a bad message.
 */
#include "ipc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"

/* nDPI's confidence values are a small enum; anything above is garbage. */
#define IPC_CONFIDENCE_MAX 31

static size_t payload_size(uint16_t type)
{
	switch (type) {
	case IPC_READY: return 0;
	case IPC_QUERY: return sizeof(struct verdict_query);
	case IPC_VERDICT: return sizeof(struct verdict);
	case IPC_STATS: return sizeof(struct ipc_stats);
	case IPC_LINK_STATS: return sizeof(struct sensorlink_stats);
	case IPC_RELAY_STATS: return sizeof(struct relay_stats);
	case IPC_RULE_HITS: return sizeof(struct ipc_rule_hits);
	case IPC_INV_PUSHED: return sizeof(struct ipc_inv);
	case IPC_INV_RESULT: return sizeof(struct ipc_inv_result);
	case IPC_EVE_FILE: return 0;
	default: return (size_t)-1;
	}
}

_Static_assert(sizeof(struct verdict_query) <= IPC_MAX_PAYLOAD, "query fits");
_Static_assert(sizeof(struct verdict) <= IPC_MAX_PAYLOAD, "verdict fits");
_Static_assert(sizeof(struct ipc_stats) <= IPC_MAX_PAYLOAD, "stats fit");
_Static_assert(sizeof(struct sensorlink_stats) <= IPC_MAX_PAYLOAD, "link stats fit");
_Static_assert(sizeof(struct relay_stats) <= IPC_MAX_PAYLOAD, "relay stats fit");
_Static_assert(sizeof(struct ipc_inv_result) <= IPC_MAX_PAYLOAD, "inventory result fits");
_Static_assert(sizeof(struct ipc_hdr) == 8, "header is 8 bytes");

static int has_nul(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int check_tuple(const struct nft_flow *t, char *err, size_t errlen)
{
	if (t->family != 4 && t->family != 6) {
		snprintf(err, errlen, "bad address family %u", t->family);
		return -1;
	}
	return 0;
}

int ipc_check_query(const struct verdict_query *q, char *err, size_t errlen)
{
	if (check_tuple(&q->tuple, err, errlen) < 0)
		return -1;
	if (q->iface >= CONF_MAX_IFACES && q->iface != 0xff) {
		snprintf(err, errlen, "bad interface index %u", q->iface);
		return -1;
	}
	if (q->final > 1) {
		snprintf(err, errlen, "bad final flag %u", q->final);
		return -1;
	}
	if (q->confidence > IPC_CONFIDENCE_MAX) {
		snprintf(err, errlen, "bad confidence %u", q->confidence);
		return -1;
	}
	if (q->vlan[0] > 4095 || q->vlan[1] > 4095) {
		snprintf(err, errlen, "bad VLAN id");
		return -1;
	}
	if (!has_nul(q->hostname, sizeof(q->hostname))) {
		snprintf(err, errlen, "host name not NUL-terminated");
		return -1;
	}
	return 0;
}

int ipc_check_verdict(const struct verdict *v, char *err, size_t errlen)
{
	if (check_tuple(&v->tuple, err, errlen) < 0)
		return -1;
	if (v->action != VERDICT_PASS && v->action != VERDICT_BLOCK) {
		snprintf(err, errlen, "bad action %u", v->action);
		return -1;
	}
	if (v->severity < 1 || v->severity > 4) {
		snprintf(err, errlen, "bad severity %u", v->severity);
		return -1;
	}
	if (v->log > 1) {
		snprintf(err, errlen, "bad log flag %u", v->log);
		return -1;
	}
	if (v->vlan[0] > 4095 || v->vlan[1] > 4095) {
		snprintf(err, errlen, "bad VLAN id");
		return -1;
	}
	if (!has_nul(v->signature, sizeof(v->signature)) ||
	    !has_nul(v->category, sizeof(v->category))) {
		snprintf(err, errlen, "signature or category not NUL-terminated");
		return -1;
	}
	return 0;
}

int ipc_encode(uint16_t type, const void *payload, size_t len, uint8_t *out, size_t outlen)
{
	struct ipc_hdr h;

	if (payload_size(type) != len || len > IPC_MAX_PAYLOAD || outlen < IPC_HDR_LEN + len ||
	    (len > 0 && !payload))
		return -1;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)len;
	memcpy(out, &h, IPC_HDR_LEN);
	if (len > 0)
		memcpy(out + IPC_HDR_LEN, payload, len);
	return (int)(IPC_HDR_LEN + len);
}

int ipc_decode(const uint8_t *buf, size_t n, struct ipc_msg *m, char *err, size_t errlen)
{
	struct ipc_hdr h;
	size_t want;

	if (n < IPC_HDR_LEN) {
		snprintf(err, errlen, "short message: %zu bytes, header is %zu", n, IPC_HDR_LEN);
		return -1;
	}
	memcpy(&h, buf, IPC_HDR_LEN);
	if (h.type < 1 || h.type > IPC_TYPE_MAX) {
		snprintf(err, errlen, "unknown message type %u", h.type);
		return -1;
	}
	if (h.pad != 0) {
		snprintf(err, errlen, "nonzero header padding");
		return -1;
	}
	if (h.len > IPC_MAX_PAYLOAD) {
		snprintf(err, errlen, "message type %u: payload of %u bytes is over the maximum %u",
			 h.type, h.len, IPC_MAX_PAYLOAD);
		return -1;
	}
	if ((size_t)h.len != n - IPC_HDR_LEN) {
		snprintf(err, errlen, "message type %u: length field %u, but %zu payload bytes",
			 h.type, h.len, n - IPC_HDR_LEN);
		return -1;
	}
	want = payload_size(h.type);
	if (h.len != want) {
		snprintf(err, errlen, "message type %u: payload of %u bytes, expected %zu", h.type,
			 h.len, want);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->type = h.type;
	if (want > 0)
		memcpy(&m->u, buf + IPC_HDR_LEN, want);
	switch (h.type) {
	case IPC_QUERY:
		return ipc_check_query(&m->u.query, err, errlen);
	case IPC_VERDICT:
		return ipc_check_verdict(&m->u.verdict, err, errlen);
	case IPC_LINK_STATS:
		if (!has_nul(m->u.link.last_error, sizeof(m->u.link.last_error)) ||
		    m->u.link.connected > 1) {
			snprintf(err, errlen, "link stats: bad error text or connected flag");
			return -1;
		}
		return 0;
	case IPC_INV_PUSHED:
		if (!has_nul(m->u.inv.sha256, sizeof(m->u.inv.sha256)) ||
		    strlen(m->u.inv.sha256) != 64) {
			snprintf(err, errlen, "inventory: bad SHA-256 text");
			return -1;
		}
		for (size_t i = 0; i < sizeof(m->u.inv.pad); i++)
			if (m->u.inv.pad[i] != 0) {
				snprintf(err, errlen, "inventory: nonzero padding");
				return -1;
			}
		return 0;
	case IPC_INV_RESULT:
		if (!has_nul(m->u.inv_result.sha256, sizeof(m->u.inv_result.sha256)) ||
		    !has_nul(m->u.inv_result.msg, sizeof(m->u.inv_result.msg)) ||
		    m->u.inv_result.ok > 1) {
			snprintf(err, errlen, "inventory result: bad text or flag");
			return -1;
		}
		return 0;
	case IPC_RULE_HITS:
		if (m->u.hits.n > IPC_RULE_HITS_MAX || m->u.hits.pad != 0) {
			snprintf(err, errlen, "rule hits: %u pairs (at most %u) or nonzero padding",
				 m->u.hits.n, IPC_RULE_HITS_MAX);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

int ipc_socketpair(int fds[2], int bufsize)
{
	int i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	for (i = 0; i < 2 && bufsize > 0; i++) {
		/* Best effort: the kernel caps it at net.core.wmem_max. */
		(void)setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
		(void)setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	}
	return 0;
}

int ipc_send(int fd, uint16_t type, const void *payload, size_t len)
{
	uint8_t buf[IPC_MAX_MSG];
	int n = ipc_encode(type, payload, len, buf, sizeof(buf));
	ssize_t w;

	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	do
		w = send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if (w != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* The message types that carry exactly one descriptor (and no other does). */
static bool carries_fd(uint16_t type)
{
	return type == IPC_EVE_FILE || type == IPC_INV_PUSHED;
}

/* The descriptors of a received message, all closed; their number. */
static int close_passed(struct msghdr *mh)
{
	struct cmsghdr *c;
	int n = 0;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; (k + 1) * sizeof(int) <= c->cmsg_len - CMSG_LEN(0); k++) {
			int d;

			memcpy(&d, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			close(d);
			n++;
		}
	}
	return n;
}

int ipc_recv_fd(int fd, struct ipc_msg *m, int *passfd, char *err, size_t errlen)
{
	/* One byte more than the largest message: a longer one shows as truncated. */
	uint8_t buf[IPC_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t r;
	int got = -1, nfd;

	*passfd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	do
		r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		snprintf(err, errlen, "receive: %s", strerror(errno));
		return -1;
	}
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)) && CMSG_NXTHDR(&mh, c) == NULL &&
	    !(mh.msg_flags & MSG_CTRUNC)) {
		memcpy(&got, CMSG_DATA(c), sizeof(int));
		nfd = 1;
	} else {
		nfd = close_passed(&mh);
		if (mh.msg_flags & MSG_CTRUNC)
			nfd++;
	}
	if (r == 0) {
		if (got >= 0)
			close(got);
		snprintf(err, errlen, "connection closed");
		return -1;
	}
	if ((size_t)r > sizeof(buf) - 1) {
		if (got >= 0)
			close(got);
		snprintf(err, errlen, "message of %zd bytes is over the maximum %zu", r, IPC_MAX_MSG);
		return -1;
	}
	if (ipc_decode(buf, (size_t)r, m, err, errlen) < 0) {
		if (got >= 0)
			close(got);
		return -1;
	}
	if (carries_fd(m->type) != (got >= 0)) {
		if (got >= 0)
			close(got);
		snprintf(err, errlen, "message type %u with %d descriptor(s)", m->type, nfd);
		return -1;
	}
	*passfd = got;
	return 1;
}

int ipc_recv(int fd, struct ipc_msg *m, char *err, size_t errlen)
{
	int passfd, r = ipc_recv_fd(fd, m, &passfd, err, errlen);

	if (r == 1 && passfd >= 0) {
		/* only the sensor takes descriptors, through ipc_recv_fd */
		close(passfd);
		snprintf(err, errlen, "message type %u with a descriptor", m->type);
		return -1;
	}
	return r;
}

int ipc_send_fd(int fd, uint16_t type, const void *payload, size_t len, int pass)
{
	uint8_t buf[IPC_MAX_MSG];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	int n = ipc_encode(type, payload, len, buf, sizeof(buf));
	ssize_t w;

	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	do
		w = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if (w != n) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
