/*
 * auth.c - see auth.h.
 *
 * Assumes ASCII text for names, codes and cookies (no locale: ctype.h is not
 * used, characters are tested by range). Secrets held on the stack (random
 * bytes, decoded TOTP keys, MACs) are wiped with OPENSSL_cleanse() before
 * returning, on every path.
 */
#include "auth.h"
#include "sha256hex.h"

#include <argon2.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

int auth_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static bool is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* base64url without padding of in[0..n), n <= 64, into out. 0 or -1. */
static int b64url(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	unsigned char tmp[4 * ((64 + 2) / 3) + 1];
	size_t m, i;
	int len;

	if (n > 64)
		return -1;
	len = EVP_EncodeBlock(tmp, in, (int)n);
	if (len < 0)
		return -1;
	m = (size_t)len;
	while (m > 0 && tmp[m - 1] == '=')
		m--;
	if (m + 1 > outlen) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return -1;
	}
	for (i = 0; i < m; i++)
		out[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
	out[m] = '\0';
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

/* ---- passwords -------------------------------------------------------- */

static bool cost_ok(const struct auth_argon2 *c)
{
	return c->p >= 1 && c->p <= AUTH_ARGON2_P_MAX &&
	       c->t >= 1 && c->t <= AUTH_ARGON2_T_MAX &&
	       c->m_kib >= 8 * c->p && c->m_kib <= AUTH_ARGON2_M_MAX_KIB;
}

/* A decimal number (1 to 10 digits) at *s that fits in 32 bits; advances *s. */
static int read_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > 10)
			return -1;
		x = x * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (n == 0 || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	*s = p;
	return 0;
}

/* A run of unpadded base64 at *s of a length some bytes encode to (not 1
 * mod 4) and at least min characters; advances *s. */
static int skip_b64(const char **s, size_t min)
{
	const char *p = *s;
	size_t n;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9') || *p == '+' || *p == '/')
		p++;
	n = (size_t)(p - *s);
	if (n < min || n % 4 == 1)
		return -1;
	*s = p;
	return 0;
}

/*
 * The cost of an encoded hash "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" of at
 * most AUTH_PW_HASH_SIZE - 1 bytes, with a salt of 8 bytes or more and a
 * hash of 4 or more (libargon2's minimums) in unpadded base64. libargon2
 * decodes it again when verifying. 0 with *c set, or -1.
 */
static int parse_encoded(const char *enc, struct auth_argon2 *c)
{
	static const char pre[] = "$argon2id$v=19$m=";
	const char *s;

	if (enc == NULL || strnlen(enc, AUTH_PW_HASH_SIZE) >= AUTH_PW_HASH_SIZE)
		return -1;
	if (strncmp(enc, pre, sizeof(pre) - 1) != 0)
		return -1;
	s = enc + sizeof(pre) - 1;
	if (read_u32(&s, &c->m_kib) < 0 || strncmp(s, ",t=", 3) != 0)
		return -1;
	s += 3;
	if (read_u32(&s, &c->t) < 0 || strncmp(s, ",p=", 3) != 0)
		return -1;
	s += 3;
	if (read_u32(&s, &c->p) < 0 || *s++ != '$')
		return -1;
	if (skip_b64(&s, 11) < 0 || *s++ != '$' || skip_b64(&s, 6) < 0 || *s != '\0')
		return -1;
	return cost_ok(c) ? 0 : -1;
}

