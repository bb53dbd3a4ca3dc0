/*
 * fuzz_web.c - libFuzzer target: requests to kastro-console's officers'
 * port as web_handle() answers them: routing of the UI's files, the REST
 * API (rest.c: who is calling, CSRF, roles, query strings, JSON bodies)
 * and the enrolment of sensors (sensorapi_enroll()).
 *
 * Input: the first byte says who asks (enum caller: nobody, the admin's,
 * analyst's or viewer's session with its CSRF header, the admin's session
 * without or with a wrong CSRF header, the admin's API token, an unknown
 * API token). Then "METHOD TARGET", a newline, header lines, an empty
 * line and the body. The harness adds Host, Connection: close, the
 * caller's headers and a Content-Length, checks the head as the console's
 * head gate would (httphead.h; a refused head goes no further, that gate
 * has its own target) and sends it over a real TCP connection on loopback
 * to a libevent HTTP server whose handler is web_handle().
 *
 * Checked for every answer web_handle() gave: it is one complete HTTP
 * answer with X-Content-Type-Options: nosniff; outside the UI's files it
 * is JSON, and a 4xx or 5xx is {"error": "..."}; a 2xx went only to a
 * caller whose role may use that endpoint (nobody: login, enrolment and
 * the UI; a missing or wrong CSRF header: nothing that changes state);
 * GET /api/v1/me names the caller. Every request is answered within
 * REPLY_S. ASan and LSan watch the rest.
 *
 * The console state is real: a data directory (under /dev/shm when there
 * is one) with the CA, csrf.key and the database holding three users, a
 * session each, an API token, a gateway with a few alerts and one
 * enrolment token (ENROL_TOKEN, which the seeds in run.sh use); it is
 * removed at exit (and before a failed check aborts). Before each input
 * the users, their sessions and the enrolment token are put back as they
 * were, and the login limiter is emptied after failed logins, so a caller
 * is the same whatever ran before (what inputs add, notes, users, tokens,
 * audit entries, stays).
 *
 * Two departures from the console, both for speed: plain TCP instead of
 * TLS (web_handle() and what it calls use no TLS session), and
 * argon2id_hash_encoded() below replaces libargon2's (this program's
 * definition is the one auth.c links to) with the cost the unit tests
 * use, so a fuzzed login, new user or password change costs microseconds
 * instead of a quarter of a second. Built and run by tests/fuzz/run.sh.
 */
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <argon2.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "auth.h"
#include "console.h"
#include "httphead.h"
#include "log.h"
#include "rest.h"
#include "web.h"

#define REPLY_S 5
#define ANSWER_MAX (8u << 20)           /* bytes of an answer read */
#define ADMIN_PW "fuzz-admin-password"
/* 43 base64url characters, as auth_token_wellformed() wants */
#define ENROL_TOKEN "kastro-fuzz-enrolment-token-0123456789abcde"

_Static_assert(sizeof(ENROL_TOKEN) == AUTH_TOKEN_SIZE, "ENROL_TOKEN must be a token's length");

/* libargon2's argon2id_hash_encoded() at the unit tests' cost: 256 KiB, one pass. */
int argon2id_hash_encoded(const uint32_t t_cost, const uint32_t m_cost, const uint32_t parallelism,
			  const void *pwd, const size_t pwdlen, const void *salt, const size_t saltlen,
			  const size_t hashlen, char *encoded, const size_t encodedlen)
{
	(void)t_cost;
	(void)m_cost;
	return argon2_hash(1, 256, parallelism, pwd, pwdlen, salt, saltlen, NULL, hashlen, encoded,
			   encodedlen, Argon2_id, ARGON2_VERSION_NUMBER);
}

enum caller {
	C_NOBODY, C_ADMIN, C_ANALYST, C_VIEWER, C_ADMIN_NO_CSRF, C_ADMIN_WRONG_CSRF, C_ADMIN_TOKEN,
	C_UNKNOWN_TOKEN, C_N
};

/* What a caller may reach, and what an endpoint needs, in one order. */
enum rank { R_NOBODY, R_ANY, R_VIEWER, R_ANALYST, R_ADMIN, R_NEVER };

struct account {
	const char *name, *role;
	int64_t id;
	char pw_hash[AUTH_PW_HASH_SIZE];
	char session[AUTH_TOKEN_SIZE], session_hash[AUTH_TOKEN_HASH_SIZE], csrf[AUTH_CSRF_SIZE];
};

