#!/usr/bin/env bats
# weir-window: window assignment, sessions, --collect, lateness, bad input.
# Expected results come from tests/lib/reference.py (an independent
# implementation of SPEC §5/§6) or from worked examples.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

# keyed events: 2000, gaps of 0.1 s to 30 s, disorder up to 8 s, a nested
# key field missing from most
keyed_events() {
	python3 - <<'PY'
import random
rng = random.Random(5)
evs, t = [], 1795428000000
for i in range(2000):
    t += rng.choice([100, 500, 2000, 7000, 12000, 30000])
    evs.append((t + rng.randint(0, 8000), i, t))
evs.sort()
for _, i, ms in evs:
    extra = '' if rng.random() < 0.9 else ',"u":{"id":%d}' % rng.randrange(3)
    print('{"ts":%d,"host":"h%d","n":%d%s}' % (ms, rng.randrange(4), i, extra))
PY
}

@test "tumbling and sliding annotate every event as the reference does, RFC 3339 and epoch" {
	for fmt in rfc3339 epoch_ms epoch_s; do
		ref events 300 3 3000 "$fmt" > in.ndjson
		ref window tumbling 60 0 0 - 0 in.ndjson > expect
		weir-window tumbling 1m < in.ndjson > got
		cmp expect got
		ref window sliding 60 15 0 - 0 in.ndjson > expect
		weir-window sliding 1m 15s < in.ndjson > got
		cmp expect got
		# SIZE/SLIDE copies of each event
		[ "$(wc -l < got)" -eq $((4 * 300)) ]
	done
}

@test "sessions and --collect windows match the reference for several lags, keys and allowed lateness" {
	keyed_events > in.ndjson
	# under the sanitizers one lag covers the same code
	lags="0 3 10"
	[ "$WEIR_BIN" = bin ] || lags=3
	n=0
	for lag in $lags; do
		for by in - host host,u.id; do
			for late in 0 5; do
				opt=()
				[ "$by" = - ] || opt=(--by "$by")
				ref_queue expect.$((n += 1)) window session 10 10 "$lag" "$by" 0 in.ndjson "$late"
				weir-window session 10s "${opt[@]}" --lag "${lag}s" --allowed-lateness "${late}s" < in.ndjson > got.$n 2>/dev/null
				ref_queue expect.$((n += 1)) window tumbling 60 0 "$lag" "$by" 1 in.ndjson "$late"
				weir-window tumbling 1m "${opt[@]}" --collect --lag "${lag}s" --allowed-lateness "${late}s" < in.ndjson > got.$n 2>/dev/null
				ref_queue expect.$((n += 1)) window sliding 60 20 "$lag" "$by" 1 in.ndjson "$late"
				weir-window sliding 1m 20s "${opt[@]}" --collect --lag "${lag}s" --allowed-lateness "${late}s" < in.ndjson > got.$n 2>/dev/null
			done
		done
	done
	ref_run
	for i in $(seq "$n"); do
		cmp expect.$i got.$i
	done
}

@test "a gap of exactly GAP splits a session and just under merges it" {
	printf '%s\n' '{"ts":0}' '{"ts":10}' '{"ts":19.999}' > in
	run weir-window session 10s
	run weir-window session 10s < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":0,"window_start":0,"window_end":10}' \
		'{"ts":10,"window_start":10,"window_end":29.999}' '{"ts":19.999,"window_start":10,"window_end":29.999}')"
}

@test "an out-of-order event that bridges two sessions merges them" {
	# [100,110) and [115,125) are apart; 108 touches both: [100,125)
	printf '%s\n' '{"ts":100,"k":"a"}' '{"ts":115,"k":"a"}' '{"ts":108,"k":"a"}' > in
	run weir-window session 10s --by k --lag 1m --collect < in
	assert_success
	assert_output '{"window_start":100,"window_end":125,"k":"a","count":3,"events":[{"ts":100,"k":"a"},{"ts":108,"k":"a"},{"ts":115,"k":"a"}]}'
}

