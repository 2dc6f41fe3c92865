/* explain.c - one fetch() through corsgate, as the browser runs it. See
 * explain.h.
 *
 * The browser's side follows the Fetch standard: "CORS-safelisted method",
 * "CORS-safelisted request-header", "CORS-unsafe request-header names",
 * "CORS-preflight fetch" and "CORS check", with Chromium's console wording.
 * corsgate's side is config_lookup() + cors_decide(), as in the server.
 */
#include "explain.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdrlist.h"
#include "origin.h"

#define MAX_AUTHOR CURLCMD_MAX_HEADERS

struct hdr {
	const char *name, *value;
	size_t nlen, vlen;
};

static void say(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

static void copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static char lower(char c)
{
	static const char az[] = "abcdefghijklmnopqrstuvwxyz";
	if (c >= 'A' && c <= 'Z')
		return az[c - 'A'];
	return c;
}

static bool ieq(const char *s, size_t len, const char *lit)
{
	return hdrlist_ieq(s, len, lit);
}

/* ---- the browser's rules (Fetch) ----------------------------------- */

/* Fetch "CORS-unsafe request-header byte". */
static bool unsafe_byte(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == '"' || c == '(' || c == ')' ||
	       c == ':' || c == '<' || c == '>' || c == '?' || c == '@' ||
	       c == '[' || c == '\\' || c == ']' || c == '{' || c == '}' ||
	       c == 0x7f;
}

static bool has_unsafe_byte(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (unsafe_byte((unsigned char)v[i]))
			return true;
	return false;
}

/* Accept-Language / Content-Language bytes: 0-9 A-Z a-z SP * , - . ; = */
static bool lang_bytes(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z') || strchr(" *,-.;=", c)))
			return false;
	}
	return true;
}

static bool http_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Fetch/MIME Sniffing "parse a MIME type", as far as its essence: the
 * essence is one of the three a form can send. */
static bool safelisted_mime(const char *v, size_t len)
{
	size_t i = 0, end = len;

	while (i < end && http_ws(v[i]))
		i++;
	while (end > i && http_ws(v[end - 1]))
		end--;
	size_t t0 = i;
	while (i < end && v[i] != '/')
		i++;
	if (i == end || !hdrlist_is_token(v + t0, i - t0))
		return false;
	size_t tlen = i - t0;
	size_t s0 = ++i;
	while (i < end && v[i] != ';')
		i++;
	size_t s1 = i;
	while (s1 > s0 && http_ws(v[s1 - 1]))
		s1--;
	if (!hdrlist_is_token(v + s0, s1 - s0))
		return false;
	char ess[64];
	size_t elen = tlen + 1 + (s1 - s0);
	if (elen >= sizeof(ess))
		return false;
	for (size_t k = 0; k < tlen; k++)
		ess[k] = lower(v[t0 + k]);
	ess[tlen] = '/';
	for (size_t k = 0; k < s1 - s0; k++)
		ess[tlen + 1 + k] = lower(v[s0 + k]);
	ess[elen] = '\0';
	return strcmp(ess, "application/x-www-form-urlencoded") == 0 ||
	       strcmp(ess, "multipart/form-data") == 0 ||
	       strcmp(ess, "text/plain") == 0;
}

/* Fetch "parse a single range header value" (no whitespace), and the
 * safelist's demand of a first position. */
static bool safelisted_range(const char *v, size_t len)
{
	size_t i = 5;
	unsigned long long a = 0, b = 0;
	bool has_a = false, has_b = false;

	if (len < 6 || !hdrlist_iprefix(v, len, "bytes") || v[5] != '=')
		return false;
	for (i = 6; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
		if (a > 1000000000000000000ULL)
			return false;
		a = a * 10 + (unsigned)(v[i] - '0');
		has_a = true;
	}
	if (i >= len || v[i] != '-')
		return false;
	for (i++; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
		if (b > 1000000000000000000ULL)
			return false;
		b = b * 10 + (unsigned)(v[i] - '0');
		has_b = true;
	}
	if (i != len || !has_a)
		return false;
	return !has_b || a <= b;
}

bool explain_safelisted_header(const char *name, size_t nlen, const char *value,
			       size_t vlen, const char **why)
{
	const char *w = NULL;

	if (ieq(name, nlen, "accept")) {
		if (has_unsafe_byte(value, vlen))
			w = "its value holds a byte Fetch calls CORS-unsafe "
			    "(\"():<>?@[\\]{}, DEL, controls)";
	} else if (ieq(name, nlen, "accept-language") ||
		   ieq(name, nlen, "content-language")) {
		if (!lang_bytes(value, vlen))
			w = "its value holds a byte other than 0-9 A-Z a-z "
			    "space * , - . ; =";
	} else if (ieq(name, nlen, "content-type")) {
		if (has_unsafe_byte(value, vlen))
			w = "its value holds a byte Fetch calls CORS-unsafe";
		else if (!safelisted_mime(value, vlen))
			w = "only text/plain, multipart/form-data and "
			    "application/x-www-form-urlencoded are "
			    "safelisted";
	} else if (ieq(name, nlen, "range")) {
		if (!safelisted_range(value, vlen))
			w = "only a single 'bytes=START-' or "
			    "'bytes=START-END' range is safelisted";
	} else {
		w = "not a CORS-safelisted header name (Accept, "
		    "Accept-Language, Content-Language, Content-Type, Range)";
	}
	if (!w && vlen > 128)
		w = "its value is over 128 bytes";
	if (why)
		*why = w;
	return w == NULL;
}

