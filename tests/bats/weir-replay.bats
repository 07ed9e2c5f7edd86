#!/usr/bin/env bats
# weir-replay: merge order, bounds, pacing, following, offsets, gzip,
# progress, bad input.  Expected orders come from a sort in the test.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# a follow that a failed test left running must not hold the suite up
teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

# sorted_files SEED DISORDER_MS NAME...: one file per NAME, events ordered
# by time within DISORDER_MS, many equal times across and within files
sorted_files() {
	python3 - "$@" <<'PY'
import json, random, sys
seed, disorder, names = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
rng = random.Random(seed)
for f, name in enumerate(names):
    t, evs = 1795428000000, []
    for i in range(rng.randint(200, 400)):
        t += rng.choice([0, 0, 1000, 2000, 3000])
        evs.append((t + rng.randint(0, disorder), {"ts": t, "file": f, "n": i}))
    evs.sort(key=lambda e: e[0])
    with open(name, "w") as out:
        for _, e in evs:
            out.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
}

# the merge a reader expects: by time, then file order, then line order
expected_merge() {
	python3 - "$@" <<'PY'
import json, sys
args = sys.argv[1:]
lo = hi = None
if args and args[0] == "--range":
    lo, hi, args = int(args[1]), int(args[2]), args[3:]
rows = []
for f, name in enumerate(args):
    for i, line in enumerate(open(name)):
        t = json.loads(line)["ts"]
        if lo is None or lo <= t < hi:
            rows.append((t, f, i, line))
rows.sort()
sys.stdout.write("".join(r[3] for r in rows))
PY
}

@test "--follow | head -1: the closed pipe is noticed while waiting for growth, and the replay ends with 0" {
	printf '%s\n' '{"ts":1}' '{"ts":2}' > f
	# timeout: a replay that does not notice runs until it is killed (124)
	run bash -c 'timeout 20 weir-replay --follow f | head -n 1; echo "${PIPESTATUS[0]}"'
	assert_output "$(printf '%s\n' '{"ts":1}' 0)"
}

@test "a disordered file is replayed whole: every line, disordered ones counted, and --late makes them late only when given" {
	python3 - > in <<'EOF'
import random
random.seed(3)
for i in range(3000):
    print('{"ts":%.3f,"i":%d}' % (1795428000 + i * 0.01 + random.uniform(0, 1), i))
EOF
	run --separate-stderr weir-replay --stats in
	assert_success
	assert_equal "$(sort <<<"$output")" "$(sort in)"
	[[ "$stderr" == *'"in":3000,"out":3000,"late":0'* ]]
	[[ "$stderr" =~ \"disordered\":[1-9] ]]
	# disordered: a line older than a line before it in the file
	assert_equal "$(python3 -c 'import json, sys
top = None; behind = 0
for line in sys.stdin:
    t = json.loads(line)["ts"]
    if top is not None and t < top: behind += 1
    top = t if top is None or t > top else top
print(behind)' < in)" "$(sed -n 's/.*"disordered":\([0-9]*\).*/\1/p' <<<"$stderr")"
	run --separate-stderr weir-replay --late late.out --stats in
	assert_equal "$(cat late.out <(echo "$output") | sort)" "$(sort in)"
	[[ "$stderr" =~ \"late\":[1-9] ]]
}

@test "files merge by event time, plain and gzipped, ties in file then line order" {
	sorted_files 1 0 a b c
	expected_merge a b c > expect
	gzip -k b
	weir-replay a b.gz c > got
	cmp expect got
	# the same bytes from one file, and from stdin
	weir-replay a > got
	cmp a got
	weir-replay < a > got
	cmp a got
}

@test "--lag lets each file be out of order within it" {
	sorted_files 2 2500 a b c
	expected_merge a b c > expect
	weir-replay --lag 3s a b c > got
	cmp expect got
	# without it, what comes behind is written where it arrived and counted
	# as disordered, never lost
	run --separate-stderr weir-replay --stats a b c
	python3 - "$output" "$stderr" <<'PY'
import json, sys
out = sys.argv[1].splitlines()
stats = [json.loads(l) for l in sys.argv[2].splitlines() if l.startswith("{")][-1]
assert stats["late"] == 0 and stats["disordered"] > 0, stats
assert stats["in"] == stats["out"] == len(out), stats
PY
	assert_equal "$(sort <<<"$output")" "$(sort a b c)"
}

@test "--from and --to keep exactly [from, to), the rest counted as dropped" {
	sorted_files 3 0 a b
	expected_merge --range 1795428100000 1795428300000 a b > expect
	run --separate-stderr weir-replay --from 2026-11-23T10:01:40Z --to 1795428300 --stats a b
	assert_success
	diff expect <(printf '%s\n' "$output")
	[[ "$stderr" == *'"dropped":'* ]]
	python3 - "$stderr" a b <<'PY'
import json, sys
stats = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("{")][-1])
lines = sum(1 for f in sys.argv[2:] for _ in open(f))
assert stats["in"] == lines == stats["out"] + stats["dropped"], stats
PY
}

@test "--speed and --rate pace the output within a bounded tolerance" {
	# 11 events 100 ms apart: 1 s of event time
	python3 -c 'import json
for i in range(11): print(json.dumps({"ts": 1795428000000 + 100 * i}))' > in
	start=$(date +%s%N)
	weir-replay --speed 2 in > got
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 450 ] && [ "$ms" -lt 2500 ]	# 0.5 s at twice the pace
	cmp in got
	start=$(date +%s%N)
	weir-replay --rate 20 in > /dev/null
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 450 ] && [ "$ms" -lt 2500 ]	# 10 gaps of 50 ms
}

