# bench/lib.sh - what the benchmark parts behind nginx share; sourced, not
# run (bench/run.sh skips it). A part sets PART (its name, the prefix of its
# messages), then sources this file, which sets the common settings below
# from the environment and defines:
#
#   broken MSG...                 "PART: MSG" on stderr, exit 1 (set-up broke)
#   bench_dir                     the temporary directory DIR, and the traps
#                                 that stop every process group and remove
#                                 DIR on exit, INT, TERM, HUP and PIPE
#   start NAME CMD...             CMD in a session of its own (STARTED=pgid)
#   alive PGID, stop PGID         is the session running; stop and reap it
#   still_alive NAME PGID         after the runs: BROKEN=1 when it died
#   free_port VAR                 a free loopback port
#   wait_listen NAME PGID tcp|unix PORT|PATH
#   nginx_head ROOT               nginx.conf up to the http block's servers
#   nginx_start PORT...           test $DIR/nginx/nginx.conf, run nginx
#                                 (G_NGINX) and wait for it on each PORT
#   write_check_lua               $DIR/check.lua: $DIR/request.lua, the
#                                 part's answer_ok() from stdin, the count
#   interleaved FLOOR KEY         check FLOOR and corsgate with wrk, then
#                                 time them in the order FLOOR, corsgate,
#                                 corsgate, FLOOR (into RESULTS), at
#                                 RUN_CONNS connections (default CONNS)
#   get BACKEND KEY FIELD, ratio A B, table COLUMN FLOOR KEY SHOWN...
#
# The part defines, for the wrk runs: url BACKEND KEY (the address to load),
# what BACKEND KEY (how a run is named in messages), CHECK_WANT (what every
# answer must be, in words), and writes $DIR/request.lua (wrk's request).
# shellcheck shell=sh disable=SC2034 # the settings are for the parts

B=${B:-build}
CORSGATE=${CORSGATE:-$PWD/$B/corsgate}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WARMUP=2
WORKERS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ORIGIN=http://x.com
HALF=$(((SECS + 1) / 2))

NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
WRK=$(command -v wrk 2>/dev/null || echo wrk)

broken() {
	echo "$PART: $*" >&2
	exit 1
}

# --- processes --------------------------------------------------------------

DIR=""
GROUPS_STARTED="" # process-group ids (each program runs in its own session)
SAMPLER=""        # a helper of the part outside those groups, while it runs

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

# bench_dir: makes DIR (with nginx's prefix in it) and sets the traps.
bench_dir() {
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/corsgate-bench.XXXXXX") || broken "mktemp failed"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	trap 'exit 141' PIPE # output cut short (| head): still clean up
	mkdir -p "$DIR/nginx/tmp" "$DIR/nginx/logs"
}

# start NAME CMD...: runs CMD in a session (and process group) of its own,
# output to $DIR/NAME.log; sets STARTED to its process-group id.
start() {
	_name=$1
	shift
	setsid "$@" </dev/null >"$DIR/$_name.log" 2>&1 &
	STARTED=$!
	GROUPS_STARTED="$GROUPS_STARTED $STARTED"
}

# still_alive NAME PGID: after the runs, notes (BROKEN=1) a program that died.
still_alive() {
	alive "$2" || { echo "$PART: $1 died during the run" >&2; BROKEN=1; }
}

# --- ports and sockets ------------------------------------------------------

# listening_tcp PORT: is something listening on 127.0.0.1:PORT (or any address)?
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
	case $3 in
	tcp) broken "$1 did not start listening on 127.0.0.1:$4" ;;
	*) broken "$1 did not start listening on $3:$4" ;;
	esac
}

# --- nginx ----------------------------------------------------------------

# nginx_head ROOT: the start of an nginx.conf that keeps everything in
# $DIR/nginx, up to the http block's servers (left open), with the usual
# FastCGI parameters for every location and the given document root.
nginx_head() {
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
    root $1;
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
}

