#!/bin/sh
# The script runner behind nginx (etc/nginx/corsgate.conf): the script's
# answer rewritten (one Allow-Origin, Vary merged) or untouched where the
# policy is disabled, statuses kept, the echo scripts in sh, Perl and
# Python, every error answer with its one log line, httpoxy, the script's
# environment, a script that writes before it reads, streaming, a client
# that goes away, and no zombie, fd or memory left after 10,000 requests.
. tests/lib.sh
. tests/integration/harness.sh

MARKS=$H_DIR/marks
OUT=$H_DIR/outside
mkdir -p "$MARKS" "$OUT" "$H_CGI/sub" "$H_CGI/internal" "$H_CGI/blocked" \
	"$H_CGI/adir"
RCGI=$(cd "$H_CGI" && pwd -P)

# script NAME: h_script, with @MARKS@ replaced by $MARKS.
script() {
	h_script "$1"
	sed -i "s|@MARKS@|$MARKS|g" "$H_CGI/$1"
}
# mark.sh?NAME leaves $MARKS/NAME behind: proof that it ran.
script mark.sh <<'EOF'
#!/bin/sh
name=$(printf '%s' "$QUERY_STRING" | tr -cd 'a-z0-9')
: >"@MARKS@/${name:-none}"
printf 'Content-Type: text/plain\r\n\r\nmarked %s\n' "$name"
EOF
cp "$H_CGI/mark.sh" "$H_CGI/blocked/mark.sh"
cp "$H_CGI/vary.sh" "$H_CGI/internal/vary.sh"
cp "$H_CGI/env.sh" "$H_CGI/sub/env.sh"
script badinterp.sh <<'EOF'
#!/nonexistent/interp
EOF
script early.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n'
EOF
script malformed.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\nthis line has no colon\r\n\r\nbody\n'
EOF
# silent longer than script_timeout (2 s here), its sleep in the background
script silent.sh <<'EOF'
#!/bin/sh
echo $$ >"@MARKS@/silent.pid"
sleep 30 &
echo $! >"@MARKS@/silent.sleep.pid"
wait
EOF
# a line every 0.2 s for ever; it ignores SIGPIPE and write errors, so
# only a signal from corsgate stops it
script forever.sh <<'EOF'
#!/bin/sh
trap '' PIPE
echo $$ >"@MARKS@/forever.pid"
printf 'Content-Type: text/plain\r\n\r\n'
i=0
while :; do
	i=$((i + 1))
	printf 'line %d\n' "$i" 2>/dev/null
	sleep 0.2
done
EOF
script proxy.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
for v in HTTP_PROXY http_proxy HTTP_X_OTHER; do
	if eval "[ \"\${$v+set}\" = set ]"; then echo "$v set"; else echo "$v unset"; fi
done
EOF
# outside the root, reached through a symlink inside it
cat >"$OUT/escape.sh" <<EOF
#!/bin/sh
: >"$MARKS/escaped"
printf 'Content-Type: text/plain\r\n\r\nescaped\n'
EOF
chmod 755 "$OUT/escape.sh"
ln -s "$OUT/escape.sh" "$H_CGI/escape.sh"
ln -s ready "$H_CGI/inlink.sh"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nran\\n"\n' >"$H_CGI/noexec.sh"
chmod 644 "$H_CGI/noexec.sh"
cleanup_add "[ -f '$MARKS/forever.pid' ] && kill -KILL \$(cat '$MARKS/forever.pid')"
cleanup_add "[ -f '$MARKS/silent.sleep.pid' ] && kill -KILL \$(cat '$MARKS/silent.sleep.pid')"

