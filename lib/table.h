/*
 * table.h: a lookup table, read whole from a file (NDJSON, or CSV when the
 * name ends in .csv; gzipped or not), its rows found by key.
 *
 * The table is one arena of records and a probe index over them.  A record
 * is a key and its rows, 8-aligned, the part a lookup reads first:
 *
 *   u32 key length | u32 rows | key bytes | row | row ...
 *   row: u32 line length | u32 members length | u32 names | members
 *        | u16 name index per member | the line as read
 *
 * A row is prepared when the source asks for it (weir_table_source.prepare)
 * and every row can be: its members less the key fields, ready to add to
 * an event, and for each member the index of its name in the source's
 * names.  A prepared row keeps no line (length 0): its members in braces
 * stand for it (weir_table_row_line), as a merge leaves the key fields out
 * anyway.  Where a row cannot be prepared, none of the table's are
 * (table.prepared is false) and each keeps its line.
 *
 * The index is a byte of tag per slot beside the records' offsets, so a
 * key that is not in the table costs no cache miss at all, and one that is
 * costs the tag, the offset and the record, which a caller that knows the
 * hashes of the next events fetches early (weir_table_prefetch).
 *
 * Rows are appended to the arena as they are read, each as a record of its
 * own, so a table whose keys are all different (a lookup table) is ready
 * when read; the index is built after, in the order read.  Only a table
 * with a key on several rows is laid out again, its rows brought together
 * under the key's first record.  An NDJSON file's lines are split and
 * scanned on a reader thread while this one stores the rows.
 *
 * Ownership: a weir_table_source (the file, its plan, its keys and the
 * names its rows bring) is the caller's, and outlives every table read from
 * it: a table read again (--reload) adds to the same names.  A weir_table
 * owns its arena and index; weir_table_free accepts a zeroed table.
 */
#ifndef WEIR_TABLE_H
#define WEIR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fields.h"
#include "keys.h"

/* The most names a table's rows may bring and still be prepared. */
#define WEIR_TABLE_NAMES 256

/* A name the table's rows bring: a top-level path of the stream's plan
 * too, so that the stream's scan tells whether an event has a member of
 * that name (a clash, for the caller to resolve). */
struct weir_table_name {
	char *raw;		/* as written, quotes and all */
	size_t len;
	int slot;		/* in the stream's plan */
};

struct weir_table_source {
	const char *path;
	struct weir_plan *plan;		/* the table's own: its key fields */
	struct weir_keys keys;		/* in plan */
	bool prepare;			/* prepare rows (see above) */
	struct weir_table_name names[WEIR_TABLE_NAMES];
	size_t nnames;
	/* a malformed CSV row: 0 to read on, else (or when NULL) the load fails */
	int (*reject)(void *arg, const char *line, size_t len, const char *path,
	    uint64_t lineno, const char *why);
	void *reject_arg;
};

struct weir_table {
	size_t rows, without_key, rejected, bytes, nkeys;
	struct stat id;		/* the file read */
	char *arena;
	size_t arena_len, arena_cap;
	uint64_t *hashes;	/* while reading: each record's key hash */
	uint32_t *starts;	/* while reading: each record's offset / 8 */
	size_t nrecs, recs_cap;
	uint8_t *tags;		/* 0: empty, else 0x80 | the hash's top 7 bits */
	uint32_t *offs;		/* the slot's record, in 8-byte units */
	size_t mask;
	bool prepared;		/* rows carry their members, ready to append */
};

/* Sets up src for the file at path, keyed by the comma-separated fields
 * of `on`; -1 when memory ran out or `on` is malformed. */
int weir_table_source_init(struct weir_table_source *src, const char *path, const char *on,
    bool prepare);
void weir_table_source_free(struct weir_table_source *src);

/* Reads src's file whole into *t.  grow: the stream's plan, before the
 * stream is read, which the names of prepared rows join; NULL after (a row
 * with a name not seen before is then not prepared).  0, or -1 with a
 * message in err. */
