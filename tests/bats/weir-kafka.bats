#!/usr/bin/env bats
# weir-kafka-source and weir-kafka-sink against librdkafka's mock cluster
# (tests/lib/kafka-mock.c: 3 brokers on loopback, started per test), with
# short group timeouts; conditions are polled for with time limits.
load helpers

setup() {
	if [ ! -x "$ROOT/build/kafka-mock" ] || ! command -v weir-kafka-source >/dev/null; then
		skip "built without librdkafka (the Kafka programs are optional)"
	fi
	cd "$BATS_TEST_TMPDIR" || return 1
	mkfifo ctl
	"$ROOT/build/kafka-mock" -t events:4 -t partials:4 -t raw:4 -c ctl >boot 2>mock.err 3>&- &
	MOCK=$!
	wait_until 5 test -s boot
	B=$(cat boot)
	# short group timeouts, so a member that died is noticed in seconds
	G=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
	PIDS=
}

teardown() {
	if [ -n "${PIDS-}" ]; then
		kill $PIDS 2>/dev/null
		wait $PIDS 2>/dev/null
	fi
	if [ -n "${MOCK-}" ]; then
		kill "$MOCK" 2>/dev/null
		wait "$MOCK" 2>/dev/null
	fi
	true
}

# wait_until SECONDS CMD...: CMD, every 50 ms until it succeeds or time is up.
wait_until() {
	local n=$(($1 * 20))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

mock() { echo "$*" > ctl; }

# The tests of groups and crashes take seconds of rebalancing each: they
# run once, against bin/, not again against the sanitizer build.
slow() {
	if [ "$WEIR_BIN" != bin ]; then
		skip "a multi-member or crash test: run against bin/ only"
	fi
}
produce_raw() { "$ROOT/build/kafka-mock" -p "$B" -t "$@"; }
ref() { python3 "$LIB/kafka_ref.py" "$@"; }
lines() { cat "$@" 2>/dev/null | grep -vc '"_watermark"\|"_checkpoint"'; }
data() { grep -hv '"_watermark"\|"_checkpoint"' "$@" 2>/dev/null; }

# events N: N events over 10 hosts, a second apart, with values whose bytes
# must survive (1.10, a big integer, escapes, non-ASCII).
events() {
	python3 - "$1" <<'EOF'
import sys
for i in range(int(sys.argv[1])):
    s = i % 60
    print('{"ts":"2026-11-23T%02d:%02d:%02dZ", "host":"web-%d","n":%d,"v":1.10,'
          '"big":12345678901234567890,"s":"caf\\u00e9 \u00e9 \\"q\\""}'
          % (10 + i // 3600, i // 60 % 60, s, i % 10, i))
EOF
}

# assigned FILE: how many partitions the -v log FILE says are assigned now.
assigned() {
	awk '/ assigned /{a[$3]=1} / revoked /{delete a[$3]} END{n=0; for (k in a) n++; print n}' "$1"
}

# covered: every line of `in` is in a, b or the late files (at least once).
covered() {
	[ -z "$(comm -23 <(sort in) <(data a b late.* | sort -u))" ]
}

two_members_settled() {
	local a b
	a=$(assigned a.err) b=$(assigned b.err)
	[ "$a" -ge 1 ] && [ "$b" -ge 1 ] && [ $((a + b)) -eq 4 ]
}

@test "the reference's murmur2 is Kafka's (the Java client's own test vectors)" {
	run ref murmur2 21 foobar a-little-bit-long-string a-little-bit-longer-string \
	    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8 abc
	assert_output "$(printf '%s\n' -973932308 -790332482 -985981536 -1486304829 -58897971 479470107)"
}

@test "keyed produce and consume: bytes as they came, on the partition murmur2(key) picks" {
	events 500 > in
	run weir-kafka-sink -b "$B" --topic events -k host --stats in
	assert_success
	[[ "$output" == *'"produced":500,"delivered":500,"failed":0'* ]]
	run weir-kafka-source -b "$B" -g g1 "${G[@]}" --envelope -e events
	assert_success
	grep -v '"_watermark"' <<<"$output" > out
	run ref check-envelope 4 in out
	assert_success
	assert_output ok
}

@test "several key fields: a JSON array of their values; a missing field: no key" {
	printf '%s\n' '{"ts":1,"a":"x","b":2}' '{"ts":2,"a":"x"}' > in
	weir-kafka-sink -b "$B" --topic raw -k a,b in
	printf '%s\n' '{"ts":3,"b":2}' > in2
	run weir-kafka-sink -b "$B" --topic raw -k a --stats in2
	[[ "$output" == *'"unkeyed":1'* ]]
	run weir-kafka-source -b "$B" -g g1 --envelope -e raw
	assert_success
	[[ "$output" == *'"b":2,"kafka":{'*'"key":"[\"x\",2]"'* ]]
	[[ "$output" == *'"a":"x","kafka":{'*'"key":"[\"x\",null]"'* ]]
	[[ "$output" == *'{"ts":3,"b":2,"kafka":{'*'"key":null'* ]]
}

@test "the Kafka timestamp is the event time; --kafka-time reads it back as event time" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:00.250Z","id":1}' '{"ts":1795428030,"id":2}' > in
	weir-kafka-sink -b "$B" --topic events -k id in
	run weir-kafka-source -b "$B" -g g1 --envelope -e events
	[[ "$output" == *'"id":1,"kafka":{'*'"timestamp":"2026-11-23T10:00:00.25Z"}}'* ]]
	[[ "$output" == *'"id":2,"kafka":{'*'"timestamp":"2026-11-23T10:00:30Z"}}'* ]]
	printf '%s\n' '{"no_time":1}' | produce_raw events -P 0
	run weir-kafka-source -b "$B" -g g2 --kafka-time -e --stats events
	assert_success
	[[ "$output" == *'{"no_time":1}'* ]]
	[[ "$output" == *'"rejected":0'* ]]
}

@test "watermark and barrier lines are not produced; a barrier waits for delivery" {
	mkdir ck
	printf '%s\n' '{"ts":"2026-11-23T10:00:00Z","id":1}' '{"_watermark":"2026-11-23T10:00:00Z"}' \
	    '{"_checkpoint":1}' '{"ts":"2026-11-23T10:00:01Z","id":2}' > in
	run weir-kafka-sink -b "$B" --topic events -k id --state ck/sink --stats in
	assert_success
	[[ "$output" == *'"produced":2,"delivered":2'* ]]
	[ -s ck/sink ]
	run weir-kafka-source -b "$B" -g g1 -e events
	[ "$(data <<<"$output" | wc -l)" -eq 2 ]
	refute_output --partial '"_checkpoint"'
}

@test "bad messages: named by topic[partition] and offset, kept in --errors; tombstones counted" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:00Z","ok":1}' 'not json' '{"no":"time"}' \
	    '{"ts":"yesterday"}' $'\x01\x02\xff' '@null' '@nl' '{"ts":"2026-11-23T10:00:01Z","ok":2}' |
	    produce_raw raw -P 2
	run weir-kafka-source -b "$B" -g g1 -e --errors err --stats raw
	assert_success
	[ "$(data <<<"$output" | grep -c '"ok"')" -eq 2 ]
	assert_output --partial 'weir-kafka-source: raw[2]:1: '
	assert_output --partial 'raw[2]:6: a message with a newline in it' 
	[[ "$output" == *'"in":8,"out":2,'*'"rejected":5,"dropped":1,'*'"tombstones":1'* ]]
	[ "$(grep -c . err)" -ge 5 ]
	grep -qx 'not json' err
	run weir-kafka-source -b "$B" -g g2 -e --on-error fail raw
	[ "$status" -eq 65 ]
}

@test "a 10 MB message passes byte for byte" {
	python3 -c 'print("{\"ts\":\"2026-11-23T10:00:00Z\",\"blob\":\"" + "x" * 10000000 + "\"}")' > big
	weir-kafka-sink -b "$B" --topic raw -X message.max.bytes=20000000 big
	run weir-kafka-source -b "$B" -g g1 -e -X fetch.message.max.bytes=20000000 \
	    -X fetch.max.bytes=20000000 -X receive.message.max.bytes=30000000 raw
	assert_success
	data <<<"$output" > out
	cmp big out
}

# trickle FROM N: events FROM..FROM+N-1, one at a time, to partitions 0, 1,
# 2 in turn (a second of event time apart), as a live producer writes them.
trickle() {
	for i in $(seq "$1" $(($1 + $2 - 1))); do
		printf '{"ts":"2026-11-23T10:%02d:%02dZ","i":%d}\n' $((i / 60)) $((i % 60)) "$i" |
		    produce_raw events -P $((i % 3))
		sleep 0.1	# the producer's pace: --idle is about wall-clock time
	done
}

# check_watermarks LAG FILE: each watermark line in FILE (an --envelope run)
# is later than the one before it and is the minimum, less LAG, over the
# partitions 0..2 that were not idle: the largest time written from one of
# them, and no earlier than the minimum over all three; or (all idle) later
# than every one.  Which partitions are idle is a matter of wall-clock time
# (a loaded machine may stall a producer past --idle), so the test counts
# the watermarks that are the minimum over all three ("minimum") apart.
check_watermarks() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
from datetime import datetime, timedelta
lag = timedelta(seconds=float(sys.argv[1]))
mx, n, minimum, last = {}, 0, 0, None
for line in open(sys.argv[2]):
    o = json.loads(line)
    if "_watermark" in o:
        w = datetime.fromisoformat(o["_watermark"].rstrip("Z"))
        if last is not None and w <= last:
            sys.exit("watermark %s after %s" % (w, last))
        last = w
        if len(mx) == 3 and w == min(mx.values()) - lag:
            minimum += 1
        elif not (len(mx) == 3 and (w + lag in mx.values() or
                                    w > max(mx.values()))):
            sys.exit("watermark %s: partitions at %s" % (w, mx))
        n += 1
        continue
    t = datetime.fromisoformat(o["ts"].rstrip("Z"))
    p = o["kafka"]["partition"]
    mx[p] = max(mx.get(p, t), t)
print(n, minimum)
EOF
}

