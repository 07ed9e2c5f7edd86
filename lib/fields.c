/*
 * fields.c: the field plan (a trie of path segments) and the scanner.
 *
 * The scanner has two halves.  scan_object follows the plan: it compares
 * each key of an object with the names the plan wants at that depth,
 * records spans, and descends (recursively, so at most
 * WEIR_MAX_PATH_SEGMENTS deep) into objects the plan looks inside.  Every
 * other value goes to skip_value, which is iterative with an explicit stack
 * of container kinds, so deep nesting costs no C stack.
 *
 * Strings are the bulk of a log line; scan_string checks eight bytes at a
 * time for the four things that need attention (quote, backslash, control
 * character, non-ASCII byte) and walks byte by byte only near them.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

struct node {
	char *name;		/* one path segment, unescaped */
	size_t len;
	int leaf;		/* slot index, or -1 */
	struct node *kids;
	size_t nkids;
	uint64_t first[4];	/* bitmap of the kids' first bytes: most keys
				   of a line are rejected with one test */
	uint64_t id;		/* root only: changes with every change of the
				   plan, so caches of an older plan are not used */
};

static _Atomic uint64_t plan_ids;

struct weir_plan {
	struct node root;
	size_t slots;
};

struct weir_plan *
weir_plan_new(void)
{
	struct weir_plan *plan = calloc(1, sizeof *plan);
	if (plan) {
		plan->root.leaf = -1;
		plan->root.id = ++plan_ids;
	}
	return plan;
}

static void
node_free(struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		node_free(&n->kids[i]);
		free(n->kids[i].name);
	}
	free(n->kids);
}

void
weir_plan_free(struct weir_plan *plan)
{
	if (plan == NULL)
		return;
	node_free(&plan->root);
	free(plan);
}

size_t
weir_plan_size(const struct weir_plan *plan)
{
	return plan->slots;
}

static struct node *
node_child(struct node *n, const char *name, size_t len)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i].len == len && memcmp(n->kids[i].name, name, len) == 0)
			return &n->kids[i];
	struct node *kids = realloc(n->kids, (n->nkids + 1) * sizeof *kids);
	if (kids == NULL)
		return NULL;
	n->kids = kids;
	struct node *k = &kids[n->nkids];
	memset(k, 0, sizeof *k);
	k->leaf = -1;
	k->name = malloc(len + 1);
	if (k->name == NULL)
		return NULL;
	memcpy(k->name, name, len);
	k->name[len] = '\0';
	k->len = len;
	n->nkids++;
	unsigned char c = (unsigned char)name[0];
	n->first[c >> 6] |= 1ULL << (c & 63);
	return k;
}

int
weir_plan_add(struct weir_plan *plan, const char *dotted)
{
	size_t total = strlen(dotted);
	char *seg = malloc(total + 1);
	struct node *n = &plan->root;
	int nseg = 0;
	if (seg == NULL || total == 0) {
		free(seg);
		return -1;
	}
	const char *p = dotted;
	for (;;) {
		size_t len = 0;
		while (*p && *p != '.') {
			if (*p == '\\') {
				if (p[1] == '\0') {
					free(seg);
					return -1;
				}
				p++;
			}
			seg[len++] = *p++;
		}
		if (len == 0 || ++nseg > WEIR_MAX_PATH_SEGMENTS) {
			free(seg);
			return -1;
		}
		n = node_child(n, seg, len);
		if (n == NULL) {
			free(seg);
			return -1;
		}
		if (*p == '\0')
			break;
		p++;
	}
	free(seg);
	if (n->leaf < 0)
		n->leaf = (int)plan->slots++;
	plan->root.id = ++plan_ids;	/* kids may have moved */
	return n->leaf;
}

int
weir_plan_add_list(struct weir_plan *plan, const char *list, int *idx, int max)
{
	char *copy = strdup(list);
	int count = 0;
	if (copy == NULL)
		return -1;
	char *start = copy;
	for (char *p = copy;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0')
			continue;
		bool last = *p == '\0';
		*p = '\0';
		int i = weir_plan_add(plan, start);
		if (i < 0 || count >= max) {
			free(copy);
			return -1;
		}
		idx[count++] = i;
		if (last)
			break;
		start = p + 1;
	}
	free(copy);
	return count;
}

/* --- scanning -------------------------------------------------------------- */

struct scanner {
	const char *end;
	const char *why;
	bool escaped;		/* the last string scanned had a backslash */
	bool clean;		/* the line has no backslash, control or non-ASCII
				   byte: a string ends at the next quote */
	const char *tail;	/* end - 16 when the line has 16 bytes or more
				   (scanner_init), else NULL */
};

