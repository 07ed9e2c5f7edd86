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

reference.py agg SPEC FILE
    What weir-agg writes (--emit final): SPEC is JSON with "window" (null,
    "tumbling", "sliding", "session"), "size", "slide", "gap", "lag",
    "lateness" (seconds), "by" (list of paths) and "aggs" (weir-agg's AGG
    operands).  Aggregates are computed from each window's members at firing
    time (not incrementally): exact sums with Python integers and Decimal,
    nearest-rank percentiles from the sorted values, exact distinct counts.

reference.py agg-compare EXPECT GOT
    Compares weir-agg rows with the reference's: the same rows, keys and
    order; exact values equal; avg, var, stddev and non-integer sums within
    1e-9 relative; percentiles within 1% relative (the sketch's bound);
    approx_distinct within 2%.

reference.py events N SEED MAX_DISORDER_MS [FORMAT]
    N events with `ts` (rfc3339 | epoch_ms | epoch_s), arrival disorder up
    to MAX_DISORDER_MS, repeated timestamps included.

reference.py join LAG WITHIN TYPE NEST ON LEFT RIGHT
    What weir-join writes for two files: an event below its own input's
    watermark (max earlier time there - LAG) is late and left out; the rest
    are taken in (time, left before right, arrival) order.  A pair (equal
    keys, no key field missing, times at most WITHIN apart) is written when
    the later of the two is taken, partners in their order; an unmatched
    event of an outer side is written at its time + WITHIN, after the
    events of that time.  TYPE inner|left|right|full, NEST 0|1, ON a comma
    list of top-level fields; LAG and WITHIN in seconds.

reference.py join-events N SEED MAX_DISORDER_MS SIDE
    N events for one side of a join test (SIDE left|right): `ts` RFC 3339,
    `id` from a small set (many-to-many; missing on some), `region`
    (a second key field), and fields that clash with the other side.
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
        else:
            del windows[(w["key"], w["start"])]

    def first(w):
        """The arrival of the window's first event: ties in output."""
        return min(m[1] for m in w["members"])

    def advance(new_wm):
        due = [w for w in all_windows() if not w["fired"] and w["end"] <= new_wm]
        due.sort(key=lambda w: (w["end"], w["start"], first(w)))
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
        due.sort(key=lambda w: (w["end"], w["start"], first(w)))
        for w in due:
            emit(w)


def get_path(obj, path):
    cur = obj
    for part in (path.split(".") if "." in path else (path,)):
        cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is None:
            return None
    return cur


def raw(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def dec(v):
    """A JSON number as a Decimal of its text (json.dumps writes a float as
    repr does)."""
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def agg_value(spec, members, cache=None):
    """members: parsed events of one group, in arrival order; cache, where
    given, keeps each field's values for the other aggregates of the group."""
    import math
    import statistics
    spec = spec.split("=")[0]
    parts = spec.split(":")
    fn = parts[0]
    null_empty = fn == "sum" and len(parts) == 3 and parts[2] == "null"
    if null_empty:
        parts = parts[:2]     # sum:F:null, SQL's SUM: null over no value
    if fn == "count" and len(parts) == 1:
        return len(members)
    field = parts[1] if fn == "hist" else parts[-1]
    got = cache.get(field) if cache is not None else None
    if got is None:
        present = [v for v in (get_path(m, field) for m in members) if v is not None]
        got = present, [v for v in present if is_num(v)]
        if cache is not None:
            cache[field] = got
    present, nums = got
    if fn == "count":
        return len(present)
    if fn == "sum":
        if null_empty and not nums:
            return None
        if all(isinstance(v, int) for v in nums):
            return sum(nums)
        return float(sum(dec(v) for v in nums))
    if fn in ("min", "max"):
        if not nums:
            return None
        best = nums[0]
        for v in nums[1:]:
            if (v < best) if fn == "min" else (v > best):
                best = v
        return best
    if fn == "avg":
        return float(sum(dec(v) for v in nums) / len(nums)) if nums else None
    if fn in ("var", "stddev"):
        if len(nums) < 2:
            return None
        var = statistics.variance([dec(v) for v in nums])
        return float(var) if fn == "var" else math.sqrt(float(var))
    if fn == "first":
        return present[0] if present else None
    if fn == "last":
        return present[-1] if present else None
    if fn in ("distinct", "approx_distinct"):
        return len(set(raw(v) for v in present))
    if fn == "median" or (fn.startswith("p") and fn[1:].replace(".", "").isdigit()):
        rank = 0.5 if fn == "median" else float(fn[1:]) / 100
        if not nums:
            return None
        s = sorted(nums)
        k = max(0, min(len(s) - 1, math.ceil(rank * len(s)) - 1))
        return s[k]
    if fn == "top":
        k = int(parts[1])
        counts, order = {}, []
        for v in present:
            r = raw(v)
            if r not in counts:
                counts[r] = 0
                order.append(r)
            counts[r] += 1
        ranked = sorted(order, key=lambda r: (-counts[r], order.index(r)))[:k]
        return [{"value": json.loads(r), "count": counts[r]} for r in ranked]
    if fn == "collect":
        return present
    if fn == "hist":
        # buckets by upper bound, Prometheus's le: a value goes to the first
        # bound it is at or below, else to +Inf
        cumulative = parts[-1] == "cumulative"
        spec_b = parts[2:-1] if cumulative else parts[2:]
        if spec_b[0] == "exp":
            start, factor, n = (float(x) for x in spec_b[1].split(","))
            bounds = [start * factor ** i for i in range(int(n))]
        else:
            bounds = [float(x) for x in spec_b[0].split(",")]
        counts = [0] * (len(bounds) + 1)
        for v in nums:
            i = next((i for i, b in enumerate(bounds) if v <= b), len(bounds))
            counts[i] += 1
        if cumulative:
            counts = [sum(counts[:i + 1]) for i in range(len(counts))]
        names = [str(int(b)) if b == int(b) else repr(b) for b in bounds] + ["+Inf"]
        return dict(zip(names, counts))
    raise SystemExit("reference: unknown aggregate " + spec)


def agg_name(spec):
    if "=" in spec:
        return spec.rsplit("=", 1)[1]
    parts = spec.split(":")
    if len(parts) == 1:
        return parts[0]
    if parts[0] == "hist":
        return "hist_" + parts[1].replace(".", "_")
    return parts[0] + "_" + parts[-1].replace(".", "_")


def agg(spec_json, path):
    spec = json.loads(spec_json)
    kind = spec.get("window")
    ns = lambda key: int(Decimal(str(spec.get(key, 0))) * 10**9)
    size, slide, gap, lag, lateness = ns("size"), ns("slide"), ns("gap"), ns("lag"), ns("lateness")
    by, aggs = spec.get("by", []), spec["aggs"]
    out = sys.stdout
    repr_ = None
    groups = {}     # (key, start) -> group; sessions: key -> [groups]
    sessions = {}
    wm = mx = None
    seq = 0
    # --fill: each key's end of its last window with a row (a key from
    # fill_keys: from the first window on), keys in first-seen order, and
    # the start of the first window not complete
    fill = spec.get("fill", False)
    fill_value = spec.get("fill_value")
    filled = {}
    key_order = []
    for k in spec.get("fill_keys", []):
        key = tuple(None if k.get(f) is None else raw(k[f]) for f in by)
        if key not in filled:
            filled[key] = -(2**63)
            key_order.append(key)
    fill_next = fill_last = None
    step = size if kind == "tumbling" else slide

    def starts(t):
        s, res = (t // step) * step, []
        while s > t - size:
            res.append(s)
            s -= step
        return reversed(res)

    def emit(g, empty=False):
        row = "{"
        items = []
        for f, v in zip(by, g["key"]):
            if v is not None:
                items.append('"%s":%s' % (f, v))
        if kind is not None:
            items.append('"window_start":%s' % ns_to_repr(g["start"], repr_))
            items.append('"window_end":%s' % ns_to_repr(g["end"], repr_))
        members = [m for _, m in sorted(g["members"], key=lambda x: x[0])]
        cache = {}
        for a in aggs:
            v = agg_value(a, members, cache)
            if empty and v is None and fill_value is not None:
                v = json.loads(fill_value)
            items.append('"%s":%s' % (agg_name(a), raw(v)))
        out.write(row + ",".join(items) + "}\n")
        if fill and kind is not None:
            filled[g["key"]] = max(filled.get(g["key"], g["end"]), g["end"])

    def complete():
        # the window at fill_next is complete: a row for each key without one
        nonlocal fill_next
        s, e = fill_next, fill_next + size
        fill_next += step
        for key in key_order:
            if key in filled and filled[key] < e:
                emit({"key": key, "start": s, "end": e, "members": []}, empty=True)

    def retract(g):
        # a row out for a session whose bounds a merge changes is withdrawn
        items = ['"%s":%s' % (f, v) for f, v in zip(by, g["key"]) if v is not None]
        items.append('"window_start":%s' % ns_to_repr(g["start"], repr_))
        items.append('"window_end":%s' % ns_to_repr(g["end"], repr_))
        out.write("{" + ",".join(items) + ',"retract":true}\n')

    def all_groups():
        if kind == "session":
            return [g for gs in sessions.values() for g in gs]
        return list(groups.values())

    def fire_due(new_wm, final=False):
        due = [g for g in all_groups() if not g["fired"] and (final or g["end"] <= new_wm)]
        due.sort(key=lambda g: (g["end"], g["start"], g["seq"]))
        nonlocal fill_next, fill_last
        for g in due:
            if fill:
                if fill_next is None:
                    fill_next = g["start"]
                fill_last = g["start"] if fill_last is None else max(fill_last, g["start"])
                while fill_next < g["start"]:
                    complete()
            emit(g)
            g["fired"] = True
        while fill and fill_next is not None and (
                fill_next <= fill_last if final else fill_next + size <= new_wm):
            complete()
        for g in all_groups():
            if g["fired"] and (final or g["end"] + lateness <= new_wm):
                if kind == "session":
                    sessions[g["key"]].remove(g)
                else:
                    del groups[(g["key"], g["start"])]

    for line in open(path, encoding="utf-8"):
        obj = json.loads(line)
        if "_watermark" in obj:
            w = event_time_ns(obj["_watermark"])
            if kind and (wm is None or w > wm):
                wm = w
                fire_due(wm)
            continue
        if repr_ is None:
            repr_ = repr_of(obj["ts"])
        t = event_time_ns(obj["ts"])
        key = tuple(None if get_path(obj, f) is None else raw(get_path(obj, f)) for f in by)
        if key not in filled and key not in key_order:
            key_order.append(key)
        me = (seq, obj)
        taken = False
        touched = []
        if kind in ("tumbling", "sliding", None):
            for s in (starts(t) if kind else [None]):
                end = s + size if kind else None
                if kind and wm is not None and end + lateness <= wm:
                    continue
                g = groups.get((key, s))
                if g is None:
                    g = groups[(key, s)] = {"key": key, "start": s, "end": end, "members": [],
                                            "fired": False, "seq": seq}
                g["members"].append(me)
                touched.append(g)
                taken = True
        else:
            new = {"key": key, "start": t, "end": t + gap, "members": [me], "fired": False,
                   "seq": seq}
            gs = sessions.setdefault(key, [])
            hits = [g for g in gs if g["start"] < new["end"] and t < g["end"]]
            if hits or wm is None or new["end"] + lateness > wm:
                taken = True
                hits.sort(key=lambda g: g["start"])
                moved = len(hits) > 1 or (hits and (t < hits[0]["start"] or
                                                    new["end"] > hits[0]["end"]))
                for i, g in enumerate(hits):
                    if g["fired"] and (i > 0 or moved):
                        retract(g)
                for g in hits:
                    gs.remove(g)
                    new["start"] = min(new["start"], g["start"])
                    new["end"] = max(new["end"], g["end"])
                    new["members"] += g["members"]
                    new["seq"] = min(new["seq"], g["seq"])
                gs.append(new)
                touched.append(new)
        seq += 1
        if not taken:
            continue
        for g in touched:
            if kind and wm is not None and g["end"] <= wm:
                emit(g)  # late within the allowed lateness: fires again
                g["fired"] = True
        if mx is None or t > mx:
            mx = t
            if wm is None or mx - lag > wm:
                wm = mx - lag
                if kind:
                    fire_due(wm)
    fire_due(None, final=True)


def agg_compare(expect_path, got_path):
    import math
    expect = [json.loads(l, object_pairs_hook=list) for l in open(expect_path)]
    got = [json.loads(l, object_pairs_hook=list) for l in open(got_path)]
    def fail(msg):
        raise SystemExit("agg-compare: " + msg)
    if len(expect) != len(got):
        fail("%d rows expected, %d written" % (len(expect), len(got)))
    for i, (e, g) in enumerate(zip(expect, got)):
        if [k for k, _ in e] != [k for k, _ in g]:
            fail("row %d: keys %s, expected %s" % (i + 1, [k for k, _ in g], [k for k, _ in e]))
        for (k, ev), (_, gv) in zip(e, g):
            if k.startswith(("avg_", "var_", "stddev_", "sum_")) and isinstance(ev, float):
                ok = gv is not None and math.isclose(ev, gv, rel_tol=1e-9, abs_tol=1e-9)
            elif k.startswith(("median_", "p")) and is_num(ev):
                ok = is_num(gv) and abs(gv - ev) <= 0.01 * abs(ev) + 1e-12
            elif k.startswith("approx_distinct_"):
                ok = abs(gv - ev) <= 0.02 * ev
            else:
                ok = ev == gv and type(ev) == type(gv)
            if not ok:
                fail("row %d: %s is %r, expected %r" % (i + 1, k, gv, ev))


def agg_many(list_path, path):
    """agg and agg-compare for each line `SPEC<TAB>GOT` of list_path, in one
    process: the expected rows are kept beside GOT as GOT.expect."""
    import io
    for line in open(list_path):
        spec, got = line.rstrip("\n").split("\t")
        buf, stdout = io.StringIO(), sys.stdout
        sys.stdout = buf
        try:
            agg(spec, path)
        finally:
            sys.stdout = stdout
        with open(got + ".expect", "w") as f:
            f.write(buf.getvalue())
        try:
            agg_compare(got + ".expect", got)
        except SystemExit as e:
            raise SystemExit("%s: %s\nspec: %s" % (got, e, spec))


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
            # by value (weir(7), KEYS): a string by its characters, any other
            # value by its JSON text
            key = tuple(None if f not in obj else obj[f] if isinstance(obj[f], str)
                        else str(obj[f]) if isinstance(obj[f], Decimal)
                        else json.dumps(obj[f], separators=(",", ":")) for f in fields)
        else:
            key = line
        wm = mx - lag if mx is not None else None
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
            # a state whose horizon the watermark passed already ends at once
            if within and wm is not None and t + within < wm:
                finish(key)
                del state[key]
            if len(state) > max_keys:
                victim = next(iter(state))
                finish(victim)
                del state[victim]
                forced += 1
        if within and wm is not None and key in state and state[key][0] + within < wm:
            finish(key)
            del state[key]
        if mx is None or t > mx:
            mx = t
            if within:
                expire(mx - lag)
    rest = sorted(((st[0] + within if within else 2**63, st[1], k) for k, st in state.items()))
    for _, _, k in rest:
        finish(k)
    if dups:
        dups.close()
    sys.stderr.write("forced %d\n" % forced)


def dedupe_many(list_path, path):
    """dedupe for each line `KEY WITHIN LAG KEEP MAX GOT` of list_path, in
    one process, compared with what weir-dedupe wrote: GOT, GOT.dups, and
    the count of forced keys in GOT.err's last --stats line."""
    import io
    for line in open(list_path):
        args = line.split()
        got = args[5]
        buf, err = io.StringIO(), io.StringIO()
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = buf, err
        try:
            dedupe(*args[:5], path, got + ".expect.dups")
        finally:
            sys.stdout, sys.stderr = stdout, stderr
        where = "%s (--key %s --within %ss --lag %ss --keep %s --max-keys %s)" % (got, *args[:5])
        if open(got).read() != buf.getvalue():
            raise SystemExit("%s: the events differ from the reference" % where)
        if open(got + ".dups").read() != open(got + ".expect.dups").read():
            raise SystemExit("%s: the duplicates differ from the reference" % where)
        stats = json.loads(open(got + ".err").read().splitlines()[-1])
        if "forced %d\n" % stats["forced"] != err.getvalue():
            raise SystemExit("%s: forced %d, the reference says %s" % (where, stats["forced"], err.getvalue()))


def join_events(n, seed, disorder_ms, side):
    rng = random.Random(int(seed) * 2 + (side == "right"))
    t = BASE_MS
    pending = []
    for i in range(int(n)):
        t += rng.choice([0, 0, 200, 500, 1000, 2000, 4000])
        obj = {}
        s, m = divmod(t, 1000)
        obj["ts"] = "%s.%03dZ" % (datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), m)
        if rng.random() > 0.1:
            obj["id"] = rng.randrange(12)
        obj["region"] = rng.choice(["eu", "us"])
        if side == "left":
            obj["amount"] = rng.randrange(1000)
            if rng.random() < 0.5:
                obj["note"] = "l%d" % i
        else:
            obj["method"] = rng.choice(["card", "cash"])
            if rng.random() < 0.5:
                obj["amount"] = rng.randrange(1000)
            if rng.random() < 0.3:
                obj["note"] = "r\u00e9%d" % i
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        pending.append((t + rng.randint(0, int(disorder_ms)), i, line))
    pending.sort()
    for _, _, line in pending:
        print(line)


def joined_row(l, r, nest, on):
    """A pair's row as weir-join writes it; a side is None when missing."""
    if nest:
        return '{"left":%s,"right":%s}' % (l["line"] if l else "null", r["line"] if r else "null")
    if r is None:
        return l["line"]
    if l is None:
        return r["line"]
    left_names = {k for k, _ in l["members"]}
    parts = []
    for k, v in r["members"]:
        if k in on:
            continue
        name = "right_" + k if k in left_names else k
        parts.append("%s:%s" % (json.dumps(name, ensure_ascii=False),
                                json.dumps(v, separators=(",", ":"), ensure_ascii=False)))
    return insert(l["line"], ",".join(parts)) if parts else l["line"]


def read_side(path, lag, on):
    """A join input's events that are not late (each input its own
    watermark), with their arrival, key and members."""
    taken, mx = [], None
    for arr, line in enumerate(open(path, encoding="utf-8")):
        line = line.rstrip("\n")
        obj = json.loads(line, object_pairs_hook=lambda kv: kv)
        d = dict(obj)
        t = event_time_ns(d["ts"])
        if mx is not None and t < mx - lag:
            continue  # late
        mx = t if mx is None else max(mx, t)
        key = tuple(json.dumps(d[f], separators=(",", ":"), ensure_ascii=False)
                    for f in on) if all(f in d for f in on) else None
        taken.append({"t": t, "arr": arr, "key": key, "line": line, "members": obj})
    return taken


def asof(lag_s, within_s, typ, nest, on, left_path, right_path):
    """weir-join --asof: each left event, in (time, arrival) order, with the
    right event of its key that is latest at or before its time (of equal
    times, the last to arrive), at most within_s older ("-": any age)."""
    lag = int(Decimal(lag_s) * 10**9)
    within = None if within_s == "-" else int(Decimal(within_s) * 10**9)
    on = on.split(",")
    import bisect
    by_key = {}
    for r in read_side(right_path, lag, on):
        by_key.setdefault(r["key"], []).append(r)
    for rows in by_key.values():
        rows.sort(key=lambda r: (r["t"], r["arr"]))
    for l in sorted(read_side(left_path, lag, on), key=lambda e: (e["t"], e["arr"])):
        rows = by_key.get(l["key"], []) if l["key"] is not None else []
        i = bisect.bisect_right([r["t"] for r in rows], l["t"])
        r = rows[i - 1] if i > 0 else None
        if r is not None and within is not None and l["t"] - r["t"] > within:
            r = None
        if r is not None or typ == "left":
            print(joined_row(l, r, nest == "1", on))


def join(lag_s, within_s, typ, nest, on, left_path, right_path):
    lag = int(Decimal(lag_s) * 10**9)
    within = int(Decimal(within_s) * 10**9)
    on = on.split(",")
    taken = []
    for side, path in enumerate([left_path, right_path]):
        for e in read_side(path, lag, on):
            e["side"] = side
            taken.append(e)
    outer = {"inner": [], "left": [0], "right": [1], "full": [0, 1]}[typ]
    order = sorted(taken, key=lambda e: (e["t"], e["side"], e["arr"]))
    for rank, e in enumerate(order):
        e["rank"] = rank
    actions = []
    for e in order:
        actions.append(((e["t"], 0, e["side"], e["arr"]), "take", e))
        if e["side"] in outer:
            actions.append(((e["t"] + within, 1, e["side"], e["t"], e["arr"]), "expire", e))
    actions.sort(key=lambda a: a[0])

    def row(l, r):
        return joined_row(l, r, nest == "1", on)

    by_key = {}     # each key's events, in rank order
    for e in order:
        if e["key"] is not None:
            by_key.setdefault(e["key"], []).append(e)
    matched = set()
    out = sys.stdout
    for _, what, e in actions:
        if what == "take":
            if e["key"] is None:
                continue
            partners = [p for p in by_key[e["key"]] if p["rank"] < e["rank"]
                        and p["side"] != e["side"] and abs(p["t"] - e["t"]) <= within]
            for p in partners:
                matched.add(p["rank"])
                matched.add(e["rank"])
                l, r = (e, p) if e["side"] == 0 else (p, e)
                out.write(row(l, r) + "\n")
        elif e["rank"] not in matched:
            out.write((row(e, None) if e["side"] == 0 else row(None, e)) + "\n")


def tz_events(zone, step_min, *days):
    """Events every step_min minutes from 30 hours before to 30 hours after
    noon UTC of each day (YYYY-MM-DD), the days a zone changes its clocks."""
    import datetime
    for day in sorted(days):
        noon = datetime.datetime.fromisoformat(day + "T12:00:00+00:00")
        t = int(noon.timestamp()) - 30 * 3600
        while t < int(noon.timestamp()) + 30 * 3600:
            print(json.dumps({"ts": datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
                              .strftime("%Y-%m-%dT%H:%M:%SZ")}))
            t += int(step_min) * 60


def tz_windows(zone, size_s, step_s, path):
    """weir-agg --window SIZE[/STEP] --tz ZONE count, from the definition:
    an event's local time (Python's zoneinfo) picks the windows, whose
    starts are multiples of the step of local time; a window's start is the
    first instant whose local time is at or past it, its end the instant
    after which local time never goes below it again, both found by
    scanning minute by minute (every clock change is on a minute)."""
    import datetime
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)
    size, step = int(size_s), int(step_s)

    def local(t):
        return t + int(datetime.datetime.fromtimestamp(t, tz).utcoffset().total_seconds())

    def first_at_or_past(s):
        t = s - 15 * 3600
        while local(t) < s:
            t += 60
        return t

    def last_below(e):
        t = e + 15 * 3600
        while local(t) >= e:
            t -= 60
        return t + 60

    def text(t):
        return datetime.datetime.fromtimestamp(t, tz).isoformat()

    counts = {}
    with open(path) as f:
        for line in f:
            t = event_time_ns(json.loads(line)["ts"]) // 10**9
            lt = local(t)
            s = lt - lt % step
            while s + size > lt:
                counts[s] = counts.get(s, 0) + 1
                s -= step
    rows = []
    for s in sorted(counts):
        start, end = first_at_or_past(s), last_below(s + size)
        assert start <= end
        rows.append({"window_start": text(start), "window_end": text(end), "count": counts[s]})
    for r in sorted(rows, key=lambda r: (r["window_start"], r["window_end"])):
        print(json.dumps(r, separators=(",", ":")))


COMMANDS = {
    "agg": agg, "agg-many": agg_many, "agg-compare": agg_compare, "watermark": watermark,
    "window": window, "dedupe": dedupe, "dedupe-many": dedupe_many, "join": join,
    "asof": asof, "join-events": join_events, "tz-events": tz_events,
    "tz-windows": tz_windows, "events": events,
}


def many(list_path):
    """Each line `OUT<TAB>COMMAND<TAB>ARG...` of list_path, in one process:
    the command's output goes to OUT (a suite's sweep pays one start-up)."""
    import io
    stdout = sys.stdout
    for line in open(list_path):
        out, cmd, *args = line.rstrip("\n").split("\t")
        buf = io.StringIO()
        sys.stdout = buf
        try:
            COMMANDS[cmd](*args)
        finally:
            sys.stdout = stdout
        with open(out, "w") as f:
            f.write(buf.getvalue())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "many":
        many(*sys.argv[2:])
    elif cmd in COMMANDS:
        COMMANDS[cmd](*sys.argv[2:])
    else:
        sys.exit("unknown command " + cmd)
