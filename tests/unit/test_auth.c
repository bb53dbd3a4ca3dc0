/*
 * test_auth.c - the console's security primitives: argon2id password hashes,
 * random tokens and their hashes, CSRF tokens, TOTP against the RFC 6238
 * vectors and base32 against RFC 4648's, the login rate limiter, session
 * expiry, cookies written and read, and the role table.
 *
 * Password tests use a light argon2 cost (256 KiB, 1 pass) so the suite is
 * fast; one test hashes at the default cost to show it is the one promised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"

static const struct auth_argon2 light = { .m_kib = 256, .t = 1, .p = 1 };

/* "12345678901234567890", the RFC 6238 SHA-1 key, and its base32. */
static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20
#define RFC_KEY_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static bool all_in(const char *s, const char *set)
{
	for (; *s != '\0'; s++)
		if (strchr(set, *s) == NULL)
			return false;
	return true;
}

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* ---- passwords ---- */

static void test_password_hash_then_verify(void **state)
{
	char h[AUTH_PW_HASH_SIZE], h2[AUTH_PW_HASH_SIZE], err[128];

	(void)state;
	assert_int_equal(auth_password_hash_cost("correct horse", &light, h, sizeof(h),
						 err, sizeof(err)), 0);
	assert_true(strncmp(h, "$argon2id$v=19$m=256,t=1,p=1$", 29) == 0);
	assert_int_equal(auth_password_verify("correct horse", h), 1);
	/* a new salt each time: same password, different string, both verify */
	assert_int_equal(auth_password_hash_cost("correct horse", &light, h2, sizeof(h2),
						 err, sizeof(err)), 0);
	assert_string_not_equal(h, h2);
	assert_int_equal(auth_password_verify("correct horse", h2), 1);
	/* UTF-8 passwords are bytes like any other */
	assert_int_equal(auth_password_hash_cost("Καλημέρα", &light, h, sizeof(h),
						 err, sizeof(err)), 0);
	assert_int_equal(auth_password_verify("Καλημέρα", h), 1);
}

static void test_password_wrong_refused(void **state)
{
	char h[AUTH_PW_HASH_SIZE], err[128];

	(void)state;
	assert_int_equal(auth_password_hash_cost("correct horse", &light, h, sizeof(h),
						 err, sizeof(err)), 0);
	assert_int_equal(auth_password_verify("correct hors", h), 0);
	assert_int_equal(auth_password_verify("correct horse ", h), 0);
	assert_int_equal(auth_password_verify("Correct horse", h), 0);
	assert_int_equal(auth_password_verify("", h), 0);
	assert_int_equal(auth_password_verify(NULL, h), 0);
}

static void test_password_malformed_encoded(void **state)
{
	char h[AUTH_PW_HASH_SIZE], bad[AUTH_PW_HASH_SIZE + 16], err[128];
	const char *cases[] = {
		"",
		"plaintext",
		"$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=1,p=1",
		"$argon2id$v=19$m=256,t=1,p=1$",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0",
		"$argon2id$v=19$m=256,t=1,p=1$c2Fs!HNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",   /* 4-byte salt */
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA$x",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
		" $argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=-1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		/* costs past the bounds: 2 GiB, 17 passes, 17 lanes, m < 8p */
		"$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=17,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=1,p=17$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(auth_password_verify("pw", cases[i]), -1);
		assert_int_equal(auth_password_needs_rehash(cases[i]), -1);
	}
	assert_int_equal(auth_password_verify("pw", NULL), -1);

	/* a real hash cut short, and one with a tail beyond the size bound */
	assert_int_equal(auth_password_hash_cost("pw", &light, h, sizeof(h),
						 err, sizeof(err)), 0);
	h[strlen(h) - 10] = '\0';
	assert_int_equal(auth_password_verify("pw", h), -1);
	assert_int_equal(auth_password_hash_cost("pw", &light, h, sizeof(h),
						 err, sizeof(err)), 0);
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	memcpy(bad, h, strlen(h));
	assert_int_equal(auth_password_verify("pw", bad), -1);
}

