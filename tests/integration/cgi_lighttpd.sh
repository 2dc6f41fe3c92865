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

# php-cgi: a .php file with its #! line and mode 755 is a script like any
# other; lighttpd passes the REDIRECT_STATUS php-cgi wants.
h_script post.php <<'PHP'
#!/usr/bin/php-cgi
<?php
setcookie("seen", "yes");
header("Content-Type: text/plain");
echo "php name=", $_POST["name"] ?? "-", " cookie=", $_COOKIE["session"] ?? "-", "\n";
PHP
r=$(curl -s -i --max-time 20 -H 'Origin: https://app.example.com' -H 'Cookie: session=lt' \
	--data 'name=ada' "$URL/post.php" | tr -d '\r')
check_contains "lighttpd: php-cgi POST and cookie" "$(h_body "$r")" "php name=ada cookie=lt"
check_contains "lighttpd: php-cgi: its Set-Cookie" "$(h_headers "$r")" "Set-Cookie: seen=yes"
check_contains "lighttpd: php-cgi: Allow-Origin" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: https://app.example.com"

# lighttpd under a prefix ("/api/" and "/api"): SCRIPT_NAME is the script,
# PATH_INFO what follows; the policy path is the whole path asked for, so
# an exact [path] on it applies.
mkdir -p "$H_CGI/api"
cp "$H_CGI/env.sh" "$H_CGI/api/env.sh"
h_policy "$H_DIR/prefix.ini" '[path /api/env.sh/more]
allow_origin = https://exact.example'
for prefix in /api/ /api; do
	P2=$(free_port)
	site=$(h_lighttpd_site "$H_DIR/lt-prefix.sock" "$CORSGATE -c $H_DIR/prefix.ini --allow-root" |
		sed "s|fastcgi.server += ( \"/\" =>|fastcgi.server += ( \"$prefix\" =>|")
	check_contains "lighttpd prefix $prefix: the example rewritten" "$site" "( \"$prefix\" =>"
	start_lighttpd "lt$(echo "$prefix" | tr / _)" "$P2" "$site" || continue
	r=$(h_http GET "http://127.0.0.1:$P2/api/env.sh/more" 'Origin: https://exact.example')
	check_contains "lighttpd prefix $prefix: the script runs" "$(h_body "$r")" "SCRIPT_NAME=/api/env.sh
"
	check_contains "lighttpd prefix $prefix: the exact [path] applies" "$(h_headers "$r")" \
		"Access-Control-Allow-Origin: https://exact.example"
	h_kill "$(cat "$H_DIR/lt$(echo "$prefix" | tr / _)/pid")"
done

r=$(h_http GET "$URL/missing.sh" 'Origin: https://app.example.com')
check_contains "lighttpd: missing script: 404" "$r" "HTTP/1.1 404"
check_contains "lighttpd: missing script: corsgate's answer" "$(h_body "$r")" \
	"corsgate: 404 Not Found: no such script"
check_contains "lighttpd: missing script: Vary: Origin" "$(h_headers "$r")" "Vary: Origin"
wait_for 3 "logs | grep -qF 'GET $H_CGI/missing.sh: no such script: answered 404'"
check_eq "lighttpd: missing script: one log line" 1 \
	"$(logs | grep -cF "GET $H_CGI/missing.sh: no such script: answered 404")"

finish
