/* request.h - one request as the gateway sees it, with no libfcgi type:
 * the FastCGI params copied out of the library, the CORS facts taken from
 * them, and the two byte streams (request body in, response out) behind
 * function pointers.
 *
 * A front (worker.c, cgimode.c) fills one per request; the CORS decision and
 * the script runner read it. It stays valid until request_free(), whatever
 * libfcgi does with its own copies.
 */
#ifndef CORSGATE_REQUEST_H
#define CORSGATE_REQUEST_H

#include <stddef.h>

#include "cors.h"

/* Most bytes of params (names + values) a request may carry. The web server
 * sends the request's headers as params; nginx's default limits stay far
 * below this. */
#define REQUEST_PARAMS_MAX ((size_t)64 * 1024)

enum request_err {
	REQUEST_OK = 0,
	REQUEST_E_TOOBIG,   /* params over REQUEST_PARAMS_MAX bytes */
	REQUEST_E_NOMETHOD, /* no REQUEST_METHOD, or an empty one */
	REQUEST_E_NOMEM,
};

/* A static English phrase. Never NULL. */
const char *request_strerror(enum request_err err);

/* The request's body and the response, as the front provides them. */
struct request_io {
	/* Reads up to n bytes of the request body into buf. Returns the
	 * number read, 0 at the end of the body, -1 on error. */
	long (*read)(void *ctx, char *buf, size_t n);
	/* Writes buf[0..n) of the response (CGI-style header block, then
	 * the body). Returns 0, or -1 on error. */
	int (*write)(void *ctx, const char *buf, size_t n);
	void *ctx;
	/* Sends on what write() buffered, so that a script's output reaches
	 * the client as it comes. NULL: write() does not buffer. Returns 0,
	 * or -1 on error. */
	int (*flush)(void *ctx);
	/* Writes to the web server's error log (the FastCGI stderr stream).
	 * NULL: there is none. Returns 0, or -1 on error. */
	int (*err_write)(void *ctx, const char *buf, size_t n);
	/* Reads up to n bytes of the request body that have already arrived,
	 * never waiting for more. Returns the number read, 0 at the end of
	 * the body, -1 on error, REQUEST_IO_AGAIN when nothing has arrived
	 * yet: poll(2) fd for POLLIN, then call again. NULL: read() never
	 * waits (the body is all there), use it instead. */
	long (*read_some)(void *ctx, char *buf, size_t n);
	/* The descriptor the body arrives on, for poll(2); -1 with
	 * read_some NULL. */
	int fd;
	/* Ends the response as cut short: the web server must pass it on
	 * as incomplete, never as a whole answer (the script died after its
	 * headers went out). The connection is unusable afterwards. NULL:
	 * the front cannot say so. Returns 0, or -1 on error. */
	int (*abort)(void *ctx);
};

/* read_some(): nothing to read yet. */
#define REQUEST_IO_AGAIN (-2L)

struct request {
	/* Every param as "NAME=value", NULL-terminated, in the order
	 * received; the strings live in one block owned by the request. */
	char **env;
	size_t nenv;
	size_t params_bytes; /* sum of the names' and values' lengths */

	const char *method; /* REQUEST_METHOD, never NULL after init */
	char *path;	    /* the policy path (request_policy_path's rule), in
			       env's block */
	size_t path_len;

	/* The CORS facts, views into env's strings. */
	struct cors_request cors;

	struct request_io io;
};

/* Copies params (an array of "NAME=value" strings ending with NULL, e.g.
 * libfcgi's envp) into *r and takes the CORS facts from them; io is stored
 * as given. Returns REQUEST_OK, or an error with *r left empty (nothing to
 * free). Only REQUEST_E_NOMETHOD leaves *r filled (free it): the front
 * still answers 400 through r->io. */
enum request_err request_init(struct request *r, char *const *params,
			      const struct request_io *io);

/* Which front a request came through, for its policy path. */
enum request_front {
	REQUEST_FRONT_FASTCGI, /* the web server's FastCGI params */
	REQUEST_FRONT_ACTION,  /* CGI mode: run as an Apache Action handler,
				  corsgate's own SCRIPT_NAME in the params */
};

/* How a policy path was formed from the params. */
enum request_path_how {
	REQUEST_PATH_JOINED,	  /* SCRIPT_NAME followed by PATH_INFO */
	REQUEST_PATH_SCRIPT_NAME, /* SCRIPT_NAME, which already ends with
				     PATH_INFO (nginx: fastcgi_params sets
				     SCRIPT_NAME to the whole path and a
				     regex location sets PATH_INFO) */
	REQUEST_PATH_PATH_INFO,	  /* PATH_INFO alone (CGI mode: the Action
				     handler's PATH_INFO is the URL path;
				     or SCRIPT_NAME is "/") */
};

/* A static English phrase for how. Never NULL. */
const char *request_path_how_str(enum request_path_how how);

/* The policy path of r: the path the browser asked for, decoded, as the
 * web server hands it over - the same rule for every front and server
 * (nginx with or without fastcgi_split_path_info or a regex PATH_INFO,
 * lighttpd, Apache, CGI mode). FASTCGI: SCRIPT_NAME followed by
 * PATH_INFO, except that a SCRIPT_NAME that already ends with PATH_INFO
 * is taken alone (unless REQUEST_URI, percent-decoded, shows the path
 * really repeats), and a SCRIPT_NAME of "/" before a PATH_INFO starting
 * with '/' is left out. ACTION: PATH_INFO. REQUEST_URI is never the path
 * itself. Returns a NUL-terminated string to free(), its length in *len,
 * how it was formed in *how (how may be NULL); NULL when out of memory. */
char *request_policy_path(const struct request *r, enum request_front front,
			  size_t *len, enum request_path_how *how);

/* The value of param name, or NULL when absent. The string is owned by r. */
const char *request_param(const struct request *r, const char *name);

/* Frees what request_init() allocated. Safe on an emptied request. */
void request_free(struct request *r);

/* Answers what the gateway answers itself - a preflight (allowed or
 * refused) or a blocked actual request - with the verdict's status and
 * headers verbatim; "Content-Length: 0" on a preflight, a short text body
 * otherwise. Returns 0, or -1 when r->io failed. */
int request_answer_verdict(const struct request *r,
			   const struct cors_verdict *v);

/* Answers a gateway error (status, e.g. 404 or 502) with a one-line text
 * body naming msg. With a verdict v that is enforced (cors_enforced) its CORS
 * headers are sent too, so that an allowed page can read the error; v may
 * be NULL. Returns 0, or -1 when r->io failed. */
int request_answer_error(const struct request *r, const struct cors_verdict *v,
			 int status, const char *msg);

/* Answers 200 with the page body[0..len) of type content_type, and
 * Cache-Control: no-store; no CORS header. For the status page. Returns 0,
 * or -1 when r->io failed. */
int request_answer_page(const struct request *r, const char *content_type,
			const char *body, size_t len);

/* Logs one info line for a refused CORS request: method, path, origin,
 * reason. */
void request_log_refused(const struct request *r, const char *path,
			 const struct cors_verdict *v);

#endif
