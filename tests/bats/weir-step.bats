#!/usr/bin/env bats
# weir-step: running values per key in event-time order, with PostgreSQL's
# window functions as the oracle (and Python for the EWMA, which SQL has not).

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# events a quarter second apart, arriving up to 2 s out of order, five keys,
# a tenth without v; id is the arrival number
events() {
	python3 - <<'PY'
import json, random
r = random.Random(5)
evs = []
for i in range(2000):
    t = 1795428000 + i * 0.25
    e = {"ts": round(t, 3), "k": "k%d" % r.randrange(5)}
    if r.random() > 0.1:
        e["v"] = r.randrange(-50, 100)
    evs.append((t + r.uniform(0, 2), e))
evs.sort(key=lambda x: x[0])
for n, (_, e) in enumerate(evs):
    e["id"] = n
    print(json.dumps(e))
PY
}

# compare PG WEIR NAMES: PostgreSQL's rows (id first) against weir's, in order
compare() {
	python3 - "$@" <<'PY'
import json, sys
pg = [json.loads(l) for l in open(sys.argv[1])]
w = [json.loads(l) for l in open(sys.argv[2])]
names = sys.argv[3].split(",")
assert len(pg) == len(w) == 2000, (len(pg), len(w))
for p, r in zip(pg, w):
    got = [r["id"]] + [r[n] for n in names]
    for a, b in zip(p, got):
        assert (a is None) == (b is None), (p, got)
        if a is not None:
            assert abs(float(a) - float(b)) <= 1e-9 * max(1, abs(float(a))), (p, got)
PY
}

@test "prev, delta, rate, running and sliding sums are what PostgreSQL's window functions say, in event-time order" {
	[ "$WEIR_BIN" = bin ] || skip "compared with PostgreSQL on the plain build"
	events > in
	cols="SELECT id, LAG(v) OVER w AS a, v - LAG(v) OVER w AS b, (v - LAG(v) OVER w) / (ts - LAG(ts) OVER w) AS c, SUM(v) OVER w AS d, AVG(v) OVER w AS e, COUNT(*) OVER w AS f FROM ev"
	run python3 "$LIB/pgquery.py" in 'ts numeric, k text, v int, id int' \
	    "$cols WINDOW w AS (PARTITION BY k ORDER BY ts, id ROWS UNBOUNDED PRECEDING) ORDER BY ts, id" \
	    "$cols WINDOW w AS (PARTITION BY k ORDER BY ts, id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) ORDER BY ts, id" \
	    "$cols WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) ORDER BY ts, id"
	assert_success
	printf '%s\n' "$output" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } { print > ("pg." n) }'
	funcs=(prev:v delta:v rate:v sum:v avg:v count)
	weir-step --lag 3s --by k "${funcs[@]}" < in > w.1
	weir-step --lag 3s --by k --over 3 "${funcs[@]}" < in > w.2
	weir-step --lag 3s --by k --over 10s "${funcs[@]}" < in > w.3
	for i in 1 2 3; do
		compare "pg.$i" "w.$i" prev_v,delta_v,rate_v,sum_v,avg_v,count
	done
}

@test "ewma: the first number, then alpha times the value plus (1 - alpha) times the one before" {
	events > in
	weir-step --lag 3s --by k ewma:v:0.3 ewma:v:1=last < in > got
	python3 - in got <<'PY'
import json, sys
evs = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda e: (e["ts"], e["id"]))
got = [json.loads(l) for l in open(sys.argv[2])]
state = {}
for e, g in zip(evs, got):
    assert e["id"] == g["id"], (e, g)
    s = state.get(e["k"])
    if "v" in e:
        s = e["v"] if s is None else 0.3 * e["v"] + 0.7 * s
        state[e["k"]] = s
    assert (s is None and g["ewma_v"] is None) or abs(g["ewma_v"] - s) < 1e-9, (e, g, s)
assert len(got) == len(evs)
PY
}

@test "each event passes byte for byte, the values inserted before its closing brace; late ones follow --late" {
	printf '%s\n' '{ "ts":10, "k":"a" ,"v":1.50 }' '{"ts":5,"k":"a","v":2}' '{"ts":11,"k":"a","v":3}' > in
	run --separate-stderr weir-step --by k --late pass prev:v sum:v --stats in
	assert_output "$(printf '%s\n' '{ "ts":10, "k":"a" ,"v":1.50 ,"prev_v":null,"sum_v":1.5}' \
	    '{"ts":5,"k":"a","v":2}' '{"ts":11,"k":"a","v":3,"prev_v":1.50,"sum_v":4.5}')"
	[[ "$stderr" == *'"in":3,"out":2,"late":1,'* ]] || fail "$stderr"
}

@test "kill -9 at random points with --state: no row lost or changed, the running values go on" {
	python3 - > in <<'PY'
import random
rng = random.Random(5)
t, n = 1795428000000, 0
for i in range(6000):
    t += rng.choice([1, 5, 20])
    print('{"ts":%d,"id":"k%d","v":%d}' % (t - rng.randint(0, 1000), rng.randrange(300), i % 97))
    if i % 500 == 499:
        n += 1
        print('{"_checkpoint":%d}' % n)
PY
	cmd=(weir-step --lag 1s --by id --over 3 prev:v delta:v rate:v ewma:v:0.5 sum:v count)
	"${cmd[@]}" < in | grep -v '^{"_' > expect
	mkdir ck
	run python3 "$LIB/crash.py" stdin --seed 21 --kills 5 --input in --expect expect -- \
	    "${cmd[@]}" --state ck/st
	assert_success
}

@test "--max-buffer: when full, the watermark is forced to the oldest event held, counted as forced" {
	printf '%s\n' '{"ts":10,"k":"a","v":1}' '{"ts":5,"k":"a","v":2}' '{"ts":20,"k":"a","v":3}' > in
	run --separate-stderr weir-step --lag 1h --max-buffer 2 --by k sum:v --stats in
	assert_output "$(printf '%s\n' '{"ts":5,"k":"a","v":2,"sum_v":2}' '{"ts":10,"k":"a","v":1,"sum_v":3}' \
	    '{"ts":20,"k":"a","v":3,"sum_v":6}')"
	# full at the second event (5 goes) and at the third (10 goes)
	[[ "$stderr" == *'"forced":2,'* ]] || fail "$stderr"
}

@test "batch equals stream" {
	events > in
	batch_equals_stream in weir-step --lag 3s --by k delta:v --over 5s sum:v
}

@test "usage errors name what is wrong" {
	run --separate-stderr weir-step
	assert_failure 2
	[[ "$stderr" == *"no function"* ]]
	run --separate-stderr weir-step ewma:v
	assert_failure 2
	[[ "$stderr" == *"ewma:FIELD:ALPHA"* ]]
	run --separate-stderr weir-step sum
	assert_failure 2
	run --separate-stderr weir-step --over 0 sum:v
	assert_failure 2
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-step.1"
	mandoc -T lint -W warning "$ROOT/man/weir-step.1"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-step --by host delta:v sum:v
}
