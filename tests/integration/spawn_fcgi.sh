#!/bin/sh
# spawn-fcgi -F 2: two corsgate processes on one socket (fd 0 each), nginx
# in front; one of them stopped, the other still answers.
. tests/lib.sh
. tests/integration/harness.sh

SOCK=$H_DIR/spawn.sock
PORT=$(free_port)
start_spawn_fcgi sp "$SOCK" 2 -c "$H_POLICY" --allow-root || { finish; exit 1; }
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

PIDS=$(cat "$H_DIR/sp.pids")
check_eq "spawn-fcgi started two processes" 2 "$(echo $PIDS | wc -w | tr -d ' ')"
log=$(cat "$H_DIR/sp.log")
check_contains "corsgate took the socket on fd 0" "$log" "on fd 0: unix:$SOCK"
check_contains "one worker each (fd 0: the spawner sets the count)" "$log" \
	": 1 worker x"
for p in $PIDS; do
	check_eq "process $p runs one worker" 1 "$(h_workers "$p" | wc -l | tr -d ' ')"
done

h_reference_checks spawn-fcgi "$URL/cors"

out=$(wrk -t2 -c32 -d2s -H 'Origin: http://x.com' "$URL/cors" 2>&1)
check_lacks "wrk without non-2xx" "$out" "Non-2xx"
check_lacks "wrk without socket errors" "$out" "Socket errors"

first=$(echo $PIDS | awk '{print $1}')
kill -TERM "$first"
if wait_for 15 "! h_alive $first"; then pass "one process stops on SIGTERM"; else
	fail "one process stops on SIGTERM"; fi
ok=0
for i in $(seq 30); do
	[ "$(h_status OPTIONS "$URL/cors" 'Origin: http://x.com' \
		'Access-Control-Request-Method: PUT')" = 204 ] && ok=$((ok + 1))
done
check_eq "the other one answers every request" 30 "$ok"
check_eq "the socket file stays for the other one" yes \
	"$([ -S "$SOCK" ] && echo yes || echo no)"

finish
