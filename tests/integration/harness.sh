# tests/integration/harness.sh - sourced by the integration suites, after
# tests/lib.sh. Runs corsgate and the Debian web servers on loopback, with
# every file in one temporary directory ($H_DIR); everything started here is
# stopped when the suite exits, failures included.
#
#   h_policy FILE [INI_TEXT]       writes the test policy (+ INI_TEXT);
#                                  cgi_root = $H_CGI: cgi-bin/* and the
#                                  test scripts cors, ready, env.sh...
#   h_script NAME                  the test script $H_CGI/NAME from stdin
#   start_corsgate NAME ADDR ARG.. corsgate serve -s ADDR ARG..., waits
#                                  until it runs $H_CGI/ready (H_READY=
#                                  h_answers: any answer); log in
#                                  $H_DIR/NAME.log
#   h_cg_pid NAME                  the pid of that corsgate (its master)
#   h_workers PID                  the worker pids of master PID
#   h_kill PID                     SIGTERM, then SIGKILL after 10 s
#   h_nginx_site PORT SERVERS      etc/nginx/corsgate.conf for the tests:
#                                  listen on PORT, upstream SERVERS, root
#                                  $H_CGI
#   start_nginx NAME PORT HTTP     nginx with HTTP inside http { }; every
#                                  server's files in $H_DIR/NAME/, its pid
#                                  in $H_DIR/NAME/pid
#   h_lighttpd_site PORT ARGS      etc/lighttpd/corsgate.conf for the tests
#   start_lighttpd NAME PORT BODY  lighttpd with BODY
#   h_apache_site BACKEND          etc/apache/corsgate.conf for the tests
#   start_apache NAME PORT BODY    Apache httpd (event MPM) with BODY
#   start_spawn_fcgi NAME SOCK N ARG..  spawn-fcgi -F N corsgate ARG...
#   fcgi ADDR MODE ARG...          the raw FastCGI client (fcgiclient.py)
#   h_http METHOD URL [HEADER]...  curl: status line, headers, body; no CRs
#   h_headers RESPONSE             the status line and headers of h_http's
#   h_body RESPONSE                the body of h_http's
#   h_count RESPONSE NAME          how many NAME: header lines it has
#   h_status METHOD URL [HEADER].. curl: the status code only
#   h_reference_checks LABEL URL   the reference exchange through URL
#   h_write_before_read LABEL URL  bigwrite.sh at URL gets a 1 MiB body
#   h_script_checks LABEL BASE ORIGIN  a script's answer rewritten (one
#                                  Allow-Origin, Vary merged), its status
#                                  kept, httpoxy: for the scripts at BASE
#                                  (vary.sh, fail.sh, status404.sh,
#                                  env.sh), ORIGIN allowed there
#
# CORSGATE_IO_TIMEOUT is 5 s here (30 s by default) so that stalled
# connections and shutdowns stay short.
#
# Run directly (tests/run.sh runs every *.sh here), it checks itself: the
# servers and tools are installed, and the example configs under etc/ still
# hold the lines the suites rewrite (else the suites would test other files).

if [ "$(basename "$0")" = harness.sh ]; then
	. tests/lib.sh
fi

H_ROOT=$(pwd) # tests/run.sh runs suites from the repository root
H_CLIENT="$H_ROOT/tests/integration/fcgiclient.py"
H_DIR=$(mktemp -d /tmp/corsgate-it.XXXXXX)
chmod 755 "$H_DIR"
cleanup_add "rm -rf '$H_DIR'"
export CORSGATE_IO_TIMEOUT=${CORSGATE_IO_TIMEOUT:-5}
: "${CORSGATE:?CORSGATE must name the corsgate binary}"

