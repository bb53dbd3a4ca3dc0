/*
 * rest.c - see rest.h and docs/rest-api.md.
 *
 * Who is calling: an API token (Authorization: Bearer) or a session cookie
 * (__Host-kastro). Only SHA-256 hashes of both are stored. With a cookie,
 * every state-changing request must carry X-CSRF-Token, an HMAC of the
 * session token under the console's CSRF key (DATA/csrf.key, 32 random
 * bytes made on the first run), so a page elsewhere cannot act in an
 * officer's name; SameSite=Strict is the second fence.
 *
 * Every state change is written to the audit log with the officer's name
 * and address. Logins are rate limited per account and per address
 * (auth_limiter); an unknown name costs the same argon2id verification as
 * a known one, so timing does not tell which names exist.
 */
#include "rest.h"
#include "rest_hooks.h"
#include "rest_service.h"
#include "rest_services.h"
#include "rest_quarantine.h"
#include "rest_sla.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "auth.h"
#include "cmetrics.h"
#include "console.h"
#include "httphead.h"
#include "num.h"
#include "peercap.h"
#include "refusal.h"
#include "sensorapi.h"

#define COOKIE "__Host-kastro"
#define CSRF_KEY_FILE "csrf.key"
#define PW_MIN 12
#define ALERT_PAGE_MAX 500
#define RELATED_MAX 20
/* API tokens: valid 90 days unless asked otherwise, at most a year. */
#define APITOK_TTL_DEFAULT (90 * 86400)
#define APITOK_TTL_MIN 3600
#define APITOK_TTL_MAX (365 * 86400)

struct caller {
	struct store_user u;
	enum auth_role role;
	int via_token;
	char session[AUTH_TOKEN_SIZE];  /* the cookie's token, "" with an API token */
	char hash[AUTH_TOKEN_HASH_SIZE];        /* the session's or the API token's hash */
	char addr[64];
	struct console *c;              /* for the audit of refusals (allowed()) */
};

/* ---- set-up ---------------------------------------------------------------------- */

static int load_csrf_key(struct console *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", c->conf.data_dir, CSRF_KEY_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "data directory path too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, c->csrf_key, sizeof(c->csrf_key));
		close(fd);
		if (n == (ssize_t)sizeof(c->csrf_key))
			return 0;
		snprintf(err, errlen, "%s: expected %zu bytes", path, sizeof(c->csrf_key));
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (auth_random(c->csrf_key, sizeof(c->csrf_key)) < 0) {
		snprintf(err, errlen, "no randomness for the CSRF key");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, c->csrf_key, sizeof(c->csrf_key)) != (ssize_t)sizeof(c->csrf_key) ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int rest_init(struct console *c, char *err, size_t errlen)
{
	char pw[AUTH_PW_GEN_SIZE];

	if (load_csrf_key(c, err, errlen) < 0)
		return -1;
	c->limiter = auth_limiter_new(AUTH_LIMITER_CAPACITY, AUTH_LIMITER_FREE_FAILURES,
				      AUTH_LIMITER_BASE_DELAY_S, AUTH_LIMITER_MAX_DELAY_S);
	if (c->limiter == NULL) {
		snprintf(err, errlen, "out of memory for the login limiter");
		return -1;
	}
	if (auth_password_generate(pw, sizeof(pw)) < 0 ||
	    auth_password_hash(pw, c->unknown_user_hash, sizeof(c->unknown_user_hash), err, errlen) < 0)
		return -1;
	return 0;
}

void rest_free(struct console *c)
{
	auth_limiter_free(c->limiter);
	c->limiter = NULL;
	explicit_bzero(c->csrf_key, sizeof(c->csrf_key));
}

/* ---- JSON of rows ------------------------------------------------------------------ */

static json_t *user_json(const struct store_user *u)
{
	return json_pack("{s:I,s:s,s:s,s:b,s:b,s:I}", "id", (json_int_t)u->id, "name", u->name, "role",
			 u->role, "totp", u->totp != 0, "disabled", u->disabled != 0,
			 "created_at", (json_int_t)u->created_at);
}

static json_t *alert_json(const struct store_alert *a)
{
	json_t *j;

	/* What the sensor claimed and the console did not take (store.h). */
	j = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:s,s:I,s:s,s:s,s:s}",
			 "id", (json_int_t)a->id, "kind", a->kind, "sensor_id", a->sensor_id, "host",
			 a->host, "signature_id", (json_int_t)a->signature_id, "signature", a->signature,
			 "category", a->category, "severity", a->severity, "action", a->action,
			 "first_seen", (json_int_t)a->first_seen, "last_seen", (json_int_t)a->last_seen,
			 "count", (json_int_t)a->count, "status", a->status, "status_at",
			 (json_int_t)a->status_at, "status_by", a->status_by, "assignee", a->assignee,
			 "app", a->app);
	if (j != NULL &&
	    (json_object_set_new(j, "claimed_host", json_string(a->claimed_host)) < 0 ||
	     json_object_set_new(j, "time_replaced",
				 (a->flags & STORE_FLAG_TS_PAST) ? json_string("before_enrolment")
				 : (a->flags & STORE_FLAG_TS_FUTURE) ? json_string("ahead")
				 : json_null()) < 0)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *event_body(const char *body)
{
	json_t *j = json_loads(body != NULL ? body : "null", JSON_DECODE_ANY, NULL);

	return j != NULL ? j : json_null();
}

/* ---- who is calling ------------------------------------------------------------------ */

static const char *header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static int load_user(struct console *c, int64_t uid, struct caller *who)
{
	char err[256];

	if (store_user_get_by_id(c->store, uid, &who->u, err, sizeof(err)) != 0 || who->u.disabled ||
	    auth_role_parse(who->u.role, &who->role) < 0)
		return -1;
	return 0;
}

/* 0: who is filled; -1: answered (401). */
static int authenticate(struct console *c, struct evhttp_request *req, struct caller *who)
{
	const char *h = header(req, "Authorization"), *ck = header(req, "Cookie");
	char hash[AUTH_TOKEN_HASH_SIZE], err[256];
	struct store_session ss;
	int64_t uid;
	uint64_t now = console_now();

	memset(who, 0, sizeof(*who));
	who->c = c;
	server_peer_addr(req, who->addr, sizeof(who->addr));
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0) {
		if (!auth_token_wellformed(h + 7) || auth_token_hash(h + 7, hash, sizeof(hash)) < 0 ||
		    store_api_token_lookup(c->store, hash, (int64_t)now, &uid, err, sizeof(err)) != 0 ||
		    load_user(c, uid, who) < 0) {
			server_reply_error(req, 401, "unknown, expired or revoked API token");
			return -1;
		}
		who->via_token = 1;
		snprintf(who->hash, sizeof(who->hash), "%s", hash);
		return 0;
	}
	if (ck == NULL || auth_cookie_get(ck, COOKIE, who->session, sizeof(who->session)) < 0 ||
	    !auth_token_wellformed(who->session) || auth_token_hash(who->session, hash, sizeof(hash)) < 0 ||
	    store_session_get(c->store, hash, &ss, err, sizeof(err)) != 0) {
		server_reply_error(req, 401, "not logged in");
		return -1;
	}
	if (auth_session_expired((uint64_t)ss.created_at, (uint64_t)ss.last_seen, now,
				 c->conf.session_idle, c->conf.session_absolute)) {
		store_session_delete(c->store, hash, err, sizeof(err));
		server_reply_error(req, 401, "session expired; log in again");
		return -1;
	}
	if (load_user(c, ss.user_id, who) < 0) {
		store_session_delete(c->store, hash, err, sizeof(err));
		server_reply_error(req, 401, "account disabled");
		return -1;
	}
	if (store_session_touch(c->store, hash, (int64_t)now, err, sizeof(err)) < 0)
		log_err("session: %s", err);
	snprintf(who->hash, sizeof(who->hash), "%s", hash);
	return 0;
}

