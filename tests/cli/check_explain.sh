#!/bin/sh
# check_explain.sh - `corsgate check` and `corsgate explain` as a user runs
# them: output, exit codes, the reference exchange.
. tests/lib.sh
: "${CORSGATE:?set CORSGATE to the corsgate binary}"
D=$(mktemp -d)
cleanup_add "rm -rf '$D'"
# The example policy, its cgi_root (/var/www/cgi-bin, which need not exist
# here: it is resolved when the policy loads) pointed at $D.
EX=$D/cors.ini
sed "s|^cgi_root = /var/www/cgi-bin$|cgi_root = $D|" etc/cors.ini >"$EX"

# --- check -------------------------------------------------------------
out=$($CORSGATE check -c "$EX" 2>&1); rc=$?
check_eq "check: example policy exit 0" 0 "$rc"
check_eq "check: example policy says ok" "$EX: ok" "$out"

cat >"$D/bad.ini" <<'INI'
[cors]
allow_origin = https://App.example.com
allow_methods = GET, TRACE
max_age = 100000
[path /x]
allow_credentials = true
allow_origin = *
INI
out=$($CORSGATE check -c "$D/bad.ini" 2>&1); rc=$?
check_eq "check: bad policy exit 1" 1 "$rc"
check_contains "check: uppercase origin with line" "$out" "$D/bad.ini:2: allow_origin: 'https://App.example.com'"
check_contains "check: forbidden method with line" "$out" "$D/bad.ini:3: allow_methods: 'TRACE' is a forbidden method"
check_contains "check: max_age range with line" "$out" "$D/bad.ini:4: max_age: '100000'"
check_lacks "check: bad policy is not ok" "$out" ": ok"
# the credentials conflict is found only once the rest is valid
sed -i '2,4d' "$D/bad.ini"
out=$($CORSGATE check -c "$D/bad.ini" 2>&1); rc=$?
check_eq "check: star with credentials exit 1" 1 "$rc"
check_contains "check: star with credentials" "$out" "$D/bad.ini:4: allow_origin: '*' with allow_credentials = true (line 3)"

printf '[cors]\nallow_credentials = true\nallow_origin = http://shop.example\n' >"$D/warn.ini"
out=$($CORSGATE check -c "$D/warn.ini" 2>&1); rc=$?
check_eq "check: warning still loads" 0 "$rc"
check_contains "check: http origin with credentials warns" "$out" "warning: $D/warn.ini:3: allow_origin: 'http://shop.example'"

out=$($CORSGATE check -c "$D/nope.ini" 2>&1); rc=$?
check_eq "check: missing file exit 1" 1 "$rc"
check_contains "check: missing file named" "$out" "$D/nope.ini: cannot open"

out=$(CORSGATE_CONFIG="$EX" $CORSGATE check 2>&1); rc=$?
check_eq "check: CORSGATE_CONFIG is the default file" "0 $EX: ok" "$rc $out"

# --- explain: the reference exchange -------------------------------------
cat >"$D/ref.ini" <<'INI'
[cors]
allow_origin = http://x.com
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
INI
out=$($CORSGATE explain -c "$D/ref.ini" -X OPTIONS -H 'Origin: http://x.com' \
	-H 'Access-Control-Request-Method: PUT' \
	-H 'Access-Control-Request-Headers: X-Custom-Header' /cors); rc=$?
check_eq "explain: reference preflight exit 0" 0 "$rc"
want="Status: 204 No Content
Access-Control-Allow-Origin: http://x.com
Access-Control-Allow-Methods: GET, POST, PUT
Access-Control-Allow-Headers: X-Custom-Header
Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
check_eq "explain: reference preflight headers" "$want" "$(printf '%s\n' "$out" | sed -n '1,/^$/p')"
check_contains "explain: reference preflight reason" "$out" "allowed: origin matches http://x.com"

out=$($CORSGATE explain -c "$D/ref.ini" -X PUT -H 'Origin: http://x.com' -H 'X-Custom-Header: value' /cors); rc=$?
check_eq "explain: reference actual exit 0" 0 "$rc"
check_contains "explain: reference actual ACAO" "$out" "Access-Control-Allow-Origin: http://x.com"
check_lacks "explain: actual request has no status of its own" "$out" "Status:"
check_contains "explain: actual goes to the script" "$out" "the script runs"

# a policy that does not allow it: no CORS headers at all
printf '[cors]\nallow_origin = http://y.com\nallow_methods = GET, POST, PUT\nallow_headers = X-Custom-Header\n' >"$D/deny.ini"
out=$($CORSGATE explain -c "$D/deny.ini" -X OPTIONS -H 'Origin: http://x.com' \
	-H 'Access-Control-Request-Method: PUT' \
	-H 'Access-Control-Request-Headers: X-Custom-Header' /cors); rc=$?
