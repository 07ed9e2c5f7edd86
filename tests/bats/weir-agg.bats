#!/usr/bin/env bats
# weir-agg: every function against an independent reference, windows,
# lateness, numbers, partial + merge, emit modes, bad input.
# Expected results come from tests/lib/reference.py (aggregates computed
# from each window's members, exactly) or from worked examples.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

ALL_AGGS=(count count:status sum:bytes sum:latency_ms sum:latency_ms:null=sum_latency_null
	min:latency_ms max:latency_ms
	avg:latency_ms stddev:latency_ms var:latency_ms first:path last:path distinct:path
	approx_distinct:user median:latency_ms p99:latency_ms p10:bytes top:3:path collect:status
	hist:bytes:exp:1000,4,5:cumulative)

# access events: seeded, disorder up to DISORDER ms, a nested field, some
# latency values missing, null or not numbers
access_events() {
	python3 - "$1" "${2:-4000}" "${3:-7}" <<'PY'
import json, random, sys
n, disorder, seed = int(sys.argv[2]), int(sys.argv[1]), int(sys.argv[3])
rng = random.Random(seed)
t, evs = 1795428000000, []
for i in range(n):
    t += rng.choice([10, 50, 200, 1000, 4000])
    e = {"ts": t, "host": "h%d" % rng.randrange(5), "path": rng.choice(["/", "/a", "/b", "/c"]),
         "status": rng.choice([200, 200, 200, 404, 500]), "bytes": rng.randrange(1, 10**6),
         "latency_ms": round(rng.lognormvariate(3, 1.2), 1), "user": "u%d" % rng.randrange(3000)}
    r = rng.random()
    if r < 0.02:
        del e["latency_ms"]
    elif r < 0.03:
        e["latency_ms"] = None
    elif r < 0.035:
        e["latency_ms"] = "slow"
    if rng.random() < 0.1:
        e["u"] = {"id": rng.randrange(3)}
    evs.append((t + rng.randint(0, disorder), i, e))
evs.sort(key=lambda x: (x[0], x[1]))
for _, _, e in evs:
    print(json.dumps(e, separators=(",", ":")))
PY
}

spec() {	# spec WINDOW SIZE SLIDE GAP LAG LATENESS BY: the reference's JSON
	local w=null by=[] aggs
	[ "$1" = - ] || w="\"$1\""
	[ "$7" = - ] || by="[\"${7//,/\",\"}\"]"
	aggs=$(printf '"%s",' "${ALL_AGGS[@]}")
	printf '{"window":%s,"size":"%s","slide":"%s","gap":"%s","lag":"%s","lateness":"%s","by":%s,"aggs":[%s]}\n' \
	    "$w" "$2" "$3" "$4" "$5" "$6" "$by" "${aggs%,}"
}

# check SPEC ARGS...: weir-agg ARGS over in.ndjson, its output kept for
# the reference to compare in one run at the end (ref agg-many checks)
check() {
	local n
	n=$(($(wc -l < checks 2>/dev/null || echo 0) + 1))
	weir-agg "${@:2}" < in.ndjson > "got.$n" 2>/dev/null
	printf '%s\tgot.%s\n' "$1" "$n" >> checks
}

@test "every function matches the reference, without windows and in tumbling, sliding and session windows, for several lags" {
	access_events 3000 > in.ndjson
	# several lags for one key: what the lag changes (which events are
	# late, when windows close) does not depend on the key; under the
	# sanitizers one lag covers the same code, and keeps make check short
	keysets="- host host,u.id"
	[ "$WEIR_BIN" = bin ] || keysets="- host,u.id"
	for by in $keysets; do
		opt=() lags=2
		[ "$by" = - ] || opt=(--by "$by")
		[ "$by" != host ] || [ "$WEIR_BIN" != bin ] || lags="0 2 10"
		check "$(spec - 0 0 0 0 0 "$by")" "${opt[@]}" "${ALL_AGGS[@]}"
		for lag in $lags; do
			check "$(spec tumbling 60 0 0 "$lag" 0 "$by")" \
			    --window 1m --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}"
			check "$(spec sliding 60 20 0 "$lag" 0 "$by")" \
			    --window 1m/20s --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}"
			check "$(spec session 0 0 3 "$lag" 0 "$by")" \
			    --window session:3s --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}"
		done
	done
	ref agg-many checks in.ndjson
}

@test "late events are left out by the SPEC rule, and --allowed-lateness re-fires a window with the updated row" {
	access_events 8000 > in.ndjson
	# under the sanitizers one allowed lateness covers the same code
	lates="0 3 20"
	[ "$WEIR_BIN" = bin ] || lates=3
	for late in $lates; do
		check "$(spec tumbling 10 0 0 1 "$late" host)" \
		    --window 10s --lag 1s --allowed-lateness "${late}s" --by host "${ALL_AGGS[@]}"
		check "$(spec session 0 0 2 1 "$late" host)" \
		    --window session:2s --lag 1s --allowed-lateness "${late}s" --by host "${ALL_AGGS[@]}"
	done
	ref agg-many checks in.ndjson
	# and the late ones are counted: in = out + late + rejected
	weir-agg --window 10s --lag 1s --by host --stats count < in.ndjson 2> err > /dev/null
	python3 - <<'PY'
import json
s = [json.loads(l) for l in open("err") if l.startswith("{")][-1]
assert s["late"] > 0 and s["in"] == s["out"] + s["late"] + s["rejected"] + s["dropped"], s
PY
}

@test "percentiles within 1% and approx_distinct within 2% on 100k values" {
	python3 - <<'PY' > in.ndjson
import json, random
rng = random.Random(11)
for i in range(100000):
    v = rng.lognormvariate(0, 3) * rng.choice([1, -1, 1, 1])
    print(json.dumps({"ts": 1795428000 + i, "v": v, "u": "user-%d" % rng.randrange(60000)}))
PY
	aggs=(p1:v p10:v p50:v p90:v p99:v p99.9:v median:v approx_distinct:u)
	weir-agg "${aggs[@]}" < in.ndjson > got
	ref agg "$(python3 -c 'import json,sys; print(json.dumps({"window": None, "aggs": sys.argv[1:]}))' "${aggs[@]}")" in.ndjson > expect
	ref agg-compare expect got
	# --exact: the nearest-rank value itself
	weir-agg --exact p1:v p50:v p99.9:v < in.ndjson > got
	python3 - <<'PY'
import json, math
vals = sorted(json.loads(l)["v"] for l in open("in.ndjson"))
got = json.loads(open("got").read())
for name, p in (("p1_v", 1), ("p50_v", 50), ("p99.9_v", 99.9)):
    assert got[name] == vals[max(0, math.ceil(p / 100 * len(vals)) - 1)], (name, got[name])
PY
}

