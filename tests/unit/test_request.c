/* test_request.c - the policy path: one rule for every front and web
 * server recipe, from the params each one sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

struct path_row {
	const char *name;
	const char *sn, *pi, *uri; /* NULL: the param is absent */
	enum request_front front;
	const char *want;
	enum request_path_how how;
};

#define FCGI REQUEST_FRONT_FASTCGI
#define ACTION REQUEST_FRONT_ACTION
#define JOINED REQUEST_PATH_JOINED
#define BY_SN REQUEST_PATH_SCRIPT_NAME
#define BY_PI REQUEST_PATH_PATH_INFO

static const struct path_row rows[] = {
    {"nginx, no split", "/api/x.sh", NULL, "/api/x.sh?a=1", FCGI, "/api/x.sh",
     JOINED},
    {"nginx, no split, empty PATH_INFO", "/api/x.sh", "", "/api/x.sh", FCGI,
     "/api/x.sh", JOINED},
    {"nginx fastcgi_split_path_info", "/x.php", "/a/b", "/x.php/a/b", FCGI,
     "/x.php/a/b", JOINED},
    {"git's recipe: regex PATH_INFO, SCRIPT_NAME the whole path",
     "/git/demo.git/info/refs", "/demo.git/info/refs",
     "/git/demo.git/info/refs?service=git-upload-pack", FCGI,
     "/git/demo.git/info/refs", BY_SN},
    {"git's recipe without REQUEST_URI", "/git/demo.git/info/refs",
     "/demo.git/info/refs", NULL, FCGI, "/git/demo.git/info/refs", BY_SN},
    {"git's recipe, encoded request line", "/git/my repo.git/HEAD",
     "/my repo.git/HEAD", "/git/my%20repo.git/HEAD", FCGI,
     "/git/my repo.git/HEAD", BY_SN},
    {"cgit's recipe: PATH_INFO = SCRIPT_NAME = $uri", "/demo.git/tree",
     "/demo.git/tree", "/demo.git/tree", FCGI, "/demo.git/tree", BY_SN},
    {"a path that really repeats (request line says so)", "/a/b", "/b",
     "/a/b/b", FCGI, "/a/b/b", JOINED},
    {"a path that really repeats, encoded", "/s/\xc3\xa9", "/\xc3\xa9",
     "/s/%C3%A9/%c3%a9?q", FCGI, "/s/\xc3\xa9/\xc3\xa9", JOINED},
    {"%00 in the request line never matches", "/a/b", "/b", "/a/b%00/b", FCGI,
     "/a/b", BY_SN},
    {"a bad escape never matches", "/a/b", "/b", "/a/b/%zb", FCGI, "/a/b",
     BY_SN},
    {"fixed SCRIPT_NAME + regex PATH_INFO", "/git", "/demo.git/info/refs",
     "/git/demo.git/info/refs", FCGI, "/git/demo.git/info/refs", JOINED},
    {"lighttpd under \"/\": the first segment", "/sub", "/deeper/deep.sh/x",
     "/sub/deeper/deep.sh/x", FCGI, "/sub/deeper/deep.sh/x", JOINED},
    {"lighttpd under a prefix", "/api", "/x.sh/more", "/api/x.sh/more", FCGI,
     "/api/x.sh/more", JOINED},
    {"lighttpd fix-root-scriptname", "/", "/api/x.sh", "/api/x.sh", FCGI,
     "/api/x.sh", BY_PI},
    {"Apache mod_proxy_fcgi", "/env.sh", "/extra/path",
     "/env.sh/extra/path?q=1", FCGI, "/env.sh/extra/path", JOINED},
    {"no SCRIPT_NAME", NULL, "/x", "/x", FCGI, "/x", JOINED},
    {"never the raw REQUEST_URI", NULL, NULL, "/raw%2Fpath", FCGI, "", JOINED},
    {"CGI mode: the Action's PATH_INFO", "/corsgate/corsgate.cgi", "/api/x.sh",
     "/api/x.sh", ACTION, "/api/x.sh", BY_PI},
    {"CGI mode, ~user site", "/~user/corsgate/corsgate.cgi", "/~user/api/x.sh",
     "/~user/api/x.sh", ACTION, "/~user/api/x.sh", BY_PI},
    {"CGI mode, PATH_INFO ends SCRIPT_NAME", "/x/api/x.sh", "/api/x.sh",
     "/api/x.sh", ACTION, "/api/x.sh", BY_PI},
};

