/*
 * exprfn.c: the functions of expressions, with PostgreSQL's meaning for
 * each (exprfn.h).  Text is UTF-8: lengths and positions count characters;
 * case mapping is ASCII's, as in PostgreSQL's C locale.
 */
#include "exprfn.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtime.h"
#include "io.h"

/* --- conversions -------------------------------------------------------------- */

int
weir_fn_bad_input(struct weir_fnctx *c, const char *type, const char *s, size_t n)
{
	snprintf(c->msg, c->msglen, "invalid input syntax for type %s: \"%.*s\"", type,
	    (int)(n > 60 ? 60 : n), s);
	c->why = c->msg;
	return -1;
}

int
weir_to_number(struct weir_fnctx *c, const struct weir_value *v, struct weir_value *out)
{
	switch (v->type) {
	case WEIR_V_INT:
	case WEIR_V_FLOAT:
		*out = *v;
		return 0;
	case WEIR_V_TEXT:
		if (weir_number_parse(v->s, v->n, out) == 0)
			return 0;
		return weir_fn_bad_input(c, "numeric", v->s, v->n);
	case WEIR_V_BOOL:
		c->why = "a boolean is not a number";
		return -1;
	default:
		c->why = "not a number";
		return -1;
	}
}

int
weir_to_time(struct weir_fnctx *c, const struct weir_value *v, int64_t *t)
{
	if (v->type == WEIR_V_TIME) {
		*t = v->i;
		return 0;
	}
	if (v->type == WEIR_V_TEXT) {
		if (weir_time_parse_rfc3339(v->s, v->n, t) == 0)
			return 0;
		return weir_fn_bad_input(c, "timestamp with time zone", v->s, v->n);
	}
	c->why = "not a timestamp";
	return -1;
}

int
weir_to_interval(struct weir_fnctx *c, const struct weir_value *v, int64_t *ns)
{
	if (v->type == WEIR_V_INTERVAL) {
		*ns = v->i;
		return 0;
	}
	if (v->type == WEIR_V_TEXT) {
		if (weir_interval_parse(v->s, v->n, ns) == 0)
			return 0;
		return weir_fn_bad_input(c, "interval", v->s, v->n);
	}
	c->why = "not an interval";
	return -1;
}

int
weir_to_bool(struct weir_fnctx *c, const struct weir_value *v, bool *b)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	switch (v->type) {
	case WEIR_V_BOOL:
		*b = v->b;
		return 0;
	case WEIR_V_INT:
		*b = v->i != 0;
		return 0;
	case WEIR_V_TEXT: {
		const char *s = v->s;
		size_t n = v->n;
		while (n && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		/* a unique prefix of a word, as PostgreSQL reads booleans */
		for (int i = 0; i < 4 && n > 0; i++) {
			bool short_ok = i < 2 || n >= 2;	/* "o" is ambiguous */
			if (short_ok && n <= strlen(yes[i]) && strncasecmp(s, yes[i], n) == 0) {
				*b = true;
				return 0;
			}
			if (short_ok && n <= strlen(no[i]) && strncasecmp(s, no[i], n) == 0) {
				*b = false;
				return 0;
			}
		}
		return weir_fn_bad_input(c, "boolean", v->s, v->n);
	}
	default:
		c->why = "not a boolean";
		return -1;
	}
}

int
weir_to_text(struct weir_fnctx *c, const struct weir_value *v, const char **s, size_t *n)
{
	if (weir_value_text(v, c->sc, s, n) < 0) {
		c->why = "out of memory";
		return -1;
	}
	return 0;
}

static char *
room(struct weir_fnctx *c, size_t n)
{
	char *p = weir_scratch_get(c->sc, n ? n : 1);
	if (p == NULL)
		c->why = "out of memory";
	return p;
}

static int
text_out(struct weir_value *out, const char *s, size_t n)
{
	*out = (struct weir_value){.type = WEIR_V_TEXT, .s = s, .n = n};
	return 0;
}

static int
float_out(struct weir_fnctx *c, double d, struct weir_value *out)
{
	(void)c;
	*out = (struct weir_value){.type = WEIR_V_FLOAT, .d = d};
	return 0;
}

/* --- UTF-8 ------------------------------------------------------------------------ */

