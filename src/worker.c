/* worker.c - a worker process of the FastCGI server. See worker.h.
 *
 * Threads. A worker runs T connection threads (default 64). Why threads
 * and not one libfcgi loop per process: with `fastcgi_keep_conn on` nginx
 * keeps an upstream connection open between requests, and libfcgi's loop
 * serves one connection until it closes - a single-threaded worker would
 * sit on an idle kept-alive connection while the others queue. A thread
 * per connection makes a kept-alive connection cost one idle thread, so
 * W x T must exceed what the web server keeps open (nginx: keepalive x
 * its worker_processes).
 *
 * Accept. The threads of a worker take turns as the one acceptor
 * (leader/followers): under a mutex, poll(2) the listening socket and the
 * worker's wake pipe, accept4(2) one connection, unlock, serve it. Only
 * one thread per process wakes per connection, and a stop wakes it
 * through the pipe - no signal races, no shutdown(2) on the listening
 * socket, which every worker shares. FCGX_Accept_r() is not used to
 * accept because it then reads the request under the same lock (libfcgi's
 * examples/threaded.c): one peer that stalls after connecting would stop
 * every thread. We accept, set read/write timeouts, check the request's
 * first records ourselves (peeking, nothing consumed; fcgiwire.h), then
 * hand the connected fd to FCGX_Accept_r() through the request's ipcFd
 * and keepConnection fields. Those fields sit below "Don't use anything
 * below here" in fcgiapp.h, but the struct is allocated by the
 * application, so its layout is libfcgi's ABI, unchanged since the
 * reentrant API appeared. The request's listen socket is -1: when libfcgi
 * drops a connection itself it cannot go on to accept another one behind
 * our back.
 *
 * First records. A web server sends BEGIN_REQUEST and PARAMS at once, so
 * the first peek nearly always holds them whole. A connection whose first
 * records are not whole PARK_AFTER_MS after its accept (or after its
 * first bytes, on a kept-alive connection) is handed to the worker's
 * waiting room (park.h): one thread watches every such connection in one
 * epoll(7) set, and queues it for the connection threads once its
 * records are whole. A slow or hostile peer costs a descriptor, never a
 * thread. The whole of a new connection's first records is due within
 * the I/O timeout of its accept; a kept-alive connection may idle twice
 * that, then has the I/O timeout for the rest once a request begins.
 *
 * Idle connections. A thread idles on its kept-alive connection between
 * two requests, as long as another thread of the worker is free to
 * accept. When the last free thread takes a connection, an acceptor is
 * wanted (want_fd): one idle thread parks its connection in the waiting
 * room as idle - not closed: a web server may be about to use it - and
 * accepts. The waiting room's ready connections and the listen backlog
 * take turns.
 *
 * Without libfcgi. A request with no body whose records are all in the
 * peek window is served from there (fcgidirect.h): a preflight costs one
 * recv(2) and one send(2) beyond the peek. When it runs a script, the
 * request goes to libfcgi then (direct_stream), which reads it from the
 * socket, where it still is.
 *
 * Policy. A worker's policy never changes: it is the master's, frozen
 * when the worker was forked. A reload is a new generation of workers
 * (master.c); this one stops accepting, finishes what it has in flight,
 * hands its kept-alive connections, between two requests, to the new
 * generation (or closes them at a plain stop), and exits.
 */
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "fcgidirect.h"
#include "fcgiwire.h"
#include "gateway.h"
#include "listen.h"
#include "log.h"
#include "park.h"
#include "request.h"
#include "stats.h"

#define THREAD_STACK ((size_t)512 * 1024)

/* The peek window for a request's first records: the params plus record
 * headers and padding. A request whose params end beyond it is refused. */
#define PREAMBLE_MAX (REQUEST_PARAMS_MAX + (size_t)32 * 1024)

struct worker {
	const struct worker_settings *set;
	const struct config *cfg;
	long threads;
	int wake[2]; /* readable once the worker stops */
	atomic_bool stopping;
	atomic_bool retiring; /* a stop for a new generation: kept-alive
				 connections are handed over, not closed */
	pthread_mutex_t accept_lock;
	atomic_int acceptors; /* threads in accept_conn() */
	struct park *park;    /* the waiting room; NULL: none */
	/* An acceptor is wanted: the last one has left accept_conn() with
	 * a connection. The eventfd is readable, and wanted set, until a
	 * thread takes the job: one idle on a kept-alive connection parks
	 * it in the waiting room and becomes the acceptor, so that a new
	 * connection is never left in the backlog while a thread idles. */
	int want_fd;
	atomic_bool wanted;
	bool listen_turn; /* under accept_lock: the backlog's turn next */
};

