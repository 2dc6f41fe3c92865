/* test_hdrlist.c - header lists, tokens, forbidden names and methods, Vary.
 *
 * Tables: one row per case. Table tests print every wrong row before
 * failing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hdrlist.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hdrlist_split ---- */

struct split_row {
	const char *in;
	enum hdrlist_err want;
	const char *elems; /* with HDRLIST_OK: the elements joined by '|' */
	const char *bad;   /* with HDRLIST_E_TOKEN: the offending element */
};

static const struct split_row split_rows[] = {
    {"", HDRLIST_OK, "", NULL},
    {"a", HDRLIST_OK, "a", NULL},
    {"a,b", HDRLIST_OK, "a|b", NULL},
    {"a, b", HDRLIST_OK, "a|b", NULL},
    {"Content-Type, X-Requested-With", HDRLIST_OK,
     "Content-Type|X-Requested-With", NULL},
    {"  a  ,\tb\t,  \t c \t ", HDRLIST_OK, "a|b|c", NULL},
    {"\ta\t", HDRLIST_OK, "a", NULL},
    {",", HDRLIST_OK, "", NULL},
    {",,,", HDRLIST_OK, "", NULL},
    {" , \t, ", HDRLIST_OK, "", NULL},
    {",a", HDRLIST_OK, "a", NULL},
    {"a,", HDRLIST_OK, "a", NULL},
    {",a,,b,", HDRLIST_OK, "a|b", NULL},
    {"a,,,,b", HDRLIST_OK, "a|b", NULL},
    {"A, a, A", HDRLIST_OK, "A|a|A", NULL},
    {"x-custom,X-CUSTOM", HDRLIST_OK, "x-custom|X-CUSTOM", NULL},
    {"!#$%&'*+-.^_`|~09azAZ", HDRLIST_OK, "!#$%&'*+-.^_`|~09azAZ", NULL},
    {"*", HDRLIST_OK, "*", NULL},
    {"a b", HDRLIST_E_TOKEN, NULL, "a b"},
    {" a b ", HDRLIST_E_TOKEN, NULL, "a b"},
    {"ok, a\tb", HDRLIST_E_TOKEN, NULL, "a\tb"},
    {"(", HDRLIST_E_TOKEN, NULL, "("},
    {"a, (b), c", HDRLIST_E_TOKEN, NULL, "(b)"},
    {"x:y", HDRLIST_E_TOKEN, NULL, "x:y"},
    {"x;q=1", HDRLIST_E_TOKEN, NULL, "x;q=1"},
    {"\"quoted\"", HDRLIST_E_TOKEN, NULL, "\"quoted\""},
    {"a/b", HDRLIST_E_TOKEN, NULL, "a/b"},
    {"a\r\nX-Evil: 1", HDRLIST_E_TOKEN, NULL, "a\r\nX-Evil: 1"},
    {"a, b\n", HDRLIST_E_TOKEN, NULL, "b\n"},
    {"caf\xc3\xa9", HDRLIST_E_TOKEN, NULL, "caf\xc3\xa9"},
    {"a,\x7f", HDRLIST_E_TOKEN, NULL, "\x7f"},
    {"a,{b}", HDRLIST_E_TOKEN, NULL, "{b}"},
    {"a@b", HDRLIST_E_TOKEN, NULL, "a@b"},
};

/* Joins elems[0..n) with '|' into buf. */
static void join(const struct hdrlist_elem *elems, size_t n, char *buf,
		 size_t sz)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, sz - off, "%s%.*s",
					i ? "|" : "", (int)elems[i].len,
					elems[i].s);
}

static int check_split_row(size_t i, const struct split_row *r)
{
	struct hdrlist_elem out[HDRLIST_MAX_ELEMENTS], bad = {NULL, 0};
	size_t n = 99;
	char got[512];
	enum hdrlist_err e = hdrlist_split(r->in, strlen(r->in), out,
					   HDRLIST_MAX_ELEMENTS, &n, &bad);

	if (e != r->want) {
		print_error("row %zu \"%s\": got %d (%s), want %d\n", i, r->in,
			    e, hdrlist_strerror(e), r->want);
		return 1;
	}
	if (e == HDRLIST_E_TOKEN) {
		if (bad.len == strlen(r->bad) &&
		    memcmp(bad.s, r->bad, bad.len) == 0 && bad.s >= r->in &&
		    bad.s + bad.len <= r->in + strlen(r->in))
			return 0;
		print_error("row %zu \"%s\": bad element \"%.*s\"\n", i, r->in,
			    (int)bad.len, bad.s ? bad.s : "");
		return 1;
	}
	join(out, n, got, sizeof(got));
	if (strcmp(got, r->elems) != 0) {
		print_error("row %zu \"%s\": got \"%s\", want \"%s\"\n", i,
			    r->in, got, r->elems);
		return 1;
	}
	return 0;
}

