# fish completion for weir and the weir-* programs.
for prog in weir-watermark
	complete -c $prog -s t -l time -r -d 'event-time field'
	complete -c $prog -s T -l time-format -x -a 'auto rfc3339 epoch epoch_ms epoch_us epoch_ns' -d 'time format'
	complete -c $prog -l processing-time -d 'wall clock at arrival as event time'
	complete -c $prog -l lag -x -a '250ms 1s 5s 30s 1m' -d 'bounded out-of-orderness'
	complete -c $prog -l idle -x -a '1s 5s 30s' -d 'advance the watermark after silence'
	complete -c $prog -l late -r -a 'drop pass' -d 'late events: drop, pass or FILE'
	complete -c $prog -s i -l input-format -x -a 'json csv' -d 'input format'
	complete -c $prog -s o -l output-format -x -a 'json csv' -d 'output format'
	complete -c $prog -l on-error -x -a 'warn skip fail' -d 'rejected lines'
	complete -c $prog -l errors -r -d 'append rejected lines to FILE'
	complete -c $prog -s u -l unbuffered -d 'flush after every line'
	complete -c $prog -l stats -d 'counters on exit and SIGUSR1'
	complete -c $prog -l metrics -r -d 'Prometheus text file'
	complete -c $prog -s h -l help -d 'help'
	complete -c $prog -s V -l version -d 'version'
end
complete -c weir-watermark -l max-buffer -x -d 'hold at most N events'
complete -c weir-watermark -l punctuate -x -a '1s 10s 1m' -d 'watermark line at each multiple'

complete -c weir -f -n '__fish_use_subcommand' -a watermark -d 'order events within a bounded delay'
complete -c weir -f -n '__fish_use_subcommand' -a help -d 'help on a command'
complete -c weir -f -n '__fish_use_subcommand' -l version -d 'version'
