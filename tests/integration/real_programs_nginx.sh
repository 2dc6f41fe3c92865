#!/bin/sh
# Debian's real programs behind nginx and corsgate, through the recipes of
# etc/nginx/real-programs.conf (git-http-backend, gitweb, cgit) and
# etc/nginx/corsgate.conf (php-cgi, CGI.pm scripts under the root), as
# written: a real git clone and push, the exact [path] on info/refs,
# gitweb and cgit pages, php POST/cookie/404, CGI.pm nph/redirect/upload,
# and a script refused by cgi_root with its log line.
. tests/lib.sh
. tests/integration/harness.sh
. tests/integration/real_programs.inc

P1=$(free_port)
PORT=$(free_port)
PORT2=$(free_port)
RP_LOG=$H_DIR/cg.log
rp_log() { cat "$RP_LOG"; }
# As in production: corsgate drops to www-data, so git-http-backend and
# gitweb run as a user who does not own the repositories (git's "dubious
# ownership"), with no HOME: the recipe's safe.directory params must work.
# The repositories are writable for the push, never owned by www-data.
chmod -R a+rwX "$RP_GIT"
check_eq "the repository is not www-data's" root "$(stat -c %U "$RP_GIT/demo.git")"
start_corsgate cg "tcp:127.0.0.1:$P1" -c "$RP_POLICY" -w 1 -u www-data -g www-data ||
	{ finish; exit 1; }
site=$(h_nginx_site "$PORT" "server 127.0.0.1:$P1;")
real=$(rp_conf etc/nginx/real-programs.conf | sed "s|listen 127.0.0.1:8081;|listen 127.0.0.1:$PORT2;|")
check_contains "real-programs.conf: listen rewritten" "$real" "listen 127.0.0.1:$PORT2;"
# corsgate.conf's upstream keeps connections: a location passing to it
# without fastcgi_keep_conn on gets a connection corsgate is closing now
# and then (nginx caches it anyway) - git clone failed with a 502 about
# one run in ten under load
for f in etc/nginx/*.conf; do
	check_eq "$f: every location passing to corsgate keeps the connection" "" \
		"$(awk '/location/ { loc = $0; pass = 0; keep = 0 }
			/fastcgi_pass corsgate;/ { pass = 1 }
			/fastcgi_keep_conn on;/ { keep = 1 }
			/^    }/ { if (pass && !keep) print loc; pass = 0 }' "$f")"
done
check_contains "real-programs.conf: GIT_PROJECT_ROOT rewritten" "$real" \
	"fastcgi_param GIT_PROJECT_ROOT $RP_GIT;"
start_nginx ng "$PORT" "$site
$real" || { finish; exit 1; }
URL=http://127.0.0.1:$PORT
URL2=http://127.0.0.1:$PORT2

rp_git_checks nginx "$URL2/git" "http://push:secret@127.0.0.1:$PORT2/git"
rp_explain nginx -p SCRIPT_NAME=/git/demo.git/info/refs -p PATH_INFO=/demo.git/info/refs \
	-p "REQUEST_URI=/git/demo.git/info/refs?service=git-upload-pack"
rp_web_checks nginx "$URL2"
rp_script_checks nginx "$URL"

finish
