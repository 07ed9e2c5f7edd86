#!/usr/bin/env python3
"""man_examples.py PAGE: runs the EXAMPLES of a man page (or the ```console
blocks of a Markdown file) and checks their output.

In the rendered EXAMPLES section, a line starting with "$ " is a command
(continued while it ends with a backslash or a pipe); the lines after it, up
to the next command or a blank line, are its expected standard output.
Blocks without "$ " are illustrations and are not run.  Commands of one page
run in order in one temporary directory, with bin/ first on PATH and the
repository's examples/ linked in, as a reader in the repository sees it.
Exits 1 and shows the difference when an example does not do what it says.
"""
import os
import subprocess
import sys
import tempfile

page = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if page.endswith(".md"):
    blocks, inside = ["EXAMPLES"], False
    for line in open(page, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("```console"):
            inside = True
        elif line.startswith("```"):
            inside = False
            blocks.append("")
        elif inside:
            blocks.append("    " + line)
    text = "\n".join(blocks) + "\nEND"
else:
    text = subprocess.run(["mandoc", "-T", "ascii", page], check=True,
                          capture_output=True, text=True).stdout
# undo backspace overstrike (bold, underline)
clean = []
for line in text.split("\n"):
    out = []
    for ch in line:
        if ch == "\b":
            if out:
                out.pop()
        else:
            out.append(ch)
    clean.append("".join(out))
lines = clean
try:
    start = lines.index("EXAMPLES") + 1
except ValueError:
    sys.exit("no EXAMPLES in " + page)
end = start
while end < len(lines) and not (lines[end] and not lines[end][0].isspace()):
    end += 1
section = lines[start:end]

examples = []  # (command, expected)
i = 0
while i < len(section):
    s = section[i].strip()
    if s.startswith("$ "):
        cmd = s[2:]
        while cmd.endswith("\\") or cmd.endswith("|"):
            i += 1
            cmd = (cmd[:-1] if cmd.endswith("\\") else cmd) + " " + section[i].strip()
        i += 1
        expected = []
        while i < len(section) and section[i].strip() and not section[i].strip().startswith("$ "):
            expected.append(section[i].strip())
            i += 1
        examples.append((cmd, expected))
    else:
        i += 1

if not examples:
    sys.exit("no runnable example in " + page)
bindir = os.path.join(root, os.environ.get("WEIR_BIN", "bin"))
env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    # the sample logs, where a reader in the repository finds them
    os.symlink(os.path.join(root, "examples"), os.path.join(tmp, "examples"))
    for cmd, expected in examples:
        got = subprocess.run(["sh", "-c", cmd], cwd=tmp, env=env, capture_output=True,
                             text=True).stdout.rstrip("\n").split("\n")
        got = [l.strip() for l in got]  # as the page's lines are read: indent left out
        if got == [""]:
            got = []
        if got != expected:
            failed += 1
            print("example: $ " + cmd)
            print("expected:\n  " + "\n  ".join(expected))
            print("got:\n  " + "\n  ".join(got))
print("%d examples, %d failed" % (len(examples), failed))
sys.exit(1 if failed else 0)
