/*
 * aggregate.c: cells of weir-agg: sums, moments, raw values, value sets,
 * percentiles, distinct counts, collected values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "evtime.h"
#include "state.h"

/* A value entry's bytes, as cells count them (its hash handle's share of
 * the table too). */
#define VALUE_BYTES(len) ((int64_t)(sizeof(struct weir_value) + (len) + 16))

/* --- numbers ------------------------------------------------------------------ */

static const double pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Is p[0..n) a number as JSON writes one? */
static bool
json_number_text(const char *p, size_t n)
{
	size_t i = p[0] == '-';
	size_t d = i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i == d || (p[d] == '0' && i > d + 1))
		return false;	/* no digit, or a leading zero */
	if (i < n && p[i] == '.') {
		size_t f = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t e = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == e)
			return false;
	}
	return i == n;
}

/*
 * Reads a value for a numeric aggregate.  Missing and null are absent (as
 * SQL's aggregates skip NULL); booleans, objects and arrays are not
 * numbers; a string is one when its text is a JSON number ("0.123", as
 * nginx and Debezium write them, read as Miller infers them), unless
 * !from_strings.  A plain decimal of up to 38 digits keeps its digits (for
 * exact sums); its double comes by one correctly rounded division when it
 * has at most 15 digits (both parts are exact doubles), by strtod
 * otherwise.
 */
void
weir_number_read(const struct weir_span *in, bool from_strings, struct weir_number *out)
{
	struct weir_span inner;
	const struct weir_span *s = in;
	if (in->p && in->n >= 2 && in->p[0] == '"') {
		inner = (struct weir_span){in->p + 1, in->n - 2};
		if (!from_strings || inner.n == 0 || !json_number_text(inner.p, inner.n)) {
			out->kind = NUM_BAD;
			return;
		}
		s = &inner;
	}
	const char *p = s->p, *end = s->p + s->n;
	if (p == NULL || (s->n == 4 && memcmp(p, "null", 4) == 0)) {
		out->kind = NUM_ABSENT;
		return;
	}
	if (*p != '-' && (*p < '0' || *p > '9')) {
		out->kind = NUM_BAD;
		return;
	}
	bool neg = *p == '-';
	const char *q = p + neg;
	unsigned __int128 mag = 0;
	int digits = 0;
	out->fd = -1;
	while (q < end && *q >= '0' && *q <= '9') {
		mag = mag * 10 + (unsigned)(*q - '0');
		q++;
		if (++digits > 38)
			goto slow;
	}
	if (q == end) {
		out->kind = NUM_INT;
		out->i = neg ? -(__int128)mag : (__int128)mag;
		out->fd = 0;
		out->d = (double)out->i;
		return;
	}
	if (*q == '.') {
		const char *frac = ++q;
		while (q < end && *q >= '0' && *q <= '9' && digits < 38) {
			mag = mag * 10 + (unsigned)(*q - '0');
			q++;
			digits++;
		}
		if (q == end) {
			out->kind = NUM_REAL;
			out->i = neg ? -(__int128)mag : (__int128)mag;
			out->fd = (int)(q - frac);
			if (digits <= 15 && out->fd <= 22) {
				out->d = (double)(uint64_t)mag / pow10[out->fd];
				if (neg)
					out->d = -out->d;
				return;
			}
		}
	}
slow:
	out->kind = NUM_REAL;
	if (weir_span_number(s, &out->d) < 0) {
		/* longer than the scanner's number buffer: strtod on the line,
		 * which stops at the delimiter after the number */
		out->d = strtod(p, NULL);
	}
}

static void
neumaier(double *sum, double *comp, double x)
{
	double t = *sum + x;
	if (fabs(*sum) >= fabs(x))
		*comp += (*sum - t) + x;
	else
		*comp += (x - t) + *sum;
	*sum = t;
}

static __int128
pow10_int(int k)
{
	__int128 v = 1;
	while (k-- > 0)
		v *= 10;
	return v;
}

/* Adds digits/10^fd to the exact sum; -1 (nothing changed) when it would
 * not fit in 128 bits. */
static int
exact_add(struct weir_moments *m, __int128 digits, int fd)
{
	__int128 sum = m->dsum;
	int scale = m->scale;
	if (fd > scale) {
		if (fd > 38 || __builtin_mul_overflow(sum, pow10_int(fd - scale), &sum))
			return -1;
		scale = fd;
	} else if (fd < scale && __builtin_mul_overflow(digits, pow10_int(scale - fd), &digits)) {
		return -1;
	}
	if (__builtin_add_overflow(sum, digits, &sum))
		return -1;
	m->dsum = sum;
	m->scale = scale;
	return 0;
}

static void
moments_add(struct weir_moments *m, const struct weir_number *x)
{
	m->n++;
	double delta = x->d - m->mean;
	m->mean += delta / (double)m->n;
	m->m2 += delta * (x->d - m->mean);
	if (x->fd >= 0 && exact_add(m, x->i, x->fd) == 0)
		return;
	m->inexact = true;
	neumaier(&m->fsum, &m->fcomp, x->d);
}

/* Chan et al.'s pairwise update: as if b's values had come after a's. */
static void
moments_merge(struct weir_moments *a, const struct weir_moments *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	double n = (double)(a->n + b->n);
	double delta = b->mean - a->mean;
	a->mean += delta * (double)b->n / n;
	a->m2 += b->m2 + delta * delta * (double)a->n * (double)b->n / n;
	a->n += b->n;
	if (exact_add(a, b->dsum, b->scale) < 0) {
		a->inexact = true;
		neumaier(&a->fsum, &a->fcomp, (double)((long double)b->dsum / powl(10, b->scale)));
	}
	a->inexact |= b->inexact;
	neumaier(&a->fsum, &a->fcomp, b->fsum);
	neumaier(&a->fsum, &a->fcomp, b->fcomp);
}

static long double
moments_total(const struct weir_moments *m)
{
	return (long double)m->dsum / powl(10, m->scale) + (long double)m->fsum +
	    (long double)m->fcomp;
}

