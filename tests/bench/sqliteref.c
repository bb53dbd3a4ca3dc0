/*
 * sqliteref.c - the reference of the ingest benchmark: the rows the
 * console stores for a run of ingestload, inserted with SQLite alone.
 *
 *   sqliteref PLAN DB
 *
 * PLAN is what `ingestload -w` wrote (its header says how). DB must not
 * exist; it is made with the console's events table as console/store.c
 * makes it (with its sensors table, for the foreign key, and its index),
 * in WAL mode with synchronous=FULL, foreign keys on and the console's
 * page cache and checkpoint interval, as the console opens it. The same rows are then inserted with the console's INSERT
 * statement, prepared once: batch j of sensor k holds the first events of
 * pool line (k + j) mod POOL, sensors take turns batch by batch (as the
 * console sees them arrive), and each batch is one BEGIN IMMEDIATE ...
 * COMMIT transaction. host is the event's src_ip (the sensors are
 * gateways), ts its timestamp, received the clock.
 *
 * What the console does besides (TLS, HTTP, checking and re-serialising
 * the JSON, alerts, the sensor's row) is not done here: this is the floor
 * for storing the events durably in batches.
 *
 * Output, one line on stdout:
 *   sqliteref: events E batches B seconds S events/s R
 * (seconds: the inserts and commits only; reading the plan and preparing
 * the rows are not timed). Exit status 0; 1 on an error; 2 on a usage
 * error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#define LINE_MAX_BYTES (16u * 1024 * 1024)
#define SENSORS_MAX 1000
#define POOL_MAX 1024
#define BATCH_MAX 1000

/* The console's tables as console/store.c creates them (events and what
 * it refers to). */
static const char schema_sql[] =
	"CREATE TABLE sensors ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('agent', 'gateway')),"
	" hostname TEXT NOT NULL,"
	" cert_serial TEXT UNIQUE,"
	" facts TEXT,"
	" enrolled_at INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL DEFAULT 0,"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" offline_alerted INTEGER NOT NULL DEFAULT 0,"
	" acked_seq INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX sensors_hostname ON sensors (hostname, id);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" sensor_id TEXT NOT NULL REFERENCES sensors (id),"
	" seq INTEGER NOT NULL,"
	" ts INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" event_type TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" UNIQUE (sensor_id, seq)"
	") STRICT;"
	"CREATE INDEX events_host_ts ON events (host, ts);";

/* The console's ST_EVENT_INSERT. */
static const char insert_sql[] =
	"INSERT INTO events (sensor_id, seq, ts, received, event_type, host, body) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sensor_id, seq) DO NOTHING";

struct row {
	char *body;                     /* compact JSON, as the console stores it */
	const char *type, *host;        /* point into the pool's JSON */
	int64_t ts;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sqliteref: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%.60s...: %s", sql, msg != NULL ? msg : sqlite3_errmsg(db));
}

/* "2026-01-02T03:04:05.123456+0000" to unix seconds (UTC only, as made). */
static int64_t eve_ts(const char *v)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || strcmp(end + strspn(end, ".0123456789"), "+0000") != 0)
		die("timestamp %s: not as ingestload writes it", v);
	return (int64_t)timegm(&tm);
}

static void row_make(json_t *e, struct row *r)
{
	json_t *ts = json_object_get(e, "timestamp");

	r->type = json_string_value(json_object_get(e, "event_type"));
	r->host = json_string_value(json_object_get(e, "src_ip"));
	if (r->type == NULL || r->host == NULL || !json_is_string(ts))
		die("an event without event_type, src_ip or timestamp");
	r->ts = eve_ts(json_string_value(ts));
	r->body = json_dumps(e, JSON_COMPACT);
	if (r->body == NULL)
		die("out of memory");
}

