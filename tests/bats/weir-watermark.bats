#!/usr/bin/env bats
# weir-watermark: ordering within --lag, late routing, the protocol, bad
# input, and every line accounted for.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

@test "events come out in event-time order within the lag, as the reference says, for several lags and formats" {
	for fmt in rfc3339 epoch_ms epoch_s; do
		ref events 400 11 4000 "$fmt" > in.ndjson
		for lag in 0 0.5 2 5; do
			ref watermark "$lag" in.ndjson expect.late > expect
			weir-watermark --lag "${lag}s" --late got.late < in.ndjson > got
			assert_equal "$(cmp expect got && echo same)" same
			assert_equal "$(cmp expect.late got.late && echo same)" same
			rm -f got.late
		done
	done
}

@test "with a lag as large as the disorder nothing is late and the output is sorted with ties in arrival order" {
	ref events 500 5 3000 > in.ndjson
	weir-watermark --lag 3s --stats < in.ndjson > got 2> err
	# sort -s keeps arrival order among equal ts: the reference for ties
	sort -s -t'"' -k4,4 in.ndjson > expect
	cmp expect got
	assert_equal "$(grep -c . err)" 1
	grep -q '"late":0' err
}

@test "--late FILE receives late events byte for byte and the rest pass" {
	printf '%s\n' '{"ts":10,"n":1}' '{"ts":20,"n":2}' '{"ts":5, "n":"late \u00e9"}' '{"ts":21}' > in
	weir-watermark --late late.ndjson < in > out
	printf '%s\n' '{"ts":5, "n":"late \u00e9"}' > expect.late
	cmp expect.late late.ndjson
	printf '%s\n' '{"ts":10,"n":1}' '{"ts":20,"n":2}' '{"ts":21}' > expect
	cmp expect out
}

@test "--late pass writes late events where they arrive" {
	printf '%s\n' '{"ts":10}' '{"ts":20}' '{"ts":5}' '{"ts":21}' > in
	run weir-watermark --late pass < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":10}' '{"ts":20}' '{"ts":5}' '{"ts":21}')"
}

@test "late events are dropped by default, counted, and one line on stderr names --lag" {
	printf '%s\n' '{"ts":10}' '{"ts":20}' '{"ts":5}' '{"ts":6}' > in
	run --separate-stderr weir-watermark --stats < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":10}' '{"ts":20}')"
	# the watermark is 20: 5 is 15s behind it, 6 is 14s
	[[ "$stderr" == *"2 late events dropped, up to 15s behind the watermark: --lag 15s would have kept them all"* ]]
	[[ "$stderr" == *'"in":4,"out":2,"late":2,"rejected":0'* ]]
	# with --lag 2s the watermark is 18: 13s behind, and 2s + 13s keeps them
	run --separate-stderr weir-watermark --lag 2s < in
	[[ "$stderr" == *"2 late events dropped, up to 13s behind the watermark: --lag 15s would have kept them all"* ]]
	run --separate-stderr weir-watermark --lag 15s < in
	assert_equal "$stderr" ""
}

