#!/bin/sh
# browser.sh - corsgate as a browser sees it. Debian's Chromium, headless,
# loads a page (tests/browser/cors.html) from one origin - a static server
# on one loopback port - and the page fetch()es from another origin - the
# API: a web server on another port, corsgate behind it, the scripts of
# tests/browser. For every case of tests/browser/cases.txt the page writes
# into its DOM whether the browser let it read the answer and what it read;
# Chromium prints that DOM (--dump-dom) and its console (where it says
# "... has been blocked by CORS policy: ..."). The suite checks both, and
# the server side: the scripts' side effects and the web server's access
# log (preflights).
#
# Fronts: nginx (FastCGI), lighttpd (mod_fastcgi, bin-path), Apache httpd
# running corsgate as a CGI program (etc/apache/htaccess.example), and
# nginx once more with the policy broken on purpose (PUT removed from
# allow_methods): the cases marked "broken" must then be blocked, with the
# browser's message. One pass/fail per case and front, then a table.
#
# By hand, from the repository root:
#   CORSGATE=$PWD/build/corsgate sh tests/integration/browser.sh
#   ... BROWSER_BREAK=1 ...   every front's policy broken as above: the PUT
#                             cases fail, with the browser's message
#   ... BROWSER_KEEP=DIR ...  keep each run's DOM, console and access log
#
# tests/integration/browser_firefox.sh runs this same suite in Firefox ESR:
# it sets B_ENGINE=firefox and the B_* below, defines browse_firefox, and
# sources this file.
. tests/lib.sh
. tests/integration/harness.sh
# corsgate explain's prediction for every case, against what the page read
. tests/browser/explain_check.sh

BR=$H_ROOT/tests/browser
CASES=$BR/cases.txt
CHROMIUM=${CHROMIUM:-chromium}
B_ENGINE=${B_ENGINE:-chromium}                 # browse_$B_ENGINE runs the page
B_BLOCKED=${B_BLOCKED:-blocked by CORS policy} # the browser's CORS error
B_URL_END=${B_URL_END:-\'}                     # follows case=NAME in it (regex)
B_PREFLIGHTS=${B_PREFLIGHTS:-1}                # 1: preflight counts asserted
# Bounds: each browser run is stopped after BROWSER_TIMEOUT seconds (it
# takes 1-2 s), and no front starts once the suite has run DEADLINE seconds
# (a run takes about 3 s): the suite ends within 3 minutes, failures
# included.
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-20}
DEADLINE=120
MARKS=$H_DIR/marks
mkdir -p "$MARKS" "$H_DIR/home"
chmod 777 "$MARKS" # Apache runs the CGI programs as www-data
SID=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TABLE=$H_DIR/table
: >"$TABLE"
T0=$(date +%s)

if [ "$B_ENGINE" = chromium ] && ! command -v "$CHROMIUM" >/dev/null 2>&1; then
	fail "chromium installed (scripts/deps.sh)"
	finish
	exit 1
fi

# The rows of cases.txt: no comments, '|' without the spaces around it.
rows() {
	sed -e '/^#/d' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]*|[[:space:]]*/|/g' \
		-e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$CASES"
}
NROWS=$(rows | wc -l)

# ---- the page origin: a static server for tests/browser ----
PP=$(free_port)
PAGE=http://127.0.0.1:$PP
python3 -m http.server --bind 127.0.0.1 --directory "$BR" "$PP" \
	>"$H_DIR/page-server.log" 2>&1 &
_pp=$!
cleanup_add "h_kill $_pp"
if ! wait_for 10 "curl -sf -o /dev/null $PAGE/cors.html"; then
	fail "the page server starts on $PAGE" "$(tail -n 5 "$H_DIR/page-server.log")"
	finish
	exit 1
fi

# ---- the scripts and the policy ----
SECTIONS="allowed refused expose cred credpat credoff star credleak cache nocache disabled"

