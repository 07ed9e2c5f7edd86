/*
 * weir-step: running values per key, in event-time order.
 *
 *   event ──► held until the watermark passes it (lib/pending: (time,
 *             arrival) order) ──► its key's state (the previous event,
 *             running sums, the last N events or DUR) ──► the event, the
 *             values inserted before its closing brace
 *
 * Each function writes what PostgreSQL's window functions write over
 * `PARTITION BY key ORDER BY time, arrival`: prev is LAG, delta the value
 * less LAG's, rate that over the seconds since the key's previous event;
 * sum, avg and count run over the key's rows so far, or --over the last N
 * rows (ROWS BETWEEN N-1 PRECEDING AND CURRENT ROW), or the rows of the
 * last DUR (RANGE BETWEEN DUR PRECEDING AND CURRENT ROW, the row itself
 * and those before it).  ewma has no SQL form: the first number, then
 * alpha × value + (1 − alpha) × the one before.
 *
 * Held events keep their bytes in a weir_store; memory follows the events
 * inside the lag, and the keys with each one's --over values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/aggregate.h"
#include "../lib/driver.h"
#include "../lib/keys.h"
#include "../lib/map.h"
#include "../lib/pending.h"
#include "../lib/program.h"
#include "../lib/state.h"
#include "../lib/store.h"

#define MAX_FUNCS 32
#define DEFAULT_MAX_BUFFER 1000000

enum kind { S_PREV, S_DELTA, S_RATE, S_EWMA, S_SUM, S_AVG, S_COUNT, NKINDS };
static const char *const kind_names[NKINDS] = {"prev", "delta", "rate", "ewma", "sum", "avg",
	"count"};

struct func {
	enum kind kind;
	int slot;		/* the field in the plan; -1 for count */
	double alpha;		/* ewma */
	char *key;		/* `"name":` */
	size_t key_len;
};

/* A row of the --over window: its time and number (has: it had one). */
struct item {
	int64_t t;
	double v;
	bool has;
};

/* One function's state for one key. */
struct fstate {
	char *prev;		/* the previous event's value as it came; NULL: none */
	size_t prev_len;
	bool prev_num;		/* it was a number: prev_v */
	double prev_v;
	double ewma;
	bool has_ewma;
	double sum;		/* over the window's rows */
	uint64_t n;		/* numbers among them */
	uint64_t rows;
	struct item *ring;	/* --over: the window's rows, oldest at head */
	size_t head, len, cap;
};

struct skey {
	struct weir_held_key held;	/* first (keys.h) */
	uint64_t hash;			/* weir_keys_bytes_hash of its bytes */
	int64_t prev_t;			/* the key's previous event */
	struct fstate f[];
};

struct step {
	struct func funcs[MAX_FUNCS];
	int nfuncs;
	const char *by_list;
	struct weir_keys by;
	const char *over;
	size_t over_rows;	/* --over N */
	int64_t over_ns;	/* --over DUR */
	bool strings;
	size_t max_buffer;
	bool forcing;		/* releasing because the buffer is full */
	struct weir_pendings pending;
	struct weir_store *store;
	uint64_t seq;
	struct weir_held_key *keys;	/* every key, for checkpoints */
	struct weir_map index;		/* the same keys by hash */
	struct weir_span *spans;
	size_t nslots;		/* the plan's */
	int fslots[MAX_FUNCS];	/* the functions' fields, each once */
	size_t nfslots;
	uint32_t *where;	/* a held event's: offset and length of each */
	struct weir_buf members;
	char *scratch;
	size_t scratch_cap;
};

/* --- the running values ---------------------------------------------------------- */

static int
ring_push(struct fstate *s, struct item it)
{
	if (s->len == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct item *r = malloc(cap * sizeof *r);
		if (r == NULL)
			return -1;
		for (size_t i = 0; i < s->len; i++)
			r[i] = s->ring[(s->head + i) % s->cap];
		free(s->ring);
		s->ring = r;
		s->head = 0;
		s->cap = cap;
	}
	s->ring[(s->head + s->len++) % s->cap] = it;
	return 0;
}

static void
ring_pop(struct fstate *s)
{
	const struct item *it = &s->ring[s->head];
	if (it->has) {
		s->sum -= it->v;
		s->n--;
	}
	s->rows--;
	s->head = (s->head + 1) % s->cap;
	s->len--;
	if (s->n == 0)
		s->sum = 0;	/* no drift left behind by what went out */
}

