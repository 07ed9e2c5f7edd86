#!/usr/bin/env bats
# The recipes for real logs (examples/README.md), checked against sums computed apart
# (Python's standard library) on the samples in examples/.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	EX="$ROOT/examples"
}

# per_minute FILE EXPR_FOR_TIME_NS KEYS...: {(keys..., minute_start_s): count}
# as JSON lines "k1|k2|start count", sorted
reference_counts() {
	python3 - "$@" <<'PY'
import json, sys, collections
from datetime import datetime
path, kind, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
counts = collections.Counter()
for line in open(path):
    o = json.loads(line)
    if kind == "journald":
        sec = int(o["__REALTIME_TIMESTAMP"]) // 10**6
    elif kind == "iso":
        sec = int(datetime.fromisoformat(o["time_iso8601"]).timestamp())
    elif kind == "docker":
        sec = int(datetime.fromisoformat(o["time"][:19] + "+00:00").timestamp())
    counts[tuple(str(o[k]) for k in keys) + (sec - sec % 60,)] += 1
for k, n in sorted(counts.items()):
    print("|".join(map(str, k)), n)
PY
}

# rows FILE KEYS...: the same shape from weir-agg's rows (epoch-second bounds)
rows() {
	python3 - "$@" <<'PY'
import json, sys
from datetime import datetime
path, keys = sys.argv[1], sys.argv[2:]
out = []
for line in open(path):
    r = json.loads(line)
    ws = r["window_start"]
    sec = int(datetime.fromisoformat(ws.replace("Z", "+00:00")).timestamp()) if isinstance(ws, str) else ws
    out.append("|".join([str(r[k]) for k in keys] + [str(sec)]) + " " + str(r["count"]))
print("\n".join(sorted(out)))
PY
}

@test "journald: messages per unit and priority per minute, from microseconds in a string" {
	weir-agg -t __REALTIME_TIMESTAMP --time-output rfc3339 --window 1m --by _SYSTEMD_UNIT,PRIORITY \
	    count < "$EX/journald.json" > got
	rows got _SYSTEMD_UNIT PRIORITY > got.rows
	reference_counts "$EX/journald.json" journald _SYSTEMD_UNIT PRIORITY > expect
	diff expect got.rows
	# -T epoch_us reads the string as well
	weir-agg -t __REALTIME_TIMESTAMP -T epoch_us --time-output rfc3339 --window 1m \
	    --by _SYSTEMD_UNIT,PRIORITY count < "$EX/journald.json" | cmp - got
}

@test "nginx JSON: status per minute, p99 of request_time per upstream, top paths" {
	weir-agg -t time_iso8601 --lag 3s --window 1m --by status count < "$EX/nginx.ndjson" > got
	rows got status > got.rows
	reference_counts "$EX/nginx.ndjson" iso status > expect
	diff expect got.rows
	weir-agg -t msec --by upstream_addr count p99:request_time top:10:uri < "$EX/nginx.ndjson" > got
	python3 - "$EX/nginx.ndjson" <<'PY'
import json, math, sys, collections
evs = [json.loads(l) for l in open(sys.argv[1])]
got = {r["upstream_addr"]: r for r in map(json.loads, open("got"))}
for up in set(e["upstream_addr"] for e in evs):
    v = sorted(e["request_time"] for e in evs if e["upstream_addr"] == up)
    p99 = v[math.ceil(0.99 * len(v)) - 1]
    assert got[up]["count"] == len(v)
    assert abs(got[up]["p99_request_time"] - p99) <= 0.01 * p99, (up, p99, got[up])
    counts = collections.Counter(e["uri"] for e in evs if e["upstream_addr"] == up)
    top = sorted(counts.items(), key=lambda kv: -kv[1])
    assert [t["count"] for t in got[up]["top_uri"]] == [n for _, n in top][:10]
PY
}

@test "nginx combined log: -i combined gives the same counts as the JSON log" {
	weir-parse combined --stats "$EX/nginx-combined.log" > combined.ndjson 2> stats
	# every line became one JSON object, none rejected
	[ "$(jq -c . combined.ndjson | wc -l)" -eq "$(wc -l < "$EX/nginx-combined.log")" ]
	grep -q '"rejected":0,' stats
	weir-agg -i combined --lag 3s --window 1m --by status count "$EX/nginx-combined.log" > got
	rows got status > got.rows
	reference_counts "$EX/nginx.ndjson" iso status > expect
	diff expect got.rows
}

@test "Docker json-file and Kubernetes CRI logs: nanosecond times, the same counts" {
	weir-agg --window 1m --by stream count < "$EX/docker.log" > got
	rows got stream > got.rows
	reference_counts "$EX/docker.log" docker stream > expect
	diff expect got.rows
	weir-agg -i cri --window 1m --by stream count "$EX/kubernetes.log" > k8s
	cmp got k8s
	weir-parse docker "$EX/docker.log" | weir-agg --window 1m --by stream count > docker
	cmp got docker
	# nanoseconds survive: a window of 1 ms splits what a second holds
	weir-window tumbling 1ms < "$EX/docker.log" | head -n 1 | jq -e '.window_start | endswith(".893Z")'
}

