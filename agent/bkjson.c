/*
 * bkjson.c - see bkjson.h. jansson parses; the time stamps lib/isotime.
 */
#include "bkjson.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"
#include "isotime.h"

int bkj_time(const char *s, int64_t *out)
{
	struct isotime t;
	int64_t v;

	if (isotime_split(s, &t) < 0 || t.year < 1970)
		return -1;
	if (!t.zoned) {
		/* local time, as borg writes it */
		struct tm tm = { .tm_year = (int)t.year - 1900, .tm_mon = (int)t.month - 1,
				 .tm_mday = (int)t.day, .tm_hour = (int)t.hour, .tm_min = (int)t.min,
				 .tm_sec = (int)t.sec, .tm_isdst = -1 };
		time_t lt = mktime(&tm);

		if (lt == (time_t)-1 || lt < 0)
			return -1;
		*out = (int64_t)lt;
		return 0;
	}
	v = isotime_utc(&t);
	if (v < 0)
		return -1;
	*out = v;
	return 0;
}

static json_t *load(const char *buf, size_t len, const char *what, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL)
		errf(err, errlen, "%s: not JSON (line %d: %.120s)", what, je.line, je.text);
	return j;
}

static int get_u64(json_t *o, const char *key, uint64_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

/* Copy string member key of o into out (cap bytes); -1 when absent, not a
 * string or too long. */
static int get_str(json_t *o, const char *key, char *out, size_t cap)
{
	json_t *x = json_object_get(o, key);
	size_t n;

	if (!json_is_string(x))
		return -1;
	n = json_string_length(x);
	if (n >= cap || memchr(json_string_value(x), '\0', n) != NULL)
		return -1;
	memcpy(out, json_string_value(x), n + 1);
	return 0;
}

/*
 * Keep the newest two of (t, id). Times are whole seconds: of two in the
 * same second the later in the list is the newer (restic and borg list
 * in the order the snapshots were made).
 */
static void keep(struct bkj_list *l, int64_t t, const char *id)
{
	l->count++;
	if (t >= l->newest) {
		l->prev = l->newest;
		memcpy(l->prev_id, l->newest_id, sizeof(l->prev_id));
		l->newest = t;
		snprintf(l->newest_id, sizeof(l->newest_id), "%s", id);
	} else if (t > l->prev) {
		l->prev = t;
		snprintf(l->prev_id, sizeof(l->prev_id), "%s", id);
	}
}

int bkj_restic_snapshots(const char *buf, size_t len, struct bkj_list *out, char *err,
			 size_t errlen)
{
	json_t *j, *s;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	j = load(buf, len, "restic snapshots", err, errlen);
	if (j == NULL)
		return -1;
	if (!json_is_array(j)) {
		errf(err, errlen, "restic snapshots: expected an array");
		goto out;
	}
	json_array_foreach(j, i, s) {
		char ts[64], id[BKJ_ID_MAX];
		int64_t t;

		if (!json_is_object(s) || get_str(s, "time", ts, sizeof(ts)) < 0 ||
		    bkj_time(ts, &t) < 0) {
			errf(err, errlen, "restic snapshots: snapshot %zu: no time such as "
			     "2026-12-06T23:03:09Z", i);
			goto out;
		}
		if (get_str(s, "id", id, sizeof(id)) < 0 || id[0] == '\0') {
			errf(err, errlen, "restic snapshots: snapshot %zu: no id", i);
			goto out;
		}
		keep(out, t, id);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int bkj_restic_stats(const char *buf, size_t len, struct bkj_stats *out, char *err,
		     size_t errlen)
{
	json_t *j = load(buf, len, "restic stats", err, errlen);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	if (!json_is_object(j) || get_u64(j, "total_size", &out->size) < 0 ||
	    get_u64(j, "total_file_count", &out->files) < 0)
		errf(err, errlen, "restic stats: expected total_size and total_file_count");
	else
		rc = 0;
	json_decref(j);
	return rc;
}

int bkj_restic_ls_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen)
{
	json_t *j = load(line, len, "restic ls", err, errlen), *v;
	char type[16];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	if (!json_is_object(j)) {
		errf(err, errlen, "restic ls: expected an object");
		goto out;
	}
	v = json_object_get(j, "struct_type");
	if (json_is_string(v) && strcmp(json_string_value(v), "snapshot") == 0) {
		rc = 0;
		goto out;
	}
	if (get_str(j, "type", type, sizeof(type)) < 0 ||
	    get_str(j, "path", out->path, sizeof(out->path)) < 0 || out->path[0] != '/') {
		errf(err, errlen, "restic ls: a node without type or absolute path");
		goto out;
	}
	out->is_file = strcmp(type, "file") == 0;
	if (out->is_file && get_u64(j, "size", &out->size) < 0) {
		errf(err, errlen, "restic ls: file %.200s without a size", out->path);
		goto out;
	}
	rc = 1;
out:
	json_decref(j);
	return rc;
}

int bkj_borg_item_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen)
{
	json_t *j = load(line, len, "borg list", err, errlen), *v;
	char type[8];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	if (!json_is_object(j) || get_str(j, "type", type, sizeof(type)) < 0 ||
	    get_str(j, "path", out->path, sizeof(out->path)) < 0 || out->path[0] == '\0') {
		errf(err, errlen, "borg list: an item without type or path");
		goto out;
	}
	out->is_file = strcmp(type, "-") == 0;
	if (json_object_get(j, "size") != NULL && get_u64(j, "size", &out->size) < 0) {
		errf(err, errlen, "borg list: %.200s: size is not a number", out->path);
		goto out;
	}
	v = json_object_get(j, "sha256");
	if (v != NULL) {
		if (get_str(j, "sha256", out->sha256, sizeof(out->sha256)) < 0 ||
		    (out->sha256[0] != '\0' && strspn(out->sha256, "0123456789abcdef") != 64)) {
			errf(err, errlen, "borg list: %.200s: sha256 is not 64 hex digits",
			     out->path);
			goto out;
		}
	}
	rc = 1;
out:
	json_decref(j);
	return rc;
}

int bkj_borg_list(const char *buf, size_t len, struct bkj_list *out, char *err, size_t errlen)
{
	json_t *j, *a, *s;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	j = load(buf, len, "borg list", err, errlen);
	if (j == NULL)
		return -1;
	a = json_object_get(j, "archives");
	if (!json_is_array(a)) {
		errf(err, errlen, "borg list: expected an object with archives");
		goto out;
	}
	json_array_foreach(a, i, s) {
		char ts[64], name[BKJ_ID_MAX];
		int64_t t;

		if (!json_is_object(s) || (get_str(s, "start", ts, sizeof(ts)) < 0 &&
					   get_str(s, "time", ts, sizeof(ts)) < 0) ||
		    bkj_time(ts, &t) < 0) {
			errf(err, errlen, "borg list: archive %zu: no time such as "
			     "2026-12-06T23:03:22.000000", i);
			goto out;
		}
		if (get_str(s, "name", name, sizeof(name)) < 0 || name[0] == '\0') {
			errf(err, errlen, "borg list: archive %zu: no name (or longer than %d bytes)",
			     i, BKJ_ID_MAX - 1);
			goto out;
		}
		keep(out, t, name);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int bkj_borg_info(const char *buf, size_t len, struct bkj_stats *out, char *err,
		  size_t errlen)
{
	json_t *j, *st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	j = load(buf, len, "borg info", err, errlen);
	if (j == NULL)
		return -1;
	st = json_object_get(json_array_get(json_object_get(j, "archives"), 0), "stats");
	if (!json_is_object(st) || get_u64(st, "original_size", &out->size) < 0 ||
	    get_u64(st, "nfiles", &out->files) < 0)
		errf(err, errlen, "borg info: expected archives[0].stats with original_size and "
		     "nfiles");
	else
		rc = 0;
	json_decref(j);
	return rc;
}
