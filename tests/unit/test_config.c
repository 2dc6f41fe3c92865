/* test_config.c - the policy file: every load error with its line, the
 * merge of [path] over [cors], the lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* Log capture: every message, one per line. */
static char captured[16384];
static size_t ncaptured;
static int nerrors, nwarnings;

static void sink(enum log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == LOG_LEVEL_ERROR)
		nerrors++;
	if (level == LOG_LEVEL_WARN)
		nwarnings++;
	int n =
	    snprintf(captured + ncaptured, sizeof(captured) - ncaptured,
		     "%s%s\n", level == LOG_LEVEL_WARN ? "warning: " : "", msg);
	if (n > 0 && (size_t)n < sizeof(captured) - ncaptured)
		ncaptured += (size_t)n;
}

static char path[64];

static int setup(void **state)
{
	(void)state;
	captured[0] = '\0';
	ncaptured = 0;
	nerrors = nwarnings = 0;
	log_set_sink(sink, NULL);
	log_set_level(LOG_LEVEL_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	if (path[0])
		unlink(path);
	path[0] = '\0';
	return 0;
}

/* Writes text (len bytes) to a new temporary file; returns its path. */
static const char *write_ini_n(const char *text, size_t len)
{
	snprintf(path, sizeof(path), "/tmp/corsgate-test-XXXXXX");
	int fd = mkostemp(path, O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static const char *write_ini(const char *text)
{
	return write_ini_n(text, strlen(text));
}

static struct config *load(const char *text)
{
	return config_load(write_ini(text));
}

/* ---- refused policies: one row each -------------------------------- */

struct bad_case {
	const char *name;
	const char *ini;
	int line;	    /* the line the first error names */
	const char *expect; /* "KEY: ...reason fragment" after "file:line: " */
};

#define C "[cors]\n"
#define CRED "[cors]\nallow_credentials = true\n"

static const struct bad_case bad_cases[] = {
    {"unknown section", "[corz]\nallow_origin = *\n", 1,
     "corz: unknown section"},
    {"unknown key", C "allow_orgin = https://a.com\n", 2,
     "allow_orgin: unknown key"},
    {"unknown gateway key", "[gateway]\ncgi_rot = /x\n", 2,
     "cgi_rot: unknown key in [gateway]"},
    {"bool not parsed", C "allow_credentials = maybe\n", 2,
     "allow_credentials: 'maybe': expected true or false"},
    {"max_age not a number", C "max_age = ten\n", 2,
     "max_age: 'ten': expected seconds from 0 to 86400"},
    {"max_age negative", C "max_age = -1\n", 2, "max_age: '-1'"},
    {"max_age over a day", C "max_age = 86401\n", 2, "max_age: '86401'"},
    {"max_age trailing junk", C "max_age = 60s\n", 2, "max_age: '60s'"},
    {"preflight_status 201", C "preflight_status = 201\n", 2,
     "preflight_status: '201': expected 200 or 204"},
    {"deny_status 99", C "deny_status = 99\n", 2, "deny_status: '99'"},
    {"deny_status 600", C "deny_status = 600\n", 2, "deny_status: '600'"},
    {"line too long",
     C "allow_origin = https://a.example.com https://b.example.com "
       "https://c.example.com https://d.example.com https://e.example.com "
       "https://f.example.com https://g.example.com https://h.example.com "
       "https://i.example.com https://j.example.com\n",
     2, "line: too long"},
    {"origin with path", C "allow_origin = https://a.com/api\n", 2,
     "allow_origin: 'https://a.com/api'"},
    {"origin trailing slash", C "allow_origin = https://a.com/\n", 2,
     "allow_origin: 'https://a.com/'"},
    {"origin default https port", C "allow_origin = https://a.com:443\n", 2,
     "allow_origin: 'https://a.com:443'"},
    {"origin default http port", C "allow_origin = http://a.com:80\n", 2,
     "allow_origin: 'http://a.com:80'"},
    {"origin uppercase host", C "allow_origin = https://App.example.com\n", 2,
     "allow_origin: 'https://App.example.com'"},
    {"origin uppercase scheme", C "allow_origin = HTTPS://a.com\n", 2,
     "allow_origin: 'HTTPS://a.com'"},
    {"origin userinfo", C "allow_origin = https://u:p@a.com\n", 2,
     "allow_origin: 'https://u:p@a.com'"},
    {"origin no scheme", C "allow_origin = a.com\n", 2,
     "allow_origin: 'a.com'"},
    {"origin bad port", C "allow_origin = https://a.com:99999\n", 2,
     "allow_origin: 'https://a.com:99999'"},
    {"wildcard under tld", C "allow_origin = https://*.com\n", 2,
     "allow_origin: 'https://*.com'"},
    {"wildcard mid label", C "allow_origin = https://a*.example.com\n", 2,
     "allow_origin: 'https://a*.example.com'"},
    {"second origin on a line bad",
     C "allow_origin = https://a.com https://B.com\n", 2,
     "allow_origin: 'https://B.com'"},
    {"star with credentials", CRED "allow_origin = *\n", 3,
     "allow_origin: '*' with allow_credentials = true (line 2)"},
    {"star before credentials", C "allow_origin = *\nallow_credentials = yes\n",
     2, "allow_origin: '*' with allow_credentials = true (line 3)"},
    {"null with credentials",
     CRED "allow_origin = https://a.com\nallow_origin = null\n", 4,
     "allow_origin: 'null' with allow_credentials = true"},
    {"expose star with credentials",
     CRED "allow_origin = https://a.com\nexpose_headers = *\n", 4,
     "expose_headers: '*' with allow_credentials = true"},
    {"path inherits credentials, sets star",
     CRED "allow_origin = https://a.com\n[path /api/*]\nallow_origin = *\n", 5,
     "allow_origin: '*' with allow_credentials = true (line 2)"},
    {"path sets credentials over star",
     "[cors]\nallow_origin = *\n[path /x]\nallow_credentials = true\n", 2,
     "allow_origin: '*' with allow_credentials = true (line 4)"},
    {"method CONNECT", C "allow_methods = GET, CONNECT\n", 2,
     "allow_methods: 'CONNECT' is a forbidden method"},
    {"method TRACE", C "allow_methods = TRACE\n", 2,
     "allow_methods: 'TRACE' is a forbidden method"},
    {"method track lowercase", C "allow_methods = track\n", 2,
     "allow_methods: 'track' is a forbidden method"},
    {"method not a token", C "allow_methods = GET, P(T\n", 2,
     "allow_methods: 'P(T' is not a method token"},
    {"forbidden header Cookie", C "allow_headers = Cookie\n", 2,
     "allow_headers: 'Cookie' is a forbidden request header"},
    {"forbidden header Host", C "allow_headers = X-A, host\n", 2,
     "allow_headers: 'host' is a forbidden request header"},
    {"forbidden header Sec-", C "allow_headers = Sec-Fetch-Mode\n", 2,
     "allow_headers: 'Sec-Fetch-Mode' is a forbidden request header"},
    {"forbidden header Proxy-", C "allow_headers = Proxy-Authorization\n", 2,
     "allow_headers: 'Proxy-Authorization' is a forbidden request header"},
    {"header not a token", C "allow_headers = X-A;B\n", 2,
     "allow_headers: 'X-A;B' is not a header name"},
    {"expose Set-Cookie", C "expose_headers = Set-Cookie\n", 2,
     "expose_headers: 'Set-Cookie' is a forbidden response header"},
    {"scalar key twice", C "max_age = 10\nmax_age = 20\n", 3,
     "max_age: set twice (first at line 2)"},
    {"cors section twice", C "[cors]\n", 2,
     "[cors]: section repeated (first at line 1)"},
    {"path section twice", "[path /a]\nenabled = true\n[path /a]\n", 3,
     "[path]: '/a' repeated (first at line 1)"},
    {"path pattern relative", "[path api/*]\n", 1,
     "[path]: 'api/*' is not a path pattern"},
    {"path pattern star inside", "[path /a/*/b]\n", 1,
     "[path]: '/a/*/b' is not a path pattern"},
    {"key outside section", "allow_origin = https://a.com\n", 1,
     "allow_origin: key outside a section"},
    {"no equals sign", C "https://a.com\n", 2,
     "https://a.com: expected 'key = value'"},
    {"unterminated section", "[cors\n", 1,
     "[: section header without closing ']'"},
    {"text after section", "[cors] x\n", 1, "[: text after the section header"},
    {"gateway cgi_root relative", "[gateway]\ncgi_root = cgi-bin\n", 2,
     "cgi_root: 'cgi-bin': expected an absolute path"},
    {"gateway cgi_root missing",
     "[gateway]\ncgi_root = /tmp\n"
     "cgi_root = /usr/bin/env /nonexistent/cgi-bin\n",
     3, "cgi_root: '/nonexistent/cgi-bin': No such file or directory"},
    {"gateway cgi_root relative in a list", "[gateway]\ncgi_root = /tmp, x\n",
     2, "cgi_root: 'x': expected an absolute path"},
    {"gateway cgi_root not executable", "[gateway]\ncgi_root = /etc/passwd\n",
     2, "cgi_root: '/etc/passwd': a program entry must be executable"},
    {"gateway cgi_root device", "[gateway]\ncgi_root = /dev/null\n", 2,
     "cgi_root: '/dev/null': neither a directory nor a regular file"},
    {"gateway listen bad", "[gateway]\nlisten = 127.0.0.1:9000\n", 2,
     "listen: '127.0.0.1:9000'"},
    {"gateway listen v6 without brackets", "[gateway]\nlisten = tcp:::1:9000\n",
     2, "listen: 'tcp:::1:9000'"},
    {"gateway listen port 0", "[gateway]\nlisten = tcp:127.0.0.1:0\n", 2,
     "listen: 'tcp:127.0.0.1:0'"},
    {"gateway workers 0", "[gateway]\nworkers = 0\n", 2,
     "workers: '0': expected 1 to 256"},
    {"gateway log_level", "[gateway]\nlog_level = loud\n", 2,
     "log_level: 'loud'"},
    {"gateway socket_mode", "[gateway]\nsocket_mode = 999\n", 2,
     "socket_mode: '999'"},
    {"gateway socket_mode sign", "[gateway]\nsocket_mode = -660\n", 2,
     "socket_mode: '-660'"},
    {"hash after a value", C "allow_methods = PUT # note\n", 2,
     "allow_methods: '#' after a value is not a comment"},
    {"gateway max_body suffix", "[gateway]\nmax_body = 10x\n", 2,
     "max_body: '10x'"},
    {"gateway max_body negative", "[gateway]\nmax_body = -1\n", 2,
     "max_body: '-1'"},
    {"gateway content type", "[gateway]\ndefault_content_type = text\n", 2,
     "default_content_type: 'text'"},
    {"gateway script_stderr", "[gateway]\nscript_stderr = syslog\n", 2,
     "script_stderr: 'syslog': expected fastcgi, log or discard"},
    {"gateway script_timeout 0", "[gateway]\nscript_timeout = 0\n", 2,
     "script_timeout: '0'"},
    {"gateway pass_env name", "[gateway]\npass_env = PATH 1BAD\n", 2,
     "pass_env: '1BAD' is not an environment variable name"},
    {"error after a comment line",
     "; comment\n# another\n\n[cors]\nmax_age = x\n", 5, "max_age: 'x'"},
    {"crlf lines keep numbers", "[cors]\r\nmax_age = 10\r\nfoo = 1\r\n", 3,
     "foo: unknown key"},
};

static void test_config_refuses_each_bad_policy(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		setup(NULL);
		struct config *cfg = load(c->ini);
		char want[512];
		snprintf(want, sizeof(want), "%s:%d: %s", path, c->line,
			 c->expect);
		if (cfg != NULL || strstr(captured, want) == NULL ||
		    nerrors == 0) {
			print_error(
			    "case '%s': loaded=%d\nwant: %s\ngot:  %s\n",
			    c->name, cfg != NULL, want, captured);
			config_free(cfg);
			bad++;
		}
		teardown(NULL);
	}
	assert_int_equal(bad, 0);
}

static void test_config_reports_every_error_not_only_the_first(void **state)
{
	(void)state;
	struct config *cfg = load("[cors]\nmax_age = x\nfoo = 1\n"
				  "allow_origin = https://A.com\n[bogus]\n");
	assert_null(cfg);
	assert_int_equal(nerrors, 4);
	assert_non_null(strstr(captured, ":2: max_age"));
	assert_non_null(strstr(captured, ":3: foo"));
	assert_non_null(strstr(captured, ":4: allow_origin"));
	assert_non_null(strstr(captured, ":5: bogus"));
}

static void test_config_inherited_conflict_reported_once(void **state)
{
	(void)state;
	/* [cors] is wrong; the paths that inherit it do not repeat it. */
	struct config *cfg = load("[cors]\nallow_origin = *\n"
				  "allow_credentials = true\n"
				  "[path /a]\nmax_age = 1\n[path /b]\n"
				  "max_age = 2\n");
	assert_null(cfg);
	assert_int_equal(nerrors, 1);
}

static void test_config_nul_byte_refused(void **state)
{
	(void)state;
	static const char text[] = "[cors]\nmax_age = 1\0 0\n";
	struct config *cfg = config_load(write_ini_n(text, sizeof(text) - 1));
	assert_null(cfg);
	assert_non_null(strstr(captured, ":2: line: contains a NUL byte"));
}

static void test_config_missing_file(void **state)
{
	(void)state;
	struct config *cfg = config_load("/nonexistent/corsgate.ini");
	assert_null(cfg);
	assert_non_null(
	    strstr(captured, "/nonexistent/corsgate.ini: cannot open"));
}

static void test_config_long_line_is_not_split(void **state)
{
	(void)state;
	/* 196 bytes fit; 197 do not, and the tail is not read as a line. */
	char ok[400], bad[400];
	snprintf(ok, sizeof(ok), "[cors]\nallow_headers = X-%0*d\n", 196 - 18,
		 0);
	assert_int_equal(strlen(ok) - 8, 196);
	struct config *cfg = load(ok);
	assert_non_null(cfg);
	config_free(cfg);
	teardown(NULL);
	setup(NULL);
	snprintf(bad, sizeof(bad),
		 "[cors]\nallow_headers = X-%0*d\nmax_age = 5\n", 197 - 18, 0);
	cfg = load(bad);
	assert_null(cfg);
	assert_int_equal(nerrors, 1);
	assert_non_null(strstr(captured, ":2: line: too long (197 bytes"));
}

/* ---- warnings: loaded all the same --------------------------------- */

static void test_config_warns_http_origin_with_credentials(void **state)
{
	(void)state;
	struct config *cfg = load("[cors]\nallow_credentials = true\n"
				  "allow_origin = https://a.com\n"
				  "allow_origin = http://b.com\n");
	assert_non_null(cfg);
	assert_int_equal(nerrors, 0);
	assert_int_equal(nwarnings, 1);
	assert_non_null(strstr(captured, "warning: "));
	assert_non_null(strstr(captured, ":4: allow_origin: 'http://b.com'"));
	config_free(cfg);
}

static void test_config_no_warning_for_loopback_http(void **state)
{
	(void)state;
	struct config *cfg = load("[cors]\nallow_credentials = true\n"
				  "allow_origin = http://localhost:* "
				  "http://127.0.0.1:8080 http://[::1]:3000\n");
	assert_non_null(cfg);
	assert_int_equal(nwarnings, 0);
	config_free(cfg);
}

/* D7: header lines near what a web server takes for a whole block: a
 * warning at the list that makes them long, once (not again where a
 * [path] inherits it); a short list, none. */
static void test_config_warns_long_fixed_header_lines(void **state)
{
	(void)state;
	char text[16384];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "[cors]\nallow_origin = https://a.com\n"
				    "expose_headers =");
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s%04d",
				      i % 8 == 0 ? "\n " : " ",
				      "X-Exposed-Header-", i);
	snprintf(text + n, sizeof(text) - n,
		 "\n[path /a]\nallow_methods = GET\n"
		 "[path /b]\nexpose_headers = X-A\n");
	struct config *cfg = load(text);
	assert_non_null(cfg);
	assert_int_equal(nerrors, 0);
	assert_int_equal(nwarnings, 1);
	assert_non_null(strstr(captured, ":3: expose_headers: the fixed header "
					 "lines this policy adds take "));
	config_free(cfg);
	captured[0] = '\0';
	ncaptured = 0;
	nwarnings = 0;
	cfg = load("[cors]\nallow_origin = https://a.com\n"
		   "expose_headers = X-A X-B X-C\n");
	assert_non_null(cfg);
	assert_int_equal(nwarnings, 0);
	config_free(cfg);
}

