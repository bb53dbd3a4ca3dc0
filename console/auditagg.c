/*
 * auditagg.c - see auditagg.h. A flat table searched linearly: refusals
 * are rare next to requests, and a flood of them is what the table is for,
 * so its cost is what a refusal costs (no database write for a repeat).
 */
#include "auditagg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct agg {
	char action[STORE_AUDIT_ACTION_MAX + 1];        /* "": free */
	char user[STORE_NAME_MAX + 1];
	char addr[STORE_ADDR_MAX + 1];
	int64_t start;                  /* the window began */
	uint64_t more;                  /* repeats not yet written */
};

struct auditagg {
	struct agg *keys;
	size_t cap;
	struct agg acts[AUDITAGG_ACTIONS];      /* overflow, per action ("many addresses") */
	uint64_t other;                 /* overflow beyond the actions, written as "audit.overflow" */
	int64_t other_start;
	unsigned window_s;
	int64_t budget_start;
	unsigned budget_used;
	struct auditagg_stats st;
};

struct auditagg *auditagg_new(size_t cap, unsigned window_s)
{
	struct auditagg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->keys = calloc(cap > 0 ? cap : 1, sizeof(*a->keys));
	if (a->keys == NULL) {
		free(a);
		return NULL;
	}
	a->cap = cap > 0 ? cap : 1;
	a->window_s = window_s > 0 ? window_s : 1;
	return a;
}

void auditagg_free(struct auditagg *a)
{
	if (a == NULL)
		return;
	free(a->keys);
	free(a);
}

static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int write_entry(struct auditagg *a, struct store *s, int64_t now, const char *action,
		       const char *user, const char *addr, const char *detail, char *err,
		       size_t errlen)
{
	if (store_audit(s, now, user, addr, action, detail, err, errlen) < 0) {
		a->st.errors++;
		return -1;
	}
	a->st.written++;
	return 0;
}

/* The summary of a window's repeats. */
static int write_more(struct auditagg *a, struct store *s, int64_t now, const struct agg *g,
		      char *err, size_t errlen)
{
	char d[160];

	snprintf(d, sizeof(d), "and %" PRIu64 " more like it in %" PRId64 " s%s", g->more,
		 now - g->start, strcmp(g->addr, "*") == 0 ? ", from many addresses" : "");
	return write_entry(a, s, now, g->action, g->user, g->addr, d, err, errlen);
}

int auditagg_note(struct auditagg *a, struct store *s, int64_t now, const char *action,
		  const char *user, const char *addr, const char *detail, char *err, size_t errlen)
{
	struct agg *fr = NULL;

	a->st.noted++;
	user = user != NULL ? user : "";
	addr = addr != NULL ? addr : "";
	for (size_t i = 0; i < a->cap; i++) {
		struct agg *g = &a->keys[i];

		if (g->action[0] == '\0') {
			if (fr == NULL)
				fr = g;
		} else if (strcmp(g->action, action) == 0 && strcmp(g->user, user) == 0 &&
			   strcmp(g->addr, addr) == 0) {
			g->more++;
			a->st.aggregated++;
			return 0;
		}
	}
	if (now - a->budget_start >= (int64_t)a->window_s) {
		a->budget_start = now;
		a->budget_used = 0;
	}
	if (fr != NULL && a->budget_used < AUDITAGG_IMMEDIATE) {
		a->budget_used++;
		copy(fr->action, sizeof(fr->action), action);
		copy(fr->user, sizeof(fr->user), user);
		copy(fr->addr, sizeof(fr->addr), addr);
		fr->start = now;
		fr->more = 0;
		return write_entry(a, s, now, action, user, addr, detail, err, errlen);
	}
	/* no room or no budget: counted per action, written at the window's end */
	a->st.aggregated++;
	for (size_t i = 0; i < AUDITAGG_ACTIONS; i++) {
		struct agg *g = &a->acts[i];

		if (g->action[0] == '\0') {
			copy(g->action, sizeof(g->action), action);
			copy(g->addr, sizeof(g->addr), "*");
			g->start = now;
			g->more = 1;
			return 0;
		}
		if (strcmp(g->action, action) == 0) {
			g->more++;
			return 0;
		}
	}
	if (a->other++ == 0)
		a->other_start = now;
	return 0;
}

int auditagg_flush(struct auditagg *a, struct store *s, int64_t now, int all, char *err,
		   size_t errlen)
{
	char d[128];

	for (size_t i = 0; i < a->cap + AUDITAGG_ACTIONS; i++) {
		struct agg *g = i < a->cap ? &a->keys[i] : &a->acts[i - a->cap];

		if (g->action[0] == '\0' || (!all && now - g->start < (int64_t)a->window_s))
			continue;
		if (g->more > 0 && write_more(a, s, now, g, err, errlen) < 0)
			return -1;
		g->action[0] = '\0';    /* the key's next refusal opens a new window */
	}
	if (a->other > 0 && (all || now - a->other_start >= (int64_t)a->window_s)) {
		snprintf(d, sizeof(d), "%" PRIu64 " refused requests of other kinds in %" PRId64 " s",
			 a->other, now - a->other_start);
		if (write_entry(a, s, now, "audit.overflow", "", "*", d, err, errlen) < 0)
			return -1;
		a->other = 0;
	}
	return 0;
}

void auditagg_get_stats(const struct auditagg *a, struct auditagg_stats *out)
{
	*out = a->st;
}
