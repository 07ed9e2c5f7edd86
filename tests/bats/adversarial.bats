#!/usr/bin/env bats
# Input built to hurt: deep nesting, huge lines, bad bytes, duplicate keys,
# numbers and times at the edges, one key with everything.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "100k levels of nesting are a rejected line, not a stack overflow" {
	python3 -c 'print("{\"ts\":1,\"a\":" + "[" * 100000 + "]" * 100000 + "}"); print("{\"ts\":2}")' > in
	for cmd in "weir-watermark" "weir-agg count" "weir-dedupe" "weir-window tumbling 1s"; do
		run --separate-stderr sh -c "$cmd < in"
		assert_success
		[[ "$stderr" == *"stdin:1:"*"deep"* || "$stderr" == *"stdin:1:"*"nest"* ]]
	done
	run --separate-stderr weir-agg count < in
	assert_output '{"count":1}'
}

@test "a 100 MB line passes byte for byte" {
	python3 -c 'import sys; sys.stdout.write("{\"ts\":1,\"blob\":\"" + "x" * 100_000_000 + "\"}\n{\"ts\":2}\n")' > in
	weir-watermark < in > out
	cmp in out
	run weir-agg count < in
	assert_output '{"count":2}'
}

@test "invalid UTF-8 and NUL bytes are rejected lines, kept byte for byte in --errors" {
	printf '{"ts":1,"s":"\xc3\x28"}\n{"ts":2,"s":"a\x00b"}\n{"ts":3}\n\x00\x00\x00\n' > in
	run --separate-stderr weir-watermark --errors rej < in
	assert_output '{"ts":3}'
	[ "$(wc -l < rej)" -eq 3 ]
	head -n 1 rej | cmp - <(head -n 1 in)
}

@test "duplicate keys: the first one is read, the bytes are kept" {
	printf '{"ts":5,"ts":1,"k":"a","k":"b"}\n' > in
	run weir-window tumbling 10s --collect --by k < in
	assert_output '{"window_start":0,"window_end":10,"k":"a","count":1,"events":[{"ts":5,"ts":1,"k":"a","k":"b"}]}'
}

@test "numbers beyond double range and times at the edges of 1678..2262" {
	printf '%s\n' '{"ts":1,"v":1e400}' '{"ts":2,"v":-1e400}' '{"ts":3,"v":5}' > in
	run weir-agg sum:v max:v min:v count < in
	assert_success
	# the infinities cancel into NaN: written as null, never as inf or nan
	assert_output '{"sum_v":null,"max_v":1e400,"min_v":-1e400,"count":3}'
	printf '%s\n' '{"ts":"1677-09-21T00:12:43.145224192Z"}' '{"ts":"2262-04-11T23:47:16.854775807Z"}' \
	    '{"ts":"1677-09-21T00:12:43.145224191Z"}' '{"ts":"2262-04-11T23:47:16.854775808Z"}' > edges
	run --separate-stderr weir-watermark --stats < edges
	assert_output "$(head -n 2 edges)"
	[[ "$stderr" == *'"rejected":2'* ]]
	# windows that would end past 2262 are rejected, not wrapped
	run --separate-stderr weir-agg --window 1h count < edges
	[[ "$stderr" == *"window out of range"* ]]
}

@test "one key with most of a million events: state stays one group" {
	awk 'BEGIN { for (i = 0; i < 1000000; i++)
		printf "{\"ts\": %d, \"k\": \"%s\"}\n", int(i / 100), i % 2 ? "hot" : "k" i % 1000 }' > in
	run --separate-stderr weir-agg --window 1m --by k --stats count < in
	assert_success
	python3 - "$stderr" <<'PY'
import json, sys
s = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][-1])
assert s["in"] == 1000000 == s["out"], s
assert s["groups"] == 0 and s["state_bytes"] < 1 << 20, s
PY
	[ "$(grep -c '"k":"hot"' <<< "$output")" -eq 167 ]	# 10,000 s of event time in minutes
}
