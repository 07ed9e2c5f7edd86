#!/usr/bin/env python3
"""Seeded generator of access-log events for `make bench` and the tests.

usage: gen.py N [SEED] > events.ndjson

Each event: RFC 3339 millisecond `ts`, `id`, `host` (50), `method`, `path`,
`status`, `latency_ms`, `bytes`, `user` (100k).  Event times advance about
7 ms apart; arrival order differs from event-time order by up to 5 s
(each event is delayed by a random 0..5 s before it "arrives"), and 1% of
lines are repeated a little later, byte for byte.
"""
import random
import sys
from datetime import datetime, timezone

def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
    base = int(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
    paths = ["/", "/login", "/api/v1/orders", "/api/v1/users", "/api/v1/cart",
             "/static/app.js", "/static/style.css", "/healthz", "/search", "/checkout"]
    methods = ["GET"] * 8 + ["POST", "PUT"]
    statuses = [200] * 90 + [201, 204, 301, 304, 400, 401, 403, 404, 500, 503]
    heap = []
    import heapq
    out = sys.stdout
    write = out.write
    t = base
    dups = []
    emitted = 0
    i = 0
    def fmt(ms):
        s, m = divmod(ms, 1000)
        return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % m
    cache = {}
    while emitted < n:
        if i < n:
            t += rng.randint(1, 13)
            sec = t // 1000
            prefix = cache.get(sec)
            if prefix is None:
                cache.clear()
                prefix = cache[sec] = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            line = ('{"ts":"%s.%03dZ","id":"e%09d","host":"web-%02d","method":"%s","path":"%s",'
                    '"status":%d,"latency_ms":%d.%d,"bytes":%d,"user":"u%06d"}\n') % (
                prefix, t % 1000, i, rng.randrange(50), rng.choice(methods),
                rng.choice(paths), rng.choice(statuses), rng.randrange(1, 900),
                rng.randrange(10), rng.randrange(100, 90000), rng.randrange(100000))
            arrival = t + rng.randint(0, 5000)
            heapq.heappush(heap, (arrival, i, line, t))
            i += 1
        # release everything that has arrived by the newest event time
        while heap and (i >= n or heap[0][0] <= t) and emitted < n:
            arrival, _, line, when = heapq.heappop(heap)
            write(line)
            emitted += 1
            if rng.random() < 0.01 and emitted < n:
                # a repeat arrives later, still within 5 s of its event time
                again = min(arrival + rng.randint(1, 2000), when + 5000)
                heapq.heappush(heap, (again, -1, line, when))
        if i >= n and not heap:
            break

if __name__ == "__main__":
    main()