# install_scripts DIR: DIR/SECTION-{probe.sh,acao.sh,fail.sh}. Side by
# side, not in directories: with etc/lighttpd/corsgate.conf's "/" prefix,
# lighttpd takes the first path segment for the script (SCRIPT_NAME /x,
# PATH_INFO /y.sh for /x/y.sh), so a script in a subdirectory is not found.
install_scripts() {
	mkdir -p "$1"
	for _s in $SECTIONS; do
		sed "s|@MARKS@|$MARKS|g" "$BR/probe.sh" >"$1/$_s-probe.sh"
		cp "$1/$_s-probe.sh" "$1/$_s-acao.sh"
		cp "$H_ROOT/cgi-bin/fail.sh" "$1/$_s-fail.sh"
		chmod 755 "$1/$_s-probe.sh" "$1/$_s-acao.sh" "$1/$_s-fail.sh"
	done
	chmod a+rX "$1"
}

# policy FILE CGI_ROOT PREFIX: the page's origin ($PAGE) per section, as
# cases.txt describes, for the scripts at PREFIX/SECTION-*; with BROKEN=1,
# PUT is gone from allow_methods.
policy() {
	_x=$3
	cat >"$1" <<EOF
[gateway]
cgi_root = $2
log_level = info

[cors]
allow_origin = https://app.example.com

[path $_x/allowed-*]
allow_origin = $PAGE
allow_methods = GET, POST, PUT
allow_headers = X-Custom-Header
max_age = 600

[path $_x/refused-*]
allow_origin = https://app.example.com

[path $_x/expose-*]
allow_origin = $PAGE
expose_headers = X-Total-Count

[path $_x/cred-*]
allow_origin = $PAGE
allow_credentials = true

[path $_x/credpat-*]
allow_origin = http://127.0.0.1:*
allow_credentials = true

[path $_x/credoff-*]
allow_origin = $PAGE
allow_credentials = false

[path $_x/star-*]
allow_origin = *

[path $_x/credleak-*]
allow_origin = https://app.example.com
allow_credentials = true

[path $_x/cache-*]
allow_origin = $PAGE
allow_methods = GET, PUT
allow_headers = X-Custom-Header
max_age = 600

[path $_x/nocache-*]
allow_origin = $PAGE
allow_methods = GET, PUT
allow_headers = X-Custom-Header
max_age = 0

[path $_x/disabled-*]
enabled = false
EOF
	[ "${BROKEN:-}" = 1 ] && sed -i '/^allow_methods/s/, PUT//' "$1"
	XC_POLICY=$1 # for xc_front
	if ! _out=$("$CORSGATE" check -c "$1" 2>&1); then
		fail "the browser policy $1 loads" "$_out"
		return 1
	fi
	return 0
}

install_scripts "$H_CGI"

# ---- the browser ----

# browse LABEL API: Chromium loads the page for the API origin; its DOM in
# $H_DIR/LABEL.dom, its console lines in $H_DIR/LABEL.console.
browse_chromium() {
	_prof=$H_DIR/$1.profile
	rm -rf "$_prof"
	mkdir -p "$_prof"
	_t=$(date +%s)
	# its own session: whatever it starts is killed with it
	HOME=$H_DIR/home setsid timeout -k 5 "$BROWSER_TIMEOUT" "$CHROMIUM" \
		--headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --disable-quic --disable-dev-shm-usage \
		--user-data-dir="$_prof" --enable-logging=stderr --v=0 \
		--virtual-time-budget=20000 --dump-dom \
		"$PAGE/cors.html?api=$2&front=$1&sid=$SID" \
		>"$H_DIR/$1.dom" 2>"$H_DIR/$1.stderr" &
	_bp=$!
	cleanup_add "kill -KILL -$_bp"
	wait "$_bp"
	_brc=$?
	kill -KILL -"$_bp" 2>/dev/null # anything of it still there
	grep -a ':CONSOLE' "$H_DIR/$1.stderr" >"$H_DIR/$1.console"
	_n=$(grep -c '^RESULT	' "$H_DIR/$1.dom")
	if grep -q "^DONE	$NROWS\$" "$H_DIR/$1.dom"; then
		pass "$1: the page ran all $NROWS cases ($(($(date +%s) - _t)) s)"
	else
		fail "$1: the page ran all $NROWS cases" \
			"chromium exit $_brc (124: stopped after $BROWSER_TIMEOUT s); $_n results" \
			"$(grep -av 'dbus\|CONSOLE' "$H_DIR/$1.stderr" | tail -n 5)" \
			"$(tail -n 5 "$H_DIR/$1.console")"
	fi
}

