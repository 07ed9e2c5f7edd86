/*
 * expr.c: compiling PostgreSQL's parse tree of an expression into nodes,
 * and evaluating them (expr.h).
 *
 * libpg_query parses "SELECT <text>" and hands back its tree as JSON, read
 * with jansson once at start (pgparse.h: loaded the first time an
 * expression is compiled).  Each node evaluates its arguments, then
 * itself, with SQL's rules: NULL in, NULL out for operators and most
 * functions; AND, OR and NOT in three-valued logic; CASE, COALESCE and the
 * IS tests look at NULL themselves.  Regular expressions are PCRE2's,
 * compiled with its JIT once for a constant pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtime.h"
#include "exprfn.h"
#include "pgparse.h"

enum op {
	N_CONST, N_FIELD, N_NEG, N_NOT, N_AND, N_OR, N_ARITH, N_CMP, N_CONCAT,
	N_NULLTEST, N_BOOLTEST, N_DISTINCT, N_IN, N_BETWEEN, N_LIKE, N_REGEX, N_REGEX_REPLACE,
	N_CASE, N_COALESCE, N_NULLIF, N_GREATEST, N_LEAST, N_CAST, N_FUNC,
};

enum cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };
enum cast { T_INT2, T_INT4, T_INT8, T_FLOAT, T_NUMERIC, T_TEXT, T_BOOL, T_TIME, T_INTERVAL };
enum booltest { B_TRUE, B_NOT_TRUE, B_FALSE, B_NOT_FALSE, B_UNKNOWN, B_NOT_UNKNOWN };

struct regex {
	pcre2_code *code;
	pcre2_match_data *md;
	char *pattern;		/* the text it was compiled from (a pattern
				   computed per event is compiled again when it
				   changes) */
	size_t plen;
	bool caseless;
};

struct node {
	enum op op;
	int sub;		/* the operator: '+', enum cmp, enum cast ... */
	bool negate;		/* NOT IN, NOT LIKE, !~, IS NOT ... */
	bool caseless;		/* ILIKE, ~* */
	bool symmetric;		/* BETWEEN SYMMETRIC */
	int loc;		/* where it is in the text */
	struct weir_value k;	/* N_CONST */
	int slot;		/* N_FIELD */
	char *path;		/* N_FIELD */
	const struct weir_fndef *fn;
	struct node **args;
	int nargs;
	struct node *dflt;	/* CASE's ELSE, simple CASE's operand in args[0] */
	bool simple_case;
	int field_vs_int;	/* N_CMP of a field (args[0] when 1, args[1] when
				   2) and an integer constant; 0 otherwise */
	struct regex re;
	char *owned;		/* a constant's text */
};

struct weir_expr {
	char *text;
	struct node *root;
	struct weir_scratch sc;
	struct node **fields;	/* for weir_expr_fields */
	int nfields, capfields;
	char msg[256];
	const char *why;
	int64_t t;
	const struct weir_span *spans;	/* the event being evaluated */
};

/* --- nodes ------------------------------------------------------------------------ */

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < n->nargs; i++)
		node_free(n->args[i]);
	free(n->args);
	node_free(n->dflt);
	free(n->path);
	free(n->owned);
	free(n->re.pattern);
	if (n->re.md)
		pcre2_match_data_free(n->re.md);
	if (n->re.code)
		pcre2_code_free(n->re.code);
	free(n);
}

void
weir_expr_free(struct weir_expr *e)
{
	if (e == NULL)
		return;
	node_free(e->root);
	free(e->fields);
	free(e->text);
	weir_scratch_free(&e->sc);
	free(e);
}

const char *
weir_expr_text(const struct weir_expr *e)
{
	return e->text;
}

static bool
uses_time(const struct node *n)
{
	if (n == NULL)
		return false;
	if (n->op == N_FUNC && strcmp(n->fn->name, "event_time") == 0)
		return true;
	for (int i = 0; i < n->nargs; i++)
		if (uses_time(n->args[i]))
			return true;
	return uses_time(n->dflt);
}

bool
weir_expr_uses_time(const struct weir_expr *e)
{
	return uses_time(e->root);
}

void
weir_expr_fields(const struct weir_expr *e, void (*f)(void *arg, const char *path, int slot),
    void *arg)
{
	for (int i = 0; i < e->nfields; i++)
		f(arg, e->fields[i]->path, e->fields[i]->slot);
}

/* --- compiling --------------------------------------------------------------------- */

struct compiler {
	struct weir_expr *e;
	struct weir_plan *plan;
	char *err;
	size_t errlen;
	int failed_at;		/* position in the text of the first error */
	bool failed;
};