static inline struct scanner
scanner_init(const char *line, size_t len, bool clean)
{
	return (struct scanner){line + len, NULL, false, clean, len >= 16 ? line + len - 16 : NULL};
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static inline int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Validates one UTF-8 sequence starting at p (a byte >= 0x80); returns its
 * length or 0 when it is malformed, overlong, a surrogate or beyond U+10FFFF. */
static inline size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	if (c >= 0xc2 && c <= 0xdf) {
		if (end - p >= 2 && (p[1] & 0xc0) == 0x80)
			return 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		if (end - p >= 3 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
			if (c == 0xe0 && p[1] < 0xa0)
				return 0;
			if (c == 0xed && p[1] >= 0xa0)
				return 0;
			return 3;
		}
	} else if (c >= 0xf0 && c <= 0xf4) {
		if (end - p >= 4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
		    (p[3] & 0xc0) == 0x80) {
			if (c == 0xf0 && p[1] < 0x90)
				return 0;
			if (c == 0xf4 && p[1] >= 0x90)
				return 0;
			return 4;
		}
	}
	return 0;
}

/*
 * Advances u over bytes that need no attention: not a quote, backslash,
 * control character or non-ASCII byte.  16 bytes at a time with SSE2 (the
 * x86-64 baseline), else 8 at a time in a 64-bit word; never reads at or
 * past end.
 */
static inline const unsigned char *
plain_run(const unsigned char *u, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	while (end - u >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)u);
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
		hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
		unsigned mask = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(x));
		if (mask != 0)
			return u + __builtin_ctz(mask);
		u += 16;
	}
#endif
	while (end - u >= 8) {
		uint64_t x;
		memcpy(&x, u, 8);
		uint64_t q8 = x ^ (ONES * '"');
		uint64_t b8 = x ^ (ONES * '\\');
		uint64_t hit = ((q8 - ONES) & ~q8) | ((b8 - ONES) & ~b8) |
		    ((x - ONES * 0x20) & ~x) | x;
		if ((hit & HIGHS) != 0)
			break;
		u += 8;
	}
	return u;
}

/* In a clean line (no escape, control or non-ASCII byte anywhere) a string
 * ends at the next quote.  p is at the opening quote; returns the position
 * after the closing one, or NULL.  The last 16 bytes or fewer are one load
 * too, of the line's last 16 bytes with those before u shifted out: the
 * closing quote of a line's last string is always there, and a byte loop
 * over them would cost more than the rest of the search. */
static inline const char *
clean_string_end(const struct scanner *sc, const char *p)
{
	const char *end = sc->end;
	const unsigned char *u = (const unsigned char *)p + 1;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	while (end - (const char *)u >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)u);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
		if (mask != 0)
			return (const char *)u + __builtin_ctz(mask) + 1;
		u += 16;
	}
	if (sc->tail != NULL) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)sc->tail);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
		mask >>= (const char *)u - sc->tail;	/* 1 to 16: u is past tail */
		return mask != 0 ? (const char *)u + __builtin_ctz(mask) + 1 : NULL;
	}
#endif
	for (; (const char *)u < end; u++)
		if (*u == '"')
			return (const char *)u + 1;
	return NULL;
}

