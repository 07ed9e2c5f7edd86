/*
 * parse.c: the presets and the regex format of parse.h.
 *
 * Every parser writes its object member by member into the parser's
 * buffer: a member's key is written once per format (quoted, with its
 * colon), its value from the line's bytes, escaped only where a byte
 * needs it.  Nothing is allocated per line once the buffers have grown.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "parse.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "evtime.h"
#include "fields.h"
#include "io.h"
#include "zone.h"

/* A record joined from partial lines is handed out as it stands once it
 * reaches this size; the next part starts a record of its own. */
#define MAX_RECORD ((size_t)8 << 20)
#define MAX_TYPES 64

enum kind {
	F_COMBINED, F_COMMON, F_SYSLOG, F_LOGFMT, F_KV, F_CRI, F_DOCKER, F_REGEX, F_AUTO,
	F_JSON,		/* only as --message: a JSON object's members */
};

static const char *const presets[] = {
	"combined", "common", "syslog", "logfmt", "kv", "cri", "docker", NULL,
};

/* The order --auto tries them in: the most particular first. */
static const enum kind auto_order[] = {F_DOCKER, F_CRI, F_COMBINED, F_COMMON, F_SYSLOG, F_LOGFMT};

enum type {
	T_STRING,	/* as it came */
	T_NULLABLE,	/* a string, `-` is null (the presets' fields) */
	T_INT, T_FLOAT, T_BOOL, T_AUTO,
};

static const char *const type_names[] = {"string", "string", "int", "float", "bool", "auto"};

/* The members the presets write. */
enum key {
	K_REMOTE_ADDR, K_IDENT, K_REMOTE_USER, K_TIME, K_REQUEST, K_METHOD, K_PATH, K_PROTOCOL,
	K_STATUS, K_BYTES, K_REFERER, K_USER_AGENT, K_FACILITY, K_SEVERITY, K_HOSTNAME,
	K_APPNAME, K_PROCID, K_MSGID, K_STRUCTURED_DATA, K_MESSAGE, K_STREAM, NKEYS
};

static const struct {
	const char *name;
	size_t len;
	enum type type;
} keys[NKEYS] = {
	[K_REMOTE_ADDR] = {"remote_addr", 11, T_NULLABLE}, [K_IDENT] = {"ident", 5, T_NULLABLE},
	[K_REMOTE_USER] = {"remote_user", 11, T_NULLABLE}, [K_TIME] = {"time", 4, T_STRING},
	[K_REQUEST] = {"request", 7, T_STRING}, [K_METHOD] = {"method", 6, T_STRING},
	[K_PATH] = {"path", 4, T_STRING}, [K_PROTOCOL] = {"protocol", 8, T_STRING},
	[K_STATUS] = {"status", 6, T_INT}, [K_BYTES] = {"bytes", 5, T_INT},
	[K_REFERER] = {"referer", 7, T_NULLABLE}, [K_USER_AGENT] = {"user_agent", 10, T_NULLABLE},
	[K_FACILITY] = {"facility", 8, T_STRING}, [K_SEVERITY] = {"severity", 8, T_STRING},
	[K_HOSTNAME] = {"hostname", 8, T_NULLABLE}, [K_APPNAME] = {"appname", 7, T_NULLABLE},
	[K_PROCID] = {"procid", 6, T_NULLABLE}, [K_MSGID] = {"msgid", 5, T_NULLABLE},
	[K_STRUCTURED_DATA] = {"structured_data", 15, T_STRING}, [K_MESSAGE] = {"message", 7, T_STRING},
	[K_STREAM] = {"stream", 6, T_STRING},
};

/* Which members each preset writes, in order (for --types and the man page). */
static const enum key clf_keys[] = {K_REMOTE_ADDR, K_IDENT, K_REMOTE_USER, K_TIME, K_REQUEST,
	K_METHOD, K_PATH, K_PROTOCOL, K_STATUS, K_BYTES, K_REFERER, K_USER_AGENT, NKEYS};
static const enum key syslog_keys[] = {K_FACILITY, K_SEVERITY, K_TIME, K_HOSTNAME, K_APPNAME,
	K_PROCID, K_MSGID, K_STRUCTURED_DATA, K_MESSAGE, NKEYS};
static const enum key stream_keys[] = {K_TIME, K_STREAM, K_MESSAGE, NKEYS};

struct typed {
	char *name;
	enum type type;
};

struct group {			/* a named group of a regex */
	uint32_t number;
	char *key;		/* "name": */
	size_t key_len;
	enum type type;
};

struct weir_format {
	enum kind kind;
	char name[16];
	enum type key_type[NKEYS];
	struct typed types[MAX_TYPES];	/* --types, for kv and logfmt keys */
	int ntypes;
	const char *raw_name;	/* --raw: the member that keeps the line (borrowed) */
	bool passthrough, strings;
	char kv_sep[8], pair_sep[8];
	bool pair_space;	/* pairs are split by runs of white space */
	pcre2_code *re;
	bool jit;
	struct group *groups;
	int ngroups;
	struct weir_plan *docker_plan;	/* log, stream, time, attrs */
	struct weir_format *inner;	/* --message: what a CRI or Docker message is */
	struct weir_zone *zone;		/* --tz: RFC 3164's zone-less times are its */
	struct weir_plan *json_plan;	/* F_JSON: an empty plan, to validate with */
	char key_json[NKEYS][24];	/* ,"name": of each preset member */
	unsigned char key_json_len[NKEYS];
};

/* A record of partial lines being joined (CRI, Docker), per stream. */
struct held {
	bool on;
	uint64_t first;		/* its first line */
	char time[64];		/* its first part's time, as written (quotes too) */
	size_t time_len;
	struct weir_buf msg;	/* CRI: the bytes; Docker: the JSON string's inside */
	bool msg_is_json;
	struct weir_buf attrs;	/* Docker's attrs (--log-opt labels) of the first part */
};

struct weir_parser {
	const struct weir_format *f;
	enum kind kind;		/* the format's, or what --auto chose */
	bool chose;		/* --auto: the choice is made */
	bool told;
	char notice[96];
	struct weir_buf out;	/* the object being written */
	int members;
	struct weir_buf scratch;	/* a value decoded before it is written */
	char why[192];
	struct held held[2];	/* stdout, stderr */
	pcre2_match_data *md;
	struct weir_span spans[4];
	struct weir_buf inner_text;	/* a Docker message decoded for --message */
	char clf_in[26], clf_out[40];	/* the last access log time and its RFC 3339 */
	size_t clf_n;
};

/* --- writing --------------------------------------------------------------------- */

static int
room(struct weir_buf *b, size_t more)
{
	if (b->cap - b->n > more)
		return 0;
	return weir_reserve(&b->p, &b->cap, b->n + more + 1);
}

static void
put(struct weir_buf *b, const char *s, size_t n)
{
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* 0: written as it is; 1: escaped; 2: not ASCII. */
static const unsigned char byte_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* How many bytes from s on are written as they are (byte_class 0): 16 at
 * a time where the machine has SSE2 (every x86-64 has). */
static size_t
plain_prefix(const char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
	    space = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7f);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* signed: below ' ' is a control byte or one from 0x80 */
		__m128i odd = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		    _mm_cmpeq_epi8(v, backslash)), _mm_or_si128(_mm_cmplt_epi8(v, space),
		    _mm_cmpeq_epi8(v, del)));
		int m = _mm_movemask_epi8(odd);
		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	while (i < n && byte_class[(unsigned char)s[i]] == 0)
		i++;
	return i;
}

/*
 * s[0..n) as a JSON string.  Valid UTF-8 is written as it is; a text that
 * is not (a log holds whatever bytes a client sent) has each byte from
 * 0x80 written as \u00XX, its Latin-1 reading, as weir_json_quote_bytes
 * does: no byte is lost or replaced, and the JSON is valid.
 */
