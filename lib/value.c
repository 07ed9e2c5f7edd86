/*
 * value.c: values of expressions: from a field's span, to JSON and text,
 * and the scratch space computed values live in (value.h).
 */
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtime.h"

/* --- scratch ------------------------------------------------------------------ */

struct weir_block {
	struct weir_block *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

char *
weir_scratch_get(struct weir_scratch *sc, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct weir_block *b = sc->cur;
	while (b != NULL && b->cap - b->used < n && b->next != NULL)
		b = b->next;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > 4000 ? n : 4000;
		struct weir_block *nb = malloc(sizeof *nb + cap);
		if (nb == NULL)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		nb->next = NULL;	/* blocks stay in the order they came: after a
					   reset the same requests get the same memory */
		if (b != NULL)
			b->next = nb;
		else
			sc->blocks = nb;
		b = nb;
	}
	sc->cur = b;
	char *p = b->data + b->used;
	b->used += n;
	return p;
}

void
weir_scratch_reset(struct weir_scratch *sc)
{
	for (struct weir_block *b = sc->blocks; b; b = b->next)
		b->used = 0;
	sc->cur = sc->blocks;
}

void
weir_scratch_free(struct weir_scratch *sc)
{
	for (struct weir_block *b = sc->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	sc->blocks = sc->cur = NULL;
}

/* --- numbers ------------------------------------------------------------------ */

/* An integer's digits (an optional sign, then only digits) that fit in
 * int64: 0 with *i, else -1. */
static int
parse_int(const char *s, size_t n, int64_t *i)
{
	size_t k = 0;
	bool neg = false;
	if (k < n && (s[k] == '-' || s[k] == '+'))
		neg = s[k++] == '-';
	if (k == n)
		return -1;
	uint64_t u = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		unsigned d = (unsigned)(s[k] - '0');
		if (u > (limit - d) / 10)
			return -1;
		u = u * 10 + d;
	}
	*i = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int
weir_number_parse(const char *s, size_t n, struct weir_value *v)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > 400)
		return -1;
	*v = (struct weir_value){.type = WEIR_V_INT};
	if (parse_int(s, n, &v->i) == 0)
		return 0;
	char buf[401];
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (size_t k = 0; k < n; k++)	/* digits, sign, point, exponent only */
		if (!isdigit((unsigned char)buf[k]) && !strchr("+-.eE", buf[k])) {
			if (strcasecmp(buf, "nan") && strcasecmp(buf, "infinity") &&
			    strcasecmp(buf, "-infinity") && strcasecmp(buf, "+infinity"))
				return -1;
			break;
		}
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (end != buf + n)
		return -1;
	v->type = WEIR_V_FLOAT;
	v->d = d;
	return 0;
}

/* --- from an event --------------------------------------------------------------- */

/*
 * A JSON number (validated by the scan) into *v: an integer that fits in
 * 64 bits exactly, else a double.  One pass over the digits: a decimal of
 * up to 15 digits with no exponent (most in logs) is m / 10^k, both exact
 * in a double, so the one correctly rounded division gives what strtod
 * would; anything else goes to strtod, which stops at the byte after the
 * number (a number in an object is always followed by one).
 */
static void
json_number(const char *p, size_t n, struct weir_value *v)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15};
	bool neg = p[0] == '-', point = false;
	size_t i = neg, digits = 0, frac = 0;
	uint64_t m = 0;
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			if (++digits > 19)
				break;
			m = m * 10 + (uint64_t)(p[i] - '0');
			frac += point;
		} else if (p[i] == '.') {
			point = true;
		} else {
			break;	/* an exponent */
		}
	}
	if (i == n && !point && m <= (uint64_t)INT64_MAX + neg) {
		v->type = WEIR_V_INT;
		v->i = neg ? (int64_t)(0 - m) : (int64_t)m;
		return;
	}
	v->type = WEIR_V_FLOAT;
	if (i == n && digits <= 15) {
		double d = (double)m / p10[frac];
		v->d = neg ? -d : d;
	} else {
		v->d = strtod(p, NULL);
	}
}

int
weir_value_of_span(const struct weir_span *sp, struct weir_scratch *sc, struct weir_value *v)
{
	*v = (struct weir_value){.type = WEIR_V_NULL};
	if (sp->p == NULL)
		return 0;
	switch (sp->p[0]) {
	case '"':
		v->type = WEIR_V_TEXT;
		if (memchr(sp->p, '\\', sp->n) == NULL) {
			v->s = sp->p + 1;
			v->n = sp->n - 2;
			return 0;
		}
		char *out = weir_scratch_get(sc, sp->n);
		if (out == NULL)
			return -1;
		long k = weir_span_unescape(sp, out, sp->n);
		v->s = out;
		v->n = k < 0 ? 0 : (size_t)k;
		return 0;
	case 't':
		v->type = WEIR_V_BOOL;
		v->b = true;
		return 0;
	case 'f':
		v->type = WEIR_V_BOOL;
		return 0;
	case 'n':
		return 0;
	case '{':
	case '[':
		v->type = WEIR_V_JSON;
		v->s = sp->p;
		v->n = sp->n;
		return 0;
	default:
		json_number(sp->p, sp->n, v);
		v->s = sp->p;
		v->n = sp->n;
		return 0;
	}
}

