#!/usr/bin/env bats
# weir sql: a query in PostgreSQL's SQL compiled to weir's programs, with
# PostgreSQL itself as the oracle for its rows.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

events() {
	python3 "$LIB/sqlref.py" gen "$@"
}

@test "every query of the corpus gives PostgreSQL 15's rows, and --explain's pipeline the same bytes" {
	# tests/lib/sqlref.py starts Debian's PostgreSQL in a temporary
	# directory, runs each weir query and its PostgreSQL equivalent
	# (date_bin for tumble, a series for hop, window functions for
	# sessions; the joins' files as tables), compares the rows, then runs
	# what --explain prints with sh
	# (each program's own suite runs under the sanitizers; weir-sql's
	# running of them, by the other tests of this one)
	[ "$WEIR_BIN" = bin ] || skip "the programs' own suites cover the sanitizers"
	events 1500 7 > ev
	python3 "$LIB/sqlref.py" tables ev 3	# pay.ndjson and hosts.csv, for the joins
	run python3 "$LIB/sqlref.py" check ev "$ROOT/tests/sql/queries.txt"
	assert_success
	assert_output --partial "62 queries, 0 differ"
}

@test "the same rows when events arrive up to 30 s out of order, with --lag 1m" {
	[ "$WEIR_BIN" = bin ] || skip "the programs' own suites cover the sanitizers"
	events 2500 11 30 > ev
	python3 "$LIB/sqlref.py" tables ev 5
	# --explain's pipeline is checked on ordered events (the first test)
	run python3 "$LIB/sqlref.py" check ev "$ROOT/tests/sql/queries.txt" --disordered --no-explain --lag 1m
	assert_success
	assert_output --partial "queries, 0 differ"
}

@test "batch = stream: the same bytes whether the events come at once or piece by piece" {
	events 800 3 20 > ev
	batch_equals_stream ev weir-sql --lag 30s "SELECT host, tumble_start(ts, INTERVAL '1 minute') AS m,
	    count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50
	    FROM stdin WHERE status >= 200 GROUP BY tumble(ts, INTERVAL '1 minute'), host"
	batch_equals_stream ev weir-sql --lag 30s "SELECT user_id, count(*) AS n FROM stdin
	    GROUP BY session(ts, INTERVAL '20 seconds'), user_id"
	batch_equals_stream ev weir-sql --lag 30s "SELECT ts, path, latency_ms / 1000 AS s
	    FROM stdin WHERE path LIKE '/api/%' ORDER BY ts"
}

@test "--explain prints the pipeline: each clause where it belongs" {
	run weir-sql --explain --lag 5s "SELECT host, tumble_start(ts, INTERVAL '1 minute') AS minute,
	    count(*) AS n, avg(latency_ms / 1000) AS avg_s FROM stdin WHERE status >= 500
	    GROUP BY tumble(ts, INTERVAL '1 minute'), host HAVING count(*) > 10"
	assert_success
	# WHERE first, the computed argument beside it; the window, the lag
	# and HAVING to weir-agg; the SELECT list last, in its order
	assert_line --index 0 "weir-select --where 'status >= 500' --set '__v1=latency_ms / 1000' \\"
	assert_line --index 1 "  | weir-agg --by host --window 1m -t ts --having 'n > 10' count=n avg:__v1=avg_s --lag 5s \\"
	assert_line --index 2 "  | weir-select --only --set host=host --set minute=window_start --set n=n --set avg_s=avg_s"
	# a query weir-agg answers alone is weir-agg alone
	run weir-sql --explain "SELECT path, count(*) AS n FROM stdin GROUP BY path ORDER BY n DESC LIMIT 5"
	assert_output "weir-agg --by path --processing-time --top 5 --rank-by n --desc count=n"
	run weir-sql --explain "SELECT DISTINCT ON (id) * FROM stdin"
	assert_output "weir-dedupe --processing-time --key id"
	run weir-sql --explain "SELECT * FROM stdin ORDER BY time LIMIT 3"
	assert_output "weir-watermark -t time | head -n 3"
	# a join: weir-join first, the lag of its bound to the program after it
	printf '{"ts":1,"id":1}\n' > o.ndjson
	printf '{"ts":2,"order_id":1,"amount":5}\n' > p.ndjson
	run weir-sql --explain --lag 5s "SELECT tumble_start(o.ts, INTERVAL '1 minute') AS m,
	    sum(p.amount) AS total FROM 'o.ndjson' o LEFT JOIN 'p.ndjson' p ON o.id = p.order_id
	    AND p.ts BETWEEN o.ts - INTERVAL '30 seconds' AND o.ts + INTERVAL '30 seconds'
	    GROUP BY tumble(o.ts, INTERVAL '1 minute')"
	assert_line --index 0 "weir-join o.ndjson p.ndjson --on id=order_id --within 30s --left-time ts --right-time ts --type left --nest --lag 5s \\"
	assert_line --index 1 "  | weir-agg --window 1m -t left.ts sum:right.amount:null=total --lag 30s \\"
	# two programs with state: one --state file is not enough
	run --separate-stderr weir-sql --state st "SELECT o.id, count(*) AS n FROM 'o.ndjson' o
	    JOIN 'p.ndjson' p ON o.id = p.order_id AND p.ts BETWEEN o.ts - INTERVAL '1 second'
	    AND o.ts + INTERVAL '1 second' GROUP BY o.id"
	assert_failure 2
	[[ "$stderr" == *"a --state file for each"* ]] || fail "$stderr"
}

