/*
 * weir-profile: describes a stream, so that a lag (and a dedupe horizon)
 * can be chosen from the data instead of guessed.
 *
 * For each event: its disorder, how far its event time lies behind the
 * largest event time before it (0 when it is the largest so far).  An event
 * with disorder d is on time in weir-watermark exactly when d <= --lag, so
 * the lag that keeps a fraction P on time is the P-quantile of disorder,
 * rounded up.  Everything is kept in bounded summaries: a DDSketch for the
 * quantiles (values within 1%), a HyperLogLog for distinct keys, a ring of
 * per-second counts for the peak rate, and for repeated keys a table of the
 * last time each key was seen, capped by --max-keys.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../lib/driver.h"
#include "../lib/keys.h"
#include "../lib/program.h"
#include "../lib/sketch.h"

#define RING_SECONDS 4096	/* per-second counts kept around the newest second */

/* Disorder histogram for --human: 0, then up to 1ms, 10ms, ... , 1m, more. */
static const int64_t hist_bounds[] = {
	0, 1000000, 10000000, 100000000, 1000000000LL, 10000000000LL, 60000000000LL,
};
#define HIST_BUCKETS (sizeof hist_bounds / sizeof hist_bounds[0] + 1)

/* Open addressing: key hash -> last event time seen with it. */
struct seen {
	uint64_t hash;		/* 0: empty */
	int64_t t;
};

struct profile {
	double completeness;
	bool human;
	const char *key;
	struct weir_keys keys;	/* --key */
	size_t max_keys;

	uint64_t events;
	int64_t first, last, min, max;	/* event times, in arrival order for first/last */
	/* The newest time disorder is measured from (`max` leaves out events
	 * far ahead that no later one confirms: a clock set to 2099), and such
	 * an event waiting for a second one near it. */
	int64_t front, ahead;
	bool ahead_pending;
	uint64_t outliers;		/* events far ahead that nothing followed */
	int64_t first_outlier;
	struct weir_quantiles *disorder;
	uint64_t hist[HIST_BUCKETS];
	uint64_t behind;		/* events with disorder > 0 */

	uint64_t ring[RING_SECONDS];
	int64_t ring_top;		/* the newest second counted */
	uint64_t peak;

	struct weir_distinct *distinct;
	struct seen *table;
	size_t table_cap, table_used;
	uint64_t with_key, missing_key, repeats, untracked;
	struct weir_quantiles *gaps;
	char *keybuf;
	size_t keybuf_cap;
};

/* --- per-second peak ------------------------------------------------------ */

static void
ring_advance(struct profile *p, int64_t second)
{
	if (p->events == 1 || second - p->ring_top >= RING_SECONDS) {
		for (size_t i = 0; i < RING_SECONDS; i++) {
			if (p->ring[i] > p->peak)
				p->peak = p->ring[i];
			p->ring[i] = 0;
		}
		p->ring_top = second;
		return;
	}
	for (int64_t s = p->ring_top + 1; s <= second; s++) {
		uint64_t *c = &p->ring[(uint64_t)s % RING_SECONDS];
		if (*c > p->peak)
			p->peak = *c;	/* the second that leaves the ring */
		*c = 0;
	}
	p->ring_top = second;
}

static void
count_second(struct profile *p, int64_t t)
{
	int64_t second = weir_floor_div(t, WEIR_NS_PER_SEC);
	if (p->events == 1 || second > p->ring_top)
		ring_advance(p, second);
	if (second > p->ring_top - RING_SECONDS)
		p->ring[(uint64_t)second % RING_SECONDS]++;
}

static uint64_t
peak_per_second(const struct profile *p)
{
	uint64_t peak = p->peak;
	for (size_t i = 0; i < RING_SECONDS; i++)
		if (p->ring[i] > peak)
			peak = p->ring[i];
	return peak;
}

/* --- repeated keys -------------------------------------------------------- */

