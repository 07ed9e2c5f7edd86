#!/usr/bin/env python3
"""PostgreSQL as the oracle for weir sql, query by query.

    sqlref.py gen N SEED [DISORDER_S] > events.ndjson
    sqlref.py tables EVENTS SEED    (writes pay.ndjson and hosts.csv beside EVENTS)
    sqlref.py check EVENTS QUERIES [--disordered] [--no-explain] [WEIR_SQL_OPTION ...]

gen writes N events in event-time order (some fields missing or null, as
logs have them), or with DISORDER_S, each up to that many seconds out of
place.  tables writes what the joins of QUERIES read: pay.ndjson, payments
of some of the events (order_id, up to 45 s from the event, some of no
event), and hosts.csv, a table of hosts (one of them twice, one missing).
check loads the files beside EVENTS as tables of their names (types read
from the values) and runs weir-sql in that directory.  With --disordered,
check leaves out the cases marked [arrival] (their answer depends on the
order of arrival).  check starts PostgreSQL 15 as pgref.py does (a temporary
directory, a Unix socket, stopped whatever happens), loads EVENTS as a
typed table `ev`, and for each case of QUERIES runs its weir query with
`weir-sql` (from PATH) over EVENTS on standard input and its PostgreSQL
query over the table, and compares the rows as multisets: members by name
(a NULL member and a missing one are the same), numbers to 1e-9 relative,
times as instants, and for a query whose case says `ordered`, the order
of the rows too.  It also runs the pipeline `weir-sql --explain` prints
with the shell and checks that it writes the very bytes weir-sql wrote
(not with --no-explain).
Prints each difference; the last line is "N queries, N differ".

QUERIES holds cases separated by blank lines:

    -- what it checks  [ordered]
    weir: SELECT …            (the weir query; FROM stdin)
    pg:   SELECT …            (PostgreSQL's; without it, the weir query with
                               FROM stdin read as FROM ev)
"""
import datetime
import json
import math
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgref import Server  # noqa: E402

COLUMNS = [("id", "bigint"), ("ts", "timestamptz"), ("host", "text"), ("path", "text"), ("status", "int"),
           ("latency_ms", "float8"), ("bytes", "bigint"), ("user_id", "text"),
           ("region", "text")]


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def tables(events, seed):
    rnd = random.Random(seed)
    pays = []
    for l in open(events):
        e = json.loads(l)
        if rnd.random() < 0.6:
            t = datetime.datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))
            t += datetime.timedelta(milliseconds=rnd.randint(-45000, 45000))
            oid = e["id"] if rnd.random() > 0.05 else e["id"] + 1000000
            pays.append((t, {"ts": stamp(t), "order_id": oid,
                             "amount": round(rnd.uniform(1, 500), 2),
                             "method": rnd.choice(["card", "card", "cash", "wire"])}))
    d = os.path.dirname(os.path.abspath(events))
    with open(os.path.join(d, "pay.ndjson"), "w") as f:
        for _, p in sorted(pays, key=lambda x: x[0]):
            f.write(json.dumps(p, separators=(",", ":")) + "\n")
    with open(os.path.join(d, "hosts.csv"), "w") as f:
        f.write("host,dc,tier\nweb-1,fra,1\nweb-2,ams,2\nweb-2,fra,2\ndb-1,fra,3\n")


def load_table(server, name, path):
    """A file as a table: NDJSON or CSV, each column's type read from its values."""
    if path.endswith(".csv"):
        import csv
        rows = list(csv.DictReader(open(path)))
        for r in rows:
            for k, v in r.items():
                try:
                    r[k] = int(v)
                except ValueError:
                    try:
                        r[k] = float(v)
                    except ValueError:
                        pass
    else:
        rows = [json.loads(l) for l in open(path) if l.strip()]
    cols = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)

    def kind(k):
        vals = [r[k] for r in rows if r.get(k) is not None]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            return "bigint"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            return "float8"
        if all(isinstance(v, str) and TIME.match(v) for v in vals):
            return "timestamptz"
        return "text"
    sql = ["CREATE TABLE %s (%s);" % (name, ", ".join('"%s" %s' % (c, kind(c)) for c in cols)),
           "COPY %s FROM STDIN WITH (FORMAT csv);" % name]
    for r in rows:
        sql.append(",".join("" if r.get(c) is None else
                            '"%s"' % str(r[c]).replace('"', '""') for c in cols))
    sql.append("\\.")
    server.sql("\n".join(sql) + "\n")


def gen(n, seed, disorder=0):
    rnd = random.Random(seed)
    out = []
    t = datetime.datetime(2026, 12, 3, 10, 0, 0, tzinfo=datetime.timezone.utc)
    for i in range(n):
        # bursts and pauses, so that sessions form and some minutes are empty
        t += datetime.timedelta(milliseconds=rnd.choice(
            [rnd.randint(1, 3000), rnd.randint(1, 3000), rnd.randint(20000, 90000)]))
        e = {"id": i + 1, "ts": stamp(t)}
        if rnd.random() > 0.05:
            e["host"] = rnd.choice(["web-1", "web-2", "web-3", "db-1"])
        e["path"] = rnd.choice(["/", "/api/v1/users", "/api/v2/orders", "/api/v1/items",
                                "/static/app.js", "/login"])
        e["status"] = rnd.choice([200, 200, 200, 200, 201, 204, 301, 404, 500, 503])
        if rnd.random() > 0.05:
            e["latency_ms"] = round(rnd.lognormvariate(3.5, 1.0), 1) + 0.0
        if rnd.random() > 0.3:
            e["bytes"] = rnd.randint(0, 50000)
        e["user_id"] = "u%02d" % rnd.randint(1, 12)
        e["region"] = rnd.choice(["eu", "us", None]) if rnd.random() > 0.5 else "eu"
        if e["region"] is None:
            del e["region"]
        out.append((t.timestamp() + rnd.uniform(0, disorder), e))
    for _, e in sorted(out, key=lambda x: x[0]):
        print(json.dumps(e, separators=(",", ":")))