static int
put_string(struct weir_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (room(b, 6 * n + 2) < 0)
		return -1;
	char *o = b->p + b->n;
	*o++ = '"';
	int utf8 = -1;		/* not known yet */
	size_t i = 0;
	while (i < n) {
		size_t j = i + plain_prefix(s + i, n - i);
		memcpy(o, s + i, j - i);
		o += j - i;
		if (j == n)
			break;
		unsigned char c = (unsigned char)s[j];
		i = j + 1;
		if (byte_class[c] == 2) {
			if (utf8 < 0)
				utf8 = weir_utf8_valid(s, n);
			if (utf8) {
				*o++ = (char)c;
				continue;
			}
		} else if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
			continue;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			continue;
		}
		*o++ = '\\';
		*o++ = 'u';
		*o++ = '0';
		*o++ = '0';
		*o++ = hex[c >> 4];
		*o++ = hex[c & 15];
	}
	*o++ = '"';
	b->n = (size_t)(o - b->p);
	return 0;
}

/* The key of the next member, with the separator before it. */
static int
put_key(struct weir_parser *p, const char *name, size_t n)
{
	if (room(&p->out, 6 * n + 4) < 0)
		return -1;
	p->out.p[p->out.n++] = p->members++ ? ',' : '{';
	if (put_string(&p->out, name, n) < 0)
		return -1;
	p->out.p[p->out.n++] = ':';
	return 0;
}

static int
put_raw(struct weir_buf *b, const char *s, size_t n)
{
	if (room(b, n) < 0)
		return -1;
	put(b, s, n);
	return 0;
}

static void
start(struct weir_parser *p)
{
	p->out.n = 0;
	p->members = 0;
}

/* Ends the object, with --raw's member; the record is p->out. */
static int
finish(struct weir_parser *p, const char *line, size_t len)
{
	const struct weir_format *f = p->f;
	if (f->raw_name && (put_key(p, f->raw_name, strlen(f->raw_name)) < 0 ||
	    put_string(&p->out, line, len) < 0))
		return -1;
	if (room(&p->out, 2) < 0)
		return -1;
	if (p->members == 0)
		p->out.p[p->out.n++] = '{';
	p->out.p[p->out.n++] = '}';
	return 0;
}

/* What the functions below return for a line the format does not read
 * (with p->why written); -1 is memory running out, 0 success. */
#define NOT_READ 1

static int
no(struct weir_parser *p, const char *fmt, const char *a, size_t an)
{
	if (an > 40)
		an = 40;
	snprintf(p->why, sizeof p->why, fmt, (int)an, a);
	return NOT_READ;
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/*
 * A value of a type.  Returns 0, -1 when memory ran out, or NOT_READ when
 * the text is not of the type (why names the member).
 */
static int
put_typed(struct weir_parser *p, enum type type, const char *name, const char *s, size_t n)
{
	struct weir_buf *b = &p->out;
	bool dash = n == 1 && s[0] == '-';
	if (type == T_STRING)
		return put_string(b, s, n);
	if (type == T_NULLABLE)
		return dash ? put_raw(b, "null", 4) : put_string(b, s, n);
	if (dash || n == 0)
		return put_raw(b, "null", 4);
	switch (type) {
	case T_INT: {
		size_t i = s[0] == '-';
		if (!all_digits(s + i, n - i))
			break;
		if (i)
			if (put_raw(b, "-", 1) < 0)
				return -1;
		while (i < n - 1 && s[i] == '0')	/* 007 is 7: JSON has no leading zeros */
			i++;
		return put_raw(b, s + i, n - i) < 0 ? -1 : 0;
	}
	case T_FLOAT:
		if (weir_is_json_number(s, n))
			return put_raw(b, s, n);
		if (n < 64) {
			char tmp[64], *end;
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			double v = strtod(tmp, &end);	/* decimal only: no hex, inf or nan */
			if (end == tmp + n && v - v == 0 && strchr("0123456789.+-", tmp[0]) &&
			    strpbrk(tmp, "xXnN") == NULL) {
				char num[WEIR_DOUBLE_ROOM];
				return put_raw(b, num, weir_format_double(v, num));
			}
		}
		break;
	case T_BOOL:
		if ((n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 3 && strncasecmp(s, "yes", 3) == 0) ||
		    (n == 2 && strncasecmp(s, "on", 2) == 0) || (n == 1 && s[0] == '1'))
			return put_raw(b, "true", 4);
		if ((n == 5 && strncasecmp(s, "false", 5) == 0) || (n == 2 && strncasecmp(s, "no", 2) == 0) ||
		    (n == 3 && strncasecmp(s, "off", 3) == 0) || (n == 1 && s[0] == '0'))
			return put_raw(b, "false", 5);
		break;
	case T_AUTO:
		return weir_is_json_number(s, n) ? put_raw(b, s, n) : put_string(b, s, n);
	default:
		break;
	}
	char shown[48];
	size_t k = n < 40 ? n : 40;
	memcpy(shown, s, k);
	shown[k] = '\0';
	snprintf(p->why, sizeof p->why, "%s: '%s%s' is not %s %s", name, shown, n > 40 ? "..." : "",
	    type == T_INT ? "an" : "a", type_names[type]);
	return NOT_READ;
}

/* A preset's key: `,"name":` as the format wrote it once, the comma a
 * brace for the first member. */
static int
put_preset_key(struct weir_parser *p, enum key k)
{
	if (room(&p->out, sizeof p->f->key_json[k]) < 0)
		return -1;
	char *o = p->out.p + p->out.n;
	memcpy(o, p->f->key_json[k], sizeof p->f->key_json[k]);
	if (p->members++ == 0)
		*o = '{';
	p->out.n += p->f->key_json_len[k];
	return 0;
}

/* A preset's member. */
static int
field(struct weir_parser *p, enum key k, const char *s, size_t n)
{
	if (put_preset_key(p, k) < 0)
		return -1;
	return put_typed(p, p->f->key_type[k], keys[k].name, s, n);
}

static int
field_null(struct weir_parser *p, enum key k)
{
	if (put_preset_key(p, k) < 0)
		return -1;
	return put_raw(&p->out, "null", 4);
}

/* A preset's member whose text is known to need no escape. */
static int
field_plain(struct weir_parser *p, enum key k, const char *s, size_t n, bool plain)
{
	if (!plain || p->f->key_type[k] != T_STRING)
		return field(p, k, s, n);
	if (put_preset_key(p, k) < 0 || room(&p->out, n + 2) < 0)
		return -1;
	char *o = p->out.p + p->out.n;
	o[0] = '"';
	memcpy(o + 1, s, n);
	o[n + 1] = '"';
	p->out.n += n + 2;
	return 0;
}

/* A field that may be absent: null when s is NULL. */
static int
field_opt(struct weir_parser *p, enum key k, const char *s, size_t n)
{
	return s ? field(p, k, s, n) : field_null(p, k);
}

#define TRY(x) do { int rc_ = (x); if (rc_ != 0) return rc_; } while (0)

/* --- combined and common (nginx, Apache) ------------------------------------------ */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int
month_of(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(months + 3 * m, s, 3) == 0)
			return m + 1;
	return 0;
}

static bool
two(const char *s, int *v, int max)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return *v <= max;
}

static int
days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

/*
 * Common Log Format's time, `03/Dec/2026:10:00:01 +0000`, as RFC 3339
 * with its offset ("2026-12-03T10:00:01Z" at +0000): the same instant,
 * the same text a reader of either would expect.
 */