/* A compile error at text position loc (-1: none known). */
static struct node *
fail(struct compiler *c, int loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct node *
fail(struct compiler *c, int loc, const char *fmt, ...)
{
	if (!c->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		c->failed = true;
		c->failed_at = loc;
	}
	return NULL;
}

static struct node *
node_new(struct compiler *c, enum op op, int loc, int nargs)
{
	struct node *n = calloc(1, sizeof *n);
	if (n == NULL || (nargs > 0 && (n->args = calloc((size_t)nargs, sizeof *n->args)) == NULL)) {
		free(n);
		return fail(c, -1, "out of memory");
	}
	n->op = op;
	n->loc = loc;
	n->nargs = nargs;
	return n;
}

static int
location(json_t *o)
{
	json_t *l = json_object_get(o, "location");
	return json_is_integer(l) ? (int)json_integer_value(l) - 7 : -1;	/* "SELECT " */
}

static const char *
sval(json_t *s)
{
	json_t *str = json_object_get(s, "String");
	json_t *v = str ? json_object_get(str, "sval") : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static struct node *compile(struct compiler *c, json_t *tree);

static struct node *
compile_list(struct compiler *c, struct node *n, json_t *list, int from)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if ((n->args[from + (int)i] = compile(c, json_array_get(list, i))) == NULL) {
			node_free(n);
			return NULL;
		}
	return n;
}

/* The integer literal at text position loc (a sign, then digits). */
static int
literal_int(struct compiler *c, int loc, int64_t *v)
{
	const char *text = c->e->text;
	if (loc < 0 || (size_t)loc >= strlen(text))
		return -1;
	const char *p = text + loc;
	bool neg = *p == '-';
	/* the parser folds -(1), - 1 and a minus before a comment into a constant too */
	for (p += neg; neg && *p;) {
		if (isspace((unsigned char)*p) || *p == '(') {
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else {
			break;
		}
	}
	char buf[32];
	size_t n = 0;
	while (isdigit((unsigned char)p[n]) && n < sizeof buf - 2)
		n++;
	if (n == 0)
		return -1;
	buf[0] = '-';
	memcpy(buf + 1, p, n);
	buf[n + 1] = '\0';
	char *end;
	errno = 0;
	long long x = strtoll(neg ? buf : buf + 1, &end, 10);
	if (errno != 0)
		return -1;
	*v = x;
	return 0;
}

static struct node *
constant(struct compiler *c, json_t *a)
{
	struct node *n = node_new(c, N_CONST, location(a), 0);
	if (n == NULL)
		return NULL;
	json_t *v;
	if (json_is_true(json_object_get(a, "isnull"))) {
		n->k.type = WEIR_V_NULL;
	} else if ((v = json_object_get(a, "ival"))) {
		/* libpg_query's JSON leaves the value out for 0 and for negative
		 * numbers alike: those are read from the text */
		json_t *i = json_object_get(v, "ival");
		n->k = (struct weir_value){.type = WEIR_V_INT, .i = i ? json_integer_value(i) : 0};
		if (i == NULL && literal_int(c, n->loc, &n->k.i) < 0) {
			fail(c, n->loc, "a number weir cannot read");
			node_free(n);
			return NULL;
		}
	} else if ((v = json_object_get(a, "fval"))) {
		const char *f = json_string_value(json_object_get(v, "fval"));
		if (f == NULL || weir_number_parse(f, strlen(f), &n->k) < 0) {
			node_free(n);
			return fail(c, location(a), "a number out of range");
		}
	} else if ((v = json_object_get(a, "boolval"))) {
		n->k = (struct weir_value){.type = WEIR_V_BOOL,
		    .b = json_is_true(json_object_get(v, "boolval"))};
	} else if ((v = json_object_get(a, "sval"))) {
		json_t *s = json_object_get(v, "sval");
		const char *t = s ? json_string_value(s) : "";
		n->owned = strdup(t ? t : "");
		if (n->owned == NULL) {
			node_free(n);
			return fail(c, -1, "out of memory");
		}
		n->k = (struct weir_value){.type = WEIR_V_TEXT, .s = n->owned, .n = strlen(n->owned)};
	} else if ((v = json_object_get(a, "bsval"))) {
		node_free(n);
		return fail(c, location(a), "bit strings are not supported");
	}
	return n;
}

/* A member name as a field path: dots, commas and backslashes escaped. */
static int
append_member(char *path, size_t cap, size_t *len, const char *name)
{
	if (*len > 0) {
		if (*len + 1 >= cap)
			return -1;
		path[(*len)++] = '.';
	}
	for (const char *p = name; *p; p++) {
		if (*len + 2 >= cap)
			return -1;
		if (*p == '.' || *p == ',' || *p == '\\')
			path[(*len)++] = '\\';
		path[(*len)++] = *p;
	}
	path[*len] = '\0';
	return 0;
}

static struct node *
field(struct compiler *c, json_t *ref)
{
	json_t *fields = json_object_get(ref, "fields");
	char path[1024];
	size_t len = 0;
	path[0] = '\0';
	for (size_t i = 0; i < json_array_size(fields); i++) {
		const char *name = sval(json_array_get(fields, i));
		if (name == NULL)
			return fail(c, location(ref), "'*' is not a field: name the fields");
		if (append_member(path, sizeof path, &len, name) < 0)
			return fail(c, location(ref), "a field path longer than %zu bytes",
			    sizeof path - 2);
	}
	struct node *n = node_new(c, N_FIELD, location(ref), 0);
	if (n == NULL)
		return NULL;
	n->path = strdup(path);
	n->slot = n->path ? weir_plan_add(c->plan, path) : -1;
	if (n->slot < 0) {
		node_free(n);
		return fail(c, location(ref), "bad field path '%s'", path);
	}
	struct weir_expr *e = c->e;
	if (e->nfields == e->capfields) {
		int cap = e->capfields ? 2 * e->capfields : 8;
		struct node **f = realloc(e->fields, (size_t)cap * sizeof *f);
		if (f == NULL) {
			node_free(n);
			return fail(c, -1, "out of memory");
		}
		e->fields = f;
		e->capfields = cap;
	}
	e->fields[e->nfields++] = n;
	return n;
}

static const char *
op_name(json_t *a)
{
	json_t *names = json_object_get(a, "name");
	size_t k = json_array_size(names);
	return k ? sval(json_array_get(names, k - 1)) : NULL;
}

static struct node *
binary(struct compiler *c, enum op op, int sub, json_t *a)
{
	json_t *l = json_object_get(a, "lexpr"), *r = json_object_get(a, "rexpr");
	struct node *n = node_new(c, op, location(a), 2);
	if (n == NULL)
		return NULL;
	n->sub = sub;
	if ((n->args[0] = compile(c, l)) == NULL || (n->args[1] = compile(c, r)) == NULL) {
		node_free(n);
		return NULL;
	}
	/* a string constant in arithmetic is a number, a time or an interval
	 * (as PostgreSQL reads an untyped literal there), or a mistake found now */
	for (int i = 0; op == N_ARITH && i < 2; i++) {
		const struct weir_value *k = &n->args[i]->k;
		struct weir_value x;
		int64_t t;
		if (n->args[i]->op == N_CONST && k->type == WEIR_V_TEXT &&
		    weir_number_parse(k->s, k->n, &x) < 0 && weir_interval_parse(k->s, k->n, &t) < 0 &&
		    weir_time_parse_rfc3339(k->s, k->n, &t) < 0) {
			fail(c, n->args[i]->loc, "invalid input syntax for type numeric: \"%.60s\"",
			    k->s);
			node_free(n);
			return NULL;
		}
	}
	return n;
}

static int
compile_regex(struct regex *re, const char *pat, size_t n, bool caseless, char *err,
    size_t errlen);

/* What someone used to jq, JavaScript or C meant by an operator SQL has
 * not. */
static const char *
operator_hint(const char *name)
{
	if (strcmp(name, "==") == 0)
		return " (SQL's equality is =)";
	if (strcmp(name, "&&") == 0)
		return " (SQL's conjunction is AND)";
	if (strcmp(name, "!") == 0)
		return " (SQL's negation is NOT)";
	return "";
}

static struct node *
operator(struct compiler *c, json_t *a)
{
	const char *name = op_name(a);
	int loc = location(a);
	if (name == NULL)
		return fail(c, loc, "an operator weir does not know");
	if (json_object_get(a, "lexpr") == NULL) {	/* prefix */
		struct node *n = node_new(c, N_NEG, loc, 1);
		if (n == NULL)
			return NULL;
		if (strcmp(name, "-") != 0 && strcmp(name, "+") != 0) {
			node_free(n);
			return fail(c, loc, "operator does not exist: %s%s", name, operator_hint(name));
		}
		n->sub = name[0];
		if ((n->args[0] = compile(c, json_object_get(a, "rexpr"))) == NULL) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	static const struct {
		const char *name;
		enum op op;
		int sub;
		bool negate, caseless;
	} ops[] = {
		{"+", N_ARITH, '+', 0, 0}, {"-", N_ARITH, '-', 0, 0}, {"*", N_ARITH, '*', 0, 0},
		{"/", N_ARITH, '/', 0, 0}, {"%", N_ARITH, '%', 0, 0}, {"^", N_ARITH, '^', 0, 0},
		{"||", N_CONCAT, 0, 0, 0},
		{"=", N_CMP, C_EQ, 0, 0}, {"<>", N_CMP, C_NE, 0, 0}, {"!=", N_CMP, C_NE, 0, 0},
		{"<", N_CMP, C_LT, 0, 0}, {"<=", N_CMP, C_LE, 0, 0}, {">", N_CMP, C_GT, 0, 0},
		{">=", N_CMP, C_GE, 0, 0},
		{"~", N_REGEX, 0, 0, 0}, {"~*", N_REGEX, 0, 0, 1}, {"!~", N_REGEX, 0, 1, 0},
		{"!~*", N_REGEX, 0, 1, 1},
		{"~~", N_LIKE, 0, 0, 0}, {"!~~", N_LIKE, 0, 1, 0}, {"~~*", N_LIKE, 0, 0, 1},
		{"!~~*", N_LIKE, 0, 1, 1},
	};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
		if (strcmp(ops[i].name, name) != 0)
			continue;
		struct node *n = binary(c, ops[i].op, ops[i].sub, a);
		if (n == NULL)
			return NULL;
		n->negate = ops[i].negate;
		n->caseless = ops[i].caseless;
		if (n->op == N_REGEX && n->args[1]->op == N_CONST &&
		    n->args[1]->k.type == WEIR_V_TEXT) {
			char err[256];
			if (compile_regex(&n->re, n->args[1]->k.s, n->args[1]->k.n, n->caseless,
			    err, sizeof err) < 0) {
				node_free(n);
				return fail(c, location(json_object_get(a, "rexpr")), "%s", err);
			}
		}
		return n;
	}
	return fail(c, loc, "operator does not exist: %s%s", name, operator_hint(name));
}

static struct node *
a_expr(struct compiler *c, json_t *a)
{
	const char *kind = json_string_value(json_object_get(a, "kind"));
	const char *name = op_name(a);
	int loc = location(a);
	if (kind == NULL)
		return fail(c, loc, "an expression weir does not know");
	if (strcmp(kind, "AEXPR_OP") == 0)
		return operator(c, a);
	if (strcmp(kind, "AEXPR_LIKE") == 0 || strcmp(kind, "AEXPR_ILIKE") == 0) {
		struct node *n = binary(c, N_LIKE, 0, a);
		if (n) {
			n->caseless = kind[6] == 'I';
			n->negate = name && name[0] == '!';
		}
		return n;
	}
	if (strcmp(kind, "AEXPR_DISTINCT") == 0 || strcmp(kind, "AEXPR_NOT_DISTINCT") == 0) {
		struct node *n = binary(c, N_DISTINCT, 0, a);
		if (n)
			n->negate = kind[6] == 'N';	/* AEXPR_NOT_DISTINCT */
		return n;
	}
	if (strcmp(kind, "AEXPR_NULLIF") == 0)
		return binary(c, N_NULLIF, 0, a);
	if (strcmp(kind, "AEXPR_IN") == 0) {
		json_t *items = json_object_get(json_object_get(json_object_get(a, "rexpr"), "List"),
		    "items");
		if (!json_is_array(items))
			return fail(c, loc, "IN takes a list of values, not a subquery");
		struct node *n = node_new(c, N_IN, loc, 1 + (int)json_array_size(items));
		if (n == NULL)
			return NULL;
		n->negate = name && strcmp(name, "<>") == 0;
		if ((n->args[0] = compile(c, json_object_get(a, "lexpr"))) == NULL) {
			node_free(n);
			return NULL;
		}
		return compile_list(c, n, items, 1);
	}
	if (strncmp(kind, "AEXPR_BETWEEN", 13) == 0 || strncmp(kind, "AEXPR_NOT_BETWEEN", 17) == 0) {
		json_t *items = json_object_get(json_object_get(json_object_get(a, "rexpr"), "List"),
		    "items");
		struct node *n = node_new(c, N_BETWEEN, loc, 3);
		if (n == NULL)
			return NULL;
		n->negate = strncmp(kind, "AEXPR_NOT", 9) == 0;
		n->symmetric = strstr(kind, "_SYM") != NULL;
		if (json_array_size(items) != 2 ||
		    (n->args[0] = compile(c, json_object_get(a, "lexpr"))) == NULL) {
			node_free(n);
			return c->failed ? NULL : fail(c, loc, "BETWEEN takes two bounds");
		}
		return compile_list(c, n, items, 1);
	}
	if (strcmp(kind, "AEXPR_SIMILAR") == 0)
		return fail(c, loc, "SIMILAR TO is not supported: use ~ (a regular expression)");
	return fail(c, loc, "%s is not supported (ANY, ALL and subqueries are not)", kind + 6);
}

static struct node *
bool_expr(struct compiler *c, json_t *b)
{
	const char *op = json_string_value(json_object_get(b, "boolop"));
	json_t *args = json_object_get(b, "args");
	enum op kind = op && strcmp(op, "AND_EXPR") == 0 ? N_AND :
	    op && strcmp(op, "OR_EXPR") == 0 ? N_OR : N_NOT;
	struct node *n = node_new(c, kind, location(b), (int)json_array_size(args));
	return n ? compile_list(c, n, args, 0) : NULL;
}

static struct node *
case_expr(struct compiler *c, json_t *k)
{
	json_t *whens = json_object_get(k, "args"), *arg = json_object_get(k, "arg");
	int nw = (int)json_array_size(whens);
	struct node *n = node_new(c, N_CASE, location(k), 1 + 2 * nw);
	if (n == NULL)
		return NULL;
	n->simple_case = arg != NULL;
	if (arg && (n->args[0] = compile(c, arg)) == NULL)
		goto bad;
	for (int i = 0; i < nw; i++) {
		json_t *w = json_object_get(json_array_get(whens, (size_t)i), "CaseWhen");
		if ((n->args[1 + 2 * i] = compile(c, json_object_get(w, "expr"))) == NULL ||
		    (n->args[2 + 2 * i] = compile(c, json_object_get(w, "result"))) == NULL)
			goto bad;
	}
	json_t *d = json_object_get(k, "defresult");
	if (d && (n->dflt = compile(c, d)) == NULL)
		goto bad;
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct node *
type_cast(struct compiler *c, json_t *t)
{
	json_t *names = json_object_get(json_object_get(t, "typeName"), "names");
	const char *name = sval(json_array_get(names, json_array_size(names) - 1));
	int loc = location(t);
	static const struct {
		const char *name;
		enum cast to;
	} types[] = {
		{"int2", T_INT2}, {"smallint", T_INT2}, {"int4", T_INT4}, {"int", T_INT4},
		{"integer", T_INT4}, {"int8", T_INT8}, {"bigint", T_INT8},
		{"float8", T_FLOAT}, {"float4", T_FLOAT}, {"float", T_FLOAT}, {"real", T_FLOAT},
		{"numeric", T_NUMERIC}, {"decimal", T_NUMERIC},
		{"text", T_TEXT}, {"varchar", T_TEXT}, {"bpchar", T_TEXT}, {"char", T_TEXT},
		{"bool", T_BOOL}, {"boolean", T_BOOL},
		{"timestamptz", T_TIME}, {"timestamp", T_TIME},
		{"interval", T_INTERVAL},
	};
	for (size_t i = 0; name && i < sizeof types / sizeof *types; i++) {
		if (strcmp(types[i].name, name) != 0)
			continue;
		struct node *n = node_new(c, N_CAST, loc, 1);
		if (n == NULL)
			return NULL;
		n->sub = types[i].to;
		if ((n->args[0] = compile(c, json_object_get(t, "arg"))) == NULL) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	return fail(c, loc, "type \"%s\" is not supported (int, bigint, float8, numeric, text, "
	    "boolean, timestamptz, interval are)", name ? name : "?");
}

static struct node *
func_call(struct compiler *c, json_t *f)
{
	json_t *names = json_object_get(f, "funcname"), *args = json_object_get(f, "args");
	const char *name = sval(json_array_get(names, json_array_size(names) - 1));
	int loc = location(f), nargs = (int)json_array_size(args);
	if (json_object_get(f, "over"))
		return fail(c, loc, "window functions (OVER) are not supported in an expression");
	if (json_is_true(json_object_get(f, "agg_star")) ||
	    json_is_true(json_object_get(f, "agg_distinct")))
		return fail(c, loc, "aggregates belong to weir-agg, not to an expression");
	char lower[64];
	size_t k = 0;
	for (; name && name[k] && k < sizeof lower - 1; k++)
		lower[k] = (char)tolower((unsigned char)name[k]);
	lower[k] = '\0';
	if (strcmp(lower, "regexp_replace") == 0) {
		if (nargs < 3 || nargs > 4)
			return fail(c, loc, "regexp_replace takes 3 or 4 arguments");
		struct node *n = node_new(c, N_REGEX_REPLACE, loc, nargs);
		return n ? compile_list(c, n, args, 0) : NULL;
	}
	const struct weir_fndef *def = weir_fn_find(lower);
	if (def == NULL) {
		if (strcmp(lower, "now") == 0 || strcmp(lower, "clock_timestamp") == 0)
			return fail(c, loc, "%s() reads the wall clock: event time is event_time()",
			    lower);
		return fail(c, loc, "function %s does not exist (weir(7) lists the functions)",
		    name ? name : "?");
	}
	if (nargs < def->min || nargs > def->max)
		return fail(c, loc, "%s takes %d%s%d argument%s, not %d", def->name, def->min,
		    def->max > def->min ? " to " : "", def->max > def->min ? def->max : 0,
		    def->max == 1 ? "" : "s", nargs);
	struct node *n = node_new(c, N_FUNC, loc, nargs);
	if (n == NULL)
		return NULL;
	n->fn = def;
	return compile_list(c, n, args, 0);
}

static struct node *
compile(struct compiler *c, json_t *tree)
{
	if (c->failed)
		return NULL;
	const char *kind;
	json_t *v;
	json_object_foreach(tree, kind, v) {
		if (strcmp(kind, "A_Const") == 0)
			return constant(c, v);
		if (strcmp(kind, "ColumnRef") == 0)
			return field(c, v);
		if (strcmp(kind, "A_Expr") == 0)
			return a_expr(c, v);
		if (strcmp(kind, "BoolExpr") == 0)
			return bool_expr(c, v);
		if (strcmp(kind, "NullTest") == 0) {
			struct node *n = node_new(c, N_NULLTEST, location(v), 1);
			if (n == NULL)
				return NULL;
			const char *t = json_string_value(json_object_get(v, "nulltesttype"));
			n->negate = t && strcmp(t, "IS_NOT_NULL") == 0;
			if ((n->args[0] = compile(c, json_object_get(v, "arg"))) == NULL) {
				node_free(n);
				return NULL;
			}
			return n;
		}
		if (strcmp(kind, "BooleanTest") == 0) {
			static const char *const tests[] = {"IS_TRUE", "IS_NOT_TRUE", "IS_FALSE",
				"IS_NOT_FALSE", "IS_UNKNOWN", "IS_NOT_UNKNOWN"};
			const char *t = json_string_value(json_object_get(v, "booltesttype"));
			struct node *n = node_new(c, N_BOOLTEST, location(v), 1);
			if (n == NULL)
				return NULL;
			for (int i = 0; t && i < 6; i++)
				if (strcmp(t, tests[i]) == 0)
					n->sub = i;
			if ((n->args[0] = compile(c, json_object_get(v, "arg"))) == NULL) {
				node_free(n);
				return NULL;
			}
			return n;
		}
		if (strcmp(kind, "CaseExpr") == 0)
			return case_expr(c, v);
		if (strcmp(kind, "CoalesceExpr") == 0 || strcmp(kind, "MinMaxExpr") == 0) {
			json_t *args = json_object_get(v, "args");
			const char *mm = json_string_value(json_object_get(v, "op"));
			enum op op = kind[0] == 'C' ? N_COALESCE :
			    mm && strcmp(mm, "IS_LEAST") == 0 ? N_LEAST : N_GREATEST;
			struct node *n = node_new(c, op, location(v), (int)json_array_size(args));
			return n ? compile_list(c, n, args, 0) : NULL;
		}
		if (strcmp(kind, "TypeCast") == 0)
			return type_cast(c, v);
		if (strcmp(kind, "FuncCall") == 0)
			return func_call(c, v);
		if (strcmp(kind, "SQLValueFunction") == 0)
			return fail(c, location(v), "the wall clock (CURRENT_TIMESTAMP, now()) is not "
			    "an event's: event time is event_time()");
		if (strcmp(kind, "SubLink") == 0)
			return fail(c, location(v), "subqueries are not supported in an expression");
		if (strcmp(kind, "ParamRef") == 0)
			return fail(c, location(v), "parameters ($1) are not supported");
		return fail(c, location(v), "%s is not supported in an expression", kind);
	}
	return fail(c, -1, "an empty expression");
}

/* err: the message, then the text with a caret under position at. */
static void
point_at(char *err, size_t errlen, const char *text, int at)
{
	size_t n = strlen(err);
	if (at < 0 || (size_t)at > strlen(text) || strchr(text, '\n') || n + 8 >= errlen)
		return;
	snprintf(err + n, errlen - n, "\n  %s\n  %*s^", text, at, "");
}

static int eval(struct weir_expr *e, struct node *n, struct weir_value *out);

/* A node whose arguments are all constants is evaluated once, now: its
 * error (`1/0`, `'abc'::int`) is found at start. */
static struct node *
fold(struct compiler *c, struct node *n)
{
	if (n == NULL || n->op == N_CONST || n->op == N_FIELD ||
	    (n->op == N_FUNC && n->fn->min == 0))
		return n;
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i] && (n->args[i] = fold(c, n->args[i])) == NULL) {
			node_free(n);
			return NULL;
		}
	if (n->dflt && (n->dflt = fold(c, n->dflt)) == NULL) {
		node_free(n);
		return NULL;
	}
	for (int f = 0; n->op == N_CMP && f < 2; f++)
		if (n->args[f]->op == N_FIELD && n->args[1 - f]->op == N_CONST &&
		    n->args[1 - f]->k.type == WEIR_V_INT)
			n->field_vs_int = f + 1;
	for (int i = 0; i < n->nargs; i++)
		if (n->args[i] && n->args[i]->op != N_CONST)
			return n;
	if (n->dflt && n->dflt->op != N_CONST)
		return n;
	struct weir_value v;
	weir_scratch_reset(&c->e->sc);
	if (eval(c->e, n, &v) < 0) {
		int loc = n->loc;
		node_free(n);
		return fail(c, loc, "%s", c->e->why);
	}
	struct node *k = node_new(c, N_CONST, n->loc, 0);
	if (k == NULL) {
		node_free(n);
		return NULL;
	}
	k->k = v;
	if (v.type == WEIR_V_TEXT || v.type == WEIR_V_JSON || v.s) {
		k->owned = malloc(v.n + 1);
		if (k->owned == NULL) {
			node_free(k);
			node_free(n);
			return fail(c, -1, "out of memory");
		}
		memcpy(k->owned, v.s, v.n);
		k->owned[v.n] = '\0';
		k->k.s = k->owned;
	}
	node_free(n);
	return k;
}

struct weir_expr *
weir_expr_compile(const char *text, struct weir_plan *plan, char *err, size_t errlen)
{
	int at;
	struct weir_expr *e = weir_expr_compile_at(text, plan, err, errlen, &at);
	if (e == NULL)
		point_at(err, errlen, text, at);
	return e;
}

struct weir_expr *
weir_expr_compile_at(const char *text, struct weir_plan *plan, char *err, size_t errlen,
    int *at)
{
	*at = -1;
	struct weir_expr *e = calloc(1, sizeof *e);
	size_t tl = strlen(text);
	char *query = malloc(tl + 8);
	if (e == NULL || query == NULL || (e->text = strdup(text)) == NULL) {
		free(query);
		weir_expr_free(e);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(query, "SELECT ", 7);
	memcpy(query + 7, text, tl + 1);
	struct compiler c = {e, plan, err, errlen, -1, false};
	json_t *tree = NULL, *targets = NULL;
	int errpos;
	char msg[512];
	int rc = weir_pg_parse(query, &tree, &errpos, msg, sizeof msg);
	free(query);
	if (rc < 0 && errpos < 0) {
		snprintf(err, errlen, "%s", msg);
		weir_expr_free(e);
		return NULL;
	}
	if (rc < 0) {
		int pos = errpos >= 7 ? errpos - 7 : (int)tl;
		const char *hint = strstr(text, "&&") ? " (SQL's conjunction is AND)" :
		    strstr(text, "||") ? " (|| joins strings in SQL: OR is the disjunction)" :
		    strstr(text, "==") ? " (SQL's equality is =)" : "";
		fail(&c, pos, "%s%s", msg, hint);
	} else {
		json_t *stmts = json_object_get(tree, "stmts");
		json_t *sel = json_object_get(json_object_get(json_array_get(stmts, 0), "stmt"),
		    "SelectStmt");
		targets = json_object_get(sel, "targetList");
		const char *key;
		json_t *v;
		bool other = false;
		json_object_foreach(sel, key, v)
			if (strcmp(key, "targetList") != 0 && strcmp(key, "limitOption") != 0 &&
			    strcmp(key, "op") != 0)
				other = true;
		if (json_array_size(stmts) != 1 || sel == NULL || other ||
		    json_array_size(targets) != 1)
			fail(&c, -1, "one expression, please (no FROM, no comma, no semicolon)");
		else if (json_object_get(json_object_get(json_array_get(targets, 0), "ResTarget"),
		    "name"))
			fail(&c, -1, "an expression has no AS name here (--set NAME=EXPR names it)");
	}
	if (!c.failed) {
		json_t *val = json_object_get(json_object_get(json_array_get(targets, 0), "ResTarget"),
		    "val");
		e->root = fold(&c, compile(&c, val));
	}
	json_decref(tree);
	if (c.failed) {
		*at = c.failed_at;
		weir_expr_free(e);
		return NULL;
	}
	return e;
}

/* --- regular expressions -------------------------------------------------------------- */

static int
compile_regex(struct regex *re, const char *pat, size_t n, bool caseless, char *err,
    size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (caseless ? PCRE2_CASELESS : 0);
	pcre2_code *rc = pcre2_compile((PCRE2_SPTR)pat, n, flags, &code, &off, NULL);
	if (rc == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "invalid regular expression: %s (at %zu)", (char *)msg,
		    (size_t)off);
		return -1;
	}
	pcre2_jit_compile(rc, PCRE2_JIT_COMPLETE);	/* without the JIT it still works */
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(rc, NULL);
	char *copy = malloc(n + 1);
	if (md == NULL || copy == NULL) {
		pcre2_code_free(rc);
		if (md)
			pcre2_match_data_free(md);
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, pat, n);
	copy[n] = '\0';
	if (re->code)
		pcre2_code_free(re->code);
	if (re->md)
		pcre2_match_data_free(re->md);
	free(re->pattern);
	*re = (struct regex){rc, md, copy, n, caseless};
	return 0;
}

/* The node's regex for pattern p (compiled again when a computed pattern
 * changed); -1 with e->why. */
static int
regex_for(struct weir_expr *e, struct node *n, const char *p, size_t pn, bool caseless)
{
	if (n->re.code && n->re.plen == pn && n->re.caseless == caseless &&
	    memcmp(n->re.pattern, p, pn) == 0)
		return 0;
	if (compile_regex(&n->re, p, pn, caseless, e->msg, sizeof e->msg) < 0) {
		e->why = e->msg;
		return -1;
	}
	return 0;
}

/* 1 on a match, 0 on none, -1 with e->why when PCRE2 gave up (its match
 * limit: a pattern that backtracks without end). */
static int
regex_match(struct weir_expr *e, struct node *n, const char *s, size_t sn)
{
	int rc = pcre2_match(n->re.code, (PCRE2_SPTR)s, sn, 0, 0, n->re.md, NULL);
	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
		return rc >= 0;
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc, msg, sizeof msg);
	snprintf(e->msg, sizeof e->msg, "regular expression: %s", (char *)msg);
	e->why = e->msg;
	return -1;
}

/* --- LIKE ------------------------------------------------------------------------------ */

static size_t
utf8_len(unsigned char b)
{
	return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

static bool
same_char(const char *a, const char *b, size_t n, bool caseless)
{
	if (!caseless)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

/* SQL LIKE: % any run of characters, _ one character, \ escapes the next;
 * the last % backtracks (linear for patterns with one %, as most are). */
static bool
like(const char *s, size_t sn, const char *p, size_t pn, bool caseless)
{
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn && p[pi] == '%') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < pn) {
			size_t cl = utf8_len((unsigned char)s[si]);
			if (p[pi] == '_') {
				pi++;
				si += cl;
				continue;
			}
			size_t q = pi + (p[pi] == '\\' && pi + 1 < pn);
			size_t pl = utf8_len((unsigned char)p[q]);
			if (pl == cl && q + pl <= pn && si + cl <= sn && same_char(s + si, p + q, cl,
			    caseless)) {
				pi = q + pl;
				si += cl;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p;
		star_s += utf8_len((unsigned char)s[star_s]);
		si = star_s;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

/* --- evaluation -------------------------------------------------------------------------- */

static int
err(struct weir_expr *e, const char *why)
{
	e->why = why;
	return -1;
}

static struct weir_fnctx
fnctx(struct weir_expr *e)
{
	return (struct weir_fnctx){&e->sc, e->t, e->msg, sizeof e->msg, NULL};
}

/* The weir_to_* conversions, with their reason moved to e->why. */
static int
to_time(struct weir_expr *e, const struct weir_value *v, int64_t *t)
{
	struct weir_fnctx fc = fnctx(e);
	return weir_to_time(&fc, v, t) < 0 ? err(e, fc.why) : 0;
}

static int
to_interval(struct weir_expr *e, const struct weir_value *v, int64_t *ns)
{
	struct weir_fnctx fc = fnctx(e);
	return weir_to_interval(&fc, v, ns) < 0 ? err(e, fc.why) : 0;
}

static int
to_bool(struct weir_expr *e, const struct weir_value *v, bool *b)
{
	struct weir_fnctx fc = fnctx(e);
	return weir_to_bool(&fc, v, b) < 0 ? err(e, fc.why) : 0;
}

static bool
is_number(const struct weir_value *v)
{
	return v->type == WEIR_V_INT || v->type == WEIR_V_FLOAT;
}

static int
as_number(struct weir_expr *e, const struct weir_value *v, struct weir_value *x)
{
	struct weir_fnctx fc = fnctx(e);
	return weir_to_number(&fc, v, x) < 0 ? err(e, fc.why) : 0;
}

static int
cmp_numbers(const struct weir_value *a, const struct weir_value *b)
{
	if (a->type == WEIR_V_INT && b->type == WEIR_V_INT)
		return (a->i > b->i) - (a->i < b->i);
	long double x = a->type == WEIR_V_INT ? (long double)a->i : (long double)a->d;
	long double y = b->type == WEIR_V_INT ? (long double)b->i : (long double)b->d;
	if (isnan(x) || isnan(y))	/* PostgreSQL: NaN is above every number */
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);
	if (r != 0)
		return r < 0 ? -1 : 1;
	return (an > bn) - (an < bn);
}

/* Compares two values that are not NULL: 0 with *r (<0, 0, >0), -1 when
 * they cannot be compared.  A string meets a number as the number it
 * reads as, a time or interval as the one it reads as. */
static int
compare(struct weir_expr *e, const struct weir_value *a, const struct weir_value *b, int *r)
{
	struct weir_value x, y;
	if (is_number(a) || is_number(b)) {
		if (as_number(e, a, &x) < 0 || as_number(e, b, &y) < 0)
			return -1;
		*r = cmp_numbers(&x, &y);
		return 0;
	}
	bool times = a->type == WEIR_V_TIME || b->type == WEIR_V_TIME;
	if (times || a->type == WEIR_V_INTERVAL || b->type == WEIR_V_INTERVAL) {
		int (*to)(struct weir_expr *, const struct weir_value *, int64_t *) =
		    times ? to_time : to_interval;
		int64_t s, t;
		if (to(e, a, &s) < 0 || to(e, b, &t) < 0)
			return -1;
		*r = (s > t) - (s < t);
		return 0;
	}
	if (a->type == WEIR_V_BOOL || b->type == WEIR_V_BOOL) {
		bool p, q;
		if (to_bool(e, a, &p) < 0 || to_bool(e, b, &q) < 0)
			return -1;
		*r = (int)p - (int)q;
		return 0;
	}
	*r = cmp_bytes(a->s, a->n, b->s, b->n);	/* text, JSON: bytes (C collation) */
	return 0;
}

static bool
cmp_holds(int op, int r)
{
	switch (op) {
	case C_EQ: return r == 0;
	case C_NE: return r != 0;
	case C_LT: return r < 0;
	case C_LE: return r <= 0;
	case C_GT: return r > 0;
	default: return r >= 0;
	}
}

static int
bool_out(struct weir_value *out, bool b)
{
	*out = (struct weir_value){.type = WEIR_V_BOOL, .b = b};
	return 0;
}

static int
null_out(struct weir_value *out)
{
	*out = (struct weir_value){.type = WEIR_V_NULL};
	return 0;
}

static int
int_result(struct weir_expr *e, bool overflow, int64_t v, struct weir_value *out)
{
	if (overflow)
		return err(e, "bigint out of range");
	*out = (struct weir_value){.type = WEIR_V_INT, .i = v};
	return 0;
}

static int
float_result(struct weir_expr *e, double d, struct weir_value *out)
{
	if (isinf(d))
		return err(e, "value out of range: overflow");
	*out = (struct weir_value){.type = WEIR_V_FLOAT, .d = d};
	return 0;
}

/* Time and interval arithmetic: t ± i, t - t, i ± i, i * x, i / x. */
static int
time_arith(struct weir_expr *e, int op, const struct weir_value *a, const struct weir_value *b,
    struct weir_value *out)
{
	int64_t x, y;
	/* a string meets a time or an interval as the time it reads as */
	bool at = a->type == WEIR_V_TIME || (a->type == WEIR_V_TEXT &&
	    (b->type == WEIR_V_INTERVAL || b->type == WEIR_V_TIME) &&
	    weir_time_parse_rfc3339(a->s, a->n, &x) == 0);
	if (at && to_time(e, a, &x) < 0)
		return -1;
	if (at && (op == '+' || op == '-') && b->type != WEIR_V_TIME) {
		if (to_interval(e, b, &y) < 0)
			return -1;
		int64_t r;
		if (op == '+' ? __builtin_add_overflow(x, y, &r) : __builtin_sub_overflow(x, y, &r))
			return err(e, "timestamp out of range");
		*out = (struct weir_value){.type = WEIR_V_TIME, .i = r};
		return 0;
	}
	if (at && op == '-') {
		if (to_time(e, b, &y) < 0)
			return -1;
		int64_t r;
		if (__builtin_sub_overflow(x, y, &r))
			return err(e, "interval out of range");
		*out = (struct weir_value){.type = WEIR_V_INTERVAL, .i = r};
		return 0;
	}
	if (b->type == WEIR_V_TIME && op == '+' && a->type != WEIR_V_TIME)
		return time_arith(e, op, b, a, out);
	if (a->type == WEIR_V_INTERVAL || b->type == WEIR_V_INTERVAL) {
		const struct weir_value *iv = a->type == WEIR_V_INTERVAL ? a : b;
		const struct weir_value *other = iv == a ? b : a;
		if (op == '+' || op == '-') {
			if (to_interval(e, a, &x) < 0 ||
			    to_interval(e, b, &y) < 0)
				return -1;
			*out = (struct weir_value){.type = WEIR_V_INTERVAL, .i = op == '+' ? x + y : x - y};
			return 0;
		}
		struct weir_value k;
		if ((op == '*' || (op == '/' && iv == a)) && as_number(e, other, &k) == 0) {
			double f = k.type == WEIR_V_INT ? (double)k.i : k.d;
			if (op == '/' && f == 0)
				return err(e, "division by zero");
			double r = op == '*' ? (double)iv->i * f : (double)iv->i / f;
			if (!(fabs(r) < 9.2e18))
				return err(e, "interval out of range");
			*out = (struct weir_value){.type = WEIR_V_INTERVAL, .i = (int64_t)llround(r)};
			return 0;
		}
		return -1;
	}
	return err(e, "operator does not exist for a timestamp");
}

static int
arith(struct weir_expr *e, int op, const struct weir_value *a, const struct weir_value *b,
    struct weir_value *out)
{
	struct weir_value x, y;
	if (a->type == WEIR_V_TIME || b->type == WEIR_V_TIME || a->type == WEIR_V_INTERVAL ||
	    b->type == WEIR_V_INTERVAL)
		return time_arith(e, op, a, b, out);
	if (as_number(e, a, &x) < 0 || as_number(e, b, &y) < 0)
		return -1;
	if (op == '^') {
		struct weir_fnctx fc = fnctx(e);
		const struct weir_value args[2] = {x, y};
		const struct weir_fndef *p = weir_fn_find("power");
		if (p->fn(&fc, args, 2, out) < 0)
			return err(e, fc.why);
		return 0;
	}
	if (x.type == WEIR_V_INT && y.type == WEIR_V_INT) {
		int64_t r = 0;
		switch (op) {
		case '+': {
			bool over = __builtin_add_overflow(x.i, y.i, &r);
			return int_result(e, over, r, out);
		}
		case '-': {
			bool over = __builtin_sub_overflow(x.i, y.i, &r);
			return int_result(e, over, r, out);
		}
		case '*': {
			bool over = __builtin_mul_overflow(x.i, y.i, &r);
			return int_result(e, over, r, out);
		}
		case '/':
			if (y.i == 0)
				return err(e, "division by zero");
			return int_result(e, x.i == INT64_MIN && y.i == -1, y.i == -1 ? -x.i : x.i / y.i,
			    out);
		default:
			if (y.i == 0)
				return err(e, "division by zero");
			return int_result(e, false, y.i == -1 ? 0 : x.i % y.i, out);
		}
	}
	double p = x.type == WEIR_V_INT ? (double)x.i : x.d;
	double q = y.type == WEIR_V_INT ? (double)y.i : y.d;
	switch (op) {
	case '+':
		return float_result(e, p + q, out);
	case '-':
		return float_result(e, p - q, out);
	case '*':
		return float_result(e, p * q, out);
	case '/':
		if (q == 0)
			return err(e, "division by zero");
		return float_result(e, p / q, out);
	default:
		if (q == 0)
			return err(e, "division by zero");
		return float_result(e, fmod(p, q), out);
	}
}

static int
cast(struct weir_expr *e, int to, const struct weir_value *v, struct weir_value *out)
{
	struct weir_value x;
	switch (to) {
	case T_INT2:
	case T_INT4:
	case T_INT8: {
		if (v->type == WEIR_V_BOOL) {
			*out = (struct weir_value){.type = WEIR_V_INT, .i = v->b};
			return 0;
		}
		if (v->type == WEIR_V_TEXT) {
			static const char *const names[] = {"smallint", "integer", "bigint"};
			if (weir_number_parse(v->s, v->n, &x) < 0 || x.type != WEIR_V_INT) {
				struct weir_fnctx fc = fnctx(e);
				weir_fn_bad_input(&fc, names[to - T_INT2], v->s, v->n);
				return err(e, fc.why);
			}
		} else if (as_number(e, v, &x) < 0) {
			return -1;
		}
		int64_t i;
		if (x.type == WEIR_V_INT) {
			i = x.i;
		} else {
			if (!(fabs(x.d) < 9.2e18))
				return err(e, to == T_INT8 ? "bigint out of range" : "integer out of range");
			i = (int64_t)llround(x.d);
		}
		if (to == T_INT2 && (i < -32768 || i > 32767))
			return err(e, "smallint out of range");
		if (to == T_INT4 && (i < INT32_MIN || i > INT32_MAX))
			return err(e, "integer out of range");
		*out = (struct weir_value){.type = WEIR_V_INT, .i = i};
		return 0;
	}
	case T_FLOAT:
	case T_NUMERIC:
		if (as_number(e, v, &x) < 0)
			return -1;
		if (to == T_FLOAT && x.type == WEIR_V_INT)
			*out = (struct weir_value){.type = WEIR_V_FLOAT, .d = (double)x.i};
		else
			*out = x;
		if (to == T_FLOAT)
			out->s = NULL;	/* float8 text is its own */
		return 0;
	case T_TEXT: {
		const char *s;
		size_t n;
		if (weir_value_text(v, &e->sc, &s, &n) < 0)
			return err(e, "out of memory");
		*out = (struct weir_value){.type = WEIR_V_TEXT, .s = s, .n = n};
		return 0;
	}
	case T_BOOL: {
		bool b;
		if (to_bool(e, v, &b) < 0)
			return -1;
		return bool_out(out, b);
	}
	case T_TIME: {
		int64_t t;
		if (to_time(e, v, &t) < 0)
			return -1;
		*out = (struct weir_value){.type = WEIR_V_TIME, .i = t};
		return 0;
	}
	default: {
		int64_t ns;
		if (to_interval(e, v, &ns) < 0)
			return -1;
		*out = (struct weir_value){.type = WEIR_V_INTERVAL, .i = ns};
		return 0;
	}
	}
}

static int
text_of(struct weir_expr *e, const struct weir_value *v, const char **s, size_t *n)
{
	if (weir_value_text(v, &e->sc, s, n) < 0)
		return err(e, "out of memory");
	return 0;
}

/* regexp_replace(s, pattern, replacement [, flags]): \1..\9 and \& (or &)
 * in the replacement name the groups and the match, as PostgreSQL's do;
 * flag g replaces every match, i ignores case. */
static int
regex_replace(struct weir_expr *e, struct node *n, const struct weir_value *a, int na,
    struct weir_value *out)
{
	const char *s, *p, *r, *f = "";
	size_t sn, pn, rn, fn = 0;
	if (text_of(e, &a[0], &s, &sn) < 0 || text_of(e, &a[1], &p, &pn) < 0 ||
	    text_of(e, &a[2], &r, &rn) < 0 || (na > 3 && text_of(e, &a[3], &f, &fn) < 0))
		return -1;
	bool global = memchr(f, 'g', fn) != NULL, caseless = memchr(f, 'i', fn) != NULL;
	if (regex_for(e, n, p, pn, caseless) < 0)
		return -1;
	struct weir_buf b = {0};
	size_t at = 0;
	int rc = 0;
	while (at <= sn) {
		int m = pcre2_match(n->re.code, (PCRE2_SPTR)s, sn, at, 0, n->re.md, NULL);
		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m < 0) {
			weir_buf_free(&b);
			return err(e, "regular expression: PCRE2 gave up (its match limit)");
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(n->re.md);
		rc |= weir_buf_add(&b, s + at, ov[0] - at);
		for (size_t i = 0; i < rn; i++) {
			if (r[i] == '\\' && i + 1 < rn && r[i + 1] >= '1' && r[i + 1] <= '9') {
				int g = r[++i] - '0';
				if (g < m && ov[2 * g] != PCRE2_UNSET)
					rc |= weir_buf_add(&b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
			} else if (r[i] == '\\' && i + 1 < rn && r[i + 1] == '&') {
				rc |= weir_buf_add(&b, s + ov[0], ov[1] - ov[0]);
				i++;
			} else if (r[i] == '\\' && i + 1 < rn) {
				rc |= weir_buf_add(&b, &r[++i], 1);
			} else {
				rc |= weir_buf_add(&b, &r[i], 1);
			}
		}
		size_t next = ov[1];
		if (ov[1] == ov[0]) {	/* an empty match: step over a character */
			if (ov[0] >= sn) {
				at = sn + 1;
				break;
			}
			size_t cl = utf8_len((unsigned char)s[ov[0]]);
			rc |= weir_buf_add(&b, s + ov[0], cl);
			next = ov[0] + cl;
		}
		at = next;
		if (!global)
			break;
	}
	if (at < sn)
		rc |= weir_buf_add(&b, s + at, sn - at);
	char *o = weir_scratch_get(&e->sc, b.n);
	if (rc != 0 || o == NULL) {
		weir_buf_free(&b);
		return err(e, "out of memory");
	}
	if (b.n > 0)
		memcpy(o, b.p, b.n);
	*out = (struct weir_value){.type = WEIR_V_TEXT, .s = o, .n = b.n};
	weir_buf_free(&b);
	return 0;
}

/* Three-valued truth of a value: 1, 0, or -1 for NULL; -2 with e->why when
 * it is no boolean. */
static int
truth(struct weir_expr *e, const struct weir_value *v)
{
	if (v->type == WEIR_V_NULL)
		return -1;
	if (v->type == WEIR_V_BOOL)
		return v->b;
	bool b;
	if (v->type == WEIR_V_TEXT && to_bool(e, v, &b) == 0)
		return b;
	e->why = "argument of a condition must be a boolean";
	return -2;
}

static int eval(struct weir_expr *e, struct node *n, struct weir_value *out);

/* The two operands of ||, LIKE and ~ as text: 0, 1 when either is NULL,
 * -1 with e->why. */
static int
two_texts(struct weir_expr *e, struct node *n, const char **s, size_t *sn, const char **t,
    size_t *tn)
{
	struct weir_value a, b;
	if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &b) < 0)
		return -1;
	if (a.type == WEIR_V_NULL || b.type == WEIR_V_NULL)
		return 1;
	return text_of(e, &a, s, sn) < 0 || text_of(e, &b, t, tn) < 0 ? -1 : 0;
}

/* A field that holds a JSON integer of up to 18 digits, read without
 * making a value of it: what an integer field compared with an integer
 * constant (`status >= 500`) nearly always holds.  False for anything
 * else, which takes the general way. */
static inline bool
small_int(const struct weir_span *sp, int64_t *v)
{
	const char *p = sp->p;
	size_t n = sp->n;
	if (p == NULL || n == 0 || n > 18)
		return false;
	bool neg = p[0] == '-';
	size_t i = neg;
	if (i == n)
		return false;
	int64_t m = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return false;
		m = m * 10 + d;
	}
	*v = neg ? -m : m;
	return true;
}

static int
eval(struct weir_expr *e, struct node *n, struct weir_value *out)
{
	struct weir_value a, b;
	int r;
	switch (n->op) {
	case N_CONST:
		*out = n->k;
		return 0;
	case N_FIELD:
		if (e->spans == NULL)
			return err(e, "a field outside an event");
		if (weir_value_of_span(&e->spans[n->slot], &e->sc, out) < 0)
			return err(e, "out of memory");
		return 0;
	case N_NEG:
		if (eval(e, n->args[0], &a) < 0)
			return -1;
		if (a.type == WEIR_V_NULL)
			return null_out(out);
		if (a.type == WEIR_V_INTERVAL) {
			*out = (struct weir_value){.type = WEIR_V_INTERVAL, .i = n->sub == '-' ? -a.i : a.i};
			return 0;
		}
		if (as_number(e, &a, &b) < 0)
			return -1;
		if (n->sub == '+') {
			*out = b;
			return 0;
		}
		if (b.type == WEIR_V_INT)
			return int_result(e, b.i == INT64_MIN, -b.i, out);
		return float_result(e, -b.d, out);
	case N_NOT:
		if (eval(e, n->args[0], &a) < 0 || (r = truth(e, &a)) == -2)
			return -1;
		return r < 0 ? null_out(out) : bool_out(out, !r);
	case N_AND:
	case N_OR: {
		bool unknown = false;
		for (int i = 0; i < n->nargs; i++) {
			if (eval(e, n->args[i], &a) < 0 || (r = truth(e, &a)) == -2)
				return -1;
			if (r == (n->op == N_OR))
				return bool_out(out, r);	/* decided */
			unknown |= r < 0;
		}
		return unknown ? null_out(out) : bool_out(out, n->op == N_AND);
	}
	case N_ARITH:
		if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &b) < 0)
			return -1;
		if (a.type == WEIR_V_NULL || b.type == WEIR_V_NULL)
			return null_out(out);
		return arith(e, n->sub, &a, &b, out);
	case N_CMP:
		if (n->field_vs_int && e->spans != NULL &&
		    small_int(&e->spans[n->args[n->field_vs_int - 1]->slot], &a.i)) {
			int64_t k = n->args[2 - n->field_vs_int]->k.i;
			r = (a.i > k) - (a.i < k);
			return bool_out(out, cmp_holds(n->sub, n->field_vs_int == 1 ? r : -r));
		}
		if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &b) < 0)
			return -1;
		if (a.type == WEIR_V_NULL || b.type == WEIR_V_NULL)
			return null_out(out);
		if (compare(e, &a, &b, &r) < 0)
			return -1;
		return bool_out(out, cmp_holds(n->sub, r));
	case N_CONCAT: {
		const char *s, *t;
		size_t sn, tn;
		if ((r = two_texts(e, n, &s, &sn, &t, &tn)) != 0)
			return r < 0 ? -1 : null_out(out);
		char *o = weir_scratch_get(&e->sc, sn + tn);
		if (o == NULL)
			return err(e, "out of memory");
		memcpy(o, s, sn);
		memcpy(o + sn, t, tn);
		*out = (struct weir_value){.type = WEIR_V_TEXT, .s = o, .n = sn + tn};
		return 0;
	}
	case N_NULLTEST:
		if (eval(e, n->args[0], &a) < 0)
			return -1;
		return bool_out(out, (a.type == WEIR_V_NULL) != n->negate);
	case N_BOOLTEST:
		if (eval(e, n->args[0], &a) < 0 || (r = truth(e, &a)) == -2)
			return -1;
		switch (n->sub) {
		case B_TRUE: return bool_out(out, r == 1);
		case B_NOT_TRUE: return bool_out(out, r != 1);
		case B_FALSE: return bool_out(out, r == 0);
		case B_NOT_FALSE: return bool_out(out, r != 0);
		case B_UNKNOWN: return bool_out(out, r < 0);
		default: return bool_out(out, r >= 0);
		}
	case N_DISTINCT:
		if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &b) < 0)
			return -1;
		if (a.type == WEIR_V_NULL || b.type == WEIR_V_NULL)
			return bool_out(out, ((a.type == WEIR_V_NULL) != (b.type == WEIR_V_NULL)) !=
			    n->negate);
		if (compare(e, &a, &b, &r) < 0)
			return -1;
		return bool_out(out, (r != 0) != n->negate);
	case N_IN: {
		if (eval(e, n->args[0], &a) < 0)
			return -1;
		if (a.type == WEIR_V_NULL)
			return null_out(out);
		bool unknown = false;
		for (int i = 1; i < n->nargs; i++) {
			if (eval(e, n->args[i], &b) < 0)
				return -1;
			if (b.type == WEIR_V_NULL) {
				unknown = true;
				continue;
			}
			if (compare(e, &a, &b, &r) < 0)
				return -1;
			if (r == 0)
				return bool_out(out, !n->negate);
		}
		return unknown ? null_out(out) : bool_out(out, n->negate);
	}
	case N_BETWEEN: {
		struct weir_value lo, hi;
		if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &lo) < 0 ||
		    eval(e, n->args[2], &hi) < 0)
			return -1;
		int r1 = -1, r2 = -1;	/* a >= lo, a <= hi in three values */
		int c1 = 0, c2 = 0;
		if (a.type != WEIR_V_NULL && lo.type != WEIR_V_NULL) {
			if (compare(e, &a, &lo, &c1) < 0)
				return -1;
			r1 = c1 >= 0;
		}
		if (a.type != WEIR_V_NULL && hi.type != WEIR_V_NULL) {
			if (compare(e, &a, &hi, &c2) < 0)
				return -1;
			r2 = c2 <= 0;
		}
		if (n->symmetric && r1 >= 0 && r2 >= 0) {	/* either order of the bounds */
			int cl;
			if (compare(e, &lo, &hi, &cl) < 0)
				return -1;
			if (cl > 0) {
				r1 = c2 >= 0;
				r2 = c1 <= 0;
			}
		}
		int v = r1 == 0 || r2 == 0 ? 0 : (r1 < 0 || r2 < 0) ? -1 : 1;
		if (v < 0)
			return null_out(out);
		return bool_out(out, (v == 1) != n->negate);
	}
	case N_LIKE: {
		const char *s, *p;
		size_t sn, pn;
		if ((r = two_texts(e, n, &s, &sn, &p, &pn)) != 0)
			return r < 0 ? -1 : null_out(out);
		return bool_out(out, like(s, sn, p, pn, n->caseless) != n->negate);
	}
	case N_REGEX: {
		const char *s, *p;
		size_t sn, pn;
		if ((r = two_texts(e, n, &s, &sn, &p, &pn)) != 0)
			return r < 0 ? -1 : null_out(out);
		if (regex_for(e, n, p, pn, n->caseless) < 0)
			return -1;
		if ((r = regex_match(e, n, s, sn)) < 0)
			return -1;
		return bool_out(out, r != n->negate);
	}
	case N_REGEX_REPLACE: {
		struct weir_value args[4];
		for (int i = 0; i < n->nargs; i++) {
			if (eval(e, n->args[i], &args[i]) < 0)
				return -1;
			if (args[i].type == WEIR_V_NULL)
				return null_out(out);
		}
		return regex_replace(e, n, args, n->nargs, out);
	}
	case N_CASE: {
		if (n->simple_case && eval(e, n->args[0], &a) < 0)
			return -1;
		for (int i = 1; i + 1 < n->nargs; i += 2) {
			if (eval(e, n->args[i], &b) < 0)
				return -1;
			if (n->simple_case) {
				if (a.type == WEIR_V_NULL || b.type == WEIR_V_NULL)
					continue;
				if (compare(e, &a, &b, &r) < 0)
					return -1;
				if (r != 0)
					continue;
			} else if ((r = truth(e, &b)) == -2) {
				return -1;
			} else if (r != 1) {
				continue;
			}
			return eval(e, n->args[i + 1], out);
		}
		return n->dflt ? eval(e, n->dflt, out) : null_out(out);
	}
	case N_COALESCE:
		for (int i = 0; i < n->nargs; i++) {
			if (eval(e, n->args[i], out) < 0)
				return -1;
			if (out->type != WEIR_V_NULL)
				return 0;
		}
		return null_out(out);
	case N_NULLIF:
		if (eval(e, n->args[0], &a) < 0 || eval(e, n->args[1], &b) < 0)
			return -1;
		if (a.type != WEIR_V_NULL && b.type != WEIR_V_NULL) {
			if (compare(e, &a, &b, &r) < 0)
				return -1;
			if (r == 0)
				return null_out(out);
		}
		*out = a;
		return 0;
	case N_GREATEST:
	case N_LEAST: {
		null_out(out);
		for (int i = 0; i < n->nargs; i++) {
			if (eval(e, n->args[i], &a) < 0)
				return -1;
			if (a.type == WEIR_V_NULL)
				continue;
			if (out->type == WEIR_V_NULL) {
				*out = a;
				continue;
			}
			if (compare(e, &a, out, &r) < 0)
				return -1;
			if (n->op == N_GREATEST ? r > 0 : r < 0)
				*out = a;
		}
		return 0;
	}
	case N_CAST:
		if (eval(e, n->args[0], &a) < 0)
			return -1;
		if (a.type == WEIR_V_NULL)
			return null_out(out);
		return cast(e, n->sub, &a, out);
	case N_FUNC: {
		struct weir_value args[64];
		for (int i = 0; i < n->nargs && i < 64; i++) {
			if (eval(e, n->args[i], &args[i]) < 0)
				return -1;
			if (n->fn->strict && args[i].type == WEIR_V_NULL)
				return null_out(out);
		}
		struct weir_fnctx fc = fnctx(e);
		if (n->fn->fn(&fc, args, n->nargs, out) < 0)
			return err(e, fc.why ? fc.why : "error");
		return 0;
	}
	}
	return err(e, "an expression weir does not know");
}

int
weir_expr_eval(struct weir_expr *e, const struct weir_span *fields, int64_t t,
    struct weir_value *out, const char **why)
{
	weir_scratch_reset(&e->sc);
	e->t = t;
	e->spans = fields;
	if (eval(e, e->root, out) < 0) {
		*why = e->why;
		return -1;
	}
	return 0;
}

int
weir_expr_test(struct weir_expr *e, const struct weir_span *fields, int64_t t, const char **why)
{
	struct weir_value v;
	if (weir_expr_eval(e, fields, t, &v, why) < 0)
		return -1;
	int r = truth(e, &v);
	if (r == -2) {
		*why = "the condition is not a boolean";
		return -1;
	}
	return r == 1;
}
