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

/* Runs the script t for request r and sends its answer through r->io,
 * rewritten by the verdict v (Access-Control-* from the script removed and
 * v's headers added, Vary merged) unless v->kind is CORS_DISABLED, where
 * the script's headers pass untouched. Errors get a short answer and one
 * log line: 404 (no such script), 403 (outside cgi_root, not a regular
 * file, not executable), 413 (body over max_body), 500 (no cgi_root), 502
 * (exec failed, bad header block), 504 (no output for script_timeout).
 * The script runs in its own process group, which is killed on timeout or
 * when the client goes away; the script is always reaped.
 * Returns 0 when the connection may serve another request, -1 when the
 * answer could not be sent whole (the connection must be closed).
 * The caller ignores SIGPIPE (a script that exits without reading its body
 * closes the pipe being written); the script gets every signal at its
 * default. */
int cgi_run(const struct request *r, const struct cgi_target *t,
	    const struct cors_verdict *v, const struct config_gateway *g);

#endif