@test "sums stay exact beyond 2^53 and 64 bits, and for decimals; avg of huge and tiny values" {
	printf '%s\n' '{"ts":1,"n":9007199254740993,"x":1e308,"y":5e-324}' \
	    '{"ts":2,"n":9007199254740993,"x":1e308,"y":5e-324}' \
	    '{"ts":3,"n":12345678901234567890,"x":1e308,"y":5e-324}' > in
	run weir-agg sum:n avg:x avg:y min:n max:n < in
	assert_success
	assert_output '{"sum_n":12363693299744049876,"avg_x":1e+308,"avg_y":5e-324,"min_n":9007199254740993,"max_n":12345678901234567890}'
	# decimals as written add up exactly: no 0.30000000000000004
	printf '%s\n' '{"ts":1,"v":0.1}' '{"ts":2,"v":0.2}' '{"ts":3,"v":-0.005}' '{"ts":4,"v":2}' > in
	run weir-agg sum:v < in
	assert_output '{"sum_v":2.295}'
	# an exponent leaves the exact path: a floating-point sum
	printf '%s\n' '{"ts":1,"v":0.5}' '{"ts":2,"v":1e2}' > in
	run weir-agg sum:v < in
	assert_output '{"sum_v":100.5}'
}

@test "--partial over 4 shards, then --merge, writes what one process writes" {
	access_events 3000 6000 > in.ndjson
	split -n l/4 -d in.ndjson shard.
	windows=("" "--window 1m" "--window 10m/5m" "--window session:3s")
	# under the sanitizers the sliding windows cover the tumbling ones' code,
	# and sessions (whose totals alone are compared) are the plain build's
	[ "$WEIR_BIN" = bin ] || windows=("" "--window 10m/5m")
	for w in "${windows[@]}"; do
		# shards are contiguous pieces of the input, kept in order
		weir-agg $w --lag 1h --by host "${ALL_AGGS[@]}" < in.ndjson > one 2>/dev/null
		for s in shard.0[0-9]; do	# (not the .part files of the last round)
			weir-agg $w --lag 1h --by host --partial "${ALL_AGGS[@]}" < "$s" > "$s.part" 2>/dev/null
		done
		cat shard.0[0-9].part | weir-agg --merge --by host "${ALL_AGGS[@]}" > merged
		if [ "$w" = "--window session:3s" ]; then
			# a session can span shards: the merge cannot join what each shard closed
			# apart, so only the totals are compared
			python3 - <<'PY'
import json
one = [json.loads(l) for l in open("one")]
merged = [json.loads(l) for l in open("merged")]
assert sum(r["count"] for r in one) == sum(r["count"] for r in merged)
PY
			continue
		fi
		ref agg-compare one merged
		# exact functions byte for byte, sketches too (a merged DDSketch or HLL
		# is the sketch of the union)
		python3 - <<'PY'
import json
for a, b in zip(open("one"), open("merged")):
    x, y = json.loads(a), json.loads(b)
    for k in x:
        if not k.startswith(("avg_", "var_", "stddev_", "sum_latency")):
            assert x[k] == y[k], (k, x[k], y[k])
PY
	done
	# a merge of merges (a tree of shards) is the same again
	{ cat shard.00.part shard.01.part | weir-agg --merge --partial --by host "${ALL_AGGS[@]}"
	  cat shard.02.part shard.03.part | weir-agg --merge --partial --by host "${ALL_AGGS[@]}"; } |
	    weir-agg --merge --by host "${ALL_AGGS[@]}" > tree
	ref agg-compare merged tree
}

@test "--merge refuses rows that are not partial rows of the same aggregates" {
	printf '%s\n' '{"ts":1,"v":2}' | weir-agg --partial sum:v > part
	run --separate-stderr weir-agg --merge avg:v < part
	assert_success
	assert_output ""
	[[ "$stderr" == *"no valid state for 'avg_v'"* ]]
	run --separate-stderr weir-agg --merge sum:v <<< '{"host":"a"}'
	[[ "$stderr" == *"not a partial row"* ]]
	run --separate-stderr weir-agg --merge --window 1m sum:v < part
	assert_failure 2
	run --separate-stderr weir-agg --partial --emit updates sum:v < part
	assert_failure 2
}

@test "batch = stream: the same bytes whether input comes whole or piece by piece" {
	access_events 2000 3000 > in.ndjson
	batch_equals_stream in.ndjson weir-agg --window 1m --lag 2s --by host "${ALL_AGGS[@]}"
	batch_equals_stream in.ndjson weir-agg --window session:2s --lag 2s --by host count avg:latency_ms
	# under the sanitizers the two above cover the code of the two below
	[ "$WEIR_BIN" = bin ] || return 0
	batch_equals_stream in.ndjson weir-agg --window 1m --lag 2s --by host --emit updates count sum:bytes
	batch_equals_stream in.ndjson weir-agg --by host "${ALL_AGGS[@]}"
}

@test "--emit updates writes the group's new row after every change; the last ones are the final rows" {
	access_events 1000 2000 > in.ndjson
	weir-agg --window 1m --lag 2s --by host --emit updates count sum:bytes < in.ndjson > updates
	weir-agg --window 1m --lag 2s --by host count sum:bytes < in.ndjson > final 2>/dev/null
	weir-agg --window 1m --lag 2s --stats count < in.ndjson 2> err > /dev/null
	python3 - <<'PY'
import json
ups = [json.loads(l) for l in open("updates")]
final = [json.loads(l) for l in open("final")]
stats = [json.loads(l) for l in open("err") if l.startswith("{")][-1]
assert len(ups) == stats["out"], (len(ups), stats)   # one row per event taken
last = {}
for r in ups:
    k = (r["host"], r["window_start"])
    assert r["count"] == last.get(k, {"count": 0})["count"] + 1
    last[k] = r
assert sorted(last.values(), key=json.dumps) == sorted(final, key=json.dumps)
PY
}

@test "--emit every:DUR writes changed rows on the wall clock, before the input ends" {
	access_events 0 200 > in.ndjson
	# the input stays open for 1.5 s after its lines: rows must come out
	# within it, from the clock alone
	{ cat in.ndjson; sleep 1.5; } | timeout 10 weir-agg --by host --emit every:200ms count > got &
	sleep 1
	[ -s got ]
	wait
	python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("got")]
final = {}
for r in rows:
    final[r["host"]] = r["count"]
assert sum(final.values()) == 200, final
PY
}

@test "windows from upstream: weir-window's window_start/window_end group the rows" {
	access_events 2000 3000 > in.ndjson
	weir-window tumbling 1m < in.ndjson | weir-agg --lag 3s --by host count sum:bytes > got
	weir-agg --window 1m --lag 3s --by host count sum:bytes < in.ndjson > expect
	cmp expect got
	# and sliding: each copy goes to its own window
	weir-window sliding 1m 20s < in.ndjson | weir-agg --lag 3s --by host count > got
	weir-agg --window 1m/20s --lag 3s --by host count < in.ndjson > expect
	cmp expect got
}

