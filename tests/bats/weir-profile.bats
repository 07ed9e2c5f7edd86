#!/usr/bin/env bats
# weir-profile: the report's figures against exact computations in the test.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

field() {	# field JSON NAME: one value of the report
	python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(eval("v" + sys.argv[2]))' "$1" "$2"
}

@test "the suggested lag, applied to weir-watermark, leaves at most 1 - P of events late" {
	ref events 20000 13 6000 > in.ndjson
	for p in 0.5 0.9 0.99 0.999 1; do
		report=$(weir-profile --completeness "$p" < in.ndjson)
		lag=$(field "$report" '["suggested_lag"]')
		weir-watermark --lag "$lag" --stats < in.ndjson > /dev/null 2> err
		python3 - "$(tail -n 1 err)" "$p" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), float(sys.argv[2])
assert s["late"] <= (1 - p) * s["in"] + 1e-9, (s["late"], p)
PY
	done
}

@test "disorder quantiles within 1% of the exact ones, computed here" {
	ref events 20000 17 6000 epoch_ms > in.ndjson
	report=$(weir-profile < in.ndjson)
	python3 - "$report" in.ndjson <<'PY'
import json, math, sys
r = json.loads(sys.argv[1])
mx, d = None, []
for line in open(sys.argv[2]):
    t = json.loads(line)["ts"]                      # whole milliseconds
    d.append(mx - t if mx is not None and t < mx else 0)
    mx = t if mx is None or t > mx else mx
d = sorted(x / 1000 for x in d)
n = len(d)
for name, q in (("p50", .5), ("p90", .9), ("p99", .99), ("p99.9", .999)):
    exact = d[max(0, math.ceil(q * n) - 1)]
    got = r["disorder_seconds"][name]
    assert abs(got - exact) <= 0.0101 * exact + 1e-9, (name, got, exact)
assert abs(r["disorder_seconds"]["max"] - d[-1]) < 1e-6
assert r["events"] == n and r["lines"] == n and r["rejected"] == 0
assert r["time_format"] == "epoch_ms"
PY
}

@test "span, rate, peak per second and first/last, on a worked example" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:03Z"}' '{"ts":"2026-11-23T10:00:00.5Z"}' \
		'{"ts":"2026-11-23T10:00:00.9Z"}' '{"ts":"2026-11-23T10:00:00.1Z"}' '{"ts":"2026-11-23T10:00:04Z"}' > in
	run weir-profile < in
	assert_success
	python3 - "$output" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["first"] == "2026-11-23T10:00:03Z" and r["last"] == "2026-11-23T10:00:04Z", r
assert r["min"] == "2026-11-23T10:00:00.1Z" and r["max"] == "2026-11-23T10:00:04Z", r
assert abs(r["span_seconds"] - 3.9) < 1e-9, r
assert abs(r["events_per_second"] - 5 / 3.9) < 1e-6, r
assert r["peak_events_per_second"] == 3, r          # three in 10:00:00
# disorder: 0, 2.5, 2.1, 2.9, 0 -> max 2.9; p50 (3rd of 5) 2.1
assert abs(r["disorder_seconds"]["max"] - 2.9) < 1e-9, r
assert abs(r["disorder_seconds"]["p50"] - 2.1) <= 0.021, r
assert abs(r["behind_share"] - 0.6) < 1e-9, r
PY
}

@test "repeated keys: exact shares and gaps on small data, approximate distinct count" {
	printf '%s\n' '{"ts":1,"id":"a"}' '{"ts":2,"id":"b"}' '{"ts":4,"id":"a"}' '{"ts":5}' \
		'{"ts":9,"id":"a"}' '{"ts":10,"id":"c","u":1}' > in
	run weir-profile --key id < in
	assert_success
	python3 - "$output" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["events_with_key"] == 5 and r["events_without_key"] == 1, r
assert r["repeated"] == 2 and abs(r["repeated_share"] - 0.4) < 1e-9, r
assert r["distinct_keys"] == 3, r
assert abs(r["repeat_gap_seconds"]["max"] - 5) < 1e-9, r   # a: 4 -> 9
assert r["suggested_within"] == "5s", r
PY
	ref events 5000 3 2000 > big.ndjson
	python3 - big.ndjson > keyed.ndjson <<'PY'
import random, sys
rng = random.Random(1)
for line in open(sys.argv[1]):
    print(line.rstrip()[:-1] + ',"k":"%d"}' % rng.randrange(3000))
PY
	report=$(weir-profile --key k < keyed.ndjson)
	python3 - "$report" keyed.ndjson <<'PY'
import json, sys
r = json.loads(sys.argv[1])
keys = [json.loads(l)["k"] for l in open(sys.argv[2])]
distinct = len(set(keys))
assert r["repeated"] == len(keys) - distinct, r
assert abs(r["distinct_keys"] - distinct) <= 0.02 * distinct, (r["distinct_keys"], distinct)
PY
}

@test "--max-keys bounds the keys followed and says how many events went untracked" {
	printf '%s\n' '{"ts":1,"id":1}' '{"ts":2,"id":2}' '{"ts":3,"id":3}' '{"ts":4,"id":1}' '{"ts":5,"id":3}' > in
	run weir-profile --key id --max-keys 2 < in
	assert_success
	python3 - "$output" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["repeated"] == 1 and r["untracked"] == 2, r
PY
}

@test "--human prints a table with a disorder histogram" {
	ref events 2000 5 3000 > in.ndjson
	run weir-profile --human --key id < in.ndjson
	assert_success
	assert_line --regexp '^events +2000$'
	assert_line --regexp '^suggested lag +--lag [0-9.]+m?s keeps 99.9% of events on time$'
	assert_line --regexp '^  0 \(in order\) +[0-9]+  #*$'
	assert_line --regexp '^distinct keys +[0-9]+ \(approximate\)$'
}

