#!/usr/bin/env bats
# --state and checkpoints (SPEC §4, §7; weir(7) CHECKPOINTS): state written
# at barriers, restored, the input skipped to the checkpoint; kill -9 at
# seeded random points and restart (tests/lib/crash.py) against an
# uninterrupted run that is itself checked against tests/lib/reference.py;
# SIGTERM; state files refused whole when corrupt, truncated, empty, of
# another program or other options; a full disk keeps the old state.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p ck
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

crash() {
	python3 "$LIB/crash.py" "$@"
}

# 6000 events over 300 keys, out of order by up to 1 s, a barrier every
# 500 lines, as a source upstream would put them
barriers() {
	python3 - <<'PY'
import random
rng = random.Random(5)
t = 1795428000000
n = 0
for i in range(6000):
    t += rng.choice([1, 5, 20])
    print('{"ts":%d,"id":"k%d","v":%d}' % (t - rng.randint(0, 1000), rng.randrange(300), i))
    if i % 500 == 499:
        n += 1
        print('{"_checkpoint":%d}' % n)
PY
}

# the same events without the barriers, for the references
plain() {
	grep -v '_checkpoint' "$1"
}

@test "a worked example: restored at barrier 2, the input is read again from there" {
	printf '%s\n' '{"ts":1,"a":1}' '{"ts":3,"a":2}' '{"ts":2,"a":3}' '{"_checkpoint":1}' \
	    '{"ts":5,"a":4}' '{"ts":4,"a":5}' '{"_checkpoint":2}' '{"ts":9,"a":6}' > in
	run weir-watermark --lag 2 --state ck/wm < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"a":1}' '{"_checkpoint":1}' '{"ts":2,"a":3}' \
	    '{"ts":3,"a":2}' '{"_checkpoint":2}' '{"ts":4,"a":5}' '{"ts":5,"a":4}' '{"ts":9,"a":6}')"
	# the state at barrier 2 holds ts 4 and 5 (inside the lag); the events
	# before the barrier were counted then and are skipped now
	run --separate-stderr weir-watermark --lag 2 --state ck/wm --stats < in
	assert_success
	assert_output "$(printf '%s\n' '{"_checkpoint":2}' '{"ts":4,"a":5}' '{"ts":5,"a":4}' \
	    '{"ts":9,"a":6}')"
	# the counters go on from the checkpoint's: in = out over both runs
	[[ "$stderr" == *'"in":6,"out":6,'* ]]
	[[ "$stderr" == *'"checkpoint":2,'* ]]
	[[ "$stderr" == *'"skipped":5'* ]]
}

@test "kill -9 at random points, alone on stdin: weir-watermark, weir-agg, weir-dedupe, weir-window" {
	barriers > in
	plain in > in.plain
	ref watermark 1 in.plain > wm.ref
	weir-watermark --lag 1s < in | grep -v '^{"_' > wm.got
	cmp wm.ref wm.got
	run crash stdin --seed 11 --kills 5 --input in --expect wm.ref -- weir-watermark --lag 1s --state ck/wm
	assert_success

	ref dedupe id 2 0 first 1000000 in.plain > dd.ref
	weir-dedupe --key id --within 2s < in | grep -v '^{"_' > dd.got
	cmp dd.ref dd.got
	run crash stdin --seed 12 --kills 5 --input in --expect dd.ref -- weir-dedupe --key id --within 2s --state ck/dd
	assert_success
	ref dedupe id 2 0 last 1000000 in.plain > ddl.ref
	run crash stdin --seed 13 --kills 5 --input in --expect ddl.ref -- weir-dedupe --key id --within 2s --keep last --state ck/ddl
	assert_success

	weir-agg --lag 1s --by id --window 1s count first:v last:v sum:v hist:v:1,5,10 < in | grep -v '^{"_' > agg.un
	ref agg '{"window":"tumbling","size":1,"slide":0,"gap":0,"lag":1,"lateness":0,"by":["id"],"aggs":["count","first:v","last:v","sum:v","hist:v:1,5,10"]}' in.plain > agg.ref
	run ref agg-compare agg.ref agg.un
	assert_success
	run crash stdin --seed 14 --kills 5 --input in --expect agg.un -- weir-agg --lag 1s --by id --window 1s count first:v last:v sum:v hist:v:1,5,10 --state ck/agg
	assert_success
	weir-agg --lag 1s --by id --window session:1s count collect:v < in | grep -v '^{"_' > ses.un
	run crash stdin --seed 15 --kills 5 --input in --expect ses.un -- weir-agg --lag 1s --by id --window session:1s count collect:v --state ck/ses
	assert_success

	# weir-window: sessions, and sliding windows that share their events
	ref window session 1 1 1 id 0 in.plain > win.ref
	weir-window session 1s --by id --lag 1s < in | grep -v '^{"_' > win.got
	cmp win.ref win.got
	run crash stdin --seed 16 --kills 5 --input in --expect win.ref -- weir-window session 1s --by id --lag 1s --state ck/win
	assert_success
	weir-window sliding 2s 500ms --collect --by id --lag 1s < in | grep -v '^{"_' > sl.un
	run crash stdin --seed 17 --kills 5 --input in --expect sl.un -- weir-window sliding 2s 500ms --collect --by id --lag 1s --state ck/sl
	assert_success
}

