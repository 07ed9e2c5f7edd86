#!/usr/bin/env bats
# weir-parse and -i FORMAT: logs that are not JSON, read as each format's
# grammar says, with an independent reading in Python as the reference;
# every line accounted for.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

pref() {
	python3 "$LIB/parseref.py" "$@"
}

# check FORMAT [weir-parse options] [-- reference options]: 2,000 lines of
# FORMAT from its grammar, read by weir-parse and by the reference.
check() {
	# the parsers run under the sanitizers in fuzz_parse's corpus and the
	# tests below; the sweeps against the reference run on the plain build
	[ "$WEIR_BIN" = bin ] || skip "swept on the plain build"
	local fmt=$1 seed=${SEED:-7}
	shift
	local opts=() refopts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	refopts=("$@")
	pref gen "$fmt" 2000 "$seed" > "$fmt.log"
	rm -f "$fmt.errors"
	weir-parse "$fmt" "${opts[@]}" --on-error skip --errors "$fmt.errors" "$fmt.log" > "$fmt.json"
	touch "$fmt.errors"
	run pref check "$fmt" "$fmt.log" "$fmt.json" "$fmt.errors" "${refopts[@]}"
	assert_success
	assert_output --partial " 0 differ"
}

@test "combined: lines from nginx's log_format combined read as Python's re reads them" {
	check combined
}

@test "common: Apache's common log format, the same" {
	check common
}

@test "syslog: RFC 5424 (structured data, escapes, BOM) and RFC 3164 (with and without PRI, host, tag)" {
	check syslog
}

@test "logfmt: quoted values with escapes, bare keys, numbers, broken lines" {
	check logfmt
}

@test "cri: partial lines joined per stream; a line of another shape rejected" {
	check cri
}

@test "docker: json-file lines unwrapped, partial lines joined per stream" {
	check docker
}

@test "regex: named groups in the pattern's order, --types, an unmatched group is null" {
	pref gen combined 2000 11 > in
	pattern='^(?<ip>\S+) \S+ (?<user>\S+) \[(?<when>[^\]]+)\] "(?<method>[A-Z]+)? ?(?<rest>[^"]*)" (?<status>\d+) (?<bytes>\d+|-)'
	weir-parse regex "$pattern" --types status=int,bytes=int --on-error skip --errors errors in > got
	touch errors
	run pref check regex in got errors --types status=int,bytes=int --pattern "$pattern"
	assert_success
	assert_output --partial " 0 differ"
}

@test "the worked examples of the formats' own documents, member by member" {
	# Apache's documentation of the combined format
	printf '%s\n' '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"' > combined
	run weir-parse combined combined
	assert_output '{"remote_addr":"127.0.0.1","ident":null,"remote_user":"frank","time":"2000-10-10T13:55:36-07:00","request":"GET /apache_pb.gif HTTP/1.0","method":"GET","path":"/apache_pb.gif","protocol":"HTTP/1.0","status":200,"bytes":2326,"referer":"http://www.example.com/start.html","user_agent":"Mozilla/4.08 [en] (Win98; I ;Nav)"}'
	# a TLS handshake sent to the HTTP port, as nginx logs it, from an IPv6 client
	printf '%s\n' '2001:db8::1 - - [03/Dec/2026:10:00:01 +0000] "\x16\x03\x01\x00\xF7\x01" 400 166 "-" "-"' > probe
	run weir-parse combined probe
	assert_output '{"remote_addr":"2001:db8::1","ident":null,"remote_user":null,"time":"2026-12-03T10:00:01Z","request":"\\x16\\x03\\x01\\x00\\xF7\\x01","method":null,"path":null,"protocol":null,"status":400,"bytes":166,"referer":null,"user_agent":null}'
	# RFC 5424 6.5, examples 1, 3 and 4 (the BOM before MSG is taken out)
	printf '<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \357\273\277%s\n' "'su root' failed for lonvick on /dev/pts/8" > 5424
	printf '%s\n' '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...' \
	    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]' >> 5424
	run weir-parse syslog 5424
	assert_output "$(printf '%s\n' \
	    '{"facility":"auth","severity":"crit","time":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"su","procid":null,"msgid":"ID47","structured_data":null,"message":"'"'su root'"' failed for lonvick on /dev/pts/8"}' \
	    '{"facility":"local4","severity":"notice","time":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"evntslog","procid":null,"msgid":"ID47","structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"}},"message":"An application event log entry..."}' \
	    '{"facility":"local4","severity":"notice","time":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"evntslog","procid":null,"msgid":"ID47","structured_data":{"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"},"examplePriority@32473":{"class":"high"}},"message":null}')"
	# RFC 3164 5.4, example 1: the year is the latest that puts the date no
	# more than 31 days past the wall clock (Python's datetime says which)
	year=$(python3 -c 'import datetime as d
n = d.datetime.now(d.timezone.utc).replace(tzinfo=None)
print(max(y for y in range(n.year - 1, n.year + 2) if d.datetime(y, 10, 11, 22, 14, 15) <= n + d.timedelta(days=31)))')
	printf '%s\n' "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8" > 3164
	run weir-parse syslog 3164
	assert_output '{"facility":"auth","severity":"crit","time":"'"$year"'-10-11T22:14:15Z","hostname":"mymachine","appname":"su","procid":null,"msgid":null,"structured_data":null,"message":"'"'su root'"' failed for lonvick on /dev/pts/8"}'
	# the logfmt example of Brandur Leach's "logfmt" (Heroku's router)
	printf '%s\n' 'at=info method=GET path=/ host=mutelight.org fwd="124.58.255.36" dyno=web.1 connect=1ms service=18ms status=200 bytes=1701' > logfmt
	run weir-parse logfmt logfmt
	assert_output '{"at":"info","method":"GET","path":"/","host":"mutelight.org","fwd":"124.58.255.36","dyno":"web.1","connect":"1ms","service":"18ms","status":200,"bytes":1701}'
}

