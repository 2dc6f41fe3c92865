#!/bin/sh
# Started as root with -u/-g: the master stays root (it binds, reads the
# policy at start and at every reload, supervises, runs no script); the
# workers switch to that user for good before serving, so a script cannot
# signal the master. Without -u (and without --allow-root) root is
# refused.
. tests/lib.sh
. tests/integration/harness.sh

if [ "$(id -u)" != 0 ]; then
	pass "not root: privilege tests skipped"
	finish
	exit
fi
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)

SOCK=$H_DIR/priv.sock
start_corsgate priv "unix:$SOCK" -c "$H_POLICY" -w 2 -u nobody || { finish; exit 1; }
M=$(h_cg_pid priv)
check_eq "master stays root" 0 "$(ps -o uid= -p "$M" | tr -d ' ')"
W=$(h_workers "$M")
check_eq "two workers" 2 "$(echo $W | wc -w | tr -d ' ')"
for w in $W; do
	check_eq "worker $w runs as nobody" "$NOBODY" "$(ps -o uid= -p "$w" | tr -d ' ')"
	check_eq "worker $w: real, effective, saved, fs uid" \
		"$NOBODY $NOBODY $NOBODY $NOBODY" \
		"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$w/status")"
	check_eq "worker $w: gid" "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" \
		"$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$w/status")"
	check_eq "worker $w: no capabilities" 0000000000000000 \
		"$(awk '/^CapEff:/ {print $2}' "/proc/$w/status")"
done
check_eq "socket owned by nobody" nobody "$(stat -c %U "$SOCK")"
r=$(fcgi "unix:$SOCK" request -p REQUEST_METHOD=OPTIONS -p SCRIPT_NAME=/cors \
	-p HTTP_ORIGIN=http://x.com -p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT)
check_contains "serves after dropping privileges" "$r" "Status: 204"

# D10, behind nginx: a setuid-root program in cgi_root is refused (403,
# the reason in the log), as suEXEC does; a copy without the bit runs,
# as nobody. (It used to run with euid 0.)
cat >"$H_DIR/euid.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	printf("Content-Type: text/plain\r\n\r\neuid=%ld\n", (long)geteuid());
	return 0;
}
EOF
if cc -o "$H_CGI/suid-euid" "$H_DIR/euid.c" 2>"$H_DIR/cc.log"; then
	cp "$H_CGI/suid-euid" "$H_CGI/plain-euid"
	chown root:root "$H_CGI/suid-euid" "$H_CGI/plain-euid"
	chmod 4755 "$H_CGI/suid-euid"
	chmod 0755 "$H_CGI/plain-euid"
	PORT=$(free_port)
	start_nginx ngx "$PORT" "$(h_nginx_site "$PORT" "server unix:$SOCK;")" || { finish; exit 1; }
	r=$(h_http GET "http://127.0.0.1:$PORT/plain-euid")
	check_contains "behind nginx: a plain program runs as nobody" "$r" "euid=$NOBODY"
	r=$(h_http GET "http://127.0.0.1:$PORT/suid-euid")
	check_contains "behind nginx: a setuid-root program: 403" "$r" "HTTP/1.1 403"
	check_lacks "behind nginx: the setuid-root program did not run" "$r" "euid="
	check_contains "the refusal's reason in the log" "$(cat "$H_DIR/priv.log")" \
		"suid-euid: setuid or setgid ($H_CGI/suid-euid, mode 4755"
	chmod 2755 "$H_CGI/suid-euid"
	check_eq "behind nginx: a setgid program: 403" 403 \
		"$(h_status GET "http://127.0.0.1:$PORT/suid-euid")"
	chmod 0757 "$H_CGI/suid-euid"
	check_eq "behind nginx: a world-writable program: 403" 403 \
		"$(h_status GET "http://127.0.0.1:$PORT/suid-euid")"
	chmod 0775 "$H_CGI"
	check_eq "behind nginx: a program in a group-writable directory: 403" 403 \
		"$(h_status GET "http://127.0.0.1:$PORT/plain-euid")"
	chmod 0755 "$H_CGI"
	check_eq "behind nginx: the directory fixed, it runs again" 200 \
		"$(h_status GET "http://127.0.0.1:$PORT/plain-euid")"
else
	fail "cc builds the setuid test program" "$(cat "$H_DIR/cc.log")"
