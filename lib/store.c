/*
 * store.c: refcounted chunks for held events' bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define CHUNK_SIZE ((size_t)1 << 20)

struct weir_chunk {
	struct weir_chunk *next;	/* every chunk, for weir_store_free */
	struct weir_chunk **prev_next;
	size_t used, cap;
	size_t live;
	char data[];
};

struct weir_store {
	struct weir_chunk *all;
	struct weir_chunk *current;	/* where new events are copied */
	struct weir_chunk *spare;	/* one empty chunk kept for reuse */
	size_t bytes;
};

struct weir_store *
weir_store_new(void)
{
	return calloc(1, sizeof(struct weir_store));
}

static void
unlink_chunk(struct weir_store *s, struct weir_chunk *c)
{
	*c->prev_next = c->next;
	if (c->next)
		c->next->prev_next = c->prev_next;
	s->bytes -= c->cap;
	free(c);
}

void
weir_store_free(struct weir_store *s)
{
	if (s == NULL)
		return;
	while (s->all)
		unlink_chunk(s, s->all);
	free(s);
}

/* A chunk nobody refers to and nobody writes to: keep one, free the rest. */
static void
retire(struct weir_store *s, struct weir_chunk *c)
{
	if (c->cap == CHUNK_SIZE && s->spare == NULL) {
		c->used = 0;
		s->spare = c;
		return;
	}
	unlink_chunk(s, c);
}

int
weir_store_put(struct weir_store *s, const char *line, size_t len,
    struct weir_stored *out)
{
	struct weir_chunk *c = s->current;
	if (c == NULL || c->cap - c->used < len) {
		if (c != NULL) {
			s->current = NULL;
			if (c->live == 0)
				retire(s, c);
		}
		if (len <= CHUNK_SIZE && s->spare != NULL) {
			c = s->spare;
			s->spare = NULL;
		} else {
			size_t cap = len > CHUNK_SIZE ? len : CHUNK_SIZE;
			c = malloc(sizeof *c + cap);
			if (c == NULL)
				return -1;
			c->cap = cap;
			c->live = 0;
			c->next = s->all;
			c->prev_next = &s->all;
			if (s->all)
				s->all->prev_next = &c->next;
			s->all = c;
			s->bytes += cap;
		}
		c->used = 0;
		s->current = c;
	}
	memcpy(c->data + c->used, line, len);
	out->line = c->data + c->used;
	out->len = len;
	out->chunk = c;
	c->used += len;
	c->live++;
	return 0;
}

void
weir_store_ref(const struct weir_stored *h)
{
	h->chunk->live++;
}

void
weir_store_release(struct weir_store *s, const struct weir_stored *h)
{
	struct weir_chunk *c = h->chunk;
	if (--c->live == 0 && c != s->current && c != s->spare)
		retire(s, c);
}

size_t
weir_store_bytes(const struct weir_store *s)
{
	return s->bytes;
}