/* One connection thread's own things. */
struct conn {
	struct worker *w;
	unsigned char *buf; /* PREAMBLE_MAX bytes: the peek window */
	int ep;		    /* epoll set for a slow peer; -1 until needed */
	FCGX_Request req;
	bool opts_set;		  /* set_conn_options() done for this fd */
	struct fcgidirect direct; /* a request answered without libfcgi */
	char *pbuf;		  /* its params' strings (fcgiwire_params) */
	size_t pbuf_size;
	char **penv; /* their pointers, after libfcgi's role param */
	size_t penv_n;
	struct cgi_found *found; /* the script a request names; NULL until
				    one does (16 KiB: not thread-local
				    storage, which every thread would touch
				    whole when it starts) */
};

/* ---- time ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the request's streams, behind struct request_io ---- */

static long io_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request *req = ctx;
	int want = n > INT_MAX ? INT_MAX : (int)n;
	int got = FCGX_GetStr(buf, want, req->in);

	if (got < want && FCGX_GetError(req->in) != 0)
		return -1;
	return got;
}

static int put_stream(FCGX_Stream *s, const char *buf, size_t n)
{
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		if (FCGX_PutStr(buf, chunk, s) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static int io_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *req = ctx;

	return put_stream(req->out, buf, n);
}

static int io_flush(void *ctx)
{
	FCGX_Request *req = ctx;

	return FCGX_FFlush(req->out) < 0 ? -1 : 0;
}

static int io_err_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *req = ctx;

	return put_stream(req->err, buf, n);
}

/* The head of libfcgi's private state of a stream (FCGX_Stream_Data in
 * fcgiapp.c, the same from 2.4.0 to 2.4.2): where the bytes it has read
 * from the socket and not yet delivered end. FCGX_Stream's own fields
 * only say how much of the current record is left. */
struct fcgx_stream_data_head {
	unsigned char *buff;
	int bufflen;
	/* cppcheck-suppress unusedStructMember ; there for the layout */
	unsigned char *mBuff;
	unsigned char *buffStop;
};

/* Whether libfcgi holds bytes of in that came from the socket and that
 * it has not delivered yet (the next records). When its state does not
 * look as expected, says yes: the read then waits for one record at
 * most, as before. */
static bool fcgx_buffered(const FCGX_Stream *in)
{
	const struct fcgx_stream_data_head *d = in->data;

	if (d == NULL || d->buff == NULL || in->rdNext < d->buff ||
	    d->buffStop < in->rdNext || d->buffStop > d->buff + d->bufflen)
		return true;
	return d->buffStop > in->rdNext;
}

static long io_read_some(void *ctx, char *buf, size_t n)
{
	FCGX_Request *req = ctx;
	FCGX_Stream *in = req->in;
	size_t ready = (size_t)(in->stop - in->rdNext);
	long got = 0;

	if (n == 0)
		return 0;
	if (ready == 0) {
		int c;
		if (in->isClosed)
			return FCGX_GetError(in) != 0 ? -1 : 0;
		if (!fcgx_buffered(in)) {
			struct pollfd p = {req->ipcFd, POLLIN, 0};
			if (poll(&p, 1, 0) == 0)
				return REQUEST_IO_AGAIN;
		}
		/* one record's header and content: a web server writes a
		 * record at once */
		c = FCGX_GetChar(in);
		if (c == EOF)
			return FCGX_GetError(in) != 0 ? -1 : 0;
		buf[0] = (char)c;
		buf++;
		n--;
		got = 1;
		ready = (size_t)(in->stop - in->rdNext);
	}
	if (ready > n)
		ready = n;
	memcpy(buf, in->rdNext, ready);
	in->rdNext += ready;
	return got + (long)ready;
}

/* Ends a response whose script died after its headers went out: an
 * invalid record (version 0) makes every web server treat the response
 * as broken - nginx in both buffering modes, lighttpd, Apache - where a
 * close before END_REQUEST passes for a complete answer behind some of
 * them. The socket is then shut down, so that libfcgi's END_REQUEST is
 * never sent. */
static int io_abort(void *ctx)
{
	static const unsigned char bad[FCGIWIRE_HDR_LEN] = {0};
	FCGX_Request *req = ctx;
	int rc = 0;

	(void)FCGX_FFlush(req->out);
	(void)FCGX_FFlush(req->err);
	if (send(req->ipcFd, bad, sizeof(bad), MSG_NOSIGNAL) < 0)
		rc = -1;
	shutdown(req->ipcFd, SHUT_RDWR);
	return rc;
}

/* ---- one request ---- */

/* The script a FastCGI request names (gateway_front.script). */
static int find_script(void *ctx, const struct request *r, const char *path,
		       size_t len, struct cgi_target *t, enum gateway_fail *f)
{
	struct conn *c = ctx;

	if (c->found == NULL &&
	    (c->found = malloc(sizeof(*c->found))) == NULL) {
		log_error("%.*s: out of memory: answered 500",
			  len > 512 ? 512 : (int)len, path);
		*f = GATEWAY_F_NO_MEMORY;
		return -1;
	}
	if (cgi_target_from_params(r, c->found, t) == 0)
		return 0;
	log_error("%s %.*s: the web server passes neither SCRIPT_FILENAME nor "
		  "DOCUMENT_ROOT and SCRIPT_NAME: answered 500",
		  r->method, len > 512 ? 512 : (int)len, path);
	*f = GATEWAY_F_NO_SCRIPT;
	return -1;
}

