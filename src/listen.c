/* listen.c - the FastCGI listening socket. See listen.h. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* First fd passed by systemd (sd_listen_fds(3)). */
#define SD_LISTEN_FDS_START 3

static void listener_reset(struct listener *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/* Whether fd is a socket in the listening state. */
static bool is_listening_socket(int fd)
{
	struct stat st;
	int on = 0;
	socklen_t len = sizeof(on);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0)
		return false;
	return on != 0;
}

/* Describes the address fd is bound to ("unix:/path", "tcp:[::1]:9000"). */
static void describe_bound(int fd, const char *prefix, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(buf, size, "%s", prefix);
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
		snprintf(buf, size, "%s unix:%s", prefix,
			 un->sun_path[0] ? un->sun_path : "(unnamed)");
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s tcp:%s:%u", prefix, host,
			 (unsigned)ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "%s tcp:[%s]:%u", prefix, host,
			 (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(buf, size, "%s", prefix);
	}
}

void listen_describe_peer(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, " from %s:%u", host,
			 (unsigned)ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, " from [%s]:%u", host,
			 (unsigned)ntohs(in6->sin6_port));
	}
}

/* Probes an existing file at path. Returns 0 when the path is free (absent,
 * or a stale socket now removed), -1 after logging why it is not. */
static int clear_stale_socket(const char *path)
{
	struct stat st;
	struct sockaddr_un sun;
	int s = -1;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		log_error("unix:%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error(
		    "unix:%s: exists and is not a socket; not replacing it",
		    path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_error("unix:%s: another server answers on this socket "
			  "(is corsgate already running?); not replacing it",
			  path);
		goto fail;
	}
	if (errno == EAGAIN) {
		/* A full backlog: someone is listening. */
		log_error("unix:%s: a server listens on this socket (backlog "
			  "full); not replacing it",
			  path);
		goto fail;
	}
	if (errno != ECONNREFUSED) {
		log_error("unix:%s: cannot probe the existing socket: %s", path,
			  strerror(errno));
		goto fail;
	}
	close(s);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("unix:%s: cannot remove the stale socket: %s", path,
			  strerror(errno));
		return -1;
	}
	log_info("unix:%s: removed a stale socket nobody answered on", path);
	return 0;
fail:
	close(s);
	return -1;
}

