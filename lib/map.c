/*
 * map.c: the open-addressing index of map.h.
 */
#include <stdlib.h>
#include <xxhash.h>

#include "map.h"

uint64_t
weir_map_hash(const void *key, size_t len)
{
	return XXH3_64bits(key, len);
}

static void
place(struct weir_map_slot *slots, size_t mask, uint64_t hash, void *item)
{
	size_t at = (size_t)(hash & mask);
	while (slots[at].item != NULL)
		at = (at + 1) & mask;
	slots[at].hash = hash;
	slots[at].item = item;
}

int
weir_map_insert(struct weir_map *m, uint64_t hash, void *item)
{
	size_t cap = m->slots ? m->mask + 1 : 0;
	if (2 * (m->n + 1) > cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct weir_map_slot *slots = calloc(ncap, sizeof *slots);
		if (slots == NULL)
			return -1;
		for (size_t i = 0; i < cap; i++)
			if (m->slots[i].item)
				place(slots, ncap - 1, m->slots[i].hash, m->slots[i].item);
		free(m->slots);
		m->slots = slots;
		m->mask = ncap - 1;
	}
	place(m->slots, m->mask, hash, item);
	m->n++;
	return 0;
}

int
weir_map_remove(struct weir_map *m, uint64_t hash, const void *item)
{
	if (m->slots == NULL)
		return -1;
	size_t at = (size_t)(hash & m->mask);
	while (m->slots[at].item != item) {
		if (m->slots[at].item == NULL)
			return -1;
		at = (at + 1) & m->mask;
	}
	/* shift back every later member of the run that may move into the hole */
	size_t hole = at;
	for (size_t next = (hole + 1) & m->mask; m->slots[next].item; next = (next + 1) & m->mask) {
		size_t home = (size_t)(m->slots[next].hash & m->mask);
		/* it may fill the hole when its home is not in (hole, next] */
		if (((next - home) & m->mask) >= ((next - hole) & m->mask)) {
			m->slots[hole] = m->slots[next];
			hole = next;
		}
	}
	m->slots[hole].item = NULL;
	m->n--;
	return 0;
}

size_t
weir_map_bytes(const struct weir_map *m)
{
	return m->slots ? (m->mask + 1) * sizeof *m->slots : 0;
}

void
weir_map_free(struct weir_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->n = 0;
}