/* What an API token may not do (make tokens, change a password or a
 * second factor): 1 when the caller signed in, else answers 403. */
static int signed_in(struct evhttp_request *req, const struct caller *who, const char *what)
{
	if (!who->via_token)
		return 1;
	server_reply_error(req, 403, "an API token cannot %s: sign in", what);
	return 0;
}

/*
 * A change of user uid's password, role or second factor: end every
 * session and API token of the user but the one making the change (when it
 * is the user's own). The number ended, or -1 (logged).
 */
static int64_t end_credentials(struct console *c, const struct caller *who, int64_t uid)
{
	bool own = who->u.id == uid && who->hash[0] != '\0';
	int64_t n = 0;
	char err[256];

	if (store_user_end_credentials(c->store, uid, own && !who->via_token ? who->hash : NULL,
				       own && who->via_token ? who->hash : NULL, &n, err,
				       sizeof(err)) < 0) {
		log_err("ending the sessions of user %lld: %s", (long long)uid, err);
		return -1;
	}
	return n;
}

int rest_vouch(const char *head, size_t len, void *arg)
{
	struct console *c = arg;
	char v[AUTH_COOKIE_HEADER_MAX + 1], tok[AUTH_TOKEN_SIZE], hash[AUTH_TOKEN_HASH_SIZE], err[256];
	struct store_session ss;
	int64_t uid;
	uint64_t now = console_now();
	int ok;

	if (httphead_field(head, len, "Authorization", v, sizeof(v)) == 0 &&
	    strncmp(v, "Bearer ", 7) == 0)
		return auth_token_wellformed(v + 7) && auth_token_hash(v + 7, hash, sizeof(hash)) == 0 &&
		       store_api_token_lookup(c->store, hash, (int64_t)now, &uid, err, sizeof(err)) == 0;
	if (httphead_field(head, len, "Cookie", v, sizeof(v)) < 0 ||
	    auth_cookie_get(v, COOKIE, tok, sizeof(tok)) < 0 || !auth_token_wellformed(tok) ||
	    auth_token_hash(tok, hash, sizeof(hash)) < 0) {
		explicit_bzero(tok, sizeof(tok));
		return 0;
	}
	explicit_bzero(tok, sizeof(tok));
	ok = store_session_get(c->store, hash, &ss, err, sizeof(err)) == 0 &&
	     !auth_session_expired((uint64_t)ss.created_at, (uint64_t)ss.last_seen, now,
				   c->conf.session_idle, c->conf.session_absolute);
	return ok;
}

static const char *method_name(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_HEAD: return "HEAD";
	default: return "request";
	}
}

/* A state-changing request with a cookie must prove it comes from our page. */
static int csrf_ok(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	const char *t = header(req, "X-CSRF-Token");

	if (who->via_token)
		return 1;
	if (t != NULL && auth_csrf_check(c->csrf_key, who->session, t) == 0)
		return 1;
	refusal_note(c, "csrf.refused", who->u.name, who->addr, "%s %s: %s X-CSRF-Token",
		     method_name(req), evhttp_request_get_uri(req), t != NULL ? "wrong" : "no");
	server_reply_error(req, 403, "missing or wrong X-CSRF-Token header");
	return 0;
}

static int allowed(struct evhttp_request *req, const struct caller *who, enum auth_action act)
{
	if (auth_role_allows(who->role, act))
		return 1;
	refusal_note(who->c, "role.refused", who->u.name, who->addr, "%s %s: role %s may not %s",
		     method_name(req), evhttp_request_get_uri(req), who->u.role, auth_action_name(act));
	server_reply_error(req, 403, "your role (%s) may not %s", who->u.role, auth_action_name(act));
	return 0;
}