check_eq "explain: refused preflight exit 2" 2 "$rc"
check_contains "explain: refused preflight status" "$out" "Status: 403 Forbidden"
check_lacks "explain: refused preflight has no Allow-*" "$out" "Access-Control-Allow-"
check_contains "explain: refused origin reason" "$out" "refused: origin http://x.com not in allow_origin"

out=$($CORSGATE explain -c "$D/ref.ini" -X OPTIONS -H 'Origin: http://x.com' \
	-H 'Access-Control-Request-Method: PATCH' /cors); rc=$?
check_eq "explain: PATCH refused exit 2" 2 "$rc"
check_contains "explain: PATCH reason" "$out" "refused: method PATCH not in allow_methods"

out=$($CORSGATE explain -c "$EX" -H 'Origin: https://shop.example.com' /orders); rc=$?
check_eq "explain: wildcard match exit 0" 0 "$rc"
check_contains "explain: wildcard match reason" "$out" "allowed: origin matches https://*.example.com"
check_contains "explain: credentials" "$out" "Access-Control-Allow-Credentials: true"

out=$($CORSGATE explain -c "$EX" -H 'Origin: https://example.com' /orders); rc=$?
check_eq "explain: apex refused exit 2" 2 "$rc"

out=$($CORSGATE explain -c "$EX" -H 'Origin: https://evil.test' /api/items); rc=$?
check_eq "explain: [path /api/*] star exit 0" "0" "$rc"
check_contains "explain: [path /api/*] answers star" "$out" "Access-Control-Allow-Origin: *"
check_contains "explain: names the path policy" "$out" "policy [path /api/*]"

out=$($CORSGATE explain -c "$EX" -X OPTIONS -H 'Origin: https://evil.test' -H 'Access-Control-Request-Method: PUT' /internal/x); rc=$?
check_eq "explain: disabled path exit 0" 0 "$rc"
check_lacks "explain: disabled path adds nothing" "$out" "Access-Control-"
check_contains "explain: disabled reason" "$out" "disabled: enabled = false for /internal/*"

# repeated headers are joined as a web server would: two Origins never match
out=$($CORSGATE explain -c "$D/ref.ini" -H 'Origin: http://x.com' -H 'origin: http://x.com' /cors); rc=$?
check_eq "explain: two Origin headers refused" 2 "$rc"

printf '[cors]\nallow_origin = https://a.com\nblock_disallowed = true\n' >"$D/block.ini"
out=$($CORSGATE explain -c "$D/block.ini" -X POST -H 'Origin: https://b.com' /x); rc=$?
check_eq "explain: blocked actual exit 2" 2 "$rc"
check_contains "explain: blocked actual is answered 403" "$out" "Status: 403 Forbidden"
check_contains "explain: blocked actual: script does not run" "$out" "the script does not run"

