#!/usr/bin/env bats
# weir-join: interval joins of two inputs, lookup joins against a table.
# Expected output from tests/lib/reference.py or worked examples.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

sides() {
	ref join-events 300 "${1:-1}" 4000 left > L
	ref join-events 250 "${1:-1}" 4000 right > R
}

# in = out + late + rejected + dropped + held, and nothing held at the end
sums_add_up() {	# sums_add_up STATS_LINE: in = out + late + rejected + dropped + held, held 0
	local f
	local -A n
	for f in in out late rejected dropped held; do
		[[ $1 =~ \"$f\":([0-9]+) ]] || { echo "no $f: $1"; return 1; }
		n[$f]=${BASH_REMATCH[1]}
	done
	((n[in] == n[out] + n[late] + n[rejected] + n[dropped] + n[held] && n[held] == 0)) ||
		{ echo "the sums do not add up: $1"; return 1; }
}

@test "every --type, merged and nested, several lags and horizons, match the reference" {
	sides 1
	# under the sanitizers one lag and horizon cover the same code
	lags="0 3" withins="0 5"
	[ "$WEIR_BIN" = bin ] || { lags=3; withins=5; }
	n=0
	for type in inner left right full; do
		for nest in 0 1; do
			for lag in $lags; do
				for within in $withins; do
					nopt=(); [ "$nest" = 0 ] || nopt=(--nest)
					ref_queue expect.$((n += 1)) join "$lag" "$within" "$type" "$nest" id L R
					weir-join L R --on id --within "${within}s" --lag "${lag}s" --type "$type" \
						"${nopt[@]}" --stats > got.$n 2> err
					sums_add_up "$(tail -n 1 err)"
				done
			done
		done
	done
	ref_run
	for i in $(seq "$n"); do
		cmp expect.$i got.$i
	done
	# a key of two fields
	ref join 3 5 full 0 id,region L R > expect
	weir-join L R --on id,region --within 5s --lag 3s --type full > got 2> /dev/null
	cmp expect got
}

@test "events nanoseconds apart in a tangled order, and events hours apart, match the reference" {
	# what waits for the watermark is kept in time buckets: these fill one
	# bucket in an order that puts each event deep in its list, and span
	# more time than the buckets do
	python3 - > L <<'EOF'
for i in list(range(2, 62, 2)) + list(range(1, 61, 2)):
    print('{"ts":"2026-11-23T10:00:00.%09dZ","id":%d,"l":%d}' % (i, i % 4, i))
for i in range(20):
    print('{"ts":"2026-11-23T%02d:%02d:00.5Z","id":%d,"l":"far%d"}' % (
        10 + i // 4, (i % 4) * 15 + (i * 7) % 5, i % 3, i))
EOF
	python3 - > R <<'EOF'
for i in list(range(3, 63, 3)) + list(range(1, 61, 3)):
    print('{"ts":"2026-11-23T10:00:00.%09dZ","id":%d,"r":%d}' % (i, i % 4, i))
for i in range(20):
    print('{"ts":"2026-11-23T%02d:%02d:01Z","id":%d,"r":"far%d"}' % (
        10 + i // 4, (i % 4) * 15 + (i * 3) % 5, i % 3, i))
EOF
	n=0
	for type in inner left right full; do
		for lw in 0,1 2,0 2,1 900,600; do
			IFS=, read -r lag within <<<"$lw"
			ref_queue expect.$((n += 1)) join "$lag" "$within" "$type" 0 id L R
			weir-join L R --on id --within "${within}s" --lag "${lag}s" --type "$type" \
				--stats > got.$n 2> err
			sums_add_up "$(tail -n 1 err)"
		done
	done
	ref_run
	for i in $(seq "$n"); do
		cmp expect.$i got.$i
	done
}

@test "a worked example: key once, the right's fields after the left's, a clash renamed" {
	printf '%s\n' '{"ts":"2026-01-01T00:00:00Z","id":1,"amount":10}' \
		'{"ts":"2026-01-01T00:00:05Z","id":2,"amount":20}' > orders
	printf '%s\n' '{"ts":"2026-01-01T00:00:03Z","id":1,"method":"card","amount":9.50}' \
		'{"ts":"2026-01-01T00:00:50Z","id":2,"method":"cash"}' > payments
	run weir-join orders payments --on id --within 30s
	assert_success
	# id 2 was paid 45 s after its order: outside 30 s, no row
	assert_output '{"ts":"2026-01-01T00:00:00Z","id":1,"amount":10,"right_ts":"2026-01-01T00:00:03Z","method":"card","right_amount":9.50}'
	run weir-join orders payments --on id --within 30s --type full --nest
	assert_success
	# unmatched rows come out when the watermark passes t + within: 00:35, 01:20
	assert_output "$(printf '%s\n' \
		'{"left":{"ts":"2026-01-01T00:00:00Z","id":1,"amount":10},"right":{"ts":"2026-01-01T00:00:03Z","id":1,"method":"card","amount":9.50}}' \
		'{"left":{"ts":"2026-01-01T00:00:05Z","id":2,"amount":20},"right":null}' \
		'{"left":null,"right":{"ts":"2026-01-01T00:00:50Z","id":2,"method":"cash"}}')"
}

@test "lines of many members merge as a reference merges them, escapes and spaces kept" {
	python3 - <<'PY'
import json
def line(obj, sep=(",", ":")):
    return json.dumps(obj, separators=sep, ensure_ascii=False)
left = {"ts": 1, "k": "a"}
right = {"ts": 2, "k": "a"}
for i in range(70):
    left["f%d" % i] = i
    right["f%d" % (i + 40)] = "v\"%d\u00e9" % i
with open("l", "w") as f:
    f.write(line(left) + "\n")
with open("r", "w") as f:
    f.write(line(right, (", ", " : ")) + "\n")
members = []
for name, v in right.items():
    if name == "k":
        continue
    out = "right_" + name if name in left else name
    members.append('"%s":%s' % (out, json.dumps(v, ensure_ascii=False)))
with open("expect", "w") as f:
    f.write(line(left)[:-1] + "," + ",".join(members) + "}\n")
PY
	weir-join l r --on k --within 5s > got
	cmp expect got
	jq -e . got > /dev/null
}

@test "lines of changing shapes on both sides: each row merges by its own two lines" {
	# the join keeps the names of the last left shape it merged, and what
	# it did with each member for the last pair of shapes: runs of lines of
	# one shape, then of another (the same names in another order, fewer,
	# more, long or escaped names), must each be merged by their own
	python3 - <<'PY'
import json, random
lshapes = [["a", "b"], ["b", "a"], ["a"], ["a", "b", "c"], ["a_very_long_name_over_16", "b"],
           ["d", "b"], [], ["c", "a", "b", "d", "e"]]
rall = [("a", "9"), ("b", "8"), ("c", "7"), ("d", '"6"'), ("e", "5"), ("f", "4")]
rshapes = [rall, rall[:2], rall[2:], [rall[1], rall[0]], [rall[4], rall[2]], [],
           [("a_very_long_name_over_16", "3")] + rall[:1]]
r = random.Random(7)
left, right, expect = [], [], []
names, rmembers = lshapes[0], rshapes[0]
for i in range(600):
    if r.random() < 0.3:
        names = r.choice(lshapes)
    if r.random() < 0.3:
        rmembers = r.choice(rshapes)
    lnames = names + (["esc"] if r.random() < 0.05 else [])
    l = '{"ts":%d,"k":%d' % (i * 10, i) + "".join(
        ',"%s":%s' % (n, '"x\\u00e9"' if n == "esc" else str(j)) for j, n in enumerate(lnames)) + "}"
    rm = [("ts", str(i * 10 + 1)), ("k", str(i))] + rmembers
    # some lines have no partner: the pairs merged one after the other are
    # then not of lines that came one after the other
    drop = r.random()
    if drop >= 0.15:
        right.append("{" + ",".join('"%s":%s' % m for m in rm) + "}")
    if drop < 0.15 or drop >= 0.3:
        left.append(l)
    if drop < 0.3:
        continue
    have = set(["ts", "k"] + lnames)
    merged = ['"%s":%s' % ("right_" + n if n in have else n, v) for n, v in rm if n != "k"]
    expect.append(l[:-1] + ("," if merged else "") + ",".join(merged) + "}")
# and one case written out: a pair of shapes (x, a) merged, then a right
# line of a new shape b without a partner, then one of b with a left of x
for i, (rnames, partner) in enumerate([(["a", "b"], 1), (["a", "b"], 1), (["a", "b"], 1),
                                       (["c", "d"], 0), (["c", "d"], 1)], 600):
    l = '{"ts":%d,"k":%d,"a":1,"b":2}' % (i * 10, i)
    rline = '{"ts":%d,"k":%d' % (i * 10 + 1, i) + "".join(',"%s":3' % n for n in rnames) + "}"
    right.append(rline)
    if partner:
        left.append(l)
        merged = ['"right_ts":%d' % (i * 10 + 1)] + [
            '"%s":3' % ("right_" + n if n in ("a", "b") else n) for n in rnames]
        expect.append(l[:-1] + "," + ",".join(merged) + "}")
for name, lines in (("l", left), ("r", right), ("expect", expect)):
    with open(name, "w") as f:
        f.write("\n".join(lines) + "\n")
PY
	weir-join l r --on k --within 5s > got
	cmp expect got
}

@test "equal keys many-to-many, and a missing key field matches nothing" {
	printf '%s\n' '{"ts":1,"k":"a","l":1}' '{"ts":2,"k":"a","l":2}' '{"ts":3,"l":3}' > l
	printf '%s\n' '{"ts":2,"k":"a","r":1}' '{"ts":3,"k":"a","r":2}' '{"ts":3,"r":3}' > r
	run --separate-stderr weir-join l r --on k --within 5s --stats
	assert_success
	# in (t, left first) order: l1 l2 r1(t2: after l2) r2 ...; each right meets both lefts
	assert_output "$(printf '%s\n' \
		'{"ts":1,"k":"a","l":1,"right_ts":2,"r":1}' \
		'{"ts":2,"k":"a","l":2,"right_ts":2,"r":1}' \
		'{"ts":1,"k":"a","l":1,"right_ts":3,"r":2}' \
		'{"ts":2,"k":"a","l":2,"right_ts":3,"r":2}')"
	[[ "$stderr" == *'"in":6,"out":4,"late":0,"rejected":0,"dropped":2,"filtered":0,"held":0'* ]]
	run weir-join l r --on k --within 5s --type full
	assert_line --index 4 '{"ts":3,"l":3}'
	assert_line --index 5 '{"ts":3,"r":3}'
}

@test "CSV inputs and a gzipped input give the rows the NDJSON files give" {
	sides 7
	weir-join L R --on id --within 5s --lag 3s --type full > expect
	gzip -c R > R.gz
	weir-join L R.gz --on id --within 5s --lag 3s --type full > got
	cmp expect got
	# the same events as CSV (every field a column; a missing one empty)
	printf '%s\n' '{"ts":"2026-01-01T00:00:01Z","id":1,"a":"x"}' '{"ts":"2026-01-01T00:00:02Z","id":2,"a":"y"}' > l.ndjson
	printf '%s\n' '{"ts":"2026-01-01T00:00:03Z","id":1,"b":7}' '{"ts":"2026-01-01T00:00:09Z","id":2,"b":8}' > r.ndjson
	printf '%s\n' ts,id,a 2026-01-01T00:00:01Z,1,x 2026-01-01T00:00:02Z,2,y > l.csv
	printf '%s\n' ts,id,b 2026-01-01T00:00:03Z,1,7 2026-01-01T00:00:09Z,2,8 > r.csv
	weir-join l.ndjson r.ndjson --on id --within 5s --type left -o csv > expect.csv
	weir-join -i csv -o csv l.csv r.csv --on id --within 5s --type left > got.csv
	cmp expect.csv got.csv
	assert_equal "$(head -n 2 got.csv)" "$(printf '%s\n' ts,id,a,right_ts,b 2026-01-01T00:00:01Z,1,x,2026-01-01T00:00:03Z,7)"
}

@test "late events on either side follow --late, byte for byte" {
	printf '%s\n' '{"ts":10,"k":1}' '{"ts":20,"k":2}' '{"ts":12,"k":3}' > l
	printf '%s\n' '{"ts":10,"k":1}' '{"ts":12,"k":3}' > r
	run --separate-stderr weir-join l r --on k --late late.out --stats
	assert_success
	assert_output '{"ts":10,"k":1,"right_ts":10}'
	assert_equal "$(cat late.out)" '{"ts":12,"k":3}'
	[[ "$stderr" == *'"late":1'* ]]
	run --separate-stderr weir-join l r --on k
	[[ "$stderr" == *"1 late event dropped"*"--lag"* ]]
}

@test "two FIFOs written at different paces give the bytes of the files read at once" {
	sides 2
	weir-join L R --on id --within 5s --lag 3s --type full > batch
	mkfifo lf rf
	feed L 3 > lf &
	cat R > rf &
	weir-join lf rf --on id --within 5s --lag 3s --type full > stream
	wait
	cmp batch stream
	feed R 4 > rf &
	feed L 5 > lf &
	weir-join lf rf --on id --within 5s --lag 3s --type full > stream2
	wait
	cmp batch stream2
	# and stdin as one side
	feed L 6 | weir-join - R --on id --within 5s --lag 3s --type full > stream3
	cmp batch stream3
}

@test "one producer feeding both sides through tee does not hang: the paused side is read ahead, within --max-buffer" {
	# all the orders first, then all the payments: the left runs far ahead
	python3 - <<'EOF'
with open("o", "w") as o, open("p", "w") as p:
    for i in range(60000):
        o.write('{"ts":%d.%03d,"k":%d,"kind":"order"}\n' % (1795428000 + i // 100, i % 100 * 10, i))
        p.write('{"ts":%d.%03d,"k":%d,"kind":"pay"}\n' % (1795428000 + i // 100, i % 100 * 10 + 5, i))
EOF
	cat o p > mixed
	weir-join o p --on k --within 1s --lag 1s > expect
	assert_equal "$(wc -l < expect)" 60000
	mkfifo lf rf
	# timeout: a hang fails the test instead of stopping the suite
	timeout 60 weir-join lf rf --on k --within 1s --lag 1s > got 2> err &
	join=$!
	tee >(grep order > lf) < mixed | grep pay > rf
	wait "$join"
	cmp expect got
	# a bound too small for that: a message that says why and what to change, exit 1
	timeout 60 weir-join lf rf --on k --within 1s --lag 1s --max-buffer 1000 > got 2> err &
	join=$!
	tee >(grep order > lf 2>/dev/null) < mixed 2>/dev/null | grep pay > rf 2>/dev/null || true
	rc=0
	wait "$join" || rc=$?
	assert_equal "$rc" 1
	grep -q "'rf' has given nothing for a while, and 1000 lines of 'lf' were read ahead of it" err
	grep -q "raise --max-buffer" err
}

@test "--idle lets one side go on while the other says nothing" {
	printf '%s\n' '{"ts":1,"k":1}' '{"ts":2,"k":2}' > l
	mkfifo rf
	sleep 20 > rf &
	holder=$!
	weir-join l rf --on k --type left --idle 200ms > out 2> err &
	pid=$!
	for _ in $(seq 100); do
		[ "$(wc -l < out)" -ge 2 ] && break
		sleep 0.05
	done
	kill "$pid" "$holder" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# the data lines, and the idle advance said so with a watermark line
	assert_equal "$(grep -v _watermark out)" "$(cat l)"
	grep -q '^{"_watermark":' out
}

@test "backpressure: a side far ahead in event time is not read ahead, memory stays flat" {
	# every left event lies hours after every right one: without backpressure
	# all of the left would wait in memory for the right to catch up
	python3 - <<'PY'
base = 1795428000000
with open("l", "w") as f:
    for i in range(300000):
        f.write('{"ts":%d,"k":%d,"pad":"%s"}\n' % (base + 36000000 + i * 10, i % 1000, "x" * 60))
with open("r", "w") as f:
    for i in range(300000):
        f.write('{"ts":%d,"k":%d}\n' % (base + i * 10, i % 1000))
PY
	/usr/bin/time -f '%M' -o rss weir-join l r --on k --within 1s --stats > out 2> err
	[ ! -s out ]
	stats=$(grep '^{' err)
	sums_add_up "$stats"
	[[ "$stats" == *'"left_pauses":'[1-9]* ]]
	# the left file is 28 MB; what was held stays far below it: the state's
	# arrays keep the size they grew to, so state_bytes at exit shows the peak
	python3 -c 'import json, sys; s = json.loads(sys.argv[1]); assert s["state_bytes"] < 16 << 20, s' "$stats"
	if [ "$WEIR_BIN" = bin ]; then
		[ "$(tail -n 1 rss)" -lt 40000 ]	# KiB (the inputs are mapped as read); sanitizer builds take more
	fi
}

@test "watermark lines: the lower of the two inputs, less within, go out" {
	printf '%s\n' '{"ts":"2026-01-01T00:00:10Z","k":1}' '{"_watermark":"2026-01-01T00:01:00Z"}' > l
	printf '%s\n' '{"ts":"2026-01-01T00:00:12Z","k":1}' '{"_watermark":"2026-01-01T00:00:40Z"}' > r
	run weir-join l r --on k --within 5s
	assert_success
	assert_line '{"ts":"2026-01-01T00:00:10Z","k":1,"right_ts":"2026-01-01T00:00:12Z"}'
	# where the lines fall among the rows, and which, depends on how the
	# inputs interleaved (an input that has ended holds nothing back); what
	# they promise does not: no row after one is earlier than it
	grep -q '^{"_watermark":"2026-01-01T00:00:[0-9]*Z"}$' <<< "$output"
	python3 -c '
import json, sys
wm = None
for line in sys.stdin:
    o = json.loads(line)
    if "_watermark" in o:
        wm = o["_watermark"]
    else:
        assert wm is None or o["ts"] >= wm, (o, wm)' <<< "$output"
	# a barrier is passed on
	printf '%s\n' '{"_checkpoint":1}' >> r
	run weir-join l r --on k --within 5s
	assert_line '{"_checkpoint":1}'
}

@test "bad input on either side is named by input and line; exit codes" {
	printf '%s\n' '{"ts":1,"k":1}' 'not json' '{"k":2}' '{"ts":"yesterday","k":3}' > l
	printf '%s\n' '{"ts":1,"k":1}' '{"ts":99999999999999999999999,"k":1}' > r
	printf '\x00\xff\xfe binary\n' >> r
	run --separate-stderr weir-join l r --on k --errors bad --stats
	assert_success
	assert_output '{"ts":1,"k":1,"right_ts":1}'
	[[ "$stderr" == *"weir-join: l:2: "* ]]
	[[ "$stderr" == *"weir-join: l:3: no event time"* ]]
	[[ "$stderr" == *"weir-join: l:4: "* ]]
	[[ "$stderr" == *"weir-join: r:2: "* ]]
	[[ "$stderr" == *"weir-join: r:3: "* ]]
	assert_equal "$(wc -l < bad)" 5
	sums_add_up "$(grep '^{' <<< "$stderr")"
	run --separate-stderr weir-join l r --on k --on-error fail
	assert_failure 65
	[[ "$stderr" == *"l:2: "* || "$stderr" == *"r:2: "* ]]
	: > e1; : > e2
	run weir-join e1 e2 --on k
	assert_success
	assert_output ""
	run --separate-stderr weir-join l --on k
	assert_failure 2
	[[ "$stderr" == *"LEFT and RIGHT"* ]]
	run --separate-stderr weir-join l r
	assert_failure 2
	[[ "$stderr" == *"--on"* ]]
	run --separate-stderr weir-join l r --on k --type outer
	assert_failure 2
	[[ "$stderr" == *"inner, left, right or full"* ]]
	run --separate-stderr weir-join - - --on k
	assert_failure 2
	run --separate-stderr weir-join l nonexistent --on k
	assert_failure 1
	[[ "$stderr" == *"cannot open 'nonexistent'"* ]]
	# a closed stdin is an error, not the next file opened read twice
	run --separate-stderr sh -c 'exec weir-join - r --on k <&-'
	assert_failure 1
	[[ "$stderr" == *"cannot open '-': Bad file descriptor"* ]]
	# a 10 MB line passes through a join whole
	python3 -c 'print("{\"ts\":1,\"k\":1,\"big\":\"" + "x" * 10000000 + "\"}")' > big
	weir-join big r --on k --errors /dev/null 2> /dev/null > out
	[ "$(wc -c < out)" -gt 10000000 ]
}

@test "a closed pipe ends quietly, /dev/full is an error" {
	sides 3
	weir-join L R --on id --within 5s --lag 5s --type full 2> err | head -n 1 > /dev/null
	assert_equal "${PIPESTATUS[0]}" 0
	[ ! -s err ]
	run --separate-stderr sh -c 'weir-join L R --on id --within 5s --type full > /dev/full'
	assert_failure 1
	[[ "$stderr" == *"cannot write"* ]]
}

# --- the table join ------------------------------------------------------------------

@test "a table join from NDJSON: inner and left, several rows a key, clashes renamed" {
	printf '%s\n' '{"host":"web-1","dc":"fra","owner":"ana"}' '{"host":"web-2","dc":"ams"}' \
		'{"host":"web-2","dc":"ams-b"}' '{"dc":"nowhere"}' > hosts.ndjson
	printf '%s\n' '{"ts":1,"host":"web-1","dc":"?"}' '{"ts":2,"host":"web-3"}' \
		'{"ts":3,"host":"web-2"}' '{"ts":4}' > events
	run --separate-stderr weir-join --table hosts.ndjson --on host --stats < events
	assert_success
	assert_output "$(printf '%s\n' \
		'{"ts":1,"host":"web-1","dc":"?","right_dc":"fra","owner":"ana"}' \
		'{"ts":3,"host":"web-2","dc":"ams"}' \
		'{"ts":3,"host":"web-2","dc":"ams-b"}')"
	[[ "$stderr" == *'"table_rows":3,"table_keys":2,"table_rows_without_key":1'* ]]
	sums_add_up "$(grep '^{' <<< "$stderr")"
	run weir-join --table hosts.ndjson --on host --type left --nest < events
	assert_success
	assert_line --index 1 '{"left":{"ts":2,"host":"web-3"},"right":null}'
	assert_line --index 4 '{"left":{"ts":4},"right":null}'
	# the stream needs no event time to be enriched
	run weir-join --table hosts.ndjson --on host <<< '{"host":"web-1"}'
	assert_output '{"host":"web-1","dc":"fra","owner":"ana"}'
}

@test "a table row with only its key adds nothing; dotted and escaped names are members too" {
	printf '%s\n' '{"k":1}' '{"k":2,"a.b":1,"x":{"y":2}}' '{"k":3,"n\u0061me":"e"}' > t.ndjson
	printf '%s\n' '{"ts":1,"k":1}' '{"ts":2,"k":2,"a":{"b":0}}' '{"ts":3,"k":2,"a.b":0}' \
		'{"ts":4,"k":3,"name":"l"}' '{ "ts":5, "k":1 }' > events
	run weir-join --table t.ndjson --on k < events
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"k":1}' \
		'{"ts":2,"k":2,"a":{"b":0},"a.b":1,"x":{"y":2}}' \
		'{"ts":3,"k":2,"a.b":0,"right_a.b":1,"x":{"y":2}}' \
		'{"ts":4,"k":3,"name":"l","n\u0061me":"e"}' '{ "ts":5, "k":1 }')"
	jq -e . <<< "$output" > /dev/null
}

@test "a table of 40k rows, keys repeated far apart, matches a reference join, inner and left" {
	# past the first 2 MiB of the table's arena (it grows), and with keys on
	# several rows that are not next to each other (the rows are brought
	# together after reading); some rows bring a name the event has
	python3 - <<'PY'
import json, random
rng = random.Random(9)
rows = []
with open("t.ndjson", "w") as f:
    for i in range(40000):
        k = rng.randrange(30000)
        row = {"k": "k%d" % k, "name": "n%d" % i, "pad": "x" * rng.randrange(0, 40)}
        if rng.random() < 0.1:
            row["n"] = i
        line = json.dumps(row, separators=(",", ":"))
        rows.append((row["k"], line, row))
        f.write(line + "\n")
table = {}
for k, line, row in rows:
    table.setdefault(k, []).append(row)
with open("events", "w") as ev, open("inner", "w") as inner, open("left", "w") as left:
    for i in range(20000):
        k = "k%d" % rng.randrange(40000)
        line = '{"ts":%d,"k":"%s","n":%d}' % (1000 + i, k, i)
        ev.write(line + "\n")
        if k not in table:
            left.write(line + "\n")
            continue
        for row in table[k]:
            members = []
            for name, v in row.items():
                if name == "k":
                    continue
                out = "right_" + name if name in ("ts", "k", "n") else name
                members.append('"%s":%s' % (out, json.dumps(v, separators=(",", ":"))))
            joined = line[:-1] + "," + ",".join(members) + "}"
            inner.write(joined + "\n")
            left.write(joined + "\n")
PY
	run --separate-stderr weir-join --table t.ndjson --on k --stats < events
	assert_success
	diff inner <(printf '%s\n' "$output")
	[[ "$stderr" == *'"table_rows":40000,'* ]]
	weir-join --table t.ndjson --on k --type left < events > got
	cmp left got
}

@test "a table join from CSV matches a reference join, and so does CSV in and out" {
	python3 - <<'PY'
import csv, json, random
rng = random.Random(4)
with open("users.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["user", "plan", "seats"])
    for u in range(0, 400, 2):
        w.writerow(["u%d" % u, rng.choice(["free", "pro"]), rng.randrange(1, 50)])
table = {}
for row in csv.DictReader(open("users.csv")):
    table[row["user"]] = row
with open("events", "w") as ev, open("expect", "w") as ex:
    for i in range(2000):
        u = "u%d" % rng.randrange(400)
        line = '{"ts":%d,"user":"%s","n":%d}' % (1000 + i, u, i)
        ev.write(line + "\n")
        if u in table:
            r = table[u]
            ex.write(line[:-1] + ',"plan":"%s","seats":%s}\n' % (r["plan"], r["seats"]))
PY
	weir-join --table users.csv --on user < events > got
	cmp expect got
	# CSV in, CSV out: as a CSV tool would join them
	python3 -c '
import json, sys
print("ts,user,n")
for l in open("events"):
    o = json.loads(l); print("%d,%s,%d" % (o["ts"], o["user"], o["n"]))' > events.csv
	weir-join -i csv -o csv --table users.csv --on user < events.csv > got.csv
	python3 -c '
import json
print("ts,user,n,plan,seats")
for l in open("expect"):
    o = json.loads(l); print("%d,%s,%d,%s,%d" % (o["ts"], o["user"], o["n"], o["plan"], o["seats"]))' > expect.csv
	cmp expect.csv got.csv
}

@test "--reload picks up a changed table mid-stream, and keeps the old one if the new is bad" {
	printf '%s\n' '{"k":1,"v":"old"}' > t.ndjson
	mkfifo in
	weir-join --table t.ndjson --on k --reload -u < in > out 2> err &
	pid=$!
	exec 7> in
	wait_for_handler "$pid" 10
	echo '{"ts":1,"k":1}' >&7
	for _ in $(seq 100); do [ -s out ] && break; sleep 0.05; done
	# a name the table read at start did not have, clashing with the event's
	printf '%s\n' '{"k":1,"v":"new","w":5}' > t.tmp && mv t.tmp t.ndjson
	reloads() {
		# err is emptied under the program's own offset: what it writes next
		# lands after NUL bytes, hence grep -a
		: > err
		kill -USR1 "$pid"
		for _ in $(seq 20); do grep -q reloads err && break; sleep 0.05; done
		grep -a -o '"reloads":[0-9]*' err | cut -d: -f2
	}
	for _ in $(seq 100); do [ "$(reloads)" = 1 ] && break; sleep 0.05; done
	echo '{"ts":2,"k":1,"w":0}' >&7
	printf '%s\n' 'not json' > t.tmp && mv t.tmp t.ndjson
	for _ in $(seq 100); do grep -q "keeping the table" err && break; sleep 0.05; done
	echo '{"ts":3,"k":1}' >&7
	exec 7>&-
	wait "$pid"
	assert_equal "$(cat out)" "$(printf '%s\n' '{"ts":1,"k":1,"v":"old"}' \
		'{"ts":2,"k":1,"w":0,"v":"new","right_w":5}' '{"ts":3,"k":1,"v":"new","w":5}')"
	grep -q "t.ndjson:1" err
}

@test "a table whose file starts with a UTF-8 byte-order mark keys its first column all the same" {
	printf '\357\273\277k,name\n1,a\n2,b\n' > t.csv
	printf '\357\273\277{"k":1,"name":"a"}\n{"k":2,"name":"b"}\n' > t.ndjson
	printf '%s\n' '{"ts":1,"k":2}' '{"ts":2,"k":1}' > s
	for t in t.csv t.ndjson; do
		run --separate-stderr weir-join --table "$t" --on k --stats < s
		assert_success
		assert_output "$(printf '%s\n' '{"ts":1,"k":2,"name":"b"}' '{"ts":2,"k":1,"name":"a"}')"
		[[ "$stderr" == *'"table_rows_without_key":0'* ]]
	done
}

@test "a CSV table row with a stray quote is rejected by name and kept by --errors; the rows after it are rows" {
	printf 'k,name\n1,"6" screen\n2,b\n3,c\n' > t.csv
	printf '%s\n' '{"ts":1,"k":2}' '{"ts":2,"k":3}' '{"ts":3,"k":1}' > s
	run --separate-stderr weir-join --table t.csv --on k --errors bad --stats < s
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"k":2,"name":"b"}' '{"ts":2,"k":3,"name":"c"}')"
	[[ "$stderr" == *"weir-join: t.csv:2: malformed CSV record"* ]]
	[[ "$stderr" == *'"table_rows":2,'*'"table_rows_rejected":1,'* ]]
	assert_equal "$(cat bad)" '1,"6" screen'
	# --on-error fail: the table is not used
	run --separate-stderr weir-join --table t.csv --on k --on-error fail < s
	assert_failure 1
	[[ "$stderr" == *"table t.csv:2: malformed CSV record"* ]]
}

@test "a bad or missing table is an error naming it" {
	printf '%s\n' '{"k":1}' '{"k":2' > t.ndjson
	run --separate-stderr weir-join --table t.ndjson --on k < /dev/null
	assert_failure 1
	[[ "$stderr" == *"table t.ndjson:2: "* ]]
	run --separate-stderr weir-join --table missing.ndjson --on k < /dev/null
	assert_failure 1
	[[ "$stderr" == *"cannot open table 'missing.ndjson'"* ]]
	run --separate-stderr weir-join --table t.ndjson --on k --type full < /dev/null
	assert_failure 2
	run --separate-stderr weir-join a b --on k --reload
	assert_failure 2
}

@test "batch = stream for the table join; the man page" {
	sides 4
	printf '%s\n' '{"id":1,"name":"one"}' '{"id":2,"name":"two"}' > t.ndjson
	batch_equals_stream L weir-join --table t.ndjson --on id --type left
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-join.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-join.1"
	assert_output ""
}

@test "no data race between the two reader threads and the join (ThreadSanitizer)" {
	tsan="$ROOT/build/tsan/bin/weir-join"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	sides 5
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" L R --on id --within 5s --lag 3s --type full > tsan.out 2> tsan.err
	weir-join L R --on id --within 5s --lag 3s --type full > plain.out 2> /dev/null
	cmp plain.out tsan.out
	run grep -c ThreadSanitizer tsan.err
	assert_output 0
	# the table join: the table read on a thread of its own, then the stream
	jq -c '{id, region, n: 1}' R > T
	"$tsan" --table T --on id --type left < L > tsan.out 2> tsan.err
	weir-join --table T --on id --type left < L > plain.out 2> /dev/null
	cmp plain.out tsan.out
	run grep -c ThreadSanitizer tsan.err
	assert_output 0
}

@test "join keys compare by value: a CSV table's 1042 meets a log's \"1042\", an escaped name its characters" {
	printf 'k,name\n1042,a\njosé,b\n' > t.csv
	printf '%s\n' '{"ts":1,"k":"1042"}' '{"ts":2,"k":"jos\u00e9"}' '{"ts":3,"k":"1042.0"}' > s
	run weir-join --table t.csv --on k --type left < s
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"k":"1042","name":"a"}' '{"ts":2,"k":"jos\u00e9","name":"b"}' \
		'{"ts":3,"k":"1042.0"}')"
	printf '%s\n' '{"ts":1,"k":1042,"o":1}' > l
	printf '%s\n' '{"ts":1,"k":"1042","p":2}' > r
	run weir-join l r --on k --within 1s
	assert_success
	assert_output '{"ts":1,"k":1042,"o":1,"right_ts":1,"p":2}'
}

@test "blank lines on either input are skipped and counted as blank" {
	printf '{"ts":1,"k":"a"}\n\n  \n{"ts":3,"k":"b"}\n' > l
	printf '\n{"ts":2,"k":"a"}\n\n' > r
	run --separate-stderr weir-join l r --on k --within 5s --stats
	assert_success
	assert_output '{"ts":1,"k":"a","right_ts":2}'
	[[ "$stderr" == *'"in":3,'*'"rejected":0,'*'"blank":4,'* ]]
}

@test "an --on field that no event has is named at exit, with the nearest name" {
	printf '{"ts":1,"order_id":7}\n' > l
	printf '{"ts":2,"order_id":7}\n' > r
	run --separate-stderr weir-join l r --on orderid --within 5s
	assert_success
	[[ "$stderr" == *"weir-join: --on orderid: no event had the field 'orderid'; the first event has 'order_id'"* ]]
	run --separate-stderr weir-join --table r --on order_di l
	assert_success
	[[ "$stderr" == *"--on order_di: no event had the field 'order_di'; the first event has 'order_id'"* ]]
}

@test "-i json-text: inputs that are pretty-printed or an array join as their objects" {
	printf '[{"ts":1,"k":"a"},\n {"ts":3,"k":"b"}]\n' > l
	printf '{\n "ts": 2,\n "k": "a"\n}\n' > r
	run --separate-stderr weir-join -i json-text l r --on k --within 5s --type left
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"k":"a","right_ts":2}' '{"ts":3,"k":"b"}')"
	assert_equal "$stderr" ""
}

@test "--on LEFT=RIGHT joins keys named differently on each side; --left-time and --right-time each side's own time" {
	# orders carry order_id and their own id; payments name the order id, and time, otherwise
	printf '%s\n' '{"created":1,"order_id":7,"id":"o1"}' '{"created":3,"order_id":8,"id":"o2"}' > orders
	printf '%s\n' '{"paid_at":2,"id":7,"amount":5}' '{"paid_at":20,"id":8,"amount":1}' > payments
	run --separate-stderr weir-join orders payments --on order_id=id --left-time created \
	    --right-time paid_at --within 5s --type full
	assert_success
	# 7 pairs (1 s apart); 8 does not (17 s apart > 5 s): two outer rows.  The right side's
	# key member is the left's and is left out; its other "id" would clash and is renamed.
	assert_output "$(printf '%s\n' '{"created":1,"order_id":7,"id":"o1","paid_at":2,"amount":5}' \
	    '{"created":3,"order_id":8,"id":"o2"}' '{"paid_at":20,"id":8,"amount":1}')"
	assert_equal "$stderr" ""
	# the same keys the other way round
	run weir-join payments orders --on id=order_id --left-time paid_at --right-time created --within 5s
	assert_output '{"paid_at":2,"id":7,"amount":5,"created":1,"right_id":"o1"}'
	# a table keyed by another name
	printf '{"id":7,"name":"seven"}\n' > table
	printf '%s\n' '{"ts":1,"order_id":7}' '{"ts":2,"order_id":9}' > stream
	run weir-join --table table --on order_id=id --type left stream
	assert_output "$(printf '%s\n' '{"ts":1,"order_id":7,"name":"seven"}' '{"ts":2,"order_id":9}')"
	run weir-join orders payments --on order_id= --within 5s
	assert_failure 2
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	printf '%s\n' host,dc h1,fra h2,ams > "$BATS_TEST_TMPDIR/hosts.csv"
	io_contract weir-join --table "$BATS_TEST_TMPDIR/hosts.csv" --on host
}

@test "--asof: each left event with its key's latest right event at or before it, against the reference" {
	# under the sanitizers one seed covers the same code
	seeds="1 2"
	[ "$WEIR_BIN" = bin ] || seeds=1
	n=0
	for seed in $seeds; do
		ref join-events 2000 "$seed" 800 left > L.$seed
		ref join-events 1500 "$seed" 800 right > R.$seed
		for type in inner left; do
			for within in - 3; do
				for nest in $([ "$seed" = 1 ] && echo 0 1 || echo $((${#type} % 2))); do
					opts=(--type "$type")
					[ "$within" = - ] || opts+=(--within "${within}s")
					[ "$nest" = 0 ] || opts+=(--nest)
					ref_queue expect.$((n += 1)) asof 1 "$within" "$type" "$nest" id L.$seed R.$seed
					weir-join --asof L.$seed R.$seed --on id --lag 1s "${opts[@]}" --stats > got.$n 2> err
					sums_add_up "$(tail -n 1 err)"
				done
			done
		done
	done
	ref_run
	for i in $(seq "$n"); do
		cmp expect.$i got.$i
	done
	# the price at a trade's very time is the one in force; of two at one
	# time, the later to arrive; none before a trade: no row (inner)
	printf '%s\n' '{"ts":1,"sym":"A","qty":5}' '{"ts":5,"sym":"A","qty":2}' \
	    '{"ts":5,"sym":"B","qty":1}' '{"ts":9,"sym":"A","qty":7}' > trades
	printf '%s\n' '{"ts":0,"sym":"A","px":10}' '{"ts":5,"sym":"A","px":11}' \
	    '{"ts":5,"sym":"A","px":12}' '{"ts":6,"sym":"B","px":20}' > prices
	run weir-join --asof --on sym trades prices
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"sym":"A","qty":5,"right_ts":0,"px":10}' \
	    '{"ts":5,"sym":"A","qty":2,"right_ts":5,"px":12}' '{"ts":9,"sym":"A","qty":7,"right_ts":5,"px":12}')"
}

@test "--asof: batch = stream, FIFOs at their own paces; a checkpoint restores each key's row" {
	ref join-events 1500 3 800 left > L
	ref join-events 1200 3 800 right > R
	weir-join --asof L R --on id --lag 1s --type left > batch
	mkfifo lf rf
	feed L 3 > lf &
	feed R 4 > rf &
	weir-join --asof lf rf --on id --lag 1s --type left > stream
	wait
	cmp batch stream
	# key 1's row is taken in before the barrier (the watermark is past it),
	# its trade comes after it: restored, the trade still finds it
	mkdir ck
	printf '%s\n' '{"ts":1,"id":1,"a":1}' '{"ts":5,"id":3,"a":0}' '{"_checkpoint":1}' \
	    '{"ts":8,"id":1,"a":2}' > left
	printf '%s\n' '{"ts":2,"id":1,"b":1}' '{"ts":6,"id":2,"b":2}' '{"_checkpoint":1}' \
	    '{"ts":9,"id":2,"b":3}' > right
	weir-join --asof left right --on id --state ck/j > first
	weir-join --asof left right --on id --state ck/j > second
	sed -n '/_checkpoint/,$p' first | cmp - second
	grep -qx '{"ts":8,"id":1,"a":2,"right_ts":2,"b":1}' second
}

@test "two inputs: the notice at exit measures lateness from the input's own watermark, and the --lag it advises keeps every event" {
	# keys and times at random, out of order by up to 400 s on each side
	python3 - <<'PY'
import random
r = random.Random(50)
for side in ("L", "R"):
    n = r.randint(0, 1500)
    t = 1000
    with open(side, "w") as f:
        for i in range(n):
            t += r.choice([0, 1, 2, 5, 40])
            d = r.choice([0, 0, r.randint(0, 30), r.randint(0, 400)])
            k = r.randint(0, r.choice([3, 30, 300]))
            if r.random() < 0.03:
                f.write('{"ts":%d,"x":%d}\n' % (t - d, i))
            else:
                f.write('{"ts":%d,"id":"k%d","%s":%d}\n' % (t - d, k, "a" if side == "L" else "b", i))
PY
	# the reference: on each input, an event is late when it is behind that
	# input's latest time less the lag (the other input's pace moves the
	# join's watermark, not which events are late)
	read -r n behind lag < <(python3 -c '
import json
worst, n = 0, 0
for f in ("L", "R"):
    top = None
    for line in open(f):
        t = json.loads(line)["ts"]
        if top is not None and t < top - 20:
            n, worst = n + 1, max(worst, top - 20 - t)
        elif top is None or t > top:
            top = t
print(n, worst, worst + 20)')
	[ "$n" -gt 0 ]
	for i in 1 2 3; do
		run --separate-stderr weir-join --asof L R --on id --lag 20s --within 15s
		[ "$status" -eq 0 ]
		[[ $stderr == *"$n late events dropped, up to ${behind}s behind the watermark: --lag ${lag}s would have kept them all"* ]] ||
			{ echo "$stderr"; false; }
	done
	run --separate-stderr weir-join --asof L R --on id --lag "${lag}s" --within 15s
	[ "$status" -eq 0 ]
	[[ $stderr != *late* ]] || { echo "$stderr"; false; }
}

@test "--asof --within: rows restored from a checkpoint age in time order, whatever order the state kept them in" {
	# rows of 25 keys at 100..124 s and of 25 more at 200..224 s; none is
	# old enough to go before the barrier (the watermark is 224 s there,
	# --within 130s); after it the watermark reaches 300 s: the first 25
	# rows are let go, their keys with them, the others stay, with the
	# keys of the 3 right events after the barrier: 28 keys at the end
	mkdir ck
	{ for i in $(seq 0 24); do printf '{"ts":%d,"id":"a%d"}\n' $((100 + i)) "$i"; done
	  for i in $(seq 0 24); do printf '{"ts":%d,"id":"b%d"}\n' $((200 + i)) "$i"; done
	  printf '{"_checkpoint":1}\n'
	  for t in 300 301 302; do printf '{"ts":%d,"id":"c%d"}\n' "$t" "$t"; done; } > right
	{ printf '{"ts":250,"id":"none"}\n{"_checkpoint":1}\n'
	  for t in 300 301 302; do printf '{"ts":%d,"id":"none"}\n' "$t"; done; } > left
	weir-join --asof left right --on id --within 130s --state ck/j > first 2> /dev/null
	run --separate-stderr weir-join --asof left right --on id --within 130s --state ck/j --stats
	[ "$status" -eq 0 ]
	[[ $stderr =~ \"keys\":28, ]] || { echo "$stderr"; false; }
}

@test "--asof: what it does not take is a usage error; keys with no right event are not kept" {
	run --separate-stderr weir-join --asof L R --on id --type full
	assert_failure 2
	[[ "$stderr" == *"--asof keeps the left events: --type inner or left"* ]]
	printf '{"id":1}\n' > t.ndjson
	run --separate-stderr weir-join --asof --table t.ndjson --on id
	assert_failure 2
	[[ "$stderr" == *"--asof joins two inputs"* ]]
	# a left event of a key the right never had, and one with no key: with
	# --type left they pass as they came; the state holds the right keys only
	printf '%s\n' '{"ts":1,"id":7}' '{"ts":2}' '{"ts":3,"id":1}' > left
	printf '%s\n' '{"ts":0,"id":1,"b":1}' '{"ts":1}' > right
	run --separate-stderr weir-join --asof left right --on id --type left --stats
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"id":7}' '{"ts":2}' '{"ts":3,"id":1,"right_ts":0,"b":1}')"
	[[ "$stderr" == *'"in":5,"out":4,'*'"dropped":1,'*'"keys":1,"matched":1,"unmatched":2'* ]] ||
	    fail "stderr: $stderr"
}
