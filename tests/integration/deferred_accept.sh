#!/bin/sh
# A TCP socket corsgate binds hands it a connection only once the
# connection's first bytes are in (TCP_DEFER_ACCEPT, as nginx's "listen
# ... deferred"): a web server connects and sends its request at once, so
# no thread waits for the request of a connection just accepted, and a
# peer that connects and says nothing costs corsgate nothing.
#
# With one thread: A connects and says nothing. On corsgate's side the
# kernel still holds A (SYN-RECV), nothing accepted it. B connects and is
# answered. Then A sends its request and is answered too. A unix socket
# is unaffected (its request is answered as before).
. tests/lib.sh
export CORSGATE_IO_TIMEOUT=10
. tests/integration/harness.sh

P=$(free_port)
h_policy "$H_DIR/one.ini" '[gateway]
threads = 1'
start_corsgate cg "tcp:127.0.0.1:$P" -c "$H_DIR/one.ini" -w 1 --allow-root ||
	{ finish; exit 1; }
MARK=$H_DIR/a.connected
GO=$H_DIR/a.go

python3 - "$P" "$H_CGI" "$MARK" "$GO" >"$H_DIR/client.out" 2>&1 <<'PY' &
import os, socket, sys, time
sys.path.insert(0, "tests/integration")
from fcgiclient import begin, record, params_bytes, read_response

port, cgi, mark, go = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
GET = [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", "/ready"),
       ("SCRIPT_FILENAME", cgi + "/ready")]


def say(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))


def ask(s):
    s.sendall(begin(1) + record(4, 1, params_bytes(GET)) + record(4, 1)
              + record(5, 1))
    return read_response(s, 1)[0]


a = socket.create_connection(("127.0.0.1", port))
a.settimeout(20)
open(mark, "w").close()
for _ in range(200):  # the shell looks at A meanwhile, then says go
    if os.path.exists(go):
        break
    time.sleep(0.05)
b = socket.create_connection(("127.0.0.1", port))
b.settimeout(20)
try:
    say("B: answered while A says nothing", b"ready" in ask(b))
except Exception as e:
    say("B: answered while A says nothing", False, repr(e))
b.close()
try:
    say("A: answered once it sends its request", b"ready" in ask(a))
except Exception as e:
    say("A: answered once it sends its request", False, repr(e))
a.close()
print("deferred: done")
PY
client=$!
cleanup_add "kill $client"
if wait_for 10 "[ -e '$MARK' ]"; then pass "A connected"; else fail "A connected"; fi
sleep 0.2 # the handshake's last ACK is in on loopback long before this
held=$(ss -tn state syn-recv "( sport = :$P )" | tail -n +2 | wc -l)
est=$(ss -tn state established "( sport = :$P )" | tail -n +2 | wc -l)
check_eq "A, silent: held by the kernel (SYN-RECV), not accepted" "1 0" "$held $est"
: >"$GO"
wait "$client"
out=$(cat "$H_DIR/client.out")
echo "$out"
T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
check_contains "the client ran to the end" "$out" "deferred: done"

# a unix socket: no such option, answered as before
S=$H_DIR/u.sock
start_corsgate cgu "unix:$S" -c "$H_DIR/one.ini" -w 1 --allow-root ||
	{ finish; exit 1; }
check_contains "a unix socket's request answered" \
	"$(python3 tests/integration/fcgiclient.py "unix:$S" request \
		-p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
		-p "SCRIPT_FILENAME=$H_CGI/ready" 2>&1)" "ready"
check_lacks "nothing logged as an error" "$(cat "$H_DIR/cg.log" "$H_DIR/cgu.log")" "error:"
finish