@test "sessions ending together fire by start, also when one grew backwards after the other began" {
	# B's session [20,30) and A's began together; A's earlier event moves
	# its start to 12, so A's fires first (end, then start, then key)
	run sh -c "printf '%s\n' '{\"ts\":20,\"k\":\"B\"}' '{\"ts\":20,\"k\":\"A\"}' '{\"ts\":12,\"k\":\"A\"}' |
	    weir-window session 10 --by k --lag 100"
	assert_success
	assert_output "$(printf '%s\n' '{"ts":12,"k":"A","window_start":12,"window_end":30}' \
	    '{"ts":20,"k":"A","window_start":12,"window_end":30}' \
	    '{"ts":20,"k":"B","window_start":20,"window_end":30}')"
}

@test "--offset shifts the bounds" {
	run weir-window tumbling 1h --offset 15m <<< '{"ts":"2026-11-23T10:05:00Z"}'
	assert_output '{"ts":"2026-11-23T10:05:00Z","window_start":"2026-11-23T09:15:00Z","window_end":"2026-11-23T10:15:00Z"}'
	run weir-window tumbling 1h --offset 15m <<< '{"ts":"2026-11-23T10:20:00Z"}'
	assert_output '{"ts":"2026-11-23T10:20:00Z","window_start":"2026-11-23T10:15:00Z","window_end":"2026-11-23T11:15:00Z"}'
}

@test "every time format lands in the right window: %z patterns, nested -t, numeric strings" {
	run weir-window tumbling 1h -t meta.when -T '%d/%b/%Y:%H:%M:%S %z' <<< '{"meta":{"when":"23/Nov/2026:01:30:00 -0900"}}'
	assert_output '{"meta":{"when":"23/Nov/2026:01:30:00 -0900"},"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T11:00:00Z"}'
	run weir-window tumbling 1m -t __REALTIME_TIMESTAMP <<< '{"__REALTIME_TIMESTAMP":"1795428030250000"}'
	assert_output '{"__REALTIME_TIMESTAMP":"1795428030250000","window_start":1795428000000000,"window_end":1795428060000000}'
	run weir-window tumbling 1m -T epoch_ms <<< '{"ts":1795428030250}'
	assert_output '{"ts":1795428030250,"window_start":1795428000000,"window_end":1795428060000}'
	run weir-window tumbling 1m --time-output rfc3339 <<< '{"ts":1795428030}'
	assert_output '{"ts":1795428030,"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T10:01:00Z"}'
	run weir-window tumbling 1m --time-output epoch_ms <<< '{"ts":"2026-11-23T10:00:30Z"}'
	assert_output '{"ts":"2026-11-23T10:00:30Z","window_start":1795428000000,"window_end":1795428060000}'
}

@test "windows far before 1970 and near 2262; a bound out of range is a rejected line" {
	run --separate-stderr weir-window tumbling 1d <<< '{"ts":"1700-03-01T12:00:00Z"}'
	assert_success
	assert_output '{"ts":"1700-03-01T12:00:00Z","window_start":"1700-03-01T00:00:00Z","window_end":"1700-03-02T00:00:00Z"}'
	run --separate-stderr weir-window tumbling 1d <<< '{"ts":"2262-04-11T12:00:00Z"}'
	assert_success
	assert_output ""
	[[ "$stderr" == *"stdin:1: window out of range"* ]]
	run --separate-stderr weir-window session 1h <<< '{"ts":"2262-04-11T23:30:00Z"}'
	assert_output ""
	[[ "$stderr" == *"window out of range"* ]]
	run --separate-stderr weir-window tumbling 1d <<< '{"ts":"1677-09-21T00:12:44Z"}'
	[[ "$stderr" == *"window out of range"* ]]
}

@test "annotation never drops an event as late; sessions and --collect route late events by --late" {
	printf '%s\n' '{"ts":100}' '{"ts":200}' '{"ts":50}' > in
	run --separate-stderr weir-window tumbling 10s --stats < in
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *'"late":0'* ]]
	run weir-window session 10s --late late.ndjson < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":100,"window_start":100,"window_end":110}' '{"ts":200,"window_start":200,"window_end":210}')"
	assert_equal "$(cat late.ndjson)" '{"ts":50}'
	run --separate-stderr weir-window tumbling 10s --collect < in
	[[ "$stderr" == *"1 late event dropped"*"--lag"* ]]
}

