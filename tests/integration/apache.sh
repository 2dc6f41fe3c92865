#!/bin/sh
# Apache httpd's mod_proxy_fcgi -> corsgate, over TCP and over a unix
# socket. etc/apache/corsgate.conf with test addresses.
. tests/lib.sh
. tests/integration/harness.sh

P1=$(free_port)
PORT=$(free_port)
start_corsgate cg "tcp:127.0.0.1:$P1" -c "$H_POLICY" -w 2 --allow-root || { finish; exit 1; }
start_apache ap "$PORT" "$(h_apache_site "proxy:fcgi://127.0.0.1:$P1")" || { finish; exit 1; }
h_reference_checks apache-tcp "http://127.0.0.1:$PORT/cors"
r=$(h_http GET "http://127.0.0.1:$PORT/cors/sub" 'Origin: http://x.com')
check_lacks "apache: /cors/sub is not /cors (default policy)" "$r" \
	"Access-Control-Allow-Origin: http://x.com"

# A unix socket the www-data workers may use.
SOCK=$H_DIR/cg-ap.sock
PORT2=$(free_port)
start_corsgate cgu "unix:$SOCK" -m 0666 -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
start_apache apu "$PORT2" \
	"$(h_apache_site "proxy:unix:$SOCK|fcgi://localhost")" || { finish; exit 1; }
h_reference_checks apache-unix "http://127.0.0.1:$PORT2/cors"

out=$(wrk -t2 -c16 -d2s -H 'Origin: http://x.com' "http://127.0.0.1:$PORT/cors" 2>&1)
check_lacks "apache: wrk without non-2xx" "$out" "Non-2xx"
check_lacks "apache: wrk without socket errors" "$out" "Socket errors"
check_lacks "corsgate logged no error" "$(cat "$H_DIR/cg.log" "$H_DIR/cgu.log")" "error:"

finish