# --- explain -p: the params a web server sends, the server's path rule ----
cat >"$D/git.ini" <<'INI'
[cors]
allow_origin = https://app.example.com
[path /git/*]
allow_origin = https://git.example
[path /git/demo.git/info/refs]
allow_origin = https://exact.example
INI
# git's nginx recipe: fastcgi_params' SCRIPT_NAME is the whole path, the
# regex sets PATH_INFO
out=$($CORSGATE explain -c "$D/git.ini" -H 'Origin: https://exact.example' \
	-p SCRIPT_NAME=/git/demo.git/info/refs -p PATH_INFO=/demo.git/info/refs \
	-p 'REQUEST_URI=/git/demo.git/info/refs?service=git-upload-pack'); rc=$?
check_eq "explain -p: git's recipe: allowed by the exact [path]" 0 "$rc"
check_contains "explain -p: git's recipe: the exact policy" "$out" \
	"policy [path /git/demo.git/info/refs]"
check_contains "explain -p: prints the path matched and how" "$out" \
	"path /git/demo.git/info/refs (from the params: SCRIPT_NAME, which already ends with PATH_INFO)"
out=$($CORSGATE explain -c "$D/git.ini" -H 'Origin: https://exact.example' \
	-p SCRIPT_NAME=/git -p PATH_INFO=/demo.git/info/refs); rc=$?
check_eq "explain -p: SCRIPT_NAME=/git: the same path" \
	"0 path /git/demo.git/info/refs (from the params: SCRIPT_NAME followed by PATH_INFO)" \
	"$rc $(printf '%s\n' "$out" | tail -n 1)"
out=$($CORSGATE explain -c "$D/git.ini" --cgi -H 'Origin: https://exact.example' \
	-p SCRIPT_NAME=/corsgate/corsgate.cgi -p PATH_INFO=/git/demo.git/info/refs); rc=$?
check_eq "explain --cgi: the Action's PATH_INFO" \
	"0 path /git/demo.git/info/refs (from the params: PATH_INFO)" \
	"$rc $(printf '%s\n' "$out" | tail -n 1)"
out=$($CORSGATE explain -c "$D/git.ini" /git/demo.git/HEAD); rc=$?
check_eq "explain PATH: prints the path" "path /git/demo.git/HEAD" \
	"$(printf '%s\n' "$out" | tail -n 1)"
out=$($CORSGATE explain -c "$D/git.ini" -p SCRIPT_NAME=/x /x 2>&1); rc=$?
check_eq "explain: PATH and -p both: exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$D/git.ini" -p SCRIPT_NAME 2>&1); rc=$?
check_eq "explain: -p without '=': exit 1" 1 "$rc"
check_contains "explain: -p without '=': says so" "$out" "expected NAME=value"
out=$($CORSGATE explain -c "$D/git.ini" --cgi /x 2>&1); rc=$?
check_eq "explain: --cgi without -p: exit 1" 1 "$rc"
out=$($CORSGATE check -p A=b 2>&1); rc=$?
check_eq "explain-only -p on check exit 1" 1 "$rc"

# --- usage -----------------------------------------------------------------
out=$($CORSGATE explain -c "$D/bad.ini" / 2>&1); rc=$?
check_eq "explain: bad policy exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$D/ref.ini" -H 'Origin' / 2>&1); rc=$?
check_eq "explain: -H without colon exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$D/ref.ini" 2>&1); rc=$?
check_eq "explain: no PATH exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$D/ref.ini" cors 2>&1); rc=$?
check_eq "explain: relative PATH exit 1" 1 "$rc"
out=$($CORSGATE --frobnicate 2>&1); rc=$?
check_eq "unknown option exit 1" 1 "$rc"
check_contains "unknown option prints usage" "$out" "usage: corsgate"
out=$($CORSGATE frobnicate 2>&1); rc=$?
check_eq "unknown command exit 1" 1 "$rc"
# D10: a world-writable socket mode loads, with a warning (INI and -m)
printf '[gateway]\nsocket_mode = 0666\n' >"$D/sockmode.ini"
out=$($CORSGATE check -c "$D/sockmode.ini" 2>&1); rc=$?
check_eq "check: socket_mode 0666 loads" 0 "$rc"
check_contains "check: socket_mode 0666 warned, with its line" "$out" \
	"warning: $D/sockmode.ini:2: socket_mode: '0666' is world-writable"
printf '[gateway]\nsocket_mode = 0660\n' >"$D/sockmode.ini"
check_lacks "check: socket_mode 0660 not warned" \
	"$($CORSGATE check -c "$D/sockmode.ini" 2>&1)" "warning"
out=$($CORSGATE serve -m 0777 -s "unix:$D/never.sock" -c "$D/missing.ini" 2>&1)
check_contains "serve -m 0777 warned at start" "$out" \
	"warn: -m 0777: world-writable"
out=$($CORSGATE serve -m 0770 -s "unix:$D/never.sock" -c "$D/missing.ini" 2>&1)
check_lacks "serve -m 0770 not warned" "$out" "world-writable"
# D7: a long expose_headers list: loads, with a warning at its line
{
	printf '[cors]\nallow_origin = https://a.com\nexpose_headers ='
	for i in $(seq 100 250); do printf ' X-Exposed-Header-%s' "$i"; [ $((i % 8)) = 0 ] && printf '\n '; done
	printf '\n'
} >"$D/long.ini"
out=$($CORSGATE check -c "$D/long.ini" 2>&1); rc=$?
check_eq "check: long expose_headers loads" 0 "$rc"
check_contains "check: long expose_headers warned" "$out" \
	"warning: $D/long.ini:3: expose_headers: the fixed header lines this policy adds take"

out=$($CORSGATE check -X GET 2>&1); rc=$?
check_eq "explain-only option on check exit 1" 1 "$rc"
check_contains "explain-only option named" "$out" "option '-X' is for explain only"
out=$($CORSGATE explain -s tcp:127.0.0.1:1 / 2>&1); rc=$?
check_eq "serve-only option on explain exit 1" 1 "$rc"
check_contains "serve-only option named" "$out" "option '-s' is for serve only"
out=$($CORSGATE check -c 2>&1); rc=$?
check_eq "option without value exit 1" 1 "$rc"
out=$($CORSGATE --help); rc=$?
check_eq "--help exit 0" 0 "$rc"
check_contains "--help lists explain" "$out" "explain"
out=$($CORSGATE --version); rc=$?
check_eq "--version" "0 corsgate" "$rc $(echo "$out" | cut -d' ' -f1)"

finish
