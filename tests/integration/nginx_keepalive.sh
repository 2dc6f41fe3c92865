#!/bin/sh
# nginx -> corsgate over TCP with upstream keepalive and fastcgi_keep_conn:
# a bounded load, then 200 parallel requests that must all complete (a
# worker sitting on an idle kept-alive connection would stall them).
. tests/lib.sh
. tests/integration/harness.sh

P1=$(free_port)
PORT=$(free_port)
start_corsgate cg "tcp:127.0.0.1:$P1" -c "$H_POLICY" -w 2 --allow-root || { finish; exit 1; }
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server 127.0.0.1:$P1;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

h_reference_checks nginx-tcp "$URL/cors"

# parallel N URL HEADER: N requests at once; prints how many got 200.
parallel() {
	seq "$1" | timeout 60 xargs -P "$1" -I{} \
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
		-H "$3" "$2" | grep -c '^200$'
}

out=$(wrk -t2 -c64 -d5s -H 'Origin: http://x.com' "$URL/cors" 2>&1)
n=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
if [ "${n:-0}" -ge 2000 ]; then pass "wrk: at least 2000 requests ($n)"; else
	fail "wrk: at least 2000 requests" "$out"; fi
check_lacks "wrk: no non-2xx answers" "$out" "Non-2xx"
check_lacks "wrk: no socket errors" "$out" "Socket errors"

check_eq "200 parallel requests complete" 200 \
	"$(parallel 200 "$URL/cors" 'Origin: http://x.com')"

# Fewer threads (8) than nginx keeps connections (2 x 32): idle kept-alive
# connections must give way to new ones instead of stalling them.
P2=$(free_port)
PORT2=$(free_port)
h_policy "$H_DIR/small.ini" '[gateway]
threads = 8'
start_corsgate small "tcp:127.0.0.1:$P2" -c "$H_DIR/small.ini" -w 1 --allow-root || { finish; exit 1; }
start_nginx ngx2 "$PORT2" "$(h_nginx_site "$PORT2" "server 127.0.0.1:$P2;")" || { finish; exit 1; }
# wrk leaves nginx holding idle kept-alive connections to all 8 threads;
# new connections must still get served.
out=$(wrk -t2 -c64 -d3s -H 'Origin: http://x.com' "http://127.0.0.1:$PORT2/cors" 2>&1)
check_lacks "8 threads: wrk without socket errors" "$out" "Socket errors"
check_lacks "8 threads: wrk without non-2xx" "$out" "Non-2xx"
t0=$(date +%s)
check_eq "8 threads, keepalive 32: 200 parallel requests complete" 200 \
	"$(parallel 200 "http://127.0.0.1:$PORT2/cors" 'Origin: http://x.com')"
t1=$(date +%s)
echo "     (took $((t1 - t0)) s)"
check_eq "8 threads: a second round completes too" 200 \
	"$(parallel 200 "http://127.0.0.1:$PORT2/ready" 'Origin: https://app.example.com')"
check_lacks "corsgate logged no error" "$(cat "$H_DIR/cg.log" "$H_DIR/small.log")" "error:"

finish