/* D10: a world-writable socket mode loads, with a warning. */
static void test_config_warns_world_writable_socket_mode(void **state)
{
	(void)state;
	static const struct {
		const char *mode;
		int warnings;
	} rows[] = {{"0660", 0}, {"0600", 0}, {"0770", 0}, {"0666", 1},
		    {"0777", 1}, {"0662", 1}, {"2", 1}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "[gateway]\nsocket_mode = %s\n",
			 rows[i].mode);
		nwarnings = 0;
		struct config *cfg = load(text);
		assert_non_null(cfg);
		if (nwarnings != rows[i].warnings) {
			print_error("socket_mode %s: %d warnings\n",
				    rows[i].mode, nwarnings);
			fail();
		}
		config_free(cfg);
	}
	assert_non_null(strstr(captured, ":2: socket_mode: '0666' is "
					 "world-writable"));
}

static void test_config_warns_lowercase_method(void **state)
{
	(void)state;
	struct config *cfg = load("[cors]\nallow_methods = put\n");
	assert_non_null(cfg);
	assert_int_equal(nwarnings, 1);
	assert_non_null(strstr(captured, ":2: allow_methods: 'put'"));
	config_free(cfg);
}

/* ---- what a good policy loads as ------------------------------------ */

static void test_config_defaults(void **state)
{
	(void)state;
	struct config *cfg = load("");
	assert_non_null(cfg);
	const struct cors_policy *p = &cfg->def;
	assert_true(p->enabled);
	assert_int_equal(origin_set_count(p->origins), 0);
	assert_false(p->credentials);
	assert_int_equal(p->max_age, -1);
	assert_int_equal(p->preflight_status, 204);
	assert_int_equal(p->deny_status, 403);
	assert_false(p->block_disallowed);
	assert_false(p->private_network);
	assert_int_equal(p->methods.n, 0);
	assert_string_equal(p->methods.joined, "");
	assert_null(cfg->gateway.script.cgi_roots);
	assert_int_equal(cfg->gateway.script.ncgi_roots, 0);
	config_free(cfg);
}

