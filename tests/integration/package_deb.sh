#!/bin/sh
# package_deb.sh - the Debian package, as an operator gets it: `make deb`
# builds it from the tree (debian/, debhelper 13), lintian judges it, dpkg
# installs it, the installed corsgate checks the installed policy and
# serves behind a real nginx, systemd-analyze verifies the installed units,
# the per-site template (corsgate@.service / .socket) runs two sites with
# two policies behind one nginx, and dpkg removes and purges it, conffile
# included.
#
# It installs the package system-wide: it refuses to run (fails) when a
# corsgate package is installed already, and purges its own on exit.
# dpkg waits for the dpkg frontend lock (at most 120 s) when apt or dpkg
# runs elsewhere, as apt does.
. tests/lib.sh
. tests/integration/harness.sh

VERSION=$(sed -n 's/^VERSION *:= *//p' "$H_ROOT/Makefile")
ARCH=$(dpkg-architecture -q DEB_HOST_ARCH 2>/dev/null || dpkg --print-architecture)
DEB=$H_DIR/build/corsgate_${VERSION}_$ARCH.deb
EX=/usr/share/doc/corsgate/examples
UNITS=/lib/systemd/system
export DEBIAN_FRONTEND=noninteractive

for t in dpkg-buildpackage dh lintian dpkg-deb; do
	if ! command -v "$t" >/dev/null 2>&1; then
		fail "$t installed (scripts/deps.sh)"
		finish
		exit 1
	fi
done

# installed STATE: whether dpkg knows the package as STATE
# (installed, config-files, not-installed).
pkg_state() {
	_s=$(dpkg-query -W -f='${db:Status-Status}' corsgate 2>/dev/null)
	echo "${_s:-not-installed}"
}

if [ "$(pkg_state)" != not-installed ]; then
	fail "no corsgate package installed before the suite" \
		"dpkg: corsgate is $(pkg_state); this suite installs and purges its own:" \
		"dpkg --purge corsgate, then run it again"
	finish
	exit 1
fi

# h_dpkg ARG...: dpkg, holding the dpkg frontend lock as apt does
# (DPKG_FRONTEND_LOCKED): it waits, at most 120 s, for another apt or
# dpkg to finish rather than failing at once.
h_dpkg() {
	python3 - "$@" <<'PY'
import fcntl, os, signal, subprocess, sys
signal.alarm(120)
fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX)
signal.alarm(0)
env = dict(os.environ, DPKG_FRONTEND_LOCKED="1")
sys.exit(subprocess.call(["dpkg"] + sys.argv[1:], env=env, stdin=subprocess.DEVNULL))
PY
}

# ---- build ----
t0=$(date +%s)
if (cd "$H_ROOT" && make -s deb B="$H_DIR/build") >"$H_DIR/deb-build.log" 2>&1 && [ -f "$DEB" ]; then
	pass "make deb leaves build/corsgate_${VERSION}_$ARCH.deb ($(($(date +%s) - t0)) s)"
else
	fail "make deb leaves build/corsgate_${VERSION}_$ARCH.deb" "$(tail -n 20 "$H_DIR/deb-build.log")"
	finish
	exit 1
fi
check_lacks "the build leaves debhelper's files out of the tree" \
	"$(cd "$H_ROOT" && ls -a debian)" "debhelper"

# ---- what is in it ----
files=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\.||')
for f in /usr/sbin/corsgate /etc/corsgate/cors.ini \
	/usr/share/man/man8/corsgate.8.gz /usr/share/man/man5/cors.ini.5.gz \
	$UNITS/corsgate.service $UNITS/corsgate.socket \
	$UNITS/corsgate@.service $UNITS/corsgate@.socket \
	$EX/nginx/corsgate.conf $EX/lighttpd/corsgate.conf \
	$EX/apache/corsgate.conf $EX/apache/htaccess.example $EX/cgi-bin/echo.sh \
	/usr/share/doc/corsgate/copyright; do
	if printf '%s\n' "$files" | grep -qxF "$f"; then pass "the package has $f"; else
		fail "the package has $f" "$(printf '%s\n' "$files" | sed 's/^/  /')"; fi
done
check_eq "the conffile" /etc/corsgate/cors.ini "$(
	dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)"
dep=$(dpkg-deb -f "$DEB" Depends)
check_contains "Depends from shlibs: libfcgi" "$dep" "libfcgi0ldbl"
check_contains "Depends from shlibs: libinih" "$dep" "libinih1"
check_contains "Depends from shlibs: libc" "$dep" "libc6"

# ---- lintian: no error, no warning (an override would be documented in
# debian/corsgate.lintian-overrides; there is none) ----
lout=$(lintian --fail-on error,warning --display-level '>=warning' "$DEB" 2>&1)
lrc=$?
lout=$(printf '%s\n' "$lout" | grep -v '^running with root privileges')
if [ "$lrc" -eq 0 ] && ! printf '%s\n' "$lout" | grep -q '^[EW]: '; then
	pass "lintian: no errors, no warnings"
