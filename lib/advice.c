/*
 * advice.c: what went wrong with the input, once, with the fix (advice.h).
 */
#include "advice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtime.h"
#include "fields.h"

static uint64_t
text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int
weir_advice_warn(struct weir_advice *a, const char *why)
{
	uint64_t h = text_hash(why);
	struct weir_cause *c = NULL;
	for (int i = 0; i < a->ncauses && c == NULL; i++)
		if (a->causes[i].hash == h && strncmp(a->causes[i].why, why,
		    sizeof a->causes[i].why - 1) == 0)
			c = &a->causes[i];
	if (c == NULL) {
		if (a->ncauses == WEIR_CAUSES) {
			a->others++;
			return 0;
		}
		c = &a->causes[a->ncauses++];
		c->hash = h;
		c->count = 0;
		snprintf(c->why, sizeof c->why, "%s", why);
	}
	c->count++;
	return c->count < WEIR_WARN_FIRST ? 1 : c->count == WEIR_WARN_FIRST ? 2 : 0;
}

int
weir_advice_summary(const struct weir_advice *a, const char *prog, struct weir_buf *out)
{
	int rc = 0;
	for (int i = 0; i < a->ncauses && rc == 0; i++)
		if (a->causes[i].count > WEIR_WARN_FIRST)
			rc = weir_buf_printf(out, "%s: %llu lines in all: %s\n", prog,
			    (unsigned long long)a->causes[i].count, a->causes[i].why);
	if (rc == 0 && a->others > 0)
		rc = weir_buf_printf(out, "%s: %llu lines rejected for other reasons\n", prog,
		    (unsigned long long)a->others);
	return rc;
}

static void
keep(char **dst, size_t *dlen, const char *line, size_t len)
{
	if (*dst != NULL || len > WEIR_SAMPLE_MAX)
		return;	/* (a longer line is not kept whole: the next one may be) */
	if ((*dst = malloc(len + 1)) == NULL)
		return;
	memcpy(*dst, line, len);
	(*dst)[len] = '\0';
	*dlen = len;
}

void
weir_advice_time_reject(struct weir_advice *a, const char *line, size_t len, const char *why)
{
	if (a->time_rejects++ == 0)
		snprintf(a->time_why, sizeof a->time_why, "%s", why ? why : "no event time");
	keep(&a->time_sample, &a->time_sample_len, line, len);
}

void
weir_advice_event(struct weir_advice *a, const char *line, size_t len)
{
	keep(&a->event_sample, &a->event_sample_len, line, len);
}

/* --- a rejected line, explained -------------------------------------------------- */

const char *
weir_advice_explain(const char *line, size_t len, const char *why)
{
	const unsigned char *u = (const unsigned char *)line;
	bool le = len >= 4 && u[0] && !u[1] && u[2] && !u[3];	/* "{\0"\0" */
	bool be = len >= 4 && !u[0] && u[1] && !u[2] && u[3];
	if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff) ||
	    le || be))
		return "UTF-16 text (a byte-order mark FF FE or FE FF, or a zero byte in every "
		    "other): weir reads UTF-8; convert it with iconv -f UTF-16 -t UTF-8";
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return "a UTF-8 byte-order mark inside the input (files joined with cat?): "
		    "sed 's/^\\xEF\\xBB\\xBF//' removes it";
	size_t a = 0, b = len;
	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	size_t n = b - a;
	const char *t = line + a;
	if ((n == 1 && strchr("{[}]", t[0])) || (n == 2 && (memcmp(t, "},", 2) == 0 ||
	    memcmp(t, "],", 2) == 0 || memcmp(t, "[{", 2) == 0)) ||
	    (a > 0 && n > 0 && (t[0] == '"' || t[0] == '}' || t[0] == ']')))
		return "part of a pretty-printed JSON value (as jq without -c or mlr --ojson "
		    "write): weir reads an object a line; -i json-text reads any JSON text";
	if (n > 0 && t[0] == '[')
		return "a JSON array: weir reads an object a line; -i json-text reads the array's "
		    "members";
	if (memchr(line, '\r', len))
		return "carriage returns inside the line (text whose lines end in CR alone?): "
		    "tr '\\r' '\\n' makes them newlines";
	if (strcmp(why, "text after the object") == 0 && n > 0 && t[0] == '{' &&
	    (memmem(t, n, "}{", 2) || memmem(t, n, "} {", 3) || memmem(t, n, "},{", 3)))
		return "several JSON objects on one line: -i json-text reads each";
	return why;
}