static void test_config_lists_repeat_and_join(void **state)
{
	(void)state;
	struct config *cfg = load(
	    "[cors]\n"
	    "allow_origin = https://a.com\n"
	    "allow_origin = https://*.example.com, http://localhost:*\n"
	    "allow_methods = GET, POST\n"
	    "allow_methods = PUT,DELETE\n"
	    "allow_headers = Content-Type, x-custom-header, X-Custom-Header\n"
	    "expose_headers = X-Total-Count\n"
	    "max_age = 600\n");
	assert_non_null(cfg);
	const struct cors_policy *p = &cfg->def;
	assert_int_equal(origin_set_count(p->origins), 3);
	assert_string_equal(p->methods.joined, "GET, POST, PUT, DELETE");
	assert_int_equal(p->methods.joined_len, strlen(p->methods.joined));
	/* duplicates (case-insensitive) are dropped, the first kept */
	assert_string_equal(p->headers.joined, "Content-Type, x-custom-header");
	assert_string_equal(p->expose.joined, "X-Total-Count");
	assert_string_equal(p->max_age_value, "600");
	config_free(cfg);
}

static void test_config_star_lists(void **state)
{
	(void)state;
	struct config *cfg = load("[cors]\nallow_methods = *\n"
				  "allow_headers = *, Authorization\n"
				  "expose_headers = *\n");
	assert_non_null(cfg);
	assert_true(cfg->def.methods.star);
	assert_string_equal(cfg->def.methods.joined, "*");
	assert_true(cfg->def.headers.star);
	assert_string_equal(cfg->def.headers.joined, "*, Authorization");
	assert_string_equal(cfg->def.expose.joined, "*");
	config_free(cfg);
}