static int
table_grow(struct profile *p)
{
	size_t cap = p->table_cap ? p->table_cap * 2 : 1024;
	struct seen *t = calloc(cap, sizeof *t);
	if (t == NULL)
		return -1;
	for (size_t i = 0; i < p->table_cap; i++) {
		if (p->table[i].hash == 0)
			continue;
		size_t j = p->table[i].hash & (cap - 1);
		while (t[j].hash != 0)
			j = (j + 1) & (cap - 1);
		t[j] = p->table[i];
	}
	free(p->table);
	p->table = t;
	p->table_cap = cap;
	return 0;
}

static int
see_key(struct weir_ctx *ctx, struct profile *p, const struct weir_event *ev)
{
	for (int i = 0; i < p->keys.n; i++)
		if (ev->fields[p->keys.slots[i]].p == NULL) {
			p->missing_key++;
			return 0;
		}
	long n = weir_keys_bytes(&p->keys, ev->fields, &p->keybuf, &p->keybuf_cap);
	if (n < 0)
		return weir_fail(ctx, "out of memory");
	size_t len = (size_t)n;
	p->with_key++;
	weir_distinct_add(p->distinct, p->keybuf, len);
	uint64_t h = XXH3_64bits(p->keybuf, len);
	if (h == 0)
		h = 1;
	/* at most 3/4 full, so probing always finds a hole */
	if (p->table_used * 4 >= p->table_cap * 3 && p->table_used < p->max_keys &&
	    table_grow(p) < 0)
		return weir_fail(ctx, "out of memory");
	size_t j = h & (p->table_cap - 1);
	while (p->table[j].hash != 0 && p->table[j].hash != h)
		j = (j + 1) & (p->table_cap - 1);
	if (p->table[j].hash == h) {
		p->repeats++;
		int64_t gap = ev->t - p->table[j].t;
		if (weir_quantiles_add(p->gaps, (double)(gap < 0 ? -gap : gap) / 1e9) < 0)
			return weir_fail(ctx, "out of memory");
		p->table[j].t = ev->t;
	} else if (p->table_used < p->max_keys) {
		p->table[j] = (struct seen){h, ev->t};
		p->table_used++;
	} else {
		p->untracked++;	/* --max-keys reached: a new key we cannot follow */
	}
	return 0;
}

/* --- events --------------------------------------------------------------- */

/* An event more than OUTLIER_JUMP ahead of the front stays out of it until
 * a second one comes within OUTLIER_JUMP of it (the stream really moved
 * on); one that nothing follows is an outlier, not a day of disorder for
 * every event after it.  True when t is held out so. */
#define OUTLIER_JUMP (24 * 3600 * WEIR_NS_PER_SEC)

static bool
far_ahead(struct profile *p, int64_t t)
{
	if (p->ahead_pending && t >= weir_time_add_sat(p->ahead, -OUTLIER_JUMP)) {
		p->ahead_pending = false;	/* confirmed: the stream is there now */
		p->front = t > p->ahead ? t : p->ahead;
		return false;
	}
	if (t <= weir_time_add_sat(p->front, OUTLIER_JUMP))
		return false;
	if (p->ahead_pending) {
		p->outliers++;	/* the one before was alone */
		if (p->outliers == 1)
			p->first_outlier = p->ahead;
	}
	p->ahead = t;
	p->ahead_pending = true;
	return true;
}

