/* test_cgiresp.c - a script's header block: one row per block, parsed and
 * rewritten with the CORS headers of an allowed actual request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgiresp.h"

#define NEED_MORE -2
#define BAD -1

/* What the gateway adds for an allowed credentialed actual request. */
static const struct cors_header cors_add[] = {
    {"Access-Control-Allow-Origin", 27, "http://x.com", 12},
    {"Access-Control-Allow-Credentials", 32, "true", 4},
    {"Vary", 4, "Origin", 6},
};

struct row {
	const char *name;
	const char *in;
	bool nph;
	long ret;	      /* bytes of the block, NEED_MORE or BAD */
	enum cgiresp_err err; /* with BAD */
	int status;
	const char *out; /* the rewritten block; NULL: not checked */
};

#define CORS_OUT                                                               \
	"Access-Control-Allow-Origin: http://x.com\r\n"                        \
	"Access-Control-Allow-Credentials: true\r\n"

static const struct row rows[] = {
    /* line ends */
    {"LF", "Content-Type: text/plain\n\nbody", false, 26, 0, 200,
     "Status: 200 OK\r\nContent-Type: text/plain\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"CRLF", "Content-Type: text/plain\r\n\r\nbody", false, 28, 0, 200,
     "Status: 200 OK\r\nContent-Type: text/plain\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"mixed LF and CRLF", "Content-Type: a/b\r\nX-A: 1\n\r\n", false, 28, 0,
     200,
     "Status: 200 OK\r\nContent-Type: a/b\r\nX-A: 1\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"value OWS trimmed", "Content-Type: \t a/b \t\n\n", false, 23, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"no space after colon", "Content-Type:a/b\n\n", false, 18, 0, 200, NULL},
    {"empty value kept", "X-Empty:\nContent-Type: a/b\n\n", false, 28, 0, 200,
     "Status: 200 OK\r\nX-Empty: \r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    /* Status */
    {"Status: 404", "Status: 404\nContent-Type: a/b\n\n", false, 31, 0, 404,
     "Status: 404 Not Found\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"Status:404", "Status:404\nContent-Type: a/b\n\n", false, 30, 0, 404,
     NULL},
    {"Status with reason", "Status: 404 Nothing Here\nContent-Type: a/b\n\n",
     false, 44, 0, 404,
     "Status: 404 Nothing Here\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"status name any case", "STATUS: 500\nContent-Type: a/b\n\n", false, 31, 0,
     500,
     "Status: 500 Internal Server Error\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"unknown status no reason", "Status: 299\nContent-Type: a/b\n\n", false,
     31, 0, 299,
     "Status: 299\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"status only", "Status: 204\n\n", false, 13, 0, 204,
     "Status: 204 No Content\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"status two digits", "Status: 44\n\n", false, BAD, CGIRESP_E_STATUS, 0,
     NULL},
    {"status four digits", "Status: 4040\n\n", false, BAD, CGIRESP_E_STATUS, 0,
     NULL},
    {"status 099", "Status: 099\n\n", false, BAD, CGIRESP_E_STATUS, 0, NULL},
    {"status 600", "Status: 600\n\n", false, BAD, CGIRESP_E_STATUS, 0, NULL},
    {"status letters", "Status: abc\n\n", false, BAD, CGIRESP_E_STATUS, 0,
     NULL},
    {"status empty", "Status:\n\n", false, BAD, CGIRESP_E_STATUS, 0, NULL},
    {"status twice", "Status: 200\nStatus: 404\n\n", false, BAD,
     CGIRESP_E_STATUS, 0, NULL},
    {"status tab before reason", "Status: 200\tOK\n\n", false, BAD,
     CGIRESP_E_STATUS, 0, NULL},
    /* Location */
    {"Location absolute, no Status: 302", "Location: https://e.com/x\n\n",
     false, 27, 0, 302,
     "Status: 302 Found\r\nLocation: https://e.com/x\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"Location with Status 301 kept",
     "Status: 301\nLocation: https://e.com/\n\n", false, 38, 0, 301, NULL},
    {"Location before Status", "Location: https://e.com/\nStatus: 303\n\n",
     false, 38, 0, 303, NULL},
    /* malformed lines */
    {"no colon", "Content-Type a/b\n\n", false, BAD, CGIRESP_E_NOCOLON, 0,
     NULL},
    {"space before colon", "Content-Type : a/b\n\n", false, BAD, CGIRESP_E_NAME,
     0, NULL},
    {"empty name", ": a/b\n\n", false, BAD, CGIRESP_E_NAME, 0, NULL},
    {"name with slash", "X/Y: 1\n\n", false, BAD, CGIRESP_E_NAME, 0, NULL},
    {"folded line", "X-A: 1\n 2\n\n", false, BAD, CGIRESP_E_FOLDED, 0, NULL},
    {"folded with tab", "X-A: 1\n\t2\n\n", false, BAD, CGIRESP_E_FOLDED, 0,
     NULL},
    {"bare CR mid value", "X-A: 1\r2\n\n", false, BAD, CGIRESP_E_BARECR, 0,
     NULL},
    {"bare CR as line end", "X-A: 1\rX-B: 2\n\n", false, BAD, CGIRESP_E_BARECR,
     0, NULL},
    {"CR CR LF", "X-A: 1\r\r\n\n", false, BAD, CGIRESP_E_BARECR, 0, NULL},
    {"NUL in value", "X-A: a\0b\n\n", false, BAD, CGIRESP_E_NUL, 0, NULL},
    {"control byte in value",
     "X-A: a\x01"
     "b\n\n",
     false, BAD, CGIRESP_E_NUL, 0, NULL},
    {"DEL in value", "X-A: a\x7f\n\n", false, BAD, CGIRESP_E_NUL, 0, NULL},
    {"no header at all", "\nbody", false, BAD, CGIRESP_E_EMPTY, 0, NULL},
    {"body with no blank line yet", "Content-Type: a/b\n", false, NEED_MORE, 0,
     0, NULL},
    {"half a line", "Content-Ty", false, NEED_MORE, 0, 0, NULL},
    {"nothing yet", "", false, NEED_MORE, 0, 0, NULL},
    {"CR without LF yet", "Content-Type: a/b\n\r", false, NEED_MORE, 0, 0,
     NULL},
    /* CORS rewriting */
    {"script's ACAO removed",
     "Content-Type: a/b\nAccess-Control-Allow-Origin: *\n\n", false, 50, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"every Access-Control-* removed, any case",
     "access-control-allow-origin: *\nACCESS-CONTROL-EXPOSE-HEADERS: X\n"
     "Access-Control-Max-Age: 5\nContent-Type: a/b\n\n",
     false, 109, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"Access-Control lookalike kept",
     "Access-Controlled: yes\nContent-Type: a/b\n\n", false, 42, 0, 200,
     "Status: 200 OK\r\nAccess-Controlled: yes\r\nContent-Type: "
     "a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"Vary merged", "Vary: Accept-Encoding\nContent-Type: a/b\n\n", false, 41,
     0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Accept-Encoding, Origin\r\n\r\n"},
    {"Vary already has origin", "Vary: origin, Cookie\nContent-Type: a/b\n\n",
     false, 40, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: origin, Cookie\r\n\r\n"},
    {"two Vary headers become one",
     "Vary: A\nVary: B, ,C\nContent-Type: a/b\n\n", false, 39, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: A, B, C, Origin\r\n\r\n"},
    {"Vary star stays star", "Vary: *\nContent-Type: a/b\n\n", false, 27, 0,
     200, "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: *\r\n\r\n"},
    {"empty Vary", "Vary:\nContent-Type: a/b\n\n", false, 25, 0, 200,
     "Status: 200 OK\r\nContent-Type: a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"error status keeps CORS", "Status: 500\nContent-Type: text/plain\n\n",
     false, 38, 0, 500,
     "Status: 500 Internal Server Error\r\nContent-Type: "
     "text/plain\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"Set-Cookie and others pass",
     "Set-Cookie: a=b\nX-Total-Count: 3\nContent-Type: a/b\n\n", false, 52, 0,
     200,
     "Status: 200 OK\r\nSet-Cookie: a=b\r\nX-Total-Count: 3\r\nContent-Type: "
     "a/b\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    /* nph */
    {"nph status line", "HTTP/1.1 201 Created\r\nContent-Type: a/b\r\n\r\n",
     true, 43, 0, 201,
     "Status: 201 Created\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"nph HTTP/1.0", "HTTP/1.0 404 Not Found\nContent-Type: a/b\n\n", true, 42,
     0, 404, NULL},
    {"nph without status line", "Content-Type: a/b\n\n", true, BAD,
     CGIRESP_E_NPH, 0, NULL},
    {"nph HTTP/2", "HTTP/2 200 OK\n\n", true, BAD, CGIRESP_E_NPH, 0, NULL},
    {"nph bad code", "HTTP/1.1 2000 OK\n\n", true, BAD, CGIRESP_E_NPH, 0, NULL},
    /* nph as CGI.pm writes it: a status line and an agreeing Status */
    {"nph CGI.pm: status line and Status",
     "HTTP/1.1 201 Created\r\nServer: cmdline\r\nStatus: 201 Created\r\n"
     "Content-Type: a/b\r\n\r\n",
     true, 81, 0, 201,
     "Status: 201 Created\r\nServer: cmdline\r\nContent-Type: a/b\r\n" CORS_OUT
     "Vary: Origin\r\n\r\n"},
    {"nph agreeing Status: the status line's reason kept",
     "HTTP/1.0 302 Found\nStatus: 302 Moved\nLocation: /x\n\n", true, 51, 0,
     302,
     "Status: 302 Found\r\nLocation: /x\r\n" CORS_OUT "Vary: Origin\r\n\r\n"},
    {"nph Status disagreeing with the status line",
     "HTTP/1.1 200 OK\nStatus: 404\n\n", true, BAD, CGIRESP_E_NPH_STATUS, 0,
     NULL},
    {"nph Status agreeing, repeated",
     "HTTP/1.1 200 OK\nStatus: 200\n"
     "Status: 200\n\n",
     true, BAD, CGIRESP_E_STATUS, 0, NULL},
    {"nph Status malformed", "HTTP/1.1 200 OK\nStatus: 20x\n\n", true, BAD,
     CGIRESP_E_STATUS, 0, NULL},
    {"status line from a script not named nph-",
     "HTTP/1.1 200 OK\nContent-Type: a/b\n\n", false, BAD, CGIRESP_E_NOCOLON, 0,
     NULL},
};

static void test_cgiresp_table(void **state)
{
	(void)state;
	static char out[CGIRESP_MAX_BLOCK + 4096];
	size_t n = sizeof(rows) / sizeof(rows[0]);
	int bad = 0;

	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct cgiresp resp;
		enum cgiresp_err err;
		/* rows with a NUL need their real length */
		size_t len = strlen(r->in);
		if (strcmp(r->name, "NUL in value") == 0)
			len = 11;
		long ret = cgiresp_parse(r->in, len, r->nph, &resp, &err);
		bool ok = ret == r->ret;
		if (ok && ret == BAD)
			ok = err == r->err;
		if (ok && ret > 0)
			ok = resp.status == r->status;
		if (ok && ret > 0 && r->out) {
			struct cgiresp_rewrite rw = {
			    .apply_cors = true,
			    .add = cors_add,
			    .nadd = 3,
			    .default_content_type = "text/plain",
			    .has_body = false,
			};
			bool added;
			long w =
			    cgiresp_write(&resp, &rw, out, sizeof(out), &added);
			ok = w >= 0 && (size_t)w == strlen(r->out) &&
			     memcmp(out, r->out, (size_t)w) == 0 &&
			     cgiresp_write_size(&resp, &rw) == (size_t)w;
			if (!ok)
				print_error("row '%s': wrote\n%.*s\nwant\n%s\n",
					    r->name, (int)(w < 0 ? 0 : w), out,
					    r->out);
		}
		if (!ok) {
			print_error("row '%s': ret %ld err %d status %d; want "
				    "ret %ld err %d status %d\n",
				    r->name, ret, err, resp.status, r->ret,
				    r->err, r->status);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_cgiresp_disabled_passes_untouched(void **state)
{
	(void)state;
	static const char in[] = "Access-Control-Allow-Origin: *\n"
				 "Vary: Cookie\nContent-Type: a/b\n\n";
	char out[1024];
	struct cgiresp resp;
	enum cgiresp_err err;
	bool added;
	struct cgiresp_rewrite rw = {
	    .apply_cors = false, .add = cors_add, .nadd = 3};
	assert_true(cgiresp_parse(in, strlen(in), false, &resp, &err) > 0);
	long w = cgiresp_write(&resp, &rw, out, sizeof(out), &added);
	assert_true(w > 0);
	out[w] = '\0';
	assert_string_equal(out, "Status: 200 OK\r\n"
				 "Access-Control-Allow-Origin: *\r\n"
				 "Vary: Cookie\r\nContent-Type: a/b\r\n\r\n");
}

static void test_cgiresp_refused_only_vary(void **state)
{
	(void)state;
	/* A refused request: the script's ACAO goes, only Vary is added. */
	static const struct cors_header vary_only[] = {
	    {"Vary", 4, "Origin", 6}};
	static const char in[] = "Access-Control-Allow-Origin: *\n"
				 "Access-Control-Allow-Credentials: true\n"
				 "Content-Type: a/b\n\n";
	char out[1024];
	struct cgiresp resp;
	enum cgiresp_err err;
	bool added;
	struct cgiresp_rewrite rw = {
	    .apply_cors = true, .add = vary_only, .nadd = 1};
	assert_true(cgiresp_parse(in, strlen(in), false, &resp, &err) > 0);
	long w = cgiresp_write(&resp, &rw, out, sizeof(out), &added);
	assert_true(w > 0);
	out[w] = '\0';
	assert_string_equal(out, "Status: 200 OK\r\nContent-Type: a/b\r\n"
				 "Vary: Origin\r\n\r\n");
}

static void test_cgiresp_default_content_type(void **state)
{
	(void)state;
	static const char in[] = "X-A: 1\n\nbody";
	char out[1024];
	struct cgiresp resp;
	enum cgiresp_err err;
	bool added = false;
	struct cgiresp_rewrite rw = {.apply_cors = false,
				     .default_content_type =
					 "text/html; charset=utf-8",
				     .has_body = true};
	assert_int_equal(cgiresp_parse(in, strlen(in), false, &resp, &err), 8);
	long w = cgiresp_write(&resp, &rw, out, sizeof(out), &added);
	assert_true(w > 0);
	assert_true(added);
	out[w] = '\0';
	assert_string_equal(out, "Status: 200 OK\r\nX-A: 1\r\n"
				 "Content-Type: text/html; charset=utf-8\r\n"
				 "\r\n");
	/* no body: nothing added */
	rw.has_body = false;
	w = cgiresp_write(&resp, &rw, out, sizeof(out), &added);
	assert_false(added);
}

static void test_cgiresp_limits(void **state)
{
	(void)state;
	struct cgiresp resp;
	enum cgiresp_err err;
	/* a block of exactly 64 KiB parses; one byte more does not */
	static char big[CGIRESP_MAX_BLOCK + 16];
	const char *head = "Content-Type: a/b\nX-Pad: ";
	size_t hl = strlen(head);
	size_t pad = CGIRESP_MAX_BLOCK - hl - 2;
	memcpy(big, head, hl);
	memset(big + hl, 'p', pad);
	memcpy(big + hl + pad, "\n\n", 2);
	assert_int_equal(
	    cgiresp_parse(big, CGIRESP_MAX_BLOCK, false, &resp, &err),
	    CGIRESP_MAX_BLOCK);
	memset(big + hl, 'p', pad + 1);
	memcpy(big + hl + pad + 1, "\n\n", 2);
	assert_int_equal(
	    cgiresp_parse(big, CGIRESP_MAX_BLOCK + 1, false, &resp, &err), -1);
	assert_int_equal(err, CGIRESP_E_TOOBIG);
	/* 64 KiB without a line end is refused, not waited for */
	memset(big, 'a', CGIRESP_MAX_BLOCK);
	assert_int_equal(
	    cgiresp_parse(big, CGIRESP_MAX_BLOCK, false, &resp, &err), -1);
	assert_int_equal(err, CGIRESP_E_TOOBIG);
	/* 129 header lines are refused */
	size_t o = 0;
	for (int i = 0; i <= CGIRESP_MAX_HEADERS; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "X-%d: v\n", i);
	big[o++] = '\n';
	assert_int_equal(cgiresp_parse(big, o, false, &resp, &err), -1);
	assert_int_equal(err, CGIRESP_E_TOOBIG);
}

static void test_cgiresp_small_output_buffer(void **state)
{
	(void)state;
	static const char in[] = "Content-Type: a/b\n\n";
	char out[20];
	struct cgiresp resp;
	enum cgiresp_err err;
	bool added;
	struct cgiresp_rewrite rw = {
	    .apply_cors = true, .add = cors_add, .nadd = 3};
	assert_true(cgiresp_parse(in, strlen(in), false, &resp, &err) > 0);
	assert_int_equal(cgiresp_write(&resp, &rw, out, sizeof(out), &added),
			 -1);
	/* the size it takes: one byte less is too small, that size fits */
	size_t need = cgiresp_write_size(&resp, &rw);
	char fit[256];
	assert_true(need > sizeof(out) && need <= sizeof(fit));
	assert_int_equal(cgiresp_write(&resp, &rw, fit, need - 1, &added), -1);
	assert_int_equal(cgiresp_write(&resp, &rw, fit, need, &added),
			 (long)need);
}

/* Bad output described for the log: the line at fault quoted, escaped,
 * cut, and what was expected. */
struct describe_row {
	const char *name;
	const char *in;
	bool nph;
	const char *want; /* the whole description */
};

static const struct describe_row describe_rows[] = {
    {"php-cgi's Security Alert page",
     "<b>Security Alert!</b> The PHP CGI cannot be accessed directly.\n\n"
     "<p>This PHP CGI binary was compiled with force-cgi-redirect enabled."
     "  This\nmeans that a page will only be served up",
     false,
     "line 1: \"<b>Security Alert!</b> The PHP CGI cannot be accessed "
     "directly.\\n\\n<p>This PHP CGI binary was compiled with force-cgi-"
     "redi...\"; expected \"Name: value\" header lines (at least "
     "Content-Type, Location or Status), then a blank line"},
    {"the line at fault, not the first",
     "Content-Type: a/b\r\nX-A: 1\r\nbad line\r\n\r\n", false,
     "line 3: \"bad line\\r\\n\\r\\n\"; expected \"Name: value\" header "
     "lines (at least Content-Type, Location or Status), then a blank "
     "line"},
    {"control bytes, quotes and high bytes escaped",
     "X-A: \"q\" \\ \x01\xff\n\n", false,
     "line 1: \"X-A: \\\"q\\\" \\\\ \\x01\\xff\\n\\n\"; expected \"Name: "
     "value\" header lines (at least Content-Type, Location or Status), "
     "then a blank line"},
    {"nph without a status line", "Content-Type: a/b\n\n", true,
     "line 1: \"Content-Type: a/b\\n\\n\"; expected an nph- script's status "
     "line, such as \"HTTP/1.1 200 OK\""},
    {"nph disagreeing Status", "HTTP/1.1 200 OK\nStatus: 404\n\n", true,
     "line 2: \"Status: 404\\n\\n\"; expected a Status header with the status "
     "line's code, or none"},
};

static void test_cgiresp_describe(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(describe_rows) / sizeof(describe_rows[0]);
	     i++) {
		const struct describe_row *d = &describe_rows[i];
		struct cgiresp resp;
		enum cgiresp_err err;
		char out[1024];
		size_t len = strlen(d->in);
		assert_int_equal(cgiresp_parse(d->in, len, d->nph, &resp, &err),
				 BAD);
		cgiresp_describe(d->in, len, resp.bad_off, err, d->nph, out,
				 sizeof(out));
		if (strcmp(out, d->want) != 0) {
			print_error("%s:\ngot  %s\nwant %s\n", d->name, out,
				    d->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	/* a tiny buffer is cut, never overrun; no output at all is said */
	char small[16];
	memset(small, 'x', sizeof(small));
	cgiresp_describe("abc\n\n", 5, 0, CGIRESP_E_NOCOLON, false, small,
			 sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	char out[256];
	cgiresp_describe("", 0, 0, CGIRESP_E_EOF, false, out, sizeof(out));
	assert_non_null(strstr(out, "no output; expected"));
}

static void test_cgiresp_strerror(void **state)
{
	(void)state;
	for (int e = CGIRESP_OK; e <= CGIRESP_E_EMPTY; e++)
		assert_string_not_equal(cgiresp_strerror(e), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgiresp_table),
	    cmocka_unit_test(test_cgiresp_disabled_passes_untouched),
	    cmocka_unit_test(test_cgiresp_refused_only_vary),
	    cmocka_unit_test(test_cgiresp_default_content_type),
	    cmocka_unit_test(test_cgiresp_limits),
	    cmocka_unit_test(test_cgiresp_small_output_buffer),
	    cmocka_unit_test(test_cgiresp_strerror),
	    cmocka_unit_test(test_cgiresp_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