/* Headers the browser adds itself and a page cannot set (Fetch's forbidden
 * request-header names), or that DevTools shows but the page did not set
 * (the browser's User-Agent and Priority, DevTools' "Disable cache", the
 * HTTP cache's revalidation): never counted for the preflight. */
static bool browsers_own(const struct hdr *h)
{
	if (hdrlist_forbidden_request(h->name, h->nlen))
		return true;
	if (ieq(h->name, h->nlen, "user-agent") ||
	    ieq(h->name, h->nlen, "priority") ||
	    ieq(h->name, h->nlen, "if-none-match") ||
	    ieq(h->name, h->nlen, "if-modified-since"))
		return true;
	return (ieq(h->name, h->nlen, "pragma") ||
		ieq(h->name, h->nlen, "cache-control")) &&
	       ieq(h->value, h->vlen, "no-cache");
}

/* fetch() uppercases these methods, and only these. */
static void normalize_method(char *m)
{
	static const char *const norm[] = {"DELETE",  "GET",  "HEAD",
					   "OPTIONS", "POST", "PUT"};
	size_t len = strlen(m);

	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++)
		if (ieq(m, len, norm[i]))
			memcpy(m, norm[i], len);
}

/* ---- the verdict's headers ------------------------------------------ */

/* The value of the header name in v; NULL when absent; *count how many. */
static const struct cors_header *vhdr(const struct cors_verdict *v,
				      const char *name, int *count)
{
	const struct cors_header *f = NULL;
	int c = 0;

	for (size_t i = 0; i < v->nheaders; i++)
		if (strcasecmp(v->headers[i].name, name) == 0) {
			if (!f)
				f = &v->headers[i];
			c++;
		}
	if (count)
		*count = c;
	return f;
}

static void print_verdict(FILE *out, const struct cors_verdict *v,
			  const char *indent)
{
	if (v->status)
		say(out, "%sStatus: %d %s\n", indent, v->status,
		    cors_status_text(v->status));
	for (size_t i = 0; i < v->nheaders; i++)
		say(out, "%s%s: %.*s\n", indent, v->headers[i].name,
		    (int)v->headers[i].value_len, v->headers[i].value);
	if (!v->status && !v->nheaders)
		say(out, "%s(nothing)\n", indent);
}

/* Fetch "CORS check" of an answer's headers, as Chromium words it. Returns
 * the block, or NONE. */
static enum explain_block cors_check(const struct cors_verdict *v,
				     const char *origin, bool include,
				     FILE *out, char *detail, size_t dsz)
{
	int n;
	const struct cors_header *a =
	    vhdr(v, "Access-Control-Allow-Origin", &n);

	detail[0] = '\0';
	if (!a) {
		say(out, "   FAIL no Access-Control-Allow-Origin\n");
		return EXPLAIN_B_NO_ACAO;
	}
	copy(detail, dsz, a->value, a->value_len);
	if (n > 1 || memchr(a->value, ',', a->value_len)) {
		say(out, "   FAIL Access-Control-Allow-Origin has more than "
			 "one value\n");
		return EXPLAIN_B_MULTIPLE_ACAO;
	}
	if (a->value_len == 1 && a->value[0] == '*') {
		if (include) {
			say(out, "   FAIL Access-Control-Allow-Origin is '*', "
				 "and credentials are 'include'\n");
			return EXPLAIN_B_WILDCARD;
		}
		say(out, "   ok   Access-Control-Allow-Origin: * (credentials "
			 "'omit': any origin)\n");
		return EXPLAIN_B_NONE;
	}
	if (a->value_len != strlen(origin) ||
	    memcmp(a->value, origin, a->value_len) != 0) {
		say(out,
		    "   FAIL Access-Control-Allow-Origin %s is not the "
		    "page's origin %s\n",
		    detail, origin);
		return EXPLAIN_B_ACAO_MISMATCH;
	}
	say(out, "   ok   Access-Control-Allow-Origin is the page's origin, "
		 "byte for byte\n");
	if (!include)
		return EXPLAIN_B_NONE;
	const struct cors_header *c =
	    vhdr(v, "Access-Control-Allow-Credentials", NULL);
	if (!c || c->value_len != 4 || memcmp(c->value, "true", 4) != 0) {
		copy(detail, dsz, c ? c->value : "", c ? c->value_len : 0);
		say(out, "   FAIL credentials 'include' and no "
			 "Access-Control-Allow-Credentials: true\n");
		return EXPLAIN_B_ACAC;
	}
	say(out, "   ok   Access-Control-Allow-Credentials: true "
		 "(credentials 'include')\n");
	return EXPLAIN_B_NONE;
}

/* Whether list (an answered -Allow-* value) holds item: case-sensitively
 * for methods, else ASCII case-insensitively. */
static bool list_has(const struct cors_header *h, const char *item, size_t ilen,
		     bool exact)
{
	struct hdrlist_elem el[HDRLIST_MAX_ELEMENTS];
	size_t n = 0;

	if (!h || hdrlist_split(h->value, h->value_len, el,
				HDRLIST_MAX_ELEMENTS, &n, NULL) != HDRLIST_OK)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (el[i].len != ilen)
			continue;
		if (exact ? memcmp(el[i].s, item, ilen) == 0
			  : hdrlist_ieq(el[i].s, el[i].len, item))
			return true;
	}
	return false;
}

