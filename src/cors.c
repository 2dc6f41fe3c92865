/* cors.c - the CORS decision. See cors.h.
 *
 * Follows the Fetch standard's CORS protocol (CORS check, CORS-preflight
 * fetch) from the server's side. Pure: every string in a verdict points into
 * the request, the policy, or static storage.
 */
#include "cors.h"

#include <stdio.h>
#include <string.h>

#include "hdrlist.h"
#include "origin.h"

#define H_ACAO "Access-Control-Allow-Origin"
#define H_ACAC "Access-Control-Allow-Credentials"
#define H_ACAM "Access-Control-Allow-Methods"
#define H_ACAH "Access-Control-Allow-Headers"
#define H_ACEH "Access-Control-Expose-Headers"
#define H_ACMA "Access-Control-Max-Age"
#define H_ACAPN "Access-Control-Allow-Private-Network"

static const char vary_actual[] = "Origin";
static const char vary_preflight[] =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
static const char vary_preflight_pna[] =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network";

static void add_header(struct cors_verdict *v, const char *name,
		       size_t name_len, const char *value, size_t len)
{
	if (v->nheaders < CORS_MAX_HEADERS) {
		struct cors_header *h = &v->headers[v->nheaders++];
		h->name = name;
		h->name_len = name_len;
		h->value = value;
		h->value_len = len;
	}
}

/* NAME: a string literal (its length is known here). */
#define add(v, NAME, value, len)                                               \
	add_header(v, NAME, sizeof(NAME) - 1, value, len)
#define add_str(v, NAME, value) add(v, NAME, value, strlen(value))

static bool str_is(struct cors_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.s && s.len == n && memcmp(s.s, lit, n) == 0;
}

/* Methods compare case-sensitively. */
static bool has_method(const struct policy_list *l, const char *m, size_t len)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].len == len &&
		    memcmp(l->items[i].s, m, len) == 0)
			return true;
	return false;
}

/* The policy answers every origin with "*": the answer never varies. */
static bool answer_is_star(const struct cors_policy *p)
{
	return origin_set_has_any(p->origins) && !p->credentials;
}

static void set_reason(struct cors_verdict *v, enum cors_reason r,
		       const char *detail, size_t len)
{
	v->reason = r;
	v->detail = detail;
	v->detail_len = len;
}

static void add_origin_headers(const struct cors_policy *p,
			       const struct cors_request *req,
			       struct cors_verdict *v)
{
	if (answer_is_star(p))
		add_str(v, H_ACAO, "*");
	else
		add(v, H_ACAO, req->origin.s, req->origin.len);
	if (p->credentials)
		add_str(v, H_ACAC, "true");
}

/* Checks Access-Control-Request-Headers. Returns true when every header
 * asked for is allowed; else sets the reason. */
static bool headers_ok(const struct cors_policy *p,
		       const struct cors_request *req, struct cors_verdict *v)
{
	struct hdrlist_elem elems[HDRLIST_MAX_ELEMENTS];
	struct hdrlist_elem bad = {NULL, 0};
	size_t n = 0;

	if (!req->acrh.s)
		return true;
	enum hdrlist_err err = hdrlist_split(req->acrh.s, req->acrh.len, elems,
					     HDRLIST_MAX_ELEMENTS, &n, &bad);
	if (err != HDRLIST_OK) {
		v->hdrlist_err = err;
		set_reason(v, CORS_R_HEADERS_INVALID, bad.s ? bad.s : "",
			   bad.s ? bad.len : 0);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hdrlist_elem *e = &elems[i];
		if (hdrlist_contains(p->headers.items, p->headers.n, e->s,
				     e->len))
			continue;
		/* Fetch: "*" never covers Authorization. */
		if (hdrlist_ieq(e->s, e->len, "authorization")) {
			set_reason(v,
				   p->headers.star ? CORS_R_AUTHORIZATION
						   : CORS_R_HEADER_DENIED,
				   e->s, e->len);
			return false;
		}
		if (p->headers.star)
			continue;
		set_reason(v, CORS_R_HEADER_DENIED, e->s, e->len);
		return false;
	}
	return true;
}