int auth_password_hash_cost(const char *pw, const struct auth_argon2 *cost,
			    char *out, size_t outlen, char *err, size_t errlen)
{
	uint8_t salt[AUTH_ARGON2_SALT_LEN];
	size_t pwlen, need;
	int rc;

	if (outlen > 0)
		out[0] = '\0';
	pwlen = pw != NULL ? strnlen(pw, AUTH_PW_MAX + 1) : 0;
	if (pwlen == 0) {
		snprintf(err, errlen, "the password is empty");
		return -1;
	}
	if (pwlen > AUTH_PW_MAX) {
		snprintf(err, errlen, "the password is longer than %u bytes", AUTH_PW_MAX);
		return -1;
	}
	if (!cost_ok(cost)) {
		snprintf(err, errlen, "argon2id cost m=%" PRIu32 ",t=%" PRIu32 ",p=%" PRIu32
			 " is outside m=8*p..%u KiB, t=1..%u, p=1..%u",
			 cost->m_kib, cost->t, cost->p, AUTH_ARGON2_M_MAX_KIB,
			 AUTH_ARGON2_T_MAX, AUTH_ARGON2_P_MAX);
		return -1;
	}
	need = argon2_encodedlen(cost->t, cost->m_kib, cost->p, AUTH_ARGON2_SALT_LEN,
				 AUTH_ARGON2_HASH_LEN, Argon2_id);
	if (need > outlen || need > AUTH_PW_HASH_SIZE) {
		snprintf(err, errlen, "%zu bytes for the password hash, %zu needed",
			 outlen, need);
		return -1;
	}
	if (auth_random(salt, sizeof(salt)) < 0) {
		snprintf(err, errlen, "no random bytes for the salt: %s", strerror(errno));
		return -1;
	}
	rc = argon2id_hash_encoded(cost->t, cost->m_kib, cost->p, pw, pwlen,
				   salt, sizeof(salt), AUTH_ARGON2_HASH_LEN, out, outlen);
	if (rc != ARGON2_OK) {
		if (outlen > 0)
			out[0] = '\0';
		snprintf(err, errlen, "argon2id: %s", argon2_error_message(rc));
		return -1;
	}
	return 0;
}

int auth_password_hash(const char *pw, char *out, size_t outlen,
		       char *err, size_t errlen)
{
	const struct auth_argon2 def = {
		.m_kib = AUTH_ARGON2_M_KIB, .t = AUTH_ARGON2_T, .p = AUTH_ARGON2_P
	};

	return auth_password_hash_cost(pw, &def, out, outlen, err, errlen);
}

int auth_password_verify(const char *pw, const char *encoded)
{
	struct auth_argon2 c;
	size_t pwlen;
	int rc;

	if (parse_encoded(encoded, &c) < 0)
		return -1;
	pwlen = pw != NULL ? strnlen(pw, AUTH_PW_MAX + 1) : 0;
	if (pwlen == 0 || pwlen > AUTH_PW_MAX)
		return 0;
	rc = argon2id_verify(encoded, pw, pwlen);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

int auth_password_needs_rehash(const char *encoded)
{
	struct auth_argon2 c;

	if (parse_encoded(encoded, &c) < 0)
		return -1;
	return c.m_kib != AUTH_ARGON2_M_KIB || c.t != AUTH_ARGON2_T ||
	       c.p != AUTH_ARGON2_P;
}

/* Letters and digits without 0 O 1 l I: 8 + 24 + 25 = 57. */
static const char pw_alphabet[] =
	"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int auth_password_generate(char *out, size_t outlen)
{
	const unsigned n = sizeof(pw_alphabet) - 1;
	const unsigned limit = 256 - 256 % n;   /* no modulo bias */
	uint8_t r[64];
	size_t have = 0, i;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < AUTH_PW_GEN_SIZE)
		return -1;
	while (have < AUTH_PW_GEN_LEN) {
		if (auth_random(r, sizeof(r)) < 0) {
			OPENSSL_cleanse(r, sizeof(r));
			OPENSSL_cleanse(out, have);
			out[0] = '\0';
			return -1;
		}
		for (i = 0; i < sizeof(r) && have < AUTH_PW_GEN_LEN; i++)
			if (r[i] < limit)
				out[have++] = pw_alphabet[r[i] % n];
	}
	out[have] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

/* ---- random tokens ---------------------------------------------------- */

int auth_token_new(char *out, size_t outlen)
{
	uint8_t r[32];
	int rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < AUTH_TOKEN_SIZE)
		return -1;
	if (auth_random(r, sizeof(r)) == 0)
		rc = b64url(r, sizeof(r), out, outlen);
	OPENSSL_cleanse(r, sizeof(r));
	return rc;
}

