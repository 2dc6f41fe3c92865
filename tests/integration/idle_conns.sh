#!/bin/sh
# Idle kept-alive connections wait in the waiting room, not in threads:
# with one thread, a connection kept alive between two requests gives way
# to a new connection - which is served - and is not closed: its next
# request is answered too (before, it was closed for the new one, and a
# web server that had just picked it got an error). A peer that closes
# or resets a parked idle connection is not an error, and a stop does not
# wait for parked idle connections.
. tests/lib.sh
export CORSGATE_IO_TIMEOUT=30 # an idle connection may wait 60 s
. tests/integration/harness.sh

P=$(free_port)
A=tcp:127.0.0.1:$P
h_policy "$H_DIR/one.ini" '[gateway]
threads = 1
log_level = debug'
start_corsgate cg "$A" -c "$H_DIR/one.ini" -w 1 --allow-root || { finish; exit 1; }
M=$(h_cg_pid cg)
LOG=$H_DIR/cg.log

out=$(python3 - "$P" "$H_CGI" <<'PY' 2>&1
import socket, sys
sys.path.insert(0, "tests/integration")
from fcgiclient import begin, record, params_bytes, read_response

port, cgi = int(sys.argv[1]), sys.argv[2]
GET = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/ready"),
       ("SCRIPT_FILENAME", cgi + "/ready")]
PRE = [("REQUEST_METHOD", "OPTIONS"), ("SCRIPT_NAME", "/ready"),
       ("HTTP_ORIGIN", "https://app.example.com"),
       ("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "PUT")]


def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(20)
    return s


def ask(s, params, keep):
    s.sendall(begin(1, keep=keep) + record(4, 1, params_bytes(params))
              + record(4, 1) + record(5, 1))
    out, _ = read_response(s, 1)
    return out


def say(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))


a = conn()
# a preflight first: the thread's first request, answered without libfcgi
say("A: a preflight's answer, kept alive",
    b"Access-Control-Allow-Methods" in ask(a, PRE, True))
say("A: then a script's answer, kept alive", b"ready" in ask(a, GET, True))
# the one thread idles on A: B must still be served
b = conn()
try:
    got = ask(b, GET, False)
    say("B: a new connection is served while A is idle", b"ready" in got,
        repr(got))
except Exception as e:
    say("B: a new connection is served while A is idle", False, repr(e))
b.close()
# A was not closed for B: its next requests are answered
for name, params, want in (("a script", GET, b"ready"),
                           ("a preflight", PRE, b"Access-Control")):
    try:
        got = ask(a, params, True)
        say("A, after B: " + name + " answered on the same connection",
            want in got, repr(got))
    except Exception as e:
        say("A, after B: " + name + " answered on the same connection",
            False, repr(e))
# and again, with A and C taking turns on the one thread
c = conn()
ok = True
for i in range(20):
    for s in (a, c):
        try:
            ok = ok and b"ready" in ask(s, GET, True)
        except Exception as e:
            ok = False
say("A and C, 20 rounds each on one thread", ok)
# a parked idle connection closed or reset by the peer: not an error
c.close()
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
d = conn()
say("D served", b"ready" in ask(d, GET, True))
a.close()  # a reset: SO_LINGER 0
d.close()
print("parked-idle: done")
PY
)
echo "$out"
T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
check_contains "the client ran to the end" "$out" "parked-idle: done"
check_lacks "no idle connection was closed for a new one" \
	"$(cat "$LOG")" "closed an idle kept-alive connection"
check_lacks "a parked idle connection closed or reset: nothing logged" \
	"$(cat "$LOG")" "error:"

# A stop while an idle connection is parked: the worker does not wait
# for it (it would for 60 s), and closes it.
MARK=$H_DIR/parked
python3 - "$P" "$H_CGI" "$MARK" >"$H_DIR/stop.out" 2>&1 <<'PY' &
import os, socket, sys, time
sys.path.insert(0, "tests/integration")
from fcgiclient import begin, record, params_bytes, read_response

port, cgi, mark = int(sys.argv[1]), sys.argv[2], sys.argv[3]
GET = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/ready"),
       ("SCRIPT_FILENAME", cgi + "/ready")]


def ask(s, keep):
    s.sendall(begin(1, keep=keep) + record(4, 1, params_bytes(GET))
              + record(4, 1) + record(5, 1))
    return read_response(s, 1)[0]


a = socket.create_connection(("127.0.0.1", port))
a.settimeout(30)
ask(a, True)
b = socket.create_connection(("127.0.0.1", port))
b.settimeout(30)
ask(b, False)  # A is parked now
b.close()
open(mark, "w").close()
try:
    print("A after the stop:", "closed" if a.recv(1) == b"" else "data")
except OSError as e:
    print("A after the stop: closed (%s)" % e)
PY
client=$!
wait_for 20 "[ -e '$MARK' ]"
check_eq "the idle connection is parked" yes "$([ -e "$MARK" ] && echo yes || echo no)"
kill -TERM "$M"
wait_for 10 "! kill -0 $M 2>/dev/null"
check_eq "a stop does not wait for a parked idle connection" gone \
	"$(kill -0 "$M" 2>/dev/null && echo running || echo gone)"
wait "$client"
check_contains "the parked idle connection is closed at the stop" \
	"$(cat "$H_DIR/stop.out")" "A after the stop: closed"
finish
