#!/bin/sh
# The script runner at the speed of the machine (issue 8): events, not
# sleeps, ordered by the test rather than timed.
#
# - The answer ends with the script's output: a script that closes its
#   stdout and stderr and then blocks on a FIFO is answered through nginx
#   while it still runs (the FIFO is opened only once curl has the answer),
#   and it is reaped once it exits: no zombie is left under the worker.
# - A trickled body: raw FastCGI, CONTENT_LENGTH 7, one STDIN byte at a
#   time, the next only when no answer has come within a second; the script
#   answers without reading stdin. The answer must come before the last
#   byte is sent (before, corsgate asked libfcgi for the whole body first
#   and the script's output waited for it).
# - Every child reaped: after a run of scripts that end every way (at the
#   end of their output, after it, killed on timeout, a grandchild holding
#   stdout), the worker has no zombie child.
. tests/lib.sh
. tests/integration/harness.sh

MARKS=$H_DIR/marks
mkdir -p "$MARKS"
FIFO=$MARKS/linger.fifo
mkfifo "$FIFO"
cleanup_add "exec 9<>'$FIFO'" # whatever still waits on it goes on

h_script linger.sh <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\ndone\n'
exec >&- 2>&-
read x <"$FIFO"
echo gone >"$MARKS/linger.gone"
EOF
h_script quick.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nquick\n'
EOF
h_script silent.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nsilent\n'
exec sleep 30
EOF
h_script holder.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nheld\n'
sleep 30 &
exit 0
EOF

POLICY=$H_DIR/runner.ini
h_policy "$POLICY" '[gateway]
script_timeout = 2'
SOCK=$H_DIR/cg.sock
start_corsgate cg "unix:$SOCK" -c "$POLICY" -w 1 --allow-root || {
	finish
	exit 1
}
MASTER=$(h_cg_pid cg)
WORKER=$(h_workers "$MASTER" | head -n 1)

PORT=$(free_port)
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || {
	finish
	exit 1
}

# zombies WORKER: its children in state Z.
zombies() {
	ps -o stat= --ppid "$1" 2>/dev/null | grep -c '^Z'
}

# ---- the answer ends with the output, not with the script -------------

r=$(h_http GET "http://127.0.0.1:$PORT/linger.sh")
check_contains "linger.sh: answered through nginx" "$r" "done"
check_eq "linger.sh: answered while the script still runs" "no" \
	"$([ -e "$MARKS/linger.gone" ] && echo yes || echo no)"
check_eq "linger.sh: the script is the worker's, alive" 1 \
	"$(ps -o args= --ppid "$WORKER" | grep -c 'linger.sh')"
: >"$FIFO" # let it go
if wait_for 10 "[ -e '$MARKS/linger.gone' ] && [ \$(ps -o pid= --ppid $WORKER | wc -l) -eq 0 ]"; then
	pass "linger.sh: reaped once it exits"
else
	fail "linger.sh: reaped once it exits" "$(ps -o pid,stat,args --ppid "$WORKER")"
fi
check_eq "linger.sh: no zombie" 0 "$(zombies "$WORKER")"

# ---- a trickled body does not hold the answer back ---------------------

out=$(python3 - "$SOCK" "$H_CGI/quick.sh" <<'PY'
import select, socket, struct, sys

sock, script = sys.argv[1], sys.argv[2]

def rec(t, content=b""):
    return struct.pack(">BBHHBB", 1, t, 1, len(content), 0, 0) + content

def nv(k, v):
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v

params = b"".join(nv(k, v) for k, v in [
    ("REQUEST_METHOD", "POST"), ("SCRIPT_NAME", "/quick.sh"),
    ("SCRIPT_FILENAME", script), ("CONTENT_LENGTH", "7"),
    ("CONTENT_TYPE", "text/plain")])
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, params) + rec(4))
body = b"abcdefg"
got = b""
sent = 0
# one byte, then wait up to a second for the answer before the next
while sent < len(body) and b"quick" not in got:
    s.sendall(rec(5, body[sent:sent + 1]))
    sent += 1
    r, _, _ = select.select([s], [], [], 1.0)
    if r:
        got += s.recv(65536)
print("sent %d of %d bytes when the answer came" % (sent, len(body))
      if b"quick" in got else "no answer before the body was complete")
# the rest, then read to the end (bounded)
try:
    s.sendall(rec(5, body[sent:]) + rec(5))
except OSError:
    pass
s.settimeout(10)
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError:
    pass
print("answer:", "quick" if b"quick" in got else "none")
PY
)
check_contains "trickled body: the answer came before the body's end" "$out" "when the answer came"
check_lacks "trickled body: not after the whole body" "$out" "sent 7 of 7"
check_contains "trickled body: answered" "$out" "answer: quick"

# ---- every way a script ends: each reaped ------------------------------

for s in quick.sh silent.sh holder.sh quick.sh; do
	h_http GET "http://127.0.0.1:$PORT/$s" >/dev/null
done
if wait_for 15 "[ \$(ps -o pid= --ppid $WORKER | wc -l) -eq 0 ]"; then
	pass "scripts ending every way: all reaped"
else
	fail "scripts ending every way: all reaped" "$(ps -o pid,stat,args --ppid "$WORKER")"
fi
check_eq "no zombie under the worker" 0 "$(zombies "$WORKER")"
check_eq "the worker kept its threads (no thread per script)" \
	"$(ls /proc/"$WORKER"/task | wc -l)" \
	"$(h_http GET "http://127.0.0.1:$PORT/linger.sh" >/dev/null; ls /proc/"$WORKER"/task | wc -l)"
: >"$FIFO"
finish