static size_t
char_len(unsigned char b)
{
	return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

static size_t
count_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i += char_len((unsigned char)s[i]))
		k++;
	return k;
}

/* The byte offset of character i (0-based), or n past the end. */
static size_t
byte_at(const char *s, size_t n, size_t i)
{
	size_t b = 0;
	while (i-- > 0 && b < n)
		b += char_len((unsigned char)s[b]);
	return b < n ? b : n;
}

/* --- text functions ------------------------------------------------------------ */

static int
int_arg(struct weir_fnctx *c, const struct weir_value *v, int64_t *i)
{
	struct weir_value x;
	if (weir_to_number(c, v, &x) < 0)
		return -1;
	if (x.type == WEIR_V_INT) {
		*i = x.i;
		return 0;
	}
	if (!(fabs(x.d) < 9.2e18)) {
		c->why = "integer out of range";
		return -1;
	}
	*i = (int64_t)llround(x.d);
	return 0;
}

static int
fn_case(struct weir_fnctx *c, const struct weir_value *a, struct weir_value *out, bool up)
{
	const char *s;
	size_t n;
	if (weir_to_text(c, a, &s, &n) < 0)
		return -1;
	char *p = room(c, n);
	if (p == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(up ? toupper((unsigned char)s[i]) : tolower((unsigned char)s[i]));
	return text_out(out, p, n);
}

static int
fn_lower(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return fn_case(c, a, out, false);
}

static int
fn_upper(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return fn_case(c, a, out, true);
}

static int
fn_length(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s;
	size_t k;
	if (weir_to_text(c, a, &s, &k) < 0)
		return -1;
	*out = (struct weir_value){.type = WEIR_V_INT, .i = (int64_t)count_chars(s, k)};
	return 0;
}

static int
fn_octet_length(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s;
	size_t k;
	if (weir_to_text(c, a, &s, &k) < 0)
		return -1;
	*out = (struct weir_value){.type = WEIR_V_INT, .i = (int64_t)k};
	return 0;
}

/* substr(s, from [, count]): characters from position `from` (1-based;
 * positions before 1 count towards `count` but hold nothing). */
static int
fn_substr(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	const char *s;
	size_t len;
	int64_t from, count = INT64_MAX;
	if (weir_to_text(c, &a[0], &s, &len) < 0 || int_arg(c, &a[1], &from) < 0 ||
	    (n > 2 && int_arg(c, &a[2], &count) < 0))
		return -1;
	if (count < 0) {
		c->why = "negative substring length not allowed";
		return -1;
	}
	int64_t end = count == INT64_MAX || from > INT64_MAX - count ? INT64_MAX : from + count;
	if (from < 1)
		from = 1;
	if (end <= from)
		return text_out(out, s, 0);
	size_t b0 = byte_at(s, len, (size_t)(from - 1));
	size_t b1 = end == INT64_MAX ? len : byte_at(s, len, (size_t)(end - 1));
	return text_out(out, s + b0, b1 - b0);
}

static const char *
find(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (nn == 0)
		return h;
	return memmem(h, hn, nd, nn);
}

static int
fn_strpos(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s, *sub;
	size_t sn, subn;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || weir_to_text(c, &a[1], &sub, &subn) < 0)
		return -1;
	const char *at = find(s, sn, sub, subn);
	*out = (struct weir_value){.type = WEIR_V_INT,
	    .i = at ? (int64_t)count_chars(s, (size_t)(at - s)) + 1 : 0};
	return 0;
}

static int
fn_starts_with(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s, *p;
	size_t sn, pn;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || weir_to_text(c, &a[1], &p, &pn) < 0)
		return -1;
	*out = (struct weir_value){.type = WEIR_V_BOOL, .b = pn <= sn && memcmp(s, p, pn) == 0};
	return 0;
}