static void audit(struct console *c, const struct caller *who, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void audit(struct console *c, const struct caller *who, const char *action, const char *fmt, ...)
{
	char detail[512], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* What a client sent (a user name) may hold control characters: the
	 * audit log keeps a readable line all the same. */
	for (char *p = detail; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (store_audit(c->store, (int64_t)console_now(), who->u.name, who->addr, action, detail, err,
			sizeof(err)) < 0)
		log_err("audit: %s", err);
}

static json_t *me_json(struct console *c, const struct caller *who)
{
	char csrf[AUTH_CSRF_SIZE] = "";

	if (who->session[0] != '\0')
		auth_csrf_token(c->csrf_key, who->session, csrf, sizeof(csrf));
	return json_pack("{s:o,s:s}", "user", user_json(&who->u), "csrf", csrf);
}

/* ---- login ------------------------------------------------------------------------------ */

/* The login limiter's keys: the account (uid > 0), else the name in lower
 * case; the client's network (peercap.h). */
static void limiter_keys(int64_t uid, const char *name, const char *addr,
			 char kuser[AUTH_LIMITER_KEY_MAX], char kaddr[AUTH_LIMITER_KEY_MAX])
{
	char net[PEERCAP_KEY_SIZE];

	if (uid > 0) {
		snprintf(kuser, AUTH_LIMITER_KEY_MAX, "uid:%lld", (long long)uid);
	} else {
		snprintf(kuser, AUTH_LIMITER_KEY_MAX, "name:%s", name);
		for (size_t i = 5; kuser[i] != '\0'; i++)
			if (kuser[i] >= 'A' && kuser[i] <= 'Z')
				kuser[i] = (char)(kuser[i] - 'A' + 'a');
	}
	peercap_key(addr, net, sizeof(net));
	snprintf(kaddr, AUTH_LIMITER_KEY_MAX, "net:%s", net);
}

static void login(struct console *c, struct evhttp_request *req)
{
	json_t *j = server_json_body(req, "login");
	const char *name, *pw, *code;
	char kuser[AUTH_LIMITER_KEY_MAX], kaddr[AUTH_LIMITER_KEY_MAX], addr[64], err[256];
	char tok[AUTH_TOKEN_SIZE], hash[AUTH_TOKEN_HASH_SIZE], cookie[512], uname[STORE_NAME_MAX + 1];
	char shown[STORE_NAME_MAX + 1];
	struct caller who;
	struct store_user u;
	uint64_t now = console_now(), step;
	unsigned wait;
	int exists, found, ok;
	const char *why;

	if (j == NULL)
		return;
	name = json_string_value(json_object_get(j, "user"));
	pw = json_string_value(json_object_get(j, "password"));
	code = json_string_value(json_object_get(j, "totp"));
	if (name == NULL || pw == NULL || strlen(name) > STORE_NAME_MAX) {
		json_decref(j);
		server_reply_error(req, 400, "expected {\"user\": NAME, \"password\": PASSWORD}");
		return;
	}
	/* name outlives j below (the audit of a failure) */
	snprintf(uname, sizeof(uname), "%s", name);
	name = uname;
	/* and is written to the log as it can be read there */
	snprintf(shown, sizeof(shown), "%s", name);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	server_peer_addr(req, addr, sizeof(addr));
	/*
	 * The limiter counts the account (by its id: names match ignoring
	 * case, so every spelling of one name is one account; a name that
	 * matches none counts by its lower-case spelling) and the client's
	 * network (an IPv4 address, an IPv6 /64). A success clears only the
	 * account's count: one officer logging in does not give an address
	 * new tries at other accounts.
	 */
	exists = store_user_get_by_name(c->store, name, &u, err, sizeof(err)) == 0;
	found = exists && !u.disabled;
	limiter_keys(exists ? u.id : 0, name, addr, kuser, kaddr);
	wait = auth_limiter_check(c->limiter, kuser, now);
	if (auth_limiter_check(c->limiter, kaddr, now) > wait)
		wait = auth_limiter_check(c->limiter, kaddr, now);
	if (wait > 0) {
		json_decref(j);
		/* the account as it is spelt, when the name matched one */
		refusal_note(c, "login.locked", exists ? u.name : NULL,
			     addr, "login as %s refused: wait %u s", shown, wait);
		explicit_bzero(&u, sizeof(u));
		server_reply_json(req, 429, json_pack("{s:s,s:i}", "error",
						      "too many failed logins; wait and try again",
						      "retry_after", (int)wait));
		return;
	}
	ok = auth_password_verify(pw, found ? u.pw_hash : c->unknown_user_hash) == 1 && found;
	why = "";
	if (ok && u.totp_secret[0] != '\0') {
		step = (uint64_t)u.totp_last_step;
		if (code == NULL || code[0] == '\0' ||
		    auth_totp_verify(u.totp_secret, code, now, AUTH_TOTP_WINDOW, &step) != 1) {
			/* Answered as a wrong password is: the answer must not
			 * tell that the password was right. */
			ok = 0;
			why = code == NULL || code[0] == '\0' ? " (second factor missing)"
							       : " (second factor wrong)";
		} else {
			store_user_set_totp_step(c->store, u.id, (int64_t)step, err, sizeof(err));
		}
	}
	json_decref(j);
	if (!ok) {
		auth_limiter_fail(c->limiter, kuser, now);
		auth_limiter_fail(c->limiter, kaddr, now);
		c->login_failures++;
		log_limited(&c->rl_req, LOG_LVL_WARN, "login of '%s' from %s refused%s", shown, addr, why);
		memset(&who, 0, sizeof(who));
		/* the account it matched, as it is spelt; the name typed is in the detail */
		snprintf(who.u.name, sizeof(who.u.name), "%s", exists ? u.name : "");
		snprintf(who.addr, sizeof(who.addr), "%s", addr);
		audit(c, &who, "login.failed", "user %s%s", name, why);
		explicit_bzero(&u, sizeof(u));
		server_reply_error(req, 401, "wrong user name, password or second-factor code");
		return;
	}
	auth_limiter_success(c->limiter, kuser);
	if (auth_token_new(tok, sizeof(tok)) < 0 || auth_token_hash(tok, hash, sizeof(hash)) < 0 ||
	    store_session_add(c->store, hash, u.id, (int64_t)now, addr, err, sizeof(err)) < 0 ||
	    auth_cookie_header(COOKIE, tok, c->conf.session_absolute, cookie, sizeof(cookie)) < 0) {
		server_reply_error(req, 500, "cannot start a session");
		return;
	}
	memset(&who, 0, sizeof(who));
	who.u = u;
	auth_role_parse(u.role, &who.role);
	snprintf(who.session, sizeof(who.session), "%s", tok);
	snprintf(who.addr, sizeof(who.addr), "%s", addr);
	c->logins++;
	audit(c, &who, "login", "session started");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	server_reply_json(req, 200, me_json(c, &who));
	explicit_bzero(tok, sizeof(tok));
}

static void logout(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	char hash[AUTH_TOKEN_HASH_SIZE], cookie[256], err[256];

	if (who->session[0] != '\0' && auth_token_hash(who->session, hash, sizeof(hash)) == 0)
		store_session_delete(c->store, hash, err, sizeof(err));
	if (auth_cookie_header(COOKIE, "", 0, cookie, sizeof(cookie)) == 0)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
	audit(c, who, "logout", "session ended");
	server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- query strings ------------------------------------------------------------------------ */

struct query {
	struct evkeyvalq kv;
	int ok;
};

static void query_parse(struct evhttp_request *req, struct query *q)
{
	const char *s = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	TAILQ_INIT(&q->kv);
	q->ok = s == NULL || evhttp_parse_query_str(s, &q->kv) == 0;
}

static const char *qget(struct query *q, const char *name)
{
	const char *v = evhttp_find_header(&q->kv, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A number parameter in [lo, hi], or dflt when absent. -1 when malformed. */
static int qnum(struct query *q, const char *name, uint64_t lo, uint64_t hi, uint64_t dflt,
		uint64_t *out)
{
	const char *v = qget(q, name);

	*out = dflt;
	return v == NULL ? 0 : num_parse_u64(v, lo, hi, out);
}

/* ---- dashboard ------------------------------------------------------------------------------ */

static int bucket_add(void *arg, int64_t t, int64_t rows, int64_t events)
{
	json_array_append_new(arg, json_pack("{s:I,s:I,s:I}", "t", (json_int_t)t, "alerts",
					     (json_int_t)rows, "events", (json_int_t)events));
	return 0;
}

static int count_add(void *arg, const char *name, int64_t count)
{
	json_array_append_new(arg, json_pack("{s:s,s:I}", "name", name, "count", (json_int_t)count));
	return 0;
}

static void dashboard(struct console *c, struct evhttp_request *req)
{
	struct query q;
	uint64_t hours;
	int64_t sev[5] = { 0 }, on = 0, off = 0, now = (int64_t)console_now(), since, bucket;
	json_t *buckets = json_array(), *sigs = json_array(), *hosts = json_array(), *apps = json_array();
	char err[256];

	query_parse(req, &q);
	if (!q.ok || qnum(&q, "hours", 1, 720, 24, &hours) < 0) {
		evhttp_clear_headers(&q.kv);
		json_decref(buckets);
		json_decref(sigs);
		json_decref(hosts);
		json_decref(apps);
		server_reply_error(req, 400, "hours: expected 1 to 720");
		return;
	}
	evhttp_clear_headers(&q.kv);
	bucket = hours <= 48 ? 3600 : 86400;
	since = (now - (int64_t)hours * 3600) / bucket * bucket;
	if (store_alert_counts_by_severity(c->store, sev, err, sizeof(err)) < 0 ||
	    store_alert_histogram(c->store, since, bucket, bucket_add, buckets, err, sizeof(err)) < 0 ||
	    store_sensor_counts(c->store, now, c->conf.sensor_offline_after, &on, &off, err, sizeof(err)) < 0 ||
	    store_top_blocked(c->store, since, 10, "signature", count_add, sigs, err, sizeof(err)) < 0 ||
	    store_top_blocked(c->store, since, 10, "host", count_add, hosts, err, sizeof(err)) < 0 ||
	    store_top_blocked(c->store, since, 10, "app", count_add, apps, err, sizeof(err)) < 0) {
		log_err("dashboard: %s", err);
		json_decref(apps);
		json_decref(buckets);
		json_decref(sigs);
		json_decref(hosts);
		server_reply_error(req, 500, "cannot read the dashboard figures");
		return;
	}
	server_reply_json(req, 200, json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:o},s:{s:I,s:I},s:o,s:o,s:o}",
		"open_by_severity", "1", (json_int_t)sev[1], "2", (json_int_t)sev[2], "3",
		(json_int_t)sev[3], "4", (json_int_t)sev[4],
		"histogram", "since", (json_int_t)since, "bucket_s", (json_int_t)bucket, "buckets", buckets,
		"sensors", "online", (json_int_t)on, "offline", (json_int_t)off,
		"top_blocked_signatures", sigs, "top_blocked_hosts", hosts, "top_blocked_apps", apps));
}

/* ---- alerts ---------------------------------------------------------------------------------- */

static int alert_add(void *arg, const struct store_alert *a)
{
	json_array_append_new(arg, alert_json(a));
	return 0;
}

static void alerts_list(struct console *c, struct evhttp_request *req)
{
	struct store_alert_filter f;
	struct store_alert_page page;
	struct query q;
	uint64_t sev, since, until, limit, als, aid;
	json_t *rows = json_array(), *next;
	const char *st;
	char err[256];

	memset(&f, 0, sizeof(f));
	memset(&page, 0, sizeof(page));
	query_parse(req, &q);
	st = qget(&q, "status");
	if (!q.ok || qnum(&q, "severity_max", 1, 4, 0, &sev) < 0 ||
	    qnum(&q, "since", 0, INT64_MAX, 0, &since) < 0 || qnum(&q, "until", 0, INT64_MAX, 0, &until) < 0 ||
	    qnum(&q, "limit", 1, ALERT_PAGE_MAX, 50, &limit) < 0 ||
	    qnum(&q, "after_last_seen", 0, INT64_MAX, 0, &als) < 0 ||
	    qnum(&q, "after_id", 0, INT64_MAX, 0, &aid) < 0 ||
	    (st != NULL && strcmp(st, "new") != 0 && strcmp(st, "acknowledged") != 0 &&
	     strcmp(st, "resolved") != 0 && strcmp(st, "open") != 0)) {
		evhttp_clear_headers(&q.kv);
		json_decref(rows);
		server_reply_error(req, 400, "bad filter: severity_max 1-4, status new|acknowledged|"
				   "resolved|open, since/until/after_* Unix seconds or ids, limit 1-%d",
				   ALERT_PAGE_MAX);
		return;
	}
	f.severity_max = (int)sev;
	f.status = st;
	f.sensor_id = qget(&q, "sensor");
	f.host = qget(&q, "host");
	f.text = qget(&q, "q");
	f.since = (int64_t)since;
	f.until = (int64_t)until;
	f.after_last_seen = (int64_t)als;
	f.after_id = (int64_t)aid;
	f.limit = (unsigned)limit;
	if (store_alert_query(c->store, &f, alert_add, rows, &page, err, sizeof(err)) < 0) {
		evhttp_clear_headers(&q.kv);
		json_decref(rows);
		server_reply_error(req, 400, "%s", err);
		return;
	}
	evhttp_clear_headers(&q.kv);
	next = page.more ? json_pack("{s:I,s:I}", "after_last_seen", (json_int_t)page.next_last_seen,
				     "after_id", (json_int_t)page.next_id)
			 : json_null();
	server_reply_json(req, 200, json_pack("{s:o,s:o}", "alerts", rows, "next", next));
}

static int event_set(void *arg, const struct store_event *ev)
{
	json_t **out = arg;

	*out = event_body(ev->body);
	return 1;
}

static int related_add(void *arg, const struct store_event *ev)
{
	json_array_append_new(arg, json_pack("{s:s,s:I,s:I,s:s,s:o}", "sensor_id", ev->sensor_id, "seq",
					     (json_int_t)ev->seq, "ts", (json_int_t)ev->ts, "event_type",
					     ev->event_type, "event", event_body(ev->body)));
	return 0;
}

static int note_add(void *arg, const struct store_note *n)
{
	json_array_append_new(arg, json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)n->id, "user",
					     n->user, "ts", (json_int_t)n->ts, "text", n->text));
	return 0;
}

