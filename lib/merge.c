/* The members a right line adds to a left one (merge.h). */
#include "merge.h"

#include "driver.h"

#include <stdlib.h>
#include <string.h>

/* A member name's bit in a set of 64: names are compared only where the
 * right's bit is in the left's set. */
static inline uint64_t
name_bit(const struct weir_span *key)
{
	return UINT64_C(1) << ((key->n * 7 + (unsigned char)key->p[1]) & 63);
}

/* Keeps the names of a left line of shape `shape` (lm[0..n)); where memory
 * runs out, none are kept. */
static void
keep_left_names(struct weir_left_names *k, uint32_t shape, const struct weir_member *lm, int n,
    uint64_t bits)
{
	size_t bytes = 0;
	k->shape = 0;
	for (int i = 0; i < n; i++)
		bytes += lm[i].key.n;
	if (weir_reserve(&k->buf.p, &k->buf.cap, bytes + 1) < 0 ||
	    (k->list.cap < (size_t)n && weir_members_reserve(&k->list, (size_t)n) < 0))
		return;
	char *w = k->buf.p;
	for (int i = 0; i < n; i++) {
		memcpy(w, lm[i].key.p, lm[i].key.n);
		k->list.v[i].key = (struct weir_span){w, lm[i].key.n};
		k->list.v[i].value = (struct weir_span){NULL, 0};
		w += lm[i].key.n;
	}
	k->n = n;
	k->bits = bits;
	k->shape = shape;
}

/* The left line's names, in *lm[0..*nl) and as a set of name bits: kept
 * from the last left line of the same shape, else listed (and kept). */
static int
left_names_of(struct weir_merge *m, const char *l, size_t ln, int lclean, uint32_t lshape,
    const struct weir_member **lm, int *nl, uint64_t *bits)
{
	struct weir_left_names *k = &m->lnames;
	if (lshape != 0 && lshape == k->shape) {
		*lm = k->list.v;
		*nl = k->n;
		*bits = k->bits;
		return 0;
	}
	if ((*nl = weir_members_of(&m->left, l, ln, lclean)) < 0)
		return -1;
	*lm = m->left.v;
	*bits = 0;
	for (int i = 0; i < *nl; i++)
		*bits |= name_bit(&(*lm)[i].key);
	if (lshape != 0)
		keep_left_names(k, lshape, *lm, *nl, *bits);
	return 0;
}

/* The members are written in one pass: a call per member and a buffer
 * append per piece would dominate the interval join's thread. */
