#!/usr/bin/env python3
"""Seeded orders and payments for the weir-join bench and tests.

usage: gen-join.py N_ORDERS ORDERS_FILE PAYMENTS_FILE [SEED]

Orders arrive about 7 ms apart (`ts` RFC 3339 with milliseconds,
`order_id`, `customer`, `amount`, `items`); 80% of them are paid between 0
and 20 s later (`ts`, `order_id`, `method`, `amount`).  Each file's arrival
order differs from event-time order by up to 5 s.
"""
import heapq
import random
import sys
from datetime import datetime, timezone


def fmt(ms, cache={}):
    sec = ms // 1000
    prefix = cache.get(sec)
    if prefix is None:
        cache.clear()
        prefix = cache[sec] = datetime.fromtimestamp(sec, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S")
    return "%s.%03dZ" % (prefix, ms % 1000)


def disorder(rng, items, out):
    """Writes (t, line) items (in event-time order) each delayed 0..5 s."""
    heap = []
    for t, line in items:
        heapq.heappush(heap, (t + rng.randint(0, 5000), len(heap), line))
        while heap and heap[0][0] <= t:
            out.write(heapq.heappop(heap)[2])
    while heap:
        out.write(heapq.heappop(heap)[2])


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    base = int(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
    orders, payments = [], []
    t = base
    for i in range(n):
        t += rng.randint(1, 13)
        cents = rng.randrange(100, 50000)
        orders.append((t, '{"ts":"%s","order_id":"o%09d","customer":"c%06d","amount":%d.%02d,'
                       '"items":%d}\n' % (fmt(t), i, rng.randrange(200000), cents // 100,
                                          cents % 100, rng.randint(1, 9))))
        if rng.random() < 0.8:
            paid = t + rng.randint(0, 20000)
            payments.append((paid, '{"ts":"%s","order_id":"o%09d","method":"%s",'
                             '"amount":%d.%02d}\n' % (fmt(paid), i,
                                                      rng.choice(["card", "card", "paypal", "transfer"]),
                                                      cents // 100, cents % 100)))
    payments.sort()
    with open(sys.argv[2], "w") as f:
        disorder(rng, orders, f)
    with open(sys.argv[3], "w") as f:
        disorder(rng, payments, f)


if __name__ == "__main__":
    main()
