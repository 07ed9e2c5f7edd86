/*
 * weir-top: a live terminal view of windowed rows (typically weir-agg
 * --emit updates), and of where event time stands.
 *
 *   rows, watermark lines ──► latest row per (window, key) ──► table, chart, status line
 *                                                               at most 20 frames a second
 *
 * On a terminal it draws with ncurses: a row replaces the one of its window
 * and key (a retraction removes it), and a row is final once the watermark
 * has passed its window's end.  Keys come from /dev/tty, since the rows come
 * on standard input.  Anywhere else it passes every line through as it came,
 * so that a script and a person can run the same pipeline.
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/driver.h"
#include "../lib/hash.h"
#include "../lib/program.h"

#define FRAME_NS (WEIR_NS_PER_SEC / 20)	/* at most 20 frames a second */
#define MAX_COLUMNS 32

/* The latest row of a window and key. */
struct row {
	char *id;		/* window start, end and key text: the hash key */
	size_t idlen;
	json_t *obj;
	int64_t end;		/* the window's end; INT64_MAX: no window */
	uint64_t first;		/* when its window and key first came */
	double sortv;		/* the sort column's value (NAN: none) */
	UT_hash_handle hh;
};

struct top {
	/* options */
	const char *by_list, *sort, *chart, *metrics_from;
	bool asc;
	size_t max_rows;

	bool screen;		/* drawing on a terminal, not passing lines on */
	SCREEN *scr;
	FILE *tty;
	FILE *diag;		/* the driver's warnings while the screen is drawn */
	bool utf8;
	struct row *rows;	/* uthash, in arrival order */
	uint64_t arrivals;
	char *by[MAX_COLUMNS];	/* key columns: --by, or those before window_start */
	int nby;
	char *cols[MAX_COLUMNS];	/* the other columns, as they first came */
	int ncols;
	int sortcol;		/* -1: by window end, newest first */
	bool dirty;
	int64_t next_frame;
	/* the status line's rates, over the last second */
	uint64_t bytes_in, rows_in, rate_rows, rate_bytes;
	int64_t rate_at;
	double rows_per_s, bytes_per_s;
	/* --metrics-from: what the upstream programs reported */
	uint64_t late, rejected, held;
	int64_t next_metrics;
};

/* --- rows ------------------------------------------------------------------------ */

static bool
is_key(const struct top *tp, const char *name)
{
	for (int i = 0; i < tp->nby; i++)
		if (strcmp(tp->by[i], name) == 0)
			return true;
	return false;
}