@test "what weir cannot mean exactly is refused at start: exit 2, the query, a caret under the clause" {
	check() {	# check QUERY MESSAGE AT: the caret under the first AT in QUERY
		local prefix caret
		run --separate-stderr weir-sql "$1" < /dev/null
		assert_failure 2
		assert_equal "$output" ""
		[[ "$stderr" == *"$2"* ]] || fail "for $1: $stderr"
		[[ "$stderr" == *$'\n'"  $1"$'\n'* ]] || fail "query not shown for $1: $stderr"
		if [ -n "$3" ]; then
			prefix=${1%%"$3"*}
			caret=$(printf '%*s^' $((${#prefix} + 2)) '')
			[[ "$stderr" == *$'\n'"$caret" ]] || fail "caret for $1 under '$3': $stderr"
		fi
	}
	check "SELECT host, path, count(*) FROM stdin GROUP BY host" \
	    'column "path" must appear in the GROUP BY clause' "path"
	check "SELEC host FROM stdin" 'syntax error at or near "SELEC"' "SELEC"
	check "SELECT count(*) FROM stdin WHERE count(*) > 1" "not allowed in WHERE" "count(*) >"
	printf '{"ts":1,"k":1}\n' > x.ndjson
	cp x.ndjson y.ndjson
	check "SELECT x.k FROM 'x.ndjson' x JOIN 'y.ndjson' y ON x.k > y.k" \
	    "a join condition weir compiles is equal keys" "x.k >"
	check "SELECT x.k FROM 'x.ndjson' x JOIN 'y.ndjson' y ON x.k = y.k AND y.ts BETWEEN x.ts - INTERVAL '1 minute' AND x.ts + INTERVAL '2 minutes'" \
	    "the same INTERVAL before and after" "y.ts BETWEEN"
	check "SELECT k FROM 'x.ndjson' x JOIN 'y.ndjson' y ON x.k = y.k" \
	    'qualify the column: x.k or y.k' "k FROM"
	check "SELECT x.k FROM 'x.ndjson' x FULL JOIN 'y.ndjson' y ON x.k = y.k" \
	    "a join without a time bound is a lookup in a table" "'x.ndjson' x"
	check "SELECT x.* FROM 'x.ndjson' x JOIN 'y.ndjson' y USING (k)" "name the columns of a join" "x.*"
	check "SELECT x.k FROM 'x.ndjson' x JOIN 'y.ndjson' x USING (k)" 'two sources named "x"' "'y.ndjson'"
	check "SELECT string_agg(path, ',') FROM stdin" "weir does not compute string_agg()" "string_agg"
	check "SELECT count(*) FILTER (WHERE max(x) > 1) FROM stdin" \
	    "aggregate function calls cannot be nested" "max(x)"
	check "SELECT x, lag(x) OVER (ORDER BY ts) FROM stdin" "window functions (OVER)" "lag"
	check "SELECT * FROM stdin ORDER BY status DESC" "ORDER BY the time column, ascending" "status"
	check "SELECT count(*) FROM stdin GROUP BY tumble(ts, INTERVAL '1 minute') ORDER BY count(*) DESC" \
	    "ORDER BY and LIMIT over windows" ""
	check "SELECT count(*) FROM stdin GROUP BY tumble(ts, x)" "must be a constant interval" "x)"
	check "SELECT tumble_start(ts, INTERVAL '2 minutes'), count(*) FROM stdin GROUP BY tumble(ts, INTERVAL '1 minute')" \
	    "must take the arguments of the window" "tumble_start"
	check "SELECT count(*) FROM 'no-such-file.ndjson'" "cannot read 'no-such-file.ndjson'" "'no-such"
	check "SELECT a FROM stdin UNION SELECT b FROM stdin" "UNION, INTERSECT and EXCEPT" "UNION"
	check "SELECT avg(x), avg(y) FROM stdin" 'two columns named "avg": name one with AS' "avg(y)"
	check "WITH t AS (SELECT 1) SELECT * FROM t" "WITH is not compiled" "t AS"
	check "SELECT date_trunc('month', ts), count(*) FROM stdin GROUP BY 1" \
	    "months and years are not windows of one length" "date_trunc"
}

@test "the shared options reach the program they concern; --stats, --errors, -o csv" {
	printf '%s\n' '{"ts":"2026-12-03T10:00:01Z","host":"a","ms":10}' 'not json' \
	    '{"ts":"2026-12-03T10:00:02Z","host":"b","ms":20}' \
	    '{"ts":"2026-12-03T10:00:03Z","host":"a","ms":"slow"}' > in
	run --separate-stderr weir-sql --errors bad -o csv --stats \
	    "SELECT count(*) AS n, host FROM stdin GROUP BY host" in
	assert_failure 2	# one query; files go in FROM
	run --separate-stderr weir-sql --errors bad -o csv --stats \
	    "SELECT count(*) AS n, host FROM 'in' GROUP BY host"
	assert_success
	# csv in the SELECT list's order
	assert_output $'n,host\n2,a\n1,b'
	assert_equal "$(cat bad)" "not json"
	[[ "$stderr" == *'"program":"weir-agg"'* ]] || fail "$stderr"
	[[ "$stderr" == *'"program":"weir-select"'* ]] || fail "$stderr"
	# a stage's failure is the pipeline's status
	run --separate-stderr weir-sql --on-error fail "SELECT host FROM 'in'"
	assert_failure 65
	# an option that no program of the query takes
	run --separate-stderr weir-sql --emit updates "SELECT host FROM 'in'"
	assert_failure 2
	[[ "$stderr" == *"--emit: this query has no GROUP BY"* ]] || fail "$stderr"
}

@test "sources: a file, a compressed file, CSV by its extension, a glob merged in event time" {
	printf '%s\n' '{"ts":1,"k":"a"}' '{"ts":5,"k":"b"}' '{"ts":9,"k":"a"}' > one.ndjson
	printf '%s\n' '{"ts":2,"k":"b"}' '{"ts":6,"k":"a"}' > two.ndjson
	gzip -c one.ndjson > one.ndjson.gz
	printf 'ts,k\n1,a\n2,a\n3,b\n' > three.csv
	q="SELECT k, tumble_start(ts, INTERVAL '4 seconds') AS w, count(*) AS n FROM"
	g="GROUP BY tumble(ts, INTERVAL '4 seconds'), k"
	run weir-sql -T epoch "$q 'one.ndjson' $g"
	assert_output $'{"k":"a","w":0,"n":1}\n{"k":"b","w":4,"n":1}\n{"k":"a","w":8,"n":1}'
	run weir-sql -T epoch "$q 'one.ndjson.gz' $g"
	assert_output $'{"k":"a","w":0,"n":1}\n{"k":"b","w":4,"n":1}\n{"k":"a","w":8,"n":1}'
	run weir-sql --explain "$q 'one.ndjson.gz' $g"
	assert_line --index 0 "gzip -dc -- one.ndjson.gz \\"
	run weir-sql -T epoch "$q 'three.csv' $g"
	assert_output $'{"k":"a","w":0,"n":2}\n{"k":"b","w":0,"n":1}'
	# two files whose times interleave: merged, so nothing is late
	run --separate-stderr weir-sql -T epoch "$q '*.ndjson' $g"
	assert_success
	assert_output $'{"k":"a","w":0,"n":1}\n{"k":"b","w":0,"n":1}\n{"k":"b","w":4,"n":1}\n{"k":"a","w":4,"n":1}\n{"k":"a","w":8,"n":1}'
	run weir-sql --explain -T epoch --emit updates "$q '*.ndjson' $g"
	assert_line --index 0 "weir-replay -t ts --time-format epoch one.ndjson two.ndjson \\"
	# weir-agg's own options reach weir-agg, wherever it stands
	assert_line --index 1 "  | weir-agg --by k --window 4s -t ts count=n --time-format epoch --emit updates \\"
	# without a window, files are read one after the other
	run weir-sql "SELECT k, count(*) AS n FROM '*.ndjson' GROUP BY k"
	assert_output $'{"k":"a","n":3}\n{"k":"b","n":2}'
	# weir sql is weir-sql
	run weir sql "SELECT k, count(*) AS n FROM '*.ndjson' GROUP BY k"
	assert_output $'{"k":"a","n":3}\n{"k":"b","n":2}'
}

@test "LIMIT ends the stream after N rows; SELECT * passes the event's bytes" {
	printf '%s\n' '{"ts":1, "v":1.50}' '{"ts":2,"v":2}' '{"ts":3,"v":3}' > in
	run weir-sql "SELECT * FROM 'in' WHERE v > 1 LIMIT 1"
	assert_output '{"ts":1, "v":1.50}'
	run weir-sql "SELECT *, v * 2 AS w FROM 'in' LIMIT 2"
	assert_output $'{"ts":1, "v":1.50,"w":3}\n{"ts":2,"v":2,"w":4}'
}

@test "io_contract: a filter, and a grouped query of two programs" {
	io_contract weir-sql "SELECT * FROM stdin WHERE v >= 0"
	io_contract weir-sql "SELECT id, count(*) * 2 AS twice FROM stdin GROUP BY id"
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-sql.1"
	mandoc -T lint -W warning "$ROOT/man/weir-sql.1"
}
