#!/bin/sh
# bench/callgrind.sh - instructions per CORS preflight, counted by valgrind
# (callgrind), for corsgate's worker and for bench/minimal_fcgi.c, the
# floor: a libfcgi responder that prints fixed CORS headers. Unlike the
# wall-clock figures of bench/fcgi.sh this count repeats (to well within
# 0.1 %) whatever else the machine is doing: use it to steer.
#
# Each responder runs with 1 worker of BENCH_CALLGRIND_THREADS (1) threads
# (corsgate -w 1 with [gateway] threads = 1; minimal_fcgi -w 1 -t 1) under
# valgrind --tool=callgrind --trace-children=yes, on a unix socket. One
# thread, because with two the count drifts by about 0.2 % from run to run
# (which thread takes the accept lock, and whether it has to wait for it);
# with one it repeats to the instruction.
#
# bench/fcgi_preflight.c sends the responder the same raw FastCGI preflight
# (BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN, then it reads until
# END_REQUEST and the close), one connection per request, one request at a
# time, and checks every answer. Two shapes of the request: "nginx", with
# the 24 parameters nginx sends for OPTIONS with Origin and Access-Control-
# Request-Method/-Headers (bench/lib.sh's fastcgi_params and the request's
# headers), and "bare", with only REQUEST_METHOD, HTTP_ORIGIN and
# HTTP_ACCESS_CONTROL_REQUEST_METHOD (fcgi_preflight -b).
#
# SIGTERM to the master then stops it cleanly, and callgrind writes one file
# per process: the worker's (callgrind.out.PID of the child, not the
# master's) "summary:" line is its instruction count (Ir). Two runs per
# responder and shape, of 200 and of 2,200 requests: the difference divided
# by 2,000 is the cost of one preflight, without start-up and shut-down. 8
# runs of valgrind in all, about 10 s.
#
# Prints both counts per shape, the ratios corsgate/minimal (target <= 1.5),
# and the 15 functions that cost corsgate's worker the most per nginx-shaped
# preflight (self cost, from callgrind_annotate of both runs, the difference
# / 2,000).
#
# Run by bench/run.sh with B (build dir) and CORSGATE (absolute path of the
# binary) in the environment, from the repository's root. Only unix sockets
# in a temporary directory. Exits 0 whatever the counts, 1 only when the
# set-up broke (a program missing or not starting, a wrong answer, no
# callgrind file for the worker).
set -u

