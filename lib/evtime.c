/*
 * evtime.c: parsing and formatting of event times and durations.
 *
 * The hot path is weir_time_from_json on an RFC 3339 string: fixed positions,
 * days-from-civil arithmetic, no timegm and no strptime.  Every parser
 * returns 0, -1 for text that is not a time, or -2 for a time outside the
 * int64 nanosecond range (1677-09-21 .. 2262-04-11).
 */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "evtime.h"

#define RANGE_ERROR (-2)

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t
weir_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
weir_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* secs * 1e9 + frac_ns into *t, or RANGE_ERROR: computed wide, since the
 * earliest instant has secs * 1e9 below INT64_MIN before frac is added. */
static int
to_ns(int64_t secs, int64_t frac_ns, int64_t *t)
{
	__int128 wide = (__int128)secs * WEIR_NS_PER_SEC + frac_ns;
	if (wide < INT64_MIN || wide > INT64_MAX)
		return RANGE_ERROR;
	*t = (int64_t)wide;
	return 0;
}

/* Combines broken-down UTC fields, an offset and nanoseconds into *t. */
static int
compose(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
    int64_t frac_ns, int64_t offset_s, int64_t *t)
{
	if (y < 1600 || y > 2400)	/* keeps the arithmetic below far from overflow */
		return RANGE_ERROR;
	int64_t secs = weir_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
	    - offset_s;
	return to_ns(secs, frac_ns, t);
}

static int
two_digits(const char *p, unsigned *v)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	*v = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
	return 0;
}

/* Reads up to 9 fraction digits after the point into ns; further digits are
 * checked and truncated.  Returns the number of characters consumed. */
static size_t
fraction(const char *p, const char *end, int64_t *ns)
{
	size_t i = 0;
	int64_t v = 0;
	while (p + i < end && is_digit(p[i])) {
		if (i < 9)
			v = v * 10 + (p[i] - '0');
		i++;
	}
	for (size_t k = i; k < 9; k++)
		v *= 10;
	*ns = v;
	return i;
}

/* Z, z, +HH:MM, +HHMM, +HH (or -).  Returns characters consumed, 0 if none, -1 if bad. */
static int
utc_offset(const char *p, const char *end, int64_t *offset_s)
{
	*offset_s = 0;
	if (p >= end)
		return 0;
	if (*p == 'Z' || *p == 'z')
		return 1;
	if (*p != '+' && *p != '-')
		return -1;
	int sign = *p == '-' ? -1 : 1;
	unsigned hh, mm = 0;
	int used = 3;
	if (end - p < 3 || two_digits(p + 1, &hh))
		return -1;
	if (end - p >= 6 && p[3] == ':') {
		if (two_digits(p + 4, &mm))
			return -1;
		used = 6;
	} else if (end - p >= 5 && is_digit(p[3])) {
		if (two_digits(p + 3, &mm))
			return -1;
		used = 5;
	}
	if (hh > 23 || mm > 59)
		return -1;
	*offset_s = sign * (int64_t)(hh * 3600 + mm * 60);
	return used;
}

/*
 * Consecutive events share their date, hour and minute, so the seconds of
 * "YYYY-MM-DDTHH:MM" are remembered per thread with the 16 bytes they came
 * from; the common case then reads only seconds, fraction and offset.
 */
static _Thread_local char minute_text[16];
static _Thread_local int64_t minute_secs;
static _Thread_local bool minute_valid;

static int parse_rfc3339_full(const char *s, size_t n, int64_t *t);

