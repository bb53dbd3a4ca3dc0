/*
 * store_ingest.c - sensors' event batches: checked (store_batch_parse(),
 * which touches no database and may run in another thread), then stored
 * idempotently on (sensor, seq) with alert deduplication, several batches
 * to a transaction (store_group_*()). Also reading one event back.
 *
 * By hand here: a scanner that finds each event's bytes in the batch so it
 * is stored as received, not serialised again.
 */
#include "store_int.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"
#include "isotime.h"
#include "jarena.h"

/* ---- ingest -------------------------------------------------------------------- */

/*
 * ISO 8601 as sensors write it (lib/isotime.h); without a zone, UTC. Unix
 * seconds into *out (negative before 1970); -1 when malformed.
 */
static int iso_parse(const char *v, int64_t *out)
{
	struct isotime t;

	if (isotime_split(v, &t) < 0)
		return -1;
	*out = isotime_utc(&t);
	return 0;
}

/* One event of a batch, checked. Strings point into the batch's JSON. */
struct pev {
	char *text;                     /* compact JSON, NUL-terminated (batch_texts()) */
	size_t text_len;
	bool text_owned;                /* malloc'd on its own, else in the batch's buffer */
	const char *type;
	int64_t ts;                     /* the event's own time, when has_ts */
	bool has_ts;
	const char *ts_text;            /* as the sensor wrote it */
	const char *host, *src_ip;      /* top-level strings, or NULL */
	/* kind != NULL: the event makes an alert */
	const char *kind, *sig, *category, *action;
	const char *app;                /* ndpi.app_protocol, else app_proto; NULL: none */
	int64_t sig_id;
	int severity;
};

/*
 * An optional string member: NULL when absent (or, with any_type, not a
 * string); -1 when not a string, too long or with control characters.
 */
static int opt_str(json_t *o, const char *key, size_t max, bool any_type, const char **out,
		   const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	char what[64];

	*out = NULL;
	if (v == NULL || json_is_null(v) || (any_type && !json_is_string(v)))
		return 0;
	if (json_is_string(v) && st_check_text("", json_string_value(v), max, TX_EMPTY, NULL, 0) == 0) {
		*out = json_string_value(v);
		return 0;
	}
	/* the message, with the member's name, only when it is needed */
	snprintf(what, sizeof(what), "%s%s", where, key);
	if (!json_is_string(v))
		return errf(err, errlen, "%s: expected a string", what);
	return st_check_text(what, json_string_value(v), max, TX_EMPTY, err, errlen);
}

/* A severity: an integer >= 1; above 4 counts as 4. */
static int severity_of(json_t *v, int *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return -1;
	x = json_integer_value(v);
	if (x < 1)
		return -1;
	*out = x > 4 ? 4 : (int)x;
	return 0;
}