/* Writes a 128-bit integer in decimal. */
static int
buf_int128(struct weir_buf *b, __int128 v)
{
	char tmp[48], *p = tmp + sizeof tmp;
	unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	do {
		*--p = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag);
	if (v < 0)
		*--p = '-';
	return weir_buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* Writes digits / 10^scale as a JSON number, without trailing zeros. */
static int
buf_decimal(struct weir_buf *b, __int128 digits, int scale)
{
	char tmp[96], *p = tmp + sizeof tmp;
	unsigned __int128 mag = digits < 0 ? -(unsigned __int128)digits : (unsigned __int128)digits;
	int place = 0;
	bool any = false;	/* a fraction digit written */
	do {
		int digit = (int)(mag % 10);
		mag /= 10;
		if (place < scale) {
			if (digit != 0 || any) {
				*--p = (char)('0' + digit);
				any = true;
			}
			if (place == scale - 1 && any)
				*--p = '.';
		} else {
			*--p = (char)('0' + digit);
		}
		place++;
	} while (mag || place <= scale);
	if (digits < 0)
		*--p = '-';
	return weir_buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

static int
parse_int128(const char *s, __int128 *out)
{
	bool neg = *s == '-';
	s += neg;
	if (*s == '\0')
		return -1;
	__int128 v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	}
	*out = neg ? -v : v;
	return 0;
}

/* --- cells ---------------------------------------------------------------------- */

bool
weir_agg_is_numeric(enum weir_func f)
{
	return f == WEIR_AGG_SUM || f == WEIR_AGG_MIN || f == WEIR_AGG_MAX || f == WEIR_AGG_AVG ||
	    f == WEIR_AGG_STDDEV || f == WEIR_AGG_VAR ||
	    f == WEIR_AGG_QUANTILE || f == WEIR_AGG_HIST;
}

void
weir_extremum_read(const struct weir_span *in, bool from_strings, struct weir_number *out)
{
	int64_t t;
	weir_number_read(in, from_strings, out);
	if (out->kind == NUM_BAD && in->n > 2 && in->p[0] == '"' &&
	    weir_time_parse_rfc3339(in->p + 1, in->n - 2, &t) == 0) {
		out->kind = NUM_REAL;
		out->fd = -1;
		out->d = (double)t / 1e9;
	}
}

static void
raw_set(struct weir_raw *r, const char *p, size_t len, double v, uint64_t seq, int64_t *bytes)
{
	char *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return;		/* the caller checks r->p */
	memcpy(copy, p, len);
	*bytes += (int64_t)len - (int64_t)r->len;
	free(r->p);
	r->p = copy;
	r->len = len;
	r->v = v;
	r->seq = seq;
}

static int
set_add(struct weir_value **set, const char *p, size_t len, uint64_t count, uint64_t seq,
    int64_t *bytes)
{
	struct weir_value *e;
	HASH_FIND(hh, *set, p, len, e);
	if (e != NULL && seq < e->seq)
		e->seq = seq;
	if (e == NULL) {
		if ((e = malloc(sizeof *e + len)) == NULL)
			return -1;
		e->count = 0;
		e->seq = seq;
		e->len = len;
		memcpy(e->bytes, p, len);
		HASH_ADD_KEYPTR(hh, *set, e->bytes, e->len, e);
		*bytes += VALUE_BYTES(len);
	}
	e->count += count;
	return 0;
}

static int
collect_add(struct weir_collect *c, const char *p, size_t len, uint64_t seq, int64_t *bytes)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct weir_collected *items = realloc(c->items, cap * sizeof *items);
		if (items == NULL)
			return -1;
		*bytes += (int64_t)((cap - c->cap) * sizeof *items);
		c->items = items;
		c->cap = cap;
	}
	size_t before = c->text.cap;
	c->items[c->n++] = (struct weir_collected){seq, c->text.n, len};
	if (weir_buf_add(&c->text, p, len) < 0)
		return -1;
	*bytes += (int64_t)(c->text.cap - before);
	return 0;
}

/* a's and b's values in arrival order (a's first among equals) */
static int
collect_merge(struct weir_collect *a, const struct weir_collect *b, int64_t *bytes)
{
	struct weir_collect m = {0};
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		bool from_a = j == b->n || (i < a->n && a->items[i].seq <= b->items[j].seq);
		const struct weir_collect *src = from_a ? a : b;
		const struct weir_collected *it = &src->items[from_a ? i++ : j++];
		if (collect_add(&m, src->text.p + it->off, it->len, it->seq, bytes) < 0) {
			weir_buf_free(&m.text);
			free(m.items);
			return -1;
		}
	}
	*bytes -= (int64_t)(a->cap * sizeof *a->items + a->text.cap);
	weir_buf_free(&a->text);
	free(a->items);
	*a = m;
	return 0;
}

static size_t
pct_bytes(const struct weir_pct *p)
{
	return p->ex.cap * sizeof(double) + (p->q ? weir_quantiles_bytes(p->q) : 0);
}

static void
pct_free(struct weir_pct *p)
{
	free(p->ex.v);
	weir_quantiles_free(p->q);
	memset(p, 0, sizeof *p);
}

static int
pct_to_sketch(struct weir_pct *p)
{
	if (p->q)
		return 0;
	if ((p->q = weir_quantiles_new(0.01)) == NULL)
		return -1;
	for (size_t i = 0; i < p->ex.n; i++)
		if (weir_quantiles_add(p->q, p->ex.v[i]) < 0)
			return -1;
	free(p->ex.v);
	memset(&p->ex, 0, sizeof p->ex);
	return 0;
}

static int
pct_add(struct weir_cells *cx, struct weir_pct *p, double v)
{
	size_t before = pct_bytes(p);
	int rc = 0;
	if (p->q) {
		rc = weir_quantiles_add(p->q, v);
	} else if (!cx->exact && p->ex.n == WEIR_PCT_SMALL) {
		rc = pct_to_sketch(p);
		if (rc == 0)
			rc = weir_quantiles_add(p->q, v);
	} else {
		if (p->ex.n == p->ex.cap) {
			size_t cap = p->ex.cap ? p->ex.cap * 2 : 4;
			double *vals = realloc(p->ex.v, cap * sizeof *vals);
			if (vals == NULL)
				return -1;
			p->ex.v = vals;
			p->ex.cap = cap;
		}
		p->ex.v[p->ex.n++] = v;
	}
	cx->bytes += (int64_t)pct_bytes(p) - (int64_t)before;
	return rc;
}

static int
pct_merge(struct weir_cells *cx, struct weir_pct *a, struct weir_pct *b)
{
	if (b->q == NULL) {
		for (size_t i = 0; i < b->ex.n; i++)
			if (pct_add(cx, a, b->ex.v[i]) < 0)
				return -1;
		return 0;
	}
	size_t before = pct_bytes(a);
	if (pct_to_sketch(a) < 0 || weir_quantiles_merge(a->q, b->q) < 0)
		return -1;
	cx->bytes += (int64_t)pct_bytes(a) - (int64_t)before;
	return 0;
}