# nginx_start PORT...: checks $DIR/nginx/nginx.conf, starts nginx with it
# (G_NGINX, its process group) and waits until it listens on every PORT.
G_NGINX=""
nginx_start() {
	"$NGINX" -t -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" \
		>"$DIR/nginx-t.log" 2>&1 ||
		{ cat "$DIR/nginx-t.log" >&2; broken "nginx rejected its configuration"; }
	start nginx "$NGINX" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -g 'daemon off;'
	G_NGINX=$STARTED
	for _port in "$@"; do
		wait_listen nginx "$G_NGINX" tcp "$_port"
	done
}

# --- wrk ------------------------------------------------------------------

# write_check_lua: the warm-up's script, $DIR/check.lua: the request of
# $DIR/request.lua, then the part's Lua from stdin, which defines
# answer_ok(status, acao, body) (acao: the Access-Control-Allow-Origin
# answered, or nil) and may set show_body (the first wrong body is shown) or
# define init(args) (args[1]: the backend's name). Every thread counts the
# answers that are not ok; done() prints "CHECK REQUESTS BAD FIRST-BAD".
write_check_lua() {
	{
		cat "$DIR/request.lua"
		cat
		cat <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
bad, first = 0, ""
function response(status, headers, body)
   local acao
   for k, v in pairs(headers) do
      if string.lower(k) == "access-control-allow-origin" then acao = v end
   end
   if not answer_ok(status, acao, body) then
      if bad == 0 then
         first = status .. " Access-Control-Allow-Origin: " .. tostring(acao)
         if show_body then
            first = first .. " body: " .. string.sub(tostring(body), 1, 80)
         end
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
	} >"$DIR/check.lua"
}

# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.20s" / "2.00m" in ms.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0
		if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v *= 1
		else if ($1 ~ /m$/) v *= 60000; else if ($1 ~ /s$/) v *= 1000
		printf "%.2f", v }'
}

RESULTS="" # lines "BACKEND KEY RPS P99MS BAD P50MS", one per measured run
RUN_CONNS="" # the connections of the next wrk runs; empty: CONNS

# wrk_conns: "-tT -cC" for RUN_CONNS (or CONNS) connections, on at most 2
# threads (wrk wants at least one connection per thread).
wrk_conns() {
	_c=${RUN_CONNS:-$CONNS}
	if [ "$_c" -ge 2 ]; then echo "-t2 -c$_c"; else echo "-t1 -c$_c"; fi
}
BROKEN=0

# check BACKEND KEY: the warm-up, which also checks every answer. Returns
# non-zero (and records the pair as failed) when one was not right.
check() {
	# shellcheck disable=SC2046 # split into words on purpose
	_out=$(timeout $((WARMUP + 15)) "$WRK" $(wrk_conns) -d"${WARMUP}s" \
		-s "$DIR/check.lua" "$(url "$1" "$2")" -- "$1" 2>&1)
	_check=$(printf '%s\n' "$_out" | sed -n 's/^CHECK //p')
	# shellcheck disable=SC2086 # split into words on purpose
	set -- "$1" "$2" $_check
	[ $# -ge 4 ] && [ "$3" -gt 0 ] && [ "$4" -eq 0 ] && return 0
	echo "$PART: $(what "$1" "$2"): not every answer is $CHECK_WANT; wrk said:" >&2
	printf '%s\n' "$_out" | sed 's/^/    /' >&2
	BROKEN=1
	RESULTS="$RESULTS
$1 $2 - - - -"
	return 1
}

# run BACKEND KEY ROUND: one measured run of HALF seconds.
run() {
	_share=-
	if command -v group_of >/dev/null 2>&1; then
		_g=$(group_of "$1")
		_b0=$(busy_ticks) _c0=$(group_ticks "$_g")
	fi
	# shellcheck disable=SC2046 # split into words on purpose
	_out=$(timeout $((HALF + 15)) "$WRK" $(wrk_conns) -d"${HALF}s" --latency \
		-s "$DIR/request.lua" "$(url "$1" "$2")" 2>&1)
	if command -v group_of >/dev/null 2>&1; then
		_share=$(awk -v b="$(($(busy_ticks) - _b0))" \
			-v c="$(($(group_ticks "$_g") - _c0))" \
			'BEGIN { if (b > 0) printf "%.1f", 100 * c / b; else print "-" }')
	fi
	printf '%s\n' "$_out" >"$DIR/wrk-$1-$2-$3.txt"
	_rps=$(printf '%s\n' "$_out" | awk '/^Requests\/sec:/ { print $2 }')
	_p50=$(printf '%s\n' "$_out" | awk '$1 == "50%" { print $2 }')
	_p99=$(printf '%s\n' "$_out" | awk '$1 == "99%" { print $2 }')
	_non2xx=$(printf '%s\n' "$_out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
	_errs=$(printf '%s\n' "$_out" | awk '/Socket errors:/ {
		gsub(",", ""); print $4 + $6 + $8 + $10 }')
	if [ -z "$_rps" ] || [ -z "$_p99" ] || [ -z "$_p50" ]; then
		echo "$PART: wrk gave no figures for $(what "$1" "$2"):" >&2
		printf '%s\n' "$_out" | sed 's/^/    /' >&2
		BROKEN=1
		RESULTS="$RESULTS
$1 $2 - - - -"
		return
	fi
	RESULTS="$RESULTS
$1 $2 $_rps $(to_ms "$_p99") $((${_non2xx:-0} + ${_errs:-0})) $(to_ms "$_p50") $_share"
}

# busy_ticks: the machine's busy CPU time so far, in clock ticks (user,
# nice, system, irq, softirq of /proc/stat's cpu line).
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
}

# group_ticks G: the CPU time so far (user + system, every thread) of the
# processes in process group G, in clock ticks.
group_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '
		{ sub(/^.*\) /, ""); if ($3 == g) t += $12 + $13 }
		END { print t + 0 }'
}

