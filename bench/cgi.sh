#!/bin/sh
# bench/cgi.sh - corsgate running CGI scripts, against fcgiwrap (Debian's
# package), both behind the same nginx with the same number of workers.
#
# Two scripts, the same files for both backends: a shell script (#!/bin/sh,
# printf of a Content-Type and a short JSON) and bench/hello.c compiled with
# cc, which prints the very same answer. wrk sends GET with an Origin the
# policy allows, at BENCH_CONNECTIONS (64) connections, for BENCH_SECONDS
# (10) per backend and script, after a warm-up that checks every answer
# (200, the JSON body, corsgate's Access-Control-Allow-Origin, none from
# fcgiwrap). The measured time is split in two runs ordered fcgiwrap,
# corsgate, corsgate, fcgiwrap, so that a drift in the machine's load weighs
# on both alike. Then hello.c's stream mode prints 1 GiB in 64 KiB writes,
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

B=${B:-build}
CORSGATE=${CORSGATE:-$PWD/$B/corsgate}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
STREAM_BYTES=${BENCH_STREAM_BYTES:-1073741824}
WARMUP=2
WORKERS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ORIGIN=http://x.com
BODY='{"hello":"world","from":"cgi"}'

NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
FCGIWRAP=$(command -v fcgiwrap 2>/dev/null || echo /usr/sbin/fcgiwrap)
WRK=$(command -v wrk 2>/dev/null || echo wrk)
CC=${CC:-cc}

broken() {
	echo "cgi: $*" >&2
	exit 1
}

[ -x "$CORSGATE" ] || broken "no corsgate binary at $CORSGATE (make)"
[ -x "$NGINX" ] || broken "nginx not installed (scripts/deps.sh)"
[ -x "$FCGIWRAP" ] || broken "fcgiwrap not installed (scripts/deps.sh bench)"
command -v "$WRK" >/dev/null 2>&1 || broken "wrk not installed (scripts/deps.sh bench)"
command -v curl >/dev/null 2>&1 || broken "curl not installed (scripts/deps.sh)"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/corsgate-bench.XXXXXX") || broken "mktemp failed"
chmod 755 "$DIR"
GROUPS_STARTED="" # process-group ids (each program runs in its own session)
SAMPLER=""        # the memory sampler of a stream run, while it runs

