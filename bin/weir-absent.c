/*
 * weir-absent: a key that falls silent, in event time.
 *
 *   event ──► its key: the latest event time seen, a deadline at that
 *             time + --after DUR (a heap of deadlines, a version per key so
 *             that an older deadline is known stale)
 *   watermark ──► each key whose deadline it reached:
 *             {KEY...,"silent_since":T,"absent":true}
 *   an event of an absent key, later than its silence began ──►
 *             {KEY...,"silent_since":T,"back_at":T2,"absent":false}
 *
 * "Host X has sent nothing for 5 minutes" needs the watermark: an event
 * that is only late must not make a key look silent, so the deadline is
 * judged against the watermark, never against arrival.  At the end of the
 * input a key is absent only when the latest event of the whole input lies
 * --after past its own: the end of a file is not a silence (the rows a
 * live stream would have given by then, no more).
 *
 * Keys are held in the order they were last seen, at most --max-keys; past
 * it the longest unseen is forgotten (counted).  Events are consumed: the
 * output is the rows, and the watermark lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"
#include "../lib/heap.h"
#include "../lib/keys.h"
#include "../lib/program.h"
#include "../lib/state.h"

#define DEFAULT_MAX_KEYS 1000000

struct akey {
	struct weir_held_key held;	/* first (keys.h) */
	int64_t last;			/* the latest event time seen */
	uint64_t version;		/* of its live deadline */
	uint32_t refs;			/* deadlines in the heap that point to it */
	bool absent;
	bool forgotten;			/* out of the set, freed with its last deadline */
	struct akey *older, *newer;	/* in the order last seen */
};

struct deadline {
	int64_t due;
	uint64_t seq;			/* ties: in the order they were set */
	uint64_t version;
	struct akey *k;
};

