#!/usr/bin/env python3
"""fcgiclient.py - a raw FastCGI client for the integration tests.

  fcgiclient.py ADDR request [-p NAME=VALUE]... [--stdin DATA]
                [--hold SECONDS] [--keep N]
      Sends one RESPONDER request (N times on one kept-alive connection
      with --keep) and prints the STDOUT stream of each response.
      --hold: send the params, wait SECONDS, then the (empty) stdin.
  fcgiclient.py ADDR raw HEX [--wait SECONDS]
      Sends HEX bytes, then reads until the server closes (or SECONDS pass)
      and prints "closed" or "open", and any bytes received as hex.
  fcgiclient.py ADDR oversize
      A valid BEGIN_REQUEST then 100 KiB of params; prints "closed"/"open".
  fcgiclient.py - build SPEC...
      Prints the hex of records: begin[:ROLE], param:NAME=VALUE,
      params-end, stdin-end, getvalues, record:VERSION:TYPE:ID:HEX.

ADDR is unix:/path, tcp:HOST:PORT or tcp:[V6]:PORT.
Exit status: 0 when it went as described, 1 on a protocol surprise.
"""
import socket
import struct
import sys
import time


def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
        return s
    hp = addr[4:]
    if hp.startswith("["):
        host, port = hp[1:].split("]:")
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    else:
        host, port = hp.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host, int(port)))
    return s


def record(rtype, rid, content=b""):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) \
        + content + b"\0" * pad


def nv_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def params_bytes(params):
    out = b""
    for k, v in params:
        k, v = k.encode(), v.encode()
        out += nv_len(len(k)) + nv_len(len(v)) + k + v
    return out


def begin(rid, role=1, keep=False):
    return record(1, rid, struct.pack(">HB5x", role, 1 if keep else 0))


def read_response(s, rid):
    """Returns (stdout bytes, app status) or raises EOFError."""
    buf = b""
    out = b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("closed after %d bytes" % len(out))
            buf += chunk
        ver, rtype, r, clen, pad, _ = struct.unpack(">BBHHBB", buf[:8])
        need = 8 + clen + pad
        while len(buf) < need:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("closed mid-record")
            buf += chunk
        content = buf[8:8 + clen]
        buf = buf[need:]
        if rtype == 6 and r == rid:
            out += content
        elif rtype == 3 and r == rid:
            return out, struct.unpack(">I", content[:4])[0]


def do_request(addr, args):
    params = []
    stdin = b""
    hold = 0.0
    keep = 1
    i = 0
    while i < len(args):
        if args[i] == "-p":
            k, _, v = args[i + 1].partition("=")
            params.append((k, v))
            i += 2
        elif args[i] == "--stdin":
            stdin = args[i + 1].encode()
            i += 2
        elif args[i] == "--hold":
            hold = float(args[i + 1])
            i += 2
        elif args[i] == "--keep":
            keep = int(args[i + 1])
            i += 2
        else:
            sys.exit("unknown argument " + args[i])
    s = connect(addr)
    s.settimeout(30)
    for n in range(keep):
        rid = 1
        msg = begin(rid, keep=keep > 1) + record(4, rid, params_bytes(params)) \
            + record(4, rid)
        s.sendall(msg)
        if hold:
            time.sleep(hold)
        for off in range(0, len(stdin), 32768):
            s.sendall(record(5, rid, stdin[off:off + 32768]))
        s.sendall(record(5, rid))
        out, _ = read_response(s, rid)
        sys.stdout.write(out.decode("utf-8", "replace"))
        if keep > 1:
            sys.stdout.write("\n--- end %d ---\n" % (n + 1))
    s.close()


def wait_closed(s, wait):
    s.settimeout(wait)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return "closed", got
            got += chunk
    except socket.timeout:
        return "open", got
    except ConnectionResetError:
        return "closed", got


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    addr, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "request":
        do_request(addr, args)
    elif mode == "raw":
        wait = 10.0
        if "--wait" in args:
            wait = float(args[args.index("--wait") + 1])
        s = connect(addr)
        s.sendall(bytes.fromhex(args[0]))
        state, got = wait_closed(s, wait)
        print(state, got.hex())
    elif mode == "build":
        out = b""
        for spec in args:
            kind, _, rest = spec.partition(":")
            if kind == "begin":
                out += begin(1, role=int(rest or 1))
            elif kind == "param":
                k, _, v = rest.partition("=")
                out += record(4, 1, params_bytes([(k, v)]))
            elif kind == "params-end":
                out += record(4, 1)
            elif kind == "stdin-end":
                out += record(5, 1)
            elif kind == "getvalues":
                out += record(9, 0, params_bytes([("FCGI_MPXS_CONNS", "")]))
            elif kind == "record":
                ver, rtype, rid, hexc = rest.split(":")
                c = bytes.fromhex(hexc)
                pad = (8 - len(c) % 8) % 8
                out += struct.pack(">BBHHBB", int(ver), int(rtype), int(rid),
                                   len(c), pad, 0) + c + b"\0" * pad
            else:
                sys.exit("unknown spec " + spec)
        print(out.hex())
    elif mode == "oversize":
        s = connect(addr)
        big = params_bytes([("HTTP_X_BIG_%d" % i, "x" * 1000)
                            for i in range(100)])
        msg = begin(1)
        for off in range(0, len(big), 32768):
            msg += record(4, 1, big[off:off + 32768])
        msg += record(4, 1)
        try:
            s.sendall(msg)
        except (BrokenPipeError, ConnectionResetError):
            print("closed")
            return
        state, _ = wait_closed(s, 10)
        print(state)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