# alive PGID: is any process of that session still running (zombies aside)?
# shellcheck disable=SC2009 # pgrep would count zombies
alive() {
	ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

# stop PGID: SIGTERM to the group, up to 5 s to go, then SIGKILL; reaps it.
# shellcheck disable=SC2317 # run by the trap
stop() {
	kill -TERM "-$1" 2>/dev/null
	_n=50
	while [ "$_n" -gt 0 ] && alive "$1"; do
		sleep 0.1
		_n=$((_n - 1))
	done
	kill -KILL "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	_rest=""
	for _g in $GROUPS_STARTED; do [ "$_g" = "$1" ] || _rest="$_rest $_g"; done
	GROUPS_STARTED=$_rest
}

# shellcheck disable=SC2317 # run by the trap
cleanup() {
	trap '' INT TERM
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	for g in $GROUPS_STARTED; do stop "$g"; done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE # output cut short (| head): still clean up

# start NAME CMD...: runs CMD in a session (and process group) of its own,
# output to $DIR/NAME.log; sets STARTED to its process-group id.
start() {
	_name=$1
	shift
	setsid "$@" </dev/null >"$DIR/$_name.log" 2>&1 &
	STARTED=$!
	GROUPS_STARTED="$GROUPS_STARTED $STARTED"
}

# listening_tcp PORT: is something listening on PORT?
listening_tcp() {
	_hex=$(printf '%04X' "$1")
	awk -v p=":$_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# listening_unix PATH: is something listening on the unix socket PATH?
listening_unix() {
	awk -v p="$1" '$NF == p && $4 == "00010000" { f = 1 } END { exit !f }' \
		/proc/net/unix 2>/dev/null
}

# used PORT: does any socket have PORT at either end?
used() {
	grep -qi ":$(printf '%04X' "$1") " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port VAR: sets VAR to a loopback port nobody uses, distinct from the
# ports picked before, below the kernel's ephemeral range (32768-60999).
PICKED=""
free_port() {
	while :; do
		_p=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 + 20000))
		case " $PICKED " in *" $_p "*) continue ;; esac
		used "$_p" && continue
		PICKED="$PICKED $_p"
		eval "$1=$_p"
		return
	done
}

# wait_listen NAME PGID tcp|unix PORT|PATH: up to 10 s for it to listen.
wait_listen() {
	_n=100
	while [ "$_n" -gt 0 ]; do
		case $3 in
		tcp) listening_tcp "$4" && return 0 ;;
		*) listening_unix "$4" && return 0 ;;
		esac
		alive "$2" || break
		sleep 0.1
		_n=$((_n - 1))
	done
	sed 's/^/    /' "$DIR/$1.log" >&2
	broken "$1 did not start listening on $3:$4"
}

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
mkdir -p "$DIR/nginx/tmp" "$DIR/nginx/logs"
{
	cat <<EOF
user root;
worker_processes auto;
error_log $DIR/nginx/logs/error.log warn;
pid $DIR/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    root $CGI;
    fastcgi_param QUERY_STRING \$query_string;
    fastcgi_param REQUEST_METHOD \$request_method;
    fastcgi_param CONTENT_TYPE \$content_type;
    fastcgi_param CONTENT_LENGTH \$content_length;
    fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
    fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
    fastcgi_param REQUEST_URI \$request_uri;
    fastcgi_param DOCUMENT_URI \$document_uri;
    fastcgi_param DOCUMENT_ROOT \$document_root;
    fastcgi_param SERVER_PROTOCOL \$server_protocol;
    fastcgi_param REQUEST_SCHEME \$scheme;
    fastcgi_param GATEWAY_INTERFACE CGI/1.1;
    fastcgi_param SERVER_SOFTWARE nginx/\$nginx_version;
    fastcgi_param REMOTE_ADDR \$remote_addr;
    fastcgi_param REMOTE_PORT \$remote_port;
    fastcgi_param SERVER_ADDR \$server_addr;
    fastcgi_param SERVER_PORT \$server_port;
    fastcgi_param SERVER_NAME \$server_name;
EOF
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
"$NGINX" -t -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" >"$DIR/nginx-t.log" 2>&1 ||
	{ cat "$DIR/nginx-t.log" >&2; broken "nginx rejected its configuration"; }
start nginx "$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -g 'daemon off;'
G_NGINX=$STARTED
wait_listen nginx "$G_NGINX" tcp "$P_CORSGATE"
wait_listen nginx "$G_NGINX" tcp "$P_FCGIWRAP"

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

cat >"$DIR/get.lua" <<EOF
wrk.method = "GET"
wrk.headers["Origin"] = "$ORIGIN"
EOF

# The warm-up also looks at every answer: 200, the body, and Access-Control-
# Allow-Origin as expected (wrk's argument: "yes" for corsgate, "no").
cat "$DIR/get.lua" >"$DIR/check.lua"
cat >>"$DIR/check.lua" <<EOF
local body = '$BODY' .. "\n"
EOF
cat >>"$DIR/check.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
local want_acao = true
function init(args) want_acao = args[1] == "yes" end
bad, first = 0, ""
function response(status, headers, b)
   local acao
   for k, v in pairs(headers) do
      if string.lower(k) == "access-control-allow-origin" then acao = v end
   end
   local ok = status == 200 and b == body
   if want_acao then ok = ok and acao == wrk.headers["Origin"]
   else ok = ok and acao == nil end
   if not ok then
      if bad == 0 then
         first = status .. " Access-Control-Allow-Origin: " .. tostring(acao)
            .. " body: " .. string.sub(tostring(b), 1, 80)
      end
      bad = bad + 1
   end
end
function done(summary, latency, requests)
   local n, f = 0, ""
   for _, t in ipairs(threads) do
      local b = t:get("bad")
      if b > 0 and f == "" then f = t:get("first") end
      n = n + b
   end
   io.write(string.format("CHECK %d %d %s\n", summary.requests, n, f))
end
EOF

# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.20s" / "2.00m" in ms.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0
		if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v *= 1
		else if ($1 ~ /m$/) v *= 60000; else if ($1 ~ /s$/) v *= 1000
		printf "%.2f", v }'
}

RESULTS="" # lines "BACKEND SCRIPT RPS P99MS BAD", one per measured run
BROKEN=0
HALF=$(((SECS + 1) / 2))