@test "docker: attrs (labels) are kept; a message read with --message json gives its members" {
	printf '%s\n' '{"log":"{\"a\":1}\n","stream":"stderr","attrs":{"tag":"web"},"time":"2019-01-01T11:11:11.5Z"}' > in
	run weir-parse docker in
	assert_output '{"time":"2019-01-01T11:11:11.5Z","stream":"stderr","message":"{\"a\":1}","attrs":{"tag":"web"}}'
	run weir-parse docker --message json in
	assert_output '{"time":"2019-01-01T11:11:11.5Z","stream":"stderr","a":1,"attrs":{"tag":"web"}}'
}

@test "syslog --tz: RFC 3164's zone-less times read as that zone's local time, as Python's zoneinfo reads them" {
	printf '%s\n' '<34>Dec  3 10:00:01 host su: a' '<34>Jul  1 12:00:00 host su: b' \
	    '<34>Jan 15 23:59:59 host su: c' '<34>1 2003-10-11T22:14:15.003Z h a - - - keeps its own' > in
	weir-parse syslog --tz America/New_York in > got
	python3 - in got <<'PY'
import datetime, json, re, sys, zoneinfo
z = zoneinfo.ZoneInfo("America/New_York")
now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
got = [json.loads(l)["time"] for l in open(sys.argv[2])]
want = []
for line in open(sys.argv[1]):
    m = re.match(r"<\d+>(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) ", line)
    if not m:
        want.append("2003-10-11T22:14:15.003Z")
        continue
    mon = "JanFebMarAprMayJunJulAugSepOctNovDec".index(m[1]) // 3 + 1
    y = max(y for y in range(now.year - 1, now.year + 2)
            if datetime.datetime(y, mon, int(m[2]), int(m[3]), int(m[4]), int(m[5]))
            <= now + datetime.timedelta(days=31))
    want.append(datetime.datetime(y, mon, int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                                  tzinfo=z).isoformat())
assert got == want, (got, want)
PY
	# a time the clocks skip (Paris, 29 March 2026, 02:00 to 03:00) is the
	# instant they skip it, as windows on local time read it
	printf '%s\n' '<34>Mar 29 02:30:00 host su: skipped' > gap
	year=$(python3 -c 'import datetime as d
n = d.datetime.now(d.timezone.utc).replace(tzinfo=None)
print(max(y for y in range(n.year - 1, n.year + 2) if d.datetime(y, 3, 29, 2, 30) <= n + d.timedelta(days=31)))')
	[ "$year" = 2026 ] || skip "the year rule reads another year than 2026 now"
	run weir-parse syslog --tz Europe/Paris gap
	assert_output --partial '"time":"2026-03-29T03:00:00+02:00"'
	run --separate-stderr weir-parse combined --tz Europe/Paris
	assert_failure 2
}

@test "kv: separators of the user's choosing, single and double quotes, white space trimmed" {
	printf '%s\n' "a: 1, b: 'x y' ,c:\"q\\\"d\", bare" > in
	run weir-parse kv --kv-sep : --pair-sep , in
	assert_success
	assert_output '{"a":1,"b":"x y","c":"q\"d","bare":true}'
	# with a separator other than white space, keys and values may hold spaces
	printf '%s\n' 'user name: Ann Lee, n: 2,  ok' > spaced
	run weir-parse kv --kv-sep : --pair-sep , spaced
	assert_output '{"user name":"Ann Lee","n":2,"ok":true}'
	# an audit record, key=value by white space
	printf '%s\n' "type=USER_LOGIN msg=audit(1364481363.243:24287): pid=3 uid=0 res=failed acct='root'" > audit
	run weir-parse kv -S audit
	assert_output '{"type":"USER_LOGIN","msg":"audit(1364481363.243:24287):","pid":"3","uid":"0","res":"failed","acct":"root"}'
}

@test "a line the format does not read goes to --errors byte for byte, named by file:line, counted; the sums add up" {
	printf '%s\n' 'at=info n=1' 'not logfmt' '' 'k="open' 'at=warn n=2' > in
	printf 'bin\001\377ary\n' >> in
	run --separate-stderr weir-parse logfmt --errors errors --stats in
	assert_success
	assert_output "$(printf '%s\n' '{"at":"info","n":1}' '{"at":"warn","n":2}')"
	[[ "$stderr" == *"in:2: no key=value pair"* ]] || fail "$stderr"
	[[ "$stderr" == *"in:4: a quote that never closes"* ]] || fail "$stderr"
	[[ "$stderr" == *'"in":5,"out":2,"late":0,"rejected":3,'*'"blank":1,'* ]] || fail "$stderr"
	cmp errors <(printf 'not logfmt\nk="open\nbin\001\377ary\n')
	run weir-parse logfmt --on-error fail in
	assert_failure 65
}

@test "--raw keeps the whole line; --passthrough-json lets JSON lines of a mixed log pass as they came" {
	printf '%s\n' 'a=1' '{"ts":1, "b":2}' 'c=x' > in
	run weir-parse logfmt --raw line --passthrough-json in
	assert_output "$(printf '%s\n' '{"a":1,"line":"a=1"}' '{"ts":1, "b":2}' '{"c":"x","line":"c=x"}')"
	run --separate-stderr weir-parse logfmt in
	assert_output "$(printf '%s\n' '{"a":1}' '{"c":"x"}')"
	# a line passed through is checked as every JSON line is, BOM or not
	printf '\357\273\277{"a":1 broken\n{"b":2}\n' > bad
	run --separate-stderr weir-parse logfmt --passthrough-json bad
	assert_output '{"b":2}'
	[[ "$stderr" == *"bad:1: "* ]] || fail "$stderr"
}

@test "--auto takes the preset the first readable line is in, and says which on stderr" {
	pref gen combined 50 3 | grep -v '\] "GET /a b' > access
	printf '%s\n' 'at=info n=1' > logfmt
	pref gen cri 50 3 > cri
	for f in access logfmt cri; do
		fmt=$f
		[ "$f" = access ] && fmt=combined
		run --separate-stderr weir-parse --auto --on-error skip "$f"
		assert_success
		[[ "$stderr" == *"$f: --auto: the input reads as $fmt (line "* ]] || fail "$f: $stderr"
		assert_equal "$output" "$(weir-parse "$fmt" --on-error skip "$f")"
	done
}

@test "values that are not UTF-8 are written as their Latin-1 reading: valid JSON, no byte lost" {
	printf 'k=\377\376 m="caf\303\251"\n' > in
	weir-parse logfmt in > got
	python3 - got <<'PY'
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert o == {"k": "\u00ff\u00fe", "m": "caf\u00e9"}, o
assert o["k"].encode("latin-1") == b"\xff\xfe"
PY
}

@test "-i FORMAT in any program reads the log as weir-parse writes it" {
	pref gen combined 3000 5 > access.log
	weir-parse combined --on-error skip access.log | weir-agg --window 1h --by status count > a
	weir-agg -i combined --on-error skip --window 1h --by status count access.log > b
	cmp a b
	weir-parse combined --on-error skip access.log | weir-select --where 'status >= 500' > a
	weir-select -i combined --on-error skip --where 'status >= 500' access.log > b
	cmp a b
	[ -s a ]
	run weir-watermark -i 'regex:(?<ts>\S+) (?<v>\d+)' --types v=int < /dev/null
	assert_failure 2
}

@test "weir-parse combined | weir-agg counts what Miller counts over the same log converted by Python" {
	command -v mlr > /dev/null || skip "Miller is not installed"
	[ "$WEIR_BIN" = bin ] || skip "compared on the plain build"
	python3 - > access.log <<'PY'
import random
r = random.Random(3)
for i in range(5000):
    t = 1795428000 + i * 2 + r.randrange(3)
    import time
    s = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
    print('10.0.0.%d - - [%s] "GET /p%d HTTP/1.1" %d %d "-" "agent"' % (
        r.randrange(9), s, r.randrange(5), r.choice([200, 200, 404, 500]), r.randrange(1000)))
PY
	python3 - access.log > access.csv <<'PY'
import csv, re, sys, datetime
w = csv.writer(sys.stdout)
w.writerow(["minute", "status", "bytes"])
for line in open(sys.argv[1]):
    m = re.match(r'\S+ \S+ \S+ \[([^\]]+)\] "[^"]*" (\d+) (\d+)', line)
    t = datetime.datetime.strptime(m[1], "%d/%b/%Y:%H:%M:%S %z")
    w.writerow([t.strftime("%Y-%m-%dT%H:%M:00Z"), m[2], m[3]])
PY
	mlr --icsv --ojson stats1 -a count,sum -f bytes -g minute,status access.csv > mlr.json
	weir-parse combined access.log | weir-agg --window 1m --lag 5s --by status count sum:bytes > weir.json
	python3 - mlr.json weir.json <<'PY'
import json, sys
m = {(r["minute"], int(r["status"])): (r["bytes_count"], r["bytes_sum"]) for r in json.load(open(sys.argv[1]))}
w = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    w[(r["window_start"], r["status"])] = (r["count"], r["sum_bytes"])
assert m == w, (len(m), len(w))
PY
}

@test "csv and tsv: a header names the members" {
	printf 'ts,host,n\n1,a,5\n2,"b,c",x\n' > in.csv
	run weir-parse csv in.csv
	assert_output "$(printf '%s\n' '{"ts":1,"host":"a","n":5}' '{"ts":2,"host":"b,c","n":"x"}')"
	printf 'ts\thost\tn\n1\ta b\t5\n' > in.tsv
	run weir-parse tsv in.tsv
	assert_output '{"ts":1,"host":"a b","n":5}'
}

@test "batch equals stream: partial lines and records cut anywhere give the same bytes" {
	pref gen cri 3000 9 > cri.log
	batch_equals_stream cri.log weir-parse cri
	pref gen combined 3000 9 > access.log
	batch_equals_stream access.log weir-parse combined
}

@test "a record whose last part never comes is written at the end of the input, not lost" {
	printf '%s\n' '2026-01-01T00:00:00Z stdout P never ' '2026-01-01T00:00:01Z stderr F done' > in
	run --separate-stderr weir-parse cri --stats in
	assert_output "$(printf '%s\n' '{"time":"2026-01-01T00:00:01Z","stream":"stderr","message":"done"}' \
	    '{"time":"2026-01-01T00:00:00Z","stream":"stdout","message":"never "}')"
	[[ "$stderr" == *'"in":2,"out":2,'* ]] || fail "$stderr"
}

@test "usage errors name what is wrong" {
	run --separate-stderr weir-parse
	assert_failure 2
	[[ "$stderr" == *"no format: weir-parse FORMAT"* ]]
	run --separate-stderr weir-parse nginx
	assert_failure 2
	[[ "$stderr" == *"unknown format 'nginx'"* ]]
	run --separate-stderr weir-parse regex '(\d+)'
	assert_failure 2
	[[ "$stderr" == *"names no group"* ]]
	run --separate-stderr weir-parse regex '(?<a>'
	assert_failure 2
	[[ "$stderr" == *"invalid regular expression"* ]]
	run --separate-stderr weir-parse combined --types stauts=int
	assert_failure 2
	[[ "$stderr" == *"combined has no member 'stauts'"* ]]
	run --separate-stderr weir-parse combined -i csv
	assert_failure 2
	run --separate-stderr weir-parse logfmt --kv-sep :
	assert_failure 2
}

@test "a huge line, binary input and empty input" {
	python3 -c 'print("k=" + "x" * 3000000)' > huge
	run weir-parse logfmt huge
	assert_success
	assert_equal "${#output}" 3000008
	head -c 20000 /dev/urandom > binary
	run weir-parse combined --on-error skip binary
	assert_success
	assert_output ""
	run weir-parse syslog < /dev/null
	assert_success
	assert_output ""
}

@test "the man page's EXAMPLES run as shown and it is lint-clean" {
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-parse.1"
	mandoc -T lint -W warning "$ROOT/man/weir-parse.1"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	IO_CONTRACT_REASON="no key=value pair" io_contract weir-parse logfmt --passthrough-json
}
