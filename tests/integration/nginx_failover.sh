#!/bin/sh
# nginx with two corsgate instances in one upstream: stop one, every
# request still succeeds through the other (fastcgi_next_upstream).
. tests/lib.sh
. tests/integration/harness.sh

P1=$(free_port)
P2=$(free_port)
PORT=$(free_port)
start_corsgate a "tcp:127.0.0.1:$P1" -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
start_corsgate b "tcp:127.0.0.1:$P2" -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
start_nginx ngx "$PORT" \
	"$(h_nginx_site "$PORT" "server 127.0.0.1:$P1; server 127.0.0.1:$P2;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

# count N: how many of N sequential preflights got 204
count() {
	_ok=0
	for _i in $(seq "$1"); do
		[ "$(h_status OPTIONS "$URL/cors" 'Origin: http://x.com' \
			'Access-Control-Request-Method: PUT')" = 204 ] && _ok=$((_ok + 1))
	done
	echo "$_ok"
}

check_eq "both up: 40 preflights answered" 40 "$(count 40)"
A=$(h_cg_pid a)
kill -TERM "$A"
if wait_for 15 "! h_alive $A"; then pass "instance a stops on SIGTERM"; else
	fail "instance a stops on SIGTERM"; fi
check_eq "one down: 40 preflights answered by the other" 40 "$(count 40)"
out=$(wrk -t2 -c16 -d2s -H 'Origin: http://x.com' "$URL/cors" 2>&1)
check_lacks "one down: wrk without non-2xx" "$out" "Non-2xx"
check_lacks "one down: wrk without socket errors" "$out" "Socket errors"
check_contains "instance a logged its shutdown" "$(cat "$H_DIR/a.log")" "stopped"

finish
