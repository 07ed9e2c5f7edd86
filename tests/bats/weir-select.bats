#!/usr/bin/env bats
# weir-select and --where: PostgreSQL's expressions, with PostgreSQL itself
# as the reference; bytes kept; every line accounted for.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

@test "every expression of the corpus means what PostgreSQL 15 says it means, on every event" {
	# under the sanitizers the fuzz target's corpus replays these
	# expressions over these events (tests/fuzz/corpus/expr)
	[ "$WEIR_BIN" = bin ] || skip "replayed under ASan by fuzz_expr's corpus"
	# tests/lib/pgref.py starts Debian's PostgreSQL in a temporary directory
	# and stops it; the corpus marks the known differences
	run python3 "$LIB/pgref.py" "$ROOT/tests/expr/events.ndjson" "$ROOT/tests/expr/corpus.txt"
	assert_success
	assert_output --partial " 0 differ"
}

@test "a line --where keeps is written byte for byte; the others are counted as filtered" {
	printf '%s\n' '{"ts":1, "status":500 ,"v":246.0}' '{"ts":2,"status":200}' \
	    '{ "ts":3,"status":"503","p":"\u00e9"}' '{"ts":4}' > in
	run --separate-stderr weir-select --where "status >= 500" --stats in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1, "status":500 ,"v":246.0}' '{ "ts":3,"status":"503","p":"\u00e9"}')"
	[[ "$stderr" == *'"in":4,"out":2,"late":0,"rejected":0,"dropped":0,"filtered":2,'* ]]
}

@test "--set adds or replaces members and keeps every other byte; --keep and --drop take top-level members" {
	printf '%s\n' '{ "a" : 1 , "b":"x",  "c":[1, 2] }' > in
	run weir-select --set 'a = a + 1' --set "d = b || '!'" in
	assert_output '{ "a" : 2 , "b":"x",  "c":[1, 2] ,"d":"x!"}'
	run weir-select --drop a in
	assert_output '{ "b":"x",  "c":[1, 2] }'
	run weir-select --drop c in
	assert_output '{ "a" : 1 , "b":"x" }'
	run weir-select --keep 'c,b' in
	assert_output '{ "b":"x",  "c":[1, 2] }'
	# every --set sees the event as it came, as one SELECT list sees one row
	run weir-select --set 'a = 10' --set 'e = a' in
	assert_output '{ "a" : 10 , "b":"x",  "c":[1, 2] ,"e":1}'
	# a member name that needs escaping is written escaped
	printf '%s\n' '{}' | weir-select --set '"q" = 1' > got
	assert_equal "$(cat got)" '{"\"q\"":1}'
	run weir-select --set 'n = NULL' --set 't = TRUE' --set "s = 'tab	é'" --set 'f = 1.0 / 4' in
	assert_output '{ "a" : 1 , "b":"x",  "c":[1, 2] ,"n":null,"t":true,"s":"tab\té","f":0.25}'
}

@test "numbers keep their text when passed through; strings that read as numbers compare as numbers" {
	printf '%s\n' '{"x":246.0,"big":12345678901234567890,"s":"0.123","i":9007199254740993}' > in
	run weir-select --set 'y = x' --set 'z = big' --set 'w = s > 0.1' --set 'j = i + 0' in
	assert_output '{"x":246.0,"big":12345678901234567890,"s":"0.123","i":9007199254740993,"y":246.0,"z":12345678901234567890,"w":true,"j":9007199254740993}'
}

@test "--where in every program equals weir-select --where in front of it, byte for byte" {
	# what it checks is the driver's decision, not memory: the plain run suffices
	[ "$WEIR_BIN" = bin ] || skip "checked on the plain build"
	ref events 3000 7 3000 > raw
	# a status per event, as the reference's events have none
	python3 - raw > in <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    o = json.loads(l)
    o["status"] = [200, 200, 404, 500, 503][i % 5]
    o["path"] = ["/api/a", "/b", "/api/c"][i % 3]
    print(json.dumps(o, separators=(",", ":")))
PY
	where="status >= 500 OR path LIKE '/api/%'"
	for prog in "weir-watermark --lag 2s" "weir-window tumbling 10s" \
	    "weir-agg --window 10s --lag 2s --by status count" "weir-dedupe --key path --within 5s" \
	    "weir-replay"; do
		read -ra cmd <<<"$prog"
		"${cmd[@]}" --where "$where" < in > a 2>/dev/null
		weir-select --where "$where" < in | "${cmd[@]}" > b 2>/dev/null
		cmp a b || { echo "differs: $prog"; return 1; }
	done
	# weir-profile reports the lines it read, and of them how many --where
	# left out; all else is the same
	weir-profile --where "$where" < in | jq -c 'del(.lines, .filtered)' > a
	weir-select --where "$where" < in | weir-profile | jq -c 'del(.lines)' > b
	cmp a b
	assert_equal "$(weir-profile --where "$where" < in | jq -c '[.lines, .filtered, .events]')" \
	    "[3000,$(($(weir-select --where "NOT ($where)" < in | wc -l))),$(weir-select --where "$where" < in | wc -l)]"
	weir-join --where "$where" --on path --within 5s in in > a 2>/dev/null
	weir-join --on path --within 5s <(weir-select --where "$where" in) \
	    <(weir-select --where "$where" in) > b 2>/dev/null
	cmp a b
}