@test "kill -9 at random points: replay | watermark | agg, and replay | dedupe" {
	barriers | grep -v '_checkpoint' > log
	# in event-time order, as replay and watermark pass it on (a stable sort)
	python3 -c 'import json,sys; l=open("log").readlines(); sys.stdout.writelines(sorted(l, key=lambda x: json.loads(x)["ts"]))' > sorted
	weir-replay --lag 1s log | weir-watermark --lag 1s | weir-agg --by id --window 1s count sum:v > agg.un
	ref agg '{"window":"tumbling","size":1,"slide":0,"gap":0,"lag":0,"lateness":0,"by":["id"],"aggs":["count","sum:v"]}' sorted > agg.ref
	run ref agg-compare agg.ref agg.un
	assert_success
	run crash pipeline --seed 21 --kills 6 --max-delay 0.25 --expect agg.un -- \
	    "weir-replay --rate 15000 --lag 1s --checkpoint-every 20ms --offsets ck/src log |" \
	    "weir-watermark --lag 1s --state ck/wm |" \
	    "weir-agg --by id --window 1s count sum:v --state ck/agg"
	assert_success
	[[ "$output" == ok:* ]]

	mkdir ck2
	weir-replay --lag 1s log | weir-dedupe --key id --within 2s > dd.un
	ref dedupe id 2 0 first 1000000 sorted > dd.ref
	cmp dd.ref dd.un
	run crash pipeline --seed 22 --kills 6 --max-delay 0.25 --expect dd.un -- \
	    "weir-replay --rate 15000 --lag 1s --checkpoint-every 20ms --offsets ck2/src log |" \
	    "weir-dedupe --key id --within 2s --state ck2/dd"
	assert_success
}

@test "SIGTERM to the pipeline: it stops at one checkpoint, and the restart writes the rest once" {
	barriers | grep -v '_checkpoint' > log
	weir-replay --lag 1s log | weir-watermark --lag 1s | weir-agg --by id --window 1s count > all
	P="weir-replay --rate 20000 --lag 1s --checkpoint-every 20ms --offsets ck/src log | weir-watermark --lag 1s --state ck/wm | weir-agg --by id --window 1s count --state ck/agg"
	# the shell waits for its pipeline to end (a trapped TERM), as a
	# service manager would for the group
	setsid sh -c "trap : TERM; $P" > first &
	pid=$!
	# stop it once some rows are out (it runs for 0.3 s at this rate)
	for _ in $(seq 200); do [ -s first ] && break; sleep 0.01; done
	kill -TERM -- -"$pid"
	wait "$pid"
	tail -n 1 first | grep -q '"stop":true'
	sh -c "$P" > second
	# every row once: nothing lost, nothing written twice
	cat first second | grep -v '^{"_' > both
	cmp all both
}

