/*
 * peercap.c - see peercap.h.
 *
 * The table: open addressing with linear probing over twice the capacity
 * (a power of two), deletion by backward shift (no tombstones, so a probe
 * never walks further than the keys present make it). The hash is FNV-1a
 * seeded with random bytes: keys come from clients.
 */
#include "peercap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

struct pc_entry {
	char key[PEERCAP_KEY_SIZE];
	uint32_t n;                     /* 0: free */
};

struct peercap {
	struct pc_entry *e;
	size_t slots;                   /* a power of two, at least 2 * capacity */
	size_t capacity, used;
	uint64_t seed;
};

static int key_v4(const struct in_addr *a, char *out, size_t outlen)
{
	char t[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, a, t, sizeof(t)) == NULL)
		return -1;
	return snprintf(out, outlen, "v4:%s", t) < (int)outlen ? 0 : -1;
}

static int key_v6(const struct in6_addr *a, char *out, size_t outlen)
{
	struct in6_addr net = *a;
	struct in_addr v4;
	char t[INET6_ADDRSTRLEN];

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(&v4, &a->s6_addr[12], 4);
		return key_v4(&v4, out, outlen);
	}
	memset(&net.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &net, t, sizeof(t)) == NULL)
		return -1;
	return snprintf(out, outlen, "v6:%s/64", t) < (int)outlen ? 0 : -1;
}

int peercap_key(const char *addr, char *out, size_t outlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	char t[INET6_ADDRSTRLEN + 2];
	size_t n = addr != NULL ? strlen(addr) : 0;

	if (n > 0 && n < sizeof(t) && addr[0] == '[' && addr[n - 1] == ']') {
		memcpy(t, addr + 1, n - 2);
		t[n - 2] = '\0';
	} else if (n < sizeof(t)) {
		memcpy(t, addr != NULL ? addr : "", n + 1);
	} else {
		t[0] = '\0';
	}
	if (inet_pton(AF_INET, t, &a4) == 1 && key_v4(&a4, out, outlen) == 0)
		return 0;
	if (inet_pton(AF_INET6, t, &a6) == 1 && key_v6(&a6, out, outlen) == 0)
		return 0;
	snprintf(out, outlen, "?:%.*s", (int)(outlen > 3 ? outlen - 3 : 0), addr != NULL ? addr : "");
	return -1;
}

int peercap_key_sa(const struct sockaddr *sa, char *out, size_t outlen)
{
	if (sa != NULL && sa->sa_family == AF_INET)
		return key_v4(&((const struct sockaddr_in *)sa)->sin_addr, out, outlen);
	if (sa != NULL && sa->sa_family == AF_INET6)
		return key_v6(&((const struct sockaddr_in6 *)sa)->sin6_addr, out, outlen);
	snprintf(out, outlen, "?:");
	return -1;
}

struct peercap *peercap_new(size_t capacity)
{
	struct peercap *p;

	if (capacity < 1 || capacity > (1u << 20))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->capacity = capacity;
	for (p->slots = 4; p->slots < 2 * capacity; p->slots *= 2)
		;
	p->e = calloc(p->slots, sizeof(*p->e));
	if (p->e == NULL || getrandom(&p->seed, sizeof(p->seed), 0) != (ssize_t)sizeof(p->seed)) {
		free(p->e);
		free(p);
		return NULL;
	}
	return p;
}

void peercap_free(struct peercap *p)
{
	if (p == NULL)
		return;
	free(p->e);
	free(p);
}

static size_t pc_hash(const struct peercap *p, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull ^ p->seed;

	for (const unsigned char *k = (const unsigned char *)key; *k; k++) {
		h ^= *k;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	return (size_t)h & (p->slots - 1);
}

/* The slot of key, or of the free slot where it would go. */
static size_t pc_find(const struct peercap *p, const char *key)
{
	size_t i = pc_hash(p, key);

	while (p->e[i].n != 0 && strcmp(p->e[i].key, key) != 0)
		i = (i + 1) & (p->slots - 1);
	return i;
}

uint32_t peercap_add(struct peercap *p, const char *key)
{
	size_t i;

	if (key == NULL || strlen(key) >= PEERCAP_KEY_SIZE)
		return 0;
	i = pc_find(p, key);
	if (p->e[i].n == 0) {
		if (p->used == p->capacity)
			return 0;
		snprintf(p->e[i].key, sizeof(p->e[i].key), "%s", key);
		p->used++;
	}
	if (p->e[i].n == UINT32_MAX)
		return 0;
	return ++p->e[i].n;
}

void peercap_del(struct peercap *p, const char *key)
{
	size_t i, j, home;

	if (key == NULL || strlen(key) >= PEERCAP_KEY_SIZE)
		return;
	i = pc_find(p, key);
	if (p->e[i].n == 0 || --p->e[i].n > 0)
		return;
	p->used--;
	/* Backward shift: move later entries of the run into the hole when
	 * their home slot is not between the hole and them. */
	for (j = (i + 1) & (p->slots - 1); p->e[j].n != 0; j = (j + 1) & (p->slots - 1)) {
		home = pc_hash(p, p->e[j].key);
		if (((j - home) & (p->slots - 1)) >= ((j - i) & (p->slots - 1))) {
			p->e[i] = p->e[j];
			p->e[j].n = 0;
			i = j;
		}
	}
	p->e[i].n = 0;
	p->e[i].key[0] = '\0';
}

uint32_t peercap_count(const struct peercap *p, const char *key)
{
	if (key == NULL || strlen(key) >= PEERCAP_KEY_SIZE)
		return 0;
	return p->e[pc_find(p, key)].n;
}
