/*
 * alertfill.c - fills a console's database with alerts for the ingest
 * benchmark, so that the officers' API can be timed on a large store.
 *
 *   alertfill [-n TOTAL] [-d DAYS] [-s SEED] DB
 *
 * DB is a kastro-console database (console.db; the console must not be
 * running) with its sensors enrolled; alert rows are added until the
 * alerts table holds TOTAL (default 1,000,000). They are written with SQL
 * into the schema console/store.c made (its application id and schema
 * version are checked first; a schema that changed makes the INSERT fail
 * loudly), as the console would have made them over DAYS (default 30)
 * days ending now:
 *  - first seen spread over the days, more in office hours, ids growing
 *    with time as the console gives them; a repeated alert counts 1 to a
 *    few hundred events over up to an hour (last_seen);
 *  - from the enrolled sensors, about 4,000 LAN hosts, a few of them
 *    noisy (a quarter of the rows come from 1% of the hosts);
 *  - about 150 policy rules (applications, categories, host names, risks)
 *    with their severities 1 to 4 (1 rare), actions blocked or allowed and
 *    the application nDPI named;
 *  - workflow by age: older alerts mostly resolved or acknowledged, the
 *    last day's mostly new; some assigned.
 * The first event of each row points at one of its sensor's stored
 * sequences. Rows go in in transactions of 100,000.
 *
 * Output, one line on stdout:
 *   alertfill: existing N added N total N open N seconds S
 * Exit status 0; 1 on an error; 2 on a usage error.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "num.h"
#include "store.h"

#define KASTRO_APP_ID 0x4b535452        /* console/store.c */
#define TOTAL_DEFAULT 1000000ULL
#define TOTAL_MAX 100000000ULL
#define DAYS_DEFAULT 30
#define SENSORS_MAX 4096
#define HOSTS 4000
#define TX_ROWS 100000

struct sensor {
	char id[80];
	int64_t acked;
};

struct rule {
	char text[160];
	const char *category, *action, *app;
	int sid, severity;
};

static const char *const apps[] = {
	"BitTorrent", "Tor", "Facebook", "YouTube", "Netflix", "TikTok", "Instagram", "Twitter",
	"Telegram", "WhatsApp", "Skype_Teams", "Zoom", "Dropbox", "GoogleDrive", "OneDrive",
	"Spotify", "Steam", "Twitch", "AnyDesk", "TeamViewer", "OpenVPN", "WireGuard", "Signal",
	"Discord", "Reddit", "Amazon", "eBay", "Xbox", "Playstation", "Soundcloud",
};
#define N_APPS (sizeof(apps) / sizeof(apps[0]))

static const char *const risks[] = {
	"Known Protocol on Non Standard Port", "Self-signed Certificate", "SQL Injection",
	"Suspicious DGA Domain name", "Malformed Packet", "Obsolete TLS Version",
};
#define N_RISKS (sizeof(risks) / sizeof(risks[0]))

#define N_RULES 150

