/*
 * weir-replay: re-emits stored events in event-time order, optionally at
 * their original pace; follows growing files.
 *
 * Several files merge by event time (a k-way merge).  Each file is read in
 * order and assumed ordered within --lag; its frontier is the largest time
 * it has shown minus the lag, below which nothing more can come from it:
 *
 *   file A ──► read ──┐
 *   file B ──► read ──┼──► heap on (time, file, line) ──► out, once below
 *   file C ──► read ──┘      min over files of their frontier
 *
 * The loop always reads from the file with the lowest frontier, so the
 * heap holds about one line per file (plus what --lag lets through).  A
 * file at its end stops holding the merge back; under --follow that
 * happens after --idle of silence (default 1 s), and it rejoins when it
 * grows.  A line below what was already written is late (--late).
 *
 * Read positions: every line a file gives is remembered, in file order,
 * until it has been written (or rejected, filtered, dropped); the offset
 * after the longest such done prefix is what --offsets records, with the
 * file's identity (device, inode, and a hash of its first bytes), so a
 * restart goes on after the last line written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <xxhash.h>

#include "../lib/driver.h"
#include "../lib/heap.h"
#include "../lib/program.h"
#include "../lib/source.h"
#include "../lib/store.h"

#define FINGERPRINT_BYTES 1024

struct pending {
	uint64_t end;		/* offset just after the line */
	bool done;
};

struct source {
	const char *path;
	unsigned index;
	struct weir_input *in;
	bool done;		/* at its end, not followed */
	bool waiting;		/* followed, and at its end right now */
	bool idle;		/* waiting for longer than --idle */
	int64_t quiet_since;	/* monotonic ns */
	int64_t max_t;
	uint64_t seq;		/* lines read */
	/* identity, for --offsets and rotation */
	dev_t dev;
	ino_t ino;
	uint64_t fp, fp_len;
	/* lines read and not yet done, in file order: ring[head..head+n) */
	struct pending *ring;
	size_t head, n, cap;
	uint64_t ring_seq;	/* seq of ring[head] */
	uint64_t committed;	/* offset after the done prefix */
	off_t size;		/* for --progress */
};

struct entry {
	int64_t t;
	unsigned src;
	uint64_t seq;
	struct weir_stored ev;
};

static inline bool
entry_before(const struct entry *a, const struct entry *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->src != b->src)
		return a->src < b->src;
	return a->seq < b->seq;
}

WEIR_HEAP_DEFINE(entries, struct entry, entry_before)

struct replay {
	double speed;
	double rate;
	int64_t from, to;
	bool has_from, has_to;
	bool follow;
	bool progress;
	const char *offsets_file;
	struct weir_source loop;	/* the driver's loop pulls lines from here;
					   its cadence: --checkpoint-every */

	struct source *src;
	unsigned nsrc;
	struct entries_heap heap;
	struct weir_store *store;
	/* the line pulled last, until the next pull: whether the merge holds it */
	struct source *last;
	uint64_t last_seq;
	bool last_held;
	int64_t written_upto;	/* everything below this was written */
	int64_t punct_mark;
	/* pacing */
	int64_t first_t, wall0;
	uint64_t emitted;
	/* progress */
	int64_t next_draw, started;
	bool drew;
	struct saved_source *saved;	/* restored, until the sources open */
	size_t nsaved;
};

/* A source as a checkpoint recorded it. */
struct saved_source {
	char *path;
	uint64_t dev, ino, fp, fp_len, offset, seq;
	int64_t max_t;
};

static void
sleep_until(int64_t deadline)
{
	struct timespec ts = {(time_t)(deadline / WEIR_NS_PER_SEC),
	    (long)(deadline % WEIR_NS_PER_SEC)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	    !weir_interrupted())
		;
}

/* --- read positions ---------------------------------------------------------- */

static int
ring_push(struct source *s, uint64_t end, bool done)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pending *r = malloc(cap * sizeof *r);
		if (r == NULL)
			return -1;
		for (size_t i = 0; i < s->n; i++)
			r[i] = s->ring[(s->head + i) % s->cap];
		free(s->ring);
		s->ring = r;
		s->head = 0;
		s->cap = cap;
	}
	s->ring[(s->head + s->n++) % s->cap] = (struct pending){end, done};
	return 0;
}