/* --- the members of a sample line ---------------------------------------------- */

/* Patterns that common logs write times in, tried on a string member that
 * is no RFC 3339 or epoch time. */
static const char *const patterns[] = {
	"%d/%b/%Y:%H:%M:%S %z",		/* nginx and Apache $time_local */
	"%a, %d %b %Y %H:%M:%S %Z",	/* HTTP dates, RFC 1123 */
	"%Y/%m/%d %H:%M:%S",
	"%d/%m/%Y %H:%M:%S",
	"%m/%d/%Y %H:%M:%S",
};

/* From 1990 to 2100: what a log's event time can be. */
static bool
plausible(int64_t t)
{
	return t >= 631152000LL * 1000000000LL && t < 4102444800LL * 1000000000LL;
}

/* Calls fn with the path and value of each member of an object line, and
 * of each member of an object among them (as a.b), in order. */
typedef void path_fn(void *arg, const char *path, const struct weir_span *value);

struct paths {
	path_fn *fn;
	void *arg;
	char prefix[256];
	bool nested;
};

static int
path_member(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	struct paths *ps = arg;
	char name[200], path[512];
	if (weir_span_unescape(key, name, sizeof name) < 0)
		return 0;
	snprintf(path, sizeof path, "%s%s", ps->prefix, name);
	ps->fn(ps->arg, path, value);
	if (value->n > 0 && value->p[0] == '{' && !ps->nested) {
		struct paths inner = {ps->fn, ps->arg, "", true};
		snprintf(inner.prefix, sizeof inner.prefix, "%.250s.", path);
		weir_members(value->p, value->n, path_member, &inner);
	}
	return 0;
}

static void
walk_paths(const char *line, size_t len, path_fn *fn, void *arg)
{
	struct paths ps = {fn, arg, "", false};
	weir_members(line, len, path_member, &ps);
}

struct walk {
	struct weir_buf *names;		/* "a, b, c.d" */
	struct weir_buf *times;		/* "-t a" or "-t b -T 'P'", one a line */
	int nnames;
	int rc;
};

/* A member of the line rejected for its time: listed, and offered as -t
 * (with -T) when its value reads as a plausible time. */
static void
time_member(void *arg, const char *path, const struct weir_span *value)
{
	static const struct weir_timefmt auto_format = {WEIR_TF_AUTO, NULL};
	struct walk *w = arg;
	if (w->nnames < 24)
		w->rc |= weir_buf_printf(w->names, "%s%s", w->nnames ? ", " : "", path);
	else if (w->nnames == 24)
		w->rc |= weir_buf_str(w->names, ", ...");
	w->nnames++;
	int64_t t;
	const char *why;
	if (value->n > 0 && value->p[0] == '{')
		return;	/* its members come next */
	if (weir_time_from_json(&auto_format, value->p, value->n, &t, NULL, &why) == 0 &&
	    plausible(t)) {
		w->rc |= weir_buf_printf(w->times, "-t %s\n", path);
		return;
	}
	if (value->n < 2 || value->p[0] != '"')
		return;
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		struct weir_timefmt tf;
		if (weir_timefmt_parse(&tf, patterns[i]) < 0)
			continue;
		int ok = weir_time_from_json(&tf, value->p, value->n, &t, NULL, &why) == 0 &&
		    plausible(t);
		weir_timefmt_free(&tf);
		if (ok) {
			w->rc |= weir_buf_printf(w->times, "-t %s -T '%s'\n", path, patterns[i]);
			return;
		}
	}
}

