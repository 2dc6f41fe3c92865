#!/bin/sh
# install.sh - the two installs that are not the Debian package (see
# tests/integration/package_deb.sh): `make install` into a DESTDIR, with
# the systemd units' paths rewritten for PREFIX, and `make static`, the
# statically linked binary for CGI mode on a shared host, run as Apache's
# Action handler runs it.
. tests/lib.sh
D=$(mktemp -d)
cleanup_add "rm -rf '$D'"
B=$D/build

if make -s install B="$B" DESTDIR="$D/root" PREFIX=/usr/local >"$D/install.log" 2>&1; then
	pass "make install DESTDIR PREFIX=/usr/local"
else
	fail "make install DESTDIR PREFIX=/usr/local" "$(tail -n 20 "$D/install.log")"
fi
R=$D/root
for f in usr/local/sbin/corsgate usr/local/share/man/man8/corsgate.8 \
	usr/local/share/man/man5/cors.ini.5 etc/corsgate/cors.ini \
	usr/local/lib/systemd/system/corsgate.service usr/local/lib/systemd/system/corsgate.socket \
	usr/local/lib/systemd/system/corsgate@.service usr/local/lib/systemd/system/corsgate@.socket; do
	check_eq "make install: /$f" yes "$([ -f "$R/$f" ] && echo yes || echo no)"
done
check_eq "make install: the unit runs \$(SBINDIR)/corsgate" \
	"ExecStart=/usr/local/sbin/corsgate serve -c /etc/corsgate/cors.ini -u www-data -g www-data" \
	"$(grep '^ExecStart=' "$R/usr/local/lib/systemd/system/corsgate.service")"
check_eq "make install: the template, too" \
	"ExecStartPre=/usr/local/sbin/corsgate check -c /etc/corsgate/%i.ini" \
	"$(grep '^ExecStartPre=' "$R/usr/local/lib/systemd/system/corsgate@.service")"
check_eq "make install: no /usr/sbin path left in the units" "" \
	"$(grep -l '/usr/sbin/corsgate' "$R"/usr/local/lib/systemd/system/* 2>/dev/null)"
echo "; mine" >>"$R/etc/corsgate/cors.ini"
make -s install B="$B" DESTDIR="$R" PREFIX=/usr/local >>"$D/install.log" 2>&1
check_eq "make install again: an existing policy is left alone" "; mine" \
	"$(tail -n 1 "$R/etc/corsgate/cors.ini")"
make -s uninstall DESTDIR="$R" PREFIX=/usr/local >>"$D/install.log" 2>&1
check_eq "make uninstall: binary and units gone" "" \
	"$(find "$R/usr/local/sbin" "$R/usr/local/lib/systemd/system" -type f 2>/dev/null)"

# ---- make static: CGI mode with no shared libfcgi / libinih ----
if make -s static B="$B" >"$D/static.log" 2>&1 && [ -x "$B/corsgate-static" ]; then
	pass "make static builds build/corsgate-static"
else
	fail "make static builds build/corsgate-static" "$(tail -n 20 "$D/static.log")"
fi
check_contains "corsgate-static is statically linked" \
	"$(ldd "$B/corsgate-static" 2>&1)" "not a dynamic executable"
mkdir -p "$D/www/api"
cat >"$D/www/api/x.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nscript ran: %s\n' "$REQUEST_METHOD"
SH
chmod 755 "$D/www/api/x.sh"
cp "$B/corsgate-static" "$D/www/corsgate.cgi"
printf '[gateway]\ncgi_root = %s/www/api\n[cors]\nallow_origin = http://x.com\nallow_methods = GET, PUT\n' \
	"$D" >"$D/www/cors.ini"
# the policy beside the binary, as on a shared host
out=$(env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=OPTIONS \
	SCRIPT_NAME=/corsgate.cgi PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" \
	HTTP_ORIGIN=http://x.com HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT \
	"$D/www/corsgate.cgi" </dev/null 2>&1 | tr -d '\r')
check_contains "static, CGI mode: preflight answered" "$out" "Status: 204 No Content"
check_contains "static, CGI mode: Allow-Methods" "$out" "Access-Control-Allow-Methods: GET, PUT"
out=$(env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	SCRIPT_NAME=/corsgate.cgi PATH_INFO=/api/x.sh PATH_TRANSLATED="$D/www/api/x.sh" \
	HTTP_ORIGIN=http://x.com "$D/www/corsgate.cgi" </dev/null 2>&1 | tr -d '\r')
check_contains "static, CGI mode: the script runs" "$out" "script ran: GET"
check_contains "static, CGI mode: Allow-Origin added" "$out" "Access-Control-Allow-Origin: http://x.com"
finish