@test "many late events are told of while the input is read, with the lag that keeps them" {
	# every tenth event 2.5 s behind the one before it, 0.01 s apart
	python3 -c '
for i in range(20000):
    t = 1000 + i / 100
    print("{\"ts\":%.2f}" % (t - 2.5 if i % 10 == 9 else t))' > in
	run --separate-stderr weir-watermark --lag 500ms in
	assert_success
	# told once, after a thousand late events, before the total at exit
	[ "$(grep -c 'so far were late' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"1000 of 10000 events so far were late and dropped: --lag 2.49s would have kept them"* ]]
	[[ "$stderr" == *"2000 late events dropped, up to 1.99s behind the watermark: --lag 2.49s would have kept them all"* ]]
	[[ "$stderr" == *"so far were late and dropped: --lag"*"late events dropped, up to"*"--lag"*"would have kept them all"* ]]
	# and the suggested lag keeps every event
	lag=$(sed -n 's/.*late events dropped, up to .* --lag \([^ ]*\) would have kept them all.*/\1/p' <<<"$stderr")
	run --separate-stderr weir-watermark --lag "$lag" --stats in
	[[ "$stderr" == *'"late":0,'* ]]
}

@test "every line is accounted for: in = out + late + rejected" {
	ref events 300 9 5000 > in.ndjson
	printf '%s\n' 'not json' '{"no":"time"}' '{"ts":"2999-01-01T00:00:00Z"}' >> in.ndjson
	ref events 50 10 5000 >> in.ndjson
	weir-watermark --lag 1s --on-error skip --stats < in.ndjson > out 2> err
	stats=$(tail -n 1 err)
	lines=$(wc -l < in.ndjson)
	python3 - "$stats" "$lines" "$(wc -l < out)" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["in"] == int(sys.argv[2]), s
assert s["in"] == s["out"] + s["late"] + s["rejected"] + s["dropped"] + s["held"], s
assert s["out"] == int(sys.argv[3]), s
assert s["rejected"] == 3, s
PY
}

@test "events pass byte for byte: 1.10, a 20-digit integer, escapes, nesting, key order, -0.0, spaces" {
	cat > in <<'JSON'
{"ts":1,"price":1.10,"big":12345678901234567890,"name":"caf\u00e9","raw":"café"}
{ "z" : -0.0 , "ts" : 2 , "nested" : {"a":[1,{"b":null}],"c":"\"q\""} , "a":1e5 }
{"ts":3,"tab":"\t","slash":"\/","u":"\ud83d\ude00"}
JSON
	weir-watermark < in > out
	cmp in out
}

@test "bad input goes to --errors byte for byte, and each warning names the input and line" {
	printf '%s\n' '{"ts":1}' 'not json' '{"x":1}' '{"ts":"yesterday"}' '{"ts":"2263-01-01T00:00:00Z"}' \
		'[1,2]' '{"ts":2,}' '{"ts":3}' > in
	printf '\x00\xff\xfe garbage \x01\n' >> in
	printf '{"ts":"\xff"}\n' >> in
	run --separate-stderr weir-watermark --errors bad.ndjson < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":3}')"
	sed -n '2,7p;9,10p' in > expect.bad
	cmp expect.bad bad.ndjson
	[[ "$stderr" == *"stdin:2: not a JSON object"* ]]
	[[ "$stderr" == *"stdin:3: no event time"* ]]
	[[ "$stderr" == *"stdin:4: unparseable time"* ]]
	[[ "$stderr" == *"stdin:5: time out of range"* ]]
	[[ "$stderr" == *"stdin:6: a JSON array"* ]]
	[[ "$stderr" == *"stdin:7:"* ]]
	[[ "$stderr" == *"stdin:9:"* ]]
	[[ "$stderr" == *"stdin:10: invalid UTF-8"* ]]
}

@test "a file argument is named in warnings" {
	printf '%s\n' '{"ts":1}' 'oops' > events.ndjson
	run --separate-stderr weir-watermark events.ndjson
	assert_success
	[[ "$stderr" == *"events.ndjson:2: not a JSON object"* ]]
}

@test "--on-error skip is silent and --on-error fail exits 65 at the bad line" {
	printf '%s\n' '{"ts":1}' 'oops' '{"ts":2}' > in
	run --separate-stderr weir-watermark --on-error skip < in
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr weir-watermark --on-error fail < in
	assert_failure 65
	[[ "$stderr" == *"stdin:2:"* ]]
	refute_output --partial '"ts":2'
}

@test "a bad duration exits 2 and names the option and its form" {
	run --separate-stderr weir-watermark --lag 5x
	assert_failure 2
	[[ "$stderr" == *"'5x' for --lag"*"5s"* ]]
	run --separate-stderr weir-watermark --max-buffer 0
	assert_failure 2
	[[ "$stderr" == *"--max-buffer"* ]]
	run --separate-stderr weir-watermark --no-such-option
	assert_failure 2
	[[ "$stderr" == *"--no-such-option"* ]]
	[[ "$stderr" == *"usage: weir-watermark"* ]]
}

@test "-T with a conversion weir cannot read is a usage error; the range message gives the true bounds" {
	run --separate-stderr weir-watermark -T '%Q' < /dev/null
	assert_failure 2
	[[ "$stderr" == *"bad format '%Q' for --time-format"* ]]
	run --separate-stderr weir-watermark -T '%Y-%m-%d %' < /dev/null
	assert_failure 2
	# 1677-09-21T00:12:44Z is within the int64 nanosecond range, the second before it is not
	printf '%s\n' '{"ts":"1677-09-21T00:12:44Z"}' '{"ts":"1677-09-21T00:12:42Z"}' > in
	run --separate-stderr weir-watermark < in
	assert_output '{"ts":"1677-09-21T00:12:44Z"}'
	[[ "$stderr" == *"stdin:2: time out of range (1677-09-21T00:12:43Z..2262-04-11T23:47:16Z)"* ]]
}

@test "a missing input file is an error naming it" {
	run --separate-stderr weir-watermark /nonexistent/events.ndjson
	assert_failure 1
	[[ "$stderr" == *"cannot open '/nonexistent/events.ndjson'"* ]]
}

@test "a missing or unreadable input among several is named before any is read: nothing is written, exit 1" {
	printf '%s\n' '{"ts":1}' '{"ts":2}' > ok.ndjson
	run --separate-stderr weir-watermark ok.ndjson missing.ndjson
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "weir-watermark: cannot open 'missing.ndjson': No such file or directory"
	mkdir dir
	run --separate-stderr weir-watermark ok.ndjson dir
	assert_failure 1
	assert_output ""
	[[ "$stderr" == *"'dir'"*"Is a directory"* ]]
}

@test "empty input gives empty output and success" {
	run weir-watermark < /dev/null
	assert_success
	assert_output ""
}

@test "blank lines are skipped, as jq and Miller skip them: counted as blank, not rejected" {
	# empty, spaces, a tab, and an empty CRLF line between two events
	printf '{"ts":1}\n\n   \n\t\n\r\n{"ts":2}\n\n' > in
	run --separate-stderr weir-watermark --stats --errors err in
	assert_success
	assert_output $'{"ts":1}\n{"ts":2}'
	[[ "$stderr" == *'"in":2,"out":2,"late":0,"rejected":0,'*'"blank":5,'* ]]
	[[ "$stderr" != *"empty line"* ]]
	[ ! -s err ]
	# a line with anything else is still a bad line
	printf '{"ts":1}\n . \n' | weir-watermark --stats 2> err2 > /dev/null
	grep -q 'stdin:2: not a JSON object' err2
	grep -q '"rejected":1,.*"blank":0' err2
}

@test "no line with a usable time: one answer naming the fields and the -t that reads them, exit 65" {
	# an nginx log as JSON: the time is in time_iso8601 and time_local, not ts
	for i in $(seq 10 39); do
		printf '{"time_iso8601":"2026-12-03T10:00:%s+00:00","time_local":"03/Dec/2026:10:00:%s +0000","status":200,"request_time":"0.%s"}\n' "$i" "$i" "$i"
	done > nginx.ndjson
	run --separate-stderr weir-watermark nginx.ndjson
	assert_failure 65
	assert_output ""
	# five lines of warning, then one line saying the rest are counted, not thirty
	[ "$(grep -c 'nginx.ndjson:[0-9]*: no event time' <<<"$stderr")" -eq 5 ]
	[[ "$stderr" == *"more lines rejected for this are counted, not shown"* ]]
	[[ "$stderr" == *"30 lines in all: no event time"* ]]
	[[ "$stderr" == *"one of them has time_iso8601, time_local, status, request_time"* ]]
	[[ "$stderr" == *"try -t time_iso8601"* ]]
	[[ "$stderr" == *"try -t time_local -T '%d/%b/%Y:%H:%M:%S %z'"* ]]
	[[ "$stderr" != *"-t status"* ]]
	# each suggestion, followed, reads every line
	run weir-watermark -t time_iso8601 nginx.ndjson
	assert_success
	[ "${#lines[@]}" -eq 30 ]
	run weir-watermark -t time_local -T '%d/%b/%Y:%H:%M:%S %z' nginx.ndjson
	assert_success
	[ "${#lines[@]}" -eq 30 ]
	# a time field that is there but unreadable gets the same answer
	run --separate-stderr weir-watermark -t time_local nginx.ndjson
	assert_failure 65
	[[ "$stderr" == *"try -t time_local -T '%d/%b/%Y:%H:%M:%S %z'"* ]]
	# silenced warnings still get the answer
	run --separate-stderr weir-watermark --on-error skip nginx.ndjson
	assert_failure 65
	[[ "$stderr" != *"nginx.ndjson:1:"* ]]
	[[ "$stderr" == *"try -t time_iso8601"* ]]
}

@test "warnings for one reason: the first five, then a total at exit; every line kept by --errors" {
	{ echo '{"ts":1}'; for i in $(seq 40); do echo "not json $i"; done; for i in $(seq 3); do echo '{"ts":"soon"}'; done; } > in
	run --separate-stderr weir-watermark --errors err --stats in
	assert_success
	assert_output '{"ts":1}'
	[ "$(grep -c 'in:[0-9]*: not a JSON object' <<<"$stderr")" -eq 5 ]
	[[ "$stderr" == *"weir-watermark: 40 lines in all: not a JSON object"* ]]
	[ "$(grep -c 'unparseable time' <<<"$stderr")" -eq 3 ]
	[[ "$stderr" != *"lines in all: unparseable"* ]]
	[[ "$stderr" == *'"rejected":43,'* ]]
	[ "$(wc -l < err)" -eq 43 ]
}

@test "common shapes of input that is not NDJSON are named, with the fix" {
	# pretty-printed, as jq without -c writes: each fragment is one reason, told five times
	printf '{"ts":1,"a":{"b":2}}\n{"ts":2}\n' | jq . > pretty
	run --separate-stderr weir-watermark pretty
	assert_success
	assert_output ""
	[[ "$stderr" == *'pretty:1: part of a pretty-printed JSON value'*'-i json-text reads any JSON text'* ]]
	[[ "$stderr" == *'lines in all: part of a pretty-printed JSON value'* ]]
	# an array on one line; several objects on one line
	printf '%s\n' '[{"ts":1},{"ts":2}]' '{"ts":1}{"ts":2}' '{"ts":3}' > shapes
	run --separate-stderr weir-watermark shapes
	assert_success
	[[ "$stderr" == *"shapes:1: a JSON array: weir reads an object a line; -i json-text reads the array's members"* ]]
	[[ "$stderr" == *'shapes:2: several JSON objects on one line: -i json-text reads each'* ]]
	# lines ending in CR alone; UTF-16; a byte-order mark where files were joined
	printf '{"ts":1}\r{"ts":2}\r' > cr
	run --separate-stderr weir-watermark cr
	[[ "$stderr" == *"cr:1: carriage returns inside the line"*"tr '\\r' '\\n'"* ]]
	printf '{"ts":1}\n' | iconv -f UTF-8 -t UTF-16 > utf16
	run --separate-stderr weir-watermark utf16
	[[ "$stderr" == *'utf16:1: UTF-16 text'*'iconv -f UTF-16 -t UTF-8'* ]]
	printf '\xef\xbb\xbf{"ts":1}\n' > bom
	cat bom bom > joined
	run --separate-stderr weir-watermark joined
	assert_success
	assert_output '{"ts":1}'
	[[ "$stderr" == *'joined:2: a UTF-8 byte-order mark inside the input'* ]]
}

@test "-i json-text reads any JSON text: pretty-printed, an array, objects run together; each object a line" {
	# pretty-printed: every value compacted, its numbers and strings as they came
	printf '{\n  "ts": 1,\n  "a": { "b": 1.10 },\n  "s": "x  y\\u00e9"\n}\n{\n  "ts": 2, "n": 12345678901234567890\n}\n' > pretty
	run --separate-stderr weir-watermark -i json-text pretty
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"a":{"b":1.10},"s":"x  y\u00e9"}' '{"ts":2,"n":12345678901234567890}')"
	assert_equal "$stderr" ""
	# what jq without -c writes reads as jq -c writes it
	printf '%s\n' '{"ts":1,"a":{"b":[1,{"c":null}]},"s":"a b"}' '{"ts":2}' | jq . > jq-pretty
	run weir-watermark -i json-text jq-pretty
	assert_output "$(jq -c . jq-pretty)"
	# an array (mlr --ojson writes one), objects run together, NDJSON: one object a line,
	# a line that is one JSON object kept byte for byte
	printf '[\n{"ts":1},\n{"ts":2, "k": [1, 2]}\n]\n{"ts":3}{"ts":4}\n{"ts": 5}\n' > mixed
	run --separate-stderr weir-watermark -i json-text --stats mixed
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":2, "k": [1, 2]}' '{"ts":3}' '{"ts":4}' '{"ts": 5}')"
	[[ "$stderr" == *'"in":5,"out":5,"late":0,"rejected":0'* ]]
	# what is no JSON is rejected by the line it starts on; a value cut off at the end too
	printf '{"ts":1}\nnot json\n{\n "ts": 2\n}\n{"ts":3,\n' > bad
	run --separate-stderr weir-watermark -i json-text --errors err bad
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":2}')"
	[[ "$stderr" == *'bad:2: not a JSON object'* ]]
	[[ "$stderr" == *'bad:6: truncated JSON'* ]]
	assert_equal "$(cat err)" "$(printf '%s\n' 'not json' '{"ts":3,')"
	# the default reads a line an object, at full speed
	run --separate-stderr weir-watermark pretty
	assert_output ""
}

