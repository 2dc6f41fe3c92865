#!/bin/sh
# The script runner behind Apache httpd's mod_proxy_fcgi, with
# etc/apache/corsgate.conf (Alias to the scripts' directory, SetHandler in
# its <Directory>): scripts found through SCRIPT_FILENAME, their answers
# rewritten, their statuses kept, httpoxy, a missing script.
. tests/lib.sh
. tests/integration/harness.sh

P1=$(free_port)
PORT=$(free_port)
start_corsgate cg "tcp:127.0.0.1:$P1" -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
start_apache ap "$PORT" "$(h_apache_site "proxy:fcgi://127.0.0.1:$P1")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT
LOG=$H_DIR/cg.log

h_script_checks apache "$URL" https://app.example.com
h_write_before_read apache "$URL/bigwrite.sh"

r=$(h_http GET "$URL/env.sh/extra/path?q=1")
b=$(h_body "$r")
check_contains "apache: a path past the script runs it" "$r" "HTTP/1.1 200"
check_contains "apache: SCRIPT_FILENAME" "$b" "SCRIPT_FILENAME=$H_CGI/env.sh
"
check_contains "apache: SCRIPT_NAME" "$b" "SCRIPT_NAME=/env.sh
"
check_contains "apache: PATH_INFO" "$b" "PATH_INFO=/extra/path
"
check_contains "apache: working directory" "$b" "pwd=$(cd "$H_CGI" && pwd -P)
"

r=$(h_http GET "$URL/missing.sh" 'Origin: https://app.example.com')
check_contains "apache: missing script: 404" "$r" "HTTP/1.1 404"
check_contains "apache: missing script: corsgate's answer" "$(h_body "$r")" \
	"corsgate: 404 Not Found: no such script"
check_contains "apache: missing script: Vary: Origin" "$(h_headers "$r")" "Vary: Origin"
wait_for 3 "grep -qF 'GET $H_CGI/missing.sh: no such script: answered 404' '$LOG'"
check_eq "apache: missing script: one log line" 1 \
	"$(grep -cF "GET $H_CGI/missing.sh: no such script: answered 404" "$LOG")"

finish