static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The value at rank: the nearest rank's (the k-th smallest, k = ceil(rank
 * × n)), or with linear the value at position rank × (n − 1) between the
 * two values around it (PostgreSQL's percentile_cont).  A sketch answers
 * both with the value at rank. */
static int
pct_result(struct weir_pct *p, double rank, bool linear, struct weir_buf *b)
{
	if (p->q)
		return weir_buf_double(b, weir_quantiles_value(p->q, rank));
	if (p->ex.n == 0)
		return weir_buf_str(b, "null");
	qsort(p->ex.v, p->ex.n, sizeof *p->ex.v, by_double);
	if (linear) {
		double at = rank * (double)(p->ex.n - 1), lo = floor(at);
		size_t i = (size_t)lo, j = i + 1 < p->ex.n ? i + 1 : i;
		return weir_buf_double(b, p->ex.v[i] + (at - lo) * (p->ex.v[j] - p->ex.v[i]));
	}
	double k = ceil(rank * (double)p->ex.n) - 1;
	size_t i = k < 0 ? 0 : k >= (double)p->ex.n ? p->ex.n - 1 : (size_t)k;
	return weir_buf_double(b, p->ex.v[i]);
}

/* A sketch as its JSON object; values as an array of numbers. */
static int
pct_write(const struct weir_pct *p, struct weir_buf *b)
{
	if (p->q)
		return weir_quantiles_write(p->q, b);
	int rc = weir_buf_add(b, "[", 1);
	for (size_t i = 0; i < p->ex.n && rc == 0; i++) {
		if (i)
			rc = weir_buf_add(b, ",", 1);
		if (rc == 0)
			rc = weir_buf_double(b, p->ex.v[i]);
	}
	return rc ? rc : weir_buf_add(b, "]", 1);
}

static int
pct_read(struct weir_cells *cx, struct weir_pct *p, const json_t *v)
{
	if (json_is_object(v)) {
		if (cx->exact)
			return -1;	/* a sketch cannot give back exact values */
		if ((p->q = weir_quantiles_read(v)) == NULL)
			return -1;
		cx->bytes += (int64_t)weir_quantiles_bytes(p->q);
		return 0;
	}
	if (!json_is_array(v))
		return -1;
	size_t i;
	const json_t *x;
	json_array_foreach(v, i, x)
		if (!json_is_number(x) || pct_add(cx, p, json_number_value(x)) < 0)
			return -1;
	return 0;
}

size_t
weir_cell_bytes(const struct weir_aggdef *def, const union weir_cell *c)
{
	const struct weir_value *e;
	size_t n = 0;
	switch (def->func) {
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST:
		return c->r.p ? c->r.len : 0;
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP:
		for (e = c->set; e; e = e->hh.next)
			n += (size_t)VALUE_BYTES(e->len);
		return n;
	case WEIR_AGG_QUANTILE:
		return pct_bytes(&c->p);
	case WEIR_AGG_APPROX_DISTINCT:
		return c->d ? weir_distinct_bytes(c->d) : 0;
	case WEIR_AGG_COLLECT:
		return c->col.cap * sizeof *c->col.items + c->col.text.cap;
	case WEIR_AGG_HIST:
		return c->hist ? (def->nbounds + 1) * sizeof *c->hist : 0;
	default:
		return 0;
	}
}

void
weir_cell_free(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c)
{
	struct weir_value *e, *tmp;
	cx->bytes -= (int64_t)weir_cell_bytes(def, c);
	switch (def->func) {
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST:
		free(c->r.p);
		break;
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP:
		HASH_ITER(hh, c->set, e, tmp) {
			HASH_DEL(c->set, e);
			free(e);
		}
		break;
	case WEIR_AGG_QUANTILE:
		pct_free(&c->p);
		break;
	case WEIR_AGG_APPROX_DISTINCT:
		weir_distinct_free(c->d);
		break;
	case WEIR_AGG_COLLECT:
		weir_buf_free(&c->col.text);
		free(c->col.items);
		break;
	case WEIR_AGG_HIST:
		free(c->hist);
		c->hist = NULL;
		break;
	default:
		break;
	}
}

/* A histogram's counts, made on its first value. */
static int
hist_make(const struct weir_aggdef *def, union weir_cell *c, int64_t *bytes)
{
	if (c->hist == NULL) {
		if ((c->hist = calloc(def->nbounds + 1, sizeof *c->hist)) == NULL)
			return -1;
		*bytes += (int64_t)((def->nbounds + 1) * sizeof *c->hist);
	}
	return 0;
}

/* The bucket of v: the first bound v is at or below (Prometheus's le), or
 * the last, +Inf. */
static size_t
hist_bucket(const struct weir_aggdef *def, double v)
{
	size_t lo = 0, hi = def->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v <= def->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Takes one event's value into a cell.  Returns -1 when memory runs out. */
int
weir_cell_add(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    const struct weir_span *v, const struct weir_number *num, uint64_t seq)
{
	int64_t *bytes = &cx->bytes;
	bool present = v->p != NULL && !(v->n == 4 && memcmp(v->p, "null", 4) == 0);
	switch (def->func) {
	case WEIR_AGG_COUNT:
		break;
	case WEIR_AGG_COUNT_FIELD:
		c->count += present;
		break;
	case WEIR_AGG_SUM: case WEIR_AGG_AVG: case WEIR_AGG_STDDEV: case WEIR_AGG_VAR:
		if (num->kind >= NUM_INT)
			moments_add(&c->m, num);
		break;
	case WEIR_AGG_MIN: case WEIR_AGG_MAX:
		if (num->kind >= NUM_INT && (c->r.p == NULL ||
		    (def->func == WEIR_AGG_MIN ? num->d < c->r.v : num->d > c->r.v))) {
			raw_set(&c->r, v->p, v->n, num->d, seq, bytes);
			if (c->r.p == NULL)
				return -1;
		}
		break;
	case WEIR_AGG_FIRST:
		if (present && c->r.p == NULL) {
			raw_set(&c->r, v->p, v->n, 0, seq, bytes);
			if (c->r.p == NULL)
				return -1;
		}
		break;
	case WEIR_AGG_LAST:
		if (present) {
			raw_set(&c->r, v->p, v->n, 0, seq, bytes);
			if (c->r.p == NULL)
				return -1;
		}
		break;
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP:
		if (present)
			return set_add(&c->set, v->p, v->n, 1, seq, bytes);
		break;
	case WEIR_AGG_APPROX_DISTINCT:
		if (present) {
			size_t before = c->d ? weir_distinct_bytes(c->d) : 0;
			if (c->d == NULL && (c->d = weir_distinct_new()) == NULL)
				return -1;
			int rc = weir_distinct_add(c->d, v->p, v->n);
			*bytes += (int64_t)weir_distinct_bytes(c->d) - (int64_t)before;
			return rc;
		}
		break;
	case WEIR_AGG_QUANTILE:
		if (num->kind >= NUM_INT)
			return pct_add(cx, &c->p, num->d);
		break;
	case WEIR_AGG_COLLECT:
		if (present)
			return collect_add(&c->col, v->p, v->n, seq, bytes);
		break;
	case WEIR_AGG_HIST:
		if (num->kind >= NUM_INT) {
			if (hist_make(def, c, bytes) < 0)
				return -1;
			c->hist[hist_bucket(def, num->d)]++;
		}
		break;
	}
	return 0;
}

/*
 * Folds cell b into a (b is left empty or unchanged; the caller frees it).
 * For first and last, arrival order decides (the seq of each value); for
 * everything else the union is order-free, except that collect puts a's
 * values first and sets keep a's first-seen order.
 */
int
weir_cell_merge(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *a,
    union weir_cell *b)
{
	int64_t *bytes = &cx->bytes;
	struct weir_value *e, *tmp;
	switch (def->func) {
	case WEIR_AGG_COUNT:
		break;
	case WEIR_AGG_COUNT_FIELD:
		a->count += b->count;
		break;
	case WEIR_AGG_SUM: case WEIR_AGG_AVG: case WEIR_AGG_STDDEV: case WEIR_AGG_VAR:
		moments_merge(&a->m, &b->m);
		break;
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST: {
		if (b->r.p == NULL)
			break;
		bool take = a->r.p == NULL;
		if (!take && def->func == WEIR_AGG_MIN)
			take = b->r.v < a->r.v || (b->r.v == a->r.v && b->r.seq < a->r.seq);
		if (!take && def->func == WEIR_AGG_MAX)
			take = b->r.v > a->r.v || (b->r.v == a->r.v && b->r.seq < a->r.seq);
		if (!take && def->func == WEIR_AGG_FIRST)
			take = b->r.seq < a->r.seq;
		if (!take && def->func == WEIR_AGG_LAST)
			take = b->r.seq > a->r.seq;
		if (take) {
			if (a->r.p)
				*bytes -= (int64_t)a->r.len;	/* b's were counted with b */
			free(a->r.p);
			a->r = b->r;
			b->r.p = NULL;
			b->r.len = 0;
		}
		break;
	}
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP:
		HASH_ITER(hh, b->set, e, tmp)
			if (set_add(&a->set, e->bytes, e->len, e->count, e->seq, bytes) < 0)
				return -1;
		break;
	case WEIR_AGG_APPROX_DISTINCT:
		if (b->d == NULL)
			break;
		if (a->d == NULL) {
			a->d = b->d;
			b->d = NULL;
			break;
		}
		size_t before = weir_distinct_bytes(a->d);
		int rc = weir_distinct_merge(a->d, b->d);
		*bytes += (int64_t)weir_distinct_bytes(a->d) - (int64_t)before;
		return rc;
	case WEIR_AGG_QUANTILE:
		return pct_merge(cx, &a->p, &b->p);
	case WEIR_AGG_COLLECT:
		if (b->col.n == 0)
			break;
		return collect_merge(&a->col, &b->col, bytes);
	case WEIR_AGG_HIST:
		if (b->hist == NULL)
			break;
		if (hist_make(def, a, bytes) < 0)
			return -1;
		for (size_t i = 0; i <= def->nbounds; i++)
			a->hist[i] += b->hist[i];
		break;
	}
	return 0;
}

struct ranked {
	struct weir_value *v;
	uint64_t first_seen;
};

/* Most frequent first; equal counts in first-seen order. */
static int
by_count(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->v->count != y->v->count)
		return x->v->count > y->v->count ? -1 : 1;
	return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

static int
by_first_seen(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

/* A set's values sorted by `order` (a new array the caller frees), or NULL
 * when memory ran out. */
static struct ranked *
ranked_values(struct weir_value *set, size_t *n, int (*order)(const void *, const void *))
{
	struct weir_value *e, *tmp;
	size_t i = 0;
	*n = set ? HASH_COUNT(set) : 0;
	struct ranked *v = malloc((*n ? *n : 1) * sizeof *v);
	if (v == NULL)
		return NULL;
	HASH_ITER(hh, set, e, tmp) {
		v[i].v = e;
		v[i].first_seen = e->seq;
		i++;
	}
	qsort(v, *n, sizeof *v, order);
	return v;
}

/* A raw value's text as a JSON string. */
static int
buf_raw_string(struct weir_buf *b, const char *p, size_t len)
{
	if (weir_reserve(&b->p, &b->cap, b->n + 6 * len + 3) < 0)
		return -1;
	long n = weir_json_quote(b->p, b->cap, b->n, p, len);
	if (n < 0)
		return -1;
	b->n = (size_t)n;
	b->p[b->n] = '\0';
	return 0;
}

/* collect's values as an array: as they came, or (as_text) each as a
 * JSON string of its text. */
static int
collect_write(const struct weir_collect *c, struct weir_buf *b, bool as_text)
{
	int rc = weir_buf_add(b, "[", 1);
	for (size_t i = 0; i < c->n && rc == 0; i++) {
		const char *p = c->text.p + c->items[i].off;
		if (i)
			rc = weir_buf_add(b, ",", 1);
		if (rc == 0)
			rc = as_text ? buf_raw_string(b, p, c->items[i].len) :
			    weir_buf_add(b, p, c->items[i].len);
	}
	return rc ? rc : weir_buf_add(b, "]", 1);
}

/* Writes a cell's result as a JSON value. */
int
weir_cell_result(const struct weir_aggdef *def, union weir_cell *c, uint64_t count,
    struct weir_buf *b)
{
	switch (def->func) {
	case WEIR_AGG_COUNT:
		return weir_buf_printf(b, "%llu", (unsigned long long)count);
	case WEIR_AGG_COUNT_FIELD:
		return weir_buf_printf(b, "%llu", (unsigned long long)c->count);
	case WEIR_AGG_SUM:
		if (def->null_empty && c->m.n == 0)
			return weir_buf_str(b, "null");
		if (!c->m.inexact)
			return buf_decimal(b, c->m.dsum, c->m.scale);
		return weir_buf_double(b, (double)moments_total(&c->m));
	case WEIR_AGG_AVG: {
		if (c->m.n == 0)
			return weir_buf_str(b, "null");
		double avg = (double)(moments_total(&c->m) / (long double)c->m.n);
		return weir_buf_double(b, isfinite(avg) ? avg : c->m.mean);
	}
	case WEIR_AGG_VAR: case WEIR_AGG_STDDEV: {
		if (c->m.n < 2)
			return weir_buf_str(b, "null");
		double var = c->m.m2 / (double)(c->m.n - 1);
		if (var < 0)
			var = 0;
		return weir_buf_double(b, def->func == WEIR_AGG_VAR ? var : sqrt(var));
	}
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST:
		if (c->r.p == NULL)
			return weir_buf_str(b, "null");
		return weir_buf_add(b, c->r.p, c->r.len);
	case WEIR_AGG_DISTINCT:
		return weir_buf_printf(b, "%u", c->set ? HASH_COUNT(c->set) : 0);
	case WEIR_AGG_APPROX_DISTINCT:
		return weir_buf_printf(b, "%.0f", c->d ? round(weir_distinct_estimate(c->d)) : 0.0);
	case WEIR_AGG_QUANTILE:
		return pct_result(&c->p, def->rank, def->linear, b);
	case WEIR_AGG_TOP: {
		size_t n, i;
		struct ranked *v = ranked_values(c->set, &n, by_count);
		if (v == NULL)
			return -1;
		int rc = weir_buf_add(b, "[", 1);
		for (i = 0; i < n && i < def->k && rc == 0; i++) {
			rc = weir_buf_str(b, i ? ",{\"value\":" : "{\"value\":");
			if (rc == 0)
				rc = weir_buf_add(b, v[i].v->bytes, v[i].v->len);
			if (rc == 0)
				rc = weir_buf_printf(b, ",\"count\":%llu}",
				    (unsigned long long)v[i].v->count);
		}
		free(v);
		return rc ? rc : weir_buf_add(b, "]", 1);
	}
	case WEIR_AGG_COLLECT:
		return collect_write(&c->col, b, false);
	case WEIR_AGG_HIST: {
		/* {"50":n,"100":n,...,"+Inf":n}: each bound's count of values at or
		 * below it and above the one before, or all at or below it */
		uint64_t sum = 0;
		int rc = weir_buf_add(b, "{", 1);
		for (size_t i = 0; i <= def->nbounds && rc == 0; i++) {
			uint64_t n = c->hist ? c->hist[i] : 0;
			sum += n;
			char num[WEIR_DOUBLE_ROOM] = "+Inf";
			if (i < def->nbounds)
				weir_format_double(def->bounds[i], num);
			rc = weir_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", num,
			    (unsigned long long)(def->cumulative ? sum : n));
		}
		return rc ? rc : weir_buf_add(b, "}", 1);
	}
	}
	return 0;
}

/* Writes a cell's state for --partial; cell_read reads it back. */
int
weir_cell_write(const struct weir_aggdef *def, const union weir_cell *c, struct weir_buf *b)
{
	switch (def->func) {
	case WEIR_AGG_COUNT:
		return weir_buf_str(b, "null");
	case WEIR_AGG_COUNT_FIELD:
		return weir_buf_printf(b, "%llu", (unsigned long long)c->count);
	case WEIR_AGG_SUM: case WEIR_AGG_AVG: case WEIR_AGG_STDDEV: case WEIR_AGG_VAR:
		if (weir_buf_printf(b, "{\"n\":%llu,\"i\":\"", (unsigned long long)c->m.n) < 0 ||
		    buf_int128(b, c->m.dsum) < 0 ||
		    weir_buf_printf(b, "\",\"s\":%d,\"inexact\":%s,\"f\":", c->m.scale,
		    c->m.inexact ? "true" : "false") < 0 ||
		    weir_buf_double(b, c->m.fsum) < 0 || weir_buf_str(b, ",\"c\":") < 0 ||
		    weir_buf_double(b, c->m.fcomp) < 0 || weir_buf_str(b, ",\"mean\":") < 0 ||
		    weir_buf_double(b, c->m.mean) < 0 || weir_buf_str(b, ",\"m2\":") < 0 ||
		    weir_buf_double(b, c->m.m2) < 0)
			return -1;
		return weir_buf_add(b, "}", 1);
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST:
		if (c->r.p == NULL)
			return weir_buf_str(b, "null");
		return buf_raw_string(b, c->r.p, c->r.len);
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP: {
		/* in first-seen order, which a merge reads back as such */
		size_t n, i;
		struct ranked *v = ranked_values(c->set, &n, by_first_seen);
		if (v == NULL)
			return -1;
		int rc = weir_buf_add(b, "[", 1);
		for (i = 0; i < n && rc == 0; i++) {
			rc = weir_buf_add(b, i ? ",[" : "[", i ? 2 : 1);
			if (rc == 0)
				rc = buf_raw_string(b, v[i].v->bytes, v[i].v->len);
			if (rc == 0)
				rc = weir_buf_printf(b, ",%llu]", (unsigned long long)v[i].v->count);
		}
		free(v);
		return rc ? rc : weir_buf_add(b, "]", 1);
	}
	case WEIR_AGG_APPROX_DISTINCT:
		if (c->d == NULL)
			return weir_buf_str(b, "null");
		return weir_distinct_write(c->d, b);
	case WEIR_AGG_QUANTILE:
		return pct_write(&c->p, b);
	case WEIR_AGG_COLLECT:
		/* as strings of their text: the merge writes them as they came */
		return collect_write(&c->col, b, true);
	case WEIR_AGG_HIST: {
		if (c->hist == NULL)
			return weir_buf_str(b, "null");
		int rc = weir_buf_add(b, "[", 1);
		for (size_t i = 0; i <= def->nbounds && rc == 0; i++)
			rc = weir_buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)c->hist[i]);
		return rc ? rc : weir_buf_add(b, "]", 1);
	}
	}
	return 0;
}