/* The param libfcgi puts before the peer's own: FCGX_Accept_r adds
 * "FCGI_ROLE=RESPONDER" to every responder's envp (fcgiwire_check admits
 * no other role). A request served without libfcgi gets it too, so that
 * a script sees the same params either way. Its bytes, as request.h
 * counts params_bytes. */
#define LIBFCGI_ROLE_PARAM "FCGI_ROLE=RESPONDER"
#define LIBFCGI_ROLE_BYTES (sizeof(LIBFCGI_ROLE_PARAM) - 2)

/* libfcgi's streams of an accepted request. */
static struct request_io fcgx_io(FCGX_Request *req)
{
	struct request_io io = {io_read,    io_write,	  req,
				io_flush,   io_err_write, io_read_some,
				req->ipcFd, io_abort};
	return io;
}

/* The front for a request whose preamble the wire held as pre. The
 * params' copy must have as many strings and bytes as the wire (and
 * libfcgi's role param): a NUL byte inside a param makes one short. */
static struct gateway_front fcgi_front(struct conn *c,
				       const struct fcgiwire_preamble *pre)
{
	struct gateway_front f = {REQUEST_FRONT_FASTCGI,
				  find_script,
				  c,
				  true,
				  pre->params_pairs + 1,
				  pre->params_len + LIBFCGI_ROLE_BYTES,
				  NULL,
				  NULL};
	return f;
}

/* Serves one request that libfcgi has accepted. Returns 0 when the
 * connection may serve another request, -1 when it must be closed. */
static int handle_request(struct conn *c, const struct fcgiwire_preamble *pre)
{
	struct request_io io = fcgx_io(&c->req);
	struct gateway_front front = fcgi_front(c, pre);

	return gateway_serve(c->req.envp, &io, c->w->cfg, &front);
}

static void set_conn_options(int fd, int timeout_s);

/* A request served from the peek window (fcgidirect.h), and its way to
 * libfcgi when it runs a script. */
struct direct_req {
	struct conn *c;
	int fd;
	bool streamed; /* libfcgi holds the request now */
	bool fd_gone;  /* ... and it closed fd */
};

/* gateway_front.stream: hands the request to libfcgi, which reads it
 * from the socket (nothing was consumed). */
static int direct_stream(void *ctx, struct request *r)
{
	struct direct_req *d = ctx;
	struct conn *c = d->c;
	FCGX_Request *req = &c->req;

	if (fcgidirect_written(&c->direct)) {
		log_error("a FastCGI request's answer began before its "
			  "script: closed");
		return -1;
	}
	if (!c->opts_set) {
		set_conn_options(d->fd, c->w->set->io_timeout);
		c->opts_set = true;
	}
	req->ipcFd = d->fd;
	req->keepConnection = 1; /* FCGX_Accept_r must not close fd */
	if (FCGX_Accept_r(req) < 0) {
		log_error("closed a FastCGI connection: libfcgi could not "
			  "read the request");
		req->ipcFd = -1;
		d->fd_gone = true;
		return -1;
	}
	d->streamed = true;
	r->io = fcgx_io(req);
	return 0;
}

/* Room for pre's params in c: the strings, and n + 1 pointers. Returns
 * 0, or -1 out of memory. */
static int direct_room(struct conn *c, const struct fcgiwire_preamble *pre)
{
	size_t need = fcgiwire_params_size(pre);
	if (need > c->pbuf_size) {
		char *p = realloc(c->pbuf, need);
		if (p == NULL)
			return -1;
		c->pbuf = p;
		c->pbuf_size = need;
	}
	if (pre->params_pairs + 2 > c->penv_n) {
		char **e =
		    realloc(c->penv, (pre->params_pairs + 2) * sizeof(*e));
		if (e == NULL)
			return -1;
		c->penv = e;
		c->penv_n = pre->params_pairs + 2;
	}
	return 0;
}

/* How a request served from the peek window ended. */
enum direct_end {
	DIRECT_KEEP,	 /* answered; the connection is kept */
	DIRECT_CLOSE,	 /* answered, or failed: close fd */
	DIRECT_GONE,	 /* libfcgi closed fd */
	DIRECT_STREAMED, /* libfcgi holds it: FCGX_Finish_r, as usual */
	DIRECT_NOT,	 /* not served (no memory): hand it to libfcgi */
};

/* Serves the request whose preamble pre is in c's peek window, followed
 * there by its empty STDIN record. *rc: gateway_serve's result. */
