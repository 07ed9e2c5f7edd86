/*
 * fill.c: empty windows as rows (fill.h).
 */
#include "fill.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

int
weir_fill_init(struct weir_fill *f, const struct weir_window_spec *w, struct weir_zone *z,
    struct weir_held_key **keys, struct weir_ctx *ctx, const struct weir_aggdef *defs, int n,
    bool partial, const char *value, char *err, size_t errlen)
{
	*f = (struct weir_fill){w->size, w->kind == WEIR_WINDOW_SLIDING ? w->slide : w->size, z,
		keys, ctx, {0}, {0}, WEIR_FILL_NONE, WEIR_FILL_NONE, 0};
	if (value && partial) {
		snprintf(err, errlen, "--fill=VALUE puts a value in place of null, which a partial "
		    "row's state cannot take: not with --partial");
		return -1;
	}
	if (value) {
		json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
		json_decref(v);
		if (v == NULL) {
			snprintf(err, errlen, "bad --fill '%s' (expected a JSON value: 0, \"-\", null)",
			    value);
			return -1;
		}
	}
	/* a group of no event: each cell as it is before its first value */
	union weir_cell *cells = calloc((size_t)(n > 0 ? n : 1), sizeof *cells);
	struct weir_buf empty = {0};
	int rc = cells ? weir_cells_row(&empty, false, defs, n, cells, 0, partial) : -1;
	free(cells);
	/* each null a value takes the place of (no key or string is here) */
	for (size_t i = 0; rc == 0 && i < empty.n; i++) {
		if (value && empty.n - i >= 5 && memcmp(empty.p + i, ":null", 5) == 0) {
			rc = weir_buf_printf(&f->cells, ":%s", value);
			i += 4;
		} else {
			rc = weir_buf_add(&f->cells, empty.p + i, 1);
		}
	}
	weir_buf_free(&empty);
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

void
weir_fill_free(struct weir_fill *f)
{
	weir_buf_free(&f->cells);
	weir_buf_free(&f->row);
}

/* k has its row in the window ending at end. */
static void
shown(struct weir_held_key *k, int64_t end)
{
	if (!k->filled_any || end > k->filled) {
		k->filled = end;
		k->filled_any = true;
	}
}

/* The window of local start f->next is complete: each key with no row in
 * it gets one.  Then on to the next window; one that local time skips (a
 * clock change) has no instant and no row. */
static int
complete(struct weir_fill *f)
{
	int64_t s = f->next, start = INT64_MAX, end = INT64_MAX;
	if (s <= INT64_MAX - f->size)
		weir_window_bounds(f->zone, s, f->size, &start, &end);
	f->next = s > INT64_MAX - f->step ? INT64_MAX : s + f->step;
	int rc = 0;
	for (struct weir_held_key *k = *f->keys; k && rc == 0 && start < end; k = k->hh.next) {
		if (!k->filled_any || k->filled >= end)
			continue;	/* not yet in a row, or in this window's */
		shown(k, end);
		struct weir_buf *b = &f->row;
		if (weir_window_row_open(b, k->members, k->members_len, NULL, 0, f->zone,
		    weir_output_repr(f->ctx), start, end) < 0 ||
		    weir_buf_str(b, b->n > 1 ? "," : "") < 0 ||
		    weir_buf_add(b, f->cells.p, f->cells.n) < 0 || weir_buf_add(b, "}", 1) < 0)
			return weir_fail(f->ctx, "out of memory writing a row");
		f->rows++;
		rc = weir_emit_row(f->ctx, b->p, b->n);
	}
	return rc;
}

int
weir_fill_before(struct weir_fill *f, struct weir_held_key *k, int64_t start, int64_t end)
{
	int64_t s = f->zone ? weir_zone_local(f->zone, start) : start;
	if (f->next == WEIR_FILL_NONE)
		f->next = s;
	if (f->last == WEIR_FILL_NONE || s > f->last)
		f->last = s;
	int rc = 0;
	while (rc == 0 && f->next < s)
		rc = complete(f);
	shown(k, end);	/* after: the windows before it are k's to fill */
	return rc;
}

int
weir_fill_through(struct weir_fill *f, int64_t w)
{
	int rc = 0;
	while (rc == 0 && f->next != WEIR_FILL_NONE) {
		int64_t start = INT64_MAX, end = INT64_MAX;
		if (f->next <= INT64_MAX - f->size)
			weir_window_bounds(f->zone, f->next, f->size, &start, &end);
		if (w == INT64_MAX ? f->next > f->last : end > w)
			break;
		rc = complete(f);
	}
	return rc;
}

int
weir_fill_save(const struct weir_fill *f, struct weir_buf *b)
{
	return weir_put_i64(b, f->next) | weir_put_i64(b, f->last) | weir_put_u64(b, f->rows);
}

void
weir_fill_restore(struct weir_fill *f, struct weir_get *g)
{
	f->next = weir_get_i64(g);
	f->last = weir_get_i64(g);
	f->rows = weir_get_u64(g);
}

int
weir_fill_key_save(const struct weir_held_key *k, struct weir_buf *b)
{
	return weir_put_i64(b, k->filled) | weir_put_u64(b, k->filled_any);
}

void
weir_fill_key_restore(struct weir_held_key *k, struct weir_get *g)
{
	k->filled = weir_get_i64(g);
	k->filled_any = weir_get_u64(g) != 0;
}
