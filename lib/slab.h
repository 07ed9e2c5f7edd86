/*
 * slab.h: objects of one size carved from large blocks and kept on a free
 * list, for what comes and goes with every event (weir-join's keys): a get
 * and a put each instead of a malloc and a free, and the last put is the
 * next get, still in cache.
 *
 * Ownership: the slab owns its blocks; an object got from it is valid
 * until it is put back or the slab is freed (weir_slab_free frees every
 * block at once, objects still out included).
 */
#ifndef WEIR_SLAB_H
#define WEIR_SLAB_H

#include <stddef.h>

struct weir_slab_block;

struct weir_slab {
	size_t size;		/* of an object, rounded up to max_align_t */
	size_t per_block;
	void *free;		/* the free list, linked through the objects */
	struct weir_slab_block *blocks;
	size_t bytes;		/* of all blocks */
};

/* Objects of `size` bytes (at least a pointer's), per_block to a block. */
void weir_slab_init(struct weir_slab *s, size_t size, size_t per_block);
void weir_slab_free(struct weir_slab *s);

/* Carves a new block onto the free list; 0, or -1 when memory ran out. */
int weir_slab_grow(struct weir_slab *s);

/* An object of s->size bytes, aligned as malloc's; NULL when memory ran out. */
static inline void *
weir_slab_get(struct weir_slab *s)
{
	if (s->free == NULL && weir_slab_grow(s) < 0)
		return NULL;
	void *p = s->free;
	s->free = *(void **)p;
	return p;
}

static inline void
weir_slab_put(struct weir_slab *s, void *p)
{
	*(void **)p = s->free;
	s->free = p;
}

#endif