fi

# -g only: still root, so refused without --allow-root
"$CORSGATE" serve -s "unix:$H_DIR/g.sock" -c "$H_POLICY" -g nogroup 2>"$H_DIR/g.log"
check_eq "-g alone as root: exit 1" 1 "$?"

# root without -u: refused, clearly, and the socket file is not left behind
"$CORSGATE" serve -s "unix:$H_DIR/root.sock" -c "$H_POLICY" 2>"$H_DIR/root.log"
check_eq "root without --allow-root: exit 1" 1 "$?"
check_contains "root refused with a clear message" "$(cat "$H_DIR/root.log")" \
	"refusing to serve as root"
check_eq "refused: no socket file left" no \
	"$([ -e "$H_DIR/root.sock" ] && echo yes || echo no)"

"$CORSGATE" serve -s "unix:$H_DIR/u.sock" -c "$H_POLICY" -u no-such-user-here 2>"$H_DIR/u.log"
check_eq "unknown user: exit 1" 1 "$?"
check_contains "unknown user named" "$(cat "$H_DIR/u.log")" "no-such-user-here"
check_eq "unknown user: nothing bound" no \
	"$([ -e "$H_DIR/u.sock" ] && echo yes || echo no)"

# [gateway] user is used when -u is not given
P=$(free_port)
h_policy "$H_DIR/gw.ini" '[gateway]
user = nobody'
start_corsgate gw "tcp:127.0.0.1:$P" -c "$H_DIR/gw.ini" -w 1
GW=$(h_cg_pid gw)
check_eq "[gateway] user: master stays root" 0 \
	"$(ps -o uid= -p "$GW" | tr -d ' ')"
check_eq "[gateway] user: its worker runs as nobody" "$NOBODY" \
	"$(ps -o uid= -p "$(h_workers "$GW")" | tr -d ' ')"

# A script run under -u tries to kill the master (its worker's parent):
# it may not (it would succeed when the master ran as nobody too).
h_script killmaster.sh <<'EOS'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
m=$(awk '/^PPid:/ {print $2}' "/proc/$PPID/status")
if kill -9 "$m" 2>/dev/null; then echo "killed master $m"; else echo "kill master $m: refused"; fi
EOS
r=$(fcgi "unix:$SOCK" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/killmaster.sh \
	-p "SCRIPT_FILENAME=$H_CGI/killmaster.sh" | tr -d '\r')
check_contains "a script may not kill the master" "$r" "kill master $M: refused"
check_eq "the master still runs" yes "$(h_alive "$M" && echo yes || echo no)"
check_eq "both workers still run" 2 "$(h_workers "$M" | wc -l | tr -d ' ')"

# A policy only root can read reloads under -u: the master reads it.
RO=$H_DIR/rootonly.ini
h_policy "$RO" '[path /ro]
allow_origin = https://one.example'
chmod 600 "$RO"
start_corsgate ro "unix:$H_DIR/ro.sock" -c "$RO" -w 2 -u nobody
RM=$(h_cg_pid ro)
pre() { # ORIGIN: the preflight's status line
	fcgi "unix:$H_DIR/ro.sock" request -p REQUEST_METHOD=OPTIONS \
		-p SCRIPT_NAME=/ro -p "HTTP_ORIGIN=$1" \
		-p HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT | tr -d '\r' |
		sed -n 's/^Status: //p'
}
check_eq "root-only policy: one.example allowed" "204 No Content" \
	"$(pre https://one.example)"
check_eq "root-only policy: two.example refused" "403 Forbidden" \
	"$(pre https://two.example)"
check_contains "start warns the scripts could read a readable policy" \
	"$(cat "$H_DIR/gw.log")" "readable by nobody"
h_policy "$RO" '[path /ro]
allow_origin = https://two.example'
chmod 600 "$RO"
kill -HUP "$RM"
wait_for 10 '[ "$(pre https://two.example)" = "204 No Content" ]'
check_eq "root-only policy reloaded under -u: two.example allowed" \
	"204 No Content" "$(pre https://two.example)"
check_eq "root-only policy reloaded: one.example refused" "403 Forbidden" \
	"$(pre https://one.example)"
check_lacks "no reload failed" "$(cat "$H_DIR/ro.log")" "reload failed"

finish