static enum direct_end serve_direct(struct conn *c, int fd,
				    const struct fcgiwire_preamble *pre,
				    int *rc)
{
	struct worker *w = c->w;
	struct direct_req d = {c, fd, false, false};
	struct gateway_front front = fcgi_front(c, pre);

	if (direct_room(c, pre) < 0)
		return DIRECT_NOT;
	c->penv[0] = (char *)LIBFCGI_ROLE_PARAM;
	fcgiwire_params(c->buf, pre, c->pbuf, c->penv + 1);
	c->penv[pre->params_pairs + 1] = NULL;
	/* the answer is kept in the peek window: the params are out of it */
	fcgidirect_begin(&c->direct, fd, pre->id,
			 now_ms() + (int64_t)w->set->io_timeout * 1000, c->buf,
			 PREAMBLE_MAX);
	struct request_io io = fcgidirect_io(&c->direct);
	front.stream = direct_stream;
	front.stream_ctx = &d;
	*rc = gateway_serve(c->penv, &io, w->cfg, &front);
	if (d.fd_gone)
		return DIRECT_GONE;
	if (d.streamed)
		return DIRECT_STREAMED;
	if (fcgidirect_finish(&c->direct, pre->len + FCGIWIRE_HDR_LEN) < 0)
		return DIRECT_CLOSE;
	return *rc == 0 && pre->keep_conn ? DIRECT_KEEP : DIRECT_CLOSE;
}

/* ---- a connection's first records, checked before libfcgi reads them ---- */

enum wait_result {
	WAIT_READY,  /* a request's first records are in, sound */
	WAIT_CLOSED, /* the peer closed between requests */
	WAIT_IDLE,   /* a kept-alive connection idled out */
	WAIT_STOP,   /* the worker stops; nothing was in flight */
	WAIT_YIELD,  /* idle, while an acceptor is wanted */
	WAIT_PARK,   /* not whole after PARK_AFTER_MS: for the waiting room */
	WAIT_BAD,    /* drop it: why says why */
};

/* Waits in c's epoll set until fd has more bytes or the peer closed. A
 * stop does not end the wait: a request that has begun is in flight, and
 * is served. Returns 1 (look again), 0 (timed out), -1 (closed, or the
 * set failed: look once more, then give up). */
static int wait_more(struct conn *c, int fd, int64_t left, bool *added)
{
	struct epoll_event ev;
	int n;

	if (c->ep < 0) {
		c->ep = epoll_create1(EPOLL_CLOEXEC);
		if (c->ep < 0)
			return -1;
	}
	if (!*added) {
		struct epoll_event e = {
		    .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e) < 0)
			return -1;
		*added = true;
		return 1; /* registered: look again before waiting */
	}
	n = epoll_wait(c->ep, &ev, 1, left > INT_MAX ? INT_MAX : (int)left);
	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	if (ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		return -1;
	return 1;
}

/* Takes the job of acceptor when one is wanted: true for one thread. */
static bool take_want(struct worker *w)
{
	uint64_t v;

	if (w->want_fd < 0 || read(w->want_fd, &v, sizeof(v)) != sizeof(v))
		return false;
	atomic_store(&w->wanted, false);
	return true;
}

/* How one wait for a request goes. */
struct wait {
	bool first;	  /* a new connection, rather than a kept-alive one */
	int64_t deadline; /* ms: the request's first records are due */
	bool may_park;	  /* hand it to the waiting room when slow */
	bool poll_first;  /* nothing is expected yet: wait before the
			     first look (a peek that finds nothing is a
			     system call for nothing) */
	size_t bytes;	  /* out: what had arrived */
};

/* Waits for the next request on fd and checks its first records without
 * consuming them (MSG_PEEK). A new connection must send them whole by
 * wt->deadline (its accept + the I/O timeout); a kept-alive one may idle
 * until wt->deadline (twice that), then has the I/O timeout for the rest
 * once a request begins. With wt->may_park, a request not whole
 * PARK_AFTER_MS after the wait began (a new connection) or after its
 * first bytes (a kept-alive one) is WAIT_PARK. */
