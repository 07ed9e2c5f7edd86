#!/usr/bin/env bats
# Injected I/O errors (tests/lib/faults.c, preloaded): each program names
# what failed and exits 1, and leaves no file half-written.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	SHIM="$ROOT/build/faults.so"
	[ -f "$SHIM" ] || skip "no fault shim (make check builds it)"
	# the shim comes before the sanitizer runtime in the ASan builds
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	printf '{"ts":1,"k":"a"}\n{"ts":2,"k":"b"}\n' > in
}

# faulty "OP ERRNO MATCH AFTER" CMD...: runs CMD with that fault
faulty() {
	local spec=$1
	shift
	LD_PRELOAD="$SHIM" WEIR_FAULT="$spec" "$@"
}

@test "a read error on the input: every program names it and exits 1" {
	for cmd in "weir-watermark" "weir-window tumbling 1m" "weir-agg count" \
	    "weir-dedupe --key k" "weir-profile"; do
		run --separate-stderr sh -c "cat in | LD_PRELOAD='$SHIM' WEIR_FAULT='read EIO fd:0 0' $cmd"
		assert_failure 1
		[[ "$stderr" == *"cannot read 'stdin': Input/output error"* ]]
	done
	run --separate-stderr faulty "read EIO in 0" weir-replay in
	assert_failure 1
	[[ "$stderr" == *"cannot read 'in': Input/output error"* ]]
	cp in in2
	run --separate-stderr faulty "read EIO in2 0" weir-join in in2 --on k
	assert_failure 1
	[[ "$stderr" == *"cannot read 'in2': Input/output error"* ]]
	run --separate-stderr faulty "read EIO in2 0" weir-join --table in2 --on k < in
	assert_failure 1
	[[ "$stderr" == *"cannot read table 'in2': Input/output error"* ]]
}

@test "a write error on standard output (disk full mid-way) exits 1 with the reason" {
	python3 -c 'import json
for i in range(100000): print(json.dumps({"ts": i, "k": i}))' > big
	for cmd in "weir-watermark" "weir-window tumbling 1s" "weir-agg --by k count" "weir-replay big" \
	    "weir-join big big --on k"; do
		run --separate-stderr sh -c "LD_PRELOAD='$SHIM' WEIR_FAULT='write ENOSPC fd:1 2' $cmd < big > out"
		assert_failure 1
		[[ "$stderr" == *"cannot write standard output: No space left on device"* ]]
	done
}

@test "offsets: fsync or rename failing leaves the old offsets file whole, and no temporary" {
	weir-replay --offsets off in > /dev/null
	cp off off.before
	printf '{"ts":3,"k":"c"}\n' >> in
	for spec in "fsync EIO * 0" "fsync EROFS off.tmp 0" "rename ENOSPC off 0"; do
		run --separate-stderr faulty "$spec" weir-replay --offsets off in
		assert_failure 1
		[[ "$stderr" == *"cannot write offsets file 'off"* ]]
		cmp off off.before
		[ -z "$(ls off.tmp.* 2>/dev/null)" ]
	done
	# and the next run, without faults, resumes from the old offsets: the
	# line written by the failed runs comes again (at least once), none is lost
	run weir-replay --offsets off in
	assert_output '{"ts":3,"k":"c"}'
}

@test "metrics: a failed rename names the file and keeps the last good one" {
	weir-agg --metrics m.prom count < in > /dev/null
	cp m.prom m.before
	run --separate-stderr faulty "rename EIO m.prom 0" weir-agg --metrics m.prom count < in
	assert_failure 1
	[[ "$stderr" == *"cannot write metrics file 'm.prom'"* ]]
	cmp m.prom m.before
}

@test "a full --errors or --late file is an error naming it" {
	printf 'not json\n' >> in
	run --separate-stderr weir-agg --errors /dev/full count < in
	assert_failure 1
	[[ "$stderr" == *"errors file '/dev/full'"* ]]
	printf '{"ts":10}\n{"ts":1}\n' > late.in
	run --separate-stderr weir-watermark --late /dev/full < late.in
	assert_failure 1
	[[ "$stderr" == *"late file '/dev/full'"* ]]
}