/* Line `seq` of s is done: the committed offset moves over the done prefix. */
static void
ring_done(struct source *s, uint64_t seq)
{
	s->ring[(s->head + (seq - s->ring_seq)) % s->cap].done = true;
	while (s->n > 0 && s->ring[s->head].done) {
		s->committed = s->ring[s->head].end;
		s->head = (s->head + 1) % s->cap;
		s->n--;
		s->ring_seq++;
	}
}

static void
identify(struct source *s, int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
	}
	char buf[FINGERPRINT_BYTES];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	s->fp_len = n > 0 ? (uint64_t)n : 0;
	s->fp = XXH3_64bits(buf, s->fp_len);
}

/* Writes every file's committed offset, atomically (temporary file and
 * rename), after the output it stands for was flushed. */
static int
save_offsets(struct weir_ctx *ctx, struct replay *r)
{
	if (r->offsets_file == NULL || r->loop.cadence.every > 0)
		return 0;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", r->offsets_file, (long)getpid());
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return weir_fail(ctx, "cannot write offsets file '%s': %s", tmp, strerror(errno));
	for (unsigned i = 0; i < r->nsrc; i++) {
		struct source *s = &r->src[i];
		if (strcmp(s->path, "-") == 0)
			continue;
		json_t *o = json_pack("{s:s,s:I,s:I,s:s,s:I,s:I}", "path", s->path,
		    "dev", (json_int_t)s->dev, "ino", (json_int_t)s->ino, "fingerprint", "",
		    "fingerprint_bytes", (json_int_t)s->fp_len, "offset", (json_int_t)s->committed);
		char hex[17];
		snprintf(hex, sizeof hex, "%016" PRIx64, s->fp);
		json_object_set_new(o, "fingerprint", json_string(hex));
		char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(f, "%s\n", line ? line : "{}");
		free(line);
		json_decref(o);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
	    rename(tmp, r->offsets_file) != 0) {
		unlink(tmp);
		return weir_fail(ctx, "cannot write offsets file '%s': %s", r->offsets_file,
		    strerror(errno));
	}
	return 0;
}

/* Where s resumes: its recorded offset when the file is the one recorded
 * (the same first bytes), else its start. */