@test "--max-ahead rejects an outlier far ahead of the watermark, which would make every later event late" {
	# a clock set to 2099 on one host, among events of 2026
	printf '%s\n' '{"ts":"2026-12-03T10:00:00Z"}' '{"ts":"2099-01-01T00:00:00Z","bad":1}' \
	    '{"ts":"2026-12-03T10:00:01Z"}' '{"ts":"2026-12-03T10:00:02Z"}' > in
	run --separate-stderr weir-watermark --stats in
	assert_output "$(sed -n 1,2p in)"	# without it, the two after it are late
	[[ "$stderr" == *'"late":2,'* ]]
	run --separate-stderr weir-watermark --max-ahead 1h --errors err --stats in
	assert_success
	assert_output "$(sed -n '1p;3,4p' in)"
	[[ "$stderr" == *'in:2: more than --max-ahead ahead of the watermark'* ]]
	[[ "$stderr" == *'"in":4,"out":3,"late":0,"rejected":1,'* ]]
	assert_equal "$(cat err)" "$(sed -n 2p in)"
	# programs that merge several inputs refuse it
	run weir-join in in --on x --max-ahead 1h
	assert_failure 2
	[[ "$output" == *"--max-ahead applies to a program that reads one stream"* ]]
	run weir-watermark --max-ahead 0s in
	assert_failure 2
}

