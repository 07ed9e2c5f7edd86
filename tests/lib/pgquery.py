#!/usr/bin/env python3
"""PostgreSQL as an oracle for a whole query over events.

    pgquery.py EVENTS 'NAME TYPE, ...' QUERY...

Starts PostgreSQL 15 as pgref.py does (a temporary directory, a Unix
socket, stopped whatever happens), loads EVENTS (NDJSON) into a table
`ev` with the columns given (a field an event lacks is NULL), runs each
QUERY, and prints its rows, one JSON array a row, each query's rows
followed by a line `--`.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgref import Server  # noqa: E402


def main():
    events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    columns = [c.strip().split(None, 1) for c in sys.argv[2].split(",")]
    server = Server()
    try:
        server.start()
        rows = ["CREATE TABLE ev (%s);" % ", ".join('"%s" %s' % (n, t) for n, t in columns),
                "COPY ev FROM STDIN WITH (FORMAT csv);"]
        for e in events:
            cells = []
            for n, _ in columns:
                v = e.get(n)
                cells.append("" if v is None else '"%s"' % str(v).replace('"', '""'))
            rows.append(",".join(cells))
        rows.append("\\.")
        server.sql("\n".join(rows) + "\n")
        for q in sys.argv[3:]:
            out = server.sql("SELECT row_to_json(q)::text FROM (%s) q;" % q.rstrip().rstrip(";"))
            for line in out.splitlines():
                if line.strip():
                    print(json.dumps(list(json.loads(line).values())))
            print("--")
    finally:
        server.stop()


main()
