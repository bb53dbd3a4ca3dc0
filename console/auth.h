/*
 * auth.h - the security primitives of the officers' web console
 * (kastro-console): password hashes, random tokens, CSRF tokens, TOTP second
 * factors, a login rate limiter, the session and cookie policy, and roles.
 *
 * Nothing here touches the database, the network or the log: the console
 * stores what these functions produce (only hashes of passwords and tokens)
 * and logs what they refuse. Functions that can fail return -1 (or NULL);
 * those whose failure has more than one cause write the cause to err.
 * Secret intermediate values are wiped before returning.
 *
 * Libraries: argon2id from libargon2 (its verify compares in constant time),
 * SHA-256/HMAC/base64 from OpenSSL, randomness from getrandom(2). Base32
 * (RFC 4648) and TOTP (RFC 6238) are written by hand on OpenSSL's HMAC:
 * OpenSSL has neither, and Debian's liboath, which has both, would be one
 * more library to build and ship for about 100 lines. Cookies are written
 * and read by hand because libevent leaves them to the application.
 */
#ifndef KASTRO_AUTH_H
#define KASTRO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fill buf with n bytes from the kernel's CSPRNG (e.g. the CSRF key at
 * start-up). Returns 0, or -1 if getrandom(2) failed. */
int auth_random(void *buf, size_t n);

/* ---- passwords -------------------------------------------------------- */

/* The default argon2id cost: 64 MiB, 3 passes, 1 lane (0.2 s a hash on a
 * 2-core x86-64 build machine). A 16-byte random salt and a 32-byte hash. */
#define AUTH_ARGON2_M_KIB 65536u
#define AUTH_ARGON2_T 3u
#define AUTH_ARGON2_P 1u
#define AUTH_ARGON2_SALT_LEN 16u
#define AUTH_ARGON2_HASH_LEN 32u
/* The highest cost auth_password_verify() accepts from a stored hash, so a
 * corrupt row cannot make the console allocate gigabytes or spin for minutes. */
#define AUTH_ARGON2_M_MAX_KIB (1024u * 1024u)   /* 1 GiB */
#define AUTH_ARGON2_T_MAX 16u
#define AUTH_ARGON2_P_MAX 16u

/* Passwords are 1 to AUTH_PW_MAX bytes. */
#define AUTH_PW_MAX 1024u
/* Enough for any encoded hash auth_password_hash() writes; longer stored
 * strings are malformed. */
#define AUTH_PW_HASH_SIZE 256u
/* auth_password_generate(): length and buffer size. */
#define AUTH_PW_GEN_LEN 20u
#define AUTH_PW_GEN_SIZE (AUTH_PW_GEN_LEN + 1u)

struct auth_argon2 {
	uint32_t m_kib;   /* memory in KiB, at least 8 * p */
	uint32_t t;       /* passes, at least 1 */
	uint32_t p;       /* lanes, at least 1 */
};

/*
 * Hash pw with argon2id at the default cost into out as the encoded string
 * "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>" (NUL-terminated; outlen
 * AUTH_PW_HASH_SIZE is enough). Returns 0, or -1 with err set: an empty or
 * too long password, out too small, no randomness, or a libargon2 error.
 */
int auth_password_hash(const char *pw, char *out, size_t outlen,
		       char *err, size_t errlen);

/* The same at another cost (tests use m_kib 256, t 1, p 1). A cost outside
 * what auth_password_verify() accepts is refused. */
int auth_password_hash_cost(const char *pw, const struct auth_argon2 *cost,
			    char *out, size_t outlen, char *err, size_t errlen);

/*
 * Check pw against a stored encoded hash. Returns 1 if it matches, 0 if it
 * does not (also for an empty or too long pw), -1 if encoded is not an
 * argon2id v=19 string within the cost bounds above, or the check could not
 * run (out of memory). Takes as long as the stored cost says: for a user
 * that does not exist, verify against a hash made once at start-up, so the
 * answer takes as long and does not tell which names exist.
 */
int auth_password_verify(const char *pw, const char *encoded);

/* 1 if encoded was made at a cost other than the default (rehash it at the
 * next successful login), 0 if not, -1 if it is malformed. */