@test "a syslog date without a year takes its latest year up to a month past the wall clock, not 1970" {
	printf '%s\n' '{"t":"Jun 15 12:00:00"}' '{"t":"Dec  3 10:00:01"}' > in
	run --separate-stderr weir-window tumbling 1d -t t -T '%b %e %T' --collect in
	assert_success
	# the reference: Python's datetime, the latest year no more than 31 days past now
	python3 - "$output" <<'PY'
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
def nearest(mon, day, h, m, s):
    c = [datetime.datetime(y, mon, day, h, m, s, tzinfo=datetime.timezone.utc)
         for y in (now.year + 1, now.year, now.year - 1)]
    return next(d for d in c if d <= now + datetime.timedelta(days=31)).strftime("%Y-%m-%dT00:00:00Z")
starts = sorted(json.loads(l)["window_start"] for l in sys.argv[1].splitlines())
assert starts == sorted([nearest(12, 3, 10, 0, 1), nearest(6, 15, 12, 0, 0)]), starts
PY
}

@test "a closed pipe ends quietly with 0" {
	ref events 20000 3 1000 > in.ndjson
	weir-watermark --late pass < in.ndjson 2> err | head -n 1 > first
	assert_equal "${PIPESTATUS[0]}" 0
	[ -s first ]
	[ ! -s err ]
}