static uint64_t
resume_offset(struct replay *r, const struct source *s)
{
	FILE *f = r->offsets_file ? fopen(r->offsets_file, "re") : NULL;
	if (f == NULL)
		return 0;
	char line[8192];
	uint64_t offset = 0;
	while (fgets(line, sizeof line, f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *path = json_string_value(json_object_get(o, "path"));
		const char *fp = json_string_value(json_object_get(o, "fingerprint"));
		json_int_t fp_len = json_integer_value(json_object_get(o, "fingerprint_bytes"));
		json_int_t off = json_integer_value(json_object_get(o, "offset"));
		char hex[17];
		snprintf(hex, sizeof hex, "%016" PRIx64, s->fp);
		/* the first bytes decide: a file that grew since keeps them; a new
		 * one that took the name (rotation) does not */
		if (path && strcmp(path, s->path) == 0 && fp && off >= 0 &&
		    (uint64_t)fp_len <= s->fp_len) {
			uint64_t h = s->fp;
			if ((uint64_t)fp_len < s->fp_len) {
				char buf[FINGERPRINT_BYTES];
				int fd = open(s->path, O_RDONLY | O_CLOEXEC);
				ssize_t n = fd >= 0 ? pread(fd, buf, (size_t)fp_len, 0) : -1;
				if (fd >= 0)
					close(fd);
				h = n == fp_len ? XXH3_64bits(buf, (size_t)n) : 0;
				snprintf(hex, sizeof hex, "%016" PRIx64, h);
			}
			if (strcmp(hex, fp) == 0)
				offset = (uint64_t)off;
		}
		json_decref(o);
	}
	fclose(f);
	return offset;
}

/* --- checkpoints (--checkpoint-every) ------------------------------------------- */

/* The read position a checkpoint recorded for s, when s is still the file
 * it recorded (the same first bytes); else its start. */
static uint64_t
saved_offset(struct replay *r, struct source *s)
{
	if (s->index >= r->nsaved)
		return 0;
	const struct saved_source *v = &r->saved[s->index];
	if (strcmp(v->path, s->path) != 0 || v->fp_len > s->fp_len)
		return 0;
	uint64_t h = s->fp;
	if (v->fp_len < s->fp_len) {
		char buf[FINGERPRINT_BYTES];
		int fd = open(s->path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? pread(fd, buf, (size_t)v->fp_len, 0) : -1;
		if (fd >= 0)
			close(fd);
		h = n == (ssize_t)v->fp_len ? XXH3_64bits(buf, (size_t)n) : 0;
	}
	if (h != v->fp)
		return 0;	/* another file took the name */
	s->seq = s->ring_seq = v->seq;
	s->max_t = v->max_t;
	return v->offset;
}

/*
 * The source's state at a barrier: each file's identity and the position
 * after the last line taken from it (stdin: none, it cannot be read
 * again), and the lines taken but not yet written (the merge heap).
 */
static void
on_stats(struct weir_ctx *ctx, FILE *f)
{
	fprintf(f, ",\"disordered\":%llu", (unsigned long long)ctx->count.disordered);
}

static int
on_save(struct weir_ctx *ctx, struct weir_buf *b)
{
	struct replay *r = ctx->prog_state;
	int rc = weir_put_u64(b, r->loop.cadence.last) | weir_put_i64(b, r->written_upto) |
	    weir_put_i64(b, r->punct_mark) | weir_put_u64(b, r->nsrc);
	for (unsigned i = 0; i < r->nsrc; i++) {
		const struct source *s = &r->src[i];
		rc |= weir_put_bytes(b, s->path, strlen(s->path)) | weir_put_u64(b, s->dev) |
		    weir_put_u64(b, s->ino) | weir_put_u64(b, s->fp) | weir_put_u64(b, s->fp_len) |
		    weir_put_u64(b, s->in ? weir_input_offset(s->in) : 0) | weir_put_u64(b, s->seq) |
		    weir_put_i64(b, s->max_t);
	}
	rc |= weir_put_u64(b, r->heap.n);
	for (size_t i = 0; i < r->heap.n && rc == 0; i++) {
		const struct entry *e = &r->heap.items[i];
		rc |= weir_put_i64(b, e->t) | weir_put_u64(b, e->src) | weir_put_u64(b, e->seq) |
		    weir_put_bytes(b, e->ev.line, e->ev.len);
	}
	return rc ? weir_fail(ctx, "out of memory writing offsets") : 0;
}

static int
on_restore(struct weir_ctx *ctx, struct weir_get *g)
{
	struct replay *r = ctx->prog_state;
	r->loop.cadence.last = weir_get_u64(g);
	r->written_upto = weir_get_i64(g);
	r->punct_mark = weir_get_i64(g);
	uint64_t n = weir_get_count(g, 64);
	if (g->bad || n != r->nsrc)
		return weir_fail(ctx, "offsets file '%s' is of %llu files, not of the %u given: "
		    "refused", r->offsets_file, (unsigned long long)n, r->nsrc);
	r->saved = calloc(n ? n : 1, sizeof *r->saved);
	if (r->saved == NULL)
		return weir_fail(ctx, "out of memory");
	r->nsaved = n;
	for (uint64_t i = 0; i < n && !g->bad; i++) {
		struct saved_source *v = &r->saved[i];
		size_t len;
		const char *path = weir_get_bytes(g, &len);
		v->path = path ? strndup(path, len) : NULL;
		v->dev = weir_get_u64(g);
		v->ino = weir_get_u64(g);
		v->fp = weir_get_u64(g);
		v->fp_len = weir_get_u64(g);
		v->offset = weir_get_u64(g);
		v->seq = weir_get_u64(g);
		v->max_t = weir_get_i64(g);
		if (v->path == NULL)
			g->bad = true;
	}
	uint64_t held = weir_get_count(g, 32);
	for (uint64_t i = 0; i < held && !g->bad; i++) {
		struct entry e = {weir_get_i64(g), 0, 0, {0}};
		uint64_t src = weir_get_u64(g);
		e.seq = weir_get_u64(g);
		size_t len;
		const char *line = weir_get_bytes(g, &len);
		if (g->bad || src >= r->nsrc)
			return -1;
		e.src = (unsigned)src;
		if (weir_store_put(r->store, line, len, &e.ev) < 0 || entries_push(&r->heap, e) < 0)
			return weir_fail(ctx, "out of memory");
	}
	return g->bad ? -1 : 0;
}

/* --- sources ------------------------------------------------------------------ */

static int
source_open(struct weir_ctx *ctx, struct replay *r, struct source *s, bool resume)
{
	s->in = weir_open_input(ctx, s->path);
	if (s->in == NULL)
		return weir_fail(ctx, "cannot open '%s': %s", s->path, strerror(errno));
	bool followed = r->follow && strcmp(s->path, "-") != 0 && !weir_input_is_gzip(s->in);
	weir_input_set_follow(s->in, followed);
	s->done = s->waiting = s->idle = false;
	s->n = s->head = 0;
	s->ring_seq = s->seq;	/* line numbers go on across a rotation, so equal
				   times keep the order of a batch read of both files */
	s->committed = 0;
	if (strcmp(s->path, "-") == 0)
		return 0;
	identify(s, weir_input_fd(s->in));
	uint64_t at = 0;
	if (resume && r->loop.cadence.every > 0)
		at = saved_offset(r, s);
	else if (resume)
		at = resume_offset(r, s);
	if (at > 0) {
		if (weir_input_seek(s->in, at) < 0)
			return weir_fail(ctx, "cannot resume '%s' at byte %" PRIu64 ": %s", s->path, at,
			    errno == EBADMSG ? "corrupt gzip data" : strerror(errno));
		s->committed = at;
	}
	return 0;
}

/* The lowest time file s may still give (+inf when it cannot hold the
 * merge back). */
static int64_t
frontier(const struct weir_ctx *ctx, const struct source *s)
{
	if (s->done || s->idle)
		return INT64_MAX;
	if (s->max_t == WEIR_TIME_NONE)
		return INT64_MIN;
	return weir_time_add_sat(s->max_t, -ctx->opts->lag);
}

/* A followed file at its end: rotated (the path names another file now)
 * or truncated?  Returns 1 when it was reopened or rewound. */
static int
check_rotation(struct weir_ctx *ctx, struct replay *r, struct source *s)
{
	struct stat st, cur;
	if (stat(s->path, &st) != 0)
		return 0;	/* gone for now: wait for the new one */
	if (st.st_dev != s->dev || st.st_ino != s->ino) {
		/* lines may have reached the old file after our last read and
		 * before the rename: read it to its end first */
		long n = weir_input_fill(s->in);
		if (n != 0)
			return n > 0 ? 1 : weir_read_failed(ctx, weir_input_name(s->in), errno, 0);
		if (s->n > 0)
			return 0;	/* lines of the old file still wait to be written */
		/* on to the new one, from its start */
		weir_input_close(s->in);
		s->in = NULL;
		if (source_open(ctx, r, s, false) < 0)
			return -1;
		return 1;
	}
	/* truncated: shorter than what was read, or (rewritten past that
	 * length meanwhile) its first bytes are not the ones it had */
	bool rewritten = false;
	if (s->fp_len > 0) {
		char buf[FINGERPRINT_BYTES];
		ssize_t n = pread(weir_input_fd(s->in), buf, s->fp_len, 0);
		rewritten = n != (ssize_t)s->fp_len || XXH3_64bits(buf, s->fp_len) != s->fp;
	}
	if (fstat(weir_input_fd(s->in), &cur) == 0 &&
	    ((uint64_t)cur.st_size < weir_input_offset(s->in) || rewritten)) {
		if (weir_input_seek(s->in, 0) < 0)
			return weir_fail(ctx, "cannot rewind '%s': %s", s->path, strerror(errno));
		s->committed = 0;
		identify(s, weir_input_fd(s->in));
		return 1;
	}
	if (s->fp_len < FINGERPRINT_BYTES && (uint64_t)cur.st_size > s->fp_len)
		identify(s, weir_input_fd(s->in));	/* it grew: know it by more of it */
	return 0;
}

/* --- output -------------------------------------------------------------------- */

static void
draw_progress(struct weir_ctx *ctx, struct replay *r, bool last)
{
	int64_t now = weir_mono_now();
	if (!last && now < r->next_draw)
		return;
	r->next_draw = now + 200 * 1000000LL;
	uint64_t done = 0, total = 0;
	for (unsigned i = 0; i < r->nsrc; i++) {
		struct source *s = &r->src[i];
		total += s->size > 0 ? (uint64_t)s->size : 0;
		if (s->in)
			done += weir_input_position(s->in);
	}
	double secs = (double)(now - r->started) / 1e9;
	double pct = total ? 100.0 * (double)done / (double)total : 0;
	if (pct > 100)
		pct = 100;
	char at[WEIR_TIME_BUFSZ] = "-";
	if (r->written_upto != WEIR_TIME_NONE && r->written_upto != INT64_MAX)
		weir_time_format_rfc3339(r->written_upto, at);
	int width = 24, fill = (int)(pct / 100 * width);
	char bar[32];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	double rate = secs > 0 ? (double)done / secs : 0;
	fprintf(ctx->diag, "\r[%s] %5.1f%% %.1f/%.1f MB %llu events %.1f MB/s at %s ETA %.0fs ",
	    bar, pct, (double)done / 1e6, (double)total / 1e6,
	    (unsigned long long)ctx->count.out, rate / 1e6, at,
	    rate > 0 && total > done ? (double)(total - done) / rate : 0.0);
	if (last)
		fputc('\n', ctx->diag);
	fflush(ctx->diag);
	r->drew = true;
}

static int
pace(struct weir_ctx *ctx, struct replay *r, int64_t t)
{
	if ((r->speed <= 0 && r->rate <= 0) || weir_interrupted())
		return 0;	/* interrupted: what is left goes out at once */
	int64_t now = weir_mono_now(), target;
	if (r->emitted == 0) {
		r->first_t = t;
		r->wall0 = now;
	}
	if (r->rate > 0)
		target = r->wall0 + (int64_t)((double)r->emitted * 1e9 / r->rate);
	else
		target = r->wall0 + (int64_t)((double)(t - r->first_t) / r->speed);
	if (target > now) {
		int rc = weir_out_flush(ctx->out);
		if (rc != 0)
			return rc;
		sleep_until(target);
	}
	return 0;
}

/* Writes what no file can undercut any more: every held line below the
 * lowest frontier. */
static int
drain(struct weir_ctx *ctx, struct replay *r)
{
	int64_t low = INT64_MAX;
	for (unsigned i = 0; i < r->nsrc; i++) {
		int64_t f = frontier(ctx, &r->src[i]);
		if (f < low)
			low = f;
	}
	int rc = 0;
	while (rc == 0 && r->heap.n > 0 && r->heap.items[0].t < low) {
		struct entry e = entries_pop(&r->heap);
		rc = pace(ctx, r, e.t);
		if (rc == 0)
			rc = weir_emit(ctx, e.ev.line, e.ev.len);
		weir_store_release(r->store, &e.ev);
		struct source *s = &r->src[e.src];
		if (r->offsets_file && r->loop.cadence.every == 0)
			ring_done(s, e.seq);
		r->emitted++;
		if (e.t > r->written_upto || r->written_upto == WEIR_TIME_NONE)
			r->written_upto = e.t;
	}
	ctx->count.held = r->heap.n;
	if (rc == 0 && low > r->written_upto && low != INT64_MAX && low != INT64_MIN)
		r->written_upto = low;	/* nothing below it can come any more */
	int64_t p = ctx->opts->punctuate;
	if (rc == 0 && p > 0 && low != INT64_MAX && low != INT64_MIN) {
		int64_t mark;
		if (weir_floor_multiple(low, p, &mark) == 0 &&
		    (r->punct_mark == WEIR_TIME_NONE || mark > r->punct_mark)) {
			r->punct_mark = mark;
			rc = weir_emit_watermark(ctx, mark);
		}
	}
	if (rc == 0 && r->progress)
		draw_progress(ctx, r, false);
	return rc;
}

/* An event of file ev->input: held for the merge, or out of [--from, --to),
 * or disordered (older than what was written). */
static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct replay *r = ctx->prog_state;
	struct source *s = &r->src[ev->input];
	if (ev->t > s->max_t || s->max_t == WEIR_TIME_NONE)
		s->max_t = ev->t;
	if ((r->has_from && ev->t < r->from) || (r->has_to && ev->t >= r->to)) {
		ctx->count.dropped++;
		return 0;
	}
	if (r->written_upto != WEIR_TIME_NONE && ev->t < r->written_upto)
		return weir_disordered(ctx, ev);
	struct entry e = {ev->t, s->index, r->last_seq, {0}};
	if (weir_store_put(r->store, ev->line, ev->len, &e.ev) < 0 || entries_push(&r->heap, e) < 0)
		return weir_fail(ctx, "out of memory holding %zu lines", r->heap.n);
	r->last_held = true;
	return 0;
}

/* The line pulled last is done with unless the merge holds it: its read
 * position can be recorded (--offsets). */
static void
settle(struct replay *r)
{
	if (r->last && !r->last_held && r->offsets_file && r->loop.cadence.every == 0)
		ring_done(r->last, r->last_seq);
	r->last = NULL;
}

/* Reads from s until it gives a line (WEIR_PULL_LINE, in *p) or cannot now
 * (0: at its end, or followed and waiting), or what failed. */
static int
read_some(struct weir_ctx *ctx, struct replay *r, struct source *s, struct weir_pulled *p)
{
	const char *line;
	size_t len;
	uint64_t lineno;
	for (;;) {
		if (weir_input_line(s->in, &line, &len, &lineno) == 1) {
			s->waiting = s->idle = false;
			r->last = s;
			r->last_seq = s->seq++;
			r->last_held = false;
			if (r->offsets_file && r->loop.cadence.every == 0 &&
			    ring_push(s, weir_input_offset(s->in), false) < 0)
				return weir_fail(ctx, "out of memory");
			*p = (struct weir_pulled){line, len, s->index, weir_input_name(s->in), lineno,
				weir_input_rejected(s->in), false, 0, NULL};
			return WEIR_PULL_LINE;
		}
		if (weir_input_eof(s->in)) {
			s->done = true;
			return 0;
		}
		long n = weir_input_fill(s->in);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return weir_read_failed(ctx, weir_input_name(s->in), errno, 0);
		}
		if (n == 0 && weir_input_at_end(s->in) && !weir_input_eof(s->in)) {
			/* followed, and nothing more for now */
			if (!s->waiting) {
				s->waiting = true;
				s->quiet_since = weir_mono_now();
			}
			return 0;
		}
	}
}