int auth_password_needs_rehash(const char *encoded);

/*
 * Write a random password of AUTH_PW_GEN_LEN characters from the 57 letters
 * and digits that cannot be mistaken for each other (no 0 O 1 l I), about
 * 116 bits, into out (outlen >= AUTH_PW_GEN_SIZE). For the first admin
 * account, printed once by `init`. Returns 0, or -1 (out too small, no
 * randomness).
 */
int auth_password_generate(char *out, size_t outlen);

/* ---- random tokens ---------------------------------------------------- */

/* A token is 32 random bytes in base64url without padding: 43 characters. */
#define AUTH_TOKEN_LEN 43u
#define AUTH_TOKEN_SIZE (AUTH_TOKEN_LEN + 1u)
/* SHA-256 in lower-case hex, and its buffer size. */
#define AUTH_TOKEN_HASH_LEN 64u
#define AUTH_TOKEN_HASH_SIZE (AUTH_TOKEN_HASH_LEN + 1u)
/* auth_token_hash() hashes strings of 1 to this many bytes. */
#define AUTH_TOKEN_MAX_IN 256u

/*
 * A new token (session id, enrolment token, API token) into out (outlen >=
 * AUTH_TOKEN_SIZE). Give it to its holder once; store only its hash.
 * Returns 0, or -1 (out too small, no randomness).
 */
int auth_token_new(char *out, size_t outlen);

/* true if s is exactly AUTH_TOKEN_LEN base64url characters: check what a
 * client presents before hashing and looking it up. */
bool auth_token_wellformed(const char *s);

/*
 * SHA-256 of token (1 to AUTH_TOKEN_MAX_IN bytes) as 64 lower-case hex
 * digits into hex_out (outlen >= AUTH_TOKEN_HASH_SIZE): what the database
 * stores and is searched by. Returns 0 or -1.
 */
int auth_token_hash(const char *token, char *hex_out, size_t outlen);

/* true if a and b are the same string. The time taken depends on their
 * lengths, never on their contents: compare secrets of a fixed length. */
bool auth_streq_ct(const char *a, const char *b);

/* ---- CSRF --------------------------------------------------------------- */

/* A CSRF token has the length of a token. */
#define AUTH_CSRF_LEN AUTH_TOKEN_LEN
#define AUTH_CSRF_SIZE AUTH_TOKEN_SIZE
/* Session ids given to the CSRF functions are 1 to this many bytes. */
#define AUTH_SESSION_ID_MAX 256u

/*
 * The CSRF token of a session: base64url(HMAC-SHA256(key, "csrf:" +
 * session_id)) into out (outlen >= AUTH_CSRF_SIZE). key is the console's
 * secret (32 random bytes made at start-up with auth_random()); the token
 * goes into every form and the X-CSRF-Token header of every state-changing
 * request. Returns 0 or -1.
 */
int auth_csrf_token(const uint8_t key[32], const char *session_id,
		    char *out, size_t outlen);

/* 0 if given is the CSRF token of session_id (compared in constant time),
 * -1 if not or if anything is malformed. */
int auth_csrf_check(const uint8_t key[32], const char *session_id,
		    const char *given);

/* ---- TOTP (RFC 6238: HMAC-SHA-1, 30 s step, 6 digits) --------------------- */

#define AUTH_TOTP_STEP_S 30u
#define AUTH_TOTP_DIGITS 6u
/* Steps accepted on each side of now (clock drift, slow typing). */
#define AUTH_TOTP_WINDOW 1
#define AUTH_TOTP_WINDOW_MAX 10
/* New secrets: 20 bytes (160 bits, RFC 4226's recommendation), which is 32
 * base32 characters. Secrets of 16 to 64 bytes are accepted. */
#define AUTH_TOTP_SECRET_LEN 20u
#define AUTH_TOTP_SECRET_MIN 16u
#define AUTH_TOTP_SECRET_MAX 64u
#define AUTH_TOTP_SECRET_B32_SIZE 33u

/*
 * Base32 (RFC 4648 alphabet A-Z 2-7). Encoding writes upper case without
 * padding into out and returns 0, or -1 if out (which needs
 * ceil(8n/5) + 1 bytes) is too small.
 */
