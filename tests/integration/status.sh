#!/bin/sh
# status.sh - the status page and report-only mode.
#
#   - a known mix of requests (preflights allowed and refused, actual CORS
#     requests allowed, refused and blocked, plain requests, a 404 and a
#     502 from scripts), sent through nginx and the raw FastCGI client to
#     two workers (both seen serving), moves the counters by exactly that
#     mix in the text page, the JSON page and the OpenMetrics page (each
#     parsed); still after a SIGHUP reload, and after kill -9 of a worker
#     (the counts are the master's memory, not the workers');
#   - the status path never runs a script, even one at that very path;
#   - report-only passes a script's own headers byte for byte (the same
#     bytes as enabled = false), answers no preflight itself, and counts
#     and logs agreements and disagreements both ways, for preflights and
#     actual requests; it counts nothing as an enforced verdict.
. tests/lib.sh
. tests/integration/harness.sh

SOCK=$H_DIR/s.sock
POL=$H_DIR/s.ini
MARK=$H_DIR/status-script-ran
h_policy "$POL" "[gateway]
status_path = /corsgate-status
log_level = info

[path /blocked.sh]
allow_origin = http://x.com
block_disallowed = true

[path /ro*]
mode = report-only
allow_origin = https://app.example.com
allow_methods = GET, POST
allow_headers = X-Custom-Header

[path /dis.sh]
enabled = false"
# a script at the status path itself: it must never run
h_script corsgate-status <<EOF
#!/bin/sh
touch '$MARK'
printf 'Content-Type: text/plain\r\n\r\nthe script ran\n'
EOF
# which worker served: its pid
h_script who.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nworker %s\n' "$PPID"
EOF
h_script bad.sh <<'EOF'
#!/bin/sh
printf 'this is no header block\r\n\r\n'
EOF
h_script blocked.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nblocked.sh ran\n'
EOF
# a legacy script with its own CORS answer: it allows app.example.com
# and old.example.com, methods GET, POST, PUT, no request header; with
# QUERY_STRING=forget it forgets its Access-Control-Allow-Origin
LEGACY='#!/bin/sh
o=
case $HTTP_ORIGIN in
https://app.example.com | https://old.example.com) o=$HTTP_ORIGIN ;;
esac
[ "$QUERY_STRING" = forget ] && o=
if [ "$REQUEST_METHOD" = OPTIONS ]; then
	printf "Status: 204 No Content\r\n"
	[ -n "$o" ] && printf "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Methods: GET, POST, PUT\r\n" "$o"
	printf "X-Legacy: preflight\r\n\r\n"
	exit 0
fi
printf "Status: 200 OK\r\nContent-Type: text/plain\r\n"
[ -n "$o" ] && printf "Access-Control-Allow-Origin: %s\r\n" "$o"
printf "X-Legacy: yes\r\nVary: Accept-Encoding\r\n\r\nlegacy body\n"'
printf '%s\n' "$LEGACY" | h_script ro-legacy.sh
printf '%s\n' "$LEGACY" | h_script dis.sh
printf '%s\n' "$LEGACY" | h_script enf-legacy.sh

start_corsgate s "unix:$SOCK" -c "$POL" -w 2 --allow-root || {
	finish
	exit 1
}
M=$(h_cg_pid s)
PORT=$(free_port)
start_nginx ng "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || {
	finish
	exit 1
}
URL=http://127.0.0.1:$PORT

# ---- the pages, parsed into "key value" lines ----
cat >"$H_DIR/parse.py" <<'PY'
# parse.py FORMAT < PAGE: prints "key value" per figure, sorted, with the
# JSON page's keys ("preflights.allowed"); fails on a malformed page.
import json, re, sys
fmt, page, out = sys.argv[1], sys.stdin.read(), {}
if fmt == "json":
    for k, v in json.loads(page).items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out[k + "." + k2] = v2
        else:
            out[k] = v
elif fmt == "text":
    for line in page.splitlines():
        m = re.fullmatch(r"(\w+)(?: (\w+))? +(\d+)", line)
        if not m:
            sys.exit("bad text line: %r" % line)
        out[m[1] + ("." + m[2] if m[2] else "")] = int(m[3])