@test "per-partition watermarks: the minimum; an empty partition holds it back until --idle" {
	slow
	# partition 3 never gets a message: without --idle no watermark passes it
	weir-kafka-source -b "$B" -g g1 -v --envelope --lag 2s events > held 2> held.err &
	PIDS=$!
	wait_until 20 grep -q 'at end events\[3\]' held.err
	trickle 0 12
	wait_until 20 bash -c '[ "$(grep -c "\"i\"" held)" -eq 12 ]'
	kill -TERM $PIDS && wait $PIDS
	PIDS=
	run grep -c '_watermark' held
	assert_output 0
	# with --idle 3s, partition 3 stops counting once it has been empty that
	# long, while the others, written to all the while, still count (each
	# gets a message every third step of trickle, 0.3 s and three producers'
	# starts apart: 1 s, and once 2 s, were too near that on a loaded machine)
	weir-kafka-source -b "$B" -g g2 -v --envelope --idle 3s --lag 2s events > idle 2> idle.err &
	PIDS=$!
	wait_until 20 grep -q 'at end events\[3\]' idle.err
	trickle 12 45
	wait_until 20 bash -c '[ "$(grep -c "\"i\"" idle)" -eq 57 ]'
	kill -TERM $PIDS && wait $PIDS
	PIDS=
	run check_watermarks 2 idle
	assert_success
	read -r n minimum <<<"$output"
	[ "$minimum" -ge 1 ]
}

