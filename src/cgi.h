/* cgi.h - running a CGI/1.1 script (RFC 3875) for one request: finding it
 * under cgi_root, its environment, spawning it, pumping the body in and its
 * output out at once, timeouts, killing and reaping.
 */
#ifndef CORSGATE_CGI_H
#define CORSGATE_CGI_H

#include "config.h"
#include "cors.h"
#include "request.h"

/* Seconds between SIGTERM and SIGKILL to a script's process group. */
#define CGI_KILL_GRACE 2
/* Bytes of a script's stderr kept per request; the rest is dropped. */
#define CGI_STDERR_MAX ((size_t)64 * 1024)
/* Milliseconds a complete header block waits for body bytes that have
 * stopped coming before it goes out anyway (a body that trickles in). */
#define CGI_BODY_STALL_MS 250

/* What cgi_run() returns. */
enum {
	CGI_OK = 0,	/* answered; the connection may serve another request */
	CGI_CLOSE = -1, /* the connection must be closed (the answer was not
			   sent whole, or part of the body is unread) */
	CGI_ABORT = -2, /* the answer began and was cut short (the script
			   was killed or its output ended too soon after its
			   headers went out): the front must end it as
			   incomplete (r->io.abort), then close */
};

/* Where the script is, for a request. */
struct cgi_target {
	const char *filename; /* the script's path as given (not resolved) */
	/* Params to replace in the script's environment, NAME=value each
	 * (CGI mode rewrites SCRIPT_NAME, SCRIPT_FILENAME, PATH_INFO); NULL
	 * entries end the list. May be NULL. */
	const char *const *override;
	/* Params to leave out of the script's environment (NULL-ended, may
	 * be NULL). */
	const char *const *drop;
};

/* Storage for a target found from a request's params. */
struct cgi_found {
	char file[4096];
	char script_name[4096 + 16];	 /* "SCRIPT_NAME=..." */
	char path_info[4096 + 16];	 /* "PATH_INFO=..." */
	char script_filename[4096 + 20]; /* "SCRIPT_FILENAME=..." */
	const char *override[4];
};

/* The script a FastCGI request names: SCRIPT_FILENAME, else DOCUMENT_ROOT
 * followed by SCRIPT_NAME (empty params count as absent). When that is a
 * directory and PATH_INFO goes on below it (lighttpd under a "/" prefix
 * names only the first segment), the segments of PATH_INFO are followed to
 * the first regular file, as Apache does, and the script gets SCRIPT_NAME,
 * PATH_INFO and SCRIPT_FILENAME to match. Fills *t with views into *f.
 * Returns 0, or -1 when the params name no script (or it does not fit). */
int cgi_target_from_params(const struct request *r, struct cgi_found *f,
			   struct cgi_target *t);

/* Frees what cgi_run() keeps for the calling thread's next run (a buffer
 * block); call it when a thread that ran scripts ends. */
void cgi_thread_end(void);

/* Runs the script t for request r and sends its answer through r->io,
 * rewritten by the verdict v (Access-Control-* from the script removed and
 * v's headers added, Vary merged) unless v->kind is CORS_DISABLED, where
 * the script's headers pass untouched. Errors get a short answer and one
 * log line: 404 (no such script), 403 (outside cgi_root, not a regular
 * file, in a directory writable by group or others, writable by group or
 * others itself, setuid or setgid - suEXEC's refusals - or not
 * executable), 413 (body over max_body), 500 (no cgi_root), 502
 * (exec failed, bad header block), 504 (no output for script_timeout).
 * The script runs in its own process group, which is killed on timeout
 * (script_timeout without output, request_timeout in all) or when the
 * client goes away. cgi_run never waits for the script's exit: the answer
 * ends when its output ends, and a script still running then, or being
 * killed, is reaped by the process's reaper thread (see cgi_reap_wait).
 * Returns CGI_OK, CGI_CLOSE or CGI_ABORT.
 * The caller ignores SIGPIPE (a script that exits without reading its body
 * closes the pipe being written); the script gets every signal at its
 * default. */
int cgi_run(const struct request *r, const struct cgi_target *t,
	    const struct cors_verdict *v, const struct config_script *g);

/* Starts the process's reaper thread (one eventfd, one thread), which
 * cgi_run() otherwise starts at its first need: a worker calls it before
 * serving, so that its threads and descriptors stay the same from then
 * on. Returns 0, or -1 (logged; cgi_run then waits for scripts itself). */
int cgi_init(void);

/* Waits until every script cgi_run() left running or being killed has
 * been reaped. hurry: kill them now (SIGTERM, SIGKILL after
 * CGI_KILL_GRACE) rather than let them run to script_timeout. For a
 * worker that stops, for CGI mode after its answer, and for tests. */
void cgi_reap_wait(bool hurry);

/* Scripts handed to the reaper and not reaped yet. */
size_t cgi_reap_pending(void);

#endif
