/*
 * rank.c: the N best rows of each window; see rank.h.
 */
#include "rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "io.h"

#define MAX_RANK_KEYS 32

struct ranked {
	size_t at, len;		/* the row in r->rows */
	double v;
	bool null;		/* no number to rank by */
};

struct weir_rank {
	struct weir_plan *plan;	/* slot 0: the value; 1, 2: window_start and
				   window_end; 3..: the keys */
	struct weir_span *spans;
	int nkeys;
	size_t n;
	bool desc;
	struct weir_buf window;	/* the bounds of the rows held, as written */
	struct weir_buf rows;
	struct ranked *held;
	size_t nheld, cap;
	size_t *keys;		/* per held row: nkeys (offset, length) pairs, offsets in
				   the row; length 0 for a key the row has not */
	size_t keys_cap;
};

/* A member name as a plan path: dots, commas and backslashes escaped. */
static int
add_name(struct weir_plan *plan, const char *name)
{
	char path[1024];
	size_t k = 0;
	for (const char *p = name; *p && k + 2 < sizeof path; p++) {
		if (strchr(".,\\", *p))
			path[k++] = '\\';
		path[k++] = *p;
	}
	path[k] = '\0';
	return weir_plan_add(plan, path);
}

struct weir_rank *
weir_rank_new(const char *by, size_t n, bool desc, const char *const *keys, int nkeys, char *err,
    size_t errlen)
{
	if (nkeys > MAX_RANK_KEYS) {
		snprintf(err, errlen, "--top ranks by at most %d --by fields", MAX_RANK_KEYS);
		return NULL;
	}
	struct weir_rank *r = calloc(1, sizeof *r);
	if (r == NULL || (r->plan = weir_plan_new()) == NULL)
		goto oom;
	r->n = n;
	r->desc = desc;
	r->nkeys = nkeys;
	if (add_name(r->plan, by) != 0 || weir_plan_add(r->plan, "window_start") != 1 ||
	    weir_plan_add(r->plan, "window_end") != 2)
		goto oom;
	for (int i = 0; i < nkeys; i++)
		if (add_name(r->plan, keys[i]) < 0)
			goto oom;
	if ((r->spans = calloc(weir_plan_size(r->plan), sizeof *r->spans)) == NULL)
		goto oom;
	return r;
oom:
	snprintf(err, errlen, "out of memory");
	weir_rank_free(r);
	return NULL;
}

void
weir_rank_free(struct weir_rank *r)
{
	if (r == NULL)
		return;
	weir_plan_free(r->plan);
	free(r->spans);
	weir_buf_free(&r->rows);
	weir_buf_free(&r->window);
	free(r->held);
	free(r->keys);
	free(r);
}

static int
kind_of(const char *p, size_t n)
{
	if (n == 0)
		return 3;			/* absent: last */
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return 0;
	return *p == '"' ? 1 : 2;
}

