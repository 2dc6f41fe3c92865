/* test_cors.c - the decision, as a table: one row per request, hostile ones
 * included, each with the exact headers it must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cors.h"
#include "log.h"

/* The policies the rows refer to. */
enum pol {
	P_REF,	 /* the reference exchange */
	P_CRED,	 /* patterns, credentials, expose, max_age */
	P_STAR,	 /* "*" everywhere, no credentials */
	P_ECHO,	 /* "*" methods and headers with credentials: echoed */
	P_NULL,	 /* the literal null */
	P_PNA,	 /* private network access allowed */
	P_BLOCK, /* block_disallowed, 200 statuses */
	P_OFF,	 /* enabled = false */
	P_AUTH,	 /* "*, Authorization" */
	P_NONE,	 /* no origin allowed */
	P_STARC, /* "*" origins plus listed methods */
	P_COUNT
};

static const char *const policy_text[P_COUNT] = {
    [P_REF] = "[cors]\nallow_origin = http://x.com\n"
	      "allow_methods = GET, POST, PUT\n"
	      "allow_headers = X-Custom-Header\n",
    [P_CRED] = "[cors]\nallow_origin = https://app.example.com\n"
	       "allow_origin = https://*.example.com http://localhost:*\n"
	       "allow_methods = GET, POST, PUT, DELETE\n"
	       "allow_headers = Content-Type, X-Custom-Header\n"
	       "expose_headers = X-Total-Count\n"
	       "allow_credentials = true\nmax_age = 600\n",
    [P_STAR] = "[cors]\nallow_origin = *\nallow_methods = *\n"
	       "allow_headers = *\nexpose_headers = *\n",
    [P_ECHO] = "[cors]\nallow_origin = https://a.com\nallow_methods = *\n"
	       "allow_headers = *\nallow_credentials = true\n",
    [P_NULL] = "[cors]\nallow_origin = null\nallow_methods = PUT\n",
    [P_PNA] = "[cors]\nallow_origin = https://a.com\n"
	      "allow_private_network = true\n",
    [P_BLOCK] = "[cors]\nallow_origin = https://a.com\n"
		"block_disallowed = true\ndeny_status = 200\n"
		"preflight_status = 200\n",
    [P_OFF] = "[cors]\nallow_origin = *\nenabled = false\n",
    [P_AUTH] = "[cors]\nallow_origin = https://a.com\n"
	       "allow_headers = *, Authorization\n",
    [P_NONE] = "[cors]\nallow_methods = PUT\n",
    [P_STARC] = "[cors]\nallow_origin = *\nallow_methods = PUT\n"
		"allow_origin = https://a.com\n",
};

static struct config *cfgs[P_COUNT];

static void quiet(enum log_level l, const char *m, void *c)
{
	(void)l;
	(void)c;
	fprintf(stderr, "log: %s\n", m);
}

static int load_all(void **state)
{
	(void)state;
	log_set_sink(quiet, NULL);
	for (int i = 0; i < P_COUNT; i++) {
		char path[] = "/tmp/corsgate-cors-XXXXXX";
		int fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -1;
		size_t n = strlen(policy_text[i]);
		if (write(fd, policy_text[i], n) != (ssize_t)n)
			return -1;
		close(fd);
		cfgs[i] = config_load(path);
		unlink(path);
		if (!cfgs[i]) {
			fprintf(stderr, "policy %d does not load\n", i);
			return -1;
		}
	}
	return 0;
}

static int free_all(void **state)
{
	(void)state;
	for (int i = 0; i < P_COUNT; i++)
		config_free(cfgs[i]);
	log_set_sink(NULL, NULL);
	return 0;
}

#define ABSENT ((const char *)0)
#define VP                                                                     \
	"Vary: Origin, Access-Control-Request-Method, "                        \
	"Access-Control-Request-Headers\n"

struct row {
	const char *name;
	enum pol pol;
	const char *method;
	const char *origin, *acrm, *acrh, *acrpn;
	enum cors_kind kind;
	int status;
	const char *headers; /* "Name: value\n" each, in order */
	const char *reason;  /* a fragment of the formatted reason */
};

