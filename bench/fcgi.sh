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
# Each run also counts the backend's CPU time (its process group's, from
# /proc) against the machine's busy time (/proc/stat): the backend's share.
# nginx and wrk run on the same cores, so a backend that cost nothing
# could make the whole at most 1/(1 - share) faster: the ceiling of any
# corsgate/minimal ratio here, printed with it.
#
# Run by bench/run.sh with B (build dir) and CORSGATE (absolute path of the
# binary) in the environment, from the repository's root. Only 127.0.0.1.
# Prints figures and ratios; exits 0 whatever the speed, 1 only when the set-up
# broke (a program missing or not starting, answers that are not 204).
set -u

PART=fcgi
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
case $B in /*) MINIMAL=$B/bench/minimal_fcgi ;; *) MINIMAL=$PWD/$B/bench/minimal_fcgi ;; esac
THREADS=64 # corsgate's default connections per worker; minimal gets the same

[ -x "$CORSGATE" ] || broken "no corsgate binary at $CORSGATE (make)"
[ -x "$MINIMAL" ] || broken "no $MINIMAL (make $B/bench/minimal_fcgi)"
[ -x "$NGINX" ] || broken "nginx not installed (scripts/deps.sh)"
command -v "$WRK" >/dev/null 2>&1 || broken "wrk not installed (scripts/deps.sh bench)"

bench_dir

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
wait_listen corsgate "$G_CORSGATE" tcp "$P_CORSGATE"
wait_listen minimal "$G_MINIMAL" tcp "$P_MINIMAL"

# --- nginx ----------------------------------------------------------------

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
		nginx_head "$DIR/nginx"
		cat <<EOF
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
        }
    }
EOF
		done
		echo "}"
	} >"$DIR/nginx/nginx.conf"
}

# --- wrk ------------------------------------------------------------------

cat >"$DIR/request.lua" <<EOF
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$ORIGIN"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "X-Custom-Header"
EOF

# The warm-up also looks at every answer: status 204 and our Allow-Origin.
CHECK_WANT="204 with Access-Control-Allow-Origin: $ORIGIN"
write_check_lua <<'EOF'
function answer_ok(status, acao, body)
   return status == 204 and acao == wrk.headers["Origin"]
end
EOF

# group_of BACKEND: its process group (the master's pid: started by
# setsid), whose CPU time run() counts.
group_of() {
	if [ "$1" = corsgate ]; then echo "$G_CORSGATE"; else echo "$G_MINIMAL"; fi
}

# url BACKEND KA: nginx's address for it; what BACKEND KA: its name in messages.
url() {
	if [ "$1" = corsgate ]; then
		echo "http://127.0.0.1:$P_HTTP_CORSGATE/"
	else
		echo "http://127.0.0.1:$P_HTTP_MINIMAL/"
	fi
}
what() {
	echo "$1 (keep-alive $2)"
}

echo "nginx -> FastCGI on 127.0.0.1, $WORKERS workers x $THREADS threads each;" \
	"wrk -t2 -c$CONNS, OPTIONS preflight;"
echo "each figure: mean of 2 runs of ${HALF}s in the order minimal, corsgate," \
	"corsgate, minimal"
for ka in 0 1; do
	nginx_conf "$ka"
	nginx_start "$P_HTTP_CORSGATE" "$P_HTTP_MINIMAL"
	interleaved minimal "$ka"
	stop "$G_NGINX"
done
still_alive corsgate "$G_CORSGATE"
still_alive minimal_fcgi "$G_MINIMAL"

# --- report ---------------------------------------------------------------

table keepalive minimal 0 off 1 on

r_noka=$(ratio "$(get corsgate 0 3)" "$(get minimal 0 3)")
r_ka=$(ratio "$(get corsgate 1 3)" "$(get minimal 1 3)")
r_cg=$(ratio "$(get corsgate 1 3)" "$(get corsgate 0 3)")
r_min=$(ratio "$(get minimal 1 3)" "$(get minimal 0 3)")
# verdict_ge RATIO TARGET: "yes" when RATIO >= TARGET.
verdict_ge() {
	awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-") print "-"; else if (r + 0 >= t) print "yes"; else print "no" }'
}
echo
echo "corsgate/minimal req/s, no keep-alive: $r_noka (target >= 1.1: $(verdict_ge "$r_noka" 1.1));" \
	"p50 $(ratio "$(get corsgate 0 6)" "$(get minimal 0 6)"), p99 $(ratio "$(get corsgate 0 4)" "$(get minimal 0 4)")"
echo "corsgate/minimal req/s, keep-alive:    $r_ka (target >= 1.5: $(verdict_ge "$r_ka" 1.5));" \
	"p50 $(ratio "$(get corsgate 1 6)" "$(get minimal 1 6)"), p99 $(ratio "$(get corsgate 1 4)" "$(get minimal 1 4)")"
echo "corsgate keep-alive/no keep-alive:     $r_cg (target > 1; minimal: $r_min)"
# Where the time goes: the backend's share of the machine's busy CPU time
# (nginx, wrk and the backend share the same cores). A backend that cost
# nothing would leave nginx and wrk the rest: with the minimal responder's
# share s, at most 1/(1 - s) its req/s.
for ka in 0 1; do
	[ "$ka" = 1 ] && k="keep-alive   " || k="no keep-alive"
	s_cg=$(get corsgate $ka 7) s_min=$(get minimal $ka 7)
	ceil=$(awk -v s="$s_min" 'BEGIN { if (s == "-" || s + 0 >= 100) print "-"; else printf "%.2f", 100 / (100 - s) }')
	echo "busy CPU spent in the backend, $k: corsgate $s_cg%, minimal $s_min%;" \
		"a backend costing nothing: at most ${ceil}x minimal's req/s"
done
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