/* p is at the opening quote; returns the position after the closing quote. */
static const char *
scan_string(struct scanner *sc, const char *p)
{
	const unsigned char *u = (const unsigned char *)p + 1;
	const unsigned char *end = (const unsigned char *)sc->end;
	sc->escaped = false;
	if (sc->clean) {
		const char *q = clean_string_end(sc, p);
		if (q == NULL)
			sc->why = "unterminated string";
		return q;
	}
	for (;;) {
		u = plain_run(u, end);
		if (u >= end) {
			sc->why = "unterminated string";
			return NULL;
		}
		unsigned c = *u;
		if (c == '"')
			return (const char *)u + 1;
		if (c == '\\') {
			sc->escaped = true;
			if (end - u < 2)
				goto bad_escape;
			switch (u[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				u += 2;
				break;
			case 'u':
				if (end - u < 6 || hexval(u[2]) < 0 || hexval(u[3]) < 0 ||
				    hexval(u[4]) < 0 || hexval(u[5]) < 0)
					goto bad_escape;
				u += 6;
				break;
			default:
				goto bad_escape;
			}
		} else if (c < 0x20) {
			sc->why = "control character in string";
			return NULL;
		} else if (c >= 0x80) {
			size_t k = utf8_len(u, end);
			if (k == 0) {
				sc->why = "invalid UTF-8";
				return NULL;
			}
			u += k;
		} else {
			u++;
		}
	}
bad_escape:
	sc->why = "bad escape in string";
	return NULL;
}

static const char *
scan_number(struct scanner *sc, const char *p)
{
	const char *end = sc->end;
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		goto bad;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		goto bad;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
bad:
	sc->why = "bad number";
	return NULL;
}

static const char *
scan_literal(struct scanner *sc, const char *p, const char *word, size_t n)
{
	if ((size_t)(sc->end - p) < n || memcmp(p, word, n) != 0) {
		sc->why = "not JSON";
		return NULL;
	}
	return p + n;
}

/* A scalar value at p (not an object or array). */
static const char *
scan_scalar(struct scanner *sc, const char *p)
{
	switch (*p) {
	case '"':
		return scan_string(sc, p);
	case 't':
		return scan_literal(sc, p, "true", 4);
	case 'f':
		return scan_literal(sc, p, "false", 5);
	case 'n':
		return scan_literal(sc, p, "null", 4);
	default:
		return scan_number(sc, p);
	}
}

/*
 * Skips one value of any shape.  Containers are tracked on a bit stack:
 * bit set = object, clear = array.
 */
static const char *
skip_value(struct scanner *sc, const char *p, int depth)
{
	uint64_t stack[WEIR_MAX_DEPTH / 64 + 1];
	int top = 0;	/* number of open containers */
	const char *end = sc->end;

value:
	p = skip_ws(p, end);
	if (p >= end)
		goto truncated;
	if (*p == '{' || *p == '[') {
		if (depth + top >= WEIR_MAX_DEPTH) {
			sc->why = "nesting too deep";
			return NULL;
		}
		bool obj = *p == '{';
		if (obj)
			stack[top / 64] |= 1ULL << (top % 64);
		else
			stack[top / 64] &= ~(1ULL << (top % 64));
		top++;
		p = skip_ws(p + 1, end);
		if (p >= end)
			goto truncated;
		if (*p == (obj ? '}' : ']')) {
			p++;
			top--;
			goto after;
		}
		if (obj)
			goto key;
		goto value;
	}
	p = scan_scalar(sc, p);
	if (p == NULL)
		return NULL;
after:
	while (top > 0) {
		bool obj = (stack[(top - 1) / 64] >> ((top - 1) % 64)) & 1;
		p = skip_ws(p, end);
		if (p >= end)
			goto truncated;
		if (*p == ',') {
			p = skip_ws(p + 1, end);
			if (obj)
				goto key;
			goto value;
		}
		if (*p != (obj ? '}' : ']')) {
			sc->why = "expected ',' or a closing bracket";
			return NULL;
		}
		p++;
		top--;
	}
	return p;
key:
	if (p >= end || *p != '"') {
		sc->why = p >= end ? "truncated JSON" : "expected a key";
		return NULL;
	}
	p = scan_string(sc, p);
	if (p == NULL)
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':') {
		sc->why = "expected ':'";
		return NULL;
	}
	p++;
	goto value;
truncated:
	sc->why = "truncated JSON";
	return NULL;
}

/* Decodes a key with escapes for comparison; returns the length or -1. */
static long
unescape_into(const char *s, size_t n, char *out, size_t cap)
{
	struct weir_span span = {s - 1, n + 2};
	return weir_span_unescape(&span, out, cap);
}

/* A key with escapes is compared by its meaning; kept out of line so the
 * common path carries no 512-byte buffer. */
static __attribute__((noinline)) const struct node *
match_escaped_key(const struct node *n, const char *k, size_t klen)
{
	char buf[512];
	long m = unescape_into(k, klen, buf, sizeof buf);
	if (m < 0)
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i].len == (size_t)m && memcmp(n->kids[i].name, buf, (size_t)m) == 0)
			return &n->kids[i];
	return NULL;
}

static inline const struct node *
match_key(const struct node *n, const char *k, size_t klen, bool escaped)
{
	if (escaped)
		return match_escaped_key(n, k, klen);
	unsigned char c = (unsigned char)k[0];
	if (!(n->first[c >> 6] >> (c & 63) & 1))
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i].len == klen && memcmp(n->kids[i].name, k, klen) == 0)
			return &n->kids[i];
	return NULL;
}

/*
 * The fast path, for a line that line_is_clean accepted: no string can hold
 * an escape, a control character or a non-ASCII byte, so a string ends at the
 * next quote.  Same grammar and same spans as scan_object; containers the
 * plan does not look into go to skip_value.
 */

static inline bool
is_digit_char(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* A number, inline: the common short integer or decimal. */
static inline const char *
clean_number_end_bytes(struct scanner *sc, const char *p)
{
	const char *end = sc->end, *start = p;
	if (*p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && is_digit_char(*p)) {
		do
			p++;
		while (p < end && is_digit_char(*p));
	} else {
		return scan_number(sc, start);	/* reports the error */
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit_char(*p))
			return scan_number(sc, start);
		do
			p++;
		while (p < end && is_digit_char(*p));
	}
	if (p < end && (*p == 'e' || *p == 'E'))
		return scan_number(sc, start);
	return p;
}

