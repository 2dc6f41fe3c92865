#!/bin/sh
# reload.sh - reload by worker generations. The master reads the policy
# once per SIGHUP and starts a new generation of workers on it; the old
# generation finishes what it has in flight and exits.
#
#   - a reload storm (50 SIGHUPs in 10 s) under load through nginx (wrk,
#     32 connections, preflights and scripts) loses no request, and nginx
#     logs no upstream error: kept-alive connections are handed to the new
#     generation, never closed under nginx;
#   - a worker never answers with two policies (the script prints its
#     worker's pid, corsgate adds the policy's expose_headers);
#   - an edit racing a reload is wholly in or wholly out: after every
#     round, every connection sees one policy (before, each worker read
#     the file again, and an edit in between split them);
#   - a bad policy reloaded under load changes nothing and loses nothing;
#   - within a second of a reload, new connections see the new policy.
. tests/lib.sh
. tests/integration/harness.sh

SOCK=$H_DIR/r.sock
POL=$H_DIR/r.ini
# policy VERSION: expose_headers and max_age name the version
policy() {
	h_policy "$POL.tmp" "[path /pid.sh]
allow_origin = https://app.example.com
expose_headers = X-V$1
max_age = $1

[path /cors-v]
allow_origin = http://x.com
allow_methods = PUT
allow_headers = X-V$1
max_age = $1"
	mv "$POL.tmp" "$POL"
}
h_script pid.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nworker %s\n' "$PPID"
EOF
policy 1
start_corsgate r "unix:$SOCK" -c "$POL" -w 2 --allow-root || {
	finish
	exit 1
}
M=$(h_cg_pid r)
PORT=$(free_port)
start_nginx ng "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || {
	finish
	exit 1
}
URL=http://127.0.0.1:$PORT

# one raw preflight on a new connection: "MAX_AGE ALLOW_HEADERS"
pre_raw() {
	fcgi "unix:$SOCK" request -p REQUEST_METHOD=OPTIONS -p SCRIPT_NAME=/cors-v \
		-p HTTP_ORIGIN=http://x.com -p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT |
		tr -d '\r' | awk -F': ' '
		/^Access-Control-Max-Age:/ {a = $2}
		/^Access-Control-Allow-Headers:/ {h = $2}
		END {print a, h}'
}
# the policies N new connections see, one line each, sorted and counted
seen_by() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		pre_raw
		_i=$((_i + 1))
	done | sort | uniq -c | awk '{print $2, $3}'
}

check_eq "start: the policy of version 1" "1 X-V1" "$(seen_by 4)"
W1=$(h_workers "$M")

# ---- a reload is a new generation, read once ----
policy 2
kill -HUP "$M"
wait_for 5 '[ "$(pre_raw)" = "2 X-V2" ]'
check_eq "reload: new connections see version 2" "2 X-V2" "$(seen_by 8)"
wait_for 10 '[ "$(h_workers "$M" | wc -l)" -eq 2 ]'
W2=$(h_workers "$M")
check_eq "reload: two workers" 2 "$(echo "$W2" | wc -l | tr -d ' ')"
check_eq "reload: no worker of the old generation left" "" \
	"$(printf '%s\n%s\n' "$W1" "$W2" | sort | uniq -d)"
check_contains "reload: logged as a generation" "$(cat "$H_DIR/r.log")" \
	"generation 2"

# ---- a request whose records have begun is served across the reload ----
# (its connection waits in the worker's waiting room meanwhile)
mkfifo "$H_DIR/go"
python3 - "$SOCK" "$H_DIR/go" >"$H_DIR/half.out" 2>&1 <<'PY' &
import socket, struct, sys
def rec(t, c=b""):
    pad = (8 - len(c) % 8) % 8
    return struct.pack(">BBHHBB", 1, t, 1, len(c), pad, 0) + c + b"\0" * pad
def nv(k, v):
    return bytes([len(k), len(v)]) + k + v
