#!/bin/sh
# scripts/demo.sh [CORSGATE] - corsgate behind nginx on 127.0.0.1:8080 with
# etc/cors.ini (`make demo`), and a page on a second origin,
# http://localhost:8081/ (scripts/demo-page), that fetch()es from it and
# shows what the browser let it read. Everything runs in a temporary
# directory (/etc/nginx is not touched) and stops on Ctrl-C (or SIGTERM).
# DEMO_LISTEN (127.0.0.1:8080) and DEMO_PAGE_PORT (8081) move them.
set -eu
cd "$(dirname "$0")/.."
CG=${1:-build/corsgate}
case $CG in /*) ;; *) CG=$PWD/$CG ;; esac
POLICY=$PWD/etc/cors.ini
LISTEN=${DEMO_LISTEN:-127.0.0.1:8080}
PAGE_PORT=${DEMO_PAGE_PORT:-8081}

[ -x "$CG" ] || { echo "demo: $CG not built (make)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "demo: nginx not installed (make deps)" >&2; exit 1; }
if curl -s -o /dev/null --max-time 2 "http://$LISTEN/"; then
	echo "demo: something already listens on $LISTEN" >&2
	exit 1
fi
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PAGE_PORT/"; then
	echo "demo: something already listens on 127.0.0.1:$PAGE_PORT" >&2
	exit 1
fi

D=$(mktemp -d /tmp/corsgate-demo.XXXXXX)
chmod 755 "$D"
CG_PID=""
NGINX_PID=""
PAGE_PID=""

stop() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	for p in $PAGE_PID $NGINX_PID $CG_PID; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PAGE_PID $NGINX_PID $CG_PID; do wait "$p" 2>/dev/null || true; done
	rm -rf "$D"
}
trap stop EXIT
trap 'exit 130' INT TERM

# The example scripts and the policy, copied where the unprivileged user
# corsgate drops to can read them, with cgi_root pointing at the copy.
# corsgate refuses scripts (and script directories) writable by group or
# others, as suEXEC: a checkout made under umask 002 has them 775.
cp -R cgi-bin "$D/cgi-bin"
chmod -R a+rX,go-w "$D/cgi-bin"
sed "s|^cgi_root = .*|cgi_root = $D/cgi-bin|" "$POLICY" >"$D/cors.ini"
chmod 644 "$D/cors.ini"

# corsgate: as root, drop to nobody (root is refused without --allow-root).
set -- serve -c "$D/cors.ini" -s "unix:$D/corsgate.sock" -w 2
[ "$(id -u)" = 0 ] && set -- "$@" -u nobody -g nogroup
"$CG" "$@" &
CG_PID=$!
n=0
until [ -S "$D/corsgate.sock" ]; do
	n=$((n + 1))
	if [ $n -gt 50 ] || ! kill -0 "$CG_PID" 2>/dev/null; then
		echo "demo: corsgate did not start" >&2
		exit 1
	fi
	sleep 0.1
done

# nginx: etc/nginx/corsgate.conf with the socket above.
mkdir -p "$D/tmp"
{
	[ "$(id -u)" = 0 ] && echo "user root;"
	cat <<EOF
worker_processes 2;
pid $D/nginx.pid;
error_log $D/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $D/tmp/body;
    proxy_temp_path $D/tmp/proxy;
    fastcgi_temp_path $D/tmp/fastcgi;
    uwsgi_temp_path $D/tmp/uwsgi;
    scgi_temp_path $D/tmp/scgi;
EOF
	sed -e "s|server unix:/run/corsgate/corsgate.sock;|server unix:$D/corsgate.sock;|" \
		-e "s|listen 127.0.0.1:8080;|listen $LISTEN;|" \
		-e "s|root /var/www/cgi-bin;|root $D/cgi-bin;|" etc/nginx/corsgate.conf
	echo "}"
} >"$D/nginx.conf"
nginx -p "$D" -c "$D/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
n=0
until curl -s -o /dev/null --max-time 1 "http://$LISTEN/echo.sh"; do
	n=$((n + 1))
	if [ $n -gt 50 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
		echo "demo: nginx did not start, see $D/nginx-error.log" >&2
		cat "$D/nginx-error.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done

# The page: a second origin (http://localhost:PORT is allowed by
# etc/cors.ini's http://localhost:*), a static server for demo-page/.
cp -R scripts/demo-page "$D/page"
chmod -R a+rX "$D/page"
python3 -m http.server --bind 127.0.0.1 --directory "$D/page" "$PAGE_PORT" \
	>"$D/page.log" 2>&1 &
PAGE_PID=$!
n=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PAGE_PORT/"; do
	n=$((n + 1))
	if [ $n -gt 50 ] || ! kill -0 "$PAGE_PID" 2>/dev/null; then
		echo "demo: the page server did not start" >&2
		cat "$D/page.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1
done
PAGE_URL="http://localhost:$PAGE_PORT/"
[ "$LISTEN" != 127.0.0.1:8080 ] && PAGE_URL="$PAGE_URL?api=http://$LISTEN"

cat <<EOF

Open $PAGE_URL in a browser: a page on another origin
fetch()es from corsgate (allowed, preflighted, refused, credentialed, an
exposed header) and shows what it could read, each with the
\`corsgate explain\` command that predicts it.

corsgate is answering behind nginx on http://$LISTEN/ with $POLICY
(cgi_root: a copy of cgi-bin/ in $D; corsgate's log follows below).
Try, from another terminal:

  # an allowed preflight (the exchange in the CORS reference): 204 + Access-Control-Allow-*
  curl -i -X OPTIONS http://$LISTEN/cors -H 'Origin: http://x.com' -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: X-Custom-Header'

  # a refused one (PATCH is not allowed on /cors): 403, no Access-Control-Allow-*
  curl -i -X OPTIONS http://$LISTEN/cors -H 'Origin: http://x.com' -H 'Access-Control-Request-Method: PATCH'

  # an actual request: cgi-bin/echo.sh runs, corsgate adds Access-Control-Allow-Origin
  curl -i -X PUT http://$LISTEN/echo.sh -H 'Origin: https://app.example.com' -H 'X-Custom-Header: value' --data hello

  # why would a browser block it? the request as DevTools copies it (Copy as cURL):
  $CG explain -c $POLICY -- curl 'http://$LISTEN/echo.sh' -X 'PATCH' -H 'origin: http://localhost:$PAGE_PORT' --data-raw hello

  # more scripts: vary.sh (its Vary kept, its stray Allow-Origin removed),
  # stream.sh (a line a second), fail.sh (a 500 that keeps its CORS headers),
  # echo.pl, echo.py; and /internal/... where corsgate adds nothing

Reload the policy after editing it: kill -HUP $CG_PID. Stop: Ctrl-C.

EOF
wait "$CG_PID"
