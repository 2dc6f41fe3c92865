/* test_report.c - report-only: the policy's verdict against the script's
 * answer, one row per (request, script header block, verdict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cgiresp.h"
#include "report.h"

#define O "https://a.example"

struct row {
	const char *name;
	bool preflight;
	const char *acrm, *acrh; /* with preflight; NULL: absent */
	bool cred;
	bool policy_allows;
	const char *block; /* the script's header block */
	bool script_allows;
	const char *why; /* the phrase, when it refuses */
};

static const struct row rows[] = {
    /* actual requests */
    {"actual: echoed origin", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O "\r\n\r\n",
     true, NULL},
    {"actual: star", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\n\r\n", true,
     NULL},
    {"actual: header name case-insensitive", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\naccess-control-allow-origin: " O "\r\n\r\n",
     true, NULL},
    {"actual: no ACAO", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\n\r\n", false,
     "no Access-Control-Allow-Origin"},
    {"actual: another origin", false, NULL, NULL, false, false,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: "
     "https://b.example\r\n\r\n",
     false, "Access-Control-Allow-Origin is not the origin"},
    {"actual: origin with a trailing slash", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O "/\r\n\r\n",
     false, "Access-Control-Allow-Origin is not the origin"},
    {"actual: origin in other case", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: "
     "https://A.example\r\n\r\n",
     false, "Access-Control-Allow-Origin is not the origin"},
    {"actual: two ACAO", false, NULL, NULL, false, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
     false, "more than one Access-Control-Allow-Origin"},
    {"actual credentialed: star refused", false, NULL, NULL, true, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\n"
     "Access-Control-Allow-Credentials: true\r\n\r\n",
     false, "Access-Control-Allow-Origin * for a request with credentials"},
    {"actual credentialed: origin without ACAC", false, NULL, NULL, true, true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O "\r\n\r\n",
     false,
     "no Access-Control-Allow-Credentials: true for a request with "
     "credentials"},
    {"actual credentialed: ACAC True is not true", false, NULL, NULL, true,
     true,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Credentials: True\r\n\r\n",
     false,
     "no Access-Control-Allow-Credentials: true for a request with "
     "credentials"},
    {"actual credentialed: origin and ACAC", false, NULL, NULL, true, false,
     "Content-Type: text/plain\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Credentials: true\r\n\r\n",
     true, NULL},
    /* preflights */
    {"preflight: method listed", true, "PUT", NULL, false, false,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: GET, PUT\r\n\r\n",
     true, NULL},
    {"preflight: method not listed", true, "PUT", NULL, false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: GET, POST\r\n\r\n",
     false, "method not in Access-Control-Allow-Methods"},
    {"preflight: method case-sensitive", true, "PUT", NULL, false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: put\r\n\r\n",
     false, "method not in Access-Control-Allow-Methods"},
    {"preflight: methods over two headers", true, "DELETE", NULL, false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: PUT\r\n"
     "Access-Control-Allow-Methods: DELETE\r\n\r\n",
     true, NULL},
    {"preflight: safelisted method needs nothing", true, "POST", NULL, false,
     true, "Status: 200\r\nAccess-Control-Allow-Origin: " O "\r\n\r\n", true,
     NULL},
    {"preflight: star method", true, "PATCH", NULL, false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: *\r\n"
     "Access-Control-Allow-Methods: *\r\n\r\n",
     true, NULL},
    {"preflight: not ok status", true, "PUT", NULL, false, true,
     "Status: 403\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: PUT\r\n\r\n",
     false, "the preflight's status is not 2xx"},
    {"preflight: no ACAO", true, "PUT", NULL, false, false,
     "Status: 204\r\nAccess-Control-Allow-Methods: PUT\r\n\r\n", false,
     "no Access-Control-Allow-Origin"},
    {"preflight: headers listed, any case", true, "PUT",
     "content-type,x-custom", false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: PUT\r\n"
     "Access-Control-Allow-Headers: Content-Type, X-Custom\r\n\r\n",
     true, NULL},
    {"preflight: a header missing", true, "PUT", "content-type,x-custom",
     false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: PUT\r\n"
     "Access-Control-Allow-Headers: Content-Type\r\n\r\n",
     false, "header not in Access-Control-Allow-Headers"},
    {"preflight: star headers", true, "GET", "x-a,x-b", false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Headers: *\r\n\r\n",
     true, NULL},
    {"preflight: star does not cover authorization", true, "GET",
     "authorization", false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Headers: *\r\n\r\n",
     false, "header not in Access-Control-Allow-Headers"},
    {"preflight: malformed methods list", true, "PUT", NULL, false, true,
     "Status: 204\r\nAccess-Control-Allow-Origin: " O
     "\r\nAccess-Control-Allow-Methods: PUT; DELETE\r\n\r\n",
     false, "a malformed Access-Control-Allow-Methods"},
};

static void set(struct cors_str *s, const char *v)
{
	s->s = v;
	s->len = v ? strlen(v) : 0;
}

