#!/bin/sh
# Debian's real programs behind Apache httpd (mod_proxy_fcgi) and
# corsgate, through etc/apache/real-programs.conf (git-http-backend,
# gitweb, cgit) and etc/apache/corsgate.conf (php-cgi, CGI.pm under the
# scripts' directory), as written: a real git clone and push, the exact
# [path] on info/refs, gitweb and cgit pages, php POST/cookie/404, CGI.pm
# nph/redirect/upload, and a script refused by cgi_root with its log line.
. tests/lib.sh
. tests/integration/harness.sh
. tests/integration/real_programs.inc

P1=$(free_port)
PORT=$(free_port)
RP_LOG=$H_DIR/cg.log
rp_log() { cat "$RP_LOG"; }
start_corsgate cg "tcp:127.0.0.1:$P1" -c "$RP_POLICY" -w 1 --allow-root || { finish; exit 1; }
htpasswd -bc "$H_DIR/git.htpasswd.apache" push secret >/dev/null 2>&1 ||
	fail "htpasswd writes the push login"
chmod 644 "$H_DIR/git.htpasswd.apache"
handler="proxy:fcgi://127.0.0.1:$P1"
real=$(rp_conf etc/apache/real-programs.conf |
	sed "s#SetHandler \"proxy:fcgi://127.0.0.1:9000\"#SetHandler \"$handler\"#")
check_contains "real-programs.conf: handler rewritten" "$real" "SetHandler \"$handler\""
check_lacks "real-programs.conf: no example handler left" "$real" "127.0.0.1:9000"
_hm=/usr/lib/apache2/modules
start_apache ap "$PORT" "LoadModule auth_basic_module $_hm/mod_auth_basic.so
LoadModule authn_core_module $_hm/mod_authn_core.so
LoadModule authn_file_module $_hm/mod_authn_file.so
LoadModule authz_user_module $_hm/mod_authz_user.so
$real
$(h_apache_site "$handler")" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT

rp_git_checks apache "$URL/git" "http://push:secret@127.0.0.1:$PORT/git"
rp_explain apache -p SCRIPT_NAME=/git -p PATH_INFO=/demo.git/info/refs \
	-p "REQUEST_URI=/git/demo.git/info/refs?service=git-upload-pack"
rp_web_checks apache "$URL"
rp_script_checks apache "$URL"

finish
