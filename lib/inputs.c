/*
 * inputs.c: several inputs read at once (inputs.h).
 */
#include "inputs.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reader.h"

/* --- watermarks ------------------------------------------------------------------ */

static int64_t
in_watermark(const struct weir_ctx *ctx, const struct weir_in *in)
{
	if (in->done)
		return INT64_MAX;
	int64_t w = in->received;
	if (in->max_t != WEIR_TIME_NONE) {
		int64_t b = weir_time_add_sat(in->max_t, -ctx->opts->lag);
		if (b > w)
			w = b;
	}
	return in->idle_to > w ? in->idle_to : w;
}

/* The lowest watermark of the inputs, leaving out those idle with no time
 * shown; *any says whether one counted. */
static int64_t
lowest_watermark(const struct weir_ctx *ctx, const struct weir_inputs *ins, bool *any)
{
	int64_t w = INT64_MAX;
	*any = false;
	for (unsigned i = 0; i < ins->n; i++) {
		const struct weir_in *in = &ins->in[i];
		if (in->excluded)
			continue;
		int64_t wi = in_watermark(ctx, in);
		if (wi < w)
			w = wi;
		*any = true;
	}
	return w;
}

static bool
all_done(const struct weir_inputs *ins)
{
	for (unsigned i = 0; i < ins->n; i++)
		if (!ins->in[i].done)
			return false;
	return true;
}

/* Moves the program's watermark up to what the inputs now allow. */
static int
advance(struct weir_ctx *ctx, struct weir_inputs *ins)
{
	if (all_done(ins))
		return 0;	/* the end: on_end does the rest */
	bool any;
	int64_t w = lowest_watermark(ctx, ins, &any);
	if (!any)
		w = WEIR_TIME_NONE;
	int rc = 0;
	if (w > ctx->watermark) {
		ctx->watermark = w;
		if (w != WEIR_TIME_NONE && ctx->hooks->on_watermark)
			rc = ctx->hooks->on_watermark(ctx, w);
	}
	if (rc == 0 && ins->watermark_line_due && ctx->watermark != WEIR_TIME_NONE &&
	    ctx->watermark != INT64_MAX) {
		ins->watermark_line_due = false;
		rc = weir_emit_watermark(ctx, weir_time_add_sat(ctx->watermark, -ctx->watermark_trail));
	}
	return rc;
}

/*
 * Input `in` runs too far ahead of the others to read on: its event time
 * is more than --lag past the lowest watermark among them (ahead_limit is
 * that bound).  Not all can be
 * at once (the one with the lowest largest time is ahead of none), so there
 * is no deadlock.  An input waiting at a barrier waits for this one, and
 * holds it back in nothing.
 */
static int64_t
ahead_limit(const struct weir_ctx *ctx, const struct weir_inputs *ins, const struct weir_in *in)
{
	int64_t low = INT64_MAX;
	bool any = false;
	for (unsigned i = 0; i < ins->n; i++) {
		const struct weir_in *o = &ins->in[i];
		if (o == in || o->done || o->excluded || o->blocked)
			continue;
		int64_t w = in_watermark(ctx, o);
		if (w < low)
			low = w;
		any = true;
	}
	if (!any)
		return INT64_MAX;	/* nothing to wait for */
	if (low == WEIR_TIME_NONE)
		return WEIR_TIME_NONE;	/* one that has shown no time: wait for it */
	return weir_time_add_sat(low, ctx->opts->lag);
}

/* The time `in` has reached (WEIR_TIME_NONE, below every limit, before any). */
static int64_t
front(const struct weir_in *in)
{
	return in->max_t > in->received ? in->max_t : in->received;
}

static bool
too_far_ahead(const struct weir_ctx *ctx, const struct weir_inputs *ins, const struct weir_in *in)
{
	return front(in) > ahead_limit(ctx, ins, in);
}

/* The input the others wait for: the one not ended with the lowest
 * watermark, `in` left out. */