static int
put_clf_time(struct weir_parser *p, const char *s, size_t n)
{
	int d, mo, y1, y2, h, mi, sec, oh, om;
	if (n != 26 || s[17] != ':' || !two(s + 18, &sec, 59))
		return no(p, "no time in '%.*s' (the format's is 03/Dec/2026:10:00:01 +0000)", s, n);
	/* Lines of a log share their minute: its text is kept for the next. */
	if (!p->clf_n || memcmp(s, p->clf_in, 17) != 0 || memcmp(s + 20, p->clf_in + 20, 6) != 0) {
		if (s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[20] != ' ' ||
		    (s[21] != '+' && s[21] != '-') || !two(s, &d, 31) || (mo = month_of(s + 3)) == 0 ||
		    !two(s + 7, &y1, 99) || !two(s + 9, &y2, 99) || !two(s + 12, &h, 23) ||
		    !two(s + 15, &mi, 59) || !two(s + 22, &oh, 23) || !two(s + 24, &om, 59) ||
		    d < 1 || d > days_in(y1 * 100 + y2, mo))
			return no(p, "no time in '%.*s' (the format's is 03/Dec/2026:10:00:01 +0000)",
			    s, n);
		char *o = p->clf_out;
		const int v[] = {y1, y2, -'-', mo, -'-', d, -'T', h, -':', mi, -':'};
		*o++ = '"';
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
			if (v[i] < 0) {
				*o++ = (char)-v[i];
			} else {
				*o++ = (char)('0' + v[i] / 10);
				*o++ = (char)('0' + v[i] % 10);
			}
		}
		o += 2;		/* the seconds */
		if (oh == 0 && om == 0) {
			*o++ = 'Z';
		} else {
			*o++ = s[21];
			*o++ = (char)('0' + oh / 10);
			*o++ = (char)('0' + oh % 10);
			*o++ = ':';
			*o++ = (char)('0' + om / 10);
			*o++ = (char)('0' + om % 10);
		}
		*o++ = '"';
		p->clf_n = (size_t)(o - p->clf_out);
		memcpy(p->clf_in, s, 26);
	}
	p->clf_out[18] = s[18];	/* "2026-11-23T10:23:SS: the seconds at 18 */
	p->clf_out[19] = s[19];
	if (put_preset_key(p, K_TIME) < 0)
		return -1;
	return put_raw(&p->out, p->clf_out, p->clf_n);
}

/* The end of a quoted string that starts at s (after its quote): the
 * closing quote, with \" and \\ as Apache writes them; *escaped says a
 * backslash was seen, *plain that every byte before the quote is one
 * JSON writes as it is.  NULL when it never closes. */
static const char *
quoted_end(const char *s, const char *e, bool *escaped, bool *plain)
{
	*escaped = false;
	*plain = true;
	for (const char *q = s; q < e; q++) {
		q += plain_prefix(q, (size_t)(e - q));
		if (q == e)
			break;
		unsigned char c = (unsigned char)*q;
		if (c == '"')
			return q;
		*plain = false;
		if (c == '\\' && q + 1 < e) {
			*escaped = true;
			q++;
		}
	}
	return NULL;
}

/* Takes out Apache's \" and \\ (nginx writes \xHH, which stays as text). */
static int
unescape_quoted(struct weir_parser *p, const char *s, size_t n, const char **out, size_t *on)
{
	if (weir_reserve(&p->scratch.p, &p->scratch.cap, n + 1) < 0)
		return -1;
	char *o = p->scratch.p;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
			i++;
		*o++ = s[i];
	}
	*out = p->scratch.p;
	*on = (size_t)(o - p->scratch.p);
	return 0;
}

/* "$request": the whole line, and method, path and protocol when it reads
 * as an HTTP request line (else null: a TLS probe's bytes, a bare "-"). */
static int
put_request(struct weir_parser *p, const char *s, size_t n, bool plain)
{
	if (plain && p->f->key_type[K_REQUEST] == T_STRING) {
		TRY(put_preset_key(p, K_REQUEST));
		TRY(put_raw(&p->out, s - 1, n + 2));	/* its quotes, as they came */
	} else {
		TRY(field(p, K_REQUEST, s, n));
	}
	size_t m = 0;
	while (m < n && m < 32 && ((s[m] >= 'A' && s[m] <= 'Z') || s[m] == '-' || s[m] == '_'))
		m++;
	if (m == 0 || m >= n || s[m] != ' ') {
		TRY(field_null(p, K_METHOD));
		TRY(field_null(p, K_PATH));
		return field_null(p, K_PROTOCOL);
	}
	TRY(field_plain(p, K_METHOD, s, m, plain));
	const char *path = s + m + 1, *e = s + n;
	const char *sp = e;
	while (sp > path && sp[-1] != ' ')
		sp--;
	if (sp > path && e - sp > 5 && memcmp(sp, "HTTP/", 5) == 0) {
		TRY(field_plain(p, K_PATH, path, (size_t)(sp - 1 - path), plain));
		return field_plain(p, K_PROTOCOL, sp, (size_t)(e - sp), plain);
	}
	TRY(field_plain(p, K_PATH, path, (size_t)(e - path), plain));
	return field_null(p, K_PROTOCOL);
}

/* A quoted field at *q (its opening quote): written decoded as key k, *q
 * moved past the closing quote. */
static int
quoted_field(struct weir_parser *p, enum key k, const char **q, const char *e)
{
	const char *s = *q;
	bool escaped, plain;
	const char *close = s < e && *s == '"' ? quoted_end(s + 1, e, &escaped, &plain) : NULL;
	if (close == NULL)
		return no(p, "no quoted %.*s", keys[k].name, keys[k].len);
	const char *v = s + 1;
	size_t vn = (size_t)(close - v);
	if (escaped)
		TRY(unescape_quoted(p, v, vn, &v, &vn));
	*q = close + 1;
	if (k == K_REQUEST)
		return put_request(p, v, vn, plain);
	if (plain && p->f->key_type[k] == T_NULLABLE && !(vn == 1 && *v == '-')) {
		/* the common case, written as it is, quotes included */
		TRY(put_preset_key(p, k));
		return put_raw(&p->out, s, vn + 2);
	}
	return field(p, k, v, vn);
}

static const char *
token_end(const char *q, const char *e)
{
	const char *sp = memchr(q, ' ', (size_t)(e - q));
	return sp ? sp : e;
}

/*
 * nginx's and Apache's access logs:
 *   common    $remote_addr $ident $remote_user [$time_local] "$request" $status $bytes
 *   combined  ... "$http_referer" "$http_user_agent"
 */
static int
parse_clf(struct weir_parser *p, const char *s, size_t n, bool combined)
{
	const char *q = s, *e = s + n;
	static const enum key first[] = {K_REMOTE_ADDR, K_IDENT, K_REMOTE_USER};
	for (int i = 0; i < 3; i++) {
		const char *t = token_end(q, e);
		if (t == e || t == q)
			return no(p, "not an access log line (no %.*s field)", keys[first[i]].name,
			    strlen(keys[first[i]].name));
		TRY(field(p, first[i], q, (size_t)(t - q)));
		q = t + 1;
	}
	const char *close = q < e && *q == '[' ? memchr(q, ']', (size_t)(e - q)) : NULL;
	if (close == NULL || close + 1 >= e || close[1] != ' ')
		return no(p, "no [time] where the format has it%.*s", "", 0);
	TRY(put_clf_time(p, q + 1, (size_t)(close - q - 1)));
	q = close + 2;
	TRY(quoted_field(p, K_REQUEST, &q, e));
	static const enum key nums[] = {K_STATUS, K_BYTES};
	for (int i = 0; i < 2; i++) {
		if (q >= e || *q != ' ')
			return no(p, "no %.*s after the request", keys[nums[i]].name,
			    strlen(keys[nums[i]].name));
		q++;
		const char *t = token_end(q, e);
		TRY(field(p, nums[i], q, (size_t)(t - q)));
		q = t;
	}
	if (combined) {
		static const enum key quoted[] = {K_REFERER, K_USER_AGENT};
		for (int i = 0; i < 2; i++) {
			if (q >= e || *q != ' ')
				return no(p, "no quoted %.*s (is it the common format?)",
				    keys[quoted[i]].name, strlen(keys[quoted[i]].name));
			q++;
			TRY(quoted_field(p, quoted[i], &q, e));
		}
	}
	if (q != e)
		return no(p, "text after the last field: '%.*s' (a format of its own: use regex)", q,
		    (size_t)(e - q));
	return 0;
}

/* --- syslog (RFC 3164 and RFC 5424) ------------------------------------------------ */