int explain_chromium_text(enum explain_block b, enum explain_stage at,
			  const char *detail, char *buf, size_t size)
{
	const char *pre = at == EXPLAIN_AT_PREFLIGHT
			      ? "Response to preflight request doesn't pass "
				"access control check: "
			      : "";
	const char *d = detail ? detail : "";

	switch (b) {
	case EXPLAIN_B_NONE:
		return snprintf(buf, size, "%s", "");
	case EXPLAIN_B_FETCH_METHOD:
		return snprintf(buf, size,
				"Failed to execute 'fetch' on 'Window': '%s' "
				"HTTP method is unsupported.",
				d);
	case EXPLAIN_B_NO_ACAO:
		return snprintf(buf, size,
				"%sNo 'Access-Control-Allow-Origin' header is "
				"present on the requested resource.",
				pre);
	case EXPLAIN_B_MULTIPLE_ACAO:
		return snprintf(buf, size,
				"%sThe 'Access-Control-Allow-Origin' header "
				"contains multiple values '%s', but only one "
				"is allowed.",
				pre, d);
	case EXPLAIN_B_ACAO_MISMATCH:
		return snprintf(buf, size,
				"%sThe 'Access-Control-Allow-Origin' header "
				"has a value '%s' that is not equal to the "
				"supplied origin.",
				pre, d);
	case EXPLAIN_B_WILDCARD:
		return snprintf(buf, size,
				"%sThe value of the 'Access-Control-Allow-"
				"Origin' header in the response must not be "
				"the wildcard '*' when the request's "
				"credentials mode is 'include'.",
				pre);
	case EXPLAIN_B_ACAC:
		return snprintf(buf, size,
				"%sThe value of the 'Access-Control-Allow-"
				"Credentials' header in the response is '%s' "
				"which must be 'true' when the request's "
				"credentials mode is 'include'.",
				pre, d);
	case EXPLAIN_B_STATUS:
		return snprintf(buf, size, "%sIt does not have HTTP ok status.",
				pre);
	case EXPLAIN_B_METHOD:
		return snprintf(buf, size,
				"Method %s is not allowed by "
				"Access-Control-Allow-Methods in preflight "
				"response.",
				d);
	case EXPLAIN_B_HEADER:
		return snprintf(buf, size,
				"Request header field %s is not allowed by "
				"Access-Control-Allow-Headers in preflight "
				"response.",
				d);
	}
	return snprintf(buf, size, "unknown");
}

/* ---- the policy's side of the story -------------------------------- */

static void section_name(const struct config *cfg, const struct cors_policy *p,
			 char *buf, size_t size)
{
	if (p == &cfg->def)
		snprintf(buf, size, "[cors]");
	else
		snprintf(buf, size, "[path %s]", p->pattern);
}

/* "FILE:LINE: KEY (in [path X])", or where the key would go. */
static void key_where(const struct config *cfg, const struct cors_policy *p,
		      int line, const char *key, char *buf, size_t size)
{
	char sec[300];
	bool inherited = p != &cfg->def && line &&
			 line == cfg->def.lines.origin &&
			 strcmp(key, "allow_origin") == 0;
	section_name(cfg, p, sec, sizeof(sec));
	if (p != &cfg->def && line) {
		const struct policy_lines *d = &cfg->def.lines;
		int dl = strcmp(key, "allow_origin") == 0    ? d->origin
			 : strcmp(key, "allow_methods") == 0 ? d->methods
			 : strcmp(key, "allow_headers") == 0 ? d->headers
			 : strcmp(key, "allow_credentials") == 0
			     ? d->credentials
			 : strcmp(key, "enabled") == 0 ? d->enabled
						       : d->expose;
		inherited = line == dl;
	}
	if (line)
		snprintf(buf, size, "%s:%d: %s (%s%s)", cfg->file, line, key,
			 inherited ? "in [cors], inherited by " : "in ", sec);
	else if (p->lines.section)
		snprintf(buf, size, "%s:%d: %s sets no %s", cfg->file,
			 p->lines.section, sec, key);
	else
		snprintf(buf, size, "%s: no [cors] section sets %s", cfg->file,
			 key);
}

/* Where to write the change: the key's line, or the section's. */
static void fix_at(const struct config *cfg, const struct cors_policy *p,
		   int line, char *buf, size_t size)
{
	char sec[300];
	section_name(cfg, p, sec, sizeof(sec));
	if (line)
		snprintf(buf, size, "at %s:%d (%s)", cfg->file, line, sec);
	else if (p->lines.section)
		snprintf(buf, size, "in %s (%s:%d)", sec, cfg->file,
			 p->lines.section);
	else
		snprintf(buf, size, "in a new [cors] section of %s", cfg->file);
}

/* Fills res->decided and res->fix from corsgate's verdict v (the answer
 * the browser refused) and the block. */
