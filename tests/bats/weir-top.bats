#!/usr/bin/env bats
# weir-top: drawn in a real terminal emulator (tmux, detached, of a fixed
# size, its own server per test), read back with capture-pane; and not on a
# terminal, the lines passed through as they came.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	command -v tmux >/dev/null || skip "tmux is not installed"
	SOCK="weir-top-$$-$BATS_TEST_NUMBER"
}

teardown() {
	exec 8>&- 2>/dev/null || true
	tmux -L "$SOCK" kill-server 2>/dev/null || true
}

t() { tmux -L "$SOCK" "$@"; }

# start COLS LINES ARGS...: weir-top ARGS on a terminal of that size,
# reading the FIFO rows (written through fd 8); the shell then says how it
# ended, on the screen weir-top gave back.
start() {
	local cols=$1 lines=$2
	shift 2
	mkfifo rows
	t new-session -d -s top -x "$cols" -y "$lines" \
	    "cd '$BATS_TEST_TMPDIR' && PATH='$PATH' LANG=C.UTF-8 weir-top $* < rows; echo \"EXITED \$?\"; sleep 600"
	exec 8> rows
}

screen() { t capture-pane -p -t top; }

# wait_screen PATTERN: the screen shows PATTERN (an extended regex) within 10 s.
wait_screen() {
	for _ in $(seq 200); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	echo "the screen never showed /$1/:" >&2
	screen >&2
	return 1
}

row() { printf '{"host":"%s","window_start":%d,"window_end":%d,"count":%d,"avg_ms":%s}\n' "$@" >&8; }

@test "the table: a row a window and key, updated in place, open until the watermark passes it, then final" {
	start 100 20 --sort count
	row a 0 60 1 10
	row b 0 60 5 30.5
	wait_screen '^open +b +0-60 +5 +30\.5'
	wait_screen '^open +a +0-60 +1 +10'
	# the order is the sort column's, largest first
	[ "$(screen | grep -n '^open' | head -n 1 | cut -d: -f2 | awk '{print $2}')" = b ]
	# a's row again, with more: in place, and now first
	row a 0 60 9 12
	wait_screen '^open +a +0-60 +9 +12'
	[ "$(screen | grep -Ec '^open +a')" -eq 1 ]
	[ "$(screen | grep '^open' | head -n 1 | awk '{print $2}')" = a ]
	# the watermark passes the window: final; the next window's row stays open
	row a 60 120 3 20
	printf '{"_watermark":60}\n' >&8
	wait_screen '^final +a +0-60 +9 +12'
	wait_screen '^final +b +0-60 +5 +30\.5'
	wait_screen '^open +a +60-120 +3 +20'
	# the status line: where event time stands, the rows and how many are open
	wait_screen 'watermark 1970-01-01T00:01:00Z \([0-9]+d [0-9]+h behind\)'
	wait_screen '\| 3 rows, 1 open'
	# a retraction takes its row away
	printf '{"host":"a","window_start":60,"window_end":120,"retract":true}\n' >&8
	wait_screen '\| 2 rows, 0 open'
	# q at the end of the input: the terminal is given back as it was
	exec 8>&-
	t send-keys -t top q
	wait_screen '^EXITED 0$'
	! screen | grep -q 'watermark'
}

@test "keys: s sorts by the next column, r reverses; a resize redraws to the new size" {
	start 100 20
	row a 0 60 1 300
	row b 0 60 5 100
	row c 0 60 3 200
	wait_screen '^open +c'
	t send-keys -t top s
	wait_screen 'count v'
	[ "$(screen | grep '^open' | awk '{print $2}' | tr -d '\n')" = bca ]
	t send-keys -t top s
	wait_screen 'avg_ms v'
	[ "$(screen | grep '^open' | awk '{print $2}' | tr -d '\n')" = acb ]
	t send-keys -t top r
	wait_screen 'avg_ms \^'
	[ "$(screen | grep '^open' | awk '{print $2}' | tr -d '\n')" = bca ]
	t resize-window -t top -x 50 -y 12
	wait_screen '^watermark none yet'
	[ "$(screen | awk '{ if (length($0) > n) n = length($0) } END { print n }')" -le 50 ]
	[ "$(screen | wc -l)" -eq 12 ]
}