static int open_unix(struct listener *l, const char *path, const char *mode)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t m = LISTEN_DEFAULT_MODE, old_umask;
	size_t len = strlen(path);
	int fd = -1, rc;

	if (mode && config_parse_mode(mode, &m) < 0) {
		log_error("socket mode '%s': not an octal mode (e.g. 0660)",
			  mode);
		return -1;
	}
	if (len == 0 || len >= sizeof(sun.sun_path)) {
		log_error("unix:%s: path empty or longer than %zu bytes", path,
			  sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (clear_stale_socket(path) < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	/* Created with the right mode from the start: no window in which the
	 * file is more open than asked. */
	old_umask = umask((mode_t)(~m & 0777));
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (rc < 0) {
		log_error("unix:%s: bind: %s", path, strerror(errno));
		goto fail;
	}
	l->path = strdup(path);
	if (l->path == NULL) {
		log_error("out of memory");
		unlink(path);
		goto fail;
	}
	if (chmod(path, m) < 0 || lstat(path, &st) < 0) {
		log_error("unix:%s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("unix:%s: listen: %s", path, strerror(errno));
		goto fail_unlink;
	}
	l->fd = fd;
	l->kind = LISTEN_UNIX;
	snprintf(l->desc, sizeof(l->desc), "unix:%s", path);
	return 0;
fail_unlink:
	unlink(path);
	free(l->path);
	l->path = NULL;
fail:
	close(fd);
	return -1;
}

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port (in buf). */
static int open_tcp(struct listener *l, const char *spec, const char *host,
		    const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err, saved = 0;
	const int on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	err = getaddrinfo(host, port, &hints, &res);
	if (err != 0) {
		log_error("%s: %s", spec, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) <
			0 ||
		    (ai->ai_family == AF_INET6 &&
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
				sizeof(on)) < 0) ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, LISTEN_BACKLOG) < 0) {
			saved = errno;
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		log_error("%s: %s", spec, strerror(saved));
		return -1;
	}
	l->fd = fd;
	l->kind = LISTEN_TCP;
	describe_bound(fd, "", l->desc, sizeof(l->desc));
	/* describe_bound() leaves a leading space for the empty prefix */
	memmove(l->desc, l->desc + (l->desc[0] == ' '), strlen(l->desc) + 1);
	return 0;
}

/* systemd socket activation. Returns 1 when a socket was taken, 0 when
 * none was passed to us, -1 on error. */
static int open_systemd(struct listener *l)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	char *end;
	long pid, n;
	int rc = 0;

	if (pid_s == NULL || fds_s == NULL)
		goto out;
	errno = 0;
	pid = strtol(pid_s, &end, 10);
	if (errno != 0 || *end != '\0' || pid != (long)getpid())
		goto out; /* meant for another process */
	n = strtol(fds_s, &end, 10);
	if (*end != '\0' || n != 1) {
		log_error(
		    "systemd passed LISTEN_FDS=%s; corsgate takes exactly "
		    "one socket (one ListenStream= in the .socket unit)",
		    fds_s);
		rc = -1;
		goto out;
	}
	if (!is_listening_socket(SD_LISTEN_FDS_START) ||
	    set_nonblock_cloexec(SD_LISTEN_FDS_START) < 0) {
		log_error("systemd: fd %d is not a listening socket (Accept=no "
			  "is required)",
			  SD_LISTEN_FDS_START);
		rc = -1;
		goto out;
	}
	l->fd = SD_LISTEN_FDS_START;
	l->kind = LISTEN_SYSTEMD;
	describe_bound(l->fd, "systemd", l->desc, sizeof(l->desc));
	rc = 1;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

/* A listening socket on fd 0. Returns 1 when taken, 0 when fd 0 is not
 * one, -1 on error. */
static int open_stdin(struct listener *l)
{
	int fd, null_fd;

	if (!is_listening_socket(STDIN_FILENO))
		return 0;
	/* Move the socket off fd 0, so that nothing that later treats fd 0
	 * as standard input (a child process) reads from it. */
	fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		log_error("fd 0: %s", strerror(errno));
		return -1;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) {
		log_error("/dev/null: %s", strerror(errno));
		if (null_fd >= 0)
			close(null_fd);
		close(fd);
		return -1;
	}
	close(null_fd);
	if (set_nonblock_cloexec(fd) < 0) {
		log_error("fd 0: %s", strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->kind = LISTEN_STDIN;
	describe_bound(fd, "fd 0:", l->desc, sizeof(l->desc));
	return 1;
}

int listen_open(struct listener *l, const char *spec, const char *mode)
{
	int rc;

	listener_reset(l);
	if (spec) {
		struct config_listen cl;
		if (config_parse_listen(spec, &cl) < 0) {
			log_error("listen '%s': expected unix:/PATH, "
				  "tcp:HOST:PORT or tcp:[IPV6]:PORT",
				  spec);
			return -1;
		}
		if (cl.path)
			return open_unix(l, cl.path, mode);
		return open_tcp(l, spec, cl.host, cl.port);
	}
	rc = open_systemd(l);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = open_stdin(l);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	log_error("no socket: use -s or start under spawn-fcgi");
	return -1;
}

bool listen_defer(const struct listener *l, int seconds)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len = sizeof(ss);
	int now = 0;
	socklen_t nl = sizeof(now);

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return false;
	if (getsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &now, &nl) == 0 &&
	    now > 0)
		return true;
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
		       sizeof(seconds)) < 0) {
		log_warn("%s: TCP_DEFER_ACCEPT: %s", l->desc, strerror(errno));
		return false;
	}
	return true;
}

int listen_chown(const struct listener *l, uid_t uid, gid_t gid)
{
	if (l->kind != LISTEN_UNIX || l->path == NULL)
		return 0;
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return 0;
	if (lchown(l->path, uid, gid) < 0) {
		log_error("unix:%s: chown: %s", l->path, strerror(errno));
		return -1;
	}
	return 0;
}

void listen_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void listen_release(struct listener *l, bool remove_file)
{
	struct stat st;

	listen_close(l);
	if (remove_file && l->kind == LISTEN_UNIX && l->path) {
		/* Only our own file: a successor may have replaced it. */
		if (lstat(l->path, &st) == 0 && st.st_dev == l->dev &&
		    st.st_ino == l->ino && unlink(l->path) < 0)
			log_debug("unix:%s: cannot remove: %s", l->path,
				  strerror(errno));
	}
	free(l->path);
	l->path = NULL;
}