@test "a reader that goes away is noticed while the input is quiet: exit 0 without a next line" {
	mkfifo in
	exec {w}<> in
	printf '%s\n' '{"ts":1}' '{"ts":2}' >&"$w"
	# the input stays open and quiet; timeout turns a hang into 124
	run bash -c 'timeout 20 weir-watermark < in | head -n 1; echo "${PIPESTATUS[0]}"'
	exec {w}>&-
	assert_output "$(printf '%s\n' '{"ts":1}' 0)"
}

@test "a failed write (/dev/full) exits 1 with a message" {
	printf '%s\n' '{"ts":1}' > in
	run --separate-stderr sh -c 'weir-watermark < in > /dev/full'
	assert_failure 1
	[[ "$stderr" == *"weir-watermark: cannot write standard output"* ]]
}

@test "CSV in: the header names the fields and numbers stay numbers; CSV out" {
	printf 'ts,host,latency\n3,web-1,1.50\n1,web-2,007\n2,"web, 3",2\n' > in.csv
	run weir-watermark -i csv --lag 5s < in.csv
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"host":"web-2","latency":"007"}' \
		'{"ts":2,"host":"web, 3","latency":2}' '{"ts":3,"host":"web-1","latency":1.50}')"
	run weir-watermark -i csv -o csv --lag 5s < in.csv
	assert_success
	assert_output "$(printf '%s\n' 'ts,host,latency' '1,web-2,007' '2,"web, 3",2' '3,web-1,1.50')"
}