@test "SIGTERM gives the terminal back; a steady table costs next to no CPU" {
	start 100 20 --chart count
	for w in 0 1 2 3 4 5; do
		row a $((w * 60)) $((w * 60 + 60)) $((w + 1)) 1
		row b $((w * 60)) $((w * 60 + 60)) $((6 - w)) 1
	done
	# the chart: a line of blocks a key, growing for a, shrinking for b
	wait_screen '^a +▁▃▄▅▇█$'
	wait_screen '^b +█▇▅▄▃▁$'
	pid=$(pgrep -P "$(t display -p -t top '#{pane_pid}')" weir-top)
	[ -n "$pid" ]
	# nothing new for two seconds: the screen is not drawn again (the plain
	# build's figure: the sanitizers' cost is not the program's)
	ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
	if [ "$WEIR_BIN" = bin ]; then
		before=$(ticks)
		sleep 2
		after=$(ticks)
		[ $((after - before)) -le 10 ] || fail "$((after - before)) ticks of CPU in 2 s while steady"
	fi
	wait_for_handler "$pid" 15
	kill -TERM "$pid"
	wait_screen '^EXITED 0$'
	! screen | grep -q 'watermark'
}

@test "a failure gives the terminal back first, then says what failed; warnings wait for the screen to end" {
	t new-session -d -s top -x 100 -y 20 \
	    "cd '$BATS_TEST_TMPDIR' && PATH='$PATH' weir-top missing.ndjson; echo \"EXITED \$?\"; sleep 600"
	wait_screen '^EXITED 1$'
	wait_screen "^weir-top: cannot open 'missing.ndjson'"
	t kill-session -t top
	start 100 20
	printf 'not json\n' >&8
	row a 0 60 1 1
	wait_screen '^open +a'
	! screen | grep -q 'not a JSON object'
	exec 8>&-
	t send-keys -t top q
	wait_screen '^EXITED 0$'
	wait_screen 'stdin:1: not a JSON object'
}

@test "--metrics-from: the late, rejected and held counts upstream reports" {
	printf '%s\n' 'weir_late_total{program="weir-agg"} 4' 'weir_rejected_total{program="weir-agg"} 2' \
	    'weir_held{program="weir-agg"} 7' 'weir_late_total{program="weir-join"} 1' > metrics
	start 120 10 --metrics-from metrics
	row a 0 60 1 1
	wait_screen 'late 5 rejected 2 held 7'
}

@test "not on a terminal: every line passes through as it came" {
	printf '%s\n' '{"ts":5,"host":"a","ms":10}' '{"ts":8,"host":"b","ms":30}' \
	    '{"ts":70,"host":"a","ms":20}' | weir-agg --window 1m --by host --emit updates count avg:ms > want
	printf '{"_watermark":1795428060000}\n{"_checkpoint":3}\n' >> want
	weir-top < want > got
	cmp want got
	weir-top --sort count want | cmp - want
	batch_equals_stream want weir-top
}

@test "usage errors exit 2; the dispatcher, --help and the man page" {
	run --separate-stderr weir-top --no-such-option
	assert_failure 2
	[[ "$stderr" == *"unknown option '--no-such-option'"* ]]
	run --separate-stderr weir-top --max-rows 0
	assert_failure 2
	run weir top --help
	assert_success
	assert_output --partial 'q quits'
	python3 "$LIB/man_examples.py" "$ROOT/man/weir-top.1"
	mandoc -T lint -W warning "$ROOT/man/weir-top.1"
}

@test "io contract: empty input, an unknown option, a bad line, a closed pipe, a full disk" {
	io_contract weir-top
}
