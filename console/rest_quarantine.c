/*
 * rest_quarantine.c - see rest_quarantine.h. The agent checks the
 * command's arguments again (agentcmd_quarantine_args); here they are
 * checked before they are queued, so a bad id is a 400 at once.
 */
#include "rest_quarantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console.h"
#include "log.h"
#include "num.h"
#include "sensorapi.h"
#include "server.h"
#include "store.h"

/* "q-" and 16 lowercase hex digits, as the agent names items */
static bool qid_ok(const char *s)
{
	return strlen(s) == 18 && strncmp(s, "q-", 2) == 0 &&
	       strspn(s + 2, "0123456789abcdef") == 16;
}

bool rest_quarantine_changes(char **seg, int n)
{
	return n == 4 && strcmp(seg[1], "quarantine") == 0 &&
	       (strcmp(seg[3], "restore") == 0 || strcmp(seg[3], "purge") == 0);
}

/* 0 when id is an agent's (else answered: 404, or 400 for a gateway) */
static int agent_of(struct console *c, struct evhttp_request *req, const char *id)
{
	struct store_sensor s;
	char err[256];
	int r = store_sensor_get(c->store, id, &s, NULL, err, sizeof(err));

	if (r == STORE_NOT_FOUND) {
		server_reply_error(req, 404, "no sensor %.64s", id);
		return -1;
	}
	if (r != 0) {
		log_err("quarantine: %s", err);
		server_reply_error(req, 500, "the sensor cannot be read");
		return -1;
	}
	if (strcmp(s.kind, "agent") != 0) {
		server_reply_error(req, 400, "sensor %.64s is a %s: only agents keep a quarantine", id,
				   s.kind);
		return -1;
	}
	return 0;
}

/* Queue the command and answer 202 {"command": N}. */
static void queue(struct console *c, struct evhttp_request *req, const char *sensor,
		  const char *args, const char *user)
{
	char err[512];
	int64_t id;

	if (store_command_add(c->store, sensor, "quarantine", args, user, (int64_t)console_now(),
			      &id, err, sizeof(err)) < 0) {
		server_reply_error(req, 409, "%s", err);
		return;
	}
	sensorapi_wake(c, sensor);
	server_reply_json(req, 202, json_pack("{s:I}", "command", (json_int_t)id));
}

struct one {
	int64_t id;
	json_t *out;
};

static int command_row(void *arg, const struct store_command *row)
{
	struct one *o = arg;
	json_t *res;

	if (row->id != o->id)
		return 0;
	res = row->result != NULL ? json_loads(row->result, 0, NULL) : NULL;
	o->out = json_pack("{s:I,s:s,s:s,s:I,s:I,s:o}", "id", (json_int_t)row->id, "type",
			   row->type, "status", row->status, "created_at",
			   (json_int_t)row->created_at, "done_at", (json_int_t)row->done_at,
			   "result", res != NULL ? res : json_null());
	return 0;
}

static void command_show(struct console *c, struct evhttp_request *req, const char *sensor,
			 const char *num)
{
	struct one o = { 0 };
	uint64_t id;
	char err[512];

	if (num_parse_u64(num, 1, INT64_MAX - 1, &id) < 0) {
		server_reply_error(req, 404, "no such command");
		return;
	}
	o.id = (int64_t)id;
	if (store_command_list(c->store, sensor, o.id + 1, 1, command_row, &o, err,
			       sizeof(err)) < 0) {
		log_err("commands: %s", err);
		server_reply_error(req, 500, "the command cannot be read");
		return;
	}
	if (o.out == NULL) {
		server_reply_error(req, 404, "sensor %.64s has no command %llu", sensor,
				   (unsigned long long)id);
		return;
	}
	server_reply_json(req, 200, json_pack("{s:o}", "command", o.out));
}

void rest_quarantine(struct console *c, struct evhttp_request *req, char **seg, int n, bool post,
		     const char *user, const char *addr)
{
	char args[128], err[512], detail[128];

	if (n == 3 && !post && strcmp(seg[1], "commands") == 0) {
		command_show(c, req, seg[0], seg[2]);
		return;
	}
	if (n == 2 && post && strcmp(seg[1], "quarantine") == 0) {
		json_t *j = server_json_body(req, "quarantine list"), *f;
		json_int_t from = 0;

		if (j == NULL)
			return;
		f = json_object_get(j, "from");
		if (f != NULL && (!json_is_integer(f) || json_integer_value(f) < 0)) {
			json_decref(j);
			server_reply_error(req, 400, "from: expected a number of items, 0 or more");
			return;
		}
		from = f != NULL ? json_integer_value(f) : 0;
		json_decref(j);
		if (agent_of(c, req, seg[0]) < 0)
			return;
		snprintf(args, sizeof(args), "{\"action\":\"list\",\"from\":%lld}", (long long)from);
		queue(c, req, seg[0], args, user);
		return;
	}
	if (post && rest_quarantine_changes(seg, n)) {
		bool restore = strcmp(seg[3], "restore") == 0;

		if (!qid_ok(seg[2])) {
			server_reply_error(req, 400, "%.40s: expected a quarantine id (q- and 16 hex "
					   "digits)", seg[2]);
			return;
		}
		if (agent_of(c, req, seg[0]) < 0)
			return;
		snprintf(args, sizeof(args), "{\"action\":\"%s\",\"id\":\"%s\"}",
			 restore ? "restore" : "delete", seg[2]);
		snprintf(detail, sizeof(detail), "%s on %.64s", seg[2], seg[0]);
		if (store_audit(c->store, (int64_t)console_now(), user, addr,
				restore ? "quarantine.restore" : "quarantine.delete", detail, err,
				sizeof(err)) < 0)
			log_err("audit: %s", err);
		queue(c, req, seg[0], args, user);
		return;
	}
	server_reply_error(req, 404, "no such endpoint");
}