@test "--allowed-lateness re-fires a window with the late event" {
	printf '%s\n' '{"ts":1}' '{"ts":12}' '{"ts":2}' '{"ts":30}' '{"ts":3}' > in
	run --separate-stderr weir-window tumbling 10s --collect --allowed-lateness 10s < in
	assert_success
	# [0,10) fires at 12, again with 2; at 30 it is dropped, so 3 is late
	assert_output "$(printf '%s\n' \
		'{"window_start":0,"window_end":10,"count":1,"events":[{"ts":1}]}' \
		'{"window_start":0,"window_end":10,"count":2,"events":[{"ts":1},{"ts":2}]}' \
		'{"window_start":10,"window_end":20,"count":1,"events":[{"ts":12}]}' \
		'{"window_start":30,"window_end":40,"count":1,"events":[{"ts":30}]}')"
}

@test "every line is accounted for: in = out + late + rejected + held" {
	keyed_events > in.ndjson
	printf '%s\n' 'nope' '{"ts":"2262-04-11T23:59:00Z"}' >> in.ndjson
	weir-window sliding 1m 20s --collect --by host --lag 2s --on-error skip --stats < in.ndjson > out 2> err
	python3 - "$(tail -n 1 err)" "$(wc -l < in.ndjson)" "$(wc -l < out)" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["in"] == int(sys.argv[2]), s
assert s["in"] == s["out"] + s["late"] + s["rejected"] + s["dropped"] + s["held"], s
assert s["held"] == 0 and s["rejected"] == 2, s
assert s["rows"] == int(sys.argv[3]), s
PY
}

@test "windows fire when a watermark line arrives, before it is forwarded" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:01Z","k":1}' '{"_watermark":"2026-11-23T10:00:10Z"}' '{"ts":"2026-11-23T10:00:20Z","k":2}' > in
	run weir-window tumbling 10s --collect < in
	assert_success
	assert_output "$(printf '%s\n' \
		'{"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T10:00:10Z","count":1,"events":[{"ts":"2026-11-23T10:00:01Z","k":1}]}' \
		'{"_watermark":"2026-11-23T10:00:10Z"}' \
		'{"window_start":"2026-11-23T10:00:20Z","window_end":"2026-11-23T10:00:30Z","count":1,"events":[{"ts":"2026-11-23T10:00:20Z","k":2}]}')"
	run weir-window tumbling 10s <<< '{"_checkpoint":3}'
	assert_output '{"_checkpoint":3}'
}

@test "batch = stream for annotation, sessions and --collect" {
	keyed_events > in.ndjson
	batch_equals_stream in.ndjson weir-window sliding 1m 20s
	batch_equals_stream in.ndjson weir-window session 10s --by host --lag 3s --allowed-lateness 5s --late pass
	batch_equals_stream in.ndjson weir-window tumbling 1m --by host --collect --lag 3s
}

@test "bad input: not JSON, no time, bad time, binary, a 10 MB line, empty input" {
	printf '%s\n' 'not json' '{"x":1}' '{"ts":"soon"}' '{"ts":"3000-01-01T00:00:00Z"}' > in
	printf '\x00\x01\xff\n' >> in
	python3 -c 'print("{\"ts\":5,\"blob\":\"" + "y" * 10_000_000 + "\"}")' >> in
	run --separate-stderr weir-window tumbling 1m --errors bad.ndjson < in
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *'"window_start":0,"window_end":60}' ]]
	head -n 5 in > expect.bad
	cmp expect.bad bad.ndjson
	[[ "$stderr" == *"stdin:1: not a JSON object"* ]]
	[[ "$stderr" == *"stdin:2: no event time"* ]]
	[[ "$stderr" == *"stdin:3: unparseable time"* ]]
	[[ "$stderr" == *"stdin:4: time out of range"* ]]
	[[ "$stderr" == *"stdin:5:"* ]]
	run weir-window session 1m < /dev/null
	assert_success
	assert_output ""
	run weir-window tumbling 1m --on-error fail < in
	assert_failure 65
}