/* --- to text and JSON ----------------------------------------------------------- */

/* PostgreSQL's interval output for a span of ns: [N day[s] ]HH:MM:SS[.f]. */
static size_t
interval_text(int64_t ns, char *buf)
{
	bool neg = ns < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	uint64_t us = u / 1000, secs = us / 1000000, frac = us % 1000000;
	uint64_t days = secs / 86400, rest = secs % 86400;
	size_t n = 0;
	if (days)
		n += (size_t)sprintf(buf + n, "%s%llu day%s ", neg ? "-" : "",
		    (unsigned long long)days, days == 1 ? "" : "s");
	n += (size_t)sprintf(buf + n, "%s%02llu:%02llu:%02llu", neg ? "-" : "",
	    (unsigned long long)(rest / 3600), (unsigned long long)(rest / 60 % 60),
	    (unsigned long long)(rest % 60));
	if (frac) {
		n += (size_t)sprintf(buf + n, ".%06llu", (unsigned long long)frac);
		while (buf[n - 1] == '0')
			n--;
		buf[n] = '\0';
	}
	return n;
}

/* PostgreSQL's timestamptz output in UTC: 2026-11-23 10:00:05.25+00. */
static size_t
time_text(int64_t t, char *buf)
{
	size_t n = weir_time_format_rfc3339(t - t % 1000 - (t % 1000 < 0 ? 1000 : 0), buf);
	buf[10] = ' ';
	n--;	/* the 'Z' */
	memcpy(buf + n, "+00", 4);
	return n + 3;
}

int
weir_value_text(const struct weir_value *v, struct weir_scratch *sc, const char **s, size_t *n)
{
	char tmp[64];
	size_t k;
	switch (v->type) {
	case WEIR_V_TEXT:
	case WEIR_V_JSON:
		*s = v->s;
		*n = v->n;
		return 0;
	case WEIR_V_NULL:
		*s = "";
		*n = 0;
		return 0;
	case WEIR_V_BOOL:
		*s = v->b ? "true" : "false";
		*n = strlen(*s);
		return 0;
	case WEIR_V_INT:
	case WEIR_V_FLOAT:
		if (v->s) {
			*s = v->s;
			*n = v->n;
			return 0;
		}
		if (v->type == WEIR_V_INT) {
			k = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
		} else if (isnan(v->d)) {
			k = (size_t)snprintf(tmp, sizeof tmp, "NaN");
		} else if (isinf(v->d)) {
			k = (size_t)snprintf(tmp, sizeof tmp, v->d > 0 ? "Infinity" : "-Infinity");
		} else {
			k = weir_format_double15(v->d, tmp);
		}
		break;
	case WEIR_V_TIME:
		k = time_text(v->i, tmp);
		break;
	case WEIR_V_INTERVAL:
	default:
		k = interval_text(v->i, tmp);
		break;
	}
	char *p = weir_scratch_get(sc, k + 1);
	if (p == NULL)
		return -1;
	memcpy(p, tmp, k + 1);
	*s = p;
	*n = k;
	return 0;
}

int
weir_value_json(const struct weir_value *v, struct weir_buf *b)
{
	char tmp[64];
	size_t k;
	switch (v->type) {
	case WEIR_V_NULL:
		return weir_buf_str(b, "null");
	case WEIR_V_BOOL:
		return weir_buf_str(b, v->b ? "true" : "false");
	case WEIR_V_INT:
		if (v->s)
			return weir_buf_add(b, v->s, v->n);
		return weir_buf_printf(b, "%lld", (long long)v->i);
	case WEIR_V_FLOAT:
		if (v->s)
			return weir_buf_add(b, v->s, v->n);
		return weir_buf_double15(b, v->d);
	case WEIR_V_JSON:
		return weir_buf_add(b, v->s, v->n);
	case WEIR_V_TIME:
		tmp[0] = '"';
		k = weir_time_format_rfc3339(v->i, tmp + 1);
		tmp[k + 1] = '"';
		return weir_buf_add(b, tmp, k + 2);
	case WEIR_V_INTERVAL:
		tmp[0] = '"';
		k = interval_text(v->i, tmp + 1);
		tmp[k + 1] = '"';
		return weir_buf_add(b, tmp, k + 2);
	case WEIR_V_TEXT:
	default:
		if (weir_reserve(&b->p, &b->cap, b->n + 6 * v->n + 3) < 0)
			return -1;
		long n = weir_json_quote_bytes(b->p, b->cap, b->n, v->s, v->n);
		if (n < 0)
			return -1;
		b->n = (size_t)n;
		return 0;
	}
}