static struct account accounts[3] = {
	{ "admin", "admin", 0, "", "", "", "" },
	{ "analyst", "analyst", 0, "", "", "", "" },
	{ "viewer", "viewer", 0, "", "", "", "" },
};

/* What the server side saw of the request being sent. */
struct seen {
	int dispatched;
	enum evhttp_cmd_type method;
	char path[1024];
};

/* The client side of one exchange. */
struct exchange {
	int fd;
	const char *out;
	size_t outlen, sent;
	char *in;
	size_t inlen, incap;
	int eof, timed_out;
	struct event *ev, *timer;
};

static struct console c;
static struct evhttp *http;
static struct sockaddr_in addr;
static struct seen seen;
static char dir[64], enrol_hash[AUTH_TOKEN_HASH_SIZE];
static char api_token[AUTH_TOKEN_SIZE], unknown_token[AUTH_TOKEN_SIZE];
static char caller_headers[C_N][512];
static uint64_t last_failures, last_enrolled;
static int token_armed;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* A failed check: libFuzzer keeps the input; the data directory goes. */
static void check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_web: %s\n", what);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	abort();
}

static void setup_fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_web: %s: %s\n", what, err);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	abort();
}

static void cleanup(void)
{
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	rest_free(&c);
	ca_free(c.ca);
	store_close(c.store);
	event_base_free(c.base);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The server's side: remember what was asked, then answer as the console. */
static void on_request(struct evhttp_request *req, void *arg)
{
	const char *p = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	(void)arg;
	seen.dispatched++;
	seen.method = evhttp_request_get_command(req);
	snprintf(seen.path, sizeof(seen.path), "%s", p != NULL ? p : "/");
	web_handle(req, &c);
}

/* ---- set-up ---------------------------------------------------------------------- */

static void add_account(struct account *a, const char *pw)
{
	char err[256];

	if (auth_password_hash(pw, a->pw_hash, sizeof(a->pw_hash), err, sizeof(err)) < 0 ||
	    store_user_add(c.store, a->name, a->role, a->pw_hash, (int64_t)console_now(), &a->id, err,
			   sizeof(err)) < 0)
		setup_fail(a->name, err);
	if (auth_token_new(a->session, sizeof(a->session)) < 0 ||
	    auth_token_hash(a->session, a->session_hash, sizeof(a->session_hash)) < 0 ||
	    auth_csrf_token(c.csrf_key, a->session, a->csrf, sizeof(a->csrf)) < 0)
		setup_fail(a->name, "cannot make a session");
}

/* A gateway and a few alerts (received now, so the dashboard counts them). */
static void add_alerts(void)
{
	static const char batch[] =
		"{\"first_seq\":1,\"events\":["
		"{\"event_type\":\"alert\",\"src_ip\":\"10.10.0.2\",\"alert\":{\"action\":\"blocked\",\"signature_id\":1,"
		"\"signature\":\"rule 1\",\"category\":\"Test\",\"severity\":2}},"
		"{\"event_type\":\"alert\",\"src_ip\":\"10.10.0.3\",\"app_proto\":\"http\","
		"\"alert\":{\"action\":\"allowed\",\"signature_id\":2,\"signature\":\"rule 2\","
		"\"category\":\"Scan\",\"severity\":1}},"
		"{\"event_type\":\"finding\",\"host\":\"pc\",\"finding\":{\"rule\":\"EICAR\",\"path\":\"/tmp/x\"}},"
		"{\"event_type\":\"flow\",\"src_ip\":\"10.10.0.2\"}]}";
	struct store_ingest_result *res = calloc(1, sizeof(*res));
	char err[512];
	uint64_t ack;

	if (res == NULL)
		setup_fail("alerts", "out of memory");
	if (store_sensor_add(c.store, "s-fuzz", "gateway", "gw", "0123abcd", "{}", (int64_t)console_now(),
			     err, sizeof(err)) < 0 ||
	    store_ingest(c.store, "s-fuzz", batch, sizeof(batch) - 1, &ack, res, err, sizeof(err)) < 0)
		setup_fail("alerts", err);
	free(res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *names[2] = { "localhost", "127.0.0.1" };
	char db[128], err[1024], hash[AUTH_TOKEN_HASH_SIZE];
	struct evhttp_bound_socket *bs;
	socklen_t sl = sizeof(addr);

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	log_init("fuzz_web", LOG_LVL_ERR, false);
	snprintf(dir, sizeof(dir), "%s/kastro-fuzz-web.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		setup_fail(dir, strerror(errno));
	atexit(cleanup);
	cconf_defaults(&c.conf);
	snprintf(c.conf.data_dir, sizeof(c.conf.data_dir), "%s", dir);
	c.rl_req.burst = 20;
	c.rl_req.interval_s = 60;
	snprintf(db, sizeof(db), "%s/console.db", dir);
	c.base = event_base_new();
	if (c.base == NULL)
		setup_fail("event base", "out of memory");
	if (ca_init_dir(dir, names, 2, err, sizeof(err)) < 0 || ca_load(dir, &c.ca, err, sizeof(err)) < 0 ||
	    ca_fingerprint(c.ca, c.ca_fp, sizeof(c.ca_fp)) < 0)
		setup_fail("CA", err);
	if (store_open(db, 1, &c.store, err, sizeof(err)) < 0 ||
	    store_set_dedup_window(c.store, c.conf.dedup_window, err, sizeof(err)) < 0)
		setup_fail("database", err);
	if (rest_init(&c, err, sizeof(err)) < 0)
		setup_fail("REST API", err);
	add_account(&accounts[0], ADMIN_PW);
	add_account(&accounts[1], "fuzz-analyst-password");
	add_account(&accounts[2], "fuzz-viewer-password");
	if (auth_token_new(api_token, sizeof(api_token)) < 0 ||
	    auth_token_hash(api_token, hash, sizeof(hash)) < 0 ||
	    store_api_token_add(c.store, hash, accounts[0].id, "fuzz", (int64_t)console_now(), err,
				sizeof(err)) < 0 ||
	    auth_token_new(unknown_token, sizeof(unknown_token)) < 0 ||
	    auth_token_hash(ENROL_TOKEN, enrol_hash, sizeof(enrol_hash)) < 0)
		setup_fail("API token", err);
	add_alerts();

	snprintf(caller_headers[C_NOBODY], sizeof(caller_headers[0]), "%s", "");
	for (int i = 0; i < 3; i++)
		snprintf(caller_headers[C_ADMIN + i], sizeof(caller_headers[0]),
			 "Cookie: __Host-kastro=%s\r\nX-CSRF-Token: %s\r\n", accounts[i].session, accounts[i].csrf);
	snprintf(caller_headers[C_ADMIN_NO_CSRF], sizeof(caller_headers[0]), "Cookie: __Host-kastro=%s\r\n",
		 accounts[0].session);
	snprintf(caller_headers[C_ADMIN_WRONG_CSRF], sizeof(caller_headers[0]),
		 "Cookie: __Host-kastro=%s\r\nX-CSRF-Token: %s\r\n", accounts[0].session, accounts[2].csrf);
	snprintf(caller_headers[C_ADMIN_TOKEN], sizeof(caller_headers[0]), "Authorization: Bearer %s\r\n",
		 api_token);
	snprintf(caller_headers[C_UNKNOWN_TOKEN], sizeof(caller_headers[0]), "Authorization: Bearer %s\r\n",
		 unknown_token);

	http = evhttp_new(c.base);
	if (http == NULL)
		setup_fail("HTTP server", "out of memory");
	/* As server_open() sets them (the head gate is run by the harness). */
	evhttp_set_max_body_size(http, (ev_ssize_t)c.conf.max_body);
	evhttp_set_max_headers_size(http, (ev_ssize_t)c.conf.max_headers + 1024);
	evhttp_set_timeout(http, (int)c.conf.request_timeout);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
					 EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, on_request, NULL);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (bs == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&addr, &sl) < 0)
		setup_fail("HTTP server", "cannot listen on 127.0.0.1");
	return 0;
}

/* ---- before each input -------------------------------------------------------------- */

/* Users, sessions and the enrolment token as set up; an empty login limiter. */
static void restore(void)
{
	struct store_session ss;
	struct store_user u;
	int64_t now = (int64_t)console_now();
	char err[256];

	for (int i = 0; i < 3; i++) {
		struct account *a = &accounts[i];

		check(store_user_get_by_id(c.store, a->id, &u, err, sizeof(err)) == 0, err);
		if (strcmp(u.role, a->role) != 0)
			check(store_user_set_role(c.store, a->id, a->role, err, sizeof(err)) == 0, err);
		if (u.disabled)
			check(store_user_disable(c.store, a->id, 0, err, sizeof(err)) == 0, err);
		if (strcmp(u.pw_hash, a->pw_hash) != 0)
			check(store_user_set_password(c.store, a->id, a->pw_hash, err, sizeof(err)) == 0, err);
		if (store_session_get(c.store, a->session_hash, &ss, err, sizeof(err)) != 0 ||
		    ss.user_id != a->id)
			check(store_session_delete(c.store, a->session_hash, err, sizeof(err)) == 0 &&
			      store_session_add(c.store, a->session_hash, a->id, now, "127.0.0.1", err,
						sizeof(err)) == 0, err);
	}
	if (!token_armed || c.enrolled != last_enrolled) {
		store_token_delete(c.store, enrol_hash, err, sizeof(err));
		check(store_token_add(c.store, enrol_hash, "agent", now, now + 86400, err, sizeof(err)) == 0,
		      err);
		token_armed = 1;
		last_enrolled = c.enrolled;
	}
	if (c.login_failures != last_failures) {
		auth_limiter_free(c.limiter);
		c.limiter = auth_limiter_new(AUTH_LIMITER_CAPACITY, AUTH_LIMITER_FREE_FAILURES,
					     AUTH_LIMITER_BASE_DELAY_S, AUTH_LIMITER_MAX_DELAY_S);
		check(c.limiter != NULL, "login limiter: out of memory");
		last_failures = c.login_failures;
	}
}

/* ---- one exchange ---------------------------------------------------------------------- */

static void client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exchange *x = arg;
	ssize_t n;

	if ((what & EV_WRITE) && x->sent < x->outlen) {
		n = send(fd, x->out + x->sent, x->outlen - x->sent, MSG_NOSIGNAL);
		if (n > 0)
			x->sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			x->sent = x->outlen;            /* the server closed early: read what it said */
		if (x->sent == x->outlen) {
			event_del(x->ev);
			event_assign(x->ev, c.base, fd, EV_READ | EV_PERSIST, client_cb, x);
			event_add(x->ev, NULL);
		}
	}
	if (!(what & EV_READ))
		return;
	for (;;) {
		if (x->incap - x->inlen < 4096) {
			size_t cap = x->incap * 2 + 8192;
			char *p;

			check(cap <= ANSWER_MAX, "answer over the harness's limit");
			p = realloc(x->in, cap);
			check(p != NULL, "out of memory");
			x->in = p;
			x->incap = cap;
		}
		n = recv(fd, x->in + x->inlen, x->incap - x->inlen - 1, 0);
		if (n > 0) {
			x->inlen += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			x->eof = 1;
			event_base_loopbreak(c.base);
		}
		return;
	}
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exchange *x = arg;

	(void)fd;
	(void)what;
	x->timed_out = 1;
	event_base_loopbreak(c.base);
}

