/* fcgi.c - the FastCGI responder. See fcgi.h.
 *
 * Processes. A master binds the socket, drops privileges, loads the policy
 * and supervises W worker processes: a worker that dies is logged and
 * replaced, with a growing delay when workers die as soon as they start.
 * The master handles SIGTERM/SIGINT (forward, wait), SIGHUP (validate the
 * file, then forward) and SIGCHLD with sigtimedwait(2): no signal handlers.
 *
 * Threads. Each worker runs T connection threads (default 64). Why threads
 * and not one libfcgi loop per process: with `fastcgi_keep_conn on` nginx
 * keeps an upstream connection open between requests, and libfcgi's loop
 * serves one connection until it closes - a single-threaded worker would sit
 * on an idle kept-alive connection while the others queue. A thread per
 * connection makes a kept-alive connection cost one idle thread, so
 * W x T must exceed what the web server keeps open (nginx: keepalive x its
 * worker_processes).
 *
 * Accept. The threads of a worker take turns as the one acceptor
 * (leader/followers): under a mutex, poll(2) the listening socket and the
 * worker's wake pipe, accept4(2) one connection, unlock, serve it. Only
 * one thread per process wakes per connection, and shutdown wakes it
 * through the pipe - no signal races, no shutdown(2) on the listening
 * socket, which every worker shares. FCGX_Accept_r() is not used to accept
 * because it then reads the request under the same lock (libfcgi's
 * examples/threaded.c): one peer that stalls after connecting would stop
 * every thread. We accept, set read/write timeouts, check the request's
 * first records ourselves (peeking, nothing consumed), then hand the
 * connected fd to FCGX_Accept_r() through the request's ipcFd and
 * keepConnection fields. Those fields sit below "Don't use anything below
 * here" in fcgiapp.h, but the struct is allocated by the application, so
 * its layout is libfcgi's ABI, unchanged since the reentrant API appeared.
 * The request's listen socket is -1: when libfcgi drops a connection
 * itself it cannot go on to accept another one behind our back.
 *
 * Reload. A worker's policy is a refcounted holder. Each connection thread
 * keeps a reference to the one it last used and takes the current one
 * again (under a mutex) only when the worker's generation counter says a
 * reload swapped it: a request costs one atomic load. SIGHUP loads the
 * file, swaps the holder, bumps the generation and drops the worker's own
 * reference: requests in flight finish with the policy they started
 * with, no connection drops, and the last thread to move on frees it.
 *
 * Bad input. A connection is closed (one log line each) when its first
 * records are not FastCGI 1, do not begin with BEGIN_REQUEST, ask for a role
 * other than RESPONDER, carry over REQUEST_PARAMS_MAX bytes of params, or do
 * not arrive complete within the I/O timeout. The peek costs nothing for a
 * well-behaved web server, which sends BEGIN_REQUEST and PARAMS at once.
 */
#include "fcgi.h"

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
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "cors.h"
#include "listen.h"
#include "log.h"
#include "request.h"

/* Connection threads per worker when [gateway] threads is not set. */
#define DEFAULT_THREADS 64
#define MAX_THREADS 4096
#define MAX_WORKERS 1024
#define THREAD_STACK (512 * 1024)

/* Seconds a connection may take to send a request, or to accept a
 * response; CORSGATE_IO_TIMEOUT overrides. A kept-alive connection may
 * idle twice as long between requests. */
#define DEFAULT_IO_TIMEOUT 30
#define MAX_IO_TIMEOUT 3600

/* A worker that dies younger than this counts as failing at start; each
 * such failure in a row doubles the delay before the next fork. */
#define RESTART_FAST_MS 1000
#define RESTART_DELAY_MIN_MS 100
#define RESTART_DELAY_MAX_MS 10000

/* How long the master waits for workers to finish at shutdown before
 * SIGKILL, in I/O timeouts. */
#define SHUTDOWN_GRACE_TIMEOUTS 2

/* The peek window for a request's first records: the params plus record
 * headers and padding. A request whose params end beyond it is refused. */
#define PREAMBLE_MAX (REQUEST_PARAMS_MAX + 32 * 1024)

/* FastCGI 1.0 (the FastCGI Specification, section 8). */
#define FCGI_HDR_LEN 8
#define FCGI_V1 1
#define REC_BEGIN_REQUEST 1
#define REC_PARAMS 4
#define ROLE_RESPONDER 1
#define ROLE_AUTHORIZER 2
#define ROLE_FILTER 3

/* ---- settings resolved at start ---- */

struct settings {
	const char *config_file;
	long workers;
	long threads;
	int io_timeout; /* seconds */
	struct listener lst;
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

/* ---- the worker's policy, refcounted ---- */

struct policy_ref {
	struct config *cfg;
	unsigned long refs; /* under worker.cfg_lock */
};

struct worker {
	const struct settings *set;
	int listen_fd;
	int wake[2]; /* readable once the worker stops */
	atomic_bool stopping;
	pthread_mutex_t accept_lock;
	pthread_mutex_t cfg_lock;
	struct policy_ref *cur;
	atomic_ulong generation; /* bumped by every reload, after the swap */
	atomic_int acceptors;	 /* threads in accept_conn() */
};

static struct policy_ref *policy_new(struct config *cfg)
{
	struct policy_ref *p = malloc(sizeof(*p));