static const char *const facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1",
	"local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* An RFC 3339 date and time (not a date alone, which ISO 8601 allows). */
static bool
date_time(const char *s, size_t n)
{
	int64_t t;
	return n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') &&
	    s[13] == ':' && s[16] == ':' && weir_time_parse_rfc3339(s, n, &t) == 0;
}

static int
put_time_text(struct weir_parser *p, const char *s, size_t n)
{
	if (!date_time(s, n))
		return no(p, "'%.*s' is no RFC 3339 time", s, n);
	return field(p, K_TIME, s, n);
}

/* RFC 5424's STRUCTURED-DATA: [id name="value" ...]... as an object of
 * objects; in a value \" \\ and \] are escapes, any other backslash is
 * itself (RFC 5424 6.3.3). */
static int
put_structured_data(struct weir_parser *p, const char **qp, const char *e)
{
	const char *q = *qp;
	if (put_key(p, "structured_data", 15) < 0)
		return -1;
	if (q < e && *q == '-') {
		*qp = q + 1;
		return put_raw(&p->out, "null", 4);
	}
	if (put_raw(&p->out, "{", 1) < 0)
		return -1;
	int elements = 0;
	while (q < e && *q == '[') {
		q++;
		const char *id = q;
		while (q < e && *q != ' ' && *q != ']' && *q != '"' && *q != '=')
			q++;
		if (q == id || q >= e)
			return no(p, "bad structured data%.*s", "", 0);
		if ((elements++ && put_raw(&p->out, ",", 1) < 0) ||
		    put_string(&p->out, id, (size_t)(q - id)) < 0 || put_raw(&p->out, ":{", 2) < 0)
			return -1;
		int params = 0;
		while (q < e && *q == ' ') {
			q++;
			const char *name = q;
			while (q < e && *q != '=' && *q != ' ' && *q != ']' && *q != '"')
				q++;
			if (q == name || q + 1 >= e || q[0] != '=' || q[1] != '"')
				return no(p, "bad structured data parameter%.*s", "", 0);
			size_t name_n = (size_t)(q - name);
			q += 2;
			if (weir_reserve(&p->scratch.p, &p->scratch.cap, (size_t)(e - q) + 1) < 0)
				return -1;
			char *o = p->scratch.p;
			while (q < e && *q != '"') {
				if (*q == '\\' && q + 1 < e && (q[1] == '"' || q[1] == '\\' || q[1] == ']'))
					q++;
				*o++ = *q++;
			}
			if (q >= e)
				return no(p, "a structured data value never closes%.*s", "", 0);
			q++;
			if ((params++ && put_raw(&p->out, ",", 1) < 0) ||
			    put_string(&p->out, name, name_n) < 0 || put_raw(&p->out, ":", 1) < 0 ||
			    put_string(&p->out, p->scratch.p, (size_t)(o - p->scratch.p)) < 0)
				return -1;
		}
		if (q >= e || *q != ']')
			return no(p, "a structured data element never closes%.*s", "", 0);
		q++;
		if (put_raw(&p->out, "}", 1) < 0)
			return -1;
	}
	if (elements == 0)
		return no(p, "no structured data (RFC 5424 needs '-' or [...])%.*s", "", 0);
	*qp = q;
	return put_raw(&p->out, "}", 1);
}

static int
parse_5424(struct weir_parser *p, const char *q, const char *e)
{
	static const enum key header[] = {K_TIME, K_HOSTNAME, K_APPNAME, K_PROCID, K_MSGID};
	for (int i = 0; i < 5; i++) {
		const char *t = token_end(q, e);
		if (t == e || t == q)
			return no(p, "RFC 5424 header cut short before %.*s", keys[header[i]].name,
			    strlen(keys[header[i]].name));
		size_t n = (size_t)(t - q);
		if (i == 0 && n == 1 && *q == '-')
			TRY(field_null(p, K_TIME));	/* NILVALUE: the sender knew no time */
		else if (i == 0)
			TRY(put_time_text(p, q, n));
		else
			TRY(field(p, header[i], q, n));
		q = t + 1;
	}
	TRY(put_structured_data(p, &q, e));
	if (q == e)
		return field_null(p, K_MESSAGE);
	if (*q != ' ')
		return no(p, "no space after the structured data%.*s", "", 0);
	q++;
	if (e - q >= 3 && memcmp(q, "\xef\xbb\xbf", 3) == 0)
		q += 3;	/* RFC 5424's BOM says the message is UTF-8 */
	return field(p, K_MESSAGE, q, (size_t)(e - q));
}

/* RFC 3164 (and what rsyslog writes to files): TIMESTAMP HOSTNAME TAG[PID]: MSG,
 * where TIMESTAMP is `Dec  3 10:00:01` or RFC 3339 and HOSTNAME may be
 * left out (a local program's line). */
static int
parse_3164(struct weir_parser *p, const char *q, const char *e)
{
	int64_t t;
	char text[WEIR_TIME_BUFSZ + 2];
	if (e - q > 15 && q[15] == ' ' && month_of(q) && q[3] == ' ' &&
	    weir_time_parse_pattern("%b %e %H:%M:%S", q, 15, &t) == 0) {
		if (put_preset_key(p, K_TIME) < 0)
			return -1;
		text[0] = '"';
		/* the sender's wall clock: UTC, or --tz's local time (a time the
		 * clocks skip is the instant they skip it, as windows read it) */
		size_t k = p->f->zone ? weir_zone_format(p->f->zone, weir_zone_from(p->f->zone, t), text + 1)
		    : weir_time_format_rfc3339(t, text + 1);
		text[k + 1] = '"';
		TRY(put_raw(&p->out, text, k + 2));
		q += 16;
	} else {
		const char *sp = token_end(q, e);
		if (sp == e || !date_time(q, (size_t)(sp - q)))
			return no(p, "no syslog time at '%.*s'", q, (size_t)(e - q));
		TRY(field(p, K_TIME, q, (size_t)(sp - q)));
		q = sp + 1;
	}
	const char *t1 = token_end(q, e);
	bool tag_first = t1 > q && (t1[-1] == ':' || memchr(q, '[', (size_t)(t1 - q)) != NULL);
	if (tag_first || t1 == e) {
		TRY(field_null(p, K_HOSTNAME));
	} else {
		TRY(field(p, K_HOSTNAME, q, (size_t)(t1 - q)));
		q = t1 + 1;
	}
	const char *tag = q, *pid = NULL, *pid_end = NULL;
	while (q < e && q - tag < 48 && *q != '[' && *q != ':' && *q != ' ')
		q++;
	const char *tag_end = q;
	if (q < e && *q == '[') {
		pid = q + 1;
		pid_end = memchr(pid, ']', (size_t)(e - pid));
		q = pid_end ? pid_end + 1 : e;
	}
	if (tag_end > tag && q < e && *q == ':' && (pid == NULL || pid_end != NULL)) {
		TRY(field(p, K_APPNAME, tag, (size_t)(tag_end - tag)));
		TRY(field_opt(p, K_PROCID, pid, pid ? (size_t)(pid_end - pid) : 0));
		q++;
		if (q < e && *q == ' ')
			q++;
	} else {
		TRY(field_null(p, K_APPNAME));
		TRY(field_null(p, K_PROCID));
		q = tag;
	}
	TRY(field_null(p, K_MSGID));
	TRY(field_null(p, K_STRUCTURED_DATA));
	return field(p, K_MESSAGE, q, (size_t)(e - q));
}

