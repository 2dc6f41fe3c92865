/* fcgi.h - the FastCGI responder: listening socket, master and workers,
 * the libfcgi accept loop, signals and reload.
 */
#ifndef CORSGATE_FCGI_H
#define CORSGATE_FCGI_H

#include <stdbool.h>

/* What `corsgate serve` was told on its command line. NULL / 0 fields fall
 * back to the [gateway] section, then to the defaults. */
struct fcgi_opts {
	const char *config_file; /* the policy file; never NULL */
	const char *listen;	 /* -s: "unix:/path", "tcp:HOST:PORT",
				    "tcp:[::1]:PORT"; NULL: [gateway] listen,
				    else systemd's LISTEN_FDS, else fd 0 */
	const char *socket_mode; /* -m: octal mode of a unix socket */
	long workers;		 /* -w: worker processes; 0: default */
	const char *user;	 /* -u: drop to this user after binding */
	const char *group;	 /* -g */
	bool allow_root;	 /* --allow-root: may serve as uid 0 */
};

/* Loads the policy, opens the socket (listen.h), drops privileges and
 * serves with a master and worker processes until SIGTERM/SIGINT (requests
 * in flight finish first). SIGHUP reloads the policy file (a broken file is
 * logged and the old policy kept). The environment variable
 * CORSGATE_IO_TIMEOUT (seconds, default 30) bounds how long a connection
 * may take to send a request or accept an answer.
 * Returns the status main() should exit with: 0 after a clean shutdown,
 * 1 when the service could not start (the reason is logged). Returns in
 * every process it forks, too: main() exits with the value. */
int fcgi_serve(const struct fcgi_opts *opts);

#endif
