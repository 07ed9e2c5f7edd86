/*
 * weir-parse: logs that are not JSON, turned into NDJSON.
 *
 *   raw lines ──► lib/parse (the input's parser) ──► the driver ──► JSON lines
 *                     │
 *                     └──► a line the format does not read: rejected,
 *                          byte for byte to --errors, counted
 *
 * The parsing is the input layer's (lib/io with lib/parse), the same that
 * `-i combined` gives every other program: weir-parse is that input with
 * nothing after it but --where.  Events need no time field; the presets
 * write theirs as RFC 3339 in `time`, which the next program finds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/driver.h"
#include "../lib/expr.h"
#include "../lib/parse.h"
#include "../lib/program.h"

struct parse {
	bool automatic, passthrough, strings;
	const char *types, *raw, *kv_sep, *pair_sep, *message, *tz;
};

enum {
	OPT_AUTO = 1, OPT_TYPES, OPT_RAW, OPT_PASSTHROUGH, OPT_STRINGS, OPT_KV_SEP, OPT_PAIR_SEP,
	OPT_MESSAGE, OPT_TZ,
};

static const struct weir_optdef own_options[] = {
	{"auto", 0, 0, OPT_AUTO, NULL},
	{"kv-sep", 0, 1, OPT_KV_SEP, "SEP"},
	{"message", 0, 1, OPT_MESSAGE, "FORMAT"},
	{"pair-sep", 0, 1, OPT_PAIR_SEP, "SEP"},
	{"passthrough-json", 0, 0, OPT_PASSTHROUGH, NULL},
	{"raw", 0, 1, OPT_RAW, "NAME"},
	{"strings", 'S', 0, OPT_STRINGS, NULL},
	{"types", 0, 1, OPT_TYPES, "NAME=TYPE,..."},
	{"tz", 0, 1, OPT_TZ, "ZONE"},
	{NULL, 0, 0, 0, NULL},
};

static int
own_option(void *arg, int id, const char *value, char *err, size_t errlen)
{
	struct parse *p = arg;
	(void)err;
	(void)errlen;
	switch (id) {
	case OPT_AUTO: p->automatic = true; return 0;
	case OPT_KV_SEP: p->kv_sep = value; return 0;
	case OPT_MESSAGE: p->message = value; return 0;
	case OPT_PAIR_SEP: p->pair_sep = value; return 0;
	case OPT_PASSTHROUGH: p->passthrough = true; return 0;
	case OPT_RAW: p->raw = value; return 0;
	case OPT_STRINGS: p->strings = true; return 0;
	case OPT_TYPES: p->types = value; return 0;
	case OPT_TZ: p->tz = value; return 0;
	}
	return -1;
}

static int
on_event(struct weir_ctx *ctx, const struct weir_event *ev)
{
	return weir_emit(ctx, ev->line, ev->len);
}

/* FORMAT [PATTERN] from the operands, into the input options every
 * input is opened with. */
static int
setup(struct weir_ctx *ctx, int argc, char **argv, char *err, size_t errlen)
{
	struct parse *p = ctx->prog_state;
	struct weir_opts *o = ctx->opts;
	if (o->format || o->csv_in || o->json_in) {
		snprintf(err, errlen, "-i: give the format as weir-parse's first operand "
		    "(weir-parse combined FILE)");
		return -1;
	}
	/* events need no time, unless --where asks for event_time() */
	ctx->untimed = ctx->where == NULL || !weir_expr_uses_time(ctx->where);
	const char *name = p->automatic ? "auto" : argc > 0 ? argv[0] : NULL;
	int used = p->automatic ? 0 : 1;
	if (name == NULL) {
		snprintf(err, errlen, "no format: weir-parse FORMAT [FILE...] with FORMAT one of "
		    "combined, common, syslog, logfmt, kv, cri, docker, csv, tsv, regex PATTERN, "
		    "or --auto");
		return -1;
	}
	if (strcmp(name, "csv") == 0 || strcmp(name, "tsv") == 0) {
		if (p->types || p->raw || p->passthrough || p->strings || p->kv_sep || p->pair_sep ||
		    p->message || p->tz) {
			snprintf(err, errlen, "%s: --types, --raw, --passthrough-json, --strings and the "
			    "separators are for the log formats (a CSV header names the members)", name);
			return -1;
		}
		o->csv_in = true;
		o->tsv_in = name[0] == 't';
		return used;
	}
	const char *pattern = NULL;
	if (strcmp(name, "regex") == 0) {
		if (argc < 2) {
			snprintf(err, errlen, "regex needs a pattern: weir-parse regex "
			    "'(?<host>\\S+) (?<status>\\d+)' [FILE...]");
			return -1;
		}
		pattern = argv[1];
		used = 2;
	}
	if ((o->format = weir_format_new(name, pattern, err, errlen)) == NULL)
		return -1;
	if ((p->message && weir_format_message(o->format, p->message, err, errlen) < 0) ||
	    (p->tz && weir_format_zone(o->format, p->tz, err, errlen) < 0))
		return -1;
	/* with --message, the settings of the members are the message's format's */
	struct weir_format *members = p->message ? weir_format_inner(o->format) : o->format;
	const char *kind = p->message ? p->message : name;
	if ((p->types && weir_format_types(members, p->types, err, errlen) < 0) ||
	    (p->raw && weir_format_raw(o->format, p->raw, err, errlen) < 0))
		return -1;
	if ((p->kv_sep || p->pair_sep) && strcmp(kind, "kv") != 0) {
		snprintf(err, errlen, "--kv-sep and --pair-sep are kv's (logfmt's are '=' and spaces)");
		return -1;
	}
	if ((p->kv_sep || p->pair_sep) &&
	    weir_format_kv_separators(members, p->kv_sep, p->pair_sep, err, errlen) < 0)
		return -1;
	weir_format_passthrough(o->format, p->passthrough);
	weir_format_strings(members, p->strings);
	return used;
}

int
main(int argc, char **argv)
{
	static const struct weir_hooks hooks = {on_event, NULL, NULL, NULL};
	static struct parse p;
	static const struct weir_program program = {
		.name = "weir-parse",
		.synopsis = "weir-parse FORMAT [options] [FILE ...]\n"
		    "       weir-parse regex PATTERN [options] [FILE ...]\n"
		    "       weir-parse --auto [options] [FILE ...]",
		.summary = "Turns log lines that are not JSON into NDJSON.",
		.own_help = "  FORMAT: combined, common, syslog, logfmt, kv, cri, docker, csv, tsv\n"
		    "      --auto               each input's first readable line picks the format\n"
		    "      --types NAME=TYPE,.. int, float, bool, string or auto per member\n"
		    "      --raw NAME           keep the whole line in member NAME\n"
		    "      --passthrough-json   a line that starts with { passes as it came\n"
		    "      --message FORMAT     cri, docker: read each message as json, logfmt, kv,\n"
		    "                           combined, common or syslog\n"
		    "      --tz ZONE            syslog: RFC 3164 times are local times in ZONE\n"
		    "  -S, --strings            kv, logfmt: no value is read as a number\n"
		    "      --kv-sep SEP         kv: between key and value (=)\n"
		    "      --pair-sep SEP       kv: between pairs (white space)\n",
		.options = own_options,
		.option = own_option,
		.state = &p,
		.hooks = &hooks,
		.setup = setup,
	};
	return weir_program_main(&program, argc, argv);
}
