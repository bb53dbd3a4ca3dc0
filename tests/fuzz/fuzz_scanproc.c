/*
 * fuzz_scanproc.c - libFuzzer target: the messages the agent's root
 * process takes from its scanning child (agent/scanproc.c), which parses
 * hostile files and rules and so may be hostile itself, and the requests
 * the child takes from the parent (scanproc_parse_req()).
 *
 * The first 4 bytes are the message type, the rest its payload. Whatever
 * scanproc_parse() accepts must hold what the contract says (strings
 * inside the payload, an absolute path, a 64-digit lowercase sha256,
 * severity 1..4, tags that are identifiers, a skip reason in range, a
 * NUL-terminated rules version in a summary). Nothing may crash or leak.
 * Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanproc.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static int inside(const char *s, const char *p, size_t len)
{
	return s >= p && s + strlen(s) < p + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scanproc_req q;
	struct scanproc_msg m;
	uint32_t type;
	char err[256], *p;

	if (size < 4 || size - 4 > SCANPROC_MSG_MAX)
		return 0;
	memcpy(&type, data, 4);
	p = malloc(size - 4 + 1);
	if (p == NULL)
		return 0;
	memcpy(p, data + 4, size - 4);
	if (scanproc_parse(type, p, size - 4, &m, err, sizeof(err)) == 0) {
		switch (m.type) {
		case SCANPROC_FINDING:
			check(inside(m.path, p, size - 4) && m.path[0] != '\0');
			check(inside(m.json, p, size - 4) && m.json[0] == '{');
			check(strlen(m.sha256) == 64 && strspn(m.sha256, "0123456789abcdef") == 64);
			check(m.severity >= 1 && m.severity <= 4 && m.ntags <= FINDING_MAX_TAGS);
			for (size_t i = 0; i < m.ntags; i++)
				check(inside(m.tags[i], p, size - 4) && m.tags[i][0] != '\0' &&
				      strchr(m.tags[i], ' ') == NULL);
			break;
		case SCANPROC_SKIP:
			check((unsigned)m.reason < SCAN_SKIP_N && inside(m.detail, p, size - 4));
			break;
		case SCANPROC_CACHE:
			check(m.insert == 0 || m.insert == 1);
			break;
		case SCANPROC_DONE:
			check((m.rc == 0 || m.rc == -1) && inside(m.err, p, size - 4));
			check(memchr(m.sum.rules_version, '\0', sizeof(m.sum.rules_version)) != NULL);
			break;
		case SCANPROC_LOADED:
			check(inside(m.version, p, size - 4) && inside(m.err, p, size - 4));
			check(m.rc == 0 ? strlen(m.version) == RULES_VERSION_LEN : m.err[0] != '\0');
			break;
		default:
			break;
		}
	} else {
		check(err[0] != '\0');
	}
	/* the same bytes as a request to the child (the first parse may have
	 * split tags in place: start again from the input) */
	memcpy(p, data + 4, size - 4);
	err[0] = '\0';
	if (scanproc_parse_req(type, p, size - 4, &q, err, sizeof(err)) == 0) {
		if (q.type == SCANPROC_INIT || q.type == SCANPROC_LOAD)
			check(inside(q.path, p, size - 4));
		if (q.type == SCANPROC_LOAD)
			check(q.path[0] == '/' && q.gen != 0);
		if (q.type == SCANPROC_SCAN) {
			size_t n = (size_t)q.o.nroots + q.o.ninclude + q.o.nexclude;

			check(n <= SCANPROC_MAX_STRINGS && q.o.nroots > 0);
			for (size_t i = 0; i < n; i++)
				check(inside(q.strs[i], p, size - 4));
			check(inside(q.host, p, size - 4) && q.o.threads <= SCAN_MAX_THREADS);
		}
	} else {
		check(err[0] != '\0');
	}
	free(p);
	return 0;
}