static enum wait_result wait_request(struct conn *c, int fd, struct wait *wt,
				     struct fcgiwire_preamble *pre, char *why,
				     size_t whysz)
{
	struct worker *w = c->w;
	int timeout_ms = w->set->io_timeout * 1000;
	int64_t park_at =
	    wt->may_park && wt->first ? now_ms() + PARK_AFTER_MS : INT64_MAX;
	size_t last = 0;
	bool added = false, closed = false;
	enum wait_result res = WAIT_BAD;

	bool look = !wt->poll_first;

	wt->poll_first = false;
	for (;;) {
		ssize_t n = -1;
		int64_t now, left;

		if (look)
			n = recv(fd, c->buf, PREAMBLE_MAX,
				 MSG_PEEK | MSG_DONTWAIT);
		else
			errno = EAGAIN; /* not looked yet: wait below */
		look = true;

		if (n == 0) {
			if (last == 0) {
				res = WAIT_CLOSED;
				break;
			}
			closed = true;
			n = (ssize_t)last;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				if (last == 0 && errno == ECONNRESET) {
					res = WAIT_CLOSED;
					break;
				}
				snprintf(why, whysz, "recv: %s",
					 strerror(errno));
				break;
			}
			n = 0;
		}
		if (n > 0) {
			enum fcgiwire_result rc =
			    fcgiwire_check(c->buf, (size_t)n,
					   REQUEST_PARAMS_MAX, pre, why, whysz);
			if (rc == FCGIWIRE_READY) {
				res = WAIT_READY;
				last = (size_t)n;
				break;
			}
			if (rc == FCGIWIRE_BAD)
				break;
			if ((size_t)n >= PREAMBLE_MAX) {
				snprintf(why, whysz,
					 "request's first records larger than "
					 "%zu bytes",
					 PREAMBLE_MAX);
				break;
			}
			if (closed) {
				snprintf(why, whysz,
					 "connection closed inside a request's "
					 "first records (%zd bytes)",
					 n);
				break;
			}
			/* a kept-alive connection's request has begun: the
			 * rest is due within the timeout */
			if (last == 0 && !wt->first) {
				if (now_ms() + timeout_ms < wt->deadline)
					wt->deadline = now_ms() + timeout_ms;
				if (wt->may_park)
					park_at = now_ms() + PARK_AFTER_MS;
			}
			last = (size_t)n;
		}
		now = now_ms();
		left = wt->deadline - now;
		if (left <= 0) {
			if (last == 0 && !wt->first) {
				res = WAIT_IDLE;
				break;
			}
			if (last)
				snprintf(why, whysz,
					 "incomplete request after %d s (%zu "
					 "bytes): the peer stalled",
					 w->set->io_timeout, last);
			else
				snprintf(why, whysz, "no request within %d s",
					 w->set->io_timeout);
			break;
		}
		if (now >= park_at) {
			res = WAIT_PARK;
			break;
		}
		if (park_at - now < left)
			left = park_at - now;
		if (last == 0) {
			/* nothing yet: sleep until data, or stop. A new
			 * connection is not given up when the worker stops:
			 * the web server has a request for it. A kept-alive
			 * one is; and it gives way when an acceptor is
			 * wanted (it then waits in the waiting room for its
			 * next request). */
			struct pollfd p[3] = {{fd, POLLIN, 0},
					      {w->wake[0], POLLIN, 0},
					      {w->want_fd, POLLIN, 0}};
			if (poll(p, wt->first ? 1 : 3, (int)left) < 0 &&
			    errno != EINTR) {
				snprintf(why, whysz, "poll: %s",
					 strerror(errno));
				break;
			}
			if (p[0].revents)
				continue;
			if (wt->first)
				continue;
			if (p[1].revents) {
				res = WAIT_STOP;
				break;
			}
			if (p[2].revents && take_want(w)) {
				res = WAIT_YIELD;
				break;
			}
		} else {
			/* part of a request: wait for more, or the close */
			if (wait_more(c, fd, left, &added) < 0)
				closed = true;
		}
	}
	if (added)
		epoll_ctl(c->ep, EPOLL_CTL_DEL, fd, NULL);
	wt->bytes = last;
	return res;
}

/* ---- connections ---- */