@test "-o csv: one header for the output, read back by Python's csv module and Miller; csvlite blocks on request" {
	# keys in another order, one missing, a null first: all under the first row's header
	printf '%s\n' '{"ts":1,"k":"a","v":1}' '{"v":2,"ts":2,"k":"b,c"}' '{"ts":3,"v":3}' \
	    '{"ts":4,"k":null,"v":4}' > in
	run --separate-stderr weir-watermark -o csv in
	assert_success
	assert_equal "$stderr" ""
	# the reference: Python's csv module reads back the events' values by name
	python3 - "$output" <<'PY'
import csv, io, json, sys
rows = list(csv.DictReader(io.StringIO(sys.argv[1])))
want = [json.loads(l) for l in open("in")]
assert len(rows) == len(want), rows
for r, w in zip(rows, want):
    for k in ("ts", "k", "v"):
        v = w.get(k)
        assert r[k] == ("" if v is None else str(v)), (r, w)
PY
	[ "$(mlr --icsv --ojsonl cat <<<"$output" | wc -l)" -eq 4 ]
	# a key the header lacks starts a new block, and is said at exit
	printf '{"ts":5,"extra":1}\n' >> in
	run --separate-stderr weir-watermark -o csv in
	[[ "$stderr" == *"-o csv: 1 row had a column the header lacks"* ]]
	[[ "$output" == *$'\n\nts,extra\n5,1' ]]
	# csvlite: a block for each change of keys, order included
	run weir-watermark -o csvlite in
	[ "$(grep -c '^ts,' <<<"$output")" -eq 4 ]
}

@test "batch = stream: the same bytes whole and piece by piece" {
	ref events 600 21 3000 > in.ndjson
	printf '%s\n' '{"_watermark":"2026-11-23T10:05:00Z"}' 'junk' >> in.ndjson
	ref events 100 22 3000 >> in.ndjson
	batch_equals_stream in.ndjson weir-watermark --lag 1s --late pass --punctuate 10s
	batch_equals_stream in.ndjson weir-watermark --lag 2s
}

@test "--idle emits a watermark after silence while input stays open, and releases held events" {
	mkfifo fifo
	weir-watermark --idle 100ms --lag 300ms < fifo > out &
	pid=$!
	exec 7> fifo
	printf '%s\n' '{"ts":"2026-11-23T10:00:00Z"}' >&7
	# the event is held until the idle watermark passes it; wait, bounded
	for i in $(seq 50); do
		[ "$(grep -A1 '"ts"' out 2>/dev/null | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
	exec 7>&-
	wait "$pid"
	# watermarks from max - lag = 09:59:59.7 onward, then the event, in order
	head -n 1 out | grep -q '^{"_watermark":"2026-11-23T09:59:59\.[789]'
	python3 - out <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
i = next(k for k, o in enumerate(lines) if "ts" in o)
marks = [o["_watermark"] for o in lines if "_watermark" in o]
assert marks == sorted(marks), marks
assert lines[i + 1]["_watermark"] >= "2026-11-23T10:00:00", lines
assert lines[i - 1]["_watermark"] < "2026-11-23T10:00:00", lines
assert all("_watermark" in o for k, o in enumerate(lines) if k != i)
PY
}

@test "a 10 MB line passes byte for byte" {
	python3 -c '
import sys
sys.stdout.write("{\"ts\":2,\"blob\":\"" + "x" * 10_000_000 + "\"}\n{\"ts\":1}\n")' > in
	weir-watermark --lag 5s < in > out
	sed -n 2p in > expect
	sed -n 1p in >> expect
	cmp expect out
}

@test "--max-buffer forces the watermark forward and counts what it forced" {
	printf '%s\n' '{"ts":5}' '{"ts":4}' '{"ts":3}' '{"ts":2}' '{"ts":6}' > in
	run --separate-stderr weir-watermark --lag 1h --max-buffer 2 --stats --late pass < in
	assert_success
	# 5 and 4 fill the buffer: the watermark is forced to 4 and 4 leaves;
	# 3 and 2 are then late; 6 fills it again: forced to 5, 5 leaves.
	assert_output "$(printf '%s\n' '{"ts":4}' '{"ts":3}' '{"ts":2}' '{"ts":5}' '{"ts":6}')"
	[[ "$stderr" == *'"late":2'* ]]
	[[ "$stderr" == *'"forced":2'* ]]
}

@test "--punctuate writes a watermark line at each multiple it passes" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:01Z"}' '{"ts":"2026-11-23T10:00:04Z"}' \
		'{"ts":"2026-11-23T10:00:12Z"}' > in
	run weir-watermark --punctuate 5s < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":"2026-11-23T10:00:01Z"}' '{"_watermark":"2026-11-23T10:00:00Z"}' \
		'{"ts":"2026-11-23T10:00:04Z"}' '{"ts":"2026-11-23T10:00:12Z"}' '{"_watermark":"2026-11-23T10:00:10Z"}')"
}

