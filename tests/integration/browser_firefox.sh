#!/bin/sh
# browser_firefox.sh - the browser suite (tests/integration/browser.sh) in
# a second engine: Debian's Firefox ESR, headless, with a fresh profile per
# run. The same page (tests/browser/cors.html), the same cases
# (tests/browser/cases.txt), the same fronts - nginx, lighttpd, Apache
# running corsgate as a CGI program, and nginx with the policy broken on
# purpose, whose PUT cases must then fail with Firefox's own CORS error -
# and the same judge, which this file shares by sourcing browser.sh.
#
# Firefox headless has no --dump-dom and writes its web console nowhere:
# tests/browser/bidi.py drives it over WebDriver BiDi (Firefox's own
# remote protocol, --remote-debugging-port) and writes what the page read
# (#results) and what Firefox logged for the page, its "Cross-Origin
# Request Blocked: ... (Reason: ...)" errors among them.
#
# Preflight counts are not asserted here: Firefox sometimes sends a
# preflight again that it holds in its cache, even with max_age. The
# cache_maxage and cache_none cases are judged by what the page could read
# and by the script's runs (n), as every other case.
#
# By hand, from the repository root:
#   CORSGATE=$PWD/build/corsgate sh tests/integration/browser_firefox.sh
#   (BROWSER_BREAK=1 and BROWSER_KEEP=DIR as in browser.sh)
B_ENGINE=firefox
B_BLOCKED='Cross-Origin Request Blocked'
# "...?front=F&case=NAME. (Reason: ...)", or "‘...&case=NAME’. (Reason: ...)"
B_URL_END='[^A-Za-z0-9_]'
B_PREFLIGHTS=0
FIREFOX=${FIREFOX:-firefox-esr}
# each Firefox run is stopped after FIREFOX_TIMEOUT seconds (it takes 4-8)
FIREFOX_TIMEOUT=${FIREFOX_TIMEOUT:-40}

# firefox_prefs DIR: a fresh profile's user.js. Nothing may leave the
# machine: every proxied connection goes to a dead proxy on loopback
# (loopback itself is never proxied), no DNS over HTTPS, no background
# services. (Over BiDi, Firefox also applies its own automation prefs.)
firefox_prefs() {
	cat >"$1/user.js" <<'EOF'
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("network.proxy.share_proxy_settings", true);
user_pref("network.trr.mode", 5);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.predictor.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.page", 0);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.newtabpage.activity-stream.feeds.topsites", false);
user_pref("browser.newtabpage.activity-stream.feeds.system.topstories", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:9/v1");
EOF
}

# browse_firefox LABEL API: Firefox loads the page for the API origin; what
# the page read in $H_DIR/LABEL.dom, what Firefox logged for it in
# $H_DIR/LABEL.console (the files browser.sh's judge reads).
browse_firefox() {
	if ! command -v "$FIREFOX" >/dev/null 2>&1; then
		fail "$1: $FIREFOX installed (scripts/deps.sh)"
		return 1
	fi
	_prof=$H_DIR/$1.ffprofile
	rm -rf "$_prof"
	mkdir -p "$_prof"
	firefox_prefs "$_prof"
	_t=$(date +%s)
	: >"$H_DIR/$1.stderr"
	# its own session: whatever it starts is killed with it
	HOME=$H_DIR/home setsid timeout -k 5 "$FIREFOX_TIMEOUT" "$FIREFOX" \
		--headless --no-remote --profile "$_prof" --remote-debugging-port 0 \
		about:blank >"$H_DIR/$1.stdout" 2>"$H_DIR/$1.stderr" &
	_bp=$!
	cleanup_add "kill -KILL -$_bp"
	_re='WebDriver BiDi listening on ws://127.0.0.1:\([0-9]*\)'
	if ! wait_for 30 "grep -q '$_re' '$H_DIR/$1.stderr' || ! h_alive $_bp"; then
		:
	fi
	_port=$(sed -n "s|.*$_re.*|\\1|p" "$H_DIR/$1.stderr" | head -n 1)
	if [ -z "$_port" ]; then
		fail "$1: Firefox listens for WebDriver BiDi" "$(tail -n 5 "$H_DIR/$1.stderr")"
		kill -KILL -"$_bp" 2>/dev/null
		: >"$H_DIR/$1.dom"
		: >"$H_DIR/$1.console"
		return 1
	fi
	timeout 60 python3 "$BR/bidi.py" "$_port" \
		"$PAGE/cors.html?api=$2&front=$1&sid=$SID" \
		"$H_DIR/$1.dom" "$H_DIR/$1.console" >"$H_DIR/$1.bidi" 2>&1
	_brc=$?
	# bidi.py closed the browser: let it exit, then kill what is left
	wait_for 10 "! h_alive $_bp"
	kill -KILL -"$_bp" 2>/dev/null
	wait "$_bp" 2>/dev/null
	_n=$(grep -c '^RESULT	' "$H_DIR/$1.dom")
	if grep -q "^DONE	$NROWS\$" "$H_DIR/$1.dom"; then
		pass "$1: the page ran all $NROWS cases in Firefox ($(($(date +%s) - _t)) s)"
	else
		fail "$1: the page ran all $NROWS cases in Firefox" \
			"bidi.py exit $_brc; $_n results: $(cat "$H_DIR/$1.bidi")" \
			"$(grep '^ERROR' "$H_DIR/$1.dom")" \
			"$(grep -v 'services.settings\|^  \|^$' "$H_DIR/$1.stderr" | tail -n 5)"
	fi
}

. tests/integration/browser.sh