/* Check one event e (index i) into p; -1 with a message without the index. */
static int pev_check(json_t *e, struct pev *p, char *err, size_t errlen)
{
	json_t *v, *a;
	const char *ts;

	if (!json_is_object(e))
		return errf(err, errlen, "expected a JSON object");
	v = json_object_get(e, "event_type");
	if (v == NULL)
		return errf(err, errlen, "event_type missing");
	if (!json_is_string(v))
		return errf(err, errlen, "event_type: expected a string");
	p->type = json_string_value(v);
	if (st_check_word("event_type", p->type, STORE_EVTYPE_MAX, W_ID, err, errlen) < 0)
		return -1;
	if (strcmp(p->type, "sensor_offline") == 0)
		return errf(err, errlen, "event_type: \"sensor_offline\" is the console's own");
	v = json_object_get(e, "timestamp");
	if (v != NULL) {
		ts = json_string_value(v);
		if (ts == NULL || iso_parse(ts, &p->ts) < 0)
			return errf(err, errlen, "timestamp: expected ISO 8601, like "
				    "2026-11-27T21:00:00.123456+0000");
		p->has_ts = true;
		p->ts_text = ts;
	}
	/* Not ours to judge in events that are not alerts: other types
	 * there are ignored. */
	if (opt_str(e, "host", STORE_HOST_MAX, true, &p->host, "", err, errlen) < 0 ||
	    opt_str(e, "src_ip", STORE_HOST_MAX, true, &p->src_ip, "", err, errlen) < 0)
		return -1;
	p->sig_id = -1;
	if (strcmp(p->type, "alert") == 0) {
		a = json_object_get(e, "alert");
		if (!json_is_object(a))
			return errf(err, errlen, "alert: expected an object");
		v = json_object_get(a, "signature");
		if (!json_is_string(v))
			return errf(err, errlen, "alert.signature: expected a string");
		p->sig = json_string_value(v);
		if (st_check_text("alert.signature", p->sig, STORE_SIG_MAX, 0, err, errlen) < 0)
			return -1;
		if (severity_of(json_object_get(a, "severity"), &p->severity) < 0)
			return errf(err, errlen, "alert.severity: expected an integer from 1 (highest)");
		v = json_object_get(a, "signature_id");
		if (v != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return errf(err, errlen, "alert.signature_id: expected an integer >= 0");
			p->sig_id = json_integer_value(v);
		}
		if (opt_str(a, "category", STORE_CATEGORY_MAX, false, &p->category, "alert.", err,
			    errlen) < 0 ||
		    opt_str(a, "action", STORE_ACTION_MAX, false, &p->action, "alert.", err, errlen) < 0)
			return -1;
		/* The application, for "top blocked applications": a bad or
		 * missing one is not a reason to refuse the alert. */
		v = json_object_get(json_object_get(e, "ndpi"), "app_protocol");
		if (!json_is_string(v) || st_check_text("ndpi.app_protocol", json_string_value(v),
							STORE_CATEGORY_MAX, 0, NULL, 0) < 0 ||
		    strcmp(json_string_value(v), "Unknown") == 0)
			v = json_object_get(e, "app_proto");
		if (json_is_string(v) && st_check_text("app_proto", json_string_value(v), STORE_CATEGORY_MAX,
						       0, NULL, 0) == 0)
			p->app = json_string_value(v);
		p->kind = "alert";
	} else if (strcmp(p->type, "finding") == 0) {
		a = json_object_get(e, "finding");
		if (!json_is_object(a))
			return errf(err, errlen, "finding: expected an object");
		v = json_object_get(a, "rule");
		if (!json_is_string(v))
			return errf(err, errlen, "finding.rule: expected a string");
		p->sig = json_string_value(v);
		if (st_check_text("finding.rule", p->sig, STORE_SIG_MAX, 0, err, errlen) < 0)
			return -1;
		/* A YARA hit on an endpoint is serious unless the rule says
		 * otherwise. */
		p->severity = 2;
		v = json_object_get(a, "severity");
		if (v != NULL && severity_of(v, &p->severity) < 0)
			return errf(err, errlen, "finding.severity: expected an integer from 1 (highest)");
		if (opt_str(a, "category", STORE_CATEGORY_MAX, false, &p->category, "finding.", err,
			    errlen) < 0 ||
		    opt_str(a, "action", STORE_ACTION_MAX, false, &p->action, "finding.", err,
			    errlen) < 0)
			return -1;
		p->kind = "finding";
	}
	return 0;
}

/*
 * The byte spans of a batch's events in its text, for storing each as it
 * was received instead of serialising it again (which took more time than
 * anything else but parsing).
 *
 * Only ever run on text jansson has parsed without error, so it is valid
 * JSON and the scanner need not judge it; still every step is bounded by
 * end and anything unexpected gives up (-1), and the caller then falls
 * back to json_dumps(). The "events" member is found by its key as
 * written: a key spelled with escapes is not recognised (-1 again), and
 * there is no other member of that name (jansson refused duplicates).
 */
