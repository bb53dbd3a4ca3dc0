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

/*
 * What tells restic's output from borg's: one reader of each kind below
 * serves both tools, told by these tables where the values are and what to
 * say when they are not.
 */

/* A listing of snapshots or archives. */
struct list_shape {
	const char *what;            /* the command, first in every message */
	const char *member;          /* the entries are this member's array; NULL: the whole */
	const char *expected;        /* what the whole must be */
	const char *entry;           /* "snapshot", "archive" */
	const char *time_key[2];     /* the first of these that is a string; NULL ends */
	const char *time_example;
	const char *id_key;
	bool id_bound;               /* a missing id's message names its bound */
};

static const struct list_shape restic_snapshots = {
	.what = "restic snapshots", .member = NULL, .expected = "an array",
	.entry = "snapshot", .time_key = { "time", NULL },
	.time_example = "2026-12-06T23:03:09Z", .id_key = "id", .id_bound = false,
};

static const struct list_shape borg_list = {
	.what = "borg list", .member = "archives", .expected = "an object with archives",
	.entry = "archive", .time_key = { "start", "time" },
	.time_example = "2026-12-06T23:03:22.000000", .id_key = "name", .id_bound = true,
};

/* Size and file count of one snapshot or archive. */
struct stats_shape {
	const char *what;
	bool in_archive;             /* in archives[0].stats, not the whole */
	const char *size_key;
	const char *files_key;
	const char *expected;
};

static const struct stats_shape restic_stats = {
	.what = "restic stats", .in_archive = false,
	.size_key = "total_size", .files_key = "total_file_count",
	.expected = "total_size and total_file_count",
};

static const struct stats_shape borg_info = {
	.what = "borg info", .in_archive = true,
	.size_key = "original_size", .files_key = "nfiles",
	.expected = "archives[0].stats with original_size and nfiles",
};

/* One line of a listing of a snapshot's or archive's contents. */
struct item_shape {
	const char *what;
	const char *not_object;      /* what a line that is no object is called */
	const char *bad_item;        /* what an item without type or path is called */
	size_t type_cap;             /* the longest type, NUL included */
	const char *file_type;       /* the type of a regular file */
	bool snapshot_line;          /* a line of "struct_type":"snapshot" is no item */
	bool absolute;               /* paths start with / (else: not empty) */
	bool file_size;              /* a file must have a size (else: a size, when given, is a number) */
	bool sha256;                 /* "sha256", when given, is 64 hex digits or "" */
};

static const struct item_shape restic_ls = {
	.what = "restic ls", .not_object = "expected an object",
	.bad_item = "a node without type or absolute path", .type_cap = 16,
	.file_type = "file", .snapshot_line = true, .absolute = true, .file_size = true,
	.sha256 = false,
};

static const struct item_shape borg_items = {
	.what = "borg list", .not_object = "an item without type or path",
	.bad_item = "an item without type or path", .type_cap = 8,
	.file_type = "-", .snapshot_line = false, .absolute = false, .file_size = false,
	.sha256 = true,
};