int
weir_time_parse_rfc3339(const char *s, size_t n, int64_t *t)
{
	if (n >= 20 && minute_valid && s[16] == ':' && memcmp(s, minute_text, 16) == 0) {
		unsigned sec;
		int64_t frac = 0, off = 0;
		const char *p = s + 19, *end = s + n;
		if (two_digits(s + 17, &sec) || sec > 60)
			return -1;
		if (p < end && (*p == '.' || *p == ',')) {
			size_t k = fraction(p + 1, end, &frac);
			if (k == 0)
				return -1;
			p += 1 + k;
		}
		int k = utc_offset(p, end, &off);
		if (k < 0 || p + k != end)
			return -1;
		return to_ns(minute_secs + sec - off, frac, t);
	}
	int rc = parse_rfc3339_full(s, n, t);
	if (rc == 0 && n >= 20 && s[16] == ':' && (s[10] == 'T' || s[10] == 't' || s[10] == ' ')) {
		unsigned h = 0, mi = 0;
		two_digits(s + 11, &h);
		two_digits(s + 14, &mi);
		unsigned y1 = 0, y2 = 0, mo = 1, d = 1;
		two_digits(s, &y1);
		two_digits(s + 2, &y2);
		two_digits(s + 5, &mo);
		two_digits(s + 8, &d);
		memcpy(minute_text, s, 16);
		minute_secs = weir_days_from_civil(y1 * 100 + y2, mo, d) * 86400 + h * 3600 + mi * 60;
		minute_valid = true;
	}
	return rc;
}

static int
parse_rfc3339_full(const char *s, size_t n, int64_t *t)
{
	const char *end = s + n;
	unsigned y1, y2, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0, off = 0;

	if (n < 10 || two_digits(s, &y1) || two_digits(s + 2, &y2) || s[4] != '-' ||
	    two_digits(s + 5, &mo) || s[7] != '-' || two_digits(s + 8, &d))
		return -1;
	int64_t y = y1 * 100 + y2;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	const char *p = s + 10;
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		if (end - p < 6 || two_digits(p + 1, &h) || p[3] != ':' ||
		    two_digits(p + 4, &mi))
			return -1;
		p += 6;
		if (p < end && *p == ':') {
			if (end - p < 3 || two_digits(p + 1, &sec))
				return -1;
			p += 3;
			if (p < end && (*p == '.' || *p == ',')) {
				size_t k = fraction(p + 1, end, &frac);
				if (k == 0)
					return -1;
				p += 1 + k;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		int k = utc_offset(p, end, &off);
		if (k < 0)
			return -1;
		p += k;
	}
	if (p != end)
		return -1;
	return compose(y, mo, d, h, mi, sec, frac, off, t);
}

/*
 * Exact decimal to nanoseconds: the digits D of the mantissa, with P of them
 * before the point, scaled by 10^(exponent + log10(unit)).  Digits below one
 * nanosecond are truncated toward negative infinity.
 */
int
weir_time_parse_epoch(const char *s, size_t n, int64_t unit_ns, int64_t *t)
{
	const char *p = s, *end = s + n;
	bool neg = false;
	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	int npoint = -1;	/* digits before the point */
	int ndigits = 0;	/* all digits, leading zeros included */
	int skipped = -1;	/* leading zeros: digits before the first nonzero */
	char digits[40];	/* significant digits; later ones are only checked */
	int kept = 0;
	bool lost_nonzero = false;
	for (; p < end; p++) {
		if (*p == '.') {
			if (npoint >= 0)
				return -1;
			npoint = ndigits;
			continue;
		}
		if (!is_digit(*p))
			break;
		if (skipped < 0 && *p != '0')
			skipped = ndigits;
		if (skipped >= 0) {
			if (kept < (int)sizeof digits)
				digits[kept++] = *p;
			else if (*p != '0')
				lost_nonzero = true;
		}
		ndigits++;
	}
	if (ndigits == 0)
		return -1;
	if (npoint < 0)
		npoint = ndigits;
	int64_t exp10 = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = false;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		if (p >= end || !is_digit(*p))
			return -1;
		for (; p < end && is_digit(*p); p++)
			if (exp10 < 100000)
				exp10 = exp10 * 10 + (*p - '0');
		if (eneg)
			exp10 = -exp10;
	}
	if (p != end)
		return -1;
	if (skipped < 0) {
		*t = 0;
		return 0;
	}
	int unit_digits = 0;
	for (int64_t u = unit_ns; u >= 10; u /= 10)
		unit_digits++;
	/* The first significant digit has weight 10^(q-1) nanoseconds, so q of
	 * the significant digits lie at or above one nanosecond. */
	int64_t q = (int64_t)npoint - skipped + exp10 + unit_digits;
	if (q > 20)
		return RANGE_ERROR;
	uint64_t acc = 0;
	bool below = lost_nonzero;
	for (int i = 0; i < kept; i++) {
		if (i < q) {
			if (__builtin_mul_overflow(acc, 10, &acc) ||
			    __builtin_add_overflow(acc, (uint64_t)(digits[i] - '0'), &acc))
				return RANGE_ERROR;
		} else if (digits[i] != '0') {
			below = true;
		}
	}
	for (int64_t i = kept; i < q; i++)
		if (__builtin_mul_overflow(acc, 10, &acc))
			return RANGE_ERROR;
	if (neg) {
		if (below)
			acc++;	/* floor toward negative infinity */
		if (acc > (uint64_t)INT64_MAX + 1)
			return RANGE_ERROR;
		*t = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return RANGE_ERROR;
		*t = (int64_t)acc;
	}
	return 0;
}

