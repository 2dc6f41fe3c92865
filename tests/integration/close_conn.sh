#!/bin/sh
# A connection the web server does not keep is closed as soon as its
# answer is out, when nothing is left unread on it: the thread is free for
# the next connection at once. (libfcgi's own close is a lingering one:
# shutdown, then it reads until the peer closes or stays silent for 2 s,
# and the thread waits meanwhile; only unread input needs that, and such a
# connection still gets it.)
#
# With one thread: A's script request (no FCGI_KEEP_CONN) is answered;
# A keeps its end open and sends a byte every 0.3 s. B asks meanwhile.
# B is answered, and A's connection was closed by corsgate while A was
# still sending: A's sends fail. (A lingering close reads A's bytes for
# as long as they come: all of A's sends succeed, and B waits for the end
# of A's trickle.)
. tests/lib.sh
. tests/integration/harness.sh

P=$(free_port)
A=tcp:127.0.0.1:$P
h_policy "$H_DIR/one.ini" '[gateway]
threads = 1'
start_corsgate cg "$A" -c "$H_DIR/one.ini" -w 1 --allow-root || { finish; exit 1; }

out=$(python3 - "$P" "$H_CGI" <<'PY' 2>&1
import socket, sys, threading, time
sys.path.insert(0, "tests/integration")
from fcgiclient import begin, record, params_bytes, read_response

port, cgi = int(sys.argv[1]), sys.argv[2]
GET = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/ready"),
       ("SCRIPT_FILENAME", cgi + "/ready")]
ROUNDS = 10
events = []


def say(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))


def ask(s):
    s.sendall(begin(1, keep=False) + record(4, 1, params_bytes(GET))
              + record(4, 1) + record(5, 1))
    return read_response(s, 1)[0]


def eof(s):
    try:
        return s.recv(1) == b""
    except OSError:
        return True


def trickle(s):
    sent = 0
    for _ in range(ROUNDS):
        try:
            s.sendall(b"x")
        except OSError:
            break
        sent += 1
        time.sleep(0.3)
    events.append(("trickle ended", sent))


a = socket.create_connection(("127.0.0.1", port))
a.settimeout(20)
say("A: answered", b"ready" in ask(a))
say("A: the answer ends with the connection's end", eof(a))
t = threading.Thread(target=trickle, args=(a,))
t.start()
time.sleep(0.1)  # A has sent its first byte
b = socket.create_connection(("127.0.0.1", port))
b.settimeout(20)
try:
    got = ask(b)
    events.append(("B answered", 0))
    say("B: answered", b"ready" in got, repr(got))
except Exception as e:
    say("B: answered", False, repr(e))
t.join()
b.close()
a.close()
# (not "B before the end of A's trickle": under load B's script may take
# longer than A's two sends)
sent = [e[1] for e in events if e[0] == "trickle ended"]
say("corsgate closed A while A was still sending (its sends failed)",
    sent and sent[0] < ROUNDS, repr(events))
print("close-conn: done")
PY
)
echo "$out"
T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
check_contains "the client ran to the end" "$out" "close-conn: done"
check_lacks "nothing logged as an error" "$(cat "$H_DIR/cg.log")" "error:"
finish