int
weir_merge_members(struct weir_merge *m, const char *l, size_t ln, int lclean,
    uint32_t lshape, const char *r, size_t rn, int rclean, uint32_t rshape)
{
	/* a pair of shapes merged before: its plan, and the right line's keys
	 * where the last right line of its shape had them; else the names
	 * decide, and a plan is made for the next pair of these shapes */
	struct weir_merge_plan *mp = &m->plan;
	struct weir_members *rl = &m->right;
	bool planned = lshape != 0 && rshape != 0 && mp->l == lshape && mp->r == rshape;
	int nr = -1;
	if (planned && (rl->cap >= (size_t)mp->n || weir_members_reserve(rl, (size_t)mp->n) == 0))
		nr = weir_member_list_shaped(r, rn, mp->key_len, mp->n, rl->v);
	if (nr < 0) {
		planned = false;
		nr = weir_members_of(rl, r, rn, rclean);
	}
	struct weir_buf *b = &m->members;
	if (nr < 0 || weir_reserve(&b->p, &b->cap, rn + 9 * (size_t)nr + 1) < 0)
		return -1;
	const struct weir_member *lm = NULL;
	int nl = 0;
	uint64_t left_names = 0;
	bool keep = false;
	if (!planned) {
		if (left_names_of(m, l, ln, lclean, lshape, &lm, &nl, &left_names) < 0)
			return -1;
		mp->l = mp->r = 0;
		keep = lshape != 0 && rshape != 0;
		if (keep && mp->cap < (size_t)nr) {
			unsigned char *act = realloc(mp->act, (size_t)nr);
			if (act != NULL)
				mp->act = act;
			uint16_t *key_len = realloc(mp->key_len, (size_t)nr * sizeof *key_len);
			if (key_len != NULL)
				mp->key_len = key_len;
			keep = act != NULL && key_len != NULL;
			if (keep)
				mp->cap = (size_t)nr;
		}
	}
	const struct weir_member *rm = m->right.v;
	char *w = b->p;
	for (int k = 0; k < nr; k++) {
		const struct weir_span *key = &rm[k].key, *value = &rm[k].value;
		int act;
		if (planned) {
			act = mp->act[k];
		} else if (weir_keys_is_name(m->keys, key)) {
			act = WEIR_MERGE_SKIP;
		} else {
			bool clash = false;
			if (left_names & name_bit(key))
				for (int i = 0; i < nl && !clash; i++)
					clash = lm[i].key.n == key->n &&
					    memcmp(lm[i].key.p, key->p, key->n) == 0;
			act = clash ? WEIR_MERGE_RENAME : WEIR_MERGE_PLAIN;
		}
		if (keep) {
			mp->act[k] = (unsigned char)act;
			mp->key_len[k] = (uint16_t)key->n;
			keep = key->n <= UINT16_MAX;
		}
		if (act == WEIR_MERGE_SKIP)
			continue;
		if (w != b->p)
			*w++ = ',';
		if (act == WEIR_MERGE_RENAME) {
			memcpy(w, "\"right_", 7);
			memcpy(w + 7, key->p + 1, key->n - 1);
			w += 6 + key->n;
		} else {
			memcpy(w, key->p, key->n);
			w += key->n;
		}
		*w++ = ':';
		memcpy(w, value->p, value->n);
		w += value->n;
	}
	if (keep) {
		mp->l = lshape;
		mp->r = rshape;
		mp->n = nr;
	}
	b->n = (size_t)(w - b->p);
	return 0;
}

void
weir_merge_free(struct weir_merge *m)
{
	weir_members_free(&m->left);
	weir_members_free(&m->right);
	weir_members_free(&m->lnames.list);
	weir_buf_free(&m->lnames.buf);
	free(m->plan.act);
	free(m->plan.key_len);
	weir_buf_free(&m->members);
	memset(m, 0, sizeof *m);
}

int
weir_merge_nest(struct weir_buf *b, const char *l, size_t ln, const char *r, size_t rn)
{
	if (weir_buf_str(b, "{\"left\":") < 0 ||
	    (l ? weir_buf_add(b, l, ln) : weir_buf_str(b, "null")) < 0 ||
	    weir_buf_str(b, ",\"right\":") < 0 ||
	    (r ? weir_buf_add(b, r, rn) : weir_buf_str(b, "null")) < 0)
		return -1;
	return weir_buf_add(b, "}", 1);
}

int
weir_merge_emit(struct weir_ctx *ctx, struct weir_merge *m, struct weir_buf *row, bool nest,
    const char *l, size_t ln, int lclean, uint32_t lshape, const char *r, size_t rn, int rclean,
    uint32_t rshape)
{
	if (nest) {
		row->n = 0;
		if (weir_merge_nest(row, l, ln, r, rn) < 0)
			return weir_fail(ctx, "out of memory");
		return weir_emit_row(ctx, row->p, row->n);
	}
	if (r == NULL)
		return weir_emit_row(ctx, l, ln);
	if (l == NULL)
		return weir_emit_row(ctx, r, rn);
	if (weir_merge_members(m, l, ln, lclean, lshape, r, rn, rclean, rshape) < 0)
		return weir_fail(ctx, "out of memory");
	return weir_emit_insert(ctx, l, ln, m->members.p, m->members.n);
}
