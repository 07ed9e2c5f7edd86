/*
 * map.h: an open-addressing index from 64-bit hashes to items.
 *
 * The index keeps only (hash, item pointer) pairs in one flat array, probed
 * linearly, so a lookup touches one or two cache lines of the array and
 * then the item it finds; uthash's chains cost a cache miss per item
 * walked, a large part of weir-join's table lookups on a large table.
 * The caller owns the items and compares their keys itself:
 *
 *   size_t at = weir_map_start(m, h);
 *   for (struct item *it; (it = weir_map_next(m, h, &at)) != NULL; )
 *           if (it->len == len && memcmp(it->bytes, key, len) == 0)
 *                   break;
 *
 * The array stays at most half full (it doubles); deletion shifts the probe
 * run back, so there are no tombstones.  weir_map_free accepts a zeroed
 * map.  Hash with weir_map_hash (XXH3), or anything well mixed.
 */
#ifndef WEIR_MAP_H
#define WEIR_MAP_H

#include <stddef.h>
#include <stdint.h>

struct weir_map_slot {
	uint64_t hash;
	void *item;		/* NULL: empty */
};

struct weir_map {
	struct weir_map_slot *slots;
	size_t mask;		/* capacity - 1; capacity is a power of two */
	size_t n;
};

uint64_t weir_map_hash(const void *key, size_t len);

/* Where a probe for hash starts. */
static inline size_t
weir_map_start(const struct weir_map *m, uint64_t hash)
{
	return m->slots ? (size_t)(hash & m->mask) : 0;
}

/* The next item with this hash from *at on (then *at moves past it), or
 * NULL when the run ends. */
static inline void *
weir_map_next(const struct weir_map *m, uint64_t hash, size_t *at)
{
	if (m->slots == NULL)
		return NULL;
	for (;;) {
		const struct weir_map_slot *s = &m->slots[*at];
		if (s->item == NULL)
			return NULL;
		*at = (*at + 1) & m->mask;
		if (s->hash == hash)
			return s->item;
	}
}

/* Adds item under hash (the caller has checked it is not there).  Returns
 * 0, or -1 when memory ran out (the map unchanged). */
int weir_map_insert(struct weir_map *m, uint64_t hash, void *item);

/* Removes the item (found by pointer) stored under hash; returns 0, or -1
 * when it is not there. */
int weir_map_remove(struct weir_map *m, uint64_t hash, const void *item);

/* Bytes the array takes (for --stats). */
size_t weir_map_bytes(const struct weir_map *m);

void weir_map_free(struct weir_map *m);

#endif
