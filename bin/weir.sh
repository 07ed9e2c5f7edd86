#!/bin/sh
# weir: the dispatcher.  `weir window ...` runs `weir-window ...` from the
# same directory as this script, or from PATH.
set -u
version=@VERSION@
here=$(dirname "$0")

usage() {
	cat <<USAGE
usage: weir COMMAND [ARGS ...]
       weir help [COMMAND]
       weir --version

commands:
  sql         a whole query in SQL, compiled to the programs below
  parse       access logs, syslog, logfmt, container logs ... into NDJSON
  select      filter and compute members with PostgreSQL's expressions
  step        running values per key: previous, delta, rate, EWMA, sliding sums
  absent      when a key falls silent in event time, and when it comes back
  watermark   order events within a bounded delay, separate late ones
  window      tumbling, sliding and session windows
  agg         grouped, windowed aggregation: count, avg, percentiles, top-k ...
  replay      re-emit stored logs in event-time order, paced; follow files
  dedupe      drop repeated events within an event-time horizon
  join        join two streams within an interval, or a stream with a table
  profile     describe a stream: span, rate, disorder, the lag it needs
  top         a live terminal view of windowed rows and of the watermark
  kafka-source  read a Kafka consumer group as NDJSON (when built with librdkafka)
  kafka-sink    produce lines to a Kafka topic (when built with librdkafka)

See weir(7) for event time, watermarks and the in-band protocol.
USAGE
}

find_cmd() {
	if [ -x "$here/weir-$1" ]; then
		echo "$here/weir-$1"
	elif command -v "weir-$1" >/dev/null 2>&1; then
		command -v "weir-$1"
	else
		return 1
	fi
}

case ${1-} in
"" )
	usage >&2
	exit 2 ;;
-h | --help )
	usage
	exit 0 ;;
-V | --version )
	echo "weir $version"
	exit 0 ;;
help )
	if [ $# -ge 2 ]; then
		cmd=$(find_cmd "$2") || { echo "weir: unknown command '$2'" >&2; exit 2; }
		exec "$cmd" --help
	fi
	usage
	exit 0 ;;
-* )
	echo "weir: unknown option '$1'" >&2
	usage >&2
	exit 2 ;;
esac
cmd=$(find_cmd "$1") || { echo "weir: unknown command '$1' (see 'weir help')" >&2; exit 2; }
shift
exec "$cmd" "$@"