static void test_hdrlist_split_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < NROWS(split_rows); i++)
		bad += check_split_row(i, &split_rows[i]);
	assert_int_equal(bad, 0);
}

/* The bad element is optional. */
static void test_hdrlist_split_bad_null(void **state)
{
	struct hdrlist_elem out[HDRLIST_MAX_ELEMENTS];
	size_t n;

	(void)state;
	assert_int_equal(
	    hdrlist_split("a, b c", 6, out, HDRLIST_MAX_ELEMENTS, &n, NULL),
	    HDRLIST_E_TOKEN);
	/* only len bytes are read: "a, b" of "a, b c" */
	assert_int_equal(
	    hdrlist_split("a, b c", 4, out, HDRLIST_MAX_ELEMENTS, &n, NULL),
	    HDRLIST_OK);
	assert_int_equal(n, 2);
}

/* Generated lists at and over the limits. */
struct limit_row {
	const char *name;
	size_t len;    /* total bytes */
	size_t commas; /* commas, spread evenly; the rest is 'a' / ' ' */
	char fill;     /* byte between commas */
	enum hdrlist_err want;
	size_t n; /* elements with HDRLIST_OK */
};

static const struct limit_row limit_rows[] = {
    {"exactly max bytes", HDRLIST_MAX_BYTES, 0, 'a', HDRLIST_OK, 1},
    {"max bytes + 1", HDRLIST_MAX_BYTES + 1, 0, 'a', HDRLIST_E_TOOLONG, 0},
    {"max bytes of spaces", HDRLIST_MAX_BYTES, 0, ' ', HDRLIST_OK, 0},
    {"64 KiB", 65536, 0, 'a', HDRLIST_E_TOOLONG, 0},
    {"64 KiB of commas", 65536, 65536, 'a', HDRLIST_E_TOOLONG, 0},
    {"10000 commas", 10000, 10000, 'a', HDRLIST_E_TOOLONG, 0},
    {"max elements", 2 * HDRLIST_MAX_ELEMENTS - 1, HDRLIST_MAX_ELEMENTS - 1,
     'a', HDRLIST_OK, HDRLIST_MAX_ELEMENTS},
    {"max elements + 1", 2 * HDRLIST_MAX_ELEMENTS + 1, HDRLIST_MAX_ELEMENTS,
     'a', HDRLIST_E_TOOMANY, 0},
    {"max empty elements", HDRLIST_MAX_ELEMENTS - 1, HDRLIST_MAX_ELEMENTS - 1,
     'a', HDRLIST_OK, 0},
    {"max + 1 empty elements", HDRLIST_MAX_ELEMENTS, HDRLIST_MAX_ELEMENTS, 'a',
     HDRLIST_E_TOOMANY, 0},
    {"max bytes of commas", HDRLIST_MAX_BYTES, HDRLIST_MAX_BYTES, 'a',
     HDRLIST_E_TOOMANY, 0},
    /* refused unparsed: the junk is never looked at */
    {"too many junk elements", 2 * HDRLIST_MAX_ELEMENTS + 1,
     HDRLIST_MAX_ELEMENTS, '(', HDRLIST_E_TOOMANY, 0},
    {"too long junk", HDRLIST_MAX_BYTES + 1, 0, '(', HDRLIST_E_TOOLONG, 0},
};

/* len bytes: commas at every other position first, then fill. */
static char *limit_list(const struct limit_row *r)
{
	char *s = malloc(r->len + 1);

	assert_non_null(s);
	memset(s, r->fill, r->len);
	if (r->commas == r->len)
		memset(s, ',', r->len);
	else
		for (size_t i = 0; i < r->commas; i++)
			s[2 * i + 1] = ',';
	s[r->len] = '\0';
	return s;
}

static void test_hdrlist_split_limits(void **state)
{
	struct hdrlist_elem out[HDRLIST_MAX_ELEMENTS];

	(void)state;
	for (size_t i = 0; i < NROWS(limit_rows); i++) {
		const struct limit_row *r = &limit_rows[i];
		char *s = limit_list(r);
		size_t n = 99;
		enum hdrlist_err e = hdrlist_split(
		    s, r->len, out, HDRLIST_MAX_ELEMENTS, &n, NULL);

		if (e != r->want || (e == HDRLIST_OK && n != r->n))
			fail_msg("%s: got %d n %zu, want %d n %zu", r->name, e,
				 n, r->want, r->n);
		free(s);
	}
}