@test "a pod's CRI log, its logfmt messages read: each upstream's count and p99 as Python computes them" {
	weir-parse cri --message logfmt "$EX/pod-cri.log" |
	    weir-agg --where 'upstream IS NOT NULL' --window 1m --by upstream count p99:duration > got
	python3 - "$EX/pod-cri.log" <<'PY'
import collections, datetime, json, math, re, sys
held, evs = {}, []
for line in open(sys.argv[1]):
    t, stream, tag, msg = re.match(r"(\S+) (stdout|stderr) ([PF]) (.*)", line.rstrip("\n")).groups()
    first = held.pop(stream, None)
    if tag == "P":
        held[stream] = (first or (t, ""))[0], (first or (t, ""))[1] + msg
        continue
    if first:
        t, msg = first[0], first[1] + msg
    kv = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', msg))
    if "upstream" in kv:
        evs.append((t[:16], kv["upstream"], float(kv["duration"])))
got = [json.loads(l) for l in open("got")]
groups = collections.defaultdict(list)
for minute, up, d in evs:
    groups[(minute, up)].append(d)
assert len(got) == len(groups), (len(got), len(groups))
for r in got:
    v = sorted(groups[(r["window_start"][:16], r["upstream"])])
    assert r["count"] == len(v), r
    p99 = v[math.ceil(0.99 * len(v)) - 1]
    assert abs(r["p99_duration"] - p99) <= 0.01 * p99, (r, p99)
PY
}

@test "kcat -J envelopes: per partition, and the payload's own fields through jq" {
	weir-agg --window 1m --by partition count < "$EX/kcat.ndjson" > got
	jq -c '.payload | fromjson' "$EX/kcat.ndjson" | weir-agg --by user count sum:amount > users
	python3 - "$EX/kcat.ndjson" <<'PY'
import json, sys, collections
evs = [json.loads(l) for l in open(sys.argv[1])]
parts = collections.Counter((e["partition"], e["ts"] // 60000 * 60000) for e in evs)
got = {(r["partition"], r["window_start"]): r["count"] for r in map(json.loads, open("got"))}
assert got == dict(parts), (got, parts)
sums = collections.defaultdict(lambda: [0, 0])
for e in evs:
    p = json.loads(e["payload"])
    sums[p["user"]][0] += 1
    sums[p["user"]][1] += p["amount"]
got = {r["user"]: [r["count"], r["sum_amount"]] for r in map(json.loads, open("users"))}
assert got == dict(sums)
PY
}

@test "CSV export in and out: Miller's header and rows, decimal sums exact" {
	weir-agg -i csv -o csv --by region count sum:amount < "$EX/orders.csv" > got
	mlr --icsv --ocsv stats1 -a count,sum -f amount -g region "$EX/orders.csv" > mlr.csv
	python3 - "$EX/orders.csv" <<'PY'
import csv, sys, collections
from decimal import Decimal
sums = collections.defaultdict(Decimal)
counts = collections.Counter()
for row in csv.DictReader(open(sys.argv[1])):
    sums[row["region"]] += Decimal(row["amount"])
    counts[row["region"]] += 1
got = list(csv.DictReader(open("got")))
mlr = list(csv.DictReader(open("mlr.csv")))
assert [r["region"] for r in got] == [r["region"] for r in mlr]     # same groups, same order
for g, m in zip(got, mlr):
    assert Decimal(g["sum_amount"]) == sums[g["region"]]           # exact
    assert int(g["count"]) == counts[g["region"]] == int(m["amount_count"])
    assert abs(float(m["amount_sum"]) - float(sums[g["region"]])) < 1e-9
PY
	# and CSV out reads back in as the same rows
	weir-agg -i csv --by region count sum:amount < "$EX/orders.csv" > json
	mlr --icsv --ojsonl cat got > back
	python3 -c '
import json
a = [json.loads(l) for l in open("json")]
b = [json.loads(l) for l in open("back")]
assert a == b, (a, b)'
}

@test "through jq, grep and Miller: watermark lines dropped or passed, weir still makes progress" {
	weir-watermark -t time_iso8601 --lag 3s --punctuate 1m < "$EX/nginx.ndjson" > wm
	grep -c _watermark wm > marks
	[ "$(cat marks)" -gt 0 ]
	# grep -v passes them untouched
	[ "$(grep -v healthz wm | grep -c _watermark)" -eq "$(cat marks)" ]
	# jq's select drops them; the result is the one without any watermark
	jq -c 'select(.status >= 500)' wm | weir-agg -t time_iso8601 --window 1m --by status count > got
	jq -c 'select(.status >= 500)' "$EX/nginx.ndjson" |
	    weir-agg -t time_iso8601 --lag 3s --window 1m --by status count > expect
	cmp expect got
	# Miller's filter drops them too (and rewrites the bytes): the same rows
	mlr --ijsonl --ojsonl filter '$status >= 500' wm |
	    weir-agg -t time_iso8601 --window 1m --by status count | cmp expect -
	# live, watermarks dropped upstream: windows close from event times while
	# the input is still open (--idle would close the last one as wall time
	# passes), and the rows are the same in the end
	{ jq -c 'select(.status >= 500)' wm; sleep 2; } |
	    timeout 10 weir-agg -t time_iso8601 --window 1m --by status --idle 300ms count > live &
	for _ in $(seq 30); do [ -s live ] && break; sleep 0.05; done
	[ -s live ]
	wait
	grep -v _watermark live | cmp expect -	# --idle also writes its watermarks
}

@test "batch and stream, one pipeline: the same command over a file and over tail -F gives the same bytes" {
	cmd=(weir-agg -t time_iso8601 --lag 3s --window 1m --by status count)
	"${cmd[@]}" < "$EX/nginx.ndjson" > batch.out
	: > live.ndjson
	feed "$EX/nginx.ndjson" >> live.ndjson &
	writer=$!
	tail -n +1 --pid="$writer" -F live.ndjson 2>/dev/null | "${cmd[@]}" --idle 10s > live.out
	diff batch.out live.out
}