static int
column_add(char **list, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i], name) == 0)
			return 0;
	if (*n == MAX_COLUMNS || (list[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* The keys, when --by did not name them: the members before window_start
 * (weir-agg writes the key first), or without windows those not numbers. */
static void
learn_columns(struct top *tp, json_t *obj)
{
	const char *name;
	json_t *v;
	bool windowed = json_object_get(obj, "window_start") != NULL, before = true;
	json_object_foreach(obj, name, v) {
		if (strcmp(name, "window_start") == 0 || strcmp(name, "window_end") == 0) {
			before = false;
			continue;
		}
		if (strcmp(name, "retract") == 0)
			continue;
		if (tp->by_list == NULL && (windowed ? before : !json_is_number(v)) && !is_key(tp, name))
			column_add(tp->by, &tp->nby, name);
		else if (!is_key(tp, name))
			column_add(tp->cols, &tp->ncols, name);
	}
}

static double
number(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
set_sortv(const struct top *tp, struct row *r)
{
	r->sortv = tp->sortcol < 0 ? (double)r->end : number(json_object_get(r->obj,
	    tp->cols[tp->sortcol]));
}

static void
row_free(struct top *tp, struct row *r)
{
	HASH_DEL(tp->rows, r);
	json_decref(r->obj);
	free(r->id);
	free(r);
}

/* Over --max-rows: the row of the oldest window goes. */
static void
trim(struct top *tp)
{
	while (HASH_COUNT(tp->rows) > tp->max_rows) {
		struct row *old = tp->rows;
		for (struct row *r = tp->rows; r; r = r->hh.next)
			if (r->end < old->end)
				old = r;
		row_free(tp, old);
	}
}

/* A row in: it replaces its window and key's, or a retraction removes it. */
static int
take_row(struct weir_ctx *ctx, struct top *tp, const char *line, size_t len)
{
	json_t *obj = json_loadb(line, len, 0, NULL);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return weir_reject_line(ctx, line, len, "stdin", ctx->count.in, "not a JSON object");
	}
	learn_columns(tp, obj);
	char *s = json_dumps(json_object_get(obj, "window_start"), JSON_ENCODE_ANY | JSON_COMPACT);
	char *e = json_dumps(json_object_get(obj, "window_end"), JSON_ENCODE_ANY | JSON_COMPACT);
	struct weir_buf id = {0};
	int rc = weir_buf_printf(&id, "%s|%s", s ? s : "", e ? e : "");
	for (int i = 0; i < tp->nby && rc == 0; i++) {
		char *k = json_dumps(json_object_get(obj, tp->by[i]), JSON_ENCODE_ANY | JSON_COMPACT);
		rc = weir_buf_printf(&id, "|%s", k ? k : "-");
		free(k);
	}
	int64_t end = INT64_MAX;
	enum weir_repr repr;
	const char *why;
	if (e && weir_time_from_json(&ctx->opts->time_format, e, strlen(e), &end, &repr, &why) < 0)
		end = INT64_MAX;
	free(s);
	free(e);
	struct row *r = NULL;
	if (rc == 0)
		HASH_FIND(hh, tp->rows, id.p, id.n, r);
	if (rc == 0 && json_is_true(json_object_get(obj, "retract"))) {
		if (r)
			row_free(tp, r);
		json_decref(obj);
		weir_buf_free(&id);
		tp->dirty = true;
		return 0;
	}
	if (rc == 0 && r == NULL && (r = calloc(1, sizeof *r)) != NULL) {
		r->id = id.p;
		r->idlen = id.n;
		r->first = tp->arrivals++;
		id.p = NULL;
		HASH_ADD_KEYPTR(hh, tp->rows, r->id, r->idlen, r);
	}
	weir_buf_free(&id);
	if (rc != 0 || r == NULL) {
		json_decref(obj);
		return weir_fail(ctx, "out of memory");
	}
	json_decref(r->obj);
	r->obj = obj;
	r->end = end;
	set_sortv(tp, r);
	trim(tp);
	tp->dirty = true;
	return 0;
}

/* --- drawing ---------------------------------------------------------------------- */

static int
row_order(const void *pa, const void *pb, void *arg)
{
	const struct row *a = *(struct row *const *)pa, *b = *(struct row *const *)pb;
	const struct top *tp = arg;
	bool na = isnan(a->sortv), nb = isnan(b->sortv);
	if (na != nb)
		return na ? 1 : -1;	/* no value: last */
	if (!na && a->sortv != b->sortv)
		return (a->sortv < b->sortv) == tp->asc ? -1 : 1;
	if (a->end != b->end)
		return a->end > b->end ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* A value as a cell: strings without quotes, numbers as written. */
static void
cell(const json_t *v, char *buf, size_t size)
{
	if (v == NULL || json_is_null(v)) {
		snprintf(buf, size, "-");
	} else if (json_is_string(v)) {
		snprintf(buf, size, "%s", json_string_value(v));
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		snprintf(buf, size, fabs(d) >= 1e6 || d == floor(d) ? "%.6g" : "%.3f", d);
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(buf, size, "%s", t ? t : "?");
		free(t);
	}
}

/* A time as the table shows it: the time of day of RFC 3339 text. */
static void
when(const json_t *v, char *buf, size_t size)
{
	const char *s = json_string_value(v);
	if (s && strlen(s) >= 19 && s[10] == 'T')
		snprintf(buf, size, "%.8s", s + 11);
	else
		cell(v, buf, size);
}

static void
format_time(int64_t t, char *buf, size_t size)
{
	char b[WEIR_TIME_BUFSZ];
	if (t == WEIR_TIME_NONE) {
		snprintf(buf, size, "none yet");
		return;
	}
	weir_time_format_rfc3339(t, b);
	snprintf(buf, size, "%s", b);
}

/* A duration as a person reads it: 3d 4h, 2h 5m, 7m 30s, 2.5s. */
static void
human(int64_t ns, char *buf, size_t size)
{
	int64_t s = ns / WEIR_NS_PER_SEC;
	if (s >= 86400)
		snprintf(buf, size, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRId64 "h %" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRId64 "m %" PRId64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%.1fs", (double)ns / 1e9);
}

/* The status line: where event time stands, what comes in, what upstream
 * reported. */
static void
draw_status(struct weir_ctx *ctx, struct top *tp, int y, size_t open)
{
	char wm[64], behind[96] = "";
	format_time(ctx->watermark, wm, sizeof wm);
	if (ctx->watermark != WEIR_TIME_NONE && ctx->watermark != INT64_MAX) {
		char d[32];
		int64_t lag = weir_wall_now() - ctx->watermark;
		human(lag > 0 ? lag : -lag, d, sizeof d);
		snprintf(behind, sizeof behind, " (%s %s)", d, lag >= 0 ? "behind" : "ahead");
	}
	char line[512];
	int n = snprintf(line, sizeof line, "watermark %s%s | %.0f rows/s %.2f MB/s | %u rows, "
	    "%zu open", wm, behind, tp->rows_per_s, tp->bytes_per_s / 1e6, HASH_COUNT(tp->rows), open);
	if (tp->metrics_from && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, " | late %" PRIu64 " rejected %" PRIu64
		    " held %" PRIu64, tp->late, tp->rejected, tp->held);
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, line, COLS);
	attroff(A_REVERSE);
}

/* --chart COLUMN: a line of blocks a key, its values over the windows. */
static void
draw_chart(struct top *tp, struct row **sorted, size_t n, int y0, int height)
{
	static const char *const blocks[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
		"\u2586", "\u2587", "\u2588"};
	static const char ascii[] = " .:-=+*#%@";
	int width = COLS - 28;
	mvaddnstr(y0, 0, tp->chart, COLS);
	if (width < 4)
		return;
	/* the keys of the first rows, each once, and the max over them */
	const char *done[64];
	int nk = 0;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		max = fmax(max, fabs(number(json_object_get(sorted[i]->obj, tp->chart))));
	for (size_t i = 0; i < n && nk < height - 1 && nk < 64; i++) {
		const char *key = strchr(strchr(sorted[i]->id, '|') + 1, '|');
		bool seen = false;
		for (int k = 0; k < nk; k++)
			seen |= strcmp(done[k], key) == 0;
		if (seen)
			continue;
		done[nk++] = key;
		/* this key's rows, newest window last, in the width */
		struct row *mine[512];
		int m = 0;
		for (size_t j = 0; j < n && m < 512; j++)
			if (strcmp(strchr(strchr(sorted[j]->id, '|') + 1, '|'), key) == 0)
				mine[m++] = sorted[j];
		for (int a = 1; a < m; a++)	/* by window end: few rows, insertion sort */
			for (int b = a; b > 0 && mine[b - 1]->end > mine[b]->end; b--) {
				struct row *t = mine[b];
				mine[b] = mine[b - 1];
				mine[b - 1] = t;
			}
		int y = y0 + nk, from = m > width ? m - width : 0;
		char label[64] = "", c[24];
		for (int k = 0; k < tp->nby && strlen(label) < 32; k++) {
			cell(json_object_get(mine[0]->obj, tp->by[k]), c, sizeof c);
			strcat(strcat(label, k ? " " : ""), c);
		}
		mvaddnstr(y, 0, label, 20);
		move(y, 22);
		for (int j = from; j < m; j++) {
			double v = number(json_object_get(mine[j]->obj, tp->chart));
			int level = isnan(v) || max <= 0 ? 0 : (int)lround(fabs(v) / max * 8);
			if (tp->utf8)
				addstr(blocks[level]);
			else
				addch((chtype)ascii[level]);
		}
	}
}

static void
draw(struct weir_ctx *ctx, struct top *tp)
{
	size_t n = HASH_COUNT(tp->rows), open = 0;
	struct row **sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (sorted == NULL)
		return;
	size_t i = 0;
	for (struct row *r = tp->rows; r; r = r->hh.next) {
		sorted[i++] = r;
		open += r->end > ctx->watermark || ctx->watermark == WEIR_TIME_NONE;
	}
	qsort_r(sorted, n, sizeof *sorted, row_order, tp);
	erase();
	int chart_h = tp->chart ? (LINES - 2) / 3 : 0;
	int table_h = LINES - 2 - chart_h;
	/* the header: state, keys, window, the other columns */
	char buf[256];
	int x;
	attron(A_BOLD);
	mvaddstr(0, 0, "state");
	x = 7;
	for (int c = 0; c < tp->nby; c++, x += 14)
		mvaddnstr(0, x, tp->by[c], 13);
	mvaddstr(0, x, "window");
	x += 20;
	for (int c = 0; c < tp->ncols && x < COLS; c++, x += 13) {
		snprintf(buf, sizeof buf, "%s%s", tp->cols[c], c == tp->sortcol ? (tp->asc ? " ^" :
		    " v") : "");
		mvaddnstr(0, x, buf, COLS - x < 12 ? COLS - x : 12);
	}
	attroff(A_BOLD);
	for (i = 0; i < n && (int)i < table_h - 1; i++) {
		const struct row *r = sorted[i];
		int y = (int)i + 1;
		bool final = ctx->watermark != WEIR_TIME_NONE && r->end <= ctx->watermark;
		if (!final)
			attron(A_DIM);
		mvaddstr(y, 0, final ? "final" : "open");
		x = 7;
		for (int c = 0; c < tp->nby; c++, x += 14) {
			cell(json_object_get(r->obj, tp->by[c]), buf, sizeof buf);
			mvaddnstr(y, x, buf, 13);
		}
		char s[32], e[32];
		when(json_object_get(r->obj, "window_start"), s, sizeof s);
		when(json_object_get(r->obj, "window_end"), e, sizeof e);
		snprintf(buf, sizeof buf, "%s-%s", s, e);
		mvaddnstr(y, x, buf, 19);
		x += 20;
		for (int c = 0; c < tp->ncols && x < COLS; c++, x += 13) {
			cell(json_object_get(r->obj, tp->cols[c]), buf, sizeof buf);
			mvaddnstr(y, x, buf, COLS - x < 12 ? COLS - x : 12);
		}
		if (!final)
			attroff(A_DIM);
	}
	if (tp->chart)
		draw_chart(tp, sorted, n, table_h, chart_h);
	draw_status(ctx, tp, LINES - 1, open);
	refresh();
	free(sorted);
	tp->dirty = false;
}

/* --- the terminal ------------------------------------------------------------------ */

/* Reads what --metrics-from holds: the late, rejected and held counts of
 * the programs that write it (their sums). */
static void
read_metrics(struct top *tp)
{
	FILE *f = fopen(tp->metrics_from, "re");
	if (f == NULL)
		return;
	char line[512];
	uint64_t late = 0, rejected = 0, held = 0;
	while (fgets(line, sizeof line, f)) {
		const char *v = strrchr(line, ' ');
		uint64_t n = v ? strtoull(v + 1, NULL, 10) : 0;
		if (strncmp(line, "weir_late_total{", 16) == 0)
			late += n;
		else if (strncmp(line, "weir_rejected_total{", 20) == 0)
			rejected += n;
		else if (strncmp(line, "weir_held{", 10) == 0)
			held += n;
	}
	fclose(f);
	if (late != tp->late || rejected != tp->rejected || held != tp->held)
		tp->dirty = true;
	tp->late = late;
	tp->rejected = rejected;
	tp->held = held;
}

/* The terminal given back as it was, then what the driver said meanwhile,
 * now that it can be read. */
static void
screen_off(struct top *tp)
{
	if (tp->scr) {
		endwin();
		delscreen(tp->scr);
		tp->scr = NULL;
		fclose(tp->tty);
	}
	if (tp->diag) {
		rewind(tp->diag);
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, tp->diag)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(tp->diag);
		tp->diag = NULL;
	}
}

static void
screen_end(struct weir_ctx *ctx, struct top *tp)
{
	screen_off(tp);
	ctx->diag = stderr;
}

/* Keys: q quits, s sorts by the next column, r reverses; the screen is
 * drawn again when something changed, at most 20 times a second.  Returns
 * 1 when q was pressed. */
static int
screen_turn(struct weir_ctx *ctx, struct top *tp)
{
	int quit = 0;
	for (int c; (c = getch()) != ERR;) {
		if (c == 'q' || c == 'Q') {
			quit = 1;
		} else if (c == 's' || c == 'r') {
			if (c == 's')
				tp->sortcol = tp->sortcol + 1 < tp->ncols ? tp->sortcol + 1 : -1;
			else
				tp->asc = !tp->asc;
			for (struct row *r = tp->rows; r; r = r->hh.next)
				set_sortv(tp, r);
		}
		tp->dirty = true;	/* a key, or KEY_RESIZE */
	}
	int64_t now = weir_mono_now();
	if (now - tp->rate_at >= WEIR_NS_PER_SEC) {
		double secs = (double)(now - tp->rate_at) / 1e9;
		tp->rows_per_s = (double)(tp->rows_in - tp->rate_rows) / secs;
		tp->bytes_per_s = (double)(tp->bytes_in - tp->rate_bytes) / secs;
		tp->rate_rows = tp->rows_in;
		tp->rate_bytes = tp->bytes_in;
		tp->rate_at = now;
		tp->dirty = true;	/* the rates, and how far the watermark trails */
	}
	if (tp->metrics_from && now >= tp->next_metrics) {
		tp->next_metrics = now + WEIR_NS_PER_SEC;
		read_metrics(tp);
	}
	if (tp->dirty && now >= tp->next_frame) {
		tp->next_frame = now + FRAME_NS;
		draw(ctx, tp);
	}
	return quit;
}

/* --- hooks ------------------------------------------------------------------------- */

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct top *tp = ctx->prog_state;
	if (!tp->screen)
		return weir_emit(ctx, ev->line, ev->len);	/* as it came */
	tp->rows_in++;
	tp->bytes_in += ev->len + 1;
	ctx->count.out++;
	return take_row(ctx, tp, ev->line, ev->len);
}

static int
on_watermark(struct weir_ctx *ctx, int64_t w)
{
	(void)w;
	((struct top *)ctx->prog_state)->dirty = true;
	return 0;
}

static int
on_tick(struct weir_ctx *ctx)
{
	struct top *tp = ctx->prog_state;
	if (screen_turn(ctx, tp)) {
		screen_end(ctx, tp);
		return WEIR_IO_EPIPE;	/* q: the end, as when a reader goes away */
	}
	return 0;
}

/* The input ended (or a signal came): the last of it stays on the screen
 * until q, or a signal. */
static int
on_end(struct weir_ctx *ctx)
{
	struct top *tp = ctx->prog_state;
	if (!tp->screen)
		return 0;
	tp->dirty = true;
	while (tp->scr && !weir_interrupted()) {
		if (screen_turn(ctx, tp))
			break;
		napms(FRAME_NS / 1000000);
	}
	screen_end(ctx, tp);
	return 0;
}

/* --- options ----------------------------------------------------------------------- */

enum { OPT_BY = 1, OPT_SORT, OPT_ASC, OPT_CHART, OPT_METRICS_FROM, OPT_MAX_ROWS };

static const struct weir_optdef own_options[] = {
	{"asc", 0, 0, OPT_ASC, NULL},
	{"by", 0, 1, OPT_BY, "FIELDS"},
	{"chart", 0, 1, OPT_CHART, "COLUMN"},
	{"max-rows", 0, 1, OPT_MAX_ROWS, "N"},
	{"metrics-from", 0, 1, OPT_METRICS_FROM, "FILE"},
	{"sort", 0, 1, OPT_SORT, "COLUMN"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct top *tp = arg;
	switch (id) {
	case OPT_ASC:
		tp->asc = true;
		return 0;
	case OPT_BY:
		tp->by_list = value;
		return 0;
	case OPT_CHART:
		tp->chart = value;
		return 0;
	case OPT_MAX_ROWS:
		return weir_option_count("max-rows", value, 1, 10000000, &tp->max_rows, err, errlen);
	case OPT_METRICS_FROM:
		tp->metrics_from = value;
		return 0;
	case OPT_SORT:
		tp->sort = value;
		return 0;
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct top *tp = ctx->prog_state;
	(void)argc;
	(void)argv;
	if (tp->max_rows == 0)
		tp->max_rows = 5000;
	for (const char *p = tp->by_list; p && *p;) {
		size_t n = strcspn(p, ",");
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)n, p);
		if (n == 0 || column_add(tp->by, &tp->nby, name) < 0) {
			snprintf(err, errlen, "bad --by '%s' (names separated by commas)", tp->by_list);
			return -1;
		}
		p += n + (p[n] == ',');
	}
	tp->sortcol = -1;
	if (tp->sort && (column_add(tp->cols, &tp->ncols, tp->sort) < 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (tp->sort)
		tp->sortcol = 0;	/* its column first */
	ctx->untimed = true;	/* rows have windows, not an event time */
	ctx->interrupt_ends_input = true;
	ctx->pass_protocol = true;	/* watermark lines go on as they came */
	tp->screen = isatty(STDOUT_FILENO) && getenv("TERM") != NULL;
	if (!tp->screen)
		return 0;
	setlocale(LC_ALL, "");
	tp->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if ((tp->tty = fopen("/dev/tty", "r+e")) == NULL ||
	    (tp->scr = newterm(NULL, stdout, tp->tty)) == NULL) {
		if (tp->tty)
			fclose(tp->tty);
		tp->screen = false;	/* no terminal to draw on after all: lines pass on */
		return 0;
	}
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if ((tp->diag = tmpfile()) != NULL)
		ctx->diag = tp->diag;
	ctx->report_only = true;	/* nothing but the screen goes to standard output */
	ctx->tick_every = FRAME_NS;
	tp->rate_at = weir_mono_now();
	tp->dirty = true;
	return 0;
}

static void
teardown(void *state)
{
	struct top *tp = state;
	screen_off(tp);	/* (a failure ended the run: the message comes after) */
	struct row *r, *next;
	HASH_ITER(hh, tp->rows, r, next)
		row_free(tp, r);
	for (int i = 0; i < tp->nby; i++)
		free(tp->by[i]);
	for (int i = 0; i < tp->ncols; i++)
		free(tp->cols[i]);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {.on_event = on_event,
		.on_watermark = on_watermark, .on_tick = on_tick, .on_end = on_end};
	static struct top tp;
	static const struct weir_program program = {
		.name = "weir-top",
		.synopsis = "weir-top [--sort COLUMN [--asc]] [--by FIELDS] [--chart COLUMN] "
		    "[--metrics-from FILE] [--max-rows N] [options] [FILE ...]",
		.summary = "A live terminal view of windowed rows and of where event time stands.",
		.own_help =
		    "      --sort COLUMN        order rows by this column, largest first (s: the next)\n"
		    "      --asc                smallest first (r reverses)\n"
		    "      --by FIELDS          the key columns (default: those before window_start)\n"
		    "      --chart COLUMN       a line of blocks a key: COLUMN over the windows\n"
		    "      --metrics-from FILE  show late, rejected, held from an upstream --metrics\n"
		    "      --max-rows N         rows kept, the oldest windows' dropped (default 5000)\n"
		    "Keys: q quits, s sorts by the next column, r reverses the order.\n"
		    "Not on a terminal, every line passes through as it came.\n",
		.options = own_options,
		.option = own_option,
		.state = &tp,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
