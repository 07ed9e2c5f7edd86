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

ALL_AGGS=(count count:status sum:bytes sum:latency_ms min:latency_ms max:latency_ms
	avg:latency_ms stddev:latency_ms var:latency_ms first:path last:path distinct:path
	approx_distinct:user median:latency_ms p99:latency_ms p10:bytes top:3:path collect:status)

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

spec() {	# spec WINDOW SIZE SLIDE GAP LAG LATENESS BY...
	python3 - "$@" "${ALL_AGGS[@]}" <<'PY'
import json, sys
a = sys.argv[1:]
w = None if a[0] == "-" else a[0]
by = [] if a[6] == "-" else a[6].split(",")
print(json.dumps({"window": w, "size": a[1], "slide": a[2], "gap": a[3], "lag": a[4],
                  "lateness": a[5], "by": by, "aggs": a[7:]}))
PY
}

@test "every function matches the reference, without windows and in tumbling, sliding and session windows, for several lags" {
	access_events 3000 > in.ndjson
	for by in - host host,u.id; do
		opt=()
		[ "$by" = - ] || opt=(--by "$by")
		ref agg "$(spec - 0 0 0 0 0 "$by")" in.ndjson > expect
		weir-agg "${opt[@]}" "${ALL_AGGS[@]}" < in.ndjson > got 2>/dev/null
		ref agg-compare expect got
		for lag in 0 2 10; do
			ref agg "$(spec tumbling 60 0 0 "$lag" 0 "$by")" in.ndjson > expect
			weir-agg --window 1m --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}" < in.ndjson > got 2>/dev/null
			ref agg-compare expect got
			ref agg "$(spec sliding 60 20 0 "$lag" 0 "$by")" in.ndjson > expect
			weir-agg --window 1m/20s --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}" < in.ndjson > got 2>/dev/null
			ref agg-compare expect got
			ref agg "$(spec session 0 0 3 "$lag" 0 "$by")" in.ndjson > expect
			weir-agg --window session:3s --lag "${lag}s" "${opt[@]}" "${ALL_AGGS[@]}" < in.ndjson > got 2>/dev/null
			ref agg-compare expect got
		done
	done
}

@test "late events are left out by the SPEC rule, and --allowed-lateness re-fires a window with the updated row" {
	access_events 8000 > in.ndjson
	for late in 0 3 20; do
		ref agg "$(spec tumbling 10 0 0 1 "$late" host)" in.ndjson > expect
		weir-agg --window 10s --lag 1s --allowed-lateness "${late}s" --by host "${ALL_AGGS[@]}" \
		    < in.ndjson > got 2>/dev/null
		ref agg-compare expect got
		ref agg "$(spec session 0 0 2 1 "$late" host)" in.ndjson > expect
		weir-agg --window session:2s --lag 1s --allowed-lateness "${late}s" --by host "${ALL_AGGS[@]}" \
		    < in.ndjson > got 2>/dev/null
		ref agg-compare expect got
	done
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

@test "integer sums stay exact beyond 2^53 and 64 bits; avg of huge and tiny values" {
	printf '%s\n' '{"ts":1,"n":9007199254740993,"x":1e308,"y":5e-324}' \
	    '{"ts":2,"n":9007199254740993,"x":1e308,"y":5e-324}' \
	    '{"ts":3,"n":12345678901234567890,"x":1e308,"y":5e-324}' > in
	run weir-agg sum:n avg:x avg:y min:n max:n < in
	assert_success
	assert_output '{"sum_n":12363693299744049876,"avg_x":1e+308,"avg_y":5e-324,"min_n":9007199254740993,"max_n":12345678901234567890}'
}
