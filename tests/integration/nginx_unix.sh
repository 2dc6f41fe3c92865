#!/bin/sh
# nginx -> corsgate on a unix socket, with etc/nginx/corsgate.conf's shape
# (upstream keepalive, fastcgi_keep_conn on).
. tests/lib.sh
. tests/integration/harness.sh

SOCK=$H_DIR/cg.sock
PORT=$(free_port)
start_corsgate cg "unix:$SOCK" -c "$H_POLICY" -w 2 --allow-root || { finish; exit 1; }
start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

h_reference_checks nginx-unix "$URL/cors"

r=$(h_http GET "$URL/echo.sh")
check_contains "no Origin: the script path answers" "$r" "HTTP/1.1 200"
check_contains "no Origin: the script ran" "$r" '"lang":"sh","method":"GET"'
check_contains "no Origin: Vary: Origin" "$r" "Vary: Origin"
check_lacks "no Origin: no Allow-Origin" "$r" "Access-Control-Allow-Origin"

r=$(h_http OPTIONS "$URL/api/items" 'Origin: https://shop.example.com' \
	'Access-Control-Request-Method: DELETE' \
	'Access-Control-Request-Headers: content-type')
check_contains "default policy: wildcard origin preflight" "$r" "HTTP/1.1 204"
check_contains "default policy: echoes the origin" "$r" \
	"Access-Control-Allow-Origin: https://shop.example.com"
check_contains "204 preflight has Content-Length: 0" "$r" "Content-Length: 0"

r=$(h_http OPTIONS "$URL/api/items" 'Origin: https://example.com' \
	'Access-Control-Request-Method: GET')
check_contains "bare domain refused" "$r" "HTTP/1.1 403"
check_lacks "bare domain: no Allow-Origin" "$r" "Access-Control-Allow-Origin"

# A path is SCRIPT_NAME + PATH_INFO: a query string does not change it.
r=$(h_http OPTIONS "$URL/cors?x=1" 'Origin: http://x.com' \
	'Access-Control-Request-Method: PUT')
check_contains "query string ignored for the path" "$r" \
	"Access-Control-Allow-Methods: GET, POST, PUT"

r=$(h_http OPTIONS "$URL/echo.sh")
check_contains "OPTIONS without Origin goes to the script" "$r" \
	'"method":"OPTIONS"'

wait_for 5 "grep -q 'OPTIONS /api/items origin https://example.com: refused' '$H_DIR/cg.log'"
check_eq "one info line per refused request" 1 \
	"$(grep -c 'origin https://example.com: refused' "$H_DIR/cg.log")"
check_eq "the socket is mode 0660" 660 "$(stat -c %a "$SOCK")"
check_lacks "nginx logged no upstream error" \
	"$(cat "$H_DIR/ngx/error.log")" "upstream"

finish
