/*
 * merge.h: the members a right line adds to a left one in a joined row.
 *
 * The right line's members as they join the left's: key fields left out
 * (the left has them), a name the left has too renamed right_NAME.  The
 * right line is walked once, into a list, and its members written in one
 * pass.  What to do with each member is the same for every pair of lines of
 * the same two shapes (weir_scan_shape): it is kept, with the right keys'
 * lengths, and for the next such pair the left line is not read at all and
 * the right one only for its values (weir_member_list_shaped).  The names of
 * the last left shape are kept too.
 *
 * Ownership: a weir_merge owns its lists, plans and the members it writes
 * (valid until the next call); the key list it is given stays the
 * caller's.  weir_merge_free accepts a zeroed merge.
 */
#ifndef WEIR_MERGE_H
#define WEIR_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "io.h"
#include "keys.h"

/* What a merge does with each member of a right line of shape r joining a
 * left line of shape l (weir_scan_shape): the same for every such pair. */
enum { WEIR_MERGE_PLAIN, WEIR_MERGE_SKIP, WEIR_MERGE_RENAME };

struct weir_merge_plan {
	uint32_t l, r;		/* 0: no plan */
	int n;
	unsigned char *act;	/* n of WEIR_MERGE_* */
	uint16_t *key_len;	/* n: the right keys' lengths (weir_member_list_shaped) */
	size_t cap;
};

/* The names of a left line of one shape (weir_scan_shape), kept: every
 * left line of that shape has them, and a merge needs no more of the left
 * line than its names.  Its keys point into buf. */
struct weir_left_names {
	uint32_t shape;		/* 0: none kept */
	int n;
	uint64_t bits;		/* name_bit of each */
	struct weir_members list;
	struct weir_buf buf;
};

struct weir_merge {
	const struct weir_keys *keys;	/* the key fields, left out */
	struct weir_members left, right;	/* of the pair being merged */
	struct weir_left_names lnames;	/* of the last left shape merged */
	struct weir_merge_plan plan;	/* of the last pair of shapes merged */
	struct weir_buf members;	/* what the right line adds: `"a":1,"right_b":2` */
};

/* Appends {"left":L,"right":R} (--nest), either null when absent (NULL).
 * -1 when memory ran out. */
int weir_merge_nest(struct weir_buf *b, const char *l, size_t ln, const char *r, size_t rn);

/* Writes the members r[0..rn) adds to l[0..ln) into m->members.  lclean,
 * rclean: weir_line_is_clean of each line, or -1; lshape, rshape:
 * weir_scan_shape of each, or 0.  -1 when memory ran out or a line is not
 * an object. */
int weir_merge_members(struct weir_merge *m, const char *l, size_t ln, int lclean,
    uint32_t lshape, const char *r, size_t rn, int rclean, uint32_t rshape);
void weir_merge_free(struct weir_merge *m);

/* Writes a joined pair's row through the driver: with nest,
 * {"left":L,"right":R} built in row; else the left line with the members
 * the right one adds.  A NULL side is missing (an outer row): the other
 * line is written as it came.  Cleanness and shapes as weir_merge_members
 * takes them.  0, or what writing returned (-1 after weir_fail). */
struct weir_ctx;
int weir_merge_emit(struct weir_ctx *ctx, struct weir_merge *m, struct weir_buf *row, bool nest,
    const char *l, size_t ln, int lclean, uint32_t lshape, const char *r, size_t rn, int rclean,
    uint32_t rshape);

#endif
