# Shared set-up for every bats suite.
bats_require_minimum_version 1.5.0
bats_load_library bats-support 2>/dev/null || load /usr/lib/bats/bats-support/load
bats_load_library bats-assert 2>/dev/null || load /usr/lib/bats/bats-assert/load

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# WEIR_BIN: where the programs under test are (bin/, or the sanitizer build)
WEIR_BIN=${WEIR_BIN:-bin}
PATH="$ROOT/$WEIR_BIN:$PATH"
LIB="$ROOT/tests/lib"
# The references run on Debian's python3 where it is there: a version
# manager's shim first on PATH (pyenv's) takes a few hundred milliseconds a
# start, and the suites start Python hundreds of times.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$BATS_RUN_TMPDIR/python"
	ln -sf /usr/bin/python3 "$BATS_RUN_TMPDIR/python/python3"
	PATH="$BATS_RUN_TMPDIR/python:$PATH"
fi
export ROOT PATH LIB WEIR_BIN

# feed FILE: writes FILE to stdout in small seeded random chunks (lines cut
# anywhere), pausing a millisecond between chunks, so that the program
# reads it piece by piece as it would from a live `tail -F`.
feed() {
	python3 "$LIB/feed.py" "$@"
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
