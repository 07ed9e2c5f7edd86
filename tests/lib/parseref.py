#!/usr/bin/env python3
"""parseref.py: an independent reading of the log formats weir-parse reads.

  parseref.py gen FORMAT N SEED > lines
      lines of FORMAT written from its published grammar (nginx's
      log_format combined, RFC 5424's ABNF, RFC 3164, logfmt, CRI, Docker's
      json-file), hard cases and broken lines among them
  parseref.py check FORMAT INPUT GOT ERRORS [--types SPEC] [--pattern RE]
      reads INPUT with Python's re and json, and checks that GOT holds the
      objects weir-parse should write (members in order, values equal) and
      ERRORS the lines it should reject, byte for byte, in order

The reference is written from the formats' grammars with Python's own
tools, not from weir's code; where weir chose a rule (a `-` is null, the
year of a year-less date, bytes that are not UTF-8 read as Latin-1) the
rule is the one weir-parse(1) documents.
"""
import datetime
import json
import random
import re
import sys

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
FACILITIES = ("kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp security "
              "console solaris-cron local0 local1 local2 local3 local4 local5 local6 "
              "local7").split()
SEVERITIES = "emerg alert crit err warning notice info debug".split()


class NotRead(Exception):
    pass


def text(b):
    """Bytes as weir writes them: UTF-8 if they are, else Latin-1."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def nullable(b):
    return None if b == b"-" else text(b)


def typed(b, typ, name):
    if typ == "string":
        return text(b)
    if typ == "nullable":
        return nullable(b)
    if b in (b"-", b""):
        return None
    s = b.decode("latin-1")
    if typ == "int":
        if re.fullmatch(r"-?[0-9]+", s):
            return int(s)
        raise NotRead(name)
    if typ == "float":
        if re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", s):
            return float(s)
        raise NotRead(name)
    if typ == "bool":
        if s.lower() in ("true", "yes", "on", "1"):
            return True
        if s.lower() in ("false", "no", "off", "0"):
            return False
        raise NotRead(name)
    if typ == "auto":
        return number_or_text(b)
    raise ValueError(typ)


JSON_NUMBER = re.compile(rb"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def number_or_text(b):
    if JSON_NUMBER.fullmatch(b):
        return json.loads(b)
    return text(b)


def rfc3339_ok(s):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|[-+]\d\d:\d\d)",
                     s)
    if not m:
        return False
    try:
        datetime.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                          min(int(m[6]), 59))
    except ValueError:
        return False
    return int(m[6]) <= 60


# --- combined and common ------------------------------------------------------------

QUOTED = rb'"((?:[^"\\]|\\.)*)"'
CLF = re.compile(rb"([^ ]+) ([^ ]+) ([^ ]+) \[([^\]]*)\] " + QUOTED + rb" ([^ ]*) ([^ ]*)")


def unapache(b):
    return re.sub(rb'\\(["\\])', rb"\1", b)


def clf_time(b):
    s = b.decode("latin-1")
    try:
        d = datetime.datetime.strptime(s, "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        raise NotRead("time")
    if not re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4}", s):
        raise NotRead("time")
    off = s[-5:]
    tail = "Z" if off[1:] == "0000" else "%s:%s" % (off[:3], off[3:])
    return d.strftime("%Y-%m-%dT%H:%M:%S") + tail


def request_members(req):
    m = re.fullmatch(rb"([A-Z_-]{1,32}) (.*)", req, re.S)
    if not m:
        return [("method", None), ("path", None), ("protocol", None)]
    before, sep, after = m[2].rpartition(b" ")
    if sep and after.startswith(b"HTTP/") and len(after) > 5:
        return [("method", text(m[1])), ("path", text(before)), ("protocol", text(after))]
    return [("method", text(m[1])), ("path", text(m[2])), ("protocol", None)]


def parse_clf(line, combined, types):
    m = CLF.match(line)
    if not m:
        raise NotRead("clf")
    rest = line[m.end():]
    out = [("remote_addr", nullable(m[1])), ("ident", nullable(m[2])),
           ("remote_user", nullable(m[3])), ("time", clf_time(m[4]))]
    req = unapache(m[5])
    out.append(("request", text(req)))
    out += request_members(req)
    out.append(("status", typed(m[6], types.get("status", "int"), "status")))
    out.append(("bytes", typed(m[7], types.get("bytes", "int"), "bytes")))
    if combined:
        m2 = re.fullmatch(rb" " + QUOTED + rb" " + QUOTED, rest, re.S)
        if not m2:
            raise NotRead("combined")
        out.append(("referer", nullable(unapache(m2[1]))))
        out.append(("user_agent", nullable(unapache(m2[2]))))
    elif rest:
        raise NotRead("common")
    return out


# --- syslog -------------------------------------------------------------------------

SD_ELEMENT = rb'\[([^ \]"=]+)((?: [^ \]"=]+="(?:[^"\\]|\\.)*")*)\]'


def sd_object(sd):
    if sd == b"-":
        return None
    out = {}
    for el in re.finditer(SD_ELEMENT, sd):
        params = {}
        for pm in re.finditer(rb' ([^ \]"=]+)="((?:[^"\\]|\\.)*)"', el[2]):
            params[text(pm[1])] = text(re.sub(rb'\\(["\\\]])', rb"\1", pm[2]))
        out[text(el[1])] = params
    return out


def yearless(mon, day, hms):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    until = now + datetime.timedelta(days=31)
    h, mi, s = (int(x) for x in hms.split(":"))
    for y in range(now.year + 1, now.year - 5, -1):
        try:
            t = datetime.datetime(y, mon, day, h, mi, s)
        except ValueError:
            continue
        if t <= until:
            return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise NotRead("year")


def parse_syslog(line, types):
    m = re.match(rb"<(\d{1,3})>", line)
    out = []
    if m:
        pri = int(m[1])
        if pri > 191:
            raise NotRead("pri")
        out += [("facility", FACILITIES[pri >> 3]), ("severity", SEVERITIES[pri & 7])]
        line = line[m.end():]
    elif line.startswith(b"<"):
        raise NotRead("pri")
    else:
        out += [("facility", None), ("severity", None)]
    element = SD_ELEMENT.replace(b"(", b"(?:").replace(b"(?:?:", b"(?:")
    m = re.fullmatch(rb"([1-9][0-9]?) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) (-|(?:" + element
                     + rb")+)(?: (.*))?", line, re.S) if out[0][1] else None
    if m:
        if m[2] != b"-" and not rfc3339_ok(m[2].decode("latin-1")):
            raise NotRead("time")
        msg = m[8]
        if msg is not None and msg.startswith(b"\xef\xbb\xbf"):
            msg = msg[3:]
        return out + [("time", nullable(m[2])), ("hostname", nullable(m[3])),
                      ("appname", nullable(m[4])), ("procid", nullable(m[5])),
                      ("msgid", nullable(m[6])), ("structured_data", sd_object(m[7])),
                      ("message", None if msg is None else text(msg))]
    if out[0][1] and re.match(rb"[1-9][0-9]? ", line):
        raise NotRead("5424")
    m = re.match(rb"([A-Z][a-z]{2}) ([ 0-9][0-9]) (\d\d:\d\d:\d\d) ", line)
    if m and m[1].decode() in MONTHS:
        time = yearless(MONTHS.index(m[1].decode()) + 1, int(m[2]), m[3].decode())
    else:
        m = re.match(rb"([^ ]+) ", line)
        if not m or not rfc3339_ok(m[1].decode("latin-1")):
            raise NotRead("time")
        time = text(m[1])
    out.append(("time", time))
    rest = line[m.end():]
    first = rest.split(b" ", 1)[0]
    if b" " not in rest or first.endswith(b":") or b"[" in first:
        out.append(("hostname", None))
    else:
        out.append(("hostname", text(first)))
        rest = rest[len(first) + 1:]
    t = re.match(rb"([^\[: ]{1,48})(?:\[([^\]]*)\])?:", rest)
    if t:
        out += [("appname", text(t[1])), ("procid", None if t[2] is None else text(t[2]))]
        rest = rest[t.end():]
        if rest.startswith(b" "):
            rest = rest[1:]
    else:
        out += [("appname", None), ("procid", None)]
    return out + [("msgid", None), ("structured_data", None), ("message", text(rest))]


# --- logfmt -------------------------------------------------------------------------

def parse_logfmt(line, types):
    out, pairs, i = [], 0, 0
    while True:
        m = re.compile(rb"[ \t]*").match(line, i)
        i = m.end()
        if i >= len(line):
            break
        m = re.compile(rb'([^ \t="]*)(=?)').match(line, i)
        key, eq = m[1], m[2]
        if i < len(line) and line[m.end():m.end() + 1] == b'"' and not eq:
            raise NotRead("quote in key")
        if not key:
            raise NotRead("empty key")
        i = m.end()
        if not eq:
            out.append((text(key), True))
            continue
        pairs += 1
        typ = types.get(text(key))
        if line[i:i + 1] == b'"':
            q = re.compile(rb'"((?:[^"\\]|\\.)*)"', re.S).match(line, i)
            if not q:
                raise NotRead("quote")
            v = re.sub(rb'\\(["\\ntr])', lambda e: {b"n": b"\n", b"t": b"\t", b"r": b"\r"}.get(
                e[1], e[1]), q[1])
            out.append((text(key), typed(v, typ or "string", key)))
            i = q.end()
            continue
        v = re.compile(rb"[^ \t]*").match(line, i)
        out.append((text(key), typed(v[0], typ, key) if typ else number_or_text(v[0])))
        i = v.end()
    if pairs == 0:
        raise NotRead("no pair")
    return out


# --- CRI and Docker: partial lines joined -------------------------------------------

def parse_stream_lines(lines, fmt):
    """Returns (objects, rejected) for a whole input: partial lines held per stream."""
    out, rejected, held = [], [], {}

    def hold(stream, time, msg, last, first):
        h = held.get(stream)
        if h is None:
            h = held[stream] = [time, b"" if fmt == "cri" else "", first]
        h[1] += msg
        if last:
            del held[stream]
            out.append((h[2], [("time", h[0]), ("stream", stream),
                               ("message", text(h[1]) if fmt == "cri" else h[1])]))

    for no, line in enumerate(lines, 1):
        if not line.strip(b" \t"):
            continue
        if fmt == "cri":
            m = re.fullmatch(rb"([^ ]+) (stdout|stderr) ([PF])(?::[^ ]*)?(?: (.*))?", line, re.S)
            if not m or not rfc3339_ok(m[1].decode("latin-1")):
                rejected.append(line)
                continue
            hold(m[2].decode(), text(m[1]), m[4] or b"", m[3] == b"F", no)
        else:
            try:
                o = json.loads(line)
                stream = o.get("stream", "stdout")
                if not isinstance(o, dict) or not isinstance(o.get("log"), str) or \
                        not isinstance(o.get("time"), str) or stream not in ("stdout", "stderr") \
                        or not rfc3339_ok(o["time"]):
                    raise ValueError
            except ValueError:
                rejected.append(line)
                continue
            log = o["log"]
            last = log.endswith("\n")
            hold(stream, o["time"], log[:-1] if last else log, last, no)
    for stream in ("stdout", "stderr"):
        if stream in held:
            h = held.pop(stream)
            out.append((h[2], [("time", h[0]), ("stream", stream),
                               ("message", text(h[1]) if fmt == "cri" else h[1])]))
    return out, rejected


# --- regex --------------------------------------------------------------------------

def parse_regex(line, pattern, types):
    m = pattern.search(line)
    if not m:
        raise NotRead("regex")
    out = []
    for name in sorted(pattern.groupindex, key=lambda n: pattern.groupindex[n]):
        v = m[name]
        out.append((name, None if v is None else typed(v, types.get(name, "string"), name)))
    return out


# --- the check ----------------------------------------------------------------------

def expected(fmt, lines, types, pattern):
    if fmt in ("cri", "docker"):
        # a joined record comes out when its last part does, held ones at the end
        objs, rejected = parse_stream_lines(lines, fmt)
        return [o for _, o in objs], rejected
    objs, rejected = [], []
    for line in lines:
        if not line.strip(b" \t"):
            continue
        try:
            if fmt in ("combined", "common"):
                objs.append(parse_clf(line, fmt == "combined", types))
            elif fmt == "syslog":
                objs.append(parse_syslog(line, types))
            elif fmt == "logfmt":
                objs.append(parse_logfmt(line, types))
            elif fmt == "regex":
                objs.append(parse_regex(line, pattern, types))
        except NotRead:
            rejected.append(line)
    return objs, rejected


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool) and abs(a - b) <= 1e-9 * max(1, abs(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def check(fmt, input_path, got_path, errors_path, types, pattern):
    lines = open(input_path, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [l[:-1] if l.endswith(b"\r") else l for l in lines]
    want, want_rejected = expected(fmt, lines, types, pattern)
    got = [json.loads(l, object_pairs_hook=list) for l in open(got_path, encoding="utf-8")]
    bad = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        ok = w is not None and g is not None and [k for k, _ in w] == [k for k, _ in g] and \
            all(same(norm(a), norm(b)) for (_, a), (_, b) in zip(w, g))
        if not ok:
            bad += 1
            if bad <= 5:
                print("object %d differs:\n  want %r\n  got  %r" % (i + 1, w, g))
    got_rejected = open(errors_path, "rb").read().split(b"\n")[:-1]
    if got_rejected != want_rejected:
        bad += 1
        print("rejected lines differ:\n  want %r\n  got  %r" % (want_rejected[:5], got_rejected[:5]))
    print("%d objects, %d rejected, %d differ" % (len(want), len(want_rejected), bad))
    return 1 if bad else 0


def norm(v):
    if isinstance(v, list) and all(isinstance(x, tuple) for x in v):
        return {k: norm(x) for k, x in v}
    return v


# --- samples ------------------------------------------------------------------------

def gen(fmt, n, seed):
    r = random.Random(seed)
    out = sys.stdout.buffer

    def pick(*xs):
        return r.choice(xs)

    def clf_time():
        mon = r.randrange(12)
        day = r.randint(1, 28)
        off = pick(b"+0000", b"+0000", b"-0700", b"+0530", b"+1345", b"-0000")
        return b"%02d/%s/%d:%02d:%02d:%02d %s" % (day, MONTHS[mon].encode(), r.randint(1990, 2030),
                                                  r.randrange(24), r.randrange(60), r.randrange(60),
                                                  off)

    for i in range(n):
        if fmt in ("combined", "common"):
            req = pick(b"GET /a?b=c HTTP/1.1", b"POST /api/v1/x HTTP/2.0", b"\\x16\\x03\\x01\\x00\\xF7",
                       b"-", b"GET /", b"PROPFIND /dav HTTP/1.1", b"GET /a b HTTP/1.0",
                       b'GET /q?\\"x\\" HTTP/1.1', b"", b"M-SEARCH * HTTP/1.1", b"get /lower HTTP/1.1",
                       b"GET /x HTTP/", b"GET /\xc3\xa9t\xc3\xa9 HTTP/1.1")
            line = b"%s %s %s [%s] \"%s\" %s %s" % (
                pick(b"192.0.2.7", b"2001:db8::1", b"::1", b"10.1.2.3", b"-"), pick(b"-", b"ident"),
                pick(b"-", b"frank", b"us%40er"), clf_time(), req,
                pick(b"200", b"404", b"503", b"-", b"0200", b"2x0"), pick(b"1234", b"-", b"0", b"12a"))
            if fmt == "combined":
                line += b' "%s" "%s"' % (
                    pick(b"-", b"http://example.com/", b'a \\"quoted\\" ref', b""),
                    pick(b"Mozilla/5.0 (X11; Linux x86_64)", b'agent \\"with\\" quotes', b"-",
                         b"\xc3\xbcn\xc3\xafcode", b"bad \xff\xfe bytes", b"back\\\\slash",
                         b"tab\there"))
            broken = pick(None, None, None, None, None, None, b"trailing", b"month", b"cut", b"space")
            if broken == b"trailing":
                line += b' "10.0.0.1"'
            elif broken == b"month":
                line = re.sub(rb"\[(\d\d)/[A-Z][a-z]{2}/", rb"[\1/Foo/", line)
            elif broken == b"cut":
                line = line[:r.randrange(len(line))]
            elif broken == b"space":
                line = line.replace(b" ", b"  ", 1)
        elif fmt == "syslog":
            kind = r.randrange(4)
            pri = b"<%d>" % r.randrange(192)
            if kind == 0:
                sd = pick(b"-", b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
                          b'[a@1 x="q\\"uote"][b@2 y="back\\\\slash" z="br\\]acket"]',
                          b'[origin ip="192.0.2.1"]', b'[e@3]')
                msg = pick(None, b"", b"plain message", b"\xef\xbb\xbfBOM then text",
                           b"\xc3\xa9t\xc3\xa9 ok", b"bad \xff byte", b"- dash")
                line = b"%s1 %s %s %s %s %s %s" % (
                    pri, pick(b"2003-10-11T22:14:15.003Z", b"2003-08-24T05:14:15.000003-07:00", b"-",
                              b"2026-12-03T10:00:01+01:00"),
                    pick(b"mymachine.example.com", b"-", b"192.0.2.1"), pick(b"su", b"-", b"my-app"),
                    pick(b"-", b"8710"), pick(b"ID47", b"-"), sd)
                if msg is not None:
                    line += b" " + msg
            elif kind in (1, 2):
                stamp = pick(b"Oct 11 22:14:15", b"Dec  3 10:00:01", b"Jan  1 00:00:00",
                             b"Feb 28 23:59:59", b"2026-12-03T10:00:01.123456+01:00")
                host = pick(b"mymachine ", b"", b"host-2 ")
                tag = pick(b"su: ", b"sshd[123]: ", b"kernel: ", b"", b"CRON[99]: ", b"app[x]: ")
                line = (pri if kind == 1 else b"") + stamp + b" " + host + tag + pick(
                    b"'su root' failed for lonvick on /dev/pts/8", b"Accepted publickey", b"a: b",
                    b"x")
            else:
                line = pick(b"<999>Oct 11 22:14:15 h t: m", b"<13>", b"hello world", b"<13>1 -",
                            b"Foo 11 22:14:15 h t: m", b"<13>1 2003-13-11T22:14:15Z h a p m -",
                            b"<13>1 - h a p m [unclosed")
        elif fmt == "logfmt":
            pairs = []
            for _ in range(r.randint(1, 6)):
                k = pick(b"level", b"msg", b"dur", b"n", b"ok", b"path", b"at", b"user_id", b"x.y")
                v = pick(b"=info", b'="hello world"', b'="with \\"quotes\\" and \\\\ and \\n"', b"=0.5",
                         b"=007", b"=-3", b"=1e3", b"", b"=", b"=/a/b?c=d", b'=""', b"=\xc3\xa9",
                         b"=12ms", b"=true")
                pairs.append(k + v)
            line = pick(b" ", b"  ", b"\t").join(pairs)
            broken = pick(None, None, None, None, b"noval", b"quote", b"open")
            if broken == b"noval":
                line = b"just some words"
            elif broken == b"quote":
                line = b'a"b=1'
            elif broken == b"open":
                line += b' k="never closed'
        elif fmt in ("cri", "docker"):
            stream = pick("stdout", "stderr")
            t = "2016-10-06T00:17:%02d.%09dZ" % (r.randrange(60), r.randrange(10 ** 9))
            msg = pick("part", "message with spaces", "", "é ünicode", "{\"json\":1}", "tab\tin")
            last = r.random() < 0.6
            if fmt == "cri":
                line = ("%s %s %s %s" % (t, stream, "F" if last else "P", msg)).encode()
                if r.random() < 0.05:
                    line = pick(b"2016-10-06 stdout F x", b"not a cri line", b"2016-10-06T00:17:09Z stdin F x",
                                b"2016-10-06T00:17:09Z stdout X x")
            else:
                line = json.dumps({"log": msg + ("\n" if last else ""), "stream": stream, "time": t},
                                  ensure_ascii=r.random() < 0.5).encode()
                if r.random() < 0.05:
                    line = pick(b'{"log":1,"stream":"stdout","time":"x"}', b"not json",
                                b'{"log":"a\\n","stream":"stdin","time":"2016-10-06T00:17:09Z"}')
        else:
            raise SystemExit("gen: no generator for " + fmt)
        out.write(line + b"\n")


def main():
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    if sys.argv[1] == "check":
        fmt, inp, got, errors = sys.argv[2:6]
        types, pattern = {}, None
        args = sys.argv[6:]
        while args:
            if args[0] == "--types":
                types = dict(kv.split("=") for kv in args[1].split(","))
            elif args[0] == "--pattern":
                pattern = re.compile(args[1].replace("(?<", "(?P<").encode())
            args = args[2:]
        return check(fmt, inp, got, errors, types, pattern)
    raise SystemExit(__doc__)


sys.exit(main())
