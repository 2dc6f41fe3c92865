#!/bin/sh
# CGI mode, the shared-hosting set-up: Apache (mod_cgid, mod_actions,
# mod_mime, mod_env) runs corsgate.cgi as an Action handler for the .sh
# files of /api/, configured by .htaccess files only - the two parts of
# etc/apache/htaccess.example, as written. cors.ini lies beside
# corsgate.cgi and is not served.
. tests/lib.sh
. tests/integration/harness.sh

PORT=$(free_port)
D=$H_DIR/cm/docroot # start_apache's document root
URL=http://127.0.0.1:$PORT
EX=$H_ROOT/etc/apache/htaccess.example
mkdir -p "$D/corsgate" "$D/api" "$D/corsgate2" "$D/api2"

# part1 / part2: the two .htaccess files of the example
part1() { sed -n '/^# ---- part 1:/,/^# ---- part 2:/p' "$EX" | sed '$d'; }
part2() { sed -n '/^# ---- part 2:/,$p' "$EX"; }
part1 >"$D/corsgate/.htaccess"
part2 >"$D/api/.htaccess"
check_contains "example part 1: ExecCGI for corsgate.cgi" "$(cat "$D/corsgate/.htaccess")" \
	"AddHandler cgi-script .cgi"
check_contains "example part 2: the Action" "$(cat "$D/api/.htaccess")" \
	"Action corsgate /corsgate/corsgate.cgi"
