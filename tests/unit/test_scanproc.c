/*
 * test_scanproc.c - the messages of the agent's scanning child
 * (agent/scanproc.c): well-formed ones are taken with every field, and
 * ones with a field out of range, a string missing or trailing bytes are
 * refused with a reason; the same for the parent's requests (INIT, LOAD,
 * DROP, SCAN) and the child's HELLO, LOADED and PROGRESS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "scanproc.h"

#define SHA "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

/* A FINDING payload: severity, then the six strings. */
static size_t finding(char *buf, int32_t sev, const char *path, const char *rule,
		      const char *sha, const char *tags)
{
	size_t o = 4;
	const char *s[6] = { path, rule, "default", sha, tags, "{\"finding\":{}}" };

	memcpy(buf, &sev, 4);
	for (int i = 0; i < 6; i++) {
		memcpy(buf + o, s[i], strlen(s[i]) + 1);
		o += strlen(s[i]) + 1;
	}
	return o;
}

static void test_finding(void **state)
{
	static char buf[4096];
	struct scanproc_msg m;
	char err[256];
	size_t n;

	(void)state;
	n = finding(buf, 2, "/home/a\nb.exe", "Rule_1", SHA, "malware ransom_x");
	assert_int_equal(scanproc_parse(SCANPROC_FINDING, buf, n, &m, err, sizeof(err)), 0);
	assert_string_equal(m.path, "/home/a\nb.exe");
	assert_string_equal(m.rule, "Rule_1");
	assert_int_equal(m.severity, 2);
	assert_int_equal(m.ntags, 2);
	assert_string_equal(m.tags[1], "ransom_x");
#define REFUSED(len) assert_int_equal(scanproc_parse(SCANPROC_FINDING, buf, len, &m, err, \
						     sizeof(err)), -1)
	n = finding(buf, 5, "/a", "R", SHA, "");
	REFUSED(n);
	n = finding(buf, 1, "", "R", SHA, "");
	REFUSED(n);
	n = finding(buf, 1, "/a", "R", "ABC", "");
	REFUSED(n);
	n = finding(buf, 1, "/a", "R x", SHA, "");
	REFUSED(n);
	n = finding(buf, 1, "/a", "R", SHA, "bad-tag");
	REFUSED(n);
	n = finding(buf, 1, "/a", "R", SHA, "");
	REFUSED(n - 1);                 /* the last string cut */
	buf[n] = 'x';
	REFUSED(n + 1);                 /* a byte after it */
	assert_non_null(strstr(err, "six strings"));
}