/* --- intervals ------------------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t ns;
} units[] = {
	{"microseconds", 1000}, {"microsecond", 1000}, {"usecs", 1000}, {"usec", 1000},
	{"us", 1000},
	{"milliseconds", 1000000}, {"millisecond", 1000000}, {"msecs", 1000000},
	{"msec", 1000000}, {"ms", 1000000},
	{"seconds", WEIR_NS_PER_SEC}, {"second", WEIR_NS_PER_SEC}, {"secs", WEIR_NS_PER_SEC},
	{"sec", WEIR_NS_PER_SEC}, {"s", WEIR_NS_PER_SEC},
	{"minutes", 60 * WEIR_NS_PER_SEC}, {"minute", 60 * WEIR_NS_PER_SEC},
	{"mins", 60 * WEIR_NS_PER_SEC}, {"min", 60 * WEIR_NS_PER_SEC}, {"m", 60 * WEIR_NS_PER_SEC},
	{"hours", 3600 * WEIR_NS_PER_SEC}, {"hour", 3600 * WEIR_NS_PER_SEC},
	{"hrs", 3600 * WEIR_NS_PER_SEC}, {"hr", 3600 * WEIR_NS_PER_SEC},
	{"h", 3600 * WEIR_NS_PER_SEC},
	{"days", 86400 * WEIR_NS_PER_SEC}, {"day", 86400 * WEIR_NS_PER_SEC},
	{"d", 86400 * WEIR_NS_PER_SEC},
	{"weeks", 7 * 86400 * WEIR_NS_PER_SEC}, {"week", 7 * 86400 * WEIR_NS_PER_SEC},
	{"w", 7 * 86400 * WEIR_NS_PER_SEC},
};

/* [-]HH:MM[:SS[.f]] at s: 0 with *ns, else -1. */
static int
clock_part(const char *s, size_t n, int64_t *ns)
{
	bool neg = n > 0 && s[0] == '-';
	size_t k = neg;
	double parts[3] = {0, 0, 0};
	int np = 0;
	while (k < n && np < 3) {
		char *end;
		char buf[40];
		size_t m = 0;
		while (k + m < n && s[k + m] != ':' && m < sizeof buf - 1) {
			buf[m] = s[k + m];
			m++;
		}
		buf[m] = '\0';
		if (m == 0)
			return -1;
		parts[np++] = strtod(buf, &end);
		if (*end != '\0' || (np < 3 && strchr(buf, '.')))
			return -1;
		k += m;
		if (k < n && s[k] == ':')
			k++;
	}
	if (k != n || np < 2)
		return -1;
	double secs = parts[0] * 3600 + parts[1] * 60 + parts[2];
	if (!(fabs(secs) < 9.2e9))	/* beyond 64 bits of nanoseconds */
		return -1;
	*ns = (int64_t)llround(secs * 1e9) * (neg ? -1 : 1);
	return 0;
}

int
weir_interval_parse(const char *s, size_t n, int64_t *ns)
{
	int64_t total = 0;
	size_t k = 0;
	bool any = false;
	while (k < n) {
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		if (k == n)
			break;
		size_t start = k;
		while (k < n && !isspace((unsigned char)s[k]) &&
		    (isdigit((unsigned char)s[k]) || strchr("+-.:", s[k])))
			k++;
		if (k == start)
			return -1;
		if (memchr(s + start, ':', k - start)) {
			int64_t c;
			if (clock_part(s + start, k - start, &c) < 0 ||
			    __builtin_add_overflow(total, c, &total))
				return -1;
			any = true;
			continue;
		}
		char num[40];
		if (k - start >= sizeof num)
			return -1;
		memcpy(num, s + start, k - start);
		num[k - start] = '\0';
		char *end;
		double q = strtod(num, &end);
		if (*end != '\0')
			return -1;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		size_t u0 = k;
		while (k < n && isalpha((unsigned char)s[k]))
			k++;
		int64_t unit = WEIR_NS_PER_SEC;	/* a bare number is seconds */
		if (k > u0) {
			size_t i;
			for (i = 0; i < sizeof units / sizeof *units; i++)
				if (strlen(units[i].name) == k - u0 &&
				    strncasecmp(units[i].name, s + u0, k - u0) == 0)
					break;
			if (i == sizeof units / sizeof *units)
				return -1;
			unit = units[i].ns;
		}
		double add = q * (double)unit;
		if (!(fabs(add) < 9.2e18) || __builtin_add_overflow(total, (int64_t)llround(add), &total))
			return -1;
		any = true;
	}
	if (!any)
		return -1;
	*ns = total;
	return 0;
}
