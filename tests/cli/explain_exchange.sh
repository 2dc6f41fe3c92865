#!/bin/sh
# explain_exchange.sh - `corsgate explain` on a whole exchange, as a user
# runs it: a DevTools cURL paste after -- or on stdin, a URL in place of
# PATH, --origin, --credentials; the exit codes 0 / 2 / 3 / 1 and the
# errors of hostile pastes.
. tests/lib.sh
: "${CORSGATE:?set CORSGATE to the corsgate binary}"
D=$(mktemp -d)
cleanup_add "rm -rf '$D'"
EX=$D/cors.ini
sed "s|^cgi_root = /var/www/cgi-bin$|cgi_root = $D|" etc/cors.ini >"$EX"

# --- a paste on stdin, as Chromium copies it: allowed -------------------
cat >"$D/put.curl" <<'CURL'
curl 'http://127.0.0.1:8080/echo.sh?x=1' \
  -X 'PUT' \
  -H 'accept: */*' \
  -H 'content-type: application/json' \
  -H 'origin: https://app.example.com' \
  -H 'sec-fetch-mode: cors' \
  -H 'x-custom-header: v' \
  --data-raw $'{"name":"O\'Brien"}' \
  --compressed
CURL
out=$($CORSGATE explain -c "$EX" - <"$D/put.curl"); rc=$?
check_eq "stdin paste: allowed exit 0" 0 "$rc"
check_contains "stdin paste: the host is shown" "$out" "host 127.0.0.1:8080"
check_contains "stdin paste: preflight decided" "$out" "=> yes: it asks corsgate first"
check_contains "stdin paste: ACRH as browsers send it" "$out" "Access-Control-Request-Headers: content-type,x-custom-header"
check_contains "stdin paste: corsgate's answer" "$out" "Status: 204 No Content"
check_contains "stdin paste: credentials assumed" "$out" "credentials omit (assumed: no cookies, no Authorization"
check_contains "stdin paste: the readable headers" "$out" "Pragma, X-Total-Count"
check_contains "stdin paste: verdict" "$out" "verdict: readable: the page can read the answer"
check_contains "stdin paste: the line that decided" "$out" "decided by: $EX:31: allow_origin (in [cors])"

# --- after --, blocked at the preflight ---------------------------------
out=$($CORSGATE explain -c "$EX" -- curl 'http://127.0.0.1:8080/echo.sh' -X 'PATCH' \
	-H 'origin: https://app.example.com' --data-raw 'x' --compressed); rc=$?
check_eq "-- paste: PATCH blocked exit 2" 2 "$rc"
check_contains "-- paste: Chromium's words" "$out" "has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
check_contains "-- paste: the fix" "$out" "to allow it: add PATCH to allow_methods at $EX:34 ([cors])"

# cookies: include assumed; to a '*' path: the wildcard error
out=$($CORSGATE explain -c "$EX" -- curl 'http://h/api/items' -H 'Origin: https://x.test' -b 'sid=1'); rc=$?
check_eq "cookies to '*': exit 2" 2 "$rc"
check_contains "cookies to '*': include assumed" "$out" "credentials include (assumed"
check_contains "cookies to '*': the wildcard message" "$out" "must not be the wildcard '*' when the request's credentials mode is 'include'"
out=$($CORSGATE explain -c "$EX" --credentials omit -- curl 'http://h/api/items' -H 'Origin: https://x.test' -b 'sid=1'); rc=$?
check_eq "--credentials omit: exit 0" 0 "$rc"
check_contains "--credentials omit: said so" "$out" "credentials omit (--credentials)"

# --- a URL in place of PATH, with explain's own -X/-H and --origin -------
out=$($CORSGATE explain -c "$EX" --origin https://app.example.com -X PUT \
	-H 'X-Custom-Header: v' 'http://127.0.0.1:8080/echo.sh?x=1'); rc=$?
