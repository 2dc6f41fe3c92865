/* test_explain.c - the browser's side of an exchange, as a table of cURL
 * pastes as Chromium and Firefox print them ("Copy as cURL (bash)"), each
 * mapped to the preflight decision, the Access-Control-Request-Headers
 * value, Chromium's console text, the line of the policy that decided, and
 * the exit code; hostile pastes included (exit 1). corsgate's answers come
 * from the real config_load() / cors_decide(). */
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
#include "curlcmd.h"
#include "explain.h"
#include "log.h"

/* The policy, one line numbered per key the rows name. */
static const char policy_text[] =
    "[cors]\n"					      /* 1 */
    "allow_origin = https://app.example.com\n"	      /* 2 */
    "allow_methods = GET, POST, PUT\n"		      /* 3 */
    "allow_headers = Content-Type, X-Custom-Header\n" /* 4 */
    "expose_headers = X-Total-Count\n"		      /* 5 */
    "allow_credentials = true\n"		      /* 6 */
    "max_age = 600\n"				      /* 7 */
    "\n"					      /* 8 */
    "[path /public/*]\n"			      /* 9 */
    "allow_origin = *\n"			      /* 10 */
    "allow_credentials = false\n"		      /* 11 */
    "allow_headers = *\n"			      /* 12 */
    "\n"					      /* 13 */
    "[path /nocred/*]\n"			      /* 14 */
    "allow_credentials = false\n"		      /* 15 */
    "\n"					      /* 16 */
    "[path /off/*]\n"				      /* 17 */
    "enabled = false\n";			      /* 18 */

static struct config *cfg;
static char policy_file[64];

static void quiet(enum log_level l, const char *m, void *c)
{
	(void)l;
	(void)c;
	fprintf(stderr, "log: %s\n", m);
}

static int setup(void **state)
{
	(void)state;
	log_set_sink(quiet, NULL);
	strcpy(policy_file, "/tmp/corsgate-explain-XXXXXX");
	int fd = mkostemp(policy_file, O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(policy_text);
	if (write(fd, policy_text, n) != (ssize_t)n)
		return -1;
	close(fd);
	cfg = config_load(policy_file);
	unlink(policy_file);
	return cfg ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	config_free(cfg);
	log_set_sink(NULL, NULL);
	return 0;
}

/* What `corsgate explain -c POLICY [--credentials C] -` exits with for
 * paste, the result in *res (res->error for a paste error). */
static int run(const char *paste, size_t len, enum explain_creds creds,
	       struct explain_result *res)
{
	static char arena[300000];
	static const char *words[CURLCMD_MAX_WORDS];
	static struct curlcmd_req req;
	struct explain_opts o = {creds, NULL, "the pasted cURL"};
	struct curlcmd_where w;
	size_t n;
	enum curlcmd_err e;

	memset(res, 0, sizeof(*res));
	e = curlcmd_split(paste, len, arena, sizeof(arena), words,
			  CURLCMD_MAX_WORDS, &n, &w);
	if (!e)
		e = curlcmd_parse(words, n, &req, &w);
	if (e) {
		snprintf(res->error, sizeof(res->error), "%s",
			 curlcmd_strerror(e));
		return 1;
	}
	FILE *out = fopen("/dev/null", "we");
	assert_non_null(out);
	int rc = (int)explain_run(cfg, &req, &o, out, res);
	fclose(out);
	return rc;
}

#define UA                                                                     \
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "     \
	"Gecko) Chrome/126.0.0.0 Safari/537.36"
#define CHROMIUM_HEADERS(origin)                                               \
	"  -H 'accept: */*' \\\n"                                              \
	"  -H 'accept-language: en-US,en;q=0.9' \\\n"                          \
	"  -H 'origin: " origin "' \\\n"                                       \
	"  -H 'priority: u=1, i' \\\n"                                         \
	"  -H 'referer: " origin "/' \\\n"                                     \
	"  -H 'sec-ch-ua: \"Chromium\";v=\"126\", \"Not.A/Brand\";v=\"24\"' "  \
	"\\\n"                                                                 \
	"  -H 'sec-ch-ua-mobile: ?0' \\\n"                                     \
	"  -H 'sec-ch-ua-platform: \"Linux\"' \\\n"                            \
	"  -H 'sec-fetch-dest: empty' \\\n"                                    \
	"  -H 'sec-fetch-mode: cors' \\\n"                                     \
	"  -H 'sec-fetch-site: cross-site' \\\n"                               \
	"  -H 'user-agent: " UA "' \\\n"
