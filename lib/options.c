/*
 * options.c: getopt_long over the shared table and the program's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

enum {
	OPT_TIME = 't', OPT_TIME_FORMAT = 'T', OPT_INPUT_FORMAT = 'i',
	OPT_OUTPUT_FORMAT = 'o', OPT_UNBUFFERED = 'u', OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_PROCESSING_TIME = 256, OPT_LAG, OPT_IDLE, OPT_LATE, OPT_ON_ERROR,
	OPT_ERRORS, OPT_STATS, OPT_METRICS, OPT_TIME_OUTPUT, OPT_PUNCTUATE, OPT_STATE,
	OPT_MAX_AHEAD, OPT_WHERE, OPT_TOP, OPT_RANK_BY, OPT_DESC,
	OPT_OWN = 1000,
};

static const struct option shared[] = {
	{"errors", required_argument, NULL, OPT_ERRORS},
	{"help", no_argument, NULL, OPT_HELP},
	{"idle", required_argument, NULL, OPT_IDLE},
	{"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
	{"lag", required_argument, NULL, OPT_LAG},
	{"max-ahead", required_argument, NULL, OPT_MAX_AHEAD},
	{"late", required_argument, NULL, OPT_LATE},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"on-error", required_argument, NULL, OPT_ON_ERROR},
	{"output-format", required_argument, NULL, OPT_OUTPUT_FORMAT},
	{"processing-time", no_argument, NULL, OPT_PROCESSING_TIME},
	{"stats", no_argument, NULL, OPT_STATS},
	{"time", required_argument, NULL, OPT_TIME},
	{"time-format", required_argument, NULL, OPT_TIME_FORMAT},
	{"unbuffered", no_argument, NULL, OPT_UNBUFFERED},
	{"version", no_argument, NULL, OPT_VERSION},
	{"where", required_argument, NULL, OPT_WHERE},
};
#define NSHARED (sizeof shared / sizeof shared[0])

const char weir_options_help[] =
    "  -t, --time FIELD         event-time field (default: ts, @timestamp, timestamp, time)\n"
    "  -T, --time-format FMT    auto, rfc3339, epoch, epoch_ms, epoch_us, epoch_ns, or a %-pattern\n"
    "      --processing-time    use the wall clock at arrival as event time\n"
    "      --lag DUR            bounded out-of-orderness (default 0)\n"
    "      --idle DUR           advance the watermark after DUR of silence\n"
    "      --late POLICY        drop, pass, or a FILE late events are appended to\n"
    "      --max-ahead DUR      reject an event more than DUR ahead of the watermark\n"
    "      --where EXPR         only events for which EXPR (PostgreSQL's syntax) is true\n"
    "  -i, --input-format FMT   json (an object a line), json-text (any JSON), csv, tsv,\n"
    "                           or a log format: combined, common, syslog, logfmt, kv,\n"
    "                           cri, docker, auto, regex:PATTERN (see weir-parse(1))\n"
    "  -o, --output-format FMT  json, csv (one header) or csvlite (a header per key change)\n"
    "      --on-error POLICY    warn, skip or fail (exit 65) on a rejected line\n"
    "      --errors FILE        append rejected lines to FILE, byte for byte\n"
    "  -u, --unbuffered         flush after every line\n"
    "      --stats              counters as one JSON line on stderr at exit and on SIGUSR1\n"
    "      --metrics FILE       the counters in Prometheus text format, every second\n"
    "  -h, --help, -V, --version\n";

int
weir_option_duration(const char *name, const char *value, int64_t *ns, char *err,
    size_t errlen)
{
	if (weir_duration_parse(value, ns) == 0)
		return 0;
	snprintf(err, errlen,
	    "bad duration '%s' for --%s (expected e.g. 5s, 250ms, 1h30m, 1.5s)", value, name);
	return -1;
}

int
weir_option_count(const char *name, const char *value, unsigned long long min,
    unsigned long long max, size_t *n, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno || *end || end == value || *value == '-' || v < min || v > max) {
		snprintf(err, errlen, "bad count '%s' for --%s (expected a whole number from %llu "
		    "to %llu)", value, name, min, max);
		return -1;
	}
	*n = (size_t)v;
	return 0;
}

static int
format_arg(const char *name, const char *value, bool *csv, char *err, size_t errlen)
{
	if (strcmp(value, "json") == 0 || strcmp(value, "jsonl") == 0 ||
	    strcmp(value, "ndjson") == 0) {
		*csv = false;
		return 0;
	}
	if (strcmp(value, "csv") == 0) {
		*csv = true;
		return 0;
	}
	snprintf(err, errlen, "bad format '%s' for --%s (expected %s)", value, name,
	    strcmp(name, "input-format") == 0 ? "json, json-text, csv, tsv, a log format (combined, "
	    "common, syslog, logfmt, kv, cri, docker, auto) or regex:PATTERN" : "json, csv or csvlite");
	return -1;
}

static int
time_output_arg(const char *value, enum weir_repr *r, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum weir_repr repr;
	} names[] = {
		{"rfc3339", WEIR_REPR_RFC3339}, {"epoch", WEIR_REPR_EPOCH_S},
		{"epoch_s", WEIR_REPR_EPOCH_S}, {"epoch_ms", WEIR_REPR_EPOCH_MS},
		{"epoch_us", WEIR_REPR_EPOCH_US}, {"epoch_ns", WEIR_REPR_EPOCH_NS},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(value, names[i].name) == 0) {
			*r = names[i].repr;
			return 0;
		}
	snprintf(err, errlen, "bad format '%s' for --time-output "
	    "(expected rfc3339, epoch, epoch_ms, epoch_us or epoch_ns)", value);
	return -1;
}

static int
shared_option(struct weir_opts *o, int c, const char *v)
{
	char *err = o->error;
	size_t errlen = sizeof o->error;
	switch (c) {
	case OPT_TIME:
		if (*v == '\0') {
			snprintf(err, errlen, "--time needs a field name");
			return -1;
		}
		o->time_field = v;
		return 0;
	case OPT_TIME_FORMAT:
		weir_timefmt_free(&o->time_format);
		if (weir_timefmt_parse(&o->time_format, v) == 0)
			return 0;
		snprintf(err, errlen, "bad format '%s' for --time-format (expected auto, rfc3339, "
		    "epoch, epoch_ms, epoch_us, epoch_ns, or a pattern of the conversions "
		    "%%Y %%y %%m %%d %%e %%j %%H %%I %%M %%S %%f %%s %%z %%Z %%b %%B %%h %%a %%A %%p "
		    "%%T %%F %%R %%n %%t %%%%)", v);
		return -1;
	case OPT_PROCESSING_TIME:
		o->processing_time = true;
		return 0;
	case OPT_LAG:
		return weir_option_duration("lag", v, &o->lag, err, errlen);
	case OPT_TOP:
		return weir_option_count("top", v, 1, SIZE_MAX, &o->top, err, errlen);
	case OPT_RANK_BY:
		o->rank_by = v;
		return 0;
	case OPT_DESC:
		o->rank_desc = true;
		return 0;
	case OPT_WHERE:
		if (o->where) {
			snprintf(err, errlen, "--where is given once: join conditions with AND");
			return -1;
		}
		o->where = v;
		return 0;
	case OPT_MAX_AHEAD:
		if (weir_option_duration("max-ahead", v, &o->max_ahead, err, errlen) < 0)
			return -1;
		if (o->max_ahead == 0) {
			snprintf(err, errlen, "--max-ahead takes a duration above 0, not '%s'", v);
			return -1;
		}
		return 0;
	case OPT_IDLE:
		if (weir_option_duration("idle", v, &o->idle, err, errlen) < 0)
			return -1;
		if (o->idle < 1000000) {
			snprintf(err, errlen, "--idle '%s' is too short (at least 1ms)", v);
			return -1;
		}
		return 0;
	case OPT_PUNCTUATE:
		if (weir_option_duration("punctuate", v, &o->punctuate, err, errlen) < 0)
			return -1;
		if (o->punctuate <= 0) {
			snprintf(err, errlen, "--punctuate '%s' must be more than 0", v);
			return -1;
		}
		return 0;
	case OPT_LATE:
		o->late_given = true;
		if (strcmp(v, "drop") == 0) {
			o->late = WEIR_LATE_DROP;
		} else if (strcmp(v, "pass") == 0) {
			o->late = WEIR_LATE_PASS;
		} else if (*v == '\0') {
			snprintf(err, errlen, "--late needs drop, pass or a file name");
			return -1;
		} else {
			o->late = WEIR_LATE_FILE;
			o->late_file = v;
		}
		return 0;
	case OPT_INPUT_FORMAT:
		/* json (the default, also ndjson, jsonl): a line is an object,
		 * read at full speed; json-text: any JSON text (pretty-printed,
		 * an array, objects run together), split into values first */
		o->json_in = strcmp(v, "json-text") == 0;
		o->tsv_in = strcmp(v, "tsv") == 0;
		weir_format_free(o->format);
		o->format = NULL;
		if (o->json_in)
			return 0;
		if (o->tsv_in) {
			o->csv_in = true;
			return 0;
		}
		/* a log format (lib/parse.h): every line becomes an object */
		if ((weir_format_known(v) && strcmp(v, "regex") != 0) || strncmp(v, "regex:", 6) == 0) {
			bool re = strncmp(v, "regex:", 6) == 0;
			o->csv_in = false;
			o->format = weir_format_new(re ? "regex" : v, re ? v + 6 : NULL, err, errlen);
			return o->format ? 0 : -1;
		}
		return format_arg("input-format", v, &o->csv_in, err, errlen);
	case OPT_OUTPUT_FORMAT:
		/* csv: one header for the output; csvlite: a header block each
		 * time the keys change, as Miller's csvlite writes */
		o->csvlite = strcmp(v, "csvlite") == 0;
		if (o->csvlite) {
			o->csv_out = true;
			return 0;
		}
		return format_arg("output-format", v, &o->csv_out, err, errlen);
	case OPT_ON_ERROR:
		if (strcmp(v, "warn") == 0)
			o->on_error = WEIR_ON_ERROR_WARN;
		else if (strcmp(v, "skip") == 0)
			o->on_error = WEIR_ON_ERROR_SKIP;
		else if (strcmp(v, "fail") == 0)
			o->on_error = WEIR_ON_ERROR_FAIL;
		else {
			snprintf(err, errlen, "bad policy '%s' for --on-error (expected warn, skip or fail)", v);
			return -1;
		}
		return 0;
	case OPT_ERRORS:
		o->errors_file = v;
		return 0;
	case OPT_UNBUFFERED:
		o->unbuffered = true;
		return 0;
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_METRICS:
		o->metrics_file = v;
		return 0;
	case OPT_STATE:
		if (*v == '\0') {
			snprintf(err, errlen, "--state needs a file name");
			return -1;
		}
		o->state_file = v;
		return 0;
	case OPT_TIME_OUTPUT:
		return time_output_arg(v, &o->time_output, err, errlen);
	}
	return -1;
}