static const struct weir_in *
slowest_other(const struct weir_ctx *ctx, const struct weir_inputs *ins, const struct weir_in *in)
{
	const struct weir_in *slow = NULL;
	for (unsigned i = 0; i < ins->n; i++) {
		const struct weir_in *o = &ins->in[i];
		if (o != in && !o->done &&
		    (slow == NULL || in_watermark(ctx, o) < in_watermark(ctx, slow)))
			slow = o;
	}
	return slow;
}

/* --- checkpoints (--state) --------------------------------------------------------- */

/* Once every input not ended has given the same barrier, the checkpoint is
 * taken and all read on; an input whose barrier is behind another's goes
 * on to catch up. */
static int
align(struct weir_ctx *ctx, struct weir_inputs *ins)
{
	const struct weir_in *ahead = NULL;
	bool waiting = false;
	for (unsigned i = 0; i < ins->n; i++) {
		const struct weir_in *in = &ins->in[i];
		if (in->blocked && (ahead == NULL || weir_ckpt_cmp(in->barrier, ahead->barrier) > 0))
			ahead = in;
		waiting |= !in->blocked && !in->done;
	}
	if (ahead == NULL)
		return 0;
	struct weir_ckpt id = ahead->barrier;
	bool behind = false;
	for (unsigned i = 0; i < ins->n; i++) {
		struct weir_in *in = &ins->in[i];
		if (in->blocked && weir_ckpt_cmp(in->barrier, id) < 0) {
			in->blocked = false;
			behind = ins->unblocked = true;
		}
	}
	if (behind || waiting)
		return 0;
	bool stop = ins->stopping;
	for (unsigned i = 0; i < ins->n; i++) {
		stop |= ins->in[i].stop;
		ins->in[i].blocked = ins->in[i].stop = false;
	}
	ins->unblocked = true;
	return weir_checkpoint_barrier(ctx, id, stop);
}

static int
barrier(struct weir_ctx *ctx, struct weir_inputs *ins, struct weir_in *in, const char *line,
    size_t len)
{
	struct weir_ckpt id;
	bool stop;
	if (weir_barrier_parse(line, len, &id, &stop) < 0)
		return weir_fail(ctx, "%s: a barrier line that cannot be read", in->path);
	if (in->skipping) {
		if (weir_ckpt_cmp(id, ctx->target) == 0) {
			in->skipping = false;	/* from here on, new */
			return 0;
		}
		if (id.n > ctx->target.n)
			return weir_fail(ctx, "'%s' passed checkpoint %llu of state file '%s' without "
			    "it (it came to barrier %llu): is this the input the state was saved from?",
			    weir_input_name(in->in), (unsigned long long)ctx->target.n,
			    ctx->state->path, (unsigned long long)id.n);
		return 0;
	}
	ctx->count.barriers++;
	in->blocked = true;
	in->barrier = id;
	in->stop = stop;
	return align(ctx, ins);
}

int
weir_in_save(const struct weir_in *in, struct weir_buf *b)
{
	return weir_put_u64(b, in->done) | weir_put_i64(b, in->max_t) |
	    weir_put_i64(b, in->received) | weir_put_i64(b, in->idle_to);
}

void
weir_in_restore(struct weir_in *in, struct weir_get *g)
{
	in->done = weir_get_u64(g);
	in->max_t = weir_get_i64(g);
	in->received = weir_get_i64(g);
	in->idle_to = weir_get_i64(g);
}

/* --- reading ------------------------------------------------------------------------- */