static double
json_double(const json_t *v, int *bad)
{
	if (json_is_number(v))
		return json_number_value(v);
	if (!json_is_null(v))	/* null: a value that was not finite */
		*bad = 1;
	return NAN;
}

static int
raw_read(struct weir_raw *r, const json_t *v, uint64_t seq, int64_t *bytes)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return -1;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	struct weir_span span = {s, n};
	struct weir_number num;
	weir_extremum_read(&span, true, &num);
	raw_set(r, s, n, num.kind >= NUM_INT ? num.d : 0, seq, bytes);
	return r->p ? 0 : -1;
}

/* Reads a cell written by cell_write into c (zeroed by the caller); seq
 * is the arrival of the partial row, for first and last.  Returns -1 when
 * v is not such a cell (or memory ran out). */
int
weir_cell_read(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    const json_t *v, uint64_t seq)
{
	int64_t *bytes = &cx->bytes;
	int bad = 0;
	switch (def->func) {
	case WEIR_AGG_COUNT:
		return 0;
	case WEIR_AGG_COUNT_FIELD:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -1;
		c->count = (uint64_t)json_integer_value(v);
		return 0;
	case WEIR_AGG_SUM: case WEIR_AGG_AVG: case WEIR_AGG_STDDEV: case WEIR_AGG_VAR: {
		const json_t *n = json_object_get(v, "n"), *i = json_object_get(v, "i");
		const json_t *scale = json_object_get(v, "s");
		if (!json_is_integer(n) || json_integer_value(n) < 0 || !json_is_string(i) ||
		    parse_int128(json_string_value(i), &c->m.dsum) < 0 ||
		    !json_is_integer(scale) || json_integer_value(scale) < 0 ||
		    json_integer_value(scale) > 38 ||
		    !json_is_boolean(json_object_get(v, "inexact")))
			return -1;
		c->m.n = (uint64_t)json_integer_value(n);
		c->m.scale = (int)json_integer_value(scale);
		c->m.inexact = json_is_true(json_object_get(v, "inexact"));
		c->m.fsum = json_double(json_object_get(v, "f"), &bad);
		c->m.fcomp = json_double(json_object_get(v, "c"), &bad);
		c->m.mean = json_double(json_object_get(v, "mean"), &bad);
		c->m.m2 = json_double(json_object_get(v, "m2"), &bad);
		return bad ? -1 : 0;
	}
	case WEIR_AGG_MIN: case WEIR_AGG_MAX: case WEIR_AGG_FIRST: case WEIR_AGG_LAST:
		return raw_read(&c->r, v, seq, bytes);
	case WEIR_AGG_DISTINCT: case WEIR_AGG_TOP: {
		if (!json_is_array(v))
			return -1;
		size_t i;
		const json_t *pair;
		json_array_foreach(v, i, pair) {
			/* first seen: this row's arrival, then the order within it */
			const json_t *text = json_array_get(pair, 0), *n = json_array_get(pair, 1);
			if (!json_is_string(text) || !json_is_integer(n) || json_integer_value(n) < 1 ||
			    set_add(&c->set, json_string_value(text), json_string_length(text),
			    (uint64_t)json_integer_value(n), seq << 24 | (i < 0xffffff ? i : 0xffffff),
			    bytes) < 0)
				return -1;
		}
		return 0;
	}
	case WEIR_AGG_APPROX_DISTINCT:
		if (json_is_null(v))
			return 0;
		if ((c->d = weir_distinct_read(v)) == NULL)
			return -1;
		cx->bytes += (int64_t)weir_distinct_bytes(c->d);
		return 0;
	case WEIR_AGG_QUANTILE:
		return pct_read(cx, &c->p, v);
	case WEIR_AGG_COLLECT: {
		if (!json_is_array(v))
			return -1;
		size_t i;
		const json_t *text;
		json_array_foreach(v, i, text)
			if (!json_is_string(text) || json_string_length(text) == 0 ||
			    collect_add(&c->col, json_string_value(text), json_string_length(text),
			    seq, bytes) < 0)
				return -1;
		return 0;
	}
	case WEIR_AGG_HIST: {
		if (json_is_null(v))
			return 0;
		if (!json_is_array(v) || json_array_size(v) != def->nbounds + 1 ||
		    hist_make(def, c, bytes) < 0)
			return -1;	/* another set of bounds: not this aggregate's */
		size_t i;
		const json_t *n;
		json_array_foreach(v, i, n) {
			if (!json_is_integer(n) || json_integer_value(n) < 0)
				return -1;
			c->hist[i] = (uint64_t)json_integer_value(n);
		}
		return 0;
	}
	}
	return -1;
}

