/* master.h - the FastCGI server's master process: privileges, the
 * listening socket, worker generations, signals and reload.
 */
#ifndef CORSGATE_MASTER_H
#define CORSGATE_MASTER_H

#include <stdbool.h>

/* What `corsgate serve` was told on its command line. NULL / 0 fields fall
 * back to the [gateway] section, then to the defaults. */
struct master_opts {
	const char *config_file; /* the policy file; never NULL */
	const char *listen;	 /* -s: "unix:/path", "tcp:HOST:PORT",
				    "tcp:[::1]:PORT"; NULL: [gateway] listen,
				    else systemd's LISTEN_FDS, else fd 0 */
	const char *socket_mode; /* -m: octal mode of a unix socket */
	long workers;		 /* -w: worker processes; 0: default */
	const char *user;	 /* -u: the workers' user */
	const char *group;	 /* -g */
	bool allow_root;	 /* --allow-root: workers may serve as uid 0 */
};

/* Loads the policy, opens the socket (listen.h) and serves with worker
 * processes until SIGTERM/SIGINT (requests in flight finish first).
 *
 * Started as root with a user (or group), the master stays root: it
 * binds, reads the policy at start and at every reload, supervises, and
 * never runs a script; the workers take the user's identity for good
 * before serving, so neither they nor their scripts can signal it.
 * Started unprivileged, master and workers run as that user.
 *
 * SIGHUP reloads: the file is read and validated once, by the master; a
 * broken file is logged and nothing changes. A sound one starts a new
 * generation of workers, which inherit the frozen policy across fork(2),
 * and the old generation stops accepting, finishes what is in flight and
 * exits. CORSGATE_IO_TIMEOUT (seconds, default 30) bounds how long a
 * connection may take to send a request or accept an answer.
 *
 * Returns the status main() should exit with: 0 after a clean shutdown,
 * 1 when the service could not start (the reason is logged). Workers
 * never return: they end with _exit(2). */
int master_serve(const struct master_opts *opts);

#endif