# ---- judging one case ----

contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
unhtml() { sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g'; }

# judge LABEL PREFIX ACCESS_LOG BROKEN ROW: one pass/fail for the case in
# ROW as the browser run LABEL saw it (the API's paths under PREFIX).
judge() {
	_lb=$1
	_pfx=$2
	_alog=$3
	_brk=$4
	_ifs=$IFS
	IFS='|'
	set -f
	# shellcheck disable=SC2086
	set -- $5
	set +f
	IFS=$_ifs
	_name=$1 _meth=$2 _path=$3 _creds=$5 _times=$6 _exp=$7 _st=$8
	_body=$(printf '%s' "$9" | sed "s/@SID@/$SID/g")
	_xtc=${10} _srv=${11}
	if [ "$_brk" = 1 ] && [ "${12}" = blocked ]; then
		_exp=blocked _srv=refused
	fi
	_res=$(grep "^RESULT	$_name	" "$H_DIR/$_lb.dom" | unhtml)
	_gv=$(printf '%s' "$_res" | cut -f 3)
	_gs=$(printf '%s' "$_res" | cut -f 4)
	_gx=$(printf '%s' "$_res" | cut -f 5)
	_gb=$(printf '%s' "$_res" | cut -f 6-)
	_cons=$(grep "case=$_name$B_URL_END" "$H_DIR/$_lb.console" |
		sed 's/^.*:CONSOLE[:(][0-9]*)*\] //')
	_why=""
	if [ -z "$_res" ]; then
		_why="the page gave no result for it"
	elif [ "$_exp" = readable ]; then
		if [ "$_gv" != readable ]; then
			_why="the page could not read it: $_gb"
		elif [ "$_st" != - ] && [ "$_gs" != "$_st" ]; then
			_why="status $_gs, not $_st"
		elif [ "$_body" != - ] && ! contains "$_gb" "$_body"; then
			_why="the body lacks '$_body': $_gb"
		elif [ "$_xtc" != - ] && [ "$_gx" != "$_xtc" ]; then
			_why="X-Total-Count read as '$_gx', not '$_xtc'"
		fi
	else
		if [ "$_gv" != blocked ]; then
			_why="the page read it: status $_gs, X-Total-Count $_gx, body: $_gb"
		elif ! printf '%s' "$_cons" | grep -q "$B_BLOCKED"; then
			_why="no '$B_BLOCKED' from the browser for it ($_gb)"
		fi
	fi
	_mark=$MARKS/$_lb.$_name
	_req="$_pfx$_path?front=$_lb&case=$_name HTTP/1.1"
	if [ -z "$_why" ]; then
		case $_srv in
		ran)
			[ -s "$_mark" ] || _why="the script did not run"
			;;
		cookie)
			grep -q "cookie=cg_sid=$SID;" "$_mark" 2>/dev/null ||
				_why="the script did not get the cookie: $(cat "$_mark" 2>/dev/null)"
			;;
		nocookie)
			grep -q "cookie=;" "$_mark" 2>/dev/null ||
				_why="the script got a cookie, or did not run: $(cat "$_mark" 2>/dev/null)"
			;;
		refused)
			if [ -e "$_mark" ]; then
				_why="the script ran: $(cat "$_mark")"
			elif ! grep -qF "OPTIONS $_req 403" "$_alog"; then
				_why="no preflight answered 403 in the access log: $(grep -F "$_req" "$_alog")"
			fi
			;;
		preflights=*)
			_np=$(grep -cF "OPTIONS $_req " "$_alog")
			_nr=$(wc -l <"$_mark" 2>/dev/null || echo 0)
			if { [ "$B_PREFLIGHTS" = 1 ] && [ "$_np" != "${_srv#preflights=}" ]; } ||
				[ "$_nr" != "$_times" ]; then
				_why="$_np preflight(s) for $_nr run(s) of the script, not ${_srv#preflights=} for $_times"
			fi
			;;
		esac
	fi
	if [ -z "$_why" ]; then
		pass "$_lb: $_name ($_exp)"
		[ -n "$_cons" ] && printf '     browser: %s\n' "$_cons"
		echo "$_lb $_name pass" >>"$TABLE"
	else
		fail "$_lb: $_name (expected $_exp)" "$_why" \
			"browser: ${_cons:-(nothing in the console for it)}"
		echo "$_lb $_name FAIL" >>"$TABLE"
	fi
}

