/*
 * driver.c: the read-classify-dispatch loop, watermarks and accounting.
 *
 * Watermark of the input (SPEC §5):
 *
 *   watermark = max( largest _watermark line received,
 *                    max event time seen - lag,
 *                    idle advance (wall clock since the last line),
 *                    forced advance (a bound was hit) )
 *
 * It never goes back.  Each time it moves, on_watermark runs; then, with
 * --punctuate, a watermark line goes out at each multiple of DUR passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "driver.h"
#include "expr.h"
#include "inputs.h"
#include "keys.h"
#include "rank.h"
#include "reader.h"
#include "source.h"

static volatile sig_atomic_t got_usr1, got_interrupt, interrupt_signal;

/* How long a wait for input may last before it looks at the signals again. */
#define SIGNAL_POLL_MS 200

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void
on_interrupt(int sig)
{
	interrupt_signal = sig;
	if (got_interrupt < 100)
		got_interrupt++;
}

int
weir_interrupt_count(void)
{
	return got_interrupt;
}

int64_t
weir_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * WEIR_NS_PER_SEC + ts.tv_nsec;
}

int64_t
weir_mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * WEIR_NS_PER_SEC + ts.tv_nsec;
}

int
weir_fail(struct weir_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
	va_end(ap);
	return -1;
}

int
weir_read_failed(struct weir_ctx *ctx, const char *name, int err, uint64_t lineno)
{
	if (err == EFBIG && lineno > 0)
		return weir_fail(ctx, "%s:%llu: line longer than %zu bytes", name,
		    (unsigned long long)lineno, WEIR_MAX_LINE);
	if (err == EFBIG)
		return weir_fail(ctx, "%s: line longer than %zu bytes", name, WEIR_MAX_LINE);
	if (err == EBADMSG)
		return weir_fail(ctx, "'%s': corrupt gzip data", name);
	return weir_fail(ctx, "cannot read '%s': %s", name, strerror(err));
}

static FILE *
open_append(const char *path, char *err, size_t errlen, const char *what)
{
	FILE *f = fopen(path, "ae");
	if (f == NULL)
		snprintf(err, errlen, "cannot open %s file '%s': %s", what, path, strerror(errno));
	return f;
}

static const char *const default_time[] = {"ts", "@timestamp", "timestamp", "time"};

/* The first event's time field and representation: what the output's
 * computed times follow, and what weir-profile reports. */
static void
first_event(struct weir_ctx *ctx, enum weir_repr repr, int slot)
{
	ctx->repr = repr;
	if (ctx->opts->processing_time)
		return;
	for (int i = 0; i < ctx->ntime_slots; i++)
		if (ctx->time_slots[i] == slot)
			ctx->time_field_seen = ctx->opts->time_field ? ctx->opts->time_field :
			    default_time[i];
}