static inline bool
deadline_before(const struct deadline *a, const struct deadline *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

WEIR_HEAP_DEFINE(deadlines, struct deadline, deadline_before)

struct absent {
	int64_t after;
	size_t max_keys;
	const char *by_list;
	struct weir_keys by;
	struct weir_held_key *keys;
	size_t nkeys;
	struct akey *oldest, *newest;
	struct deadlines_heap heap;
	uint64_t seq;
	uint64_t forgotten, went_silent, came_back;
	struct weir_buf row;
	char *scratch;
	size_t scratch_cap;
};

/* --- keys -------------------------------------------------------------------------- */

static void
unlink_key(struct absent *a, struct akey *k)
{
	if (k->older)
		k->older->newer = k->newer;
	else if (a->oldest == k)
		a->oldest = k->newer;
	if (k->newer)
		k->newer->older = k->older;
	else if (a->newest == k)
		a->newest = k->older;
	k->older = k->newer = NULL;
}

static void
append_key(struct absent *a, struct akey *k)
{
	k->older = a->newest;
	k->newer = NULL;
	if (a->newest)
		a->newest->newer = k;
	else
		a->oldest = k;
	a->newest = k;
}

/* A new deadline for k, at its latest time + --after; older ones go stale. */
static int
arm(struct absent *a, struct akey *k)
{
	int64_t due = k->last > INT64_MAX - a->after ? INT64_MAX : k->last + a->after;
	if (deadlines_push(&a->heap, (struct deadline){due, a->seq++, ++k->version, k}) < 0)
		return -1;
	k->refs++;
	return 0;
}

static void
free_key(struct akey *k)
{
	free(k->held.bytes);
	free(k->held.members);
	free(k);
}

/* Past --max-keys: the key seen longest ago is forgotten. */
static void
forget_oldest(struct absent *a)
{
	struct akey *k = a->oldest;
	unlink_key(a, k);
	HASH_DEL(a->keys, &k->held);
	a->nkeys--;
	a->forgotten++;
	k->forgotten = true;	/* its deadlines are stale now */
	if (k->refs == 0)
		free_key(k);
}

/* --- rows ---------------------------------------------------------------------------- */

static int
put_time(struct weir_ctx *ctx, struct weir_buf *b, const char *name, int64_t t)
{
	char text[WEIR_TIME_BUFSZ];
	size_t n = weir_time_format_json(t, weir_output_repr(ctx), text);
	return weir_buf_printf(b, ",\"%s\":", name) | weir_buf_add(b, text, n);
}

static int
write_row(struct weir_ctx *ctx, struct absent *a, const struct akey *k, int64_t back_at)
{
	struct weir_buf *b = &a->row;
	b->n = 0;
	int rc = weir_buf_add(b, "{", 1) | weir_buf_add(b, k->held.members, k->held.members_len);
	rc |= put_time(ctx, b, "silent_since", k->last);
	if (rc == 0 && k->held.members_len == 0)
		memmove(b->p + 1, b->p + 2, --b->n - 1);	/* no key members: no comma */
	if (back_at != WEIR_TIME_NONE)
		rc |= put_time(ctx, b, "back_at", back_at);
	rc |= weir_buf_str(b, back_at == WEIR_TIME_NONE ? ",\"absent\":true}" : ",\"absent\":false}");
	if (rc != 0)
		return weir_fail(ctx, "out of memory");
	return weir_emit_row(ctx, b->p, b->n);
}

/* Every key whose deadline is at or before `upto` falls silent. */
static int
fire(struct weir_ctx *ctx, struct absent *a, int64_t upto)
{
	while (a->heap.n > 0 && a->heap.items[0].due <= upto) {
		struct deadline d = deadlines_pop(&a->heap);
		struct akey *k = d.k;
		k->refs--;
		if (k->forgotten) {
			if (k->refs == 0)
				free_key(k);
			continue;
		}
		if (d.version != k->version || k->absent)
			continue;	/* stale: the key came again since */
		k->absent = true;
		a->went_silent++;
		int rc = write_row(ctx, a, k, WEIR_TIME_NONE);
		if (rc != 0)
			return rc;
	}
	ctx->count.state_bytes = a->nkeys * (sizeof(struct akey) + 64) +
	    a->heap.cap * sizeof *a->heap.items;
	return 0;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct absent *a = ctx->prog_state;
	ctx->count.out++;	/* consumed: what it says is in the rows */
	size_t before = HASH_COUNT(a->keys);
	struct akey *k = (struct akey *)weir_held_key_of(&a->keys, &a->by, ev->fields,
	    sizeof *k, &a->scratch, &a->scratch_cap);
	if (k == NULL)
		return weir_fail(ctx, "out of memory");
	int rc = 0;
	if (HASH_COUNT(a->keys) != before) {	/* a new key */
		a->nkeys++;
		k->last = ev->t;
		append_key(a, k);
		if (arm(a, k) < 0)
			return weir_fail(ctx, "out of memory");
		if (a->nkeys > a->max_keys)
			forget_oldest(a);
		return 0;
	}
	unlink_key(a, k);
	append_key(a, k);
	if (ev->t <= k->last)
		return 0;	/* older than what it said last: no news */
	if (!k->absent && ev->t - k->last >= a->after) {
		/* silent for --after before this event, whether or not the
		 * watermark got there first: the same rows either way */
		k->absent = true;
		a->went_silent++;
		rc = write_row(ctx, a, k, WEIR_TIME_NONE);
	}
	if (rc == 0 && k->absent) {
		k->absent = false;
		a->came_back++;
		rc = write_row(ctx, a, k, ev->t);
	}
	k->last = ev->t;
	if (rc == 0 && arm(a, k) < 0)
		rc = weir_fail(ctx, "out of memory");
	return rc;
}

static int
on_watermark(struct weir_ctx *ctx, int64_t watermark)
{
	return fire(ctx, ctx->prog_state, watermark);
}

/* The end of the input is no silence: keys are judged as of its latest
 * event. */
static int
on_end(struct weir_ctx *ctx)
{
	return fire(ctx, ctx->prog_state, ctx->max_event);
}

static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	struct absent *a = ctx->prog_state;
	fprintf(f, ",\"keys\":%zu,\"went_silent\":%llu,\"came_back\":%llu,\"forgotten\":%llu",
	    a->nkeys, (unsigned long long)a->went_silent, (unsigned long long)a->came_back,
	    (unsigned long long)a->forgotten);
}

/* --- checkpoints (--state) ------------------------------------------------------- */

/* The keys, oldest seen first: bytes, members, latest time, absent.  The
 * deadlines are made again from them. */