/* The event's value for f: its span, a number when it is one. */
static bool
value_of(const struct step *st, const struct weir_span *v, double *d)
{
	if (v == NULL || v->p == NULL)
		return false;
	struct weir_number num;
	weir_number_read(v, !st->strings, &num);
	*d = num.d;
	return num.kind >= NUM_INT;
}

/* A computed number, to 15 significant digits (io.h). */
static int
put_number(struct weir_buf *b, double v)
{
	return weir_buf_double15(b, v);
}

/* Writes `"name":VALUE` for f at this event of k, then moves f's state
 * on: v is the event's value for f, d its number when num.  -1 when
 * memory ran out. */
static int
step_one(struct step *st, const struct func *f, struct skey *k, struct fstate *s, int64_t t,
    const struct weir_span *v, bool num, double d, struct weir_buf *b)
{
	if (weir_buf_add(b, f->key, f->key_len) < 0)
		return -1;
	int rc = 0;
	switch (f->kind) {
	case S_PREV:
		rc = s->prev ? weir_buf_add(b, s->prev, s->prev_len) : weir_buf_str(b, "null");
		break;
	case S_DELTA:
		rc = num && s->prev_num ? put_number(b, d - s->prev_v) : weir_buf_str(b, "null");
		break;
	case S_RATE:
		rc = num && s->prev_num && t > k->prev_t ?
		    put_number(b, (d - s->prev_v) / ((double)(t - k->prev_t) / 1e9)) :
		    weir_buf_str(b, "null");
		break;
	case S_EWMA:
		if (num) {
			s->ewma = s->has_ewma ? f->alpha * d + (1 - f->alpha) * s->ewma : d;
			s->has_ewma = true;
		}
		rc = s->has_ewma ? put_number(b, s->ewma) : weir_buf_str(b, "null");
		break;
	case S_SUM: case S_AVG: case S_COUNT:
		if (st->over_rows || st->over_ns) {
			if (ring_push(s, (struct item){t, d, num}) < 0)
				return -1;
			while (s->len > 0 && ((st->over_rows && s->len > st->over_rows) ||
			    (st->over_ns && s->ring[s->head].t < t - st->over_ns)))
				ring_pop(s);
		}
		s->rows++;
		if (num) {
			s->sum += d;
			s->n++;
		}
		if (f->kind == S_COUNT)
			rc = weir_buf_printf(b, "%llu", (unsigned long long)s->rows);
		else if (s->n == 0)
			rc = weir_buf_str(b, "null");
		else
			rc = put_number(b, f->kind == S_SUM ? s->sum : s->sum / (double)s->n);
		break;
	default:
		break;
	}
	if (rc < 0)
		return -1;
	/* what the next event of the key sees as the previous one */
	if (f->kind == S_PREV || f->kind == S_DELTA || f->kind == S_RATE) {
		bool present = v && v->p;
		s->prev_num = num;
		s->prev_v = d;
		if (f->kind == S_PREV) {
			free(s->prev);
			s->prev = present ? malloc(v->n) : NULL;
			if (present && s->prev == NULL)
				return -1;
			if (present)
				memcpy(s->prev, v->p, v->n);
			s->prev_len = present ? v->n : 0;
		}
	}
	return 0;
}

/* The key with these bytes and hash, or NULL. */
static struct skey *
key_find(const struct step *st, uint64_t h, const char *bytes, size_t len)
{
	size_t at = weir_map_start(&st->index, h);
	struct skey *k;
	while ((k = weir_map_next(&st->index, h, &at)) != NULL)
		if (k->held.len == len && memcmp(k->held.bytes, bytes, len) == 0)
			return k;
	return NULL;
}

static size_t
key_size(const struct step *st)
{
	return sizeof(struct skey) + (size_t)st->nfuncs * sizeof(struct fstate);
}

/* The event's key, found by the hash its scan computed (on_scan), or
 * added; NULL when memory ran out.  Keys stay for the whole run. */
static struct skey *
key_of(struct step *st, uint64_t h, const struct weir_span *spans)
{
	size_t at = weir_map_start(&st->index, h);
	struct skey *k;
	while ((k = weir_map_next(&st->index, h, &at)) != NULL)
		if (weir_keys_equal(&st->by, spans, k->held.bytes, k->held.len))
			return k;
	k = (struct skey *)weir_held_key_of(&st->keys, &st->by, spans, key_size(st), &st->scratch,
	    &st->scratch_cap);
	if (k == NULL)
		return NULL;
	k->hash = h;
	if (weir_map_insert(&st->index, h, k) < 0) {
		weir_held_key_drop(&st->keys, &k->held);
		return NULL;
	}
	return k;
}

