#!/bin/sh
# fronts.sh - both fronts give the same bytes for the same request. Each
# row of the table is sent once through the FastCGI server (the raw
# client, as a web server would) and once to corsgate run as a CGI
# program (an Apache Action handler's environment); the two answers must
# be byte-identical. Both fronts call gateway_serve(): only the transport
# differs.
. tests/lib.sh
. tests/integration/harness.sh

SOCK=$H_DIR/f.sock
h_policy "$H_POLICY" '[path /blocked/*]
allow_origin = https://app.example.com
block_disallowed = true'
mkdir -p "$H_CGI/blocked"
h_script blocked/mark.sh <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nmark ran\n'
EOF
h_script badout.sh <<'EOF'
#!/bin/sh
echo "no colon here"
EOF
h_script status.sh <<'EOF'
#!/bin/sh
printf 'Status: 201 Created\r\nContent-Type: text/plain\r\nVary: Accept\r\nAccess-Control-Allow-Origin: *\r\n\r\ncreated\n'
EOF
start_corsgate f "unix:$SOCK" -c "$H_POLICY" -w 1 --allow-root || {
	finish
	exit 1
}

# row: NAME METHOD PATH BODY HEADER=VALUE... (headers as CGI names, HTTP_*;
# METHOD "-": no REQUEST_METHOD at all)
n=0
row() {
	_name=$1 _m=$2 _p=$3 _b=$4
	shift 4
	n=$((n + 1))
	_fp=""
	_fm="-p REQUEST_METHOD=$_m"
	_cm="REQUEST_METHOD=$_m"
	[ "$_m" = - ] && _fm="" _cm="NO_METHOD=1"
	for _h in "$@"; do _fp="$_fp -p $_h"; done
	# shellcheck disable=SC2086
	fcgi "unix:$SOCK" request $_fm -p "SCRIPT_NAME=$_p" \
		-p "SCRIPT_FILENAME=$H_CGI$_p" -p "CONTENT_LENGTH=${#_b}" \
		-p SERVER_PROTOCOL=HTTP/1.1 $_fp --stdin "$_b" >"$H_DIR/fcgi.$n"
	printf '%s' "$_b" | env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 \
		CORSGATE_CONFIG="$H_POLICY" "$_cm" \
		SCRIPT_NAME=/cgi-bin/corsgate.cgi PATH_INFO="$_p" \
		PATH_TRANSLATED="$H_CGI$_p" CONTENT_LENGTH="${#_b}" \
		SERVER_PROTOCOL=HTTP/1.1 "$@" "$CORSGATE" >"$H_DIR/cgi.$n" \
		2>>"$H_DIR/cgi.log"
	if cmp -s "$H_DIR/fcgi.$n" "$H_DIR/cgi.$n" && [ -s "$H_DIR/cgi.$n" ]; then
		pass "same bytes: $_name"
	else
		fail "same bytes: $_name" "FastCGI:
$(od -c "$H_DIR/fcgi.$n" | head -n 12)
CGI:
$(od -c "$H_DIR/cgi.$n" | head -n 12)"
	fi
}

X=HTTP_ORIGIN=http://x.com
PUT=HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT
row "preflight allowed" OPTIONS /cors "" "$X" "$PUT"
row "preflight with headers" OPTIONS /cors "" "$X" "$PUT" \
	HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-custom-header
row "preflight, origin refused" OPTIONS /cors "" HTTP_ORIGIN=http://evil.com "$PUT"
row "preflight, method refused" OPTIONS /cors "" "$X" \
	HTTP_ACCESS_CONTROL_REQUEST_METHOD=PATCH
row "preflight, header refused" OPTIONS /cors "" "$X" "$PUT" \
	HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-other
row "preflight, malformed origin" OPTIONS /cors "" HTTP_ORIGIN=http://X.com "$PUT"
row "OPTIONS without CORS: the script" OPTIONS /cors ""
row "GET, origin allowed" GET /cors "" "$X"
row "GET, origin refused" GET /cors "" HTTP_ORIGIN=http://evil.com
row "GET, no Origin" GET /cors ""
row "POST with a body" POST /echo.sh "a body" \
	HTTP_ORIGIN=https://app.example.com CONTENT_TYPE=text/plain
row "the script's own status and headers" GET /status.sh "" \
	HTTP_ORIGIN=https://app.example.com
row "blocked" GET /blocked/mark.sh "" HTTP_ORIGIN=https://evil.com
row "blocked path, origin allowed" GET /blocked/mark.sh "" \
	HTTP_ORIGIN=https://app.example.com
row "no such script: 404" GET /missing.sh "" HTTP_ORIGIN=https://app.example.com
row "bad output: 502" GET /badout.sh "" HTTP_ORIGIN=https://app.example.com
row "no REQUEST_METHOD: 400" - /cors "" "$X"
check_eq "every row compared" 17 "$n"
check_contains "a preflight was among them" "$(cat "$H_DIR/fcgi.1")" \
	"Access-Control-Allow-Methods"

finish