	if (p) {
		p->cfg = cfg;
		p->refs = 1; /* the worker's "current" reference */
	}
	return p;
}

/* A connection thread's own reference to the worker's policy, taken
 * again only when a reload has changed it: a request costs one atomic
 * load, no lock. */
struct policy_cache {
	struct policy_ref *ref;
	unsigned long generation;
};

static struct policy_ref *policy_acquire(struct worker *w);
static void policy_release(struct worker *w, struct policy_ref *p);

static _Thread_local struct policy_cache thread_policy;

static struct policy_ref *policy_current(struct worker *w,
					 struct policy_cache *c)
{
	unsigned long g =
	    atomic_load_explicit(&w->generation, memory_order_acquire);
	if (c->ref == NULL || c->generation != g) {
		if (c->ref)
			policy_release(w, c->ref);
		c->ref = policy_acquire(w);
		c->generation = g;
	}
	return c->ref;
}

static struct policy_ref *policy_acquire(struct worker *w)
{
	struct policy_ref *p;

	pthread_mutex_lock(&w->cfg_lock);
	p = w->cur;
	p->refs++;
	pthread_mutex_unlock(&w->cfg_lock);
	return p;
}

static void policy_release(struct worker *w, struct policy_ref *p)
{
	bool last;

	pthread_mutex_lock(&w->cfg_lock);
	last = --p->refs == 0;
	pthread_mutex_unlock(&w->cfg_lock);
	if (last) {
		config_free(p->cfg);
		free(p);
	}
}

static void apply_log_level(const struct config *cfg)
{
	if (cfg->gateway.log_level_set)
		log_set_level(cfg->gateway.log_level);
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
	static const unsigned char bad[FCGI_HDR_LEN] = {0};
	FCGX_Request *req = ctx;
	int rc = 0;

	(void)FCGX_FFlush(req->out);
	(void)FCGX_FFlush(req->err);
	if (send(req->ipcFd, bad, sizeof(bad), MSG_NOSIGNAL) < 0)
		rc = -1;
	shutdown(req->ipcFd, SHUT_RDWR);
	return rc;
}

/* ---- answers ---- */

/* Reads the rest of the request body and throws it away: the request is
 * complete before it is answered, and a kept-alive connection is left at
 * the start of the next request. Returns 0, or -1 on a read error. */
static int drain_body(const struct request *r)
{
	char buf[4096];
	long n;

	while ((n = r->io.read(r->io.ctx, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* The script path: everything the gateway does not answer itself (not a
 * preflight, a disabled path, an actual request allowed or refused but not
 * blocked). The script the params name runs; the verdict's headers go on
 * its response. */
static int respond_script(const struct request *r, const struct cors_verdict *v,
			  const struct config *cfg)
{
	static _Thread_local struct cgi_found found;
	struct cgi_target t;

	if (cgi_target_from_params(r, &found, &t) < 0) {
		log_error("%s %.*s: the web server passes neither "
			  "SCRIPT_FILENAME nor DOCUMENT_ROOT and SCRIPT_NAME: "
			  "answered 500",
			  r->method, r->path_len > 512 ? 512 : (int)r->path_len,
			  r->path);
		return request_answer_error(r, v, 500,
					    "no script named by the web "
					    "server");
	}
	return cgi_run(r, &t, v, &cfg->gateway);
}

static int min_int(size_t a, int b)
{
	return a < (size_t)b ? (int)a : b;
}

/* Serves one accepted request. Returns 0 when the connection may serve
 * another request, -1 when it must be closed. */
static int handle_request(struct worker *w, FCGX_Request *req)
{
	struct request r;
	struct request_io io = {io_read,    io_write,	  req,
				io_flush,   io_err_write, io_read_some,
				req->ipcFd, io_abort};
	struct policy_ref *pol;
	const struct cors_policy *policy;
	struct cors_verdict v;
	enum request_err err;
	int rc;

	err = request_init(&r, req->envp, &io);
	if (err == REQUEST_E_NOMETHOD) {
		log_error(
		    "request for %.*s without REQUEST_METHOD: answered 400 "
		    "(check the web server's fastcgi_params)",
		    min_int(r.path_len, 512), r.path);
		rc = drain_body(&r);
		if (rc == 0)
			rc = request_answer_error(&r, NULL, 400,
						  "no REQUEST_METHOD");
		request_free(&r);
		return rc;
	}
	if (err != REQUEST_OK) {
		struct request bare;
		memset(&bare, 0, sizeof(bare));
		bare.io = io;
		log_error("request refused: %s", request_strerror(err));
		if (drain_body(&bare) == 0)
			request_answer_error(
			    &bare, NULL, err == REQUEST_E_TOOBIG ? 431 : 503,
			    request_strerror(err));
		return -1;
	}

	pol = policy_current(w, &thread_policy); /* held by this thread */
	policy = config_lookup(pol->cfg, r.path, r.path_len);
	cors_decide(policy, &r.cors, &v);
	if (!cors_allowed(&v))
		request_log_refused(&r, r.path, &v);
	if (v.status != 0) {
		/* the body first: drained, the request is complete */
		rc = drain_body(&r);
		if (rc == 0)
			rc = request_answer_verdict(&r, &v);
	} else {
		rc = respond_script(&r, &v, pol->cfg);
		if (rc == 0) /* what the script left of the body */
			rc = drain_body(&r);
	}
	if (rc == CGI_ABORT) {
		io_abort(req);
		request_free(&r);
		return -1;
	}
	if (rc < 0)
		log_debug("%s %.*s: the connection failed while answering",
			  r.method, min_int(r.path_len, 512), r.path);
	request_free(&r);
	return rc;
}

/* ---- a connection's first records, checked before libfcgi reads them ---- */

static const char *rec_name(unsigned type)
{
	static const char *const names[] = {
	    "type 0",
	    "BEGIN_REQUEST",
	    "ABORT_REQUEST",
	    "END_REQUEST",
	    "PARAMS",
	    "STDIN",
	    "STDOUT",
	    "STDERR",
	    "DATA",
	    "GET_VALUES",
	    "GET_VALUES_RESULT",
	    "UNKNOWN_TYPE",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type]
						       : "an unknown type";
}

/* Lengths of the name-value pairs of a params stream, fed in pieces. */
struct pairs {
	int state; /* 0: name length, 1: value length, 2: data */
	unsigned char lb[4];
	int lbn;	 /* bytes of the current length read */
	uint32_t len[2]; /* name, value */
	uint64_t data;	 /* bytes of name + value still to skip */
	uint64_t total;	 /* names + values so far */
};

/* Returns 0, or -1 when the params exceed REQUEST_PARAMS_MAX. */
static int pairs_feed(struct pairs *p, const unsigned char *s, size_t n)
{
	while (n > 0) {
		/* fast path: a whole pair's lengths at hand (the usual case:
		 * a web server sends each pair in one piece) */
		if (p->state == 0 && p->lbn == 0 && n >= 8) {
			uint32_t len[2];
			size_t k = 0;
			for (int j = 0; j < 2; j++) {
				if (s[k] & 0x80) {
					len[j] =
					    ((uint32_t)(s[k] & 0x7f) << 24) |
					    ((uint32_t)s[k + 1] << 16) |
					    ((uint32_t)s[k + 2] << 8) |
					    s[k + 3];
					k += 4;
				} else {
					len[j] = s[k++];
				}
			}
			uint64_t data = (uint64_t)len[0] + len[1];
			p->total += data;
			if (p->total > (uint64_t)REQUEST_PARAMS_MAX)
				return -1;
			s += k;
			n -= k;
			if (data <= n) {
				s += data;
				n -= (size_t)data;
			} else {
				p->data = data - n;
				p->state = 2;
				n = 0;
			}
			continue;
		}
		if (p->state == 2) {
			size_t k = p->data < n ? (size_t)p->data : n;
			p->data -= k;
			s += k;
			n -= k;
			if (p->data == 0)
				p->state = 0;
			continue;
		}
		p->lb[p->lbn++] = *s++;
		n--;
		if (p->lbn == 1 && !(p->lb[0] & 0x80)) {
			p->len[p->state] = p->lb[0];
		} else if (p->lbn == 4) {
			p->len[p->state] = ((uint32_t)(p->lb[0] & 0x7f) << 24) |
					   ((uint32_t)p->lb[1] << 16) |
					   ((uint32_t)p->lb[2] << 8) | p->lb[3];
		} else {
			continue;
		}
		p->lbn = 0;
		if (p->state == 0) {
			p->state = 1;
			continue;
		}
		p->data = (uint64_t)p->len[0] + p->len[1];
		p->total += p->data;
		if (p->total > REQUEST_PARAMS_MAX)
			return -1;
		p->state = p->data ? 2 : 0;
	}
	return 0;
}

/* Checks the records at the start of b[0..n): management records, then
 * BEGIN_REQUEST (role RESPONDER), then PARAMS up to the empty one.
 * Returns 1 when they are complete and sound, 0 when more bytes are
 * needed, -1 (reason in why) when the connection must be dropped. */
static int check_preamble(const unsigned char *b, size_t n, char *why,
			  size_t whysz)
{
	struct pairs pp;
	size_t off = 0;
	unsigned id = 0;
	bool begun = false;

	memset(&pp, 0, sizeof(pp));
	for (;;) {
		const unsigned char *h = b + off;
		unsigned type, rid, clen, pad;
		size_t end, avail;

		if (n - off < FCGI_HDR_LEN)
			return 0;
		type = h[1];
		rid = (unsigned)h[2] << 8 | h[3];
		clen = (unsigned)h[4] << 8 | h[5];
		pad = h[6];
		end = off + FCGI_HDR_LEN + clen + pad;
		if (h[0] != FCGI_V1) {
			snprintf(why, whysz,
				 "malformed FastCGI record (version %u, type "
				 "%u)",
				 h[0], type);
			return -1;
		}
		if (rid == 0 || (begun && rid != id)) {
			/* management records, other request ids: libfcgi
			 * answers or skips them */
			if (end > n)
				return 0;
			off = end;
			continue;
		}
		if (!begun) {
			unsigned role;
			if (type != REC_BEGIN_REQUEST || clen != 8) {
				snprintf(why, whysz,
					 "malformed FastCGI request: %s record "
					 "(%u bytes) where BEGIN_REQUEST was "
					 "expected",
					 rec_name(type), clen);
				return -1;
			}
			if (n - off < FCGI_HDR_LEN + 8)
				return 0;
			role = (unsigned)h[8] << 8 | h[9];
			if (role == ROLE_AUTHORIZER || role == ROLE_FILTER) {
				snprintf(why, whysz,
					 "FastCGI role %s not supported: "
					 "corsgate is a RESPONDER",
					 role == ROLE_FILTER ? "FILTER"
							     : "AUTHORIZER");
				return -1;
			}
			if (role != ROLE_RESPONDER) {
				snprintf(why, whysz, "unknown FastCGI role %u",
					 role);
				return -1;
			}
			begun = true;
			id = rid;
			if (end > n)
				return 0;
			off = end;
			continue;
		}
		if (type != REC_PARAMS) {
			snprintf(why, whysz,
				 "malformed FastCGI request: %s record before "
				 "the end of PARAMS",
				 rec_name(type));
			return -1;
		}
		avail = n - off - FCGI_HDR_LEN;
		if (avail > clen)
			avail = clen;
		if (pairs_feed(&pp, h + FCGI_HDR_LEN, avail) < 0) {
			snprintf(why, whysz,
				 "params block larger than %d bytes",
				 REQUEST_PARAMS_MAX);
			return -1;
		}
		if (clen == 0) {
			if (pp.state != 0 || pp.lbn != 0) {
				snprintf(
				    why, whysz,
				    "malformed FastCGI request: params end "
				    "inside a name-value pair");
				return -1;
			}
			return 1;
		}
		if (end > n)
			return 0;
		off = end;
	}
}

enum wait_result {
	WAIT_READY,  /* a request's first records are in, sound */
	WAIT_CLOSED, /* the peer closed between requests */
	WAIT_IDLE,   /* a kept-alive connection idled out */
	WAIT_STOP,   /* the worker stops; nothing was in flight */
	WAIT_YIELD,  /* idle, while a new connection waits for a thread */
	WAIT_BAD,    /* drop it: why says why */
};

/* Waits for the next request on fd and checks its first records without
 * consuming them (MSG_PEEK). first: a new connection (it must send within
 * the I/O timeout) rather than a kept-alive one (twice that). */
static enum wait_result wait_request(struct worker *w, unsigned char *buf,
				     int fd, bool first, char *why,
				     size_t whysz)
{
	int timeout_ms = w->set->io_timeout * 1000;
	int64_t deadline = now_ms() + (first ? timeout_ms : 2 * timeout_ms);
	size_t last = 0;
	long backoff = 1;

	for (;;) {
		ssize_t n =
		    recv(fd, buf, PREAMBLE_MAX, MSG_PEEK | MSG_DONTWAIT);
		int64_t left;

		if (n == 0) {
			if (last == 0)
				return WAIT_CLOSED;
			snprintf(why, whysz,
				 "connection closed inside a request's first "
				 "records (%zu bytes)",
				 last);
			return WAIT_BAD;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				if (last == 0 && errno == ECONNRESET)
					return WAIT_CLOSED;
				snprintf(why, whysz, "recv: %s",
					 strerror(errno));
				return WAIT_BAD;
			}
			n = 0;
		}
		if (n > 0) {
			int rc = check_preamble(buf, (size_t)n, why, whysz);
			if (rc > 0)
				return WAIT_READY;
			if (rc < 0)
				return WAIT_BAD;
			if ((size_t)n >= PREAMBLE_MAX) {
				snprintf(why, whysz,
					 "request's first records larger than "
					 "%d bytes",
					 PREAMBLE_MAX);
				return WAIT_BAD;
			}
			if (last == 0) /* the rest is due within the timeout */
				deadline = now_ms() + timeout_ms;
			if ((size_t)n != last)
				backoff = 1;
			last = (size_t)n;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			if (last == 0 && !first)
				return WAIT_IDLE;
			if (last)
				snprintf(why, whysz,
					 "incomplete request after %d s (%zu "
					 "bytes): the peer stalled",
					 w->set->io_timeout, last);
			else
				snprintf(why, whysz, "no request within %d s",
					 w->set->io_timeout);
			return WAIT_BAD;
		}
		if (last == 0) {
			/* nothing yet: sleep until data, or stop. A kept-alive
			 * connection also watches the listening socket: when
			 * a new connection waits and no thread of this worker
			 * is free to accept it, the idle one gives way (the web
			 * server reconnects when it needs to). */
			struct pollfd p[3] = {{fd, POLLIN, 0},
					      {w->wake[0], POLLIN, 0},
					      {w->listen_fd, POLLIN, 0}};
			if (poll(p, first ? 2 : 3, (int)left) < 0 &&
			    errno != EINTR) {
				snprintf(why, whysz, "poll: %s",
					 strerror(errno));
				return WAIT_BAD;
			}
			if (p[0].revents)
				continue;
			if (p[1].revents)
				return WAIT_STOP;
			if (!first && p[2].revents) {
				if (atomic_load(&w->acceptors) == 0)
					return WAIT_YIELD;
				sleep_ms(1); /* an acceptor is on it */
			}
		} else {
			/* part of a request: poll(2) would return at once,
			 * so sleep a little, longer each time nothing new
			 * comes (a web server sends its records at once;
			 * only a slow or stalled peer gets here) */
			sleep_ms(backoff < left ? backoff : (long)left);
			if (backoff < 50)
				backoff *= 2;
		}
	}
}

/* ---- connections ---- */

static void describe_peer(int fd, char *buf, size_t size)
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

/* Closes a connection libfcgi does not hold. */
static void drop_conn(int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

/* Serves requests on connection fd until it closes. */
static void serve_conn(struct worker *w, unsigned char *buf, FCGX_Request *req,
		       int fd)
{
	char why[256], peer[80];
	bool first = true;

	set_conn_options(fd, w->set->io_timeout);
	for (;;) {
		enum wait_result wr =
		    wait_request(w, buf, fd, first, why, sizeof(why));

		if (wr != WAIT_READY) {
			if (wr == WAIT_BAD) {
				describe_peer(fd, peer, sizeof(peer));
				log_error("closed a FastCGI connection%s: %s",
					  peer, why);
			} else if (wr == WAIT_YIELD) {
				log_debug(
				    "closed an idle kept-alive connection "
				    "for a new one");
			}
			drop_conn(fd);
			return;
		}
		req->ipcFd = fd;
		req->keepConnection = 1; /* FCGX_Accept_r must not close fd */
		if (FCGX_Accept_r(req) < 0) {
			/* libfcgi found it broken and closed fd already */
			log_error("closed a FastCGI connection: libfcgi could "
				  "not read the request");
			req->ipcFd = -1;
			return;
		}
		if (handle_request(w, req) < 0)
			req->keepConnection = 0;
		FCGX_Finish_r(req); /* closes fd unless the server keeps it */
		if (req->ipcFd < 0)
			return;
		if (atomic_load(&w->stopping)) {
			drop_conn(req->ipcFd);
			req->ipcFd = -1;
			return;
		}
		first = false;
	}
}

/* Waits for a connection as the worker's acceptor. Returns its fd, or -1
 * when the worker stops. */
static int accept_conn(struct worker *w)
{
	static atomic_llong last_report;
	int fd = -1;

	atomic_fetch_add(&w->acceptors, 1);
	pthread_mutex_lock(&w->accept_lock);
	while (!atomic_load(&w->stopping)) {
		struct pollfd p[2] = {{w->listen_fd, POLLIN, 0},
				      {w->wake[0], POLLIN, 0}};
		int e;

		if (poll(p, 2, -1) < 0) {
			if (errno != EINTR) {
				log_error("poll: %s", strerror(errno));
				sleep_ms(100);
			}
			continue;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
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
	atomic_fetch_sub(&w->acceptors, 1);
	return fd;
}

static void *conn_thread(void *arg)
{
	struct worker *w = arg;
	unsigned char *buf = malloc(PREAMBLE_MAX);
	FCGX_Request req;

	if (buf == NULL) {
		log_error("out of memory for a connection thread");
		return NULL;
	}
	FCGX_InitRequest(&req, -1, 0);
	for (;;) {
		int fd = accept_conn(w);
		if (fd < 0)
			break;
		serve_conn(w, buf, &req, fd);
	}
	if (thread_policy.ref) {
		policy_release(w, thread_policy.ref);
		thread_policy.ref = NULL;
	}
	free(buf);
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

static void worker_reload(struct worker *w)
{
	struct config *cfg = config_load(w->set->config_file);
	struct policy_ref *p, *old;

	if (cfg == NULL) {
		log_error("reload failed, keeping the old policy");
		return;
	}
	p = policy_new(cfg);
	if (p == NULL) {
		log_error("reload failed (out of memory), keeping the old "
			  "policy");
		config_free(cfg);
		return;
	}
	apply_log_level(cfg);
	pthread_mutex_lock(&w->cfg_lock);
	old = w->cur;
	w->cur = p;
	pthread_mutex_unlock(&w->cfg_lock);
	atomic_fetch_add_explicit(&w->generation, 1, memory_order_release);
	policy_release(w, old);
	log_debug("policy reloaded from %s", w->set->config_file);
}

static void *signal_thread(void *arg)
{
	struct worker *w = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			worker_reload(w);
			continue;
		}
		log_debug("signal %d: finishing the requests in flight", sig);
		worker_stop(w);
		return NULL;
	}
}

/* Runs a worker process until SIGTERM/SIGINT; takes ownership of cfg.
 * Returns the process's exit status. */
static int worker_run(const struct settings *s, struct config *cfg,
		      pid_t master)
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
	w.listen_fd = s->lst.fd;
	w.wake[0] = w.wake[1] = -1;
	atomic_init(&w.stopping, false);
	atomic_init(&w.acceptors, 0);
	pthread_mutex_init(&w.accept_lock, NULL);
	pthread_mutex_init(&w.cfg_lock, NULL);
	w.cur = policy_new(cfg);
	if (w.cur == NULL) {
		config_free(cfg);
		log_error("out of memory");
		goto fail_mutex;
	}
	/* SIGCHLD is the master's; a worker's children are its own. The
	 * other signals stay blocked: the signal thread takes them. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	/* A worker does not outlive its master. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != master) {
		log_error("the master is gone");
		goto fail;
	}
	if (cgi_init() < 0)
		goto fail;
	if (pipe2(w.wake, O_CLOEXEC) < 0) {
		log_error("pipe: %s", strerror(errno));
		goto fail;
	}
	tids = calloc((size_t)s->threads, sizeof(*tids));
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
	for (; started < s->threads; started++) {
		err = pthread_create(&tids[started], &attr, conn_thread, &w);
		if (err != 0) {
			log_error("pthread_create: %s (%ld of %ld threads "
				  "started)",
				  strerror(err), started, s->threads);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	if (started < s->threads)
		pthread_kill(sig_tid, SIGTERM); /* stop the ones started */
	else
		rc = 0;
	for (long i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	/* scripts that outlived their answers: stopped, and reaped */
	cgi_reap_wait(true);
fail:
	if (sig_started) {
		if (!atomic_load(&w.stopping))
			pthread_kill(sig_tid, SIGTERM);
		pthread_join(sig_tid, NULL);
	}
	free(tids);
	if (w.wake[0] >= 0)
		close(w.wake[0]);
	if (w.wake[1] >= 0)
		close(w.wake[1]);
	if (w.cur)
		policy_release(&w, w.cur);
fail_mutex:
	pthread_mutex_destroy(&w.accept_lock);
	pthread_mutex_destroy(&w.cfg_lock);
	return rc;
}

/* ---- the master ---- */

struct slot {
	pid_t pid; /* 0: empty */
	int64_t started;
};

static void log_exit(pid_t pid, int status, bool expected)
{
	if (WIFSIGNALED(status))
		log_msg(expected ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR,
			"worker %ld killed by signal %d (%s)%s", (long)pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			expected ? "" : "; starting another");
	else if (!expected || WEXITSTATUS(status) != 0)
		log_msg(expected ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR,
			"worker %ld exited with status %d%s", (long)pid,
			WEXITSTATUS(status),
			expected ? "" : "; starting another");
	else
		log_debug("worker %ld exited", (long)pid);
}

struct master {
	const struct settings *set;
	struct config *cfg;
	struct slot *slots;
	long alive;
	int fast_fails;	   /* workers in a row that died at start */
	int64_t next_fork; /* no fork before this (restart throttling) */
};

/* Reaps every exited worker; schedules replacements unless stopping. */
static void master_reap(struct master *m, bool stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int64_t now = now_ms();
		long i;

		for (i = 0; i < m->set->workers; i++)
			if (m->slots[i].pid == pid)
				break;
		if (i == m->set->workers)
			continue; /* not a worker */
		m->slots[i].pid = 0;
		m->alive--;
		log_exit(pid, status, stopping);
		if (stopping)
			continue;
		if (now - m->slots[i].started < RESTART_FAST_MS) {
			/* 100 ms, 200 ms, 400 ms... up to 10 s */
			int64_t delay = RESTART_DELAY_MIN_MS;
			for (int k = 0;
			     k < m->fast_fails && delay < RESTART_DELAY_MAX_MS;
			     k++)
				delay *= 2;
			if (delay > RESTART_DELAY_MAX_MS)
				delay = RESTART_DELAY_MAX_MS;
			m->fast_fails++;
			m->next_fork = now + delay;
			log_error(
			    "worker %ld lived %lld ms; next start in %lld "
			    "ms",
			    (long)pid, (long long)(now - m->slots[i].started),
			    (long long)delay);
		} else {
			m->fast_fails = 0;
		}
	}
}

static void master_reload(struct master *m)
{
	struct config *cfg;

	log_info("SIGHUP: reloading %s", m->set->config_file);
	cfg = config_load(m->set->config_file);
	if (cfg == NULL) {
		log_error("reload failed, keeping the old policy");
		return;
	}
	apply_log_level(cfg);
	if (cfg->gateway.workers || cfg->gateway.threads ||
	    cfg->gateway.listen || cfg->gateway.user || cfg->gateway.group)
		log_debug("[gateway] listen, workers, threads, user and group "
			  "take effect at the next start");
	config_free(m->cfg);
	m->cfg = cfg;
	for (long i = 0; i < m->set->workers; i++)
		if (m->slots[i].pid > 0)
			kill(m->slots[i].pid, SIGHUP);
}

/* Forks the missing workers. Returns 1 in a new worker (after it ran:
 * *status is its exit status), else 0. */
static int master_fork(struct master *m, int *status)
{
	for (long i = 0; i < m->set->workers; i++) {
		pid_t pid;

		if (m->slots[i].pid != 0)
			continue;
		if (now_ms() < m->next_fork)
			return 0;
		pid = fork();
		if (pid < 0) {
			log_error("fork: %s", strerror(errno));
			m->fast_fails++;
			m->next_fork = now_ms() + RESTART_DELAY_MAX_MS / 10;
			return 0;
		}
		if (pid == 0) {
			struct config *cfg = m->cfg;
			pid_t master = getppid();
			free(m->slots);
			m->slots = NULL;
			m->cfg = NULL; /* the worker owns its copy */
			*status = worker_run(m->set, cfg, master);
			return 1;
		}
		m->slots[i].pid = pid;
		m->slots[i].started = now_ms();
		m->alive++;
	}
	return 0;
}

static void master_stop(struct master *m, const sigset_t *set)
{
	int grace = m->set->io_timeout * SHUTDOWN_GRACE_TIMEOUTS;
	int64_t deadline = now_ms() + (int64_t)grace * 1000;
	bool killed = false;

	log_info("stopping: waiting for %ld worker%s to finish the requests in "
		 "flight",
		 m->alive, m->alive == 1 ? "" : "s");
	for (long i = 0; i < m->set->workers; i++)
		if (m->slots[i].pid > 0)
			kill(m->slots[i].pid, SIGTERM);
	master_reap(m, true);
	while (m->alive > 0) {
		int64_t left = deadline - now_ms();
		struct timespec ts;

		if (left <= 0 && !killed) {
			log_error("workers still busy after %d s: killing them",
				  grace);
			for (long i = 0; i < m->set->workers; i++)
				if (m->slots[i].pid > 0)
					kill(m->slots[i].pid, SIGKILL);
			killed = true;
		}
		if (left < 100)
			left = 100;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		sigtimedwait(set, NULL, &ts);
		master_reap(m, true);
	}
}

/* Runs the master until SIGTERM/SIGINT. Returns the exit status; in a
 * worker, *in_worker is set and the worker's status returned. */
static int master_run(const struct settings *s, struct config **cfg,
		      bool *in_worker)
{
	struct master m;
	sigset_t set;
	int status = 0;

	memset(&m, 0, sizeof(m));
	m.set = s;
	m.cfg = *cfg;
	*cfg = NULL;
	m.slots = calloc((size_t)s->workers, sizeof(*m.slots));
	if (m.slots == NULL) {
		log_error("out of memory");
		*cfg = m.cfg;
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		struct timespec ts;
		int sig;

		if (m.alive < s->workers && master_fork(&m, &status)) {
			*in_worker = true;
			*cfg = NULL;
			return status;
		}
		if (m.alive < s->workers) {
			int64_t left = m.next_fork - now_ms();
			if (left < 1)
				left = 1;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000L;
			sig = sigtimedwait(&set, NULL, &ts);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig == SIGCHLD) {
			master_reap(&m, false);
		} else if (sig == SIGHUP) {
			master_reload(&m);
		} else if (sig == SIGTERM || sig == SIGINT) {
			master_stop(&m, &set);
			break;
		}
	}
	free(m.slots);
	*cfg = m.cfg;
	log_info("stopped");
	return 0;
}

/* ---- start ---- */

static int resolve_ids(const char *user, const char *group, uid_t *uid,
		       gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			log_error("user '%s': no such user", user);
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			log_error("group '%s': no such group", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* Switches to user/group for good (when given), then refuses uid 0
 * unless allowed. Returns 0, or -1 after logging why. */
static int drop_privileges(const char *user, const char *group,
			   const struct listener *l, bool allow_root)
{
	uid_t uid;
	gid_t gid;

	if (resolve_ids(user, group, &uid, &gid) < 0)
		return -1;
	if ((user || group) && geteuid() != 0) {
		if ((user && uid != geteuid()) || (group && gid != getegid())) {
			log_error(
			    "cannot switch to %s%s%s: not running as root",
			    user ? user : "", user && group ? ":" : "",
			    group ? group : "");
			return -1;
		}
	} else if (user || group) {
		if (listen_chown(l, uid, group ? gid : (gid_t)-1) < 0)
			return -1;
		if (user ? initgroups(user, gid) < 0 : setgroups(1, &gid) < 0) {
			log_error("setgroups: %s", strerror(errno));
			return -1;
		}
		if (setresgid(gid, gid, gid) < 0) {
			log_error("setgid(%ld): %s", (long)gid,
				  strerror(errno));
			return -1;
		}
		if (user && setresuid(uid, uid, uid) < 0) {
			log_error("setuid(%ld): %s", (long)uid,
				  strerror(errno));
			return -1;
		}
		if (user && uid != 0 &&
		    (setuid(0) != -1 || seteuid(0) != -1 || geteuid() == 0)) {
			log_error("dropped to %s, but root could be regained; "
				  "not serving",
				  user);
			return -1;
		}
	}
	if (geteuid() == 0 && !allow_root) {
		log_error(
		    "refusing to serve as root: give an unprivileged user "
		    "with -u USER (or user = in [gateway]), or pass "
		    "--allow-root");
		return -1;
	}
	return 0;
}

static int io_timeout_from_env(void)
{
	const char *s = getenv("CORSGATE_IO_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return DEFAULT_IO_TIMEOUT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > MAX_IO_TIMEOUT) {
		log_warn("CORSGATE_IO_TIMEOUT=%s: not 1..%d seconds; using %d",
			 s, MAX_IO_TIMEOUT, DEFAULT_IO_TIMEOUT);
		return DEFAULT_IO_TIMEOUT;
	}
	return (int)v;
}

static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* Blocks the signals the master and workers wait for, ignores SIGPIPE,
 * and undoes the handlers FCGX_Init() installs. */
static int setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGUSR1, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	return 0;
}

int fcgi_serve(const struct fcgi_opts *opts)
{
	struct settings s;
	struct config *cfg = NULL;
	const char *listen_spec, *mode, *user, *group;
	bool in_worker = false, bound = false;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.lst.fd = -1;
	s.config_file = opts->config_file;
	if (FCGX_Init() != 0) {
		log_error("libfcgi: initialisation failed");
		goto fail;
	}
	if (setup_signals() < 0) {
		log_error("signals: %s", strerror(errno));
		goto fail;
	}
	cfg = config_load(opts->config_file);
	if (cfg == NULL) {
		log_error("%s: not starting", opts->config_file);
		goto fail;
	}
	apply_log_level(cfg);
	s.io_timeout = io_timeout_from_env();
	s.threads =
	    cfg->gateway.threads > 0 ? cfg->gateway.threads : DEFAULT_THREADS;
	if (s.threads > MAX_THREADS) {
		log_error("threads = %ld: at most %d", s.threads, MAX_THREADS);
		goto fail;
	}

	listen_spec = opts->listen ? opts->listen : cfg->gateway.listen;
	mode = opts->socket_mode ? opts->socket_mode : cfg->gateway.socket_mode;
	user = opts->user ? opts->user : cfg->gateway.user;
	group = opts->group ? opts->group : cfg->gateway.group;
	if (mode) {
		mode_t m;
		if (listen_parse_mode(mode, &m) < 0) {
			log_error("socket mode '%s': not an octal mode (e.g. "
				  "0660)",
				  mode);
			goto fail;
		}
	}
	if (user || group) { /* fail on an unknown name before binding */
		uid_t uid;
		gid_t gid;
		if (resolve_ids(user, group, &uid, &gid) < 0)
			goto fail;
	}
	if (listen_open(&s.lst, listen_spec, mode) < 0)
		goto fail;
	bound = true;
	if (mode && s.lst.kind != LISTEN_UNIX)
		log_warn("socket mode %s ignored: %s is not a unix socket "
			 "bound here",
			 mode, s.lst.desc);

	/* Under spawn-fcgi or lighttpd the spawner decides how many
	 * processes run: one worker each unless told otherwise. */
	s.workers = opts->workers > 0		 ? opts->workers
		    : cfg->gateway.workers > 0	 ? cfg->gateway.workers
		    : s.lst.kind == LISTEN_STDIN ? 1
						 : online_cpus();
	if (s.workers > MAX_WORKERS) {
		log_error("workers = %ld: at most %d", s.workers, MAX_WORKERS);
		goto fail;
	}
	if (drop_privileges(user, group, &s.lst, opts->allow_root) < 0)
		goto fail;

	log_info("serving %s on %s: %ld worker%s x %ld threads", s.config_file,
		 s.lst.desc, s.workers, s.workers == 1 ? "" : "s", s.threads);
	rc = master_run(&s, &cfg, &in_worker);
fail:
	if (bound)
		listen_release(&s.lst, !in_worker);
	config_free(cfg);
	return rc;
}