/* The next line, from the file that holds the merge back the most and can
 * be read now; what the merge can write goes out first. */
static int
pull(struct weir_ctx *ctx, struct weir_pulled *p, bool wait)
{
	struct replay *r = ctx->prog_state;
	settle(r);
	int rc = drain(ctx, r);
	for (;;) {
		if (rc != 0)
			return rc;
		struct source *next = NULL;
		int64_t low = INT64_MAX;
		for (unsigned i = 0; i < r->nsrc; i++) {
			struct source *s = &r->src[i];
			if (s->done || s->waiting)
				continue;
			int64_t f = s->idle ? INT64_MAX - 1 : frontier(ctx, s);
			if (next == NULL || f < low) {
				next = s;
				low = f;
			}
		}
		if (next == NULL)
			break;
		if ((rc = read_some(ctx, r, next, p)) == WEIR_PULL_LINE)
			return rc;
		if (rc == 0)
			rc = drain(ctx, r);
	}
	bool followed = false;
	for (unsigned i = 0; i < r->nsrc; i++)
		followed |= r->src[i].waiting;
	if (!followed)
		return WEIR_PULL_END;	/* every file read to its end */
	if (!wait)
		return WEIR_PULL_NONE;
	/* every followed file is at its end: offsets saved, a wait, then each
	 * is looked at again (it may have grown, or been rotated) */
	if ((rc = save_offsets(ctx, r)) != 0 || (rc = weir_source_wait(ctx, 100)) != 0)
		return rc;
	int64_t idle = ctx->opts->idle > 0 ? ctx->opts->idle : WEIR_NS_PER_SEC;
	int64_t now = weir_mono_now();
	for (unsigned i = 0; i < r->nsrc; i++) {
		struct source *s = &r->src[i];
		if (!s->waiting)
			continue;
		if (!s->idle && now - s->quiet_since >= idle)
			s->idle = true;	/* stops holding the others back */
		if (check_rotation(ctx, r, s) < 0)
			return -1;
		s->waiting = false;
	}
	return WEIR_PULL_NONE;
}

