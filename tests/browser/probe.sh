#!/bin/sh
# The browser suite's test script (tests/integration/browser.sh installs it
# as probe.sh and acao.sh in every policy directory, @MARKS@ replaced).
# Every run appends one line to @MARKS@/FRONT.CASE (from the query string
# ?front=FRONT&case=CASE): the method, X-Custom-Header, the cookie and the
# body it got - proof that it ran, and of what reached it. It answers the
# same line, with X-Total-Count: 7; acao.sh also prints an
# Access-Control-Allow-Origin: * of its own.
q=${QUERY_STRING:-}
arg() { printf '&%s' "$q" | sed -n "s/.*&$1=\([A-Za-z0-9_-]*\).*/\1/p"; }
front=$(arg front)
name=$(arg case)
body=""
if [ -n "${CONTENT_LENGTH:-}" ] && [ "$CONTENT_LENGTH" -gt 0 ] 2>/dev/null; then
	body=$(head -c "$CONTENT_LENGTH")
fi
line="ran ${REQUEST_METHOD:-} hdr=${HTTP_X_CUSTOM_HEADER:-} cookie=${HTTP_COOKIE:-}; body=$body"
printf '%s\n' "$line" >>"@MARKS@/${front:-none}.${name:-none}"
printf 'Content-Type: text/plain\r\nX-Total-Count: 7\r\n'
case $0 in
*acao.sh) printf 'Access-Control-Allow-Origin: *\r\n' ;;
esac
printf '\r\n%s\n' "$line"
