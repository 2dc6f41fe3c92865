#!/bin/sh
# Bad input from the socket: each case closes its connection, is logged
# once, and the next request is served by the same worker.
. tests/lib.sh
export CORSGATE_IO_TIMEOUT=2
. tests/integration/harness.sh

P=$(free_port)
A=tcp:127.0.0.1:$P
start_corsgate cg "$A" -c "$H_POLICY" -w 1 --allow-root || { finish; exit 1; }
M=$(h_cg_pid cg)
W=$(h_workers "$M")
LOG=$H_DIR/cg.log
build() { fcgi - build "$@"; }

# bad NAME HEX LOG_FRAGMENT
bad() {
	_out=$(fcgi "$A" raw "$2" --wait 8)
	check_eq "$1: connection closed" closed "$(echo "$_out" | awk '{print $1}')"
	wait_for 3 "grep -qF '$3' '$LOG'"
	check_eq "$1: logged once" 1 "$(grep -cF "$3" "$LOG")"
	if h_ready "$A"; then pass "$1: next request served"; else
		fail "$1: next request served"; fi
}

bad "bad version" "$(build record:2:1:1:0001000000000000)" \
	"malformed FastCGI record (version 2, type 1)"
bad "PARAMS first" "$(build param:A=b params-end)" \
	"PARAMS record (4 bytes) where BEGIN_REQUEST was expected"
bad "unknown role" "$(build begin:7 param:REQUEST_METHOD=GET params-end)" \
	"unknown FastCGI role 7"
bad "FILTER role" "$(build begin:3 param:REQUEST_METHOD=GET params-end)" \
	"FastCGI role FILTER not supported"
bad "STDIN inside PARAMS" "$(build begin param:A=b stdin-end)" \
	"STDIN record before the end of PARAMS"
bad "version 0 in PARAMS" "$(build begin record:0:4:1:0101416200)" \
	"malformed FastCGI record (version 0, type 4)"
bad "pair cut by the end of params" "$(build begin record:1:4:1:0500 params-end)" \
	"params end inside a name-value pair"
bad "one pair claiming 2 GiB" "$(build begin record:1:4:1:ffffffff01 params-end)" \
	"params block larger than 65536 bytes"
bad "half a record, then silence" "01010001" \
	"incomplete request after 2 s (4 bytes): the peer stalled"

out=$(fcgi "$A" oversize)
check_eq "100 KiB of params: closed" closed "$out"
wait_for 3 "grep -q 'params block larger than' '$LOG'"
check_eq "100 KiB of params: logged once more" 2 "$(grep -c 'params block larger than' "$LOG")"

# A stalled connection holds a descriptor, not the worker: another
# request is answered while the stalled one is still waited for (the
# gateway has not yet given up on it: no "stalled" line in the log).
stalled_before=$(grep -c 'the peer stalled' "$LOG")
fcgi "$A" raw 0101 --wait 8 >/dev/null &
stall=$!
sleep 0.3 # lets it connect and send its two bytes
if h_ready "$A"; then pass "served while another connection stalls"; else
	fail "served while another connection stalls"; fi
check_eq "without waiting for the stall: it is still waited for" \
	"$stalled_before" "$(grep -c 'the peer stalled' "$LOG")"
wait "$stall"
wait_for 10 "[ \$(grep -c 'the peer stalled' '$LOG') -gt $stalled_before ]"
check_eq "the stalled connection is dropped afterwards, logged" yes \
	"$([ "$(grep -c 'the peer stalled' "$LOG")" -gt "$stalled_before" ] && echo yes || echo no)"

# Connections that close without a request are not errors.
before=$(grep -c 'error:' "$LOG")
python3 -c "
import socket
for i in range(50):
    s = socket.create_connection(('127.0.0.1', $P)); s.close()"
sleep 0.5
check_eq "50 empty connections: nothing logged" "$before" "$(grep -c 'error:' "$LOG")"

r=$(fcgi "$A" request -p SCRIPT_NAME=/x)
check_contains "no REQUEST_METHOD: 400" "$r" "Status: 400"
check_eq "no REQUEST_METHOD: one log line" 1 "$(grep -c 'without REQUEST_METHOD' "$LOG")"

r=$(fcgi "$A" raw "$(build getvalues begin param:REQUEST_METHOD=GET param:SCRIPT_NAME=/ready \
	"param:SCRIPT_FILENAME=$H_CGI/ready" params-end stdin-end)" --wait 3)