static int
parse_syslog(struct weir_parser *p, const char *s, size_t n)
{
	const char *q = s, *e = s + n;
	int pri = -1;
	if (q < e && *q == '<') {
		const char *d = ++q;
		pri = 0;
		while (q < e && q - d < 3 && *q >= '0' && *q <= '9')
			pri = pri * 10 + (*q++ - '0');
		if (q == d || q >= e || *q != '>' || pri > 191)
			return no(p, "a bad PRI '%.*s' (<0> to <191>)", s, (size_t)(q - s) + 1);
		q++;
	}
	if (pri >= 0) {
		TRY(put_key(p, "facility", 8));
		TRY(put_string(&p->out, facilities[pri >> 3], strlen(facilities[pri >> 3])));
		TRY(put_key(p, "severity", 8));
		TRY(put_string(&p->out, severities[pri & 7], strlen(severities[pri & 7])));
	} else {
		TRY(field_null(p, K_FACILITY));
		TRY(field_null(p, K_SEVERITY));
	}
	if (pri >= 0 && e - q >= 2 && q[0] >= '1' && q[0] <= '9' &&
	    (q[1] == ' ' || (e - q >= 3 && q[1] >= '0' && q[1] <= '9' && q[2] == ' ')))
		return parse_5424(p, q + (q[1] == ' ' ? 2 : 3), e);
	return parse_3164(p, q, e);
}

/* --- logfmt and key=value ---------------------------------------------------------- */

static bool
at_sep(const char *q, const char *e, const char *sep, size_t n)
{
	return (size_t)(e - q) >= n && memcmp(q, sep, n) == 0;
}

static enum type
type_of_key(const struct weir_format *f, const char *k, size_t n)
{
	for (int i = 0; i < f->ntypes; i++)
		if (strlen(f->types[i].name) == n && memcmp(f->types[i].name, k, n) == 0)
			return f->types[i].type;
	return f->strings ? T_STRING : T_AUTO;
}

/* A quoted value: \" \\ \n \t \r are escapes (logfmt's, Go's), other
 * backslashes are themselves.  *q is past the opening quote. */
static const char *
kv_quoted(struct weir_parser *p, const char **qp, const char *e, char quote, size_t *on)
{
	const char *q = *qp;
	if (weir_reserve(&p->scratch.p, &p->scratch.cap, (size_t)(e - q) + 1) < 0)
		return NULL;
	char *o = p->scratch.p;
	for (; q < e && *q != quote; q++) {
		if (*q == '\\' && q + 1 < e) {
			char c = q[1];
			if (c == quote || c == '\\' || c == 'n' || c == 't' || c == 'r') {
				q++;
				*o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
				continue;
			}
		}
		*o++ = *q;
	}
	if (q >= e)
		return NULL;
	*qp = q + 1;
	*on = (size_t)(o - p->scratch.p);
	return p->scratch.p;
}

/*
 * key=value pairs.  logfmt: pairs split by white space, values bare or in
 * double quotes, a bare key is true.  kv: the separators given, values also
 * in single quotes, white space around keys and values trimmed.  A bare
 * value that is a JSON number is written as one (unless --strings or
 * --types say otherwise).  A line needs one key=value pair.
 */
static int
parse_kv(struct weir_parser *p, const char *s, size_t n, bool logfmt)
{
	const struct weir_format *f = p->f;
	const char *q = s, *e = s + n;
	size_t kvn = strlen(f->kv_sep), pn = strlen(f->pair_sep);
	int pairs = 0;
	for (;;) {
		while (q < e && (*q == ' ' || *q == '\t' || (!f->pair_space && at_sep(q, e, f->pair_sep, pn))))
			q += (*q == ' ' || *q == '\t') ? 1 : pn;
		if (q >= e)
			break;
		/* between pairs split by white space, a key or a bare value ends at
		 * white space; with another separator it may hold spaces, trimmed */
		const char *k = q;
		while (q < e && !at_sep(q, e, f->kv_sep, kvn) &&
		    (f->pair_space ? *q != ' ' && *q != '\t' : !at_sep(q, e, f->pair_sep, pn))) {
			if (*q == '"' && logfmt)
				return no(p, "a quote in a key at '%.*s'", k, (size_t)(e - k));
			q++;
		}
		size_t kn = (size_t)(q - k);
		while (!f->pair_space && kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
			kn--;
		const char *after_key = q;
		if (!f->pair_space)	/* white space between key and separator */
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
		if (q >= e || !at_sep(q, e, f->kv_sep, kvn)) {
			q = after_key;
			if (kn == 0)
				return no(p, "an empty key at '%.*s'", k, (size_t)(e - k));
			TRY(put_key(p, k, kn));
			TRY(put_raw(&p->out, "true", 4));
			continue;
		}
		if (kn == 0)
			return no(p, "a value without a key at '%.*s'", k, (size_t)(e - k));
		q += kvn;
		if (!f->pair_space)
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
		TRY(put_key(p, k, kn));
		pairs++;
		enum type type = f->ntypes || f->strings ? type_of_key(f, k, kn) : T_AUTO;
		if (q < e && (*q == '"' || (!logfmt && *q == '\''))) {
			char quote = *q++;
			const char *start_q = q - 1;
			size_t vn;
			const char *v = kv_quoted(p, &q, e, quote, &vn);
			if (v == NULL)
				return no(p, "a quote that never closes at '%.*s'", start_q,
				    (size_t)(e - start_q));
			/* a quoted value is text: a number only where --types says so */
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(kn < 60 ? kn : 60), k);
			TRY(put_typed(p, type == T_AUTO ? T_STRING : type, name, v, vn));
			continue;
		}
		const char *v = q;
		while (q < e && (f->pair_space ? *q != ' ' && *q != '\t' : !at_sep(q, e, f->pair_sep, pn)))
			q++;
		size_t vn = (size_t)(q - v);
		if (!f->pair_space)
			while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
		if (type == T_AUTO) {
			TRY(vn && weir_is_json_number(v, vn) ? put_raw(&p->out, v, vn) : put_string(&p->out, v, vn));
		} else {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(kn < 60 ? kn : 60), k);
			TRY(put_typed(p, type, name, v, vn));
		}
	}
	if (pairs == 0)
		return no(p, "no key%.*svalue pair", f->kv_sep, kvn);
	return 0;
}

/* --- partial lines: CRI and Docker --------------------------------------------------- */

/*
 * --message FORMAT: the members a record's message reads as, in place of
 * `message`.  Returns 0, -1 when memory ran out, or NOT_READ with nothing
 * written when the message is not of the format (it is then written as
 * `message`, as without --message: a line of another shape in a
 * container's output is kept, not rejected).
 */
static int
put_message_members(struct weir_parser *p, struct held *h)
{
	const struct weir_format *outer = p->f, *inner = outer->inner;
	const char *m = h->msg.p ? h->msg.p : "";
	size_t n = h->msg.n;
	if (h->msg_is_json) {	/* Docker's: the inside of a JSON string, decoded here */
		struct weir_buf *t = &p->inner_text;
		t->n = 0;
		if (weir_buf_add(t, "\"", 1) < 0 || weir_buf_add(t, m, n) < 0 || weir_buf_add(t, "\"", 1) < 0 ||
		    weir_reserve(&p->scratch.p, &p->scratch.cap, t->n + 1) < 0)
			return -1;
		struct weir_span span = {t->p, t->n};
		long k = weir_span_unescape(&span, p->scratch.p, p->scratch.cap);
		if (k < 0)
			return NOT_READ;
		t->n = 0;
		if (weir_buf_add(t, p->scratch.p, (size_t)k) < 0)
			return -1;
		m = t->p;
		n = t->n;
	}
	size_t at = p->out.n;
	int members = p->members, rc;
	if (inner->kind == F_JSON) {
		const char *why;
		rc = NOT_READ;
		if (weir_scan(inner->json_plan, m, n, p->spans, &why) == 0) {
			const char *b = memchr(m, '{', n), *e = m + n;
			while (e > b && e[-1] != '}')
				e--;
			const char *in = b + 1, *in_end = e - 1;
			while (in < in_end && strchr(" \t\r\n", *in))
				in++;
			rc = 0;
			if (in < in_end) {
				if (room(&p->out, (size_t)(in_end - in) + 1) < 0)
					return -1;
				p->out.p[p->out.n++] = ',';
				put(&p->out, in, (size_t)(in_end - in));
				p->members++;
			}
		}
	} else {
		p->f = inner;
		if (inner->kind == F_SYSLOG)
			rc = parse_syslog(p, m, n);
		else if (inner->kind == F_LOGFMT || inner->kind == F_KV)
			rc = parse_kv(p, m, n, inner->kind == F_LOGFMT);
		else
			rc = parse_clf(p, m, n, inner->kind == F_COMBINED);
		p->f = outer;
	}
	if (rc == NOT_READ) {
		p->out.n = at;
		p->members = members;
	}
	return rc;
}