#define FIREFOX_HEADERS(origin)                                                \
	" -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "          \
	"Gecko/20100101 Firefox/128.0' -H 'Accept: */*' -H "                   \
	"'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, "        \
	"deflate, br, zstd' -H 'Referer: " origin "/' -H 'Origin: " origin     \
	"' -H 'Connection: keep-alive' -H 'Sec-Fetch-Dest: empty' -H "         \
	"'Sec-Fetch-Mode: cors' -H 'Sec-Fetch-Site: cross-site' -H "           \
	"'Priority: u=4' -H 'Pragma: no-cache' -H 'Cache-Control: no-cache'"

#define APP "https://app.example.com"
#define NOACAO                                                                 \
	"No 'Access-Control-Allow-Origin' header is present on the "           \
	"requested resource."
#define PRE "Response to preflight request doesn't pass access control check: "

struct row {
	const char *name;
	const char *paste;
	enum explain_creds creds;
	int rc;		     /* the exit code */
	int preflight;	     /* 1 / 0; -1: not asked (errors) */
	const char *acrh;    /* NULL: not asked */
	const char *console; /* exact; "" when readable */
	const char *decided; /* a substring of res.decided, or NULL */
	const char *fix;     /* a substring of res.fix, or NULL */
};

static const struct row rows[] = {
    /* Chromium */
    {"chromium: simple GET, allowed",
     "curl 'https://api.example.com/v1/items?page=2' \\\n" CHROMIUM_HEADERS(
	 APP) "  --compressed",
     EXPLAIN_CREDS_AUTO, 0, 0, "", "", ":2: allow_origin (in [cors])", NULL},
    {"chromium: PUT with JSON and X-Custom-Header, allowed",
     "curl 'https://api.example.com/v1/items/7' \\\n"
     "  -X 'PUT' \\\n" CHROMIUM_HEADERS(
	 APP) "  -H 'content-type: application/json' \\\n"
	      "  -H 'x-custom-header: v' \\\n"
	      "  --data-raw $'{\"name\":\"O\\'Brien\"}' \\\n"
	      "  --compressed",
     EXPLAIN_CREDS_AUTO, 0, 1, "content-type,x-custom-header", "", NULL, NULL},
    {"chromium: PATCH refused at the preflight",
     "curl 'https://api.example.com/v1/items/7' -X 'PATCH' " CHROMIUM_HEADERS(
	 APP) " --data-raw 'x' --compressed",
     EXPLAIN_CREDS_AUTO, 2, 1, "", PRE NOACAO, ":3: allow_methods (in [cors])",
     "add PATCH to allow_methods"},
    {"chromium: an unlisted header refused at the preflight",
     "curl 'https://api.example.com/x' -H 'origin: " APP
     "' -H 'X-Other-Header: 1' -H 'x-custom-header: 2' --compressed",
     EXPLAIN_CREDS_AUTO, 2, 1, "x-custom-header,x-other-header", PRE NOACAO,
     ":4: allow_headers", "add x-other-header to allow_headers"},
    {"chromium: another origin refused at the actual request",
     "curl 'https://api.example.com/x' " CHROMIUM_HEADERS(
	 "https://evil.test") " --compressed",
     EXPLAIN_CREDS_AUTO, 2, 0, "", NOACAO, ":2: allow_origin",
     "allow_origin = https://evil.test"},
    {"chromium: cookies to a '*' policy",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP "' -b 'sid=1'",
     EXPLAIN_CREDS_AUTO, 2, 0, "",
     "The value of the 'Access-Control-Allow-Origin' header in the "
     "response must not be the wildcard '*' when the request's credentials "
     "mode is 'include'.",
     ":10: allow_origin (in [path /public/*])", "credentials: 'omit'"},
    {"chromium: the same with --credentials omit",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP "' -b 'sid=1'",
     EXPLAIN_CREDS_OMIT, 0, 0, "", "", NULL, NULL},
    {"chromium: cookies, allow_credentials = false",
     "curl 'https://api.example.com/nocred/x' -H 'origin: " APP
     "' -b 'sid=1' --compressed",
     EXPLAIN_CREDS_AUTO, 2, 0, "",
     "The value of the 'Access-Control-Allow-Credentials' header in the "
     "response is '' which must be 'true' when the request's credentials "
     "mode is 'include'.",
     ":15: allow_credentials (in [path /nocred/*])",
     "allow_credentials = true at"},
    {"chromium: Authorization assumes include, '*' never covers it",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP
     "' -H 'authorization: Bearer t'",
     EXPLAIN_CREDS_OMIT, 2, 1, "authorization", PRE NOACAO,
     ":12: allow_headers", "allow_headers = *, Authorization"},
    {"chromium: headers deduplicated, lowercased, byte-sorted",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP
     "' -H 'X-B: 1' -H 'x-a: 2' -H 'X-b: 3' -H 'X-A-: 4'",
     EXPLAIN_CREDS_AUTO, 0, 1, "x-a,x-a-,x-b", "", NULL, NULL},
    {"chromium: text/plain POST is simple",
     "curl 'https://api.example.com/x' -H 'origin: " APP
     "' -H 'content-type: text/plain;charset=UTF-8' --data-raw 'a'",
     EXPLAIN_CREDS_AUTO, 0, 0, "", "", NULL, NULL},
    {"chromium: a form POST with unsafe bytes in content-type",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP
     "' -H 'content-type: text/plain; x=\"a\"' --data-raw 'a'",
     EXPLAIN_CREDS_AUTO, 0, 1, "content-type", "", NULL, NULL},
    {"chromium: Accept-Language with '_' is not safelisted",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP
     "' -H 'accept-language: en_US'",
     EXPLAIN_CREDS_AUTO, 0, 1, "accept-language", "", NULL, NULL},
    {"chromium: Range bytes=0-499 is safelisted, bytes=-500 is not",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP
     "' -H 'range: bytes=-500'",
     EXPLAIN_CREDS_AUTO, 0, 1, "range", "", NULL, NULL},
    {"chromium: Range bytes=0-499",
     "curl 'https://api.example.com/x' -H 'origin: " APP
     "' -H 'range: bytes=0-499'",
     EXPLAIN_CREDS_AUTO, 0, 0, "", "", NULL, NULL},
    {"chromium: an Accept over 128 bytes",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP "' -H 'accept: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
     EXPLAIN_CREDS_AUTO, 0, 1, "accept", "", NULL, NULL},
    {"chromium: safelisted values over 1024 bytes in all",
     "curl 'https://api.example.com/public/x' -H 'origin: " APP "'"
#define CL120                                                                  \
	" -H 'content-language: "                                              \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"
     CL120 CL120 CL120 CL120 CL120 CL120 CL120 CL120 CL120,
     EXPLAIN_CREDS_AUTO, 0, 1, "content-language", "", NULL, NULL},
    {"chromium: fetch() keeps 'patch' as written",
     "curl 'https://api.example.com/x' -X 'patch' -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 2, 1, "", PRE NOACAO, ":3: allow_methods",
     "write method: 'PATCH' in the page"},
    {"chromium: fetch() uppercases 'put'",
     "curl 'https://api.example.com/x' -X 'put' -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 0, 1, "", "", NULL, NULL},
    {"chromium: TRACE never leaves the page",
     "curl 'https://api.example.com/x' -X TRACE -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 2, 0, "",
     "Failed to execute 'fetch' on 'Window': 'TRACE' HTTP method is "
     "unsupported.",
     NULL, NULL},
    {"chromium: enabled = false, the script decides",
     "curl 'https://api.example.com/off/x' -X PUT -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 3, 1, "", "", ":18: enabled (in [path /off/*])",
     "the script must answer"},
    {"chromium: a same-origin request is not CORS",
     "curl 'https://app.example.com:443/x' -X PUT -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 0, 0, "", "", "same origin", NULL},
    {"chromium: no Origin at all is not CORS",
     "curl 'https://api.example.com/x' -H 'accept: text/html'",
     EXPLAIN_CREDS_AUTO, 0, 0, "", "", "not a CORS request", NULL},
    {"chromium: the path is decoded as the web server does",
     "curl 'https://api.example.com/%70ublic/x' -H 'origin: " APP
     "' -H 'x-y: 1'",
     EXPLAIN_CREDS_AUTO, 0, 1, "x-y", "", "[path /public/*]", NULL},
    /* Firefox */
    {"firefox: PUT with JSON, allowed",
     "curl 'https://api.example.com/v1/items/7' -X PUT" FIREFOX_HEADERS(
	 APP) " -H 'Content-Type: application/json' --data-raw '{}'",
     EXPLAIN_CREDS_AUTO, 0, 1, "content-type", "", NULL, NULL},
    {"firefox: DELETE refused, Cookie header: include",
     "curl 'https://api.example.com/v1/items/7' -X DELETE" FIREFOX_HEADERS(
	 APP) " -H 'Cookie: sid=1'",
     EXPLAIN_CREDS_AUTO, 2, 1, "", PRE NOACAO, ":3: allow_methods",
     "add DELETE to allow_methods"},
    {"firefox: GET with a custom header to '*'",
     "curl 'https://api.example.com/public/list' -X GET" FIREFOX_HEADERS(
	 APP) " -H 'X-Requested-With: XMLHttpRequest'",
     EXPLAIN_CREDS_AUTO, 0, 1, "x-requested-with", "", NULL, NULL},
    /* hostile: a clear error, exit 1 */
    {"hostile: unbalanced quote",
     "curl 'https://api.example.com/x' -H 'origin: " APP, EXPLAIN_CREDS_AUTO, 1,
     -1, NULL, NULL, NULL, NULL},
    {"hostile: a header without a colon",
     "curl 'https://api.example.com/x' -H 'origin " APP "'", EXPLAIN_CREDS_AUTO,
     1, -1, NULL, NULL, NULL, NULL},
    {"hostile: $'\\x00' in a header",
     "curl 'https://api.example.com/x' -H $'origin: a\\x00b'",
     EXPLAIN_CREDS_AUTO, 1, -1, NULL, NULL, NULL, NULL},
    {"hostile: a command substitution",
     "curl \"https://api.example.com/$(id)\"", EXPLAIN_CREDS_AUTO, 1, -1, NULL,
     NULL, NULL, NULL},
    {"hostile: a second command",
     "curl 'https://api.example.com/x'; curl http://h/", EXPLAIN_CREDS_AUTO, 1,
     -1, NULL, NULL, NULL, NULL},
    {"hostile: two Origin headers",
     "curl 'https://api.example.com/x' -H 'origin: " APP "' -H 'Origin: " APP
     "'",
     EXPLAIN_CREDS_AUTO, 1, -1, NULL, NULL, NULL, NULL},
    {"hostile: %00 in the path",
     "curl 'https://api.example.com/a%00b' -H 'origin: " APP "'",
     EXPLAIN_CREDS_AUTO, 1, -1, NULL, NULL, NULL, NULL},
};

static void test_explain_table(void **state)
{
	struct explain_result res;
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int rc = run(r->paste, strlen(r->paste), r->creds, &res);
		if (rc != r->rc)
			fail_msg("%s: exit %d, expected %d (error '%s', "
				 "console '%s')",
				 r->name, rc, r->rc, res.error, res.console);
		if (rc == 1) {
			if (!res.error[0])
				fail_msg("%s: no error message", r->name);
			continue;
		}
		if (r->preflight >= 0 && res.preflight != (r->preflight == 1))
			fail_msg("%s: preflight %d, expected %d", r->name,
				 res.preflight, r->preflight);
		if (r->acrh && strcmp(res.acrh, r->acrh) != 0)
			fail_msg("%s: ACRH '%s', expected '%s'", r->name,
				 res.acrh, r->acrh);
		if (r->console && strcmp(res.console, r->console) != 0)
			fail_msg("%s: console\n  '%s'\nexpected\n  '%s'",
				 r->name, res.console, r->console);
		if (r->decided && !strstr(res.decided, r->decided))
			fail_msg("%s: decided '%s', expected '%s' in it",
				 r->name, res.decided, r->decided);
		if (r->fix && !strstr(res.fix, r->fix))
			fail_msg("%s: fix '%s', expected '%s' in it", r->name,
				 res.fix, r->fix);
	}
}

/* A 100 KB header value and raw NUL bytes: exit 1, clear errors. */
static void test_explain_hostile_sizes(void **state)
{
	struct explain_result res;
	(void)state;
	size_t big = 100 * 1024;
	char *p = malloc(big + 128);
	assert_non_null(p);
	int k = snprintf(p, 128, "curl 'https://api.example.com/x' -H 'x: ");
	memset(p + k, 'v', big);
	strcpy(p + k + big, "'");
	assert_int_equal(run(p, strlen(p), EXPLAIN_CREDS_AUTO, &res), 1);
	assert_non_null(strstr(res.error, "8 KiB"));
	free(p);
	static const char nul[] = "curl 'https://api.example.com/x' -H 'a: \0'";
	assert_int_equal(run(nul, sizeof(nul) - 1, EXPLAIN_CREDS_AUTO, &res),
			 1);
	assert_non_null(strstr(res.error, "NUL"));
}

/* Fetch's safelist, value by value. */
static void test_explain_safelisted_header(void **state)
{
	static const struct {
		const char *name, *value;
		bool safe;
	} t[] = {
	    {"Accept", "*/*", true},
	    {"accept", "text/html, application/json;q=0.9", true},
	    {"Accept", "a@b", false},
	    {"Accept-Language", "de-CH, en;q=0.5", true},
	    {"Content-Language", "en_US", false},
	    {"Content-Type", "application/x-www-form-urlencoded", true},
	    {"Content-Type", "MULTIPART/FORM-DATA; boundary=x", true},
	    {"Content-Type", " text/plain ", true},
	    {"Content-Type", "text/plain;charset=UTF-8", true},
	    {"Content-Type", "application/json", false},
	    {"Content-Type", "text/plain\x01", false},
	    {"Content-Type", "text", false},
	    {"Content-Type", "text/", false},
	    {"Range", "bytes=0-", true},
	    {"Range", "bytes=5-4", false},
	    {"Range", "bytes=0-1,3-4", false},
	    {"Range", "bytes = 0-1", false},
	    {"Range", "items=0-1", false},
	    {"X-Custom-Header", "v", false},
	    {"Authorization", "Bearer x", false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		bool s = explain_safelisted_header(t[i].name, strlen(t[i].name),
						   t[i].value,
						   strlen(t[i].value), &why);
		if (s != t[i].safe)
			fail_msg("%s: %s: %d, expected %d", t[i].name,
				 t[i].value, s, t[i].safe);
		if (!s && !why)
			fail_msg("%s: %s: no reason", t[i].name, t[i].value);
	}
}

/* The printed exchange names every step, and ends with the console line. */
static void test_explain_printed(void **state)
{
	static char arena[4096];
	static const char *words[64];
	static struct curlcmd_req req;
	static const char paste[] =
	    "curl 'https://api.example.com/x?q=1' -X 'PATCH' -H 'origin: " APP
	    "' -H 'x-custom-header: 1'";
	struct explain_opts o = {EXPLAIN_CREDS_AUTO, NULL, "the pasted cURL"};
	struct explain_result res;
	struct curlcmd_where w;
	size_t n;
	char *buf = NULL;
	size_t blen = 0;
	(void)state;
	assert_int_equal(curlcmd_split(paste, strlen(paste), arena,
				       sizeof(arena), words, 64, &n, &w),
			 CURLCMD_OK);
	assert_int_equal(curlcmd_parse(words, n, &req, &w), CURLCMD_OK);
	FILE *out = open_memstream(&buf, &blen);
	assert_non_null(out);
	assert_int_equal(explain_run(cfg, &req, &o, out, &res),
			 EXPLAIN_BLOCKED);
	fclose(out);
	static const char *const want[] = {
	    "request from the pasted cURL: PATCH https://api.example.com/x?q=1",
	    "credentials omit (assumed: no cookies, no Authorization",
	    "1. does the browser preflight?",
	    "method PATCH is not CORS-safelisted",
	    "2. the preflight the browser sends first",
	    "Access-Control-Request-Method: PATCH\n",
	    "Access-Control-Request-Headers: x-custom-header\n",
	    "3. corsgate answers it (the script does not run)",
	    "Status: 403 Forbidden",
	    "corsgate: refused: method PATCH not in allow_methods",
	    "4. the browser checks that answer",
	    "FAIL no Access-Control-Allow-Origin",
	    "verdict: blocked at the preflight",
	    "Chromium: Access to fetch at 'https://api.example.com/x?q=1' from "
	    "origin 'https://app.example.com' has been blocked by CORS policy: "
	    "Response to preflight request doesn't pass access control check: "
	    "No 'Access-Control-Allow-Origin' header is present on the "
	    "requested resource.\n",
	    "decided by: ",
	    ":3: allow_methods (in [cors])",
	    "to allow it: add PATCH to allow_methods at ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(buf, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], buf);
	assert_null(strstr(buf, "5. the request itself"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_explain_table),
	    cmocka_unit_test(test_explain_hostile_sizes),
	    cmocka_unit_test(test_explain_safelisted_header),
	    cmocka_unit_test(test_explain_printed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
