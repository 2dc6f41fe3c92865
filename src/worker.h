/* worker.h - a worker process of the FastCGI server: it drops to the
 * configured user for good, then serves the shared listening socket with
 * connection threads under the policy it inherited from the master.
 */
#ifndef CORSGATE_WORKER_H
#define CORSGATE_WORKER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Connection threads per worker when [gateway] threads is not set (at
 * most CONFIG_MAX_THREADS). */
#define WORKER_DEFAULT_THREADS 64

/* Descriptors one connection thread may hold at once: the connection,
 * a script's three pipes and pidfd, its body spool, its epoll set, and
 * the pipe ends briefly open while it spawns, and the pidfd and stderr
 * of a script it has handed to the reaper. */
#define WORKER_FDS_PER_THREAD 12
/* Descriptors a worker keeps apart from its threads: fds 0-2, the
 * listening socket, the wake pipe, the reaper's eventfd, the log. */
#define WORKER_FDS_RESERVED 16

/* What a worker is told by the master. */
struct worker_settings {
	int listen_fd;
	bool listen_deferred; /* a TCP socket that hands over a connection
				 once its first bytes are in (listen_defer) */
	long threads;	      /* connection threads */
	int io_timeout;	      /* seconds a peer may take to send a request or to
				 accept an answer; twice that idle between
				 requests */
	/* The identity to take for good before serving. drop false: keep
	 * the master's (it is not root, or --allow-root without -u). */
	bool drop;
	const char *user; /* for initgroups(3); NULL: group only */
	uid_t uid;
	gid_t gid;
	/* Kept-alive connections pass from a retiring generation to the
	 * current one over one seqpacket socket pair the master made at
	 * start: a retiring worker sends on hand_tx, the others receive on
	 * hand_rx. -1: none, they are closed. */
	int hand_tx, hand_rx;
	pid_t master;	   /* the parent; the worker does not outlive it */
	unsigned long gen; /* its generation, for log lines */
};

/* Runs a worker process until SIGTERM/SIGINT, or SIGUSR1 (retire): takes s's
 * identity (and refuses to serve when root could be regained), fits its thread
 * count to the open-file limit, then serves s->listen_fd under cfg, which it
 * only reads (its copy of the master's, inherited across fork). A stop
 * lets every request in flight finish and closes kept-alive connections
 * after their current request. Returns the exit status for _exit(). */
int worker_run(const struct worker_settings *s, const struct config *cfg);

#endif