static int
open_sources(struct weir_ctx *ctx, char **inputs, int ninputs)
{
	struct replay *r = ctx->prog_state;
	(void)inputs;
	(void)ninputs;	/* known since setup */
	r->started = weir_mono_now();
	r->progress = r->progress && isatty(fileno(ctx->diag));
	for (unsigned i = 0; i < r->nsrc; i++)
		if (source_open(ctx, r, &r->src[i], true) < 0)
			return -1;
	return 0;
}

/* The end of every file, or a signal without checkpoints: everything held
 * goes out, then the offsets and a last checkpoint stand for all of it. */
static int
on_end(struct weir_ctx *ctx)
{
	struct replay *r = ctx->prog_state;
	settle(r);
	for (unsigned i = 0; i < r->nsrc; i++)
		r->src[i].done = true;
	int rc = drain(ctx, r);
	if (rc == 0)
		rc = weir_out_flush(ctx->out);
	if (rc == 0)
		rc = save_offsets(ctx, r);
	if (rc == 0 && r->loop.cadence.every > 0 && ctx->at.lines > 0)
		rc = weir_source_barrier(ctx, false);
	if (r->drew)
		draw_progress(ctx, r, true);
	return rc;
}

/* --- options ---------------------------------------------------------------------- */

enum { OPT_FOLLOW = 1, OPT_FROM, OPT_OFFSETS, OPT_PROGRESS, OPT_RATE, OPT_SPEED, OPT_TO,
	OPT_CHECKPOINT_EVERY };