@test "two sources in one group split the partitions and together see every message" {
	slow
	weir-kafka-source -b "$B" -g shared "${G[@]}" -v --envelope events > a 2> a.err &
	PIDS=$!
	weir-kafka-source -b "$B" -g shared "${G[@]}" -v --envelope events > b 2> b.err &
	PIDS="$PIDS $!"
	wait_until 30 two_members_settled
	events 400 > in
	weir-kafka-sink -b "$B" --topic events -k host in
	wait_until 20 bash -c '[ "$(cat a b | grep -vc _watermark)" -ge 400 ]'
	kill -TERM $PIDS
	wait $PIDS
	PIDS=
	data a b > out
	run ref check-envelope 4 in out
	assert_output ok
	# no partition was read by both
	pa=$(data a | sed 's/.*"partition":\([0-9]*\).*/\1/' | sort -u)
	pb=$(data b | sed 's/.*"partition":\([0-9]*\).*/\1/' | sort -u)
	[ -n "$pa" ] && [ -n "$pb" ]
	[ -z "$(comm -12 <(echo "$pa") <(echo "$pb"))" ]
}

@test "a member killed: the other takes over at least once; a restart resumes from committed offsets" {
	slow
	# a partition taken over brings events older than the survivor's
	# watermark: late for it, and kept in its --late file
	weir-kafka-source -b "$B" -g shared "${G[@]}" -v --late late.a events > a 2> a.err &
	A=$!
	weir-kafka-source -b "$B" -g shared "${G[@]}" -v --late late.b events > b 2> b.err &
	PIDS="$A $!"
	wait_until 30 two_members_settled
	events 400 > in
	head -n 200 in > first
	tail -n 200 in > second
	weir-kafka-sink -b "$B" --topic events -k host first
	wait_until 20 bash -c '[ "$(cat a b | grep -vc _watermark)" -ge 200 ]'
	kill -KILL $A
	weir-kafka-sink -b "$B" --topic events -k host second
	# after the session timeout, the survivor has every partition
	wait_until 30 covered
	[ "$(assigned b.err)" -eq 4 ]
	kill -TERM $PIDS 2>/dev/null
	wait $PIDS
	PIDS=
	# every message at least once, in the output or the --late file
	covered
	# a new member of the group starts where the group committed: nothing
	# of the 400 again, and the next ones exactly once
	events 420 | tail -n 20 > third
	weir-kafka-sink -b "$B" --topic events -k host third
	run weir-kafka-source -b "$B" -g shared "${G[@]}" -e events
	assert_success
	data <<<"$output" | sort > got
	cmp got <(sort third)
}

