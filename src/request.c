/* request.c - a request's params, copied. See request.h. */
#include "request.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *request_strerror(enum request_err err)
{
	switch (err) {
	case REQUEST_OK:
		return "no error";
	case REQUEST_E_TOOBIG:
		return "params larger than the limit";
	case REQUEST_E_NOMETHOD:
		return "no REQUEST_METHOD param";
	case REQUEST_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

const char *request_param(const struct request *r, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->nenv; i++) {
		const char *e = r->env[i];
		if (strncmp(e, name, len) == 0 && e[len] == '=')
			return e + len + 1;
	}
	return NULL;
}

static struct cors_str view(const struct request *r, const char *name)
{
	struct cors_str s;

	s.s = request_param(r, name);
	s.len = s.s ? strlen(s.s) : 0;
	return s;
}

const char *request_path_how_str(enum request_path_how how)
{
	switch (how) {
	case REQUEST_PATH_JOINED:
		return "SCRIPT_NAME followed by PATH_INFO";
	case REQUEST_PATH_SCRIPT_NAME:
		return "SCRIPT_NAME, which already ends with PATH_INFO";
	case REQUEST_PATH_PATH_INFO:
		return "PATH_INFO";
	}
	return "unknown";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether uri's path (up to '?' or '#'), percent-decoded, is exactly
 * a[0..alen) followed by b[0..blen). A %00 or a bad escape never
 * matches. */
static bool decoded_is(const char *uri, const char *a, size_t alen,
		       const char *b, size_t blen)
{
	size_t i = 0, total = alen + blen;
	for (const char *u = uri; *u && *u != '?' && *u != '#'; i++) {
		int c = (unsigned char)*u++;
		if (c == '%') {
			int h = hexval(u[0]), l = h < 0 ? -1 : hexval(u[1]);
			if (l < 0 || (h == 0 && l == 0))
				return false;
			c = h * 16 + l;
			u += 2;
		}
		if (i >= total ||
		    (unsigned char)(i < alen ? a[i] : b[i - alen]) != c)
			return false;
	}
	return i == total;
}

char *request_policy_path(const struct request *r, enum request_front front,
			  size_t *len, enum request_path_how *how)
{
	const char *sn = request_param(r, "SCRIPT_NAME");
	const char *pi = request_param(r, "PATH_INFO");
	size_t sn_len = sn ? strlen(sn) : 0;
	size_t pi_len = pi ? strlen(pi) : 0;
	enum request_path_how h = REQUEST_PATH_JOINED;

	if (front == REQUEST_FRONT_ACTION) {
		sn_len = 0;
		h = REQUEST_PATH_PATH_INFO;
	} else if (pi_len && sn_len == 1 && sn[0] == '/' && pi[0] == '/') {
		sn_len = 0; /* lighttpd's fix-root-scriptname */
		h = REQUEST_PATH_PATH_INFO;
	} else if (pi_len && sn_len >= pi_len &&
		   memcmp(sn + sn_len - pi_len, pi, pi_len) == 0) {
		/* /git/x with /x: the path, or a script /git/x asked for
		 * /git/x/x? The request line says, when there is one. */
		const char *uri = request_param(r, "REQUEST_URI");
		if (!uri || !decoded_is(uri, sn, sn_len, pi, pi_len)) {
			pi_len = 0;
			h = REQUEST_PATH_SCRIPT_NAME;
		}
	}
	char *path = malloc(sn_len + pi_len + 1);
	if (path == NULL)
		return NULL;
	if (sn_len)
		memcpy(path, sn, sn_len);
	if (pi_len)
		memcpy(path + sn_len, pi, pi_len);
	path[sn_len + pi_len] = '\0';
	*len = sn_len + pi_len;
	if (how)
		*how = h;
	return path;
}

enum request_err request_init(struct request *r, char *const *params,
			      const struct request_io *io)
{
	size_t n = 0, bytes = 0, total = 0;
	char *block, *p, *path;

	memset(r, 0, sizeof(*r));
	for (char *const *e = params; e && *e; e++) {
		size_t len = strlen(*e);
		/* "NAME=value": the '=' is not counted as params bytes */
		bytes += len ? len - 1 : 0;
		total += len + 1;
		n++;
		if (bytes > REQUEST_PARAMS_MAX)
			return REQUEST_E_TOOBIG;
	}
	/* One block: the pointer array, then the strings. */
	block = malloc((n + 1) * sizeof(char *) + total);
	if (block == NULL)
		return REQUEST_E_NOMEM;
	r->env = (char **)(void *)block;
	p = block + (n + 1) * sizeof(char *);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(params[i]) + 1;
		memcpy(p, params[i], len);
		r->env[i] = p;
		p += len;
	}
	r->env[n] = NULL;
	r->nenv = n;
	r->params_bytes = bytes;
	if (io)
		r->io = *io;

	path =
	    request_policy_path(r, REQUEST_FRONT_FASTCGI, &r->path_len, NULL);
	if (path == NULL) {
		free(r->env);
		memset(r, 0, sizeof(*r));
		return REQUEST_E_NOMEM;
	}
	r->path = path;

	r->cors.origin = view(r, "HTTP_ORIGIN");
	r->cors.acrm = view(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	r->cors.acrh = view(r, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
	r->cors.acrpn = view(r, "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK");
	r->cors.method = view(r, "REQUEST_METHOD");
	r->method = r->cors.method.s;
	if (r->method == NULL || r->cors.method.len == 0) {
		r->method = "";
		r->cors.method.s = "";
		r->cors.method.len = 0;
		return REQUEST_E_NOMETHOD;
	}
	return REQUEST_OK;
}

void request_free(struct request *r)
{
	free(r->env);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* ---- answers from the gateway itself ---------------------------------- */

static int put(const struct request *r, const char *s, size_t len)
{
	return r->io.write(r->io.ctx, s, len);
}

static int flush(const struct request *r)
{
	return r->io.flush ? r->io.flush(r->io.ctx) : 0;
}

static int put_status(const struct request *r, int status)
{
	char line[96];
	const char *text = cors_status_text(status);
	int n = snprintf(line, sizeof(line), "Status: %d%s%s\r\n", status,
			 *text ? " " : "", text);
	return put(r, line, (size_t)n);
}

/* The verdict's header lines. A value with a control byte (which
 * cors_decide never produces) is dropped rather than sent. */
static int put_headers(const struct request *r, const struct cors_verdict *v)
{
	for (size_t i = 0; i < v->nheaders; i++) {
		const struct cors_header *h = &v->headers[i];
		bool clean = true;
		for (size_t k = 0; k < h->value_len; k++) {
			unsigned char c = (unsigned char)h->value[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				clean = false;
		}
		if (!clean) {
			log_error("not sending %s: its value has a control "
				  "character",
				  h->name);
			continue;
		}
		if (put(r, h->name, strlen(h->name)) < 0 ||
		    put(r, ": ", 2) < 0 || put(r, h->value, h->value_len) < 0 ||
		    put(r, "\r\n", 2) < 0)
			return -1;
	}
	return 0;
}

static int put_text(const struct request *r, const char *body, size_t len)
{
	char head[128];
	int n = snprintf(head, sizeof(head),
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 len);
	if (put(r, head, (size_t)n) < 0 || put(r, body, len) < 0)
		return -1;
	return flush(r);
}

int request_answer_verdict(const struct request *r,
			   const struct cors_verdict *v)
{
	static const char refused[] =
	    "corsgate: this origin may not use this resource\n";
	bool preflight =
	    v->kind == CORS_PREFLIGHT_OK || v->kind == CORS_PREFLIGHT_REFUSED;

	if (put_status(r, v->status) < 0 || put_headers(r, v) < 0)
		return -1;
	if (preflight) {
		if (put(r, "Content-Length: 0\r\n\r\n", 21) < 0)
			return -1;
		return flush(r);
	}
	return put_text(r, refused, sizeof(refused) - 1);
}

int request_answer_error(const struct request *r, const struct cors_verdict *v,
			 int status, const char *msg)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "corsgate: %d %s: %s\n", status,
			 cors_status_text(status), msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)sizeof(body) - 1;
	if (put_status(r, status) < 0)
		return -1;
	if (v && v->kind != CORS_DISABLED && put_headers(r, v) < 0)
		return -1;
	return put_text(r, body, (size_t)n);
}

static int clamp(size_t n, int max)
{
	return n < (size_t)max ? (int)n : max;
}

void request_log_refused(const struct request *r, const char *path,
			 const struct cors_verdict *v)
{
	char reason[512];

	cors_reason_format(v, reason, sizeof(reason));
	log_info("%s %.*s origin %.*s: %s", r->method, clamp(strlen(path), 512),
		 path, clamp(r->cors.origin.len, 256),
		 r->cors.origin.s ? r->cors.origin.s : "", reason);
}
