#!/bin/sh
# A JSON API in plain sh: echoes the method, the body and a few request
# headers. Knows nothing about CORS: corsgate adds the headers.
body=""
if [ -n "${CONTENT_LENGTH:-}" ] && [ "$CONTENT_LENGTH" -gt 0 ] 2>/dev/null; then
	body=$(head -c "$CONTENT_LENGTH")
fi
# JSON string escaping for the few characters that need it
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037'; }
printf 'Content-Type: application/json\r\n'
printf 'X-Total-Count: 1\r\n'
printf '\r\n'
printf '{"lang":"sh","method":"%s","path":"%s","query":"%s","body":"%s","x_custom_header":"%s","content_type":"%s"}\n' \
	"$(esc "${REQUEST_METHOD:-}")" "$(esc "${SCRIPT_NAME:-}${PATH_INFO:-}")" \
	"$(esc "${QUERY_STRING:-}")" "$(esc "$body")" \
	"$(esc "${HTTP_X_CUSTOM_HEADER:-}")" "$(esc "${CONTENT_TYPE:-}")"
