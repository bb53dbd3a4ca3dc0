/*
 * invpush.c - see invpush.h.
 */
#include "invpush.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "errf.h"
#include "inventory.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "sha256hex.h"
#include "sensorapi.h"

#define INVPUSH_MAX_SENSORS 65536       /* sensors remembered as up to date */

struct invpush {
	char sha256[65];
	size_t size;
	bool none, over;                /* no services; over INV_SRC_MAX: nothing pushed */
	struct seen {
		char id[STORE_ID_MAX + 1];
	} *seen;                        /* sensors this inventory was queued for (or agents) */
	size_t n_seen, cap_seen;
};

static struct invpush *state(struct console *c)
{
	const struct inventory *inv = c->conf.inv;
	struct invpush *ip = c->invpush;

	if (ip != NULL)
		return ip;
	ip = c->invpush = calloc(1, sizeof(*ip));
	if (ip == NULL)
		return NULL;
	ip->none = inv == NULL || inv->n == 0;
	ip->over = !ip->none && inv->src_over;
	if (ip->none || ip->over) {
		if (ip->over)
			log_err("the services inventory is over %u bytes: it is not pushed to "
				"the gateways (they keep enforcing their last copy)", INV_SRC_MAX);
		return ip;
	}
	ip->size = inv->src_len;
	if (sha256_hex(inv->src, inv->src_len, ip->sha256) < 0) {
		ip->none = true;
		log_err("cannot hash the services inventory: it is not pushed");
		return ip;
	}
	log_info("services inventory: %d services, %zu bytes, sha256 %s, pushed to each "
		 "gateway at its first poll", inv->n, ip->size, ip->sha256);
	return ip;
}

static bool seen(const struct invpush *ip, const char *id)
{
	for (size_t i = 0; i < ip->n_seen; i++)
		if (strcmp(ip->seen[i].id, id) == 0)
			return true;
	return false;
}

static void remember(struct invpush *ip, const char *id)
{
	if (strlen(id) > STORE_ID_MAX || ip->n_seen >= INVPUSH_MAX_SENSORS)
		return;
	if (ip->n_seen == ip->cap_seen) {
		size_t cap = ip->cap_seen ? ip->cap_seen * 2 : 16;
		struct seen *n = realloc(ip->seen, cap * sizeof(*n));

		if (n == NULL)
			return;
		ip->seen = n;
		ip->cap_seen = cap;
	}
	snprintf(ip->seen[ip->n_seen++].id, sizeof(ip->seen[0].id), "%s", id);
}

void invpush_poll(struct console *c, const char *sensor_id)
{
	struct invpush *ip = state(c);
	struct store_sensor row;
	char args[160], err[256];
	int64_t id = 0;

	if (ip == NULL || ip->none || ip->over || seen(ip, sensor_id))
		return;
	if (store_sensor_get(c->store, sensor_id, &row, NULL, err, sizeof(err)) != 0) {
		log_err("inventory push to sensor %s: %s", sensor_id, err);
		return;
	}
	if (strcmp(row.kind, "gateway") != 0) {
		remember(ip, sensor_id);        /* agents take no inventory */
		return;
	}
	snprintf(args, sizeof(args), "{\"sha256\":\"%s\",\"size\":%zu}", ip->sha256, ip->size);
	if (store_command_add(c->store, sensor_id, "inventory", args, NULL, (int64_t)console_now(),
			      &id, err, sizeof(err)) < 0) {
		log_err("inventory push to gateway %s: %s", sensor_id, err);
		return;
	}
	remember(ip, sensor_id);
	log_info("inventory push to gateway %s queued (command %lld, sha256 %.12s...)", sensor_id,
		 (long long)id, ip->sha256);
}

void invpush_serve(struct console *c, struct evhttp_request *req, const char *sensor_id)
{
	struct invpush *ip = state(c);
	struct evbuffer *out;

	if (ip == NULL) {
		server_reply_error(req, 503, "out of memory");
		return;
	}
	if (ip->none) {
		server_reply_error(req, 404, "this console has no services inventory");
		return;
	}
	if (ip->over) {
		server_reply_error(req, 413, "the services inventory is over %u bytes, the most "
				   "a gateway takes", INV_SRC_MAX);
		return;
	}
	out = evbuffer_new();
	if (out == NULL || evbuffer_add(out, c->conf.inv->src, ip->size) < 0) {
		if (out != NULL)
			evbuffer_free(out);
		server_reply_error(req, 503, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Kastro-SHA256", ip->sha256);
	server_send(req, 200, out);
	evbuffer_free(out);
	log_info("sensor %s fetched the services inventory (sha256 %.12s...)", sensor_id,
		 ip->sha256);
}

void invpush_free(struct console *c)
{
	if (c->invpush == NULL)
		return;
	free(c->invpush->seen);
	free(c->invpush);
	c->invpush = NULL;
}

static int push_one(void *arg, const struct store_sensor *row)
{
	struct console *c = arg;

	if (row->revoked_at != 0 || strcmp(row->kind, "gateway") != 0)
		return 0;
	invpush_poll(c, row->id);
	sensorapi_wake(c, row->id);
	return 0;
}

int invpush_reload(struct console *c, char *err, size_t errlen)
{
	struct invpush *ip = c->invpush;
	const struct inventory *inv = c->conf.inv;
	char sha[65] = "";

	if (ip != NULL && inv != NULL && inv->n > 0 && !inv->src_over &&
	    sha256_hex(inv->src, inv->src_len, sha) == 0 && !ip->none && !ip->over &&
	    strcmp(sha, ip->sha256) == 0)
		return 0;       /* the same text: the gateways have it or will */
	invpush_free(c);
	if (state(c) == NULL)
		return errf(err, errlen, "inventory push: out of memory");
	if (c->invpush->none || c->invpush->over)
		return 0;
	return store_sensor_list(c->store, push_one, c, err, errlen);
}