static const struct weir_optdef own_options[] = {
	{"checkpoint-every", 0, 1, OPT_CHECKPOINT_EVERY, "DUR"},
	{"follow", 'f', 0, OPT_FOLLOW, NULL},
	{"from", 0, 1, OPT_FROM, "TIME"},
	{"offsets", 0, 1, OPT_OFFSETS, "FILE"},
	{"progress", 0, 0, OPT_PROGRESS, NULL},
	{"rate", 0, 1, OPT_RATE, "N"},
	{"speed", 0, 1, OPT_SPEED, "X"},
	{"to", 0, 1, OPT_TO, "TIME"},
	{NULL, 0, 0, 0, NULL},
};

/* RFC 3339, or epoch seconds (fractions allowed). */
static int
parse_time(const char *name, const char *v, int64_t *t, char *err, size_t errlen)
{
	if (weir_time_parse_rfc3339(v, strlen(v), t) == 0 ||
	    weir_time_parse_epoch(v, strlen(v), WEIR_NS_PER_SEC, t) == 0)
		return 0;
	snprintf(err, errlen, "bad --%s '%s' (expected RFC 3339, e.g. 2026-11-23T10:00:00Z, or "
	    "epoch seconds)", name, v);
	return -1;
}

static int
positive_number(const char *name, const char *v, double *x, char *err, size_t errlen)
{
	char *end;
	*x = strtod(v, &end);
	if (*end == '\0' && end != v && *x > 0 && *x < 1e12)
		return 0;
	snprintf(err, errlen, "bad --%s '%s' (expected a number above 0, e.g. %s)", name, v,
	    strcmp(name, "speed") == 0 ? "10 or 0.5" : "1000");
	return -1;
}

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct replay *r = arg;
	switch (id) {
	case OPT_FOLLOW:
		r->follow = true;
		return 0;
	case OPT_FROM:
		r->has_from = true;
		return parse_time("from", value, &r->from, err, errlen);
	case OPT_TO:
		r->has_to = true;
		return parse_time("to", value, &r->to, err, errlen);
	case OPT_OFFSETS:
		r->offsets_file = value;
		return 0;
	case OPT_PROGRESS:
		r->progress = true;
		return 0;
	case OPT_CHECKPOINT_EVERY:
		if (weir_option_duration("checkpoint-every", value, &r->loop.cadence.every, err, errlen) < 0)
			return -1;
		if (r->loop.cadence.every < 1000000) {
			snprintf(err, errlen, "--checkpoint-every '%s' is too short (at least 1ms)",
			    value);
			return -1;
		}
		return 0;
	case OPT_RATE:
		return positive_number("rate", value, &r->rate, err, errlen);
	case OPT_SPEED:
		return positive_number("speed", value, &r->speed, err, errlen);
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct replay *r = ctx->prog_state;
	if (r->speed > 0 && r->rate > 0) {
		snprintf(err, errlen, "--speed and --rate both set the pace: give one");
		return -1;
	}
	if (r->has_from && r->has_to && r->to <= r->from) {
		snprintf(err, errlen, "--to is not after --from: [--from, --to) would be empty");
		return -1;
	}
	if (r->offsets_file && ctx->opts->csv_in) {
		snprintf(err, errlen, "--offsets needs NDJSON input (a CSV file cannot be resumed "
		    "mid-way: its header is at the start)");
		return -1;
	}
	if (r->loop.cadence.every > 0 && r->offsets_file == NULL) {
		snprintf(err, errlen, "--checkpoint-every needs --offsets FILE (where the source's "
		    "checkpoints go, beside the pipeline's --state files)");
		return -1;
	}
	if (r->loop.cadence.every > 0)
		ctx->opts->state_file = r->offsets_file;	/* a checkpoint file now */
	if (argc == 0 && r->follow) {
		snprintf(err, errlen, "--follow needs files to follow");
		return -1;
	}
	/* the files, and what a checkpoint restores into, before it is read */
	r->nsrc = argc > 0 ? (unsigned)argc : 1;
	r->src = calloc(r->nsrc, sizeof *r->src);
	r->store = weir_store_new();
	if (r->src == NULL || r->store == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < r->nsrc; i++) {
		r->src[i].path = argc > 0 ? argv[i] : "-";
		r->src[i].index = i;
		r->src[i].max_t = WEIR_TIME_NONE;
	}
	r->written_upto = r->punct_mark = WEIR_TIME_NONE;
	r->loop.open = open_sources;
	r->loop.pull = pull;
	ctx->source = &r->loop;
	ctx->interrupt_ends_input = true;	/* Ctrl-C: write what is read, save offsets */
	return 0;
}