static bool method_ok(const struct cors_policy *p, struct cors_str m,
		      struct cors_verdict *v)
{
	if (!hdrlist_is_token(m.s, m.len)) {
		set_reason(v, CORS_R_METHOD_INVALID, m.s, m.len);
		return false;
	}
	if (hdrlist_forbidden_method(m.s, m.len)) {
		set_reason(v, CORS_R_METHOD_FORBIDDEN, m.s, m.len);
		return false;
	}
	if (hdrlist_safelisted_method(m.s, m.len) || p->methods.star ||
	    has_method(&p->methods, m.s, m.len))
		return true;
	set_reason(v, CORS_R_METHOD_DENIED, m.s, m.len);
	return false;
}

static void preflight(const struct cors_policy *p,
		      const struct cors_request *req, struct cors_verdict *v)
{
	const char *vary =
	    p->private_network ? vary_preflight_pna : vary_preflight;
	bool pna = str_is(req->acrpn, "true");

	v->kind = CORS_PREFLIGHT_REFUSED;
	v->status = p->deny_status;
	if (v->reason != CORS_R_ORIGIN_MATCH || !method_ok(p, req->acrm, v) ||
	    !headers_ok(p, req, v)) {
		add_str(v, "Vary", vary);
		return;
	}
	if (pna && !p->private_network) {
		set_reason(v, CORS_R_PNA_DENIED, req->acrpn.s, req->acrpn.len);
		add_str(v, "Vary", vary);
		return;
	}
	v->kind = CORS_PREFLIGHT_OK;
	v->status = p->preflight_status;
	add_origin_headers(p, req, v);
	/* With credentials "*" is a literal name: echo what was asked. */
	if (p->methods.star && p->credentials)
		add(v, H_ACAM, req->acrm.s, req->acrm.len);
	else if (p->methods.star || p->methods.n)
		add(v, H_ACAM, p->methods.joined, p->methods.joined_len);
	if (p->headers.star && p->credentials) {
		if (req->acrh.s && req->acrh.len)
			add(v, H_ACAH, req->acrh.s, req->acrh.len);
	} else if (p->headers.star || p->headers.n) {
		add(v, H_ACAH, p->headers.joined, p->headers.joined_len);
	}
	if (p->max_age >= 0)
		add_str(v, H_ACMA, p->max_age_value);
	if (pna)
		add_str(v, H_ACAPN, "true");
	add_str(v, "Vary", vary);
}

static void actual(const struct cors_policy *p, const struct cors_request *req,
		   struct cors_verdict *v)
{
	if (v->reason != CORS_R_ORIGIN_MATCH) {
		v->kind = CORS_ACTUAL_REFUSED;
		v->status = p->block_disallowed ? 403 : 0;
		if (!answer_is_star(p))
			add_str(v, "Vary", vary_actual);
		return;
	}
	v->kind = CORS_ACTUAL_OK;
	add_origin_headers(p, req, v);
	if (p->expose.star || p->expose.n)
		add(v, H_ACEH, p->expose.joined, p->expose.joined_len);
	if (!answer_is_star(p))
		add_str(v, "Vary", vary_actual);
}

void cors_decide(const struct cors_policy *policy,
		 const struct cors_request *req, struct cors_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->policy = policy;
	if (!policy->enabled) {
		v->kind = CORS_DISABLED;
		set_reason(v, CORS_R_DISABLED, policy->pattern,
			   strlen(policy->pattern));
		return;
	}
	if (!req->origin.s) {
		v->kind = CORS_NOT_CORS;
		set_reason(v, CORS_R_NO_ORIGIN, "", 0);
		/* A cache must not serve this answer to a CORS request. */
		if (!answer_is_star(policy))
			add_str(v, "Vary", vary_actual);
		return;
	}
	enum origin_err oerr = ORIGIN_OK;
	const char *pat = origin_set_match(policy->origins, req->origin.s,
					   req->origin.len, &oerr);
	if (pat) {
		set_reason(v, CORS_R_ORIGIN_MATCH, pat, strlen(pat));
	} else if (oerr != ORIGIN_OK) {
		v->origin_err = oerr;
		set_reason(v, CORS_R_ORIGIN_INVALID, req->origin.s,
			   req->origin.len);
	} else {
		set_reason(v, CORS_R_ORIGIN_DENIED, req->origin.s,
			   req->origin.len);
	}
	if (str_is(req->method, "OPTIONS") && req->acrm.s)
		preflight(policy, req, v);
	else
		actual(policy, req, v);
}

