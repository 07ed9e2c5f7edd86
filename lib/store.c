/*
 * store.c: refcounted chunks for held events' bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define CHUNK_SIZE ((size_t)1 << 16)
#define SPARES 8

struct weir_chunk {
	struct weir_chunk *next;	/* every chunk, for weir_store_free */
	struct weir_chunk **prev_next;
	size_t used, cap;
	size_t live;		/* events (not references) still in it */
	char data[];
};

/* Each event: a 4-byte reference count, then its bytes, 4-byte aligned. */
#define HEADER sizeof(uint32_t)

static inline size_t
footprint(size_t len)
{
	return (HEADER + len + 3) & ~(size_t)3;
}

static inline uint32_t *
refs_of(const struct weir_stored *h)
{
	return (uint32_t *)(void *)((char *)(uintptr_t)h->line - HEADER);
}

struct weir_store {
	struct weir_chunk *all;
	struct weir_chunk *current;	/* where new events are copied */
	struct weir_chunk *spare[SPARES];	/* empty chunks kept for reuse */
	int nspare;
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

/* A chunk nobody refers to and nobody writes to: keep a few, free the
 * rest. */
static void
retire(struct weir_store *s, struct weir_chunk *c)
{
	if (c->cap == CHUNK_SIZE && s->nspare < SPARES) {
		c->used = 0;
		s->spare[s->nspare++] = c;
		return;
	}
	unlink_chunk(s, c);
}

int
weir_store_put(struct weir_store *s, const char *line, size_t len,
    struct weir_stored *out)
{
	return weir_store_put_tail(s, line, len, NULL, 0, out);
}

int
weir_store_put_tail(struct weir_store *s, const char *line, size_t len,
    const void *tail, size_t ntail, struct weir_stored *out)
{
	size_t need = footprint(len + ntail);
	struct weir_chunk *c = s->current;
	if (c == NULL || c->cap - c->used < need) {
		if (c != NULL) {
			s->current = NULL;
			if (c->live == 0)
				retire(s, c);
		}
		if (need <= CHUNK_SIZE && s->nspare > 0) {
			c = s->spare[--s->nspare];	/* the last retired: the likeliest in cache */
		} else {
			size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
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
	char *at = c->data + c->used;
	*(uint32_t *)(void *)at = 1;
	memcpy(at + HEADER, line, len);
	if (ntail > 0)
		memcpy(at + HEADER + len, tail, ntail);
	out->line = at + HEADER;
	out->len = len;
	out->chunk = c;
	c->used += need;
	c->live++;
	return 0;
}

void
weir_store_ref(const struct weir_stored *h)
{
	(*refs_of(h))++;
}

int
weir_store_release(struct weir_store *s, const struct weir_stored *h)
{
	if (--*refs_of(h) > 0)
		return 0;
	struct weir_chunk *c = h->chunk;
	if (--c->live == 0 && c != s->current)
		retire(s, c);
	return 1;
}

size_t
weir_store_bytes(const struct weir_store *s)
{
	return s->bytes;
}