/*
 * The same, from one 16-byte load and a mask of its digits: the runs of
 * digits are counted with no branch on each digit, whose loop exits were
 * mispredicted wherever the lengths of a field's numbers vary (amounts,
 * latencies).  Near the line's end the load is of its last 16 bytes.  What
 * does not end inside the load (a long number), an exponent and every error
 * go to the byte loop, which gives the same spans and reasons.
 */
static inline const char *
clean_number_end(struct scanner *sc, const char *p)
{
#ifdef __SSE2__
	const char *base = sc->end - p >= 16 ? p : sc->tail;
	if (base != NULL) {
		unsigned off = (unsigned)(p - base), avail = 16 - off;
		__m128i y = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)base),
		    _mm_set1_epi8('0'));
		__m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(9)), y);
		unsigned nondigit = ~((unsigned)_mm_movemask_epi8(digit) >> off);
		unsigned i = *p == '-';
		unsigned n = (unsigned)__builtin_ctz(nondigit >> i);
		if (n == 0 || i + n >= avail)
			return clean_number_end_bytes(sc, p);
		if (p[i] == '0')
			n = 1;		/* a leading zero ends the integer part */
		i += n;
		if (p[i] == '.') {
			n = (unsigned)__builtin_ctz(nondigit >> (i + 1));
			if (n == 0 || i + 1 + n >= avail)
				return clean_number_end_bytes(sc, p);
			i += 1 + n;
		}
		if ((p[i] | 0x20) == 'e')
			return clean_number_end_bytes(sc, p);
		return p + i;
	}
#endif
	return clean_number_end_bytes(sc, p);
}

/*
 * The shape of the last line, per thread: lines of one log nearly always
 * repeat the keys of the line before, in the same order.  For the i-th
 * top-level member the cache holds the bytes `"key":` as they stood there
 * (already validated) and what the plan wants of that key; one 16-byte
 * compare then replaces finding the key's end and matching it.
 */
#define SHAPE_KEYS 32
#define SHAPE_BYTES 16

struct shape_key {
	const struct node *kid;
	unsigned len;			/* bytes of `"key":`, 0 when not cached */
	char text[SHAPE_BYTES];
};

struct shape {
	uint64_t plan;			/* the id of the plan it belongs to */
	uint32_t id;			/* see weir_scan_shape; 0 after a change */
	unsigned count;			/* members of the line that got the id */
	struct shape_key key[SHAPE_KEYS];
};

static _Thread_local struct shape shape;
static _Thread_local uint32_t last_shape;	/* weir_scan_shape */
static atomic_uint_least32_t shape_ids;		/* the last id given, any thread */

/* The end of a top-level object of n members, all of them (all_hit) the
 * cached keys: the line has the shape's id when it has as many members as
 * the line that was given the id, and a line that changed the shape gives
 * it a new one (for the next line; its own is 0). */
static inline void
shape_done(struct shape *sh, unsigned n, bool all_hit)
{
	if (all_hit && n == sh->count && sh->id != 0) {
		last_shape = sh->id;
		return;
	}
	uint32_t id;
	do
		id = (uint32_t)atomic_fetch_add_explicit(&shape_ids, 1, memory_order_relaxed) + 1;
	while (id == 0);
	sh->id = id;
	sh->count = n;
	last_shape = 0;
}

uint32_t
weir_scan_shape(void)
{
	return last_shape;
}

