/*
 * jw.h - a small streaming JSON writer into a caller-owned, bounded buffer.
 *
 * Written by hand rather than with jansson because events are produced on the
 * packet path (one per flow and per DNS/TLS/HTTP transaction) and building a
 * tree per event costs more than the classification of the flow. Strings are
 * escaped and always valid UTF-8: bytes from packets that are not valid
 * UTF-8 are written as \u00XX, one per byte.
 *
 * Running out of space is an error (jw_end() returns -1), never a silently
 * truncated document.
 */
#ifndef KASTRO_JW_H
#define KASTRO_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	bool overflow;
	int depth;
	bool first[JW_MAX_DEPTH];   /* no member written yet at this depth */
};

/* Start a document in buf (cap bytes); the root is an object. */
void jw_begin(struct jw *w, char *buf, size_t cap);
/* Close the root object and NUL-terminate; returns the length or -1. */
long jw_end(struct jw *w);

/* key is NULL for array elements; keys are literals that need no escaping. */
void jw_obj(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const char *s, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
/* A value already in JSON form (a number formatted by the caller). */
void jw_raw(struct jw *w, const char *key, const char *json);

#endif
