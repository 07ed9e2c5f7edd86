# Shared set-up for every bats suite.
bats_require_minimum_version 1.5.0
# bats-support and bats-assert, their files sourced here: their load.bash
# finds its own directory with a subshell and dirname per file, about 0.1 s
# of every test on these machines, where a fork and exec costs 3 ms
if [ -d /usr/lib/bats/bats-support/src ] && [ -d /usr/lib/bats/bats-assert/src ]; then
	for _lib in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
		source "$_lib"
	done
	unset _lib
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi

ROOT=${BATS_TEST_DIRNAME%/tests/bats}
# WEIR_BIN: where the programs under test are (bin/, or the sanitizer build)
WEIR_BIN=${WEIR_BIN:-bin}
PATH="$ROOT/$WEIR_BIN:$PATH"
LIB="$ROOT/tests/lib"
# The references run on Debian's python3 where it is there: a version
# manager's shim first on PATH (pyenv's) takes a few hundred milliseconds a
# start, and the suites start Python hundreds of times.  The link is made
# once a run.
if [ -x /usr/bin/python3 ]; then
	[ -e "$BATS_RUN_TMPDIR/python/python3" ] || {
		mkdir -p "$BATS_RUN_TMPDIR/python" &&
		ln -sf /usr/bin/python3 "$BATS_RUN_TMPDIR/python/python3"
	}
	PATH="$BATS_RUN_TMPDIR/python:$PATH"
fi
export ROOT PATH LIB WEIR_BIN

# feed FILE: writes FILE to stdout in small seeded random chunks (lines cut
# anywhere), pausing 0.2 ms between chunks, so that the program
# reads it piece by piece as it would from a live `tail -F`.
feed() {
	python3 "$LIB/feed.py" "$@"
}

# ref_queue OUT COMMAND ARG...: a run of tests/lib/reference.py, its output
# to OUT, kept for ref_run, which does every queued run in one process (a
# sweep pays one start-up of python, not one a case)
ref_queue() {
	local IFS=$'\t'
	printf '%s\n' "$*" >> refs.queue
}

ref_run() {
	python3 "$LIB/reference.py" many refs.queue && rm -f refs.queue
}

# batch_equals_stream INPUT CMD...: the same bytes whether INPUT arrives
# whole or piece by piece.
batch_equals_stream() {
	local input=$1
	shift
	"$@" <"$input" >"$BATS_TEST_TMPDIR/batch.out" 2>/dev/null
	feed "$input" | "$@" >"$BATS_TEST_TMPDIR/stream.out" 2>/dev/null
	cmp "$BATS_TEST_TMPDIR/batch.out" "$BATS_TEST_TMPDIR/stream.out"
}

# wait_for_handler PID SIGNAL_NUMBER: waits (at most 5 s) until the process
# catches that signal, read from /proc, so a test never signals too early.
wait_for_handler() {
	local mask bit=$((1 << ($2 - 1)))
	for _ in $(seq 100); do
		mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null)
		if [ -n "$mask" ] && [ $((0x$mask & bit)) -ne 0 ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# io_contract PROG ARGS...: what every program promises about standard
# input and output, on events it reads from standard input:
#   - empty input: exit 0, and nothing on stderr;
#   - an unknown option: exit 2, the option named, and the usage;
#   - a line that is not JSON among events: exit 0, a warning naming it
#     as stdin:LINE, the line byte for byte in --errors;
#   - a reader that goes away (| head -n 1): exit 0, and nothing on stderr;
#   - a full disk (> /dev/full): exit 1, and the reason.
# ARGS should make PROG write more than a pipe holds, so that the closed
# pipe is met while writing.  IO_CONTRACT_REASON: the reason a program that
# reads another format gives for the bad line.
io_contract() {
	local dir="$BATS_TEST_TMPDIR/io_contract" rc
	mkdir -p "$dir"
	python3 - > "$dir/in" <<'PY'
for i in range(50000):
    print('{"ts":%d,"host":"h%d","id":"k%d","v":%d}' % (1795428000000 + i * 100, i % 7, i, i % 100))
PY
	run --separate-stderr "$@" < /dev/null
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr "$@" --no-such-option < /dev/null
	assert_failure 2
	[[ "$stderr" == *"unknown option '--no-such-option'"* ]] || fail "stderr: $stderr"
	[[ "$stderr" == *"usage: "* ]] || fail "stderr: $stderr"
	{ head -n 2 "$dir/in"; printf 'not json\n'; sed -n '3,10p' "$dir/in"; } > "$dir/bad"
	rm -f "$dir/errors"
	run --separate-stderr "$@" --errors "$dir/errors" < "$dir/bad"
	assert_success
	[[ "$stderr" == *"stdin:3: ${IO_CONTRACT_REASON:-not a JSON object}"* ]] || fail "stderr: $stderr"
	assert_equal "$(cat "$dir/errors")" "not json"
	"$@" < "$dir/in" 2> "$dir/err" | head -n 1 > /dev/null
	assert_equal "closed pipe: exit ${PIPESTATUS[0]}" "closed pipe: exit 0"
	assert_equal "$(cat "$dir/err")" ""
	rc=0
	"$@" < "$dir/in" > /dev/full 2> "$dir/err" || rc=$?
	assert_equal "/dev/full: exit $rc" "/dev/full: exit 1"
	grep -q "cannot write standard output: No space left on device" "$dir/err" ||
	    fail "stderr: $(cat "$dir/err")"
}