/* ---- tokens and contains ---- */

struct token_row {
	const char *s;
	size_t len; /* 0: strlen */
	bool want;
};

static const struct token_row token_rows[] = {
    {"Content-Type", 0, true},
    {"x", 0, true},
    {"!#$%&'*+-.^_`|~", 0, true},
    {"", 0, false},
    {" a", 0, false},
    {"a ", 0, false},
    {"a\tb", 0, false},
    {"a,b", 0, false},
    {"a:b", 0, false},
    {"(a)", 0, false},
    {"a\"b", 0, false},
    {"a\0b", 3, false},
    {"a\x80", 0, false},
    {"\x7f", 0, false},
    {"[a]", 0, false},
};

static void test_hdrlist_is_token(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(token_rows); i++) {
		const struct token_row *r = &token_rows[i];
		size_t len = r->len ? r->len : strlen(r->s);

		if (hdrlist_is_token(r->s, len) != r->want)
			fail_msg("row %zu \"%s\": want %d", i, r->s, r->want);
	}
}

static void test_hdrlist_contains(void **state)
{
	static const struct {
		const char *name;
		bool want;
	} rows[] = {
	    {"x-custom", true},	      {"X-CUSTOM", true},
	    {"X-Custom", true},	      {"content-type", true},
	    {"CONTENT-TYPE", true},   {"Authorization", true},
	    {"x-custo", false},	      {"x-customs", false},
	    {"x_custom", false},      {"", false},
	    {"Content-Type ", false}, {"accept", false},
	};
	struct hdrlist_elem names[HDRLIST_MAX_ELEMENTS];
	const char *list = "X-Custom, Content-Type,authorization";
	size_t n;

	(void)state;
	assert_int_equal(hdrlist_split(list, strlen(list), names,
				       HDRLIST_MAX_ELEMENTS, &n, NULL),
			 HDRLIST_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < NROWS(rows); i++)
		if (hdrlist_contains(names, n, rows[i].name,
				     strlen(rows[i].name)) != rows[i].want)
			fail_msg("\"%s\": want %d", rows[i].name, rows[i].want);
	assert_false(hdrlist_contains(names, 0, "X-Custom", 8));
	/* only len bytes of the name count */
	assert_true(hdrlist_contains(names, n, "x-customXYZ", 8));
}

/* ---- forbidden names and methods ---- */

static const char *const forbidden_request[] = {
    "Accept-Charset",
    "Accept-Encoding",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Method",
    "Access-Control-Request-Private-Network",
    "Connection",
    "Content-Length",
    "Cookie",
    "Cookie2",
    "Date",
    "DNT",
    "Expect",
    "Host",
    "Keep-Alive",
    "Origin",
    "Referer",
    "Set-Cookie",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Via",
    "Proxy-Authorization",
    "Proxy-Connection",
    "proxy-x",
    "PROXY-",
    "Sec-Fetch-Mode",
    "sec-ch-ua",
    "SEC-WEBSOCKET-KEY",
    "Sec-",
};

static const char *const allowed_request[] = {
    "Hostx",
    "XHost",
    "Origin2",
    "Origi",
    "Se-c",
    "Sec",
    "Secx-Foo",
    "X-Sec-Foo",
    "Proxy",
    "Proxyx-Foo",
    "X-Proxy-Foo",
    "Cookie3",
    "Cookies",
    "Connectio",
    "Content-Type",
    "Authorization",
    "Accept",
    "Accept-Language",
    "T",
    "TEE",
    "Via2",
    "Access-Control-Request-Head",
    "",
};

/* name with ASCII letters flipped: 0 as is, 1 lower, 2 upper, 3 alternate */
static void recase(const char *name, int how, char *out, size_t sz)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < sz; i++) {
		char c = name[i];
		bool up = how == 2 || (how == 3 && i % 2 == 0);

		if (how == 0)
			out[i] = c;
		else if (up && c >= 'a' && c <= 'z')
			out[i] = (char)(c - 'a' + 'A');
		else if (!up && c >= 'A' && c <= 'Z')
			out[i] = (char)(c - 'A' + 'a');
		else
			out[i] = c;
	}
	out[i] = '\0';
}