/* The run's context. */
struct fill {
	uint64_t rng;                   /* xorshift64* state */
	struct rule rules[N_RULES];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("alertfill: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t rnd(struct fill *F)
{
	F->rng ^= F->rng >> 12;
	F->rng ^= F->rng << 25;
	F->rng ^= F->rng >> 27;
	return F->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned pick(struct fill *F, unsigned n)
{
	return (unsigned)(rnd(F) % n);
}

/* 0..1 */
static double unit(struct fill *F)
{
	return (double)(rnd(F) >> 11) / 9007199254740992.0;
}

/* Severity: 1 rare, 3 most common. */
static int severity_pick(struct fill *F)
{
	unsigned r = pick(F, 100);

	return r < 4 ? 1 : r < 24 ? 2 : r < 70 ? 3 : 4;
}

static void rules_make(struct fill *F)
{
	for (int i = 0; i < N_RULES; i++) {
		struct rule *r = &F->rules[i];
		const char *app = apps[pick(F, N_APPS)];
		int k;

		r->sid = i + 1;
		r->severity = severity_pick(F);
		r->action = pick(F, 100) < 65 ? "blocked" : "allowed";
		r->app = app;
		switch (i % 5) {
		case 0:
			k = snprintf(r->text, sizeof(r->text), "%s log severity %d app %s",
				     r->action[0] == 'b' ? "block" : "pass", r->severity, app);
			r->category = "Application policy";
			break;
		case 1:
			k = snprintf(r->text, sizeof(r->text), "block category %s log severity %d",
				     (const char *const[]){ "Malware", "Mining", "Advertisement",
							   "Gambling", "Adult" }[pick(F, 5)], r->severity);
			r->category = "Category policy";
			r->action = "blocked";
			r->app = "";
			break;
		case 2:
			k = snprintf(r->text, sizeof(r->text), "block sni \"*.%c%c%c%u.example\" log",
				     'a' + pick(F, 26), 'a' + pick(F, 26), 'a' + pick(F, 26), i);
			r->category = "Host policy";
			r->action = "blocked";
			break;
		case 3:
			k = snprintf(r->text, sizeof(r->text), "%s log risk \"%s\" severity %d",
				     r->action[0] == 'b' ? "block" : "pass", risks[pick(F, N_RISKS)],
				     r->severity);
			r->category = "Risk";
			break;
		default:
			k = snprintf(r->text, sizeof(r->text), "block from <feed%u> to any log", i);
			r->category = "Blocklist";
			r->action = "blocked";
			r->app = "";
			break;
		}
		if (k < 0 || k >= (int)sizeof(r->text))
			die("rule text too long");
	}
}

/* A LAN host: 1% of them make a quarter of the alerts. */
static void host_pick(struct fill *F, char *buf, size_t len)
{
	unsigned h = pick(F, 4) == 0 ? pick(F, HOSTS / 100) : pick(F, HOSTS);

	snprintf(buf, len, "10.10.%u.%u", h / 250, 2 + h % 250);
}

/* A time in the day, more between 08:00 and 16:00 local (UTC+2). */
static int64_t day_offset(struct fill *F)
{
	if (pick(F, 100) < 70)
		return 6 * 3600 + (int64_t)pick(F, 8 * 3600);
	return (int64_t)pick(F, 86400);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", sql, msg != NULL ? msg : sqlite3_errmsg(db));
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		die("%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t total = TOTAL_DEFAULT, days = DAYS_DEFAULT, seed = 0x616c65727473ULL, v;
	static struct sensor sn[SENSORS_MAX];
	unsigned nsn = 0;
	int64_t existing, add, now, start, *firsts;
	struct timespec t0, t1;
	sqlite3_stmt *st, *ins;
	struct fill *F;
	sqlite3 *db;
	int opt;

	while ((opt = getopt(argc, argv, "n:d:s:")) != -1) {
		switch (opt) {
		case 'n':
			if (num_parse_u64(optarg, 1, TOTAL_MAX, &total) < 0)
				die("-n: expected 1 to %llu alerts", TOTAL_MAX);
			break;
		case 'd':
			if (num_parse_u64(optarg, 1, 3650, &days) < 0)
				die("-d: expected 1 to 3650 days");
			break;
		case 's':
			if (num_parse_u64(optarg, 1, UINT64_MAX, &v) < 0)
				die("-s: expected a number > 0");
			seed = v;
			break;
		default:
			fprintf(stderr, "usage: alertfill [-n TOTAL] [-d DAYS] [-s SEED] DB\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: alertfill [-n TOTAL] [-d DAYS] [-s SEED] DB\n");
		return 2;
	}
	F = calloc(1, sizeof(*F));
	if (F == NULL)
		die("out of memory");
	F->rng = seed;
	if (access(argv[optind], W_OK) != 0)
		die("%s: no such database (kastro-console init makes it)", argv[optind]);
	if (sqlite3_open_v2(argv[optind], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("%s: %s", argv[optind], sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	if (query_int(db, "PRAGMA application_id") != KASTRO_APP_ID ||
	    query_int(db, "PRAGMA user_version") != STORE_SCHEMA_VERSION)
		die("%s: not a kastro-console database of schema version %d", argv[optind],
		    STORE_SCHEMA_VERSION);
	/* Setup, not a measurement: a crash here means starting again. */
	exec_sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
		 "PRAGMA cache_size = -262144");

	if (sqlite3_prepare_v2(db, "SELECT id, acked_seq FROM sensors WHERE revoked_at = 0 "
			       "AND kind = 'gateway' ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		die("reading sensors: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW && nsn < SENSORS_MAX) {
		snprintf(sn[nsn].id, sizeof(sn[nsn].id), "%s", (const char *)sqlite3_column_text(st, 0));
		sn[nsn].acked = sqlite3_column_int64(st, 1);
		nsn++;
	}
	sqlite3_finalize(st);
	if (nsn == 0)
		die("%s: no gateway sensor enrolled", argv[optind]);

	existing = query_int(db, "SELECT count(*) FROM alerts");
	if ((uint64_t)existing > total)
		die("%s already holds %" PRId64 " alerts, more than %" PRIu64, argv[optind], existing,
		    total);
	add = (int64_t)total - existing;
	rules_make(F);
	now = (int64_t)time(NULL);
	/* Begin a day before the oldest whole day, end an hour ago: the last
	 * hour belongs to what the console ingested itself. */
	start = now - (int64_t)days * 86400;
	firsts = malloc(sizeof(*firsts) * (size_t)(add > 0 ? add : 1));
	if (firsts == NULL)
		die("out of memory");
	for (int64_t i = 0; i < add; i++) {
		int64_t day = (int64_t)pick(F, (unsigned)days), t;

		t = start - start % 86400 + day * 86400 + day_offset(F);
		if (t > now - 3600)
			t = now - 3600 - (int64_t)pick(F, 86400);
		firsts[i] = t;
	}
	qsort(firsts, (size_t)add, sizeof(*firsts), cmp_i64);

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO alerts (kind, sensor_id, host, signature_id, signature, "
			       "category, severity, action, first_seen, last_seen, count, status, "
			       "status_at, status_by, assignee, event_sensor_id, event_seq, app) "
			       "VALUES ('alert', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
			       "?13, ?14, ?1, ?15, ?16)", -1, &ins, NULL) != SQLITE_OK)
		die("preparing the insert: %s", sqlite3_errmsg(db));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t i = 0; i < add; i++) {
		const struct rule *r = &F->rules[pick(F, 4) == 0 ? pick(F, 10) : pick(F, N_RULES)];
		const struct sensor *s = &sn[pick(F, nsn)];
		int64_t first = firsts[i], last = first, count = 1, age = now - first, status_at = 0;
		const char *status = "new";
		unsigned u = pick(F, 100);
		char host[32];

		if (i % TX_ROWS == 0)
			exec_sql(db, "BEGIN IMMEDIATE");
		host_pick(F, host, sizeof(host));
		if (pick(F, 100) < 40) {
			/* repeats: 2 to a few hundred events within the hour */
			count = 2 + (int64_t)(unit(F) * unit(F) * unit(F) * 400);
			last = first + (int64_t)pick(F, 3600);
		}
		if (age > 7 * 86400)
			status = u < 80 ? "resolved" : u < 92 ? "acknowledged" : "new";
		else if (age > 86400)
			status = u < 50 ? "resolved" : u < 70 ? "acknowledged" : "new";
		else
			status = u < 10 ? "resolved" : u < 30 ? "acknowledged" : "new";
		if (strcmp(status, "new") != 0)
			status_at = last + (int64_t)pick(F, 86400);
		if (status_at > now)
			status_at = now;
		sqlite3_bind_text(ins, 1, s->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, host, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 3, r->sid);
		sqlite3_bind_text(ins, 4, r->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, r->category, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 6, r->severity);
		sqlite3_bind_text(ins, 7, r->action, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 8, first);
		sqlite3_bind_int64(ins, 9, last);
		sqlite3_bind_int64(ins, 10, count);
		sqlite3_bind_text(ins, 11, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 12, status_at);
		sqlite3_bind_text(ins, 13, status_at > 0 ? "admin" : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 14, pick(F, 100) < 15 ? "admin" : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 15, s->acked > 0 ? 1 + (int64_t)(rnd(F) % (uint64_t)s->acked) : 1);
		sqlite3_bind_text(ins, 16, r->app, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(ins);
		if (i % TX_ROWS == TX_ROWS - 1 || i == add - 1)
			exec_sql(db, "COMMIT");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sqlite3_finalize(ins);
	printf("alertfill: existing %" PRId64 " added %" PRId64 " total %" PRId64 " open %" PRId64
	       " seconds %.3f\n", existing, add, query_int(db, "SELECT count(*) FROM alerts"),
	       query_int(db, "SELECT count(*) FROM alerts WHERE status <> 'resolved'"),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(firsts);
	free(F);
	if (sqlite3_close(db) != SQLITE_OK)
		die("closing: %s", sqlite3_errmsg(db));
	return 0;
}