enum weir_repr
weir_time_guess_unit(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	while (p < end && *p == '0')
		p++;
	int nint = 0;
	while (p < end && is_digit(*p)) {
		nint++;
		p++;
	}
	while (p < end && (is_digit(*p) || *p == '.'))
		p++;
	int64_t e = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool neg = false;
		if (p < end && (*p == '-' || *p == '+'))
			neg = *p++ == '-';
		for (; p < end && is_digit(*p); p++)
			if (e < 1000)
				e = e * 10 + (*p - '0');
		if (neg)
			e = -e;
	}
	int64_t mag = nint + e;	/* the value is below 10^mag */
	if (mag <= 11)
		return WEIR_REPR_EPOCH_S;
	if (mag <= 14)
		return WEIR_REPR_EPOCH_MS;
	if (mag <= 17)
		return WEIR_REPR_EPOCH_US;
	return WEIR_REPR_EPOCH_NS;
}

static int64_t
repr_unit(enum weir_repr r)
{
	switch (r) {
	case WEIR_REPR_EPOCH_MS:
		return 1000000;
	case WEIR_REPR_EPOCH_US:
		return 1000;
	case WEIR_REPR_EPOCH_NS:
		return 1;
	default:
		return WEIR_NS_PER_SEC;
	}
}

static bool
numeric_text(const char *s, size_t n)
{
	if (n == 0)
		return false;
	size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!is_digit(s[i]) && s[i] != '.' && s[i] != 'e' && s[i] != 'E' &&
		    s[i] != '-' && s[i] != '+')
			return false;
	return true;
}

int
weir_timefmt_parse(struct weir_timefmt *tf, const char *spec)
{
	static const struct {
		const char *name;
		enum weir_timefmt_kind kind;
	} names[] = {
		{"auto", WEIR_TF_AUTO}, {"rfc3339", WEIR_TF_RFC3339},
		{"iso8601", WEIR_TF_RFC3339}, {"epoch", WEIR_TF_EPOCH_S},
		{"epoch_s", WEIR_TF_EPOCH_S}, {"epoch_ms", WEIR_TF_EPOCH_MS},
		{"epoch_us", WEIR_TF_EPOCH_US}, {"epoch_ns", WEIR_TF_EPOCH_NS},
	};
	tf->pattern = NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(spec, names[i].name) == 0) {
			tf->kind = names[i].kind;
			return 0;
		}
	if (strchr(spec, '%') == NULL)
		return -1;
	/* every conversion one that weir_time_parse_pattern reads */
	for (const char *p = strchr(spec, '%'); p != NULL; p = strchr(p + 2, '%'))
		if (p[1] == '\0' || strchr("YymdejHIMSfszZbBhaApTFRnt%", p[1]) == NULL)
			return -1;
	tf->kind = WEIR_TF_PATTERN;
	tf->pattern = strdup(spec);
	return tf->pattern ? 0 : -1;
}