static int
take_line(struct weir_ctx *ctx, struct weir_inputs *ins, struct weir_in *in,
    const struct weir_scanned *rec, const struct weir_span *spans)
{
	int64_t t = 0;
	const char *why = NULL;
	int kind = weir_classify_scanned(ctx, rec, spans, &t, &why);
	in->excluded = false;
	switch (kind) {
	case WEIR_LINE_BAD:
		if (in->skipping) {
			ctx->count.skipped++;
			return 0;
		}
		ctx->count.in++;
		return weir_reject_line(ctx, rec->line, rec->len, weir_input_name(in->in),
		    rec->lineno, why);
	case WEIR_LINE_WATERMARK:
		if (in->skipping)
			return 0;
		ctx->count.watermarks_in++;
		if (t > in->received)
			in->received = t;
		ins->watermark_line_due = true;
		return 0;
	case WEIR_LINE_BLANK:
		if (in->skipping)
			ctx->count.skipped++;
		else
			ctx->count.blank++;
		return 0;
	case WEIR_LINE_BARRIER: {
		if (ctx->state)
			return barrier(ctx, ins, in, rec->line, rec->len);
		ctx->count.barriers++;
		int rc = weir_out_protocol(ctx->out, rec->line, rec->len);
		return rc ? rc : weir_out_flush(ctx->out);
	}
	default:
		break;
	}
	if (in->skipping) {
		ctx->count.skipped++;	/* counted before the checkpoint */
		return 0;
	}
	ctx->count.in++;
	struct weir_event ev = {rec->line, rec->len, t, spans, (unsigned)(in - ins->in),
	    rec->lineno, {rec->digest[0], rec->digest[1]}, rec->shape, rec->clean};
	int rc;
	if (ctx->where && !weir_where(ctx, &ev, NULL, &rc))
		return rc;
	/* late for this input's own watermark (which the others' pace does not
	 * move), or the program's; measured from the higher */
	int64_t w = in_watermark(ctx, in);
	if (w == WEIR_TIME_NONE || (ctx->watermark != WEIR_TIME_NONE && ctx->watermark > w))
		w = ctx->watermark;
	if (w != WEIR_TIME_NONE && t < w)
		return weir_late_behind(ctx, &ev, w);
	if (t > in->max_t)
		in->max_t = t;
	return ctx->hooks->on_event ? ctx->hooks->on_event(ctx, &ev) : 0;
}

/* on_ahead: the digest of record i of b, NULL past its end or for a line
 * that is no event. */
static const uint64_t *
ahead_digest(const struct weir_batch *b, size_t i)
{
	return i < b->n && b->recs[i].kind == WEIR_LINE_DATA ? b->recs[i].digest : NULL;
}

/*
 * The next line of `in` in hand: 1 with the scanned record and its spans,
 * 0 when none is ready (in->done at the end), -1 on a read error.  A
 * reader's batch is kept until its last record is taken.
 */
static int
next_record(struct weir_ctx *ctx, struct weir_in *in, struct weir_scanned *local,
    const struct weir_scanned **rec, const struct weir_span **spans)
{
	if (in->reader == NULL) {
		if (weir_input_line(in->in, &local->line, &local->len, &local->lineno) != 1) {
			in->done = weir_input_eof(in->in);
			return 0;
		}
		local->why = NULL;
		local->aux = 0;
		local->input = (uint8_t)in->index;
		if ((local->why = weir_input_rejected(in->in)) != NULL)
			local->kind = WEIR_LINE_BAD;	/* a malformed CSV record */
		else
			weir_scan_record(ctx, local, ctx->spans);
		*rec = local;
		*spans = ctx->spans;
		return 1;
	}
	size_t nslots = weir_plan_size(ctx->plan);
	for (;;) {
		struct weir_batch *b = in->batch;
		if (b && in->at < b->n) {
			weir_batch_scanned(in->reader, b, in->at + 2 * WEIR_AHEAD + 1);
			*rec = &b->recs[in->at];
			*spans = &b->spans[in->at * nslots];
			weir_batch_prefetch(b, in->at, nslots);
			if (ctx->hooks->on_ahead)
				ctx->hooks->on_ahead(ctx->prog_state, ahead_digest(b, in->at + WEIR_AHEAD),
				    ahead_digest(b, in->at + 2 * WEIR_AHEAD));
			in->at++;
			return 1;
		}
		if (b) {
			bool eof = b->eof;
			int err = b->err;
			weir_reader_give_back(in->reader, b);
			in->batch = NULL;
			if (err)
				return weir_read_failed(ctx, weir_input_name(in->in), err, 0);
			if (eof) {
				in->done = true;
				return 0;
			}
		}
		if (weir_reader_take(in->reader, &in->batch) == 0)
			return 0;
		in->at = 0;
		in->new_batch = true;
		if (in->batch->n > 0)
			in->last_line_at = in->next_idle = weir_mono_now();
	}
}