p = (nv(b"REQUEST_METHOD", b"OPTIONS") + nv(b"SCRIPT_NAME", b"/cors-v") +
     nv(b"HTTP_ORIGIN", b"http://x.com") +
     nv(b"HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"PUT"))
msg = rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, p) + rec(4) + rec(5)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(msg[:20])
print("half", flush=True)
open(sys.argv[2]).read()
s.sendall(msg[20:])
out = b""
s.settimeout(10)
while b"Status:" not in out or b"\r\n\r\n" not in out:
    d = s.recv(65536)
    if not d:
        break
    out += d
print(out.decode("latin-1").replace("\r", ""))
PY
HP=$!
wait_for 5 "grep -q half '$H_DIR/half.out'"
gens=$(grep -c "policy reloaded: generation" "$H_DIR/r.log")
kill -HUP "$M"
wait_for 5 '[ "$(grep -c "policy reloaded: generation" "$H_DIR/r.log")" -gt "$gens" ]'
echo go >"$H_DIR/go"
wait "$HP"
check_contains "a request begun before a reload is answered after it" \
	"$(cat "$H_DIR/half.out")" "Status: 204"

# ---- an edit racing a reload: wholly in or wholly out ----
split=0
r=0
while [ "$r" -lt 15 ]; do
	policy $((10 + r))
	kill -HUP "$M"
	policy $((50 + r)) # while the reload runs
	wait_for 5 '[ "$(h_workers "$M" | wc -l)" -eq 2 ]'
	s=$(seen_by 6)
	[ "$(echo "$s" | wc -l)" -eq 1 ] || {
		split=$((split + 1))
		echo "round $r: $s"
	}
	r=$((r + 1))
done
check_eq "an edit during a reload: every connection sees one policy" 0 "$split"
policy 3
kill -HUP "$M"
wait_for 5 '[ "$(pre_raw)" = "3 X-V3" ]'

# ---- a storm of reloads under load ----
cat >"$H_DIR/storm.lua" <<'LUA'
-- preflights and script runs in turn; counts statuses, and keeps one
-- line per script answer: its worker and the policy version it carried
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
	i, codes, seen = 0, {}, {}
	reqs = {
		wrk.format("OPTIONS", "/cors-v", { ["Origin"] = "http://x.com",
			["Access-Control-Request-Method"] = "PUT" }),
		wrk.format("GET", "/pid.sh", { ["Origin"] = "https://app.example.com" }),
	}
end
function request()
	i = i % #reqs + 1
	return reqs[i]
end
function response(status, headers, body)
	codes[status] = (codes[status] or 0) + 1
	local w = body and body:match("worker (%d+)")
	local v = headers["Access-Control-Expose-Headers"]
	if w then seen[w .. " " .. (v or "none")] = true end
end
function done(summary, latency, requests)
	local all = {}
	for _, t in ipairs(threads) do
		for code, c in pairs(t:get("codes")) do all[code] = (all[code] or 0) + c end
		for k, _ in pairs(t:get("seen")) do all["seen " .. k] = true end
	end
	for code, c in pairs(all) do
		if type(code) == "number" then io.write(string.format("CODE %d %d\n", code, c)) end
	end
	for k, _ in pairs(all) do
		if type(k) == "string" then io.write(k .. "\n") end
	end
	io.write(string.format("ERRORS %d %d %d %d %d\n", summary.errors.connect,
		summary.errors.read, summary.errors.write, summary.errors.status,
		summary.errors.timeout))
end
LUA
wrk -t2 -c32 -d12s --timeout 10s -s "$H_DIR/storm.lua" "$URL" >"$H_DIR/wrk.out" 2>&1 &
WP=$!
sleep 1
n=0
while [ "$n" -lt 50 ]; do
	policy $((100 + n % 7))
	kill -HUP "$M"
	sleep 0.2
	n=$((n + 1))
done
# a bad policy reloaded under load: refused, nothing changes
cp "$POL" "$H_DIR/good.ini"
printf '[cors]\nallow_origin = not an origin\n' >"$POL"
kill -HUP "$M"
sleep 0.5
wait "$WP"
OUT=$(cat "$H_DIR/wrk.out")
codes=$(echo "$OUT" | sed -n 's/^CODE //p' | sort)
check_eq "storm: only 200 and 204 answers" "200 204" \
	"$(echo "$codes" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
total=$(echo "$codes" | awk '{s += $2} END {print s + 0}')
check_eq "storm: thousands of requests served" yes \
	"$([ "$total" -ge 1000 ] && echo yes || echo "no ($total)")"
check_eq "storm: no socket error" "ERRORS 0 0 0 0 0" "$(echo "$OUT" | grep '^ERRORS')"
# The old generation hands its kept-alive connections to the new one
# instead of closing them under nginx: nginx never sees one fail.
check_lacks "storm: nginx logged no upstream error" \
	"$(cat "$H_DIR/ng/error.log")" "upstream"
# every worker answered under one policy
twice=$(echo "$OUT" | sed -n 's/^seen //p' | awk '{print $1}' | sort | uniq -d)
check_eq "storm: no worker answered with two policies" "" "$twice"
check_eq "storm: answers came from many generations" yes \
	"$([ "$(echo "$OUT" | grep -c '^seen ')" -ge 10 ] && echo yes || echo no)"
check_contains "bad policy: refused" "$(cat "$H_DIR/r.log")" \
	"reload failed, keeping the old policy"
V=$(sed -n 's/^max_age = //p' "$H_DIR/good.ini" | head -n 1)
check_eq "bad policy: the last good one still serves" "$V X-V$V" "$(seen_by 4)"
check_eq "storm: the master still runs" yes "$(h_alive "$M" && echo yes || echo no)"
wait_for 20 '[ "$(h_workers "$M" | wc -l)" -eq 2 ]'
check_eq "storm: the old generations are gone" 2 "$(h_workers "$M" | wc -l | tr -d ' ')"
check_eq "storm: no zombie" 0 "$(ps -o stat= --ppid "$M" | grep -c Z)"

finish