@test "broker down and leader moved mid-stream: every message, once, in partition order" {
	slow
	weir-kafka-source -b "$B" -g g1 --envelope events > out &
	PIDS=$!
	events 400 > in
	head -n 200 in > first
	tail -n 200 in > second
	weir-kafka-sink -b "$B" --topic events -k host first
	wait_until 20 bash -c '[ "$(grep -vc _watermark out)" -ge 200 ]'
	for p in 0 1 2 3; do mock leader events $p 2; done
	mock down 1
	mock down 3
	wait_until 5 bash -c '[ "$(grep -c "^ok down" mock.err)" -eq 2 ]'
	weir-kafka-sink -b "$B" --topic events -k host second
	mock up 1
	mock up 3
	wait_until 30 bash -c '[ "$(grep -vc _watermark out)" -ge 400 ]'
	kill -TERM $PIDS && wait $PIDS
	PIDS=
	data out > got
	run ref check-envelope 4 in got
	assert_output ok
}

@test "an aggregate over two partitioned workers and a merge equals one process" {
	slow
	events 2000 > in
	weir-agg --window 1m --by host count sum:n max:n < in | sort > one
	# two workers in one group, each aggregating its partitions to partial
	# rows on a keyed topic; one merge over that topic.  The group settles
	# before the events are produced: a rebalance in mid-stream would put
	# both workers' rows on one partition of partials, out of event-time
	# order, and the merge would rightly count the older ones late.  The
	# events then arrive live: a partition caught up to its end does not
	# hold the source's output back (only its watermark), so the stream
	# interleaves partitions up to the producer's lead, which the workers'
	# --lag covers.
	local src=
	for w in a b; do
		mkfifo $w.src
		weir-kafka-source -b "$B" -g workers "${G[@]}" -v events > $w.src 2> $w.err &
		src="$src $!"
		tee $w.seen < $w.src | weir-agg --window 1m --lag 1h --by host --partial count sum:n max:n |
		    weir-kafka-sink -b "$B" --topic partials -k host &
		PIDS="$PIDS $!"
	done
	PIDS="$PIDS $src"
	wait_until 30 two_members_settled
	revoked=$(cat a.err b.err | grep -c ' revoked ' || true)
	weir-kafka-sink -b "$B" --topic events -k host in
	wait_until 30 bash -c '[ "$(cat a.seen b.seen | grep -vc _watermark)" -ge 2000 ]'
	# no member came or went while the events were read
	[ "$(cat a.err b.err | grep -c ' revoked ' || true)" -eq "$revoked" ]
	kill -TERM $src
	wait $PIDS
	PIDS=
	[ "$(data a.seen b.seen | wc -l)" -eq 2000 ]
	# partial rows have no time field: the sink stamped them with their
	# window_end, and the merge's source reads that
	run --separate-stderr weir-kafka-source -b "$B" -g merge --kafka-time -e partials
	assert_success	# (librdkafka's warnings on stderr are not rows)
	data <<<"$output" | weir-agg --merge --by host count sum:n max:n | sort > merged
	cmp one merged
}

@test "checkpointed source | agg, killed with -9 and started again: the rows of one run" {
	slow
	events 20000 > in
	weir-kafka-sink -b "$B" --topic events -k host in
	weir-agg --window 1m --by host count sum:n < in | sort > one
	mkdir ck
	pipeline="weir-kafka-source -b $B -g ck ${G[*]} --state ck/src --checkpoint-every 20ms -e events |
	    weir-agg --window 1m --by host count sum:n --state ck/agg"
	# a first run, killed once the pipeline has completed a checkpoint
	setsid bash -c "$pipeline" > run1 &
	P=$!
	wait_until 20 test -e ck/agg
	kill -KILL -- -$P 2>/dev/null || true
	wait $P || true
	# the restart goes on from the checkpoint both completed
	bash -c "$pipeline" > run2
	# rows since the checkpoint may come twice, byte for byte the same
	data run1 run2 | sort -u > got
	cmp one got
}