/* The alert by id into *a, or answer 404/500. */
static int alert_load(struct console *c, struct evhttp_request *req, int64_t id, struct store_alert *a)
{
	char err[256];
	int r = store_alert_get(c->store, id, a, err, sizeof(err));

	if (r == 0)
		return 0;
	server_reply_error(req, r == STORE_NOT_FOUND ? 404 : 500, "%s", r == STORE_NOT_FOUND ? "no such alert" : err);
	return -1;
}

static void alert_show(struct console *c, struct evhttp_request *req, int64_t id)
{
	struct store_alert a;
	json_t *ev = NULL, *notes = json_array(), *rel = json_array();
	char err[256];

	if (alert_load(c, req, id, &a) < 0) {
		json_decref(notes);
		json_decref(rel);
		return;
	}
	if (a.event_sensor_id[0] != '\0')
		store_event_get(c->store, a.event_sensor_id, a.event_seq, event_set, &ev, err, sizeof(err));
	if (store_alert_notes(c->store, id, note_add, notes, err, sizeof(err)) < 0 ||
	    (a.host[0] != '\0' && store_alert_related_events(c->store, a.host, a.last_seen, RELATED_MAX,
							    related_add, rel, err, sizeof(err)) < 0)) {
		json_decref(ev);
		json_decref(notes);
		json_decref(rel);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o,s:o,s:o,s:o}", "alert", alert_json(&a), "event",
					      ev != NULL ? ev : json_null(), "notes", notes, "related", rel));
}

static void alert_change(struct console *c, struct evhttp_request *req, const struct caller *who,
			 int64_t id, const char *what)
{
	json_t *j = server_json_body(req, what);
	struct store_alert a;
	char err[256];
	int r = -1;

	if (j == NULL)
		return;
	if (strcmp(what, "status") == 0) {
		const char *st = json_string_value(json_object_get(j, "status"));

		if (st == NULL || (strcmp(st, "new") != 0 && strcmp(st, "acknowledged") != 0 &&
				   strcmp(st, "resolved") != 0)) {
			json_decref(j);
			server_reply_error(req, 400, "status: expected \"new\", \"acknowledged\" or \"resolved\"");
			return;
		}
		r = store_alert_set_status(c->store, id, st, who->u.name, (int64_t)console_now(), err,
					   sizeof(err));
		if (r == 0)
			audit(c, who, "alert.status", "alert %lld: %s", (long long)id, st);
	} else if (strcmp(what, "assign") == 0) {
		const char *to = json_string_value(json_object_get(j, "assignee"));
		struct store_user u;

		if (to == NULL || (to[0] != '\0' && store_user_get_by_name(c->store, to, &u, err, sizeof(err)) != 0)) {
			json_decref(j);
			server_reply_error(req, 400, "assignee: expected the name of an account, or \"\"");
			return;
		}
		r = store_alert_assign(c->store, id, to, err, sizeof(err));
		if (r == 0)
			audit(c, who, "alert.assign", "alert %lld: %s", (long long)id, to[0] ? to : "(nobody)");
	} else {
		const char *text = json_string_value(json_object_get(j, "text"));
		int64_t nid;

		if (text == NULL || text[0] == '\0' || strlen(text) > STORE_NOTE_MAX) {
			json_decref(j);
			server_reply_error(req, 400, "text: 1 to %d bytes", STORE_NOTE_MAX);
			return;
		}
		r = store_alert_note_add(c->store, id, who->u.name, (int64_t)console_now(), text, &nid, err,
					 sizeof(err));
		if (r == 0) {
			audit(c, who, "alert.note", "alert %lld: note %lld", (long long)id, (long long)nid);
			server_reply_json(req, 200, json_pack("{s:{s:I,s:s,s:I,s:s}}", "note", "id",
							      (json_int_t)nid, "user", who->u.name, "ts",
							      (json_int_t)console_now(), "text", text));
			json_decref(j);         /* text belongs to j */
			return;
		}
	}
	json_decref(j);
	if (r != 0) {
		server_reply_error(req, r == STORE_NOT_FOUND ? 404 : 400, "%s", err);
		return;
	}
	if (alert_load(c, req, id, &a) == 0)
		server_reply_json(req, 200, json_pack("{s:o}", "alert", alert_json(&a)));
}

