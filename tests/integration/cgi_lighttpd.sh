#!/bin/sh
# The script runner behind lighttpd (mod_fastcgi, bin-path), with
# etc/lighttpd/corsgate.conf: scripts found under its "docroot", their
# answers rewritten, their statuses kept, httpoxy, a missing script.
. tests/lib.sh
. tests/integration/harness.sh

PORT=$(free_port)
SOCK=$H_DIR/lighttpd-cg.sock
start_lighttpd lt "$PORT" \
	"$(h_lighttpd_site "$SOCK" "$CORSGATE -c $H_POLICY --allow-root")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT
logs() { cat "$H_DIR/lt/error.log" "$H_DIR/lt/stderr.log" 2>/dev/null; }

h_script_checks lighttpd "$URL" https://app.example.com
h_write_before_read lighttpd "$URL/bigwrite.sh"
h_reference_checks lighttpd "$URL/cors"

r=$(h_http GET "$URL/env.sh/extra/path?q=1")
b=$(h_body "$r")
check_contains "lighttpd: a path past the script runs it" "$r" "HTTP/1.1 200"
check_contains "lighttpd: SCRIPT_FILENAME" "$b" "SCRIPT_FILENAME=$H_CGI/env.sh
"
check_contains "lighttpd: SCRIPT_NAME" "$b" "SCRIPT_NAME=/env.sh
"
check_contains "lighttpd: PATH_INFO" "$b" "PATH_INFO=/extra/path
"
check_contains "lighttpd: working directory" "$b" "pwd=$(cd "$H_CGI" && pwd -P)
"

# lighttpd under a "/" prefix names only the first segment as the script
# (SCRIPT_NAME=/sub): corsgate follows PATH_INFO down to the file.
mkdir -p "$H_CGI/sub/deeper"
cat >"$H_CGI/sub/deeper/deep.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
echo "SN=$SCRIPT_NAME PI=$PATH_INFO SF=$SCRIPT_FILENAME"
SH
chmod 755 "$H_CGI/sub/deeper/deep.sh"
r=$(h_http GET "$URL/sub/deeper/deep.sh/x/y" 'Origin: https://app.example.com')
check_contains "lighttpd: a script in a subdirectory runs" "$r" "HTTP/1.1 200"
check_contains "lighttpd: subdirectory script's own names" "$(h_body "$r")" \
	"SN=/sub/deeper/deep.sh PI=/x/y SF=$H_CGI/sub/deeper/deep.sh"
check_contains "lighttpd: subdirectory script's answer rewritten" "$r" \
	"Access-Control-Allow-Origin: https://app.example.com"
r=$(h_http GET "$URL/sub/deeper/nope.sh")
check_contains "lighttpd: missing script in a subdirectory: 404" "$r" "HTTP/1.1 404"

r=$(h_http GET "$URL/missing.sh" 'Origin: https://app.example.com')
check_contains "lighttpd: missing script: 404" "$r" "HTTP/1.1 404"
check_contains "lighttpd: missing script: corsgate's answer" "$(h_body "$r")" \
	"corsgate: 404 Not Found: no such script"
check_contains "lighttpd: missing script: Vary: Origin" "$(h_headers "$r")" "Vary: Origin"
wait_for 3 "logs | grep -qF 'GET $H_CGI/missing.sh: no such script: answered 404'"
check_eq "lighttpd: missing script: one log line" 1 \
	"$(logs | grep -cF "GET $H_CGI/missing.sh: no such script: answered 404")"

finish
