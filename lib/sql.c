/*
 * sql.c: compiling one SELECT into a pipeline of weir's programs (sql.h).
 *
 * PostgreSQL's parser gives the tree; the programs take expressions as
 * text, so each expression the pipeline needs is cut from the query
 * itself: a node's text runs from the first location in its subtree to
 * the end of its last token, with the parentheses, END and IS NULL that
 * close it.  Grouped queries rewrite the SELECT list and HAVING over the
 * aggregated row: an aggregate call becomes the member weir-agg writes
 * for it, a GROUP BY expression the member that holds it, a window's
 * start and end the row's bounds.  Trees are compared with their
 * locations left out (PostgreSQL matches GROUP BY expressions the same
 * way, by their parsed form).
 */
#include "sql.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "evtime.h"
#include "expr.h"
#include "fields.h"
#include "pgparse.h"
#include "value.h"

#define MAX_ITEMS 64

enum tok { K_WORD, K_STRING, K_IDENT, K_NUMBER, K_LPAREN, K_RPAREN, K_COMMA, K_SEMI, K_OP };

struct token {
	enum tok k;
	int at, end;
};

struct rep {		/* replace [b, e) of the query by with */
	int b, e;
	const char *with;
};

struct agg {
	char *shape;		/* the call, locations left out */
	char *spec;		/* weir-agg's operand, FUNC:FIELD */
	char *name;		/* the member it writes */
	char *ref;		/* that member in an expression */
};

struct group {
	char *shape;
	char *by;		/* the --by path */
	char *member;		/* the member of the row that holds it */
	char *ref;		/* that member in an expression */
};

/* A join in FROM, compiled to weir-join before the rest of the query,
 * which then reads its rows {"left":…,"right":…} from standard input. */
struct join {
	char *args[32];		/* weir-join's arguments, its inputs included */
	int nargs;
	char *within;		/* the interval join's bound (NULL: a lookup table) */
};

struct compiler {
	const char *orig;	/* the query as given */
	char *q;		/* as parsed: FROM 'file' quoted as an identifier */
	struct token *t;
	int nt;
	struct weir_sql *s;
	const struct weir_sql_opts *o;
	char *err;
	size_t errlen;
	bool failed;
	char *time_field;
	/* grouping */
	struct group g[MAX_ITEMS];
	int ng;
	json_t *window;		/* the GROUP BY item that is the window */
	char *wargs;		/* its arguments' shape, to match tumble_start(…) */
	char *wspec, *woffset;	/* --window, --offset */
	struct agg a[MAX_ITEMS];
	int na;
	bool exact;
	char *pre[2 * MAX_ITEMS];	/* --set NAME=EXPR before weir-agg */
	int npre;
};

/* --- messages ----------------------------------------------------------------------- */

