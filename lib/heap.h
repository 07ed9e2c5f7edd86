/*
 * heap.h: a 4-ary min-heap over any element type, for reorder buffers and
 * timers.
 *
 *   WEIR_HEAP_DEFINE(timers, struct timer, timer_before)
 *
 * defines, for a `struct timers_heap { struct timer *items; size_t n, cap; }`:
 *
 *   int timers_push(struct timers_heap *h, struct timer item);   0, or -1 (memory)
 *   struct timer timers_pop(struct timers_heap *h);              h->n > 0
 *   void timers_free(struct timers_heap *h);
 *
 * `before(a, b)` is a strict order on pointers to elements.  Four children
 * per node halve the depth of a binary heap, and the least of a full family
 * is found by a tournament of selects rather than a branchy loop, which is
 * faster on the reorder buffer of weir-watermark.  Functions are generated
 * per type (static inline), so the comparison is inlined on the hot path.
 * The heap owns `items`.
 */
#ifndef WEIR_HEAP_H
#define WEIR_HEAP_H

#include <stdlib.h>

#define WEIR_HEAP_DEFINE(name, type, before)                                      \
	struct name##_heap {                                                       \
		type *items;                                                       \
		size_t n, cap;                                                     \
	};                                                                         \
                                                                                   \
	static inline int                                                          \
	name##_push(struct name##_heap *h, type item)                              \
	{                                                                          \
		if (h->n == h->cap) {                                              \
			size_t cap = h->cap ? h->cap * 2 : 1024;                   \
			type *p = realloc(h->items, cap * sizeof *p);              \
			if (p == NULL)                                             \
				return -1;                                         \
			h->items = p;                                              \
			h->cap = cap;                                              \
		}                                                                  \
		size_t i = h->n++;                                                 \
		while (i > 0 && before(&item, &h->items[(i - 1) / 4])) {           \
			h->items[i] = h->items[(i - 1) / 4];                       \
			i = (i - 1) / 4;                                           \
		}                                                                  \
		h->items[i] = item;                                                \
		return 0;                                                          \
	}                                                                          \
                                                                                   \
	static inline type                                                         \
	name##_pop(struct name##_heap *h)                                          \
	{                                                                          \
		type top = h->items[0], last = h->items[--h->n];                   \
		size_t i = 0;                                                      \
		for (;;) {                                                         \
			size_t kid = 4 * i + 1, best = kid;                        \
			if (kid >= h->n)                                           \
				break;                                             \
			if (kid + 4 <= h->n) {                                     \
				size_t b1 = before(&h->items[kid + 1], &h->items[kid]) ? \
				    kid + 1 : kid;                                 \
				size_t b2 = before(&h->items[kid + 3],             \
				    &h->items[kid + 2]) ? kid + 3 : kid + 2;       \
				best = before(&h->items[b2], &h->items[b1]) ? b2 : b1; \
			} else {                                                   \
				for (size_t k = kid + 1; k < h->n; k++)            \
					if (before(&h->items[k], &h->items[best])) \
						best = k;                          \
			}                                                          \
			if (!before(&h->items[best], &last))                       \
				break;                                             \
			h->items[i] = h->items[best];                              \
			i = best;                                                  \
		}                                                                  \
		if (h->n > 0)                                                      \
			h->items[i] = last;                                        \
		return top;                                                        \
	}                                                                          \
                                                                                   \
	static inline void                                                         \
	name##_free(struct name##_heap *h)                                         \
	{                                                                          \
		free(h->items);                                                    \
		h->items = NULL;                                                   \
		h->n = h->cap = 0;                                                 \
	}

#endif