else
	fail "lintian: no errors, no warnings" "lintian exit $lrc" "$lout"
fi

# ---- install ----
out=$(h_dpkg -i "$DEB" 2>&1)
rc=$?
cleanup_add "h_dpkg --purge corsgate"
if [ "$rc" -eq 0 ] && [ "$(pkg_state)" = installed ]; then
	pass "dpkg -i installs it"
else
	fail "dpkg -i installs it" "dpkg exit $rc" "$out"
	finish
	exit 1
fi
check_eq "corsgate check -c /etc/corsgate/cors.ini" "/etc/corsgate/cors.ini: ok" \
	"$(/usr/sbin/corsgate check -c /etc/corsgate/cors.ini 2>&1)"
check_eq "the installed policy is the default one" "/etc/corsgate/cors.ini: ok" \
	"$(env -u CORSGATE_CONFIG /usr/sbin/corsgate check 2>&1)"
check_contains "the packaged policy names Debian's CGI directory" \
	"$(cat /etc/corsgate/cors.ini)" "cgi_root = /usr/lib/cgi-bin"
check_contains "man corsgate finds the page" \
	"$(man -w corsgate 2>&1)" "/usr/share/man/man8/corsgate.8.gz"
check_eq "corsgate.socket enabled (dh_installsystemd)" "$UNITS/corsgate.socket" \
	"$(readlink /etc/systemd/system/sockets.target.wants/corsgate.socket)"
if [ -d /run/systemd/system ]; then
	pass "systemd runs here: the package started corsgate.socket (not checked)"
else
	# nothing of the package runs: no process has /usr/sbin/corsgate as its image
	ran=""
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/corsgate ] && ran="$ran ${p#/proc/}"
	done
	check_eq "no running systemd: nothing started on install" "" "$ran"
fi

# ---- systemd-analyze verify: the installed units, the templates as an
# instance; and a broken copy must fail it (proof that it judges) ----
if command -v systemd-analyze >/dev/null 2>&1; then
	v=$(systemd-analyze verify $UNITS/corsgate.socket $UNITS/corsgate.service \
		$UNITS/corsgate@site.socket $UNITS/corsgate@site.service 2>&1)
	vrc=$?
	if [ "$vrc" -eq 0 ] && [ -z "$v" ]; then
		pass "systemd-analyze verify: the four units, silent"
	else
		fail "systemd-analyze verify: the four units, silent" "exit $vrc" "$v"
	fi
	mkdir -p "$H_DIR/units"
	sed -e 's|^ExecStart=/usr/sbin/corsgate |ExecStart=/usr/sbin/corsgate-missing |' \
		-e 's|^KillMode=|KilMode=|' $UNITS/corsgate@.service >"$H_DIR/units/corsgate@.service"
	cp $UNITS/corsgate@.socket "$H_DIR/units/"
	v=$(systemd-analyze verify "$H_DIR/units/corsgate@site.service" 2>&1)
	vrc=$?
	if [ "$vrc" -ne 0 ] && printf '%s' "$v" | grep -q "KilMode" &&
		printf '%s' "$v" | grep -q "corsgate-missing"; then
		pass "systemd-analyze verify fails a broken copy"
	else
		fail "systemd-analyze verify fails a broken copy" "exit $vrc" "$v"
	fi
else
	fail "systemd-analyze installed (Debian's systemd package)"
fi

# ---- the installed binary behind nginx, with the installed example ----
mkdir -p "$H_DIR/inst/etc"
ln -s $EX/nginx "$H_DIR/inst/etc/nginx"
CP=$(free_port)
CORSGATE=/usr/sbin/corsgate start_corsgate pkg "tcp:127.0.0.1:$CP" -c "$H_POLICY" -w 1 --allow-root &&
	NP=$(free_port) &&
	start_nginx ngx "$NP" "$(H_ROOT=$H_DIR/inst h_nginx_site "$NP" "server 127.0.0.1:$CP;")" &&
	h_reference_checks "installed corsgate, installed nginx example" "http://127.0.0.1:$NP/cors"
pid=$(h_cg_pid pkg)
check_eq "the corsgate serving is the installed one" /usr/sbin/corsgate \
	"$(readlink "/proc/$pid/exe" 2>/dev/null)"

# ---- two sites, one template instance each, behind one nginx ----
# Each instance as corsgate@NAME.socket and corsgate@NAME.service would run
# it: systemd-socket-activate listens (ListenStream) and starts the unit's
# ExecStartPre and ExecStart, %i = NAME, on the first connection
# (LISTEN_FDS). The sockets are in $H_DIR, not /run/corsgate.
sock_line=$(sed -n 's/^ListenStream=//p' $UNITS/corsgate@.socket)
check_eq "corsgate@NAME.socket listens on /run/corsgate/NAME.sock" "/run/corsgate/%i.sock" "$sock_line"
exec_line=$(sed -n 's/^ExecStart=//p' $UNITS/corsgate@.service)
pre_line=$(sed -n 's/^ExecStartPre=//p' $UNITS/corsgate@.service)
check_contains "corsgate@NAME.service reads /etc/corsgate/NAME.ini" "$exec_line" \
	"-c /etc/corsgate/%i.ini"