static void test_config_path_overrides_only_what_it_sets(void **state)
{
	(void)state;
	struct config *cfg =
	    load("[path /api/*]\nallow_origin = *\n"
		 "allow_credentials = false\n"
		 "[cors]\nallow_origin = https://a.com\n"
		 "allow_credentials = true\nallow_methods = PUT\n"
		 "max_age = 60\n"
		 "[path /internal/*]\nenabled = false\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->npaths, 2);
	const struct cors_policy *api = config_lookup(cfg, "/api/x", 6);
	assert_string_equal(api->pattern, "/api/*");
	assert_true(origin_set_has_any(api->origins));
	assert_false(api->credentials);
	assert_string_equal(api->methods.joined, "PUT"); /* inherited */
	assert_int_equal(api->max_age, 60);
	assert_true(api->enabled);
	const struct cors_policy *in = config_lookup(cfg, "/internal/a", 11);
	assert_false(in->enabled);
	assert_true(in->credentials);
	config_free(cfg);
}

static void test_config_lookup_longest_and_exact(void **state)
{
	(void)state;
	struct config *cfg = load("[path /a/*]\nmax_age = 1\n"
				  "[path /a/b/*]\nmax_age = 2\n"
				  "[path /a/b/c]\nmax_age = 3\n"
				  "[path /*]\nmax_age = 4\n");
	assert_non_null(cfg);
	struct {
		const char *path;
		long max_age;
	} rows[] = {
	    {"/a/b/c", 3}, {"/a/b/cd", 2}, {"/a/b/", 2},
	    {"/a/b", 1},   {"/a/", 1},	   {"/a", 4},
	    {"/", 4},	   {"/zzz", 4},	   {"/a/b/c/d", 2},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct cors_policy *p =
		    config_lookup(cfg, rows[i].path, strlen(rows[i].path));
		if (p->max_age != rows[i].max_age) {
			print_error("%s: max_age %ld, want %ld\n", rows[i].path,
				    p->max_age, rows[i].max_age);
			fail();
		}
	}
	/* no [path] matches: the default */
	config_free(cfg);
	cfg = load("[path /x]\nmax_age = 1\n");
	assert_ptr_equal(config_lookup(cfg, "/y", 2), &cfg->def);
	assert_ptr_equal(config_lookup(cfg, "/x/", 3), &cfg->def);
	config_free(cfg);
}

static void test_config_gateway(void **state)
{
	(void)state;
	struct config *cfg = load("[gateway]\ncgi_root = /tmp\n"
				  "listen = tcp:[::1]:9000\nworkers = 4\n"
				  "threads = 16\nuser = www-data\n"
				  "group = www-data\nsocket_mode = 0660\n"
				  "log_level = warn\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->gateway.script.ncgi_roots, 1);
	assert_string_equal(cfg->gateway.script.cgi_roots[0].given, "/tmp");
	assert_true(cfg->gateway.script.cgi_roots[0].dir);
	assert_string_equal(cfg->gateway.listen, "tcp:[::1]:9000");
	assert_int_equal(cfg->gateway.workers, 4);
	assert_int_equal(cfg->gateway.threads, 16);
	assert_string_equal(cfg->gateway.user, "www-data");
	assert_string_equal(cfg->gateway.socket_mode, "0660");
	assert_true(cfg->gateway.log_level_set);
	assert_int_equal(cfg->gateway.log_level, LOG_LEVEL_WARN);
	config_free(cfg);
}

/* cgi_root: repeatable, several entries per line, each resolved when the
 * policy loads; a directory or one program, matched on resolved paths. */
static void test_config_cgi_root_list(void **state)
{
	(void)state;
	char sh[PATH_MAX], tmp[PATH_MAX], env[PATH_MAX];
	assert_non_null(realpath("/bin/sh", sh));
	assert_non_null(realpath("/tmp", tmp));
	assert_non_null(realpath("/usr/bin/env", env));
	struct config *cfg = load("[gateway]\ncgi_root = /tmp, /bin/sh\n"
				  "cgi_root = /usr/bin/env\n"
				  "    /tmp/\n");
	assert_non_null(cfg);
	const struct config_script *g = &cfg->gateway.script;
	assert_int_equal(g->ncgi_roots, 3);
	assert_string_equal(g->cgi_roots[0].given, "/tmp");
	assert_string_equal(g->cgi_roots[0].real, tmp);
	assert_true(g->cgi_roots[0].dir);
	assert_int_equal(g->cgi_roots[0].line, 2);
	assert_string_equal(g->cgi_roots[1].given, "/bin/sh");
	assert_string_equal(g->cgi_roots[1].real, sh); /* symlink resolved */
	assert_false(g->cgi_roots[1].dir);
	assert_int_equal(g->cgi_roots[2].line, 3);
	char under[PATH_MAX + 8], sibling[PATH_MAX + 8], prefix[PATH_MAX + 8];
	snprintf(under, sizeof(under), "%s/a/x.sh", tmp);
	snprintf(sibling, sizeof(sibling), "%s-not", env);
	snprintf(prefix, sizeof(prefix), "%sfoo/x.sh", tmp);
	struct {
		const char *real;
		int entry; /* -1: refused */
	} rows[] = {
	    {under, 0},	  {tmp, -1}, /* the directory itself */
	    {prefix, -1},	     /* /tmpfoo is not under /tmp */
	    {sh, 1},	  {env, 2},  {sibling, -1}, {"/", -1}, {"", -1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct config_cgi_root *e =
		    config_cgi_root_match(g, rows[i].real);
		const struct config_cgi_root *want =
		    rows[i].entry < 0 ? NULL : &g->cgi_roots[rows[i].entry];
		if (e != want) {
			print_error(
			    "'%s': got entry %ld, want %d\n", rows[i].real,
			    e ? (long)(e - g->cgi_roots) : -1L, rows[i].entry);
			fail();
		}
	}
	config_free(cfg);
	/* "/" allows everything but itself */
	cfg = load("[gateway]\ncgi_root = /\n");
	assert_non_null(cfg);
	assert_non_null(
	    config_cgi_root_match(&cfg->gateway.script, "/usr/bin/env"));
	assert_null(config_cgi_root_match(&cfg->gateway.script, "/"));
	config_free(cfg);
}

static void test_config_gateway_script_settings(void **state)
{
	(void)state;
	struct config *cfg = load("[gateway]\npass_env = PATH, LANG\n"
				  "pass_env = TZ PATH\nmax_body = 2m\n"
				  "default_content_type = text/plain; "
				  "charset=utf-8\nscript_stderr = log\n"
				  "script_timeout = 5\n");
	assert_non_null(cfg);
	const struct config_script *g = &cfg->gateway.script;
	assert_int_equal(g->npass_env, 3);
	assert_string_equal(g->pass_env[0], "PATH");
	assert_string_equal(g->pass_env[1], "LANG");
	assert_string_equal(g->pass_env[2], "TZ");
	assert_null(g->pass_env[3]);
	assert_int_equal(g->max_body, 2 * 1024 * 1024);
	assert_string_equal(g->default_content_type,
			    "text/plain; charset=utf-8");
	assert_int_equal(g->script_stderr, CONFIG_STDERR_LOG);
	assert_int_equal(g->script_timeout, 5);
	config_free(cfg);
	/* defaults */
	cfg = load("[cors]\n");
	assert_non_null(cfg);
	g = &cfg->gateway.script;
	assert_int_equal(g->npass_env, 1);
	assert_string_equal(g->pass_env[0], "PATH");
	assert_int_equal(g->max_body, 10 * 1024 * 1024);
	assert_string_equal(g->default_content_type,
			    "application/octet-stream");
	assert_int_equal(g->script_stderr, CONFIG_STDERR_FASTCGI);
	assert_int_equal(g->script_timeout, 60);
	config_free(cfg);
	cfg = load("[gateway]\nmax_body = 0\n");
	assert_int_equal(cfg->gateway.script.max_body, 0);
	config_free(cfg);
}

static void test_config_inline_comments_and_continuations(void **state)
{
	(void)state;
	struct config *cfg = load("[cors] ; the default\n"
				  "allow_origin = https://a.com ; first\n"
				  "    https://b.com\n"
				  "max_age = 5 ; seconds\n");
	assert_non_null(cfg);
	assert_int_equal(origin_set_count(cfg->def.origins), 2);
	assert_int_equal(cfg->def.max_age, 5);
	config_free(cfg);
}

static void test_config_example_file_loads_clean(void **state)
{
	(void)state;
	/* its cgi_root, /var/www/cgi-bin, need not exist here: the same
	 * file with /tmp instead */
	static char text[16384];
	FILE *f = fopen("etc/cors.ini", "re");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *at = strstr(text, "cgi_root = /var/www/cgi-bin\n");
	assert_non_null(at);
	memcpy(at, "cgi_root = /tmp            ", 27);
	struct config *cfg = load(text);
	assert_non_null(cfg);
	assert_int_equal(nerrors, 0);
	assert_int_equal(nwarnings, 0);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_config_refuses_each_bad_policy),
	    T(test_config_reports_every_error_not_only_the_first),
	    T(test_config_inherited_conflict_reported_once),
	    T(test_config_nul_byte_refused),
	    T(test_config_missing_file),
	    T(test_config_long_line_is_not_split),
	    T(test_config_warns_http_origin_with_credentials),
	    T(test_config_no_warning_for_loopback_http),
	    T(test_config_warns_long_fixed_header_lines),
	    T(test_config_warns_world_writable_socket_mode),
	    T(test_config_warns_lowercase_method),
	    T(test_config_defaults),
	    T(test_config_lists_repeat_and_join),
	    T(test_config_star_lists),
	    T(test_config_path_overrides_only_what_it_sets),
	    T(test_config_lookup_longest_and_exact),
	    T(test_config_gateway),
	    T(test_config_cgi_root_list),
	    T(test_config_gateway_script_settings),
	    T(test_config_inline_comments_and_continuations),
	    T(test_config_example_file_loads_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