static void test_password_empty_and_overlong_refused(void **state)
{
	char pw[AUTH_PW_MAX + 2], h[AUTH_PW_HASH_SIZE], err[128];

	(void)state;
	err[0] = '\0';
	assert_int_equal(auth_password_hash_cost("", &light, h, sizeof(h), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_string_equal(h, "");
	assert_int_equal(auth_password_hash_cost(NULL, &light, h, sizeof(h), err, sizeof(err)), -1);

	memset(pw, 'x', AUTH_PW_MAX + 1);
	pw[AUTH_PW_MAX + 1] = '\0';
	err[0] = '\0';
	assert_int_equal(auth_password_hash_cost(pw, &light, h, sizeof(h), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 1024"));

	/* exactly 1024 bytes is allowed; one more never matches it */
	pw[AUTH_PW_MAX] = '\0';
	assert_int_equal(auth_password_hash_cost(pw, &light, h, sizeof(h), err, sizeof(err)), 0);
	assert_int_equal(auth_password_verify(pw, h), 1);
	pw[AUTH_PW_MAX] = 'x';
	assert_int_equal(auth_password_verify(pw, h), 0);
}

static void test_password_bad_cost_and_small_buffer_refused(void **state)
{
	const struct auth_argon2 heavy = { .m_kib = 2u * 1024 * 1024, .t = 1, .p = 1 };
	const struct auth_argon2 no_pass = { .m_kib = 256, .t = 0, .p = 1 };
	const struct auth_argon2 tiny = { .m_kib = 8, .t = 1, .p = 2 };
	char h[AUTH_PW_HASH_SIZE], err[160];

	(void)state;
	assert_int_equal(auth_password_hash_cost("pw", &heavy, h, sizeof(h), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "m=2097152"));
	assert_int_equal(auth_password_hash_cost("pw", &no_pass, h, sizeof(h), err, sizeof(err)), -1);
	assert_int_equal(auth_password_hash_cost("pw", &tiny, h, sizeof(h), err, sizeof(err)), -1);
	err[0] = '\0';
	assert_int_equal(auth_password_hash_cost("pw", &light, h, 40, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needed"));
	assert_string_equal(h, "");
}

/* The one slow test: the default cost is 64 MiB, 3 passes, 1 lane. */
static void test_password_default_cost_is_m65536_t3_p1(void **state)
{
	char h[AUTH_PW_HASH_SIZE], l[AUTH_PW_HASH_SIZE], err[128];

	(void)state;
	assert_int_equal(auth_password_hash("s3cret pass", h, sizeof(h), err, sizeof(err)), 0);
	assert_true(strncmp(h, "$argon2id$v=19$m=65536,t=3,p=1$", 31) == 0);
	/* 16-byte salt, 32-byte hash: 22 and 43 base64 characters */
	assert_int_equal(strlen(h), 31 + 22 + 1 + 43);
	assert_int_equal(auth_password_verify("s3cret pass", h), 1);
	assert_int_equal(auth_password_needs_rehash(h), 0);
	assert_int_equal(auth_password_hash_cost("pw", &light, l, sizeof(l), err, sizeof(err)), 0);
	assert_int_equal(auth_password_needs_rehash(l), 1);
}

static void test_generated_passwords_length_alphabet_differ(void **state)
{
	char pw[AUTH_PW_GEN_SIZE], prev[AUTH_PW_GEN_SIZE] = "";
	int seen[128] = { 0 };
	int i, distinct = 0;
	const char *s;

	(void)state;
	for (i = 0; i < 200; i++) {
		assert_int_equal(auth_password_generate(pw, sizeof(pw)), 0);
		assert_int_equal(strlen(pw), 20);
		assert_true(all_in(pw, "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
				       "abcdefghijkmnopqrstuvwxyz"));
		assert_string_not_equal(pw, prev);
		memcpy(prev, pw, sizeof(pw));
		for (s = pw; *s != '\0'; s++)
			seen[(unsigned char)*s]++;
	}
	/* 4000 characters drawn from 57: every one shows up, no look-alike does */
	for (i = 0; i < 128; i++)
		distinct += seen[i] > 0;
	assert_int_equal(distinct, 57);
	assert_int_equal(seen['0'] + seen['O'] + seen['1'] + seen['l'] + seen['I'], 0);
	assert_int_equal(auth_password_generate(pw, AUTH_PW_GEN_LEN), -1);
}

/* ---- tokens ---- */

static void test_tokens_are_43_base64url_and_differ(void **state)
{
	char a[AUTH_TOKEN_SIZE], b[AUTH_TOKEN_SIZE];

	(void)state;
	assert_int_equal(auth_token_new(a, sizeof(a)), 0);
	assert_int_equal(auth_token_new(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strlen(b), 43);
	assert_true(all_in(a, B64URL));
	assert_true(all_in(b, B64URL));
	assert_string_not_equal(a, b);
	assert_true(auth_token_wellformed(a));
	assert_int_equal(auth_token_new(a, AUTH_TOKEN_LEN), -1);
	assert_string_equal(a, "");

	assert_false(auth_token_wellformed(NULL));
	assert_false(auth_token_wellformed(""));
	assert_false(auth_token_wellformed("abc"));
	assert_false(auth_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
	assert_false(auth_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	assert_false(auth_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_true(auth_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_"));
}

static void test_token_hash_is_stable_sha256_hex(void **state)
{
	char h1[AUTH_TOKEN_HASH_SIZE], h2[AUTH_TOKEN_HASH_SIZE], big[AUTH_TOKEN_MAX_IN + 2];

	(void)state;
	assert_int_equal(auth_token_hash("abc", h1, sizeof(h1)), 0);
	assert_string_equal(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(auth_token_new(big, sizeof(big)), 0);
	assert_int_equal(auth_token_hash(big, h1, sizeof(h1)), 0);
	assert_int_equal(auth_token_hash(big, h2, sizeof(h2)), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	assert_true(all_in(h1, "0123456789abcdef"));

	assert_int_equal(auth_token_hash("", h1, sizeof(h1)), -1);
	assert_int_equal(auth_token_hash(NULL, h1, sizeof(h1)), -1);
	assert_int_equal(auth_token_hash("abc", h1, 64), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_token_hash(big, h1, sizeof(h1)), -1);
	big[AUTH_TOKEN_MAX_IN] = '\0';
	assert_int_equal(auth_token_hash(big, h1, sizeof(h1)), 0);
}

static void test_streq_ct(void **state)
{
	(void)state;
	assert_true(auth_streq_ct("abc", "abc"));
	assert_true(auth_streq_ct("", ""));
	assert_false(auth_streq_ct("abc", "abd"));
	assert_false(auth_streq_ct("abc", "ab"));
	assert_false(auth_streq_ct("abc", NULL));
}

/* ---- CSRF ---- */

static void test_csrf_known_answer_ok_tampered_other_session(void **state)
{
	uint8_t key[32], key2[32];
	char t[AUTH_CSRF_SIZE], t2[AUTH_CSRF_SIZE], sid[AUTH_SESSION_ID_MAX + 2];
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	/* base64url(HMAC-SHA256(00 01 .. 1f, "csrf:abc")), from Python's hmac */
	assert_int_equal(auth_csrf_token(key, "abc", t, sizeof(t)), 0);
	assert_string_equal(t, "pGGbTde-_CqYttoZ3bAytd_uE4dHXxDB4CE54729aWY");
	assert_int_equal(auth_csrf_check(key, "abc", t), 0);

	/* tampered: one character changed, cut, extended */
	memcpy(t2, t, sizeof(t));
	t2[10] = t2[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_csrf_check(key, "abc", t2), -1);
	t2[10] = t[10];
	t2[42] = '\0';
	assert_int_equal(auth_csrf_check(key, "abc", t2), -1);
	assert_int_equal(auth_csrf_check(key, "abc", ""), -1);
	assert_int_equal(auth_csrf_check(key, "abc", NULL), -1);

	/* another session, another key */
	assert_int_equal(auth_csrf_check(key, "abd", t), -1);
	memcpy(key2, key, sizeof(key));
	key2[31] ^= 1;
	assert_int_equal(auth_csrf_check(key2, "abc", t), -1);

	/* session ids: empty and over-long ones refused */
	assert_int_equal(auth_csrf_token(key, "", t2, sizeof(t2)), -1);
	memset(sid, 's', sizeof(sid) - 1);
	sid[sizeof(sid) - 1] = '\0';
	assert_int_equal(auth_csrf_token(key, sid, t2, sizeof(t2)), -1);
	assert_int_equal(auth_csrf_token(key, "abc", t2, AUTH_CSRF_LEN), -1);
}

/* ---- base32 ---- */

static void test_base32_rfc4648_vectors(void **state)
{
	static const struct {
		const char *bin, *padded, *bare;
	} v[] = {
		{ "", "", "" },
		{ "f", "MY======", "MY" },
		{ "fo", "MZXQ====", "MZXQ" },
		{ "foo", "MZXW6===", "MZXW6" },
		{ "foob", "MZXW6YQ=", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI======", "MZXW6YTBOI" },
	};
	char enc[40];
	uint8_t dec[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].bin);

		assert_int_equal(auth_base32_encode((const uint8_t *)v[i].bin, len,
						    enc, sizeof(enc)), 0);
		assert_string_equal(enc, v[i].bare);
		n = 99;
		assert_int_equal(auth_base32_decode(v[i].padded, dec, sizeof(dec), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, v[i].bin, len);
		n = 99;
		assert_int_equal(auth_base32_decode(v[i].bare, dec, sizeof(dec), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, v[i].bin, len);
	}
	/* case and spaces do not matter */
	assert_int_equal(auth_base32_decode(" mzxw 6ytb oi ", dec, sizeof(dec), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(dec, "foobar", 6);
	/* bounds: 20 bytes do not fit in 16; 32 characters need 33 bytes */
	assert_int_equal(auth_base32_decode(RFC_KEY_B32, dec, sizeof(dec), &n), -1);
	assert_int_equal(auth_base32_encode(rfc_key, RFC_KEY_LEN, enc, 33), 0);
	assert_string_equal(enc, RFC_KEY_B32);
	assert_int_equal(auth_base32_encode(rfc_key, RFC_KEY_LEN, enc, 32), -1);
	assert_string_equal(enc, "");
}

static void test_base32_bad_input_refused(void **state)
{
	const char *bad[] = {
		"MZXW1",          /* 1 is not base32 */
		"MZXW0",
		"MZ-XW",
		"MZXW6YQ=A",      /* data after padding */
		"M",              /* lengths no bytes encode to: 1, 3, 6 mod 8 */
		"MZX",
		"MZXW6Y",
		"MZ======",       /* unused bits not zero (MY is canonical) */
		"MY=====",        /* wrong amount of padding */
		"MY=======",
		"MZXW6YTB========",
		"MZXW6YTB\n",
	};
	char big[AUTH_BASE32_MAX_TEXT + 2];
	uint8_t dec[1024];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_base32_decode(bad[i], dec, sizeof(dec), &n), -1);
	assert_int_equal(auth_base32_decode(NULL, dec, sizeof(dec), &n), -1);
	/* output bound: 6 bytes do not fit in 5 */
	assert_int_equal(auth_base32_decode("MZXW6YTBOI", dec, 5, &n), -1);
	assert_int_equal(auth_base32_decode("MZXW6YTBOI", dec, 6, &n), 0);
	/* input bound */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_base32_decode(big, dec, sizeof(dec), &n), -1);
	big[AUTH_BASE32_MAX_TEXT] = '\0';
	assert_int_equal(auth_base32_decode(big, dec, sizeof(dec), &n), 0);
	assert_int_equal(n, AUTH_BASE32_MAX_TEXT * 5 / 8);
}

/* ---- TOTP ---- */

static void test_totp_rfc6238_sha1_vectors(void **state)
{
	static const struct {
		uint64_t t;
		const char *code;
	} v[] = {
		{ 59, "287082" },          /* 94287082 */
		{ 1111111109, "081804" },  /* 07081804 */
		{ 1111111111, "050471" },  /* 14050471 */
		{ 1234567890, "005924" },  /* 89005924 */
		{ 2000000000, "279037" },  /* 69279037 */
		{ 20000000000ull, "353130" }, /* 65353130 */
	};
	char code[7];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t last = 0;

		assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, v[i].t, code), 0);
		assert_string_equal(code, v[i].code);
		assert_int_equal(auth_totp_verify(RFC_KEY_B32, v[i].code, v[i].t, 0, &last), 1);
		assert_int_equal(last, v[i].t / 30);
	}
	assert_int_equal(auth_totp_code(rfc_key, 0, 59, code), -1);
	assert_int_equal(auth_totp_code(rfc_key, AUTH_TOTP_SECRET_MAX + 1, 59, code), -1);
}

static void test_totp_window_one_accepted_two_refused(void **state)
{
	const uint64_t now = 1111111111;
	char c[5][7];
	int d;

	(void)state;
	for (d = -2; d <= 2; d++)
		assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN,
						(uint64_t)((int64_t)now + 30 * d), c[d + 2]), 0);
	/* the five codes differ, so a match says which step it was */
	for (d = 0; d < 5; d++)
		for (int e = d + 1; e < 5; e++)
			assert_string_not_equal(c[d], c[e]);
	for (d = -1; d <= 1; d++) {
		uint64_t last = 0;

		assert_int_equal(auth_totp_verify(RFC_KEY_B32, c[d + 2], now, AUTH_TOTP_WINDOW,
						  &last), 1);
		assert_int_equal(last, now / 30 + (uint64_t)(int64_t)d);
	}
	for (d = -2; d <= 2; d += 4) {
		uint64_t last = 0;

		assert_int_equal(auth_totp_verify(RFC_KEY_B32, c[d + 2], now, AUTH_TOTP_WINDOW,
						  &last), 0);
		assert_int_equal(last, 0);
	}
	/* window 0: only the current step */
	{
		uint64_t last = 0;

		assert_int_equal(auth_totp_verify(RFC_KEY_B32, c[3], now, 0, &last), 0);
		assert_int_equal(auth_totp_verify(RFC_KEY_B32, c[2], now, 0, &last), 1);
	}
}

static void test_totp_replay_of_a_step_refused(void **state)
{
	const uint64_t now = 1234567890;
	char cur[7], prev[7], next[7];
	uint64_t last = 0;

	(void)state;
	assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, now, cur), 0);
	assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, now - 30, prev), 0);
	assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, now + 30, next), 0);

	assert_int_equal(auth_totp_verify(RFC_KEY_B32, cur, now, 1, &last), 1);
	assert_int_equal(last, now / 30);
	/* the same code again, a second later: refused */
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, cur, now + 1, 1, &last), 0);
	/* an older step after a newer one: refused */
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, prev, now + 1, 1, &last), 0);
	assert_int_equal(last, now / 30);
	/* the next step's code is fresh */
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, next, now + 30, 1, &last), 1);
	assert_int_equal(last, now / 30 + 1);
}