struct span {
	const char *p;
	size_t len;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at a '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* p at a value: just past it, or NULL. Nesting needs no stack: strings
 * are skipped whole and the text is known to be balanced. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	while (p < end) {
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			if (depth == 0)
				return p;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;       /* a scalar ended by its container */
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

/*
 * Copy the value at p (before end) into out without the white space
 * outside strings: just past the value, or NULL. *olen gets the bytes
 * written, at most the value's own length.
 */
static const char *copy_value(const char *p, const char *end, char *out, size_t *olen)
{
	size_t depth = 0, o = 0;

	while (p < end) {
		char ch = *p;

		switch (ch) {
		case '"':
			/* a string whole: up to the quote no backslash escapes */
			out[o++] = *p++;
			while (p < end && *p != '"') {
				if (*p == '\\') {
					if (end - p < 2)
						return NULL;
					out[o++] = *p++;
				}
				out[o++] = *p++;
			}
			if (p == end)
				return NULL;
			out[o++] = *p++;
			if (depth == 0)
				goto done;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				goto done;      /* a scalar ended by its container */
			out[o++] = ch;
			p++;
			if (--depth == 0)
				goto done;
			continue;
		case ',':
			if (depth == 0)
				goto done;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (depth == 0)
				goto done;
			p++;
			continue;
		default:
			break;
		}
		out[o++] = ch;
		p++;
	}
	if (depth != 0)
		return NULL;
done:
	*olen = o;
	return p;
}

/*
 * The n elements of the top-level "events" array, compacted, into out (at
 * least len bytes): each one's start and length in sp. 0, or -1.
 */
static int event_spans(const char *body, size_t len, struct span *sp, size_t n, char *out)
{
	const char *p = body, *end = body + len, *key, *v;
	bool events;
	size_t k = 0;

	p = skip_ws(p, end);
	if (p == end || *p != '{')
		return -1;
	p = skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		key = p;
		p = skip_string(p, end);
		if (p == NULL)
			return -1;
		events = p - key == 8 && memcmp(key, "\"events\"", 8) == 0;
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return -1;
		p = skip_ws(p + 1, end);
		if (events) {
			if (p == end || *p != '[')
				return -1;
			p = skip_ws(p + 1, end);
			while (p < end && *p != ']') {
				if (k == n)
					return -1;
				v = copy_value(p, end, out, &sp[k].len);
				if (v == NULL || v == p || sp[k].len == 0)
					return -1;
				sp[k++].p = out;
				/* room for a NUL: the value was followed by ',' or ']' */
				out += sp[k - 1].len + 1;
				p = skip_ws(v, end);
				if (p < end && *p == ',')
					p = skip_ws(p + 1, end);
			}
			return k == n ? 0 : -1;
		}
		p = skip_value(p, end);
		if (p == NULL)
			return -1;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	return -1;
}

/*
 * Count the alert on the open row it repeats, or make a row; in the
 * caller's transaction. *id gets the row, *is_new whether it was made.
 */
int st_alert_make(struct store *s, const struct alert_in *a, int64_t *id, bool *is_new,
		  char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, was = 0;

	*id = 0;
	if (s->dedup_s > 0) {
		st = st_stmt(s, ST_ALERT_FIND, err, errlen);
		if (st == NULL)
			return -1;
		st_bind_text(st, 1, a->sensor_id);
		st_bind_text(st, 2, a->host);
		st_bind_text(st, 3, a->sig);
		st_bind_text(st, 4, a->kind);
		sqlite3_bind_int64(st, 5, a->ts);
		sqlite3_bind_int64(st, 6, s->dedup_s);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
			was = sqlite3_column_int(st, 1);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return st_dberr(s, err, errlen, "finding the alert to count on");
	}
	if (*id > 0) {
		st = st_stmt(s, ST_ALERT_BUMP, err, errlen);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, a->ts);
		*is_new = false;
		if (st_run(s, st, "counting an alert", NULL, err, errlen) < 0)
			return -1;
		if (a->severity >= 1 && a->severity < was) {
			/* a repeat more severe than the alert: it escalates, and goes
			   again to every hook it passes now (those it went to see it) */
			st = st_stmt(s, ST_ALERT_ESCALATE, err, errlen);
			if (st == NULL)
				return -1;
			sqlite3_bind_int64(st, 1, *id);
			sqlite3_bind_int(st, 2, a->severity);
			if (st_run(s, st, "escalating an alert", NULL, err, errlen) < 0)
				return -1;
			return st_outbox_escalated(s, *id, a, err, errlen);
		}
		return st_outbox_enqueue(s, *id, a, false, err, errlen);
	}
	st = st_stmt(s, ST_ALERT_INSERT, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, a->kind);
	st_bind_text(st, 2, a->sensor_id);
	st_bind_text(st, 3, a->host);
	sqlite3_bind_int64(st, 4, a->sig_id);
	st_bind_text(st, 5, a->sig);
	st_bind_text(st, 6, a->category != NULL ? a->category : "");
	sqlite3_bind_int(st, 7, a->severity);
	st_bind_text(st, 8, a->action != NULL ? a->action : "");
	sqlite3_bind_int64(st, 9, a->ts);
	sqlite3_bind_int64(st, 10, a->seq);
	st_bind_text(st, 11, a->app != NULL ? a->app : "");
	st_bind_text(st, 12, a->claimed_host != NULL ? a->claimed_host : "");
	sqlite3_bind_int(st, 13, (int)a->flags);
	if (st_run(s, st, "storing an alert", NULL, err, errlen) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	*is_new = true;
	return st_outbox_enqueue(s, *id, a, true, err, errlen);
}

/* Insert one event (body: blen bytes); *inserted 0 when (sensor, seq) was stored already. */
int st_event_insert_claim(struct store *s, const char *sensor_id, int64_t seq, int64_t ts,
			  int64_t received, const char *type, const char *host, const char *body,
			  size_t blen, const char *claim, unsigned flags, bool *inserted,
			  char *err, size_t errlen)
{
	sqlite3_stmt *st = st_stmt(s, ST_EVENT_INSERT, err, errlen);
	int64_t n;

	if (st == NULL)
		return -1;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, ts);
	sqlite3_bind_int64(st, 4, received);
	st_bind_text(st, 5, type);
	st_bind_text(st, 6, host);
	sqlite3_bind_text(st, 7, body, (int)blen, SQLITE_STATIC);
	st_bind_text(st, 8, claim != NULL ? claim : "");
	sqlite3_bind_int(st, 9, (int)flags);
	if (st_run(s, st, "storing an event", &n, err, errlen) < 0)
		return -1;
	*inserted = n > 0;
	return 0;
}

int st_event_insert(struct store *s, const char *sensor_id, int64_t seq, int64_t ts,
		    int64_t received, const char *type, const char *host, const char *body,
		    size_t blen, bool *inserted, char *err, size_t errlen)
{
	return st_event_insert_claim(s, sensor_id, seq, ts, received, type, host, body, blen, NULL,
				     0, inserted, err, errlen);
}

struct store_batch {
	struct jarena *arena;           /* the tree's blocks (jarena.h), or NULL: malloc's */
	json_t *root;
	struct pev *ev;                 /* n */
	size_t n;
	uint64_t first;
	char *texts;                    /* the events' texts, NUL after each; or NULL */
};

void store_batch_free(struct store_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (b->ev[i].text_owned)
			free(b->ev[i].text);
	free(b->ev);
	free(b->texts);
	/* the arena's blocks go with it: only a tree with some of malloc's is walked */
	if (b->arena == NULL || jarena_mixed(b->arena))
		json_decref(b->root);
	jarena_free(b->arena);
	free(b);
}

/* Check a whole batch into b->ev (b->n events, first sequence b->first). */
static int batch_check(struct store_batch *b, char *err, size_t errlen)
{
	json_t *fs = json_object_get(b->root, "first_seq"), *arr = json_object_get(b->root, "events");
	char why[400];
	size_t i, n;
	json_int_t x;

	if (fs == NULL)
		return errf(err, errlen, "first_seq missing");
	if (!json_is_integer(fs))
		return errf(err, errlen, "first_seq: expected an integer");
	x = json_integer_value(fs);
	if (x < 1 || (uint64_t)x > STORE_SEQ_MAX)
		return errf(err, errlen, "first_seq: expected 1 to 2^53");
	if (arr == NULL)
		return errf(err, errlen, "events missing");
	if (!json_is_array(arr))
		return errf(err, errlen, "events: expected an array");
	n = json_array_size(arr);
	if (n == 0)
		return errf(err, errlen, "events: empty");
	if (n > STORE_BATCH_MAX)
		return errf(err, errlen, "events: %zu events, at most %d in a batch", n,
			    STORE_BATCH_MAX);
	b->first = (uint64_t)x;
	if (b->first + n - 1 > STORE_SEQ_MAX)
		return errf(err, errlen, "first_seq: the last event's sequence is beyond 2^53");
	b->ev = calloc(n, sizeof(*b->ev));
	if (b->ev == NULL)
		return errf(err, errlen, "batch: out of memory");
	b->n = n;
	for (i = 0; i < n; i++)
		if (pev_check(json_array_get(arr, i), &b->ev[i], why, sizeof(why)) < 0)
			return errf(err, errlen, "events[%zu]: %s", i, why);
	return 0;
}

/*
 * Every event's text as compact JSON: its bytes as received, white space
 * outside strings dropped (one buffer for all), or where they cannot be
 * found, jansson's serialisation. The same value either way.
 */
static int batch_texts(struct store_batch *b, const char *body, size_t len, char *err,
		       size_t errlen)
{
	json_t *arr = json_object_get(b->root, "events");
	struct span *sp = malloc(b->n * sizeof(*sp));
	size_t i;

	/* the texts and a NUL after each fit: they were apart by a ',' at least */
	b->texts = malloc(len + 1);
	if (sp == NULL || b->texts == NULL) {
		free(sp);
		return errf(err, errlen, "batch: out of memory");
	}
	if (event_spans(body, len, sp, b->n, b->texts) == 0) {
		for (i = 0; i < b->n; i++) {
			b->ev[i].text = (char *)sp[i].p;
			b->ev[i].text_len = sp[i].len;
			b->ev[i].text[sp[i].len] = '\0';
		}
	} else {
		free(b->texts);
		b->texts = NULL;
		for (i = 0; i < b->n; i++) {
			b->ev[i].text = json_dumps(json_array_get(arr, i), JSON_COMPACT);
			if (b->ev[i].text == NULL) {
				free(sp);
				return errf(err, errlen, "batch: out of memory");
			}
			b->ev[i].text_owned = true;
			b->ev[i].text_len = strlen(b->ev[i].text);
		}
	}
	free(sp);
	for (i = 0; i < b->n; i++)
		if (b->ev[i].text_len > STORE_EVENT_MAX)
			return errf(err, errlen, "events[%zu]: longer than %d bytes as compact JSON",
				    i, STORE_EVENT_MAX);
	return 0;
}

int store_batch_parse(const char *body, size_t len, struct store_batch **out, char *err,
		      size_t errlen)
{
	struct store_batch *b;
	json_error_t je;

	*out = NULL;
	if (body == NULL || len > STORE_BODY_MAX)
		return errf(err, errlen, "batch: larger than %d bytes", STORE_BODY_MAX);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return errf(err, errlen, "batch: out of memory");
	b->arena = jarena_begin();
	b->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	jarena_end();
	if (b->root == NULL) {
		errf(err, errlen, "batch: not JSON: %s (at byte %d)", je.text, je.position);
		goto fail;
	}
	if (!json_is_object(b->root)) {
		errf(err, errlen, "batch: expected a JSON object");
		goto fail;
	}
	if (batch_check(b, err, errlen) < 0 || batch_texts(b, body, len, err, errlen) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	store_batch_free(b);
	return -1;
}

unsigned store_batch_events(const struct store_batch *b)
{
	return (unsigned)b->n;
}

json_t *store_batch_event(const struct store_batch *b, unsigned i, const char **type,
			  int64_t *seq)
{
	if (i >= b->n)
		return NULL;
	*type = b->ev[i].type;
	*seq = (int64_t)(b->first + i);
	return json_array_get(json_object_get(b->root, "events"), i);
}

int store_group_begin(struct store *s, char *err, size_t errlen)
{
	if (s->group)
		return errf(err, errlen, "a group of batches is open already");
	if (st_begin(s, err, errlen) < 0)
		return -1;
	s->group = true;
	return 0;
}

int store_group_commit(struct store *s, char *err, size_t errlen)
{
	if (!s->group)
		return errf(err, errlen, "no group of batches is open");
	s->group = false;
	return st_finish(s, err, errlen);
}

void store_group_rollback(struct store *s)
{
	s->group = false;
	st_rollback(s);
}

/* Undo a batch's savepoint, keeping the group's transaction. */
static void batch_undo(struct store *s)
{
	sqlite3_stmt *st = st_stmt(s, ST_BATCH_UNDO, NULL, 0);

	if (st != NULL)
		st_run(s, st, "rolling back a batch", NULL, NULL, 0);
	st = st_stmt(s, ST_BATCH_END, NULL, 0);
	if (st != NULL)
		st_run(s, st, "ending a batch", NULL, NULL, 0);
}

/*
 * What the console takes from an event: its host and time, the flags for
 * what it did not take and the sensor's own words for those (claim,
 * malloc'd JSON or NULL). See store_ingest() in store.h for the rules.
 */
struct pinned {
	const char *host;
	int64_t ts;
	unsigned flags;
	char *claim;
};

static int pin_event(const struct pev *p, const struct store_sensor *sen, bool agent,
		     int64_t now, struct pinned *out, char *err, size_t errlen)
{
	json_t *claim;

	memset(out, 0, sizeof(*out));
	if (!agent && p->src_ip != NULL && p->src_ip[0] != '\0')
		out->host = p->src_ip;
	else
		out->host = sen->hostname;
	if (p->host != NULL && p->host[0] != '\0' && strcasecmp(p->host, sen->hostname) != 0)
		out->flags |= STORE_FLAG_HOST;
	out->ts = now;
	if (p->has_ts) {
		if (p->ts > now + STORE_CLOCK_SKEW)
			out->flags |= STORE_FLAG_TS_FUTURE;
		else if (p->ts < sen->enrolled_at - STORE_CLOCK_PAST)
			out->flags |= STORE_FLAG_TS_PAST;
		else
			out->ts = p->ts;
	}
	if (out->flags == 0)
		return 0;
	claim = json_object();
	if (claim == NULL ||
	    ((out->flags & STORE_FLAG_HOST) &&
	     json_object_set_new(claim, "host", json_string(p->host)) < 0) ||
	    ((out->flags & (STORE_FLAG_TS_PAST | STORE_FLAG_TS_FUTURE)) &&
	     json_object_set_new(claim, "timestamp", json_string(p->ts_text)) < 0) ||
	    (out->claim = json_dumps(claim, JSON_COMPACT)) == NULL) {
		json_decref(claim);
		return errf(err, errlen, "batch: out of memory");
	}
	json_decref(claim);
	return 0;
}

int store_batch_store(struct store *s, const char *sensor_id, const struct store_batch *b,
		      uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen)
{
	struct store_ingest_result local;
	struct store_sensor sen;
	sqlite3_stmt *st;
	size_t i;
	int64_t now = (int64_t)time(NULL);
	bool agent;
	int rc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!s->group)
		return errf(err, errlen, "storing a batch: no group of batches is open");
	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_BATCH_BEGIN, err, errlen);
	if (st == NULL || st_run(s, st, "starting a batch", NULL, err, errlen) < 0)
		return -1;
	rc = st_sensor_get(s, sensor_id, &sen, NULL, err, errlen);
	if (rc != 0)
		goto fail;
	if (sen.revoked_at != 0) {
		errf(err, errlen, "sensor %s is revoked", sensor_id);
		goto fail;
	}
	agent = strcmp(sen.kind, "agent") == 0;
	for (i = 0; i < b->n; i++) {
		const struct pev *p = &b->ev[i];
		int64_t seq = (int64_t)(b->first + i);
		struct pinned pin;
		bool inserted, is_new = false;

		if (pin_event(p, &sen, agent, now, &pin, err, errlen) < 0)
			goto fail;
		rc = st_event_insert_claim(s, sensor_id, seq, pin.ts, now, p->type, pin.host, p->text,
					   p->text_len, pin.claim, pin.flags, &inserted, err, errlen);
		free(pin.claim);
		if (rc < 0)
			goto fail;
		if (!inserted) {
			res->duplicates++;
			continue;
		}
		res->inserted++;
		if (pin.flags & (STORE_FLAG_TS_PAST | STORE_FLAG_TS_FUTURE))
			res->ts_replaced++;
		if (pin.flags & STORE_FLAG_HOST)
			res->claims++;
		if (p->kind != NULL) {
			struct alert_in a = {
				.kind = p->kind, .sensor_id = sensor_id, .host = pin.host, .sig = p->sig,
				.category = p->category, .action = p->action, .app = p->app,
				.claimed_host = (pin.flags & STORE_FLAG_HOST) ? p->host : NULL,
				.sig_id = p->sig_id, .flags = pin.flags,
				.ts = pin.ts, .seq = seq, .severity = p->severity,
			};
			int64_t id;

			if (st_alert_make(s, &a, &id, &is_new, err, errlen) < 0)
				goto fail;
			if (is_new)
				res->alert_ids[res->alerts_new++] = id;
			else
				res->alerts_updated++;
		}
	}
	st = st_stmt(s, ST_SENSOR_INGESTED, err, errlen);
	if (st == NULL)
		goto fail;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (int64_t)(b->first + b->n - 1));
	if (st_run(s, st, "updating the sensor", NULL, err, errlen) < 0)
		goto fail;
	st = st_stmt(s, ST_BATCH_END, err, errlen);
	if (st == NULL || st_run(s, st, "ending a batch", NULL, err, errlen) < 0)
		goto fail;
	if (ack_out != NULL)
		*ack_out = b->first + b->n - 1;
	return 0;
