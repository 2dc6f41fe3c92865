/* test_curlcmd.c - the paste parser, as tables: bash's quoting (one row per
 * rule, hostile inputs included), then curl's options as DevTools prints
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlcmd.h"

/* ---- splitting ------------------------------------------------------- */

struct split_row {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	enum curlcmd_err err;
	const char *words; /* joined with '|', when err is OK */
	int line, col;	   /* of the error */
};

static const struct split_row split_rows[] = {
    {"plain words", "curl  http://h/  -k", 0, CURLCMD_OK, "curl|http://h/|-k",
     0, 0},
    {"single quotes keep everything", "curl 'a \"b\" $x \\n'", 0, CURLCMD_OK,
     "curl|a \"b\" $x \\n", 0, 0},
    {"double quotes: the four escapes", "curl \"a\\\"b\\\\c\\$d\\`e\\x\"", 0,
     CURLCMD_OK, "curl|a\"b\\c$d`e\\x", 0, 0},
    {"adjacent quoting joins one word", "curl 'a'\"b\"c$'d'", 0, CURLCMD_OK,
     "curl|abcd", 0, 0},
    {"ANSI-C escapes", "curl $'O\\'Brien\\t\\x41\\101\\u00e9\\n'", 0,
     CURLCMD_OK, "curl|O'Brien\tAA\xc3\xa9\n", 0, 0},
    {"ANSI-C unknown escape kept", "curl $'\\q'", 0, CURLCMD_OK, "curl|\\q", 0,
     0},
    {"backslash-newline continues", "curl 'http://h/' \\\n  -H 'a: b' \\\n", 0,
     CURLCMD_OK, "curl|http://h/|-H|a: b", 0, 0},
    {"backslash-CRLF continues", "curl 'u' \\\r\n -k\r\n", 0, CURLCMD_OK,
     "curl|u|-k", 0, 0},
    {"backslash-newline inside a word", "cu\\\nrl", 0, CURLCMD_OK, "curl", 0,
     0},
    {"backslash escapes a blank", "curl a\\ b", 0, CURLCMD_OK, "curl|a b", 0,
     0},
    {"a comment line", "# from DevTools\ncurl x", 0, CURLCMD_OK, "curl|x", 0,
     0},
    {"a lone $ is literal", "curl a$ $", 0, CURLCMD_OK, "curl|a$|$", 0, 0},
    {"trailing newlines and blanks", "\n\n  curl x  \n\n", 0, CURLCMD_OK,
     "curl|x", 0, 0},
    {"$\"...\" read as \"...\"", "curl $\"a b\"", 0, CURLCMD_OK, "curl|a b", 0,
     0},
    /* hostile */
    {"empty", "", 0, CURLCMD_E_EMPTY, NULL, 1, 1},
    {"blanks and a comment only", "  \n# x\n", 0, CURLCMD_E_EMPTY, NULL, 3, 1},
    {"unbalanced single quote", "curl 'http://h/' -H 'a: b", 0, CURLCMD_E_QUOTE,
     NULL, 1, 21},
    {"unbalanced double quote", "curl \"abc", 0, CURLCMD_E_QUOTE, NULL, 1, 6},
    {"unbalanced ANSI-C quote", "curl x \\\n $'abc\\'", 0, CURLCMD_E_QUOTE,
     NULL, 2, 2},
    {"a raw NUL byte", "curl 'a\0b'", 10, CURLCMD_E_NUL, NULL, 1, 8},
    {"$'\\x00'", "curl $'ab\\x00'", 0, CURLCMD_E_NUL, NULL, 1, 10},
    {"$'\\0'", "curl $'\\0'", 0, CURLCMD_E_NUL, NULL, 1, 8},
    {"$VAR", "curl $HOME", 0, CURLCMD_E_EXPANSION, NULL, 1, 6},
    {"$(...)", "curl \"$(id)\"", 0, CURLCMD_E_EXPANSION, NULL, 1, 7},
    {"backquotes", "curl `id`", 0, CURLCMD_E_EXPANSION, NULL, 1, 6},
    {"a second command after ;", "curl x; rm -rf /", 0, CURLCMD_E_OPERATOR,
     NULL, 1, 7},
    {"a pipe", "curl x | sh", 0, CURLCMD_E_OPERATOR, NULL, 1, 8},
    {"a line break without backslash", "curl 'u'\n -H 'a: b'", 0,
     CURLCMD_E_NEWLINE, NULL, 2, 2},
};