void
weir_timefmt_free(struct weir_timefmt *tf)
{
	if (tf == NULL)
		return;
	free(tf->pattern);
	tf->pattern = NULL;
}

/* Undoes the JSON escapes a time string may carry (\/ and \u00XX ASCII). */
static int
unescape_small(const char *s, size_t n, char *out, size_t cap, size_t *outn)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= cap)
			return -1;
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '/': case '\\': case '"':
			out[o++] = s[i];
			break;
		case 'u': {
			if (n - i < 5)
				return -1;
			unsigned v = 0;
			for (int k = 1; k <= 4; k++) {
				char c = s[i + k];
				v <<= 4;
				if (is_digit(c))
					v |= (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					v |= (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					v |= (unsigned)(c - 'A' + 10);
				else
					return -1;
			}
			if (v >= 0x80)
				return -1;
			out[o++] = (char)v;
			i += 4;
			break;
		}
		default:
			return -1;
		}
	}
	*outn = o;
	return 0;
}

int
weir_time_from_json(const struct weir_timefmt *tf, const char *v, size_t n,
    int64_t *t, enum weir_repr *repr, const char **why)
{
	enum weir_repr r = WEIR_REPR_RFC3339;
	const char *s = v;
	size_t len = n;
	bool is_string = n >= 2 && v[0] == '"';
	char buf[128];
	int rc;

	if (is_string && tf->kind <= WEIR_TF_RFC3339 && n >= 12 && v[5] == '-' &&
	    weir_time_parse_rfc3339(v + 1, n - 2, t) == 0) {
		/* the common case first: RFC 3339 text with no escapes */
		if (repr)
			*repr = WEIR_REPR_RFC3339;
		return 0;
	}
	if (is_string) {
		s = v + 1;
		len = n - 2;
		if (memchr(s, '\\', len) != NULL) {
			if (unescape_small(s, len, buf, sizeof buf, &len) < 0) {
				*why = "unparseable time";
				return -1;
			}
			s = buf;
		}
	} else if (n == 0 || !(is_digit(v[0]) || v[0] == '-')) {
		*why = "time is not a string or a number";
		return -1;
	}

	switch (tf->kind) {
	case WEIR_TF_AUTO:
		if (!is_string || numeric_text(s, len)) {
			r = weir_time_guess_unit(s, len);
			rc = weir_time_parse_epoch(s, len, repr_unit(r), t);
		} else {
			rc = weir_time_parse_rfc3339(s, len, t);
		}
		break;
	case WEIR_TF_RFC3339:
		rc = is_string ? weir_time_parse_rfc3339(s, len, t) : -1;
		break;
	case WEIR_TF_EPOCH_S:
	case WEIR_TF_EPOCH_MS:
	case WEIR_TF_EPOCH_US:
	case WEIR_TF_EPOCH_NS:
		r = (enum weir_repr)(WEIR_REPR_EPOCH_S + (tf->kind - WEIR_TF_EPOCH_S));
		rc = weir_time_parse_epoch(s, len, repr_unit(r), t);
		break;
	case WEIR_TF_PATTERN:
	default:
		rc = weir_time_parse_pattern(tf->pattern, s, len, t);
		break;
	}
	if (rc == RANGE_ERROR) {
		*why = "time out of range (1677-09-21T00:12:43Z..2262-04-11T23:47:16Z)";
		return -1;
	}
	if (rc < 0) {
		*why = "unparseable time";
		return -1;
	}
	if (repr)
		*repr = r;
	return 0;
}

/* --- strptime-style patterns ------------------------------------------- */