static void test_request_policy_path_rows(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct path_row *row = &rows[i];
		char sn[256], pi[256], uri[256];
		char *params[5];
		size_t n = 0;
		params[n++] = "REQUEST_METHOD=GET";
		if (row->sn) {
			snprintf(sn, sizeof(sn), "SCRIPT_NAME=%s", row->sn);
			params[n++] = sn;
		}
		if (row->pi) {
			snprintf(pi, sizeof(pi), "PATH_INFO=%s", row->pi);
			params[n++] = pi;
		}
		if (row->uri) {
			snprintf(uri, sizeof(uri), "REQUEST_URI=%s", row->uri);
			params[n++] = uri;
		}
		params[n] = NULL;
		struct request r;
		assert_int_equal(request_init(&r, params, NULL), REQUEST_OK);
		size_t len = 99;
		enum request_path_how how = (enum request_path_how)99;
		char *p = request_policy_path(&r, row->front, &len, &how);
		assert_non_null(p);
		if (strcmp(p, row->want) != 0 || len != strlen(row->want) ||
		    how != row->how) {
			print_error("%s: got '%s' (%s), want '%s' (%s)\n",
				    row->name, p, request_path_how_str(how),
				    row->want, request_path_how_str(row->how));
			bad++;
		}
		/* request_init's r->path is the FastCGI rule */
		if (row->front == FCGI &&
		    (strcmp(r.path, row->want) != 0 || r.path_len != len)) {
			print_error("%s: r->path '%s'\n", row->name, r.path);
			bad++;
		}
		free(p);
		request_free(&r);
	}
	assert_int_equal(bad, 0);
}

/* The answer's bytes, captured by io.write. */
struct sink {
	char buf[8192];
	size_t len;
};

static int sink_write(void *ctx, const char *b, size_t n)
{
	struct sink *k = ctx;
	if (n > sizeof(k->buf) - 1 - k->len)
		return -1;
	memcpy(k->buf + k->len, b, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

/* A header value with a control byte anywhere (the first, a middle or
 * the last 8-byte word, or a value under 8 bytes) is dropped, logged;
 * HTAB and bytes >= 0x80 pass. */
static void test_request_answer_drops_control_bytes(void **state)
{
	static const struct {
		const char *value;
		bool sent;
		size_t len; /* 0: strlen(value) */
	} vrows[] = {
	    {"*", true, 0},
	    {"", true, 0},
	    {"a\tb", true, 0},
	    {"https://app.example", true, 0},
	    {"\xc3\xa9t\xc3\xa9 caf\xc3\xa9, \xff\x80", true, 0},
	    {"12345678", true, 0},
	    {"1234567\x7f", false, 0},
	    {"\x01", false, 0},
	    {"ab\rc", false, 0},
	    {"\n2345678abcdefgh", false, 0},
	    {"12345678abc\x1f"
	     "efgh",
	     false, 0},
	    {"12345678abcdefg\x7f", false, 0},
	    {"12345678abcdefgh1\x00", false, 18}, /* a NUL byte */
	    {"Origin, Access-Control-Request-Method, X\x02", false, 0},
	    {"Origin, Access-Control-Request-Method, X\t", true, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		struct sink k = {{0}, 0};
		struct request r;
		struct cors_verdict v;
		size_t vl =
		    vrows[i].len ? vrows[i].len : strlen(vrows[i].value);
		memset(&r, 0, sizeof(r));
		memset(&v, 0, sizeof(v));
		r.io.write = sink_write;
		r.io.ctx = &k;
		v.kind = CORS_PREFLIGHT_OK;
		v.status = 204;
		v.headers[0] = (struct cors_header){"X-Before", 8, "1", 1};
		v.headers[1] =
		    (struct cors_header){"X-Value", 7, vrows[i].value, vl};
		v.headers[2] = (struct cors_header){"X-After", 7, "2", 1};
		v.nheaders = 3;
		assert_int_equal(request_answer_verdict(&r, &v), 0);
		if (!strstr(k.buf, "X-Before: 1\r\n") ||
		    !strstr(k.buf, "X-After: 2\r\n") ||
		    (strstr(k.buf, "X-Value: ") != NULL) != vrows[i].sent)
			fail_msg("row %zu: %s", i, k.buf);
		if (vrows[i].sent) {
			char want[128];
			snprintf(want, sizeof(want), "X-Value: %s\r\n",
				 vrows[i].value);
			if (!strstr(k.buf, want))
				fail_msg("row %zu: not as given: %s", i, k.buf);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_policy_path_rows),
	    cmocka_unit_test(test_request_answer_drops_control_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