static void test_curlcmd_split_table(void **state)
{
	static char arena[4096];
	const char *words[64];
	(void)state;
	for (size_t i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]);
	     i++) {
		const struct split_row *r = &split_rows[i];
		size_t len = r->len ? r->len : strlen(r->in);
		size_t n = 0;
		struct curlcmd_where w = {0, 0, NULL, 0};
		enum curlcmd_err e = curlcmd_split(
		    r->in, len, arena, sizeof(arena), words, 64, &n, &w);
		if (e != r->err)
			fail_msg("%s: error %d (%s), expected %d", r->name, e,
				 curlcmd_strerror(e), r->err);
		if (e != CURLCMD_OK) {
			if (w.line != r->line || w.col != r->col)
				fail_msg("%s: at %d:%d, expected %d:%d",
					 r->name, w.line, w.col, r->line,
					 r->col);
			assert_string_not_equal(curlcmd_strerror(e), "");
			continue;
		}
		char joined[1024] = "";
		for (size_t k = 0; k < n; k++) {
			if (k)
				strcat(joined, "|");
			strcat(joined, words[k]);
		}
		if (strcmp(joined, r->words) != 0)
			fail_msg("%s: words '%s', expected '%s'", r->name,
				 joined, r->words);
	}
}

static void test_curlcmd_split_limits(void **state)
{
	(void)state;
	size_t big = CURLCMD_MAX_INPUT + 1;
	char *in = malloc(big + 1), *arena = malloc(big + 1);
	const char *words[CURLCMD_MAX_WORDS];
	size_t n;
	struct curlcmd_where w;
	assert_non_null(in);
	assert_non_null(arena);
	memset(in, 'a', big);
	assert_int_equal(curlcmd_split(in, big, arena, big + 1, words,
				       CURLCMD_MAX_WORDS, &n, &w),
			 CURLCMD_E_TOOLONG);
	/* too many words */
	size_t k = 0;
	for (size_t i = 0; i < CURLCMD_MAX_WORDS + 1; i++) {
		in[k++] = 'x';
		in[k++] = ' ';
	}
	assert_int_equal(curlcmd_split(in, k, arena, big + 1, words,
				       CURLCMD_MAX_WORDS, &n, &w),
			 CURLCMD_E_TOOMANY);
	/* the arena never outgrows len + 1, whatever the escapes */
	const char *esc = "$'\\U0010ffff\\uffff\\xff\\377\\cA'";
	assert_int_equal(curlcmd_split(esc, strlen(esc), arena, strlen(esc) + 1,
				       words, 4, &n, &w),
			 CURLCMD_OK);
	assert_int_equal(n, 1);
	assert_string_equal(words[0],
			    "\xf4\x8f\xbf\xbf\xef\xbf\xbf\xff\xff\x01");
	free(in);
	free(arena);
}

/* ---- curl's options --------------------------------------------------- */

/* Splits text and parses it. */
static enum curlcmd_err parse(const char *text, struct curlcmd_req *r)
{
	static char arena[300000];
	static const char *words[CURLCMD_MAX_WORDS];
	size_t n;
	struct curlcmd_where w;
	enum curlcmd_err e =
	    curlcmd_split(text, strlen(text), arena, sizeof(arena), words,
			  CURLCMD_MAX_WORDS, &n, &w);
	if (e)
		return e;
	return curlcmd_parse(words, n, r, &w);
}

static int hdr_is(const struct curlcmd_req *r, size_t i, const char *name,
		  const char *value)
{
	return i < r->nheaders && r->headers[i].name.len == strlen(name) &&
	       memcmp(r->headers[i].name.s, name, strlen(name)) == 0 &&
	       r->headers[i].value.len == strlen(value) &&
	       memcmp(r->headers[i].value.s, value, strlen(value)) == 0;
}