/*
 * One producer feeding two inputs (`tee >(grep a > l.fifo) | grep b >
 * r.fifo`) would hang: the input ahead is paused, its pipe fills, the
 * producer blocks writing it and never writes the other input's lines, for
 * which the program waits.  So when every input it waits for has been
 * silent for STARVED_MS while the paused one has lines to give, the paused
 * one is read on into the program's pending state (in->drain), at most
 * ctx->max_ahead lines ahead; past that the program stops and says why,
 * rather than wait for ever.  Lines from a silent input end the draining,
 * and an input that is no longer ahead starts counting from 0 again.  Only
 * a pipe (or FIFO, socket, terminal) is read on so: no producer waits on a
 * regular file, and a loaded machine can make a file's reader look silent.
 */
#define STARVED_MS 250

static int
too_far_ahead_for_good(struct weir_ctx *ctx, const struct weir_inputs *ins,
    const struct weir_in *in)
{
	const struct weir_in *other = slowest_other(ctx, ins, in);
	const char *silent = other ? other->path : "the other input";
	return weir_fail(ctx, "'%s' has given nothing for a while, and %llu lines of '%s' were "
	    "read ahead of it (--max-buffer): if one producer feeds both inputs, it cannot "
	    "write to one until the program reads the other; raise --max-buffer, give --idle "
	    "DUR if '%s' may be silent, or read from files", silent,
	    (unsigned long long)in->ahead, in->path, silent);
}

/* Takes the lines `in` has in hand, as long as it may run on. */
static int
take_lines(struct weir_ctx *ctx, struct weir_inputs *ins, struct weir_in *in)
{
	struct weir_scanned local;
	const struct weir_scanned *rec = NULL;
	const struct weir_span *spans = NULL;
	int rc;
	/* the others' watermarks do not move while this input is read (a
	 * barrier can unblock one: then it is looked at again) */
	int64_t limit = ahead_limit(ctx, ins, in);
	while (!in->done && !in->blocked) {
		if (front(in) <= limit) {
			in->ahead = 0;
		} else if (!in->drain) {
			if (!in->paused)
				in->pauses++;
			in->paused = true;
			return 0;
		} else if (in->ahead >= ctx->max_ahead) {
			return too_far_ahead_for_good(ctx, ins, in);
		} else {
			in->ahead++;
		}
		in->paused = false;
		int got = next_record(ctx, in, &local, &rec, &spans);
		if (got <= 0)
			return got;
		for (unsigned i = 0; ins->draining && i < ins->n; i++)
			if (&ins->in[i] != in)
				ins->in[i].drain = false;	/* this input is not silent */
		if (in->new_batch) {
			/* what the last batch allows goes first, so that what is
			 * pending stays within a batch and the lag */
			in->new_batch = false;
			if ((rc = advance(ctx, ins)) != 0)
				return rc;
		}
		if ((rc = take_line(ctx, ins, in, rec, spans)) != 0)
			return rc;
		if (ctx->state)
			limit = ahead_limit(ctx, ins, in);
	}
	return 0;
}

/* --idle: an input silent for DUR advances as if its event time kept pace
 * with the wall clock; one that has shown no time stops counting. */
static bool
idle_check(struct weir_ctx *ctx, struct weir_inputs *ins, int64_t now)
{
	bool moved = false;
	for (unsigned i = 0; i < ins->n; i++) {
		struct weir_in *in = &ins->in[i];
		if (in->done || now < in->next_idle + ctx->opts->idle)
			continue;
		in->next_idle = now;
		int64_t base = in->received;
		if (in->max_t != WEIR_TIME_NONE) {
			int64_t b = weir_time_add_sat(in->max_t, -ctx->opts->lag);
			if (b > base)
				base = b;
		}
		if (base == WEIR_TIME_NONE) {
			moved |= !in->excluded;
			in->excluded = true;
			continue;
		}
		int64_t to = weir_time_add_sat(base, now - in->last_line_at);
		if (to > in->idle_to) {
			in->idle_to = to;
			moved = true;
		}
	}
	if (moved)
		ins->watermark_line_due = true;
	return moved;
}

