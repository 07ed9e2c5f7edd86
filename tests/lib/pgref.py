#!/usr/bin/env python3
"""PostgreSQL as the reference for weir's expressions.

    pgref.py EVENTS CORPUS

Starts a PostgreSQL 15 server of its own (Debian's postgresql-15: initdb in a
temporary directory, a Unix socket there, no TCP), loads EVENTS (NDJSON) as a
table with one typed column per field, and evaluates every expression of
CORPUS against every event, in PostgreSQL and with weir-select (from PATH):
`--set 'v = EXPR'`.  Numbers compare as numbers (to 1e-9 relative: weir
computes decimals in binary floating point where PostgreSQL's numeric is
exact), times as instants; an error on one side must be an error on the
other.  Prints each mismatch and exits 1 if there was any.  The server is
stopped whatever happens.
"""
import datetime
import json
import math
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

PGBIN = "/usr/lib/postgresql/15/bin"

# The PostgreSQL type of each field of events.ndjson.
TYPES = {"id": "bigint", "status": "bigint", "n": "bigint", "ms": "numeric",
         "ok": "boolean", "ts": "timestamptz", "path": "text", "host": "text",
         "code": "text", "s": "text", "user-agent": "text"}


class Server:
    def __init__(self):
        self.root = os.getuid() == 0
        self.dir = tempfile.mkdtemp(prefix="weir-pg.")
        self.data = os.path.join(self.dir, "data")
        if self.root:   # PostgreSQL will not run as root
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o755)

    def run(self, *args, **kw):
        cmd = list(args)
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, **kw)

    def start(self):
        self.run(PGBIN + "/initdb", "-D", self.data, "--locale=C", "-E", "UTF8",
                 "--auth=trust", "-U", "postgres")
        opts = "-k %s -c listen_addresses='' -c fsync=off -c TimeZone=UTC" % self.dir
        self.run(PGBIN + "/pg_ctl", "-D", self.data, "-o", opts, "-w", "-t", "60",
                 "-l", os.path.join(self.dir, "log"), "start")

    def sql(self, text):
        cmd = [PGBIN + "/psql", "-h", self.dir, "-U", "postgres", "-d", "postgres",
               "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1"]
        r = subprocess.run(cmd, input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.decode())
        return r.stdout.decode()

    def stop(self):
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self.run(PGBIN + "/pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return "'" + v.replace("'", "''") + "'"


def dollar(s):
    return "$weir$" + s + "$weir$"


def reference(server, events, exprs):
    cols = list(TYPES)
    sql = ["CREATE TABLE ev (%s);" % ", ".join('"%s" %s' % (c, TYPES[c]) for c in cols)]
    for e in events:
        sql.append("INSERT INTO ev VALUES (%s);" % ", ".join(
            literal(e.get(c)) + "::" + TYPES[c] for c in cols))
    sql.append("CREATE TABLE ex (i int, e text);")
    for i, x in enumerate(exprs):
        sql.append("INSERT INTO ex VALUES (%d, %s);" % (i, dollar(x)))
    sql.append("""
CREATE FUNCTION ev1(expr text, eid bigint) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT to_json((%s))::text FROM ev WHERE id = $1', expr) INTO r USING eid;
  RETURN coalesce(r, 'null');
EXCEPTION WHEN others THEN RETURN 'ERROR: ' || SQLERRM;
END $f$;
SELECT ex.i, ev.id, ev1(ex.e, ev.id) FROM ex, ev ORDER BY 1, 2;
""")
    got = {}
    for line in server.sql("\n".join(sql)).splitlines():
        i, eid, v = line.split("\x1f", 2)
        got[(int(i), int(eid))] = v
    return got


def weir(events_path, exprs, ids):
    import concurrent.futures
    got = {}

    def one(x):
        return subprocess.run(["weir-select", "--on-error", "skip", "--set", "v = " + x,
                               "--keep", "id,v", events_path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(one, exprs))
    for i, r in enumerate(runs):
        if r.returncode == 2:
            for eid in ids:
                got[(i, eid)] = "ERROR: " + r.stderr.decode().splitlines()[0]
            continue
        for line in r.stdout.decode().splitlines():
            o = json.loads(line)
            got[(i, o["id"])] = json.dumps(o.get("v"))
    return got


def as_time(v):
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
        try:
            return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def same(ref, got):
    if ref.startswith("ERROR") or got is None or got.startswith("ERROR"):
        return ref.startswith("ERROR") == (got is None or got.startswith("ERROR"))
    a, b = json.loads(ref), json.loads(got)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    ta, tb = as_time(a), as_time(b)
    if ta and tb:
        return ta == tb
    return a == b


if __name__ == "__main__":
    events_path, corpus_path = sys.argv[1], sys.argv[2]
    events = [json.loads(l) for l in open(events_path)]
    ids = [e["id"] for e in events]
    exprs = [l.rstrip("\n") for l in open(corpus_path)
             if l.strip() and not l.startswith("#") and not l.startswith("!")]
    server = Server()
    try:
        server.start()
        ref = reference(server, events, exprs)
    finally:
        server.stop()
    got = weir(events_path, exprs, ids)
    bad = 0
    for (i, eid), r in sorted(ref.items()):
        g = got.get((i, eid))
        if not same(r, g):
            bad += 1
            print("event %d: %s\n  PostgreSQL: %s\n  weir:       %s" % (eid, exprs[i], r, g))
    print("%d expressions x %d events: %d differ" % (len(exprs), len(events), bad))
    sys.exit(1 if bad else 0)