/* Send req, read the answer until the server closes. */
static void exchange(struct exchange *x, const char *req, size_t len)
{
	struct timeval tv = { REPLY_S, 0 };

	memset(x, 0, sizeof(*x));
	x->out = req;
	x->outlen = len;
	x->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	check(x->fd >= 0, "client socket");
	check(connect(x->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EINPROGRESS,
	      "connect to the server");
	x->ev = event_new(c.base, x->fd, EV_READ | EV_WRITE | EV_PERSIST, client_cb, x);
	x->timer = evtimer_new(c.base, timeout_cb, x);
	check(x->ev != NULL && x->timer != NULL, "out of memory");
	event_add(x->ev, NULL);
	evtimer_add(x->timer, &tv);
	while (!x->eof && !x->timed_out)
		event_base_loop(c.base, EVLOOP_ONCE);
	event_free(x->ev);
	event_free(x->timer);
	close(x->fd);
	/* Let the server side finish with its connection too. */
	event_base_loop(c.base, EVLOOP_NONBLOCK);
}

/* ---- what must hold ---------------------------------------------------------------------- */

/* The answer's header name's value (case ignored), or NULL; head is NUL-terminated. */
static const char *answer_header(const char *head, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			*vlen = e != NULL ? (size_t)(e - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

/* The rank a request to path needs for a 2xx, as rest.c routes it. */
static enum rank needed(enum evhttp_cmd_type m, const char *path)
{
	char buf[256], *seg[6], *p = buf;
	const char *a, *b, *z;
	int n = 0, get = m == EVHTTP_REQ_GET, post = m == EVHTTP_REQ_POST;

	if (strcmp(path, "/sensor/v1/enroll") == 0)
		return post ? R_NOBODY : R_NEVER;
	if (strncmp(path, "/ping/", 6) == 0)
		return R_NOBODY;
	if (strncmp(path, "/api/v1/", 8) != 0)
		return get ? R_NOBODY : R_NEVER;
	if (strlen(path) >= sizeof(buf))
		return R_NEVER;
	memcpy(buf, path, strlen(path) + 1);
	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == 6)
			return R_NEVER;
		seg[n++] = p;
		while (*p != '\0' && *p != '/')
			p++;
		if (*p == '/')
			*p++ = '\0';
	}
	n -= 2;
	if (n < 1)
		return R_NEVER;
	a = seg[2];
	b = n >= 2 ? seg[3] : "";
	z = n >= 3 ? seg[4] : "";

#define IS(s, lit) (strcmp((s), (lit)) == 0)
	if (n == 1 && post && IS(a, "login"))
		return R_NOBODY;
	if ((n == 1 && post && (IS(a, "logout") || IS(a, "api-tokens"))) ||
	    (n == 1 && get && (IS(a, "me") || IS(a, "api-tokens"))) ||
	    (n == 2 && post && IS(a, "me") && (IS(b, "password") || IS(b, "totp"))) ||
	    (n == 3 && post && IS(a, "me") && IS(b, "totp") && IS(z, "confirm")))
		return R_ANY;
	if (get && ((n == 1 && (IS(a, "dashboard") || IS(a, "alerts") || IS(a, "sensors") || IS(a, "audit") ||
				IS(a, "services"))) ||
		    (n == 2 && (IS(a, "alerts") || IS(a, "services")))))
		return R_VIEWER;
	if (n == 3 && post && IS(a, "alerts") && (IS(z, "status") || IS(z, "assign") || IS(z, "notes")))
		return R_ANALYST;
	if ((n == 3 && post && IS(a, "sensors") && IS(z, "revoke")) || (n == 1 && post && IS(a, "tokens")) ||
	    (n == 1 && (get || post) && IS(a, "users")) || (n == 2 && post && IS(a, "users")))
		return R_ADMIN;
#undef IS
	return R_NEVER;
}

static enum rank rank_of(enum caller who, enum evhttp_cmd_type m)
{
	switch (who) {
	case C_ADMIN:
	case C_ADMIN_TOKEN:
		return R_ADMIN;
	case C_ANALYST:
		return R_ANALYST;
	case C_VIEWER:
		return R_VIEWER;
	case C_ADMIN_NO_CSRF:
	case C_ADMIN_WRONG_CSRF:
		return m == EVHTTP_REQ_GET ? R_ADMIN : R_NOBODY;
	default:
		return R_NOBODY;
	}
}

static void check_answer(enum caller who, const struct exchange *x)
{
	const char *head = x->in, *body, *v;
	size_t vlen, blen;
	unsigned long clen;
	int status, is_ui;
	json_t *j;
	char *end;

	check(x->inlen > 12 && x->in != NULL, "no answer");
	x->in[x->inlen] = '\0';
	/* a 100 Continue first is fine */
	while (strncmp(head, "HTTP/1.1 1", 10) == 0 && strstr(head, "\r\n\r\n") != NULL)
		head = strstr(head, "\r\n\r\n") + 4;
	check(strncmp(head, "HTTP/1.1 ", 9) == 0 && head[9] >= '1' && head[9] <= '5' &&
	      head[10] >= '0' && head[10] <= '9' && head[11] >= '0' && head[11] <= '9' && head[12] == ' ',
	      "no status line");
	status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	body = strstr(head, "\r\n\r\n");
	check(body != NULL, "the answer's head does not end");
	body += 4;
	/* HEAD has no body; push checks' pings answer plain text (Healthchecks.io) */
	if (seen.method == EVHTTP_REQ_HEAD)
		return;
	if (strncmp(seen.path, "/ping/", 6) == 0) {
		v = answer_header(head, "Content-Type", &vlen);
		check(v != NULL && strncmp(v, "text/plain", 10) == 0, "a ping answer that is not text");
		return;
	}
	blen = x->inlen - (size_t)(body - x->in);
	v = answer_header(head, "Content-Length", &vlen);
	check(v != NULL, "no Content-Length");
	clen = strtoul(v, &end, 10);
	check(end == v + vlen && clen == blen, "Content-Length is not the body's length");
	v = answer_header(head, "X-Content-Type-Options", &vlen);
	check(v != NULL && vlen == 7 && strncmp(v, "nosniff", 7) == 0, "no X-Content-Type-Options: nosniff");

	is_ui = seen.method == EVHTTP_REQ_GET && status == 200 && strncmp(seen.path, "/api/", 5) != 0 &&
		strcmp(seen.path, "/sensor/v1/enroll") != 0;
	if (status / 100 == 2 && rank_of(who, seen.method) < needed(seen.method, seen.path)) {
		fprintf(stderr, "fuzz_web: %d for caller %d, %s\n", status, (int)who, seen.path);
		check(0, "a 2xx to a caller who may not use the endpoint");
	}
	if (is_ui) {
		v = answer_header(head, "Content-Security-Policy", &vlen);
		check(v != NULL, "a UI file without Content-Security-Policy");
		return;
	}
	v = answer_header(head, "Content-Type", &vlen);
	check(v != NULL && strncmp(v, "application/json", 16) == 0, "an answer that is not JSON");
	j = json_loadb(body, blen, 0, NULL);
	check(j != NULL && json_is_object(j), "a JSON answer that is no JSON object");
	if (status >= 400)
		check(json_is_string(json_object_get(j, "error")), "an error answer without \"error\"");
	if (status == 200 && seen.method == EVHTTP_REQ_GET && strcmp(seen.path, "/api/v1/me") == 0 &&
	    who != C_NOBODY && who != C_UNKNOWN_TOKEN) {
		const char *name = json_string_value(json_object_get(json_object_get(j, "user"), "name"));
		const struct account *a = &accounts[who == C_ANALYST ? 1 : who == C_VIEWER ? 2 : 0];

		check(name != NULL && strcmp(name, a->name) == 0, "GET /api/v1/me names someone else");
	}
	json_decref(j);
}

/* ---- the target ------------------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	check(n <= b->cap - b->len, "request over the buffer");
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The request from the input (see the top of the file) into b; 0, or -1 when
 * the head gate would refuse its head. */
static int build(const char *p, const char *end, enum caller who, struct buf *b)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
	size_t blen, n, hl;
	struct httphead hh;
	char cl[64];

	n = (size_t)((nl != NULL ? nl : end) - p);
	put(b, line, n);
	puts_(b, " HTTP/1.1\r\nHost: console\r\nConnection: close\r\n");
	puts_(b, caller_headers[who]);
	p = nl != NULL ? nl + 1 : end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		line = p;
		p = nl != NULL ? nl + 1 : end;
		if (n == 0)
			break;
		put(b, line, n);
		puts_(b, "\r\n");
	}
	blen = (size_t)(end - p);
	snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", blen);
	puts_(b, cl);
	hl = httphead_end(b->p, b->len);
	if (hl != b->len || httphead_check(b->p, hl, c.conf.max_body, &hh) < 0 || hh.content_length != blen)
		return -1;
	put(b, p, blen);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = { NULL, 0, 0 };
	struct exchange x;
	enum caller who;

	if (size < 2)
		return 0;
	who = (enum caller)(data[0] % C_N);
	b.cap = 1024 + 2 * size;
	b.p = malloc(b.cap);
	check(b.p != NULL, "out of memory");
	if (build((const char *)data + 1, (const char *)data + size, who, &b) < 0) {
		free(b.p);
		return 0;
	}
	restore();
	memset(&seen, 0, sizeof(seen));
	exchange(&x, b.p, b.len);
	free(b.p);
	if (x.timed_out)
		fprintf(stderr, "fuzz_web: no answer within %d s (web_handle %s)\n", REPLY_S,
			seen.dispatched ? "was called" : "was not called");
	check(!x.timed_out, "a request left without an answer");
	/*
	 * libevent answers a method it does not serve (HEAD, OPTIONS, TRACE,
	 * CONNECT), one it does not know, or a bad Expect header itself, with
	 * its own HTML page; only web_handle()'s answers are checked.
	 */
	if (seen.dispatched == 1)
		check_answer(who, &x);
	else
		check(seen.dispatched == 0, "one request dispatched twice");
	free(x.in);
	return 0;
}
