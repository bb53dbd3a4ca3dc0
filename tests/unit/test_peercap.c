/*
 * test_peercap.c - the officers' port's per-network counting: the key of
 * an address (IPv4 alone, IPv6 by its /64, mapped IPv4 as IPv4) and the
 * bounded table of live connections per key, with deletions that keep
 * every other key findable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "peercap.h"

static void test_key_ipv4_is_the_address(void **state)
{
	char k[PEERCAP_KEY_SIZE];

	(void)state;
	assert_int_equal(peercap_key("192.0.2.7", k, sizeof(k)), 0);
	assert_string_equal(k, "v4:192.0.2.7");
	assert_int_equal(peercap_key("::ffff:192.0.2.7", k, sizeof(k)), 0);
	assert_string_equal(k, "v4:192.0.2.7");
}

static void test_key_ipv6_is_the_64(void **state)
{
	char a[PEERCAP_KEY_SIZE], b[PEERCAP_KEY_SIZE], c[PEERCAP_KEY_SIZE];

	(void)state;
	assert_int_equal(peercap_key("2001:db8:1:2:aaaa::1", a, sizeof(a)), 0);
	assert_int_equal(peercap_key("[2001:db8:1:2:ffff:ffff:ffff:ffff]", b, sizeof(b)), 0);
	assert_int_equal(peercap_key("2001:db8:1:3::1", c, sizeof(c)), 0);
	assert_string_equal(a, "v6:2001:db8:1:2::/64");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void test_key_of_socket_address(void **state)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	char k[PEERCAP_KEY_SIZE];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", &s6.sin6_addr), 1);
	assert_int_equal(peercap_key_sa((struct sockaddr *)&s6, k, sizeof(k)), 0);
	assert_string_equal(k, "v6:2001:db8::/64");
	assert_int_equal(inet_pton(AF_INET, "127.0.0.2", &s4.sin_addr), 1);
	assert_int_equal(peercap_key_sa((struct sockaddr *)&s4, k, sizeof(k)), 0);
	assert_string_equal(k, "v4:127.0.0.2");
}

static void test_key_of_garbage_is_an_error(void **state)
{
	char k[PEERCAP_KEY_SIZE];

	(void)state;
	assert_int_equal(peercap_key("not an address", k, sizeof(k)), -1);
	assert_int_equal(peercap_key(NULL, k, sizeof(k)), -1);
	assert_int_equal(peercap_key("[]", k, sizeof(k)), -1);
}

static void test_counts_per_key(void **state)
{
	struct peercap *p = peercap_new(8);

	(void)state;
	assert_non_null(p);
	assert_int_equal(peercap_add(p, "v4:10.0.0.1"), 1);
	assert_int_equal(peercap_add(p, "v4:10.0.0.1"), 2);
	assert_int_equal(peercap_add(p, "v4:10.0.0.2"), 1);
	assert_int_equal(peercap_count(p, "v4:10.0.0.1"), 2);
	peercap_del(p, "v4:10.0.0.1");
	assert_int_equal(peercap_count(p, "v4:10.0.0.1"), 1);
	peercap_del(p, "v4:10.0.0.1");
	assert_int_equal(peercap_count(p, "v4:10.0.0.1"), 0);
	peercap_del(p, "v4:10.0.0.1");         /* unknown: ignored */
	assert_int_equal(peercap_count(p, "v4:10.0.0.2"), 1);
	peercap_free(p);
}

static void test_full_table_refuses_new_keys(void **state)
{
	struct peercap *p = peercap_new(3);
	char k[32];

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "v4:10.0.0.%d", i);
		assert_int_equal(peercap_add(p, k), 1);
	}
	assert_int_equal(peercap_add(p, "v4:10.0.1.1"), 0);
	assert_int_equal(peercap_add(p, "v4:10.0.0.0"), 2);  /* known keys still count */
	peercap_del(p, "v4:10.0.0.1");
	assert_int_equal(peercap_add(p, "v4:10.0.1.1"), 1);
	peercap_free(p);
}

/* Many keys in and out in a mixed order: every count stays right, so the
 * backward shift never loses a key behind a hole. */
static void test_churn_keeps_every_key(void **state)
{
	enum { N = 1000 };
	static uint32_t want[N];
	struct peercap *p = peercap_new(N);
	char k[32];
	unsigned x = 12345;

	(void)state;
	assert_non_null(p);
	memset(want, 0, sizeof(want));
	for (int round = 0; round < 20000; round++) {
		int i;

		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % N);
		snprintf(k, sizeof(k), "v4:10.%d.%d.1", i / 256, i % 256);
		if ((x >> 4) & 1 || want[i] == 0) {
			assert_int_equal(peercap_add(p, k), want[i] + 1);
			want[i]++;
		} else {
			peercap_del(p, k);
			want[i]--;
		}
	}
	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof(k), "v4:10.%d.%d.1", i / 256, i % 256);
		assert_int_equal(peercap_count(p, k), want[i]);
	}
	peercap_free(p);
}

static void test_bad_settings_and_keys(void **state)
{
	struct peercap *p;
	char big[PEERCAP_KEY_SIZE + 8];

	(void)state;
	assert_null(peercap_new(0));
	assert_null(peercap_new((1u << 20) + 1));
	p = peercap_new(2);
	assert_non_null(p);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(peercap_add(p, big), 0);
	assert_int_equal(peercap_add(p, NULL), 0);
	assert_int_equal(peercap_count(p, big), 0);
	peercap_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ipv4_is_the_address),
		cmocka_unit_test(test_key_ipv6_is_the_64),
		cmocka_unit_test(test_key_of_socket_address),
		cmocka_unit_test(test_key_of_garbage_is_an_error),
		cmocka_unit_test(test_counts_per_key),
		cmocka_unit_test(test_full_table_refuses_new_keys),
		cmocka_unit_test(test_churn_keeps_every_key),
		cmocka_unit_test(test_bad_settings_and_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
