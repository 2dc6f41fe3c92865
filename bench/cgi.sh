#!/bin/sh
# bench/cgi.sh - corsgate running CGI scripts, against fcgiwrap (Debian's
# package), both behind the same nginx with the same number of workers.
#
# Two scripts, the same files for both backends: a shell script (#!/bin/sh,
# printf of a Content-Type and a short JSON) and bench/hello.c compiled with
# cc, which prints the very same answer. wrk sends GET with an Origin the
# policy allows, for BENCH_SECONDS (10) per backend, script and number of
# connections, after a warm-up that checks every answer (200, the JSON body,
# corsgate's Access-Control-Allow-Origin, none from fcgiwrap): the shell
# script at 1 connection (one request at a time: the latency of one
# request), at 8 and at BENCH_CONNECTIONS (64), the C script at 64. wrk
# --latency gives req/s, p50 and p99. The measured time is split in two runs
# ordered fcgiwrap, corsgate, corsgate, fcgiwrap, so that a drift in the
# machine's load weighs on both alike.
#
# The spawn limit: bench/spawn_limit.c runs the same shell script from 8
# threads (posix_spawn, read all of stdout, waitpid; no web server, no
# FastCGI) for BENCH_SECONDS, in two halves, just before and just after the
# 8-connection runs: what corsgate and fcgiwrap at 8 connections are
# compared with.
#
# Then hello.c's stream mode prints 1 GiB in 64 KiB writes,
# fetched with curl through nginx with fastcgi_buffering off (and a 64 KiB
# fastcgi_buffer_size, so that nginx's default 4 KiB one is not what is
# measured), twice per backend in the same order: MiB/s, and the peak
# resident memory of corsgate's processes, read from /proc (VmHWM of the
# largest; VmRSS of all of them summed, sampled while streaming).
#
# Both backends: N = number of CPUs workers (corsgate -w N; fcgiwrap -c N,
# N single-threaded processes; corsgate's workers keep their default 64
# connection threads), listening on a unix socket; nginx opens one FastCGI
# connection per request to either (no fastcgi_keep_conn).
#
# Run by bench/run.sh with B (build dir) and CORSGATE (absolute path of the
# binary) in the environment, from the repository's root. Only 127.0.0.1
# and unix sockets in a temporary directory. Prints figures and ratios;
# exits 0 whatever the speed, 1 only when the set-up broke (a program
# missing or not starting, answers that are not right).
set -u