else:
    lines = page.split("\n")
    if lines[-2:] != ["# EOF", ""]:
        sys.exit("no final # EOF")
    types = {}
    for line in lines[:-2]:
        m = re.fullmatch(r"# TYPE (corsgate_\w+) (counter|gauge)", line)
        if m:
            types[m[1]] = m[2]
            continue
        if re.fullmatch(r"# HELP corsgate_\w+ .+", line):
            continue
        m = re.fullmatch(r'(corsgate_\w+?)(_total)?(?:\{(.*)\})? (\d+)', line)
        if not m:
            sys.exit("bad line: %r" % line)
        fam, total, labels, v = m[1], m[2], m[3], int(m[4])
        if types.get(fam) != ("counter" if total else "gauge"):
            sys.exit("sample without its # TYPE: %r" % line)
        key = fam[len("corsgate_"):]
        if labels:
            lv = dict(re.fullmatch(r'(\w+)="([^"]*)"', l).groups()
                      for l in labels.split(","))
            if set(lv) == {"policy", "script"}:
                sub = "policy_%s_script_%s" % (lv["policy"], lv["script"])
            else:
                (sub,) = lv.values()
            key += "." + sub
        out[key] = v
for k in sorted(out):
    print(k, out[k])
PY
# figures FORMAT: the status page in FORMAT (text, json, openmetrics),
# through nginx, parsed
figures() {
	_q=
	[ "$1" != text ] && _q="?$1"
	curl -s --max-time 20 "$URL/corsgate-status$_q" |
		python3 "$H_DIR/parse.py" "$1"
}
# fig FIGURES KEY: one value
fig() {
	printf '%s\n' "$1" | awk -v k="$2" '$1 == k {print $2}'
}

# ---- the status path itself ----
r=$(h_http GET "$URL/corsgate-status")
check_contains "status page: 200" "$r" "HTTP/1.1 200"
check_contains "status page: plain text by default" "$(h_headers "$r")" \
	"Content-Type: text/plain; charset=utf-8"
check_eq "status page: no CORS header, even asked from an allowed origin" 0 \
	"$(h_count "$(h_http GET "$URL/corsgate-status" 'Origin: https://app.example.com')" \
		Access-Control-Allow-Origin)"
check_contains "status page ?json: application/json" \
	"$(h_headers "$(h_http GET "$URL/corsgate-status?json")")" \
	"Content-Type: application/json"
check_contains "status page ?openmetrics: its Content-Type" \
	"$(h_headers "$(h_http GET "$URL/corsgate-status?openmetrics")")" \
	"Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"
check_eq "status page ?openmetrics: ends with # EOF" "# EOF" \
	"$(curl -s "$URL/corsgate-status?openmetrics" | tail -n 1)"
fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/corsgate-status \
	-p "SCRIPT_FILENAME=$H_CGI/corsgate-status" >/dev/null
h_http OPTIONS "$URL/corsgate-status" 'Origin: http://x.com' \
	'Access-Control-Request-Method: PUT' >/dev/null
check_eq "status path: the script there never ran" no \
	"$([ -e "$MARK" ] && echo yes || echo no)"
check_eq "next to it, a path that is not the status path runs scripts" 200 \
	"$(h_status GET "$URL/who.sh")"
# CGI mode: one process per request, no shared counters: a clear 501
cgi=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	CORSGATE_CONFIG="$POL" SCRIPT_NAME=/cgi-bin/corsgate.cgi PATH_INFO=/corsgate-status \
	PATH_TRANSLATED="$H_CGI/corsgate-status" "$CORSGATE" </dev/null 2>/dev/null | tr -d '\r')
check_contains "CGI mode: the status path answers 501" "$cgi" "Status: 501 Not Implemented"
check_contains "CGI mode: and says why" "$cgi" "no shared counters"
check_eq "CGI mode: the script at the status path did not run" no \
	"$([ -e "$MARK" ] && echo yes || echo no)"

