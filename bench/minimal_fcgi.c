/* minimal_fcgi.c - the floor for bench/fcgi.sh: the least a libfcgi
 * responder can do per request, in the process/thread model corsgate uses.
 *
 *   minimal_fcgi [-w WORKERS] [-t THREADS] [-s tcp:HOST:PORT | unix:PATH] [-e]
 *
 * Without -s the listening socket is fd 0 (spawn-fcgi, systemd). The master
 * forks WORKERS processes; each runs THREADS threads, each with its own
 * FCGX_Request in an FCGX_Accept_r loop, accept() serialized by a mutex as
 * in libfcgi's examples/threaded.c. Every request is answered with the same
 * CORS preflight 204: no parameter is looked at, no body is read.
 *
 * The mutex is taken only when the thread has no connection, i.e. when
 * FCGX_Accept_r will accept() a new one. On a connection the web server keeps
 * open (nginx fastcgi_keep_conn) FCGX_Accept_r blocks reading the next
 * request from it; holding the mutex there, as threaded.c does, stalls every
 * other thread of the worker behind one idle connection (a few hundred
 * requests/s). -e does exactly that, for comparison. (When the web server
 * closes a kept connection, that thread's next accept() runs without the
 * mutex once; concurrent accept() is safe on Linux.)
 *
 * SIGTERM or SIGINT to the master stops every worker; a worker whose master
 * dies is stopped by the kernel (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_WORKERS 256
#define MAX_THREADS 1024

static const char response[] =
	"Status: 204 No Content\r\n"
	"Access-Control-Allow-Origin: http://x.com\r\n"
	"Access-Control-Allow-Methods: GET, POST, PUT\r\n"
	"Access-Control-Allow-Headers: X-Custom-Header\r\n"
	"Vary: Origin, Access-Control-Request-Method, "
	"Access-Control-Request-Headers\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static pthread_mutex_t accept_mutex = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd;
static int lock_always; /* -e: exactly as threaded.c */

static void usage(void)
{
	fprintf(stderr, "usage: minimal_fcgi [-w WORKERS] [-t THREADS] "
			"[-s tcp:HOST:PORT | unix:PATH] [-e]\n");
	exit(2);
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void die(const char *what)
{
	fprintf(stderr, "minimal_fcgi: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* "tcp:HOST:PORT", "tcp:[V6]:PORT" or "unix:PATH" -> listening fd. */
static int open_listener(const char *spec)
{
	int fd, one = 1;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof sun.sun_path)
			usage();
		strcpy(sun.sun_path, spec + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0)
			die(spec);
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		char host[256];
		const char *h = spec + 4, *port = strrchr(h, ':');
		size_t hlen;
		struct addrinfo hints, *ai;
		int rc;

		if (port == NULL || port == h)
			usage();
		hlen = (size_t)(port - h);
		if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
		if (hlen == 0 || hlen >= sizeof host)
			usage();
		memcpy(host, h, hlen);
		host[hlen] = '\0';
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		rc = getaddrinfo(host, port + 1, &hints, &ai);
		if (rc != 0) {
			fprintf(stderr, "minimal_fcgi: %s: %s\n", spec,
				gai_strerror(rc));
			exit(1);
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
			die("SO_REUSEADDR");
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			die(spec);
		freeaddrinfo(ai);
	} else {
		usage();
	}
	if (listen(fd, SOMAXCONN) < 0)
		die("listen");
	return fd;
}

/* Reaps ended workers (blocking: until none is left), clearing their
 * pids[] slot. Returns how many were reaped. */
static int reap(pid_t *pids, long n, int block)
{
	pid_t pid;
	long i;
	int count = 0;

	while ((pid = waitpid(-1, NULL, block ? 0 : WNOHANG)) != 0) {
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++)
			if (pids[i] == pid)
				pids[i] = 0;
		count++;
	}
	return count;
}

static int running(const pid_t *pids, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			return 1;
	return 0;
}

static void *serve_thread(void *arg)
{
	FCGX_Request req;

	(void)arg;
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0) {
		fprintf(stderr, "minimal_fcgi: FCGX_InitRequest failed\n");
		return NULL;
	}
	for (;;) {
		int locked = lock_always || req.ipcFd < 0;
		int rc;

		if (locked)
			pthread_mutex_lock(&accept_mutex);
		rc = FCGX_Accept_r(&req);
		if (locked)
			pthread_mutex_unlock(&accept_mutex);
		if (rc < 0) {
			fprintf(stderr, "minimal_fcgi: FCGX_Accept_r: %d\n", rc);
			break;
		}
		FCGX_PutStr(response, (int)(sizeof response - 1), req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

static int worker(long threads)
{
	pthread_t tid[MAX_THREADS];
	long i, started = 0;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "minimal_fcgi: FCGX_Init failed\n");
		return 1;
	}
	/* libfcgi catches SIGTERM only to set a flag that a thread blocked in
	 * accept() or on the mutex never sees: let SIGTERM end the worker. */
	signal(SIGTERM, SIG_DFL);
	for (i = 0; i < threads; i++) {
		int err = pthread_create(&tid[i], NULL, serve_thread, NULL);
		if (err != 0) {
			fprintf(stderr, "minimal_fcgi: pthread_create: %s\n",
				strerror(err));
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return 1; /* every thread gave up */
}

int main(int argc, char **argv)
{
	long workers = 1, threads = 64, i;
	const char *listen_spec = NULL;
	pid_t pids[MAX_WORKERS];
	sigset_t set, old;
	int c, sig, live = 0, status = 0;

	while ((c = getopt(argc, argv, "w:t:s:e")) != -1) {
		switch (c) {
		case 'w': workers = number(optarg, 1, MAX_WORKERS); break;
		case 't': threads = number(optarg, 1, MAX_THREADS); break;
		case 's': listen_spec = optarg; break;
		case 'e': lock_always = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	listen_fd = listen_spec ? open_listener(listen_spec) : 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("minimal_fcgi: fork");
			status = 1;
			break;
		}
		if (pid == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(1);
			exit(worker(threads));
		}
		pids[live++] = pid;
	}

	/* Master: wait for a stop signal or for a worker to die. */
	while (status == 0) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGCHLD)
			break;
		if (reap(pids, live, 0) > 0) {
			fprintf(stderr, "minimal_fcgi: a worker died\n");
			status = 1;
		}
	}
	/* Stop the workers: SIGTERM, up to 5 s, then SIGKILL. */
	for (i = 0; i < live; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < 50 && running(pids, live); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		reap(pids, live, 0);
	}
	for (i = 0; i < live; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	reap(pids, live, 1);
	if (listen_spec && strncmp(listen_spec, "unix:", 5) == 0)
		unlink(listen_spec + 5);
	return status;
}
