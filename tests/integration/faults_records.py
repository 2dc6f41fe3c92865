#!/usr/bin/env python3
"""faults_records.py ADDR CGI_DIR - hostile FastCGI records for faults.sh.

Sends each case on a connection of its own, then checks that corsgate
closed (or answered) that connection within a bound, and that a normal
request on a new connection is still answered. Prints one line per check:
"ok NAME" or "FAIL NAME: detail". The cases: bad_input.sh's table, then
0x7fffffff name and value lengths, a nested BEGIN_REQUEST, records for
unknown request ids, ABORT_REQUEST while the script runs, and a request
whose params come in 10,000 PARAMS records of one byte each.
CGI_DIR holds the scripts ready and slow.sh (faults.sh writes them).
"""
import os
import socket
import struct
import sys
import time

ADDR, CGI = sys.argv[1], sys.argv[2]


def connect():
    if ADDR.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(ADDR[5:])
    else:
        host, port = ADDR[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def rec(rtype, rid, content=b"", ver=1, pad=None):
    if pad is None:
        pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", ver, rtype, rid, len(content), pad, 0) \
        + content + b"\0" * pad


def nvl(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pairs(ps):
    out = b""
    for k, v in ps:
        k, v = k.encode(), v.encode()
        out += nvl(len(k)) + nvl(len(v)) + k + v
    return out


def begin(rid=1, role=1, keep=0):
    return rec(1, rid, struct.pack(">HB5x", role, keep))


READY = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/ready"),
         ("SCRIPT_FILENAME", CGI + "/ready")]


def read_until_closed(s, wait):
    """('closed'|'open', bytes) after at most wait seconds."""
    s.settimeout(wait)
    got = b""
    end = time.time() + wait
    try:
        while time.time() < end:
            s.settimeout(max(0.05, end - time.time()))
            c = s.recv(65536)
            if not c:
                return "closed", got
            got += c
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        return "closed", got
    return "open", got


def stdout_of(got, rid=1):
    out, ended = b"", False
    while len(got) >= 8:
        ver, t, r, cl, pad, _ = struct.unpack(">BBHHBB", got[:8])
        if len(got) < 8 + cl + pad:
            break
        if t == 6 and r == rid:
            out += got[8:8 + cl]
        if t == 3 and r == rid:
            ended = True
        got = got[8 + cl + pad:]
    return out, ended


def ready_ok():
    try:
        s = connect()
        s.sendall(begin() + rec(4, 1, pairs(READY)) + rec(4, 1) + rec(5, 1))
        _, got = read_until_closed(s, 5)
        s.close()
        out, ended = stdout_of(got)
        return ended and b"ready" in out
    except OSError:
        return False


results = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    sys.stdout.flush()


def closed_case(name, data, wait=4.0):
    """The connection is closed within wait seconds; then ready works."""
    s = connect()
    try:
        s.sendall(data)
        state, _ = read_until_closed(s, wait)
    except (ConnectionResetError, BrokenPipeError):
        state = "closed"
    s.close()
    check(name + ": connection closed", state == "closed", state)
    check(name + ": next request served", ready_ok())


def answered_case(name, data, want, wait=5.0):
    """An answer holding want comes; then ready works."""
    s = connect()
    try:
        s.sendall(data)
        state, got = read_until_closed(s, wait)
    except (ConnectionResetError, BrokenPipeError):
        state, got = "closed", b""
    s.close()
    out, ended = stdout_of(got)
    check(name + ": answered", ended and want in out,
          "%s, %d bytes: %r" % (state, len(got), out[:120]))
    check(name + ": next request served", ready_ok())


P = pairs(READY)
# ---- bad_input.sh's table ----
closed_case("bad version", rec(1, 1, struct.pack(">HB5x", 1, 0), ver=2))
closed_case("PARAMS first", rec(4, 1, pairs([("A", "b")])) + rec(4, 1))
closed_case("unknown role", begin(role=7) + rec(4, 1, P) + rec(4, 1))
closed_case("FILTER role", begin(role=3) + rec(4, 1, P) + rec(4, 1))
closed_case("STDIN inside PARAMS", begin() + rec(4, 1, pairs([("A", "b")]))
            + rec(5, 1))
closed_case("version 0 in PARAMS", begin() + rec(4, 1, b"\x01\x01Ab", ver=0))
closed_case("pair cut by the end of params", begin() + rec(4, 1, b"\x05\x00")
            + rec(4, 1))
closed_case("one pair claiming 2 GiB", begin()
            + rec(4, 1, b"\xff\xff\xff\xff\x01") + rec(4, 1))
closed_case("half a record, then silence", bytes.fromhex("01010001"), wait=6)
# ---- and the campaign's ----
closed_case("name length 0x7fffffff", begin()
            + rec(4, 1, b"\xff\xff\xff\xff\x01AB") + rec(4, 1))
closed_case("name and value lengths 0x7fffffff", begin()
            + rec(4, 1, b"\xff\xff\xff\xff\xff\xff\xff\xffAB") + rec(4, 1))
closed_case("value length 0x7fffffff after a good pair", begin()
            + rec(4, 1, P + b"\x01\xff\xff\xff\xffX") + rec(4, 1))
# a second BEGIN_REQUEST inside the first request: refused or ignored,
# never a crash; the connection ends either way
s_nested = begin() + rec(4, 1, P) + begin() + rec(4, 1) + rec(5, 1)
sk = connect()
sk.sendall(s_nested)
state, got = read_until_closed(sk, 4)
sk.close()
check("nested BEGIN_REQUEST: connection ended or answered",
      state == "closed" or stdout_of(got)[1], state)
check("nested BEGIN_REQUEST: next request served", ready_ok())
# records for request ids that were never begun, around a good request
answered_case("unknown request ids", begin() + rec(4, 7, pairs([("A", "b")]))
              + rec(4, 1, P) + rec(5, 9, b"zz") + rec(4, 1) + rec(2, 3)
              + rec(5, 1), b"ready")
# 10,000 PARAMS records of one byte each: one valid params block. Without
# padding (9 bytes a record) they fit corsgate's window for a request's
# first records (the params + 32 KiB of framing) and are answered; padded
# to 8 (16 bytes a record) they do not, and the connection is closed
# (faults.sh checks the log line).
pad = ("HTTP_X_PAD", "p" * (10000 - len(P) - 15))
block = P + pairs([pad])
check("10,000 tiny PARAMS records: that many", len(block) == 10000,
      str(len(block)))
many = b"".join(rec(4, 1, block[i:i + 1], pad=0) for i in range(len(block)))
answered_case("10,000 tiny PARAMS records", begin() + many + rec(4, 1)
              + rec(5, 1), b"ready", wait=10)
many = b"".join(rec(4, 1, block[i:i + 1]) for i in range(len(block)))
closed_case("10,000 tiny PARAMS records, each padded (160 kB)", begin() + many
            + rec(4, 1) + rec(5, 1))
# ABORT_REQUEST while the script runs: the script is stopped, the
# connection ends, nothing is left running
pidfile = CGI + "/slow.sh.pid"
try:
    os.unlink(pidfile)
except FileNotFoundError:
    pass
sk = connect()
sk.sendall(begin() + rec(4, 1, pairs([("REQUEST_METHOD", "GET"),
                                      ("SCRIPT_NAME", "/slow.sh"),
                                      ("SCRIPT_FILENAME", CGI + "/slow.sh")]))
           + rec(4, 1) + rec(5, 1))
t0 = time.time()
while not os.path.exists(pidfile) and time.time() - t0 < 5:
    time.sleep(0.05)
time.sleep(0.2)
pid = int(open(pidfile).read().strip() or 0) if os.path.exists(pidfile) else 0
check("ABORT_REQUEST: the script started", pid > 0)
sk.sendall(rec(2, 1))
t0 = time.time()
state, got = read_until_closed(sk, 4)
sk.close()
_, ended = stdout_of(got)
check("ABORT_REQUEST: the request ends at once (not when the script does)",
      (state == "closed" or ended) and time.time() - t0 < 3,
      "%s after %.1f s" % (state, time.time() - t0))


def alive(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().split(")")[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


t0 = time.time()
while pid and alive(pid) and time.time() - t0 < 5:
    time.sleep(0.1)
check("ABORT_REQUEST: the script is stopped", pid and not alive(pid),
      "pid %d still runs" % pid)
check("ABORT_REQUEST: next request served", ready_ok())