static void blame(const struct config *cfg, const struct cors_policy *p,
		  const struct cors_verdict *v, struct explain_result *res)
{
	const struct policy_lines *l = &p->lines;
	char at[512];
	int dn = v->detail_len > 200 ? 200 : (int)v->detail_len;
	const char *d = v->detail ? v->detail : "";
	bool own_list;

	switch (v->reason) {
	case CORS_R_ORIGIN_DENIED:
		key_where(cfg, p, l->origin, "allow_origin", res->decided,
			  sizeof(res->decided));
		own_list = p == &cfg->def || l->origin != cfg->def.lines.origin;
		fix_at(cfg, p, own_list ? l->origin : 0, at, sizeof(at));
		snprintf(res->fix, sizeof(res->fix),
			 "add the page's origin %s %s: allow_origin = %s",
			 own_list && l->origin ? "to allow_origin" : "", at,
			 res->origin);
		return;
	case CORS_R_ORIGIN_INVALID:
		key_where(cfg, p, l->origin, "allow_origin", res->decided,
			  sizeof(res->decided));
		snprintf(res->fix, sizeof(res->fix),
			 "none in the policy: Origin '%s' is not what a "
			 "browser sends (%s)",
			 res->origin, origin_strerror(v->origin_err));
		return;
	case CORS_R_METHOD_DENIED:
	case CORS_R_METHOD_INVALID:
	case CORS_R_METHOD_FORBIDDEN:
		key_where(cfg, p, l->methods, "allow_methods", res->decided,
			  sizeof(res->decided));
		own_list =
		    p == &cfg->def || l->methods != cfg->def.lines.methods;
		fix_at(cfg, p, own_list ? l->methods : 0, at, sizeof(at));
		if (v->reason == CORS_R_METHOD_FORBIDDEN)
			snprintf(res->fix, sizeof(res->fix),
				 "none: browsers never send %.*s", dn, d);
		else
			snprintf(res->fix, sizeof(res->fix),
				 "add %.*s to allow_methods %s%s", dn, d, at,
				 strcmp(res->method, "patch") == 0
				     ? "; or write method: 'PATCH' in the "
				       "page: fetch() uppercases only "
				       "DELETE, GET, HEAD, OPTIONS, POST, PUT"
				     : "");
		return;
	case CORS_R_HEADER_DENIED:
	case CORS_R_AUTHORIZATION:
	case CORS_R_HEADERS_INVALID:
		key_where(cfg, p, l->headers, "allow_headers", res->decided,
			  sizeof(res->decided));
		own_list =
		    p == &cfg->def || l->headers != cfg->def.lines.headers;
		fix_at(cfg, p, own_list ? l->headers : 0, at, sizeof(at));
		if (v->reason == CORS_R_AUTHORIZATION)
			snprintf(res->fix, sizeof(res->fix),
				 "'*' never covers Authorization: list it, "
				 "allow_headers = *, Authorization %s",
				 at);
		else
			snprintf(res->fix, sizeof(res->fix),
				 "add %.*s to allow_headers %s", dn, d, at);
		return;
	default:
		break;
	}
	snprintf(res->decided, sizeof(res->decided), "%s", "");
}

/* The block is the browser's, on an answer corsgate allowed: the policy's
 * credentials or origin settings do not fit the request's mode. */
static void blame_browser(const struct config *cfg, const struct cors_policy *p,
			  struct explain_result *res)
{
	char at[512];
	const struct policy_lines *l = &p->lines;

	switch (res->block) {
	case EXPLAIN_B_WILDCARD:
		key_where(cfg, p, l->origin, "allow_origin", res->decided,
			  sizeof(res->decided));
		fix_at(cfg, p, 0, at, sizeof(at));
		snprintf(res->fix, sizeof(res->fix),
			 "with credentials an origin must be named: "
			 "allow_origin = %s and allow_credentials = true %s; "
			 "or fetch with credentials: 'omit'",
			 res->origin, at);
		return;
	case EXPLAIN_B_ACAC:
		key_where(cfg, p, l->credentials, "allow_credentials",
			  res->decided, sizeof(res->decided));
		fix_at(cfg, p,
		       (p == &cfg->def ||
			l->credentials != cfg->def.lines.credentials)
			   ? l->credentials
			   : 0,
		       at, sizeof(at));
		snprintf(res->fix, sizeof(res->fix),
			 "allow_credentials = true %s; or fetch with "
			 "credentials: 'omit' (no cookies, no HTTP auth)",
			 at);
		return;
	default:
		snprintf(res->decided, sizeof(res->decided), "%s",
			 "the answer's headers, as printed above");
		snprintf(res->fix, sizeof(res->fix), "%s",
			 "see the check that failed above");
		return;
	}
}

/* ---- the exchange --------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes the URL's path as the web server does (nginx's $uri)
 * into out[0..size). Returns its length, or -1 for %00. */
static long decode_path(const char *s, size_t len, char *out, size_t size)
{
	size_t w = 0;

	for (size_t i = 0; i < len && w + 1 < size; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			char c =
			    (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (c == '\0')
				return -1;
			out[w++] = c;
			i += 2;
			continue;
		}
		out[w++] = s[i];
	}
	out[w] = '\0';
	return (long)w;
}

static int cmp_hdr_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The page's origin as the URL's scheme://host, for the same-origin test
 * (lowercase, the default port dropped), into buf. */
static void url_origin(const struct curlcmd_req *r, char *buf, size_t size)
{
	size_t w = 0;
	size_t hl = r->host.len;
	const char *def = strcmp(r->scheme.s, "https") == 0 ? ":443" : ":80";

	if (hl > strlen(def) &&
	    memcmp(r->host.s + hl - strlen(def), def, strlen(def)) == 0)
		hl -= strlen(def);
	w = (size_t)snprintf(buf, size, "%s://", r->scheme.s);
	for (size_t i = 0; i < hl && w + 1 < size; i++)
		buf[w++] = lower(r->host.s[i]);
	buf[w < size ? w : size - 1] = '\0';
}