int
weir_options_parse(struct weir_opts *o, int argc, char **argv, int features,
    const struct weir_optdef *own, weir_optfn *fn, void *arg)
{
	size_t nown = 0;
	while (own && own[nown].name)
		nown++;
	struct option *longs = calloc(NSHARED + nown + 7, sizeof *longs);
	char shorts[128] = ":t:T:i:o:uhV";
	size_t ns = strlen(shorts);
	int rc = WEIR_OPTS_USAGE;
	if (longs == NULL) {
		snprintf(o->error, sizeof o->error, "out of memory");
		return WEIR_OPTS_USAGE;
	}
	memcpy(longs, shared, sizeof shared);
	size_t k = NSHARED;
	if (features & WEIR_FEATURE_PUNCTUATE)
		longs[k++] = (struct option){"punctuate", required_argument, NULL, OPT_PUNCTUATE};
	if (features & WEIR_FEATURE_TIME_OUTPUT)
		longs[k++] = (struct option){"time-output", required_argument, NULL, OPT_TIME_OUTPUT};
	if (features & WEIR_FEATURE_STATE)
		longs[k++] = (struct option){"state", required_argument, NULL, OPT_STATE};
	if (features & WEIR_FEATURE_TOP) {
		longs[k++] = (struct option){"top", required_argument, NULL, OPT_TOP};
		longs[k++] = (struct option){"rank-by", required_argument, NULL, OPT_RANK_BY};
		longs[k++] = (struct option){"desc", no_argument, NULL, OPT_DESC};
	}
	for (size_t i = 0; i < nown; i++) {
		longs[k++] = (struct option){own[i].name, own[i].has_arg == 2 ? optional_argument :
		    own[i].has_arg ? required_argument : no_argument, NULL, OPT_OWN + (int)i};
		if (own[i].short_name && ns + 3 < sizeof shorts) {
			shorts[ns++] = (char)own[i].short_name;
			if (own[i].has_arg)
				shorts[ns++] = ':';
			shorts[ns] = '\0';
		}
	}

	opterr = 0;
	optind = 1;
	for (;;) {
		int idx = -1;
		int c = getopt_long(argc, argv, shorts, longs, &idx);
		if (c == -1)
			break;
		if (c == OPT_HELP) {
			rc = WEIR_OPTS_HELP;
			goto out;
		}
		if (c == OPT_VERSION) {
			rc = WEIR_OPTS_VERSION;
			goto out;
		}
		if (c == '?') {
			if (optopt)
				snprintf(o->error, sizeof o->error, "unknown option '-%c'", optopt);
			else
				snprintf(o->error, sizeof o->error, "unknown option '%s'",
				    argv[optind - 1]);
			goto out;
		}
		if (c == ':') {
			snprintf(o->error, sizeof o->error, "option '%s' needs a value",
			    argv[optind - 1]);
			goto out;
		}
		int own_index = -1;
		if (c >= OPT_OWN)
			own_index = c - OPT_OWN;
		else
			for (size_t i = 0; i < nown; i++)
				if (own[i].short_name == c)
					own_index = (int)i;
		if (own_index >= 0) {
			if (fn(arg, own[own_index].id, optarg, o->error, sizeof o->error) < 0)
				goto out;
			continue;
		}
		if (shared_option(o, c, optarg) < 0)
			goto out;
	}
	if (o->processing_time && o->time_field) {
		snprintf(o->error, sizeof o->error,
		    "--processing-time and --time cannot be used together");
		goto out;
	}
	rc = optind;
out:
	free(longs);
	return rc;
}

void
weir_options_free(struct weir_opts *o)
{
	if (o == NULL)
		return;
	weir_timefmt_free(&o->time_format);
	weir_format_free(o->format);
	o->format = NULL;
}
