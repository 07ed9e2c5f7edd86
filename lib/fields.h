/*
 * fields.h: a field plan and the validating single-pass scanner.
 *
 * A plan is compiled once from the options (time field, keys, aggregated
 * fields): a small trie of dotted paths.  weir_scan walks a line once,
 * checks that it is exactly one well-formed JSON object (RFC 8259: strict
 * numbers, escapes, UTF-8, no control characters in strings, nesting at most
 * WEIR_MAX_DEPTH) and records, for each path of the plan, the span of its
 * value as it appears in the line.  No tree is built and nothing is copied:
 * spans point into the caller's line and live as long as it does.
 *
 * Paths are dotted (`user.id`); `\.` is a literal dot inside a name.  When an
 * object repeats a key, the first occurrence is the one found.
 *
 * The plan owns its strings; weir_plan_free accepts NULL.
 */
#ifndef WEIR_FIELDS_H
#define WEIR_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEIR_MAX_DEPTH 1024
#define WEIR_MAX_PATH_SEGMENTS 32

struct weir_span {
	const char *p;		/* NULL when the field is absent */
	size_t n;		/* 0 when absent */
};

struct weir_plan;

struct weir_plan *weir_plan_new(void);
void weir_plan_free(struct weir_plan *plan);

/*
 * Adds a dotted path; returns its index (the slot in the spans array that
 * weir_scan fills), the existing index if the same path was added before, or
 * -1 if the path is malformed (empty, empty segment, trailing backslash) or
 * memory ran out.
 */
int weir_plan_add(struct weir_plan *plan, const char *dotted);

/* Number of slots a spans array for this plan needs. */
size_t weir_plan_size(const struct weir_plan *plan);

/*
 * Scans line[0..len).  Returns 0 when it is one JSON object (surrounding
 * white space allowed) and fills spans[0..weir_plan_size) (absent fields get
 * p == NULL); returns -1 with a static reason in *why otherwise.
 */
int weir_scan(const struct weir_plan *plan, const char *line, size_t len,
    struct weir_span *spans, const char **why);

/* weir_scan, and whether the line is clean (weir_line_is_clean), which the
 * scan finds out first: *clean is set whatever it returns. */
int weir_scan_clean(const struct weir_plan *plan, const char *line, size_t len,
    struct weir_span *spans, const char **why, bool *clean);

/* The shape of the line this thread scanned last with weir_scan_clean: not
 * 0 when the line was clean and its top-level keys were, in order and byte
 * for byte, those of every other line given the same number (on any
 * thread).  Lines of one log nearly always are; a program that reads the
 * names of many lines reads them once a shape.  0 says nothing. */
uint32_t weir_scan_shape(void);

/* Splits a comma-separated list of paths (`host,user.id`) into the plan;
 * stores up to max indexes in idx and returns how many, or -1. */
int weir_plan_add_list(struct weir_plan *plan, const char *list, int *idx, int max);

/* True when the span holds a JSON string (quotes included). */
static inline int
weir_span_is_string(const struct weir_span *s)
{
	return s->p != NULL && s->n >= 2 && s->p[0] == '"';
}

/*
 * Decodes a JSON string span (with its quotes) into out (capacity cap, NUL
 * terminated).  Returns the decoded length, or -1 if it does not fit or is
 * not a string.  The span must come from weir_scan (already validated).
 */
long weir_span_unescape(const struct weir_span *s, char *out, size_t cap);

/* Reads a JSON number span as a double; returns 0, or -1 if not a number. */
int weir_span_number(const struct weir_span *s, double *out);

/*
 * Calls fn for each top-level member of an object line that weir_scan has
 * accepted, in order, with the key (quotes included) and the value spans.
 * Stops early and returns what fn returns when that is nonzero.
 */
int weir_members(const char *line, size_t len,
    int (*fn)(void *arg, const struct weir_span *key, const struct weir_span *value),
    void *arg);

/* A top-level member: its key (quotes included) and its value. */
struct weir_member {
	struct weir_span key, value;
};

/* True when the line has no backslash, control or non-ASCII byte: its
 * strings end at the next quote, which the walks below take as known. */
bool weir_line_is_clean(const char *line, size_t len);

/*
 * The top-level members of an object line that weir_scan has accepted, in
 * order, into out[0..max); returns how many, or -1 when there are more than
 * max (or it is no object).  clean is weir_line_is_clean of the line when
 * the caller knows it (1 or 0), or -1.  weir_members without the calls.
 */
int weir_member_list(const char *line, size_t len, int clean, struct weir_member *out,
    size_t max);

/*
 * weir_member_list of a line whose shape (weir_scan_shape) is that of a
 * line listed before, whose n members had keys of key_len[0..n) bytes
 * (quotes included): the keys need not be looked for, only the values.
 * Returns n, or -1 when the line is not of that shape after all (then
 * weir_member_list it); never reads outside the line.
 */
int weir_member_list_shaped(const char *line, size_t len, const uint16_t *key_len, int n,
    struct weir_member *out);

/* A line's top-level members in an array that grows as lines need; owned
 * by whoever holds it (weir_members_free). */
struct weir_members {
	struct weir_member *v;
	size_t cap;
};

/* weir_member_list into list, grown as needed: the count, or -1 when the
 * line is not an object or memory ran out. */
int weir_members_of(struct weir_members *list, const char *line, size_t len, int clean);

/* Room for n members in list; -1 when memory ran out. */
int weir_members_reserve(struct weir_members *list, size_t n);
void weir_members_free(struct weir_members *list);

/* True when s[0..n) is exactly one JSON number. */
int weir_is_json_number(const char *s, size_t n);

#endif