/* a[0..len) == b[0..len), for 3 <= len <= 16, in two overlapping loads a side */
static inline bool
same_short(const char *a, const char *b, unsigned len)
{
	if (len >= 8) {
		uint64_t x0, x1, y0, y1;
		memcpy(&x0, a, 8), memcpy(&x1, a + len - 8, 8);
		memcpy(&y0, b, 8), memcpy(&y1, b + len - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (len >= 4) {
		uint32_t x0, x1, y0, y1;
		memcpy(&x0, a, 4), memcpy(&x1, a + len - 4, 4);
		memcpy(&y0, b, 4), memcpy(&y1, b + len - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	return memcmp(a, b, len) == 0;
}

/* The length of `"key":` at p when it is the cached one (k), else 0. */
static inline unsigned
shape_hit(const struct shape_key *k, const char *p, const char *end)
{
	unsigned len = k->len;
	if (len == 0)
		return 0;
#ifdef __SSE2__
	if (end - p >= SHAPE_BYTES) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)k->text);
		unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
		unsigned want = (1u << len) - 1;
		return (same & want) == want ? len : 0;
	}
#endif
	/* near the end of the line (its last member): compare what is there */
	return (size_t)(end - p) >= len && same_short(p, k->text, len) ? len : 0;
}

static inline void
shape_learn(unsigned i, const char *key, size_t len, const struct node *kid)
{
	if (i >= SHAPE_KEYS)
		return;
	shape.id = 0;		/* the keys change: so does the id */
	if (len > SHAPE_BYTES) {
		shape.key[i].len = 0;
		return;
	}
	memset(shape.key[i].text, 0, SHAPE_BYTES);
	memcpy(shape.key[i].text, key, len);
	shape.key[i].len = (unsigned)len;
	shape.key[i].kid = kid;
}

/* The end of the value at p, in a clean line: the common values inline
 * (weir_members; scan_object_clean has its own copy). */
static inline const char *
clean_value_end(struct scanner *sc, const char *p, int depth)
{
	switch (*p) {
	case '"':
		p = clean_string_end(sc, p);
		if (p == NULL)
			sc->why = "unterminated string";
		return p;
	case '{':
	case '[':
		return skip_value(sc, p, depth);
	case 't':
	case 'f':
	case 'n':
		return scan_scalar(sc, p);
	default:
		return clean_number_end(sc, p);
	}
}

static const char *
scan_object_clean(struct scanner *sc, const char *p, const struct node *node,
    struct weir_span *spans, int depth)
{
	const char *end = sc->end;
	bool top = depth == 1;
	struct shape *sh = top ? &shape : NULL;	/* the thread's, found once */
	if (top && sh->plan != node->id) {
		memset(sh, 0, sizeof *sh);
		sh->plan = node->id;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		if (top)
			shape_done(sh, 0, true);
		return p + 1;
	}
	bool all_hit = true;
	for (unsigned member = 0;; member++) {
		if (p >= end || *p != '"')
			goto expected_key;
		const struct node *kid = NULL;
		const struct shape_key *sk = sh != NULL && member < SHAPE_KEYS ? &sh->key[member] : NULL;
		unsigned hit = sk != NULL ? shape_hit(sk, p, end) : 0;
		if (hit != 0) {
			kid = sk->kid;
			p += hit;	/* past `"key":` */
		} else {
			all_hit = false;
			const char *q = p, *k = p + 1;
			p = clean_string_end(sc, p);
			if (p == NULL)
				goto unterminated;
			if (node->nkids > 0 && p - 1 > k)
				kid = match_key(node, k, (size_t)(p - 1 - k), false);
			if (p < end && *p == ':') {
				p++;
				if (top)
					shape_learn(member, q, (size_t)(p - q), kid);
			} else {
				if (top)
					shape_learn(member, q, SHAPE_BYTES + 1, NULL);
				p = skip_ws(p, end);
				if (p >= end || *p != ':')
					goto expected_colon;
				p++;
			}
		}
		if (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p = skip_ws(p, end);
		if (p >= end)
			goto truncated;
		const char *v = p;
		/* clean_value_end, but for objects the plan looks into: written
		 * out here, as a shared function costs more instructions */
		switch (*p) {
		case '"':
			p = clean_string_end(sc, p);
			if (p == NULL)
				goto unterminated;
			break;
		case '{':
			if (kid != NULL && kid->nkids > 0) {
				if (depth + 1 >= WEIR_MAX_DEPTH) {
					sc->why = "nesting too deep";
					return NULL;
				}
				p = scan_object_clean(sc, p, kid, spans, depth + 1);
			} else {
				p = skip_value(sc, p, depth + 1);
			}
			break;
		case '[':
			p = skip_value(sc, p, depth + 1);
			break;
		case 't':
		case 'f':
		case 'n':
			p = scan_scalar(sc, p);
			break;
		default:
			p = clean_number_end(sc, p);
			break;
		}
		if (p == NULL)
			return NULL;
		if (kid != NULL && kid->leaf >= 0 && spans[kid->leaf].p == NULL) {
			spans[kid->leaf].p = v;
			spans[kid->leaf].n = (size_t)(p - v);
		}
		if (p < end && *p == ',') {
			p++;
		} else {
			p = skip_ws(p, end);
			if (p < end && *p == '}') {
				if (top)
					shape_done(sh, member + 1, all_hit);
				return p + 1;
			}
			if (p >= end || *p != ',')
				goto expected_comma;
			p++;
		}
		if (p < end && *p != '"')
			p = skip_ws(p, end);
	}
expected_key:
	sc->why = p >= end ? "truncated JSON" : "expected a key";
	return NULL;
unterminated:
	sc->why = "unterminated string";
	return NULL;
expected_colon:
	sc->why = p >= end ? "truncated JSON" : "expected ':'";
	return NULL;
expected_comma:
	sc->why = p >= end ? "truncated JSON" : "expected ',' or '}'";
	return NULL;
truncated:
	sc->why = "truncated JSON";
	return NULL;
}

/* p is at '{'; scans the object, capturing what node asks for. */
static const char *
scan_object(struct scanner *sc, const char *p, const struct node *node,
    struct weir_span *spans, int depth)
{
	const char *end = sc->end;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		if (p >= end || *p != '"') {
			sc->why = p >= end ? "truncated JSON" : "expected a key";
			return NULL;
		}
		const char *k = p + 1;
		p = scan_string(sc, p);
		if (p == NULL)
			return NULL;
		const struct node *kid = NULL;
		if (node->nkids > 0 && p - 1 > k)
			kid = match_key(node, k, (size_t)(p - 1 - k), sc->escaped);
		p = skip_ws(p, end);
		if (p >= end || *p != ':') {
			sc->why = p >= end ? "truncated JSON" : "expected ':'";
			return NULL;
		}
		p = skip_ws(p + 1, end);
		if (p >= end) {
			sc->why = "truncated JSON";
			return NULL;
		}
		const char *v = p;
		if (kid != NULL && kid->nkids > 0 && *p == '{') {
			if (depth + 1 >= WEIR_MAX_DEPTH) {
				sc->why = "nesting too deep";
				return NULL;
			}
			p = scan_object(sc, p, kid, spans, depth + 1);
		} else if (*p == '{' || *p == '[') {
			p = skip_value(sc, p, depth + 1);
		} else {
			p = scan_scalar(sc, p);
		}
		if (p == NULL)
			return NULL;
		if (kid != NULL && kid->leaf >= 0 && spans[kid->leaf].p == NULL) {
			spans[kid->leaf].p = v;
			spans[kid->leaf].n = (size_t)(p - v);
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			return p + 1;
		sc->why = p >= end ? "truncated JSON" : "expected ',' or '}'";
		return NULL;
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#define CLEAN_AVX2 1
/* line_is_clean 32 bytes at a time, on a machine with AVX2 (chosen at run
 * time: the build is for the x86-64 baseline).  A reader thread checks every
 * line, so the wider loads pay even on lines of about 100 bytes. */
__attribute__((target("avx2"))) static bool
line_is_clean_avx2(const char *line, size_t len)
{
	const unsigned char *u = (const unsigned char *)line;
	const unsigned char *last = u + len - 32;	/* len >= 32 */
	const __m256i bslash = _mm256_set1_epi8('\\');
	const __m256i ctl = _mm256_set1_epi8(0x1f);
	__m256i acc = _mm256_setzero_si256();
	for (;;) {
		if (u > last)
			u = last;	/* the last block overlaps the one before */
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)u);
		acc = _mm256_or_si256(acc, _mm256_cmpeq_epi8(x, bslash));
		acc = _mm256_or_si256(acc, _mm256_cmpeq_epi8(_mm256_min_epu8(x, ctl), x));
		acc = _mm256_or_si256(acc, x);
		if (u == last)
			break;
		u += 32;
	}
	return _mm256_movemask_epi8(acc) == 0;
}
#endif

/* True when no byte of the line is a backslash, a control character or
 * non-ASCII, so that strings need no closer look.  (A bitmap of the quotes
 * built here, to find string ends without loads, is slower.) */
static bool
line_is_clean(const char *line, size_t len)
{
	const unsigned char *u = (const unsigned char *)line;
	const unsigned char *end = u + len;
#ifdef CLEAN_AVX2
	if (len >= 32 && __builtin_cpu_supports("avx2"))
		return line_is_clean_avx2(line, len);
#endif
#ifdef __SSE2__
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	__m128i acc = _mm_setzero_si128();
	if (len >= 16) {
		/* the last block overlaps the one before: no byte loop at the end */
		const unsigned char *last = end - 16;
		for (;;) {
			if (u > last)
				u = last;
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)u);
			acc = _mm_or_si128(acc, _mm_cmpeq_epi8(x, bslash));
			acc = _mm_or_si128(acc, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
			acc = _mm_or_si128(acc, x);
			if (u == last)
				break;
			u += 16;
		}
		return _mm_movemask_epi8(acc) == 0;
	}
#endif
	for (; u < end; u++)
		if (*u == '\\' || *u < 0x20 || *u >= 0x80)
			return false;
	return true;
}

int
weir_scan(const struct weir_plan *plan, const char *line, size_t len,
    struct weir_span *spans, const char **why)
{
	bool clean;
	return weir_scan_clean(plan, line, len, spans, why, &clean);
}

int
weir_scan_clean(const struct weir_plan *plan, const char *line, size_t len,
    struct weir_span *spans, const char **why, bool *clean)
{
	struct scanner sc = scanner_init(line, len, line_is_clean(line, len));
	*clean = sc.clean;
	last_shape = 0;
	for (size_t i = 0; i < plan->slots; i++)
		spans[i] = (struct weir_span){NULL, 0};
	const char *p = skip_ws(line, sc.end);
	if (p >= sc.end) {
		*why = "empty line";
		return -1;
	}
	if (*p != '{') {
		*why = "not a JSON object";
		return -1;
	}
	if (sc.clean)
		p = scan_object_clean(&sc, p, &plan->root, spans, 1);
	else
		p = scan_object(&sc, p, &plan->root, spans, 1);
	if (p == NULL) {
		*why = sc.why;
		last_shape = 0;
		return -1;
	}
	p = skip_ws(p, sc.end);
	if (p != sc.end) {
		*why = "text after the object";
		last_shape = 0;
		return -1;
	}
	return 0;
}

/* Appends code point cp as UTF-8; returns bytes written or 0 if no room. */
static size_t
put_utf8(char *out, size_t room, unsigned long cp)
{
	if (cp < 0x80 && room >= 1) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800 && room >= 2) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000 && room >= 3) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp >= 0x10000 && room >= 4) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