static void
on_scan(const void *state, unsigned input, const char *line, size_t len,
    const struct weir_span *spans, uint64_t digest[2])
{
	(void)input, (void)line, (void)len;
	digest[0] = weir_keys_hash(&((const struct step *)state)->by, spans);
}

/* Holds an event: its bytes in the store, and after them where each
 * function's field is in them (UINT32_MAX: absent), so that its turn needs
 * no second scan.  -1 when memory ran out, -2 after weir_fail. */
static int
hold(struct weir_ctx *ctx, struct step *st, const char *line, size_t len,
    const struct weir_span *spans, struct weir_stored *out)
{
	for (size_t j = 0; j < st->nfslots; j++) {
		const struct weir_span *v = &spans[st->fslots[j]];
		if (v->p && (v->p < line || v->p + v->n > line + len)) {
			const char *why;	/* spans of other bytes: those of these */
			if (weir_scan(ctx->plan, line, len, st->spans, &why) < 0) {
				weir_fail(ctx, "a held event no longer scans: %s", why);
				return -2;
			}
			spans = st->spans;
			break;
		}
	}
	for (size_t j = 0; j < st->nfslots; j++) {
		const struct weir_span *v = &spans[st->fslots[j]];
		st->where[2 * j] = v->p ? (uint32_t)(v->p - line) : UINT32_MAX;
		st->where[2 * j + 1] = (uint32_t)v->n;
	}
	return weir_store_put_tail(st->store, line, len, st->where,
	    2 * st->nfslots * sizeof *st->where, out);
}

/* An event of key k whose turn came: k's values, then the event with them. */
static int
release_one(struct weir_ctx *ctx, struct step *st, struct skey *k, const char *line, size_t len,
    int64_t t)
{
	memcpy(st->where, line + len, 2 * st->nfslots * sizeof *st->where);
	for (size_t j = 0; j < st->nfslots; j++)
		st->spans[st->fslots[j]] = st->where[2 * j] == UINT32_MAX ?
		    (struct weir_span){NULL, 0} :
		    (struct weir_span){line + st->where[2 * j], st->where[2 * j + 1]};
	struct weir_buf *b = &st->members;
	b->n = 0;
	double d = 0;
	bool num = false;
	for (int i = 0; i < st->nfuncs; i++) {
		const struct func *f = &st->funcs[i];
		const struct weir_span *v = f->slot >= 0 ? &st->spans[f->slot] : NULL;
		if (f->slot >= 0 && (i == 0 || f->slot != st->funcs[i - 1].slot)) {
			d = 0;	/* (functions of one field in a row read it once) */
			num = value_of(st, v, &d);
		}
		if ((i > 0 && weir_buf_add(b, ",", 1) < 0) ||
		    step_one(st, f, k, &k->f[i], t, v, f->slot >= 0 && num, f->slot >= 0 ? d : 0, b) < 0)
			return weir_fail(ctx, "out of memory");
	}
	k->prev_t = t;
	return weir_emit_insert(ctx, line, len, b->p, b->n);
}

/* Lets out every held event at or before `upto`, in (time, arrival) order. */
static int
release(struct weir_ctx *ctx, struct step *st, int64_t upto)
{
	uint32_t slot;
	bool wheel;
	const struct weir_pending *p;
	while ((p = weir_pendings_peek(&st->pending, &slot, &wheel)) != NULL && p->t <= upto) {
		struct weir_pending e = weir_pendings_take(&st->pending, slot, wheel);
		int rc = release_one(ctx, st, e.key, e.ev.line, e.ev.len, e.t);
		weir_store_release(st->store, &e.ev);
		ctx->count.out++;
		ctx->count.forced += st->forcing;
		if (rc != 0)
			return rc;
	}
	ctx->count.held = weir_pendings_count(&st->pending);
	return 0;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct step *st = ctx->prog_state;
	if (ev->t < ctx->watermark)
		return weir_late(ctx, ev);
	struct weir_pending *p = weir_pendings_reserve(&st->pending);	/* filled in place */
	int held = -1;
	if (p != NULL && (p->key = key_of(st, ev->digest[0], ev->fields)) != NULL) {
		p->t = ev->t;
		p->seq = st->seq++;
		p->clean = false;
		p->shape = 0;
		held = hold(ctx, st, ev->line, ev->len, ev->fields, &p->ev);
	}
	if (held == -2)
		return -1;
	if (held < 0 || weir_pendings_commit(&st->pending) < 0)
		return weir_fail(ctx, "out of memory holding %zu events",
		    weir_pendings_count(&st->pending));
	ctx->count.held = weir_pendings_count(&st->pending);
	if (ev->t == ctx->watermark)
		return release(ctx, st, ev->t);	/* its turn has come */
	if (weir_pendings_count(&st->pending) < st->max_buffer)
		return 0;
	uint32_t slot;
	bool wheel;
	st->forcing = true;	/* full: the watermark goes to the oldest held event */
	int rc = weir_force_watermark(ctx, weir_pendings_peek(&st->pending, &slot, &wheel)->t);
	st->forcing = false;
	return rc;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	return release(ctx, ctx->prog_state, watermark);
}