PART=callgrind
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
case $B in /*) ;; *) B=$PWD/$B ;; esac
MINIMAL=$B/bench/minimal_fcgi
CLIENT=$B/bench/fcgi_preflight
FEW=200
MANY=2200
THREADS=${BENCH_CALLGRIND_THREADS:-1}
VALGRIND=$(command -v valgrind 2>/dev/null || echo valgrind)
ANNOTATE=$(command -v callgrind_annotate 2>/dev/null || echo callgrind_annotate)

[ -x "$CORSGATE" ] || broken "no corsgate binary at $CORSGATE (make)"
[ -x "$MINIMAL" ] || broken "no $MINIMAL (make $B/bench/minimal_fcgi)"
[ -x "$CLIENT" ] || broken "no $CLIENT (make $B/bench/fcgi_preflight)"
command -v "$VALGRIND" >/dev/null 2>&1 || broken "valgrind not installed (scripts/deps.sh bench)"
command -v "$ANNOTATE" >/dev/null 2>&1 || broken "callgrind_annotate not installed (scripts/deps.sh bench)"

bench_dir

cat >"$DIR/cors.ini" <<EOF
[gateway]
threads = $THREADS
log_level = warn
[cors]
allow_origin = $ORIGIN
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
EOF

# count BACKEND SHAPE N: BACKEND (corsgate or minimal) under callgrind
# answers N preflights of SHAPE (nginx or bare); sets FILE to its worker's
# callgrind file and IR to its count.
count() {
	_out=$DIR/out-$1-$2-$3
	_sock=$DIR/$1-$2-$3.sock
	_name=$1-$2-$3
	_reqs=$3
	_bare=""
	[ "$2" = bare ] && _bare=-b
	mkdir -p "$_out"
	set -- "$1" "$VALGRIND" --tool=callgrind --trace-children=yes \
		"--callgrind-out-file=$_out/callgrind.out.%p"
	if [ "$1" = corsgate ]; then
		set -- "$@" "$CORSGATE" serve -c "$DIR/cors.ini" -s "unix:$_sock" \
			-w 1 --allow-root
	else
		set -- "$@" "$MINIMAL" -w 1 -t "$THREADS" -s "unix:$_sock"
	fi
	shift
	start "$_name" "$@"
	_g=$STARTED # setsid runs valgrind itself: the master's pid
	wait_listen "$_name" "$_g" unix "$_sock"
	# shellcheck disable=SC2086 # no -b: no argument
	if ! "$CLIENT" -n "$_reqs" $_bare "$_sock" >"$DIR/client-$_name.txt" 2>&1; then
		sed 's/^/    /' "$DIR/client-$_name.txt" "$DIR/$_name.log" >&2
		broken "$_name: not every answer was a preflight allowing $ORIGIN"
	fi
	# SIGTERM to the master only: it stops its worker, and both exit, so
	# that callgrind writes their files. Up to 60 s, then stop().
	kill -TERM "$_g" 2>/dev/null
	_t=600
	while [ "$_t" -gt 0 ] && alive "$_g"; do
		sleep 0.1
		_t=$((_t - 1))
	done
	alive "$_g" && echo "$PART: $_name did not stop on SIGTERM" >&2
	stop "$_g"
	FILE=""
	for _f in "$_out"/callgrind.out.*; do
		[ -f "$_f" ] || continue
		[ "$_f" = "$_out/callgrind.out.$_g" ] && continue
		[ -n "$FILE" ] && broken "$_name: more than one child's callgrind file in $_out"
		FILE=$_f
	done
	[ -n "$FILE" ] || {
		sed 's/^/    /' "$DIR/$_name.log" >&2
		broken "$_name: no callgrind file for the worker (master pid $_g)"
	}
	IR=$(awk '$1 == "summary:" { s = $2 } $1 == "totals:" && s == "" { s = $2 }
		END { print s }' "$FILE")
	[ -n "$IR" ] || broken "$_name: no summary in $FILE"
}

# self FILE: "IR FUNCTION" for every function of the callgrind file (self
# cost), FUNCTION shortened to file:function [object's basename].
self() {
	"$ANNOTATE" --threshold=100 --inclusive=no --auto=no "$1" 2>/dev/null | awk '
		/file:function/ { table = 1; next }
		table && /^$/ { exit }
		table && /^ *[0-9][0-9,]* \( *[0-9.]+%\)  / {
			n = $1; gsub(",", "", n)
			f = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\)  /, "", f)
			if (f == "PROGRAM TOTALS") next
			o = ""
			if (match(f, / \[[^]]*\]$/)) {
				o = substr(f, RSTART + 2, RLENGTH - 3); sub(/^.*\//, "", o)
				f = substr(f, 1, RSTART - 1)
			}
			sub(/^[^:]*\//, "", f) # the source file: its basename
			print n, f (o == "" ? "" : " [" o "]")
		}'
}

# per BEFORE AFTER: instructions per preflight, to one place.
per() {
	awk -v a="$1" -v b="$2" -v n=$((MANY - FEW)) 'BEGIN { printf "%.1f", (b - a) / n }'
}

echo "valgrind --tool=callgrind --trace-children=yes; 1 worker x $THREADS thread(s);" \
	"the same raw FastCGI preflight over a unix socket, one connection each;"
echo "per preflight = (worker's Ir after $MANY - after $FEW requests) / $((MANY - FEW))"
for shape in nginx bare; do
	for b in minimal corsgate; do
		count "$b" "$shape" "$FEW"
		eval "IR_${b}_${shape}_few=\$IR FILE_${b}_${shape}_few=\$FILE"
		count "$b" "$shape" "$MANY"
		eval "IR_${b}_${shape}_many=\$IR FILE_${b}_${shape}_many=\$FILE"
	done
done

# --- report ---------------------------------------------------------------

# get_ir BACKEND SHAPE few|many: that run's count.
get_ir() {
	eval "echo \"\$IR_$1_$2_$3\""
}

printf '\n%-10s %-6s %12s %12s %13s\n' backend shape "Ir $FEW req" "Ir $MANY req" "Ir/preflight"
for shape in nginx bare; do
	for b in minimal corsgate; do
		printf '%-10s %-6s %12s %12s %13s\n' "$b" "$shape" \
			"$(get_ir "$b" "$shape" few)" "$(get_ir "$b" "$shape" many)" \
			"$(per "$(get_ir "$b" "$shape" few)" "$(get_ir "$b" "$shape" many)")"
	done
done
echo
for shape in nginx bare; do
	p_min=$(per "$(get_ir minimal "$shape" few)" "$(get_ir minimal "$shape" many)")
	p_cg=$(per "$(get_ir corsgate "$shape" few)" "$(get_ir corsgate "$shape" many)")
	r=$(ratio "$p_cg" "$p_min")
	verdict=$(awk -v r="$r" 'BEGIN { if (r == "-") print "-"; else if (r + 0 <= 1.5) print "yes"; else print "no" }')
	printf 'instructions per preflight (%s), corsgate/minimal: %s (target <= 1.5: %s)\n' \
		"$shape" "$r" "$verdict"
	[ "$shape" = nginx ] && P_CG_NGINX=$p_cg
done
p_cg_bare=$(per "$(get_ir corsgate bare few)" "$(get_ir corsgate bare many)")
p_min_bare=$(per "$(get_ir minimal bare few)" "$(get_ir minimal bare many)")
echo "nginx's 24 parameters/bare 3, corsgate: $(ratio "$P_CG_NGINX" "$p_cg_bare");" \
	"minimal: $(ratio "$(per "$(get_ir minimal nginx few)" "$(get_ir minimal nginx many)")" "$p_min_bare")"
# start-up + shut-down: the 200-request run less 200 preflights.
fixed() {
	awk -v a="$(get_ir "$1" nginx few)" -v b="$(get_ir "$1" nginx many)" \
		-v f="$FEW" -v m="$MANY" 'BEGIN { printf "%.0f", a - (b - a) / (m - f) * f }'
}
echo "worker start-up + shut-down: corsgate $(fixed corsgate), minimal $(fixed minimal)" \
	"instructions, corsgate/minimal: $(ratio "$(fixed corsgate)" "$(fixed minimal)")"

# shellcheck disable=SC2154 # set by eval in the loop above
self "$FILE_corsgate_nginx_few" >"$DIR/self-few"
# shellcheck disable=SC2154 # set by eval in the loop above
self "$FILE_corsgate_nginx_many" >"$DIR/self-many"
echo
echo "corsgate's worker, the 15 functions that cost most per nginx-shaped" \
	"preflight (self Ir, ($MANY - $FEW runs) / $((MANY - FEW)); share of $P_CG_NGINX):"
awk -v n=$((MANY - FEW)) -v total="$P_CG_NGINX" '
	NR == FNR { k = $0; sub(/^[0-9]+ /, "", k); few[k] = $1; next }
	{ k = $0; sub(/^[0-9]+ /, "", k); d = ($1 - few[k]) / n
	  if (d > 0) printf "%10.1f %5.1f%%  %s\n", d, 100 * d / total, k }' \
	"$DIR/self-few" "$DIR/self-many" | sort -k1,1 -rn | head -n 15

exit "$BROKEN"