static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};
static const char *const day_names[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

/* Reads 1..maxd digits (after optional spaces when pad_space). */
static int
read_number(const char **pp, const char *end, int maxd, bool allow_sign, int64_t *v)
{
	const char *p = *pp;
	bool neg = false;
	if (allow_sign && p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	int64_t x = 0;
	int k = 0;
	while (p < end && k < maxd && is_digit(*p)) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;	/* no field of a time is this large */
		x = x * 10 + (*p++ - '0');
		k++;
	}
	if (k == 0)
		return -1;
	*v = neg ? -x : x;
	*pp = p;
	return 0;
}

/* Matches a full or three-letter name from names[], case-insensitively. */
static int
read_name(const char **pp, const char *end, const char *const *names, int count)
{
	for (int i = 0; i < count; i++) {
		size_t full = strlen(names[i]);
		if ((size_t)(end - *pp) >= full && strncasecmp(*pp, names[i], full) == 0) {
			*pp += full;
			return i;
		}
	}
	for (int i = 0; i < count; i++)
		if (end - *pp >= 3 && strncasecmp(*pp, names[i], 3) == 0) {
			*pp += 3;
			return i;
		}
	return -1;
}

/*
 * A date without a year (syslog's `Dec  3 10:00:01`, RFC 3164) takes the
 * latest year that puts it no more than a month past the wall clock, as
 * rsyslog and Logstash do: a log is of the past, with some clock skew; in
 * January, December is last year's.  This reads the wall clock, so the
 * same line can read as another year a year later.
 */
static int
yearless(int64_t mon, int64_t day, int64_t hour, int64_t min, int64_t sec, int64_t frac,
    int64_t off, int64_t *t)
{
	time_t now_s = time(NULL);
	int64_t now_y;
	unsigned now_m, now_d;
	weir_civil_from_days(weir_floor_div((int64_t)now_s, 86400), &now_y, &now_m, &now_d);
	int64_t until = ((int64_t)now_s + 31 * 86400) * WEIR_NS_PER_SEC;
	for (int64_t y = now_y + 1; y >= now_y - 4; y--) {	/* 29 February: four back */
		int64_t c;
		if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(y, (unsigned)mon) ||
		    hour > 23 || min > 59 || sec > 60 ||
		    compose(y, (unsigned)mon, (unsigned)day, (unsigned)hour, (unsigned)min,
		    (unsigned)sec, frac, off, &c) != 0 || c > until)
			continue;
		*t = c;
		return 0;
	}
	return -1;
}

