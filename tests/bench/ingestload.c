/*
 * ingestload.c - the load of the ingest benchmark: many sensors sending
 * events to kastro-console at once, each as fast as the acknowledgements
 * come back.
 *
 *   ingestload [-e EVENTS] [-b BATCH] [-a ALERT_PERMILLE] [-w PLAN] [-t SECONDS]
 *              HOST:PORT SENSOR_DIR...
 *
 * Each SENSOR_DIR is an enrolled gateway sensor (cert.pem, key.pem, ca.pem
 * as tests/console/sensor.py writes them). For every one, a connection over
 * mutual TLS 1.3 (libcurl: one easy handle per sensor in one multi handle,
 * keep-alive) sends `POST /sensor/v1/events` batches of BATCH events
 * (default 500), first_seq 1, 1 + BATCH, ...; the next batch of a sensor
 * goes out when the console has acknowledged the one before, as a sensor's
 * spool does. EVENTS (default 1,000,000) are shared out between the
 * sensors (EVENTS / n each, one more for the first EVENTS % n). Every answer
 * must be 200 with the right ack and every event stored (a fresh database):
 * anything else ends the run with an error.
 *
 * The events are EVE JSON as kastrod writes them (docs/eve.md): flows
 * mostly, dns and tls records, and ALERT_PERMILLE (default 50) alerts per
 * thousand, from a thousand LAN hosts, about 680 bytes each. They
 * come from a pool of POOL batches made once from a fixed seed: batch j of
 * sensor k holds the first events of pool line (k + j) mod POOL. With -w the
 * pool is written to PLAN first, so the reference (sqliteref) stores the
 * very same rows:
 *   line 1: kastro-ingest-plan sensors N events E batch B pool P
 *   then P lines, each one JSON array of BATCH events (compact JSON).
 *
 * Output, one line on stdout:
 *   ingestload: sensors N events E batches B connections C seconds S
 *               events/s R ack_ms p50 X p99 Y max Z
 * (seconds: from the first request to the last acknowledgement; ack_ms:
 * the time from sending a batch to its acknowledgement; connections: TLS
 * connections libcurl opened, N when keep-alive held). Exit status 0; 1 on
 * an error; 2 on a usage error.
 *
 * Written by hand: no tool in Debian drives many client-certificate
 * identities at once with an ack-paced, sequence-numbered protocol.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "num.h"

#define POOL 64                         /* distinct batches */
#define BATCH_DEFAULT 500
#define BATCH_MAX 1000                  /* the console's STORE_BATCH_MAX */
#define EVENTS_DEFAULT 1000000ULL
#define EVENTS_MAX 100000000ULL
#define SENSORS_MAX 1000
#define ALERTS_DEFAULT 50               /* per thousand events */
#define TIMEOUT_DEFAULT 120             /* seconds one request may take */
#define EVENT_MAX 2048                  /* bytes of one generated event */
#define RESP_MAX 4096                   /* bytes of an answer kept */
#define LAN_HOSTS 1000
#define SEED 0x6b617374726f3031ULL

struct load;

struct sensor {
	const struct load *L;
	CURL *h;
	unsigned idx;                   /* k: which pool lines it sends */
	char dir[512];
	char url[256];
	uint64_t events;                /* to send in all */
	uint64_t sent;                  /* acknowledged so far */
	uint64_t batch_no;
	unsigned n;                     /* events in the batch in flight */
	char *body;
	size_t body_len, body_cap;
	char resp[RESP_MAX];
	size_t resp_len;
	bool resp_overflow;
	struct timespec t0;             /* the batch in flight was sent */
};

struct pool_line {
	char *ev[BATCH_MAX];            /* compact JSON, NUL-terminated */
	size_t len[BATCH_MAX];
};