@test "sum:F:null is null for a group with no value of F, as SQL's SUM is; sum:F is 0" {
	printf '%s\n' '{"ts":1,"h":"a","v":2}' '{"ts":2,"h":"b"}' '{"ts":3,"h":"b","v":null}' \
	    '{"ts":4,"h":"c","v":"x"}' > in
	want=$(printf '%s\n' '{"h":"a","sum_v":2,"s":2,"avg_v":2}' \
	    '{"h":"b","sum_v":0,"s":null,"avg_v":null}' '{"h":"c","sum_v":0,"s":null,"avg_v":null}')
	run --separate-stderr weir-agg --by h sum:v sum:v:null=s avg:v < in
	assert_success
	assert_output "$want"
	# through partial state and a merge
	run --separate-stderr bash -c 'weir-agg --by h --partial sum:v sum:v:null=s avg:v < in |
	    weir-agg --merge --by h sum:v sum:v:null=s avg:v'
	assert_success
	assert_output "$want"
	# a window --fill adds: null, as over no value
	printf '%s\n' '{"ts":1,"v":1}' '{"ts":3,"v":2}' > in
	run weir-agg --window 1s --fill sum:v:null=n sum:v < in
	assert_success
	assert_output "$(printf '%s\n' '{"window_start":1,"window_end":2,"n":1,"sum_v":1}' \
	    '{"window_start":2,"window_end":3,"n":null,"sum_v":0}' \
	    '{"window_start":3,"window_end":4,"n":2,"sum_v":2}')"
}

@test "min, max, first and last write values as they came; a renamed aggregate; nested fields" {
	printf '%s\n' '{"ts":1,"v":1.10,"s":{"x":"b"}}' '{"ts":2,"v":1.1e1,"s":{"x":"a\u00e9"}}' \
	    '{"ts":3,"v":-0.50,"s":{"x":"c"}}' > in
	run weir-agg min:v max:v first:v last:v first:s.x count=n collect:v < in
	assert_output '{"min_v":-0.50,"max_v":1.1e1,"first_v":1.10,"last_v":-0.50,"first_s_x":"b","n":3,"collect_v":[1.10,1.1e1,-0.50]}'
}

@test "a value that is not a number is counted and reported, never read as 0" {
	printf '%s\n' '{"ts":1,"v":10}' '{"ts":2,"v":"x12"}' '{"ts":3,"v":true}' '{"ts":4}' \
	    '{"ts":5,"v":null}' '{"ts":6,"v":20}' > in
	run --separate-stderr weir-agg --stats count avg:v min:v count:v < in
	assert_success
	assert_output '{"count":6,"avg_v":15,"min_v":10,"count_v":4}'
	[[ "$stderr" == *"2 values of 'v' were not numbers (avg_v, min_v left them out)"* ]]
	[ "$(grep -c 'not numbers' <<<"$stderr")" -eq 1 ]	# one line for the field
	[[ "$stderr" == *'"values_rejected":{"avg_v":2,"min_v":2}'* ]]
}

@test "numbers written as strings count as numbers, as Miller infers them; -S keeps them strings" {
	# nginx's upstream_response_time and Debezium's decimals come as strings
	printf '%s\n' '{"ts":1,"v":"0.125"}' '{"ts":2,"v":"1e1"}' '{"ts":3,"v":0.5}' \
	    '{"ts":4,"v":"-"}' '{"ts":5,"v":"12abc"}' '{"ts":6,"v":"01"}' '{"ts":7,"v":" 2"}' > in
	run --separate-stderr weir-agg --stats sum:v avg:v max:v p50:v in
	assert_success
	# 0.125 + 10 + 0.5 = 10.625 over 3; max as it came, quotes and all
	assert_output '{"sum_v":10.625,"avg_v":3.5416666666666665,"max_v":"1e1","p50_v":0.5}'
	[[ "$stderr" == *"4 values of 'v' were not numbers"* ]]
	run --separate-stderr weir-agg -S sum:v avg:v in
	assert_output '{"sum_v":0.5,"avg_v":0.5}'
	[[ "$stderr" == *"6 values of 'v' were not numbers"* ]]
}

@test "groups: a missing --by field is its own group; rows come in (end, start, first seen) order" {
	printf '%s\n' '{"ts":1,"k":"b"}' '{"ts":2}' '{"ts":3,"k":"a"}' '{"ts":61,"k":"a"}' \
	    '{"ts":4,"k":null}' > in
	run weir-agg --window 1m --lag 1m --by k count < in
	assert_output "$(printf '%s\n' \
	    '{"k":"b","window_start":0,"window_end":60,"count":1}' \
	    '{"window_start":0,"window_end":60,"count":1}' \
	    '{"k":"a","window_start":0,"window_end":60,"count":1}' \
	    '{"k":null,"window_start":0,"window_end":60,"count":1}' \
	    '{"k":"a","window_start":60,"window_end":120,"count":1}')"
}

@test "rows firing together come in the order their windows' first events arrived, as weir-window's do" {
	# A was seen first, but B's [10,20) window opened first (SPEC §5)
	printf '%s\n' '{"ts":1,"k":"A"}' '{"ts":2,"k":"B"}' '{"ts":11,"k":"B"}' '{"ts":12,"k":"A"}' > in
	run weir-agg --window 10s --by k --lag 1m count < in
	assert_output "$(printf '%s\n' \
	    '{"k":"A","window_start":0,"window_end":10,"count":1}' \
	    '{"k":"B","window_start":0,"window_end":10,"count":1}' \
	    '{"k":"B","window_start":10,"window_end":20,"count":1}' \
	    '{"k":"A","window_start":10,"window_end":20,"count":1}')"
	for spec in "tumbling 10s" "sliding 10s 5s" "session 5s"; do
		read -r -a w <<<"$spec"
		weir-window "${w[@]}" --by k --lag 1m --collect < in | jq -c '[.k, .window_start]' > window
		case $spec in
		tumbling*) a=(--window 10s) ;;
		sliding*) a=(--window 10s/5s) ;;
		session*) a=(--window session:5s) ;;
		esac
		weir-agg "${a[@]}" --by k --lag 1m count < in | jq -c '[.k, .window_start]' > agg
		cmp window agg
	done
	# and the order does not hang on --lag: the same rows after
	# weir-watermark, read with no lag
	weir-agg --window 10s --by k --lag 1m count < in > lagged
	weir-watermark --lag 1m < in | weir-agg --window 10s --by k count | cmp lagged -
}

