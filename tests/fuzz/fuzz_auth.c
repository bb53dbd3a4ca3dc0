/*
 * fuzz_auth.c - libFuzzer target: what a browser or client sends that the
 * console's auth.c parses before anything else sees it: the Cookie header,
 * a token, a CSRF token, a TOTP code and a base32 secret, an encoded
 * password hash from the database.
 *
 * The input is split at NUL bytes into those fields. Checks that nothing
 * crashes or reads past its field, that a cookie value found fits and holds
 * no separator, and that base32 decoding of what auth encoded round-trips.
 * Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	char *buf = malloc(size + 1), *f[5] = { "", "", "", "", "" }, val[AUTH_COOKIE_VALUE_MAX + 1];
	char b32[256];
	uint8_t raw[128];
	size_t n, k = 0;
	uint64_t step = 0;

	check(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	f[0] = buf;
	for (size_t i = 0; i < size && k < 4; i++)
		if (buf[i] == '\0')
			f[++k] = buf + i + 1;
	if (auth_cookie_get(f[0], "__Host-kastro", val, sizeof(val)) == 0)
		check(strlen(val) <= AUTH_COOKIE_VALUE_MAX && strchr(val, ';') == NULL);
	if (auth_token_wellformed(f[1]))
		check(strlen(f[1]) == AUTH_TOKEN_LEN);
	(void)auth_csrf_check(key, f[1], f[2]);
	(void)auth_totp_verify(f[3], f[2], 1700000000, AUTH_TOTP_WINDOW, &step);
	if (auth_base32_decode(f[3], raw, sizeof(raw), &n) == 0) {
		check(n <= sizeof(raw));
		check(auth_base32_encode(raw, n, b32, sizeof(b32)) == 0);
		check(auth_base32_decode(b32, raw + 0, sizeof(raw), &n) == 0);
	}
	if (strlen(f[4]) < 300)
		(void)auth_password_needs_rehash(f[4]);
	free(buf);
	return 0;
}