# wait_lines FILE N: waits (at most 5 s) until FILE has N lines
wait_lines() {
	for _ in $(seq 100); do
		[ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "only $(wc -l < "$1") of $2 lines in $1" >&2
	return 1
}

@test "--follow reads on across append, rename-and-recreate and truncate-and-rewrite, every line once" {
	ev() { for i in "$@"; do printf '{"ts":%d,"n":%d}\n' "$i" "$i"; done; }
	ev 1 2 3 > log
	weir-replay --follow --idle 100ms log > got 2> err &
	pid=$!
	wait_lines got 3
	ev 4 5 >> log					# append
	wait_lines got 5
	printf '{"ts":6,' >> log			# half a line waits for its end
	sleep 0.3
	[ "$(wc -l < got)" -eq 5 ]
	printf '"n":6}\n' >> log
	wait_lines got 6
	mv log log.1 && ev 7 8 > log			# rotation
	wait_lines got 8
	ev 9 >> log.1					# the old file still gets a late line: ignored
	: > log && ev 10 11 > log			# truncation, then new lines
	wait_lines got 10
	# lines that reach the old file just before it is renamed are read
	# before the new file (found by make soak)
	ev 12 >> log && mv log log.2 && ev 13 > log
	wait_lines got 12
	kill -TERM "$pid"
	wait "$pid"
	ev 1 2 3 4 5 6 7 8 10 11 12 13 > expect
	cmp expect got
}

@test "--offsets: a restart resumes after the last line written, no loss, no repeat" {
	sorted_files 4 0 a b
	expected_merge a b > expect
	head -n 100 a > a.part && mv a a.full && mv a.part a
	weir-replay --offsets off a b > got1
	# a grew meanwhile; b did not
	tail -n +101 a.full >> a
	weir-replay --offsets off a b > got2
	cat got1 got2 | sort > all
	sort expect > expect.sorted
	cmp expect.sorted all
	# nothing new: nothing again
	weir-replay --offsets off a b > got3
	[ ! -s got3 ]
	# a file that replaced one recorded (other first bytes) is read from its start
	printf '{"ts":1}\n' > b
	run weir-replay --offsets off a b
	assert_output '{"ts":1}'
}

@test "--offsets with --follow: stopped by SIGTERM and started again, every line once" {
	for i in $(seq 1 50); do printf '{"ts":%d}\n' "$i"; done > log
	weir-replay --follow --idle 100ms --offsets off log > got1 &
	pid=$!
	wait_lines got1 50
	kill -TERM "$pid"
	wait "$pid"
	for i in $(seq 51 80); do printf '{"ts":%d}\n' "$i"; done >> log
	weir-replay --offsets off log > got2
	cat got1 got2 | cmp log -
}

@test "a corrupt or truncated .gz is an error naming the file" {
	sorted_files 5 0 a
	gzip -k a
	head -c 200 a.gz > cut.gz
	run --separate-stderr weir-replay cut.gz
	assert_failure 1
	[[ "$stderr" == *"'cut.gz': corrupt gzip data"* ]]
	printf '\037\213garbage' > bad.gz
	run --separate-stderr weir-replay a bad.gz
	assert_failure 1
	[[ "$stderr" == *"'bad.gz'"* ]]
}

@test "--progress draws on a terminal and nothing when stderr is not one" {
	sorted_files 6 0 a
	script -qec "weir-replay --progress a > /dev/null" /dev/null > tty.out
	grep -q 'ETA' tty.out
	grep -q '100.0%' tty.out
	weir-replay --progress a > /dev/null 2> err
	[ ! -s err ]
}

@test "CSV input, and protocol lines in stored files are not replayed" {
	printf 'ts,v\n2,b\n1,a\n' > in.csv
	run weir-replay -i csv --lag 5s in.csv
	assert_output "$(printf '%s\n' '{"ts":1,"v":"a"}' '{"ts":2,"v":"b"}')"
	printf '%s\n' '{"ts":1}' '{"_watermark":"2026-11-23T10:00:00Z"}' '{"_checkpoint":3}' '{"ts":2}' > in
	run weir-replay in
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":2}')"
}

@test "bad input is rejected and counted; empty input; batch = stream" {
	run weir-replay < /dev/null
	assert_success
	assert_output ""
	printf '%s\n' '{"ts":1}' 'not json' '{"no":"time"}' '{"ts":"2263-01-01T00:00:00Z"}' '{"ts":2}' > in
	run --separate-stderr weir-replay --errors rej --stats in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":2}')"
	[ "$(wc -l < rej)" -eq 3 ]
	[[ "$stderr" == *'"in":5,"out":2,"late":0,"rejected":3'* ]]
	sorted_files 7 0 a
	batch_equals_stream a weir-replay --punctuate 10s
}

@test "usage errors exit 2; a closed pipe is quiet; /dev/full exits 1; a missing file exits 1" {
	run --separate-stderr weir-replay --speed 2 --rate 3 x
	assert_failure 2
	[[ "$stderr" == *"--speed and --rate"* ]]
	run --separate-stderr weir-replay --speed fast x
	assert_failure 2
	[[ "$stderr" == *"bad --speed 'fast'"* ]]
	run --separate-stderr weir-replay --from yesterday x
	assert_failure 2
	[[ "$stderr" == *"bad --from 'yesterday'"* ]]
	run --separate-stderr weir-replay --from 10 --to 5 x
	assert_failure 2
	run --separate-stderr weir-replay no-such-file
	assert_failure 1
	[[ "$stderr" == *"cannot open 'no-such-file'"* ]]
	python3 -c 'import json
for i in range(200000): print(json.dumps({"ts": 1795428000000 + i}))' > big
	sorted_files 8 0 a
	weir-replay big a 2> err | head -n 1 > /dev/null
	assert_equal "${PIPESTATUS[0]}" 0
	[ ! -s err ]
	run --separate-stderr sh -c 'weir-replay big > /dev/full'
	assert_failure 1
	[[ "$stderr" == *"cannot write standard output"* ]]
}

@test "the dispatcher, --help and --version" {
	printf '{"ts":1}\n' > in
	run weir replay in
	assert_output '{"ts":1}'
	run weir-replay --help
	assert_success
	assert_output --partial "usage: weir-replay [--speed X | --rate N]"
	run weir-replay --version
	assert_output --regexp '^weir-replay [0-9]'
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-replay.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-replay.1"
	assert_output ""
}

@test "blank lines are skipped and counted as blank, in every file" {
	printf '{"ts":1}\n\n{"ts":3}\n' > a
	printf '  \n{"ts":2}\n' > b
	run --separate-stderr weir-replay --stats a b
	assert_success
	assert_output $'{"ts":1}\n{"ts":2}\n{"ts":3}'
	[[ "$stderr" == *'"in":3,"out":3,"late":0,"rejected":0,'*'"blank":2,'* ]]
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-replay --lag 1s
}

@test "a truncated gzip input: weir-replay and weir-join say it in the same words, and exit 1" {
	python3 -c '
import gzip, sys
data = gzip.compress(b"".join(b"{\"ts\":%d,\"k\":%d}\n" % (i, i) for i in range(100000)))
sys.stdout.buffer.write(data[:len(data) // 2])' > cut.ndjson.gz
	run --separate-stderr weir-replay cut.ndjson.gz
	assert_failure 1
	assert_equal "${stderr##*$'\n'}" "weir-replay: 'cut.ndjson.gz': corrupt gzip data"
	echo '{"ts":1,"k":1}' > other.ndjson
	run --separate-stderr weir-join other.ndjson cut.ndjson.gz --on k --within 1s
	assert_failure 1
	assert_equal "${stderr##*$'\n'}" "weir-join: 'cut.ndjson.gz': corrupt gzip data"
}