static int fail(struct compiler *c, int at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message, then the query's line holding position at with a caret
 * under it (at < 0: no caret).  The first failure is kept. */
static int
fail(struct compiler *c, int at, const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	size_t len = strlen(c->orig);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	if (at < 0) {	/* the query, without a caret */
		snprintf(c->err + n, c->errlen - (size_t)n, "\n  %s", c->orig);
		return -1;
	}
	if ((size_t)at > len)
		at = (int)len;
	int b = at, e = at;
	while (b > 0 && c->orig[b - 1] != '\n')
		b--;
	while (c->orig[e] && c->orig[e] != '\n')
		e++;
	int col = 0;	/* in characters, for the caret */
	for (int i = b; i < at; i++)
		col += ((unsigned char)c->orig[i] & 0xC0) != 0x80;
	snprintf(c->err + n, c->errlen - (size_t)n, "\n  %.*s\n  %*s^", e - b, c->orig + b, col,
	    "");
	return -1;
}

static char *
dup_or_fail(struct compiler *c, char *p)
{
	if (p == NULL)
		fail(c, -1, "out of memory");
	return p;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *p = NULL;
	if (vasprintf(&p, f, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

/* --- tokens ------------------------------------------------------------------------- */

static bool
op_char(char ch)
{
	return ch && strchr("+-*/<>=~!@#%^&|`?:.[]", ch) != NULL;
}

/* Splits the query into tokens: enough of PostgreSQL's lexical rules to
 * find where strings, identifiers, parentheses and words are. */
static int
lex(struct compiler *c)
{
	const char *q = c->q;
	int n = (int)strlen(q), i = 0, cap = 64;
	c->t = malloc((size_t)cap * sizeof *c->t);
	while (c->t && i < n) {
		unsigned char ch = (unsigned char)q[i];
		if (isspace(ch)) {
			i++;
			continue;
		}
		if (ch == '-' && q[i + 1] == '-') {
			while (i < n && q[i] != '\n')
				i++;
			continue;
		}
		if (ch == '/' && q[i + 1] == '*') {
			int depth = 1;
			for (i += 2; i < n && depth > 0;) {
				if (q[i] == '/' && q[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (q[i] == '*' && q[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			continue;
		}
		struct token t = {K_OP, i, i + 1};
		if (ch == '\'' || (strchr("EeBbXxNn", ch) && q[i + 1] == '\'')) {
			bool esc = ch == 'E' || ch == 'e';
			int j = i + (ch == '\'' ? 1 : 2);
			for (; j < n; j++) {
				if (esc && q[j] == '\\' && j + 1 < n)
					j++;
				else if (q[j] == '\'' && q[j + 1] == '\'')
					j++;
				else if (q[j] == '\'')
					break;
			}
			t.k = K_STRING;
			t.end = j < n ? j + 1 : n;
		} else if (ch == '"') {
			int j = i + 1;
			for (; j < n; j++) {
				if (q[j] == '"' && q[j + 1] == '"')
					j++;
				else if (q[j] == '"')
					break;
			}
			t.k = K_IDENT;
			t.end = j < n ? j + 1 : n;
		} else if (ch == '$' && (q[i + 1] == '$' || isalpha((unsigned char)q[i + 1]) ||
		    q[i + 1] == '_')) {
			int j = i + 1;
			while (isalnum((unsigned char)q[j]) || q[j] == '_')
				j++;
			if (q[j] == '$') {	/* $tag$ … $tag$ */
				int tl = j + 1 - i;
				const char *close = q + j + 1;
				for (; *close; close++)
					if (strncmp(close, q + i, (size_t)tl) == 0)
						break;
				t.k = K_STRING;
				t.end = *close ? (int)(close - q) + tl : n;
			}
		} else if (isalpha(ch) || ch == '_' || ch >= 0x80) {
			int j = i + 1;
			while (isalnum((unsigned char)q[j]) || q[j] == '_' || q[j] == '$' ||
			    (unsigned char)q[j] >= 0x80)
				j++;
			t.k = K_WORD;
			t.end = j;
		} else if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)q[i + 1]))) {
			int j = i;
			while (isdigit((unsigned char)q[j]) || q[j] == '.' || q[j] == '_')
				j++;
			if ((q[j] == 'e' || q[j] == 'E') && (isdigit((unsigned char)q[j + 1]) ||
			    ((q[j + 1] == '+' || q[j + 1] == '-') && isdigit((unsigned char)q[j + 2])))) {
				j += 2;
				while (isdigit((unsigned char)q[j]))
					j++;
			}
			t.k = K_NUMBER;
			t.end = j;
		} else if (ch == '(' || ch == ')' || ch == ',' || ch == ';') {
			t.k = ch == '(' ? K_LPAREN : ch == ')' ? K_RPAREN : ch == ',' ? K_COMMA : K_SEMI;
		} else if (strchr(".[]", ch) == NULL) {
			int j = i + 1;
			while (op_char(q[j]) && strchr(".[]", q[j]) == NULL &&
			    !(q[j] == '-' && q[j + 1] == '-') && !(q[j] == '/' && q[j + 1] == '*'))
				j++;
			t.end = j;
		}
		if (c->nt == cap) {
			struct token *nt = realloc(c->t, (size_t)(cap *= 2) * sizeof *nt);
			if (nt == NULL)
				break;
			c->t = nt;
		}
		c->t[c->nt++] = t;
		i = t.end;
	}
	return c->t && i >= n ? 0 : fail(c, -1, "out of memory");
}

/* The token that starts at or holds position at, or -1. */
static int
tok_at(const struct compiler *c, int at)
{
	int lo = 0, hi = c->nt - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (c->t[mid].end <= at)
			lo = mid + 1;
		else if (c->t[mid].at > at)
			hi = mid - 1;
		else
			return mid;
	}
	return -1;
}

static bool
is_word(const struct compiler *c, int i, const char *w)
{
	return i >= 0 && i < c->nt && c->t[i].k == K_WORD &&
	    (size_t)(c->t[i].end - c->t[i].at) == strlen(w) &&
	    strncasecmp(c->q + c->t[i].at, w, strlen(w)) == 0;
}

static bool
is_op(const struct compiler *c, int i, const char *op)
{
	return i >= 0 && i < c->nt && c->t[i].k == K_OP &&
	    (size_t)(c->t[i].end - c->t[i].at) == strlen(op) &&
	    strncmp(c->q + c->t[i].at, op, strlen(op)) == 0;
}

/* The index of the ')' that closes the '(' at i (i itself if it is none). */
static int
closing(const struct compiler *c, int i)
{
	if (i >= c->nt || c->t[i].k != K_LPAREN)
		return i;
	int depth = 0;
	for (int j = i; j < c->nt; j++) {
		depth += c->t[j].k == K_LPAREN ? 1 : c->t[j].k == K_RPAREN ? -1 : 0;
		if (depth == 0)
			return j;
	}
	return c->nt - 1;
}

/* --- the parse tree ----------------------------------------------------------------- */

/* A node is {"Type": {…}}: its type and body, or NULL. */
static json_t *
body(json_t *n, const char **type)
{
	const char *key;
	json_t *v;
	if (!json_is_object(n) || json_object_size(n) != 1)
		return NULL;
	json_object_foreach(n, key, v) {
		if (!isupper((unsigned char)key[0]) || !json_is_object(v))
			return NULL;
		*type = key;
		return v;
	}
	return NULL;
}

static json_t *
node_of(json_t *n, const char *type)
{
	const char *t;
	json_t *b = body(n, &t);
	return b && strcmp(t, type) == 0 ? b : NULL;
}

static int
loc(json_t *b)
{
	json_t *l = json_object_get(b, "location");
	return json_is_integer(l) ? (int)json_integer_value(l) : -1;
}

static int
min_loc(json_t *v)
{
	int m = -1;
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			int k = min_loc(x);
			if (k >= 0 && (m < 0 || k < m))
				m = k;
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			int k = strcmp(key, "location") == 0 && json_is_integer(x) ?
			    (int)json_integer_value(x) : min_loc(x);
			if (k >= 0 && (m < 0 || k < m))
				m = k;
		}
	}
	return m;
}

/* The end of the tokens from i that close a call: (…) and WITHIN GROUP
 * (…), FILTER (…), OVER (…) after it. */
static int
call_end(const struct compiler *c, int i)
{
	while (i + 2 < c->nt && is_op(c, i + 1, ".") &&
	    (c->t[i + 2].k == K_WORD || c->t[i + 2].k == K_IDENT))
		i += 2;
	if (i + 1 >= c->nt || c->t[i + 1].k != K_LPAREN)
		return c->t[i].end;
	i = closing(c, i + 1);
	for (;;) {
		if (is_word(c, i + 1, "WITHIN") && is_word(c, i + 2, "GROUP"))
			i = closing(c, i + 3);
		else if (is_word(c, i + 1, "FILTER") || is_word(c, i + 1, "OVER"))
			i = c->t[i + 2].k == K_LPAREN ? closing(c, i + 2) : i + 2;
		else
			break;
	}
	return c->t[i < c->nt ? i : c->nt - 1].end;
}

static int
max_end(int a, int b)
{
	return a > b ? a : b;
}

/* Where the text of a node ends (see the top of the file). */
static int
node_end(const struct compiler *c, json_t *v)
{
	int e = -1;
	const char *key, *type;
	json_t *x;
	size_t idx;
	if (json_is_array(v)) {
		json_array_foreach(v, idx, x)
			e = max_end(e, node_end(c, x));
		return e;
	}
	if (!json_is_object(v))
		return -1;
	json_object_foreach(v, key, x) {
		if (strcmp(key, "location") == 0 && json_is_integer(x)) {
			int i = tok_at(c, (int)json_integer_value(x));
			if (i >= 0)
				e = max_end(e, c->t[i].end);
		} else {
			e = max_end(e, node_end(c, x));
		}
	}
	json_t *b = body(v, &type);
	int i = b ? tok_at(c, loc(b)) : -1;
	if (i < 0)
		return e;
	if (strcmp(type, "FuncCall") == 0) {
		e = max_end(e, call_end(c, i));
	} else if (strcmp(type, "ColumnRef") == 0) {
		while (i + 2 < c->nt && is_op(c, i + 1, ".") && c->t[i + 2].k != K_LPAREN)
			i += 2;
		e = max_end(e, c->t[i].end);
	} else if (strcmp(type, "A_Const") == 0 && is_op(c, i, "-") && i + 1 < c->nt) {
		e = max_end(e, c->t[i + 1].end);
	} else if (strcmp(type, "CaseExpr") == 0) {
		int depth = 0;
		for (; i < c->nt; i++) {
			depth += is_word(c, i, "CASE") ? 1 : is_word(c, i, "END") ? -1 : 0;
			if (depth == 0)
				break;
		}
		if (i < c->nt)
			e = max_end(e, c->t[i].end);
	} else if (strcmp(type, "TypeName") == 0) {
		while (is_word(c, i + 1, "PRECISION") || is_word(c, i + 1, "VARYING") ||
		    is_word(c, i + 1, "WITH") || is_word(c, i + 1, "WITHOUT") ||
		    is_word(c, i + 1, "TIME") || is_word(c, i + 1, "ZONE"))
			i++;
		if (i + 1 < c->nt && c->t[i + 1].k == K_LPAREN)
			i = closing(c, i + 1);
		e = max_end(e, c->t[i].end);
	} else if (strcmp(type, "NullTest") == 0 || strcmp(type, "BooleanTest") == 0) {
		/* at IS (then [NOT] NULL, TRUE, FALSE, UNKNOWN), ISNULL or NOTNULL */
		if (is_word(c, i, "IS"))
			i += is_word(c, i + 1, "NOT") ? 2 : 1;
		if (i < c->nt)
			e = max_end(e, c->t[i].end);
	}
	return e;
}

/* The text of a node: [*b, *e) of c->q. */
static void
span(const struct compiler *c, json_t *n, int *b, int *e)
{
	*b = min_loc(n);
	*e = node_end(c, n);
	if (*b < 0 || *e < *b) {
		*b = *e = 0;
		return;
	}
	int depth = 0, i = tok_at(c, *b), first = i;
	for (; i >= 0 && i < c->nt && c->t[i].at < *e; i++)
		depth += c->t[i].k == K_LPAREN ? 1 : c->t[i].k == K_RPAREN ? -1 : 0;
	for (; depth < 0 && first > 0 && c->t[first - 1].k == K_LPAREN; depth++)
		*b = c->t[--first].at;	/* (a + b) * c starts at its '(' */
	for (; depth > 0 && i >= 0 && i < c->nt; i++) {
		depth += c->t[i].k == K_LPAREN ? 1 : c->t[i].k == K_RPAREN ? -1 : 0;
		*e = c->t[i].end;
	}
}

/* [b, e) of src with the replacements (sorted, apart, within it) made. */
static char *
replaced(struct compiler *c, const char *src, int b, int e, const struct rep *r, int nr)
{
	size_t cap = (size_t)(e - b) + 1;
	for (int i = 0; i < nr; i++)
		cap += strlen(r[i].with);
	char *out = malloc(cap), *p = out;
	if (out == NULL)
		return dup_or_fail(c, NULL);
	int at = b;
	for (int i = 0; i < nr; i++) {
		memcpy(p, src + at, (size_t)(r[i].b - at));
		p += r[i].b - at;
		p = stpcpy(p, r[i].with);
		at = r[i].e;
	}
	memcpy(p, src + at, (size_t)(e - at));
	p[e - at] = '\0';
	return out;
}

/* The node's text with the replacements (sorted, apart) made. */
static char *
text_with(struct compiler *c, json_t *n, const struct rep *r, int nr)
{
	int b, e;
	span(c, n, &b, &e);
	return replaced(c, c->q, b, e, r, nr);
}

/* The node's text, as it is: an expression a program compiles, compiled
 * now so that its error points into the query. */
static char *
text_of(struct compiler *c, json_t *n)
{
	char *t = text_with(c, n, NULL, 0);
	struct weir_plan *plan = weir_plan_new();
	char msg[512];
	int at, b, e;
	struct weir_expr *x = t && plan ? weir_expr_compile_at(t, plan, msg, sizeof msg, &at) :
	    NULL;
	if (t && plan && x == NULL) {
		span(c, n, &b, &e);
		fail(c, b + (at >= 0 ? at : 0), "%s", msg);
		free(t);
		t = NULL;
	}
	weir_expr_free(x);
	weir_plan_free(plan);
	return t;
}

/* A tree with its locations left out, as text: equal shapes, equal
 * expressions. */
static json_t *
strip(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_array(v)) {
		json_t *a = json_array();
		json_array_foreach(v, i, x)
			json_array_append_new(a, strip(x));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		json_object_foreach(v, key, x)
			if (strcmp(key, "location") != 0)
				json_object_set_new(o, key, strip(x));
		return o;
	}
	return json_incref(v);
}

static char *
shape(struct compiler *c, json_t *v)
{
	json_t *s = strip(v);
	char *out = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(s);
	return dup_or_fail(c, out);
}

static const char *
sval(json_t *str)
{
	json_t *b = node_of(str, "String");
	const char *s = json_string_value(json_object_get(b, "sval"));
	return s ? s : "";
}

/* The function's name, its last part. */
static const char *
func_name(json_t *f)
{
	json_t *names = json_object_get(f, "funcname");
	return sval(json_array_get(names, json_array_size(names) - 1));
}

/* A column reference as a weir path (dots between members, a dot or
 * comma in a name escaped), or NULL when it is none (a star). */
static char *
column_path(json_t *ref)
{
	json_t *fields = json_object_get(ref, "fields"), *f;
	size_t i, cap = 1;
	json_array_foreach(fields, i, f) {
		if (node_of(f, "String") == NULL)
			return NULL;
		cap += 2 * strlen(sval(f)) + 1;
	}
	char *p = malloc(cap), *o = p;
	if (p == NULL)
		return NULL;
	json_array_foreach(fields, i, f) {
		if (i)
			*o++ = '.';
		for (const char *s = sval(f); *s; s++) {
			if (*s == '.' || *s == ',' || *s == '\\')
				*o++ = '\\';
			*o++ = *s;
		}
	}
	*o = '\0';
	return p;
}

/* The column name PostgreSQL gives an unnamed SELECT item. */
static const char *
colname(json_t *v)
{
	const char *type;
	json_t *b = body(v, &type);
	if (b == NULL)
		return "?column?";
	if (strcmp(type, "ColumnRef") == 0) {
		json_t *f = json_object_get(b, "fields");
		json_t *last = json_array_get(f, json_array_size(f) - 1);
		return node_of(last, "String") ? sval(last) : "?column?";
	}
	if (strcmp(type, "FuncCall") == 0)
		return func_name(b);
	if (strcmp(type, "TypeCast") == 0) {
		const char *n = colname(json_object_get(b, "arg"));
		if (strcmp(n, "?column?") != 0)
			return n;
		json_t *names = json_object_get(json_object_get(json_object_get(b, "typeName"),
		    "TypeName"), "names");
		return sval(json_array_get(names, json_array_size(names) - 1));
	}
	if (strcmp(type, "CaseExpr") == 0)
		return "case";
	if (strcmp(type, "CoalesceExpr") == 0)
		return "coalesce";
	if (strcmp(type, "MinMaxExpr") == 0)
		return strcmp(json_string_value(json_object_get(b, "op")) ?
		    json_string_value(json_object_get(b, "op")) : "", "IS_GREATEST") == 0 ?
		    "greatest" : "least";
	if (strcmp(type, "A_Expr") == 0 &&
	    strcmp(json_string_value(json_object_get(b, "kind")) ?
	    json_string_value(json_object_get(b, "kind")) : "", "AEXPR_NULLIF") == 0)
		return "nullif";
	return "?column?";
}

/* A constant's text as the query gives it: a number, or a string's
 * contents (quotes taken out).  NULL when it is none. */
static char *
const_text(struct compiler *c, json_t *v)
{
	const char *type;
	json_t *b = body(v, &type);
	if (b && strcmp(type, "TypeCast") == 0)
		return const_text(c, json_object_get(b, "arg"));
	if (b == NULL || strcmp(type, "A_Const") != 0)
		return NULL;
	int i = tok_at(c, loc(b));
	if (i < 0)
		return NULL;
	const struct token *t = &c->t[i];
	if (t->k == K_NUMBER || (is_op(c, i, "-") && i + 1 < c->nt &&
	    c->t[i + 1].k == K_NUMBER))
		return fmt("%.*s", c->t[t->k == K_NUMBER ? i : i + 1].end - t->at, c->q + t->at);
	if (t->k != K_STRING || c->q[t->at] != '\'')
		return NULL;
	char *s = malloc((size_t)(t->end - t->at)), *o = s;
	for (int j = t->at + 1; s && j < t->end - 1; j++) {
		if (c->q[j] == '\'')
			j++;
		*o++ = c->q[j];
	}
	if (s)
		*o = '\0';
	return s;
}

/* A duration as weir writes it: in the largest unit that divides it. */
static char *
dur_text(int64_t ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {{"d", 86400000000000}, {"h", 3600000000000}, {"m", 60000000000},
	    {"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
	size_t u = 0;
	while (ns % units[u].ns != 0)
		u++;
	return fmt("%lld%s", (long long)(ns / units[u].ns), units[u].unit);
}

/* An interval constant as a weir duration: the largest unit that divides
 * it (1m, 90s, 250ms). */
static char *
duration(struct compiler *c, json_t *v, const char *what)
{
	char *t = const_text(c, v);
	int64_t ns;
	if (t == NULL || weir_interval_parse(t, strlen(t), &ns) < 0 || ns <= 0) {
		free(t);
		fail(c, min_loc(v), "%s must be a constant interval, such as INTERVAL '1 minute'",
		    what);
		return NULL;
	}
	free(t);
	return dup_or_fail(c, dur_text(ns));
}

/* A name as an identifier in an expression: bare when PostgreSQL reads
 * it back as the same name, quoted otherwise ("N", "p 99", "user"). */
static char *
ident(const char *name)
{
	static const char *const reserved[] = {"all", "analyse", "analyze", "and", "any",
	    "array", "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate",
	    "column", "constraint", "create", "current_catalog", "current_date", "current_role",
	    "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc",
	    "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign",
	    "from", "grant", "group", "having", "in", "initially", "intersect", "into",
	    "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null",
	    "offset", "on", "only", "or", "order", "placing", "primary", "references",
	    "returning", "select", "session_user", "some", "symmetric", "table", "then", "to",
	    "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
	    "window", "with"};
	bool bare = (*name >= 'a' && *name <= 'z') || *name == '_';
	for (const char *p = name; bare && *p; p++)
		bare = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	for (size_t i = 0; bare && i < sizeof reserved / sizeof *reserved; i++)
		bare = strcmp(name, reserved[i]) != 0;
	if (bare)
		return strdup(name);
	char *q = malloc(2 * strlen(name) + 3), *o = q;
	if (q == NULL)
		return NULL;
	*o++ = '"';
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	strcpy(o, "\"");
	return q;
}

/* --- stages ------------------------------------------------------------------------- */

static struct weir_sql_stage *
stage(struct compiler *c, const char *prog, bool weir)
{
	if (c->s->n == WEIR_SQL_STAGES) {
		fail(c, -1, "too many stages");
		return NULL;
	}
	struct weir_sql_stage *st = &c->s->stage[c->s->n++];
	st->weir = weir;
	st->argv[st->argc++] = dup_or_fail(c, strdup(prog));
	return st;
}

static void
arg(struct compiler *c, struct weir_sql_stage *st, char *a)
{
	if (a == NULL) {
		fail(c, -1, "out of memory");
	} else if (st->argc == WEIR_SQL_ARGS) {
		free(a);
		fail(c, -1, "too many arguments");
	} else {
		st->argv[st->argc++] = a;
	}
}

static void
arg2(struct compiler *c, struct weir_sql_stage *st, const char *opt, char *value)
{
	arg(c, st, strdup(opt));
	arg(c, st, value);
}

/* The time column a window or ORDER BY names: -t's when given (they must
 * agree). */
static int
time_column(struct compiler *c, json_t *v, const char *what)
{
	json_t *ref = node_of(v, "ColumnRef");
	char *path = ref ? column_path(ref) : NULL;
	if (path == NULL)
		return fail(c, min_loc(v), "%s takes the time column itself (a field of the "
		    "events, such as ts)", what);
	if (c->o->time_field && strcmp(c->o->time_field, path) != 0) {
		free(path);
		return fail(c, min_loc(v), "%s names another time column than -t %s", what,
		    c->o->time_field);
	}
	if (c->time_field && strcmp(c->time_field, path) != 0) {
		free(path);
		return fail(c, min_loc(v), "one time column per query (%s before)",
		    c->time_field);
	}
	free(c->time_field);
	c->time_field = path;
	return 0;
}

/* --- FROM --------------------------------------------------------------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static int
add_file(struct compiler *c, const char *path, int at)
{
	if (access(path, R_OK) < 0)
		return fail(c, at, "cannot read '%s': %s", path, strerror(errno));
	char **f = realloc(c->s->files, (size_t)(c->s->nfiles + 1) * sizeof *f);
	if (f == NULL || (f[c->s->nfiles] = strdup(path)) == NULL)
		return fail(c, -1, "out of memory");
	c->s->files = f;
	c->s->nfiles++;
	return 0;
}

/* FROM stdin, FROM 'file' (a glob too), FROM "file". */
static int
source(struct compiler *c, json_t *from)
{
	if (json_array_size(from) == 0)
		return 0;
	json_t *item = json_array_get(from, 1);
	if (item) {
		return fail(c, min_loc(item), "one source (a comma in FROM is a cross join): "
		    "name several files with a glob, FROM 'logs/*.ndjson'");
	}
	item = json_array_get(from, 0);
	const char *type;
	json_t *b = body(item, &type);
	if (b && strcmp(type, "JoinExpr") == 0)
		return fail(c, min_loc(item), "joins are not compiled yet: write them with "
		    "weir-join(1) (an interval join or a lookup table) and pipe into weir sql");
	if (b == NULL || strcmp(type, "RangeVar") != 0)
		return fail(c, min_loc(item), "FROM takes stdin or a file name in quotes, such as "
		    "FROM 'events.ndjson'");
	int i = tok_at(c, loc(b));
	const struct token *t = i >= 0 ? &c->t[i] : NULL;
	if (t && t->k == K_WORD && is_word(c, i, "stdin") && !is_op(c, i + 1, "."))
		return 0;
	if (t == NULL || t->k != K_IDENT || t->end - t->at < 2 || json_object_get(b, "schemaname"))
		return fail(c, loc(b), "FROM takes stdin or a file name in quotes, such as "
		    "FROM 'events.ndjson'");
	char *path = strndup(c->q + t->at + 1, (size_t)(t->end - t->at - 2));
	if (path == NULL)
		return fail(c, -1, "out of memory");
	int rc = 0;
	if (strpbrk(path, "*?[")) {
		glob_t g;
		if (glob(path, 0, NULL, &g) != 0) {
			rc = fail(c, t->at, "no file matches '%s'", path);
		} else {
			for (size_t k = 0; k < g.gl_pathc && rc == 0; k++)
				rc = add_file(c, g.gl_pathv[k], t->at);
			globfree(&g);
		}
	} else {
		rc = add_file(c, path, t->at);
	}
	free(path);
	if (rc < 0)
		return -1;
	int gz = 0, csv = 0, tsv = 0;
	for (int k = 0; k < c->s->nfiles; k++) {
		const char *f = c->s->files[k];
		bool z = ends_with(f, ".gz");
		gz += z;
		csv += ends_with(f, z ? ".csv.gz" : ".csv");
		tsv += ends_with(f, z ? ".tsv.gz" : ".tsv");
	}
	if (gz > 0 && c->s->nfiles > 1)
		return fail(c, t->at, "one compressed file at a time (zcat them into weir sql, "
		    "FROM stdin)");
	if (csv == c->s->nfiles || tsv == c->s->nfiles)
		c->s->input_format = dup_or_fail(c, strdup(csv ? "csv" : "tsv"));
	return 0;
}

/* --- aggregates --------------------------------------------------------------------- */

static const struct {
	const char *sql, *weir;
} agg_names[] = {
	{"count", "count"}, {"sum", "sum"}, {"avg", "avg"}, {"min", "min"}, {"max", "max"},
	{"stddev", "stddev"}, {"stddev_samp", "stddev"}, {"variance", "var"},
	{"var_samp", "var"}, {"approx_count_distinct", "approx_distinct"},
	{"percentile_disc", "p"}, {"percentile_cont", "p"}, {"approx_percentile", "p"},
	{"first_value", "first"}, {"last_value", "last"},
};

/* Aggregates PostgreSQL has and weir does not compute. */
static const char *const other_aggs[] = {
	"array_agg", "string_agg", "bool_and", "bool_or", "every", "bit_and", "bit_or",
	"json_agg", "jsonb_agg", "json_object_agg", "mode", "corr", "covar_pop", "covar_samp",
	"stddev_pop", "var_pop", "regr_slope", "regr_intercept", "xmlagg", "range_agg",
};

static int
agg_index(const char *name)
{
	for (size_t i = 0; i < sizeof agg_names / sizeof *agg_names; i++)
		if (strcmp(name, agg_names[i].sql) == 0)
			return (int)i;
	for (size_t i = 0; i < sizeof other_aggs / sizeof *other_aggs; i++)
		if (strcmp(name, other_aggs[i]) == 0)
			return -2;
	return -1;
}

static bool
has_agg(json_t *v)
{
	const char *key, *type;
	json_t *x;
	size_t i;
	json_t *b = body(v, &type);
	if (b && strcmp(type, "FuncCall") == 0 && agg_index(func_name(b)) != -1)
		return true;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (has_agg(x))
				return true;
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			if (has_agg(x))
				return true;
	}
	return false;
}

/* The field an aggregate reads: a column's path, or a member the first
 * weir-select computes from the expression; with FILTER (WHERE cond), the
 * member CASE WHEN cond THEN value END (aggregates skip NULL, so this is
 * PostgreSQL's meaning).  v NULL: count(*)'s value, 1. */
static char *
agg_field(struct compiler *c, json_t *v, json_t *filter)
{
	json_t *ref = v ? node_of(v, "ColumnRef") : NULL;
	if (ref && filter == NULL) {
		char *p = column_path(ref);
		if (p == NULL)
			fail(c, min_loc(v), "an aggregate of * other than count(*)");
		return p;
	}
	if ((v && has_agg(v)) || (filter && has_agg(filter))) {
		fail(c, min_loc(v && has_agg(v) ? v : filter), "aggregate function calls cannot be "
		    "nested");
		return NULL;
	}
	char *name = fmt("__v%d", c->npre + 1), *text = v ? text_of(c, v) : strdup("1");
	char *cond = filter ? text_of(c, filter) : NULL;
	if (name && text && (cond || !filter) && c->npre < 2 * MAX_ITEMS)
		c->pre[c->npre++] = dup_or_fail(c, cond ? fmt("%s=CASE WHEN (%s) THEN (%s) END", name,
		    cond, text) : fmt("%s=%s", name, text));
	free(text);
	free(cond);
	return dup_or_fail(c, name);
}

/* The fraction of a percentile as weir's pNN. */
static char *
percent(struct compiler *c, json_t *v)
{
	char *t = const_text(c, v), *end;
	double f = t ? strtod(t, &end) : -1;
	bool ok = t && *end == '\0' && f >= 0 && f <= 1;
	free(t);
	if (!ok) {
		fail(c, min_loc(v), "a percentile takes a constant fraction from 0 to 1, such as "
		    "0.99");
		return NULL;
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%.10g", f * 100);
	return dup_or_fail(c, fmt("p%s", buf));
}

/* Registers an aggregate call (once per distinct call); its index, or -1. */
static int
aggregate(struct compiler *c, json_t *call, const char *name)
{
	json_t *f = node_of(call, "FuncCall");
	char *sh = shape(c, call);
	if (sh == NULL)
		return -1;
	for (int i = 0; i < c->na; i++)
		if (strcmp(c->a[i].shape, sh) == 0) {
			free(sh);
			return i;
		}
	const char *fn = func_name(f);
	int k = agg_index(fn), at = loc(f);
	json_t *args = json_object_get(f, "args");
	json_t *order = json_object_get(f, "agg_order");
	bool star = json_is_true(json_object_get(f, "agg_star"));
	bool distinct = json_is_true(json_object_get(f, "agg_distinct"));
	bool within = json_is_true(json_object_get(f, "agg_within_group"));
	json_t *filter = json_object_get(f, "agg_filter");
	char *spec = NULL;
	if (c->na == MAX_ITEMS) {
		fail(c, at, "at most %d aggregates", MAX_ITEMS);
	} else if (k == -2) {
		fail(c, at, "weir does not compute %s(): its aggregates are count, sum, avg, min, "
		    "max, stddev, variance, approx_count_distinct, percentile_disc, percentile_cont, "
		    "first_value, last_value", fn);
	} else if (json_object_get(f, "over")) {
		fail(c, at, "window functions (OVER) are not compiled: weir-step(1) computes running "
		    "values per key");
	} else if (strcmp(agg_names[k].weir, "p") == 0) {
		bool approx = strcmp(fn, "approx_percentile") == 0;
		json_t *frac = approx ? json_array_get(args, 1) : json_array_get(args, 0);
		json_t *by = approx ? json_array_get(args, 0) : json_object_get(node_of(
		    json_array_get(order, 0), "SortBy"), "node");
		const char *dir = json_string_value(json_object_get(node_of(json_array_get(order,
		    0), "SortBy"), "sortby_dir"));
		if (approx ? json_array_size(args) != 2 || within : !within ||
		    json_array_size(args) != 1 || json_array_size(order) != 1) {
			fail(c, at, approx ? "approx_percentile(x, fraction)" :
			    "%s(fraction) WITHIN GROUP (ORDER BY x)", fn);
		} else if (dir && strcmp(dir, "SORTBY_DEFAULT") != 0 && strcmp(dir, "SORTBY_ASC")
		    != 0) {
			fail(c, at, "a percentile over a descending order: use 1 - fraction");
		} else {
			char *p = percent(c, frac), *field = p ? agg_field(c, by, filter) : NULL;
			if (field)
				spec = fmt("%s:%s%s", p, field, strcmp(fn, "percentile_cont") == 0 ?
				    ":linear" : "");
			c->exact |= !approx;
			free(p);
			free(field);
		}
	} else if (k == -1 || within || json_array_size(order) > 0) {
		fail(c, at, "%s() is not an aggregate weir computes this way", fn);
	} else if (star && filter) {
		char *field = agg_field(c, NULL, filter);
		spec = field ? fmt("count:%s", field) : NULL;
		free(field);
	} else if (star) {
		spec = strdup("count");
	} else if (json_array_size(args) != 1) {
		fail(c, at, "%s() takes one argument here", fn);
	} else if (distinct && strcmp(fn, "count") != 0) {
		fail(c, at, "DISTINCT inside %s(): weir has count(DISTINCT x) only", fn);
	} else {
		char *field = agg_field(c, json_array_get(args, 0), filter);
		/* SQL's sum of no value is NULL (weir-agg's sum writes 0) */
		if (field)
			spec = fmt("%s:%s%s", distinct ? "distinct" : agg_names[k].weir, field,
			    strcmp(fn, "sum") == 0 ? ":null" : "");
		free(field);
	}
	if (c->failed) {
		free(sh);
		free(spec);
		return -1;
	}
	/* a name a key or a bound of the row has already: a hidden one */
	for (int i = 0; name && i < c->ng; i++)
		if (strcmp(c->g[i].member, name) == 0)
			name = NULL;
	if (name && c->wspec && (strcmp(name, "window_start") == 0 ||
	    strcmp(name, "window_end") == 0))
		name = NULL;
	struct agg *a = &c->a[c->na];
	a->shape = sh;
	a->spec = dup_or_fail(c, spec);
	a->name = dup_or_fail(c, name ? strdup(name) : fmt("__a%d", c->na + 1));
	a->ref = a->name ? dup_or_fail(c, ident(a->name)) : NULL;
	return c->failed ? -1 : c->na++;
}

/* --- GROUP BY ----------------------------------------------------------------------- */

static const char *const window_funcs[] = {"tumble", "hop", "session", "date_bin", "date_trunc"};

static bool
is_window_call(json_t *v)
{
	json_t *f = node_of(v, "FuncCall");
	for (size_t i = 0; f && i < sizeof window_funcs / sizeof *window_funcs; i++)
		if (strcmp(func_name(f), window_funcs[i]) == 0)
			return true;
	return false;
}

/* A timestamp constant as PostgreSQL reads one: RFC 3339, a space for the
 * T, a date alone, no offset for UTC. */
static int
time_constant(const char *s, int64_t *t)
{
	char buf[64];
	size_t n = strlen(s);
	if (n < 10 || n > 40)
		return -1;
	memcpy(buf, s, n + 1);
	if (n == 10)
		strcpy(buf + 10, "T00:00:00Z");
	else if (buf[10] == ' ')
		buf[10] = 'T';
	n = strlen(buf);
	if (weir_time_parse_rfc3339(buf, n, t) == 0)
		return 0;
	strcat(buf, "Z");
	return weir_time_parse_rfc3339(buf, n + 1, t);
}

/* A window in GROUP BY: --window, --offset and the time column. */
static int
window(struct compiler *c, json_t *v)
{
	json_t *f = node_of(v, "FuncCall");
	const char *fn = func_name(f);
	json_t *args = json_object_get(f, "args");
	size_t n = json_array_size(args);
	int at = loc(f);
	if (c->window)
		return fail(c, at, "one window per query");
	c->window = v;
	c->wargs = shape(c, args);
	if (strcmp(fn, "tumble") == 0 || strcmp(fn, "session") == 0) {
		if (n != 2)
			return fail(c, at, "%s(time column, INTERVAL '…')", fn);
		char *d = duration(c, json_array_get(args, 1), fn);
		if (d)
			c->wspec = strcmp(fn, "session") == 0 ? fmt("session:%s", d) : strdup(d);
		free(d);
		return time_column(c, json_array_get(args, 0), fn);
	}
	if (strcmp(fn, "hop") == 0) {	/* Flink's HOP(time, slide, size) */
		if (n != 3)
			return fail(c, at, "hop(time column, INTERVAL slide, INTERVAL size)");
		char *slide = duration(c, json_array_get(args, 1), "hop's slide");
		char *size = slide ? duration(c, json_array_get(args, 2), "hop's size") : NULL;
		if (size)
			c->wspec = fmt("%s/%s", size, slide);
		free(slide);
		free(size);
		return time_column(c, json_array_get(args, 0), fn);
	}
	if (strcmp(fn, "date_bin") == 0) {	/* PostgreSQL's: date_bin(stride, time, origin) */
		if (n != 3)
			return fail(c, at, "date_bin(INTERVAL '…', time column, TIMESTAMP origin)");
		char *d = duration(c, json_array_get(args, 0), "date_bin's stride");
		char *origin = d ? const_text(c, json_array_get(args, 2)) : NULL;
		int64_t t = 0, stride;
		if (d && (origin == NULL || (strcmp(origin, "epoch") != 0 &&
		    time_constant(origin, &t) < 0))) {
			fail(c, min_loc(json_array_get(args, 2)), "date_bin's origin must be a "
			    "constant time, such as TIMESTAMPTZ '1970-01-01T00:00:00Z'");
		} else if (d && weir_duration_parse(d, &stride) == 0) {
			int64_t off = origin && strcmp(origin, "epoch") == 0 ? 0 : t % stride;
			if (off < 0)
				off += stride;
			if (off)
				c->woffset = dur_text(off);
			c->wspec = strdup(d);
		}
		free(d);
		free(origin);
		return c->failed ? -1 : time_column(c, json_array_get(args, 1), fn);
	}
	/* date_trunc('unit', time) */
	char *unit = n == 2 ? const_text(c, json_array_get(args, 0)) : NULL;
	static const char *const units[][3] = {{"second", "1s", NULL}, {"minute", "1m", NULL},
	    {"hour", "1h", NULL}, {"day", "1d", NULL}, {"week", "7d", "4d"}};
	for (size_t i = 0; unit && i < sizeof units / sizeof *units; i++)
		if (strcasecmp(unit, units[i][0]) == 0) {
			c->wspec = strdup(units[i][1]);
			c->woffset = units[i][2] ? strdup(units[i][2]) : NULL;
		}
	free(unit);
	if (c->wspec == NULL)
		return fail(c, at, "date_trunc('second' | 'minute' | 'hour' | 'day' | 'week', time "
		    "column): months and years are not windows of one length");
	return time_column(c, json_array_get(args, 1), fn);
}

/* A GROUP BY item: 1 (the first SELECT item), an output name, or an
 * expression. */
static json_t *
resolve_group(struct compiler *c, json_t *item, json_t *targets)
{
	json_t *k = node_of(item, "A_Const");
	json_t *ref = node_of(item, "ColumnRef");
	if (k && json_object_get(k, "ival")) {
		char *t = const_text(c, item);
		long n = t ? strtol(t, NULL, 10) : 0;
		free(t);
		if (n < 1 || (size_t)n > json_array_size(targets)) {
			fail(c, loc(k), "GROUP BY position %ld is not in the select list", n);
			return NULL;
		}
		return json_object_get(node_of(json_array_get(targets, (size_t)n - 1),
		    "ResTarget"), "val");
	}
	if (ref && json_array_size(json_object_get(ref, "fields")) == 1) {
		const char *name = sval(json_array_get(json_object_get(ref, "fields"), 0));
		size_t i;
		json_t *t;
		json_array_foreach(targets, i, t) {
			json_t *rt = node_of(t, "ResTarget");
			const char *alias = json_string_value(json_object_get(rt, "name"));
			json_t *val = json_object_get(rt, "val");
			json_t *vref = node_of(val, "ColumnRef");
			if (alias && strcmp(alias, name) == 0 && !(vref && strcmp(colname(val),
			    name) == 0))
				return val;
		}
	}
	return item;
}

static int
group(struct compiler *c, json_t *v)
{
	if (is_window_call(v))
		return window(c, v);
	if (has_agg(v))
		return fail(c, min_loc(v), "aggregate functions are not allowed in GROUP BY");
	if (c->ng == MAX_ITEMS)
		return fail(c, min_loc(v), "at most %d GROUP BY items", MAX_ITEMS);
	char *sh = shape(c, v);
	for (int i = 0; sh && i < c->ng; i++)
		if (strcmp(c->g[i].shape, sh) == 0) {
			free(sh);
			return 0;
		}
	struct group *g = &c->g[c->ng++];
	g->shape = sh;
	json_t *ref = node_of(v, "ColumnRef");
	if (ref && (g->by = column_path(ref)) == NULL)
		return fail(c, min_loc(v), "GROUP BY *");
	if (ref) {
		size_t nf = json_array_size(json_object_get(ref, "fields"));
		g->member = strdup(g->by);
		if (nf == 1) {
			g->ref = text_of(c, v);
		} else {	/* "a.b": the row's member of that name */
			g->ref = malloc(2 * strlen(g->by) + 3);
			char *o = g->ref;
			if (o) {
				*o++ = '"';
				for (const char *s = g->by; *s; s++) {
					if (*s == '\\')
						continue;
					if (*s == '"')
						*o++ = '"';
					*o++ = *s;
				}
				strcpy(o, "\"");
			}
		}
	} else {
		char *text = text_of(c, v);
		g->by = fmt("__g%d", c->ng);
		g->member = g->by ? strdup(g->by) : NULL;
		g->ref = g->by ? strdup(g->by) : NULL;
		if (text && g->by && c->npre < 2 * MAX_ITEMS)
			c->pre[c->npre++] = fmt("%s=%s", g->by, text);
		free(text);
	}
	return g->by && g->member && g->ref ? 0 : fail(c, -1, "out of memory");
}

/* tumble_start(…), hop_end(…), … matching the window: its bound, or NULL. */
static const char *
window_bound(struct compiler *c, json_t *v)
{
	json_t *f = node_of(v, "FuncCall");
	if (f == NULL || c->window == NULL)
		return NULL;
	const char *fn = func_name(f);
	const char *us = strrchr(fn, '_');
	if (us == NULL || (strcmp(us, "_start") != 0 && strcmp(us, "_end") != 0))
		return NULL;
	const char *wn = func_name(node_of(c->window, "FuncCall"));
	if (strlen(wn) != (size_t)(us - fn) || strncmp(fn, wn, strlen(wn)) != 0)
		return NULL;
	char *sh = shape(c, json_object_get(f, "args"));
	bool same = sh && strcmp(sh, c->wargs) == 0;
	free(sh);
	if (!same) {
		fail(c, loc(f), "%s() must take the arguments of the window in GROUP BY", fn);
		return NULL;
	}
	return strcmp(us, "_start") == 0 ? "window_start" : "window_end";
}

static int
add_rep(struct compiler *c, struct rep *r, int *nr, json_t *v, const char *with)
{
	if (*nr == 4 * MAX_ITEMS)
		return fail(c, min_loc(v), "an expression too long to compile");
	span(c, v, &r[*nr].b, &r[*nr].e);
	r[*nr].with = with;
	(*nr)++;
	return 0;
}

/* Collects what changes in an expression over the aggregated row. */
static int
collect(struct compiler *c, json_t *v, struct rep *r, int *nr)
{
	const char *key, *type;
	json_t *x;
	size_t i;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (collect(c, x, r, nr) < 0)
				return -1;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	json_t *b = body(v, &type);
	if (b) {
		char *sh = shape(c, v);
		if (sh == NULL)
			return -1;
		int g = 0;
		while (g < c->ng && strcmp(c->g[g].shape, sh) != 0)
			g++;
		bool win = false;
		if (c->window && is_window_call(v)) {
			char *wsh = shape(c, c->window);
			win = wsh && strcmp(wsh, sh) == 0;
			free(wsh);
		}
		free(sh);
		if (g < c->ng)
			return add_rep(c, r, nr, v, c->g[g].ref);
		if (win)
			return add_rep(c, r, nr, v, "window_start");
		const char *bound = window_bound(c, v);
		if (bound)
			return add_rep(c, r, nr, v, bound);
		if (c->failed)
			return -1;
		if (strcmp(type, "FuncCall") == 0 && agg_index(func_name(b)) != -1) {
			int a = aggregate(c, v, NULL);
			return a < 0 ? -1 : add_rep(c, r, nr, v, c->a[a].ref);
		}
		if (strcmp(type, "ColumnRef") == 0) {
			json_t *fl = json_object_get(b, "fields");
			const char *name = sval(json_array_get(fl, 0));
			if (c->window && json_array_size(fl) == 1 && (strcmp(name, "window_start") ==
			    0 || strcmp(name, "window_end") == 0))
				return 0;
			char *path = column_path(b);
			fail(c, loc(b), "column \"%s\" must appear in the GROUP BY clause or be used "
			    "in an aggregate function", path ? path : "*");
			free(path);
			return -1;
		}
		if (strcmp(type, "FuncCall") == 0)	/* its name is no column */
			return collect(c, json_object_get(b, "args"), r, nr);
	}
	json_object_foreach(v, key, x)
		if (collect(c, x, r, nr) < 0)
			return -1;
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	return ((const struct rep *)a)->b - ((const struct rep *)b)->b;
}

/* An expression over the aggregated row, as text. */
static char *
over_row(struct compiler *c, json_t *v)
{
	struct rep r[4 * MAX_ITEMS];
	int nr = 0;
	if (collect(c, v, r, &nr) < 0)
		return NULL;
	qsort(r, (size_t)nr, sizeof *r, by_start);
	return text_with(c, v, r, nr);
}

/* --- the SELECT list ---------------------------------------------------------------- */

struct item {
	char *name, *text;
	bool star;
};

static int
items(struct compiler *c, json_t *targets, struct item *it, int *n, bool grouped)
{
	size_t i;
	json_t *t;
	if (json_array_size(targets) > MAX_ITEMS)
		return fail(c, -1, "at most %d SELECT items", MAX_ITEMS);
	/* an item that is an aggregate call names it */
	json_array_foreach(targets, i, t) {
		json_t *rt = node_of(t, "ResTarget");
		json_t *val = json_object_get(rt, "val");
		json_t *f = node_of(val, "FuncCall");
		const char *alias = json_string_value(json_object_get(rt, "name"));
		if (grouped && f && agg_index(func_name(f)) >= 0 && aggregate(c, val, alias ?
		    alias : colname(val)) < 0)
			return -1;
	}
	json_array_foreach(targets, i, t) {
		json_t *rt = node_of(t, "ResTarget");
		json_t *val = json_object_get(rt, "val");
		const char *alias = json_string_value(json_object_get(rt, "name"));
		json_t *ref = node_of(val, "ColumnRef");
		json_t *last = ref ? json_array_get(json_object_get(ref, "fields"),
		    json_array_size(json_object_get(ref, "fields")) - 1) : NULL;
		struct item *x = &it[(*n)++];
		*x = (struct item){0};
		if (last && node_of(last, "A_Star")) {
			if (grouped || json_array_size(json_object_get(ref, "fields")) > 1)
				return fail(c, loc(rt), grouped ? "SELECT * with GROUP BY: name the "
				    "columns" : "only a bare * (the whole event)");
			x->star = true;
			continue;
		}
		x->name = strdup(alias ? alias : colname(val));
		x->text = grouped ? over_row(c, val) : text_of(c, val);
		if (c->failed)
			return -1;
		if (x->name == NULL || x->text == NULL)
			return fail(c, -1, "out of memory");
		if (strchr(x->name, '='))
			return fail(c, loc(rt), "a column name with '=' in it");
		for (int k = 0; k < *n - 1; k++)
			if (it[k].name && strcmp(it[k].name, x->name) == 0)
				return fail(c, loc(rt), "two columns named \"%s\": name one with AS",
				    x->name);
	}
	return 0;
}

static void
free_items(struct item *it, int n)
{
	for (int i = 0; i < n; i++) {
		free(it[i].name);
		free(it[i].text);
	}
}

/* weir-select writing the SELECT list: --only when it names every column
 * (the row is the list), --set beside * (the event with members added). */
static void
projection(struct compiler *c, struct weir_sql_stage *st, struct item *it, int n)
{
	bool star = false;
	for (int i = 0; i < n; i++)
		star |= it[i].star;
	if (!star)
		arg(c, st, strdup("--only"));
	for (int i = 0; i < n; i++)
		if (!it[i].star)
			arg2(c, st, "--set", fmt("%s=%s", it[i].name, it[i].text));
}

/* --- the statement ------------------------------------------------------------------ */

static char *
where_text(struct compiler *c, json_t *sel)
{
	json_t *w = json_object_get(sel, "whereClause");
	if (w == NULL)
		return NULL;
	if (has_agg(w)) {
		fail(c, min_loc(w), "aggregate functions are not allowed in WHERE (HAVING takes "
		    "them)");
		return NULL;
	}
	return text_of(c, w);
}

/* ORDER BY … NULLS FIRST or LAST */
static bool
nulls_given(json_t *sortby)
{
	const char *n = json_string_value(json_object_get(sortby, "sortby_nulls"));
	return n && strcmp(n, "SORTBY_NULLS_DEFAULT") != 0;
}

/* A constant LIMIT, or -1 when there is none. */
static long
limit(struct compiler *c, json_t *sel)
{
	json_t *l = json_object_get(sel, "limitCount");
	if (l == NULL)
		return -1;
	char *t = const_text(c, l), *end;
	long n = t ? strtol(t, &end, 10) : -1;
	if (t == NULL || *end || n < 0)
		fail(c, min_loc(l), "LIMIT takes a constant count");
	free(t);
	return n;
}

static int
grouped(struct compiler *c, json_t *sel, char *where)
{
	json_t *targets = json_object_get(sel, "targetList");
	json_t *groups = json_object_get(sel, "groupClause");
	json_t *distinct = json_object_get(sel, "distinctClause");
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g) {
		json_t *v = resolve_group(c, g, targets);
		if (v == NULL || group(c, v) < 0)
			return -1;
	}
	if (distinct) {		/* SELECT DISTINCT a, b: GROUP BY a, b */
		json_array_foreach(targets, i, g) {
			json_t *v = json_object_get(node_of(g, "ResTarget"), "val");
			if (has_agg(v))
				return fail(c, min_loc(v), "SELECT DISTINCT with aggregates");
			if (group(c, v) < 0)
				return -1;
		}
	}
	struct item it[MAX_ITEMS];
	int n = 0;
	int rc = items(c, targets, it, &n, true);
	json_t *having = json_object_get(sel, "havingClause");
	char *htext = rc == 0 && having ? over_row(c, having) : NULL;
	/* the row weir-agg writes: keys, bounds, aggregates */
	const char *row[3 * MAX_ITEMS + 2], *ref[3 * MAX_ITEMS + 2];	/* names, in SQL */
	int nrow = 0;
	for (int k = 0; k < c->ng; k++) {
		ref[nrow] = c->g[k].ref;
		row[nrow++] = c->g[k].member;
	}
	if (c->wspec) {
		ref[nrow] = "window_start";
		row[nrow++] = "window_start";
		ref[nrow] = "window_end";
		row[nrow++] = "window_end";
	}
	for (int k = 0; k < c->na; k++) {
		ref[nrow] = c->a[k].ref;
		row[nrow++] = c->a[k].name;
	}
	/* ORDER BY … LIMIT over all the input: the ranking of --top */
	json_t *sort = json_object_get(sel, "sortClause");
	long lim = limit(c, sel);
	char *rank = NULL;
	bool desc = false;
	if (rc == 0 && !c->failed && (sort || lim >= 0)) {
		json_t *sb = node_of(json_array_get(sort, 0), "SortBy");
		json_t *node = json_object_get(sb, "node");
		const char *dir = json_string_value(json_object_get(sb, "sortby_dir"));
		json_t *val = node ? resolve_group(c, node, targets) : NULL;
		char *t = val ? over_row(c, val) : NULL;
		for (int j = 0; t && j < nrow && rank == NULL; j++)
			if (strcmp(t, ref[j]) == 0)
				rank = strdup(row[j]);
		if (c->wspec && rank && strcmp(rank, "window_start") == 0 && lim < 0 &&
		    json_array_size(sort) == 1 && (dir == NULL || strcmp(dir, "SORTBY_DESC") != 0)) {
			free(rank);	/* rows come in window order */
			rank = NULL;
		} else if (c->wspec) {
			rc = fail(c, sort ? min_loc(sort) : -1, "ORDER BY and LIMIT over windows: rows "
			    "come in window order; each window's N first by an aggregate is weir-agg's "
			    "--top N --rank-by NAME");
		} else if (sort == NULL || json_array_size(sort) != 1 || rank == NULL ||
		    nulls_given(sb)) {
			rc = fail(c, sort ? min_loc(sort) : -1, "ORDER BY one aggregate or key of the "
			    "row, [DESC] [LIMIT N]: its N first rows by it");
		} else {
			desc = dir && strcmp(dir, "SORTBY_DESC") == 0;
		}
		free(t);
	}
	struct weir_sql_stage *st;
	if (rc == 0 && !c->failed && c->npre > 0) {	/* computed keys and arguments */
		st = stage(c, "weir-select", true);
		if (where)
			arg2(c, st, "--where", strdup(where));
		for (int k = 0; k < c->npre; k++)
			arg2(c, st, "--set", strdup(c->pre[k]));
		where = NULL;
	}
	if (rc == 0 && !c->failed && (st = stage(c, "weir-agg", true)) != NULL) {
		c->s->timed = c->s->agg = c->s->n - 1;
		if (where)
			arg2(c, st, "--where", strdup(where));
		if (c->ng > 0) {
			size_t len = 1;
			for (int k = 0; k < c->ng; k++)
				len += strlen(c->g[k].by) + 1;
			char *by = calloc(1, len);
			for (int k = 0; by && k < c->ng; k++) {
				if (k)
					strcat(by, ",");
				strcat(by, c->g[k].by);
			}
			arg2(c, st, "--by", by);
		}
		if (c->wspec) {
			arg2(c, st, "--window", strdup(c->wspec));
			if (c->woffset)
				arg2(c, st, "--offset", strdup(c->woffset));
		}
		if (c->time_field)
			arg2(c, st, "-t", strdup(c->time_field));
		else if (!c->wspec && !c->o->time_field && !c->o->processing_time)
			arg(c, st, strdup("--processing-time"));	/* groups over all input */
		if (htext)
			arg2(c, st, "--having", strdup(htext));
		if (rank) {
			arg2(c, st, "--top", fmt("%ld", lim >= 0 ? lim : 1000000000L));
			arg2(c, st, "--rank-by", strdup(rank));
			if (desc)
				arg(c, st, strdup("--desc"));
		}
		if (c->exact)
			arg(c, st, strdup("--exact"));
		for (int k = 0; k < c->na; k++)
			arg(c, st, strcmp(c->a[k].spec, "count") == 0 && strcmp(c->a[k].name, "count")
			    == 0 ? strdup("count") : fmt("%s=%s", c->a[k].spec, c->a[k].name));
		if (c->na == 0)
			arg(c, st, strdup("count=__a0"));
	}
	/* the SELECT list, unless the row is it already */
	bool same = !c->failed && c->na > 0 && n == nrow;
	for (int k = 0; same && k < n; k++)
		same = strcmp(it[k].name, row[k]) == 0 && strcmp(it[k].text, ref[k]) == 0;
	if (!c->failed && !same && (st = stage(c, "weir-select", true)) != NULL)
		projection(c, st, it, n);
	free(htext);
	free(rank);
	free_items(it, n);
	return c->failed ? -1 : rc;
}

static int
plain(struct compiler *c, json_t *sel, char *where)
{
	json_t *targets = json_object_get(sel, "targetList");
	json_t *distinct = json_object_get(sel, "distinctClause");
	json_t *sort = json_object_get(sel, "sortClause");
	long lim = limit(c, sel);
	struct item it[MAX_ITEMS];
	int n = 0;
	if (items(c, targets, it, &n, false) < 0) {
		free_items(it, n);
		return -1;
	}
	struct weir_sql_stage *st = NULL;
	if (sort) {	/* ORDER BY ts: weir-watermark orders within --lag */
		json_t *sb = node_of(json_array_get(sort, 0), "SortBy");
		const char *dir = json_string_value(json_object_get(sb, "sortby_dir"));
		if (json_array_size(sort) != 1 || (dir && strcmp(dir, "SORTBY_DESC") == 0) ||
		    nulls_given(sb))
			fail(c, min_loc(sort), "ORDER BY the time column, ascending: a stream is "
			    "ordered by event time only");
		else if (time_column(c, json_object_get(sb, "node"), "ORDER BY") == 0 &&
		    (st = stage(c, "weir-watermark", true)) != NULL) {
			c->s->timed = c->s->n - 1;
			arg2(c, st, "-t", strdup(c->time_field));
			if (where)
				arg2(c, st, "--where", strdup(where));
			where = NULL;
		}
	}
	if (!c->failed && json_array_size(distinct) > 0) {	/* DISTINCT ON (k): weir-dedupe */
		size_t len = 1, i;
		json_t *d;
		json_array_foreach(distinct, i, d) {
			json_t *ref = node_of(d, "ColumnRef");
			char *p = ref ? column_path(ref) : NULL;
			if (p == NULL) {
				fail(c, min_loc(d), "DISTINCT ON takes columns");
				break;
			}
			len += strlen(p) + 1;
			free(p);
		}
		char *key = c->failed ? NULL : calloc(1, len);
		json_array_foreach(distinct, i, d) {
			char *p = key ? column_path(node_of(d, "ColumnRef")) : NULL;
			if (p) {
				if (i)
					strcat(key, ",");
				strcat(key, p);
			}
			free(p);
		}
		if (key && (st = stage(c, "weir-dedupe", true)) != NULL) {
			if (c->s->timed < 0)
				c->s->timed = c->s->n - 1;
			if (c->time_field)
				arg2(c, st, "-t", strdup(c->time_field));
			else if (!c->o->time_field && !c->o->processing_time)
				arg(c, st, strdup("--processing-time"));
			arg2(c, st, "--key", key);
			if (where)
				arg2(c, st, "--where", strdup(where));
			where = NULL;
		} else {
			free(key);
		}
	}
	bool star_only = n == 1 && it[0].star, any = false;
	for (int i = 0; i < c->s->n; i++)
		any |= c->s->stage[i].weir;
	if (!c->failed && (!star_only || where || !any) &&
	    (st = stage(c, "weir-select", true)) != NULL) {
		if (where)
			arg2(c, st, "--where", strdup(where));
		if (!star_only)
			projection(c, st, it, n);
	}
	if (!c->failed && lim >= 0 && (st = stage(c, "head", false)) != NULL)
		arg2(c, st, "-n", fmt("%ld", lim));
	free_items(it, n);
	return c->failed ? -1 : 0;
}

/* FROM 'file' is not PostgreSQL's grammar: the string is quoted as an
 * identifier (same length, so locations hold) before parsing. */
static int
quote_sources(struct compiler *c)
{
	bool in_from = false;
	int depth = 0;
	for (int i = 0; i < c->nt; i++) {
		struct token *t = &c->t[i];
		depth += t->k == K_LPAREN ? 1 : t->k == K_RPAREN ? -1 : 0;
		if (depth > 0)
			continue;
		if (is_word(c, i, "FROM") || is_word(c, i, "JOIN")) {
			in_from = true;
		} else if (t->k == K_WORD) {
			static const char *const ends[] = {"WHERE", "GROUP", "HAVING", "ORDER",
			    "LIMIT", "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "ON",
			    "USING"};
			for (size_t k = 0; k < sizeof ends / sizeof *ends; k++)
				in_from &= !is_word(c, i, ends[k]);
		}
		if (in_from && t->k == K_STRING && c->q[t->at] == '\'' && t->end - t->at >= 2 &&
		    c->q[t->end - 1] == '\'' && i > 0 &&
		    (is_word(c, i - 1, "FROM") || is_word(c, i - 1, "JOIN") ||
		    c->t[i - 1].k == K_COMMA)) {
			if (memchr(c->q + t->at + 1, '"', (size_t)(t->end - t->at - 2)) ||
			    memchr(c->q + t->at + 1, '\'', (size_t)(t->end - t->at - 2)))
				return fail(c, t->at, "a file name with quotes in it: read it FROM stdin");
			c->q[t->at] = c->q[t->end - 1] = '"';
			t->k = K_IDENT;
		}
	}
	return 0;
}

static int join_query(struct compiler *c, json_t *sel, json_t *je, char **out, struct join *j);

/* A query rewritten without its source's alias: compiled once more, as no join. */
static const struct join no_join = {{0}};

/* --- JOIN ---------------------------------------------------------------------------- */

/* A side of a join: its name in the query (alias, else the file's or
 * stdin) and what weir-join reads ("-" for standard input). */
static int
join_side(struct compiler *c, json_t *v, char **name, char **path)
{
	json_t *b = node_of(v, "RangeVar");
	if (b == NULL)
		return fail(c, min_loc(v), "a join of two sources: FROM 'a.ndjson' a JOIN "
		    "'b.ndjson' b ON …");
	int i = tok_at(c, loc(b));
	const struct token *t = i >= 0 ? &c->t[i] : NULL;
	const char *alias = json_string_value(json_object_get(json_object_get(b, "alias"),
	    "aliasname"));
	const char *rel = json_string_value(json_object_get(b, "relname"));
	*name = strdup(alias ? alias : rel ? rel : "");
	if (t && t->k == K_WORD && is_word(c, i, "stdin")) {
		*path = strdup("-");
	} else if (t && t->k == K_IDENT && t->end - t->at >= 2) {
		*path = strndup(c->q + t->at + 1, (size_t)(t->end - t->at - 2));
		if (*path && access(*path, R_OK) < 0)
			return fail(c, t->at, "cannot read '%s': %s", *path, strerror(errno));
	} else {
		return fail(c, loc(b), "FROM takes stdin or a file name in quotes, such as "
		    "FROM 'events.ndjson'");
	}
	return *name && *path ? 0 : fail(c, -1, "out of memory");
}

/* A qualified column's side: 0 left, 1 right, -1 none; path the rest. */
static int
side_of(json_t *ref, const char *lname, const char *rname, char **path)
{
	json_t *f = json_object_get(ref, "fields");
	*path = NULL;
	if (json_array_size(f) < 2 || node_of(json_array_get(f, 0), "String") == NULL)
		return -1;
	const char *q = sval(json_array_get(f, 0));
	int side = strcmp(q, lname) == 0 ? 0 : strcmp(q, rname) == 0 ? 1 : -1;
	if (side < 0)
		return -1;
	json_t *rest = json_deep_copy(ref);
	json_array_remove(json_object_get(rest, "fields"), 0);
	*path = column_path(rest);
	json_decref(rest);
	return *path ? side : -1;
}

/* b.ts - INTERVAL '30 seconds' (sign -1) or + (sign 1): the column and
 * the duration's text. */
static int
time_bound(struct compiler *c, json_t *v, int sign, json_t **col, char **dur)
{
	json_t *a = node_of(v, "A_Expr");
	const char *op = a ? sval(json_array_get(json_object_get(a, "name"), 0)) : "";
	if (a == NULL || strcmp(op, sign < 0 ? "-" : "+") != 0 ||
	    node_of(json_object_get(a, "lexpr"), "ColumnRef") == NULL)
		return fail(c, min_loc(v), "the time bound of a join: b.ts BETWEEN a.ts - INTERVAL "
		    "'…' AND a.ts + INTERVAL '…'");
	*col = json_object_get(a, "lexpr");
	*dur = duration(c, json_object_get(a, "rexpr"), "a join's time bound");
	return *dur ? 0 : -1;
}

/* The conditions of ON: equal keys and one time bound. */
static int
join_on(struct compiler *c, json_t *quals, const char *lname, const char *rname, char **on,
    char **within, char **times)
{
	json_t *b = node_of(quals, "BoolExpr"), *conj = json_array();
	size_t i;
	json_t *x;
	if (b && strcmp(json_string_value(json_object_get(b, "boolop")) ?
	    json_string_value(json_object_get(b, "boolop")) : "", "AND_EXPR") == 0)
		json_array_extend(conj, json_object_get(b, "args"));
	else
		json_array_append(conj, quals);
	int rc = 0;
	json_array_foreach(conj, i, x) {
		json_t *a = node_of(x, "A_Expr");
		const char *kind = a ? json_string_value(json_object_get(a, "kind")) : NULL;
		const char *op = a ? sval(json_array_get(json_object_get(a, "name"), 0)) : "";
		json_t *l = a ? node_of(json_object_get(a, "lexpr"), "ColumnRef") : NULL;
		json_t *r = a ? node_of(json_object_get(a, "rexpr"), "ColumnRef") : NULL;
		char *lp = NULL, *rp = NULL;
		int ls = l ? side_of(l, lname, rname, &lp) : -1;
		int rs = r ? side_of(r, lname, rname, &rp) : -1;
		if (kind && strcmp(kind, "AEXPR_OP") == 0 && strcmp(op, "=") == 0 && ls >= 0 &&
		    rs >= 0 && ls != rs) {
			char *pair = fmt("%s%s%s=%s", *on ? *on : "", *on ? "," : "", ls == 0 ? lp : rp,
			    ls == 0 ? rp : lp);
			free(*on);
			*on = pair;
		} else if (kind && strcmp(kind, "AEXPR_BETWEEN") == 0 && ls >= 0 && !*within &&
		    json_array_size(json_object_get(node_of(json_object_get(a, "rexpr"), "List"),
		    "items")) == 2) {
			json_t *lohi = json_object_get(node_of(json_object_get(a, "rexpr"), "List"),
			    "items"), *lc, *hc;
			char *lo = NULL, *hi = NULL, *op_ = NULL, *oq = NULL;
			if (time_bound(c, json_array_get(lohi, 0), -1, &lc, &lo) == 0 &&
			    time_bound(c, json_array_get(lohi, 1), 1, &hc, &hi) == 0) {
				int s1 = side_of(node_of(lc, "ColumnRef"), lname, rname, &op_);
				int s2 = side_of(node_of(hc, "ColumnRef"), lname, rname, &oq);
				if (s1 < 0 || s1 == ls || s2 != s1 || strcmp(op_, oq) != 0)
					rc = fail(c, min_loc(x), "the time bound of a join compares one side's "
					    "time with the other's: b.ts BETWEEN a.ts - INTERVAL '…' AND "
					    "a.ts + INTERVAL '…'");
				else if (strcmp(lo, hi) != 0)
					rc = fail(c, min_loc(x), "weir joins within one distance both ways: "
					    "the same INTERVAL before and after");
				else {
					*within = strdup(lo);
					*times = fmt("%s\n%s", ls == 0 ? lp : op_, ls == 0 ? op_ : lp);
				}
				free(op_);
				free(oq);
			}
			free(lo);
			free(hi);
		} else {
			rc = fail(c, min_loc(x), "a join condition weir compiles is equal keys "
			    "(a.k = b.k) and a time bound (b.ts BETWEEN a.ts - INTERVAL '…' AND a.ts + "
			    "INTERVAL '…'), joined by AND");
		}
		free(lp);
		free(rp);
		if (rc < 0 || c->failed)
			break;
	}
	json_decref(conj);
	return c->failed ? -1 : rc;
}

/* Every column of the query outside FROM, renamed for weir-join's rows:
 * a.x is "left".x, b.x "right".x, a key of USING the left's (the right's
 * for a right join).  With outputs NULL (one source, lname its alias),
 * the columns lname does not name are left as they are. */
static int
join_columns(struct compiler *c, json_t *v, const char *lname, const char *rname,
    json_t *keys, bool right, json_t *outputs, struct rep *r, int *nr, char **texts)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (join_columns(c, x, lname, rname, keys, right, outputs, r, nr, texts) < 0)
				return -1;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	json_t *ref = node_of(v, "ColumnRef");
	if (ref) {
		json_t *f = json_object_get(ref, "fields");
		json_t *last = json_array_get(f, json_array_size(f) - 1);
		if (node_of(last, "A_Star") && outputs == NULL && json_array_size(f) == 2 &&
		    strcmp(sval(json_array_get(f, 0)), lname) == 0) {
			if (*nr == 4 * MAX_ITEMS || (texts[*nr] = strdup("*")) == NULL)
				return fail(c, loc(ref), "out of memory");
			span(c, v, &r[*nr].b, &r[*nr].e);	/* e.*: the whole event */
			r[*nr].with = texts[*nr];
			(*nr)++;
			return 0;
		}
		if (node_of(last, "A_Star"))
			return fail(c, loc(ref), "name the columns of a join (a.x, b.y)");
		char *path = NULL;
		int side = side_of(ref, lname, rname, &path);
		if (side < 0 && outputs == NULL)
			return 0;	/* one source: a column not named by its alias is as it is */
		if (side < 0 && json_array_size(f) == 1) {
			const char *name = sval(json_array_get(f, 0));
			bool is_key = false, is_output = false;
			json_array_foreach(keys, i, x)
				is_key |= strcmp(json_string_value(x), name) == 0;
			json_array_foreach(outputs, i, x)
				is_output |= strcmp(json_string_value(x), name) == 0;
			if (is_output || strcmp(name, "window_start") == 0 ||
			    strcmp(name, "window_end") == 0)
				return 0;	/* the query's own names */
			if (!is_key)
				return fail(c, loc(ref), "qualify the column: %s.%s or %s.%s", lname,
				    name, rname, name);
			path = strdup(name);
			side = right ? 1 : 0;
		}
		if (side < 0) {
			free(path);
			return fail(c, loc(ref), "no source of this join is named \"%s\"",
			    sval(json_array_get(f, 0)));
		}
		if (*nr == 4 * MAX_ITEMS) {
			free(path);
			return fail(c, loc(ref), "a query too long to compile");
		}
		/* the path's members as identifiers, after the side */
		size_t cap = strlen(path) * 3 + 16;
		char *t = malloc(cap), *o = t;
		if (t && outputs)	/* one source (outputs NULL): no side */
			o += sprintf(o, "\"%s\"", side ? "right" : "left");
		for (char *seg = path; t && seg;) {
			char *dot = seg;
			while (*dot && !(*dot == '.' && (dot == seg || dot[-1] != '\\')))
				dot++;
			char name[1024];
			size_t k = 0;
			for (char *p = seg; p < dot && k + 1 < sizeof name; p++)
				if (*p != '\\' || p + 1 == dot)
					name[k++] = *p;
			name[k] = '\0';
			char *id = ident(name);
			o += sprintf(o, "%s%s", o == t ? "" : ".", id ? id : name);
			free(id);
			seg = *dot ? dot + 1 : NULL;
		}
		free(path);
		texts[*nr] = t;
		span(c, v, &r[*nr].b, &r[*nr].e);
		r[*nr].with = t;
		(*nr)++;
		return t ? 0 : fail(c, -1, "out of memory");
	}
	json_object_foreach(v, key, x)
		if (strcmp(key, "fromClause") != 0 &&
		    join_columns(c, x, lname, rname, keys, right, outputs, r, nr, texts) < 0)
			return -1;
	return 0;
}

/* FROM a JOIN b ON …: weir-join's arguments in j, and in *out the query
 * over its rows (FROM stdin, columns renamed). */
static int
join_query(struct compiler *c, json_t *sel, json_t *je, char **out, struct join *j)
{
	const char *type = json_string_value(json_object_get(je, "jointype"));
	json_t *quals = json_object_get(je, "quals");
	json_t *using = json_object_get(je, "usingClause");
	char *lname = NULL, *rname = NULL, *lpath = NULL, *rpath = NULL;
	char *on = NULL, *within = NULL, *times = NULL;
	json_t *keys = json_array(), *outputs = json_array();
	int rc = -1;
	if (json_is_true(json_object_get(je, "isNatural"))) {
		fail(c, min_loc(je), "NATURAL JOIN: name the keys with USING (…)");
		goto out;
	}
	if (join_side(c, json_object_get(je, "larg"), &lname, &lpath) < 0 ||
	    join_side(c, json_object_get(je, "rarg"), &rname, &rpath) < 0)
		goto out;
	if (strcmp(lname, rname) == 0) {
		fail(c, min_loc(json_object_get(je, "rarg")), "two sources named \"%s\": give one "
		    "an alias", lname);
		goto out;
	}
	if (strcmp(lpath, "-") == 0 && strcmp(rpath, "-") == 0) {
		fail(c, min_loc(json_object_get(je, "rarg")), "one side may be stdin, not both");
		goto out;
	}
	size_t i;
	json_t *x;
	json_array_foreach(using, i, x) {
		char *pair = fmt("%s%s%s=%s", on ? on : "", on ? "," : "", sval(x), sval(x));
		free(on);
		on = pair;
		json_array_append_new(keys, json_string(sval(x)));
	}
	if (quals && join_on(c, quals, lname, rname, &on, &within, &times) < 0)
		goto out;
	if (on == NULL) {
		fail(c, min_loc(je), "a join needs equal keys: ON a.k = b.k, or USING (k)");
		goto out;
	}
	const char *jt = strcmp(type, "JOIN_LEFT") == 0 ? "left" : strcmp(type, "JOIN_RIGHT") ==
	    0 ? "right" : strcmp(type, "JOIN_FULL") == 0 ? "full" : "inner";
	/* weir-join's arguments */
#define JARG(v) do { if (j->nargs < 31) j->args[j->nargs++] = (v); } while (0)
	if (within) {
		char *nl = strchr(times, '\n');
		*nl = '\0';
		JARG(strdup(lpath));
		JARG(strdup(rpath));
		JARG(strdup("--on"));
		JARG(strdup(on));
		JARG(strdup("--within"));
		JARG(strdup(within));
		JARG(strdup("--left-time"));
		JARG(strdup(times));
		JARG(strdup("--right-time"));
		JARG(strdup(nl + 1));
		j->within = strdup(within);
	} else {
		if (strcmp(jt, "right") == 0 || strcmp(jt, "full") == 0 || strcmp(rpath, "-") == 0) {
			fail(c, min_loc(je), "a join without a time bound is a lookup in a table: "
			    "the table on the right of a JOIN or LEFT JOIN, read whole; bound a join of "
			    "two streams in time (b.ts BETWEEN a.ts - INTERVAL '…' AND a.ts + "
			    "INTERVAL '…')");
			goto out;
		}
		JARG(strdup("--table"));
		JARG(strdup(rpath));
		JARG(strdup("--on"));
		JARG(strdup(on));
	}
	if (strcmp(jt, "inner") != 0) {
		JARG(strdup("--type"));
		JARG(strdup(jt));
	}
	JARG(strdup("--nest"));
	if (!within && strcmp(lpath, "-") != 0)
		JARG(strdup(lpath));
#undef JARG
	/* the query over the join's rows */
	json_array_foreach(json_object_get(sel, "targetList"), i, x) {
		const char *name = json_string_value(json_object_get(node_of(x, "ResTarget"),
		    "name"));
		if (name)
			json_array_append_new(outputs, json_string(name));
	}
	struct rep r[4 * MAX_ITEMS + 1];
	char *texts[4 * MAX_ITEMS];
	int nr = 0;
	if (join_columns(c, sel, lname, rname, keys, strcmp(jt, "right") == 0, outputs, r, &nr,
	    texts) == 0) {
		/* the sources and the join's conditions, up to the next clause: stdin */
		int b = min_loc(json_object_get(je, "larg")), e = b, depth = 0;
		for (int k = tok_at(c, b); k >= 0 && k < c->nt; k++) {
			static const char *const ends[] = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT",
			    "OFFSET", "WINDOW", "UNION", "EXCEPT", "INTERSECT", "FETCH", "FOR"};
			bool stop = c->t[k].k == K_SEMI || (c->t[k].k == K_RPAREN && depth == 0);
			for (size_t w = 0; !stop && depth == 0 && w < sizeof ends / sizeof *ends; w++)
				stop = is_word(c, k, ends[w]);
			if (stop)
				break;
			depth += c->t[k].k == K_LPAREN ? 1 : c->t[k].k == K_RPAREN ? -1 : 0;
			e = c->t[k].end;
		}
		r[nr++] = (struct rep){b, e, "stdin"};
		qsort(r, (size_t)nr, sizeof *r, by_start);
		*out = replaced(c, c->q, 0, (int)strlen(c->q), r, nr);
		rc = *out ? 0 : -1;
		nr--;	/* the texts are those of the columns */
	}
	for (int k = 0; k < nr; k++)
		free(texts[k]);
out:
	if (c->failed)
		rc = -1;
	json_decref(keys);
	json_decref(outputs);
	free(lname);
	free(rname);
	free(lpath);
	free(rpath);
	free(on);
	free(within);
	free(times);
	return rc;
}

