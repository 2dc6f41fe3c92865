#!/bin/sh
# SIGHUP reloads under load (and survives a broken file), SIGTERM lets a
# request in flight finish, a killed worker is replaced, quickly dying
# workers are restarted with a growing delay.
. tests/lib.sh
. tests/integration/harness.sh

P=$(free_port)
PORT=$(free_port)
LIVE=$H_DIR/live.ini
cp "$H_POLICY" "$LIVE"
start_corsgate cg "tcp:127.0.0.1:$P" -c "$LIVE" -w 2 --allow-root || { finish; exit 1; }
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server 127.0.0.1:$P;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT
M=$(h_cg_pid cg)
LOG=$H_DIR/cg.log

y_preflight() {
	h_http OPTIONS "$URL/cors" 'Origin: http://y.com' 'Access-Control-Request-Method: PUT'
}
# install_policy EXTRA: the test policy with /cors also open to y.com, and
# EXTRA; replaces the live file atomically (rename), as an operator would.
install_policy() {
	sed 's|^allow_origin = http://x.com$|allow_origin = http://x.com http://y.com|' \
		"$H_POLICY" >"$H_DIR/new.ini"
	printf '%s\n' "$1" >>"$H_DIR/new.ini"
	mv "$H_DIR/new.ini" "$LIVE"
}

check_contains "before reload: y.com refused" "$(y_preflight)" "HTTP/1.1 403"

# ---- SIGHUP while wrk runs: no failed request, new policy after ----
wrk -t2 -c32 -d4s -H 'Origin: http://x.com' "$URL/cors" >"$H_DIR/wrk.out" 2>&1 &
wp=$!
sleep 1
install_policy ""
kill -HUP "$M"
sleep 1
kill -HUP "$M"
wait "$wp"
out=$(cat "$H_DIR/wrk.out")
check_contains "wrk ran" "$out" "requests in"
check_lacks "reload under load: no non-2xx" "$out" "Non-2xx"
check_lacks "reload under load: no socket errors" "$out" "Socket errors"
check_eq "reloaded twice" 2 "$(grep -c 'SIGHUP: reloading' "$LOG")"
r=$(y_preflight)
check_contains "after reload: y.com allowed" "$r" "HTTP/1.1 204"
check_contains "after reload: Allow-Origin y.com" "$r" "Access-Control-Allow-Origin: http://y.com"
W=$(h_workers "$M")
check_eq "reload keeps the workers" 2 "$(echo $W | wc -w | tr -d ' ')"

# ---- SIGHUP with a broken file: file:line logged, old policy stays ----
install_policy '[path /broken]
allow_methods = GET, P@T'
line=$(grep -n 'P@T' "$LIVE" | cut -d: -f1)
kill -HUP "$M"
if wait_for 5 "grep -q 'reload failed, keeping the old policy' '$LOG'"; then
	pass "broken file: reload refused"; else fail "broken file: reload refused" "$(tail "$LOG")"; fi
check_contains "broken file: error has file:line" "$(cat "$LOG")" "$LIVE:$line:"
check_contains "broken file: old policy still answers" "$(y_preflight)" \
	"Access-Control-Allow-Origin: http://y.com"
check_eq "broken file: same workers" "$W" "$(h_workers "$M")"

# ---- SIGKILL a worker: replaced, requests keep succeeding ----
victim=$(echo $W | awk '{print $1}')
kill -KILL "$victim"
if wait_for 10 "[ \$(h_workers $M | grep -cvx $victim) -eq 2 ]"; then
	pass "killed worker replaced"; else fail "killed worker replaced" "$(h_workers "$M")"; fi
check_contains "the death is logged with the signal" "$(cat "$LOG")" \
	"worker $victim killed by signal 9"
ok=0
for i in $(seq 20); do
	[ "$(h_status GET "$URL/ready")" = 200 ] && ok=$((ok + 1))
done
check_eq "requests succeed after the replacement" 20 "$ok"

# ---- workers dying at once: restarts slow down, then recover ----
for i in 1 2 3 4; do
	wait_for 10 "[ \$(h_workers $M | wc -l) -eq 2 ]"
	h_workers "$M" | xargs kill -KILL 2>/dev/null
	sleep 0.05
done
check_contains "fast deaths throttle restarts" "$(cat "$LOG")" "next start in"
if wait_for 15 "[ \$(h_workers $M | wc -l) -eq 2 ]"; then
	pass "workers back after the throttled restarts"; else fail "workers back after the throttled restarts"; fi
if wait_for 10 "h_ready tcp:127.0.0.1:$P"; then pass "serving again"; else fail "serving again"; fi

# ---- SIGTERM while a request is in flight ----
SOCK=$H_DIR/slow.sock
start_corsgate slow "unix:$SOCK" -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
S=$(h_cg_pid slow)
# params now, the body's end 2 s later: the request is in flight meanwhile
fcgi "unix:$SOCK" request -p REQUEST_METHOD=OPTIONS -p SCRIPT_NAME=/cors \
	-p HTTP_ORIGIN=http://x.com -p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
	--hold 2 >"$H_DIR/slow.out" 2>&1 &
cp=$!
sleep 0.5
t0=$(date +%s)
kill -TERM "$S"
wait "$cp"
check_contains "the request in flight is answered" "$(cat "$H_DIR/slow.out")" \
	"Access-Control-Allow-Origin: http://x.com"
if wait_for 10 "! h_alive $S"; then pass "then the master exits"; else fail "then the master exits"; fi
wait "$S"
check_eq "exit status 0" 0 "$?"
check_contains "shutdown logged" "$(cat "$H_DIR/slow.log")" "stopped"
check_eq "the socket file is removed" no "$([ -e "$SOCK" ] && echo yes || echo no)"

# ---- SIGINT stops too ----
kill -INT "$M"
if wait_for 15 "! h_alive $M"; then pass "SIGINT stops the master"; else fail "SIGINT stops the master"; fi
wait "$M"
check_eq "SIGINT: exit status 0" 0 "$?"
check_eq "no worker left" "" "$(h_workers "$M")"

finish
