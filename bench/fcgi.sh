#!/bin/sh
# bench/fcgi.sh - corsgate as a FastCGI responder behind nginx, against the
# floor: bench/minimal_fcgi.c, a libfcgi responder in the same process and
# thread model that answers every request with a fixed preflight 204.
#
# Both answer the same CORS preflight (OPTIONS, Origin, Access-Control-
# Request-Method/-Headers) through the same nginx, once with nginx keeping
# its FastCGI connections open (upstream keepalive 32 + fastcgi_keep_conn on)
# and once opening one per request. wrk measures each of the four for
# BENCH_SECONDS (10) at BENCH_CONNECTIONS (64) connections, after a short
# warm-up that also checks every answer is a 204. The measured time is split
# in two runs ordered minimal, corsgate, corsgate, minimal, so that a drift in
# the machine's load weighs on both alike.
#
# Run by bench/run.sh with B (build dir) and CORSGATE (absolute path of the
# binary) in the environment, from the repository's root. Only 127.0.0.1.
# Prints figures and ratios; exits 0 whatever the speed, 1 only when the set-up
# broke (a program missing or not starting, answers that are not 204).
set -u

B=${B:-build}
CORSGATE=${CORSGATE:-$PWD/$B/corsgate}
case $B in /*) MINIMAL=$B/bench/minimal_fcgi ;; *) MINIMAL=$PWD/$B/bench/minimal_fcgi ;; esac
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WARMUP=2
THREADS=64 # corsgate's default connections per worker; minimal gets the same
WORKERS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ORIGIN=http://x.com

NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
WRK=$(command -v wrk 2>/dev/null || echo wrk)

broken() {
	echo "fcgi: $*" >&2
	exit 1
}

[ -x "$CORSGATE" ] || broken "no corsgate binary at $CORSGATE (make)"
[ -x "$MINIMAL" ] || broken "no $MINIMAL (make $B/bench/minimal_fcgi)"
[ -x "$NGINX" ] || broken "nginx not installed (scripts/deps.sh)"
command -v "$WRK" >/dev/null 2>&1 || broken "wrk not installed (scripts/deps.sh bench)"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/corsgate-bench.XXXXXX") || broken "mktemp failed"
GROUPS_STARTED="" # process-group ids (each program runs in its own session)

# alive PGID: is any process of that session still running (zombies aside)?
# shellcheck disable=SC2009 # pgrep would count zombies
alive() {
	ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

# stop PGID: SIGTERM to the group, up to 5 s to go, then SIGKILL; reaps it.
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

# listening PORT: is something listening on 127.0.0.1:PORT (or any address)?
listening() {
	_hex=$(printf '%04X' "$1")
	awk -v p=":$_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
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

# wait_listen NAME PGID PORT: up to 10 s for the program to listen.
wait_listen() {
	_n=100
	while [ "$_n" -gt 0 ]; do
		listening "$3" && return 0
		alive "$2" || break
		sleep 0.1
		_n=$((_n - 1))
	done
	sed 's/^/    /' "$DIR/$1.log" >&2
	broken "$1 did not start listening on 127.0.0.1:$3"
}

# --- the backends ---------------------------------------------------------

cat >"$DIR/cors.ini" <<EOF
[cors]
allow_origin = $ORIGIN
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
EOF

P_CORSGATE="" P_MINIMAL="" P_HTTP_CORSGATE="" P_HTTP_MINIMAL=""
free_port P_CORSGATE
free_port P_MINIMAL
free_port P_HTTP_CORSGATE
free_port P_HTTP_MINIMAL

start corsgate "$CORSGATE" serve -c "$DIR/cors.ini" \
	-s "tcp:127.0.0.1:$P_CORSGATE" -w "$WORKERS" --allow-root
G_CORSGATE=$STARTED
start minimal "$MINIMAL" -s "tcp:127.0.0.1:$P_MINIMAL" -w "$WORKERS" -t "$THREADS"
G_MINIMAL=$STARTED
wait_listen corsgate "$G_CORSGATE" "$P_CORSGATE"
wait_listen minimal "$G_MINIMAL" "$P_MINIMAL"

# --- nginx ----------------------------------------------------------------

mkdir -p "$DIR/nginx/tmp" "$DIR/nginx/logs"

# nginx_conf KEEPALIVE(0|1): writes $DIR/nginx/nginx.conf.
nginx_conf() {
	if [ "$1" = 1 ]; then
		_ka="keepalive 32;"
		_keep="fastcgi_keep_conn on;"
	else
		_ka=""
		_keep=""
	fi
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
    root $DIR/nginx;
    upstream corsgate { server 127.0.0.1:$P_CORSGATE; $_ka }
    upstream minimal { server 127.0.0.1:$P_MINIMAL; $_ka }
EOF
		for _b in corsgate minimal; do
			if [ $_b = corsgate ]; then _port=$P_HTTP_CORSGATE; else _port=$P_HTTP_MINIMAL; fi
			cat <<EOF
    server {
        listen 127.0.0.1:$_port;
        location / {
            fastcgi_pass $_b;
            $_keep
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
            fastcgi_param REDIRECT_STATUS 200;
        }
    }
EOF
		done
		echo "}"
	} >"$DIR/nginx/nginx.conf"
}

G_NGINX=""
nginx_start() {
	nginx_conf "$1"
	"$NGINX" -t -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" \
		>"$DIR/nginx-t.log" 2>&1 ||
		{ cat "$DIR/nginx-t.log" >&2; broken "nginx rejected its configuration"; }
	start nginx "$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -g 'daemon off;'
	G_NGINX=$STARTED
	wait_listen nginx "$G_NGINX" "$P_HTTP_CORSGATE"
	wait_listen nginx "$G_NGINX" "$P_HTTP_MINIMAL"
}

# --- wrk ------------------------------------------------------------------

cat >"$DIR/preflight.lua" <<EOF
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$ORIGIN"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "X-Custom-Header"
EOF

# The warm-up also looks at every answer: status 204 and our Allow-Origin.
cat "$DIR/preflight.lua" >"$DIR/check.lua"
cat >>"$DIR/check.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
bad, first = 0, ""
function response(status, headers, body)
   local acao
   for k, v in pairs(headers) do
      if string.lower(k) == "access-control-allow-origin" then acao = v end
   end
   if status ~= 204 or acao ~= wrk.headers["Origin"] then
      if bad == 0 then
         first = status .. " Access-Control-Allow-Origin: " .. tostring(acao)
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

RESULTS="" # lines "BACKEND KA RPS P99MS BAD", one per measured run
BROKEN=0
HALF=$(((SECS + 1) / 2))

# check BACKEND KA PORT: the warm-up, which also checks every answer. Returns
# non-zero (and records the pair as failed) when one was not right.
check() {
	_out=$(timeout $((WARMUP + 15)) "$WRK" -t2 -c"$CONNS" -d"${WARMUP}s" \
		-s "$DIR/check.lua" "http://127.0.0.1:$3/" 2>&1)
	_check=$(printf '%s\n' "$_out" | sed -n 's/^CHECK //p')
	# shellcheck disable=SC2086 # split into words on purpose
	set -- "$1" "$2" "$3" $_check
	[ $# -ge 5 ] && [ "$4" -gt 0 ] && [ "$5" -eq 0 ] && return 0
	echo "fcgi: $1 (keep-alive $2): not every answer is 204 with" \
		"Access-Control-Allow-Origin: $ORIGIN; wrk said:" >&2
	printf '%s\n' "$_out" | sed 's/^/    /' >&2
	BROKEN=1
	RESULTS="$RESULTS
$1 $2 - - -"
	return 1
}

# run BACKEND KA PORT ROUND: one measured run of HALF seconds.
run() {
	_out=$(timeout $((HALF + 15)) "$WRK" -t2 -c"$CONNS" -d"${HALF}s" --latency \
		-s "$DIR/preflight.lua" "http://127.0.0.1:$3/" 2>&1)
	printf '%s\n' "$_out" >"$DIR/wrk-$1-$2-$4.txt"
	_rps=$(printf '%s\n' "$_out" | awk '/^Requests\/sec:/ { print $2 }')
	_p99=$(printf '%s\n' "$_out" | awk '$1 == "99%" { print $2 }')
	_non2xx=$(printf '%s\n' "$_out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
	_errs=$(printf '%s\n' "$_out" | awk '/Socket errors:/ {
		gsub(",", ""); print $4 + $6 + $8 + $10 }')
	if [ -z "$_rps" ] || [ -z "$_p99" ]; then
		echo "fcgi: wrk gave no figures for $1 (keep-alive $2):" >&2
		printf '%s\n' "$_out" | sed 's/^/    /' >&2
		BROKEN=1
		RESULTS="$RESULTS
$1 $2 - - -"
		return
	fi
	RESULTS="$RESULTS
$1 $2 $_rps $(to_ms "$_p99") $((${_non2xx:-0} + ${_errs:-0}))"
}

echo "nginx -> FastCGI on 127.0.0.1, $WORKERS workers x $THREADS threads each;" \
	"wrk -t2 -c$CONNS, OPTIONS preflight;"
echo "each figure: mean of 2 runs of ${HALF}s in the order minimal, corsgate," \
	"corsgate, minimal"
for ka in 0 1; do
	nginx_start "$ka"
	ok_m=0 ok_c=0
	check minimal "$ka" "$P_HTTP_MINIMAL" && ok_m=1
	check corsgate "$ka" "$P_HTTP_CORSGATE" && ok_c=1
	[ $ok_m = 1 ] && run minimal "$ka" "$P_HTTP_MINIMAL" 1
	[ $ok_c = 1 ] && run corsgate "$ka" "$P_HTTP_CORSGATE" 1
	[ $ok_c = 1 ] && run corsgate "$ka" "$P_HTTP_CORSGATE" 2
	[ $ok_m = 1 ] && run minimal "$ka" "$P_HTTP_MINIMAL" 2
	stop "$G_NGINX"
done
alive "$G_CORSGATE" || { echo "fcgi: corsgate died during the run" >&2; BROKEN=1; }
alive "$G_MINIMAL" || { echo "fcgi: minimal_fcgi died during the run" >&2; BROKEN=1; }

# --- report ---------------------------------------------------------------

# get BACKEND KA FIELD: the runs' mean req/s (3) or p99 ms (4), or their
# total of bad answers (5); "-" when any run of the pair failed.
get() {
	printf '%s\n' "$RESULTS" | awk -v b="$1" -v k="$2" -v f="$3" '
		$1 == b && $2 == k { if ($f == "-") bad = 1; n++; t += $f }
		END {
			if (bad || n == 0) print "-"
			else if (f == 3) printf "%.0f\n", t / n
			else if (f == 4) printf "%.2f\n", t / n
			else print t
		}'
}
# ratio A B: A/B to two places, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"
		else printf "%.2f", a / b }'
}

printf '\n%-10s %-10s %10s %9s %9s\n' backend keepalive req/s "p99 ms" "non-2xx"
for ka in 0 1; do
	for b in minimal corsgate; do
		[ "$ka" = 1 ] && k=on || k=off
		printf '%-10s %-10s %10s %9s %9s\n' "$b" "$k" \
			"$(get $b $ka 3)" "$(get $b $ka 4)" "$(get $b $ka 5)"
	done
done
echo "(non-2xx counts wrk's non-2xx/3xx answers plus socket errors)"

r_noka=$(ratio "$(get corsgate 0 3)" "$(get minimal 0 3)")
r_ka=$(ratio "$(get corsgate 1 3)" "$(get minimal 1 3)")
r_cg=$(ratio "$(get corsgate 1 3)" "$(get corsgate 0 3)")
r_min=$(ratio "$(get minimal 1 3)" "$(get minimal 0 3)")
echo
echo "corsgate/minimal, no keep-alive:   $r_noka (target >= 0.9)"
echo "corsgate/minimal, keep-alive:      $r_ka"
echo "corsgate keep-alive/no keep-alive: $r_cg (target > 1; minimal: $r_min)"
for b in corsgate minimal; do
	for ka in 0 1; do
		p=$(get $b $ka 4)
		[ "$ka" = 1 ] && k=on || k=off
		verdict=$(awk -v p="$p" 'BEGIN { if (p == "-" || p == "") print "-";
			else if (p + 0 < 5) print "yes"; else print "no" }')
		echo "p99 < 5 ms at $CONNS connections, $b keep-alive $k: $verdict ($p ms)"
	done
done
echo "(by Little's law the mean latency is $CONNS / req/s: p99 < 5 ms needs" \
	"well over $((CONNS * 200)) req/s through nginx on this machine)"

exit "$BROKEN"