int auth_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen);

/*
 * Decoding ignores case and spaces and accepts the '=' padding only at the
 * end and only in the right amount. It refuses text over
 * AUTH_BASE32_MAX_TEXT bytes, other characters, impossible lengths and
 * non-zero unused bits (only one text decodes to given bytes). Writes at
 * most outcap bytes to out and their number to *outlen; returns 0 or -1.
 */
#define AUTH_BASE32_MAX_TEXT 1024u
int auth_base32_decode(const char *in, uint8_t *out, size_t outcap,
		       size_t *outlen);

/* A new secret of AUTH_TOTP_SECRET_LEN random bytes, in base32 into
 * base32_out (outlen >= AUTH_TOTP_SECRET_B32_SIZE). Returns 0 or -1. */
int auth_totp_secret_new(char *base32_out, size_t outlen);

/* The code for unix_time as 6 digits and a NUL into out. secret is 1 to
 * AUTH_TOTP_SECRET_MAX bytes. Returns 0 or -1. */
int auth_totp_code(const uint8_t *secret, size_t len, uint64_t unix_time,
		   char out[7]);

/*
 * Check code (exactly 6 ASCII digits) against base32_secret at unix time
 * now, accepting the steps now-window .. now+window (window 0 to
 * AUTH_TOTP_WINDOW_MAX; use AUTH_TOTP_WINDOW). A code is accepted only for
 * a step after *last_used_step, which is then set to that step: the caller
 * stores it with the account (0 for an account that never used one), so a
 * code cannot be used twice, nor an older one after a newer.
 * Returns 1 accepted, 0 wrong or replayed, -1 malformed code, secret or
 * window.
 */
int auth_totp_verify(const char *base32_secret, const char *code, uint64_t now,
		     int window, uint64_t *last_used_step);

/*
 * The enrolment URI for an authenticator app (shown as a QR code):
 * otpauth://totp/ISSUER:LABEL?secret=S&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with label and issuer percent-encoded (UTF-8 passes as %XX bytes). label
 * and issuer are 1 to 128 bytes without ':' or control characters; the
 * secret is written in canonical base32. Returns 0, or -1 for bad input or
 * out too small.
 */
int auth_totp_uri(const char *label, const char *issuer,
		  const char *base32_secret, char *out, size_t outlen);

/* ---- login rate limiter ------------------------------------------------ */

/* Suggested settings: 4096 keys, 5 free failures, then 1 s doubling up to
 * 15 minutes; a key's failures are forgotten 30 minutes after its last. */
#define AUTH_LIMITER_CAPACITY 4096u
#define AUTH_LIMITER_FREE_FAILURES 5u
#define AUTH_LIMITER_BASE_DELAY_S 1u
#define AUTH_LIMITER_MAX_DELAY_S 900u
#define AUTH_LIMITER_CAPACITY_MAX (1u << 20)
/* Keys are 1 to this many bytes. */
#define AUTH_LIMITER_KEY_MAX 128u

struct auth_limiter;

struct auth_limiter_stats {
	size_t capacity;
	size_t entries;       /* keys with failures now held */
	uint64_t evictions;   /* keys dropped to make room while still counting */
	uint64_t forgotten;   /* keys dropped because their failures were old */
	uint64_t lockouts;    /* failures that set a delay */
	uint64_t refused_keys; /* calls with an empty or too long key */
};

/*
 * A table of at most capacity keys (1 to AUTH_LIMITER_CAPACITY_MAX) with
 * their failures. The caller checks two keys per login, "user:NAME" and
 * "addr:IP", and waits the longer. After free_failures failures of a key,
 * each further failure locks it for base_delay_s, doubling up to
 * max_delay_s (1 <= base_delay_s <= max_delay_s <= 86400). A key whose last
 * failure is more than 2 * max_delay_s old starts again from zero. When the
 * table is full, the key whose last failure is oldest is dropped (counted
 * in evictions: a flood of addresses can push a user's count out, and the
 * counter shows it). Times are seconds of any clock that does not go back.
 * Returns NULL for bad settings or no memory. Free with auth_limiter_free().
 * Not locked: use it from one thread (the console's event loop).
 */
