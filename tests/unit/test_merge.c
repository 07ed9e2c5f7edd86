/* Unit tests for lib/merge: what a right line adds to a left one in a
 * joined row, whether the pair's shapes were merged before or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/merge.h"

struct fixture {
	struct weir_plan *plan;
	struct weir_keys keys;
	struct weir_merge m;
};

static void
setup_on(struct fixture *f, const char *on)
{
	memset(f, 0, sizeof *f);
	f->plan = weir_plan_new();
	assert_non_null(f->plan);
	assert_int_equal(weir_keys_parse(&f->keys, f->plan, on), 0);
	f->m.keys = &f->keys;
}

static void
teardown_on(struct fixture *f)
{
	weir_merge_free(&f->m);
	weir_merge_free(&f->m);	/* a zeroed merge is fine to free */
	weir_keys_free(&f->keys);
	weir_plan_free(f->plan);
}

/* Scans line as a program would: its cleanliness and shape. */
static void
scan(struct fixture *f, const char *line, int *clean, uint32_t *shape)
{
	struct weir_span spans[8];
	const char *why = NULL;
	bool is_clean;
	assert_int_equal(weir_scan_clean(f->plan, line, strlen(line), spans, &why, &is_clean), 0);
	*clean = is_clean;
	*shape = weir_scan_shape();
}

/* The members r adds to l, with the shapes the scan gives (shaped) or none. */
static const char *
merged(struct fixture *f, const char *l, const char *r, bool shaped)
{
	int lc, rc;
	uint32_t ls, rs;
	scan(f, l, &lc, &ls);
	scan(f, r, &rc, &rs);
	if (!shaped)
		ls = rs = 0, lc = rc = -1;
	assert_int_equal(weir_merge_members(&f->m, l, strlen(l), lc, ls, r, strlen(r), rc, rs), 0);
	static char out[1024];
	snprintf(out, sizeof out, "%.*s", (int)f->m.members.n, f->m.members.p);
	return out;
}

static void
key_fields_are_left_out_and_a_shared_name_becomes_right_name(void **state)
{
	(void)state;
	struct fixture f;
	setup_on(&f, "id");
	for (int shaped = 0; shaped < 2; shaped++) {
		assert_string_equal(merged(&f, "{\"ts\":1,\"id\":7,\"amount\":10}",
		    "{\"ts\":3,\"id\":7,\"method\":\"card\"}", shaped),
		    "\"right_ts\":3,\"method\":\"card\"");
		/* values as written, nested ones whole */
		assert_string_equal(merged(&f, "{\"ts\":1,\"id\":7}",
		    "{\"id\":7,\"x\":1.50,\"o\":{\"ts\":1},\"s\":\"a\\\"b\"}", shaped),
		    "\"x\":1.50,\"o\":{\"ts\":1},\"s\":\"a\\\"b\"");
		/* nothing to add */
		assert_string_equal(merged(&f, "{\"id\":7,\"a\":1}", "{\"id\":7}", shaped), "");
	}
	teardown_on(&f);
}

/* Lines of a few shapes with random values, in runs of one pair of shapes
 * (as a log's lines share theirs; the left lines scanned on one thread and
 * the right ones on another, as the join's readers do): the kept plans (a
 * pair of shapes merged before, a left shape's names) give what a merge
 * from scratch gives, every time. */
static void
a_pair_of_shapes_merged_before_gives_what_a_fresh_merge_gives(void **state)
{
	(void)state;
	static const char *const lfmt[] = {
		"{\"ts\":%d,\"id\":%d,\"a\":%d}",
		"{\"ts\":%d,\"id\":%d,\"b\":\"v%d\"}",
		"{\"id\":%d,\"ts\":%d,\"ts2\":%d}",
	};
	static const char *const rfmt[] = {
		"{\"ts\":%d,\"id\":%d,\"a\":%d}",
		"{\"b\":\"w%d\",\"id\":%d,\"c\":%d}",
		"{\"ts2\":%d,\"ts\":%d,\"id\":%d}",
	};
	enum { N = 3000 };
	static char l[N][96], r[N][96];
	static int lc[N], rc[N];
	static uint32_t ls[N], rs[N];
	struct fixture f, fresh;
	setup_on(&f, "id");
	setup_on(&fresh, "id");
	unsigned seed = 12345;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		int v = (int)(seed >> 8) % 1000;
		snprintf(l[i], sizeof l[i], lfmt[(i / 7) % 3], v, v + 1, v * 7);
		snprintf(r[i], sizeof r[i], rfmt[(i / 21) % 3], v * 3, v + 1, v * 11);
	}
	for (int i = 0; i < N; i++)
		scan(&f, l[i], &lc[i], &ls[i]);
	for (int i = 0; i < N; i++)
		scan(&f, r[i], &rc[i], &rs[i]);
	int planned = 0;
	for (int i = 0; i < N; i++) {
		char want[1024];
		assert_int_equal(weir_merge_members(&fresh.m, l[i], strlen(l[i]), -1, 0, r[i],
		    strlen(r[i]), -1, 0), 0);
		snprintf(want, sizeof want, "%.*s", (int)fresh.m.members.n, fresh.m.members.p);
		planned += ls[i] != 0 && rs[i] != 0 && f.m.plan.l == ls[i] && f.m.plan.r == rs[i];
		assert_int_equal(weir_merge_members(&f.m, l[i], strlen(l[i]), lc[i], ls[i], r[i],
		    strlen(r[i]), rc[i], rs[i]), 0);
		assert_int_equal(f.m.members.n, strlen(want));
		assert_memory_equal(f.m.members.p, want, strlen(want));
	}
	assert_true(planned > N / 2);	/* the kept plans were used */
	teardown_on(&f);
	teardown_on(&fresh);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_fields_are_left_out_and_a_shared_name_becomes_right_name),
		cmocka_unit_test(a_pair_of_shapes_merged_before_gives_what_a_fresh_merge_gives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