@test "SIGTERM to a program alone: it reads to the end of its pipe, saves, and the restart skips exactly that" {
	barriers | grep -v '_checkpoint' > in
	weir-dedupe --key id --within 2s < in > all
	python3 - "$LIB" <<'PY'
import subprocess, sys, signal
lines = open('in', 'rb').readlines()
p = subprocess.Popen(['weir-dedupe', '-u', '--key', 'id', '--within', '2s', '--state', 'ck/dd'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b''.join(lines[:2000]))
p.stdin.flush()
out = []
# the first event of the input always comes out: read until ~100 rows are out
while len(out) < 100:
    out.append(p.stdout.readline())
p.send_signal(signal.SIGTERM)
p.stdin.close()  # the program upstream ends too
rest = p.stdout.read()
assert p.wait() == 0, 'exit status'
open('first', 'wb').write(b''.join(out) + rest)
PY
	tail -n 1 first | grep -q '"stop":true'
	weir-dedupe --key id --within 2s --state ck/dd < in > second
	head -n 1 second | grep -q '^{"_checkpoint":0,"lines":'
	cat first second | grep -v '^{"_' > both
	cmp all both
}

@test "state files refused whole: corrupt, truncated, empty, foreign, another program, other options" {
	printf '%s\n' '{"ts":1}' '{"_checkpoint":1}' '{"ts":2}' > in
	weir-dedupe --state ck/s < in > /dev/null
	cp ck/s good
	# a flipped byte in the payload
	python3 -c "import sys; b=bytearray(open('good','rb').read()); b[-6]^=1; open('ck/s','wb').write(b)"
	run --separate-stderr weir-dedupe --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"state file 'ck/s' fails its checksum"* ]]
	head -c 40 good > ck/s
	run --separate-stderr weir-dedupe --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"state file 'ck/s' is truncated"* ]]
	: > ck/s
	run --separate-stderr weir-dedupe --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"state file 'ck/s' is empty"* ]]
	echo '{"not":"state"}' > ck/s
	run --separate-stderr weir-dedupe --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"state file 'ck/s' is not a weir state file"* ]]
	cp good ck/s
	run --separate-stderr weir-watermark --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"is the state of weir-dedupe, not of weir-watermark"* ]]
	run --separate-stderr weir-dedupe --key ts --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"was written with other options"* ]]
	# another version of the format, named as such
	python3 -c "b=bytearray(open('good','rb').read()); b[8]=9; open('ck/s','wb').write(b)"
	run --separate-stderr weir-dedupe --state ck/s < in
	assert_failure 1
	[[ "$stderr" == *"is of version 9 of the state format; this weir reads version 1"* ]]
	# options that only route output or report do not count
	cp good ck/s
	run --separate-stderr weir-dedupe --stats -u --state ck/s < in
	assert_success
	assert_output "$(printf '%s\n' '{"_checkpoint":1}' '{"ts":2}')"
}

@test "a restart on input that does not lead to the checkpoint is an error, not silence" {
	printf '%s\n' '{"ts":1}' '{"_checkpoint":5}' '{"ts":2}' > in
	weir-watermark --state ck/w < in > /dev/null
	printf '%s\n' '{"ts":1}' '{"ts":2}' > other
	run --separate-stderr weir-watermark --state ck/w < other
	assert_failure 1
	[[ "$stderr" == *"the input ended before checkpoint 5 of state file 'ck/w'"* ]]
	printf '%s\n' '{"ts":1}' '{"_checkpoint":7}' '{"ts":2}' > later
	run --separate-stderr weir-watermark --state ck/w < later
	assert_failure 1
	[[ "$stderr" == *"passed checkpoint 5"* ]]
}

@test "a full disk while writing state: exit 1 naming it, the old state intact and used" {
	SHIM="$ROOT/build/faults.so"
	[ -f "$SHIM" ] || skip "no fault shim (make check builds it)"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	printf '%s\n' '{"ts":1}' '{"_checkpoint":1}' '{"ts":2}' > in
	weir-watermark --state ck/w < in > /dev/null
	cp ck/w before
	printf '%s\n' '{"ts":1}' '{"_checkpoint":1}' '{"ts":2}' '{"_checkpoint":2}' '{"ts":3}' > in2
	for spec in "write ENOSPC state.tmp 0" "fsync EIO state.tmp 0" "rename EROFS ck/w 0"; do
		run --separate-stderr env LD_PRELOAD="$SHIM" WEIR_FAULT="$spec" weir-watermark --state ck/w < in2
		assert_failure 1
		[[ "$stderr" == *"cannot write state file 'ck/w'"* ]]
		cmp ck/w before
		[ -z "$(ls -A ck | grep tmp)" ]
	done
	run weir-watermark --state ck/w < in2
	assert_success
	assert_output "$(printf '%s\n' '{"_checkpoint":1}' '{"ts":2}' '{"_checkpoint":2}' '{"ts":3}')"
}

@test "the ledger: a program whose downstream completed less goes back with it" {
	barriers > in
	# a downstream state file still at checkpoint 3 (it was slower)
	printf '%s\n' '{"ts":1}' '{"_checkpoint":3}' > three
	weir-dedupe --state ck/dd < three > /dev/null
	weir-watermark --lag 1s --state ck/wm < in > /dev/null
	# it kept checkpoints 3 to 11 beside its newest, 12
	[ "$(ls ck | grep -c '^wm\.')" -eq 9 ]
	run --separate-stderr weir-watermark --lag 1s --state ck/wm < in
	assert_success
	[ "${lines[0]}" = '{"_checkpoint":3}' ]
	# from checkpoint 3 on, as an uninterrupted run writes it
	weir-watermark --lag 1s < in | sed -n '/^{"_checkpoint":3}$/,$p' > from3
	[ "$output" = "$(cat from3)" ]
	# with nobody behind any more, the history it kept goes at its next checkpoint
	rm ck/dd
	{ cat in; echo '{"_checkpoint":13}'; } > in13
	weir-watermark --lag 1s --state ck/wm < in13 > /dev/null
	[ -z "$(ls ck | grep '^wm\.')" ]
}

