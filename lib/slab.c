/*
 * slab.c: objects of one size from large blocks (slab.h).
 */
#include "slab.h"

#include <stdalign.h>
#include <stdlib.h>

struct weir_slab_block {
	struct weir_slab_block *next;
	alignas(max_align_t) unsigned char objects[];
};

void
weir_slab_init(struct weir_slab *s, size_t size, size_t per_block)
{
	size_t a = alignof(max_align_t);
	if (size < sizeof(void *))
		size = sizeof(void *);
	s->size = (size + a - 1) / a * a;
	s->per_block = per_block > 0 ? per_block : 1;
	s->free = NULL;
	s->blocks = NULL;
	s->bytes = 0;
}

int
weir_slab_grow(struct weir_slab *s)
{
	size_t bytes = sizeof(struct weir_slab_block) + s->size * s->per_block;
	struct weir_slab_block *b = malloc(bytes);
	if (b == NULL)
		return -1;
	b->next = s->blocks;
	s->blocks = b;
	s->bytes += bytes;
	/* the first object first: gets walk the block in address order */
	for (size_t i = s->per_block; i-- > 0;)
		weir_slab_put(s, b->objects + i * s->size);
	return 0;
}

void
weir_slab_free(struct weir_slab *s)
{
	for (struct weir_slab_block *b = s->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	s->blocks = NULL;
	s->free = NULL;
	s->bytes = 0;
}