int
weir_time_parse_pattern(const char *pat, const char *s, size_t n, int64_t *t)
{
	const char *p = s, *end = s + n;
	int64_t year = 1970, mon = 1, day = 1, hour = 0, min = 0, sec = 0, yday = -1;
	int64_t frac = 0, off = 0, epoch = 0, v;
	bool have_epoch = false, pm = false, have_ampm = false;
	bool have_year = false, have_mon = false;

	for (; *pat; pat++) {
		if (*pat == ' ' || *pat == '\t' || *pat == '\n') {
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			continue;
		}
		if (*pat != '%') {
			if (p >= end || *p != *pat)
				return -1;
			p++;
			continue;
		}
		pat++;
		switch (*pat) {
		case 'Y':
			if (read_number(&p, end, 4, true, &year))
				return -1;
			have_year = true;
			break;
		case 'y':
			if (read_number(&p, end, 2, false, &v))
				return -1;
			year = v < 69 ? 2000 + v : 1900 + v;
			have_year = true;
			break;
		case 'm':
			if (read_number(&p, end, 2, false, &mon))
				return -1;
			have_mon = true;
			break;
		case 'd':
		case 'e':
			while (p < end && *p == ' ')
				p++;
			if (read_number(&p, end, 2, false, &day))
				return -1;
			break;
		case 'j':
			if (read_number(&p, end, 3, false, &yday) || yday < 1 || yday > 366)
				return -1;
			break;
		case 'H':
		case 'I':
			while (p < end && *p == ' ')
				p++;
			if (read_number(&p, end, 2, false, &hour))
				return -1;
			break;
		case 'M':
			if (read_number(&p, end, 2, false, &min))
				return -1;
			break;
		case 'S':
			if (read_number(&p, end, 2, false, &sec))
				return -1;
			break;
		case 'f': {
			size_t k = fraction(p, end, &frac);
			if (k == 0)
				return -1;
			p += k;
			break;
		}
		case 's':
			if (read_number(&p, end, 19, true, &epoch))
				return -1;
			have_epoch = true;
			break;
		case 'z': {
			int k = utc_offset(p, end, &off);
			if (k <= 0)
				return -1;
			p += k;
			break;
		}
		case 'Z':
			if (end - p >= 3 && (strncasecmp(p, "UTC", 3) == 0 ||
			    strncasecmp(p, "GMT", 3) == 0))
				p += 3;
			else if (p < end && (*p == 'Z' || *p == 'z'))
				p++;
			else
				return -1;
			break;
		case 'b':
		case 'B':
		case 'h': {
			int i = read_name(&p, end, month_names, 12);
			if (i < 0)
				return -1;
			mon = i + 1;
			have_mon = true;
			break;
		}
		case 'a':
		case 'A':
			if (read_name(&p, end, day_names, 7) < 0)
				return -1;
			break;
		case 'p':
			if (end - p >= 2 && strncasecmp(p, "AM", 2) == 0)
				pm = false;
			else if (end - p >= 2 && strncasecmp(p, "PM", 2) == 0)
				pm = true;
			else
				return -1;
			have_ampm = true;
			p += 2;
			break;
		case 'T':
			if (read_number(&p, end, 2, false, &hour) || p >= end || *p++ != ':' ||
			    read_number(&p, end, 2, false, &min) || p >= end || *p++ != ':' ||
			    read_number(&p, end, 2, false, &sec))
				return -1;
			break;
		case 'F':
			if (read_number(&p, end, 4, true, &year) || p >= end || *p++ != '-' ||
			    read_number(&p, end, 2, false, &mon) || p >= end || *p++ != '-' ||
			    read_number(&p, end, 2, false, &day))
				return -1;
			have_year = true;
			break;
		case 'R':
			if (read_number(&p, end, 2, false, &hour) || p >= end || *p++ != ':' ||
			    read_number(&p, end, 2, false, &min))
				return -1;
			break;
		case 'n':
		case 't':
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			break;
		case '%':
			if (p >= end || *p++ != '%')
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (p != end)
		return -1;
	if (have_epoch)
		return to_ns(epoch, epoch < 0 ? -frac : frac, t);
	if (have_ampm) {
		if (hour < 1 || hour > 12)
			return -1;
		hour = hour % 12 + (pm ? 12 : 0);
	}
	if (year < 0 || year > 9999)
		return RANGE_ERROR;
	if (yday > 0) {
		if (yday > (is_leap(year) ? 366 : 365))
			return -1;
		int64_t days = weir_days_from_civil(year, 1, 1) + yday - 1;
		int64_t y2;
		unsigned m2, d2;
		weir_civil_from_days(days, &y2, &m2, &d2);
		mon = m2;
		day = d2;
	}
	if (have_mon && !have_year && yday < 0)
		return yearless(mon, day, hour, min, sec, frac, off, t);
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, (unsigned)mon) ||
	    hour > 23 || min > 59 || sec > 60)
		return -1;
	return compose(year, (unsigned)mon, (unsigned)day, (unsigned)hour,
	    (unsigned)min, (unsigned)sec, frac, off, t);
}

/* --- formatting ------------------------------------------------------------ */

static char *
put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

