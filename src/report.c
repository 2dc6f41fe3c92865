/* report.c - the report-only comparison. See report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "hdrlist.h"

/* Elements gathered from every header of one name. */
#define LIST_MAX ((size_t)2 * HDRLIST_MAX_ELEMENTS)

static bool name_is(const struct cgiresp_header *h, const char *lit)
{
	return hdrlist_ieq(h->name, h->name_len, lit);
}

static bool eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The elements of every header named name, into out[0..LIST_MAX). Returns
 * 0, or -1 when one of them is not a list of tokens (a browser fails it). */
static int gather(const struct cgiresp *resp, const char *name,
		  struct hdrlist_elem *out, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct cgiresp_header *h = &resp->headers[i];
		size_t k;
		if (!name_is(h, name))
			continue;
		if (LIST_MAX - *n < HDRLIST_MAX_ELEMENTS)
			return -1;
		if (hdrlist_split(h->value, h->value_len, out + *n,
				  HDRLIST_MAX_ELEMENTS, &k, NULL) != HDRLIST_OK)
			return -1;
		*n += k;
	}
	return 0;
}

static bool has_star(const struct hdrlist_elem *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (eq(e[i].s, e[i].len, "*", 1))
			return true;
	return false;
}

static bool refuse(struct report_result *out, const char *why,
		   const char *what, size_t len)
{
	out->why = why;
	out->what = what ? what : "";
	out->what_len = what ? len : 0;
	return false;
}

/* Fetch's CORS check: Access-Control-Allow-Origin (and -Credentials). */
static bool origin_ok(const struct cgiresp *resp,
		      const struct cors_request *req, bool cred,
		      struct report_result *out)
{
	const struct cgiresp_header *acao = NULL, *acac = NULL;
	size_t nacao = 0;

	for (size_t i = 0; i < resp->nheaders; i++) {
		const struct cgiresp_header *h = &resp->headers[i];
		if (name_is(h, "Access-Control-Allow-Origin")) {
			acao = h;
			nacao++;
		} else if (name_is(h, "Access-Control-Allow-Credentials")) {
			acac = h;
		}
	}
	if (nacao == 0)
		return refuse(out, "no Access-Control-Allow-Origin", NULL, 0);
	if (nacao > 1)
		return refuse(out, "more than one Access-Control-Allow-Origin",
			      NULL, 0);
	bool star = eq(acao->value, acao->value_len, "*", 1);
	if (star && cred)
		return refuse(out,
			      "Access-Control-Allow-Origin * for a request "
			      "with credentials",
			      NULL, 0);
	if (!star && !eq(acao->value, acao->value_len, req->origin.s,
			 req->origin.len))
		return refuse(out,
			      "Access-Control-Allow-Origin is not the origin",
			      acao->value, acao->value_len);
	if (cred && !(acac && eq(acac->value, acac->value_len, "true", 4)))
		return refuse(out,
			      "no Access-Control-Allow-Credentials: true for "
			      "a request with credentials",
			      NULL, 0);
	return true;
}

/* A preflight's method and header checks. */
static bool preflight_ok(const struct cgiresp *resp,
			 const struct cors_request *req, bool cred,
			 struct report_result *out)
{
	struct hdrlist_elem list[LIST_MAX], asked[HDRLIST_MAX_ELEMENTS];
	size_t n, nasked;

	if (resp->status < 200 || resp->status > 299)
		return refuse(out, "the preflight's status is not 2xx", NULL, 0);
	if (gather(resp, "Access-Control-Allow-Methods", list, &n) < 0)
		return refuse(out, "a malformed Access-Control-Allow-Methods",
			      NULL, 0);
	if (!hdrlist_safelisted_method(req->acrm.s, req->acrm.len)) {
		bool found = !cred && has_star(list, n);
		for (size_t i = 0; i < n && !found; i++)
			found = eq(list[i].s, list[i].len, req->acrm.s,
				   req->acrm.len);
		if (!found)
			return refuse(out,
				      "method not in "
				      "Access-Control-Allow-Methods",
				      req->acrm.s, req->acrm.len);
	}
	if (req->acrh.s == NULL)
		return true;
	if (hdrlist_split(req->acrh.s, req->acrh.len, asked,
			  HDRLIST_MAX_ELEMENTS, &nasked, NULL) != HDRLIST_OK)
		return refuse(out, "malformed Access-Control-Request-Headers",
			      NULL, 0);
	if (gather(resp, "Access-Control-Allow-Headers", list, &n) < 0)
		return refuse(out, "a malformed Access-Control-Allow-Headers",
			      NULL, 0);
	bool star = !cred && has_star(list, n);
	for (size_t i = 0; i < nasked; i++) {
		const struct hdrlist_elem *a = &asked[i];
		if (hdrlist_contains(list, n, a->s, a->len))
			continue;
		if (star && !hdrlist_ieq(a->s, a->len, "authorization"))
			continue;
		return refuse(out, "header not in Access-Control-Allow-Headers",
			      a->s, a->len);
	}
	return true;
}

bool report_compare(const struct cgiresp *resp, const struct cors_verdict *v,
		    const struct cors_request *req, bool credentialed,
		    struct report_result *out)
{
	memset(out, 0, sizeof(*out));
	out->preflight =
	    v->kind == CORS_PREFLIGHT_OK || v->kind == CORS_PREFLIGHT_REFUSED;
	out->policy_allows = cors_allowed(v);
	bool cred = credentialed && !out->preflight;
	out->script_allows = origin_ok(resp, req, cred, out) &&
			     (!out->preflight || preflight_ok(resp, req, cred, out));
	return out->policy_allows != out->script_allows;
}

static int clamp(size_t n, size_t max)
{
	return (int)(n < max ? n : max);
}

int report_format(const struct report_result *res,
		  const struct cors_verdict *v, const struct cors_request *req,
		  const char *path, size_t path_len, char *buf, size_t size)
{
	char reason[512];
	const char *pr = reason;
	const char *method = res->preflight ? req->acrm.s : req->method.s;
	size_t mlen = res->preflight ? req->acrm.len : req->method.len;
	char script[320];

	cors_reason_format(v, reason, sizeof(reason));
	/* "refused: method ..." -> "method ..." */
	const char *colon = strstr(reason, ": ");
	if (colon)
		pr = colon + 2;
	if (res->why == NULL)
		snprintf(script, sizeof(script), "%s", "");
	else if (res->what_len)
		snprintf(script, sizeof(script), " (%s: %.*s)", res->why,
			 clamp(res->what_len, 256), res->what);
	else
		snprintf(script, sizeof(script), " (%s)", res->why);

	int n = snprintf(
	    buf, size, "report-only: %s%.*s %.*s origin %.*s: ",
	    res->preflight ? "preflight for " : "", clamp(mlen, 64),
	    method ? method : "", clamp(path_len, 512), path,
	    clamp(req->origin.len, 256), req->origin.s ? req->origin.s : "");
	if (n < 0)
		return n;
	size_t used = (size_t)n < size ? (size_t)n : (size > 0 ? size - 1 : 0);
	int m;
	if (res->policy_allows == res->script_allows)
		m = snprintf(buf + used, size - used,
			     "policy and script both %s (%s)%s",
			     res->policy_allows ? "allow" : "refuse", pr,
			     script);
	else if (res->policy_allows)
		m = snprintf(buf + used, size - used,
			     "policy allows (%s), the script refused it%s", pr,
			     script);
	else
		m = snprintf(buf + used, size - used,
			     "policy refuses (%s), the script allowed it", pr);
	return m < 0 ? m : n + m;
}