/* Outliers, counting one still waiting at the end. */
static uint64_t
outliers(const struct profile *p, int64_t *first)
{
	*first = p->outliers > 0 ? p->first_outlier : p->ahead;
	return p->outliers + p->ahead_pending;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct profile *p = ctx->prog_state;
	p->events++;
	int64_t disorder = 0;
	if (p->events == 1) {
		p->first = p->min = p->max = p->front = ev->t;
	} else {
		if (ev->t < p->min)
			p->min = ev->t;
		if (ev->t > p->max)
			p->max = ev->t;
		if (!far_ahead(p, ev->t)) {
			if (ev->t < p->front)
				disorder = p->front - ev->t;
			else
				p->front = ev->t;
		}
	}
	p->last = ev->t;
	if (weir_quantiles_add(p->disorder, (double)disorder / 1e9) < 0)
		return weir_fail(ctx, "out of memory");
	size_t b = 0;
	while (b < HIST_BUCKETS - 1 && disorder > hist_bounds[b])
		b++;
	p->hist[b]++;
	p->behind += disorder > 0;
	count_second(p, ev->t);
	if (p->keys.n > 0)
		return see_key(ctx, p, ev);
	return 0;
}

/* --- the report ----------------------------------------------------------- */

/* The smallest whole number of milliseconds at or above seconds, as a weir
 * duration: 0s, 250ms, 4.872s. */
static void
format_lag(double seconds, char *buf, size_t size)
{
	long long ms = (long long)ceil(seconds * 1000 - 1e-9);
	weir_duration_format_up(ms * 1000000LL, buf, size);
}

/* What weir-dedupe needs to catch every repeat seen: --within the largest
 * gap, and --lag the suggested one when events come out of order (without
 * it a repeat that arrives before its first sighting is judged late). */
static void
dedupe_flags(const struct profile *p, char *buf, size_t size)
{
	char within[32], lag[32];
	format_lag(weir_quantiles_max(p->gaps), within, sizeof within);
	format_lag(weir_quantiles_upper(p->disorder, p->completeness), lag, sizeof lag);
	if (strcmp(lag, "0s") == 0)
		snprintf(buf, size, "--key %.40s --within %s", p->key, within);
	else
		snprintf(buf, size, "--key %.40s --within %s --lag %s", p->key, within, lag);
}

static const char *
repr_name(enum weir_repr r)
{
	switch (r) {
	case WEIR_REPR_RFC3339: return "rfc3339";
	case WEIR_REPR_EPOCH_S: return "epoch";
	case WEIR_REPR_EPOCH_MS: return "epoch_ms";
	case WEIR_REPR_EPOCH_US: return "epoch_us";
	case WEIR_REPR_EPOCH_NS: return "epoch_ns";
	default: return "none";
	}
}

/* A number as JSON: %.9g is exact enough and never nan or inf here. */
static void
put_number(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else
		fprintf(f, "%.9g", v);
}

static void
put_time(FILE *f, int64_t t)
{
	char buf[WEIR_TIME_BUFSZ];
	weir_time_format_json(t, WEIR_REPR_RFC3339, buf);
	fputs(buf, f);
}

static void
put_quantiles(FILE *f, const struct weir_quantiles *q, bool p999)
{
	fputs("{\"p50\":", f);
	put_number(f, weir_quantiles_value(q, 0.5));
	fputs(",\"p90\":", f);
	put_number(f, weir_quantiles_value(q, 0.9));
	fputs(",\"p99\":", f);
	put_number(f, weir_quantiles_value(q, 0.99));
	if (p999) {
		fputs(",\"p99.9\":", f);
		put_number(f, weir_quantiles_value(q, 0.999));
	}
	fputs(",\"max\":", f);
	put_number(f, weir_quantiles_max(q));
	fputc('}', f);
}