static int
on_end(struct weir_ctx *ctx)
{
	return release(ctx, ctx->prog_state, INT64_MAX);
}

/* --- checkpoints (--state) ------------------------------------------------------- */

static uint64_t
bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double
real(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static int
save_pending(void *arg, const struct weir_pending *p)
{
	struct weir_buf *b = arg;
	return weir_put_i64(b, p->t) | weir_put_u64(b, p->seq) | weir_put_bytes(b, p->ev.line,
	    p->ev.len);
}

/*
 * The arrival counter, the held events (any order: pushed back, they
 * leave in (time, arrival) order again), then each key: its bytes and
 * members, its previous event's time, and each function's state with the
 * rows of its --over window.
 */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct step *st = ctx->prog_state;
	int rc = weir_put_u64(b, st->seq) | weir_put_u64(b, weir_pendings_count(&st->pending)) |
	    weir_pendings_each(&st->pending, save_pending, b) |
	    weir_put_u64(b, HASH_COUNT(st->keys));
	for (struct weir_held_key *h = st->keys; h && rc == 0; h = h->hh.next) {
		struct skey *k = (struct skey *)h;
		rc |= weir_put_bytes(b, h->bytes, h->len) | weir_put_bytes(b, h->members,
		    h->members_len) | weir_put_i64(b, k->prev_t);
		for (int i = 0; i < st->nfuncs; i++) {
			const struct fstate *f = &k->f[i];
			rc |= weir_put_u64(b, f->prev != NULL) | weir_put_bytes(b, f->prev ? f->prev : "",
			    f->prev_len) | weir_put_u64(b, f->prev_num) | weir_put_u64(b, bits(f->prev_v)) |
			    weir_put_u64(b, bits(f->ewma)) | weir_put_u64(b, f->has_ewma) |
			    weir_put_u64(b, bits(f->sum)) | weir_put_u64(b, f->n) |
			    weir_put_u64(b, f->rows) | weir_put_u64(b, f->len);
			for (size_t j = 0; j < f->len; j++) {
				const struct item *it = &f->ring[(f->head + j) % f->cap];
				rc |= weir_put_i64(b, it->t) | weir_put_u64(b, bits(it->v)) |
				    weir_put_u64(b, it->has);
			}
		}
	}
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct step *st = ctx->prog_state;
	st->seq = weir_get_u64(g);
	uint64_t n = weir_get_count(g, 24);
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		struct weir_pending p = {weir_get_i64(g), weir_get_u64(g), NULL, {0}, false, 0};
		size_t len;
		const char *line = weir_get_bytes(g, &len), *why;
		if (g->bad)
			break;
		if (weir_scan(ctx->plan, line, len, st->spans, &why) < 0)
			return weir_fail(ctx, "a held event in the state no longer scans: %s", why);
		p.key = key_of(st, weir_keys_hash(&st->by, st->spans), st->spans);
		int held = p.key ? hold(ctx, st, line, len, st->spans, &p.ev) : -1;
		if (held == -2)
			return -1;
		if (held < 0 || weir_pendings_push(&st->pending, &p) < 0)
			return weir_fail(ctx, "out of memory");
	}
	uint64_t nkeys = weir_get_count(g, 32);
	for (uint64_t i = 0; i < nkeys && !g->bad; i++) {
		size_t len, mlen;
		const char *bytes = weir_get_bytes(g, &len), *members = weir_get_bytes(g, &mlen);
		if (g->bad)
			break;
		/* a held event's key is there already, with no state yet */
		uint64_t h = weir_keys_bytes_hash(bytes, len);
		struct skey *k = key_find(st, h, bytes, len);
		if (k == NULL) {
			k = (struct skey *)weir_held_key_add(&st->keys, bytes, len, members, mlen,
			    key_size(st));
			if (k == NULL)
				return weir_fail(ctx, "out of memory");
			k->hash = h;
			if (weir_map_insert(&st->index, h, k) < 0)
				return weir_fail(ctx, "out of memory");
		}
		k->prev_t = weir_get_i64(g);
		for (int j = 0; j < st->nfuncs && !g->bad; j++) {
			struct fstate *f = &k->f[j];
			bool has_prev = weir_get_u64(g);
			const char *prev = weir_get_bytes(g, &f->prev_len);
			if (has_prev && prev && (f->prev = malloc(f->prev_len ? f->prev_len : 1)) == NULL)
				return weir_fail(ctx, "out of memory");
			if (has_prev && prev)
				memcpy(f->prev, prev, f->prev_len);
			f->prev_num = weir_get_u64(g);
			f->prev_v = real(weir_get_u64(g));
			f->ewma = real(weir_get_u64(g));
			f->has_ewma = weir_get_u64(g);
			f->sum = real(weir_get_u64(g));
			f->n = weir_get_u64(g);
			f->rows = weir_get_u64(g);
			uint64_t items = weir_get_count(g, 24);
			for (uint64_t r = 0; r < items && !g->bad; r++) {
				struct item it = {weir_get_i64(g), real(weir_get_u64(g)), weir_get_u64(g)};
				if (ring_push(f, it) < 0)
					return weir_fail(ctx, "out of memory");
			}
		}
	}
	ctx->count.held = weir_pendings_count(&st->pending);
	return g->bad ? -1 : 0;
}

