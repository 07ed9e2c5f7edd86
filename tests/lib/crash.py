#!/usr/bin/env python3
"""Kill -9 a weir pipeline at seeded random points, start it again, and check
what came out against an uninterrupted run (SPEC section 7).

  crash.py pipeline --seed S --kills K --expect U --max-delay SECS -- 'SHELL PIPELINE'
      runs the pipeline (bash -c, its own process group) and SIGKILLs the group
      after a random delay, K times, then lets it run to its end.
  crash.py stdin --seed S --kills K --expect U --input F -- PROGRAM ARGS...
      feeds F on stdin from its start each time, killing the program after a
      random number of lines (it reads the same input again after a restart),
      then once whole.

What it checks, on data rows (protocol lines left out, a line cut by the kill
dropped): each run's rows continue the rows so far, and may begin by repeating
some of the last ones (re-emitted since the last checkpoint), byte for byte;
at the end the rows are exactly the uninterrupted run's.  Prints one line of
figures; exits 1 with what went wrong.
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time


def rows_of(data):
    if not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]  # the kill cut the last line
    out = []
    for line in data.split(b"\n")[:-1]:
        if line.startswith(b'{"_checkpoint"') or line.startswith(b'{"_watermark"'):
            continue
        out.append(line)
    return out


def fold(done, rows, expect, run):
    """done: rows so far (a prefix of expect).  Returns the new prefix length."""
    n = len(rows)
    for back in range(0, done + 1):
        at = done - back
        # the first row first: a slice of n rows at every position costs
        # seconds once thousands of rows are done
        if n and (at >= len(expect) or expect[at] != rows[0]):
            continue
        if expect[at:at + n] == rows:
            return max(done, at + n), min(back, n)
    for i, r in enumerate(rows):
        if r not in expect:
            sys.exit(f"run {run}: row {i} is in no uninterrupted row: {r[:200]!r}")
    sys.exit(f"run {run}: its {n} rows do not continue the {done} rows so far "
             f"(first: {rows[0][:200]!r})")


def reader(stream, sink):
    sink.append(stream.read())


def run_pipeline(cmd, delay):
    p = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE, start_new_session=True)
    got = []
    t = threading.Thread(target=reader, args=(p.stdout, got))
    t.start()
    killed = False
    if delay is not None:
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            killed = True
    p.wait()
    t.join()
    try:
        os.killpg(p.pid, signal.SIGKILL)  # what is left of the group
    except ProcessLookupError:
        pass
    return got[0], killed, p.returncode


def run_stdin(argv, lines, upto):
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    got = []
    t = threading.Thread(target=reader, args=(p.stdout, got))
    t.start()
    try:
        chunk = 500
        for i in range(0, upto, chunk):
            p.stdin.write(b"".join(lines[i:min(upto, i + chunk)]))
        p.stdin.flush()
        if upto < len(lines):
            p.kill()
        else:
            p.stdin.close()
    except BrokenPipeError:
        pass
    p.wait()
    t.join()
    return got[0], upto < len(lines), p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["pipeline", "stdin"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--max-delay", type=float, default=1.0)
    ap.add_argument("--input")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    with open(a.expect, "rb") as f:
        expect = rows_of(f.read())
    lines = None
    if a.mode == "stdin":
        with open(a.input, "rb") as f:
            lines = f.readlines()
    done, repeated, kills = 0, 0, 0
    for run in range(a.kills + 1):
        last = run == a.kills
        if a.mode == "pipeline":
            delay = None if last else rnd.uniform(0.02, a.max_delay)
            data, killed, rc = run_pipeline(" ".join(a.cmd), delay)
        else:
            upto = len(lines) if last else rnd.randrange(1, len(lines))
            data, killed, rc = run_stdin(a.cmd, lines, upto)
        if not killed and rc != 0:
            sys.exit(f"run {run}: exit status {rc}")
        kills += killed
        rows = rows_of(data)
        if rows:
            done, back = fold(done, rows, expect, run)
            repeated += back
        if not killed:
            break
    if done != len(expect):
        sys.exit(f"{done} rows in all, the uninterrupted run wrote {len(expect)}")
    print(f"ok: {kills} kills, {len(expect)} rows, {repeated} written again")


if __name__ == "__main__":
    main()