cp "$CORSGATE" "$D/corsgate/corsgate.cgi"
for s in vary.sh fail.sh status404.sh env.sh echo.sh; do cp "$H_CGI/$s" "$D/api/"; done
cp "$H_CGI/cors" "$D/api/cors.sh"
cp "$H_CGI/vary.sh" "$D/api/only-app.sh"
cp "$H_CGI/ready" "$D/api/direct.cgi"
cat >"$D/corsgate/cors.ini" <<EOF
[gateway]
cgi_root = $D/api
[cors]
allow_origin = https://app.example.com
[path /api/*]
allow_origin = http://x.com
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
[path /api/only-app.sh]
allow_origin = https://app.example.com
; corsgate.cgi's own path: if corsgate took its own SCRIPT_NAME for the
; policy path, nothing would be added
[path /corsgate/*]
enabled = false
EOF

# A second handler, its policy named by SetEnv CORSGATE_CONFIG (the
# example's commented line), for the scripts of /api2/; the cors.ini
# beside it would refuse the origin.
part1 | sed "s|^# SetEnv CORSGATE_CONFIG .*|SetEnv CORSGATE_CONFIG $H_DIR/other.ini|" \
	>"$D/corsgate2/.htaccess"
check_contains "example part 1: the SetEnv line" "$(cat "$D/corsgate2/.htaccess")" \
	"SetEnv CORSGATE_CONFIG $H_DIR/other.ini"
part2 | sed 's|/corsgate/corsgate.cgi|/corsgate2/corsgate.cgi|' >"$D/api2/.htaccess"
cp "$CORSGATE" "$D/corsgate2/corsgate.cgi"
cp "$H_CGI/vary.sh" "$D/api2/"
printf '[gateway]\ncgi_root = %s\n[cors]\nallow_origin = https://app.example.com\n' \
	"$D/api2" >"$D/corsgate2/cors.ini"
printf '[gateway]\ncgi_root = %s\n[cors]\nallow_origin = http://other.example\n' \
	"$D/api2" >"$H_DIR/other.ini"
chmod -R a+rX "$D"

# A user's site, /~alice/ (mod_userdir): the same two parts, the Action
# with /~alice as the example says, the policy on /~alice/api/*.
U=$H_DIR/users/alice/public_html
mkdir -p "$U/corsgate" "$U/api"
part1 >"$U/corsgate/.htaccess"
part2 | sed 's|^Action corsgate /corsgate/corsgate.cgi$|Action corsgate /~alice/corsgate/corsgate.cgi|' \
	>"$U/api/.htaccess"
check_contains "example part 2: the ~USER Action" "$(cat "$EX")" \
	"Action corsgate /~USER/corsgate/corsgate.cgi"
cp "$CORSGATE" "$U/corsgate/corsgate.cgi"
cp "$H_CGI/vary.sh" "$U/api/"
printf '[gateway]\ncgi_root = %s\n[cors]\nallow_origin = https://app.example.com\n[path /~alice/api/*]\nallow_origin = https://alice.example\nallow_methods = PUT\n' \
	"$U/api" >"$U/corsgate/cors.ini"
chmod -R a+rX "$H_DIR/users"
cp "$H_CGI/post.php" "$D/api/post.php" 2>/dev/null || {
	printf '#!/usr/bin/php-cgi\n<?php\nheader("Content-Type: text/plain");\necho "php name=", $_POST["name"] ?? "-", "\\n";\necho "php cookie=", $_COOKIE["session"] ?? "-", "\\n";\n' >"$D/api/post.php"
}
chmod 755 "$D/api/post.php"

_hm=/usr/lib/apache2/modules
start_apache cm "$PORT" "LoadModule cgid_module $_hm/mod_cgid.so
LoadModule actions_module $_hm/mod_actions.so
LoadModule mime_module $_hm/mod_mime.so
LoadModule userdir_module $_hm/mod_userdir.so
UserDir $H_DIR/users/*/public_html
<Directory \"$H_DIR/users\">
    AllowOverride FileInfo AuthConfig Limit Options=ExecCGI
    Require all granted
    AddHandler cgi-script .cgi
</Directory>
TypesConfig /etc/mime.types
ScriptSock $H_DIR/cm/cgid.sock
# a shared host: .htaccess may set handlers, ExecCGI, access, SetEnv;
# .cgi files are CGI programs wherever ExecCGI is on
<Directory \"$D\">
    AllowOverride FileInfo AuthConfig Limit Options=ExecCGI
    Require all granted
    AddHandler cgi-script .cgi
</Directory>" || { finish; exit 1; }
ELOG=$H_DIR/cm/error.log

# ---- the preflight answered by corsgate, the actual request run ----
h_reference_checks cgimode "$URL/api/cors.sh"
h_script_checks cgimode "$URL/api" http://x.com

r=$(h_http GET "$URL/api/vary.sh" 'Origin: https://evil.com')
check_contains "refused origin: the script runs" "$(h_body "$r")" "my own Vary"
check_lacks "refused origin: no Access-Control-Allow-*" "$(h_headers "$r")" \
	"Access-Control-Allow-"
wait_for 3 "grep -qF 'GET /api/vary.sh origin https://evil.com: refused' '$ELOG'"
check_eq "refused origin: one line in Apache's error log" 1 \
	"$(grep -cF 'GET /api/vary.sh origin https://evil.com: refused' "$ELOG")"

# ---- the policy path is the URL path ----
check_lacks "[path /api/only-app.sh] (exact) refuses http://x.com" \
	"$(h_headers "$(h_http GET "$URL/api/only-app.sh" 'Origin: http://x.com')")" \
	"Access-Control-Allow-Origin"
check_contains "[path /api/only-app.sh] allows its own origin" \
	"$(h_headers "$(h_http GET "$URL/api/only-app.sh" 'Origin: https://app.example.com')")" \
	"Access-Control-Allow-Origin: https://app.example.com"

# ---- what the script sees ----
b=$(h_body "$(h_http GET "$URL/api/env.sh?q=1")")
check_contains "the script's SCRIPT_NAME is its URL path" "$b" "SCRIPT_NAME=/api/env.sh
"
check_contains "the script's SCRIPT_FILENAME" "$b" "SCRIPT_FILENAME=$D/api/env.sh
"
check_lacks "no PATH_INFO for the script" "$b" "PATH_INFO="
check_lacks "no PATH_TRANSLATED for the script" "$b" "PATH_TRANSLATED="
check_contains "QUERY_STRING passes" "$b" "QUERY_STRING=q=1
"
check_contains "working directory = the script's" "$b" "pwd=$D/api
"
r=$(h_http GET "$URL/api/env.sh/extra/path" 'Origin: http://x.com')
b=$(h_body "$r")
check_contains "a path past the script: runs it" "$r" "HTTP/1.1 200"
check_contains "a path past the script: SCRIPT_NAME" "$b" "SCRIPT_NAME=/api/env.sh
"
check_contains "a path past the script: its PATH_INFO" "$b" "PATH_INFO=/extra/path
"
check_contains "a path past the script: SCRIPT_FILENAME" "$b" "SCRIPT_FILENAME=$D/api/env.sh
"
check_contains "a path past the script: [path /api/*] applies" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: http://x.com"

j=$(curl -s --max-time 20 -X POST --data-binary 'a body in CGI mode' \
	-H 'Origin: http://x.com' -H 'X-Custom-Header: cgi-7' "$URL/api/echo.sh")
check_contains "echo.sh POST: method" "$j" '"method":"POST"'
check_contains "echo.sh POST: body" "$j" '"body":"a body in CGI mode"'
check_contains "echo.sh POST: X-Custom-Header" "$j" '"x_custom_header":"cgi-7"'

check_eq "missing script: 404 (Apache's: the Action checks the file)" 404 \
	"$(h_status GET "$URL/api/missing.sh" 'Origin: http://x.com')"

# ---- CORSGATE_CONFIG by SetEnv ----
r=$(h_http GET "$URL/api2/vary.sh" 'Origin: http://other.example')
check_contains "SetEnv CORSGATE_CONFIG: that policy answers" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: http://other.example"
check_eq "SetEnv CORSGATE_CONFIG: one Allow-Origin" 1 \
	"$(h_count "$r" Access-Control-Allow-Origin)"

# ---- around corsgate ----
r=$(h_http GET "$URL/api/direct.cgi" 'Origin: http://x.com')
check_contains "SetHandler: a .cgi in /api/ runs through corsgate, not around it" \
	"$(h_headers "$r")" "Access-Control-Allow-Origin: http://x.com"

# ---- php-cgi: a #! line and mode 755; Apache's Action sets REDIRECT_STATUS ----
r=$(curl -s -i --max-time 20 -H 'Origin: http://x.com' -H 'Cookie: session=cm' \
	--data 'name=ada' "$URL/api/post.php" | tr -d '\r')
check_contains "php-cgi in CGI mode: POST" "$(h_body "$r")" "php name=ada"
check_contains "php-cgi in CGI mode: cookie" "$(h_body "$r")" "php cookie=cm"
check_contains "php-cgi in CGI mode: Allow-Origin" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: http://x.com"

# ---- CGIPassAuth On (part 1): Authorization reaches the script ----
b=$(h_body "$(h_http GET "$URL/api/env.sh" 'Authorization: Basic dTpw')")
check_contains "CGIPassAuth: HTTP_AUTHORIZATION for the script" "$b" \
	"HTTP_AUTHORIZATION=Basic dTpw
"

# ---- a ~user site: /~alice in the Action and in [path] ----
r=$(h_http GET "$URL/~alice/api/vary.sh" 'Origin: https://alice.example')
check_contains "~user: the script runs" "$(h_body "$r")" "my own Vary"
check_contains "~user: [path /~alice/api/*] applies" "$(h_headers "$r")" \
	"Access-Control-Allow-Origin: https://alice.example"
r=$(h_http OPTIONS "$URL/~alice/api/vary.sh" 'Origin: https://alice.example' \
	'Access-Control-Request-Method: PUT')
check_contains "~user: preflight answered by corsgate" "$r" "HTTP/1.1 204"
r=$(h_http GET "$URL/corsgate/corsgate.cgi?check")
check_contains "corsgate.cgi called directly: 500" "$r" "HTTP/1.1 500"
check_contains "corsgate.cgi called directly: says why" "$(h_body "$r")" \
	"not set up as an Action handler"
check_lacks "a query string is never a command line (?check)" "$r" ": ok"

# ---- the policy is not served ----
r=$(h_http GET "$URL/corsgate/cors.ini")
check_contains "cors.ini: 403" "$r" "HTTP/1.1 403"
check_lacks "cors.ini: not in the answer" "$r" "cgi_root"

check_eq "corsgate logged one error: the direct call" 1 \
	"$(grep "corsgate\[" "$ELOG" | grep -c "error:")"

finish
