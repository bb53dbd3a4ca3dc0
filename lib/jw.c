/*
 * jw.c - see jw.h.
 */
#include "jw.h"

#include <stdio.h>
#include <string.h>

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc1(struct jw *w, char c)
{
	if (w->overflow || w->len >= w->cap) {
		w->overflow = true;
		return;
	}
	w->buf[w->len++] = c;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_escaped(struct jw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	putc1(w, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t seq;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		put(w, (const char *)s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
			i++;
		} else if (c >= 0x80 && (seq = utf8_seq(s + i, n - i)) > 0) {
			put(w, (const char *)s + i, seq);
			i += seq;
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			switch (c) {
			case '\n': put(w, "\\n", 2); break;
			case '\r': put(w, "\\r", 2); break;
			case '\t': put(w, "\\t", 2); break;
			default: put(w, e, 6); break;
			}
			i++;
		}
	}
	put(w, (const char *)s + i - run, run);
	putc1(w, '"');
}

static void member(struct jw *w, const char *key)
{
	if (w->depth < 0 || w->depth >= JW_MAX_DEPTH) {
		w->overflow = true;
		return;
	}
	if (!w->first[w->depth])
		putc1(w, ',');
	w->first[w->depth] = false;
	if (key) {
		/* Keys are the program's own literals: plain ASCII, no escaping. */
		size_t n = strlen(key);

		putc1(w, '"');
		put(w, key, n);
		put(w, "\":", 2);
	}
}

static void open_(struct jw *w, const char *key, char c)
{
	member(w, key);
	putc1(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->overflow = true;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	if (w->depth <= 0) {
		w->overflow = true;
		return;
	}
	w->depth--;
	putc1(w, c);
}

void jw_begin(struct jw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap > 0 ? cap - 1 : 0;   /* room for the NUL */
	w->len = 0;
	w->overflow = cap == 0;
	w->depth = 0;
	putc1(w, '{');
	w->first[0] = true;
	w->depth = 0;
	/* depth 0 is the root object's member list */
}

long jw_end(struct jw *w)
{
	if (w->depth != 0)
		w->overflow = true;
	putc1(w, '}');
	if (w->overflow)
		return -1;
	w->buf[w->len] = '\0';
	return (long)w->len;
}

void jw_obj(struct jw *w, const char *key) { open_(w, key, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr(struct jw *w, const char *key) { open_(w, key, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

void jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	member(w, key);
	put_escaped(w, s, n);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, strlen(s));
}

/* Decimal digits of v, written backwards from end; returns the start. */
static char *fmt_u64(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	char num[24];
	char *p = fmt_u64(num + sizeof(num), v);

	member(w, key);
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	char num[24];
	char *p = fmt_u64(num + sizeof(num), v < 0 ? 0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	member(w, key);
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	member(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_raw(struct jw *w, const char *key, const char *json)
{
	member(w, key);
	put(w, json, strlen(json));
}
