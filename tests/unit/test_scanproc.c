/*
 * test_scanproc.c - the messages of the agent's scanning child
 * (agent/scanproc.c): well-formed ones are taken with every field, and
 * ones with a field out of range, a string missing or trailing bytes are
 * refused with a reason.
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
	n = finding(buf, 1, "relative", "R", SHA, "");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding),
		cmocka_unit_test(test_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
