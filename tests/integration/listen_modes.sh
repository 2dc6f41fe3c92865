#!/bin/sh
# The ways corsgate gets its socket: tcp:[::1], unix (mode, stale file,
# live server), systemd socket activation, and the errors.
. tests/lib.sh
. tests/integration/harness.sh

# ---- IPv6 behind nginx ----
P6=$(free_port)
PORT=$(free_port)
if python3 -c "import socket; socket.socket(socket.AF_INET6).bind(('::1', 0))" 2>/dev/null; then
	start_corsgate v6 "tcp:[::1]:$P6" -c "$H_POLICY" -w 1 --allow-root &&
		start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server [::1]:$P6;")" &&
		h_reference_checks ipv6 "http://127.0.0.1:$PORT/cors"
	check_contains "listening on [::1]" "$(cat "$H_DIR/v6.log")" "on tcp:[::1]:$P6"
	check_eq "v6 only: not on 127.0.0.1" fail \
		"$(h_ready "tcp:127.0.0.1:$P6" && echo ok || echo fail)"
else
	pass "ipv6: no ::1 here, skipped"
fi

# ---- unix socket mode ----
start_corsgate m600 "unix:$H_DIR/m600.sock" -m 0600 -c "$H_POLICY" -w 1 --allow-root
check_eq "-m 0600 sets the socket mode" 600 "$(stat -c %a "$H_DIR/m600.sock")"
h_kill "$(h_cg_pid m600)"
check_eq "the socket file is removed at exit" no \
	"$([ -e "$H_DIR/m600.sock" ] && echo yes || echo no)"

# ---- a stale socket file is replaced ----
STALE=$H_DIR/stale.sock
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()" "$STALE"
check_eq "stale socket file exists" yes "$([ -S "$STALE" ] && echo yes || echo no)"
start_corsgate stale "unix:$STALE" -c "$H_POLICY" -w 1 --allow-root
check_contains "stale socket replaced" "$(cat "$H_DIR/stale.log")" "removed a stale socket"

# ---- a live one is refused, and not unlinked ----
ino=$(stat -c %i "$STALE")
"$CORSGATE" serve -s "unix:$STALE" -c "$H_POLICY" -w 1 --allow-root 2>"$H_DIR/live.log" &
lp=$!
cleanup_add "h_kill $lp"
if wait_for 10 "! h_alive $lp"; then pass "second instance exits"; else fail "second instance exits"; fi
wait "$lp"
check_eq "second instance exits 1" 1 "$?"
check_contains "it says another server answers" "$(cat "$H_DIR/live.log")" \
	"another server answers on this socket"
check_eq "the live socket file is untouched" "$ino" "$(stat -c %i "$STALE")"
if h_ready "unix:$STALE"; then pass "the first instance still answers"; else
	fail "the first instance still answers"; fi

# ---- a file that is not a socket is never replaced ----
echo data >"$H_DIR/plain"
"$CORSGATE" serve -s "unix:$H_DIR/plain" -c "$H_POLICY" --allow-root 2>"$H_DIR/plain.log"
check_eq "not a socket: exit 1" 1 "$?"
check_eq "not a socket: file kept" data "$(cat "$H_DIR/plain")"

# ---- systemd socket activation (LISTEN_FDS / LISTEN_PID) ----
SD=$H_DIR/systemd.sock
cat >"$H_DIR/sd.py" <<'PY'
import os, socket, sys
# Bind like systemd, put the socket on fd 3, and exec corsgate with
# LISTEN_PID set to our own pid (exec keeps it).
path, prog = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(128)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execve(prog[0], prog, env)
PY
python3 "$H_DIR/sd.py" "$SD" "$CORSGATE" serve -c "$H_POLICY" -w 1 --allow-root \
	</dev/null 2>"$H_DIR/sd.log" &
sdp=$!
cleanup_add "h_kill $sdp"
if wait_for 10 "h_ready unix:$SD"; then pass "systemd: serves on the passed socket"; else
	fail "systemd: serves on the passed socket" "$(cat "$H_DIR/sd.log")"; fi
check_contains "systemd: says where the socket came from" "$(cat "$H_DIR/sd.log")" \
	"on systemd unix:$SD"
r=$(fcgi "unix:$SD" request -p REQUEST_METHOD=OPTIONS -p SCRIPT_NAME=/cors \
	-p HTTP_ORIGIN=http://x.com -p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT)
check_contains "systemd: reference preflight" "$r" "Access-Control-Allow-Origin: http://x.com"
h_kill "$sdp"
check_eq "systemd: the socket file is systemd's, not removed" yes \
	"$([ -S "$SD" ] && echo yes || echo no)"

# ---- errors ----
"$CORSGATE" serve -c "$H_POLICY" --allow-root </dev/null 2>"$H_DIR/none.log"
check_eq "no socket: exit 1" 1 "$?"
check_contains "no socket: says so" "$(cat "$H_DIR/none.log")" \
	"no socket: use -s or start under spawn-fcgi"
"$CORSGATE" serve -s "udp:1.2.3.4:5" -c "$H_POLICY" --allow-root 2>"$H_DIR/bad.log"
check_eq "bad -s: exit 1" 1 "$?"
check_contains "bad -s: says what is accepted" "$(cat "$H_DIR/bad.log")" "expected unix:/PATH"
"$CORSGATE" serve -s "unix:$H_DIR/x.sock" -m 0999 -c "$H_POLICY" --allow-root 2>"$H_DIR/mode.log"
check_eq "bad -m: exit 1" 1 "$?"
P=$(free_port)
h_policy "$H_DIR/gw.ini" "[gateway]
listen = tcp:127.0.0.1:$P
workers = 3"
start_corsgate gw "tcp:127.0.0.1:$P" -c "$H_DIR/gw.ini" --allow-root
check_contains "[gateway] workers used" "$(cat "$H_DIR/gw.log")" "3 workers x 64 threads"
check_eq "three workers run" 3 "$(h_workers "$(h_cg_pid gw)" | wc -l | tr -d ' ')"

finish
