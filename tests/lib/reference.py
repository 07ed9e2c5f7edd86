#!/usr/bin/env python3
"""Independent reference computations for the tests (standard library only).

reference.py watermark LAG_SECONDS FILE [LATE_FILE]
    What SPEC §5/§6 say weir-watermark writes for FILE: events in event-time
    order (ties in arrival order) once max event time - lag passes them; an
    event below the watermark at its arrival is late.  Prints the kept lines
    to stdout and writes the late ones to LATE_FILE.  Event time is `ts`, as
    RFC 3339 text or epoch milliseconds.

reference.py events N SEED MAX_DISORDER_MS [FORMAT]
    N events with `ts` (rfc3339 | epoch_ms | epoch_s), arrival disorder up
    to MAX_DISORDER_MS, repeated timestamps included.
"""
import heapq
import json
from decimal import Decimal
import random
import sys
from datetime import datetime, timezone

BASE_MS = 1795428000000  # 2026-11-23T10:00:00Z


def event_time_ns(v):
    if isinstance(v, str):
        s = v.replace("Z", "+00:00")
        if "." in s:
            head, rest = s.split(".", 1)
            digits = ""
            for c in rest:
                if not c.isdigit():
                    break
                digits += c
            zone = rest[len(digits):]
            frac = int((digits + "000000000")[:9])
        else:
            head, zone, frac = s[:19], s[19:], 0
        dt = datetime.fromisoformat(head + zone)
        return int(dt.timestamp()) * 10**9 + frac
    if v > 10**11:  # milliseconds
        return int(v * 10**6)
    return int(v * 10**9)


def watermark(lag_s, path, late_path=None):
    lag = int(Decimal(lag_s) * 10**9)
    late_out = open(late_path, "w") if late_path else None
    heap, seq, wm, mx = [], 0, None, None
    out = sys.stdout
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        t = event_time_ns(json.loads(line, parse_float=Decimal)["ts"])
        if wm is not None and t < wm:
            if late_out:
                late_out.write(line + "\n")
            continue
        heapq.heappush(heap, (t, seq, line))
        seq += 1
        if mx is None or t > mx:
            mx = t
            if wm is None or mx - lag > wm:
                wm = mx - lag
                while heap and heap[0][0] <= wm:
                    out.write(heapq.heappop(heap)[2] + "\n")
    while heap:
        out.write(heapq.heappop(heap)[2] + "\n")


def events(n, seed, disorder_ms, fmt="rfc3339"):
    rng = random.Random(int(seed))
    t = BASE_MS
    pending = []
    for i in range(int(n)):
        t += rng.choice([0, 0, 1, 5, 50, 300, 1000])
        pending.append((t + rng.randint(0, int(disorder_ms)), i, t))
    pending.sort()
    for _, i, ms in pending:
        if fmt == "epoch_ms":
            ts = str(ms)
        elif fmt == "epoch_s":
            ts = "%d.%03d" % divmod(ms, 1000)
        else:
            s, m = divmod(ms, 1000)
            ts = '"%s.%03dZ"' % (datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), m)
        print('{"ts":%s,"id":%d,"v":"x%d"}' % (ts, i, i % 7))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "watermark":
        watermark(*sys.argv[2:])
    elif cmd == "events":
        events(*sys.argv[2:])
    else:
        sys.exit("unknown command " + cmd)
