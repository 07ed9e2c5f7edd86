/*
 * parse.h: log lines that are not JSON, turned into JSON objects.
 *
 *   raw line ──► weir_parser_line ──► one JSON object line
 *                       │                 (or: held, the start of a record
 *                       │                  continued on later lines: CRI's
 *                       │                  and Docker's partial lines)
 *                       └──► no match: the line is rejected, with why
 *
 * A format (a preset, or a PCRE2 pattern with named groups) is built once
 * from the options and only read afterwards; each input gets a parser of
 * its own from it, which holds that input's partial records.  The presets
 * are written by hand over the bytes (no regular expression, no copy of
 * the line but the JSON written); `regex` runs PCRE2 with its JIT.
 *
 * Ownership: weir_format_free and weir_parser_free accept NULL; a parser
 * borrows its format, which must outlive it.  A record handed out points
 * into the parser and is valid until its next call.
 */
#ifndef WEIR_PARSE_H
#define WEIR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct weir_format;
struct weir_parser;

/* Is name a preset (or `regex`, or `auto`)? */
bool weir_format_known(const char *name);

/*
 * A format by name: a preset, `regex` (pattern needed: PCRE2 with named
 * groups), or `auto` (each input's first line that some preset reads
 * chooses the preset).  NULL with a message in err (pattern errors give
 * the offset).
 */
struct weir_format *weir_format_new(const char *name, const char *pattern, char *err,
    size_t errlen);
void weir_format_free(struct weir_format *f);

/*
 * Settings, before the first parser is made; each returns 0 or -1 with a
 * message in err.
 *   types: NAME=TYPE,... with TYPE int, float, bool, string or auto (a
 *     JSON number when the text is one, else a string); `-` and an empty
 *     text become null for every type but string; a text that is not of
 *     its type rejects the line.
 *   raw: the name of a member that keeps the whole line, as a string
 *     (borrowed: it must outlive the format).
 *   passthrough: a line that starts with `{` passes as it came.
 *   strings: kv and logfmt values stay strings (no number is guessed).
 *   kv separators: between key and value (default "="), between pairs
 *     (default " ": any run of spaces and tabs).
 */
int weir_format_types(struct weir_format *f, const char *spec, char *err, size_t errlen);
int weir_format_raw(struct weir_format *f, const char *name, char *err, size_t errlen);
void weir_format_passthrough(struct weir_format *f, bool on);
void weir_format_strings(struct weir_format *f, bool on);
int weir_format_kv_separators(struct weir_format *f, const char *kv, const char *pair,
    char *err, size_t errlen);

/*
 * cri and docker: each message read as json (its members), logfmt, kv,
 * combined, common or syslog, its members written in place of `message`;
 * a message of another shape stays `message`.  weir_format_inner is that
 * format (for its own settings: types, separators), or NULL.
 */
int weir_format_message(struct weir_format *f, const char *name, char *err, size_t errlen);

/* syslog: RFC 3164 times (no zone) are local times of the zone `name`
 * (an IANA name), written with its offset; without, they are UTC. */
int weir_format_zone(struct weir_format *f, const char *name, char *err, size_t errlen);
struct weir_format *weir_format_inner(struct weir_format *f);

struct weir_parser *weir_parser_new(const struct weir_format *f);
void weir_parser_free(struct weir_parser *p);

enum {
	WEIR_PARSE_RECORD = 1,	/* a JSON object in *out */
	WEIR_PARSE_HELD = 0,	/* taken into a record that later lines end */
	WEIR_PARSE_NO = -1,	/* not of the format: *why says what failed */
	WEIR_PARSE_NOMEM = -2,
};

/*
 * One raw line (no newline) with its line number.  On a record, *out and
 * *n are the JSON object and *first the number of its first line (a
 * joined record's first part).  Passed-through JSON is handed out as the
 * line itself.
 */
int weir_parser_line(struct weir_parser *p, const char *line, size_t len, uint64_t lineno,
    const char **out, size_t *n, uint64_t *first, const char **why);

/* End of input: hands out a record whose last part never came (one call
 * each; 0 when none is left).  Such a record is written as it stands. */
int weir_parser_end(struct weir_parser *p, const char **out, size_t *n, uint64_t *first);

/* Whether a partial record is held (what a restart must read again). */
bool weir_parser_holds(const struct weir_parser *p);

/* With `auto`: a line that says which preset was chosen, handed out once,
 * the first time it is asked after the choice (NULL otherwise). */
const char *weir_parser_notice(struct weir_parser *p);

#endif
