# bash completion for weir and the weir-* programs.
# Installed once per program name; `complete -F _weir weir weir-watermark ...`.

_weir_shared_opts="--time --time-format --processing-time --lag --idle --late
	--input-format --output-format --on-error --errors --unbuffered --stats
	--metrics --help --version"

_weir_program_opts() {
	case $1 in
	watermark) echo "--max-buffer --punctuate" ;;
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
			COMPREPLY=($(compgen -W "watermark help --version --help" -- "$cur"))
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
	-i|--input-format|-o|--output-format)
		COMPREPLY=($(compgen -W "json csv" -- "$cur"))
		return ;;
	--on-error)
		COMPREPLY=($(compgen -W "warn skip fail" -- "$cur"))
		return ;;
	--late)
		COMPREPLY=($(compgen -W "drop pass" -- "$cur") $(compgen -f -- "$cur"))
		return ;;
	--errors|--metrics)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--lag|--idle|--punctuate)
		COMPREPLY=($(compgen -W "250ms 1s 5s 30s 1m 5m" -- "$cur"))
		return ;;
	-t|--time|--max-buffer)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_weir_shared_opts $(_weir_program_opts "$sub")" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _weir weir weir-watermark