check_eq "URL in place of PATH: exit 0" 0 "$rc"
check_contains "URL in place of PATH: --origin used" "$out" "page origin https://app.example.com (--origin)"
check_contains "URL in place of PATH: the query kept" "$out" "OPTIONS http://127.0.0.1:8080/echo.sh?x=1"
out=$($CORSGATE explain -c "$EX" --origin https://evil.test /cors); rc=$?
check_eq "PATH with --origin: the exchange, exit 2" 2 "$rc"
check_contains "PATH with --origin: Chromium's words" "$out" "Access to fetch at '/cors' from origin 'https://evil.test'"

# --- enabled = false: 3 ---------------------------------------------------
out=$($CORSGATE explain -c "$EX" -- curl 'http://h/internal/x' -H 'origin: https://a.example.com'); rc=$?
check_eq "enabled = false: exit 3" 3 "$rc"
check_contains "enabled = false: says the script decides" "$out" "verdict: depends on the script"

# --- no Origin, same origin: not CORS --------------------------------------
out=$($CORSGATE explain -c "$EX" -- curl 'https://app.example.com/x' -X PUT -H 'origin: https://app.example.com'); rc=$?
check_eq "same origin: exit 0" 0 "$rc"
check_contains "same origin: says so" "$out" "CORS does not apply"

# --- hostile pastes: a clear error, exit 1 ---------------------------------
printf "curl 'http://h/x' \\\\\n  -H 'origin: https://a.example.com\n" >"$D/quote.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/quote.curl" 2>&1); rc=$?
check_eq "unbalanced quote: exit 1" 1 "$rc"
check_contains "unbalanced quote: where" "$out" "corsgate: the paste, line 2, column 6: a quote opened here is never closed"
out=$($CORSGATE explain -c "$EX" -- curl 'http://h/x' -H 'origin https://a.example.com' 2>&1); rc=$?
check_eq "header without a colon: exit 1" 1 "$rc"
check_contains "header without a colon: names it" "$out" "'origin https://a.example.com': expected a header 'Name: value'"
{ printf "curl 'http://h/x' -H 'x-big: "; head -c 102400 /dev/zero | tr '\0' a; printf "'\n"; } >"$D/big.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/big.curl" 2>&1); rc=$?
check_eq "100 KB header value: exit 1" 1 "$rc"
check_contains "100 KB header value: says why" "$out" "a header over 8 KiB"
printf "curl 'http://h/x' -H 'origin: a\000b'\n" >"$D/nul.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/nul.curl" 2>&1); rc=$?
check_eq "NUL byte: exit 1" 1 "$rc"
check_contains "NUL byte: says so" "$out" "line 1, column 32: a NUL byte"
printf "curl 'http://h/x' -H \$'origin: a\\\\x00b'\n" >"$D/nul2.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/nul2.curl" 2>&1); rc=$?
check_eq "\$'\\x00': exit 1" 1 "$rc"
printf "curl 'http://h/x'; rm -rf /\n" >"$D/op.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/op.curl" 2>&1); rc=$?
check_eq "a second command: exit 1" 1 "$rc"
check_contains "a second command: says so" "$out" "a shell operator"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$D/huge.curl"
out=$($CORSGATE explain -c "$EX" - <"$D/huge.curl" 2>&1); rc=$?
check_eq "over 1 MiB on stdin: exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$EX" - </dev/null 2>&1); rc=$?
check_eq "an empty paste: exit 1" 1 "$rc"
check_contains "an empty paste: says so" "$out" "the paste is empty"

# --- usage -----------------------------------------------------------------
out=$($CORSGATE explain -c "$EX" -X PUT -- curl 'http://h/x' 2>&1); rc=$?
check_eq "-X with a paste: exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$EX" --credentials maybe /x 2>&1); rc=$?
check_eq "--credentials maybe: exit 1" 1 "$rc"
check_contains "--credentials maybe: says so" "$out" "expected include or omit"
out=$($CORSGATE explain -c "$EX" --origin https://a.com -p SCRIPT_NAME=/x 2>&1); rc=$?
check_eq "--origin with -p: exit 1" 1 "$rc"
out=$($CORSGATE check -c "$EX" --origin https://a.com 2>&1); rc=$?
check_eq "--origin on check: exit 1" 1 "$rc"
out=$($CORSGATE explain -c "$D/nope.ini" -- curl http://h/x 2>&1); rc=$?
check_eq "a policy that does not load: exit 1" 1 "$rc"
out=$($CORSGATE --help); rc=$?
check_contains "--help names --credentials" "$out" "--credentials include|omit"
finish