@test "with --where the sums still add up: in = out + late + rejected + dropped + filtered + held" {
	# what it checks is the driver's decision, not memory: the plain run suffices
	[ "$WEIR_BIN" = bin ] || skip "checked on the plain build"
	ref events 2000 9 4000 > raw
	{ head -n 1000 raw; printf 'not json\n{"no":"time"}\n'; tail -n +1001 raw; } > in
	for prog in "weir-select" "weir-watermark --lag 1s" "weir-window tumbling 5s" \
	    "weir-agg --window 5s --lag 1s count" "weir-dedupe --key v --within 2s" "weir-replay"; do
		read -ra cmd <<<"$prog"
		"${cmd[@]}" --where "id % 3 <> 0 AND 10 / (id % 7) > 1" --stats < in > /dev/null 2> err
		python3 - err "$prog" <<'PY'
import json, sys
s = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
assert s["filtered"] > 0 and s["rejected"] > 2, (sys.argv[2], s)
assert s["in"] == s["out"] + s["late"] + s["rejected"] + s["dropped"] + s["filtered"] + s["held"], (sys.argv[2], s)
PY
	done
}

@test "a filtered event moves no watermark: it cannot make a later event late" {
	printf '%s\n' '{"ts":"2026-01-01T00:00:10Z","k":"skip"}' '{"ts":"2026-01-01T00:00:01Z","k":"keep"}' > in
	run --separate-stderr weir-watermark --where "k = 'keep'" --stats in
	assert_output '{"ts":"2026-01-01T00:00:01Z","k":"keep"}'
	[[ "$stderr" == *'"late":0'*'"filtered":1'* ]]
}

@test "a bad expression is a usage error with a caret under the place" {
	printf '%s\n' '{"ts":1}' > in
	run --separate-stderr weir-select --where "status >== 500" in
	assert_failure 2
	[[ "$stderr" == *"bad --where: "* ]]
	[[ "$stderr" == *"  status >== 500"$'\n'"         ^"* ]]
	run --separate-stderr weir-agg --where "lower(host) = 'a' AND nosuch(x)" count in
	assert_failure 2
	[[ "$stderr" == *"function nosuch does not exist"*$'\n'"  lower(host) = 'a' AND nosuch(x)"$'\n'"                        ^"* ]]
	# constants are evaluated at start: their errors are found there
	for expr in "1 / 0" "'abc'::int" "status + 'abc'" "status ~ '('" "a, b" "1 FROM t"; do
		run --separate-stderr weir-select --where "$expr" in
		assert_failure 2
	done
	run --separate-stderr weir-select --set 'nothing' in
	assert_failure 2
	[[ "$stderr" == *"expected NAME=EXPR"* ]]
	run --separate-stderr weir-select --where "now() > ts" in
	assert_failure 2
	[[ "$stderr" == *"event_time()"* ]]
}

@test "jq's and C's habits get SQL's word for them" {
	printf '%s\n' '{"m":"GET","s":200}' > in
	run --separate-stderr weir-select --where 's == 200' in
	assert_failure 2
	[[ "$stderr" == *"(SQL's equality is =)"* ]]
	run --separate-stderr weir-select --where 's = 200 && m = 1' in
	[[ "$stderr" == *"(SQL's conjunction is AND)"* ]]
	run --separate-stderr weir-select --where '!(s = 200)' in
	[[ "$stderr" == *"(SQL's negation is NOT)"* ]]
	# double quotes name a field: the warning says so
	run --separate-stderr weir-select --where 'm = "GET"' in
	assert_success
	assert_output ""
	[[ "$stderr" == *"--where GET (a string is in single quotes: 'text'; double quotes name a field): no event had the field 'GET'"* ]]
}