# run_front LABEL ORIGIN PREFIX ACCESS_LOG: the browser with the API at
# ORIGIN/PREFIX, then every case, judged as the policy should answer it
# (EXPECT_BROKEN=1: as the broken one should).
run_front() {
	"browse_$B_ENGINE" "$1" "$2$3"
	# the access log may lag (lighttpd buffers): wait for the last case
	_last=$(rows | tail -n 1 | cut -d '|' -f 1)
	wait_for 5 "grep -qF 'case=$_last ' '$4'"
	rows >"$H_DIR/rows"
	while IFS= read -r _row; do
		judge "$1" "$3" "$4" "${EXPECT_BROKEN:-}" "$_row"
	done <"$H_DIR/rows"
	xc_front "$1" "$2$3" "$XC_POLICY" "$H_DIR/$1.dom" "$H_DIR/$1.console" \
		"$B_ENGINE"
}

# ---- nginx (FastCGI) ----
front_nginx() { # LABEL: corsgate + nginx, then the browser
	_pol=$H_DIR/$1.ini
	policy "$_pol" "$H_CGI" "" || return 1
	_cp=$(free_port)
	start_corsgate "cg-$1" "tcp:127.0.0.1:$_cp" -c "$_pol" -w 1 --allow-root || return 1
	_np=$(free_port)
	_site=$(h_nginx_site "$_np" "server 127.0.0.1:$_cp;" |
		sed "s|^\( *\)listen 127.0.0.1:$_np;|&\n\1access_log $H_DIR/$1/access.log brw;|")
	case $_site in
	*"access_log $H_DIR/$1/access.log"*) ;;
	*)
		fail "$1: etc/nginx/corsgate.conf has 'listen 127.0.0.1:$_np;' (for the access log)"
		return 1
		;;
	esac
	start_nginx "$1" "$_np" "log_format brw '\$request \$status';
$_site" || return 1
	run_front "$1" "http://127.0.0.1:$_np" "" "$H_DIR/$1/access.log"
}