/* --- AGG operands ------------------------------------------------------------------ */

static const char *const func_names[] = {
	"count", "count", "sum", "min", "max", "avg", "stddev", "var", "first", "last",
	"distinct", "approx_distinct", "pNN", "top", "collect", "hist",
};

/* The JSON-quoted form of s, newly allocated. */
static char *
quoted(const char *s)
{
	size_t cap = 6 * strlen(s) + 3;
	char *q = malloc(cap);
	if (q == NULL)
		return NULL;
	long n = weir_json_quote(q, cap, 0, s, strlen(s));
	q[n < 0 ? 0 : n] = '\0';
	return q;
}

int
weir_aggdefs_rejected(const struct weir_aggdef *defs, int n, const char *prog,
    struct weir_buf *out)
{
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (defs[i].rejected == 0)
			continue;	/* count's field is NULL, and never rejects */
		bool first = true;	/* the first aggregate of its field to say so */
		for (int j = 0; j < i && first; j++)
			first = !(defs[j].rejected > 0 && strcmp(defs[j].field, defs[i].field) == 0);
		if (!first)
			continue;
		bool one = defs[i].rejected == 1;
		rc = weir_buf_printf(out, "%s: %llu value%s of '%s' %s (", prog,
		    (unsigned long long)defs[i].rejected, one ? "" : "s", defs[i].field,
		    one ? "was not a number" : "were not numbers");
		const char *sep = "";
		for (int j = i; j < n && rc == 0; j++)
			if (defs[j].rejected > 0 && strcmp(defs[j].field, defs[i].field) == 0) {
				rc = weir_buf_printf(out, "%s%s", sep, defs[j].plain);
				sep = ", ";
			}
		if (rc == 0)
			rc = weir_buf_str(out, one ? " left it out)\n" : " left them out)\n");
	}
	return rc;
}

