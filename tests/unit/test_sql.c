/* Unit tests for lib/sql: the pipeline a query compiles to, the text of
 * the expressions cut from it, and the caret of a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/sql.h"

static char got[8192];

/* The pipeline as one line: programs' arguments between spaces, | between. */
static const char *
compile(const char *q)
{
	struct weir_sql s;
	struct weir_sql_opts o = {0};
	char err[4096];
	got[0] = '\0';
	if (weir_sql_compile(q, &o, &s, err, sizeof err) < 0) {
		snprintf(got, sizeof got, "ERROR %s", err);
	} else {
		for (int i = 0; i < s.n; i++) {
			if (i)
				strcat(got, " | ");
			for (int k = 0; k < s.stage[i].argc; k++) {
				if (k)
					strcat(got, " ");
				strcat(got, s.stage[i].argv[k]);
			}
		}
	}
	weir_sql_free(&s);
	return got;
}

static void
windows_keys_and_having_go_to_weir_agg(void **state)
{
	(void)state;
	assert_string_equal(compile("SELECT host, tumble_start(ts, INTERVAL '1 minute') AS m, "
	    "count(*) AS n FROM stdin WHERE status >= 500 GROUP BY tumble(ts, INTERVAL '1 minute'), "
	    "host HAVING count(*) > 10"),
	    "weir-agg --where status >= 500 --by host --window 1m -t ts --having n > 10 count=n | "
	    "weir-select --only --set host=host --set m=window_start --set n=n");
	assert_string_equal(compile("SELECT count(*) FROM stdin GROUP BY hop(t, INTERVAL '30 "
	    "seconds', INTERVAL '2 minutes')"),
	    "weir-agg --window 2m/30s -t t count | weir-select --only --set count=count");
	assert_string_equal(compile("SELECT k, count(*) AS count FROM stdin GROUP BY k"),
	    "weir-agg --by k --processing-time count");
}

static void
expressions_are_cut_from_the_query_whole(void **state)
{
	(void)state;
	/* a key inside parentheses and a larger expression; a CASE; IS NOT NULL */
	assert_string_equal(compile("SELECT (status / 100) * 100 AS c, sum(CASE WHEN x IS NOT "
	    "NULL THEN 1 ELSE 0 END) AS s FROM stdin GROUP BY status / 100"),
	    "weir-select --set __g1=status / 100 --set __v2=CASE WHEN x IS NOT NULL THEN 1 ELSE "
	    "0 END | weir-agg --by __g1 --processing-time sum:__v2:null=s | "
	    "weir-select --only --set c=(__g1) * 100 --set s=s");
	/* names PostgreSQL would read otherwise are quoted */
	assert_string_equal(compile("SELECT k AS \"K\", count(*) AS \"N\" FROM stdin GROUP BY k"),
	    "weir-agg --by k --processing-time count=N | "
	    "weir-select --only --set K=k --set N=\"N\"");
	assert_string_equal(compile("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p "
	    "FROM stdin"),
	    "weir-agg --processing-time --exact p90:v:linear=p");
}

static void
a_join_is_weir_join_and_the_query_reads_its_rows(void **state)
{
	(void)state;
	assert_string_equal(compile("SELECT o.id, p.amount AS a FROM stdin o JOIN 'Makefile' p "
	    "ON p.order_id = o.id AND o.ts BETWEEN p.ts - INTERVAL '1 minute' AND p.ts + "
	    "INTERVAL '1 minute' WHERE o.status >= 500"),
	    "weir-join - Makefile --on id=order_id --within 1m --left-time ts --right-time ts --nest | "
	    "weir-select --where \"left\".status >= 500 --only --set id=\"left\".id "
	    "--set a=\"right\".amount");
	assert_string_equal(compile("SELECT k, count(*) AS n FROM stdin e LEFT JOIN 'Makefile' t "
	    "USING (k) GROUP BY k"),
	    "weir-join --table Makefile --on k=k --type left --nest | "
	    "weir-agg --by left.k --processing-time count=n | "
	    "weir-select --only --set k=\"left.k\" --set n=n");
}

static void
a_refusal_points_at_its_clause(void **state)
{
	(void)state;
	assert_string_equal(compile("SELECT a, b FROM stdin GROUP BY a"),
	    "ERROR column \"b\" must appear in the GROUP BY clause or be used in an aggregate "
	    "function\n  SELECT a, b FROM stdin GROUP BY a\n            ^");
	/* the line of the query it is on; the caret counted in characters */
	assert_string_equal(compile("SELECT 1 AS one,\n'é' || nosuch(x) AS e FROM stdin"),
	    "ERROR function nosuch does not exist (weir(7) lists the functions)\n"
	    "  'é' || nosuch(x) AS e FROM stdin\n         ^");
	assert_string_equal(compile("SELECT 1 FROM stdin WHERE"),
	    "ERROR syntax error at end of input\n  SELECT 1 FROM stdin WHERE\n"
	    "                           ^");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_keys_and_having_go_to_weir_agg),
		cmocka_unit_test(expressions_are_cut_from_the_query_whole),
		cmocka_unit_test(a_join_is_weir_join_and_the_query_reads_its_rows),
		cmocka_unit_test(a_refusal_points_at_its_clause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
