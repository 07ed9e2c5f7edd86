/* Unit tests for lib/options: the shared options and usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/options.h"

static int own_seen;

static int
own(void *arg, int id, const char *value, char *err, size_t errlen)
{
	(void)arg;
	own_seen = id;
	if (strcmp(value, "bad") == 0) {
		snprintf(err, errlen, "bad value for --max-buffer");
		return -1;
	}
	return 0;
}

static const struct weir_optdef own_table[] = {
	{"max-buffer", 0, 1, 7, "N"},
	{NULL, 0, 0, 0, NULL},
};

static int
parse(struct weir_opts *o, int features, int argc, char **argv)
{
	memset(o, 0, sizeof *o);
	return weir_options_parse(o, argc, argv, features, own_table, own, NULL);
}

static void
every_shared_option(void **state)
{
	(void)state;
	struct weir_opts o;
	char *argv[] = {"prog", "-t", "meta.when", "-T", "epoch_ms", "--lag", "1h30m",
	    "--idle", "250ms", "--late", "late.ndjson", "-i", "csv", "-o", "csv",
	    "--on-error", "fail", "--errors", "bad.ndjson", "-u", "--stats",
	    "--metrics", "m.prom", "--max-buffer", "10", "input", NULL};
	int first = parse(&o, 0, 26, argv);
	assert_int_equal(first, 25);
	assert_string_equal(argv[first], "input");
	assert_string_equal(o.time_field, "meta.when");
	assert_int_equal(o.time_format.kind, WEIR_TF_EPOCH_MS);
	assert_int_equal(o.lag, 5400LL * 1000000000);
	assert_int_equal(o.idle, 250000000LL);
	assert_int_equal(o.late, WEIR_LATE_FILE);
	assert_string_equal(o.late_file, "late.ndjson");
	assert_true(o.csv_in && o.csv_out && o.unbuffered && o.stats);
	assert_int_equal(o.on_error, WEIR_ON_ERROR_FAIL);
	assert_string_equal(o.errors_file, "bad.ndjson");
	assert_string_equal(o.metrics_file, "m.prom");
	assert_int_equal(own_seen, 7);
	weir_options_free(&o);
}

static void
usage_errors_name_the_option_and_its_form(void **state)
{
	(void)state;
	struct weir_opts o;
	char *a1[] = {"prog", "--lag", "5x", NULL};
	assert_int_equal(parse(&o, 0, 3, a1), WEIR_OPTS_USAGE);
	assert_non_null(strstr(o.error, "--lag"));
	assert_non_null(strstr(o.error, "5s"));
	char *a2[] = {"prog", "--nope", NULL};
	assert_int_equal(parse(&o, 0, 2, a2), WEIR_OPTS_USAGE);
	assert_non_null(strstr(o.error, "--nope"));
	char *a3[] = {"prog", "--lag", NULL};
	assert_int_equal(parse(&o, 0, 2, a3), WEIR_OPTS_USAGE);
	assert_non_null(strstr(o.error, "--lag"));
	char *a4[] = {"prog", "--on-error", "maybe", NULL};
	assert_int_equal(parse(&o, 0, 3, a4), WEIR_OPTS_USAGE);
	assert_non_null(strstr(o.error, "warn, skip or fail"));
	char *a5[] = {"prog", "--punctuate", "1s", NULL};
	assert_int_equal(parse(&o, 0, 3, a5), WEIR_OPTS_USAGE);
	assert_int_equal(parse(&o, WEIR_FEATURE_PUNCTUATE, 3, a5), 3);
	assert_int_equal(o.punctuate, 1000000000LL);
	char *a6[] = {"prog", "--max-buffer", "bad", NULL};
	assert_int_equal(parse(&o, 0, 3, a6), WEIR_OPTS_USAGE);
	assert_string_equal(o.error, "bad value for --max-buffer");
	char *a7[] = {"prog", "--processing-time", "-t", "x", NULL};
	assert_int_equal(parse(&o, 0, 4, a7), WEIR_OPTS_USAGE);
	char *a8[] = {"prog", "-T", "whenever", NULL};
	assert_int_equal(parse(&o, 0, 3, a8), WEIR_OPTS_USAGE);
	assert_non_null(strstr(o.error, "--time-format"));
}

static void
help_and_version(void **state)
{
	(void)state;
	struct weir_opts o;
	char *a1[] = {"prog", "--lag", "1s", "-h", NULL};
	assert_int_equal(parse(&o, 0, 4, a1), WEIR_OPTS_HELP);
	char *a2[] = {"prog", "--version", NULL};
	assert_int_equal(parse(&o, 0, 2, a2), WEIR_OPTS_VERSION);
}

static void
late_policies(void **state)
{
	(void)state;
	struct weir_opts o;
	char *a1[] = {"prog", "--late", "pass", NULL};
	assert_int_equal(parse(&o, 0, 3, a1), 3);
	assert_int_equal(o.late, WEIR_LATE_PASS);
	char *a2[] = {"prog", "--late", "drop", NULL};
	assert_int_equal(parse(&o, 0, 3, a2), 3);
	assert_int_equal(o.late, WEIR_LATE_DROP);
	char *a3[] = {"prog", "--late", "", NULL};
	assert_int_equal(parse(&o, 0, 3, a3), WEIR_OPTS_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_shared_option),
		cmocka_unit_test(usage_errors_name_the_option_and_its_form),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(late_policies),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