static int
compare_keys(const struct weir_rank *r, size_t a, size_t b)
{
	const size_t *ka = &r->keys[a * 2 * (size_t)r->nkeys], *kb = &r->keys[b * 2 * (size_t)r->nkeys];
	const char *ra = r->rows.p + r->held[a].at, *rb = r->rows.p + r->held[b].at;
	for (int i = 0; i < r->nkeys; i++) {
		struct weir_span sa = {ra + ka[2 * i], ka[2 * i + 1]};
		struct weir_span sb = {rb + kb[2 * i], kb[2 * i + 1]};
		int ta = kind_of(sa.p, sa.n), tb = kind_of(sb.p, sb.n);
		if (ta != tb)
			return ta < tb ? -1 : 1;
		if (ta == 3)
			continue;
		double x, y;
		if (ta == 0 && weir_span_number(&sa, &x) == 0 && weir_span_number(&sb, &y) == 0) {
			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		/* strings by their characters: escapes decoded where there are any */
		char da[256], db[256];
		long la, lb;
		if (ta == 1 && (memchr(sa.p, '\\', sa.n) || memchr(sb.p, '\\', sb.n)) &&
		    (la = weir_span_unescape(&sa, da, sizeof da)) >= 0 &&
		    (lb = weir_span_unescape(&sb, db, sizeof db)) >= 0) {
			sa = (struct weir_span){da, (size_t)la};
			sb = (struct weir_span){db, (size_t)lb};
		}
		size_t m = sa.n < sb.n ? sa.n : sb.n;
		int c = memcmp(sa.p, sb.p, m);
		if (c != 0)
			return c;
		if (sa.n != sb.n)
			return sa.n < sb.n ? -1 : 1;
	}
	return 0;
}

static int
compare(const void *pa, const void *pb, void *arg)
{
	const struct weir_rank *r = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct ranked *x = &r->held[a], *y = &r->held[b];
	if (x->null != y->null)	/* PostgreSQL: NULLS LAST ascending, FIRST descending */
		return (x->null ? 1 : -1) * (r->desc ? -1 : 1);
	if (!x->null && x->v != y->v)
		return (x->v < y->v ? -1 : 1) * (r->desc ? -1 : 1);
	return compare_keys(r, a, b);
}

int
weir_rank_flush(struct weir_rank *r, weir_rank_emit *emit, void *arg, uint64_t *dropped)
{
	int rc = 0;
	if (r->nheld > 0) {
		size_t *order = malloc(r->nheld * sizeof *order);
		if (order == NULL)
			return -1;
		for (size_t i = 0; i < r->nheld; i++)
			order[i] = i;
		qsort_r(order, r->nheld, sizeof *order, compare, r);
		size_t keep = r->nheld < r->n ? r->nheld : r->n;
		for (size_t i = 0; i < keep && rc == 0; i++)
			rc = emit(arg, r->rows.p + r->held[order[i]].at, r->held[order[i]].len);
		*dropped += r->nheld - keep;
		free(order);
	}
	r->nheld = 0;
	r->rows.n = 0;
	return rc;
}

int
weir_rank_add(struct weir_rank *r, const char *row, size_t len, weir_rank_emit *emit, void *arg,
    uint64_t *dropped)
{
	const char *why;
	bool scanned = weir_scan(r->plan, row, len, r->spans, &why) == 0;
	/* the window: its bounds as written, or none (rows of no window) */
	char bounds[160];
	int bn = 0;
	if (scanned && r->spans[1].p && r->spans[2].p)
		bn = snprintf(bounds, sizeof bounds, "%.*s/%.*s", (int)r->spans[1].n, r->spans[1].p,
		    (int)r->spans[2].n, r->spans[2].p);
	if (bn < 0 || (size_t)bn >= sizeof bounds)
		bn = 0;
	if (r->nheld > 0 && (r->window.n != (size_t)bn || memcmp(r->window.p, bounds, (size_t)bn) != 0)) {
		int rc = weir_rank_flush(r, emit, arg, dropped);
		if (rc != 0)
			return rc;
	}
	r->window.n = 0;
	if (weir_buf_add(&r->window, bounds, (size_t)bn) < 0)
		return -1;
	size_t nk = 2 * (size_t)r->nkeys;
	if (r->nheld == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct ranked *h = realloc(r->held, cap * sizeof *h);
		if (h == NULL)
			return -1;
		r->held = h;
		size_t *k = realloc(r->keys, (nk ? cap * nk : 1) * sizeof *k);
		if (k == NULL)
			return -1;
		r->keys = k;
		r->cap = cap;
	}
	struct ranked *e = &r->held[r->nheld];
	e->at = r->rows.n;
	e->len = len;
	e->null = true;
	size_t *k = &r->keys[r->nheld * nk];
	if (nk)
		memset(k, 0, nk * sizeof *k);
	if (scanned) {
		e->null = r->spans[0].p == NULL || weir_span_number(&r->spans[0], &e->v) != 0;
		for (int i = 0; i < r->nkeys; i++)
			if (r->spans[i + 3].p) {
				k[2 * i] = (size_t)(r->spans[i + 3].p - row);
				k[2 * i + 1] = r->spans[i + 3].n;
			}
	}
	if (weir_buf_add(&r->rows, row, len) < 0)
		return -1;
	r->nheld++;
	return 0;
}