int weir_table_load(struct weir_table_source *src, struct weir_table *t, struct weir_plan *grow,
    char *err, size_t errlen);
void weir_table_free(struct weir_table *t);

/* Whether two stats are of the same file, unchanged. */
bool weir_table_same_file(const struct stat *a, const struct stat *b);

/* A u32 of a record. */
static inline uint32_t
weir_table_u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint8_t
weir_table_tag(uint64_t h)
{
	return (uint8_t)(0x80 | (h >> 57));
}

/* The record of the event's key (hashed to h by weir_keys_hash, with the
 * stream's keys), or NULL. */
static inline const char *
weir_table_lookup(const struct weir_table *t, uint64_t h, const struct weir_keys *keys,
    const struct weir_span *spans)
{
	if (t->tags == NULL)
		return NULL;
	uint8_t tag = weir_table_tag(h);
	for (size_t at = h & t->mask; t->tags[at] != 0; at = (at + 1) & t->mask) {
		if (t->tags[at] != tag)
			continue;
		const char *rec = t->arena + (size_t)t->offs[at] * 8;
		if (weir_keys_equal(keys, spans, rec + 8, weir_table_u32(rec)))
			return rec;
	}
	return NULL;
}

/*
 * A lookup misses the cache three times, one after the other: the tag, the
 * record's offset, the record.  With the hashes of events further on known,
 * their misses are taken early and together: the far event's tag and
 * offset (far: its hash, or NULL), then, once they are in, the near one's
 * record.  Always inlined: GCC otherwise takes a function that only
 * prefetches for one without effect and drops the call.
 */
static inline __attribute__((always_inline)) void
weir_table_prefetch(const struct weir_table *t, const uint64_t *near, const uint64_t *far)
{
	if (t->tags == NULL)
		return;
	if (far) {
		size_t at = *far & t->mask;
		__builtin_prefetch(&t->tags[at]);
		__builtin_prefetch(&t->offs[at]);
	}
	if (near) {
		size_t at = *near & t->mask;
		if (t->tags[at] == weir_table_tag(*near)) {
			const char *rec = t->arena + (size_t)t->offs[at] * 8;
			__builtin_prefetch(rec);
			__builtin_prefetch(rec + 64);
		}
	}
}

/* A record's rows, one after the other. */
struct weir_table_row {
	const char *members;	/* ml bytes: `"a":1,"b":2` (prepared rows) */
	uint32_t ml;
	const char *idx;	/* nn u16 name indexes, unaligned */
	uint32_t nn;
	const char *line;	/* rl bytes; 0 for a prepared row */
	uint32_t rl;
};

/* A row's line, for a merge: as read, or (a prepared row) its members in
 * braces, made in *buf; *len its length.  NULL when memory ran out. */
struct weir_buf;
const char *weir_table_row_line(const struct weir_table_row *row, struct weir_buf *buf,
    uint32_t *len);

/* The number of rows of rec, and the first at *at. */
static inline uint32_t
weir_table_rows(const char *rec, const char **at)
{
	*at = rec + 8 + weir_table_u32(rec);
	return weir_table_u32(rec + 4);
}

/* The row at *at, and *at past it. */
static inline struct weir_table_row
weir_table_row_next(const char **at)
{
	const char *r = *at;
	struct weir_table_row row;
	row.rl = weir_table_u32(r);
	row.ml = weir_table_u32(r + 4);
	row.nn = weir_table_u32(r + 8);
	row.members = r + 12;
	row.idx = row.members + row.ml;
	row.line = row.idx + 2 * (size_t)row.nn;
	*at = row.line + row.rl;
	return row;
}

/* The index of the m-th member's name (in the source's names). */
static inline uint16_t
weir_table_row_name(const struct weir_table_row *row, uint32_t m)
{
	uint16_t at;
	memcpy(&at, row->idx + 2 * (size_t)m, 2);
	return at;
}

#endif