static void test_totp_malformed_refused(void **state)
{
	const uint64_t now = 1234567890;
	uint64_t last = 0;

	(void)state;
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "05924", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "0059244", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "00592a", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "abcdef", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "005 924", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "-05924", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, NULL, now, 1, &last), -1);
	/* bad secrets: not base32, too short (10 bytes), too long (65 bytes) */
	assert_int_equal(auth_totp_verify("GEZDGNBVGY3TQOJ1", "005924", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify("GEZDGNBVGY3TQOJQ", "005924", now, 1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32 RFC_KEY_B32 RFC_KEY_B32 RFC_KEY_B32 "GE",
					  "005924", now, 1, &last), -1);
	/* bad windows, missing state */
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "005924", now, -1, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "005924", now, 11, &last), -1);
	assert_int_equal(auth_totp_verify(RFC_KEY_B32, "005924", now, 1, NULL), -1);
	assert_int_equal(last, 0);
	/* lower case and spaces in the stored secret are fine */
	assert_int_equal(auth_totp_verify("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "005924",
					  now, 1, &last), 1);
}

static void test_totp_secret_new_is_20_random_bytes(void **state)
{
	char a[AUTH_TOTP_SECRET_B32_SIZE], b[AUTH_TOTP_SECRET_B32_SIZE], code[7];
	uint8_t key[64];
	size_t n;
	uint64_t last = 0;

	(void)state;
	assert_int_equal(auth_totp_secret_new(a, sizeof(a)), 0);
	assert_int_equal(auth_totp_secret_new(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 32);
	assert_true(all_in(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
	assert_string_not_equal(a, b);
	assert_int_equal(auth_base32_decode(a, key, sizeof(key), &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(auth_totp_code(key, n, 1700000000, code), 0);
	assert_int_equal(auth_totp_verify(a, code, 1700000000, 1, &last), 1);
	assert_int_equal(auth_totp_secret_new(a, 32), -1);
}

static void test_totp_uri_percent_encoded(void **state)
{
	char uri[512];

	(void)state;
	assert_int_equal(auth_totp_uri("alice", "Kastro", RFC_KEY_B32, uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/Kastro:alice?secret=" RFC_KEY_B32
			    "&issuer=Kastro&algorithm=SHA1&digits=6&period=30");
	/* spaces, '&', '@', UTF-8; a secret in lower case comes out canonical */
	assert_int_equal(auth_totp_uri("Jürgen M&M@town.example", "Kastro Town Hall",
				       "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
				       uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/Kastro%20Town%20Hall:J%C3%BCrgen%20M%26M%40town.example"
			    "?secret=" RFC_KEY_B32 "&issuer=Kastro%20Town%20Hall"
			    "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(auth_totp_uri("a:b", "Kastro", RFC_KEY_B32, uri, sizeof(uri)), -1);
	assert_int_equal(auth_totp_uri("alice", "Kas:tro", RFC_KEY_B32, uri, sizeof(uri)), -1);
	assert_int_equal(auth_totp_uri("", "Kastro", RFC_KEY_B32, uri, sizeof(uri)), -1);
	assert_int_equal(auth_totp_uri("al\nice", "Kastro", RFC_KEY_B32, uri, sizeof(uri)), -1);
	assert_int_equal(auth_totp_uri("alice", "Kastro", "GEZDGNBVGY3TQOJ1", uri, sizeof(uri)), -1);
	assert_int_equal(auth_totp_uri("alice", "Kastro", RFC_KEY_B32, uri, 60), -1);
	assert_string_equal(uri, "");
}

/* ---- limiter ---- */

static void test_limiter_five_free_then_doubling_capped(void **state)
{
	static const unsigned want[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900 };
	struct auth_limiter *l = auth_limiter_new(AUTH_LIMITER_CAPACITY,
						  AUTH_LIMITER_FREE_FAILURES,
						  AUTH_LIMITER_BASE_DELAY_S,
						  AUTH_LIMITER_MAX_DELAY_S);
	struct auth_limiter_stats st;
	uint64_t now = 1000;
	size_t i;

	(void)state;
	assert_non_null(l);
	for (i = 0; i < 5; i++) {
		assert_int_equal(auth_limiter_check(l, "user:alice", now), 0);
		assert_int_equal(auth_limiter_fail(l, "user:alice", now), 0);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(auth_limiter_fail(l, "user:alice", now), want[i]);
		assert_int_equal(auth_limiter_check(l, "user:alice", now), want[i]);
		if (want[i] > 1)
			assert_int_equal(auth_limiter_check(l, "user:alice", now + 1), want[i] - 1);
		now += want[i];
		assert_int_equal(auth_limiter_check(l, "user:alice", now), 0);
	}
	auth_limiter_stats(l, &st);
	assert_int_equal(st.lockouts, sizeof(want) / sizeof(want[0]));
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.capacity, AUTH_LIMITER_CAPACITY);
	auth_limiter_free(l);
}

static void test_limiter_success_clears(void **state)
{
	struct auth_limiter *l = auth_limiter_new(16, 5, 1, 900);
	struct auth_limiter_stats st;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		auth_limiter_fail(l, "user:bob", 100);
	assert_int_equal(auth_limiter_check(l, "user:bob", 100), 2);
	auth_limiter_success(l, "user:bob");
	assert_int_equal(auth_limiter_check(l, "user:bob", 100), 0);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.entries, 0);
	/* five free failures again */
	for (i = 0; i < 5; i++)
		assert_int_equal(auth_limiter_fail(l, "user:bob", 101), 0);
	assert_int_equal(auth_limiter_fail(l, "user:bob", 101), 1);
	auth_limiter_success(l, "user:nobody");   /* unknown key: nothing happens */
	auth_limiter_free(l);
}

static void test_limiter_keys_independent(void **state)
{
	struct auth_limiter *l = auth_limiter_new(16, 5, 1, 900);
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		auth_limiter_fail(l, "user:alice", 100);
	assert_int_equal(auth_limiter_check(l, "user:alice", 100), 4);
	assert_int_equal(auth_limiter_check(l, "user:alicf", 100), 0);
	assert_int_equal(auth_limiter_check(l, "user:alic", 100), 0);
	assert_int_equal(auth_limiter_check(l, "addr:192.0.2.7", 100), 0);
	assert_int_equal(auth_limiter_fail(l, "addr:192.0.2.7", 100), 0);
	auth_limiter_success(l, "addr:192.0.2.7");
	assert_int_equal(auth_limiter_check(l, "user:alice", 100), 4);
	auth_limiter_free(l);
}

static void test_limiter_full_table_evicts_oldest_counted(void **state)
{
	struct auth_limiter *l = auth_limiter_new(4, 0, 10, 100);
	struct auth_limiter_stats st;
	char key[32];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "addr:10.0.0.%d", i);
		assert_int_equal(auth_limiter_fail(l, key, 1000 + (uint64_t)i), 10);
	}
	assert_int_equal(auth_limiter_fail(l, "addr:10.0.0.9", 1004), 10);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.forgotten, 0);
	/* the oldest (.0) went; .1 is still locked */
	assert_int_equal(auth_limiter_check(l, "addr:10.0.0.0", 1005), 0);
	assert_int_equal(auth_limiter_check(l, "addr:10.0.0.1", 1005), 6);
	/* a failure moves a key to the young end: .1 stays, .2 goes next */
	assert_int_equal(auth_limiter_fail(l, "addr:10.0.0.1", 1006), 20);
	assert_int_equal(auth_limiter_fail(l, "addr:10.0.0.8", 1006), 10);
	assert_int_equal(auth_limiter_check(l, "addr:10.0.0.2", 1006), 0);
	assert_int_equal(auth_limiter_check(l, "addr:10.0.0.1", 1006), 20);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.evictions, 2);
	auth_limiter_free(l);
}

static void test_limiter_old_failures_forgotten(void **state)
{
	struct auth_limiter *l = auth_limiter_new(2, 5, 1, 900);
	struct auth_limiter_stats st;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		auth_limiter_fail(l, "user:carol", 100);
	/* 2 * 900 s after the last failure: still remembered; one more: not */
	assert_int_equal(auth_limiter_fail(l, "user:carol", 100 + 1800), 4);
	assert_int_equal(auth_limiter_check(l, "user:carol", 1900 + 1801), 0);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.forgotten, 1);
	assert_int_equal(st.entries, 0);
	assert_int_equal(auth_limiter_fail(l, "user:carol", 1900 + 1801), 0);

	/* in a full table, old keys are forgotten, not evicted */
	auth_limiter_fail(l, "user:dave", 3702);
	auth_limiter_fail(l, "user:erin", 9000);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.forgotten, 3);
	assert_int_equal(st.entries, 1);
	auth_limiter_free(l);
}