/* split_part(s, delimiter, n): the n-th field (from the end when n < 0). */
static int
fn_split_part(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s, *d;
	size_t sn, dn;
	int64_t k;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || weir_to_text(c, &a[1], &d, &dn) < 0 ||
	    int_arg(c, &a[2], &k) < 0)
		return -1;
	if (k == 0) {
		c->why = "field position must not be zero";
		return -1;
	}
	if (dn == 0)	/* the whole string is the one field */
		return text_out(out, s, k == 1 || k == -1 ? sn : 0);
	size_t fields = 1;
	for (const char *p = s; (p = find(p, sn - (size_t)(p - s), d, dn)); p += dn)
		fields++;
	if (k < 0)
		k = (int64_t)fields + k + 1;
	if (k < 1 || (uint64_t)k > fields)
		return text_out(out, s, 0);
	const char *start = s;
	for (int64_t i = 1; i < k; i++)
		start = find(start, sn - (size_t)(start - s), d, dn) + dn;
	const char *end = find(start, sn - (size_t)(start - s), d, dn);
	return text_out(out, start, end ? (size_t)(end - start) : sn - (size_t)(start - s));
}

static int
fn_replace(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *s, *f, *t;
	size_t sn, fn, tn;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || weir_to_text(c, &a[1], &f, &fn) < 0 ||
	    weir_to_text(c, &a[2], &t, &tn) < 0)
		return -1;
	if (fn == 0)
		return text_out(out, s, sn);
	size_t hits = 0;
	for (const char *p = s; (p = find(p, sn - (size_t)(p - s), f, fn)); p += fn)
		hits++;
	char *o = room(c, sn + hits * tn);
	if (o == NULL)
		return -1;
	size_t k = 0;
	const char *p = s;
	for (const char *q; (q = find(p, sn - (size_t)(p - s), f, fn)); p = q + fn) {
		memcpy(o + k, p, (size_t)(q - p));
		k += (size_t)(q - p);
		memcpy(o + k, t, tn);
		k += tn;
	}
	memcpy(o + k, p, sn - (size_t)(p - s));
	k += sn - (size_t)(p - s);
	return text_out(out, o, k);
}

/* Is the character at s (of length cl) one of set's characters? */
static bool
in_set(const char *s, size_t cl, const char *set, size_t setn)
{
	for (size_t i = 0; i < setn; i += char_len((unsigned char)set[i]))
		if (char_len((unsigned char)set[i]) == cl && memcmp(set + i, s, cl) == 0)
			return true;
	return false;
}

static int
trim(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out, bool left,
    bool right)
{
	const char *s, *set = " ";
	size_t sn, setn = 1;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || (n > 1 && weir_to_text(c, &a[1], &set, &setn) < 0))
		return -1;
	size_t b = 0, e = sn;
	while (left && b < e && in_set(s + b, char_len((unsigned char)s[b]), set, setn))
		b += char_len((unsigned char)s[b]);
	while (right && e > b) {
		size_t k = e - 1;
		while (k > b && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		if (!in_set(s + k, e - k, set, setn))
			break;
		e = k;
	}
	return text_out(out, s + b, e - b);
}

static int
fn_btrim(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	return trim(c, a, n, out, true, true);
}

static int
fn_ltrim(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	return trim(c, a, n, out, true, false);
}

static int
fn_rtrim(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	return trim(c, a, n, out, false, true);
}

static int
fn_left_right(struct weir_fnctx *c, const struct weir_value *a, struct weir_value *out,
    bool left)
{
	const char *s;
	size_t sn;
	int64_t k;
	if (weir_to_text(c, &a[0], &s, &sn) < 0 || int_arg(c, &a[1], &k) < 0)
		return -1;
	size_t chars = count_chars(s, sn);
	size_t take = k >= 0 ? ((uint64_t)k < chars ? (size_t)k : chars) :
	    ((uint64_t)-k < chars ? chars - (size_t)-k : 0);
	if (left)
		return text_out(out, s, byte_at(s, sn, take));
	size_t b = byte_at(s, sn, chars - take);
	return text_out(out, s + b, sn - b);
}

static int
fn_left(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return fn_left_right(c, a, out, true);
}

static int
fn_right(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return fn_left_right(c, a, out, false);
}

/* concat(...): the texts of the arguments, NULLs left out. */
static int
fn_concat(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	const char *s[64];
	size_t l[64], total = 0;
	for (int i = 0; i < n && i < 64; i++) {
		if (a[i].type == WEIR_V_NULL) {
			l[i] = 0;
			s[i] = "";
		} else if (weir_to_text(c, &a[i], &s[i], &l[i]) < 0) {
			return -1;
		}
		total += l[i];
	}
	char *o = room(c, total);
	if (o == NULL)
		return -1;
	size_t k = 0;
	for (int i = 0; i < n && i < 64; i++) {
		memcpy(o + k, s[i], l[i]);
		k += l[i];
	}
	return text_out(out, o, k);
}