# The scripts every suite may run: cgi-bin/* and test-only scripts, in
# $H_CGI (the test policy's cgi_root and the web servers' document root).
#   cors    the reference path: prints "cors script ran: METHOD"
#   ready   h_ready's target: prints "ready"
#   env.sh  prints its working directory and environment, sorted
#   status404.sh  answers Status: 404 with a body of its own
#   bigwrite.sh   prints 1 MiB, then reads its body and prints its size
# corsgate refuses scripts writable by group or others, and scripts in
# such directories (as suEXEC): every mode is set here, whatever the umask
# of the checkout or of the caller.
H_CGI=$H_DIR/cgi-bin
mkdir -p "$H_CGI"
chmod 755 "$H_CGI"
cp "$H_ROOT"/cgi-bin/* "$H_CGI/"
# h_script NAME: the test script $H_CGI/NAME from stdin, executable.
h_script() {
	cat >"$H_CGI/$1"
	chmod 755 "$H_CGI/$1"
}
h_script cors <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'cors script ran: %s\n' "$REQUEST_METHOD"
EOF
h_script ready <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nready\n'
EOF
h_script env.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'pwd=%s\n' "$(pwd)"
env | LC_ALL=C sort
EOF
h_script bigwrite.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 1048576 /dev/zero | tr '\0' x
n=$(head -c "${CONTENT_LENGTH:-0}" | wc -c)
printf '\nread %s bytes\n' "$n"
EOF
h_script status404.sh <<'EOF'
#!/bin/sh
printf 'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n'
printf 'status404.sh: no such item\n'
EOF
chmod -R a+rX,go-w "$H_CGI"

# The policy every suite starts from: etc/cors.ini's shape, cgi_root =
# $H_CGI, and the reference exchange on /cors. INI_TEXT is appended, but a
# [gateway] block at its start is merged into the policy's own [gateway]
# (a section may appear only once).
h_policy() {
	_hx=${2:-}
	_hg=""
	if [ "$(printf '%s\n' "$_hx" | head -n 1)" = "[gateway]" ]; then
		_hg=$(printf '%s\n' "$_hx" | sed '1d' | sed '/^\[/,$d')
		_hx=$(printf '%s\n' "$_hx" | sed '1d' | sed -n '/^\[/,$p')
	fi
	{
		printf '[gateway]\ncgi_root = %s\n' "$H_CGI"
		[ -n "$_hg" ] && printf '%s\n' "$_hg"
		cat <<'EOF'

[cors]
allow_origin = https://app.example.com
allow_origin = https://*.example.com  http://localhost:*
allow_methods = GET, POST, PUT, DELETE
allow_headers = Content-Type, X-Custom-Header

[path /cors]
allow_origin = http://x.com
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
EOF
		[ -n "$_hx" ] && printf '%s\n' "$_hx"
	} >"$1"
	return 0
}

H_POLICY=$H_DIR/policy.ini
h_policy "$H_POLICY"

# Whether PID runs (a zombie does not count).
h_alive() {
	_hst=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_hst in
	Z* | "") return 1 ;;
	esac
	return 0
}

h_kill() {
	kill -TERM "$1" 2>/dev/null || return 0
	wait_for 10 "! h_alive $1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

fcgi() {
	python3 "$H_CLIENT" "$@"
}

# h_ready ADDR: a plain request through the raw client runs $H_CGI/ready.
h_ready() {
	fcgi "$1" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
		-p "SCRIPT_FILENAME=$H_CGI/ready" 2>/dev/null | tr -d '\r' |
		grep -qx ready
}

# h_answers ADDR: corsgate answers a request at all, whatever the status
# (for a corsgate whose policy runs no script: set H_READY=h_answers).
h_answers() {
	fcgi "$1" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready 2>/dev/null |
		grep -q '^Status: [1-5][0-9][0-9] '
}

start_corsgate() {
	_hn=$1
	_ha=$2
	shift 2
	"$CORSGATE" serve -s "$_ha" "$@" 2>>"$H_DIR/$_hn.log" &
	_hp=$!
	echo "$_hp" >"$H_DIR/$_hn.pid"
	cleanup_add "h_kill $_hp"
	if ! wait_for 10 "${H_READY:-h_ready} '$_ha'"; then
		fail "corsgate $_hn starts on $_ha" "$(tail -n 20 "$H_DIR/$_hn.log")"
		return 1
	fi
	return 0
}

h_cg_pid() {
	cat "$H_DIR/$1.pid"
}

h_workers() {
	ps -o pid= --ppid "$1" | tr -d ' ' | sort -n
}

h_http() {
	_hm=$1
	_hu=$2
	shift 2
	_hhdrs=""
	for _hh in "$@"; do _hhdrs="$_hhdrs -H '$_hh'"; done
	eval "curl -s -i --max-time 20 -X '$_hm' $_hhdrs '$_hu'" | tr -d '\r'
}

h_status() {
	_hm=$1
	_hu=$2
	shift 2
	_hhdrs=""
	for _hh in "$@"; do _hhdrs="$_hhdrs -H '$_hh'"; done
	eval "curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X '$_hm' $_hhdrs '$_hu'"
}

h_headers() {
	printf '%s\n' "$1" | sed '/^$/,$d'
}

h_body() {
	printf '%s\n' "$1" | sed '1,/^$/d'
}

h_count() {
	h_headers "$1" | grep -ci "^$2:"
}

# ---- nginx ----

# h_nginx_site PORT 'server unix:/x.sock; server 127.0.0.1:9001;': the
# example with the test port, upstream and document root ($H_CGI).
h_nginx_site() {
	sed -e "s|server unix:/run/corsgate/corsgate.sock;|$2|" \
		-e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$1;|" \
		-e "s|root /var/www/cgi-bin;|root $H_CGI;|" \
		"$H_ROOT/etc/nginx/corsgate.conf"
}

start_nginx() {
	_hn=$1
	_hport=$2
	_hd=$H_DIR/$_hn
	mkdir -p "$_hd/tmp"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<EOF
worker_processes 2;
pid $_hd/nginx.pid;
error_log $_hd/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $_hd/tmp/body;
    proxy_temp_path $_hd/tmp/proxy;
    fastcgi_temp_path $_hd/tmp/fastcgi;
    uwsgi_temp_path $_hd/tmp/uwsgi;
    scgi_temp_path $_hd/tmp/scgi;
$3
}
EOF
	} >"$_hd/nginx.conf"
	nginx -p "$_hd" -c "$_hd/nginx.conf" -g 'daemon off;' 2>>"$_hd/error.log" &
	_hp=$!
	echo "$_hp" >"$_hd/pid"
	cleanup_add "h_kill $_hp"
	if ! wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$_hport/ready"; then
		fail "nginx $_hn starts on port $_hport" "$(tail -n 20 "$_hd/error.log")"
		return 1
	fi
	return 0
}

# ---- lighttpd ----

# h_lighttpd_site SOCKET 'corsgate ARGS': the example, with a test socket,
# command and docroot ($H_CGI).
h_lighttpd_site() {
	sed -e "s|\"/run/lighttpd/corsgate.sock\"|\"$1\"|" \
		-e "s|\"/usr/local/sbin/corsgate -c /etc/corsgate/cors.ini\"|\"$2\"|" \
		-e "s|\"/var/www/cgi-bin\"|\"$H_CGI\"|" \
		"$H_ROOT/etc/lighttpd/corsgate.conf"
}

start_lighttpd() {
	_hn=$1
	_hport=$2
	_hd=$H_DIR/$_hn
	mkdir -p "$_hd/docroot"
	cat >"$_hd/lighttpd.conf" <<EOF
server.document-root = "$_hd/docroot"
server.bind = "127.0.0.1"
server.port = $_hport
server.errorlog = "$_hd/error.log"
$3
EOF
	lighttpd -D -f "$_hd/lighttpd.conf" 2>>"$_hd/stderr.log" &
	_hp=$!
	echo "$_hp" >"$_hd/pid"
	cleanup_add "h_kill $_hp"
	if ! wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$_hport/ready"; then
		fail "lighttpd $_hn starts on port $_hport" \
			"$(tail -n 20 "$_hd/error.log" "$_hd/stderr.log" 2>&1)"
		return 1
	fi
	return 0
}

# ---- Apache httpd ----

# h_apache_site 'proxy:fcgi://127.0.0.1:PORT': the example with the test
# backend and script directory ($H_CGI).
h_apache_site() {
	sed -e "s#SetHandler \"proxy:fcgi://127.0.0.1:9000\"#SetHandler \"$1\"#" \
		-e "s#\"/var/www/cgi-bin/*\"#\"$H_CGI/\"#" \
		"$H_ROOT/etc/apache/corsgate.conf"
}

start_apache() {
	_hn=$1
	_hport=$2
	_hd=$H_DIR/$_hn
	_hm=/usr/lib/apache2/modules
	mkdir -p "$_hd/docroot"
	{
		cat <<EOF
ServerRoot "$_hd"
ServerName localhost
Listen 127.0.0.1:$_hport
PidFile "$_hd/httpd.pid"
ErrorLog "$_hd/error.log"
LogLevel warn
DefaultRuntimeDir "$_hd"
Mutex file:$_hd default
LoadModule mpm_event_module $_hm/mod_mpm_event.so
LoadModule authz_core_module $_hm/mod_authz_core.so
LoadModule proxy_module $_hm/mod_proxy.so
LoadModule proxy_fcgi_module $_hm/mod_proxy_fcgi.so
LoadModule alias_module $_hm/mod_alias.so
LoadModule env_module $_hm/mod_env.so
DocumentRoot "$_hd/docroot"
EOF
		[ "$(id -u)" = 0 ] && printf 'User www-data\nGroup www-data\n'
		printf '%s\n' "$3"
	} >"$_hd/httpd.conf"
	apache2 -f "$_hd/httpd.conf" -DFOREGROUND 2>>"$_hd/stderr.log" &
	_hp=$!
	echo "$_hp" >"$_hd/pid"
	cleanup_add "h_kill $_hp"
	if ! wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$_hport/ready"; then
		fail "apache $_hn starts on port $_hport" \
			"$(tail -n 20 "$_hd/error.log" "$_hd/stderr.log" 2>&1)"
		return 1
	fi
	return 0
}

# ---- spawn-fcgi ----

# start_spawn_fcgi NAME SOCKET N CORSGATE_ARGS...: N processes on one
# socket; their pids in $H_DIR/NAME.pids.
start_spawn_fcgi() {
	_hn=$1
	export CG_LOG="$H_DIR/$1.log"
	_hs=$2
	_hf=$3
	shift 3
	# spawn-fcgi points the children's stderr at /dev/null: a shell that
	# execs corsgate (same pid) keeps its log.
	spawn-fcgi -s "$_hs" -M 0600 -F "$_hf" -P "$H_DIR/$_hn.pids" -- \
		/bin/sh -c 'exec "$0" serve "$@" 2>>"$CG_LOG"' "$CORSGATE" "$@" \
		>>"$H_DIR/$_hn.spawn.log" 2>&1
	for _hp in $(cat "$H_DIR/$_hn.pids" 2>/dev/null); do
		cleanup_add "h_kill $_hp"
	done
	if ! wait_for 10 "h_ready 'unix:$_hs'"; then
		fail "spawn-fcgi $_hn starts on $_hs" "$(tail -n 20 "$H_DIR/$_hn.log")"
		return 1
	fi
	return 0
}

# ---- the reference exchange (OPTIONS /cors from http://x.com, PUT) ----

# h_reference_checks LABEL URL: the allowed preflight and a refused one.
h_reference_checks() {
	_hr=$(h_http OPTIONS "$2" 'Origin: http://x.com' \
		'Access-Control-Request-Method: PUT' \
		'Access-Control-Request-Headers: X-Custom-Header')
	check_contains "$1: reference preflight status" "$_hr" "HTTP/1.1 204"
	check_contains "$1: Allow-Origin" "$_hr" \
		"Access-Control-Allow-Origin: http://x.com"
	check_contains "$1: Allow-Methods" "$_hr" \
		"Access-Control-Allow-Methods: GET, POST, PUT"
	check_contains "$1: Allow-Headers" "$_hr" \
		"Access-Control-Allow-Headers: X-Custom-Header"
	_hr=$(h_http OPTIONS "$2" 'Origin: http://x.com' \
		'Access-Control-Request-Method: PATCH' \
		'Access-Control-Request-Headers: X-Custom-Header')
	check_contains "$1: refused preflight is 403" "$_hr" "HTTP/1.1 403"
	check_lacks "$1: refused preflight has no Allow-*" "$_hr" \
		"Access-Control-Allow-"
	check_contains "$1: refused preflight varies on Origin" "$_hr" \
		"Vary: Origin"
	_hr=$(h_http PUT "$2" 'Origin: http://x.com' 'X-Custom-Header: value')
	check_contains "$1: actual request allowed" "$_hr" \
		"Access-Control-Allow-Origin: http://x.com"
	check_contains "$1: actual request runs the script" "$_hr" \
		"cors script ran: PUT"
	check_eq "$1: actual request: one Allow-Origin" 1 \
		"$(h_count "$_hr" Access-Control-Allow-Origin)"
}

# ---- a script's answer, rewritten ----

# h_script_checks LABEL BASE ORIGIN
h_script_checks() {
	_hr=$(h_http GET "$2/vary.sh" "Origin: $3")
	_hh=$(h_headers "$_hr")
	check_contains "$1: vary.sh runs" "$_hr" "HTTP/1.1 200"
	check_contains "$1: vary.sh: its body" "$(h_body "$_hr")" \
		"my own Vary and a stray Access-Control-Allow-Origin"
	check_eq "$1: vary.sh: exactly one Allow-Origin" 1 \
		"$(h_count "$_hr" Access-Control-Allow-Origin)"
	check_contains "$1: vary.sh: the gateway's Allow-Origin" "$_hh" \
		"Access-Control-Allow-Origin: $3"
	check_lacks "$1: vary.sh: the script's Allow-Origin * removed" "$_hh" \
		"Access-Control-Allow-Origin: *"
	# (Apache rewrites "a, b" as "a,b")
	check_eq "$1: vary.sh: one Vary, merged" "Vary: Accept-Encoding, Origin" \
		"$(printf '%s\n' "$_hh" | grep -i '^Vary:' | sed 's/,  */,/g; s/,/, /g')"

	_hr=$(h_http GET "$2/fail.sh" "Origin: $3")
	check_contains "$1: fail.sh: its 500 kept" "$_hr" "HTTP/1.1 500"
	check_contains "$1: fail.sh: with Allow-Origin" "$(h_headers "$_hr")" \
		"Access-Control-Allow-Origin: $3"
	check_contains "$1: fail.sh: with Vary: Origin" "$(h_headers "$_hr")" \
		"Vary: Origin"
	check_contains "$1: fail.sh: its body" "$(h_body "$_hr")" \
		'{"error":"something went wrong"}'

	_hr=$(h_http GET "$2/status404.sh" "Origin: $3")
	check_contains "$1: Status: 404 from a script kept" "$_hr" "HTTP/1.1 404"
	check_contains "$1: Status: 404: the script's body" "$(h_body "$_hr")" \
		"status404.sh: no such item"
	check_contains "$1: Status: 404: with Allow-Origin" "$(h_headers "$_hr")" \
		"Access-Control-Allow-Origin: $3"

	_hr=$(h_http GET "$2/env.sh" "Origin: $3" 'Proxy: http://evil.example' \
		'X-Control: passed')
	check_contains "$1: env.sh runs" "$_hr" "HTTP/1.1 200"
	check_contains "$1: httpoxy: other headers reach the script" \
		"$(h_body "$_hr")" "HTTP_X_CONTROL=passed"
	check_lacks "$1: httpoxy: no HTTP_PROXY for the script" \
		"$(h_body "$_hr")" "HTTP_PROXY="
	check_lacks "$1: httpoxy: the Proxy value nowhere" \
		"$(h_body "$_hr")" "evil.example"
}