static void test_limiter_bad_settings_and_keys_refused(void **state)
{
	struct auth_limiter *l;
	struct auth_limiter_stats st;
	char key[AUTH_LIMITER_KEY_MAX + 2];

	(void)state;
	assert_null(auth_limiter_new(0, 5, 1, 900));
	assert_null(auth_limiter_new(AUTH_LIMITER_CAPACITY_MAX + 1, 5, 1, 900));
	assert_null(auth_limiter_new(16, 5, 0, 900));
	assert_null(auth_limiter_new(16, 5, 10, 9));
	assert_null(auth_limiter_new(16, 5, 1, 86401));
	auth_limiter_free(NULL);

	l = auth_limiter_new(16, 5, 1, 900);
	assert_non_null(l);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(auth_limiter_check(l, key, 1), 900);
	assert_int_equal(auth_limiter_fail(l, key, 1), 900);
	assert_int_equal(auth_limiter_check(l, "", 1), 900);
	assert_int_equal(auth_limiter_check(l, NULL, 1), 900);
	auth_limiter_success(l, NULL);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.refused_keys, 5);
	assert_int_equal(st.entries, 0);
	/* the longest allowed key works */
	key[AUTH_LIMITER_KEY_MAX] = '\0';
	assert_int_equal(auth_limiter_check(l, key, 1), 0);
	assert_int_equal(auth_limiter_fail(l, key, 1), 0);
	auth_limiter_stats(l, &st);
	assert_int_equal(st.entries, 1);
	auth_limiter_free(l);
}

