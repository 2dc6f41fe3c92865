# tests/browser/explain_check.sh - sourced by a browser suite (after
# tests/lib.sh): `corsgate explain` against the browser itself. For every
# case of cases.txt it writes the request as the browser's DevTools "Copy
# as cURL (bash)" prints it, pipes that to `corsgate explain -c POLICY -`,
# and requires explain's prediction to equal what the page could read in
# the real browser (the RESULT line of the page's DOM): exit 0 = readable,
# 2 = blocked; 3 (enabled = false: the script's own headers decide) is
# accepted for either, when explain says so. For Chromium, a blocked case's
# console line must also hold the very sentence explain predicted
# ("Access to fetch at ... has been blocked by CORS policy: ..."), and the
# same request in Firefox's form must get the same prediction.
#
#   xc_front LABEL API POLICY DOM CONSOLE [FORM]
#       LABEL    the front (the page's &front=, the marks' prefix)
#       API      the API origin and prefix the page fetched from
#       POLICY   the policy file corsgate served with
#       DOM      the browser's dumped DOM (RESULT lines)
#       CONSOLE  the browser's console lines ("" / missing: not checked)
#       FORM     chromium (default) or firefox: how the paste is written,
#                and whether the console's wording is checked (Chromium's
#                only)
# Needs: $CORSGATE, $CASES, $PAGE (the page's origin), $SID (the cookie),
# rows() (the rows of cases.txt), pass/fail. The pastes and explain's
# output are kept in $H_DIR/LABEL.explain/.

# xc_paste FORM URL METHOD HEADER CREDS: the paste, on stdout.
xc_paste() {
	_xf=$1 _xu=$2 _xm=$3 _xh=$4 _xc=$5
	_xb=""
	case $_xm in PUT | PATCH | POST) _xb=hello ;; esac
	if [ "$_xf" = firefox ]; then
		printf "curl '%s'" "$_xu"
		[ "$_xm" != GET ] && printf " -X %s" "$_xm"
		printf " -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'"
		printf " -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5'"
		printf " -H 'Accept-Encoding: gzip, deflate, br, zstd'"
		printf " -H 'Referer: %s/'" "$PAGE"
		[ -n "$_xb" ] && printf " -H 'Content-Type: text/plain;charset=UTF-8'"
		[ "$_xh" != - ] && printf " -H '%s: %s'" "${_xh%%:*}" "${_xh#*:}"
		printf " -H 'Origin: %s' -H 'Connection: keep-alive'" "$PAGE"
		[ "$_xc" = include ] && printf " -H 'Cookie: cg_sid=%s'" "$SID"
		printf " -H 'Sec-Fetch-Dest: empty' -H 'Sec-Fetch-Mode: cors'"
		printf " -H 'Sec-Fetch-Site: same-site' -H 'Priority: u=4'"
		printf " -H 'Pragma: no-cache' -H 'Cache-Control: no-cache'"
		[ -n "$_xb" ] && printf " --data-raw '%s'" "$_xb"
		printf '\n'
		return
	fi
	printf "curl '%s' \\\\\n" "$_xu"
	[ "$_xm" != GET ] && printf "  -X '%s' \\\\\n" "$_xm"
	printf "  -H 'accept: */*' \\\\\n  -H 'accept-language: en-US' \\\\\n"
	[ -n "$_xb" ] && printf "  -H 'content-type: text/plain;charset=UTF-8' \\\\\n"
	[ "$_xc" = include ] && printf "  -b 'cg_sid=%s' \\\\\n" "$SID"
	printf "  -H 'origin: %s' \\\\\n  -H 'priority: u=1, i' \\\\\n" "$PAGE"
	printf "  -H 'referer: %s/' \\\\\n" "$PAGE"
	printf "  -H 'sec-fetch-dest: empty' \\\\\n  -H 'sec-fetch-mode: cors' \\\\\n"
	printf "  -H 'sec-fetch-site: same-site' \\\\\n"
	printf "  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36' \\\\\n"
	if [ "$_xh" != - ]; then
		_xn=$(printf '%s' "${_xh%%:*}" | tr 'A-Z' 'a-z')
		printf "  -H '%s: %s' \\\\\n" "$_xn" "${_xh#*:}"
	fi
	[ -n "$_xb" ] && printf "  --data-raw '%s' \\\\\n" "$_xb"
	printf "  --compressed\n"
}

