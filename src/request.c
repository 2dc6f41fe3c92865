/* request.c - a request's params, copied. See request.h. */
#include "request.h"

#include <stdlib.h>
#include <string.h>

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

enum request_err request_init(struct request *r, char *const *params,
			      const struct request_io *io)
{
	size_t n = 0, bytes = 0, total = 0;
	char *block, *p, *path;
	const char *sn, *pi;
	size_t sn_len, pi_len;

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

	sn = request_param(r, "SCRIPT_NAME");
	pi = request_param(r, "PATH_INFO");
	sn_len = sn ? strlen(sn) : 0;
	pi_len = pi ? strlen(pi) : 0;
	path = malloc(sn_len + pi_len + 1);
	if (path == NULL) {
		free(r->env);
		memset(r, 0, sizeof(*r));
		return REQUEST_E_NOMEM;
	}
	if (sn_len)
		memcpy(path, sn, sn_len);
	if (pi_len)
		memcpy(path + sn_len, pi, pi_len);
	path[sn_len + pi_len] = '\0';
	r->path = path;
	r->path_len = sn_len + pi_len;

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
