/*
 * test_blocklist.c - unit tests of the blocklist reader (daemon/blocklist.c):
 * plain lists, FireHOL .netset, Spamhaus DROP, malformed lines reported
 * with file:line and skipped, and the time a 1,000,000-line file takes.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "blocklist.h"

static char path[64];
static char warnings[16384];
static size_t n_warn;

static void put(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_blocklist.XXXXXX");
	f = fdopen(mkstemp(path), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	warnings[0] = '\0';
	n_warn = 0;
}

static void warn(void *ctx, const char *p, uint64_t line, const char *why)
{
	size_t n = strlen(warnings);

	(void)ctx;
	assert_string_equal(p, path);
	snprintf(warnings + n, sizeof(warnings) - n, "%llu: %s\n",
		 (unsigned long long)line, why);
	n_warn++;
}

static void v4(const struct blocklist *bl, size_t i, const char *want, int plen)
{
	char a[INET_ADDRSTRLEN];

	assert_true(i < bl->n4);
	inet_ntop(AF_INET, bl->addr4[i], a, sizeof(a));
	assert_string_equal(a, want);
	assert_int_equal(bl->plen4[i], plen);
}

static void test_formats(void **state)
{
	struct blocklist bl;
	char err[256], a[INET6_ADDRSTRLEN];

	(void)state;
	put("#\n# FireHOL level1 style header\n#\n"
	    "1.2.3.0/24\n"
	    "  5.6.7.8  \r\n"
	    "9.9.9.9/32 # comment after\n"
	    "; Spamhaus DROP List 2024/01/01\n"
	    "10.0.0.0/8 ; SBL123\n"
	    "192.168.1.77/24\n"          /* host bits: cleared */
	    "2001:db8::/32\n"
	    "\n\t\n");
	assert_int_equal(blocklist_load(path, &bl, warn, NULL, err, sizeof(err)), 0);
	assert_int_equal(bl.n4, 5);
	assert_int_equal(bl.n6, 1);
	assert_int_equal(bl.skipped, 0);
	assert_int_equal(bl.lines, 12);
	v4(&bl, 0, "1.2.3.0", 24);
	v4(&bl, 1, "5.6.7.8", 32);
	v4(&bl, 2, "9.9.9.9", 32);
	v4(&bl, 3, "10.0.0.0", 8);
	v4(&bl, 4, "192.168.1.0", 24);
	inet_ntop(AF_INET6, bl.addr6[0], a, sizeof(a));
	assert_string_equal(a, "2001:db8::");
	assert_int_equal(bl.plen6[0], 32);
	assert_int_equal(n_warn, 0);
	blocklist_free(&bl);
	unlink(path);
}

static void test_malformed_lines(void **state)
{
	struct blocklist bl;
	char err[256];

	(void)state;
	put("1.1.1.1\n"
	    "not-an-address\n"
	    "1.2.3.4/33\n"
	    "1.2.3.4/\n"
	    "1.2.3.4 5.6.7.8\n"
	    "2001:db8::/129\n"
	    "1.2.3.4-1.2.3.9\n"
	    "2.2.2.2\n");
	assert_int_equal(blocklist_load(path, &bl, warn, NULL, err, sizeof(err)), 0);
	assert_int_equal(bl.n4, 2);
	assert_int_equal(bl.skipped, 6);
	assert_string_equal(warnings,
			    "2: not an IPv4 or IPv6 address or prefix\n"
			    "3: bad prefix length\n"
			    "4: bad prefix length\n"
			    "5: more than one entry on the line\n"
			    "6: bad prefix length\n"
			    "7: not an IPv4 or IPv6 address or prefix\n");
	blocklist_free(&bl);
	unlink(path);

	/* a NUL byte and a very long line */
	{
		FILE *f;
		int i;

		put("");
		f = fopen(path, "w");
		fwrite("3.3.3.3\n4.4.\0" "4.4\n", 1, 17, f);
		for (i = 0; i < 2000; i++)
			fputc('7', f);
		fputs("\n5.5.5.5", f);      /* no newline at the end */
		fclose(f);
	}
	assert_int_equal(blocklist_load(path, &bl, warn, NULL, err, sizeof(err)), 0);
	assert_int_equal(bl.n4, 2);
	v4(&bl, 1, "5.5.5.5", 32);
	assert_int_equal(bl.skipped, 2);
	assert_string_equal(warnings, "2: NUL byte\n3: line too long\n");
	blocklist_free(&bl);
	unlink(path);
}

static void test_many_warnings_are_capped(void **state)
{
	struct blocklist bl;
	char err[256];
	FILE *f;
	int i;

	(void)state;
	put("");
	f = fopen(path, "w");
	for (i = 0; i < 500; i++)
		fputs("junk\n", f);
	fclose(f);
	assert_int_equal(blocklist_load(path, &bl, warn, NULL, err, sizeof(err)), 0);
	assert_int_equal(bl.skipped, 500);
	assert_int_equal(n_warn, BLOCKLIST_MAX_WARN + 1);
	assert_non_null(strstr(warnings, "0: more malformed lines skipped\n"));
	blocklist_free(&bl);
	unlink(path);
}

static void test_missing_file(void **state)
{
	struct blocklist bl;
	char err[256];

	(void)state;
	assert_int_equal(blocklist_load("/nonexistent/list", &bl, NULL, NULL, err,
					sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/list: cannot read: No such file or directory");
	assert_int_equal(bl.n4 + bl.n6, 0);
}

/* One million lines, IPv4 and IPv6 mixed: well under 10 s (prints the time). */
static void test_million_lines(void **state)
{
	struct blocklist bl;
	struct timespec t0, t1;
	char err[256];
	double s;
	FILE *f;
	long i;

	(void)state;
	put("");
	f = fopen(path, "w");
	fputs("# generated\n", f);
	for (i = 0; i < 1000000; i++) {
		if (i % 10 == 9)
			fprintf(f, "2001:db8:%lx:%lx::/64\n", (i >> 16) & 0xffff, i & 0xffff);
		else
			fprintf(f, "%ld.%ld.%ld.0/24 ; SBL%ld\n", 1 + (i >> 16) % 223,
				(i >> 8) & 0xff, i & 0xff, i);
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(blocklist_load(path, &bl, warn, NULL, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("blocklist: 1,000,000 lines in %.3f s\n", s);
	assert_int_equal(bl.n4, 900000);
	assert_int_equal(bl.n6, 100000);
	assert_int_equal(bl.skipped, 0);
	assert_true(s < 10.0);
	blocklist_free(&bl);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_many_warnings_are_capped),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_million_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
