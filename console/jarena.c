/*
 * jarena.c - see jarena.h.
 *
 * A chunk starts with its header (the next chunk of its arena, the bytes
 * used); blocks are cut from it 16-byte aligned and never given back one
 * by one. Chunks come from the region in order, and once given back they
 * wait on a free list (under a mutex: an arena may be freed on another
 * thread than it was made on) for the next arena. Whether a block is the
 * arena's is whether its address is in the region.
 */
#include "jarena.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <jansson.h>

#define ALIGN 16u

struct chunk {
	struct chunk *next;
	size_t used;                    /* bytes from the chunk's start, header included */
};

#define HDR ((sizeof(struct chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

struct jarena {
	struct chunk *chunks;
	bool mixed;
};

static char *region;                    /* NULL: not installed */
static size_t region_next;              /* under mu */
static struct chunk *free_chunks;       /* under mu */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct jarena *cur;
static atomic_uint_fast64_t fallbacks;

static struct chunk *chunk_get(void)
{
	struct chunk *c = NULL;

	pthread_mutex_lock(&mu);
	if (free_chunks != NULL) {
		c = free_chunks;
		free_chunks = c->next;
	} else if (region_next + JARENA_CHUNK <= JARENA_REGION) {
		c = (struct chunk *)(void *)(region + region_next);
		region_next += JARENA_CHUNK;
	}
	pthread_mutex_unlock(&mu);
	if (c != NULL) {
		c->next = NULL;
		c->used = HDR;
	}
	return c;
}

static void *ja_malloc(size_t n)
{
	struct jarena *a = cur;

	if (a != NULL) {
		size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
		struct chunk *c = a->chunks;

		if (need > 0 && need <= JARENA_CHUNK - HDR) {
			if (c == NULL || c->used + need > JARENA_CHUNK) {
				c = chunk_get();
				if (c != NULL) {
					c->next = a->chunks;
					a->chunks = c;
				}
			}
			if (c != NULL) {
				void *p = (char *)c + c->used;

				c->used += need;
				return p;
			}
		}
		a->mixed = true;
		atomic_fetch_add(&fallbacks, 1);
	}
	return malloc(n);
}

static void ja_free(void *p)
{
	if (p == NULL)
		return;
	if (region != NULL && (char *)p >= region && (char *)p < region + JARENA_REGION)
		return;
	free(p);
}

int jarena_install(char *err, size_t errlen)
{
	void *r;

	if (region != NULL)
		return 0;
	r = mmap(NULL, JARENA_REGION, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED) {
		snprintf(err, errlen, "cannot reserve %zu MiB of address space for parsing: %s",
			 (size_t)(JARENA_REGION >> 20), strerror(errno));
		return -1;
	}
	region = r;
	json_set_alloc_funcs(ja_malloc, ja_free);
	return 0;
}

struct jarena *jarena_begin(void)
{
	struct jarena *a;

	if (region == NULL)
		return NULL;
	a = calloc(1, sizeof(*a));
	cur = a;
	return a;
}

void jarena_end(void)
{
	cur = NULL;
}

bool jarena_mixed(const struct jarena *a)
{
	return a != NULL && a->mixed;
}

void jarena_free(struct jarena *a)
{
	struct chunk *c, *last = NULL;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = c->next)
		last = c;
	if (last != NULL) {
		pthread_mutex_lock(&mu);
		last->next = free_chunks;
		free_chunks = a->chunks;
		pthread_mutex_unlock(&mu);
	}
	free(a);
}

uint64_t jarena_fallbacks(void)
{
	return atomic_load(&fallbacks);
}