static unsigned long
hex4(const char *p)
{
	return (unsigned long)(hexval((unsigned char)p[0]) << 12 |
	    hexval((unsigned char)p[1]) << 8 | hexval((unsigned char)p[2]) << 4 |
	    hexval((unsigned char)p[3]));
}

long
weir_span_unescape(const struct weir_span *s, char *out, size_t cap)
{
	if (!weir_span_is_string(s) || cap == 0)
		return -1;
	const char *p = s->p + 1, *end = s->p + s->n - 1;
	size_t o = 0;
	while (p < end) {
		if (*p != '\\') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *p++;
			continue;
		}
		if (end - p < 2)
			return -1;
		char c = p[1];
		p += 2;
		unsigned long cp;
		switch (c) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (end - p < 4)
				return -1;
			cp = hex4(p);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned long lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;	/* a lone surrogate, as jq reads it */
			break;
		default:
			cp = (unsigned char)c;
			break;
		}
		if (o + 1 >= cap)
			return -1;
		size_t k = put_utf8(out + o, cap - o - 1, cp);
		if (k == 0)
			return -1;
		o += k;
	}
	out[o] = '\0';
	return (long)o;
}

int
weir_span_number(const struct weir_span *s, double *out)
{
	char buf[64];
	if (s->p == NULL || s->n == 0 || s->n >= sizeof buf)
		return -1;
	char c = s->p[0];
	if (c != '-' && (c < '0' || c > '9'))
		return -1;
	memcpy(buf, s->p, s->n);
	buf[s->n] = '\0';
	char *e;
	*out = strtod(buf, &e);
	return *e == '\0' ? 0 : -1;
}