POLICY=$H_DIR/cgi.ini
h_policy "$POLICY" '[gateway]
script_timeout = 2
max_body = 2m
[path /internal/*]
enabled = false
[path /blocked/*]
block_disallowed = true'

SOCK=$H_DIR/cg.sock
PORT=$(free_port)
LOG=$H_DIR/cg.log
export FOO_SECRET=topsecret
start_corsgate cg "unix:$SOCK" -c "$POLICY" -w 1 --allow-root || { finish; exit 1; }
unset FOO_SECRET
M=$(h_cg_pid cg)
W=$(h_workers "$M")
# the worker's descriptors before any web server connects, once its only
# socket is the listening one (h_ready's connection closed) and h_ready's
# script is reaped (its pidfd closed); compared at the end, once nginx is
# gone
fds() { ls "/proc/$W/fd" 2>/dev/null | wc -l; }
sockets() { ls -l "/proc/$W/fd" 2>/dev/null | grep -c 'socket:'; }
pidfds() { ls -l "/proc/$W/fd" 2>/dev/null | grep -c 'pidfd'; }
wait_for 5 "[ \$(sockets) -eq 1 ] && [ \$(pidfds) -eq 0 ]"
FD0=$(fds)
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT
APP='https://app.example.com'

# logged FRAGMENT NAME: the log has exactly one line with FRAGMENT.
logged() {
	wait_for 3 "grep -qF '$1' '$LOG'"
	check_eq "$2: one log line" 1 "$(grep -cF "$1" "$LOG")"
}

# ---- rewriting ----
h_script_checks nginx "$URL" "$APP"
wait_for 3 "grep -q 'fail.sh: something went wrong' '$H_DIR/ngx/error.log'"
check_contains "a script's stderr reaches nginx's error log (FastCGI stderr)" \
	"$(cat "$H_DIR/ngx/error.log")" "fail.sh: something went wrong"

r=$(h_http GET "$URL/internal/vary.sh" "Origin: $APP")
check_contains "enabled = false: the script runs" "$r" "HTTP/1.1 200"
check_contains "enabled = false: the script's Allow-Origin * passes" \
	"$(h_headers "$r")" "Access-Control-Allow-Origin: *"
check_eq "enabled = false: only the script's Allow-Origin" 1 \
	"$(h_count "$r" Access-Control-Allow-Origin)"
check_eq "enabled = false: the script's Vary alone" "Vary: Accept-Encoding" \
	"$(h_headers "$r" | grep -i '^Vary:')"

r=$(h_http GET "$URL/mark.sh?refused" 'Origin: https://evil.com')
check_contains "refused origin: the script ran" "$(h_body "$r")" "marked refused"
check_eq "refused origin: its side effect" yes \
	"$([ -f "$MARKS/refused" ] && echo yes || echo no)"
check_lacks "refused origin: no Access-Control-Allow-* at all" \
	"$(h_headers "$r")" "Access-Control-Allow-"
check_contains "refused origin: Vary: Origin" "$(h_headers "$r")" "Vary: Origin"

r=$(h_http GET "$URL/blocked/mark.sh?blockedok" "Origin: $APP")
check_contains "block_disallowed, allowed origin: the script runs" "$r" "HTTP/1.1 200"
check_eq "block_disallowed, allowed origin: its side effect" yes \
	"$([ -f "$MARKS/blockedok" ] && echo yes || echo no)"
r=$(h_http GET "$URL/blocked/mark.sh?blocked" 'Origin: https://evil.com')
check_contains "block_disallowed, refused origin: 403" "$r" "HTTP/1.1 403"
check_lacks "block_disallowed: no Allow-*" "$(h_headers "$r")" "Access-Control-Allow-"
check_eq "block_disallowed: the script did not run" no \
	"$([ -f "$MARKS/blocked" ] && echo yes || echo no)"

# ---- the echo scripts ----
# jget JSON KEY
jget() {
	printf '%s' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2" 2>&1
}
for s in echo.sh echo.pl echo.py; do
	for m in POST PUT; do
		j=$(curl -s --max-time 20 -X "$m" --data-binary "body of a $m" \
			-H 'Content-Type: text/plain' -H 'X-Custom-Header: custom-42' \
			-H "Origin: $APP" "$URL/$s?q=1")
		check_eq "$s $m: method" "$m" "$(jget "$j" method)"
		check_eq "$s $m: body" "body of a $m" "$(jget "$j" body)"
		check_eq "$s $m: X-Custom-Header" custom-42 "$(jget "$j" x_custom_header)"
	done
	j=$(curl -s --max-time 20 "$URL/$s?a=1&b=2")
	check_eq "$s GET: method, query, no body" "GET a=1&b=2 " \
		"$(jget "$j" method) $(jget "$j" query) $(jget "$j" body)"
done

# ---- errors: status, and one log line naming the path and why ----
check_eq "missing script: 404" 404 "$(h_status GET "$URL/missing.sh")"
logged "GET $H_CGI/missing.sh: no such script: answered 404" "missing script"

check_eq "symlink inside the root to inside: runs" 200 "$(h_status GET "$URL/inlink.sh")"
check_eq "symlink escaping the root: 403" 403 "$(h_status GET "$URL/escape.sh")"
logged "GET $H_CGI/escape.sh: outside cgi_root (after resolving symlinks) (resolves to $(readlink -f "$H_CGI/escape.sh"); to run it, add to [gateway]: cgi_root = $H_CGI/escape.sh): answered 403" \
	"symlink escape"
check_eq "symlink escape: the target did not run" no \
	"$([ -f "$MARKS/escaped" ] && echo yes || echo no)"

check_eq "not executable: 403" 403 "$(h_status GET "$URL/noexec.sh")"
logged "GET $H_CGI/noexec.sh: not executable: answered 403" "not executable"

check_eq "a directory: 403" 403 "$(h_status GET "$URL/adir")"
logged "GET $H_CGI/adir: not a regular file: answered 403" "a directory"

r=$(fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/nowhere)
check_contains "params naming no script: 500" "$r" "Status: 500"
logged "GET /nowhere: the web server passes neither SCRIPT_FILENAME nor DOCUMENT_ROOT and SCRIPT_NAME: answered 500" \
	"params naming no script"

r=$(h_http GET "$URL/badinterp.sh" "Origin: $APP")
check_contains "bad interpreter: 502" "$r" "HTTP/1.1 502"
check_contains "bad interpreter: still with Allow-Origin" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: $APP"
logged "$RCGI/badinterp.sh: cannot run: No such file or directory: answered 502" \
	"bad interpreter (errno named)"

check_eq "exits before the end of its headers: 502" 502 "$(h_status GET "$URL/early.sh")"
logged "$H_CGI/early.sh: the script ended before the end of its headers, line 1: \"Content-Type: text/plain\\r\\n\"" \
	"exits before the end of its headers"

check_eq "malformed header line: 502" 502 "$(h_status GET "$URL/malformed.sh")"
logged "$H_CGI/malformed.sh: bad output: a header line without ':', line 2: \"this line has no colon\\r\\n\\r\\nbody\\n\"; expected \"Name: value\" header lines (at least Content-Type, Location or Status), then a blank line: answered 502" \
	"malformed header line"

t0=$(date +%s%N)
check_eq "silent past script_timeout: 504" 504 "$(h_status GET "$URL/silent.sh")"
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -ge 1800 ] && [ "$ms" -lt 8000 ]; then pass "504 after script_timeout (${ms} ms)"; else
	fail "504 after script_timeout (2 s)" "took $ms ms"; fi
logged "$H_CGI/silent.sh: timed out after 2s: answered 504" "timeout"
sp=$(cat "$MARKS/silent.pid" 2>/dev/null)
slp=$(cat "$MARKS/silent.sleep.pid" 2>/dev/null)
check_eq "silent.sh recorded its pids" yes "$([ -n "$sp" ] && [ -n "$slp" ] && echo yes || echo no)"
if wait_for 5 "! h_alive ${slp:-0} && ! h_alive ${sp:-0}"; then
	pass "timeout: the script and its sleep 30 are gone"; else
	fail "timeout: the script and its sleep 30 are gone" "$(ps -o pid,stat,args -p "$sp,$slp")"; fi
# the sleep, orphaned, may stay a zombie until init reaps it
if wait_for 5 "[ -z \"\$(pgrep -s ${sp:-1})\" ]"; then
	pass "timeout: nothing left in the script's session (pgrep -s)"; else
	fail "timeout: nothing left in the script's session (pgrep -s)" \
		"$(ps -o pid,ppid,stat,args -s "$sp")"; fi

head -c 3145728 /dev/zero >"$H_DIR/3m.bin"
check_eq "body over max_body: 413" 413 \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --data-binary @"$H_DIR/3m.bin" "$URL/mark.sh?toobig")"
logged "POST $H_CGI/mark.sh: body of 3145728 bytes over max_body (2097152): answered 413" \
	"body over max_body"
check_eq "body over max_body: the script did not run" no \
	"$([ -f "$MARKS/toobig" ] && echo yes || echo no)"

# no cgi_root at all: a second corsgate
h_policy "$H_DIR/noroot.ini"
sed -i '/^cgi_root = /d' "$H_DIR/noroot.ini"
P2=$(free_port)
H_READY=h_answers
start_corsgate noroot "tcp:127.0.0.1:$P2" -c "$H_DIR/noroot.ini" -w 1 --allow-root
H_READY=
r=$(fcgi "tcp:127.0.0.1:$P2" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
	-p "SCRIPT_FILENAME=$H_CGI/ready")
check_contains "no cgi_root: 500" "$r" "Status: 500"
check_lacks "no cgi_root: the script did not run" "$r" "ready"
wait_for 3 "grep -q 'cgi_root is not set' '$H_DIR/noroot.log'"
check_eq "no cgi_root: one log line with the path" 1 \
	"$(grep -cF "GET $H_CGI/ready: [gateway] cgi_root is not set" "$H_DIR/noroot.log")"

# ---- httpoxy, through corsgate alone ----
r=$(fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/proxy.sh \
	-p "SCRIPT_FILENAME=$H_CGI/proxy.sh" -p HTTP_PROXY=http://evil \
	-p http_proxy=http://evil -p HTTP_X_OTHER=x)
check_contains "httpoxy: another HTTP_ param passes" "$r" "HTTP_X_OTHER set"
check_contains "httpoxy: HTTP_PROXY from the web server stripped" "$r" "HTTP_PROXY unset"
check_contains "httpoxy: http_proxy stripped too" "$r" "http_proxy unset"

# ---- the environment ----
body=$(h_body "$(h_http GET "$URL/env.sh")")
check_contains "env: pass_env's default PATH" "$body" \
	"$(tr '\0' '\n' <"/proc/$W/environ" | grep '^PATH=')"
check_contains "env: corsgate has FOO_SECRET" "$(tr '\0' '\n' <"/proc/$W/environ")" \
	"FOO_SECRET=topsecret"
check_lacks "env: the script does not" "$body" "FOO_SECRET"
check_contains "env: GATEWAY_INTERFACE" "$body" "GATEWAY_INTERFACE=CGI/1.1"
check_contains "env: SCRIPT_NAME" "$body" "SCRIPT_NAME=/env.sh"
check_contains "env: SCRIPT_FILENAME" "$body" "SCRIPT_FILENAME=$H_CGI/env.sh"
check_contains "env: working directory = the script's" "$body" "pwd=$RCGI
"
check_contains "env: working directory of sub/env.sh" \
	"$(h_body "$(h_http GET "$URL/sub/env.sh")")" "pwd=$RCGI/sub
"

# ---- a script that writes 1 MiB before reading its 1 MiB body ----
h_write_before_read nginx "$URL/bigwrite.sh"

# ---- streaming: stream.sh's 3 lines, one a second, arrive spread out ----
cat >"$H_DIR/arrivals.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
s.sendall(b"GET /stream.sh?lines=3 HTTP/1.1\r\nHost: localhost\r\n"
          b"Origin: https://app.example.com\r\nConnection: close\r\n\r\n")
t0 = time.monotonic()
buf, seen = b"", {}
while len(seen) < 3:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    for i in (1, 2, 3):
        if i not in seen and b"data: tick %d\n" % i in buf:
            seen[i] = time.monotonic() - t0
print("%.2f %.2f" % (seen.get(1, -1), seen.get(3, -1)))
PY
set -- $(python3 "$H_DIR/arrivals.py" "$PORT")
first=${1:--1}
last=${2:--1}
if python3 -c "import sys; sys.exit(not (0 <= $first and $last - $first >= 1.5))"; then
	pass "streaming: line 1 at ${first}s, line 3 at ${last}s"; else
	fail "streaming: line 3 at least 1.5 s after line 1" "line 1 at $first s, line 3 at $last s"; fi

# ---- the client goes away: the script is killed ----
curl -s -o /dev/null --max-time 1 "$URL/forever.sh"
check_eq "client abort: curl gave up (timeout)" 28 "$?"
fp=$(cat "$MARKS/forever.pid" 2>/dev/null)
check_eq "forever.sh started" yes "$([ -n "$fp" ] && echo yes || echo no)"
if wait_for 5 "! h_alive ${fp:-0}"; then pass "client abort: the script is gone within 5 s"; else
	fail "client abort: the script is gone within 5 s" "$(ps -o pid,stat,args -p "$fp")"; fi
check_contains "client abort: logged" "$(cat "$LOG")" \
	"$H_CGI/forever.sh: the client went away: killing its process group"
check_eq "client abort: the same worker" "$W" "$(h_workers "$M")"
check_eq "client abort: the worker still serves" 200 "$(h_status GET "$URL/ready")"

# ---- 10,000 requests of every kind: no zombie, fd or memory left ----
cat >"$H_DIR/mix.lua" <<'LUA'
-- cycles through every kind of request; each thread stops after
-- args[1] responses, counts the statuses, and leaves a file in the
-- directory args[2] when it is done (wrk itself waits for -d or SIGINT)
local threads = {}
local nthreads = 0
function setup(thread)
	nthreads = nthreads + 1
	thread:set("id", nthreads)
	table.insert(threads, thread)
end
function init(args)
	limit, dir = tonumber(args[1]), args[2]
	n, i, codes = 0, 0, {}
	local app = { ["Origin"] = "https://app.example.com" }
	reqs = {
		wrk.format("GET", "/cors", { ["Origin"] = "http://x.com" }),
		wrk.format("GET", "/cors", { ["Origin"] = "http://evil.com" }),
		wrk.format("OPTIONS", "/cors", { ["Origin"] = "http://x.com",
			["Access-Control-Request-Method"] = "PUT" }),
		wrk.format("GET", "/missing.sh", app),
		wrk.format("GET", "/fail.sh", app),
		wrk.format("POST", "/echo.pl", { ["Origin"] = "https://app.example.com",
			["Content-Type"] = "text/plain" }, "a body for echo.pl"),
		wrk.format("GET", "/blocked/mark.sh?load", { ["Origin"] = "https://evil.com" }),
	}
end
function request()
	i = i % #reqs + 1
	return reqs[i]
end
function response(status, headers, body)
	n = n + 1
	codes[status] = (codes[status] or 0) + 1
	if n == limit then
		io.open(dir .. "/done." .. id, "w"):close()
		wrk.thread:stop()
	end
end
function done(summary, latency, requests)
	local all, total = {}, 0
	for _, t in ipairs(threads) do
		for code, c in pairs(t:get("codes")) do
			all[code] = (all[code] or 0) + c
			total = total + c
		end
	end
	io.write(string.format("TOTAL %d\n", total))
	for code, c in pairs(all) do io.write(string.format("CODE %d %d\n", code, c)) end
end
LUA
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$W/status"; }
children() { ps -o stat= --ppid "$W" | wc -l; }
# load PER_THREAD SECONDS: 2 wrk threads of 4 connections, each stopping
# after PER_THREAD responses (at most SECONDS); prints wrk's output
load() {
	rm -rf "$H_DIR/wrk.d"
	mkdir "$H_DIR/wrk.d"
	wrk -t2 -c8 -d"$2"s --timeout 10s -s "$H_DIR/mix.lua" "$URL" -- "$1" \
		"$H_DIR/wrk.d" >"$H_DIR/wrk.out" 2>&1 &
	_wp=$!
	wait_for "$2" "[ -f '$H_DIR/wrk.d/done.1' ] && [ -f '$H_DIR/wrk.d/done.2' ]"
	kill -INT "$_wp" 2>/dev/null
	wait "$_wp"
	cat "$H_DIR/wrk.out"
}
# warm up the worker's threads, then take the memory baseline
load 500 20 >/dev/null
wait_for 5 "[ \$(children) -eq 0 ]"
RSS0=$(rss)
NS0=$(ls -l "/proc/$W/fd" | grep -vc 'socket:')
t0=$(date +%s)
out=$(load 5000 50)
echo "     (10,000 requests in $(($(date +%s) - t0)) s)"
total=$(printf '%s\n' "$out" | sed -n 's/^TOTAL //p')
if [ "${total:-0}" -ge 10000 ]; then pass "load: $total requests"; else
	fail "load: at least 10000 requests" "$out"; fi
check_lacks "load: no socket errors" "$out" "Socket errors"
check_eq "load: only the expected statuses" "200 204 403 404 500" \
	"$(printf '%s\n' "$out" | sed -n 's/^CODE \([0-9]*\) .*/\1/p' | sort -n | paste -sd ' ')"
for c in 204 403 404 500; do
	n=$(printf '%s\n' "$out" | sed -n "s/^CODE $c //p")
	if [ "${n:-0}" -ge 1000 ]; then pass "load: $c answered ($n)"; else
		fail "load: $c answered at least 1000 times" "$out"; fi
done
if wait_for 5 "[ \$(children) -eq 0 ]"; then pass "load: no child of the worker left"; else
	fail "load: no child of the worker left" "$(ps -o pid,stat,args --ppid "$W")"; fi
check_eq "load: no zombie" 0 "$(ps -o stat= --ppid "$W" | grep -c Z)"
check_eq "load: the same worker" "$W" "$(h_workers "$M")"
check_eq "load: no pipe or file descriptor left (sockets aside)" "$NS0" \
	"$(ls -l "/proc/$W/fd" | grep -vc 'socket:')"
RSS1=$(rss)
if [ "$RSS1" -le $((RSS0 + 4096)) ]; then pass "load: VmRSS $RSS0 -> $RSS1 kB"; else
	fail "load: VmRSS within 4 MiB" "$RSS0 -> $RSS1 kB"; fi
# nginx gone, its kept-alive connections close: every descriptor as before
h_kill "$(cat "$H_DIR/ngx/pid")"
wait_for 10 "[ \$(sockets) -eq 1 ] && [ \$(pidfds) -eq 0 ]"
check_eq "no descriptor left once nginx is gone" "$FD0" "$(fds)"
check_lacks "no worker died" "$(cat "$LOG")" "killed by signal"

finish
