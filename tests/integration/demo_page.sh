#!/bin/sh
# demo_page.sh - `make demo`'s page, in headless Chromium: scripts/demo.sh
# on free loopback ports (the API through nginx on one, the page on
# http://localhost:OTHER), the page loaded, and each of its rows checked:
# its outcome (green: readable, red: blocked), what it read, and that the
# `corsgate explain` command it shows predicts the same outcome. A
# screenshot goes to the test log directory (demo-page.png).
. tests/lib.sh
: "${CORSGATE:?set CORSGATE to the corsgate binary}"
CHROMIUM=${CHROMIUM:-chromium}
LOGDIR=${T_LOG_DIR:-$(dirname "$CORSGATE")/test-logs}
mkdir -p "$LOGDIR"
D=$(mktemp -d /tmp/corsgate-demo-test.XXXXXX)
chmod 755 "$D"
cleanup_add "rm -rf '$D'"

for t in "$CHROMIUM" nginx python3 curl; do
	if ! command -v "$t" >/dev/null 2>&1; then
		fail "$t installed (scripts/deps.sh)"
		finish
		exit 1
	fi
done

AP=$(free_port)
PP=$(free_port)
[ "$PP" = "$AP" ] && PP=$(free_port)
API=http://127.0.0.1:$AP
PAGE=http://localhost:$PP
# its own session: demo.sh, corsgate, nginx and the page server are
# stopped together
DEMO_LISTEN=127.0.0.1:$AP DEMO_PAGE_PORT=$PP setsid sh scripts/demo.sh "$CORSGATE" \
	>"$D/demo.log" 2>&1 &
DP=$!
cleanup_add "kill -TERM $DP; sleep 1; kill -KILL -$DP"
if wait_for 20 "curl -sf -o /dev/null $API/echo.sh && curl -sf -o /dev/null http://127.0.0.1:$PP/"; then
	pass "make demo serves the API and the page"
else
	fail "make demo serves the API and the page" "$(tail -n 20 "$D/demo.log")"
	finish
	exit 1
fi
# demo.sh prints it once its own look at the page server succeeds, which
# may come after ours
wait_for 10 "grep -qF 'Open $PAGE/?api=$API' '$D/demo.log'"
check_contains "demo.sh names the page" "$(cat "$D/demo.log")" "Open $PAGE/?api=$API"

URL="$PAGE/?api=$API"
chrome() { # OUT ARGS...: headless Chromium on the page, bounded
	_o=$1
	shift
	HOME=$D setsid timeout -k 5 30 "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-dev-shm-usage \
		--user-data-dir="$D/profile-$_o" --virtual-time-budget=15000 "$@" \
		"$URL" >"$D/$_o.out" 2>"$D/$_o.err"
}
chrome dom --dump-dom
rc=$?
if grep -q '^DONE	6$' "$D/dom.out"; then
	pass "the page ran its 6 fetches"
else
	fail "the page ran its 6 fetches" "chromium exit $rc" "$(tail -n 5 "$D/dom.err")"
fi
chrome shot --screenshot="$LOGDIR/demo-page.png" --window-size=1280,900
if [ -s "$LOGDIR/demo-page.png" ]; then
	pass "a screenshot of the page: $LOGDIR/demo-page.png"
else
	fail "a screenshot of the page" "$(tail -n 5 "$D/shot.err")"
fi

unhtml() { sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&#39;/'/g" -e 's/&amp;/\&/g'; }
# the policy the demo runs, for the commands the page shows
EX=$D/cors.ini
sed "s|^cgi_root = /var/www/cgi-bin$|cgi_root = $D|" etc/cors.ini >"$EX"

# row CASE OUTCOME READ: the row's outcome and class, what it read, and
# its explain command's exit code
row() {
	_r=$(grep "^RESULT	$1	" "$D/dom.out" | unhtml)
	_v=$(printf '%s' "$_r" | cut -f 3)
	_t=$(printf '%s' "$_r" | cut -f 4)
	if [ "$_v" != "$2" ]; then
		fail "row $1: $2" "the page found it '$_v': $_t"
		return
	fi
	if ! grep -q "<tr class=\"$2\" data-case=\"$1\" data-outcome=\"$2\">" "$D/dom.out"; then
		fail "row $1: shown $([ "$2" = readable ] && echo green || echo red)" \
			"$(grep -o "<tr[^>]*data-case=\"$1\"[^>]*>" "$D/dom.out")"
		return
	fi
	case $_t in
	*"$3"*) ;;
	*) fail "row $1: read '$3'" "it read: $_t"; return ;;
	esac
	# the command the row shows, run as shown (its paste on stdin)
	_cmd=$(grep -o "<tr[^>]*data-case=\"$1\".*" "$D/dom.out" | sed 's|</tr>.*||' |
		sed -n 's|.*<td class="cmd"><code>\([^<]*\)</code>.*|\1|p' | unhtml)
	case $_cmd in
	"corsgate explain -c etc/cors.ini "*"-- curl "*) ;;
	*) fail "row $1: shows its explain command" "got: $_cmd"; return ;;
	esac
	_opts=${_cmd#corsgate explain -c etc/cors.ini }
	_opts=${_opts%% -- *}
	[ "$_opts" = "--credentials include" ] || _opts=""
	printf '%s\n' "${_cmd#* -- }" >"$D/$1.curl"
	# shellcheck disable=SC2086
	"$CORSGATE" explain -c "$EX" $_opts - <"$D/$1.curl" >"$D/$1.explain" 2>&1
	_rc=$?
	_want=0
	[ "$2" = blocked ] && _want=2
	if [ "$_rc" != "$_want" ]; then
		fail "row $1: its command predicts $2" "explain exit $_rc, expected $_want" \
			"$(tail -n 4 "$D/$1.explain")"
		return
	fi
	pass "row $1: $2, read '$3', its explain command agrees"
}
row allowed_get readable 'status 200'
row preflighted_put readable '"method":"PUT"'
row refused_origin blocked 'TypeError'
row refused_method blocked 'TypeError'
row credentialed readable 'status 200'
row exposed_header readable 'X-Total-Count: 1'

kill -TERM "$DP" 2>/dev/null
if wait_for 15 "! kill -0 $DP"; then
	pass "the demo stops on SIGTERM"
else
	fail "the demo stops on SIGTERM"
fi
finish
