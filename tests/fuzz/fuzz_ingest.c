/*
 * fuzz_ingest.c - libFuzzer target: arbitrary bytes as the body of a
 * sensor's POST /sensor/v1/events, through store_ingest() into a real
 * SQLite database (kastro-console's view of a compromised or broken
 * sensor).
 *
 * Checks that a refusal always says why and stores nothing, and that an
 * accepted batch acknowledges its last sequence, stores at most as many
 * events as it held, and stores nothing when sent again.
 *
 * Batches are parsed in arenas (console/jarena.c), as in the console.
 *
 * The database lives in a directory made at start-up (under /dev/shm when
 * there is one: fsync on disk would make each input slow) and removed at
 * exit. Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jarena.h"
#include "store.h"

static struct store *st;
static char dir[64], path[96];

static void check(int ok)
{
	if (!ok)
		abort();
}

static void cleanup(void)
{
	char p[128];

	store_close(st);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/kastro-fuzz-ingest.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/console.db", dir);
	if (jarena_install(err, sizeof(err)) < 0 ||
	    store_open(path, 1, &st, err, sizeof(err)) < 0 ||
	    store_sensor_add(st, "s-fuzz", "gateway", "gw", "0123abcd", "{}", 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_ingest: %s\n", err);
		abort();
	}
	atexit(cleanup);
	return 0;
}

/* The sensor's acknowledged sequence as the database holds it. */
static int64_t acked(void)
{
	struct store_sensor s;
	char err[256];

	check(store_sensor_get(st, "s-fuzz", &s, NULL, err, sizeof(err)) == 0);
	return (int64_t)s.acked_seq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_ingest_result *res = calloc(1, sizeof(*res));
	uint64_t ack = 0, ack2 = 0;
	char err[512];
	int64_t before = acked();

	check(res != NULL);
	err[0] = '\0';
	if (store_ingest(st, "s-fuzz", (const char *)data, size, &ack, res, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		check(acked() == before);
		free(res);
		return 0;
	}
	check(res->inserted + res->duplicates >= 1 && res->inserted + res->duplicates <= STORE_BATCH_MAX);
	check(ack >= 1 && ack <= STORE_SEQ_MAX);
	check(acked() >= (int64_t)ack && acked() >= before);
	/* The same batch again stores nothing. */
	memset(res, 0, sizeof(*res));
	check(store_ingest(st, "s-fuzz", (const char *)data, size, &ack2, res, err, sizeof(err)) == 0);
	check(ack2 == ack && res->inserted == 0);
	free(res);
	return 0;
}
