/*
 * linkinv.c - see linkinv.h.
 */
#include "linkinv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inventory.h"
#include "log.h"
#include "sha256hex.h"

void linkinv_init(struct linkinv *li, int ipc_fd)
{
	memset(li, 0, sizeof(*li));
	li->ipc_fd = ipc_fd;
	pthread_mutex_init(&li->mu, NULL);
}

int linkinv_args(const json_t *args, char sha256[65], uint64_t *size, char *err, size_t errlen)
{
	const json_t *h = json_object_get(args, "sha256"), *n = json_object_get(args, "size");
	const char *s;

	if (!json_is_string(h) || strlen(s = json_string_value(h)) != 64 ||
	    strspn(s, "0123456789abcdef") != 64) {
		snprintf(err, errlen, "args: expected \"sha256\", 64 lower-case hex digits");
		return -1;
	}
	if (!json_is_integer(n) || json_integer_value(n) < 0 ||
	    json_integer_value(n) > (json_int_t)INV_SRC_MAX) {
		snprintf(err, errlen, "args: expected \"size\", 0 .. %u bytes (the largest "
			 "inventory a gateway takes)", INV_SRC_MAX);
		return -1;
	}
	memcpy(sha256, s, 65);
	*size = (uint64_t)json_integer_value(n);
	return 0;
}

static void finish(struct linkinv *li, int64_t id, bool ok, json_t *res)
{
	pthread_mutex_lock(&li->mu);
	if (li->busy && li->id == id)
		li->busy = false;
	pthread_mutex_unlock(&li->mu);
	if (sensorlink_answer(li->l, id, ok, res) < 0)
		log_err("inventory push %lld: out of memory for its result", (long long)id);
}

/* Fetch, check, hand over; the answer comes from the parent (or here on failure). */
static int fetch_and_pass(struct linkinv *li, int64_t id, const char *want, uint64_t size,
			  char *err, size_t errlen)
{
	struct inventory *inv = NULL;
	struct ipc_inv m;
	char *body = NULL, got[65];
	size_t len = 0, off = 0;
	int fd = -1, rc = -1;

	if (sensorlink_fetch(li->l, "/sensor/v1/inventory", INV_SRC_MAX + 1, &body, &len, err,
			     errlen) < 0)
		return -1;
	if (len > INV_SRC_MAX) {
		snprintf(err, errlen, "the inventory is over %u bytes, the largest a gateway takes",
			 INV_SRC_MAX);
		goto out;
	}
	sha256_hex(body, len, got);
	if (len != size || strcmp(got, want) != 0) {
		snprintf(err, errlen, "the inventory fetched (%zu bytes, sha256 %.12s...) is not "
			 "the one announced (%llu bytes, sha256 %.12s...): it changed meanwhile",
			 len, got, (unsigned long long)size, want);
		goto out;
	}
	inv = inv_new();
	if (inv == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	inv->no_include = true;
	if (inv_load_buffer("inventory from the console", body, len, inv, err, errlen) < 0)
		goto out;
	fd = memfd_create("kastro-inventory", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, body + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "writing the inventory: %s", strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.sha256, got, sizeof(m.sha256));
	m.size = len;
	if (ipc_send_fd(li->ipc_fd, IPC_INV_PUSHED, &m, sizeof(m), fd) < 0) {
		snprintf(err, errlen, "cannot hand the inventory to kastrod's parent: %s",
			 strerror(errno));
		goto out;
	}
	log_info("inventory push %lld: %d services, %zu bytes, sha256 %s: handed to the parent",
		 (long long)id, inv->n, len, got);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	inv_free(inv);
	free(body);
	return rc;
}

struct job {
	struct linkinv *li;
	int64_t id;
	char sha256[65];
	uint64_t size;
};

static void *run(void *arg)
{
	struct job *j = arg;
	char err[4096];

	if (fetch_and_pass(j->li, j->id, j->sha256, j->size, err, sizeof(err)) < 0) {
		log_warn("inventory push %lld refused: %s", (long long)j->id, err);
		finish(j->li, j->id, false, linkp_error("%s", err));
	}
	free(j);
	return NULL;
}

enum sensorlink_answer linkinv_command(struct linkinv *li, const struct linkp_cmd *c,
				       json_t **result)
{
	struct job *j;
	pthread_attr_t at;
	pthread_t th;
	char err[256];

	if (strcmp(c->type, "inventory") != 0) {
		*result = linkp_error("unknown command \"%s\"", c->type);
		return SENSORLINK_FAILED;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		*result = linkp_error("out of memory");
		return SENSORLINK_FAILED;
	}
	if (linkinv_args(c->args, j->sha256, &j->size, err, sizeof(err)) < 0) {
		free(j);
		*result = linkp_error("%s", err);
		return SENSORLINK_FAILED;
	}
	j->li = li;
	j->id = c->id;
	pthread_mutex_lock(&li->mu);
	if (li->busy) {
		pthread_mutex_unlock(&li->mu);
		free(j);
		*result = linkp_error("another inventory push (command %lld) is being applied",
				      (long long)li->id);
		return SENSORLINK_FAILED;
	}
	li->busy = true;
	li->id = c->id;
	memcpy(li->sha256, j->sha256, sizeof(li->sha256));
	li->size = j->size;
	pthread_mutex_unlock(&li->mu);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, run, j) != 0) {
		pthread_attr_destroy(&at);
		pthread_mutex_lock(&li->mu);
		li->busy = false;
		pthread_mutex_unlock(&li->mu);
		free(j);
		*result = linkp_error("cannot start a thread for the push");
		return SENSORLINK_FAILED;
	}
	pthread_attr_destroy(&at);
	return SENSORLINK_LATER;
}

void linkinv_result(struct linkinv *li, const struct ipc_inv_result *r)
{
	int64_t id;
	bool busy;

	pthread_mutex_lock(&li->mu);
	busy = li->busy;
	id = li->id;
	pthread_mutex_unlock(&li->mu);
	if (!busy) {
		log_warn("the parent answered an inventory push that is not pending");
		return;
	}
	if (r->ok && r->msg[0] != '\0')
		finish(li, id, true, json_pack("{s:s, s:b, s:s}", "sha256", r->sha256, "applied", 1,
					       "note", r->msg));
	else if (r->ok)
		finish(li, id, true, json_pack("{s:s, s:b}", "sha256", r->sha256, "applied", 1));
	else
		finish(li, id, false, json_pack("{s:s, s:s}", "error", r->msg, "sha256",
						r->sha256));
}