/* FROM 'file' e: the query again without the alias, e.x read as x (one
 * source: its columns are the events' members). */
static int
alias_query(struct compiler *c, json_t *sel, json_t *rv, char **out)
{
	const char *alias = json_string_value(json_object_get(json_object_get(rv, "alias"),
	    "aliasname"));
	struct rep r[4 * MAX_ITEMS + 1];
	char *texts[4 * MAX_ITEMS];
	int nr = 0, i = tok_at(c, loc(rv)), k = i + 1 + is_word(c, i + 1, "AS");
	if (i < 0 || k >= c->nt || json_object_get(json_object_get(rv, "alias"), "colnames"))
		return fail(c, loc(rv), "a source's alias names the source, not its columns");
	json_t *empty = json_array();
	int rc = join_columns(c, sel, alias, "", empty, false, NULL, r, &nr, texts);
	json_decref(empty);
	if (rc == 0) {
		r[nr++] = (struct rep){c->t[i].end, c->t[k].end, ""};
		qsort(r, (size_t)nr, sizeof *r, by_start);
		*out = replaced(c, c->orig, 0, (int)strlen(c->orig), r, nr);
		rc = *out ? 0 : -1;
		nr--;
	}
	for (int n = 0; n < nr; n++)
		free(texts[n]);
	return rc;
}