static void
report_json(const struct weir_ctx *ctx, const struct profile *p, FILE *f)
{
	const struct weir_counters *c = &ctx->count;
	char lag[32];
	format_lag(weir_quantiles_upper(p->disorder, p->completeness), lag, sizeof lag);
	fprintf(f, "{\"lines\":%llu,\"events\":%llu,\"rejected\":%llu,\"protocol_lines\":%llu",
	    (unsigned long long)(c->in + c->watermarks_in + c->barriers),
	    (unsigned long long)p->events, (unsigned long long)c->rejected,
	    (unsigned long long)(c->watermarks_in + c->barriers));
	if (ctx->where)	/* lines --where left out: read, not profiled */
		fprintf(f, ",\"filtered\":%llu", (unsigned long long)c->filtered);
	/* the field the events' times came from, and their format: the
	 * -T pattern when one was given */
	const char *field = ctx->time_field_seen ? ctx->time_field_seen : ctx->opts->time_field;
	const char *format = ctx->opts->time_format.kind == WEIR_TF_PATTERN ?
	    ctx->opts->time_format.pattern : repr_name(ctx->repr);
	char quoted[512];
	long n = 0;
	fputs(",\"time_field\":", f);
	if (field && (n = weir_json_quote(quoted, sizeof quoted, 0, field, strlen(field))) > 0)
		fwrite(quoted, 1, (size_t)n, f);
	else
		fputs("null", f);
	fputs(",\"time_format\":", f);
	if ((n = weir_json_quote(quoted, sizeof quoted, 0, format, strlen(format))) > 0)
		fwrite(quoted, 1, (size_t)n, f);
	else
		fputs("null", f);
	if (p->events > 0) {
		double span = (double)(p->max - p->min) / 1e9;
		fputs(",\"first\":", f);
		put_time(f, p->first);
		fputs(",\"last\":", f);
		put_time(f, p->last);
		fputs(",\"min\":", f);
		put_time(f, p->min);
		fputs(",\"max\":", f);
		put_time(f, p->max);
		fputs(",\"span_seconds\":", f);
		put_number(f, span);
		fputs(",\"events_per_second\":", f);
		put_number(f, span > 0 ? (double)p->events / span : (double)p->events);
		fprintf(f, ",\"peak_events_per_second\":%llu",
		    (unsigned long long)peak_per_second(p));
	}
	fputs(",\"disorder_seconds\":", f);
	put_quantiles(f, p->disorder, true);
	fputs(",\"behind_share\":", f);
	put_number(f, p->events ? (double)p->behind / (double)p->events : 0);
	fputs(",\"completeness\":", f);
	put_number(f, p->completeness);
	fprintf(f, ",\"suggested_lag\":\"%s\"", lag);
	int64_t first_out;
	uint64_t nout = outliers(p, &first_out);
	fprintf(f, ",\"outliers_ahead\":%llu", (unsigned long long)nout);
	if (nout > 0) {
		fputs(",\"first_outlier\":", f);
		put_time(f, first_out);
		fputs(",\"suggested_max_ahead\":\"1d\"", f);
	}
	if (p->keys.n > 0) {
		fprintf(f, ",\"key\":\"%s\",\"events_with_key\":%llu,\"events_without_key\":%llu",
		    p->key, (unsigned long long)p->with_key, (unsigned long long)p->missing_key);
		fputs(",\"distinct_keys\":", f);
		put_number(f, round(weir_distinct_estimate(p->distinct)));
		fprintf(f, ",\"repeated\":%llu,\"repeated_share\":", (unsigned long long)p->repeats);
		put_number(f, p->with_key ? (double)p->repeats / (double)p->with_key : 0);
		fputs(",\"repeat_gap_seconds\":", f);
		put_quantiles(f, p->gaps, false);
		format_lag(weir_quantiles_max(p->gaps), lag, sizeof lag);
		fprintf(f, ",\"suggested_within\":\"%s\",\"untracked\":%llu", lag,
		    (unsigned long long)p->untracked);
		char flags[128], q[400];
		dedupe_flags(p, flags, sizeof flags);
		long qn = weir_json_quote(q, sizeof q, 0, flags, strlen(flags));
		fprintf(f, ",\"suggested_dedupe\":%.*s", (int)(qn < 0 ? 0 : qn), q);
	}
	fputs("}\n", f);
}

static void
bar(FILE *f, uint64_t n, uint64_t most)
{
	int width = most ? (int)((n * 40 + most - 1) / most) : 0;
	for (int i = 0; i < width; i++)
		fputs("#", f);
}