static void test_hdrlist_forbidden_request(void **state)
{
	char buf[64];

	(void)state;
	for (int how = 0; how < 4; how++) {
		for (size_t i = 0; i < NROWS(forbidden_request); i++) {
			recase(forbidden_request[i], how, buf, sizeof(buf));
			if (!hdrlist_forbidden_request(buf, strlen(buf)))
				fail_msg("\"%s\" not forbidden", buf);
		}
		for (size_t i = 0; i < NROWS(allowed_request); i++) {
			recase(allowed_request[i], how, buf, sizeof(buf));
			if (hdrlist_forbidden_request(buf, strlen(buf)))
				fail_msg("\"%s\" forbidden", buf);
		}
	}
	/* only len bytes count */
	assert_true(hdrlist_forbidden_request("Hostx", 4));
	assert_false(hdrlist_forbidden_request("Host", 3));
	assert_false(hdrlist_forbidden_request("Se", 2));
}

struct name_row {
	const char *s;
	bool want;
};

static const struct name_row forbidden_response_rows[] = {
    {"Set-Cookie", true},  {"set-cookie", true},    {"SET-COOKIE2", true},
    {"Set-Cookie2", true}, {"Set-Cookie3", false},  {"Set-Cooki", false},
    {"Cookie", false},	   {"Content-Type", false}, {"", false},
};

static const struct name_row forbidden_method_rows[] = {
    {"CONNECT", true}, {"connect", true}, {"Connect", true},
    {"TRACE", true},   {"trace", true},	  {"TrAcK", true},
    {"TRACK", true},   {"GET", false},	  {"CONNECTX", false},
    {"TRAC", false},   {"XTRACE", false}, {"OPTIONS", false},
    {"DELETE", false}, {"", false},
};

static const struct name_row safelisted_method_rows[] = {
    {"GET", true},	{"HEAD", true},	  {"POST", true},  {"get", false},
    {"Get", false},	{"head", false},  {"Post", false}, {"PUT", false},
    {"OPTIONS", false}, {"GETX", false},  {"GE", false},   {"POST ", false},
    {" GET", false},	{"PATCH", false}, {"", false},
};

static int check_names(const char *what, const struct name_row *rows, size_t n,
		       bool (*fn)(const char *, size_t))
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (fn(rows[i].s, strlen(rows[i].s)) != rows[i].want) {
			print_error("%s \"%s\": want %d\n", what, rows[i].s,
				    rows[i].want);
			bad++;
		}
	}
	return bad;
}

static void test_hdrlist_forbidden_response(void **state)
{
	(void)state;
	assert_int_equal(check_names("response", forbidden_response_rows,
				     NROWS(forbidden_response_rows),
				     hdrlist_forbidden_response),
			 0);
}

static void test_hdrlist_forbidden_method(void **state)
{
	(void)state;
	assert_int_equal(check_names("forbidden method", forbidden_method_rows,
				     NROWS(forbidden_method_rows),
				     hdrlist_forbidden_method),
			 0);
	assert_true(hdrlist_forbidden_method("TRACEX", 5));
}

static void test_hdrlist_safelisted_method(void **state)
{
	(void)state;
	assert_int_equal(check_names("safelisted method",
				     safelisted_method_rows,
				     NROWS(safelisted_method_rows),
				     hdrlist_safelisted_method),
			 0);
	assert_true(hdrlist_safelisted_method("GETX", 3));
}

/* ---- Vary merge ---- */

#define ADDS(...) ((const char *const[]){__VA_ARGS__})

static void test_hdrlist_strerror(void **state)
{
	static const struct {
		enum hdrlist_err e;
		const char *word;
	} rows[] = {
	    {HDRLIST_OK, "no error"},	   {HDRLIST_E_TOOLONG, "long"},
	    {HDRLIST_E_TOOMANY, "many"},   {HDRLIST_E_TOKEN, "token"},
	    {HDRLIST_E_FULL, "too small"}, {HDRLIST_E_NOMEM, "memory"},
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		const char *s = hdrlist_strerror(rows[i].e);

		assert_non_null(s);
		if (!strstr(s, rows[i].word))
			fail_msg("%d: \"%s\" lacks \"%s\"", rows[i].e, s,
				 rows[i].word);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, hdrlist_strerror(rows[j].e));
	}
	assert_non_null(hdrlist_strerror((enum hdrlist_err)999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hdrlist_split_table),
	    cmocka_unit_test(test_hdrlist_split_bad_null),
	    cmocka_unit_test(test_hdrlist_split_limits),
	    cmocka_unit_test(test_hdrlist_is_token),
	    cmocka_unit_test(test_hdrlist_contains),
	    cmocka_unit_test(test_hdrlist_forbidden_request),
	    cmocka_unit_test(test_hdrlist_forbidden_response),
	    cmocka_unit_test(test_hdrlist_forbidden_method),
	    cmocka_unit_test(test_hdrlist_safelisted_method),
	    cmocka_unit_test(test_hdrlist_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
