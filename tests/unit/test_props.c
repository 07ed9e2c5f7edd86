/* Unit tests for lib/props: -X NAME=VALUE collected, checked, applied in
 * order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/props.h"

static int
collect(void *arg, const char *name, const char *value)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "[%s|%s]", name, value);
	return strcmp(name, "stop") == 0 ? 7 : 0;
}

static void
test_add_has_each(void **state)
{
	(void)state;
	struct weir_props p = {0};
	char err[256];
	assert_int_equal(weir_props_add(&p, "session.timeout.ms=6000", "x=1", err, sizeof err), 0);
	assert_int_equal(weir_props_add(&p, "sasl.password=a=b", "x=1", err, sizeof err), 0);
	assert_int_equal(weir_props_add(&p, "empty=", "x=1", err, sizeof err), 0);
	assert_true(weir_props_has(&p, "session.timeout.ms"));
	assert_false(weir_props_has(&p, "session.timeout"));	/* a prefix is not the name */
	assert_false(weir_props_has(&p, "bootstrap.servers"));
	char out[256] = "";
	assert_int_equal(weir_props_each(&p, collect, out), 0);
	/* in order; a value may hold '=' and may be empty */
	assert_string_equal(out, "[session.timeout.ms|6000][sasl.password|a=b][empty|]");
	weir_props_free(&p);
	assert_int_equal(p.n, 0);
	weir_props_free(&p);	/* twice is fine */
}

static void
test_bad_forms(void **state)
{
	(void)state;
	struct weir_props p = {0};
	char err[256];
	assert_int_equal(weir_props_add(&p, "nonsense", "linger.ms=5", err, sizeof err), -1);
	assert_string_equal(err, "bad -X 'nonsense' (expected NAME=VALUE, a librdkafka property, "
	    "e.g. -X linger.ms=5)");
	assert_int_equal(weir_props_add(&p, "=1", "linger.ms=5", err, sizeof err), -1);
	assert_int_equal(p.n, 0);
}

static void
test_each_stops_at_first_failure(void **state)
{
	(void)state;
	struct weir_props p = {0};
	char err[256], out[256] = "";
	weir_props_add(&p, "a=1", "x=1", err, sizeof err);
	weir_props_add(&p, "stop=2", "x=1", err, sizeof err);
	weir_props_add(&p, "c=3", "x=1", err, sizeof err);
	assert_int_equal(weir_props_each(&p, collect, out), 7);
	assert_string_equal(out, "[a|1][stop|2]");
	weir_props_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has_each),
		cmocka_unit_test(test_bad_forms),
		cmocka_unit_test(test_each_stops_at_first_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