# ---- a known mix of requests ----
# Each function sends requests and adds what it expects to move to
# $H_DIR/expect ("key count" lines).
EXP=$H_DIR/expect
expect() { echo "$1 $2" >>"$EXP"; }
mix() {
	: >"$EXP"
	_n=0
	# allowed preflights: 2 through nginx, 1 raw
	for _i in 1 2; do
		h_status OPTIONS "$URL/cors" 'Origin: http://x.com' \
			'Access-Control-Request-Method: PUT' >/dev/null
	done
	fcgi "unix:$SOCK" request -p REQUEST_METHOD=OPTIONS -p SCRIPT_NAME=/cors \
		-p HTTP_ORIGIN=http://x.com -p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT >/dev/null
	expect preflights.allowed 3
	expect responses.2xx 3
	# refused preflights: a method, a header
	h_status OPTIONS "$URL/cors" 'Origin: http://x.com' \
		'Access-Control-Request-Method: PATCH' >/dev/null
	h_status OPTIONS "$URL/cors" 'Origin: http://x.com' \
		'Access-Control-Request-Method: PUT' \
		'Access-Control-Request-Headers: X-Other' >/dev/null
	expect preflights.refused 2
	expect refusals.method_denied 1
	expect refusals.header_denied 1
	expect responses.4xx 2
	# actual requests: 2 allowed, 1 refused (script runs), 1 blocked
	h_status GET "$URL/cors" 'Origin: http://x.com' >/dev/null
	fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/cors \
		-p "SCRIPT_FILENAME=$H_CGI/cors" -p HTTP_ORIGIN=http://x.com >/dev/null
	h_status GET "$URL/cors" 'Origin: https://evil.example' >/dev/null
	h_status GET "$URL/blocked.sh" 'Origin: https://evil.example' >/dev/null
	expect cors_requests.allowed 2
	expect cors_requests.refused 1
	expect cors_requests.blocked 1
	expect refusals.origin_denied 2
	expect responses.2xx 3
	expect responses.4xx 1
	expect script_runs 3
	# plain requests, on new connections, until both workers were seen
	# (at most 40): who.sh prints its worker's pid
	: >"$H_DIR/who"
	_i=0
	while [ "$_i" -lt 40 ]; do
		fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/who.sh \
			-p "SCRIPT_FILENAME=$H_CGI/who.sh" | tr -d '\r' |
			sed -n 's/^worker //p' >>"$H_DIR/who"
		_i=$((_i + 1))
		[ "$(sort -u "$H_DIR/who" | wc -l)" -ge 2 ] && [ "$_i" -ge 4 ] && break
	done
	expect script_runs "$_i"
	expect responses.2xx "$_i"
	_n=$((_n + _i))
	# a script's 404, and a script's bad output (502)
	h_status GET "$URL/status404.sh" >/dev/null
	h_status GET "$URL/bad.sh" >/dev/null
	expect script_runs 2
	expect responses.4xx 1
	expect responses.5xx 1
	expect script_failures.bad_output 1
	# the requests: 3 + 2 + 4 + who.sh's + 2
	expect requests $((11 + _n))
}

# check_mix LABEL BEFORE AFTER: AFTER - BEFORE is the expected mix, plus
# the status page's request between them (its 200 shows at the next one);
# every other counter unchanged.
check_mix() {
	_want=$(awk '{s[$1] += $2} END {s["requests"] += 1; s["responses.2xx"] += 1
		for (k in s) print k, s[k]}' "$EXP" | sort)
	_got=$(printf '%s\n%s\n' "$2" "$3" | awk '
		{ if (!($1 in a)) { a[$1] = $2; next } d = $2 - a[$1]; if (d) print $1, d }' |
		grep -Ev '^(connections|scripts_running|policy_load_time_seconds|policy_generation|reloads\.|worker_restarts|workers) ' |
		sort)
	check_eq "$1" "$_want" "$_got"
}

B_TEXT=$(figures text)
B_JSON=$(figures json)
B_OM=$(figures openmetrics)
keys() { printf '%s\n' "$1" | awk '{print $1}'; }
check_eq "text and json pages: the same figures" "$(keys "$B_JSON")" "$(keys "$B_TEXT")"
check_eq "openmetrics and json pages: the same figures" "$(keys "$B_JSON")" "$(keys "$B_OM")"
check_eq "the pages: every figure there" 40 "$(keys "$B_JSON" | wc -l | tr -d ' ')"

BASE=$(figures json)
mix
check_eq "the mix went to both workers" 2 "$(sort -u "$H_DIR/who" | wc -l | tr -d ' ')"
NOW=$(figures text)
check_mix "text page: the counters moved by the mix exactly" "$BASE" "$NOW"
: >"$EXP" # the next page: only the text page's request between them
NOW2=$(figures json)
check_mix "json page: then by the one status request" "$NOW" "$NOW2"
NOW3=$(figures openmetrics)
check_mix "openmetrics page: then by the one status request" "$NOW2" "$NOW3"
check_eq "workers: 2" 2 "$(fig "$NOW3" workers)"
check_eq "generation 1" 1 "$(fig "$NOW3" policy_generation)"
check_eq "no reload yet" "0 0" "$(fig "$NOW3" reloads.ok) $(fig "$NOW3" reloads.failed)"