static void set_conn_options(int fd, int timeout_s)
{
	struct timeval tv = {timeout_s, 0};
	const int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		log_warn("setsockopt: %s", strerror(errno));
	/* libfcgi writes STDOUT and END_REQUEST in separate writes; fails
	 * harmlessly on a unix socket */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Whether fd's receive queue is empty: a close(2) then ends the
 * connection with a FIN, not a reset. */
static bool nothing_unread(int fd)
{
	int n = -1;
	return ioctl(fd, FIONREAD, &n) == 0 && n == 0;
}

/* Closes a connection libfcgi does not hold. */
static void drop_conn(int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

/* Where a connection comes from. */
enum conn_from {
	FROM_ACCEPT,   /* new */
	FROM_PARK,     /* the waiting room: its first records are whole */
	FROM_HANDOVER, /* kept alive by a retired worker, between requests */
};

/* A retiring worker's kept-alive connection, between two requests, goes
 * to the current generation (worker_settings.hand_tx): nothing is closed
 * under a web server that may be sending on it. Returns 0 (fd closed
 * here, open there), or -1 (fd untouched). */
static int hand_over(const struct worker *w, int fd)
{
	char one = 'c';
	struct iovec iov = {&one, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;

	if (w->set->hand_tx < 0)
		return -1;
	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(w->set->hand_tx, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the new generation takes them as it can: a full queue is
		 * waited for, at most a second */
		struct pollfd p = {w->set->hand_tx, POLLOUT, 0};
		if ((errno != EAGAIN && errno != EWOULDBLOCK &&
		     errno != EINTR) ||
		    poll(&p, 1, 1000) <= 0)
			return -1;
	}
	close(fd);
	return 0;
}

/* A connection handed over by a retired worker, or -1. */
static int take_over(const struct worker *w)
{
	char one;
	struct iovec iov = {&one, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	int fd = -1;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	if (recvmsg(w->set->hand_rx, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Ends a connection between requests when the worker stops: handed over
 * when it retires for a new generation, else closed. */
static void leave_conn(const struct worker *w, int fd)
{
	if (atomic_load(&w->retiring) && hand_over(w, fd) == 0)
		return;
	drop_conn(fd);
}

/* Serves requests on connection fd until it closes, until it is parked,
 * or until the worker stops. */
static void serve_conn(struct conn *c, int fd, enum conn_from from)
{
	struct worker *w = c->w;
	FCGX_Request *req = &c->req;
	char why[256], peer[80];
	/* a new connection's records seldom beat its accept, unless the
	 * kernel defers the accept until they are in: wait for them first;
	 * the waiting room's and a handed-over one's are there */
	struct wait wt = {true, now_ms() + (int64_t)w->set->io_timeout * 1000,
			  from == FROM_ACCEPT && w->park != NULL,
			  from == FROM_ACCEPT && !w->set->listen_deferred, 0};

	if (from == FROM_HANDOVER) {
		wt.first = false;
		wt.deadline = now_ms() + (int64_t)2 * w->set->io_timeout * 1000;
		wt.may_park = w->park != NULL;
	}

	/* the socket timeouts are for libfcgi's blocking reads and writes:
	 * set when a request goes to libfcgi */
	c->opts_set = false;
	for (;;) {
		struct fcgiwire_preamble pre;
		enum wait_result wr =
		    wait_request(c, fd, &wt, &pre, why, sizeof(why));
		int rc;

		if (wr == WAIT_PARK) {
			if (park_add(w->park, fd, wt.deadline, wt.bytes,
				     false) == 0)
				return; /* the waiting room's now */
			wt.may_park = false;
			continue; /* full: waited for here */
		}
		if (wr != WAIT_READY) {
			if (wr == WAIT_BAD) {
				listen_describe_peer(fd, peer, sizeof(peer));
				log_error("closed a FastCGI connection%s: %s",
					  peer, why);
			} else if (wr == WAIT_YIELD) {
				/* it waits for its next request in the
				 * waiting room; this thread accepts */
				if (park_add(w->park, fd, wt.deadline, 0,
					     true) == 0)
					return;
				log_debug(
				    "closed an idle kept-alive connection "
				    "for a new one");
			} else if (wr == WAIT_STOP) {
				leave_conn(w, fd);
				return;
			}
			drop_conn(fd);
			return;
		}
		enum direct_end de = DIRECT_NOT;
		if (pre.plain &&
		    fcgiwire_is_stdin_end(c->buf + pre.len, wt.bytes - pre.len,
					  pre.id))
			de = serve_direct(c, fd, &pre, &rc);
		if (de == DIRECT_GONE)
			return;
		if (de == DIRECT_CLOSE) {
			close(fd);
			return;
		}
		if (de == DIRECT_NOT) {
			if (!c->opts_set) {
				set_conn_options(fd, w->set->io_timeout);
				c->opts_set = true;
			}
			req->ipcFd = fd;
			req->keepConnection = 1; /* FCGX_Accept_r must not
						    close fd */
			if (FCGX_Accept_r(req) < 0) {
				/* libfcgi found it broken and closed fd */
				log_error("closed a FastCGI connection: "
					  "libfcgi could not read the "
					  "request");
				req->ipcFd = -1;
				return;
			}
			rc = handle_request(c, &pre);
		}
		if (de != DIRECT_KEEP) {
			if (rc < 0)
				req->keepConnection = 0;
			/* a connection not kept, with nothing left unread, is
			 * closed here after the answer: libfcgi's close is a
			 * lingering one (shutdown, then up to 2 s of poll and
			 * read until the web server closes), which only
			 * unread input needs (a close over it would be a
			 * reset, and could cost the web server the answer) */
			bool close_here = !req->keepConnection && rc >= 0 &&
					  nothing_unread(req->ipcFd);
			if (close_here)
				req->keepConnection = 1;
			FCGX_Finish_r(req); /* closes fd unless kept */
			if (close_here && req->ipcFd >= 0) {
				close(req->ipcFd);
				req->ipcFd = -1;
			}
			if (req->ipcFd < 0)
				return;
			fd = req->ipcFd;
		}
		if (atomic_load(&w->stopping)) {
			leave_conn(w, fd);
			req->ipcFd = -1;
			return;
		}
		wt.first = false;
		wt.deadline = now_ms() + (int64_t)2 * w->set->io_timeout * 1000;
		wt.may_park = w->park != NULL;
		/* the web server sends the next request after this answer */
		wt.poll_first = true;
	}
}

/* Waits for a connection as the worker's acceptor: a new one, or one the
 * waiting room has ready (*parked set). Returns its fd, or -1 when the
 * worker stops. */
static int accept_conn(struct worker *w, enum conn_from *from)
{
	static atomic_llong last_report;
	int fd = -1;

	*from = FROM_ACCEPT;
	atomic_fetch_add(&w->acceptors, 1);
	if (atomic_load(&w->wanted))
		(void)take_want(w); /* here is one */
	pthread_mutex_lock(&w->accept_lock);
	for (;;) {
		/* a stopping worker accepts nothing new, but serves the
		 * connections of its waiting room as they become whole (or
		 * expire): their requests have begun. Idle kept-alive ones
		 * are handed over or closed, as its threads' are. */
		bool stop = atomic_load(&w->stopping);
		if (stop && w->park) {
			int idle;
			while ((idle = park_take_idle(w->park)) >= 0)
				leave_conn(w, idle);
		}
		if (stop && (w->park == NULL || park_pending(w->park) == 0))
			break;
		struct pollfd p[4] = {
		    {stop ? -1 : w->set->listen_fd, POLLIN, 0},
		    {stop ? -1 : w->wake[0], POLLIN, 0},
		    {w->park ? park_ready_fd(w->park) : -1, POLLIN, 0},
		    {stop ? -1 : w->set->hand_rx, POLLIN, 0}};
		int e;

		if (poll(p, 4, stop ? 100 : -1) < 0) {
			if (errno != EINTR) {
				log_error("poll: %s", strerror(errno));
				sleep_ms(100);
			}
			continue;
		}
		if (p[1].revents)
			continue; /* the worker stops: looked at above */
		/* the waiting room's ready connections and the backlog take
		 * turns, so that neither starves the other */
		if (p[2].revents && !(p[0].revents && w->listen_turn)) {
			fd = park_take(w->park);
			if (fd >= 0) {
				*from = FROM_PARK;
				w->listen_turn = true;
				break;
			}
		}
		if (p[3].revents) {
			fd = take_over(w);
			if (fd >= 0) {
				*from = FROM_HANDOVER;
				break;
			}
		}
		if (!p[0].revents)
			continue;
		fd = accept4(w->set->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			w->listen_turn = false;
			break;
		}
		e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
		    e == ECONNABORTED || e == EPROTO)
			continue;
		/* out of fds or memory: say so at most every 10 s, and give
		 * the peers in the backlog to other workers meanwhile */
		if (now_ms() - atomic_load(&last_report) > 10000) {
			atomic_store(&last_report, (long long)now_ms());
			log_error("accept: %s", strerror(e));
		}
		sleep_ms(e == EMFILE || e == ENFILE || e == ENOBUFS ||
				 e == ENOMEM
			     ? 100
			     : 1000);
	}
	pthread_mutex_unlock(&w->accept_lock);
	/* the last acceptor leaves with a connection: one is wanted, when
	 * an idle kept-alive connection can wait in the waiting room */
	if (atomic_fetch_sub(&w->acceptors, 1) == 1 && fd >= 0 && w->park &&
	    !atomic_load(&w->stopping) && !atomic_exchange(&w->wanted, true)) {
		uint64_t one = 1;
		ssize_t n = write(w->want_fd, &one, sizeof(one));
		(void)n;
	}
	return fd;
}

static void *conn_thread(void *arg)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.w = arg;
	c.ep = -1;
	c.buf = malloc(PREAMBLE_MAX);
	if (c.buf == NULL) {
		log_error("out of memory for a connection thread");
		return NULL;
	}
	FCGX_InitRequest(&c.req, -1, 0);
	for (;;) {
		enum conn_from from;
		int fd = accept_conn(c.w, &from);
		if (fd < 0)
			break;
		stats_gauge(STATS_G_CONNECTIONS, 1);
		serve_conn(&c, fd, from);
		stats_gauge(STATS_G_CONNECTIONS, -1);
	}
	if (c.ep >= 0)
		close(c.ep);
	free(c.buf);
	free(c.pbuf);
	free(c.penv);
	free(c.found);
	cgi_thread_end();
	return NULL;
}

/* ---- the worker's signals ---- */

static void worker_stop(struct worker *w)
{
	ssize_t n;

	atomic_store(&w->stopping, true);
	n = write(w->wake[1], "x", 1);
	(void)n;
}

/* Takes SIGTERM/SIGINT (stop) and SIGUSR1 (retire: stop, handing the
 * kept-alive connections to the new generation) from the master; SIGHUP, which
 * a terminal or `kill -HUP` to the process group may send, is the master's
 * business: it starts a new generation. Ends when the worker stops, or when
 * woken by SIGUSR2 from worker_run (threads could not start). */
static void *signal_thread(void *arg)
{
	struct worker *w = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			continue;
		if (sig == SIGUSR1) {
			log_debug("a new generation serves: handing over the "
				  "kept-alive connections after their "
				  "requests");
			atomic_store(&w->retiring, true);
		}
		if (sig != SIGUSR2)
			log_debug("signal %d: finishing the requests in flight",
				  sig);
		worker_stop(w);
		return NULL;
	}
}

/* ---- start ---- */

/* Takes the worker's identity for good. Returns 0, or -1 after logging
 * why. */
static int take_identity(const struct worker_settings *s)
{
	if (!s->drop)
		return 0;
	if (s->user ? initgroups(s->user, s->gid) < 0
		    : setgroups(1, &s->gid) < 0) {
		log_error("setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(s->gid, s->gid, s->gid) < 0) {
		log_error("setgid(%ld): %s", (long)s->gid, strerror(errno));
		return -1;
	}
	if (s->user && setresuid(s->uid, s->uid, s->uid) < 0) {
		log_error("setuid(%ld): %s", (long)s->uid, strerror(errno));
		return -1;
	}
	if (s->user && s->uid != 0 &&
	    (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0)) {
		log_error("dropped to %s, but root could be regained; not "
			  "serving",
			  s->user);
		return -1;
	}
	return 0;
}

/* The connection threads the open-file limit allows (raised to its hard
 * limit first): each may hold WORKER_FDS_PER_THREAD descriptors. The
 * descriptors left over bound the waiting room, in *park_room. */
static long fit_threads(long want, size_t *park_room)
{
	struct rlimit rl;
	long fit;

	*park_room = PARK_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >=
		(rlim_t)(WORKER_FDS_RESERVED + want * WORKER_FDS_PER_THREAD))
		return want;
	fit = ((long)rl.rlim_cur - WORKER_FDS_RESERVED) / WORKER_FDS_PER_THREAD;
	if (fit < 1)
		fit = 1;
	long room = (long)rl.rlim_cur - WORKER_FDS_RESERVED -
		    fit * WORKER_FDS_PER_THREAD;
	*park_room = room > 0 ? (size_t)room : 0;
	log_warn("open-file limit %ld: %ld connection threads instead of %ld "
		 "(each may need %d descriptors; raise LimitNOFILE / ulimit "
		 "-n)",
		 (long)rl.rlim_cur, fit, want, WORKER_FDS_PER_THREAD);
	return fit;
}

int worker_run(const struct worker_settings *s, const struct config *cfg)
{
	struct worker w;
	pthread_attr_t attr;
	pthread_t sig_tid, *tids = NULL;
	sigset_t chld;
	long started = 0;
	int rc = 1, err;
	bool sig_started = false;

	memset(&w, 0, sizeof(w));
	w.set = s;
	w.cfg = cfg;
	w.wake[0] = w.wake[1] = -1;
	w.want_fd = -1;
	atomic_init(&w.wanted, false);
	atomic_init(&w.stopping, false);
	atomic_init(&w.retiring, false);
	atomic_init(&w.acceptors, 0);
	pthread_mutex_init(&w.accept_lock, NULL);
	/* SIGCHLD is the master's; a worker's children are its own. The
	 * other signals stay blocked: the signal thread takes them. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	if (take_identity(s) < 0)
		goto fail;
	/* A worker does not outlive its master (set after the identity
	 * change, which clears it). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != s->master) {
		log_error("the master is gone");
		goto fail;
	}
	size_t park_room;
	w.threads = fit_threads(s->threads, &park_room);
	if (cgi_init() < 0)
		goto fail;
	/* without a waiting room, slow peers wait in their threads */
	if (park_room > 0)
		w.park =
		    park_open(park_room, s->io_timeout, REQUEST_PARAMS_MAX);
	if (pipe2(w.wake, O_CLOEXEC) < 0) {
		log_error("pipe: %s", strerror(errno));
		goto fail;
	}
	w.want_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w.want_fd < 0) {
		log_error("eventfd: %s", strerror(errno));
		goto fail;
	}
	tids = calloc((size_t)w.threads, sizeof(*tids));
	if (tids == NULL) {
		log_error("out of memory");
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	err = pthread_create(&sig_tid, &attr, signal_thread, &w);
	if (err != 0) {
		log_error("pthread_create: %s", strerror(err));
		pthread_attr_destroy(&attr);
		goto fail;
	}
	sig_started = true;
	for (; started < w.threads; started++) {
		err = pthread_create(&tids[started], &attr, conn_thread, &w);
		if (err != 0) {
			log_error("pthread_create: %s (%ld of %ld threads "
				  "started)",
				  strerror(err), started, w.threads);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	if (started == w.threads)
		rc = 0;
	else
		worker_stop(&w); /* stop the ones started */
	for (long i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	/* scripts that outlived their answers: stopped, and reaped */
	cgi_reap_wait(true);
fail:
	if (sig_started) {
		if (!atomic_load(&w.stopping) || rc != 0)
			pthread_kill(sig_tid, SIGUSR2);
		pthread_join(sig_tid, NULL);
	}
	free(tids);
	park_close(w.park);
	if (w.wake[0] >= 0)
		close(w.wake[0]);
	if (w.wake[1] >= 0)
		close(w.wake[1]);
	if (w.want_fd >= 0)
		close(w.want_fd);
	pthread_mutex_destroy(&w.accept_lock);
	return rc;
}