int
weir_aggdefs_rejected_json(const struct weir_aggdef *defs, int n, struct weir_buf *out)
{
	int rc = weir_buf_add(out, "{", 1);
	const char *sep = "";
	for (int i = 0; i < n && rc == 0; i++) {
		if (!weir_agg_is_numeric(defs[i].func))
			continue;
		rc = weir_buf_printf(out, "%s%s:%llu", sep, defs[i].name,
		    (unsigned long long)defs[i].rejected);
		sep = ",";
	}
	return rc == 0 ? weir_buf_add(out, "}", 1) : rc;
}

void
weir_aggdef_free(struct weir_aggdef *def)
{
	free(def->field);
	free(def->name);
	free(def->plain);
	free(def->bounds);
	*def = (struct weir_aggdef){0};
}

bool
weir_aggdef_is_spec(const char *s)
{
	size_t n = strcspn(s, ":=");
	for (size_t i = 0; i < sizeof func_names / sizeof func_names[0]; i++)
		if (strlen(func_names[i]) == n && strncmp(s, func_names[i], n) == 0)
			return true;
	if (n == 6 && strncmp(s, "median", 6) == 0)
		return true;
	if (n >= 2 && s[0] == 'p' && strspn(s + 1, "0123456789.") == n - 1)
		return true;
	return false;
}