# h_write_before_read LABEL URL: bigwrite.sh at URL, with a body of 1 MiB
# + 1 byte: both ways complete (bounded by curl --max-time).
h_write_before_read() {
	[ -f "$H_DIR/1m.bin" ] || head -c 1048577 /dev/zero | tr '\0' y >"$H_DIR/1m.bin"
	_hc=$(curl -s -o "$H_DIR/bigwrite.out" -w '%{http_code}' --max-time 20 \
		--data-binary @"$H_DIR/1m.bin" "$2")
	check_eq "$1: write before read: 200" 200 "$_hc"
	check_eq "$1: write before read: the script read the whole body" \
		"read 1048577 bytes" "$(tail -n 1 "$H_DIR/bigwrite.out" | cut -c 1-40)"
	check_eq "$1: write before read: its 1 MiB arrived" 1048576 \
		"$(head -n 1 "$H_DIR/bigwrite.out" | tr -d '\n' | wc -c | tr -d ' ')"
}

# ---- run directly: the harness checks itself ----

if [ "$(basename "$0")" = harness.sh ]; then
	for t in nginx lighttpd apache2 spawn-fcgi curl wrk python3 ps; do
		if command -v "$t" >/dev/null 2>&1; then pass "$t installed"; else
			fail "$t installed"; fi
	done
	for m in mod_mpm_event mod_authz_core mod_proxy mod_proxy_fcgi mod_alias mod_env; do
		check_eq "apache module $m" yes \
			"$([ -f "/usr/lib/apache2/modules/$m.so" ] && echo yes || echo no)"
	done
	site=$(h_nginx_site 1234 "server unix:/t/x.sock;")
	check_contains "nginx example: upstream rewritten" "$site" "server unix:/t/x.sock;"
	check_contains "nginx example: port rewritten" "$site" "listen 127.0.0.1:1234;"
	check_lacks "nginx example: no /run path left" \
		"$(printf '%s\n' "$site" | grep -v '^ *#')" "/run/corsgate"
	check_contains "nginx example: root rewritten" "$site" "root $H_CGI;"
	check_contains "nginx example: passes SCRIPT_FILENAME" "$site" \
		'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;'
	check_contains "nginx example: fastcgi_buffering off" "$site" \
		'fastcgi_buffering off;'
	check_contains "nginx example: client_max_body_size" "$site" \
		'client_max_body_size 10m;'
	check_lacks "nginx example: no /var/www path left" \
		"$(printf '%s\n' "$site" | grep -v '^ *#')" "/var/www"
	site=$(h_lighttpd_site /t/x.sock "/t/corsgate -c /t/p.ini")
	check_contains "lighttpd example: socket rewritten" "$site" '"/t/x.sock"'
	check_contains "lighttpd example: bin-path rewritten" "$site" '"/t/corsgate -c /t/p.ini"'
	check_contains "lighttpd example: docroot rewritten" "$site" \
		"\"docroot\"     => \"$H_CGI\""
	check_lacks "lighttpd example: fix-root-scriptname not enabled" \
		"$(printf '%s\n' "$site" | grep -v '^ *#')" "fix-root-scriptname"
	check_lacks "lighttpd example: no /var/www path left" \
		"$(printf '%s\n' "$site" | grep -v '^ *#')" "/var/www"
	site=$(h_apache_site "proxy:unix:/t/x.sock|fcgi://localhost")
	check_contains "apache example: handler rewritten" "$site" \
		'SetHandler "proxy:unix:/t/x.sock|fcgi://localhost"'
	check_contains "apache example: Alias rewritten" "$site" \
		"Alias \"/\" \"$H_CGI/\""
	check_contains "apache example: Directory rewritten" "$site" \
		"<Directory \"$H_CGI/\">"
	check_lacks "apache example: no /var/www path left" \
		"$(printf '%s\n' "$site" | grep -v '^ *#')" "/var/www"
	check_contains "test policy: cgi_root" "$(cat "$H_POLICY")" \
		"cgi_root = $H_CGI"
	h_policy "$H_DIR/merged.ini" '[gateway]
threads = 8
[path /y]
enabled = false'
	if "$CORSGATE" check -c "$H_DIR/merged.ini" >/dev/null 2>&1; then
		pass "h_policy merges a [gateway] block"; else
		fail "h_policy merges a [gateway] block" "$("$CORSGATE" check -c "$H_DIR/merged.ini" 2>&1)"; fi
	check_eq "h_policy: one [gateway], threads in it, [path /y] at the end" \
		"1 threads = 8 enabled = false" \
		"$(grep -c '^\[gateway\]' "$H_DIR/merged.ini") $(sed -n 3p "$H_DIR/merged.ini") $(tail -n 1 "$H_DIR/merged.ini")"
	fcgi - build begin >/dev/null && pass "fcgiclient.py runs" || fail "fcgiclient.py runs"
	finish
fi
