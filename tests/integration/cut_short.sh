#!/bin/sh
# An answer cut short is reported as cut short (issue 8, item 3): a script
# that prints its headers and part of its body, then hangs until corsgate
# kills it (script_timeout = 2), must reach the HTTP client as an ABORTED
# response: curl exits non-zero (18, 52, 56: not 28, its own --max-time),
# or a chunked answer ends without its last 0-length chunk. Never a clean,
# complete 200. And the control: a script that completes gives curl exit 0,
# the whole body and, when chunked, the last chunk, behind the same server.
#
# Behind: nginx with etc/nginx/corsgate.conf as shipped (fastcgi_buffering
# off, fastcgi_keep_conn on), nginx with default buffering and keep_conn on,
# nginx with default buffering and no keep_conn; lighttpd mod_fastcgi with
# etc/lighttpd/corsgate.conf as shipped (server.stream-response-body = 1),
# and with server.stream-response-body = 2; Apache mod_proxy_fcgi with
# etc/apache/corsgate.conf. Each with a script that prints no
# Content-Length (chunked to the HTTP/1.1 client) and one that promises
# more than it prints (Content-Length: 100).
#
# Not tested, because no FastCGI responder can make it work: an HTTP/1.0
# client and a body without Content-Length (the web server ends the answer
# by closing, which looks the same as a complete one); Apache drops the
# script's Content-Length, so there only the chunked answer can tell.
#
# What the web servers need on the wire (measured with nginx 1.22,
# lighttpd 1.4.69, Apache 2.4 on Debian 12): after the last STDOUT record,
# no empty STDOUT and no END_REQUEST, but an invalid record header (8 zero
# bytes: version 0, type 0) and then the connection shut down. Closing
# without END_REQUEST alone is not enough behind nginx without keep_conn or
# with fastcgi_buffering off. lighttpd with its default
# server.stream-response-body = 0 buffers a short answer and, when the
# backend fails, sends what it has with a Content-Length of its own: only
# stream-response-body = 1 or 2 lets any failure through, so the shipped
# example sets 1.
. tests/lib.sh
. tests/integration/harness.sh

MARKS=$H_DIR/marks
mkdir -p "$MARKS"
: >"$MARKS/pids"
cleanup_add "for p in \$(cat '$MARKS/pids'); do kill -KILL \$p; done"

# part.sh: headers, "part one", then silent until killed (sleep keeps its
# stdout open: no end of output, only script_timeout ends it)
h_script part.sh <<EOF
#!/bin/sh
echo \$\$ >>"$MARKS/pids"
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\npart one\n'
exec sleep 30
EOF
# partcl.sh: the same, promising 100 bytes
h_script partcl.sh <<EOF
#!/bin/sh
echo \$\$ >>"$MARKS/pids"
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npart one\n'
exec sleep 30
EOF
# whole.sh / wholecl.sh: the controls, complete answers
h_script whole.sh <<'EOF'
#!/bin/sh
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\npart one\npart two\n'
EOF
h_script wholecl.sh <<'EOF'
#!/bin/sh
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\npart one\npart two\n'
EOF

POLICY=$H_DIR/cut.ini
h_policy "$POLICY" '[gateway]
script_timeout = 2'

# fetch URL: curl --raw into $H_DIR/raw and $H_DIR/hdr; sets RC, CHUNKED
# (yes/no), LAST0 (yes: the raw body ends with the last chunk), BODY (the
# raw body, CRs removed)
fetch() {
	rm -f "$H_DIR/raw" "$H_DIR/hdr"
	: >"$H_DIR/raw"
	: >"$H_DIR/hdr"
	curl -s --raw --max-time 20 -o "$H_DIR/raw" -D "$H_DIR/hdr" "$1"
	RC=$?
	CHUNKED=no
	grep -qi '^transfer-encoding: *chunked' "$H_DIR/hdr" && CHUNKED=yes
	LAST0=no
	[ "$(tail -c 5 "$H_DIR/raw" | od -An -tx1 | tr -d ' \n')" = 300d0a0d0a ] && LAST0=yes
	BODY=$(tr -d '\r' <"$H_DIR/raw")
}