struct weir_ctx *
weir_ctx_new(const char *prog, struct weir_opts *opts, const struct weir_hooks *hooks,
    void *prog_state, char *err, size_t errlen)
{
	struct weir_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctx->prog = prog;
	ctx->opts = opts;
	ctx->hooks = hooks;
	ctx->prog_state = prog_state;
	ctx->diag = stderr;
	ctx->watermark = ctx->max_event = ctx->received = WEIR_TIME_NONE;
	ctx->forced_to = ctx->idle_to = ctx->last_emitted = ctx->punct_mark = WEIR_TIME_NONE;
	ctx->input_time_slot[0] = ctx->input_time_slot[1] = -1;
	ctx->plan = weir_plan_new();
	ctx->out = weir_output_new(1, opts->csv_out, opts->unbuffered);
	if (ctx->out && opts->csvlite)
		weir_output_set_csvlite(ctx->out);
	if (ctx->plan == NULL || ctx->out == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (opts->time_field) {
		snprintf(ctx->missing_time, sizeof ctx->missing_time, "no event time field '%s'",
		    opts->time_field);
		ctx->time_slots[0] = weir_plan_add(ctx->plan, opts->time_field);
		ctx->ntime_slots = 1;
		if (ctx->time_slots[0] < 0) {
			snprintf(err, errlen, "bad field path '%s' for --time", opts->time_field);
			goto fail;
		}
	} else {
		for (int i = 0; i < 4; i++)
			ctx->time_slots[i] = weir_plan_add(ctx->plan, default_time[i]);
		ctx->ntime_slots = 4;
	}
	ctx->watermark_slot = weir_plan_add(ctx->plan, "_watermark");
	ctx->checkpoint_slot = weir_plan_add(ctx->plan, "_checkpoint");
	if (opts->errors_file &&
	    (ctx->errors = open_append(opts->errors_file, err, errlen, "errors")) == NULL)
		goto fail;
	if (opts->late == WEIR_LATE_FILE &&
	    (ctx->late = open_append(opts->late_file, err, errlen, "late")) == NULL)
		goto fail;
	return ctx;
fail:
	weir_ctx_free(ctx);
	return NULL;
}

void
weir_ctx_free(struct weir_ctx *ctx)
{
	if (ctx == NULL)
		return;
	weir_plan_free(ctx->plan);
	weir_output_free(ctx->out);
	if (ctx->state) {
		weir_state_free(ctx->state);
		free(ctx->state);
	}
	free(ctx->spans);
	weir_inputs_free(ctx->inputs);
	weir_expr_free(ctx->where);
	weir_expr_free(ctx->having);
	weir_plan_free(ctx->having_plan);
	free(ctx->having_spans);
	weir_rank_free(ctx->rank);
	weir_advice_free(&ctx->advice);
	free(ctx->lateness);
	if (ctx->errors)
		fclose(ctx->errors);
	if (ctx->late)
		fclose(ctx->late);
	free(ctx);
}

enum weir_repr
weir_output_repr(const struct weir_ctx *ctx)
{
	if (ctx->opts->time_output != WEIR_REPR_NONE)
		return ctx->opts->time_output;
	return ctx->repr != WEIR_REPR_NONE ? ctx->repr : WEIR_REPR_RFC3339;
}

/* --- output helpers -------------------------------------------------------- */

int
weir_emit(struct weir_ctx *ctx, const char *line, size_t len)
{
	ctx->count.out++;
	ctx->count.rows++;
	return weir_out_line(ctx->out, line, len);
}

/* --having over a row: true when it goes out. */
static bool
having_passes(struct weir_ctx *ctx, const char *line, size_t len)
{
	const char *why;
	int r = weir_scan(ctx->having_plan, line, len, ctx->having_spans, &why);
	if (r == 0)
		r = weir_expr_test(ctx->having, ctx->having_spans, WEIR_TIME_NONE, &why);
	if (r < 0)
		fprintf(ctx->diag, "%s: --having '%s': %s: the row is not written: %.*s\n",
		    ctx->prog, weir_expr_text(ctx->having), why, (int)(len > 200 ? 200 : len), line);
	return r == 1;
}

static int
emit_ranked(void *arg, const char *line, size_t len)
{
	struct weir_ctx *ctx = arg;
	ctx->count.rows++;
	return weir_out_line(ctx->out, line, len);
}

int
weir_emit_row(struct weir_ctx *ctx, const char *line, size_t len)
{
	if (ctx->having && !having_passes(ctx, line, len)) {
		ctx->count.withheld++;
		return 0;
	}
	if (ctx->rank) {	/* held until its window's rows are all in */
		int rc = weir_rank_add(ctx->rank, line, len, emit_ranked, ctx, &ctx->count.withheld);
		return rc == -1 ? weir_fail(ctx, "out of memory ranking rows") : rc;
	}
	ctx->count.rows++;
	return weir_out_line(ctx->out, line, len);
}

/* --top: the rows of the window that fired last go out, ranked. */
static int
rows_ranked(struct weir_ctx *ctx)
{
	if (ctx->rank == NULL)
		return 0;
	int rc = weir_rank_flush(ctx->rank, emit_ranked, ctx, &ctx->count.withheld);
	return rc == -1 ? weir_fail(ctx, "out of memory ranking rows") : rc;
}

int
weir_top(struct weir_ctx *ctx, const struct weir_keys *by, const char *const *columns,
    int ncolumns, char *err, size_t errlen)
{
	const struct weir_opts *o = ctx->opts;
	if (o->top == 0) {
		if (o->rank_by || o->rank_desc) {
			snprintf(err, errlen, "--rank-by and --desc go with --top N");
			return -1;
		}
		return 0;
	}
	int i = 0;
	while (i < ncolumns && (o->rank_by == NULL || strcmp(columns[i], o->rank_by) != 0))
		i++;
	if (i == ncolumns) {
		snprintf(err, errlen, "--top needs --rank-by NAME, a member each row has: %s%s%s",
		    ncolumns ? columns[0] : "", ncolumns > 1 ? ", " : "", ncolumns > 1 ? columns[1] : "");
		return -1;
	}
	char names[WEIR_MAX_KEY_FIELDS][256];
	const char *list[WEIR_MAX_KEY_FIELDS];
	for (int k = 0; k < by->n; k++) {
		struct weir_span q = {by->names[k], by->name_len[k]};
		if (weir_span_unescape(&q, names[k], sizeof names[k]) < 0)
			names[k][0] = '\0';
		list[k] = names[k];
	}
	ctx->rank = weir_rank_new(o->rank_by, o->top, o->rank_desc, list, by->n, err, errlen);
	return ctx->rank ? 0 : -1;
}

int
weir_having(struct weir_ctx *ctx, const char *text, char *err, size_t errlen)
{
	char msg[1024];
	if ((ctx->having_plan = weir_plan_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((ctx->having = weir_expr_compile(text, ctx->having_plan, msg, sizeof msg)) == NULL) {
		snprintf(err, errlen, "bad --having: %s", msg);
		return -1;
	}
	size_t n = weir_plan_size(ctx->having_plan);
	if ((ctx->having_spans = calloc(n ? n : 1, sizeof *ctx->having_spans)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
weir_emit_insert(struct weir_ctx *ctx, const char *line, size_t len,
    const char *members, size_t mlen)
{
	ctx->count.rows++;
	return weir_out_line_insert(ctx->out, line, len, members, mlen);
}

static int
write_watermark_line(struct weir_ctx *ctx, int64_t t)
{
	char buf[WEIR_TIME_BUFSZ + 32];
	memcpy(buf, "{\"_watermark\":", 14);
	size_t n = 14 + weir_time_format_json(t, WEIR_REPR_RFC3339, buf + 14);
	buf[n++] = '}';
	if (t > ctx->last_emitted)
		ctx->last_emitted = t;
	ctx->count.watermarks_out++;
	return weir_out_protocol(ctx->out, buf, n);
}

int
weir_emit_watermark(struct weir_ctx *ctx, int64_t t)
{
	if (t == WEIR_TIME_NONE || t <= ctx->last_emitted)
		return 0;
	return write_watermark_line(ctx, t);
}

/* The lag that would have kept events `behind` ns late, as text. */
static void
lag_that_keeps(const struct weir_ctx *ctx, int64_t behind, char *buf, size_t size)
{
	weir_duration_format_up(weir_time_add_sat(ctx->opts->lag, behind), buf, size);
}

/* How far behind the watermark w that made it late a late event was: for
 * the notice at exit, and, once more than 5% of a thousand or more events
 * were late, a notice now, so that a live pipeline hears of it before its
 * end. */
static void
note_lateness(struct weir_ctx *ctx, const struct weir_event *ev, int64_t w)
{
	if (w == WEIR_TIME_NONE || ev->t >= w)
		return;
	if (ctx->lateness == NULL && (ctx->lateness = calloc(1, sizeof *ctx->lateness)) == NULL)
		return;
	weir_lateness_add(ctx->lateness, w - ev->t);
	if (ctx->late_told || ctx->count.late < 1000 || ctx->count.late * 20 < ctx->count.in ||
	    ctx->opts->late != WEIR_LATE_DROP)
		return;
	ctx->late_told = true;
	char lag[32];
	lag_that_keeps(ctx, ctx->lateness->max, lag, sizeof lag);
	fprintf(ctx->diag, "%s: %llu of %llu events so far were late and dropped: --lag %s "
	    "would have kept them (a total comes at exit)\n", ctx->prog,
	    (unsigned long long)ctx->count.late, (unsigned long long)ctx->count.in, lag);
}

int
weir_late(struct weir_ctx *ctx, const struct weir_event *ev)
{
	return weir_late_behind(ctx, ev, ctx->watermark);
}

int
weir_late_behind(struct weir_ctx *ctx, const struct weir_event *ev, int64_t w)
{
	ctx->count.late++;
	note_lateness(ctx, ev, w);
	switch (ctx->opts->late) {
	case WEIR_LATE_PASS:
		return weir_out_line(ctx->out, ev->line, ev->len);
	case WEIR_LATE_FILE:
		if (fwrite(ev->line, 1, ev->len, ctx->late) != ev->len ||
		    putc('\n', ctx->late) == EOF)
			return weir_fail(ctx, "cannot write late file '%s': %s",
			    ctx->opts->late_file, strerror(errno));
		return 0;
	case WEIR_LATE_DROP:
	default:
		return 0;
	}
}

int
weir_disordered(struct weir_ctx *ctx, const struct weir_event *ev)
{
	if (ctx->opts->late_given)
		return weir_late(ctx, ev);
	ctx->count.disordered++;
	return weir_emit(ctx, ev->line, ev->len);
}

/* --- watermark ------------------------------------------------------------- */

static int
advance(struct weir_ctx *ctx)
{
	int64_t w = ctx->received;
	if (ctx->max_event != WEIR_TIME_NONE) {
		int64_t bounded = weir_time_add_sat(ctx->max_event, -ctx->opts->lag);
		if (bounded > w)
			w = bounded;
	}
	if (ctx->idle_to > w)
		w = ctx->idle_to;
	if (ctx->forced_to > w)
		w = ctx->forced_to;
	if (w <= ctx->watermark)
		return 0;
	ctx->watermark = w;
	if (ctx->hooks->on_watermark) {
		int rc = ctx->hooks->on_watermark(ctx, w);
		if (rc == 0)
			rc = rows_ranked(ctx);
		if (rc != 0)
			return rc;
	}
	int64_t p = ctx->opts->punctuate;
	if (p > 0) {
		int64_t mark;
		if (weir_floor_multiple(w, p, &mark) < 0)
			return 0;	/* no multiple of DUR this early in time */
		if (ctx->punct_mark == WEIR_TIME_NONE || mark > ctx->punct_mark) {
			ctx->punct_mark = mark;
			return weir_emit_watermark(ctx, mark);
		}
	}
	return 0;
}

int
weir_force_watermark(struct weir_ctx *ctx, int64_t t)
{
	if (t > ctx->forced_to)
		ctx->forced_to = t;
	return advance(ctx);
}

/* --- accounting ------------------------------------------------------------ */

static void
format_watermark(const struct weir_ctx *ctx, char *buf)
{
	if (ctx->watermark == WEIR_TIME_NONE)
		strcpy(buf, "null");
	else
		weir_time_format_json(ctx->watermark, WEIR_REPR_RFC3339, buf);
}

void
weir_print_stats(struct weir_ctx *ctx)
{
	char wm[WEIR_TIME_BUFSZ];
	const struct weir_counters *c = &ctx->count;
	format_watermark(ctx, wm);
	fprintf(ctx->diag,
	    "{\"program\":\"%s\",\"in\":%llu,\"out\":%llu,\"late\":%llu,\"rejected\":%llu,"
	    "\"dropped\":%llu,\"filtered\":%llu,\"held\":%llu,\"blank\":%llu,\"rows\":%llu,"
	    "\"forced\":%llu,"
	    "\"watermarks_in\":%llu,\"watermarks_out\":%llu,\"barriers\":%llu,\"state_bytes\":%llu,"
	    "\"watermark\":%s",
	    ctx->prog, (unsigned long long)c->in, (unsigned long long)c->out,
	    (unsigned long long)c->late, (unsigned long long)c->rejected,
	    (unsigned long long)c->dropped, (unsigned long long)c->filtered,
	    (unsigned long long)c->held, (unsigned long long)c->blank,
	    (unsigned long long)c->rows, (unsigned long long)c->forced, (unsigned long long)c->watermarks_in,
	    (unsigned long long)c->watermarks_out, (unsigned long long)c->barriers,
	    (unsigned long long)c->state_bytes, wm);
	if (ctx->state) {
		const struct weir_state *st = ctx->state;
		fprintf(ctx->diag, ",\"checkpoint\":");
		if (st->have)
			fprintf(ctx->diag, "%llu", (unsigned long long)st->cur.n);
		else
			fprintf(ctx->diag, "null");
		fprintf(ctx->diag, ",\"checkpoint_lines\":%llu,\"checkpoint_bytes\":%llu,"
		    "\"checkpoint_ms\":%.3f,\"checkpoints\":%llu,\"skipped\":%llu",
		    (unsigned long long)st->cur.lines, (unsigned long long)st->last_bytes,
		    (double)st->last_ns / 1e6, (unsigned long long)st->saves,
		    (unsigned long long)c->skipped);
	}
	if (ctx->having || ctx->rank)
		fprintf(ctx->diag, ",\"withheld\":%llu", (unsigned long long)c->withheld);
	if (ctx->hooks->on_stats)
		ctx->hooks->on_stats(ctx, ctx->diag);
	fputs("}\n", ctx->diag);
	fflush(ctx->diag);
}

static int
write_metrics(struct weir_ctx *ctx)
{
	static const char *const names[] = {
		"lines_in", "lines_out", "rows", "late", "rejected", "dropped", "forced",
		"watermarks_in", "watermarks_out", "barriers", "blank_lines", "filtered",
	};
	const struct weir_counters *c = &ctx->count;
	const uint64_t values[] = {
		c->in, c->out, c->rows, c->late, c->rejected, c->dropped, c->forced,
		c->watermarks_in, c->watermarks_out, c->barriers, c->blank, c->filtered,
	};
	const char *path = ctx->opts->metrics_file;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return weir_fail(ctx, "cannot write metrics file '%s': %s", tmp, strerror(errno));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		fprintf(f, "# TYPE weir_%s_total counter\nweir_%s_total{program=\"%s\"} %llu\n",
		    names[i], names[i], ctx->prog, (unsigned long long)values[i]);
	fprintf(f, "# TYPE weir_held gauge\nweir_held{program=\"%s\"} %llu\n", ctx->prog,
	    (unsigned long long)c->held);
	fprintf(f, "# TYPE weir_state_bytes gauge\nweir_state_bytes{program=\"%s\"} %llu\n",
	    ctx->prog, (unsigned long long)c->state_bytes);
	if (ctx->state && ctx->state->have)
		fprintf(f, "# TYPE weir_checkpoint gauge\nweir_checkpoint{program=\"%s\"} %llu\n"
		    "# TYPE weir_checkpoint_bytes gauge\nweir_checkpoint_bytes{program=\"%s\"} %llu\n"
		    "# TYPE weir_checkpoint_seconds gauge\n"
		    "weir_checkpoint_seconds{program=\"%s\"} %.6f\n"
		    "# TYPE weir_checkpoints_total counter\n"
		    "weir_checkpoints_total{program=\"%s\"} %llu\n",
		    ctx->prog, (unsigned long long)ctx->state->cur.n, ctx->prog,
		    (unsigned long long)ctx->state->last_bytes, ctx->prog,
		    (double)ctx->state->last_ns / 1e9, ctx->prog,
		    (unsigned long long)ctx->state->saves);
	if (ctx->watermark != WEIR_TIME_NONE)
		fprintf(f, "# TYPE weir_watermark_seconds gauge\n"
		    "weir_watermark_seconds{program=\"%s\"} %.9f\n", ctx->prog,
		    (double)ctx->watermark / 1e9);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return weir_fail(ctx, "cannot write metrics file '%s': %s", path, strerror(errno));
	}
	return 0;
}

/* --- lines ----------------------------------------------------------------- */

struct line_ref {
	const char *name;
	uint64_t lineno;
};

/* A line that is not an event: warn, keep, or fail as --on-error says. */
static int
reject_aside(struct weir_ctx *ctx, const char *line, size_t len, const struct line_ref *ref,
    const char *why)
{
	if (ctx->errors && (fwrite(line, 1, len, ctx->errors) != len ||
	    putc('\n', ctx->errors) == EOF))
		return weir_fail(ctx, "cannot write errors file '%s': %s",
		    ctx->opts->errors_file, strerror(errno));
	switch (ctx->opts->on_error) {
	case WEIR_ON_ERROR_WARN:
		switch (weir_advice_warn(&ctx->advice, why)) {
		case 2:
			fprintf(ctx->diag, "%s: %s:%llu: %s\n%s: more lines rejected for this are "
			    "counted, not shown (the total comes at exit; --errors FILE keeps "
			    "them)\n", ctx->prog, ref->name, (unsigned long long)ref->lineno, why,
			    ctx->prog);
			break;
		case 1:
			fprintf(ctx->diag, "%s: %s:%llu: %s\n", ctx->prog, ref->name,
			    (unsigned long long)ref->lineno, why);
			break;
		}
		return 0;
	case WEIR_ON_ERROR_FAIL:
		weir_fail(ctx, "%s:%llu: %s", ref->name, (unsigned long long)ref->lineno, why);
		return WEIR_EXIT_DATA;
	default:
		return 0;
	}
}

static int
reject(struct weir_ctx *ctx, const char *line, size_t len, const struct line_ref *ref,
    const char *why)
{
	ctx->count.rejected++;
	return reject_aside(ctx, line, len, ref, weir_advice_explain(line, len, why));
}

int
weir_reject_table_line(struct weir_ctx *ctx, const char *line, size_t len,
    const char *input_name, uint64_t lineno, const char *why)
{
	struct line_ref ref = {input_name, lineno};
	return reject_aside(ctx, line, len, &ref, why);
}

bool
weir_where(struct weir_ctx *ctx, const struct weir_event *ev, const char *input_name, int *rc)
{
	if (ctx->where == NULL)
		return true;
	const char *why;
	int r = weir_expr_test(ctx->where, ev->fields, ev->t, &why);
	if (r == 1)
		return true;
	if (r == 0) {
		ctx->count.filtered++;
		*rc = 0;
		return false;
	}
	char msg[400];
	const char *text = weir_expr_text(ctx->where);
	snprintf(msg, sizeof msg, "--where '%.*s%s': %s", 200, text, strlen(text) > 200 ? "..." : "",
	    why);
	*rc = weir_reject_line(ctx, ev->line, ev->len, input_name ? input_name : ctx->input_name,
	    ev->lineno, msg);
	return false;
}

static void
watch_where_field(void *arg, const char *path, int slot)
{
	struct weir_ctx *ctx = arg;
	char what[128];
	/* a name PostgreSQL's parser did not fold to lower case was in double
	 * quotes, which jq's habit uses for strings */
	bool quoted = strpbrk(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZ -/:") != NULL;
	snprintf(what, sizeof what, "--where %s%s", path,
	    quoted ? " (a string is in single quotes: 'text'; double quotes name a field)" : "");
	weir_watch_field(ctx, what, slot, path);
}

int
weir_where_compile(struct weir_ctx *ctx, char *err, size_t errlen)
{
	if (ctx->opts->where == NULL)
		return 0;
	char msg[1024];
	ctx->where = weir_expr_compile(ctx->opts->where, ctx->plan, msg, sizeof msg);
	if (ctx->where == NULL) {
		snprintf(err, errlen, "bad --where: %s", msg);
		return -1;
	}
	weir_expr_fields(ctx->where, watch_where_field, ctx);
	return 0;
}

int
weir_reject(struct weir_ctx *ctx, const struct weir_event *ev, const char *why)
{
	struct line_ref ref = {ctx->input_name, ev->lineno};
	return reject(ctx, ev->line, ev->len, &ref, why);
}

/* --- checkpoints (--state) ---------------------------------------------------- */

int
weir_barrier_parse(const char *line, size_t len, struct weir_ckpt *id, bool *stop)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const json_t *n = json_object_get(o, "_checkpoint"), *k = json_object_get(o, "lines");
	const json_t *s = json_object_get(o, "stop");
	int rc = -1;
	*stop = json_is_true(s);
	if (json_is_integer(n) && json_integer_value(n) >= 0 &&
	    (k == NULL || (json_is_integer(k) && json_integer_value(k) >= 0)) &&
	    (s == NULL || json_is_boolean(s))) {
		id->n = (uint64_t)json_integer_value(n);
		id->lines = k ? (uint64_t)json_integer_value(k) : 0;
		id->counted = false;	/* received, not counted here */
		rc = 0;
	}
	json_decref(o);
	return rc;
}

int
weir_emit_barrier(struct weir_ctx *ctx, struct weir_ckpt id, bool stop)
{
	char buf[96];
	int n = snprintf(buf, sizeof buf, "{\"_checkpoint\":%llu", (unsigned long long)id.n);
	if (id.lines)
		n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"lines\":%llu",
		    (unsigned long long)id.lines);
	n += snprintf(buf + n, sizeof buf - (size_t)n, "%s}", stop ? ",\"stop\":true" : "");
	int rc = weir_out_protocol(ctx->out, buf, (size_t)n);
	return rc ? rc : weir_out_flush(ctx->out);
}

/* The driver's own part: where event time stands, and the counters (so
 * that --stats adds up across a restart). */
static int
save_driver(struct weir_ctx *ctx, struct weir_buf *b)
{
	const struct weir_counters *c = &ctx->count;
	const int64_t times[] = {ctx->watermark, ctx->max_event, ctx->received, ctx->forced_to,
		ctx->idle_to, ctx->last_emitted, ctx->punct_mark, (int64_t)ctx->repr};
	const uint64_t counts[] = {c->in, c->out, c->rows, c->late, c->rejected, c->dropped,
		c->forced, c->watermarks_in, c->watermarks_out, c->barriers, c->filtered};
	int rc = weir_put_u64(b, sizeof times / sizeof times[0]);
	for (size_t i = 0; rc == 0 && i < sizeof times / sizeof times[0]; i++)
		rc = weir_put_i64(b, times[i]);
	if (rc == 0)
		rc = weir_put_u64(b, sizeof counts / sizeof counts[0]);
	for (size_t i = 0; rc == 0 && i < sizeof counts / sizeof counts[0]; i++)
		rc = weir_put_u64(b, counts[i]);
	return rc;
}

static int
restore_driver(struct weir_ctx *ctx, struct weir_get *g)
{
	struct weir_counters *c = &ctx->count;
	int64_t *times[] = {&ctx->watermark, &ctx->max_event, &ctx->received, &ctx->forced_to,
		&ctx->idle_to, &ctx->last_emitted, &ctx->punct_mark};
	uint64_t *counts[] = {&c->in, &c->out, &c->rows, &c->late, &c->rejected, &c->dropped,
		&c->forced, &c->watermarks_in, &c->watermarks_out, &c->barriers, &c->filtered};
	if (weir_get_u64(g) != 8)
		g->bad = true;
	for (size_t i = 0; i < 7; i++)
		*times[i] = weir_get_i64(g);
	int64_t repr = weir_get_i64(g);
	if (repr < WEIR_REPR_NONE || repr > WEIR_REPR_EPOCH_NS)
		g->bad = true;
	else
		ctx->repr = (enum weir_repr)repr;
	uint64_t ncounts = weir_get_u64(g);	/* 10: a checkpoint from before --where */
	if (ncounts != sizeof counts / sizeof counts[0] && ncounts != 10)
		g->bad = true;
	for (size_t i = 0; i < ncounts && i < sizeof counts / sizeof counts[0]; i++)
		*counts[i] = weir_get_u64(g);
	return g->bad ? -1 : 0;
}

/* Writes the whole state as checkpoint id (output flushed first: a row the
 * checkpoint counts as written has left the process). */
int
weir_checkpoint(struct weir_ctx *ctx, struct weir_ckpt id)
{
	int rc = weir_out_flush(ctx->out);
	if (rc != 0)
		return rc;
	/* the lines a checkpoint counts as handled are in their files first */
	if ((ctx->late && fflush(ctx->late) != 0) || (ctx->errors && fflush(ctx->errors) != 0))
		return weir_fail(ctx, "writing the --late or --errors file: %s", strerror(errno));
	struct weir_buf b = {0};
	if (save_driver(ctx, &b) < 0 || (ctx->hooks->on_save &&
	    (rc = ctx->hooks->on_save(ctx, &b)) != 0)) {
		weir_buf_free(&b);
		return rc ? rc : weir_fail(ctx, "out of memory writing state");
	}
	char err[sizeof ctx->error];
	rc = weir_state_save(ctx->state, id, b.p, b.n, err, sizeof err);
	weir_buf_free(&b);
	if (ctx->state->warning[0]) {
		fprintf(ctx->diag, "%s: %s\n", ctx->prog, ctx->state->warning);
		ctx->state->warning[0] = '\0';
	}
	if (rc < 0)
		return weir_fail(ctx, "%s", err);
	ctx->at = id;
	return 0;
}

int
weir_checkpoint_barrier(struct weir_ctx *ctx, struct weir_ckpt id, bool stop)
{
	int rc = weir_checkpoint(ctx, id);
	if (rc == 0)
		rc = weir_emit_barrier(ctx, id, stop);
	if (rc == 0 && stop)
		rc = WEIR_STOPPED;
	return rc;
}

/* At start: the checkpoint the pipeline completed, and from where the
 * input must be read again. */
int
weir_restore(struct weir_ctx *ctx)
{
	struct weir_state *st = calloc(1, sizeof *st);
	char err[sizeof ctx->error];
	if (st == NULL)
		return weir_fail(ctx, "out of memory");
	ctx->state = st;
	if (weir_state_init(st, ctx->opts->state_file, ctx->prog,
	    ctx->fingerprint ? ctx->fingerprint : "", err, sizeof err) < 0)
		return weir_fail(ctx, "%s", err);
	struct weir_ckpt id;
	char *payload;
	size_t len;
	int got = weir_state_load(st, &id, &payload, &len, err, sizeof err);
	if (got < 0)
		return weir_fail(ctx, "%s", err);
	if (got == 0)
		return 0;
	struct weir_get g = {payload, len, 0, false};
	int rc = restore_driver(ctx, &g);
	if (rc == 0 && ctx->hooks->on_restore)
		rc = ctx->hooks->on_restore(ctx, &g);
	if (rc == 0 && (g.bad || g.at != g.n))
		rc = -1;
	free(payload);
	if (rc != 0) {
		if (ctx->error[0] == '\0')
			weir_fail(ctx, "state file '%s' does not hold what %s keeps (corrupt?): "
			    "refused", st->path, ctx->prog);
		return -1;
	}
	ctx->at = ctx->target = id;
	ctx->skipping = id.n > 0 || id.lines > 0;
	ctx->target_barrier_seen = id.n == 0;
	ctx->skip_left = id.lines;
	return 0;
}

int
weir_restore_source(struct weir_ctx *ctx)
{
	if (weir_restore(ctx) < 0)
		return -1;
	ctx->skipping = false;
	return 0;
}

int
weir_cadence_start(struct weir_ctx *ctx, struct weir_cadence *c)
{
	if (weir_restore_source(ctx) < 0)
		return -1;
	c->started = weir_mono_now();
	c->next = c->started + c->every;
	return 0;
}

bool
weir_cadence_due(struct weir_ctx *ctx, struct weir_cadence *c)
{
	if (c->every == 0)
		return false;	/* (no clock read per line without barriers) */
	int64_t now = weir_mono_now();
	if (now < c->next)
		return false;
	if (!c->written && now - c->started < WEIR_ENROL_GRACE_NS && weir_state_alone(ctx->state)) {
		c->next = now + 10 * 1000 * 1000;	/* look again soon */
		return false;
	}
	c->written = true;
	return true;
}

struct weir_ckpt
weir_cadence_next(struct weir_cadence *c)
{
	c->next = weir_mono_now() + c->every;
	return (struct weir_ckpt){++c->last, 0, false};
}

void
weir_line_in(struct weir_ctx *ctx)
{
	ctx->count.in++;
	ctx->at.lines++;
}

/* Where the checkpoint was taken: the input from here on is new. */
static int
resume(struct weir_ctx *ctx)
{
	ctx->skipping = false;
	ctx->at = ctx->target;
	return weir_emit_barrier(ctx, ctx->target, false);
}

/*
 * Skipping after a restore: input before the checkpoint was counted then.
 * A checkpoint taken at a barrier resumes at that barrier; one taken
 * between barriers by this program resumes after barrier N and the lines
 * it had read past it; one it received (a stop barrier from upstream)
 * resumes at the same barrier, which upstream writes when it resumes.
 */
static int
skip_record(struct weir_ctx *ctx, const char *line, size_t len, bool barrier)
{
	if (!barrier) {
		ctx->count.skipped++;
		if (!ctx->target.counted || !ctx->target_barrier_seen || --ctx->skip_left > 0)
			return 0;
		return resume(ctx);
	}
	struct weir_ckpt id;
	bool stop;
	if (weir_barrier_parse(line, len, &id, &stop) < 0)
		return 0;
	if (weir_ckpt_cmp(id, ctx->target) == 0)
		return resume(ctx);
	if (ctx->target.counted && id.n == ctx->target.n && id.lines == 0) {
		ctx->target_barrier_seen = true;	/* then the lines past it */
		ctx->skip_left = ctx->target.lines;
		return 0;
	}
	if (id.n > ctx->target.n)
		return weir_fail(ctx, "the input passed checkpoint %llu of state file '%s' without "
		    "it (it came to barrier %llu): is this the input the state was saved from?",
		    (unsigned long long)ctx->target.n, ctx->state->path, (unsigned long long)id.n);
	return 0;	/* an older one */
}

/* A signal under --state: stop here, with the state as of the last line
 * read, and say so downstream. */
static int
stop_now(struct weir_ctx *ctx)
{
	if (ctx->skipping)
		return WEIR_STOPPED;	/* the state file is as it was */
	ctx->at.counted = true;
	return weir_checkpoint_barrier(ctx, ctx->at, true);
}

/* Between lines: a SIGINT or SIGTERM under --state.  A program reading a
 * pipe goes on to the next barrier or the end of its input, whichever
 * comes first (the program upstream is stopping too, and writes a stop
 * barrier or just ends), so the whole pipeline stops at one point; on a
 * file or a terminal, or at a second signal, it stops here. */
static int
take_interrupt(struct weir_ctx *ctx)
{
	if (ctx->interrupts == got_interrupt)
		return 0;
	ctx->interrupts = got_interrupt;
	if (ctx->input_is_pipe && ctx->interrupts == 1 && !ctx->skipping) {
		ctx->stop_at_barrier = true;
		return 0;
	}
	return stop_now(ctx);
}

static int
protocol_barrier(struct weir_ctx *ctx, const char *line, size_t len)
{
	ctx->count.barriers++;
	if (ctx->report_only)
		return 0;
	if (ctx->state == NULL) {
		if (ctx->hooks->on_barrier)
			return ctx->hooks->on_barrier(ctx, line, len);
		int rc = weir_out_protocol(ctx->out, line, len);
		return rc ? rc : weir_out_flush(ctx->out);
	}
	struct weir_ckpt id;
	bool stop;
	if (weir_barrier_parse(line, len, &id, &stop) < 0)
		return weir_fail(ctx, "%s: a barrier line that cannot be read", ctx->input_name);
	id.counted = false;
	return weir_checkpoint_barrier(ctx, id, stop || ctx->stop_at_barrier);
}

static const char *
missing_time_reason(const struct weir_ctx *ctx)
{
	if (ctx->opts->time_field == NULL)
		return "no event time (none of ts, @timestamp, timestamp, time)";
	return ctx->missing_time;
}

/*
 * A protocol line is an object whose only members are the protocol's: a
 * watermark has `_watermark` alone, a barrier `_checkpoint` with `lines`
 * and `stop` at most.  An object with any other member is data, whatever
 * else it has (SPEC 7a), so an event may carry a `_watermark` field.
 */
static int
protocol_member(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	bool barrier = *(bool *)arg;
	char name[16];
	(void)value;
	if (weir_span_unescape(key, name, sizeof name) < 0)
		return 1;
	if (barrier)
		return strcmp(name, "_checkpoint") != 0 && strcmp(name, "lines") != 0 &&
		    strcmp(name, "stop") != 0;
	return strcmp(name, "_watermark") != 0;
}

static bool
protocol_members_only(const char *line, size_t len, bool barrier)
{
	return weir_members(line, len, protocol_member, &barrier) == 0;
}

enum { RECORD_DATA = WEIR_LINE_DATA, RECORD_WATERMARK = WEIR_LINE_WATERMARK,
	RECORD_BARRIER = WEIR_LINE_BARRIER, RECORD_BAD = WEIR_LINE_BAD,
	RECORD_BLANK = WEIR_LINE_BLANK };

/*
 * Scans and classifies one line and parses its event time.  Reads only
 * what weir_run set up before the loop (plan, slots, options), so it runs
 * on either thread of lib/reader, which share the scan of a batch: the
 * more is done here, the more of it the less busy thread takes.
 */
static void
scan_record(void *arg, struct weir_scanned *rec, struct weir_span *spans)
{
	static const struct weir_timefmt auto_format = {WEIR_TF_AUTO, NULL};
	const struct weir_ctx *ctx = arg;
	if (weir_scan_clean(ctx->plan, rec->line, rec->len, spans, &rec->why, &rec->clean) < 0) {
		rec->kind = weir_line_is_blank(rec->line, rec->len) ? RECORD_BLANK : RECORD_BAD;
		return;
	}
	rec->shape = weir_scan_shape();
	const struct weir_span *v = &spans[ctx->watermark_slot];
	if (v->p && protocol_members_only(rec->line, rec->len, false)) {
		rec->kind = RECORD_WATERMARK;
		if (weir_time_from_json(&auto_format, v->p, v->n, &rec->t, NULL, &rec->why) < 0) {
			rec->kind = RECORD_BAD;
			rec->why = "bad _watermark value";
		}
		return;
	}
	v = &spans[ctx->checkpoint_slot];
	if (v->p && !spans[ctx->watermark_slot].p &&
	    protocol_members_only(rec->line, rec->len, true)) {
		rec->kind = RECORD_BARRIER;
		struct weir_ckpt id;
		bool stop;
		if (weir_barrier_parse(rec->line, rec->len, &id, &stop) < 0) {
			rec->kind = RECORD_BAD;
			rec->why = "bad _checkpoint barrier (a whole number from 0, "
			    "\"lines\" a whole number, \"stop\" true or false)";
		}
		return;
	}
	rec->kind = RECORD_DATA;
	if (ctx->hooks->on_scan)
		ctx->hooks->on_scan(ctx->prog_state, rec->input, rec->line, rec->len, spans,
		    rec->digest);
	if (ctx->opts->processing_time || ctx->untimed)
		return;		/* stamped on arrival, in handle_record */
	const int *slots = ctx->time_slots;
	int nslots = ctx->ntime_slots;
	if (rec->input < 2 && ctx->input_time_slot[rec->input] >= 0) {
		slots = &ctx->input_time_slot[rec->input];	/* its own */
		nslots = 1;
	}
	for (int i = 0; i < nslots; i++)
		if (spans[slots[i]].p) {
			rec->aux = slots[i];	/* the time field's slot */
			const struct weir_span *ts = &spans[rec->aux];
			enum weir_repr repr = WEIR_REPR_RFC3339;
			if (weir_time_from_json(&ctx->opts->time_format, ts->p, ts->n, &rec->t,
			    &repr, &rec->why) < 0) {
				rec->kind = RECORD_BAD;
				rec->no_time = true;
			}
			rec->repr = (int)repr;
			return;
		}
	rec->kind = RECORD_BAD;
	rec->no_time = true;
	rec->why = slots != ctx->time_slots ? "no event time (the field its input's time "
	    "option names)" : missing_time_reason(ctx);
}

static void watch_see(struct weir_ctx *ctx, const struct weir_span *spans);

/* Acts on a scanned line: the program's hooks, the protocol, accounting. */
static int
handle_record(struct weir_ctx *ctx, const struct weir_scanned *rec,
    const struct weir_span *spans, const char *input_name, unsigned input)
{
	struct line_ref ref = {input_name, rec->lineno};
	int rc;
	ctx->input_name = input_name;
	if (ctx->skipping)
		return skip_record(ctx, rec->line, rec->len, rec->kind == RECORD_BARRIER);
	if (rec->kind != RECORD_BARRIER)
		ctx->at.lines++;
	switch (rec->kind) {
	case RECORD_BAD:
		ctx->count.in++;	/* a rejected line is an input line */
		if (rec->no_time)
			weir_advice_time_reject(&ctx->advice, rec->line, rec->len, rec->why);
		return reject(ctx, rec->line, rec->len, &ref, rec->why);
	case RECORD_WATERMARK:
		ctx->count.watermarks_in++;
		if (rec->t > ctx->received)
			ctx->received = rec->t;
		if ((rc = advance(ctx)) != 0 || ctx->report_only)
			return rc;
		if (ctx->pass_protocol)
			return weir_out_protocol(ctx->out, rec->line, rec->len);
		/* forward it, carrying our own (possibly later) watermark */
		return write_watermark_line(ctx, ctx->watermark);
	case RECORD_BARRIER:
		return protocol_barrier(ctx, rec->line, rec->len);
	case RECORD_BLANK:
		ctx->count.blank++;
		return 0;
	default:
		break;
	}
	ctx->count.in++;
	struct weir_event ev = {rec->line, rec->len, 0, spans, input, rec->lineno,
	    {rec->digest[0], rec->digest[1]}, rec->shape, rec->clean};
	enum weir_repr repr = WEIR_REPR_RFC3339;
	if (ctx->untimed) {
		ev.t = WEIR_TIME_NONE;
	} else if (ctx->opts->processing_time) {
		ev.t = weir_wall_now();
	} else {
		ev.t = rec->t;
		repr = (enum weir_repr)rec->repr;
	}
	if (ctx->opts->max_ahead > 0 && ctx->watermark != WEIR_TIME_NONE &&
	    ev.t > weir_time_add_sat(ctx->watermark, ctx->opts->max_ahead))
		return reject(ctx, rec->line, rec->len, &ref, "more than --max-ahead ahead of the "
		    "watermark (an outlier in event time?)");
	if (ctx->advice.event_sample == NULL)
		weir_advice_event(&ctx->advice, rec->line, rec->len);
	if (ctx->nunseen > 0)
		watch_see(ctx, spans);
	if (ctx->repr == WEIR_REPR_NONE && !ctx->untimed)
		first_event(ctx, repr, rec->aux);
	if (ctx->where && !weir_where(ctx, &ev, NULL, &rc))
		return rc;
	if (ctx->hooks->on_event && (rc = ctx->hooks->on_event(ctx, &ev)) != 0)
		return rc;
	if (!ctx->untimed && ev.t > ctx->max_event) {
		ctx->max_event = ev.t;
		if (weir_time_add_sat(ev.t, -ctx->opts->lag) > ctx->watermark)
			return advance(ctx);
	}
	return 0;
}

/* --- for programs that read on their own ------------------------------------ */

void
weir_scan_record(void *ctx, struct weir_scanned *rec, struct weir_span *spans)
{
	scan_record(ctx, rec, spans);
}

int
weir_classify(struct weir_ctx *ctx, const char *line, size_t len, struct weir_span *spans,
    int64_t *t, const char **why)
{
	struct weir_scanned rec = {.line = line, .len = len};
	scan_record(ctx, &rec, spans);
	return weir_classify_scanned(ctx, &rec, spans, t, why);
}

int
weir_classify_scanned(struct weir_ctx *ctx, const struct weir_scanned *rec,
    const struct weir_span *spans, int64_t *t, const char **why)
{
	*why = rec->why;
	if (rec->kind == RECORD_WATERMARK)
		*t = rec->t;
	if (rec->kind == RECORD_BAD && rec->no_time)
		weir_advice_time_reject(&ctx->advice, rec->line, rec->len, rec->why);
	if (rec->kind != RECORD_DATA)
		return rec->kind;
	if (ctx->advice.event_sample == NULL)
		weir_advice_event(&ctx->advice, rec->line, rec->len);
	if (ctx->nunseen > 0)
		watch_see(ctx, spans);
	if (ctx->untimed) {
		*t = WEIR_TIME_NONE;	/* the program knows the time otherwise */
		return WEIR_LINE_DATA;
	}
	enum weir_repr repr = WEIR_REPR_RFC3339;
	if (ctx->opts->processing_time) {
		*t = weir_wall_now();
	} else {
		*t = rec->t;
		repr = (enum weir_repr)rec->repr;
	}
	if (ctx->repr == WEIR_REPR_NONE)
		first_event(ctx, repr, rec->aux);
	return WEIR_LINE_DATA;
}

int
weir_reject_line(struct weir_ctx *ctx, const char *line, size_t len, const char *input_name,
    uint64_t lineno, const char *why)
{
	struct line_ref ref = {input_name, lineno};
	return reject(ctx, line, len, &ref, why);
}

bool
weir_interrupted(void)
{
	return got_interrupt != 0;
}

int
weir_take_usr1(struct weir_ctx *ctx)
{
	if (!got_usr1)
		return 0;
	got_usr1 = 0;
	weir_print_stats(ctx);
	return 1;
}

int
weir_housekeeping(struct weir_ctx *ctx)
{
	weir_take_usr1(ctx);
	if (ctx->opts->metrics_file == NULL)
		return 0;
	int64_t now = weir_mono_now();
	if (now < ctx->next_metrics)
		return 0;
	ctx->next_metrics = now + WEIR_NS_PER_SEC;
	return write_metrics(ctx);
}

/* --- the loop -------------------------------------------------------------- */

struct loop {
	const char *name;	/* the input's name, for messages */
	int wait_fd;		/* readable when there is something to do */
	int64_t last_line_at;	/* monotonic time of the last line read */
	int64_t next_idle;	/* monotonic deadline of the next idle tick */
	int64_t next_metrics;
	int64_t next_tick;
};

static int
flush_all(struct weir_ctx *ctx)
{
	if (ctx->errors)
		fflush(ctx->errors);
	if (ctx->late)
		fflush(ctx->late);
	return weir_out_flush(ctx->out);
}

/* The watermark as if event time kept pace with the wall clock since the
 * last line arrived (--idle). */
static int
idle_tick(struct weir_ctx *ctx, struct loop *lp, int64_t now)
{
	lp->next_idle = now + ctx->opts->idle;
	if (ctx->max_event == WEIR_TIME_NONE && ctx->received == WEIR_TIME_NONE)
		return 0;
	int64_t base = ctx->max_event != WEIR_TIME_NONE ?
	    weir_time_add_sat(ctx->max_event, -ctx->opts->lag) : WEIR_TIME_NONE;
	if (ctx->received > base)
		base = ctx->received;
	int64_t to = weir_time_add_sat(base, now - lp->last_line_at);
	if (to <= ctx->watermark)
		return 0;
	ctx->idle_to = to;
	int rc = advance(ctx);
	if (rc == 0)
		rc = weir_emit_watermark(ctx, ctx->watermark);
	if (rc == 0)
		rc = flush_all(ctx);
	return rc;
}

/* Lines arrived: the idle clock starts again. */
static void
lines_arrived(struct weir_ctx *ctx, struct loop *lp)
{
	if (ctx->opts->idle > 0) {
		lp->last_line_at = weir_mono_now();
		lp->next_idle = lp->last_line_at + ctx->opts->idle;
	}
}

/* Between two reads: SIGUSR1 and the metrics clock. */
static int
housekeeping(struct weir_ctx *ctx, struct loop *lp)
{
	if (got_usr1) {
		got_usr1 = 0;
		if (ctx->hooks->on_snapshot) {
			int rc = ctx->hooks->on_snapshot(ctx);
			if (rc == 0)
				rc = flush_all(ctx);
			if (rc != 0)
				return rc;
			if (ctx->opts->stats)
				weir_print_stats(ctx);
		} else {
			weir_print_stats(ctx);
		}
	}
	if (ctx->tick_every > 0 && ctx->hooks->on_tick) {
		int64_t now = weir_mono_now();
		if (lp->next_tick == 0)
			lp->next_tick = now + ctx->tick_every;
		if (now >= lp->next_tick) {
			lp->next_tick = now + ctx->tick_every;
			int rc = ctx->hooks->on_tick(ctx);
			if (rc == 0)
				rc = flush_all(ctx);
			if (rc != 0)
				return rc;
		}
	}
	if (ctx->opts->metrics_file) {
		int64_t now = weir_mono_now();
		if (now >= lp->next_metrics) {
			lp->next_metrics = now + WEIR_NS_PER_SEC;
			return write_metrics(ctx);
		}
	}
	return 0;
}

/*
 * Waits until lp->wait_fd is readable.  Output is flushed first whenever the
 * wait would block, so a live pipeline never holds results back; idle ticks
 * and metrics run on poll timeouts.
 */
static int
wait_input(struct weir_ctx *ctx, struct loop *lp)
{
	struct pollfd pfd[2] = {{lp->wait_fd, POLLIN, 0}, weir_out_pollfd(ctx->out)};
	int r = poll(pfd, 1, 0);
	if (r != 0)
		return 0;
	int rc = flush_all(ctx);
	if (rc != 0)
		return rc;
	for (;;) {
		if ((rc = housekeeping(ctx, lp)) != 0)
			return rc;
		int64_t now = weir_mono_now();
		int64_t deadline = INT64_MAX;
		if (ctx->opts->idle > 0) {
			if (lp->next_idle <= now && (rc = idle_tick(ctx, lp, now)) != 0)
				return rc;
			deadline = lp->next_idle;
		}
		if (ctx->opts->metrics_file && lp->next_metrics < deadline)
			deadline = lp->next_metrics;
		if (ctx->tick_every > 0 && lp->next_tick != 0 && lp->next_tick < deadline)
			deadline = lp->next_tick;
		/* a signal that lands between the check of got_interrupt and the
		 * poll would not wake it: the poll wakes every SIGNAL_POLL_MS to look */
		int timeout = SIGNAL_POLL_MS;
		if (deadline != INT64_MAX && deadline - now < (int64_t)SIGNAL_POLL_MS * 1000000)
			timeout = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
		r = poll(pfd, 2, timeout);
		if (r > 0 && weir_out_gone(pfd[1].revents))
			return WEIR_IO_EPIPE;	/* nobody reads what we would write */
		if (r > 0 || (r < 0 && errno != EINTR) || got_interrupt != ctx->interrupts)
			return 0;
	}
}

static int
read_failed(struct weir_ctx *ctx, const struct loop *lp, int err, uint64_t lineno)
{
	return weir_read_failed(ctx, lp->name, err, lineno + 1);
}

/* on_ahead: the digest of record i of b, NULL past its end or for a line
 * that is no event (on_scan did not see it). */
static const uint64_t *
ahead_digest(const struct weir_batch *b, size_t i)
{
	return i < b->n && b->recs[i].kind == RECORD_DATA ? b->recs[i].digest : NULL;
}

/* The first records of a batch have none before them to hand their
 * digests on: their far calls (records 0 to 2 WEIR_AHEAD) and near calls
 * (0 to WEIR_AHEAD) come here, before the first event. */
static void
ahead_start(struct weir_ctx *ctx, const struct weir_batch *b)
{
	for (size_t i = 0; i < 2 * WEIR_AHEAD && i < b->n; i++)
		ctx->hooks->on_ahead(ctx->prog_state, NULL, ahead_digest(b, i));
	for (size_t i = 0; i < WEIR_AHEAD && i < b->n; i++)
		ctx->hooks->on_ahead(ctx->prog_state, ahead_digest(b, i), NULL);
}

static inline void
ahead(struct weir_ctx *ctx, const struct weir_batch *b, size_t i)
{
	ctx->hooks->on_ahead(ctx->prog_state, ahead_digest(b, i + WEIR_AHEAD),
	    ahead_digest(b, i + 2 * WEIR_AHEAD));
}

/* NDJSON: a reader thread splits and scans while this thread runs the hooks. */
static int
run_threaded(struct weir_ctx *ctx, struct loop *lp, int fd, unsigned input)
{
	struct weir_reader *reader = weir_reader_start(fd, weir_plan_size(ctx->plan),
	    scan_record, ctx);
	if (reader == NULL)
		return weir_fail(ctx, "cannot start the reader: %s", strerror(errno));
	lp->wait_fd = weir_reader_fd(reader);
	uint64_t lineno = 0;
	int rc = 0;
	for (;;) {
		struct weir_batch *b;
		if (got_interrupt && ctx->state == NULL)
			break;	/* as if the input ended here */
		if (got_interrupt && (rc = take_interrupt(ctx)) != 0)
			break;
		if (weir_reader_take(reader, &b) == 0) {
			if ((rc = wait_input(ctx, lp)) != 0)
				break;
			continue;
		}
		size_t nslots = weir_plan_size(ctx->plan);
		weir_batch_scanned(reader, b, 2 * WEIR_AHEAD + 1);
		if (ctx->hooks->on_ahead && ctx->hooks->on_scan)
			ahead_start(ctx, b);
		for (size_t i = 0; i < b->n && rc == 0; i++) {
			weir_batch_scanned(reader, b, i + 2 * WEIR_AHEAD + 1);
			weir_batch_prefetch(b, i, nslots);
			if (ctx->hooks->on_ahead && ctx->hooks->on_scan)
				ahead(ctx, b, i);
			rc = handle_record(ctx, &b->recs[i], &b->spans[i * nslots], lp->name, input);
			lineno = b->recs[i].lineno;
		}
		bool eof = b->eof, any = b->n > 0;
		int err = b->err;
		weir_reader_give_back(reader, b);	/* b is the reader's again */
		if (rc != 0)
			break;
		if (any)
			lines_arrived(ctx, lp);
		if (err) {
			rc = read_failed(ctx, lp, err, lineno);
			break;
		}
		if (eof)
			break;
		if ((rc = housekeeping(ctx, lp)) != 0)
			break;
	}
	weir_reader_stop(reader);
	return rc;
}

struct weir_input *
weir_open_input(struct weir_ctx *ctx, const char *path)
{
	const struct weir_opts *o = ctx->opts;
	struct weir_input *in = weir_input_open(path, o->csv_in);
	if (in == NULL)
		return NULL;
	if (o->json_in)
		weir_input_set_json(in);
	if (o->tsv_in)
		weir_input_set_tsv(in);
	if (o->format) {
		struct weir_parser *p = weir_parser_new(o->format);
		if (p == NULL) {
			weir_input_close(in);
			errno = ENOMEM;
			return NULL;
		}
		weir_input_set_parser(in, p);
	}
	return in;
}

bool
weir_reads_direct(const struct weir_opts *o)
{
	return o->csv_in || o->json_in || o->format != NULL;
}

/* CSV (and anything weir_input reads): lines split and scanned here. */
static int
run_direct(struct weir_ctx *ctx, struct loop *lp, struct weir_input *in, unsigned input)
{
	const char *line;
	size_t len;
	uint64_t lineno = 0;
	lp->wait_fd = weir_input_fd(in);
	/* A record a log format wrote is JSON by construction: where nothing of
	 * it is read (weir-parse without --where), it needs no scan. */
	bool unread = ctx->untimed && ctx->hooks->on_scan == NULL && ctx->where == NULL &&
	    weir_plan_size(ctx->plan) == (size_t)ctx->ntime_slots + 2;	/* and the protocol's */
	for (;;) {
		while (weir_input_line(in, &line, &len, &lineno) == 1) {
			struct weir_scanned rec = {.line = line, .len = len, .lineno = lineno};
			if ((rec.why = weir_input_rejected(in)) != NULL)
				rec.kind = RECORD_BAD;	/* a malformed CSV record */
			else if (unread && weir_input_built(in))
				rec.kind = RECORD_DATA;
			else
				scan_record(ctx, &rec, ctx->spans);
			int rc = handle_record(ctx, &rec, ctx->spans, lp->name, input);
			if (rc != 0)
				return rc;
		}
		const char *notice = weir_input_notice(in);
		if (notice)
			fprintf(ctx->diag, "%s: %s: %s\n", ctx->prog, lp->name, notice);
		if (weir_input_eof(in) || (got_interrupt && ctx->state == NULL))
			return 0;
		int rc = got_interrupt ? take_interrupt(ctx) : 0;
		if (rc == 0)
			rc = wait_input(ctx, lp);
		if (rc != 0)
			return rc;
		long n = weir_input_fill(in);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return read_failed(ctx, lp, errno, lineno);
		}
		if (n > 0)
			lines_arrived(ctx, lp);
		if ((rc = housekeeping(ctx, lp)) != 0)
			return rc;
	}
}

void
weir_signals(bool interrupt_ends_input)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* EPIPE comes back from write(2) instead */
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: a blocked read wakes up */
	if (interrupt_ends_input) {
		sa.sa_handler = on_interrupt;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
}

int
weir_run(struct weir_ctx *ctx, char **inputs, int ninputs)
{
	static char *stdin_only[] = {"-"};
	/* SIGINT and SIGTERM are always caught.  With --state they stop the
	 * program at a checkpoint; where interrupt_ends_input is set, they end
	 * the input (on_end runs); otherwise the program stops reading, writes
	 * nothing more of what it holds (no window is passed off as complete),
	 * prints --stats and --metrics with what it held counted, and dies of
	 * the signal, so its exit status still says it was killed. */
	bool die_of_signal = !ctx->interrupt_ends_input && ctx->opts->state_file == NULL;
	weir_signals(true);
	if (ninputs == 0) {
		inputs = stdin_only;
		ninputs = 1;
	}
	ctx->spans = calloc(weir_plan_size(ctx->plan) + 1, sizeof *ctx->spans);
	if (ctx->spans == NULL) {
		weir_fail(ctx, "out of memory");
		return WEIR_EXIT_FAILURE;
	}
	/* Every named input is checked before any is read, as Miller does: a
	 * missing file is found before the work on the files before it, not
	 * after.  Opening waits for the turn of each (a FIFO's open blocks
	 * until it has a writer). */
	for (int i = 0; i < ninputs; i++) {
		struct stat st;
		if (strcmp(inputs[i], "-") == 0)
			continue;
		if (stat(inputs[i], &st) < 0 || access(inputs[i], R_OK) < 0) {
			weir_fail(ctx, "cannot open '%s': %s", inputs[i], strerror(errno));
			return weir_finish(ctx, -1);
		}
		if (S_ISDIR(st.st_mode)) {
			weir_fail(ctx, "cannot read '%s': %s", inputs[i], strerror(EISDIR));
			return weir_finish(ctx, -1);
		}
	}
	int rc = 0;
	bool own_loop = ctx->ninputs > 1 || ctx->source != NULL;
	if (ctx->opts->state_file && !own_loop && weir_restore(ctx) < 0)
		return weir_finish(ctx, -1);
	if (ctx->ninputs > 1)
		rc = weir_inputs_run(ctx, inputs, ninputs);
	else if (ctx->source)
		rc = weir_source_run(ctx, inputs, ninputs);
	for (int i = 0; i < ninputs && !own_loop && rc == 0 && !(got_interrupt && ctx->state == NULL) &&
	    !ctx->stop_at_barrier; i++) {
		struct weir_input *in = weir_open_input(ctx, inputs[i]);
		if (in == NULL) {
			weir_fail(ctx, "cannot open '%s': %s", inputs[i], strerror(errno));
			rc = -1;
			break;
		}
		struct stat st;
		ctx->input_is_pipe = fstat(weir_input_fd(in), &st) == 0 &&
		    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
		struct loop lp = {weir_input_name(in), -1, weir_mono_now(), 0, 0, 0};
		lp.next_idle = lp.last_line_at + ctx->opts->idle;
		if (weir_reads_direct(ctx->opts))
			rc = run_direct(ctx, &lp, in, 0);
		else
			rc = run_threaded(ctx, &lp, weir_input_fd(in), 0);
		weir_input_close(in);
	}
	if (rc == 0 && ctx->stop_at_barrier)
		rc = stop_now(ctx);	/* a signal, then the end of the input */
	bool stopped = rc == WEIR_STOPPED;
	if (stopped)
		rc = 0;
	if (rc == 0 && !stopped && ctx->skipping)
		rc = weir_fail(ctx, "the input ended before checkpoint %llu of state file '%s' "
		    "(%llu lines read again): is this the input the state was saved from?",
		    (unsigned long long)ctx->target.n, ctx->state->path,
		    (unsigned long long)ctx->count.skipped);
	if (got_interrupt && die_of_signal) {
		int status = weir_finish(ctx, rc);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(interrupt_signal, &sa, NULL);
		raise(interrupt_signal);
		return status;
	}
	if (rc == 0 && !stopped && ctx->hooks->on_end)
		rc = ctx->hooks->on_end(ctx);
	if (rc == 0)
		rc = rows_ranked(ctx);
	return weir_finish(ctx, rc);
}

void
weir_watch_field(struct weir_ctx *ctx, const char *what, int slot, const char *path)
{
	if (ctx->nwatch == (int)(sizeof ctx->watch / sizeof ctx->watch[0]) || slot < 0)
		return;
	struct weir_watch *w = &ctx->watch[ctx->nwatch++];
	w->slot = slot;
	snprintf(w->what, sizeof w->what, "%s", what);
	snprintf(w->path, sizeof w->path, "%s", path);
	w->seen = false;
	ctx->nunseen++;
}

void
weir_watch_keys(struct weir_ctx *ctx, const char *option, const struct weir_keys *k)
{
	for (int i = 0; i < k->n; i++) {
		char path[96], what[128];
		struct weir_span q = {k->names[i], k->name_len[i]};
		if (weir_span_unescape(&q, path, sizeof path) < 0)
			continue;
		snprintf(what, sizeof what, "%s %.96s", option, path);
		weir_watch_field(ctx, what, k->slots[i], path);
	}
}

/* An event: which watched fields it has (until each has been seen once). */
static void
watch_see(struct weir_ctx *ctx, const struct weir_span *spans)
{
	for (int i = 0; i < ctx->nwatch; i++)
		if (!ctx->watch[i].seen && spans[ctx->watch[i].slot].p) {
			ctx->watch[i].seen = true;
			ctx->nunseen--;
		}
}

/* At exit: how many late events were dropped, how far behind the latest
 * was, and the --lag that would have kept them all (and 99.9%). */
static void
late_notice(const struct weir_ctx *ctx)
{
	unsigned long long n = (unsigned long long)ctx->count.late;
	fprintf(ctx->diag, "%s: %llu late event%s dropped", ctx->prog, n, n == 1 ? "" : "s");
	if (ctx->lateness && ctx->lateness->n > 0) {
		int64_t most = ctx->lateness->max;
		int64_t p999 = weir_lateness_upper(ctx->lateness, 0.999);
		char behind[32], all[32], most_of[32];
		weir_duration_format_up(most, behind, sizeof behind);
		lag_that_keeps(ctx, most, all, sizeof all);
		lag_that_keeps(ctx, p999, most_of, sizeof most_of);
		fprintf(ctx->diag, ", up to %s behind the watermark: --lag %s would have kept %s",
		    behind, all, n == 1 ? "it" : "them all");
		if (n >= 1000 && strcmp(all, most_of) != 0)
			fprintf(ctx->diag, ", --lag %s 99.9%% of them", most_of);
		fprintf(ctx->diag, " (or --late pass, --late FILE)\n");
	} else {
		fprintf(ctx->diag, "; a larger --lag keeps them (or --late pass, --late FILE)\n");
	}
}

/*
 * At exit, what the warnings left out: the total per reason, and when no
 * line had a usable event time, what the lines have and the -t that reads
 * them; that run fails (65), as it wrote nothing it was asked for.
 */
static int
advise(struct weir_ctx *ctx, int rc)
{
	struct weir_buf b = {0};
	if (ctx->opts->on_error == WEIR_ON_ERROR_WARN)
		weir_advice_summary(&ctx->advice, ctx->prog, &b);
	bool no_time = ctx->advice.time_rejects > 0 && ctx->repr == WEIR_REPR_NONE &&
	    !ctx->untimed && !ctx->opts->processing_time;
	if (no_time && (rc == 0 || rc == WEIR_EXIT_DATA))
		weir_advice_no_time(&ctx->advice, ctx->prog, &b);
	for (int i = 0; i < ctx->nwatch && ctx->advice.event_sample; i++) {
		const struct weir_watch *w = &ctx->watch[i];
		if (w->seen)
			continue;
		weir_buf_printf(&b, "%s: %s: no event had the field '%s'", ctx->prog, w->what,
		    w->path);
		size_t at = b.n;
		weir_buf_str(&b, "; the first event has ");
		size_t names = b.n;
		weir_advice_nearest(&ctx->advice, w->path, &b);
		if (b.n == names)
			b.n = at;	/* no name near it */
		weir_buf_str(&b, "\n");
	}
	uint64_t blocks = weir_output_new_blocks(ctx->out);
	if (blocks > 0)
		weir_buf_printf(&b, "%s: -o csv: %llu row%s had a column the header lacks, and "
		    "started a new header block (read the output with mlr --icsvlite)\n", ctx->prog,
		    (unsigned long long)blocks, blocks == 1 ? "" : "s");
	if (b.n > 0)
		fwrite(b.p, 1, b.n, ctx->diag);
	weir_buf_free(&b);
	return no_time && rc == 0 ? WEIR_EXIT_DATA : rc;
}

int
weir_finish(struct weir_ctx *ctx, int rc)
{
	if (rc != WEIR_IO_EPIPE) {
		int frc = flush_all(ctx);
		if (rc == 0)
			rc = frc;
	}
	if (rc == -1 && ctx->error[0] == '\0')
		weir_fail(ctx, "cannot write standard output: %s", strerror(errno));
	if (ctx->late && ferror(ctx->late) && rc == 0)
		rc = weir_fail(ctx, "cannot write late file '%s'", ctx->opts->late_file);
	if (ctx->errors && ferror(ctx->errors) && rc == 0)
		rc = weir_fail(ctx, "cannot write errors file '%s'", ctx->opts->errors_file);
	if (rc != WEIR_IO_EPIPE)
		rc = advise(ctx, rc);
	if (ctx->opts->late == WEIR_LATE_DROP && ctx->count.late > 0 && rc != WEIR_IO_EPIPE)
		late_notice(ctx);
	if (ctx->opts->stats)
		weir_print_stats(ctx);
	if (ctx->opts->metrics_file && write_metrics(ctx) != 0 && rc == 0)
		rc = -1;
	if (rc == WEIR_IO_EPIPE)
		return WEIR_EXIT_OK;
	if (rc == WEIR_EXIT_DATA)
		return WEIR_EXIT_DATA;
	return rc == 0 ? WEIR_EXIT_OK : WEIR_EXIT_FAILURE;
}
