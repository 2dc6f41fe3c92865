/* listen.h - the FastCGI listening socket: a unix or TCP socket bound here,
 * one handed over by systemd (LISTEN_FDS), or one inherited on fd 0
 * (spawn-fcgi, lighttpd's bin-path).
 */
#ifndef CORSGATE_LISTEN_H
#define CORSGATE_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

/* listen(2) backlog of the sockets bound here. */
#define LISTEN_BACKLOG 1024

/* Mode of a unix socket file when neither -m nor socket_mode is given. */
#define LISTEN_DEFAULT_MODE 0660

enum listen_kind {
	LISTEN_UNIX,	/* bound here: "unix:/path" */
	LISTEN_TCP,	/* bound here: "tcp:HOST:PORT", "tcp:[V6]:PORT" */
	LISTEN_SYSTEMD, /* fd 3 from systemd socket activation */
	LISTEN_STDIN,	/* inherited on fd 0 */
};

struct listener {
	int fd; /* listening, O_CLOEXEC and O_NONBLOCK; -1 when closed */
	enum listen_kind kind;
	char *path; /* LISTEN_UNIX: the socket file bound (owned), else NULL */
	dev_t dev;  /* LISTEN_UNIX: identity of that file, to unlink only */
	ino_t ino;  /* our own at exit */
	char desc[160]; /* for log lines: "unix:/run/corsgate.sock" */
};

/* Opens the listening socket into *l, in this order: spec when not NULL
 * ("unix:/path", "tcp:HOST:PORT", "tcp:[::1]:PORT"), else systemd's
 * LISTEN_FDS (exactly one socket, LISTEN_PID must be ours; the variables
 * are unset afterwards), else fd 0 when it is a listening socket (fd 0 is
 * then pointed at /dev/null and the socket moved to a new fd).
 *
 * A unix socket file is created with mode (octal string, NULL: 0660). An
 * existing file there is probed with connect(2): a stale one (nobody
 * answers) is replaced; when a server answers, nothing is touched and
 * -1 is returned. Returns 0, or -1 after logging why. */
int listen_open(struct listener *l, const char *spec, const char *mode);

/* Asks the kernel to hand a TCP connection to accept(2) only once its
 * first bytes are in (TCP_DEFER_ACCEPT, as nginx's "listen ... deferred"),
 * or after about seconds (the kernel rounds up to its SYN-ACK
 * retransmits). A web server connects and sends its request at once, so a
 * new connection's records are there when it is accepted, and no thread
 * waits for them; a peer that connects and says nothing costs nothing
 * until then. A socket that defers already (systemd's DeferAcceptSec=)
 * is left as it is. Returns whether connections on l are deferred
 * (false for a unix socket, or when the kernel refuses). */
bool listen_defer(const struct listener *l, int seconds);

/* Gives a unix socket file to uid:gid ((uid_t)-1 / (gid_t)-1: unchanged),
 * so that the group named with -g can connect. No-op for other kinds.
 * Returns 0, or -1 after logging why. */
int listen_chown(const struct listener *l, uid_t uid, gid_t gid);

/* " from HOST:PORT" for the peer of connected socket fd (IPv4, IPv6),
 * else "", into buf[0..size). For log lines. */
void listen_describe_peer(int fd, char *buf, size_t size);

/* Closes the socket in this process only. */
void listen_close(struct listener *l);

/* Closes the socket and frees what *l owns. With remove_file, a
 * LISTEN_UNIX socket file is also removed when it is still the one bound
 * here (never a successor's). Only the process that bound it (the master)
 * passes remove_file. */
void listen_release(struct listener *l, bool remove_file);

#endif