@test "watermark lines fire windows and are forwarded; barriers pass" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:01Z","v":1}' '{"_watermark":"2026-11-23T10:01:00Z"}' \
	    '{"_checkpoint":7}' '{"ts":"2026-11-23T10:01:02Z","v":2}' > in
	run weir-agg --window 1m sum:v < in
	assert_output "$(printf '%s\n' \
	    '{"window_start":"2026-11-23T10:00:00Z","window_end":"2026-11-23T10:01:00Z","sum_v":1}' \
	    '{"_watermark":"2026-11-23T10:01:00Z"}' '{"_checkpoint":7}' \
	    '{"window_start":"2026-11-23T10:01:00Z","window_end":"2026-11-23T10:02:00Z","sum_v":2}')"
}

@test "bad input: not JSON, no time, bad or out-of-range time, binary, a 10 MB line, empty input" {
	# no event, no group, no row (as Miller; SQL's one row of 0 needs a group)
	run weir-agg count < /dev/null
	assert_success
	assert_output ""
	python3 - <<'PY' > in
import sys
print('{"ts":1,"v":1}')
print('not json')
print('{"v":2}')
print('{"ts":"yesterday","v":3}')
print('{"ts":"2263-01-01T00:00:00Z","v":4}')
sys.stdout.flush()
sys.stdout.buffer.write(b'\x00\xff\xfe{"ts":2}\n')
print('{"ts":3,"v":"%s"}' % ("x" * 10_000_000))
print('{"ts":4,"v":5}')
PY
	run --separate-stderr weir-agg --errors rejected --stats count sum:v < in
	assert_success
	assert_output '{"count":3,"sum_v":6}'
	[ "$(wc -l < rejected)" -eq 5 ]
	[[ "$stderr" == *'"in":8,"out":3,"late":0,"rejected":5'* ]]
	run weir-agg --on-error fail count < in
	assert_failure 65
}

@test "usage errors exit 2 and say what is wrong" {
	run --separate-stderr weir-agg frobnicate:v
	assert_failure 2
	[[ "$stderr" == *"unknown aggregate 'frobnicate:v'"* ]]
	run --separate-stderr weir-agg sum
	assert_failure 2
	[[ "$stderr" == *"needs a field: sum:FIELD"* ]]
	run --separate-stderr weir-agg p101:v
	assert_failure 2
	run --separate-stderr weir-agg top:x:v
	assert_failure 2
	[[ "$stderr" == *"top:K:FIELD"* ]]
	run --separate-stderr weir-agg sum:v sum:v
	assert_failure 2
	[[ "$stderr" == *"rename one with =NAME"* ]]
	run --separate-stderr weir-agg --window 1m/2m count
	assert_failure 2
	run --separate-stderr weir-agg --window fortnightly count
	assert_failure 2
	[[ "$stderr" == *"bad --window 'fortnightly'"* ]]
	run --separate-stderr weir-agg --emit sometimes count
	assert_failure 2
	[[ "$stderr" == *"bad --emit 'sometimes'"* ]]
	run --separate-stderr weir-agg --window session:1m --offset 1s count
	assert_failure 2
	run --separate-stderr weir-agg count no-such-file
	assert_failure 1
	[[ "$stderr" == *"cannot open 'no-such-file'"* ]]
}

@test "a closed pipe is quiet, /dev/full exits 1" {
	access_events 0 20000 > in.ndjson
	weir-agg --window 1s --by host count < in.ndjson 2> err | head -n 1 > first
	assert_equal "${PIPESTATUS[0]}" 0
	[ ! -s err ]
	run --separate-stderr sh -c 'weir-agg --window 1s count < in.ndjson > /dev/full'
	assert_failure 1
	[[ "$stderr" == *"cannot write standard output"* ]]
}

@test "CSV in and out, with a header as Miller writes it" {
	printf 'ts,host,ms\n1,a,10\n2,b,20\n3,a,30\n' > in.csv
	run weir-agg -i csv -o csv --by host count avg:ms < in.csv
	assert_success
	assert_output "$(printf '%s\n' 'host,count,avg_ms' 'a,2,20' 'b,1,20')"
}

@test "CSV is read strictly: a stray or unterminated quote rejects its line, byte for byte, and the records after it count" {
	# Python's csv module in strict mode agrees that these two lines are malformed
	printf 'ts,name,n\n1,a,1\n2,"6" screen,2\n3,c,3\n4,"open,4\n5,e,5\n' > in.csv
	python3 -c 'import csv, sys
for i, line in enumerate(open(sys.argv[1]).read().splitlines()):
    try:
        list(csv.reader([line], strict=True))
        ok = line.count("\"") % 2 == 0
    except csv.Error:
        ok = False
    if not ok: print(line)' in.csv > expect.errors
	assert_equal "$(wc -l < expect.errors)" 2
	run --separate-stderr weir-agg -i csv count sum:n --errors got.errors --stats in.csv
	assert_success
	assert_output '{"count":3,"sum_n":9}'
	cmp expect.errors got.errors
	[[ "$stderr" == *"in.csv:3: malformed CSV record"* ]]
	[[ "$stderr" == *"in.csv:5: malformed CSV record"* ]]
	[[ "$stderr" == *'"in":5,"out":3,"late":0,"rejected":2'* ]]
	# the same records piece by piece, and exit 65 at the first under --on-error fail
	batch_equals_stream in.csv weir-agg -i csv count sum:n
	run weir-agg -i csv --on-error fail count < in.csv
	assert_failure 65
}

@test "the dispatcher, --help and --version" {
	run weir agg count <<< '{"ts":1}'
	assert_output '{"count":1}'
	run weir-agg --help
	assert_success
	assert_output --partial "usage: weir-agg [--by FIELDS]"
	run weir-agg --version
	assert_output --regexp '^weir-agg [0-9]'
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-agg.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-agg.1"
	assert_output ""
}

@test "no data race between the reader thread and the groups (ThreadSanitizer)" {
	tsan="$ROOT/build/tsan/bin/weir-agg"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	access_events 2000 3000 > in.ndjson
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" --window 1m --by host --lag 3s count p99:latency_ms < in.ndjson > tsan.out 2> tsan.err
	weir-agg --window 1m --by host --lag 3s count p99:latency_ms < in.ndjson > plain.out 2>/dev/null
	cmp plain.out tsan.out
	run grep -c ThreadSanitizer tsan.err
	assert_output 0
}

@test "sessions ending together come out by start, also when one grew backwards after the other began" {
	run sh -c "printf '%s\n' '{\"ts\":20,\"k\":\"B\"}' '{\"ts\":20,\"k\":\"A\"}' '{\"ts\":12,\"k\":\"A\"}' |
	    weir-agg --window session:10 --by k --lag 100 count"
	assert_success
	assert_output "$(printf '%s\n' '{"k":"A","window_start":12,"window_end":30,"count":2}' \
	    '{"k":"B","window_start":20,"window_end":30,"count":1}')"
}