fail:
	batch_undo(s);
	memset(res, 0, sizeof(*res));
	return -1;
}

int store_ingest(struct store *s, const char *sensor_id, const char *body, size_t len,
		 uint64_t *ack_out, struct store_ingest_result *res, char *err, size_t errlen)
{
	struct store_batch *b = NULL;
	int r = -1;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0 ||
	    store_batch_parse(body, len, &b, err, errlen) < 0)
		return -1;
	if (store_group_begin(s, err, errlen) < 0)
		goto out;
	if (store_batch_store(s, sensor_id, b, ack_out, res, err, errlen) < 0) {
		store_group_rollback(s);
		goto out;
	}
	if (store_group_commit(s, err, errlen) < 0) {
		if (res != NULL)
			memset(res, 0, sizeof(*res));
		goto out;
	}
	r = 0;
out:
	store_batch_free(b);
	return r;
}

/* Read an event row (EVENT_COLS) into ev; body points into the statement. */
int st_event_row(sqlite3_stmt *st, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (st_col_copy(st, 0, ev->sensor_id, sizeof(ev->sensor_id)) < 0 ||
	    st_col_copy(st, 3, ev->event_type, sizeof(ev->event_type)) < 0 ||
	    st_col_copy(st, 4, ev->host, sizeof(ev->host)) < 0)
		return -1;
	ev->seq = sqlite3_column_int64(st, 1);
	ev->ts = sqlite3_column_int64(st, 2);
	ev->body = st_col_str(st, 5);
	if (ev->body == NULL)
		ev->body = "{}";
	return 0;
}

int store_event_get(struct store *s, const char *sensor_id, int64_t seq, store_event_cb cb,
		    void *arg, char *err, size_t errlen)
{
	struct store_event ev;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (st_check_word("sensor id", sensor_id, STORE_ID_MAX, W_ID, err, errlen) < 0)
		return -1;
	st = st_stmt(s, ST_EVENT_GET, err, errlen);
	if (st == NULL)
		return -1;
	st_bind_text(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = STORE_NOT_FOUND;
		errf(err, errlen, "no event %" PRId64 " of sensor %s", seq, sensor_id);
	} else if (rc != SQLITE_ROW) {
		r = st_dberr(s, err, errlen, "reading an event");
	} else if (st_event_row(st, &ev) < 0) {
		r = errf(err, errlen, "event %" PRId64 " of sensor %s: a stored value is too long",
			 seq, sensor_id);
	} else {
		cb(arg, &ev);
	}
	sqlite3_reset(st);
	return r;
}
