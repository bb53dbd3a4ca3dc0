/*
 * fuzz_ipc.c - libFuzzer target: arbitrary bytes as one message from
 * one of kastrod's children to its parent, or from the parent (ipc.h): the
 * parent's view of a compromised packet process or link.
 *
 * Checks that ipc_decode() neither crashes nor reads past the input, that a
 * failure always says why, and that every message it accepts has exactly
 * its type's size and passes the field checks again (so nothing unchecked
 * reaches the policy or nftables). An accepted message encodes back to the
 * same bytes.
 *
 * Built and run by tests/fuzz/run.sh, or by hand from the top of the tree:
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon -Ilib -o fuzz_ipc tests/fuzz/fuzz_ipc.c daemon/ipc.c
 *   ./fuzz_ipc -max_total_time=60 -max_len=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	uint8_t out[IPC_MAX_MSG];
	char err[256];
	int n;

	err[0] = '\0';
	if (ipc_decode(data, size, &m, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		return 0;
	}
	check(size >= IPC_HDR_LEN && size <= IPC_MAX_MSG);
	switch (m.type) {
	case IPC_READY:
		check(size == IPC_HDR_LEN);
		break;
	case IPC_QUERY:
		check(size == IPC_HDR_LEN + sizeof(m.u.query));
		check(ipc_check_query(&m.u.query, err, sizeof(err)) == 0);
		check(strlen(m.u.query.hostname) < sizeof(m.u.query.hostname));
		break;
	case IPC_VERDICT:
		check(size == IPC_HDR_LEN + sizeof(m.u.verdict));
		check(ipc_check_verdict(&m.u.verdict, err, sizeof(err)) == 0);
		break;
	case IPC_STATS:
		check(size == IPC_HDR_LEN + sizeof(m.u.stats));
		break;
	case IPC_LINK_STATS:
		check(size == IPC_HDR_LEN + sizeof(m.u.link));
		check(memchr(m.u.link.last_error, '\0', sizeof(m.u.link.last_error)) != NULL);
		break;
	case IPC_RELAY_STATS:
		check(size == IPC_HDR_LEN + sizeof(m.u.relay));
		break;
	case IPC_RULE_HITS:
		check(size == IPC_HDR_LEN + sizeof(m.u.hits));
		check(m.u.hits.n <= IPC_RULE_HITS_MAX);
		break;
	case IPC_INV_PUSHED:
		check(size == IPC_HDR_LEN + sizeof(m.u.inv));
		check(memchr(m.u.inv.sha256, '\0', sizeof(m.u.inv.sha256)) != NULL);
		check(strlen(m.u.inv.sha256) == 64);
		for (size_t i = 0; i < sizeof(m.u.inv.pad); i++)
			check(m.u.inv.pad[i] == 0);
		break;
	case IPC_INV_RESULT:
		check(size == IPC_HDR_LEN + sizeof(m.u.inv_result));
		check(m.u.inv_result.ok <= 1);
		check(memchr(m.u.inv_result.sha256, '\0', sizeof(m.u.inv_result.sha256)) != NULL);
		check(memchr(m.u.inv_result.msg, '\0', sizeof(m.u.inv_result.msg)) != NULL);
		break;
	case IPC_EVE_FILE:
		/* its descriptor travels beside the bytes (ipc_recv_fd) */
		check(size == IPC_HDR_LEN);
		break;
	default:
		check(0);
	}
	n = ipc_encode(m.type, &m.u, size - IPC_HDR_LEN, out, sizeof(out));
	check(n == (int)size && memcmp(out, data, size) == 0);
	return 0;
}
