/*
 * weir-select: filters events and computes members with PostgreSQL's
 * expression language.
 *
 *   --where EXPR (the driver's, as in every program) ──► --set NAME=EXPR
 *   ──► --keep / --drop ──► the line, or with --only a row of the --set
 *   members alone (SQL's SELECT list)
 *
 * A line nothing changes is written as it came.  A changed line keeps the
 * bytes of every member it does not name: a member --set replaces keeps
 * its place and key, a new one goes last, a dropped one leaves with the
 * separator before it.  Every --set sees the event as it came (as the
 * expressions of one SELECT list see one row).
 *
 * Events need no time: weir-select reads one only when an expression asks
 * for event_time().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"
#include "../lib/expr.h"
#include "../lib/program.h"

#define MAX_SETS 64
#define MAX_NAMES 256

struct set {
	const char *spec;	/* NAME=EXPR as given */
	char *name;		/* decoded */
	char *quoted;		/* "name": as it is written */
	struct weir_expr *expr;
	int slot;		/* the member in the plan: is it there to replace? */
	size_t at, len;		/* its value's JSON in vals, per event */
	bool used;		/* replaced a member of this event */
};

struct select {
	struct set sets[MAX_SETS];
	int nsets;
	const char *keep_list, *drop_list;
	char *names[MAX_NAMES];	/* --keep or --drop, decoded */
	int nnames;
	bool keep;		/* names are those kept, not those dropped */
	bool only;		/* the row is the --set members, in their order */
	struct weir_members members;
	struct weir_buf vals, line;
	char *key;		/* a member's decoded name */
	size_t key_cap;
};

/* --- names ----------------------------------------------------------------------- */

/* Splits a comma-separated list of member names (\, and \\ escape) into
 * s->names; -1 with a message. */