int main(int argc, char **argv)
{
	static char line[LINE_MAX_BYTES];
	unsigned sensors, batch, pool;
	unsigned long long events;
	struct row (*rows)[BATCH_MAX];
	json_t **arrs;
	uint64_t *left, *seq, total = 0, nbatch = 0;
	char ids[SENSORS_MAX][32];
	struct timespec t0, t1;
	struct stat sb;
	sqlite3_stmt *ins;
	sqlite3 *db;
	FILE *f;
	double secs;
	int64_t now;
	bool more;

	if (argc != 3) {
		fprintf(stderr, "usage: sqliteref PLAN DB\n");
		return 2;
	}
	if (stat(argv[2], &sb) == 0)
		die("%s exists: give a new file", argv[2]);
	f = fopen(argv[1], "r");
	if (f == NULL)
		die("%s: %s", argv[1], strerror(errno));
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "kastro-ingest-plan sensors %u events %llu batch %u pool %u", &sensors,
		   &events, &batch, &pool) != 4)
		die("%s: not a plan from ingestload -w", argv[1]);
	if (sensors < 1 || sensors > SENSORS_MAX || batch < 1 || batch > BATCH_MAX || pool < 1 ||
	    pool > POOL_MAX || events < sensors)
		die("%s: sensors, batch or pool out of range", argv[1]);
	rows = calloc(pool, sizeof(*rows));
	left = calloc(sensors, sizeof(*left));
	seq = calloc(sensors, sizeof(*seq));
	arrs = calloc(pool, sizeof(*arrs));
	if (rows == NULL || left == NULL || seq == NULL || arrs == NULL)
		die("out of memory");
	for (unsigned p = 0; p < pool; p++) {
		json_error_t je;

		if (fgets(line, sizeof(line), f) == NULL)
			die("%s: %u pool lines, header says %u", argv[1], p, pool);
		arrs[p] = json_loads(line, 0, &je);
		if (!json_is_array(arrs[p]) || json_array_size(arrs[p]) != batch)
			die("%s: pool line %u: not an array of %u events (%s)", argv[1], p + 1, batch,
			    je.text);
		for (unsigned i = 0; i < batch; i++)
			row_make(json_array_get(arrs[p], i), &rows[p][i]);
	}
	fclose(f);

	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die("%s: %s", argv[2], sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	/* the console's settings (store_open: CACHE_KIB, WAL_CHECKPOINT_PAGES) */
	exec_sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
		 "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000");
	exec_sql(db, "PRAGMA journal_mode = WAL");
	exec_sql(db, schema_sql);
	now = (int64_t)time(NULL);
	for (unsigned k = 0; k < sensors; k++) {
		char sql[256];

		snprintf(ids[k], sizeof(ids[k]), "s-%024x", k + 1);
		snprintf(sql, sizeof(sql), "INSERT INTO sensors (id, kind, hostname, enrolled_at) "
			 "VALUES ('%s', 'gateway', 'gw-%02u', %" PRId64 ")", ids[k], k + 1, now);
		exec_sql(db, sql);
		left[k] = events / sensors + (k < events % sensors);
	}
	if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) !=
	    SQLITE_OK)
		die("preparing the insert: %s", sqlite3_errmsg(db));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		more = false;
		for (unsigned k = 0; k < sensors; k++) {
			const struct row *pl = rows[(k + seq[k] / batch) % pool];
			unsigned n = left[k] < batch ? (unsigned)left[k] : batch;

			if (n == 0)
				continue;
			now = (int64_t)time(NULL);
			exec_sql(db, "BEGIN IMMEDIATE");
			for (unsigned i = 0; i < n; i++) {
				sqlite3_bind_text(ins, 1, ids[k], -1, SQLITE_STATIC);
				sqlite3_bind_int64(ins, 2, (int64_t)(seq[k] + i + 1));
				sqlite3_bind_int64(ins, 3, pl[i].ts);
				sqlite3_bind_int64(ins, 4, now);
				sqlite3_bind_text(ins, 5, pl[i].type, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins, 6, pl[i].host, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins, 7, pl[i].body, -1, SQLITE_STATIC);
				if (sqlite3_step(ins) != SQLITE_DONE)
					die("insert: %s", sqlite3_errmsg(db));
				sqlite3_reset(ins);
			}
			exec_sql(db, "COMMIT");
			seq[k] += n;
			left[k] -= n;
			total += n;
			nbatch++;
			more = more || left[k] > 0;
		}
	} while (more);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (total != events)
		die("inserted %" PRIu64 " events, planned %llu", total, events);
	printf("sqliteref: events %" PRIu64 " batches %" PRIu64 " seconds %.3f events/s %.0f\n",
	       total, nbatch, secs, (double)total / secs);

	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (unsigned p = 0; p < pool; p++) {
		for (unsigned i = 0; i < batch; i++)
			free(rows[p][i].body);
		json_decref(arrs[p]);
	}
	free(arrs);
	free(rows);
	free(left);
	free(seq);
	return 0;
}