/* A histogram's bounds: `50,100,250` (ascending, finite), or `exp:START,
 * FACTOR,COUNT` (START times FACTOR to the 0th ... COUNT-1th power),
 * either with `:cumulative` after.  -1 when the text is none of these. */
static int
hist_parse(struct weir_aggdef *def, const char *text)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", text);
	size_t n = strlen(buf);
	if (n > 11 && strcmp(buf + n - 11, ":cumulative") == 0) {
		def->cumulative = true;
		buf[n - 11] = '\0';
	}
	double v[3];
	bool exp = strncmp(buf, "exp:", 4) == 0;
	size_t count = 0, cap = 16;
	double *b = malloc(cap * sizeof *b);
	char *p = buf + (exp ? 4 : 0);
	while (b && *p) {
		char *end;
		double x = strtod(p, &end);
		if (end == p || !isfinite(x) || (*end != ',' && *end != '\0'))
			goto bad;
		if (exp && count == 3)
			goto bad;
		if (exp) {
			v[count++] = x;
		} else {
			if ((count > 0 && x <= b[count - 1]) || count == 4096)
				goto bad;
			if (count == cap) {
				double *nb = realloc(b, (cap *= 2) * sizeof *b);
				if (nb == NULL)
					goto bad;
				b = nb;
			}
			b[count++] = x;
		}
		p = *end ? end + 1 : end;
	}
	if (b && exp) {
		if (count != 3 || !(v[0] > 0) || !(v[1] > 1) || v[2] < 1 || v[2] > 4096 ||
		    v[2] != floor(v[2]))
			goto bad;
		count = (size_t)v[2];
		free(b);
		if ((b = malloc(count * sizeof *b)) == NULL)
			return -1;
		for (size_t i = 0; i < count; i++)
			b[i] = v[0] * pow(v[1], (double)i);
		if (!isfinite(b[count - 1]))
			goto bad;
	}
	if (b == NULL || count == 0)
		goto bad;
	def->bounds = b;
	def->nbounds = count;
	return 0;
bad:
	free(b);
	return -1;
}

int
weir_aggdef_parse(struct weir_plan *plan, struct weir_aggdef *def, const char *spec, char *err,
    size_t errlen)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	*def = (struct weir_aggdef){0};
	def->spec = spec;
	def->slot = -1;
	char *rename = strrchr(buf, '=');
	if (rename)
		*rename++ = '\0';
	char *colon = strchr(buf, ':');
	char *field = colon ? colon + 1 : NULL;
	if (colon)
		*colon = '\0';
	const char *fn = buf;
	char prefix[1100];
	char *linear = field ? strrchr(field, ':') : NULL;
	if (linear && strcmp(linear, ":linear") == 0 && (strcmp(fn, "median") == 0 ||
	    (fn[0] == 'p' && strspn(fn + 1, "0123456789.") == strlen(fn + 1)))) {
		*linear = '\0';
		def->linear = true;
	} else if (linear && strcmp(linear, ":null") == 0 && strcmp(fn, "sum") == 0) {
		*linear = '\0';
		def->null_empty = true;
	}
	if (strcmp(fn, "count") == 0) {
		def->func = field ? WEIR_AGG_COUNT_FIELD : WEIR_AGG_COUNT;
		snprintf(prefix, sizeof prefix, "count");
	} else if (strcmp(fn, "median") == 0) {
		def->func = WEIR_AGG_QUANTILE;
		def->rank = 0.5;
		snprintf(prefix, sizeof prefix, "median");
	} else if (fn[0] == 'p' && fn[1] != '\0' && strspn(fn + 1, "0123456789.") == strlen(fn + 1)) {
		char *end;
		double pct = strtod(fn + 1, &end);
		if (*end != '\0' || !(pct >= 0 && pct <= 100)) {
			snprintf(err, errlen, "bad aggregate '%s' (pNN takes a percentile from 0 to "
			    "100, e.g. p99:latency_ms, p99.9:latency_ms)", spec);
			return -1;
		}
		def->func = WEIR_AGG_QUANTILE;
		def->rank = pct / 100;
		snprintf(prefix, sizeof prefix, "%s", fn);
	} else if (strcmp(fn, "top") == 0) {
		char *second = field ? strchr(field, ':') : NULL;
		char *end = NULL;
		unsigned long k = field ? strtoul(field, &end, 10) : 0;
		if (second == NULL || end != second || k == 0 || k > 1000000) {
			snprintf(err, errlen, "bad aggregate '%s' (expected top:K:FIELD with K from "
			    "1 to 1000000, e.g. top:5:path)", spec);
			return -1;
		}
		def->func = WEIR_AGG_TOP;
		def->k = k;
		field = second + 1;
		snprintf(prefix, sizeof prefix, "top");
	} else if (strcmp(fn, "hist") == 0) {
		char *buckets = field ? strchr(field, ':') : NULL;
		if (buckets == NULL || hist_parse(def, buckets + 1) < 0) {
			snprintf(err, errlen, "bad aggregate '%s' (expected hist:FIELD:BOUNDS with bounds "
			    "ascending, e.g. hist:latency_ms:50,100,250,500, or hist:FIELD:exp:START,"
			    "FACTOR,COUNT, either with :cumulative after)", spec);
			return -1;
		}
		*buckets = '\0';
		def->func = WEIR_AGG_HIST;
		snprintf(prefix, sizeof prefix, "hist");
	} else {
		size_t i;
		for (i = 0; i < sizeof func_names / sizeof func_names[0]; i++)
			if (strcmp(fn, func_names[i]) == 0)
				break;
		if (i == sizeof func_names / sizeof func_names[0] || i == WEIR_AGG_COUNT_FIELD ||
		    i == WEIR_AGG_QUANTILE || i == WEIR_AGG_HIST) {
			snprintf(err, errlen, "unknown aggregate '%s' (expected count, sum, min, max, "
			    "avg, stddev, var, first, last, distinct, approx_distinct, pNN, median, "
			    "top:K, collect, each with :FIELD)", spec);
			return -1;
		}
		def->func = (enum weir_func)i;
		snprintf(prefix, sizeof prefix, "%s", fn);
	}
	if (def->func != WEIR_AGG_COUNT && (field == NULL || *field == '\0')) {
		snprintf(err, errlen, "aggregate '%s' needs a field: %s:FIELD", spec, prefix);
		return -1;
	}
	if (field) {
		def->field = strdup(field);
		def->slot = weir_plan_add(plan, field);
		if (def->slot < 0) {
			snprintf(err, errlen, "bad field path in aggregate '%s'", spec);
			return -1;
		}
	}
	char name[2300];
	if (rename) {
		if (*rename == '\0') {
			snprintf(err, errlen, "aggregate '%s' renames to nothing (expected AGG=NAME)",
			    spec);
			return -1;
		}
		snprintf(name, sizeof name, "%s", rename);
	} else if (field) {
		snprintf(name, sizeof name, "%s_%s", prefix, field);
		for (char *c = name + strlen(prefix) + 1; *c; c++)
			if (*c == '.')
				*c = '_';
	} else {
		snprintf(name, sizeof name, "%s", prefix);
	}
	def->plain = strdup(name);
	def->name = quoted(name);
	return def->plain && def->name ? 0 : -1;
}

