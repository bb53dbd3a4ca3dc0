/*
 * peercap.h - what the officers' port counts per client network: the key
 * of a peer address (an IPv4 address; for IPv6 its /64, since one host
 * holds a whole /64 as easily as one address), and a bounded table of live
 * connections per key.
 *
 * No I/O, no logging; one thread (the console's event loop).
 */
#ifndef KASTRO_PEERCAP_H
#define KASTRO_PEERCAP_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* "v4:192.0.2.7" or "v6:2001:db8:1:2::/64", NUL included. */
#define PEERCAP_KEY_SIZE 64

/*
 * The key of a textual address (IPv4, or IPv6 with or without brackets;
 * an IPv4-mapped IPv6 address counts as its IPv4 address) into out
 * (PEERCAP_KEY_SIZE bytes). -1 when addr is not an address: out is then
 * "?:" and the text, so callers may still count it under that.
 */
int peercap_key(const char *addr, char *out, size_t outlen);

/* The same for a socket address. */
int peercap_key_sa(const struct sockaddr *sa, char *out, size_t outlen);

struct peercap;

/* A table of at most capacity keys (1 .. 1 << 20); NULL without memory. */
struct peercap *peercap_new(size_t capacity);
void peercap_free(struct peercap *p);

/*
 * Count one more connection of key; returns the count with it, or 0 when
 * the table is full (the caller refuses the connection: the table holds at
 * most one key per live connection, so it is sized like the connection
 * cap and full only past it).
 */
uint32_t peercap_add(struct peercap *p, const char *key);

/* One connection of key ended. An unknown key is ignored. */
void peercap_del(struct peercap *p, const char *key);

/* Connections counted for key now. */
uint32_t peercap_count(const struct peercap *p, const char *key);

#endif