@test "a UTF-8 byte-order mark at the start of CSV or NDJSON input is dropped, not read as part of a name" {
	printf '\357\273\277timestamp,n\n1,2\n2,3\n' > bom.csv
	run --separate-stderr weir-agg -i csv sum:n bom.csv
	assert_success
	assert_output '{"sum_n":5}'
	assert_equal "$stderr" ""
	printf '\357\273\277{"ts":1,"n":2}\n{"ts":2,"n":3}\n' > bom.ndjson
	run --separate-stderr weir-agg sum:n < bom.ndjson
	assert_success
	assert_output '{"sum_n":5}'
	assert_equal "$stderr" ""
	# a mark that does not start the input is data, and the line with it is rejected
	printf '{"ts":1,"n":2}\n\357\273\277{"ts":2,"n":3}\n' > inner.ndjson
	run --separate-stderr weir-agg sum:n inner.ndjson
	assert_output '{"sum_n":2}'
	[[ "$stderr" == *"inner.ndjson:2"* ]]
}

@test "groups compare keys by value: an escaped string is its characters, 1042 and \"1042\" are one group" {
	printf '%s\n' '{"ts":1,"k":"jos\u00e9"}' '{"ts":2,"k":"josé"}' '{"ts":3,"k":1042}' \
		'{"ts":4,"k":"1042"}' '{"ts":5,"k":1042.0}' > in
	run weir-agg --by k count < in
	assert_success
	# each group shows its first event's value as written
	assert_output "$(printf '%s\n' '{"k":"jos\u00e9","count":2}' '{"k":1042,"count":2}' '{"k":1042.0,"count":1}')"
}

@test "a session merge under --emit updates withdraws the superseded rows: a table kept from the stream holds the final rows" {
	# a worked example: [0,15) and [20,35) merge into [0,35) when 10 arrives
	printf '%s\n' '{"ts":0,"k":"a"}' '{"ts":20,"k":"a"}' '{"ts":10,"k":"a"}' > in
	run weir-agg --by k --window session:15s --emit updates --lag 1m count < in
	assert_success
	assert_output "$(printf '%s\n' '{"k":"a","window_start":0,"window_end":15,"count":1}' \
		'{"k":"a","window_start":20,"window_end":35,"count":1}' \
		'{"k":"a","window_start":0,"window_end":15,"retract":true}' \
		'{"k":"a","window_start":20,"window_end":35,"retract":true}' \
		'{"k":"a","window_start":0,"window_end":35,"count":3}')"
	# thousands of disordered events over a few keys: applying the updates and
	# retractions in order leaves exactly the rows --emit final writes
	python3 - > big <<'EOF'
import random
rng = random.Random(11)
evs = []
for i in range(4000):
    t = i * 0.7 + rng.uniform(0, 30)
    evs.append((i + rng.uniform(0, 40), '{"ts":%.3f,"k":"k%d","v":%d}' % (1795428000 + t, rng.randrange(5), rng.randrange(100))))
for _, line in sorted(evs):
    print(line)
EOF
	for mode in updates every:1h; do
		weir-agg --by k --window session:5s --emit "$mode" --lag 1m count sum:v < big > stream
		weir-agg --by k --window session:5s --lag 1m count sum:v < big | sort > final
		python3 - stream > table <<'EOF'
import json, sys
table = {}
for line in open(sys.argv[1]):
    row = json.loads(line)
    key = (row["k"], row["window_start"], row["window_end"])
    if row.get("retract"):
        assert key in table, line   # only a row that is out is withdrawn
        del table[key]
    else:
        table[key] = line
print("".join(table.values()), end="")
EOF
		sort table > got
		cmp final got
		[ "$mode" != updates ] || grep -q '"retract":true' stream
	done
}

@test "a field no event has (a typo in --by or an aggregate) is named once at exit, with the nearest name" {
	printf '%s\n' '{"ts":1,"status":200,"request_time":0.5,"req":{"host":"a"}}' \
	    '{"ts":2,"status":500,"request_time":1.5,"req":{"host":"b"}}' > in
	run --separate-stderr weir-agg --by stauts,req.hots count sum:reqest_time avg:request_time in
	assert_success
	[ "$(grep -c "no event had" <<<"$stderr")" -eq 3 ]
	[[ "$stderr" == *"weir-agg: --by stauts: no event had the field 'stauts'; the first event has 'status'"* ]]
	[[ "$stderr" == *"--by req.hots: no event had the field 'req.hots'; the first event has 'req.host'"* ]]
	[[ "$stderr" == *"sum:reqest_time: no event had the field 'reqest_time'; the first event has 'request_time'"* ]]
	[[ "$stderr" != *"avg:request_time"* ]]
	# fields that are there: nothing said
	run --separate-stderr weir-agg --by status count avg:request_time in
	assert_success
	assert_equal "$stderr" ""
}

@test "a key path with an escaped dot or comma names its member as the event spells it" {
	printf '%s\n' '{"ts":1,"a.b":"x","a":{"b":"y"},"c,d":3}' > in
	run weir-agg --by 'a\.b' count in
	assert_output '{"a.b":"x","count":1}'
	run weir-agg --by 'a.b,c\,d' count in
	assert_output '{"a.b":"y","c,d":3,"count":1}'
	run weir-window tumbling 1m --by 'a\.b' --collect in
	[[ "$output" == *'"a.b":"x","count":1'* ]]
}

@test "--tz: day, hour and sliding windows follow local time across the clock changes, 23- and 25-hour days included" {
	# the reference is Python's, as long under a sanitizer as without it;
	# lib/zone runs under ASan in test_zone and weir-window's --tz test
	[ "$WEIR_BIN" = bin ] || skip "lib/zone is under ASan in test_zone and weir-window.bats"
	# the reference: Python's zoneinfo, each bound found from its definition
	# minute by minute; the days are those the zones change their clocks
	# (Lord Howe's by half an hour, Kolkata's never)
	for combo in "1d 86400 86400 America/New_York" "1h 3600 3600 Australia/Lord_Howe" \
	    "45m/15m 2700 900 Europe/London" "20m 1200 1200 Asia/Kolkata"; do
		read -r spec size step zone <<<"$combo"
		ref tz-events "$zone" 17 2026-03-08 2026-11-01 2026-04-05 2026-10-04 2026-03-29 \
		    2026-10-25 > in
		ref tz-windows "$zone" "$size" "$step" in | sort > expect
		weir-agg --window "$spec" --tz "$zone" count in | sort > got
		diff expect got || { echo "--window $spec --tz $zone"; return 1; }
	done
	# a day of 23 hours: New York's 8 March 2026 ends at 04:00Z, not 05:00Z
	printf '%s\n' '{"ts":"2026-03-08T05:00:00Z"}' '{"ts":"2026-03-09T03:59:59Z"}' > in
	run weir-agg --window 1d --tz America/New_York count in
	assert_output '{"window_start":"2026-03-08T00:00:00-05:00","window_end":"2026-03-09T00:00:00-04:00","count":2}'
	# numbers stay epoch numbers
	run weir-agg --window 1d --tz America/New_York --time-output epoch count in
	assert_output '{"window_start":1772946000,"window_end":1773028800,"count":2}'
}