/* Many keys through a small table: chains, the free list and the age list
 * stay consistent (ASan would see a stray index). */
static void test_limiter_churn_stays_bounded(void **state)
{
	struct auth_limiter *l = auth_limiter_new(64, 1, 1, 60);
	struct auth_limiter_stats st;
	char key[32];
	uint64_t now = 1;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "addr:%d", i % 97);
		if (i % 7 == 0)
			auth_limiter_success(l, key);
		else
			auth_limiter_fail(l, key, now);
		if (i % 50 == 0)
			now += 13;
		if (i % 1000 == 999)
			now += 500;   /* everything held goes stale */
		auth_limiter_check(l, key, now);
	}
	auth_limiter_stats(l, &st);
	assert_true(st.entries <= 64);
	assert_true(st.evictions > 0);
	assert_true(st.forgotten > 0);
	auth_limiter_free(l);
}

/* ---- sessions and cookies ---- */

static void test_session_idle_and_absolute_expiry(void **state)
{
	(void)state;
	assert_false(auth_session_expired(1000, 1000, 1000, 1800, 28800));
	assert_false(auth_session_expired(1000, 2000, 3799, 1800, 28800));
	assert_true(auth_session_expired(1000, 2000, 3800, 1800, 28800));   /* idle */
	assert_false(auth_session_expired(1000, 29000, 29799, 1800, 28800));
	assert_true(auth_session_expired(1000, 29000, 29800, 1800, 28800)); /* absolute */
	/* fail closed: clock went back, corrupt times, zero limits */
	assert_true(auth_session_expired(1000, 1000, 999, 1800, 28800));
	assert_true(auth_session_expired(1000, 1500, 1400, 1800, 28800));
	assert_true(auth_session_expired(1000, 900, 1100, 1800, 28800));
	assert_true(auth_session_expired(1000, 1000, 1000, 0, 28800));
	assert_true(auth_session_expired(1000, 1000, 1000, 1800, 0));
}

