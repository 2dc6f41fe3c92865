/* gateway.c - one request through the gateway. See gateway.h. */
#include "gateway.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The one table from a failure to what the client gets. */
static const struct {
	int status;
	const char *text;
} fails[] = {
    [GATEWAY_F_NO_METHOD] = {400, "no REQUEST_METHOD"},
    [GATEWAY_F_NUL_PARAM] = {400, "a NUL byte in a param"},
    [GATEWAY_F_BAD_LENGTH] = {400, "bad Content-Length"},
    [GATEWAY_F_FORBIDDEN] = {403, "the script may not be run"},
    [GATEWAY_F_NOT_FOUND] = {404, "no such script"},
    [GATEWAY_F_BODY_TOO_BIG] = {413, "request body over max_body"},
    [GATEWAY_F_PARAMS_TOO_BIG] = {431, "params block too large"},
    [GATEWAY_F_NO_MEMORY] = {500, "out of memory"},
    [GATEWAY_F_NO_POLICY] = {500, "policy not loaded"},
    [GATEWAY_F_NO_CGI_ROOT] = {500, "no cgi_root"},
    [GATEWAY_F_NO_SCRIPT] = {500, "no script named by the web server"},
    [GATEWAY_F_NOT_ACTION] = {500, "corsgate is not set up as an Action "
				   "handler"},
    [GATEWAY_F_SPAWN] = {502, "the script cannot be run"},
    [GATEWAY_F_BAD_OUTPUT] = {502, "bad output from the script"},
    [GATEWAY_F_EARLY_END] = {502, "the script ended before its headers"},
    [GATEWAY_F_TIMEOUT] = {504, "the script timed out"},
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
	char buf[4096];
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
static int run_script(const struct request *r, const struct cors_verdict *v,
		      const struct config *cfg, const struct gateway_front *f,
		      const char *path, size_t len)
{
	struct cgi_target t;
	enum gateway_fail why;
	int rc;

	if (f->script(f->ctx, r, path, len, &t, &why) < 0)
		rc = gateway_fail(r, v, why, NULL);
	else
		rc = cgi_run(r, &t, v, &cfg->gateway.script);
	if (rc == 0 && f->drain) /* what the script left of the body */
		rc = drain_body(r);
	return rc;
}

static int serve(struct request *r, const struct config *cfg,
		 const struct gateway_front *f)
{
	const char *path = r->path;
	size_t len = r->path_len;
	char *own = NULL;
	struct cors_verdict v;
	int rc;

	if (f->nul_param) {
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
	cors_decide(config_lookup(cfg, path, len), &r->cors, &v);
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
		if (io->abort)
			io->abort(io->ctx);
		rc = -1;
	} else if (rc < 0) {
		log_debug("%s %.*s: the connection failed while answering",
			  r.method, clamp(r.path_len), r.path);
	}
	request_free(&r);
	return rc;
}
