#!/bin/sh
# lighttpd's mod_fastcgi starts corsgate itself (bin-path): the listening
# socket arrives on fd 0. etc/lighttpd/corsgate.conf with test paths.
. tests/lib.sh
. tests/integration/harness.sh

PORT=$(free_port)
SOCK=$H_DIR/lighttpd-cg.sock
start_lighttpd lt "$PORT" \
	"$(h_lighttpd_site "$SOCK" "$CORSGATE -c $H_POLICY --allow-root")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

h_reference_checks lighttpd "$URL/cors"

r=$(h_http OPTIONS "$URL/api/x" 'Origin: https://a.example.com' \
	'Access-Control-Request-Method: DELETE')
check_contains "lighttpd: default policy answers /api/x" "$r" \
	"Access-Control-Allow-Methods: GET, POST, PUT, DELETE"

master=$(ps -o pid=,args= --ppid "$(cat "$H_DIR/lt/pid")" | grep corsgate | awk '{print $1}' | head -n 1)
if [ -n "$master" ]; then pass "lighttpd spawned corsgate"; else
	fail "lighttpd spawned corsgate" "$(ps -ef | grep -v grep | grep corsgate)"; fi
log=$(cat "$H_DIR/lt/error.log" "$H_DIR/lt/stderr.log" 2>/dev/null)
check_contains "corsgate took the socket on fd 0" "$log" "on fd 0: unix:$SOCK"
check_contains "one worker per spawned process" "$log" "1 worker x"
[ -n "$master" ] && check_eq "its one worker runs" 1 "$(h_workers "$master" | wc -l | tr -d ' ')"
r=$(h_http OPTIONS "$URL/cors" 'Origin: http://evil.com' 'Access-Control-Request-Method: PUT')
check_contains "refused origin: 403" "$r" "HTTP/1.1 403"
wait_for 5 "grep -q 'origin http://evil.com: refused' '$H_DIR/lt/error.log' '$H_DIR/lt/stderr.log'"
check_contains "refusal logged through lighttpd" \
	"$(cat "$H_DIR/lt/error.log" "$H_DIR/lt/stderr.log" 2>/dev/null)" \
	"OPTIONS /cors origin http://evil.com: refused"

finish
