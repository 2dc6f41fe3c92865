/* gateway.c - one request through the gateway. See gateway.h. */
#include "gateway.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

/* The one table from a failure to what the client gets. */
static const struct {
	const char *text;
	int status;
	enum stats_counter script; /* a script's failure; 0 (STATS_REQUESTS,
				     never one): none */
} fails[] = {
    [GATEWAY_F_NO_METHOD] = {"no REQUEST_METHOD", 400},
    [GATEWAY_F_NUL_PARAM] = {"a NUL byte in a param", 400},
    [GATEWAY_F_BAD_LENGTH] = {"bad Content-Length", 400},
    [GATEWAY_F_FORBIDDEN] = {"the script may not be run", 403},
    [GATEWAY_F_NOT_FOUND] = {"no such script", 404},
    [GATEWAY_F_BODY_TOO_BIG] = {"request body over max_body", 413},
    [GATEWAY_F_PARAMS_TOO_BIG] = {"params block too large", 431},
    [GATEWAY_F_NO_MEMORY] = {"out of memory", 500},
    [GATEWAY_F_NO_POLICY] = {"policy not loaded", 500},
    [GATEWAY_F_NO_CGI_ROOT] = {"no cgi_root", 500},
    [GATEWAY_F_NO_SCRIPT] = {"no script named by the web server", 500},
    [GATEWAY_F_NOT_ACTION] = {"corsgate is not set up as an Action "
			      "handler",
			      500},
    [GATEWAY_F_SPAWN] = {"the script cannot be run", 502,
			 STATS_SCRIPT_FAIL_SPAWN},
    [GATEWAY_F_BAD_OUTPUT] = {"bad output from the script", 502,
			      STATS_SCRIPT_FAIL_BAD_OUTPUT},
    [GATEWAY_F_EARLY_END] = {"the script ended before its headers", 502,
			     STATS_SCRIPT_FAIL_EARLY_END},
    [GATEWAY_F_TIMEOUT] = {"the script timed out", 504,
			   STATS_SCRIPT_FAIL_TIMEOUT},
    [GATEWAY_F_NO_STATS] = {"no status page in CGI mode: each request "
			    "is its own process, there are no shared "
			    "counters",
			    501},
};

int gateway_fail_status(enum gateway_fail f)
{
	return (size_t)f < sizeof(fails) / sizeof(fails[0]) ? fails[f].status
							    : 500;
}

int gateway_fail(const struct request *r, const struct cors_verdict *v,
		 enum gateway_fail f, const char *msg)
{
	if ((size_t)f >= sizeof(fails) / sizeof(fails[0]))
		f = GATEWAY_F_NO_MEMORY;
	if (fails[f].script != 0)
		stats_add(fails[f].script);
	return request_answer_error(r, v, fails[f].status,
				    msg ? msg : fails[f].text);
}

static int clamp(size_t n)
{
	return n < 512 ? (int)n : 512;
}

/* Reads the rest of the request body and throws it away: the request is
 * complete before it is answered, and a kept-alive connection is left at
 * the start of the next request. Returns 0, or -1 on a read error. */