static void test_curlcmd_parse_chromium(void **state)
{
	static struct curlcmd_req r;
	(void)state;
	assert_int_equal(
	    parse("curl 'https://api.example.com/v1/x?y=1#frag' \\\n"
		  "  -X 'PUT' \\\n"
		  "  -H 'accept: */*' \\\n"
		  "  -H 'content-type: application/json' \\\n"
		  "  -H 'origin: https://app.example.com' \\\n"
		  "  -b 'sid=abc; theme=dark' \\\n"
		  "  --data-raw $'{\"n\":\"O\\'Brien\"}' \\\n"
		  "  --compressed",
		  &r),
	    CURLCMD_OK);
	assert_int_equal(r.method.len, 3);
	assert_memory_equal(r.method.s, "PUT", 3);
	assert_memory_equal(r.scheme.s, "https", 5);
	assert_int_equal(r.host.len, strlen("api.example.com"));
	assert_memory_equal(r.path.s, "/v1/x", 5);
	assert_int_equal(r.path.len, 5);
	assert_int_equal(r.query.len, 3);
	assert_memory_equal(r.query.s, "y=1", 3);
	assert_int_equal(r.url.len, strlen("https://api.example.com/v1/x?y=1"));
	assert_int_equal(r.nheaders, 3);
	assert_true(hdr_is(&r, 0, "accept", "*/*"));
	assert_true(hdr_is(&r, 2, "origin", "https://app.example.com"));
	assert_non_null(r.cookie.s);
	assert_true(r.data);
	assert_int_equal(r.data_len, strlen("{\"n\":\"O'Brien\"}"));
	assert_int_equal(r.nignored, 1); /* --compressed */
}

static void test_curlcmd_parse_firefox(void **state)
{
	static struct curlcmd_req r;
	(void)state;
	assert_int_equal(
	    parse("curl 'http://127.0.0.1:8080/echo.sh' -X PATCH -H "
		  "'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
		  "Gecko/20100101 Firefox/128.0' -H 'Accept: */*' -H "
		  "'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: "
		  "gzip, deflate, br, zstd' -H 'Referer: "
		  "http://127.0.0.1:8081/' -H 'Origin: http://127.0.0.1:8081' "
		  "-H 'Connection: keep-alive' -H 'Cookie: a=b' -H "
		  "'Sec-Fetch-Dest: empty' -H 'Sec-Fetch-Mode: cors' -H "
		  "'Sec-Fetch-Site: same-site' -H 'Priority: u=4' -H 'Pragma: "
		  "no-cache' -H 'Cache-Control: no-cache' --data-raw 'hello'",
		  &r),
	    CURLCMD_OK);
	assert_memory_equal(r.method.s, "PATCH", 5);
	assert_int_equal(r.nheaders, 14);
	assert_true(hdr_is(&r, 5, "Origin", "http://127.0.0.1:8081"));
	assert_true(hdr_is(&r, 7, "Cookie", "a=b"));
	assert_memory_equal(r.path.s, "/echo.sh", 8);
	assert_null(r.query.s);
	assert_int_equal(r.data_len, 5);
}