/* --- a group's cells, as a row ------------------------------------------------- */

int
weir_cells_row(struct weir_buf *b, bool comma, const struct weir_aggdef *defs, int n,
    union weir_cell *cells, uint64_t count, bool partial)
{
	int rc = 0;
	if (partial)
		rc = weir_buf_printf(b, "%s\"_partial\":{\"v\":1,\"n\":%llu,\"a\":{",
		    comma ? "," : "", (unsigned long long)count);
	for (int i = 0; i < n && rc == 0; i++) {
		rc = weir_buf_str(b, (partial ? i > 0 : comma || i > 0) ? "," : "");
		if (rc == 0)
			rc = weir_buf_str(b, defs[i].name);
		if (rc == 0)
			rc = weir_buf_add(b, ":", 1);
		if (rc == 0)
			rc = partial ? weir_cell_write(&defs[i], &cells[i], b) :
			    weir_cell_result(&defs[i], &cells[i], count, b);
	}
	if (rc == 0 && partial)
		rc = weir_buf_add(b, "}}", 2);
	return rc;
}

int
weir_cells_from_partial(struct weir_cells *cx, const struct weir_aggdef *defs, int n,
    const char *text, size_t len, uint64_t seq, union weir_cell *cells, uint64_t *count,
    int *bad)
{
	json_t *root = json_loadb(text, len, 0, NULL);
	const json_t *a = json_object_get(root, "a"), *cnt = json_object_get(root, "n");
	*bad = -1;
	if (!json_is_object(a) || !json_is_integer(cnt) || json_integer_value(cnt) < 0 ||
	    json_integer_value(json_object_get(root, "v")) != 1) {
		json_decref(root);
		return -1;
	}
	*count = (uint64_t)json_integer_value(cnt);
	for (int i = 0; i < n && *bad < 0; i++) {
		const json_t *v = json_object_get(a, defs[i].plain);
		if (v == NULL || weir_cell_read(cx, &defs[i], &cells[i], v, seq) < 0)
			*bad = i;
	}
	json_decref(root);
	return *bad < 0 ? 0 : -1;
}

/* Functions whose cell keeps a value as it came, with its arrival. */
static bool
raw_func(enum weir_func f)
{
	return f == WEIR_AGG_MIN || f == WEIR_AGG_MAX || f == WEIR_AGG_FIRST || f == WEIR_AGG_LAST;
}

int
weir_cell_save(const struct weir_aggdef *def, const union weir_cell *c, struct weir_buf *b,
    struct weir_buf *scratch)
{
	scratch->n = 0;
	int rc = weir_cell_write(def, c, scratch) | weir_put_bytes(b, scratch->p, scratch->n);
	if (raw_func(def->func))
		rc |= weir_put_u64(b, c->r.seq);
	if (def->func == WEIR_AGG_COLLECT) {
		rc |= weir_put_u64(b, c->col.n);
		for (size_t j = 0; j < c->col.n; j++)
			rc |= weir_put_u64(b, c->col.items[j].seq);
	}
	return rc ? -1 : 0;
}

int
weir_cell_restore(struct weir_cells *cx, const struct weir_aggdef *def, union weir_cell *c,
    struct weir_get *g, uint64_t seq)
{
	size_t n;
	const char *text = weir_get_bytes(g, &n);
	json_t *v = text ? json_loadb(text, n, JSON_DECODE_ANY, NULL) : NULL;
	int bad = v == NULL || weir_cell_read(cx, def, c, v, seq) < 0;
	json_decref(v);
	if (bad)
		return -1;
	if (raw_func(def->func))
		c->r.seq = weir_get_u64(g);
	if (def->func == WEIR_AGG_COLLECT) {
		if (weir_get_u64(g) != c->col.n)
			return -1;
		for (size_t j = 0; j < c->col.n && !g->bad; j++)
			c->col.items[j].seq = weir_get_u64(g);
	}
	return g->bad ? -1 : 0;
}

int
weir_aggdefs_operands(struct weir_plan *plan, struct weir_aggdef *defs, int max, int *n, int argc,
    char **argv, char *err, size_t errlen)
{
	int used = 0;
	while (used < argc && weir_aggdef_is_spec(argv[used])) {
		if (*n == max) {
			snprintf(err, errlen, "at most %d aggregates", max);
			return -1;
		}
		if (weir_aggdef_parse(plan, &defs[*n], argv[used], err, errlen) < 0)
			return -1;
		(*n)++;
		used++;
	}
	if (used < argc && strchr(argv[used], ':') && access(argv[used], F_OK) != 0) {
		/* neither an aggregate nor a file: most likely a misspelt function */
		struct weir_aggdef scratch = {0};
		if (weir_aggdef_parse(plan, &scratch, argv[used], err, errlen) == 0)
			snprintf(err, errlen, "unknown aggregate '%s'", argv[used]);
		weir_aggdef_free(&scratch);
		return -1;
	}
	if (*n == 0 && weir_aggdef_parse(plan, &defs[(*n)++], "count", err, errlen) < 0)
		return -1;
	for (int i = 0; i < *n; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(defs[i].plain, defs[j].plain) == 0) {
				snprintf(err, errlen, "two aggregates write '%s' ('%s' and '%s'): "
				    "rename one with =NAME", defs[i].plain, defs[j].spec, defs[i].spec);
				return -1;
			}
	return used;
}