static int drain_body(const struct request *r)
{
	char buf[1024]; /* under a page: called for every request */
	long n;

	while ((n = r->io.read(r->io.ctx, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* Answers f after the body, when the front wants it drained. */
static int fail_drained(const struct request *r, const struct cors_verdict *v,
			const struct gateway_front *f, enum gateway_fail why)
{
	if (f->drain && drain_body(r) < 0)
		return -1;
	return gateway_fail(r, v, why, NULL);
}

/* A request whose params could not be taken: answered on a bare request
 * (only its io), and the connection closed. */
static int refuse(const struct request_io *io, const struct gateway_front *f,
		  enum request_err err)
{
	struct request bare;

	memset(&bare, 0, sizeof(bare));
	bare.io = *io;
	log_error("request refused: %s", request_strerror(err));
	(void)fail_drained(&bare, NULL, f,
			   err == REQUEST_E_TOOBIG ? GATEWAY_F_PARAMS_TOO_BIG
						   : GATEWAY_F_NO_MEMORY);
	return -1;
}

/* The script path: everything the gateway does not answer itself (not a
 * preflight, a disabled path, an actual request allowed or refused but not
 * blocked). */
static int run_script(struct request *r, const struct cors_verdict *v,
		      const struct config *cfg, const struct gateway_front *f,
		      const char *path, size_t len)
{
	struct cgi_target t;
	enum gateway_fail why;
	int rc;

	if (f->script(f->ctx, r, path, len, &t, &why) < 0)
		rc = gateway_fail(r, v, why, NULL);
	else if (f->stream && f->stream(f->stream_ctx, r) < 0)
		rc = -1; /* the front lost the connection, and said why */
	else
		rc = cgi_run(r, &t, v, &cfg->gateway.script);
	if (rc == 0 && f->drain) /* what the script left of the body */
		rc = drain_body(r);
	return rc;
}

/* The status page, in the format the query asks for. */
static int status_page(const struct request *r, const struct gateway_front *f)
{
	struct stats_snapshot s;
	char page[8192], *big = NULL;
	enum stats_format fmt =
	    stats_format_from_query(request_param(r, "QUERY_STRING"));
	int rc;

	if (f->drain && drain_body(r) < 0)
		return -1;
	if (!stats_enabled())
		return gateway_fail(r, NULL, GATEWAY_F_NO_STATS, NULL);
	stats_snapshot(&s);
	size_t n = stats_render(&s, fmt, page, sizeof(page));
	const char *body = page;
	if (n >= sizeof(page)) {
		big = malloc(n + 1);
		if (big == NULL)
			return gateway_fail(r, NULL, GATEWAY_F_NO_MEMORY, NULL);
		stats_render(&s, fmt, big, n + 1);
		body = big;
	}
	rc = request_answer_page(r, stats_content_type(fmt), body, n);
	free(big);
	return rc;
}

static bool is_status_path(const struct config *cfg, const char *path,
			   size_t len)
{
	const char *sp = cfg->gateway.status_path;
	return sp && strlen(sp) == len && memcmp(sp, path, len) == 0;
}

static int serve(struct request *r, const struct config *cfg,
		 const struct gateway_front *f)
{
	const char *path = r->path;
	size_t len = r->path_len;
	char *own = NULL;
	struct cors_verdict v;
	int rc;

	if (f->expect_nenv &&
	    (r->nenv != f->expect_nenv || r->params_bytes != f->expect_bytes)) {
		log_error("%s %.*s: a param holds a NUL byte: answered 400",
			  r->method, clamp(r->path_len), r->path);
		return fail_drained(r, NULL, f, GATEWAY_F_NUL_PARAM);
	}
	if (cfg == NULL) {
		log_error("%s %.*s: the policy did not load: answered 500",
			  r->method, clamp(r->path_len), r->path);
		return fail_drained(r, NULL, f, GATEWAY_F_NO_POLICY);
	}
	if (f->kind != REQUEST_FRONT_FASTCGI) {
		own = request_policy_path(r, f->kind, &len, NULL);
		if (own == NULL)
			return fail_drained(r, NULL, f, GATEWAY_F_NO_MEMORY);
		path = own;
		if (len == 0) {
			log_error("no PATH_INFO: corsgate runs as an Action "
				  "handler (see etc/apache/htaccess.example): "
				  "answered 500");
			free(own);
			return fail_drained(r, NULL, f, GATEWAY_F_NOT_ACTION);
		}
	}
	if (is_status_path(cfg, path, len)) {
		rc = status_page(r, f);
		free(own);
		return rc;
	}
	cors_decide(config_lookup(cfg, path, len), &r->cors, &v);
	if (!cors_enforced(&v)) {
		/* disabled, or report-only: the script answers, untouched */
		rc = run_script(r, &v, cfg, f, path, len);
		free(own);
		return rc;
	}
	stats_verdict(&v);
	if (!cors_allowed(&v))
		request_log_refused(r, path, &v);
	if (v.status != 0) {
		/* the body first: drained, the request is complete */
		rc = f->drain ? drain_body(r) : 0;
		if (rc == 0)
			rc = request_answer_verdict(r, &v);
	} else {
		rc = run_script(r, &v, cfg, f, path, len);
	}
	free(own);
	return rc;
}

int gateway_serve(char *const *params, const struct request_io *io,
		  const struct config *cfg, const struct gateway_front *f)
{
	struct request r;
	enum request_err err = request_init(&r, params, io);
	int rc;

	stats_add(STATS_REQUESTS);
	if (err == REQUEST_E_NOMETHOD) {
		log_error(
		    "request for %.*s without REQUEST_METHOD: answered 400 "
		    "(check the web server's fastcgi_params)",
		    clamp(r.path_len), r.path);
		rc = fail_drained(&r, NULL, f, GATEWAY_F_NO_METHOD);
		request_free(&r);
		return rc;
	}
	if (err != REQUEST_OK)
		return refuse(io, f, err);
	rc = serve(&r, cfg, f);
	if (rc == CGI_ABORT) {
		/* r.io: the streams the script's answer went to (the front
		 * may have switched to them, gateway_front.stream) */
		if (r.io.abort)
			r.io.abort(r.io.ctx);
		rc = -1;
	} else if (rc < 0) {
		log_debug("%s %.*s: the connection failed while answering",
			  r.method, clamp(r.path_len), r.path);
	}
	request_free(&r);
	return rc;
}