@test "--tz names a zone of the tz database; anything else is a usage error" {
	printf '%s\n' '{"ts":"1970-01-01T00:00:01Z"}' > in
	for zone in Mars/Olympus ../etc/passwd /etc/localtime ""; do
		run --separate-stderr weir-agg --window 1d --tz "$zone" count in
		assert_failure 2
		[[ "$stderr" == *"unknown time zone '$zone'"*"Europe/Paris"* ]]
	done
	run weir-agg --window 1d --tz UTC count in
	assert_output '{"window_start":"1970-01-01T00:00:00+00:00","window_end":"1970-01-02T00:00:00+00:00","count":1}'
}

@test "--having writes only the rows for which it is true, over the row's own members" {
	python3 - > in <<'PY'
import random
random.seed(5)
for i in range(3000):
    print('{"ts":%d,"host":"h%d","v":%d}' % (1795428000 + i // 10, random.randrange(4), random.randrange(100)))
PY
	weir-agg --window 10s --by host count avg:v max:v in | jq -c 'select(.count > 25 and .avg_v < 50)' > expect
	[ -s expect ]
	run --separate-stderr weir-agg --window 10s --by host --having 'count > 25 AND avg_v < 50' \
	    --stats count avg:v max:v in
	assert_success
	assert_equal "$output" "$(cat expect)"
	all=$(weir-agg --window 10s --by host count avg:v max:v in | wc -l)
	[[ "$stderr" == *'"rows":'"$(wc -l < expect)"','*'"withheld":'"$((all - $(wc -l < expect)))"* ]]
	# a row it cannot be evaluated on is withheld with a warning
	run --separate-stderr weir-agg --having 'count / 0 > 1' count in
	assert_success
	assert_output ""
	[[ "$stderr" == *"--having 'count / 0 > 1': division by zero: the row is not written"* ]]
	# updates and partial rows are not final rows
	run weir-agg --having 'count > 1' --emit updates --window 10s count in
	assert_failure 2
	run weir-agg --having 'count >' count in
	assert_failure 2
}

@test "hist: bucket counts by upper bound (Prometheus's le), plain or cumulative; bad bounds are a usage error" {
	printf '%s\n' '{"ts":1,"v":5}' '{"ts":2,"v":50}' '{"ts":3,"v":51}' '{"ts":4,"v":"x"}' \
	    '{"ts":5,"v":2000}' '{"ts":6}' > in
	run --separate-stderr weir-agg hist:v:50,100,250 hist:v:exp:1,10,3:cumulative=h count in
	assert_success
	assert_output '{"hist_v":{"50":2,"100":1,"250":0,"+Inf":1},"h":{"1":0,"10":1,"100":3,"+Inf":4},"count":6}'
	[[ "$stderr" == *"1 value of 'v' was not a number (hist_v, h left it out)"* ]]
	for bad in hist:v hist:v:100,50 hist:v:1,x hist:v:exp:1,1,3 hist:v:exp:0,2,3 hist:v:exp:1,2; do
		run --separate-stderr weir-agg "$bad" in
		assert_failure 2
	done
}

@test "an aggregate that left values out, then count: the rows and the notice, no crash" {
	# the notice of left-out values names aggregates by their field; count
	# has none, and must be passed over, not read
	printf '%s\n' '{"ts":1,"v":"x"}' '{"ts":2,"v":2}' > in
	run --separate-stderr weir-agg sum:v count in
	assert_success
	assert_output '{"sum_v":2,"count":2}'
	[[ "$stderr" == *"1 value of 'v' was not a number (sum_v left it out)"* ]]
}

@test "--top N --rank-by keeps each window's rows that PostgreSQL's row_number() ranks first" {
	[ "$WEIR_BIN" = bin ] || skip "compared with PostgreSQL on the plain build"
	python3 - > in <<'PY'
import json, random
r = random.Random(11)
for i in range(3000):
    e = {"ts": "2026-11-23T10:%02d:%02d.%03dZ" % (i // 1800, i // 30 % 60, r.randrange(1000)),
         "host": "h%d" % r.randrange(7), "status": r.choice([200, 200, 404, 500]), "v": r.randrange(100)}
    if r.random() < 0.02:	# most groups have no x: max:x is null
        e["x"] = r.randrange(50)
    print(json.dumps(e))
PY
	w="floor(extract(epoch FROM ts) / 10) * 10"
	g="SELECT host, status, $w AS w, count(*) AS n, sum(v) AS s, max(x) AS mx FROM ev"
	run python3 "$LIB/pgquery.py" in 'ts timestamptz, host text, status int, v int, x int' \
	    "WITH g AS ($g GROUP BY host, status, w), g2 AS (SELECT host, w, sum(n) AS n, sum(s) AS s, max(mx) AS mx FROM g GROUP BY host, w)
	     SELECT w, host, s FROM (SELECT *, row_number() OVER (PARTITION BY w ORDER BY s DESC, host) AS rn FROM g2) r WHERE rn <= 3 ORDER BY w, rn" \
	    "WITH g AS ($g GROUP BY host, status, w)
	     SELECT w, status, host, n FROM (SELECT *, row_number() OVER (PARTITION BY w ORDER BY n, status, host) AS rn FROM g) r WHERE rn <= 4 ORDER BY w, rn" \
	    "WITH g AS (SELECT host, $w AS w, max(x) AS mx FROM ev GROUP BY host, w)
	     SELECT w, host, mx FROM (SELECT *, row_number() OVER (PARTITION BY w ORDER BY mx DESC, host) AS rn FROM g) r WHERE rn <= 2 ORDER BY w, rn" \
	    "WITH g AS (SELECT host, $w AS w, max(x) AS mx FROM ev GROUP BY host, w)
	     SELECT w, host, mx FROM (SELECT *, row_number() OVER (PARTITION BY w ORDER BY mx, host) AS rn FROM g) r WHERE rn <= 2 ORDER BY w, rn" \
	    "WITH g AS (SELECT host, $w AS w, count(*) AS n FROM ev GROUP BY host, w)
	     SELECT w, host, n FROM (SELECT *, row_number() OVER (PARTITION BY w ORDER BY n DESC, host) AS rn FROM g WHERE n > 4) r WHERE rn <= 2 ORDER BY w, rn" \
	    "WITH g AS (SELECT host, count(*) AS n FROM ev GROUP BY host)
	     SELECT 0, host, n FROM (SELECT *, row_number() OVER (ORDER BY n DESC, host) AS rn FROM g) r WHERE rn <= 3 ORDER BY rn"
	assert_success
	printf '%s\n' "$output" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } { print > ("pg." n) }'
	# each weir-agg line, as the query's columns
	agg() {
		local cols=$1
		shift
		weir-agg --lag 1m "$@" < in | python3 -c '
import json, sys, datetime
cols = sys.argv[1].split(",")
for l in sys.stdin:
    r = json.loads(l)
    w = r.get("window_start")
    w = int(datetime.datetime.fromisoformat(w.replace("Z", "+00:00")).timestamp()) if w else 0
    print(json.dumps([w] + [r.get(c) for c in cols]))' "$cols"
	}
	compare() {
		python3 -c 'import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert a == b, (sys.argv[1], len(a), len(b), [(x, y) for x, y in zip(a, b) if x != y][:3])' "$1" "$2"
	}
	agg host,sum_v --window 10s --by host sum:v --top 3 --rank-by sum_v --desc > weir.1
	agg status,host,count --window 10s --by status,host count --top 4 --rank-by count > weir.2
	agg host,max_x --window 10s --by host max:x --top 2 --rank-by max_x --desc > weir.3
	agg host,max_x --window 10s --by host max:x --top 2 --rank-by max_x > weir.4
	agg host,count --window 10s --by host count --having 'count > 4' --top 2 --rank-by count --desc > weir.5
	agg host,count --by host count --top 3 --rank-by count --desc > weir.6
	for i in 1 2 3 4 5 6; do
		[ -s "pg.$i" ] || fail "PostgreSQL gave no rows for query $i"
		compare "pg.$i" "weir.$i"
	done
}

@test "--top: rows left out are counted as withheld; batch = stream; what it does not take is a usage error" {
	ref events 2000 3 3000 > in
	run --separate-stderr weir-agg --window 10s --lag 3s --by v count --top 2 --rank-by count --desc --stats in
	assert_success
	python3 - "$stderr" <<'PY'
import json, sys
s = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][-1])
assert s["withheld"] > 0 and s["rows"] > 0, s
PY
	batch_equals_stream in weir-agg --window 10s --lag 3s --by v count --top 2 --rank-by count --desc
	run --separate-stderr weir-agg --window 10s --by v count --top 2
	assert_failure 2
	[[ "$stderr" == *"--top needs --rank-by NAME"* ]]
	run --separate-stderr weir-agg --window session:10s --by v count --top 2 --rank-by count
	assert_failure 2
	run --separate-stderr weir-agg --window 10s --emit updates --by v count --top 2 --rank-by count
	assert_failure 2
	run --separate-stderr weir-agg --window 10s count --rank-by count
	assert_failure 2
	[[ "$stderr" == *"--rank-by and --desc go with --top N"* ]]
	run --separate-stderr weir-window tumbling 10s --top 2
	assert_failure 2
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-agg --window 1s --by host count
}