def cases(path):
    text = open(path).read()
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.strip().splitlines() if l.strip()]
        if not lines:
            continue
        title = lines[0].lstrip("- ").strip() if lines[0].startswith("--") else ""
        body = "\n".join(l for l in lines if not l.startswith("--"))
        m = re.match(r"\s*weir:\s*(.*?)(?:\n\s*pg:\s*(.*))?$", body, re.S)
        if not m:
            raise SystemExit("bad case: " + block)
        weir = m.group(1).strip()
        pg = m.group(2).strip() if m.group(2) else \
            re.sub(r"'(\w+)\.(ndjson|csv)'", r"\1", re.sub(r"\bFROM stdin\b", "FROM ev", weir))
        yield title, weir, pg


TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?$")


def norm(v):
    if isinstance(v, str) and TIME.match(v):
        s = v.replace(" ", "T").replace("Z", "+00:00")
        if re.search(r"[+-]\d\d$", s):
            s += ":00"
        return ("time", datetime.datetime.fromisoformat(s).timestamp())
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


def row(obj):
    return {k: norm(v) for k, v in obj.items() if v is not None}


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return a[0] == b[0] and abs(a[1] - b[1]) < 1e-6
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def same_row(a, b):
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)


def key(r):
    return json.dumps(r, sort_keys=True, default=str)


def same_rows(ref, got, ordered):
    if len(ref) != len(got):
        return False
    if ordered:
        return all(same_row(a, b) for a, b in zip(ref, got))
    left = list(got)
    for r in ref:   # a greedy match: rows are few
        for i, g in enumerate(left):
            if same_row(r, g):
                del left[i]
                break
        else:
            return False
    return True


def check(events, queries, opts):
    disordered = "--disordered" in opts
    explain = "--no-explain" not in opts
    opts = [o for o in opts if o not in ("--disordered", "--no-explain")]
    rows = [json.loads(l) for l in open(events) if l.strip()]
    server = Server()
    n = bad = 0
    try:
        server.start()
        sql = ["CREATE TABLE ev (%s);" % ", ".join('"%s" %s' % c for c in COLUMNS),
               "COPY ev FROM STDIN WITH (FORMAT csv);"]
        for e in rows:
            sql.append(",".join("" if e.get(c) is None else
                                '"%s"' % str(e[c]).replace('"', '""') for c, _ in COLUMNS))
        sql.append("\\.")
        server.sql("\n".join(sql) + "\n")
        d = os.path.dirname(os.path.abspath(events))
        for f in sorted(os.listdir(d)):
            if f in ("pay.ndjson", "hosts.csv"):
                load_table(server, f.split(".")[0], os.path.join(d, f))
        for title, weir, pg in cases(queries):
            if disordered and "[arrival]" in title:
                continue
            n += 1
            ordered = "[ordered]" in title
            try:
                out = server.sql("SELECT row_to_json(q)::text FROM (%s\n) q;" % pg)
                ref = [row(json.loads(l)) for l in out.splitlines() if l.strip()]
            except RuntimeError as e:
                print("PostgreSQL refused %r: %s" % (pg, e))
                bad += 1
                continue
            with open(events, "rb") as f:
                r = subprocess.run(["weir-sql"] + opts + [weir], stdin=f, cwd=d,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if r.returncode != 0:
                print("weir-sql failed (%d) on %r: %s" % (r.returncode, weir,
                                                          r.stderr.decode()))
                bad += 1
                continue
            got = [row(json.loads(l)) for l in r.stdout.decode().splitlines()]
            if not same_rows(ref, got, ordered):
                bad += 1
                print("DIFFER: %s\n  weir: %s\n  pg:   %s" % (title, weir, pg))
                print("  PostgreSQL %d rows, weir %d" % (len(ref), len(got)))
                for x in sorted(map(key, ref))[:5]:
                    print("  pg   " + x)
                for x in sorted(map(key, got))[:5]:
                    print("  weir " + x)
                continue
            if not explain:
                continue
            ex = subprocess.run(["weir-sql", "--explain"] + opts + [weir], cwd=d,
                                stdout=subprocess.PIPE, check=True).stdout.decode()
            with open(events, "rb") as f:
                sh = subprocess.run(["sh", "-c", ex], stdin=f, stdout=subprocess.PIPE, cwd=d,
                                    stderr=subprocess.PIPE)
            if sh.stdout != r.stdout or sh.returncode != 0:
                bad += 1
                print("EXPLAIN DIFFERS: %s\n  %s" % (title, ex))
    finally:
        server.stop()
    print("%d queries, %d differ" % (n, bad))
    return 1 if bad else 0


def main():
    if sys.argv[1] == "tables":
        tables(sys.argv[2], int(sys.argv[3]))
        return 0
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0)
        return 0
    return check(sys.argv[2], sys.argv[3], sys.argv[4:])


sys.exit(main())