static int
parse_names(struct select *s, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	while (*p) {
		if (s->nnames == MAX_NAMES) {
			snprintf(err, errlen, "at most %d names", MAX_NAMES);
			return -1;
		}
		char *name = malloc(strlen(p) + 1);
		if (name == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		size_t n = 0;
		for (; *p && *p != ','; p++) {
			if (*p == '\\' && p[1])
				p++;
			name[n++] = *p;
		}
		name[n] = '\0';
		s->names[s->nnames++] = name;
		if (n == 0) {
			snprintf(err, errlen, "an empty name in '%s'", list);
			return -1;
		}
		if (*p == ',')
			p++;
	}
	return 0;
}

/* The decoded name of a member's key (quotes included in the span). */
static const char *
key_name(struct select *s, const struct weir_span *key, size_t *n)
{
	if (memchr(key->p, '\\', key->n) == NULL) {
		*n = key->n - 2;
		return key->p + 1;
	}
	if (weir_reserve(&s->key, &s->key_cap, key->n + 1) < 0)
		return NULL;
	long k = weir_span_unescape(key, s->key, s->key_cap);
	*n = k < 0 ? 0 : (size_t)k;
	return s->key;
}

static bool
listed(const struct select *s, const char *name, size_t n)
{
	for (int i = 0; i < s->nnames; i++)
		if (strlen(s->names[i]) == n && memcmp(s->names[i], name, n) == 0)
			return true;
	return false;
}

static struct set *
set_named(struct select *s, const char *name, size_t n)
{
	for (int i = s->nsets - 1; i >= 0; i--)	/* the last --set of a name wins */
		if (strlen(s->sets[i].name) == n && memcmp(s->sets[i].name, name, n) == 0)
			return &s->sets[i];
	return NULL;
}

/* --- events ------------------------------------------------------------------------- */

static int
add(struct select *s, const char *p, size_t n)
{
	return weir_buf_add(&s->line, p, n);
}

/* Adds the members of the --set that found none in the line (the last
 * --set of each name), a comma first when the object has members (any). */
static int
add_new(struct select *s, bool any)
{
	int rc = 0;
	for (int i = 0; i < s->nsets && rc == 0; i++) {
		struct set *set = &s->sets[i];
		if (set->used || set_named(s, set->name, strlen(set->name)) != set)
			continue;
		if (any)
			rc |= add(s, ",", 1);
		rc |= weir_buf_str(&s->line, set->quoted) | add(s, ":", 1) |
		    add(s, s->vals.p + set->at, set->len);
		any = true;
	}
	return rc;
}

/* Writes the event with its members set, kept or dropped. */
static int
rewrite(struct weir_ctx *ctx, struct select *s, const struct weir_event *ev)
{
	int nm = weir_members_of(&s->members, ev->line, ev->len, ev->clean);
	if (nm < 0)
		return weir_fail(ctx, "out of memory");
	const struct weir_member *m = s->members.v;
	const char *line = ev->line, *open = memchr(line, '{', ev->len);
	s->line.n = 0;
	int rc = add(s, line, (size_t)(open - line) + 1);
	bool any = false;
	for (int i = 0; i < nm && rc == 0; i++) {
		size_t n;
		const char *name = key_name(s, &m[i].key, &n);
		if (name == NULL)
			return weir_fail(ctx, "out of memory");
		struct set *set = set_named(s, name, n);
		if (set == NULL && s->nnames > 0 && listed(s, name, n) != s->keep)
			continue;
		/* what came before it: '{' and spaces, or a comma and spaces */
		const char *from = i == 0 ? open + 1 : m[i - 1].value.p + m[i - 1].value.n;
		const char *to = m[i].key.p;
		if (!any && i > 0) {
			const char *comma = memchr(from, ',', (size_t)(to - from));
			from = comma ? comma + 1 : from;
		}
		rc |= add(s, from, (size_t)(to - from));
		if (set) {
			set->used = true;
			rc |= add(s, m[i].key.p, (size_t)(m[i].value.p - m[i].key.p));
			rc |= add(s, s->vals.p + set->at, set->len);
		} else {
			rc |= add(s, m[i].key.p, (size_t)(m[i].value.p + m[i].value.n - m[i].key.p));
		}
		any = true;
	}
	const char *tail = nm > 0 ? m[nm - 1].value.p + m[nm - 1].value.n : open + 1;
	const char *close = memrchr(tail, '}', (size_t)(line + ev->len - tail));
	rc |= add(s, tail, (size_t)(close - tail)) | add_new(s, any);
	rc |= add(s, close, (size_t)(line + ev->len - close));
	if (rc != 0)
		return weir_fail(ctx, "out of memory");
	ctx->count.out++;
	return weir_emit_row(ctx, s->line.p, s->line.n);
}

/* --only: a new object of the --set members (the last --set of each
 * name), in the order given, as SQL's SELECT list makes a row. */
static int
only(struct weir_ctx *ctx, struct select *s)
{
	s->line.n = 0;
	if ((add(s, "{", 1) | add_new(s, false) | add(s, "}", 1)) != 0)
		return weir_fail(ctx, "out of memory");
	ctx->count.out++;
	return weir_emit_row(ctx, s->line.p, s->line.n);
}

/* --set without --keep or --drop: the members found by the scan are
 * replaced where they are, the others added before the closing brace; no
 * walk over the line's members. */
static int
splice(struct weir_ctx *ctx, struct select *s, const struct weir_event *ev)
{
	const struct weir_span *at[MAX_SETS];
	struct set *by[MAX_SETS];
	int n = 0;
	for (int i = 0; i < s->nsets; i++) {
		struct set *set = &s->sets[i];
		const struct weir_span *sp = &ev->fields[set->slot];
		set->used = sp->p != NULL;
		if (!set->used || set_named(s, set->name, strlen(set->name)) != set)
			continue;
		int k = n++;	/* in the order of the line */
		for (; k > 0 && at[k - 1]->p > sp->p; k--) {
			at[k] = at[k - 1];
			by[k] = by[k - 1];
		}
		at[k] = sp;
		by[k] = set;
	}
	const char *line = ev->line, *end = line + ev->len, *p = line;
	const char *close = memrchr(line, '}', ev->len);
	s->line.n = 0;
	int rc = 0;
	for (int k = 0; k < n; k++) {
		rc |= add(s, p, (size_t)(at[k]->p - p)) | add(s, s->vals.p + by[k]->at, by[k]->len);
		p = at[k]->p + at[k]->n;
	}
	const char *q = close - 1;	/* does the object have a member before close? */
	while (q > line && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
		q--;
	rc |= add(s, p, (size_t)(close - p)) | add_new(s, *q != '{');
	rc |= add(s, close, (size_t)(end - close));
	if (rc != 0)
		return weir_fail(ctx, "out of memory");
	ctx->count.out++;
	return weir_emit_row(ctx, s->line.p, s->line.n);
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	struct select *s = ctx->prog_state;
	if (s->nsets == 0 && s->nnames == 0)
		return weir_emit(ctx, ev->line, ev->len);
	s->vals.n = 0;
	for (int i = 0; i < s->nsets; i++) {
		struct set *set = &s->sets[i];
		struct weir_value v;
		const char *why;
		if (weir_expr_eval(set->expr, ev->fields, ev->t, &v, &why) < 0) {
			char msg[400];
			snprintf(msg, sizeof msg, "--set '%.*s': %s", 200, set->spec, why);
			return weir_reject(ctx, ev, msg);
		}
		set->at = s->vals.n;
		if (weir_value_json(&v, &s->vals) < 0)
			return weir_fail(ctx, "out of memory");
		set->len = s->vals.n - set->at;
		set->used = false;
	}
	if (s->only)
		return only(ctx, s);
	return s->nnames == 0 ? splice(ctx, s, ev) : rewrite(ctx, s, ev);
}

/* --- options ---------------------------------------------------------------------- */

enum { OPT_SET = 1, OPT_KEEP, OPT_DROP, OPT_ONLY };

static const struct weir_optdef own_options[] = {
	{"set", 0, 1, OPT_SET, "NAME=EXPR"},
	{"keep", 0, 1, OPT_KEEP, "NAMES"},
	{"drop", 0, 1, OPT_DROP, "NAMES"},
	{"only", 0, 0, OPT_ONLY, NULL},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct select *s = arg;
	switch (id) {
	case OPT_SET:
		if (s->nsets == MAX_SETS) {
			snprintf(err, errlen, "at most %d --set", MAX_SETS);
			return -1;
		}
		s->sets[s->nsets++].spec = value;
		return 0;
	case OPT_ONLY:
		s->only = true;
		return 0;
	case OPT_KEEP:
	case OPT_DROP:
		if (s->keep_list || s->drop_list) {
			snprintf(err, errlen, "one --keep or one --drop (names separated by commas)");
			return -1;
		}
		*(id == OPT_KEEP ? &s->keep_list : &s->drop_list) = value;
		return 0;
	}
	return -1;
}

/* NAME=EXPR into a set: the name trimmed of spaces, the expression
 * compiled; -1 with a message. */
static int
compile_set(struct weir_ctx *ctx, struct set *set, char *err, size_t errlen)
{
	const char *eq = strchr(set->spec, '=');
	const char *b = set->spec, *e = eq ? eq : b;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (eq == NULL || e == b) {
		snprintf(err, errlen, "bad --set '%s' (expected NAME=EXPR, e.g. "
		    "--set 'sec = latency_ms / 1000')", set->spec);
		return -1;
	}
	size_t n = (size_t)(e - b);
	set->name = strndup(b, n);
	set->quoted = malloc(6 * n + 3);
	if (set->name == NULL || set->quoted == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	long q = weir_json_quote(set->quoted, 6 * n + 3, 0, set->name, n);
	set->quoted[q < 0 ? 0 : q] = '\0';
	char path[1024];	/* the name as a plan path: dots, commas, backslashes escaped */
	size_t k = 0;
	for (size_t i = 0; i < n && k + 2 < sizeof path; i++) {
		if (strchr(".,\\", set->name[i]))
			path[k++] = '\\';
		path[k++] = set->name[i];
	}
	path[k] = '\0';
	if ((set->slot = weir_plan_add(ctx->plan, path)) < 0) {
		snprintf(err, errlen, "bad --set name '%s'", set->name);
		return -1;
	}
	char msg[1024];
	set->expr = weir_expr_compile(eq + 1, ctx->plan, msg, sizeof msg);
	if (set->expr == NULL) {
		snprintf(err, errlen, "bad --set %s: %s", set->name, msg);
		return -1;
	}
	return 0;
}

static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct select *s = ctx->prog_state;
	(void)argc;
	(void)argv;
	bool timed = ctx->where && weir_expr_uses_time(ctx->where);
	for (int i = 0; i < s->nsets; i++) {
		if (compile_set(ctx, &s->sets[i], err, errlen) < 0)
			return -1;
		timed |= weir_expr_uses_time(s->sets[i].expr);
	}
	const char *list = s->keep_list ? s->keep_list : s->drop_list;
	s->keep = s->keep_list != NULL;
	if (s->only && (list || s->nsets == 0)) {
		snprintf(err, errlen, list ? "--only makes the row of the --set members: no --keep "
		    "or --drop with it" : "--only makes the row of the --set members: give them");
		return -1;
	}
	if (list && parse_names(s, list, err, errlen) < 0)
		return -1;
	ctx->untimed = !timed;
	return 0;	/* every operand is an input file */
}

static void
teardown(void *state)
{
	struct select *s = state;
	for (int i = 0; i < s->nsets; i++) {
		weir_expr_free(s->sets[i].expr);
		free(s->sets[i].name);
		free(s->sets[i].quoted);
	}
	for (int i = 0; i < s->nnames; i++)
		free(s->names[i]);
	weir_members_free(&s->members);
	weir_buf_free(&s->vals);
	weir_buf_free(&s->line);
	free(s->key);
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, NULL, NULL, NULL};
	static struct select s;
	static const struct weir_program program = {
		.name = "weir-select",
		.synopsis = "weir-select [--where EXPR] [--set NAME=EXPR ...] [--keep NAMES | "
		    "--drop NAMES | --only] [options] [FILE ...]",
		.summary = "Filters events and computes members with PostgreSQL's expressions.",
		.own_help = "      --set NAME=EXPR      add or replace member NAME (repeatable)\n"
		    "      --keep NAMES         only these top-level members (commas between)\n"
		    "      --drop NAMES         all but these top-level members\n"
		    "      --only               the row is the --set members alone, in their order\n",
		.options = own_options,
		.option = own_option,
		.state = &s,
		.hooks = &hooks,
		.setup = setup,
		.teardown = teardown,
	};
	return weir_program_main(&program, argc, argv);
}