static void test_curlcmd_parse_options(void **state)
{
	static struct curlcmd_req r;
	(void)state;
	/* bundles, attached values, implied methods, -u, -r, -A */
	assert_int_equal(parse("curl -sSk -XDELETE -H'X-A: 1' -u me:pw "
			       "-r 0-99 -A ua http://h",
			       &r),
			 CURLCMD_OK);
	assert_memory_equal(r.method.s, "DELETE", 6);
	assert_true(hdr_is(&r, 0, "X-A", "1"));
	assert_true(hdr_is(&r, 1, "Range", "bytes=0-99"));
	assert_true(hdr_is(&r, 2, "User-Agent", "ua"));
	assert_non_null(r.user.s);
	assert_memory_equal(r.path.s, "/", 1);
	assert_int_equal(r.nignored, 3);
	assert_int_equal(parse("curl http://h/x -d a -d bc", &r), CURLCMD_OK);
	assert_null(r.method.s);
	assert_true(r.method_implied_post);
	assert_int_equal(r.data_len, 4); /* a&bc */
	assert_int_equal(parse("curl -I http://h/x", &r), CURLCMD_OK);
	assert_true(r.method_implied_head);
	assert_int_equal(parse("curl -G -d q=1 --url http://h/x", &r),
			 CURLCMD_OK);
	assert_true(r.get_data);
	/* ignored options skip their value: -o FILE is not a URL */
	assert_int_equal(parse("curl -o out.txt --connect-timeout 5 "
			       "--http2 http://h/x",
			       &r),
			 CURLCMD_OK);
	assert_memory_equal(r.path.s, "/x", 2);
	/* "Name;" sends an empty header; "Name:" removes one */
	assert_int_equal(parse("curl http://h -H 'X-E;' -H 'Accept:'", &r),
			 CURLCMD_OK);
	assert_int_equal(r.nheaders, 1);
	assert_true(hdr_is(&r, 0, "X-E", ""));
	assert_int_equal(parse("/usr/bin/curl http://h", &r), CURLCMD_OK);
}

struct bad_row {
	const char *name;
	const char *in;
	enum curlcmd_err err;
};

static const struct bad_row bad_rows[] = {
    {"not curl", "wget http://h/", CURLCMD_E_NOTCURL},
    {"header without a colon", "curl http://h -H 'X-Custom-Header'",
     CURLCMD_E_HEADER},
    {"header name with a blank", "curl http://h -H 'X Y: 1'", CURLCMD_E_HEADER},
    {"header with a line break", "curl http://h -H $'X: a\\r\\nY: b'",
     CURLCMD_E_HEADER},
    {"headers from a file", "curl http://h -H @hdrs.txt", CURLCMD_E_FILE},
    {"-H at the end", "curl http://h -H", CURLCMD_E_NOVALUE},
    {"no URL", "curl -H 'a: b'", CURLCMD_E_NOURL},
    {"two URLs", "curl http://a/ http://b/", CURLCMD_E_TWOURLS},
    {"ftp URL", "curl ftp://h/x", CURLCMD_E_URL},
    {"bare host", "curl example.com/x", CURLCMD_E_URL},
    {"empty host", "curl http:///x", CURLCMD_E_URL},
    {"empty method", "curl -X '' http://h", CURLCMD_E_METHOD},
};

static void test_curlcmd_parse_hostile(void **state)
{
	static struct curlcmd_req r;
	(void)state;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		enum curlcmd_err e = parse(bad_rows[i].in, &r);
		if (e != bad_rows[i].err)
			fail_msg("%s: error %d (%s), expected %d",
				 bad_rows[i].name, e, curlcmd_strerror(e),
				 bad_rows[i].err);
	}
	/* a 100 KB header value */
	size_t big = 100 * 1024;
	char *in = malloc(big + 64);
	assert_non_null(in);
	int k = snprintf(in, 64, "curl http://h -H 'X-Big: ");
	memset(in + k, 'a', big);
	strcpy(in + k + big, "'");
	assert_int_equal(parse(in, &r), CURLCMD_E_HEADERLONG);
	free(in);
	/* too many headers */
	char *many = malloc(20 * (CURLCMD_MAX_HEADERS + 2) + 32);
	assert_non_null(many);
	size_t w = (size_t)sprintf(many, "curl http://h");
	for (int i = 0; i <= CURLCMD_MAX_HEADERS; i++)
		w += (size_t)sprintf(many + w, " -H 'X-%d: v'", i);
	assert_int_equal(parse(many, &r), CURLCMD_E_TOOMANYHDRS);
	free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_curlcmd_split_table),
	    cmocka_unit_test(test_curlcmd_split_limits),
	    cmocka_unit_test(test_curlcmd_parse_chromium),
	    cmocka_unit_test(test_curlcmd_parse_firefox),
	    cmocka_unit_test(test_curlcmd_parse_options),
	    cmocka_unit_test(test_curlcmd_parse_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
