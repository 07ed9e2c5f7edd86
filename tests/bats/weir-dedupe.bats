#!/usr/bin/env bats
# weir-dedupe: repeats within a horizon, --keep, --max-keys, --dups.
# Expected output from tests/lib/reference.py or worked examples.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

ref() {
	python3 "$LIB/reference.py" "$@"
}

# 3000 events over 200 keys, out of order by up to 4 s, a field u on some
keyed() {
	python3 - <<'PY'
import random
rng = random.Random(9)
evs, t = [], 1795428000000
for i in range(3000):
    t += rng.choice([0, 10, 100, 500, 1500])
    evs.append((t + rng.randint(0, 4000), i, t))
evs.sort()
for _, i, ms in evs:
    k = rng.randrange(200)
    extra = '' if rng.random() < 0.85 else ',"u":%d' % rng.randrange(3)
    print('{"ts":%d,"id":"k%d","v":%d%s}' % (ms, k, rng.randrange(3), extra))
PY
}

@test "output and dups match the reference: keep first/last, horizons, lags, keys, --max-keys" {
	keyed > in.ndjson
	# under the sanitizers one lag and two horizons cover the same code
	withins="0 2 10" lags="0 3"
	[ "$WEIR_BIN" = bin ] || { withins="0 10"; lags=3; }
	n=0
	for keep in first last; do
		for within in $withins; do
			for lag in $lags; do
				for key in id id,u -; do
					for max in 1000000 50; do
						kopt=(); [ "$key" = - ] || kopt=(--key "$key")
						wopt=(); [ "$within" = 0 ] || wopt=(--within "${within}s")
						n=$((n + 1))
						weir-dedupe "${kopt[@]}" "${wopt[@]}" --lag "${lag}s" --keep "$keep" --max-keys "$max" \
							--dups "got.$n.dups" --stats < in.ndjson > "got.$n" 2> "got.$n.err"
						echo "$key $within $lag $keep $max got.$n" >> checks
					done
				done
			done
		done
	done
	# the reference, once for all of them
	ref dedupe-many checks in.ndjson
}

@test "thousands of keys within the horizon (the wheel of horizons grows) match the reference" {
	python3 - > in.ndjson <<'PY'
import random
rng = random.Random(5)
evs, t = [], 1795428000000
for i in range(20000):
    t += rng.choice([0, 1, 2])
    evs.append((t + rng.randint(0, 1500), t))
evs.sort()
for _, ms in evs:
    print('{"ts":%d,"id":%d}' % (ms, rng.randrange(9000)))
PY
	for keep in first last; do
		ref dedupe id 12 2 "$keep" 1000000 in.ndjson expect.dups > expect 2> /dev/null
		weir-dedupe --key id --within 12s --lag 2s --keep "$keep" --dups got.dups < in.ndjson > got
		cmp expect got
		cmp expect.dups got.dups
		rm -f got.dups
	done
}

@test "keys longer than the stack buffer they are hashed from match the reference" {
	python3 - > in.ndjson <<'PY'
import random
r = random.Random(3)
ks = ["x" * r.randrange(400, 3000) + str(i) for i in range(20)]
for i in range(500):
    print('{"ts":%d,"id":"%s","u":%d}' % (1000 + i, r.choice(ks), r.randrange(3)))
PY
	for key in id id,u; do
		ref dedupe "$key" 100 0 first 1000000 in.ndjson expect.dups > expect 2> /dev/null
		weir-dedupe --key "$key" --within 100s < in.ndjson > got
		cmp expect got
	done
}

@test "within and beyond the horizon, out of order, on a worked example" {
	printf '%s\n' '{"ts":10,"id":"a"}' '{"ts":8,"id":"a"}' '{"ts":14,"id":"a"}' '{"ts":30,"id":"a"}' '{"ts":12,"id":"b"}' > in
	run --separate-stderr weir-dedupe --key id --within 5s --lag 1m --dups dups --stats < in
	assert_success
	# 8 is 2 s before 10: a repeat; 14 is 4 s after the last (10): a repeat;
	# 30 is 16 s after 14: new again
	assert_output "$(printf '%s\n' '{"ts":10,"id":"a"}' '{"ts":30,"id":"a"}' '{"ts":12,"id":"b"}')"
	assert_equal "$(cat dups)" "$(printf '%s\n' '{"ts":8,"id":"a"}' '{"ts":14,"id":"a"}')"
	[[ "$stderr" == *'"in":5,"out":3,"late":0,"rejected":0,"dropped":2,"filtered":0,"held":0'* ]]
}

@test "--keep last writes the last of each key when its horizon closes, in horizon order" {
	printf '%s\n' '{"ts":1,"id":"a","n":1}' '{"ts":2,"id":"b","n":1}' '{"ts":3,"id":"a","n":2}' '{"ts":20,"id":"c"}' > in
	run weir-dedupe --key id --within 5s --keep last < in
	assert_success
	# b closes at 2+5, a at 3+5: b first, then a, then c at the end
	assert_output "$(printf '%s\n' '{"ts":2,"id":"b","n":1}' '{"ts":3,"id":"a","n":2}' '{"ts":20,"id":"c"}')"
}

@test "nothing is late: an expired key is new again" {
	printf '%s\n' '{"ts":100,"id":"a"}' '{"ts":200,"id":"x"}' '{"ts":101,"id":"a"}' > in
	run --separate-stderr weir-dedupe --key id --within 10s --stats < in
	assert_success
	assert_output "$(cat in)"
	[[ "$stderr" == *'"late":0'* ]]
}