@test "an event at the watermark exactly goes out at once on a live stream, not at the next event" {
	coproc WM { weir-watermark --lag 3s -u; }
	# copies of the coprocess's pipes: bash closes its own once the
	# coprocess exits, which may come before the last read
	exec {out}<&"${WM[0]}" {in}>&"${WM[1]}"
	exec {WM[1]}>&-
	printf '%s\n' '{"ts":13}' '{"ts":10,"at":"the watermark"}' >&"$in"
	# input stays open: the line must come without a later event or the end
	read -r -t 20 line <&"$out"
	assert_equal "$line" '{"ts":10,"at":"the watermark"}'
	exec {in}>&-
	read -r -t 20 line <&"$out"
	assert_equal "$line" '{"ts":13}'
	exec {out}<&-
	wait
}

@test "a watermark line releases held events, is forwarded, and later events below it are late" {
	printf '%s\n' '{"ts":"2026-11-23T10:00:03Z"}' '{"ts":"2026-11-23T10:00:01Z"}' \
		'{"_watermark":"2026-11-23T10:00:02Z"}' '{"ts":"2026-11-23T10:00:01.5Z"}' \
		'{"_checkpoint":7}' '{"ts":"2026-11-23T10:00:04Z"}' > in
	run weir-watermark --lag 1h --late pass < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":"2026-11-23T10:00:01Z"}' '{"_watermark":"2026-11-23T10:00:02Z"}' \
		'{"ts":"2026-11-23T10:00:01.5Z"}' '{"_checkpoint":7}' '{"ts":"2026-11-23T10:00:03Z"}' \
		'{"ts":"2026-11-23T10:00:04Z"}')"
}

@test "only an object of protocol members alone is a protocol line: other shapes are data or rejected, and counted" {
	# an event that carries a _watermark field is an event; barriers with a
	# value that is no whole number from 0 are rejected, not forwarded
	printf '%s\n' '{"ts":1,"n":1}' '{"ts":2,"_watermark":5,"n":2}' '{"_checkpoint":"x"}' \
		'{"_checkpoint":-1}' '{"_checkpoint":1,"stop":"yes"}' '{"_watermark":"soon"}' \
		'{"_checkpoint":4,"lines":2,"stop":false}' '{"_checkpoint":5,"n":1,"ts":3}' > in
	run --separate-stderr weir-watermark --errors bad --stats < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"n":1}' '{"ts":2,"_watermark":5,"n":2}' \
		'{"_checkpoint":4,"lines":2,"stop":false}' '{"_checkpoint":5,"n":1,"ts":3}')"
	printf '%s\n' '{"_checkpoint":"x"}' '{"_checkpoint":-1}' '{"_checkpoint":1,"stop":"yes"}' \
		'{"_watermark":"soon"}' > expect.bad
	cmp expect.bad bad
	[[ "$stderr" == *'"in":7,"out":3,"late":0,"rejected":4'*'"barriers":1'* ]]
}

@test "time fields: nested -t, the default list, -T patterns with %z, and --processing-time" {
	printf '%s\n' '{"meta":{"when":"23/Nov/2026:11:00:02 +0100"}}' '{"meta":{"when":"23/Nov/2026:10:00:01 +0000"}}' > in
	run weir-watermark -t meta.when -T '%d/%b/%Y:%H:%M:%S %z' --lag 1m < in
	assert_success
	assert_output "$(printf '%s\n' '{"meta":{"when":"23/Nov/2026:10:00:01 +0000"}}' '{"meta":{"when":"23/Nov/2026:11:00:02 +0100"}}')"
	printf '%s\n' '{"@timestamp":"2026-11-23T10:00:02Z"}' '{"timestamp":1795428001}' '{"time":"1795428000500"}' > in2
	run weir-watermark --lag 1m < in2
	assert_success
	assert_output "$(printf '%s\n' '{"time":"1795428000500"}' '{"timestamp":1795428001}' '{"@timestamp":"2026-11-23T10:00:02Z"}')"
	printf '%s\n' '{"a":1}' '{"b":2}' > in3
	run weir-watermark --processing-time < in3
	assert_success
	assert_output "$(cat in3)"
}

@test "--metrics writes Prometheus text and --stats sums add up" {
	printf '%s\n' '{"ts":1}' '{"ts":2}' 'bad' > in
	run --separate-stderr weir-watermark --metrics m.prom --stats < in
	assert_success
	grep -qx 'weir_lines_in_total{program="weir-watermark"} 3' m.prom
	grep -qx 'weir_lines_out_total{program="weir-watermark"} 2' m.prom
	grep -qx 'weir_rejected_total{program="weir-watermark"} 1' m.prom
	grep -q '^# TYPE weir_lines_in_total counter' m.prom
}