bool auth_token_wellformed(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, AUTH_TOKEN_LEN + 1) != AUTH_TOKEN_LEN)
		return false;
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		if (!is_b64url(s[i]))
			return false;
	return true;
}

int auth_token_hash(const char *token, char *hex_out, size_t outlen)
{
	size_t n;

	if (outlen > 0)
		hex_out[0] = '\0';
	if (outlen < AUTH_TOKEN_HASH_SIZE || token == NULL)
		return -1;
	n = strnlen(token, AUTH_TOKEN_MAX_IN + 1);
	if (n == 0 || n > AUTH_TOKEN_MAX_IN)
		return -1;
	return sha256_hex(token, n, hex_out);
}

bool auth_streq_ct(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- CSRF --------------------------------------------------------------- */

/* HMAC-SHA256(key, "csrf:" + sid) into mac. 0 or -1 (bad session id). */
static int csrf_mac(const uint8_t key[32], const char *sid, uint8_t mac[32])
{
	unsigned char msg[5 + AUTH_SESSION_ID_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n;
	int rc = -1;

	if (key == NULL || sid == NULL)
		return -1;
	n = strnlen(sid, AUTH_SESSION_ID_MAX + 1);
	if (n == 0 || n > AUTH_SESSION_ID_MAX)
		return -1;
	memcpy(msg, "csrf:", 5);
	memcpy(msg + 5, sid, n);
	if (HMAC(EVP_sha256(), key, 32, msg, 5 + n, md, &mdlen) != NULL && mdlen == 32) {
		memcpy(mac, md, 32);
		rc = 0;
	}
	OPENSSL_cleanse(msg, sizeof(msg));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int auth_csrf_token(const uint8_t key[32], const char *session_id,
		    char *out, size_t outlen)
{
	uint8_t mac[32];
	int rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen < AUTH_CSRF_SIZE)
		return -1;
	if (csrf_mac(key, session_id, mac) == 0)
		rc = b64url(mac, sizeof(mac), out, outlen);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int auth_csrf_check(const uint8_t key[32], const char *session_id,
		    const char *given)
{
	char want[AUTH_CSRF_SIZE];
	int rc = -1;

	if (given == NULL || strnlen(given, AUTH_CSRF_LEN + 1) != AUTH_CSRF_LEN)
		return -1;
	if (auth_csrf_token(key, session_id, want, sizeof(want)) == 0 &&
	    CRYPTO_memcmp(want, given, AUTH_CSRF_LEN) == 0)
		rc = 0;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

/* ---- base32 and TOTP ---------------------------------------------------- */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int auth_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	if (outlen > 0)
		out[0] = '\0';
	if (n > (SIZE_MAX - 5) / 8 || outlen < (n * 8 + 4) / 5 + 1)
		return -1;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int auth_base32_decode(const char *in, uint8_t *out, size_t outcap,
		       size_t *outlen)
{
	size_t len, i, data = 0, pad = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int v;

	if (in == NULL)
		return -1;
	len = strnlen(in, AUTH_BASE32_MAX_TEXT + 1);
	if (len > AUTH_BASE32_MAX_TEXT)
		return -1;
	for (i = 0; i < len; i++) {
		if (in[i] == ' ')
			continue;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		v = b32_value(in[i]);
		if (v < 0 || pad > 0)   /* not base32, or data after padding */
			goto fail;
		data++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= outcap)
				goto fail;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
			acc &= (1u << bits) - 1;
		}
	}
	/* Five or more bits left: a length of 1, 3 or 6 mod 8, which no bytes
	 * encode to. Bits left that are not zero: not the canonical text. */
	if (bits >= 5 || acc != 0)
		goto fail;
	if (pad > 0 && (pad >= 8 || data % 8 == 0 || (data + pad) % 8 != 0))
		goto fail;
	*outlen = o;
	return 0;
fail:
	OPENSSL_cleanse(out, o);
	return -1;
}

int auth_totp_secret_new(char *base32_out, size_t outlen)
{
	uint8_t r[AUTH_TOTP_SECRET_LEN];
	int rc = -1;

	if (outlen > 0)
		base32_out[0] = '\0';
	if (outlen < AUTH_TOTP_SECRET_B32_SIZE)
		return -1;
	if (auth_random(r, sizeof(r)) == 0)
		rc = auth_base32_encode(r, sizeof(r), base32_out, outlen);
	OPENSSL_cleanse(r, sizeof(r));
	return rc;
}

/* The RFC 4226 HOTP value of counter `step`, 6 digits, into out[7]. */
static int hotp(const uint8_t *key, size_t len, uint64_t step, char out[7])
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint32_t bin;
	unsigned off;
	int i, rc = -1;

	out[0] = '\0';
	if (key == NULL || len == 0 || len > AUTH_TOTP_SECRET_MAX)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(step & 0xff);
		step >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)len, msg, sizeof(msg), mac, &maclen) != NULL &&
	    maclen == 20) {
		/* dynamic truncation, RFC 4226 section 5.3 */
		off = mac[19] & 0x0f;
		bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
		      (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
		if (snprintf(out, 7, "%06" PRIu32, bin % 1000000u) == 6)
			rc = 0;
		else
			out[0] = '\0';
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int auth_totp_code(const uint8_t *secret, size_t len, uint64_t unix_time,
		   char out[7])
{
	return hotp(secret, len, unix_time / AUTH_TOTP_STEP_S, out);
}

int auth_totp_verify(const char *base32_secret, const char *code, uint64_t now,
		     int window, uint64_t *last_used_step)
{
	uint8_t key[AUTH_TOTP_SECRET_MAX];
	size_t klen = 0, i;
	char want[7];
	uint64_t cur, lo, hi, s, best = 0;
	bool found = false;
	int rc = -1;

	if (base32_secret == NULL || code == NULL || last_used_step == NULL ||
	    window < 0 || window > AUTH_TOTP_WINDOW_MAX)
		return -1;
	if (strnlen(code, AUTH_TOTP_DIGITS + 1) != AUTH_TOTP_DIGITS)
		return -1;
	for (i = 0; i < AUTH_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return -1;
	if (auth_base32_decode(base32_secret, key, sizeof(key), &klen) < 0 ||
	    klen < AUTH_TOTP_SECRET_MIN)
		goto out;
	cur = now / AUTH_TOTP_STEP_S;
	lo = cur >= (uint64_t)window ? cur - (uint64_t)window : 0;
	hi = cur + (uint64_t)window;
	/* Every step of the window is computed and compared, whatever matched. */
	for (s = lo; s <= hi; s++) {
		if (hotp(key, klen, s, want) < 0)
			goto out;
		if (CRYPTO_memcmp(want, code, AUTH_TOTP_DIGITS) == 0 && s > *last_used_step) {
			best = s;
			found = true;
		}
	}
	rc = 0;
	if (found) {
		*last_used_step = best;
		rc = 1;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

/* 1 to 128 bytes, no ':' (the label's separator) and no control bytes. */
static bool uri_name_ok(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return false;
	n = strnlen(s, 129);
	if (n == 0 || n > 128)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Append s to out at *o, percent-encoding all but RFC 3986's unreserved
 * characters when pct. 0, or -1 when it does not fit. */
static int uri_put(char *out, size_t outlen, size_t *o, const char *s, bool pct)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = !pct || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~';

		if (*o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain) {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
	out[*o] = '\0';
	return 0;
}

int auth_totp_uri(const char *label, const char *issuer,
		  const char *base32_secret, char *out, size_t outlen)
{
	uint8_t key[AUTH_TOTP_SECRET_MAX];
	char canon[(AUTH_TOTP_SECRET_MAX * 8 + 4) / 5 + 1];
	size_t klen = 0, o = 0;
	int rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!uri_name_ok(label) || !uri_name_ok(issuer) || base32_secret == NULL)
		return -1;
	if (auth_base32_decode(base32_secret, key, sizeof(key), &klen) < 0 ||
	    klen < AUTH_TOTP_SECRET_MIN ||
	    auth_base32_encode(key, klen, canon, sizeof(canon)) < 0)
		goto out;
	if (uri_put(out, outlen, &o, "otpauth://totp/", false) < 0 ||
	    uri_put(out, outlen, &o, issuer, true) < 0 ||
	    uri_put(out, outlen, &o, ":", false) < 0 ||
	    uri_put(out, outlen, &o, label, true) < 0 ||
	    uri_put(out, outlen, &o, "?secret=", false) < 0 ||
	    uri_put(out, outlen, &o, canon, false) < 0 ||
	    uri_put(out, outlen, &o, "&issuer=", false) < 0 ||
	    uri_put(out, outlen, &o, issuer, true) < 0 ||
	    uri_put(out, outlen, &o, "&algorithm=SHA1&digits=6&period=30", false) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		OPENSSL_cleanse(out, outlen);   /* may hold part of the secret */
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(canon, sizeof(canon));
	return rc;
}

/* ---- login rate limiter ------------------------------------------------ */

/*
 * A fixed pool of entries, a chained hash table over it and a list from the
 * oldest to the newest failure (fail() moves its entry to the newest end,
 * so with a clock that does not go back the list is in last_fail order and
 * the oldest entry is the one to evict or forget). Indexes, not pointers;
 * LIM_NONE ends a chain or list. Keys come from clients, so the bucket is
 * chosen by a keyed hash (HMAC-SHA256 with a random key, cut to 64 bits):
 * nobody can pick names that share a bucket. It costs a few microseconds,
 * next to the tenths of a second of the argon2 check that follows.
 */
#define LIM_NONE UINT32_MAX
/* Stale entries dropped from the old end per fail(), so the table cleans
 * itself without a timer. */
#define LIM_EXPIRE_PER_FAIL 4

struct lim_entry {
	uint64_t hash;
	uint64_t last_fail;      /* seconds */
	uint64_t locked_until;   /* seconds; 0 or <= now: not locked */
	uint32_t failures;       /* saturates */
	uint32_t chain;          /* next in the bucket, or next free */
	uint32_t older, newer;   /* the age list */
	uint8_t keylen;
	char key[AUTH_LIMITER_KEY_MAX];
};

struct auth_limiter {
	struct lim_entry *e;
	uint32_t *bucket;
	uint32_t nbuckets;       /* a power of two */
	uint32_t capacity, used;
	uint32_t free_head;
	uint32_t oldest, newest;
	unsigned free_failures, base_delay_s, max_delay_s;
	uint8_t hkey[32];
	uint64_t evictions, forgotten, lockouts, refused_keys;
};

struct auth_limiter *auth_limiter_new(size_t capacity, unsigned free_failures,
				      unsigned base_delay_s, unsigned max_delay_s)
{
	struct auth_limiter *l;
	uint32_t i;

	if (capacity == 0 || capacity > AUTH_LIMITER_CAPACITY_MAX ||
	    base_delay_s == 0 || base_delay_s > max_delay_s || max_delay_s > 86400)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->capacity = (uint32_t)capacity;
	l->nbuckets = 1;
	while (l->nbuckets < 2 * l->capacity)
		l->nbuckets *= 2;
	l->e = calloc(capacity, sizeof(*l->e));
	l->bucket = malloc(l->nbuckets * sizeof(*l->bucket));
	if (l->e == NULL || l->bucket == NULL || auth_random(l->hkey, sizeof(l->hkey)) < 0) {
		auth_limiter_free(l);
		return NULL;
	}
	for (i = 0; i < l->nbuckets; i++)
		l->bucket[i] = LIM_NONE;
	for (i = 0; i < l->capacity; i++)
		l->e[i].chain = i + 1 < l->capacity ? i + 1 : LIM_NONE;
	l->free_head = 0;
	l->oldest = l->newest = LIM_NONE;
	l->free_failures = free_failures;
	l->base_delay_s = base_delay_s;
	l->max_delay_s = max_delay_s;
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (l == NULL)
		return;
	OPENSSL_cleanse(l->hkey, sizeof(l->hkey));
	free(l->e);
	free(l->bucket);
	free(l);
}

/* The length of a usable key, or 0 for none, empty or too long. */
static size_t lim_keylen(const char *key)
{
	size_t n;

	if (key == NULL)
		return 0;
	n = strnlen(key, AUTH_LIMITER_KEY_MAX + 1);
	return n > AUTH_LIMITER_KEY_MAX ? 0 : n;
}

static uint64_t lim_hash(const struct auth_limiter *l, const char *key, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t h = 0;

	/* Should HMAC fail, every key hashes to 0: slower, still correct. */
	if (HMAC(EVP_sha256(), l->hkey, sizeof(l->hkey), (const unsigned char *)key,
		 n, md, &mdlen) != NULL && mdlen >= sizeof(h))
		memcpy(&h, md, sizeof(h));
	return h;
}

static uint32_t lim_find(const struct auth_limiter *l, const char *key, size_t n,
			 uint64_t h)
{
	uint32_t i;

	for (i = l->bucket[h & (l->nbuckets - 1)]; i != LIM_NONE; i = l->e[i].chain)
		if (l->e[i].hash == h && l->e[i].keylen == n &&
		    memcmp(l->e[i].key, key, n) == 0)
			return i;
	return LIM_NONE;
}

static bool lim_stale(const struct auth_limiter *l, const struct lim_entry *e,
		      uint64_t now)
{
	return now > e->last_fail && now - e->last_fail > 2 * (uint64_t)l->max_delay_s;
}

static void lim_age_unlink(struct auth_limiter *l, uint32_t i)
{
	struct lim_entry *e = &l->e[i];

	if (e->older != LIM_NONE)
		l->e[e->older].newer = e->newer;
	else
		l->oldest = e->newer;
	if (e->newer != LIM_NONE)
		l->e[e->newer].older = e->older;
	else
		l->newest = e->older;
	e->older = e->newer = LIM_NONE;
}

static void lim_age_push_newest(struct auth_limiter *l, uint32_t i)
{
	struct lim_entry *e = &l->e[i];

	e->newer = LIM_NONE;
	e->older = l->newest;
	if (l->newest != LIM_NONE)
		l->e[l->newest].newer = i;
	else
		l->oldest = i;
	l->newest = i;
}

static void lim_remove(struct auth_limiter *l, uint32_t i)
{
	uint32_t *pp = &l->bucket[l->e[i].hash & (l->nbuckets - 1)];

	while (*pp != i)
		pp = &l->e[*pp].chain;
	*pp = l->e[i].chain;
	lim_age_unlink(l, i);
	memset(&l->e[i], 0, sizeof(l->e[i]));
	l->e[i].chain = l->free_head;
	l->free_head = i;
	l->used--;
}

/* A free entry, dropping the oldest when the pool is full. */
static uint32_t lim_alloc(struct auth_limiter *l, uint64_t now)
{
	uint32_t i;

	if (l->free_head == LIM_NONE) {
		i = l->oldest;
		if (lim_stale(l, &l->e[i], now))
			l->forgotten++;
		else
			l->evictions++;
		lim_remove(l, i);
	}
	i = l->free_head;
	l->free_head = l->e[i].chain;
	l->used++;
	return i;
}

unsigned auth_limiter_check(struct auth_limiter *l, const char *key, uint64_t now)
{
	size_t n = lim_keylen(key);
	struct lim_entry *e;
	uint32_t i;
	uint64_t wait;

	if (n == 0) {
		l->refused_keys++;
		return l->max_delay_s;
	}
	i = lim_find(l, key, n, lim_hash(l, key, n));
	if (i == LIM_NONE)
		return 0;
	e = &l->e[i];
	if (lim_stale(l, e, now)) {
		lim_remove(l, i);
		l->forgotten++;
		return 0;
	}
	if (e->locked_until <= now)
		return 0;
	wait = e->locked_until - now;
	return wait > l->max_delay_s ? l->max_delay_s : (unsigned)wait;
}

unsigned auth_limiter_fail(struct auth_limiter *l, const char *key, uint64_t now)
{
	size_t n = lim_keylen(key);
	struct lim_entry *e;
	uint64_t h, delay;
	uint32_t i, k;
	int j;

	if (n == 0) {
		l->refused_keys++;
		return l->max_delay_s;
	}
	for (j = 0; j < LIM_EXPIRE_PER_FAIL && l->oldest != LIM_NONE &&
		    lim_stale(l, &l->e[l->oldest], now); j++) {
		lim_remove(l, l->oldest);
		l->forgotten++;
	}
	h = lim_hash(l, key, n);
	i = lim_find(l, key, n, h);
	if (i == LIM_NONE) {
		uint32_t *b;

		i = lim_alloc(l, now);
		e = &l->e[i];
		e->hash = h;
		e->keylen = (uint8_t)n;
		memcpy(e->key, key, n);
		b = &l->bucket[h & (l->nbuckets - 1)];
		e->chain = *b;
		*b = i;
	} else {
		e = &l->e[i];
		lim_age_unlink(l, i);
		if (lim_stale(l, e, now)) {
			e->failures = 0;
			e->locked_until = 0;
		}
	}
	lim_age_push_newest(l, i);
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last_fail = now;
	if (e->failures <= l->free_failures) {
		e->locked_until = 0;
		return 0;
	}
	k = e->failures - l->free_failures - 1;   /* 0 for the first delay */
	delay = k >= 32 ? l->max_delay_s : (uint64_t)l->base_delay_s << k;
	if (delay > l->max_delay_s)
		delay = l->max_delay_s;
	e->locked_until = now + delay;
	l->lockouts++;
	return (unsigned)delay;
}

void auth_limiter_success(struct auth_limiter *l, const char *key)
{
	size_t n = lim_keylen(key);
	uint32_t i;

	if (n == 0) {
		l->refused_keys++;
		return;
	}
	i = lim_find(l, key, n, lim_hash(l, key, n));
	if (i != LIM_NONE)
		lim_remove(l, i);
}

void auth_limiter_stats(const struct auth_limiter *l, struct auth_limiter_stats *st)
{
	st->capacity = l->capacity;
	st->entries = l->used;
	st->evictions = l->evictions;
	st->forgotten = l->forgotten;
	st->lockouts = l->lockouts;
	st->refused_keys = l->refused_keys;
}

/* ---- sessions and cookies ---------------------------------------------- */

bool auth_session_expired(uint64_t created, uint64_t last_seen, uint64_t now,
			  uint64_t idle_s, uint64_t absolute_s)
{
	if (idle_s == 0 || absolute_s == 0)
		return true;
	if (now < created || now < last_seen || last_seen < created)
		return true;
	return now - last_seen >= idle_s || now - created >= absolute_s;
}

static bool cookie_name_ok(const char *s)
{
	size_t n, i;

	if (s == NULL)
		return false;
	n = strnlen(s, AUTH_COOKIE_NAME_MAX + 1);
	if (n == 0 || n > AUTH_COOKIE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!is_b64url(s[i]))   /* the same set: A-Z a-z 0-9 - _ */
			return false;
	return true;
}

int auth_cookie_header(const char *name, const char *value, uint32_t max_age_s,
		       char *out, size_t outlen)
{
	size_t n, i;
	int w;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!cookie_name_ok(name) || value == NULL)
		return -1;
	n = strnlen(value, AUTH_COOKIE_VALUE_MAX + 1);
	if (n > AUTH_COOKIE_VALUE_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_b64url(value[i]))
			return -1;
	w = snprintf(out, outlen,
		     "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%" PRIu32,
		     name, value, max_age_s);
	if (w < 0 || (size_t)w >= outlen) {
		OPENSSL_cleanse(out, outlen);   /* may hold part of a session id */
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int auth_cookie_get(const char *cookie_header, const char *name,
		    char *out, size_t outlen)
{
	const char *p, *end, *semi, *eq, *v, *vend, *nend;
	size_t hlen, nlen, i;
	bool found = false;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (cookie_header == NULL || !cookie_name_ok(name))
		return -1;
	hlen = strnlen(cookie_header, AUTH_COOKIE_HEADER_MAX + 1);
	if (hlen > AUTH_COOKIE_HEADER_MAX)
		return -1;
	for (i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)cookie_header[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	nlen = strlen(name);
	p = cookie_header;
	end = cookie_header + hlen;
	while (p < end) {
		while (p < end && is_ows(*p))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			nend = eq;
			while (nend > p && is_ows(nend[-1]))
				nend--;
			if ((size_t)(nend - p) == nlen && memcmp(p, name, nlen) == 0) {
				v = eq + 1;
				vend = semi;
				while (v < vend && is_ows(*v))
					v++;
				while (vend > v && is_ows(vend[-1]))
					vend--;
				if (vend - v >= 2 && *v == '"' && vend[-1] == '"') {
					v++;
					vend--;
				}
				if (found || vend == v || (size_t)(vend - v) >= outlen)
					goto fail;
				memcpy(out, v, (size_t)(vend - v));
				out[vend - v] = '\0';
				found = true;
			}
		}
		if (semi == end)
			break;
		p = semi + 1;
	}
	return found ? 0 : -1;
fail:
	OPENSSL_cleanse(out, outlen);
	out[0] = '\0';
	return -1;
}

/* ---- roles ------------------------------------------------------------- */

static const char *const role_names[] = {
	[AUTH_VIEWER] = "viewer",
	[AUTH_ANALYST] = "analyst",
	[AUTH_ADMIN] = "admin",
};

static const struct {
	const char *name;
	enum auth_role least;   /* the lowest role allowed */
} actions[] = {
	[AUTH_ACT_VIEW] = { "view", AUTH_VIEWER },
	[AUTH_ACT_ALERT_UPDATE] = { "alert_update", AUTH_ANALYST },
	[AUTH_ACT_RESPOND] = { "respond", AUTH_ANALYST },
	[AUTH_ACT_MANAGE_USERS] = { "manage_users", AUTH_ADMIN },
	[AUTH_ACT_MANAGE_SENSORS] = { "manage_sensors", AUTH_ADMIN },
};

#define NROLES (sizeof(role_names) / sizeof(role_names[0]))
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

int auth_role_parse(const char *s, enum auth_role *role)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NROLES; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*role = (enum auth_role)i;
			return 0;
		}
	return -1;
}

const char *auth_role_name(enum auth_role role)
{
	return (unsigned)role < NROLES ? role_names[role] : "invalid";
}

const char *auth_action_name(enum auth_action action)
{
	return (unsigned)action < NACTIONS ? actions[action].name : "invalid";
}

bool auth_role_allows(enum auth_role role, enum auth_action action)
{
	if ((unsigned)role >= NROLES || (unsigned)action >= NACTIONS)
		return false;
	return role >= actions[action].least;
}