@test "min and max of RFC 3339 times: the earliest and latest instant, as written; merged shards agree" {
	python3 - > in.ndjson <<'PY'
import datetime, json, random
rng = random.Random(5)
base = datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.timezone.utc)
for i in range(400):
    t = base + datetime.timedelta(microseconds=rng.randint(0, 3600 * 10**6))
    zone = datetime.timezone(datetime.timedelta(hours=rng.choice([0, 1, -5])))
    s = t.astimezone(zone).isoformat().replace("+00:00", "Z")
    print(json.dumps({"ts": 1795428000 + i, "k": "k%d" % (i % 3), "at": s if i != 7 else "soon"}))
PY
	# the reference: Python's reading of the same instants
	python3 - > want <<'PY'
import datetime, json
rows = {}
for l in open("in.ndjson"):
    e = json.loads(l)
    try:
        t = datetime.datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
    except ValueError:
        continue
    lo, hi = rows.get(e["k"], ((t, e["at"]), (t, e["at"])))
    rows[e["k"]] = (min(lo, (t, e["at"]), key=lambda x: x[0]), max(hi, (t, e["at"]), key=lambda x: x[0]))
for k, (lo, hi) in sorted(rows.items()):
    print(json.dumps({"k": k, "min_at": lo[1], "max_at": hi[1]}, separators=(",", ":")))
PY
	run --separate-stderr weir-agg -T epoch --by k min:at max:at in.ndjson
	assert_success
	assert_equal "$(printf '%s\n' "$output" | sort)" "$(cat want)"
	[[ "$stderr" == *"1 value of 'at' was not a number (min_at, max_at left it out)"* ]] || fail "$stderr"
	split -n l/3 -d in.ndjson shard.
	for s in shard.0[0-2]; do
		weir-agg -T epoch --by k --partial min:at max:at "$s" 2>/dev/null
	done | weir-agg --merge --by k min:at max:at > merged
	assert_equal "$(sort merged)" "$(cat want)"
	# numbers written as strings merge as numbers, by value
	printf '{"ts":1,"v":"0.9"}\n' > s1
	printf '{"ts":2,"v":"0.2"}\n' > s2
	run bash -c 'for s in s1 s2; do weir-agg --partial min:v max:v $s; done | weir-agg --merge min:v max:v'
	assert_output '{"min_v":"0.2","max_v":"0.9"}'
}

# gappy events: a few hosts, bursts with whole windows of silence between
# them, one host seen once, disorder up to 1.5 s
gappy_events() {
	python3 - "$1" <<'PY'
import random, sys
rng = random.Random(int(sys.argv[1]))
t, out = 1795428000000, []
for burst in range(12):
    for i in range(rng.randrange(5, 40)):
        t += rng.choice([100, 300, 900])
        h = "h%d" % rng.randrange(3) if burst != 5 or i else "once"
        out.append((t - rng.randrange(0, 1500), h, rng.randrange(1000)))
    t += rng.choice([0, 10000, 25000, 70000])
for ts, h, v in out:
    print('{"ts":%d,"host":"%s","v":%d}' % (ts, h, v))
PY
}