# cut LABEL URL: the client sees an incomplete answer
cut() {
	n0=$(wc -l <"$MARKS/pids")
	fetch "$2"
	st=$(head -n 1 "$H_DIR/hdr" | tr -d '\r')
	why="curl exit $RC, status line '$st', chunked $CHUNKED, last chunk $LAST0"
	if [ "$RC" = 28 ]; then
		fail "$1: cut short: the client sees it end (not curl's own timeout)" "$why" \
			"raw body: $(od -c "$H_DIR/raw" | head -n 5)"
	elif [ "$RC" != 0 ] || { [ "$CHUNKED" = yes ] && [ "$LAST0" = no ]; }; then
		pass "$1: cut short: incomplete for the client ($why)"
	else
		fail "$1: cut short: incomplete for the client" "$why" \
			"raw body: $(od -c "$H_DIR/raw" | head -n 5)"
	fi
	# the script ran and was killed by corsgate, not left behind
	p=$(sed -n "$((n0 + 1))p" "$MARKS/pids")
	if [ -n "$p" ] && wait_for 10 "! h_alive $p"; then
		pass "$1: cut short: the script ran and is gone"
	else
		fail "$1: cut short: the script ran and is gone" "pid '${p:-none}'"
	fi
}

# whole LABEL URL: the control, a complete answer
whole() {
	fetch "$2"
	check_eq "$1: complete: curl exit 0" 0 "$RC"
	check_eq "$1: complete: the whole body" "part one
part two" "$(printf '%s\n' "$BODY" | grep '^part ')"
	if [ "$CHUNKED" = yes ]; then
		check_eq "$1: complete: chunked, with its last chunk" yes "$LAST0"
	else
		pass "$1: complete: not chunked"
	fi
}

# both LABEL BASE: the controls and the cut-short answers under BASE
both() {
	whole "$1" "$2/whole.sh"
	whole "$1 (Content-Length)" "$2/wholecl.sh"
	cut "$1" "$2/part.sh"
	cut "$1 (Content-Length)" "$2/partcl.sh"
}

# ---- nginx: three sites on one corsgate ----
SOCK=$H_DIR/cg.sock
start_corsgate cg "unix:$SOCK" -c "$POLICY" -w 1 --allow-root || { finish; exit 1; }
N1=$(free_port)
N2=$(free_port)
N3=$(free_port)
# site NAME PORT SED: the shipped example on PORT, its upstream renamed,
# edited by SED
site() {
	h_nginx_site "$2" "server unix:$SOCK;" |
		sed -e "s/upstream corsgate /upstream $1 /" \
			-e "s/fastcgi_pass corsgate;/fastcgi_pass $1;/" -e "$3"
}
SITES="$(site shipped "$N1" 's/^$//')
$(site buffered "$N2" '/fastcgi_buffering off;/d')
$(site buffered_nokeep "$N3" '/fastcgi_buffering off;/d; /fastcgi_keep_conn on;/d')"
ncount() { printf '%s\n' "$SITES" | grep -v '^ *#' | grep -c "$1"; }
check_eq "nginx: one site with fastcgi_buffering off, two with keep_conn" "1 2" \
	"$(ncount 'fastcgi_buffering off;') $(ncount 'fastcgi_keep_conn on;')"
start_nginx ngx "$N1" "$SITES" || { finish; exit 1; }
wait_for 10 "curl -s -o /dev/null http://127.0.0.1:$N2/ready && curl -s -o /dev/null http://127.0.0.1:$N3/ready"
both "nginx as shipped (fastcgi_buffering off, keep_conn on)" "http://127.0.0.1:$N1"
both "nginx default buffering, keep_conn on" "http://127.0.0.1:$N2"
both "nginx default buffering, no keep_conn" "http://127.0.0.1:$N3"
h_kill "$(cat "$H_DIR/ngx/pid")"

# ---- lighttpd: it starts corsgate itself (bin-path) ----
L1=$(free_port)
start_lighttpd lt "$L1" "$(h_lighttpd_site "$H_DIR/lt-cg.sock" \
	"$CORSGATE -c $POLICY --allow-root")" || { finish; exit 1; }
both "lighttpd as shipped" "http://127.0.0.1:$L1"
h_kill "$(cat "$H_DIR/lt/pid")"
L2=$(free_port)
start_lighttpd lt2 "$L2" "$(h_lighttpd_site "$H_DIR/lt2-cg.sock" \
	"$CORSGATE -c $POLICY --allow-root" |
	sed 's/^server.stream-response-body = 1$/server.stream-response-body = 2/')" || { finish; exit 1; }
both "lighttpd stream-response-body = 2" "http://127.0.0.1:$L2"
h_kill "$(cat "$H_DIR/lt2/pid")"

# ---- Apache mod_proxy_fcgi ----
P1=$(free_port)
A1=$(free_port)
start_corsgate cgap "tcp:127.0.0.1:$P1" -c "$POLICY" -w 1 --allow-root || { finish; exit 1; }
start_apache ap "$A1" "$(h_apache_site "proxy:fcgi://127.0.0.1:$P1")" || { finish; exit 1; }
both "apache" "http://127.0.0.1:$A1"

finish