/* --- numbers --------------------------------------------------------------------- */

static double
as_double(const struct weir_value *x)
{
	return x->type == WEIR_V_INT ? (double)x->i : x->d;
}

static int
fn_abs(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	if (x.type == WEIR_V_INT) {
		if (x.i == INT64_MIN) {
			c->why = "bigint out of range";
			return -1;
		}
		*out = (struct weir_value){.type = WEIR_V_INT, .i = x.i < 0 ? -x.i : x.i};
		return 0;
	}
	return float_out(c, fabs(x.d), out);
}

/*
 * Rounds x to `digits` decimal places as PostgreSQL's numeric does (half
 * away from zero, or toward zero when truncating), working on x's shortest
 * decimal text so that 2.345 rounds to 2.35 as written, not as stored.
 */
static double
decimal_round(double x, int64_t digits, bool truncate)
{
	if (!isfinite(x) || digits > 300)
		return x;
	if (digits < -300)
		return 0;
	char buf[64], *e;
	snprintf(buf, sizeof buf, "%.17e", x);
	/* the shortest of 15..17 significant digits that reads back */
	for (int p = 15; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	bool neg = buf[0] == '-';
	char *m = buf + neg;
	e = strchr(m, 'e');
	int exp10 = atoi(e + 1);
	char digs[40];
	int nd = 0;
	for (char *q = m; q < e; q++)
		if (isdigit((unsigned char)*q))
			digs[nd++] = *q;
	/* value = 0.d1d2...dn * 10^(exp10 + 1); keep digits up to position
	 * exp10 + 1 + digits */
	int keep = exp10 + 1 + (int)digits;
	if (keep >= nd)
		return x;
	int carry = 0;
	if (keep < 0) {
		return 0 * (neg ? -1.0 : 1.0);
	}
	if (!truncate && digs[keep] >= '5')
		carry = 1;
	long double v = 0;
	for (int i = 0; i < keep; i++)
		v = v * 10 + (digs[i] - '0');
	v += carry;
	long double scale = powl(10.0L, (long double)(exp10 + 1 - keep));
	double r = (double)(v * scale);
	return neg ? -r : r;
}

static int
round_like(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out,
    bool truncate)
{
	struct weir_value x;
	int64_t digits = 0;
	if (weir_to_number(c, &a[0], &x) < 0 || (n > 1 && int_arg(c, &a[1], &digits) < 0))
		return -1;
	if (x.type == WEIR_V_INT && digits >= 0) {
		*out = x;
		out->s = NULL;
		return 0;
	}
	if (x.type == WEIR_V_INT) {
		if (digits < -18) {
			*out = (struct weir_value){.type = WEIR_V_INT};
			return 0;
		}
		int64_t p = 1;
		for (int64_t i = 0; i < -digits; i++)
			p *= 10;
		int64_t q = x.i / p, r = x.i % p;
		if (!truncate && (r >= p - r || -r >= p + r))
			q += x.i < 0 ? -1 : 1;
		*out = (struct weir_value){.type = WEIR_V_INT, .i = q * p};
		return 0;
	}
	return float_out(c, decimal_round(x.d, digits, truncate), out);
}

static int
fn_round(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	return round_like(c, a, n, out, false);
}

static int
fn_trunc(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	return round_like(c, a, n, out, true);
}

static int
floor_ceil(struct weir_fnctx *c, const struct weir_value *a, struct weir_value *out, bool up)
{
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	if (x.type == WEIR_V_INT) {
		*out = x;
		out->s = NULL;
		return 0;
	}
	return float_out(c, up ? ceil(x.d) : floor(x.d), out);
}

static int
fn_floor(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return floor_ceil(c, a, out, false);
}

static int
fn_ceil(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	return floor_ceil(c, a, out, true);
}

static int
fn_sign(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	double d = as_double(&x);
	if (x.type == WEIR_V_INT) {
		*out = (struct weir_value){.type = WEIR_V_INT, .i = (x.i > 0) - (x.i < 0)};
		return 0;
	}
	return float_out(c, (d > 0) - (d < 0), out);
}

static int
fn_sqrt(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	if (as_double(&x) < 0) {
		c->why = "cannot take square root of a negative number";
		return -1;
	}
	return float_out(c, sqrt(as_double(&x)), out);
}

static int
fn_ln(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	double d = as_double(&x);
	if (d <= 0) {
		c->why = d == 0 ? "cannot take logarithm of zero" :
		    "cannot take logarithm of a negative number";
		return -1;
	}
	return float_out(c, log(d), out);
}

/* log(x): base 10; log(b, x): base b. */
static int
fn_log(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	struct weir_value x, b = {.type = WEIR_V_INT, .i = 10};
	if (weir_to_number(c, &a[n - 1], &x) < 0 || (n > 1 && weir_to_number(c, &a[0], &b) < 0))
		return -1;
	double d = as_double(&x), base = as_double(&b);
	if (d <= 0 || base <= 0) {
		c->why = d == 0 || base == 0 ? "cannot take logarithm of zero" :
		    "cannot take logarithm of a negative number";
		return -1;
	}
	if (base == 1) {
		c->why = "division by zero";
		return -1;
	}
	return float_out(c, n > 1 ? log(d) / log(base) : log10(d), out);
}

static int
fn_exp(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	double r = exp(as_double(&x));
	if (!isfinite(r)) {
		c->why = "value out of range: overflow";
		return -1;
	}
	return float_out(c, r, out);
}

static int
fn_power(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x, y;
	if (weir_to_number(c, &a[0], &x) < 0 || weir_to_number(c, &a[1], &y) < 0)
		return -1;
	double b = as_double(&x), e = as_double(&y);
	if (b == 0 && e < 0) {
		c->why = "zero raised to a negative power is undefined";
		return -1;
	}
	if (b < 0 && e != floor(e)) {
		c->why = "a negative number raised to a non-integer power yields a complex result";
		return -1;
	}
	double r = pow(b, e);
	if (!isfinite(r)) {
		c->why = "value out of range: overflow";
		return -1;
	}
	return float_out(c, r, out);
}

static int
fn_mod(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x, y;
	if (weir_to_number(c, &a[0], &x) < 0 || weir_to_number(c, &a[1], &y) < 0)
		return -1;
	if (x.type == WEIR_V_INT && y.type == WEIR_V_INT) {
		if (y.i == 0) {
			c->why = "division by zero";
			return -1;
		}
		*out = (struct weir_value){.type = WEIR_V_INT, .i = y.i == -1 ? 0 : x.i % y.i};
		return 0;
	}
	if (as_double(&y) == 0) {
		c->why = "division by zero";
		return -1;
	}
	return float_out(c, fmod(as_double(&x), as_double(&y)), out);
}

/* --- time ----------------------------------------------------------------------- */

static int
time_out(struct weir_value *out, int64_t t)
{
	*out = (struct weir_value){.type = WEIR_V_TIME, .i = t};
	return 0;
}

static int
unit_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* date_trunc(unit, t) in UTC. */
static int
fn_date_trunc(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *u;
	size_t un;
	int64_t t;
	if (weir_to_text(c, &a[0], &u, &un) < 0 || weir_to_time(c, &a[1], &t) < 0)
		return -1;
	static const struct {
		const char *name;
		int64_t ns;
	} fixed[] = {
		{"microseconds", 1000}, {"milliseconds", 1000000}, {"second", WEIR_NS_PER_SEC},
		{"minute", 60 * WEIR_NS_PER_SEC}, {"hour", 3600 * WEIR_NS_PER_SEC},
		{"day", 86400 * WEIR_NS_PER_SEC},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (unit_is(u, un, fixed[i].name))
			return time_out(out, weir_floor_div(t, fixed[i].ns) * fixed[i].ns);
	int64_t days = weir_floor_div(t, 86400 * WEIR_NS_PER_SEC), y;
	unsigned m, d;
	weir_civil_from_days(days, &y, &m, &d);
	int64_t start;
	if (unit_is(u, un, "week")) {	/* ISO weeks start on Monday */
		int64_t dow = ((days % 7) + 7 + 3) % 7;	/* 1970-01-01 was a Thursday */
		start = days - dow;
	} else if (unit_is(u, un, "month")) {
		start = weir_days_from_civil(y, m, 1);
	} else if (unit_is(u, un, "quarter")) {
		start = weir_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
	} else if (unit_is(u, un, "year")) {
		start = weir_days_from_civil(y, 1, 1);
	} else if (unit_is(u, un, "decade")) {
		start = weir_days_from_civil(weir_floor_div(y, 10) * 10, 1, 1);
	} else if (unit_is(u, un, "century")) {
		start = weir_days_from_civil(y > 0 ? (y - 1) / 100 * 100 + 1 : y, 1, 1);
	} else if (unit_is(u, un, "millennium")) {
		start = weir_days_from_civil(y > 0 ? (y - 1) / 1000 * 1000 + 1 : y, 1, 1);
	} else {
		snprintf(c->msg, c->msglen, "unit \"%.*s\" not recognized for type timestamp with "
		    "time zone", (int)(un > 40 ? 40 : un), u);
		c->why = c->msg;
		return -1;
	}
	return time_out(out, start * 86400 * WEIR_NS_PER_SEC);
}

/* ISO 8601 week number and its year for a day number. */
static void
iso_week(int64_t days, int64_t *week, int64_t *year)
{
	int64_t dow = ((days % 7) + 7 + 3) % 7;	/* 0 = Monday */
	int64_t thursday = days - dow + 3, y;
	unsigned m, d;
	weir_civil_from_days(thursday, &y, &m, &d);
	*year = y;
	*week = (thursday - weir_days_from_civil(y, 1, 1)) / 7 + 1;
}

/* extract(field from t) and date_part(field, t). */
static int
fn_extract(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	const char *u;
	size_t un;
	int64_t t;
	if (weir_to_text(c, &a[0], &u, &un) < 0)
		return -1;
	if (a[1].type == WEIR_V_INTERVAL || (a[1].type == WEIR_V_TEXT && unit_is(u, un, "epoch") &&
	    weir_time_parse_rfc3339(a[1].s, a[1].n, &t) < 0 &&
	    weir_interval_parse(a[1].s, a[1].n, &t) == 0)) {
		int64_t ns;
		if (weir_to_interval(c, &a[1], &ns) < 0)
			return -1;
		if (unit_is(u, un, "epoch"))
			return float_out(c, (double)ns / 1e9, out);
		c->why = "only epoch can be extracted from an interval";
		return -1;
	}
	if (weir_to_time(c, &a[1], &t) < 0)
		return -1;
	int64_t days = weir_floor_div(t, 86400 * WEIR_NS_PER_SEC);
	int64_t in_day = t - days * 86400 * WEIR_NS_PER_SEC, y, v;
	unsigned m, d;
	weir_civil_from_days(days, &y, &m, &d);
	double sec = (double)(in_day % (60 * WEIR_NS_PER_SEC)) / 1e9;
	if (unit_is(u, un, "epoch"))
		return float_out(c, (double)weir_floor_div(t, 1000) / 1e6, out);
	if (unit_is(u, un, "second") || unit_is(u, un, "seconds"))
		return float_out(c, sec, out);
	if (unit_is(u, un, "milliseconds") || unit_is(u, un, "millisecond"))
		return float_out(c, (double)(in_day % (60 * WEIR_NS_PER_SEC) / 1000) / 1e3, out);
	if (unit_is(u, un, "microseconds") || unit_is(u, un, "microsecond")) {
		v = in_day % (60 * WEIR_NS_PER_SEC) / 1000;
	} else if (unit_is(u, un, "minute")) {
		v = in_day / (60 * WEIR_NS_PER_SEC) % 60;
	} else if (unit_is(u, un, "hour")) {
		v = in_day / (3600 * WEIR_NS_PER_SEC);
	} else if (unit_is(u, un, "day")) {
		v = d;
	} else if (unit_is(u, un, "month")) {
		v = m;
	} else if (unit_is(u, un, "quarter")) {
		v = (m - 1) / 3 + 1;
	} else if (unit_is(u, un, "year")) {
		v = y;
	} else if (unit_is(u, un, "decade")) {
		v = weir_floor_div(y, 10);
	} else if (unit_is(u, un, "century")) {
		v = y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100);
	} else if (unit_is(u, un, "millennium")) {
		v = y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000);
	} else if (unit_is(u, un, "dow")) {
		v = ((days % 7) + 7 + 4) % 7;	/* 0 = Sunday */
	} else if (unit_is(u, un, "isodow")) {
		v = ((days % 7) + 7 + 3) % 7 + 1;
	} else if (unit_is(u, un, "doy")) {
		v = days - weir_days_from_civil(y, 1, 1) + 1;
	} else if (unit_is(u, un, "week")) {
		int64_t iy;
		iso_week(days, &v, &iy);
	} else if (unit_is(u, un, "isoyear")) {
		int64_t w;
		iso_week(days, &w, &v);
	} else if (unit_is(u, un, "timezone") || unit_is(u, un, "timezone_hour") ||
	    unit_is(u, un, "timezone_minute")) {
		v = 0;	/* times are UTC */
	} else {
		snprintf(c->msg, c->msglen, "unit \"%.*s\" not recognized for type timestamp with "
		    "time zone", (int)(un > 40 ? 40 : un), u);
		c->why = c->msg;
		return -1;
	}
	*out = (struct weir_value){.type = WEIR_V_INT, .i = v};
	return 0;
}