/* Compiles query; after a join, j is that join (the query rewritten to
 * read its rows). */
static int
compile_query(const char *query, const struct weir_sql_opts *o, struct weir_sql *s, char *err,
    size_t errlen, const struct join *j)
{
	struct compiler c = {.orig = query, .s = s, .o = o, .err = err, .errlen = errlen};
	json_t *tree = NULL;
	char *where = NULL, *rewritten = NULL;
	struct join jq = {{0}};
	int rc;
	if ((c.q = strdup(query)) == NULL)
		return fail(&c, -1, "out of memory");
	if (lex(&c) < 0 || quote_sources(&c) < 0)
		goto done;
	int errpos;
	char msg[512];
	if (weir_pg_parse(c.q, &tree, &errpos, msg, sizeof msg) < 0) {
		fail(&c, errpos, "%s", msg);
		goto done;
	}
	json_t *stmts = json_object_get(tree, "stmts");
	json_t *sel = node_of(json_object_get(json_array_get(stmts, 0), "stmt"), "SelectStmt");
	const char *op = json_string_value(json_object_get(sel, "op"));
	if (json_array_size(stmts) != 1 || sel == NULL) {
		fail(&c, -1, "weir sql runs one SELECT");
		goto done;
	}
	if (op && strcmp(op, "SETOP_NONE") != 0) {
		int at = -1;
		for (int i = 0; i < c.nt && at < 0; i++)
			if (is_word(&c, i, "UNION") || is_word(&c, i, "INTERSECT") ||
			    is_word(&c, i, "EXCEPT"))
				at = c.t[i].at;
		fail(&c, at, "UNION, INTERSECT and EXCEPT are not compiled: run the queries apart "
		    "and merge their output with weir-replay(1)");
		goto done;
	}
	static const char *const refused[][2] = {
		{"withClause", "WITH is not compiled: pipe one weir sql into another"},
		{"valuesLists", "VALUES is not a stream"},
		{"intoClause", "SELECT INTO: redirect the output"},
		{"lockingClause", "FOR UPDATE has no meaning on a stream"},
		{"windowClause", "WINDOW clauses are not compiled"},
		{"limitOffset", "OFFSET is not compiled: tail -n +N after the output"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		json_t *v = json_object_get(sel, refused[i][0]);
		if (v) {
			fail(&c, min_loc(v), "%s", refused[i][1]);
			goto done;
		}
	}
	json_t *je = node_of(json_array_get(json_object_get(sel, "fromClause"), 0), "JoinExpr");
	if (je && j == NULL && json_array_size(json_object_get(sel, "fromClause")) == 1) {
		/* the join first; the rest of the query over its rows */
		join_query(&c, sel, je, &rewritten, &jq);	/* compiled again at done */
		goto done;
	}
	json_t *rv = node_of(json_array_get(json_object_get(sel, "fromClause"), 0), "RangeVar");
	if (rv && json_object_get(rv, "alias") && j == NULL) {
		alias_query(&c, sel, rv, &rewritten);	/* compiled again at done */
		goto done;
	}
	if (source(&c, json_object_get(sel, "fromClause")) < 0)
		goto done;
	bool joined = j && j->nargs > 0;
	if (joined) {
		struct weir_sql_stage *st = stage(&c, "weir-join", true);
		for (int i = 0; st && i < j->nargs; i++)
			arg(&c, st, strdup(j->args[i]));
		s->timed = 0;
	}
	if (json_object_get(sel, "whereClause") && (where = where_text(&c, sel)) == NULL)
		goto done;
	/* gzip, or weir-replay to merge files in event time */
	json_t *distinct = json_object_get(sel, "distinctClause");
	bool plain_distinct = json_array_size(distinct) == 1 &&
	    json_object_size(json_array_get(distinct, 0)) == 0;
	bool is_grouped = json_object_get(sel, "groupClause") || plain_distinct ||
	    has_agg(json_object_get(sel, "targetList")) || json_object_get(sel, "havingClause");
	if (s->nfiles == 1 && ends_with(s->files[0], ".gz")) {
		struct weir_sql_stage *st = stage(&c, "gzip", false);
		arg(&c, st, strdup("-dc"));
		arg(&c, st, strdup("--"));
		arg(&c, st, s->files[0]);
		s->nfiles = 0;
	}
	int first = joined ? 0 : s->n;	/* after a join, weir-join reads the inputs */
	if (is_grouped)
		grouped(&c, sel, where);
	else
		plain(&c, sel, where);
	if (!c.failed && joined) {
		/* the program after the join keeps time too: a row may carry a time
		 * up to the join's bound behind the row before it */
		int after = s->timed;
		if (after > 0 && j->within)
			arg2(&c, &s->stage[after], "--lag", strdup(j->within));
		s->stateful_after_join = after > 0;
		s->timed = 0;
	}
	if (!c.failed && s->nfiles > 1 && s->timed >= 0) {
		/* files merged in event time, not one after the other */
		if (s->n == WEIR_SQL_STAGES) {
			fail(&c, -1, "too many stages");
			goto done;
		}
		memmove(&s->stage[first + 1], &s->stage[first], (size_t)(s->n - first) *
		    sizeof *s->stage);
		memset(&s->stage[first], 0, sizeof *s->stage);
		s->n++;
		s->timed++;
		s->agg += s->agg >= first;
		struct weir_sql_stage *st = &s->stage[first];
		st->weir = true;
		st->argv[st->argc++] = dup_or_fail(&c, strdup("weir-replay"));
		const char *tf = c.time_field ? c.time_field : o->time_field;
		if (tf)
			arg2(&c, st, "-t", strdup(tf));
	}
	s->reader = first;
done:
	free(where);
	json_decref(tree);
	free(c.time_field);
	free(c.wargs);
	free(c.wspec);
	free(c.woffset);
	for (int i = 0; i < c.ng; i++) {
		free(c.g[i].shape);
		free(c.g[i].by);
		free(c.g[i].member);
		free(c.g[i].ref);
	}
	for (int i = 0; i < c.na; i++) {
		free(c.a[i].shape);
		free(c.a[i].spec);
		free(c.a[i].name);
		free(c.a[i].ref);
	}
	for (int i = 0; i < c.npre; i++)
		free(c.pre[i]);
	free(c.t);
	free(c.q);
	rc = c.failed ? -1 : 0;
	if (rewritten && rc == 0)
		rc = compile_query(rewritten, o, s, err, errlen, jq.nargs ? &jq : &no_join);
	free(rewritten);
	for (int i = 0; i < jq.nargs; i++)
		free(jq.args[i]);
	free(jq.within);
	return rc;
}

int
weir_sql_compile(const char *query, const struct weir_sql_opts *o, struct weir_sql *s,
    char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->timed = s->agg = -1;
	return compile_query(query, o, s, err, errlen, NULL);
}



void
weir_sql_free(struct weir_sql *s)
{
	for (int i = 0; i < s->n; i++)
		for (int k = 0; k < s->stage[i].argc; k++)
			free(s->stage[i].argv[k]);
	for (int i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s->input_format);
	memset(s, 0, sizeof *s);
}