/*
 * A stream's record being joined.  Returns WEIR_PARSE_HELD when the part
 * is held, WEIR_PARSE_RECORD when it ends a record (p->out has it).
 */
static int
put_stream_record(struct weir_parser *p, struct held *h, int stream)
{
	start(p);
	TRY(put_key(p, "time", 4));
	TRY(put_raw(&p->out, h->time, h->time_len));
	TRY(put_key(p, "stream", 6));
	TRY(put_raw(&p->out, stream ? "\"stderr\"" : "\"stdout\"", 8));
	bool read = false;
	if (p->f->inner) {
		int rc = put_message_members(p, h);
		if (rc < 0)
			return rc;
		read = rc == 0;
	}
	if (!read) {
		TRY(put_key(p, "message", 7));
		if (h->msg_is_json) {
			TRY(put_raw(&p->out, "\"", 1));
			TRY(put_raw(&p->out, h->msg.p ? h->msg.p : "", h->msg.n));
			TRY(put_raw(&p->out, "\"", 1));
		} else {
			TRY(put_typed(p, p->f->key_type[K_MESSAGE], "message", h->msg.p ? h->msg.p : "",
			    h->msg.n));
		}
	}
	if (h->attrs.n) {
		TRY(put_key(p, "attrs", 5));
		TRY(put_raw(&p->out, h->attrs.p, h->attrs.n));
	}
	return 0;
}

/* Adds a part to stream's record; *done says a record is in p->out: the
 * one this part ended, or the one held before it when adding this part
 * would take it past MAX_RECORD (then this part starts the next record). */
static int
join_part(struct weir_parser *p, int stream, const char *time, size_t time_n, const char *msg,
    size_t msg_n, bool last, bool json, const struct weir_span *attrs, uint64_t lineno,
    uint64_t *first, bool *done)
{
	struct held *h = &p->held[stream];
	*done = false;
	if (h->on && !last && h->msg.n + msg_n > MAX_RECORD) {
		TRY(put_stream_record(p, h, stream));	/* what is held, as it stands */
		*first = h->first;
		h->on = false;
		*done = true;
	}
	if (!h->on) {
		if (time_n >= sizeof h->time)
			return no(p, "a time too long: '%.*s'", time, time_n);
		h->on = true;
		h->first = lineno;
		h->msg.n = 0;
		memcpy(h->time, time, time_n);
		h->time_len = time_n;
		h->msg_is_json = json;
		h->attrs.n = 0;
		if (attrs && attrs->p && weir_buf_add(&h->attrs, attrs->p, attrs->n) < 0)
			return -1;
	}
	if (msg_n && weir_buf_add(&h->msg, msg, msg_n) < 0)
		return -1;
	if (!last || *done)
		return 0;
	TRY(put_stream_record(p, h, stream));
	*first = h->first;
	h->on = false;
	*done = true;
	return 0;
}

/* A CRI line (containerd, CRI-O): TIME STREAM P|F MESSAGE; P parts join
 * the next F of the same stream. */
static int
parse_cri(struct weir_parser *p, const char *s, size_t n, uint64_t lineno, uint64_t *first,
    bool *done)
{
	const char *q = s, *e = s + n;
	const char *t = token_end(q, e);
	if (t == e || !date_time(q, (size_t)(t - q)))
		return no(p, "no CRI time at '%.*s'", q, (size_t)(e - q));
	const char *time = q;
	size_t time_n = (size_t)(t - q);
	q = t + 1;
	int stream;
	if (e - q > 7 && memcmp(q, "stdout ", 7) == 0)
		stream = 0;
	else if (e - q > 7 && memcmp(q, "stderr ", 7) == 0)
		stream = 1;
	else
		return no(p, "no CRI stream (stdout or stderr) at '%.*s'", q, (size_t)(e - q));
	q += 7;
	t = token_end(q, e);
	if (t == q || (*q != 'P' && *q != 'F') || (t - q > 1 && q[1] != ':'))
		return no(p, "no CRI tag (P or F) at '%.*s'", q, (size_t)(e - q));
	bool last = *q == 'F';
	q = t < e ? t + 1 : e;
	char quoted[70];
	quoted[0] = '"';
	memcpy(quoted + 1, time, time_n < 64 ? time_n : 64);
	quoted[(time_n < 64 ? time_n : 64) + 1] = '"';
	return join_part(p, stream, quoted, (time_n < 64 ? time_n : 64) + 2, q, (size_t)(e - q), last,
	    false, NULL, lineno, first, done);
}

/* Docker's json-file: {"log":"text\n","stream":"stdout","time":"..."};
 * a log without its closing \n is a part the next line of the stream
 * continues.  The message is the log's JSON text without the \n: no
 * decoding, so it is exactly what Docker wrote. */
static int
parse_docker(struct weir_parser *p, const char *s, size_t n, uint64_t lineno, uint64_t *first,
    bool *done)
{
	const char *why;
	if (weir_scan(p->f->docker_plan, s, n, p->spans, &why) < 0)
		return no(p, "not a Docker json-file line: %.*s", why, strlen(why));
	const struct weir_span *log = &p->spans[0], *stream = &p->spans[1], *time = &p->spans[2];
	if (!weir_span_is_string(log) || !weir_span_is_string(time))
		return no(p, "not a Docker json-file line (no \"log\" and \"time\" strings)%.*s", "", 0);
	int st = 0;
	if (stream->p) {
		if (stream->n == 8 && memcmp(stream->p, "\"stdout\"", 8) == 0)
			st = 0;
		else if (stream->n == 8 && memcmp(stream->p, "\"stderr\"", 8) == 0)
			st = 1;
		else
			return no(p, "a Docker stream that is not stdout or stderr: %.*s", stream->p, stream->n);
	}
	if (time->n < 3 || !date_time(time->p + 1, time->n - 2))
		return no(p, "a Docker time that is not RFC 3339: %.*s", time->p, time->n);
	const char *m = log->p + 1;
	size_t mn = log->n - 2;
	size_t slashes = 0;	/* an even count before "n" means \n is an escape */
	bool last = false;
	if (mn >= 2 && m[mn - 1] == 'n' && m[mn - 2] == '\\') {
		for (size_t i = mn - 2; i > 0 && m[i - 1] == '\\'; i--)
			slashes++;
		last = slashes % 2 == 0;
	}
	if (last)
		mn -= 2;
	if (time->n > 64)
		return no(p, "a time too long: %.*s", time->p, time->n);
	return join_part(p, st, time->p, time->n, m, mn, last, true, &p->spans[3], lineno, first,
	    done);
}

/* --- regex ------------------------------------------------------------------------- */