@test "usage errors exit 2 and say what is wrong" {
	run --separate-stderr weir-window
	assert_failure 2
	[[ "$stderr" == *"window kind is needed"* ]]
	run --separate-stderr weir-window hopping 1m
	assert_failure 2
	[[ "$stderr" == *"unknown window kind 'hopping'"* ]]
	run --separate-stderr weir-window tumbling
	assert_failure 2
	[[ "$stderr" == *"tumbling SIZE needs a duration"* ]]
	run --separate-stderr weir-window tumbling 0s
	assert_failure 2
	run --separate-stderr weir-window sliding 1m 2m
	assert_failure 2
	[[ "$stderr" == *"SLIDE '2m' is longer than SIZE '1m'"* ]]
	run --separate-stderr weir-window session 5m --offset 1m
	assert_failure 2
	run --separate-stderr weir-window session 5m --by 'a,,b'
	assert_failure 2
	[[ "$stderr" == *"--by"* ]]
	run --separate-stderr weir-window tumbling 1m --allowed-lateness soon
	assert_failure 2
	[[ "$stderr" == *"--allowed-lateness"* ]]
}

@test "a closed pipe is quiet, /dev/full exits 1" {
	ref events 20000 3 1000 > in.ndjson
	weir-window sliding 1m 10s < in.ndjson 2> err | head -n 1 > first
	assert_equal "${PIPESTATUS[0]}" 0
	[ ! -s err ]
	run --separate-stderr sh -c 'weir-window tumbling 1m < in.ndjson > /dev/full'
	assert_failure 1
	[[ "$stderr" == *"cannot write standard output"* ]]
}

@test "CSV in and out" {
	printf 'ts,host\n65,a\n5,b\n' > in.csv
	run weir-window tumbling 1m -i csv -o csv < in.csv
	assert_success
	assert_output "$(printf '%s\n' 'ts,host,window_start,window_end' '65,a,60,120' '5,b,0,60')"
}

@test "the dispatcher, --help and --version" {
	run weir window tumbling 1m <<< '{"ts":1}'
	assert_output '{"ts":1,"window_start":0,"window_end":60}'
	run weir-window --help
	assert_success
	assert_output --partial "usage: weir-window tumbling SIZE"
	run weir-window --version
	assert_output --regexp '^weir-window [0-9]'
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-window.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-window.1"
	assert_output ""
}

@test "no data race between the reader thread and the windows (ThreadSanitizer)" {
	tsan="$ROOT/build/tsan/bin/weir-window"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	keyed_events > in.ndjson
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" session 10s --by host --lag 3s < in.ndjson > tsan.out 2> tsan.err
	weir-window session 10s --by host --lag 3s < in.ndjson > plain.out
	cmp plain.out tsan.out
	run grep -c ThreadSanitizer tsan.err
	assert_output 0
}

@test "--tz: windows of local time, each event in the one its local time falls in, also where the clocks skip or repeat an hour" {
	ref tz-events America/New_York 11 2026-03-08 2026-11-01 > in
	ref tz-windows America/New_York 7200 3600 in | sort > expect
	# --collect: one row per window; two windows that start where the
	# clocks skip an hour (02:00 and 03:00 local, the same instant) stay two
	weir-window sliding 2h 1h --tz America/New_York --collect in |
	    jq -c '{window_start, window_end, count}' | sort > got
	diff expect got
	# annotated events: as many per window as the reference counts
	weir-window sliding 2h 1h --tz America/New_York in |
	    jq -r '[.window_start, .window_end] | @tsv' | sort | uniq -c |
	    awk '{print "{\"window_start\":\"" $2 "\",\"window_end\":\"" $3 "\",\"count\":" $1 "}"}' |
	    sort > got
	diff expect got
	batch_equals_stream in weir-window tumbling 1d --tz America/New_York
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-window tumbling 1s
}