static void
teardown(void *state)
{
	struct replay *r = state;
	for (unsigned i = 0; i < r->nsrc; i++) {
		weir_input_close(r->src[i].in);
		free(r->src[i].ring);
	}
	free(r->src);
	for (size_t i = 0; i < r->nsaved; i++)
		free(r->saved[i].path);
	free(r->saved);
	entries_free(&r->heap);
	weir_store_free(r->store);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {.on_event = on_event, .on_end = on_end,
		.on_save = on_save, .on_restore = on_restore, .on_stats = on_stats};
	static struct replay r;
	static const struct weir_program program = {
		.name = "weir-replay",
		.synopsis = "weir-replay [--speed X | --rate N] [--from TIME] [--to TIME] [--follow] "
		    "[--offsets FILE] [--checkpoint-every DUR] [--progress] [--punctuate DUR] [options] "
		    "[FILE ...]",
		.summary = "Re-emits stored events in event-time order, optionally at their "
		    "original pace; follows growing files.",
		.own_help =
		    "      --speed X            pace: event-time gaps divided by X\n"
		    "      --rate N             pace: N events a second\n"
		    "      --from TIME          only events at or after TIME (RFC 3339 or epoch seconds)\n"
		    "      --to TIME            only events before TIME\n"
		    "  -f, --follow             keep reading files as they grow, across rotation\n"
		    "      --offsets FILE       record read positions in FILE; resume from them\n"
		    "      --checkpoint-every DUR  a checkpoint barrier every DUR (offsets kept per\n"
		    "                           checkpoint in the --offsets file)\n"
		    "      --progress           a progress bar on stderr when it is a terminal\n"
		    "      --punctuate DUR      a watermark line at each multiple of DUR\n",
		.features = WEIR_FEATURE_PUNCTUATE,
		.options = own_options,
		.option = own_option,
		.state = &r,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
