/*
 * bkjson.c - see bkjson.h. jansson parses; by hand only the time stamps
 * (jansson has none, and strptime depends on the locale).
 */
#include "bkjson.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "errf.h"

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe, mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *p, int n, unsigned *v)
{
	unsigned x = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return 0;
}

int bkj_time(const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, se, zh, zm;
	const char *p;
	int64_t t;

	if (strnlen(s, 20) < 19 || digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' || digits(s + 8, 2, &d) < 0 ||
	    (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) < 0 || s[16] != ':' || digits(s + 17, 2, &se) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++)
			if (++n > 9)
				return -1;
		if (n == 0)
			return -1;
	}
	if (*p == '\0') {
		/* local time, as borg writes it */
		struct tm tm = { .tm_year = (int)y - 1900, .tm_mon = (int)mo - 1, .tm_mday = (int)d,
				 .tm_hour = (int)h, .tm_min = (int)mi, .tm_sec = (int)se,
				 .tm_isdst = -1 };
		time_t lt = mktime(&tm);

		if (lt == (time_t)-1 || lt < 0)
			return -1;
		*out = (int64_t)lt;
		return 0;
	}
	t = (days_from_civil(y, mo, d) * 24 + h) * 3600 + mi * 60 + se;
	if (*p == 'Z' && p[1] == '\0') {
		*out = t;
		return 0;
	}
	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &zh) < 0 || p[3] != ':' ||
	    digits(p + 4, 2, &zm) < 0 || p[6] != '\0' || zh > 23 || zm > 59)
		return -1;
	t += (*p == '+' ? -1 : 1) * (int64_t)(zh * 3600 + zm * 60);
	if (t < 0)
		return -1;
	*out = t;
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