S1=cgtest$$shop
S2=cgtest$$blog
for s in $S1 $S2; do
	cleanup_add "rm -f /etc/corsgate/$s.ini"
done
site_policy() { # NAME ORIGIN
	printf '[gateway]\ncgi_root = %s\n[cors]\nallow_origin = %s\nallow_methods = GET, PUT\n' \
		"$H_CGI" "$2" >"/etc/corsgate/$1.ini"
}
site_policy $S1 https://shop.example.com
site_policy $S2 https://blog.example.com
start_site() { # NAME
	_pre=$(printf '%s' "$pre_line" | sed "s/%i/$1/g")
	_cmd=$(printf '%s' "$exec_line" | sed "s/%i/$1/g")
	# shellcheck disable=SC2086
	if ! _o=$($_pre 2>&1); then
		fail "site $1: ExecStartPre ($_pre)" "$_o"
		return 1
	fi
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$H_DIR/$1.sock" -E CORSGATE_IO_TIMEOUT $_cmd \
		>>"$H_DIR/$1.log" 2>&1 &
	_p=$!
	cleanup_add "h_kill $_p"
	if wait_for 10 "h_ready 'unix:$H_DIR/$1.sock'"; then
		pass "site $1: socket activated, serving"
		echo "$_p" >"$H_DIR/$1.pid"
	else
		fail "site $1: socket activated, serving" "$(tail -n 10 "$H_DIR/$1.log")"
		return 1
	fi
}
start_site $S1
start_site $S2
check_eq "site $S1: workers run as www-data" www-data \
	"$(ps -o user= --ppid "$(cat "$H_DIR/$S1.pid" 2>/dev/null || echo 0)" | sort -u | tr -d ' ')"
SP=$(free_port)
start_nginx sites "$SP" "
upstream shop { server unix:$H_DIR/$S1.sock; }
upstream blog { server unix:$H_DIR/$S2.sock; }
server {
    listen 127.0.0.1:$SP;
    server_name shop.example.net;
    root $H_CGI;
    location / {
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
        fastcgi_pass shop;
    }
}
server {
    listen 127.0.0.1:$SP;
    server_name blog.example.net;
    root $H_CGI;
    location / {
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
        fastcgi_pass blog;
    }
}"
for pair in "shop.example.net https://shop.example.com https://blog.example.com" \
	"blog.example.net https://blog.example.com https://shop.example.com"; do
	set -- $pair
	r=$(h_http OPTIONS "http://127.0.0.1:$SP/cors" "Host: $1" "Origin: $2" \
		'Access-Control-Request-Method: PUT')
	check_contains "$1: its own origin's preflight allowed" "$r" "Access-Control-Allow-Origin: $2"
	r=$(h_http OPTIONS "http://127.0.0.1:$SP/cors" "Host: $1" "Origin: $3" \
		'Access-Control-Request-Method: PUT')
	check_contains "$1: the other site's origin refused" "$r" "HTTP/1.1 403"
	r=$(h_http GET "http://127.0.0.1:$SP/cors" "Host: $1" "Origin: $2")
	check_contains "$1: its script runs, answered for its origin" "$r" \
		"Access-Control-Allow-Origin: $2"
done

# stop what runs the installed binary, then remove and purge
for s in $S1 $S2; do
	[ -f "$H_DIR/$s.pid" ] && h_kill "$(cat "$H_DIR/$s.pid")"
	rm -f "/etc/corsgate/$s.ini"
done
h_kill "$pid"

# ---- remove: the conffile stays; purge: nothing stays ----
out=$(h_dpkg -r corsgate 2>&1)
check_eq "dpkg -r removes it" config-files "$(pkg_state)"
check_eq "dpkg -r: the binary is gone" no "$([ -e /usr/sbin/corsgate ] && echo yes || echo no)"
check_eq "dpkg -r: the conffile stays" yes "$([ -f /etc/corsgate/cors.ini ] && echo yes || echo no)"
out=$(h_dpkg --purge corsgate 2>&1)
check_eq "dpkg --purge purges it" not-installed "$(pkg_state)"
left=""
for f in /etc/corsgate /usr/sbin/corsgate $UNITS/corsgate.service $UNITS/corsgate@.socket \
	/etc/systemd/system/sockets.target.wants/corsgate.socket /usr/share/doc/corsgate \
	/usr/share/man/man8/corsgate.8.gz; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
left="$left$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
	-name '*corsgate*' 2>/dev/null | sed 's/^/ /' | tr -d '\n')"
check_eq "dpkg --purge leaves nothing (conffile, units' symlinks, state)" "" "$left"

finish
