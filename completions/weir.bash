# bash completion for weir and the weir-* programs.
# Installed once per program name; `complete -F _weir weir weir-watermark weir-window weir-agg weir-replay weir-profile weir-dedupe weir-join weir-select weir-sql weir-parse weir-step weir-absent weir-top weir-kafka-source weir-kafka-sink ...`.

_weir_shared_opts="--time --time-format --processing-time --lag --idle --late
	--max-ahead --where --input-format --output-format --on-error --errors --unbuffered
	--stats --metrics --help --version"

_weir_program_opts() {
	case $1 in
	watermark) echo "--max-buffer --punctuate --state" ;;
	window) echo "--offset --tz --by --collect --allowed-lateness --time-output --state" ;;
	replay) echo "--speed --rate --from --to --follow --offsets --checkpoint-every --progress --punctuate" ;;
	agg) echo "--by --window --offset --tz --having --fill --fill-keys --top --rank-by --desc --emit --punctuate --allowed-lateness --exact -S --strings --partial --merge --time-output --state" ;;
	profile) echo "--key --completeness --human --max-keys" ;;
	dedupe) echo "--key --within --keep --max-keys --dups --state" ;;
	join) echo "--on --within --asof --left-time --right-time --type --nest --max-buffer --table --reload --state" ;;
	kafka-source) echo "--brokers --group --envelope --kafka-time --exit-at-end --reset --state --checkpoint-every --property --verbose" ;;
	kafka-sink) echo "--brokers --topic --key --state --property" ;;
	select) echo "--set --keep --drop --only" ;;
	step) echo "--by --over --max-buffer -S --strings --state" ;;
	absent) echo "--by --after --max-keys --state" ;;
	top) echo "--sort --asc --by --chart --metrics-from --max-rows" ;;
	parse) echo "--auto --types --raw --passthrough-json --message --tz -S --strings --kv-sep --pair-sep" ;;
	esac
}

_weir() {
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
	}
	local prog=${COMP_WORDS[0]##*/} sub
	if [[ $prog == weir ]]; then
		if [[ $COMP_CWORD -eq 1 ]]; then
			COMPREPLY=($(compgen -W "sql parse select step absent top watermark window agg replay profile dedupe join kafka-source kafka-sink help --version --help" -- "$cur"))
			return
		fi
		sub=${COMP_WORDS[1]}
	else
		sub=${prog#weir-}
	fi
	case $prev in
	-T|--time-format)
		COMPREPLY=($(compgen -W "auto rfc3339 epoch epoch_ms epoch_us epoch_ns" -- "$cur"))
		return ;;
	-i|--input-format)
		COMPREPLY=($(compgen -W "json json-text csv tsv combined common syslog logfmt kv cri docker auto regex:" -- "$cur"))
		return ;;
	--message)
		COMPREPLY=($(compgen -W "json logfmt kv combined common syslog" -- "$cur"))
		return ;;
	--types|--raw|--kv-sep|--pair-sep)
		return ;;
	-o|--output-format)
		COMPREPLY=($(compgen -W "json csv csvlite" -- "$cur"))
		return ;;
	--on-error)
		COMPREPLY=($(compgen -W "warn skip fail" -- "$cur"))
		return ;;
	--late)
		COMPREPLY=($(compgen -W "drop pass" -- "$cur") $(compgen -f -- "$cur"))
		return ;;
	--keep)
		COMPREPLY=($(compgen -W "first last" -- "$cur"))
		return ;;
	--type)
		COMPREPLY=($(compgen -W "inner left right full" -- "$cur"))
		return ;;
	--emit)
		COMPREPLY=($(compgen -W "final updates every:10s every:1m" -- "$cur"))
		return ;;
	--window)
		COMPREPLY=($(compgen -W "1m 5m 1h 10m/1m 1h/5m session:30s session:30m" -- "$cur"))
		return ;;
	--errors|--metrics|--dups|--offsets|--table|--state)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--tz)
		COMPREPLY=($(compgen -W "$(cd "${TZDIR:-/usr/share/zoneinfo}" 2>/dev/null &&
		    find . -type f -name '[A-Z]*' ! -name '*.*' | sed 's|^\./||')" -- "$cur"))
		return ;;
	--time-output)
		COMPREPLY=($(compgen -W "rfc3339 epoch epoch_ms epoch_us epoch_ns" -- "$cur"))
		return ;;
	--lag|--idle|--punctuate|--offset|--allowed-lateness|--within|--checkpoint-every|--after)
		COMPREPLY=($(compgen -W "250ms 1s 5s 30s 1m 5m" -- "$cur"))
		return ;;
	-t|--time|--max-buffer|--by|--key|--on|--max-keys|--speed|--rate|--from|--to|--top|--rank-by|--over)
		return ;;
	--completeness)
		COMPREPLY=($(compgen -W "0.99 0.999 0.9999" -- "$cur"))
		return ;;
	esac
	# weir-window's first operand is the window kind
	if [[ $sub == window && $cur != -* ]]; then
		local i kinds=0
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in tumbling|sliding|session) kinds=1 ;; esac
		done
		if [[ $kinds == 0 ]]; then
			COMPREPLY=($(compgen -W "tumbling sliding session" -- "$cur"))
			return
		fi
	fi
	# weir-parse's first operand is the format
	if [[ $sub == parse && $cur != -* ]]; then
		local i given=0
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			combined|common|syslog|logfmt|kv|cri|docker|regex|csv|tsv|--auto) given=1 ;;
			esac
		done
		if [[ $given == 0 ]]; then
			COMPREPLY=($(compgen -W "combined common syslog logfmt kv cri docker regex csv tsv" -- "$cur"))
			return
		fi
	fi
	# weir-step's operands are functions, then files
	if [[ $sub == step && $cur != -* && $cur != */* ]]; then
		COMPREPLY=($(compgen -W "prev: delta: rate: ewma: sum: avg: count" -- "$cur") $(compgen -f -- "$cur"))
		return
	fi
	# weir-agg's operands are aggregates, then files
	if [[ $sub == agg && $cur != -* && $cur != */* ]]; then
		COMPREPLY=($(compgen -W "count count: sum: min: max: avg: stddev: var: first: last:
			distinct: approx_distinct: median: p50: p90: p99: p99.9: top:5: collect: hist:" -- "$cur")
			$(compgen -f -- "$cur"))
		return
	fi
	# weir-sql takes the shared options but --where (the query has WHERE)
	if [[ $sub == sql ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--explain --time --time-format --processing-time --lag
				--idle --late --max-ahead --state --metrics --input-format --output-format
				--on-error --errors --unbuffered --stats --emit --tz --allowed-lateness --exact
				--time-output --strings --help --version" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_weir_shared_opts $(_weir_program_opts "$sub")" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _weir weir weir-watermark weir-window weir-agg weir-replay weir-profile weir-dedupe weir-join \
	weir-select weir-sql weir-parse weir-step weir-absent weir-top weir-kafka-source weir-kafka-sink