@test "SIGTERM: the pipeline stops at the source's stop barrier; the group's offsets are exactly there" {
	slow
	events 20000 > in
	weir-kafka-sink -b "$B" --topic events -k host in
	mkdir ck
	bash -c "weir-kafka-source -b $B -g ck ${G[*]} -v --state ck/src --checkpoint-every 20ms events \
	    2> src.err | weir-dedupe --key n --within 1h --state ck/dd" > run1 &
	P=$!
	# once it is in the group and a checkpoint has events in it
	wait_until 20 grep -q assigned src.err
	wait_until 20 bash -c '[ "$(grep -c "\"n\":" run1)" -gt 100 ]'
	wait_until 20 test -e ck/dd
	# this pipeline's source (the child of its bash), not another suite's
	src=$(pgrep -P "$P" -f '^weir-kafka-source')
	wait_for_handler "$src" 15
	kill -TERM "$src"
	wait $P
	# what the pipeline wrote and what the group has not yet had: every
	# event exactly once (the first run may have had them all: then the
	# second has nothing, and a here-string of nothing is one empty line)
	run weir-kafka-source -b "$B" -g ck -e events
	assert_success
	if [ -n "$output" ]; then data run1 - <<<"$output"; else data run1; fi | sort > got
	sort in | cmp - got
}

@test "usage errors exit 2 and name the option" {
	run weir-kafka-source events
	assert_failure 2
	assert_output --partial 'no brokers given'
	run weir-kafka-source -b "$B"
	assert_failure 2
	assert_output --partial 'no topic given'
	run weir-kafka-source -b "$B" --reset middle events
	assert_failure 2
	assert_output --partial "bad --reset 'middle'"
	run weir-kafka-source -b "$B" -X nonsense events
	assert_failure 2
	run weir-kafka-source -b "$B" --checkpoint-every 1s events
	assert_failure 2
	assert_output --partial 'needs --state'
	run weir-kafka-sink -b "$B"
	assert_failure 2
	assert_output --partial 'no topic given'
	run weir-kafka-sink -b "$B" --topic t -X no.such.property=1
	assert_failure 2
	assert_output --partial 'no.such.property'
}

@test "the sink: empty input, not-JSON lines rejected and counted, a closed stdout is no matter" {
	run weir-kafka-sink -b "$B" --topic raw --stats < /dev/null
	assert_success
	[[ "$output" == *'"produced":0'* ]]
	printf '%s\n' 'not json' '{"ts":"2026-11-23T10:00:00Z"}' > in
	run weir-kafka-sink -b "$B" --topic raw --stats in
	assert_success
	[[ "$output" == *'"in":2,"out":1,'*'"rejected":1'* ]]
	run weir-kafka-sink -b "$B" --topic raw in >/dev/full
	assert_success
}

@test "the source: a closed pipe ends it quietly; --stats adds up" {
	events 300 > in
	weir-kafka-sink -b "$B" --topic events -k host in
	run bash -c "weir-kafka-source -b $B -g g1 -e events | head -n 3"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run weir-kafka-source -b "$B" -g g2 -e --stats events
	[[ "$output" == *'"in":300,"out":300,"late":0,"rejected":0,"dropped":0'* ]]
	# --where: the messages weir-select --where leaves, each counted
	weir-kafka-source -b "$B" -g g3 -e --where "n % 3 = 0 AND host <> 'web-4'" --stats events \
	    > where.out 2> where.err
	weir-kafka-source -b "$B" -g g4 -e events | weir-select --where "n % 3 = 0 AND host <> 'web-4'" \
	    > select.out
	diff <(grep -v _watermark where.out | sort) <(grep -v _watermark select.out | sort)
	[ "$(grep -vc _watermark where.out)" -eq 90 ]
	grep -q '"in":300,"out":90,"late":0,"rejected":0,"dropped":0,"filtered":210' where.err
}