# check BACKEND SCRIPT: the warm-up, which also checks every answer.
check() {
	[ "$1" = corsgate ] && _want=yes || _want=no
	_out=$(timeout $((WARMUP + 15)) "$WRK" -t2 -c"$CONNS" -d"${WARMUP}s" \
		-s "$DIR/check.lua" "http://127.0.0.1:$(port "$1")/$2" -- "$_want" 2>&1)
	_check=$(printf '%s\n' "$_out" | sed -n 's/^CHECK //p')
	# shellcheck disable=SC2086 # split into words on purpose
	set -- "$1" "$2" $_check
	[ $# -ge 4 ] && [ "$3" -gt 0 ] && [ "$4" -eq 0 ] && return 0
	echo "cgi: $1 $2: not every answer is 200 with the body and" \
		"the expected Access-Control-Allow-Origin; wrk said:" >&2
	printf '%s\n' "$_out" | sed 's/^/    /' >&2
	BROKEN=1
	RESULTS="$RESULTS
$1 $2 - - -"
	return 1
}

# run BACKEND SCRIPT ROUND: one measured run of HALF seconds.
run() {
	_out=$(timeout $((HALF + 15)) "$WRK" -t2 -c"$CONNS" -d"${HALF}s" --latency \
		-s "$DIR/get.lua" "http://127.0.0.1:$(port "$1")/$2" 2>&1)
	printf '%s\n' "$_out" >"$DIR/wrk-$1-$2-$3.txt"
	_rps=$(printf '%s\n' "$_out" | awk '/^Requests\/sec:/ { print $2 }')
	_p99=$(printf '%s\n' "$_out" | awk '$1 == "99%" { print $2 }')
	_non2xx=$(printf '%s\n' "$_out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
	_errs=$(printf '%s\n' "$_out" | awk '/Socket errors:/ {
		gsub(",", ""); print $4 + $6 + $8 + $10 }')
	if [ -z "$_rps" ] || [ -z "$_p99" ]; then
		echo "cgi: wrk gave no figures for $1 $2:" >&2
		printf '%s\n' "$_out" | sed 's/^/    /' >&2
		BROKEN=1
		RESULTS="$RESULTS
$1 $2 - - -"
		return
	fi
	RESULTS="$RESULTS
$1 $2 $_rps $(to_ms "$_p99") $((${_non2xx:-0} + ${_errs:-0}))"
}

echo "nginx -> FastCGI on unix sockets, one connection per request;" \
	"corsgate -w $WORKERS (64 threads each) vs fcgiwrap -c $WORKERS;"
echo "GET with Origin: $ORIGIN, wrk -t2 -c$CONNS; each figure: mean of 2 runs" \
	"of ${HALF}s in the order fcgiwrap, corsgate, corsgate, fcgiwrap"
for s in hello.sh hello.cgi; do
	ok_f=0 ok_c=0
	check fcgiwrap "$s" && ok_f=1
	check corsgate "$s" && ok_c=1
	[ $ok_f = 1 ] && run fcgiwrap "$s" 1
	[ $ok_c = 1 ] && run corsgate "$s" 1
	[ $ok_c = 1 ] && run corsgate "$s" 2
	[ $ok_f = 1 ] && run fcgiwrap "$s" 2
done

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

alive "$G_CORSGATE" || { echo "cgi: corsgate died during the run" >&2; BROKEN=1; }
alive "$G_FCGIWRAP" || { echo "cgi: fcgiwrap died during the run" >&2; BROKEN=1; }

# --- report ---------------------------------------------------------------

# get BACKEND SCRIPT FIELD: the runs' mean req/s (3) or p99 ms (4), or their
# total of bad answers (5); "-" when any run of the pair failed.
get() {
	printf '%s\n' "$RESULTS" | awk -v b="$1" -v s="$2" -v f="$3" '
		$1 == b && $2 == s { if ($f == "-") bad = 1; n++; t += $f }
		END {
			if (bad || n == 0) print "-"
			else if (f == 3) printf "%.0f\n", t / n
			else if (f == 4) printf "%.2f\n", t / n
			else print t
		}'
}
# mibs BACKEND: the fetches' mean MiB/s, "-" when one failed.
mibs() {
	printf '%s\n' "$STREAMS" | awk -v b="$1" '
		$1 == b { if ($2 == "-") bad = 1; n++; t += $2 }
		END { if (bad || n == 0) print "-"; else printf "%.0f\n", t / n }'
}
# ratio A B: A/B to two places, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"
		else printf "%.2f", a / b }'
}
# verdict RATIO: "yes" when >= 1.0.
verdict() {
	awk -v r="$1" 'BEGIN { if (r == "-") print "-"; else if (r + 0 >= 1) print "yes"; else print "no" }'
}
mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

printf '\n%-10s %-10s %10s %9s %9s\n' backend script req/s "p99 ms" "non-2xx"
for s in hello.sh hello.cgi; do
	for b in fcgiwrap corsgate; do
		printf '%-10s %-10s %10s %9s %9s\n' "$b" "$s" \
			"$(get $b $s 3)" "$(get $b $s 4)" "$(get $b $s 5)"
	done
done
echo "(non-2xx counts wrk's non-2xx/3xx answers plus socket errors)"
printf '\n%-10s %s\n' backend "stream of $STREAM_BYTES bytes, MiB/s (mean of 2)"
for b in fcgiwrap corsgate; do
	printf '%-10s %s\n' "$b" "$(mibs $b)"
done

r_sh=$(ratio "$(get corsgate hello.sh 3)" "$(get fcgiwrap hello.sh 3)")
r_c=$(ratio "$(get corsgate hello.cgi 3)" "$(get fcgiwrap hello.cgi 3)")
r_st=$(ratio "$(mibs corsgate)" "$(mibs fcgiwrap)")
echo
echo "corsgate/fcgiwrap, shell script req/s: $r_sh (target >= 1.0: $(verdict "$r_sh"))"
echo "corsgate/fcgiwrap, C script req/s:     $r_c (target >= 1.0: $(verdict "$r_c"))"
echo "corsgate/fcgiwrap, stream MiB/s:       $r_st (target >= 1.0: $(verdict "$r_st"))"
echo "corsgate peak RSS: largest process $(mib "$HWM_AFTER") MiB (VmHWM; before" \
	"the stream $(mib "$HWM_BEFORE") MiB), all processes at once" \
	"$(mib "$RSS_MAX") MiB while streaming (VmRSS); fcgiwrap largest" \
	"process $(mib "$FW_HWM") MiB"
echo "CORS headers: corsgate added Access-Control-Allow-Origin: $ORIGIN to" \
	"every checked answer, fcgiwrap none (checked before timing)"

exit "$BROKEN"
