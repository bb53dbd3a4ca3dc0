/*
 * apitokctl.c - see apitokctl.h: officers' API tokens through the control
 * socket (root only). Changes are audited as user root from "local".
 */
#include "apitokctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "console.h"
#include "num.h"

/* As the REST API: 90 days unless asked, 1 hour to a year. */
#define TTL_DEFAULT (90u * 86400u)
#define TTL_MIN 3600u
#define TTL_MAX (365u * 86400u)

struct rows {
	char *p;
	size_t len, cap;
	unsigned cut;
};

static int row(void *arg, const struct store_api_token *t)
{
	struct rows *a = arg;
	int k = snprintf(a->p + a->len, a->cap - a->len,
			 "\n%s %s created=%lld expires=%lld last_used=%lld", t->user, t->name,
			 (long long)t->created_at, (long long)t->expires_at, (long long)t->last_used);

	if (k < 0 || (size_t)k >= a->cap - a->len - 64) {
		a->p[a->len] = '\0';
		a->cut++;
		return 0;
	}
	a->len += (size_t)k;
	return 0;
}

static void audit(struct console *c, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void audit(struct console *c, const char *action, const char *fmt, ...)
{
	char detail[256], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (store_audit(c->store, (int64_t)console_now(), "root", "local", action, detail, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
}

/* The user named name (any case): 0, or -1 with the answer written. */
static int user_of(struct console *c, const char *name, struct store_user *u, char *ans,
		   size_t anslen)
{
	char err[256];

	if (store_user_get_by_name(c->store, name, u, err, sizeof(err)) != 0) {
		snprintf(ans, anslen, "error: %s", err);
		return -1;
	}
	return 0;
}

static void list(struct console *c, const char *name, char *ans, size_t anslen)
{
	struct rows a = { ans, 0, anslen, 0 };
	struct store_user u;
	char err[256];

	memset(&u, 0, sizeof(u));
	if (name != NULL && user_of(c, name, &u, ans, anslen) < 0)
		return;
	explicit_bzero(u.pw_hash, sizeof(u.pw_hash));
	explicit_bzero(u.totp_secret, sizeof(u.totp_secret));
	a.len = (size_t)snprintf(ans, anslen, "ok");
	if (store_api_token_list(c->store, u.id, row, &a, err, sizeof(err)) < 0)
		snprintf(ans, anslen, "error: %s", err);
	else if (a.cut > 0)
		snprintf(ans + a.len, anslen - a.len, "\n(%u more not shown)", a.cut);
}

static void create(struct console *c, const char *name, const char *tname, uint64_t ttl,
		   char *ans, size_t anslen)
{
	struct store_user u;
	char tok[AUTH_TOKEN_SIZE], hash[AUTH_TOKEN_HASH_SIZE], err[256];
	int64_t now = (int64_t)console_now();

	if (user_of(c, name, &u, ans, anslen) < 0)
		return;
	explicit_bzero(u.pw_hash, sizeof(u.pw_hash));
	explicit_bzero(u.totp_secret, sizeof(u.totp_secret));
	if (u.disabled) {
		snprintf(ans, anslen, "error: user %s is disabled", u.name);
		return;
	}
	if (auth_token_new(tok, sizeof(tok)) < 0 || auth_token_hash(tok, hash, sizeof(hash)) < 0) {
		snprintf(ans, anslen, "error: no randomness for a token");
		return;
	}
	if (store_api_token_add_until(c->store, hash, u.id, tname, now, now + (int64_t)ttl, err,
				      sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: %s", err);
		explicit_bzero(tok, sizeof(tok));
		return;
	}
	audit(c, "apitoken.create", "%s of %s, valid %llus", tname, u.name, (unsigned long long)ttl);
	snprintf(ans, anslen, "ok\ntoken=%s\nuser=%s\nname=%s\nexpires_at=%lld", tok, u.name, tname,
		 (long long)(now + (int64_t)ttl));
	explicit_bzero(tok, sizeof(tok));
}

static void revoke(struct console *c, const char *name, const char *tname, char *ans,
		   size_t anslen)
{
	struct store_user u;
	char err[256];

	if (user_of(c, name, &u, ans, anslen) < 0)
		return;
	explicit_bzero(u.pw_hash, sizeof(u.pw_hash));
	explicit_bzero(u.totp_secret, sizeof(u.totp_secret));
	if (store_api_token_delete(c->store, u.id, tname, err, sizeof(err)) < 0) {
		snprintf(ans, anslen, "error: no API token %s of %s", tname, u.name);
		return;
	}
	audit(c, "apitoken.revoke", "%s of %s", tname, u.name);
	snprintf(ans, anslen, "ok\nrevoked=%s\nuser=%s", tname, u.name);
}

int apitokctl(struct console *c, char **w, int n, char *ans, size_t anslen)
{
	uint64_t ttl = TTL_DEFAULT;

	if (n < 2 || strcmp(w[0], "api-token") != 0)
		return 0;
	if (strcmp(w[1], "list") == 0 && n <= 3) {
		list(c, n == 3 ? w[2] : NULL, ans, anslen);
	} else if (strcmp(w[1], "revoke") == 0 && n == 4) {
		revoke(c, w[2], w[3], ans, anslen);
	} else if (strcmp(w[1], "create") == 0 && (n == 4 || n == 6)) {
		if (n == 6 && (strcmp(w[4], "ttl") != 0 ||
			       num_parse_u64(w[5], TTL_MIN, TTL_MAX, &ttl) < 0)) {
			snprintf(ans, anslen, "error: api-token create USER NAME [ttl SECONDS (%u..%u)]",
				 TTL_MIN, TTL_MAX);
			return 1;
		}
		create(c, w[2], w[3], ttl, ans, anslen);
	} else {
		snprintf(ans, anslen, "error: expected api-token list [USER], api-token create USER "
			 "NAME [ttl SECONDS], or api-token revoke USER NAME");
	}
	return 1;
}