static int read_list(const struct list_shape *sh, const char *buf, size_t len,
		     struct bkj_list *out, char *err, size_t errlen)
{
	json_t *j, *a, *s;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	j = load(buf, len, sh->what, err, errlen);
	if (j == NULL)
		return -1;
	a = sh->member != NULL ? json_object_get(j, sh->member) : j;
	if (!json_is_array(a)) {
		errf(err, errlen, "%s: expected %s", sh->what, sh->expected);
		goto out;
	}
	json_array_foreach(a, i, s) {
		char ts[64], id[BKJ_ID_MAX];
		int64_t t;
		bool timed = false;

		for (size_t k = 0; json_is_object(s) && !timed && k < 2 && sh->time_key[k] != NULL;
		     k++)
			timed = get_str(s, sh->time_key[k], ts, sizeof(ts)) == 0;
		if (!timed || bkj_time(ts, &t) < 0) {
			errf(err, errlen, "%s: %s %zu: no time such as %s", sh->what, sh->entry, i,
			     sh->time_example);
			goto out;
		}
		if (get_str(s, sh->id_key, id, sizeof(id)) < 0 || id[0] == '\0') {
			if (sh->id_bound)
				errf(err, errlen, "%s: %s %zu: no %s (or longer than %d bytes)",
				     sh->what, sh->entry, i, sh->id_key, BKJ_ID_MAX - 1);
			else
				errf(err, errlen, "%s: %s %zu: no %s", sh->what, sh->entry, i,
				     sh->id_key);
			goto out;
		}
		keep(out, t, id);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int read_stats(const struct stats_shape *sh, const char *buf, size_t len,
		      struct bkj_stats *out, char *err, size_t errlen)
{
	json_t *j, *o;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	j = load(buf, len, sh->what, err, errlen);
	if (j == NULL)
		return -1;
	o = sh->in_archive ?
	    json_object_get(json_array_get(json_object_get(j, "archives"), 0), "stats") : j;
	if (!json_is_object(o) || get_u64(o, sh->size_key, &out->size) < 0 ||
	    get_u64(o, sh->files_key, &out->files) < 0)
		errf(err, errlen, "%s: expected %s", sh->what, sh->expected);
	else
		rc = 0;
	json_decref(j);
	return rc;
}

static int read_item(const struct item_shape *sh, const char *line, size_t len,
		     struct bkj_item *out, char *err, size_t errlen)
{
	json_t *j = load(line, len, sh->what, err, errlen), *v;
	char type[16];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	if (!json_is_object(j)) {
		errf(err, errlen, "%s: %s", sh->what, sh->not_object);
		goto out;
	}
	v = json_object_get(j, "struct_type");
	if (sh->snapshot_line && json_is_string(v) &&
	    strcmp(json_string_value(v), "snapshot") == 0) {
		rc = 0;
		goto out;
	}
	if (get_str(j, "type", type, sh->type_cap) < 0 ||
	    get_str(j, "path", out->path, sizeof(out->path)) < 0 ||
	    (sh->absolute ? out->path[0] != '/' : out->path[0] == '\0')) {
		errf(err, errlen, "%s: %s", sh->what, sh->bad_item);
		goto out;
	}
	out->is_file = strcmp(type, sh->file_type) == 0;
	if (sh->file_size && out->is_file && get_u64(j, "size", &out->size) < 0) {
		errf(err, errlen, "%s: file %.200s without a size", sh->what, out->path);
		goto out;
	}
	if (!sh->file_size && json_object_get(j, "size") != NULL &&
	    get_u64(j, "size", &out->size) < 0) {
		errf(err, errlen, "%s: %.200s: size is not a number", sh->what, out->path);
		goto out;
	}
	if (sh->sha256 && json_object_get(j, "sha256") != NULL &&
	    (get_str(j, "sha256", out->sha256, sizeof(out->sha256)) < 0 ||
	     (out->sha256[0] != '\0' && strspn(out->sha256, "0123456789abcdef") != 64))) {
		errf(err, errlen, "%s: %.200s: sha256 is not 64 hex digits", sh->what, out->path);
		goto out;
	}
	rc = 1;
out:
	json_decref(j);
	return rc;
}

int bkj_restic_snapshots(const char *buf, size_t len, struct bkj_list *out, char *err,
			 size_t errlen)
{
	return read_list(&restic_snapshots, buf, len, out, err, errlen);
}

int bkj_borg_list(const char *buf, size_t len, struct bkj_list *out, char *err, size_t errlen)
{
	return read_list(&borg_list, buf, len, out, err, errlen);
}

int bkj_restic_stats(const char *buf, size_t len, struct bkj_stats *out, char *err,
		     size_t errlen)
{
	return read_stats(&restic_stats, buf, len, out, err, errlen);
}

int bkj_borg_info(const char *buf, size_t len, struct bkj_stats *out, char *err,
		  size_t errlen)
{
	return read_stats(&borg_info, buf, len, out, err, errlen);
}

int bkj_restic_ls_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen)
{
	return read_item(&restic_ls, line, len, out, err, errlen);
}

int bkj_borg_item_line(const char *line, size_t len, struct bkj_item *out, char *err,
		       size_t errlen)
{
	return read_item(&borg_items, line, len, out, err, errlen);
}