/* to_timestamp(seconds since the epoch). */
static int
fn_to_timestamp(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)n;
	struct weir_value x;
	if (weir_to_number(c, a, &x) < 0)
		return -1;
	if (x.type == WEIR_V_INT) {
		if (x.i > INT64_MAX / WEIR_NS_PER_SEC || x.i < INT64_MIN / WEIR_NS_PER_SEC) {
			c->why = "timestamp out of range";
			return -1;
		}
		return time_out(out, x.i * WEIR_NS_PER_SEC);
	}
	if (!(fabs(x.d) < 9.2e9)) {
		c->why = "timestamp out of range";
		return -1;
	}
	/* to the microsecond, as PostgreSQL keeps it */
	return time_out(out, (int64_t)llround(x.d * 1e6) * 1000);
}

static int
fn_event_time(struct weir_fnctx *c, const struct weir_value *a, int n, struct weir_value *out)
{
	(void)a;
	(void)n;
	return time_out(out, c->t);
}

/* --- the table ------------------------------------------------------------------- */

static const struct weir_fndef functions[] = {
	{"abs", 1, 1, true, fn_abs},
	{"btrim", 1, 2, true, fn_btrim},
	{"ceil", 1, 1, true, fn_ceil},
	{"ceiling", 1, 1, true, fn_ceil},
	{"char_length", 1, 1, true, fn_length},
	{"character_length", 1, 1, true, fn_length},
	{"concat", 1, 64, false, fn_concat},
	{"date_part", 2, 2, true, fn_extract},
	{"date_trunc", 2, 2, true, fn_date_trunc},
	{"event_time", 0, 0, false, fn_event_time},
	{"exp", 1, 1, true, fn_exp},
	{"extract", 2, 2, true, fn_extract},
	{"floor", 1, 1, true, fn_floor},
	{"left", 2, 2, true, fn_left},
	{"length", 1, 1, true, fn_length},
	{"ln", 1, 1, true, fn_ln},
	{"log", 1, 2, true, fn_log},
	{"log10", 1, 1, true, fn_log},
	{"lower", 1, 1, true, fn_lower},
	{"ltrim", 1, 2, true, fn_ltrim},
	{"mod", 2, 2, true, fn_mod},
	{"octet_length", 1, 1, true, fn_octet_length},
	{"position", 2, 2, true, fn_strpos},
	{"pow", 2, 2, true, fn_power},
	{"power", 2, 2, true, fn_power},
	{"replace", 3, 3, true, fn_replace},
	{"right", 2, 2, true, fn_right},
	{"round", 1, 2, true, fn_round},
	{"rtrim", 1, 2, true, fn_rtrim},
	{"sign", 1, 1, true, fn_sign},
	{"split_part", 3, 3, true, fn_split_part},
	{"sqrt", 1, 1, true, fn_sqrt},
	{"starts_with", 2, 2, true, fn_starts_with},
	{"strpos", 2, 2, true, fn_strpos},
	{"substr", 2, 3, true, fn_substr},
	{"substring", 2, 3, true, fn_substr},
	{"to_timestamp", 1, 1, true, fn_to_timestamp},
	{"trunc", 1, 2, true, fn_trunc},
	{"upper", 1, 1, true, fn_upper},
};

const struct weir_fndef *
weir_fn_find(const char *name)
{
	for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
		if (strcmp(functions[i].name, name) == 0)
			return &functions[i];
	return NULL;
}