/* The run's context. */
struct load {
	struct pool_line pool[POOL];
	unsigned batch;                 /* events per batch */
	uint64_t rng;                   /* xorshift64* state */
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ingestload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: ingestload [-e EVENTS] [-b BATCH] [-a ALERT_PERMILLE] [-w PLAN] "
		"[-t SECONDS] HOST:PORT SENSOR_DIR...\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the events ---------------------------------------------------------- */

/* xorshift64*: the same pool on every run. */
static uint64_t rnd(struct load *L)
{
	L->rng ^= L->rng >> 12;
	L->rng ^= L->rng << 25;
	L->rng ^= L->rng >> 27;
	return L->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned pick(struct load *L, unsigned n)
{
	return (unsigned)(rnd(L) % n);
}

/* An EVE time (UTC, microseconds) for t seconds + us. */
static void eve_time(time_t t, unsigned us, char *buf, size_t len)
{
	struct tm tm;
	char day[32];

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	if (snprintf(buf, len, "%s.%06u+0000", day, us) >= (int)len)
		die("time text too long");
}

struct app {
	const char *protocol, *protocol_id, *master, *app, *category, *hostname, *app_proto;
	unsigned port;
};

static const struct app apps[] = {
	{ "TLS.YouTube", "91.124", "TLS", "YouTube", "Media", "www.youtube.com", "tls", 443 },
	{ "TLS.Google", "91.126", "TLS", "Google", "Web", "www.google.com", "tls", 443 },
	{ "TLS.Microsoft365", "91.219", "TLS", "Microsoft365", "Collaborative",
	  "outlook.office365.com", "tls", 443 },
	{ "TLS.Github", "91.203", "TLS", "Github", "Collaborative", "github.com", "tls", 443 },
	{ "HTTP", "7", "Unknown", "HTTP", "Web", "kavala.gov.gr", "http", 80 },
	{ "DNS", "5", "Unknown", "DNS", "Network", "parking.kavala.gov.gr", "dns", 53 },
	{ "TLS.Facebook", "91.119", "TLS", "Facebook", "SocialNetwork", "www.facebook.com", "tls", 443 },
	{ "BitTorrent", "37", "Unknown", "BitTorrent", "Download", "", "bittorrent", 6881 },
	{ "TLS.Tor", "91.163", "TLS", "Tor", "VPN", "www.x7f2kq.net", "tls", 9001 },
	{ "QUIC.Netflix", "188.133", "QUIC", "Netflix", "Video", "www.netflix.com", "quic", 443 },
};
#define N_APPS (sizeof(apps) / sizeof(apps[0]))

struct rule {
	unsigned sid, severity, app;    /* app: index into apps */
	const char *action, *category, *text;
};

static const struct rule rules[] = {
	{ 3, 2, 7, "blocked", "Application policy", "block log severity 2 app { BitTorrent Tor }" },
	{ 4, 2, 8, "blocked", "Application policy", "block log severity 2 app { BitTorrent Tor }" },
	{ 5, 1, 8, "blocked", "Malware", "block category Malware log severity 1" },
	{ 6, 3, 6, "blocked", "Application policy", "block log severity 3 app Facebook" },
	{ 7, 1, 1, "blocked", "Application policy", "block log severity 1 host \"*.badsite.example\"" },
	{ 8, 3, 0, "allowed", "Application policy", "pass log severity 3 app YouTube" },
	{ 9, 4, 9, "allowed", "Application policy", "pass log severity 4 app Netflix" },
	{ 10, 2, 4, "blocked", "Risk", "block risk \"Known Protocol on Non Standard Port\" log" },
	{ 11, 3, 2, "allowed", "Risk", "pass log risk \"Self-signed Certificate\"" },
	{ 12, 2, 3, "blocked", "Blocklist", "block from <feeds> log" },
	{ 13, 4, 5, "allowed", "Risk", "pass log risk \"Suspicious DGA Domain name\"" },
	{ 14, 1, 4, "blocked", "Risk", "block log severity 1 risk \"SQL Injection\"" },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* s as the inside of a JSON string (only '"' and '\\' occur here). */
static void json_esc(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		if (o + 3 >= len)
			die("text too long: %s", s);
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o] = '\0';
}

/* The nDPI object of an event for app a. */
static int ndpi_obj(const struct app *a, char *buf, size_t len)
{
	return snprintf(buf, len,
			"\"ndpi\":{\"protocol\":\"%s\",\"protocol_id\":\"%s\",\"master_protocol\":\"%s\","
			"\"app_protocol\":\"%s\",\"category\":\"%s\",\"risks\":[],\"confidence\":\"DPI\","
			"\"hostname\":\"%s\"}",
			a->protocol, a->protocol_id, a->master, a->app, a->category, a->hostname);
}

/* One event into buf: alert_pm alerts per thousand. */
static void make_event(struct load *L, time_t base, unsigned alert_pm, char *buf, size_t len)
{
	unsigned host = pick(L, LAN_HOSTS), r = pick(L, 1000), ai = pick(L, N_APPS);
	const struct app *a = &apps[ai];
	const struct rule *ru = NULL;
	char ts[48], te[48], src[32], dst[32], nd[512], common[1024];
	uint64_t flow_id = rnd(L) & ((1ULL << 51) - 1);
	time_t t = base - (time_t)pick(L, 300);
	unsigned us = pick(L, 1000000), sport = 32768 + pick(L, 28000);
	int k;

	if (r < alert_pm) {
		ru = &rules[pick(L, N_RULES)];
		a = &apps[ru->app];
	}
	eve_time(t, us, ts, sizeof(ts));
	snprintf(src, sizeof(src), "10.10.%u.%u", host / 250, 2 + host % 250);
	snprintf(dst, sizeof(dst), "%u.%u.%u.%u", 23 + pick(L, 180), pick(L, 256), pick(L, 256),
		 1 + pick(L, 254));
	if (ndpi_obj(a, nd, sizeof(nd)) >= (int)sizeof(nd))
		die("event too long");
	k = snprintf(common, sizeof(common),
		     "\"timestamp\":\"%s\",\"flow_id\":%" PRIu64 ",\"in_iface\":\"gw-lan\","
		     "\"event_type\":\"%s\",\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\","
		     "\"dest_port\":%u,\"proto\":\"%s\",\"app_proto\":\"%s\"",
		     ts, flow_id, ru != NULL ? "alert" : r < alert_pm + 120 ? "dns"
			      : r < alert_pm + 220 ? "tls" : "flow",
		     src, sport, dst, a->port, strcmp(a->app_proto, "dns") == 0 ||
		     strcmp(a->app_proto, "quic") == 0 ? "UDP" : "TCP", a->app_proto);
	if (k >= (int)sizeof(common))
		die("event too long");
	if (ru != NULL) {
		char sig[256];

		json_esc(ru->text, sig, sizeof(sig));
		k = snprintf(buf, len,
			     "{%s,\"alert\":{\"action\":\"%s\",\"gid\":1,\"signature_id\":%u,\"rev\":1,"
			     "\"signature\":\"%s\",\"category\":\"%s\",\"severity\":%u},%s}",
			     common, ru->action, ru->sid, sig, ru->category, ru->severity, nd);
	} else if (r < alert_pm + 120) {
		k = snprintf(buf, len,
			     "{%s,\"dns\":{\"type\":\"answer\",\"rrname\":\"%s\",\"rrtype\":\"A\","
			     "\"rcode\":\"NOERROR\",\"answers\":[{\"rrname\":\"%s\",\"rrtype\":\"A\","
			     "\"rdata\":\"%s\"}]},%s}",
			     common, a->hostname[0] ? a->hostname : "kavala.gov.gr",
			     a->hostname[0] ? a->hostname : "kavala.gov.gr", dst, nd);
	} else if (r < alert_pm + 220) {
		k = snprintf(buf, len,
			     "{%s,\"tls\":{\"sni\":\"%s\",\"version\":\"TLS 1.3\","
			     "\"ja3\":{\"hash\":\"%016" PRIx64 "%016" PRIx64 "\"},"
			     "\"ja3s\":{\"hash\":\"%016" PRIx64 "%016" PRIx64 "\"},\"alpn\":\"h2\"},%s}",
			     common, a->hostname[0] ? a->hostname : "example.org", rnd(L), rnd(L), rnd(L),
			     rnd(L), nd);
	} else {
		unsigned pts = 3 + pick(L, 200), ptc = 2 + pick(L, 400);

		eve_time(t + (time_t)pick(L, 120), pick(L, 1000000), te, sizeof(te));
		k = snprintf(buf, len,
			     "{%s,\"flow\":{\"pkts_toserver\":%u,\"pkts_toclient\":%u,"
			     "\"bytes_toserver\":%u,\"bytes_toclient\":%u,\"start\":\"%s\",\"end\":\"%s\","
			     "\"age\":%u,\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false},"
			     "\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\"},%s}",
			     common, pts, ptc, pts * (60 + pick(L, 900)), ptc * (60 + pick(L, 1400)), ts, te,
			     pick(L, 120), nd);
	}
	if (k < 0 || (size_t)k >= len)
		die("event too long");
}

static void pool_make(struct load *L, unsigned alert_pm)
{
	time_t base = time(NULL);
	char buf[EVENT_MAX];

	for (unsigned p = 0; p < POOL; p++)
		for (unsigned i = 0; i < L->batch; i++) {
			make_event(L, base, alert_pm, buf, sizeof(buf));
			L->pool[p].ev[i] = strdup(buf);
			if (L->pool[p].ev[i] == NULL)
				die("out of memory");
			L->pool[p].len[i] = strlen(buf);
		}
}

static void plan_write(const struct load *L, const char *path, unsigned sensors, uint64_t events)
{
	const unsigned batch = L->batch;
	const struct pool_line *pool = L->pool;
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "kastro-ingest-plan sensors %u events %" PRIu64 " batch %u pool %u\n", sensors,
		events, batch, POOL);
	for (unsigned p = 0; p < POOL; p++) {
		fputc('[', f);
		for (unsigned i = 0; i < batch; i++) {
			if (i > 0)
				fputc(',', f);
			fwrite(pool[p].ev[i], 1, pool[p].len[i], f);
		}
		fputs("]\n", f);
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---- the sensors --------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sensor *s = arg;
	size_t n = size * nmemb;

	if (s->resp_len + n >= sizeof(s->resp)) {
		s->resp_overflow = true;
		return n;
	}
	memcpy(s->resp + s->resp_len, data, n);
	s->resp_len += n;
	s->resp[s->resp_len] = '\0';
	return n;
}

static void body_add(struct sensor *s, const char *p, size_t n)
{
	if (s->body_len + n > s->body_cap)
		die("batch body larger than planned");
	memcpy(s->body + s->body_len, p, n);
	s->body_len += n;
}

/* The next batch of s into its body; s->n events. */
static void batch_make(struct sensor *s)
{
	const unsigned batch = s->L->batch;
	const struct pool_line *pl = &s->L->pool[(s->idx + s->batch_no) % POOL];
	uint64_t left = s->events - s->sent;
	char head[64];
	int hl;

	s->n = left < batch ? (unsigned)left : batch;
	hl = snprintf(head, sizeof(head), "{\"first_seq\":%" PRIu64 ",\"events\":[", s->sent + 1);
	if (hl < 0 || hl >= (int)sizeof(head))
		die("batch head too long");
	s->body_len = 0;
	body_add(s, head, (size_t)hl);
	for (unsigned i = 0; i < s->n; i++) {
		if (i > 0)
			body_add(s, ",", 1);
		body_add(s, pl->ev[i], pl->len[i]);
	}
	body_add(s, "]}", 2);
}

static void path_in(char *out, size_t len, const char *dir, const char *file)
{
	if (snprintf(out, len, "%s/%s", dir, file) >= (int)len)
		die("%s/%s: path too long", dir, file);
}

static void sensor_setup(struct sensor *s, const char *hostport, const char *dir,
			 struct curl_slist *hdr, long timeout)
{
	char cert[600], key[600], ca[600];

	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir))
		die("%s: path too long", dir);
	if (snprintf(s->url, sizeof(s->url), "https://%s/sensor/v1/events", hostport) >=
	    (int)sizeof(s->url))
		die("%s: too long", hostport);
	path_in(cert, sizeof(cert), dir, "cert.pem");
	path_in(key, sizeof(key), dir, "key.pem");
	path_in(ca, sizeof(ca), dir, "ca.pem");
	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0 || access(ca, R_OK) != 0)
		die("%s: cert.pem, key.pem and ca.pem needed (an enrolled sensor)", dir);
	s->h = curl_easy_init();
	if (s->h == NULL)
		die("curl_easy_init failed");
	/* the largest batch: head, events, commas, tail */
	s->body_cap = 64 + (size_t)s->L->batch * (EVENT_MAX + 1) + 2;
	s->body = malloc(s->body_cap);
	if (s->body == NULL)
		die("out of memory");
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	curl_easy_setopt(s->h, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(s->h, CURLOPT_SSLKEY, key);
	curl_easy_setopt(s->h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(s->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(s->h, CURLOPT_POST, 1L);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
}

static void sensor_send(CURLM *m, struct sensor *s)
{
	batch_make(s);
	s->resp_len = 0;
	s->resp[0] = '\0';
	s->resp_overflow = false;
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	if (curl_multi_add_handle(m, s->h) != CURLM_OK)
		die("%s: curl_multi_add_handle failed", s->dir);
}

/* Check the answer to s's batch in flight; its latency into *ms. */
static void sensor_done(struct sensor *s, CURLcode rc, double *ms, long *connects)
{
	struct timespec t1;
	long code = 0, nc = 0;
	json_error_t je;
	json_t *j;
	json_int_t ack, stored, dups;
	uint64_t want = s->sent + s->n;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = (double)(t1.tv_sec - s->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e6;
	if (rc != CURLE_OK)
		die("%s: batch at %" PRIu64 ": %s", s->dir, s->sent + 1, curl_easy_strerror(rc));
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &nc);
	*connects += nc;
	if (code != 200 || s->resp_overflow)
		die("%s: batch at %" PRIu64 ": HTTP %ld %.300s", s->dir, s->sent + 1, code, s->resp);
	j = json_loadb(s->resp, s->resp_len, 0, &je);
	if (j == NULL || json_unpack(j, "{s:I,s:I,s:I}", "ack", &ack, "stored", &stored,
				     "duplicates", &dups) != 0)
		die("%s: batch at %" PRIu64 ": unexpected answer %.300s", s->dir, s->sent + 1, s->resp);
	json_decref(j);
	if ((uint64_t)ack != want || (uint64_t)stored != s->n || dups != 0)
		die("%s: batch %" PRIu64 "..%" PRIu64 ": ack %lld stored %lld duplicates %lld", s->dir,
		    s->sent + 1, want, (long long)ack, (long long)stored, (long long)dups);
	s->sent = want;
	s->batch_no++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *plan = NULL, *hostport;
	uint64_t events = EVENTS_DEFAULT, v, batches = 0, done = 0, nb = 0;
	unsigned alert_pm = ALERTS_DEFAULT, n, running;
	long timeout = TIMEOUT_DEFAULT, connects = 0;
	struct curl_slist *hdr = NULL;
	struct sensor *sn;
	struct load *L = calloc(1, sizeof(*L));
	double *lat, t0, t1;
	CURLM *m;
	int opt;

	if (L == NULL)
		die("out of memory");
	L->batch = BATCH_DEFAULT;
	L->rng = SEED;
	while ((opt = getopt(argc, argv, "e:b:a:w:t:")) != -1) {
		switch (opt) {
		case 'e':
			if (num_parse_u64(optarg, 1, EVENTS_MAX, &events) < 0)
				die("-e: expected 1 to %llu events", EVENTS_MAX);
			break;
		case 'b':
			if (num_parse_u64(optarg, 1, BATCH_MAX, &v) < 0)
				die("-b: expected 1 to %d events", BATCH_MAX);
			L->batch = (unsigned)v;
			break;
		case 'a':
			if (num_parse_u64(optarg, 0, 1000, &v) < 0)
				die("-a: expected 0 to 1000 alerts per thousand events");
			alert_pm = (unsigned)v;
			break;
		case 'w':
			plan = optarg;
			break;
		case 't':
			if (num_parse_u64(optarg, 1, 3600, &v) < 0)
				die("-t: expected 1 to 3600 seconds");
			timeout = (long)v;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	hostport = argv[optind];
	n = (unsigned)(argc - optind - 1);
	if (n > SENSORS_MAX)
		die("at most %d sensors", SENSORS_MAX);
	if (events < n)
		die("fewer events (%" PRIu64 ") than sensors (%u)", events, n);

	pool_make(L, alert_pm);
	if (plan != NULL)
		plan_write(L, plan, n, events);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	/* no "Expect: 100-continue" round trip */
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (hdr == NULL)
		die("out of memory");
	sn = calloc(n, sizeof(*sn));
	if (sn == NULL)
		die("out of memory");
	for (unsigned k = 0; k < n; k++) {
		sn[k].idx = k;
		sn[k].L = L;
		sensor_setup(&sn[k], hostport, argv[optind + 1 + k], hdr, timeout);
		sn[k].events = events / n + (k < events % n);
		batches += (sn[k].events + L->batch - 1) / L->batch;
	}
	lat = calloc(batches, sizeof(*lat));
	m = curl_multi_init();
	if (lat == NULL || m == NULL)
		die("out of memory");
	/* every sensor keeps its connection between batches */
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n * 2);

	t0 = now_s();
	for (unsigned k = 0; k < n; k++)
		sensor_send(m, &sn[k]);
	running = n;
	while (running > 0) {
		CURLMsg *msg;
		int still, left;

		if (curl_multi_perform(m, &still) != CURLM_OK)
			die("curl_multi_perform failed");
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct sensor *s = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s) != CURLE_OK ||
			    s == NULL)
				die("an answer for no sensor");
			sensor_done(s, msg->data.result, &lat[nb++], &connects);
			done += s->n;
			curl_multi_remove_handle(m, s->h);
			if (s->sent < s->events)
				sensor_send(m, s);
			else
				running--;
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			die("curl_multi_poll failed");
	}
	t1 = now_s();
	if (done != events || nb != batches)
		die("acknowledged %" PRIu64 " events in %" PRIu64 " batches, planned %" PRIu64
		    " in %" PRIu64, done, nb, events, batches);
	qsort(lat, nb, sizeof(*lat), cmp_double);
	printf("ingestload: sensors %u events %" PRIu64 " batches %" PRIu64 " connections %ld "
	       "seconds %.3f events/s %.0f ack_ms p50 %.1f p99 %.1f max %.1f\n",
	       n, events, nb, connects, t1 - t0, (double)events / (t1 - t0), lat[nb / 2],
	       lat[nb * 99 / 100], lat[nb - 1]);

	for (unsigned k = 0; k < n; k++) {
		curl_easy_cleanup(sn[k].h);
		free(sn[k].body);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdr);
	curl_global_cleanup();
	for (unsigned p = 0; p < POOL; p++)
		for (unsigned i = 0; i < L->batch; i++)
			free(L->pool[p].ev[i]);
	free(L);
	free(sn);
	free(lat);
	return 0;
}