static void test_cookie_header_built(void **state)
{
	char h[256], tok[AUTH_TOKEN_SIZE];

	(void)state;
	assert_int_equal(auth_cookie_header("__Host-kastro", "abc-_XYZ09", 28800, h, sizeof(h)), 0);
	assert_string_equal(h, "__Host-kastro=abc-_XYZ09; Path=/; HttpOnly; Secure; "
			    "SameSite=Strict; Max-Age=28800");
	assert_int_equal(auth_cookie_header("__Host-kastro", "", 0, h, sizeof(h)), 0);
	assert_string_equal(h, "__Host-kastro=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
	assert_int_equal(auth_token_new(tok, sizeof(tok)), 0);
	assert_int_equal(auth_cookie_header("s", tok, 60, h, sizeof(h)), 0);
	assert_int_equal(strlen(h), 2 + 43 + strlen("; Path=/; HttpOnly; Secure; "
						      "SameSite=Strict; Max-Age=60"));
}

static void test_cookie_header_bad_values_refused(void **state)
{
	char h[256], big[AUTH_COOKIE_VALUE_MAX + 2];
	const char *bad_values[] = {
		"a;b", "a b", "a=b", "a\r\nSet-Cookie: x=y", "a+b/c", "\"ab\"", "a,b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		assert_int_equal(auth_cookie_header("s", bad_values[i], 60, h, sizeof(h)), -1);
	assert_int_equal(auth_cookie_header("s", NULL, 60, h, sizeof(h)), -1);
	assert_int_equal(auth_cookie_header("", "abc", 60, h, sizeof(h)), -1);
	assert_int_equal(auth_cookie_header("a b", "abc", 60, h, sizeof(h)), -1);
	assert_int_equal(auth_cookie_header("a=b", "abc", 60, h, sizeof(h)), -1);
	assert_int_equal(auth_cookie_header(NULL, "abc", 60, h, sizeof(h)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_cookie_header("s", big, 60, h, sizeof(h)), -1);
	/* does not fit: an error, not a cut header */
	assert_int_equal(auth_cookie_header("s", "abc", 60, h, 40), -1);
	assert_string_equal(h, "");
}

static void test_cookie_get_among_several(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(auth_cookie_get("a=1; __Host-kastro=tok_en-1; b=2",
					 "__Host-kastro", v, sizeof(v)), 0);
	assert_string_equal(v, "tok_en-1");
	assert_int_equal(auth_cookie_get("s=first", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "first");
	/* spaces and tabs around pairs and '=', no space after ';' */
	assert_int_equal(auth_cookie_get("  a=1;b=2 ;\ts = x y ;c=3", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "x y");
	assert_int_equal(auth_cookie_get("a=1;b=2", "b", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	/* a quoted value is unquoted; '=' inside a value is kept */
	assert_int_equal(auth_cookie_get("s=\"abc\"; t=a=b", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "abc");
	assert_int_equal(auth_cookie_get("s=\"abc\"; t=a=b", "t", v, sizeof(v)), 0);
	assert_string_equal(v, "a=b");
	/* names match whole: not a prefix, suffix or different case */
	assert_int_equal(auth_cookie_get("xs=1; sx=2; S=3; s=4", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "4");
	/* pairs without '=' and empty pairs are skipped */
	assert_int_equal(auth_cookie_get("junk; ;; s=5;", "s", v, sizeof(v)), 0);
	assert_string_equal(v, "5");
}

static void test_cookie_get_missing(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(auth_cookie_get("", "s", v, sizeof(v)), -1);
	assert_string_equal(v, "");
	assert_int_equal(auth_cookie_get("a=1; b=2", "s", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get("ss=1; s", "s", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get("a=s=1", "s", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get(NULL, "s", v, sizeof(v)), -1);
}

static void test_cookie_get_malformed_refused(void **state)
{
	char v[8], big[AUTH_COOKIE_HEADER_MAX + 2];

	(void)state;
	/* present twice: which one is real is unknowable (cookie tossing) */
	assert_int_equal(auth_cookie_get("s=1; s=2", "s", v, sizeof(v)), -1);
	assert_string_equal(v, "");
	/* empty values */
	assert_int_equal(auth_cookie_get("s=; a=1", "s", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get("s=\"\"", "s", v, sizeof(v)), -1);
	/* does not fit in out (8 bytes: 7 characters fit) */
	assert_int_equal(auth_cookie_get("s=12345678", "s", v, sizeof(v)), -1);
	assert_string_equal(v, "");
	assert_int_equal(auth_cookie_get("s=1234567", "s", v, sizeof(v)), 0);
	/* control characters anywhere */
	assert_int_equal(auth_cookie_get("s=1\r\nX: y", "s", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get("a=\x01; s=1", "s", v, sizeof(v)), -1);
	/* bad name asked for */
	assert_int_equal(auth_cookie_get("s=1", "", v, sizeof(v)), -1);
	assert_int_equal(auth_cookie_get("a b=1", "a b", v, sizeof(v)), -1);
	/* over-long header, even with the cookie at the start */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "s=1; y=", 7);
	assert_int_equal(auth_cookie_get(big, "s", v, sizeof(v)), -1);
	big[AUTH_COOKIE_HEADER_MAX] = '\0';
	assert_int_equal(auth_cookie_get(big, "s", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
}

/* ---- roles ---- */

static void test_role_table(void **state)
{
	static const bool want[3][5] = {
		/* view  alert  respond users  sensors */
		{ true, false, false, false, false },   /* viewer */
		{ true, true, true, false, false },     /* analyst */
		{ true, true, true, true, true },        /* admin */
	};
	enum auth_role r;
	int i, a;

	(void)state;
	for (i = 0; i < 3; i++)
		for (a = 0; a < 5; a++)
			assert_int_equal(auth_role_allows((enum auth_role)i, (enum auth_action)a),
					 want[i][a]);
	assert_false(auth_role_allows((enum auth_role)3, AUTH_ACT_VIEW));
	assert_false(auth_role_allows((enum auth_role)-1, AUTH_ACT_VIEW));
	assert_false(auth_role_allows(AUTH_ADMIN, (enum auth_action)5));
	assert_false(auth_role_allows(AUTH_ADMIN, (enum auth_action)-1));

	assert_int_equal(auth_role_parse("viewer", &r), 0);
	assert_int_equal(r, AUTH_VIEWER);
	assert_int_equal(auth_role_parse("analyst", &r), 0);
	assert_int_equal(r, AUTH_ANALYST);
	assert_int_equal(auth_role_parse("admin", &r), 0);
	assert_int_equal(r, AUTH_ADMIN);
	assert_int_equal(auth_role_parse("Admin", &r), -1);
	assert_int_equal(auth_role_parse("root", &r), -1);
	assert_int_equal(auth_role_parse("", &r), -1);
	assert_int_equal(auth_role_parse(NULL, &r), -1);
	assert_string_equal(auth_role_name(AUTH_ANALYST), "analyst");
	assert_string_equal(auth_role_name((enum auth_role)7), "invalid");
	assert_string_equal(auth_action_name(AUTH_ACT_MANAGE_SENSORS), "manage_sensors");
	assert_string_equal(auth_action_name(AUTH_ACT_ALERT_UPDATE), "alert_update");
	assert_string_equal(auth_action_name((enum auth_action)9), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_hash_then_verify),
		cmocka_unit_test(test_password_wrong_refused),
		cmocka_unit_test(test_password_malformed_encoded),
		cmocka_unit_test(test_password_empty_and_overlong_refused),
		cmocka_unit_test(test_password_bad_cost_and_small_buffer_refused),
		cmocka_unit_test(test_password_default_cost_is_m65536_t3_p1),
		cmocka_unit_test(test_generated_passwords_length_alphabet_differ),
		cmocka_unit_test(test_tokens_are_43_base64url_and_differ),
		cmocka_unit_test(test_token_hash_is_stable_sha256_hex),
		cmocka_unit_test(test_streq_ct),
		cmocka_unit_test(test_csrf_known_answer_ok_tampered_other_session),
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_base32_bad_input_refused),
		cmocka_unit_test(test_totp_rfc6238_sha1_vectors),
		cmocka_unit_test(test_totp_window_one_accepted_two_refused),
		cmocka_unit_test(test_totp_replay_of_a_step_refused),
		cmocka_unit_test(test_totp_malformed_refused),
		cmocka_unit_test(test_totp_secret_new_is_20_random_bytes),
		cmocka_unit_test(test_totp_uri_percent_encoded),
		cmocka_unit_test(test_limiter_five_free_then_doubling_capped),
		cmocka_unit_test(test_limiter_success_clears),
		cmocka_unit_test(test_limiter_keys_independent),
		cmocka_unit_test(test_limiter_full_table_evicts_oldest_counted),
		cmocka_unit_test(test_limiter_old_failures_forgotten),
		cmocka_unit_test(test_limiter_bad_settings_and_keys_refused),
		cmocka_unit_test(test_limiter_churn_stays_bounded),
		cmocka_unit_test(test_session_idle_and_absolute_expiry),
		cmocka_unit_test(test_cookie_header_built),
		cmocka_unit_test(test_cookie_header_bad_values_refused),
		cmocka_unit_test(test_cookie_get_among_several),
		cmocka_unit_test(test_cookie_get_missing),
		cmocka_unit_test(test_cookie_get_malformed_refused),
		cmocka_unit_test(test_role_table),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