# interleaved FLOOR KEY: checks FLOOR and corsgate at KEY, then times those
# whose answers were right in two runs each, in the order FLOOR, corsgate,
# corsgate, FLOOR, so that a drift in the machine's load weighs on both alike.
interleaved() {
	_ok_f=0 _ok_c=0
	check "$1" "$2" && _ok_f=1
	check corsgate "$2" && _ok_c=1
	[ $_ok_f = 1 ] && run "$1" "$2" 1
	[ $_ok_c = 1 ] && run corsgate "$2" 1
	[ $_ok_c = 1 ] && run corsgate "$2" 2
	[ $_ok_f = 1 ] && run "$1" "$2" 2
}

# --- report ---------------------------------------------------------------

# get BACKEND KEY FIELD: the runs' mean req/s (3), p99 ms (4), p50 ms (6)
# or the backend's share of the machine's busy CPU time in % (7, where the
# part defines group_of BACKEND: its process group), or their total of bad
# answers (5); "-" when any run of the pair failed.
get() {
	printf '%s\n' "$RESULTS" | awk -v b="$1" -v k="$2" -v f="$3" '
		$1 == b && $2 == k { if ($f == "-") bad = 1; n++; t += $f }
		END {
			if (bad || n == 0) print "-"
			else if (f == 3) printf "%.0f\n", t / n
			else if (f == 4 || f == 6 || f == 7) printf "%.2f\n", t / n
			else print t
		}'
}

# ratio A B: A/B to two places, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"
		else printf "%.2f", a / b }'
}

# table COLUMN FLOOR KEY SHOWN [KEY SHOWN]...: the figures of FLOOR and
# corsgate at each KEY, which the column COLUMN shows as SHOWN.
table() {
	_col=$1 _floor=$2
	shift 2
	printf '\n%-10s %-12s %10s %9s %9s %9s\n' backend "$_col" req/s "p50 ms" \
		"p99 ms" "non-2xx"
	while [ $# -ge 2 ]; do
		for _b in "$_floor" corsgate; do
			printf '%-10s %-12s %10s %9s %9s %9s\n' "$_b" "$2" \
				"$(get "$_b" "$1" 3)" "$(get "$_b" "$1" 6)" \
				"$(get "$_b" "$1" 4)" "$(get "$_b" "$1" 5)"
		done
		shift 2
	done
	echo "(non-2xx counts wrk's non-2xx/3xx answers plus socket errors)"
}