/* Waits for an input that may be read; returns 0, or what failed. */
static int
wait_and_fill(struct weir_ctx *ctx, struct weir_inputs *ins, struct pollfd *pfd,
    unsigned *which)
{
	nfds_t n = 0;
	for (unsigned i = 0; i < ins->n; i++) {
		struct weir_in *in = &ins->in[i];
		if (in->done || in->paused || in->blocked)
			continue;
		int fd = in->reader ? weir_reader_fd(in->reader) : weir_input_fd(in->in);
		pfd[n] = (struct pollfd){fd, POLLIN, 0};
		which[n++] = i;
	}
	if (n == 0)
		return 0;
	int r = poll(pfd, n, 0);
	if (r == 0) {
		int rc = weir_out_flush(ctx->out);	/* about to block: results go out */
		if (rc != 0)
			return rc;
		/* at most 200 ms (below STARVED_MS, so a starved input is seen in
		 * time): a signal that lands between the loop's check of
		 * weir_interrupted and this poll would not wake it */
		int timeout = 200;
		if (ctx->opts->idle > 0) {
			int64_t now = weir_mono_now(), due = INT64_MAX;
			for (unsigned i = 0; i < ins->n; i++)
				if (!ins->in[i].done && ins->in[i].next_idle + ctx->opts->idle < due)
					due = ins->in[i].next_idle + ctx->opts->idle;
			int64_t ms = due <= now ? 0 : (due - now + 999999) / 1000000;
			if (ms < timeout)
				timeout = (int)ms;
		}
		r = poll(pfd, n, timeout);
	}
	if (r < 0)
		return errno == EINTR ? 0 : weir_fail(ctx, "poll: %s", strerror(errno));
	int64_t now = weir_mono_now();
	if (r == 0) {
		if (ctx->opts->idle > 0 && idle_check(ctx, ins, now)) {
			int rc = advance(ctx, ins);
			return rc ? rc : weir_out_flush(ctx->out);
		}
		for (unsigned i = 0; i < ins->n; i++) {
			struct weir_in *in = &ins->in[i];
			if (!in->paused || !in->pipe)
				continue;
			bool starved = true;	/* every input it may wait for is silent */
			for (unsigned k = 0; k < ins->n; k++) {
				const struct weir_in *o = &ins->in[k];
				if (o != in && !o->done &&
				    now - o->last_line_at < (int64_t)STARVED_MS * 1000000)
					starved = false;
			}
			if (starved && slowest_other(ctx, ins, in) != NULL)
				in->drain = ins->draining = true;	/* read the paused one on */
		}
		return 0;
	}
	for (nfds_t i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		struct weir_in *in = &ins->in[which[i]];
		if (in->reader)
			continue;	/* a batch is ready: next_record takes it */
		long got = weir_input_fill(in->in);
		if (got < 0 && errno != EINTR)
			return weir_read_failed(ctx, weir_input_name(in->in), errno, 0);
		if (got > 0)
			in->last_line_at = in->next_idle = now;	/* silence starts again */
	}
	return 0;
}

/* The reader of input i scans for it: the program's on_scan learns which. */
static void
scan_input(void *arg, struct weir_scanned *rec, struct weir_span *spans)
{
	struct weir_in *in = arg;
	rec->input = (uint8_t)in->index;
	weir_scan_record(in->ctx, rec, spans);
}

/* --- the loop ---------------------------------------------------------------------- */

struct weir_inputs *
weir_inputs_of(const struct weir_ctx *ctx)
{
	return ctx->inputs;
}