xc_front() {
	_xl=$1 _xa=$2 _xp=$3 _xd=$4 _xk=$5 _xform=${6:-chromium}
	_xdir=$H_DIR/$_xl.explain
	mkdir -p "$_xdir"
	rows >"$_xdir/rows"
	while IFS= read -r _xrow; do
		_xname=$(printf '%s' "$_xrow" | cut -d '|' -f 1)
		_xmeth=$(printf '%s' "$_xrow" | cut -d '|' -f 2)
		_xpath=$(printf '%s' "$_xrow" | cut -d '|' -f 3)
		_xhdr=$(printf '%s' "$_xrow" | cut -d '|' -f 4)
		_xcr=$(printf '%s' "$_xrow" | cut -d '|' -f 5)
		_xurl="$_xa$_xpath?front=$_xl&case=$_xname"
		xc_paste "$_xform" "$_xurl" "$_xmeth" "$_xhdr" "$_xcr" >"$_xdir/$_xname.curl"
		"$CORSGATE" explain -c "$_xp" - <"$_xdir/$_xname.curl" \
			>"$_xdir/$_xname.out" 2>&1
		_xrc=$?
		_xgot=$(grep "^RESULT	$_xname	" "$_xd" | cut -f 3)
		_xwhy=""
		_xmsg=""
		case $_xrc in
		0) _xsaid=readable ;;
		2) _xsaid=blocked ;;
		3) _xsaid=depends ;;
		*) _xsaid="error (exit $_xrc)" ;;
		esac
		if [ -z "$_xgot" ]; then
			_xwhy="the page gave no result for it"
		elif [ "$_xsaid" = depends ]; then
			grep -q '^verdict: depends on the script' "$_xdir/$_xname.out" ||
				_xwhy="exit 3 without saying the script decides"
		elif [ "$_xsaid" != "$_xgot" ]; then
			_xwhy="explain says $_xsaid, the page found it $_xgot"
		elif [ "$_xsaid" = blocked ] && [ "$_xform" = chromium ] && [ -n "$_xk" ]; then
			_xmsg=$(sed -n 's/^  Chromium: //p' "$_xdir/$_xname.out")
			if [ -z "$_xmsg" ]; then
				_xwhy="explain printed no Chromium message"
			elif ! grep -F "case=$_xname'" "$_xk" | grep -qF "$_xmsg"; then
				_xwhy="the console does not say what explain predicted: $_xmsg"
			fi
		fi
		if [ -z "$_xwhy" ] && [ "$_xform" = chromium ]; then
			# the same request as Firefox's DevTools writes it
			xc_paste firefox "$_xurl" "$_xmeth" "$_xhdr" "$_xcr" >"$_xdir/$_xname.ff.curl"
			"$CORSGATE" explain -c "$_xp" - <"$_xdir/$_xname.ff.curl" \
				>"$_xdir/$_xname.ff.out" 2>&1
			_xfrc=$?
			[ "$_xfrc" = "$_xrc" ] ||
				_xwhy="in Firefox's form (paste: $_xdir/$_xname.ff.curl) explain exits $_xfrc, not $_xrc"
		fi
		if [ -z "$_xwhy" ]; then
			pass "$_xl: explain predicts $_xname ($_xsaid${_xmsg:+, in the console's words})"
		else
			fail "$_xl: explain predicts $_xname" "$_xwhy" \
				"paste: $_xdir/$_xname.curl" \
				"$(tail -n 4 "$_xdir/$_xname.out")" \
				"browser: $(grep -F "case=$_xname'" "$_xk" 2>/dev/null | sed 's/^.*:CONSOLE[:(][0-9]*)*\] //')"
		fi
	done <"$_xdir/rows"
}