# ---- lighttpd (mod_fastcgi, bin-path) ----
front_lighttpd() {
	_pol=$H_DIR/$1.ini
	policy "$_pol" "$H_CGI" "" || return 1
	_lp=$(free_port)
	start_lighttpd "$1" "$_lp" "$(h_lighttpd_site "$H_DIR/$1-cg.sock" \
		"$CORSGATE -c $_pol --allow-root")
server.modules += ( \"mod_accesslog\" )
accesslog.filename = \"$H_DIR/$1/access.log\"
accesslog.format = \"%r %s\"" || return 1
	run_front "$1" "http://127.0.0.1:$_lp" "" "$H_DIR/$1/access.log"
}

# ---- Apache httpd, corsgate as a CGI program (shared hosting) ----
# The layout of etc/apache/htaccess.example: DOCROOT/corsgate/corsgate.cgi
# with its cors.ini and part 1 of the example as .htaccess; the scripts in
# DOCROOT/api/ with part 2 as .htaccess.
front_apache_cgi() {
	_site=$H_DIR/$1/docroot
	mkdir -p "$_site/corsgate"
	install_scripts "$_site/api"
	cp "$CORSGATE" "$_site/corsgate/corsgate.cgi"
	chmod 755 "$_site/corsgate/corsgate.cgi"
	policy "$_site/corsgate/cors.ini" "$_site/api" /api || return 1
	chmod 644 "$_site/corsgate/cors.ini"
	_ex=$H_ROOT/etc/apache/htaccess.example
	sed -n '/^# ---- part 1/,/^# ---- part 2/p' "$_ex" >"$_site/corsgate/.htaccess"
	sed -n '/^# ---- part 2/,$p' "$_ex" >"$_site/api/.htaccess"
	if ! grep -q '^AddHandler cgi-script' "$_site/corsgate/.htaccess" ||
		! grep -q '^Action corsgate /corsgate/corsgate.cgi' "$_site/api/.htaccess"; then
		fail "$1: etc/apache/htaccess.example has its two parts" \
			"$(cat "$_site/corsgate/.htaccess" "$_site/api/.htaccess")"
		return 1
	fi
	chmod 644 "$_site/corsgate/.htaccess" "$_site/api/.htaccess"
	_m=/usr/lib/apache2/modules
	_ap=$(free_port)
	start_apache "$1" "$_ap" "LoadModule cgid_module $_m/mod_cgid.so
LoadModule actions_module $_m/mod_actions.so
LoadModule mime_module $_m/mod_mime.so
TypesConfig /dev/null
ScriptSock \"$H_DIR/$1/cgid.sock\"
CustomLog \"$H_DIR/$1/access.log\" \"%r %>s\"
<Directory \"$_site\">
    AllowOverride All
    Require all granted
</Directory>" || return 1
	run_front "$1" "http://127.0.0.1:$_ap" /api "$H_DIR/$1/access.log"
}

# front FUNCTION LABEL: one front, unless the suite is out of time; each
# case the front did not get to (it did not start) fails.
front() {
	FRONTS="$FRONTS $2"
	if [ $(($(date +%s) - T0)) -ge "$DEADLINE" ]; then
		fail "$2: not started: the suite has run for over $DEADLINE s"
	else
		"$1" "$2"
	fi
	rows | cut -d '|' -f 1 >"$H_DIR/names"
	while IFS= read -r _c; do
		if ! grep -q "^$2 $_c " "$TABLE"; then
			fail "$2: $_c (not run)"
			echo "$2 $_c FAIL" >>"$TABLE"
		fi
	done <"$H_DIR/names"
	if [ -n "${BROWSER_KEEP:-}" ]; then
		mkdir -p "$BROWSER_KEEP"
		for _f in dom console stderr; do
			cp "$H_DIR/$2.$_f" "$BROWSER_KEEP/" 2>/dev/null
		done
		cp "$H_DIR/$2/access.log" "$BROWSER_KEEP/$2.access.log" 2>/dev/null
	fi
	return 0
}
# BROKEN: the policies are broken; EXPECT_BROKEN: the cases judged so
FRONTS=""
BROKEN=${BROWSER_BREAK:-}
EXPECT_BROKEN=
front front_nginx nginx
front front_lighttpd lighttpd
front front_apache_cgi apache-cgi
# the policy broken on purpose: the PUT cases must fail, in the browser
BROKEN=1
EXPECT_BROKEN=1
front front_nginx nginx-broken

# ---- the table: case x front ----
{
	printf '\n%-16s' case
	for f in $FRONTS; do printf ' %-13s' "$f"; done
	printf '\n'
	rows | cut -d '|' -f 1 | while IFS= read -r c; do
		printf '%-16s' "$c"
		for f in $FRONTS; do
			r=$(sed -n "s/^$f $c //p" "$TABLE")
			printf ' %-13s' "${r:-not run}"
		done
		printf '\n'
	done
	echo "(nginx-broken: PUT removed from allow_methods; pass = the browser blocked what it must)"
	echo "browser suite: $(($(date +%s) - T0)) s"
}

finish
