#!/usr/bin/python3
"""bench/once.py COMMAND: runs `sh -c COMMAND` once, standard input as given,
its output and errors to /dev/null, and prints its wall seconds, its CPU
seconds (user + sys of all its processes) and its peak RSS in KiB.

The clock starts as the command is spawned and stops once it has been
waited for, so the harness's own work (starting Python, reading the clock)
is not in the figure.  The RSS
comes from time(1), whose child is a fresh shell: a child of Python would
count Python's own pages, which Linux keeps in the peak across exec."""
import os
import subprocess
import sys
import tempfile
import time

with tempfile.NamedTemporaryFile("r") as rss:
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss.name, "sh", "-c", sys.argv[1]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    t = time.perf_counter() - t0
    print("%.4f %.4f %s" % (t, ru.ru_utime + ru.ru_stime, rss.read().strip()))