/* ---- sensors, tokens ----------------------------------------------------------------------------- */

struct sensor_list {
	json_t *arr;
	int64_t now, silence;
};

static int sensor_add(void *arg, const struct store_sensor *s)
{
	struct sensor_list *l = arg;

	json_array_append_new(l->arr, json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:b}", "id", s->id,
		"kind", s->kind, "hostname", s->hostname, "enrolled_at", (json_int_t)s->enrolled_at,
		"last_seen", (json_int_t)s->last_seen, "revoked", s->revoked_at != 0, "online",
		s->revoked_at == 0 && s->offline_alerted == 0 && s->last_seen > 0 &&
			s->last_seen >= l->now - l->silence,
		/* enrolled, never connected: not offline, no alert */
		"pending", s->revoked_at == 0 && s->last_seen == 0));
	return 0;
}

static void sensors_list(struct console *c, struct evhttp_request *req)
{
	struct sensor_list l = { json_array(), (int64_t)console_now(), c->conf.sensor_offline_after };
	char err[256];

	if (store_sensor_list(c->store, sensor_add, &l, err, sizeof(err)) < 0) {
		json_decref(l.arr);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "sensors", l.arr));
}

static void sensor_revoke(struct console *c, struct evhttp_request *req, const struct caller *who,
			  const char *id)
{
	char err[256];
	int r = store_sensor_revoke(c->store, id, (int64_t)console_now(), err, sizeof(err));

	if (r != 0) {
		server_reply_error(req, r == STORE_NOT_FOUND ? 404 : 400, "%s", err);
		return;
	}
	sensorapi_drop(c, id);
	audit(c, who, "sensor.revoke", "%s", id);
	server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static void token_create(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	json_t *j = server_json_body(req, "token"), *t;
	const char *kind;
	char tok[AUTH_TOKEN_SIZE], hash[AUTH_TOKEN_HASH_SIZE], err[256];
	int64_t now = (int64_t)console_now(), ttl;

	if (j == NULL)
		return;
	kind = json_string_value(json_object_get(j, "kind"));
	t = json_object_get(j, "ttl");
	ttl = t != NULL ? (json_is_integer(t) ? json_integer_value(t) : -1) : c->conf.token_ttl_default;
	if (kind == NULL || (strcmp(kind, "agent") != 0 && strcmp(kind, "gateway") != 0) || ttl < 60 ||
	    ttl > 30 * 86400) {
		json_decref(j);
		server_reply_error(req, 400, "expected {\"kind\": \"agent\"|\"gateway\", \"ttl\": 60..2592000}");
		return;
	}
	if (auth_token_new(tok, sizeof(tok)) < 0 || auth_token_hash(tok, hash, sizeof(hash)) < 0 ||
	    store_token_add(c->store, hash, kind, now, now + ttl, err, sizeof(err)) < 0) {
		json_decref(j);
		server_reply_error(req, 500, "cannot make a token");
		return;
	}
	audit(c, who, "token.create", "%s, valid %llds", kind, (long long)ttl);
	server_reply_json(req, 200, json_pack("{s:s,s:s,s:I,s:s}", "token", tok, "kind", kind,
					      "expires_at", (json_int_t)(now + ttl), "ca_fingerprint", c->ca_fp));
	json_decref(j);
}

/* ---- users, me ------------------------------------------------------------------------------------ */

static int user_add(void *arg, const struct store_user *u)
{
	json_array_append_new(arg, user_json(u));
	return 0;
}

static int pw_ok(struct evhttp_request *req, const char *pw)
{
	size_t n = pw != NULL ? strlen(pw) : 0;

	if (n >= PW_MIN && n <= AUTH_PW_MAX)
		return 1;
	server_reply_error(req, 400, "password: %d to %u characters", PW_MIN, AUTH_PW_MAX);
	return 0;
}

static void users_list(struct console *c, struct evhttp_request *req)
{
	json_t *arr = json_array();
	char err[256];

	if (store_user_list(c->store, user_add, arr, err, sizeof(err)) < 0) {
		json_decref(arr);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "users", arr));
}

static void user_create(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	json_t *j = server_json_body(req, "user");
	const char *name, *role, *pw;
	char hash[AUTH_PW_HASH_SIZE], err[256];
	enum auth_role r;
	struct store_user u;
	int64_t id;

	if (j == NULL)
		return;
	name = json_string_value(json_object_get(j, "name"));
	role = json_string_value(json_object_get(j, "role"));
	pw = json_string_value(json_object_get(j, "password"));
	if (name == NULL || role == NULL || auth_role_parse(role, &r) < 0) {
		json_decref(j);
		server_reply_error(req, 400, "expected {\"name\", \"role\": \"admin\"|\"analyst\"|\"viewer\", \"password\"}");
		return;
	}
	if (!pw_ok(req, pw)) {
		json_decref(j);
		return;
	}
	if (auth_password_hash(pw, hash, sizeof(hash), err, sizeof(err)) < 0 ||
	    store_user_add(c->store, name, role, hash, (int64_t)console_now(), &id, err, sizeof(err)) < 0 ||
	    store_user_get_by_id(c->store, id, &u, err, sizeof(err)) != 0) {
		json_decref(j);
		server_reply_error(req, 400, "%s", err);
		return;
	}
	audit(c, who, "user.create", "%s (%s)", name, role);
	json_decref(j);
	server_reply_json(req, 200, json_pack("{s:o}", "user", user_json(&u)));
}

static void user_update(struct console *c, struct evhttp_request *req, const struct caller *who, int64_t id)
{
	json_t *j = server_json_body(req, "user"), *dis;
	const char *role, *pw;
	char hash[AUTH_PW_HASH_SIZE], err[256], ended[64] = "";
	struct store_user u;
	enum auth_role r;
	bool role_changed;
	int64_t n;

	if (j == NULL)
		return;
	role = json_string_value(json_object_get(j, "role"));
	pw = json_string_value(json_object_get(j, "password"));
	dis = json_object_get(j, "disabled");
	if (store_user_get_by_id(c->store, id, &u, err, sizeof(err)) != 0) {
		json_decref(j);
		server_reply_error(req, 404, "no such user");
		return;
	}
	if ((json_object_get(j, "role") != NULL && (role == NULL || auth_role_parse(role, &r) < 0)) ||
	    (dis != NULL && !json_is_boolean(dis))) {
		json_decref(j);
		server_reply_error(req, 400, "role: admin, analyst or viewer; disabled: true or false");
		return;
	}
	if (json_object_get(j, "password") != NULL && (!signed_in(req, who, "set a password") ||
						       !pw_ok(req, pw))) {
		json_decref(j);
		return;
	}
	if (id == who->u.id && ((role != NULL && strcmp(role, "admin") != 0) || json_is_true(dis))) {
		json_decref(j);
		server_reply_error(req, 400, "you cannot take away your own admin role or disable yourself");
		return;
	}
	role_changed = role != NULL && strcmp(role, u.role) != 0;
	if ((role != NULL && store_user_set_role(c->store, id, role, err, sizeof(err)) < 0) ||
	    (dis != NULL && store_user_disable(c->store, id, json_is_true(dis), err, sizeof(err)) < 0) ||
	    (dis != NULL && json_is_true(dis) && store_session_delete_user(c->store, id, err, sizeof(err)) < 0) ||
	    (pw != NULL && (auth_password_hash(pw, hash, sizeof(hash), err, sizeof(err)) < 0 ||
			    store_user_set_password(c->store, id, hash, err, sizeof(err)) < 0)) ||
	    store_user_get_by_id(c->store, id, &u, err, sizeof(err)) != 0) {
		json_decref(j);
		server_reply_error(req, 400, "%s", err);
		return;
	}
	/* A new password or role: what was signed in with the old one ends. */
	if ((role_changed || pw != NULL) && (n = end_credentials(c, who, id)) >= 0)
		snprintf(ended, sizeof(ended), "; %lld sessions and API tokens ended", (long long)n);
	audit(c, who, "user.update", "%s:%s%s%s%s", u.name, role ? " role " : "", role ? role : "",
	      dis ? (json_is_true(dis) ? " disabled" : " enabled") : (pw ? " password set" : ""), ended);
	json_decref(j);
	server_reply_json(req, 200, json_pack("{s:o}", "user", user_json(&u)));
}

