/*
 * store.h: where held events keep their bytes.
 *
 * A program that holds events past its hook (a reorder buffer, windows,
 * sessions) copies their bytes here: into chunks of 64 KiB, not one
 * allocation per event.  A chunk counts the references to events in it and
 * is recycled when the last one is released.  Events leave in roughly the
 * order they came (disorder is bounded by the lag and the window), so few
 * chunks are alive at once and memory follows what is held, never what was
 * read.  Chunks are small so that those in use, and the few empty ones
 * kept for reuse, stay in a core's cache: a new event's bytes are written
 * where an older one's were, not into memory last touched megabytes ago.
 * An event longer than a chunk gets a chunk of its own.
 *
 *   chunk: [ refs|ev1 bytes | refs|ev2 bytes | ... free ]   live = events in it
 *
 * Each event carries its own reference count (4 bytes before its bytes), so
 * an event held by several windows is stored once with no allocation of its
 * own.
 *
 * The store owns the chunks; a weir_stored handle is valid until its last
 * reference is released.  weir_store_free accepts NULL and frees every
 * chunk, referenced or not.
 */
#ifndef WEIR_STORE_H
#define WEIR_STORE_H

#include <stddef.h>

struct weir_chunk;
struct weir_store;

struct weir_stored {
	const char *line;
	size_t len;
	struct weir_chunk *chunk;
};

struct weir_store *weir_store_new(void);
void weir_store_free(struct weir_store *s);

/* Copies line[0..len) and returns a handle with one reference, or -1 when
 * memory ran out. */
int weir_store_put(struct weir_store *s, const char *line, size_t len,
    struct weir_stored *out);

/* The same, with tail[0..ntail) kept right after the line's bytes (at
 * out->line + out->len, unaligned): what the program wants back with the
 * event, such as where its fields are. */
int weir_store_put_tail(struct weir_store *s, const char *line, size_t len,
    const void *tail, size_t ntail, struct weir_stored *out);

/* One more reference to the same bytes (an event in several windows). */
void weir_store_ref(const struct weir_stored *h);

/* Drops one reference.  Returns 1 when it was the last (the event is gone;
 * its chunk is recycled once no event in it is left), else 0. */
int weir_store_release(struct weir_store *s, const struct weir_stored *h);

/* Bytes the store holds in chunks (for --stats). */
size_t weir_store_bytes(const struct weir_store *s);

#endif
