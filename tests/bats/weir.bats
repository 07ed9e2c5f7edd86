#!/usr/bin/env bats
# The toolkit as a whole: the README's examples, completions, install.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "the README's console examples run as shown, and the recipes' in examples/README.md" {
	python3 "$LIB/man_examples.py" "$ROOT/README.md"
	python3 "$LIB/man_examples.py" "$ROOT/examples/README.md"
}

@test "bash completion offers each program's own options and the shared ones" {
	run bash -c "source '$ROOT/completions/weir.bash'
		COMP_WORDS=(weir-watermark --ma); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir watermark --on-error ''); COMP_CWORD=3; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir wat); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-window se); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-window session 5m --co); COMP_CWORD=3; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-profile --hu); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-dedupe --keep ''); COMP_CWORD=2; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-agg --ex); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-agg --window 1m appr); COMP_CWORD=3; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-replay --fol); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-join --type ''); COMP_CWORD=2; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir jo); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-agg --sta); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-replay --check); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-select --se); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-dedupe --whe); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-parse sys); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-parse cri --mess); COMP_CWORD=2; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-agg -i com); COMP_CWORD=2; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir sq); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-sql --exp); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(weir-sql --whe); COMP_CWORD=1; _weir; echo \"[\${COMPREPLY[*]}]\"
		COMP_WORDS=(weir-select --on); COMP_CWORD=1; _weir; echo \"\${COMPREPLY[*]}\""
	assert_success
	assert_line --index 0 "--max-ahead --max-buffer"
	assert_line --index 1 "warn skip fail"
	assert_line --index 2 "watermark"
	assert_line --index 3 "session"
	assert_line --index 4 "--collect"
	assert_line --index 5 "--human"
	assert_line --index 6 "first last"
	assert_line --index 7 "--exact"
	assert_line --index 8 "approx_distinct:"
	assert_line --index 9 "--follow"
	assert_line --index 10 "inner left right full"
	assert_line --index 11 "join"
	assert_line --index 12 "--stats --state"
	assert_line --index 13 "--checkpoint-every"
	assert_line --index 14 "--set"
	assert_line --index 15 "--where"
	assert_line --index 16 "syslog"
	assert_line --index 17 "--message"
	assert_line --index 18 "combined common"
	assert_line --index 19 "sql"
	assert_line --index 20 "--explain"
	assert_line --index 21 "[]"	# the query says WHERE
	assert_line --index 22 "--on-error --only"
}

@test "make install honours PREFIX and DESTDIR" {
	run make -C "$ROOT" --no-print-directory install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/weir
	assert_success
	[ -x "$BATS_TEST_TMPDIR/root/opt/weir/bin/weir-watermark" ]
	[ -x "$BATS_TEST_TMPDIR/root/opt/weir/bin/weir" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/weir/share/man/man7/weir.7" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/weir/share/man/man1/weir-watermark.1" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/weir/share/bash-completion/completions/weir-watermark" ]
	run "$BATS_TEST_TMPDIR/root/opt/weir/bin/weir" --version
	assert_success
}

@test "zsh and fish completions parse, and fish offers each program's options" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	command -v fish >/dev/null || skip "fish is not installed"
	zsh -n "$ROOT/completions/_weir"
	fish -n "$ROOT/completions/weir.fish"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-dedupe --ke'"
	assert_output --partial "--keep"
	assert_output --partial "--key"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-window --allowed'"
	assert_output --partial "--allowed-lateness"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-agg --pa'"
	assert_output --partial "--partial"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-replay --off'"
	assert_output --partial "--offsets"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-dedupe --sta'"
	assert_output --partial "--state"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-join --rel'"
	assert_output --partial "--reload"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-select --dr'"
	assert_output --partial "--drop"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-agg --whe'"
	assert_output --partial "--where"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-parse --pass'"
	assert_output --partial "--passthrough-json"
	run fish -c "source '$ROOT/completions/weir.fish'; complete -C 'weir-sql --exp'"
	assert_output --partial "--explain"
}