@test "a disordered log round-trips: sink then source -e gives every line back, disordered ones counted, none late" {
	# 3000 events up to 1 s out of order, over 10 keys and 4 partitions
	python3 - > in <<'EOF'
import random
random.seed(7)
for i in range(3000):
    print('{"ts":%.3f,"host":"web-%d","i":%d}' % (1795428000 + i * 0.01 + random.uniform(0, 1), i % 10, i))
EOF
	weir-kafka-sink -b "$B" --topic events -k host in
	run --separate-stderr weir-kafka-source -b "$B" -g g1 "${G[@]}" -e --stats events
	assert_success
	data <<<"$output" | sort > got
	sort in > expect
	cmp expect got
	[[ "$stderr" == *'"in":3000,"out":3000,"late":0,"rejected":0'* ]]
	[[ "$stderr" != *'"disordered":0,'* ]]
	# watermark lines never go back
	grep '"_watermark"' <<<"$output" | python3 -c 'import json, sys, datetime
ts = [datetime.datetime.fromisoformat(json.loads(l)["_watermark"][:-1]) for l in sys.stdin]
assert ts and ts == sorted(ts), ts' 
}

@test "an unreachable broker: the sink gives up at its timeout with exit 1" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:00Z"}' '{"ts":"2026-11-23T10:00:01Z"}' > in
	run timeout 20 weir-kafka-sink -b 127.0.0.1:1 --topic raw -X message.timeout.ms=1000 --stats in
	assert_failure 1
	assert_output --partial 'not delivered'
	# nothing the brokers did not take is counted as out
	assert_output --partial '"in":2,"out":0,'
	assert_output --partial '"produced":2,"delivered":0,"failed":2'
	# and --help lists each option once
	run weir-kafka-source --help
	assert_equal "$(grep -c -- '--idle' <<<"$output")" 1
}

@test "the man pages' EXAMPLES run as shown and they are lint-clean" {
	for page in weir-kafka-source weir-kafka-sink; do
		BROKERS=$B run python3 "$LIB/man_examples.py" "$ROOT/man/$page.1"
		assert_success
		run mandoc -T lint -W warning "$ROOT/man/$page.1"
		assert_success
	done
}

@test "io contract of both ends: an unknown option, empty input, a bad line or message, a closed pipe, a full disk" {
	# the sink: standard input as every program reads it
	run --separate-stderr weir-kafka-sink -b "$B" --topic events --no-such-option < /dev/null
	assert_failure 2
	[[ "$stderr" == *"unknown option '--no-such-option'"*"usage: "* ]] || fail "stderr: $stderr"
	run --separate-stderr weir-kafka-sink -b "$B" --topic events < /dev/null
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' '{"ts":1,"id":1}' '{"ts":2,"id":2}' 'not json' '{"ts":3,"id":3}' > bad
	run --separate-stderr weir-kafka-sink -b "$B" --topic events --errors errors < bad
	assert_success
	[[ "$stderr" == *"stdin:3: not a JSON object"* ]] || fail "stderr: $stderr"
	assert_equal "$(cat errors)" "not json"
	# the source: a topic in place of standard input
	run --separate-stderr weir-kafka-source -b "$B" -e raw --no-such-option
	assert_failure 2
	[[ "$stderr" == *"unknown option '--no-such-option'"*"usage: "* ]] || fail "stderr: $stderr"
	run --separate-stderr weir-kafka-source -b "$B" -g g0 -e partials
	assert_success
	assert_equal "$(data <<<"$output")" ""
	printf 'not json\n' | produce_raw raw -P 1
	rm -f errors
	run --separate-stderr weir-kafka-source -b "$B" -g g1 -e --errors errors raw
	assert_success
	[[ "$stderr" == *"raw[1]:0: not a JSON object"* ]] || fail "stderr: $stderr"
	assert_equal "$(cat errors)" "not json"
	assert_equal "$(data <<<"$output")" ""
	python3 -c '
for i in range(5000):
    print("{\"ts\":%d,\"id\":%d}" % (1795428000000 + i * 100, i))' > many
	weir-kafka-sink -b "$B" --topic events -k id < many
	weir-kafka-source -b "$B" -g g2 -e events 2> err | head -n 1 > /dev/null
	assert_equal "closed pipe: exit ${PIPESTATUS[0]}" "closed pipe: exit 0"
	assert_equal "$(cat err)" ""
	rc=0
	weir-kafka-source -b "$B" -g g3 -e events > /dev/full 2> err || rc=$?
	assert_equal "/dev/full: exit $rc" "/dev/full: exit 1"
	grep -q "cannot write standard output: No space left on device" err || fail "stderr: $(cat err)"
}