bool cors_allowed(const struct cors_verdict *v)
{
	return v->kind != CORS_PREFLIGHT_REFUSED &&
	       v->kind != CORS_ACTUAL_REFUSED;
}

bool cors_enforced(const struct cors_verdict *v)
{
	return v->kind != CORS_DISABLED &&
	       (v->policy == NULL || v->policy->mode == POLICY_ENFORCE);
}

/* At most this much of a request's value goes into a reason. */
#define DETAIL_MAX 256

int cors_reason_format(const struct cors_verdict *v, char *buf, size_t size)
{
	int n = v->detail_len > DETAIL_MAX ? DETAIL_MAX : (int)v->detail_len;
	const char *d = v->detail ? v->detail : "";
	const char *more = v->detail_len > DETAIL_MAX ? "..." : "";

	switch (v->reason) {
	case CORS_R_NO_ORIGIN:
		return snprintf(buf, size, "not CORS: no Origin header");
	case CORS_R_DISABLED:
		return snprintf(buf, size,
				"disabled: enabled = false for %.*s%s; "
				"corsgate adds and answers nothing",
				n, d, more);
	case CORS_R_ORIGIN_MATCH:
		return snprintf(buf, size, "allowed: origin matches %.*s%s", n,
				d, more);
	case CORS_R_ORIGIN_INVALID:
		return snprintf(buf, size,
				"refused: origin %.*s%s is not a serialized "
				"origin: %s",
				n, d, more, origin_strerror(v->origin_err));
	case CORS_R_ORIGIN_DENIED:
		return snprintf(buf, size,
				"refused: origin %.*s%s not in allow_origin", n,
				d, more);
	case CORS_R_METHOD_INVALID:
		return snprintf(buf, size,
				"refused: Access-Control-Request-Method "
				"'%.*s%s' is not a method",
				n, d, more);
	case CORS_R_METHOD_FORBIDDEN:
		return snprintf(buf, size,
				"refused: method %.*s%s is forbidden by the "
				"Fetch standard",
				n, d, more);
	case CORS_R_METHOD_DENIED:
		return snprintf(buf, size,
				"refused: method %.*s%s not in allow_methods",
				n, d, more);
	case CORS_R_HEADERS_INVALID:
		return snprintf(
		    buf, size,
		    "refused: Access-Control-Request-Headers %s%s%.*s%s%s",
		    hdrlist_strerror(v->hdrlist_err), n ? " ('" : "", n, d,
		    more, n ? "')" : "");
	case CORS_R_HEADER_DENIED:
		return snprintf(buf, size,
				"refused: header %.*s%s not in allow_headers",
				n, d, more);
	case CORS_R_AUTHORIZATION:
		return snprintf(buf, size,
				"refused: header %.*s not in allow_headers "
				"('*' never covers Authorization: list it)",
				n, d);
	case CORS_R_PNA_DENIED:
		return snprintf(buf, size,
				"refused: private network access asked for, "
				"allow_private_network = false");
	}
	return snprintf(buf, size, "unknown");
}

const char *cors_status_text(int status)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {
	    {200, "OK"},
	    {201, "Created"},
	    {202, "Accepted"},
	    {204, "No Content"},
	    {206, "Partial Content"},
	    {301, "Moved Permanently"},
	    {302, "Found"},
	    {303, "See Other"},
	    {304, "Not Modified"},
	    {307, "Temporary Redirect"},
	    {308, "Permanent Redirect"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {411, "Length Required"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Content"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}
