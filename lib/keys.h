/*
 * keys.h: group keys from a --by list of fields.
 *
 * A key is the values of its fields compared by value (SPEC 7a): a string
 * by its decoded characters ("jos\u00e9" is "josé"), any other value by its
 * JSON text, so the number 1042 and the string "1042" are one key, as
 * Miller joins, while 1 and 1.0 are two.  In the key bytes each value is
 * followed by a NUL; a missing field is the single byte \1, which no value's
 * text starts with, so an event that lacks a field groups with the others
 * that lack it (as SQL groups NULL).
 *
 * weir_keys owns the output names; weir_keys_free releases them (and
 * accepts a zeroed struct).  A set of held keys (a uthash head) is its
 * program's, and so are its keys, made and freed by the functions below.
 */
#ifndef WEIR_KEYS_H
#define WEIR_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "hash.h"

#define WEIR_MAX_KEY_FIELDS 16

struct weir_keys {
	int slots[WEIR_MAX_KEY_FIELDS];		/* in the plan */
	char *names[WEIR_MAX_KEY_FIELDS];	/* JSON-quoted paths, as given */
	size_t name_len[WEIR_MAX_KEY_FIELDS];
	int n;
};

/* Adds the comma-separated paths of `list` to the plan; -1 when a path is
 * malformed, there are more than WEIR_MAX_KEY_FIELDS, or memory ran out. */
int weir_keys_parse(struct weir_keys *k, struct weir_plan *plan, const char *list);
void weir_keys_free(struct weir_keys *k);

/* A join's key list with a name per side, `order_id=id,region` (left
 * name = right name; one name: the same on both): the left and the right
 * lists, newly allocated (free both).  Backslash escapes are kept, so
 * each list reads as weir_keys_parse reads one.  -1 when memory ran out
 * or a pair has an empty side. */
int weir_keys_split_pairs(const char *list, char **left, char **right);

/* Writes an event's key bytes into *buf (grown as needed); returns their
 * length, or -1 when memory ran out. */
long weir_keys_bytes(const struct weir_keys *k, const struct weir_span *spans, char **buf,
    size_t *cap);

/* The hash of key bytes (weir_map_hash of all but their last byte, the
 * NUL every key ends with: so the key of one plain field hashes the
 * field's own bytes in the line, copied nowhere). */
uint64_t weir_keys_bytes_hash(const char *bytes, size_t len);

/* weir_keys_bytes_hash of the event's key bytes, without writing them
 * anywhere (the reader thread computes it into the event's digest). */
uint64_t weir_keys_hash(const struct weir_keys *k, const struct weir_span *spans);

/* What a join's reader thread finds of an event's key (weir_hooks'
 * on_scan): digest[1] WEIR_KEY_COMPLETE when every key field is there (a
 * key with one missing matches nothing, as SQL's NULL), and digest[0] then
 * its weir_keys_hash; else both 0. */
#define WEIR_KEY_COMPLETE 1
void weir_keys_digest(const struct weir_keys *k, const struct weir_span *spans,
    uint64_t digest[2]);

/* The 128-bit XXH3 of the event's key bytes, low half first: a key known
 * by its hash alone (weir-dedupe stores no key bytes). */
void weir_keys_hash128(const struct weir_keys *k, const struct weir_span *spans,
    uint64_t out[2]);

/* Whether bytes[0..len) are the event's key bytes. */
bool weir_keys_equal(const struct weir_keys *k, const struct weir_span *spans,
    const char *bytes, size_t len);

/* Whether a member's name (quotes and all, as in the line) is one of the
 * key fields' names. */
bool weir_keys_is_name(const struct weir_keys *k, const struct weir_span *name);

/* The members a row shows for the event's key, `"host":"web-1","user.id":7`
 * (missing fields left out), newly allocated with its length in *len; NULL
 * when memory ran out. */
char *weir_keys_members(const struct weir_keys *k, const struct weir_span *spans, size_t *len);

/* A key a program holds state for (weir-agg's groups, weir-window's
 * windows): found by its key bytes, with the members its rows show.  The
 * program's own key struct starts with it. */
struct weir_held_key {
	char *bytes;		/* weir_keys_bytes */
	size_t len;
	char *members;		/* weir_keys_members: `"host":"web-1"` */
	size_t members_len;
	int64_t filled;		/* weir-agg --fill: the end of its last window with a */
	bool filled_any;	/* row, if any (lib/fill.h) */
	UT_hash_handle hh;
};

/* The event's key in *set, found, or added as a new zeroed struct of
 * `size` bytes that starts with the weir_held_key; scratch holds the key
 * bytes on the way.  NULL when memory ran out. */
struct weir_held_key *weir_held_key_of(struct weir_held_key **set, const struct weir_keys *by,
    const struct weir_span *fields, size_t size, char **scratch, size_t *cap);

/* Adds a key with these bytes and members (restored from a checkpoint), as
 * weir_held_key_of does; NULL when memory ran out. */
struct weir_held_key *weir_held_key_add(struct weir_held_key **set, const char *bytes,
    size_t len, const char *members, size_t members_len, size_t size);

/* Adds the keys a file lists (weir-agg --fill-keys: NDJSON objects with
 * the key fields, as events hold them, or a CSV file whose header names
 * them, read by lib/io as a --table is) to *set in the file's order, as
 * weir_held_key_of adds an event's, each in a row of every window to fill
 * (lib/fill.h); blank lines are skipped.  -1 with a message in err: the
 * file cannot be read, a line is not a JSON object, or memory ran out. */
int weir_held_keys_load(struct weir_held_key **set, const struct weir_keys *by,
    const struct weir_plan *plan, size_t size, const char *path, char *err, size_t errlen);

/* Takes k out of *set and frees it. */
void weir_held_key_drop(struct weir_held_key **set, struct weir_held_key *k);

#endif