@test "SIGUSR1 prints the counters while the program runs" {
	mkfifo fifo
	weir-watermark < fifo > out 2> err &
	pid=$!
	exec 7> fifo
	printf '%s\n' '{"ts":1}' >&7
	for i in $(seq 50); do [ -s out ] && break; sleep 0.1; done
	wait_for_handler "$pid" 10	# SIGUSR1
	kill -USR1 "$pid"
	for i in $(seq 50); do grep -q '"program"' err && break; sleep 0.1; done
	exec 7>&-
	wait "$pid"
	grep -q '"in":1,"out":1' err
}

@test "SIGTERM or SIGINT without --state: the --stats line is written, what was held counted, and the exit says killed" {
	printf '%s\n' '{"ts":1,"k":1}' > r
	for prog in "weir-watermark --lag 1h" "weir-window session 1m" "weir-agg --window 1m count" \
		"weir-dedupe --key k" "weir-join - r --on k --within 1s"; do
		for sig in TERM INT; do
			rm -f in
			mkfifo in
			$prog --stats < in > out 2> err &
			pid=$!
			exec {w}> in
			printf '%s\n' '{"ts":1,"k":1}' '{"ts":2,"k":1}' >&"$w"
			wait_for_handler "$pid" "$(kill -l "$sig")"
			kill -"$sig" "$pid"
			rc=0
			wait "$pid" || rc=$?
			exec {w}>&-
			assert_equal "$prog $sig $rc" "$prog $sig $((128 + $(kill -l "$sig")))"
			# one stats line whose sums add up
			python3 - err <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) == 1, lines
s = json.loads(lines[0])
assert s["in"] == s["out"] + s["late"] + s["rejected"] + s["dropped"] + s["held"], s
EOF
		done
	done
}

@test "the dispatcher runs weir-watermark, prints help and its version" {
	printf '%s\n' '{"ts":2}' '{"ts":1}' > in
	run weir watermark --lag 5s < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1}' '{"ts":2}')"
	run weir --version
	assert_output --regexp '^weir [0-9]+\.[0-9]+\.[0-9]+$'
	run weir help
	assert_success
	assert_output --partial "watermark"
	run weir no-such-command
	assert_failure 2
	run weir-watermark --version
	assert_output --regexp '^weir-watermark [0-9]'
	run weir-watermark --help
	assert_success
	assert_output --partial "usage: weir-watermark"
}

@test "the man pages' EXAMPLES run as shown" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-watermark.1"
}

@test "the man pages are clean under mandoc -T lint -W warning" {
	run mandoc -T lint -W warning "$ROOT/man/weir.7" "$ROOT/man/weir-watermark.1"
	assert_success
	assert_output ""
}

@test "no data race between the reader thread and the program (ThreadSanitizer)" {
	tsan="$ROOT/build/tsan/bin/weir-watermark"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	ref events 3000 4 3000 > in.ndjson
	printf '%s\n' 'junk' '{"_watermark":"2026-11-23T10:00:10Z"}' >> in.ndjson
	ref events 3000 5 3000 >> in.ndjson
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" --lag 1s --late pass --on-error skip < in.ndjson > tsan.out 2> tsan.err
	weir-watermark --lag 1s --late pass --on-error skip < in.ndjson > plain.out
	cmp plain.out tsan.out
	feed in.ndjson | "$tsan" --lag 1s --idle 20ms --on-error skip > /dev/null 2>> tsan.err
	"$tsan" < in.ndjson 2>> tsan.err | head -n 1 > /dev/null
	run grep -c "ThreadSanitizer" tsan.err
	assert_output 0
}

@test "a file on stdin is read from where its offset stands" {
	printf '%s\n' '{"ts":1,"n":"read by the shell"}' '{"ts":3}' '{"ts":2}' > in
	run bash -c '{ read -r first; weir-watermark --lag 5s; } < in'
	assert_success
	assert_output "$(printf '%s\n' '{"ts":2}' '{"ts":3}')"
	# and a last line without a newline after the mapped part
	printf '{"ts":5}\n{"ts":4}' > tail
	run weir-watermark --lag 5s < tail
	assert_output "$(printf '%s\n' '{"ts":4}' '{"ts":5}')"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-watermark --lag 1s
}
