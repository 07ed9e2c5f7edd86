#!/usr/bin/env python3
"""feed.py FILE [SEED]: copy FILE to stdout in random chunks of 1..200 bytes,
with a 0.2 ms pause between chunks (a slow writer, as tail -F is)."""
import os
import random
import sys
import time

data = open(sys.argv[1], "rb").read()
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
i = 0
try:
    while i < len(data):
        k = rng.randint(1, 200)
        os.write(1, data[i:i + k])
        i += k
        time.sleep(0.0002)
except BrokenPipeError:
    pass