@test "--fill: a row for every key in every window from its first, silent windows included, against the reference" {
	# under the sanitizers one seed covers the same code
	seeds="1 2 3"
	[ "$WEIR_BIN" = bin ] || seeds=1
	for seed in $seeds; do
		gappy_events "$seed" > in
		weir-agg --window 10s --lag 2s --by host --fill count sum:v avg:v max:v p50:v < in > got
		ref agg '{"window":"tumbling","size":10,"lag":2,"by":["host"],"aggs":["count","sum:v","avg:v","max:v","p50:v"],"fill":true}' in > expect
		run ref agg-compare expect got
		assert_success
		# a window nobody had an event in is there, for every key seen before it
		python3 - got <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
empty = {}
for r in rows:
    empty.setdefault(r["window_start"], []).append(r["count"])
assert any(all(c == 0 for c in cs) for cs in empty.values()), "no silent window"
assert sum(1 for r in rows if r["host"] == "once" and r["count"] == 1) == 1
PY
		weir-agg --window 30s/10s --lag 2s --by host --fill=0 count avg:v < in > got
		ref agg '{"window":"sliding","size":30,"slide":10,"lag":2,"by":["host"],"aggs":["count","avg:v"],"fill":true,"fill_value":"0"}' in > expect
		run ref agg-compare expect got
		assert_success
	done
	# keys known upfront come first, from the first window on; a --lag changes nothing
	gappy_events 4 > in
	printf '%s\n' '{"host":"spare"}' '{"host":"h2"}' > keys
	weir-agg --window 10s --lag 2s --by host --fill-keys keys count < in > got
	ref agg '{"window":"tumbling","size":10,"lag":2,"by":["host"],"aggs":["count"],"fill":true,"fill_keys":[{"host":"spare"},{"host":"h2"}]}' in > expect
	cmp expect got
	weir-agg --window 10s --lag 1h --by host --fill-keys keys count < in | sort > got.lag
	sort expect | cmp - got.lag
	# the keys as CSV, its header naming the field
	printf '%s\n' host spare h2 > keys.csv
	weir-agg --window 10s --lag 2s --by host --fill-keys keys.csv count < in | cmp - expect
}

@test "--fill: the watermark moves silent windows out; batch = stream; a checkpoint and kill -9 keep a silent key" {
	# events, then only a watermark line (a source's --idle): the windows up
	# to it come out, every key in each
	printf '%s\n' '{"ts":1,"host":"a"}' '{"ts":12,"host":"b"}' '{"_watermark":45}' > in
	weir-agg --window 10s --by host --fill count in > got
	grep -q '^{"_watermark":' got
	run grep -v '^{"_watermark":' got
	assert_output "$(printf '%s\n' '{"host":"a","window_start":0,"window_end":10,"count":1}' \
	    '{"host":"b","window_start":10,"window_end":20,"count":1}' \
	    '{"host":"a","window_start":10,"window_end":20,"count":0}' \
	    '{"host":"a","window_start":20,"window_end":30,"count":0}' \
	    '{"host":"b","window_start":20,"window_end":30,"count":0}' \
	    '{"host":"a","window_start":30,"window_end":40,"count":0}' \
	    '{"host":"b","window_start":30,"window_end":40,"count":0}')"
	# restored at a checkpoint where key a has no window open: it keeps its rows
	mkdir ck
	printf '%s\n' '{"ts":1,"host":"a"}' '{"ts":12,"host":"b"}' '{"_checkpoint":1}' \
	    '{"ts":25,"host":"b"}' '{"ts":37,"host":"b"}' > in
	weir-agg --window 10s --by host --fill count --state ck/one < in > first
	weir-agg --window 10s --by host --fill count --state ck/one < in > second
	sed -n '/_checkpoint/,$p' first | cmp - second
	[ "$(grep -c '"host":"a".*"count":0' second)" -eq 3 ]
	gappy_events 5 > in
	batch_equals_stream in weir-agg --window 10s --lag 2s --by host --fill count sum:v
	# barriers every 100 lines; kill -9 at random points, restart from the checkpoint
	awk '{print} NR % 100 == 0 {printf "{\"_checkpoint\":%d}\n", NR / 100}' in > in.ck
	weir-agg --window 10s --lag 2s --by host --fill count sum:v < in.ck | grep -v '^{"_' > un
	grep -v _checkpoint in.ck > in.plain
	ref agg '{"window":"tumbling","size":10,"lag":2,"by":["host"],"aggs":["count","sum:v"],"fill":true}' in.plain > expect
	cmp expect un
	run python3 "$LIB/crash.py" stdin --seed 21 --kills 5 --input in.ck --expect un -- \
	    weir-agg --window 10s --lag 2s --by host --fill count sum:v --state ck/agg
	assert_success
}

@test "--fill: what it fills is a usage error elsewhere; --stats counts the rows it added" {
	printf '%s\n' '{"ts":1,"h":"a"}' '{"ts":25,"h":"a"}' > in
	run --separate-stderr weir-agg --window 10s --by h --fill count --stats in
	assert_success
	[[ "$stderr" == *'"rows":3,'*'"filled":1'* ]] || fail "stderr: $stderr"
	run --separate-stderr weir-agg --window session:10s --fill count in
	assert_failure 2
	[[ "$stderr" == *"--fill fills the windows of --window SIZE or SIZE/SLIDE"* ]]
	run --separate-stderr weir-agg --by h --fill count in
	assert_failure 2
	run --separate-stderr weir-agg --window 10s --fill=zero count in
	assert_failure 2
	[[ "$stderr" == *"bad --fill 'zero' (expected a JSON value"* ]]
	run --separate-stderr weir-agg --window 10s --fill=0 --partial count in
	assert_failure 2
	[[ "$stderr" == *"not with --partial"* ]]
	# --fill with --partial: the empty rows merge as empty groups do
	weir-agg --window 10s --by h --fill count min:ts --partial in | weir-agg --merge --by h count min:ts > merged
	weir-agg --window 10s --by h --fill count min:ts in | cmp - merged
	run --separate-stderr weir-agg --window 10s --by h --fill-keys missing count in
	assert_failure 1
	[[ "$stderr" == *"--fill-keys: cannot open 'missing'"* ]]
	printf '{"h":"a"}\nnot json\n' > keys
	run --separate-stderr weir-agg --window 10s --by h --fill-keys keys count in
	assert_failure 1
	[[ "$stderr" == *"--fill-keys keys:2: "* ]]
}

@test "--punctuate: a watermark line at each multiple, after every row of the windows it closes" {
	access_events 3000 > in.ndjson
	weir-agg --window 10s --by host --lag 2s --punctuate 10s count < in.ndjson > got
	grep -v '_watermark' got > rows
	weir-agg --window 10s --by host --lag 2s count < in.ndjson | cmp - rows
	python3 - got <<'PY'
import json, sys
from datetime import datetime
def t(v):
    return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() if isinstance(v, str) else v / 1000
marks = 0
wm = None
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "_watermark" in o:
        w = t(o["_watermark"])
        assert w % 10 == 0 and (wm is None or w > wm), line
        wm, marks = w, marks + 1
    else:
        assert wm is None or t(o["window_end"]) > wm, ("a row after the line that closed it", line)
assert marks > 10, marks
PY
}
