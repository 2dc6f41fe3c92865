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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_policy_path_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