static void me_password(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	json_t *j;
	const char *old, *pw;
	char hash[AUTH_PW_HASH_SIZE], err[256];
	int64_t n;

	if (!signed_in(req, who, "change a password"))
		return;
	j = server_json_body(req, "password");
	if (j == NULL)
		return;
	old = json_string_value(json_object_get(j, "old"));
	pw = json_string_value(json_object_get(j, "new"));
	if (old == NULL || auth_password_verify(old, who->u.pw_hash) != 1) {
		json_decref(j);
		server_reply_error(req, 403, "the current password is wrong");
		return;
	}
	if (!pw_ok(req, pw)) {
		json_decref(j);
		return;
	}
	if (auth_password_hash(pw, hash, sizeof(hash), err, sizeof(err)) < 0 ||
	    store_user_set_password(c->store, who->u.id, hash, err, sizeof(err)) < 0) {
		json_decref(j);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	json_decref(j);
	n = end_credentials(c, who, who->u.id);
	audit(c, who, "user.password", "own password changed; %lld other sessions and API tokens ended",
	      (long long)(n > 0 ? n : 0));
	server_reply_json(req, 200, json_pack("{s:b,s:I}", "ok", 1, "ended", (json_int_t)(n > 0 ? n : 0)));
}

/*
 * Whoever changes a second factor proves they are its owner, not just the
 * holder of a session: the current password, or a current code of the
 * second factor in use. 1, or answers 403 and 0.
 */
static int totp_proof(struct console *c, struct evhttp_request *req, const struct caller *who,
		      json_t *j)
{
	const char *pw = json_string_value(json_object_get(j, "password"));
	const char *code = json_string_value(json_object_get(j, "current_code"));
	uint64_t step = (uint64_t)who->u.totp_last_step;
	char err[256];

	if (pw != NULL && auth_password_verify(pw, who->u.pw_hash) == 1)
		return 1;
	if (code != NULL && who->u.totp_secret[0] != '\0' &&
	    auth_totp_verify(who->u.totp_secret, code, console_now(), AUTH_TOTP_WINDOW, &step) == 1) {
		store_user_set_totp_step(c->store, who->u.id, (int64_t)step, err, sizeof(err));
		return 1;
	}
	server_reply_error(req, 403, "to change the second factor give your current password "
			   "(\"password\") or a current code (\"current_code\")");
	return 0;
}

/* TOTP: a new secret is shown; it takes effect when a code made from it is
 * confirmed (the client sends the secret back with the code, and the
 * current password or a current code of the second factor it replaces). */
static void me_totp(struct console *c, struct evhttp_request *req, const struct caller *who, int confirm)
{
	char secret[AUTH_TOTP_SECRET_B32_SIZE], uri[512], err[256];
	const char *s, *code;
	uint64_t step = 0;
	bool had = who->u.totp_secret[0] != '\0';
	int64_t n;
	json_t *j;

	if (!signed_in(req, who, "change the second factor"))
		return;
	if (!confirm) {
		if (auth_totp_secret_new(secret, sizeof(secret)) < 0 ||
		    auth_totp_uri(who->u.name, "Kastro", secret, uri, sizeof(uri)) < 0) {
			server_reply_error(req, 500, "cannot make a secret");
			return;
		}
		server_reply_json(req, 200, json_pack("{s:s,s:s}", "secret", secret, "uri", uri));
		return;
	}
	j = server_json_body(req, "totp");
	if (j == NULL)
		return;
	if (!totp_proof(c, req, who, j)) {
		json_decref(j);
		return;
	}
	s = json_string_value(json_object_get(j, "secret"));
	code = json_string_value(json_object_get(j, "code"));
	if (s == NULL || code == NULL || strlen(s) > STORE_TOTP_MAX ||
	    auth_totp_verify(s, code, console_now(), AUTH_TOTP_WINDOW, &step) != 1) {
		json_decref(j);
		server_reply_error(req, 400, "the code does not match the secret");
		return;
	}
	if (store_user_set_totp(c->store, who->u.id, s, err, sizeof(err)) < 0 ||
	    store_user_set_totp_step(c->store, who->u.id, (int64_t)step, err, sizeof(err)) < 0) {
		json_decref(j);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	json_decref(j);
	n = end_credentials(c, who, who->u.id);
	audit(c, who, "user.totp", "second factor %s; %lld other sessions and API tokens ended",
	      had ? "replaced" : "enabled", (long long)(n > 0 ? n : 0));
	server_reply_json(req, 200, json_pack("{s:b,s:I}", "ok", 1, "ended", (json_int_t)(n > 0 ? n : 0)));
}

/* An admin removes a user's lost second factor: the user signs in with the
 * password alone and may set up a new one. */
static void user_totp_reset(struct console *c, struct evhttp_request *req, const struct caller *who,
			    int64_t id)
{
	struct store_user u;
	char err[256];
	int64_t n;

	if (!signed_in(req, who, "reset a second factor"))
		return;
	if (store_user_get_by_id(c->store, id, &u, err, sizeof(err)) != 0) {
		server_reply_error(req, 404, "no such user");
		return;
	}
	if (u.totp_secret[0] == '\0') {
		server_reply_error(req, 409, "user %s has no second factor", u.name);
		explicit_bzero(&u, sizeof(u));
		return;
	}
	if (store_user_set_totp(c->store, id, NULL, err, sizeof(err)) < 0 ||
	    store_user_get_by_id(c->store, id, &u, err, sizeof(err)) != 0) {
		explicit_bzero(&u, sizeof(u));
		server_reply_error(req, 500, "%s", err);
		return;
	}
	n = end_credentials(c, who, id);
	audit(c, who, "user.totp.reset", "%s: second factor removed by an admin (lost); %lld "
	      "sessions and API tokens ended; the user signs in with the password alone until "
	      "setting up a new one", u.name, (long long)(n > 0 ? n : 0));
	server_reply_json(req, 200, json_pack("{s:o,s:I}", "user", user_json(&u), "ended",
					      (json_int_t)(n > 0 ? n : 0)));
	explicit_bzero(&u, sizeof(u));
}

static void api_token_create(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	json_t *j, *tj;
	const char *name;
	char tok[AUTH_TOKEN_SIZE], hash[AUTH_TOKEN_HASH_SIZE], err[256];
	int64_t now = (int64_t)console_now(), ttl = APITOK_TTL_DEFAULT;

	if (!signed_in(req, who, "make API tokens"))
		return;
	j = server_json_body(req, "api token");
	if (j == NULL)
		return;
	name = json_string_value(json_object_get(j, "name"));
	tj = json_object_get(j, "ttl");
	if (tj != NULL)
		ttl = json_is_integer(tj) ? json_integer_value(tj) : -1;
	if (name == NULL || name[0] == '\0' || strlen(name) > STORE_NAME_MAX || ttl < APITOK_TTL_MIN ||
	    ttl > APITOK_TTL_MAX) {
		json_decref(j);
		server_reply_error(req, 400, "expected {\"name\": 1 to %d characters, \"ttl\": %d to %d "
				   "seconds (default %d)}", STORE_NAME_MAX, APITOK_TTL_MIN, APITOK_TTL_MAX,
				   APITOK_TTL_DEFAULT);
		return;
	}
	if (auth_token_new(tok, sizeof(tok)) < 0 || auth_token_hash(tok, hash, sizeof(hash)) < 0 ||
	    store_api_token_add_until(c->store, hash, who->u.id, name, now, now + ttl, err,
				      sizeof(err)) < 0) {
		json_decref(j);
		server_reply_error(req, 400, "%s", err);
		return;
	}
	audit(c, who, "apitoken.create", "%s, valid %llds", name, (long long)ttl);
	server_reply_json(req, 200, json_pack("{s:s,s:s,s:I}", "token", tok, "name", name,
					      "expires_at", (json_int_t)(now + ttl)));
	explicit_bzero(tok, sizeof(tok));
	json_decref(j);
}

static int api_token_add(void *arg, const struct store_api_token *t)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "name", t->name, "user",
					     t->user, "user_id", (json_int_t)t->user_id, "created_at",
					     (json_int_t)t->created_at, "last_used",
					     (json_int_t)t->last_used, "expires_at",
					     (json_int_t)t->expires_at));
	return 0;
}