/*
 * For weir_members and weir_member_list on a clean line (see line_is_clean):
 * strings end at the next quote, and the common values are read inline, as
 * in scan_object_clean.  One member, p at its key's quote: fills m and returns
 * where the next member's key starts, with *more false after the last one;
 * NULL when the line is not what it should be.
 */
static const char *
clean_member(struct scanner *sc, const char *p, struct weir_member *m, bool *more)
{
	const char *end = sc->end;
	m->key.p = p;
	if ((p = clean_string_end(sc, p)) == NULL)
		return NULL;
	m->key.n = (size_t)(p - m->key.p);
	if (p < end && *p == ':')
		p++;
	else if ((p = skip_ws(p, end)) < end && *p == ':')
		p++;
	else
		return NULL;
	if (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p = skip_ws(p, end);
	if (p >= end)
		return NULL;
	m->value.p = p;
	if ((p = clean_value_end(sc, p, 1)) == NULL)
		return NULL;
	m->value.n = (size_t)(p - m->value.p);
	*more = true;
	if (p < end && *p == ',')
		p++;
	else if ((p = skip_ws(p, end)) < end && *p == ',')
		p++;
	else
		*more = false;
	if (*more && p < end && *p != '"')
		p = skip_ws(p, end);
	return p;
}

/* weir_members of a clean line: a string ends at the next quote. */
static int
members_clean(struct scanner *sc, const char *p,
    int (*fn)(void *arg, const struct weir_span *key, const struct weir_span *value),
    void *arg)
{
	p = skip_ws(p + 1, sc->end);
	bool more = true;
	while (more && p < sc->end && *p == '"') {
		struct weir_member m;
		if ((p = clean_member(sc, p, &m, &more)) == NULL)
			return -1;
		int rc = fn(arg, &m.key, &m.value);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
weir_members(const char *line, size_t len,
    int (*fn)(void *arg, const struct weir_span *key, const struct weir_span *value),
    void *arg)
{
	struct scanner sc = scanner_init(line, len, line_is_clean(line, len));
	const char *p = skip_ws(line, sc.end);
	if (p >= sc.end || *p != '{')
		return -1;
	if (sc.clean)
		return members_clean(&sc, p, fn, arg);
	p = skip_ws(p + 1, sc.end);
	while (p < sc.end && *p == '"') {
		struct weir_span key = {p, 0}, value;
		p = scan_string(&sc, p);
		if (p == NULL)
			return -1;
		key.n = (size_t)(p - key.p);
		p = skip_ws(p, sc.end);
		if (p >= sc.end || *p != ':')
			return -1;
		p = skip_ws(p + 1, sc.end);
		value.p = p;
		p = skip_value(&sc, p, 1);
		if (p == NULL)
			return -1;
		value.n = (size_t)(p - value.p);
		int rc = fn(arg, &key, &value);
		if (rc != 0)
			return rc;
		p = skip_ws(p, sc.end);
		if (p < sc.end && *p == ',')
			p = skip_ws(p + 1, sc.end);
	}
	return 0;
}

bool
weir_line_is_clean(const char *line, size_t len)
{
	return line_is_clean(line, len);
}

struct member_list {
	struct weir_member *out;
	size_t n, max;
};

static int
list_member(void *arg, const struct weir_span *key, const struct weir_span *value)
{
	struct member_list *l = arg;
	if (l->n == l->max)
		return 1;
	l->out[l->n].key = *key;
	l->out[l->n++].value = *value;
	return 0;
}

int
weir_member_list(const char *line, size_t len, int clean, struct weir_member *out, size_t max)
{
	const char *end = line + len;
	if (clean < 0)
		clean = line_is_clean(line, len);
	if (!clean) {
		/* escapes to look into: the general walk */
		struct member_list l = {out, 0, max};
		return weir_members(line, len, list_member, &l) == 0 ? (int)l.n : -1;
	}
	struct scanner sc = scanner_init(line, len, true);
	const char *p = skip_ws(line, end);
	if (p >= end || *p != '{')
		return -1;
	p = skip_ws(p + 1, end);
	size_t n = 0;
	bool more = true;
	while (more && p < end && *p == '"') {
		if (n == max || (p = clean_member(&sc, p, &out[n++], &more)) == NULL)
			return -1;
	}
	return (int)n;
}

int
weir_member_list_shaped(const char *line, size_t len, const uint16_t *key_len, int n,
    struct weir_member *out)
{
	const char *end = line + len;
	struct scanner sc = scanner_init(line, len, true);
	const char *p = skip_ws(line, end);
	if (p >= end || *p != '{')
		return -1;
	p++;
	for (int k = 0; k < n; k++) {
		if (p < end && *p != '"')
			p = skip_ws(p, end);
		/* the key, as the lines of the shape have it: `"key":` */
		size_t kn = key_len[k];
		if ((size_t)(end - p) <= kn || *p != '"' || p[kn] != ':')
			return -1;
		out[k].key = (struct weir_span){p, kn};
		p += kn + 1;
		if (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p = skip_ws(p, end);
		if (p >= end)
			return -1;
		const char *v = p;
		if ((p = clean_value_end(&sc, p, 1)) == NULL)
			return -1;
		out[k].value = (struct weir_span){v, (size_t)(p - v)};
		if (p < end && *p != ',' && *p != '}')
			p = skip_ws(p, end);
		if (p >= end || *p != (k + 1 < n ? ',' : '}'))
			return -1;
		p++;
	}
	return n;
}

int
weir_is_json_number(const char *s, size_t n)
{
	struct scanner sc = scanner_init(s, n, false);
	if (n == 0)
		return 0;
	const char *p = scan_number(&sc, s);
	return p == s + n;
}

int
weir_members_of(struct weir_members *list, const char *line, size_t len, int clean)
{
	for (;;) {
		int n = list->cap ? weir_member_list(line, len, clean, list->v, list->cap) : -1;
		if (n >= 0)
			return n;
		if (list->cap > len)	/* room for more than the line could hold */
			return -1;
		if (weir_members_reserve(list, list->cap ? 2 * list->cap : 32) < 0)
			return -1;
	}
}

int
weir_members_reserve(struct weir_members *list, size_t n)
{
	if (n <= list->cap)
		return 0;
	struct weir_member *v = realloc(list->v, n * sizeof *v);
	if (v == NULL)
		return -1;
	list->v = v;
	list->cap = n;
	return 0;
}

void
weir_members_free(struct weir_members *list)
{
	free(list->v);
	list->v = NULL;
	list->cap = 0;
}
