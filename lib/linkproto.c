/*
 * linkproto.c - see linkproto.h.
 */
#include "linkproto.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *what, const char *detail)
{
	snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
	return -1;
}

int linkp_event_class(const char *json, size_t len, enum spool_class *cls,
		      char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *t;
	const char *type;

	if (len == 0 || len > LINKP_EVENT_MAX)
		return fail(err, errlen, "event of a bad size", NULL);
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return fail(err, errlen, "event is not JSON", je.text);
	t = json_object_get(j, "event_type");
	type = json_string_value(t);
	if (!json_is_object(j) || !type || type[0] == '\0') {
		json_decref(j);
		return fail(err, errlen, "event has no event_type", NULL);
	}
	if (strcmp(type, "alert") == 0 || strcmp(type, "probe_result") == 0)
		*cls = SPOOL_FINDING;       /* a probe's result is the continuity record */
	else if (strcmp(type, "stats") == 0 || strcmp(type, "heartbeat") == 0)
		*cls = SPOOL_HEARTBEAT;
	else
		*cls = SPOOL_EVENT;
	json_decref(j);
	return 0;
}

int linkp_batch_init(struct linkp_batch *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if (cap > LINKP_BATCH_MAX_BYTES)
		cap = LINKP_BATCH_MAX_BYTES;
	b->buf = malloc(cap);
	if (!b->buf)
		return -1;
	b->cap = cap;
	return 0;
}

void linkp_batch_free(struct linkp_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void linkp_batch_reset(struct linkp_batch *b)
{
	b->len = 0;
	b->n = 0;
	b->first_seq = b->last_seq = 0;
}

int linkp_batch_add(struct linkp_batch *b, uint64_t seq, const void *json, size_t len)
{
	char head[64];
	int h = 0;
	size_t need;

	if (b->n == 0) {
		h = snprintf(head, sizeof(head), "{\"first_seq\":%llu,\"events\":[",
			     (unsigned long long)seq);
		if (h < 0 || (size_t)h >= sizeof(head))
			return -1;
	} else if (seq != b->last_seq + 1 || b->n >= LINKP_BATCH_MAX_EVENTS) {
		return 1;
	}
	/* the event, a comma before it, and room for the closing "]}" */
	need = (size_t)h + (b->n > 0) + len + 2;
	if (b->len + need > b->cap)
		return b->n == 0 ? -1 : 1;
	if (b->n == 0) {
		memcpy(b->buf, head, (size_t)h);
		b->len = (size_t)h;
		b->first_seq = seq;
	} else {
		b->buf[b->len++] = ',';
	}
	memcpy(b->buf + b->len, json, len);
	b->len += len;
	b->last_seq = seq;
	b->n++;
	return 0;
}

void linkp_batch_finish(struct linkp_batch *b)
{
	/* linkp_batch_add() kept room for these two */
	b->buf[b->len++] = ']';
	b->buf[b->len++] = '}';
}

int linkp_parse_ack(const char *body, size_t len, uint64_t first, uint64_t last,
		    uint64_t *ack, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *a;
	json_int_t v;

	j = json_loadb(body, len, 0, &je);
	if (!j)
		return fail(err, errlen, "answer to a batch is not JSON", je.text);
	a = json_object_get(j, "ack");
	if (!json_is_object(j) || !json_is_integer(a)) {
		json_decref(j);
		return fail(err, errlen, "answer to a batch has no integer ack", NULL);
	}
	v = json_integer_value(a);
	json_decref(j);
	if (v < 0 || (uint64_t)v < first || (uint64_t)v > last) {
		snprintf(err, errlen, "ack %lld is outside the batch %llu..%llu", (long long)v,
			 (unsigned long long)first, (unsigned long long)last);
		return -1;
	}
	*ack = (uint64_t)v;
	return 0;
}

int linkp_parse_commands(const char *body, size_t len, struct linkp_cmd *out, size_t max,
			 size_t *n, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *arr, *c;
	size_t i;

	*n = 0;
	j = json_loadb(body, len, 0, &je);
	if (!j)
		return fail(err, errlen, "command list is not JSON", je.text);
	arr = json_object_get(j, "commands");
	if (!json_is_object(j) || !json_is_array(arr)) {
		json_decref(j);
		return fail(err, errlen, "answer to a poll has no commands array", NULL);
	}
	if (json_array_size(arr) > max) {
		snprintf(err, errlen, "%zu commands in one answer, at most %zu taken",
			 json_array_size(arr), max);
		json_decref(j);
		return -1;
	}
	json_array_foreach(arr, i, c) {
		json_t *id = json_object_get(c, "id");
		const char *type = json_string_value(json_object_get(c, "type"));

		if (!json_is_object(c) || !json_is_integer(id) || json_integer_value(id) <= 0) {
			snprintf(err, errlen, "commands[%zu]: no positive integer id", i);
			while (i > 0)
				linkp_cmd_clear(&out[--i]);
			json_decref(j);
			*n = 0;
			return -1;
		}
		out[i].id = json_integer_value(id);
		out[i].type[0] = '\0';
		if (type && strlen(type) < sizeof(out[i].type))
			memcpy(out[i].type, type, strlen(type) + 1);
		out[i].args = json_object_get(c, "args");
		if (json_is_object(out[i].args))
			json_incref(out[i].args);
		else
			out[i].args = NULL;
	}
	*n = json_array_size(arr);
	json_decref(j);
	return 0;
}

void linkp_cmd_clear(struct linkp_cmd *c)
{
	json_decref(c->args);
	c->args = NULL;
}

char *linkp_result(int64_t id, bool done, json_t *result)
{
	json_t *j;
	char *s;

	if (!result)
		result = json_object();
	j = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "status", done ? "done" : "failed",
		      "result", result);
	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

json_t *linkp_pong(int64_t now, const char *program)
{
	return json_pack("{s:I,s:s}", "pong", (json_int_t)now, "sensor", program);
}

json_t *linkp_error(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "error", why);
}

uint32_t linkp_backoff(uint32_t *cur_ms, uint32_t rnd)
{
	uint32_t next = *cur_ms < LINKP_BACKOFF_MIN_MS ? LINKP_BACKOFF_MIN_MS :
			*cur_ms >= LINKP_BACKOFF_MAX_MS / 2 ? LINKP_BACKOFF_MAX_MS : *cur_ms * 2;

	*cur_ms = next;
	return next / 2 + rnd % (next / 2 + 1);
}

enum linkp_refusal linkp_refused(size_t n, unsigned *max_events)
{
	if (n <= 1)
		return LINKP_SKIP;
	*max_events = (unsigned)(n / 2);
	return LINKP_RETRY;
}

void linkp_accepted(unsigned *max_events)
{
	if (*max_events == 0)
		*max_events = 1;
	*max_events = *max_events >= LINKP_BATCH_MAX_EVENTS / 2 ? LINKP_BATCH_MAX_EVENTS
								 : *max_events * 2;
}