/* The caller's tokens; with ?all=1 (admin) everyone's. No hashes. */
static void api_tokens_list(struct console *c, struct evhttp_request *req, const struct caller *who)
{
	struct query q;
	uint64_t all;
	json_t *arr;
	char err[256];

	query_parse(req, &q);
	if (!q.ok || qnum(&q, "all", 0, 1, 0, &all) < 0) {
		evhttp_clear_headers(&q.kv);
		server_reply_error(req, 400, "all: 0 or 1");
		return;
	}
	evhttp_clear_headers(&q.kv);
	if (all && !allowed(req, who, AUTH_ACT_MANAGE_USERS))
		return;
	arr = json_array();
	if (store_api_token_list(c->store, all ? 0 : who->u.id, api_token_add, arr, err,
				 sizeof(err)) < 0) {
		json_decref(arr);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "tokens", arr));
}

/* Revoke user uid's token name (the caller's own, or an admin's request). */
static void api_token_revoke(struct console *c, struct evhttp_request *req, const struct caller *who,
			     int64_t uid, const char *name)
{
	struct store_user u;
	char err[256];

	if (store_user_get_by_id(c->store, uid, &u, err, sizeof(err)) != 0) {
		server_reply_error(req, 404, "no such user");
		return;
	}
	if (store_api_token_delete(c->store, uid, name, err, sizeof(err)) < 0) {
		server_reply_error(req, 404, "no API token %s of %s", name, u.name);
		explicit_bzero(&u, sizeof(u));
		return;
	}
	audit(c, who, "apitoken.revoke", "%s of %s", name, u.name);
	explicit_bzero(&u, sizeof(u));
	server_reply_json(req, 200, json_pack("{s:b}", "ok", 1));
}

static int audit_add(void *arg, const struct store_audit_entry *e)
{
	json_array_append_new(arg, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)e->id, "ts",
					     (json_int_t)e->ts, "user", e->user, "addr", e->addr, "action",
					     e->action, "detail", e->detail));
	return 0;
}

static void audit_list(struct console *c, struct evhttp_request *req)
{
	struct query q;
	uint64_t before, limit;
	json_t *arr = json_array(), *last;
	char err[256];

	query_parse(req, &q);
	if (!q.ok || qnum(&q, "before_id", 0, INT64_MAX, 0, &before) < 0 ||
	    qnum(&q, "limit", 1, 500, 100, &limit) < 0) {
		evhttp_clear_headers(&q.kv);
		json_decref(arr);
		server_reply_error(req, 400, "before_id: an entry id; limit: 1 to 500");
		return;
	}
	evhttp_clear_headers(&q.kv);
	if (store_audit_list(c->store, (int64_t)before, (unsigned)limit, audit_add, arr, err, sizeof(err)) < 0) {
		json_decref(arr);
		server_reply_error(req, 500, "%s", err);
		return;
	}
	last = json_array_size(arr) == limit ? json_array_get(arr, limit - 1) : NULL;
	server_reply_json(req, 200, json_pack("{s:o,s:o}", "entries", arr, "next_before_id",
					      last != NULL ? json_copy(json_object_get(last, "id")) : json_null()));
}

/* ---- routing ------------------------------------------------------------------------------------------ */

/* "/alerts/123/status" -> seg[] = {"alerts", "123", "status"}; at most max. */
static int split_path(char *p, char **seg, int max)
{
	int n = 0;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == max)
			return -1;
		seg[n++] = p;
		while (*p != '\0' && *p != '/')
			p++;
		if (*p == '/')
			*p++ = '\0';
	}
	return n;
}

static int id_of(const char *s, int64_t *id)
{
	uint64_t v;

	if (num_parse_u64(s, 1, INT64_MAX, &v) < 0)
		return -1;
	*id = (int64_t)v;
	return 0;
}

/*
 * The methods the endpoint seg[0..n) answers, for a 405's Allow header;
 * NULL when there is no such endpoint. Keep it in step with rest_handle().
 */
static const char *allow_of(char **seg, int n)
{
	static const struct { const char *p[5]; const char *allow; } r[] = {
		{ { "login" }, "POST" },
		{ { "logout" }, "POST" },
		{ { "me" }, "GET, HEAD" },
		{ { "me", "password" }, "POST" },
		{ { "me", "totp" }, "POST" },
		{ { "me", "totp", "confirm" }, "POST" },
		{ { "dashboard" }, "GET, HEAD" },
		{ { "metrics" }, "GET, HEAD" },
		{ { "alerts" }, "GET, HEAD" },
		{ { "alerts", "#" }, "GET, HEAD" },
		{ { "alerts", "#", "status" }, "POST" },
		{ { "alerts", "#", "assign" }, "POST" },
		{ { "alerts", "#", "notes" }, "POST" },
		{ { "sensors" }, "GET, HEAD" },
		{ { "sensors", "*", "revoke" }, "POST" },
		{ { "sensors", "*", "quarantine" }, "POST" },
		{ { "sensors", "*", "quarantine", "*", "restore" }, "POST" },
		{ { "sensors", "*", "quarantine", "*", "purge" }, "POST" },
		{ { "sensors", "*", "commands", "#" }, "GET, HEAD" },
		{ { "tokens" }, "POST" },
		{ { "users" }, "GET, HEAD, POST" },
		{ { "users", "#" }, "POST" },
		{ { "users", "#", "totp-reset" }, "POST" },
		{ { "users", "#", "api-tokens", "*", "revoke" }, "POST" },
		{ { "audit" }, "GET, HEAD" },
		{ { "api-tokens" }, "GET, HEAD, POST" },
		{ { "api-tokens", "*", "revoke" }, "POST" },
	};
	int64_t id;

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		int k;

		for (k = 0; k < n && k < 5 && r[i].p[k] != NULL; k++) {
			const char *want = r[i].p[k];

			if (strcmp(want, "*") == 0 ? seg[k][0] == '\0' :
			    strcmp(want, "#") == 0 ? id_of(seg[k], &id) < 0 : strcmp(want, seg[k]) != 0)
				break;
		}
		if (k == n && (k == 5 || r[i].p[k] == NULL))
			return r[i].allow;
	}
	return NULL;
}