@test "an expression that fails on a line rejects that line as --on-error says, naming the expression" {
	printf '%s\n' '{"ts":1,"a":1,"b":0}' '{"ts":2,"a":1,"b":2}' '{"ts":3,"a":"x","b":1}' > in
	run --separate-stderr weir-select --where "a / b >= 0" --errors errs in
	assert_success
	assert_output '{"ts":2,"a":1,"b":2}'
	[[ "$stderr" == *"in:1: --where 'a / b >= 0': division by zero"* ]]
	[[ "$stderr" == *'in:3: --where '"'"'a / b >= 0'"'"': invalid input syntax for type numeric: "x"'* ]]
	assert_equal "$(cat errs)" "$(sed -n '1p;3p' in)"
	run weir-select --where "a / b >= 0" --on-error fail in
	assert_failure 65
	run --separate-stderr weir-select --set "c = a / b" --stats in
	assert_output '{"ts":2,"a":1,"b":2,"c":0}'
	[[ "$stderr" == *'"in":3,"out":1,"late":0,"rejected":2'* ]]
}

@test "fields no event has are named at exit, with the nearest name" {
	printf '%s\n' '{"ts":1,"status":500}' > in
	run --separate-stderr weir-select --where "stauts >= 500" in
	assert_success
	[[ "$stderr" == *"--where stauts: no event had the field 'stauts'; the first event has 'status'"* ]]
}

@test "event_time() is the time the program assigns; weir-select reads one only when asked" {
	printf '%s\n' '{"t":"2026-11-23T10:00:05Z"}' '{"x":1}' > in
	run --separate-stderr weir-select -t t --set "h = extract(hour from event_time())" --set "m = date_trunc('minute', event_time())" in
	assert_output '{"t":"2026-11-23T10:00:05Z","h":10,"m":"2026-11-23T10:00:00Z"}'
	[[ "$stderr" == *"in:2"* ]]
	# without event_time() lines need no time at all
	run weir-select --where "x = 1" in
	assert_output '{"x":1}'
}

@test "watermark lines and checkpoint barriers pass through weir-select" {
	printf '%s\n' '{"ts":1,"a":1}' '{"_watermark":"2026-01-01T00:00:00Z"}' '{"_checkpoint":3}' '{"ts":2,"a":2}' > in
	run weir-select --where "a = 2" in
	assert_output "$(printf '%s\n' '{"_watermark":"2026-01-01T00:00:00Z"}' '{"_checkpoint":3}' '{"ts":2,"a":2}')"
}

@test "batch equals stream" {
	ref events 2000 3 2000 > in
	batch_equals_stream in weir-select --where "v % 3 = 0" --set "w = v * 2" --drop id
}

@test "regular expressions: PCRE2's, with PostgreSQL's operators" {
	printf '%s\n' '{"p":"/api/v2/x"}' '{"p":"/API/v10/y"}' '{"p":"/static"}' > in
	run weir-select --where "p ~ '^/api/v[0-9]+/'" in
	assert_output '{"p":"/api/v2/x"}'
	run weir-select --where "p ~* '^/api/v\\d+/'" in
	assert_output "$(sed -n '1,2p' in)"
	run weir-select --where "p !~ 'api'" in
	assert_output "$(sed -n '2,3p' in)"
	run weir-select --set "q = regexp_replace(p, '/v([0-9]+)/', '/version-\\1/')" --keep q in
	assert_output "$(printf '%s\n' '{"q":"/api/version-2/x"}' '{"q":"/API/version-10/y"}' '{"q":"/static"}')"
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-select.1"
	mandoc -T lint -W warning "$ROOT/man/weir-select.1"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-select --where "v >= 10" --set "w = v + 1"
}

@test "no data race where the two threads share the scan of each block (ThreadSanitizer)" {
	[ "$WEIR_BIN" = bin ] || skip "the ThreadSanitizer build runs once, with the plain build's suite"
	tsan="$ROOT/build/tsan/bin/weir-select"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	# 40,000 events: about 12 blocks, each scanned 64 lines at a time by
	# whichever thread comes first; a bad line now and then
	awk 'BEGIN { s = 7; for (i = 0; i < 40000; i++) { s = (s * 1103515245 + 12345) % 2147483648
	    if (i % 997 == 0) { print "not json"; continue }
	    printf "{\"ts\":%d,\"status\":%d,\"latency_ms\":%d.%d,\"path\":\"/p%d\"}\n",
	        1795428000 + i, (s % 5 == 0) ? 500 : 200, s % 1000, s % 10, s % 13 } }' > in.ndjson
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" --where "status >= 500 OR latency_ms > 900" --set "s = latency_ms / 1000" \
	    --stats < in.ndjson > tsan.out 2> tsan.err
	weir-select --where "status >= 500 OR latency_ms > 900" --set "s = latency_ms / 1000" \
	    < in.ndjson > plain.out
	cmp plain.out tsan.out
	[ -s plain.out ]
	run grep -c "ThreadSanitizer" tsan.err
	assert_output 0
}
