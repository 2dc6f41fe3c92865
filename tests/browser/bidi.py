#!/usr/bin/env python3
"""bidi.py PORT URL DOM CONSOLE [--wait-blocked SECONDS]

The Firefox half of the browser suite (tests/integration/browser_firefox.sh):
a minimal WebDriver BiDi client (the standard library only) for the Firefox
that listens on ws://127.0.0.1:PORT/session. Firefox headless has no
--dump-dom, and it writes the web console (where its CORS errors go) to no
file: this client asks for both over BiDi.

It opens a tab, subscribes to log.entryAdded (console messages and the
errors Firefox reports for the page, its "Cross-Origin Request Blocked: ..."
among them), loads URL, and waits - with a MutationObserver in the page, not
by polling - until the page's #results holds its DONE line. It writes that
text to DOM, and every log entry, one per line ("LEVEL TYPE: TEXT"), to
CONSOLE. Firefox reports a CORS error a moment after fetch() has failed:
for every case the page saw blocked it waits, at most --wait-blocked
seconds (5) in all, for an error naming that case's URL. Then it closes the
browser. Exits 0 when the page finished, 1 otherwise; every wait is bounded.
"""
import base64
import json
import os
import re
import socket
import struct
import sys
import time


class WebSocket:
    """Just enough of RFC 6455 for a client on loopback: text frames out
    (masked), text frames in (fragments joined), pings ignored."""

    def __init__(self, port, path, timeout):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError("handshake refused: " + status.decode(errors="replace"))

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("connection closed")
        self.buf += d

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        data = json.dumps(obj).encode()
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self, timeout):
        self.s.settimeout(timeout)
        msg = b""
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(n)
            op = b0 & 0x0F
            if op == 8:
                raise ConnectionError("closed by the browser")
            if op in (9, 10):
                continue
            msg += payload
            if b0 & 0x80:
                return json.loads(msg)


class Bidi:
    def __init__(self, port, timeout):
        self.ws = WebSocket(port, "/session", timeout)
        self.next_id = 0
        self.events = []

    def call(self, method, params, deadline):
        self.next_id += 1
        mid = self.next_id
        self.ws.send({"id": mid, "method": method, "params": params})
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            m = self.ws.recv(left)
            if m.get("type") == "event":
                self.events.append(m)
            elif m.get("id") == mid:
                if m.get("type") == "error":
                    raise RuntimeError(f"{method}: {m.get('error')}: {m.get('message')}")
                return m.get("result", {})

    def wait_event(self, deadline):
        """One more event, or None when the deadline passes."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            m = self.ws.recv(left)
        except (socket.timeout, TimeoutError):
            return None
        if m.get("type") == "event":
            self.events.append(m)
        return m


# Resolves with #results' text once it holds the DONE line.
WAIT_DONE = """() => new Promise((resolve) => {
    const el = document.getElementById('results');
    const check = () => {
        if (/(^|\\n)DONE\\t/.test(el.textContent)) { resolve(el.textContent); return true; }
        return false;
    };
    if (!check())
        new MutationObserver(() => check()).observe(el,
            { childList: true, characterData: true, subtree: true });
})"""


def log_lines(events):
    out = []
    for e in events:
        if e.get("method") != "log.entryAdded":
            continue
        p = e["params"]
        text = re.sub(r"[\r\n]+", " ", str(p.get("text", "")))
        out.append(f"{p.get('level')} {p.get('type')}: {text}")
    return out


def main():
    args = sys.argv[1:]
    wait_blocked = 5.0
    if "--wait-blocked" in args:
        i = args.index("--wait-blocked")
        wait_blocked = float(args[i + 1])
        del args[i:i + 2]
    port, url, dom_path, console_path = int(args[0]), args[1], args[2], args[3]
    start = time.monotonic()
    deadline = start + 30
    b = Bidi(port, 10)
    text = ""
    ok = False
    try:
        b.call("session.new", {"capabilities": {}}, deadline)
        b.call("session.subscribe", {"events": ["log.entryAdded"]}, deadline)
        ctx = b.call("browsingContext.create", {"type": "tab"}, deadline)["context"]
        b.call("browsingContext.navigate",
               {"context": ctx, "url": url, "wait": "complete"}, deadline)
        r = b.call("script.callFunction",
                   {"functionDeclaration": WAIT_DONE, "awaitPromise": True,
                    "target": {"context": ctx}}, deadline)
        if r.get("type") == "success":
            text = r["result"].get("value", "")
            ok = True
        else:
            text = "ERROR\t" + json.dumps(r.get("exceptionDetails", r))[:400]
        # the CORS errors of the blocked cases, as Firefox reports them
        blocked = [ln.split("\t")[1] for ln in text.split("\n")
                   if ln.startswith("RESULT\t") and ln.split("\t")[2:3] == ["blocked"]]
        pats = {n: re.compile(r"[?&]case=" + re.escape(n) + r"(?![A-Za-z0-9_])") for n in blocked}
        until = time.monotonic() + wait_blocked
        while True:
            seen = "\n".join(log_lines(b.events))
            if all(p.search(seen) for p in pats.values()):
                break
            if b.wait_event(until) is None:
                break
    except Exception as e:  # the suite reports what is missing
        text += f"\nERROR\tbidi: {type(e).__name__}: {e}"
    finally:
        with open(dom_path, "w") as f:
            f.write(text + "\n")
        with open(console_path, "w") as f:
            f.write("\n".join(log_lines(b.events)) + "\n")
        try:
            b.call("browser.close", {}, time.monotonic() + 5)
        except Exception:
            pass  # the suite kills what is left
    print(f"bidi: page {'done' if ok else 'NOT done'} in {time.monotonic() - start:.1f} s, "
          f"{len(log_lines(b.events))} log entries")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
