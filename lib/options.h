/*
 * options.h: the options every weir program shares (SPEC §2), parsed in one
 * place, plus a table of a program's own options.
 *
 * weir_options_parse never prints and never exits: a usage error comes back
 * as -1 with a message in opts->error that names the option and its right
 * form; the program prints it and exits 2.  Strings in weir_opts point into
 * argv (not copied) except the time format and the log format, released by
 * weir_options_free.
 */
#ifndef WEIR_OPTIONS_H
#define WEIR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "evtime.h"
#include "parse.h"

enum weir_late_policy { WEIR_LATE_DROP, WEIR_LATE_PASS, WEIR_LATE_FILE };
enum weir_error_policy { WEIR_ON_ERROR_WARN, WEIR_ON_ERROR_SKIP, WEIR_ON_ERROR_FAIL };

struct weir_opts {
	const char *time_field;		/* NULL: ts, @timestamp, timestamp, time */
	struct weir_timefmt time_format;
	bool processing_time;
	int64_t lag;
	int64_t idle;			/* 0: off */
	int64_t max_ahead;		/* --max-ahead: 0 off */
	enum weir_late_policy late;
	bool late_given;		/* --late was on the command line */
	const char *late_file;
	bool csv_in, csv_out;
	bool csvlite;			/* -o csvlite: a header block per change of keys */
	bool json_in;			/* -i json-text: any JSON text, not an object a line */
	bool tsv_in;			/* -i tsv: csv_in, separated by tabs */
	struct weir_format *format;	/* -i combined, logfmt...: owned (lib/parse.h) */
	enum weir_error_policy on_error;
	const char *errors_file;
	bool unbuffered;
	bool stats;
	const char *metrics_file;
	enum weir_repr time_output;	/* WEIR_REPR_NONE: as the input */
	int64_t punctuate;		/* 0: off; only where the program allows it */
	const char *state_file;		/* --state: only where the program keeps state */
	const char *where;		/* --where EXPR: NULL, or the expression's text */
	size_t top;			/* --top N: 0 off; only where the program allows it */
	const char *rank_by;		/* --rank-by NAME */
	bool rank_desc;			/* --desc */
	char error[256];
};

/* What weir_options_parse found besides options. */
enum { WEIR_OPTS_USAGE = -1, WEIR_OPTS_HELP = -2, WEIR_OPTS_VERSION = -3 };

/* One option of a program's own.  has_arg: 0 none, 1 required, 2 optional
 * (--name=VALUE only; the callback gets NULL without it). */
struct weir_optdef {
	const char *name;	/* long name, without dashes */
	int short_name;		/* 0 if none */
	int has_arg;
	int id;			/* passed to the callback; below 256 */
	const char *form;	/* the right form, for messages: "N", "DUR" */
};

/* Called for each of the program's own options; returns 0 or -1 after
 * writing a message into err (size errlen). */
typedef int weir_optfn(void *arg, int id, const char *value, char *err, size_t errlen);

/* Program features that enable shared options only some programs take. */
#define WEIR_FEATURE_PUNCTUATE 1
#define WEIR_FEATURE_TIME_OUTPUT 2
#define WEIR_FEATURE_STATE 4
#define WEIR_FEATURE_TOP 8		/* --top N --rank-by NAME [--desc] (weir_top) */

/*
 * Parses argv.  Returns the index of the first operand, or WEIR_OPTS_USAGE,
 * WEIR_OPTS_HELP, WEIR_OPTS_VERSION.
 */
int weir_options_parse(struct weir_opts *o, int argc, char **argv, int features,
    const struct weir_optdef *own, weir_optfn *fn, void *arg);

void weir_options_free(struct weir_opts *o);

/* Parses a duration argument for option `name` into *ns; on failure writes
 * the usage message into err and returns -1. */
int weir_option_duration(const char *name, const char *value, int64_t *ns,
    char *err, size_t errlen);

/* Parses a whole number from min to max for option `name` into *n; on
 * failure writes the usage message into err and returns -1. */
int weir_option_count(const char *name, const char *value, unsigned long long min,
    unsigned long long max, size_t *n, char *err, size_t errlen);

/* The usage lines of the shared options, for a program's --help. */
extern const char weir_options_help[];

#endif