@test "empty input and bad input: rejected lines counted, named, kept" {
	run weir-profile < /dev/null
	assert_success
	python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["events"]==0 and r["suggested_lag"]=="0s", r' "$output"
	printf '%s\n' '{"ts":1}' 'junk' '{"x":1}' '{"ts":"2999-01-01T00:00:00Z"}' '{"_watermark":5}' > in
	run --separate-stderr weir-profile --errors bad.ndjson < in
	assert_success
	python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert (r["lines"], r["events"], r["rejected"], r["protocol_lines"]) == (5, 1, 3, 1), r' "$output"
	[[ "$stderr" == *"stdin:2: not a JSON object"* ]]
	assert_equal "$(cat bad.ndjson)" "$(sed -n '2,4p' in)"
	run weir-profile --completeness 1.5
	assert_failure 2
	run weir-profile --key 'a,,b'
	assert_failure 2
}

@test "SIGUSR1 prints a snapshot and goes on; SIGINT prints the report and ends" {
	mkfifo fifo
	weir-profile < fifo > out &
	pid=$!
	exec 7> fifo
	printf '%s\n' '{"ts":1}' '{"ts":2}' >&7
	wait_for_handler "$pid" 10	# SIGUSR1
	for i in $(seq 50); do kill -USR1 "$pid"; sleep 0.1; grep -q '"events":2' out && break; done
	printf '%s\n' '{"ts":3}' >&7
	for i in $(seq 50); do kill -USR1 "$pid"; sleep 0.1; grep -q '"events":3' out && break; done
	kill -INT "$pid"
	wait "$pid"
	exec 7>&-
	grep -q '"events":2' out
	tail -n 1 out | grep -q '"events":3'
}

@test "batch = stream, and the man page's EXAMPLES run as shown" {
	ref events 3000 7 4000 > in.ndjson
	batch_equals_stream in.ndjson weir-profile --key id
	batch_equals_stream in.ndjson weir-profile --human
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-profile.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-profile.1"
	assert_output ""
}

@test "a closed pipe and /dev/full" {
	ref events 100 7 1000 > in.ndjson
	run --separate-stderr sh -c 'weir-profile < in.ndjson > /dev/full'
	assert_failure 1
	weir-profile < in.ndjson 2> err | head -c 10 > /dev/null
	assert_equal "${PIPESTATUS[0]}" 0
}

@test "the report names the time field found and the -T pattern, not auto and rfc3339" {
	printf '%s\n' '{"@timestamp":"2026-11-23T10:00:00Z"}' > a
	run weir-profile a
	assert_output --partial '"time_field":"@timestamp","time_format":"rfc3339"'
	printf '%s\n' '{"w":"23/Nov/2026:10:00:00 +0000"}' > b
	run weir-profile -t w -T '%d/%b/%Y:%H:%M:%S %z' b
	assert_output --partial '"time_field":"w","time_format":"%d/%b/%Y:%H:%M:%S %z"'
	run weir-profile < /dev/null
	assert_output --partial '"time_field":null'
}

@test "the dedupe suggestion covers disorder: followed as printed, every repeat is caught and none is late" {
	# 300 keys, each sent twice up to 3 s apart (a retry), arriving up to 2 s out of order
	python3 - > in <<'PY'
import json, random
rng = random.Random(5)
evs = []
for k in range(300):
    t = k * 0.5
    evs.append((t, k))
    evs.append((t + rng.uniform(0.1, 3), k))
arrival = sorted(evs, key=lambda e: e[0] + rng.uniform(0, 2))
for t, k in arrival:
    print(json.dumps({"ts": round(t, 3), "id": "k%d" % k}))
PY
	run weir-profile --key id in
	assert_success
	flags=$(jq -r .suggested_dedupe <<<"$output")
	[[ "$flags" == "--key id --within "*" --lag "* ]]
	run --separate-stderr weir-dedupe $flags --stats in
	assert_success
	[ "${#lines[@]}" -eq 300 ]	# one of each key
	[[ "$stderr" == *'"in":600,"out":300,"late":0,'*'"dropped":300,'* ]]
}

@test "an event far ahead that nothing follows is an outlier, not decades of disorder for every later event" {
	# one host's clock in 2099 among events of 2026, up to 2 s out of order
	printf '%s\n' '{"ts":"2026-12-03T10:00:00Z"}' '{"ts":"2099-01-01T00:00:00Z"}' \
	    '{"ts":"2026-12-03T10:00:03Z"}' '{"ts":"2026-12-03T10:00:01Z"}' '{"ts":"2026-12-03T10:00:04Z"}' > in
	run weir-profile in
	assert_success
	python3 - "$output" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["suggested_lag"] == "2s", r          # 10:00:01 after 10:00:03, not after 2099
assert r["outliers_ahead"] == 1 and r["first_outlier"] == "2099-01-01T00:00:00Z", r
assert r["suggested_max_ahead"] == "1d", r
PY
	# and the suggestion, followed, keeps every other event on time
	run --separate-stderr weir-watermark --lag 2s --max-ahead 1d --stats in
	[[ "$stderr" == *'"in":5,"out":4,"late":0,"rejected":1,'* ]]
	# a stream that really moves on a day is no outlier
	printf '%s\n' '{"ts":"2026-12-01T10:00:00Z"}' '{"ts":"2026-12-05T10:00:00Z"}' \
	    '{"ts":"2026-12-05T10:00:02Z"}' '{"ts":"2026-12-05T10:00:01Z"}' > gap
	run weir-profile gap
	[ "$(jq -r .outliers_ahead <<<"$output")" = 0 ]
	[ "$(jq -r .suggested_lag <<<"$output")" = 1s ]
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-profile --key id
}
