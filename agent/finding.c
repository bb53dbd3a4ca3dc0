/*
 * finding.c - see finding.h.
 *
 * Written with lib/jw.h rather than jansson: the event goes into a bounded
 * buffer as it is built, and bytes of paths that are not UTF-8 still make
 * valid JSON.
 */
#include "finding.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errf.h"
#include "jw.h"
#include "pathesc.h"
#include "scan.h"


static const struct finding_meta *meta_get(const struct finding_meta *m, size_t n,
					   const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return &m[i];
	return NULL;
}

/* A non-negative integer from an integer meta or a string of digits; -1. */
static int64_t meta_num(const struct finding_meta *m)
{
	int64_t v = 0;

	if (m->type == FINDING_META_INT)
		return m->i >= 0 ? m->i : -1;
	if (m->type != FINDING_META_STR || m->s == NULL || m->s[0] == '\0')
		return -1;
	for (const char *p = m->s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 1000000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int finding_severity(const struct finding_meta *meta, size_t nmeta)
{
	static const char *const words[] = { "critical", "high", "medium", "low" };
	const struct finding_meta *m = meta_get(meta, nmeta, "severity");
	int64_t v;

	if (m != NULL) {
		v = meta_num(m);
		if (v >= 1)
			return v > 4 ? 4 : (int)v;
		if (m->type == FINDING_META_STR && m->s != NULL)
			for (int i = 0; i < 4; i++)
				if (strcasecmp(m->s, words[i]) == 0)
					return i + 1;
	}
	m = meta_get(meta, nmeta, "score");
	if (m != NULL && (v = meta_num(m)) >= 0)
		return v >= 80 ? 1 : v >= 60 ? 2 : v >= 40 ? 3 : 4;
	return 2;
}

void finding_time(int64_t ns, char *buf)
{
	time_t s = (time_t)(ns / 1000000000);
	long us = (long)(ns % 1000000000 / 1000);
	struct tm tm;

	if (us < 0) {
		s--;
		us += 1000000;
	}
	if (gmtime_r(&s, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* the modulos only tell the compiler the widths (years past 9999 wrap) */
	snprintf(buf, FINDING_TIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%06lu+0000",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u, (unsigned long)us % 1000000u);
}

/* A string cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t cut_len(const char *s, size_t max, bool *cut)
{
	size_t n = strlen(s);

	*cut = false;
	if (n <= max)
		return n;
	*cut = true;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static void meta_value(struct jw *w, const char *key, const struct finding_meta *m,
		       uint64_t *trunc)
{
	bool cut;
	size_t n;

	switch (m->type) {
	case FINDING_META_STR:
		n = cut_len(m->s ? m->s : "", FINDING_META_VALUE_MAX, &cut);
		if (cut)
			(*trunc)++;
		jw_strn(w, key, m->s ? m->s : "", n);
		break;
	case FINDING_META_BOOL:
		jw_bool(w, key, m->i != 0);
		break;
	default:
		jw_i64(w, key, m->i);
		break;
	}
}

/* meta as an object, keys repeated in the rule made into arrays. */
static void write_meta(struct jw *w, const struct finding *f)
{
	uint64_t trunc = 0;
	size_t shown = 0;

	jw_obj(w, "meta");
	for (size_t i = 0; i < f->nmeta; i++) {
		size_t count = 0;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			if (strcmp(f->meta[j].key, f->meta[i].key) == 0) {
				seen = true;
				break;
			}
		if (seen)
			continue;
		for (size_t j = i; j < f->nmeta; j++)
			if (strcmp(f->meta[j].key, f->meta[i].key) == 0)
				count++;
		if (shown >= FINDING_MAX_META) {
			trunc += count;
			continue;
		}
		if (count == 1) {
			meta_value(w, f->meta[i].key, &f->meta[i], &trunc);
			shown++;
			continue;
		}
		jw_arr(w, f->meta[i].key);
		for (size_t j = i; j < f->nmeta; j++) {
			if (strcmp(f->meta[j].key, f->meta[i].key) != 0)
				continue;
			if (shown >= FINDING_MAX_META) {
				trunc++;
				continue;
			}
			meta_value(w, NULL, &f->meta[j], &trunc);
			shown++;
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
	jw_u64(w, "meta_truncated", trunc);
}

static void write_strings(struct jw *w, const struct finding *f)
{
	uint64_t dropped = f->matches_dropped;
	size_t nstr = 0, taken = 0;
	const char *cur = NULL;

	jw_arr(w, "strings");
	for (size_t i = 0; i < f->nmatches; i++) {
		const struct finding_match *m = &f->matches[i];

		if (cur == NULL || strcmp(cur, m->id) != 0) {
			cur = m->id;
			nstr++;
			taken = 0;
		}
		if (nstr > FINDING_MAX_STRINGS || taken >= FINDING_MAX_MATCHES) {
			dropped++;
			continue;
		}
		taken++;
		jw_obj(w, NULL);
		jw_str(w, "id", m->id);
		jw_u64(w, "offset", m->offset);
		jw_u64(w, "length", m->length);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_u64(w, "strings_truncated", dropped);
}

static long build(const struct finding *f, const char *host, int64_t now_ns, char *buf,
		  size_t cap, bool full)
{
	char ts[FINDING_TIME_LEN], mt[FINDING_TIME_LEN];
	struct jw w;
	size_t nt = f->ntags < FINDING_MAX_TAGS ? f->ntags : FINDING_MAX_TAGS;

	finding_time(now_ns, ts);
	finding_time(f->mtime_ns, mt);
	jw_begin(&w, buf, cap);
	jw_str(&w, "timestamp", ts);
	jw_str(&w, "event_type", "finding");
	jw_str(&w, "host", host);
	jw_obj(&w, "finding");
	jw_str(&w, "rule", f->rule);
	jw_str(&w, "namespace", f->ns ? f->ns : "default");
	jw_arr(&w, "tags");
	for (size_t i = 0; i < nt; i++)
		jw_str(&w, NULL, f->tags[i]);
	jw_arr_end(&w);
	if (full) {
		write_meta(&w, f);
		write_strings(&w, f);
	} else {
		jw_bool(&w, "truncated", true);
	}
	if (pathesc_utf8(f->path)) {
		jw_str(&w, "path", f->path);
	} else {
		/* lossless: the bytes in base64, beside a form to read */
		char shown[PATHESC_RATIO * PATH_MAX + 1], b64[4 * (PATH_MAX / 3 + 1) + 1];

		if (pathesc_display(f->path, shown, sizeof(shown)) < 0 ||
		    pathesc_b64(f->path, b64, sizeof(b64)) < 0)
			return -1;      /* longer than PATH_MAX: cannot be a path */
		jw_str(&w, "path", shown);
		jw_str(&w, "path_b64", b64);
	}
	jw_u64(&w, "size", f->size);
	jw_str(&w, "sha256", f->sha256);
	jw_str(&w, "mtime", mt);
	jw_str(&w, "owner", f->owner ? f->owner : "");
	jw_i64(&w, "severity", f->severity >= 1 && f->severity <= 4 ? f->severity :
			       finding_severity(f->meta, f->nmeta));
	jw_str(&w, "category", "malware");
	jw_obj_end(&w);
	return jw_end(&w);
}

long finding_json(const struct finding *f, const char *host, int64_t now_ns, char *buf,
		  size_t cap, char *err, size_t errlen)
{
	long n;

	if (f->rule == NULL || f->path == NULL || f->sha256 == NULL || host == NULL)
		return errf(err, errlen, "finding: rule, path, sha256 and host are required");
	n = build(f, host, now_ns, buf, cap, true);
	if (n < 0)
		n = build(f, host, now_ns, buf, cap, false);
	if (n < 0)
		return errf(err, errlen, "finding: longer than %zu bytes even without meta and "
			    "strings: rule %s", cap, f->rule);
	return n;
}

long finding_summary_json(const struct scan_summary *s, const char *kind, const char *host,
			  int64_t now_ns, char *buf, size_t cap, char *err, size_t errlen)
{
	char ts[FINDING_TIME_LEN], pct[32];
	struct jw w;
	long n;

	finding_time(now_ns, ts);
	jw_begin(&w, buf, cap);
	jw_str(&w, "timestamp", ts);
	jw_str(&w, "event_type", "scan_summary");
	jw_str(&w, "host", host);
	jw_obj(&w, "scan");
	jw_str(&w, "kind", kind);
	jw_str(&w, "rules_version", s->rules_version);
	jw_u64(&w, "rules", s->rules);
	jw_u64(&w, "threads", s->threads);
	jw_u64(&w, "files_seen", s->files_seen);
	jw_u64(&w, "scanned", s->scanned);
	jw_u64(&w, "skipped", s->skipped);
	jw_obj(&w, "skipped_by");
	for (int i = 0; i < SCAN_SKIP_N; i++)
		jw_u64(&w, scan_skip_name((enum scan_skip)i), s->skipped_by[i]);
	jw_obj_end(&w);
	jw_u64(&w, "cache_hits", s->cache_hits);
	jw_u64(&w, "cache_misses", s->cache_misses);
	jw_u64(&w, "matched_files", s->matched_files);
	jw_u64(&w, "findings", s->findings);
	jw_u64(&w, "bytes_read", s->bytes_read);
	jw_u64(&w, "errors", s->errors);
	jw_u64(&w, "duration_ms", s->wall_ns / 1000000);
	jw_u64(&w, "cpu_ms", s->cpu_ns / 1000000);
	snprintf(pct, sizeof(pct), "%.1f", s->cpu_percent);
	jw_raw(&w, "cpu_percent", pct);
	jw_u64(&w, "cpu_ceiling_percent", s->cpu_ceiling);
	jw_bool(&w, "stopped", s->stopped);
	jw_obj_end(&w);
	n = jw_end(&w);
	if (n < 0)
		return errf(err, errlen, "scan summary: longer than %zu bytes", cap);
	return n;
}