# ---- a reload: the counts stay, the new generation counts on ----
W1=$(h_workers "$M")
kill -HUP "$M"
wait_for 10 '[ "$(h_workers "$M" | wc -l)" -eq 2 ] && [ -z "$(printf "%s\n%s\n" "$W1" "$(h_workers "$M")" | sort | uniq -d)" ]'
check_eq "reload: a new generation of two workers" "" \
	"$(printf '%s\n%s\n' "$W1" "$(h_workers "$M")" | sort | uniq -d)"
BASE=$(figures openmetrics)
check_eq "reload: counted ok, generation 2" "1 2" \
	"$(fig "$BASE" reloads.ok) $(fig "$BASE" policy_generation)"
check_eq "reload: the counts before it are still there" \
	"$(fig "$NOW3" preflights.allowed) $(fig "$NOW3" script_runs)" \
	"$(fig "$BASE" preflights.allowed) $(fig "$BASE" script_runs)"
mix
check_eq "after the reload: the mix went to both workers" 2 \
	"$(sort -u "$H_DIR/who" | wc -l | tr -d ' ')"
NOW=$(figures json)
check_mix "after the reload: the counters moved by the mix exactly (json)" "$BASE" "$NOW"

# a broken policy: reload refused, counted
cp "$POL" "$POL.good"
printf '[cors]\nbogus = 1\n' >>"$POL"
kill -HUP "$M"
wait_for 10 'grep -q "reload failed" "$H_DIR/s.log"'
mv "$POL.good" "$POL"
BASE=$(figures text)
check_eq "a broken reload: counted as failed, generation still 2" "1 1 2" \
	"$(fig "$BASE" reloads.ok) $(fig "$BASE" reloads.failed) $(fig "$BASE" policy_generation)"

# ---- kill -9 of a worker: its counts stay, it is replaced ----
W=$(h_workers "$M")
VICTIM=$(printf '%s\n' "$W" | head -n 1)
kill -KILL "$VICTIM"
wait_for 10 '[ "$(h_workers "$M" | wc -l)" -eq 2 ] && ! h_workers "$M" | grep -qx "$VICTIM"'
check_eq "kill -9: the worker was replaced" "2 no" \
	"$(h_workers "$M" | wc -l | tr -d ' ') $(h_workers "$M" | grep -qx "$VICTIM" && echo yes || echo no)"
AFTER=$(figures json)
: >"$EXP"
check_mix "kill -9: no count lost (only the status request between)" "$BASE" "$AFTER"
check_eq "kill -9: counted as a worker restart; 2 workers" "1 2" \
	"$(fig "$AFTER" worker_restarts) $(fig "$AFTER" workers)"
mix
NOW=$(figures openmetrics)
check_mix "after kill -9: the counters moved by the mix exactly (openmetrics)" "$AFTER" "$NOW"

# ---- report-only ----
# raw FastCGI answers: the script's bytes, as sent by corsgate
raw() { # PATH PARAM...
	_p=$1
	shift
	fcgi "unix:$SOCK" request -p "SCRIPT_NAME=$_p" -p "SCRIPT_FILENAME=$H_CGI$_p" "$@"
}
A='-p HTTP_ORIGIN=https://app.example.com'
# shellcheck disable=SC2086
{
	RO=$(raw /ro-legacy.sh -p REQUEST_METHOD=GET $A | od -c)
	DIS=$(raw /dis.sh -p REQUEST_METHOD=GET $A | od -c)
	ENF=$(raw /enf-legacy.sh -p REQUEST_METHOD=GET $A | od -c)
}
check_eq "report-only: the script's headers byte for byte (as enabled = false)" "$DIS" "$RO"
check_contains "report-only: the script's own answer" "$(raw /ro-legacy.sh -p REQUEST_METHOD=GET $A | tr -d '\r')" \
	"Status: 200 OK
Content-Type: text/plain
Access-Control-Allow-Origin: https://app.example.com
X-Legacy: yes
Vary: Accept-Encoding

legacy body"
[ "$RO" != "$ENF" ] && pass "enforced, the same script's answer is rewritten" ||
	fail "enforced, the same script's answer is rewritten" "$ENF"