@test "whole-line keys, and a missing key field is its own key" {
	printf '%s\n' '{"ts":1,"a":1}' '{"ts":1,"a":1}' '{"ts":1, "a":1}' > in
	run weir-dedupe < in
	assert_output "$(sed -n '1p;3p' in)"
	printf '%s\n' '{"ts":1,"k":1}' '{"ts":2}' '{"ts":3}' '{"ts":4,"k":null}' > in2
	run weir-dedupe --key k < in2
	assert_output "$(sed -n '1p;2p;4p' in2)"
}

@test "--max-keys evicts the least recently seen key and counts it" {
	printf '%s\n' '{"ts":1,"id":1}' '{"ts":2,"id":2}' '{"ts":3,"id":1}' '{"ts":4,"id":3}' '{"ts":5,"id":2}' > in
	run --separate-stderr weir-dedupe --key id --max-keys 2 --stats < in
	assert_success
	# at id 3, key 2 is the least recently seen (1 was seen at 3): 2 goes, so
	# 2 is new at 5, and then 1 goes
	assert_output "$(sed -n '1p;2p;4p;5p' in)"
	[[ "$stderr" == *'"forced":2'* ]]
}

@test "every line is accounted for, bad input is rejected and named" {
	keyed > in.ndjson
	printf '%s\n' 'junk' '{"id":"k1"}' >> in.ndjson
	weir-dedupe --key id --within 2s --keep last --dups dups --errors bad --on-error skip --stats < in.ndjson > out 2> err
	python3 - "$(tail -n 1 err)" "$(wc -l < in.ndjson)" "$(wc -l < out)" "$(wc -l < dups)" "$(wc -l < bad)" <<'PY'
import json, sys
s = json.loads(sys.argv[1]); lines, out, dups, bad = map(int, sys.argv[2:])
assert s["in"] == lines == out + dups + bad, (s, lines, out, dups, bad)
assert s["in"] == s["out"] + s["dropped"] + s["rejected"] + s["held"] and s["held"] == 0, s
PY
	run --separate-stderr weir-dedupe < /dev/null
	assert_success
	assert_output ""
	run --separate-stderr weir-dedupe --within 0s
	assert_failure 2
	run --separate-stderr weir-dedupe --keep middle
	assert_failure 2
	[[ "$stderr" == *"first or last"* ]]
	run --separate-stderr weir-dedupe --dups /nonexistent/dir/d
	assert_failure 2
	[[ "$stderr" == *"cannot open dups file"* ]]
}

@test "batch = stream, a closed pipe, /dev/full, the man page" {
	keyed > in.ndjson
	batch_equals_stream in.ndjson weir-dedupe --key id --within 2s --keep last --lag 1s
	batch_equals_stream in.ndjson weir-dedupe --key id --max-keys 20
	weir-dedupe < in.ndjson 2> err | head -n 1 > /dev/null
	assert_equal "${PIPESTATUS[0]}" 0
	[ ! -s err ]
	run --separate-stderr sh -c 'weir-dedupe < in.ndjson > /dev/full'
	assert_failure 1
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-dedupe.1"
	run mandoc -T lint -W warning "$ROOT/man/weir-dedupe.1"
	assert_output ""
}

@test "no data race (ThreadSanitizer)" {
	tsan="$ROOT/build/tsan/bin/weir-dedupe"
	[ -x "$tsan" ] || skip "no ThreadSanitizer build (make check builds it)"
	keyed > in.ndjson
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
	"$tsan" --key id --within 2s --keep last < in.ndjson > tsan.out 2> tsan.err
	weir-dedupe --key id --within 2s --keep last < in.ndjson > plain.out
	cmp plain.out tsan.out
	run grep -c ThreadSanitizer tsan.err
	assert_output 0
}

@test "keys compare by value: an escaped string is its characters, a number its text; a key at the stack buffer's edge" {
	printf '%s\n' '{"ts":1,"k":"jos\u00e9"}' '{"ts":2,"k":"josé"}' '{"ts":3,"k":1042}' \
		'{"ts":4,"k":"1042"}' '{"ts":5,"k":1042.0}' > in
	run weir-dedupe --key k < in
	assert_success
	assert_output "$(printf '%s\n' '{"ts":1,"k":"jos\u00e9"}' '{"ts":3,"k":1042}' '{"ts":5,"k":1042.0}')"
	# a 508-byte value and a missing field: 512 bytes of key exactly
	python3 -c 'print("{\"ts\":1,\"a\":\"" + "x" * 508 + "\"}")' > edge
	cat edge edge > in2
	run --separate-stderr weir-dedupe --key a,b < in2
	assert_success
	assert_output "$(cat edge)"
}

@test "after an outlier far in the future, older events start states that end at once: none is a repeat, whole or piece by piece" {
	python3 - > in <<'EOF'
import random
rng = random.Random(5)
print('{"ts":"2099-01-01T00:00:00Z","id":"outlier"}')
for i in range(49):
    print('{"ts":%d,"id":"k%d"}' % (1795428000 + i, rng.randrange(10)))
EOF
	for keep in first last; do
		run --separate-stderr weir-dedupe --key id --within 10s --keep "$keep" --stats in
		assert_success
		assert_equal "$(sort <<<"$output")" "$(sort in)"
		[[ "$stderr" == *'"in":50,"out":50,"late":0,"rejected":0,"dropped":0'* ]]
		batch_equals_stream in weir-dedupe --key id --within 10s --keep "$keep"
	done
	# without the outlier the same events are deduplicated as usual
	tail -n 49 in > plain
	ref dedupe id 10 0 first 1000000 plain > expect 2> /dev/null
	weir-dedupe --key id --within 10s < plain > got
	cmp expect got
	[ "$(wc -l < got)" -lt 49 ]
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-dedupe --key id
}