@test "--stats and --metrics report the last checkpoint, its size and time" {
	printf '%s\n' '{"ts":1}' '{"_checkpoint":4}' '{"ts":2}' > in
	run --separate-stderr weir-agg --state ck/a --stats --metrics m.prom count < in
	assert_success
	[[ "$stderr" =~ \"checkpoint\":4,\"checkpoint_lines\":0,\"checkpoint_bytes\":[1-9][0-9]*,\"checkpoint_ms\":[0-9.]+,\"checkpoints\":1 ]]
	grep -q '^weir_checkpoint{program="weir-agg"} 4$' m.prom
	grep -q '^weir_checkpoint_bytes{program="weir-agg"} [1-9]' m.prom
	grep -q '^weir_checkpoint_seconds{program="weir-agg"} ' m.prom
}

@test "usage: --checkpoint-every needs --offsets; a barrier without a number is a rejected line" {
	run --separate-stderr weir-replay --checkpoint-every 1s /dev/null
	assert_failure 2
	[[ "$stderr" == *"--checkpoint-every needs --offsets FILE"* ]]
	printf '%s\n' '{"ts":1}' '{"_checkpoint":"x"}' > in
	run --separate-stderr weir-watermark --state ck/w --errors bad < in
	assert_success
	assert_output '{"ts":1}'
	[[ "$stderr" == *"stdin:2: bad _checkpoint barrier"* ]]
	assert_equal "$(cat bad)" '{"_checkpoint":"x"}' 
	run --separate-stderr weir-watermark --state nodir/w < in
	assert_failure 1
	[[ "$stderr" == *"no directory 'nodir'"* ]]
}

@test "batch = stream with --state: the same bytes piped at once and fed slowly" {
	barriers > in
	weir-agg --lag 1s --by id --window 1s count --state ck/y < in > a
	rm -f ck/*
	feed in | weir-agg --lag 1s --by id --window 1s count --state ck/y > b
	cmp a b
}

@test "weir-join: barriers aligned over both inputs; restored, each input skips to the checkpoint" {
	printf '%s\n' '{"ts":1,"id":1,"a":1}' '{"_checkpoint":1}' '{"ts":3,"id":2,"a":2}' > left
	printf '%s\n' '{"ts":2,"id":1,"b":1}' '{"_checkpoint":1}' '{"ts":4,"id":2,"b":2}' > right
	run weir-join left right --on id --within 5 --state ck/j
	assert_success
	# the barrier is written once, when both inputs gave it; the pairs come
	# when the watermark (the lower input's) passes them
	assert_output "$(printf '%s\n' '{"_checkpoint":1}' \
	    '{"ts":1,"id":1,"a":1,"right_ts":2,"b":1}' '{"ts":3,"id":2,"a":2,"right_ts":4,"b":2}')"
	# both events before the barrier were still pending at checkpoint 1: a
	# restart on the same inputs skips them and writes the same rows
	first=$output
	run weir-join left right --on id --within 5 --state ck/j
	assert_success
	assert_output "$first"
	# a restart on inputs that do not lead to the checkpoint is refused
	printf '%s\n' '{"ts":9,"id":1}' > other
	run --separate-stderr weir-join left other --on id --within 5 --state ck/j
	assert_failure 1
	[[ "$stderr" == *"'other' ended before checkpoint 1"* ]]
}

@test "weir-join: kill -9 at random points of two replays and an interval join" {
	python3 - <<'PY'
import random
r = random.Random(3)
L = open('left', 'w'); R = open('right', 'w')
t = 1795428000000
for i in range(5000):
    t += r.choice([1, 5, 20])
    L.write('{"ts":%d,"id":%d,"a":%d}\n' % (t - r.randint(0, 500), r.randrange(1500), i))
    if r.random() < 0.8:
        R.write('{"ts":%d,"id":%d,"b":%d}\n' % (t + r.randint(0, 900), r.randrange(1500), i))
PY
	weir-join left right --on id --within 2s --lag 1s --type full > all
	python3 "$LIB/reference.py" join 1 2 full 0 id left right > ref
	cmp ref all
	run crash pipeline --seed 31 --kills 6 --max-delay 0.2 --expect all -- \
	    "weir-join <(weir-replay --rate 20000 --lag 1s --checkpoint-every 20ms --offsets ck/l left)" \
	    "<(weir-replay --rate 20000 --lag 1s --checkpoint-every 20ms --offsets ck/r right)" \
	    "--on id --within 2s --lag 1s --type full --state ck/j"
	assert_success
}