PART=cgi
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
STREAM_BYTES=${BENCH_STREAM_BYTES:-1073741824}
BODY='{"hello":"world","from":"cgi"}'
FCGIWRAP=$(command -v fcgiwrap 2>/dev/null || echo /usr/sbin/fcgiwrap)
CC=${CC:-cc}
case $B in /*) SPAWN_LIMIT=$B/bench/spawn_limit ;; *) SPAWN_LIMIT=$PWD/$B/bench/spawn_limit ;; esac
SPAWN_THREADS=8

[ -x "$CORSGATE" ] || broken "no corsgate binary at $CORSGATE (make)"
[ -x "$NGINX" ] || broken "nginx not installed (scripts/deps.sh)"
[ -x "$FCGIWRAP" ] || broken "fcgiwrap not installed (scripts/deps.sh bench)"
command -v "$WRK" >/dev/null 2>&1 || broken "wrk not installed (scripts/deps.sh bench)"
command -v curl >/dev/null 2>&1 || broken "curl not installed (scripts/deps.sh)"
[ -x "$SPAWN_LIMIT" ] || broken "no $SPAWN_LIMIT (make $B/bench/spawn_limit)"

bench_dir
chmod 755 "$DIR"

# --- the scripts ------------------------------------------------------------

CGI=$DIR/cgi
mkdir -p "$CGI"
cat >"$CGI/hello.sh" <<EOF
#!/bin/sh
printf 'Content-Type: application/json\r\n\r\n%s\n' '$BODY'
EOF
"$CC" -O2 -o "$CGI/hello.cgi" bench/hello.c 2>"$DIR/cc.log" ||
	{ cat "$DIR/cc.log" >&2; broken "$CC could not compile bench/hello.c"; }
cp "$CGI/hello.cgi" "$CGI/stream.cgi"
chmod 755 "$CGI" "$CGI/hello.sh" "$CGI/hello.cgi" "$CGI/stream.cgi"

# --- the backends ---------------------------------------------------------

cat >"$DIR/cors.ini" <<EOF
[gateway]
cgi_root = $CGI
log_level = warn
[cors]
allow_origin = $ORIGIN
allow_methods = GET, POST
EOF

S_CORSGATE=$DIR/cg.sock
S_FCGIWRAP=$DIR/fw.sock
start corsgate "$CORSGATE" serve -c "$DIR/cors.ini" -s "unix:$S_CORSGATE" \
	-w "$WORKERS" --allow-root
G_CORSGATE=$STARTED
start fcgiwrap "$FCGIWRAP" -c "$WORKERS" -s "unix:$S_FCGIWRAP"
G_FCGIWRAP=$STARTED
wait_listen corsgate "$G_CORSGATE" unix "$S_CORSGATE"
wait_listen fcgiwrap "$G_FCGIWRAP" unix "$S_FCGIWRAP"

# --- nginx ----------------------------------------------------------------

P_CORSGATE="" P_FCGIWRAP=""
free_port P_CORSGATE
free_port P_FCGIWRAP
{
	nginx_head "$CGI"
	for _b in corsgate fcgiwrap; do
		if [ $_b = corsgate ]; then
			_port=$P_CORSGATE _sock=$S_CORSGATE
		else
			_port=$P_FCGIWRAP _sock=$S_FCGIWRAP
		fi
		cat <<EOF
    server {
        listen 127.0.0.1:$_port;
        location / {
            fastcgi_pass unix:$_sock;
        }
        location = /stream.cgi {
            fastcgi_pass unix:$_sock;
            fastcgi_buffering off;
            fastcgi_buffer_size 64k;
            fastcgi_buffers 4 64k;
            fastcgi_read_timeout 120s;
        }
    }
EOF
	done
	echo "}"
} >"$DIR/nginx/nginx.conf"
nginx_start "$P_CORSGATE" "$P_FCGIWRAP"

# port BACKEND: nginx's port for it.
port() {
	if [ "$1" = corsgate ]; then echo "$P_CORSGATE"; else echo "$P_FCGIWRAP"; fi
}

# --- one request each, by hand ----------------------------------------------

# first_check BACKEND SCRIPT: status 200, the body, and Access-Control-Allow-
# Origin from corsgate only.
first_check() {
	_h=$DIR/first-$1-$2.h
	_b=$(curl -s --max-time 20 -D "$_h" -H "Origin: $ORIGIN" \
		"http://127.0.0.1:$(port "$1")/$2") ||
		broken "$1 $2: curl failed"
	_st=$(awk 'NR == 1 { print $2 }' "$_h")
	_acao=$(tr -d '\r' <"$_h" | awk 'tolower($1) == "access-control-allow-origin:" { print $2 }')
	_ok=1
	[ "$_st" = 200 ] || _ok=0
	[ "$_b" = "$BODY" ] || _ok=0
	if [ "$1" = corsgate ]; then
		[ "$_acao" = "$ORIGIN" ] || _ok=0
	else
		[ -z "$_acao" ] || _ok=0
	fi
	[ $_ok = 1 ] && return 0
	echo "cgi: $1 $2: expected 200, body $BODY and" \
		"$([ "$1" = corsgate ] && echo "Access-Control-Allow-Origin: $ORIGIN" ||
			echo "no Access-Control-Allow-Origin"); got:" >&2
	sed 's/^/    /' "$_h" >&2
	printf '    %s\n' "$_b" >&2
	for _l in "$DIR/$1.log" "$DIR/nginx/logs/error.log"; do
		tail -n 5 "$_l" 2>/dev/null | sed 's/^/    /' >&2
	done
	broken "$1 did not answer $2 right"
}
for s in hello.sh hello.cgi; do
	first_check fcgiwrap "$s"
	first_check corsgate "$s"
done

# --- wrk ------------------------------------------------------------------

cat >"$DIR/request.lua" <<EOF
wrk.method = "GET"
wrk.headers["Origin"] = "$ORIGIN"
EOF

# The warm-up also looks at every answer: 200, the body, and Access-Control-
# Allow-Origin as expected (from corsgate only: wrk's argument is the backend).
CHECK_WANT="200 with the body and the expected Access-Control-Allow-Origin"
write_check_lua <<EOF
local body = '$BODY' .. "\n"
local want_acao = true
function init(args) want_acao = args[1] == "corsgate" end
show_body = true
function answer_ok(status, acao, b)
   if status ~= 200 or b ~= body then return false end
   if want_acao then return acao == wrk.headers["Origin"] end
   return acao == nil
end
EOF

# A run's KEY is SCRIPT@CONNECTIONS. url BACKEND KEY: nginx's address for
# it; what BACKEND KEY: its name in messages.
url() {
	echo "http://127.0.0.1:$(port "$1")/${2%@*}"
}
what() {
	echo "$1 ${2%@*} at ${2#*@} connections"
}

SPAWNS="" # spawns/s of each half of the spawn limit's run

# spawn_limit: one half of the spawn limit's run, into SPAWNS.
spawn_limit() {
	if _out=$("$SPAWN_LIMIT" -t "$SPAWN_THREADS" -d "$HALF" "$CGI/hello.sh" 2>&1) &&
		[ "$(printf '%s\n' "$_out" | awk '{ print $NF }')" = 0 ]; then
		SPAWNS="$SPAWNS $(printf '%s\n' "$_out" | awk '{ print $6 }')"
	else
		echo "cgi: spawn_limit failed: $_out" >&2
		BROKEN=1
		SPAWNS="$SPAWNS -"
	fi
}

echo "nginx -> FastCGI on unix sockets, one connection per request;" \
	"corsgate -w $WORKERS (64 threads each) vs fcgiwrap -c $WORKERS;"
echo "GET with Origin: $ORIGIN, wrk -t2 (-t1 at 1 connection); each figure:" \
	"mean of 2 runs of ${HALF}s in the order fcgiwrap, corsgate, corsgate, fcgiwrap;"
echo "spawn limit: spawn_limit -t $SPAWN_THREADS, 2 runs of ${HALF}s, before" \
	"and after the 8-connection runs"
for k in hello.sh@1 hello.sh@8 "hello.sh@$CONNS" "hello.cgi@$CONNS"; do
	RUN_CONNS=${k#*@}
	[ "$k" = hello.sh@8 ] && spawn_limit
	interleaved fcgiwrap "$k"
	[ "$k" = hello.sh@8 ] && spawn_limit
done
RUN_CONNS=""

# --- the stream -----------------------------------------------------------

# pids PGID: the processes of that session.
pids() {
	ps -o pid= -s "$1" 2>/dev/null
}

# hwm PGID: the largest VmHWM (peak RSS) of the session's processes, in KiB.
hwm() {
	for _p in $(pids "$1"); do
		awk '/^VmHWM:/ { print $2 }' "/proc/$_p/status" 2>/dev/null
	done | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }'
}

# rss_sum PGID: the sum of the session's processes' VmRSS, in KiB.
rss_sum() {
	for _p in $(pids "$1"); do
		awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null
	done | awk '{ t += $1 } END { print t + 0 }'
}

STREAMS="" # lines "BACKEND MIBS", one per fetch
RSS_MAX=0  # largest sum of corsgate's VmRSS seen while streaming, KiB

# stream BACKEND: one fetch of $STREAM_BYTES through nginx.
stream() {
	_h=$DIR/stream-$1.h
	SAMPLER=""
	if [ "$1" = corsgate ]; then
		(
			m=0
			while kill -0 $$ 2>/dev/null; do
				r=$(rss_sum "$G_CORSGATE")
				[ "$r" -gt "$m" ] && m=$r && echo "$m" >"$DIR/rss-max"
				sleep 0.05
			done
		) &
		SAMPLER=$!
	fi
	_out=$(curl -s --max-time 120 -o /dev/null -D "$_h" -H "Origin: $ORIGIN" \
		-w '%{http_code} %{size_download} %{time_total}' \
		"http://127.0.0.1:$(port "$1")/stream.cgi?stream=$STREAM_BYTES")
	if [ -n "$SAMPLER" ]; then
		kill "$SAMPLER" 2>/dev/null
		wait "$SAMPLER" 2>/dev/null
		SAMPLER=""
		_r=$(cat "$DIR/rss-max" 2>/dev/null || echo 0)
		[ "$_r" -gt "$RSS_MAX" ] && RSS_MAX=$_r
	fi
	# shellcheck disable=SC2086 # split into words on purpose
	set -- "$1" $_out
	_acao=$(tr -d '\r' <"$_h" | awk 'tolower($1) == "access-control-allow-origin:" { print $2 }')
	if [ $# -lt 4 ] || [ "$2" != 200 ] || [ "$3" != "$STREAM_BYTES" ] ||
		{ [ "$1" = corsgate ] && [ "$_acao" != "$ORIGIN" ]; } ||
		{ [ "$1" = fcgiwrap ] && [ -n "$_acao" ]; }; then
		echo "cgi: $1 stream: expected 200 and $STREAM_BYTES bytes" \
			"(Access-Control-Allow-Origin from corsgate only); got" \
			"status ${2:-?}, ${3:-?} bytes, Access-Control-Allow-Origin:" \
			"${_acao:-none}" >&2
		BROKEN=1
		STREAMS="$STREAMS
$1 -"
		return
	fi
	STREAMS="$STREAMS
$1 $(awk -v n="$3" -v t="$4" 'BEGIN { printf "%.0f", n / 1048576 / t }')"
}

HWM_BEFORE=$(hwm "$G_CORSGATE")
for b in fcgiwrap corsgate corsgate fcgiwrap; do
	stream "$b"
done
HWM_AFTER=$(hwm "$G_CORSGATE")
FW_HWM=$(hwm "$G_FCGIWRAP")

still_alive corsgate "$G_CORSGATE"
still_alive fcgiwrap "$G_FCGIWRAP"

# --- report ---------------------------------------------------------------

# mibs BACKEND: the fetches' mean MiB/s, "-" when one failed.
mibs() {
	printf '%s\n' "$STREAMS" | awk -v b="$1" '
		$1 == b { if ($2 == "-") bad = 1; n++; t += $2 }
		END { if (bad || n == 0) print "-"; else printf "%.0f\n", t / n }'
}
mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

table script@conns fcgiwrap hello.sh@1 hello.sh@1 hello.sh@8 hello.sh@8 \
	"hello.sh@$CONNS" "hello.sh@$CONNS" "hello.cgi@$CONNS" "hello.cgi@$CONNS"
# shellcheck disable=SC2086 # one figure a line
SPAWN=$(printf '%s\n' $SPAWNS | awk '$1 == "-" { bad = 1 } { n++; t += $1 }
	END { if (bad || n == 0) print "-"; else printf "%.0f\n", t / n }')
printf '%-10s %-12s %10s   (posix_spawn + read + waitpid, %s threads, mean of 2)\n' \
	spawn_limit hello.sh "$SPAWN" "$SPAWN_THREADS"
printf '\n%-10s %s\n' backend "stream of $STREAM_BYTES bytes, MiB/s (mean of 2)"
for b in fcgiwrap corsgate; do
	printf '%-10s %s\n' "$b" "$(mibs $b)"
done

# verdict_ge RATIO TARGET / verdict_le RATIO TARGET: "yes" when it is met.
verdict_ge() {
	awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-") print "-"; else if (r + 0 >= t) print "yes"; else print "no" }'
}
verdict_le() {
	awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-") print "-"; else if (r + 0 <= t) print "yes"; else print "no" }'
}
# rps_ratio KEY / p_ratio KEY FIELD: corsgate/fcgiwrap at KEY.
rps_ratio() {
	ratio "$(get corsgate "$1" 3)" "$(get fcgiwrap "$1" 3)"
}
p_ratio() {
	ratio "$(get corsgate "$1" "$2")" "$(get fcgiwrap "$1" "$2")"
}

echo
r=$(rps_ratio hello.sh@1)
echo "corsgate/fcgiwrap, shell script, 1 connection, req/s:   $r (target >= 1.0: $(verdict_ge "$r" 1.0))"
echo "                                   p50: $(p_ratio hello.sh@1 6), p99: $(p_ratio hello.sh@1 4)"
r=$(rps_ratio hello.sh@8)
echo "corsgate/fcgiwrap, shell script, 8 connections, req/s:  $r (target >= 1.3: $(verdict_ge "$r" 1.3))"
r=$(p_ratio hello.sh@8 4)
echo "                                   p50: $(p_ratio hello.sh@8 6), p99: $r (target <= 1.0: $(verdict_le "$r" 1.0))"
r=$(rps_ratio "hello.sh@$CONNS")
echo "corsgate/fcgiwrap, shell script, $CONNS connections, req/s: $r (target >= 1.0: $(verdict_ge "$r" 1.0))"
echo "                                   p50: $(p_ratio "hello.sh@$CONNS" 6), p99: $(p_ratio "hello.sh@$CONNS" 4)"
r=$(rps_ratio "hello.cgi@$CONNS")
echo "corsgate/fcgiwrap, C script, $CONNS connections, req/s:     $r (target >= 1.0: $(verdict_ge "$r" 1.0))"
echo "                                   p50: $(p_ratio "hello.cgi@$CONNS" 6), p99: $(p_ratio "hello.cgi@$CONNS" 4)"
r=$(ratio "$(get corsgate hello.sh@8 3)" "$SPAWN")
echo "corsgate through nginx (8 connections)/spawn limit:     $r (target >= 0.75: $(verdict_ge "$r" 0.75));" \
	"fcgiwrap: $(ratio "$(get fcgiwrap hello.sh@8 3)" "$SPAWN")"
r=$(ratio "$(mibs corsgate)" "$(mibs fcgiwrap)")
echo "corsgate/fcgiwrap, stream MiB/s:                        $r (target >= 1.0: $(verdict_ge "$r" 1.0))"
r=$(ratio "$HWM_AFTER" 8192)
echo "corsgate peak RSS per process (the largest, VmHWM) after streaming:" \
	"$(mib "$HWM_AFTER") MiB, /8 MiB target: $r (target <= 1.0: $(verdict_le "$r" 1.0));"
echo "    after/before the stream ($(mib "$HWM_BEFORE") MiB): $(ratio "$HWM_AFTER" "$HWM_BEFORE")" \
	"(flat: about 1); /fcgiwrap's largest process ($(mib "$FW_HWM") MiB):" \
	"$(ratio "$HWM_AFTER" "$FW_HWM"); all of corsgate's processes at once" \
	"$(mib "$RSS_MAX") MiB while streaming (VmRSS)"
echo "CORS headers: corsgate added Access-Control-Allow-Origin: $ORIGIN to" \
	"every checked answer, fcgiwrap none (checked before timing)"

exit "$BROKEN"