static void
report_human(const struct weir_ctx *ctx, const struct profile *p, FILE *f)
{
	static const char *const names[] = {
		"0 (in order)", "<= 1ms", "<= 10ms", "<= 100ms", "<= 1s", "<= 10s", "<= 1m", "> 1m",
	};
	const struct weir_counters *c = &ctx->count;
	char lag[32], buf[WEIR_TIME_BUFSZ];
	fprintf(f, "%-24s %llu\n", "lines", (unsigned long long)(c->in + c->watermarks_in +
	    c->barriers));
	fprintf(f, "%-24s %llu\n", "events", (unsigned long long)p->events);
	fprintf(f, "%-24s %llu\n", "rejected", (unsigned long long)c->rejected);
	if (ctx->time_field_seen)
		fprintf(f, "%-24s %s\n", "time field", ctx->time_field_seen);
	fprintf(f, "%-24s %s\n", "time format", ctx->opts->time_format.kind == WEIR_TF_PATTERN ?
	    ctx->opts->time_format.pattern : repr_name(ctx->repr));
	if (p->events > 0) {
		double span = (double)(p->max - p->min) / 1e9;
		weir_time_format_rfc3339(p->min, buf);
		fprintf(f, "%-24s %s\n", "earliest", buf);
		weir_time_format_rfc3339(p->max, buf);
		fprintf(f, "%-24s %s\n", "latest", buf);
		fprintf(f, "%-24s %.3f s\n", "span", span);
		fprintf(f, "%-24s %.1f (peak %llu in one second)\n", "events per second",
		    span > 0 ? (double)p->events / span : (double)p->events,
		    (unsigned long long)peak_per_second(p));
	}
	fprintf(f, "%-24s p50 %.3fs  p90 %.3fs  p99 %.3fs  p99.9 %.3fs  max %.3fs\n",
	    "disorder", weir_quantiles_value(p->disorder, 0.5),
	    weir_quantiles_value(p->disorder, 0.9), weir_quantiles_value(p->disorder, 0.99),
	    weir_quantiles_value(p->disorder, 0.999), weir_quantiles_max(p->disorder));
	format_lag(weir_quantiles_upper(p->disorder, p->completeness), lag, sizeof lag);
	fprintf(f, "%-24s --lag %s keeps %g%% of events on time\n", "suggested lag", lag,
	    p->completeness * 100);
	int64_t first_out;
	uint64_t nout = outliers(p, &first_out);
	if (nout > 0) {
		weir_time_format_rfc3339(first_out, buf);
		fprintf(f, "%-24s %llu more than a day ahead of the rest (the first %s): "
		    "left out of the disorder; --max-ahead 1d rejects them\n", "outliers",
		    (unsigned long long)nout, buf);
	}
	uint64_t most = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		if (p->hist[i] > most)
			most = p->hist[i];
	fprintf(f, "\ndisorder (how far behind the newest event each arrived)\n");
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		fprintf(f, "  %-14s %10llu  ", names[i], (unsigned long long)p->hist[i]);
		bar(f, p->hist[i], most);
		fputc('\n', f);
	}
	if (p->keys.n > 0) {
		fprintf(f, "\n%-24s %s\n", "key", p->key);
		fprintf(f, "%-24s %.0f (approximate)\n", "distinct keys",
		    weir_distinct_estimate(p->distinct));
		fprintf(f, "%-24s %llu of %llu (%.2f%%)\n", "repeated",
		    (unsigned long long)p->repeats, (unsigned long long)p->with_key,
		    p->with_key ? 100.0 * (double)p->repeats / (double)p->with_key : 0);
		char flags[128];
		dedupe_flags(p, flags, sizeof flags);
		fprintf(f, "%-24s p50 %.3fs  p99 %.3fs  max %.3fs: weir-dedupe %s\n",
		    "repeat gap", weir_quantiles_value(p->gaps, 0.5),
		    weir_quantiles_value(p->gaps, 0.99), weir_quantiles_max(p->gaps), flags);
		if (p->missing_key)
			fprintf(f, "%-24s %llu\n", "events without the key",
			    (unsigned long long)p->missing_key);
	}
}