static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct absent *a = ctx->prog_state;
	int rc = weir_put_u64(b, a->nkeys) | weir_put_u64(b, a->went_silent) |
	    weir_put_u64(b, a->came_back) | weir_put_u64(b, a->forgotten);
	for (struct akey *k = a->oldest; k && rc == 0; k = k->newer)
		rc = weir_put_bytes(b, k->held.bytes, k->held.len) |
		    weir_put_bytes(b, k->held.members, k->held.members_len) |
		    weir_put_i64(b, k->last) | weir_put_u64(b, k->absent);
	return rc ? weir_fail(ctx, "out of memory writing state") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct absent *a = ctx->prog_state;
	uint64_t n = weir_get_count(g, 24);
	a->went_silent = weir_get_u64(g);
	a->came_back = weir_get_u64(g);
	a->forgotten = weir_get_u64(g);
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		size_t len, mlen;
		const char *bytes = weir_get_bytes(g, &len), *members = weir_get_bytes(g, &mlen);
		int64_t last = weir_get_i64(g);
		bool absent = weir_get_u64(g);
		if (g->bad)
			break;
		struct akey *k = (struct akey *)weir_held_key_add(&a->keys, bytes, len, members, mlen,
		    sizeof *k);
		if (k == NULL)
			return weir_fail(ctx, "out of memory");
		k->last = last;
		k->absent = absent;
		a->nkeys++;
		append_key(a, k);
		if (!absent && arm(a, k) < 0)
			return weir_fail(ctx, "out of memory");
	}
	return g->bad ? -1 : 0;
}

/* --- options ------------------------------------------------------------------------ */

enum { OPT_AFTER = 1, OPT_BY, OPT_MAX_KEYS };

static const struct weir_optdef own_options[] = {
	{"after", 0, 1, OPT_AFTER, "DUR"},
	{"by", 0, 1, OPT_BY, "FIELDS"},
	{"max-keys", 0, 1, OPT_MAX_KEYS, "N"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct absent *a = arg;
	switch (id) {
	case OPT_AFTER:
		if (weir_option_duration("after", value, &a->after, err, errlen) < 0)
			return -1;
		if (a->after <= 0) {
			snprintf(err, errlen, "--after '%s' must be more than 0", value);
			return -1;
		}
		return 0;
	case OPT_BY:
		a->by_list = value;
		return 0;
	case OPT_MAX_KEYS:
		return weir_option_count("max-keys", value, 1, 1000000000ULL, &a->max_keys, err,
		    errlen);
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct absent *a = ctx->prog_state;
	(void)argc;
	(void)argv;
	if (a->after == 0 || a->by_list == NULL) {
		snprintf(err, errlen, "weir-absent needs --by FIELDS and --after DUR (a key is absent "
		    "when the watermark passes its latest event by DUR)");
		return -1;
	}
	if (weir_keys_option(ctx, &a->by, "--by", a->by_list, err, errlen) < 0)
		return -1;
	return 0;	/* every operand is an input file */
}

static void
teardown(void *state)
{
	struct absent *a = state;
	while (a->heap.n > 0) {		/* forgotten keys live as long as their deadlines */
		struct akey *k = deadlines_pop(&a->heap).k;
		if (--k->refs == 0 && k->forgotten)
			free_key(k);
	}
	while (a->keys)
		weir_held_key_drop(&a->keys, a->keys);
	deadlines_free(&a->heap);
	weir_keys_free(&a->by);
	weir_buf_free(&a->row);
	free(a->scratch);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, on_watermark, NULL, on_end,
		.on_stats = on_stats, .on_save = on_save, .on_restore = on_restore};
	static struct absent a = {.max_keys = DEFAULT_MAX_KEYS};
	static const struct weir_program program = {
		.name = "weir-absent",
		.synopsis = "weir-absent --by FIELDS --after DUR [--lag DUR] [--max-keys N] "
		    "[--state FILE] [options] [FILE ...]",
		.summary = "Says when a key falls silent in event time, and when it comes back.",
		.own_help = "      --by FIELDS          the keys (paths, comma separated)\n"
		    "      --after DUR          absent when the watermark passes its latest event by DUR\n"
		    "      --max-keys N         hold at most N keys (default 1000000)\n"
		    "      --state FILE         checkpoint the keys at each barrier; resume\n",
		.features = WEIR_FEATURE_STATE,
		.options = own_options,
		.option = own_option,
		.state = &a,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