static int
parse_regex(struct weir_parser *p, const char *s, size_t n)
{
	const struct weir_format *f = p->f;
	int rc = f->jit ? pcre2_jit_match(f->re, (PCRE2_SPTR)s, n, 0, 0, p->md, NULL)
	    : pcre2_match(f->re, (PCRE2_SPTR)s, n, 0, 0, p->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return no(p, "the pattern does not match%.*s", "", 0);
	if (rc < 0) {
		PCRE2_UCHAR msg[120];
		pcre2_get_error_message(rc, msg, sizeof msg);
		return no(p, "the pattern failed: %.*s", (const char *)msg, strlen((char *)msg));
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
	for (int i = 0; i < f->ngroups; i++) {
		const struct group *g = &f->groups[i];
		if (room(&p->out, g->key_len + 1) < 0)
			return -1;
		p->out.p[p->out.n++] = p->members++ ? ',' : '{';
		put(&p->out, g->key, g->key_len);
		PCRE2_SIZE a = ov[2 * g->number], b = ov[2 * g->number + 1];
		if ((int)g->number >= rc || a == PCRE2_UNSET) {
			TRY(put_raw(&p->out, "null", 4));
			continue;
		}
		TRY(put_typed(p, g->type, g->key + 1, s + a, b - a));
	}
	return 0;
}

/* --- the parser -------------------------------------------------------------------- */

static int
parse_as(struct weir_parser *p, enum kind kind, const char *line, size_t len, uint64_t lineno,
    uint64_t *first, bool *done)
{
	start(p);
	*done = true;
	*first = lineno;
	switch (kind) {
	case F_COMBINED:
	case F_COMMON:
		return parse_clf(p, line, len, kind == F_COMBINED);
	case F_SYSLOG:
		return parse_syslog(p, line, len);
	case F_LOGFMT:
	case F_KV:
		return parse_kv(p, line, len, kind == F_LOGFMT);
	case F_CRI:
		return parse_cri(p, line, len, lineno, first, done);
	case F_DOCKER:
		return parse_docker(p, line, len, lineno, first, done);
	case F_REGEX:
		return parse_regex(p, line, len);
	default:
		return no(p, "no format%.*s", "", 0);
	}
}

/* --auto's test of a line against one preset: logfmt only when every word
 * is a pair (a sentence with one '=' in it is no logfmt). */
static bool
reads_as(struct weir_parser *p, enum kind kind, const char *line, size_t len)
{
	if (kind == F_LOGFMT) {
		for (const char *q = line, *e = line + len; q < e;) {
			const char *t = token_end(q, e);
			if (t > q && memchr(q, '=', (size_t)(t - q)) == NULL && *q != '"')
				return false;
			q = t + 1;
		}
	}
	uint64_t first;
	bool done;
	int rc = parse_as(p, kind, line, len, 0, &first, &done);
	p->held[0].on = p->held[1].on = false;	/* a trial holds nothing */
	return rc == 0;
}

int
weir_parser_line(struct weir_parser *p, const char *line, size_t len, uint64_t lineno,
    const char **out, size_t *n, uint64_t *first, const char **why)
{
	const struct weir_format *f = p->f;
	if (lineno == 1)
		weir_skip_bom(&line, &len);
	if (f->passthrough) {
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i < len && line[i] == '{') {
			*out = line;
			*n = len;
			*first = lineno;
			return WEIR_PARSE_RECORD;
		}
	}
	if (f->kind == F_AUTO && !p->chose) {
		for (size_t i = 0; i < sizeof auto_order / sizeof auto_order[0]; i++) {
			if (reads_as(p, auto_order[i], line, len)) {
				p->kind = auto_order[i];
				p->chose = true;
				snprintf(p->notice, sizeof p->notice, "--auto: the input reads as %s (line %llu)",
				    presets[p->kind], (unsigned long long)lineno);
				break;
			}
		}
		if (!p->chose) {
			snprintf(p->why, sizeof p->why, "no preset reads this line (--auto tries docker, "
			    "cri, combined, common, syslog, logfmt)");
			*why = p->why;
			return WEIR_PARSE_NO;
		}
	}
	bool done;
	int rc = parse_as(p, p->kind, line, len, lineno, first, &done);
	if (rc == -1)
		return WEIR_PARSE_NOMEM;
	if (rc != 0) {
		*why = p->why;
		return WEIR_PARSE_NO;
	}
	if (!done)
		return WEIR_PARSE_HELD;
	if (finish(p, line, len) < 0)
		return WEIR_PARSE_NOMEM;
	*out = p->out.p;
	*n = p->out.n;
	return WEIR_PARSE_RECORD;
}

int
weir_parser_end(struct weir_parser *p, const char **out, size_t *n, uint64_t *first)
{
	for (int i = 0; i < 2; i++) {
		struct held *h = &p->held[i];
		if (!h->on)
			continue;
		h->on = false;
		if (put_stream_record(p, h, i) < 0 || finish(p, "", 0) < 0)
			return WEIR_PARSE_NOMEM;
		*out = p->out.p;
		*n = p->out.n;
		*first = h->first;
		return WEIR_PARSE_RECORD;
	}
	return 0;
}

bool
weir_parser_holds(const struct weir_parser *p)
{
	return p->held[0].on || p->held[1].on;
}

const char *
weir_parser_notice(struct weir_parser *p)
{
	if (!p->chose || p->told || p->f->kind != F_AUTO)
		return NULL;
	p->told = true;
	return p->notice;
}

struct weir_parser *
weir_parser_new(const struct weir_format *f)
{
	struct weir_parser *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->f = f;
	p->kind = f->kind;
	if (f->re && (p->md = pcre2_match_data_create_from_pattern(f->re, NULL)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
weir_parser_free(struct weir_parser *p)
{
	if (p == NULL)
		return;
	pcre2_match_data_free(p->md);
	weir_buf_free(&p->out);
	weir_buf_free(&p->scratch);
	weir_buf_free(&p->inner_text);
	for (int i = 0; i < 2; i++) {
		weir_buf_free(&p->held[i].msg);
		weir_buf_free(&p->held[i].attrs);
	}
	free(p);
}

/* --- formats ----------------------------------------------------------------------- */

bool
weir_format_known(const char *name)
{
	for (int i = 0; presets[i]; i++)
		if (strcmp(name, presets[i]) == 0)
			return true;
	return strcmp(name, "regex") == 0 || strcmp(name, "auto") == 0;
}

static int
compile_regex(struct weir_format *f, const char *pattern, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	f->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES, &code, &off, NULL);
	if (f->re == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "invalid regular expression: %s (at %zu)", (char *)msg, (size_t)off);
		return -1;
	}
	f->jit = pcre2_jit_compile(f->re, PCRE2_JIT_COMPLETE) == 0;
	uint32_t count, entry;
	PCRE2_SPTR table;
	pcre2_pattern_info(f->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(f->re, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(f->re, PCRE2_INFO_NAMETABLE, &table);
	if (count == 0) {
		snprintf(err, errlen, "the pattern names no group: write (?<name>...) for each member");
		return -1;
	}
	if ((f->groups = calloc(count, sizeof *f->groups)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The name table is sorted by name; members go in the order of the
	 * groups in the pattern. */
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *e = table + i * entry;
		uint32_t number = (uint32_t)(e[0] << 8 | e[1]);
		const char *name = (const char *)e + 2;
		int at = f->ngroups;
		bool dup = false;
		for (int j = 0; j < f->ngroups; j++)
			dup |= strcmp(f->groups[j].key + 1, name) == 0 &&
			    f->groups[j].key[strlen(name) + 1] == '"';
		if (dup)
			continue;	/* (?J) names used twice: the first group of the name */
		while (at > 0 && f->groups[at - 1].number > number) {
			f->groups[at] = f->groups[at - 1];
			at--;
		}
		struct group *g = &f->groups[at];
		memset(g, 0, sizeof *g);
		g->number = number;
		g->type = T_STRING;
		if ((g->key = weir_json_key(name, strlen(name), &g->key_len)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		f->ngroups++;
	}
	return 0;
}

struct weir_format *
weir_format_new(const char *name, const char *pattern, char *err, size_t errlen)
{
	enum kind kind;
	int i;
	for (i = 0; presets[i]; i++)
		if (strcmp(name, presets[i]) == 0)
			break;
	if (presets[i])
		kind = (enum kind)i;
	else if (strcmp(name, "regex") == 0)
		kind = F_REGEX;
	else if (strcmp(name, "auto") == 0)
		kind = F_AUTO;
	else {
		snprintf(err, errlen, "unknown format '%s' (combined, common, syslog, logfmt, kv, cri, "
		    "docker, regex, csv, tsv)", name);
		return NULL;
	}
	struct weir_format *f = calloc(1, sizeof *f);
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->kind = kind;
	snprintf(f->name, sizeof f->name, "%s", name);
	for (int k = 0; k < NKEYS; k++) {
		f->key_type[k] = keys[k].type;
		f->key_json_len[k] = (unsigned char)snprintf(f->key_json[k], sizeof f->key_json[k],
		    ",\"%s\":", keys[k].name);
	}
	strcpy(f->kv_sep, "=");
	strcpy(f->pair_sep, " ");
	f->pair_space = true;
	if (kind == F_REGEX) {
		if (pattern == NULL) {
			snprintf(err, errlen, "regex needs a pattern: regex '(?<name>...)...'");
			weir_format_free(f);
			return NULL;
		}
		if (compile_regex(f, pattern, err, errlen) < 0) {
			weir_format_free(f);
			return NULL;
		}
	}
	if (kind == F_DOCKER || kind == F_AUTO) {
		f->docker_plan = weir_plan_new();
		if (f->docker_plan == NULL || weir_plan_add(f->docker_plan, "log") != 0 ||
		    weir_plan_add(f->docker_plan, "stream") != 1 || weir_plan_add(f->docker_plan, "time") != 2 ||
		    weir_plan_add(f->docker_plan, "attrs") != 3) {
			snprintf(err, errlen, "out of memory");
			weir_format_free(f);
			return NULL;
		}
	}
	return f;
}

void
weir_format_free(struct weir_format *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->ntypes; i++)
		free(f->types[i].name);
	for (int i = 0; i < f->ngroups; i++)
		free(f->groups[i].key);
	free(f->groups);
	pcre2_code_free(f->re);
	weir_plan_free(f->docker_plan);
	weir_plan_free(f->json_plan);
	weir_format_free(f->inner);
	weir_zone_free(f->zone);
	free(f);
}

int
weir_format_message(struct weir_format *f, const char *name, char *err, size_t errlen)
{
	if (f->kind != F_CRI && f->kind != F_DOCKER) {
		snprintf(err, errlen, "--message is for cri and docker (what their messages are)");
		return -1;
	}
	static const char *const allowed[] = {"json", "logfmt", "kv", "combined", "common", "syslog", NULL};
	int i = 0;
	while (allowed[i] && strcmp(allowed[i], name) != 0)
		i++;
	if (allowed[i] == NULL) {
		snprintf(err, errlen, "--message %s: a message is read as json, logfmt, kv, combined, "
		    "common or syslog", name);
		return -1;
	}
	weir_format_free(f->inner);
	if (i == 0) {
		if ((f->inner = calloc(1, sizeof *f->inner)) == NULL ||
		    (f->inner->json_plan = weir_plan_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		f->inner->kind = F_JSON;
		snprintf(f->inner->name, sizeof f->inner->name, "json");
		return 0;
	}
	f->inner = weir_format_new(name, NULL, err, errlen);
	return f->inner ? 0 : -1;
}

int
weir_format_zone(struct weir_format *f, const char *name, char *err, size_t errlen)
{
	if (f->kind != F_SYSLOG && f->kind != F_AUTO) {
		snprintf(err, errlen, "--tz is for syslog (RFC 3164 times have no zone)");
		return -1;
	}
	weir_zone_free(f->zone);
	f->zone = weir_zone_open(name, err, errlen);
	return f->zone ? 0 : -1;
}

struct weir_format *
weir_format_inner(struct weir_format *f)
{
	return f->inner;
}

static const enum key *
preset_keys(enum kind kind)
{
	switch (kind) {
	case F_COMBINED:
	case F_COMMON:
		return clf_keys;
	case F_SYSLOG:
		return syslog_keys;
	case F_CRI:
	case F_DOCKER:
		return stream_keys;
	default:
		return NULL;
	}
}

int
weir_format_types(struct weir_format *f, const char *spec, char *err, size_t errlen)
{
	const char *q = spec;
	while (*q) {
		const char *comma = strchr(q, ',');
		size_t n = comma ? (size_t)(comma - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		if (eq == NULL || eq == q) {
			snprintf(err, errlen, "--types: '%.*s' is not NAME=TYPE (int, float, bool, string, auto)",
			    (int)n, q);
			return -1;
		}
		size_t nn = (size_t)(eq - q), tn = n - nn - 1;
		enum type type;
		if (tn == 3 && memcmp(eq + 1, "int", 3) == 0)
			type = T_INT;
		else if (tn == 5 && memcmp(eq + 1, "float", 5) == 0)
			type = T_FLOAT;
		else if (tn == 4 && memcmp(eq + 1, "bool", 4) == 0)
			type = T_BOOL;
		else if (tn == 6 && memcmp(eq + 1, "string", 6) == 0)
			type = T_STRING;
		else if (tn == 4 && memcmp(eq + 1, "auto", 4) == 0)
			type = T_AUTO;
		else {
			snprintf(err, errlen, "--types: unknown type '%.*s' (int, float, bool, string, auto)",
			    (int)tn, eq + 1);
			return -1;
		}
		bool found = false;
		const enum key *ks = preset_keys(f->kind);
		if (nn == 4 && memcmp(q, "time", 4) == 0 && ks) {
			snprintf(err, errlen, "--types: %s writes time as RFC 3339; it has no other type",
			    f->name);
			return -1;
		}
		for (int i = 0; ks && ks[i] != NKEYS; i++)
			if (strlen(keys[ks[i]].name) == nn && memcmp(keys[ks[i]].name, q, nn) == 0) {
				f->key_type[ks[i]] = type;
				found = true;
			}
		for (int i = 0; i < f->ngroups; i++)
			if (f->groups[i].key_len == nn + 3 && memcmp(f->groups[i].key + 1, q, nn) == 0) {
				f->groups[i].type = type;
				found = true;
			}
		if (f->kind == F_KV || f->kind == F_LOGFMT || f->kind == F_AUTO) {
			if (f->ntypes == MAX_TYPES) {
				snprintf(err, errlen, "--types: at most %d names", MAX_TYPES);
				return -1;
			}
			if ((f->types[f->ntypes].name = strndup(q, nn)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			f->types[f->ntypes++].type = type;
			found = true;
		}
		if (!found) {
			char list[400] = "";
			size_t at = 0;
			for (int i = 0; ks && ks[i] != NKEYS && at < sizeof list - 40; i++)
				at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
				    keys[ks[i]].name);
			for (int i = 0; i < f->ngroups && at < sizeof list - 40; i++)
				at += (size_t)snprintf(list + at, sizeof list - at, "%s%.*s", i ? ", " : "",
				    (int)f->groups[i].key_len - 3, f->groups[i].key + 1);
			snprintf(err, errlen, "--types: %s has no member '%.*s' (it has %s)", f->name,
			    (int)nn, q, list);
			return -1;
		}
		q += n + (comma != NULL);
	}
	return 0;
}

int
weir_format_raw(struct weir_format *f, const char *name, char *err, size_t errlen)
{
	if (*name == '\0') {
		snprintf(err, errlen, "--raw needs a member name");
		return -1;
	}
	f->raw_name = name;
	return 0;
}

void
weir_format_passthrough(struct weir_format *f, bool on)
{
	f->passthrough = on;
}

void
weir_format_strings(struct weir_format *f, bool on)
{
	f->strings = on;
}

int
weir_format_kv_separators(struct weir_format *f, const char *kv, const char *pair, char *err,
    size_t errlen)
{
	if (kv) {
		if (*kv == '\0' || strlen(kv) >= sizeof f->kv_sep) {
			snprintf(err, errlen, "--kv-sep needs 1 to 7 bytes");
			return -1;
		}
		strcpy(f->kv_sep, kv);
	}
	if (pair) {
		if (*pair == '\0' || strlen(pair) >= sizeof f->pair_sep) {
			snprintf(err, errlen, "--pair-sep needs 1 to 7 bytes");
			return -1;
		}
		strcpy(f->pair_sep, pair);
		f->pair_space = strspn(pair, " \t") == strlen(pair);
	}
	if (strcmp(f->kv_sep, f->pair_sep) == 0) {
		snprintf(err, errlen, "--kv-sep and --pair-sep must differ");
		return -1;
	}
	return 0;
}