check_contains "GET_VALUES answered by libfcgi" "$r" "010a0000"
check_contains "and the request after it served" "$r" "5374617475733a20323030" # "Status: 200"

# A NUL byte inside a param: libfcgi's strings end at it, so that
# "http://x.com<NUL>.evil.net" would reach the policy as http://x.com.
# Refused with 400 and one log line, wherever the NUL is.
# nul_pair NAME VALUE (\0 for NUL, printf-style): one PARAMS record's hex.
nul_pair() {
	python3 -c '
import sys
n, v = (a.encode().decode("unicode_escape").encode("latin-1") for a in sys.argv[1:3])
print((bytes([len(n), len(v)]) + n + v).hex())' "$1" "$2"
}
nul_before=$(grep -c 'a param holds a NUL byte' "$LOG")
for c in 'HTTP_ORIGIN|http://x.com\0.evil.net' 'HTTP_X\0Y|1' '\0X|1' 'A|\0'; do
	r=$(fcgi "$A" raw "$(build begin param:REQUEST_METHOD=GET param:SCRIPT_NAME=/ready \
		"param:SCRIPT_FILENAME=$H_CGI/ready" \
		"record:1:4:1:$(nul_pair "${c%%|*}" "${c#*|}")" params-end stdin-end)" --wait 3)
	check_contains "a NUL in the param $c: 400" "$r" "5374617475733a20343030" # "Status: 400"
	check_lacks "a NUL in the param $c: the script did not run" "$r" \
		"7265616479" # "ready"
done
wait_for 3 "[ \$(grep -c 'a param holds a NUL byte' '$LOG') -ge $((nul_before + 4)) ]"
check_eq "a NUL in a param: one log line each" $((nul_before + 4)) \
	"$(grep -c 'a param holds a NUL byte' "$LOG")"

check_eq "no NUL byte in an answer" 0 \
	"$(fcgi "$A" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
		-p "SCRIPT_FILENAME=$H_CGI/ready" | tr -dc '\000' | wc -c | tr -d ' ')"
# the script's block, rewritten: Status first, Vary added
check_eq "the header block as sent" "Status: 200 OK|Content-Type: text/plain|Vary: Origin||ready" \
	"$(fcgi "$A" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
		-p "SCRIPT_FILENAME=$H_CGI/ready" | tr -d '\r' | paste -sd '|')"
# without SCRIPT_FILENAME: DOCUMENT_ROOT + SCRIPT_NAME
check_contains "DOCUMENT_ROOT + SCRIPT_NAME names the script" \
	"$(fcgi "$A" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready -p "DOCUMENT_ROOT=$H_CGI")" \
	"ready"

r=$(fcgi "$A" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/ready \
	-p "SCRIPT_FILENAME=$H_CGI/ready" --keep 3)
check_eq "three requests on one kept-alive connection" 3 "$(echo "$r" | grep -c '^ready')"

r=$(fcgi "$A" request -p REQUEST_METHOD=POST -p SCRIPT_NAME=/echo.py \
	-p "SCRIPT_FILENAME=$H_CGI/echo.py" -p CONTENT_LENGTH=100000 \
	--stdin "$(head -c 100000 /dev/zero | tr '\0' a)")
check_contains "a 100 kB body: answered" "$r" "Status: 200"
check_eq "a 100 kB body: the script read it whole" 100000 \
	"$(printf '%s\n' "$r" | sed -n '/^{/p' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["body"]))' 2>&1)"
r=$(fcgi "$A" request -p REQUEST_METHOD=POST -p SCRIPT_NAME=/ready \
	-p "SCRIPT_FILENAME=$H_CGI/ready" -p CONTENT_LENGTH=100000 \
	--stdin "$(head -c 100000 /dev/zero | tr '\0' a)" --keep 2)
check_eq "a 100 kB body the script never reads: drained, connection kept" 2 \
	"$(echo "$r" | grep -c '^ready')"

check_eq "the same worker still runs" "$W" "$(h_workers "$M")"
if h_alive "$M"; then pass "the master still runs"; else fail "the master still runs"; fi
check_lacks "no worker was killed" "$(cat "$LOG")" "killed by signal"
check_lacks "no worker exited" "$(cat "$LOG")" "exited with status"

finish
