#!/usr/bin/env bats
# weir-absent: keys that fall silent in event time, against a reference in
# Python that follows the definition; every row in its order.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# hosts that report every second or so, with outages, arriving up to 2 s
# out of order
events() {
	python3 - "${1:-7}" <<'PY'
import json, random, sys
r = random.Random(int(sys.argv[1]))
evs = []
for h in range(12):
    t = r.uniform(0, 5)
    while t < 600:
        evs.append((t + r.uniform(0, 2), {"ts": round(t, 3), "host": "h%d" % h}))
        t += r.expovariate(1.0) if r.random() > 0.01 else r.uniform(20, 90)
evs.sort(key=lambda x: x[0])
for _, e in evs:
    print(json.dumps(e))
PY
}

# reference LAG AFTER MAX_KEYS EVENTS: the rows, by the definition
reference() {
	python3 - "$@" <<'PY'
import json, sys
lag, after, max_keys = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
keys, order, out = {}, [], []
seq, wm, mx = 0, None, None

def row(h, k, back=None):
    r = {"host": h, "silent_since": k["last"]}
    if back is not None:
        r["back_at"] = back
    r["absent"] = back is None
    out.append(r)

def arm(k):
    global seq
    k["due"], k["seq"] = k["last"] + after, seq
    seq += 1

def fire(upto):
    due = sorted((k["due"], k["seq"], h) for h, k in keys.items() if not k["absent"] and k["due"] <= upto)
    for _, _, h in due:
        keys[h]["absent"] = True
        row(h, keys[h])

for line in open(sys.argv[4]):
    e = json.loads(line)
    h, t = e["host"], e["ts"]
    k = keys.get(h)
    if k is None:
        keys[h] = k = {"last": t, "absent": False}
        order.append(h)
        arm(k)
        if len(keys) > max_keys:
            del keys[order.pop(0)]
    else:
        order.remove(h)
        order.append(h)
        if t > k["last"]:
            if not k["absent"] and t - k["last"] >= after:
                k["absent"] = True
                row(h, k)
            if k["absent"]:
                k["absent"] = False
                row(h, k, t)
            k["last"] = t
            arm(k)
    mx = t if mx is None or t > mx else mx
    if wm is None or mx - lag > wm:
        wm = mx - lag
        fire(wm)
fire(mx)
for r in out:
    print(json.dumps(r, separators=(",", ":")))
PY
}

@test "a key is absent when the watermark passes its latest event by --after, and back with its next event" {
	events > in
	reference 2 10 1000000 in > expect
	weir-absent --lag 2s --by host --after 10s < in > got
	[ -s expect ]
	diff expect got
	# and with no lag: the watermark at the newest event
	reference 0 30 1000000 in > expect
	weir-absent --by host --after 30s < in > got
	diff expect got
}

@test "--max-keys forgets the key seen longest ago, counted; the rows of the others are unchanged" {
	events 9 > in
	reference 2 10 11 in > expect
	[ -s expect ]
	run --separate-stderr weir-absent --lag 2s --by host --after 10s --max-keys 11 --stats in
	assert_success
	diff expect <(printf '%s\n' "$output")
	[[ "$stderr" == *'"forgotten":'* ]]
	[[ "$stderr" != *'"forgotten":0'* ]] || fail "$stderr"
}

@test "rows carry the input's time representation; the end of the input is no silence" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:00Z","h":"a"}' '{"ts":"2026-11-23T10:00:01Z","h":"b"}' \
	    '{"ts":"2026-11-23T10:07:00Z","h":"b"}' '{"ts":"2026-11-23T10:07:30Z","h":"a"}' > in
	run weir-absent --by h --after 5m in
	# b's own event at 10:07 proves its silence at once; a's waits for the
	# watermark, which that event then moves to 10:07
	assert_output "$(printf '%s\n' \
	    '{"h":"b","silent_since":"2026-11-23T10:00:01Z","absent":true}' \
	    '{"h":"b","silent_since":"2026-11-23T10:00:01Z","back_at":"2026-11-23T10:07:00Z","absent":false}' \
	    '{"h":"a","silent_since":"2026-11-23T10:00:00Z","absent":true}' \
	    '{"h":"a","silent_since":"2026-11-23T10:00:00Z","back_at":"2026-11-23T10:07:30Z","absent":false}')"
}

@test "kill -9 at random points with --state: the same rows" {
	events 5 | python3 -c '
import sys
for i, l in enumerate(sys.stdin, 1):
    sys.stdout.write(l)
    if i % 500 == 0:
        print("{\"_checkpoint\":%d}" % (i // 500))' > in
	weir-absent --lag 2s --by host --after 10s < in | grep -v '^{"_' > expect
	[ -s expect ]
	mkdir ck
	run python3 "$LIB/crash.py" stdin --seed 31 --kills 5 --input in --expect expect -- \
	    weir-absent --lag 2s --by host --after 10s --state ck/ab
	assert_success
}

@test "batch equals stream" {
	events > in
	batch_equals_stream in weir-absent --lag 2s --by host --after 10s
}

@test "usage errors name what is wrong" {
	run --separate-stderr weir-absent --by host
	assert_failure 2
	[[ "$stderr" == *"needs --by FIELDS and --after DUR"* ]]
	run --separate-stderr weir-absent --by host --after 0
	assert_failure 2
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-absent.1"
	mandoc -T lint -W warning "$ROOT/man/weir-absent.1"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	# ten keys a second apart, then silent: more rows than a pipe holds
	io_contract weir-absent --by id --after 1ms
}