struct auth_limiter *auth_limiter_new(size_t capacity, unsigned free_failures,
				      unsigned base_delay_s, unsigned max_delay_s);
void auth_limiter_free(struct auth_limiter *l);

/* 0 if key may try now, else the seconds to wait (at most max_delay_s). An
 * empty or too long key is always refused (max_delay_s). */
unsigned auth_limiter_check(struct auth_limiter *l, const char *key,
			    uint64_t now);

/* Count a failure of key at now; returns the seconds key must now wait (0
 * while failures are free). */
unsigned auth_limiter_fail(struct auth_limiter *l, const char *key,
			   uint64_t now);

/* A success: forget key's failures. */
void auth_limiter_success(struct auth_limiter *l, const char *key);

void auth_limiter_stats(const struct auth_limiter *l,
			struct auth_limiter_stats *st);

/* ---- sessions and cookies ---------------------------------------------- */

/* Suggested limits: 30 minutes idle, 8 hours (a working day) in all. */
#define AUTH_SESSION_IDLE_S 1800u
#define AUTH_SESSION_ABSOLUTE_S 28800u

/* Cookie names are 1 to 64 of A-Z a-z 0-9 - _ (use "__Host-kastro": the
 * __Host- prefix makes browsers insist on Secure, Path=/ and no Domain). */
#define AUTH_COOKIE_NAME_MAX 64u
#define AUTH_COOKIE_VALUE_MAX 256u
/* auth_cookie_get() refuses a Cookie header longer than this. */
#define AUTH_COOKIE_HEADER_MAX 8192u

/*
 * true if a session created at `created` and last used at last_seen is
 * over at now: idle for idle_s seconds or more, or absolute_s seconds old
 * or more. Fails closed: true too if now is before created or last_seen
 * (the clock went back) or a limit is 0.
 */
bool auth_session_expired(uint64_t created, uint64_t last_seen, uint64_t now,
			  uint64_t idle_s, uint64_t absolute_s);

/*
 * The value of a Set-Cookie header:
 * "NAME=VALUE; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=N" into
 * out. value is 0 to AUTH_COOKIE_VALUE_MAX base64url characters (empty with
 * max_age_s 0 deletes the cookie). Returns 0, or -1 for a bad name or value
 * or out too small.
 */
int auth_cookie_header(const char *name, const char *value, uint32_t max_age_s,
		       char *out, size_t outlen);

/*
 * Find cookie name in the value of a Cookie request header ("a=1; b=2",
 * spaces and tabs around pairs tolerated, a value in double quotes
 * unquoted) and copy its value to out. Returns 0 if found, -1 if absent,
 * empty, present twice (cookie tossing), if it does not fit in out, or the
 * header is over AUTH_COOKIE_HEADER_MAX bytes or holds control characters.
 */
int auth_cookie_get(const char *cookie_header, const char *name,
		    char *out, size_t outlen);

/* ---- roles ------------------------------------------------------------- */

/* Ordered: each role may do everything the one before it may. */
enum auth_role { AUTH_VIEWER, AUTH_ANALYST, AUTH_ADMIN };

enum auth_action {
	AUTH_ACT_VIEW,             /* dashboards, alerts, flows: viewer+ */
	AUTH_ACT_ALERT_UPDATE,     /* acknowledge, resolve, assign, note: analyst+ */
	AUTH_ACT_RESPOND,          /* quarantine a host, block an address: analyst+ */
	AUTH_ACT_MANAGE_USERS,     /* accounts, roles, second factors: admin */
	AUTH_ACT_MANAGE_SENSORS,   /* enrolment and API tokens, revocation: admin */
};

/* "viewer", "analyst", "admin" (exactly, lower case) to *role: 0 or -1. */
int auth_role_parse(const char *s, enum auth_role *role);
/* The name of role, or "invalid". */
const char *auth_role_name(enum auth_role role);
/* The name of action ("view", "alert_update", ...), or "invalid". */
const char *auth_action_name(enum auth_action action);
/* true if role may do action; false for any value outside the enums. */
bool auth_role_allows(enum auth_role role, enum auth_action action);

#endif
