#!/bin/sh
# cgimode.sh - corsgate run as a plain CGI program, as Apache's Action
# handler runs it: the request in the environment and on stdin.
. tests/lib.sh
: "${CORSGATE:?set CORSGATE to the corsgate binary}"
D=$(mktemp -d)
cleanup_add "rm -rf '$D'"
mkdir -p "$D/www/api" "$D/bin"
cat >"$D/www/api/x.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\n\r\n'
echo "script ran: SCRIPT_NAME=$SCRIPT_NAME PATH_INFO=${PATH_INFO-unset} PATH_TRANSLATED=${PATH_TRANSLATED-unset} args=$#"
echo "body=$(cat)"
SH
chmod 755 "$D/www/api/x.sh"
cat >"$D/cors.ini" <<INI
[gateway]
cgi_root = $D/www
[cors]
allow_origin = http://x.com
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
INI

out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=OPTIONS \
	CORSGATE_CONFIG="$D/cors.ini" PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" \
	HTTP_ORIGIN=http://x.com HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
	HTTP_ACCESS_CONTROL_REQUEST_HEADERS=X-Custom-Header "$CORSGATE" </dev/null | tr -d '\r')
check_contains "preflight answered" "$out" "Status: 204 No Content"
check_contains "preflight Allow-Methods" "$out" "Access-Control-Allow-Methods: GET, POST, PUT"
check_lacks "preflight: the script does not run" "$out" "script ran"

out=$(printf 'hello' | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
	CONTENT_LENGTH=5 CORSGATE_CONFIG="$D/cors.ini" SCRIPT_NAME=/bin/corsgate.cgi \
	PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" HTTP_ORIGIN=http://x.com \
	"$CORSGATE" | tr -d '\r')
check_contains "actual request runs the script" "$out" "script ran"
check_contains "the script sees itself as SCRIPT_NAME" "$out" "SCRIPT_NAME=/api/x.sh PATH_INFO=unset PATH_TRANSLATED=unset"
check_contains "the body reaches the script" "$out" "body=hello"
check_contains "the gateway's Allow-Origin" "$out" "Access-Control-Allow-Origin: http://x.com"
check_lacks "the script's own Allow-Origin removed" "$out" "Access-Control-Allow-Origin: *"

# A query string without '=' arrives as arguments: never a command line.
out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET QUERY_STRING=check \
	CORSGATE_CONFIG="$D/cors.ini" PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" \
	"$CORSGATE" check </dev/null | tr -d '\r')
check_contains "?check runs the script, not check" "$out" "script ran"
check_lacks "?check is not a policy check" "$out" ": ok"
check_contains "the script gets no arguments" "$out" "args=0"

# The policy beside the binary (shared hosting: corsgate.cgi + cors.ini).
cp "$CORSGATE" "$D/bin/corsgate.cgi"
cp "$D/cors.ini" "$D/bin/cors.ini"
out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	SCRIPT_FILENAME="$D/bin/corsgate.cgi" PATH_INFO=/api/x.sh \
	PATH_TRANSLATED="$D/www/api/x.sh" HTTP_ORIGIN=http://x.com \
	"$D/bin/corsgate.cgi" </dev/null | tr -d '\r')
check_contains "cors.ini beside the binary is found" "$out" "Access-Control-Allow-Origin: http://x.com"

# Misconfigured: no PATH_TRANSLATED (not an Action handler): 500 + a log line.
out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	CORSGATE_CONFIG="$D/cors.ini" "$CORSGATE" </dev/null 2>"$D/err" | tr -d '\r')
check_contains "no PATH_TRANSLATED: 500" "$out" "Status: 500"
check_contains "no PATH_TRANSLATED: logged" "$(cat "$D/err")" "Action handler"

# A broken policy: 500, and its errors in the log with their lines.
printf '[cors]\nmax_age = x\n' >"$D/bad.ini"
out=$(env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	CORSGATE_CONFIG="$D/bad.ini" PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" \
	"$CORSGATE" </dev/null 2>"$D/err" | tr -d '\r')
check_contains "bad policy: 500" "$out" "Status: 500"
check_contains "bad policy: file:line in the log" "$(cat "$D/err")" "$D/bad.ini:2: max_age"

# Outside CGI (no GATEWAY_INTERFACE) the command line works as usual.
out=$($CORSGATE check -c "$D/cors.ini" 2>&1)
check_eq "without GATEWAY_INTERFACE: commands" "$D/cors.ini: ok" "$out"

finish
