/*
 * jarena.h - jansson's allocations for a parsed event batch in an arena.
 *
 * A batch of 500 events is some 10,000 small jansson blocks; made one by
 * one with malloc and freed one by one they cost the parse thread about a
 * quarter of its time. While an arena is current on a thread (between
 * jarena_begin and jarena_end), jansson's blocks are cut from chunks of a
 * region reserved once; json_decref of them is a no-op, and jarena_free
 * gives the chunks back at once. Outside, jansson uses malloc and free as
 * before (so text from json_dumps is still freed with free()).
 *
 * Memory: the region is JARENA_REGION bytes of address space; a chunk is
 * taken only when a batch needs it and kept for the next batches. When the
 * region is used up, or a block is larger than a chunk, the block comes
 * from malloc (counted, see jarena_fallbacks) and is freed by json_decref
 * as before.
 */
#ifndef KASTRO_JARENA_H
#define KASTRO_JARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JARENA_CHUNK  (256u << 10)
#define JARENA_REGION ((size_t)512 << 20)

struct jarena;

/* Reserve the region and route jansson's allocations through it; before
 * jansson allocates anything (the first thing main does). -1 and err when
 * the region cannot be reserved (jansson then uses malloc, as always). */
int jarena_install(char *err, size_t errlen);
/* A new arena, current on this thread until jarena_end(); NULL when not
 * installed or out of memory (jansson then uses malloc). */
struct jarena *jarena_begin(void);
void jarena_end(void);
/* Whether a block of the arena came from malloc (its tree must be
 * released with json_decref before jarena_free). */
bool jarena_mixed(const struct jarena *a);
/* Give the arena's chunks back (its jansson values are gone with them). */
void jarena_free(struct jarena *a);
/* Blocks that came from malloc while an arena was current, since install. */
uint64_t jarena_fallbacks(void);

#endif
