#!/usr/bin/env python3
"""Reference computations for the Kafka tests (standard library only).

kafka_ref.py partition N KEY...
    The partition the Java client's default partitioner picks for each key
    among N: toPositive(murmur2(key bytes)) % N (Kafka's Utils.murmur2).
kafka_ref.py check-envelope N INPUT OUTPUT
    OUTPUT is weir-kafka-source --envelope over what weir-kafka-sink --key
    host wrote from INPUT: each line is an input line's bytes with a "kafka"
    member inserted before the closing brace, every input line once, in
    input order within each partition, on the partition murmur2(host) picks.
kafka_ref.py murmur2 KEY...
    murmur2 of each key as Java's Utils.murmur2 gives it (a signed int).
"""
import json
import sys


def murmur2(data):
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    i = 0
    while length - i >= 4:
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
        i += 4
    rest = length - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def signed(h):
    return h - (1 << 32) if h & 0x80000000 else h


def partition(key, n):
    return (murmur2(key) & 0x7FFFFFFF) % n


def check_envelope(n, inp, outp):
    lines = open(inp, "rb").read().split(b"\n")[:-1]
    want = {}
    for line in lines:
        host = json.loads(line)["host"].encode()
        want.setdefault(partition(host, n), []).append(line)
    got = {}
    for line in open(outp, "rb").read().split(b"\n")[:-1]:
        at = line.rfind(b',"kafka":{')
        if at < 0:
            sys.exit("no envelope: %r" % line)
        env = json.loads(line[at + 9 : -1])
        body = line[:at] + b"}"
        if env["key"] != json.loads(body)["host"]:
            sys.exit("key %r is not the host of %r" % (env["key"], body))
        got.setdefault(env["partition"], []).append((env["offset"], body))
    for p in range(n):
        rows = sorted(got.get(p, []))
        if [o for o, _ in rows] != list(range(len(rows))):
            sys.exit("partition %d: offsets %r" % (p, [o for o, _ in rows]))
        if [b for _, b in rows] != want.get(p, []):
            sys.exit("partition %d: %d lines, %d expected, or not the same bytes"
                     % (p, len(rows), len(want.get(p, []))))
    print("ok")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "partition":
        n = int(sys.argv[2])
        for k in sys.argv[3:]:
            print(partition(k.encode(), n))
    elif what == "murmur2":
        for k in sys.argv[2:]:
            print(signed(murmur2(k.encode())))
    elif what == "check-envelope":
        check_envelope(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
