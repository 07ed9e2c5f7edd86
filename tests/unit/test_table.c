/* Unit tests for lib/table: a file read into a lookup table, its rows found
 * by the key of a stream's line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/table.h"

/* Writes text to a new temporary file named with suffix; its path. */
static char *
temp_file(const char *text, const char *suffix)
{
	char *path = NULL;
	assert_true(asprintf(&path, "/tmp/weir-test-table-%d-%d%s", (int)getpid(), rand(), suffix) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A stream whose lines are looked up by `on`. */
struct stream {
	struct weir_plan *plan;
	struct weir_keys keys;
	struct weir_span spans[16];
};

static void
stream_init(struct stream *s, const char *on)
{
	memset(s, 0, sizeof *s);
	s->plan = weir_plan_new();
	assert_non_null(s->plan);
	assert_int_equal(weir_keys_parse(&s->keys, s->plan, on), 0);
}

static void
stream_free(struct stream *s)
{
	weir_keys_free(&s->keys);
	weir_plan_free(s->plan);
}

/* The record for line's key, or NULL. */
static const char *
look_up(struct stream *s, const struct weir_table *t, const char *line)
{
	const char *why = NULL;
	assert_int_equal(weir_scan(s->plan, line, strlen(line), s->spans, &why), 0);
	return weir_table_lookup(t, weir_keys_hash(&s->keys, s->spans), &s->keys, s->spans);
}

/* The rows of a record, each as its members in braces (prepared) or its
 * line, joined by spaces. */
static void
rows_of(const char *rec, char *out, size_t cap)
{
	const char *at;
	uint32_t n = weir_table_rows(rec, &at);
	size_t w = 0;
	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		struct weir_table_row row = weir_table_row_next(&at);
		w += (size_t)snprintf(out + w, cap - w, "%s", i ? " " : "");
		if (row.rl > 0)
			w += (size_t)snprintf(out + w, cap - w, "%.*s", (int)row.rl, row.line);
		else
			w += (size_t)snprintf(out + w, cap - w, "{%.*s}", (int)row.ml, row.members);
	}
}

static void
rows_are_found_by_the_streams_key_and_prepared_without_their_key_fields(void **state)
{
	(void)state;
	char *path = temp_file("{\"host\":\"web-1\",\"dc\":\"fra\",\"rack\":7}\n"
	    "{\"host\":\"web-2\",\"dc\":\"ams\"}\n"
	    "{\"dc\":\"nowhere\"}\n"
	    "{\"host\":\"web-1\",\"dc\":\"fra2\"}\n", ".ndjson");
	struct stream s;
	stream_init(&s, "host");
	struct weir_table_source src;
	assert_int_equal(weir_table_source_init(&src, path, "host", true), 0);
	struct weir_table t;
	char err[256] = "";
	assert_int_equal(weir_table_load(&src, &t, s.plan, err, sizeof err), 0);
	assert_int_equal(t.rows, 3);
	assert_int_equal(t.without_key, 1);
	assert_int_equal(t.nkeys, 2);
	assert_true(t.prepared);
	char rows[512];
	/* a repeated key: its rows in the order read */
	const char *rec = look_up(&s, &t, "{\"ts\":1,\"host\":\"web-1\"}");
	assert_non_null(rec);
	rows_of(rec, rows, sizeof rows);
	assert_string_equal(rows, "{\"dc\":\"fra\",\"rack\":7} {\"dc\":\"fra2\"}");
	/* keys compare by value, as everywhere (an escaped string is its text) */
	rec = look_up(&s, &t, "{\"host\":\"web\\u002d2\"}");
	assert_non_null(rec);
	rows_of(rec, rows, sizeof rows);
	assert_string_equal(rows, "{\"dc\":\"ams\"}");
	assert_null(look_up(&s, &t, "{\"host\":\"web-3\"}"));
	/* the names the rows bring, each a slot of the stream's plan */
	const char *at;
	weir_table_rows(look_up(&s, &t, "{\"host\":\"web-1\"}"), &at);
	struct weir_table_row row = weir_table_row_next(&at);
	assert_int_equal(row.nn, 2);
	assert_int_equal(src.nnames, 2);
	const struct weir_table_name *dc = &src.names[weir_table_row_name(&row, 0)];
	assert_int_equal(dc->len, 4);
	assert_memory_equal(dc->raw, "\"dc\"", 4);
	assert_true(dc->slot >= 0);
	weir_table_free(&t);
	weir_table_free(&t);	/* a zeroed table is fine to free */
	weir_table_source_free(&src);
	stream_free(&s);
	unlink(path);
	free(path);
}

static int rejected_line;
static char rejected_text[64];

static int
reject(void *arg, const char *line, size_t len, const char *path, uint64_t lineno,
    const char *why)
{
	(void)path;
	(void)why;
	*(int *)arg += 1;
	rejected_line = (int)lineno;
	snprintf(rejected_text, sizeof rejected_text, "%.*s", (int)len, line);
	return 0;
}

static void
a_csv_table_rejects_a_malformed_row_and_reads_the_rows_after_it(void **state)
{
	(void)state;
	char *path = temp_file("host,dc\nweb-1,fra\nweb-2,\"6\" ams\nweb-3,par\n", ".csv");
	struct stream s;
	stream_init(&s, "host");
	struct weir_table_source src;
	assert_int_equal(weir_table_source_init(&src, path, "host", false), 0);
	int calls = 0;
	src.reject = reject;
	src.reject_arg = &calls;
	struct weir_table t;
	char err[256] = "";
	assert_int_equal(weir_table_load(&src, &t, s.plan, err, sizeof err), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(rejected_line, 3);
	assert_string_equal(rejected_text, "web-2,\"6\" ams");
	assert_int_equal(t.rejected, 1);
	assert_int_equal(t.rows, 2);
	assert_false(t.prepared);	/* not asked for: each row keeps its line */
	char rows[256];
	rows_of(look_up(&s, &t, "{\"host\":\"web-3\"}"), rows, sizeof rows);
	assert_string_equal(rows, "{\"host\":\"web-3\",\"dc\":\"par\"}");
	assert_null(look_up(&s, &t, "{\"host\":\"web-2\"}"));
	weir_table_free(&t);
	weir_table_source_free(&src);
	stream_free(&s);
	unlink(path);
	free(path);
}

static void
a_bad_line_or_a_missing_file_fails_with_a_message(void **state)
{
	(void)state;
	char *path = temp_file("{\"host\":\"a\"}\nnot json\n", ".ndjson");
	struct weir_table_source src;
	assert_int_equal(weir_table_source_init(&src, path, "host", true), 0);
	struct weir_table t;
	char err[256] = "";
	assert_int_equal(weir_table_load(&src, &t, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2: "));
	unlink(path);
	assert_int_equal(weir_table_load(&src, &t, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open table"));
	weir_table_source_free(&src);
	free(path);
}

/* Many keys, some repeated: every one is found with its rows, in the order
 * read, and a key not in the table is not. */
static void
a_large_table_with_repeated_keys_finds_every_row(void **state)
{
	(void)state;
	size_t n = 20000, cap = n * 48 + 1, w = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		w += (size_t)snprintf(text + w, cap - w, "{\"k\":%zu,\"v\":%zu}\n", i % 15000, i);
	char *path = temp_file(text, ".ndjson");
	free(text);
	struct stream s;
	stream_init(&s, "k");
	struct weir_table_source src;
	assert_int_equal(weir_table_source_init(&src, path, "k", true), 0);
	struct weir_table t;
	char err[256] = "";
	assert_int_equal(weir_table_load(&src, &t, s.plan, err, sizeof err), 0);
	assert_int_equal(t.nkeys, 15000);
	for (size_t k = 0; k < 15000; k++) {
		char line[64], rows[128], want[128];
		snprintf(line, sizeof line, "{\"k\":\"%zu\"}", k);	/* "7" is 7 */
		rows_of(look_up(&s, &t, line), rows, sizeof rows);
		if (k < 5000)
			snprintf(want, sizeof want, "{\"v\":%zu} {\"v\":%zu}", k, k + 15000);
		else
			snprintf(want, sizeof want, "{\"v\":%zu}", k);
		assert_string_equal(rows, want);
	}
	assert_null(look_up(&s, &t, "{\"k\":15000}"));
	weir_table_free(&t);
	weir_table_source_free(&src);
	stream_free(&s);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_are_found_by_the_streams_key_and_prepared_without_their_key_fields),
		cmocka_unit_test(a_csv_table_rejects_a_malformed_row_and_reads_the_rows_after_it),
		cmocka_unit_test(a_bad_line_or_a_missing_file_fails_with_a_message),
		cmocka_unit_test(a_large_table_with_repeated_keys_finds_every_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