static void fail_with(struct explain_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_with(struct explain_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	res->outcome = EXPLAIN_ERROR;
}

/* The state of one run, shared by the steps. */
struct run {
	const struct config *cfg;
	const struct curlcmd_req *req;
	const struct cors_policy *pol;
	struct explain_result *res;
	FILE *out;
	const char *origin;
	size_t olen;
	struct hdr author[MAX_AUTHOR];
	size_t nauthor;
	const char *unsafe[MAX_AUTHOR]; /* lowercase, sorted, unique */
	size_t nunsafe;
	char url[CURLCMD_MAX_URL + 1];
	char *names; /* storage of unsafe[] */
};

static void verdict_blocked(struct run *r, enum explain_stage at,
			    enum explain_block b, const char *detail)
{
	struct explain_result *res = r->res;

	res->outcome = EXPLAIN_BLOCKED;
	res->stage = at;
	res->block = b;
	explain_chromium_text(b, at, detail, res->console,
			      sizeof(res->console));
}

static void print_end(struct run *r)
{
	struct explain_result *res = r->res;
	FILE *out = r->out;

	if (res->outcome == EXPLAIN_READABLE) {
		say(out, "\nverdict: readable: the page can read the answer\n");
	} else if (res->outcome == EXPLAIN_BLOCKED) {
		say(out, "\nverdict: blocked %s\n",
		    res->stage == EXPLAIN_AT_FETCH	 ? "before any request"
		    : res->stage == EXPLAIN_AT_PREFLIGHT ? "at the preflight"
							 : "at the actual "
							   "request");
		if (res->stage == EXPLAIN_AT_FETCH)
			say(out, "  Chromium: %s\n", res->console);
		else
			say(out,
			    "  Chromium: Access to fetch at '%s' from origin "
			    "'%s' has been blocked by CORS policy: %s\n",
			    r->url, res->origin, res->console);
	} else if (res->outcome == EXPLAIN_DEPENDS) {
		say(out, "\nverdict: depends on the script: corsgate adds "
			 "and answers nothing on this path\n");
	}
	if (res->decided[0])
		say(out, "  decided by: %s\n", res->decided);
	if (res->fix[0])
		say(out, "  %s: %s\n",
		    res->outcome == EXPLAIN_DEPENDS ? "to decide it"
						    : "to allow it",
		    res->fix);
}

/* Step 1: which headers are the page's, and whether they need a
 * preflight. Returns false on an error (set in res). */
static bool classify(struct run *r, bool *need_preflight)
{
	struct explain_result *res = r->res;
	FILE *out = r->out;
	size_t safesum = 0;
	bool safe[MAX_AUTHOR];
	size_t total = 0;

	*need_preflight = false;
	if (!hdrlist_safelisted_method(res->method, strlen(res->method))) {
		say(out,
		    "   method %s is not CORS-safelisted (GET, HEAD, "
		    "POST): preflight\n",
		    res->method);
		*need_preflight = true;
	} else {
		say(out, "   method %s is CORS-safelisted\n", res->method);
	}
	for (size_t i = 0; i < r->nauthor; i++) {
		const struct hdr *h = &r->author[i];
		const char *why = NULL;
		safe[i] = explain_safelisted_header(h->name, h->nlen, h->value,
						    h->vlen, &why);
		if (safe[i])
			safesum += h->vlen;
		total += h->nlen + 1;
		say(out, "   %.*s: %.*s%s - %s%s\n", (int)h->nlen, h->name,
		    h->vlen > 60 ? 60 : (int)h->vlen, h->value,
		    h->vlen > 60 ? "..." : "",
		    safe[i] ? "CORS-safelisted" : "not safelisted: ",
		    safe[i] ? "" : why);
	}
	if (safesum > 1024) {
		say(out,
		    "   the safelisted values add up to %zu bytes, over "
		    "1024: none of them counts as safelisted\n",
		    safesum);
		for (size_t i = 0; i < r->nauthor; i++)
			safe[i] = false;
	}
	r->names = malloc(total + 1);
	if (!r->names) {
		fail_with(res, "out of memory");
		return false;
	}
	size_t w = 0;
	for (size_t i = 0; i < r->nauthor; i++) {
		if (safe[i])
			continue;
		char *n = r->names + w;
		for (size_t k = 0; k < r->author[i].nlen; k++)
			n[k] = lower(r->author[i].name[k]);
		n[r->author[i].nlen] = '\0';
		w += r->author[i].nlen + 1;
		r->unsafe[r->nunsafe++] = n;
	}
	qsort(r->unsafe, r->nunsafe, sizeof(r->unsafe[0]), cmp_hdr_name);
	size_t u = 0;
	for (size_t i = 0; i < r->nunsafe; i++)
		if (u == 0 || strcmp(r->unsafe[u - 1], r->unsafe[i]) != 0)
			r->unsafe[u++] = r->unsafe[i];
	r->nunsafe = u;
	size_t aw = 0;
	for (size_t i = 0; i < r->nunsafe; i++) {
		int k = snprintf(res->acrh + aw, sizeof(res->acrh) - aw, "%s%s",
				 i ? "," : "", r->unsafe[i]);
		if (k < 0 || (size_t)k >= sizeof(res->acrh) - aw) {
			fail_with(res,
				  "the page's headers need an "
				  "Access-Control-Request-Headers over %zu "
				  "bytes",
				  sizeof(res->acrh) - 1);
			return false;
		}
		aw += (size_t)k;
	}
	if (r->nunsafe)
		*need_preflight = true;
	if (!r->nauthor)
		say(out, "   the page set no header of its own\n");
	return true;
}

/* Steps 2-4. Returns false when the browser stops at the preflight. */
static bool preflight(struct run *r, bool include)
{
	struct explain_result *res = r->res;
	FILE *out = r->out;
	struct cors_verdict v;
	struct cors_request q;
	char reason[1024], detail[512];
	size_t mlen = strlen(res->method);

	memset(&q, 0, sizeof(q));
	q.method.s = "OPTIONS";
	q.method.len = 7;
	q.origin.s = r->origin;
	q.origin.len = r->olen;
	q.acrm.s = res->method;
	q.acrm.len = mlen;
	if (res->acrh[0]) {
		q.acrh.s = res->acrh;
		q.acrh.len = strlen(res->acrh);
	}
	say(out, "\n2. the preflight the browser sends first (no cookies, "
		 "no body)\n");
	say(out,
	    "   OPTIONS %s\n   Origin: %s\n"
	    "   Access-Control-Request-Method: %s\n",
	    r->url, r->origin, res->method);
	if (res->acrh[0])
		say(out, "   Access-Control-Request-Headers: %s\n", res->acrh);
	cors_decide(r->pol, &q, &v);
	cors_reason_format(&v, reason, sizeof(reason));
	say(out, "\n3. corsgate answers it (the script does not run)\n");
	print_verdict(out, &v, "   ");
	say(out, "   corsgate: %s\n", reason);
	say(out, "\n4. the browser checks that answer\n");
	enum explain_block b =
	    cors_check(&v, r->origin, include, out, detail, sizeof(detail));
	if (b == EXPLAIN_B_NONE && (v.status < 200 || v.status > 299)) {
		say(out, "   FAIL status %d is not an ok status (200-299)\n",
		    v.status);
		b = EXPLAIN_B_STATUS;
	} else if (b == EXPLAIN_B_NONE) {
		say(out, "   ok   status %d is an ok status\n", v.status);
	}
	const struct cors_header *m =
	    vhdr(&v, "Access-Control-Allow-Methods", NULL);
	if (b == EXPLAIN_B_NONE) {
		if (hdrlist_safelisted_method(res->method, mlen)) {
			say(out,
			    "   ok   method %s is safelisted: it needs "
			    "no Access-Control-Allow-Methods\n",
			    res->method);
		} else if (list_has(m, res->method, mlen, true)) {
			say(out,
			    "   ok   method %s is in "
			    "Access-Control-Allow-Methods\n",
			    res->method);
		} else if (!include && list_has(m, "*", 1, true)) {
			say(out,
			    "   ok   method %s: Access-Control-Allow-"
			    "Methods is '*' (credentials 'omit')\n",
			    res->method);
		} else {
			say(out,
			    "   FAIL method %s is not in "
			    "Access-Control-Allow-Methods%s\n",
			    res->method,
			    include && list_has(m, "*", 1, true)
				? " ('*' is a plain name with credentials)"
				: "");
			b = EXPLAIN_B_METHOD;
			copy(detail, sizeof(detail), res->method, mlen);
		}
	}
	const struct cors_header *h =
	    vhdr(&v, "Access-Control-Allow-Headers", NULL);
	for (size_t i = 0; b == EXPLAIN_B_NONE && i < r->nunsafe; i++) {
		const char *n = r->unsafe[i];
		size_t nl = strlen(n);
		bool star = list_has(h, "*", 1, true);
		if (list_has(h, n, nl, false)) {
			say(out,
			    "   ok   header %s is in "
			    "Access-Control-Allow-Headers\n",
			    n);
		} else if (star && !include &&
			   strcmp(n, "authorization") != 0) {
			say(out,
			    "   ok   header %s: Access-Control-Allow-"
			    "Headers is '*' (credentials 'omit')\n",
			    n);
		} else {
			say(out,
			    "   FAIL header %s is not in "
			    "Access-Control-Allow-Headers%s\n",
			    n,
			    !star ? ""
			    : strcmp(n, "authorization") == 0
				? " ('*' never covers Authorization)"
				: " ('*' is a plain name with credentials)");
			b = EXPLAIN_B_HEADER;
			copy(detail, sizeof(detail), n, nl);
		}
	}
	if (b != EXPLAIN_B_NONE) {
		verdict_blocked(r, EXPLAIN_AT_PREFLIGHT, b, detail);
		if (v.kind == CORS_PREFLIGHT_REFUSED)
			blame(r->cfg, r->pol, &v, res);
		else
			blame_browser(r->cfg, r->pol, res);
		say(out, "   => the browser stops here: the request itself "
			 "is never sent\n");
		return false;
	}
	const struct cors_header *ma = vhdr(&v, "Access-Control-Max-Age", NULL);
	say(out, "   => passed: the browser sends the request%s%.*s%s\n",
	    ma ? " (and may reuse this answer for " : "",
	    ma ? (int)ma->value_len : 0, ma ? ma->value : "", ma ? " s)" : "");
	return true;
}

/* Steps 5-7: the actual request. */
static void actual(struct run *r, bool include, int step)
{
	struct explain_result *res = r->res;
	FILE *out = r->out;
	struct cors_verdict v;
	struct cors_request q;
	char reason[1024], detail[512];

	memset(&q, 0, sizeof(q));
	q.method.s = res->method;
	q.method.len = strlen(res->method);
	q.origin.s = r->origin;
	q.origin.len = r->olen;
	say(out, "\n%d. the request itself\n   %s %s\n   Origin: %s\n", step,
	    res->method, r->url, r->origin);
	for (size_t i = 0; i < r->nauthor; i++)
		say(out, "   %.*s: %.*s%s\n", (int)r->author[i].nlen,
		    r->author[i].name,
		    r->author[i].vlen > 60 ? 60 : (int)r->author[i].vlen,
		    r->author[i].value, r->author[i].vlen > 60 ? "..." : "");
	if (include)
		say(out, "   (with the page's cookies or HTTP credentials)\n");
	if (r->req->data)
		say(out, "   (and a body of %zu bytes)\n", r->req->data_len);
	cors_decide(r->pol, &q, &v);
	cors_reason_format(&v, reason, sizeof(reason));
	if (v.status)
		say(out,
		    "\n%d. corsgate answers it itself (the script does "
		    "not run)\n",
		    step + 1);
	else
		say(out,
		    "\n%d. the script runs; corsgate adds to its answer, "
		    "whatever its status (and removes any "
		    "Access-Control-* the script prints)\n",
		    step + 1);
	print_verdict(out, &v, "   ");
	say(out, "   corsgate: %s\n", reason);
	say(out, "\n%d. the browser checks that answer\n", step + 2);
	enum explain_block b =
	    cors_check(&v, r->origin, include, out, detail, sizeof(detail));
	if (b != EXPLAIN_B_NONE) {
		verdict_blocked(r, EXPLAIN_AT_ACTUAL, b, detail);
		if (v.kind == CORS_ACTUAL_REFUSED)
			blame(r->cfg, r->pol, &v, res);
		else
			blame_browser(r->cfg, r->pol, res);
		say(out, "   => the browser refuses the page the answer (%s)\n",
		    v.status ? "corsgate answered it itself: the script did "
			       "not run"
			     : "the request was sent and the script ran: "
			       "its side effects happened");
		return;
	}
	res->outcome = EXPLAIN_READABLE;
	const struct cors_header *e =
	    vhdr(&v, "Access-Control-Expose-Headers", NULL);
	say(out, "   => the page may read the status, the body and the "
		 "headers Cache-Control, Content-Language, Content-Length, "
		 "Content-Type, Expires, Last-Modified, Pragma");
	if (e && e->value_len == 1 && e->value[0] == '*' && !include)
		say(out, ", and every other but Set-Cookie (Expose-Headers "
			 "'*')\n");
	else if (e)
		say(out, ", %.*s%s\n", (int)e->value_len, e->value,
		    include && list_has(e, "*", 1, true)
			? " ('*' is a plain name with credentials)"
			: "");
	else
		say(out, " (no Access-Control-Expose-Headers)\n");
	key_where(r->cfg, r->pol, r->pol->lines.origin, "allow_origin",
		  res->decided, sizeof(res->decided));
	size_t dl = strlen(res->decided);
	snprintf(res->decided + dl, sizeof(res->decided) - dl, ": matches %.*s",
		 (int)v.detail_len, v.detail);
}

/* enabled = false: what the script must print itself. */
static void disabled(struct run *r, bool include, bool need_preflight)
{
	struct explain_result *res = r->res;
	char sec[300];

	section_name(r->cfg, r->pol, sec, sizeof(sec));
	res->outcome = EXPLAIN_DEPENDS;
	say(r->out,
	    "\n2. corsgate adds and answers nothing here (enabled = false "
	    "in %s): %sthe request go%s to the script untouched, and its "
	    "own headers decide\n",
	    sec, need_preflight ? "the preflight (OPTIONS) and " : "",
	    need_preflight ? "" : "es");
	key_where(r->cfg, r->pol, r->pol->lines.enabled, "enabled",
		  res->decided, sizeof(res->decided));
	snprintf(res->fix, sizeof(res->fix),
		 "the script must answer%s Access-Control-Allow-Origin: %s%s%s"
		 "; or let corsgate answer: remove enabled = false and "
		 "allow the origin there",
		 need_preflight ? " the preflight with an ok status and" : "",
		 r->origin,
		 include ? " and Access-Control-Allow-Credentials: true"
			 : " (or *)",
		 need_preflight ? ", -Allow-Methods and -Allow-Headers" : "");
}

enum explain_outcome explain_run(const struct config *cfg,
				 const struct curlcmd_req *req,
				 const struct explain_opts *opts, FILE *out,
				 struct explain_result *res)
{
	static struct run r; /* large; one run at a time per process */
	struct hdr own[CURLCMD_MAX_HEADERS];
	size_t nown = 0;
	int norigin = 0;
	bool cookies = req->cookie.s != NULL, authz = false;
	char path[CURLCMD_MAX_URL + 1];

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.req = req;
	r.res = res;
	r.out = out;
	res->outcome = EXPLAIN_ERROR;
	for (size_t i = 0; i < req->nheaders; i++) {
		struct hdr h = {req->headers[i].name.s, req->headers[i].value.s,
				req->headers[i].name.len,
				req->headers[i].value.len};
		if (ieq(h.name, h.nlen, "origin")) {
			norigin++;
			r.origin = h.value;
			r.olen = h.vlen;
			continue;
		}
		if (ieq(h.name, h.nlen, "cookie"))
			cookies = true;
		if (ieq(h.name, h.nlen, "authorization"))
			authz = true;
		if (browsers_own(&h))
			own[nown++] = h;
		else
			r.author[r.nauthor++] = h;
	}
	if (norigin > 1) {
		fail_with(res,
			  "the request has %d Origin headers; a browser "
			  "sends one",
			  norigin);
		return res->outcome;
	}
	if (!r.origin && opts->origin) {
		r.origin = opts->origin;
		r.olen = strlen(opts->origin);
	}
	/* the method, as fetch() sends it */
	const char *m = req->method.s;
	size_t mlen = req->method.len;
	if (!m) {
		m = req->method_implied_head			 ? "HEAD"
		    : req->method_implied_put			 ? "PUT"
		    : req->method_implied_post && !req->get_data ? "POST"
								 : "GET";
		mlen = strlen(m);
	}
	if (!hdrlist_is_token(m, mlen) || mlen >= sizeof(res->method)) {
		fail_with(res, "-X '%.*s': not a method",
			  mlen > 64 ? 64 : (int)mlen, m);
		return res->outcome;
	}
	copy(res->method, sizeof(res->method), m, mlen);
	normalize_method(res->method);
	res->include = opts->creds == EXPLAIN_CREDS_INCLUDE ||
		       (opts->creds == EXPLAIN_CREDS_AUTO &&
			(cookies || authz || req->user.s));
	res->creds_assumed = opts->creds == EXPLAIN_CREDS_AUTO;
	long plen = decode_path(req->path.s, req->path.len, path, sizeof(path));
	if (plen < 0) {
		fail_with(res, "the URL's path holds %%00: web servers refuse "
			       "it (400)");
		return res->outcome;
	}
	snprintf(r.url, sizeof(r.url), "%.*s", (int)req->url.len, req->url.s);
	if (r.origin)
		copy(res->origin, sizeof(res->origin), r.origin, r.olen);

	say(out, "request%s%s: %s %s\n", opts->source ? " from " : "",
	    opts->source ? opts->source : "", res->method, r.url);
	if (req->method.s && strcmp(res->method, req->method.s) != 0)
		say(out, "   (fetch() sends %s as %s)\n", req->method.s,
		    res->method);
	if (req->host.s)
		say(out, "   host %.*s (corsgate does not look at it)\n",
		    (int)req->host.len, req->host.s);
	r.pol = config_lookup(cfg, path, (size_t)plen);
	char sec[300];
	section_name(cfg, r.pol, sec, sizeof(sec));
	say(out, "   policy path %s -> %s (%s:%d)\n", path, sec, cfg->file,
	    r.pol->lines.section);
	if (r.pol->enabled && r.pol->mode == POLICY_REPORT_ONLY)
		say(out,
		    "   mode report-only (%s:%d): corsgate changes nothing - "
		    "the script answers every request, preflights included, "
		    "untouched; below is what mode = enforce would do, which "
		    "corsgate compares with the script's answer and logs\n",
		    cfg->file, r.pol->lines.mode);
	if (!r.origin) {
		say(out, "   no Origin header: the browser sent this as a "
			 "same-origin request or a navigation, and CORS does "
			 "not apply (give --origin ORIGIN to ask about a page "
			 "on another origin)\n");
		res->outcome = EXPLAIN_READABLE;
		snprintf(res->decided, sizeof(res->decided),
			 "no Origin: not a CORS request");
		print_end(&r);
		return res->outcome;
	}
	say(out, "   page origin %s%s\n", res->origin,
	    norigin ? " (the request's Origin)" : " (--origin)");
	if (norigin && opts->origin && strcmp(opts->origin, res->origin) != 0)
		say(out,
		    "   (--origin %s ignored: the request carries its "
		    "own Origin)\n",
		    opts->origin);
	if (req->host.s) {
		char uo[512];
		url_origin(req, uo, sizeof(uo));
		if (strcmp(uo, res->origin) == 0) {
			say(out,
			    "   the page and the URL are one origin "
			    "(%s): CORS does not apply\n",
			    uo);
			res->outcome = EXPLAIN_READABLE;
			snprintf(res->decided, sizeof(res->decided),
				 "same origin: not a CORS request");
			print_end(&r);
			return res->outcome;
		}
	}
	res->cors = true;
	say(out, "   credentials %s%s\n", res->include ? "include" : "omit",
	    !res->creds_assumed ? " (--credentials)"
	    : res->include	? " (assumed: the request carries cookies or "
				  "Authorization; --credentials omit to "
				  "change)"
				: " (assumed: no cookies, no Authorization; "
				  "--credentials include to change)");
	if (nown) {
		say(out, "   the browser's own headers, not the page's (never "
			 "preflighted):");
		for (size_t i = 0; i < nown; i++)
			say(out, "%s %.*s", i ? "," : "", (int)own[i].nlen,
			    own[i].name);
		say(out, "\n");
	}
	if (hdrlist_forbidden_method(res->method, strlen(res->method))) {
		say(out,
		    "\n1. fetch() refuses the method %s: nothing is "
		    "sent\n",
		    res->method);
		verdict_blocked(&r, EXPLAIN_AT_FETCH, EXPLAIN_B_FETCH_METHOD,
				res->method);
		snprintf(res->decided, sizeof(res->decided),
			 "the Fetch standard (a forbidden method)");
		snprintf(res->fix, sizeof(res->fix),
			 "none: browsers never send %s", res->method);
		print_end(&r);
		return res->outcome;
	}
	say(out, "\n1. does the browser preflight?\n");
	bool need = false;
	if (!classify(&r, &need))
		goto done;
	res->preflight = need;
	say(out, "   => %s\n",
	    need ? "yes: it asks corsgate first (a preflight)"
		 : "no: a simple request, sent as it is");
	if (!r.pol->enabled) {
		disabled(&r, res->include, need);
		print_end(&r);
		goto done;
	}
	if (need && !preflight(&r, res->include)) {
		print_end(&r);
		goto done;
	}
	actual(&r, res->include, need ? 5 : 2);
	print_end(&r);
done:
	free(r.names);
	r.names = NULL;
	return res->outcome;
}