/* Does allow ("GET, HEAD, POST") hold method m? */
static bool allows(const char *allow, enum evhttp_cmd_type m)
{
	const char *name = m == EVHTTP_REQ_GET ? "GET" : m == EVHTTP_REQ_HEAD ? "HEAD" :
			   m == EVHTTP_REQ_POST ? "POST" : NULL;

	return name != NULL && strstr(allow, name) != NULL;
}

void rest_handle(struct console *c, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	char buf[256], *seg[8];
	struct caller who;
	int64_t id = 0;
	int n;
	const char *allow;
	/* HEAD is answered as GET; libevent sends the head alone (RFC 9110) */
	bool get = m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD, post = m == EVHTTP_REQ_POST;

	if (strlen(path) >= sizeof(buf) || (n = split_path(memcpy(buf, path, strlen(path) + 1), seg, 8)) < 2) {
		server_reply_error(req, 404, "no such endpoint");
		return;
	}
	/* seg[0] "api", seg[1] "v1" (web.c checked them) */
	n -= 2;
	memmove(seg, seg + 2, (size_t)n * sizeof(seg[0]));
	allow = allow_of(seg, n);
	if (allow != NULL && !allows(allow, m)) {
		server_reply_not_allowed(req, allow);
		return;
	}
	if (n == 1 && post && strcmp(seg[0], "login") == 0) {
		login(c, req);
		return;
	}
	if (authenticate(c, req, &who) < 0)
		return;
	if (!get && !csrf_ok(c, req, &who))
		return;
	if (n == 1 && post && strcmp(seg[0], "logout") == 0)
		logout(c, req, &who);
	else if (n == 1 && get && strcmp(seg[0], "me") == 0)
		server_reply_json(req, 200, me_json(c, &who));
	else if (n == 2 && post && strcmp(seg[0], "me") == 0 && strcmp(seg[1], "password") == 0)
		me_password(c, req, &who);
	else if (n == 2 && post && strcmp(seg[0], "me") == 0 && strcmp(seg[1], "totp") == 0)
		me_totp(c, req, &who, 0);
	else if (n == 3 && post && strcmp(seg[0], "me") == 0 && strcmp(seg[1], "totp") == 0 &&
		 strcmp(seg[2], "confirm") == 0)
		me_totp(c, req, &who, 1);
	else if (n == 1 && get && strcmp(seg[0], "dashboard") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			dashboard(c, req);
	} else if (n == 1 && get && strcmp(seg[0], "metrics") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			cmetrics_http(c, req);
	} else if (n == 1 && get && strcmp(seg[0], "alerts") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			alerts_list(c, req);
	} else if (n >= 2 && strcmp(seg[0], "alerts") == 0 && id_of(seg[1], &id) == 0) {
		if (n == 2 && get) {
			if (allowed(req, &who, AUTH_ACT_VIEW))
				alert_show(c, req, id);
		} else if (n == 3 && post && (strcmp(seg[2], "status") == 0 || strcmp(seg[2], "assign") == 0 ||
					      strcmp(seg[2], "notes") == 0)) {
			if (allowed(req, &who, AUTH_ACT_ALERT_UPDATE))
				alert_change(c, req, &who, id, seg[2]);
		} else {
			server_reply_error(req, 404, "no such endpoint");
		}
	} else if (n == 1 && get && strcmp(seg[0], "sensors") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			sensors_list(c, req);
	} else if (n >= 3 && (get || post) && strcmp(seg[0], "sensors") == 0 &&
		   (strcmp(seg[2], "quarantine") == 0 || strcmp(seg[2], "commands") == 0)) {
		/* an agent's quarantine: listing is reading, restore and purge admin's */
		if (allowed(req, &who, rest_quarantine_changes(seg + 1, n - 1) ?
			    AUTH_ACT_MANAGE_SENSORS : AUTH_ACT_VIEW))
			rest_quarantine(c, req, seg + 1, n - 1, post, who.u.name, who.addr);
	} else if (n == 3 && post && strcmp(seg[0], "sensors") == 0 && strcmp(seg[2], "revoke") == 0) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_SENSORS))
			sensor_revoke(c, req, &who, seg[1]);
	} else if (n == 1 && post && strcmp(seg[0], "tokens") == 0) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_SENSORS))
			token_create(c, req, &who);
	} else if (n == 1 && strcmp(seg[0], "users") == 0 && (get || post)) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_USERS)) {
			if (get)
				users_list(c, req);
			else
				user_create(c, req, &who);
		}
	} else if (n == 2 && post && strcmp(seg[0], "users") == 0 && id_of(seg[1], &id) == 0) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_USERS))
			user_update(c, req, &who, id);
	} else if (n == 1 && get && strcmp(seg[0], "services") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			rest_services(c, req);
	} else if (n == 2 && get && strcmp(seg[0], "services") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			rest_service(c, req, seg[1]);
	} else if (n == 1 && get && strcmp(seg[0], "sla") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			rest_sla(c, req);
	} else if (n == 1 && get && strcmp(seg[0], "audit") == 0) {
		if (allowed(req, &who, AUTH_ACT_VIEW))
			audit_list(c, req);
	} else if (n == 3 && post && strcmp(seg[0], "users") == 0 && id_of(seg[1], &id) == 0 &&
		   strcmp(seg[2], "totp-reset") == 0) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_USERS))
			user_totp_reset(c, req, &who, id);
	} else if (n == 5 && post && strcmp(seg[0], "users") == 0 && id_of(seg[1], &id) == 0 &&
		   strcmp(seg[2], "api-tokens") == 0 && strcmp(seg[4], "revoke") == 0) {
		if (allowed(req, &who, AUTH_ACT_MANAGE_USERS))
			api_token_revoke(c, req, &who, id, seg[3]);
	} else if (n >= 1 && strcmp(seg[0], "hooks") == 0 && (get || post)) {
		if (allowed(req, &who, get ? AUTH_ACT_VIEW : AUTH_ACT_MANAGE_SENSORS))
			rest_hooks(c, req, seg + 1, n - 1, post, who.u.name, who.addr);
	} else if (n == 1 && post && strcmp(seg[0], "api-tokens") == 0) {
		api_token_create(c, req, &who);
	} else if (n == 1 && get && strcmp(seg[0], "api-tokens") == 0) {
		api_tokens_list(c, req, &who);
	} else if (n == 3 && post && strcmp(seg[0], "api-tokens") == 0 && strcmp(seg[2], "revoke") == 0) {
		api_token_revoke(c, req, &who, who.u.id, seg[1]);
	} else {
		server_reply_error(req, 404, "no such endpoint");
	}
}
