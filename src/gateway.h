/* gateway.h - one request through the gateway, for every front: look up
 * the policy for the path, decide, then answer here (a preflight, a
 * blocked request, a gateway error) or run the script; and the one table
 * from a failure to the status code the client gets.
 *
 * A front (worker.c for FastCGI, cgimode.c for CGI) only translates its
 * transport into params and a struct request_io, and says how the script
 * is found; everything a client can see is decided here, so both fronts
 * answer the same request with the same bytes.
 */
#ifndef CORSGATE_GATEWAY_H
#define CORSGATE_GATEWAY_H

#include <stdbool.h>

#include "cgi.h"
#include "config.h"
#include "cors.h"
#include "request.h"

/* Every way a request can fail before or instead of a script's answer. */
enum gateway_fail {
	GATEWAY_F_NO_METHOD,	  /* 400: no REQUEST_METHOD */
	GATEWAY_F_NUL_PARAM,	  /* 400: a param holds a NUL byte */
	GATEWAY_F_BAD_LENGTH,	  /* 400: CONTENT_LENGTH is not a number */
	GATEWAY_F_FORBIDDEN,	  /* 403: the script may not be run */
	GATEWAY_F_NOT_FOUND,	  /* 404: no such script */
	GATEWAY_F_BODY_TOO_BIG,	  /* 413: body over max_body */
	GATEWAY_F_PARAMS_TOO_BIG, /* 431: params over REQUEST_PARAMS_MAX */
	GATEWAY_F_NO_MEMORY,	  /* 500 */
	GATEWAY_F_NO_POLICY,	  /* 500: CGI mode: the policy did not load */
	GATEWAY_F_NO_CGI_ROOT,	  /* 500: no cgi_root: no script may run */
	GATEWAY_F_NO_SCRIPT,	  /* 500: the web server names no script */
	GATEWAY_F_NOT_ACTION,	  /* 500: CGI mode not run as an Action */
	GATEWAY_F_SPAWN,	  /* 502: the script cannot be run */
	GATEWAY_F_BAD_OUTPUT,	  /* 502: its header block is bad */
	GATEWAY_F_EARLY_END,	  /* 502: it ended before its headers */
	GATEWAY_F_TIMEOUT,	  /* 504: no output for script_timeout */
	GATEWAY_F_NO_STATS,	  /* 501: the status page without shared
				     counters (CGI mode) */
};

/* The status code of a failure. */
int gateway_fail_status(enum gateway_fail f);

/* Answers failure f (its status, a one-line body naming msg, or the
 * table's phrase when msg is NULL), with v's CORS headers when v is
 * enforced (not NULL, not CORS_DISABLED, not report-only), so that an
 * allowed page can read the error. A script's failure (spawn, bad output,
 * early end, timeout) is counted in the status page's script failures.
 * Returns 0, or -1 when r->io failed. Logs nothing: the caller says why
 * in its own words. */
int gateway_fail(const struct request *r, const struct cors_verdict *v,
		 enum gateway_fail f, const char *msg);

/* How a front hands a request over. */
struct gateway_front {
	enum request_front kind; /* which rule forms the policy path */
	/* Finds the script for r, whose policy path is path[0..len): fills
	 * *t (views into the front's own storage, valid until the next
	 * call). Returns 0, or -1 with the failure in *f, logged. */
	int (*script)(void *ctx, const struct request *r, const char *path,
		      size_t len, struct cgi_target *t, enum gateway_fail *f);
	void *ctx;
	/* Read what is left of the body before the answer ends, so that a
	 * kept-alive connection is left at the next request. */
	bool drain;
	/* The params as the wire held them (FastCGI: counted by
	 * fcgiwire_check), or 0 entries: not known. The copy of params
	 * must hold exactly expect_nenv strings of expect_bytes bytes
	 * (request.h's params_bytes); fewer bytes mean a NUL byte inside a
	 * param, where the front's library cut it short: refused with 400. */
	size_t expect_nenv;
	size_t expect_bytes;
	/* Called once a script is found, before it runs: a front that has
	 * served the request from memory so far (fcgidirect.h) hands it to
	 * its streams and sets r->io to them; nothing has been written
	 * through the old io. NULL: r->io is the streams already. Returns 0,
	 * or -1 when the connection failed (logged; the request ends). */
	int (*stream)(void *stream_ctx, struct request *r);
	void *stream_ctx;
};

/* Serves one request: params (an array of "NAME=value" strings ending
 * with NULL) through io, under the policy cfg (NULL: it did not load -
 * answered 500). A request for [gateway] status_path is answered here
 * with the status page (stats.h), before any policy lookup; under an
 * enforced policy preflights and blocked requests are answered here too,
 * and in report-only everything goes to the script (cgi_run compares). Returns
 * 0 when the connection may serve another request, -1 when it must be closed;
 * an answer cut short has been ended through io->abort already. */
int gateway_serve(char *const *params, const struct request_io *io,
		  const struct config *cfg, const struct gateway_front *f);

#endif