static const struct row rows[] = {
    /* the reference exchange */
    {"reference preflight", P_REF, "OPTIONS", "http://x.com", "PUT",
     "X-Custom-Header", ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: http://x.com\n"
     "Access-Control-Allow-Methods: GET, POST, PUT\n"
     "Access-Control-Allow-Headers: X-Custom-Header\n" VP,
     "allowed: origin matches http://x.com"},
    {"reference actual PUT", P_REF, "PUT", "http://x.com", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: http://x.com\nVary: Origin\n", "allowed"},
    {"reference refused method", P_REF, "OPTIONS", "http://x.com", "PATCH",
     "X-Custom-Header", ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "refused: method PATCH not in allow_methods"},
    {"reference refused header", P_REF, "OPTIONS", "http://x.com", "PUT",
     "X-Other", ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "refused: header X-Other not in allow_headers"},
    {"reference refused origin", P_REF, "OPTIONS", "http://y.com", "PUT",
     ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "refused: origin http://y.com not in allow_origin"},
    /* what is and is not a preflight */
    {"no origin GET", P_REF, "GET", ABSENT, ABSENT, ABSENT, ABSENT,
     CORS_NOT_CORS, 0, "Vary: Origin\n", "not CORS: no Origin header"},
    {"OPTIONS without origin", P_REF, "OPTIONS", ABSENT, "PUT", ABSENT, ABSENT,
     CORS_NOT_CORS, 0, "Vary: Origin\n", "not CORS"},
    {"OPTIONS without ACRM is actual", P_REF, "OPTIONS", "http://x.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: http://x.com\nVary: Origin\n", "allowed"},
    {"lowercase options is not a preflight", P_REF, "options", "http://x.com",
     "PUT", ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: http://x.com\nVary: Origin\n", "allowed"},
    {"no origin on star policy: no Vary", P_STAR, "GET", ABSENT, ABSENT, ABSENT,
     ABSENT, CORS_NOT_CORS, 0, "", "not CORS"},
    /* origins: serialization, suffix and prefix attacks */
    {"uppercase host refused", P_CRED, "GET", "https://APP.example.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    {"default port refused", P_CRED, "GET", "https://app.example.com:443",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    {"trailing slash refused", P_REF, "GET", "http://x.com/", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    {"scheme mismatch refused", P_REF, "GET", "https://x.com", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "not in allow_origin"},
    {"port mismatch refused", P_REF, "GET", "http://x.com:8080", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "not in allow_origin"},
    {"prefix attack x.com.evil.net", P_REF, "GET", "http://x.com.evil.net",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"suffix attack evilx.com", P_REF, "GET", "http://evilx.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"wildcard matches one label", P_CRED, "GET", "https://api.example.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: https://api.example.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Expose-Headers: X-Total-Count\nVary: Origin\n",
     "allowed: origin matches https://*.example.com"},
    {"wildcard matches deep labels", P_CRED, "GET", "https://a.b.c.example.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: https://a.b.c.example.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Expose-Headers: X-Total-Count\nVary: Origin\n",
     "https://*.example.com"},
    {"exact reported before wildcard", P_CRED, "GET", "https://app.example.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: https://app.example.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Expose-Headers: X-Total-Count\nVary: Origin\n",
     "allowed: origin matches https://app.example.com"},
    {"wildcard never the apex", P_CRED, "GET", "https://example.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"wildcard: evilexample.com", P_CRED, "GET", "https://evilexample.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"wildcard: example.com.evil.net", P_CRED, "GET",
     "https://example.com.evil.net", ABSENT, ABSENT, ABSENT,
     CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "not in allow_origin"},
    {"wildcard: a.example.com.evil.net", P_CRED, "GET",
     "https://a.example.com.evil.net", ABSENT, ABSENT, ABSENT,
     CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "not in allow_origin"},
    {"wildcard: scheme is part of it", P_CRED, "GET", "http://api.example.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"wildcard: a port is not", P_CRED, "GET", "https://api.example.com:8443",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"wildcard: empty label", P_CRED, "GET", "https://.example.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    {"any port: 3000", P_CRED, "GET", "http://localhost:3000", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: http://localhost:3000\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Expose-Headers: X-Total-Count\nVary: Origin\n",
     "allowed: origin matches http://localhost:*"},
    {"any port: default port", P_CRED, "GET", "http://localhost", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: http://localhost\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Expose-Headers: X-Total-Count\nVary: Origin\n",
     "http://localhost:*"},
    {"any port: not another host", P_CRED, "GET", "http://localhostx:3000",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"any port: not https", P_CRED, "GET", "https://localhost:3000", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "not in allow_origin"},
    {"userinfo refused", P_REF, "GET", "http://u@x.com", ABSENT, ABSENT, ABSENT,
     CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "is not a serialized origin"},
    {"empty origin refused", P_REF, "GET", "", ABSENT, ABSENT, ABSENT,
     CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "is not a serialized origin"},
    {"two origins joined refused", P_REF, "GET", "http://x.com, http://x.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    {"origin with NUL-free control byte", P_REF, "GET", "http://x.com\r",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "is not a serialized origin"},
    /* null and "*" */
    {"null matches literal null", P_NULL, "OPTIONS", "null", "PUT", ABSENT,
     ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: null\nAccess-Control-Allow-Methods: "
     "PUT\n" VP,
     "allowed: origin matches null"},
    {"null not matched by patterns", P_CRED, "GET", "null", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n",
     "refused: origin null not in allow_origin"},
    {"NULL uppercase is not null", P_NULL, "GET", "NULL", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "refused"},
    {"star answers null with star", P_STAR, "GET", "null", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: *\nAccess-Control-Expose-Headers: *\n",
     "allowed: origin matches *"},
    {"star answers anything with star", P_STAR, "GET", "https://whoever.test",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: *\nAccess-Control-Expose-Headers: *\n", "*"},
    {"star plus exact answers star, no Vary", P_STARC, "GET", "https://a.com",
     ABSENT, ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: *\n", "allowed"},
    {"star preflight", P_STAR, "OPTIONS", "https://w.test", "PATCH", "X-A, X-B",
     ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: *\nAccess-Control-Allow-Methods: *\n"
     "Access-Control-Allow-Headers: *\n" VP,
     "allowed"},
    /* methods */
    {"methods are case-sensitive", P_REF, "OPTIONS", "http://x.com", "put",
     ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "refused: method put not in allow_methods"},
    {"no allow_origin refuses even GET", P_NONE, "OPTIONS", "http://x.com",
     "GET", ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "not in allow_origin"},
    {"safelisted POST passes the method check", P_PNA, "OPTIONS",
     "https://a.com", "POST", ABSENT, ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://a.com\n"
     "Vary: Origin, Access-Control-Request-Method, "
     "Access-Control-Request-Headers, "
     "Access-Control-Request-Private-Network\n",
     "allowed"},
    {"safelisted HEAD with list", P_REF, "OPTIONS", "http://x.com", "HEAD",
     ABSENT, ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: http://x.com\n"
     "Access-Control-Allow-Methods: GET, POST, PUT\n"
     "Access-Control-Allow-Headers: X-Custom-Header\n" VP,
     "allowed"},
    {"forbidden method even with star", P_STAR, "OPTIONS", "https://a.com",
     "TRACE", ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "method TRACE is forbidden"},
    {"forbidden method lowercase", P_STAR, "OPTIONS", "https://a.com",
     "connect", ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP, "forbidden"},
    {"method not a token", P_STAR, "OPTIONS", "https://a.com", "PU T", ABSENT,
     ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP, "is not a method"},
    {"empty ACRM", P_STAR, "OPTIONS", "https://a.com", "", ABSENT, ABSENT,
     CORS_PREFLIGHT_REFUSED, 403, VP, "is not a method"},
    {"star methods with credentials echo", P_ECHO, "OPTIONS", "https://a.com",
     "PATCH", "x-a,x-b", ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://a.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Allow-Methods: PATCH\n"
     "Access-Control-Allow-Headers: x-a,x-b\n" VP,
     "allowed"},
    /* request header lists */
    {"headers any case and OWS", P_CRED, "OPTIONS", "https://app.example.com",
     "PUT", " x-custom-header ,\tCONTENT-TYPE ", ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://app.example.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Allow-Methods: GET, POST, PUT, DELETE\n"
     "Access-Control-Allow-Headers: Content-Type, X-Custom-Header\n"
     "Access-Control-Max-Age: 600\n" VP,
     "allowed"},
    {"headers empty elements and duplicates", P_REF, "OPTIONS", "http://x.com",
     "PUT", ",,x-custom-header,, X-CUSTOM-HEADER,", ABSENT, CORS_PREFLIGHT_OK,
     204,
     "Access-Control-Allow-Origin: http://x.com\n"
     "Access-Control-Allow-Methods: GET, POST, PUT\n"
     "Access-Control-Allow-Headers: X-Custom-Header\n" VP,
     "allowed"},
    {"headers empty list", P_REF, "OPTIONS", "http://x.com", "PUT", "", ABSENT,
     CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: http://x.com\n"
     "Access-Control-Allow-Methods: GET, POST, PUT\n"
     "Access-Control-Allow-Headers: X-Custom-Header\n" VP,
     "allowed"},
    {"one of two headers refused", P_REF, "OPTIONS", "http://x.com", "PUT",
     "x-custom-header, x-evil", ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "refused: header x-evil not in allow_headers"},
    {"header not a token", P_STAR, "OPTIONS", "https://a.com", "PUT",
     "x-a, x b", ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "Access-Control-Request-Headers"},
    {"header with slash", P_STAR, "OPTIONS", "https://a.com", "PUT", "x/a",
     ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP, "Access-Control-Request-Headers"},
    {"star never covers Authorization", P_STAR, "OPTIONS", "https://a.com",
     "PUT", "x-a, Authorization", ABSENT, CORS_PREFLIGHT_REFUSED, 403, VP,
     "'*' never covers Authorization"},
    {"listed Authorization with star", P_AUTH, "OPTIONS", "https://a.com",
     "POST", "authorization, x-y", ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://a.com\n"
     "Access-Control-Allow-Headers: *, Authorization\n" VP,
     "allowed"},
    {"star headers with credentials echo", P_ECHO, "OPTIONS", "https://a.com",
     "PUT", "X-Anything", ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://a.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Allow-Methods: PUT\n"
     "Access-Control-Allow-Headers: X-Anything\n" VP,
     "allowed"},
    {"star with credentials still not Authorization", P_ECHO, "OPTIONS",
     "https://a.com", "PUT", "authorization", ABSENT, CORS_PREFLIGHT_REFUSED,
     403, VP, "never covers Authorization"},
    /* private network access */
    {"PNA allowed", P_PNA, "OPTIONS", "https://a.com", "GET", ABSENT, "true",
     CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://a.com\n"
     "Access-Control-Allow-Private-Network: true\n"
     "Vary: Origin, Access-Control-Request-Method, "
     "Access-Control-Request-Headers, "
     "Access-Control-Request-Private-Network\n",
     "allowed"},
    {"PNA not allowed", P_REF, "OPTIONS", "http://x.com", "GET", ABSENT, "true",
     CORS_PREFLIGHT_REFUSED, 403, VP, "private network access"},
    {"PNA header other than true ignored", P_REF, "OPTIONS", "http://x.com",
     "GET", ABSENT, "false", CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: http://x.com\n"
     "Access-Control-Allow-Methods: GET, POST, PUT\n"
     "Access-Control-Allow-Headers: X-Custom-Header\n" VP,
     "allowed"},
    /* credentials and refusals carry no Allow-* at all */
    {"credentialed preflight", P_CRED, "OPTIONS", "https://app.example.com",
     "DELETE", ABSENT, ABSENT, CORS_PREFLIGHT_OK, 204,
     "Access-Control-Allow-Origin: https://app.example.com\n"
     "Access-Control-Allow-Credentials: true\n"
     "Access-Control-Allow-Methods: GET, POST, PUT, DELETE\n"
     "Access-Control-Allow-Headers: Content-Type, X-Custom-Header\n"
     "Access-Control-Max-Age: 600\n" VP,
     "allowed"},
    {"refused credentialed: no Allow-Credentials", P_CRED, "OPTIONS",
     "https://evil.com", "DELETE", ABSENT, ABSENT, CORS_PREFLIGHT_REFUSED, 403,
     VP, "not in allow_origin"},
    {"refused actual credentialed", P_CRED, "POST", "https://evil.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "refused"},
    {"no origins at all", P_NONE, "GET", "https://a.com", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 0, "Vary: Origin\n", "not in allow_origin"},
    /* statuses, block, disabled */
    {"block refused actual", P_BLOCK, "POST", "https://b.com", ABSENT, ABSENT,
     ABSENT, CORS_ACTUAL_REFUSED, 403, "Vary: Origin\n", "not in allow_origin"},
    {"block does not touch allowed", P_BLOCK, "POST", "https://a.com", ABSENT,
     ABSENT, ABSENT, CORS_ACTUAL_OK, 0,
     "Access-Control-Allow-Origin: https://a.com\nVary: Origin\n", "allowed"},
    {"block: no origin runs the script", P_BLOCK, "POST", ABSENT, ABSENT,
     ABSENT, ABSENT, CORS_NOT_CORS, 0, "Vary: Origin\n", "not CORS"},
    {"deny_status 200", P_BLOCK, "OPTIONS", "https://b.com", "GET", ABSENT,
     ABSENT, CORS_PREFLIGHT_REFUSED, 200, VP, "refused"},
    {"preflight_status 200", P_BLOCK, "OPTIONS", "https://a.com", "GET", ABSENT,
     ABSENT, CORS_PREFLIGHT_OK, 200,
     "Access-Control-Allow-Origin: https://a.com\n" VP, "allowed"},
    {"disabled preflight goes to the script", P_OFF, "OPTIONS", "https://a.com",
     "PUT", ABSENT, ABSENT, CORS_DISABLED, 0, "",
     "disabled: enabled = false for [cors]"},
    {"disabled actual untouched", P_OFF, "GET", "https://a.com", ABSENT, ABSENT,
     ABSENT, CORS_DISABLED, 0, "", "disabled"},
};

static void fill(struct cors_str *s, const char *v)
{
	s->s = v;
	s->len = v ? strlen(v) : 0;
}

static int check_row(const struct row *r)
{
	struct cors_request req;
	struct cors_verdict v;
	char got[4096], reason[1024];
	size_t o = 0;

	fill(&req.method, r->method);
	fill(&req.origin, r->origin);
	fill(&req.acrm, r->acrm);
	fill(&req.acrh, r->acrh);
	fill(&req.acrpn, r->acrpn);
	cors_decide(&cfgs[r->pol]->def, &req, &v);
	got[0] = '\0';
	for (size_t i = 0; i < v.nheaders; i++)
		o += (size_t)snprintf(
		    got + o, sizeof(got) - o, "%s: %.*s\n", v.headers[i].name,
		    (int)v.headers[i].value_len, v.headers[i].value);
	cors_reason_format(&v, reason, sizeof(reason));
	bool allowed =
	    r->kind != CORS_PREFLIGHT_REFUSED && r->kind != CORS_ACTUAL_REFUSED;
	if (v.kind != r->kind || v.status != r->status ||
	    strcmp(got, r->headers) != 0 || !strstr(reason, r->reason) ||
	    cors_allowed(&v) != allowed) {
		print_error("row '%s':\n kind %d (want %d) status %d (want "
			    "%d)\n headers:\n%s want:\n%s reason: %s\n want: "
			    "%s\n",
			    r->name, v.kind, r->kind, v.status, r->status, got,
			    r->headers, reason, r->reason);
		return 1;
	}
	/* A refusal never carries an Allow-* header. */
	if (!allowed && strstr(got, "Access-Control-Allow-")) {
		print_error("row '%s': refused with Allow-* headers\n",
			    r->name);
		return 1;
	}
	return 0;
}

static void test_cors_decision_table(void **state)
{
	(void)state;
	int bad = 0;
	size_t n = sizeof(rows) / sizeof(rows[0]);
	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++)
		bad += check_row(&rows[i]);
	assert_int_equal(bad, 0);
}

/* Hostile sizes: refused quickly (bounded work), never crashing. */
static void test_cors_hostile_header_lists(void **state)
{
	(void)state;
	static char huge[65536 + 1];
	static char commas[10000 + 1];
	struct cors_request req;
	struct cors_verdict v;
	char reason[512];

	memset(huge, 'a', sizeof(huge) - 1);
	memset(commas, ',', sizeof(commas) - 1);
	fill(&req.method, "OPTIONS");
	fill(&req.origin, "https://a.com");
	fill(&req.acrm, "PUT");
	fill(&req.acrpn, NULL);
	const char *lists[] = {huge, commas};
	for (size_t i = 0; i < 2; i++) {
		fill(&req.acrh, lists[i]);
		cors_decide(&cfgs[P_STAR]->def, &req, &v);
		assert_int_equal(v.kind, CORS_PREFLIGHT_REFUSED);
		assert_int_equal(v.reason, CORS_R_HEADERS_INVALID);
		cors_reason_format(&v, reason, sizeof(reason));
		assert_non_null(
		    strstr(reason, "Access-Control-Request-Headers"));
	}
	/* many small elements, under the byte limit but over the count */
	char many[HDRLIST_MAX_BYTES];
	size_t o = 0;
	for (int i = 0; i < HDRLIST_MAX_ELEMENTS + 1; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "h%d,", i);
	fill(&req.acrh, many);
	cors_decide(&cfgs[P_STAR]->def, &req, &v);
	assert_int_equal(v.kind, CORS_PREFLIGHT_REFUSED);
	assert_int_equal(v.hdrlist_err, HDRLIST_E_TOOMANY);
}

static void test_cors_hostile_origins(void **state)
{
	(void)state;
	static char big[4097];
	struct cors_request req;
	struct cors_verdict v;
	char reason[1024];

	memcpy(big, "https://", 8);
	memset(big + 8, 'a', sizeof(big) - 9);
	fill(&req.method, "GET");
	fill(&req.origin, big);
	fill(&req.acrm, NULL);
	fill(&req.acrh, NULL);
	fill(&req.acrpn, NULL);
	cors_decide(&cfgs[P_CRED]->def, &req, &v);
	assert_int_equal(v.kind, CORS_ACTUAL_REFUSED);
	assert_int_equal(v.origin_err, ORIGIN_E_TOOLONG);
	/* the reason quotes a bounded part of it */
	int n = cors_reason_format(&v, reason, sizeof(reason));
	assert_true(n > 0 && n < 600);
	/* a 4 KiB origin under "*" is answered "*", nothing echoed */
	cors_decide(&cfgs[P_STAR]->def, &req, &v);
	assert_int_equal(v.kind, CORS_ACTUAL_OK);
	assert_int_equal(v.headers[0].value_len, 1);
}

static void test_cors_reason_truncates_to_buffer(void **state)
{
	(void)state;
	struct cors_request req;
	struct cors_verdict v;
	char small[16];

	fill(&req.method, "OPTIONS");
	fill(&req.origin, "http://x.com");
	fill(&req.acrm, "PATCH");
	fill(&req.acrh, NULL);
	fill(&req.acrpn, NULL);
	cors_decide(&cfgs[P_REF]->def, &req, &v);
	int want = cors_reason_format(&v, small, sizeof(small));
	assert_true(want > (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_cors_status_text(void **state)
{
	(void)state;
	assert_string_equal(cors_status_text(204), "No Content");
	assert_string_equal(cors_status_text(403), "Forbidden");
	assert_string_equal(cors_status_text(200), "OK");
	assert_string_equal(cors_status_text(299), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cors_decision_table),
	    cmocka_unit_test(test_cors_hostile_header_lists),
	    cmocka_unit_test(test_cors_hostile_origins),
	    cmocka_unit_test(test_cors_reason_truncates_to_buffer),
	    cmocka_unit_test(test_cors_status_text),
	};
	return cmocka_run_group_tests(tests, load_all, free_all);
}