int
weir_advice_no_time(const struct weir_advice *a, const char *prog, struct weir_buf *out)
{
	struct weir_buf names = {0}, times = {0};
	struct walk w = {&names, &times, 0, 0};
	if (a->time_sample && a->time_sample[0] == '{')
		walk_paths(a->time_sample, a->time_sample_len, time_member, &w);
	int rc = w.rc | weir_buf_add(&names, "", 1) | weir_buf_add(&times, "", 1);
	if (rc == 0)
		rc = weir_buf_printf(out, "%s: no line had a usable event time (%llu line%s rejected "
		    "for it, the first: %s)\n", prog, (unsigned long long)a->time_rejects,
		    a->time_rejects == 1 ? "" : "s", a->time_why);
	if (rc == 0 && w.nnames > 0)
		rc = weir_buf_printf(out, "%s: one of them has %s\n", prog, names.p);
	if (rc == 0 && times.n > 1) {
		/* each suggestion on a line of its own, the first the likeliest */
		for (char *s = times.p, *nl; rc == 0 && (nl = strchr(s, '\n')); s = nl + 1)
			rc = weir_buf_printf(out, "%s: try %.*s\n", prog, (int)(nl - s), s);
	} else if (rc == 0) {
		rc = weir_buf_printf(out, "%s: name the time field with -t FIELD, and its format "
		    "with -T FORMAT (weir(7), EVENT TIME), or use --processing-time\n", prog);
	}
	weir_buf_free(&names);
	weir_buf_free(&times);
	return rc;
}

/* --- how late ----------------------------------------------------------------------- */

static int
lateness_bucket(int64_t ns)
{
	if (ns < 8)
		return ns < 0 ? 0 : (int)ns;
	int b = 63 - __builtin_clzll((unsigned long long)ns);	/* 3..62 */
	return b * 8 + (int)((ns >> (b - 3)) & 7);
}

/* The largest ns of bucket i. */
static int64_t
lateness_bound(int i)
{
	if (i < 8)
		return i;
	int b = i / 8, sub = i % 8;
	return (((int64_t)8 + sub + 1) << (b - 3)) - 1;
}

void
weir_lateness_add(struct weir_lateness *l, int64_t ns)
{
	l->n++;
	if (ns > l->max)
		l->max = ns;
	l->count[lateness_bucket(ns)]++;
}

int64_t
weir_lateness_upper(const struct weir_lateness *l, double rank)
{
	if (l->n == 0)
		return 0;
	uint64_t want = (uint64_t)(rank * (double)l->n + 0.999999), seen = 0;
	if (want == 0)
		want = 1;
	for (int i = 0; i < 512; i++) {
		seen += l->count[i];
		if (seen >= want)
			return lateness_bound(i) < l->max ? lateness_bound(i) : l->max;
	}
	return l->max;
}

/* --- names near a name ------------------------------------------------------------ */

size_t
weir_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 200 || m > 200)
		return cap + 1;
	if ((n > m ? n - m : m - n) > cap)
		return cap + 1;
	/* three rows of the Damerau-Levenshtein table (optimal string alignment) */
	size_t rows[3][201];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m] > cap ? cap + 1 : prev[m];
}

struct near {
	const char *name;
	size_t cap;
	struct weir_buf *out;
	int found;
	int rc;
};

static void
near_member(void *arg, const char *path, const struct weir_span *value)
{
	struct near *nr = arg;
	(void)value;
	if (nr->found < 3 && weir_edit_distance(nr->name, path, nr->cap) <= nr->cap) {
		nr->rc |= weir_buf_printf(nr->out, "%s'%s'", nr->found ? ", " : "", path);
		nr->found++;
	}
}

int
weir_advice_nearest(const struct weir_advice *a, const char *name, struct weir_buf *out)
{
	if (a->event_sample == NULL)
		return 0;
	size_t len = strlen(name);
	struct near nr = {name, len <= 4 ? 1 : len <= 8 ? 2 : 3, out, 0, 0};
	walk_paths(a->event_sample, a->event_sample_len, near_member, &nr);
	return nr.rc ? -1 : 0;
}

void
weir_advice_free(struct weir_advice *a)
{
	free(a->time_sample);
	free(a->event_sample);
	a->time_sample = a->event_sample = NULL;
}