static int
write_report(struct weir_ctx *ctx)
{
	struct profile *p = ctx->prog_state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return weir_fail(ctx, "out of memory");
	if (p->human)
		report_human(ctx, p, f);
	else
		report_json(ctx, p, f);
	if (fclose(f) != 0) {
		free(text);
		return weir_fail(ctx, "out of memory");
	}
	/* the report goes out through the same writer as every program's lines */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	int rc = weir_emit_row(ctx, text, len);
	free(text);
	return rc;
}

static int
on_end(struct weir_ctx *ctx)
{
	struct profile *p = ctx->prog_state;
	ctx->count.out += p->events;	/* every event went into the report */
	return write_report(ctx);
}

/* --- options -------------------------------------------------------------- */

enum { OPT_KEY = 1, OPT_COMPLETENESS, OPT_HUMAN, OPT_MAX_KEYS };

static const struct weir_optdef own_options[] = {
	{"completeness", 0, 1, OPT_COMPLETENESS, "P"},
	{"human", 0, 0, OPT_HUMAN, NULL},
	{"key", 0, 1, OPT_KEY, "FIELDS"},
	{"max-keys", 0, 1, OPT_MAX_KEYS, "N"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct profile *p = arg;
	char *end;
	switch (id) {
	case OPT_KEY:
		p->key = value;
		return 0;
	case OPT_HUMAN:
		p->human = true;
		return 0;
	case OPT_COMPLETENESS:
		errno = 0;
		p->completeness = strtod(value, &end);
		if (errno || *end || end == value || !(p->completeness > 0) ||
		    !(p->completeness <= 1)) {
			snprintf(err, errlen, "bad fraction '%s' for --completeness "
			    "(expected a number above 0 and at most 1, e.g. 0.999)", value);
			return -1;
		}
		return 0;
	case OPT_MAX_KEYS:
		return weir_option_count("max-keys", value, 1, 1000000000ULL, &p->max_keys, err, errlen);
	}
	return -1;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct profile *p = ctx->prog_state;
	(void)argc;
	(void)argv;
	ctx->interrupt_ends_input = true;	/* Ctrl-C: report what was seen */
	ctx->report_only = true;
	if (weir_keys_option(ctx, &p->keys, "--key", p->key, err, errlen) < 0)
		return -1;
	p->disorder = weir_quantiles_new(0.01);
	p->gaps = weir_quantiles_new(0.01);
	p->distinct = weir_distinct_new();
	if (p->disorder == NULL || p->gaps == NULL || p->distinct == NULL ||
	    (p->keys.n > 0 && table_grow(p) < 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
teardown(void *state)
{
	struct profile *p = state;
	weir_quantiles_free(p->disorder);
	weir_quantiles_free(p->gaps);
	weir_distinct_free(p->distinct);
	free(p->table);
	free(p->keybuf);
	weir_keys_free(&p->keys);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {
		.on_event = on_event, .on_end = on_end, .on_snapshot = write_report,
	};
	static struct profile p = {.completeness = 0.999, .max_keys = 1000000};
	static const struct weir_program program = {
		.name = "weir-profile",
		.synopsis = "weir-profile [--key FIELDS] [--completeness P] [--human] "
		    "[--max-keys N] [options] [FILE ...]",
		.summary = "Describes a stream: event-time span and rate, disorder, the --lag a "
		    "completeness needs, repeated keys.",
		.own_help =
		    "      --completeness P     fraction of events the suggested --lag keeps on time "
		    "(default 0.999)\n"
		    "      --key FIELDS         also measure repeats of these key fields\n"
		    "      --max-keys N         follow at most N keys for repeats (default 1000000)\n"
		    "      --human              a readable table instead of one JSON line\n",
		.options = own_options,
		.option = own_option,
		.state = &p,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
