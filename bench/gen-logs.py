#!/usr/bin/env python3
"""Renders bench events (NDJSON) as the logs weir-parse reads.

usage: gen-logs.py combined|logfmt < events.ndjson > log

combined: nginx's log_format combined, one line per event (the time to
the second, as nginx writes $time_local); logfmt: the event's members as
key=value pairs.
"""
import json
import sys

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"


def clf_time(ts):
    # "2026-11-23T10:00:00.014Z" -> "23/Nov/2026:10:00:00 +0000"
    y, mo, d = ts[0:4], int(ts[5:7]), ts[8:10]
    return "%s/%s/%s:%s +0000" % (d, MONTHS[mo - 1], y, ts[11:19])


def main():
    kind = sys.argv[1]
    out = sys.stdout
    for line in sys.stdin:
        e = json.loads(line)
        if kind == "combined":
            n = int(e["host"].split("-")[1])
            out.write('10.0.%d.%d - %s [%s] "%s %s HTTP/1.1" %d %d "-" "%s"\n' % (
                n, len(e["user"]) + n % 7, e["user"], clf_time(e["ts"]), e["method"],
                e["path"], e["status"], e["bytes"], AGENT))
        else:
            out.write(" ".join("%s=%s" % (k, v) for k, v in e.items()) + "\n")


main()