static int
open_all(struct weir_ctx *ctx, struct weir_inputs *ins, char **paths)
{
	int64_t now = weir_mono_now();
	if (ctx->opts->state_file) {
		if (weir_restore_source(ctx) < 0)	/* each input skips on its own */
			return -1;
		for (unsigned i = 0; i < ins->n; i++)
			ins->in[i].skipping = ctx->state->have && !ins->in[i].done;
		if (ctx->state->have) {
			int rc = weir_emit_barrier(ctx, ctx->target, false);
			if (rc != 0)
				return rc;
		}
	}
	for (unsigned i = 0; i < ins->n; i++) {
		struct weir_in *in = &ins->in[i];
		in->path = paths[i];
		in->ctx = ctx;
		in->index = i;
		in->last_line_at = in->next_idle = now;
		if ((in->in = weir_open_input(ctx, in->path)) == NULL)
			return weir_fail(ctx, "cannot open '%s': %s", in->path, strerror(errno));
		struct stat st;
		in->pipe = fstat(weir_input_fd(in->in), &st) < 0 || !S_ISREG(st.st_mode);
		if (weir_reads_direct(ctx->opts) || weir_input_is_gzip(in->in))
			continue;
		in->reader = weir_reader_start(weir_input_fd(in->in), weir_plan_size(ctx->plan),
		    scan_input, in);
		if (in->reader == NULL)
			return weir_fail(ctx, "cannot start a reader: %s", strerror(errno));
	}
	return 0;
}

static int
read_all(struct weir_ctx *ctx, struct weir_inputs *ins, struct pollfd *pfd, unsigned *which)
{
	int rc = 0;
	while (rc == 0) {
		if (weir_interrupted()) {
			/* --state: on to the next checkpoint; else (or at a second
			 * signal) the end of the input */
			if (ctx->state == NULL)
				break;
			if (weir_interrupt_count() > 1 || ctx->count.barriers == 0) {
				rc = WEIR_STOPPED;
				break;
			}
			ins->stopping = true;
		}
		if ((rc = weir_housekeeping(ctx)) != 0)
			break;
		for (unsigned i = 0; i < ins->n && rc == 0; i++)
			rc = take_lines(ctx, ins, &ins->in[i]);
		if (rc == 0 && ctx->state)
			rc = align(ctx, ins);	/* an input may have ended */
		if (rc == 0)
			rc = advance(ctx, ins);
		if (rc != 0 || all_done(ins))
			break;
		bool more = ins->unblocked;	/* a line in hand that may now be taken */
		ins->unblocked = false;
		for (unsigned i = 0; i < ins->n; i++)
			more |= ins->in[i].paused && !too_far_ahead(ctx, ins, &ins->in[i]);
		if (!more)
			rc = wait_and_fill(ctx, ins, pfd, which);
	}
	for (unsigned i = 0; i < ins->n && rc == 0; i++)
		if (ins->in[i].skipping)
			rc = weir_fail(ctx, "'%s' ended before checkpoint %llu of state file '%s': is "
			    "this the input the state was saved from?", ins->in[i].path,
			    (unsigned long long)ctx->target.n, ctx->state->path);
	return rc;
}

int
weir_inputs_run(struct weir_ctx *ctx, char **paths, int n)
{
	struct weir_inputs *ins = calloc(1, sizeof *ins);
	struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
	unsigned *which = calloc((size_t)n, sizeof *which);
	int rc;
	if (n > 255) {	/* weir_scanned.input is a byte */
		free(ins);
		free(pfd);
		free(which);
		return weir_fail(ctx, "at most 255 inputs");
	}
	if (ins == NULL || pfd == NULL || which == NULL ||
	    (ins->in = calloc((size_t)n, sizeof *ins->in)) == NULL) {
		free(ins);
		rc = weir_fail(ctx, "out of memory");
	} else {
		ins->n = (unsigned)n;
		for (unsigned i = 0; i < ins->n; i++)
			ins->in[i].max_t = ins->in[i].received = ins->in[i].idle_to = WEIR_TIME_NONE;
		ctx->inputs = ins;
		rc = open_all(ctx, ins, paths);
		if (rc == 0)
			rc = read_all(ctx, ins, pfd, which);
		for (unsigned i = 0; i < ins->n; i++) {
			struct weir_in *in = &ins->in[i];
			if (in->batch)
				weir_reader_give_back(in->reader, in->batch);
			in->batch = NULL;
			weir_reader_stop(in->reader);
			in->reader = NULL;
			weir_input_close(in->in);
			in->in = NULL;
		}
	}
	free(pfd);
	free(which);
	return rc;
}

void
weir_inputs_free(struct weir_inputs *ins)
{
	if (ins == NULL)
		return;
	free(ins->in);
	free(ins);
}