static void test_others(void **state)
{
	char buf[4 + sizeof(struct scan_summary) + 16];
	struct scanproc_msg m;
	struct scan_summary sum;
	uint32_t u;
	int32_t rc = 0;
	char err[256];

	(void)state;
	u = SCAN_SKIP_TIMEOUT;
	memcpy(buf, &u, 4);
	memcpy(buf + 4, "/x\0timeout\0", 11);
	assert_int_equal(scanproc_parse(SCANPROC_SKIP, buf, 15, &m, err, sizeof(err)), 0);
	assert_int_equal(m.reason, SCAN_SKIP_TIMEOUT);
	assert_string_equal(m.detail, "timeout");
	u = SCAN_SKIP_N;
	memcpy(buf, &u, 4);
	assert_int_equal(scanproc_parse(SCANPROC_SKIP, buf, 15, &m, err, sizeof(err)), -1);

	u = 2;
	memcpy(buf, &u, 4);
	assert_int_equal(scanproc_parse(SCANPROC_CACHE, buf, 4 + sizeof(struct scache_key), &m, err,
					sizeof(err)), -1);
	u = 1;
	memcpy(buf, &u, 4);
	assert_int_equal(scanproc_parse(SCANPROC_CACHE, buf, 4 + sizeof(struct scache_key), &m, err,
					sizeof(err)), 0);
	assert_int_equal(scanproc_parse(SCANPROC_CACHE, buf, 5, &m, err, sizeof(err)), -1);

	memset(&sum, 0, sizeof(sum));
	sum.findings = 7;
	memcpy(buf, &rc, 4);
	memcpy(buf + 4, &sum, sizeof(sum));
	buf[4 + sizeof(sum)] = '\0';
	assert_int_equal(scanproc_parse(SCANPROC_DONE, buf, 5 + sizeof(sum), &m, err, sizeof(err)), 0);
	assert_int_equal(m.sum.findings, 7);
	memset(sum.rules_version, 'a', sizeof(sum.rules_version));
	memcpy(buf + 4, &sum, sizeof(sum));
	assert_int_equal(scanproc_parse(SCANPROC_DONE, buf, 5 + sizeof(sum), &m, err, sizeof(err)), -1);
	assert_int_equal(scanproc_parse(99, buf, 5, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown message type 99"));
}

/* A payload of the parts given (length, bytes) into buf; its size. */
static size_t cat(char *buf, int n, ...)
{
	va_list ap;
	size_t o = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		size_t len = va_arg(ap, size_t);
		const void *p = va_arg(ap, const void *);

		memcpy(buf + o, p, len);
		o += len;
	}
	va_end(ap);
	return o;
}

static void test_child_messages(void **state)
{
	static char buf[4096];
	struct scanproc_msg m;
	uint32_t u[5] = { 1, 0, 12, 3, 0 }, hello[2] = { 1, 65534 };
	int32_t bad = -1;
	uint64_t ms = 1234;
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(scanproc_parse(SCANPROC_HELLO, (char *)hello, 8, &m, err, sizeof(err)), 0);
	assert_int_equal(m.tasks, 1);
	assert_int_equal(m.uid, 65534);
	assert_int_equal(scanproc_parse(SCANPROC_HELLO, (char *)hello, 7, &m, err, sizeof(err)), -1);
	n = cat(buf, 3, (size_t)20, (const void *)u, (size_t)65, (const void *)SHA,
		(size_t)1, (const void *)"");
	assert_int_equal(scanproc_parse(SCANPROC_LOADED, buf, n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.gen, 1);
	assert_int_equal(m.rules, 12);
	assert_string_equal(m.version, SHA);
	/* a success needs a version; a failure its reason */
	n = cat(buf, 3, (size_t)20, (const void *)u, (size_t)4, (const void *)"abc",
		(size_t)1, (const void *)"");
	assert_int_equal(scanproc_parse(SCANPROC_LOADED, buf, n, &m, err, sizeof(err)), -1);
	memcpy(u + 1, &bad, 4);
	n = cat(buf, 3, (size_t)20, (const void *)u, (size_t)1, (const void *)"",
		(size_t)1, (const void *)"");
	assert_int_equal(scanproc_parse(SCANPROC_LOADED, buf, n, &m, err, sizeof(err)), -1);
	n = cat(buf, 3, (size_t)20, (const void *)u, (size_t)1, (const void *)"",
		(size_t)11, (const void *)"a.yar:3: x");
	assert_int_equal(scanproc_parse(SCANPROC_LOADED, buf, n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.rc, -1);
	assert_string_equal(m.err, "a.yar:3: x");
	assert_int_equal(scanproc_parse(SCANPROC_PROGRESS, (char *)&ms, 8, &m, err, sizeof(err)), 0);
	assert_int_equal(m.busy_ms, 1234);
	assert_int_equal(scanproc_parse(SCANPROC_PROGRESS, (char *)&ms, 4, &m, err, sizeof(err)), -1);
	/* a request is no message of the child's */
	assert_int_equal(scanproc_parse(SCANPROC_SCAN, buf, n, &m, err, sizeof(err)), -1);
}

static void test_requests(void **state)
{
	static char buf[8192];
	struct scanproc_req q;
	struct scanproc_wopts w = { .nroots = 2, .nexclude = 1, .threads = 2, .timeout = 30 };
	uint32_t ids[2] = { 65534, 65534 }, gen = 3;
	uint64_t lim[2] = { 1ull << 31, 1000 };
	char err[256];
	size_t n;

	(void)state;
	n = cat(buf, 3, (size_t)8, (const void *)ids, (size_t)16, (const void *)lim,
		(size_t)11, (const void *)"/var/cache");
	assert_int_equal(scanproc_parse_req(SCANPROC_INIT, buf, n, &q, err, sizeof(err)), 0);
	assert_int_equal(q.mem_max, 1ull << 31);
	assert_string_equal(q.path, "/var/cache");
	n = cat(buf, 3, (size_t)8, (const void *)ids, (size_t)16, (const void *)lim,
		(size_t)9, (const void *)"relative");
	assert_int_equal(scanproc_parse_req(SCANPROC_INIT, buf, n, &q, err, sizeof(err)), -1);

	n = cat(buf, 2, (size_t)4, (const void *)&gen, (size_t)7, (const void *)"/rules");
	assert_int_equal(scanproc_parse_req(SCANPROC_LOAD, buf, n, &q, err, sizeof(err)), 0);
	assert_int_equal(q.gen, 3);
	assert_int_equal(scanproc_parse_req(SCANPROC_LOAD, buf, n - 1, &q, err, sizeof(err)), -1);
	assert_int_equal(scanproc_parse_req(SCANPROC_DROP, buf, 4, &q, err, sizeof(err)), 0);

	n = cat(buf, 6, (size_t)4, (const void *)&gen, sizeof(w), (const void *)&w,
		(size_t)3, (const void *)"/a", (size_t)3, (const void *)"/b",
		(size_t)6, (const void *)"*.iso", (size_t)3, (const void *)"pc");
	assert_int_equal(scanproc_parse_req(SCANPROC_SCAN, buf, n, &q, err, sizeof(err)), 0);
	assert_string_equal(q.strs[1], "/b");
	assert_string_equal(q.strs[2], "*.iso");
	assert_string_equal(q.host, "pc");
	/* the host missing, a byte too many, counts out of range */
	assert_int_equal(scanproc_parse_req(SCANPROC_SCAN, buf, n - 3, &q, err, sizeof(err)), -1);
	buf[n] = 'x';
	assert_int_equal(scanproc_parse_req(SCANPROC_SCAN, buf, n + 1, &q, err, sizeof(err)), -1);
	w.nexclude = SCANPROC_MAX_STRINGS;
	memcpy(buf + 4, &w, sizeof(w));
	assert_int_equal(scanproc_parse_req(SCANPROC_SCAN, buf, n, &q, err, sizeof(err)), -1);
	w.nexclude = 1;
	w.use_cache = 2;
	memcpy(buf + 4, &w, sizeof(w));
	assert_int_equal(scanproc_parse_req(SCANPROC_SCAN, buf, n, &q, err, sizeof(err)), -1);
	assert_int_equal(scanproc_parse_req(SCANPROC_FINDING, buf, n, &q, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown request type"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_child_messages),
		cmocka_unit_test(test_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