size_t
weir_time_format_rfc3339(int64_t t, char *buf)
{
	int64_t secs = t / WEIR_NS_PER_SEC, ns = t % WEIR_NS_PER_SEC;
	if (ns < 0) {	/* floor, without the overflow of secs * 1e9 at INT64_MIN */
		ns += WEIR_NS_PER_SEC;
		secs--;
	}
	int64_t days = weir_floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	weir_civil_from_days(days, &y, &m, &d);
	char *p = buf;
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod % 60), 2);
	if (ns != 0) {
		int width = 9;
		while (ns % 10 == 0) {
			ns /= 10;
			width--;
		}
		*p++ = '.';
		p = put_digits(p, (unsigned)ns, width);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
weir_time_format_json(int64_t t, enum weir_repr repr, char *buf)
{
	if (repr == WEIR_REPR_RFC3339 || repr == WEIR_REPR_NONE) {
		buf[0] = '"';
		size_t n = weir_time_format_rfc3339(t, buf + 1);
		buf[n + 1] = '"';
		buf[n + 2] = '\0';
		return n + 2;
	}
	int64_t unit = repr_unit(repr);
	bool neg = t < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
	uint64_t whole = u / (uint64_t)unit, rest = u % (uint64_t)unit;
	char tmp[32];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	char *p = buf;
	if (neg)
		*p++ = '-';
	while (k)
		*p++ = tmp[--k];
	if (rest) {
		int width = 0;
		for (int64_t x = unit; x > 1; x /= 10)
			width++;
		while (rest % 10 == 0) {
			rest /= 10;
			width--;
		}
		*p++ = '.';
		p = put_digits(p, (unsigned)rest, width);
	}
	*p = '\0';
	return (size_t)(p - buf);
}

/* --- durations ------------------------------------------------------------- */

int
weir_duration_parse(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"ms", 1000000},
		{"s", WEIR_NS_PER_SEC}, {"m", 60 * WEIR_NS_PER_SEC},
		{"h", 3600 * WEIR_NS_PER_SEC}, {"d", 86400 * WEIR_NS_PER_SEC},
	};
	const char *p = s;
	int64_t total = 0;
	int parts = 0;

	if (*p == '\0')
		return -1;
	while (*p) {
		const char *num = p;
		while (is_digit(*p) || *p == '.')
			p++;
		if (p == num)
			return -1;
		size_t numlen = (size_t)(p - num);
		const char *unit = p;
		while (*p && !is_digit(*p) && *p != '.')
			p++;
		size_t unitlen = (size_t)(p - unit);
		int64_t scale = -1;
		if (unitlen == 0) {
			if (parts > 0 || *p)
				return -1;	/* a bare number stands alone */
			scale = WEIR_NS_PER_SEC;
		}
		for (size_t i = 0; scale < 0 && i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].name) == unitlen &&
			    memcmp(units[i].name, unit, unitlen) == 0)
				scale = units[i].ns;
		if (scale < 0)
			return -1;
		/* read as if seconds (exact to 1 ns), then rescale: units such as
		 * minutes are not powers of ten */
		int64_t as_seconds;
		if (weir_time_parse_epoch(num, numlen, WEIR_NS_PER_SEC, &as_seconds) != 0)
			return -1;
		__int128 wide = (__int128)as_seconds * scale / WEIR_NS_PER_SEC;
		if (wide > INT64_MAX)
			return -1;
		int64_t part = (int64_t)wide;
		if (__builtin_add_overflow(total, part, &total))
			return -1;
		parts++;
	}
	*out = total;
	return 0;
}

void
weir_duration_format_up(int64_t ns, char *buf, size_t size)
{
	long long ms = ns <= 0 ? 0 : (long long)((ns - 1) / 1000000 + 1);
	if (ms <= 0)
		snprintf(buf, size, "0s");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", ms);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", ms / 1000);
	else {
		snprintf(buf, size, "%lld.%03llds", ms / 1000, ms % 1000);
		size_t n = strlen(buf);	/* trim zeros: 4.870s -> 4.87s */
		while (buf[n - 2] == '0') {
			buf[n - 2] = 's';
			buf[--n] = '\0';
		}
	}
}