static void test_report_compare_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct cgiresp resp;
		enum cgiresp_err err;
		struct cors_request req;
		struct cors_verdict v;
		struct report_result res;

		memset(&req, 0, sizeof(req));
		memset(&v, 0, sizeof(v));
		set(&req.method, w->preflight ? "OPTIONS" : "GET");
		set(&req.origin, O);
		if (w->preflight) {
			set(&req.acrm, w->acrm);
			set(&req.acrh, w->acrh);
		}
		v.kind = w->preflight ? (w->policy_allows ? CORS_PREFLIGHT_OK
							  : CORS_PREFLIGHT_REFUSED)
				      : (w->policy_allows ? CORS_ACTUAL_OK
							  : CORS_ACTUAL_REFUSED);
		long n = cgiresp_parse(w->block, strlen(w->block), false,
				       &resp, &err);
		if (n <= 0)
			fail_msg("%s: the block does not parse", w->name);
		bool differ =
		    report_compare(&resp, &v, &req, w->cred, &res);
		if (res.script_allows != w->script_allows)
			fail_msg("%s: script_allows %d, want %d (%s)", w->name,
				 res.script_allows, w->script_allows,
				 res.why ? res.why : "-");
		if (res.policy_allows != w->policy_allows ||
		    differ != (w->policy_allows != w->script_allows) ||
		    res.preflight != w->preflight)
			fail_msg("%s: policy/differ/preflight wrong", w->name);
		if ((w->why == NULL) != (res.why == NULL) ||
		    (w->why && strcmp(w->why, res.why) != 0))
			fail_msg("%s: why '%s', want '%s'", w->name,
				 res.why ? res.why : "(null)",
				 w->why ? w->why : "(null)");
	}
}

/* A preflight never carries credentials: "*" passes it. */
static void test_report_preflight_ignores_credentials(void **state)
{
	struct cgiresp resp;
	enum cgiresp_err err;
	struct cors_request req;
	struct cors_verdict v;
	struct report_result res;
	const char *b = "Status: 204\r\nAccess-Control-Allow-Origin: *\r\n"
			"Access-Control-Allow-Methods: *\r\n\r\n";

	(void)state;
	memset(&req, 0, sizeof(req));
	memset(&v, 0, sizeof(v));
	set(&req.method, "OPTIONS");
	set(&req.origin, O);
	set(&req.acrm, "PUT");
	v.kind = CORS_PREFLIGHT_OK;
	assert_true(cgiresp_parse(b, strlen(b), false, &resp, &err) > 0);
	assert_false(report_compare(&resp, &v, &req, true, &res));
	assert_true(res.script_allows);
}

static void test_report_format(void **state)
{
	struct cgiresp resp;
	enum cgiresp_err err;
	struct cors_request req;
	struct cors_verdict v;
	struct report_result res;
	char line[512];
	const char *b = "Status: 204\r\nAccess-Control-Allow-Origin: " O
			"\r\nAccess-Control-Allow-Methods: PUT\r\n\r\n";

	(void)state;
	memset(&req, 0, sizeof(req));
	memset(&v, 0, sizeof(v));
	set(&req.method, "OPTIONS");
	set(&req.origin, O);
	set(&req.acrm, "PUT");
	v.kind = CORS_PREFLIGHT_REFUSED;
	v.reason = CORS_R_METHOD_DENIED;
	v.detail = "PUT";
	v.detail_len = 3;
	assert_true(cgiresp_parse(b, strlen(b), false, &resp, &err) > 0);
	assert_true(report_compare(&resp, &v, &req, false, &res));
	report_format(&res, &v, &req, "/api/x", 6, line, sizeof(line));
	assert_string_equal(line,
			    "report-only: preflight for PUT /api/x origin " O
			    ": policy refuses (method PUT not in "
			    "allow_methods), the script allowed it");

	/* the other way: the policy allows, the script gave no ACAO */
	const char *b2 = "Content-Type: text/plain\r\n\r\n";
	set(&req.method, "GET");
	set(&req.acrm, NULL);
	v.kind = CORS_ACTUAL_OK;
	v.reason = CORS_R_ORIGIN_MATCH;
	v.detail = O;
	v.detail_len = strlen(O);
	assert_true(cgiresp_parse(b2, strlen(b2), false, &resp, &err) > 0);
	assert_true(report_compare(&resp, &v, &req, false, &res));
	report_format(&res, &v, &req, "/api/x", 6, line, sizeof(line));
	assert_string_equal(line, "report-only: GET /api/x origin " O
				  ": policy allows (origin matches " O
				  "), the script refused it (no "
				  "Access-Control-Allow-Origin)");

	/* truncated, still terminated; the length it wanted */
	char small[16];
	int n = report_format(&res, &v, &req, "/api/x", 6, small,
			      sizeof(small));
	assert_int_equal((size_t)n, strlen(line));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_compare_table),
	    cmocka_unit_test(test_report_preflight_ignores_credentials),
	    cmocka_unit_test(test_report_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