/* --- options ------------------------------------------------------------------------ */

/* FUNC:FIELD[:ALPHA][=NAME] or count[=NAME]. */
static int
parse_func(struct weir_ctx *ctx, struct func *f, const char *spec, char *err, size_t errlen)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	char *rename = strrchr(buf, '=');
	if (rename)
		*rename++ = '\0';
	char *field = strchr(buf, ':');
	if (field)
		*field++ = '\0';
	int k = 0;
	while (k < NKINDS && strcmp(buf, kind_names[k]) != 0)
		k++;
	if (k == NKINDS) {
		snprintf(err, errlen, "unknown function '%s' (expected prev, delta, rate, ewma, sum, "
		    "avg, each :FIELD, ewma:FIELD:ALPHA, or count)", spec);
		return -1;
	}
	f->kind = (enum kind)k;
	f->slot = -1;
	if (f->kind == S_EWMA) {
		char *a = field ? strrchr(field, ':') : NULL, *end = NULL;
		f->alpha = a ? strtod(a + 1, &end) : 0;
		if (a == NULL || *end != '\0' || !(f->alpha > 0 && f->alpha <= 1)) {
			snprintf(err, errlen, "bad '%s' (expected ewma:FIELD:ALPHA, ALPHA in (0, 1], "
			    "e.g. ewma:latency_ms:0.1)", spec);
			return -1;
		}
		*a = '\0';
	}
	if (f->kind != S_COUNT) {
		if (field == NULL || *field == '\0') {
			snprintf(err, errlen, "'%s' needs a field: %s:FIELD", spec, buf);
			return -1;
		}
		if ((f->slot = weir_plan_add(ctx->plan, field)) < 0) {
			snprintf(err, errlen, "bad field path in '%s'", spec);
			return -1;
		}
		weir_watch_field(ctx, spec, f->slot, field);
	} else if (field) {
		snprintf(err, errlen, "count takes no field ('%s')", spec);
		return -1;
	}
	char name[1100];
	if (rename && *rename) {
		snprintf(name, sizeof name, "%s", rename);
	} else {
		snprintf(name, sizeof name, "%s%s%s", buf, field ? "_" : "", field ? field : "");
		for (char *c = name; *c; c++)
			if (*c == '.')
				*c = '_';
	}
	if ((f->key = weir_json_key(name, strlen(name), &f->key_len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

enum { OPT_BY = 1, OPT_OVER, OPT_MAX_BUFFER, OPT_STRINGS = 'S' };

static const struct weir_optdef own_options[] = {
	{"by", 0, 1, OPT_BY, "FIELDS"},
	{"max-buffer", 0, 1, OPT_MAX_BUFFER, "N"},
	{"over", 0, 1, OPT_OVER, "N|DUR"},
	{"strings", 'S', 0, OPT_STRINGS, NULL},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct step *st = arg;
	switch (id) {
	case OPT_BY:
		st->by_list = value;
		return 0;
	case OPT_OVER:
		/* a whole number of rows, or a duration (with its unit) */
		if (strspn(value, "0123456789") == strlen(value))
			return weir_option_count("over", value, 1, 100000000ULL, &st->over_rows, err,
			    errlen);
		if (weir_option_duration("over", value, &st->over_ns, err, errlen) < 0)
			return -1;
		if (st->over_ns <= 0) {
			snprintf(err, errlen, "--over '%s' must be more than 0", value);
			return -1;
		}
		return 0;
	case OPT_MAX_BUFFER:
		return weir_option_count("max-buffer", value, 1, 1000000000ULL, &st->max_buffer, err,
		    errlen);
	case OPT_STRINGS:
		st->strings = true;
		return 0;
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct step *st = ctx->prog_state;
	int used = 0;
	while (used < argc && strchr("pdresac", argv[used][0]) &&
	    (strncmp(argv[used], "count", 5) == 0 || strchr(argv[used], ':'))) {
		int k = 0;
		size_t n = strcspn(argv[used], ":=");
		while (k < NKINDS && !(strlen(kind_names[k]) == n &&
		    strncmp(argv[used], kind_names[k], n) == 0))
			k++;
		if (k == NKINDS)
			break;	/* a file */
		if (st->nfuncs == MAX_FUNCS) {
			snprintf(err, errlen, "at most %d functions", MAX_FUNCS);
			return -1;
		}
		if (parse_func(ctx, &st->funcs[st->nfuncs++], argv[used], err, errlen) < 0)
			return -1;
		used++;
	}
	if (st->nfuncs == 0) {
		snprintf(err, errlen, "no function: weir-step [--by FIELDS] FUNC... with FUNC prev:F, "
		    "delta:F, rate:F, ewma:F:ALPHA, sum:F, avg:F or count");
		return -1;
	}
	if (weir_keys_option(ctx, &st->by, "--by", st->by_list, err, errlen) < 0)
		return -1;
	st->store = weir_store_new();
	st->nslots = weir_plan_size(ctx->plan);
	for (int i = 0; i < st->nfuncs; i++) {
		size_t j = 0;
		while (j < st->nfslots && st->fslots[j] != st->funcs[i].slot)
			j++;
		if (j == st->nfslots && st->funcs[i].slot >= 0)
			st->fslots[st->nfslots++] = st->funcs[i].slot;
	}
	st->spans = calloc(st->nslots + 1, sizeof *st->spans);
	st->where = calloc(2 * st->nslots + 1, sizeof *st->where);
	if (st->store == NULL || st->spans == NULL || st->where == NULL ||
	    weir_pendings_init(&st->pending, ctx->opts->lag > 0 ? 2 * ctx->opts->lag : 1000000000) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return used;
}

static void
teardown(void *state)
{
	struct step *st = state;
	while (st->keys) {
		struct skey *k = (struct skey *)st->keys;
		for (int i = 0; i < st->nfuncs; i++) {
			free(k->f[i].prev);
			free(k->f[i].ring);
		}
		weir_held_key_drop(&st->keys, st->keys);
	}
	for (int i = 0; i < st->nfuncs; i++)
		free(st->funcs[i].key);
	weir_keys_free(&st->by);
	weir_map_free(&st->index);
	weir_pendings_free(&st->pending);
	weir_store_free(st->store);
	free(st->spans);
	free(st->where);
	weir_buf_free(&st->members);
	free(st->scratch);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, on_watermark, NULL, on_end,
		.on_save = on_save, .on_restore = on_restore, .on_scan = on_scan};
	static struct step st = {.max_buffer = DEFAULT_MAX_BUFFER};
	static const struct weir_program program = {
		.name = "weir-step",
		.synopsis = "weir-step [--by FIELDS] [--over N|DUR] [--lag DUR] [options] FUNC... "
		    "[FILE ...]",
		.summary = "Running values per key in event-time order: previous, delta, rate, "
		    "EWMA, running and sliding sums.",
		.own_help = "      --by FIELDS          a state per key (paths, comma separated)\n"
		    "      --over N|DUR         sum, avg and count over the last N events or DUR\n"
		    "      --max-buffer N       hold at most N events (default 1000000)\n"
		    "  -S, --strings            a string is never a number\n"
		    "      --state FILE         checkpoint the held events and the keys; resume\n"
		    "FUNC: prev:F, delta:F, rate:F (per second), ewma:F:ALPHA, sum:F, avg:F,\n"
		    "      count; FUNC=NAME renames the member\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &st,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