BASE=$(figures json)
: >"$EXP"
# preflights: the script answers them (X-Legacy: preflight)
p1=$(h_http OPTIONS "$URL/ro-legacy.sh" 'Origin: https://app.example.com' \
	'Access-Control-Request-Method: PUT')
check_contains "report-only: a preflight goes to the script" "$p1" "X-Legacy: preflight"
check_contains "report-only: the script's preflight answer untouched" "$(h_headers "$p1")" \
	"Access-Control-Allow-Methods: GET, POST, PUT"
#   policy refuses (PUT), the script allows
h_http OPTIONS "$URL/ro-legacy.sh" 'Origin: https://app.example.com' \
	'Access-Control-Request-Method: POST' >/dev/null
#   both allow (POST is safelisted)
h_http OPTIONS "$URL/ro-legacy.sh" 'Origin: https://app.example.com' \
	'Access-Control-Request-Method: POST' 'Access-Control-Request-Headers: X-Custom-Header' >/dev/null
#   policy allows (X-Custom-Header is listed), the script refuses
h_http OPTIONS "$URL/ro-legacy.sh" 'Origin: https://evil.example' \
	'Access-Control-Request-Method: GET' >/dev/null
#   both refuse
# actual requests
h_http GET "$URL/ro-legacy.sh" 'Origin: https://old.example.com' >/dev/null
#   policy refuses (origin), the script allows
h_http GET "$URL/ro-legacy.sh?forget" 'Origin: https://app.example.com' >/dev/null
#   policy allows, the script refuses (it forgot)
h_http GET "$URL/ro-legacy.sh" 'Origin: https://app.example.com' >/dev/null
#   both allow
h_http GET "$URL/ro-legacy.sh" >/dev/null
#   no Origin: nothing to compare
NOW=$(figures json)
check_eq "report-only: agreements and disagreements counted both ways" \
	"allow_allow=2 allow_refuse=2 refuse_allow=2 refuse_refuse=1" \
	"allow_allow=$(($(fig "$NOW" report_only.policy_allow_script_allow) - $(fig "$BASE" report_only.policy_allow_script_allow))) allow_refuse=$(($(fig "$NOW" report_only.policy_allow_script_refuse) - $(fig "$BASE" report_only.policy_allow_script_refuse))) refuse_allow=$(($(fig "$NOW" report_only.policy_refuse_script_allow) - $(fig "$BASE" report_only.policy_refuse_script_allow))) refuse_refuse=$(($(fig "$NOW" report_only.policy_refuse_script_refuse) - $(fig "$BASE" report_only.policy_refuse_script_refuse)))"
check_eq "report-only: no enforced verdict counted, every request ran its script" \
	"0 0 0 0 0 8" \
	"$(($(fig "$NOW" preflights.allowed) - $(fig "$BASE" preflights.allowed))) $(($(fig "$NOW" preflights.refused) - $(fig "$BASE" preflights.refused))) $(($(fig "$NOW" cors_requests.allowed) - $(fig "$BASE" cors_requests.allowed))) $(($(fig "$NOW" cors_requests.refused) - $(fig "$BASE" cors_requests.refused))) $(($(fig "$NOW" cors_requests.blocked) - $(fig "$BASE" cors_requests.blocked))) $(($(fig "$NOW" script_runs) - $(fig "$BASE" script_runs)))"
LOG=$(cat "$H_DIR/s.log")
check_contains "report-only log: a preflight the policy refuses" "$LOG" \
	"report-only: preflight for PUT /ro-legacy.sh origin https://app.example.com: policy refuses (method PUT not in allow_methods), the script allowed it"
check_contains "report-only log: a preflight the script refuses" "$LOG" \
	"report-only: preflight for POST /ro-legacy.sh origin https://app.example.com: policy allows (origin matches https://app.example.com), the script refused it (header not in Access-Control-Allow-Headers: X-Custom-Header)"
check_contains "report-only log: a request the policy refuses" "$LOG" \
	"report-only: GET /ro-legacy.sh origin https://old.example.com: policy refuses (origin https://old.example.com not in allow_origin), the script allowed it"
check_contains "report-only log: a request the script refuses" "$LOG" \
	"report-only: GET /ro-legacy.sh origin https://app.example.com: policy allows (origin matches https://app.example.com), the script refused it (no Access-Control-Allow-Origin)"
check_eq "report-only log: one line per disagreement, none for agreements" 4 \
	"$(grep -c 'report-only: ' "$H_DIR/s.log")"

finish
