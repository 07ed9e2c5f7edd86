#!/usr/bin/env python3
"""Independent reference computations for the tests (standard library only).

reference.py watermark LAG_SECONDS FILE [LATE_FILE]
    What SPEC §5/§6 say weir-watermark writes for FILE: events in event-time
    order (ties in arrival order) once max event time - lag passes them; an
    event below the watermark at its arrival is late.  Prints the kept lines
    to stdout and writes the late ones to LATE_FILE.  Event time is `ts`, as
    RFC 3339 text or epoch milliseconds.

reference.py window KIND SIZE SLIDE_OR_GAP LAG BY COLLECT FILE [LATENESS]
    What SPEC §5/§6 say weir-window writes: KIND tumbling|sliding|session,
    durations in seconds (decimal), BY a comma list or "-", COLLECT 0|1.
    Window bounds in the first event's representation.

reference.py dedupe KEY WITHIN LAG KEEP MAX_KEYS FILE [DUPS_FILE]
    What weir-dedupe writes: KEY a comma list or "-" (the whole line), WITHIN
    and LAG in seconds (WITHIN 0: no horizon), KEEP first|last.

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


def ns_to_repr(t, repr_):
    if repr_ == "rfc3339":
        s, frac = divmod(t, 10**9)
        text = datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        if frac:
            text += "." + ("%09d" % frac).rstrip("0")
        return '"%sZ"' % text
    unit = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[repr_]
    whole, rest = divmod(abs(t), unit)
    text = ("-" if t < 0 else "") + str(whole)
    if rest:
        width = len(str(unit)) - 1
        text += "." + ("%0*d" % (width, rest)).rstrip("0")
    return text


def repr_of(v):
    if isinstance(v, str):
        return "rfc3339"
    digits = len(str(abs(int(v))))
    return "s" if digits <= 11 else "ms" if digits <= 14 else "us" if digits <= 17 else "ns"


def insert(line, members):
    i = line.rstrip().rindex("}")
    body = line[:i].rstrip()
    comma = "" if body.endswith("{") else ","
    return line[:i] + comma + members + line[i:]


def window(kind, size_s, other_s, lag_s, by, collect, path, lateness_s="0"):
    size = int(Decimal(size_s) * 10**9)
    other = int(Decimal(other_s) * 10**9)
    lag = int(Decimal(lag_s) * 10**9)
    lateness = int(Decimal(lateness_s) * 10**9)
    collect = collect == "1"
    fields = [] if by == "-" else by.split(",")
    out = sys.stdout
    repr_ = None
    keys = {}          # key -> first-seen number, while the key has windows
    key_counter = [0]  # (a key with no window left is forgotten: weir-window(1))
    windows = {}       # (key, start) -> dict(start, end, members, fired)
    sessions = {}      # key -> list of windows
    wm = None
    mx = None
    seq = 0

    def window_starts(t):
        """Starts of the windows [s, s + size) holding t, earliest first."""
        step = size if kind == "tumbling" else other
        s, starts = (t // step) * step, []
        while s > t - size:
            starts.append(s)
            s -= step
        return reversed(starts)

    def bounds(w):
        return '"window_start":%s,"window_end":%s' % (ns_to_repr(w["start"], repr_),
                                                      ns_to_repr(w["end"], repr_))

    def emit(w):
        members = sorted(w["members"])
        if not collect:
            for _, _, line in members:
                out.write(insert(line, bounds(w)) + "\n")
            return
        row = "{" + bounds(w)
        if w["keytext"]:
            row += "," + w["keytext"]
        row += ',"count":%d,"events":[%s]}' % (len(members), ",".join(m[2] for m in members))
        out.write(row + "\n")

    def all_windows():
        if kind == "session":
            return [w for ws in sessions.values() for w in ws]
        return list(windows.values())

    def remove(w):
        if kind == "session":
            sessions[w["key"]].remove(w)
            empty = not sessions[w["key"]]
        else:
            del windows[(w["key"], w["start"])]
            empty = not any(k == w["key"] for k, _ in windows)
        if empty:
            del keys[w["key"]]

    def key_seen(key):
        if key not in keys:
            keys[key] = key_counter[0]
            key_counter[0] += 1

    def advance(new_wm):
        due = [w for w in all_windows() if not w["fired"] and w["end"] <= new_wm]
        due.sort(key=lambda w: (w["end"], w["start"], keys[w["key"]]))
        for w in due:
            emit(w)
            w["fired"] = True
        for w in all_windows():
            if w["fired"] and w["end"] + lateness <= new_wm:
                remove(w)

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        obj = json.loads(line, parse_float=Decimal)
        if repr_ is None:
            repr_ = repr_of(obj["ts"])
        t = event_time_ns(obj["ts"])
        vals = []
        text = []
        for f in fields:
            cur = obj
            for part in f.split("."):
                cur = cur.get(part) if isinstance(cur, dict) else None
                if cur is None:
                    break
            if cur is None:
                vals.append(None)
            else:
                raw = json.dumps(cur, separators=(",", ":"), ensure_ascii=False)
                vals.append(raw)
                text.append('"%s":%s' % (f, raw))
        key = tuple(vals)
        member = (t, seq, line)
        seq += 1
        if kind in ("tumbling", "sliding") and not collect:
            for s in window_starts(t):
                out.write(insert(line, bounds({"start": s, "end": s + size})) + "\n")
            continue
        if kind in ("tumbling", "sliding"):
            taken = False
            for s in window_starts(t):
                if wm is not None and s + size + lateness <= wm:
                    continue
                key_seen(key)
                w = windows.get((key, s))
                if w is None:
                    w = windows[(key, s)] = {"start": s, "end": s + size, "members": [],
                                             "fired": False, "key": key, "keytext": ",".join(text)}
                w["members"].append(member)
                taken = True
                if wm is not None and w["end"] <= wm:
                    emit(w)
                    w["fired"] = True
        else:
            gap = other
            new = {"start": t, "end": t + gap, "members": [member], "fired": False, "key": key,
                   "keytext": ",".join(text)}
            ws = sessions.setdefault(key, [])
            hits = [w for w in ws if w["start"] < new["end"] and t < w["end"]]
            if not hits and wm is not None and new["end"] + lateness <= wm:
                taken = False
            else:
                taken = True
                key_seen(key)
                for w in hits:
                    ws.remove(w)
                    new["start"] = min(new["start"], w["start"])
                    new["end"] = max(new["end"], w["end"])
                    new["members"] += w["members"]
                ws.append(new)
                if wm is not None and new["end"] <= wm:
                    emit(new)
                    new["fired"] = True
        if not taken:
            continue  # late: dropped
        if mx is None or t > mx:
            mx = t
            if wm is None or mx - lag > wm:
                wm = mx - lag
                advance(wm)
    if kind == "session" or collect:
        due = [w for w in all_windows() if not w["fired"]]
        due.sort(key=lambda w: (w["end"], w["start"], keys[w["key"]]))
        for w in due:
            emit(w)


def dedupe(key_spec, within_s, lag_s, keep, max_keys, path, dups_path=None):
    from collections import OrderedDict
    within = int(Decimal(within_s) * 10**9)
    lag = int(Decimal(lag_s) * 10**9)
    max_keys = int(max_keys)
    fields = [] if key_spec == "-" else key_spec.split(",")
    out = sys.stdout
    dups = open(dups_path, "w") if dups_path else None
    state = OrderedDict()   # key -> [last, seq, held]; order: least recently seen first
    seq = 0
    mx = None
    forced = 0

    def finish(k):
        held = state[k][2]
        if held is not None:
            out.write(held + "\n")

    def expire(wm):
        due = [(st[0] + within, st[1], k) for k, st in state.items() if st[0] + within < wm]
        for _, _, k in sorted(due):
            finish(k)
            del state[k]

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        obj = json.loads(line, parse_float=Decimal)
        t = event_time_ns(obj["ts"])
        if fields:
            key = tuple(json.dumps(obj[f], separators=(",", ":")) if f in obj else None
                        for f in fields)
        else:
            key = line
        if key in state:
            st = state[key]
            state.move_to_end(key)
            if within == 0 or abs(t - st[0]) <= within:
                st[0] = max(st[0], t)
                if keep == "first":
                    if dups: dups.write(line + "\n")
                else:
                    if dups: dups.write(st[2] + "\n")
                    st[2] = line
            else:
                finish(key)
                st[0] = t
                if keep == "first":
                    out.write(line + "\n")
                    st[2] = None
                else:
                    st[2] = line
        else:
            state[key] = [t, seq, line if keep == "last" else None]
            seq += 1
            if keep == "first":
                out.write(line + "\n")
            if len(state) > max_keys:
                victim = next(iter(state))
                finish(victim)
                del state[victim]
                forced += 1
        if mx is None or t > mx:
            mx = t
            if within:
                expire(mx - lag)
    rest = sorted(((st[0] + within if within else 2**63, st[1], k) for k, st in state.items()))
    for _, _, k in rest:
        finish(k)
    sys.stderr.write("forced %d\n" % forced)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "watermark":
        watermark(*sys.argv[2:])
    elif cmd == "window":
        window(*sys.argv[2:])
    elif cmd == "dedupe":
        dedupe(*sys.argv[2:])
    elif cmd == "events":
        events(*sys.argv[2:])
    else:
        sys.exit("unknown command " + cmd)
